#!/usr/bin/env bash
# atscheck audit from the command line: exit codes, JSON fields, and one clear line for every
# kind of bad input, with the rest still audited.
. "$ATS_SOURCE_DIR/tests/lib/common.sh"

"$ATSCHECK" bundle export "$T" >/dev/null
cat "$T"/*.pem > "$T/six.pem"
cat "$T/Amazon_Root_CA_1.pem" "$T/Amazon_Root_CA_3.pem" > "$T/two.pem"

expect_exit 0 "six CAs: OK" "$ATSCHECK" audit --bundle "$T/six.pem"
expect_exit 1 "two CAs: WARNING" "$ATSCHECK" audit --bundle "$T/two.pem"
expect_exit 0 "json output" "$ATSCHECK" audit --bundle "$T/six.pem" --format json
check "json has verdict, exit_code, stores[].cas[].status and sha256" \
  jq -e '.verdict == "OK" and .exit_code == 0 and (.stores[0].path | endswith("six.pem"))
         and .stores[0].kind == "bundle" and ([.stores[0].cas[].status] | unique == ["present"])
         and (.stores[0].cas[0].sha256 | length == 64)' "$T/out"
expect_exit 2 "at 2041 everything has expired: CRITICAL" "$ATSCHECK" audit --bundle "$T/six.pem" --at 2041-01-01
expect_exit 0 "--output writes the file" "$ATSCHECK" audit --bundle "$T/six.pem" --format json --output "$T/r.json"
check "--output content is the report" jq -e '.verdict == "OK"' "$T/r.json"
check "--output leaves no temp file" test -z "$(ls "$T" | grep '\.tmp\.')"

# Bad input: one line naming the input and the fault, exit 3, the good store still audited.
printf 'garbage\n' > "$T/garbage.pem"
head -c 700 "$T/Amazon_Root_CA_1.pem" > "$T/truncated.pem"
head -c 4096 /dev/urandom > "$T/noise.pem"
: > "$T/empty.pem"
truncate -s 2G "$T/huge.pem"
mkdir "$T/adir"
expect_exit 3 "missing file" "$ATSCHECK" audit --bundle "$T/nope.pem" --bundle "$T/six.pem"
check "missing file named on stderr" grep -q "nope.pem: cannot open" "$T/err"
check "the good store is still audited" grep -q "six.pem" "$T/out"
expect_exit 3 "a directory given as a file" "$ATSCHECK" audit --bundle "$T/adir"
check "directory named" grep -q "adir: is a directory" "$T/err"
expect_exit 3 "2 GB file refused" "$ATSCHECK" audit --bundle "$T/huge.pem"
check "size named" grep -q "huge.pem: too large" "$T/err"
for f in garbage truncated noise empty; do
  expect_exit 2 "$f: no usable CA (CRITICAL), not a crash" "$ATSCHECK" audit --bundle "$T/$f.pem" --format json
done
"$ATSCHECK" audit --bundle "$T/truncated.pem" --format json > "$T/trunc.json"
check "truncated PEM reported with file and line" \
  jq -e '.stores[0].entry_problems[0] | (.line == 1 and (.message | test("truncated")))' "$T/trunc.json"
expect_exit 3 "bad --at" "$ATSCHECK" audit --at yesterday
expect_exit 3 "unknown option" "$ATSCHECK" audit --frobnicate
expect_exit 3 "unknown command" "$ATSCHECK" frobnicate
check "unknown command: one line, not the whole usage" test "$(wc -l <"$T/err")" -eq 1
check "unknown command: named, with a pointer to --help" grep -q "'frobnicate' is not a command. See 'atscheck --help'" "$T/err"
expect_exit 3 "unknown subcommand" "$ATSCHECK" dha frobnicate
check "unknown subcommand: points to its --help" grep -q "See 'atscheck dha --help'" "$T/err"
expect_exit 3 "unknown option" "$ATSCHECK" dha verify --frobnicate
check "unknown option: named, with its command's --help" grep -q "Try 'atscheck dha verify --help'" "$T/err"
expect_exit 0 "--help" "$ATSCHECK" audit --help
check "--help names the statuses" grep -q "not-yet-valid" "$T/out"
expect_exit 0 "--version" "$ATSCHECK" --version
check "--version names OpenSSL and libcurl" grep -q "OpenSSL 3" "$T/out"
check "--version names libcurl" grep -q "libcurl" "$T/out"

# check --offline leads with the audit's own cause.
expect_exit 1 "check --offline, two CAs: WARNING" "$ATSCHECK" check --offline --bundle "$T/two.pem" --format json
check "check's summary names the audit cause" jq -e '.summary.cause == "ca-missing" and (.summary.fix | test("atscheck install"))' "$T/out"

# No colour when not a terminal, or with NO_COLOR.
"$ATSCHECK" audit --bundle "$T/two.pem" > "$T/plain.txt"
check "no escape codes when piped" bash -c "! grep -q $'\033' '$T/plain.txt'"
check "each problem has its fix" grep -q "fix: atscheck install --ca 'Amazon Root CA 2'" "$T/plain.txt"
finish
