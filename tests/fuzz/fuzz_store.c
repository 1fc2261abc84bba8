/* libFuzzer target: the trust store reader (PEM / DER / PKCS#7 scanning, the DER field reader,
 * and the subject parsing the audit does for candidate certificates). */
#include "base/der.h"
#include "base/pem.h"

#include <openssl/x509.h>
#include <stdint.h>
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ats_cert_sink sink = {NULL, on_cert, on_problem};
	ats_certs_scan(data, size, &sink);
	return 0;
}
