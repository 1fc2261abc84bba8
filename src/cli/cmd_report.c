/* atscheck report merge: a fleet summary from many device reports.
 * atscheck report render: a saved report in another format (the systemd timer runs the check
 * once and renders its JSON as a Prometheus textfile; the Nagios wrapper renders it for Nagios). */
#include "cli.h"

#include "base/util.h"
#include "report/report_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: atscheck report merge FILE|DIR... [--baseline FILE] [--horizon DAYS] [--jobs N]\n"
	"                             [--at TIME] [--format FMT] [--output FILE]\n"
	"       atscheck report render FILE [--format FMT] [-w DAYS] [-c DAYS] [--output FILE]\n\n"
	"merge: folds device reports (atscheck ... --format json; folders are searched for *.json)\n"
	"into one fleet summary: devices per verdict, per missing CA, per problem cause and per\n"
	"OpenSSL/libcurl version, the devices behind each, what expires within the horizon, and with\n"
	"--baseline (an earlier merge --format json) the devices whose state got worse. Files that\n"
	"cannot be read or are not whole reports are counted and named, never fatal.\n"
	"  --baseline FILE  an earlier summary (report merge --format json) to compare with\n"
	"  --horizon DAYS   list what expires within DAYS of --at (default 365)\n"
	"  --jobs N         parsing threads (default: the number of cores)\n"
	"  --format FMT     text (default), json, markdown, html, prometheus, junit\n\n"
	"render: prints a saved report (any command's --format json) in another format.\n"
	"  --format FMT     text, json, prometheus, junit, nagios (default text)\n"
	"  -w, --warning DAYS   nagios: WARNING when a certificate expires within DAYS (default 30)\n"
	"  -c, --critical DAYS  nagios: CRITICAL within DAYS (default 7)\n\n"
	"Common options:\n" CLI_COMMON_HELP
	"\nExit codes: merge: 0 every device OK, 1 some need a look (WARNING or UNKNOWN devices,\n"
	"unusable files, worse than the baseline), 2 a device is CRITICAL, 3 no report found or bad\n"
	"usage. render: the report's own exit code (nagios: with the day thresholds applied).\n";

static void progress(void *ctx, size_t done)
{
	(void)ctx;
	cli_progress("merging reports", done, 0);
}

/* render does not stamp the report again: tool and device stay those of the device that ran it. */
static int render(const char *file, const cli_common *c, ats_render_opts *ro)
{
	unsigned char *data = NULL;
	size_t len;
	ats_err err = {0};
	json_error_t je;
	json_t *r = NULL;
	char *out = NULL;
	int code;

	if (ats_file_read(file, file, &data, &len, &err) != 0) {
		code = cli_fail("%s", err.msg);
		goto out;
	}
	r = json_loadb((const char *)data, len, 0, &je);
	if (!r || !json_is_string(json_object_get(r, "command")) ||
	    !json_is_integer(json_object_get(r, "exit_code"))) {
		code = cli_fail("%s: not an atscheck JSON report%s%s", file, r ? "" : ": ",
				r ? "" : je.text);
		goto out;
	}
	code = (int)json_integer_value(json_object_get(r, "exit_code"));
	ro->color = c->color && !c->output;
	if (c->fmt == ATS_FMT_NAGIOS)
		out = ats_report_nagios(r, ro, &code);
	else
		out = ats_report_render(r, c->fmt, ro, &err);
	if (!out) {
		code = cli_fail("%s: %s", file, err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	code = cli_write(out, c, code);
out:
	free(data);
	free(out);
	json_decref(r);
	return code;
}

static int cmd_report_render(int argc, char **argv)
{
	cli_cmd cmd = {.name = "report render",
		       .usage = usage,
		       .min_args = 1,
		       .max_args = 1,
		       .args_hint = "name one report file"};
	ats_render_opts ro = {.warn_days = 30, .crit_days = 7};
	cli_opt opts[] = {
		{.name = "warning", .key = 'w', .kind = CLI_DAYS, .dest = &ro.warn_days},
		{.name = "critical", .key = 'c', .kind = CLI_DAYS, .dest = &ro.crit_days},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	ro.days_set = opts[0].given + opts[1].given > 0;
	rc = render(cmd.args[0], &cmd.c, &ro);
	cli_done(&cmd);
	return rc;
}

static int cmd_report_merge(int argc, char **argv)
{
	cli_cmd cmd = {.name = "report merge",
		       .usage = usage,
		       .min_args = 1,
		       .max_args = 1 << 30,
		       .args_hint = "name at least one report file or folder"};
	ats_merge_opts mo = {.horizon_days = 365, .progress = progress, .jobs = cli_cores(64)};
	cli_opt opts[] = {
		{.name = "baseline", .kind = CLI_STR, .dest = &mo.baseline},
		{.name = "horizon", .kind = CLI_DAYS, .dest = &mo.horizon_days},
		{.name = "jobs", .kind = CLI_INT, .dest = &mo.jobs, .lo = 1, .hi = 64},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (cmd.c.fmt == ATS_FMT_NAGIOS)
		return cli_usage_fail(&cmd,
				      "--format nagios is for one device's report (report render)");
	mo.at = cmd.c.at;
	rc = ats_merge_run((const char *const *)cmd.args, (size_t)cmd.nargs, &mo, &cmd.report,
			   &cmd.err);
	cli_progress_end();
	/* Each unusable file gets its line on stderr too, whatever the format. */
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(cmd.report, "bad_files"), i, b)
		fprintf(stderr, "atscheck: %s (%s): %s\n", ats_json_str(b, "file"),
			ats_json_str(b, "kind"), ats_json_str(b, "error"));
	return cli_end(&cmd, rc);
}

int cmd_report(int argc, char **argv)
{
	static const cli_command subs[] = {
		{"merge", cmd_report_merge, "a fleet summary"},
		{"render", cmd_report_render, "a saved report in another format"},
	};
	return cli_dispatch("report", subs, 2, NULL, usage, argc, argv);
}
