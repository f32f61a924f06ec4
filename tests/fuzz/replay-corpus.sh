#!/bin/sh
# Replay each fuzz harness over its seed corpus (TAP).  With --enable-fuzzers
# the harnesses are libFuzzer binaries and take the corpus directory with
# -runs=0; otherwise the small replay driver takes the files.
#
# The harnesses are FUZZERS in Makefile.am (make check passes the list);
# run by hand, every corpus directory names one.  Either way a harness
# without a binary or a corpus, and a corpus without a harness, fail.
set -u
: "${top_srcdir:=.}" "${top_builddir:=.}"
corpora=$top_srcdir/tests/fuzz/corpus
if [ -z "${FUZZERS:-}" ]; then
	FUZZERS=$(cd "$corpora" && for d in */; do printf 'tests/fuzz/%s ' "${d%/}"; done)
fi
n=0; fail=0
for h in $FUZZERS; do
	f=${h##*/}
	n=$((n + 1))
	bin="$top_builddir/tests/fuzz/$f"
	corpus="$corpora/$f"
	count=$(ls "$corpus" 2>/dev/null | wc -l)
	if [ ! -x "$bin" ] || [ "$count" -eq 0 ]; then
		echo "not ok $n - $f: harness ($bin) or corpus ($corpus) missing"
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
for d in "$corpora"/*/; do
	d=${d%/}
	case " $FUZZERS " in
	*"/${d##*/} "*) ;;
	*) n=$((n + 1)); echo "not ok $n - corpus $d has no harness in FUZZERS"; fail=1 ;;
	esac
done
echo "1..$n"
exit $fail
