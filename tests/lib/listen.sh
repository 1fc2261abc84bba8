# listen_port FILE: waits (5 s at most) for `atscheck serve`'s "listening on 127.0.0.1:PORT" line
# in FILE (its standard output) and prints PORT; prints nothing when the line never came.
# Sourced by tests/lib/lab.sh and the benchmarks that start a server.
listen_port() {
  local _
  for _ in $(seq 1 100); do grep -q "listening on" "$1" 2>/dev/null && break; sleep 0.05; done
  sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$1"
}
