#include "barcode.h"

#include <stdio.h>
#include <string.h>
#include <zint.h>

int ats_barcode_fmt_parse(const char *s)
{
	if (strcmp(s, "png") == 0)
		return ATS_BARCODE_PNG;
	if (strcmp(s, "svg") == 0)
		return ATS_BARCODE_SVG;
	if (strcmp(s, "both") == 0)
		return ATS_BARCODE_PNG | ATS_BARCODE_SVG;
	if (strcmp(s, "none") == 0)
		return ATS_BARCODE_NONE;
	return -1;
}

int ats_barcode_write(int dirfd, const char *name, const char *value, ats_err *err)
{
	struct zint_symbol *sym = ZBarcode_Create();
	int rc = 0;
	if (!sym)
		return ats_err_set(err, ATS_ENOMEM, "barcode for '%s': out of memory", value);
	sym->symbology = BARCODE_CODE128;
	sym->height = 50;
	sym->scale = 2;
	sym->whitespace_width = 10; /* quiet zones: scanners need them */
	sym->show_hrt = 1;
	/* libzint opens the file by name: reach the folder through its descriptor (the folder may
	 * sit under a path longer than libzint's 255 characters, and threads share one cwd). */
	snprintf(sym->outfile, sizeof(sym->outfile), "/proc/self/fd/%d/%s", dirfd, name);
	int r = ZBarcode_Encode_and_Print(sym, (const unsigned char *)value, (int)strlen(value), 0);
	if (r >= ZINT_ERROR)
		rc = ats_err_set(err, ATS_EIO, "barcode for '%s': %s", value, sym->errtxt);
	ZBarcode_Delete(sym);
	return rc;
}
