/* JUnit XML for CI: one testcase per check. An audit gives one case per CA per store (and one per
 * store for "can it anchor an ATS chain at all"); a probe one per protocol (named h2, http/1.1);
 * selftest one per protocol per run; any command's "checks" one per check (skip: <skipped/>); a
 * problem nothing else claims becomes a case of its own. A WARNING is a <failure
 * type="WARNING">: the check did not pass, and CI decides whether that blocks.
 * reports/junit.xsd describes the result. */
#include "report/report.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <string.h>

typedef struct suite {
	ats_buf cases;
	size_t tests, failures, errors, skipped;
} suite;

/* XML 1.0 text: the five entities escaped, control characters (not allowed) dropped. */
static void xml(ats_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': ats_buf_put(b, "&amp;", 5); break;
		case '<': ats_buf_put(b, "&lt;", 4); break;
		case '>': ats_buf_put(b, "&gt;", 4); break;
		case '"': ats_buf_put(b, "&quot;", 6); break;
		case '\'': ats_buf_put(b, "&apos;", 6); break;
		case '\n': ats_buf_put(b, "&#10;", 5); break;
		case '\t': ats_buf_put(b, "&#9;", 4); break;
		default:
			if (c >= 0x20)
				ats_buf_put(b, s, 1);
		}
	}
}

/* One testcase. sev OK passes; UNKNOWN is an <error> (could not check); else a <failure>. */
static void add_case(suite *st, const char *classname, const char *name, ats_verdict sev,
		     const char *message, const char *detail)
{
	ats_buf *b = &st->cases;
	st->tests++;
	ats_buf_printf(b, "    <testcase classname=\"");
	xml(b, classname);
	ats_buf_printf(b, "\" name=\"");
	xml(b, name);
	ats_buf_printf(b, "\" time=\"0\"");
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
	xml(b, message);
	ats_buf_printf(b, "\">");
	xml(b, detail);
	ats_buf_printf(b, "</%s>\n    </testcase>\n", el);
}

/* A check that was not checked (status skip: an input it needs was not given). */
static void add_skipped(suite *st, const char *classname, const char *name, const char *message)
{
	ats_buf *b = &st->cases;
	st->tests++;
	st->skipped++;
	ats_buf_printf(b, "    <testcase classname=\"");
	xml(b, classname);
	ats_buf_printf(b, "\" name=\"");
	xml(b, name);
	ats_buf_printf(b, "\" time=\"0\">\n      <skipped message=\"");
	xml(b, message);
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

static void audit_cases(suite *st, const json_t *stores, const json_t *problems, json_t *claimed)
{
	size_t i, j;
	const json_t *s, *ca;
	json_array_foreach(stores, i, s) {
		const char *path = ats_json_str(s, "path");
		char cls[1100];
		snprintf(cls, sizeof(cls), "audit.%s", path);
		if (json_is_string(json_object_get(s, "error"))) {
			/* Nothing in it could be checked: one error, no case per CA. */
			ats_buf msg = {0}, detail = {0};
			ats_verdict v = problems_for(problems, path, NULL, claimed, &msg, &detail);
			add_case(st, cls, "readable", v == ATS_VERDICT_OK ? ATS_VERDICT_UNKNOWN : v,
				 ats_json_str(s, "error"), detail.p);
			ats_buf_free(&msg);
			ats_buf_free(&detail);
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
	}
}

/* One case per probe, named by its protocol ("h2", "http/1.1"). want NULL: the probe must pass;
 * else the cause it must fail with ("OK" to pass), as a selftest run expects. */
static void probe_cases(suite *st, const char *cls, const json_t *probes, const char *want)
{
	size_t i;
	const json_t *p;
	json_array_foreach(probes, i, p) {
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
		add_case(st, cls, ats_json_str(p, "name"), v, m.p ? m.p : *msg ? msg : cause,
			 ats_json_str(p, "fix"));
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
		ats_buf_printf(&cls, "%s.%s", cmd, ats_json_str(x, "name"));
		probe_cases(st, cls.p, json_object_get(json_object_get(x, "probe"), "probes"),
			    ats_json_str(x, "expect"));
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
		audit_cases(&st, a, problems, claimed);
	a = json_object_get(r, "probes");
	if (!a)
		a = json_object_get(json_object_get(r, "probe"), "probes");
	if (json_is_array(a)) {
		char cls[256];
		snprintf(cls, sizeof(cls), "%s.probe", cmd);
		probe_cases(&st, cls, a, NULL);
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
	/* Problems no case claimed: each its own case, unless "checks" already says it all. */
	json_array_foreach(problems, i, p) {
		char name[64];
		if (has_checks || json_is_true(json_array_get(claimed, i)))
			continue;
		snprintf(name, sizeof(name), "problem %zu", i + 1);
		add_case(&st, cmd, name, ats_status_verdict(ats_json_str(p, "severity")),
			 ats_json_str(p, "message"), ats_json_str(p, "fix"));
	}
	if (st.tests == 0)
		add_case(&st, cmd, "verdict", ats_status_verdict(ats_json_str(r, "verdict")),
			 ats_json_str(r, "verdict"), "");
	json_decref(claimed);

	const char *device = ats_json_str(r, "device");
	ats_buf_printf(&out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			     "<testsuites name=\"atscheck\" tests=\"%zu\" failures=\"%zu\" "
			     "errors=\"%zu\" skipped=\"%zu\">\n  <testsuite name=\"atscheck ",
		       st.tests, st.failures, st.errors, st.skipped);
	xml(&out, cmd);
	ats_buf_printf(&out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"0\"",
		       st.tests, st.failures, st.errors, st.skipped);
	if (*device) {
		ats_buf_printf(&out, " hostname=\"");
		xml(&out, device);
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
		xml(&out, props[i][1]);
		ats_buf_printf(&out, "\"/>\n");
	}
	ats_buf_printf(&out, "    </properties>\n");
	if (st.cases.p)
		ats_buf_put(&out, st.cases.p, st.cases.n);
	ats_buf_printf(&out, "  </testsuite>\n</testsuites>\n");
	ats_buf_free(&st.cases);
	return ats_buf_take(&out);
}
