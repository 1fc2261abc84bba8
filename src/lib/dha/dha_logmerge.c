#include "dha/dha_logmerge.h"

#include "report/tree.h"
#include "base/pem.h"
#include "base/util.h"
#include "dha/dha_der.h"
#include "dha/keyset.h"
#include "dha/provision_log.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct merge {
	ats_keyset lines, ids, keys, dup_ids, dup_keys, written;
	json_t *refused, *inputs, *problems;
	size_t nrefused, merged, folded, checked;
	FILE *csv, *jsonl;
} merge;

typedef int (*line_fn)(merge *m, const char *log, const char *dir, size_t lineno, char *line);

/* The CSV of a log argument: the file itself, or DIR/control-log.csv; dir gets its folder. */
static int log_paths(const char *arg, char *csv, size_t cap, char *dir, size_t dcap)
{
	struct stat st;
	if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(csv, cap, "%s/control-log.csv", arg);
		snprintf(dir, dcap, "%s", arg);
	} else {
		snprintf(csv, cap, "%s", arg);
		const char *s = strrchr(arg, '/');
		snprintf(dir, dcap, "%.*s", s ? (int)(s - arg) : 1, s ? arg : ".");
	}
	return 0;
}

static int each_line(merge *m, const char *arg, line_fn fn, size_t *nlines, ats_err *err)
{
	char csv[4200], dir[4200], buf[65536];
	size_t have = 0, lineno = 0;
	log_paths(arg, csv, sizeof(csv), dir, sizeof(dir));
	int fd = open(csv, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot open: %s", csv, strerror(errno));
	for (;;) {
		ssize_t r = read(fd, buf + have, sizeof(buf) - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			close(fd);
			return ats_err_set(err, ATS_EIO, "%s: cannot read: %s", csv, strerror(errno));
		}
		have += (size_t)r;
		char *start = buf, *nl;
		while ((nl = memchr(start, '\n', have - (size_t)(start - buf)))) {
			*nl = '\0';
			if (nl > start && nl[-1] == '\r')
				nl[-1] = '\0';
			lineno++;
			int rc = fn(m, csv, dir, lineno, start);
			if (rc != 0) {
				close(fd);
				return ats_err_set(err, ATS_ENOMEM, "%s: out of memory at line %zu", csv, lineno);
			}
			start = nl + 1;
		}
		size_t used = (size_t)(start - buf);
		memmove(buf, start, have - used);
		have -= used;
		if (have == sizeof(buf)) {
			close(fd);
			return ats_err_set(err, ATS_EPARSE, "%s: line %zu is longer than 64 KiB: not a control log",
					   csv, lineno + 1);
		}
		if (r == 0) {
			/* the end: a last line without '\n' is torn (a station stopped mid-append) */
			if (have) {
				lineno++;
				buf[have] = '\0';
				fn(m, csv, dir, lineno, NULL);
			}
			break;
		}
	}
	close(fd);
	*nlines = lineno;
	return 0;
}

static void digest(const char *s, unsigned char d[32])
{
	ats_sha256(s, strlen(s), d);
}

static bool is_header(const char *line)
{
	return strncmp(line, ats_prov_csv_header, strlen(ats_prov_csv_header) - 1) == 0;
}

static int pass1(merge *m, const char *log, const char *dir, size_t lineno, char *line)
{
	ats_prov_record r;
	unsigned char d[32];
	(void)log;
	(void)dir;
	(void)lineno;
	if (!line || !*line || is_header(line) || ats_prov_record_parse(line, &r) != 0)
		return 0;
	digest(line, d);
	int a = ats_keyset_add(&m->lines, d);
	if (a <= 0)
		return a; /* the same line again: folded in pass 2 */
	digest(r.id, d);
	if ((a = ats_keyset_add(&m->ids, d)) < 0 || (a == 0 && ats_keyset_add(&m->dup_ids, d) < 0))
		return -1;
	digest(r.key_b64, d);
	if ((a = ats_keyset_add(&m->keys, d)) < 0 || (a == 0 && ats_keyset_add(&m->dup_keys, d) < 0))
		return -1;
	return 0;
}

static void refuse(merge *m, const char *log, size_t lineno, const char *id, const char *why)
{
	m->nrefused++;
	if (json_array_size(m->refused) < ATS_LOGMERGE_MAX_LISTED)
		json_array_append_new(m->refused, json_pack("{s:s, s:I, s:s, s:s}", "file", log, "line",
							    (json_int_t)lineno, "device_id", id, "reason", why));
	if (m->nrefused <= 20) {
		char msg[1024];
		snprintf(msg, sizeof(msg), "%s: line %zu%s%s: %s", log, lineno, *id ? ": " : "", id, why);
		ats_report_problem(m->problems, ATS_VERDICT_CRITICAL, NULL, NULL, msg,
				   "this line is not in the upload; find the device and settle it by hand");
	}
}

/* The device's own certificate, when its folder is beside the log: 1 matches, 0 no folder,
 * -1 differs (why set). */
static int against_cert(const char *dir, const ats_prov_record *r, const char **why)
{
	char path[4400], sha_hex[65], key[128];
	unsigned char *pem = NULL, *der = NULL, sha[32];
	size_t n = 0, der_len = 0;
	ats_dha_cert c;
	ats_err e = {0};
	int rc = -1;
	snprintf(path, sizeof(path), "%s/%s/device-certificate.pem", dir, r->id);
	if (access(path, F_OK) != 0)
		return 0;
	if (ats_file_read(path, path, &pem, &n, &e) != 0 ||
	    ats_pem_decode_first((char *)pem, n, &der, &der_len) != 0 ||
	    ats_dha_cert_read(der, der_len, &c) != 0 || c.c.spki.n != ATS_P256_SPKI_LEN) {
		*why = "its device-certificate.pem cannot be read";
		goto out;
	}
	ats_sha256(der, der_len, sha);
	ats_hex(sha, 32, sha_hex, true);
	EVP_EncodeBlock((unsigned char *)key, c.c.spki.p, ATS_P256_SPKI_LEN);
	if (strcmp(key, r->key_b64) != 0)
		*why = "its dha_public_key is not the key of its device-certificate.pem";
	else if (strcmp(sha_hex, r->sha256) != 0)
		*why = "its sha256_fingerprint is not its device-certificate.pem's";
	else
		rc = 1;
out:
	free(pem);
	free(der);
	return rc;
}

static int pass2(merge *m, const char *log, const char *dir, size_t lineno, char *line)
{
	ats_prov_record r;
	unsigned char d[32];
	const char *why = NULL;
	if (!line) {
		refuse(m, log, lineno, "", "a torn last line (no line end): a station stopped mid-append");
		return 0;
	}
	if (!*line || (lineno == 1 && is_header(line)))
		return 0;
	if (is_header(line) || ats_prov_record_parse(line, &r) != 0) {
		refuse(m, log, lineno, "", "not a control-log line (device_id,dha_public_key,serial,sha256_fingerprint,time)");
		return 0;
	}
	digest(line, d);
	int a = ats_keyset_add(&m->written, d);
	if (a < 0)
		return -1;
	if (a == 0) {
		m->folded++;
		return 0;
	}
	digest(r.id, d);
	if (ats_keyset_has(&m->dup_ids, d)) {
		refuse(m, log, lineno, r.id, "this device id is in another line too (another station, or another key)");
		return 0;
	}
	digest(r.key_b64, d);
	if (ats_keyset_has(&m->dup_keys, d)) {
		refuse(m, log, lineno, r.id, "this public key is another device's too: a cloned secure element");
		return 0;
	}
	int c = against_cert(dir, &r, &why);
	if (c < 0) {
		refuse(m, log, lineno, r.id, why);
		return 0;
	}
	if (c > 0)
		m->checked++;
	char out[512];
	size_t n = ats_prov_record_csv(&r, out, sizeof(out));
	if (fwrite(out, 1, n, m->csv) != n)
		return -1;
	n = ats_prov_record_json(&r, out, sizeof(out));
	if (fwrite(out, 1, n, m->jsonl) != n)
		return -1;
	m->merged++;
	return 0;
}

static FILE *open_tmp(const char *out_dir, const char *name, char *tmp, size_t cap, ats_err *err)
{
	snprintf(tmp, cap, "%s/.%s.%ld.tmp", out_dir, name, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		ats_err_set(err, ATS_EIO, "%s: cannot create: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	return f;
}

static int finish_file(FILE *f, const char *tmp, const char *final, ats_err *err)
{
	int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
	bad |= fclose(f) != 0;
	if (bad)
		return ats_err_set(err, ATS_EIO, "%s: cannot write: %s", tmp, strerror(errno));
	if (link(tmp, final) != 0)
		return ats_err_set(err, ATS_EIO, "%s: cannot put into place: %s", final, strerror(errno));
	unlink(tmp);
	return 0;
}

int ats_logmerge_run(const char *const *logs, const char *out_dir, json_t **report, ats_err *err)
{
	merge m;
	char csv_tmp[4200], jsonl_tmp[4200], csv_final[4200], jsonl_final[4200];
	int rc = 0;
	size_t n = 0;

	*report = NULL;
	memset(&m, 0, sizeof(m));
	m.refused = json_array();
	m.inputs = json_array();
	m.problems = json_array();
	csv_tmp[0] = jsonl_tmp[0] = '\0';
	snprintf(csv_final, sizeof(csv_final), "%s/control-log.csv", out_dir);
	snprintf(jsonl_final, sizeof(jsonl_final), "%s/control-log.jsonl", out_dir);
	if (!logs || !logs[0]) {
		rc = ats_err_set(err, ATS_EUSAGE, "log merge: no control log given");
		goto out;
	}
	if (access(csv_final, F_OK) == 0 || access(jsonl_final, F_OK) == 0) {
		rc = ats_err_set(err, ATS_EUSAGE, "%s: already holds a control log; merge into a new folder",
				 out_dir);
		goto out;
	}
	for (size_t i = 0; logs[i] && rc == 0; i++)
		rc = each_line(&m, logs[i], pass1, &n, err);
	if (rc != 0)
		goto out;
	if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
		rc = ats_err_set(err, ATS_EIO, "%s: cannot create: %s", out_dir, strerror(errno));
		goto out;
	}
	if (!(m.csv = open_tmp(out_dir, "control-log.csv", csv_tmp, sizeof(csv_tmp), err)) ||
	    !(m.jsonl = open_tmp(out_dir, "control-log.jsonl", jsonl_tmp, sizeof(jsonl_tmp), err))) {
		rc = err->code;
		goto out;
	}
	fputs(ats_prov_csv_header, m.csv);
	for (size_t i = 0; logs[i] && rc == 0; i++) {
		size_t before_m = m.merged, before_r = m.nrefused, before_f = m.folded;
		if ((rc = each_line(&m, logs[i], pass2, &n, err)) != 0)
			break;
		json_array_append_new(m.inputs, json_pack("{s:s, s:I, s:I, s:I, s:I}", "log", logs[i], "lines",
							  (json_int_t)n, "merged", (json_int_t)(m.merged - before_m),
							  "refused", (json_int_t)(m.nrefused - before_r),
							  "folded", (json_int_t)(m.folded - before_f)));
	}
	if (rc != 0)
		goto out;
	FILE *c = m.csv, *j = m.jsonl;
	m.csv = m.jsonl = NULL;
	if ((rc = finish_file(c, csv_tmp, csv_final, err)) != 0) {
		fclose(j);
		goto out;
	}
	csv_tmp[0] = '\0';
	if ((rc = finish_file(j, jsonl_tmp, jsonl_final, err)) != 0) {
		unlink(csv_final);
		goto out;
	}
	jsonl_tmp[0] = '\0';
	if (m.nrefused > 20) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%zu more lines refused (listed under \"refused\")", m.nrefused - 20);
		ats_report_problem(m.problems, ATS_VERDICT_CRITICAL, NULL, NULL, msg, "see each line's reason");
	}
	ats_verdict v = m.nrefused ? ATS_VERDICT_CRITICAL : ATS_VERDICT_OK;
	json_t *r = ats_report_new("dha log merge");
	if (r)
		ats_report_close(r, v, json_incref(m.problems));
	if (!r || json_object_update_new(
			  r, json_pack("{s:O, s:{s:s, s:s}, s:I, s:I, s:I, s:I, s:I, s:O}", "inputs",
				       m.inputs, "out", "csv", csv_final, "jsonl", jsonl_final, "merged",
				       (json_int_t)m.merged, "refused_lines", (json_int_t)m.nrefused,
				       "folded_identical", (json_int_t)m.folded,
				       "checked_against_certificates", (json_int_t)m.checked,
				       "devices_in_memory", (json_int_t)(m.ids.n), "refused",
				       m.refused)) != 0) {
		json_decref(r);
		rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory writing the report", csv_final);
	} else
		*report = r;
out:
	if (m.csv)
		fclose(m.csv);
	if (m.jsonl)
		fclose(m.jsonl);
	if (csv_tmp[0])
		unlink(csv_tmp);
	if (jsonl_tmp[0])
		unlink(jsonl_tmp);
	ats_keyset_free(&m.lines);
	ats_keyset_free(&m.ids);
	ats_keyset_free(&m.keys);
	ats_keyset_free(&m.dup_ids);
	ats_keyset_free(&m.dup_keys);
	ats_keyset_free(&m.written);
	json_decref(m.refused);
	json_decref(m.inputs);
	json_decref(m.problems);
	return rc;
}
