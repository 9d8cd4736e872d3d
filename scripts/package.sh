#!/usr/bin/env bash
# scripts/package.sh -- build the Debian package postgresql-15-netflow from
# this checkout with Debian's PostgreSQL extension tooling (debian/, the
# pgxs debhelper addon of postgresql-server-dev-all), then run lintian.
#
# Usage: bash scripts/package.sh [OUTDIR]     (default: ./dist)
#
# Installs its build dependencies with apt-get, copies the tracked and
# untracked-but-not-ignored files into OUTDIR/src (so the checkout stays
# untouched), runs "dpkg-buildpackage -us -uc -b" there, and leaves the
# .deb, .buildinfo and .changes files in OUTDIR.  The last line printed is
# the path of postgresql-15-netflow_<version>_<arch>.deb.  Exits non-zero
# if the build fails or lintian reports an error or a warning.

set -eu
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

OUT=${1:-$NETFLOW_ROOT/dist}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

ensure_packages dpkg-dev debhelper postgresql-server-dev-all lintian make gcc

say "copying the source tree to $OUT/src"
rm -rf "$OUT/src" "$OUT"/*.deb "$OUT"/*.changes "$OUT"/*.buildinfo
mkdir -p "$OUT/src"
if git -C "$NETFLOW_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$NETFLOW_ROOT" ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -cf - -T - | tar -xf - -C "$OUT/src"
else
	tar --exclude=./dist --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
		-cf - . | tar -xf - -C "$OUT/src"
fi

say "dpkg-buildpackage -us -uc -b"
if ! (cd "$OUT/src" && dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1; then
	tail -n 40 "$OUT/build.log" >&2
	say "build failed; the whole log is $OUT/build.log"
	exit 1
fi

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
arch=$(dpkg --print-architecture)
deb="$OUT/postgresql-$PG_MAJOR-netflow_${version}_${arch}.deb"
[ -f "$deb" ] || { say "expected $deb, not built"; exit 1; }

# lintian warns that it runs as root; that line is not a finding.
say "lintian"
rc=0
lintian --fail-on error,warning "$deb" "$OUT/netflow_${version}_${arch}.changes" \
	>"$OUT/lintian.log" 2>&1 || rc=$?
grep -v 'running with root privileges is not recommended' "$OUT/lintian.log" >&2 || true
if [ "$rc" != 0 ]; then
	say "lintian reports errors or warnings (see above)"
	exit 1
fi
echo "$deb"
