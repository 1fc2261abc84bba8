#!/usr/bin/env bash
# Real outputs of atscheck (audit in several scenarios, bundle, a fleet summary) validated against
# reports/schema.json with python3-jsonschema; and a report broken on purpose must fail.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
SCHEMA="$ATS_SOURCE_DIR/reports/schema.json"
VALIDATE="$ATS_SOURCE_DIR/tests/lib/validate_report.py"
PY=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done

"$ATSCHECK" bundle export "$T" >/dev/null
cat "$T"/*.pem > "$T/six.pem"
cat "$T/Amazon_Root_CA_1.pem" "$T/Amazon_Root_CA_3.pem" > "$T/two.pem"
head -c 700 "$T/Amazon_Root_CA_2.pem" > "$T/truncated.pem"
cat "$T/six.pem" "$T/truncated.pem" > "$T/six-and-broken.pem"
printf 'garbage\n' > "$T/garbage.pem"
# An impostor: Amazon Root CA 1's name on another key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Amazon Root CA 1" \
  -days 30 -keyout "$T/imp.key" -out "$T/impostor.pem" 2>/dev/null
cat "$T/impostor.pem" "$T/Amazon_Root_CA_3.pem" > "$T/with-impostor.pem"

n=0
scenario() { # name expected-exit args...
  local name=$1 want=$2; shift 2
  n=$((n + 1))
  "$ATSCHECK" audit "$@" --format json --device-id "dev-$name" > "$T/s-$name.json" 2>/dev/null
  local got=$?
  if [ "$got" -eq "$want" ]; then pass "scenario $name ran (exit $got)"; else fail "scenario $name: exit $got, expected $want"; fi
}
scenario six 0 --bundle "$T/six.pem"
scenario two 1 --bundle "$T/two.pem"
scenario garbage 2 --bundle "$T/garbage.pem"
scenario missing-file 3 --bundle "$T/nope.pem" --bundle "$T/six.pem"
scenario expired 2 --bundle "$T/six.pem" --at 2041-01-01
# Starfield Class 2 (2004) is already valid in 2010: a WARNING, not CRITICAL.
scenario not-yet-valid 1 --bundle "$T/six.pem" --at 2010-01-01
scenario impostor 2 --bundle "$T/with-impostor.pem"
scenario expiring 1 --bundle "$T/six.pem" --warn-days 36500
scenario broken-entry 1 --bundle "$T/six-and-broken.pem"
scenario two-stores 1 --bundle "$T/six.pem" --bundle "$T/two.pem"
if [ -d /etc/ssl/certs ]; then scenario capath 0 --capath /etc/ssl/certs; fi
"$ATSCHECK" audit --format json > "$T/s-system.json" 2>/dev/null
"$ATSCHECK" bundle list --format json > "$T/s-bundle.json"

check "every scenario is valid against reports/schema.json" "$PY" "$VALIDATE" "$SCHEMA" "$T"/s-*.json
"$PY" "$VALIDATE" "$SCHEMA" "$T"/s-*.json | head -20

# The scenarios really differ where the schema looks.
check "impostor status reported" jq -e '[.stores[0].cas[] | .status] | index("impostor")' "$T/s-impostor.json"
check "expired status reported" jq -e '[.stores[0].cas[] | .status] | unique == ["expired"]' "$T/s-expired.json"
check "unreadable store has an error" jq -e '.stores[0].error | test("cannot open")' "$T/s-missing-file.json"

# Fleet summary of all of them, with itself as baseline.
"$ATSCHECK" report merge "$T" --format json --output "$T/m-base.json" 2>/dev/null
"$ATSCHECK" report merge "$T"/s-*.json --baseline "$T/m-base.json" --format json > "$T/m-now.json" 2>/dev/null
check "fleet summaries are valid" "$PY" "$VALIDATE" "$SCHEMA" "$T/m-base.json" "$T/m-now.json"

# The validator can fail: reports broken in ways the schema must catch.
jq '.stores[0].cas[1].status = "bogus"' "$T/s-six.json" > "$T/bad1.json"
jq '.exit_code = 2' "$T/s-six.json" > "$T/bad2.json"
jq 'del(.problems)' "$T/s-two.json" > "$T/bad3.json"
jq '.stores[0].cas[0].sha256 = "XYZ"' "$T/s-six.json" > "$T/bad4.json"
jq '.files.read = -1' "$T/m-now.json" > "$T/bad5.json"
for i in 1 2 3 4 5; do
  "$PY" "$VALIDATE" "$SCHEMA" "$T/bad$i.json" > "$T/v.out" 2>&1
  rc=$?
  if [ "$rc" -eq 1 ]; then pass "broken report $i rejected: $(head -1 "$T/v.out")"; else fail "broken report $i: validator exit $rc"; fi
done
finish
