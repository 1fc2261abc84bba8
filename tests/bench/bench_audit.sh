#!/usr/bin/env bash
# atscheck audit of the system bundle, against (a) the floor: a minimal C program that only
# PEM-reads and SHA-256s every certificate, and (b) the shell way: split the bundle and run
# `openssl x509 -noout -fingerprint -sha256` on each piece. Same run, same file; medians.
set -euo pipefail
bundle=${BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
floor="$ATS_BUILD_DIR/tests/bench_pemsha"
[ -x "$floor" ] || floor="$ATS_BUILD_DIR/bench_pemsha"
runs=$([ "${QUICK:-0}" = 1 ] && echo 15 || echo 61)
ncert=$(grep -c 'BEGIN CERTIFICATE' "$bundle")

# median wall time in microseconds of N runs of a command
median_us() {
  local n=$1; shift
  local t=()
  for _ in $(seq "$n"); do
    local s e
    s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
    t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | sed -n "$(( (n + 1) / 2 ))p"
}

shell_way() {
  local d; d=$(mktemp -d)
  (cd "$d" && csplit -s -z -f c "$bundle" '/-----BEGIN CERTIFICATE-----/' '{*}' &&
   for f in c*; do openssl x509 -noout -fingerprint -sha256 -in "$f"; done) >/dev/null 2>&1
  rm -rf "$d"
}

ours=$(median_us "$runs" "$ATSCHECK" audit --bundle "$bundle" --format json)
base=$(median_us "$runs" "$floor" "$bundle")
shell=$(median_us 1 shell_way)
rss=""
if [ -x /usr/bin/time ]; then
  rss=$(/usr/bin/time -f '%M' "$ATSCHECK" audit --bundle "$bundle" 2>&1 >/dev/null | tail -1)
fi
echo "audit of $bundle ($ncert certificates), medians of $runs runs:"
printf '  atscheck audit          %8.2f ms\n' "$(echo "$ours / 1000" | bc -l)"
printf '  PEM read + SHA-256 (C)  %8.2f ms   ratio ours/floor = %.2f (goal <= 1.5)\n' \
  "$(echo "$base / 1000" | bc -l)" "$(echo "$ours / $base" | bc -l)"
printf '  split + openssl x509    %8.2f ms   speed-up = %.0fx (goal >= 20x)\n' \
  "$(echo "$shell / 1000" | bc -l)" "$(echo "$shell / $ours" | bc -l)"
[ -n "$rss" ] && printf '  peak RSS of atscheck audit: %.1f MB (goal < 6 MB)\n' "$(echo "$rss / 1024" | bc -l)"
exit 0
