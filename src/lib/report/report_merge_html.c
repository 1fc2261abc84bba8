/* The fleet summary as one self-contained HTML file (no external file, no network): the verdict
 * split and the top causes as inline SVG bar charts a person reads at a glance, then tables with
 * example devices folded under <details>, the stale devices, and a table of every device (up to
 * the summary's bound, ATS_MERGE_ROWS, the worst first) that a small inline script filters by
 * text and verdict as one types; "?q=TEXT&verdict=CRITICAL" (or verdict=stale) in the address
 * sets the filter when the page opens. Without script, the whole table shows. */
#include "report/report_merge.h"
#include "base/strbuf.h"
#include "report/tree.h"

#include <stdio.h>
#include <string.h>

#define TOP 10 /* causes charted */
#define SHOW 50 /* devices listed per item; the JSON has them all */

static const char *const colors[] = {"#2e7d32", "#f9a825", "#c62828", "#6a1b9a"};

/* The example devices of a group (bounded in the summary) and how many there are in all. */
static void devices(ats_buf *b, const json_t *ids, long long total)
{
	size_t i, n = json_array_size(ids);
	json_t *d;
	if (!n)
		return;
	if (total < (long long)n)
		total = (long long)n;
	ats_buf_printf(b, "<details><summary>%lld device%s</summary><p class=ids>", total,
		       total == 1 ? "" : "s");
	json_array_foreach(ids, i, d) {
		if (i == SHOW)
			break;
		ats_buf_printf(b, "%s", i ? ", " : "");
		ats_buf_put_markup(b, json_string_value(d));
	}
	if (total > (long long)i)
		ats_buf_printf(b, " &hellip; and %lld more: filter the device table below, or see the "
				  "--devices file", total - (long long)i);
	ats_buf_printf(b, "</p></details>");
}

static void age(ats_buf *b, long long s)
{
	if (s >= 86400)
		ats_buf_printf(b, "%lld d %lld h", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		ats_buf_printf(b, "%lld h %lld min", s / 3600, s % 3600 / 60);
	else
		ats_buf_printf(b, "%lld min", s / 60);
}

static const char script[] =
	"<script>\n(function () {\n"
	"  var q = document.getElementById('q'), v = document.getElementById('v');\n"
	"  var rows = document.querySelectorAll('#devices tbody tr'), shown = document.getElementById('shown');\n"
	"  function apply() {\n"
	"    var t = q.value.toLowerCase(), w = v.value, n = 0;\n"
	"    for (var i = 0; i < rows.length; i++) {\n"
	"      var r = rows[i];\n"
	"      var ok = (!w || r.dataset.v === w || (w === 'stale' && r.dataset.s === '1')) &&\n"
	"               (!t || r.textContent.toLowerCase().indexOf(t) >= 0);\n"
	"      r.hidden = !ok;\n"
	"      if (ok) n++;\n"
	"    }\n"
	"    shown.textContent = n;\n"
	"  }\n"
	"  var p = new URLSearchParams(location.search);\n"
	"  if (p.get('q')) q.value = p.get('q');\n"
	"  if (p.get('verdict')) v.value = p.get('verdict');\n"
	"  q.addEventListener('input', apply);\n"
	"  v.addEventListener('change', apply);\n"
	"  apply();\n"
	"})();\n</script>\n";

/* Every device the summary carries, filterable in the page. */
static void device_table(ats_buf *b, const json_t *r, long long total)
{
	const json_t *rows = json_object_get(r, "devices"), *e, *c;
	size_t i, j, n = json_array_size(rows);
	ats_buf_printf(b, "<h2 id=all>Every device</h2>\n<p>");
	if (json_is_false(json_object_get(r, "devices_complete")))
		ats_buf_printf(b, "This page lists %zu of the %lld devices: the worst first (CRITICAL, "
				  "UNKNOWN, WARNING, then OK; stale ones ahead), at most %lld. Every device "
				  "is in the devices file: <code>atscheck report merge ... --devices "
				  "FILE</code>%s", n, total,
			       (long long)json_integer_value(json_object_get(json_object_get(r, "bounds"),
									       "device_rows")),
			       "");
	else
		ats_buf_printf(b, "All %zu devices.", n);
	if (*ats_json_str(r, "devices_file")) {
		ats_buf_printf(b, " Devices file of this run: <code>");
		ats_buf_put_markup(b, ats_json_str(r, "devices_file"));
		ats_buf_printf(b, "</code>.");
	}
	ats_buf_printf(b, "</p>\n<p class=filter><label>Find <input id=q type=search size=40 "
			  "placeholder=\"device, cause or file\"></label> <label>Show <select id=v>"
			  "<option value=\"\">every verdict</option>");
	for (int k = 0; k < 4; k++)
		ats_buf_printf(b, "<option>%s</option>", ats_verdict_name((ats_verdict)k));
	ats_buf_printf(b, "<option value=stale>stale only</option></select></label> "
			  "<span class=muted><span id=shown>%zu</span> of %zu shown</span></p>\n", n, n);
	ats_buf_printf(b, "<table id=devices><thead><tr><th>device</th><th>verdict</th><th>last "
			  "report</th><th>age</th><th>causes</th><th>report file</th></tr></thead><tbody>\n");
	json_array_foreach(rows, i, e) {
		int k = (int)ats_status_verdict(ats_json_str(e, "verdict"));
		int stale = json_is_true(json_object_get(e, "stale"));
		ats_buf_printf(b, "<tr data-v=%s data-s=%d><td>", ats_verdict_name((ats_verdict)k), stale);
		ats_buf_put_markup(b, ats_json_str(e, "device"));
		ats_buf_printf(b, "</td><td style=\"color:%s\">%s</td><td>%.10s %.5s</td><td%s>", colors[k],
			       ats_verdict_name((ats_verdict)k), ats_json_str(e, "at"),
			       strlen(ats_json_str(e, "at")) > 11 ? ats_json_str(e, "at") + 11 : "",
			       stale ? " class=stale" : "");
		age(b, (long long)json_integer_value(json_object_get(e, "age_seconds")));
		ats_buf_printf(b, "%s</td><td>", stale ? " (stale)" : "");
		json_array_foreach(json_object_get(e, "causes"), j, c) {
			ats_buf_printf(b, "%s", j ? "<br>" : "");
			ats_buf_put_markup(b, json_string_value(c));
		}
		ats_buf_printf(b, "</td><td class=ids>");
		ats_buf_put_markup(b, ats_json_str(e, "file"));
		ats_buf_printf(b, "</td></tr>\n");
	}
	ats_buf_printf(b, "</tbody></table>\n");
}

/* One stacked bar: the fleet split by verdict, each part labelled with its count. */
static void verdict_chart(ats_buf *b, const json_t *bv, long long total)
{
	const int W = 1000, H = 56;
	double x = 0;
	ats_buf_printf(b, "<svg role=img aria-label=\"devices per verdict\" viewBox=\"0 0 %d %d\" "
			  "width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">\n", W, H + 30);
	if (!total)
		ats_buf_printf(b, "<rect x=0 y=0 width=%d height=%d fill=\"#bbb\"/>\n", W, H);
	for (int k = 0; k < 4 && total; k++) {
		long long n = ats_json_int(bv, ats_verdict_name((ats_verdict)k));
		double w = (double)W * (double)n / (double)total;
		if (!n)
			continue;
		ats_buf_printf(b, "<rect x=\"%.1f\" y=0 width=\"%.1f\" height=%d fill=\"%s\"><title>%s: "
				  "%lld</title></rect>\n", x, w, H, colors[k], ats_verdict_name((ats_verdict)k), n);
		if (w > 60)
			ats_buf_printf(b, "<text x=\"%.1f\" y=35 fill=\"#fff\" font-size=20 "
					  "font-weight=bold>%lld</text>\n", x + 8, n);
		x += w;
	}
	/* legend */
	for (int k = 0; k < 4; k++)
		ats_buf_printf(b, "<rect x=%d y=%d width=14 height=14 fill=\"%s\"/><text x=%d y=%d "
				  "font-size=15>%s %lld</text>\n", k * 240, H + 12, colors[k], k * 240 + 20,
			       H + 25, ats_verdict_name((ats_verdict)k), ats_json_int(bv, ats_verdict_name((ats_verdict)k)));
	ats_buf_printf(b, "</svg>\n");
}

/* The most common causes as horizontal bars, coloured by severity. */
static void cause_chart(ats_buf *b, const json_t *causes, long long total)
{
	size_t n = json_array_size(causes), i;
	const int W = 1000, ROW = 34, LABEL = 560;
	json_t *c;
	if (n > TOP)
		n = TOP;
	if (!n)
		return;
	ats_buf_printf(b, "<svg role=img aria-label=\"devices per cause\" viewBox=\"0 0 %d %zu\" "
			  "width=\"100%%\" xmlns=\"http://www.w3.org/2000/svg\">\n", W, n * ROW);
	json_array_foreach(causes, i, c) {
		if (i == n)
			break;
		long long d = ats_json_int(c, "devices");
		double w = total ? (double)(W - LABEL - 80) * (double)d / (double)total : 0;
		char label[96];
		const char *cause = ats_json_str(c, "cause");
		size_t len = strlen(cause);
		/* Long messages are cut at the chart; the table below has them whole. */
		snprintf(label, sizeof(label), "%.*s%s", len > 70 ? 70 : (int)len, cause,
			 len > 70 ? "..." : "");
		ats_buf_printf(b, "<text x=0 y=%zu font-size=14>", i * ROW + 21);
		ats_buf_put_markup(b, label);
		ats_buf_printf(b, "</text><rect x=%d y=%zu width=\"%.1f\" height=24 fill=\"%s\"><title>",
			       LABEL, i * ROW + 4, w < 2 ? 2 : w, colors[(int)ats_status_verdict(ats_json_str(c, "severity"))]);
		ats_buf_put_markup(b, cause);
		ats_buf_printf(b, "</title></rect><text x=\"%.1f\" y=%zu font-size=14 "
				  "font-weight=bold>%lld</text>\n", LABEL + (w < 2 ? 2 : w) + 8, i * ROW + 21, d);
	}
	ats_buf_printf(b, "</svg>\n");
}

char *ats_merge_html(const json_t *r)
{
	ats_buf b = {0};
	const json_t *files = json_object_get(r, "files"), *a, *e, *base = json_object_get(r, "baseline");
	long long total = ats_json_int(files, "devices");
	int v = (int)ats_status_verdict(ats_json_str(r, "verdict"));
	size_t i;

	ats_buf_printf(&b, "<!DOCTYPE html>\n<html lang=en><head><meta charset=\"utf-8\">\n"
			   "<title>atscheck fleet summary: %s</title>\n<style>\n"
			   "body{font:15px/1.45 'DejaVu Sans',sans-serif;margin:24px 32px;color:#222}\n"
			   "h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:24px 0 8px}\n"
			   ".badge{display:inline-block;color:#fff;padding:2px 12px;border-radius:4px;"
			   "font-weight:bold;background:%s}\n"
			   "table{border-collapse:collapse} td,th{border-bottom:1px solid #ddd;padding:4px 10px;"
			   "text-align:left;vertical-align:top} td.n{text-align:right}\n"
			   ".ids{font-size:13px;color:#444} .muted{color:#666} .stale{color:#c62828;font-weight:bold}\n"
			   ".filter input,.filter select{font:inherit;padding:2px 6px}\n</style></head><body>\n",
		       ats_verdict_name((ats_verdict)v), colors[v]);
	ats_buf_printf(&b, "<h1>atscheck fleet summary <span class=badge>%s</span></h1>\n"
			   "<p class=muted>%lld devices at ", ats_verdict_name((ats_verdict)v), total);
	ats_buf_put_markup(&b, ats_json_str(r, "at"));
	ats_buf_printf(&b, " &middot; %lld report files read, %lld superseded by a newer report of "
			   "the same device, %lld unreadable, %lld "
			   "partial &middot; expiry horizon %lld days</p>\n",
		       ats_json_int(files, "read"), ats_json_int(files, "superseded"), ats_json_int(files, "unreadable"),
		       ats_json_int(files, "partial"), ats_json_int(r, "horizon_days"));
	const json_t *rt = json_object_get(r, "report_time");
	long long fut = ats_json_int(json_object_get(rt, "future"), "reports");
	long long none = ats_json_int(json_object_get(rt, "missing"), "reports");
	if (fut || none)
		ats_buf_printf(&b, "<p>%lld report%s dated after this summary's time and %lld with no time "
				   "at all: for those, the time their file was written stands in.</p>\n",
			       fut, fut == 1 ? " is" : "s are", none);
	ats_buf_printf(&b, "<p><a href=\"#all\">Find a device</a> &middot; <a href=\"#stale\">Stale "
			   "devices</a></p>\n<h2>Devices per verdict</h2>\n");
	verdict_chart(&b, json_object_get(r, "by_verdict"), total);

	a = json_object_get(r, "causes");
	ats_buf_printf(&b, "<h2>Problems (devices per cause)</h2>\n");
	if (!json_array_size(a))
		ats_buf_printf(&b, "<p>No device reported a problem.</p>\n");
	cause_chart(&b, a, total);
	if (json_array_size(a)) {
		ats_buf_printf(&b, "<table><tr><th>severity</th><th>devices</th><th>cause and fix</th></tr>\n");
		json_array_foreach(a, i, e) {
			int k = (int)ats_status_verdict(ats_json_str(e, "severity"));
			ats_buf_printf(&b, "<tr><td style=\"color:%s\">%s</td><td class=n>%lld</td><td>",
				       colors[k], ats_verdict_name((ats_verdict)k), ats_json_int(e, "devices"));
			ats_buf_put_markup(&b, ats_json_str(e, "cause"));
			if (*ats_json_str(e, "fix")) {
				ats_buf_printf(&b, "<br><span class=muted>fix: <code>");
				ats_buf_put_markup(&b, ats_json_str(e, "fix"));
				ats_buf_printf(&b, "</code></span>");
			}
			devices(&b, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
			ats_buf_printf(&b, "</td></tr>\n");
		}
		ats_buf_printf(&b, "</table>\n");
	}

	if (json_array_size(a = json_object_get(r, "missing_cas"))) {
		ats_buf_printf(&b, "<h2>Missing or deselected CAs</h2>\n<table><tr><th>CA</th>"
				   "<th>devices</th><th></th></tr>\n");
		json_array_foreach(a, i, e) {
			ats_buf_printf(&b, "<tr><td>");
			ats_buf_put_markup(&b, ats_json_str(e, "ca"));
			ats_buf_printf(&b, "</td><td class=n>%lld</td><td>", ats_json_int(e, "devices"));
			devices(&b, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
			ats_buf_printf(&b, "</td></tr>\n");
		}
		ats_buf_printf(&b, "</table>\n");
	}

	ats_buf_printf(&b, "<h2>Expiring within %lld days</h2>\n", ats_json_int(r, "horizon_days"));
	if (!json_array_size(a = json_object_get(r, "expiring")))
		ats_buf_printf(&b, "<p>Nothing a device relies on expires within the horizon.</p>\n");
	else
		ats_buf_printf(&b, "<table><tr><th>certificate</th><th>first expiry</th><th>devices</th>"
				   "<th></th></tr>\n");
	json_array_foreach(a, i, e) {
		ats_buf_printf(&b, "<tr><td>");
		ats_buf_put_markup(&b, ats_json_str(e, "name"));
		ats_buf_printf(&b, "</td><td>%.10s</td><td class=n>%lld</td><td>",
			       ats_json_str(e, "first_not_after"), ats_json_int(e, "devices"));
		devices(&b, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
		ats_buf_printf(&b, "</td></tr>\n");
	}
	if (json_array_size(a))
		ats_buf_printf(&b, "</table>\n");

	const json_t *st = json_object_get(r, "stale");
	ats_buf_printf(&b, "<h2 id=stale>Stale devices: no report for more than %lld days</h2>\n",
		       ats_json_int(r, "stale_days"));
	if (!ats_json_int(st, "devices")) {
		ats_buf_printf(&b, "<p>None: every device reported since %.10s.</p>\n",
			       ats_json_str(st, "before"));
	} else {
		ats_buf_printf(&b, "<p><b>%lld device%s</b> sent no report since %.10s; the longest silent "
				   "first:</p>\n", ats_json_int(st, "devices"), ats_json_int(st, "devices") == 1 ? "" : "s",
			       ats_json_str(st, "before"));
		devices(&b, json_object_get(st, "device_ids"), ats_json_int(st, "devices"));
		ats_buf_printf(&b, "<p class=muted>All of them: choose <i>stale only</i> in the device "
				   "table.</p>\n");
	}

	ats_buf_printf(&b, "<h2>Versions</h2>\n<table>\n");
	static const char *const comps[][2] = {
		{"openssl", "OpenSSL"}, {"libcurl", "libcurl"}, {"atscheck", "atscheck"}};
	for (int c = 0; c < 3; c++) {
		ats_buf_printf(&b, "<tr><th>%s</th><td>", comps[c][1]);
		json_array_foreach(json_object_get(json_object_get(r, "versions"), comps[c][0]), i, e) {
			ats_buf_printf(&b, "%s", i ? "<br>" : "");
			if (strcmp(ats_json_str(e, "version"), "(not in the report)") == 0) {
				/* an audit does not load libcurl, so its report cannot say which it is */
				ats_buf_printf(&b, "<span class=muted>not recorded in the reports of %lld "
						   "device%s</span>", ats_json_int(e, "devices"),
					       ats_json_int(e, "devices") == 1 ? "" : "s");
				continue;
			}
			ats_buf_put_markup(&b, ats_json_str(e, "version"));
			ats_buf_printf(&b, ": %lld device%s", ats_json_int(e, "devices"), ats_json_int(e, "devices") == 1 ? "" : "s");
		}
		ats_buf_printf(&b, "</td></tr>\n");
	}
	ats_buf_printf(&b, "</table>\n");

	if (base) {
		ats_buf_printf(&b, "<h2>Since the baseline</h2>\n<p>");
		ats_buf_put_markup(&b, ats_json_str(base, "file"));
		ats_buf_printf(&b, ": <b>%lld worse</b>, %lld better, %lld unchanged, %lld new, %lld gone</p>\n",
			       ats_json_int(base, "worse_devices"), ats_json_int(base, "better"), ats_json_int(base, "unchanged"),
			       ats_json_int(base, "new"), ats_json_int(base, "gone_devices"));
		if (ats_json_int(base, "gone_devices")) {
			ats_buf_printf(&b, "<p>Present in the baseline, absent now:</p>");
			devices(&b, json_object_get(base, "gone"), ats_json_int(base, "gone_devices"));
		}
		if (json_array_size(json_object_get(base, "worse")))
			ats_buf_printf(&b, "<table><tr><th>device</th><th>before</th><th>after</th>"
					   "<th>new causes</th></tr>\n");
		json_array_foreach(json_object_get(base, "worse"), i, e) {
			size_t j;
			json_t *c;
			if (i == SHOW)
				break;
			ats_buf_printf(&b, "<tr><td>");
			ats_buf_put_markup(&b, ats_json_str(e, "device"));
			ats_buf_printf(&b, "</td><td>%s</td><td>%s</td><td>", ats_json_str(e, "before"),
				       ats_json_str(e, "after"));
			json_array_foreach(json_object_get(e, "new_causes"), j, c) {
				ats_buf_printf(&b, "%s", j ? "<br>" : "");
				ats_buf_put_markup(&b, json_string_value(c));
			}
			ats_buf_printf(&b, "</td></tr>\n");
		}
		if (json_array_size(json_object_get(base, "worse")))
			ats_buf_printf(&b, "</table>\n");
	}

	if (json_array_size(a = json_object_get(r, "bad_files"))) {
		ats_buf_printf(&b, "<h2>Report files not used (%lld)</h2>\n<ul>\n",
			       ats_json_int(files, "unreadable") + ats_json_int(files, "partial"));
		json_array_foreach(a, i, e) {
			if (i == SHOW)
				break;
			ats_buf_printf(&b, "<li><code>");
			ats_buf_put_markup(&b, ats_json_str(e, "file"));
			ats_buf_printf(&b, "</code> (%s): ", ats_json_str(e, "kind"));
			ats_buf_put_markup(&b, ats_json_str(e, "error"));
			ats_buf_printf(&b, "</li>\n");
		}
		ats_buf_printf(&b, "</ul>\n");
	}
	device_table(&b, r, total);
	ats_buf_printf(&b, "%s</body></html>\n", script);
	return ats_buf_take(&b);
}
