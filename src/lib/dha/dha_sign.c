/* The sign batch: list the CSRs, check each (in parallel), refuse duplicates, then hand the rest
 * to provision's workers with a build step of its own (no key is made: the CSR's is certified). */
#include "dha/dha_sign.h"

#include "report/tree.h"
#include "base/pem.h"
#include "base/util.h"
#include "dha/dha_csr.h"
#include "dha/dha_par.h"
#include "dha/keyset.h"
#include "dha/provision_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct csr_entry {
	char *path;
	char id[ATS_DEVICE_ID_MAX + 1];
	unsigned char point[ATS_P256_POINT_LEN];
	const char *check; /* the failed check, NULL when good */
	char *msg;         /* why (malloc'd), only when refused */
	char *dropped;     /* requested extensions dropped (malloc'd), or NULL */
} csr_entry;

typedef struct sign_batch {
	const ats_sign_opts *o;
	prov_batch *pb;
	csr_entry *v;
	size_t n, cap;
	ats_csr_checker ck;
	atomic_size_t next, checked;
	atomic_int nomem;
	ats_csr_result *one; /* a single CSR: every check, for the report */
	size_t refused;
	json_t *refused_list, *dropped_list;
} sign_batch;

static const char *const sign_files[] = {F_CERT, F_CLKEY, NULL};

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

/* The device id a CSR file names: ${device_name}.csr (or .der, .pem). */
static void id_from_name(const char *path, char *id, size_t cap)
{
	const char *b = base_name(path), *dot = strrchr(b, '.');
	size_t n = dot && (strcmp(dot, ".csr") == 0 || strcmp(dot, ".der") == 0 || strcmp(dot, ".pem") == 0)
			   ? (size_t)(dot - b)
			   : strlen(b);
	if (n >= cap)
		n = cap - 1; /* too long: ats_device_id_ok refuses it below anyway */
	memcpy(id, b, n);
	id[n] = '\0';
}

static int add_entry(sign_batch *s, const char *path, ats_err *err)
{
	if (s->n == ATS_SIGN_MAX_CSRS)
		return ats_err_set(err, ATS_EUSAGE, "%s: more than %d CSRs; sign them in several runs",
				   s->o->dir ? s->o->dir : path, ATS_SIGN_MAX_CSRS);
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		csr_entry *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return ats_err_set(err, ATS_ENOMEM, "out of memory");
		s->v = v;
		s->cap = cap;
	}
	csr_entry *e = &s->v[s->n];
	memset(e, 0, sizeof(*e));
	if (!(e->path = strdup(path)))
		return ats_err_set(err, ATS_ENOMEM, "out of memory");
	s->n++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const csr_entry *)a)->path, ((const csr_entry *)b)->path);
}

static int list_csrs(sign_batch *s, ats_err *err)
{
	const ats_sign_opts *o = s->o;
	int rc = 0;
	if (o->csrs) {
		for (size_t i = 0; o->csrs[i] && rc == 0; i++)
			rc = add_entry(s, o->csrs[i], err);
	}
	if (rc == 0 && o->dir) {
		DIR *d = opendir(o->dir);
		struct dirent *e;
		if (!d)
			return ats_err_set(err, ATS_EIO, "%s: cannot read the folder: %s", o->dir, strerror(errno));
		while (rc == 0 && (e = readdir(d))) {
			const char *dot = strrchr(e->d_name, '.');
			if (e->d_name[0] == '.' || !dot || (strcmp(dot, ".csr") != 0 && strcmp(dot, ".der") != 0))
				continue;
			size_t len = strlen(o->dir) + strlen(e->d_name) + 2;
			char *p = malloc(len);
			if (!p) {
				rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
				break;
			}
			snprintf(p, len, "%s/%s", o->dir, e->d_name);
			rc = add_entry(s, p, err);
			free(p);
		}
		closedir(d);
		if (rc == 0 && s->n == 0)
			rc = ats_err_set(err, ATS_EUSAGE, "%s: no *.csr or *.der file in it", o->dir);
		/* A stable order: the report and the control log read the same run after run. */
		if (rc == 0)
			qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
	}
	if (rc == 0 && s->n == 0)
		rc = ats_err_set(err, ATS_EUSAGE, "sign: no CSR given");
	if (rc == 0 && o->id && s->n != 1)
		rc = ats_err_set(err, ATS_EUSAGE, "sign: a device id names one CSR, not %zu", s->n);
	return rc;
}

static void refuse(csr_entry *e, const char *check, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void refuse(csr_entry *e, const char *check, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	if (e->check)
		return; /* the first reason stands */
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e->check = check;
	e->msg = strdup(buf); /* NULL when out of memory: the check's name still says it */
}

/* Reads a CSR file, at most ATS_CSR_FILE_MAX bytes (one more tells it is larger). */
static int read_csr(const char *path, unsigned char *buf, size_t *n, char *why, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	*n = 0;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, cap, "%s", fd < 0 ? strerror(errno) : "not a regular file");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (;;) {
		ssize_t r = read(fd, buf + *n, ATS_CSR_FILE_MAX + 1 - *n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, cap, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		/* stop at the size fstat gave: no second read to learn the end */
		if (r == 0 || (*n += (size_t)r) == ATS_CSR_FILE_MAX + 1 || *n == (size_t)st.st_size)
			break;
	}
	close(fd);
	return 0;
}

static void *check_worker(void *arg)
{
	sign_batch *s = arg;
	unsigned char *buf = malloc(ATS_CSR_FILE_MAX + 1);
	ats_csr_result *r = malloc(sizeof(*r));
	char why[256];
	size_t n;
	EVP_PKEY *scratch = NULL;
	if (!buf || !r) {
		atomic_store(&s->nomem, 1);
		goto out;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&s->next, 1);
		if (i >= s->n)
			break;
		csr_entry *e = &s->v[i];
		if (read_csr(e->path, buf, &n, why, sizeof(why)) != 0) {
			refuse(e, "parses", "cannot read: %s", why);
		} else {
			int c = ats_csr_check(&s->ck, &scratch, buf, n, r);
			if (c < 0) {
				atomic_store(&s->nomem, 1);
				break;
			}
			if (c == 1)
				refuse(e, ats_csr_check_names[r->failed], "%s", r->msg[r->failed]);
			else
				memcpy(e->point, r->point, sizeof(e->point));
			if (r->dropped[0] && !(e->dropped = strdup(r->dropped)))
				atomic_store(&s->nomem, 1);
			if (s->one && s->n == 1)
				*s->one = *r;
		}
		atomic_fetch_add(&s->checked, 1);
	}
out:
	EVP_PKEY_free(scratch);
	free(buf);
	free(r);
	return NULL;
}

/* Batch-wide: ids fit and unique, keys unique (in the batch and against the control log). */
static int batch_checks(sign_batch *s, ats_prov_log *log, ats_err *err)
{
	ats_keyset seen = {0}, twice = {0}, ids = {0};
	int rc = 0;
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		csr_entry *e = &s->v[i];
		unsigned char d[32];
		if (s->o->id)
			snprintf(e->id, sizeof(e->id), "%s", s->o->id);
		else
			id_from_name(e->path, e->id, sizeof(e->id));
		if (!ats_device_id_ok(e->id)) {
			refuse(e, "device-id",
			       "'%s' is not a device id (1-64 of A-Z a-z 0-9 . _ -, not starting with . or -)", e->id);
			e->id[0] = '\0';
			continue;
		}
		ats_sha256(e->id, strlen(e->id), d);
		if (ats_keyset_add(&ids, d) == 0)
			refuse(e, "device-id", "device id '%s' is given by another CSR of this batch too", e->id);
		if (e->check)
			continue;
		ats_sha256(e->point, sizeof(e->point), d);
		int a = ats_keyset_add(&seen, d);
		if (a < 0 || (a == 0 && ats_keyset_add(&twice, d) < 0))
			rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		csr_entry *e = &s->v[i];
		unsigned char d[32], spki[ATS_P256_SPKI_LEN];
		char b64[128];
		if (e->check)
			continue;
		ats_sha256(e->point, sizeof(e->point), d);
		if (ats_keyset_has(&twice, d)) {
			refuse(e, "unique-key", "its public key is in another CSR of this batch too: a cloned "
						"secure element, or one device's CSR under two names");
			continue;
		}
		ats_p256_spki(e->point, spki);
		EVP_EncodeBlock((unsigned char *)b64, spki, sizeof(spki));
		if (!ats_prov_log_has(log, e->id) && ats_prov_log_has_key(log, b64))
			refuse(e, "unique-key", "its public key is already in %s/control-log.csv under another "
						"device id: a cloned secure element", s->o->out_dir);
	}
	ats_keyset_free(&seen);
	ats_keyset_free(&twice);
	ats_keyset_free(&ids);
	return rc;
}

static int sign_build(prov_batch *b, ats_prov_maker *m, prov_slot *sl, ats_err *err)
{
	sign_batch *s = b->ctx;
	csr_entry *e = &s->v[b->todo[sl->todo]];
	ats_prov_device d;
	char chain_name[ATS_DEVICE_ID_MAX + 8], clkey[200], *buf = NULL;
	const char *name = F_CERT;
	int rc;

	if ((rc = ats_prov_certify(m, e->point, NULL, &d, err)) != 0)
		return rc;
	size_t cap = ats_pem_encoded_len(d.cert_len, "CERTIFICATE") + b->dak->pem_len;
	if (!(buf = malloc(cap)))
		return ats_err_set(err, ATS_ENOMEM, "out of memory");
	size_t cert_n = ats_pem_encode(d.cert, d.cert_len, "CERTIFICATE", buf);
	rc = ATS_EIO;
	if (ats_prov_write_at(sl->fd, name, buf, cert_n, 0644) != 0)
		goto out;
	memcpy(buf + cert_n, b->dak->pem, b->dak->pem_len);
	snprintf(chain_name, sizeof(chain_name), "%s.pem", sl->id);
	if (ats_prov_write_at(sl->fd, name = chain_name, buf, cert_n + b->dak->pem_len, 0644) != 0)
		goto out;
	size_t cl_n = ats_b64_lines(d.spki, sizeof(d.spki), clkey);
	if (ats_prov_write_at(sl->fd, name = F_CLKEY, clkey, cl_n, 0644) != 0)
		goto out;
	ats_prov_record_fill(&sl->rec, sl->id, d.spki, d.serial, sizeof(d.serial), d.cert_sha256,
			     b->time_iso);
	rc = 0;
out:
	if (rc != 0)
		ats_err_set(err, ATS_EIO, "%s/%s/%s: cannot write: %s", b->o->out_dir, sl->tmp, name,
			    strerror(errno));
	free(buf);
	return rc;
}

static void list_refusal(sign_batch *s, const csr_entry *e)
{
	s->refused++;
	if (json_array_size(s->refused_list) < ATS_SIGN_MAX_LISTED)
		json_array_append_new(s->refused_list,
				      json_pack("{s:s, s:s, s:s, s:s}", "file", e->path, "device_id", e->id,
						"check", e->check, "message", e->msg ? e->msg : e->check));
	char msg[1024];
	if (s->refused <= 20) {
		snprintf(msg, sizeof(msg), "%s: refused (%s): %s", e->path, e->check, e->msg ? e->msg : e->check);
		ats_prov_problem(s->pb, ATS_VERDICT_CRITICAL, msg,
				 "nothing was signed for this CSR; ask the device for a new one, or set the "
				 "device aside");
	}
}

/* A key another run logged while this one worked (commit, under the log lock). */
static void on_refused(prov_batch *b, const prov_slot *sl)
{
	sign_batch *s = b->ctx;
	csr_entry *e = &s->v[b->todo[sl->todo]];
	pthread_mutex_lock(&b->mu);
	refuse(e, "unique-key", "its public key was logged under another device id by another run "
				"into the same folder: a cloned secure element");
	pthread_mutex_unlock(&b->mu);
}

static const char *status_name(ats_csr_status st)
{
	return st == ATS_CSR_PASS ? "pass" : st == ATS_CSR_FAIL ? "fail" : "skip";
}

static json_t *report(sign_batch *s, prov_batch *b, size_t done, size_t recovered)
{
	const ats_sign_opts *o = s->o;
	ats_verdict v = ATS_VERDICT_OK;
	size_t i, made = atomic_load(&b->made), elsewhere = atomic_load(&b->elsewhere);
	char subj[512] = "", nb[32], na[32], msg[256];

	for (i = 0; i < s->n; i++) {
		if (s->v[i].check)
			list_refusal(s, &s->v[i]);
		if (s->v[i].dropped && json_array_size(s->dropped_list) < ATS_SIGN_MAX_LISTED)
			json_array_append_new(s->dropped_list, json_pack("{s:s, s:s, s:s}", "file", s->v[i].path,
									 "device_id", s->v[i].id, "dropped",
									 s->v[i].dropped));
	}
	if (s->refused > 20) {
		snprintf(msg, sizeof(msg), "%zu more CSRs refused (listed under \"refused\")", s->refused - 20);
		ats_prov_problem(b, ATS_VERDICT_CRITICAL, msg, "see each one's check and message");
	}
	if (elsewhere) {
		snprintf(msg, sizeof(msg), "%zu devices were being signed by another run into the same folder",
			 elsewhere);
		ats_prov_problem(b, ATS_VERDICT_WARNING, msg,
				 "run the same command again when the other run ends: it signs whatever "
				 "is still missing");
	}
	v = ats_report_worst(b->problems, v);
	ats_der_cert dc;
	if (ats_der_cert_read(b->dak->der, b->dak->der_len, &dc) == 0)
		ats_der_name_text(dc.subject, subj, sizeof(subj));
	json_t *r = ats_report_new("dha sign");
	if (!r)
		return NULL;
	ats_report_close(r, v, json_incref(b->problems));
	if (json_object_update_new(r, json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:s}, s:i, s:s, s:s, s:i,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:O, s:O, s:{s:s+, s:s+, s:I}}",
		"out", o->out_dir, "config", o->conf, "dak", "certificate", o->dak_cert,
		"subject", subj, "key", o->dak_key, "days", o->days, "not_before",
		ats_time_format(o->now, nb, sizeof(nb)), "not_after",
		ats_time_format(o->now + (time_t)o->days * 86400, na, sizeof(na)), "jobs", o->jobs,
		"csrs", "given", (json_int_t)s->n, "signed", (json_int_t)made, "already_done",
		(json_int_t)done, "recovered", (json_int_t)recovered, "refused", (json_int_t)s->refused,
		"in_progress_elsewhere", (json_int_t)elsewhere, "failed",
		(json_int_t)atomic_load(&b->failed), "refused", s->refused_list, "dropped_extensions",
		s->dropped_list, "control_log", "csv", o->out_dir, "/control-log.csv", "jsonl",
		o->out_dir, "/control-log.jsonl", "records", (json_int_t)ats_prov_log_count(b->log))) != 0) {
		json_decref(r);
		return NULL;
	}
	if (r && s->n == 1) {
		json_t *checks = json_array();
		json_object_set_new(r, "file", json_string(s->v[0].path));
		json_object_set_new(r, "device_id", json_string(s->v[0].id));
		for (int c = 0; s->one && c < ATS_CSR_NCHECKS; c++)
			json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "name", ats_csr_check_names[c],
								"status", status_name(s->one->status[c]),
								"message", s->one->msg[c]));
		json_object_set_new(r, "checks", checks);
	}
	return r;
}

int ats_sign_run(const ats_sign_opts *o, json_t **out, ats_err *err)
{
	sign_batch s;
	prov_batch b;
	ats_provision_opts po = {0};
	ats_dha_conf *conf = NULL;
	ats_csr_result one;
	unsigned char dak_point[ATS_P256_POINT_LEN];
	size_t done = 0, recovered = 0;
	int rc;

	*out = NULL;
	memset(&s, 0, sizeof(s));
	memset(&b, 0, sizeof(b));
	memset(&one, 0, sizeof(one));
	po.conf = o->conf;
	po.section = o->section;
	po.dak_cert = o->dak_cert;
	po.dak_key = o->dak_key;
	po.allow_open_dak_key = o->allow_open_dak_key;
	po.pin = o->pin;
	po.out_dir = o->out_dir;
	po.days = o->days;
	po.jobs = o->jobs;
	po.now = o->now;
	po.progress = o->progress;
	po.progress_ctx = o->progress_ctx;
	s.o = o;
	s.pb = &b;
	s.one = &one;
	s.refused_list = json_array();
	s.dropped_list = json_array();
	b.o = &po;
	b.outfd = -1;
	b.ctx = &s;
	b.build = sign_build;
	b.recover_files = sign_files;
	b.unique_keys = true;
	b.on_refused = on_refused;
	pthread_mutex_init(&b.mu, NULL);
	b.problems = json_array();
	ats_time_format(o->now, b.time_iso, sizeof(b.time_iso));
	if (!s.refused_list || !s.dropped_list || !b.problems) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
		goto out;
	}
	if (o->days < 1 || o->days > 36500 || !o->section || !o->out_dir) {
		rc = ats_err_set(err, ATS_EUSAGE, "sign: give an output folder, and days 1..36500");
		goto out;
	}
	if ((rc = list_csrs(&s, err)) != 0 || (rc = ats_prov_load_inputs(&b, &conf, err)) != 0)
		goto out;
	s.ck.subject = b.tmpl->tbs.buf + b.tmpl->subject_off;
	s.ck.subject_len = b.tmpl->subject_len;
	if (ats_p256_raw(X509_get0_pubkey(b.dak->cert), dak_point, NULL) == 0)
		s.ck.dak_point = dak_point;
	/* Every CSR is checked before the DAK signs anything. */
	ats_par_progress pr = {o->progress, o->progress_ctx, &s.checked, s.n};
	if (ats_par_run(o->jobs, check_worker, &s, &pr) != 0 || atomic_load(&s.nomem)) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ats_prov_open_out(&b, err)) != 0 ||
	    (rc = ats_prov_log_open(b.outfd, o->out_dir, &b.log, err)) != 0 ||
	    (rc = batch_checks(&s, b.log, err)) != 0)
		goto out;
	if (!(b.ids = calloc(s.n, sizeof(char *)))) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
		goto out;
	}
	b.nids = s.n;
	for (size_t i = 0; i < s.n; i++)
		b.ids[i] = s.v[i].check ? NULL : s.v[i].id;
	if ((rc = ats_prov_plan(&b, &done, &recovered, err)) != 0 ||
	    (rc = ats_prov_run_workers(&b, err)) != 0)
		goto out;
	if (!(*out = report(&s, &b, done, recovered)))
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
out:
	ats_prov_log_close(b.log);
	ats_dha_tmpl_free(b.tmpl);
	ats_dha_conf_free(conf);
	ats_dak_free(b.dak);
	free(b.ids); /* the ids are the entries' */
	free(b.todo);
	for (size_t i = 0; i < s.n; i++) {
		free(s.v[i].path);
		free(s.v[i].msg);
		free(s.v[i].dropped);
	}
	free(s.v);
	json_decref(s.refused_list);
	json_decref(s.dropped_list);
	json_decref(b.problems);
	if (b.outfd >= 0)
		close(b.outfd);
	pthread_mutex_destroy(&b.mu);
	return rc;
}
