/* Secrets never reach a report, a message or a log: the values of configuration keys that hold
 * credentials (an AVS Device SDK config's clientSecret, refreshToken, clientId...) and the
 * user:password part of a URL. Whoever puts text from a config or a URL into output runs it
 * through here first. */
#ifndef ATS_REDACT_H
#define ATS_REDACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ATS_REDACTED "(redacted)"

/* Whether a configuration key names a secret: clientSecret, clientId, refreshToken, any key
 * containing "secret", "token", "password", "passwd" or "privatekey" (case-insensitive). */
bool ats_redact_key(const char *key);

/* A deep copy of v with the value of every secret key (at any depth) replaced by ATS_REDACTED;
 * NULL when out of memory. */
json_t *ats_redact_json(const json_t *v);

/* url with any "user[:password]@" before the host replaced by "(redacted)@", into out (always
 * NUL-terminated, truncated to n). */
void ats_redact_url(const char *url, char *out, size_t n);

#endif
