#!/usr/bin/env bash
# atscheck serve answers as the ATS test endpoint does, to the real curl and openssl command
# lines: HTTP/2 by ALPN (200 and its message), HTTP/1.1 (the unexpected answer), ALPN variants,
# several clients at once, IPv6, plain mode, and bad usage named with exit 3.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/serve_lib.sh"
serve_pki
URL() { echo "https://$HOST:$PORT${1:-/}"; }
H2_BODY="connection established with ATS certificate"

start_serve main --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 || finish
check "prints 'listening on 127.0.0.1:PORT'" grep -qx "listening on 127.0.0.1:$PORT" "$T/serve.main.out"

h2curl --http2 -w '\n%{http_version} %{http_code}\n' "$(URL)" >"$T/h2" 2>&1
check "curl --http2: HTTP/2 200" grep -qx "2 200" "$T/h2"
check "curl --http2: the endpoint's message" grep -qx "$H2_BODY" "$T/h2"

h2curl --http1.1 -w '\n%{http_version} %{http_code}\n' "$(URL)" >"$T/h1" 2>&1
check "curl --http1.1: HTTP/1.1 505" grep -qx "1.1 505" "$T/h1"
check "curl --http1.1: says it is unexpected" grep -q "unexpected HTTP/1.x request" "$T/h1"
h2curl --http1.1 -I "$(URL)" >"$T/head" 2>&1
check "HEAD over HTTP/1.1: headers, no body" grep -q "Content-Length: " "$T/head"

# One HTTP/2 connection, several requests (multiplexed) and the same over keep-alive 1.1.
h2curl --http2 --parallel --parallel-immediate -w '%{http_version} %{http_code} %{num_connects}\n' \
  -o /dev/null "$(URL /a)" -o /dev/null "$(URL /b)" -o /dev/null "$(URL /c)" >"$T/multi" 2>&1
check "three h2 requests answered" test "$(grep -c '^2 200' "$T/multi")" -eq 3
h2curl --http2 -w '%{num_connects}\n' -o /dev/null "$(URL /1)" -o /dev/null "$(URL /2)" >"$T/reuse" 2>&1
check "h2 connection reused for the second request" grep -qx 0 "$T/reuse"
h2curl --http1.1 -w '%{num_connects}\n' -o /dev/null "$(URL /1)" -o /dev/null "$(URL /2)" >"$T/reuse1" 2>&1
check "HTTP/1.1 keep-alive: connection reused" grep -qx 0 "$T/reuse1"
h2curl --http2 -d 'a request body' -w '%{http_code}\n' -o /dev/null "$(URL /post)" >"$T/post" 2>&1
check "h2 POST with a body: 200" grep -qx 200 "$T/post"
h2curl --http1.1 -d 'a request body' -w '%{http_code}\n' -o /dev/null "$(URL /post)" "$(URL /again)" >"$T/post1" 2>&1
check "HTTP/1.1 POST body skipped, next request on the connection answered" \
  test "$(grep -c '^505' "$T/post1")" -eq 2

# openssl s_client: ALPN as the server chooses it.
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -servername "$HOST" -CAfile "$ROOT" \
  -alpn h2,http/1.1 -verify_return_error >"$T/sc" 2>&1
check "s_client: ALPN h2 chosen" grep -q "ALPN protocol: h2" "$T/sc"
check "s_client: chain verified" grep -q "Verify return code: 0 (ok)" "$T/sc"
check "s_client: leaf and intermediate sent" grep -q "1 s:CN = atscheck test intermediate" "$T/sc"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$ROOT" -alpn http/1.1 >"$T/sc1" 2>&1
check "s_client offering only http/1.1: http/1.1" grep -q "ALPN protocol: http/1.1" "$T/sc1"
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$ROOT" -alpn spdy/3 >"$T/sc2" 2>&1
check "s_client offering nothing we speak: no ALPN, still connected" grep -q "No ALPN negotiated" "$T/sc2"

# Several clients at once, both protocols.
for i in $(seq 1 12); do
  v=--http2; [ $((i % 3)) -eq 0 ] && v=--http1.1
  h2curl "$v" -o /dev/null -w '%{http_code}\n' "$(URL /c$i)" >"$T/conc.$i" 2>&1 &
done
wait_clients() { local p; for p in $(jobs -p); do [ "$p" = "$SERVE_PID" ] || wait "$p"; done; }
wait_clients
check "12 concurrent clients all answered" test "$(cat "$T"/conc.* | grep -cE '^(200|505)$')" -eq 12
check "server log names each request" test "$(grep -c 'HTTP/2 GET /c[0-9]' "$SERVE_ERR")" -eq 8
expect_exit 0 "SIGTERM: clean stop, exit 0" stop_serve
check "stop summary logged" grep -q "stopped after" "$SERVE_ERR"

# ALPN without h2 (a server without HTTP/2), and no ALPN at all.
start_serve noh2 --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --no-h2 --quiet || finish
h2curl --http2 -w '%{http_version} %{http_code}\n' -o /dev/null "$(URL)" >"$T/noh2" 2>&1
check "--no-h2: curl --http2 falls back to HTTP/1.1 (505)" grep -qx "1.1 505" "$T/noh2"
check "--quiet: no log lines" test ! -s "$SERVE_ERR"
stop_serve
start_serve noalpn --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --alpn none || finish
echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$ROOT" -alpn h2 >"$T/sc3" 2>&1
check "--alpn none: no ALPN negotiated" grep -q "No ALPN negotiated" "$T/sc3"
stop_serve

# IPv6 loopback (when this machine has it).
if (exec 3<>/dev/null; python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))') 2>/dev/null; then
  start_serve v6 --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen '[::1]:0' || finish
  check "IPv6: prints [::1]:PORT" grep -qx "listening on \[::1\]:$PORT" "$T/serve.v6.out"
  curl -sS --max-time 10 --cacert "$ROOT" --resolve "$HOST:$PORT:::1" --http2 "$(URL)" >"$T/v6" 2>&1
  check "IPv6: HTTP/2 answered" grep -qx "$H2_BODY" "$T/v6"
  stop_serve
else
  echo "skip - no IPv6 loopback here"
fi

# Plain mode: HTTP in clear; a TLS client fails fast (not a hang).
start_serve plain --plain --listen 127.0.0.1:0 || finish
curl -sS --max-time 10 -w '\n%{http_version} %{http_code}\n' "http://127.0.0.1:$PORT/" >"$T/plain" 2>&1
check "--plain: HTTP/1.1 in clear answered" grep -qx "1.1 505" "$T/plain"
curl -sS --max-time 10 --http2-prior-knowledge "http://127.0.0.1:$PORT/" >"$T/h2c" 2>&1
check "--plain: h2c with prior knowledge answered" grep -qx "$H2_BODY" "$T/h2c"
start=$(date +%s%N)
expect_exit 35 "--plain: a TLS client fails with a TLS error (curl 35)" \
  curl -sS --max-time 10 --cacert "$ROOT" "https://127.0.0.1:$PORT/"
check "... within a second (answered, not timed out)" test $(( ($(date +%s%N) - start) / 1000000 )) -lt 1000
check "... 'wrong version number'" grep -q "wrong version number" "$T/err"
stop_serve

# Bad usage and bad input: one line naming it, exit 3, nothing listening.
expect_exit 3 "no certificate" "$ATSCHECK" serve --listen 127.0.0.1:0
check "names --cert" grep -q -- "--cert" "$T/err"
expect_exit 3 "missing key file" "$ATSCHECK" serve --cert "$CERT" --key "$T/nope.key" --listen 127.0.0.1:0
check "names the key file" grep -q "nope.key: cannot open" "$T/err"
expect_exit 3 "key of another certificate" "$ATSCHECK" serve --cert "$CERT" --key "$T/pki/root.key" --listen 127.0.0.1:0
check "says it does not match" grep -q "root.key does not match" "$T/err"
printf 'garbage\n' >"$T/garbage.pem"
expect_exit 3 "garbage certificate" "$ATSCHECK" serve --cert "$T/garbage.pem" --key "$KEY" --listen 127.0.0.1:0
check "names it" grep -q "garbage.pem (the server certificate): no PEM block" "$T/err"
expect_exit 3 "bad --listen" "$ATSCHECK" serve --plain --listen localhost
check "says what --listen wants" grep -q "expected ADDR:PORT" "$T/err"
expect_exit 3 "bad --tls-max" "$ATSCHECK" serve --plain --tls-max 1.4
expect_exit 3 "two modes" "$ATSCHECK" serve --plain --stall
expect_exit 3 "--no-h2 with --alpn" "$ATSCHECK" serve --plain --no-h2 --alpn h2
expect_exit 3 "bad --timeout" "$ATSCHECK" serve --plain --timeout 0
expect_exit 3 "unknown option" "$ATSCHECK" serve --frobnicate
expect_exit 3 "stray argument" "$ATSCHECK" serve --plain extra
start_serve busy --plain --listen 127.0.0.1:0 --quiet || finish
expect_exit 3 "port in use" "$ATSCHECK" serve --plain --listen "127.0.0.1:$PORT"
check "names the address" grep -q "127.0.0.1:$PORT: cannot listen" "$T/err"
stop_serve
expect_exit 0 "--help" "$ATSCHECK" serve --help
for o in --tls-max --no-h2 --alpn --plain --stall --reset --listen --chain; do
  check "--help documents $o" grep -q -- "$o" "$T/out"
done
check "'atscheck --help' lists serve" bash -c "grep -q '^  serve' <<<\"\$('$ATSCHECK' --help)\""
finish
