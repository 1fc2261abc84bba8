# Checks on the systemd units a package installs, shared by package_deb.sh and package_install.sh.
# Source after common.sh. Gives:
#   check_unit_paths ROOT   every program a unit under ROOT runs (Exec*= lines, their prefixes
#                           -@:+! dropped, and Environment=ATSCHECK=...) exists in ROOT, executable
#   check_unit_security ROOT UNIT MAX
#                           systemd-analyze security --offline rates ROOT's UNIT at MAX or lower

_unit_programs() {
  sed -nE -e 's/^(Exec(Start|StartPre|StartPost|Stop|StopPost|Reload|Condition))=[-@:+!]*([^ ]+).*/\1=\3/p' \
          -e 's/^Environment=(ATSCHECK=[^ ]+).*/\1/p' "$1"
}

check_unit_paths() {
  local root=$1 unit p n=0 seen=" "
  for unit in "$root"/lib/systemd/system/atscheck*.service "$root"/usr/lib/systemd/system/atscheck*.service; do
    [ -f "$unit" ] || continue
    # /lib is /usr/lib in a merged-/usr root: each file once.
    case "$seen" in *" $(readlink -f "$unit") "*) continue ;; esac
    seen+="$(readlink -f "$unit") "
    for p in $(_unit_programs "$unit"); do
      n=$((n + 1))
      check "$(basename "$unit"): $p is in the package (absolute, executable)" \
        bash -c "p='${p#*=}'; case \$p in /*) test -x '$root'\$p -a -f '$root'\$p ;; *) false ;; esac"
    done
  done
  check "the units name programs at all ($n)" test "$n" -gt 0
}

check_unit_security() {
  local root=$1 unit=$2 max=$3 file score
  file=$(ls "$root"/usr/lib/systemd/system/"$unit" "$root"/lib/systemd/system/"$unit" 2>/dev/null | head -1)
  if ! systemd-analyze security --help 2>/dev/null | grep -e '--offline' >/dev/null; then
    fail "systemd-analyze security has no --offline here (systemd $(systemd-analyze --version | sed -n '1s/[^0-9]*\([0-9]*\).*/\1/p'); 250 or newer needed)"
    return
  fi
  systemd-analyze security --offline=yes "$file" > "$T/security.out" 2>&1
  score=$(sed -n 's/.*Overall exposure level for [^:]*: *\([0-9.]*\).*/\1/p' "$T/security.out" | tail -1)
  echo "    systemd-analyze security $unit: ${score:-?} (was 8.9 EXPOSED before the sandbox)"
  check "systemd-analyze security rates $unit ${score:-?}, at most $max" \
    awk -v s="$score" -v m="$max" 'BEGIN { exit !(s != "" && s + 0 <= m + 0) }'
  # The same limit as systemd applies it: --threshold is the exposure times ten.
  check "systemd-analyze security --threshold=$(awk -v m="$max" 'BEGIN { print m * 10 }') passes" \
    systemd-analyze security --offline=yes --threshold="$(awk -v m="$max" 'BEGIN { print m * 10 }')" "$file"
}
