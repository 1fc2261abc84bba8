/* From the accumulated records to the fleet summary tree (command "merge"). Every count is exact
 * and computed here, once, from the records (a device counts once, by its newest report); the
 * device names behind each count are bounded examples (ATS_MERGE_EXAMPLES, the first by name),
 * with "device_ids_complete" saying whether they are all of them. */
#include "report/report_merge_int.h"

#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY 86400
#define verdicts ats_merge_verdicts

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

/* A version the report does not carry (libcurl is not loaded by an audit) is said so. */
static json_t *versions_json(const strtab *vt, const size_t *count)
{
	json_t *a = json_array();
	for (uint32_t i = 0; i < vt->n; i++)
		if (count[i])
			json_array_append_new(a, json_pack("{s:s, s:I}", "version",
							   *vt->s[i] ? vt->s[i] : "(not in the report)",
							   "devices", (json_int_t)count[i]));
	return sorted(a, "version");
}

static json_t *picked(pick *p)
{
	json_t *a = json_array();
	ats_pick_finish(p);
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].text) {
			json_t *o = json_loads(p->v[i].text, 0, NULL);
			free(p->v[i].text); /* the tree is built once: the text goes as it is read */
			p->v[i].text = NULL;
			if (o)
				json_array_append_new(a, o);
		} else if (p->v[i].obj)
			json_array_append(a, p->v[i].obj);
		else
			json_array_append_new(a, json_string(p->v[i].name));
	}
	return a;
}

static json_t *named(anomaly *a)
{
	json_t *o = json_pack("{s:I}", "reports", (json_int_t)a->n);
	ats_pick_ids(&a->files, o, NULL, "files");
	return o;
}

int ats_merge_summary(ats_merge *m, json_t **summary, ats_err *err)
{
	size_t nd = m->ndev, nv = m->versions.n, i;
	size_t *ossl = calloc(nv + 1, sizeof(size_t)), *curl = calloc(nv + 1, sizeof(size_t));
	size_t *tool = calloc(nv + 1, sizeof(size_t)), *cmds = calloc(m->commands.n + 1, sizeof(size_t));
	size_t *ncause = calloc(m->causes.n + 1, sizeof(size_t)), *nitem = calloc(m->items.n + 1, sizeof(size_t));
	uint32_t *first_day = malloc((m->items.n + 1) * sizeof(uint32_t));
	size_t by_verdict[4] = {0}, nca[MAX_CAS] = {0}, nstale = 0;
	fleet_end e = {0};
	json_t *s = json_object(), *problems = json_array(), *a;
	char msg[2048], buf[32];
	int rc = ATS_ENOMEM;

	e.count = calloc(m->nprof + 1, sizeof(size_t));
	e.by_cause = calloc(m->causes.n + 1, sizeof(pick));
	e.by_item = calloc(m->items.n + 1, sizeof(pick));
	if (m->oom || !ossl || !curl || !tool || !cmds || !ncause || !nitem || !first_day || !s ||
	    !problems || !e.count || !e.by_cause || !e.by_item) {
		ats_err_set(err, ATS_ENOMEM, "out of memory merging the reports");
		goto out;
	}
	if (m->spool_err[0] || !m->spool) {
		rc = ats_err_set(err, ATS_EIO, "%s", m->spool_err);
		goto out;
	}
	for (i = 0; i < m->causes.n; i++)
		ats_pick_init(&e.by_cause[i], ATS_MERGE_EXAMPLES);
	for (i = 0; i < m->items.n; i++) {
		ats_pick_init(&e.by_item[i], ATS_MERGE_EXAMPLES);
		first_day[i] = UINT32_MAX;
	}
	for (i = 0; i < MAX_CAS; i++)
		ats_pick_init(&e.by_ca[i], ATS_MERGE_EXAMPLES);
	ats_pick_init(&e.stale, ATS_MERGE_EXAMPLES);
	ats_pick_init(&e.rows, ATS_MERGE_ROWS);
	ats_pick_init(&e.worse, ATS_MERGE_EXAMPLES);
	ats_pick_init(&e.gone, ATS_MERGE_EXAMPLES);
	int64_t sb = (int64_t)m->o.at - (int64_t)m->o.stale_days * DAY;
	e.stale_before = sb < 0 ? 0 : (uint32_t)sb;

	/* Counts, from the records through their profiles. */
	for (i = 0; i < nd; i++) {
		e.count[m->devs[i].prof & DEV_PROF]++;
		nstale += m->devs[i].time < e.stale_before;
	}
	for (uint32_t id = 0; id < m->nprof; id++) {
		size_t n = e.count[id];
		const uint32_t *p = ats_merge_prof(m, id);
		if (!n)
			continue;
		by_verdict[p[P_VERDICT] & 3] += n;
		cmds[p[P_COMMAND]] += n;
		ossl[p[P_OPENSSL]] += n;
		curl[p[P_LIBCURL]] += n;
		tool[p[P_ATSCHECK]] += n;
		uint64_t miss = (uint64_t)p[P_MISS_LO] | (uint64_t)p[P_MISS_HI] << 32;
		for (uint32_t c = 0; c < MAX_CAS; c++)
			if (miss & (1ull << c))
				nca[c] += n;
		for (uint32_t c = 0; c < p[P_NCAUSES]; c++)
			ncause[p[P_NCAUSES + 1 + c]] += n;
		const uint32_t *x = p + P_NCAUSES + 1 + p[P_NCAUSES];
		for (uint32_t k = 0; k < x[0]; k++) {
			nitem[x[1 + 2 * k]] += n;
			if (x[2 + 2 * k] < first_day[x[1 + 2 * k]])
				first_day[x[1 + 2 * k]] = x[2 + 2 * k];
		}
	}
	if ((rc = ats_merge_devices(m, &e, err)) != 0)
		goto out;
	if (m->o.baseline && (rc = ats_merge_baseline(m, &e, err)) != 0)
		goto out;
	rc = ATS_ENOMEM;
	/* The records are done with: the tree below is built in the room they leave. */
	free(m->devs);
	m->devs = NULL;
	m->ndev = m->cap_dev = 0;

	json_object_set_new(s, "command", json_string("merge"));
	json_object_set_new(s, "at", json_string(ats_time_format(m->o.at, buf, sizeof(buf))));
	json_object_set_new(s, "horizon_days", json_integer(m->o.horizon_days));
	json_object_set_new(s, "stale_days", json_integer(m->o.stale_days));
	json_object_set_new(s, "files", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "read",
						  (json_int_t)m->reports, "devices",
						  (json_int_t)nd, "duplicates", (json_int_t)m->superseded,
						  "superseded", (json_int_t)m->superseded, "unreadable",
						  (json_int_t)(m->nbad - m->npartial), "partial",
						  (json_int_t)m->npartial));
	/* Threads finish in any order: the files named are the first by name, the same on one thread
	 * as on several. */
	json_object_set_new(s, "bad_files", picked(&m->bad));
	json_object_set_new(s, "bad_files_complete", json_boolean(m->bad.n == m->nbad));
	json_object_set_new(s, "report_time", json_pack("{s:o, s:o}", "future", named(&m->future),
							"missing", named(&m->notime)));
	json_object_set_new(s, "bounds", json_pack("{s:i, s:i, s:i}", "device_ids", ATS_MERGE_EXAMPLES,
						   "files_named", ATS_MERGE_NAMED, "device_rows",
						   ATS_MERGE_ROWS));
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
		if (nca[i]) {
			json_t *c = json_pack("{s:s, s:I}", "ca", m->cas.s[i], "devices", (json_int_t)nca[i]);
			ats_pick_ids(&e.by_ca[i], c, NULL, "device_ids");
			json_array_append_new(a, c);
		}
	json_object_set_new(s, "missing_cas", sorted(a, "ca"));
	a = json_array();
	for (i = 0; i < m->causes.n; i++) {
		if (!ncause[i])
			continue; /* only a superseded report had it */
		json_t *c = json_pack("{s:s, s:s, s:s, s:I}", "cause", m->causes.s[i], "severity",
				      verdicts[m->cause_sev[i] & 3], "fix",
				      m->cause_fix[i] ? m->cause_fix[i] : "", "devices", (json_int_t)ncause[i]);
		ats_pick_ids(&e.by_cause[i], c, NULL, "device_ids");
		json_array_append_new(a, c);
	}
	json_object_set_new(s, "causes", causes_sorted(a));
	a = json_array();
	for (i = 0; i < m->items.n; i++) {
		if (!nitem[i])
			continue;
		/* the exact second when the earliest seen falls on the first day, else that day */
		int64_t first = (int64_t)first_day[i] * DAY;
		if (m->item_min[i] / DAY == (int64_t)first_day[i])
			first = m->item_min[i];
		json_t *c = json_pack("{s:s, s:s, s:I, s:I}", "name", m->items.s[i], "first_not_after",
				      ats_time_format((time_t)first, buf, sizeof(buf)),
				      "first_not_after_epoch", (json_int_t)first, "devices", (json_int_t)nitem[i]);
		ats_pick_ids(&e.by_item[i], c, NULL, "device_ids");
		json_array_append_new(a, c);
	}
	json_object_set_new(s, "expiring", sorted_by(a, "first_not_after_epoch", "name", true));
	a = json_pack("{s:I, s:s}", "devices", (json_int_t)nstale, "before",
		      ats_time_format((time_t)e.stale_before, buf, sizeof(buf)));
	ats_pick_ids(&e.stale, a, NULL, "device_ids");
	json_object_set_new(s, "stale", a);
	if (e.have_base) {
		json_t *b = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I}", "file", m->o.baseline,
				      "devices_before", (json_int_t)e.before, "better", (json_int_t)e.better,
				      "unchanged", (json_int_t)e.same, "new", (json_int_t)e.fresh,
				      "worse_devices", (json_int_t)e.nworse, "gone_devices",
				      (json_int_t)e.ngone);
		json_object_set_new(b, "worse", picked(&e.worse));
		json_object_set_new(b, "worse_complete", json_boolean(e.worse.n == e.nworse));
		json_object_set_new(b, "gone", picked(&e.gone));
		json_object_set_new(b, "gone_complete", json_boolean(e.gone.n == e.ngone));
		json_object_set_new(s, "baseline", b);
	}

	/* The fleet's verdict: CRITICAL when a device is; WARNING for anything else that needs a look. */
	ats_verdict v = by_verdict[ATS_VERDICT_CRITICAL] ? ATS_VERDICT_CRITICAL
		: by_verdict[ATS_VERDICT_WARNING] || by_verdict[ATS_VERDICT_UNKNOWN] || m->nbad ||
				e.nworse || e.ngone || nstale || m->future.n || m->notime.n
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
	if (nstale) {
		snprintf(msg, sizeof(msg), "%zu devices sent no report for more than %d days (first: %s)",
			 nstale, m->o.stale_days, e.stale.n ? e.stale.v[0].name : "");
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg,
			"see stale: is the device running, and its timer (systemctl status atscheck.timer)?");
	}
	if (m->nbad) {
		snprintf(msg, sizeof(msg), "%zu report files could not be used (first: %s: %s)", m->nbad,
			 m->bad.n ? ats_json_str(m->bad.v[0].obj, "file") : "",
			 m->bad.n ? ats_json_str(m->bad.v[0].obj, "error") : "");
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg,
			"see bad_files: a device that wrote half a file should write atomically (--output)");
	}
	if (m->future.n) {
		snprintf(msg, sizeof(msg), "%zu reports are dated after %s (first: %s); their file time "
			 "was used", m->future.n, ats_time_format(m->o.at, buf, sizeof(buf)),
			 m->future.files.n ? m->future.files.v[0].name : "");
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg, "check the clock of the devices that wrote them");
	}
	if (m->notime.n) {
		snprintf(msg, sizeof(msg), "%zu reports carry no time (first: %s); their file time was used",
			 m->notime.n, m->notime.files.n ? m->notime.files.v[0].name : "");
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg,
			"collect reports of commands that judge a moment (audit, probe, check)");
	}
	if (e.nworse) {
		snprintf(msg, sizeof(msg), "%zu devices got worse since the baseline", e.nworse);
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg, "see baseline.worse for each device's new causes");
	}
	if (e.ngone) {
		snprintf(msg, sizeof(msg), "%zu devices in the baseline sent no report", e.ngone);
		ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg, "see baseline.gone: are they still running?");
	}
	ats_report_close(s, v, problems);
	problems = NULL;
	/* The rows: the worst first, at most ATS_MERGE_ROWS; then shown sorted by name. */
	a = picked(&e.rows);
	json_object_set_new(s, "devices", sorted_by(a, "_none", "device", false));
	json_object_set_new(s, "devices_complete", json_boolean(e.rows.n == nd));
	if (m->o.devices_file)
		json_object_set_new(s, "devices_file", json_string(m->o.devices_file));
	*summary = s;
	s = NULL;
	rc = 0;
out:
	for (i = 0; e.by_cause && i < m->causes.n; i++)
		ats_pick_free(&e.by_cause[i]);
	for (i = 0; e.by_item && i < m->items.n; i++)
		ats_pick_free(&e.by_item[i]);
	for (i = 0; i < MAX_CAS; i++)
		ats_pick_free(&e.by_ca[i]);
	ats_pick_free(&e.stale);
	ats_pick_free(&e.rows);
	ats_pick_free(&e.worse);
	ats_pick_free(&e.gone);
	free(e.by_cause);
	free(e.by_item);
	free(e.count);
	free(first_day);
	free(ossl);
	free(curl);
	free(tool);
	free(cmds);
	free(ncause);
	free(nitem);
	json_decref(s);
	json_decref(problems);
	return rc;
}
