/* The atscheck command: parses options, calls the library, prints. Nothing else lives here.
 *
 * Every command describes its options as a table (cli_opt) and its positional arguments as counts
 * (cli_cmd); cli_parse reads them all, answers --help, and says every usage error in one line plus
 * a pointer to the command's --help (exit 3). Commands with subcommands hand them to cli_dispatch,
 * as main does. */
#ifndef ATS_CLI_H
#define ATS_CLI_H

#include "base/ats.h"
#include "report/report.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

/* Options every reporting command takes. */
typedef struct cli_common {
	ats_format fmt;
	const char *output; /* --output FILE (written atomically), or stdout */
	time_t now;         /* read once, here: the library never reads the clock */
	time_t at;          /* --at TIME, default now */
	const char *root;   /* --root DIR, made absolute */
	char root_buf[4096];
	const char *device_id; /* --device-id */
	bool color;
	ats_render_opts ro;    /* -w/--warning, -c/--critical: the nagios thresholds, every command */
} cli_common;

/* Every value of a repeatable option, in order; v is NULL-terminated, with room for two more. */
typedef struct cli_list {
	const char **v;
	size_t n;
} cli_list;

typedef enum cli_kind {
	CLI_FLAG,    /* bool *dest = true */
	CLI_CONST,   /* int *dest = lo */
	CLI_STR,     /* const char **dest = the value (the last given) */
	CLI_LIST,    /* cli_list *dest: every value */
	CLI_INT,     /* int *dest = a whole number from lo to hi */
	CLI_DAYS,    /* int *dest = a number of days, 0 to 36500 */
	CLI_SECONDS, /* long *dest = milliseconds, from seconds (fractions allowed) above 0, up to hi */
	CLI_ENUM,    /* int *dest = parse(value), which is negative for a bad one: "expected " expect */
	CLI_CALL,    /* fn(dest, value, buf) stores the value, or returns why it is bad */
} cli_kind;

typedef struct cli_opt {
	const char *name; /* the long name, without "--" */
	int key;          /* its short letter, or 0 */
	cli_kind kind;
	void *dest;
	long lo, hi;
	/* CLI_CALL: stores the value; for CLI_STR and CLI_LIST (when set): checks it first. Returns
	 * NULL, or why the value is bad (in buf, 256 bytes, or a constant string). */
	const char *(*fn)(void *dest, const char *value, char *buf);
	int (*parse)(const char *value); /* CLI_ENUM */
	const char *expect;              /* CLI_ENUM: the values parse takes */
	unsigned given; /* set by cli_parse: how many times it was given */
} cli_opt;

/* One command's (or subcommand's) run: its command line, and what it reports. */
typedef struct cli_cmd {
	const char *name;  /* as typed: "audit", "dha verify" */
	const char *usage; /* the --help text */
	bool bare;         /* takes none of the common options (--format, --output, --at...) */
	int min_args, max_args;
	const char *args_hint; /* fewer than min_args: what to give, e.g. "which chain? (FILE)" */
	/* Set by cli_parse: */
	cli_common c;
	char **args; /* the positional arguments */
	int nargs;
	cli_opt *opts;
	/* For the command to fill: */
	json_t *report;
	ats_err err;
} cli_cmd;

#define CLI_GO (-1)
/* Reads argv (argv[0] the command's name) into the table's destinations (opts ends with
 * {.name = NULL}) and, unless bare, the common options into cmd->c. Returns CLI_GO, or the exit code to end
 * with: 0 after --help (printed), 3 after a usage error (said). */
int cli_parse(cli_cmd *cmd, cli_opt *opts, int argc, char **argv);
/* Ends a parsed command: r != 0 says cmd->err and is UNKNOWN; else emits cmd->report. */
int cli_end(cli_cmd *cmd, int r);
/* Frees what cli_parse allocated (cli_end and cli_usage_fail call it). */
void cli_done(cli_cmd *cmd);
/* A usage error found after parsing: "atscheck: NAME: ..." and the pointer to --help; exit 3. */
int cli_usage_fail(cli_cmd *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Commands: int cmd_NAME(int argc, char **argv), argv[0] being the command's name. */
typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cli_command;

/* Runs the subcommand argv[1] names (given argv + 1). "--help" prints usage; with no subcommand
 * (none, or an option first) runs dflt with argv as it is, or says which are there. An unknown one
 * gets one line and a pointer to --help, exit 3. parent is "" at the top, else "dha" etc. */
int cli_dispatch(const char *parent, const cli_command *subs, size_t nsubs, const cli_command *dflt,
		 const char *usage, int argc, char **argv);

#define CLI_HELP_FORMAT "  --format FMT     text (default), json, prometheus, junit, nagios\n"
#define CLI_HELP_OUTPUT                                                                            \
	"  --output FILE    write the report to FILE (atomically) instead of standard output\n"
#define CLI_HELP_AT                                                                                \
	"  --at TIME        judge validity at TIME (YYYY-MM-DD[THH:MM:SSZ], @EPOCH); default now\n"
#define CLI_HELP_DAYS                                                                              \
	"  -w, --warning DAYS   nagios: WARNING when a certificate has fewer days left (default 30)\n" \
	"  -c, --critical DAYS  nagios: CRITICAL when fewer days left (default 7)\n"
#define CLI_HELP_ID                                                                                \
	"  --device-id ID   name this device in the report (default: hostname)\n" CLI_HELP_DAYS     \
	"  --help           this help\n"
#define CLI_COMMON_HELP                                                                            \
	CLI_HELP_FORMAT CLI_HELP_OUTPUT CLI_HELP_AT                                                \
	"  --root DIR       look at an unbooted image under DIR instead of this machine\n" CLI_HELP_ID

/* The trust stores a command is pointed at: --bundle FILE... --capath DIR... --sdk-config FILE...
 * (several SDK configs are merged in order, as the SDK's SampleApp merges its -C files). */
typedef struct cli_stores {
	cli_list bundles, capaths, sdk_configs;
} cli_stores;
#define CLI_OPTS_STORES(s)                                                                         \
	{.name = "bundle", .kind = CLI_LIST, .dest = &(s)->bundles},                               \
	{.name = "capath", .kind = CLI_LIST, .dest = &(s)->capaths},                               \
	{.name = "sdk-config", .kind = CLI_LIST, .dest = &(s)->sdk_configs}

/* CLI_CALL for --libcurl FILE: loads that libcurl instead of the system's (before anything loads
 * one); NULL, or why the file is not a usable libcurl. */
const char *cli_libcurl(void *dest, const char *value, char *buf);
#define CLI_OPT_LIBCURL {.name = "libcurl", .kind = CLI_CALL, .fn = cli_libcurl}

/* Renders the report in the chosen format and writes it; returns the report's exit code, or 3 when
 * it could not be written. Takes ownership of report. */
int cli_emit(json_t *report, const cli_common *c);
/* Writes a rendered report where --output says; returns code, or 3 when it could not. */
int cli_write(const char *text, const cli_common *c, int code);
/* One line on stderr, "atscheck: ...", and the UNKNOWN exit code. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Shows progress on one updating stderr line, only when stderr is a terminal. */
void cli_progress(const char *what, size_t done, size_t total);
void cli_progress_end(void);
/* The number of cores, for --jobs' default (1 when unknown, at most max). */
int cli_cores(int max);

int cmd_audit(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_chain(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_selftest(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dha(int argc, char **argv);
int cmd_dak(int argc, char **argv);
int cmd_install(int argc, char **argv);

#endif
