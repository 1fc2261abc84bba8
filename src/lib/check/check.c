#include "check/check.h"
#include "audit/audit.h"

#include "base/util.h"
#include "probe/targets.h"
#include "report/tree.h"
#include "store/catalog.h"

#include <stdio.h>

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

/* The gateway this device connects to, and where that came from. */
typedef struct gateway {
	const char *url;    /* NULL: none to probe (see why) */
	const char *shown;  /* for the report (password redacted) */
	const char *source; /* "sdk-config", "region", "sdk-default" */
	const char *key, *file, *why;
} gateway;

static int pick_gateway(const ats_check_opts *o, const ats_store_list *l, gateway *g, ats_err *err)
{
	const ats_sdk_config *c = l->sdk;
	const ats_probe_target *rt = o->region ? ats_probe_target_region(o->region) : NULL;
	memset(g, 0, sizeof(*g));
	if (o->region && !rt)
		return ats_err_set(err, ATS_EUSAGE, "region '%s': give na, eu or fe", o->region);
	if (c && strcmp(c->gateway_key, "default") != 0) {
		g->source = "sdk-config";
		g->key = c->gateway_key;
		g->file = c->gateway_file;
		g->shown = c->gateway_shown;
		if (c->gateway_bad)
			g->why = "the SDK config's gateway is not an https URL";
		else
			g->url = c->gateway;
	} else if (rt) {
		g->source = "region";
		g->key = rt->region;
		g->url = g->shown = rt->url;
	} else {
		g->source = "sdk-default";
		g->shown = ATS_SDK_DEFAULT_GATEWAY;
		/* An endpoint named (a lab, a loopback look-alike) with no gateway named: only that
		 * endpoint is probed, so a lab never reaches out to the real gateway. */
		if (o->probe.url)
			g->why = "an endpoint was named and neither an SDK config nor a region names a gateway";
		else
			g->url = g->shown;
	}
	return 0;
}

/* A check of the gateway: where it came from, and its probe (or why there is none). */
static json_t *gateway_json(const gateway *g, json_t *probe, const char *no_probe)
{
	const ats_probe_target *t = ats_probe_target_find(g->shown);
	json_t *j = json_pack("{s:s?, s:s, s:s?, s:s?}", "url", g->shown, "source", g->source, "key",
			      g->key, "file", g->file);
	if (t && t->region)
		json_object_set_new(j, "region", json_string(t->region));
	if (probe)
		json_object_set_new(j, "probe", probe);
	else {
		json_object_set_new(j, "probe", json_null());
		json_object_set_new(j, "probe_skipped", json_string(g->why ? g->why : no_probe));
	}
	return j;
}

/* The family a verified probe of this endpoint used, or NULL. */
static const char *probe_family(const json_t *probe)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(probe, "probes"), i, p) {
		const json_t *c = json_object_get(p, "certificates");
		if (json_is_true(json_object_get(c, "verified")) && json_is_string(json_object_get(c, "family")))
			return json_string_value(json_object_get(c, "family"));
	}
	return NULL;
}

/* Whether the audit finds this device able to anchor family fam: the SDK's whole trust when an
 * SDK config was read, else any store. */
static bool audit_anchors(const json_t *audit, const char *fam)
{
	size_t i;
	json_t *s;
	const json_t *sdk = json_object_get(audit, "sdk");
	if (json_is_object(sdk))
		return json_is_string(json_object_get(json_object_get(json_object_get(sdk, "trust"), "families"), fam));
	json_array_foreach(json_object_get(audit, "stores"), i, s)
		if (json_is_string(json_object_get(json_object_get(s, "families"), fam)))
			return true;
	return false;
}

/* A WARNING about the key family one part's probe used (cause: endpoint-family or
 * audit-probe-disagree). */
static void family_warning(json_t *problems, const char *cause, const char *part, const char *msg,
			   const char *fix)
{
	json_t *p = ats_report_problem(problems, ATS_VERDICT_WARNING, NULL, NULL, msg, fix);
	if (p) {
		json_object_set_new(p, "cause", json_string(cause));
		json_object_set_new(p, "part", json_string(part));
	}
}

/* A verified probe names the family its chain used: one that is not the family atscheck
 * expects of that endpoint (probe/targets.c), or one the audit finds no store to anchor, is
 * said, so neither the audit's judgement nor the probe's pass is taken on trust. */
static ats_verdict family_findings(const json_t *audit, const json_t *probe, const char *url,
				   const char *part, json_t *problems)
{
	const char *fam = probe_family(probe);
	const ats_probe_target *t = ats_probe_target_find(url);
	const char *want = ats_family_name(t ? t->family : ATS_FAMILY_AVS);
	ats_verdict v = ATS_VERDICT_OK;
	char msg[1024];
	if (!fam)
		return v;
	if (strcmp(fam, want) != 0) {
		snprintf(msg, sizeof(msg), "%s served a chain under %s, not %s as atscheck expects of it: "
			 "the audit judged the stores by %s", url, fam, want, want);
		family_warning(problems, "endpoint-family", part, msg,
			       "make sure the device trusts the root of the family the endpoint really "
			       "serves (all four Amazon roots cover every family)");
		v = ATS_VERDICT_WARNING;
	}
	if (!audit_anchors(audit, fam)) {
		snprintf(msg, sizeof(msg), "%s verified under %s, but the audit finds no store of this device "
			 "that anchors that family: the probe trusted something the audit did not see",
			 url, fam);
		family_warning(problems, "audit-probe-disagree", part, msg,
			       "audit the store the probe used (--bundle / --capath), or check "
			       "SSL_CERT_FILE / SSL_CERT_DIR");
		v = ATS_VERDICT_WARNING;
	}
	return v;
}

/* The HTTP/2 probe's failure first (AVS speaks only HTTP/2), then any probe's. */
static json_t *probe_cause(const json_t *probe)
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
	return NULL;
}

/* The one thing to say first: what keeps this device from AVS (a probe's cause: the test
 * endpoint's, then the gateway's), else the worst problem, else that all is well. */
static json_t *summary(const json_t *audit, const json_t *probe, const json_t *gw_probe,
		       const json_t *roots, ats_verdict v)
{
	size_t i;
	json_t *p, *c;
	if ((c = probe_cause(probe)) || (c = probe_cause(gw_probe)))
		return c;
	json_array_foreach(json_object_get(audit, "problems"), i, p)
		if (strcmp(ats_json_str(p, "severity"), ats_verdict_name(v)) == 0)
			return json_pack("{s:s, s:s, s:s}", "cause",
					 *ats_json_str(p, "cause") ? ats_json_str(p, "cause") : "store",
					 "message", ats_json_str(p, "message"), "fix", ats_json_str(p, "fix"));
	json_array_foreach(json_object_get(roots, "problems"), i, p)
		if (strcmp(ats_json_str(p, "severity"), ats_verdict_name(v)) == 0)
			return json_pack("{s:s, s:s, s:s}", "cause", ats_json_str(p, "cause"), "message",
					 ats_json_str(p, "message"), "fix", ats_json_str(p, "fix"));
	return json_pack("{s:s, s:s, s:s}", "cause", "ok", "message",
			 probe ? "this device trusts ATS and reaches the endpoint over HTTP/2"
			       : "this device's trust stores hold the ATS CAs",
			 "fix", "");
}

int ats_check_run(const ats_check_opts *o, json_t **report, ats_err *err)
{
	ats_store_list *stores = NULL;
	json_t *audit = NULL, *probe = NULL, *gw_probe = NULL, *r = NULL, *problems = NULL;
	json_t *endpoints = NULL, *roots = NULL;
	int rc;
	char t[32];
	gateway g;

	*report = NULL;
	if ((rc = ats_store_list_load(&o->stores, &stores, err)) != 0 ||
	    (rc = pick_gateway(o, stores, &g, err)) != 0 ||
	    (rc = ats_audit_run(stores, &o->audit, &audit, err)) != 0)
		goto out;
	if (!o->no_probe) {
		/* The probes trust what the device does: with an SDK config, libcurl's CA file plus
		 * its CURLOPT_CAPATH (a folder that is not there: the CA file alone, as libcurl). */
		ats_probe_opts po = o->probe;
		if (stores->sdk && stores->sdk->capath && !po.cainfo && !po.capath && !po.cainfo_pem) {
			if (strcmp(stores->sdk_capath_state, "added") == 0)
				po.capath = stores->sdk->capath;
			else
				po.cainfo = stores->sdk_cainfo;
		}
		const char *urls[2] = {o->probe.url, g.url};
		json_t *reps[2] = {NULL, NULL};
		/* The gateway is probed only when it is another endpoint than the one asked for. */
		size_t n = g.url && !(o->probe.url && strcmp(o->probe.url, g.url) == 0) ? 2 : 1;
		if ((rc = ats_probe_run_many(&po, urls, n, reps, err)) != 0)
			goto out;
		probe = reps[0];
		gw_probe = reps[1];
	}
	if (!o->no_probe && o->ats_roots && (rc = ats_roots_run(o->ats_roots, &roots, err)) != 0)
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
	if (gw_probe)
		v = ats_verdict_worst(v, (ats_verdict)json_integer_value(json_object_get(gw_probe, "exit_code")));
	take_problems(problems, audit, "audit");
	take_problems(problems, probe, "probe");
	take_problems(problems, gw_probe, "gateway");
	if (roots) {
		v = ats_verdict_worst(v, (ats_verdict)json_integer_value(json_object_get(roots, "exit_code")));
		take_problems(problems, roots, "ats-roots");
	}
	if (probe)
		v = ats_verdict_worst(v, family_findings(audit, probe, ats_json_str(probe, "endpoint"),
							 "probe", problems));
	if (gw_probe)
		v = ats_verdict_worst(v, family_findings(audit, gw_probe, ats_json_str(gw_probe, "endpoint"),
							 "gateway", problems));
	/* Which endpoint came from where. */
	endpoints = json_array();
	json_array_append_new(endpoints, json_pack("{s:s, s:s, s:s}", "url",
						   o->probe.url ? o->probe.url : ATS_PROBE_DEFAULT_URL,
						   "role", "ats-test-endpoint", "source",
						   o->probe.url ? "endpoint-option" : "built-in"));
	json_array_append_new(endpoints, json_pack("{s:s?, s:s, s:s, s:s?, s:s?}", "url", g.shown,
						   "role", "avs-gateway", "source", g.source, "key",
						   g.key, "file", g.file));
	json_object_set_new(r, "command", json_string("check"));
	json_object_set_new(r, "at", json_string(ats_time_format(o->audit.at, t, sizeof(t))));
	if (o->audit.root)
		json_object_set_new(r, "root", json_string(o->audit.root));
	json_object_set_new(r, "summary", summary(audit, probe, gw_probe, roots, v));
	json_object_set_new(r, "endpoints", endpoints);
	endpoints = NULL;
	json_object_set_new(r, "audit", audit);
	audit = NULL;
	if (probe) {
		json_object_set_new(r, "probe", probe);
		probe = NULL;
	} else {
		json_object_set_new(r, "probe", json_null());
		json_object_set_new(r, "probe_skipped", json_string(o->no_probe));
	}
	json_object_set_new(r, "gateway", gateway_json(&g, gw_probe, o->no_probe ? o->no_probe
						       : "the same endpoint as the probe"));
	gw_probe = NULL;
	if (roots) {
		json_object_set(r, "checks", json_object_get(roots, "checks"));
		json_object_set_new(r, "ats_roots", roots);
		roots = NULL;
	}
	ats_report_close(r, v, problems);
	problems = NULL;
	*report = r;
	r = NULL;
out:
	ats_store_list_free(stores);
	json_decref(audit);
	json_decref(probe);
	json_decref(gw_probe);
	json_decref(endpoints);
	json_decref(roots);
	json_decref(r);
	json_decref(problems);
	return rc;
}
