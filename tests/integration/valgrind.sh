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

# The ATS root matrix: the look-alike serving 15 names with SNI and stapling, under valgrind too,
# probed by probe --ats-roots under valgrind (stalled, reset and plain hosts among them).
. "$ATS_SOURCE_DIR/tests/lib/ats_roots_lab.sh"
if make_ats_lab "$T/lab"; then
  port=$(free_port)
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
    --error-exitcode=99 "$ATSCHECK" serve --ats-roots-lab "$T/lab" --listen "127.0.0.1:$port" --quiet \
    >"$T/vgserve.out" 2>"$T/vgserve.err" &
  vpid=$!
  bg_server "$ATSCHECK" serve --stall --listen "127.0.0.2:$port" --quiet
  bg_server "$ATSCHECK" serve --reset --listen "127.0.0.3:$port" --quiet
  wait_port "$port" 60
  mapfile -t RES < <(ats_lab_resolve 127.0.0.1 "$port" good.sca0a.amazontrust.com=127.0.0.2 expired.sca2a.amazontrust.com=127.0.0.3)
  check "probe --ats-roots" vg probe --ats-roots --port "$port" "${RES[@]}" --cacert "$T/lab/roots.pem" \
    --lab-roots "$T/lab/roots.pem" --timeout 30 --format json
  check "  it probed the lab (13 cells pass, not the stalled and the reset one)" \
    test "$(jq '[.roots[] | (.good, .expired, .revoked) | select(.status == "pass")] | length' "$T/vg.out")" = 13
  kill -TERM "$vpid"; wait "$vpid"
  rc=$?
  [ "$rc" -ne 99 ] || sed 's/^/    /' "$T/vgserve.err" | head -40
  check "serve --ats-roots-lab (SNI, stapling), stopped by SIGTERM" test "$rc" -ne 99
else
  fail "make the ATS root matrix lab"
fi
finish
