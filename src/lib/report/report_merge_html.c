/* The fleet summary as one self-contained HTML file (no script, no external file): the verdict
 * split and the top causes as inline SVG bar charts a person reads at a glance, then tables, the
 * device lists folded under <details>. */
#include "report/report_merge.h"
#include "base/strbuf.h"

#include <stdio.h>
#include <string.h>

#define TOP 10 /* causes charted */
#define SHOW 50 /* devices listed per item; the JSON has them all */

static const char *const verdicts[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
static const char *const colors[] = {"#2e7d32", "#f9a825", "#c62828", "#6a1b9a"};

static void esc(ats_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': ats_buf_put(b, "&amp;", 5); break;
		case '<': ats_buf_put(b, "&lt;", 4); break;
		case '>': ats_buf_put(b, "&gt;", 4); break;
		case '"': ats_buf_put(b, "&quot;", 6); break;
		default: ats_buf_put(b, s, 1);
		}
	}
}

static long long num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static int vidx(const char *v)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(v, verdicts[i]) == 0)
			return i;
	return 3;
}

static void devices(ats_buf *b, const json_t *ids)
{
	size_t i, n = json_array_size(ids);
	json_t *d;
	if (!n)
		return;
	ats_buf_printf(b, "<details><summary>%zu device%s</summary><p class=ids>", n, n == 1 ? "" : "s");
	json_array_foreach(ids, i, d) {
		if (i == SHOW) {
			ats_buf_printf(b, " &hellip; and %zu more (see the JSON summary)", n - SHOW);
			break;
		}
		ats_buf_printf(b, "%s", i ? ", " : "");
		esc(b, json_string_value(d));
	}
	ats_buf_printf(b, "</p></details>");
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
		long long n = num(bv, verdicts[k]);
		double w = (double)W * (double)n / (double)total;
		if (!n)
			continue;
		ats_buf_printf(b, "<rect x=\"%.1f\" y=0 width=\"%.1f\" height=%d fill=\"%s\"><title>%s: "
				  "%lld</title></rect>\n", x, w, H, colors[k], verdicts[k], n);
		if (w > 60)
			ats_buf_printf(b, "<text x=\"%.1f\" y=35 fill=\"#fff\" font-size=20 "
					  "font-weight=bold>%lld</text>\n", x + 8, n);
		x += w;
	}
	/* legend */
	for (int k = 0; k < 4; k++)
		ats_buf_printf(b, "<rect x=%d y=%d width=14 height=14 fill=\"%s\"/><text x=%d y=%d "
				  "font-size=15>%s %lld</text>\n", k * 240, H + 12, colors[k], k * 240 + 20,
			       H + 25, verdicts[k], num(bv, verdicts[k]));
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
		long long d = num(c, "devices");
		double w = total ? (double)(W - LABEL - 80) * (double)d / (double)total : 0;
		char label[96];
		const char *cause = ats_json_str(c, "cause");
		size_t len = strlen(cause);
		/* Long messages are cut at the chart; the table below has them whole. */
		snprintf(label, sizeof(label), "%.*s%s", len > 70 ? 70 : (int)len, cause,
			 len > 70 ? "..." : "");
		ats_buf_printf(b, "<text x=0 y=%zu font-size=14>", i * ROW + 21);
		esc(b, label);
		ats_buf_printf(b, "</text><rect x=%d y=%zu width=\"%.1f\" height=24 fill=\"%s\"><title>",
			       LABEL, i * ROW + 4, w < 2 ? 2 : w, colors[vidx(ats_json_str(c, "severity"))]);
		esc(b, cause);
		ats_buf_printf(b, "</title></rect><text x=\"%.1f\" y=%zu font-size=14 "
				  "font-weight=bold>%lld</text>\n", LABEL + (w < 2 ? 2 : w) + 8, i * ROW + 21, d);
	}
	ats_buf_printf(b, "</svg>\n");
}

char *ats_merge_html(const json_t *r)
{
	ats_buf b = {0};
	const json_t *files = json_object_get(r, "files"), *a, *e, *base = json_object_get(r, "baseline");
	long long total = num(files, "devices");
	int v = vidx(ats_json_str(r, "verdict"));
	size_t i;

	ats_buf_printf(&b, "<!DOCTYPE html>\n<html lang=en><head><meta charset=\"utf-8\">\n"
			   "<title>atscheck fleet summary: %s</title>\n<style>\n"
			   "body{font:15px/1.45 'DejaVu Sans',sans-serif;margin:24px 32px;color:#222}\n"
			   "h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:24px 0 8px}\n"
			   ".badge{display:inline-block;color:#fff;padding:2px 12px;border-radius:4px;"
			   "font-weight:bold;background:%s}\n"
			   "table{border-collapse:collapse} td,th{border-bottom:1px solid #ddd;padding:4px 10px;"
			   "text-align:left;vertical-align:top} td.n{text-align:right}\n"
			   ".ids{font-size:13px;color:#444} .muted{color:#666}\n</style></head><body>\n",
		       verdicts[v], colors[v]);
	ats_buf_printf(&b, "<h1>atscheck fleet summary <span class=badge>%s</span></h1>\n"
			   "<p class=muted>%lld devices at ", verdicts[v], total);
	esc(&b, ats_json_str(r, "at"));
	ats_buf_printf(&b, " &middot; %lld report files read, %lld duplicates, %lld unreadable, %lld "
			   "partial &middot; expiry horizon %lld days</p>\n",
		       num(files, "read"), num(files, "duplicates"), num(files, "unreadable"),
		       num(files, "partial"), num(r, "horizon_days"));
	ats_buf_printf(&b, "<h2>Devices per verdict</h2>\n");
	verdict_chart(&b, json_object_get(r, "by_verdict"), total);

	a = json_object_get(r, "causes");
	ats_buf_printf(&b, "<h2>Problems (devices per cause)</h2>\n");
	if (!json_array_size(a))
		ats_buf_printf(&b, "<p>No device reported a problem.</p>\n");
	cause_chart(&b, a, total);
	if (json_array_size(a)) {
		ats_buf_printf(&b, "<table><tr><th>severity</th><th>devices</th><th>cause and fix</th></tr>\n");
		json_array_foreach(a, i, e) {
			int k = vidx(ats_json_str(e, "severity"));
			ats_buf_printf(&b, "<tr><td style=\"color:%s\">%s</td><td class=n>%lld</td><td>",
				       colors[k], verdicts[k], num(e, "devices"));
			esc(&b, ats_json_str(e, "cause"));
			if (*ats_json_str(e, "fix")) {
				ats_buf_printf(&b, "<br><span class=muted>fix: <code>");
				esc(&b, ats_json_str(e, "fix"));
				ats_buf_printf(&b, "</code></span>");
			}
			devices(&b, json_object_get(e, "device_ids"));
			ats_buf_printf(&b, "</td></tr>\n");
		}
		ats_buf_printf(&b, "</table>\n");
	}

	if (json_array_size(a = json_object_get(r, "missing_cas"))) {
		ats_buf_printf(&b, "<h2>Missing or deselected CAs</h2>\n<table><tr><th>CA</th>"
				   "<th>devices</th><th></th></tr>\n");
		json_array_foreach(a, i, e) {
			ats_buf_printf(&b, "<tr><td>");
			esc(&b, ats_json_str(e, "ca"));
			ats_buf_printf(&b, "</td><td class=n>%lld</td><td>", num(e, "devices"));
			devices(&b, json_object_get(e, "device_ids"));
			ats_buf_printf(&b, "</td></tr>\n");
		}
		ats_buf_printf(&b, "</table>\n");
	}

	ats_buf_printf(&b, "<h2>Expiring within %lld days</h2>\n", num(r, "horizon_days"));
	if (!json_array_size(a = json_object_get(r, "expiring")))
		ats_buf_printf(&b, "<p>Nothing a device relies on expires within the horizon.</p>\n");
	else
		ats_buf_printf(&b, "<table><tr><th>certificate</th><th>first expiry</th><th>devices</th>"
				   "<th></th></tr>\n");
	json_array_foreach(a, i, e) {
		ats_buf_printf(&b, "<tr><td>");
		esc(&b, ats_json_str(e, "name"));
		ats_buf_printf(&b, "</td><td>%.10s</td><td class=n>%lld</td><td>",
			       ats_json_str(e, "first_not_after"), num(e, "devices"));
		devices(&b, json_object_get(e, "device_ids"));
		ats_buf_printf(&b, "</td></tr>\n");
	}
	if (json_array_size(a))
		ats_buf_printf(&b, "</table>\n");

	ats_buf_printf(&b, "<h2>Versions</h2>\n<table>\n");
	static const char *const comps[][2] = {
		{"openssl", "OpenSSL"}, {"libcurl", "libcurl"}, {"atscheck", "atscheck"}};
	for (int c = 0; c < 3; c++) {
		ats_buf_printf(&b, "<tr><th>%s</th><td>", comps[c][1]);
		json_array_foreach(json_object_get(json_object_get(r, "versions"), comps[c][0]), i, e) {
			ats_buf_printf(&b, "%s", i ? "<br>" : "");
			esc(&b, ats_json_str(e, "version"));
			ats_buf_printf(&b, ": %lld", num(e, "devices"));
		}
		ats_buf_printf(&b, "</td></tr>\n");
	}
	ats_buf_printf(&b, "</table>\n");

	if (base) {
		ats_buf_printf(&b, "<h2>Since the baseline</h2>\n<p>");
		esc(&b, ats_json_str(base, "file"));
		ats_buf_printf(&b, ": <b>%zu worse</b>, %lld better, %lld unchanged, %lld new, %zu gone</p>\n",
			       json_array_size(json_object_get(base, "worse")), num(base, "better"),
			       num(base, "unchanged"), num(base, "new"),
			       json_array_size(json_object_get(base, "gone")));
		if (json_array_size(json_object_get(base, "worse")))
			ats_buf_printf(&b, "<table><tr><th>device</th><th>before</th><th>after</th>"
					   "<th>new causes</th></tr>\n");
		json_array_foreach(json_object_get(base, "worse"), i, e) {
			size_t j;
			json_t *c;
			if (i == SHOW)
				break;
			ats_buf_printf(&b, "<tr><td>");
			esc(&b, ats_json_str(e, "device"));
			ats_buf_printf(&b, "</td><td>%s</td><td>%s</td><td>", ats_json_str(e, "before"),
				       ats_json_str(e, "after"));
			json_array_foreach(json_object_get(e, "new_causes"), j, c) {
				ats_buf_printf(&b, "%s", j ? "<br>" : "");
				esc(&b, json_string_value(c));
			}
			ats_buf_printf(&b, "</td></tr>\n");
		}
		if (json_array_size(json_object_get(base, "worse")))
			ats_buf_printf(&b, "</table>\n");
	}

	if (json_array_size(a = json_object_get(r, "bad_files"))) {
		ats_buf_printf(&b, "<h2>Report files not used (%zu)</h2>\n<ul>\n", json_array_size(a));
		json_array_foreach(a, i, e) {
			if (i == SHOW)
				break;
			ats_buf_printf(&b, "<li><code>");
			esc(&b, ats_json_str(e, "file"));
			ats_buf_printf(&b, "</code> (%s): ", ats_json_str(e, "kind"));
			esc(&b, ats_json_str(e, "error"));
			ats_buf_printf(&b, "</li>\n");
		}
		ats_buf_printf(&b, "</ul>\n");
	}
	ats_buf_printf(&b, "</body></html>\n");
	return ats_buf_take(&b);
}
