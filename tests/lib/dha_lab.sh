# A DHA lab in the current folder, for the provision tests (source after common.sh): device.conf
# (a minimal device profile), ca.ext (a DAK's CA extensions, section dak) and a self-signed EC
# P-256 DAK, dak.pem with its key dak.key (0600).
dha_lab() {
  cat > device.conf <<'EOF2'
[ req ]
prompt = no
distinguished_name = dn
[ dn ]
CN = Example DHA
[ req_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
EOF2
  cat > ca.ext <<'EOF2'
[ dak ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign
subjectKeyIdentifier = hash
EOF2
  openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout dak.key \
    -subj "/CN=Test DAK" -days 3650 -out dak.pem -config ca.ext -extensions dak 2>/dev/null &&
    chmod 600 dak.key
}
