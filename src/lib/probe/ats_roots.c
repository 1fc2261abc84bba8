/* The 15 ATS test hosts probed at once (see ats_roots.h): one easy handle per host on one multi
 * handle, set up by the probe machinery (probe.c) with one shared store; the revoked hosts with
 * libcurl's stapled-OCSP check on. The judging of the cells is ats_roots_judge.c. */
#include "probe/ats_roots.h"
#include "probe/ats_roots_int.h"
#include "probe/probe_int.h"

#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>

static const char *const kinds[ATS_ROOTS_KINDS] = {"good", "expired", "revoked"};

static const struct {
	const char *name, *key;
} roots[ATS_ROOTS_N] = {
	{"Starfield Services Root Certificate Authority - G2", "RSA 2048"},
	{"Amazon Root CA 1", "RSA 2048"},
	{"Amazon Root CA 2", "RSA 4096"},
	{"Amazon Root CA 3", "EC P-256"},
	{"Amazon Root CA 4", "EC P-384"},
};

const char *ats_roots_kind_name(int kind)
{
	return kind >= 0 && kind < ATS_ROOTS_KINDS ? kinds[kind] : "";
}

void ats_roots_host(int n, int kind, char *buf, size_t len)
{
	snprintf(buf, len, "%s.sca%da.%s", ats_roots_kind_name(kind), n, ATS_ROOTS_DOMAIN);
}

const char *ats_roots_root_name(int n)
{
	return n >= 0 && n < ATS_ROOTS_N ? roots[n].name : "";
}

const char *ats_roots_key_type(int n)
{
	return n >= 0 && n < ATS_ROOTS_N ? roots[n].key : "";
}

/* What the stapled check saw on one host: asked, what came back, and libcurl's own verdict. */
static json_t *ocsp_facts(const ats_probe_handle *p, bool offered)
{
	json_t *j = json_pack("{s:b, s:b}", "offered", offered, "asked", p->ocsp.asked);
	if (!j)
		return NULL;
	json_object_set_new(j, "stapled", json_boolean(p->ocsp.len > 0));
	if (p->ocsp.len > 0) {
		json_object_set_new(j, "bytes", json_integer(p->ocsp.len));
		json_object_set_new(j, "response_status",
				    p->ocsp.response_status >= 0
					    ? json_string(OCSP_response_status_str(p->ocsp.response_status))
					    : json_string("unreadable"));
		if (p->ocsp.cert_status >= 0)
			json_object_set_new(j, "cert_status",
					    json_string(OCSP_cert_status_str(p->ocsp.cert_status)));
		if (p->ocsp.reason >= 0)
			json_object_set_new(j, "reason", json_string(OCSP_crl_reason_str(p->ocsp.reason)));
	}
	/* libcurl judges the response after the chain verified: its result is the stack's answer. */
	if (p->cap.ok && p->result == CURLE_SSL_INVALIDCERTSTATUS)
		json_object_set_new(j, "libcurl", json_pack("{s:s, s:s}", "verdict", "refused", "message",
							    p->errbuf[0] ? p->errbuf
									 : curl_easy_strerror(p->result)));
	else if (p->cap.ok)
		json_object_set_new(j, "libcurl", json_pack("{s:s}", "verdict", "accepted"));
	return j;
}

/* The OCSP responder the leaf names (authorityInfoAccess), and why it is not asked. */
static json_t *responder_facts(const ats_probe_handle *p)
{
	X509 *leaf = sk_X509_num(p->cap.sent) > 0 ? sk_X509_value(p->cap.sent, 0) : NULL;
	STACK_OF(OPENSSL_STRING) *urls = leaf ? X509_get1_ocsp(leaf) : NULL;
	const char *url = sk_OPENSSL_STRING_num(urls) > 0 ? sk_OPENSSL_STRING_value(urls, 0) : NULL;
	json_t *j = json_pack("{s:s?, s:b, s:b, s:s}", "url", url, "offered", 0, "tried", 0, "why",
			      "libcurl with OpenSSL checks only an OCSP response the server staples; "
			      "it never asks the responder a certificate names");
	X509_email_free(urls);
	return j;
}

int ats_roots_run(const ats_roots_opts *o, json_t **report, ats_err *err)
{
	ats_probe_handle hs[ATS_ROOTS_HOSTS];
	char names[ATS_ROOTS_HOSTS][64];
	struct curl_slist *resolve = NULL;
	CURLM *m = NULL;
	X509_STORE *store = NULL;
	json_t *store_facts = NULL, *hosts = NULL;
	long port = o->port > 0 ? o->port : 443;
	bool status_offered = true;
	int rc = 0, nh = 0;

	*report = NULL;
	memset(hs, 0, sizeof(hs));
	store = ats_probe_store_load(&o->probe, &store_facts);
	if (!store || !store_facts || !(hosts = json_array())) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory loading the trust store");
		goto out;
	}
	if ((rc = ats_probe_resolve_list(&o->probe, "the ATS test hosts", &resolve, err)) != 0)
		goto out;
	if (!(m = curl_multi_init())) {
		rc = ats_err_set(err, ATS_ENOMEM, "probing the ATS test hosts: cannot create a libcurl multi handle");
		goto out;
	}
	for (int n = 0; n < ATS_ROOTS_N; n++) {
		for (int k = 0; k < ATS_ROOTS_KINDS; k++, nh++) {
			ats_probe_handle *p = &hs[nh];
			char url[128];
			ats_roots_host(n, k, names[nh], sizeof(names[nh]));
			snprintf(url, sizeof(url), "https://%s:%ld/", names[nh], port);
			p->name = names[nh];
			p->want_h2 = true; /* as AVS clients ask */
			ats_verify_capture_init(&p->cap);
			p->cap.at = o->probe.at;
			p->cap.lab = o->probe.lab;
			snprintf(p->cap.host, sizeof(p->cap.host), "%s", names[nh]);
			p->store = store;
			if ((rc = ats_probe_handle_setup(p, &o->probe, url, resolve, err)) != 0)
				goto out;
			if (k == ATS_ROOTS_REVOKED &&
			    curl_easy_setopt(p->h, CURLOPT_SSL_VERIFYSTATUS, 1L) != CURLE_OK)
				status_offered = false;
			curl_multi_add_handle(m, p->h);
		}
	}
	ats_probe_perform(m);

	for (int i = 0; i < nh; i++) {
		json_t *j = ats_probe_facts(&hs[i], &o->probe, names[i], port);
		if (!j) {
			rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
			goto out;
		}
		json_object_set_new(j, "root", json_string(ats_roots_root_name(i / ATS_ROOTS_KINDS)));
		json_object_set_new(j, "kind", json_string(ats_roots_kind_name(i % ATS_ROOTS_KINDS)));
		if (i % ATS_ROOTS_KINDS == ATS_ROOTS_REVOKED) {
			json_object_set_new(j, "stapled_ocsp", ocsp_facts(&hs[i], status_offered));
			json_object_set_new(j, "ocsp_responder", responder_facts(&hs[i]));
		}
		json_array_append_new(hosts, j);
	}
	rc = ats_roots_report(o, hosts, store_facts, status_offered, report, err);
	hosts = store_facts = NULL;
out:
	for (int i = 0; i < ATS_ROOTS_HOSTS; i++) { /* a zeroed handle frees as nothing */
		if (hs[i].h) {
			if (m)
				curl_multi_remove_handle(m, hs[i].h);
			curl_easy_cleanup(hs[i].h);
		}
		ats_verify_capture_free(&hs[i].cap);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(resolve);
	X509_STORE_free(store);
	json_decref(store_facts);
	json_decref(hosts);
	return rc;
}
