#!/usr/bin/env bash
# Hostile cases of atscheck install (issue 18): a bundle named without a folder, and a platform
# tool that fails after atscheck has written its part (nothing may stay half-applied).
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

# A bundle given as a bare name (no '/'): installed in the current folder, no crash.
mkdir -p "$T/bare"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/bare/k.pem" -subj /CN=other -days 30 \
  -out "$T/bare/b.pem" 2>/dev/null
expect_exit 0 "--bundle b.pem (no folder): installs" bash -c 'cd "$1" && "$2" install --bundle b.pem' _ "$T/bare" "$ATSCHECK"
check "--bundle b.pem: the six CAs were appended" test "$(grep -c 'BEGIN CERTIFICATE' "$T/bare/b.pem")" -eq 7
check "--bundle b.pem: backup beside it" test -f "$T/bare/b.pem.atscheck-bak"
expect_exit 0 "--bundle b.pem again: nothing to do" bash -c 'cd "$1" && "$2" install --bundle b.pem' _ "$T/bare" "$ATSCHECK"
check "--bundle b.pem again: still seven" test "$(grep -c 'BEGIN CERTIFICATE' "$T/bare/b.pem")" -eq 7
bash -c 'cd "$1" && "$2" install --bundle missing.pem' _ "$T/bare" "$ATSCHECK" >"$T/out" 2>"$T/err"
rc=$?
check "--bundle missing.pem (no folder): no crash (exit $rc)" test "$rc" -lt 128

# The platform tool fails after atscheck wrote its part (the conf lines, the CA files, the conf's
# backup): everything atscheck wrote is put back, and the one line says so. PATH=/nowhere: the
# tool is found in /usr/sbin but none of the commands it runs are.
. "$ATS_SOURCE_DIR/tests/lib/install_image.sh"
need_debian_tools
# The lock file and its folders stay, by design (install_faults.sh): not a change of the store.
snapshot() { (cd "$1" && find . ! -name install.lock ! -path ./var ! -path ./var/lib ! -path ./var/lib/atscheck \
  -printf '%p %y %m %l\n' | sort &&
  find . -type f ! -name install.lock -exec sha256sum {} + | sort); }
R=$T/img
seed_image "$R"
grep -v 'Amazon_Root_CA_[1-4]\|Starfield' "$R/etc/ca-certificates.conf" > "$R/conf.new"
mv "$R/conf.new" "$R/etc/ca-certificates.conf"
rm "$R/usr/share/ca-certificates/mozilla/Starfield_Class_2_CA.crt"
build_certs "$R"
snapshot "$R" > "$T/s1"
expect_exit 3 "the tool fails: exit 3" env PATH=/nowhere "$ATSCHECK" install --root "$R"
check "one line on stderr" test "$(wc -l < "$T/err")" -eq 1
check "it names the tool's failure" grep -q "update-ca-certificates .* failed (exit 127)" "$T/err"
check "it says what was put back" grep -q "put back" "$T/err"
snapshot "$R" > "$T/s2"
check "nothing atscheck wrote is left (conf, CA files, backup)" cmp -s "$T/s1" "$T/s2"
diff "$T/s1" "$T/s2" | head -10
check "the conf has none of the new lines" bash -c "! grep -q Amazon_Root_CA_1 '$R/etc/ca-certificates.conf'"
expect_exit 0 "the cause gone, a rerun installs" "$ATSCHECK" install --root "$R"
check "and the conf now selects the CAs" grep -q Amazon_Root_CA_1 "$R/etc/ca-certificates.conf"
finish
