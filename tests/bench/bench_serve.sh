#!/usr/bin/env bash
# Requests per second of `atscheck serve` against nginx (Debian's, one worker, the same
# certificate and the same answers) on loopback, measured in the same run with h2load
# (nghttp2-client) when present, else with the curl command line. Printed, never asserted.
#   h2 multiplexed: 10 connections x 10 streams;  HTTP/1.1 keep-alive: 10 connections;
#   new TLS connection per request: 1 request per connection (handshake-bound).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/serve_lib.sh"
serve_pki
quick=${QUICK:-0}
N=20000; NC=2000
[ "$quick" = 1 ] && N=4000 NC=400
cat "$CERT" "$CHAIN" >"$T/fullchain.pem"

start_serve bench --cert "$T/fullchain.pem" --key "$KEY" --listen 127.0.0.1:0 --quiet --max-conns 2000 ||
  { echo "atscheck serve did not start"; exit 1; }
OURS=$PORT

NGINX=
if command -v nginx >/dev/null; then
  NPORT=$(free_port)
  mkdir -p "$T/nginx"
  cat >"$T/nginx/nginx.conf" <<CONF
worker_processes 1;
error_log $T/nginx/error.log;
pid $T/nginx/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NPORT ssl http2;
    ssl_certificate $T/fullchain.pem;
    ssl_certificate_key $KEY;
    default_type text/plain;
    location / {
      if (\$server_protocol != "HTTP/2.0") { return 505 "unexpected HTTP/1.x request\n"; }
      return 200 "connection established with ATS certificate\n";
    }
  }
}
CONF
  bg_server nginx -p "$T/nginx" -c "$T/nginx/nginx.conf" -g 'daemon off;' 2>"$T/nginx/stderr"
  if wait_port "$NPORT" 10; then NGINX=$NPORT; else echo "nginx did not start:"; cat "$T/nginx/stderr"; fi
else
  echo "nginx not installed: our figures only"
fi

# rate PORT ARGS... : requests per second from h2load's summary
rate() {
  local port=$1; shift
  h2load "$@" "https://127.0.0.1:$port/" 2>&1 | tee "$T/h2load.last" |
    sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s.*/\1/p'
}

row() { # label, ours, theirs
  local r=-
  [ -n "$3" ] && [ -n "$2" ] && r=$(awk -v a="$2" -v b="$3" 'BEGIN { if (b > 0) printf "%.2f", a / b }')
  printf '  %-40s %12s %12s %8s\n' "$1" "${2:--}" "${3:--}" "$r"
}

echo "atscheck serve vs nginx on loopback (requests/s; ratio = ours / nginx; higher is better)"
printf '  %-40s %12s %12s %8s\n' "workload" "atscheck" "nginx" "ratio"
if command -v h2load >/dev/null; then
  for w in "h2, 10 conns x 10 streams|-n $N -c 10 -m 10" \
           "HTTP/1.1 keep-alive, 10 conns|--h1 -n $N -c 10" \
           "h2, new TLS connection per request|-n $NC -c $NC -m 1"; do
    label=${w%%|*}; args=${w#*|}
    # shellcheck disable=SC2086
    ours=$(rate "$OURS" $args)
    theirs=
    # shellcheck disable=SC2086
    [ -n "$NGINX" ] && theirs=$(rate "$NGINX" $args)
    row "$label" "$ours" "$theirs"
  done
  echo "  (h2load $(h2load --version 2>/dev/null | head -1 | awk '{print $NF}'); both servers single-threaded)"
else
  # No h2load: one curl process, many requests over one h2 connection.
  k=$([ "$quick" = 1 ] && echo 200 || echo 1000)
  urls() { for i in $(seq 1 "$k"); do echo "url = \"https://$HOST:$1/$i\""; echo "output = /dev/null"; done; }
  t() { local s e; s=$(date +%s%N); urls "$1" | curl -sS --http2 --cacert "$ROOT" --resolve "$HOST:$1:127.0.0.1" -K - ; e=$(date +%s%N); awk -v n="$k" -v d=$((e - s)) 'BEGIN { printf "%.0f", n / (d / 1e9) }'; }
  ours=$(t "$OURS"); theirs=; [ -n "$NGINX" ] && theirs=$(t "$NGINX")
  row "h2, one curl, $k requests on one connection" "$ours" "$theirs"
  echo "  (h2load absent: apt-get install nghttp2-client for the full comparison)"
fi
