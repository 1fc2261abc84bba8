#!/usr/bin/env bash
# atscheck probe, chain, check and selftest from the command line, against `atscheck serve` on
# 127.0.0.1: reports, exit codes, --save-chain into chain, --at, partial chains, the default
# command, and one clear line with exit 3 for every kind of bad input.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
MKPKI=${MKPKI:-$ATS_BUILD_DIR/tests/mkpki}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

# good.scn, and a PKI whose root no system CA shares a name with (a hashed directory is only
# searched for names the CA file loaded with it lacks).
cat > "$T/own.scn" <<'EOF'
cert ownroot subject="/O=atscheck test/CN=Own Test Root" key=ec:P-256 ca from=-1y to=+5y
cert leaf subject=/CN=localhost dns=localhost issuer=ownroot
server leaf
trust ownroot
EOF
"$MKPKI" "$T/pki" "$ATS_SOURCE_DIR/tests/scenarios/good.scn" "$T/own.scn" || { fail "mkpki"; finish; }
d=$T/pki/good
cat "$d/server-chain.pem" > "$T/inter.pem"

# The look-alike endpoint, on a port it picks itself.
"$ATSCHECK" serve --cert "$d/server-cert.pem" --key "$d/server.key" --chain "$d/server-chain.pem" \
  --listen 127.0.0.1:0 --quiet >"$T/serve.out" 2>"$T/serve.err" &
_pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$T/serve.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.out")
check "serve is listening" test -n "$port"
url="https://localhost:$port/"
P=(--endpoint "$url" --resolve "localhost:$port:127.0.0.1" --lab-roots "$d/lab.pem" --timeout 3)

expect_exit 0 "probe: the good chain passes both ways" "$ATSCHECK" probe "${P[@]}" --cacert "$d/trust.pem" \
  --save-chain "$T/saved.pem" --format json
check "both probes, HTTP/2 and HTTP/1.1, side by side" \
  jq -e '[.probes[].name] == ["h2", "http/1.1"] and .probes[0].http.version == "2"
         and .probes[0].tls.alpn == "h2" and .probes[1].tls.alpn == "http/1.1"' "$T/out"
check "facts: address, times, TLS, chain, anchor named" \
  jq -e '.probes[0] | .address == "127.0.0.1" and (.times_ms.tls > 0) and (.tls.version | test("TLSv1.[23]"))
         and (.certificates.sent | length == 2) and (.certificates.sent[0].sha256 | length == 64)
         and .certificates.anchor.ats.name == "Amazon Root CA 1" and .http.status == 200' "$T/out"
check "the unexpected HTTP/1.1 answer still passes" jq -e '.probes[1].http.status == 505 and .probes[1].verdict == "OK"' "$T/out"

check "libcurl and OpenSSL versions, and HTTP/2 support, reported" \
  jq -e '(.libcurl.version | length > 0) and .libcurl.http2 == true and (.tool.openssl | test("OpenSSL"))' "$T/out"
check "--save-chain wrote the chain sent" test "$(grep -c 'BEGIN CERTIFICATE' "$T/saved.pem")" = 2
expect_exit 0 "probe --http2 only" "$ATSCHECK" probe "${P[@]}" --cacert "$d/trust.pem" --http2 --format json
check "only the h2 probe" jq -e '[.probes[].name] == ["h2"]' "$T/out"

# A DER (or PKCS#7) CA file: libcurl on OpenSSL reads a CA file as PEM only, so the device fails
# where the PEM of the same root passes. The probe says so, and curl agrees.
openssl x509 -in "$d/trust.pem" -outform DER -out "$T/trust.der"
expect_exit 2 "probe: a DER CA file is CRITICAL" "$ATSCHECK" probe "${P[@]}" --cacert "$T/trust.der" --format json
check "probe: the DER CA file named, and what to do" \
  jq -e --arg f "$T/trust.der" '.problems | any(.message | startswith($f + ": cannot load the CA file: it is not PEM")
         and contains("openssl x509 -inform DER"))' "$T/out"
expect_exit 77 "curl refuses the same DER CA file" curl -sS -o /dev/null --cacert "$T/trust.der" \
  --resolve "localhost:$port:127.0.0.1" "$url"

# --capath: a hashed directory (beside libcurl's default CA file, as libcurl uses it).
"$ATSCHECK" serve --cert "$T/pki/own/server-cert.pem" --key "$T/pki/own/server.key" \
  --listen 127.0.0.1:0 --quiet >"$T/serve2.out" 2>/dev/null &
_pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$T/serve2.out" 2>/dev/null && break; sleep 0.05; done
port2=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve2.out")
mkdir -p "$T/capath" && cp "$T/pki/own/trust.pem" "$T/capath/own.pem" && openssl rehash "$T/capath"
expect_exit 1 "probe --capath DIR: verified there, anchored at a CA that is not ATS" "$ATSCHECK" probe \
  --endpoint "https://localhost:$port2/" --resolve "localhost:$port2:127.0.0.1" --capath "$T/capath" --format json
check "--capath: cause intercepted, anchor Own Test Root" \
  jq -e '.probes[0].cause == "intercepted" and (.probes[0].certificates.anchor.subject | test("Own Test Root"))' "$T/out"

# A pass proves the root is in the store: the intermediate alone does not do (curl would pass).
expect_exit 2 "store holding only the intermediate: CRITICAL" "$ATSCHECK" probe "${P[@]}" --cacert "$T/inter.pem" --format json
check "cause untrusted, naming the root that would anchor it" \
  jq -e '.probes[0].cause == "untrusted" and (.probes[0].message | test("Amazon Root CA 1"))' "$T/out"
check "curl itself accepts that partial chain" \
  curl -sS -o /dev/null --cacert "$T/inter.pem" --resolve "localhost:$port:127.0.0.1" "$url"

# --at: the same chain at another time.
expect_exit 2 "--at 2000-01-01: the clock is behind" "$ATSCHECK" probe "${P[@]}" --cacert "$d/trust.pem" --at 2000-01-01 --format json
check "cause clock, fix names timedatectl" jq -e '.probes[0].cause == "clock" and (.probes[0].fix | test("timedatectl"))' "$T/out"
expect_exit 0 "text report" "$ATSCHECK" probe "${P[@]}" --cacert "$d/trust.pem"
check "text shows ALPN, anchor and verdict" grep -q "ALPN h2" "$T/out"
check "text names the anchor" grep -q "anchor: Amazon Root CA 1" "$T/out"

# chain: the saved chain, offline.
expect_exit 0 "chain: saved chain against the trust file" "$ATSCHECK" chain "$T/saved.pem" --host localhost \
  --bundle "$d/trust.pem" --lab-roots "$d/lab.pem" --format json
check "chain: anchor named" jq -e '.stores[0].result.anchor.ats.name == "Amazon Root CA 1"' "$T/out"
expect_exit 2 "chain: wrong host" "$ATSCHECK" chain "$T/saved.pem" --host other.example --bundle "$d/trust.pem" --lab-roots "$d/lab.pem" --format json
check "chain: cause hostname" jq -e '.problems[0].cause == "hostname"' "$T/out"
mkdir -p "$T/image/etc/ssl/certs"
cp "$d/trust.pem" "$T/image/etc/ssl/certs/ca-certificates.crt"
expect_exit 0 "chain --root: the image's own bundle" "$ATSCHECK" chain "$T/saved.pem" --root "$T/image" \
  --bundle /etc/ssl/certs/ca-certificates.crt --lab-roots "$d/lab.pem"
expect_exit 2 "chain --at 2037-06-01 (within a 32-bit time_t): expired" "$ATSCHECK" chain "$T/saved.pem" --bundle "$d/trust.pem" --lab-roots "$d/lab.pem" --at 2037-06-01 --format json
check "chain: cause expired" jq -e '.problems[0].cause == "expired"' "$T/out"

# check: audit + probe, one verdict; and the default command.
expect_exit 2 "check: the lab roots are impostors to the audit" "$ATSCHECK" check "${P[@]}" --cacert "$d/trust.pem" --format json
check "check: audit and probe in one report" \
  jq -e '.command == "check" and .audit.command == "audit" and .probe.verdict == "OK" and .exit_code == 2
         and ([.problems[] | select(.part != "audit") | .cause] | unique == ["audit-probe-disagree"])' "$T/out"
check "check: the probe's pass under lab roots the audit calls impostors is said to disagree" \
  jq -e '[.problems[] | select(.cause == "audit-probe-disagree")][0].message | test("RSA 2048")' "$T/out"
"$ATSCHECK" bundle export "$T/six" >/dev/null 2>&1 || { mkdir -p "$T/six"; "$ATSCHECK" bundle export "$T/six" >/dev/null; }
cat "$T"/six/*.pem > "$T/six.pem"
expect_exit 0 "atscheck with no command runs check (offline here)" "$ATSCHECK" --offline --bundle "$T/six.pem" --format json
check "no command: a check report" jq -e '.command == "check" and .probe == null and .summary.cause == "ok"' "$T/out"
expect_exit 2 "check --root: audited, not probed" "$ATSCHECK" check --root "$T/image" --format json
check "check --root says why it did not probe" jq -e '.probe_skipped | test("image")' "$T/out"

# selftest, in process, offline.
expect_exit 0 "selftest passes on this machine" "$ATSCHECK" selftest --format json
check "selftest: three runs as expected, the negative control refused" \
  jq -e '[.runs[].as_expected] == [true, true, true] and .runs[2].probe.probes[0].cause == "untrusted"
         and (.lab_roots | map(.key) == ["RSA 2048", "RSA 4096", "EC P-256", "EC P-384", "RSA 2048", "RSA 2048"])' "$T/out"

# Bad input: one line naming the input and the fault, exit 3.
printf 'garbage\n' > "$T/garbage.pem"
truncate -s 2G "$T/huge.pem"
expect_exit 3 "probe: --cacert missing" "$ATSCHECK" probe "${P[@]}" --cacert "$T/nope.pem"
check "names the file" grep -q "nope.pem: no such file" "$T/err"
expect_exit 3 "probe: --capath not a directory" "$ATSCHECK" probe "${P[@]}" --capath "$T/garbage.pem"
expect_exit 3 "probe: bad --resolve" "$ATSCHECK" probe --resolve nonsense
check "says what it expected" grep -q "HOST:PORT:ADDRESS" "$T/err"
expect_exit 3 "probe: bad --timeout" "$ATSCHECK" probe --timeout -1
expect_exit 3 "probe: http:// endpoint" "$ATSCHECK" probe --endpoint http://localhost/
check "says https only" grep -q "must be https" "$T/err"
expect_exit 3 "probe: not a URL" "$ATSCHECK" probe --endpoint 'https://'
expect_exit 3 "probe: --root does not apply" "$ATSCHECK" probe --root "$T/image"
expect_exit 3 "probe: --lab-roots garbage" "$ATSCHECK" probe --lab-roots "$T/garbage.pem"
expect_exit 3 "probe: --save-chain into a missing folder" "$ATSCHECK" probe "${P[@]}" --cacert "$d/trust.pem" --save-chain "$T/no/such/dir.pem"
check "names the file" grep -q "no/such/dir.pem" "$T/err"
expect_exit 3 "probe: stray argument" "$ATSCHECK" probe extra
expect_exit 3 "chain: no file" "$ATSCHECK" chain
expect_exit 3 "chain: missing file" "$ATSCHECK" chain "$T/nope.pem"
expect_exit 3 "chain: garbage" "$ATSCHECK" chain "$T/garbage.pem"
check "names the file" grep -q "garbage.pem" "$T/err"
expect_exit 3 "chain: 2 GB file refused" "$ATSCHECK" chain "$T/huge.pem"
check "says too large" grep -q "huge.pem: too large" "$T/err"
expect_exit 3 "chain: a directory" "$ATSCHECK" chain "$T/image"
cat "$d/server-chain.pem" "$d/server-cert.pem" > "$T/reversed.pem"
expect_exit 3 "chain: wrong order" "$ATSCHECK" chain "$T/reversed.pem"
check "says wrong order" grep -q "wrong order" "$T/err"
expect_exit 3 "chain: missing store" "$ATSCHECK" chain "$T/saved.pem" --bundle "$T/nope.pem"
expect_exit 3 "selftest: --at does not apply" "$ATSCHECK" selftest --at 2030-01-01
expect_exit 3 "selftest: not loopback" "$ATSCHECK" selftest --listen 0.0.0.0
for c in probe chain check selftest; do
  expect_exit 0 "$c --help" "$ATSCHECK" "$c" --help
done
finish
