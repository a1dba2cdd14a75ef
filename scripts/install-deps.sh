#!/bin/sh
# Install Debian packages: the ones given as arguments, or by default what
# sockscope needs to build, run and test. Idempotent: asks apt only for what
# is missing, runs 'apt-get update' once.
set -eu

PKGS="${*:-make gcc clang clang-format llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config \
libcmocka-dev libsqlite3-dev librdkafka-dev iproute2 python3 valgrind rsyslog util-linux libclang-rt-14-dev}"

# make deb and deb-check (tests/package/check.sh): debhelper, lintian, and
# the bash-completion the generated script relies on
if [ $# -eq 0 ]; then
	PKGS="$PKGS dpkg-dev debhelper fakeroot lintian bash-completion"
fi

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi

echo "install-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
