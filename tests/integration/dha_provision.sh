#!/usr/bin/env bash
# dha provision is safe to stop and to run twice: resume after kill -9, two runs side by side
# into one folder, a folder left between rename and log, a torn log line, a killed run's
# temporary folder; and the DAK key's permissions, wrong keys and bad usage.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
cd "$T" || exit 1

cat > device.conf <<'EOF'
[ req ]
prompt = no
distinguished_name = dn
[ dn ]
O = Example Devices Inc.
CN = Example DHA
[ req_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
cat > ca.ext <<'EOF'
[ dak ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
EOF
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout dak.key \
  -subj "/CN=Test DAK" -days 3650 -out dak.pem -config ca.ext -extensions dak 2>/dev/null
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout other.key \
  -subj "/CN=Other DAK" -days 3650 -out other.pem -config ca.ext -extensions dak 2>/dev/null
chmod 600 dak.key other.key
P=(dha provision --config device.conf --dak-cert dak.pem --dak-key dak.key)
serials_unique() { test "$(tail -n +2 "$1/control-log.csv" | cut -d, -f3 | sort | uniq -d | wc -l)" -eq 0; }
ids_unique() { test "$(tail -n +2 "$1/control-log.csv" | cut -d, -f1 | sort | uniq -d | wc -l)" -eq 0; }
records() { tail -n +2 "$1/control-log.csv" | awk -F, 'NF == 5' | wc -l; }

# --- The DAK key: permissions and identity. ---
chmod 644 dak.key
expect_exit 3 "a DAK key readable by others is refused" "$ATSCHECK" "${P[@]}" --count 2 --out o1
check "the message names the key, its mode and the fix" grep -q "dak.key: .*readable by group or others (mode 0644).*chmod 600" "$T/err"
check "nothing was written" test ! -e o1
expect_exit 1 "--allow-open-dak-key goes on, loudly (WARNING)" "$ATSCHECK" "${P[@]}" --count 2 --out o1 --allow-open-dak-key --format json
check "a warning on stderr" grep -q "WARNING: --allow-open-dak-key" "$T/err"
check "and in the report" jq -e '.verdict == "WARNING" and ([.problems[].message] | any(test("readable by group or others")))' "$T/out"
chmod 600 dak.key
expect_exit 3 "a DAK key that is not the certificate's is refused" "$ATSCHECK" dha provision --config device.conf \
  --dak-cert dak.pem --dak-key other.key --count 2 --out o2
check "says so" grep -q "does not belong to the DAK certificate" "$T/err"
check "no key material in any message" bash -c "! grep -q 'PRIVATE KEY' '$T/err' '$T/out'"

# --- Bad usage: one line, exit 3. ---
expect_exit 3 "no --out" "$ATSCHECK" "${P[@]}" --count 2
expect_exit 3 "--count and --ids together" "$ATSCHECK" "${P[@]}" --count 2 --ids x --out o3
expect_exit 3 "--count 0" "$ATSCHECK" "${P[@]}" --count 0 --out o3
printf 'A-1\nbad id\n' > badids.txt
expect_exit 3 "a bad id in --ids" "$ATSCHECK" "${P[@]}" --ids badids.txt --out o3
check "names file and line" grep -q "badids.txt: line 2" "$T/err"
printf 'A-1\nA-2\nA-1\n' > dupids.txt
expect_exit 3 "a duplicate id" "$ATSCHECK" "${P[@]}" --ids dupids.txt --out o3
check "names the id" grep -q "'A-1' is listed twice" "$T/err"
: > afile
expect_exit 3 "--out is a file" "$ATSCHECK" "${P[@]}" --count 1 --out afile
expect_exit 3 "--out cannot be created" "$ATSCHECK" "${P[@]}" --count 1 --out /proc/atscheck-nope/out
expect_exit 3 "--config without [req_ext]" "$ATSCHECK" dha provision --config ca.ext --dak-cert dak.pem --dak-key dak.key --count 1 --out o3

# --- Run twice: nothing remade, no key touched. ---
expect_exit 0 "30 devices" "$ATSCHECK" "${P[@]}" --count 30 --out b
sum1=$(cat b/*/private_key.pem | sha256sum)
expect_exit 0 "the same command again" "$ATSCHECK" "${P[@]}" --count 30 --out b --format json
check "made 0, already done 30" jq -e '.devices.made == 0 and .devices.already_done == 30' "$T/out"
check "no key changed" test "$sum1" = "$(cat b/*/private_key.pem | sha256sum)"
expect_exit 0 "--count 35 adds five" "$ATSCHECK" "${P[@]}" --count 35 --out b --format json
check "made 5" jq -e '.devices.made == 5 and .devices.already_done == 30' "$T/out"

# A device renamed into place but never logged (killed in between): recovered from its files.
victim=$(basename "$(ls -d b/*-000007)")
vserial=$(openssl x509 -in "b/$victim/device-certificate.pem" -noout -serial | cut -d= -f2)
sed -i "/^$victim,/d" b/control-log.csv
sed -i "/\"$victim\"/d" b/control-log.jsonl
expect_exit 0 "a folder without its log line" "$ATSCHECK" "${P[@]}" --count 35 --out b --format json
check "recovered 1, made 0" jq -e '.devices.recovered == 1 and .devices.made == 0' "$T/out"
check "back in the CSV with its own serial" grep -q "^$victim,.*,$vserial," b/control-log.csv
check "and in the JSON lines" grep -q "\"device_id\":\"$victim\"" b/control-log.jsonl
# A torn last line (killed mid-append): ignored, and the next record starts on its own line.
printf 'TORN-1,MFkwEwYHKo' >> b/control-log.csv
expect_exit 0 "a torn log line" "$ATSCHECK" "${P[@]}" --count 36 --out b --format json
check "made 1" jq -e '.devices.made == 1' "$T/out"
check "36 whole records" test "$(records b)" -eq 36
check "ids and serials unique" bash -c "$(declare -f serials_unique ids_unique); serials_unique b && ids_unique b"
# A killed run's temporary folder (no live owner): reclaimed, its leftovers gone.
mkdir b/.tmp-X-1 && echo junk > b/.tmp-X-1/private_key.pem
printf 'X-1\n' > x.txt
expect_exit 0 "a dead run's .tmp- folder" "$ATSCHECK" "${P[@]}" --ids x.txt --out b
check "the device is made" test -s b/X-1/device-certificate.pem
check "the leftovers are gone" bash -c "! grep -q junk b/X-1/private_key.pem && test ! -e b/.tmp-X-1"
# A folder that atscheck did not finish (no log line, files missing): never touched.
mkdir b/Y-1 && echo 'not a key' > b/Y-1/private_key.pem
printf 'Y-1\n' > y.txt
expect_exit 2 "an incomplete folder in the way: CRITICAL" "$ATSCHECK" "${P[@]}" --ids y.txt --out b
check "named, with what to do" grep -q "b/Y-1 has no device.csr" "$T/out"
check "left as it was" grep -q "not a key" b/Y-1/private_key.pem

# --- kill -9 in the middle, then run again. ---
"$ATSCHECK" "${P[@]}" --count 3000 --out big --jobs 2 --barcode none >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 400); do
  [ -f big/control-log.csv ] && [ "$(wc -l < big/control-log.csv)" -gt 60 ] && break
  sleep 0.025
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
committed=$(records big)
echo "# killed after $committed committed devices"
declare -A before
while IFS=, read -r id _; do [ "$id" = device_id ] || before[$id]=$(sha256sum < "big/$id/private_key.pem"); done < big/control-log.csv
expect_exit 0 "run again after kill -9" "$ATSCHECK" "${P[@]}" --count 3000 --out big --jobs 2 --barcode none
check "3000 records" test "$(records big)" -eq 3000
check "3000 folders, no temporary ones left" bash -c "test \$(ls big | grep -c -- '-0') -eq 3000 && ! ls -a big | grep '^.tmp-' >/dev/null"
check "ids and serials unique" bash -c "$(declare -f serials_unique ids_unique); serials_unique big && ids_unique big"
same=1
for id in "${!before[@]}"; do [ "${before[$id]}" = "$(sha256sum < "big/$id/private_key.pem")" ] || same=0; done
check "keys committed before the kill are untouched (${#before[@]})" test $same = 1
expect_exit 0 "every device verifies (--dir)" "$ATSCHECK" dha verify --dir big --config device.conf --format json
check "3000 OK" jq -e '.summary.ok == 3000' "$T/out"

# --- Two runs side by side into one folder. ---
seq -f 'PAR-%04g' 1 400 > par.txt
"$ATSCHECK" "${P[@]}" --ids par.txt --out par --jobs 2 --format json > run1.json 2>/dev/null &
p1=$!
"$ATSCHECK" "${P[@]}" --ids par.txt --out par --jobs 2 --format json > run2.json 2>/dev/null &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
echo "# side by side: run 1 made $(jq .devices.made run1.json), run 2 made $(jq .devices.made run2.json)"
check "both runs end without error (exit 0 or 1)" test $r1 -le 1 -a $r2 -le 1
check "together they made each device once" \
  test "$(( $(jq .devices.made run1.json) + $(jq .devices.made run2.json) ))" -eq 400
check "400 records, ids and serials unique" bash -c "$(declare -f serials_unique ids_unique records); test \$(records par) -eq 400 && serials_unique par && ids_unique par"
check "no temporary folder left" bash -c "! ls -a par | grep '^.tmp-' >/dev/null"
expect_exit 0 "a third run finds all 400 done" "$ATSCHECK" "${P[@]}" --ids par.txt --out par --format json
check "made 0" jq -e '.devices.made == 0 and .devices.already_done == 400' "$T/out"
finish
