/* The probe's options, shared by `atscheck probe` and `atscheck check`. */
#ifndef ATS_CMD_PROBE_H
#define ATS_CMD_PROBE_H

#include "cli.h"

#include "probe/probe.h"

enum {
	PROBE_OPT_ENDPOINT = CLI_OPT_FIRST_OWN + 50,
	PROBE_OPT_HTTP2,
	PROBE_OPT_HTTP11,
	PROBE_OPT_CACERT,
	PROBE_OPT_CAPATH,
	PROBE_OPT_RESOLVE,
	PROBE_OPT_TIMEOUT,
	PROBE_OPT_PROXY,
	PROBE_OPT_SAVE_CHAIN,
	PROBE_OPT_LAB_ROOTS,
	PROBE_OPT_LIBCURL,
};

#define PROBE_LONGOPTS                                                                            \
	{"endpoint", required_argument, NULL, PROBE_OPT_ENDPOINT},                                \
	{"http2", no_argument, NULL, PROBE_OPT_HTTP2},                                            \
	{"http1.1", no_argument, NULL, PROBE_OPT_HTTP11},                                         \
	{"cacert", required_argument, NULL, PROBE_OPT_CACERT},                                    \
	{"capath", required_argument, NULL, PROBE_OPT_CAPATH},                                    \
	{"resolve", required_argument, NULL, PROBE_OPT_RESOLVE},                                  \
	{"timeout", required_argument, NULL, PROBE_OPT_TIMEOUT},                                  \
	{"proxy", required_argument, NULL, PROBE_OPT_PROXY},                                      \
	{"save-chain", required_argument, NULL, PROBE_OPT_SAVE_CHAIN},                            \
	{"lab-roots", required_argument, NULL, PROBE_OPT_LAB_ROOTS},                              \
	{"libcurl", required_argument, NULL, PROBE_OPT_LIBCURL}

#define PROBE_HELP                                                                                \
	"  --endpoint URL     the endpoint (default " ATS_PROBE_DEFAULT_URL ")\n"                  \
	"  --http2            only the HTTP/2 probe\n"                                              \
	"  --http1.1          only the HTTP/1.1 probe\n"                                            \
	"  --cacert FILE      trust this CA bundle (default: the store this device's libcurl uses)\n" \
	"  --capath DIR       trust this hashed CA directory (beside libcurl's default CA file)\n"  \
	"  --resolve H:P:A    connect to address A for host H and port P, as curl does (repeatable)\n" \
	"  --timeout SECONDS  give up after this long (default 10)\n"                               \
	"  --proxy URL        go through this proxy (https_proxy / no_proxy are honoured anyway)\n" \
	"  --save-chain FILE  write the chain the server sent (PEM), for atscheck chain\n"          \
	"  --lab-roots FILE   count these CA certificates as ATS roots too (a lab's own PKI)\n"    \
	"  --libcurl FILE     probe (and take the CA defaults) through this libcurl, e.g. the one an\n" \
	"                     AVS SDK build links (/usr/local/lib/libcurl.so.4, libcurl-gnutls)\n"

typedef struct probe_cli {
	ats_probe_opts o;
	const char **resolve; /* NULL-terminated, argc+1 slots */
	size_t nresolve;
	const char *lab_file;
	ats_lab_roots *lab;
} probe_cli;

/* Prepares p for argc options. Returns -1 when out of memory. */
int probe_cli_init(probe_cli *p, int argc);
/* Handles a probe option: 1 when it was one, 0 when not, -1 on a bad value (printed). */
int probe_cli_opt(probe_cli *p, int opt, const char *arg);
/* Checks the options once all are read (files exist, lab roots load); -1 when bad (printed). */
int probe_cli_finish(probe_cli *p, const cli_common *c);
void probe_cli_free(probe_cli *p);

#endif
