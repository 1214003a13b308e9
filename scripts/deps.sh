#!/bin/sh
# Checks (and with "install", installs) the Debian packages pressmon needs.
# Idempotent: installs only what is missing; uses sudo when not root.
set -eu

# build and runtime libraries, the embedded Redis, and what the tests and
# benchmarks run beside pressmon (nginx, chromium, clang for fuzzing,
# feedparser, curl and Hyperscan as benchmark peers)
PKGS="build-essential pkg-config libcurl4-openssl-dev libxml2-dev libutf8proc-dev
libhiredis-dev libsqlite3-dev sqlite3 libjansson-dev libxxhash-dev libmicrohttpd-dev libuchardet-dev redis-server
redis-tools python3 tzdata ca-certificates openssl procps gzip nginx curl
clang libclang-rt-14-dev chromium python3-feedparser libhyperscan-dev"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

case "${1:-check}" in
check)
	if [ -n "$missing" ]; then
		echo "pressmon: missing Debian packages:$missing" >&2
		echo "pressmon: installing them (make deps)" >&2
		exec "$0" install
	fi
	;;
install)
	[ -z "$missing" ] && exit 0
	SUDO=""
	[ "$(id -u)" -ne 0 ] && SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $missing
	;;
*)
	echo "usage: deps.sh check|install" >&2
	exit 2
	;;
esac
