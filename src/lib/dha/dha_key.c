#include "dha/dha_key.h"

#include "dha/dha_tmpl.h"
#include "base/util.h"

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Never prompt for a passphrase (OpenSSL would read the terminal). */
static int no_pass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static EVP_PKEY *parse_key(const unsigned char *data, size_t len)
{
	EVP_PKEY *k = NULL;
	BIO *b = BIO_new_mem_buf(data, (int)len);
	if (b)
		k = PEM_read_bio_PrivateKey(b, NULL, no_pass, NULL);
	BIO_free(b);
	if (!k) {
		const unsigned char *p = data;
		k = d2i_AutoPrivateKey(NULL, &p, (long)len);
	}
	ERR_clear_error();
	return k;
}

static int key_error(const unsigned char *data, size_t len, const char *label, ats_err *err)
{
	if (memmem(data, len, "ENCRYPTED", 9))
		return ats_err_set(err, ATS_EPARSE,
				   "%s: the key is encrypted; give it unencrypted (openssl pkey -in "
				   "KEY -out KEY.plain), kept 0600",
				   label);
	return ats_err_set(err, ATS_EPARSE, "%s: not a private key (PEM or DER) OpenSSL can read",
			   label);
}

int ats_key_load(const char *path, const char *label, EVP_PKEY **out, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = ats_file_read(path, label, &data, &len, err);
	*out = NULL;
	if (rc != 0)
		return rc;
	*out = parse_key(data, len);
	if (!*out)
		rc = key_error(data, len, label ? label : path, err);
	ats_wipe(data, len);
	free(data);
	return rc;
}

/* The DER of the first PRIVATE KEY / EC PRIVATE KEY block, into out (cap bytes). */
static int pem_key_der(const unsigned char *data, size_t len, unsigned char *out, size_t cap,
		       size_t *n)
{
	static const char *labels[] = {"-----BEGIN PRIVATE KEY-----", "-----BEGIN EC PRIVATE KEY-----"};
	for (int i = 0; i < 2; i++) {
		const char *b = memmem(data, len, labels[i], strlen(labels[i]));
		if (!b)
			continue;
		const char *body = b + strlen(labels[i]);
		const char *e = memmem(body, len - (size_t)(body - (const char *)data), "-----END ", 9);
		if (!e)
			return -1;
		return ats_b64_decode_loose(body, (size_t)(e - body), out, cap, n);
	}
	return -1;
}

static EC_GROUP *p256;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;
static void p256_init(void)
{
	p256 = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
}

struct ats_key_checker {
	BN_CTX *ctx;
	BIGNUM *d;
	EC_POINT *q, *want;
};

void ats_key_checker_free(ats_key_checker *kc)
{
	if (!kc)
		return;
	EC_POINT_free(kc->q);
	EC_POINT_free(kc->want);
	BN_clear_free(kc->d);
	BN_CTX_free(kc->ctx);
	free(kc);
}

ats_key_checker *ats_key_checker_new(void)
{
	ats_key_checker *kc = calloc(1, sizeof(*kc));
	pthread_once(&p256_once, p256_init);
	if (!kc || !p256 || !(kc->ctx = BN_CTX_secure_new()) || !(kc->d = BN_secure_new()) ||
	    !(kc->q = EC_POINT_new(p256)) || !(kc->want = EC_POINT_new(p256))) {
		ats_key_checker_free(kc);
		return NULL;
	}
	return kc;
}

/* 1: scalar x G is point; 0: it is not (or point is not on the curve); -1: could not compute. */
static int scalar_is_point(ats_key_checker *kc, const unsigned char scalar[32],
			   const unsigned char point[ATS_P256_POINT_LEN])
{
	int r = -1;
	if (!BN_bin2bn(scalar, 32, kc->d))
		return -1;
	if (!EC_POINT_oct2point(p256, kc->want, point, ATS_P256_POINT_LEN, kc->ctx))
		r = 0;
	else if (EC_POINT_mul(p256, kc->q, kc->d, NULL, NULL, kc->ctx))
		r = EC_POINT_cmp(p256, kc->q, kc->want, kc->ctx) == 0;
	BN_clear(kc->d);
	ERR_clear_error();
	return r;
}

int ats_key_data_matches_point(ats_key_checker *kc, unsigned char *data, size_t len,
			       const char *label, const unsigned char point[ATS_P256_POINT_LEN],
			       bool *match, const char **why, ats_err *err)
{
	unsigned char der[256], got[ATS_P256_POINT_LEN];
	const unsigned char *scalar, *pub;
	size_t n = 0;
	EVP_PKEY *k = NULL;
	ats_key_checker *own = NULL;
	int rc = 0, same;

	*match = false;
	*why = "";
	if (!kc)
		kc = own = ats_key_checker_new();
	if (kc && pem_key_der(data, len, der, sizeof(der), &n) == 0 &&
	    ats_p256_key_split(der, n, &scalar, &pub) == 0 &&
	    (same = scalar_is_point(kc, scalar, point)) >= 0) {
		*match = same == 1;
		*why = "the private key of another P-256 public key";
		goto out;
	}
	k = parse_key(data, len);
	if (!k) {
		rc = key_error(data, len, label, err);
		goto out;
	}
	if (ats_p256_raw(k, got, NULL) != 0) {
		*why = EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA ? "an RSA key" : "not a P-256 key";
		goto out;
	}
	*match = memcmp(got, point, ATS_P256_POINT_LEN) == 0;
	*why = "the private key of another P-256 public key";
out:
	ats_key_checker_free(own);
	EVP_PKEY_free(k);
	ats_wipe(der, sizeof(der));
	ats_wipe(data, len);
	return rc;
}

int ats_key_matches_point(ats_key_checker *kc, const char *path, const char *label,
			  const unsigned char point[ATS_P256_POINT_LEN], bool *match,
			  const char **why, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0;
	int rc = ats_file_read(path, label, &data, &len, err);
	*match = false;
	*why = "";
	if (rc != 0)
		return rc;
	rc = ats_key_data_matches_point(kc, data, len, label ? label : path, point, match, why, err);
	free(data);
	return rc;
}
