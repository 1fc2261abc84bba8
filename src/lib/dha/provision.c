/* The batch: which devices, which of them are done, recovery of a killed run's folders, the
 * worker threads, and the report. One device's folder is provision_dev.c's. */
#include "dha/provision_int.h"

#include "report/tree.h"
#include "dha/barcode.h"
#include "dha/dha_par.h"
#include "dha/dha_der.h"
#include "base/pem.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void ats_prov_problem(prov_batch *b, ats_verdict sev, const char *msg, const char *fix)
{
	pthread_mutex_lock(&b->mu);
	ats_report_problem(b->problems, sev, NULL, NULL, msg, fix);
	pthread_mutex_unlock(&b->mu);
}

/* --ids FILE: one id a line; blank lines and '#' comments skipped; duplicates refused. */
static int read_ids(prov_batch *b, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;
	int rc = ats_file_read(b->o->ids_file, b->o->ids_file, &data, &len, err), line = 0;
	char *save = NULL;
	if (rc != 0)
		return rc;
	const unsigned char *nul = memchr(data, 0, len);
	if (nul) {
		for (const unsigned char *q = data; q < nul; q++)
			line += *q == '\n';
		rc = ats_err_set(err, ATS_EUSAGE, "%s: line %d: a NUL byte (not a text file of ids?)",
				 b->o->ids_file, line + 1);
		free(data);
		return rc;
	}
	for (char *l = strtok_r((char *)data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		line++;
		while (*l == ' ' || *l == '\t')
			l++;
		size_t n = strlen(l);
		while (n && (l[n - 1] == '\r' || l[n - 1] == ' ' || l[n - 1] == '\t'))
			l[--n] = '\0';
		if (n == 0 || l[0] == '#')
			continue;
		if (!ats_device_id_ok(l)) {
			rc = ats_err_set(err, ATS_EUSAGE,
					 "%s: line %d: '%.80s' is not a device id (1-64 of A-Z a-z 0-9 "
					 ". _ -, not starting with . or -)",
					 b->o->ids_file, line, l);
			break;
		}
		if (ats_device_id_reserved(l)) {
			rc = ats_err_set(err, ATS_EUSAGE,
					 "%s: line %d: '%s' cannot be a device id: provision keeps that name "
					 "for itself in the output folder", b->o->ids_file, line, l);
			break;
		}
		if (b->nids == cap) {
			cap = cap ? cap * 2 : 256;
			char **v = realloc(b->ids, cap * sizeof(char *));
			if (!v) {
				rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the device ids", b->o->ids_file);
				break;
			}
			b->ids = v;
		}
		if (!(b->ids[b->nids] = strdup(l))) {
			rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the device ids", b->o->ids_file);
			break;
		}
		b->nids++;
	}
	free(data);
	if (rc == 0 && b->nids == 0)
		rc = ats_err_set(err, ATS_EUSAGE, "%s: no device ids in it", b->o->ids_file);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int check_unique(prov_batch *b, ats_err *err)
{
	char **s = malloc(b->nids * sizeof(char *));
	int rc = 0;
	if (!s)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory checking the device ids", b->o->out_dir);
	memcpy(s, b->ids, b->nids * sizeof(char *));
	qsort(s, b->nids, sizeof(char *), cmp_str);
	for (size_t i = 1; i < b->nids && rc == 0; i++)
		if (strcmp(s[i - 1], s[i]) == 0)
			rc = ats_err_set(err, ATS_EUSAGE, "%s: device id '%s' is listed twice",
					 b->o->ids_file, s[i]);
	free(s);
	return rc;
}

/* The batch's id prefix: given, or made once per output folder (OUT/batch-id) so a run again,
 * or a second run beside it, means the same devices. */
static int batch_prefix(prov_batch *b, char *out, size_t cap, ats_err *err)
{
	unsigned char buf[64], rnd[4];
	size_t n = 0;
	char path[4200];
	if (b->o->id_prefix) {
		snprintf(out, cap, "%s", b->o->id_prefix);
		return 0;
	}
	snprintf(path, sizeof(path), "%s/batch-id", b->o->out_dir);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (ats_read_at(b->outfd, "batch-id", buf, sizeof(buf) - 1, &n) == 0) {
			buf[n] = '\0';
			char *nl = strchr((char *)buf, '\n');
			if (nl)
				*nl = '\0';
			if (!ats_device_id_ok((char *)buf) || strlen((char *)buf) > 40)
				return ats_err_set(err, ATS_EPARSE, "%s: not a batch id", path);
			snprintf(out, cap, "%s", (char *)buf);
			return 0;
		}
		char hex[16];
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return ats_err_set(err, ATS_ECRYPTO, "%s: no randomness for a batch id", b->o->out_dir);
		ats_hex(rnd, sizeof(rnd), hex, true);
		strcat(hex, "\n");
		ats_err e2 = {0};
		if (ats_file_write_new(path, hex, strlen(hex), 0644, &e2) != 0 && e2.code != ATS_EUSAGE) {
			*err = e2;
			return e2.code;
		}
	}
	return ats_err_set(err, ATS_EIO, "%s: cannot read it back", path);
}

static int make_ids(prov_batch *b, ats_err *err)
{
	char prefix[64];
	int rc;
	if (b->o->ids_file) /* read before the folder is made: a bad list writes nothing */
		return 0;
	if ((rc = batch_prefix(b, prefix, sizeof(prefix), err)) != 0)
		return rc;
	if (!(b->ids = calloc(b->o->count, sizeof(char *))))
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory making %zu device ids", b->o->out_dir, b->o->count);
	for (size_t i = 0; i < b->o->count; i++) {
		char id[ATS_DEVICE_ID_MAX + 1];
		snprintf(id, sizeof(id), "%s-%06zu", prefix, i + 1);
		if (!ats_device_id_ok(id))
			return ats_err_set(err, ATS_EUSAGE, "device id prefix '%s': makes bad device ids (%s)", prefix, id);
		if (!(b->ids[i] = strdup(id)))
			return ats_err_set(err, ATS_ENOMEM, "%s: out of memory making %zu device ids", b->o->out_dir, b->o->count);
		b->nids++;
	}
	return 0;
}

/* A folder without its log line: killed between rename and append. Logged from its files. */
static int recover(prov_batch *b, const char *id, size_t *done, size_t *recovered)
{
	static const char *const prov_files[] = {F_KEY, F_CSR, F_CERT, F_CHAIN, F_CLKEY, NULL};
	const char *const *files = b->recover_files ? b->recover_files : prov_files;
	unsigned char pem[8192], *der = NULL;
	size_t n, der_len;
	ats_dha_cert c;
	ats_prov_record r;
	ats_err err = {0};
	char msg[1024], when[32];
	int fd = openat(b->outfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW), rc = 0;

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) {
		atomic_fetch_add(&b->elsewhere, 1); /* its owner is committing it now */
		if (fd >= 0)
			close(fd);
		return 0;
	}
	ats_prov_log_lock(b->log);
	if ((rc = ats_prov_log_refresh(b->log, &err)) != 0)
		goto out;
	if (ats_prov_log_has(b->log, id)) {
		(*done)++;
		goto out;
	}
	for (size_t i = 0; files[i]; i++) {
		struct stat st;
		if (fstatat(fd, files[i], &st, AT_SYMLINK_NOFOLLOW) != 0) {
			snprintf(msg, sizeof(msg),
				 "%s/%s has no %s and no control-log line: atscheck did not finish it",
				 b->o->out_dir, id, files[i]);
			goto broken;
		}
	}
	if (ats_read_at(fd, F_CERT, pem, sizeof(pem) - 1, &n) != 0 ||
	    ats_pem_decode_first((char *)pem, n, &der, &der_len) != 0 ||
	    ats_dha_cert_read(der, der_len, &c) != 0 || c.c.spki.n != ATS_P256_SPKI_LEN ||
	    c.c.serial.n < 3) {
		snprintf(msg, sizeof(msg), "%s/%s/%s cannot be read, and the device has no control-log line",
			 b->o->out_dir, id, F_CERT);
		goto broken;
	}
	unsigned char sha[32];
	ats_sha256(der, der_len, sha);
	ats_time_format(ats_der_time(c.c.not_before), when, sizeof(when));
	size_t hl = c.c.serial.p[1] & 0x80 ? 2 + (c.c.serial.p[1] & 0x7f) : 2;
	ats_prov_record_fill(&r, id, c.c.spki.p, c.c.serial.p + hl, c.c.serial.n - hl, sha, when);
	if ((rc = ats_prov_log_append(b->log, &r, 1, &err)) == 0)
		(*recovered)++;
	goto out;
broken:
	atomic_fetch_add(&b->failed, 1);
	ats_prov_problem(b, ATS_VERDICT_CRITICAL, msg,
		    "inspect the folder (it may hold a private key that was never used), remove it, "
		    "and run again");
out:
	ats_prov_log_unlock(b->log);
	free(der);
	close(fd);
	if (rc != 0)
		ats_prov_fail(b, rc, &err);
	return rc;
}

/* Whether the output folder holds nothing but the batch's own files (control log, batch-id: names
 * no device id may take) and unfinished (.tmp-) folders: then no id has a finished folder to
 * recover, and the plan need not look for each. One listing, ended at the first other name. A device finished by a concurrent run after this look is found
 * by the claim, which looks again once the folder is its own (as it did after the stats). */
static bool holds_no_device(int outfd)
{
	/* its own open of the folder: a dup would share (and leave at the end) outfd's offset */
	int d = openat(outfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = d >= 0 ? fdopendir(d) : NULL;
	struct dirent *e;
	bool none = dir != NULL;
	if (!dir && d >= 0)
		close(d);
	while (dir && none && (e = readdir(dir)))
		none = e->d_name[0] == '.' || ats_device_id_reserved(e->d_name);
	if (dir)
		closedir(dir);
	return none;
}

int ats_prov_plan(prov_batch *b, size_t *done, size_t *recovered, ats_err *err)
{
	if (!(b->todo = malloc((b->nids ? b->nids : 1) * sizeof(size_t))))
		return ats_err_set(err, ATS_ENOMEM, "provisioning into %s: out of memory", b->o->out_dir);
	bool look = !holds_no_device(b->outfd);
	for (size_t i = 0; i < b->nids && b->rc == 0; i++) {
		struct stat st;
		if (!b->ids[i])
			continue; /* not to be made (sign: refused) */
		if (ats_prov_log_has(b->log, b->ids[i]))
			(*done)++;
		else if (look && fstatat(b->outfd, b->ids[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
			recover(b, b->ids[i], done, recovered);
		else
			b->todo[b->ntodo++] = i;
	}
	return 0;
}

int ats_prov_run_workers(prov_batch *b, ats_err *err)
{
	ats_par_progress pr = {b->o->progress, b->o->progress_ctx, &b->progressed, b->ntodo};
	if (b->rc == 0 && b->ntodo && ats_par_run(b->o->jobs, ats_prov_worker, b, &pr) != 0)
		return ats_err_set(err, ATS_ENOMEM, "provisioning into %s: cannot start a thread", b->o->out_dir);
	if (b->rc != 0) {
		*err = b->err;
		return b->rc;
	}
	return 0;
}

int ats_prov_open_out(prov_batch *b, ats_err *err)
{
	if (mkdir(b->o->out_dir, 0755) != 0 && errno != EEXIST)
		return ats_err_set(err, ATS_EIO, "%s: cannot create the output folder: %s",
				   b->o->out_dir, strerror(errno));
	b->outfd = open(b->o->out_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (b->outfd < 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot open the output folder: %s",
				   b->o->out_dir, strerror(errno));
	return 0;
}

int ats_prov_load_inputs(prov_batch *b, ats_dha_conf **conf, ats_err *err)
{
	const ats_provision_opts *o = b->o;
	int rc;
	char msg[1024];
	if ((rc = ats_dak_load_cert(o->dak_cert, &b->dak, err)) != 0 ||
	    (rc = ats_dak_load_key(b->dak, o->dak_key, o->allow_open_dak_key, &o->pin, err)) != 0 ||
	    (rc = ats_dha_conf_load(o->conf, conf, err)) != 0)
		return rc;
	if (b->dak->key_mode & 077) {
		snprintf(msg, sizeof(msg),
			 "%s: the DAK key is readable by group or others (mode %04o); used anyway "
			 "because --allow-open-dak-key was given",
			 o->dak_key, b->dak->key_mode);
		ats_prov_problem(b, ATS_VERDICT_WARNING, msg, "chmod 600 the DAK key file");
	}
	time_t dak_end = ats_asn1_time_to_time(X509_get0_notAfter(b->dak->cert));
	time_t dak_start = ats_asn1_time_to_time(X509_get0_notBefore(b->dak->cert));
	if (dak_end < o->now || dak_start > o->now)
		return ats_err_set(err, ATS_EUSAGE,
				   "%s: the DAK certificate is not valid now; devices signed with it "
				   "would be refused",
				   o->dak_cert);
	if (dak_end < o->now + (time_t)o->days * 86400) {
		snprintf(msg, sizeof(msg),
			 "the DAK certificate ends before the device certificates it signs (%d days)",
			 o->days);
		ats_prov_problem(b, ATS_VERDICT_WARNING, msg,
			    "ask for a DAK certificate that outlives the devices' certificates");
	}
	/* Refused by default: every device certificate it signed would fail to verify (OpenSSL
	 * and Amazon's check both want the issuer to be a CA), and a batch cannot be unsigned. */
	if (!(X509_get_extension_flags(b->dak->cert) & EXFLAG_CA)) {
		if (!o->allow_dak_not_ca)
			return ats_err_set(err, ATS_EUSAGE,
					   "%s: the DAK certificate is not a CA (no CA:TRUE): every device "
					   "certificate signed with it would fail to verify; check it is the "
					   "DAK certificate from the developer console (provisioning can be told "
					   "to go on anyway, reported)", o->dak_cert);
		snprintf(msg, sizeof(msg), "%s: the DAK certificate is not a CA (no CA:TRUE)", o->dak_cert);
		ats_prov_problem(b, ATS_VERDICT_WARNING, msg,
			    "verifiers will refuse the device certificates; check it is the DAK "
			    "certificate from the developer console");
	}
	return ats_dha_tmpl_new(*conf, o->section, b->dak->cert, o->now,
				o->now + (time_t)o->days * 86400, &b->tmpl, err);
}

static json_t *report(prov_batch *b, size_t done, size_t recovered)
{
	const ats_provision_opts *o = b->o;
	size_t made = atomic_load(&b->made), elsewhere = atomic_load(&b->elsewhere),
	       failed = atomic_load(&b->failed);
	char subj[512], nb[32], na[32], msg[256];
	ats_verdict v = ATS_VERDICT_OK;

	if (elsewhere) {
		snprintf(msg, sizeof(msg),
			 "%zu devices were being made by another run into the same folder", elsewhere);
		ats_prov_problem(b, ATS_VERDICT_WARNING, msg,
			    "run the same command again when the other run ends: it makes whatever is "
			    "still missing");
	}
	v = ats_report_worst(b->problems, v);
	ats_der_cert dc;
	subj[0] = '\0';
	if (ats_der_cert_read(b->dak->der, b->dak->der_len, &dc) == 0)
		ats_der_name_text(dc.subject, subj, sizeof(subj));
	const char *bc = o->barcode == (ATS_BARCODE_PNG | ATS_BARCODE_SVG) ? "both"
			 : o->barcode == ATS_BARCODE_PNG			   ? "png"
			 : o->barcode == ATS_BARCODE_SVG			   ? "svg"
										   : "none";
	json_t *r = ats_report_new("dha provision");
	if (!r)
		return NULL;
	ats_report_close(r, v, json_incref(b->problems));
	if (json_object_update_new(r, json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:s}, s:i, s:s, s:s, s:i, s:s,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:s+, s:s+, s:I}}",
		"out", o->out_dir, "config", o->conf, "dak", "certificate",
		o->dak_cert, "subject", subj, "key", o->dak_key, "days", o->days, "not_before",
		ats_time_format(o->now, nb, sizeof(nb)), "not_after",
		ats_time_format(o->now + (time_t)o->days * 86400, na, sizeof(na)), "jobs", o->jobs,
		"barcode", bc, "devices", "requested", (json_int_t)b->nids, "made", (json_int_t)made,
		"already_done", (json_int_t)done, "recovered", (json_int_t)recovered,
		"in_progress_elsewhere", (json_int_t)elsewhere, "failed", (json_int_t)failed,
		"leftovers_removed", (json_int_t)b->swept,
		"control_log", "csv", o->out_dir, "/control-log.csv", "jsonl", o->out_dir,
		"/control-log.jsonl", "records", (json_int_t)ats_prov_log_count(b->log))) != 0) {
		json_decref(r);
		return NULL;
	}
	return r;
}

int ats_provision_run(const ats_provision_opts *o, json_t **out, ats_err *err)
{
	prov_batch b;
	ats_dha_conf *conf = NULL;
	size_t done = 0, recovered = 0;
	int rc;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.o = o;
	b.outfd = -1;
	pthread_mutex_init(&b.mu, NULL);
	b.problems = json_array();
	ats_time_format(o->now, b.time_iso, sizeof(b.time_iso));
	if (o->days < 1 || o->days > 36500 || (!o->ids_file && o->count == 0) || !o->section) {
		rc = ats_err_set(err, ATS_EUSAGE, "provisioning into %s: needs a device count or an id list, and a lifetime of 1 to 36500 days", o->out_dir ? o->out_dir : "(no folder)");
		goto out;
	}
	if ((rc = ats_prov_load_inputs(&b, &conf, err)) != 0 ||
	    (o->ids_file && ((rc = read_ids(&b, err)) != 0 || (rc = check_unique(&b, err)) != 0)) ||
	    (rc = ats_prov_open_out(&b, err)) != 0 ||
	    (rc = make_ids(&b, err)) != 0 || (rc = ats_prov_log_open(b.outfd, o->out_dir, &b.log, err)) != 0)
		goto out;
	b.swept = ats_prov_sweep(&b);
	if ((rc = ats_prov_plan(&b, &done, &recovered, err)) != 0 || (rc = ats_prov_run_workers(&b, err)) != 0)
		goto out;
	if (!(*out = report(&b, done, recovered)))
		rc = ats_err_set(err, ATS_ENOMEM, "provisioning into %s: out of memory", o->out_dir);
out:
	if (rc != 0 && b.rc == 0 && b.err.code == 0 && err && err->code == 0)
		ats_err_set(err, rc, "provisioning into %s failed", o->out_dir);
	ats_prov_log_close(b.log);
	ats_dha_tmpl_free(b.tmpl);
	ats_dha_conf_free(conf);
	ats_dak_free(b.dak);
	for (size_t i = 0; i < b.nids; i++)
		free(b.ids[i]);
	free(b.ids);
	free(b.todo);
	json_decref(b.problems);
	if (b.outfd >= 0)
		close(b.outfd);
	pthread_mutex_destroy(&b.mu);
	return rc;
}
