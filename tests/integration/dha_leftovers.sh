#!/usr/bin/env bash
# Issue 18: a run killed after building a device that another run finished first leaves a
# .tmp-<id> folder with a complete key that no log names. A rerun removes such folders (never a
# finished device, never one a live run holds), and the report says how many.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/dha_lab.sh"
mkdir "$T/w" && cd "$T/w" || exit 1
dha_lab || exit 1
P=(dha provision --config device.conf --dak-cert dak.pem --dak-key dak.key)
printf 'A-1\nA-2\nA-3\n' > ids.txt
expect_exit 0 "three devices" "$ATSCHECK" "${P[@]}" --ids ids.txt --out o
sums() { (cd o && find A-1 A-2 A-3 -type f -exec sha256sum {} + | sort); }
sums > before
# What the killed run leaves: a whole second device for A-2 under its temporary name, and one
# for A-3 that a live run still holds (its lock).
make_left() { mkdir "o/.tmp-$1" && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
  -out "o/.tmp-$1/private_key.pem" 2>/dev/null && cp "o/$1/certificate.pem" "o/$1/device-id.txt" "o/.tmp-$1/"; }
make_left A-2
make_left A-3
exec 9<"o/.tmp-A-3"
flock -x 9
expect_exit 0 "a rerun with the same ids" "$ATSCHECK" "${P[@]}" --ids ids.txt --out o --format json
check "the killed run's leftover is removed" test ! -e o/.tmp-A-2
check "the report counts it" jq -e '.devices.leftovers_removed == 1' "$T/out"
check "one held by a live run is left alone" test -s o/.tmp-A-3/private_key.pem
exec 9<&-
sums > after
check "the finished devices are untouched" cmp -s before after
expect_exit 0 "a rerun with other ids (--count) also cleans" "$ATSCHECK" "${P[@]}" --count 1 --out o --format json
check "the last leftover is removed" test ! -e o/.tmp-A-3
check "no temporary folder left" bash -c '! ls -a o | grep "^\.tmp-" >/dev/null'
sums > after
check "the finished devices are still untouched" cmp -s before after
# A leftover whose device was never finished stays for the run that makes it (it reclaims it).
mkdir o/.tmp-B-1 && echo junk > o/.tmp-B-1/private_key.pem
expect_exit 0 "a rerun with other ids" "$ATSCHECK" "${P[@]}" --count 1 --out o
check "an unfinished device's folder is not swept" test -d o/.tmp-B-1
printf 'B-1\n' > b.txt
expect_exit 0 "the run that makes B-1" "$ATSCHECK" "${P[@]}" --ids b.txt --out o
check "B-1 made, its old folder reclaimed" bash -c 'test -s o/B-1/certificate.pem && test ! -e o/.tmp-B-1 && ! grep -q junk o/B-1/private_key.pem'

# Two runs into one folder, one killed at a random moment, then a rerun: never a key that the
# control log does not name, never a temporary folder left.
for trial in 1 2 3 4 5 6; do
  d=race$trial
  "$ATSCHECK" "${P[@]}" --count 300 --out "$d" --jobs 1 >/dev/null 2>&1 &
  a=$!
  "$ATSCHECK" "${P[@]}" --count 300 --out "$d" --jobs 1 >/dev/null 2>&1 &
  b=$!
  sleep "0.$((RANDOM % 9 + 1))"
  kill -9 "$b" 2>/dev/null
  wait "$a" "$b" 2>/dev/null
  "$ATSCHECK" "${P[@]}" --count 300 --out "$d" >/dev/null 2>&1
  left=$(ls -a "$d" | grep -c '^\.tmp-')
  keys=$(find "$d" -name private_key.pem | wc -l)
  logged=$(tail -n +2 "$d/control-log.csv" | wc -l)
  check "race $trial: no .tmp- left ($left), every key logged ($keys keys, $logged lines)" \
    test "$left" -eq 0 -a "$keys" -eq "$logged" -a "$logged" -eq 300
done
finish
