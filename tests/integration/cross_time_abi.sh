#!/usr/bin/env bash
# atscheck is built with a 64-bit time_t everywhere (_TIME_BITS=64), but Debian 12's armhf
# OpenSSL and libcurl (Raspberry Pi OS 32-bit) keep a 32-bit one: a time_t handed to them across
# that boundary is garbage there, silently. So src/ must not call the functions that take or
# return one. Use ASN1_TIME_to_tm + timegm, ASN1_TIME_set_string_X509, ASN1_TIME_compare /
# ASN1_TIME_diff instead, or the bridges in src/lib/base/time_abi.h (the one file allowed to make these
# calls: it is compiled with the platform's own time_t).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

banned='ASN1_TIME_set|ASN1_TIME_adj|ASN1_UTCTIME_set|ASN1_UTCTIME_adj|ASN1_GENERALIZEDTIME_set'
banned+='|ASN1_GENERALIZEDTIME_adj|ASN1_TIME_cmp_time_t|ASN1_UTCTIME_cmp_time_t|X509_cmp_time'
banned+='|X509_cmp_timeframe|X509_time_adj|X509_time_adj_ex|X509_VERIFY_PARAM_set_time'
banned+='|X509_VERIFY_PARAM_get_time|X509_STORE_CTX_set_time|OPENSSL_gmtime|OPENSSL_gmtime_adj'
banned+='|curl_getdate'
pattern="(^|[^A-Za-z0-9_])($banned)[[:space:]]*\\("
# Lines that are comments (' * ...', '/* ...', '// ...') do not count.
scan() { grep -rnHE "$pattern" "$@" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*|//)'; }

# The scan can fail: it finds a planted call, and skips a comment that names one.
printf 'static int f(ASN1_TIME *t) { return ASN1_TIME_set (t, 0) != NULL; }\n' > "$T/planted.c"
printf ' * ASN1_TIME_set() takes the library time_t\n' > "$T/comment.c"
check "the scan finds a planted ASN1_TIME_set call" test -n "$(scan "$T/planted.c")"
check "the scan ignores a comment naming it" test -z "$(scan "$T/comment.c")"

found=$(scan "$ATS_SOURCE_DIR/src" | grep -v '^[^:]*/src/lib/base/time_abi\.c:')
if [ -z "$found" ]; then pass "src/ hands no time_t to OpenSSL or libcurl"; else
  fail "src/ hands a time_t to OpenSSL or libcurl (32-bit on Debian 12 armhf):"
  printf '%s\n' "$found" | sed 's/^/    /'
fi
finish
