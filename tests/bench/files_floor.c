/* The file floor of provisioning: the same device folders and files `atscheck dha provision`
 * writes (seven files of the sizes given), with nothing else: no keys, no signatures, no
 * barcode, no control log. Three ways:
 *   bare     mkdir + the files, nothing more;
 *   durable  what provisioning's durability design needs on top: each folder made under a
 *            temporary name, one syncfs per chunk of 32, each renamed into place, the parent
 *            folder fsync'd;
 *   crypto   durable, and per device the crypto floor too: a P-256 key generated (one reused
 *            context per thread), a signature with it (a context for the new key, as EVP needs)
 *            and one with a DAK key (one context per thread): the whole floor of a device, on
 *            all threads at once, so the two cores' interplay is in it, not assumed.
 * Prints devices/s. Used by bench_dha.sh, beside atscheck's own figure:
 *   files_floor OUT COUNT JOBS bare|durable|crypto SIZE...   (one SIZE per file, in bytes) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 32
#define MAX_FILES 16

static int outfd, durable, crypto, nfiles;
static EVP_PKEY *dak;
static size_t count, sizes[MAX_FILES];
static atomic_size_t next;
static atomic_int failed;
static char data[65536];

static int write_file(int dfd, const char *name, size_t len)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	int ok = write(fd, data, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
}

/* A signature over a fixed SHA-256-sized digest with a sign-initialised context. */
static int sign(EVP_PKEY_CTX *c)
{
	static const unsigned char md[32] = {1};
	unsigned char sig[80];
	size_t n = sizeof(sig);
	return EVP_PKEY_sign(c, sig, &n, md, sizeof(md)) == 1 ? 0 : -1;
}

static int sign_init(EVP_PKEY_CTX *c)
{
	return c && EVP_PKEY_sign_init(c) > 0 && EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) > 0 ? 0
												    : -1;
}

/* One device's crypto: a new key, a signature with it and one with the DAK. */
static int device_crypto(EVP_PKEY_CTX *kctx, EVP_PKEY_CTX *dctx)
{
	EVP_PKEY *k = NULL;
	EVP_PKEY_CTX *own = NULL;
	int rc = -1;
	if (EVP_PKEY_keygen(kctx, &k) > 0 && sign_init(own = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) == 0 &&
	    sign(own) == 0 && sign(dctx) == 0)
		rc = 0;
	EVP_PKEY_CTX_free(own);
	EVP_PKEY_free(k);
	return rc;
}

static void *worker(void *arg)
{
	char tmp[CHUNK][64], id[CHUNK][64], fname[32];
	EVP_PKEY_CTX *kctx = NULL, *dctx = NULL;
	(void)arg;
	if (crypto && (!(kctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) ||
		       EVP_PKEY_keygen_init(kctx) <= 0 || EVP_PKEY_CTX_set_group_name(kctx, "P-256") <= 0 ||
		       sign_init(dctx = EVP_PKEY_CTX_new_from_pkey(NULL, dak, NULL)) != 0))
		goto fail;
	for (;;) {
		size_t start = atomic_fetch_add(&next, CHUNK);
		if (start >= count)
			break;
		size_t n = start + CHUNK < count ? CHUNK : count - start;
		for (size_t i = 0; i < n; i++) {
			if (crypto && device_crypto(kctx, dctx) != 0)
				goto fail;
			snprintf(id[i], sizeof(id[i]), "D-%08zu", start + i);
			snprintf(tmp[i], sizeof(tmp[i]), "%s%.50s", durable ? ".tmp-" : "", id[i]);
			if (mkdirat(outfd, tmp[i], 0755) != 0)
				goto fail;
			int dfd = openat(outfd, tmp[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd < 0)
				goto fail;
			for (int f = 0; f < nfiles; f++) {
				snprintf(fname, sizeof(fname), "file%d", f);
				if (write_file(dfd, fname, sizes[f]) != 0) {
					close(dfd);
					goto fail;
				}
			}
			close(dfd);
		}
		if (!durable)
			continue;
		if (syncfs(outfd) != 0)
			goto fail;
		for (size_t i = 0; i < n; i++)
			if (renameat(outfd, tmp[i], outfd, id[i]) != 0)
				goto fail;
		if (fsync(outfd) != 0)
			goto fail;
	}
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_CTX_free(dctx);
	return NULL;
fail:
	perror("files_floor");
	atomic_store(&failed, 1);
	EVP_PKEY_CTX_free(kctx);
	EVP_PKEY_CTX_free(dctx);
	return NULL;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	if (argc < 6 || (strcmp(argv[4], "bare") && strcmp(argv[4], "durable") && strcmp(argv[4], "crypto"))) {
		fprintf(stderr, "usage: files_floor OUT COUNT JOBS bare|durable|crypto SIZE...\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	int jobs = atoi(argv[3]);
	crypto = strcmp(argv[4], "crypto") == 0;
	durable = crypto || strcmp(argv[4], "durable") == 0;
	if (crypto && !(dak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"))) {
		fprintf(stderr, "files_floor: cannot make a DAK key\n");
		return 1;
	}
	for (int i = 5; i < argc && nfiles < MAX_FILES; i++) {
		sizes[nfiles] = strtoul(argv[i], NULL, 10);
		if (sizes[nfiles] > sizeof(data))
			sizes[nfiles] = sizeof(data);
		nfiles++;
	}
	memset(data, 'A', sizeof(data));
	if (mkdir(argv[1], 0755) != 0 || (outfd = open(argv[1], O_RDONLY | O_DIRECTORY)) < 0) {
		perror(argv[1]);
		return 1;
	}
	if (jobs < 1 || jobs > 64)
		jobs = 1;
	pthread_t t[64];
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < jobs; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < jobs; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	EVP_PKEY_free(dak);
	if (failed)
		return 1;
	double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("%.0f\n", (double)count / s);
	return 0;
}
