#!/usr/bin/env bash
# What libcurl really does with an AVS Device SDK config's CURLOPT_CAPATH, measured with real
# handshakes against `atscheck serve` on 127.0.0.1 by tests/tools/curl_capath (set up as the
# SDK's prepareForTLS sets up libcurl) built against OpenSSL's and GnuTLS's libcurl: the claims
# atscheck's findings make about a folder that is missing, empty or not hashed must hold for
# both. Then `check` with a config that names a loopback gateway: the test endpoint and the
# gateway probed side by side, trusted through the config's CURLOPT_CAPATH.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
# jqe passes on an empty file: every JSON check here needs a report that is there.
jqe() { [ -s "${@: -1}" ] && jq -e "$@"; }
MKPKI=${MKPKI:-$ATS_BUILD_DIR/tests/mkpki}
CC_OSSL=$ATS_BUILD_DIR/tests/curl_capath
CC_GNUTLS=$ATS_BUILD_DIR/tests/curl_capath_gnutls
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

cat > "$T/own.scn" <<'EOF'
cert ownroot subject="/O=atscheck test/CN=SDK Test Root" key=ec:P-256 ca from=-1y to=+5y
cert leaf subject=/CN=localhost dns=localhost issuer=ownroot
server leaf
trust ownroot
EOF
"$MKPKI" "$T/pki" "$T/own.scn" || { fail "mkpki"; finish; }
d=$T/pki/own
serve_on() { # serve_on VAR: a look-alike on a port of its own, its port in VAR
  local out=$T/serve.$1 p=
  "$ATSCHECK" serve --cert "$d/server-cert.pem" --key "$d/server.key" --listen 127.0.0.1:0 --quiet >"$out" 2>/dev/null &
  _pids+=($!)
  for _ in $(seq 1 100); do p=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$out"); [ -n "$p" ] && break; sleep 0.05; done
  printf -v "$1" '%s' "$p"
}
serve_on port
check "serve is listening" test -n "$port"
url="https://localhost:$port/"
res="localhost:$port:127.0.0.1"

# The CA file stands in for libcurl's compiled-in one: the six ATS CAs, not the lab's root.
"$ATSCHECK" bundle export "$T/six" >/dev/null 2>&1 || { mkdir -p "$T/six" && "$ATSCHECK" bundle export "$T/six" >/dev/null; }
cat "$T"/six/*.pem > "$T/cafile.pem"
mkdir -p "$T/empty" "$T/nohash" "$T/hashed"
cp "$d/trust.pem" "$T/nohash/root.pem"
cp "$d/trust.pem" "$T/hashed/root.pem" && openssl rehash "$T/hashed"

# measure BIN CAFILE CAPATH: libcurl's result code (0: verified and transferred).
measure() { "$1" "$url" "$2" "$3" "$res" | awk '{print $2}'; }
for bin in "$CC_OSSL" "$CC_GNUTLS"; do
  if [ ! -x "$bin" ]; then echo "# $(basename "$bin") not built (no such libcurl here): skipped"; continue; fi
  lib=$("$bin" "$url" "$T/cafile.pem" "" "$res" | awk '{print $1}')
  check "$lib: the folder hashed: it adds the lab's root (verified)" test "$(measure "$bin" "$T/cafile.pem" "$T/hashed")" = 0
  check "$lib: neither file nor folder has it: refused (60)" test "$(measure "$bin" "$T/cafile.pem" "$T/empty")" = 60
  # atscheck says: a CAPATH that does not exist is ignored, the CA file alone is used.
  check "$lib: a folder that does not exist: ignored, the file still trusted (not an error)" \
    test "$(measure "$bin" "$d/trust.pem" "$T/does-not-exist")" = 0
  check "$lib: a folder that does not exist adds nothing (60)" \
    test "$(measure "$bin" "$T/cafile.pem" "$T/does-not-exist")" = 60
  # atscheck says: without hash links OpenSSL's libcurl finds nothing there, GnuTLS's reads every file.
  case $lib in
    OpenSSL*) check "$lib: certificates without hash links are not found (60)" test "$(measure "$bin" "$T/cafile.pem" "$T/nohash")" = 60 ;;
    GnuTLS*) check "$lib: certificates without hash links are read all the same (0)" test "$(measure "$bin" "$T/cafile.pem" "$T/nohash")" = 0 ;;
  esac
done

# --- check with a config naming a loopback gateway: both probed, side by side. ---
serve_on gwport
check "a second look-alike (the gateway) is listening" test -n "$gwport"
C=$T/AlexaClientSDKConfig.json
cp "$ATS_SOURCE_DIR/tests/fixtures/sdk/AlexaClientSDKConfig.json" "$C"
cat > "$T/overlay.json" <<EOF
{
  // the lab's gateway, and the folder that holds the lab's root
  "avsGatewayManager": { "avsGateway": "https://localhost:$gwport" },
  "libcurlUtils": { "CURLOPT_CAPATH": "$T/hashed" }
}
EOF
CK=("$ATSCHECK" check --endpoint "$url" --resolve "$res" --resolve "localhost:$gwport:127.0.0.1"
    --lab-roots "$d/trust.pem" --timeout 5 --format json)
"${CK[@]}" --sdk-config "$C" --sdk-config "$T/overlay.json" > "$T/check.json" 2>"$T/check.err"
rc=$?
check "check with the config: not UNKNOWN, not CRITICAL (exit $rc)" test "$rc" -le 1
check "the gateway from the config, named with its key and file" \
  jqe --arg f "$T/overlay.json" --arg u "https://localhost:$gwport" \
    '.gateway.url == $u and .gateway.source == "sdk-config" and .gateway.key == "avsGatewayManager.avsGateway" and .gateway.file == $f' "$T/check.json"
check "both endpoints probed: the test endpoint and the gateway, each on its own port" \
  jqe --argjson p "$port" --argjson g "$gwport" '.probe.port == $p and .gateway.probe.port == $g
         and ([.probe.probes[].name] == ["h2","http/1.1"]) and ([.gateway.probe.probes[].name] == ["h2","http/1.1"])' "$T/check.json"
check "both verified through the config's CURLOPT_CAPATH, beside libcurl's CA file" \
  jqe --arg h "$T/hashed" '.probe.probes[0].verdict == "OK" and .gateway.probe.probes[0].verdict == "OK"
         and .probe.store.capath == $h and (.probe.store.cainfo | length > 0)' "$T/check.json"
check "the endpoints list says where each came from" \
  jqe '[.endpoints[] | .source] == ["endpoint-option", "sdk-config"]' "$T/check.json"

# The same config with a folder that is not there: libcurl's CA file alone, the lab root untrusted.
sed "s|$T/hashed|$T/not-there|" "$T/overlay.json" > "$T/overlay2.json"
expect_exit 2 "CAPATH not there: both probes fail verification, CRITICAL" "${CK[@]}" --sdk-config "$C" --sdk-config "$T/overlay2.json"
check "the gateway's probe failed, and the missing folder is named" \
  jqe '.gateway.probe.probes[0].verdict == "CRITICAL" and ([.problems[] | select(.cause == "sdk-capath-absent")] | length == 1)' "$T/out"
check "the probe trusted the CA file alone, as libcurl does" jqe '.probe.store.capath == null' "$T/out"

# With --endpoint and no gateway named, only the endpoint is probed (a lab never reaches out).
"$ATSCHECK" check --endpoint "$url" --resolve "$res" --lab-roots "$d/trust.pem" --cacert "$d/trust.pem" --timeout 5 --format json > "$T/lab.json"
check "no gateway named: not probed, and why" \
  jqe '.gateway.probe == null and (.gateway.probe_skipped | test("endpoint was named")) and .gateway.source == "sdk-default"' "$T/lab.json"
# --- A verified probe names the family its chain used; check says when that is not the one
# expected, or one the audit finds no store to anchor. The lab's roots carry the real names. ---
cat > "$T/ec.scn" <<'EOF'
preset ats
cert inter3 subject="/O=atscheck lab/CN=Lab EC Intermediate" key=ec:P-256 issuer=root3 ca pathlen=0
cert leaf3 subject=/CN=localhost dns=localhost issuer=inter3
server leaf3 inter3
trust root3
EOF
"$MKPKI" "$T/pki" "$ATS_SOURCE_DIR/tests/scenarios/good.scn" "$T/ec.scn" || fail "mkpki ec"
for sc in good ec; do
  "$ATSCHECK" serve --cert "$T/pki/$sc/server-cert.pem" --key "$T/pki/$sc/server.key" --chain "$T/pki/$sc/server-chain.pem" \
    --listen 127.0.0.1:0 --quiet >"$T/serve.$sc" 2>/dev/null &
  _pids+=($!)
done
for sc in good ec; do
  for _ in $(seq 1 100); do grep "listening on" "$T/serve.$sc" >/dev/null && break; sleep 0.05; done
done
pg=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.good")
pe=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/serve.ec")
# lab CMD PORT PKI OUT: CMD against the look-alike on PORT, trusting PKI's roots, JSON in $T/OUT.
lab() {
  "$ATSCHECK" "$1" --endpoint "https://localhost:$2/" --resolve "localhost:$2:127.0.0.1" --cacert "$T/pki/$3/trust.pem" \
    --lab-roots "$T/pki/$3/lab.pem" --timeout 5 --format json > "$T/$4"
}
lab probe "$pg" good fam-good.json
check "a verified probe names its family: Root CA 1's" \
  jqe '[.probes[].certificates.family] == ["Amazon Root CA 1 (RSA 2048)", "Amazon Root CA 1 (RSA 2048)"]' "$T/fam-good.json"
lab check "$pe" ec fam-ec.json
check "an endpoint serving Root CA 3's family: named by the probe" \
  jqe '.probe.probes[0].certificates.family == "Amazon Root CA 3 (EC P-256)"' "$T/fam-ec.json"
check "check says the endpoint served another family than expected" \
  jqe '[.problems[] | select(.cause == "endpoint-family")][0].message | test("Amazon Root CA 3 \\(EC P-256\\), not Amazon Root CA 1")' "$T/fam-ec.json"
check "check says the audit and the probe disagree" \
  jqe '[.problems[] | select(.cause == "audit-probe-disagree")] | length == 1' "$T/fam-ec.json"
lab check "$pg" good fam-good-check.json
check "the expected family: no endpoint-family finding" \
  jqe '[.problems[] | select(.cause == "endpoint-family")] | length == 0' "$T/fam-good-check.json"
# --- Secrets never reach a report: a gateway URL with user:password (probed), a proxy with them. ---
printf '{"authDelegate": {"clientSecret": "CANARY-s3cret", "refreshToken": "Atzr|CANARY-r3fresh"},\n "avsGatewayManager": {"avsGateway": "https://fielduser:CANARY-pw@localhost:%s"},\n "libcurlUtils": {"CURLOPT_CAPATH": "%s"}}\n' "$gwport" "$T/hashed" > "$T/leaky.json"
leak=0
for fmt in text json prometheus junit nagios; do
  "$ATSCHECK" check --endpoint "$url" --resolve "$res" --lab-roots "$d/trust.pem" --timeout 5 \
    --sdk-config "$C" --sdk-config "$T/leaky.json" --format $fmt >"$T/leak.out" 2>&1
  grep CANARY "$T/leak.out" >/dev/null && { leak=1; echo "    leaked ($fmt): $(grep -o '.\{20\}CANARY.\{10\}' "$T/leak.out" | head -1)"; }
  "$ATSCHECK" probe --endpoint "$url" --resolve "$res" --cacert "$d/trust.pem" --timeout 3 \
    --proxy "http://fielduser:CANARY-proxy-pw@127.0.0.1:1" --format $fmt >"$T/leak.out" 2>&1
  grep CANARY "$T/leak.out" >/dev/null && { leak=1; echo "    leaked by the proxy URL ($fmt): $(grep -o '.\{20\}CANARY.\{10\}' "$T/leak.out" | head -1)"; }
done
check "no secret, password or token in any format (the gateway probed, a proxy refused)" test $leak -eq 0
"$ATSCHECK" check --endpoint "$url" --resolve "$res" --lab-roots "$d/trust.pem" --timeout 5 \
  --sdk-config "$C" --sdk-config "$T/leaky.json" --format json > "$T/leak.json"
check "the gateway with userinfo was probed (not merely skipped), its URL's password redacted" \
  jqe --argjson g "$gwport" '.gateway.probe.port == $g and (.gateway.probe.endpoint | startswith("https://fielduser:***@localhost:"))' "$T/leak.json"
# --- --libcurl: probe and audit through another libcurl (Debian's GnuTLS one), and say which. ---
GSO=$( [ -x "$CC_GNUTLS" ] && ldd "$CC_GNUTLS" | awk '/libcurl-gnutls/ {print $3}')
if [ -n "$GSO" ]; then
  "$ATSCHECK" probe --libcurl "$GSO" --endpoint "$url" --resolve "$res" --cacert "$d/trust.pem" --timeout 5 --format json > "$T/gnutls.json"
  check "--libcurl: the probe ran through it, and says which file and TLS library" \
    jqe --arg f "$GSO" '.libcurl.chosen and (.libcurl.ssl | test("^GnuTLS")) and (.libcurl.file | endswith("libcurl-gnutls.so.4"))' "$T/gnutls.json"
  check "--libcurl GnuTLS: h2 verified by libcurl itself, said so (its chain not visible)" \
    jqe '.probes[0].verdict == "OK" and .probes[0].http.version == "2" and (.probes[0].message | test("libcurl.s own TLS library"))' "$T/gnutls.json"
  "$ATSCHECK" probe --libcurl "$GSO" --endpoint "$url" --resolve "$res" --cacert "$T/cafile.pem" --timeout 5 --format json > "$T/gnutls-bad.json"
  check "--libcurl GnuTLS: an untrusted chain is still CRITICAL untrusted" \
    jqe '.probes[0].verdict == "CRITICAL" and .probes[0].cause == "untrusted"' "$T/gnutls-bad.json"
  "$ATSCHECK" probe --endpoint "$url" --resolve "$res" --cacert "$d/trust.pem" --timeout 5 --format json > "$T/ossl.json"
  check "without --libcurl: the system's OpenSSL libcurl" jqe '(.libcurl.chosen | not) and (.libcurl.ssl | test("^OpenSSL"))' "$T/ossl.json"
  "$ATSCHECK" audit --libcurl "$GSO" --format json > "$T/gaudit.json"
  check "audit --libcurl: its CA defaults are the stores labelled libcurl's" \
    jqe '[.stores[].labels[]] | any(startswith("libcurl-"))' "$T/gaudit.json"
else
  echo "# no GnuTLS libcurl here: --libcurl with a second libcurl not tested"
fi
expect_exit 3 "--libcurl FILE that is not a libcurl" "$ATSCHECK" probe --libcurl /etc/hostname --endpoint "$url"
check "names the file" grep -q -- "--libcurl /etc/hostname" "$T/err"
finish
