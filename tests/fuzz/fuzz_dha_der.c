/* libFuzzer target, differential: dha's own DER certificate reader (ats_dha_cert_read, and the
 * store's ats_der_cert_read it builds on) against OpenSSL's d2i_X509 on the same bytes. What we
 * accept OpenSSL must accept too, and the fields we read must be the bytes OpenSSL read: the
 * subject and issuer (their original encoding), the serial, the public key, the extensions. */
#include "base/der.h"
#include "dha/dha_der.h"

#include <openssl/asn1.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFFER(what)                                                                              \
	do {                                                                                      \
		fprintf(stderr, "differs from OpenSSL: %s\n", what);                              \
		abort();                                                                          \
	} while (0)

static void same_name(ats_der_span ours, const X509_NAME *theirs, const char *what)
{
	const unsigned char *der = NULL;
	size_t n = 0;
	if (!X509_NAME_get0_der((X509_NAME *)theirs, &der, &n) || n != ours.n ||
	    memcmp(der, ours.p, n) != 0)
		DIFFER(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ats_dha_cert c;
	ats_der_cert dc;
	int ours = ats_dha_cert_read(data, size, &c);
	(void)ats_der_cert_read(data, size, &dc);
	if (ours != 0)
		return 0;
	const unsigned char *p = data;
	X509 *x = d2i_X509(NULL, &p, (long)size);
	if (!x || p != data + size)
		DIFFER("ats_dha_cert_read accepted a certificate d2i_X509 refuses");
	same_name(c.c.subject, X509_get_subject_name(x), "subject");
	same_name(c.c.issuer, X509_get_issuer_name(x), "issuer");

	unsigned char *ser = NULL;
	int sn = i2d_ASN1_INTEGER(X509_get_serialNumber(x), &ser);
	if (sn < 0 || (size_t)sn != c.c.serial.n || memcmp(ser, c.c.serial.p, (size_t)sn) != 0)
		DIFFER("serial");
	OPENSSL_free(ser);

	const unsigned char *pk = NULL;
	int pkn = 0;
	X509_PUBKEY *xp = X509_get_X509_PUBKEY(x);
	ASN1_OBJECT *alg = NULL;
	if (!X509_PUBKEY_get0_param(&alg, &pk, &pkn, NULL, xp))
		DIFFER("public key");
	/* The point is the BIT STRING's content after its unused-bits byte, as OpenSSL gives it. */
	if ((size_t)pkn != c.point.n || (pkn && memcmp(pk, c.point.p, (size_t)pkn) != 0))
		DIFFER("public key bits");
	if ((long)X509_get_version(x) + 1 != c.version)
		DIFFER("version");

	/* Extensions: the same count, each with the same critical flag and value. */
	size_t pos = 0;
	int i = 0;
	ats_der_ext e;
	int r;
	while ((r = ats_der_ext_next(c.exts, &pos, &e)) == 1) {
		X509_EXTENSION *xe = X509_get_ext(x, i++);
		if (!xe)
			DIFFER("extension count (ours more)");
		const ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(xe);
		if ((X509_EXTENSION_get_critical(xe) != 0) != e.critical ||
		    (size_t)ASN1_STRING_length(v) != e.value.n ||
		    memcmp(ASN1_STRING_get0_data(v), e.value.p, e.value.n) != 0)
			DIFFER("extension value or critical flag");
		bool ca;
		unsigned bits;
		ats_der_span id;
		(void)ats_der_bc_read(e.value, &ca);
		(void)ats_der_ku_read(e.value, &bits);
		(void)ats_der_ski_read(e.value, &id);
		(void)ats_der_aki_read(e.value, &id);
	}
	if (r == 0 && X509_get_ext(x, i))
		DIFFER("extension count (ours fewer)");
	char text[512];
	ats_der_name_text(c.c.subject, text, sizeof(text));
	(void)ats_der_time(c.c.not_after);
	X509_free(x);
	return 0;
}
