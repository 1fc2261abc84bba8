#!/usr/bin/env bash
# Real JSON reports of every atscheck command, passing and failing, validated against
# reports/schema.json with python3-jsonschema (tests/lib/validate_report.py): audit, bundle,
# probe and chain and check against `atscheck serve` on 127.0.0.1 with a PKI mkpki makes here,
# selftest, dha verify (one file, --dir), dha provision, dha sign, dha log merge, dak csr, install (--dry-run and real,
# into scratch roots), report merge of all of them. Each report's exit_code must be the
# process's. Reports broken on purpose must be rejected.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
SCHEMA="$ATS_SOURCE_DIR/reports/schema.json"
VALIDATE="$ATS_SOURCE_DIR/tests/lib/validate_report.py"
MKPKI=${MKPKI:-$ATS_BUILD_DIR/tests/mkpki}
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
PY=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
R=$T/reports
mkdir -p "$R"

# report NAME COMMAND WANT-EXIT ARGS... : runs atscheck ARGS --format json into $R/NAME.json;
# the exit code, the report's command and its exit_code must be the expected ones.
report() {
  local name=$1 cmd=$2 want=$3; shift 3
  "$ATSCHECK" "$@" --format json --device-id "dev-$name" > "$R/$name.json" 2> "$T/$name.err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$name: exit $got, expected $want: $(head -c 300 "$T/$name.err")"
  elif ! jq -e --arg c "$cmd" --argjson x "$got" '.command == $c and .exit_code == $x' "$R/$name.json" >/dev/null 2>&1; then
    fail "$name: not a '$cmd' report with exit_code $got: $(head -c 200 "$R/$name.json")"
  else
    pass "$name ran ($cmd, exit $got)"
  fi
}

# --- audit ---
mkdir -p "$T/six"
"$ATSCHECK" bundle export "$T/six" >/dev/null
cat "$T"/six/*.pem > "$T/six.pem"
cat "$T/six/Amazon_Root_CA_1.pem" "$T/six/Amazon_Root_CA_3.pem" > "$T/two.pem"
head -c 700 "$T/six/Amazon_Root_CA_2.pem" > "$T/truncated.pem"
cat "$T/six.pem" "$T/truncated.pem" > "$T/six-and-broken.pem"
printf 'garbage\n' > "$T/garbage.pem"
# An impostor: Amazon Root CA 1's name on another key.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Amazon Root CA 1" \
  -days 30 -keyout "$T/imp.key" -out "$T/impostor.pem" 2>/dev/null
cat "$T/impostor.pem" "$T/six/Amazon_Root_CA_3.pem" > "$T/with-impostor.pem"

report audit-six audit 0 audit --bundle "$T/six.pem"
report audit-two audit 1 audit --bundle "$T/two.pem"
report audit-garbage audit 2 audit --bundle "$T/garbage.pem"
report audit-missing-file audit 3 audit --bundle "$T/nope.pem" --bundle "$T/six.pem"
report audit-expired audit 2 audit --bundle "$T/six.pem" --at 2041-01-01
# Starfield Class 2 (2004) is already valid in 2010: a WARNING, not CRITICAL.
report audit-not-yet-valid audit 1 audit --bundle "$T/six.pem" --at 2010-01-01
report audit-impostor audit 2 audit --bundle "$T/with-impostor.pem"
report audit-expiring audit 1 audit --bundle "$T/six.pem" --warn-days 36500
report audit-broken-entry audit 1 audit --bundle "$T/six-and-broken.pem"
report audit-two-stores audit 1 audit --bundle "$T/six.pem" --bundle "$T/two.pem"
mkdir -p "$T/sdkcerts" && cp "$T/six/Amazon_Root_CA_1.pem" "$T/sdkcerts/" && openssl rehash "$T/sdkcerts"
printf '{"libcurlUtils": {"CURLOPT_CAPATH": "%s"}}' "$T/sdkcerts" > "$T/sdk-capath.json"
"$ATSCHECK" audit --bundle "$T/six.pem" --sdk-config "$ATS_SOURCE_DIR/tests/fixtures/sdk/AlexaClientSDKConfig.json" \
  --sdk-config "$T/sdk-capath.json" --format json --device-id dev-audit-sdk > "$R/audit-sdk.json" 2>/dev/null
if [ -d /etc/ssl/certs ]; then report audit-capath audit 0 audit --capath /etc/ssl/certs; fi
"$ATSCHECK" audit --format json > "$R/audit-system.json" 2>/dev/null
report bundle-list bundle 0 bundle list

# --- probe, chain, check: `atscheck serve` on 127.0.0.1 with a lab PKI ---
"$MKPKI" "$T/pki" "$ATS_SOURCE_DIR/tests/scenarios/good.scn" "$ATS_SOURCE_DIR/tests/scenarios/expired-leaf.scn" \
  > "$T/mkpki.out" 2>&1 || { fail "mkpki: $(head -3 "$T/mkpki.out")"; finish; }
g=$T/pki/good e=$T/pki/expired-leaf
serve() { # NAME DIR: serves DIR's chain on a port it picks, sets $port
  "$ATSCHECK" serve --cert "$2/server-cert.pem" --key "$2/server.key" --chain "$2/server-chain.pem" \
    --listen 127.0.0.1:0 --quiet > "$T/$1.out" 2> "$T/$1.err" &
  _pids+=($!)
  for _ in $(seq 1 100); do grep -q "listening on" "$T/$1.out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/$1.out")
  check "serve $1 is listening" test -n "$port"
}
serve good "$g"; pg=$port
serve expired "$e"; pe=$port
pr=$(free_port)
P=(--endpoint "https://localhost:$pg/" --resolve "localhost:$pg:127.0.0.1" --lab-roots "$g/lab.pem" --timeout 3)
PE=(--endpoint "https://localhost:$pe/" --resolve "localhost:$pe:127.0.0.1" --lab-roots "$e/lab.pem" --timeout 3)

report probe-ok probe 0 probe "${P[@]}" --cacert "$g/trust.pem" --save-chain "$T/good-chain.pem"
report probe-h2-only probe 0 probe "${P[@]}" --cacert "$g/trust.pem" --http2
report probe-refused probe 2 probe --endpoint "https://localhost:$pr/" --resolve "localhost:$pr:127.0.0.1" \
  --cacert "$g/trust.pem" --timeout 3
report probe-expired probe 2 probe "${PE[@]}" --cacert "$e/trust.pem" --save-chain "$T/expired-chain.pem"
report probe-untrusted probe 2 probe "${P[@]}" --cacert "$g/server-chain.pem"
report probe-clock probe 2 probe "${P[@]}" --cacert "$g/trust.pem" --at 2000-01-01
report probe-bad-store probe 2 probe "${P[@]}" --cacert "$T/garbage.pem"

report chain-ok chain 0 chain "$T/good-chain.pem" --host localhost --bundle "$g/trust.pem" --lab-roots "$g/lab.pem"
report chain-expired chain 2 chain "$T/expired-chain.pem" --host localhost --bundle "$e/trust.pem" --lab-roots "$e/lab.pem"
report chain-wrong-host chain 2 chain "$T/good-chain.pem" --host other.example --bundle "$g/trust.pem" --lab-roots "$g/lab.pem"
report chain-untrusted chain 2 chain "$T/good-chain.pem" --host localhost --bundle "$T/six.pem" --lab-roots "$g/lab.pem"
report chain-unknown-root chain 2 chain "$T/good-chain.pem" --host localhost --bundle "$T/six.pem"
report chain-missing-store chain 3 chain "$T/good-chain.pem" --bundle "$T/nope.pem"

report check-offline check 0 check --offline --bundle "$T/six.pem"
report check-offline-two check 1 check --offline --bundle "$T/two.pem"
report check-probe check 2 check "${P[@]}" --cacert "$g/trust.pem"
# An AVS SDK config (the template's shape) with a loopback gateway: the gateway probed too.
printf '{"avsGatewayManager": {"avsGateway": "https://localhost:%s"}, "libcurlUtils": {"verifyHostsAndPeers": false}}' "$pg" > "$T/gw.json"
report check-sdk-gateway check 2 check "${P[@]}" --cacert "$g/trust.pem" \
  --sdk-config "$ATS_SOURCE_DIR/tests/fixtures/sdk/AlexaClientSDKConfig.json" --sdk-config "$T/gw.json"
if ! jq -e '.gateway.probe.command == "probe" and .audit.sdk.verify_hosts_and_peers == false' "$R/check-sdk-gateway.json" >/dev/null; then
  fail "check-sdk-gateway: no gateway probe or sdk section"
fi
report check-probe-refused check 2 check --endpoint "https://localhost:$pr/" --resolve "localhost:$pr:127.0.0.1" \
  --bundle "$T/six.pem" --timeout 3
mkdir -p "$T/image/etc/ssl/certs"
cp "$g/trust.pem" "$T/image/etc/ssl/certs/ca-certificates.crt"
report check-root check 2 check --root "$T/image"
report selftest selftest 0 selftest

# --- dak csr, dha provision, dha verify ---
D=$T/dha
mkdir -p "$D/dakdir"
printf '[ req ]\nprompt = no\ndistinguished_name = dn\n[ dn ]\nC = US\nO = Example Devices Inc.\nCN = Example Speaker DAK\n' > "$D/dak.conf"
cp "$ATS_SOURCE_DIR"/tests/fixtures/dha/{device.conf,ca.ext} "$D/"
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$D/root.key" \
  -subj "/CN=Test Device Attestation Root" -days 3650 -out "$D/root.pem" -config "$D/ca.ext" -extensions root 2>/dev/null
report dak-csr "dak csr" 0 dak csr --config "$D/dak.conf" --out "$D/dakdir"
openssl x509 -req -in "$D/dakdir/dak.csr" -CA "$D/root.pem" -CAkey "$D/root.key" -set_serial 7 -days 3650 \
  -extfile "$D/ca.ext" -extensions dak -out "$D/dak.pem" 2>/dev/null
cp "$D/dakdir/dak_private_key.pem" "$D/dak.key" && chmod 600 "$D/dak.key"
PROV=(dha provision --config "$D/device.conf" --dak-cert "$D/dak.pem" --count 3 --jobs 2 --barcode none)
report provision "dha provision" 0 "${PROV[@]}" --dak-key "$D/dak.key" --out "$D/batch"
report provision-again "dha provision" 0 "${PROV[@]}" --dak-key "$D/dak.key" --out "$D/batch"
cp "$D/dak.key" "$D/open.key" && chmod 644 "$D/open.key"
report provision-open-key "dha provision" 1 "${PROV[@]}" --dak-key "$D/open.key" --allow-open-dak-key --out "$D/batch2"
mkdir -p "$D/csrs" && for c in "$D"/batch/*/device.csr; do cp "$c" "$D/csrs/$(basename "$(dirname "$c")").csr"; done
head -c 100 /dev/urandom > "$D/csrs/zz-bad.csr"
SIGN=(dha sign --config "$D/device.conf" --dak-cert "$D/dak.pem" --dak-key "$D/dak.key" --jobs 2)
report sign "dha sign" 2 "${SIGN[@]}" --dir "$D/csrs" --out "$D/signed"
report sign-one "dha sign" 0 "${SIGN[@]}" "$(ls "$D"/csrs/*.csr | head -1)" --id one-device --out "$D/signed1"
report log-merge "dha log merge" 0 dha log merge "$D/signed" --out "$D/upload"
report log-merge-dup "dha log merge" 2 dha log merge "$D/signed" "$D/signed1" --out "$D/upload2"  # one key twice
devs=("$D"/batch/*-00000?)
d=${devs[0]}
report dha-good "dha verify" 0 dha verify "$d/certificate.pem" --key "$d/private_key.pem" \
  --control-log-key "$d/dha-control-log-public-key.txt" --config "$D/device.conf" --anchor "$D/root.pem"
report dha-minimal "dha verify" 0 dha verify "$d/certificate.pem"
cat "$D/dak.pem" "$d/device-certificate.pem" > "$D/reversed.pem"
report dha-reversed "dha verify" 2 dha verify "$D/reversed.pem"
report dha-one-cert "dha verify" 2 dha verify "$d/device-certificate.pem"
report dha-expired "dha verify" 2 dha verify "$d/certificate.pem" --at 2040-01-01
report dha-wrong-key "dha verify" 2 dha verify "$d/certificate.pem" --key "${devs[1]}/private_key.pem"
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$D/leaf-dak.key" \
  -subj "/CN=Not a CA DAK" -days 3650 -out "$D/leaf-dak.pem" -addext basicConstraints=CA:FALSE 2>/dev/null
openssl req -new -key "$d/private_key.pem" -subj "/CN=Example Speaker DHA" -out "$D/dev.csr" 2>/dev/null
openssl x509 -req -in "$D/dev.csr" -CA "$D/leaf-dak.pem" -CAkey "$D/leaf-dak.key" -days 1825 -sha256 \
  -extfile "$D/device.conf" -extensions req_ext -out "$D/leaf-signed.pem" 2>/dev/null
cat "$D/leaf-signed.pem" "$D/leaf-dak.pem" > "$D/leaf-chain.pem"
report dha-dak-not-ca "dha verify" 1 dha verify "$D/leaf-chain.pem"
head -c 900 "$d/certificate.pem" > "$D/truncated.pem"
report dha-truncated "dha verify" 3 dha verify "$D/truncated.pem"
report dha-dir "dha verify" 0 dha verify --dir "$D/batch" --config "$D/device.conf" --anchor "$D/root.pem"
mkdir -p "$D/tree/good" "$D/tree/rev" "$D/tree/trunc" "$D/tree/warn"
cp "$d/certificate.pem" "$D/tree/good/"
cp "$D/reversed.pem" "$D/tree/rev/certificate.pem"
cp "$D/truncated.pem" "$D/tree/trunc/certificate.pem"
cp "$D/leaf-chain.pem" "$D/tree/warn/certificate.pem"
report dha-dir-broken "dha verify" 2 dha verify --dir "$D/tree"

# --- install into scratch roots: a plain bundle (any platform), an unknown platform, and a
# Debian image with Debian's own update-ca-certificates when this machine has it ---
mkdir -p "$T/plain/etc/ssl" "$T/empty"
cp "$T/six/Amazon_Root_CA_1.pem" "$T/plain/etc/ssl/cacert.pem"
report install-bundle-dry install 1 install --root "$T/plain" --bundle /etc/ssl/cacert.pem --dry-run
report install-bundle install 0 install --root "$T/plain" --bundle /etc/ssl/cacert.pem
report install-bundle-again install 0 install --root "$T/plain" --bundle /etc/ssl/cacert.pem
report install-unknown install 3 install --root "$T/empty"
UCC=$(command -v update-ca-certificates || echo /usr/sbin/update-ca-certificates)
if [ -x "$UCC" ] && [ -d /usr/share/ca-certificates/mozilla ] && [ -f /etc/ca-certificates.conf ]; then
  . "$ATS_SOURCE_DIR/tests/lib/install_image.sh"
  I=$T/img
  seed_image "$I"
  # CA 2's file gone and unlisted, CA 3 deselected with '!', CA 4 unlisted.
  rm -f "$I/usr/share/ca-certificates/mozilla/Amazon_Root_CA_2.crt"
  sed -i -e '/Amazon_Root_CA_2/d' -e 's|^mozilla/Amazon_Root_CA_3.crt|!mozilla/Amazon_Root_CA_3.crt|' \
    -e '/Amazon_Root_CA_4/d' "$I/etc/ca-certificates.conf"
  if build_certs "$I"; then
    report install-debian-dry install 1 install --root "$I" --dry-run
    report install-debian install 1 install --root "$I"
    report install-debian-reselect install 0 install --root "$I" --reselect
    report install-debian-again install 0 install --root "$I"
  else
    fail "seeding the Debian image with update-ca-certificates"
  fi
else
  echo "# no Debian ca-certificates here: the Debian install scenarios are left out"
fi

# --- report merge: every report above is a device; then against itself as baseline ---
cp -r "$R" "$T/fleet"
report merge merge 2 report merge "$T/fleet"
report merge-baseline merge 2 report merge "$T"/fleet/*.json --baseline "$R/merge.json"

# --- Every command is covered; every report is valid. ---
cmds=$(jq -r .command "$R"/*.json | sort -u | tr '\n' ',')
check "every command has real reports here ($cmds)" test "$cmds" = \
  "audit,bundle,chain,check,dak csr,dha log merge,dha provision,dha sign,dha verify,install,merge,probe,selftest,"
"$PY" "$VALIDATE" "$SCHEMA" "$R"/*.json > "$T/valid.out" 2>&1
vrc=$?
for f in "$R"/*.json; do
  if grep -q "^$f: " "$T/valid.out"; then
    fail "$(basename "$f" .json) is not valid: $(grep "^$f: " "$T/valid.out" | head -2 | cut -c1-300)"
  else
    pass "$(basename "$f" .json) is valid against reports/schema.json"
  fi
done
check "the validator accepts all $(ls "$R" | wc -l) reports (exit $vrc)" test "$vrc" -eq 0
[ "$vrc" -eq 0 ] || head -20 "$T/valid.out"

# The scenarios really differ where the schema looks.
check "audit: impostor status" jq -e '[.stores[0].cas[] | .status] | index("impostor")' "$R/audit-impostor.json"
check "audit: expired status" jq -e '[.stores[0].cas[] | .status] | unique == ["expired"]' "$R/audit-expired.json"
check "audit: unreadable store has an error" jq -e '.stores[0].error | test("cannot open")' "$R/audit-missing-file.json"
check "probe: causes ok, refused, expired, untrusted, clock" jq -se \
  '[.[] | .probes[0].cause] == ["ok", "refused", "expired", "untrusted", "clock"]' \
  "$R/probe-ok.json" "$R/probe-refused.json" "$R/probe-expired.json" "$R/probe-untrusted.json" "$R/probe-clock.json"
check "probe: refused has no certificates, ok has them" \
  jq -se '(.[0].probes[0] | has("certificates") | not) and (.[1].probes[0].certificates.verified)' \
  "$R/probe-refused.json" "$R/probe-ok.json"
check "chain: results ok, expired, hostname, untrusted, unknown-root; a store error" jq -se \
  '[.[0:5][] | .stores[0].result.cause] == ["ok", "expired", "hostname", "untrusted", "unknown-root"]
   and (.[5].stores[0] | has("error"))' "$R/chain-ok.json" "$R/chain-expired.json" "$R/chain-wrong-host.json" \
  "$R/chain-untrusted.json" "$R/chain-unknown-root.json" "$R/chain-missing-store.json"
check "check: probe null offline, nested otherwise" jq -se \
  '(.[0].probe == null and (.[0].probe_skipped | length > 0)) and .[1].probe.command == "probe"' \
  "$R/check-offline.json" "$R/check-probe.json"
check "dha verify: 15 checks with pass, warn, fail and skip among them" jq -se \
  '(map(.checks | length) | unique == [15]) and ([.[].checks[].status] | unique == ["fail", "pass", "skip", "warn"])' \
  "$R/dha-good.json" "$R/dha-reversed.json" "$R/dha-dak-not-ca.json"
check "dha verify: a truncated file is UNKNOWN with an error and no checks" \
  jq -e '.verdict == "UNKNOWN" and (.error | length > 0) and .checks == []' "$R/dha-truncated.json"
check "dha verify --dir: 4 devices, one of each verdict" \
  jq -e '.summary == {"devices": 4, "ok": 1, "warning": 1, "critical": 1, "unreadable": 1}' "$R/dha-dir-broken.json"
check "provision: made 3, then 3 already done" jq -se '.[0].devices.made == 3 and .[1].devices.already_done == 3' \
  "$R/provision.json" "$R/provision-again.json"
check "install: dry run appends 5, real run leaves nothing to do the second time" jq -se \
  '([.[0].changes[] | select(.action == "append")] | length) == 5 and .[0].dry_run and (.[1].nothing_to_do | not)
   and .[2].nothing_to_do and .[3].family == "unknown"' \
  "$R/install-bundle-dry.json" "$R/install-bundle.json" "$R/install-bundle-again.json" "$R/install-unknown.json"
check "merge: every report a device" jq -e --argjson n "$(ls "$T/fleet" | wc -l)" '.files.devices == $n' "$R/merge.json"

# The validator can fail: reports broken in ways the schema must catch, one kind per line.
# broken NAME SOURCE JQ-FILTER WHERE: rejected, with an error at the JSON path WHERE.
broken() {
  jq "$3" "$R/$2.json" > "$T/bad-$1.json"
  "$PY" "$VALIDATE" "$SCHEMA" "$T/bad-$1.json" > "$T/v.out" 2>&1
  local rc=$?
  if [ "$rc" -ne 1 ]; then fail "broken $1: validator exit $rc (expected 1)"
  elif ! grep -q "^$T/bad-$1.json: $4: " "$T/v.out"; then fail "broken $1: no error at $4: $(head -1 "$T/v.out" | cut -c1-200)"
  else pass "broken $1 rejected: $(grep "^$T/bad-$1.json: $4: " "$T/v.out" | head -1 | sed "s|^$T/||" | cut -c1-160)"; fi
}
broken ca-status audit-six '.stores[0].cas[1].status = "bogus"' 'stores/0/cas/1/status'
broken verdict-exit audit-six '.exit_code = 2' 'exit_code'
broken no-problems audit-two 'del(.problems)' '[(]top[)]'
broken sha256 audit-six '.stores[0].cas[0].sha256 = "XYZ"' 'stores/0/cas/0/sha256'
broken merge-count merge '.files.read = -1' 'files/read'
broken command-name audit-six '.command = "Audit!"' 'command'
broken check-status dha-good '.checks[0].status = "ok"' 'checks/0/status'
broken probe-name probe-ok '.probes[0].name = "h3"' 'probes/0/name'
broken probe-cause probe-expired '.probes[0].cause = "bogus"' 'probes/0/cause'
broken probe-times probe-ok '.probes[0].times_ms.tls = "fast"' 'probes/0/times_ms/tls'
broken probe-certs-without-handshake probe-refused '.probes[0].certificates = .probes[0].handshake' 'probes/0'
broken verified-no-anchor probe-ok '.probes[0].certificates.anchor = null' 'probes/0/certificates/anchor'
broken ok-with-fix probe-ok '.probes[0].fix = "do something"' 'probes/0/fix'
broken chain-no-result chain-ok 'del(.stores[0].result)' 'stores/0'
broken check-no-summary check-probe 'del(.summary)' '[(]top[)]'
broken check-part check-probe '.problems[0].part = "x"' 'problems/0/part'
broken check-subreport check-probe '.probe.probes[0].verdict = "CRITICAL"' 'probe'
broken selftest-expect selftest '.runs[0].expect = "bogus"' 'runs/0/expect'
broken dha-missing-check dha-good 'del(.checks[3])' 'checks'
broken dha-dir-pass-listed dha-dir '.devices[0].checks = [{"name": "chain", "status": "pass"}]' 'devices/0/checks/0/status'
broken provision-devices provision 'del(.devices.made)' 'devices'
broken dak-spki dak-csr '.spki_sha256 = "x"' 'spki_sha256'
broken install-action install-bundle '.changes[0].action = "rm"' 'changes/0/action'
broken install-after install-bundle '.cas[0].after = "gone"' 'cas/0/after'
broken install-unknown-ok install-unknown '.verdict = "OK" | .exit_code = 0' 'verdict'
finish
