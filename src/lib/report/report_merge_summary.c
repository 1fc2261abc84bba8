/* From the accumulated rows to the fleet summary tree (command "merge"), and the comparison with
 * a previous summary. Everything is counted here, once, from the rows: a device counts once. */
#include "report/report_merge_int.h"

#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_bad(const void *a, const void *b)
{
	return strcmp(((const bad *)a)->file, ((const bad *)b)->file);
}

static const char *const verdicts[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

typedef struct tally {
	size_t n;
	int64_t first; /* earliest expiry, for items */
	json_t *ids;   /* device names, in device order */
} tally;

static int by_device(const void *a, const void *b, void *ctx)
{
	const strtab *t = ctx;
	return strcmp(t->s[*(const uint32_t *)a], t->s[*(const uint32_t *)b]);
}

/* Sorts an array of objects by the integer field first (descending, or ascending when asc),
 * then by the string field key. */
static int by_count(const void *a, const void *b, void *ctx)
{
	const char *const *k = ctx;
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	json_int_t nx = json_integer_value(json_object_get(x, k[0]));
	json_int_t ny = json_integer_value(json_object_get(y, k[0]));
	if (nx != ny)
		return (nx < ny) == (k[2] == NULL) ? 1 : -1;
	return strcmp(ats_json_str(x, k[1]), ats_json_str(y, k[1]));
}

static json_t *sorted_by(json_t *arr, const char *first, const char *key, bool asc)
{
	size_t n = json_array_size(arr);
	json_t **v = malloc((n ? n : 1) * sizeof(*v)), *out = json_array();
	if (!v || !out) {
		free(v);
		json_decref(out);
		return arr;
	}
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	const char *keys[3] = {first, key, asc ? "asc" : NULL};
	qsort_r(v, n, sizeof(*v), by_count, keys);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	json_decref(arr);
	return out;
}

/* Causes: the most severe first (what stops devices before what only warns), then the most
 * devices. The severity goes into the first sort key for the sort and out again. */
static json_t *causes_sorted(json_t *arr)
{
	size_t i;
	json_t *c;
	json_array_foreach(arr, i, c)
		json_object_set_new(c, "_rank", json_integer(ats_merge_rank(ats_merge_verdict_of(
							 ats_json_str(c, "severity"))) * 1000000000LL +
						 json_integer_value(json_object_get(c, "devices"))));
	arr = sorted_by(arr, "_rank", "cause", false);
	json_array_foreach(arr, i, c)
		json_object_del(c, "_rank");
	return arr;
}

static json_t *sorted(json_t *arr, const char *key)
{
	return sorted_by(arr, "devices", key, false);
}

static void tally_add(tally *t, const char *device)
{
	if (!t->ids)
		t->ids = json_array();
	t->n++;
	json_array_append_new(t->ids, json_string(device));
}

/* Display names: the device name, with "@" and the start of its machine id only where two
 * machines share a name. names[i] for device id i; free with free_names. */
static char **display_names(const strtab *devices)
{
	strtab plain = {0};
	uint32_t *count = NULL;
	char **names = calloc(devices->n + 1, sizeof(char *));
	if (!names)
		goto bad;
	for (uint32_t i = 0; i < devices->n; i++) {
		char *sep = strchr(devices->s[i], '\x1f');
		if (sep)
			*sep = '\0'; /* the name alone, for a moment */
		uint32_t before = plain.n;
		long id = ats_tab_intern(&plain, devices->s[i]);
		if (id >= 0 && plain.n > before) {
			uint32_t *c = realloc(count, plain.cap * sizeof(*c));
			if (c) {
				count = c;
				count[id] = 0;
			}
		}
		if (sep)
			*sep = '\x1f';
		if (id < 0 || !count)
			goto bad;
		count[id]++;
	}
	for (uint32_t i = 0; i < devices->n; i++) {
		const char *k = devices->s[i], *sep = strchr(k, '\x1f');
		size_t n = sep ? (size_t)(sep - k) : strlen(k);
		char name[1024];
		snprintf(name, sizeof(name), "%.*s", (int)n, k);
		if (sep && count[ats_tab_find(&plain, name)] > 1)
			snprintf(name + n, sizeof(name) - n, "@%.8s", sep + 1);
		if (!(names[i] = strdup(name)))
			goto bad;
	}
	ats_tab_free(&plain);
	free(count);
	return names;
bad:
	for (uint32_t i = 0; names && i < devices->n; i++)
		free(names[i]);
	free(names);
	ats_tab_free(&plain);
	free(count);
	return NULL;
}

static json_t *versions_json(const strtab *vt, const size_t *count)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < vt->n; i++)
		if (count[i])
			json_array_append_new(a, json_pack("{s:s, s:I}", "version", *vt->s[i] ? vt->s[i] : "(none)",
							   "devices", (json_int_t)count[i]));
	return sorted(a, "version");
}

/* Compares with a previous summary: who got worse (a worse verdict, or a cause it did not
 * have), how many got better, who stopped reporting. */
static int compare(const ats_merge *m, const uint32_t *order, char *const *names, json_t *base,
		   json_t *out, size_t *nworse, size_t *ngone)
{
	const json_t *bdev = json_object_get(base, "devices"), *d;
	strtab was = {0};
	size_t i, better = 0, same = 0, fresh = 0, nb = json_array_size(bdev);
	json_t *worse = json_array(), *gone = json_array();
	char *seen = calloc(nb + 1, 1);
	size_t *where = calloc(nb + 1, sizeof(size_t)); /* baseline name id -> its first row */
	int rc = -1;

	if (!worse || !gone || !seen || !where)
		goto out;
	json_array_foreach(bdev, i, d) {
		uint32_t before = was.n;
		long id = ats_tab_intern(&was, ats_json_str(d, "device"));
		if (id < 0)
			goto out;
		if (was.n > before)
			where[id] = i;
		else
			seen[i] = 1; /* a repeated row in the baseline is not a device gone */
	}
	for (size_t k = 0; k < m->devices.n; k++) {
		const row *r = &m->rows[order[k]];
		const char *dev = names[order[k]];
		long bi = ats_tab_find(&was, dev);
		if (bi < 0) {
			fresh++;
			continue;
		}
		bi = (long)where[bi];
		seen[bi] = 1;
		d = json_array_get(bdev, (size_t)bi);
		int before = ats_merge_verdict_of(ats_json_str(d, "verdict"));
		json_t *added = json_array();
		for (uint32_t c = 0; c < r->ncauses; c++) {
			const char *cause = m->causes.s[r->causes[c]];
			size_t j;
			json_t *bc;
			bool had = false;
			json_array_foreach(json_object_get(d, "causes"), j, bc)
				had = had || strcmp(json_string_value(bc) ? json_string_value(bc) : "", cause) == 0;
			if (!had)
				json_array_append_new(added, json_string(cause));
		}
		if (ats_merge_rank(r->verdict) > ats_merge_rank(before) || json_array_size(added)) {
			json_array_append_new(worse, json_pack("{s:s, s:s, s:s, s:o}", "device", dev,
							       "before", verdicts[before], "after",
							       verdicts[r->verdict], "new_causes", added));
		} else {
			json_decref(added);
			if (ats_merge_rank(r->verdict) < ats_merge_rank(before))
				better++;
			else
				same++;
		}
	}
	json_array_foreach(bdev, i, d)
		if (!seen[i])
			json_array_append_new(gone, json_string(ats_json_str(d, "device")));
	*nworse = json_array_size(worse);
	*ngone = json_array_size(gone);
	json_object_set_new(out, "devices_before", json_integer((json_int_t)json_array_size(bdev)));
	json_object_set_new(out, "worse", worse);
	json_object_set_new(out, "better", json_integer((json_int_t)better));
	json_object_set_new(out, "unchanged", json_integer((json_int_t)same));
	json_object_set_new(out, "new", json_integer((json_int_t)fresh));
	json_object_set_new(out, "gone", gone);
	worse = gone = NULL;
	rc = 0;
out:
	json_decref(worse);
	json_decref(gone);
	free(seen);
	free(where);
	ats_tab_free(&was);
	return rc;
}

int ats_merge_summary(ats_merge *m, json_t **summary, ats_err *err)
{
	size_t nd = m->devices.n, nv = m->versions.n, i;
	uint32_t *order = malloc((nd ? nd : 1) * sizeof(*order));
	size_t *ossl = calloc(nv + 1, sizeof(size_t)), *curl = calloc(nv + 1, sizeof(size_t));
	size_t *tool = calloc(nv + 1, sizeof(size_t)), *cmds = calloc(m->commands.n + 1, sizeof(size_t));
	tally *causes = calloc(m->causes.n + 1, sizeof(tally)), *items = calloc(m->items.n + 1, sizeof(tally));
	tally cas[MAX_CAS] = {{0}};
	size_t by_verdict[4] = {0}, nworse = 0, ngone = 0, npartial = 0;
	json_t *s = json_object(), *devices = json_array(), *problems = json_array(), *a, *base = NULL;
	char msg[2048], buf[32];
	char **names = display_names(&m->devices);
	int rc = ATS_ENOMEM;

	if (m->oom || !names || !order || !ossl || !curl || !tool || !cmds || !causes || !items || !s ||
	    !devices || !problems) {
		ats_err_set(err, ATS_ENOMEM, "out of memory merging the reports");
		goto out;
	}
	if (m->o.baseline) {
		json_error_t je;
		base = json_load_file(m->o.baseline, 0, &je);
		if (!base || strcmp(ats_json_str(base, "command"), "merge") != 0 ||
		    !json_is_array(json_object_get(base, "devices"))) {
			rc = ats_err_set(err, ATS_EPARSE, "baseline %s: %s", m->o.baseline,
					 base ? "not a fleet summary (atscheck report merge --format json)"
					      : je.text);
			goto out;
		}
	}
	for (i = 0; i < nd; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, nd, sizeof(*order), by_device, &m->devices);

	for (size_t k = 0; k < nd; k++) {
		const row *r = &m->rows[order[k]];
		const char *dev = names[order[k]];
		json_t *rc_ = json_array();
		by_verdict[r->verdict & 3]++;
		ossl[r->openssl]++;
		curl[r->libcurl]++;
		tool[r->atscheck]++;
		cmds[r->command]++;
		for (uint32_t c = 0; c < m->cas.n && c < MAX_CAS; c++)
			if (r->missing & (1ull << c))
				tally_add(&cas[c], dev);
		for (uint32_t c = 0; c < r->ncauses; c++) {
			tally_add(&causes[r->causes[c]], dev);
			json_array_append_new(rc_, json_string(m->causes.s[r->causes[c]]));
		}
		for (uint32_t e = 0; e < r->nexp; e++) {
			tally *t = &items[r->exp[e].item];
			if (!t->n || r->exp[e].epoch < t->first)
				t->first = r->exp[e].epoch;
			tally_add(t, dev);
		}
		json_array_append_new(devices, json_pack("{s:s, s:s, s:s, s:s, s:o}", "device", dev, "file",
							 r->file, "verdict", verdicts[r->verdict & 3],
							 "command", m->commands.s[r->command], "causes", rc_));
	}

	json_object_set_new(s, "command", json_string("merge"));
	json_object_set_new(s, "at", json_string(ats_time_format(m->o.at, buf, sizeof(buf))));
	json_object_set_new(s, "horizon_days", json_integer(m->o.horizon_days));
	/* Threads finish in any order: list unusable files by name so the summary is the same on
	 * one thread as on several. */
	if (m->nbad > 1)
		qsort(m->bad, m->nbad, sizeof(*m->bad), cmp_bad);
	for (i = 0; i < m->nbad; i++)
		npartial += strcmp(m->bad[i].kind, "partial") == 0;
	json_object_set_new(s, "files", json_pack("{s:I, s:I, s:I, s:I, s:I}", "read",
						  (json_int_t)(nd + m->duplicates), "devices", (json_int_t)nd,
						  "duplicates", (json_int_t)m->duplicates, "unreadable",
						  (json_int_t)(m->nbad - npartial), "partial",
						  (json_int_t)npartial));
	a = json_array();
	for (i = 0; i < m->nbad; i++)
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "file", m->bad[i].file, "kind",
						   m->bad[i].kind, "error", m->bad[i].why));
	json_object_set_new(s, "bad_files", a);
	a = json_object();
	for (i = 0; i < 4; i++)
		json_object_set_new(a, verdicts[i], json_integer((json_int_t)by_verdict[i]));
	json_object_set_new(s, "by_verdict", a);
	a = json_object();
	for (i = 0; i < m->commands.n; i++)
		if (cmds[i])
			json_object_set_new(a, m->commands.s[i], json_integer((json_int_t)cmds[i]));
	json_object_set_new(s, "by_command", a);
	json_object_set_new(s, "versions", json_pack("{s:o, s:o, s:o}", "openssl",
						     versions_json(&m->versions, ossl), "libcurl",
						     versions_json(&m->versions, curl), "atscheck",
						     versions_json(&m->versions, tool)));
	a = json_array();
	for (i = 0; i < m->cas.n && i < MAX_CAS; i++)
		if (cas[i].n)
			json_array_append_new(a, json_pack("{s:s, s:I, s:O}", "ca", m->cas.s[i], "devices",
							   (json_int_t)cas[i].n, "device_ids", cas[i].ids));
	json_object_set_new(s, "missing_cas", sorted(a, "ca"));
	a = json_array();
	for (i = 0; i < m->causes.n; i++) {
		if (!causes[i].n)
			continue; /* only a replaced duplicate had it */
		json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:O}", "cause", m->causes.s[i], "severity",
				      verdicts[m->cause_sev[i] & 3], "fix",
				      m->cause_fix[i] ? m->cause_fix[i] : "", "devices",
				      (json_int_t)causes[i].n, "device_ids", causes[i].ids);
		json_array_append_new(a, c);
	}
	a = causes_sorted(a);
	json_object_set_new(s, "causes", a);
	a = json_array();
	for (i = 0; i < m->items.n; i++)
		if (items[i].n)
			json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:O}", "name", m->items.s[i],
							   "first_not_after",
							   ats_time_format((time_t)items[i].first, buf, sizeof(buf)),
							   "first_not_after_epoch", (json_int_t)items[i].first,
							   "devices", (json_int_t)items[i].n, "device_ids",
							   items[i].ids));
	json_object_set_new(s, "expiring", sorted_by(a, "first_not_after_epoch", "name", true));
	if (base) {
		json_t *b = json_pack("{s:s}", "file", m->o.baseline);
		if (compare(m, order, names, base, b, &nworse, &ngone) != 0) {
			json_decref(b);
			ats_err_set(err, ATS_ENOMEM, "out of memory comparing with the baseline");
			goto out;
		}
		json_object_set_new(s, "baseline", b);
	}

	/* The fleet's verdict: CRITICAL when a device is; WARNING for anything else that needs a look. */
	ats_verdict v = by_verdict[ATS_VERDICT_CRITICAL] ? ATS_VERDICT_CRITICAL
		: by_verdict[ATS_VERDICT_WARNING] || by_verdict[ATS_VERDICT_UNKNOWN] || m->nbad || nworse || ngone
			? ATS_VERDICT_WARNING
			: ATS_VERDICT_OK;
	if (nd == 0) {
		v = ATS_VERDICT_UNKNOWN;
		ats_report_problem(problems, v, NULL, NULL, "no device report found in the paths given",
				   "point report merge at the folder the devices' JSON reports are "
				   "collected in");
	}
	json_array_foreach(json_object_get(s, "causes"), i, a) {
		snprintf(msg, sizeof(msg), "%lld of %zu devices: %s",
			 json_integer_value(json_object_get(a, "devices")), nd, ats_json_str(a, "cause"));
		ats_report_problem(problems, (ats_verdict)ats_merge_verdict_of(ats_json_str(a, "severity")),
				   NULL, NULL, msg, ats_json_str(a, "fix"));
	}
	if (m->nbad) {
		snprintf(msg, sizeof(msg), "%zu report files could not be used (first: %s: %s)", m->nbad,
			 m->bad[0].file, m->bad[0].why);
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg,
				   "see bad_files: a device that wrote half a file should write "
				   "atomically (--output)");
	}
	if (nworse) {
		snprintf(msg, sizeof(msg), "%zu devices got worse since the baseline", nworse);
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg,
				   "see baseline.worse for each device's new causes");
	}
	if (ngone) {
		snprintf(msg, sizeof(msg), "%zu devices in the baseline sent no report", ngone);
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg,
				   "see baseline.gone: are they still running?");
	}
	ats_report_close(s, v, problems);
	json_object_set_new(s, "devices", devices);
	problems = devices = NULL;
	*summary = s;
	s = NULL;
	rc = 0;
out:
	for (i = 0; names && i < m->devices.n; i++)
		free(names[i]);
	free(names);
	for (i = 0; causes && i < m->causes.n; i++)
		json_decref(causes[i].ids);
	for (i = 0; items && i < m->items.n; i++)
		json_decref(items[i].ids);
	for (i = 0; i < MAX_CAS; i++)
		json_decref(cas[i].ids);
	free(order);
	free(ossl);
	free(curl);
	free(tool);
	free(cmds);
	free(causes);
	free(items);
	json_decref(s);
	json_decref(devices);
	json_decref(problems);
	json_decref(base);
	return rc;
}
