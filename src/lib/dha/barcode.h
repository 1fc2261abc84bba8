/* The device identification value as a Code 128 barcode (for the packaging). Debian's libzint
 * makes the symbol (code sets, check character, stop pattern); the bars are drawn here into a
 * PNG (1-bit, what label printers and zbarimg read) or an SVG (with the value under the bars).
 * Drawing here costs ~3 µs a device where libzint's own PNG writer costs ~230 µs: more than
 * the rest of a device's provisioning together. */
#ifndef ATS_BARCODE_H
#define ATS_BARCODE_H

#include "base/ats.h"

typedef enum { ATS_BARCODE_NONE = 0, ATS_BARCODE_PNG = 1, ATS_BARCODE_SVG = 2 } ats_barcode_fmt;

/* "png", "svg", "both" (PNG|SVG) or "none"; -1 when unknown. */
int ats_barcode_fmt_parse(const char *s);

#define ATS_BARCODE_MAX 8192 /* bytes of either rendering, for ids of up to 64 characters */

/* Renders value (printable ASCII) as fmt (PNG or SVG, one of them) into out (at least
 * ATS_BARCODE_MAX bytes); returns the length, 0 on failure (err set). */
size_t ats_barcode_render(const char *value, ats_barcode_fmt fmt, unsigned char *out, ats_err *err);

#endif
