#!/usr/bin/env bash
# No secret in any output: a proxy password planted in --proxy and in each proxy variable, and the
# secrets of an AVS SDK config given by --sdk-config (good and broken), are looked for in every
# format of every command that sees a proxy or a config, and in its stderr. A real CONNECT proxy
# on 127.0.0.1 that wants the credentials proves the password was really used, not just dropped;
# the redacted form (fielduser:***@) proves the proxy was shown.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/lab.sh"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
FORMATS=(text json prometheus junit nagios)

lab_serve || finish
PW_PROXY=pw-Opt9qK2x   # the one the real proxy accepts
python3 "$ATS_SOURCE_DIR/tests/lib/connect_proxy.py" "fielduser:$PW_PROXY" > "$T/proxy.out" 2>&1 &
_pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$T/proxy.out" 2>/dev/null && break; sleep 0.05; done
pport=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$T/proxy.out")
check "the CONNECT proxy is listening" test -n "$pport"
dead=$(free_port)

# Every planted secret, one a line: each must never appear in any output.
SECRETS=$T/secrets
printf '%s\n' "$PW_PROXY" pw-HttpsLow7 pw-HttpsUp8 pw-AllLow5 pw-AllUp6 pw-HttpLow3 pw-HttpUp4 \
  pw-NoProxy2 sdk-ClientSecret-1f3 sdk-RefreshToken-9a7 sdk-DeviceToken-c4e sdk-AccessToken-77b \
  sdk-Broken-Secret-5d sdk-Broken-Token-6e > "$SECRETS"

cat > "$T/sdk.json" <<JSON
{
  "deviceInfo": {"clientId": "amzn1.application-oa2-client.test", "productId": "TestSpeaker",
                 "deviceSerialNumber": "123456"},
  "authDelegate": {"clientSecret": "sdk-ClientSecret-1f3", "refreshToken": "sdk-RefreshToken-9a7"},
  "cblAuthDelegate": {"deviceToken": "sdk-DeviceToken-c4e", "accessToken": "sdk-AccessToken-77b"},
  "libcurlUtils": {"CURLOPT_CAINFO": "$g/trust.pem"}
}
JSON
# Broken right at a secret: a parser's "near '...'" would quote it.
printf '{"authDelegate": {"clientSecret": sdk-Broken-Secret-5d}}\n' > "$T/sdk-bad1.json"
printf '{"authDelegate": {"refreshToken": "sdk-Broken-Token-6e' > "$T/sdk-bad2.json"

runs=0
# scan NAME ENV... -- COMMAND...: the command in every format (stdout and stderr); none may hold a
# planted secret. The text run is kept as $T/NAME.text for the checks that follow.
scan() {
  local name=$1; shift
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  local f leaks
  for f in "${FORMATS[@]}"; do
    env "${envs[@]}" "$@" --format "$f" > "$T/$name.$f" 2>&1
    leaks=$(grep -oFf "$SECRETS" "$T/$name.$f" | sort -u | tr '\n' ' ')
    runs=$((runs + 1))
    if [ -z "$leaks" ]; then pass "$name --format $f: no secret"; else
      fail "$name --format $f shows: $leaks"; grep -nFf "$SECRETS" "$T/$name.$f" | head -5 | sed 's/^/    /'
    fi
  done
}

# --- the proxy, from the option and from each variable libcurl reads
scan probe-opt -- "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" \
  --proxy "http://fielduser:$PW_PROXY@127.0.0.1:$pport"
check "the probe went through the proxy with the password (passed)" \
  grep -q '^Verdict: OK' "$T/probe-opt.text"
check "the proxy is shown, redacted" grep -qF "fielduser:***@127.0.0.1:$pport" "$T/probe-opt.text"
check "json: the proxy url, redacted, per probe" jq -e --arg u "http://fielduser:***@127.0.0.1:$pport" \
  '.proxy == $u and ([.probes[].proxy.url] | unique) == [$u]' "$T/probe-opt.json"
check "the proxy answered CONNECT 200 (credentials accepted)" \
  jq -e '[.probes[].proxy.connect_status] | unique == [200]' "$T/probe-opt.json"

scan probe-opt-wrong -- "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" \
  --proxy "http://fielduser:pw-HttpsLow7@127.0.0.1:$pport"
check "a wrong password: the proxy refuses (407), named redacted" \
  grep -qF "fielduser:***@127.0.0.1:$pport" "$T/probe-opt-wrong.text"

for var in https_proxy:pw-HttpsLow7 HTTPS_PROXY:pw-HttpsUp8 all_proxy:pw-AllLow5 ALL_PROXY:pw-AllUp6; do
  v=${var%%:*} pw=${var#*:}
  scan "probe-$v" "$v=http://fielduser:$pw@127.0.0.1:$dead" -- "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem"
  check "probe through \$$v: the proxy named, redacted" grep -qF "fielduser:***@127.0.0.1:$dead" "$T/probe-$v.text"
done
# Without a scheme, as libcurl and https_proxy accept it.
scan probe-noscheme "https_proxy=fielduser:pw-HttpsLow7@127.0.0.1:$dead" -- "$ATSCHECK" probe "${P[@]}" \
  --cacert "$g/trust.pem"
check "a proxy without a scheme, redacted" grep -qF "fielduser:***@127.0.0.1:$dead" "$T/probe-noscheme.text"
# http_proxy (not used for https) and no_proxy-style lists, planted with credentials too.
scan probe-httpvars "http_proxy=http://fielduser:pw-HttpLow3@127.0.0.1:$dead" \
  "HTTP_PROXY=http://fielduser:pw-HttpUp4@127.0.0.1:$dead" "no_proxy=fielduser:pw-NoProxy2@example.invalid" \
  "NO_PROXY=fielduser:pw-NoProxy2@example.invalid" -- "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem"

# --- check: proxy and SDK config together
scan check-opt -- "$ATSCHECK" check "${P[@]}" --cacert "$g/trust.pem" --sdk-config "$T/sdk.json" \
  --proxy "http://fielduser:$PW_PROXY@127.0.0.1:$pport"
check "check: the proxy shown, redacted" jq -e --arg u "http://fielduser:***@127.0.0.1:$pport" \
  '.probe.proxy == $u' "$T/check-opt.json"
check "check: the SDK config's store was audited" grep -qF "$g/trust.pem" "$T/check-opt.text"
scan check-env "https_proxy=http://fielduser:pw-HttpsUp8@127.0.0.1:$dead" -- "$ATSCHECK" check "${P[@]}" \
  --cacert "$g/trust.pem" --sdk-config "$T/sdk-bad1.json"

# --- the SDK config, good and broken, in every command that reads one
for cfg in sdk sdk-bad1 sdk-bad2; do
  scan "audit-$cfg" -- "$ATSCHECK" audit --sdk-config "$T/$cfg.json"
  scan "chain-$cfg" -- "$ATSCHECK" chain "$g/server-chain.pem" --host localhost --sdk-config "$T/$cfg.json"
done
check "a broken config is named with its line and column" \
  grep -qE "sdk-bad1.json: not valid JSON at line 1 column [0-9]+" "$T/audit-sdk-bad1.text"

# --- selftest (probes loopback; a proxy in the environment is seen by it too)
scan selftest "https_proxy=http://fielduser:pw-AllUp6@127.0.0.1:$dead" -- "$ATSCHECK" selftest --timeout 5

# --- a report saved before redaction existed (or edited by hand): rendering never shows it
"$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format json > "$T/old.json"
jq --arg u "http://fielduser:pw-HttpsLow7@127.0.0.1:3128" --arg m "proxy fielduser:pw-HttpsUp8@127.0.0.1:3128 refused" \
  '.proxy = $u | .probes[].proxy = {url: $u, connect_status: 407} | .problems += [{severity: "CRITICAL", message: $m, fix: "see https://fielduser:pw-AllLow5@wiki/x"}]
   | .sdk = {authDelegate: {clientSecret: "sdk-ClientSecret-1f3", refreshToken: "sdk-RefreshToken-9a7"}, tokens: ["fielduser:pw-AllUp6@h"]}' \
  "$T/old.json" > "$T/leaky.json"
check "the planted report holds the secrets (the test can fail)" grep -qF pw-HttpsLow7 "$T/leaky.json"
scan render -- "$ATSCHECK" report render "$T/leaky.json"
check "render json: a secret key's value is ***, the key kept" \
  jq -e '.sdk.authDelegate.clientSecret == "***" and .sdk.authDelegate.refreshToken == "***"' "$T/render.json"
mkdir -p "$T/fleet" && cp "$T/leaky.json" "$T/fleet/dev1.json"
FORMATS=(text json prometheus junit markdown html)
scan merge -- "$ATSCHECK" report merge "$T/fleet"

# --- a bad --proxy value on stderr
FORMATS=(text json)
scan bad-proxy -- "$ATSCHECK" probe --endpoint "https://fielduser:pw-HttpUp4@localhost:$port/" \
  --resolve "localhost:$port:127.0.0.1" --cacert "$g/trust.pem" --timeout 3 \
  --proxy "ftp://fielduser:pw-HttpLow3@127.0.0.1:$dead"
echo "# $runs outputs scanned for $(wc -l < "$SECRETS") planted secrets"
finish
