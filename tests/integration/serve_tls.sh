#!/usr/bin/env bash
# atscheck serve sends exactly the chain it is given and honours its TLS version limits, as the
# curl and openssl command lines see it.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/serve_lib.sh"
serve_pki
URL="https://$HOST"
url() { echo "$URL:$PORT/"; }
# proto ARGS... : the TLS version s_client negotiated ("TLSv1.2"), or nothing when it failed.
proto() {
  echo | timeout 10 openssl s_client -brief -connect "127.0.0.1:$PORT" -CAfile "$ROOT" "$@" 2>&1 |
    sed -n 's/^Protocol version: *//p' | head -1
}

# The chain: without the intermediate a root-only trust file cannot verify; with it, it can.
start_serve nochain --cert "$CERT" --key "$KEY" --listen 127.0.0.1:0 --quiet || finish
expect_exit 60 "no --chain: curl cannot verify (missing intermediate, curl 60)" h2curl -o /dev/null "$(url)"
stop_serve
cat "$CERT" "$CHAIN" >"$T/fullchain.pem"
start_serve full --cert "$T/fullchain.pem" --key "$KEY" --listen 127.0.0.1:0 --quiet || finish
expect_exit 0 "leaf + intermediate in --cert: verified" h2curl -o /dev/null "$(url)"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$ROOT" -showcerts >"$T/sc" 2>/dev/null
check "exactly two certificates sent (nothing added from a store)" \
  test "$(grep -c 'BEGIN CERTIFICATE' "$T/sc")" -eq 2
stop_serve

# --tls-max 1.2: a TLS 1.3-only client is refused, a default one gets TLS 1.2.
start_serve max12 --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --tls-max 1.2 || finish
expect_exit 35 "--tls-max 1.2: curl --tlsv1.3 refused (curl 35)" h2curl --tlsv1.3 -o /dev/null "$(url)"
expect_exit 0 "--tls-max 1.2: curl's default connects" h2curl --http2 -o /dev/null "$(url)"
check "--tls-max 1.2: s_client gets TLSv1.2" test "$(proto)" = TLSv1.2
check "failed handshake logged" grep -q "TLS handshake failed" "$SERVE_ERR"
stop_serve

# --tls-max 1.1: an old server. Today's curl refuses it; an old client really gets TLS 1.1.
start_serve max11 --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --tls-max 1.1 --quiet || finish
expect_exit 35 "--tls-max 1.1: curl refuses the old server (curl 35)" h2curl -o /dev/null "$(url)"
check "--tls-max 1.1: s_client -tls1_1 gets TLSv1.1" \
  test "$(proto -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0')" = TLSv1.1
check "--tls-max 1.1: s_client -tls1_2 gets nothing" test -z "$(proto -tls1_2)"
stop_serve
start_serve max10 --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --tls-max 1.0 --quiet || finish
check "--tls-max 1.0: s_client -tls1 gets TLSv1" test "$(proto -tls1 -cipher 'DEFAULT:@SECLEVEL=0')" = TLSv1
stop_serve

# --tls-min 1.3: a client capped at 1.2 is refused.
start_serve min13 --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --tls-min 1.3 --quiet || finish
expect_exit 35 "--tls-min 1.3: curl --tls-max 1.2 refused" h2curl --tls-max 1.2 -o /dev/null "$(url)"
expect_exit 0 "--tls-min 1.3: curl's default connects" h2curl -o /dev/null "$(url)"
check "--tls-min 1.3: s_client gets TLSv1.3" test "$(proto)" = TLSv1.3
stop_serve

# An RSA identity works too (the look-alike is not EC-only).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/rsa.key" -out "$T/rsa.pem" -subj "/CN=$HOST" \
  -days 2 -addext "subjectAltName=DNS:$HOST" >/dev/null 2>&1
start_serve rsa --cert "$T/rsa.pem" --key "$T/rsa.key" --listen 127.0.0.1:0 --quiet || finish
expect_exit 0 "RSA self-signed identity: HTTP/2 answered" \
  curl -sS --max-time 10 --cacert "$T/rsa.pem" --resolve "$HOST:$PORT:127.0.0.1" --http2 -o /dev/null "$(url)"
stop_serve
finish
