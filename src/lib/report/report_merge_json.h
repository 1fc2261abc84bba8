/* A small read-only JSON reader for report merge, where parsing is nearly all the cost: it parses
 * a file's bytes in place (strings unescaped where they lie, NUL-terminated) into nodes in one
 * array that is reused from file to file, so a report costs no allocation at all once the
 * thread's buffers are warm. jansson builds a tree of small allocations and hashes every key;
 * for 100,000 reports that was most of the run. Strict JSON (RFC 8259); depth limited. */
#ifndef ATS_REPORT_MERGE_JSON_H
#define ATS_REPORT_MERGE_JSON_H

#include <stddef.h>
#include <stdint.h>

enum { MJ_NULL, MJ_FALSE, MJ_TRUE, MJ_NUM, MJ_STR, MJ_ARR, MJ_OBJ };

typedef struct mj_node {
	uint8_t type;
	uint32_t child, next; /* first child and next sibling, as indices; 0 = none */
	const char *key;      /* member name, when the parent is an object */
	const char *str;      /* MJ_STR */
	int64_t num;          /* MJ_NUM, when integral (is_int) */
	int is_int;
} mj_node;

typedef struct mj_doc {
	mj_node *v;
	uint32_t n, cap;
	char err[128]; /* why the last parse failed */
} mj_doc;

/* Parses buf[0..len) (modified in place; buf[len] must be writable and is set to NUL). The root
 * is node 0. Returns 0, or -1 with doc->err set. */
int mj_parse(mj_doc *doc, char *buf, size_t len);
void mj_free(mj_doc *doc);

/* obj's member named key, or NULL; NULL in gives NULL out. */
const mj_node *mj_get(const mj_doc *d, const mj_node *obj, const char *key);
/* Children, in order: for (c = mj_first(d, a); c; c = mj_next(d, c)) */
const mj_node *mj_first(const mj_doc *d, const mj_node *n);
const mj_node *mj_next(const mj_doc *d, const mj_node *n);
/* The string value of obj[key], "" when absent or not a string. */
const char *mj_str(const mj_doc *d, const mj_node *obj, const char *key);

#endif
