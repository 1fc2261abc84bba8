/* JUnit XML for CI: one testcase per check. An audit gives one case per CA per store (and one per
 * store for "can it anchor an ATS chain at all"); a probe one per protocol (named h2, http/1.1);
 * selftest one per protocol per run; any command's "checks" one per check (skip: <skipped/>); a
 * problem nothing else claims (by its store and CA, or by the probes it names) becomes a case of
 * its own, named by its cause. A WARNING is a <failure type="WARNING">: the check did not pass,
 * and CI decides whether that blocks.
 *
 * What CI readers need: Jenkins' schema (xunit's junit-10.xsd: no "skipped" on <testsuites>),
 * a classname whose only dot separates the command from what it checked (Jenkins splits a
 * classname at its last dot, so a path's dots become '_'), and a time only where one was
 * measured (a probe's total; none is better than a made-up 0). reports/junit.xsd describes
 * the result. */
#include "report/report.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <string.h>

typedef struct suite {
	ats_buf cases;
	size_t tests, failures, errors, skipped;
	double time; /* seconds measured, summed over the cases that have one */
	bool timed;
} suite;

/* A classname: "<command>.<what>", <what> with no dot of its own (a path's become '_'). */
static void classname(ats_buf *b, const char *cmd, const char *what)
{
	ats_buf_printf(b, "%s", cmd);
	if (!what)
		return;
	ats_buf_put(b, ".", 1);
	for (; *what; what++)
		ats_buf_put(b, *what == '.' ? "_" : what, 1);
}

/* The opening of a testcase; secs < 0: no time measured. */
static void case_open(suite *st, const char *cls, const char *name, double secs)
{
	ats_buf *b = &st->cases;
	st->tests++;
	ats_buf_printf(b, "    <testcase classname=\"");
	ats_buf_put_markup(b, cls);
	ats_buf_printf(b, "\" name=\"");
	ats_buf_put_markup(b, name);
	ats_buf_printf(b, "\"");
	if (secs >= 0) {
		ats_buf_printf(b, " time=\"%.6f\"", secs);
		st->time += secs;
		st->timed = true;
	}
}

/* One testcase. sev OK passes; UNKNOWN is an <error> (could not check); else a <failure>. */
static void add_case_timed(suite *st, const char *cls, const char *name, ats_verdict sev,
			   const char *message, const char *detail, double secs)
{
	ats_buf *b = &st->cases;
	case_open(st, cls, name, secs);
	if (sev == ATS_VERDICT_OK) {
		ats_buf_printf(b, "/>\n");
		return;
	}
	const char *el = sev == ATS_VERDICT_UNKNOWN ? "error" : "failure";
	if (sev == ATS_VERDICT_UNKNOWN)
		st->errors++;
	else
		st->failures++;
	ats_buf_printf(b, ">\n      <%s type=\"%s\" message=\"", el, ats_verdict_name(sev));
	ats_buf_put_markup(b, message);
	ats_buf_printf(b, "\">");
	ats_buf_put_markup(b, detail);
	ats_buf_printf(b, "</%s>\n    </testcase>\n", el);
}

static void add_case(suite *st, const char *cls, const char *name, ats_verdict sev,
		     const char *message, const char *detail)
{
	add_case_timed(st, cls, name, sev, message, detail, -1);
}

/* A check that was not checked (status skip: an input it needs was not given). */
static void add_skipped(suite *st, const char *cls, const char *name, const char *message)
{
	ats_buf *b = &st->cases;
	st->skipped++;
	case_open(st, cls, name, -1);
	ats_buf_printf(b, ">\n      <skipped message=\"");
	ats_buf_put_markup(b, message);
	ats_buf_printf(b, "\"/>\n    </testcase>\n");
}

/* The problems of a store (and CA, or store-wide when ca is NULL) folded into one outcome. */
static ats_verdict problems_for(const json_t *problems, const char *store, const char *ca,
				json_t *claimed, ats_buf *msg, ats_buf *detail)
{
	ats_verdict v = ATS_VERDICT_OK;
	size_t i;
	const json_t *p;
	json_array_foreach(problems, i, p) {
		const json_t *pca = json_object_get(p, "ca");
		if (strcmp(ats_json_str(p, "store"), store) != 0 || (ca ? !json_is_string(pca) ||
				strcmp(json_string_value(pca), ca) != 0 : json_is_string(pca)))
			continue;
		json_array_set_new(claimed, i, json_true());
		v = ats_verdict_worst(v, ats_status_verdict(ats_json_str(p, "severity")));
		ats_buf_printf(msg, "%s%s", msg->n ? "; " : "", ats_json_str(p, "message"));
		if (*ats_json_str(p, "fix"))
			ats_buf_printf(detail, "fix: %s\n", ats_json_str(p, "fix"));
	}
	return v;
}

/* prefix: the classname's command part ("audit" for an audit and for check's audit part, "chain"
 * for a chain verified against stores). */
static void audit_cases(suite *st, const char *prefix, const json_t *stores, const json_t *problems,
			json_t *claimed)
{
	size_t i, j;
	const json_t *s, *ca;
	json_array_foreach(stores, i, s) {
		const char *path = ats_json_str(s, "path");
		ats_buf cb = {0};
		classname(&cb, prefix, path);
		const char *cls = cb.p ? cb.p : prefix;
		if (json_is_string(json_object_get(s, "error"))) {
			/* Nothing in it could be checked: one error, no case per CA. */
			ats_buf msg = {0}, detail = {0};
			ats_verdict v = problems_for(problems, path, NULL, claimed, &msg, &detail);
			add_case(st, cls, "readable", v == ATS_VERDICT_OK ? ATS_VERDICT_UNKNOWN : v,
				 ats_json_str(s, "error"), detail.p);
			ats_buf_free(&msg);
			ats_buf_free(&detail);
			ats_buf_free(&cb);
			continue;
		}
		json_array_foreach(json_object_get(s, "cas"), j, ca) {
			ats_buf msg = {0}, detail = {0};
			const char *st_word = ats_json_str(ca, "status");
			ats_verdict v = problems_for(problems, path, ats_json_str(ca, "name"), claimed,
						     &msg, &detail);
			/* A CA that is not usable fails its case even when no problem names it. */
			if (v == ATS_VERDICT_OK && !json_is_true(json_object_get(ca, "usable")))
				v = ATS_VERDICT_WARNING;
			if (!msg.n)
				ats_buf_printf(&msg, "%s", st_word);
			ats_buf_printf(&detail, "status: %s\n", st_word);
			add_case(st, cls, ats_json_str(ca, "name"), v, msg.p, detail.p);
			ats_buf_free(&msg);
			ats_buf_free(&detail);
		}
		ats_buf msg = {0}, detail = {0};
		ats_verdict v = problems_for(problems, path, NULL, claimed, &msg, &detail);
		if (!json_is_true(json_object_get(s, "connectable")))
			v = ats_verdict_worst(v, ATS_VERDICT_CRITICAL);
		add_case(st, cls, "anchors an ATS chain", v, msg.p ? msg.p : "not connectable",
			 detail.p);
		ats_buf_free(&msg);
		ats_buf_free(&detail);
		ats_buf_free(&cb);
	}
}

/* Whether a problem's "probe" ("h2, http/1.1") names this protocol. */
static bool names_probe(const json_t *problem, const char *name)
{
	const char *l = ats_json_str(problem, "probe");
	size_t n = strlen(name);
	for (const char *s = l; *name && (s = strstr(s, name)); s += n)
		if ((s == l || s[-1] == ' ' || s[-1] == ',') && (s[n] == '\0' || s[n] == ','))
			return true;
	return false;
}

/* One case per probe, named by its protocol ("h2", "http/1.1"), timed by its total; it claims
 * the problems that name it. want NULL: the probe must pass; else the cause it must fail with
 * ("OK" to pass), as a selftest run expects. */
static void probe_cases(suite *st, const char *cls, const json_t *probes, const char *want,
			const json_t *problems, json_t *claimed)
{
	size_t i, k;
	const json_t *p, *pr;
	json_array_foreach(probes, i, p) {
		json_array_foreach(problems, k, pr)
			if (claimed && names_probe(pr, ats_json_str(p, "name")))
				json_array_set_new(claimed, k, json_true());
		const json_t *total = json_object_get(json_object_get(p, "times_ms"), "total");
		double secs = json_is_number(total) ? json_number_value(total) / 1000.0 : -1;
		ats_verdict v = ats_status_verdict(ats_json_str(p, "verdict"));
		const char *cause = ats_json_str(p, "cause"), *msg = ats_json_str(p, "message");
		ats_buf m = {0};
		if (want && strcmp(want, "OK") != 0) {
			/* A run that must fail passes when it failed as expected. */
			bool as_expected = strcmp(cause, want) == 0;
			if (!as_expected)
				ats_buf_printf(&m, "expected %s, got %s: %s", want, *cause ? cause : "?", msg);
			v = as_expected ? ATS_VERDICT_OK : ATS_VERDICT_CRITICAL;
		}
		add_case_timed(st, cls, ats_json_str(p, "name"), v, m.p ? m.p : *msg ? msg : cause,
			       ats_json_str(p, "fix"), secs);
		ats_buf_free(&m);
	}
}

/* selftest: the probes of each run, classname "selftest.<run>". */
static void selftest_cases(suite *st, const char *cmd, const json_t *runs)
{
	size_t i;
	const json_t *x;
	json_array_foreach(runs, i, x) {
		ats_buf cls = {0};
		classname(&cls, cmd, ats_json_str(x, "name"));
		probe_cases(st, cls.p ? cls.p : cmd, json_object_get(json_object_get(x, "probe"), "probes"),
			    ats_json_str(x, "expect"), NULL, NULL);
		ats_buf_free(&cls);
	}
}

char *ats_report_junit(const json_t *r)
{
	suite st = {0};
	ats_buf out = {0};
	const char *cmd = ats_json_str(r, "command");
	const json_t *problems = json_object_get(r, "problems"), *a, *p;
	json_t *claimed = json_array();
	size_t i;
	/* selftest's runs are its checks: the problems only repeat them. */
	bool has_checks = json_array_size(json_object_get(r, "checks")) > 0 ||
			  json_array_size(json_object_get(r, "runs")) > 0;

	for (i = 0; i < json_array_size(problems); i++)
		json_array_append_new(claimed, json_false());
	a = json_object_get(r, "stores");
	if (!a)
		a = json_object_get(json_object_get(r, "audit"), "stores");
	if (json_is_array(a))
		audit_cases(&st, strcmp(cmd, "check") == 0 ? "audit" : cmd, a, problems, claimed);
	a = json_object_get(r, "probes");
	if (!a)
		a = json_object_get(json_object_get(r, "probe"), "probes");
	if (json_is_array(a)) {
		ats_buf cls = {0};
		classname(&cls, cmd, "probe");
		probe_cases(&st, cls.p ? cls.p : cmd, a, NULL, problems, claimed);
		ats_buf_free(&cls);
	}
	selftest_cases(&st, cmd, json_object_get(r, "runs"));
	json_array_foreach(json_object_get(r, "checks"), i, p) {
		if (strcmp(ats_json_str(p, "status"), "skip") == 0)
			add_skipped(&st, cmd, ats_json_str(p, "name"), ats_json_str(p, "message"));
		else
			add_case(&st, cmd, ats_json_str(p, "name"),
				 ats_status_verdict(ats_json_str(p, "status")), ats_json_str(p, "message"),
				 ats_json_str(p, "fix"));
	}
	/* Problems no case claimed: each its own case named by its cause (the same cause twice:
	 * "#2"), unless "checks" already says it all. */
	json_t *names = json_object();
	json_array_foreach(problems, i, p) {
		char name[96];
		if (has_checks || json_is_true(json_array_get(claimed, i)))
			continue;
		const char *cause = *ats_json_str(p, "cause") ? ats_json_str(p, "cause") : "problem";
		snprintf(name, sizeof(name), "%s", cause);
		for (int n = 2; json_object_get(names, name); n++)
			snprintf(name, sizeof(name), "%s #%d", cause, n);
		json_object_set_new(names, name, json_true());
		add_case(&st, cmd, name, ats_status_verdict(ats_json_str(p, "severity")),
			 ats_json_str(p, "message"), ats_json_str(p, "fix"));
	}
	json_decref(names);
	if (st.tests == 0)
		add_case(&st, cmd, "verdict", ats_status_verdict(ats_json_str(r, "verdict")),
			 ats_json_str(r, "verdict"), "");
	json_decref(claimed);

	const char *device = ats_json_str(r, "device");
	char secs[48] = "";
	if (st.timed)
		snprintf(secs, sizeof(secs), " time=\"%.6f\"", st.time);
	ats_buf_printf(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<testsuites name=\"atscheck\" tests=\"%zu\" failures=\"%zu\" "
			     "errors=\"%zu\"%s>\n  <testsuite name=\"atscheck ",
		       st.tests, st.failures, st.errors, secs);
	ats_buf_put_markup(&out, cmd);
	ats_buf_printf(&out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\"%s",
		       st.tests, st.failures, st.errors, st.skipped, secs);
	if (*device) {
		ats_buf_printf(&out, " hostname=\"");
		ats_buf_put_markup(&out, device);
		ats_buf_printf(&out, "\"");
	}
	time_t at = ats_report_at(r);
	if (at != (time_t)-1) {
		char ts[32];
		struct tm tm;
		gmtime_r(&at, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
		ats_buf_printf(&out, " timestamp=\"%s\"", ts);
	}
	ats_buf_printf(&out, ">\n    <properties>\n");
	const char *props[][2] = {{"verdict", ats_json_str(r, "verdict")},
				  {"atscheck", ats_json_str(json_object_get(r, "tool"), "atscheck")},
				  {"openssl", ats_json_str(json_object_get(r, "tool"), "openssl")},
				  {"libcurl", ats_json_str(json_object_get(r, "tool"), "libcurl")}};
	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		if (!*props[i][1])
			continue;
		ats_buf_printf(&out, "      <property name=\"%s\" value=\"", props[i][0]);
		ats_buf_put_markup(&out, props[i][1]);
		ats_buf_printf(&out, "\"/>\n");
	}
	ats_buf_printf(&out, "    </properties>\n");
	if (st.cases.p)
		ats_buf_put(&out, st.cases.p, st.cases.n);
	ats_buf_printf(&out, "  </testsuite>\n</testsuites>\n");
	ats_buf_free(&st.cases);
	return ats_buf_take(&out);
}
