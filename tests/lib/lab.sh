# The lab the report-format tests run against (source after common.sh):
#   lab_serve        makes the good ATS-like lab PKI ($g = its folder) with mkpki, runs
#                    `atscheck serve` on 127.0.0.1 with it (killed at exit), and sets $port and
#                    P (the probe options that reach it: endpoint, resolve, lab roots, timeout);
#                    returns 1 when either step failed (already said).
#   lab_dha DIR      a DAK (EC P-256, CA) and a device certificate it signed, made with the
#                    openssl command line: DIR/{dak,dev}.{pem,key}, DIR/certificate.pem
#                    (device then DAK), as a manufacturer ships it.
MKPKI=${MKPKI:-$ATS_BUILD_DIR/tests/mkpki}

. "$ATS_SOURCE_DIR/tests/lib/listen.sh"

lab_serve() {
  "$MKPKI" "$T/pki" "$ATS_SOURCE_DIR/tests/scenarios/good.scn" > "$T/mkpki.out" 2>&1 ||
    { fail "mkpki: $(head -3 "$T/mkpki.out")"; return 1; }
  g=$T/pki/good
  "$ATSCHECK" serve --cert "$g/server-cert.pem" --key "$g/server.key" --chain "$g/server-chain.pem" \
    --listen 127.0.0.1:0 --quiet > "$T/serve.out" 2> "$T/serve.err" &
  _pids+=($!)
  port=$(listen_port "$T/serve.out")
  [ -n "$port" ] || { fail "atscheck serve did not start: $(head -3 "$T/serve.err")"; return 1; }
  P=(--endpoint "https://localhost:$port/" --resolve "localhost:$port:127.0.0.1" --lab-roots "$g/lab.pem" --timeout 3)
}

lab_dha() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$d/dak.key" \
    -subj "/CN=Test DAK" -days 3650 -out "$d/dak.pem" -addext basicConstraints=critical,CA:TRUE,pathlen:0 \
    -addext keyUsage=critical,keyCertSign,digitalSignature 2>/dev/null
  openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$d/dev.key" \
    -subj "/CN=Test Speaker DHA" -out "$d/dev.csr" 2>/dev/null
  openssl x509 -req -in "$d/dev.csr" -CA "$d/dak.pem" -CAkey "$d/dak.key" -days 1825 -sha256 \
    -out "$d/dev.pem" 2>/dev/null
  cat "$d/dev.pem" "$d/dak.pem" > "$d/certificate.pem"
}
