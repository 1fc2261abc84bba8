/* The one option parser: every command's options are a table read here, and every usage error is
 * said here, in one line with a pointer to the command's --help. */
#include "cli.h"

#include "base/util.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEY_BASE 1000 /* getopt's value for a long-only option: KEY_BASE + its index */
#define KEY_HELP 999

static void common_init(cli_common *c)
{
	memset(c, 0, sizeof(*c));
	c->fmt = ATS_FMT_TEXT;
	c->now = time(NULL);
	c->at = c->now;
	c->ro.warn_days = 30;
	c->ro.crit_days = 7;
	const char *nc = getenv("NO_COLOR");
	c->color = isatty(STDOUT_FILENO) && !(nc && *nc);
}

static const char *opt_at(void *cv, const char *v, char *buf)
{
	(void)buf;
	cli_common *c = cv;
	ats_err err = {0};
	if (ats_time_parse(v, c->now, &c->at, &err) != 0)
		return "expected YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ, @EPOCH or now";
	return NULL;
}

static const char *opt_root(void *cv, const char *v, char *buf)
{
	(void)buf;
	cli_common *c = cv;
	if (!realpath(v, c->root_buf))
		return "no such directory";
	c->root = strcmp(c->root_buf, "/") == 0 ? NULL : c->root_buf;
	return NULL;
}

static const cli_opt common_opts[] = {
	{.name = "format",
	 .kind = CLI_ENUM,
	 .parse = ats_format_parse,
	 .expect = "text, json, prometheus, junit, nagios, markdown or html"},
	{.name = "output", .kind = CLI_STR},
	{.name = "at", .kind = CLI_CALL, .fn = opt_at},
	{.name = "root", .kind = CLI_CALL, .fn = opt_root},
	{.name = "device-id", .kind = CLI_STR},
	/* The nagios thresholds: every reporting command can be a Nagios plugin. */
	{.name = "warning", .key = 'w', .kind = CLI_DAYS},
	{.name = "critical", .key = 'c', .kind = CLI_DAYS},
};
#define NCOMMON (sizeof(common_opts) / sizeof(common_opts[0]))

static int hint(const char *name)
{
	fprintf(stderr, "Try 'atscheck %s --help'.\n", name);
	return ATS_VERDICT_UNKNOWN;
}

int cli_usage_fail(cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	char line[1024];
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cli_fail("%s: %s", cmd->name, line); /* redacted: a mistyped option may hold a password */
	cli_done(cmd);
	return hint(cmd->name);
}

static const char *number(const cli_opt *o, const char *v, char *buf)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	long lo = o->kind == CLI_DAYS ? 0 : o->lo, hi = o->kind == CLI_DAYS ? 36500 : o->hi;
	if (!*v || *end || errno || n < lo || n > hi) {
		if (o->kind == CLI_DAYS)
			return "expected a number of days";
		snprintf(buf, 256, "expected a number from %ld to %ld", lo, hi);
		return buf;
	}
	*(int *)o->dest = (int)n;
	return NULL;
}

static const char *seconds(const cli_opt *o, const char *v, char *buf)
{
	char *end;
	errno = 0;
	double s = strtod(v, &end);
	if (errno || *end || end == v || !(s > 0) || s > (double)o->hi) {
		snprintf(buf, 256, "expected a number of seconds (up to %ld)", o->hi);
		return buf;
	}
	long ms = (long)(s * 1000);
	*(long *)o->dest = ms < 1 ? 1 : ms;
	return NULL;
}

/* Stores one value; NULL, or why it is bad. */
static const char *take(cli_opt *o, const char *v, char *buf)
{
	const char *why = NULL;
	o->given++;
	switch (o->kind) {
	case CLI_FLAG: *(bool *)o->dest = true; break;
	case CLI_CONST: *(int *)o->dest = (int)o->lo; break;
	case CLI_INT:
	case CLI_DAYS: why = number(o, v, buf); break;
	case CLI_SECONDS: why = seconds(o, v, buf); break;
	case CLI_CALL: why = o->fn(o->dest, v, buf); break;
	case CLI_ENUM:
		if ((*(int *)o->dest = o->parse(v)) < 0) {
			snprintf(buf, 256, "expected %s", o->expect);
			why = buf;
		}
		break;
	case CLI_STR:
	case CLI_LIST:
		if (o->fn && (why = o->fn(o->dest, v, buf)) != NULL)
			break;
		if (o->kind == CLI_STR) {
			*(const char **)o->dest = v;
		} else {
			cli_list *l = o->dest;
			l->v[l->n++] = v;
		}
		break;
	}
	return why;
}

void cli_done(cli_cmd *cmd)
{
	for (cli_opt *o = cmd->opts; o && o->name; o++)
		if (o->kind == CLI_LIST) {
			cli_list *l = o->dest;
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	cmd->opts = NULL;
}

int cli_end(cli_cmd *cmd, int r)
{
	cli_done(cmd);
	if (r != 0) {
		json_decref(cmd->report);
		return cli_fail("%s", cmd->err.msg[0] ? cmd->err.msg : "failed");
	}
	return cli_emit(cmd->report, &cmd->c);
}

/* The common options, pointed at cmd's own cli_common. */
static void common_table(cli_cmd *cmd, cli_opt *t)
{
	memcpy(t, common_opts, sizeof(common_opts));
	t[0].dest = &cmd->c.fmt;
	t[2].dest = t[3].dest = &cmd->c;
	t[1].dest = &cmd->c.output;
	t[4].dest = &cmd->c.device_id;
	t[5].dest = &cmd->c.ro.warn_days;
	t[6].dest = &cmd->c.ro.crit_days;
}

int cli_parse(cli_cmd *cmd, cli_opt *opts, int argc, char **argv)
{
	size_t n = 0, ncommon = cmd->bare ? 0 : NCOMMON;
	while (opts[n].name)
		n++;
	cli_opt common[NCOMMON];
	struct option *lo = calloc(n + ncommon + 2, sizeof(*lo)); /* + --help, + the end */
	char *shortopts = calloc(2 * (n + ncommon) + 2, 1), *sp = shortopts;
	int rc = CLI_GO, opt;
	char buf[256];

	cmd->opts = opts;
	common_init(&cmd->c);
	common_table(cmd, common);
	if (!lo || !shortopts) {
		rc = cli_fail("%s: out of memory", cmd->name);
		goto out;
	}
	*sp++ = ':'; /* a missing value is reported here, not by getopt */
	for (size_t i = 0; i < n + ncommon; i++) {
		cli_opt *o = i < n ? &opts[i] : &common[i - n];
		bool has_arg = o->kind != CLI_FLAG && o->kind != CLI_CONST;
		lo[i] = (struct option){o->name, has_arg ? required_argument : no_argument, NULL,
					(int)(KEY_BASE + i)};
		if (o->key) {
			*sp++ = (char)o->key;
			if (has_arg)
				*sp++ = ':';
		}
		o->given = 0;
		bool shared = false; /* two names of one list (--bundle, --cacert): one allocation */
		for (size_t j = 0; j < i && j < n && o->kind == CLI_LIST; j++)
			shared |= opts[j].kind == CLI_LIST && opts[j].dest == o->dest;
		if (o->kind == CLI_LIST && !shared) {
			cli_list *l = o->dest;
			l->n = 0; /* two options may share one list (check: --cacert and --bundle) */
			if (!l->v && !(l->v = calloc((size_t)argc + 3, sizeof(char *)))) {
				rc = cli_fail("%s: out of memory", cmd->name);
				goto out;
			}
		}
	}
	lo[n + ncommon] = (struct option){"help", no_argument, NULL, KEY_HELP};
	optind = 1;
	opterr = 0;
	while (rc == CLI_GO && (opt = getopt_long(argc, argv, shortopts, lo, NULL)) != -1) {
		if (opt == KEY_HELP) {
			fputs(cmd->usage, stdout);
			rc = 0;
		} else if (opt == '?' || opt == ':') {
			const char *bad = argv[optind - 1];
			rc = opt == ':' ? cli_usage_fail(cmd, "%s needs a value", bad)
					: cli_usage_fail(cmd, "'%s' is not an option here", bad);
		} else {
			size_t i = (size_t)opt - KEY_BASE;
			if (opt < KEY_BASE)
				for (i = 0; i < n + ncommon; i++)
					if ((i < n ? &opts[i] : &common[i - n])->key == opt)
						break;
			cli_opt *o = i < n ? &opts[i] : &common[i - n];
			const char *why = take(o, optarg, buf);
			if (why)
				rc = cli_fail("--%s %s: %s", o->name, optarg, why);
		}
	}
	if (rc == CLI_GO) {
		cmd->c.ro.days_set = ncommon && common[5].given + common[6].given > 0;
		cmd->args = argv + optind;
		cmd->nargs = argc - optind;
		if (cmd->nargs > cmd->max_args)
			rc = cli_usage_fail(cmd, "unexpected argument '%s'",
					    argv[optind + cmd->max_args]);
		else if (cmd->nargs < cmd->min_args)
			rc = cli_usage_fail(cmd, "%s", cmd->args_hint);
	}
out:
	if (rc != CLI_GO)
		cli_done(cmd);
	free(lo);
	free(shortopts);
	return rc;
}

int cli_dispatch(const char *parent, const cli_command *subs, size_t nsubs, const cli_command *dflt,
		 const char *usage, int argc, char **argv)
{
	const char *sub = argc >= 2 ? argv[1] : NULL;
	const char *sp = *parent ? " " : "";
	if (sub &&
	    (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0)) {
		fputs(usage, stdout);
		return 0;
	}
	if (!sub || sub[0] == '-') {
		if (dflt) {
			argv[0] = (char *)dflt->name;
			return dflt->run(argc, argv);
		}
		fprintf(stderr, "atscheck: %s: which command?", parent);
		for (size_t i = 0; i < nsubs; i++)
			fprintf(stderr, "%s%s", i ? ", " : " (", subs[i].name);
		fputs(")\n", stderr);
		return hint(parent);
	}
	for (size_t i = 0; i < nsubs; i++)
		if (strcmp(sub, subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	fprintf(stderr, "atscheck: '%s' is not a%s%s command. See 'atscheck%s%s --help'.\n", sub,
		sp, parent, sp, parent);
	return ATS_VERDICT_UNKNOWN;
}
