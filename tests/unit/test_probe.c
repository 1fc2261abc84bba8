/* The probe's verification capture, its diagnosis, the offline chain check and the lab PKI.
 * (The probes over the network are in tests/integration/probe_*.sh.) */
#include "probe/diagnose.h"
#include "probe/probe_int.h"
#include "serve/selftest.h"
#include "testutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

typedef struct mini {
	EVP_PKEY *rk, *ik, *lk;
	X509 *root, *inter, *leaf;
} mini;

static X509 *leaf_for(const char *dns, X509 *issuer, EVP_PKEY *ik, EVP_PKEY *k, time_t nb, time_t na)
{
	ats_err err = {0};
	ats_pki_cert_opts o = {.subject = "/CN=leaf", .key = k, .issuer = issuer, .issuer_key = ik,
			       .not_before = nb, .not_after = na, .pathlen = -1, .dns = dns};
	X509 *x = ats_pki_cert_new(&o, &err);
	cr_assert_not_null(x, "%s", err.msg);
	return x;
}

static mini mini_new(const char *dns, time_t nb, time_t na)
{
	mini m;
	time_t now = time(NULL);
	m.rk = tu_key("ec:P-256");
	m.ik = tu_key("ec:P-256");
	m.lk = tu_key("ec:P-256");
	m.root = tu_cert("/CN=Mini Root", m.rk, NULL, NULL, 1);
	m.inter = tu_cert("/CN=Mini Inter", m.ik, m.root, m.rk, 1);
	m.leaf = leaf_for(dns, m.inter, m.ik, m.lk, nb ? nb : now - 86400, na ? na : now + 86400 * 30);
	return m;
}

static void mini_free(mini *m)
{
	X509_free(m->root);
	X509_free(m->inter);
	X509_free(m->leaf);
	EVP_PKEY_free(m->rk);
	EVP_PKEY_free(m->ik);
	EVP_PKEY_free(m->lk);
}

/* Verifies leaf (+ untrusted) against the trusted certificates, like a TLS client would. */
static json_t *verify(X509 *leaf, X509 **untrusted, int nu, X509 **trusted, int nt, const char *host,
		      time_t at, const ats_lab_roots *lab, bool partial_flag)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *sk = sk_X509_new_null();
	ats_verify_capture cap;
	ats_verify_capture_init(&cap);
	sk_X509_push(sk, leaf);
	for (int i = 0; i < nu; i++)
		sk_X509_push(sk, untrusted[i]);
	for (int i = 0; i < nt; i++)
		X509_STORE_add_cert(st, trusted[i]);
	if (partial_flag)
		X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN);
	cr_assert(X509_STORE_CTX_init(ctx, st, leaf, sk));
	cap.at = at;
	cap.lab = lab;
	snprintf(cap.host, sizeof(cap.host), "%s", host ? host : "");
	int r = ats_verify_run(ctx, &cap);
	json_t *f = ats_verify_facts(&cap);
	cr_assert_eq(r, cap.ok ? 1 : 0);
	cr_assert_eq(json_is_true(json_object_get(f, "verified")), cap.ok);
	ats_verify_capture_free(&cap);
	sk_X509_free(sk);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return f;
}

static bool has_code(const json_t *f, int code)
{
	size_t i;
	json_t *e;
	json_array_foreach(json_object_get(f, "errors"), i, e)
		if (json_integer_value(json_object_get(e, "code")) == code)
			return true;
	return false;
}

static const char *cause_of(json_t *f)
{
	ats_diag_ctx d = {.at = time(NULL), .libcurl_http2 = true};
	json_t *problems = json_array();
	ats_diagnose_chain(f, "store", &d, problems);
	json_decref(problems);
	return json_string_value(json_object_get(f, "cause"));
}

Test(verify, good_chain_anchors_at_the_root_and_lists_what_was_sent)
{
	mini m = mini_new("localhost", 0, 0);
	ats_lab_roots *lab = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_lab_roots_add(&lab, m.root, &err), 0);
	json_t *f = verify(m.leaf, &m.inter, 1, &m.root, 1, "localhost", 0, lab, false);
	cr_assert(json_is_true(json_object_get(f, "verified")));
	cr_assert_eq(json_array_size(json_object_get(f, "sent")), 2);
	cr_assert_eq(json_array_size(json_object_get(f, "path")), 3);
	const json_t *ats = json_object_get(json_object_get(f, "anchor"), "ats");
	cr_assert_str_eq(json_string_value(json_object_get(ats, "name")), "Mini Root");
	cr_assert_str_eq(json_string_value(json_object_get(ats, "match")), "lab");
	cr_assert(json_is_true(json_object_get(json_object_get(f, "hostname"), "match")));
	cr_assert_str_eq(cause_of(f), "ok");
	json_decref(f);
	ats_lab_roots_free(lab);
	mini_free(&m);
}

Test(verify, an_anchor_that_is_not_ats_is_interception)
{
	mini m = mini_new("localhost", 0, 0);
	json_t *f = verify(m.leaf, &m.inter, 1, &m.root, 1, "localhost", 0, NULL, false);
	cr_assert(json_is_true(json_object_get(f, "verified")));
	cr_assert_str_eq(cause_of(f), "intercepted");
	cr_assert_str_eq(json_string_value(json_object_get(f, "verdict")), "WARNING");
	json_decref(f);
	mini_free(&m);
}

Test(verify, a_partial_chain_never_passes)
{
	/* Only the intermediate is trusted: OpenSSL would accept that with the partial-chain flag
	 * (libcurl's default); a pass must mean the root is in the store. */
	mini m = mini_new("localhost", 0, 0);
	ats_lab_roots *lab = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_lab_roots_add(&lab, m.root, &err), 0);
	json_t *f = verify(m.leaf, &m.inter, 1, &m.inter, 1, "localhost", 0, lab, true);
	cr_assert(!json_is_true(json_object_get(f, "verified")));
	cr_assert(has_code(f, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT));
	cr_assert_str_eq(cause_of(f), "untrusted"); /* and the root that would anchor it is named */
	cr_assert(strstr(json_string_value(json_object_get(f, "message")), "Mini Root"));
	ats_lab_roots_free(lab);
	json_decref(f);
	mini_free(&m);
}

Test(verify, every_failure_is_recorded_and_the_name_comes_first)
{
	time_t now = time(NULL);
	mini m = mini_new("other.example", now - 400 * 86400L, now - 86400);
	json_t *f = verify(m.leaf, &m.inter, 1, &m.root, 1, "localhost", 0, NULL, false);
	cr_assert(has_code(f, X509_V_ERR_HOSTNAME_MISMATCH));
	cr_assert(has_code(f, X509_V_ERR_CERT_HAS_EXPIRED));
	cr_assert_str_eq(cause_of(f), "hostname");
	cr_assert(strstr(json_string_value(json_object_get(f, "message")), "other.example"));
	json_decref(f);
	mini_free(&m);
}

Test(verify, the_time_asked_about_is_used)
{
	time_t now = time(NULL);
	mini m = mini_new("localhost", 0, 0);
	json_t *f = verify(m.leaf, &m.inter, 1, &m.root, 1, "localhost", now + 20 * YEAR, NULL, false);
	cr_assert(has_code(f, X509_V_ERR_CERT_HAS_EXPIRED));
	cr_assert_str_eq(cause_of(f), "expired");
	json_decref(f);
	f = verify(m.leaf, &m.inter, 1, &m.root, 1, "localhost", now - 3 * YEAR, NULL, false);
	cr_assert(has_code(f, X509_V_ERR_CERT_NOT_YET_VALID));
	cr_assert_str_eq(cause_of(f), "clock");
	cr_assert(strstr(json_string_value(json_object_get(f, "fix")), "timedatectl"));
	json_decref(f);
	mini_free(&m);
}

Test(verify, a_missing_intermediate_and_a_self_signed_leaf_are_told_apart)
{
	mini m = mini_new("localhost", 0, 0);
	time_t now = time(NULL);
	/* A lone leaf from an Amazon intermediate the server left out: incomplete-chain. */
	X509 *ai = tu_cert("/C=US/O=Amazon/CN=Amazon RSA 2048 M01 (test)", m.ik, m.root, m.rk, 1);
	X509 *al = leaf_for("localhost", ai, m.ik, m.lk, now - 86400, now + 86400 * 30);
	json_t *f = verify(al, NULL, 0, &m.root, 1, "localhost", 0, NULL, false);
	cr_assert_str_eq(cause_of(f), "incomplete-chain");
	json_decref(f);
	X509_free(al);
	X509_free(ai);
	/* A lone leaf from a CA that is no ATS CA and in no store: an intercepting proxy. */
	f = verify(m.leaf, NULL, 0, &m.root, 1, "localhost", 0, NULL, false);
	cr_assert_str_eq(cause_of(f), "intercepting-proxy");
	json_decref(f);
	f = verify(m.root, NULL, 0, &m.inter, 1, NULL, 0, NULL, false);
	cr_assert_str_eq(cause_of(f), "self-signed");
	json_decref(f);
	mini_free(&m);
}

Test(lab, shaped_like_ats_and_the_old_store_needs_the_cross_signs)
{
	ats_lab_pki *p = NULL;
	ats_lab_roots *lab = NULL;
	ats_err err = {0};
	cr_assert_eq(ats_lab_pki_new(time(NULL), "localhost", &p, &err), 0, "%s", err.msg);
	for (int i = 0; i < ATS_CA_COUNT; i++) {
		X509 *real = tu_catalog_x509(i);
		cr_assert_eq(X509_NAME_cmp(X509_get_subject_name(real), X509_get_subject_name(p->cert[i])), 0);
		cr_assert_eq(EVP_PKEY_get_base_id(X509_get0_pubkey(real)), EVP_PKEY_get_base_id(p->key[i]));
		cr_assert_eq(EVP_PKEY_get_bits(X509_get0_pubkey(real)), EVP_PKEY_get_bits(p->key[i]));
		cr_assert_eq(X509_self_signed(p->cert[i], 1), 1, "%s", ats_lab_name(i));
		X509_free(real);
		ats_lab_roots_add(&lab, p->cert[i], &err);
	}
	for (int i = ATS_LAB_ROOT1X; i <= ATS_LAB_SFSG2X; i++) {
		int by = i == ATS_LAB_SFSG2X ? ATS_LAB_SFC2 : ATS_LAB_SFSG2;
		cr_assert_eq(X509_verify(p->cert[i], p->key[by]), 1, "%s", ats_lab_name(i));
		cr_assert_eq(EVP_PKEY_eq(X509_get0_pubkey(p->cert[i]), p->key[i]), 1);
	}
	X509 *withx[] = {p->cert[ATS_LAB_INTER], p->cert[ATS_LAB_ROOT1X], p->cert[ATS_LAB_SFSG2X]};
	json_t *f = verify(p->cert[ATS_LAB_LEAF], withx, 3, &p->cert[ATS_LAB_SFC2], 1, "localhost", 0,
			   lab, false);
	cr_assert_str_eq(cause_of(f), "ok");
	cr_assert_str_eq(json_string_value(json_object_get(
				 json_object_get(json_object_get(f, "anchor"), "ats"), "name")),
			 "Starfield Class 2 Certification Authority");
	json_decref(f);
	f = verify(p->cert[ATS_LAB_LEAF], withx, 1, &p->cert[ATS_LAB_SFC2], 1, "localhost", 0, lab, false);
	cr_assert_str_eq(cause_of(f), "untrusted");
	cr_assert(strstr(json_string_value(json_object_get(f, "message")), "Amazon Root CA 1"));
	json_decref(f);
	ats_lab_roots_free(lab);
	ats_lab_pki_free(p);
}

/* Connection failures, from the facts a probe records. */
static const char *diagnose(const char *facts, bool http2)
{
	static char cause[64];
	json_error_t je;
	json_t *p = json_loads(facts, 0, &je), *problems = json_array();
	cr_assert_not_null(p, "%s", je.text);
	ats_diag_ctx d = {.at = time(NULL), .libcurl_http2 = http2};
	ats_verdict v = ats_diagnose_probe(p, &d, problems);
	snprintf(cause, sizeof(cause), "%s", json_string_value(json_object_get(p, "cause")));
	cr_assert_eq(v == ATS_VERDICT_OK, json_array_size(problems) == 0);
	if (v != ATS_VERDICT_OK)
		cr_assert_gt(strlen(json_string_value(json_object_get(json_array_get(problems, 0), "fix"))), 0);
	json_decref(p);
	json_decref(problems);
	return cause;
}

Test(diagnose, connection_failures_each_have_their_cause)
{
	char buf[512];
	cr_assert_str_eq(diagnose("{\"name\":\"h2\",\"host\":\"h\",\"http_version_wanted\":\"2\","
				  "\"error\":{\"curl_code\":6}}", true), "dns");
	snprintf(buf, sizeof(buf), "{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":7,"
		 "\"os_errno\":%d}}", ECONNREFUSED);
	cr_assert_str_eq(diagnose(buf, true), "refused");
	cr_assert_str_eq(diagnose("{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":28},"
				  "\"handshake\":{\"started\":false}}", true), "blocked");
	cr_assert_str_eq(diagnose("{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":28},"
				  "\"handshake\":{\"started\":true,\"answered\":false}}", true), "stalled");
	snprintf(buf, sizeof(buf), "{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":35,"
		 "\"openssl_reason\":%d},\"handshake\":{\"started\":true}}", SSL_R_WRONG_VERSION_NUMBER);
	cr_assert_str_eq(diagnose(buf, true), "not-tls");
	cr_assert_str_eq(diagnose("{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":35,"
				  "\"tls_alert\":{\"code\":70,\"description\":\"protocol version\"}},"
				  "\"handshake\":{\"started\":true,\"answered\":true}}", true), "tls-version");
	cr_assert_str_eq(diagnose("{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":35,"
				  "\"tls_alert\":{\"code\":40,\"description\":\"handshake failure\"}},"
				  "\"handshake\":{\"started\":true,\"answered\":true}}", true), "tls-alert");
	snprintf(buf, sizeof(buf), "{\"name\":\"h2\",\"host\":\"h\",\"error\":{\"curl_code\":35,"
		 "\"os_errno\":%d},\"handshake\":{\"started\":true,\"answered\":false}}", ECONNRESET);
	cr_assert_str_eq(diagnose(buf, true), "reset");
	cr_assert_str_eq(diagnose("{\"name\":\"h2\",\"host\":\"h\",\"proxy\":{\"url\":\"http://p:3128\","
				  "\"connect_status\":403},\"error\":{\"curl_code\":56}}", true), "proxy");
}

Test(diagnose, http2_is_required_of_the_h2_probe_only)
{
	const char *h2 = "{\"name\":\"h2\",\"host\":\"h\",\"http_version_wanted\":\"2\","
			 "\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"X\",\"alpn\":\"http/1.1\"},"
			 "\"certificates\":{\"verified\":true,\"anchor\":{\"ats\":{\"name\":\"Amazon Root CA 1\"}}}}";
	const char *h1 = "{\"name\":\"http/1.1\",\"host\":\"h\",\"http_version_wanted\":\"1.1\","
			 "\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"X\",\"alpn\":\"http/1.1\"},"
			 "\"error\":{\"curl_code\":52},"
			 "\"certificates\":{\"verified\":true,\"anchor\":{\"ats\":{\"name\":\"Amazon Root CA 1\"}}}}";
	cr_assert_str_eq(diagnose(h2, true), "no-h2");
	cr_assert_str_eq(diagnose(h2, false), "libcurl-no-http2");
	cr_assert_str_eq(diagnose(h1, true), "ok"); /* a verified handshake passes, whatever the answer */
}

Test(chain, bad_chain_files_are_refused_with_their_name)
{
	char *dir = tu_tmpdir();
	mini m = mini_new("localhost", 0, 0);
	X509 *rev[] = {m.inter, m.leaf};
	ats_err err = {0};
	json_t *r = NULL;
	ats_store_list none = {0};
	tu_write_certs(tu_path(dir, "rev.pem"), rev, 2);
	tu_write_str(tu_path(dir, "junk.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n");
	tu_write_str(tu_path(dir, "empty.pem"), "");
	const char *bad[] = {"rev.pem", "junk.pem", "empty.pem", "missing.pem"};
	for (size_t i = 0; i < 4; i++) {
		ats_chain_opts o = {.file = tu_path(dir, bad[i]), .stores = &none, .now = time(NULL)};
		cr_assert_neq(ats_chain_run(&o, &r, &err), 0, "%s accepted", bad[i]);
		cr_assert(strstr(err.msg, bad[i]), "%s: %s", bad[i], err.msg);
		cr_assert_null(r);
	}
	cr_assert(strstr(err.msg, "cannot open"));
	mini_free(&m);
	tu_rmtree(dir);
}

Test(chain, verified_against_each_store)
{
	char *dir = tu_tmpdir();
	mini m = mini_new("localhost", 0, 0);
	X509 *chain[] = {m.leaf, m.inter};
	ats_err err = {0};
	json_t *r = NULL;
	ats_lab_roots *lab = NULL;
	tu_write_certs(tu_path(dir, "chain.pem"), chain, 2);
	tu_write_certs(tu_path(dir, "good.pem"), &m.root, 1);
	tu_write_certs(tu_path(dir, "inter-only.pem"), &m.inter, 1);
	const char *bundles[] = {tu_path(dir, "good.pem"), tu_path(dir, "inter-only.pem"), NULL};
	ats_store_opts so = {.bundles = bundles};
	ats_store_list *stores = NULL;
	cr_assert_eq(ats_store_list_load(&so, &stores, &err), 0);
	cr_assert_eq(ats_lab_roots_add(&lab, m.root, &err), 0);
	ats_chain_opts o = {.file = tu_path(dir, "chain.pem"), .host = "localhost", .stores = stores,
			    .now = time(NULL), .lab = lab};
	cr_assert_eq(ats_chain_run(&o, &r, &err), 0, "%s", err.msg);
	json_t *st = json_object_get(r, "stores");
	cr_assert_eq(json_array_size(st), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(st, 0), "result"),
							   "cause")), "ok");
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_array_get(st, 1), "result"),
							   "cause")), "untrusted");
	cr_assert_eq(json_integer_value(json_object_get(r, "exit_code")), 2);
	json_decref(r);
	ats_store_list_free(stores);
	ats_lab_roots_free(lab);
	mini_free(&m);
	tu_rmtree(dir);
}
