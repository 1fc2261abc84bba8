#!/usr/bin/env bash
# A store full of broken entries (issue 18): the audit lists the first 100 per store and counts
# the rest, in bounded memory and time, and the report says the bound was reached.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

"$ATSCHECK" bundle export "$T" >/dev/null
n=300000 # 17 MB of junk blocks; before the bound: 1 GB of memory, 8 s, a 140 MB report
{ python3 -c "import sys; sys.stdout.write('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' * $n)"
  cat "$T/Amazon_Root_CA_1.pem"; } > "$T/junk.pem"
start=$(date +%s%N)
"$ATSCHECK" audit --bundle "$T/junk.pem" --format json >"$T/r.json"; echo $? >"$T/rc"
ms=$((($(date +%s%N) - start) / 1000000))
check "junk store: exit 1 (WARNING: the good CA is still found), got $(cat "$T/rc")" test "$(cat "$T/rc")" -eq 1
check "junk store: $ms ms (bound 5000)" test "$ms" -lt 5000
check "junk store: 100 entry problems listed" jq -e '.stores[0].entry_problems | length == 100' "$T/r.json"
check "junk store: the rest counted ($((n - 100)))" \
  jq -e --argjson k $((n - 100)) '.stores[0].entry_problems_omitted == $k' "$T/r.json"
check "junk store: the good CA is still found" jq -e '.stores[0].cas[0].status == "present"' "$T/r.json"
check "junk store: one problem says how many more" \
  jq -e --arg k $((n - 100)) '[.problems[] | select(.message | contains("and \($k) more"))] | length == 1' "$T/r.json"
check "junk store: report problems bounded" jq -e '.problems | length < 120' "$T/r.json"
check "junk store: report under 200 KB ($(stat -c %s "$T/r.json") bytes)" test "$(stat -c %s "$T/r.json")" -lt 200000
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f %M -o "$T/kb" "$ATSCHECK" audit --bundle "$T/junk.pem" --format nagios >"$T/nagios" 2>/dev/null
  kb=$(tail -1 "$T/kb")
  # The file itself is read whole (17 MB); the rest must not grow with the entries. ASan's
  # shadow memory and quarantine roughly triple a build's peak: the bound with it is 180 MB.
  mb=60; [ "${ATS_SANITIZE:-0}" = 1 ] && mb=180
  check "junk store: peak RSS ${kb} KB (bound $mb MB)" test "$kb" -lt $((mb * 1024))
  check "junk store: Nagios output under 100 KB" test "$(stat -c %s "$T/nagios")" -lt 100000
fi

# A "chain" of 10,000 certificates (issue 18: 50,000 took 11.5 s and 318 MB): refused at once,
# one line naming the file and the bound (a server chain holds a handful).
python3 -c "import sys; sys.stdout.write(open('$T/Amazon_Root_CA_1.pem').read() * 10000)" > "$T/long.pem"
start=$(date +%s%N)
expect_exit 3 "chain of 10,000: UNKNOWN" "$ATSCHECK" chain "$T/long.pem"
ms=$((($(date +%s%N) - start) / 1000000))
check "chain of 10,000: one line naming the file and the bound" \
  bash -c "test \$(wc -l < '$T/err') -eq 1 && grep -q 'long.pem: 10000 certificates.*at most 32' '$T/err'"
check "chain of 10,000: $ms ms (bound 2000)" test "$ms" -lt 2000

# chain FILE without a host name: the report says the leaf's name was not checked.
"$ATSCHECK" chain "$T/Amazon_Root_CA_1.pem" --bundle "$T/Amazon_Root_CA_1.pem" --format json >"$T/c.json"
check "chain without a host: name_checked false" jq -e '.name_checked == false' "$T/c.json"
"$ATSCHECK" chain "$T/Amazon_Root_CA_1.pem" --bundle "$T/Amazon_Root_CA_1.pem" >"$T/c.txt"
check "chain without a host: the text says so" grep -q "name not checked" "$T/c.txt"
"$ATSCHECK" chain "$T/Amazon_Root_CA_1.pem" --bundle "$T/Amazon_Root_CA_1.pem" --host x.example --format json >"$T/c.json"
check "chain with a host: name_checked true" jq -e '.name_checked == true' "$T/c.json"
finish
