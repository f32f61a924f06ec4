#!/bin/sh
# The whole test suite, from a clean checkout on a fresh Debian machine (as
# root): install the build and test dependencies, build, run `make check`
# (unit, transcript, fuzz-corpus and integration tests against real Postfix
# + Dovecot on loopback), then build again with ASan+UBSan and run it all
# again, then fuzz each parser briefly with libFuzzer.
# `make check` on its own installs nothing and skips what it cannot run (no
# root, no packages); this script installs everything first, runs as root,
# and fails if anything was skipped: nothing counts as passed that did not run.
set -eu
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "tests/run-all.sh must run as root (it installs packages and starts servers)" >&2
	exit 1
fi
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}

step() { printf '\n=== %s\n' "$*"; }

step "installing dependencies"
sh tests/install-build-deps.sh
sh tests/server/install-deps.sh

step "autoreconf"
autoreconf -fi >/dev/null 2>&1 || autoreconf -fi

check_build() {	# dir, configure args...
	dir=$1; shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q "$@" && make -s -j"$jobs")
	if ! (cd "$dir" && make -s -j"$jobs" check >check.log 2>&1); then
		grep -E '^(FAIL|ERROR|XPASS)' "$dir/check.log" || true
		find "$dir/tests" -name '*.log' ! -name 'test-suite.log' -exec grep -l -E '^(not ok|FAIL|ERROR)' {} + 2>/dev/null |
			while read -r f; do echo "----- $f"; tail -n 40 "$f"; done
		cat "$dir/test-suite.log" 2>/dev/null | tail -n 60
		echo "make check failed in $dir" >&2
		exit 1
	fi
	if grep -q '^# SKIP: *[1-9]' "$dir/test-suite.log"; then
		echo "tests were skipped in $dir; a skip is not a pass:" >&2
		grep -h '^SKIP' "$dir"/tests/*/*.log "$dir/test-suite.log" 2>/dev/null >&2 || true
		exit 1
	fi
	sed -n '/^# TOTAL/,/^# ERROR/p' "$dir/test-suite.log"
}

# --enable-werror: warnings are errors in CI (the default only in a git
# checkout; a release tarball builds without -Werror).
step "build and make check"
check_build build --enable-werror

step "ASan + UBSan build and make check"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	check_build build-asan --enable-werror --enable-sanitizers

# The tarball's make check runs everything but the root tests (servers,
# namespaces): those ran in both passes above, and a third run of them took
# 7 of CI's 23 minutes while proving only what the unit tests prove here
# (the tarball builds and its tests find their files).
step "make distcheck (tarball complete; install with sendmail links, installcheck, uninstall)"
(cd build && POSTERN_ROOT_TESTS=no make -s distcheck \
	DISTCHECK_CONFIGURE_FLAGS="--enable-sendmail-link --enable-werror" >distcheck.log 2>&1) || {
	tail -n 60 build/distcheck.log
	echo "make distcheck failed" >&2
	exit 1
}
grep -A1 'archives ready' build/distcheck.log

# A fresh clone of HEAD built with dpkg-buildpackage, lintian, installed,
# used to send, purged; not in make check (it needs root, apt-get and a
# clone).  Its TAP goes to build/deb.log; any failure fails the run.
step "Debian packages (tests/package/deb.sh: build, lintian, install, send, purge)"
if ! bash tests/package/deb.sh >build/deb.log 2>&1; then
	grep -E '^(not ok|Bail out)' build/deb.log || true
	tail -n 60 build/deb.log
	echo "tests/package/deb.sh failed (all of it in build/deb.log)" >&2
	exit 1
fi
grep -E '^# (dpkg-buildpackage|building)' build/deb.log || true
echo "$(grep -c '^ok ' build/deb.log) package checks passed"

step "libFuzzer: ${FUZZ_SECONDS}s per parser"
rm -rf build-fuzz && mkdir build-fuzz
(cd build-fuzz && "$top/configure" -q --enable-fuzzers --enable-sanitizers CC=clang-14)
fuzzers=$(make -s -C build-fuzz print-fuzzers)	# the one list: FUZZERS in Makefile.am
# shellcheck disable=SC2086
make -s -C build-fuzz -j"$jobs" $fuzzers
# Two at a time: each is one CPU-bound process, and the machine has two cores.
fuzz_one() {	# harness path
	f=${1##*/}
	work=$(mktemp -d)
	cp "$top/tests/fuzz/corpus/$f"/* "$work/"
	if ! (cd build-fuzz && ./tests/fuzz/$f -max_total_time="$FUZZ_SECONDS" -max_len=4096 \
		-timeout=10 -rss_limit_mb=2048 "$work" >"$f.log" 2>&1); then
		tail -n 40 "build-fuzz/$f.log"
		echo "$f found a crash; the input is in build-fuzz/" >&2
		return 1
	fi
	echo "$f: $(grep -o 'Done [0-9]* runs' "build-fuzz/$f.log" | tail -n 1) in ${FUZZ_SECONDS}s, no crash"
	rm -rf "$work"
}
# shellcheck disable=SC2086
set -- $fuzzers
while [ $# -gt 0 ]; do
	fuzz_one "$1" & p1=$!
	p2=
	if [ $# -gt 1 ]; then fuzz_one "$2" & p2=$!; shift; fi
	shift
	wait "$p1" || exit 1
	[ -z "$p2" ] || wait "$p2" || exit 1
done

step "all passed"
# automake counts test programs; count the checks inside them (TAP lines).
passed=$(cat build/tests/*/*.log build-asan/tests/*/*.log 2>/dev/null | grep -c '^ok ' || true)
failed=$(cat build/tests/*/*.log build-asan/tests/*/*.log 2>/dev/null | grep -c '^not ok ' || true)
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
