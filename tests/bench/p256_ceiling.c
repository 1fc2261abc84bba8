/* What this machine's OpenSSL can do on N threads at once (default 1), the floor of one
 * provisioned or verified device: P-256 key generations (one reused context, as provisioning does),
 * ECDSA P-256 signatures and verifications (SHA-256 digests) per second, summed over the threads.
 * The threads run each phase together, for a second: on this project's VMs the second core does
 * not always give a second core's work (measured with `openssl speed -multi 2 ecdsap256`: 1.27x
 * one core's signatures in one run, 1.87x a minute later), so the floor on all cores is measured,
 * next to the run it is the floor of, not multiplied. bench_dha.sh compiles and runs it. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define MAX_THREADS 64

static pthread_barrier_t start;

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct rates {
	double keygen, sign, verify;
	int ok;
};

/* Every thread passes all three barriers, failed or not, so one failure cannot leave the others
 * waiting: a failed thread stops measuring and the run fails. */
static void *worker(void *arg)
{
	struct rates *r = arg;
	EVP_PKEY_CTX *kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL), *s = NULL, *v = NULL;
	EVP_PKEY *k = NULL;
	unsigned char md[32] = {1}, sig[80];
	size_t siglen = 0;
	long n;
	double t0, t;
	int ok = kctx && EVP_PKEY_keygen_init(kctx) > 0 && EVP_PKEY_CTX_set_group_name(kctx, "P-256") > 0;

	pthread_barrier_wait(&start);
	for (n = 0, t0 = t = now(); ok && (t = now()) - t0 < 1.0; n++) {
		EVP_PKEY_free(k);
		k = NULL;
		ok = EVP_PKEY_keygen(kctx, &k) > 0;
	}
	r->keygen = (double)n / (t - t0);
	ok = ok && (s = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) && EVP_PKEY_sign_init(s) > 0 &&
	     EVP_PKEY_CTX_set_signature_md(s, EVP_sha256()) > 0;
	pthread_barrier_wait(&start);
	for (n = 0, t0 = t = now(); ok && (t = now()) - t0 < 1.0; n++) {
		siglen = sizeof(sig);
		ok = EVP_PKEY_sign(s, sig, &siglen, md, sizeof(md)) > 0;
	}
	r->sign = (double)n / (t - t0);
	ok = ok && (v = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) && EVP_PKEY_verify_init(v) > 0 &&
	     EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()) > 0;
	pthread_barrier_wait(&start);
	for (n = 0, t0 = t = now(); ok && (t = now()) - t0 < 1.0; n++)
		ok = EVP_PKEY_verify(v, sig, siglen, md, sizeof(md)) == 1;
	r->verify = (double)n / (t - t0);
	r->ok = ok;
	EVP_PKEY_CTX_free(v);
	EVP_PKEY_CTX_free(s);
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_free(k);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 1;
	pthread_t tid[MAX_THREADS];
	struct rates r[MAX_THREADS] = {{0}}, sum = {0};

	if (threads < 1 || threads > MAX_THREADS) {
		fprintf(stderr, "usage: p256_ceiling [threads, 1 to %d]\n", MAX_THREADS);
		return 2;
	}
	pthread_barrier_init(&start, NULL, (unsigned)threads);
	for (int i = 0; i < threads; i++)
		if (pthread_create(&tid[i], NULL, worker, &r[i]) != 0)
			return 1;
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		if (!r[i].ok)
			return 1;
		sum.keygen += r[i].keygen;
		sum.sign += r[i].sign;
		sum.verify += r[i].verify;
	}
	printf("keygen/s %.0f\nsign/s %.0f\nverify/s %.0f\n", sum.keygen, sum.sign, sum.verify);
	return 0;
}
