#include "check/check.h"
#include "audit/audit.h"

#include "base/util.h"
#include "report/tree.h"

#include <string.h>

/* Copies a part's problems into the check's, each tagged with its part. */
static void take_problems(json_t *into, const json_t *part, const char *name)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(part, "problems"), i, p) {
		json_t *c = json_deep_copy(p);
		json_object_set_new(c, "part", json_string(name));
		json_array_append_new(into, c);
	}
}

/* The one thing to say first: what keeps this device from AVS (the HTTP/2 probe's cause, as
 * AVS speaks only HTTP/2), else the worst problem, else that all is well. */
static json_t *summary(const json_t *audit, const json_t *probe, ats_verdict v)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(probe, "probes"), i, p)
		if (strcmp(ats_json_str(p, "verdict"), "OK") != 0 && strcmp(ats_json_str(p, "name"), "h2") == 0)
			return json_pack("{s:s, s:s, s:s}", "cause", ats_json_str(p, "cause"), "message",
					 ats_json_str(p, "message"), "fix", ats_json_str(p, "fix"));
	json_array_foreach(json_object_get(probe, "probes"), i, p)
		if (strcmp(ats_json_str(p, "verdict"), "OK") != 0)
			return json_pack("{s:s, s:s, s:s}", "cause", ats_json_str(p, "cause"), "message",
					 ats_json_str(p, "message"), "fix", ats_json_str(p, "fix"));
	json_array_foreach(json_object_get(audit, "problems"), i, p)
		if (strcmp(ats_json_str(p, "severity"), ats_verdict_name(v)) == 0)
			return json_pack("{s:s, s:s, s:s}", "cause",
					 *ats_json_str(p, "cause") ? ats_json_str(p, "cause") : "store",
					 "message", ats_json_str(p, "message"), "fix", ats_json_str(p, "fix"));
	return json_pack("{s:s, s:s, s:s}", "cause", "ok", "message",
			 probe ? "this device trusts ATS and reaches the endpoint over HTTP/2"
			       : "this device's trust stores hold the ATS CAs",
			 "fix", "");
}

int ats_check_run(const ats_check_opts *o, json_t **report, ats_err *err)
{
	ats_store_list *stores = NULL;
	json_t *audit = NULL, *probe = NULL, *r = NULL, *problems = NULL;
	int rc;
	char t[32];

	*report = NULL;
	if ((rc = ats_store_list_load(&o->stores, &stores, err)) != 0 ||
	    (rc = ats_audit_run(stores, &o->audit, &audit, err)) != 0)
		goto out;
	if (!o->no_probe && (rc = ats_probe_run(&o->probe, &probe, err)) != 0)
		goto out;
	r = json_object();
	problems = json_array();
	if (!r || !problems) {
		rc = ats_err_set(err, ATS_ENOMEM, "check of %s: out of memory building the report", o->probe.url ? o->probe.url : "this device");
		goto out;
	}
	ats_verdict v = (ats_verdict)json_integer_value(json_object_get(audit, "exit_code"));
	if (probe)
		v = ats_verdict_worst(v, (ats_verdict)json_integer_value(json_object_get(probe, "exit_code")));
	take_problems(problems, audit, "audit");
	take_problems(problems, probe, "probe");
	json_object_set_new(r, "command", json_string("check"));
	json_object_set_new(r, "at", json_string(ats_time_format(o->audit.at, t, sizeof(t))));
	if (o->audit.root)
		json_object_set_new(r, "root", json_string(o->audit.root));
	json_object_set_new(r, "summary", summary(audit, probe, v));
	json_object_set_new(r, "audit", audit);
	audit = NULL;
	if (probe) {
		json_object_set_new(r, "probe", probe);
		probe = NULL;
	} else {
		json_object_set_new(r, "probe", json_null());
		json_object_set_new(r, "probe_skipped", json_string(o->no_probe));
	}
	ats_report_close(r, v, problems);
	problems = NULL;
	*report = r;
	r = NULL;
out:
	ats_store_list_free(stores);
	json_decref(audit);
	json_decref(probe);
	json_decref(r);
	json_decref(problems);
	return rc;
}
