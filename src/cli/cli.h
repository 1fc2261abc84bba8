/* The atscheck command: parses options, calls the library, prints. Nothing else lives here. */
#ifndef ATS_CLI_H
#define ATS_CLI_H

#include "base/ats.h"
#include "report/report.h"

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

/* Options every reporting command takes. */
typedef struct cli_common {
	ats_format fmt;
	const char *output;    /* --output FILE (written atomically), or stdout */
	time_t now;            /* read once, here: the library never reads the clock */
	time_t at;             /* --at TIME, default now */
	const char *root;      /* --root DIR, made absolute */
	char root_buf[4096];
	const char *device_id; /* --device-id */
	bool color;
} cli_common;

enum {
	CLI_OPT_FORMAT = 1000,
	CLI_OPT_OUTPUT,
	CLI_OPT_AT,
	CLI_OPT_ROOT,
	CLI_OPT_DEVICE_ID,
	CLI_OPT_HELP,
	CLI_OPT_BUNDLE,
	CLI_OPT_CAPATH,
	CLI_OPT_SDK_CONFIG,
	CLI_OPT_ERROR,     /* cli_getopt: an option's value was bad (already said) */
	CLI_OPT_FIRST_OWN, /* commands number their own long-only options from here */
};

#define CLI_COMMON_LONGOPTS                                                                       \
	{"format", required_argument, NULL, CLI_OPT_FORMAT},                                      \
	{"output", required_argument, NULL, CLI_OPT_OUTPUT},                                      \
	{"at", required_argument, NULL, CLI_OPT_AT}, {"root", required_argument, NULL, CLI_OPT_ROOT}, \
	{"device-id", required_argument, NULL, CLI_OPT_DEVICE_ID},                                \
	{"help", no_argument, NULL, CLI_OPT_HELP}

#define CLI_COMMON_HELP                                                                           \
	"  --format FMT     text (default), json, prometheus, junit, nagios\n"                        \
	"  --output FILE    write the report to FILE (atomically) instead of standard output\n"     \
	"  --at TIME        judge validity at TIME (YYYY-MM-DD[THH:MM:SSZ], @EPOCH); default now\n" \
	"  --root DIR       look at an unbooted image under DIR instead of this machine\n"          \
	"  --device-id ID   name this device in the report (default: hostname)\n"                   \
	"  --help           this help\n"

/* The trust stores a command is pointed at: --bundle FILE... --capath DIR... --sdk-config FILE...
 * (several SDK configs are merged in order, as the SDK's SampleApp merges its -C files). */
typedef struct cli_stores {
	const char **bundles, **capaths, **sdk_configs; /* NULL-terminated */
	size_t nb, nc, ns;
} cli_stores;

#define CLI_STORE_LONGOPTS                                                                        \
	{"bundle", required_argument, NULL, CLI_OPT_BUNDLE},                                      \
	{"capath", required_argument, NULL, CLI_OPT_CAPATH},                                      \
	{"sdk-config", required_argument, NULL, CLI_OPT_SDK_CONFIG}

int cli_stores_init(cli_stores *s, int argc); /* -1 when out of memory */
/* Handles a store option; returns 1 when it was one, 0 when not. */
int cli_stores_opt(cli_stores *s, int opt, const char *arg);
void cli_stores_free(cli_stores *s);
/* "--warn-days N" and the like: a number of days, 0..36500; -1 (printed) when it is not. */
int cli_days(const char *opt, const char *arg, int *out);

/* getopt_long that takes the common options (and the store options when st is not NULL) itself
 * and returns the next option the command handles: -1 at the end, CLI_OPT_ERROR after a bad
 * value (already printed). */
int cli_getopt(cli_common *c, cli_stores *st, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

void cli_common_init(cli_common *c);
/* Handles a common option; returns 1 when it was one, 0 when not, -1 on a bad value (printed). */
int cli_common_opt(cli_common *c, int opt, const char *arg);
/* Renders the report in the chosen format and writes it; returns the report's exit code, or 3
 * when it could not be written. Takes ownership of report. */
int cli_emit(json_t *report, const cli_common *c);
/* One line on stderr, "atscheck: ...", and the UNKNOWN exit code. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For getopt's '?' and stray arguments: the command's usage hint, exit 3. */
int cli_usage_error(const char *cmd);
/* Shows progress on one updating stderr line, only when stderr is a terminal. */
void cli_progress(const char *what, size_t done, size_t total);
void cli_progress_end(void);

/* Commands: int cmd_NAME(int argc, char **argv), argv[0] being the command's name. */
typedef struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} cli_command;

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
