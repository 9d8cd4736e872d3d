# scripts/lib.sh -- shell functions shared by run.sh, test.sh and bench.sh:
# package installation, a private staged PostgreSQL, throwaway clusters run
# as an unprivileged OS user, free ports.  Sourced, never executed.

NETFLOW_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_MAJOR=15
PG_SYS_BIN=/usr/lib/postgresql/$PG_MAJOR/bin
PGXS_DIR=/usr/lib/postgresql/$PG_MAJOR/lib/pgxs

# Debian packages the product needs to build and run.
RUN_PACKAGES="make gcc libzstd-dev postgresql-$PG_MAJOR postgresql-server-dev-$PG_MAJOR"
# ...and the ones the test suite and benchmarks need on top.
TEST_PACKAGES="$RUN_PACKAGES clang libclang-rt-14-dev postgresql-$PG_MAJOR-pgtap
	postgresql-$PG_MAJOR-cron
	libtap-parser-sourcehandler-pgtap-perl libipc-run-perl softflowd nfdump tshark
	python3 python3-psycopg python3-scapy iproute2"

# Print a progress line on stderr.
say() { printf '==> %s\n' "$*" >&2; }

# Run a command as root: directly when we are root, else through sudo.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# The OS user that owns throwaway clusters: postgres when we are root.
pg_os_user() {
	if [ "$(id -u)" = 0 ]; then echo postgres; else id -un; fi
}

# Run a command as the cluster's OS user, in the current directory when that
# user may enter it, else in / (PostgreSQL's programs complain "could not
# change directory" when started from a directory they cannot read, such as
# a checkout under /root).
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- sh -c 'cd "$1" 2>/dev/null || cd /; shift; exec "$@"' \
			as_pg "$PWD" "$@"
	else
		"$@"
	fi
}

# Install the given Debian packages that are not installed yet.
ensure_packages() {
	local missing="" p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	# apt's own progress lines go to stderr with ours: a first run can take
	# minutes, and a silent one looks hung.
	say "installing Debian packages:$missing"
	say "  apt-get update"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2 || return 1
	say "  apt-get install$missing"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y \
		-o Dpkg::Use-Pty=0 $missing >&2 || return 1
	say "installed:$missing"
}

# Print a TCP/UDP port that nothing on this machine uses.
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Hltnu 2>/dev/null | awk '{print $5}' | grep -qE "[:.]$p\$"; then
			echo "$p"
			return
		fi
	done
}

# Citus (distributed PostgreSQL) is a test and benchmark dependency only
# (issue 15, docs/scale-out.md).  It is not in Debian's archive: its release
# source and build script live beside the checkout, in ../shared/citus; a
# fresh clone elsewhere (CI) finds it beside the repository it was cloned
# from, when that is a local path.
citus_src_dir() {
	local origin
	if [ -n "${NETFLOW_CITUS_SRC:-}" ]; then
		echo "$NETFLOW_CITUS_SRC"
		return
	fi
	if [ ! -f "$NETFLOW_ROOT/../shared/citus/build.sh" ]; then
		origin=$(git -C "$NETFLOW_ROOT" remote get-url origin 2>/dev/null || true)
		origin=${origin#file://}
		if [ -n "$origin" ] && [ -f "$origin/../shared/citus/build.sh" ]; then
			echo "$origin/../shared/citus"
			return
		fi
	fi
	echo "$NETFLOW_ROOT/../shared/citus"
}
CITUS_SRC=$(citus_src_dir)

# Install Citus into the system PostgreSQL when it is not there (build.sh
# takes 3 to 7 minutes, and does nothing when the same version is
# installed).  Fails, saying why, when it is missing and cannot be built.
# Call it before stage_postgres: the staged copy takes citus.so and its
# extension files from the system installation.
ensure_citus() {
	if [ -f "/usr/lib/postgresql/$PG_MAJOR/lib/citus.so" ] &&
		[ -f "/usr/share/postgresql/$PG_MAJOR/extension/citus.control" ]; then
		return 0
	fi
	if [ ! -f "$CITUS_SRC/build.sh" ]; then
		say "ERROR: Citus is not installed and $CITUS_SRC/build.sh does not exist"
		say "  (the Citus source belongs beside the checkout, in ../shared/citus;"
		say "   NETFLOW_CITUS_SRC=DIR points elsewhere)"
		return 1
	fi
	say "building and installing Citus from $CITUS_SRC (3 to 7 minutes)"
	as_root bash "$CITUS_SRC/build.sh" >&2
}

# Packages to build PostgreSQL from source for the assert-enabled suite (on
# top of TEST_PACKAGES, whose libipc-run-perl its TAP modules need).
ASSERT_PACKAGES="curl bzip2 zlib1g-dev"

# PostgreSQL $PG_MAJOR built with assertions (--enable-cassert: freed memory
# clobbered, node casts and invariants checked) from the source Debian
# ships of it (the newest version whose tarball its archive has), with the
# contrib modules the tests use and the packaged pg_cron and pgTAP copied
# in, installed under $1/install.  A complete build found there is reused.
# Prints the install prefix; the build's output goes to stderr.
ensure_assert_postgres() {
	local dir=$1 prefix=$1/install ver url src got=""
	if [ -f "$prefix/.complete" ]; then
		echo "$prefix"
		return 0
	fi
	ensure_packages $ASSERT_PACKAGES || return 1
	rm -rf "$dir"
	mkdir -p "$dir"
	for ver in $(apt-cache madison postgresql-$PG_MAJOR |
		awk -F'|' '{ gsub(/ /, "", $2); sub(/-.*/, "", $2); print $2 }' | sort -urV); do
		for url in "http://deb.debian.org/debian/pool/main/p/postgresql-$PG_MAJOR/postgresql-${PG_MAJOR}_$ver.orig.tar.bz2" \
			"http://deb.debian.org/debian-security/pool/updates/main/p/postgresql-$PG_MAJOR/postgresql-${PG_MAJOR}_$ver.orig.tar.bz2"; do
			if curl -sSfL -o "$dir/postgresql.tar.bz2" "$url" 2>/dev/null; then
				got=$ver
				break 2
			fi
		done
	done
	if [ -z "$got" ]; then
		say "no source tarball of postgresql-$PG_MAJOR found in Debian's archive"
		return 1
	fi
	say "building PostgreSQL $got with assertions in $dir (a few minutes)"
	tar -xjf "$dir/postgresql.tar.bz2" -C "$dir" || return 1
	src=$dir/postgresql-$got
	(cd "$src" &&
		./configure --prefix="$prefix" --enable-cassert --enable-debug \
			--enable-tap-tests --without-readline --without-icu CFLAGS='-O1 -g' &&
		make -s -j"$(nproc)" && make -s install &&
		for m in file_fdw pg_prewarm postgres_fdw tsm_system_rows; do
			make -s -C "contrib/$m" install || exit 1
		done) >&2 || return 1
	cp /usr/lib/postgresql/$PG_MAJOR/lib/pg_cron.so "$prefix/lib/postgresql/" &&
		cp /usr/share/postgresql/$PG_MAJOR/extension/pg_cron* \
			/usr/share/postgresql/$PG_MAJOR/extension/pgtap* "$prefix/share/postgresql/extension/" ||
		return 1
	chmod -R a+rX "$dir"
	touch "$prefix/.complete"
	echo "$prefix"
}

# Copy PostgreSQL's binaries and share files to $1 (relocatable layout) and
# install the freshly built extension there, so tests never touch the
# system installation.  Prints the staged bin directory.
stage_postgres() {
	local stage=$1
	mkdir -p "$stage/usr/lib/postgresql" "$stage/usr/share/postgresql"
	cp -a /usr/lib/postgresql/$PG_MAJOR "$stage/usr/lib/postgresql/"
	cp -aL /usr/share/postgresql/$PG_MAJOR "$stage/usr/share/postgresql/"
	make -C "$NETFLOW_ROOT" -s install DESTDIR="$stage" >/dev/null
	echo "$stage/usr/lib/postgresql/$PG_MAJOR/bin"
}

# Create and start a cluster: cluster_start BINDIR DATADIR PORT [conf lines...]
# The socket directory is the data directory.
cluster_start() {
	local bindir=$1 datadir=$2 port=$3
	shift 3
	mkdir -p "$datadir"
	chown "$(pg_os_user)" "$datadir"
	chmod 700 "$datadir"
	as_pg "$bindir/initdb" -D "$datadir" -U postgres -A trust --no-sync >/dev/null || return 1
	{
		echo "port = $port"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$datadir'"
		echo "fsync = off"
		for line in "$@"; do echo "$line"; done
	} >>"$datadir/postgresql.conf"
	as_pg "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w start >/dev/null
}

# Stop a cluster started by cluster_start.
cluster_stop() {
	as_pg "$1/pg_ctl" -D "$2" -m fast -w stop >/dev/null 2>&1 || true
}
