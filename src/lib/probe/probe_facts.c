/* A finished probe turned into facts: where it connected, how long each step took, what TLS
 * and HTTP it got, how it failed (libcurl's code, the OS errno, the OpenSSL reason, a TLS alert
 * received), whether a proxy stood in the way, and the certificates it saw. */
#include "base/redact.h"
#include "probe/probe_int.h"

#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

json_t *ats_probe_facts(ats_probe_handle *p, const ats_probe_opts *o, const char *host, long url_port)
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
	/* A handshake that failed: libcurl says 0 for the phases it did not finish, yet TCP was
	 * connected when the handshake began and the TLS phase ran until it ended. */
	if (t_tcp <= 0 && p->tcp_us > p->t0_us && p->t0_us)
		t_tcp = p->tcp_us - p->t0_us;
	if (t_tls <= 0 && p->tls_us > p->t0_us && p->t0_us && t_tcp > 0)
		t_tls = p->tls_us - p->t0_us;
	if (t_tcp > 0 && t_tcp < t_dns)
		t_tcp = t_dns;
	if (t_tls > 0 && t_tls < t_tcp)
		t_tls = t_tcp;
	if (t_total > 0 && t_tls > t_total)
		t_total = t_tls;
	if (proxy) {
		char shown[1024];
		json_object_set_new(j, "proxy", json_pack("{s:s, s:i}", "url",
							  ats_redact_url(proxy, shown, sizeof(shown)),
							  "connect_status", (int)connectcode));
	}

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
		/* libcurl's message may quote the URL it was given, credentials and all. */
		char *msg = ats_redact_text(p->errbuf[0] ? p->errbuf : curl_easy_strerror(p->result));
		json_t *e = json_pack("{s:i, s:s, s:s?, s:i}", "curl_code", (int)p->result, "curl_error",
				      curl_easy_strerror(p->result), "message", msg, "os_errno", (int)oserr);
		int reason = msg ? openssl_reason(msg) : 0;
		free(msg);
		if (reason)
			json_object_set_new(e, "openssl_reason", json_integer(reason));
		if (p->cap.alert >= 0)
			json_object_set_new(e, "tls_alert",
					    json_pack("{s:i, s:s}", "code", p->cap.alert, "description",
						      SSL_alert_desc_string_long(p->cap.alert)));
		json_object_set_new(j, "error", e);
	}
	json_object_set_new(j, "handshake", json_pack("{s:b, s:b, s:b, s:b}", "started", p->cap.hs_started,
						      "answered", p->cap.hs_answered, "completed", p->hs_done, "chain_seen",
						      p->cap.called));
	if (p->cap.called)
		json_object_set_new(j, "certificates", ats_verify_facts(&p->cap));
	return j;
}
