/* Facts → one cause and one fix. Connection failures are read from libcurl's result (its code,
 * the OS errno, the OpenSSL reason in its message, a TLS alert received); certificate failures
 * from the verification's full list of errors, taken in order of what a field engineer must fix
 * first: the trust path, then the name, then the clock, then expiry, then key strength. */
#include "probe/diagnose.h"

#include "base/util.h"
#include "report/tree.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

typedef struct diag {
	ats_verdict sev;
	const char *cause;
	char msg[1024];
	char fix[768];
} diag;

static void say(diag *g, ats_verdict sev, const char *cause, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void say(diag *g, ats_verdict sev, const char *cause, const char *fix, const char *fmt, ...)
{
	va_list ap;
	g->sev = sev;
	g->cause = cause;
	snprintf(g->fix, sizeof(g->fix), "%s", fix);
	va_start(ap, fmt);
	vsnprintf(g->msg, sizeof(g->msg), fmt, ap);
	va_end(ap);
}

static const json_t *find_error(const json_t *errors, const int *codes)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
		for (const int *c = codes; *c; c++)
			if (ats_json_int(e, "code") == *c)
				return e;
	return NULL;
}

static const char *role(const json_t *path, long long depth)
{
	size_t n = json_array_size(path);
	if (depth == 0)
		return "the server's certificate";
	if (n && (size_t)depth == n - 1 && json_is_true(json_object_get(json_array_get(path, n - 1),
									 "self_signed")))
		return "the root";
	return "the intermediate";
}

static void when(const ats_diag_ctx *d, char *buf, size_t n)
{
	char t[32];
	ats_time_format(d->at, t, sizeof(t));
	snprintf(buf, n, d->at_given ? "at %s (the time asked about)" : "this device's clock says %s", t);
}

static void install_fix(const ats_diag_ctx *d, const json_t *anchor, char *out, size_t n)
{
	const json_t *ats = json_object_get(anchor, "ats");
	if (strcmp(ats_json_str(ats, "match"), "lab") == 0)
		snprintf(out, n, "add the lab root '%s' to the trust store", ats_json_str(ats, "name"));
	else
		snprintf(out, n, "atscheck install%s%s --ca '%s'", d->root ? " --root " : "",
			 d->root ? d->root : "", ats_json_str(ats, "name"));
}

/* The certificate side. Returns true when it found something (a failure or a warning). */
static bool certs(const json_t *f, const char *host, const ats_diag_ctx *d, diag *g)
{
	static const int trust[] = {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
				    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
				    X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
				    X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
				    X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE,
				    X509_V_ERR_CERT_UNTRUSTED,
				    X509_V_ERR_CERT_REJECTED,
				    0};
	static const int name[] = {X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH, 0};
	static const int early[] = {X509_V_ERR_CERT_NOT_YET_VALID, 0};
	static const int late[] = {X509_V_ERR_CERT_HAS_EXPIRED, 0};
	static const int weak[] = {X509_V_ERR_EE_KEY_TOO_SMALL, X509_V_ERR_CA_KEY_TOO_SMALL,
				   X509_V_ERR_CA_MD_TOO_WEAK, 0};
	const json_t *errors = json_object_get(f, "errors"), *path = json_object_get(f, "path");
	const json_t *sent = json_object_get(f, "sent"), *leaf = json_array_get(sent, 0);
	const json_t *e, *c;
	char clock[96], fix[768];

	when(d, clock, sizeof(clock));
	if (json_is_true(json_object_get(f, "verified"))) {
		const json_t *anchor = json_object_get(f, "anchor");
		size_t i;
		if (!json_object_get(anchor, "ats")) {
			say(g, ATS_VERDICT_WARNING, "intercepted",
			    "exempt this host (and *.amazon.com) from TLS inspection on the proxy, or connect "
			    "without it: ATS trust cannot be checked through it",
			    "the chain was anchored at '%s', which is not an ATS CA: a TLS-intercepting proxy "
			    "sits between this device and %s", ats_json_str(anchor, "subject"), host);
			return true;
		}
		json_array_foreach(path, i, c) {
			long long bits = ats_json_int(c, "key_bits");
			bool rsa = strcmp(ats_json_str(c, "key_type"), "RSA") == 0;
			if ((rsa && bits < 2048) || (!rsa && bits && bits < 256)) {
				say(g, ATS_VERDICT_WARNING, "weak-key",
				    "the server must use at least RSA 2048 or EC P-256 keys",
				    "%s '%s' has a %s %lld-bit key, too weak for AVS", role(path, (long long)i),
				    ats_json_str(c, "subject"), ats_json_str(c, "key_type"), bits);
				return true;
			}
		}
		return false;
	}

	if ((e = find_error(errors, trust))) {
		const json_t *would = json_object_get(f, "would_anchor");
		long long depth = ats_json_int(e, "depth");
		if (json_is_object(would)) {
			install_fix(d, would, fix, sizeof(fix));
			say(g, ATS_VERDICT_CRITICAL, "untrusted", fix,
			    "the trust store does not hold the root this chain needs: %s would anchor it",
			    ats_json_str(json_object_get(would, "ats"), "name")[0]
				    ? ats_json_str(json_object_get(would, "ats"), "name")
				    : ats_json_str(would, "subject"));
		} else if (ats_json_int(e, "code") == X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT ||
			   (json_array_size(sent) == 1 && json_is_true(json_object_get(leaf, "self_signed")))) {
			say(g, ATS_VERDICT_CRITICAL, "self-signed",
			    "this is not the ATS endpoint: check the endpoint name, DNS, and whether a captive "
			    "portal or proxy answers in its place",
			    "the server sent a self-signed certificate '%s'", ats_json_str(leaf, "subject"));
		} else if (depth == 0 && json_array_size(sent) == 1 &&
			   !strstr(ats_json_str(leaf, "issuer"), "Amazon")) {
			/* A lone leaf from a CA that is no ATS CA and in no store is not an ATS server
			 * that forgot its intermediate (those are Amazon's: "O=Amazon, CN=Amazon RSA
			 * 2048 M02"): it is what a TLS-inspecting proxy sends. */
			say(g, ATS_VERDICT_CRITICAL, "intercepting-proxy",
			    "exempt this host (and *.amazon.com) from TLS inspection on the proxy, or connect "
			    "without it; if there is no proxy, check that the endpoint name and DNS lead to AVS",
			    "the server sent only a certificate issued by '%s', which is no ATS CA and in no "
			    "store: a TLS-intercepting proxy (whose CA this device does not trust) answers in "
			    "place of %s", ats_json_str(leaf, "issuer"), host);
		} else if (depth == 0 && json_array_size(sent) == 1) {
			say(g, ATS_VERDICT_CRITICAL, "incomplete-chain",
			    "the server must send its intermediate certificate with its own (the full chain "
			    "file): a device cannot fetch it",
			    "the server sent only its own certificate, not the intermediate '%s' that links it "
			    "to a root", ats_json_str(leaf, "issuer"));
		} else {
			const json_t *top = json_array_get(path, json_array_size(path) - 1);
			say(g, ATS_VERDICT_CRITICAL, "unknown-root",
			    "if a proxy inspects TLS, exempt this host or connect without it; otherwise check "
			    "that the endpoint really is the ATS endpoint",
			    "the chain leads to '%s', which is neither in the trust store nor one of the six "
			    "ATS CAs: not the ATS endpoint, or a TLS-intercepting proxy on the path",
			    top ? (json_is_true(json_object_get(top, "self_signed")) ? ats_json_str(top, "subject")
										 : ats_json_str(top, "issuer"))
				: "?");
		}
		return true;
	}
	if ((e = find_error(errors, name))) {
		char names[512] = "";
		size_t i, n = 0;
		json_t *s;
		json_array_foreach(json_object_get(leaf, "names"), i, s)
			n += (size_t)snprintf(names + n, n < sizeof(names) ? sizeof(names) - n : 0, "%s%s",
					      i ? ", " : "", json_string_value(s));
		say(g, ATS_VERDICT_CRITICAL, "hostname",
		    "use the endpoint's real name; if DNS or --resolve sends it to another server (a captive "
		    "portal, a proxy), fix that",
		    "the server's certificate is for %s, not %s", names[0] ? names : ats_json_str(leaf, "subject"),
		    host);
		return true;
	}
	if ((e = find_error(errors, early))) {
		c = json_array_get(path, (size_t)ats_json_int(e, "depth"));
		say(g, ATS_VERDICT_CRITICAL, "clock",
		    "set the time: enable NTP (timedatectl set-ntp true) or set it by hand (timedatectl "
		    "set-time); a Raspberry Pi without a clock battery boots in the past",
		    "%s '%s' is valid only from %s, but %s: the clock is behind",
		    role(path, ats_json_int(e, "depth")), ats_json_str(e, "subject"), c ? ats_json_str(c, "not_before") : "?", clock);
		return true;
	}
	if ((e = find_error(errors, late))) {
		c = json_array_get(path, (size_t)ats_json_int(e, "depth"));
		say(g, ATS_VERDICT_CRITICAL, "expired",
		    d->at_given ? "the server must renew its chain before then"
				: "check the clock first (timedatectl); if it is right, the server's chain "
				  "has expired and must be renewed on the server",
		    "%s '%s' expired on %s; %s", role(path, ats_json_int(e, "depth")), ats_json_str(e, "subject"),
		    c ? ats_json_str(c, "not_after") : "?", clock);
		return true;
	}
	if ((e = find_error(errors, weak))) {
		c = json_array_get(path, (size_t)ats_json_int(e, "depth"));
		say(g, ATS_VERDICT_CRITICAL, "weak-key",
		    "the server must use at least RSA 2048 or EC P-256 keys and SHA-256 signatures",
		    "%s '%s' is refused as too weak (%s%s%lld bits)", role(path, ats_json_int(e, "depth")),
		    ats_json_str(e, "subject"), ats_json_str(e, "error"), c ? ", " : "", c ? ats_json_int(c, "key_bits") : 0LL);
		return true;
	}
	e = json_array_get(errors, 0);
	say(g, ATS_VERDICT_CRITICAL, "other", "see the error above; atscheck chain can examine a saved chain",
	    "the chain did not verify: %s (at '%s')", e ? ats_json_str(e, "error") : "unknown reason",
	    e ? ats_json_str(e, "subject") : "");
	return true;
}

/* The connection side: what went wrong before there was a chain to look at. */
static void connection(const json_t *p, const char *host, long long port, diag *g)
{
	const json_t *err = json_object_get(p, "error"), *times = json_object_get(p, "times_ms");
	long long code = ats_json_int(err, "curl_code"), oserr = ats_json_int(err, "os_errno");
	long long reason = ats_json_int(err, "openssl_reason");
	const json_t *alert = json_object_get(err, "tls_alert");
	const json_t *hs = json_object_get(p, "handshake");
	const char *addr = ats_json_str(p, "address");
	/* libcurl leaves its connect time unset when the TLS step fails; the handshake having
	 * started says the TCP connection was made. */
	bool connected = json_is_true(json_object_get(hs, "started")) ||
			 (json_is_number(json_object_get(times, "tcp")) &&
			  json_real_value(json_object_get(times, "tcp")) > 0);
	bool answered = json_is_true(json_object_get(hs, "answered"));
	char where[300];

	snprintf(where, sizeof(where), "%s port %lld%s%s%s", host, port, *addr ? " (" : "", addr,
		 *addr ? ")" : "");
	const json_t *proxy = json_object_get(p, "proxy");
	long long cstatus = ats_json_int(proxy, "connect_status");
	if (proxy && !answered && cstatus != 200 &&
	    (code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_COULDNT_CONNECT ||
	     code == CURLE_RECV_ERROR || code == CURLE_OPERATION_TIMEDOUT || cstatus >= 300)) {
		if (cstatus >= 300)
			say(g, ATS_VERDICT_CRITICAL, "proxy",
			    "allow CONNECT to this host on port 443 in the proxy, or connect without it",
			    "the proxy %s refused to connect to %s (CONNECT answered %lld)", ats_json_str(proxy, "url"),
			    host, cstatus);
		else
			say(g, ATS_VERDICT_CRITICAL, "proxy",
			    "check the proxy (--proxy, https_proxy / no_proxy): its name, port, and that it "
			    "is running",
			    "cannot reach %s through the proxy %s: %s", host, ats_json_str(proxy, "url"),
			    ats_json_str(err, "message"));
	} else if (code == CURLE_COULDNT_RESOLVE_HOST) {
		say(g, ATS_VERDICT_CRITICAL, "dns",
		    "check DNS: /etc/resolv.conf and the network's DNS server (try: getent hosts NAME)",
		    "cannot resolve %s: DNS failure", host);
	} else if (code == CURLE_COULDNT_RESOLVE_PROXY) {
		say(g, ATS_VERDICT_CRITICAL, "proxy", "check the proxy name (--proxy, https_proxy)",
		    "cannot resolve the proxy: %s", ats_json_str(err, "message"));
	} else if (code == CURLE_COULDNT_CONNECT && oserr == ECONNREFUSED) {
		say(g, ATS_VERDICT_CRITICAL, "refused",
		    "open outbound TCP port 443 to this host in the firewall, or check the endpoint's port",
		    "%s refused the connection: nothing listens there, or a firewall rejects port %lld",
		    where, port);
	} else if (code == CURLE_COULDNT_CONNECT || (code == CURLE_OPERATION_TIMEDOUT && !connected)) {
		say(g, ATS_VERDICT_CRITICAL, "blocked",
		    "open outbound TCP port 443 to this host in the firewall (or route to it)",
		    "cannot connect to %s: %s: port %lld is blocked or the host unreachable", where,
		    ats_json_str(err, "message"), port);
	} else if (code == CURLE_SSL_CACERT_BADFILE) {
		say(g, ATS_VERDICT_CRITICAL, "store",
		    "install ca-certificates (or fix --cacert / --capath), then atscheck install",
		    "the TLS stack cannot read its trust store: %s", ats_json_str(err, "message"));
	} else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG ||
		   reason == SSL_R_HTTP_REQUEST || reason == SSL_R_HTTPS_PROXY_REQUEST) {
		say(g, ATS_VERDICT_CRITICAL, "not-tls",
		    "check the port: something other than a TLS server answers there (plain HTTP, or a "
		    "proxy that expects CONNECT)",
		    "%s does not speak TLS (%s)", where, ats_json_str(err, "message"));
	} else if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_NO_PROTOCOLS_AVAILABLE ||
		   reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION || reason == SSL_R_VERSION_TOO_LOW ||
		   ats_json_int(alert, "code") == SSL_AD_PROTOCOL_VERSION) {
		say(g, ATS_VERDICT_CRITICAL, "tls-version",
		    "the server must offer TLS 1.2 or 1.3 (AVS requires TLS 1.2 or newer)",
		    "%s and this device share no TLS version: it offers only TLS older than 1.2 (%s)",
		    where, ats_json_str(err, "message"));
	} else if (json_is_object(alert)) {
		say(g, ATS_VERDICT_CRITICAL, "tls-alert",
		    "the server refused this client's handshake: compare its TLS settings (ciphers, "
		    "curves, client certificate) with this device's",
		    "%s ended the TLS handshake with the alert '%s'", where, ats_json_str(alert, "description"));
	} else if (connected && !answered && code == CURLE_OPERATION_TIMEDOUT) {
		say(g, ATS_VERDICT_CRITICAL, "stalled",
		    "something on the path swallows TLS to this host (a firewall or proxy), or the server "
		    "is hung: try from another network",
		    "%s accepted the connection but never answered the TLS handshake", where);
	} else if (connected && !answered &&
		   (oserr == ECONNRESET || reason == SSL_R_UNEXPECTED_EOF_WHILE_READING ||
		    code == CURLE_SSL_CONNECT_ERROR || code == CURLE_RECV_ERROR ||
		    code == CURLE_GOT_NOTHING || code == CURLE_SEND_ERROR)) {
		say(g, ATS_VERDICT_CRITICAL, "reset",
		    "a firewall or proxy on the path cuts TLS to this host, or the server refuses this "
		    "client: try from another network",
		    "%s cut the connection during the TLS handshake (%s)", where, ats_json_str(err, "message"));
	} else if (code == CURLE_OPERATION_TIMEDOUT) {
		say(g, ATS_VERDICT_CRITICAL, "timeout", "check the network's speed and the server's health",
		    "%s: %s", where, ats_json_str(err, "message"));
	} else {
		say(g, ATS_VERDICT_CRITICAL, "other", "see the error message",
		    "%s: %s", where, ats_json_str(err, "message"));
	}
}

/* An h2 probe that did not get HTTP/2 (how: what was said instead): this libcurl cannot, or the
 * server (or a proxy in the path) did not offer it. */
static void no_h2(diag *g, const ats_diag_ctx *d, const char *host, const char *how)
{
	if (!d->libcurl_http2)
		say(g, ATS_VERDICT_CRITICAL, "libcurl-no-http2",
		    "install a libcurl built with nghttp2 (Debian: libcurl4 / libcurl4-openssl-dev "
		    "from the distribution); AVS needs HTTP/2",
		    "this libcurl has no HTTP/2 support, and AVS needs HTTP/2");
	else
		say(g, ATS_VERDICT_CRITICAL, "no-h2",
		    "the server must offer h2 in ALPN (AVS needs HTTP/2); if a proxy is in the path, "
		    "it may be stripping it",
		    "%s did not offer HTTP/2 (%s)", host, how);
}

static void add_problem(json_t *problems, const diag *g, const char *probe, const char *store)
{
	size_t i;
	json_t *pr;
	/* Both probes failing alike make one problem naming both. */
	json_array_foreach(problems, i, pr) {
		if (probe && strcmp(ats_json_str(pr, "message"), g->msg) == 0 &&
		    strcmp(ats_json_str(pr, "cause"), g->cause) == 0) {
			char both[128];
			snprintf(both, sizeof(both), "%s, %s", ats_json_str(pr, "probe"), probe);
			json_object_set_new(pr, "probe", json_string(both));
			return;
		}
	}
	ats_report_problem(problems, g->sev, store, NULL, g->msg, g->fix);
	json_t *last = json_array_get(problems, json_array_size(problems) - 1);
	if (probe)
		json_object_set_new(last, "probe", json_string(probe));
	json_object_set_new(last, "cause", json_string(g->cause));
}

static void put(json_t *o, const diag *g)
{
	json_object_set_new(o, "verdict", json_string(ats_verdict_name(g->sev)));
	json_object_set_new(o, "cause", json_string(g->cause));
	json_object_set_new(o, "message", json_string(g->msg));
	json_object_set_new(o, "fix", json_string(g->fix));
}

ats_verdict ats_diagnose_probe(json_t *p, const ats_diag_ctx *d, json_t *problems)
{
	diag g = {ATS_VERDICT_OK, "ok", "", ""};
	const json_t *f = json_object_get(p, "certificates"), *tls = json_object_get(p, "tls");
	const json_t *http = json_object_get(p, "http");
	const char *name = ats_json_str(p, "name"), *host = ats_json_str(p, "host");
	bool want_h2 = strcmp(ats_json_str(p, "http_version_wanted"), "2") == 0;
	bool verified = json_is_true(json_object_get(f, "verified"));
	char hostbuf[256];

	if (!*host) {
		/* The probe object does not repeat the endpoint: read it from its facts. */
		const json_t *hn = json_object_get(f, "hostname");
		snprintf(hostbuf, sizeof(hostbuf), "%s", ats_json_str(hn, "name")[0] ? ats_json_str(hn, "name") : "the endpoint");
		host = hostbuf;
	}
	if (json_is_object(f) && !verified) {
		certs(f, host, d, &g);
	} else if (!verified && json_object_get(p, "error")) {
		/* No chain was seen (no handshake, or a TLS stack we cannot look into). */
		connection(p, host, ats_json_int(p, "port") ? ats_json_int(p, "port") : 443, &g);
		if (ats_json_int(json_object_get(p, "error"), "curl_code") == CURLE_PEER_FAILED_VERIFICATION &&
		    strcmp(g.cause, "other") == 0)
			g.cause = "untrusted";
	} else if (verified && certs(f, host, d, &g)) {
		/* a warning about the chain (interception, weak key); the protocol is still checked */
	}
	/* A TLS library atscheck cannot look into (a GnuTLS libcurl): libcurl verified the chain
	 * itself, and the HTTP version it spoke stands in for ALPN. */
	bool blind = !json_is_object(f) && !json_object_get(p, "error") && json_is_object(http);
	char how[96];
	if (blind && want_h2 && strcmp(ats_json_str(http, "version"), "2") != 0) {
		snprintf(how, sizeof(how), "HTTP %s was spoken", ats_json_str(http, "version"));
		no_h2(&g, d, host, how);
	}
	if (verified && g.sev < ATS_VERDICT_CRITICAL && want_h2 && strcmp(ats_json_str(tls, "alpn"), "h2") != 0) {
		snprintf(how, sizeof(how), "ALPN chose %s",
			 ats_json_str(tls, "alpn")[0] ? ats_json_str(tls, "alpn") : "nothing");
		no_h2(&g, d, host, how);
	}
	if (g.sev == ATS_VERDICT_OK && blind) {
		snprintf(g.msg, sizeof(g.msg), "verified by libcurl's own TLS library (its chain is not "
			 "visible to atscheck); HTTP %s answered", ats_json_str(http, "version"));
	} else if (g.sev == ATS_VERDICT_OK) {
		const json_t *anchor = json_object_get(f, "anchor");
		snprintf(g.msg, sizeof(g.msg), "%s %s, verified, anchored at %s; HTTP %s %s",
			 ats_json_str(tls, "version"), ats_json_str(tls, "cipher"),
			 ats_json_str(json_object_get(anchor, "ats"), "name"),
			 http ? ats_json_str(http, "version") : (want_h2 ? "2" : "1.1"),
			 http ? "answered" : "(no answer)");
	} else {
		add_problem(problems, &g, name, NULL);
	}
	put(p, &g);
	return g.sev;
}

ats_verdict ats_diagnose_chain(json_t *f, const char *store, const ats_diag_ctx *d,
			       json_t *problems)
{
	diag g = {ATS_VERDICT_OK, "ok", "", ""};
	const json_t *hn = json_object_get(f, "hostname");
	const char *host = ats_json_str(hn, "name")[0] ? ats_json_str(hn, "name") : "the server";

	if (certs(f, host, d, &g)) {
		char msg[sizeof(g.msg)];
		snprintf(msg, sizeof(msg), "%s: %s", store, g.msg);
		snprintf(g.msg, sizeof(g.msg), "%s", msg);
		add_problem(problems, &g, NULL, store);
	} else {
		snprintf(g.msg, sizeof(g.msg), "%s: verified, anchored at %s", store,
			 ats_json_str(json_object_get(json_object_get(f, "anchor"), "ats"), "name"));
	}
	put(f, &g);
	return g.sev;
}
