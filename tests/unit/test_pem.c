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
