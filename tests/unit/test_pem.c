/* The store file reader: every container format, and every way a file can be broken. */
#include "base/pem.h"
#include "testutil.h"

typedef struct seen {
	int certs, problems;
	int lines[16];
	char msg[16][256];
	unsigned char sha[16][32];
} seen;

static void on_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	seen *s = ctx;
	(void)pos;
	if (s->certs < 16)
		ats_sha256(der, len, s->sha[s->certs]);
	s->certs++;
}

static void on_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	seen *s = ctx;
	if (s->problems < 16) {
		s->lines[s->problems] = pos.line;
		snprintf(s->msg[s->problems], 256, "%s", msg);
	}
	s->problems++;
}

static seen scan(const void *data, size_t len)
{
	seen s;
	memset(&s, 0, sizeof(s));
	ats_cert_sink sink = {&s, on_cert, on_problem};
	ats_certs_scan(data, len, &sink);
	return s;
}

static char *pem_of(int i)
{
	const ats_ca *ca = ats_catalog_get(i);
	return strndup(ca->pem, ca->pem_len);
}

static char *with_crlf(const char *s)
{
	char *o = malloc(strlen(s) * 2 + 1), *p = o;
	for (; *s; s++) {
		if (*s == '\n')
			*p++ = '\r';
		*p++ = *s;
	}
	*p = '\0';
	return o;
}

Test(pem, text_between_blocks_and_crlf)
{
	char *a = pem_of(0), *b = pem_of(2), *crlf = with_crlf(b);
	char buf[8192];
	snprintf(buf, sizeof(buf), "Amazon Root CA 1\n================\n%s\n# a comment\n%s", a, crlf);
	seen s = scan(buf, strlen(buf));
	cr_assert_eq(s.certs, 2);
	cr_assert_eq(s.problems, 0);
	cr_assert_eq(memcmp(s.sha[0], ats_catalog_get(0)->cert_sha256, 32), 0);
	cr_assert_eq(memcmp(s.sha[1], ats_catalog_get(2)->cert_sha256, 32), 0);
	free(a);
	free(b);
	free(crlf);
}

Test(pem, truncated_block_is_reported_with_its_line_and_the_rest_read)
{
	char *a = pem_of(0), *b = pem_of(1);
	char buf[8192];
	/* Cut the first block before its END line: the second block must still be read. */
	char *cut = strstr(a, "-----END");
	*cut = '\0';
	snprintf(buf, sizeof(buf), "junk line\n%s%s", a, b);
	seen s = scan(buf, strlen(buf));
	cr_assert_eq(s.certs, 1);
	cr_assert_eq(s.problems, 1);
	cr_assert_eq(s.lines[0], 2);
	cr_assert(strstr(s.msg[0], "truncated"), "%s", s.msg[0]);
	free(a);
	free(b);
}

Test(pem, bad_base64_and_wrong_block_types)
{
	const char *t = "-----BEGIN CERTIFICATE-----\n!!!not base64***\n-----END CERTIFICATE-----\n"
			"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
			"-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n";
	seen s = scan(t, strlen(t));
	cr_assert_eq(s.certs, 0);
	cr_assert_eq(s.problems, 3);
	cr_assert(strstr(s.msg[0], "base64"));
	cr_assert(strstr(s.msg[1], "not a certificate"));
	cr_assert(strstr(s.msg[2], "DER structure"));
	cr_assert_eq(s.lines[2], 7);
}

Test(pem, der_single_concatenated_and_truncated)
{
	unsigned char *d1, *d2;
	size_t n1, n2;
	cr_assert_eq(ats_catalog_der(ats_catalog_get(0), &d1, &n1, NULL), 0);
	cr_assert_eq(ats_catalog_der(ats_catalog_get(3), &d2, &n2, NULL), 0);
	seen s = scan(d1, n1);
	cr_assert_eq(s.certs, 1);
	unsigned char *both = malloc(n1 + n2);
	memcpy(both, d1, n1);
	memcpy(both + n1, d2, n2);
	s = scan(both, n1 + n2);
	cr_assert_eq(s.certs, 2);
	s = scan(both, n1 + n2 / 2); /* second one cut in half */
	cr_assert_eq(s.certs, 1);
	cr_assert_eq(s.problems, 1);
	s = scan(d1, n1 - 10);
	cr_assert_eq(s.certs, 0);
	cr_assert_eq(s.problems, 1);
	free(both);
	free(d1);
	free(d2);
}

Test(pem, pkcs7_bundle)
{
	X509 *a = tu_catalog_x509(0), *b = tu_catalog_x509(5);
	PKCS7 *p7 = PKCS7_new();
	cr_assert(PKCS7_set_type(p7, NID_pkcs7_signed));
	cr_assert(PKCS7_content_new(p7, NID_pkcs7_data));
	cr_assert(PKCS7_add_certificate(p7, a));
	cr_assert(PKCS7_add_certificate(p7, b));
	unsigned char *der = NULL;
	int n = i2d_PKCS7(p7, &der);
	cr_assert_gt(n, 0);
	seen s = scan(der, (size_t)n);
	cr_assert_eq(s.certs, 2);
	cr_assert_eq(memcmp(s.sha[1], ats_catalog_get(5)->cert_sha256, 32), 0);
	OPENSSL_free(der);
	PKCS7_free(p7);
	X509_free(a);
	X509_free(b);
}

Test(pem, empty_and_noise)
{
	seen s = scan("", 0);
	cr_assert_eq(s.problems, 1);
	cr_assert(strstr(s.msg[0], "empty"));
	unsigned char noise[4096];
	for (size_t i = 0; i < sizeof(noise); i++)
		noise[i] = (unsigned char)(i * 7919 + 13);
	noise[0] = 0x30;
	s = scan(noise, sizeof(noise));
	cr_assert_eq(s.certs, 0);
	cr_assert_geq(s.problems, 1);
}

Test(pem, encode_round_trip)
{
	unsigned char *d, *back;
	size_t n, bn;
	cr_assert_eq(ats_catalog_der(ats_catalog_get(1), &d, &n, NULL), 0);
	char *out = malloc(ats_pem_encoded_len(n, "CERTIFICATE"));
	size_t len = ats_pem_encode(d, n, "CERTIFICATE", out);
	cr_assert_eq(ats_pem_decode_first(out, len, &back, &bn), 0);
	cr_assert_eq(bn, n);
	cr_assert_eq(memcmp(back, d, n), 0);
	/* Byte for byte what Debian ships (OpenSSL's PEM writer). */
	cr_assert_eq(len, ats_catalog_get(1)->pem_len);
	cr_assert_eq(memcmp(out, ats_catalog_get(1)->pem, len), 0);
	free(out);
	free(back);
	free(d);
}

/* The hand-written line decoder against OpenSSL's EVP_DecodeBlock: plain lines (whole groups of
 * the alphabet) decode to the same bytes; everything else is left to EVP_DecodeUpdate (-1). */
Test(pem, plain_line_decoder_matches_openssl)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned char ours[128], theirs[128];
	char line[100];
	unsigned seed = 12345;
	int plain = 0, other = 0;
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 97);
		for (size_t i = 0; i < n; i++)
			line[i] = alpha[rand_r(&seed) % 64];
		/* A third of the lines get one byte that is not of the alphabet (any byte at all). */
		if (n && rand_r(&seed) % 3 == 0)
			line[rand_r(&seed) % n] = (char)(rand_r(&seed) % 256);
		int valid = n > 0 && n % 4 == 0;
		for (size_t i = 0; i < n && valid; i++)
			valid = memchr(alpha, line[i], 64) != NULL;
		long k = ats_b64_plain_line(line, n, ours);
		if (!valid) {
			cr_assert_eq(k, -1, "round %d: a line that is not plain was decoded", round);
			other++;
			continue;
		}
		cr_assert_eq(k, (long)(n / 4 * 3), "round %d", round);
		cr_assert_eq(EVP_DecodeBlock(theirs, (const unsigned char *)line, (int)n), (int)k);
		cr_assert_eq(memcmp(ours, theirs, (size_t)k), 0, "round %d: bytes differ", round);
		plain++;
	}
	cr_assert_gt(plain, 2000);
	cr_assert_gt(other, 2000);
	cr_assert_eq(ats_b64_plain_line("QUJD", 4, ours), 3);
	cr_assert_eq(memcmp(ours, "ABC", 3), 0);
	cr_assert_eq(ats_b64_plain_line("QUI=", 4, ours), -1, "padding goes to OpenSSL");
	cr_assert_eq(ats_b64_plain_line("QU JD", 5, ours), -1);
}

/* A certificate wrapped at any width (plain lines, then lines that are not: odd widths, padding,
 * a space inside) reads as the same DER as the 64-column original. */
Test(pem, any_line_width_reads_the_same_certificate)
{
	for (int ca = 0; ca < 6; ca++) {
		const ats_ca *c = ats_catalog_get(ca);
		char *pem = pem_of(ca), *body = strstr(pem, "-----\n") + 6, *end = strstr(pem, "-----END");
		char b64[4096], text[8192];
		size_t bn = 0;
		for (char *p = body; p < end; p++)
			if (*p != '\n')
				b64[bn++] = *p;
		for (size_t width = 1; width <= 80; width += (width < 8 ? 1 : 7)) {
			size_t tn = (size_t)snprintf(text, sizeof(text), "-----BEGIN CERTIFICATE-----\n");
			for (size_t i = 0; i < bn; i += width) {
				size_t w = bn - i < width ? bn - i : width;
				memcpy(text + tn, b64 + i, w);
				tn += w;
				if (width == 29 && i == 0)
					text[tn++] = ' '; /* whitespace inside a line: OpenSSL's to read */
				text[tn++] = '\n';
			}
			tn += (size_t)snprintf(text + tn, sizeof(text) - tn, "-----END CERTIFICATE-----\n");
			seen s = scan(text, tn);
			cr_assert_eq(s.certs, 1, "CA %d at width %zu", ca, width);
			cr_assert_eq(s.problems, 0, "CA %d at width %zu: %s", ca, width, s.msg[0]);
			cr_assert_eq(memcmp(s.sha[0], c->cert_sha256, 32), 0, "CA %d at width %zu", ca, width);
		}
		free(pem);
	}
}

/* A block bigger than the scanner's first buffer (a PKCS#7 bundle of 24 certificates, ~25 KB of
 * DER), at 64 columns and as one line: every certificate read, in order, nothing reported. */
Test(pem, block_larger_than_the_first_buffer)
{
	PKCS7 *p7 = PKCS7_new();
	cr_assert(PKCS7_set_type(p7, NID_pkcs7_signed));
	cr_assert(PKCS7_content_new(p7, NID_pkcs7_data));
	for (int i = 0; i < 24; i++) {
		X509 *x = tu_catalog_x509(i % 6);
		cr_assert(PKCS7_add_certificate(p7, x));
		X509_free(x);
	}
	unsigned char *der = NULL;
	int n = i2d_PKCS7(p7, &der);
	cr_assert_gt(n, 16384);
	char *pem = malloc(ats_pem_encoded_len((size_t)n, "PKCS7"));
	size_t len = ats_pem_encode(der, (size_t)n, "PKCS7", pem);
	char *one = malloc(len + 1);
	size_t on = 0;
	for (size_t i = 0; i < len; i++) /* the body's newlines out, the markers' kept */
		if (pem[i] != '\n' || (i + 1 < len && pem[i + 1] == '-') || (i > 0 && pem[i - 1] == '-'))
			one[on++] = pem[i];
	for (int form = 0; form < 2; form++) {
		seen s = form ? scan(one, on) : scan(pem, len);
		cr_assert_eq(s.problems, 0, "form %d: %s", form, s.msg[0]);
		cr_assert_eq(s.certs, 24, "form %d", form);
		for (int i = 0; i < 16; i++)
			cr_assert_eq(memcmp(s.sha[i], ats_catalog_get(i % 6)->cert_sha256, 32), 0,
				     "form %d, certificate %d", form, i);
	}
	free(one);
	free(pem);
	OPENSSL_free(der);
	PKCS7_free(p7);
}
