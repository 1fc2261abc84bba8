#include "cli.h"

#include "base/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_common_init(cli_common *c)
{
	memset(c, 0, sizeof(*c));
	c->fmt = ATS_FMT_TEXT;
	c->now = time(NULL);
	c->at = c->now;
	const char *nc = getenv("NO_COLOR");
	c->color = isatty(STDOUT_FILENO) && !(nc && *nc);
}

int cli_common_opt(cli_common *c, int opt, const char *arg)
{
	ats_err err = {0};
	switch (opt) {
	case CLI_OPT_FORMAT: {
		int f = ats_format_parse(arg);
		if (f < 0) {
			cli_fail("--format %s: unknown format", arg);
			return -1;
		}
		c->fmt = (ats_format)f;
		return 1;
	}
	case CLI_OPT_OUTPUT:
		c->output = arg;
		return 1;
	case CLI_OPT_AT:
		if (ats_time_parse(arg, c->now, &c->at, &err) != 0) {
			cli_fail("--at: %s", err.msg);
			return -1;
		}
		return 1;
	case CLI_OPT_ROOT:
		if (!realpath(arg, c->root_buf)) {
			cli_fail("--root %s: no such directory", arg);
			return -1;
		}
		c->root = strcmp(c->root_buf, "/") == 0 ? NULL : c->root_buf;
		return 1;
	case CLI_OPT_DEVICE_ID:
		c->device_id = arg;
		return 1;
	default:
		return 0;
	}
}

int cli_stores_init(cli_stores *s, int argc)
{
	memset(s, 0, sizeof(*s));
	s->bundles = calloc((size_t)argc + 2, sizeof(char *));
	s->capaths = calloc((size_t)argc + 2, sizeof(char *));
	s->sdk_configs = calloc((size_t)argc + 2, sizeof(char *));
	return s->bundles && s->capaths && s->sdk_configs ? 0 : -1;
}

int cli_stores_opt(cli_stores *s, int opt, const char *arg)
{
	switch (opt) {
	case CLI_OPT_BUNDLE: s->bundles[s->nb++] = arg; return 1;
	case CLI_OPT_CAPATH: s->capaths[s->nc++] = arg; return 1;
	case CLI_OPT_SDK_CONFIG: s->sdk_configs[s->ns++] = arg; return 1;
	default: return 0;
	}
}

void cli_stores_free(cli_stores *s)
{
	free(s->bundles);
	free(s->capaths);
	free(s->sdk_configs);
	s->bundles = s->capaths = s->sdk_configs = NULL;
}

int cli_getopt(cli_common *c, cli_stores *st, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	int opt;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		int r = cli_common_opt(c, opt, optarg);
		if (r == 0 && st)
			r = cli_stores_opt(st, opt, optarg);
		if (r < 0)
			return CLI_OPT_ERROR;
		if (r == 0)
			return opt;
	}
	return -1;
}

int cli_days(const char *opt, const char *arg, int *out)
{
	char *end;
	long v = strtol(arg, &end, 10);
	if (!*arg || *end || v < 0 || v > 36500) {
		cli_fail("%s %s: expected a number of days", opt, arg);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("atscheck: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return ATS_VERDICT_UNKNOWN;
}

int cli_usage_error(const char *cmd)
{
	fprintf(stderr, "Try 'atscheck %s --help'.\n", cmd);
	return ATS_VERDICT_UNKNOWN;
}

int cli_emit(json_t *report, const cli_common *c)
{
	ats_err err = {0};
	ats_render_opts ro = {.color = c->color && !c->output};
	char host[256];
	const char *id = c->device_id;

	if (!id && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		id = host;
	}
	ats_report_stamp(report, id);
	int code = (int)json_integer_value(json_object_get(report, "exit_code"));
	/* Whatever the format, every input that could not be used gets its one line on stderr. */
	size_t i;
	json_t *p;
	json_array_foreach(json_object_get(report, "problems"), i, p)
		if (strcmp(ats_json_str(p, "severity"), "UNKNOWN") == 0)
			fprintf(stderr, "atscheck: %s\n", ats_json_str(p, "message"));
	char *out = ats_report_render(report, c->fmt, &ro, &err);
	json_decref(report);
	if (!out)
		return cli_fail("%s", err.msg);
	if (c->output) {
		if (ats_file_write_atomic(c->output, out, strlen(out), 0644, &err) != 0)
			code = cli_fail("%s", err.msg);
	} else if (fputs(out, stdout) == EOF || fflush(stdout) != 0) {
		code = cli_fail("cannot write to standard output");
	}
	free(out);
	return code;
}

static int progress_shown;

void cli_progress(const char *what, size_t done, size_t total)
{
	if (!isatty(STDERR_FILENO))
		return;
	if (total)
		fprintf(stderr, "\r%s %zu/%zu (%zu%%)\033[K", what, done, total, done * 100 / total);
	else
		fprintf(stderr, "\r%s %zu\033[K", what, done);
	progress_shown = 1;
}

void cli_progress_end(void)
{
	if (progress_shown && isatty(STDERR_FILENO))
		fputs("\r\033[K", stderr);
	progress_shown = 0;
}
