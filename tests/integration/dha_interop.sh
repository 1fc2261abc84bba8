#!/usr/bin/env bash
# Device certificates, interop both ways with the documented openssl command lines:
# - what `openssl req` / `openssl x509 -req` write, `atscheck dha verify` accepts;
# - what `atscheck dak csr` and `atscheck dha provision` write, openssl accepts (req -verify,
#   x509 -text, verify -CAfile), and the control-log key is byte-identical to the pipeline's;
# - the certificate atscheck signs is the one `openssl x509 -req` signs for the same CSR and serial;
# - broken chains, keys and files, each made here, are told apart with the right check and exit.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
cd "$T" || exit 1

# --- A test PKI: an Amazon-like root, and a DAK it signs from atscheck's own CSR. ---
cp "$ATS_SOURCE_DIR"/tests/fixtures/dha/{dak.conf,device.conf,ca.ext} .   # the configs, as in the documented procedure
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout root.key \
  -subj "/CN=Test Device Attestation Root" -days 3650 -out root.pem -config ca.ext -extensions root 2>/dev/null
mkdir dakdir
expect_exit 0 "dak csr makes the DAK key and CSR" "$ATSCHECK" dak csr --config dak.conf --out dakdir
check "DAK key is 0600" test "$(stat -c %a dakdir/dak_private_key.pem)" = 600
check "openssl req -verify accepts our DAK CSR" openssl req -in dakdir/dak.csr -verify -noout
check "DAK CSR subject from dak.conf" \
  bash -c "grep -q 'CN = Example Speaker DAK' <<<\"\$(openssl req -in dakdir/dak.csr -noout -subject)\""
check "openssl reads our DAK key" openssl pkey -in dakdir/dak_private_key.pem -noout
sum_before=$(sha256sum dakdir/dak_private_key.pem)
expect_exit 3 "dak csr again: an existing key is never replaced" "$ATSCHECK" dak csr --config dak.conf --out dakdir
check "the message says so" grep -q "never replaced" "$T/err"
check "the key is unchanged" test "$sum_before" = "$(sha256sum dakdir/dak_private_key.pem)"
openssl x509 -req -in dakdir/dak.csr -CA root.pem -CAkey root.key -set_serial 7 -days 3650 \
  -extfile ca.ext -extensions dak -out dak-certificate.pem 2>/dev/null
cp dakdir/dak_private_key.pem dak_private_key.pem
chmod 600 dak_private_key.pem

# A second, unrelated DAK (for "another DAK signed it").
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout other.key \
  -subj "/C=US/O=Example Devices Inc./CN=Example Speaker DAK" -days 3650 -out other-dak.pem \
  -config ca.ext -extensions dak 2>/dev/null

# --- The documented pipeline, verbatim (one device). ---
mkdir pipe && (
  cd pipe
  openssl ecparam -name prime256v1 > dak-params.pem
  openssl req -new -nodes -config ../device.conf -newkey ec:dak-params.pem -keyout private_key.pem -out device.csr 2>/dev/null
  openssl x509 -req -in device.csr -extfile ../device.conf -extensions req_ext -CA ../dak-certificate.pem \
    -CAkey ../dak_private_key.pem -days 1825 -out device-certificate.pem -outform PEM -CAcreateserial -sha256 2>/dev/null
  cat device-certificate.pem ../dak-certificate.pem > certificate.pem
  openssl x509 -in device-certificate.pem -pubkey -noout | openssl enc -base64 -d | openssl enc -base64 \
    > dha-control-log-public-key.txt
)
full=(--key pipe/private_key.pem --control-log-key pipe/dha-control-log-public-key.txt
      --config device.conf --anchor root.pem)
expect_exit 0 "dha verify accepts the openssl pipeline's device, every check" \
  "$ATSCHECK" dha verify pipe/certificate.pem "${full[@]}" --format json
check "every check passed, each named" jq -e '([.checks[].status] | unique) == ["pass"]' "$T/out"
check "15 named checks" jq -e '[.checks[].name] | length == 15 and (index("control-log-key") != null)' "$T/out"
# The serial is random (159 bits: 19 or fewer bytes one run in 128), so compared with openssl's.
pipe_serial=$(openssl x509 -in pipe/device-certificate.pem -noout -serial | sed 's/^serial=//')
check "facts: serial (as openssl x509 -serial prints it) and subject" \
  jq -e --arg s "$pipe_serial" '(.device_certificate.serial | ascii_upcase) == ($s | ascii_upcase) and ($s | length) >= 2 and (.device_certificate.subject | test("Example Speaker DHA"))' "$T/out"
expect_exit 0 "text report" "$ATSCHECK" dha verify pipe/certificate.pem "${full[@]}"
check "text names the checks with pass" grep -q "pass  signature" "$T/out"

# --- Provision a batch, then hand it to openssl. ---
expect_exit 0 "provision 40 devices" "$ATSCHECK" dha provision --config device.conf \
  --dak-cert dak-certificate.pem --dak-key dak_private_key.pem --count 40 --out batch --jobs 2 --format json
check "report: 40 made" jq -e '.devices.made == 40 and .devices.requested == 40' "$T/out"
devs=(batch/*-0000??)
check "40 device folders" test "${#devs[@]}" -eq 40
d=${devs[0]}
check "private_key.pem is 0600" test "$(stat -c %a "$d/private_key.pem")" = 600
for f in private_key.pem device.csr device-certificate.pem certificate.pem dha-control-log-public-key.txt device-id.txt barcode.png; do
  check "$f is there" test -s "$d/$f"
done
check "openssl x509 -text reads the device certificate" openssl x509 -in "$d/device-certificate.pem" -noout -text
check "openssl req -verify accepts device.csr" openssl req -in "$d/device.csr" -verify -noout
check "openssl verify -CAfile root -untrusted dak: OK" \
  openssl verify -CAfile root.pem -untrusted dak-certificate.pem "$d/device-certificate.pem"
check "openssl verify -partial_chain -CAfile dak: OK" \
  openssl verify -partial_chain -CAfile dak-certificate.pem "$d/device-certificate.pem"
all_ok=1
for x in "${devs[@]}"; do
  openssl verify -CAfile root.pem -untrusted dak-certificate.pem "$x/device-certificate.pem" >/dev/null 2>&1 || all_ok=0
done
check "openssl verify accepts all 40" test $all_ok = 1
check "certificate.pem = device-certificate.pem + dak-certificate.pem, as cat makes it" \
  cmp "$d/certificate.pem" <(cat "$d/device-certificate.pem" dak-certificate.pem)
openssl x509 -in "$d/device-certificate.pem" -pubkey -noout | openssl enc -base64 -d | openssl enc -base64 > pipeline-key.txt
check "control-log key byte-identical to the openssl pipeline's" cmp pipeline-key.txt "$d/dha-control-log-public-key.txt"
check "private key matches the certificate (openssl)" \
  cmp <(openssl pkey -in "$d/private_key.pem" -pubout) <(openssl x509 -in "$d/device-certificate.pem" -noout -pubkey)
check "1825 days, sha256, the DAK as issuer" bash -c "
  grep -q 'ecdsa-with-SHA256' <<<\"\$(openssl x509 -in '$d/device-certificate.pem' -noout -text)\" &&
  test \$(( \$(date -d \"\$(openssl x509 -in '$d/device-certificate.pem' -noout -enddate | cut -d= -f2)\" +%s) -
            \$(date -d \"\$(openssl x509 -in '$d/device-certificate.pem' -noout -startdate | cut -d= -f2)\" +%s) )) -eq $((1825 * 86400))"
# The certificate atscheck signed is the one openssl x509 -req signs for its CSR and serial
# (the dates apart: they are the moment of signing).
serial=$(openssl x509 -in "$d/device-certificate.pem" -noout -serial | cut -d= -f2)
openssl x509 -req -in "$d/device.csr" -extfile device.conf -extensions req_ext -CA dak-certificate.pem \
  -CAkey dak_private_key.pem -days 1825 -set_serial "0x$serial" -sha256 -out ref.pem 2>/dev/null
strip() { openssl asn1parse -in "$1" | sed -n '1,/ecdsa-with-SHA256/!p' | grep -v -e UTCTIME -e GENERALIZEDTIME | head -n -1 | cut -c20-; }
check "same TBS as openssl x509 -req for the same CSR and serial (dates apart)" \
  cmp <(strip ref.pem) <(strip "$d/device-certificate.pem")
check "and the same subject and extensions text" \
  cmp <(openssl x509 -in ref.pem -noout -text | sed -n '/Subject:/,/Signature Algorithm/p' ) \
      <(openssl x509 -in "$d/device-certificate.pem" -noout -text | sed -n '/Subject:/,/Signature Algorithm/p')

# Control log: one line per device, as CSV and JSON lines.
check "CSV: header + 40 lines" test "$(wc -l < batch/control-log.csv)" -eq 41
check "JSON lines: 40 records with all fields" \
  bash -c "jq -se 'length == 40 and all(.[]; .device_id and .dha_public_key and (.serial|length)==32 and (.sha256_fingerprint|length)==64 and .time)' batch/control-log.jsonl"
key_line=$(grep "^$(basename "$d")," batch/control-log.csv | cut -d, -f2)
check "CSV key = the control-log file's key" test "$key_line" = "$(tr -d '\n' < "$d/dha-control-log-public-key.txt")"
fp=$(openssl x509 -in "$d/device-certificate.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)
check "CSV fingerprint = openssl's SHA-256 fingerprint" grep -q ",$fp," batch/control-log.csv
check "serials are unique" test "$(cut -d, -f3 batch/control-log.csv | sort | uniq -d | wc -l)" -eq 0

# The barcode reads back as the device id.
if command -v zbarimg >/dev/null; then
  check "barcode.png decodes to the device id" \
    test "$(zbarimg -q --raw "$d/barcode.png" 2>/dev/null)" = "$(basename "$d")"
fi
printf 'SVG-1\n' > svg-ids.txt
"$ATSCHECK" dha provision --config device.conf --dak-cert dak-certificate.pem --dak-key dak_private_key.pem \
  --ids svg-ids.txt --out svgbatch --barcode svg >/dev/null
check "--barcode svg writes a well-formed SVG naming the id" \
  bash -c "xmllint --noout svgbatch/SVG-1/barcode.svg 2>/dev/null || grep -q '<svg' svgbatch/SVG-1/barcode.svg; grep -q 'SVG-1</text>' svgbatch/SVG-1/barcode.svg"

# dha verify --dir over the batch: every device OK, with its key and control-log key.
expect_exit 0 "verify --dir: 40 devices OK" "$ATSCHECK" dha verify --dir batch --config device.conf \
  --anchor root.pem --format json
check "one result per device, summary" jq -e '.summary.devices == 40 and .summary.ok == 40 and (.devices|length) == 40' "$T/out"

# --- Broken cases, made here. ---
cat dak-certificate.pem pipe/device-certificate.pem > reversed.pem
expect_exit 2 "reversed chain: CRITICAL" "$ATSCHECK" dha verify reversed.pem
check "says reversed, and how to fix it" bash -c "grep -q 'reversed' '$T/out' && grep -q 'cat device-certificate.pem dak-certificate.pem' '$T/out'"
cp pipe/device-certificate.pem one.pem
expect_exit 2 "one certificate: CRITICAL" "$ATSCHECK" dha verify one.pem
check "says one certificate" grep -q "one certificate" "$T/out"
cat pipe/device-certificate.pem other-dak.pem > otherdak.pem
expect_exit 2 "another DAK: CRITICAL" "$ATSCHECK" dha verify otherdak.pem --format json
check "signature check fails" jq -e '.checks[] | select(.name=="signature") | .status == "fail"' "$T/out"
check "key identifiers disagree" jq -e '.checks[] | select(.name=="key-identifiers") | .status == "fail"' "$T/out"
expect_exit 2 "wrong private key: CRITICAL" "$ATSCHECK" dha verify pipe/certificate.pem --key "$d/private_key.pem" --format json
check "private-key check fails" jq -e '.checks[] | select(.name=="private-key") | .status == "fail"' "$T/out"
expect_exit 2 "wrong control-log key: CRITICAL" "$ATSCHECK" dha verify pipe/certificate.pem \
  --control-log-key "$d/dha-control-log-public-key.txt" --format json
check "control-log-key check fails" jq -e '.checks[] | select(.name=="control-log-key") | .status == "fail"' "$T/out"
tr -d '\n' < pipe/dha-control-log-public-key.txt > oneline.txt
expect_exit 0 "control-log key on one line (any wrapping) matches" "$ATSCHECK" dha verify pipe/certificate.pem --control-log-key oneline.txt
expect_exit 2 "expired at --at 2040: CRITICAL" "$ATSCHECK" dha verify pipe/certificate.pem --at 2040-01-01 --format json
check "validity check fails with the date" jq -e '.checks[] | select(.name=="validity") | (.status == "fail" and (.message | test("expired on")))' "$T/out"
expect_exit 2 "before notBefore: CRITICAL" "$ATSCHECK" dha verify pipe/certificate.pem --at 2001-01-01
openssl req -new -nodes -newkey rsa:2048 -keyout rsa.key -subj "/CN=RSA device" -out rsa.csr 2>/dev/null
openssl x509 -req -in rsa.csr -CA dak-certificate.pem -CAkey dak_private_key.pem -days 1825 -sha256 \
  -extfile device.conf -extensions req_ext -out rsa-dev.pem 2>/dev/null
cat rsa-dev.pem dak-certificate.pem > rsa-chain.pem
expect_exit 2 "RSA device key: CRITICAL" "$ATSCHECK" dha verify rsa-chain.pem --key rsa.key --format json
check "device-key check fails naming RSA" jq -e '.checks[] | select(.name=="device-key") | (.status == "fail" and (.message | test("RSA")))' "$T/out"
check "the RSA key is not taken for a match" jq -e '.checks[] | select(.name=="private-key") | .status != "pass"' "$T/out"
openssl x509 -req -in pipe/device.csr -CA dak-certificate.pem -CAkey dak_private_key.pem -days 30 -sha256 \
  -extfile device.conf -extensions req_ext -out short.pem 2>/dev/null
cat short.pem dak-certificate.pem > short-chain.pem
expect_exit 1 "30-day lifetime: WARNING" "$ATSCHECK" dha verify short-chain.pem
expect_exit 2 "not the subject device.conf asks for: CRITICAL" "$ATSCHECK" dha verify rsa-chain.pem --config device.conf --format json
check "subject check fails" jq -e '.checks[] | select(.name=="subject") | .status == "fail"' "$T/out"
expect_exit 2 "DAK not under the anchor: CRITICAL" "$ATSCHECK" dha verify otherdak.pem --anchor root.pem --format json
check "anchor check fails" jq -e '.checks[] | select(.name=="anchor") | .status == "fail"' "$T/out"
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout leaf-dak.key \
  -subj "/CN=Not a CA DAK" -days 3650 -out leaf-dak.pem -addext basicConstraints=CA:FALSE 2>/dev/null
openssl x509 -req -in pipe/device.csr -CA leaf-dak.pem -CAkey leaf-dak.key -days 1825 -sha256 \
  -extfile device.conf -extensions req_ext -out leaf-signed.pem 2>/dev/null
cat leaf-signed.pem leaf-dak.pem > leaf-chain.pem
expect_exit 1 "a DAK that is not a CA: WARNING" "$ATSCHECK" dha verify leaf-chain.pem --format json
check "dak-can-sign warns, saying why" jq -e '.checks[] | select(.name=="dak-can-sign") | (.status == "warn" and (.message | test("CA:TRUE")))' "$T/out"
head -c 900 pipe/certificate.pem > truncated.pem
expect_exit 3 "truncated file: UNKNOWN" "$ATSCHECK" dha verify truncated.pem
check "names the file and the fault" grep -q "truncated.pem: .*truncated" "$T/err"
head -c 3000 /dev/urandom > noise.pem
expect_exit 3 "noise: UNKNOWN" "$ATSCHECK" dha verify noise.pem
check "names the file" grep -q "noise.pem" "$T/err"
expect_exit 3 "missing file: UNKNOWN" "$ATSCHECK" dha verify nope.pem
expect_exit 3 "a directory: UNKNOWN" "$ATSCHECK" dha verify batch
expect_exit 3 "unreadable device.conf: UNKNOWN" "$ATSCHECK" dha verify pipe/certificate.pem --config nope.conf
check "names device.conf" grep -q "nope.conf" "$T/err"

# --dir with broken devices among good ones: one result each, CRITICAL overall.
mkdir -p tree/good tree/rev tree/trunc tree/.tmp-x
cp pipe/certificate.pem tree/good/; cp reversed.pem tree/rev/certificate.pem; cp truncated.pem tree/trunc/certificate.pem
cp reversed.pem tree/.tmp-x/certificate.pem
expect_exit 2 "--dir with a reversed and a truncated device: CRITICAL" "$ATSCHECK" dha verify --dir tree --format json
check "3 devices (a .tmp- folder being made is skipped)" jq -e '.summary.devices == 3 and .summary.ok == 1 and .summary.critical == 1 and .summary.unreadable == 1' "$T/out"
check "the reversed one is named" jq -e '[.problems[].message] | any(test("tree/rev/certificate.pem: chain"))' "$T/out"
# The root's own device, one a level down and one three levels down: all found, in path order
# (the root's folders are walked by the worker threads; the report is sorted whatever the order).
mkdir -p nest/l1/l2/dev nest/zz
cp pipe/certificate.pem nest/; cp pipe/certificate.pem nest/l1/; cp pipe/certificate.pem nest/l1/l2/dev/
cp pipe/certificate.pem nest/zz/
for j in 1 2 4; do
  expect_exit 2 "--dir of a nested tree (one certificate four times: a shared serial), $j threads" "$ATSCHECK" dha verify --dir nest --jobs $j --format json
  check "every device found, in path order ($j threads)" jq -e '[.devices[].file] == ["nest/certificate.pem", "nest/l1/certificate.pem", "nest/l1/l2/dev/certificate.pem", "nest/zz/certificate.pem"]' "$T/out"
done
# Files larger than the walk's read buffers (8 KiB): text before the certificates, a key file
# with a long comment. Read whole the other way, the same verdict.
mkdir -p padded/dev
{ head -c 12000 /dev/zero | tr '\0' 'x' | fold -w 64; echo; cat "${devs[0]}/certificate.pem"; } > padded/dev/certificate.pem
{ head -c 9000 /dev/zero | tr '\0' '#' | fold -w 64; echo; cat "${devs[0]}/private_key.pem"; } > padded/dev/private_key.pem
expect_exit 0 "--dir with a 12 KB certificate.pem and a 9 KB key file: OK" "$ATSCHECK" dha verify --dir padded --format json
check "the key was checked, and matched" jq -e '.summary.ok == 1' "$T/out"
cp "${devs[1]}/private_key.pem" padded/dev/private_key.pem
expect_exit 2 "... and another device's key beside it: CRITICAL" "$ATSCHECK" dha verify --dir padded --format json
check "named: private-key" jq -e '[.problems[].message] | any(test("private-key"))' "$T/out"
expect_exit 3 "--dir of nothing: UNKNOWN" "$ATSCHECK" dha verify --dir dakdir
expect_exit 3 "verify with no file: usage" "$ATSCHECK" dha verify
expect_exit 3 "unknown subcommand" "$ATSCHECK" dha frobnicate
expect_exit 0 "--help" "$ATSCHECK" dha --help
finish
