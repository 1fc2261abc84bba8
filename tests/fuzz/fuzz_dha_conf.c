/* libFuzzer target: device.conf / dak.conf (OpenSSL config text) as dha reads it: the [req]
 * section, the subject, the extensions section applied to a certificate, a CSR made from it. */
#include "dha/dha_conf.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdlib.h>

static EVP_PKEY *key;
static X509 *issuer;

static void init(void)
{
	key = EVP_EC_gen("P-256");
	issuer = X509_new();
	X509_set_pubkey(issuer, key);
	X509_NAME *n = X509_get_subject_name(issuer);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"DAK", -1, -1, 0);
	X509_set_issuer_name(issuer, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ats_dha_conf *c = NULL;
	ats_err err = {0};
	if (!key)
		init();
	if (ats_dha_conf_parse("device.conf", data, size, &c, &err) == 0) {
		(void)ats_dha_conf_subject(c);
		if (ats_dha_conf_has_section(c, "req_ext")) {
			X509 *x = X509_new();
			X509_set_pubkey(x, key);
			(void)ats_dha_conf_add_exts(c, "req_ext", x, issuer, &err);
			X509_free(x);
		}
		X509_REQ_free(ats_dha_conf_csr(c, key, &err));
		ats_dha_conf_free(c);
	}
	ERR_clear_error();
	return 0;
}
