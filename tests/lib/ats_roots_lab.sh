# The ATS root matrix's lab, for the tests and the benchmark (source after common.sh):
#   make_ats_lab DIR   writes the lab (atscheck serve --make-ats-roots-lab), then has
#                      `openssl ocsp` answer, as each issuing CA's responder, for its revoked
#                      host, writing DIR/revoked.scaNa.amazontrust.com.ocsp.der
#   ats_lab_resolve ADDR PORT [HOST=ADDR...]   --resolve options for the 15 hosts
ATS_LAB_HOSTS=()
for _k in good expired revoked; do for _n in 0 1 2 3 4; do
  ATS_LAB_HOSTS+=("$_k.sca${_n}a.amazontrust.com"); done; done

make_ats_lab() {
  local d=$1 n
  "$ATSCHECK" serve --make-ats-roots-lab "$d" >/dev/null || return 1
  for n in 0 1 2 3 4; do
    openssl ocsp -index "$d/sca${n}a-index.txt" -rsigner "$d/sca${n}a-ca.pem" \
      -rkey "$d/sca${n}a-ca.key" -CA "$d/sca${n}a-ca.pem" -issuer "$d/sca${n}a-ca.pem" \
      -cert "$d/revoked.sca${n}a.amazontrust.com.pem" -ndays 7 \
      -respout "$d/revoked.sca${n}a.amazontrust.com.ocsp.der" >/dev/null 2>&1 || return 1
  done
}

ats_lab_resolve() {
  local addr=$1 port=$2 h a; shift 2
  for h in "${ATS_LAB_HOSTS[@]}"; do
    a=$addr
    for o in "$@"; do [ "${o%%=*}" = "$h" ] && a=${o#*=}; done
    printf -- '--resolve\n%s:%s:%s\n' "$h" "$port" "$a"
  done
}
