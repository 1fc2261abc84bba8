#!/usr/bin/env bash
# Fleet merge: `atscheck report merge` over N device reports (100,000; QUICK=1: 10,000) against
# `jq -s` computing the same counts (devices per verdict, per missing CA, per cause, per
# OpenSSL/libcurl version), in the same run: wall time, ratio, and peak RSS of each. The reports
# are real audit outputs (OK, WARNING, CRITICAL devices) with device ids and versions varied,
# written to tmpfs when there is one so the disk does not dominate. Prints, never asserts.
set -uo pipefail
: "${ATSCHECK:?}"
N=100000
[ "${QUICK:-0}" = 1 ] && N=10000
base=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && base=/dev/shm
W=$(mktemp -d "$base/atscheck-bench-merge.XXXXXX")
trap 'rm -rf "$W"' EXIT

"$ATSCHECK" bundle export "$W/pem" >/dev/null 2>&1 || { mkdir -p "$W/pem"; "$ATSCHECK" bundle export "$W/pem" >/dev/null; }
cat "$W"/pem/*.pem > "$W/six.pem"
cat "$W/pem/Amazon_Root_CA_1.pem" "$W/pem/Amazon_Root_CA_3.pem" > "$W/two.pem"
printf 'garbage\n' > "$W/garbage.pem"
"$ATSCHECK" audit --bundle "$W/six.pem" --format json > "$W/t-ok.json"
"$ATSCHECK" audit --bundle "$W/two.pem" --format json > "$W/t-warn.json"
"$ATSCHECK" audit --bundle "$W/garbage.pem" --format json > "$W/t-crit.json" 2>/dev/null

echo "generating $N device reports in $W ..."
python3 - "$W" "$N" <<'PY'
import json, os, sys
w, n = sys.argv[1], int(sys.argv[2])
t = {k: json.load(open(f"{w}/t-{k}.json")) for k in ("ok", "warn", "crit")}
curls = ["7.88.1", "7.74.0", "8.5.0"]
for i in range(n):
    kind = "ok" if i % 10 < 7 else "warn" if i % 10 < 9 else "crit"
    r = t[kind]
    r["device"] = f"device-{i:06d}"
    r["tool"]["libcurl"] = curls[i % 3]
    d = f"{w}/fleet/{i // 1000:03d}"
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(f"{d}/device-{i:06d}.json", "w") as f:
        json.dump(r, f, indent=2)
PY
du -sh "$W/fleet" | awk '{print "fleet size on disk: " $1}'

measure() { # label command... -> prints seconds and peak RSS (KiB) into $W/m.<label>
  local label=$1; shift
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%e %M' -o "$W/m.$label" "$@" > "$W/out.$label" 2>/dev/null
  else
    local s=$(date +%s.%N); "$@" > "$W/out.$label" 2>/dev/null; echo "$(echo "$(date +%s.%N) - $s" | bc) 0" > "$W/m.$label"
  fi
}

# Warm the page cache for both.
find "$W/fleet" -name "*.json" -print0 | xargs -0 cat > /dev/null

measure ours "$ATSCHECK" report merge "$W/fleet" --format json
JQPROG='{
  by_verdict: (group_by(.verdict) | map({(.[0].verdict): length}) | add),
  missing_cas: ([.[] | [.stores[]? | select(.error == null) | .cas[] | select(.status == "missing" or .status == "deselected") | .name] | unique | .[]]
                | group_by(.) | map({(.[0]): length}) | add),
  causes: ([.[] | [.problems[] | if .cause then .cause + (if .ca then ": " + .ca else "" end) else .message end] | unique | .[]] | group_by(.) | map({(.[0]): length}) | add),
  openssl: (group_by(.tool.openssl) | map({(.[0].tool.openssl): length}) | add),
  libcurl: (group_by(.tool.libcurl) | map({(.[0].tool.libcurl): length}) | add)
}'
measure jq bash -c "find '$W/fleet' -name '*.json' -print0 | xargs -0 cat | jq -s '$JQPROG'"

read -r ts tm < <(tail -1 "$W/m.ours")
read -r js jm < <(tail -1 "$W/m.jq")
same=no
if [ "$(jq -cS '.by_verdict | with_entries(select(.value > 0))' "$W/out.ours")" = "$(jq -cS '.by_verdict' "$W/out.jq")" ] &&
   [ "$(jq -cS '[.missing_cas[] | {(.ca): .devices}] | add' "$W/out.ours")" = "$(jq -cS '.missing_cas' "$W/out.jq")" ] &&
   [ "$(jq -cS '[.versions.libcurl[] | {(.version): .devices}] | add' "$W/out.ours")" = "$(jq -cS '.libcurl' "$W/out.jq")" ] &&
   [ "$(jq -cS '[.causes[] | {(.cause): .devices}] | add' "$W/out.ours")" = "$(jq -cS '.causes' "$W/out.jq")" ]; then
  same=yes
fi
printf 'reports: %d   same counts: %s\n' "$N" "$same"
printf '%-36s %8.2f s  %8.1f MiB peak RSS  (%.0f reports/s)\n' "atscheck report merge" "$ts" "$(echo "$tm / 1024" | bc -l)" "$(echo "$N / $ts" | bc -l)"
printf '%-36s %8.2f s  %8.1f MiB peak RSS\n' "find | xargs cat | jq -s" "$js" "$(echo "$jm / 1024" | bc -l)"
printf 'ratio (jq time / ours): %.1fx   memory ratio: %.1fx\n' "$(echo "$js / $ts" | bc -l)" "$(echo "$jm / $tm" | bc -l)"
