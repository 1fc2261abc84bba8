#!/usr/bin/env bash
# Fleet merge: `atscheck report merge` over 10,000, 100,000 and (BENCH_1M=1) 1,000,000 device
# reports on tmpfs, in one run: wall time, devices/s, peak RSS (/usr/bin/time -v), and the ratio
# to `cat` reading the same files (find | xargs cat, page cache warm for both). At 10,000 the
# counts are checked against `jq -s` computing them independently. The reports are real audit
# outputs (OK, WARNING, CRITICAL devices) with device ids, versions and report times varied (a
# few stale, a few duplicates). QUICK=1: 10,000 only. Prints, never asserts; the machine is
# shared, so figures are noisy (compare the paired columns of one run, not runs).
# 1,000,000 reports take ~4 GB of tmpfs and several minutes to generate: hence the switch.
set -uo pipefail
: "${ATSCHECK:?}"
SIZES="10000 100000"
[ "${BENCH_1M:-0}" = 1 ] && SIZES="10000 100000 1000000"
[ "${QUICK:-0}" = 1 ] && SIZES="10000"
MAX=${SIZES##* }
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
W=$(mktemp -d "$base/atscheck-bench-merge.XXXXXX")
trap 'rm -rf "$W"' EXIT
AT=2030-06-01

mkdir -p "$W/pem"
"$ATSCHECK" bundle export "$W/pem" >/dev/null
cat "$W"/pem/*.pem > "$W/six.pem"
cat "$W/pem/Amazon_Root_CA_1.pem" "$W/pem/Amazon_Root_CA_3.pem" > "$W/two.pem"
printf 'garbage\n' > "$W/garbage.pem"
"$ATSCHECK" audit --bundle "$W/six.pem" --at $AT --format json > "$W/t-ok.json"
"$ATSCHECK" audit --bundle "$W/two.pem" --at $AT --format json > "$W/t-warn.json"
"$ATSCHECK" audit --bundle "$W/garbage.pem" --at $AT --format json > "$W/t-crit.json" 2>/dev/null

echo "generating $MAX device reports in $W (folders of 1,000; the smaller sizes are the first folders) ..."
gen_start=$(date +%s)
python3 - "$W" "$MAX" <<'PY'
import json, os, sys
w, n = sys.argv[1], int(sys.argv[2])
# Each kind serialised once with placeholders, then filled in per device: generating is
# bounded by file creation, not by json.dump.
tpl = {}
for k in ("ok", "warn", "crit"):
    r = json.load(open(f"{w}/t-{k}.json"))
    r["device"], r["at"], r["tool"]["libcurl"] = "@DEV@", "@AT@", "@CURL@"
    tpl[k] = json.dumps(r, separators=(",", ":"))
curls = ["7.88.1", "7.74.0", "8.5.0"]
for i in range(n):
    kind = "ok" if i % 10 < 7 else "warn" if i % 10 < 9 else "crit"
    # one in 50 reports is five days old (stale at the default 2 days)
    at = "2030-05-27T00:00:00Z" if i % 50 == 7 else "2030-05-31T12:00:00Z"
    dev = f"device-{i:07d}"
    d = f"{w}/fleet/{i // 1000:04d}"
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(f"{d}/{dev}.json", "w") as f:
        f.write(tpl[kind].replace("@DEV@", dev).replace("@AT@", at).replace("@CURL@", curls[i % 3]))
PY
echo "generated in $(( $(date +%s) - gen_start )) s; $(du -sh "$W/fleet" | cut -f1) on tmpfs"

# measure LABEL CMD... -> "seconds maxrss_kib" in $W/m.LABEL, stdout in $W/out.LABEL
measure() {
  local label=$1; shift
  /usr/bin/time -v -o "$W/t.$label" "$@" > "$W/out.$label" 2>/dev/null
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$W/t.$label")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$W/t.$label")
  echo "$wall $rss" > "$W/m.$label"
}

printf '\n%-9s %9s %12s %10s %9s %9s %12s %s\n' reports "merge s" "devices/s" "peak MiB" "cat s" "vs cat" "cat MiB" "devices file"
for n in $SIZES; do
  dirs=()
  for ((k = 0; k < n / 1000; k++)); do dirs+=("$W/fleet/$(printf %04d $k)"); done
  find "${dirs[@]}" -name '*.json' -print0 | xargs -0 cat > /dev/null   # warm the cache
  measure "cat$n" bash -c 'find "$@" -name "*.json" -print0 | xargs -0 cat' _ "${dirs[@]}"
  measure "ours$n" "$ATSCHECK" report merge "${dirs[@]}" --at $AT --format json --devices "$W/devices.$n.jsonl"
  read -r cs cm < "$W/m.cat$n"
  read -r ts tm < "$W/m.ours$n"
  rows=$(wc -l < "$W/devices.$n.jsonl")
  printf '%-9s %9.2f %12.0f %10.1f %9.2f %8.2fx %12.1f %s rows\n' "$n" "$ts" "$(echo "$n / $ts" | bc -l)" \
    "$(echo "$tm / 1024" | bc -l)" "$cs" "$(echo "$ts / $cs" | bc -l)" "$(echo "$cm / 1024" | bc -l)" "$rows"
  jq -e --argjson n "$n" '.files.devices == $n and (.by_verdict | add) == $n and .stale.devices == ($n / 50)' \
    "$W/out.ours$n" >/dev/null || echo "  !! counts wrong at $n: $(jq -c '{files, by_verdict, stale: .stale.devices}' "$W/out.ours$n")"
  rm -f "$W/devices.$n.jsonl"
done

# At 10,000: the same counts as jq -s computes, and the time jq takes.
dirs=()
for ((k = 0; k < 10; k++)); do dirs+=("$W/fleet/$(printf %04d $k)"); done
export JQPROG='{
  by_verdict: (group_by(.verdict) | map({(.[0].verdict): length}) | add),
  missing_cas: ([.[] | [.stores[]? | select(.error == null) | .cas[] | select(.status == "missing" or .status == "deselected") | .name] | unique | .[]]
                | group_by(.) | map({(.[0]): length}) | add),
  causes: ([.[] | [.problems[] | if .cause then .cause + (if .ca then ": " + .ca else "" end) else .message end] | unique | .[]] | group_by(.) | map({(.[0]): length}) | add),
  libcurl: (group_by(.tool.libcurl) | map({(.[0].tool.libcurl): length}) | add)
}'
measure jq bash -c 'find "$@" -name "*.json" -print0 | xargs -0 cat | jq -s "$JQPROG"' _ "${dirs[@]}"
same=no
O="$W/out.ours10000" J="$W/out.jq"
if [ "$(jq -cS '.by_verdict | with_entries(select(.value > 0))' "$O")" = "$(jq -cS '.by_verdict' "$J")" ] &&
   [ "$(jq -cS '[.missing_cas[] | {(.ca): .devices}] | add' "$O")" = "$(jq -cS '.missing_cas' "$J")" ] &&
   [ "$(jq -cS '[.versions.libcurl[] | {(.version): .devices}] | add' "$O")" = "$(jq -cS '.libcurl' "$J")" ] &&
   [ "$(jq -cS '[.causes[] | {(.cause): .devices}] | add' "$O")" = "$(jq -cS '.causes' "$J")" ]; then
  same=yes
fi
read -r js jm < "$W/m.jq"
read -r ts tm < "$W/m.ours10000"
printf '\nat 10,000: same counts as jq -s: %s; jq -s %.2f s, %.1f MiB (%.1fx our time)\n' "$same" "$js" \
  "$(echo "$jm / 1024" | bc -l)" "$(echo "$js / $ts" | bc -l)"
echo "summary JSON at $MAX: $(wc -c < "$W/out.ours$MAX") bytes"
echo "(2 shared cores: figures are noisy; the ratio to cat within one row is the one to read)"
