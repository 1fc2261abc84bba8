#!/usr/bin/env bash
# atscheck install --root on scratch Debian images seeded from this machine's real
# ca-certificates, with Debian's real update-ca-certificates pointed into them.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/install_image.sh"
need_debian_tools

links() { (cd "$1/etc/ssl/certs" && for f in *; do [ -L "$f" ] && echo "$f -> $(readlink "$f")"; done) | sort; }
snapshot() { (cd "$1" && find . -printf '%p %y %l\n' | sort && find . -type f -exec sha256sum {} + | sort); }

# The image: CA 2's file removed from mozilla/ and unlisted, CA 3 deselected with '!', CA 4
# unlisted, and a conf without its final newline (the manual `echo >>` case).
R=$T/img
seed_image "$R"
rm "$R/usr/share/ca-certificates/mozilla/Amazon_Root_CA_2.crt"
sed -i -e '/Amazon_Root_CA_2/d' -e 's|^mozilla/Amazon_Root_CA_3.crt|!mozilla/Amazon_Root_CA_3.crt|' \
  -e '/Amazon_Root_CA_4/d' "$R/etc/ca-certificates.conf"
printf '%s' "$(cat "$R/etc/ca-certificates.conf")" > "$T/conf" && cp "$T/conf" "$R/etc/ca-certificates.conf"
build_certs "$R" || { echo "FAIL - seeding the image with update-ca-certificates"; exit 1; }
pem_blocks "$R/etc/ssl/certs/ca-certificates.crt" > "$T/before.pems"
links "$R" > "$T/before.links"
cp "$R/etc/ca-certificates.conf" "$T/conf.before"
check "seeded image holds 100+ certificates" test "$(wc -l < "$T/before.pems")" -gt 100
expect_exit 1 "audit before: WARNING" "$ATSCHECK" audit --root "$R"

# --dry-run: the exact files and lines, nothing written.
snapshot "$R" > "$T/snap.before"
expect_exit 1 "--dry-run" "$ATSCHECK" install --root "$R" --dry-run
cp "$T/out" "$T/dry.txt"
check "dry run names the copy it would write" grep -q "write *.*/usr/share/ca-certificates/atscheck/atscheck_Amazon_Root_CA_2.crt" "$T/dry.txt"
check "dry run names the conf line for CA 4" grep -q "conf-add .*'mozilla/Amazon_Root_CA_4.crt'" "$T/dry.txt"
check "dry run names the command" grep -q "run .*update-ca-certificates --certsconf $R/etc/ca-certificates.conf" "$T/dry.txt"
check "dry run leaves CA 3 (deselected with '!') alone" grep -q "left-deselected" "$T/dry.txt"
snapshot "$R" > "$T/snap.after"
check "dry run wrote nothing" cmp -s "$T/snap.before" "$T/snap.after"

# The install: CA 3 stays deselected (WARNING) until --reselect.
expect_exit 1 "install: WARNING (CA 3 left deselected)" "$ATSCHECK" install --root "$R" --format json
check "json: per CA before -> after" jq -e '
  (.cas[1] | .before == "missing" and .after == "present" and .action == "copy") and
  (.cas[2] | .action == "left-deselected" and .after == "deselected") and
  (.cas[3] | .before == "deselected" and .after == "present" and .action == "select") and
  .method == "update-ca-certificates"' "$T/out"
check "no copy of a CA Debian ships (no duplicate hash link)" \
  test ! -e "$R/usr/share/ca-certificates/atscheck/atscheck_Amazon_Root_CA_4.crt"
check "CA 3's '!' line kept" grep -qx '!mozilla/Amazon_Root_CA_3.crt' "$R/etc/ca-certificates.conf"
check "conf backup holds the previous content" cmp -s "$T/conf.before" "$R/etc/ca-certificates.conf.atscheck-bak"
check "the old last line was not merged with ours" \
  bash -c "tail -3 '$R/etc/ca-certificates.conf' | grep -x 'atscheck/atscheck_Amazon_Root_CA_2.crt' >/dev/null"
check "every conf line but ours unchanged" \
  bash -c "diff <(cat '$T/conf.before'; echo) <(grep -v -x -e 'atscheck/atscheck_Amazon_Root_CA_2.crt' -e 'mozilla/Amazon_Root_CA_4.crt' '$R/etc/ca-certificates.conf')"
check "no duplicate lines" bash -c "[ -z \"\$(grep -v '^#' '$R/etc/ca-certificates.conf' | sort | uniq -d)\" ]"

expect_exit 0 "--reselect" "$ATSCHECK" install --root "$R" --reselect
check "reselect turned the '!' line" grep -qx 'mozilla/Amazon_Root_CA_3.crt' "$R/etc/ca-certificates.conf"
expect_exit 0 "audit --root after install: OK" "$ATSCHECK" audit --root "$R"
pem_blocks "$R/etc/ssl/certs/ca-certificates.crt" > "$T/after.pems"
check "the bundle holds every certificate it held before" test -z "$(comm -23 "$T/before.pems" "$T/after.pems")"
"$ATSCHECK" bundle export "$T/six" >/dev/null 2>&1 || { mkdir -p "$T/six"; "$ATSCHECK" bundle export "$T/six" >/dev/null; }
cat "$T"/six/*.pem > "$T/six.pem"
pem_blocks "$T/six.pem" > "$T/six.pems"
check "the bundle holds the six" test -z "$(comm -23 "$T/six.pems" "$T/after.pems")"
links "$R" > "$T/after.links"
check "every link that was there is unchanged (only new ones)" test -z "$(comm -23 "$T/before.links" "$T/after.links")"
check "links keep the device's absolute form" grep -q "^atscheck_Amazon_Root_CA_2.pem -> /usr/share/ca-certificates/atscheck/atscheck_Amazon_Root_CA_2.crt$" "$T/after.links"
check "no relative links left" bash -c "! grep -q ' -> \.\./' '$T/after.links'"
check "no journal left" test ! -e "$R/var/lib/atscheck/links.journal"
check "openssl finds CA 2 by its hash link" \
  openssl verify -no-CAfile -CApath "$R/etc/ssl/certs" "$T/six/Amazon_Root_CA_2.pem"

# Twice: nothing to do, nothing changed, exit 0.
snapshot "$R" > "$T/snap.before"
expect_exit 0 "second run" "$ATSCHECK" install --root "$R"
check "second run says nothing to do" grep -q "Nothing to do" "$T/out"
snapshot "$R" > "$T/snap.after"
check "second run changed nothing" cmp -s "$T/snap.before" "$T/snap.after"

# --local: copies under /usr/local/share/ca-certificates, no conf line.
L=$T/local
seed_image "$L"
rm "$L/usr/share/ca-certificates/mozilla/Amazon_Root_CA_1.crt"
sed -i '/Amazon_Root_CA_1/d' "$L/etc/ca-certificates.conf"
build_certs "$L"
cp "$L/etc/ca-certificates.conf" "$T/conf.local"
expect_exit 0 "--local" "$ATSCHECK" install --root "$L" --local
check "--local wrote under /usr/local/share/ca-certificates" \
  test -f "$L/usr/local/share/ca-certificates/atscheck/atscheck_Amazon_Root_CA_1.crt"
check "--local left the conf alone" cmp -s "$T/conf.local" "$L/etc/ca-certificates.conf"
expect_exit 0 "audit after --local: OK" "$ATSCHECK" audit --root "$L"
expect_exit 0 "--local twice: nothing to do" "$ATSCHECK" install --root "$L" --local
check "--local twice says nothing to do" grep -q "Nothing to do" "$T/out"

# A bundle holding a certificate no selected file provides (appended by hand): the tool would
# drop it, so atscheck adds to the bundle itself.
H=$T/hand
seed_image "$H"
sed -i '/Amazon_Root_CA_3/d' "$H/etc/ca-certificates.conf"
build_certs "$H"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
  -subj "/CN=Added By Hand" -days 30 -out "$T/hand.pem" 2>/dev/null
cat "$T/hand.pem" >> "$H/etc/ssl/certs/ca-certificates.crt"
cp "$H/etc/ssl/certs/ca-certificates.crt" "$T/hand.before"
expect_exit 0 "bundle with a hand-added certificate" "$ATSCHECK" install --root "$H" --format json
check "atscheck did the tool's part itself, and said why" \
  jq -e '.method == "atscheck" and any(.notes[]; test("added by hand"))' "$T/out"
check "the hand-added certificate is still there, the old bundle a prefix" \
  cmp -n "$(stat -c %s "$T/hand.before")" "$T/hand.before" "$H/etc/ssl/certs/ca-certificates.crt"
expect_exit 0 "audit after: OK" "$ATSCHECK" audit --root "$H"

# CRLF conf: update-ca-certificates reads "x.crt\r" as a file that does not exist.
C=$T/crlf
seed_image "$C"
sed -i -e '/Amazon_Root_CA_1/d' -e 's/$/\r/' "$C/etc/ca-certificates.conf"
build_certs "$C"
expect_exit 1 "CRLF conf, --ca CA 1 (the other five stay unread: WARNING)" \
  "$ATSCHECK" install --root "$C" --ca 'Amazon Root CA 1'
check "our line ends with LF only" grep -q $'^mozilla/Amazon_Root_CA_1.crt$' "$C/etc/ca-certificates.conf"
check "CA 1 is in the bundle" grep -q "$(sed -n 2p "$T/six/Amazon_Root_CA_1.pem")" "$C/etc/ssl/certs/ca-certificates.crt"
expect_exit 0 "CRLF conf, all six" "$ATSCHECK" install --root "$C" --format json
check "the five CRLF lines of the six were repaired in place" \
  jq -e '[.changes[] | select(.action == "conf-repair")] | length == 5' "$T/out"
check "the other lines keep their CR" test "$(grep -c $'\r$' "$C/etc/ca-certificates.conf")" -gt 100

# Bad usage and the unknown --ca.
expect_exit 3 "unknown --ca" "$ATSCHECK" install --root "$R" --ca 'Amazon Root CA 9'
check "it names the CA" grep -q "Amazon Root CA 9" "$T/err"
expect_exit 3 "--local with --bundle" "$ATSCHECK" install --local --bundle "$T/x.pem"
expect_exit 0 "--help" "$ATSCHECK" install --help
finish
