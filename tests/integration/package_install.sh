#!/usr/bin/env bash
# The Debian package installed as an admin installs it: `apt-get install ./atscheck_*.deb` in a
# fresh Debian 12 (debootstrap minbase + systemd, made once and kept in the build folder as
# deb-root-bookworm; each run works on a copy), apt fetching the dependencies the package names.
# Then, in that root: the installed atscheck runs (--version, audit of Debian's own stores), every
# program the installed units run is there, systemd-analyze verify accepts the units and rates the
# service's sandbox 2.5 or lower, the timer is registered but not enabled (README, "Debian
# package"), an admin's `systemctl enable` survives a reinstall, and purge leaves nothing behind.
# Then systemd-nspawn boots that root and the service runs for real, sandboxed: its check audits
# and probes a look-alike endpoint on 127.0.0.1, and it writes and publishes its files.
# Needs root (chroot) and, the first time, Debian's mirror (apt's sources on this machine). Only
# the native architecture: a cross build's package is checked by package_deb.sh.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"
. "$ATS_SOURCE_DIR/tests/lib/units.sh"
. "$ATS_SOURCE_DIR/tests/lib/lab.sh"
: "${ATS_BUILD_DIR:?}"
t0=$(date +%s)

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIPPED: not root (the package is installed into a chroot)"
  exit 0
fi
if [ "${ATS_SANITIZE:-0}" = 1 ]; then
  # Its binary needs the sanitizer runtimes and /proc, and no one ships it: the plain build's
  # package is the one installed (tests/run runs both builds).
  echo "SKIPPED: a sanitizer build (the plain build's package is the one installed)"
  exit 0
fi
machine=$(LC_ALL=C readelf -h "$ATS_BUILD_DIR/atscheck" | sed -n 's/^ *Machine: *//p')
native=$(dpkg --print-architecture)
case "$machine:$native" in
  "Advanced Micro Devices X86-64:amd64" | AArch64:arm64 | ARM:armhf) ;;
  *) echo "SKIPPED: a $machine build, this machine is $native (package_deb.sh checks its package)"
     exit 0 ;;
esac

cpack --config "$ATS_BUILD_DIR/CPackConfig.cmake" -G DEB -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
  sed 's/^/    cpack: /' "$T/cpack.log"
debs=("$T"/pkg/atscheck_*.deb)
check "cpack made one .deb" test "${#debs[@]}" -eq 1 -a -f "${debs[0]}"
deb=${debs[0]}
[ -f "$deb" ] || finish
version=$(dpkg-deb -f "$deb" Version)

# The fresh Debian 12: made once per build folder (about 2 minutes), in a temporary folder renamed
# into place only when debootstrap finished, so a killed run never leaves half a root to reuse.
cache="$ATS_BUILD_DIR/deb-root-bookworm"
if [ ! -x "$cache/usr/bin/apt-get" ]; then
  # This machine's own mirror (deb822 sources, else a fresh debootstrap's sources.list).
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [ -n "$mirror" ] || mirror=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
  mirror=${mirror:-http://deb.debian.org/debian}
  rm -rf "$cache.tmp"
  echo "    debootstrap --variant=minbase --include=systemd bookworm ($mirror), once for this build folder"
  if timeout 300 debootstrap --variant=minbase --include=systemd bookworm "$cache.tmp" "$mirror" \
       >"$T/debootstrap.log" 2>&1; then
    rm -rf "$cache" && mv "$cache.tmp" "$cache"
  else
    tail -5 "$T/debootstrap.log" | sed 's/^/    debootstrap: /'
    fail "debootstrap of Debian 12 from $mirror (network to Debian's mirror needed the first time)"
    rm -rf "$cache.tmp"
    finish
  fi
fi
# Each run on its own copy: an overlay on the cached root (instant), else a full copy (10 s or so).
R="$T/root"
mkdir -p "$R" "$T/upper" "$T/work"
fresh="$T/upper"   # where this run's new files are
if mount -t overlay overlay -o "lowerdir=$cache,upperdir=$T/upper,workdir=$T/work" "$R" 2>/dev/null; then
  trap 'umount -l "$R" 2>/dev/null; _cleanup' EXIT
else
  rmdir "$R" && cp -a "$cache" "$R"
  fresh=$R
fi
# A scratch root: dpkg need not fsync every file it unpacks.
echo force-unsafe-io > "$R/etc/dpkg/dpkg.cfg.d/scratch-root"
cp "$deb" "$R/tmp/"
inroot() { timeout 240 chroot "$R" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# As the admin would: apt, with the package's Depends (and Recommends) from Debian's archive. A
# copy's package lists may be older than the mirror: on failure once more after apt-get update.
apt_install() { inroot sh -c "cd /tmp && apt-get install -y $* ./$(basename "$deb")" >"$T/apt.log" 2>&1; }
if ! apt_install; then
  inroot apt-get update >"$T/update.log" 2>&1 || sed 's/^/    apt-get update: /' "$T/update.log" | tail -5
  apt_install
fi
rc=$?
check "apt-get install ./$(basename "$deb") in a fresh Debian 12 (exit $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { tail -15 "$T/apt.log" | sed 's/^/    apt: /'; finish; }
# The dependencies it fetched, kept for the next run (which then needs no network).
for f in "$fresh"/var/cache/apt/archives/*.deb; do
  [ -f "$f" ] || continue
  [ -e "$cache/var/cache/apt/archives/${f##*/}" ] || cp "$f" "$cache/var/cache/apt/archives/"
done
check "dpkg has atscheck $version installed" \
  test "$(inroot dpkg-query -W -f='${Status} ${Version}' atscheck)" = "install ok installed $version"
# libcurl and libzint are opened at run time (no NEEDED entry for dpkg-shlibdeps to see): the
# package's Depends must bring them.
for lib in libcurl4 libzint2.11; do
  check "$lib came with it (opened at run time, named in Depends)" \
    test "$(inroot dpkg-query -W -f='${Status}' "$lib" 2>/dev/null)" = "install ok installed"
done

# The installed command, in that root.
check "atscheck --version says $version" grep -qx "atscheck $version" <<<"$(inroot atscheck --version | head -1)"
expect_exit 0 "atscheck audit of the fresh Debian's own stores: OK" inroot atscheck audit
inroot atscheck audit --format json >"$T/audit.json" 2>/dev/null
check "the audit's JSON report names /etc/ssl/certs/ca-certificates.crt, all six present" \
  jq -e '[.stores[] | select(.path == "/etc/ssl/certs/ca-certificates.crt") | .cas[]
          | select(.status == "present")] | length == 6' "$T/audit.json"

# The installed units.
check_unit_paths "$R"
SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --root="$R" --man=no atscheck.service atscheck.timer \
  >"$T/verify.out" 2>&1
rc=$?
sed 's/^/    verify: /' "$T/verify.out" | head -10
check "systemd-analyze verify --root accepts the installed units (exit $rc)" \
  bash -c "[ $rc -eq 0 ] && ! grep atscheck '$T/verify.out' >/dev/null"
check_unit_security "$R" atscheck.service 2.5

# Registered with deb-systemd-helper, not enabled: enabling is the admin's (README says why).
wants="$R/etc/systemd/system/timers.target.wants/atscheck.timer"
check "the timer is not enabled by the install" test ! -e "$wants" -a ! -L "$wants"
check "the timer is registered with deb-systemd-helper" \
  test -e "$R/var/lib/systemd/deb-systemd-helper-enabled/atscheck.timer.dsh-also"
check "systemctl enable atscheck.timer (offline, in the root)" inroot systemctl enable atscheck.timer
check "... links it into timers.target.wants" test -L "$wants"
rc=0; apt_install --reinstall || rc=$?
check "reinstall (exit $rc)" test "$rc" -eq 0
check "the admin's enable survives the reinstall" test -L "$wants"

# The service for real: the root boots straight into atscheck.service (systemd.unit=), whose test
# drop-in points the check at the look-alike endpoint on this machine's 127.0.0.1 (the container
# shares its network; the suite reaches nothing beyond) and ends the container when done. So the
# whole job, audit and HTTP/2 + HTTP/1.1 probe, runs inside the sandbox. node_exporter's folder
# belongs to its own user, 0755, as Debian's prometheus-node-exporter makes it: the sandboxed run
# cannot write there; the publish step must.
if ! command -v systemd-nspawn >/dev/null; then
  fail "systemd-nspawn is missing (package systemd-container, in contrib/deps/debian-packages.txt)"
elif ! timeout 60 systemd-nspawn -q --register=no --keep-unit -D "$R" --pipe /bin/true >"$T/nspawn.log" 2>&1; then
  # A machine that cannot start containers (a chroot without the cgroup mounts): say so.
  sed 's/^/    nspawn: /' "$T/nspawn.log" | head -5
  echo "SKIPPED: the service's real run (systemd-nspawn cannot start a container on this machine)"
else
  unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
  lab_serve
  d=$g
  check "the look-alike endpoint listens on 127.0.0.1:$port" test -n "$port"
  mkdir -p "$R/etc/atscheck-test"
  cp "$d/lab.pem" "$d/trust.pem" "$R/etc/atscheck-test/"
  inroot useradd --system --no-create-home prometheus >/dev/null 2>&1
  install -d -m 755 "$R/var/lib/prometheus/node-exporter"
  inroot chown prometheus:prometheus /var/lib/prometheus/node-exporter
  mkdir -p "$R/etc/systemd/system/atscheck.service.d"
  printf '%s\n' '[Unit]' 'SuccessAction=exit-force' 'FailureAction=exit-force' 'SuccessActionExitStatus=0' 'FailureActionExitStatus=7' \
    '[Service]' "Environment=\"ATSCHECK_ARGS=--endpoint https://localhost:$port/ --resolve localhost:$port:127.0.0.1 --lab-roots /etc/atscheck-test/lab.pem --cacert /etc/atscheck-test/trust.pem --timeout 5\"" \
    > "$R/etc/systemd/system/atscheck.service.d/test.conf"
  timeout 120 systemd-nspawn -q --register=no --keep-unit -D "$R" -b systemd.unit=atscheck.service \
    >"$T/nspawn.log" 2>&1
  rc=$?
  # The container's exit status is the unit's: 0 when it succeeded, 7 when it failed.
  if [ "$rc" -eq 0 ]; then
    pass "systemd-nspawn booted the root, systemd ran atscheck.service, sandbox and all, to success"
  else
    fail "systemd-nspawn -b systemd.unit=atscheck.service: exit $rc (7: the unit failed)"
    tail -5 "$T/nspawn.log" | sed 's/^/    nspawn: /'
    journalctl -D "$R/var/log/journal" -u atscheck.service --no-pager 2>&1 | tail -15 | sed 's/^/    journal: /'
  fi
  st="$R/var/lib/private/atscheck"
  # CRITICAL: the test PKI's roots carry Amazon's names with other keys (impostors to the audit).
  check "the run wrote /var/lib/atscheck/report.json: a check, CRITICAL (the lab's impostor roots)" \
    jq -e '.command == "check" and .verdict == "CRITICAL"' "$st/report.json"
  check "... whose probes reached the endpoint from the sandbox: h2 200, HTTP/1.1 505, both OK" \
    jq -e '[.probe.probes[] | [.name, .verdict, .http.status, .tls.alpn]]
           == [["h2", "OK", 200, "h2"], ["http/1.1", "OK", 505, "http/1.1"]]' "$st/report.json"
  owner=$(stat -c %u "$st/report.json" 2>/dev/null)
  check "... as a transient user (DynamicUser: uid $owner, in 61184-65519), not root" \
    test "${owner:-0}" -ge 61184 -a "${owner:-0}" -le 65519
  prom="$R/var/lib/prometheus/node-exporter/atscheck.prom"
  check "publish put the textfile in node_exporter's folder (verdict 2)" \
    grep -qx 'atscheck_check_verdict{command="check"} 2' "$prom"
  check "promtool accepts the published textfile" promtool check metrics < "$prom"
  check "nothing staged is left in the state folder" test ! -e "$st/atscheck.prom"
  rm -rf "$R/etc/systemd/system/atscheck.service.d" "$R/etc/atscheck-test"
fi

# What a run leaves, then purge: nothing of atscheck stays.
mkdir -p "$R/var/lib/private/atscheck" "$R/var/lib/prometheus/node-exporter"
[ -e "$R/var/lib/atscheck" ] || ln -s private/atscheck "$R/var/lib/atscheck"
echo '{}' > "$R/var/lib/private/atscheck/report.json"
echo 'atscheck_check_verdict{command="check"} 0' > "$R/var/lib/prometheus/node-exporter/atscheck.prom"
rc=0; inroot apt-get purge -y atscheck >"$T/purge.log" 2>&1 || rc=$?
check "apt-get purge atscheck (exit $rc)" test "$rc" -eq 0
check "purged: dpkg knows no atscheck" bash -c "! chroot '$R' dpkg-query -W -f='\${Status}' atscheck 2>/dev/null | grep installed >/dev/null"
check "purged: /usr/bin/atscheck and the units are gone" \
  test ! -e "$R/usr/bin/atscheck" -a ! -e "$R/usr/lib/systemd/system/atscheck.service"
check "purged: the timer's enable link is gone" test ! -e "$wants" -a ! -L "$wants"
check "purged: the state folder and its link are gone" \
  test ! -e "$R/var/lib/private/atscheck" -a ! -L "$R/var/lib/atscheck"
check "purged: the textfile is gone, node_exporter's folder stays" \
  test ! -e "$R/var/lib/prometheus/node-exporter/atscheck.prom" -a -d "$R/var/lib/prometheus/node-exporter"
echo "    package_install: $(( $(date +%s) - t0 )) s"
finish
