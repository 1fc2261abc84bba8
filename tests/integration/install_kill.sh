#!/usr/bin/env bash
# Killed at any point and run again, atscheck install ends in the right state with nothing lost.
# 1. strace stops the real binary with SIGKILL at the entry of each of its file-changing system
#    calls in turn (mkdir, rename, symlink, unlink, fsync, clone: before each step), found by a
#    first traced run; the call it is stopped at never happens.
# 2. The whole process group (atscheck and the update-ca-certificates it runs) is killed after
#    increasing delays, as a power cut would.
# After each kill a second run must finish the job: audit exit 0, the bundle holding every
# certificate it held before plus the six, every old link unchanged; a third run does nothing.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/install_image.sh"
need_debian_tools
command -v strace >/dev/null || { echo "SKIP: strace is not installed"; exit 0; }
strace -o /dev/null true 2>/dev/null || { echo "SKIP: strace cannot trace here (ptrace not allowed)"; exit 0; }

links() { (cd "$1/etc/ssl/certs" && for f in *; do [ -L "$f" ] && echo "$f -> $(readlink "$f")"; done) | sort; }

# A smaller image (the first 25 Mozilla entries and the six, as shipped), so each run is quick:
# CA 2's file removed, CA 3 deselected with '!', CA 4 unlisted.
B=$T/base
seed_image "$B"
{ grep '^#' "$B/etc/ca-certificates.conf"; grep -v '^#' "$B/etc/ca-certificates.conf" | head -25
  grep -e Amazon_Root -e Starfield_Class_2 -e Starfield_Services "$B/etc/ca-certificates.conf"; } \
  | awk '!seen[$0]++' > "$T/conf"
cp "$T/conf" "$B/etc/ca-certificates.conf"
for f in "$B"/usr/share/ca-certificates/mozilla/*.crt; do
  grep -qxF "mozilla/${f##*/}" "$T/conf" || rm "$f"
done
rm "$B/usr/share/ca-certificates/mozilla/Amazon_Root_CA_2.crt"
sed -i -e '/Amazon_Root_CA_2/d' -e 's|^mozilla/Amazon_Root_CA_3.crt|!mozilla/Amazon_Root_CA_3.crt|' \
  -e '/Amazon_Root_CA_4/d' "$B/etc/ca-certificates.conf"
build_certs "$B" || { echo "FAIL - seeding the image"; exit 1; }
pem_blocks "$B/etc/ssl/certs/ca-certificates.crt" > "$T/before.pems"
links "$B" > "$T/before.links"
mkdir -p "$T/six" && "$ATSCHECK" bundle export "$T/six" >/dev/null
cat "$T"/six/*.pem > "$T/six.pem"
pem_blocks "$T/six.pem" > "$T/six.pems"

# ends_right LABEL DIR: the rerun finishes, and the image is right.
ends_right() {
  local what=$1 R=$2 bad=""
  "$ATSCHECK" install --root "$R" --reselect >"$T/rerun.out" 2>&1 || bad="rerun exit $?"
  [ -z "$bad" ] && { "$ATSCHECK" audit --root "$R" >/dev/null 2>&1 || bad="audit exit $?"; }
  pem_blocks "$R/etc/ssl/certs/ca-certificates.crt" > "$T/after.pems"
  [ -z "$bad" ] && [ -n "$(comm -23 "$T/before.pems" "$T/after.pems")" ] && bad="a certificate was lost"
  [ -z "$bad" ] && [ -n "$(comm -23 "$T/six.pems" "$T/after.pems")" ] && bad="the six are not all in the bundle"
  [ -z "$bad" ] && [ "$(grep -c -- '-----BEGIN' "$R/etc/ssl/certs/ca-certificates.crt")" -ne "$(wc -l < "$T/after.pems")" ] \
    && bad="a certificate is twice in the bundle"
  links "$R" > "$T/after.links"
  [ -z "$bad" ] && [ -n "$(comm -23 "$T/before.links" "$T/after.links")" ] && bad="an old link changed"
  [ -z "$bad" ] && grep -q ' -> \.\./' "$T/after.links" && bad="a relative link was left"
  [ -z "$bad" ] && [ -n "$(find "$R" -name '*.tmp.*')" ] && bad="a temp file was left: $(find "$R" -name '*.tmp.*' | head -1)"
  [ -z "$bad" ] && [ "$(grep -v '^#' "$R/etc/ca-certificates.conf" | sort | uniq -d)" ] && bad="a duplicate conf line"
  if [ -z "$bad" ]; then
    "$ATSCHECK" install --root "$R" --reselect >"$T/third.out" 2>&1 && grep -q "Nothing to do" "$T/third.out" \
      || bad="the third run did something"
  fi
  if [ -z "$bad" ]; then pass "$what: the rerun ends right"; else
    fail "$what: $bad"; sed 's/^/    /' "$T/rerun.out" | tail -15; fi
}

# 1. Every step of a first traced run.
cp -a "$B" "$T/probe"
# The *at forms too: an emulated build (qemu-user, contrib/cross) makes its steps with those.
calls=mkdir,mkdirat,rename,renameat,renameat2,symlink,symlinkat,unlink,unlinkat,fsync,clone,clone3
ASAN_OPTIONS=detect_leaks=0 strace -o "$T/trace" -e trace=$calls \
  "$ATSCHECK" install --root "$T/probe" --reselect >/dev/null 2>&1
points=()
for sc in ${calls//,/ }; do
  n=$(grep -c "^$sc(" "$T/trace")
  for k in $(seq 1 "$n"); do
    # Every one of the first steps, then every tenth and the last (the link restores repeat).
    if [ "$k" -le 6 ] || [ $((k % 10)) -eq 0 ] || [ "$k" -eq "$n" ]; then points+=("$sc:$k"); fi
  done
done
check "the traced run made its steps (${#points[@]} kill points)" test "${#points[@]}" -gt 20
for p in "${points[@]}"; do
  rm -rf "$T/k"; cp -a "$B" "$T/k"
  (ASAN_OPTIONS=detect_leaks=0 strace -o /dev/null -e trace="${p%%:*}" -e inject="${p%%:*}:signal=SIGKILL:when=${p##*:}" \
    "$ATSCHECK" install --root "$T/k" --reselect >/dev/null 2>&1; exit $?) 2>/dev/null
  st=$?
  [ "$st" -eq 137 ] || fail "strace did not kill at ${p%%:*} #${p##*:} (exit $st)"
  ends_right "killed before ${p%%:*} #${p##*:}" "$T/k"
done

# 2. The whole group, at increasing delays (the tool included).
for d in 0.02 0.08 0.15 0.25 0.35; do
  rm -rf "$T/g"; cp -a "$B" "$T/g"
  setsid "$ATSCHECK" install --root "$T/g" --reselect >/dev/null 2>&1 &
  pid=$!
  sleep "$d"
  kill -9 -- "-$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  ends_right "group killed after ${d}s" "$T/g"
done
finish
