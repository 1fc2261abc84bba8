#!/usr/bin/env bash
# atscheck probe --ats-roots against the lab of the 15 ATS test hosts (good./expired./revoked.
# scaNa.amazontrust.com), all on 127.0.0.x via --resolve: served by `atscheck serve
# --ats-roots-lab` (SNI picks the certificate, the revoked hosts staple a response made by
# `openssl ocsp` as the issuing CA's responder) and by nginx (ssl_stapling_file) as the
# independent server. Every cell of the matrix is checked against curl's own verdict on the same
# host with the same trust file (curl --cert-status for the stapled check). Then: a store with
# only the RSA roots, no stapling, a clock in the past, hosts that never answer / reset / do not
# speak TLS, every output format, check --ats-roots, and bad usage.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/ats_roots_lab.sh"
SCHEMA="$ATS_SOURCE_DIR/reports/schema.json"
VALIDATE="$ATS_SOURCE_DIR/tests/lib/validate_report.py"
XSD="$ATS_SOURCE_DIR/reports/junit.xsd"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
PY=python3
for p in /usr/bin/python3 python3; do
  if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done

L=$T/lab
make_ats_lab "$L" || { fail "make the lab (atscheck serve --make-ats-roots-lab + openssl ocsp)"; finish; }
check "openssl ocsp says the revoked leaf is revoked" \
  grep -q "Cert Status: revoked" <<<"$(openssl ocsp -respin "$L/revoked.sca1a.amazontrust.com.ocsp.der" -resp_text -noverify 2>/dev/null)"
# The same lab without any stapled response.
mkdir "$T/nostaple" && cp "$L"/*.pem "$L"/*.key "$T/nostaple/"
cat "$L/sca0a-root.pem" "$L/sca1a-root.pem" "$L/sca2a-root.pem" > "$T/rsa-only.pem"

port=$(free_port)
serve_on() { # ADDR DIR|--mode
  if [ "${2#--}" != "$2" ]; then
    bg_server "$ATSCHECK" serve "$2" --listen "$1:$port" --quiet --timeout 30
  else
    bg_server "$ATSCHECK" serve --ats-roots-lab "$2" --listen "$1:$port" --quiet
  fi
}
serve_on 127.0.0.1 "$L"
serve_on 127.0.0.2 --stall
serve_on 127.0.0.3 --reset
serve_on 127.0.0.4 --plain
serve_on 127.0.0.6 "$T/nostaple"
wait_port "$port" 10 || { fail "serve did not start"; finish; }
for a in 2 3 4 6; do
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.$a/$port") 2>/dev/null && break; sleep 0.05; done
done

resolve() { mapfile -t RES < <(ats_lab_resolve "$@"); }
# run NAME WANT-EXIT ADDR TRUST [atscheck options...]: probe --ats-roots, JSON into $T/NAME.json
run() {
  local name=$1 want=$2 addr=$3 trust=$4; shift 4
  resolve "$addr" "$port"
  expect_exit "$want" "$name: exit $want" "$ATSCHECK" probe --ats-roots --port "$port" "${RES[@]}" \
    --cacert "$trust" --lab-roots "$L/roots.pem" --timeout 5 --format json "$@"
  cp "$T/out" "$T/$name.json"
  if "$PY" -c 'import jsonschema' 2>/dev/null; then
    check "$name: valid against reports/schema.json" "$PY" "$VALIDATE" "$SCHEMA" "$T/$name.json"
  fi
}
cell() { jq -r --arg h "$2" '.roots[] | (.good, .expired, .revoked) | select(.host == $h) | .'"$3" "$1"; }

# curl_agrees NAME ADDR TRUST: each cell's outcome is what curl says on the same host, same trust.
curl_agrees() {
  local name=$1 addr=$2 trust=$3 h rc out want bad=0
  for h in "${ATS_LAB_HOSTS[@]}"; do
    curl -sS -o /dev/null --max-time 5 --cacert "$trust" --resolve "$h:$port:$addr" \
      "https://$h:$port/" 2>"$T/curl.err"
    rc=$?
    out=$(cell "$T/$name.json" "$h" outcome)
    case $rc in 0) want=accepted ;; 60) want=rejected ;; *) want=not-tested ;; esac
    if [ "$out" != "$want" ]; then bad=1; echo "#   $h: curl exit $rc, we say $out"; fi
    if [ "${h%%.*}" = revoked ] && [ "$rc" = 0 ]; then
      curl -sS -o /dev/null --max-time 5 --cert-status --cacert "$trust" --resolve "$h:$port:$addr" \
        "https://$h:$port/" 2>"$T/curl.err"
      rc=$?
      local noticed=false
      [ "$rc" = 91 ] && grep -q "revocation reason" "$T/curl.err" && noticed=true
      if [ "$(cell "$T/$name.json" "$h" noticed)" != "$noticed" ]; then
        bad=1; echo "#   $h: curl --cert-status exit $rc ($(head -c 120 "$T/curl.err")), we say noticed=$(cell "$T/$name.json" "$h" noticed)"
      fi
    fi
  done
  [ "$bad" = 0 ]
}

# --- every root usable, expired refused, revocation noticed through the staple
run all 0 127.0.0.1 "$L/roots.pem"
check "all: 15 cells pass" test "$(jq '[.roots[] | (.good, .expired, .revoked) | select(.status == "pass")] | length' "$T/all.json")" = 15
check "all: says every key type is usable" grep -q "this stack can use ATS chains of every key type" <<<"$(jq -r '.meaning[]' "$T/all.json")"
check "all: the expired ones are rejected as expired" test "$(jq '[.roots[].expired | select(.cause == "expired")] | length' "$T/all.json")" = 5
check "all: revocation noticed 5 of 5 (stapled OCSP)" test "$(jq -c '[.revocation.noticed, .revocation.judged]' "$T/all.json")" = "[5,5]"
check "all: the staple says revoked, keyCompromise" test "$(jq -r '.hosts[] | select(.name == "revoked.sca3a.amazontrust.com") | .stapled_ocsp | "\(.cert_status) \(.reason) \(.libcurl.verdict)"' "$T/all.json")" = "revoked keyCompromise refused"
check "all: the responder named in the certificate is reported, not asked" test "$(jq -r '.hosts[] | select(.name == "revoked.sca0a.amazontrust.com") | .ocsp_responder | "\(.url) \(.tried)"' "$T/all.json")" = "http://ocsp.sca0a.lab.invalid/ false"
check "all: each root's family of keys, from the chain each host sent" \
  test "$(jq -r '[.hosts[] | select(.kind == "good") | .certificates.sent[1] | "\(.key_type)\(.key_bits)"] | join(",")' "$T/all.json")" = "RSA2048,RSA2048,RSA2048,EC256,EC384"
check "all: each chain anchored at its own root" \
  test "$(jq -r '[.hosts[] | select(.kind == "good") | .certificates.anchor.ats.name] | join(",")' "$T/all.json")" = "Starfield Services Root Certificate Authority - G2,Amazon Root CA 1,Amazon Root CA 2,Amazon Root CA 3,Amazon Root CA 4"
check "all: every cell is curl's verdict" curl_agrees all 127.0.0.1 "$L/roots.pem"

# --- a store with only the RSA roots: EC chains fail, said in words, with the fix
run rsa 1 127.0.0.1 "$T/rsa-only.pem"
check "rsa: EC good hosts rejected" test "$(cell "$T/rsa.json" good.sca3a.amazontrust.com outcome),$(cell "$T/rsa.json" good.sca4a.amazontrust.com outcome)" = "rejected,rejected"
check "rsa: RSA good hosts accepted" test "$(jq -r '[.roots[0,1,2].good.outcome] | unique | join(",")' "$T/rsa.json")" = accepted
check "rsa: 'EC chains fail: ... lacks Amazon Root CA 3, Amazon Root CA 4'" \
  grep -qF "EC chains fail: this stack or store lacks Amazon Root CA 3, Amazon Root CA 4" <<<"$(jq -r '.meaning[]' "$T/rsa.json")"
check "rsa: one missing-root problem with the install fix" test "$(jq -r '[.problems[] | select(.cause == "missing-root") | .fix] | length' "$T/rsa.json")" = 1
check "rsa: EC expired/revoked cells not judged (skip)" test "$(jq -r '[.roots[3,4] | .expired.status, .revoked.status] | unique | join(",")' "$T/rsa.json")" = skip
check "rsa: every cell is curl's verdict" curl_agrees rsa 127.0.0.1 "$T/rsa-only.pem"

# --- nothing stapled: revocation is not checked (information), CRITICAL when required
run nostaple 0 127.0.0.6 "$L/roots.pem"
check "nostaple: 'revocation is not checked by this stack'" grep -q "revocation is not checked by this stack" <<<"$(jq -r '.meaning[]' "$T/nostaple.json")"
check "nostaple: revoked cells pass as information" test "$(jq -r '[.roots[].revoked | "\(.status) \(.noticed) \(.cause)"] | unique | join(",")' "$T/nostaple.json")" = "pass false revocation-unchecked"
check "nostaple: libcurl refused for want of a response" grep -q "No OCSP response" <<<"$(jq -r '.hosts[] | select(.kind == "revoked") | .stapled_ocsp.libcurl.message' "$T/nostaple.json")"
check "nostaple: every cell is curl's verdict" curl_agrees nostaple 127.0.0.6 "$L/roots.pem"
run required 2 127.0.0.6 "$L/roots.pem" --require-revocation
check "required: revoked cells fail" test "$(jq -r '[.roots[].revoked.status] | unique | join(",")' "$T/required.json")" = fail

# --- a clock two months back: the expired chains verify (CRITICAL), the good ones are not yet valid
run clock 2 127.0.0.1 "$L/roots.pem" --at "@$(( $(date +%s) - 60 * 86400 ))"
check "clock: 'an expired chain was accepted'" grep -q "an expired chain was accepted: the clock or verification is wrong" <<<"$(jq -r '.meaning[]' "$T/clock.json")"
check "clock: five expired-accepted problems, CRITICAL" test "$(jq '[.problems[] | select(.cause == "expired-accepted" and .severity == "CRITICAL")] | length' "$T/clock.json")" = 5

# --- a host that never answers, one that resets, one that is not TLS: those cells say so
resolve 127.0.0.1 "$port" good.sca0a.amazontrust.com=127.0.0.2 expired.sca2a.amazontrust.com=127.0.0.3 revoked.sca4a.amazontrust.com=127.0.0.4
start=$(date +%s%N)
expect_exit 1 "bad hosts: WARNING" "$ATSCHECK" probe --ats-roots --port "$port" "${RES[@]}" \
  --cacert "$L/roots.pem" --lab-roots "$L/roots.pem" --timeout 2 --format json
ms=$(( ($(date +%s%N) - start) / 1000000 ))
cp "$T/out" "$T/bad.json"
check "bad hosts: the whole run bounded by --timeout 2 ($ms ms)" test "$ms" -lt 4500
check "bad hosts: never answers -> not tested, stalled" test "$(cell "$T/bad.json" good.sca0a.amazontrust.com outcome) $(cell "$T/bad.json" good.sca0a.amazontrust.com cause)" = "not-tested stalled"
check "bad hosts: resets -> not tested, reset" test "$(cell "$T/bad.json" expired.sca2a.amazontrust.com outcome) $(cell "$T/bad.json" expired.sca2a.amazontrust.com cause)" = "not-tested reset"
check "bad hosts: not TLS -> not tested, not-tls" test "$(cell "$T/bad.json" revoked.sca4a.amazontrust.com outcome) $(cell "$T/bad.json" revoked.sca4a.amazontrust.com cause)" = "not-tested not-tls"
check "bad hosts: the other 12 cells filled and passing" test "$(jq '[.roots[] | (.good, .expired, .revoked) | select(.status == "pass")] | length' "$T/bad.json")" = 12
check "bad hosts: the cell names its host" grep -q "good.sca0a.amazontrust.com: not tested" <<<"$(jq -r '.problems[].message' "$T/bad.json")"

# --- the independent server: nginx, each name its own server block, ssl_stapling_file
if command -v nginx >/dev/null; then
  mkdir -p "$T/nginx"
  {
    echo "daemon off; master_process off; worker_processes 1; pid $T/nginx/nginx.pid;"
    echo "error_log $T/nginx/error.log; events { worker_connections 64; }"
    echo "http { access_log off; client_body_temp_path $T/nginx; proxy_temp_path $T/nginx;"
    echo "  fastcgi_temp_path $T/nginx; uwsgi_temp_path $T/nginx; scgi_temp_path $T/nginx;"
    for h in "${ATS_LAB_HOSTS[@]}"; do
      echo "  server { listen 127.0.0.5:$port ssl http2; server_name $h;"
      echo "    ssl_certificate $L/$h.pem; ssl_certificate_key $L/$h.key;"
      [ -f "$L/$h.ocsp.der" ] && echo "    ssl_stapling on; ssl_stapling_file $L/$h.ocsp.der;"
      echo "    location / { default_type text/plain; return 200 \"$h\\n\"; } }"
    done
    echo "}"
  } > "$T/nginx.conf"
  bg_server nginx -p "$T/nginx" -c "$T/nginx.conf" -e "$T/nginx/error.log"
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.5/$port") 2>/dev/null && break; sleep 0.05; done
  run nginx 0 127.0.0.5 "$L/roots.pem"
  check "nginx: revocation noticed 5 of 5 (nginx's staple)" test "$(jq -c '[.revocation.noticed, .revocation.judged]' "$T/nginx.json")" = "[5,5]"
  check "nginx: every cell is curl's verdict" curl_agrees nginx 127.0.0.5 "$L/roots.pem"
else
  echo "# nginx not installed: the independent server is skipped"
fi

# --- the other formats, from the same runs
"$ATSCHECK" report render "$T/rsa.json" --format prometheus > "$T/rsa.prom" 2>"$T/err"
check "prometheus: promtool accepts it" promtool check metrics < "$T/rsa.prom"
check "prometheus: Root CA 3 (EC P-256) not usable" grep -qxF 'atscheck_ats_root_usable{root="Amazon Root CA 3",key="EC P-256"} 0' "$T/rsa.prom"
check "prometheus: Root CA 1 usable" grep -qxF 'atscheck_ats_root_usable{root="Amazon Root CA 1",key="RSA 2048"} 1' "$T/rsa.prom"
check "prometheus: one state set per host" test "$(grep -c '^atscheck_check_status{command="ats-roots",check="[a-z]*\.sca[0-4]a\.amazontrust\.com",status="pass"}' "$T/rsa.prom")" = 15
"$ATSCHECK" report render "$T/clock.json" --format prometheus > "$T/clock.prom" 2>"$T/err"
check "prometheus: expired accepted is 1 under a wrong clock" grep -qxF 'atscheck_ats_root_expired_accepted{root="Amazon Root CA 4",key="EC P-384"} 1' "$T/clock.prom"
"$ATSCHECK" report render "$T/rsa.json" --format junit > "$T/rsa.xml" 2>"$T/err"
check "junit: valid against reports/junit.xsd" xmllint --noout --schema "$XSD" "$T/rsa.xml"
check "junit: one case per host (15)" test "$(xmllint --xpath 'count(//testcase)' "$T/rsa.xml")" = 15
check "junit: good.sca3a fails" test "$(xmllint --xpath 'count(//testcase[@name="good.sca3a.amazontrust.com"]/failure)' "$T/rsa.xml")" = 1
expect_exit 1 "nagios: WARNING" "$ATSCHECK" report render "$T/rsa.json" --format nagios
check "nagios: the status line says EC chains fail" grep -q "^ATSCHECK WARNING - ats-roots: EC chains fail" "$T/out"
resolve 127.0.0.1 "$port"
expect_exit 0 "text: exit 0" "$ATSCHECK" probe --ats-roots --port "$port" "${RES[@]}" --cacert "$L/roots.pem" --lab-roots "$L/roots.pem"
check "text: a row per root with its three outcomes" grep -qE "^  Amazon Root CA 4 +EC P-384 +accepted +rejected +noticed$" "$T/out"

# --- check --ats-roots folds the matrix into the verdict
expect_exit 2 "check --ats-roots with a wrong clock: CRITICAL" "$ATSCHECK" check --ats-roots --port "$port" "${RES[@]}" \
  --cacert "$L/roots.pem" --lab-roots "$L/roots.pem" --endpoint "https://good.sca1a.amazontrust.com:$port/" \
  --at "@$(( $(date +%s) - 60 * 86400 ))" --format json
cp "$T/out" "$T/check.json"
check "check: the matrix nested, its 15 checks on top" test "$(jq -c '[.ats_roots.command, (.checks | length)]' "$T/check.json")" = '["ats-roots",15]'
check "check: its problems carried, tagged ats-roots" test "$(jq '[.problems[] | select(.part == "ats-roots" and .cause == "expired-accepted")] | length' "$T/check.json")" = 5
if "$PY" -c 'import jsonschema' 2>/dev/null; then
  check "check: valid against reports/schema.json" "$PY" "$VALIDATE" "$SCHEMA" "$T/check.json"
fi

# --- serve --ocsp-response staples for its one identity too (curl --cert-status reads it)
p2=$(free_port)
bg_server "$ATSCHECK" serve --cert "$L/revoked.sca1a.amazontrust.com.pem" --key "$L/revoked.sca1a.amazontrust.com.key" \
  --ocsp-response "$L/revoked.sca1a.amazontrust.com.ocsp.der" --listen "127.0.0.1:$p2" --quiet
wait_port "$p2" 10
curl -sS -o /dev/null --max-time 5 --cert-status --cacert "$L/roots.pem" \
  --resolve "revoked.sca1a.amazontrust.com:$p2:127.0.0.1" "https://revoked.sca1a.amazontrust.com:$p2/" 2>"$T/curl.err"
check "serve --ocsp-response: curl --cert-status sees it revoked (exit 91)" grep -q "(91) SSL certificate revocation reason" "$T/curl.err"

# --- bad usage: one line naming the fault, exit 3
expect_exit 3 "--port without --ats-roots" "$ATSCHECK" probe --port 443
check "  it says so" grep -q "apply only with --ats-roots" "$T/err"
expect_exit 3 "--ats-roots with --endpoint" "$ATSCHECK" probe --ats-roots --endpoint https://x.example/
mkdir -p "$T/empty"
expect_exit 3 "serve --ats-roots-lab on a folder that is not a lab" "$ATSCHECK" serve --ats-roots-lab "$T/empty"
check "  it names the folder" grep -qF "$T/empty: not a lab folder" "$T/err"
echo garbage > "$T/bad.der"
expect_exit 3 "serve --ocsp-response that is not one" "$ATSCHECK" serve --cert "$L/good.sca1a.amazontrust.com.pem" \
  --key "$L/good.sca1a.amazontrust.com.key" --ocsp-response "$T/bad.der" --listen 127.0.0.1:0
check "  it names the file" grep -qF "$T/bad.der: not a DER OCSP response" "$T/err"
finish
