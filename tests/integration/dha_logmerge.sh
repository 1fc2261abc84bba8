#!/usr/bin/env bash
# `atscheck dha log merge`: several stations' control logs folded into one upload; a device id
# twice, a public key twice (across stations), a line that is not its certificate's, a torn line:
# refused, each named with its file and line; the same log given twice is folded, not refused.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
cd "$T" || exit 1
cp "$ATS_SOURCE_DIR"/tests/fixtures/dha/{dak.conf,device.conf,ca.ext} .
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout root.key \
  -subj "/CN=Test Device Attestation Root" -days 3650 -out root.pem -config ca.ext -extensions root 2>/dev/null
mkdir dakdir && "$ATSCHECK" dak csr --config dak.conf --out dakdir >/dev/null
openssl x509 -req -in dakdir/dak.csr -CA root.pem -CAkey root.key -set_serial 7 -days 3650 \
  -extfile ca.ext -extensions dak -out dak.pem 2>/dev/null
cp dakdir/dak_private_key.pem dak.key && chmod 600 dak.key
dak=(--config device.conf --dak-cert dak.pem --dak-key dak.key)
prov() { "$ATSCHECK" dha provision "${dak[@]}" --barcode none "$@" >/dev/null; }

prov --count 50 --id-prefix A --out stA
prov --count 40 --id-prefix B --out stB
expect_exit 0 "two clean stations merge" "$ATSCHECK" dha log merge stA stB/control-log.csv --out up1 --format json
check "90 merged, nothing refused, 90 checked against their certificates" \
  jq -e '.merged == 90 and .refused_lines == 0 and .checked_against_certificates == 90' "$T/out"
check "the upload CSV: the header, then the stations' lines" \
  cmp <(tail -n +2 up1/control-log.csv | sort) <(tail -qn +2 stA/control-log.csv stB/control-log.csv | sort)
check "the upload's header is the stations'" cmp <(head -1 up1/control-log.csv) <(head -1 stA/control-log.csv)
check "the JSON lines: the same 90 records as the stations'" \
  cmp <(sort up1/control-log.jsonl) <(cat stA/control-log.jsonl stB/control-log.jsonl | sort)
expect_exit 3 "never over an existing upload" "$ATSCHECK" dha log merge stA --out up1
check "says so" grep -q "up1: already holds a control log" "$T/err"

# A cloned secure element: A-000001's CSR signed again at station C under another id.
mkdir csrs && cp stA/A-000001/device.csr csrs/C-clone.csr
"$ATSCHECK" dha sign "${dak[@]}" --dir csrs --out stC >/dev/null
# One device id at two stations: B-000002 made again at station D.
echo B-000002 > d-ids.txt && prov --ids d-ids.txt --out stD
# Station E: lines that are not their certificates' (a fingerprint, a key).
prov --count 3 --id-prefix E --out stE
other=$(openssl ecparam -name prime256v1 -genkey 2>/dev/null | openssl pkey -pubout -outform DER | base64 -w0)
awk -F, -v OFS=, -v k="$other" '$1=="E-000002"{$4="00000000000000000000000000000000000000000000000000000000000000AB"} $1=="E-000003"{$2=k} {print}' \
  stE/control-log.csv > e.csv && cat e.csv > stE/control-log.csv
# Station F: a torn last line.
prov --count 2 --id-prefix F --out stF
printf 'F-000009,MFkw' >> stF/control-log.csv

expect_exit 2 "merge with refusals: CRITICAL" "$ATSCHECK" dha log merge stA stB stC stD stE stF stA --out up2 --format json
cp "$T/out" m.json
reason() { jq -e --arg id "$1" --arg re "$2" '[.refused[] | select(.device_id == $id) | .reason | test($re)] | length >= 1 and all' m.json; }
check "the cloned key: refused at both stations" \
  bash -c "jq -e '[.refused[] | select(.device_id == \"A-000001\" or .device_id == \"C-clone\")] | length == 2' m.json"
check "the cloned key: says so" reason C-clone "cloned"
check "the id twice: refused at both stations" reason B-000002 "device id"
check "a fingerprint not its certificate's" reason E-000002 "fingerprint"
check "a key not its certificate's" reason E-000003 "dha_public_key"
check "the torn line, named by file and line" \
  jq -e '.refused[] | select(.file == "stF/control-log.csv" and .line == 4) | .reason | test("torn")' m.json
check "stA given twice: its 50 lines folded, not refused" jq -e '.folded_identical == 50' m.json
check "7 refused; 49 + 39 + 0 + 0 + 1 + 2 merged" jq -e '.refused_lines == 7 and .merged == 91' m.json
check "none of the refused ids in the upload" \
  bash -c '! grep -E "^(A-000001|C-clone|B-000002|E-000002|E-000003|F-000009)," up2/control-log.csv'
check "CSV and JSON lines agree" \
  bash -c 'test "$(tail -n +2 up2/control-log.csv | wc -l)" -eq 91 && test "$(wc -l < up2/control-log.jsonl)" -eq 91'
check "each refusal is a CRITICAL problem naming its file and line" \
  jq -e '[.problems[] | select(.severity == "CRITICAL")] | length == 7 and any(.message | test("stE/control-log.csv: line 3: E-000002"))' m.json
check "per input: lines, merged, refused" \
  jq -e '.inputs[0].merged == 49 and .inputs[0].refused == 1 and .inputs[6].folded == 50' m.json
check "no temporary file left" test -z "$(find up2 -name '.*tmp')"
expect_exit 3 "a missing log: one line naming it" "$ATSCHECK" dha log merge stA nope.csv --out up3
check "names nope.csv" grep -q "nope.csv" "$T/err"
check "and wrote no upload" test ! -e up3/control-log.csv
expect_exit 3 "log without merge: usage" "$ATSCHECK" dha log
finish
