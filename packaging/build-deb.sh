#!/bin/sh
# make deb: builds sockscope_VERSION_ARCH.deb in a copy of the tree (the
# tracked files and the untracked ones git does not ignore, as they are
# now), so the worktree is left as it was.
#   packaging/build-deb.sh OUTDIR     (default .output/deb)
# OUTDIR ends up holding the .deb, the -dbgsym .deb, .buildinfo, .changes.
set -eu

out=${1:-.output/deb}
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' debian/changelog)
[ -n "$version" ] || { echo "build-deb: no version in debian/changelog" >&2; exit 1; }
work="$out/build"
src="$work/sockscope-$version"

rm -rf "$work"
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard | while IFS= read -r f; do
		[ -e "$f" ] && printf '%s\n' "$f"
	done | tar -cf - -T - | tar -xf - -C "$src"
else
	tar -cf - --exclude=./.output --exclude=./sockscope . | tar -xf - -C "$src"
fi

# parallel=2: the build shares the machine (make -j2, as the README says)
(cd "$src" && DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:-parallel=2}" \
	dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1 || {
	tail -40 "$work/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log: $work/build.log)" >&2
	exit 1
}

rm -f "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes
mv "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes "$out"/
rm -rf "$src"
ls "$out"/sockscope_"$version"_*.deb
