#include "serve/pki.h"

#include "base/time_abi.h"
#include "base/util.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

EVP_PKEY *ats_pki_key_new(const char *spec, ats_err *err)
{
	EVP_PKEY *k = NULL;
	if (strncmp(spec, "rsa:", 4) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)atoi(spec + 4));
	else if (strncmp(spec, "ec:", 3) == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", spec + 3);
	if (!k) {
		ats_err_set(err, ATS_ECRYPTO, "key spec '%s': cannot generate", spec);
		ats_err_add_openssl(err);
	}
	return k;
}

X509_NAME *ats_pki_name(const char *subject)
{
	X509_NAME *n = X509_NAME_new();
	char *copy = strdup(subject), *p = copy;
	if (!n || !copy || *p != '/')
		goto bad;
	p++;
	while (*p) {
		char *eq = strchr(p, '='), *next;
		if (!eq)
			goto bad;
		*eq = '\0';
		next = strchr(eq + 1, '/');
		if (next)
			*next = '\0';
		if (!X509_NAME_add_entry_by_txt(n, p, MBSTRING_UTF8, (unsigned char *)eq + 1, -1, -1, 0))
			goto bad;
		if (!next)
			break;
		p = next + 1;
	}
	free(copy);
	return n;
bad:
	free(copy);
	X509_NAME_free(n);
	return NULL;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

static int add_san(X509 *x, const ats_pki_cert_opts *o)
{
	char buf[2048] = "";
	size_t n = 0;
	const char *lists[2] = {o->dns, o->ip}, *kinds[2] = {"DNS:", "IP:"};
	for (int k = 0; k < 2; k++) {
		if (!lists[k])
			continue;
		char *copy = strdup(lists[k]), *save = NULL;
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s%s", n ? "," : "", kinds[k], t);
		free(copy);
	}
	return n ? add_ext(x, x, NID_subject_alt_name, buf) : 0;
}

X509 *ats_pki_cert_new(const ats_pki_cert_opts *o, ats_err *err)
{
	X509 *x = X509_new();
	X509_NAME *name = o->subject_name ? X509_NAME_dup(o->subject_name) : ats_pki_name(o->subject);
	const char *label = o->subject ? o->subject : "(given name)";
	BIGNUM *bn = BN_new();
	EVP_PKEY *signer = o->issuer_key ? o->issuer_key : o->key;
	const EVP_MD *md = EVP_get_digestbyname(o->md ? o->md : "sha256");
	char bc[32], aia[300];

	if (!x || !name || !bn || !md) {
		ats_err_set(err, ATS_EUSAGE, "certificate '%s': bad subject or digest", label);
		goto bad;
	}
	/* A random positive 127-bit serial, as CAs do. */
	if (!BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, o->issuer ? X509_get_subject_name(o->issuer) : name) ||
	    !ats_asn1_time_set(X509_getm_notBefore(x), (int64_t)o->not_before) ||
	    !ats_asn1_time_set(X509_getm_notAfter(x), (int64_t)o->not_after) || !X509_set_pubkey(x, o->key))
		goto crypto;
	if (o->ca) {
		if (o->pathlen >= 0)
			snprintf(bc, sizeof(bc), "critical,CA:TRUE,pathlen:%d", o->pathlen);
		else
			snprintf(bc, sizeof(bc), "critical,CA:TRUE");
	} else {
		snprintf(bc, sizeof(bc), "critical,CA:FALSE");
	}
	if (add_ext(x, x, NID_basic_constraints, bc) ||
	    add_ext(x, x, NID_key_usage,
		    o->ca ? "critical,keyCertSign,cRLSign,digitalSignature"
			  : "critical,digitalSignature,keyEncipherment") ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    add_ext(x, o->issuer ? o->issuer : x, NID_authority_key_identifier, "keyid:always") ||
	    (!o->ca && add_ext(x, x, NID_ext_key_usage, "serverAuth,clientAuth")) || add_san(x, o))
		goto crypto;
	if (o->ocsp_url && (snprintf(aia, sizeof(aia), "OCSP;URI:%s", o->ocsp_url) >= (int)sizeof(aia) ||
			    add_ext(x, x, NID_info_access, aia)))
		goto crypto;
	if (!X509_sign(x, signer, md))
		goto crypto;
	X509_NAME_free(name);
	BN_free(bn);
	return x;
crypto:
	ats_err_set(err, ATS_ECRYPTO, "certificate '%s': cannot make it", label);
	ats_err_add_openssl(err);
bad:
	X509_free(x);
	X509_NAME_free(name);
	BN_free(bn);
	return NULL;
}

/* Renders with a memory BIO, then writes atomically. */
static int write_bio(const char *path, BIO *b, mode_t mode, ats_err *err)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	int rc = ats_file_write_atomic(path, data, (size_t)n, mode, err);
	ats_wipe(data, (size_t)n);
	return rc;
}

int ats_pki_write_key(const char *path, EVP_PKEY *key, ats_err *err)
{
	BIO *b = BIO_new(BIO_s_secmem());
	int rc = 0;
	if (!b)
		b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL))
		rc = ats_err_set(err, ATS_ECRYPTO, "%s: cannot encode the key", path);
	if (rc == 0)
		rc = write_bio(path, b, 0600, err);
	BIO_free(b);
	return rc;
}
