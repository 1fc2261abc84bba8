#!/usr/bin/env bash
# --format prometheus, junit and nagios on real audit outputs: parsed by real parsers (promtool,
# xmllint against reports/junit.xsd), their contents checked, and `report render` of a saved report.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
XSD="$ATS_SOURCE_DIR/reports/junit.xsd"

"$ATSCHECK" bundle export "$T" >/dev/null
cat "$T"/*.pem > "$T/six.pem"
cat "$T/Amazon_Root_CA_1.pem" "$T/Amazon_Root_CA_3.pem" > "$T/two.pem"
# A store path with a quote and a backslash: label values must be escaped.
odd="$T/odd \"store\" \\ name.pem"
cp "$T/two.pem" "$odd"

# --- Prometheus
expect_exit 1 "prometheus: two CAs" "$ATSCHECK" audit --bundle "$T/two.pem" --bundle "$odd" --format prometheus
cp "$T/out" "$T/two.prom"
check "promtool check metrics accepts it" promtool check metrics < "$T/two.prom"
check "missing CA is status=missing 1" grep -qF "atscheck_ca_status{ca=\"Amazon Root CA 2\",store=\"$T/two.pem\",status=\"missing\"} 1" "$T/two.prom"
check "present CA is status=present 1" grep -qF "atscheck_ca_status{ca=\"Amazon Root CA 1\",store=\"$T/two.pem\",status=\"present\"} 1" "$T/two.prom"
check "not_after as a timestamp (2038-01-17)" grep -qF "atscheck_ca_not_after_timestamp_seconds{ca=\"Amazon Root CA 1\",store=\"$T/two.pem\"} 2147299200" "$T/two.prom"
check "no not_after for a missing CA" bash -c "! grep -F 'atscheck_ca_not_after_timestamp_seconds{ca=\"Amazon Root CA 2\"' '$T/two.prom'"
check "verdict metric" grep -qx 'atscheck_check_verdict{command="audit"} 1' "$T/two.prom"
check "quote and backslash escaped in the label" grep -qF 'odd \"store\" \\ name.pem' "$T/two.prom"
check "HELP and TYPE once per family" test "$(grep -c '^# TYPE atscheck_ca_status ' "$T/two.prom")" -eq 1
expect_exit 3 "prometheus with an unreadable store still renders (UNKNOWN)" "$ATSCHECK" audit --bundle "$T/nope.pem" --format prometheus
check "promtool accepts the UNKNOWN report" promtool check metrics < "$T/out"
check "unreadable store is atscheck_store_readable 0" grep -qF "atscheck_store_readable{store=\"$T/nope.pem\"} 0" "$T/out"
expect_exit 0 "system audit as prometheus" "$ATSCHECK" audit --format prometheus --output "$T/sys.prom"
check "promtool accepts the system audit" promtool check metrics < "$T/sys.prom"

# --- JUnit
expect_exit 1 "junit: two CAs" "$ATSCHECK" audit --bundle "$T/two.pem" --format junit --device-id 'dev<&>1'
cp "$T/out" "$T/two.xml"
check "well-formed and valid against reports/junit.xsd" xmllint --noout --schema "$XSD" "$T/two.xml"
check "7 testcases: 6 CAs + the store" test "$(xmllint --xpath 'count(//testcase)' "$T/two.xml")" = 7
check "4 failures: the 4 missing CAs" test "$(xmllint --xpath 'string(/testsuites/testsuite/@failures)' "$T/two.xml")" = 4
check "failure names the CA and carries the fix" \
  test "$(xmllint --xpath 'count(//testcase[@name="Amazon Root CA 2"]/failure[@type="WARNING" and contains(., "atscheck install")])' "$T/two.xml")" = 1
check "present CA passes" test "$(xmllint --xpath 'count(//testcase[@name="Amazon Root CA 1"]/*)' "$T/two.xml")" = 0
check "device id escaped into hostname" test "$(xmllint --xpath 'string(//testsuite/@hostname)' "$T/two.xml")" = 'dev<&>1'
expect_exit 3 "junit with an unreadable store" "$ATSCHECK" audit --bundle "$T/nope.pem" --bundle "$T/six.pem" --format junit
check "valid" xmllint --noout --schema "$XSD" "$T/out"
check "unreadable store is one <error>" test "$(xmllint --xpath 'count(//testcase[@name="readable"]/error)' "$T/out")" = 1
check "the good store: 7 passing cases" test "$(xmllint --xpath "count(//testcase[@classname='audit.${T//./_}/six_pem' and not(*)])" "$T/out")" = 7

# A command renderers do not know yet, with the common "checks": one testcase per check.
cat > "$T/future.json" <<'JSON'
{"command": "dha-verify", "verdict": "CRITICAL", "exit_code": 2, "at": "2030-01-01T00:00:00Z",
 "problems": [{"severity": "CRITICAL", "message": "signature does not verify", "fix": "re-sign"}],
 "checks": [{"name": "two certificates", "status": "pass"},
            {"name": "lifetime 1825 days", "status": "warn", "message": "1000 days"},
            {"name": "signature", "status": "fail", "message": "signature does not verify", "fix": "re-sign"}],
 "device_certificate": {"subject": "CN=dev1", "not_after_epoch": 1900000000},
 "tool": {"atscheck": "0.1.0", "openssl": "x", "libcurl": "y"}, "schema_version": 1, "device": "d1"}
JSON
expect_exit 2 "render junit of an unknown command" "$ATSCHECK" report render "$T/future.json" --format junit
check "valid" xmllint --noout --schema "$XSD" "$T/out"
check "one testcase per check, problems not repeated" test "$(xmllint --xpath 'count(//testcase)' "$T/out")" = 3
check "warn is a WARNING failure" test "$(xmllint --xpath 'count(//testcase[@name="lifetime 1825 days"]/failure[@type="WARNING"])' "$T/out")" = 1
expect_exit 2 "render prometheus of an unknown command" "$ATSCHECK" report render "$T/future.json" --format prometheus
check "promtool accepts it" promtool check metrics < "$T/out"
check "check state set" grep -qx 'atscheck_check_status{command="dha-verify",check="signature",status="fail"} 1' "$T/out"
expect_exit 2 "render nagios of an unknown command" "$ATSCHECK" report render "$T/future.json" --format nagios
check "perfdata for any not_after_epoch (CN=dev1, 75 days from at)" grep -qF "'CN_dev1'=75;30:;7:;0;" "$T/out"

# --- Nagios
"$ATSCHECK" audit --bundle "$T/six.pem" --format json --at 2030-01-01 > "$T/six-2030.json"
expect_exit 0 "nagios OK" "$ATSCHECK" report render "$T/six-2030.json" --format nagios
check "status line" grep -q '^ATSCHECK OK - audit: all checks passed |' "$T/out"
check "one perfdata item per CA" test "$(head -1 "$T/out" | grep -o "=[0-9-]*;30:;7:;0;" | wc -l)" -eq 6
check "Starfield Class 2 has 1640 days left at 2030-01-01" grep -qF "'Starfield Class 2 Certification Authority (six.pem)'=1640;30:;7:;0;" "$T/out"
expect_exit 1 "nagios -w 2000: WARNING" "$ATSCHECK" report render "$T/six-2030.json" --format nagios -w 2000 -c 10
check "names the CA within the threshold" grep -q 'Starfield Class 2 Certification Authority expires in 1640 days' "$T/out"
expect_exit 2 "nagios -c 2000: CRITICAL" "$ATSCHECK" report render "$T/six-2030.json" --format nagios -w 3000 -c 2000
check "status word CRITICAL" grep -q '^ATSCHECK CRITICAL' "$T/out"
expect_exit 1 "nagios on a WARNING report" "$ATSCHECK" audit --bundle "$T/two.pem" --format nagios
check "first line has the problem, one line per problem after" test "$(wc -l < "$T/out")" -eq 5
check "no '|' in the text part" test "$(head -1 "$T/out" | tr -cd '|' | wc -c)" -eq 1

# --- render and bad usage
"$ATSCHECK" audit --bundle "$T/two.pem" --format json --device-id far-away > "$T/two.json"
expect_exit 1 "render text" "$ATSCHECK" report render "$T/two.json"
check "render keeps the report's device" jq -e '.device == "far-away"' <("$ATSCHECK" report render "$T/two.json" --format json)
expect_exit 3 "render a file that is not a report" "$ATSCHECK" report render "$T/two.pem"
check "names the file" grep -q "two.pem: not an atscheck JSON report" "$T/err"
expect_exit 3 "render a missing file" "$ATSCHECK" report render "$T/nope.json"
expect_exit 3 "unknown --format" "$ATSCHECK" audit --bundle "$T/six.pem" --format yaml
expect_exit 3 "html is for fleet summaries" "$ATSCHECK" audit --bundle "$T/six.pem" --format html
check "says so" grep -q "fleet summaries" "$T/err"
expect_exit 3 "bad -w" "$ATSCHECK" report render "$T/two.json" --format nagios -w soon
expect_exit 3 "report without subcommand" "$ATSCHECK" report
expect_exit 3 "report frobnicate" "$ATSCHECK" report frobnicate
expect_exit 0 "--help lists the formats" "$ATSCHECK" audit --help
check "prometheus, junit, nagios in --help" grep -q "prometheus, junit, nagios" "$T/out"
finish
