#!/usr/bin/env bash
# `atscheck dha sign`, measured in one run (printed, never asserted), tmpfs, all cores:
# - devices/s signing N CSRs, against `openssl x509 -req` + `cat` run once per CSR (the
#   documented lines) and against this machine's floor for the same work (sign_floor.c: one CSR
#   signature verify + one DAK ECDSA sign per device + the same files, on all cores);
# - with the DAK in a SoftHSM2 token: devices/s beside the software DAK's, and the token's own
#   C_Sign rate (one session) as that path's floor;
# - dha log merge over the control log, against cat.
set -uo pipefail
: "${ATSCHECK:?}" "${ATS_SOURCE_DIR:?}"
quick=${QUICK:-0}
cores=$(nproc 2>/dev/null || echo 1)
if [ "$quick" = 1 ]; then n=4000 n_ossl=20; else n=20000 n_ossl=60; fi
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
W=$(mktemp -d "$shm/atscheck-bench-sign.XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W" || exit 1
rate() { echo "scale=1; $1 / ($3 - $2)" | bc; }
ratio() { echo "scale=2; $1 / $2" | bc; }
now() { date +%s.%N; }

cp "$ATS_SOURCE_DIR"/tests/fixtures/dha/{dak.conf,device.conf,ca.ext} .
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout root.key \
  -subj "/CN=Bench Root" -days 3650 -out root.pem -config ca.ext -extensions root 2>/dev/null
mkdir dakdir && "$ATSCHECK" dak csr --config dak.conf --out dakdir >/dev/null
openssl x509 -req -in dakdir/dak.csr -CA root.pem -CAkey root.key -set_serial 7 -days 3650 \
  -extfile ca.ext -extensions dak -out dak-certificate.pem 2>/dev/null
cp dakdir/dak_private_key.pem dak-private-key.pem && chmod 600 dak-private-key.pem

# N CSRs as devices hand them over (made by provision here: openssl req would take minutes).
"$ATSCHECK" dha provision --config device.conf --dak-cert dak-certificate.pem --dak-key dak-private-key.pem \
  --count "$n" --id-prefix dev --out made --barcode none >/dev/null
mkdir csrs && for d in made/dev-*; do ln "$d/device.csr" "csrs/${d#made/}.csr"; done

# --- The incumbent: the documented lines, once per CSR. ---
mkdir pipe
mapfile -t some < <(ls csrs | head -n "$n_ossl")
t0=$(now)
for c in "${some[@]}"; do
  id=${c%.csr}
  openssl x509 -req -in "csrs/$c" -extfile device.conf -extensions req_ext -CA dak-certificate.pem \
    -CAkey dak-private-key.pem -days 1825 -out "pipe/$id-certificate.pem" -outform PEM -CAcreateserial -sha256 2>/dev/null
  cat "pipe/$id-certificate.pem" dak-certificate.pem > "pipe/$id.pem"
done
t1=$(now)
ossl=$(rate "${#some[@]}" "$t0" "$t1")

# --- Ours, software DAK. ---
S=(dha sign --config device.conf --dak-cert dak-certificate.pem --format json --dir csrs --jobs "$cores")
"$ATSCHECK" "${S[@]}" --dak-key dak-private-key.pem --out out > r.json 2>/dev/null
ours=$(jq -r '(.csrs.signed / .seconds) | floor' r.json)
signed=$(jq -r '.csrs.signed' r.json)

# --- The floor. ---
floor=""
if cc -O2 -I/usr/include/p11-kit-1 -o sign_floor "$ATS_SOURCE_DIR/tests/bench/sign_floor.c" -lcrypto -lpthread 2>/dev/null; then
  mkdir fl && floor=$(./sign_floor "$W/fl" "$n" "$cores" | awk '/floor/ {print $2}')
fi

# --- The DAK in SoftHSM2. ---
tok="" tokfloor="" ntok=$((n / 4))
MODULE=/usr/lib/softhsm/libsofthsm2.so
if command -v softhsm2-util >/dev/null && [ -e "$MODULE" ]; then
  mkdir tokens
  printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$W" > softhsm2.conf
  export SOFTHSM2_CONF=$W/softhsm2.conf
  softhsm2-util --init-token --free --label bench --pin 123456 --so-pin 654321 >/dev/null
  echo 123456 > pin.txt
  URI="pkcs11:token=bench;object=dak;type=private?module-path=$MODULE"
  mkdir tdak && "$ATSCHECK" dak csr --config dak.conf --out tdak --dak-key "$URI" --make-key --pin-file pin.txt >/dev/null
  openssl x509 -req -in tdak/dak.csr -CA root.pem -CAkey root.key -set_serial 8 -days 3650 \
    -extfile ca.ext -extensions dak -out tdak.pem 2>/dev/null
  mkdir tcsrs && for c in $(ls csrs | head -n "$ntok"); do ln "csrs/$c" "tcsrs/$c"; done
  "$ATSCHECK" dha sign --config device.conf --dak-cert tdak.pem --dak-key "$URI" --pin-file pin.txt \
    --format json --dir tcsrs --jobs "$cores" --out tout > t.json 2>/dev/null
  tok=$(jq -r '(.csrs.signed / .seconds) | floor' t.json)
  tokfloor=$(./sign_floor --p11 "$MODULE" bench dak pin.txt | awk '/c_sign/ {print $2}')
fi

# --- log merge: the log alone (against cat of it), and with the device folders at hand (every
# line checked against its certificate: against cat of the log and every certificate). Memory:
# peak RSS against a 10-line merge, per device. ---
mkdir alone && cp out/control-log.csv alone/ && head -11 out/control-log.csv > small.csv
t0=$(now); cat alone/control-log.csv > /dev/null; t1=$(now)
cat_s=$(echo "$t1 - $t0" | bc)
t0=$(now); find out -name device-certificate.pem -print0 | xargs -0 cat out/control-log.csv > /dev/null; t1=$(now)
cat_all_s=$(echo "$t1 - $t0" | bc)
/usr/bin/time -f '%M' -o mem.txt "$ATSCHECK" dha log merge alone --out m1 --format json > m1.json 2>/dev/null
merge_s=$(jq -r '.seconds' m1.json); merge_mem=$(cat mem.txt)
/usr/bin/time -f '%M' -o mem0.txt "$ATSCHECK" dha log merge small.csv --out m0 --format json > /dev/null 2>&1
merge_mem0=$(cat mem0.txt)
"$ATSCHECK" dha log merge out --out m2 --format json > m2.json 2>/dev/null
merge_dir_s=$(jq -r '.seconds' m2.json); merge_checked=$(jq -r '.checked_against_certificates' m2.json)

row() { printf '  %-44s %s\n' "$1" "$2"; }
echo "dha sign, devices/s (tmpfs at $shm, $cores threads, $n CSRs):"
row "atscheck dha sign" "$ours  ($signed signed)"
row "openssl x509 -req + cat, once per CSR" "$ossl"
row "ratio atscheck / openssl (goal >= 200)" "$(ratio "$ours" "$ossl")x"
if [ -n "$floor" ]; then
  row "floor: verify + sign + the files, $cores threads" "$floor"
  row "atscheck / floor (goal >= 0.60)" "$(ratio "$ours" "$floor")"
fi
if [ -n "$tok" ]; then
  row "atscheck dha sign, DAK in SoftHSM2 ($ntok CSRs)" "$tok  (software DAK: $ours)"
  row "SoftHSM2's own C_Sign/s, one session" "$tokfloor"
  row "token path / its floor" "$(ratio "$tok" "$tokfloor")"
fi
if [ -n "$floor" ]; then
  row "floor / openssl (the ceiling of the ratio)" "$(ratio "$floor" "$ossl")x"
fi
echo "dha log merge of $signed lines:"
row "atscheck dha log merge, the log alone" "${merge_s}s, ${merge_mem} KB peak RSS (10 lines: ${merge_mem0} KB: $(echo "($merge_mem - $merge_mem0) * 1024 / $signed" | bc) bytes a device)"
row "cat of the log" "${cat_s}s"
row "atscheck, device folders at hand" "${merge_dir_s}s ($merge_checked lines checked against their certificates)"
row "cat of the log and every certificate" "${cat_all_s}s"
