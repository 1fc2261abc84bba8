#!/usr/bin/env bash
# contrib/prometheus: the rules load (promtool check rules), each alert fires where it must and
# stays silent where it must not on synthetic series (promtool test rules), the tests can fail
# (each threshold moved makes them fail), and every metric the rules read is one the Prometheus
# renderer really writes (and a real textfile has it, with the labels the rules use).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
P="$ATS_SOURCE_DIR/contrib/prometheus"
R="$P/atscheck-rules.yml"
check "promtool check rules" promtool check rules "$R"
check "promtool test rules: every alert on synthetic series" promtool test rules "$P/atscheck-rules.test.yml"
for a in AtscheckCannotReachATS AtscheckCAExpiringSoon AtscheckTextfileStale AtscheckFleetCriticalShare; do
  check "$a is tested" grep -q "alertname: $a" "$P/atscheck-rules.test.yml"
done

# Mutants: move one threshold; the tests must notice.
mutant() { # description sed-expression
  cp "$R" "$T/atscheck-rules.yml"
  sed -i "$2" "$T/atscheck-rules.yml"
  if cmp -s "$R" "$T/atscheck-rules.yml"; then fail "mutant '$1' changed nothing"; return; fi
  cp "$P/atscheck-rules.test.yml" "$T/"
  if promtool test rules "$T/atscheck-rules.test.yml" >/dev/null 2>&1; then
    fail "the tests miss a moved threshold: $1"
  else
    pass "the tests catch a moved threshold: $1"
  fi
}
mutant "unreachable for 2h, not 1h" '0,/for: 1h/s//for: 2h/'
mutant "expiry within 28 days, not 30" 's/< 30 \* 86400/< 28 * 86400/'
mutant "textfile older than 3 days, not 2" 's/> 2 \* 86400/> 3 * 86400/'
mutant "CRITICAL share above 25 %, not 5 %" 's/> 0\.05/> 0.25/g'
mutant "CRITICAL share at or above 5 %" 's/ratio > 0\.05/ratio >= 0.05/'
mutant "HTTP/1.1 instead of HTTP/2" 's/protocol="h2"/protocol="http\/1.1"/'

# The names the rules read are the renderer's.
for m in $(grep -oE '\batscheck_[a-z_]+' "$R" | sort -u); do
  check "$m is written by the Prometheus renderer" grep -rq "\"$m\"" "$ATS_SOURCE_DIR"/src/lib/report/report_prom*.c
  check "$m is in the frozen names (reports/README.md)" grep -q "| \`$m\` |" "$ATS_SOURCE_DIR/reports/README.md"
done
# And a real textfile carries them with the labels the rules use.
mkdir -p "$T/pem"
"$ATSCHECK" bundle export "$T/pem" >/dev/null
cat "$T"/pem/*.pem > "$T/six.pem"
"$ATSCHECK" audit --bundle "$T/six.pem" --format json --output "$T/audit.json"
"$ATSCHECK" report render "$T/audit.json" --format prometheus > "$T/audit.prom"
check "a real audit textfile: CA notAfter with ca and store labels" \
  grep -qE '^atscheck_ca_not_after_timestamp_seconds\{ca="Amazon Root CA 1",store="[^"]+"\} [0-9]' "$T/audit.prom"
check "a real audit textfile: the verdict" grep -qE '^atscheck_check_verdict\{command="audit"\} 0' "$T/audit.prom"
mkdir "$T/fleet"; cp "$T/audit.json" "$T/fleet/"
"$ATSCHECK" report merge "$T/fleet" --format prometheus > "$T/fleet.prom" 2>/dev/null
check "a real merge textfile: devices per verdict" grep -qx 'atscheck_fleet_devices{verdict="CRITICAL"} 0' "$T/fleet.prom"
check "promtool accepts it" promtool check metrics < "$T/fleet.prom"
finish
