#!/usr/bin/env bash
# No leaks and no memory errors under valgrind, command by command. (The sanitizer build has
# LeakSanitizer in every test instead; valgrind cannot run ASan binaries, so it stops here.)
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
if [ "${ATS_SANITIZE:-0}" = 1 ]; then
  echo "sanitizer build: leaks are checked by LeakSanitizer in every other test"
  check "the binary under test is the sanitized one" grep -q __asan_init "$ATSCHECK"
  finish
fi
vg() {
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --error-exitcode=99 "$ATSCHECK" "$@" >"$T/vg.out" 2>"$T/vg.err"
  local rc=$?
  [ "$rc" -ne 99 ] || { sed 's/^/    /' "$T/vg.err" | head -40; return 1; }
}
"$ATSCHECK" bundle export "$T" >/dev/null
cat "$T"/*.pem > "$T/six.pem"
printf 'junk\n-----BEGIN CERTIFICATE-----\nMIIB\n' > "$T/bad.pem"
check "audit of a bundle" vg audit --bundle "$T/six.pem" --bundle "$T/bad.pem" --bundle "$T/missing.pem"
check "audit of this machine (libcurl loaded)" vg audit --format json
check "audit of a capath" vg audit --capath /etc/ssl/certs
check "bundle list" vg bundle list --format json
check "bundle export" vg bundle export "$T"
check "--version" vg --version
check "bad usage" vg audit --frobnicate
finish
