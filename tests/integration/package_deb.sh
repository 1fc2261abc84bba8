#!/usr/bin/env bash
# The Debian package of this build (CPack; amd64 natively, arm64 or armhf in a cross build from
# contrib/cross/check): made into a scratch folder, unpacked with dpkg -x into a scratch root,
# and checked where a Debian user expects things: the binary in /usr/bin for the package's
# architecture and stripped, the dependencies on the libraries it needs, the man page and contrib
# files (when the tree has them) in Debian's places, and nothing anywhere else; the copyright
# (DEP-5), changelog and compressed man page Debian asks for; every program the units run in the
# package; the service's sandbox (systemd-analyze security, 2.5 or lower); and lintian with no
# error and no warning. (Installing it for real, with apt in a Debian 12 chroot: package_install.sh.)
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/units.sh"
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
  check "man page ($man) in /usr/share/man/man1, compressed" grep -qx 'usr/share/man/man1/atscheck\.1\.gz' <<<"$files"
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

# What Debian asks of every package (lintian's errors before: no-copyright-file, no-changelog,
# uncompressed-manual-page, bogus-mail-host).
doc="$T/root/usr/share/doc/atscheck"
check "copyright is machine-readable (DEP-5)" \
  grep -qx 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/' "$doc/copyright"
check "copyright: every license a Files stanza names has its text" awk '
  /^Files:/ { files = 1 } /^$/ { files = 0; text = 0 }
  files && /^License:/ { need[$2] = 1; n++ }
  !files && /^License:/ { lic = $2; text = 1; next }
  text && /^ / { have[lic] = 1 }
  END { if (!n) exit 1; for (l in need) if (!(l in have)) exit 1 }' "$doc/copyright"
version=$(dpkg-deb -f "$deb" Version)
check "changelog.gz (native package) is gzip -9n" \
  bash -c "gzip -t '$doc/changelog.gz' && test \"\$(od -An -tx1 -j3 -N5 '$doc/changelog.gz' | tr -d ' ')\" = 0000000000"
check "changelog's latest entry is this version ($version)" \
  test "$(gzip -dc "$doc/changelog.gz" | sed -n '1s/^atscheck (\([^)]*\)).*/\1/p')" = "$version"
if command -v dpkg-parsechangelog >/dev/null; then
  check "dpkg-parsechangelog reads the changelog" bash -c "gzip -dc '$doc/changelog.gz' | dpkg-parsechangelog -l- -SVersion | grep -x '$version' >/dev/null"
fi
maint=$(dpkg-deb -f "$deb" Maintainer)
check "Maintainer is 'Name <user@domain.tld>' ($maint)" grep -qE '^[^<>]+ <[^@<> ]+@[a-z0-9-]+(\.[a-z0-9-]+)+>$' <<<"$maint"
for s in postinst prerm postrm; do
  check "maintainer script $s: sh -n clean, mode 755" \
    bash -c "dpkg-deb --ctrl-tarfile '$deb' | tar -xO ./$s > '$T/$s' && sh -n '$T/$s' && dpkg-deb --ctrl-tarfile '$deb' | tar -tvf - ./$s | grep '^-rwxr-xr-x' >/dev/null"
done

# The units: every program they run is in the package, at the path the unit names (the service
# once named /usr/local/... while the package put the runner under /usr), and the sandbox.
check_unit_paths "$T/root"
if command -v systemd-analyze >/dev/null; then
  check_unit_security "$T/root" atscheck.service 2.5
else
  fail "systemd-analyze is missing (package systemd, in contrib/deps/debian-packages.txt)"
fi

# lintian: no error, no warning. Its informational tags are listed, and left, for these reasons:
#   hardening-no-bindnow, hardening-no-fortify-functions: the build's flags are CMake's own
#     (-O2 -g); Debian's dpkg-buildflags are not used by a CPack package;
#   binary-has-unneeded-section .comment: CPack strips with strip(1), which keeps .comment;
#   spelling-error-in-binary characteter: two merged string tails in .rodata, no such word in the
#     source.
if command -v lintian >/dev/null; then
  lintian --tag-display-limit 0 -I "$deb" > "$T/lintian.out" 2>"$T/lintian.err"
  lrc=$?
  sed 's/^/    lintian: /' "$T/lintian.out"
  echo "    lintian: $(grep -c '^E:' "$T/lintian.out") errors, $(grep -c '^W:' "$T/lintian.out") warnings, $(grep -c '^I:' "$T/lintian.out") informational"
  grep -v 'running with root privileges' "$T/lintian.err" | sed 's/^/    lintian stderr: /'
  check "lintian ran to the end (exit ${lrc}: 0 clean, 1 tags at the fail level, 2 it could not run)" test "$lrc" -le 1
  check "lintian: no errors" bash -c "! grep '^E:' '$T/lintian.out' >/dev/null"
  check "lintian: no warnings" bash -c "! grep '^W:' '$T/lintian.out' >/dev/null"
else
  fail "lintian is missing (in contrib/deps/debian-packages.txt)"
fi
finish
