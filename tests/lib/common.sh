# Shared by the integration tests (bash). Source it first:
#   . "$ATS_SOURCE_DIR/tests/lib/common.sh"
# Gives: $ATSCHECK (the binary under test), $T (a scratch folder removed on exit), check/expect_exit
# assertions that count, free_port, wait_port, and `finish` which prints "N passed, N failed"
# and sets the exit status. Servers started with `bg_server` are killed on exit.
set -uo pipefail
: "${ATSCHECK:?ATSCHECK must name the atscheck binary under test}"
: "${ATS_SOURCE_DIR:?}"
T=$(mktemp -d /tmp/atscheck-it.XXXXXX)
_pids=()
_passed=0
_failed=0
_cleanup() {
  for p in "${_pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$T"
}
trap _cleanup EXIT

pass() { _passed=$((_passed + 1)); echo "ok - $*"; }
fail() { _failed=$((_failed + 1)); echo "FAIL - $*"; }

# check "description" command...   : passes when the command succeeds
check() { local d=$1; shift; if "$@" >/dev/null; then pass "$d"; else fail "$d"; fi; }

# expect_exit CODE "description" command... : runs it (stdout/stderr to $T/out, $T/err)
expect_exit() {
  local want=$1 d=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then pass "$d (exit $got)"; else
    fail "$d: exit $got, expected $want"; sed 's/^/    stdout: /' "$T/out" | head -20
    sed 's/^/    stderr: /' "$T/err" | head -20
  fi
}

# A TCP port nobody listens on, from a range unlikely to collide with parallel tests.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT.
wait_port() {
  local p=$1 t=${2:-10} i
  for i in $(seq 1 $((t * 20))); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# bg_server command... : starts it in the background, killed when the test exits.
bg_server() { "$@" & _pids+=($!); }

finish() {
  echo "$_passed passed, $_failed failed"
  [ "$_failed" -eq 0 ]
  exit $?
}
