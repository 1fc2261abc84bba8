#!/usr/bin/env bash
# What atscheck install does when it cannot write: not root, a read-only filesystem, a full
# disk, another run holding the lock. Each time: one line naming the path, exit 3, nothing
# changed or half-written; and once the cause is gone, a rerun ends right.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/install_image.sh"
need_debian_tools
chmod 755 "$T"
trap 'umount "$T/ro/usr" "$T/ro" "$T/full" 2>/dev/null; _cleanup' EXIT

# The lock file is left by the first run (empty, by design): not a change of the store.
snapshot() { (cd "$1" && find . ! -name install.lock -printf '%p %y %m %l\n' | sort &&
  find . -type f ! -name install.lock -exec sha256sum {} + | sort); }
# one_line_naming WHAT PATH: stderr is exactly one line and names PATH
one_line_naming() {
  check "$1: one line on stderr" test "$(wc -l < "$T/err")" -eq 1
  check "$1: it names $2" grep -qF "$2" "$T/err"
}

# A small image: the first 20 Mozilla entries and CA 1; Starfield Class 2's file removed (so
# it must be copied into /usr/share/ca-certificates).
make_image() {
  local R=$1
  seed_image "$R"
  rm "$R/usr/share/ca-certificates/mozilla/Starfield_Class_2_CA.crt"
  { grep '^#' "$R/etc/ca-certificates.conf"; grep -v '^#' "$R/etc/ca-certificates.conf" | head -20
    echo mozilla/Amazon_Root_CA_1.crt; } | awk '!seen[$0]++' > "$R/conf.new"
  mv "$R/conf.new" "$R/etc/ca-certificates.conf"
  build_certs "$R"
}

# Not root.
R=$T/user
make_image "$R"
snapshot "$R" > "$T/s1"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  as_user() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
  # Where an unprivileged user cannot run anything at all (a chroot whose / is mode 700, as a
  # mktemp'd debootstrap root is), the case cannot be made: say so instead of failing on it.
  if ! as_user "$ATSCHECK" --version >/dev/null 2>"$T/user-err"; then
    echo "SKIPPED: not-root case: user 65534 cannot run $ATSCHECK here (/ is mode $(stat -c %a /)): $(head -1 "$T/user-err")"
    as_user() { return 3; }
    skip_user=1
  fi
else
  chmod -R a-w "$R"
  as_user() { "$@"; }
fi
if [ "${skip_user:-0}" = 0 ]; then
  expect_exit 3 "not root: exit 3" as_user "$ATSCHECK" install --root "$R"
  one_line_naming "not root" "$R/"
  check "not root: it says why" grep -q "Permission denied" "$T/err"
  [ "$(id -u)" -eq 0 ] || chmod -R u+w "$R"
  snapshot "$R" > "$T/s2"
  check "not root: nothing changed" cmp -s "$T/s1" "$T/s2"
fi

# A read-only filesystem: the whole image, then only /usr (the plan is checked before the first
# write, so the conf is not changed either).
R=$T/ro
make_image "$R"
if [ "$(id -u)" -eq 0 ] && mount --bind "$R" "$R" 2>/dev/null; then
  if mount -o remount,ro,bind "$R" 2>/dev/null; then
    snapshot "$R" > "$T/s1"
    expect_exit 3 "read-only image: exit 3" "$ATSCHECK" install --root "$R"
    one_line_naming "read-only image" "$R/"
    check "read-only image: it says why" grep -q "Read-only file system" "$T/err"
    snapshot "$R" > "$T/s2"
    check "read-only image: nothing changed" cmp -s "$T/s1" "$T/s2"
  else
    echo "SKIP: cannot remount read-only here"
  fi
  umount "$R"
  mkdir -p "$R/var/lib/atscheck"
  mount --bind "$R/usr" "$R/usr" && mount -o remount,ro,bind "$R/usr"
  snapshot "$R" > "$T/s1"
  expect_exit 3 "read-only /usr: exit 3" "$ATSCHECK" install --root "$R"
  one_line_naming "read-only /usr" "$R/usr/share/ca-certificates"
  snapshot "$R" > "$T/s2"
  check "read-only /usr: nothing written anywhere (not even the conf)" cmp -s "$T/s1" "$T/s2"
  umount "$R/usr"
  expect_exit 0 "writable again: the rerun installs" "$ATSCHECK" install --root "$R"
  expect_exit 0 "audit after: OK" "$ATSCHECK" audit --root "$R"
else
  echo "SKIP: read-only filesystem cases need root and bind mounts (mount --bind failed)"
fi

# A full disk: the image on a small tmpfs filled up.
F=$T/full
mkdir -p "$F"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m tmpfs "$F" 2>/dev/null; then
  R=$F/img
  make_image "$R"
  mkdir -p "$R/var/lib/atscheck"
  dd if=/dev/zero of="$F/filler" bs=4k 2>/dev/null
  snapshot "$R" > "$T/s1"
  expect_exit 3 "full disk: exit 3" "$ATSCHECK" install --root "$R"
  one_line_naming "full disk" "$R/"
  check "full disk: it says why" grep -q "No space left on device" "$T/err"
  snapshot "$R" > "$T/s2"
  check "full disk: nothing changed or half-written" cmp -s "$T/s1" "$T/s2"
  rm "$F/filler"
  expect_exit 0 "space again: the rerun installs" "$ATSCHECK" install --root "$R"
  expect_exit 0 "audit after: OK" "$ATSCHECK" audit --root "$R"
  umount "$F"
else
  echo "SKIP: the full-disk case needs a tmpfs mount (needs root)"
fi

# The disk filling up at each of the first writes (strace injects ENOSPC): every file stays
# whole, and the rerun ends right.
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
  for k in 1 2 3 4; do
    R=$T/enospc$k
    make_image "$R"
    # (LeakSanitizer cannot run under ptrace: off for the traced run of a sanitizer build)
    ASAN_OPTIONS=detect_leaks=0 strace -o /dev/null -e trace=write -e inject=write:error=ENOSPC:when=$k \
      "$ATSCHECK" install --root "$R" >"$T/out" 2>"$T/err"
    st=$?
    check "ENOSPC at write #$k: exit 3" test "$st" -eq 3
    one_line_naming "ENOSPC at write #$k" "$R/"
    check "ENOSPC at write #$k: no temp file left" test -z "$(find "$R" -name '*.tmp.*')"
    expect_exit 0 "ENOSPC at write #$k: the rerun installs" "$ATSCHECK" install --root "$R"
    expect_exit 0 "ENOSPC at write #$k: audit after: OK" "$ATSCHECK" audit --root "$R"
  done
else
  echo "SKIP: ENOSPC injection needs strace"
fi

# Another run holds the lock: this one waits a while, then says so.
R=$T/locked
make_image "$R"
mkdir -p "$R/var/lib/atscheck"
setsid flock -o "$R/var/lib/atscheck/install.lock" sleep 30 >/dev/null 2>&1 &
holder=$!
_pids+=("$holder")
for _ in $(seq 1 50); do flock -n "$R/var/lib/atscheck/install.lock" true || break; sleep 0.1; done
snapshot "$R" > "$T/s1"
expect_exit 3 "lock held: exit 3" "$ATSCHECK" install --root "$R"
one_line_naming "lock held" "$R/var/lib/atscheck/install.lock"
snapshot "$R" > "$T/s2"
check "lock held: nothing changed" cmp -s "$T/s1" "$T/s2"
kill -- "-$holder" 2>/dev/null; wait "$holder" 2>/dev/null
expect_exit 0 "lock free: installs" "$ATSCHECK" install --root "$R"
finish
