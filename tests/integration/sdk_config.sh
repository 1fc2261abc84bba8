#!/usr/bin/env bash
# An AVS Device SDK config read as the SDK reads it, in an image (--root) whose libcurl CA file
# holds the CAs each case needs: the template's shape with comments everywhere, several files
# merged in order, the Auto SDK's nested form, the trust that is libcurl's CA file plus
# CURLOPT_CAPATH (and what the folder adds), verifyHostsAndPeers false, the gateway, stores
# judged by the key families AVS serves, secrets that never reach any output, and bad input:
# one line naming the file (and key), exit 3.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
# jqe passes on an empty file: every JSON check here needs a report that is there.
jqe() { [ -s "${@: -1}" ] && jq -e "$@"; }
FIX=$ATS_SOURCE_DIR/tests/fixtures/sdk/AlexaClientSDKConfig.json

mkdir -p "$T/ca" && "$ATSCHECK" bundle export "$T/ca" >/dev/null
R1=$T/ca/Amazon_Root_CA_1.pem R2=$T/ca/Amazon_Root_CA_2.pem R3=$T/ca/Amazon_Root_CA_3.pem
R4=$T/ca/Amazon_Root_CA_4.pem
SFG2=$T/ca/Starfield_Services_Root_Certificate_Authority_-_G2.pem SFC2=$T/ca/Starfield_Class_2_CA.pem

# image FILE...: a fresh image whose libcurl CA file (the path Debian's libcurl has compiled in)
# holds these CAs, with the SDK's config at /opt/avs.
CAFILE=$(jq -r '.sdk.trust.cainfo' <<<"$("$ATSCHECK" audit --sdk-config "$FIX" --format json)")
# Its OpenSSL defaults and the hashed folder hold the same CAs, as update-ca-certificates makes them.
image() {
  local f
  R=$T/img.$RANDOM
  mkdir -p "$R$(dirname "$CAFILE")" "$R/opt/avs" "$R/etc/ssl/certs" "$R/usr/lib/ssl"
  cat "$@" > "$R$CAFILE"
  for f in "$@"; do
    cp "$f" "$R/etc/ssl/certs/"
    ln -s "$(basename "$f")" "$R/etc/ssl/certs/$(openssl x509 -hash -noout -in "$f").0"
  done
  ln -s "$CAFILE" "$R/usr/lib/ssl/cert.pem"
  ln -s /etc/ssl/certs "$R/usr/lib/ssl/certs"
  cp "$FIX" "$R/opt/avs/AlexaClientSDKConfig.json"
}
# folder DIR FILE...: a hashed CA folder in the image.
folder() {
  local d=$R$1 f h; shift
  mkdir -p "$d"
  for f in "$@"; do
    cp "$f" "$d/"; h=$(openssl x509 -hash -noout -in "$f")
    ln -s "$(basename "$f")" "$d/$h.0"
  done
}
A=("$ATSCHECK" audit --format json)
cfg=/opt/avs/AlexaClientSDKConfig.json
check "the test knows libcurl's CA file" test -n "$CAFILE"

# --- The template, filled as genConfig.sh fills it: comments everywhere, no libcurlUtils. ---
image "$R1" "$R2" "$R3" "$R4" "$SFG2" "$SFC2"
expect_exit 0 "the SDK's template with its comments: read, OK (was: not valid JSON, UNKNOWN)" "${A[@]}" --root "$R" --sdk-config $cfg
check "no libcurlUtils: libcurl's own CA file and path, the SDK's default gateway" \
  jqe --arg f "$CAFILE" '.sdk.libcurl_utils == false and .sdk.trust.cainfo == $f and .sdk.trust.capath_from == "libcurl-default"
         and .sdk.gateway == {"url": "https://alexa.na.gateway.devices.a2z.com", "key": "default", "file": null, "valid": true}' "$T/out"
check "all four families anchored by their own roots" \
  jqe '[.sdk.trust.families[]] == ["root","root","root","root"] and .sdk.trust.anchors_avs' "$T/out"

# --- A store that cannot anchor what AVS serves is CRITICAL, and says why. ---
image "$R3" "$R4"
expect_exit 2 "only Root CA 3 and 4: CRITICAL" "${A[@]}" --root "$R" --sdk-config $cfg
check "the store: EC families only, AVS's RSA family not anchored" \
  jqe --arg f "$CAFILE" '.stores[] | select(.path == $f) | .anchors_avs == false and .connectable == false
         and .families["Amazon Root CA 3 (EC P-256)"] == "root" and .families["Amazon Root CA 1 (RSA 2048)"] == null' "$T/out"
check "the cause names the family AVS serves and installs its root" \
  jqe '[.problems[] | select(.cause == "cannot-anchor-avs")] | length >= 1 and all(.message | test("RSA 2048")) and all(.fix | test("--ca .Amazon Root CA 1."))' "$T/out"
expect_exit 2 "a bundle with only Root CA 3 and 4, audited alone: CRITICAL" "${A[@]}" --bundle "$R$CAFILE"
image "$SFC2"
expect_exit 1 "only Starfield Class 2: anchors every family through the cross-signs, WARNING" "${A[@]}" --root "$R" --sdk-config $cfg
check "families through the cross-signs" jqe '[.sdk.trust.families[]] | unique == ["starfield-cross-sign"]' "$T/out"

# --- CURLOPT_CAPATH adds to the CA file; several configs merged in order (the last one wins). ---
image "$R3" "$R4"
folder /opt/avs/certs "$R1"
printf '// first overlay\n{"libcurlUtils": {"CURLOPT_CAPATH": "/nowhere", "CURLOPT_INTERFACE": "eth0"}}\n' > "$R/opt/avs/one.json"
printf '{\n  /* second overlay: the folder that is there */\n  "libcurlUtils": {"CURLOPT_CAPATH": "/opt/avs/certs"}\n}\n' > "$R/opt/avs/two.json"
expect_exit 1 "file with Root CA 3+4, folder adds Root CA 1: connectable, WARNING" \
  "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/one.json --sdk-config /opt/avs/two.json
check "three configs merged in order, the last CAPATH taken" \
  jqe '.sdk.configs == ["/opt/avs/AlexaClientSDKConfig.json","/opt/avs/one.json","/opt/avs/two.json"]
         and .sdk.trust.capath == "/opt/avs/certs" and .sdk.trust.capath_state == "added"' "$T/out"
check "what the folder adds is named" \
  jqe '.sdk.trust.capath_adds == ["Amazon Root CA 1"] and .sdk.trust.anchors_avs and
         .sdk.trust.missing == ["Amazon Root CA 2","Starfield Services Root Certificate Authority - G2","Starfield Class 2 Certification Authority"]' "$T/out"
check "the union's verdict is the audit's: no CRITICAL from the file judged alone" \
  jqe '.sdk.verdict == "WARNING" and ([.problems[] | select(.severity == "CRITICAL")] | length == 0)' "$T/out"
expect_exit 2 "the same two overlays the other way round: the missing folder wins, CRITICAL" \
  "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/two.json --sdk-config /opt/avs/one.json
check "a CAPATH that does not exist: said, named by its file, libcurl's CA file alone judged" \
  jqe '[.problems[] | select(.cause == "sdk-capath-absent")][0] | (.message | test("one.json.*/nowhere does not exist.*ignores it")) and .severity == "WARNING"' "$T/out"
check "... and that file alone cannot anchor AVS" jqe '.sdk.trust.anchors_avs == false and .sdk.trust.capath_adds == []' "$T/out"

# A folder with the certificate but no hash link.
mkdir -p "$R/opt/avs/nohash" && cp "$R1" "$R/opt/avs/nohash/"
printf '{"libcurlUtils": {"CURLOPT_CAPATH": "/opt/avs/nohash"}}' > "$R/opt/avs/nohash.json"
expect_exit 2 "a folder without hash links adds nothing" "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/nohash.json
check "no hash links: said, with openssl rehash as the fix" \
  jqe '[.problems[] | select(.cause == "sdk-capath-no-hash-links")][0].fix == "openssl rehash /opt/avs/nohash"' "$T/out"

# --- verifyHostsAndPeers false: CRITICAL, naming the key and the file. ---
image "$R1" "$R2" "$R3" "$R4" "$SFG2" "$SFC2"
printf '{"libcurlUtils": {\n  // debug only\n  "verifyHostsAndPeers": false}}' > "$R/opt/avs/debug.json"
expect_exit 2 "verifyHostsAndPeers false: CRITICAL (was: OK)" "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/debug.json
check "names the key and the file, and the fix" \
  jqe '.sdk.verify_hosts_and_peers == false and ([.problems[] | select(.cause == "sdk-verify-off")][0] |
         (.message | test("/opt/avs/debug.json: libcurlUtils.verifyHostsAndPeers is false")) and (.fix | test("remove")))' "$T/out"
printf '{"libcurlUtils": {"verifyHostsAndPeers": true}}' > "$R/opt/avs/debug2.json"
expect_exit 0 "a later file setting it back to true: OK" "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/debug.json --sdk-config /opt/avs/debug2.json

# --- The Auto SDK's nested form; the gateway of newer and older SDKs. ---
folder /opt/aac/certs "$R1"
cat > "$R/opt/avs/aac.json" <<'EOF'
{
    "aace.alexa": {
        "avsDeviceSDK": {
            // the same keys, one level down
            "libcurlUtils": { "CURLOPT_CAPATH": "/opt/aac/certs" },
            "avsGatewayManager": { "avsGateway": "https://alexa.eu.gateway.devices.a2z.com" }
        }
    },
    "aace.vehicle": { "info": { "make": "Test" } }
}
EOF
expect_exit 0 "the Auto SDK's form: read one level down" "${A[@]}" --root "$R" --sdk-config /opt/avs/aac.json
check "nested keys taken: CAPATH and gateway, the file named" \
  jqe '.sdk.auto_sdk and .sdk.trust.capath == "/opt/aac/certs" and .sdk.gateway.key == "avsGatewayManager.avsGateway"
         and .sdk.gateway.url == "https://alexa.eu.gateway.devices.a2z.com" and .sdk.gateway.file == "/opt/avs/aac.json"' "$T/out"
printf '{"sampleApp": {"displayCardsSupported": true, "endpoint": "https://avs-alexa-fe.amazon.com"}}' > "$R/opt/avs/old.json"
expect_exit 0 "an older SDK's sampleApp.endpoint" "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/old.json
check "gateway from sampleApp.endpoint" \
  jqe '.sdk.gateway.key == "sampleApp.endpoint" and .sdk.gateway.url == "https://avs-alexa-fe.amazon.com"' "$T/out"
expect_exit 0 "check --offline: the config's gateway is the one named, from its file" \
  "$ATSCHECK" check --offline --root "$R" --sdk-config /opt/avs/aac.json --format json
check "check names the gateway and where it came from" \
  jqe '.gateway.url == "https://alexa.eu.gateway.devices.a2z.com" and .gateway.source == "sdk-config" and .gateway.region == "eu"
         and (.endpoints | map(.role) == ["ats-test-endpoint","avs-gateway"])' "$T/out"
expect_exit 0 "check --offline --region fe with a config naming no gateway" \
  "$ATSCHECK" check --offline --root "$R" --sdk-config $cfg --region fe --format json
check "--region picks the gateway" jqe '.gateway.url == "https://alexa.fe.gateway.devices.a2z.com" and .gateway.source == "region"' "$T/out"
expect_exit 3 "--region xx: UNKNOWN" "$ATSCHECK" check --offline --region xx
check "names the region" grep -q "region xx" "$T/err"

# --- Secrets never reach any output, in any format, nor an error message. ---
cat > "$R/opt/avs/secrets.json" <<'EOF'
{ "authDelegate": { "clientSecret": "CANARY-client-secret-7f3a", "refreshToken": "Atzr|CANARY-refresh-9b1c" },
  "avsGatewayManager": { "avsGateway": "https://fielduser:CANARY-pw-55@alexa.na.gateway.devices.a2z.com" } }
EOF
printf '{"authDelegate": {"clientSecret": CANARY-unquoted-secret}}' > "$R/opt/avs/leaky-broken.json"
leak=0
for fmt in text json prometheus junit nagios; do
  "$ATSCHECK" check --offline --root "$R" --sdk-config $cfg --sdk-config /opt/avs/secrets.json --format $fmt >"$T/s.out" 2>&1
  grep -q CANARY "$T/s.out" && { leak=1; echo "    leaked in $fmt: $(grep -o '.\{20\}CANARY.\{20\}' "$T/s.out" | head -1)"; }
  "$ATSCHECK" audit --root "$R" --sdk-config /opt/avs/leaky-broken.json --format $fmt >"$T/s.out" 2>&1
  grep -q CANARY "$T/s.out" && { leak=1; echo "    leaked in $fmt (broken file): $(grep -o '.\{20\}CANARY.\{20\}' "$T/s.out" | head -1)"; }
done
check "no secret in any format or message" test $leak -eq 0
"$ATSCHECK" check --offline --root "$R" --sdk-config /opt/avs/secrets.json --format json > "$T/s.json"
check "the gateway's password redacted, the user and host kept" \
  jqe '.gateway.url == "https://fielduser:***@alexa.na.gateway.devices.a2z.com"' "$T/s.json"

# --- Bad input: one line naming the file (and the key), exit 3; the rest still reported. ---
printf '{\n  "libcurlUtils": {\n    "CURLOPT_CAPATH": "/x"\n  }\n  "missing": "comma"\n}\n' > "$R/opt/avs/bad.json"
expect_exit 3 "not JSON even with comments: UNKNOWN" "${A[@]}" --root "$R" --sdk-config $cfg --sdk-config /opt/avs/bad.json
check "one line on stderr naming the file and the line" grep -qx "atscheck: /opt/avs/bad.json: not valid JSON at line 5 column [0-9]* (comments allowed): .*" "$T/err"
check "the rest still reported: the stores audited, the other config read" \
  jqe '(.stores | length > 0) and .sdk.configs == ["/opt/avs/AlexaClientSDKConfig.json","/opt/avs/bad.json"]' "$T/out"
printf '{\n\n  "a": 1 /* never closed\n}\n' > "$R/opt/avs/open.json"
expect_exit 3 "an unterminated comment" "${A[@]}" --root "$R" --sdk-config /opt/avs/open.json
check "named with the line it starts on" grep -q "open.json: line 3: a /\* comment that never ends" "$T/err"
mkdir -p "$R/opt/avs/adir"
expect_exit 3 "a config that is a directory" "${A[@]}" --root "$R" --sdk-config /opt/avs/adir
check "says so" grep -q "/opt/avs/adir: is a directory" "$T/err"
{ printf '{"pad": "'; head -c 5000000 /dev/zero | tr '\0' a; printf '"}'; } > "$R/opt/avs/big.json"
expect_exit 3 "a 5 MB config" "${A[@]}" --root "$R" --sdk-config /opt/avs/big.json
check "too large, named" grep -q "big.json: too large" "$T/err"
truncate -s 1G "$R/opt/avs/huge.json"
expect_exit 3 "a 1 GB config: refused before it is read" "${A[@]}" --root "$R" --sdk-config /opt/avs/huge.json
check "too large, named" grep -q "huge.json: too large" "$T/err"
printf '{"avsGatewayManager": {"avsGateway": "http://alexa.na.gateway.devices.a2z.com"}}' > "$R/opt/avs/http.json"
expect_exit 3 "a gateway that is not https" "${A[@]}" --root "$R" --sdk-config /opt/avs/http.json
check "names the file and the key" grep -q "http.json: avsGatewayManager.avsGateway: must be https" "$T/err"
printf '{"sampleApp": {"endpoint": "avs-alexa-na.amazon.com"}}' > "$R/opt/avs/nourl.json"
expect_exit 3 "a gateway that is not a URL" "${A[@]}" --root "$R" --sdk-config /opt/avs/nourl.json
check "names the file and the key" grep -q "nourl.json: sampleApp.endpoint: not a URL" "$T/err"
expect_exit 3 "check with that config: UNKNOWN, the gateway not probed" "$ATSCHECK" check --offline --root "$R" --sdk-config /opt/avs/nourl.json --format json
check "why the gateway was not probed" jqe '.gateway.probe == null and (.gateway.probe_skipped | test("not an https URL"))' "$T/out"
printf '{"libcurlUtils": {"CURLOPT_CAPATH": "%s"}}' "$CAFILE" > "$R/opt/avs/capfile.json"
expect_exit 3 "a CAPATH that is a file" "${A[@]}" --root "$R" --sdk-config /opt/avs/capfile.json
check "names the file and the key" grep -q "capfile.json: libcurlUtils.CURLOPT_CAPATH .* is a file" "$T/err"
printf '{"libcurlUtils": {"CURLOPT_CAPATH": ["/etc/ssl/certs"]}}' > "$R/opt/avs/capkind.json"
expect_exit 3 "a CAPATH that is not a string" "${A[@]}" --root "$R" --sdk-config /opt/avs/capkind.json
expect_exit 3 "a config that does not exist" "${A[@]}" --root "$R" --sdk-config /opt/avs/nope.json
check "names it" grep -q "/opt/avs/nope.json" "$T/err"
many=(); for i in $(seq 1 33); do many+=(--sdk-config $cfg); done
expect_exit 3 "33 configs: more than the bound of 32" "${A[@]}" --root "$R" "${many[@]}"
check "says the bound" grep -q "give 1 to 32" "$T/err"
finish
