#!/usr/bin/env bash
# The Debian package of this build (CPack; amd64 natively, arm64 or armhf in a cross build from
# contrib/cross/check): made into a scratch folder, unpacked with dpkg -x into a scratch root,
# and checked where a Debian user expects things: the binary in /usr/bin for the package's
# architecture and stripped, the dependencies on the libraries it needs, the man page and contrib
# files (when the tree has them) in Debian's places, and nothing anywhere else.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
: "${ATS_BUILD_DIR:?}"

cpack --config "$ATS_BUILD_DIR/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
  { sed 's/^/    cpack: /' "$T/cpack.log"; }
debs=("$T"/pkg/atscheck_*.deb)
check "cpack made one .deb" test "${#debs[@]}" -eq 1 -a -f "${debs[0]}"
deb=${debs[0]}
[ -f "$deb" ] || finish

# The architecture the binary was built for, in Debian's words.
machine=$(LC_ALL=C readelf -h "$ATS_BUILD_DIR/atscheck" | sed -n 's/^ *Machine: *//p')
case "$machine" in
  AArch64) want=arm64 ;;
  ARM) want=armhf ;;
  "Advanced Micro Devices X86-64") want=amd64 ;;
  *) want="unknown ($machine)" ;;
esac
arch=$(dpkg-deb -f "$deb" Architecture)
check "Architecture is $want, as the binary (got $arch)" test "$arch" = "$want"
check "file named for its architecture" test "$(basename "$deb")" = "atscheck_$(dpkg-deb -f "$deb" Version)_$want.deb"

depends=$(dpkg-deb -f "$deb" Depends)
echo "    Depends: $depends"
for p in libc6 libssl3 libcurl4 libjansson4; do
  check "Depends on $p, with a minimal version" grep -qE "(^|, )$p \(>= [0-9]" <<<"$depends"
done

mkdir "$T/root"
dpkg -x "$deb" "$T/root"
bin="$T/root/usr/bin/atscheck"
check "/usr/bin/atscheck is there, mode 755" test "$(stat -c %a "$bin" 2>/dev/null)" = 755
check "/usr/bin/atscheck is a $machine ELF" \
  test "$(LC_ALL=C readelf -h "$bin" 2>/dev/null | sed -n 's/^ *Machine: *//p')" = "$machine"
check "/usr/bin/atscheck is stripped" bash -c "! LC_ALL=C readelf -S '$bin' | grep '\.debug_info' >/dev/null"
if [ "$want" = "$(dpkg --print-architecture)" ]; then
  check "the packaged binary runs" "$bin" --version
fi

# Every file in a place Debian expects; nothing in /usr/local, /usr/etc or a build path.
allowed='^usr/bin/atscheck$|^usr/share/man/man[1-8]/[^/]+\.[1-8]([a-z]*)(\.gz)?$|^usr/share/doc/atscheck/'
allowed+='|^usr/share/atscheck/|^usr/lib/atscheck/|^usr/libexec/atscheck/|^etc/'
allowed+='|^(usr/)?lib/systemd/system/[^/]+\.(service|timer)$|^usr/share/bash-completion/completions/'
allowed+='|^usr/share/zsh/vendor-completions/|^usr/share/fish/vendor_completions.d/'
allowed+='|^usr/lib/nagios/plugins/'
files=$(cd "$T/root" && find . \( -type f -o -type l \) | sed 's|^\./||' | sort)
echo "$files" | sed 's/^/    file: /'
stray=$(grep -vE "$allowed" <<<"$files" || true)
check "no file outside Debian's places${stray:+ (stray: $(echo $stray))}" test -z "$stray"

# What the tree has must be in the package. (The man page and contrib files' install rules come
# with them; until they exist these checks have nothing to look for.)
if man=$(cd "$ATS_SOURCE_DIR" && find contrib man doc -name 'atscheck.1' -o -name 'atscheck.1.in' \
           -o -name 'atscheck.1.md' 2>/dev/null | head -1) && [ -n "$man" ]; then
  check "man page ($man) in /usr/share/man/man1" grep -qE '^usr/share/man/man1/atscheck\.1(\.gz)?$' <<<"$files"
else
  echo "    (no man page in the tree yet)"
fi
for unit in $(cd "$ATS_SOURCE_DIR" && find contrib -name '*.service' -o -name '*.timer' 2>/dev/null); do
  check "systemd unit $(basename "$unit") in /lib/systemd/system" \
    grep -qE "^(usr/)?lib/systemd/system/$(basename "$unit")$" <<<"$files"
done
for comp in $(cd "$ATS_SOURCE_DIR" && find contrib -path '*completion*' -name '*bash*' 2>/dev/null); do
  check "bash completion ($comp) in /usr/share/bash-completion/completions/atscheck" \
    grep -qx 'usr/share/bash-completion/completions/atscheck' <<<"$files"
done
finish
