#include "store/sdk_config.h"

#include "base/redact.h"
#include "base/rootfs.h"
#include "base/util.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int ats_jsonc_strip(char *t, size_t len, const char *label, int *line, ats_err *err)
{
	int ln = 1, start = 0;
	size_t i = 0;
	enum { CODE, STRING, LINE_COMMENT, BLOCK_COMMENT } st = CODE;

	for (i = 0; i < len; i++) {
		char c = t[i];
		switch (st) {
		case CODE:
			if (c == '"')
				st = STRING;
			else if (c == '/' && i + 1 < len && t[i + 1] == '/')
				st = LINE_COMMENT, t[i] = ' ', t[++i] = ' ';
			else if (c == '/' && i + 1 < len && t[i + 1] == '*')
				st = BLOCK_COMMENT, start = ln, t[i] = ' ', t[++i] = ' ';
			/* A lone '/' stays: the parser then says where it is. */
			break;
		case STRING:
			if (c == '\\' && i + 1 < len && t[i + 1] != '\n')
				i++; /* the escaped character cannot end the string */
			else if (c == '"' || c == '\n')
				st = CODE; /* a newline: the parser reports the broken string */
			break;
		case LINE_COMMENT:
			if (c == '\n')
				st = CODE;
			else
				t[i] = ' ';
			break;
		case BLOCK_COMMENT:
			if (c == '*' && i + 1 < len && t[i + 1] == '/') {
				t[i] = ' ', t[++i] = ' ';
				st = CODE;
			} else if (c != '\n' && c != '\r') {
				t[i] = ' ';
			}
			break;
		}
		if (c == '\n')
			ln++;
	}
	if (st == BLOCK_COMMENT) {
		if (line)
			*line = start;
		return ats_err_set(err, ATS_EPARSE, "%s: line %d: a /* comment that never ends", label,
				   start);
	}
	return 0;
}

int ats_jsonc_parse(const char *text, size_t len, const char *label, json_t **out, int *line,
		    ats_err *err)
{
	char *buf = malloc(len + 1), why[160];
	json_error_t je;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	if (line)
		*line = 0;
	if (!buf)
		return ats_err_set(err, ATS_ENOMEM, "%s: out of memory", label);
	memcpy(buf, text, len);
	buf[len] = '\0';
	if ((rc = ats_jsonc_strip(buf, len, label, line, err)) != 0)
		goto out;
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j && strstr(je.text, "duplicate object key")) {
		/* RapidJSON takes duplicates; which one the SDK then uses depends on where it is. */
		if (line)
			*line = je.line;
		rc = ats_err_set(err, ATS_EPARSE, "%s: line %d: a key given twice in one object (the "
				 "SDK would use one of them; atscheck cannot tell which)", label, je.line);
		goto out;
	}
	if (!j) {
		ats_redact_parse_error(je.text, why, sizeof(why));
		if (line)
			*line = je.line;
		/* Comments are blanked, not cut: the line and column are the file's own. */
		rc = ats_err_set(err, ATS_EPARSE,
				 "%s: not valid JSON at line %d column %d (comments allowed): %s", label,
				 je.line, je.column, why);
		goto out;
	}
	if (!json_is_object(j)) {
		rc = ats_err_set(err, ATS_EPARSE, "%s: the top level is not a JSON object", label);
		goto out;
	}
	*out = j;
	j = NULL;
	rc = 0;
out:
	json_decref(j);
	ats_wipe(buf, len);
	free(buf);
	return rc;
}

int ats_sdk_merge(json_t *out, const json_t *in)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v) {
		json_t *o = json_object_get(out, k);
		if (o && json_is_object(o) && json_is_object(v)) {
			if (ats_sdk_merge(o, v) != 0)
				return -1;
		} else if (json_object_set_new(out, k, json_deep_copy(v)) != 0) {
			return -1;
		}
	}
	return 0;
}

bool ats_sdk_gateway_valid(const char *url, const char **why)
{
	const char *p;
	if (strncasecmp(url, "https://", 8) != 0) {
		*why = strstr(url, "://") ? "must be https:// (AVS is TLS only)" : "not a URL";
		return false;
	}
	p = url + 8;
	const char *at = strchr(p, '@'), *end = p + strcspn(p, "/?#");
	if (at && at < end)
		p = at + 1;
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close > end || close == p + 1) {
			*why = "not a URL (a bracketed address that does not close)";
			return false;
		}
		p = close + 1;
	} else {
		const char *h = p;
		while (p < end && (isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_'))
			p++;
		if (p == h) {
			*why = "not a URL (no host)";
			return false;
		}
	}
	if (p < end && *p == ':') {
		char *e;
		long port = strtol(p + 1, &e, 10);
		if (e == p + 1 || e != end || port < 1 || port > 65535) {
			*why = "not a URL (a port that is not 1-65535)";
			return false;
		}
		p = e;
	}
	if (p != end) {
		*why = "not a URL (a character a host cannot have)";
		return false;
	}
	return true;
}

static void problem(ats_sdk_config *c, ats_verdict sev, const char *cause, const char *file,
		    const char *key, int line, const char *msg, const char *fix)
{
	json_t *p = json_pack("{s:s, s:s, s:s, s:s}", "severity", ats_verdict_name(sev), "cause",
			      cause, "message", msg, "fix", fix);
	if (!p)
		return;
	if (file)
		json_object_set_new(p, "file", json_string(file));
	if (key)
		json_object_set_new(p, "key", json_string(key));
	if (line > 0)
		json_object_set_new(p, "line", json_integer(line));
	json_array_append_new(c->problems, p);
}

/* The value at "a.b" in one file's SDK view, or NULL. */
static json_t *at_path(json_t *view, const char *obj, const char *key)
{
	json_t *o = json_object_get(view, obj);
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

/* The last file (in merge order) that has obj.key: the one the merged value came from. */
static const char *origin(ats_sdk_config *c, json_t *views, const char *obj, const char *key)
{
	const char *f = NULL;
	for (size_t i = 0; i < json_array_size(views); i++)
		if (at_path(json_array_get(views, i), obj, key))
			f = json_string_value(json_array_get(c->files, i));
	return f;
}

/* The file's SDK view: its "aace.alexa" "avsDeviceSDK" object in the Auto SDK's form, else the
 * file itself. */
static json_t *sdk_view(ats_sdk_config *c, json_t *doc)
{
	json_t *aace = json_object_get(doc, "aace.alexa");
	json_t *nested = json_is_object(aace) ? json_object_get(aace, "avsDeviceSDK") : NULL;
	if (json_is_object(nested)) {
		c->auto_sdk = true;
		return nested;
	}
	return doc;
}

static void judge(ats_sdk_config *c, json_t *views)
{
	char msg[2048];
	json_t *lu = json_object_get(c->merged, "libcurlUtils"), *v;
	const char *f;

	c->libcurl_utils = json_is_object(lu);
	if ((v = json_object_get(lu, "CURLOPT_CAPATH"))) {
		f = origin(c, views, "libcurlUtils", "CURLOPT_CAPATH");
		if (json_is_string(v) && json_string_length(v) > 0) {
			c->capath = json_string_value(v);
			c->capath_file = f;
		} else {
			snprintf(msg, sizeof(msg), "%s: libcurlUtils.CURLOPT_CAPATH is %s: the SDK ignores "
				 "it and uses libcurl's default CA path", f,
				 json_is_string(v) ? "empty" : "not a string");
			problem(c, ATS_VERDICT_UNKNOWN, "sdk-config-value", f, "libcurlUtils.CURLOPT_CAPATH",
				0, msg, "make it the path of a hashed CA folder (openssl rehash), or remove it");
		}
	}
	if ((v = json_object_get(lu, "CURLOPT_CAINFO"))) {
		c->cainfo_file = origin(c, views, "libcurlUtils", "CURLOPT_CAINFO");
		snprintf(msg, sizeof(msg), "%s: libcurlUtils.CURLOPT_CAINFO is not read by the AVS Device "
			 "SDK (only CURLOPT_CAPATH is): the device uses libcurl's compiled-in CA file",
			 c->cainfo_file);
		problem(c, ATS_VERDICT_WARNING, "sdk-cainfo-ignored", c->cainfo_file,
			"libcurlUtils.CURLOPT_CAINFO", 0, msg,
			"put the CAs in a hashed folder and name it in libcurlUtils.CURLOPT_CAPATH");
	}
	if ((v = json_object_get(lu, "verifyHostsAndPeers")) && json_is_false(v)) {
		c->verify_off = true;
		c->verify_file = origin(c, views, "libcurlUtils", "verifyHostsAndPeers");
	}

	/* The gateway, as AVSGatewayManager picks it (an empty string means the default). */
	json_t *gw = json_object_get(json_object_get(c->merged, "avsGatewayManager"), "avsGateway");
	json_t *ep = json_object_get(json_object_get(c->merged, "sampleApp"), "endpoint");
	const char *url = NULL;
	c->gateway_key = "default";
	if (gw && !(json_is_string(gw) && json_string_length(gw) == 0)) {
		c->gateway_key = "avsGatewayManager.avsGateway";
		c->gateway_file = origin(c, views, "avsGatewayManager", "avsGateway");
		url = json_string_value(gw);
	} else if (ep && !gw) {
		c->gateway_key = "sampleApp.endpoint";
		c->gateway_file = origin(c, views, "sampleApp", "endpoint");
		url = json_string_value(ep);
	}
	if (strcmp(c->gateway_key, "default") != 0) {
		const char *why = "not a string";
		if (url && ats_sdk_gateway_valid(url, &why) && strlen(url) < sizeof(c->gateway)) {
			snprintf(c->gateway, sizeof(c->gateway), "%s", url);
		} else {
			if (url && strlen(url) >= sizeof(c->gateway))
				why = "too long";
			c->gateway_bad = true;
			snprintf(msg, sizeof(msg), "%s: %s: %s", c->gateway_file, c->gateway_key, why);
			problem(c, ATS_VERDICT_UNKNOWN, "sdk-config-value", c->gateway_file, c->gateway_key,
				0, msg, "make it the https:// URL of your region's AVS gateway "
				"(" ATS_SDK_DEFAULT_GATEWAY " in North America)");
		}
	} else {
		snprintf(c->gateway, sizeof(c->gateway), "%s", ATS_SDK_DEFAULT_GATEWAY);
	}
	ats_redact_url(c->gateway, c->gateway_shown, sizeof(c->gateway_shown));
}

int ats_sdk_config_load(const char *root, const char *const *files, ats_sdk_config **out,
			ats_err *err)
{
	ats_sdk_config *c = calloc(1, sizeof(*c));
	json_t *views = json_array();
	size_t n = 0;

	*out = NULL;
	while (files && files[n])
		n++;
	if (!c || !views || !(c->merged = json_object()) || !(c->files = json_array()) ||
	    !(c->problems = json_array())) {
		json_decref(views);
		ats_sdk_config_free(c);
		return ats_err_set(err, ATS_ENOMEM, "out of memory");
	}
	if (n == 0 || n > ATS_SDK_MAX_FILES) {
		json_decref(views);
		ats_sdk_config_free(c);
		return ats_err_set(err, ATS_EUSAGE, "%zu AVS SDK config files: give 1 to %d", n,
				   ATS_SDK_MAX_FILES);
	}
	for (size_t i = 0; i < n; i++) {
		char host[PATH_MAX];
		unsigned char *data = NULL;
		size_t len = 0;
		int line = 0;
		ats_err e = {0};
		json_t *doc = NULL;

		json_array_append_new(c->files, json_string(files[i]));
		if (ats_root_path(root, files[i], host, sizeof(host), &e) == 0 &&
		    ats_file_read(host, files[i], &data, &len, &e) == 0 && len > ATS_SDK_MAX_BYTES)
			ats_err_set(&e, ATS_EIO, "%s: too large for an AVS SDK config (%zu bytes; the "
				    "limit is %u MiB)", files[i], len, ATS_SDK_MAX_BYTES >> 20);
		if (!e.code)
			ats_jsonc_parse((const char *)data, len, files[i], &doc, &line, &e);
		if (data) {
			ats_wipe(data, len);
			free(data);
		}
		if (e.code == ATS_ENOMEM) {
			json_decref(views);
			ats_sdk_config_free(c);
			return ats_err_set(err, ATS_ENOMEM, "%s", e.msg);
		}
		if (e.code) {
			/* The SDK refuses to start on such a file; the others are still judged. */
			problem(c, ATS_VERDICT_UNKNOWN, e.code == ATS_EPARSE ? "sdk-config-invalid"
									  : "input-unreadable",
				files[i], NULL, line, e.msg,
				e.code == ATS_EPARSE ? "fix the file: the AVS Device SDK does not start with it"
						     : "check the file named");
			json_array_append_new(views, json_object());
			continue;
		}
		json_t *view = sdk_view(c, doc);
		if (ats_sdk_merge(c->merged, view) != 0) {
			json_decref(doc);
			json_decref(views);
			ats_sdk_config_free(c);
			return ats_err_set(err, ATS_ENOMEM, "out of memory merging %s", files[i]);
		}
		json_array_append(views, view);
		json_decref(doc);
	}
	judge(c, views);
	json_decref(views);
	*out = c;
	return 0;
}

void ats_sdk_config_free(ats_sdk_config *c)
{
	if (!c)
		return;
	json_decref(c->merged);
	json_decref(c->files);
	json_decref(c->problems);
	free(c);
}
