#!/usr/bin/env bash
# scripts/check_versions.sh -- the release rules of docs/development.md
# ("Releasing"), checked on the git checkout; prints TAP.
#
#  - the version in the Makefile (EXTVERSION), netflow.control's
#    default_version and debian/changelog's version are the same;
#  - a released version's install script sql/netflow--X.sql is frozen
#    (committed).  When the Makefile's version is itself released, the
#    parts must still reproduce its committed script byte for byte: an SQL
#    part changed without a version bump fails here;
#  - every released version has a chain of upgrade scripts
#    sql/netflow--A--B.sql leading to the Makefile's version, and every
#    upgrade script starts from a released (frozen) version.
#
# Usage: bash scripts/check_versions.sh      (exit status 0 when all pass)

set -u
cd "$(dirname "$0")/.." || exit 1

N=0
FAILS=0
# Print one TAP line: tap OK|FAIL description
tap() {
	N=$((N + 1))
	if [ "$1" = OK ]; then echo "ok $N - $2"; else echo "not ok $N - $2"; FAILS=$((FAILS + 1)); fi
}

V=$(sed -n 's/^EXTVERSION *= *//p' Makefile)
ctl=$(sed -n "s/^default_version = '\(.*\)'/\1/p" netflow.control)
[ -n "$V" ] && [ "$V" = "$ctl" ] &&
	tap OK "Makefile EXTVERSION ($V) equals netflow.control default_version" ||
	tap FAIL "Makefile EXTVERSION ($V) equals netflow.control default_version ($ctl)"
if [ -f debian/changelog ]; then
	deb=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null ||
		sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' debian/changelog)
	[ "$deb" = "$V" ] &&
		tap OK "debian/changelog version ($deb) equals the extension version" ||
		tap FAIL "debian/changelog version ($deb) equals the extension version ($V)"
fi

if ! git rev-parse --git-dir >/dev/null 2>&1; then
	tap FAIL "a git checkout (released scripts are the committed ones)"
	echo "1..$N"
	exit 1
fi

# Released versions: committed sql/netflow--X.sql (not upgrade scripts).
released=$(git ls-files 'sql/netflow--*.sql' | sed -n 's|^sql/netflow--\([^-]*\)\.sql$|\1|p' | sort -V)
[ -n "$released" ] &&
	tap OK "released versions frozen in sql/: $(echo $released)" ||
	tap FAIL "at least one released version frozen in sql/"

if git ls-files --error-unmatch "sql/netflow--$V.sql" >/dev/null 2>&1; then
	if cat sql/parts/*.sql | cmp -s - <(git show ":sql/netflow--$V.sql"); then
		tap OK "$V is released and sql/parts/ reproduce its frozen script byte for byte"
	else
		tap FAIL "$V is released but sql/parts/ no longer reproduce sql/netflow--$V.sql: bump EXTVERSION and write an upgrade script (docs/development.md, Releasing)"
		cat sql/parts/*.sql | diff -u <(git show ":sql/netflow--$V.sql") - | head -n 40 | sed 's/^/# /'
	fi
else
	tap OK "$V is in development: its install script is built from sql/parts/"
fi

# Upgrade scripts: edges A -> B.  Walk from each released version.
edges=$(ls sql/netflow--*--*.sql 2>/dev/null | sed -n 's|^sql/netflow--\(.*\)--\(.*\)\.sql$|\1 \2|p')
for x in $released; do
	[ "$x" = "$V" ] && continue
	seen=" $x "
	frontier=$x
	while [ -n "$frontier" ] && [[ "$seen" != *" $V "* ]]; do
		next=""
		for a in $frontier; do
			for b in $(echo "$edges" | awk -v a="$a" '$1 == a { print $2 }'); do
				[[ "$seen" == *" $b "* ]] && continue
				seen="$seen$b "
				next="$next $b"
			done
		done
		frontier=$next
	done
	[[ "$seen" == *" $V "* ]] &&
		tap OK "released $x has a chain of upgrade scripts to $V" ||
		tap FAIL "released $x has no chain of upgrade scripts sql/netflow--A--B.sql to $V"
done

# The source version of every upgrade script was released: its install
# script is frozen (deleting a released script fails here).
for f in $(git ls-files 'sql/netflow--*--*.sql'); do
	a=$(echo "$f" | sed -n 's|^sql/netflow--\(.*\)--.*\.sql$|\1|p')
	git ls-files --error-unmatch "sql/netflow--$a.sql" >/dev/null 2>&1 &&
		tap OK "$(basename "$f") starts from released $a, frozen in sql/netflow--$a.sql" ||
		tap FAIL "$(basename "$f") starts from $a, whose install script sql/netflow--$a.sql is not committed"
done

echo "1..$N"
[ "$FAILS" = 0 ]
