/* libFuzzer target: /etc/ca-certificates.conf as install reads and edits it. Any text, any path:
 * no crash, and after ats_conf_select every path asked for reads as selected, no path that was
 * selected before is lost, and reading the edited text again changes nothing. */
#include "install/install_conf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seen {
	const char *name;
	size_t n;
	int hits;
};

static void count(const char *name, size_t n, void *ctx)
{
	struct seen *s = ctx;
	s->hits += n == s->n && memcmp(name, s->name, n) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first line is the path to select (as install passes it: no '\n'); the rest the conf. */
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	size_t rl = (size_t)(nl - data);
	char *rel = strndup((const char *)data, rl);
	const char *text = (const char *)nl + 1;
	size_t len = size - rl - 1;
	if (!rel || strlen(rel) != rl || !rl || rel[0] == '!' || rel[0] == '#' || strpbrk(rel, " \t\r")) {
		free(rel);
		return 0;
	}
	ats_conf_state st;
	ats_conf_find(text, len, rel, &st);
	struct seen before = {rel, rl, 0};
	ats_conf_each_selected(text, len, count, &before);
	const char *rels[1] = {rel};
	char *out = NULL;
	size_t outlen = 0;
	json_t *edits = json_array();
	if (ats_conf_select(text, len, rels, 1, &out, &outlen, edits) == 0) {
		ats_conf_state after;
		ats_conf_find(out, outlen, rel, &after);
		if (!after.selected) { /* a "!rel" line may stay: the tool removes first, then adds */
			fprintf(stderr, "'%s' not selected after ats_conf_select\n", rel);
			abort();
		}
		struct seen s = {rel, rl, 0};
		ats_conf_each_selected(out, outlen, count, &s);
		/* Selected once when it was not; as often as before when it was (never a new line). */
		if (s.hits != (before.hits ? before.hits : 1)) {
			fprintf(stderr, "'%s' selected %d times after ats_conf_select (%d before)\n", rel,
				s.hits, before.hits);
			abort();
		}
		char *again = NULL;
		size_t alen = 0;
		json_t *e2 = json_array();
		if (ats_conf_select(out, outlen, rels, 1, &again, &alen, e2) == 0 &&
		    (alen != outlen || memcmp(again, out, alen) != 0 || json_array_size(e2) != 0)) {
			fprintf(stderr, "a second ats_conf_select changed the text\n");
			abort();
		}
		free(again);
		json_decref(e2);
	}
	free(out);
	json_decref(edits);
	free(rel);
	return 0;
}
