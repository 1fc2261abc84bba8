#!/usr/bin/env bash
# --format prometheus of every command, passing and failing, as Prometheus reads it: promtool
# check metrics clean, one label set per family, no series twice; and the probe's families that
# ssl_exporter / blackbox_exporter users rely on (TLS and HTTP version, each sent certificate's
# notBefore beside notAfter, its subject / issuer / serial / fingerprint, the failure cause),
# read from the probe's own JSON. A failed handshake still reports the phases that happened, the
# same in text and in metrics.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/lab.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

# labelsets FILE: "family names..." for each family whose samples carry more than one label set.
labelsets() {
  awk '!/^#/ && NF {
    name = $0; sub(/[{ ].*/, "", name)
    keys = ""
    if (match($0, /\{.*\}/)) {
      s = substr($0, RSTART + 1, RLENGTH - 2)
      while (match(s, /^[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?/)) {
        k = substr(s, 1, RLENGTH); sub(/=.*/, "", k); keys = keys k ","
        s = substr(s, RLENGTH + 1)
      }
    }
    if (name in seen && seen[name] != keys) bad[name] = 1
    seen[name] = keys
  } END { for (n in bad) print n }' "$1"
}
# prom NAME WANT_EXIT CMD...: runs it; exit code, promtool, label sets, no repeated series.
prom() {
  local name=$1 want=$2; shift 2
  "$@" --format prometheus > "$T/$name.prom" 2> "$T/$name.err"
  local got=$?
  check "$name: exit $got (want $want)" test "$got" = "$want"
  if promtool check metrics < "$T/$name.prom" > "$T/$name.lint" 2>&1; then pass "$name: promtool check metrics clean"; else
    fail "$name: promtool"; head -5 "$T/$name.lint" | sed 's/^/    /'
  fi
  check "$name: one label set per family ($(labelsets "$T/$name.prom" | tr '\n' ' '))" test -z "$(labelsets "$T/$name.prom")"
  check "$name: no series twice" test -z "$(grep -v '^#' "$T/$name.prom" | sed 's/ [^ ]*$//' | sort | uniq -d)"
  check "$name: has samples" grep -q '^atscheck_' "$T/$name.prom"
}

"$ATSCHECK" bundle export "$T/pem" >/dev/null 2>&1 || { mkdir -p "$T/pem"; "$ATSCHECK" bundle export "$T/pem" >/dev/null; }
cat "$T"/pem/*.pem > "$T/six.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.pem"
printf 'garbage\n' > "$T/garbage.pem"

prom audit-ok 0 "$ATSCHECK" audit --bundle "$T/six.pem" --at 2030-01-01
prom audit-warn 1 "$ATSCHECK" audit --bundle "$T/two.pem"
prom audit-crit 2 "$ATSCHECK" audit --bundle "$T/garbage.pem"
prom audit-unknown 3 "$ATSCHECK" audit --bundle "$T/six.pem" --bundle "$T/nope.pem"
prom bundle 0 "$ATSCHECK" bundle list
cp "$T/two.pem" "$T/target.pem"
# (a dry run installs nothing, so four CAs are still missing: WARNING)
prom install-dry 1 "$ATSCHECK" install --dry-run --bundle "$T/target.pem"

lab_serve || finish
dead=$(free_port)

prom probe-ok 0 "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem"
prom probe-untrusted 2 "$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem"
prom probe-refused 2 "$ATSCHECK" probe --endpoint "https://localhost:$dead/" --resolve "localhost:$dead:127.0.0.1" --timeout 2
prom check 2 "$ATSCHECK" check "${P[@]}" --cacert "$g/trust.pem"
prom check-offline 0 "$ATSCHECK" check --offline --bundle "$T/six.pem" --at 2030-01-01
cat "$g/server-cert.pem" "$g/server-chain.pem" > "$T/chain.pem"
prom chain-ok 0 "$ATSCHECK" chain "$T/chain.pem" --host localhost --bundle "$g/trust.pem" --lab-roots "$g/lab.pem"
prom chain-fail 2 "$ATSCHECK" chain "$T/chain.pem" --host localhost --bundle "$T/six.pem"
prom selftest 0 "$ATSCHECK" selftest
D=$T/dha
lab_dha "$D"
"$ATSCHECK" dha verify "$D/certificate.pem" --format json > "$D/v.json"
prom dha-verify "$(jq .exit_code "$D/v.json")" "$ATSCHECK" dha verify "$D/certificate.pem"
# The device certificate with another DAK (same name, another key): the signature fails.
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -keyout "$D/dak2.key" \
  -subj "/CN=Test DAK" -days 3650 -out "$D/dak2.pem" -addext basicConstraints=critical,CA:TRUE,pathlen:0 2>/dev/null
cat "$D/dev.pem" "$D/dak2.pem" > "$D/wrong-dak.pem"
prom dha-verify-fail 2 "$ATSCHECK" dha verify "$D/wrong-dak.pem"
mkdir -p "$T/fleet"
"$ATSCHECK" audit --bundle "$T/two.pem" --format json --device-id d1 > "$T/fleet/d1.json"
"$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem" --format json --device-id d2 > "$T/fleet/d2.json"
"$ATSCHECK" check --offline --bundle "$T/six.pem" --format json --device-id d3 > "$T/fleet/d3.json"
prom merge 2 "$ATSCHECK" report merge "$T/fleet"
prom render-probe 2 "$ATSCHECK" report render "$T/fleet/d2.json"

# --- the probe's families, from its own JSON
"$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format json > "$T/ok.json"
"$ATSCHECK" report render "$T/ok.json" --format prometheus > "$T/ok.prom"
for proto in h2 http/1.1; do
  q=".probes[] | select(.name == \"$proto\")"
  tv=$(jq -r "$q | .tls.version" "$T/ok.json") hv=$(jq -r "$q | .http.version" "$T/ok.json")
  check "$proto: tls_version_info{version=\"$tv\"}" \
    grep -qxF "atscheck_probe_tls_version_info{protocol=\"$proto\",version=\"$tv\"} 1" "$T/ok.prom"
  check "$proto: http_version_info{version=\"$hv\"}" \
    grep -qxF "atscheck_probe_http_version_info{protocol=\"$proto\",version=\"$hv\"} 1" "$T/ok.prom"
  check "$proto: cause ok" grep -qxF "atscheck_probe_cause_info{protocol=\"$proto\",cause=\"ok\"} 1" "$T/ok.prom"
  n=$(jq "$q | .certificates.sent | length" "$T/ok.json")
  for d in $(seq 0 $((n - 1))); do
    c="$q | .certificates.sent[$d]"
    subj=$(jq -r "$c | .subject" "$T/ok.json")
    check "$proto depth $d: not_before beside not_after" grep -qxF \
      "atscheck_probe_cert_not_before_timestamp_seconds{protocol=\"$proto\",depth=\"$d\",subject=\"$subj\"} $(jq "$c | .not_before_epoch" "$T/ok.json")" "$T/ok.prom"
    check "$proto depth $d: cert_info subject, issuer, serial, sha256" grep -qxF \
      "atscheck_probe_cert_info{protocol=\"$proto\",depth=\"$d\",subject=\"$subj\",issuer=\"$(jq -r "$c | .issuer" "$T/ok.json")\",serial=\"$(jq -r "$c | .serial" "$T/ok.json")\",sha256=\"$(jq -r "$c | .sha256" "$T/ok.json")\"} 1" "$T/ok.prom"
  done
done
check "the serial is the certificate's own (openssl x509 -serial)" \
  test "$(jq -r '.probes[0].certificates.sent[0].serial' "$T/ok.json")" = \
       "$(openssl x509 -in "$g/server-cert.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f')"

# --- a failed probe: its cause as a label, and the phases that happened, in text and metrics alike
"$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem" --format json > "$T/bad.json"
"$ATSCHECK" report render "$T/bad.json" --format prometheus > "$T/bad.prom"
"$ATSCHECK" report render "$T/bad.json" > "$T/bad.txt"
check "the failed probe's cause is a label" \
  grep -qxF 'atscheck_probe_cause_info{protocol="h2",cause="untrusted"} 1' "$T/bad.prom"
check "the handshake was answered and the chain seen, but did not complete" \
  jq -e '[.probes[].handshake | .answered and .chain_seen and (.completed | not)] | all' "$T/bad.json"
check "tcp and tls times present in JSON after the failed handshake" \
  jq -e '[.probes[].times_ms | (.tcp | type) == "number" and (.tls | type) == "number"] | all' "$T/bad.json"
check "text shows them (no 'tcp -' or 'tls -')" bash -c "! grep -qE 'tcp -|tls -' '$T/bad.txt'"
for proto in h2 http/1.1; do
  for pair in "tcp:(.dns + .tcp)" "tls:(.dns + .tcp + .tls)"; do
    phase=${pair%%:*} expr=${pair#*:}
    want=$(jq --arg p "$proto" ".probes[] | select(.name == \$p) | .times_ms | $expr / 1000" "$T/bad.json")
    got=$(sed -n "s/^atscheck_probe_duration_seconds{protocol=\"${proto//\//\\/}\",phase=\"$phase\"} //p" "$T/bad.prom")
    check "failed $proto $phase: ${got:-none} s in metrics = the text's phases (${want:-none} s)" \
      awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; exit !(a != "" && b != "" && a > 0 && d < 1e-6 && d > -1e-6) }'
  done
  # The text's per-phase milliseconds are the JSON's, rounded to 0.1.
  tcp_txt=$(awk -v p="$proto" '$1 == p { f = 1; next } f && /dns/ { sub(/.*tcp /, ""); sub(/ ms.*/, ""); print; exit }' "$T/bad.txt")
  tcp_json=$(jq --arg p "$proto" '.probes[] | select(.name == $p) | .times_ms.tcp' "$T/bad.json")
  check "failed $proto: text tcp ${tcp_txt:-none} ms = JSON $tcp_json ms" \
    awk -v a="$tcp_txt" -v b="$tcp_json" 'BEGIN { d = a - b; exit !(a != "" && d <= 0.051 && d >= -0.051) }'
done
finish
