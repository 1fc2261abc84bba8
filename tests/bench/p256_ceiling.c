/* What this machine's OpenSSL can do for one provisioned device, per core: P-256 key generations
 * (one reused context, as provisioning does) and ECDSA P-256 signatures (SHA-256) per second.
 * bench_dha.sh compiles and runs it beside `openssl speed -seconds 1 ecdsap256`. */
#include <openssl/evp.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(void)
{
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	unsigned char md[32] = {1}, sig[80];
	size_t siglen;
	long n = 0;
	double t0, t;

	if (!kctx || EVP_PKEY_keygen_init(kctx) <= 0 || EVP_PKEY_CTX_set_group_name(kctx, "P-256") <= 0)
		return 1;
	for (t0 = now(); (t = now()) - t0 < 1.0; n++) {
		EVP_PKEY_free(k);
		k = NULL;
		if (EVP_PKEY_keygen(kctx, &k) <= 0)
			return 1;
	}
	printf("keygen/s %.0f\n", (double)n / (t - t0));
	EVP_PKEY_CTX *s = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
	if (!s || EVP_PKEY_sign_init(s) <= 0 || EVP_PKEY_CTX_set_signature_md(s, EVP_sha256()) <= 0)
		return 1;
	for (n = 0, t0 = now(); (t = now()) - t0 < 1.0; n++) {
		siglen = sizeof(sig);
		if (EVP_PKEY_sign(s, sig, &siglen, md, sizeof(md)) <= 0)
			return 1;
	}
	printf("sign/s %.0f\n", (double)n / (t - t0));
	EVP_PKEY_CTX_free(s);
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_free(k);
	return 0;
}
