/* Prometheus text exposition for one device's report. Metric names are frozen (reports/README.md):
 * renaming one breaks every dashboard and alert built on it. Timestamps, not "days left". Facts
 * that are absent are left out, never written as 0: "down" and "expired" must not look alike. */
#include "report/report_prom.h"

#include "report/report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const ca_statuses[] = {"present", "variant",	   "impostor", "expired",
					  "not-yet-valid", "deselected", "missing"};
static const char *const check_statuses[] = {"pass", "warn", "fail", "skip"};
static const char *const severities[] = {"WARNING", "CRITICAL", "UNKNOWN"};

void ats_prom_family(ats_prom *p, const char *name, const char *help)
{
	p->name = name;
	p->help = help;
	p->header_out = 0;
}

static void put_label_value(ats_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			ats_buf_printf(b, "\\%c", *v);
		else if (*v == '\n')
			ats_buf_put(b, "\\n", 2);
		else
			ats_buf_put(b, v, 1);
	}
}

void ats_prom_sample(ats_prom *p, const char *name, double v, ...)
{
	ats_buf *b = &p->b;
	va_list ap;
	const char *k;
	int n = 0;
	if (!p->header_out && p->name && strcmp(p->name, name) == 0) {
		ats_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, p->help, name);
		p->header_out = 1;
	}
	ats_buf_printf(b, "%s", name);
	va_start(ap, v);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);
		ats_buf_printf(b, "%s%s=\"", n++ ? "," : "{", k);
		put_label_value(b, val ? val : "");
		ats_buf_put(b, "\"", 1);
	}
	va_end(ap);
	if (n)
		ats_buf_put(b, "}", 1);
	if (v > -1e15 && v < 1e15 && v == (double)(long long)v)
		ats_buf_printf(b, " %.0f\n", v);
	else
		ats_buf_printf(b, " %.9g\n", v);
}

/* r[key], or r[nest][key] for a command (check) that carries another's report inside. */
static const json_t *facts(const json_t *r, const char *key, const char *nest)
{
	const json_t *a = json_object_get(r, key);
	return a ? a : json_object_get(json_object_get(r, nest), key);
}

/* A family with one sample per item of items that has an integer field, labelled by one of its
 * string fields. */
static void int_family(ats_prom *b, const char *name, const char *help, const json_t *items,
		       const char *field, const char *label, const char *label_field)
{
	size_t i;
	const json_t *it;
	ats_prom_family(b, name, help);
	json_array_foreach(items, i, it)
		if (json_is_integer(json_object_get(it, field)))
			ats_prom_sample(b, name, (double)json_integer_value(json_object_get(it, field)),
					label, ats_json_str(it, label_field), NULL);
}

static void audit_metrics(ats_prom *b, const json_t *stores)
{
	size_t i, j, k;
	const json_t *s, *ca;

	ats_prom_family(b, "atscheck_ca_status",
			"Status of each ATS CA in each trust store (1 for the status it has, else 0).");
	json_array_foreach(stores, i, s)
		json_array_foreach(json_object_get(s, "cas"), j, ca)
			for (k = 0; k < sizeof(ca_statuses) / sizeof(*ca_statuses); k++)
				ats_prom_sample(b, "atscheck_ca_status",
						strcmp(ats_json_str(ca, "status"), ca_statuses[k]) == 0,
						"ca", ats_json_str(ca, "name"), "store",
						ats_json_str(s, "path"), "status", ca_statuses[k], NULL);
	ats_prom_family(b, "atscheck_ca_usable",
			"1 when the CA can anchor an ATS chain from this store, else 0.");
	json_array_foreach(stores, i, s)
		json_array_foreach(json_object_get(s, "cas"), j, ca)
			ats_prom_sample(b, "atscheck_ca_usable", json_is_true(json_object_get(ca, "usable")),
					"ca", ats_json_str(ca, "name"), "store", ats_json_str(s, "path"),
					NULL);
	ats_prom_family(b, "atscheck_ca_not_after_timestamp_seconds",
			"notAfter of the CA certificate found in the store (Unix time).");
	json_array_foreach(stores, i, s)
		json_array_foreach(json_object_get(s, "cas"), j, ca) {
			const json_t *na = json_object_get(ca, "not_after_epoch");
			if (json_is_integer(na))
				ats_prom_sample(b, "atscheck_ca_not_after_timestamp_seconds",
						(double)json_integer_value(na), "ca", ats_json_str(ca, "name"),
						"store", ats_json_str(s, "path"), NULL);
		}
	ats_prom_family(b, "atscheck_store_readable", "1 when the trust store could be read, else 0.");
	json_array_foreach(stores, i, s)
		ats_prom_sample(b, "atscheck_store_readable", !json_is_string(json_object_get(s, "error")),
				"store", ats_json_str(s, "path"), NULL);
	int_family(b, "atscheck_store_certificates", "Certificates in the trust store.", stores,
		   "certificates", "store", "path");
	ats_prom_family(b, "atscheck_store_verdict",
			"Verdict for the trust store: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	json_array_foreach(stores, i, s)
		ats_prom_sample(b, "atscheck_store_verdict",
				ats_status_verdict(ats_json_str(s, "verdict")), "store",
				ats_json_str(s, "path"), NULL);
}

/* probes[] as the probe writes them (reports/README.md): "name" (h2, http/1.1) is the protocol
 * label, "verdict", "times_ms" {phase: milliseconds spent in that phase}, "http" {"status"},
 * "certificates" {"sent": [leaf first]}. */
static const char *const phases[] = {"dns", "tcp", "tls", "first_byte"};

/* One timestamp of each certificate the server sent, by depth. */
static void cert_times(ats_prom *b, const json_t *probes, const char *name, const char *help,
		       const char *field)
{
	size_t i, j;
	const json_t *p, *c, *v;
	ats_prom_family(b, name, help);
	json_array_foreach(probes, i, p)
		json_array_foreach(json_object_get(json_object_get(p, "certificates"), "sent"), j, c) {
			char depth[24];
			if (!json_is_integer(v = json_object_get(c, field)))
				continue;
			snprintf(depth, sizeof(depth), "%zu", j);
			ats_prom_sample(b, name, (double)json_integer_value(v), "protocol",
					ats_json_str(p, "name"), "depth", depth, "subject",
					ats_json_str(c, "subject"), NULL);
		}
}

static void probe_metrics(ats_prom *b, const json_t *probes)
{
	size_t i, j, k;
	const json_t *p, *c, *v;

	ats_prom_family(b, "atscheck_probe_success", "1 when the probe passed, else 0.");
	json_array_foreach(probes, i, p)
		ats_prom_sample(b, "atscheck_probe_success",
				ats_status_verdict(ats_json_str(p, "verdict")) == ATS_VERDICT_OK,
				"protocol", ats_json_str(p, "name"), NULL);
	/* The metric is frozen as "from the start to the end of the phase": the phases' times add
	 * up to it, as far as the probe got (a phase not reached is null, and so are those after). */
	ats_prom_family(b, "atscheck_probe_duration_seconds",
			"Time from the start of the probe to the end of each phase (dns, tcp, tls, "
			"first_byte, total).");
	json_array_foreach(probes, i, p) {
		const json_t *t = json_object_get(p, "times_ms");
		double sum = 0;
		for (k = 0; k < sizeof(phases) / sizeof(*phases); k++) {
			if (!json_is_number(v = json_object_get(t, phases[k])))
				break;
			sum += json_number_value(v);
			ats_prom_sample(b, "atscheck_probe_duration_seconds", sum / 1000.0, "protocol",
					ats_json_str(p, "name"), "phase", phases[k], NULL);
		}
		if (json_is_number(v = json_object_get(t, "total")))
			ats_prom_sample(b, "atscheck_probe_duration_seconds", json_number_value(v) / 1000.0,
					"protocol", ats_json_str(p, "name"), "phase", "total", NULL);
	}
	/* Why a probe failed, as the one enumerated word the text and JSON give ("ok" when it
	 * passed): down and expired and incomplete-chain must not look alike. */
	ats_prom_family(b, "atscheck_probe_cause_info",
			"The cause of the probe's outcome (ok, or why it failed), as the cause label (always 1).");
	json_array_foreach(probes, i, p)
		if (*ats_json_str(p, "cause"))
			ats_prom_sample(b, "atscheck_probe_cause_info", 1, "protocol", ats_json_str(p, "name"),
					"cause", ats_json_str(p, "cause"), NULL);
	ats_prom_family(b, "atscheck_probe_tls_version_info",
			"The TLS version the handshake negotiated (always 1).");
	json_array_foreach(probes, i, p)
		if (*ats_json_str(json_object_get(p, "tls"), "version"))
			ats_prom_sample(b, "atscheck_probe_tls_version_info", 1, "protocol",
					ats_json_str(p, "name"), "version",
					ats_json_str(json_object_get(p, "tls"), "version"), NULL);
	ats_prom_family(b, "atscheck_probe_http_version_info",
			"The HTTP version the endpoint answered with (always 1).");
	json_array_foreach(probes, i, p)
		if (*ats_json_str(json_object_get(p, "http"), "version"))
			ats_prom_sample(b, "atscheck_probe_http_version_info", 1, "protocol",
					ats_json_str(p, "name"), "version",
					ats_json_str(json_object_get(p, "http"), "version"), NULL);
	ats_prom_family(b, "atscheck_probe_http_status", "HTTP status the endpoint answered.");
	json_array_foreach(probes, i, p)
		if (json_is_integer(v = json_object_get(json_object_get(p, "http"), "status")))
			ats_prom_sample(b, "atscheck_probe_http_status", (double)json_integer_value(v),
					"protocol", ats_json_str(p, "name"), NULL);
	cert_times(b, probes, "atscheck_probe_cert_not_after_timestamp_seconds",
		   "notAfter of each certificate the server sent (Unix time), by depth.", "not_after_epoch");
	cert_times(b, probes, "atscheck_probe_cert_not_before_timestamp_seconds",
		   "notBefore of each certificate the server sent (Unix time), by depth.", "not_before_epoch");
	ats_prom_family(b, "atscheck_probe_cert_info",
			"Each certificate the server sent, by depth: subject, issuer, serial (hex) and "
			"SHA-256 fingerprint as labels (always 1).");
	json_array_foreach(probes, i, p)
		json_array_foreach(json_object_get(json_object_get(p, "certificates"), "sent"), j, c) {
			char depth[24];
			snprintf(depth, sizeof(depth), "%zu", j);
			ats_prom_sample(b, "atscheck_probe_cert_info", 1, "protocol", ats_json_str(p, "name"),
					"depth", depth, "subject", ats_json_str(c, "subject"), "issuer",
					ats_json_str(c, "issuer"), "serial", ats_json_str(c, "serial"),
					"sha256", ats_json_str(c, "sha256"), NULL);
		}
}

/* checks[]: one state set per check; a name seen twice gets "#2" so no series repeats. */
static void check_metrics(ats_prom *b, const char *cmd, const json_t *checks)
{
	size_t i, j, k;
	const json_t *c;
	ats_prom_family(b, "atscheck_check_status",
			"Status of each named check (1 for the status it has, else 0).");
	json_array_foreach(checks, i, c) {
		char name[512];
		size_t dup = 1;
		const char *st = ats_json_str(c, "status");
		for (j = 0; j < i; j++)
			dup += strcmp(ats_json_str(json_array_get(checks, j), "name"),
				      ats_json_str(c, "name")) == 0;
		if (dup > 1)
			snprintf(name, sizeof(name), "%s#%zu", ats_json_str(c, "name"), dup);
		else
			snprintf(name, sizeof(name), "%s", ats_json_str(c, "name"));
		/* skip is its own state (not checked); the rest by what the word means (a word that
		 * means none of them holds no state). */
		ats_verdict v = ats_status_verdict(st);
		int held = strcmp(st, "skip") == 0 ? 3 : v == ATS_VERDICT_UNKNOWN ? -1 : (int)v;
		for (k = 0; k < sizeof(check_statuses) / sizeof(*check_statuses); k++)
			ats_prom_sample(b, "atscheck_check_status", held == (int)k, "command", cmd,
					"check", name, "status", check_statuses[k], NULL);
	}
}

/* selftest: one check per run, passed when its probes ended as the run expects (a run that must
 * fail has failing probes, so they are not atscheck_probe_* series, and the protocol label alone
 * could not tell the runs apart). */
static json_t *selftest_checks(const json_t *runs)
{
	json_t *a = json_array();
	size_t i;
	const json_t *x;
	json_array_foreach(runs, i, x)
		json_array_append_new(a, json_pack("{s:s, s:s}", "name", ats_json_str(x, "name"), "status",
						   json_is_true(json_object_get(x, "as_expected")) ? "pass"
												   : "fail"));
	return a;
}

char *ats_report_prometheus(const json_t *r)
{
	ats_prom p = {0}, *b = &p;
	const char *cmd = ats_json_str(r, "command");
	const json_t *tool = json_object_get(r, "tool"), *problems = json_object_get(r, "problems");
	const json_t *a;
	time_t at = ats_report_at(r);
	size_t i;

	if (strcmp(cmd, "merge") == 0) {
		ats_prom_fleet(b, r);
		return ats_buf_take(&p.b);
	}
	ats_prom_family(b, "atscheck_check_verdict",
			"Verdict of the run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.");
	ats_prom_sample(b, "atscheck_check_verdict",
			(double)json_integer_value(json_object_get(r, "exit_code")), "command", cmd, NULL);
	ats_prom_family(b, "atscheck_problems", "Problems found, by severity.");
	for (size_t k = 0; k < 3; k++) {
		size_t n = 0;
		json_array_foreach(problems, i, a)
			n += strcmp(ats_json_str(a, "severity"), severities[k]) == 0;
		ats_prom_sample(b, "atscheck_problems", (double)n, "command", cmd, "severity",
				severities[k], NULL);
	}
	if (at != (time_t)-1) {
		ats_prom_family(b, "atscheck_check_at_timestamp_seconds",
				"The moment the run judged validity at (Unix time; --at, default now).");
		ats_prom_sample(b, "atscheck_check_at_timestamp_seconds", (double)at, "command", cmd,
				NULL);
	}
	if (tool) {
		ats_prom_family(b, "atscheck_build_info",
				"atscheck and the TLS libraries it runs with (always 1).");
		ats_prom_sample(b, "atscheck_build_info", 1, "version", ats_json_str(tool, "atscheck"),
				"openssl", ats_json_str(tool, "openssl"), "libcurl",
				ats_json_str(tool, "libcurl"), NULL);
		ats_prom_family(b, "atscheck_libcurl_http2", "1 when this libcurl can speak HTTP/2.");
		ats_prom_sample(b, "atscheck_libcurl_http2",
				json_is_true(json_object_get(tool, "libcurl_http2")), NULL);
	}
	if ((a = facts(r, "stores", "audit")) && json_is_array(a))
		audit_metrics(b, a);
	if ((a = facts(r, "probes", "probe")) && json_is_array(a))
		probe_metrics(b, a);
	if ((a = facts(r, "roots", "ats_roots")) && json_is_array(a))
		ats_prom_ats_roots(b, a);
	if ((a = json_object_get(r, "checks")) && json_array_size(a))
		check_metrics(b, cmd, a);
	if ((a = json_object_get(r, "runs")) && json_array_size(a)) {
		json_t *runs = selftest_checks(a);
		check_metrics(b, cmd, runs);
		json_decref(runs);
	}
	return ats_buf_take(&p.b);
}
