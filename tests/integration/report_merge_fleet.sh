#!/usr/bin/env bash
# report merge on a fleet as it really arrives: 1,000 devices (real audit reports, varied), some
# silent for days, some reporting twice with different verdicts, one from the future, one with no
# time, broken files, a huge file, a symlink loop. Counts exact, every odd input counted and
# named, never fatal; the --devices table complete; a baseline of devices gone; memory flat
# (peak RSS at 20,000 reports about that at 2,000); the HTML page as a person sees it in
# headless Chromium: its sections, and the device filter run by the page's own script.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
F="$T/fleet"
mkdir -p "$F" "$T/pem"
"$ATSCHECK" bundle export "$T/pem" >/dev/null
cat "$T"/pem/*.pem > "$T/six.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.pem"
printf 'garbage\n' > "$T/garbage.pem"
AT=2030-06-01
"$ATSCHECK" audit --bundle "$T/six.pem" --at $AT --format json > "$T/t-ok.json"
"$ATSCHECK" audit --bundle "$T/two.pem" --at $AT --format json > "$T/t-warn.json"
"$ATSCHECK" audit --bundle "$T/garbage.pem" --at $AT --format json > "$T/t-crit.json" 2>/dev/null

# gen DIR N [FIRST]: device i is OK (70 %), WARNING (20 %) or CRITICAL (10 %); one in 50 last
# reported five days before --at (stale at the default 2 days).
gen() {
  python3 - "$T" "$1" "$2" "${3:-0}" <<'PY'
import json, os, sys
t, out, n, first = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
tpl = {k: json.load(open(f"{t}/t-{k}.json")) for k in ("ok", "warn", "crit")}
for i in range(first, first + n):
    kind = "ok" if i % 10 < 7 else "warn" if i % 10 < 9 else "crit"
    r = tpl[kind]
    r["device"] = f"dev-{i:05d}"
    r["machine_id"] = f"{i:032x}"
    r["at"] = "2030-05-27T00:00:00Z" if i % 50 == 7 else "2030-05-31T12:00:00Z"
    d = f"{out}/{i // 500:03d}"
    os.makedirs(d, exist_ok=True)
    with open(f"{d}/dev-{i:05d}.json", "w") as f:
        json.dump(r, f, separators=(",", ":"))
PY
}
gen "$F" 1000
# dev-00003 (OK above) reported again later as CRITICAL: the newest counts; dev-00004 (OK) has an
# older CRITICAL report: it stays OK.
jq -c '.device = "dev-00003" | .machine_id = "00000000000000000000000000000003" | .at = "2030-05-31T18:00:00Z"' "$T/t-crit.json" > "$F/dup-new.json"
jq -c '.device = "dev-00004" | .machine_id = "00000000000000000000000000000004" | .at = "2030-05-01T00:00:00Z"' "$T/t-crit.json" > "$F/dup-old.json"
# A device whose clock is ahead, and a report with no time (dak csr, install... carry none).
jq -c '.device = "future-1" | .at = "2031-01-01T00:00:00Z"' "$T/t-ok.json" > "$F/future.json"
jq -c '.device = "timeless-1" | del(.at)' "$T/t-ok.json" > "$F/timeless.json"
touch -d '2030-05-31 12:00:00Z' "$F/future.json" "$F/timeless.json"   # written when collected
# Broken input: truncated, not JSON, a huge (sparse) file, a symlink loop, a folder loop.
head -c 200 "$T/t-ok.json" > "$F/000/truncated.json"
echo 'hello' > "$F/001/not-json.json"
truncate -s 2G "$F/huge.json"
ln -s loop-b.json "$F/loop-a.json"; ln -s loop-a.json "$F/loop-b.json"
ln -s .. "$F/000/up"   # a symlinked folder pointing back up: not followed
printf '{"x' > "$F/000/$(printf 'odd\xffname.json')"   # a file name that is not UTF-8

expect_exit 2 "merge of 1,000 devices and the odd files: CRITICAL devices, not an error" \
  /usr/bin/time -f '%M' -o "$T/rss" "$ATSCHECK" report merge "$F" --at $AT --format json --devices "$T/devices.jsonl"
cp "$T/out" "$T/m.json"; cp "$T/err" "$T/m.err"
check "1,002 devices (1,000 + future-1 + timeless-1), 1,004 reports read" \
  jq -e '.files.devices == 1002 and .files.read == 1004' "$T/m.json"
check "two reports of one device: 2 superseded" jq -e '.files.superseded == 2 and .files.duplicates == 2' "$T/m.json"
check "exact verdict counts: the newest report of dev-00003 (CRITICAL) counts, dev-00004 stays OK" \
  jq -e '.by_verdict == {"OK": 701, "WARNING": 200, "CRITICAL": 101, "UNKNOWN": 0}' "$T/m.json"
check "dev-00003 CRITICAL from dup-new.json" \
  bash -c "grep '\"device\":\"dev-00003\"' '$T/devices.jsonl' | jq -e '.verdict == \"CRITICAL\" and (.file | endswith(\"dup-new.json\"))' >/dev/null"
check "dev-00004 OK from its newest file" \
  bash -c "grep '\"device\":\"dev-00004\"' '$T/devices.jsonl' | jq -e '.verdict == \"OK\" and (.file | endswith(\"dev-00004.json\"))' >/dev/null"
check "stale: the 20 devices silent for 5 days, none of the others" \
  jq -e '.stale.devices == 20 and .stale_days == 2 and (.stale.device_ids | length) == 20 and .stale.device_ids_complete and (.stale.device_ids | all(test("^dev-[0-9]+$")))' "$T/m.json"
check "a cause lists at most 20 examples, says so, and counts exactly" \
  jq -e '[.causes[] | select(.cause == "ca-missing: Amazon Root CA 4")][0] | .devices == 301 and (.device_ids | length) == 20 and .device_ids_complete == false' "$T/m.json"
check "the report from the future is counted and named" \
  jq -e '.report_time.future.reports == 1 and (.report_time.future.files[0] | endswith("future.json"))' "$T/m.json"
check "the report with no time is counted and named" \
  jq -e '.report_time.missing.reports == 1 and (.report_time.missing.files[0] | endswith("timeless.json"))' "$T/m.json"
check "6 unusable files (truncated, not JSON, huge, two loops, a name not UTF-8), each named" \
  jq -e '(.bad_files | length) == 6 and .files.unreadable + .files.partial == 6 and .bad_files_complete' "$T/m.json"
check "the name that is not UTF-8 is named, its odd byte as \\xFF" jq -e 'any(.bad_files[]; .file | ascii_downcase | endswith("/odd\\xffname.json"))' "$T/m.json"
for f in truncated.json not-json.json huge.json loop-a.json loop-b.json; do
  check "$f named with its fault" bash -c "jq -e '.bad_files[] | select(.file | endswith(\"/$f\"))' '$T/m.json' >/dev/null && grep -q '$f' '$T/m.err'"
done
check "the huge file: too large, not read" jq -e '.bad_files[] | select(.file | endswith("huge.json")) | .error | test("too large")' "$T/m.json"
check "the symlink loop: named as such" jq -e '.bad_files[] | select(.file | endswith("loop-a.json")) | .error | test("symbolic links")' "$T/m.json"
check "problems say stale, future, no time" bash -c "jq -r '.problems[].message' '$T/m.json' | grep 'sent no report for more than 2 days' >/dev/null && jq -r '.problems[].message' '$T/m.json' | grep 'dated after' >/dev/null && jq -r '.problems[].message' '$T/m.json' | grep 'carry no time' >/dev/null"
check "--devices: one JSON line per device, 1,002" test "$(wc -l < "$T/devices.jsonl")" = 1002
check "--devices: every line has id, verdict, time, age, causes, file" \
  bash -c "jq -e -s 'all(.[]; (.device | type) == \"string\" and (.verdict | type) == \"string\" and (.at | test(\"^20\")) and (.age_seconds | type) == \"number\" and (.causes | type) == \"array\" and (.file | type) == \"string\")' '$T/devices.jsonl' >/dev/null"
check "--devices: the same verdict counts as the summary" \
  bash -c "[ \"\$(jq -s -c 'group_by(.verdict) | map({(.[0].verdict): length}) | add' '$T/devices.jsonl')\" = '{\"CRITICAL\":101,\"OK\":701,\"WARNING\":200}' ]"
check "summary lists every device here (1,002 < the 10,000 row bound)" jq -e '(.devices | length) == 1002 and .devices_complete' "$T/m.json"
check "versions a report does not carry are said so, not '(none)'" \
  jq -e '.versions.libcurl == [{"version": "(not in the report)", "devices": 1002}]' "$T/m.json"
"$ATSCHECK" report merge "$F" --at $AT --format text > "$T/m.txt" 2>/dev/null
check "text: libcurl not recorded, said so" grep -q 'libcurl   not recorded in the reports of 1002 devices' "$T/m.txt"
check "text: the stale section with its count" grep -q '20 devices, the longest silent first: dev-00007' "$T/m.txt"
check "text: a cause names 8 examples and the exact rest" grep -qE 'devices: dev-[0-9]+(, dev-[0-9]+){7} and 293 more' "$T/m.txt"
"$ATSCHECK" report merge "$F" --at $AT --stale 10 --format json > "$T/s10.json" 2>/dev/null
check "--stale 10: nobody is stale" jq -e '.stale.devices == 0' "$T/s10.json"
expect_exit 3 "--stale 0 is refused" "$ATSCHECK" report merge "$F" --stale 0

# One thread or two: the same summary.
"$ATSCHECK" report merge "$F" --at $AT --jobs 1 --format json 2>/dev/null > "$T/j1.json"
"$ATSCHECK" report merge "$F" --at $AT --jobs 2 --format json 2>/dev/null > "$T/j2.json"
check "--jobs 1 and --jobs 2 agree" cmp -s "$T/j1.json" "$T/j2.json"

# Baseline from the devices file: remove 30 devices; they are gone, the rest unchanged.
cp "$T/devices.jsonl" "$T/base.jsonl"
rm "$F"/001/dev-005[0-2]?.json
"$ATSCHECK" report merge "$F" --at $AT --baseline "$T/base.jsonl" --format json > "$T/b.json" 2>/dev/null
check "baseline: 30 devices present then and absent now, named" \
  jq -e '.baseline.gone_devices == 30 and (.baseline.gone | length) == 20 and .baseline.gone[0] == "dev-00500" and .baseline.gone_complete == false' "$T/b.json"
check "baseline: nothing worse, 972 unchanged, none new" \
  jq -e '.baseline.worse_devices == 0 and .baseline.unchanged == 972 and .baseline.new == 0 and .baseline.devices_before == 1002' "$T/b.json"
check "a summary that lists every device still works as a baseline" \
  bash -c "'$ATSCHECK' report merge '$F' --at $AT --baseline '$T/m.json' --format json 2>/dev/null | jq -e '.baseline.gone_devices == 30' >/dev/null"

# Flat memory: 20,000 reports against 2,000 (on tmpfs when there is one: 20,000 file creations
# on a disk take a minute).
B="$T/big"
[ -d /dev/shm ] && [ -w /dev/shm ] && B=$(mktemp -d /dev/shm/atscheck-fleet.XXXXXX)
gen "$B" 20000
/usr/bin/time -f '%M' -o "$T/rss2k" "$ATSCHECK" report merge "$B/00"[0-3] --at $AT --format prometheus >/dev/null 2>&1
/usr/bin/time -f '%M' -o "$T/rss20k" "$ATSCHECK" report merge "$B" --at $AT --format prometheus >/dev/null 2>&1
r2=$(tail -1 "$T/rss2k"); r20=$(tail -1 "$T/rss20k")
echo "    peak RSS: 2,000 reports $((r2 / 1024)) MiB, 20,000 reports $((r20 / 1024)) MiB"
# The summary keeps up to 10,000 device rows (~2 KB each in the tree): beyond that, memory is the
# 32 bytes per device of the records, so 10x the devices may add ~20 MB of rows, never 10x.
if [ "${ATS_SANITIZE:-0}" = 1 ]; then
  # AddressSanitizer keeps freed memory in quarantine (256 MB) and doubles every allocation: the
  # bounds are a property of the plain build, which checks them.
  echo "    SKIPPED under the sanitizers: the memory bounds (checked by the plain build)"
else
  check "20,000 reports peak under 48 MiB" test "$r20" -lt $((48 * 1024))
  check "memory does not grow 10x with 10x the devices" test "$r20" -lt $((r2 * 6))
fi
rm -rf "$B"

# HTML, as a person sees it.
expect_exit 2 "html" "$ATSCHECK" report merge "$F" --at $AT --baseline "$T/base.jsonl" --format html --output "$T/fleet.html"
check "one self-contained file: no external src/href" bash -c "! grep -qiE '(src|href)=\"?(https?:|//)' '$T/fleet.html'"
check "HTML parses" bash -c "xmllint --html --noout '$T/fleet.html' 2>/dev/null"
check "no '(none)' for what a report does not carry" bash -c "! grep -q '(none)' '$T/fleet.html' && grep -q 'not recorded in the reports of 972 devices' '$T/fleet.html'"
if command -v chromium >/dev/null; then
  chrome() { # URL OUT MODE...
    local url=$1 out=$2; shift 2
    local prof; prof=$(mktemp -d "$T/chrome.XXXXXX")
    timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$prof" "$@" "$url" > "$out" 2>/dev/null
  }
  chrome "file://$T/fleet.html" "$T/dom.html" --dump-dom
  check "chromium rendered the page" grep -q '</html>' "$T/dom.html"
  for h in "Devices per verdict" "Problems (devices per cause)" "Stale devices: no report for more than 2 days" \
           "Since the baseline" "Report files not used (6)" "Every device"; do
    check "section: $h" grep -qF "$h" "$T/dom.html"
  done
  shown() { grep -o '<tr data-v="[A-Z]*" data-s="[01]">' "$1" | wc -l; }
  check "without a filter every device row shows (972)" test "$(shown "$T/dom.html")" = 972
  check "the page's counter says 972" grep -q '<span id="shown">972</span>' "$T/dom.html"
  chrome "file://$T/fleet.html?q=dev-00123" "$T/dom-q.html" --dump-dom
  check "filter by text (?q=dev-00123): that one device shows" test "$(shown "$T/dom-q.html")" = 1
  check "... and it is dev-00123" bash -c "grep -A1 '<tr data-v=\"[A-Z]*\" data-s=\"[01]\">' '$T/dom-q.html' | grep 'dev-00123' >/dev/null"
  chrome "file://$T/fleet.html?verdict=CRITICAL" "$T/dom-c.html" --dump-dom
  check "filter by verdict: the 98 CRITICAL devices still reporting" test "$(shown "$T/dom-c.html")" = 98
  check "... every row shown is CRITICAL" bash -c "! grep -o '<tr data-v=\"[A-Z]*\" data-s=\"[01]\">' '$T/dom-c.html' | grep -v CRITICAL"
  chrome "file://$T/fleet.html?verdict=stale" "$T/dom-s.html" --dump-dom
  check "filter stale only: 19 rows (dev-00507 is gone), each marked stale" \
    bash -c "[ \$(grep -o '<tr data-v=\"[A-Z]*\" data-s=\"1\">' '$T/dom-s.html' | wc -l) = 19 ] && [ \$(grep -c '<tr data-v=\"[A-Z]*\" data-s=\"0\">' '$T/dom-s.html') = 0 ]"
  chrome "file://$T/fleet.html" /dev/null --screenshot="$T/fleet.png" --window-size=1200,900
  check "chromium wrote a screenshot" test -s "$T/fleet.png"
  read -r w h colours nonwhite red amber green < <(python3 "$ATS_SOURCE_DIR/tests/lib/png_stats.py" "$T/fleet.png")
  echo "    screenshot: ${w}x${h}, $colours colours, $nonwhite% not white, red $red, amber $amber, green $green px"
  check "not blank: text and chart drawn" test "$colours" -gt 50
  check "the chart shows OK, WARNING and CRITICAL areas" test "$green" -gt 5000 -a "$amber" -gt 2000 -a "$red" -gt 1000
else
  echo "chromium not installed: the page checks are skipped"
fi
finish
