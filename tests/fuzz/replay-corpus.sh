#!/bin/sh
# Replay each fuzz harness over its seed corpus (TAP).  With --enable-fuzzers
# the harnesses are libFuzzer binaries and take the corpus directory with
# -runs=0; otherwise the small replay driver takes the files.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
n=0; fail=0
for f in fuzz_addr fuzz_header fuzz_reply fuzz_config fuzz_netrc; do
	n=$((n + 1))
	bin="$top_builddir/tests/fuzz/$f"
	corpus="$top_srcdir/tests/fuzz/corpus/$f"
	count=$(ls "$corpus" 2>/dev/null | wc -l)
	if [ ! -x "$bin" ] || [ "$count" -eq 0 ]; then
		echo "not ok $n - $f: harness or corpus missing"
		fail=1
		continue
	fi
	if "$bin" -help=1 2>&1 | grep -q libFuzzer; then
		"$bin" -runs=0 "$corpus" >/dev/null 2>&1
	else
		"$bin" "$corpus"/*
	fi
	if [ $? -eq 0 ]; then
		echo "ok $n - $f replays $count corpus inputs"
	else
		echo "not ok $n - $f crashed on its corpus"
		fail=1
	fi
done
echo "1..$n"
exit $fail
