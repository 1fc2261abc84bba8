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

# jq -e passes on empty input (jq 1.6 exits 0 having read nothing), so a check on the output of a
# command that printed nothing would pass. Here `jq -e` fails on an empty input file or an empty
# standard input, saying so; every other use is jq's own.
jq() {
  if [ "${1:-}" != -e ]; then command jq "$@"; return; fi
  local a files=0 args=() n=0
  for a in "${@:2}"; do
    if [ -e "$a" ] && [ ! -d "$a" ] && [ ! -f "$a" ]; then # a pipe (<(command)): read it once
      n=$((n + 1))
      cat "$a" > "$T/.jq-input.$n"
      a="$T/.jq-input.$n"
    fi
    if [ -f "$a" ]; then
      files=$((files + 1))
      if [ ! -s "$a" ]; then echo "jq -e: ${a} is empty" >&2; return 1; fi
    fi
    args+=("$a")
  done
  if [ "$files" -gt 0 ]; then command jq -e "${args[@]}"; return; fi
  local in
  in=$(cat; echo x) && in=${in%x}
  if [ -z "${in//[[:space:]]/}" ]; then echo "jq -e: empty input" >&2; return 1; fi
  printf '%s' "$in" | command jq -e "${args[@]}"
}

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
