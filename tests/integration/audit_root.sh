#!/usr/bin/env bash
# atscheck audit --root: an unbooted image with Debian's layout, some CAs deselected, absolute
# symlinks that must resolve inside the image, links that try to leave it, and an AVS SDK config.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

R="$T/image"
mkdir -p "$R/etc/ssl/certs" "$R/usr/share/ca-certificates/mozilla" "$R/usr/lib/ssl" "$R/opt/avs"
"$ATSCHECK" bundle export "$T" >/dev/null
declare -A deb=(
  [Amazon_Root_CA_1]=Amazon_Root_CA_1 [Amazon_Root_CA_2]=Amazon_Root_CA_2
  [Amazon_Root_CA_3]=Amazon_Root_CA_3 [Amazon_Root_CA_4]=Amazon_Root_CA_4
  [Starfield_Services_Root_Certificate_Authority_-_G2]=Starfield_Services_Root_Certificate_Authority_-_G2
  [Starfield_Class_2_CA]=Starfield_Class_2_CA)
for n in "${!deb[@]}"; do cp "$T/$n.pem" "$R/usr/share/ca-certificates/mozilla/$n.crt"; done
# Root CA 2 deselected with '!', Root CA 3 not listed at all.
printf '# comment\nmozilla/Amazon_Root_CA_1.crt\n!mozilla/Amazon_Root_CA_2.crt\nmozilla/Amazon_Root_CA_4.crt\nmozilla/Starfield_Services_Root_Certificate_Authority_-_G2.crt\nmozilla/Starfield_Class_2_CA.crt\n' \
  > "$R/etc/ca-certificates.conf"
: > "$R/etc/ssl/certs/ca-certificates.crt"
for n in Amazon_Root_CA_1 Amazon_Root_CA_4 Starfield_Services_Root_Certificate_Authority_-_G2 Starfield_Class_2_CA; do
  ln -s "/usr/share/ca-certificates/mozilla/$n.crt" "$R/etc/ssl/certs/$n.pem"   # absolute: inside R
  ln -s "$n.pem" "$R/etc/ssl/certs/$(openssl x509 -hash -noout -in "$T/$n.pem").0"
  cat "$T/$n.pem" >> "$R/etc/ssl/certs/ca-certificates.crt"
done
ln -s /etc/ssl/certs/ca-certificates.crt "$R/usr/lib/ssl/cert.pem"
ln -s /etc/ssl/certs "$R/usr/lib/ssl/certs"

expect_exit 1 "image with two CAs deselected: WARNING" "$ATSCHECK" audit --root "$R" --format json
cp "$T/out" "$T/image.json"
bundle='.stores[] | select(.path == "/etc/ssl/certs/ca-certificates.crt")'
check "bundle found through the image's own absolute link, labelled" \
  jq -e "$bundle | (.labels | index(\"libcurl-cainfo\")) and .certificates == 4" "$T/image.json"
check "Root CA 2 deselected (marked !)" \
  jq -e "$bundle | .cas[] | select(.name == \"Amazon Root CA 2\") | .status == \"deselected\"" "$T/image.json"
check "Root CA 3 deselected (not listed)" \
  jq -e "$bundle | .cas[] | select(.name == \"Amazon Root CA 3\") | .status == \"deselected\"" "$T/image.json"
check "Root CA 1 present" \
  jq -e "$bundle | .cas[] | select(.name == \"Amazon Root CA 1\") | .status == \"present\"" "$T/image.json"
check "Debian selection store says deselected with bang for CA 2" \
  jq -e '.stores[] | select(.kind == "debian-selection") | .cas[] | select(.name == "Amazon Root CA 2") | .deselected_with_bang' "$T/image.json"
check "the fix for a ! entry is --reselect, with --root" \
  jq -e --arg r "$R" '.problems[] | select(.ca == "Amazon Root CA 2") | .fix | test("--reselect") and test("--root")' "$T/image.json"
check "nothing from the host: no store path outside the image names host files" \
  jq -e '[.stores[].certificates] | max <= 4' "$T/image.json"

# CRLF line ends (an editor on another system): update-ca-certificates reads "NAME\r", finds no
# such file, and drops every CA on its next run. The selection must say so now.
cp "$R/etc/ca-certificates.conf" "$T/conf.lf"
sed -i 's/$/\r/' "$R/etc/ca-certificates.conf"
"$ATSCHECK" audit --root "$R" --format json > "$T/crlf.json"
check "CRLF conf: the Debian selection has nothing selected" \
  jq -e '.stores[] | select(.kind == "debian-selection") | [.cas[].status] | unique == ["deselected"]' "$T/crlf.json"
cp "$T/conf.lf" "$R/etc/ca-certificates.conf"

# A relative link with more '..' than the image is deep stops at the image's root, as on the
# booted device (and under chroot): it reads the image's file, never the host's. Loops are named.
ln -s ../../../../../../../../etc/ssl/certs/ca-certificates.crt "$R/etc/ssl/certs/deadbeef.0"
ln -s loop-b "$R/etc/ssl/certs/cafebabe.0"; ln -s cafebabe.0 "$R/etc/ssl/certs/loop-b"
expect_exit 1 "climbing and looping links: still audited" "$ATSCHECK" audit --root "$R" --capath /etc/ssl/certs --format json
check "a climbing link is not an escape: it resolves in the image" \
  jq -e '[.stores[0].entry_problems[].message] | all(test("escapes") | not)' "$T/out"
check "loop named" jq -e '[.stores[0].entry_problems[].message] | any(test("loop"))' "$T/out"
check "the host's certificates were not read" jq -e '.stores[0].certificates == 4' "$T/out"

# An AVS Device SDK config inside the image. The SDK never sets CURLOPT_CAINFO: it trusts
# libcurl's compiled-in CA file plus the config's CURLOPT_CAPATH, both as the image sees them.
mkdir -p "$R/opt/avs/certs"
cp "$T/Amazon_Root_CA_2.pem" "$R/opt/avs/certs/"
ln -s Amazon_Root_CA_2.pem "$R/opt/avs/certs/$(openssl x509 -hash -noout -in "$T/Amazon_Root_CA_2.pem").0"
printf '{\n  // the folder adds Root CA 2\n  "libcurlUtils": {"CURLOPT_CAPATH": "/opt/avs/certs"}\n}\n' > "$R/opt/avs/AlexaClientSDKConfig.json"
expect_exit 1 "sdk config in the image: its trust audited" "$ATSCHECK" audit --root "$R" --sdk-config /opt/avs/AlexaClientSDKConfig.json --format json
check "sdk trust: the image's libcurl CA file plus the folder" \
  jq -e '.sdk.trust.cainfo == "/etc/ssl/certs/ca-certificates.crt" and .sdk.trust.capath == "/opt/avs/certs" and .sdk.trust.capath_state == "added"' "$T/out"
check "sdk trust: the folder adds Root CA 2, only Root CA 3 is missing" \
  jq -e '.sdk.trust.capath_adds == ["Amazon Root CA 2"] and .sdk.trust.missing == ["Amazon Root CA 3"] and .sdk.trust.anchors_avs' "$T/out"
check "the folder read inside the image, not the host's" \
  jq -e '.stores[] | select(.labels | index("sdk-config-capath")) | .certificates == 1' "$T/out"
printf '{"libcurlUtils": {"CURLOPT_CAINFO": "/opt/avs/ca.pem"}}' > "$R/opt/avs/cainfo.json"
expect_exit 1 "sdk config with CURLOPT_CAINFO: WARNING" "$ATSCHECK" audit --root "$R" --sdk-config /opt/avs/cainfo.json --format json
check "CURLOPT_CAINFO: said to be ignored by the SDK" \
  jq -e '[.problems[] | select(.cause == "sdk-cainfo-ignored")] | length == 1' "$T/out"
printf '{"libcurlUtils": ' > "$R/opt/avs/broken.json"
expect_exit 3 "broken sdk config: UNKNOWN, named" "$ATSCHECK" audit --root "$R" --sdk-config /opt/avs/broken.json
check "broken sdk config named with its line" grep -q "broken.json: not valid JSON at line 1 column [0-9]" "$T/out"
expect_exit 3 "--root that does not exist" "$ATSCHECK" audit --root "$T/nope"
finish
