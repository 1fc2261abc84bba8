/* Shared between provision.c (the batch: ids, resume, threads, report) and provision_dev.c (one
 * device folder: claim, build, commit). Not a public interface. */
#ifndef ATS_PROVISION_INT_H
#define ATS_PROVISION_INT_H

#include "dha/dak.h"
#include "dha/dha_tmpl.h"
#include "dha/provision.h"
#include "dha/provision_log.h"

#include <pthread.h>
#include <stdatomic.h>

#define PROV_CHUNK 32 /* devices per sync + rename + log append */

typedef struct prov_batch {
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
} prov_batch;

/* The worker thread: takes chunks of todo until none are left or the batch stops. */
void *ats_prov_worker(void *batch);

/* Removes the .tmp-<id> folders of killed runs whose device <id> is finished (whole keys that no
 * log names), never one a live run holds; returns how many. */
size_t ats_prov_sweep(prov_batch *b);

/* Records the first fatal error and stops every worker. */
void ats_prov_fail(prov_batch *b, int rc, const ats_err *err);

/* Reads a small file in a folder (bounded by cap); -1 when missing or larger. */
int ats_read_at(int dirfd, const char *name, unsigned char *buf, size_t cap, size_t *n);

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
