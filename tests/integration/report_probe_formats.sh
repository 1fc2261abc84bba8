#!/usr/bin/env bash
# --format prometheus, junit and nagios on the reports of probe, check, selftest and dha verify
# as the commands really write them (against `atscheck serve` on 127.0.0.1 with a lab PKI made
# here): promtool and xmllint (reports/junit.xsd) parse them, and the series, testcases and
# perfdata read the probe's real fields (name, times_ms, http.status, certificates.sent).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
XSD="$ATS_SOURCE_DIR/reports/junit.xsd"
. "$ATS_SOURCE_DIR/tests/lib/lab.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

lab_serve || finish
check "serve is listening" test -n "$port"

# series NAME FILE: how many lines are exactly NAME (a whole sample line).
series() { grep -cxF "$1" "$2"; }
# perf_labels FILE: the perfdata labels of the status line, one a line.
perf_labels() { head -1 "$1" | sed 's/^[^|]*|//' | grep -o "'[^']*'="; }
# distinct_certs JSON: certificates (objects with not_after_epoch and sha256) by sha256.
distinct_certs() { jq '[.. | objects | select(has("not_after_epoch") and has("sha256")) | .sha256] | unique | length' "$1"; }

# --- probe: a saved report, rendered; the numbers must be the report's own
expect_exit 0 "probe passes both ways" "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format json
cp "$T/out" "$T/probe.json"
expect_exit 0 "render the probe as prometheus" "$ATSCHECK" report render "$T/probe.json" --format prometheus
cp "$T/out" "$T/probe.prom"
check "promtool check metrics accepts it" promtool check metrics < "$T/probe.prom"
check "atscheck_probe_success{protocol=\"h2\"} 1 once" test "$(series 'atscheck_probe_success{protocol="h2"} 1' "$T/probe.prom")" = 1
check "atscheck_probe_success{protocol=\"http/1.1\"} 1 once" \
  test "$(series 'atscheck_probe_success{protocol="http/1.1"} 1' "$T/probe.prom")" = 1
check "no empty protocol label" bash -c "! grep -q 'protocol=\"\"' '$T/probe.prom'"
for proto in h2 http/1.1; do
  for phase in dns tcp tls first_byte total; do
    check "duration $proto $phase present once" \
      test "$(grep -c "^atscheck_probe_duration_seconds{protocol=\"$proto\",phase=\"$phase\"} " "$T/probe.prom")" = 1
  done
  # total in seconds = times_ms.total / 1000; first_byte = the phases summed (from the start).
  for pair in "total:.total" "first_byte:(.dns + .tcp + .tls + .first_byte)" "tls:(.dns + .tcp + .tls)"; do
    phase=${pair%%:*} expr=${pair#*:}
    want=$(jq --arg p "$proto" ".probes[] | select(.name == \$p) | .times_ms | $expr / 1000" "$T/probe.json")
    got=$(sed -n "s/^atscheck_probe_duration_seconds{protocol=\"${proto//\//\\/}\",phase=\"$phase\"} //p" "$T/probe.prom")
    check "$proto $phase: ${got:-none} s = times_ms / 1000 (${want:-none})" \
      awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(a != "" && b != "" && d < 1e-6 && d > -1e-6) }'
  done
  check "$proto phases end in order (dns <= tcp <= tls <= first_byte)" awk -v p="$proto" -F'[{},"= ]+' '
    $1 == "atscheck_probe_duration_seconds" && $3 == p { v[$5] = $6 }
    END { exit !(v["dns"] <= v["tcp"] && v["tcp"] <= v["tls"] && v["tls"] <= v["first_byte"] && v["first_byte"] > 0) }' "$T/probe.prom"
done
check "http status per protocol" test "$(series 'atscheck_probe_http_status{protocol="h2"} 200' "$T/probe.prom")" = 1
check "the leaf's notAfter from certificates.sent" grep -qF \
  "atscheck_probe_cert_not_after_timestamp_seconds{protocol=\"h2\",depth=\"0\",subject=\"CN=localhost\"} $(jq '.probes[0].certificates.sent[0].not_after_epoch' "$T/probe.json")" "$T/probe.prom"

expect_exit 0 "render the probe as junit" "$ATSCHECK" report render "$T/probe.json" --format junit
check "valid against reports/junit.xsd" xmllint --noout --schema "$XSD" "$T/out"
check "two testcases named h2 and http/1.1, passing" \
  test "$(xmllint --xpath 'count(//testcase[(@name="h2" or @name="http/1.1") and not(*)])' "$T/out")" = 2

expect_exit 0 "render the probe as nagios" "$ATSCHECK" report render "$T/probe.json" --format nagios
cp "$T/out" "$T/probe.nag"
check "no perfdata label twice" test -z "$(perf_labels "$T/probe.nag" | sort | uniq -d)"
check "one perfdata item per distinct certificate ($(distinct_certs "$T/probe.json"))" \
  test "$(perf_labels "$T/probe.nag" | wc -l)" = "$(distinct_certs "$T/probe.json")"
check "the leaf named with its protocol" grep -qF "'CN_localhost (h2)'=" "$T/probe.nag"

# A failing probe: success 0, and the JUnit case carries the cause.
expect_exit 2 "probe with only the intermediate in the store: prometheus" "$ATSCHECK" probe "${P[@]}" \
  --cacert "$g/server-chain.pem" --format prometheus
check "promtool accepts it" promtool check metrics < "$T/out"
check "atscheck_probe_success{protocol=\"h2\"} 0" test "$(series 'atscheck_probe_success{protocol="h2"} 0' "$T/out")" = 1
expect_exit 2 "the same as junit" "$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem" --format junit
check "valid" xmllint --noout --schema "$XSD" "$T/out"
check "h2 fails CRITICAL" test "$(xmllint --xpath 'count(//testcase[@name="h2"]/failure[@type="CRITICAL"])' "$T/out")" = 1

# --- check: what contrib's systemd timer writes for node_exporter
# (CRITICAL: the lab's "Amazon Root CA 1" in the store is an impostor to the audit; both probes pass.)
"$ATSCHECK" check "${P[@]}" --cacert "$g/trust.pem" --format json > "$T/check.json" 2> "$T/err"
code=$?
check "check wrote its report, exit code in it ($code)" jq -e --argjson c "$code" \
  '.command == "check" and .exit_code == $c and ([.probe.probes[].verdict] == ["OK", "OK"])' "$T/check.json"
"$ATSCHECK" report render "$T/check.json" --format prometheus > "$T/check.prom"
check "promtool accepts check's metrics" promtool check metrics < "$T/check.prom"
check "check: atscheck_probe_success{protocol=\"h2\"} 1 once" \
  test "$(series 'atscheck_probe_success{protocol="h2"} 1' "$T/check.prom")" = 1
check "check: atscheck_probe_success{protocol=\"http/1.1\"} 1 once" \
  test "$(series 'atscheck_probe_success{protocol="http/1.1"} 1' "$T/check.prom")" = 1
check "check: a duration series per phase per protocol" \
  test "$(grep -c '^atscheck_probe_duration_seconds{protocol="\(h2\|http/1.1\)",phase="\(dns\|tcp\|tls\|first_byte\|total\)"} ' "$T/check.prom")" = 10
check "check: the audit's series too" grep -q '^atscheck_store_readable{' "$T/check.prom"
"$ATSCHECK" check "${P[@]}" --cacert "$g/trust.pem" --format prometheus > "$T/check-direct.prom"
check "check --format prometheus directly: both protocols, once each" \
  test "$(grep -c '^atscheck_probe_success{protocol="\(h2\|http/1.1\)"} 1$' "$T/check-direct.prom")" = 2
"$ATSCHECK" report render "$T/check.json" --format junit > "$T/check.xml"
check "check junit valid" xmllint --noout --schema "$XSD" "$T/check.xml"
check "no testcase without a name" test "$(xmllint --xpath 'count(//testcase[@name=""])' "$T/check.xml")" = 0
check "check.probe cases h2 and http/1.1" \
  test "$(xmllint --xpath 'count(//testcase[@classname="check.probe" and (@name="h2" or @name="http/1.1")])' "$T/check.xml")" = 2
"$ATSCHECK" report render "$T/check.json" --format nagios > "$T/check.nag"
check "check nagios: no perfdata label twice" test -z "$(perf_labels "$T/check.nag" | sort | uniq -d)"
check "check nagios: one item per distinct certificate ($(distinct_certs "$T/check.json"))" \
  test "$(perf_labels "$T/check.nag" | wc -l)" = "$(distinct_certs "$T/check.json")"
check "check nagios exit code is the report's ($code)" bash -c \
  "'$ATSCHECK' report render '$T/check.json' --format nagios >/dev/null; test \$? = '$code'"

# --- selftest: probes under runs[].probe
expect_exit 0 "selftest" "$ATSCHECK" selftest --format json
cp "$T/out" "$T/self.json"
runs=$(jq '.runs | length' "$T/self.json")
"$ATSCHECK" report render "$T/self.json" --format junit > "$T/self.xml"
check "selftest junit valid" xmllint --noout --schema "$XSD" "$T/self.xml"
check "one case per probe per run ($runs runs)" \
  test "$(xmllint --xpath 'count(//testcase[@name="h2" or @name="http/1.1"])' "$T/self.xml")" = $((runs * 2))
check "no testcase without a name" test "$(xmllint --xpath 'count(//testcase[@name=""])' "$T/self.xml")" = 0
check "all as expected: nothing fails (a must-fail run passes)" \
  test "$(xmllint --xpath 'count(//testcase/*)' "$T/self.xml")" = 0
# A run whose probes did not fail the way it expects fails its cases.
jq '.runs[0].expect = "expired" | .runs[0].as_expected = false' "$T/self.json" > "$T/self-bad.json"
"$ATSCHECK" report render "$T/self-bad.json" --format junit > "$T/self-bad.xml"
check "an unexpected outcome is a failure" \
  test "$(xmllint --xpath 'count(//testcase/failure[contains(@message, "expected expired")])' "$T/self-bad.xml")" = 2
"$ATSCHECK" report render "$T/self.json" --format prometheus > "$T/self.prom"
check "selftest prometheus: promtool accepts it" promtool check metrics < "$T/self.prom"
check "one passing state set per run" \
  test "$(grep -c '^atscheck_check_status{command="selftest",check=".*",status="pass"} 1$' "$T/self.prom")" = "$runs"
"$ATSCHECK" report render "$T/self-bad.json" --format prometheus > "$T/self-bad.prom"
check "a run not as expected is status fail" \
  test "$(grep -c '^atscheck_check_status{command="selftest",check=".*",status="fail"} 1$' "$T/self-bad.prom")" = 1
"$ATSCHECK" report render "$T/self.json" --format nagios > "$T/self.nag"
check "selftest nagios: no perfdata label twice" test -z "$(perf_labels "$T/self.nag" | sort | uniq -d)"
check "selftest nagios: one item per distinct certificate ($(distinct_certs "$T/self.json"))" \
  test "$(perf_labels "$T/self.nag" | wc -l)" = "$(distinct_certs "$T/self.json")"

# --- dha verify: skip checks, and the certificates' not_after_epoch
D=$T/dha
mkdir -p "$D"
cat > "$D/ca.ext" <<'EOF'
[ dak ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, digitalSignature
subjectKeyIdentifier = hash
[ dev ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$D/dak.key" \
  -subj "/CN=Test DAK" -days 3650 -out "$D/dak.pem" -config "$D/ca.ext" -extensions dak 2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$D/dev.key" \
  -subj "/CN=Test Speaker DHA" -out "$D/dev.csr" 2>/dev/null
openssl x509 -req -in "$D/dev.csr" -CA "$D/dak.pem" -CAkey "$D/dak.key" -days 1825 -sha256 \
  -extfile "$D/ca.ext" -extensions dev -out "$D/dev.pem" 2>/dev/null
cat "$D/dev.pem" "$D/dak.pem" > "$D/certificate.pem"
"$ATSCHECK" dha verify "$D/certificate.pem" --format json > "$D/v.json" 2>"$T/err"
check "dha verify wrote a report with checks" jq -e '.command == "dha verify" and (.checks | length) == 15' "$D/v.json"
skips=$(jq '[.checks[] | select(.status == "skip")] | length' "$D/v.json")
check "some checks are skip ($skips)" test "$skips" -gt 0
check "device_certificate and dak carry not_after_epoch" \
  jq -e '(.device_certificate.not_after_epoch | type) == "number" and (.dak.not_after_epoch | type) == "number"' "$D/v.json"
"$ATSCHECK" report render "$D/v.json" --format junit > "$D/v.xml"
check "dha junit valid" xmllint --noout --schema "$XSD" "$D/v.xml"
check "each skip is <skipped/> ($skips)" test "$(xmllint --xpath 'count(//testcase/skipped)' "$D/v.xml")" = "$skips"
check "skip is no error" test "$(xmllint --xpath 'count(//testcase/error)' "$D/v.xml")" = 0
check "testsuite counts the skipped" test "$(xmllint --xpath 'string(//testsuite/@skipped)' "$D/v.xml")" = "$skips"
"$ATSCHECK" report render "$D/v.json" --format prometheus > "$D/v.prom"
check "dha prometheus: promtool accepts it" promtool check metrics < "$D/v.prom"
check "a skip state per skipped check" \
  test "$(grep -c '^atscheck_check_status{command="dha verify",check="[^"]*",status="skip"} 1$' "$D/v.prom")" = "$skips"
check "private-key skipped holds no other state" \
  test "$(grep -c '^atscheck_check_status{command="dha verify",check="private-key",status="[a-z]*"} 1$' "$D/v.prom")" = 1
"$ATSCHECK" report render "$D/v.json" --format nagios > "$D/v.nag"
check "dha nagios: perfdata for the device certificate and the DAK" \
  test "$(perf_labels "$D/v.nag" | grep -c "Test \(Speaker DHA\|DAK\)")" = 2
check "device certificate: 1824 or 1825 days left" grep -qE "'[^']*Test Speaker DHA[^']*'=182[45];" "$D/v.nag"

finish
