#!/bin/sh
# Install the Debian packages given as arguments (the full benchmark's peers
# and tools). Idempotent: asks apt only for what is missing, after one
# 'apt-get update'.
set -eu

missing=""
for p in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "bench-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "bench-deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
