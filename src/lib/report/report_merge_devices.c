/* The end of a merge, device by device: the records sorted by name, the spool read back once
 * (each device's newest report is the one whose time and path hash its record holds), the
 * per-device table streamed to --devices, and the baseline streamed against the records. Memory
 * stays the records plus bounded picks. */
#include "report/report_merge_int.h"

#include "base/util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DAY 86400

const char *const ats_merge_verdicts[4] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

static int dev_less(const dev *x, const dev *y)
{
	return x->name < y->name || (x->name == y->name && x->mid < y->mid);
}

static void sift(dev *v, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && dev_less(&v[c], &v[c + 1]))
			c++;
		if (!dev_less(&v[i], &v[c]))
			return;
		dev t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

/* In place: glibc's qsort sorts a copy when it can (merge sort), and a copy of a million records
 * is 24 MB more at the peak. Heapsort needs no room. */
static void sort_devs(dev *v, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift(v, i, n);
	for (size_t end = n; end > 1; end--) {
		dev t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift(v, 0, end - 1);
	}
}

dev *ats_merge_lookup(ats_merge *m, uint64_t name, uint32_t mid, int mid_known)
{
	size_t lo = 0, hi = m->ndev;
	while (lo < hi) { /* the first record >= (name, mid or 0) */
		size_t mid_i = lo + (hi - lo) / 2;
		const dev *d = &m->devs[mid_i];
		if (d->name < name || (d->name == name && mid_known && d->mid < mid))
			lo = mid_i + 1;
		else
			hi = mid_i;
	}
	if (lo == m->ndev || m->devs[lo].name != name || (mid_known && m->devs[lo].mid != mid))
		return NULL;
	return &m->devs[lo];
}

/* A device's name as people see it: the host name, and the start of its machine id only where
 * two machines share the name. */
static void display(char *out, size_t n, const char *name, const char *mid, const dev *d)
{
	if ((d->prof & DEV_SHARED) && *mid)
		snprintf(out, n, "%s@%.8s", name, mid);
	else
		snprintf(out, n, "%s", name);
}

/* One device as a JSON object on one line. The summary's rows (full 0) carry the machine id only
 * where two machines share a name (the baseline needs it only there); the devices file has it
 * always. */
static int cmp_cause(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void row_line(FILE *f, const ats_merge *m, const char *shown, const char *name, const char *mid,
		     const char *file, const dev *d, const uint32_t *p, int stale, int full)
{
	char at[32];
	fputs("{\"device\":", f);
	ats_merge_json_str(f, shown);
	if (*mid && (full || (d->prof & DEV_SHARED))) {
		fputs(",\"name\":", f);
		ats_merge_json_str(f, name);
		fputs(",\"machine_id\":", f);
		ats_merge_json_str(f, mid);
	}
	fprintf(f, ",\"verdict\":\"%s\",\"command\":", ats_merge_verdicts[p[P_VERDICT] & 3]);
	ats_merge_json_str(f, m->commands.s[p[P_COMMAND]]);
	int64_t age = (int64_t)m->o.at - (int64_t)d->time;
	fprintf(f, ",\"at\":\"%s\",\"age_seconds\":%lld,\"stale\":%s,\"causes\":[",
		ats_time_format((time_t)d->time, at, sizeof(at)), (long long)(age < 0 ? 0 : age),
		stale ? "true" : "false");
	/* By name: the ids are interned in the order the threads met them, which varies run to run. */
	const char *cs[256];
	uint32_t nc = p[P_NCAUSES] < 256 ? p[P_NCAUSES] : 256;
	for (uint32_t c = 0; c < nc; c++)
		cs[c] = m->causes.s[p[P_NCAUSES + 1 + c]];
	qsort(cs, nc, sizeof(*cs), cmp_cause);
	for (uint32_t c = 0; c < nc; c++) {
		if (c)
			putc(',', f);
		ats_merge_json_str(f, cs[c]);
	}
	fputs("],\"file\":", f);
	ats_merge_json_str(f, file);
	fputs("}\n", f);
}

static int add_name(pick *p, uint64_t key, const char *name)
{
	return ats_pick_wants(p, key, name) ? ats_pick_add(p, key, name, NULL) : (p->seen++, 0);
}

int ats_merge_devices(ats_merge *m, fleet_end *e, ats_err *err)
{
	char name[1025], mid[65], file[4097], shown[1100], tmp[4200] = "";
	FILE *out = NULL;
	spool_rec r;
	int rc = ATS_ENOMEM;

	sort_devs(m->devs, m->ndev);
	free(m->slot); /* lookups are by binary search from here on */
	m->slot = NULL;
	m->nslot = 0;
	for (size_t i = 1; i < m->ndev; i++)
		if (m->devs[i].name == m->devs[i - 1].name) {
			m->devs[i].prof |= DEV_SHARED;
			m->devs[i - 1].prof |= DEV_SHARED;
		}
	if (m->o.devices_file) {
		snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", m->o.devices_file, (long)getpid());
		if (!(out = fopen(tmp, "w"))) {
			rc = ats_err_set(err, ATS_EIO, "%s: cannot write: %s", m->o.devices_file,
					 strerror(errno));
			goto out;
		}
	}
	if (fflush(m->spool) != 0 || fseek(m->spool, 0, SEEK_SET) != 0) {
		rc = ats_err_set(err, ATS_EIO, "cannot read the spool file back: %s", strerror(errno));
		goto out;
	}
	while (fread(&r, sizeof(r), 1, m->spool) == 1) {
		if (r.lname > 1024 || r.lmid > 64 || r.lfile > 4096 ||
		    fread(name, 1, r.lname, m->spool) != r.lname ||
		    fread(mid, 1, r.lmid, m->spool) != r.lmid || fread(file, 1, r.lfile, m->spool) != r.lfile) {
			rc = ats_err_set(err, ATS_EIO, "the spool file came back short");
			goto out;
		}
		name[r.lname] = mid[r.lmid] = file[r.lfile] = '\0';
		dev *d = ats_merge_lookup(m, r.name, r.mid, 1);
		if (!d || d->time != r.time || d->tie != r.tie || (d->prof & DEV_WRITTEN))
			continue; /* a superseded report, or the same file named twice */
		d->prof |= DEV_WRITTEN;
		const uint32_t *p = ats_merge_prof(m, d->prof & DEV_PROF);
		int stale = d->time < e->stale_before;
		display(shown, sizeof(shown), name, mid, d);
		if (out)
			row_line(out, m, shown, name, mid, file, d, p, stale, 1);
		uint64_t miss = (uint64_t)p[P_MISS_LO] | (uint64_t)p[P_MISS_HI] << 32;
		for (uint32_t c = 0; c < m->cas.n && c < MAX_CAS; c++)
			if ((miss & (1ull << c)) && add_name(&e->by_ca[c], 0, shown) != 0)
				goto out;
		for (uint32_t c = 0; c < p[P_NCAUSES]; c++)
			if (add_name(&e->by_cause[p[P_NCAUSES + 1 + c]], 0, shown) != 0)
				goto out;
		const uint32_t *x = p + P_NCAUSES + 1 + p[P_NCAUSES];
		for (uint32_t k = 0; k < x[0]; k++)
			if (add_name(&e->by_item[x[1 + 2 * k]], 0, shown) != 0)
				goto out;
		if (stale && add_name(&e->stale, d->time, shown) != 0)
			goto out;
		/* The summary's rows: the worst first (CRITICAL, UNKNOWN, WARNING, OK; stale ahead of
		 * fresh within each), then by name. */
		uint64_t key = (uint64_t)(3 - ats_merge_rank((int)(p[P_VERDICT] & 3))) * 2 + !stale;
		if (ats_pick_wants(&e->rows, key, shown)) {
			char *text = NULL;
			size_t tlen;
			FILE *mf = open_memstream(&text, &tlen);
			if (!mf)
				goto out;
			row_line(mf, m, shown, name, mid, file, d, p, stale, 0);
			if (fclose(mf) != 0) {
				free(text);
				goto out;
			}
			char *fit = realloc(text, tlen + 1); /* a memory stream keeps room to grow */
			if (ats_pick_add_text(&e->rows, key, shown, fit ? fit : text) != 0)
				goto out;
		} else {
			e->rows.seen++;
		}
	}
	if (ferror(m->spool)) {
		rc = ats_err_set(err, ATS_EIO, "cannot read the spool file back: %s", strerror(errno));
		goto out;
	}
	if (out) {
		int bad = fflush(out) != 0 || fsync(fileno(out)) != 0;
		bad |= fclose(out) != 0;
		out = NULL;
		if (bad || rename(tmp, m->o.devices_file) != 0) {
			rc = ats_err_set(err, ATS_EIO, "%s: cannot write: %s", m->o.devices_file,
					 strerror(errno));
			goto out;
		}
		tmp[0] = '\0';
	}
	rc = 0;
out:
	if (out)
		fclose(out);
	if (tmp[0])
		unlink(tmp);
	return rc;
}

/* One row of the baseline: the device it names, its verdict then, its causes then. */
static int compare_row(ats_merge *m, fleet_end *e, const char *shown, const char *name,
		       const char *mid, const char *verdict, const char *const *causes, size_t nc)
{
	const char *n = *name ? name : shown;
	dev *d = ats_merge_lookup(m, ats_merge_hash64(n, strlen(n)),
				  *mid ? (uint32_t)ats_merge_hash64(mid, strlen(mid)) | 1u : 0, *mid != 0);
	if (!d && !*mid && !*name) { /* an older summary shows "host@1234abcd" */
		const char *at = strrchr(shown, '@');
		if (at)
			d = ats_merge_lookup(m, ats_merge_hash64(shown, (size_t)(at - shown)), 0, 0);
		if (!d) /* a device with a machine id, named by host alone */
			d = ats_merge_lookup(m, ats_merge_hash64(shown, strlen(shown)), 0, 0);
	}
	e->before++;
	if (!d)
		return add_name(&e->gone, 0, shown);
	if (d->prof & DEV_MATCHED) {
		e->before--; /* a repeated row is one device */
		return 0;
	}
	d->prof |= DEV_MATCHED;
	const uint32_t *p = ats_merge_prof(m, d->prof & DEV_PROF);
	int was = ats_merge_verdict_of(verdict), now = (int)(p[P_VERDICT] & 3);
	json_t *added = json_array();
	for (uint32_t c = 0; c < p[P_NCAUSES]; c++) {
		const char *cause = m->causes.s[p[P_NCAUSES + 1 + c]];
		size_t j;
		for (j = 0; j < nc && strcmp(causes[j], cause) != 0; j++)
			;
		if (j == nc)
			json_array_append_new(added, json_string(cause));
	}
	if (ats_merge_rank(now) > ats_merge_rank(was) || json_array_size(added)) {
		e->nworse++;
		if (!ats_pick_wants(&e->worse, 0, shown)) {
			e->worse.seen++;
			json_decref(added);
			return 0;
		}
		json_t *w = json_pack("{s:s, s:s, s:s, s:o}", "device", shown, "before",
				      ats_merge_verdicts[was & 3], "after", ats_merge_verdicts[now],
				      "new_causes", added);
		return w ? ats_pick_add(&e->worse, 0, shown, w) : -1;
	}
	json_decref(added);
	if (ats_merge_rank(now) < ats_merge_rank(was))
		e->better++;
	else
		e->same++;
	return 0;
}

static int from_mj(ats_merge *m, fleet_end *e, const mj_doc *d, const mj_node *row)
{
	const char *causes[256];
	size_t nc = 0;
	for (const mj_node *c = mj_first(d, mj_get(d, row, "causes")); c && nc < 256; c = mj_next(d, c))
		if (c->type == MJ_STR)
			causes[nc++] = c->str;
	return compare_row(m, e, mj_str(d, row, "device"), mj_str(d, row, "name"),
			   mj_str(d, row, "machine_id"), mj_str(d, row, "verdict"), causes, nc);
}

int ats_merge_baseline(ats_merge *m, fleet_end *e, ats_err *err)
{
	const char *path = m->o.baseline;
	int fd = ats_file_open_regular(path, path, NULL, err); /* a FIFO or a folder: refused */
	FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	mj_doc doc = {0};
	json_t *base = NULL;
	int rc = ATS_ENOMEM;
	size_t lineno = 0;

	if (fd < 0)
		return err->code ? err->code : ATS_EIO;
	if (!f) {
		close(fd);
		return ats_err_set(err, ATS_EIO, "%s: cannot open: %s", path, strerror(errno));
	}
	e->have_base = 1;
	/* A devices file (JSON Lines: every line an object with "device"), streamed; else a summary. */
	len = getline(&line, &cap, f);
	if (len > 0 && mj_parse(&doc, line, (size_t)len) == 0 && doc.v[0].type == MJ_OBJ &&
	    *mj_str(&doc, &doc.v[0], "device")) {
		do {
			lineno++;
			if (len <= 1 && (len == 0 || line[0] == '\n'))
				continue;
			if (lineno > 1 && (mj_parse(&doc, line, (size_t)len) != 0 || doc.v[0].type != MJ_OBJ)) {
				rc = ats_err_set(err, ATS_EPARSE, "%s: line %zu: not a device row: %s", path,
						 lineno, doc.err[0] ? doc.err : "not an object");
				goto out;
			}
			if (from_mj(m, e, &doc, &doc.v[0]) != 0)
				goto out;
		} while ((len = getline(&line, &cap, f)) >= 0);
		rc = 0;
		goto out;
	}
	json_error_t je;
	base = json_load_file(path, 0, &je);
	const json_t *rows = json_object_get(base, "devices");
	if (!base || strcmp(ats_json_str(base, "command"), "merge") != 0 || !json_is_array(rows)) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: %s", path,
				 base ? "not a fleet summary (atscheck report merge --format json) nor a "
					"devices file (report merge --devices)"
				      : je.text);
		goto out;
	}
	if (json_is_false(json_object_get(base, "devices_complete"))) {
		rc = ats_err_set(err, ATS_EPARSE,
				 "%s: this summary lists %zu of its devices; compare with that run's "
				 "devices file (report merge --devices FILE)", path, json_array_size(rows));
		goto out;
	}
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		const char *causes[256];
		size_t nc = 0, j;
		json_t *c;
		json_array_foreach(json_object_get(row, "causes"), j, c)
			if (nc < 256 && json_is_string(c))
				causes[nc++] = json_string_value(c);
		if (compare_row(m, e, ats_json_str(row, "device"), ats_json_str(row, "name"),
				ats_json_str(row, "machine_id"), ats_json_str(row, "verdict"), causes, nc) != 0)
			goto out;
	}
	rc = 0;
out:
	if (rc == 0) {
		size_t matched = 0;
		for (size_t k = 0; k < m->ndev; k++)
			matched += (m->devs[k].prof & DEV_MATCHED) != 0;
		e->fresh = m->ndev - matched;
		e->ngone = e->gone.seen;
	} else if (rc == ATS_ENOMEM && !err->msg[0]) {
		ats_err_set(err, ATS_ENOMEM, "out of memory comparing with %s", path);
	}
	free(line);
	mj_free(&doc);
	json_decref(base);
	fclose(f);
	return rc;
}
