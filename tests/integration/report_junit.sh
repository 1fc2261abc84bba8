#!/usr/bin/env bash
# --format junit as CI reads it: valid against Jenkins' schema (xunit's junit-10.xsd, restated in
# tests/fixtures/junit/) and reports/junit.xsd, loaded by python3-junitparser and a GitLab-style
# reader (tests/lib/junit_readers.py) that must agree; one testcase per check (a problem never
# adds a case of its own when a check already carries it); real times (a probe's total, never a
# made-up 0); classnames with no dot but the one after the command (Jenkins splits at the last).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/lab.sh"
JENKINS="$ATS_SOURCE_DIR/tests/fixtures/junit/jenkins-xunit-junit-10.xsd"
OWN="$ATS_SOURCE_DIR/reports/junit.xsd"
# Debian's python3 has python3-junitparser (a pyenv or venv python3 on PATH may not).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
if ! "$PY" -c 'import junitparser' 2>/dev/null; then
  fail "python3-junitparser is not installed (bash contrib/deps/install)"; finish
fi

# readers NAME FILE: both schemas, both readers; the summary kept as $T/NAME.cases (JSON).
readers() {
  local name=$1 f=$2
  check "$name: valid against Jenkins' junit-10.xsd" xmllint --noout --schema "$JENKINS" "$f"
  check "$name: valid against reports/junit.xsd" xmllint --noout --schema "$OWN" "$f"
  if "$PY" "$ATS_SOURCE_DIR/tests/lib/junit_readers.py" "$f" > "$T/$name.cases" 2> "$T/$name.rerr"; then
    pass "$name: junitparser and the GitLab-style reader load it and agree"
  else
    fail "$name: readers"; jq -r '.faults[]?' "$T/$name.cases" 2>/dev/null | sed 's/^/    /'; head -3 "$T/$name.rerr"
  fi
  check "$name: no skipped attribute on <testsuites>" \
    test "$(xmllint --xpath 'count(/testsuites/@skipped)' "$f")" = 0
  check "$name: no classname with a dot in its class part" \
    jq -e '[.cases[] | select(.classname | test("^[^.]+(\\.[^.]+)?$") | not)] | length == 0' "$T/$name.cases"
  check "$name: no time=\"0\"" bash -c "! grep -q 'time=\"0\"' '$f'"
}
cases() { jq "[.cases[] | select($2)] | length" "$T/$1.cases"; }

"$ATSCHECK" bundle export "$T/pem" >/dev/null 2>&1 || { mkdir -p "$T/pem"; "$ATSCHECK" bundle export "$T/pem" >/dev/null; }
cat "$T"/pem/*.pem > "$T/six.v1.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.v1.pem"

# --- audit: one case per CA per store, plus "anchors an ATS chain"; the path's dots as '_'
"$ATSCHECK" audit --bundle "$T/six.v1.pem" --bundle "$T/two.v1.pem" --format junit > "$T/audit.xml"
readers audit "$T/audit.xml"
check "audit: 2 stores x (6 CAs + 1) = 14 cases" test "$(cases audit true)" = 14
check "audit: Jenkins' class is the whole path (dots as _)" \
  test "$(cases audit '.jenkins_class == "'"${T//./_}"'/two_v1_pem"')" = 7
check "audit: two.pem misses four CAs: 4 failed" \
  test "$(cases audit '.classname | endswith("two_v1_pem")' )" = 7 -a \
       "$(jq '[.cases[] | select((.classname | endswith("two_v1_pem")) and .status == "failed")] | length' "$T/audit.cases")" = 4

# --- probe against the loopback endpoint, passing and failing
lab_serve || finish

"$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format json > "$T/pass.json"
"$ATSCHECK" report render "$T/pass.json" --format junit > "$T/pass.xml"
readers probe-pass "$T/pass.xml"
check "passing probe: two cases, both success" test "$(cases probe-pass '.status == "success"')" = 2
for proto in h2 http/1.1; do
  want=$(jq --arg p "$proto" '.probes[] | select(.name == $p) | .times_ms.total / 1000' "$T/pass.json")
  got=$(jq --arg p "$proto" '.cases[] | select(.name == $p) | .time' "$T/probe-pass.cases")
  check "$proto: case time $got s = the probe's total ($want s)" \
    awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(a > 0 && d < 1e-6 && d > -1e-6) }'
done
check "the suite's time is the cases' sum" awk -v s="$(xmllint --xpath 'string(//testsuite/@time)' "$T/pass.xml")" \
  -v c="$(jq '[.cases[].time] | add' "$T/probe-pass.cases")" 'BEGIN { d = s - c; exit !(s > 0 && d < 1e-5 && d > -1e-5) }'

"$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem" --format json > "$T/fail.json"
check "the failing probe has one problem naming both probes" \
  jq -e '(.problems | length) == 1 and .problems[0].probe == "h2, http/1.1"' "$T/fail.json"
"$ATSCHECK" report render "$T/fail.json" --format junit > "$T/fail.xml"
readers probe-fail "$T/fail.xml"
check "one problem, two probes: 2 cases, 2 failures (no extra problem case)" \
  test "$(cases probe-fail true)" = 2 -a "$(xmllint --xpath 'string(/testsuites/@failures)' "$T/fail.xml")" = 2
check "failing probes are timed too" test "$(cases probe-fail '.time > 0')" = 2
"$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem" --format junit > "$T/fail-direct.xml"
readers probe-direct "$T/fail-direct.xml"

# A problem no case claims (an SDK config that cannot be read): its own case, named by its cause.
"$ATSCHECK" audit --bundle "$T/six.v1.pem" --sdk-config "$T/nope.json" --format junit > "$T/nocfg.xml" 2>/dev/null
readers audit-nocfg "$T/nocfg.xml"
check "the unclaimed problem is one error case named by its cause" \
  test "$(cases audit-nocfg '.status == "error" and .name == "input-unreadable"')" = 1
check "no case named 'problem N'" test "$(cases audit-nocfg '.name | test("^problem [0-9]")')" = 0

# --- check (audit + probe), selftest, dha verify
"$ATSCHECK" check "${P[@]}" --cacert "$g/trust.pem" --format junit > "$T/check.xml"
readers check "$T/check.xml"
check "check: the probe cases are check.probe" test "$(cases check '.classname == "check.probe"')" = 2
cat "$g/server-cert.pem" "$g/server-chain.pem" > "$T/chain.pem"
"$ATSCHECK" chain "$T/chain.pem" --host localhost --bundle "$T/six.v1.pem" --format junit > "$T/chain.xml"
readers chain "$T/chain.xml"
check "chain: one failing case per store, classname chain.PATH, no extra problem case" \
  test "$(cases chain '.status == "failed" and .jenkins_package == "chain"')" = 1 -a "$(cases chain true)" = 1
"$ATSCHECK" selftest --format junit > "$T/self.xml"
readers selftest "$T/self.xml"
check "selftest: every case timed" test "$(cases selftest '.time > 0')" = "$(cases selftest true)"
D=$T/dha
lab_dha "$D"
"$ATSCHECK" dha verify "$D/certificate.pem" --format junit > "$D/v.xml"
readers dha "$D/v.xml"
check "dha: skipped checks are skipped to both readers" test "$(cases dha '.status == "skipped"')" -gt 0
finish
