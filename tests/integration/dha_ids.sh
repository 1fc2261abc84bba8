#!/usr/bin/env bash
# Device ids that would break provision (issue 18): the names provision keeps for itself in the
# folder (control-log.csv, control-log.jsonl, batch-id) and a NUL byte in --ids are refused up
# front: one line naming the file, the line and the id; exit 3; nothing written.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/dha_lab.sh"
mkdir "$T/w" && cd "$T/w" || exit 1
dha_lab || exit 1
P=(dha provision --config device.conf --dak-cert dak.pem --dak-key dak.key)
n=0
for id in control-log.csv control-log.jsonl batch-id CONTROL-LOG.CSV; do
  n=$((n + 1))
  printf 'D-1\n%s\n' "$id" > ids$n.txt
  expect_exit 3 "id '$id': refused" "$ATSCHECK" "${P[@]}" --ids ids$n.txt --out o$n
  check "id '$id': one line naming the file, line and id" \
    bash -c "test \$(wc -l < '$T/err') -eq 1 && grep -q \"ids$n.txt: line 2: '$id'.*provision keeps that name\" '$T/err'"
  check "id '$id': nothing written" test ! -e o$n
done
printf 'D-1\nD-2\000tail\nD-3\n' > nul.txt
expect_exit 3 "a NUL byte in --ids: refused" "$ATSCHECK" "${P[@]}" --ids nul.txt --out onul
check "named with its line" grep -q "nul.txt: line 2: a NUL byte" "$T/err"
check "nothing written" test ! -e onul
printf 'A-1\nbatch-ids\ncontrol-log\n' > fine.txt
expect_exit 0 "names near the reserved ones are fine" "$ATSCHECK" "${P[@]}" --ids fine.txt --out ofine
check "three devices" test "$(tail -n +2 ofine/control-log.csv | wc -l)" -eq 3

# A DAK certificate without CA:TRUE: refused (every device certificate would fail to verify),
# unless overridden, and then reported.
printf '[ dak ]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature\n' > leaf.ext
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout notca.key \
  -subj "/CN=Not a CA" -days 3650 -out notca.pem -config leaf.ext -extensions dak 2>/dev/null
chmod 600 notca.key
N=(dha provision --config device.conf --dak-cert notca.pem --dak-key notca.key --count 1)
expect_exit 3 "a DAK that is not a CA: refused" "$ATSCHECK" "${N[@]}" --out onotca
check "one line naming it and why" bash -c "test \$(wc -l < '$T/err') -eq 1 && grep -q 'notca.pem: the DAK certificate is not a CA.*fail to verify' '$T/err'"
check "nothing written" test ! -e onotca
expect_exit 1 "--allow-dak-not-ca: made, WARNING" "$ATSCHECK" "${N[@]}" --out onotca --allow-dak-not-ca --format json
check "reported" jq -e '[.problems[].message] | any(test("not a CA"))' "$T/out"
finish
