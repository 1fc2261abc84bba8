#include "base/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int grow(ats_buf *b, size_t need)
{
	if (b->oom)
		return -1;
	if (b->n + need + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->n + need + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void ats_buf_put(ats_buf *b, const char *s, size_t n)
{
	if (grow(b, n) != 0)
		return;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void ats_buf_printf(ats_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

char *ats_buf_take(ats_buf *b)
{
	char *p = b->oom ? NULL : b->p;
	if (!p && !b->oom)
		p = calloc(1, 1);
	if (b->oom)
		free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
	return p;
}

void ats_buf_free(ats_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

void ats_buf_put_markup(ats_buf *b, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': ats_buf_put(b, "&amp;", 5); break;
		case '<': ats_buf_put(b, "&lt;", 4); break;
		case '>': ats_buf_put(b, "&gt;", 4); break;
		case '"': ats_buf_put(b, "&quot;", 6); break;
		case '\'': ats_buf_put(b, "&apos;", 6); break;
		case '\n': ats_buf_put(b, "&#10;", 5); break;
		case '\t': ats_buf_put(b, "&#9;", 4); break;
		default:
			if (c >= 0x20)
				ats_buf_put(b, s, 1);
		}
	}
}
