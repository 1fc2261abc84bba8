#!/usr/bin/env bash
# atscheck serve under abuse: a server that never answers (the client times out), one that
# resets during the handshake, and clients that send garbage, vanish mid-handshake or go idle.
# Each costs only its own connection; the server keeps answering and stops cleanly (no leaks
# under valgrind).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/serve_lib.sh"
serve_pki
url() { echo "https://$HOST:$PORT/"; }
ms() { date +%s%3N; }

# --stall: accepts, never answers; curl gives up at its own --max-time (28).
start_serve stall --stall --listen 127.0.0.1:0 || finish
t0=$(ms)
expect_exit 28 "--stall: curl times out (curl 28)" h2curl --max-time 1 -o /dev/null "$(url)"
check "... after its 1 s, not before" test $(( $(ms) - t0 )) -ge 900
expect_exit 28 "--stall: a second client too (server still there)" h2curl --max-time 1 -o /dev/null "$(url)"
expect_exit 0 "--stall: SIGTERM with stalled connections: exit 0" stop_serve

# --reset: the handshake is cut by a TCP reset.
start_serve reset --reset --listen 127.0.0.1:0 || finish
h2curl -o /dev/null "$(url)" 2>"$T/reset.err"
rc=$?
check "--reset: curl fails in the handshake (35 or 56, got $rc)" test "$rc" -eq 35 -o "$rc" -eq 56
check "--reset: curl saw a reset" grep -qi "reset by peer" "$T/reset.err"
check "--reset: logged" grep -q "reset during the handshake" "$SERVE_ERR"
stop_serve

# A normal server, abused; then it must still answer.
start_serve abuse --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --timeout 1 || finish
head -c 65536 /dev/urandom >"$T/noise"
(exec 3<>"/dev/tcp/127.0.0.1/$PORT"; cat "$T/noise" >&3; timeout 5 cat <&3 >/dev/null) 2>/dev/null
expect_exit 52 "plain HTTP on the TLS port: empty reply (curl 52), no crash" \
  curl -sS --max-time 5 "http://127.0.0.1:$PORT/"
printf '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03' >"$T/half"
(exec 3<>"/dev/tcp/127.0.0.1/$PORT"; cat "$T/half" >&3) 2>/dev/null
# A TLS client killed in the middle of its handshake.
(sleep 5 | timeout 0.2 openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$ROOT" >/dev/null 2>&1)
# h2 negotiated, then not HTTP/2 at all.
(printf 'GET / HTTP/1.1\r\n\r\n'; sleep 0.5) | timeout 5 openssl s_client -quiet -connect "127.0.0.1:$PORT" \
  -CAfile "$ROOT" -alpn h2 >"$T/h2garbage" 2>/dev/null
check "h2 negotiated then HTTP/1 text: logged as an HTTP/2 error" grep -q "HTTP/2 error" "$SERVE_ERR"
# Idle connections are closed at --timeout (1 s), bounded.
t0=$(ms)
(exec 3<>"/dev/tcp/127.0.0.1/$PORT"; timeout 5 cat <&3 >/dev/null) 2>/dev/null
took=$(( $(ms) - t0 ))
check "an idle connection is closed at --timeout 1 (took ${took} ms)" test "$took" -ge 800 -a "$took" -lt 4000
check "handshake timeout logged" grep -q "TLS handshake timed out" "$SERVE_ERR"
# 40 idle connections held open while a real client is served.
for i in $(seq 1 40); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"; idle+=("$fd"); done
h2curl --http2 -w '%{http_code}' -o /dev/null "$(url)" >"$T/after" 2>&1
check "answered with 40 idle connections open" grep -qx 200 "$T/after"
for fd in "${idle[@]}"; do exec {fd}>&-; done
h2curl --http2 -o "$T/final" "$(url)"
check "still answers after all of it" grep -q "connection established with ATS certificate" "$T/final"
check "failed handshakes logged" grep -q "TLS handshake failed" "$SERVE_ERR"
expect_exit 0 "SIGTERM after the abuse: exit 0" stop_serve

# No leaks, no invalid accesses: the same under valgrind (not in a sanitizer build).
# (Not `ldd | grep -q`: under pipefail, grep quitting early can make ldd's SIGPIPE the answer.)
if command -v valgrind >/dev/null && [ "${ATS_SANITIZE:-0}" != 1 ] && ! grep -q __asan_init "$ATSCHECK"; then
  bg_server valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
    --log-file="$T/vg.log" "$ATSCHECK" serve --cert "$CERT" --key "$KEY" --chain "$CHAIN" \
    --listen 127.0.0.1:0 --timeout 2 >"$T/vg.out" 2>"$T/vg.err"
  SERVE_PID=${_pids[-1]}
  PORT=
  for i in $(seq 1 400); do
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$T/vg.out"); [ -n "$PORT" ] && break; sleep 0.05
  done
  h2curl --http2 -o /dev/null "$(url)" "$(url)"
  h2curl --http1.1 -o /dev/null "$(url)"
  curl -sS --max-time 5 "http://127.0.0.1:$PORT/" 2>/dev/null
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT"; cat "$T/half" >&3) 2>/dev/null
  exec {held}<>"/dev/tcp/127.0.0.1/$PORT"
  sleep 0.5
  kill -TERM "$SERVE_PID"
  for i in $(seq 1 200); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$SERVE_PID"
  rc=$?
  exec {held}>&-
  check "valgrind: clean stop with a connection still open, no leak or error (exit $rc)" test "$rc" -eq 0
  [ "$rc" -eq 0 ] || sed 's/^/    /' "$T/vg.log" | head -40
  check "valgrind: requests were answered" grep -q "HTTP/2 GET /: 200" "$T/vg.err"
else
  echo "skip - valgrind (absent, or a sanitizer build)"
fi
finish
