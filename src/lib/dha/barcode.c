#include "dha/barcode.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zint.h>

#ifndef ATS_ZINT_SONAME
#define ATS_ZINT_SONAME "libzint.so.2.11"
#endif

#define PX 2        /* pixels per module */
#define QUIET 10    /* modules of white each side: Code 128 asks for 10 */
#define BAR_H 60    /* pixels */
#define MAX_MODULES 1200

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

/* libzint, opened with the first barcode: linked, it would bring libpng, zlib and libm into every
 * run (~0.6 MB of an audit's peak RSS) though only provisioning draws barcodes. */
static struct {
	struct zint_symbol *(*create)(void);
	void (*clear)(struct zint_symbol *);
	void (*del)(struct zint_symbol *);
	int (*encode)(struct zint_symbol *, const unsigned char *, int);
} zint;
static char zint_error[512];

/* One libzint symbol per thread, cleared between barcodes (ZBarcode_Create costs a third of a
 * barcode); freed when the thread ends. */
static pthread_key_t sym_key;
static pthread_once_t sym_once = PTHREAD_ONCE_INIT;
static int sym_key_ok;

static void sym_free(void *s)
{
	zint.del(s);
}

static void sym_init(void)
{
	void *lib = dlopen(ATS_ZINT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(zint_error, sizeof(zint_error), "cannot load libzint: %s", dlerror());
		return;
	}
	*(void **)&zint.create = dlsym(lib, "ZBarcode_Create");
	*(void **)&zint.clear = dlsym(lib, "ZBarcode_Clear");
	*(void **)&zint.del = dlsym(lib, "ZBarcode_Delete");
	*(void **)&zint.encode = dlsym(lib, "ZBarcode_Encode");
	if (!zint.create || !zint.clear || !zint.del || !zint.encode) {
		snprintf(zint_error, sizeof(zint_error), "%s is not a libzint", ATS_ZINT_SONAME);
		return;
	}
	if (pthread_key_create(&sym_key, sym_free) != 0)
		snprintf(zint_error, sizeof(zint_error), "out of memory");
	else
		sym_key_ok = 1;
}

static struct zint_symbol *thread_symbol(void)
{
	struct zint_symbol *s;
	pthread_once(&sym_once, sym_init);
	if (!sym_key_ok)
		return NULL;
	if ((s = pthread_getspecific(sym_key))) {
		zint.clear(s);
	} else if ((s = zint.create()) && pthread_setspecific(sym_key, s) != 0) {
		zint.del(s);
		s = NULL;
	}
	return s;
}

/* The symbol's modules (1 = bar), from libzint. */
static int modules(const char *value, unsigned char *m, ats_err *err)
{
	struct zint_symbol *s = thread_symbol();
	int n = -1;
	if (!s) {
		ats_err_set(err, sym_key_ok ? ATS_ENOMEM : ATS_EIO, "barcode for '%s': %s", value,
			    sym_key_ok ? "out of memory" : zint_error); /* written once, by sym_init */
		return -1;
	}
	s->symbology = BARCODE_CODE128;
	int r = zint.encode(s, (const unsigned char *)value, (int)strlen(value));
	if (r >= ZINT_ERROR || s->rows != 1 || s->width <= 0 || s->width > MAX_MODULES) {
		ats_err_set(err, ATS_EUSAGE, "barcode for '%s': %s", value,
			    r >= ZINT_ERROR ? s->errtxt : "does not fit one row");
	} else {
		n = s->width;
		for (int x = 0; x < n; x++)
			m[x] = (s->encoded_data[0][x >> 3] >> (x & 7)) & 1;
	}
	return n;
}

/* CRC-32 (PNG's), four bytes a step: the IDAT chunk is a few KiB per device. */
static uint32_t crc_table[4][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[0][i] = c;
	}
	for (int t = 1; t < 4; t++)
		for (int i = 0; i < 256; i++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

static uint32_t crc32(uint32_t crc, const unsigned char *p, size_t n)
{
	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	for (; n >= 4; n -= 4, p += 4) {
		crc ^= (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
		crc = crc_table[3][crc & 0xff] ^ crc_table[2][(crc >> 8) & 0xff] ^
		      crc_table[1][(crc >> 16) & 0xff] ^ crc_table[0][crc >> 24];
	}
	while (n--)
		crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

static unsigned char *put32(unsigned char *o, unsigned long v)
{
	o[0] = (unsigned char)(v >> 24);
	o[1] = (unsigned char)(v >> 16);
	o[2] = (unsigned char)(v >> 8);
	o[3] = (unsigned char)v;
	return o + 4;
}

/* One PNG chunk: length, type, data (already at o + 8), CRC. */
static unsigned char *chunk(unsigned char *o, const char *type, size_t len)
{
	put32(o, len);
	memcpy(o + 4, type, 4);
	put32(o + 8 + len, crc32(0, o + 4, len + 4));
	return o + 12 + len;
}

/* 1-bit greyscale, every row the same; the zlib stream uses stored blocks (no compression: a
 * few KiB, and nothing to get wrong). */
static size_t png(const unsigned char *m, int n, unsigned char *out)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	unsigned w = (unsigned)(n + 2 * QUIET) * PX, h = BAR_H + 2 * QUIET * PX / 2;
	size_t rowlen = 1 + (w + 7) / 8, raw = rowlen * h;
	unsigned char row[1 + (MAX_MODULES + 2 * QUIET) * PX / 8 + 1];
	unsigned char *o = out, *d;
	unsigned long long a = 1, b = 0;

	if (raw > 65535 || 8 + 25 + 12 + 2 + 5 + raw + 4 + 12 > ATS_BARCODE_MAX)
		return 0;
	memset(row, 0xff, sizeof(row)); /* white */
	row[0] = 0;                     /* filter: none */
	for (unsigned x = 0; x < w; x++) {
		int mod = (int)(x / PX) - QUIET;
		if (mod >= 0 && mod < n && m[mod])
			row[1 + x / 8] &= (unsigned char)~(0x80 >> (x % 8));
	}
	memcpy(o, sig, 8);
	o += 8;
	d = o + 8;
	d = put32(d, w);
	d = put32(d, h);
	memcpy(d, "\x01\x00\x00\x00\x00", 5); /* depth 1, greyscale, deflate, filter 0, no interlace */
	o = chunk(o, "IHDR", 13);
	d = o + 8;
	*d++ = 0x78;
	*d++ = 0x01;
	*d++ = 0x01; /* final stored block */
	*d++ = (unsigned char)raw;
	*d++ = (unsigned char)(raw >> 8);
	*d++ = (unsigned char)~raw;
	*d++ = (unsigned char)(~raw >> 8);
	/* Quiet rows above and below the bars. */
	unsigned char blank[sizeof(row)];
	memset(blank, 0xff, rowlen);
	blank[0] = 0;
	/* Adler-32 a row at a time: a row r of length L adds L*a + sum (L - i) r[i] to b and sum r[i]
	 * to a, so each of the two rows is summed once (under 64 KiB nothing overflows). */
	unsigned long long sum[2] = {0, 0}, wsum[2] = {0, 0};
	for (size_t i = 0; i < rowlen; i++) {
		sum[0] += blank[i], wsum[0] += (rowlen - i) * blank[i];
		sum[1] += row[i], wsum[1] += (rowlen - i) * row[i];
	}
	for (unsigned y = 0; y < h; y++) {
		int bars = y >= QUIET * PX / 2 && y < h - QUIET * PX / 2;
		memcpy(d, bars ? row : blank, rowlen);
		b += rowlen * a + wsum[bars];
		a += sum[bars];
		d += rowlen;
	}
	d = put32(d, ((b % 65521) << 16) | (a % 65521));
	o = chunk(o, "IDAT", (size_t)(d - (o + 8)));
	o = chunk(o, "IEND", 0);
	return (size_t)(o - out);
}

static size_t svg(const unsigned char *m, int n, const char *value, unsigned char *out)
{
	int w = (n + 2 * QUIET) * PX, h = BAR_H + 30;
	char *o = (char *)out, *end = (char *)out + ATS_BARCODE_MAX;
	o += snprintf(o, (size_t)(end - o),
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		      "viewBox=\"0 0 %d %d\">\n<desc>Code 128: %s</desc>\n"
		      "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"",
		      w, h, w, h, value, w, h);
	for (int x = 0; x < n && end - o > 64;) {
		int run = 0;
		while (x + run < n && m[x + run])
			run++;
		if (run)
			o += snprintf(o, (size_t)(end - o), "M%d 5h%dv%dh-%dz", (x + QUIET) * PX, run * PX,
				      BAR_H, run * PX);
		x += run ? run : 1;
	}
	o += snprintf(o, (size_t)(end - o),
		      "\"/>\n<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-family=\"monospace\" "
		      "font-size=\"16\">%s</text>\n</svg>\n",
		      w / 2, BAR_H + 24, value);
	return o < end ? (size_t)(o - (char *)out) : 0;
}

size_t ats_barcode_render(const char *value, ats_barcode_fmt fmt, unsigned char *out, ats_err *err)
{
	unsigned char m[MAX_MODULES];
	int n = modules(value, m, err);
	size_t len;
	if (n < 0)
		return 0;
	len = fmt == ATS_BARCODE_PNG ? png(m, n, out) : svg(m, n, value, out);
	if (!len)
		ats_err_set(err, ATS_EUSAGE, "barcode for '%s': too long to draw", value);
	return len;
}
