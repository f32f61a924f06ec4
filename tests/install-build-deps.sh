#!/bin/sh
# Install what building postern and its checks needs, from Debian's packages.
# Idempotent and quick when everything is there already.
set -eu
pkgs="build-essential pkg-config autoconf automake libtool autoconf-archive
      libssl-dev libsecret-1-dev libinih-dev libidn-dev libcurl4-openssl-dev libjansson-dev python3 clang-14 libclang-rt-14-dev"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-build-deps: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends $missing >/dev/null
}
