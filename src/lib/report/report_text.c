/* Text for people: a table per store, then each problem with its fix, then one verdict line.
 * Colour only when the caller says so (a terminal, and no NO_COLOR). */
#include "report/report.h"
#include "report/report_merge.h"
#include "report/report_text.h"
#include "base/strbuf.h"

#include <string.h>

typedef struct paint {
	const char *red, *yellow, *green, *bold, *dim, *off;
} paint;

static paint paint_for(const ats_render_opts *o)
{
	paint p = {"", "", "", "", "", ""};
	if (o && o->color) {
		p.red = "\033[31m";
		p.yellow = "\033[33m";
		p.green = "\033[32m";
		p.bold = "\033[1m";
		p.dim = "\033[2m";
		p.off = "\033[0m";
	}
	return p;
}

static const char *verdict_color(const paint *p, const char *v)
{
	if (strcmp(v, "OK") == 0)
		return p->green;
	if (strcmp(v, "WARNING") == 0)
		return p->yellow;
	return p->red;
}

static const char *status_color(const paint *p, const char *s)
{
	if (strcmp(s, "present") == 0)
		return p->green;
	if (strcmp(s, "variant") == 0 || strcmp(s, "deselected") == 0)
		return p->yellow;
	return p->red;
}

/* The problems list and the verdict line every text report ends with. */
void ats_text_footer(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	paint p = paint_for(o);
	const json_t *problems = json_object_get(r, "problems");
	size_t i;
	json_t *pr;

	if (json_array_size(problems)) {
		ats_buf_printf(b, "\n%sProblems%s\n", p.bold, p.off);
		json_array_foreach(problems, i, pr) {
			const char *sev = ats_json_str(pr, "severity");
			ats_buf_printf(b, "  %s%-8s%s %s\n", verdict_color(&p, sev), sev, p.off,
				       ats_json_str(pr, "message"));
			if (*ats_json_str(pr, "fix"))
				ats_buf_printf(b, "           %sfix:%s %s\n", p.dim, p.off, ats_json_str(pr, "fix"));
		}
	}
	const char *v = ats_json_str(r, "verdict");
	ats_buf_printf(b, "\n%sVerdict: %s%s%s (exit %lld)\n", p.bold, verdict_color(&p, v), v, p.off,
		       json_integer_value(json_object_get(r, "exit_code")));
}

void ats_text_sdk(ats_buf *b, const json_t *audit, const ats_render_opts *o)
{
	paint p = paint_for(o);
	const json_t *sdk = json_object_get(audit, "sdk"), *t = json_object_get(sdk, "trust");
	const json_t *gw = json_object_get(sdk, "gateway");
	size_t i, n = 0;
	json_t *e;
	const char *k;
	if (!json_is_object(sdk))
		return;
	const char *v = ats_json_str(sdk, "verdict");
	ats_buf_printf(b, "\n%sAVS Device SDK%s (", p.bold, p.off);
	json_array_foreach(json_object_get(sdk, "configs"), i, e)
		ats_buf_printf(b, "%s%s", i ? " + " : "", json_string_value(e));
	ats_buf_printf(b, "%s)\n", json_is_true(json_object_get(sdk, "auto_sdk")) ? "; Auto SDK form" : "");
	ats_buf_printf(b, "  trusts     %s + %s (%s%s)\n",
		       *ats_json_str(t, "cainfo") ? ats_json_str(t, "cainfo") : "no CA file",
		       *ats_json_str(t, "capath") ? ats_json_str(t, "capath") : "no CA folder",
		       strcmp(ats_json_str(t, "capath_from"), "libcurl-default") == 0
			       ? "libcurl's defaults"
			       : "libcurlUtils.CURLOPT_CAPATH, ",
		       strcmp(ats_json_str(t, "capath_from"), "libcurl-default") == 0 ? ""
										  : ats_json_str(t, "capath_state"));
	ats_buf_printf(b, "  folder adds");
	json_array_foreach(json_object_get(t, "capath_adds"), i, e)
		ats_buf_printf(b, "%s %s", i ? "," : "", json_string_value(e));
	ats_buf_printf(b, "%s\n  families  ", json_array_size(json_object_get(t, "capath_adds")) ? "" : " nothing");
	json_object_foreach((json_t *)json_object_get(t, "families"), k, e)
		ats_buf_printf(b, "%s %.16s: %s", n++ ? "," : "", k, json_is_string(e) ? json_string_value(e) : "no");
	ats_buf_printf(b, "\n  gateway    %s (%s)\n", ats_json_str(gw, "url"), ats_json_str(gw, "key"));
	if (json_is_false(json_object_get(sdk, "verify_hosts_and_peers")))
		ats_buf_printf(b, "  %sverifyHostsAndPeers false: certificates not checked%s\n", p.red, p.off);
	ats_buf_printf(b, "  => %s%s%s: %s\n", verdict_color(&p, v), v, p.off,
		       json_is_true(json_object_get(t, "anchors_avs")) ? "can anchor the chains AVS serves"
								       : "cannot anchor the chains AVS serves");
}

static void audit_text(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	paint p = paint_for(o);
	const json_t *stores = json_object_get(r, "stores");
	size_t i, j, k;
	json_t *s, *ca, *l;

	ats_buf_printf(b, "%satscheck audit%s at %s%s%s\n", p.bold, p.off, ats_json_str(r, "at"),
		       json_object_get(r, "root") ? " of image " : "", ats_json_str(r, "root"));
	json_array_foreach(stores, i, s) {
		ats_buf_printf(b, "\n%s%s%s  (%s; used by", p.bold, ats_json_str(s, "path"), p.off, ats_json_str(s, "kind"));
		json_array_foreach(json_object_get(s, "labels"), k, l)
			ats_buf_printf(b, " %s", json_string_value(l));
		if (strcmp(ats_json_str(s, "kind"), "debian-selection") != 0)
			ats_buf_printf(b, "; %lld certificates",
				       json_integer_value(json_object_get(s, "certificates")));
		ats_buf_printf(b, ")\n");
		if (json_is_string(json_object_get(s, "error"))) {
			ats_buf_printf(b, "  %scannot read: %s%s\n", p.red, ats_json_str(s, "error"), p.off);
			continue;
		}
		json_array_foreach(json_object_get(s, "cas"), j, ca) {
			const char *st = ats_json_str(ca, "status");
			const char *until = ats_json_str(ca, "not_after");
			ats_buf_printf(b, "  %-52s %s%-14s%s", ats_json_str(ca, "name"), status_color(&p, st), st, p.off);
			if (*until)
				ats_buf_printf(b, " %suntil %.10s%s", p.dim, until, p.off);
			if (strcmp(st, "variant") == 0)
				ats_buf_printf(b, " %s", json_is_true(json_object_get(ca, "anchor"))
								 ? "(can anchor)"
								 : "(cannot anchor)");
			ats_buf_printf(b, "\n");
		}
		const char *v = ats_json_str(s, "verdict");
		ats_buf_printf(b, "  => %s%s%s: %s\n", verdict_color(&p, v), v, p.off,
			       json_is_true(json_object_get(s, "compliant")) ? "compliant, all six usable"
			       : json_is_true(json_object_get(s, "connectable"))
				       ? "connectable, but not all six usable"
				       : "cannot anchor the chains AVS serves");
	}
	ats_text_sdk(b, r, o);
	ats_text_footer(b, r, o);
}

static void bundle_text(ats_buf *b, const json_t *r)
{
	size_t i;
	json_t *ca;
	json_array_foreach(json_object_get(r, "cas"), i, ca) {
		ats_buf_printf(b, "%s\n  role: %s\n  sha256: %s\n  spki sha256: %s\n  not after: %s\n  "
				  "file: %s\n",
			       ats_json_str(ca, "name"), ats_json_str(ca, "role"), ats_json_str(ca, "sha256"), ats_json_str(ca, "spki_sha256"),
			       ats_json_str(ca, "not_after"), ats_json_str(ca, "file"));
		if (*ats_json_str(ca, "written"))
			ats_buf_printf(b, "  written: %s\n", ats_json_str(ca, "written"));
	}
}


char *ats_report_text(const json_t *r, const ats_render_opts *o)
{
	ats_buf b = {0};
	const char *cmd = ats_json_str(r, "command");
	if (strcmp(cmd, "merge") == 0)
		return ats_merge_text(r, o);
	if (strcmp(cmd, "audit") == 0)
		audit_text(&b, r, o);
	else if (strcmp(cmd, "bundle") == 0)
		bundle_text(&b, r);
	else if (ats_text_probe_family(&b, r, o) || ats_text_ats_roots(&b, r, o))
		;
	else if (ats_report_text_dha(&b, r, o))
		;
	else if (strcmp(cmd, "install") == 0)
		ats_report_text_install(&b, r, o);
	else
		ats_text_footer(&b, r, o);
	return ats_buf_take(&b);
}
