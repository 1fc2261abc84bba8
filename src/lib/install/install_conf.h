/* /etc/ca-certificates.conf read and edited the way update-ca-certificates really reads it:
 * one path per '\n'-ended line, relative to /usr/share/ca-certificates; '#' starts a comment only
 * as the first character; '!' first deselects; blanks around a path are ignored ("read -r");
 * a '\r' stays part of the path (so a CRLF line selects nothing); a last line without its '\n'
 * is never read. Edits keep every other byte of the file as it was. */
#ifndef ATS_INSTALL_CONF_H
#define ATS_INSTALL_CONF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct ats_conf_state {
	bool selected; /* a line the tool reads as selecting rel */
	bool bang;     /* a '!rel' line (the admin deselected it) */
	bool broken;   /* a line meant to select rel that the tool cannot read (CR, no final '\n') */
} ats_conf_state;

void ats_conf_find(const char *text, size_t len, const char *rel, ats_conf_state *st);

/* Calls fn with each path the tool reads as selected (not NUL-terminated: name, n). */
void ats_conf_each_selected(const char *text, size_t len,
			    void (*fn)(const char *name, size_t n, void *ctx), void *ctx);

/* Returns a malloc'd new text (*out, *outlen) in which every path in rels[0..n) is selected:
 * a '!rel' line becomes "rel" (the caller passes only CAs it may reselect), a broken line is
 * repaired, otherwise "rel" is appended (after a '\n' when the text lacks its last one). Paths
 * already selected are left alone, so no line is ever duplicated. Each edit is appended to edits
 * as {"action": "conf-add"|"conf-reselect"|"conf-repair"|"conf-newline"|"conf-drop", "line": rel[, "was": the
 * old line]} ("conf-drop": a second '!rel' line, which would deselect rel again).
 * Returns 0, or -1 when out of memory. */
int ats_conf_select(const char *text, size_t len, const char *const *rels, size_t n, char **out,
		    size_t *outlen, json_t *edits);

#endif
