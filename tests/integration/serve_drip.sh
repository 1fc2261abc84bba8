#!/usr/bin/env bash
# Slow-drip clients (issue 18): 400 clients that send a TLS ClientHello one byte at a time, never
# idle long enough for --timeout, must not hold every slot: a real client is still answered, and
# each dripper is closed within the handshake deadline (the whole handshake, not the idle gap).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/serve_lib.sh"
command -v python3 >/dev/null || { echo "skip: no python3"; finish; }
serve_pki
url() { echo "https://$HOST:$PORT/"; }
ulimit -n 4096 2>/dev/null
start_serve drip --cert "$CERT" --key "$KEY" --chain "$CHAIN" --listen 127.0.0.1:0 --timeout 6 || finish

# The drippers: N sockets, each a TLS record header announcing 512 bytes, then one byte every
# 0.5 s (well under the 6 s idle limit). Writes, per socket, how long the server kept it open.
cat >"$T/drip.py" <<'PY'
import socket, sys, time, select
port, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
socks, opened, closed = [], {}, {}
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    s.send(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    socks.append(s); opened[s] = time.monotonic()
print("ready", flush=True)
end = time.monotonic() + secs
while time.monotonic() < end and len(closed) < n:
    live = [s for s in socks if s not in closed]
    r, _, _ = select.select(live, [], [], 0.5)
    for s in r:
        try:
            if s.recv(4096) == b"":
                closed[s] = time.monotonic() - opened[s]
        except OSError:
            closed[s] = time.monotonic() - opened[s]
    for s in live:
        if s in closed: continue
        try: s.send(b"\x00")
        except OSError: closed[s] = time.monotonic() - opened[s]
held = [closed.get(s, secs) for s in socks]
print("closed %d of %d longest %.1f s" % (len(closed), n, max(held)), flush=True)
PY
python3 "$T/drip.py" "$PORT" 400 14 >"$T/drip.out" 2>&1 &
dp=$!
_pids+=("$dp")
for i in $(seq 1 100); do grep -q ready "$T/drip.out" 2>/dev/null && break; sleep 0.1; done
sleep 1
# Real clients while the drippers drip (all within the drippers' first 6 s, so only closing the
# oldest unfinished handshake makes room for them): every one answered.
ok=0
for i in 1 2 3 4 5; do
  h2curl --max-time 5 -o /dev/null -w '%{http_code}\n' "$(url)" >>"$T/real" 2>>"$T/real.err" && ok=$((ok + 1))
  sleep 0.5
done
check "5 real clients answered while 400 drip ($ok answered)" test "$ok" -eq 5
wait "$dp"
cat "$T/drip.out"
read -r _ closed _ n _ longest _ < <(grep '^closed' "$T/drip.out")
check "every dripper was closed within the 14 s ($closed of $n)" test "$closed" = 400
check "none held longer than the 6 s handshake deadline + 2 s (longest ${longest} s)" \
  python3 -c "import sys; sys.exit(0 if float('$longest') <= 8.0 else 1)"
check "logged as handshake timeouts" grep -q "TLS handshake timed out" "$SERVE_ERR"
check "room made for the real clients, logged" grep -q "TLS handshake unfinished after .* closed to make room" "$SERVE_ERR"
h2curl -o "$T/final" "$(url)"
check "still answers afterwards" grep -q "connection established with ATS certificate" "$T/final"
expect_exit 0 "SIGTERM: exit 0" stop_serve

# An HTTP/1.x request head dripped one header line every 0.5 s: closed at the 2 s deadline of
# the head, not kept while it drips (plain HTTP, so no handshake is in the way).
start_serve h1drip --plain --listen 127.0.0.1:0 --timeout 2 || finish
cat >"$T/h1drip.py" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
t0 = time.monotonic()
s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
s.settimeout(0.5)
while time.monotonic() - t0 < 10:
    try:
        if s.recv(4096) == b"": break
    except socket.timeout:
        pass
    except OSError:
        break
    try: s.send(b"X-Drip: 1\r\n")
    except OSError: break
print("%.1f" % (time.monotonic() - t0))
PY
held=$(python3 "$T/h1drip.py" "$PORT")
check "a dripped request head is closed at its 2 s deadline (held ${held} s)" \
  python3 -c "import sys; sys.exit(0 if 1.5 <= float('$held') <= 4.0 else 1)"
check "logged" grep -q "request head unfinished after" "$SERVE_ERR"
expect_exit 0 "SIGTERM: exit 0" stop_serve
finish
