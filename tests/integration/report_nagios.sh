#!/usr/bin/env bash
# --format nagios read the way the Monitoring Plugins guidelines define it (tests/lib/nagios_plugin.py:
# status word, text, perfdata grammar, range syntax) for every command that writes it, passing
# and failing, and its exit code against the -w/-c thresholds: the same -w/-c, and the same
# output, whether a command writes nagios itself or report render renders its JSON.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/lab.sh"
GRAMMAR="$ATS_SOURCE_DIR/tests/lib/nagios_plugin.py"
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
"$ATSCHECK" bundle export "$T/pem" >/dev/null 2>&1 || { mkdir -p "$T/pem"; "$ATSCHECK" bundle export "$T/pem" >/dev/null; }
cat "$T"/pem/*.pem > "$T/six.pem"
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.pem"
: > "$T/empty.pem"

# plugin NAME WANT_EXIT CMD...: runs it; the exit code is WANT_EXIT and the output reads as a
# plugin's (grammar, status word = exit code, exit code >= the thresholds' state).
plugin() {
  local name=$1 want=$2; shift 2
  "$@" > "$T/$name.nag" 2> "$T/$name.err"
  local got=$?
  check "$name: exit $got (want $want)" test "$got" = "$want"
  if python3 "$GRAMMAR" "$got" < "$T/$name.nag" > "$T/$name.gram"; then pass "$name: plugin grammar"; else
    fail "$name: plugin grammar"; sed 's/^/    /' "$T/$name.gram"; head -2 "$T/$name.nag" | cut -c1-300 | sed 's/^/    out: /'
  fi
}
state() { sed -n 's/^threshold_state //p' "$T/$1.gram"; }

# --- audit: the thresholds judge, and the perfdata says the same ranges
# Starfield Class 2 (2034-06-29) has 393 days left at 2033-06-01, 59 at 2034-05-01.
plugin a-ok 0 "$ATSCHECK" audit --bundle "$T/six.pem" --at 2033-06-01 --format nagios
check "default ranges 30: and 7:, min 0, no unit" \
  grep -qF "'Starfield Class 2 Certification Authority (six.pem)'=393;30:;7:;0;" "$T/a-ok.nag"
check "the thresholds give OK" test "$(state a-ok)" = 0
plugin a-warn 1 "$ATSCHECK" audit --bundle "$T/six.pem" --at 2033-06-01 --format nagios -w 400 -c 30
check "-w 400: the perfdata range is 400:" grep -qF "=393;400:;30:;0;" "$T/a-warn.nag"
check "the thresholds give WARNING, as the exit code" test "$(state a-warn)" = 1
plugin a-crit 2 "$ATSCHECK" audit --bundle "$T/six.pem" --at 2033-06-01 --format nagios --warning 3000 --critical 400
check "the thresholds give CRITICAL, as the exit code" test "$(state a-crit)" = 2
check "the status line names the CA and its days" \
  grep -q '^ATSCHECK CRITICAL - .*Starfield Class 2 Certification Authority expires in 393 days' "$T/a-crit.nag"
# 59 days left: the audit's own horizon (365 days) warns in JSON; nagios judges by -w/-c alone.
"$ATSCHECK" audit --bundle "$T/six.pem" --at 2034-05-01 --format json > "$T/a59.json"
check "the audit's JSON warns at its 365-day horizon" \
  jq -e '.exit_code == 1 and ([.problems[].cause] | index("ca-expiring")) != null' "$T/a59.json"
plugin a59-direct 0 "$ATSCHECK" audit --bundle "$T/six.pem" --at 2034-05-01 --format nagios -w 30 -c 7
plugin a59-render 0 "$ATSCHECK" report render "$T/a59.json" --format nagios -w 30 -c 7
check "direct and rendered nagios: the same output" cmp "$T/a59-direct.nag" "$T/a59-render.nag"
plugin a59-w60 1 "$ATSCHECK" audit --bundle "$T/six.pem" --at 2034-05-01 --format nagios -w 60 -c 7
plugin a59-w60-render 1 "$ATSCHECK" report render "$T/a59.json" --format nagios -w 60 -c 7
check "-w 60: direct and rendered the same" cmp "$T/a59-w60.nag" "$T/a59-w60-render.nag"
check "the ca-expiring horizon is not in the status line (the thresholds say it)" \
  bash -c "! grep -q 'within 365 days' '$T/a59-w60.nag'"
# Other problems stay: missing CAs are a WARNING whatever the thresholds.
plugin a-two 1 "$ATSCHECK" audit --bundle "$T/two.pem" --format nagios -w 0 -c 0
check "missing CAs: problem lines after the status line" test "$(wc -l < "$T/a-two.nag")" -ge 2
# An expired CA (at 2039 Amazon Root CA 1 and both Starfield roots are past): no thresholds on it.
plugin a-expired "$("$ATSCHECK" audit --bundle "$T/six.pem" --at 2039-01-01 --format json > "$T/a39.json"; jq .exit_code "$T/a39.json")" \
  "$ATSCHECK" audit --bundle "$T/six.pem" --at 2039-01-01 --format nagios
check "an expired CA's perfdata carries no range" grep -qE "'Amazon Root CA 1 \(six.pem\)'=-[0-9]+;;;;" "$T/a-expired.nag"
# Nothing to measure: no perfdata, and no bare '|'.
plugin a-empty 2 "$ATSCHECK" audit --bundle "$T/empty.pem" --format nagios
check "no '|' at all without perfdata" bash -c "! grep -qF '|' '$T/a-empty.nag'"
plugin a-unread 3 "$ATSCHECK" audit --bundle "$T/nope.pem" --format nagios
check "UNKNOWN names the file" grep -q '^ATSCHECK UNKNOWN - .*nope.pem' "$T/a-unread.nag"

# --- probe, check, selftest, chain, dha verify: the same -w/-c
lab_serve || finish
plugin p-ok 0 "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format nagios
check "probe: a perfdata item per certificate" test "$(head -1 "$T/p-ok.nag" | grep -o "'[^']*'=" | wc -l)" -ge 2
plugin p-warn 1 "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format nagios -w 36500 -c 0
check "probe -w 36500: the thresholds give WARNING" test "$(state p-warn)" = 1
plugin p-crit 2 "$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format nagios -w 36500 -c 36500
plugin p-fail 2 "$ATSCHECK" probe "${P[@]}" --cacert "$g/server-chain.pem" --format nagios
dead=$(free_port)
plugin p-dead 2 "$ATSCHECK" probe --endpoint "https://localhost:$dead/" --resolve "localhost:$dead:127.0.0.1" \
  --timeout 2 --format nagios
check "nothing reached: no perfdata, no '|'" bash -c "! grep -qF '|' '$T/p-dead.nag'"
"$ATSCHECK" probe "${P[@]}" --cacert "$g/trust.pem" --format json > "$T/p.json"
plugin p-render-warn 1 "$ATSCHECK" report render "$T/p.json" --format nagios -w 36500 -c 0
check "probe: the same perfdata direct and rendered" \
  test "$(head -1 "$T/p-warn.nag" | sed 's/^[^|]*|//')" = "$(head -1 "$T/p-render-warn.nag" | sed 's/^[^|]*|//')"
plugin c-warn 1 "$ATSCHECK" check --offline --bundle "$T/six.pem" --at 2033-06-01 --format nagios -w 400 -c 0
plugin c-ok 0 "$ATSCHECK" check --offline --bundle "$T/six.pem" --at 2034-05-01 --format nagios
# (the lab's "Amazon Root CA 1" in trust.pem is an impostor to the audit: CRITICAL whatever -w says)
plugin c-probe 2 "$ATSCHECK" check "${P[@]}" --cacert "$g/trust.pem" --format nagios -w 0 -c 0
cat "$g/server-cert.pem" "$g/server-chain.pem" > "$T/chain.pem"
plugin chain-ok 0 "$ATSCHECK" chain "$T/chain.pem" --host localhost --bundle "$g/trust.pem" \
  --lab-roots "$g/lab.pem" --format nagios
plugin chain-crit 2 "$ATSCHECK" chain "$T/chain.pem" --host localhost --bundle "$g/trust.pem" \
  --lab-roots "$g/lab.pem" --format nagios -c 36500
plugin self 0 "$ATSCHECK" selftest --format nagios
plugin self-warn 1 "$ATSCHECK" selftest --format nagios -w 36500 -c 0
finish
