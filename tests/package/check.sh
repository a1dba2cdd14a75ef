#!/bin/bash
# make deb-check: the Debian package end to end. lintian finds no error;
# apt-get installs it; it holds what it should (binary, man page, unit,
# conffile, /var/lib/sockscope 0700, bash completion); the unit is neither
# enabled nor started; the installed sockscope answers --version and
# 'who 1'; the man page documents every option --help lists; the completion
# completes them; apt-get purge leaves nothing behind, including what a
# daemon would have written. The build tree's ./sockscope is not touched.
#   tests/package/check.sh DEBDIR     (make deb puts the package there)
# Needs root (apt-get, BPF). Refuses to run where sockscope is installed.
set -u

debdir=${1:-.output/deb}
top=$(pwd)
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
abi=$(sed -n 's/^#define SS_ABI_VERSION \([0-9]*\).*/\1/p' include/sockscope_abi.h)
fails=0
installed=0
started=0
tmp=$(mktemp -d)

fail() {
	echo "deb-check: FAIL: $*" >&2
	fails=$((fails + 1))
}

cleanup() {
	if ((installed)) && dpkg-query -W -f='${Status}' sockscope 2>/dev/null | grep -q installed; then
		echo "deb-check: purging the package after a failure" >&2
		apt-get purge -y -qq -o DPkg::Lock::Timeout=120 sockscope >/dev/null 2>&1
	fi
	# none of them existed before (checked below): what a broken purge left
	# is reported, then removed, so the next run starts clean
	if ((started)); then
		rm -rf /etc/sockscope /var/lib/sockscope /var/log/sockscope
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "deb-check: SKIP: needs root (apt-get install, BPF)" >&2
	[ -n "${CI:-}" ] && exit 1
	exit 0
fi

# shellcheck disable=SC2012
debs=$(ls "$debdir"/sockscope_"$version"_*.deb 2>/dev/null)
if [ -z "$debs" ] || [ "$(echo "$debs" | wc -l)" -ne 1 ]; then
	echo "deb-check: expected one $debdir/sockscope_${version}_ARCH.deb (make deb), found: ${debs:-none}" >&2
	exit 1
fi
deb=$(realpath "$debs")
echo "deb-check: $deb"

# What the package would replace or purge must not be the user's.
if dpkg-query -W -f='${Status}' sockscope 2>/dev/null | grep -q installed; then
	echo "deb-check: sockscope is installed on this machine: this check installs and purges its own package (remove it first)" >&2
	exit 1
fi
for p in /etc/sockscope /var/lib/sockscope /var/log/sockscope /usr/sbin/sockscope \
	/lib/systemd/system/sockscope.service /etc/systemd/system/sockscope.service; do
	if [ -e "$p" ]; then
		echo "deb-check: $p exists (make install?): a purge would remove it; move it away first" >&2
		exit 1
	fi
done

started=1

# ---- lintian: no errors; warnings and the rest are listed ----
lintian --fail-on error --display-info --pedantic --show-overrides "$deb" >"$tmp/lintian" 2>&1
lrc=$?
grep -v 'running with root privileges' "$tmp/lintian" | sed -n "s/^\([EWIPOX]\): /lintian: \1: /p"
[ $lrc -eq 0 ] || fail "lintian reports errors (exit $lrc)"

# ---- the maintainer scripts never start or enable the unit ----
dpkg-deb -e "$deb" "$tmp/control"
if grep -hE 'deb-systemd-invoke +(start|restart)|systemctl +(start|enable|restart)' \
	"$tmp"/control/postinst "$tmp"/control/preinst 2>/dev/null; then
	fail "a maintainer script starts or enables the unit"
fi
grep -q "deb-systemd-invoke stop" "$tmp/control/prerm" 2>/dev/null ||
	fail "prerm does not stop a running daemon on removal"

# ---- the build tree's binary, and which package paths exist already ----
build_sum=
[ -e "$top/sockscope" ] && build_sum=$(sha256sum <"$top/sockscope")
dpkg-deb --fsys-tarfile "$deb" | tar -t | sed 's|^\./|/|; s|/$||; /^$/d' >"$tmp/paths"
while IFS= read -r p; do
	[ -e "$p" ] && echo "$p"
done <"$tmp/paths" >"$tmp/existed"

# ---- install ----
installed=1
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 \
	"$deb" >"$tmp/apt.log" 2>&1; then
	cat "$tmp/apt.log" >&2
	echo "deb-check: FAIL: apt-get install $deb" >&2
	exit 1
fi
got=$(dpkg-query -W -f='${Status} ${Version}' sockscope)
[ "$got" = "install ok installed $version" ] || fail "dpkg status: '$got'"

dpkg -L sockscope >"$tmp/list"
for p in /usr/sbin/sockscope /usr/share/man/man8/sockscope.8.gz /lib/systemd/system/sockscope.service \
	/usr/share/bash-completion/completions/sockscope /etc/sockscope/sockscope.conf /var/lib/sockscope \
	/usr/share/doc/sockscope/copyright; do
	grep -qx "$p" "$tmp/list" || fail "the package does not list $p"
	[ -e "$p" ] || fail "$p is not installed"
done
dpkg-query -W -f='${Conffiles}\n' sockscope | grep -q '^ /etc/sockscope/sockscope.conf ' ||
	fail "/etc/sockscope/sockscope.conf is not a conffile"
perm=$(stat -c '%a %U' /var/lib/sockscope 2>/dev/null)
[ "$perm" = "700 root" ] || fail "/var/lib/sockscope: mode and owner '$perm', expected '700 root'"

# ---- the unit: installed, pointing at the binary, neither enabled nor running ----
grep -q '^ExecStart=/usr/sbin/sockscope daemon --config /etc/sockscope/sockscope.conf$' \
	/lib/systemd/system/sockscope.service || fail "the unit's ExecStart is not /usr/sbin/sockscope daemon"
if command -v systemctl >/dev/null; then
	state=$(systemctl is-enabled sockscope.service 2>/dev/null)
	[ "$state" = "disabled" ] || fail "systemctl is-enabled sockscope: '$state', expected 'disabled'"
fi
ls /etc/systemd/system/*.wants/sockscope.service >/dev/null 2>&1 && fail "the unit is enabled (a .wants link)"
for e in /proc/[0-9]*/exe; do
	[ "$(readlink "$e" 2>/dev/null)" = /usr/sbin/sockscope ] && fail "a sockscope from the package runs: ${e%/exe}"
done

# ---- the installed binary ----
out=$(/usr/sbin/sockscope --version)
if ! [[ $out =~ ^sockscope\ ${version//./\\.}\ \(event\ ABI\ ${abi},\ libbpf\ [0-9]+\.[0-9]+\)$ ]]; then
	fail "sockscope --version: '$out', expected 'sockscope $version (event ABI $abi, libbpf X.Y)'"
fi
echo "deb-check: $out"
/usr/sbin/sockscope who 1 >"$tmp/who.out" 2>"$tmp/who.err"
rc=$?
# 0: something holds port 1; 6: nothing does. Anything else: it did not run.
if [ $rc -ne 0 ] && [ $rc -ne 6 ]; then
	fail "sockscope who 1: exit $rc: $(head -3 "$tmp/who.err")"
fi
echo "deb-check: sockscope who 1: exit $rc: $(cat "$tmp/who.out" "$tmp/who.err" | head -1)"
/usr/sbin/sockscope daemon --check-config --config /etc/sockscope/sockscope.conf >/dev/null 2>"$tmp/cfg.err" ||
	fail "the packaged config does not pass --check-config: $(head -3 "$tmp/cfg.err")"

# ---- the man page: the version, every command and every option --help lists ----
zcat /usr/share/man/man8/sockscope.8.gz >"$tmp/man"
grep -q "^\.TH SOCKSCOPE 8 \"[^\"]*\" \"sockscope $version\"" "$tmp/man" ||
	fail "the man page's footer does not say sockscope $version"
for cmd in $(/usr/sbin/sockscope --help | sed -n '/^Commands:/,/^$/s/^  \([a-z]*\) .*/\1/p'); do
	grep -qE "^\.(B|BI|TP|SS) .*\b$cmd\b|^\.B $cmd$" "$tmp/man" || fail "the man page does not describe '$cmd'"
	for o in $(/usr/sbin/sockscope "$cmd" --help | grep -oE '^  (-., )?--[a-z-]+|^      --[a-z-]+' |
		grep -oE -- '--[a-z-]+' | sort -u); do
		grep -qF -- "${o//-/\\-}" "$tmp/man" || fail "the man page does not describe $cmd's $o"
	done
done
if command -v man >/dev/null; then
	warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z \
		/usr/share/man/man8/sockscope.8.gz 2>&1 >/dev/null)
	[ -z "$warn" ] || fail "man reports: $warn"
fi

# ---- bash completion, as installed ----
if [ -r /usr/share/bash-completion/bash_completion ]; then
	bash "$top/tests/package/completion.sh" /usr/share/bash-completion/completions/sockscope \
		/usr/sbin/sockscope || fail "bash completion"
else
	fail "bash-completion is not installed (scripts/install-deps.sh installs it)"
fi

# ---- what a daemon leaves at run time, which purge must remove too ----
: >/var/lib/sockscope/sockscope.db
: >/var/lib/sockscope/sockscope.db-wal
mkdir -p /var/log/sockscope
: >/var/log/sockscope/events.json
: >/var/log/sockscope/events.json.1

# ---- purge: nothing left ----
if ! DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq -o DPkg::Lock::Timeout=120 \
	sockscope >"$tmp/apt.log" 2>&1; then
	cat "$tmp/apt.log" >&2
	fail "apt-get purge sockscope"
fi
installed=0
dpkg-query -W -f='${Status}' sockscope 2>/dev/null | grep -q 'installed\|config-files' &&
	fail "dpkg still knows sockscope: $(dpkg-query -W -f='${Status}' sockscope)"
dpkg -L sockscope >/dev/null 2>&1 && fail "dpkg -L sockscope still lists files"
for p in /etc/sockscope /var/lib/sockscope /var/log/sockscope /lib/systemd/system/sockscope.service; do
	[ -e "$p" ] && fail "$p is left after purge"
done
while IFS= read -r p; do
	[ -e "$p" ] && ! grep -qxF "$p" "$tmp/existed" && fail "$p is left after purge"
done <"$tmp/paths"
left=$(find /etc/systemd /var/lib/systemd -name '*sockscope*' 2>/dev/null)
[ -z "$left" ] && left=$(grep -rl sockscope /var/lib/systemd/deb-systemd-helper-* 2>/dev/null)
[ -z "$left" ] || fail "systemd state left after purge: $left"

# ---- the build tree ----
if [ -n "$build_sum" ] && [ "$(sha256sum <"$top/sockscope")" != "$build_sum" ]; then
	fail "./sockscope of the build tree changed"
fi

if ((fails)); then
	echo "deb-check: $fails check(s) failed" >&2
	exit 1
fi
echo "deb-check: ok (lintian clean of errors, installed, used, purged without a trace)"
