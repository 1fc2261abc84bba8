/* The matrix judged: per root, the good chain must be accepted, the expired one rejected for its
 * expiry, the revoked one noticed (information unless required: libcurl checks no revocation
 * unless asked). Each cell says what happened and whether that is what it must be; each root
 * and the whole matrix say what it means in words. */
#include "audit/audit.h"
#include "base/strbuf.h"
#include "base/util.h"
#include "probe/ats_roots_int.h"
#include "probe/diagnose.h"
#include "report/tree.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct judged {
	const char *status; /* pass, warn, fail, skip */
	ats_verdict sev;    /* of the problem it makes (warn/fail) */
	char msg[768];
	const char *fix;
	const char *cause;
} judged;

/* accepted: the chain verified; rejected: the stack saw it and refused it; not-tested: no
 * chain was seen (no answer, a reset, not TLS...). */
static const char *outcome(const json_t *h)
{
	const json_t *f = json_object_get(h, "certificates");
	if (json_is_true(json_object_get(f, "verified")))
		return "accepted";
	return json_is_object(f) ? "rejected" : "not-tested";
}

static bool trust_cause(const char *cause)
{
	return strcmp(cause, "untrusted") == 0 || strcmp(cause, "unknown-root") == 0 ||
	       strcmp(cause, "store") == 0 || strcmp(cause, "incomplete-chain") == 0;
}

static void set(judged *j, const char *status, ats_verdict sev, const char *cause, const char *fix,
		const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void set(judged *j, const char *status, ats_verdict sev, const char *cause, const char *fix,
		const char *fmt, ...)
{
	va_list ap;
	j->status = status;
	j->sev = sev;
	j->cause = cause;
	j->fix = fix ? fix : "";
	va_start(ap, fmt);
	vsnprintf(j->msg, sizeof(j->msg), fmt, ap);
	va_end(ap);
}

static void judge_good(int n, const json_t *h, judged *j)
{
	const char *out = outcome(h), *host = ats_json_str(h, "name");
	if (strcmp(out, "accepted") == 0 && strcmp(ats_json_str(h, "cause"), "intercepted") == 0)
		/* Verified, but not up to an ATS root: something in the path re-signs the chain. */
		set(j, "warn", ATS_VERDICT_WARNING, "intercepted", ats_json_str(h, "fix"), "%s: %s", host,
		    ats_json_str(h, "message"));
	else if (strcmp(out, "accepted") == 0)
		set(j, "pass", ATS_VERDICT_OK, "ok", NULL, "%s: accepted, as it must be", host);
	else if (strcmp(out, "rejected") == 0)
		/* AVS serves RSA chains under Root CA 1 today: that one failing keeps the device off. */
		set(j, "fail", n == 1 ? ATS_VERDICT_CRITICAL : ATS_VERDICT_WARNING, ats_json_str(h, "cause"),
		    ats_json_str(h, "fix"), "%s: the good chain under %s (%s) is rejected: %s", host,
		    ats_roots_root_name(n), ats_roots_key_type(n), ats_json_str(h, "message"));
	else
		set(j, "warn", ATS_VERDICT_WARNING, ats_json_str(h, "cause"), ats_json_str(h, "fix"),
		    "%s: not tested: %s", host, ats_json_str(h, "message"));
}

static void judge_expired(int n, const json_t *h, bool good_ok, judged *j)
{
	const char *out = outcome(h), *host = ats_json_str(h, "name"), *cause = ats_json_str(h, "cause");
	if (strcmp(out, "accepted") == 0)
		set(j, "fail", ATS_VERDICT_CRITICAL, "expired-accepted",
		    "set the clock (NTP) and make sure this TLS stack verifies certificates "
		    "(CURLOPT_SSL_VERIFYPEER on, no custom verify callback that accepts all)",
		    "%s: an expired chain under %s was accepted: the clock or verification is wrong%s",
		    host, ats_roots_root_name(n),
		    strcmp(cause, "intercepted") == 0
			    ? " (it was anchored at a CA that is not ATS: a TLS-intercepting proxy in the "
			      "path may hide the expiry)"
			    : "");
	else if (strcmp(out, "rejected") == 0 && strcmp(cause, "expired") == 0)
		set(j, "pass", ATS_VERDICT_OK, "expired", NULL, "%s: rejected as expired, as it must be",
		    host);
	else if (strcmp(out, "rejected") == 0 && !good_ok)
		set(j, "skip", ATS_VERDICT_OK, cause, NULL,
		    "%s: not judged: the good chain under %s is rejected too (%s)", host,
		    ats_roots_root_name(n), cause);
	else if (strcmp(out, "rejected") == 0)
		set(j, "warn", ATS_VERDICT_WARNING, cause, ats_json_str(h, "fix"),
		    "%s: rejected, but for %s rather than its expiry: %s", host, cause,
		    ats_json_str(h, "message"));
	else
		set(j, "warn", ATS_VERDICT_WARNING, cause, ats_json_str(h, "fix"), "%s: not tested: %s",
		    host, ats_json_str(h, "message"));
}

/* Whether the stack noticed the revocation, and why not when it did not. */
static bool noticed(const json_t *h, char *why, size_t n)
{
	const json_t *so = json_object_get(h, "stapled_ocsp");
	const char *verdict = ats_json_str(json_object_get(so, "libcurl"), "verdict");
	const char *cs = ats_json_str(so, "cert_status");
	if (!json_is_true(json_object_get(so, "offered"))) {
		snprintf(why, n, "this libcurl cannot check a stapled OCSP response "
				 "(CURLOPT_SSL_VERIFYSTATUS not built in), and asks no responder");
		return false;
	}
	const char *msg = ats_json_str(json_object_get(so, "libcurl"), "message");
	bool says_revoked = strstr(msg, "revocation") || strstr(msg, "revoked");
	if (strcmp(verdict, "refused") == 0 && strcmp(cs, "revoked") == 0 && says_revoked) {
		const char *reason = ats_json_str(so, "reason");
		snprintf(why, n, "the server stapled an OCSP response saying revoked%s%s%s and libcurl "
				 "refused the connection (CURLOPT_SSL_VERIFYSTATUS); without that option "
				 "libcurl accepts this chain",
			 *reason ? " (" : "", reason, *reason ? ")" : "");
		return true;
	}
	if (!json_is_true(json_object_get(so, "stapled")))
		snprintf(why, n, "the server stapled no OCSP response, and libcurl asks no responder "
				 "(the chain itself verified)");
	else if (strcmp(verdict, "refused") == 0)
		snprintf(why, n, "libcurl could not judge the stapled OCSP response (%s); the response "
				 "says %s",
			 msg, *cs ? cs : "nothing readable");
	else
		snprintf(why, n, "the stapled OCSP response says %s, and libcurl accepted the chain",
			 *cs ? cs : "nothing readable");
	return false;
}

static void judge_revoked(int n, const json_t *h, bool good_ok, bool require, judged *j,
			  bool *seen)
{
	const char *out = outcome(h), *host = ats_json_str(h, "name"), *cause = ats_json_str(h, "cause");
	char why[512];
	*seen = false;
	if (strcmp(out, "rejected") == 0 && !good_ok)
		set(j, "skip", ATS_VERDICT_OK, cause, NULL,
		    "%s: not judged: the good chain under %s is rejected too (%s)", host,
		    ats_roots_root_name(n), cause);
	else if (strcmp(out, "rejected") == 0)
		set(j, "warn", ATS_VERDICT_WARNING, cause, ats_json_str(h, "fix"),
		    "%s: rejected before revocation was looked at: %s", host, ats_json_str(h, "message"));
	else if (strcmp(out, "not-tested") == 0)
		set(j, "warn", ATS_VERDICT_WARNING, cause, ats_json_str(h, "fix"), "%s: not tested: %s",
		    host, ats_json_str(h, "message"));
	else if ((*seen = noticed(h, why, sizeof(why))))
		set(j, "pass", ATS_VERDICT_OK, "ok", NULL, "%s: revoked, and noticed: %s", host, why);
	else
		set(j, require ? "fail" : "pass", require ? ATS_VERDICT_CRITICAL : ATS_VERDICT_OK,
		    "revocation-unchecked",
		    require ? "have the application ask for the stapled OCSP response "
			      "(CURLOPT_SSL_VERIFYSTATUS) and use servers that staple one"
			    : NULL,
		    "%s: revoked, not noticed (revocation is not checked by this stack): %s", host, why);
}

static json_t *cell(const json_t *h, const judged *j)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "host", ats_json_str(h, "name"), "outcome",
			 outcome(h), "status", j->status, "cause", j->cause, "message", j->msg, "fix",
			 j->fix);
}

static void check_of(json_t *checks, const json_t *h, const judged *j)
{
	json_array_append_new(checks, json_pack("{s:s, s:s, s:s, s:s}", "name", ats_json_str(h, "name"),
						"status", j->status, "message", j->msg, "fix", j->fix));
}

/* One line for the whole matrix about the good chains. */
static void goods_meaning(json_t *meaning, const bool good_ok[], const char *const causes[],
			  json_t *problems)
{
	ats_buf lacks = {0}, other = {0};
	int nlack = 0, nec = 0;
	for (int n = 0; n < ATS_ROOTS_N; n++) {
		if (good_ok[n])
			continue;
		ats_buf *b = trust_cause(causes[n]) ? &lacks : &other;
		ats_buf_printf(b, "%s%s", b->n ? ", " : "", ats_roots_root_name(n));
		if (b == &lacks) {
			nlack++;
			nec += strncmp(ats_roots_key_type(n), "EC", 2) == 0;
		}
	}
	if (!lacks.n && !other.n)
		json_array_append_new(meaning,
				      json_string("this stack can use ATS chains of every key type"));
	if (lacks.n) {
		char line[1024];
		snprintf(line, sizeof(line), "%s fail: this stack or store lacks %s",
			 nec == nlack ? "EC chains" : nec == 0 ? "RSA chains" : "chains of some key types",
			 lacks.p);
		json_array_append_new(meaning, json_string(line));
		ats_report_problem_cause(problems, "missing-root",
					 !good_ok[1] ? ATS_VERDICT_CRITICAL : ATS_VERDICT_WARNING, NULL,
					 NULL, line,
					 "atscheck install (adds the missing ATS roots where this "
					 "system's CA tool picks them up)");
	}
	if (other.n) {
		char line[1024];
		snprintf(line, sizeof(line), "not known whether this stack can use the chains under %s "
					     "(their good hosts were not tested or failed otherwise)",
			 other.p);
		json_array_append_new(meaning, json_string(line));
	}
	ats_buf_free(&lacks);
	ats_buf_free(&other);
}

int ats_roots_report(const ats_roots_opts *o, json_t *hosts, json_t *store_facts,
		     bool status_offered, json_t **report, ats_err *err)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	json_t *r = json_object(), *rows = json_array(), *checks = json_array();
	json_t *problems = json_array(), *meaning = json_array(), *scratch = json_array();
	ats_diag_ctx d = {.at = o->probe.at ? o->probe.at : o->probe.now,
			  .at_given = o->probe.at && o->probe.at != o->probe.now,
			  .libcurl_http2 = (cv->features & CURL_VERSION_HTTP2) != 0};
	ats_verdict v = ATS_VERDICT_OK;
	bool good_ok[ATS_ROOTS_N];
	const char *good_cause[ATS_ROOTS_N];
	int expired_accepted = 0, revoked_seen = 0, revoked_judged = 0;
	char t[32];
	int rc = 0;

	if (!r || !rows || !checks || !problems || !meaning || !scratch) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(hosts); i++)
		ats_diagnose_probe(json_array_get(hosts, i), &d, scratch);
	for (int n = 0; n < ATS_ROOTS_N; n++) {
		const json_t *g = json_array_get(hosts, (size_t)n * ATS_ROOTS_KINDS + ATS_ROOTS_GOOD);
		const json_t *e = json_array_get(hosts, (size_t)n * ATS_ROOTS_KINDS + ATS_ROOTS_EXPIRED);
		const json_t *rv = json_array_get(hosts, (size_t)n * ATS_ROOTS_KINDS + ATS_ROOTS_REVOKED);
		judged jg, je, jr;
		bool seen;
		char row_meaning[1024];

		judge_good(n, g, &jg);
		good_ok[n] = strcmp(jg.status, "pass") == 0;
		good_cause[n] = ats_json_str(g, "cause");
		judge_expired(n, e, good_ok[n], &je);
		judge_revoked(n, rv, good_ok[n], o->require_revocation, &jr, &seen);
		expired_accepted += strcmp(je.cause, "expired-accepted") == 0;
		revoked_seen += seen;
		revoked_judged += strcmp(outcome(rv), "accepted") == 0;

		if (strcmp(je.cause, "expired-accepted") == 0)
			snprintf(row_meaning, sizeof(row_meaning),
				 "an expired chain was accepted: the clock or verification is wrong");
		else if (!good_ok[n] && strcmp(outcome(g), "rejected") == 0)
			snprintf(row_meaning, sizeof(row_meaning), "chains under %s (%s) fail: %s",
				 ats_roots_root_name(n), ats_roots_key_type(n), ats_json_str(g, "message"));
		else if (!good_ok[n])
			snprintf(row_meaning, sizeof(row_meaning), "not tested: %s", ats_json_str(g, "message"));
		else
			snprintf(row_meaning, sizeof(row_meaning), "usable: the good chain verifies%s%s",
				 strcmp(je.status, "pass") == 0 ? ", the expired one is refused" : "",
				 seen ? ", revocation noticed (stapled OCSP)"
				 : strcmp(outcome(rv), "accepted") == 0 ? ", revocation not checked"
									: "");
		json_t *row = json_pack("{s:i, s:s, s:s, s:o, s:o, s:o, s:b, s:s}", "n", n, "root",
					ats_roots_root_name(n), "key", ats_roots_key_type(n), "good",
					cell(g, &jg), "expired", cell(e, &je), "revoked", cell(rv, &jr),
					"usable", good_ok[n] && strcmp(je.status, "fail") != 0,
					"meaning", row_meaning);
		json_object_set_new(json_object_get(row, "revoked"), "noticed", json_boolean(seen));
		json_array_append_new(rows, row);

		const judged *js[3] = {&jg, &je, &jr};
		const json_t *hs[3] = {g, e, rv};
		for (int k = 0; k < ATS_ROOTS_KINDS; k++) {
			check_of(checks, hs[k], js[k]);
			/* A rejected good chain for want of its root is said once, for all roots. */
			if (k == ATS_ROOTS_GOOD && strcmp(outcome(g), "rejected") == 0 &&
			    trust_cause(good_cause[n])) {
				v = ats_verdict_worst(v, js[k]->sev);
				continue;
			}
			if (strcmp(js[k]->status, "warn") == 0 || strcmp(js[k]->status, "fail") == 0) {
				ats_report_problem_cause(problems, js[k]->cause, js[k]->sev, NULL, NULL,
							 js[k]->msg, js[k]->fix);
				json_object_set_new(json_array_get(problems, json_array_size(problems) - 1),
						    "host", json_string(ats_json_str(hs[k], "name")));
				v = ats_verdict_worst(v, js[k]->sev);
			}
		}
	}
	goods_meaning(meaning, good_ok, good_cause, problems);
	if (expired_accepted)
		json_array_append_new(meaning, json_string("an expired chain was accepted: the clock or "
							   "verification is wrong (CRITICAL)"));
	if (revoked_judged && revoked_seen == revoked_judged)
		json_array_append_new(meaning,
				      json_string("revoked chains are noticed, through the OCSP response the "
						  "server staples (CURLOPT_SSL_VERIFYSTATUS); libcurl checks "
						  "no revocation unless asked, and never asks the responder "
						  "a certificate names"));
	else if (revoked_judged && revoked_seen == 0)
		json_array_append_new(meaning,
				      json_string("revocation is not checked by this stack: a revoked "
						  "chain is accepted (libcurl checks only a stapled OCSP "
						  "response, and only when asked)"));
	else if (revoked_judged) {
		char line[256];
		snprintf(line, sizeof(line), "revocation noticed for %d of the %d revoked chains that "
					     "verified (only where the server stapled a response)",
			 revoked_seen, revoked_judged);
		json_array_append_new(meaning, json_string(line));
	}
	if (json_object_get(store_facts, "error")) {
		ats_report_problem(problems, ATS_VERDICT_CRITICAL, NULL, NULL,
				   json_string_value(json_object_get(store_facts, "error")),
				   "install ca-certificates (or fix --cacert / --capath), then atscheck install");
		v = ats_verdict_worst(v, ATS_VERDICT_CRITICAL);
	}
	for (size_t i = 0; i < json_array_size(problems); i++)
		v = ats_verdict_worst(v, ats_status_verdict(ats_json_str(json_array_get(problems, i),
									 "severity")));

	json_object_set_new(r, "command", json_string("ats-roots"));
	json_object_set_new(r, "at", json_string(ats_time_format(d.at, t, sizeof(t))));
	json_object_set_new(r, "port", json_integer(o->port > 0 ? o->port : 443));
	json_object_set_new(r, "store", store_facts);
	store_facts = NULL;
	if (o->probe.proxy)
		json_object_set_new(r, "proxy", json_string(o->probe.proxy));
	json_object_set_new(r, "libcurl", json_pack("{s:s, s:s?, s:b}", "version", cv->version, "ssl",
						    cv->ssl_version, "http2", d.libcurl_http2));
	json_object_set_new(
		r, "revocation",
		json_pack("{s:{s:b, s:b}, s:{s:b, s:b, s:s}, s:b, s:i, s:i}", "stapled_ocsp", "offered",
			  status_offered, "tried", status_offered, "responder", "offered", 0, "tried", 0,
			  "why",
			  "libcurl with OpenSSL checks only an OCSP response the server staples; it "
			  "never asks the responder a certificate names",
			  "required", o->require_revocation, "noticed", revoked_seen, "judged",
			  revoked_judged));
	json_object_set_new(r, "meaning", meaning);
	meaning = NULL;
	json_object_set_new(r, "roots", rows);
	rows = NULL;
	json_object_set_new(r, "checks", checks);
	checks = NULL;
	json_object_set_new(r, "hosts", hosts);
	hosts = NULL;
	ats_report_close(r, v, problems);
	problems = NULL;
	*report = r;
	r = NULL;
out:
	json_decref(r);
	json_decref(rows);
	json_decref(checks);
	json_decref(problems);
	json_decref(meaning);
	json_decref(scratch);
	json_decref(hosts);
	json_decref(store_facts);
	return rc;
}
