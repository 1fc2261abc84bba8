/* The time bridges agree with OpenSSL's own conversions. */
#include "testutil.h"
#include "base/time_abi.h"

Test(time_abi, asn1_time_set_round_trips_across_2038_and_2050)
{
	static const int64_t times[] = {0, 951782400 /* 2000-02-29 */, 2147483647, 2147483648LL,
					2208988800LL /* 2040-01-01 */, 2524608000LL /* 2050-01-01 */,
					4102444799LL, -86400};
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		ASN1_TIME *t = ASN1_TIME_new();
		cr_assert(ats_asn1_time_set(t, times[i]), "set %lld", (long long)times[i]);
		cr_assert_eq((int64_t)ats_asn1_time_to_time(t), times[i], "round trip of %lld",
			     (long long)times[i]);
		/* RFC 5280: UTCTime through 2049, GeneralizedTime from 2050. */
		cr_assert_eq(ASN1_STRING_type(t), times[i] < 2524608000LL ? V_ASN1_UTCTIME
									 : V_ASN1_GENERALIZEDTIME);
		ASN1_TIME_free(t);
	}
}

Test(time_abi, verify_param_time)
{
	X509_VERIFY_PARAM *p = X509_VERIFY_PARAM_new();
	cr_assert_eq(ats_verify_param_set_time(p, 2000000000), 0);
	cr_assert(X509_VERIFY_PARAM_get_flags(p) & X509_V_FLAG_USE_CHECK_TIME);
	X509_VERIFY_PARAM_free(p);
}
