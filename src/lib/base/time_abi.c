/* Compiled with the platform's own time_t (see time_abi.h): these must come before any
 * header. */
#undef _TIME_BITS
#undef _FILE_OFFSET_BITS
#include "base/time_abi.h"

#include <stdio.h>
#include <time.h>

int ats_verify_param_set_time(X509_VERIFY_PARAM *p, int64_t t)
{
	time_t lt = (time_t)t;
	if ((int64_t)lt != t)
		return -1;
	X509_VERIFY_PARAM_set_time(p, lt);
	return 0;
}

int ats_asn1_time_set(ASN1_TIME *s, int64_t t)
{
	/* Through text, which needs no time_t on OpenSSL's side. Civil date from days since the
	 * epoch (Howard Hinnant's algorithm): no gmtime, whose time_t may be 32 bits here. */
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - days * 86400;
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097, yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	int64_t y = yoe + era * 400 + (m <= 2);
	char buf[32];
	snprintf(buf, sizeof(buf), "%04lld%02lld%02lld%02lld%02lld%02lldZ", (long long)y,
		 (long long)m, (long long)d, (long long)(secs / 3600), (long long)(secs / 60 % 60),
		 (long long)(secs % 60));
	return ASN1_TIME_set_string_X509(s, buf);
}
