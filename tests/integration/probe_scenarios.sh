#!/usr/bin/env bash
# The probe scenarios (tests/scenarios/*.scn), each run against `atscheck serve` and against an
# independent server (nginx; a tiny Python listener for the stalled and reset connections), on
# 127.0.0.1 only. For every scenario and server: our verdict and cause per probe must be the
# scenario's, and whether we connected must match what the curl command line says with the same
# trust file (and, for HTTP/2, whether it got HTTP/2).
#   SCENARIOS="good reset" bash tests/integration/probe_scenarios.sh   runs only those
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

MKPKI=${MKPKI:-$ATS_BUILD_DIR/tests/mkpki}
TOOLS=$ATS_SOURCE_DIR/tests/tools
SCN=$ATS_SOURCE_DIR/tests/scenarios
TIMEOUT=2
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY

if [ -n "${SCENARIOS:-}" ]; then
  files=(); for s in $SCENARIOS; do files+=("$SCN/$s.scn"); done
else
  files=("$SCN"/*.scn)
fi
"$MKPKI" "$T/pki" "${files[@]}" 2>"$T/mkpki.err" || { cat "$T/mkpki.err"; fail "mkpki"; finish; }

servers=(nginx)
if "$ATSCHECK" serve --help >/dev/null 2>&1; then servers=(serve nginx); else
  echo "# atscheck serve is not in this build: scenarios run against nginx only"; fi

# A low security level for the servers of the weak scenarios (TLS 1.1, RSA 1024): the client
# keeps the system's own.
cat > "$T/lowsec.cnf" <<'EOF'
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
CipherString = DEFAULT:@SECLEVEL=0
MinProtocol = TLSv1
EOF

# A port below the kernel's ephemeral range (other tests' client sockets hold ports there, and a
# port held by a client cannot be listened on even when nothing listens on it).
pick_port() {
  local lo hi p
  read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
  for _ in $(seq 1 200); do
    p=$((10000 + RANDOM % (lo - 10000)))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

directive() { # directive FILE WORD -> the rest of the first line starting with WORD
  sed -n "s/^$2[[:space:]]*//p" "$1" | head -1
}
has() { grep -q "^$2\b" "$1"; }

server_pid=""
start_server() { # kind scenario-file pki-dir port
  local kind=$1 f=$2 d=$3 port=$4 mode
  mode=$(directive "$f" mode)
  server_pid=""
  [ "$mode" = none ] && return 0
  if [ "$kind" = serve ]; then
    local args=(serve --cert "$d/server-cert.pem" --key "$d/server.key" --listen "127.0.0.1:$port")
    [ -f "$d/server-chain.pem" ] && args+=(--chain "$d/server-chain.pem")
    [ -n "$(directive "$f" tls-max)" ] && args+=(--tls-max "$(directive "$f" tls-max)")
    has "$f" no-h2 && args+=(--no-h2)
    case $mode in plain) args+=(--plain) ;; stall) args+=(--stall) ;; reset) args+=(--reset) ;; esac
    local env=()
    has "$f" lowsec && env=(OPENSSL_CONF="$T/lowsec.cnf")
    env "${env[@]}" "$ATSCHECK" "${args[@]}" >"$d/serve.log" 2>&1 &
    server_pid=$!
  elif [ "$mode" = stall ] || [ "$mode" = reset ]; then
    python3 "$TOOLS/misbehave.py" "$mode" "$port" &
    server_pid=$!
  else
    local listen="127.0.0.1:$port" ssl="" protocols="TLSv1.2 TLSv1.3" ciphers="DEFAULT" env=()
    if [ "$mode" != plain ]; then
      listen="$listen ssl"; has "$f" no-h2 || listen="$listen http2"
      [ "$(directive "$f" tls-max)" = 1.1 ] && protocols="TLSv1 TLSv1.1"
      has "$f" lowsec && { ciphers="DEFAULT:@SECLEVEL=0"; env=(OPENSSL_CONF="$T/lowsec.cnf"); }
      ssl="ssl_certificate $d/server.pem; ssl_certificate_key $d/server.key;
           ssl_protocols $protocols; ssl_ciphers $ciphers;"
    fi
    mkdir -p "$d/nginx"
    cat > "$d/nginx.conf" <<EOF
daemon off; master_process off; worker_processes 1; pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $d/nginx; proxy_temp_path $d/nginx; fastcgi_temp_path $d/nginx;
  uwsgi_temp_path $d/nginx; scgi_temp_path $d/nginx;
  server { listen $listen; server_name localhost; $ssl
    location / { default_type text/plain; return 200 "atscheck scenario server\n"; } }
}
EOF
    env "${env[@]}" nginx -p "$d/nginx" -c "$d/nginx.conf" -e "$d/nginx/error.log" &
    server_pid=$!
  fi
  wait_port "$port" 5 || { echo "# $kind did not start for $(basename "$f")"; cat "$d"/*.log "$d"/nginx/error.log 2>/dev/null | tail -5; }
}

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""
}

run_scenario() { # kind file
  local kind=$1 f=$2 name d port
  name=$(basename "$f" .scn); d="$T/pki/$name"
  port=$(pick_port)
  start_server "$kind" "$f" "$d" "$port"
  local url="https://localhost:$port/" res="localhost:$port:127.0.0.1"
  "$ATSCHECK" probe --endpoint "$url" --resolve "$res" --cacert "$d/trust.pem" \
    --lab-roots "$d/lab.pem" --timeout "$TIMEOUT" --format json >"$d/$kind.json" 2>"$d/$kind.err"
  local rc=$?
  for p in h2 h1; do
    local want pname curlflag verdict cause connected alpn
    want=$(sed -n "s/^expect $p[[:space:]]*//p" "$f")
    [ "$p" = h2 ] && { pname=h2; curlflag=--http2; } || { pname=http/1.1; curlflag=--http1.1; }
    read -r verdict cause connected alpn < <(jq -r --arg n "$pname" \
      '.probes[] | select(.name == $n) | "\(.verdict) \(.cause) \(.http != null) \(.tls.alpn // "-")"' "$d/$kind.json")
    if [ "$verdict $cause" = "$want" ]; then pass "$name/$kind/$p: $want"; else
      fail "$name/$kind/$p: got '$verdict $cause', expected '$want'"
      jq -c --arg n "$pname" '.probes[] | select(.name == $n) | {message, error}' "$d/$kind.json" | head -c 600; echo
    fi
    local cv cr
    cv=$(curl -sS -o /dev/null -w '%{http_version}' --cacert "$d/trust.pem" --resolve "$res" \
      --max-time "$TIMEOUT" "$curlflag" "$url" 2>>"$d/curl.err")
    cr=$?
    local curl_connected=false; [ "$cr" -eq 0 ] && curl_connected=true
    if [ "$connected" = "$curl_connected" ]; then pass "$name/$kind/$p: curl agrees (exit $cr)"; else
      fail "$name/$kind/$p: we connected=$connected, curl exit $cr"; fi
    if [ "$p" = h2 ] && [ "$cr" -eq 0 ]; then
      local ours_h2=false curl_h2=false
      [ "$alpn" = h2 ] && ours_h2=true; [ "$cv" = 2 ] && curl_h2=true
      if [ "$ours_h2" = "$curl_h2" ]; then pass "$name/$kind/h2: HTTP/2 agrees with curl ($cv)"; else
        fail "$name/$kind/h2: our ALPN $alpn, curl HTTP/$cv"; fi
    fi
  done
  # The exit code is the worst verdict.
  local worst
  worst=$(jq -r '.exit_code' "$d/$kind.json")
  [ "$rc" -eq "$worst" ] && pass "$name/$kind: exit $rc" || fail "$name/$kind: exit $rc, report says $worst"
  stop_server
}

start=$(date +%s)
for f in "${files[@]}"; do
  for kind in "${servers[@]}"; do run_scenario "$kind" "$f"; done
done
echo "# ${#files[@]} scenarios x ${#servers[@]} servers in $(( $(date +%s) - start )) s"
finish
