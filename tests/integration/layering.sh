#!/usr/bin/env bash
# The modules point one way. Reads the #include "module/file.h" lines of src/lib/*/ and
# probes/serve/ and fails on a module that includes one above it (or a peer at its own level),
# on any include loop between two modules, on a folder that has no place in the order, and on a
# .c file that declares another file's function by hand (a call that no header shows).
#
# The order, lowest first (README, Layout):
#   0 base         the shared helpers: errors, files, PEM/DER, time
#   1 report/tree  building a report (report/tree.[ch]): below every command and every renderer
#   2 store        finding and loading trust stores; the six CAs
#   3 audit        store x catalog -> statuses
#   4 install probe dha   peers: none includes another
#   5 check        audit + probe + diagnosis
#   6 report       the renderers and report merge
#   7 serve        the look-alike endpoint (probes/serve), linked by serve, selftest and tests
# The checker is run on the real tree, then on scratch trees with a planted fault each, which
# it must reject: a checker that cannot fail proves nothing.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

# layers ROOT FAULTS: writes one line per fault in the tree under ROOT to FAULTS (and shows
# them); fails when there is one.
layers() {
  local root=$1 faults=$2
  (cd "$root" && find src/lib probes/serve -name '*.[ch]' 2>/dev/null | sort | while read -r f; do
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed "s|^|$f:|"
  done) | awk -F: '
    BEGIN {
      split("base report/tree store audit install probe dha check report serve", names, " ")
      split("0 1 2 3 4 4 4 5 6 7", lv, " ")
      for (i in names) level[names[i]] = lv[i]
    }
    function module_of_file(f,   m) {
      if (f ~ /^src\/lib\/report\/tree\.[ch]$/) return "report/tree"
      if (f ~ /^probes\/serve\//) return "serve"
      m = f; sub(/^src\/lib\//, "", m); sub(/\/.*/, "", m); return m
    }
    {
      file = $1; line = $2; inc = $0
      sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
      from = module_of_file(file)
      if (inc !~ /\//) next                      # "file.h": within the module
      if (inc == "report/tree.h") to = "report/tree"
      else { to = inc; sub(/\/.*/, "", to) }
      if (!(from in level)) { unplaced[from] = file; next }
      if (!(to in level)) { unplaced[to] = file ":" line; next }
      if (from == to) next
      edge[from, to] = file ":" line
      if (level[to] > level[from])
        printf "%s:%s: %s (level %d) includes %s, above it (level %d)\n", file, line, from, level[from], to, level[to]
      else if (level[to] == level[from])
        printf "%s:%s: %s includes its peer %s (level %d): peers stay independent\n", file, line, from, to, level[to]
    }
    END {
      for (k in edge) {
        split(k, ab, SUBSEP)
        if (ab[1] < ab[2] && ((ab[2], ab[1]) in edge))
          printf "include loop between %s and %s: %s and %s\n", ab[1], ab[2], edge[ab[1], ab[2]], edge[ab[2], ab[1]]
      }
      for (m in unplaced)
        printf "%s: module %s has no place in the order (tests/integration/layering.sh, README Layout)\n", unplaced[m], m
    }' >"$faults"
  # A function declared by hand in a .c file: its callers bypass the header that owns it.
  (cd "$root" && grep -n -E '^[a-z][a-z0-9_ ]*[ *]+[a-z]+_[a-z0-9_]+\([^;{]*\);[[:space:]]*$' \
    $(find src/lib probes/serve -name '*.c' 2>/dev/null) | grep -v -E '^[^:]+:[0-9]+:(static|typedef|extern "C")' |
    sed 's/$/  <- a declaration by hand: put it in the header of the file that defines it/') >>"$faults"
  cat "$faults"
  [ ! -s "$faults" ]
}
rejects() { ! layers "$1" "$1.faults" >/dev/null; }

check "the tree's modules point one way (no fault)" layers "$ATS_SOURCE_DIR" "$T/tree.faults"
# The library does not know how the command spells its options: its errors name the input.
flags() { grep -rEn 'ats_err_set\([^;]*"([^"]*[ (])?--[a-z]' "$1/src/lib" "$1/probes/serve"; }
noflags() { ! flags "$1"; }
check "no library error names a command-line flag" noflags "$ATS_SOURCE_DIR"

# Scratch copies of the tree, each with one planted fault, which the checker must reject and
# name. One case a line: what is planted | the fault line it must write | file | line [| file | line].
scratch() {
  local d=$T/$1
  mkdir -p "$d/src" "$d/probes"
  cp -r "$ATS_SOURCE_DIR/src/lib" "$d/src/" && cp -r "$ATS_SOURCE_DIR/probes/serve" "$d/probes/"
  echo "$d"
}
n=0
while IFS='|' read -r what needle f1 l1 f2 l2; do
  [ -n "$what" ] || continue
  n=$((n + 1))
  d=$(scratch "case$n")
  mkdir -p "$(dirname "$d/$f1")" && printf '%s\n' "$l1" >>"$d/$f1"
  [ -z "${f2:-}" ] || printf '%s\n' "$l2" >>"$d/$f2"
  check "$what is caught" rejects "$d"
  check "... and named: $needle" grep -q -- "$needle" "$d.faults"
done <<'CASES'
base including audit (above it)|src/lib/base/util.c:[0-9]*: base (level 0) includes audit|src/lib/base/util.c|#include "audit/audit.h"
report/tree including a renderer|report/tree (level 1) includes report|src/lib/report/tree.c|#include "report/report.h"
probe including its peer install|probe includes its peer install|src/lib/probe/probe.c|#include "install/install.h"
a loop between probe and dha|include loop between dha and probe|src/lib/probe/probe.c|#include "dha/dha.h"|src/lib/dha/dha_dir.c|#include "probe/probe.h"
the library including the look-alike endpoint|check (level 5) includes serve|src/lib/check/check.c|#include "serve/serve.h"
a module with no place in the order|module newmod has no place|src/lib/newmod/new.c|#include "base/util.h"
a function declared by hand in a .c file|a declaration by hand|src/lib/report/report_text_probe.c|void ats_text_footer(ats_buf *b, const json_t *r, const ats_render_opts *o);
CASES

d=$(scratch flag)
printf '%s\n' 'static int f(ats_err *err) { return ats_err_set(err, 1, "--endpoint %s: bad", "x"); }' >>"$d/src/lib/probe/probe.c"
check "a library error naming a flag is caught" flags "$d"

finish
