#!/usr/bin/env bash
# atscheck report merge over a fleet of real device reports: the counts, the devices behind each,
# expiry within the horizon, duplicates, unusable files named and never fatal, the baseline,
# every output format (promtool, the schema, markdown), and the HTML page as a person sees it
# (headless Chromium screenshot, its pixels checked).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
F="$T/fleet"
mkdir -p "$F/site-a" "$F/site-b" "$T/pem"
"$ATSCHECK" bundle export "$T/pem" >/dev/null
cat "$T"/pem/*.pem > "$T/six.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.pem"
printf 'garbage\n' > "$T/garbage.pem"
AT=2034-01-01
dev() { # id folder args...
  local id=$1 dir=$2; shift 2
  "$ATSCHECK" audit "$@" --at $AT --warn-days 30 --format json --device-id "$id" --output "$F/$dir/$id.json" 2>/dev/null
}
for i in 1 2 3 4 5; do dev ok-$i site-a --bundle "$T/six.pem"; done
for i in 1 2 3; do dev warn-$i site-b --bundle "$T/two.pem"; done
dev crit-1 site-b --bundle "$T/garbage.pem"
# Two devices on another libcurl (as an older image would report).
for i in 6 7; do
  jq '.tool.libcurl = "7.64.0"' "$F/site-a/ok-1.json" | jq ".device = \"ok-$i\"" > "$F/site-a/ok-$i.json"
done
# warn-1 reported twice: the older report (by its own time) said CRITICAL; the newer (WARNING) counts.
jq '.verdict = "CRITICAL" | .exit_code = 2 | .at = "2033-12-31T00:00:00Z"' "$F/site-b/warn-1.json" > "$F/site-a/warn-1-old.json"
touch -d '2020-01-01' "$F/site-a/warn-1-old.json"
# Unusable files, each must be counted and named.
head -c 300 "$F/site-a/ok-1.json" > "$F/site-a/truncated.json"
echo '{"hello": "world"}' > "$F/site-b/not-a-report.json"
ln -s "$T/nowhere.json" "$F/site-b/dangling.json"
echo 'not json, not named .json' > "$F/site-b/notes.txt"
echo '{"partial' > "$F/site-b/.writing.json"   # a writer's temporary (hidden): skipped

expect_exit 2 "merge: a CRITICAL device makes the fleet CRITICAL" "$ATSCHECK" report merge "$F" --at $AT --horizon 365 --format json
cp "$T/out" "$T/m.json"; cp "$T/err" "$T/m.err"
check "11 devices, 12 reports read, 1 duplicate" jq -e '.files.devices == 11 and .files.read == 12 and .files.duplicates == 1' "$T/m.json"
check "by verdict: 7 OK, 3 WARNING (newest warn-1 counts), 0 UNKNOWN" \
  jq -e '.by_verdict.OK == 7 and .by_verdict.WARNING == 3 and .by_verdict.UNKNOWN == 0' "$T/m.json"
check "garbage device is CRITICAL" jq -e '.by_verdict.CRITICAL == 1' "$T/m.json"
check "Amazon Root CA 2 missing on the 3 warn devices and the garbage one, named" \
  jq -e '.missing_cas[] | select(.ca == "Amazon Root CA 2") | .devices == 4 and .device_ids == ["crit-1","warn-1","warn-2","warn-3"]' "$T/m.json"
check "cause with its devices and fix" \
  jq -e '[.causes[] | select(.cause == "ca-missing: Amazon Root CA 4")][0] | .devices == 4 and .severity == "WARNING" and (.fix | test("atscheck install"))' "$T/m.json"
check "per libcurl version" jq -e '[.versions.libcurl[] | {(.version): .devices}] | add | .["7.64.0"] == 2 and ([.[]] | add) == 11' "$T/m.json"
check "Starfield Class 2 (2034-06-29) expires within 365 days of $AT on the 7 devices that rely on it" \
  jq -e '.expiring == [.expiring[] | select(.name == "Starfield Class 2 Certification Authority")] and .expiring[0].devices == 7 and (.expiring[0].first_not_after | startswith("2034-06-29"))' "$T/m.json"
check "3 unusable files counted" jq -e '.files.partial + .files.unreadable == 3 and (.bad_files | length) == 3' "$T/m.json"
for f in truncated.json not-a-report.json dangling.json; do
  check "$f named in the summary and on stderr" bash -c "jq -e '.bad_files[] | select(.file | endswith(\"/$f\"))' '$T/m.json' >/dev/null && grep -q '$f' '$T/m.err'"
done
check "the hidden temporary and the .txt are not read" bash -c "! grep -qE 'writing|notes' '$T/m.err'"
check "per-device rows sorted by device" jq -e '[.devices[].device] == ([.devices[].device] | sort)' "$T/m.json"
check "the duplicate kept the newer file" jq -e '.devices[] | select(.device == "warn-1") | .file | endswith("site-b/warn-1.json")' "$T/m.json"

# Same answer on one thread as on several.
"$ATSCHECK" report merge "$F" --at $AT --jobs 1 --format json 2>/dev/null | jq -S 'del(.device)' > "$T/j1.json"
"$ATSCHECK" report merge "$F" --at $AT --jobs 4 --format json 2>/dev/null | jq -S 'del(.device)' > "$T/j4.json"
check "--jobs 1 and --jobs 4 agree" cmp -s "$T/j1.json" "$T/j4.json"

# Baseline: warn-2 loses another CA, ok-5 turns CRITICAL, ok-7 stops reporting.
cp "$T/m.json" "$T/baseline.json"
cat "$T/pem/Amazon_Root_CA_1.pem" > "$T/one.pem"
dev warn-2 site-b --bundle "$T/one.pem"
dev ok-5 site-a --bundle "$T/garbage.pem"
rm "$F/site-a/ok-7.json"
expect_exit 2 "merge with --baseline" "$ATSCHECK" report merge "$F" --at $AT --baseline "$T/baseline.json" --format json
cp "$T/out" "$T/b.json"
check "worse: ok-5 (OK -> CRITICAL) and warn-2 (a new cause)" jq -e '[.baseline.worse[].device] == ["ok-5","warn-2"]' "$T/b.json"
check "ok-5 before/after" jq -e '.baseline.worse[0] | .before == "OK" and .after == "CRITICAL"' "$T/b.json"
check "warn-2 names its new cause" jq -e '.baseline.worse[1].new_causes | any(. == "ca-missing: Amazon Root CA 3")' "$T/b.json"
check "gone: ok-7" jq -e '.baseline.gone == ["ok-7"]' "$T/b.json"
check "a problem says devices got worse" jq -e 'any(.problems[]; .message | test("2 devices got worse"))' "$T/b.json"
expect_exit 3 "a baseline that is not a summary" "$ATSCHECK" report merge "$F" --baseline "$F/site-a/ok-1.json"
check "names it" grep -q "ok-1.json: not a fleet summary" "$T/err"

# Formats.
expect_exit 2 "text" "$ATSCHECK" report merge "$F" --at $AT --baseline "$T/baseline.json"
check "text: verdict table, causes, baseline" bash -c "grep -q 'Devices per verdict' '$T/out' && grep -q 'Since the baseline' '$T/out' && grep -q 'Fleet verdict: CRITICAL' '$T/out'"
check "text: no colour in a pipe" bash -c "! grep -q $'\033' '$T/out'"
expect_exit 2 "markdown" "$ATSCHECK" report merge "$F" --at $AT --format markdown
check "markdown: a verdict table" grep -q '^| OK | 5 |' "$T/out"
expect_exit 2 "prometheus" "$ATSCHECK" report merge "$F" --at $AT --baseline "$T/baseline.json" --format prometheus
check "promtool accepts the fleet metrics" promtool check metrics < "$T/out"
check "fleet devices per verdict" grep -qx 'atscheck_fleet_devices{verdict="CRITICAL"} 2' "$T/out"
check "fleet worse devices" grep -qx 'atscheck_fleet_worse_devices 2' "$T/out"
expect_exit 2 "junit" "$ATSCHECK" report merge "$F" --at $AT --format junit
check "junit valid" xmllint --noout --schema "$ATS_SOURCE_DIR/reports/junit.xsd" "$T/out"

# Two devices that kept the default host name are told apart by their machine id.
mkdir "$T/pis"
for m in aaaaaaaa bbbbbbbb; do
  jq --arg m "${m}000000000000000000000000" '.device = "raspberrypi" | .machine_id = $m' "$F/site-a/ok-1.json" > "$T/pis/$m.json"
done
jq '.device = "raspberrypi" | .machine_id = "aaaaaaaa000000000000000000000000" | .at = "2034-01-01T00:30:00Z"' "$F/site-b/warn-3.json" > "$T/pis/aaaa-newer.json"
touch -d '2030-01-01' "$T/pis/aaaa-newer.json"
"$ATSCHECK" report merge "$T/pis" --at $AT --format json > "$T/pis.json" 2>/dev/null
check "same host name, two machine ids: two devices, named apart" \
  jq -e '[.devices[].device] == ["raspberrypi@aaaaaaaa", "raspberrypi@bbbbbbbb"] and .files.duplicates == 1' "$T/pis.json"
check "the same machine twice counts once, newest report" jq -e '.devices[0].verdict == "WARNING"' "$T/pis.json"

# Nothing there, and bad usage.
mkdir "$T/empty"
expect_exit 3 "no report found: UNKNOWN, still a summary" "$ATSCHECK" report merge "$T/empty" --format json
check "says so" jq -e '.problems[0].message | test("no device report")' "$T/out"
expect_exit 3 "a path that does not exist is named, not fatal" "$ATSCHECK" report merge "$T/nowhere" --format json
check "named" jq -e '.bad_files[0].file | endswith("nowhere")' "$T/out"
expect_exit 3 "no path" "$ATSCHECK" report merge
expect_exit 3 "bad --horizon" "$ATSCHECK" report merge "$F" --horizon -1
expect_exit 3 "nagios is not for fleets" "$ATSCHECK" report merge "$F" --format nagios

# HTML as a person sees it.
expect_exit 2 "html" "$ATSCHECK" report merge "$F" --at $AT --baseline "$T/baseline.json" --format html --output "$T/fleet.html"
check "one self-contained file: no external src/href" bash -c "! grep -qiE '(src|href)=\"?(https?:|//)' '$T/fleet.html'"
check "inline SVG chart" grep -q '<svg role=img aria-label="devices per verdict"' "$T/fleet.html"
check "HTML parses" xmllint --html --noout "$T/fleet.html"
if command -v chromium >/dev/null; then
  prof=$(mktemp -d "$T/chrome.XXXXXX")
  timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$prof" --screenshot="$T/fleet.png" --window-size=1200,900 \
    "file://$T/fleet.html" >/dev/null 2>&1
  check "chromium wrote a screenshot" test -s "$T/fleet.png"
  read -r w h colours nonwhite red amber green < <(python3 "$ATS_SOURCE_DIR/tests/lib/png_stats.py" "$T/fleet.png")
  echo "    screenshot: ${w}x${h}, $colours colours, $nonwhite% not white, red $red, amber $amber, green $green px"
  check "screenshot is 1200x900" test "$w" = 1200 -a "$h" = 900
  check "not blank: text and chart drawn" test "$colours" -gt 50
  check "the chart shows OK (green), WARNING (amber) and CRITICAL (red) areas" \
    test "$green" -gt 5000 -a "$amber" -gt 2000 -a "$red" -gt 2000
else
  echo "chromium not installed: screenshot check skipped"
fi
finish
