/* The fleet summary for people: text (a terminal, colour when asked) and Markdown (a ticket, a
 * wiki page). Long device lists are cut to the first few with a count; JSON has them all. */
#include "report/report_merge.h"
#include "base/strbuf.h"
#include "report/tree.h"

#include <stdio.h>
#include <string.h>

#define SHOW 8 /* devices named per line before "and N more" */


typedef struct style {
	bool md;
	const char *on[4], *bold, *dim, *off;
} style;

static style style_for(bool md, const ats_render_opts *o)
{
	style s = {.md = md, .on = {"", "", "", ""}, .bold = "", .dim = "", .off = ""};
	if (md) {
		s.bold = "**";
		s.off = "";
	} else if (o && o->color) {
		s.on[0] = "\033[32m";
		s.on[1] = "\033[33m";
		s.on[2] = "\033[31m";
		s.on[3] = "\033[35m";
		s.bold = "\033[1m";
		s.dim = "\033[2m";
		s.off = "\033[0m";
	}
	return s;
}

/* Markdown table cells and text: a '|' would end the cell. */
static void cell(ats_buf *b, const style *s, const char *t)
{
	for (; *t; t++) {
		if (s->md && (*t == '|' || *t == '*' || *t == '_' || *t == '`'))
			ats_buf_put(b, "\\", 1);
		ats_buf_put(b, t, 1);
	}
}

/* The examples a summary names, and how many more there are: total is the exact count. */
static void device_list(ats_buf *b, const style *s, const json_t *ids, long long total)
{
	size_t i, n = json_array_size(ids);
	json_t *d;
	if (total < (long long)n)
		total = (long long)n;
	json_array_foreach(ids, i, d) {
		if (i == SHOW)
			break;
		ats_buf_printf(b, "%s", i ? ", " : "");
		cell(b, s, json_string_value(d));
	}
	if (total > (long long)(n < SHOW ? n : SHOW))
		ats_buf_printf(b, " and %lld more", total - (long long)(n < SHOW ? n : SHOW));
}

static void heading(ats_buf *b, const style *s, const char *t)
{
	if (s->md)
		ats_buf_printf(b, "\n## %s\n\n", t);
	else
		ats_buf_printf(b, "\n%s%s%s\n", s->bold, t, s->off);
}

static void bar(ats_buf *b, long long n, long long total)
{
	int w = total ? (int)((n * 30 + total - 1) / total) : 0;
	for (int i = 0; i < w; i++)
		ats_buf_printf(b, "#");
	ats_buf_printf(b, "%*s", 30 - w, "");
}

static void render(ats_buf *b, const json_t *r, const style *s)
{
	const json_t *files = json_object_get(r, "files"), *bv = json_object_get(r, "by_verdict");
	const json_t *a, *e, *base = json_object_get(r, "baseline");
	long long total = ats_json_int(files, "devices");
	size_t i;

	if (s->md)
		ats_buf_printf(b, "# atscheck fleet summary\n\n");
	else
		ats_buf_printf(b, "%satscheck fleet summary%s\n", s->bold, s->off);
	ats_buf_printf(b, "%lld devices at %s (%lld report files read, %lld superseded by a newer "
			  "report of the same device, %lld unreadable, %lld partial); expiry horizon "
			  "%lld days\n",
		       total, ats_json_str(r, "at"), ats_json_int(files, "read"), ats_json_int(files, "superseded"),
		       ats_json_int(files, "unreadable"), ats_json_int(files, "partial"), ats_json_int(r, "horizon_days"));
	const json_t *rt = json_object_get(r, "report_time");
	long long fut = ats_json_int(json_object_get(rt, "future"), "reports");
	long long none = ats_json_int(json_object_get(rt, "missing"), "reports");
	if (fut || none)
		ats_buf_printf(b, "%lld reports dated after %s and %lld with no time: their file's time "
				  "was used\n", fut, ats_json_str(r, "at"), none);

	heading(b, s, "Devices per verdict");
	if (s->md)
		ats_buf_printf(b, "| verdict | devices | share |\n|---|---:|---:|\n");
	for (int k = 0; k < 4; k++) {
		long long n = ats_json_int(bv, ats_verdict_name((ats_verdict)k));
		double pct = total ? 100.0 * (double)n / (double)total : 0;
		if (s->md) {
			ats_buf_printf(b, "| %s | %lld | %.1f%% |\n", ats_verdict_name((ats_verdict)k), n, pct);
		} else {
			ats_buf_printf(b, "  %s%-9s%s %8lld  ", s->on[k], ats_verdict_name((ats_verdict)k), s->off, n);
			bar(b, n, total);
			ats_buf_printf(b, " %5.1f%%\n", pct);
		}
	}

	heading(b, s, "Problems, with the devices behind each");
	if (!json_array_size(json_object_get(r, "causes")))
		ats_buf_printf(b, "%snone%s\n", s->md ? "" : "  ", "");
	json_array_foreach(json_object_get(r, "causes"), i, e) {
		int k = (int)ats_status_verdict(ats_json_str(e, "severity"));
		if (s->md) {
			ats_buf_printf(b, "- **%s**, %lld devices: ", ats_verdict_name((ats_verdict)k), ats_json_int(e, "devices"));
			cell(b, s, ats_json_str(e, "cause"));
			if (*ats_json_str(e, "fix")) {
				ats_buf_printf(b, "\n  - fix: `%s`", ats_json_str(e, "fix"));
			}
			ats_buf_printf(b, "\n  - devices: ");
		} else {
			ats_buf_printf(b, "  %s%-8s%s %6lld  %s\n", s->on[k], ats_verdict_name((ats_verdict)k), s->off,
				       ats_json_int(e, "devices"), ats_json_str(e, "cause"));
			if (*ats_json_str(e, "fix"))
				ats_buf_printf(b, "                  %sfix:%s %s\n", s->dim, s->off,
					       ats_json_str(e, "fix"));
			ats_buf_printf(b, "                  %sdevices:%s ", s->dim, s->off);
		}
		device_list(b, s, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
		ats_buf_printf(b, "\n");
	}

	if (json_array_size(a = json_object_get(r, "missing_cas"))) {
		heading(b, s, "Missing or deselected CAs");
		if (s->md)
			ats_buf_printf(b, "| CA | devices | which |\n|---|---:|---|\n");
		json_array_foreach(a, i, e) {
			if (s->md) {
				ats_buf_printf(b, "| %s | %lld | ", ats_json_str(e, "ca"), ats_json_int(e, "devices"));
				device_list(b, s, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
				ats_buf_printf(b, " |\n");
			} else {
				ats_buf_printf(b, "  %-52s %6lld  ", ats_json_str(e, "ca"), ats_json_int(e, "devices"));
				device_list(b, s, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
				ats_buf_printf(b, "\n");
			}
		}
	}

	const json_t *st = json_object_get(r, "stale");
	char title[96];
	snprintf(title, sizeof(title), "Stale devices (newest report more than %lld days old)",
		 ats_json_int(r, "stale_days"));
	heading(b, s, title);
	if (!ats_json_int(st, "devices"))
		ats_buf_printf(b, "%snone: every device reported since %.10s\n", s->md ? "" : "  ",
			       ats_json_str(st, "before"));
	else {
		ats_buf_printf(b, "%s%lld devices, the longest silent first: ", s->md ? "" : "  ",
			       ats_json_int(st, "devices"));
		device_list(b, s, json_object_get(st, "device_ids"), ats_json_int(st, "devices"));
		ats_buf_printf(b, "\n");
	}

	heading(b, s, "Expiring within the horizon");
	if (!json_array_size(a = json_object_get(r, "expiring")))
		ats_buf_printf(b, "%snothing expires within %lld days\n", s->md ? "" : "  ",
			       ats_json_int(r, "horizon_days"));
	json_array_foreach(a, i, e) {
		ats_buf_printf(b, s->md ? "- %s: first on %.10s, %lld devices (" : "  %-52s %.10s %6lld  (",
			       ats_json_str(e, "name"), ats_json_str(e, "first_not_after"),
			       ats_json_int(e, "devices"));
		device_list(b, s, json_object_get(e, "device_ids"), ats_json_int(e, "devices"));
		ats_buf_printf(b, ")\n");
	}

	heading(b, s, "Versions");
	static const char *const comps[][2] = {
		{"openssl", "OpenSSL"}, {"libcurl", "libcurl"}, {"atscheck", "atscheck"}};
	for (int c = 0; c < 3; c++) {
		ats_buf_printf(b, s->md ? "- %s: " : "  %-9s ", comps[c][1]);
		json_array_foreach(json_object_get(json_object_get(r, "versions"), comps[c][0]), i, e) {
			if (strcmp(ats_json_str(e, "version"), "(not in the report)") == 0)
				ats_buf_printf(b, "%snot recorded in the reports of %lld devices", i ? ", " : "",
					       ats_json_int(e, "devices"));
			else
				ats_buf_printf(b, "%s%s (%lld)", i ? ", " : "", ats_json_str(e, "version"),
					       ats_json_int(e, "devices"));
		}
		ats_buf_printf(b, "\n");
	}

	if (base) {
		heading(b, s, "Since the baseline");
		ats_buf_printf(b, "%s%s: %lld worse, %lld better, %lld unchanged, %lld new, %lld gone\n",
			       s->md ? "" : "  ", ats_json_str(base, "file"), ats_json_int(base, "worse_devices"),
			       ats_json_int(base, "better"), ats_json_int(base, "unchanged"), ats_json_int(base, "new"),
			       ats_json_int(base, "gone_devices"));
		json_array_foreach(json_object_get(base, "worse"), i, e) {
			size_t j;
			json_t *c;
			ats_buf_printf(b, "%s", s->md ? "- " : "  ");
			cell(b, s, ats_json_str(e, "device"));
			ats_buf_printf(b, ": %s -> %s%s", ats_json_str(e, "before"), ats_json_str(e, "after"),
				       json_array_size(json_object_get(e, "new_causes")) ? "; new: " : "");
			json_array_foreach(json_object_get(e, "new_causes"), j, c) {
				ats_buf_printf(b, "%s", j ? "; " : "");
				cell(b, s, json_string_value(c));
			}
			ats_buf_printf(b, "\n");
		}
		if (json_array_size(json_object_get(base, "gone"))) {
			ats_buf_printf(b, "%sgone: ", s->md ? "- " : "  ");
			device_list(b, s, json_object_get(base, "gone"), ats_json_int(base, "gone_devices"));
			ats_buf_printf(b, "\n");
		}
	}

	if (json_array_size(a = json_object_get(r, "bad_files"))) {
		snprintf(title, sizeof(title), "Report files not used (%lld%s)",
			 ats_json_int(files, "unreadable") + ats_json_int(files, "partial"),
			 json_is_false(json_object_get(r, "bad_files_complete")) ? ", the first by name below" : "");
		heading(b, s, title);
		json_array_foreach(a, i, e) {
			ats_buf_printf(b, "%s%s (%s): ", s->md ? "- " : "  ", ats_json_str(e, "file"),
				       ats_json_str(e, "kind"));
			cell(b, s, ats_json_str(e, "error"));
			ats_buf_printf(b, "\n");
		}
	}
	int k = (int)ats_status_verdict(ats_json_str(r, "verdict"));
	ats_buf_printf(b, "\n%sFleet verdict: %s%s%s%s (exit %lld)\n", s->bold, s->on[k], ats_verdict_name((ats_verdict)k),
		       s->off, s->md ? "**" : "", ats_json_int(r, "exit_code"));
}

char *ats_merge_text(const json_t *r, const ats_render_opts *o)
{
	ats_buf b = {0};
	style s = style_for(false, o);
	render(&b, r, &s);
	return ats_buf_take(&b);
}

char *ats_merge_markdown(const json_t *r)
{
	ats_buf b = {0};
	style s = style_for(true, NULL);
	render(&b, r, &s);
	return ats_buf_take(&b);
}
