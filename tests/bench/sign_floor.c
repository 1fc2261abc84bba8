/* The floor of `dha sign` on this machine, on all cores: per device one ECDSA P-256 verify (the
 * CSR's self-signature, key already decoded), one ECDSA P-256 sign (the DAK's), and the same files
 * written the same way (a folder, three small files, a rename into place) in the given folder.
 *   sign_floor DIR N THREADS            -> "floor/s X"
 * And a PKCS#11 token's own signing rate (a loop of C_Sign, CKM_ECDSA, one session):
 *   sign_floor --p11 MODULE TOKEN_LABEL KEY_LABEL PIN_FILE -> "c_sign/s X"
 * bench_sign.sh compiles and runs it beside atscheck. */
#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char *dir;
static long per_thread;
static EVP_PKEY *dev, *dak;
static unsigned char dev_sig[80];
static size_t dev_sig_len;

static void put(int dfd, const char *name, const char *data, size_t n)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, data, n) != (ssize_t)n || close(fd) != 0)
		exit(1);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	unsigned char md[32] = {1}, sig[80];
	char pem[900], chain[1800], clkey[130], tmp[64], final[64];
	size_t siglen;
	memset(pem, 'A', sizeof(pem));
	memset(chain, 'A', sizeof(chain));
	memset(clkey, 'A', sizeof(clkey));
	EVP_PKEY_CTX *v = EVP_PKEY_CTX_new_from_pkey(NULL, dev, NULL);
	EVP_PKEY_CTX *s = EVP_PKEY_CTX_new_from_pkey(NULL, dak, NULL);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (!v || !s || dfd < 0 || EVP_PKEY_verify_init(v) <= 0 || EVP_PKEY_sign_init(s) <= 0 ||
	    EVP_PKEY_CTX_set_signature_md(v, EVP_sha256()) <= 0 || EVP_PKEY_CTX_set_signature_md(s, EVP_sha256()) <= 0)
		exit(1);
	for (long i = 0; i < per_thread; i++) {
		if (EVP_PKEY_verify(v, dev_sig, dev_sig_len, md, sizeof(md)) != 1)
			exit(1);
		siglen = sizeof(sig);
		if (EVP_PKEY_sign(s, sig, &siglen, md, sizeof(md)) != 1)
			exit(1);
		snprintf(tmp, sizeof(tmp), ".tmp-%ld-%ld", id, i);
		snprintf(final, sizeof(final), "d-%ld-%ld", id, i);
		if (mkdirat(dfd, tmp, 0755) != 0)
			exit(1);
		int f = openat(dfd, tmp, O_RDONLY | O_DIRECTORY);
		put(f, "device-certificate.pem", pem, 700);
		put(f, "chain.pem", chain, 1400);
		put(f, "dha-control-log-public-key.txt", clkey, 126);
		close(f);
		if (renameat(dfd, tmp, dfd, final) != 0)
			exit(1);
	}
	close(dfd);
	EVP_PKEY_CTX_free(v);
	EVP_PKEY_CTX_free(s);
	return NULL;
}

static int p11(int argc, char **argv)
{
	if (argc != 6)
		return 2;
	char pin[130] = "";
	FILE *pf = fopen(argv[5], "r");
	if (!pf || !fgets(pin, sizeof(pin), pf))
		return 1;
	fclose(pf);
	pin[strcspn(pin, "\r\n")] = '\0';
	void *lib = dlopen(argv[2], RTLD_NOW);
	CK_C_GetFunctionList gfl = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
	CK_FUNCTION_LIST_PTR f;
	CK_SLOT_ID slots[32], slot = 0;
	CK_ULONG ns = 32;
	int found = 0;
	if (!gfl || gfl(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK || f->C_GetSlotList(CK_TRUE, slots, &ns) != CKR_OK)
		return 1;
	for (CK_ULONG i = 0; i < ns && !found; i++) {
		CK_TOKEN_INFO ti;
		size_t n = sizeof(ti.label);
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		while (n && ti.label[n - 1] == ' ')
			n--;
		if (n == strlen(argv[3]) && memcmp(ti.label, argv[3], n) == 0)
			slot = slots[i], found = 1;
	}
	CK_SESSION_HANDLE s;
	if (!found || f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK ||
	    f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin)) != CKR_OK)
		return 1;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, argv[4], strlen(argv[4])}};
	CK_OBJECT_HANDLE k;
	CK_ULONG nk = 0;
	if (f->C_FindObjectsInit(s, t, 2) != CKR_OK || f->C_FindObjects(s, &k, 1, &nk) != CKR_OK || !nk)
		return 1;
	f->C_FindObjectsFinal(s);
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	unsigned char md[32] = {1}, sig[128];
	long n = 0;
	double t0 = now(), t1;
	for (; (t1 = now()) - t0 < 1.0; n++) {
		CK_ULONG sl = sizeof(sig);
		if (f->C_SignInit(s, &m, k) != CKR_OK || f->C_Sign(s, md, sizeof(md), sig, &sl) != CKR_OK)
			return 1;
	}
	printf("c_sign/s %.0f\n", (double)n / (t1 - t0));
	f->C_Logout(s);
	f->C_CloseSession(s);
	f->C_Finalize(NULL);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--p11") == 0)
		return p11(argc, argv);
	if (argc != 4)
		return 2;
	dir = argv[1];
	long n = atol(argv[2]), threads = atol(argv[3]);
	per_thread = n / threads;
	dev = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	dak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	unsigned char md[32] = {1};
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, dev, NULL);
	dev_sig_len = sizeof(dev_sig);
	if (!c || EVP_PKEY_sign_init(c) <= 0 || EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) <= 0 ||
	    EVP_PKEY_sign(c, dev_sig, &dev_sig_len, md, sizeof(md)) != 1)
		return 1;
	EVP_PKEY_CTX_free(c);
	pthread_t th[64];
	double t0 = now();
	for (long i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (long i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	double t1 = now();
	sync(); /* outside the timing: atscheck syncs once per chunk, a cost it pays and this does not */
	printf("floor/s %.0f\n", (double)(per_thread * threads) / (t1 - t0));
	return 0;
}
