#include "report/report_merge_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

typedef struct cur {
	char *p, *end;
	mj_doc *d;
} cur;

/* Records the first fault; mj_parse adds where it was. */
static int fail(cur *c, const char *what)
{
	if (!c->d->err[0])
		snprintf(c->d->err, sizeof(c->d->err), "%s", what);
	return -1;
}

static void ws(cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
		c->p++;
}

static long node(cur *c, uint8_t type, const char *key)
{
	mj_doc *d = c->d;
	if (d->n == d->cap) {
		uint32_t cap = d->cap ? d->cap * 2 : 256;
		mj_node *v = realloc(d->v, cap * sizeof(*v));
		if (!v)
			return -1;
		d->v = v;
		d->cap = cap;
	}
	mj_node *n = &d->v[d->n];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->key = key;
	return d->n++;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char h = s[i];
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= (unsigned)(h - '0');
		else if (h >= 'a' && h <= 'f')
			v |= (unsigned)(h - 'a' + 10);
		else if (h >= 'A' && h <= 'F')
			v |= (unsigned)(h - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Well-formed UTF-8 as RFC 3629 has it (and jansson checks it): no overlong forms, no
 * surrogates, nothing above U+10FFFF. */
static int utf8_ok(const unsigned char *s, const unsigned char *e)
{
	while (s < e) {
		unsigned char b = *s;
		int n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : (b & 0xf0) == 0xe0 ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
		if (n < 0 || e - s <= n)
			return 0;
		unsigned long u = n == 0 ? b : n == 1 ? b & 0x1fu : n == 2 ? b & 0x0fu : b & 0x07u;
		for (int i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			u = u << 6 | (s[i] & 0x3fu);
		}
		if ((n == 2 && u < 0x800) || (n == 3 && (u < 0x10000 || u > 0x10ffff)) ||
		    (u >= 0xd800 && u <= 0xdfff))
			return 0;
		s += n + 1;
	}
	return 1;
}

/* A string at c->p (just after the opening quote), unescaped in place and NUL-terminated. */
static char *string(cur *c)
{
	char *start = c->p, *w = c->p;
	int high = 0;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '"') {
			*w = '\0';
			c->p++;
			if (high && !utf8_ok((unsigned char *)start, (unsigned char *)w)) {
				fail(c, "invalid UTF-8");
				return NULL;
			}
			return start;
		}
		if (ch < 0x20) {
			fail(c, "control character in a string");
			return NULL;
		}
		if (ch >= 0x80)
			high = 1;
		if (ch != '\\') {
			*w++ = *c->p++;
			continue;
		}
		if (c->end - c->p < 2)
			break;
		char e = c->p[1];
		c->p += 2;
		switch (e) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '/': *w++ = '/'; break;
		case 'b': *w++ = '\b'; break;
		case 'f': *w++ = '\f'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 't': *w++ = '\t'; break;
		case 'u': {
			unsigned u, lo;
			if (c->end - c->p < 4 || hex4(c->p, &u) != 0) {
				fail(c, "bad \\u escape");
				return NULL;
			}
			c->p += 4;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
				    hex4(c->p + 2, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
					fail(c, "lone surrogate in \\u escape");
					return NULL;
				}
				c->p += 6;
				u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			} else if (u >= 0xdc00 && u <= 0xdfff) {
				fail(c, "lone surrogate in \\u escape");
				return NULL;
			}
			if (u == 0) {
				fail(c, "\\u0000 in a string");
				return NULL;
			}
			if (u < 0x80) {
				*w++ = (char)u;
			} else if (u < 0x800) {
				*w++ = (char)(0xc0 | (u >> 6));
				*w++ = (char)(0x80 | (u & 0x3f));
			} else if (u < 0x10000) {
				*w++ = (char)(0xe0 | (u >> 12));
				*w++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*w++ = (char)(0x80 | (u & 0x3f));
			} else {
				*w++ = (char)(0xf0 | (u >> 18));
				*w++ = (char)(0x80 | ((u >> 12) & 0x3f));
				*w++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*w++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		}
		default: fail(c, "bad escape"); return NULL;
		}
	}
	fail(c, "unterminated string");
	return NULL;
}

static int number(cur *c, mj_node *n)
{
	char *p = c->p;
	int neg = 0, is_int = 1;
	uint64_t v = 0;
	if (p < c->end && *p == '-')
		neg = 1, p++;
	if (p >= c->end || *p < '0' || *p > '9')
		return fail(c, "bad number");
	if (*p == '0' && p + 1 < c->end && p[1] >= '0' && p[1] <= '9')
		return fail(c, "leading zero");
	for (; p < c->end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			is_int = 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p < c->end && *p == '.') {
		is_int = 0;
		if (++p >= c->end || *p < '0' || *p > '9')
			return fail(c, "bad fraction");
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < c->end && (*p == 'e' || *p == 'E')) {
		is_int = 0;
		p++;
		if (p < c->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= c->end || *p < '0' || *p > '9')
			return fail(c, "bad exponent");
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (is_int && v > (uint64_t)INT64_MAX + (uint64_t)neg)
		is_int = 0;
	n->is_int = is_int;
	n->num = is_int ? (neg ? (int64_t)(0 - v) : (int64_t)v) : 0;
	c->p = p;
	return 0;
}

static int literal(cur *c, const char *word)
{
	size_t k = strlen(word);
	if ((size_t)(c->end - c->p) < k || memcmp(c->p, word, k) != 0)
		return fail(c, "unexpected character");
	c->p += k;
	return 0;
}

static long value(cur *c, const char *key, int depth);

/* Members or elements until the closing bracket; links children and siblings by index. */
static int children(cur *c, long self, int is_obj, int depth)
{
	char close = is_obj ? '}' : ']';
	long prev = 0;
	ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		const char *k = NULL;
		ws(c);
		if (is_obj) {
			if (c->p >= c->end || *c->p != '"')
				return fail(c, "expected a member name");
			c->p++;
			if (!(k = string(c)))
				return -1;
			ws(c);
			if (c->p >= c->end || *c->p != ':')
				return fail(c, "expected ':'");
			c->p++;
		}
		long child = value(c, k, depth + 1);
		if (child < 0)
			return -1;
		if (prev)
			c->d->v[prev].next = (uint32_t)child;
		else
			c->d->v[self].child = (uint32_t)child;
		prev = child;
		ws(c);
		if (c->p >= c->end)
			return fail(c, "unexpected end of input");
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		return fail(c, is_obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static long value(cur *c, const char *key, int depth)
{
	long n;
	if (depth > MAX_DEPTH)
		return fail(c, "nested too deep");
	ws(c);
	if (c->p >= c->end)
		return fail(c, "unexpected end of input");
	switch (*c->p) {
	case '{':
	case '[': {
		int is_obj = *c->p == '{';
		c->p++;
		if ((n = node(c, is_obj ? MJ_OBJ : MJ_ARR, key)) < 0)
			return fail(c, "out of memory");
		return children(c, n, is_obj, depth) == 0 ? n : -1;
	}
	case '"': {
		c->p++;
		char *s = string(c);
		if (!s || (n = node(c, MJ_STR, key)) < 0)
			return s ? fail(c, "out of memory") : -1;
		c->d->v[n].str = s;
		return n;
	}
	case 't': n = literal(c, "true") == 0 ? node(c, MJ_TRUE, key) : -1; return n;
	case 'f': n = literal(c, "false") == 0 ? node(c, MJ_FALSE, key) : -1; return n;
	case 'n': n = literal(c, "null") == 0 ? node(c, MJ_NULL, key) : -1; return n;
	default:
		if ((n = node(c, MJ_NUM, key)) < 0)
			return fail(c, "out of memory");
		return number(c, &c->d->v[n]) == 0 ? n : -1;
	}
}

int mj_parse(mj_doc *d, char *buf, size_t len)
{
	cur c = {buf, buf + len, d};
	d->n = 0;
	d->err[0] = '\0';
	buf[len] = '\0';
	if (node(&c, MJ_NULL, NULL) != 0) /* index 0: a placeholder so 0 can mean "none" */
		return -1;
	long root = value(&c, NULL, 0);
	if (root < 0)
		goto bad;
	ws(&c);
	if (c.p != c.end) {
		fail(&c, "text after the JSON value");
		goto bad;
	}
	d->v[0] = d->v[root];
	return 0;
bad: {
	char what[sizeof(d->err)];
	snprintf(what, sizeof(what), "%s", d->err[0] ? d->err : "out of memory");
	snprintf(d->err, sizeof(d->err), "%.90s at byte %zu", what, (size_t)(c.p - buf));
	return -1;
}
}

void mj_free(mj_doc *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

const mj_node *mj_first(const mj_doc *d, const mj_node *n)
{
	return n && (n->type == MJ_OBJ || n->type == MJ_ARR) && n->child ? &d->v[n->child] : NULL;
}

const mj_node *mj_next(const mj_doc *d, const mj_node *n)
{
	return n->next ? &d->v[n->next] : NULL;
}

const mj_node *mj_get(const mj_doc *d, const mj_node *obj, const char *key)
{
	if (!obj || obj->type != MJ_OBJ)
		return NULL;
	for (const mj_node *c = mj_first(d, obj); c; c = mj_next(d, c))
		if (strcmp(c->key, key) == 0)
			return c;
	return NULL;
}

const char *mj_str(const mj_doc *d, const mj_node *obj, const char *key)
{
	const mj_node *n = mj_get(d, obj, key);
	return n && n->type == MJ_STR ? n->str : "";
}
