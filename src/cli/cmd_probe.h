/* The probe's options, shared by `atscheck probe` and `atscheck check`. */
#ifndef ATS_CMD_PROBE_H
#define ATS_CMD_PROBE_H

#include "cli.h"

#include "probe/probe.h"

typedef struct probe_cli {
	ats_probe_opts o;
	cli_list resolve;
	const char *lab_file;
	ats_lab_roots *lab;
	bool ats_roots, require_revocation; /* probe --ats-roots, check --ats-roots */
	int port;                           /* the test hosts' port; 0: 443 */
} probe_cli;

const char *probe_cli_resolve(void *dest, const char *v, char *buf);
/* The options both take; --cacert and --capath are each command's own (probe: one store, check:
 * every one given is audited). */
#define PROBE_OPTS(p)                                                                              \
	{.name = "endpoint", .kind = CLI_STR, .dest = &(p)->o.url},                                \
	{.name = "http2", .kind = CLI_FLAG, .dest = &(p)->o.http2},                                \
	{.name = "http1.1", .kind = CLI_FLAG, .dest = &(p)->o.http11},                             \
	{.name = "resolve", .kind = CLI_LIST, .dest = &(p)->resolve, .fn = probe_cli_resolve},    \
	{.name = "timeout", .kind = CLI_SECONDS, .dest = &(p)->o.timeout_ms, .hi = 3600},          \
	{.name = "proxy", .kind = CLI_STR, .dest = &(p)->o.proxy},                                 \
	{.name = "save-chain", .kind = CLI_STR, .dest = &(p)->o.save_chain},                       \
	{.name = "lab-roots", .kind = CLI_STR, .dest = &(p)->lab_file},                           \
	CLI_OPT_LIBCURL,                                                                        \
	{.name = "ats-roots", .kind = CLI_FLAG, .dest = &(p)->ats_roots},                          \
	{.name = "port", .kind = CLI_INT, .dest = &(p)->port, .lo = 1, .hi = 65535},               \
	{.name = "require-revocation", .kind = CLI_FLAG, .dest = &(p)->require_revocation}

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
	"  --lab-roots FILE   count these CA certificates as ATS roots too (a lab's own PKI)\n"     \
	"  --libcurl FILE     probe (and take the CA defaults) through this libcurl, e.g. the one an\n" \
	"                     AVS SDK build links (/usr/local/lib/libcurl.so.4, libcurl-gnutls)\n" \
	"  --ats-roots        probe Amazon Trust Services' 15 test hosts instead: good., expired.\n" \
	"                     and revoked.scaNa.amazontrust.com (N=0..4), all at once; a matrix per\n" \
	"                     root and key type\n"                                                  \
	"  --port N           with --ats-roots: the test hosts' port (default 443)\n"             \
	"  --require-revocation  with --ats-roots: a revoked chain not noticed is CRITICAL\n"

/* Checks the options once all are read (files exist, lab roots load); an ATS_E* code when bad. */
int probe_cli_finish(probe_cli *p, const cli_common *c, ats_err *err);
void probe_cli_free(probe_cli *p);

#endif
