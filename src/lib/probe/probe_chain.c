/* Offline: a saved server chain verified against trust stores, as the device's TLS stack would
 * verify it (server purpose, the system's security level, partial chains refused), with the
 * probe's facts and diagnosis. */
#include "probe/diagnose.h"
#include "base/pem.h"
#include "probe/probe_int.h"
#include "base/util.h"
#include "report/tree.h"
#include "store/store.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* A server chain is the leaf and a few intermediates (OpenSSL's verify depth default is 100, real
 * ones hold 2-5): past this many the file is refused, before any of the rest is decoded. */
#define CHAIN_MAX 32

struct chain_scan {
	STACK_OF(X509) *certs;
	char problem[512];
	size_t seen;
};

static void chain_cert(void *ctx, const unsigned char *der, size_t len, ats_cert_pos pos)
{
	struct chain_scan *s = ctx;
	const unsigned char *p = der;
	if (++s->seen > CHAIN_MAX)
		return;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	if (!x) {
		if (!s->problem[0])
			snprintf(s->problem, sizeof(s->problem), "entry %d: not a certificate", pos.index);
		return;
	}
	if (!sk_X509_push(s->certs, x))
		X509_free(x);
}

static void chain_problem(void *ctx, ats_cert_pos pos, const char *msg)
{
	struct chain_scan *s = ctx;
	if (!s->problem[0]) {
		if (pos.line)
			snprintf(s->problem, sizeof(s->problem), "entry %d at line %d: %s", pos.index,
				 pos.line, msg);
		else
			snprintf(s->problem, sizeof(s->problem), "entry %d: %s", pos.index, msg);
	}
}

/* Reads the chain; a broken entry, no certificate at all, or a CA first with a server
 * certificate after it (the wrong order) is an error naming the file. */
static int read_chain(const char *file, STACK_OF(X509) **out, ats_err *err)
{
	unsigned char *data = NULL;
	size_t len;
	struct chain_scan s = {sk_X509_new_null(), "", 0};
	ats_cert_sink sink = {&s, chain_cert, chain_problem};
	int rc;

	*out = NULL;
	if (!s.certs)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory reading the chain", file);
	if ((rc = ats_file_read(file, NULL, &data, &len, err)) != 0)
		goto out;
	ats_certs_scan(data, len, &sink);
	ERR_clear_error();
	if (s.seen > CHAIN_MAX) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: %zu certificates; a server chain holds a handful "
				 "(atscheck reads at most %d)", file, s.seen, CHAIN_MAX);
	} else if (s.problem[0]) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: %s", file, s.problem);
	} else if (sk_X509_num(s.certs) == 0) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: no certificate in it (expected a PEM chain, leaf first)",
				 file);
	} else {
		rc = 0;
		if (X509_check_ca(sk_X509_value(s.certs, 0)) > 0) {
			for (int i = 1; i < sk_X509_num(s.certs); i++)
				if (X509_check_ca(sk_X509_value(s.certs, i)) == 0)
					rc = ats_err_set(err, ATS_EPARSE,
							 "%s: the chain is in the wrong order: certificate %d is "
							 "the server's, but a CA comes first (leaf first, please)",
							 file, i + 1);
		}
	}
out:
	free(data);
	if (rc == 0)
		*out = s.certs;
	else
		sk_X509_pop_free(s.certs, X509_free);
	return rc;
}

/* The security level this machine's TLS stack applies to a chain. */
static int system_security_level(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int level = ctx ? SSL_CTX_get_security_level(ctx) : 1;
	SSL_CTX_free(ctx);
	return level;
}

static json_t *verify_in(const ats_chain_opts *o, const ats_store *s, STACK_OF(X509) *chain,
			 int level)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	ats_verify_capture cap;
	json_t *facts = NULL;

	ats_verify_capture_init(&cap);
	if (!st || !ctx)
		goto out;
	for (size_t i = 0; i < s->n; i++) {
		const unsigned char *p = s->certs[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)s->certs[i].len);
		if (x)
			X509_STORE_add_cert(st, x);
		X509_free(x);
	}
	ERR_clear_error();
	if (!X509_STORE_CTX_init(ctx, st, sk_X509_value(chain, 0), chain))
		goto out;
	X509_STORE_CTX_set_default(ctx, "ssl_server");
	X509_VERIFY_PARAM_set_auth_level(X509_STORE_CTX_get0_param(ctx), level);
	cap.at = o->at;
	cap.lab = o->lab;
	snprintf(cap.host, sizeof(cap.host), "%s", o->host ? o->host : "");
	ats_verify_run(ctx, &cap);
	facts = ats_verify_facts(&cap);
out:
	ats_verify_capture_free(&cap);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return facts;
}

int ats_chain_run(const ats_chain_opts *o, json_t **report, ats_err *err)
{
	STACK_OF(X509) *chain = NULL;
	json_t *r = NULL, *stores = NULL, *problems = NULL;
	ats_diag_ctx d = {.at = o->at ? o->at : o->now, .at_given = o->at && o->at != o->now,
			  .root = o->root};
	ats_verdict overall = ATS_VERDICT_OK;
	int level = system_security_level(), rc;
	char t[32];

	*report = NULL;
	if ((rc = read_chain(o->file, &chain, err)) != 0)
		return rc;
	r = json_object();
	stores = json_array();
	problems = json_array();
	if (!r || !stores || !problems) {
		rc = ats_err_set(err, ATS_ENOMEM, "%s: out of memory verifying the chain", o->file);
		goto out;
	}
	for (size_t i = 0; o->stores && i < o->stores->n; i++) {
		const ats_store *s = o->stores->v[i];
		if (s->kind == ATS_STORE_DEBIAN)
			continue; /* a selection, not a store a TLS stack reads */
		json_t *sj = json_pack("{s:s, s:s, s:O, s:i}", "path", s->path, "kind",
				       ats_store_kind_name(s->kind), "labels", s->labels, "certificates",
				       (int)s->n);
		if (s->error) {
			ats_verdict v = s->user_given ? ATS_VERDICT_UNKNOWN : ATS_VERDICT_CRITICAL;
			json_object_set_new(sj, "error", json_string(s->error));
			ats_report_problem(problems, v, s->path, NULL, s->error,
					   s->user_given ? "check the path given"
							 : "install ca-certificates, then atscheck install");
			overall = ats_verdict_worst(overall, v);
		} else {
			json_t *facts = verify_in(o, s, chain, level);
			if (!facts) {
				json_decref(sj);
				rc = ats_err_set(err, ATS_ENOMEM, "out of memory verifying %s", o->file);
				goto out;
			}
			overall = ats_verdict_worst(overall, ats_diagnose_chain(facts, s->path, &d, problems));
			json_object_set_new(sj, "result", facts);
		}
		json_array_append_new(stores, sj);
	}
	if (json_array_size(stores) == 0) {
		ats_report_problem(problems, ATS_VERDICT_CRITICAL, NULL, NULL,
				   "no trust store to verify against: this device trusts nothing",
				   "install ca-certificates, then atscheck install");
		overall = ATS_VERDICT_CRITICAL;
	}
	json_object_set_new(r, "command", json_string("chain"));
	json_object_set_new(r, "file", json_string(o->file));
	if (o->host)
		json_object_set_new(r, "host", json_string(o->host));
	/* Without a host the chain is judged for trust only: say so, so a pass is not read as
	 * "valid for my endpoint". */
	json_object_set_new(r, "name_checked", json_boolean(o->host != NULL));
	json_object_set_new(r, "at", json_string(ats_time_format(d.at, t, sizeof(t))));
	if (o->root)
		json_object_set_new(r, "root", json_string(o->root));
	json_object_set_new(r, "security_level", json_integer(level));
	json_object_set_new(r, "stores", stores);
	stores = NULL;
	ats_report_close(r, overall, problems);
	problems = NULL;
	*report = r;
	r = NULL;
out:
	sk_X509_pop_free(chain, X509_free);
	json_decref(r);
	json_decref(stores);
	json_decref(problems);
	return rc;
}
