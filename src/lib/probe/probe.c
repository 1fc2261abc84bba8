/* The probes themselves: libcurl easy handles on one multi handle, run together. OpenSSL's
 * certificate-verify step is taken over (through CURLOPT_SSL_CTX_FUNCTION) only to capture the
 * chain and every verification failure; the verification is OpenSSL's own, with libcurl's store. */
#include "probe/diagnose.h"
#include "probe/lazy_store.h"
#include "probe/probe_int.h"
#include "base/curl_lazy.h"
#include "base/redact.h"
#include "base/util.h"
#include "report/tree.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


static int ctx_index = -1;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_index_init(void)
{
	ctx_index = SSL_CTX_get_ex_new_index(0, "atscheck probe", NULL, NULL, NULL);
}

/* A duration's end, not a judgement of time: the library never asks what time it is. */
static long long mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Follows the handshake: where it began, whether the server answered, which alert it sent, and
 * when it began (TCP was connected) and ended (done, or an alert either way). */
static void info_cb(const SSL *ssl, int where, int ret)
{
	ats_probe_handle *p = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
	if (!p)
		return;
	if ((where & SSL_CB_HANDSHAKE_START) && !p->cap.hs_started) {
		p->cap.hs_started = true;
		if (!p->tcp_us)
			p->tcp_us = mono_us();
	}
	if ((where & SSL_CB_HANDSHAKE_DONE) && !p->hs_done) {
		p->hs_done = true;
		p->tls_us = mono_us();
	}
	if ((where & SSL_CB_ALERT) && p->cap.hs_started && !p->hs_done && !p->tls_us)
		p->tls_us = mono_us();
	if ((where & SSL_CB_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_SRVR_HELLO)
		p->cap.hs_answered = true;
	if (where & SSL_CB_READ_ALERT) {
		p->cap.alert = ret & 0xff;
		p->cap.hs_answered = true;
	}
}

static int cert_verify_cb(X509_STORE_CTX *ctx, void *arg)
{
	ats_probe_handle *p = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(ctx, SSL_get_ex_data_X509_STORE_CTX_idx());
	if (ssl) {
		const unsigned char *alpn = NULL;
		unsigned int alen = 0;
		snprintf(p->cap.tls_version, sizeof(p->cap.tls_version), "%s", SSL_get_version(ssl));
		/* In TLS 1.2 the negotiated cipher is still pending while the chain is checked. */
		const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
		if (!c)
			c = SSL_get_pending_cipher(ssl);
		snprintf(p->cap.cipher, sizeof(p->cap.cipher), "%s", c ? SSL_CIPHER_get_name(c) : "");
		SSL_get0_alpn_selected(ssl, &alpn, &alen);
		snprintf(p->cap.alpn, sizeof(p->cap.alpn), "%.*s", (int)alen, alpn ? (const char *)alpn : "");
	}
	return ats_verify_run(ctx, &p->cap);
}

/* What the server stapled, when the handshake asked for it (CURLOPT_SSL_VERIFYSTATUS): the
 * response's status and the first certificate status in it. libcurl judges the response itself
 * after the handshake; this only records what came back. */
static int status_cb(SSL *ssl, void *arg)
{
	ats_probe_handle *p = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
	const unsigned char *der = NULL;
	(void)arg;
	if (!p)
		return 1;
	long len = SSL_get_tlsext_status_ocsp_resp(ssl, &der);
	p->ocsp.asked = true;
	p->ocsp.len = der && len > 0 ? len : 0;
	if (p->ocsp.len == 0)
		return 1;
	OCSP_RESPONSE *r = d2i_OCSP_RESPONSE(NULL, &der, len);
	OCSP_BASICRESP *bs = r ? OCSP_response_get1_basic(r) : NULL;
	OCSP_SINGLERESP *one = bs ? OCSP_resp_get0(bs, 0) : NULL;
	p->ocsp.response_status = r ? OCSP_response_status(r) : -1;
	if (one)
		p->ocsp.cert_status = OCSP_single_get0_status(one, &p->ocsp.reason, NULL, NULL, NULL);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(r);
	ERR_clear_error();
	return 1; /* libcurl decides */
}

static CURLcode sslctx_cb(CURL *curl, void *sslctx, void *parm)
{
	SSL_CTX *ctx = sslctx;
	(void)curl;
	ats_probe_handle *p = parm;
	/* libcurl sets up TLS once TCP is connected: the TCP phase ended here. */
	if (!p->tcp_us)
		p->tcp_us = mono_us();
	SSL_CTX_set_ex_data(ctx, ctx_index, parm);
	if (p->store)
		SSL_CTX_set1_cert_store(ctx, p->store);
	SSL_CTX_set_cert_verify_callback(ctx, cert_verify_cb, parm);
	SSL_CTX_set_info_callback(ctx, info_cb);
	SSL_CTX_set_tlsext_status_cb(ctx, status_cb);
	return CURLE_OK;
}

static size_t body_cb(char *data, size_t size, size_t n, void *arg)
{
	ats_probe_handle *p = arg;
	size_t len = size * n, room = sizeof(p->body) - p->body_n;
	memcpy(p->body + p->body_n, data, len < room ? len : room);
	p->body_n += len < room ? len : room;
	return len; /* the rest is read and dropped: the endpoint's answer is small */
}

int ats_probe_handle_setup(ats_probe_handle *p, const ats_probe_opts *o, const char *url,
			   struct curl_slist *resolve, ats_err *err)
{
	pthread_once(&ctx_once, ctx_index_init);
	p->ocsp.cert_status = p->ocsp.response_status = p->ocsp.reason = -1;
	CURL *h = p->h = curl_easy_init();
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	char shown[1024];
	if (!h)
		return ats_err_set(err, ATS_ENOMEM, "%s: cannot create a libcurl handle",
				   ats_redact_url(url, shown, sizeof(shown)));
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION,
			 p->want_h2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSL_OPTIONS, (long)CURLSSLOPT_NO_PARTIALCHAIN);
	/* The store: loaded once by ats_probe_run and handed to each handshake (sslctx_cb), so
	 * libcurl loads none of its own. libcurl's own cache (CURLOPT_CA_CACHE_TIMEOUT) would do
	 * that only for a CA file with no CA path, and Debian's libcurl sets both by default; and a
	 * store loaded per run always sees an install made earlier in the same process. */
	p->captured = curl_easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, sslctx_cb) == CURLE_OK &&
		      curl_easy_setopt(h, CURLOPT_SSL_CTX_DATA, p) == CURLE_OK;
	if (p->captured && p->store) {
		curl_easy_setopt(h, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
	} else {
		/* A TLS backend we cannot hand a store to: libcurl loads it, per handle. */
		if (o->cainfo)
			curl_easy_setopt(h, CURLOPT_CAINFO, o->cainfo);
		if (o->capath)
			curl_easy_setopt(h, CURLOPT_CAPATH, o->capath);
		if (o->cainfo_pem) {
			struct curl_blob blob = {(void *)o->cainfo_pem, strlen(o->cainfo_pem),
						 CURL_BLOB_COPY};
			curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
		}
	}
#if LIBCURL_VERSION_NUM >= 0x075700
	curl_easy_setopt(h, CURLOPT_CA_CACHE_TIMEOUT, 0L);
#endif
	/* Each probe makes its own connection and its own full handshake. */
	curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(h, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_SESSIONID_CACHE, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "atscheck/" ATS_VERSION);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(h, CURLOPT_PRIVATE, p);
	if (resolve)
		curl_easy_setopt(h, CURLOPT_RESOLVE, resolve);
	if (o->proxy)
		curl_easy_setopt(h, CURLOPT_PROXY, o->proxy);
	return 0;
}


/* Host and port of the URL, for the verification and the report. */
static int url_host(const char *url, char *host, size_t n, long *port, ats_err *err)
{
	CURLU *u = curl_url();
	char *h = NULL, *scheme = NULL, *pt = NULL;
	int rc = 0;
	char shown[1024];
	ats_redact_url(url, shown, sizeof(shown)); /* a gateway from an SDK config may carry a password */
	if (!u)
		return ats_err_set(err, ATS_ENOMEM, "endpoint %s: out of memory", shown);
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		rc = ats_err_set(err, ATS_EUSAGE, "endpoint %s: not a URL", shown);
	} else if (strcmp(scheme, "https") != 0) {
		rc = ats_err_set(err, ATS_EUSAGE, "endpoint %s: must be https:// (AVS is TLS only)",
				 shown);
	} else {
		size_t l = strlen(h);
		if (h[0] == '[' && l > 2 && h[l - 1] == ']')
			snprintf(host, n, "%.*s", (int)(l - 2), h + 1);
		else
			snprintf(host, n, "%s", h);
		curl_url_get(u, CURLUPART_PORT, &pt, CURLU_DEFAULT_PORT);
		*port = pt ? atol(pt) : 443;
	}
	curl_free(h);
	curl_free(scheme);
	curl_free(pt);
	curl_url_cleanup(u);
	return rc;
}

/* Why a CA file did not load, in words that say what to do: libcurl built on OpenSSL reads its
 * CA file as PEM only, so a DER or PKCS#7 file, which other tools take, is refused on the device
 * as here. */
static void ca_file_fault(const char *file, char *msg, size_t cap)
{
	unsigned char *data = NULL;
	size_t len = 0;
	ats_err err = {0};
	if (ats_file_read(file, file, &data, &len, &err) != 0)
		snprintf(msg, cap, "cannot load the CA file: %s", err.msg);
	else if (!memmem(data, len, "-----BEGIN ", 11))
		snprintf(msg, cap,
			 "%s: cannot load the CA file: it is not PEM (DER or PKCS#7?), and libcurl reads "
			 "a CA file as PEM only: openssl x509 -inform DER -in FILE -out FILE.pem "
			 "(openssl pkcs7 -print_certs for PKCS#7)", file);
	else
		snprintf(msg, cap, "%s: cannot load the CA file: OpenSSL read no certificate from it",
			 file);
	free(data);
}

/* Loads the store the probes verify against, once: the file and directory given, or the ones
 * this libcurl uses by default. A file that cannot be read is recorded in the report (the
 * device's own store missing is a finding); the probes then trust nothing and say so. */
X509_STORE *ats_probe_store_load(const ats_probe_opts *o, json_t **sj)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	X509_STORE *st = X509_STORE_new();
	bool dflt = !o->cainfo && !o->capath && !o->cainfo_pem;
	/* A CA path given alone is used beside libcurl's default CA file, as libcurl itself does
	 * (and as the AVS Device SDK relies on for its CURLOPT_CAPATH). */
	const char *file = dflt ? cv->cainfo
			   : o->cainfo ? o->cainfo
			   : o->capath && !o->cainfo_pem ? cv->cainfo : NULL;
	const char *dir = dflt ? cv->capath : o->capath;
	char errmsg[512] = "";

	if (!st)
		return NULL;
	if (o->cainfo_pem) {
		BIO *b = BIO_new_mem_buf(o->cainfo_pem, -1);
		X509 *x;
		while (b && (x = PEM_read_bio_X509(b, NULL, NULL, NULL))) {
			X509_STORE_add_cert(st, x);
			X509_free(x);
		}
		BIO_free(b);
	}
	if (file && ats_lazy_store_load_file(st, file) != 1)
		ca_file_fault(file, errmsg, sizeof(errmsg));
	if (dir && X509_STORE_load_path(st, dir) != 1 && !errmsg[0])
		snprintf(errmsg, sizeof(errmsg), "%s: cannot use the CA directory", dir);
	ERR_clear_error();
	*sj = json_pack("{s:s?, s:s?, s:b}", "cainfo", o->cainfo_pem ? "(in memory)" : file, "capath",
			dir, "libcurl_default", dflt);
	if (errmsg[0])
		json_object_set_new(*sj, "error", json_string(errmsg));
	return st;
}

int ats_probe_resolve_list(const ats_probe_opts *o, const char *subject, struct curl_slist **out,
			   ats_err *err)
{
	for (const char *const *rv = o->resolve; rv && *rv; rv++) {
		struct curl_slist *n = curl_slist_append(*out, *rv);
		if (!n)
			return ats_err_set(err, ATS_ENOMEM, "probing %s: out of memory", subject);
		*out = n;
	}
	return 0;
}

void ats_probe_perform(CURLM *m)
{
	int running = 1, left;
	CURLMsg *msg;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	while ((msg = curl_multi_info_read(m, &left))) {
		ats_probe_handle *p = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (p)
			p->result = msg->data.result;
	}
}

/* One endpoint while its probes run. */
typedef struct probe_target {
	const char *url;
	char shown[1024]; /* url with its password redacted, for the report and messages */
	char host[256];
	long port;
	ats_probe_handle probes[2];
	int np;
} probe_target;

/* The report of one endpoint's finished probes ("command": "probe"). */
static json_t *target_report(probe_target *tg, const ats_probe_opts *o, const json_t *store_facts,
			     bool save)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	json_t *r = json_object(), *pj = json_array(), *problems = json_array();
	char t[32];

	if (!r || !pj || !problems) {
		json_decref(r);
		json_decref(pj);
		json_decref(problems);
		return NULL;
	}
	ats_diag_ctx d = {.at = o->at ? o->at : o->now, .at_given = o->at && o->at != o->now,
			  .libcurl_http2 = (cv->features & CURL_VERSION_HTTP2) != 0};
	ats_verdict overall = ATS_VERDICT_OK;
	for (int i = 0; i < tg->np; i++) {
		json_t *j = ats_probe_facts(&tg->probes[i], o, tg->host, tg->port);
		overall = ats_verdict_worst(overall, ats_diagnose_probe(j, &d, problems));
		json_array_append_new(pj, j);
	}
	json_object_set_new(r, "command", json_string("probe"));
	json_object_set_new(r, "endpoint", json_string(tg->shown));
	json_object_set_new(r, "host", json_string(tg->host));
	json_object_set_new(r, "port", json_integer(tg->port));
	json_object_set_new(r, "at", json_string(ats_time_format(d.at, t, sizeof(t))));
	if (json_object_get(store_facts, "error")) {
		ats_report_problem(problems, ATS_VERDICT_CRITICAL, NULL, NULL,
				   json_string_value(json_object_get(store_facts, "error")),
				   "install ca-certificates (or fix --cacert / --capath), then atscheck install");
		overall = ats_verdict_worst(overall, ATS_VERDICT_CRITICAL);
	}
	json_object_set_new(r, "store", json_deep_copy(store_facts));
	if (o->proxy) {
		char shown[1024];
		json_object_set_new(r, "proxy", json_string(ats_redact_url(o->proxy, shown, sizeof(shown))));
	}
	json_object_set_new(r, "libcurl",
			    json_pack("{s:s, s:s?, s:b, s:s?, s:s?, s:b}", "version", cv->version, "ssl",
				      cv->ssl_version, "http2", d.libcurl_http2, "nghttp2",
				      cv->nghttp2_version, "file", ats_curl_file(), "chosen",
				      ats_curl_chosen()));
	json_object_set_new(r, "probes", pj);
	if (save && o->save_chain) {
		STACK_OF(X509) *chain = NULL;
		for (int i = 0; i < tg->np && !chain; i++)
			if (sk_X509_num(tg->probes[i].cap.sent) > 0)
				chain = tg->probes[i].cap.sent;
		ats_err e = {0};
		if (ats_chain_save(o->save_chain, chain, &e) == 0) {
			json_object_set_new(r, "saved_chain", json_string(o->save_chain));
		} else {
			ats_report_problem(problems, ATS_VERDICT_UNKNOWN, NULL, NULL, e.msg,
					   "check the path given to --save-chain");
			overall = ats_verdict_worst(overall, ATS_VERDICT_UNKNOWN);
		}
	}
	ats_report_close(r, overall, problems);
	return r;
}

int ats_probe_run_many(const ats_probe_opts *o, const char *const *urls, size_t n,
		       json_t **reports, ats_err *err)
{
	bool both = !o->http2 && !o->http11;
	probe_target tg[ATS_PROBE_MAX_ENDPOINTS];
	int rc = 0;
	struct curl_slist *resolve = NULL;
	CURLM *m = NULL;
	json_t *store_facts = NULL;
	X509_STORE *store = NULL;

	memset(tg, 0, sizeof(tg));
	for (size_t k = 0; k < n && k < ATS_PROBE_MAX_ENDPOINTS; k++)
		reports[k] = NULL;
	if (n == 0 || n > ATS_PROBE_MAX_ENDPOINTS)
		return ats_err_set(err, ATS_EUSAGE, "%zu endpoints: give 1 to %d", n,
				   ATS_PROBE_MAX_ENDPOINTS);
	for (size_t k = 0; k < n; k++) {
		tg[k].url = urls[k] ? urls[k] : ATS_PROBE_DEFAULT_URL;
		tg[k].port = 443;
		ats_redact_url(tg[k].url, tg[k].shown, sizeof(tg[k].shown));
		if ((rc = url_host(tg[k].url, tg[k].host, sizeof(tg[k].host), &tg[k].port, err)) != 0)
			return rc;
	}
	/* One store for every endpoint (libcurl's defaults or the CA file + CAPATH union). */
	store = ats_probe_store_load(o, &store_facts);
	if (!store || !store_facts) {
		rc = ats_err_set(err, ATS_ENOMEM, "probing %s: out of memory loading the trust store",
				 tg[0].shown);
		goto out;
	}
	if ((rc = ats_probe_resolve_list(o, tg[0].shown, &resolve, err)) != 0)
		goto out;
	if (!(m = curl_multi_init())) {
		rc = ats_err_set(err, ATS_ENOMEM, "probing %s: cannot create a libcurl multi handle",
				 tg[0].shown);
		goto out;
	}
	/* Every probe of every endpoint on the one multi handle: they run side by side. */
	for (size_t k = 0; k < n; k++) {
		if (both || o->http2)
			tg[k].probes[tg[k].np++] = (ats_probe_handle){.name = "h2", .want_h2 = true};
		if (both || o->http11)
			tg[k].probes[tg[k].np++] = (ats_probe_handle){.name = "http/1.1", .want_h2 = false};
		for (int i = 0; i < tg[k].np; i++) {
			ats_probe_handle *ph = &tg[k].probes[i];
			ats_verify_capture_init(&ph->cap);
			ph->cap.at = o->at;
			ph->cap.lab = o->lab;
			snprintf(ph->cap.host, sizeof(ph->cap.host), "%s", tg[k].host);
			ph->store = store;
			if ((rc = ats_probe_handle_setup(ph, o, tg[k].url, resolve, err)) != 0)
				goto out;
			curl_multi_add_handle(m, ph->h);
		}
	}
	long long t0 = mono_us();
	for (size_t k = 0; k < n; k++)
		for (int i = 0; i < tg[k].np; i++)
			tg[k].probes[i].t0_us = t0;
	ats_probe_perform(m);
	for (size_t k = 0; k < n; k++) {
		if (!(reports[k] = target_report(&tg[k], o, store_facts, k == 0))) {
			rc = ats_err_set(err, ATS_ENOMEM, "probing %s: out of memory", tg[k].shown);
			goto out;
		}
	}
out:
	for (size_t k = 0; k < n; k++) {
		for (int i = 0; i < tg[k].np; i++) {
			if (tg[k].probes[i].h) {
				if (m)
					curl_multi_remove_handle(m, tg[k].probes[i].h);
				curl_easy_cleanup(tg[k].probes[i].h);
			}
			ats_verify_capture_free(&tg[k].probes[i].cap);
		}
		if (rc != 0) {
			json_decref(reports[k]);
			reports[k] = NULL;
		}
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(resolve);
	X509_STORE_free(store);
	json_decref(store_facts);
	return rc;
}

int ats_probe_run(const ats_probe_opts *o, json_t **report, ats_err *err)
{
	const char *url = o->url;
	return ats_probe_run_many(o, &url, 1, report, err);
}
