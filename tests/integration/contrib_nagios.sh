#!/usr/bin/env bash
# contrib/nagios/check_atscheck: plugin exit codes, one status line with perfdata per CA, the
# -w/-c day thresholds, and UNKNOWN when atscheck is missing or cannot run.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
PLUGIN="$ATS_SOURCE_DIR/contrib/nagios/check_atscheck"
"$ATSCHECK" bundle export "$T/pem" >/dev/null 2>&1 || { mkdir -p "$T/pem"; "$ATSCHECK" bundle export "$T/pem" >/dev/null; }
cat "$T"/pem/*.pem > "$T/six.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.pem"
printf 'garbage\n' > "$T/garbage.pem"
export ATSCHECK
nag() { sh "$PLUGIN" "$@"; }

expect_exit 0 "OK: six CAs, -w 30 -c 7" nag -C audit -w 30 -c 7 -- --bundle "$T/six.pem" --at 2030-01-01
check "one status line with perfdata" grep -q '^ATSCHECK OK - audit: all checks passed | ' "$T/out"
check "one perfdata item per CA" test "$(head -1 "$T/out" | grep -oE "'[^']+'=-?[0-9]+;30:;7:;0;" | wc -l)" -eq 6
check "Amazon Root CA 1 days left at 2030-01-01 (2938)" grep -qF "'Amazon Root CA 1 (six.pem)'=2938;30:;7:;0;" "$T/out"
expect_exit 1 "WARNING: within -w (Starfield Class 2 has 1640 days at 2030)" nag -C audit -w 2000 -c 100 -- --bundle "$T/six.pem" --at 2030-01-01
check "status line names the CA" grep -q '^ATSCHECK WARNING - .*Starfield Class 2 Certification Authority expires in 1640 days' "$T/out"
expect_exit 2 "CRITICAL: within -c" nag -C audit -w 3000 -c 2000 -- --bundle "$T/six.pem" --at 2030-01-01
check "status CRITICAL" grep -q '^ATSCHECK CRITICAL' "$T/out"
expect_exit 1 "WARNING: missing CAs" nag -C audit -- --bundle "$T/two.pem"
check "problem lines follow the status line" test "$(wc -l < "$T/out")" -ge 5
expect_exit 2 "CRITICAL: no usable CA" nag -C audit -- --bundle "$T/garbage.pem"
expect_exit 3 "UNKNOWN: unreadable store" nag -C audit -- --bundle "$T/nope.pem"
check "status UNKNOWN" grep -q '^ATSCHECK UNKNOWN' "$T/out"
expect_exit 3 "UNKNOWN: atscheck cannot run (bad option)" nag -C audit -- --frobnicate
check "says it could not run" grep -q '^ATSCHECK UNKNOWN - atscheck audit could not run' "$T/out"
expect_exit 3 "UNKNOWN: atscheck not installed" env ATSCHECK="$T/no-such-atscheck" sh "$PLUGIN" -C audit
check "says so" grep -q 'not found' "$T/out"
expect_exit 3 "UNKNOWN: bad -w" nag -w soon
expect_exit 3 "UNKNOWN: unknown plugin option" nag -x
expect_exit 0 "-h" nag -h
check "every output's first line has exactly one '|'" bash -c "sh '$PLUGIN' -C audit -- --bundle '$T/two.pem' | head -1 | tr -cd '|' | wc -c | grep -x 1 >/dev/null"
finish
