/* The device identification value as a Code 128 barcode (for the packaging), drawn by Debian's
 * libzint: PNG (what label printers and zbarimg read) or SVG. */
#ifndef ATS_BARCODE_H
#define ATS_BARCODE_H

#include "ats.h"

typedef enum { ATS_BARCODE_NONE = 0, ATS_BARCODE_PNG = 1, ATS_BARCODE_SVG = 2 } ats_barcode_fmt;

/* "png", "svg", "both" (PNG|SVG) or "none"; -1 when unknown. */
int ats_barcode_fmt_parse(const char *s);

/* Writes name (ending .png or .svg) in the directory open as dirfd. The value must be printable
 * ASCII (Code 128 carries it as is). */
int ats_barcode_write(int dirfd, const char *name, const char *value, ats_err *err);

#endif
