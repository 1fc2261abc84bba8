#!/usr/bin/env bash
# `atscheck dha sign`: CSRs made on the device, signed by the DAK as the documented
# `openssl x509 -req ... -extfile device.conf -extensions req_ext -days 1825 -sha256` signs them.
# - the certificate is the one openssl signs for the same CSR and serial (TBSCertificate DER
#   compared byte for byte, openssl's validity spliced in: the dates are the moment of signing);
# - openssl verify and dha verify accept everything it writes; the control log is provision's;
# - every bad CSR (garbage, truncated, RSA, wrong signature, 10 KB subject, other subject, the DAK's
#   key, a key twice, a key already logged) is named with its check, the good ones signed, exit 2,
#   nothing half-written; resumable, and two runs at once into one folder sign each device once.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
cd "$T" || exit 1

cp "$ATS_SOURCE_DIR"/tests/fixtures/dha/{dak.conf,device.conf,ca.ext} .
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout root.key \
  -subj "/CN=Test Device Attestation Root" -days 3650 -out root.pem -config ca.ext -extensions root 2>/dev/null
mkdir dakdir
"$ATSCHECK" dak csr --config dak.conf --out dakdir >/dev/null
openssl x509 -req -in dakdir/dak.csr -CA root.pem -CAkey root.key -set_serial 7 -days 3650 \
  -extfile ca.ext -extensions dak -out dak-certificate.pem 2>/dev/null
cp dakdir/dak_private_key.pem dak-private-key.pem && chmod 600 dak-private-key.pem
dak=(--config device.conf --dak-cert dak-certificate.pem --dak-key dak-private-key.pem)

# --- Good CSRs, as a device's secure element hands them over (PEM, and one DER). ---
mkdir csrs
for i in 1 2 3 4 5 6; do
  openssl req -new -nodes -config device.conf -newkey ec:<(openssl ecparam -name prime256v1) \
    -keyout "dev$i.key" -out "csrs/dev$i.csr" 2>/dev/null
done
openssl req -in csrs/dev6.csr -outform DER -out csrs/dev6.der && rm csrs/dev6.csr
openssl req -new -nodes -config device.conf -key dev5.key -addext "subjectAltName=DNS:device.example" \
  -addext "extendedKeyUsage=serverAuth" -out csrs/dev5.csr 2>/dev/null   # asks for extensions

# --- Bad ones. ---
head -c 3000 /dev/urandom > csrs/garbage.csr
head -c 300 csrs/dev1.csr > csrs/truncated.csr
openssl req -in csrs/dev2.csr -outform DER | head -c 150 > csrs/truncated-der.der
openssl req -new -nodes -newkey rsa:2048 -keyout /dev/null -config device.conf -out csrs/rsa.csr 2>/dev/null
# wrong signature: flip the CSR's last byte (inside the ECDSA s value)
openssl req -in csrs/dev3.csr -outform DER > d3.der
{ head -c $(( $(stat -c %s d3.der) - 1 )) d3.der; printf '\x01'; } > csrs/badsig.der
cmp -s d3.der csrs/badsig.der && { { head -c $(( $(stat -c %s d3.der) - 1 )) d3.der; printf '\x02'; } > csrs/badsig.der; }
# 10 KB subject: 160 OUs of 60 characters
subj=""; for i in $(seq 1 160); do subj="$subj/OU=$(printf 'x%.0s' $(seq 1 58))$i"; done
openssl req -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout /dev/null -subj "$subj" \
  -config device.conf -out csrs/bigsubject.csr 2>/dev/null
openssl req -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout /dev/null \
  -subj "/C=US/O=Someone Else/CN=Other Speaker" -config device.conf -out csrs/othersubject.csr 2>/dev/null
openssl req -new -nodes -config device.conf -key dak-private-key.pem -out csrs/dakkey.csr 2>/dev/null
openssl req -new -nodes -config device.conf -key dev4.key -out csrs/clone-a.csr 2>/dev/null
openssl req -new -nodes -config device.conf -key dev4.key -out csrs/clone-b.csr 2>/dev/null
openssl req -new -nodes -config device.conf -key dev4.key -out 'csrs/bad id!.csr' 2>/dev/null
# a point off the curve (sorted last, so a worker's reused key takes it, not a fresh one)
openssl req -in csrs/dev2.csr -outform DER > d2.der
off=$(grep -obUaP '\x03\x42\x00\x04' d2.der | head -1 | cut -d: -f1)
cp d2.der csrs/zz-offcurve.der
printf '\x55' | dd of=csrs/zz-offcurve.der bs=1 seek=$((off + 20)) conv=notrunc 2>/dev/null
check "the off-curve CSR differs from dev2's" bash -c '! cmp -s d2.der csrs/zz-offcurve.der'
check "the 10 KB subject CSR is ~10 KB" test "$(stat -c %s csrs/bigsubject.csr)" -gt 10000

expect_exit 2 "sign --dir: refused CSRs make it CRITICAL" "$ATSCHECK" dha sign "${dak[@]}" --dir csrs \
  --out signed --format json
cp "$T/out" first.json
check "5 signed (dev1, dev2, dev3, dev5, dev6), 13 refused" \
  jq -e '.csrs.given == 18 and .csrs.signed == 5 and .csrs.refused == 13' first.json
want() { jq -e --arg f "csrs/$1" --arg c "$2" '.refused[] | select(.file == $f) | .check == $c' first.json; }
check "garbage: parses" want garbage.csr parses
check "truncated PEM: parses, says truncated" \
  jq -e '.refused[] | select(.file == "csrs/truncated.csr") | .check == "parses" and (.message | test("truncated"))' first.json
check "truncated DER: parses, says truncated" \
  jq -e '.refused[] | select(.file == "csrs/truncated-der.der") | .check == "parses" and (.message | test("truncated"))' first.json
check "RSA: key, says RSA" \
  jq -e '.refused[] | select(.file == "csrs/rsa.csr") | .check == "key" and (.message | test("RSA"))' first.json
check "wrong signature: signature" want badsig.der signature
check "a point off the curve: key, says so" \
  jq -e '.refused[] | select(.file == "csrs/zz-offcurve.der") | .check == "key" and (.message | test("not a point on the P-256 curve"))' first.json
check "10 KB subject: subject, says its size" \
  jq -e '.refused[] | select(.file == "csrs/bigsubject.csr") | .check == "subject" and (.message | test("bytes"))' first.json
check "other subject: subject, with both names" \
  jq -e '.refused[] | select(.file == "csrs/othersubject.csr") | .check == "subject" and (.message | test("Other Speaker.*Example Speaker DHA"))' first.json
check "the DAK's key: dak-key" want dakkey.csr dak-key
check "one key in three CSRs: all refused, unique-key" \
  jq -e '[.refused[] | select(.file | test("clone-|dev4")) | .check] | length == 3 and all(. == "unique-key")' first.json
check "a bad device id: device-id" want 'bad id!.csr' device-id
check "dev4 (same key as the clones) is not signed either" test ! -e signed/dev4
check "requested extensions reported as dropped" \
  jq -e '.dropped_extensions[] | select(.device_id == "dev5") | .dropped | test("Subject Alternative Name") and test("Extended Key Usage")' first.json
check "each refusal is a CRITICAL problem naming its file" \
  jq -e '[.problems[] | select(.severity == "CRITICAL") | .message] | length == 13 and any(test("csrs/rsa.csr: refused \\(key\\)"))' first.json
check "nothing half-written: five device folders, no .tmp-" \
  test "$(find signed -mindepth 1 -maxdepth 1 -type d | sort | tr '\n' ' ')" = "signed/dev1 signed/dev2 signed/dev3 signed/dev5 signed/dev6 "
for f in device-certificate.pem dev1.pem dha-control-log-public-key.txt; do
  check "dev1/$f is there" test -s "signed/dev1/$f"
done
check "the chain is device certificate + DAK certificate, as cat makes it" \
  cmp signed/dev1/dev1.pem <(cat signed/dev1/device-certificate.pem dak-certificate.pem)
all_ok=1
for d in dev1 dev2 dev3 dev5 dev6; do
  openssl verify -CAfile root.pem -untrusted dak-certificate.pem "signed/$d/device-certificate.pem" >/dev/null 2>&1 || all_ok=0
done
check "openssl verify accepts all five" test $all_ok = 1
check "the certificate holds the CSR's key" \
  cmp <(openssl req -in csrs/dev1.csr -noout -pubkey) <(openssl x509 -in signed/dev1/device-certificate.pem -noout -pubkey)
check "no extension the CSR asked for reached the certificate" \
  bash -c "! grep -q -e 'Alternative Name' -e 'Extended Key' <<<\"\$(openssl x509 -in signed/dev5/device-certificate.pem -noout -text)\""
openssl x509 -in signed/dev1/device-certificate.pem -pubkey -noout | openssl enc -base64 -d | openssl enc -base64 > pipeline-key.txt
check "control-log key byte-identical to the documented pipeline's" cmp pipeline-key.txt signed/dev1/dha-control-log-public-key.txt
expect_exit 0 "dha verify --dir accepts what it wrote (chains named <id>.pem)" "$ATSCHECK" dha verify --dir signed \
  --config device.conf --anchor root.pem --format json
check "5 devices OK" jq -e '.summary.devices == 5 and .summary.ok == 5' "$T/out"
check "control log: header + 5 lines, 5 JSON lines" \
  bash -c 'test "$(wc -l < signed/control-log.csv)" -eq 6 && jq -se "length == 5" signed/control-log.jsonl'
fp=$(openssl x509 -in signed/dev2/device-certificate.pem -noout -fingerprint -sha256 | cut -d= -f2 | tr -d :)
check "CSV fingerprint = openssl's" grep -q "^dev2,.*,$fp," signed/control-log.csv
check "serials: 16 bytes, unique" \
  bash -c 'test "$(tail -n +2 signed/control-log.csv | cut -d, -f3 | sort -u | grep -c "^[0-9A-F]\{32\}$")" -eq 5'

# --- The same TBSCertificate bytes as openssl x509 -req for the same CSR and serial. ---
tbs() { openssl asn1parse -in "$1" -strparse 4 -out "$2" -noout >/dev/null; }
same_tbs() {  # $1 = device id, $2 = its CSR
  local serial
  serial=$(openssl x509 -in "signed/$1/device-certificate.pem" -noout -serial | cut -d= -f2)
  local inform=PEM; case $2 in *.der) inform=DER;; esac
  openssl x509 -req -in "$2" -inform "$inform" -extfile device.conf -extensions req_ext -CA dak-certificate.pem \
    -CAkey dak-private-key.pem -days 1825 -set_serial "0x$serial" -sha256 -out "ref-$1.pem" 2>/dev/null || return 1
  tbs "signed/$1/device-certificate.pem" ours.der && tbs "ref-$1.pem" theirs.der || return 1
  # the validity SEQUENCE: 5th element of the TBS (version, serial, algorithm, issuer, validity)
  local line off hl l
  line=$(openssl asn1parse -inform DER -in ours.der | grep ':d=1 ' | sed -n 5p)
  off=$(sed 's/^ *\([0-9]*\):.*/\1/' <<<"$line"); hl=$(sed 's/.*hl= *\([0-9]*\).*/\1/' <<<"$line")
  l=$(sed 's/.* l= *\([0-9]*\).*/\1/' <<<"$line")
  local vline toff
  vline=$(openssl asn1parse -inform DER -in theirs.der | grep ':d=1 ' | sed -n 5p)
  toff=$(sed 's/^ *\([0-9]*\):.*/\1/' <<<"$vline")
  test "$off" = "$toff" && test "$(stat -c %s ours.der)" = "$(stat -c %s theirs.der)" || return 1
  { head -c "$off" ours.der; tail -c +$((off + 1)) theirs.der | head -c $((hl + l)); tail -c +$((off + hl + l + 1)) ours.der; } > spliced.der
  cmp spliced.der theirs.der || return 1
  # and the dates themselves are the moment of signing, a few seconds apart at most
  local a b
  a=$(date -d "$(openssl x509 -in "signed/$1/device-certificate.pem" -noout -startdate | cut -d= -f2)" +%s)
  b=$(date -d "$(openssl x509 -in "ref-$1.pem" -noout -startdate | cut -d= -f2)" +%s)
  test $((b - a)) -ge 0 && test $((b - a)) -lt 300
}
check "dev1: TBSCertificate byte-identical to openssl x509 -req's (validity apart)" same_tbs dev1 csrs/dev1.csr
check "dev5 (asked for extensions): identical too" same_tbs dev5 csrs/dev5.csr
check "dev6 (a DER CSR): identical too" same_tbs dev6 csrs/dev6.der
check "and the TBS differs where it must: another serial makes another TBS" \
  bash -c "openssl x509 -req -in csrs/dev1.csr -extfile device.conf -extensions req_ext -CA dak-certificate.pem \
    -CAkey dak-private-key.pem -days 1825 -set_serial 0x42 -sha256 -out other.pem 2>/dev/null &&
    openssl asn1parse -in other.pem -strparse 4 -out o.der -noout >/dev/null && ! cmp -s o.der theirs.der"

# --- Resumable: a second run signs nothing again; a key now logged is refused as a clone. ---
expect_exit 2 "second run: the same refusals, nothing signed twice" "$ATSCHECK" dha sign "${dak[@]}" --dir csrs \
  --out signed --format json
check "5 already done, 0 signed" jq -e '.csrs.already_done == 5 and .csrs.signed == 0' "$T/out"
check "still 5 log lines" test "$(wc -l < signed/control-log.csv)" -eq 6
openssl req -new -nodes -config device.conf -key dev1.key -out devX.csr 2>/dev/null
expect_exit 2 "dev1's key under another id: refused against the control log" "$ATSCHECK" dha sign "${dak[@]}" \
  devX.csr --out signed --format json
check "unique-key, naming the control log" \
  jq -e '.refused[0].check == "unique-key" and (.refused[0].message | test("control-log.csv"))' "$T/out"
check "no devX folder" test ! -e signed/devX

# --- One CSR with --id: every check named in the report. ---
expect_exit 0 "one CSR, --id" "$ATSCHECK" dha sign "${dak[@]}" csrs/dev1.csr --id speaker-0001 --out one --format json
check "the id from --id, every check passed" \
  jq -e '.device_id == "speaker-0001" and ([.checks[].status] | unique) == ["pass"] and ([.checks[].name] | length) == 6' "$T/out"
check "one/speaker-0001/speaker-0001.pem" test -s one/speaker-0001/speaker-0001.pem
expect_exit 2 "one bad CSR: its failed check in the report" "$ATSCHECK" dha sign "${dak[@]}" csrs/badsig.der \
  --out one --format json
check "signature fails, the others named" \
  jq -e '(.checks[] | select(.name == "signature") | .status) == "fail" and (.checks[] | select(.name == "key") | .status) == "pass"' "$T/out"

# --- Many CSRs (made by provision, copied out as <id>.csr) with 3 bad ones, and two runs at once. ---
n=${ATS_SIGN_TEST_N:-1500}
"$ATSCHECK" dha provision "${dak[@]}" --count "$n" --id-prefix m --out made --barcode none >/dev/null
mkdir many && for d in made/m-*; do ln "$d/device.csr" "many/${d#made/}.csr"; done
rm many/m-000010.csr many/m-000500.csr many/m-001000.csr
head -c 500 /dev/urandom > many/m-000010.csr
openssl req -new -nodes -newkey rsa:2048 -keyout /dev/null -config device.conf -out many/m-000500.csr 2>/dev/null
head -c 200 made/m-001000/device.csr > many/m-001000.csr
( "$ATSCHECK" dha sign "${dak[@]}" --dir many --out manyout --format json > run1.json 2>/dev/null; echo $? > rc1 ) &
( "$ATSCHECK" dha sign "${dak[@]}" --dir many --out manyout --format json > run2.json 2>/dev/null; echo $? > rc2 ) &
wait
check "both runs: exit 2 (the 3 bad ones)" test "$(cat rc1)$(cat rc2)" = 22
check "each run names exactly the 3 bad ones with their checks" \
  bash -c 'for r in run1.json run2.json; do jq -e "[.refused[] | .device_id + \":\" + .check] | sort == [\"m-000010:parses\", \"m-000500:key\", \"m-001000:parses\"]" $r || exit 1; done'
check "between them, every good CSR signed exactly once" \
  bash -c "test \$(( \$(jq .csrs.signed run1.json) + \$(jq .csrs.signed run2.json) )) -eq $((n - 3)) &&
           test \$(tail -n +2 manyout/control-log.csv | cut -d, -f1 | sort -u | wc -l) -eq $((n - 3)) &&
           test \$(tail -n +2 manyout/control-log.csv | wc -l) -eq $((n - 3))"
check "no .tmp- folder left, no folder for a bad one" \
  bash -c 'test -z "$(find manyout -maxdepth 1 -name ".tmp-*")" && test ! -e manyout/m-000010 && test ! -e manyout/m-000500'
expect_exit 0 "dha verify --dir: all signed devices OK" "$ATSCHECK" dha verify --dir manyout --anchor root.pem --format json
check "$((n - 3)) OK" jq -e ".summary.ok == $((n - 3))" "$T/out"

# --- Usage. ---
expect_exit 3 "no CSR: usage" "$ATSCHECK" dha sign "${dak[@]}" --out x
expect_exit 3 "--id with two CSRs: usage" "$ATSCHECK" dha sign "${dak[@]}" --out x --id a csrs/dev1.csr csrs/dev2.csr
check "names the fault" grep -q "one CSR" "$T/err"
expect_exit 3 "a missing device.conf: one line naming it" "$ATSCHECK" dha sign --config nope.conf \
  --dak-cert dak-certificate.pem --dak-key dak-private-key.pem --out x csrs/dev1.csr
check "names nope.conf" grep -q "nope.conf" "$T/err"
check "and wrote nothing" test ! -e x
finish
