#!/usr/bin/env bash
# Device certificates, measured in one run (printed, never asserted):
# - provisioning: `atscheck dha provision` devices/s in tmpfs (all cores, and one) and on disk,
#   against the documented openssl pipeline (one device at a time, as the factory runs it) and
#   against the crypto ceiling of this machine: P-256 key generations and ECDSA signatures per
#   second (`openssl speed -seconds 1 ecdsap256`, and a reused-context keygen loop);
# - `atscheck dha verify --dir` devices/s against `openssl verify` run once per device.
set -uo pipefail
: "${ATSCHECK:?}" "${ATS_SOURCE_DIR:?}"
quick=${QUICK:-0}
cores=$(nproc 2>/dev/null || echo 1)
if [ "$quick" = 1 ]; then n_pipe=15 n_fast=4000 n_disk=1000 n_ossl_verify=40; else
  n_pipe=60 n_fast=20000 n_disk=4000 n_ossl_verify=150; fi
shm=/dev/shm
[ -d "$shm" ] && [ -w "$shm" ] || shm=${TMPDIR:-/tmp}
W=$(mktemp -d "$shm/atscheck-bench-dha.XXXXXX")
D=$(mktemp -d "${ATS_BUILD_DIR:-$ATS_SOURCE_DIR/build}/bench-dha-disk.XXXXXX" 2>/dev/null || mktemp -d /var/tmp/bench-dha.XXXXXX)
trap 'rm -rf "$W" "$D"' EXIT
cd "$W" || exit 1

now() { date +%s.%N; }
rate() { echo "scale=1; $1 / ($3 - $2)" | bc; }
ratio() { echo "scale=1; $1 / $2" | bc; }

cat > device.conf <<'EOF'
[ req ]
prompt = no
distinguished_name = dn
[ dn ]
C = US
O = Example Devices Inc.
CN = Example DHA
[ req_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
printf '[dak]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign\nsubjectKeyIdentifier = hash\n' > ca.ext
openssl req -x509 -new -nodes -newkey ec:<(openssl ecparam -name prime256v1) -keyout dak_private_key.pem \
  -subj "/CN=Bench DAK" -days 3650 -out dak-certificate.pem -config ca.ext -extensions dak 2>/dev/null
chmod 600 dak_private_key.pem

# --- The documented pipeline, device after device. ---
mkdir pipe
t0=$(now)
for i in $(seq 1 "$n_pipe"); do
  mkdir "pipe/$i" && (
    cd "pipe/$i" || exit 1
    openssl ecparam -name prime256v1 > dak-params.pem
    openssl req -new -nodes -config ../../device.conf -newkey ec:dak-params.pem -keyout private_key.pem -out device.csr 2>/dev/null
    openssl x509 -req -in device.csr -extfile ../../device.conf -extensions req_ext -CA ../../dak-certificate.pem \
      -CAkey ../../dak_private_key.pem -days 1825 -out device-certificate.pem -outform PEM -CAcreateserial -sha256 2>/dev/null
    cat device-certificate.pem ../../dak-certificate.pem > certificate.pem
    openssl x509 -in device-certificate.pem -pubkey -noout | openssl enc -base64 -d | openssl enc -base64 > dha-control-log-public-key.txt
  )
done
t1=$(now)
pipe_rate=$(rate "$n_pipe" "$t0" "$t1")

# --- Ours, and the file floor: the same folders and files with nothing else
# (tests/bench/files_floor.c), bare and with provisioning's durability steps (temporary name,
# syncfs per chunk, rename). Each run gets a fresh folder, after a sync (the disk's writeback of
# the last one); ours and the floor interleaved. On tmpfs a run is removed after it; on disk the
# runs are kept until the end: an ext4 without a journal (this project's VMs) skips every inode
# freed in the last minutes when it allocates one, reading its inode table block to see, so a run
# made after another run's removal paid for that removal (measured: 6,824 folders/s on a fresh
# filesystem, 335/s right after removing 8,000). The last of ours on tmpfs is kept for verify. ---
P=(dha provision --config device.conf --dak-cert dak-certificate.pem --dak-key dak_private_key.pem --format json)
settle() { sync; sleep 1; } # the previous run's writeback (and its removal) done first
ours() { # out_dir count jobs barcode -> devices/s
  settle
  "$ATSCHECK" "${P[@]}" --out "$1" --count "$2" --jobs "$3" --barcode "$4" > "$W/r.json" 2>/dev/null || { echo 0; return; }
  jq -r '(.devices.made / .seconds) | floor' "$W/r.json"
}
ours_once() { local r; r=$(ours "$@"); rm -rf "$1"; echo "$r"; }
"$ATSCHECK" "${P[@]}" --out "$W/pilot" --count 1 >/dev/null 2>&1
mapfile -t sizes < <(stat -c %s "$W"/pilot/*/* 2>/dev/null)
rm -rf "$W/pilot"
files_t1="" files_all="" files_disk="" files_bare="" files_bare_disk=""
have_ff=0
if [ ${#sizes[@]} -gt 0 ] && command -v cc >/dev/null &&
   cc -O2 -pthread -o "$W/files_floor" "$ATS_SOURCE_DIR/tests/bench/files_floor.c" 2>/dev/null; then
  have_ff=1
fi
ff() { # out_dir count jobs bare|durable -> devices/s (removed after, on tmpfs)
  [ $have_ff = 1 ] || return 0
  settle
  local r; r=$("$W/files_floor" "$1" "$2" "$3" "$4" "${sizes[@]}" 2>/dev/null || echo "")
  case $1 in "$W"/*) rm -rf "$1" ;; esac
  echo "$r"
}
files_t1=$(ff "$W/ff1" "$n_fast" 1 durable)
fast_one=$(ours_once "$W/fast1" "$n_fast" 1 png)
files_all=$(ff "$W/ff2" "$n_fast" "$cores" durable)
fast_nobc=$(ours_once "$W/fast2" "$n_fast" 1 none)
files_bare=$(ff "$W/ff3" "$n_fast" "$cores" bare)
# On disk, two pairs (floor, ours): the disk's speed drifts as it fills and writes back.
files_disk=$(ff "$D/ff4" "$n_disk" "$cores" durable)
disk_all=$(ours "$D/disk" "$n_disk" "$cores" png)
files_bare_disk=$(ff "$D/ff5" "$n_disk" "$cores" bare)
files_disk2=$(ff "$D/ff6" "$n_disk" "$cores" durable)
disk_all2=$(ours "$D/disk2" "$n_disk" "$cores" png)
fast_all=$(ours "$W/fast" "$n_fast" "$cores" png)

# --- The crypto ceiling: what one core's OpenSSL does for one device (a keygen, two signs). ---
speed_line=$(openssl speed -seconds 1 ecdsap256 2>/dev/null | grep nistp256 | tail -1)
speed_sign=$(echo "$speed_line" | awk '{print $(NF-1)}')
speed_verify=$(echo "$speed_line" | awk '{print $NF}')
keygen=""
if command -v cc >/dev/null && cc -O2 -o "$W/p256_ceiling" "$ATS_SOURCE_DIR/tests/bench/p256_ceiling.c" -lcrypto 2>/dev/null; then
  out=$("$W/p256_ceiling")
  keygen=$(echo "$out" | awk '/keygen/ {print $2}')
fi
if [ -n "$keygen" ] && [ -n "$speed_sign" ]; then
  ceiling=$(echo "scale=12; c = 1 / (1 / $keygen + 2 / $speed_sign); scale=0; c / 1" | bc)
else
  ceiling=""
fi

# --- Verify: --dir against openssl verify once per device. ---
"$ATSCHECK" dha verify --dir "$W/fast" --config device.conf --jobs "$cores" --format json > v.json 2>/dev/null
ours_verify=$(jq -r '(.summary.devices / .seconds) | floor' v.json)
ok_verify=$(jq -r '.summary.ok' v.json)
mapfile -t certs < <(ls -d "$W"/fast/*/ | head -n "$n_ossl_verify")
t0=$(now)
for c in "${certs[@]}"; do
  openssl verify -partial_chain -CAfile dak-certificate.pem "$c/device-certificate.pem" >/dev/null 2>&1
done
t1=$(now)
ossl_verify=$(rate "${#certs[@]}" "$t0" "$t1")

row() { printf '  %-42s %s\n' "$1" "$2"; }
echo "provisioning, devices/s (tmpfs at $shm unless said; PNG barcode unless said):"
row "atscheck, $cores threads" "$fast_all"
row "atscheck, 1 thread" "$fast_one  (no barcode: $fast_nobc)"
row "atscheck, $cores threads, on disk" "$disk_all  ($D)"
row "openssl pipeline, as documented" "$pipe_rate"
row "ratio atscheck / pipeline" "$(ratio "$fast_all" "$pipe_rate")x  (1 thread: $(ratio "$fast_one" "$pipe_rate")x; on disk: $(ratio "$disk_all" "$pipe_rate")x)"
if [ -n "$ceiling" ]; then
  row "crypto ceiling, one core" "$ceiling  (1 keygen + 2 signs: keygen $keygen/s, ecdsap256 sign $speed_sign/s)"
  row "atscheck 1 thread / one core's ceiling" "$(echo "scale=2; $fast_one / $ceiling" | bc)  (no barcode: $(echo "scale=2; $fast_nobc / $ceiling" | bc))"
  row "atscheck $cores threads / one core's ceiling" "$(echo "scale=2; $fast_all / $ceiling" | bc)  (/ all $cores cores': $(echo "scale=2; $fast_all / ($ceiling * $cores)" | bc))"
fi
if [ -n "$files_t1" ] && [ -n "$files_all" ] && [ -n "$files_disk" ]; then
  row "files alone (same folders and files)" "$files_all/s on $cores threads, durable; bare: $files_bare/s; 1 thread durable: $files_t1/s"
  row "files alone on disk" "$files_disk/s and $files_disk2/s durable; bare: $files_bare_disk/s"
  row "atscheck on disk, after each of those" "$disk_all/s and $disk_all2/s"
  row "atscheck time / files-alone time" "tmpfs $(echo "scale=2; $files_all / $fast_all" | bc)x, disk $(echo "scale=2; $files_disk / $disk_all" | bc)x and $(echo "scale=2; $files_disk2 / $disk_all2" | bc)x  (durable files; goal on disk: 1.2x or less)"
  if [ -n "$ceiling" ]; then
    # The floor per core: a keygen, two signs and the same files, one after the other.
    floor=$(echo "scale=12; f = 1 / (1 / $keygen + 2 / $speed_sign + 1 / $files_t1); scale=0; f / 1" | bc)
    row "floor (crypto + files), one core" "$floor/s"
    row "atscheck $cores threads / floor x $cores cores" "$(echo "scale=2; $fast_all / ($floor * $cores)" | bc)  (goal 0.80)"
  fi
fi
echo "verify, devices/s:"
row "atscheck dha verify --dir, $cores threads" "$ours_verify  ($ok_verify of $n_fast OK)"
row "openssl verify, once per device" "$ossl_verify"
row "ratio" "$(ratio "$ours_verify" "$ossl_verify")x"
if [ -n "$speed_verify" ]; then
  row "floor: ECDSA P-256 verifies, one core" "${speed_verify%.*}/s (openssl speed ecdsap256)"
  row "atscheck / floor x $cores cores" "$(echo "scale=2; $ours_verify / ($speed_verify * $cores)" | bc)  (goal 0.80)"
  if [ -n "$keygen" ]; then
    # Each folder holds private_key.pem too: checking it is one scalar x G (about a keygen).
    vk=$(echo "scale=12; f = 1 / (1 / $speed_verify + 1 / $keygen); scale=0; f / 1" | bc)
    row "floor with the key check (verify + scalar x G)" "$vk/s per core; atscheck / it x $cores: $(echo "scale=2; $ours_verify / ($vk * $cores)" | bc)"
  fi
fi
