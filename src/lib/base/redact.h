/* Secrets never leave the process: what a report, an error message or a rendered output shows
 * of a URL or a config goes through here first. One place, so every renderer and every message
 * redacts the same way.
 *
 * A URL's password (the userinfo after "user:") is shown as "***": "http://fielduser:***@proxy:3128".
 * The user name stays (a field engineer needs to see which account). A proxy written without a
 * scheme ("user:pw@proxy:3128", as libcurl and https_proxy accept it) is redacted the same way. */
#ifndef ATS_REDACT_H
#define ATS_REDACT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define ATS_REDACTED "***"

/* A redacted copy of url in out (at most outlen bytes with the NUL; truncated when longer, and a
 * truncated copy never ends inside the password). Returns out; url NULL gives "". */
char *ats_redact_url(const char *url, char *out, size_t outlen);
/* Whether a config key (JSON member name, case-insensitive) names a secret whose value must never
 * be shown: clientSecret, refreshToken, the device's own tokens, passwords, PINs. */
bool ats_secret_key(const char *json_key);
/* Free text (a message, a whole rendered report): every "user:password@" in it, with or without a
 * scheme, and every PKCS#11 URI's "pin-value=" (RFC 7512), redacted. malloc'd; NULL when out of memory or s is NULL. Linear in the length of s. */
char *ats_redact_text(const char *s);
/* A JSON parser's message about a config that holds secrets, without the piece of input it
 * quotes (jansson's "... near 'TOKEN'" can be a clientSecret's value). Returns out. */
char *ats_redact_parse_error(const char *text, char *out, size_t outlen);
/* A report tree made safe to show, in place: every string's URL passwords redacted, the value
 * of every secret key (ats_secret_key) replaced by "***". Depth and size are the tree's own. */
void ats_redact_json(json_t *j);

#endif
