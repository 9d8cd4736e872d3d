#!/usr/bin/env bash
# test/package/run.sh -- install the built Debian package into a clean
# Debian 12 chroot and use it: apt installs postgresql-15 and the .deb,
# a cluster made with pg_createcluster starts with the collector preloaded
# on a 127.0.0.1 UDP port, flows are sent from outside the chroot (it shares
# the network namespace), and SQL inside the chroot reads them back.
# Prints TAP ("ok N - ...", "not ok N - ...").  Needs root.
#
# Usage: bash test/package/run.sh DEB WORKDIR
#
# The clean base system comes from debootstrap (minbase, bookworm, the
# Debian mirror configured in /etc/apt) and is cached as a tarball in
# $NETFLOW_CACHE (default /var/cache/netflow-test), with the .debs apt
# downloads, so later runs only unpack and install.  Every mount is undone
# and the cluster stopped on exit, whatever happens.

set -u
. "$(dirname "$0")/../../scripts/lib.sh"

DEB=$(readlink -f "$1")
WORK=$2
CACHE=${NETFLOW_CACHE:-/var/cache/netflow-test}
SUITE=bookworm
ROOT="$WORK/chroot"
N=0
FAILS=0

# Print one TAP line: tap OK|FAIL description
tap() {
	N=$((N + 1))
	if [ "$1" = OK ]; then
		echo "ok $N - $2"
	else
		echo "not ok $N - $2"
		FAILS=$((FAILS + 1))
	fi
}

# The Debian mirror of this machine's apt configuration.
host_mirror() {
	local m
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.sources \
		/etc/apt/sources.list.d/*.list 2>/dev/null |
		grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

MIRROR=$(host_mirror)
BASE="$CACHE/debootstrap-$SUITE-minbase.tar"
ARCHIVES="$CACHE/apt-archives"
CLUSTER_UP=0

# Run a command in the chroot, without this side's TMPDIR (the test suite
# points it into its work directory, which does not exist in the chroot:
# mktemp in a maintainer script would fail).
in_root() {
	env -u TMPDIR chroot "$ROOT" "$@"
}

# Stop the cluster and undo every mount under the chroot (deepest first).
cleanup() {
	if [ "$CLUSTER_UP" = 1 ]; then
		in_root pg_ctlcluster 15 pkgtest stop -m fast >/dev/null 2>&1
	fi
	if [ -d "$ROOT" ]; then
		for m in $(awk -v r="$ROOT" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
			umount "$m" 2>/dev/null || umount -l "$m"
		done
		if awk -v r="$ROOT" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
			echo "# mounts left under $ROOT" >&2
		else
			rm -rf "$ROOT"
		fi
	fi
}
trap cleanup EXIT

ensure_packages debootstrap gcc

# --- the cached clean base system ---------------------------------------------
mkdir -p "$CACHE" "$ARCHIVES"
(
	flock 9
	if [ ! -s "$BASE" ]; then
		echo "# debootstrap $SUITE from $MIRROR into the cache $BASE" >&2
		tmp=$(mktemp -d "$CACHE/base.XXXXXX")
		if debootstrap --variant=minbase --cache-dir="$ARCHIVES" \
			"$SUITE" "$tmp/root" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 &&
			tar -C "$tmp/root" -cf "$tmp/base.tar" . &&
			mv "$tmp/base.tar" "$BASE"; then
			:
		else
			tail -n 20 "$WORK/debootstrap.log" >&2
		fi
		rm -rf "$tmp"
	fi
) 9>"$CACHE/lock"
if [ -s "$BASE" ]; then
	tap OK "a clean Debian 12 base system (debootstrap, cached)"
else
	tap FAIL "a clean Debian 12 base system (debootstrap, cached)"
	echo "1..$N"
	exit 1
fi

# The chroot lives in memory: unpacking, dpkg and the cleanup are fast.
rm -rf "$ROOT"
mkdir -p "$ROOT"
mount -t tmpfs -o size=3g,mode=755 tmpfs "$ROOT"
tar -C "$ROOT" -xf "$BASE"
# apt sources: this machine's Debian entries (the keyring is in the chroot too)
rm -f "$ROOT/etc/apt/sources.list"
for f in /etc/apt/sources.list.d/*.sources; do
	grep -q 'debian-archive-keyring' "$f" 2>/dev/null && cp "$f" "$ROOT/etc/apt/sources.list.d/"
done
ls "$ROOT"/etc/apt/sources.list.d/*.sources >/dev/null 2>&1 ||
	echo "deb $MIRROR $SUITE main" >"$ROOT/etc/apt/sources.list"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
# no service starts during package installation, no default cluster is
# made (the test makes its own), and dpkg does not fsync a throwaway system
printf '#!/bin/sh\nexit 101\n' >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"
mkdir -p "$ROOT/etc/postgresql-common/createcluster.d"
echo "create_main_cluster = false" >"$ROOT/etc/postgresql-common/createcluster.d/netflow-test.conf"
echo force-unsafe-io >"$ROOT/etc/dpkg/dpkg.cfg.d/netflow-test"

mount -t proc proc "$ROOT/proc"
mount -t tmpfs -o mode=1777 tmpfs "$ROOT/dev/shm"
mount --bind "$ARCHIVES" "$ROOT/var/cache/apt/archives"

# --- apt installs postgresql-15 and the package ----------------------------------
cp "$DEB" "$ROOT/tmp/"
debname=$(basename "$DEB")
if in_root env DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 sh -c \
	"apt-get update -qq && apt-get install -y -qq --no-install-recommends /tmp/$debname" \
	>"$WORK/apt.log" 2>&1; then
	tap OK "apt installs $debname and its dependencies in the chroot"
else
	tail -n 30 "$WORK/apt.log" >&2
	tap FAIL "apt installs $debname and its dependencies in the chroot"
fi
pkgver=$(in_root dpkg-query -W -f='${Version}' postgresql-15-netflow 2>/dev/null)
debver=$(dpkg-deb -f "$DEB" Version)
[ -n "$pkgver" ] && [ "$pkgver" = "$debver" ] &&
	tap OK "postgresql-15-netflow $debver is installed" ||
	tap FAIL "postgresql-15-netflow $debver is installed (found '$pkgver')"
ctl_version=$(sed -n "s/^default_version = '\(.*\)'/\1/p" \
	"$ROOT/usr/share/postgresql/15/extension/netflow.control" 2>/dev/null)
[ "$ctl_version" = "$debver" ] &&
	tap OK "the package's extension version equals the package version ($debver)" ||
	tap FAIL "the package's extension version ($ctl_version) equals the package version ($debver)"

# --- a cluster with the collector preloaded ----------------------------------------
PGPORT=$(free_port)
UDP=$(free_port)
psql_in() {
	in_root runuser -u postgres -- psql -X -q -tA -p "$PGPORT" -d flows "$@" 2>&1
}
if in_root env LANG=C.UTF-8 pg_createcluster 15 pkgtest -p "$PGPORT" \
	-o "listen_addresses=localhost" -o "shared_preload_libraries=netflow" \
	-o "netflow.database=flows" -o "netflow.listen=127.0.0.1:$UDP" \
	-o "netflow.flush_interval=200ms" -o "timezone=UTC" \
	>"$WORK/cluster.log" 2>&1 &&
	CLUSTER_UP=1 &&
	in_root pg_ctlcluster 15 pkgtest start >>"$WORK/cluster.log" 2>&1 &&
	in_root runuser -u postgres -- createdb -p "$PGPORT" flows >>"$WORK/cluster.log" 2>&1 &&
	[ "$(psql_in -c 'CREATE EXTENSION netflow' -c "SELECT extversion FROM pg_extension WHERE extname = 'netflow'")" = "$debver" ]; then
	tap OK "pg_createcluster + pg_ctlcluster start a cluster with shared_preload_libraries = 'netflow'; CREATE EXTENSION netflow"
else
	cat "$WORK/cluster.log" >&2
	cat "$ROOT"/var/log/postgresql/postgresql-15-pkgtest.log >&2 2>/dev/null
	tap FAIL "pg_createcluster + pg_ctlcluster start a cluster with shared_preload_libraries = 'netflow'; CREATE EXTENSION netflow"
fi

# wait for the receiver, then send flows from outside the chroot
for _ in $(seq 1 100); do
	[ "$(psql_in -c "SELECT count(*) FROM netflow.collector_stats WHERE worker_type = 'receiver'")" = 1 ] && break
	sleep 0.2
done
[ "$(psql_in -c "SELECT count(*) FROM netflow.collector_stats WHERE worker_type = 'receiver'")" = 1 ] &&
	tap OK "the collector's receiver runs in the chroot's cluster" ||
	tap FAIL "the collector's receiver runs in the chroot's cluster"

FLOWGEN="$WORK/flowgen"
gcc -O2 -o "$FLOWGEN" "$NETFLOW_ROOT/test/tools/flowgen.c"
v5=$("$FLOWGEN" -p "$UDP" -v 5 -n 600 -r 0)
ipfix=$("$FLOWGEN" -p "$UDP" -v 10 -n 900 -o 7 -r 0)
want_pkts=$(($(echo "$v5" | sed -n 's/.*packets=\([0-9]*\).*/\1/p') + $(echo "$ipfix" | sed -n 's/.*packets=\([0-9]*\).*/\1/p')))
want_bytes=$(($(echo "$v5" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p') + $(echo "$ipfix" | sed -n 's/.*bytes=\([0-9]*\).*/\1/p')))
for _ in $(seq 1 150); do
	[ "$(psql_in -c 'SELECT count(*) >= 1500 FROM netflow.flows')" = t ] && break
	sleep 0.2
done
got=$(psql_in -c 'SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows')
[ "$got" = "1500|$want_pkts|$want_bytes" ] &&
	tap OK "600 NetFlow v5 and 900 IPFIX flows sent from outside are in netflow.flows (flows, packets, bytes)" ||
	tap FAIL "600 NetFlow v5 and 900 IPFIX flows sent from outside are in netflow.flows: got '$got', want '1500|$want_pkts|$want_bytes'"
got=$(psql_in -c "SELECT string_agg(version || ':' || n, ',' ORDER BY version) FROM (SELECT version, count(*) AS n FROM netflow.flows GROUP BY 1) v")
[ "$got" = "5:600,10:900" ] &&
	tap OK "flows per protocol version: 600 v5, 900 IPFIX" ||
	tap FAIL "flows per protocol version: got '$got', want '5:600,10:900'"
got=$(psql_in -c "SELECT count(*) FROM netflow.topn_items((SELECT netflow.topn(src_addr, bytes, 10) FROM netflow.flows), 5)")
[ "$got" = 5 ] &&
	tap OK "netflow.topn over the stored flows returns the 5 heaviest sources" ||
	tap FAIL "netflow.topn over the stored flows returns the 5 heaviest sources: got '$got'"
got=$(psql_in -c "SELECT count(*) > 0 AND sum(value) = 0 FROM netflow.collector_counters() WHERE counter LIKE 'drop%' OR counter = 'kernel_drops'")
[ "$got" = t ] && tap OK "no datagram dropped" || tap FAIL "no datagram dropped: got '$got'"
if grep -qE 'terminated by signal|was terminated by' \
	"$ROOT"/var/log/postgresql/postgresql-15-pkgtest.log 2>/dev/null; then
	tap FAIL "no server process crashed"
else
	tap OK "no server process crashed"
fi

echo "1..$N"
[ "$FAILS" = 0 ]
