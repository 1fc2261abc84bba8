#include "base/redact.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Key names as the AVS Device SDK, the Auto SDK and their auth delegates write them. A key that
 * ends in one of the suffixes is a secret too (deviceToken, accessToken, keystorePassword). */
static const char *const secret_keys[] = {"clientSecret", "refreshToken", "accessToken",
					  "deviceToken",  "deviceSecret", "codeVerifier",
					  "password",	  "passphrase",	  "pin",
					  "pin-value",	  "privateKey"};
static const char *const secret_suffixes[] = {"secret", "token", "password", "passphrase", "pin"};

bool ats_secret_key(const char *k)
{
	if (!k)
		return false;
	size_t n = strlen(k);
	for (size_t i = 0; i < sizeof(secret_keys) / sizeof(*secret_keys); i++)
		if (strcasecmp(k, secret_keys[i]) == 0)
			return true;
	for (size_t i = 0; i < sizeof(secret_suffixes) / sizeof(*secret_suffixes); i++) {
		size_t m = strlen(secret_suffixes[i]);
		if (n > m && strcasecmp(k + n - m, secret_suffixes[i]) == 0)
			return true;
	}
	return false;
}

/* In s[0..n): where the password of "[scheme://]user:password@host" starts and ends (the last
 * '@' ends it, so an unencoded '@' in the password is covered); false when there is none. */
static bool password_span(const char *s, size_t n, size_t *from, size_t *to)
{
	size_t start = 0, at = n, colon = n;
	for (size_t i = 0; i + 2 < n; i++)
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
			start = i + 3;
			break;
		}
	for (size_t i = n; i > start; i--)
		if (s[i - 1] == '@') {
			at = i - 1;
			break;
		}
	if (at == n)
		return false;
	for (size_t i = start; i < at; i++)
		if (s[i] == ':') {
			colon = i;
			break;
		}
	if (colon == n)
		return false;
	*from = colon + 1;
	*to = at;
	return true;
}

char *ats_redact_url(const char *url, char *out, size_t outlen)
{
	size_t from, to, n;
	if (!out || outlen == 0)
		return out;
	out[0] = '\0';
	if (!url)
		return out;
	n = strlen(url);
	if (!password_span(url, n, &from, &to)) {
		if (n >= outlen) /* truncated: no password in it, nothing to guard */
			n = outlen - 1;
		memcpy(out, url, n);
		out[n] = '\0';
		return out;
	}
	size_t tail = n - to, r = strlen(ATS_REDACTED);
	if (from + r + tail >= outlen) {
		/* Too long: keep what is before the password, never a piece of it. */
		size_t k = from < outlen ? from : outlen - 1;
		memcpy(out, url, k);
		out[k] = '\0';
		return out;
	}
	memcpy(out, url, from);
	memcpy(out + from, ATS_REDACTED, r);
	memcpy(out + from + r, url + to, tail);
	out[from + r + tail] = '\0';
	return out;
}

/* What ends a URL in free text (and in JSON, XML, Prometheus and Nagios output). */
static bool delim(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' ||
	       c == '<' || c == '>' || c == '(' || c == ')' || c == '[' || c == ']' || c == '{' ||
	       c == '}' || c == ',' || c == ';' || c == '\\' || c == '`' || c == '|' || c == '=';
}

/* A PKCS#11 URI's PIN (RFC 7512: "pin-value=1234" in its query), redacted in place in out (which
 * has room: "***" may be longer than the PIN, so the caller sized it for that). */
static size_t redact_pins(char *out, size_t len, size_t cap)
{
	static const char key[] = "pin-value=";
	size_t r = strlen(ATS_REDACTED), k = sizeof(key) - 1;
	for (char *p = out; (p = strstr(p, key)); ) {
		char *v = p + k;
		size_t n = strcspn(v, "&;?# \t\r\n\"'<>)");
		if (n == r && memcmp(v, ATS_REDACTED, r) == 0) {
			p = v + n;
			continue;
		}
		size_t tail = len - (size_t)(v + n - out);
		if (len - n + r + 1 > cap)
			break; /* cannot happen: sized for it */
		memmove(v + r, v + n, tail + 1);
		memcpy(v, ATS_REDACTED, r);
		len = len - n + r;
		p = v + r;
	}
	return len;
}

char *ats_redact_text(const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s), r = strlen(ATS_REDACTED), cap = n + 1, len = 0;
	/* Each redaction grows the text by at most r - 1 (a one-character password). */
	for (const char *p = s; (p = strchr(p, '@')); p++)
		cap += r;
	for (const char *p = s; (p = strstr(p, "pin-value=")); p++)
		cap += r;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i, from, to;
		while (j < n && !delim(s[j]))
			j++;
		if (j > i && memchr(s + i, '@', j - i) && password_span(s + i, j - i, &from, &to) &&
		    !(to - from == r && memcmp(s + i + from, ATS_REDACTED, r) == 0)) {
			memcpy(out + len, s + i, from);
			memcpy(out + len + from, ATS_REDACTED, r);
			memcpy(out + len + from + r, s + i + to, j - i - to);
			len += from + r + (j - i - to);
		} else {
			memcpy(out + len, s + i, j - i);
			len += j - i;
		}
		if (j < n)
			out[len++] = s[j];
		i = j + 1;
	}
	out[len] = '\0';
	redact_pins(out, len, cap);
	return out;
}

char *ats_redact_parse_error(const char *text, char *out, size_t outlen)
{
	if (!out || outlen == 0)
		return out;
	const char *near = text ? strstr(text, " near ") : NULL;
	size_t n = !text ? 0 : near ? (size_t)(near - text) : strlen(text);
	if (n >= outlen)
		n = outlen - 1;
	if (n)
		memcpy(out, text, n);
	out[n] = '\0';
	return out;
}

void ats_redact_json(json_t *j)
{
	const char *k;
	json_t *v;
	size_t i;
	if (json_is_array(j)) {
		json_array_foreach(j, i, v) {
			if (json_is_string(v) && strchr(json_string_value(v), '@')) {
				char *s = ats_redact_text(json_string_value(v));
				if (s)
					json_array_set_new(j, i, json_string(s));
				free(s);
			} else {
				ats_redact_json(v);
			}
		}
		return;
	}
	if (!json_is_object(j))
		return;
	json_object_foreach(j, k, v) {
		if (ats_secret_key(k) && !json_is_null(v) && !json_is_boolean(v)) {
			json_object_set_new(j, k, json_string(ATS_REDACTED));
		} else if (json_is_string(v)) {
			if (strchr(json_string_value(v), '@')) {
				char *s = ats_redact_text(json_string_value(v));
				if (s)
					json_string_set(v, s);
				free(s);
			}
		} else {
			ats_redact_json(v);
		}
	}
}
