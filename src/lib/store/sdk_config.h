/* An AVS Device SDK configuration (AlexaClientSDKConfig.json), read as the SDK reads it:
 * - JSON with // and block comments outside strings (RapidJSON's kParseCommentsFlag, as in the
 *   SDK's ConfigurationNode.cpp); line numbers in errors are the file's own;
 * - several files merged in order, object by object, a later value replacing an earlier one
 *   (ConfigurationNode::initialize, as the SampleApp does with its -C files);
 * - the SDK's keys at the top level, or the Auto SDK's nested form
 *   {"aace.alexa": {"avsDeviceSDK": {...}}} (that object then is the file's SDK view).
 * From the merged view it takes what decides whether the device reaches AVS: the one trust
 * setting the SDK applies (libcurlUtils.CURLOPT_CAPATH, added to libcurl's compiled-in CA file;
 * the SDK never sets CURLOPT_CAINFO), libcurlUtils.verifyHostsAndPeers, and the gateway
 * (avsGatewayManager.avsGateway, else sampleApp.endpoint of older SDKs, else the SDK's default).
 * The merged view holds the config's secrets: nothing from it goes to output except through
 * base/redact.h. */
#ifndef ATS_SDK_CONFIG_H
#define ATS_SDK_CONFIG_H

#include "base/ats.h"

#include <jansson.h>
#include <stdbool.h>

#define ATS_SDK_DEFAULT_GATEWAY "https://alexa.na.gateway.devices.a2z.com"
#define ATS_SDK_MAX_FILES 32               /* --sdk-config given more often is bad usage */
#define ATS_SDK_MAX_BYTES (4u * 1024 * 1024) /* real configs are ~20 KB */

/* Replaces every comment outside strings by spaces, in place, keeping each newline so a JSON
 * parser's line numbers stay the file's. An unterminated block comment is ATS_EPARSE with the
 * line it starts on in *line (and err naming label and that line). */
int ats_jsonc_strip(char *text, size_t len, const char *label, int *line, ats_err *err);

/* Parses commented JSON (as above) into an object. A text that is not JSON even with comments
 * is ATS_EPARSE, err naming label and the line (never quoting the text: it may be a secret). */
int ats_jsonc_parse(const char *text, size_t len, const char *label, json_t **out, int *line,
		    ats_err *err);

/* Merges the object in into the object out as the SDK does: a key in both whose values are
 * both objects is merged the same way, any other value of in replaces the one in out. */
int ats_sdk_merge(json_t *out, const json_t *in);

typedef struct ats_sdk_config {
	json_t *merged;           /* the SDK's merged view (secrets included: never print it) */
	json_t *files;            /* ["path", ...] in the order merged */
	json_t *problems;         /* [{"severity","file","key"?,"line"?,"message","fix"}] */
	bool auto_sdk;            /* some file used the nested "aace.alexa" form */
	bool libcurl_utils;       /* some file has a "libcurlUtils" object */
	const char *capath;       /* libcurlUtils.CURLOPT_CAPATH (a string), or NULL */
	const char *capath_file;  /* the file it came from */
	const char *cainfo_file;  /* a file that sets CURLOPT_CAINFO (not read by the SDK), or NULL */
	bool verify_off;          /* libcurlUtils.verifyHostsAndPeers is false */
	const char *verify_file;
	char gateway[1024];       /* the gateway the SDK connects to (to probe; may hold userinfo) */
	char gateway_shown[1024]; /* the same for output, its password redacted */
	const char *gateway_key;  /* "avsGatewayManager.avsGateway", "sampleApp.endpoint", "default" */
	const char *gateway_file; /* NULL for the default */
	bool gateway_bad;         /* the configured gateway is not an https URL (see problems) */
} ats_sdk_config;

/* Reads and merges files (NULL-terminated, image paths under root when root is set). Fails only
 * for bad usage (no file, too many) or out of memory: a file that cannot be read or parsed, or a
 * value of the wrong kind, is a problem in the result (UNKNOWN), the rest still read. */
int ats_sdk_config_load(const char *root, const char *const *files, ats_sdk_config **out,
			ats_err *err);
void ats_sdk_config_free(ats_sdk_config *c);

/* Whether url is an https URL with a host (and at most a valid port); why not in err. */
bool ats_sdk_gateway_valid(const char *url, const char **why);

#endif
