/* atscheck report merge: a fleet summary from many device reports.
 * atscheck report render: a saved report in another format (the systemd timer runs the check
 * once and renders its JSON as a Prometheus textfile; the Nagios wrapper renders it for Nagios). */
#include "cli.h"

#include "report/report_merge.h"
#include "base/util.h"

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

enum { OPT_BASELINE = CLI_OPT_FIRST_OWN, OPT_HORIZON, OPT_JOBS, OPT_STALE, OPT_DEVICES };

static int days_arg(const char *opt, const char *arg, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < 0 || v > 36500)
		return cli_fail("%s %s: expected a number of days", opt, arg);
	*out = (int)v;
	return 0;
}

static void progress(void *ctx, size_t done)
{
	(void)ctx;
	cli_progress("merging reports", done, 0);
}

static int write_out(const char *out, const cli_common *c, int code)
{
	ats_err err = {0};
	if (c->output) {
		if (ats_file_write_atomic(c->output, out, strlen(out), 0644, &err) != 0)
			return cli_fail("%s", err.msg);
	} else if (fputs(out, stdout) == EOF || fflush(stdout) != 0) {
		return cli_fail("cannot write to standard output");
	}
	return code;
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
		code = cli_fail("%s", err.msg[0] ? err.msg : "out of memory");
		goto out;
	}
	code = write_out(out, c, code);
out:
	free(data);
	free(out);
	json_decref(r);
	return code;
}

int cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_LONGOPTS,
		{"baseline", required_argument, NULL, OPT_BASELINE},
		{"horizon", required_argument, NULL, OPT_HORIZON},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"stale", required_argument, NULL, OPT_STALE},
		{"devices", required_argument, NULL, OPT_DEVICES},
		{"warning", required_argument, NULL, 'w'},
		{"critical", required_argument, NULL, 'c'},
		{NULL, 0, NULL, 0},
	};
	cli_common c;
	ats_merge_opts mo = {.horizon_days = 365, .progress = progress};
	ats_render_opts ro = {.warn_days = 30, .crit_days = 7};
	ats_err err = {0};
	json_t *summary = NULL;
	int opt;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	mo.jobs = ncpu > 0 ? (int)ncpu : 1;
	cli_common_init(&c);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? ATS_VERDICT_UNKNOWN : 0;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "merge") != 0 && strcmp(sub, "render") != 0) {
		cli_fail("report: '%s' is not a report command (merge, render)", sub);
		return cli_usage_error("report");
	}
	optind = 2;
	while ((opt = cli_getopt(&c, NULL, argc, argv, "w:c:", longopts)) != -1) {
		if (opt == CLI_OPT_ERROR)
			return ATS_VERDICT_UNKNOWN;
		switch (opt) {
		case CLI_OPT_HELP: fputs(usage, stdout); return 0;
		case OPT_BASELINE: mo.baseline = optarg; break;
		case OPT_HORIZON:
			if (days_arg("--horizon", optarg, &mo.horizon_days) != 0)
				return ATS_VERDICT_UNKNOWN;
			break;
		case OPT_STALE:
			if (days_arg("--stale", optarg, &mo.stale_days) != 0)
				return ATS_VERDICT_UNKNOWN;
			if (mo.stale_days == 0)
				return cli_fail("--stale 0: expected at least one day");
			break;
		case OPT_DEVICES: mo.devices_file = optarg; break;
		case OPT_JOBS: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 64)
				return cli_fail("--jobs %s: expected 1 to 64", optarg);
			mo.jobs = (int)v;
			break;
		}
		case 'w':
		case 'c':
			if (days_arg(opt == 'w' ? "--warning" : "--critical", optarg,
				     opt == 'w' ? &ro.warn_days : &ro.crit_days) != 0)
				return ATS_VERDICT_UNKNOWN;
			ro.days_set = true;
			break;
		default: return cli_usage_error("report");
		}
	}
	if (strcmp(sub, "render") == 0) {
		if (optind != argc - 1) {
			cli_fail("report render: name one report file");
			return cli_usage_error("report");
		}
		return render(argv[optind], &c, &ro);
	}
	if (c.fmt == ATS_FMT_NAGIOS)
		return cli_fail("report merge: --format nagios is for one device's report (report render)");
	if (optind >= argc) {
		cli_fail("report merge: name at least one report file or folder");
		return cli_usage_error("report");
	}
	mo.at = c.at;
	mo.tmpdir = getenv("TMPDIR");
	int rc = ats_merge_run((const char *const *)argv + optind, (size_t)(argc - optind), &mo,
			       &summary, &err);
	cli_progress_end();
	if (rc != 0)
		return cli_fail("%s", err.msg);
	/* Each unusable file gets its line on stderr too, whatever the format. */
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(summary, "bad_files"), i, b)
		fprintf(stderr, "atscheck: %s (%s): %s\n", ats_json_str(b, "file"), ats_json_str(b, "kind"),
			ats_json_str(b, "error"));
	return cli_emit(summary, &c);
}
