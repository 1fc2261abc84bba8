/* libFuzzer target: the trust store reader (PEM / DER / PKCS#7 scanning, the DER field reader,
 * and the subject parsing the audit does for candidate certificates); and, differentially, the
 * hand-written base64 line decoder against OpenSSL's EVP_DecodeBlock on the input as one line. */
#include "base/der.h"
#include "base/pem.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void on_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	ats_der_cert c;
	(void)ctx;
	(void)pos;
	if (ats_der_cert_read(der, len, &c) == 0) {
		const unsigned char *p = c.subject.p;
		X509_NAME *n = d2i_X509_NAME(NULL, &p, (long)c.subject.n);
		X509_NAME_free(n);
		ats_der_time(c.not_after);
	}
}

static void on_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	(void)ctx;
	(void)pos;
	(void)msg;
}

static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void line_differential(const uint8_t *data, size_t size)
{
	unsigned char *ours = malloc(size / 4 * 3 + 1), *theirs = malloc(size / 4 * 3 + 1);
	int plain = size > 0 && size % 4 == 0;
	for (size_t i = 0; i < size && plain; i++)
		plain = data[i] && memchr(alpha, data[i], 64) != NULL;
	long k = ats_b64_plain_line((const char *)data, size, ours);
	if (!plain && k != -1)
		__builtin_trap(); /* decoded a line that is not plain */
	if (plain && (k != (long)(size / 4 * 3) ||
		      EVP_DecodeBlock(theirs, data, (int)size) != (int)k || memcmp(ours, theirs, (size_t)k)))
		__builtin_trap(); /* differs from OpenSSL */
	free(ours);
	free(theirs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ats_cert_sink sink = {NULL, on_cert, on_problem};
	ats_certs_scan(data, size, &sink);
	line_differential(data, size);
	return 0;
}
