# Helpers for the tests of `atscheck serve` (source after common.sh):
#   serve_pki                 makes $T/pki/{root.pem,leaf.pem,leaf.key,...} with the openssl
#                             command line (an independent maker: the C PKI factory is tested
#                             by the unit tests), a leaf for avs-ats-cert-test.amazon.com,
#                             127.0.0.1 and ::1 signed by an intermediate under a test root
#   start_serve NAME ARGS...  runs `atscheck serve ARGS...` in the background (killed at exit),
#                             waits for its "listening on ADDR:PORT" line, sets PORT, SERVE_PID
#                             and SERVE_ERR (its log); returns 1 when it did not start
#   h2curl ARGS...            curl against the look-alike with the test root and --resolve
HOST=avs-ats-cert-test.amazon.com

serve_pki() {
  local d=$T/pki
  mkdir -p "$d"
  (
    cd "$d" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout root.key \
      -out root.pem -subj "/CN=atscheck test root" -days 30 \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout int.key \
      -out int.csr -subj "/CN=atscheck test intermediate"
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' >int.ext
    openssl x509 -req -in int.csr -CA root.pem -CAkey root.key -CAcreateserial -out int.pem \
      -days 30 -extfile int.ext
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key \
      -out leaf.csr -subj "/CN=$HOST"
    printf 'subjectAltName=DNS:%s,IP:127.0.0.1,IP:::1\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' \
      "$HOST" >leaf.ext
    openssl x509 -req -in leaf.csr -CA int.pem -CAkey int.key -CAcreateserial -out leaf.pem \
      -days 30 -extfile leaf.ext
  ) >"$T/pki.log" 2>&1 || { echo "cannot make the test PKI:"; cat "$T/pki.log"; exit 1; }
  CERT=$d/leaf.pem KEY=$d/leaf.key CHAIN=$d/int.pem ROOT=$d/root.pem
}

start_serve() {
  local name=$1 out i
  shift
  out=$T/serve.$name
  bg_server "$ATSCHECK" serve "$@" >"$out.out" 2>"$out.err"
  SERVE_PID=${_pids[-1]}
  SERVE_ERR=$out.err
  PORT=
  for i in $(seq 1 200); do
    PORT=$(sed -n 's/^listening on .*:\([0-9][0-9]*\)$/\1/p' "$out.out")
    [ -n "$PORT" ] && return 0
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "atscheck serve $name did not start:"; sed 's/^/    /' "$out.err"
  return 1
}

h2curl() {
  curl -sS --max-time 10 --cacert "$ROOT" --resolve "$HOST:$PORT:127.0.0.1" "$@"
}

# stop_serve: SIGTERM, then the exit status of the server (bounded wait).
stop_serve() {
  local i
  kill -TERM "$SERVE_PID" 2>/dev/null
  for i in $(seq 1 100); do kill -0 "$SERVE_PID" 2>/dev/null || break; sleep 0.05; done
  wait "$SERVE_PID"
}
