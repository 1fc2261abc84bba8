/* Shared between provision.c (the batch: ids, resume, threads, report) and provision_dev.c (one
 * device folder: claim, build, commit). Not a public interface. */
#ifndef ATS_PROVISION_INT_H
#define ATS_PROVISION_INT_H

#include "dha/dak.h"
#include "dha/dha_tmpl.h"
#include "dha/provision.h"
#include "dha/provision_log.h"
#include "dha/provision_make.h"

#include <pthread.h>
#include <stdatomic.h>

#define PROV_CHUNK 32 /* devices per sync + rename + log append */

/* One device being made: its claimed temporary folder and its control-log record. */
typedef struct prov_slot {
	const char *id;
	int fd; /* the claimed folder, flock'ed */
	char tmp[ATS_DEVICE_ID_MAX + 8];
	ats_prov_record rec;
	size_t todo; /* index into the batch's todo */
	int renamed;
} prov_slot;

typedef struct prov_batch prov_batch;

/* Fills a claimed folder with a device's files and s->rec. */
typedef int (*prov_build_fn)(prov_batch *b, ats_prov_maker *m, prov_slot *s, ats_err *err);

struct prov_batch {
	const ats_provision_opts *o;
	ats_dak *dak;
	ats_dha_tmpl *tmpl;
	ats_prov_log *log;
	int outfd;
	char **ids;
	size_t nids;
	size_t *todo, ntodo;
	char time_iso[32];
	atomic_size_t next;
	atomic_size_t made, elsewhere, failed;
	size_t swept; /* killed runs' leftovers removed (see ats_prov_sweep) */
	atomic_size_t progressed; /* devices handled by workers, for progress */
	atomic_int stop;
	pthread_mutex_t mu; /* guards rc, err, problems */
	int rc;
	ats_err err;
	json_t *problems;
	/* What differs between provision and sign (dha_sign.c); NULL / false for provision. */
	prov_build_fn build;
	const char *const *recover_files; /* the files a complete folder holds */
	bool unique_keys; /* refuse at commit a key another device has in the control log */
	atomic_size_t refused;
	void (*on_refused)(prov_batch *b, const prov_slot *s); /* under the log lock */
	void *ctx;
};

/* The worker thread: takes chunks of todo until none are left or the batch stops. */
void *ats_prov_worker(void *batch);

/* Removes the .tmp-<id> folders of killed runs whose device <id> is finished (whole keys that no
 * log names), never one a live run holds; returns how many. */
size_t ats_prov_sweep(prov_batch *b);

/* Records the first fatal error and stops every worker. */
void ats_prov_fail(prov_batch *b, int rc, const ats_err *err);

/* Reads a small file in a folder (bounded by cap); -1 when missing or larger. */
int ats_read_at(int dirfd, const char *name, unsigned char *buf, size_t cap, size_t *n);

/* Writes a new file in a folder (O_EXCL); -1 with errno on failure. */
int ats_prov_write_at(int dirfd, const char *name, const void *data, size_t len, mode_t mode);

/* Sorts the batch's devices into done (a log line), recovered (a folder without its line) and
 * todo; then runs the workers over todo. 0, or the first fatal error (err set). */
/* The DAK (certificate and key), device.conf and the template; warnings to b->problems. */
int ats_prov_load_inputs(prov_batch *b, ats_dha_conf **conf, ats_err *err);
/* Adds a problem to the batch's report (any thread). */
void ats_prov_problem(prov_batch *b, ats_verdict sev, const char *msg, const char *fix);
int ats_prov_open_out(prov_batch *b, ats_err *err); /* mkdir and open b->o->out_dir */
int ats_prov_plan(prov_batch *b, size_t *done, size_t *recovered, ats_err *err);
int ats_prov_run_workers(prov_batch *b, ats_err *err);

/* The control-log record of a made or recovered device. */
void ats_prov_record_fill(ats_prov_record *r, const char *id, const unsigned char spki[91],
			  const unsigned char *serial, size_t serial_len, const unsigned char sha[32],
			  const char *time_iso);

/* The files every device folder holds (barcodes apart). */
#define F_KEY "private_key.pem"
#define F_CSR "device.csr"
#define F_CERT "device-certificate.pem"
#define F_CHAIN "certificate.pem"
#define F_CLKEY "dha-control-log-public-key.txt"
#define F_ID "device-id.txt"

#endif
