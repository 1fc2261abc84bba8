#include "base/ats.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ats_err_set(ats_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->code = code;
	}
	return code;
}

void ats_err_add_openssl(ats_err *err)
{
	unsigned long e = ERR_peek_error();
	if (err && e) {
		char buf[256];
		size_t n = strlen(err->msg);
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err->msg + n, sizeof(err->msg) - n, " (%s)", buf);
	}
	ERR_clear_error();
}

void ats_err_clear(ats_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}

const char *ats_verdict_name(ats_verdict v)
{
	switch (v) {
	case ATS_VERDICT_OK: return "OK";
	case ATS_VERDICT_WARNING: return "WARNING";
	case ATS_VERDICT_CRITICAL: return "CRITICAL";
	default: return "UNKNOWN";
	}
}

ats_verdict ats_verdict_worst(ats_verdict a, ats_verdict b)
{
	return a > b ? a : b;
}
