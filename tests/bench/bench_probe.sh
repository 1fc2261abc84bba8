#!/usr/bin/env bash
# Both probes (HTTP/2 + HTTP/1.1, in parallel on one multi handle) against a loopback
# `atscheck serve`, against the incumbent: two curl command-line runs one after the other, with
# the same trust file. Once with a one-root trust file, once with the system bundle plus that
# root (where loading the store dominates). Prints medians and the ratio; asserts nothing.
set -uo pipefail
: "${ATSCHECK:?}" "${ATS_SOURCE_DIR:?}" "${ATS_BUILD_DIR:?}"
MKPKI=${MKPKI:-$ATS_BUILD_DIR/tests/mkpki}
N=30; [ "${QUICK:-0}" = 1 ] && N=10
T=$(mktemp -d /tmp/atscheck-bench.XXXXXX)
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

"$MKPKI" "$T/pki" "$ATS_SOURCE_DIR/tests/scenarios/good.scn" || exit 1
d=$T/pki/good
"$ATSCHECK" serve --cert "$d/server-cert.pem" --key "$d/server.key" --chain "$d/server-chain.pem" \
  --listen 127.0.0.1:0 --quiet >"$T/serve.out" 2>/dev/null &
spid=$!
. "$ATS_SOURCE_DIR/tests/lib/listen.sh"
port=$(listen_port "$T/serve.out")
[ -n "$port" ] || { echo "serve did not start"; exit 1; }
url="https://localhost:$port/"; res="localhost:$port:127.0.0.1"
cat /etc/ssl/certs/ca-certificates.crt "$d/trust.pem" > "$T/system-plus.pem" 2>/dev/null || cp "$d/trust.pem" "$T/system-plus.pem"

. "$ATS_SOURCE_DIR/tests/lib/bench.sh"

ours() { "$ATSCHECK" probe --endpoint "$url" --resolve "$res" --cacert "$1" --format json >/dev/null; }
theirs() {
  curl -sS -o /dev/null --http2 --cacert "$1" --resolve "$res" "$url"
  curl -sS -o /dev/null --http1.1 --cacert "$1" --resolve "$res" "$url"
}

for store in trust.pem system-plus.pem; do
  f=$T/$store; [ "$store" = trust.pem ] && f=$d/trust.pem
  certs=$(grep -c 'BEGIN CERTIFICATE' "$f")
  paired "$N" "$f"
  awk -v o="$o" -v c="$c" -v n="$N" -v s="$store" -v k="$certs" 'BEGIN {
    printf "probe h2+h1.1 (%s, %d certificates), median of %d:\n", s, k, n
    printf "  atscheck probe (both in parallel)   %8.1f ms\n", o / 1000
    printf "  curl --http2; curl --http1.1       %8.1f ms\n", c / 1000
    printf "  ratio atscheck/curl                %8.2f  (target <= 0.4)\n", o / c }'
  rss() { /usr/bin/time -f %M -o "$T/rss" "$@" >/dev/null 2>&1; tail -1 "$T/rss"; }
  printf "  peak RSS: atscheck %s KiB, curl --http2 %s KiB (target < 12 MiB)\n" \
    "$(rss "$ATSCHECK" probe --endpoint "$url" --resolve "$res" --cacert "$f" --format json)" \
    "$(rss curl -sS -o /dev/null --http2 --cacert "$f" --resolve "$res" "$url")"
done
