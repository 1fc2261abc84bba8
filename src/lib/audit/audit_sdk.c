/* An AVS Device SDK's trust, as its LibcurlUtils.cpp sets it up: TLS 1.2+, peer and host
 * verified, libcurl's compiled-in CA file, and libcurlUtils.CURLOPT_CAPATH in place of libcurl's
 * default path (CURLOPT_CAINFO is never set). The device trusts the union of the two. */
#include "audit/audit_int.h"

#include "base/util.h"

#include <stdio.h>
#include <string.h>

json_t *ats_audit_families(const bool usable[ATS_CA_COUNT])
{
	json_t *j = json_object();
	for (int f = 0; j && f < ATS_FAMILY_COUNT; f++) {
		const char *how = ats_family_anchor(usable, f);
		json_object_set_new(j, ats_family_name(f), how ? json_string(how) : json_null());
	}
	return j;
}

void ats_audit_cannot_anchor(const char *what, const bool usable[ATS_CA_COUNT],
			     const ats_audit_opts *o, ats_verdict sev, const char *aside,
			     json_t *problems)
{
	char msg[1024], fix[512], fams[256] = "";
	size_t n = 0;
	for (int f = 0; f < ATS_FAMILY_COUNT; f++)
		if (ats_family_anchor(usable, f))
			n += (size_t)snprintf(fams + n, n < sizeof(fams) ? sizeof(fams) - n : 0, "%s%s",
					      n ? ", " : "", ats_family_key(f));
	snprintf(msg, sizeof(msg), "%s can anchor only %s chains, but AVS serves chains under %s: "
		 "TLS to AVS will fail%s", what, fams, ats_family_name(ATS_FAMILY_AVS), aside);
	snprintf(fix, sizeof(fix), "atscheck install%s%s --ca '%s'", o->root ? " --root " : "",
		 o->root ? o->root : "", ats_catalog_get(ats_family_root(ATS_FAMILY_AVS))->name);
	ats_report_problem_cause(problems, "cannot-anchor-avs", sev, what, NULL, msg, fix);
}

bool ats_audit_sdk_reads(const ats_store *s)
{
	size_t i;
	json_t *lab;
	json_array_foreach(s->labels, i, lab)
		if (strncmp(json_string_value(lab), "sdk-", 4) == 0)
			return true;
	return false;
}

/* The store that carries the label, or -1. */
static long with_label(const ats_store_list *l, const char *label)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t k;
		json_t *lab;
		json_array_foreach(l->v[i]->labels, k, lab)
			if (strcmp(json_string_value(lab), label) == 0)
				return (long)i;
	}
	return -1;
}

static ats_verdict worst_of(const json_t *problems)
{
	ats_verdict v = ATS_VERDICT_OK;
	size_t i;
	json_t *p;
	json_array_foreach(problems, i, p) {
		const char *sev = json_string_value(json_object_get(p, "severity"));
		for (int k = ATS_VERDICT_OK; sev && k <= ATS_VERDICT_UNKNOWN; k++)
			if (strcmp(sev, ats_verdict_name((ats_verdict)k)) == 0)
				v = ats_verdict_worst(v, (ats_verdict)k);
	}
	return v;
}

ats_verdict ats_audit_sdk(const ats_store_list *l, bool (*usable)[ATS_CA_COUNT],
			  const ats_audit_opts *o, json_t *report, json_t *problems,
			  const json_t *sdk_problems)
{
	const ats_sdk_config *c = l->sdk;
	json_t *mine = json_array(), *sdk = json_object(), *trust = json_object();
	json_t *anchors = json_array(), *adds = json_array(), *missing = json_array();
	long fi = with_label(l, "sdk-libcurl-cainfo");
	long di = with_label(l, c->capath ? "sdk-config-capath" : "sdk-libcurl-capath");
	bool u[ATS_CA_COUNT] = {0};
	char msg[2048], fix[1024], what[1024], install[600];
	size_t i;
	json_t *p;

	snprintf(install, sizeof(install), "atscheck install%s%s", o->root ? " --root " : "",
		 o->root ? o->root : "");
	/* The config's own findings (unreadable, not JSON, a value of the wrong kind). */
	json_array_foreach(c->problems, i, p) {
		json_t *q = json_deep_copy(p);
		json_object_set_new(q, "store", json_copy(json_object_get(p, "file")));
		json_array_append_new(mine, q);
	}
	/* What the stores the SDK reads say beyond a missing CA (an impostor, a broken entry). */
	json_array_foreach(sdk_problems, i, p) {
		const char *cause = json_string_value(json_object_get(p, "cause"));
		if (cause && (!strcmp(cause, "ca-missing") || !strcmp(cause, "ca-deselected") ||
			      !strcmp(cause, "no-usable-ca") || !strcmp(cause, "cannot-anchor-avs")))
			continue;
		json_array_append_new(mine, json_deep_copy(p));
	}
	if (c->verify_off) {
		snprintf(msg, sizeof(msg), "%s: libcurlUtils.verifyHostsAndPeers is false: an SDK built "
			 "with DEBUG then checks neither AVS's certificate nor its name, so anyone on the "
			 "network path can pose as AVS", c->verify_file);
		snprintf(fix, sizeof(fix), "remove libcurlUtils.verifyHostsAndPeers from %s (or set it "
			 "to true), and ship a release build", c->verify_file);
		ats_report_problem_cause(mine, "sdk-verify-off", ATS_VERDICT_CRITICAL, c->verify_file,
					 NULL, msg, fix);
	}
	if (c->capath && strcmp(l->sdk_capath_state, "absent") == 0) {
		snprintf(msg, sizeof(msg), "%s: libcurlUtils.CURLOPT_CAPATH %s does not exist: libcurl "
			 "ignores it (OpenSSL's and GnuTLS's libcurl alike) and trusts only %s",
			 c->capath_file, c->capath, l->sdk_cainfo ? l->sdk_cainfo : "nothing");
		snprintf(fix, sizeof(fix), "create %s with the CAs and their hash links (openssl "
			 "rehash), or remove the setting from %s", c->capath, c->capath_file);
		ats_report_problem_cause(mine, "sdk-capath-absent", ATS_VERDICT_WARNING, c->capath_file,
					 NULL, msg, fix);
	} else if (c->capath && strcmp(l->sdk_capath_state, "not-a-directory") == 0) {
		snprintf(msg, sizeof(msg), "%s: libcurlUtils.CURLOPT_CAPATH %s is a file, not a folder "
			 "of hashed CA certificates", c->capath_file, c->capath);
		ats_report_problem_cause(mine, "sdk-config-value", ATS_VERDICT_UNKNOWN, c->capath_file,
					 NULL, msg, "name a folder there (a CA file cannot be given to the SDK)");
	} else if (c->capath && di >= 0 && l->v[di]->n == 0 && !l->v[di]->error) {
		snprintf(msg, sizeof(msg), "%s: libcurlUtils.CURLOPT_CAPATH %s holds no certificate under "
			 "a hash name: OpenSSL's libcurl finds none there (GnuTLS's reads every file)",
			 c->capath_file, c->capath);
		snprintf(fix, sizeof(fix), "openssl rehash %s", c->capath);
		ats_report_problem_cause(mine, "sdk-capath-no-hash-links", ATS_VERDICT_WARNING,
					 c->capath_file, NULL, msg, fix);
	}

	/* The union, and what the folder adds to the file. */
	for (int k = 0; k < ATS_CA_COUNT; k++) {
		bool in_file = fi >= 0 && usable[fi][k];
		bool in_dir = di >= 0 && usable[di][k];
		u[k] = in_file || in_dir;
		const char *name = ats_catalog_get(k)->name;
		json_array_append_new(u[k] ? anchors : missing, json_string(name));
		if (in_dir && !in_file)
			json_array_append_new(adds, json_string(name));
	}
	const char *avs = ats_family_anchor(u, ATS_FAMILY_AVS);
	snprintf(what, sizeof(what), "the AVS Device SDK's trust (%s%s%s)",
		 l->sdk_cainfo ? l->sdk_cainfo : "no CA file", l->sdk_capath ? " + " : "",
		 l->sdk_capath ? l->sdk_capath : "");
	if (json_array_size(anchors) == 0) {
		snprintf(msg, sizeof(msg), "%s holds none of the six ATS CAs: TLS to AVS will fail", what);
		ats_report_problem_cause(mine, "no-usable-ca", ATS_VERDICT_CRITICAL, what, NULL, msg,
					 install);
	} else if (!avs) {
		ats_audit_cannot_anchor(what, u, o, ATS_VERDICT_CRITICAL, "", mine);
	} else if (json_array_size(missing)) {
		size_t n = 0;
		char names[512] = "";
		json_array_foreach(missing, i, p)
			n += (size_t)snprintf(names + n, n < sizeof(names) ? sizeof(names) - n : 0, "%s%s",
					      n ? ", " : "", json_string_value(p));
		snprintf(msg, sizeof(msg), "%s lacks %s", what, names);
		ats_report_problem_cause(mine, "ca-missing", ATS_VERDICT_WARNING, what, NULL, msg,
					 install);
	}
	ats_verdict v = worst_of(mine);

	json_object_set_new(trust, "cainfo", l->sdk_cainfo ? json_string(l->sdk_cainfo) : json_null());
	json_object_set_new(trust, "capath", l->sdk_capath ? json_string(l->sdk_capath) : json_null());
	json_object_set_new(trust, "capath_from", json_string(c->capath ? "libcurlUtils.CURLOPT_CAPATH"
								       : "libcurl-default"));
	json_object_set_new(trust, "capath_state", json_string(l->sdk_capath_state));
	json_object_set_new(trust, "anchors", anchors);
	json_object_set_new(trust, "capath_adds", adds);
	json_object_set_new(trust, "missing", missing);
	json_object_set_new(trust, "families", ats_audit_families(u));
	json_object_set_new(trust, "anchors_avs", json_boolean(avs != NULL));

	json_object_set(sdk, "configs", c->files);
	json_object_set_new(sdk, "auto_sdk", json_boolean(c->auto_sdk));
	json_object_set_new(sdk, "libcurl_utils", json_boolean(c->libcurl_utils));
	json_object_set_new(sdk, "verify_hosts_and_peers", json_boolean(!c->verify_off));
	json_object_set_new(sdk, "trust", trust);
	json_object_set_new(sdk, "gateway",
			    json_pack("{s:s, s:s, s:s?, s:b}", "url", c->gateway_shown, "key",
				      c->gateway_key, "file", c->gateway_file, "valid", !c->gateway_bad));
	json_object_set_new(sdk, "verdict", json_string(ats_verdict_name(v)));
	json_object_set_new(report, "sdk", sdk);
	json_array_extend(problems, mine);
	json_decref(mine);
	return v;
}
