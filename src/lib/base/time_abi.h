/* The OpenSSL calls that take a time_t, bridged for 32-bit targets.
 *
 * atscheck is built with a 64-bit time_t everywhere (_TIME_BITS=64: three of the six CAs expire
 * after 2038), but Debian 12's armhf OpenSSL keeps a 32-bit one. Handing our time_t across that
 * boundary is silently wrong, so src/ calls these instead (tests/integration/cross_time_abi.sh
 * checks): times travel as int64_t and are converted in time_abi.c, which is compiled with the
 * platform's own time_t. */
#ifndef ATS_TIME_ABI_H
#define ATS_TIME_ABI_H

#include <openssl/asn1.h>
#include <openssl/x509_vfy.h>
#include <stdint.h>

/* Sets the verification time; -1 when the platform's OpenSSL cannot represent it (a 32-bit
 * time_t and a time past 2038-01-19). */
int ats_verify_param_set_time(X509_VERIFY_PARAM *p, int64_t t);
/* Sets an ASN1_TIME (UTCTime or GeneralizedTime as RFC 5280 wants); 1 on success, as OpenSSL. */
int ats_asn1_time_set(ASN1_TIME *s, int64_t t);

#endif
