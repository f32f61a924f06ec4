#!/bin/bash
# The Debian packages, end to end (as root, on a Debian machine; not part
# of `make check`: tests/run-all.sh runs it as a step of its own).
#
#  1. installs the tools and the Build-Depends with apt-get;
#  2. clones the repository's HEAD (what is committed, not the work tree)
#     into a temp dir, moves contrib/debian to debian/ there and builds the
#     binary packages with `dpkg-buildpackage -us -uc -b`;
#  3. runs lintian: no E: tag; warnings and infos are shown; every override
#     in contrib/debian/*.lintian-overrides has a comment saying why;
#  4. installs postern with `apt-get install ./postern_*.deb` (so that its
#     Depends resolve), sends a message through the real test Postfix with
#     /usr/bin/postern, checks the installed files, then purges it and checks
#     that nothing it installed is left, in /etc neither;
#  5. checks postern-mta with dpkg-deb only (its links and relations):
#     installing it would remove Postfix, which also provides
#     mail-transport-agent.
#
# The build runs with DEB_BUILD_OPTIONS=nocheck: as root, dh_auto_test's
# `make check` would start the whole integration suite (Postfix, Dovecot,
# namespaces) a third time after run-all.sh's two runs.  The package build
# with its checks on, as an ordinary user, is what a distribution's builder
# does: there the integration tests skip (no root) and the unit tests run.
#
# TAP on stdout; exit status 0 only if every check passed.
# Env: POSTERN_DEB_KEEP=1 keeps the installed package (no purge).
. "$(dirname "$0")/../integration/lib.sh"

top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || bail "tests/package/deb.sh must run as root (apt-get, dpkg)"
{ command -v dpkg && command -v apt-get; } >/dev/null || bail "not a Debian system (no dpkg, apt-get)"
dpkg-query -W -f='${db:Status-Status}' postern 2>/dev/null | grep -qx installed &&
    bail "postern is already installed here: purge it first (this test installs and purges it)"

export DEBIAN_FRONTEND=noninteractive
test_tmpdir
t=$TEST_TMPDIR
apt_quiet() {	# apt-get ARGS...: its output only when it fails
    local out
    out=$(apt-get -q -y "$@" 2>&1) && return 0
    diag "apt-get $*" "$(printf '%s\n' "$out" | tail -n 20)"
    return 1
}

# ------------------------------------------------------------- 1. tools
# bash-completion and zsh: to check that they find the installed completions
tools="dpkg-dev debhelper lintian git bash-completion zsh"
# shellcheck disable=SC2086
apt_quiet install --no-install-recommends $tools ||
    { apt_quiet update && apt_quiet install --no-install-recommends $tools; } ||
    bail "cannot install $tools"
sh "$top/tests/server/install-deps.sh" server >/dev/null || bail "tests/server/install-deps.sh server failed"

# ---------------------------------------------------------------- 2. build
src=$t/src
rev=$(git -C "$top" rev-parse HEAD) || bail "$top is not a git checkout"
{ git clone -q --no-checkout "$top" "$src" && git -C "$src" checkout -q "$rev"; } ||
    bail "cannot clone $top"
diag "building $rev ($(git -C "$top" log -1 --format=%s "$rev"))"
[ -z "$(git -C "$top" status --porcelain --untracked-files=no)" ] ||
    diag "note: $top has uncommitted changes; they are not in this build"
mv "$src/contrib/debian" "$src/debian" || bail "no contrib/debian in the clone"
apt_quiet build-dep "$src" || bail "cannot install the Build-Depends (apt-get build-dep)"
(cd "$src" && dpkg-checkbuilddeps) >"$t/checkbuilddeps.log" 2>&1
check_status $? "dpkg-checkbuilddeps: every Build-Depends is installed" || diag "$(cat "$t/checkbuilddeps.log")"

start=$(date +%s)
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b) >"$t/build.log" 2>&1
st=$?
diag "dpkg-buildpackage -b: $(($(date +%s) - start)) s wall time"
check_status $st "dpkg-buildpackage -us -uc -b builds" || { diag "$(tail -n 40 "$t/build.log")"; tap_done; }

version=$(cd "$src" && dpkg-parsechangelog -S Version)
upstream=$(sed -n 's/^AC_INIT(\[postern\], \[\([^]]*\)\].*/\1/p' "$src/configure.ac")
is "$version" "$upstream" "debian/changelog's version is configure.ac's (a native package)"
arch=$(dpkg --print-architecture)
deb=$t/postern_${version}_${arch}.deb
mta=$t/postern-mta_${version}_all.deb
changes=$t/postern_${version}_${arch}.changes
ok "$([ -f "$deb" ] && [ -f "$mta" ] && [ -f "$changes" ] && echo 1)" "postern, postern-mta and the .changes are built"
{ [ -f "$deb" ] && [ -f "$mta" ]; } || tap_done
is "$(dpkg-deb -f "$deb" Package Architecture | tr '\n' ' ')" "Package: postern Architecture: $arch " "postern is Architecture: any"

# ---------------------------------------------------------------- 3. lintian
lintian --pedantic --display-info "$changes" >"$t/lintian.log" 2>&1
lst=$?
diag "lintian:" "$(cat "$t/lintian.log")"
is "$(grep -c '^E: ' "$t/lintian.log")" 0 "lintian: no errors"
is "$lst" 0 "lintian exits 0"
# Each override is preceded by a comment (possibly several lines) saying why.
bad=$(awk '/^#/ { why = 1; next } /^[[:space:]]*$/ { why = 0; next } !why { print FILENAME ": " $0 }' \
    "$src"/debian/*.lintian-overrides 2>/dev/null)
is "$bad" "" "every lintian override has a comment saying why"
unused=$(grep -E '^[NI]: .*unused-override' "$t/lintian.log")
is "$unused" "" "no lintian override is unused"

# ---------------------------------------------------------------- 4. install
before_etc=$(find /etc | sort)
apt_quiet install "$deb"
check_status $? "apt-get install ./postern_${version}_${arch}.deb"
[ -n "${POSTERN_DEB_KEEP:-}" ] || at_exit "dpkg-query -W postern >/dev/null 2>&1 && apt-get -q -y purge postern >/dev/null 2>&1"
is "$(dpkg-query -W -f='${db:Status-Status} ${Version}' postern 2>&1)" "installed $version" "postern $version is installed"
files=$(dpkg -L postern)

POSTERN=/usr/bin/postern
is "$("$POSTERN" --version 2>&1 | head -n 1 | awk '{ print $1, $2 }')" "postern $version" "/usr/bin/postern --version: $version"
for f in /usr/bin/postern /usr/share/man/man1/postern.1.gz /usr/share/man/man5/postern.ini.5.gz \
         /usr/share/bash-completion/completions/postern /usr/share/zsh/vendor-completions/_postern \
         /usr/lib/systemd/user/postern-queue.service /usr/lib/systemd/user/postern-queue.timer \
         /usr/lib/systemd/user/postern-queue@.service /usr/lib/systemd/user/postern-queue@.timer \
         /usr/share/doc/postern/copyright /usr/share/doc/postern/examples/postern.ini.example \
         /usr/share/doc/postern/README.gz /usr/share/doc/postern/NEWS.gz; do
    printf '%s\n' "$files" | grep -qx "$f" && [ -f "$f" ]
    check_status $? "installed: $f"
done
unlike "$files" '^/usr/sbin/sendmail$|^/usr/lib/sendmail$|^/usr/bin/mailq$|^/usr/bin/newaliases$' \
    "the sendmail, mailq and newaliases names are not in postern (they are postern-mta's)"
is "$(bash --norc --noprofile -c '. /usr/share/bash-completion/completions/postern && complete -p postern' 2>&1)" \
    "complete -F _postern postern" "the installed bash completion loads"
is "$(bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion
    __load_completion postern; complete -p postern' 2>&1)" \
    "complete -F _postern postern" "bash-completion's on-demand loader finds it"
zsh -f -c 'print -rl -- $fpath' | grep -qx /usr/share/zsh/vendor-completions
check_status $? "zsh's default \$fpath has /usr/share/zsh/vendor-completions"
gunzip -c /usr/share/man/man1/postern.1.gz | grep '^\.TH POSTERN 1' >/dev/null
check_status $? "postern.1.gz is the man page"
# dpkg-buildflags' hardening reached the binary
rel=$(readelf -dW /usr/bin/postern 2>&1)
like "$rel" 'BIND_NOW|FLAGS.*NOW' "/usr/bin/postern: full RELRO (bind now)"
like "$(readelf -hW /usr/bin/postern 2>&1)" 'Type: +DYN' "/usr/bin/postern: PIE"
like "$(readelf -sW --dyn-syms /usr/bin/postern 2>&1)" '__[a-z]+_chk' "/usr/bin/postern: FORTIFY_SOURCE"
unlike "$(readelf -dW /usr/bin/postern 2>&1 | grep NEEDED)" 'libsecret|libcurl|libjansson|libglib' \
    "libsecret, libcurl and jansson are not linked (dlopen'ed, Recommends)"

# A real message through the test Postfix, with the installed binary.
server_start "$t/srv"
mk_account_config "$t/c.ini"
token="deb-test-$$-$RANDOM"
printf 'From: %s\nTo: %s\nSubject: from the package %s\n\nsent by /usr/bin/postern %s\n' \
    "$TEST_USER" "$TEST_USER" "$token" "$version" > "$t/msg"
capture "$POSTERN" -C "$t/c.ini" -t -i < "$t/msg"
is "$CAP_RC" 0 "/usr/bin/postern sends through the test Postfix (exit 0)" || diag "$CAP_ERR"
wait_for_mail 1
check_status $? "the message is delivered"
got=$(mail_files | while IFS= read -r f; do cat "$f"; done)
like "$got" "^Subject: from the package $token" "the delivered message is ours"
like "$got" "sent by /usr/bin/postern $version" "with its body"

# ---------------------------------------------------------------- purge
if [ -n "${POSTERN_DEB_KEEP:-}" ]; then
    diag "POSTERN_DEB_KEEP: postern stays installed"
else
    apt_quiet purge postern
    check_status $? "apt-get purge postern"
    dpkg-query -W postern >/dev/null 2>&1
    is "$?" 1 "postern is gone from dpkg's database (dpkg-query -W finds nothing)"
    left=$(printf '%s\n' "$files" | while IFS= read -r f; do
        [ -n "$f" ] && [ -e "$f" ] && [ ! -d "$f" ] && echo "$f"
    done)
    is "$left" "" "every file postern installed is removed"
    left=$(printf '%s\n' "$files" | grep -E 'postern' | while IFS= read -r f; do
        [ -d "$f" ] && echo "$f"
    done)
    is "$left" "" "and its own directories"
    is "$(diff <(printf '%s\n' "$before_etc") <(find /etc | sort))" "" "nothing added to or removed from /etc"
    is "$(find /var/lib/systemd/deb-systemd-user-helper-enabled -name '*postern*' 2>/dev/null)" "" \
        "no systemd user-unit state left behind"
fi

# ---------------------------------------------------------------- 5. postern-mta
is "$(dpkg-deb -f "$mta" Architecture)" "all" "postern-mta is Architecture: all (links only)"
is "$(dpkg-deb -f "$mta" Depends)" "postern (>= $version), postern (<< $version.1~)" \
    "postern-mta depends on this version of postern (a binNMU-safe range)"
for rel in Provides Conflicts Replaces; do
    is "$(dpkg-deb -f "$mta" "$rel")" "mail-transport-agent" "postern-mta $rel: mail-transport-agent (Policy 11.6)"
done
# "lrwxrwxrwx root/root 0 DATE TIME ./PATH -> TARGET": the link and where it points, resolved
links=$(dpkg-deb -c "$mta" | awk '$1 ~ /^l/ { p = $6; sub(/^\./, "", p); print p, $8 }' |
    while read -r path target; do
        case $target in
        /*) r=$target ;;
        *) r=$(realpath -m "$(dirname "$path")/$target") ;;
        esac
        echo "$path -> $r"
    done | sort)
is "$links" "$(printf '%s\n' \
    "/usr/bin/mailq -> /usr/bin/postern" \
    "/usr/bin/newaliases -> /usr/bin/postern" \
    "/usr/lib/sendmail -> /usr/bin/postern" \
    "/usr/sbin/sendmail -> /usr/bin/postern" \
    "/usr/share/man/man1/mailq.1.gz -> /usr/share/man/man1/postern.1.gz" \
    "/usr/share/man/man1/newaliases.1.gz -> /usr/share/man/man1/postern.1.gz" \
    "/usr/share/man/man8/sendmail.8.gz -> /usr/share/man/man1/postern.1.gz")" \
    "postern-mta's links point to postern and its man page"
is "$(dpkg-deb -c "$mta" | awk '$1 !~ /^[ld]/ { print $6 }' | sort | tr '\n' ' ')" \
    "./usr/share/doc/postern-mta/changelog.gz ./usr/share/doc/postern-mta/copyright ./usr/share/lintian/overrides/postern-mta " \
    "postern-mta holds nothing else than links (and its copyright, changelog, lintian override)"
dpkg-deb -c "$deb" | grep ' \./usr/share/man/man1/postern\.1\.gz$' >/dev/null  # all of it read: no SIGPIPE for dpkg-deb
check_status $? "the man page the links point to is in postern"

tap_done
