#!/usr/bin/env bash
# Footprint: what atscheck costs a Raspberry Pi. For the native build ($ATSCHECK) and, when
# contrib/cross/check has made them, the arm64 and armhf builds run under qemu-user:
#   - binary size (as built, and stripped as the .deb ships it);
#   - the shared libraries it needs (readelf -d NEEDED);
#   - peak RSS of `atscheck audit` (the system's stores) and `atscheck audit --bundle` (the six),
#     against the goal (under 6 MB); `atscheck check` (goal: under 16 MB) once it exists.
# The incumbent, measured in the same run: openssl reading the same bundle
# (`openssl storeutl -certs`), and the openssl + curl binaries a shell pipeline would need.
# Natively, `atscheck --version` shows what loading the libraries alone costs. Under qemu the
# peak RSS is the emulator's: the figure given for the target is that minus the same emulator
# running an empty program (so it still counts the translated code: an upper bound).
# Figures are printed, never asserted.
#   FOOTPRINT_CHECK_ARGS="..."  arguments for `atscheck check` against a loopback endpoint
#   (the hook for the check command, until it exists and this script starts its endpoint).
set -uo pipefail
: "${ATSCHECK:?}" "${ATS_SOURCE_DIR:?}"
T=$(mktemp -d /tmp/atscheck-footprint.XXXXXX)
trap 'rm -rf "$T"' EXIT
runs=5; [ "${QUICK:-0}" = 1 ] && runs=2
goal_audit_kb=$((6 * 1024)) goal_check_kb=$((16 * 1024))

if ! [ -x /usr/bin/time ]; then echo "footprint: needs GNU time (/usr/bin/time, package 'time')"; exit 1; fi

# peak_kb CMD...: the lowest peak RSS (KiB) over $runs runs (the least disturbed).
peak_kb() {
  local best="" kb i
  for i in $(seq 1 "$runs"); do
    /usr/bin/time -f '%M' -o "$T/rss" "$@" >/dev/null 2>&1
    kb=$(tail -1 "$T/rss")
    case "$kb" in '' | *[!0-9]*) continue ;; esac
    if [ -z "$best" ] || [ "$kb" -lt "$best" ]; then best=$kb; fi
  done
  echo "${best:-0}"
}
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'; }
verdict() { [ "$1" -lt "$2" ] && echo "within goal $(mb "$2")" || echo "OVER goal $(mb "$2")"; }
size_of() { stat -c %s "$1"; }
stripped_size() { "$1" -o "$T/stripped" "$2" 2>/dev/null && stat -c %s "$T/stripped" || echo 0; }

mkdir "$T/six"
"$ATSCHECK" bundle export "$T/six" >/dev/null
cat "$T"/six/*.pem > "$T/six.pem"

# One build: NAME BINARY STRIP EMPTY RUN...  (EMPTY: an empty program for the emulator's
# baseline; RUN: the emulator prefix; both empty natively)
report() {
  local name=$1 bin=$2 strip=$3 empty=$4; shift 4
  local run=("$@")
  echo "[$name] $bin"
  echo "  binary size:   $(size_of "$bin") bytes as built, $(stripped_size "$strip" "$bin") bytes stripped"
  echo "  needs:         $(LC_ALL=C readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | paste -sd' ')"
  local base=0 kb net what
  if [ ${#run[@]} -gt 0 ]; then
    base=$(peak_kb "${run[@]}" "$empty")
    echo "  emulator baseline (an empty program under qemu): $(mb "$base")"
  fi
  for what in "--version" "audit" "audit --bundle $T/six.pem"; do
    # shellcheck disable=SC2086 # $what is two words on purpose
    kb=$(peak_kb "${run[@]}" "$bin" $what)
    net=$((kb - base))
    if [ "$what" = --version ]; then
      echo "  peak RSS atscheck --version (loading its libraries, no work): $(mb "$net")"
    elif [ "$base" -gt 0 ]; then
      echo "  peak RSS atscheck ${what/$T\//}: $(mb "$net") ($(mb "$kb") under qemu; $(verdict "$net" "$goal_audit_kb"))"
    else
      echo "  peak RSS atscheck ${what/$T\//}: $(mb "$kb") ($(verdict "$kb" "$goal_audit_kb"))"
    fi
  done
  if [ -n "${FOOTPRINT_CHECK_ARGS:-}" ]; then
    # shellcheck disable=SC2086
    kb=$(peak_kb "${run[@]}" "$bin" check $FOOTPRINT_CHECK_ARGS)
    net=$((kb - base))
    echo "  peak RSS atscheck check: $(mb "$net") ($(verdict "$net" "$goal_check_kb"))"
  elif "${run[@]}" "$bin" check --help >/dev/null 2>&1; then
    echo "  atscheck check: present; set FOOTPRINT_CHECK_ARGS to measure it (goal $(mb "$goal_check_kb"))"
  else
    echo "  atscheck check: not in this build yet (goal $(mb "$goal_check_kb"))"
  fi
}

native_strip=strip
report "native $(dpkg --print-architecture 2>/dev/null || uname -m)" "$ATSCHECK" "$native_strip" ""
ours=$(peak_kb "$ATSCHECK" audit --bundle "$T/six.pem")

# The incumbent: openssl reading the same six, and the binaries a shell pipeline needs.
theirs=$(peak_kb openssl storeutl -noout -certs "$T/six.pem")
echo "[incumbent] openssl storeutl -certs six.pem: peak RSS $(mb "$theirs")"
echo "  ratio atscheck audit --bundle / openssl storeutl: $(ratio "$ours" "$theirs")"
inc_size=$(( $(size_of "$(readlink -f "$(command -v openssl)")") + $(size_of "$(readlink -f "$(command -v curl)")") ))
echo "  openssl + curl binaries: $inc_size bytes; ratio stripped atscheck / them: $(ratio "$(stripped_size strip "$ATSCHECK")" "$inc_size")"

# The cross builds, when contrib/cross/check has made them.
for pair in arm64:aarch64-linux-gnu:qemu-aarch64 armhf:arm-linux-gnueabihf:qemu-arm; do
  IFS=: read -r arch triplet qemu <<<"$pair"
  dir="$ATS_SOURCE_DIR/build/cross-$arch" sysroot="$ATS_SOURCE_DIR/build/cross-sysroot-$arch"
  if [ -x "$dir/atscheck" ] && [ -d "$sysroot" ] && command -v "$qemu" >/dev/null &&
     echo 'int main(void) { return 0; }' | "$triplet-gcc" --sysroot="$sysroot" -x c - -o "$T/empty-$arch"; then
    report "emulated $arch" "$dir/atscheck" "$triplet-strip" "$T/empty-$arch" env QEMU_LD_PREFIX="$sysroot" "$qemu"
  else
    echo "[emulated $arch] no build (run contrib/cross/check $arch)"
  fi
done
