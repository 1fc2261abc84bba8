# Scratch Debian images for the install tests (bash; source after common.sh).
#   seed_image DIR     DIR gets this machine's /usr/share/ca-certificates, /etc/ca-certificates.conf,
#                      /usr/local/share/ca-certificates, os-release and OpenSSL's default links
#   build_certs DIR    runs Debian's real update-ca-certificates into DIR, then gives the links the
#                      absolute form they have on a device (the tool works from DIR/etc/ssl/certs)
#   pem_blocks FILE    every certificate of a PEM bundle as one line of base64, sorted
# need_debian_tools skips the whole test (exit 0, reason printed) where they are missing.
need_debian_tools() {
  UCC=$(command -v update-ca-certificates || echo /usr/sbin/update-ca-certificates)
  if [ ! -x "$UCC" ] || [ ! -d /usr/share/ca-certificates/mozilla ] || [ ! -f /etc/ca-certificates.conf ] \
     || ! command -v openssl >/dev/null; then
    echo "SKIP: needs Debian's ca-certificates (update-ca-certificates, /usr/share/ca-certificates/mozilla)"
    exit 0
  fi
}

seed_image() {
  local R=$1
  mkdir -p "$R/etc/ssl/certs" "$R/usr/share" "$R/usr/lib/ssl" "$R/usr/local/share/ca-certificates" \
    "$R/etc/ca-certificates/update.d"
  cp -a /usr/share/ca-certificates "$R/usr/share/"
  cp /etc/ca-certificates.conf "$R/etc/ca-certificates.conf"
  cat /etc/os-release > "$R/etc/os-release"
  ln -s /etc/ssl/certs "$R/usr/lib/ssl/certs"
  ln -s /etc/ssl/certs/ca-certificates.crt "$R/usr/lib/ssl/cert.pem"
  for f in /usr/local/share/ca-certificates/*.crt; do
    [ -f "$f" ] && cp "$f" "$R/usr/local/share/ca-certificates/"
  done
  return 0
}

build_certs() {
  local R=$1 l t
  (cd "$R/etc/ssl/certs" && "$UCC" --certsconf "$R/etc/ca-certificates.conf" \
    --certsdir ../../../usr/share/ca-certificates --localcertsdir ../../../usr/local/share/ca-certificates \
    --etccertsdir "$R/etc/ssl/certs" --hooksdir "$R/no-hooks") >/dev/null 2>&1 || return 1
  for l in "$R"/etc/ssl/certs/*; do
    [ -L "$l" ] || continue
    t=$(readlink "$l")
    case $t in ../../../usr/*) ln -sfn "/${t#../../../}" "$l" ;; esac
  done
}

pem_blocks() {
  tr -d '\r' < "$1" | awk '/-----BEGIN CERTIFICATE-----/{on=1; c=""; next}
    /-----END CERTIFICATE-----/{if (on) print c; on=0; next} on{c=c $0}' | sort
}
