#!/usr/bin/env bash
# Hostile cases of atscheck install (issue 18): a bundle named without a folder, and a platform
# tool that fails after atscheck has written its part (nothing may stay half-applied).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

# A bundle given as a bare name (no '/'): installed in the current folder, no crash.
mkdir -p "$T/bare"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/bare/k.pem" -subj /CN=other -days 30 \
  -out "$T/bare/b.pem" 2>/dev/null
expect_exit 0 "--bundle b.pem (no folder): installs" bash -c 'cd "$1" && "$2" install --bundle b.pem' _ "$T/bare" "$ATSCHECK"
check "--bundle b.pem: the six CAs were appended" test "$(grep -c 'BEGIN CERTIFICATE' "$T/bare/b.pem")" -eq 7
check "--bundle b.pem: backup beside it" test -f "$T/bare/b.pem.atscheck-bak"
expect_exit 0 "--bundle b.pem again: nothing to do" bash -c 'cd "$1" && "$2" install --bundle b.pem' _ "$T/bare" "$ATSCHECK"
check "--bundle b.pem again: still seven" test "$(grep -c 'BEGIN CERTIFICATE' "$T/bare/b.pem")" -eq 7
bash -c 'cd "$1" && "$2" install --bundle missing.pem' _ "$T/bare" "$ATSCHECK" >"$T/out" 2>"$T/err"
rc=$?
check "--bundle missing.pem (no folder): no crash (exit $rc)" test "$rc" -lt 128
finish
