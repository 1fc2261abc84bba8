/* Shared by dha_verify.c (one device) and dha_dir.c (a folder of them). Not public. */
#ifndef ATS_DHA_INT_H
#define ATS_DHA_INT_H

#include "dha/dha.h"
#include "dha/dha_conf.h"
#include "dha/dha_key.h"
#include "dha/dha_der.h"
#include "dha/dha_tmpl.h"

#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>

/* A DAK certificate, parsed once per batch however many devices it signed. */
typedef struct dha_dak {
	unsigned char sha[32];
	unsigned char *der;
	size_t len;
	X509 *x;
	ats_der_span subject; /* within der */
	bool ca, ku_present, ku_sign;
	time_t nb, na;
	ats_dha_tmpl *tmpl;   /* what device.conf makes under this DAK (with --config) */
	char tmpl_err[512];
	int anchor;           /* -1: no anchors given; 0: does not chain; 1: chains */
	char anchor_msg[256];
	struct dha_dak *next;
} dha_dak;

typedef struct dha_batch {
	const ats_dha_verify_opts *o;
	ats_dha_conf *conf;
	X509_STORE *store;
	pthread_mutex_t mu;
	dha_dak *daks;
} dha_batch;

int dha_batch_init(dha_batch *b, const ats_dha_verify_opts *o, ats_err *err);
void dha_batch_free(dha_batch *b);

/* What one thread reuses from device to device: the DAK the last device named (the next one
 * almost always names the same: its certificate bytes are compared, not hashed, and no lock is
 * taken), a verify context prepared for that DAK's key, and a key checker. */
typedef struct dha_worker {
	dha_batch *b;
	dha_dak *dak;
	EVP_PKEY_CTX *vctx; /* verify, SHA-256, the DAK's key; NULL until a device needs it */
	ats_key_checker *kc;
	bool listed; /* the files are ones a directory listing named regular (verify --dir) */
	int dirfd;         /* the listed folder, open while its device is checked (-1: none) */
	const char *dir;   /* its path: files under it are opened relative to dirfd */
	size_t dirlen;
	unsigned char buf[3][8192]; /* their bytes, when they fit */
} dha_worker;

void dha_worker_init(dha_worker *w, dha_batch *b);
void dha_worker_free(dha_worker *w);

/* Checks one certificate.pem. key and clkey may be NULL. full: every check and the certificate
 * facts (a single file); otherwise only what did not pass (one of many). Sets *v. Returns NULL
 * only when memory ran out. */
json_t *dha_verify_one(dha_worker *w, const char *path, const char *key, const char *clkey,
		       bool full, ats_verdict *v);

#endif
