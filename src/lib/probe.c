/* The probes themselves: libcurl easy handles on one multi handle, run together. OpenSSL's
 * certificate-verify step is taken over (through CURLOPT_SSL_CTX_FUNCTION) only to capture the
 * chain and every verification failure; the verification is OpenSSL's own, with libcurl's store. */
#include "audit.h"
#include "diagnose.h"
#include "probe_int.h"
#include "util.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct probe {
	const char *name; /* "h2" or "http/1.1" */
	bool want_h2;
	CURL *h;
	ats_verify_capture cap;
	bool captured; /* libcurl let us see the handshake (OpenSSL backend) */
	X509_STORE *store; /* the trust store both probes share, loaded once */
	char errbuf[CURL_ERROR_SIZE];
	unsigned char body[ATS_PROBE_BODY_BYTES];
	size_t body_n;
	CURLcode result;
} probe;

static int ctx_index = -1;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_index_init(void)
{
	ctx_index = SSL_CTX_get_ex_new_index(0, "atscheck probe", NULL, NULL, NULL);
}

/* Follows the handshake: where it began, whether the server answered, which alert it sent. */
static void info_cb(const SSL *ssl, int where, int ret)
{
	probe *p = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), ctx_index);
	if (!p)
		return;
	if (where & SSL_CB_HANDSHAKE_START)
		p->cap.hs_started = true;
	if ((where & SSL_CB_LOOP) && SSL_get_state(ssl) == TLS_ST_CR_SRVR_HELLO)
		p->cap.hs_answered = true;
	if (where & SSL_CB_READ_ALERT) {
		p->cap.alert = ret & 0xff;
		p->cap.hs_answered = true;
	}
}

static int cert_verify_cb(X509_STORE_CTX *ctx, void *arg)
{
	probe *p = arg;
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

static CURLcode sslctx_cb(CURL *curl, void *sslctx, void *parm)
{
	SSL_CTX *ctx = sslctx;
	(void)curl;
	probe *p = parm;
	SSL_CTX_set_ex_data(ctx, ctx_index, parm);
	if (p->store)
		SSL_CTX_set1_cert_store(ctx, p->store);
	SSL_CTX_set_cert_verify_callback(ctx, cert_verify_cb, parm);
	SSL_CTX_set_info_callback(ctx, info_cb);
	return CURLE_OK;
}

static size_t body_cb(char *data, size_t size, size_t n, void *arg)
{
	probe *p = arg;
	size_t len = size * n, room = sizeof(p->body) - p->body_n;
	memcpy(p->body + p->body_n, data, len < room ? len : room);
	p->body_n += len < room ? len : room;
	return len; /* the rest is read and dropped: the endpoint's answer is small */
}

static int setup(probe *p, const ats_probe_opts *o, const char *url, struct curl_slist *resolve,
		 ats_err *err)
{
	CURL *h = p->h = curl_easy_init();
	long timeout = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	if (!h)
		return ats_err_set(err, ATS_ENOMEM, "cannot create a libcurl handle");
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

static json_t *ms(curl_off_t from, curl_off_t to)
{
	if (to <= 0)
		return json_null();
	return json_real((double)(to - (from > 0 ? from : 0)) / 1000.0);
}

static const char *http_version_name(long v)
{
	switch (v) {
	case CURL_HTTP_VERSION_1_0: return "1.0";
	case CURL_HTTP_VERSION_1_1: return "1.1";
	case CURL_HTTP_VERSION_2_0: return "2";
#ifdef CURL_HTTP_VERSION_3
	case CURL_HTTP_VERSION_3: return "3";
#endif
	default: return NULL;
	}
}

/* The OpenSSL reason in libcurl's message ("... error:0A00010B:SSL routines::wrong version
 * number"), or 0. */
static int openssl_reason(const char *msg)
{
	const char *e = strstr(msg, "error:");
	unsigned long code;
	if (!e || sscanf(e + 6, "%8lx:", &code) != 1)
		return 0;
	return ERR_GET_REASON(code);
}

/* Whether no_proxy exempts host, as libcurl reads it: "*", or a name the host is or ends in. */
static bool no_proxy_for(const char *host)
{
	const char *np = getenv("no_proxy");
	if (!np || !*np)
		np = getenv("NO_PROXY");
	if (!np)
		return false;
	size_t hl = strlen(host);
	for (const char *p = np; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		const char *e = p;
		size_t en = n;
		if (en && e[0] == '.') {
			e++;
			en--;
		}
		if ((n == 1 && p[0] == '*') ||
		    (en && en <= hl && strncasecmp(host + hl - en, e, en) == 0 &&
		     (en == hl || host[hl - en - 1] == '.')))
			return true;
		p += n;
	}
	return false;
}

/* The proxy libcurl goes through: the one given, else the environment's. */
static const char *proxy_in_use(const ats_probe_opts *o, const char *host)
{
	static const char *const vars[] = {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
	if (o->proxy)
		return *o->proxy ? o->proxy : NULL;
	if (no_proxy_for(host))
		return NULL;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

static json_t *probe_json(probe *p, const ats_probe_opts *o, const char *host, long url_port)
{
	CURL *h = p->h;
	curl_off_t t_dns = 0, t_tcp = 0, t_tls = 0, t_first = 0, t_total = 0;
	char *ip = NULL;
	long port = 0, httpv = 0, status = 0, oserr = 0, connectcode = 0;
	const char *proxy = proxy_in_use(o, host);
	json_t *j = json_pack("{s:s, s:s, s:s}", "name", p->name, "host", host,
			      "http_version_wanted", p->want_h2 ? "2" : "1.1");
	if (!j)
		return NULL;
	curl_easy_getinfo(h, CURLINFO_NAMELOOKUP_TIME_T, &t_dns);
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &t_tcp);
	curl_easy_getinfo(h, CURLINFO_APPCONNECT_TIME_T, &t_tls);
	curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME_T, &t_first);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &t_total);
	curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip);
	curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
	curl_easy_getinfo(h, CURLINFO_HTTP_VERSION, &httpv);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	curl_easy_getinfo(h, CURLINFO_HTTP_CONNECTCODE, &connectcode);
	if (proxy)
		json_object_set_new(j, "proxy", json_pack("{s:s, s:i}", "url", proxy, "connect_status",
							  (int)connectcode));

	json_object_set_new(j, "address", ip && *ip ? json_string(ip) : json_null());
	json_object_set_new(j, "port", json_integer(port ? port : url_port));
	json_object_set_new(j, "times_ms",
			    json_pack("{s:o, s:o, s:o, s:o, s:o}", "dns", ms(0, t_dns), "tcp",
				      ms(t_dns, t_tcp), "tls", ms(t_tcp, t_tls), "first_byte",
				      ms(t_tls, t_first), "total", ms(0, t_total)));
	if (p->cap.tls_version[0])
		json_object_set_new(j, "tls", json_pack("{s:s, s:s, s:s?}", "version", p->cap.tls_version,
							"cipher", p->cap.cipher, "alpn",
							p->cap.alpn[0] ? p->cap.alpn : NULL));
	else
		json_object_set_new(j, "tls", json_null());
	if (status > 0) {
		char body[ATS_PROBE_BODY_BYTES + 1];
		for (size_t i = 0; i < p->body_n; i++)
			body[i] = (p->body[i] >= 0x20 && p->body[i] < 0x7f) || p->body[i] == '\n' ||
					  p->body[i] == '\t'
				  ? (char)p->body[i]
				  : '.';
		body[p->body_n] = '\0';
		const char *hv = http_version_name(httpv);
		json_object_set_new(j, "http", json_pack("{s:s?, s:i, s:s}", "version", hv, "status",
							 (int)status, "body", body));
	} else {
		json_object_set_new(j, "http", json_null());
	}
	if (p->result != CURLE_OK) {
		const char *msg = p->errbuf[0] ? p->errbuf : curl_easy_strerror(p->result);
		json_t *e = json_pack("{s:i, s:s, s:s, s:i}", "curl_code", (int)p->result, "curl_error",
				      curl_easy_strerror(p->result), "message", msg, "os_errno", (int)oserr);
		int reason = openssl_reason(msg);
		if (reason)
			json_object_set_new(e, "openssl_reason", json_integer(reason));
		if (p->cap.alert >= 0)
			json_object_set_new(e, "tls_alert",
					    json_pack("{s:i, s:s}", "code", p->cap.alert, "description",
						      SSL_alert_desc_string_long(p->cap.alert)));
		json_object_set_new(j, "error", e);
	}
	json_object_set_new(j, "handshake", json_pack("{s:b, s:b, s:b}", "started", p->cap.hs_started,
						      "answered", p->cap.hs_answered, "chain_seen",
						      p->cap.called));
	if (p->cap.called)
		json_object_set_new(j, "certificates", ats_verify_facts(&p->cap));
	return j;
}

/* Host and port of the URL, for the verification and the report. */
static int url_host(const char *url, char *host, size_t n, long *port, ats_err *err)
{
	CURLU *u = curl_url();
	char *h = NULL, *scheme = NULL, *pt = NULL;
	int rc = 0;
	if (!u)
		return ats_err_set(err, ATS_ENOMEM, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK) {
		rc = ats_err_set(err, ATS_EUSAGE, "--endpoint %s: not a URL", url);
	} else if (strcmp(scheme, "https") != 0) {
		rc = ats_err_set(err, ATS_EUSAGE, "--endpoint %s: must be https:// (AVS is TLS only)", url);
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

/* Loads the store the probes verify against, once: the file and directory given, or the ones
 * this libcurl uses by default. A file that cannot be read is recorded in the report (the
 * device's own store missing is a finding); the probes then trust nothing and say so. */
static X509_STORE *store_load(const ats_probe_opts *o, json_t **sj)
{
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	X509_STORE *st = X509_STORE_new();
	bool dflt = !o->cainfo && !o->capath && !o->cainfo_pem;
	const char *file = dflt ? cv->cainfo : o->cainfo, *dir = dflt ? cv->capath : o->capath;
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
	if (file && X509_STORE_load_file(st, file) != 1)
		snprintf(errmsg, sizeof(errmsg), "%s: cannot load the CA file", file);
	if (dir && X509_STORE_load_path(st, dir) != 1 && !errmsg[0])
		snprintf(errmsg, sizeof(errmsg), "%s: cannot use the CA directory", dir);
	ERR_clear_error();
	*sj = json_pack("{s:s?, s:s?, s:b}", "cainfo", o->cainfo_pem ? "(in memory)" : file, "capath",
			dir, "libcurl_default", dflt);
	if (errmsg[0])
		json_object_set_new(*sj, "error", json_string(errmsg));
	return st;
}

int ats_probe_run(const ats_probe_opts *o, json_t **report, ats_err *err)
{
	const char *url = o->url ? o->url : ATS_PROBE_DEFAULT_URL;
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
	bool both = !o->http2 && !o->http11;
	probe probes[2];
	int np = 0, rc = 0;
	struct curl_slist *resolve = NULL;
	CURLM *m = NULL;
	json_t *r = NULL, *pj = NULL, *problems = NULL, *store_facts = NULL;
	X509_STORE *store = NULL;
	char host[256], t[32];
	long port = 443;

	*report = NULL;
	memset(probes, 0, sizeof(probes));
	if ((rc = url_host(url, host, sizeof(host), &port, err)) != 0)
		return rc;
	pthread_once(&ctx_once, ctx_index_init);
	store = store_load(o, &store_facts);
	if (!store || !store_facts) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory loading the trust store");
		goto out;
	}
	if (both || o->http2)
		probes[np++] = (probe){.name = "h2", .want_h2 = true};
	if (both || o->http11)
		probes[np++] = (probe){.name = "http/1.1", .want_h2 = false};
	for (const char *const *rv = o->resolve; rv && *rv; rv++) {
		struct curl_slist *n = curl_slist_append(resolve, *rv);
		if (!n) {
			rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
			goto out;
		}
		resolve = n;
	}
	if (!(m = curl_multi_init())) {
		rc = ats_err_set(err, ATS_ENOMEM, "cannot create a libcurl multi handle");
		goto out;
	}
	for (int i = 0; i < np; i++) {
		ats_verify_capture_init(&probes[i].cap);
		probes[i].cap.at = o->at;
		probes[i].cap.lab = o->lab;
		snprintf(probes[i].cap.host, sizeof(probes[i].cap.host), "%s", host);
		probes[i].store = store;
		if ((rc = setup(&probes[i], o, url, resolve, err)) != 0)
			goto out;
		curl_multi_add_handle(m, probes[i].h);
	}
	int running = 1;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left))) {
		probe *p = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (p)
			p->result = msg->data.result;
	}

	r = json_object();
	pj = json_array();
	problems = json_array();
	if (!r || !pj || !problems) {
		rc = ats_err_set(err, ATS_ENOMEM, "out of memory");
		goto out;
	}
	ats_diag_ctx d = {.at = o->at ? o->at : o->now, .at_given = o->at && o->at != o->now,
			  .libcurl_http2 = (cv->features & CURL_VERSION_HTTP2) != 0};
	ats_verdict overall = ATS_VERDICT_OK;
	for (int i = 0; i < np; i++) {
		json_t *j = probe_json(&probes[i], o, host, port);
		overall = ats_verdict_worst(overall, ats_diagnose_probe(j, &d, problems));
		json_array_append_new(pj, j);
	}
	json_object_set_new(r, "command", json_string("probe"));
	json_object_set_new(r, "endpoint", json_string(url));
	json_object_set_new(r, "host", json_string(host));
	json_object_set_new(r, "port", json_integer(port));
	json_object_set_new(r, "at", json_string(ats_time_format(d.at, t, sizeof(t))));
	if (json_object_get(store_facts, "error")) {
		ats_report_problem(problems, ATS_VERDICT_CRITICAL, NULL, NULL,
				   json_string_value(json_object_get(store_facts, "error")),
				   "install ca-certificates (or fix --cacert / --capath), then atscheck install");
		overall = ats_verdict_worst(overall, ATS_VERDICT_CRITICAL);
	}
	json_object_set_new(r, "store", store_facts);
	store_facts = NULL;
	if (o->proxy)
		json_object_set_new(r, "proxy", json_string(o->proxy));
	json_object_set_new(r, "libcurl",
			    json_pack("{s:s, s:s?, s:b, s:s?}", "version", cv->version, "ssl",
				      cv->ssl_version, "http2", d.libcurl_http2, "nghttp2",
				      cv->nghttp2_version));
	json_object_set_new(r, "probes", pj);
	pj = NULL;
	if (o->save_chain) {
		STACK_OF(X509) *chain = NULL;
		for (int i = 0; i < np && !chain; i++)
			if (sk_X509_num(probes[i].cap.sent) > 0)
				chain = probes[i].cap.sent;
		ats_err e = {0};
		if (ats_chain_save(o->save_chain, chain, &e) == 0) {
			json_object_set_new(r, "saved_chain", json_string(o->save_chain));
		} else {
			ats_report_problem(problems, ATS_VERDICT_UNKNOWN, NULL, NULL, e.msg,
					   "check the path given to --save-chain");
			overall = ats_verdict_worst(overall, ATS_VERDICT_UNKNOWN);
		}
	}
	json_object_set_new(r, "verdict", json_string(ats_verdict_name(overall)));
	json_object_set_new(r, "exit_code", json_integer(overall));
	json_object_set_new(r, "problems", problems);
	problems = NULL;
	*report = r;
	r = NULL;
out:
	for (int i = 0; i < np; i++) {
		if (probes[i].h) {
			if (m)
				curl_multi_remove_handle(m, probes[i].h);
			curl_easy_cleanup(probes[i].h);
		}
		ats_verify_capture_free(&probes[i].cap);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(resolve);
	X509_STORE_free(store);
	json_decref(store_facts);
	json_decref(r);
	json_decref(pj);
	json_decref(problems);
	return rc;
}
