/* A growable string, for renderers (which build output; the command prints it). */
#ifndef ATS_STRBUF_H
#define ATS_STRBUF_H

#include <stddef.h>

typedef struct ats_buf {
	char *p;
	size_t n, cap;
	int oom;
} ats_buf;

void ats_buf_printf(ats_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ats_buf_put(ats_buf *b, const char *s, size_t n);
/* s as XML 1.0 / HTML text or attribute value: & < > " ' escaped, newline and tab as character
 * references, other control characters (not allowed in XML) dropped. NULL puts nothing. */
void ats_buf_put_markup(ats_buf *b, const char *s);
/* Hands the string over (caller frees); NULL when memory ran out on the way. */
char *ats_buf_take(ats_buf *b);
void ats_buf_free(ats_buf *b);

#endif
