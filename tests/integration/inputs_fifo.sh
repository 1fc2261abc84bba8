#!/usr/bin/env bash
# Every file atscheck reads is refused at once when it is not a regular file (issue 18): a FIFO
# with no writer must not hang a reader. One line naming the path, exit 3.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/dha_lab.sh"
mkdir "$T/w" && cd "$T/w" || exit 1
mkfifo fifo
mkfifo -m 600 fifo600
dha_lab || exit 1
"$ATSCHECK" dha provision --config device.conf --dak-cert dak.pem --dak-key dak.key --count 1 --out dev >/dev/null
cert=$(find dev -name certificate.pem | head -1)
mkdir six && "$ATSCHECK" bundle export six >/dev/null && "$ATSCHECK" audit --bundle six/Amazon_Root_CA_1.pem --format json >r.json
mkdir out
# refused NAME cmd...: exit 3 within 10 s, one line on stderr naming the FIFO
refused() {
  local d=$1; shift
  expect_exit 3 "$d: refused" timeout 10 "$ATSCHECK" "$@"
  check "$d: one line" test "$(wc -l <"$T/err")" -eq 1
  check "$d: it names the path and says why" grep -q "fifo[0-9]*: not a regular file" "$T/err"
}
expect_exit 3 "report merge FIFO: counted as unreadable" timeout 10 "$ATSCHECK" report merge fifo
check "report merge FIFO: named" grep -q "fifo (unreadable): fifo: not a regular file" "$T/err"
refused "report merge --baseline FIFO" report merge r.json --baseline fifo
refused "report render FIFO" report render fifo
refused "dha verify --config FIFO" dha verify "$cert" --config fifo
refused "dha verify FIFO" dha verify fifo
expect_exit 2 "dha verify --key FIFO: the key check fails at once" timeout 10 "$ATSCHECK" dha verify "$cert" --key fifo
check "dha verify --key FIFO: says why" grep -q "fail  private-key      fifo: not a regular file" "$T/out"
refused "dha provision --config FIFO" dha provision --config fifo --dak-cert dak.pem --dak-key dak.key --count 1 --out dev2
refused "dha provision --dak-key FIFO" dha provision --config device.conf --dak-cert dak.pem --dak-key fifo600 --count 1 --out dev3
refused "dak csr --config FIFO" dak csr --config fifo --out out
expect_exit 3 "audit --bundle FIFO: UNKNOWN" timeout 10 "$ATSCHECK" audit --bundle fifo
check "audit --bundle FIFO: says why" grep -q "fifo: not a regular file" "$T/out"
check "no key was made by the refused dak csr" test ! -e out/dak_private_key.pem
# A folder where a file is wanted: the same one line.
expect_exit 3 "dha verify --config DIR: refused" timeout 10 "$ATSCHECK" dha verify "$cert" --config out
check "dha verify --config DIR: names it" grep -q "out: is a directory" "$T/err"
# --root naming a file: one line, exit 3, not CRITICAL with "Not a directory" for every store.
echo x > plainfile
for cmd in audit "install --dry-run"; do
  expect_exit 3 "$cmd --root FILE: refused" $(echo "$ATSCHECK $cmd") --root plainfile
  check "$cmd --root FILE: one line naming it" \
    bash -c "test \$(wc -l < '$T/err') -eq 1 && grep -q 'plainfile: not a directory' '$T/err' && ! grep -q CRITICAL '$T/out'"
done
# OpenSSL's configuration file is not the audit's to read (it says nothing of which CAs a store
# holds): OPENSSL_CONF naming a FIFO with no writer would hang a reader of it.
expect_exit "$(jq -r .exit_code r.json)" "audit with OPENSSL_CONF a FIFO: not read" env OPENSSL_CONF="$PWD/fifo" timeout 10 \
  "$ATSCHECK" audit --bundle six/Amazon_Root_CA_1.pem --format json
check "audit with OPENSSL_CONF a FIFO: the same audit" jq -e --slurpfile r r.json \
  '.stores == $r[0].stores and .stores[0].cas[0].status == "present"' "$T/out"
finish
