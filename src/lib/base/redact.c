#include "base/redact.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool contains_ci(const char *s, const char *word)
{
	size_t wl = strlen(word);
	for (; *s; s++)
		if (strncasecmp(s, word, wl) == 0)
			return true;
	return false;
}

bool ats_redact_key(const char *key)
{
	static const char *const exact[] = {"clientId", "clientSecret", "refreshToken", NULL};
	static const char *const parts[] = {"secret", "token", "password", "passwd", "privatekey", NULL};
	if (!key)
		return false;
	for (int i = 0; exact[i]; i++)
		if (strcasecmp(key, exact[i]) == 0)
			return true;
	for (int i = 0; parts[i]; i++)
		if (contains_ci(key, parts[i]))
			return true;
	return false;
}

json_t *ats_redact_json(const json_t *v)
{
	const char *k;
	json_t *e, *out;
	size_t i;
	if (json_is_object(v)) {
		if (!(out = json_object()))
			return NULL;
		json_object_foreach((json_t *)v, k, e) {
			json_t *c = ats_redact_key(k) ? json_string(ATS_REDACTED) : ats_redact_json(e);
			if (!c || json_object_set_new(out, k, c) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	if (json_is_array(v)) {
		if (!(out = json_array()))
			return NULL;
		json_array_foreach(v, i, e) {
			if (json_array_append_new(out, ats_redact_json(e)) != 0) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	}
	return json_deep_copy(v);
}

void ats_redact_url(const char *url, char *out, size_t n)
{
	const char *auth = url ? strstr(url, "://") : NULL;
	if (n == 0)
		return;
	if (!url) {
		out[0] = '\0';
		return;
	}
	if (auth) {
		auth += 3;
		/* The authority ends at the first '/', '?' or '#'; userinfo is what precedes its last '@'. */
		size_t alen = strcspn(auth, "/?#");
		const char *at = NULL;
		for (const char *p = auth; p < auth + alen; p++)
			if (*p == '@')
				at = p;
		if (at) {
			snprintf(out, n, "%.*s" ATS_REDACTED "%s", (int)(auth - url), url, at);
			return;
		}
	}
	snprintf(out, n, "%s", url);
}
