/* atscheck report merge: a fleet summary from many device reports.
 * atscheck report render: a saved report in another format (the systemd timer runs the check
 * once and renders its JSON as a Prometheus textfile; the Nagios wrapper renders it for Nagios). */
#include "cli.h"

#include "base/redact.h"
#include "base/util.h"
#include "report/report_merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: atscheck report merge FILE|DIR... [--baseline FILE] [--horizon DAYS] [--stale DAYS]\n"
	"                             [--devices FILE] [--jobs N] [--at TIME] [--format FMT]\n"
	"                             [--output FILE]\n"
	"       atscheck report render FILE [--format FMT] [-w DAYS] [-c DAYS] [--output FILE]\n\n"
	"merge: folds device reports (atscheck ... --format json; folders are searched for *.json)\n"
	"into one fleet summary: devices per verdict, per missing CA, per problem cause and per\n"
	"OpenSSL/libcurl version (exact counts, the first 20 devices by name behind each), what\n"
	"expires within the horizon, stale devices, and with --baseline the devices whose state got\n"
	"worse or that stopped reporting. A device counts once, by its newest report (the report's\n"
	"own time). Files that cannot be read or are not whole reports are counted and named (the\n"
	"first 1,000), never fatal. Memory stays flat: about 32 bytes per device.\n"
	"  --baseline FILE  an earlier run's --devices file (or its JSON summary, up to 10,000 devices)\n"
	"  --horizon DAYS   list what expires within DAYS of --at (default 365)\n"
	"  --stale DAYS     a device whose newest report is older than DAYS is stale (default 2)\n"
	"  --devices FILE   write every device (JSON Lines: device, verdict, at, causes, file)\n"
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
	ats_redact_json(r); /* a report saved by an older atscheck, or edited by hand */
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
	cli_opt opts[] = {{.name = NULL}}; /* -w/-c are common options */
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	rc = render(cmd.args[0], &cmd.c, &cmd.c.ro);
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
		{.name = "stale", .kind = CLI_DAYS, .dest = &mo.stale_days},
		{.name = "devices", .kind = CLI_STR, .dest = &mo.devices_file},
		{.name = NULL},
	};
	int rc = cli_parse(&cmd, opts, argc, argv);
	if (rc != CLI_GO)
		return rc;
	if (cmd.c.fmt == ATS_FMT_NAGIOS)
		return cli_usage_fail(&cmd,
				      "--format nagios is for one device's report (report render)");
	if (opts[3].given && mo.stale_days == 0)
		return cli_usage_fail(&cmd, "--stale 0: expected at least one day");
	mo.at = cmd.c.at;
	mo.tmpdir = getenv("TMPDIR");
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
