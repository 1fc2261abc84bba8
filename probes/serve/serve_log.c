/* One log line for the look-alike endpoint's caller: serve.c (accepting) and serve_conn.c with
 * the protocols (each connection) both say what happened here, so neither calls back into the
 * other. */
#include "serve/serve_int.h"

#include <stdarg.h>
#include <stdio.h>

void serve_log(ats_serve *s, const char *fmt, ...)
{
	if (!s->o.log)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_ctx, line);
}
