#!/usr/bin/env bash
# report merge with file names and device names that are not UTF-8 (issue 18): every device is
# listed, its name shown with the bad bytes as \xNN, and the JSON is valid.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
mkdir "$T/six" "$T/fleet"
"$ATSCHECK" bundle export "$T/six" >/dev/null
"$ATSCHECK" audit --bundle "$T/six/Amazon_Root_CA_1.pem" --device-id good --format json >"$T/fleet/good.json"
"$ATSCHECK" audit --bundle "$T/six/Amazon_Root_CA_1.pem" --device-id "$(printf 'bad\xff')" --format json \
  >"$T/fleet/$(printf 'bad\xff').json" 2>/dev/null
"$ATSCHECK" audit --bundle "$T/six/Amazon_Root_CA_1.pem" --device-id other --format json \
  >"$T/fleet/$(printf 'lat\xe9n1').json"
expect_exit 1 "merge of three devices" "$ATSCHECK" report merge "$T/fleet" --format json
check "the JSON is valid" jq -e . "$T/out"
check "three counted" jq -e '.devices_total // .total // ([.by_verdict[]?] | add) | . == 3' "$T/out"
check "three listed" jq -e '.devices | length == 3' "$T/out"
check "the Latin-1 file name shown with \\xE9" jq -e '[.devices[].file] | any(endswith("lat\\xe9n1.json"))' "$T/out"
check "the bad device name shown with \\xFF" jq -e '[.devices[].device] | any(. == "bad\\xff")' "$T/out"
finish
