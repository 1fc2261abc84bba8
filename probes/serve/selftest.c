/* Selftest: the lab PKI served on loopback by the look-alike endpoint (on a second thread of
 * this process) and probed like the real endpoint. Three runs, each with an expected outcome:
 * the ATS chain with Amazon Root CA 1 in the store (passes), an old store holding only Starfield
 * Class 2 with the cross-signs sent (passes), and the same store without them (must fail: a
 * stack that passes it does not really verify). */
#include "probe/probe.h"
#include "serve/selftest.h"
#include "serve/serve.h"
#include "base/util.h"
#include "report/tree.h"

#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct run {
	const char *name;
	int trust;        /* the one lab root in the store */
	int chain[4];     /* sent after the leaf; 0-terminated (ATS_LAB_ROOT1 is never sent) */
	const char *want; /* "OK" or the cause both probes must fail with */
} run;

static const run runs[] = {
	{"ATS chain, Amazon Root CA 1 in the store", ATS_LAB_ROOT1, {ATS_LAB_INTER}, "OK"},
	{"old store with only Starfield Class 2, cross-signs sent", ATS_LAB_SFC2,
	 {ATS_LAB_INTER, ATS_LAB_ROOT1X, ATS_LAB_SFSG2X}, "OK"},
	{"old store with only Starfield Class 2, cross-signs not sent (must fail)", ATS_LAB_SFC2,
	 {ATS_LAB_INTER}, "untrusted"},
};

static void *serve_thread(void *arg)
{
	ats_err err = {0};
	ats_serve_run(arg, &err);
	return NULL;
}

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	if (b && PEM_write_bio_X509(b, x)) {
		long n = BIO_get_mem_data(b, &data);
		if ((out = malloc((size_t)n + 1))) {
			memcpy(out, data, (size_t)n);
			out[n] = '\0';
		}
	}
	BIO_free(b);
	return out;
}

/* Serves one chain and probes it; returns the probe report. */
static int one_run(const ats_selftest_opts *o, ats_lab_pki *pki, const ats_lab_roots *lab,
		   const run *rn, json_t **probe, ats_err *err)
{
	STACK_OF(X509) *chain = sk_X509_new_null();
	ats_serve *srv = NULL;
	pthread_t th;
	bool started = false;
	char *trust = pem_of(pki->cert[rn->trust]), url[128], resolve[128];
	int rc;

	if (!chain || !trust) {
		rc = ats_err_set(err, ATS_ENOMEM, "selftest on %s: out of memory", o->listen ? o->listen : "127.0.0.1");
		goto out;
	}
	for (int i = 0; i < 4 && rn->chain[i]; i++)
		sk_X509_push(chain, pki->cert[rn->chain[i]]);
	char listen[64];
	const char *addr = o->listen ? o->listen : "127.0.0.1";
	bool v6 = strchr(addr, ':') != NULL;
	snprintf(listen, sizeof(listen), v6 ? "[%s]:0" : "%s:0", addr);
	ats_serve_opts so = {.cert = pki->cert[ATS_LAB_LEAF], .key = pki->key[ATS_LAB_LEAF],
			     .chain = chain, .listen = listen, .timeout_ms = 5000};
	if ((rc = ats_serve_new(&so, &srv, err)) != 0)
		goto out;
	if (pthread_create(&th, NULL, serve_thread, srv) != 0) {
		rc = ats_err_set(err, ATS_EIO, "selftest on %s: cannot start the loopback server's thread", o->listen ? o->listen : "127.0.0.1");
		goto out;
	}
	started = true;
	int port = ats_serve_bound_port(srv);
	snprintf(url, sizeof(url), "https://localhost:%d/", port);
	snprintf(resolve, sizeof(resolve), "localhost:%d:%s%s%s", port, v6 ? "[" : "", addr, v6 ? "]" : "");
	const char *resolves[] = {resolve, NULL};
	ats_probe_opts po = {.url = url, .cainfo_pem = trust, .resolve = resolves,
			     .timeout_ms = o->timeout_ms ? o->timeout_ms : 10000, .at = o->now,
			     .now = o->now, .lab = lab};
	rc = ats_probe_run(&po, probe, err);
out:
	if (started) {
		ats_serve_stop(srv);
		pthread_join(th, NULL);
	}
	ats_serve_free(srv);
	sk_X509_free(chain);
	free(trust);
	return rc;
}

int ats_selftest_run(const ats_selftest_opts *o, json_t **report, ats_err *err)
{
	ats_lab_pki *pki = NULL;
	ats_lab_roots *lab = NULL;
	json_t *r = json_object(), *jr = json_array(), *problems = json_array(), *roots = json_array();
	ats_verdict overall = ATS_VERDICT_OK;
	int rc;
	char t[32], msg[1024];

	*report = NULL;
	if (!r || !jr || !problems || !roots) {
		rc = ats_err_set(err, ATS_ENOMEM, "selftest on %s: out of memory", o->listen ? o->listen : "127.0.0.1");
		goto out;
	}
	if ((rc = ats_lab_pki_new(o->now, "localhost", &pki, err)) != 0)
		goto out;
	for (int i = 0; i <= ATS_LAB_SFC2; i++) {
		if ((rc = ats_lab_roots_add(&lab, pki->cert[i], err)) != 0)
			goto out;
		EVP_PKEY *k = pki->key[i];
		bool ec = EVP_PKEY_get_base_id(k) == EVP_PKEY_EC;
		char key[32];
		snprintf(key, sizeof(key), ec ? "EC P-%d" : "RSA %d", EVP_PKEY_get_bits(k));
		json_array_append_new(roots, json_pack("{s:s, s:s}", "name", ats_catalog_get(i)->name,
						       "key", key));
	}
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		json_t *probe = NULL, *p;
		size_t k;
		if ((rc = one_run(o, pki, lab, &runs[i], &probe, err)) != 0)
			goto out;
		bool want_ok = strcmp(runs[i].want, "OK") == 0, as_expected = true;
		json_array_foreach(json_object_get(probe, "probes"), k, p) {
			bool got = want_ok ? strcmp(ats_json_str(p, "verdict"), "OK") == 0
					   : strcmp(ats_json_str(p, "cause"), runs[i].want) == 0;
			if (got)
				continue;
			as_expected = false;
			if (want_ok)
				snprintf(msg, sizeof(msg), "%s: the %s probe failed: %s", runs[i].name,
					 ats_json_str(p, "name"), ats_json_str(p, "message"));
			else
				snprintf(msg, sizeof(msg), "%s: the %s probe was not refused as it must be "
					 "(%s: %s): this TLS stack does not verify chains properly",
					 runs[i].name, ats_json_str(p, "name"), ats_json_str(p, "cause"), ats_json_str(p, "message"));
			ats_report_problem(problems, ATS_VERDICT_CRITICAL, NULL, NULL, msg,
					   want_ok ? ats_json_str(p, "fix")
						   : "do not trust this libcurl/OpenSSL build for AVS: update it");
			overall = ATS_VERDICT_CRITICAL;
		}
		json_array_append_new(jr, json_pack("{s:s, s:s, s:b, s:o}", "name", runs[i].name,
						    "expect", runs[i].want, "as_expected", as_expected,
						    "probe", probe));
	}
	json_object_set_new(r, "command", json_string("selftest"));
	json_object_set_new(r, "at", json_string(ats_time_format(o->now, t, sizeof(t))));
	json_object_set_new(r, "lab_roots", roots);
	roots = NULL;
	json_object_set_new(r, "runs", jr);
	jr = NULL;
	ats_report_close(r, overall, problems);
	problems = NULL;
	*report = r;
	r = NULL;
out:
	ats_lab_pki_free(pki);
	ats_lab_roots_free(lab);
	json_decref(r);
	json_decref(jr);
	json_decref(problems);
	json_decref(roots);
	return rc;
}
