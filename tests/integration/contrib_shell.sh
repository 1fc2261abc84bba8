#!/usr/bin/env bash
# contrib/: bash completion loads and completes commands, options and formats from the real
# binary; the man page renders without warnings and describes every command and every long option
# the binary's --help shows; cmake --install puts everything where a package expects it.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
COMP="$ATS_SOURCE_DIR/contrib/completion/atscheck.bash"
MAN="$ATS_SOURCE_DIR/contrib/man/atscheck.1"

complete_words() { # words... (the last is being completed)
  bash --norc --noprofile -c '
    source "$1"; shift
    complete -p atscheck >/dev/null || exit 9
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _atscheck; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP" "$@"
}
check "completion loads in bash and registers atscheck" bash --norc --noprofile -c "source '$COMP' && complete -p atscheck"
check "commands: 'au' -> audit" test "$(complete_words "$ATSCHECK" au)" = audit
out=$(complete_words "$ATSCHECK" "")
check "all commands of --help offered" bash -c "for c in audit bundle report; do grep -qx \$c <<<'$out' || exit 1; done"
check "options of the command: audit --b -> --bundle" test "$(complete_words "$ATSCHECK" audit --b)" = --bundle
check "report subcommands" test "$(complete_words "$ATSCHECK" report "" | tr '\n' ' ')" = "merge render "
check "merge options: --baseline" test "$(complete_words "$ATSCHECK" report merge --bas)" = --baseline
fmts=$(complete_words "$ATSCHECK" audit --format "" | tr '\n' ' ')
check "audit --format offers the five formats" test "$fmts" = "text json prometheus junit nagios "
mkdir -p "$T/dir.d"; : > "$T/file.pem"
check "--root completes folders" test "$(cd "$T" && complete_words "$ATSCHECK" audit --root di)" = dir.d
check "--bundle completes files" test "$(cd "$T" && complete_words "$ATSCHECK" audit --bundle fil)" = file.pem

# Man page.
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z "$MAN" > "$T/groff.err" 2>&1
  check "groff renders the man page with no warning" test ! -s "$T/groff.err"
  sed 's/^/    /' "$T/groff.err" | head

  # The page as plain text, unhyphenated, one line per paragraph, so no command or option name
  # is split; sections (.SH) start in column 0 and commands (.SS) in column 3.
  groff -man -Tascii -rHY=0 -rLL=5000n -P-cbou "$MAN" > "$T/man.flat" 2>/dev/null
  # man_part REGEX: the sections and subsections whose heading matches REGEX, headings included.
  man_part() { awk -v re="$1" '/^[^ ]|^   [^ ]/ { on = ($0 ~ re) } on' "$T/man.flat"; }
  man_part '^SYNOPSIS' > "$T/man.synopsis"
  man_part '^COMMON OPTIONS' > "$T/man.common"
  check "man page has COMMON OPTIONS" test -s "$T/man.common"
  man_part '^EXIT STATUS' > "$T/man.exit"
  for e in "0 OK" "1 WARNING" "2 CRITICAL" "3 UNKNOWN"; do
    check "exit status $e documented" grep -qE "^ +${e% *} +${e#* }" "$T/man.exit"
  done

  # Every command of --help has its synopsis and its section; every long option that the
  # command's --help (and its subcommands': dha verify, report merge...) names is in that
  # section or in COMMON OPTIONS. A command this binary lacks (install before it lands) is
  # not asked for.
  commands=$("$ATSCHECK" --help | sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z0-9-]*\) .*/\1/p')
  check "atscheck --help lists commands" test -n "$commands"
  for c in $commands; do
    check "SYNOPSIS shows 'atscheck $c'" grep -qE "atscheck (\[$c\]|$c)( |\$)" "$T/man.synopsis"
    check "COMMANDS has a section for 'atscheck $c'" grep -qE "^   atscheck $c( |\$)" "$T/man.flat"
    { man_part "^   atscheck $c( |\$)"; cat "$T/man.common"; } > "$T/man.$c"
    "$ATSCHECK" "$c" --help > "$T/help.$c" 2>&1
    check "'atscheck $c --help' exits 0" test $? -eq 0
    for sub in $(grep -oE "atscheck $c [a-z][a-z0-9-]*" "$T/help.$c" | cut -d' ' -f3 | sort -u); do
      "$ATSCHECK" "$c" "$sub" --help >> "$T/help.$c" 2>&1
      check "'atscheck $c $sub --help' exits 0" test $? -eq 0
      check "man page describes 'atscheck $c $sub'" grep -qw -- "$sub" "$T/man.$c"
    done
    missing=""
    for o in $(grep -oE -- '--[a-z0-9][a-z0-9.-]*[a-z0-9]' "$T/help.$c" | sort -u); do
      grep -qE -- "(^|[^a-z0-9-])${o//./[.]}([^a-z0-9-]|\$)" "$T/man.$c" || missing+=" $o"
    done
    check "man page describes every option of 'atscheck $c --help'${missing:+ (missing:$missing)}" test -z "$missing"
  done
fi
if command -v man >/dev/null; then
  MANWIDTH=80 man -l "$MAN" > "$T/man.txt" 2>"$T/man.err"
  check "man -l renders it" grep -q 'ATSCHECK(1)' "$T/man.txt"
  for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" "OUTPUT FORMATS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
    check "section $s" grep -q "^$s" "$T/man.txt"
  done
fi

# cmake --install into a scratch root.
if [ -n "${ATS_BUILD_DIR:-}" ] && [ -f "$ATS_BUILD_DIR/cmake_install.cmake" ]; then
  DESTDIR="$T/inst" cmake --install "$ATS_BUILD_DIR" --prefix /usr > "$T/install.log" 2>&1
  check "cmake --install succeeds" test $? -eq 0
  for f in usr/bin/atscheck usr/share/man/man1/atscheck.1.gz usr/share/bash-completion/completions/atscheck \
           usr/lib/systemd/system/atscheck.service usr/lib/systemd/system/atscheck.timer \
           usr/lib/nagios/plugins/check_atscheck usr/share/doc/atscheck/copyright \
           usr/share/doc/atscheck/changelog.gz; do
    check "installed: /$f" test -s "$T/inst/$f"
  done
  check "runner installed executable" bash -c "test -x \"\$(find '$T/inst' -name atscheck-textfile | head -1)\""
  check "plugin installed executable" test -x "$T/inst/usr/lib/nagios/plugins/check_atscheck"
  check "man page is gzip -9n (no name, no time stamp)" bash -c "gzip -t '$T/inst/usr/share/man/man1/atscheck.1.gz' && test \"\$(od -An -tx1 -j3 -N5 '$T/inst/usr/share/man/man1/atscheck.1.gz' | tr -d ' ')\" = 0000000000"
  check "man page unpacks to the tree's" bash -c "gzip -dc '$T/inst/usr/share/man/man1/atscheck.1.gz' | cmp -s - '$MAN'"
  # The unit names the binary and the runner for the prefix installed to, whatever was configured.
  for prefix in /usr /opt/ats; do
    [ "$prefix" = /usr ] || DESTDIR="$T/inst2" cmake --install "$ATS_BUILD_DIR" --prefix "$prefix" > "$T/install2.log" 2>&1
    r=$T/inst; [ "$prefix" = /usr ] || r=$T/inst2
    unit="$r$prefix/lib/systemd/system/atscheck.service"
    check "prefix $prefix: ExecStart is $prefix/libexec/atscheck/atscheck-textfile" \
      grep -qx "ExecStart=$prefix/libexec/atscheck/atscheck-textfile" "$unit"
    check "prefix $prefix: ExecStopPost runs the same runner" \
      grep -qx "ExecStopPost=+$prefix/libexec/atscheck/atscheck-textfile publish" "$unit"
    check "prefix $prefix: ATSCHECK is $prefix/bin/atscheck" grep -qx "Environment=ATSCHECK=$prefix/bin/atscheck" "$unit"
    check "prefix $prefix: the runner and the binary are where the unit says" \
      test -x "$r$prefix/libexec/atscheck/atscheck-textfile" -a -x "$r$prefix/bin/atscheck"
  done
fi
# No reader leaving a pipe early under pipefail: a pipe into `grep -q` can make the writer's
# SIGPIPE the answer.
check "no pipe into grep -q in the tree's scripts" bash -c "! grep -rnE '[^|]\|\s*grep\s+-[a-zA-Z]*q' '$ATS_SOURCE_DIR/tests' '$ATS_SOURCE_DIR/contrib' '$ATS_SOURCE_DIR/.ci' | grep -vE '^[^:]+:[0-9]+:\s*#' >/dev/null"
finish
