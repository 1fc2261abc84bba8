/* Text for people: probe, chain, check and selftest reports. Every probe side by side with its
 * ALPN outcome, the chain the server sent, the anchor, and the cause and fix of a failure. */
#include "report/report_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>


typedef struct ink {
	const char *ok, *warn, *bad, *bold, *dim, *off;
} ink;

static ink ink_for(const ats_render_opts *o)
{
	if (o && o->color)
		return (ink){"\033[32m", "\033[33m", "\033[31m", "\033[1m", "\033[2m", "\033[0m"};
	return (ink){"", "", "", "", "", ""};
}

static const char *vcolor(const ink *k, const char *v)
{
	return strcmp(v, "OK") == 0 ? k->ok : strcmp(v, "WARNING") == 0 ? k->warn : k->bad;
}

static void ms(ats_buf *b, const char *label, const json_t *t, const char *key)
{
	const json_t *v = json_object_get(t, key);
	if (json_is_number(v))
		ats_buf_printf(b, "%s %.1f ms", label, json_number_value(v));
	else
		ats_buf_printf(b, "%s -", label);
}

static void cert_line(ats_buf *b, const ink *k, size_t i, const json_t *c, const char *indent)
{
	const json_t *ats = json_object_get(c, "ats");
	ats_buf_printf(b, "%s%zu %s", indent, i, ats_json_str(c, "subject"));
	if (ats)
		ats_buf_printf(b, "  %s[%s%s]%s", k->ok, ats_json_str(ats, "name"),
			       strcmp(ats_json_str(ats, "match"), "exact") == 0 ? ""
			       : strcmp(ats_json_str(ats, "match"), "lab") == 0 ? ", lab root"
								       : ", same key",
			       k->off);
	ats_buf_printf(b, "\n%s  %sissuer %s; %s ", indent, k->dim, ats_json_str(c, "issuer"), ats_json_str(c, "key_type"));
	if (*ats_json_str(c, "key_curve"))
		ats_buf_printf(b, "%s", ats_json_str(c, "key_curve"));
	else
		ats_buf_printf(b, "%lld", json_integer_value(json_object_get(c, "key_bits")));
	ats_buf_printf(b, "; %.10s to %.10s; sha256 %.16s...%s\n", ats_json_str(c, "not_before"),
		       ats_json_str(c, "not_after"), ats_json_str(c, "sha256"), k->off);
}

/* The certificates of one verification: what was sent, and where it was (or would be) anchored. */
static void certs_text(ats_buf *b, const ink *k, const json_t *f, const char *indent, bool sent)
{
	size_t i;
	json_t *c;
	const json_t *anchor = json_object_get(f, "anchor"), *would = json_object_get(f, "would_anchor");
	if (!json_is_object(f))
		return;
	if (sent) {
		char sub[64];
		snprintf(sub, sizeof(sub), "%s  ", indent);
		ats_buf_printf(b, "%schain sent (%zu):\n", indent,
			       json_array_size(json_object_get(f, "sent")));
		json_array_foreach(json_object_get(f, "sent"), i, c)
			cert_line(b, k, i, c, sub);
	}
	if (json_is_object(anchor)) {
		const json_t *ats = json_object_get(anchor, "ats");
		ats_buf_printf(b, "%sanchor: %s%s%s (%s)\n", indent, ats ? k->ok : k->warn,
			       ats ? ats_json_str(ats, "name") : "not an ATS CA", k->off, ats_json_str(anchor, "subject"));
	} else if (json_is_object(would)) {
		ats_buf_printf(b, "%swould be anchored by: %s (not in the store)\n", indent,
			       ats_json_str(json_object_get(would, "ats"), "name"));
	}
}

static void probe_text(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	ink k = ink_for(o);
	const json_t *lc = json_object_get(r, "libcurl"), *st = json_object_get(r, "store");
	size_t i;
	json_t *p;

	ats_buf_printf(b, "%satscheck probe%s %s at %s\n", k.bold, k.off, ats_json_str(r, "endpoint"), ats_json_str(r, "at"));
	ats_buf_printf(b, "libcurl %s (%s), HTTP/2 %s%s%s\n", ats_json_str(lc, "version"), ats_json_str(lc, "ssl"),
		       json_is_true(json_object_get(lc, "http2")) ? "yes" : "NO",
		       *ats_json_str(lc, "nghttp2") ? ", nghttp2 " : "", ats_json_str(lc, "nghttp2"));
	ats_buf_printf(b, "trust store: %s%s%s%s\n", *ats_json_str(st, "cainfo") ? ats_json_str(st, "cainfo") : "",
		       *ats_json_str(st, "cainfo") && *ats_json_str(st, "capath") ? " and " : "", ats_json_str(st, "capath"),
		       json_is_true(json_object_get(st, "libcurl_default")) ? " (libcurl's default)" : "");
	if (*ats_json_str(r, "proxy"))
		ats_buf_printf(b, "proxy: %s\n", ats_json_str(r, "proxy"));
	json_array_foreach(json_object_get(r, "probes"), i, p) {
		const json_t *tls = json_object_get(p, "tls"), *http = json_object_get(p, "http");
		const json_t *t = json_object_get(p, "times_ms");
		const char *v = ats_json_str(p, "verdict");
		ats_buf_printf(b, "\n%s%-9s%s %s%-8s%s %s", k.bold, ats_json_str(p, "name"), k.off, vcolor(&k, v), v,
			       k.off, *ats_json_str(p, "address") ? ats_json_str(p, "address") : "(no address)");
		if (json_is_integer(json_object_get(p, "port")))
			ats_buf_printf(b, " port %lld", json_integer_value(json_object_get(p, "port")));
		if (json_is_object(tls))
			ats_buf_printf(b, "  %s %s  ALPN %s", ats_json_str(tls, "version"), ats_json_str(tls, "cipher"),
				       *ats_json_str(tls, "alpn") ? ats_json_str(tls, "alpn") : "none");
		if (json_is_object(http))
			ats_buf_printf(b, "  HTTP/%s %lld", ats_json_str(http, "version"),
				       json_integer_value(json_object_get(http, "status")));
		ats_buf_printf(b, "\n          ");
		ms(b, "dns", t, "dns");
		ms(b, ", tcp", t, "tcp");
		ms(b, ", tls", t, "tls");
		ms(b, ", first byte", t, "first_byte");
		ms(b, ", total", t, "total");
		ats_buf_printf(b, "\n");
		certs_text(b, &k, json_object_get(p, "certificates"), "          ", true);
		if (json_is_object(http) && *ats_json_str(http, "body")) {
			char first[81];
			snprintf(first, sizeof(first), "%s", ats_json_str(http, "body"));
			for (char *c = first; *c; c++)
				if (*c == '\n' || *c == '\t')
					*c = ' ';
			ats_buf_printf(b, "          body: %s\n", first);
		}
		ats_buf_printf(b, "          %s=> %s%s: %s\n", vcolor(&k, v), ats_json_str(p, "cause"), k.off,
			       ats_json_str(p, "message"));
	}
	if (*ats_json_str(r, "saved_chain"))
		ats_buf_printf(b, "\nchain saved to %s\n", ats_json_str(r, "saved_chain"));
	ats_text_footer(b, r, o);
}

static void chain_text(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	ink k = ink_for(o);
	size_t i;
	json_t *s;
	ats_buf_printf(b, "%satscheck chain%s %s%s%s at %s%s\n", k.bold, k.off, ats_json_str(r, "file"),
		       *ats_json_str(r, "host") ? " for " : "", ats_json_str(r, "host"), ats_json_str(r, "at"),
		       json_is_false(json_object_get(r, "name_checked"))
			       ? " (no host given: the leaf's name not checked)" : "");
	json_array_foreach(json_object_get(r, "stores"), i, s) {
		const json_t *f = json_object_get(s, "result");
		const char *v = ats_json_str(f, "verdict");
		ats_buf_printf(b, "\n%s%s%s\n", k.bold, ats_json_str(s, "path"), k.off);
		if (*ats_json_str(s, "error")) {
			ats_buf_printf(b, "  %scannot read: %s%s\n", k.bad, ats_json_str(s, "error"), k.off);
			continue;
		}
		certs_text(b, &k, f, "  ", i == 0); /* the sent chain is shown once */
		ats_buf_printf(b, "  %s=> %s%s: %s\n", vcolor(&k, v), ats_json_str(f, "cause"), k.off,
			       ats_json_str(f, "message"));
	}
	ats_text_footer(b, r, o);
}

/* One endpoint's probes in a check: its verdict, then a line per probe. */
static void endpoint_text(ats_buf *b, const ink *k, const char *title, const json_t *probe)
{
	size_t i;
	json_t *p;
	ats_buf_printf(b, "%s%s%s%s %s (probe: %s%s%s)\n", title[0] == ' ' ? "" : "\n", k->bold, title,
		       k->off, ats_json_str(probe, "endpoint"), vcolor(k, ats_json_str(probe, "verdict")),
		       ats_json_str(probe, "verdict"), k->off);
	json_array_foreach(json_object_get(probe, "probes"), i, p) {
		const json_t *tls = json_object_get(p, "tls");
		ats_buf_printf(b, "  %s%-8s%s %-9s", vcolor(k, ats_json_str(p, "verdict")), ats_json_str(p, "verdict"),
			       k->off, ats_json_str(p, "name"));
		if (json_is_object(tls))
			ats_buf_printf(b, " %s ALPN %s;", ats_json_str(tls, "version"),
				       *ats_json_str(tls, "alpn") ? ats_json_str(tls, "alpn") : "none");
		ats_buf_printf(b, " %s: %s\n", ats_json_str(p, "cause"), ats_json_str(p, "message"));
	}
}

static void check_text(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	ink k = ink_for(o);
	const json_t *audit = json_object_get(r, "audit"), *probe = json_object_get(r, "probe");
	size_t i;
	json_t *s;

	ats_buf_printf(b, "%satscheck check%s at %s\n", k.bold, k.off, ats_json_str(r, "at"));
	ats_buf_printf(b, "\n%sTrust stores%s (audit: %s%s%s)\n", k.bold, k.off,
		       vcolor(&k, ats_json_str(audit, "verdict")), ats_json_str(audit, "verdict"), k.off);
	json_array_foreach(json_object_get(audit, "stores"), i, s) {
		size_t n = json_array_size(json_object_get(s, "anchors"));
		ats_buf_printf(b, "  %s%-8s%s %s: %zu of 6 ATS CAs usable\n", vcolor(&k, ats_json_str(s, "verdict")),
			       ats_json_str(s, "verdict"), k.off, ats_json_str(s, "path"), n);
	}
	ats_text_sdk(b, audit, o);
	if (json_is_object(probe))
		endpoint_text(b, &k, "Endpoint", probe);
	else
		ats_buf_printf(b, "\n%sEndpoint%s not probed (%s)\n", k.bold, k.off, ats_json_str(r, "probe_skipped"));
	const json_t *gw = json_object_get(r, "gateway");
	if (json_is_object(gw)) {
		const char *src = ats_json_str(gw, "source");
		ats_buf_printf(b, "\n%sGateway%s %s, from %s", k.bold, k.off, ats_json_str(gw, "url"),
			       strcmp(src, "sdk-config") == 0 ? "the SDK config"
			       : strcmp(src, "region") == 0  ? "the region"
							     : "the SDK's default");
		if (*ats_json_str(gw, "file"))
			ats_buf_printf(b, " (%s in %s)", ats_json_str(gw, "key"), ats_json_str(gw, "file"));
		ats_buf_printf(b, "\n");
		if (json_is_object(json_object_get(gw, "probe")))
			endpoint_text(b, &k, "  probe", json_object_get(gw, "probe"));
		else
			ats_buf_printf(b, "  not probed (%s)\n", ats_json_str(gw, "probe_skipped"));
	}
	const json_t *roots = json_object_get(r, "ats_roots");
	if (json_is_object(roots)) {
		ats_buf_printf(b, "\n%sATS roots%s, Amazon Trust Services' test hosts (%s%s%s)", k.bold,
			       k.off, vcolor(&k, ats_json_str(roots, "verdict")), ats_json_str(roots, "verdict"),
			       k.off);
		ats_text_ats_roots_matrix(b, roots, o);
	}
	const json_t *sum = json_object_get(r, "summary");
	ats_buf_printf(b, "\n%s=> %s%s%s: %s\n", k.bold, vcolor(&k, ats_json_str(r, "verdict")), ats_json_str(sum, "cause"),
		       k.off, ats_json_str(sum, "message"));
	if (*ats_json_str(sum, "fix"))
		ats_buf_printf(b, "   fix: %s\n", ats_json_str(sum, "fix"));
	ats_text_footer(b, r, o);
}

/* One line per probe: verdict, TLS, ALPN, HTTP, handshake time, cause. */
static void probe_lines(ats_buf *b, const ink *k, const json_t *probe, const char *indent)
{
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(probe, "probes"), i, p) {
		const json_t *tls = json_object_get(p, "tls"), *http = json_object_get(p, "http");
		const json_t *t = json_object_get(json_object_get(p, "times_ms"), "tls");
		ats_buf_printf(b, "%s%-9s %s%-8s%s", indent, ats_json_str(p, "name"), vcolor(k, ats_json_str(p, "verdict")),
			       ats_json_str(p, "verdict"), k->off);
		if (json_is_object(tls))
			ats_buf_printf(b, " %s ALPN %s", ats_json_str(tls, "version"),
				       *ats_json_str(tls, "alpn") ? ats_json_str(tls, "alpn") : "none");
		if (json_is_object(http))
			ats_buf_printf(b, " HTTP/%s %lld", ats_json_str(http, "version"),
				       json_integer_value(json_object_get(http, "status")));
		if (json_is_number(t))
			ats_buf_printf(b, " (handshake %.1f ms)", json_number_value(t));
		ats_buf_printf(b, "\n%s          %s: %s\n", indent, ats_json_str(p, "cause"), ats_json_str(p, "message"));
	}
}

static void selftest_text(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	ink k = ink_for(o);
	size_t i;
	json_t *x;
	ats_buf_printf(b, "%satscheck selftest%s at %s: a throw-away ATS-like PKI served on loopback\n",
		       k.bold, k.off, ats_json_str(r, "at"));
	ats_buf_printf(b, "lab roots:");
	json_array_foreach(json_object_get(r, "lab_roots"), i, x)
		ats_buf_printf(b, "%s %s (%s)", i ? "," : "", ats_json_str(x, "name"), ats_json_str(x, "key"));
	ats_buf_printf(b, "\n");
	json_array_foreach(json_object_get(r, "runs"), i, x) {
		bool okay = json_is_true(json_object_get(x, "as_expected"));
		ats_buf_printf(b, "\n%zu. %s: expect %s, %s%s%s\n", i + 1, ats_json_str(x, "name"), ats_json_str(x, "expect"),
			       okay ? k.ok : k.bad, okay ? "as expected" : "NOT as expected", k.off);
		probe_lines(b, &k, json_object_get(x, "probe"), "   ");
	}
	ats_text_footer(b, r, o);
}

bool ats_text_probe_family(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	const char *cmd = ats_json_str(r, "command");
	if (strcmp(cmd, "probe") == 0)
		probe_text(b, r, o);
	else if (strcmp(cmd, "chain") == 0)
		chain_text(b, r, o);
	else if (strcmp(cmd, "check") == 0)
		check_text(b, r, o);
	else if (strcmp(cmd, "selftest") == 0)
		selftest_text(b, r, o);
	else
		return false;
	return true;
}
