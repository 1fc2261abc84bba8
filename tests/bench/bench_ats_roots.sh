#!/usr/bin/env bash
# The ATS root matrix: atscheck probe --ats-roots (the 15 test hosts in parallel on one multi
# handle, the store loaded once) against the incumbent, 15 curl command-line runs one after the
# other (the revoked ones with --cert-status, as we check them), same trust file, all against the
# lab served by `atscheck serve --ats-roots-lab` on 127.0.0.1. Once with the lab's five roots as
# the trust file, once with the system bundle plus them. Prints medians and the ratio (target
# <= 0.25); asserts nothing.
set -uo pipefail
: "${ATSCHECK:?}" "${ATS_SOURCE_DIR:?}" "${ATS_BUILD_DIR:?}"
N=15; [ "${QUICK:-0}" = 1 ] && N=5
T=$(mktemp -d /tmp/atscheck-bench.XXXXXX)
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy
. "$ATS_SOURCE_DIR/tests/lib/ats_roots_lab.sh"

L=$T/lab
make_ats_lab "$L" || { echo "could not make the lab"; exit 1; }
"$ATSCHECK" serve --ats-roots-lab "$L" --listen 127.0.0.1:0 --quiet >"$T/serve.out" 2>/dev/null &
spid=$!
. "$ATS_SOURCE_DIR/tests/lib/listen.sh"
port=$(listen_port "$T/serve.out")
[ -n "$port" ] || { echo "serve did not start"; exit 1; }
mapfile -t RES < <(ats_lab_resolve 127.0.0.1 "$port")
cat /etc/ssl/certs/ca-certificates.crt "$L/roots.pem" > "$T/system-plus.pem" 2>/dev/null || cp "$L/roots.pem" "$T/system-plus.pem"

. "$ATS_SOURCE_DIR/tests/lib/bench.sh"

ours() {
  "$ATSCHECK" probe --ats-roots --port "$port" "${RES[@]}" --cacert "$1" --lab-roots "$L/roots.pem" \
    --format json >/dev/null
}
theirs() {
  local h st
  for h in "${ATS_LAB_HOSTS[@]}"; do
    st=(); [ "${h%%.*}" = revoked ] && st=(--cert-status)
    curl -s -o /dev/null --http2 "${st[@]}" --cacert "$1" --resolve "$h:$port:127.0.0.1" "https://$h:$port/"
  done
}

ours "$L/roots.pem"; theirs "$L/roots.pem"   # warm the page cache
for store in roots.pem system-plus.pem; do
  f=$T/$store; [ "$store" = roots.pem ] && f=$L/roots.pem
  certs=$(grep -c 'BEGIN CERTIFICATE' "$f")
  paired "$N" "$f"
  awk -v o="$o" -v c="$c" -v n="$N" -v s="$store" -v k="$certs" 'BEGIN {
    printf "ATS root matrix, 15 hosts (%s, %d certificates), median of %d:\n", s, k, n
    printf "  atscheck probe --ats-roots (15 in parallel)  %8.1f ms\n", o / 1000
    printf "  15 curl runs, one after the other            %8.1f ms\n", c / 1000
    printf "  ratio atscheck/curl                          %8.2f  (target <= 0.25)\n", o / c }'
done
