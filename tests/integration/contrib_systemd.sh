#!/usr/bin/env bash
# contrib/systemd: the unit and timer pass systemd-analyze verify; the runner writes the JSON
# report and a Prometheus textfile atomically, and a run that could not report says so (verdict 3)
# instead of leaving yesterday's file looking fresh.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
C="$ATS_SOURCE_DIR/contrib/systemd"
RUNNER="$C/atscheck-textfile"

"$ATSCHECK" bundle export "$T/pem" >/dev/null 2>&1 || { mkdir -p "$T/pem"; "$ATSCHECK" bundle export "$T/pem" >/dev/null; }
cat "$T"/pem/*.pem > "$T/six.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" > "$T/one.pem"

# The units, with the paths CMake would write, verified by systemd itself.
mkdir -p "$T/units"
sed -e "s|@ATS_LIBEXECDIR@|$C|" -e "s|@ATS_BINDIR@|$(dirname "$ATSCHECK")|" "$C/atscheck.service.in" > "$T/units/atscheck.service"
cp "$C/atscheck.timer" "$T/units/"
check "no @VAR@ left in the service" bash -c "! grep -qE '@[A-Z_]+@' '$T/units/atscheck.service'"
if command -v systemd-analyze >/dev/null; then
  (cd "$T/units" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no ./atscheck.service ./atscheck.timer) > "$T/verify.out" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && ! grep -qiE 'atscheck\.(service|timer).*(unknown|invalid|fail|error)' "$T/verify.out"; then
    pass "systemd-analyze verify accepts atscheck.service and atscheck.timer"
  else
    fail "systemd-analyze verify: exit $rc"; sed 's/^/    /' "$T/verify.out" | head -20
  fi
  check "timer runs daily" systemd-analyze calendar daily
else
  echo "systemd-analyze not installed: verify skipped"
fi

# The runner, with audit standing in for the check.
state="$T/state" tf="$T/textfiles"
mkdir -p "$tf"
run() { env ATSCHECK="$ATSCHECK" ATSCHECK_COMMAND=audit STATE_DIRECTORY="$state" ATSCHECK_TEXTFILE_DIR="$tf" ATSCHECK_ARGS="$1" bash "$RUNNER"; }
expect_exit 0 "runner: OK device" run "--bundle $T/six.pem --device-id dev1"
check "report.json written" jq -e '.verdict == "OK" and .device == "dev1"' "$state/report.json"
check "textfile written" test -s "$tf/atscheck.prom"
check "promtool accepts the textfile" promtool check metrics < "$tf/atscheck.prom"
check "textfile says OK" grep -qx 'atscheck_check_verdict{command="audit"} 0' "$tf/atscheck.prom"
check "no temporary left" test -z "$(ls -A "$tf" | grep -v '^atscheck.prom$')"
check "state dir holds only report.json" test "$(ls -A "$state")" = report.json
expect_exit 1 "runner: WARNING device" run "--bundle $T/one.pem"
check "textfile says WARNING" grep -qx 'atscheck_check_verdict{command="audit"} 1' "$tf/atscheck.prom"
check "CA status in the textfile" grep -qF "atscheck_ca_status{ca=\"Amazon Root CA 2\",store=\"$T/one.pem\",status=\"missing\"} 1" "$tf/atscheck.prom"
cp "$state/report.json" "$T/before.json"
expect_exit 3 "runner: the check cannot run (bad usage)" run "--frobnicate"
check "textfile says UNKNOWN, not the old WARNING" grep -qx 'atscheck_check_verdict{command="audit"} 3' "$tf/atscheck.prom"
check "promtool accepts the fallback" promtool check metrics < "$tf/atscheck.prom"
check "the previous report is left as it was" cmp -s "$T/before.json" "$state/report.json"
expect_exit 3 "runner: an unreadable store is UNKNOWN but still reported" run "--bundle $T/nope.pem --bundle $T/six.pem"
check "report.json is the new one" jq -e '.verdict == "UNKNOWN"' "$state/report.json"
check "textfile has the store as unreadable" grep -qF "atscheck_store_readable{store=\"$T/nope.pem\"} 0" "$tf/atscheck.prom"
rm -rf "$tf"
expect_exit 0 "runner without a textfile folder: report only" run "--bundle $T/six.pem"
check "no textfile folder made" test ! -e "$tf"

# publish (the unit's ExecStopPost): the run stages its textfile in the state folder, which is all
# the sandboxed run may write; publish moves it into node_exporter's folder.
stage="$T/stage" pub="$T/pub"
mkdir -p "$stage" "$pub"
publish() { env ATSCHECK="$ATSCHECK" ATSCHECK_COMMAND=audit STATE_DIRECTORY="$stage" ATSCHECK_TEXTFILE_DIR="$stage" ATSCHECK_PUBLISH_DIR="$pub" sh "$RUNNER" "$@"; }
expect_exit 0 "staged run: OK device" env ATSCHECK="$ATSCHECK" ATSCHECK_COMMAND=audit STATE_DIRECTORY="$stage" ATSCHECK_TEXTFILE_DIR="$stage" ATSCHECK_ARGS="--bundle $T/six.pem" sh "$RUNNER"
check "the run staged its textfile beside the report" test -s "$stage/atscheck.prom" -a -s "$stage/report.json"
cp "$stage/atscheck.prom" "$T/staged.prom"
expect_exit 0 "publish" publish publish
check "published: the staged textfile, whole" cmp -s "$T/staged.prom" "$pub/atscheck.prom"
check "published world-readable (node_exporter's user reads it)" test "$(stat -c %a "$pub/atscheck.prom")" = 644
check "the staged file is gone (moved, not copied)" test ! -e "$stage/atscheck.prom"
check "no temporary left in the textfile folder" test "$(ls -A "$pub")" = atscheck.prom
expect_exit 0 "publish after a run that staged nothing (killed)" publish publish
check "published verdict 3, not the last run's OK" grep -qx 'atscheck_check_verdict{command="audit"} 3' "$pub/atscheck.prom"
check "promtool accepts it" promtool check metrics < "$pub/atscheck.prom"
echo "secret" > "$T/secret"
ln -s "$T/secret" "$stage/atscheck.prom"
expect_exit 0 "publish of a staged symlink" publish publish
check "a symlink is not followed: verdict 3, not the file it points at" \
  bash -c "! grep -q secret '$pub/atscheck.prom' && grep -qx 'atscheck_check_verdict{command=\"audit\"} 3' '$pub/atscheck.prom'"
rm -f "$stage/atscheck.prom"
rm -rf "$pub"
echo "atscheck_check_verdict 0" > "$stage/atscheck.prom"
expect_exit 0 "publish with no node_exporter folder: nothing to do" publish publish
check "no folder made, the staged file dropped" test ! -e "$pub" -a ! -e "$stage/atscheck.prom"

# A reader polling during runs never sees half a textfile.
mkdir -p "$tf"
( for _ in $(seq 1 15); do run "--bundle $T/six.pem" >/dev/null 2>&1; done ) &
writer=$!
torn=0 reads=0
while kill -0 $writer 2>/dev/null; do
  if [ -e "$tf/atscheck.prom" ]; then
    reads=$((reads + 1))
    [ "$(tail -c 1 "$tf/atscheck.prom" | od -An -tx1 | tr -d ' ')" = 0a ] || torn=$((torn + 1))
  fi
done
wait $writer
check "no torn textfile in $reads reads while 15 runs rewrote it" test "$torn" -eq 0
finish
