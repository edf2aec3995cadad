#!/bin/sh
# packaging/build-deb.sh: builds the tock .deb from this working tree.
#
#   packaging/build-deb.sh [OUTDIR] [-- DPKG-BUILDPACKAGE-OPTIONS...]
#
# debian/ must be at the top of a source tree, and tock keeps it in packaging/debian, so the
# tree (less .git and build/) is copied into a temp dir with packaging/debian as debian/, and
# `dpkg-buildpackage -us -uc -b` runs there. The .deb, .buildinfo and .changes land in OUTDIR
# (default build/deb). The build runs `make check` unless DEB_BUILD_OPTIONS has nocheck:
#   DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck packaging/build-deb.sh
# Needs dpkg-dev, debhelper and the Build-Depends of packaging/debian/control
# (on Debian, as root: apt-get install dpkg-dev debhelper, then the ones it names).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/build/deb
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	out=$1
	shift
fi
[ "${1:-}" = "--" ] && shift

for tool in dpkg-buildpackage dh; do
	if ! command -v "$tool" >/dev/null; then
		echo "build-deb.sh: $tool is missing; install dpkg-dev and debhelper" >&2
		exit 1
	fi
done

make_version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
deb_version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
if [ "$make_version" != "$deb_version" ]; then
	echo "build-deb.sh: warning: the Makefile says $make_version, packaging/debian/changelog $deb_version" >&2
fi

# As root, `make check` runs some tests as temporary users, which must reach the binaries and
# scripts in the build tree: mktemp's 0700 directory and a umask of 077 would stop them (exit 126).
umask 022
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT INT TERM
src=$tmp/tock-$deb_version
mkdir "$src"
(cd "$top" && tar --exclude=./.git --exclude=./build --exclude=./debian -cf - .) | (cd "$src" && tar -xf -)
cp -a "$top/packaging/debian" "$src/debian"
chmod -R u+rwX,go+rX,go-w "$src"

# the corpus test reads ../shared/corpus, which a copy in a temp dir does not have beside it
if [ -z "${TOCK_CORPUS:-}" ] && [ -d "$top/../shared/corpus/crontab-lines" ]; then
	TOCK_CORPUS=$(cd "$top/../shared/corpus/crontab-lines" && pwd)
	export TOCK_CORPUS
fi

(cd "$src" && dpkg-buildpackage -us -uc -b "$@")

mkdir -p "$out"
for f in "$tmp"/*.deb "$tmp"/*.buildinfo "$tmp"/*.changes; do
	[ -e "$f" ] && cp "$f" "$out/"
done
echo
echo "build-deb.sh: in $out:"
ls -l "$out"
echo "inspect with: dpkg-deb -I $out/tock_${deb_version}_*.deb; dpkg -c $out/tock_${deb_version}_*.deb; lintian $out/*.changes"
