#!/usr/bin/env bash
# Text output as a person sees it: atscheck runs in a real terminal (tmux); capture-pane -e shows
# the colours it drew; with NO_COLOR, through a pipe, or with --output there are none.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
if ! command -v tmux >/dev/null; then echo "tmux not installed: skipped"; echo "0 passed, 0 failed"; exit 0; fi
"$ATSCHECK" bundle export "$T/pem" >/dev/null 2>&1 || { mkdir -p "$T/pem"; "$ATSCHECK" bundle export "$T/pem" >/dev/null; }
cat "$T/pem/Amazon_Root_CA_1.pem" "$T/pem/Amazon_Root_CA_3.pem" > "$T/two.pem"
SOCK="atscheck-color-$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null; _cleanup' EXIT

# screen NAME COMMAND: runs COMMAND in a fresh 160x50 terminal, waits for it to finish, and
# leaves the screen (with escapes) in $T/NAME.screen and as plain text in $T/NAME.plain.
screen() {
  local name=$1 cmd=$2
  tm kill-session -t "$name" 2>/dev/null
  tm new-session -d -s "$name" -x 160 -y 50 "env -u NO_COLOR TERM=xterm-256color bash --norc --noprofile -c '$cmd; echo __DONE__; sleep 30'"
  for _ in $(seq 1 100); do
    grep -q __DONE__ <<<"$(tm capture-pane -p -t "$name")" && break
    sleep 0.1
  done
  tm capture-pane -p -e -t "$name" > "$T/$name.screen"
  tm capture-pane -p -t "$name" > "$T/$name.plain"
  tm kill-session -t "$name"
}
esc=$'\033'

screen tty "$ATSCHECK audit --bundle $T/two.pem --at 2030-01-01"
check "the run finished in the terminal" grep -q 'Verdict: WARNING' "$T/tty.plain"
check "colours on a terminal" grep -q "$esc\[" "$T/tty.screen"
check "present CAs in green" grep -qE "${esc}\[32m(present|$esc)" "$T/tty.screen"
check "missing CAs in red" grep -q "${esc}\[31mmissing" "$T/tty.screen"
check "the WARNING verdict in yellow" grep -q "${esc}\[33mWARNING" "$T/tty.screen"
check "what the person reads is the same words as piped output" \
  diff <(grep -v __DONE__ "$T/tty.plain" | sed 's/ *$//' | grep -v '^$') <("$ATSCHECK" audit --bundle "$T/two.pem" --at 2030-01-01 | sed 's/ *$//' | grep -v '^$')

screen nocolor "NO_COLOR=1 $ATSCHECK audit --bundle $T/two.pem"
check "NO_COLOR run finished" grep -q 'Verdict: WARNING' "$T/nocolor.plain"
check "NO_COLOR: no colour on the terminal" bash -c "! grep -q '$esc\[3[0-9]m' '$T/nocolor.screen'"

screen pipe "$ATSCHECK audit --bundle $T/two.pem | cat"
check "piped run finished" grep -q 'Verdict: WARNING' "$T/pipe.plain"
check "pipe: no colour" bash -c "! grep -q '$esc\[3[0-9]m' '$T/pipe.screen'"

screen output "$ATSCHECK audit --bundle $T/two.pem --output $T/o.txt; cat $T/o.txt"
check "--output: no escape codes in the file" bash -c "! grep -q '$esc' '$T/o.txt'"

mkdir -p "$T/r"; "$ATSCHECK" audit --bundle "$T/two.pem" --format json --device-id d1 > "$T/r/d1.json"
screen merge "$ATSCHECK report merge $T/r"
check "fleet summary in colour on a terminal" grep -q "${esc}\[33mWARNING" "$T/merge.screen"
finish
