#!/usr/bin/env bash
# The DAK in a PKCS#11 token: a real SoftHSM2 token in a scratch SOFTHSM2_CONF, driven through
# libp11's OpenSSL engine. dak csr makes the key in the token (never extractable) and its CSR;
# provision and sign sign with it, and openssl verify accepts the certificates; a wrong PIN, a
# missing object, an absent token, no PIN: one line naming the URI, exit 3, nothing written; the
# PIN never appears in any output.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
# Leak detection is off for this script only: libp11's pkcs11 engine (Debian 12's
# libengine-pkcs11-openssl) leaves its EVP_PKEY and RSA methods behind when OpenSSL's exit handler
# tears it down (OPENSSL_cleanup -> ENGINE_remove -> EVP_PKEY_meth_new / RSA_meth_dup), on every
# path that ends with the engine loaded. AddressSanitizer's other checks and UBSan stay on.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
cd "$T" || exit 1
# An emulated cross build cannot load this machine's token module (another architecture).
if [ -n "${QEMU_LD_PREFIX:-}" ]; then
  echo "SKIPPED: atscheck runs under qemu here; the SoftHSM2 module is this machine's architecture"
  finish
fi
MODULE=/usr/lib/softhsm/libsofthsm2.so
for need in softhsm2-util pkcs11-tool; do
  command -v "$need" >/dev/null || { fail "$need is not installed (contrib/deps/debian-packages.txt)"; finish; exit; }
done
test -e "$MODULE" || { fail "$MODULE is missing (softhsm2)"; finish; exit; }

mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$T" > softhsm2.conf
export SOFTHSM2_CONF=$T/softhsm2.conf
PIN=73914628
softhsm2-util --init-token --free --label "Factory DAK" --pin "$PIN" --so-pin 24680135 >/dev/null
printf '%s\n' "$PIN" > pin.txt && chmod 600 pin.txt
URI="pkcs11:token=Factory%20DAK;object=dak-key;type=private?module-path=$MODULE"

cp "$ATS_SOURCE_DIR"/tests/fixtures/dha/{dak.conf,device.conf,ca.ext} .
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout root.key \
  -subj "/CN=Test Device Attestation Root" -days 3650 -out root.pem -config ca.ext -extensions root 2>/dev/null

# --- dak csr makes the key inside the token. ---
mkdir dakdir
expect_exit 0 "dak csr --make-key: the key made in the token" "$ATSCHECK" dak csr --config dak.conf --out dakdir \
  --dak-key "$URI" --make-key --pin-file pin.txt --format json
check "report: the URI as the key, key_made" jq -e '.key_made == true and (.key | startswith("pkcs11:"))' "$T/out"
check "only dak.csr is written, no key file" test "$(ls dakdir)" = dak.csr
check "openssl req -verify accepts the CSR" openssl req -in dakdir/dak.csr -verify -noout
check "the CSR's subject from dak.conf" \
  bash -c "grep -q 'Example Speaker DAK' <<<\"\$(openssl req -in dakdir/dak.csr -noout -subject)\""
objs=$(pkcs11-tool --module "$MODULE" --token-label "Factory DAK" --login --pin "$PIN" --list-objects --type privkey 2>/dev/null)
check "the token holds the private key: sensitive, never extractable" \
  bash -c "grep -q 'label: *dak-key' <<<'$objs' && grep -q 'never extractable' <<<'$objs' && grep -q 'sensitive' <<<'$objs'"
check "the CSR's key is the token's" \
  cmp <(openssl req -in dakdir/dak.csr -noout -pubkey) \
      <(pkcs11-tool --module "$MODULE" --token-label "Factory DAK" --read-object --type pubkey --label dak-key 2>/dev/null | openssl pkey -pubin -inform DER 2>/dev/null)
expect_exit 3 "dak csr --make-key again: an existing object is never replaced" "$ATSCHECK" dak csr \
  --config dak.conf --out dakdir --dak-key "$URI" --make-key --pin-file pin.txt
check "says so, naming the URI" grep -q "pkcs11:token=Factory%20DAK;object=dak-key.*never replaced" "$T/err"
openssl x509 -req -in dakdir/dak.csr -CA root.pem -CAkey root.key -set_serial 11 -days 3650 \
  -extfile ca.ext -extensions dak -out dak-certificate.pem 2>/dev/null

# --- provision and sign with the token's DAK. ---
expect_exit 0 "provision 20 devices, the DAK in the token" "$ATSCHECK" dha provision --config device.conf \
  --dak-cert dak-certificate.pem --dak-key "$URI" --pin-file pin.txt --count 20 --out prov --barcode none --format json
check "20 made" jq -e '.devices.made == 20' "$T/out"
ok=1; for c in prov/*/device-certificate.pem; do
  openssl verify -CAfile root.pem -untrusted dak-certificate.pem "$c" >/dev/null 2>&1 || ok=0; done
check "openssl verify accepts all 20" test $ok = 1
mkdir csrs
for i in 1 2 3; do
  openssl req -new -nodes -config device.conf -newkey ec:<(openssl ecparam -name prime256v1) -keyout /dev/null \
    -out "csrs/unit$i.csr" 2>/dev/null
done
expect_exit 0 "sign 3 CSRs, the DAK in the token, the PIN from the environment" \
  env ATSCHECK_PKCS11_PIN="$PIN" "$ATSCHECK" dha sign --config device.conf --dak-cert dak-certificate.pem \
  --dak-key "$URI" --dir csrs --out signed --format json
check "3 signed" jq -e '.csrs.signed == 3' "$T/out"
ok=1; for i in 1 2 3; do
  openssl verify -CAfile root.pem -untrusted dak-certificate.pem "signed/unit$i/device-certificate.pem" >/dev/null 2>&1 || ok=0; done
check "openssl verify accepts all 3" test $ok = 1
expect_exit 0 "dha verify --dir accepts them" "$ATSCHECK" dha verify --dir signed --anchor root.pem

# --- Failures: one line naming the URI, exit 3, nothing written. ---
echo 11111111 > wrong.txt
fails() {  # description, expected phrase, out folder, args...
  local d=$1 phrase=$2 out=$3; shift 3
  expect_exit 3 "$d: exit 3" "$ATSCHECK" dha sign --config device.conf --dak-cert dak-certificate.pem \
    --dir csrs --out "$out" "$@"
  check "$d: one line on stderr, naming the URI and the fault" \
    bash -c "test \$(wc -l < '$T/err') -eq 1 && grep -q 'pkcs11:token=.*$phrase' '$T/err'"
  check "$d: nothing written" test ! -e "$out"
}
fails "wrong PIN" "refused the PIN" o1 --dak-key "$URI" --pin-file wrong.txt
fails "missing object" "is there, but holds no such private key" o2 --dak-key "${URI/dak-key/no-such-key}" --pin-file pin.txt
fails "absent token" "token is absent" o3 --dak-key "${URI/Factory%20DAK/Gone}" --pin-file pin.txt
fails "no PIN" "without a PIN" o4 --dak-key "$URI"
fails "a PIN in the URI" "carries a PIN" o5 --dak-key "$URI&pin-value=$PIN"
expect_exit 3 "provision with a wrong PIN: exit 3" "$ATSCHECK" dha provision --config device.conf \
  --dak-cert dak-certificate.pem --dak-key "$URI" --pin-file wrong.txt --count 2 --out o6
check "provision: nothing written" test ! -e o6
# a token key that is not the DAK certificate's
pkcs11-tool --module "$MODULE" --token-label "Factory DAK" --login --pin "$PIN" --keypairgen \
  --key-type EC:prime256v1 --label other-key --id 0202 >/dev/null 2>&1
fails "another key in the token" "does not belong" o7 --dak-key "${URI/dak-key/other-key}" --pin-file pin.txt

# --- The PIN is never printed, logged or reported. ---
for f in prov/control-log.csv prov/control-log.jsonl signed/control-log.csv; do
  check "$f does not hold the PIN" bash -c "! grep -q '$PIN' '$f'"
done
"$ATSCHECK" dha sign --config device.conf --dak-cert dak-certificate.pem --dak-key "$URI" --pin-file pin.txt \
  --dir csrs --out signed --format json > again.json 2> again.err
check "no report or message holds the PIN" bash -c "! grep -q '$PIN' again.json again.err '$T/out' '$T/err'"
finish
