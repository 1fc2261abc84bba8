/* libFuzzer target, differential: report merge's own in-place JSON reader (mj_parse) against
 * jansson on the same bytes. Both strict RFC 8259: a document one accepts and the other refuses
 * is a fault, except where mj states a limit (its nesting depth) or jansson's (a NUL in a string,
 * numbers out of range). Accepted documents must agree on every object's members. */
#include "report/report_merge_json.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIFFER(what)                                                                              \
	do {                                                                                      \
		fprintf(stderr, "differs from jansson: %s\n", what);                              \
		abort();                                                                          \
	} while (0)

static void same(const mj_doc *d, const mj_node *n, const json_t *j, int depth)
{
	switch (n->type) {
	case MJ_NULL: if (!json_is_null(j)) DIFFER("null"); break;
	case MJ_FALSE: if (!json_is_false(j)) DIFFER("false"); break;
	case MJ_TRUE: if (!json_is_true(j)) DIFFER("true"); break;
	case MJ_NUM:
		if (!json_is_number(j))
			DIFFER("number");
		if (n->is_int && json_is_integer(j) && n->num != json_integer_value(j))
			DIFFER("integer value");
		break;
	case MJ_STR:
		if (!json_is_string(j) || strcmp(n->str, json_string_value(j)) != 0)
			DIFFER("string");
		break;
	case MJ_ARR: {
		size_t k = 0;
		if (!json_is_array(j))
			DIFFER("array");
		for (const mj_node *c = mj_first(d, n); c; c = mj_next(d, c), k++)
			same(d, c, json_array_get(j, k), depth + 1);
		if (k != json_array_size(j))
			DIFFER("array length");
		break;
	}
	case MJ_OBJ:
		if (!json_is_object(j))
			DIFFER("object");
		/* Duplicate keys: jansson keeps the last, mj_get finds the first; only compare the
		 * members whose key is unique. */
		for (const mj_node *c = mj_first(d, n); c; c = mj_next(d, c)) {
			int dup = 0;
			for (const mj_node *o = mj_first(d, n); o; o = mj_next(d, o))
				dup += strcmp(o->key, c->key) == 0;
			if (dup == 1)
				same(d, c, json_object_get(j, c->key), depth + 1);
		}
		break;
	default: DIFFER("node type");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mj_doc doc; /* reused, as the merge's threads reuse theirs */
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	/* A NUL byte: jansson stops reading at it (so "[1\0]" is "[1" to it, and some inputs with
	 * text after a NUL pass); mj refuses any, as RFC 8259 does. Not comparable. */
	bool nul = memchr(data, 0, size) != NULL;
	int ours = mj_parse(&doc, buf, size);
	json_error_t je;
	json_t *j = json_loadb((const char *)data, size, JSON_DECODE_ANY, &je);
	if (!nul && ours == 0 && !j) {
		/* jansson refuses \u0000 in strings and numbers it cannot hold; not faults. */
		if (!strstr(je.text, "\\u0000") &&
		    !strstr(je.text, "too big") && !strstr(je.text, "NUL") && !strstr(je.text, "overflow") &&
		    !strstr(je.text, "nesting"))
			DIFFER(je.text);
	} else if (!nul && ours != 0 && j) {
		if (!strstr(doc.err, "deep") && !strstr(doc.err, "depth"))
			DIFFER(doc.err);
	} else if (ours == 0 && j) {
		same(&doc, &doc.v[0], j, 0);
	}
	json_decref(j);
	free(buf);
	return 0;
}
