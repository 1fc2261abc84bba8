#include "report/report_text.h"
#include "report/report.h"

#include <string.h>

void ats_text_footer(ats_buf *b, const json_t *r, const ats_render_opts *o); /* report_text.c */

static const char *status_color(const ats_render_opts *o, const char *st)
{
	if (!o || !o->color)
		return "";
	if (strcmp(st, "pass") == 0 || strcmp(st, "OK") == 0)
		return "\033[32m";
	if (strcmp(st, "warn") == 0 || strcmp(st, "WARNING") == 0)
		return "\033[33m";
	if (strcmp(st, "skip") == 0)
		return "\033[2m";
	return "\033[31m";
}

static const char *off(const ats_render_opts *o)
{
	return o && o->color ? "\033[0m" : "";
}

static void verify_one(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	const json_t *d = json_object_get(r, "device_certificate"), *dak = json_object_get(r, "dak");
	size_t i;
	json_t *c;
	ats_buf_printf(b, "atscheck dha verify %s at %s\n", ats_json_str(r, "file"), ats_json_str(r, "at"));
	if (d)
		ats_buf_printf(b, "  device  %s\n          serial %s, valid %s to %s\n", ats_json_str(d, "subject"),
			       ats_json_str(d, "serial"), ats_json_str(d, "not_before"), ats_json_str(d, "not_after"));
	if (dak)
		ats_buf_printf(b, "  DAK     %s\n          valid to %s\n", ats_json_str(dak, "subject"),
			       ats_json_str(dak, "not_after"));
	if (json_array_size(json_object_get(r, "checks")))
		ats_buf_printf(b, "\n");
	json_array_foreach(json_object_get(r, "checks"), i, c) {
		const char *st = ats_json_str(c, "status");
		ats_buf_printf(b, "  %s%-4s%s  %-16s %s\n", status_color(o, st), st, off(o), ats_json_str(c, "name"),
			       ats_json_str(c, "message"));
	}
}

static void verify_dir(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	const json_t *s = json_object_get(r, "summary");
	ats_buf_printf(b, "atscheck dha verify --dir %s at %s\n", ats_json_str(r, "dir"), ats_json_str(r, "at"));
	ats_buf_printf(b, "  %lld devices: %lld OK, %lld WARNING, %lld CRITICAL, %lld unreadable\n",
		       ats_json_int(s, "devices"), ats_json_int(s, "ok"), ats_json_int(s, "warning"), ats_json_int(s, "critical"),
		       ats_json_int(s, "unreadable"));
	(void)o;
}

static void provision(ats_buf *b, const json_t *r)
{
	const json_t *d = json_object_get(r, "devices"), *dak = json_object_get(r, "dak"),
		     *log = json_object_get(r, "control_log");
	double secs = json_number_value(json_object_get(r, "seconds"));
	ats_buf_printf(b, "atscheck dha provision into %s\n", ats_json_str(r, "out"));
	ats_buf_printf(b, "  DAK           %s\n", ats_json_str(dak, "subject"));
	ats_buf_printf(b, "  certificates  %s to %s (%lld days)\n", ats_json_str(r, "not_before"),
		       ats_json_str(r, "not_after"), ats_json_int(r, "days"));
	ats_buf_printf(b,
		       "  devices       %lld requested: %lld made, %lld already done, %lld recovered, "
		       "%lld being made by another run, %lld failed\n",
		       ats_json_int(d, "requested"), ats_json_int(d, "made"), ats_json_int(d, "already_done"), ats_json_int(d, "recovered"),
		       ats_json_int(d, "in_progress_elsewhere"), ats_json_int(d, "failed"));
	ats_buf_printf(b, "  control log   %s, %s (%lld devices)\n", ats_json_str(log, "csv"), ats_json_str(log, "jsonl"),
		       ats_json_int(log, "records"));
	if (secs > 0 && ats_json_int(d, "made"))
		ats_buf_printf(b, "  speed         %lld devices in %.2f s (%.0f devices/s, %lld threads)\n",
			       ats_json_int(d, "made"), secs, (double)ats_json_int(d, "made") / secs, ats_json_int(r, "jobs"));
}

int ats_report_text_dha(ats_buf *b, const json_t *r, const ats_render_opts *o)
{
	const char *cmd = ats_json_str(r, "command");
	if (strcmp(cmd, "dha verify") == 0 && json_object_get(r, "summary"))
		verify_dir(b, r, o);
	else if (strcmp(cmd, "dha verify") == 0)
		verify_one(b, r, o);
	else if (strcmp(cmd, "dha provision") == 0)
		provision(b, r);
	else if (strcmp(cmd, "dak csr") == 0)
		ats_buf_printf(b, "atscheck dak csr\n  key      %s (0600)\n  csr      %s\n  subject  %s\n  next     %s\n",
			       ats_json_str(r, "key"), ats_json_str(r, "csr"), ats_json_str(r, "subject"), ats_json_str(r, "next"));
	else
		return 0;
	ats_text_footer(b, r, o);
	return 1;
}
