#!/usr/bin/env bash
# scripts/test.sh -- the whole netflow test suite, from a fresh Debian 12
# machine: installs the packages it needs, builds with -Werror, installs the
# extension into a private staged copy of PostgreSQL (never the system one),
# runs every suite on throwaway clusters owned by an unprivileged OS user,
# and ends with the line "N passed, N failed".  Exit status 0 only when
# nothing failed.
#
# Usage: bash scripts/test.sh [suite ...]
#   suites: unit regress pgtap tap assert fuzz crosscheck package run
#   (default: all)
#   FUZZ_SECONDS=60 sets the fuzzing time of the decoders, FUZZ_BATCH_SECONDS=20
#   that of the batch decoder; KEEP=1 keeps the work directory;
#   TAP_ONLY=070 runs only the Perl TAP tests whose names start so.

set -u
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

SUITES=${*:-unit regress pgtap tap assert fuzz crosscheck package run}
PASSED=0
FAILED=0
FAILURES=""

# Record one result: count NAME OK|FAIL
count() {
	if [ "$2" = OK ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
		FAILURES="$FAILURES\n  $1"
	fi
}

# Count TAP lines ("ok N", "not ok N") at the start of lines in file $2,
# attributing them to suite $1; a non-zero exit $3 with no failing line
# counts as one failure (the test died).
count_tap() {
	local name=$1 file=$2 rc=$3 ok bad
	ok=$(grep -cE '^ok [0-9]+' "$file")
	bad=$(grep -cE '^not ok [0-9]+' "$file")
	PASSED=$((PASSED + ok))
	if [ "$bad" -gt 0 ]; then
		FAILED=$((FAILED + bad))
		FAILURES="$FAILURES\n$(grep -E '^not ok [0-9]+' "$file" | sed "s|^|  $name: |")"
	elif [ "$rc" != 0 ]; then
		count "$name (exited $rc after $ok passing tests)" FAIL
	fi
	if [ "$bad" -gt 0 ] || [ "$rc" != 0 ]; then
		tail -n 60 "$file" >&2
	fi
}

has_suite() { case " $SUITES " in *" $1 "*) return 0 ;; esac; return 1; }

ensure_packages $TEST_PACKAGES

WORK=$(mktemp -d /tmp/netflow-test.XXXXXX)
chmod 755 "$WORK"
trap '[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"' EXIT
say "work directory $WORK"
# Every temporary file or directory the suites make goes under $WORK, so
# that nothing is left in /tmp: the TAP clusters' socket directories
# (PostgreSQL::Test::Utils keeps them when a test fails), the tools'
# scratch files.  Sticky and world-writable like /tmp: the cluster user
# writes there too.
export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
chmod 1777 "$TMPDIR"

# --- Citus, for the TAP tests of the scale-out (before staging PostgreSQL) --
if has_suite tap && ls test/t/${TAP_ONLY:-}*citus*.pl >/dev/null 2>&1; then
	if ensure_citus; then
		count "Citus installed for the scale-out tests" OK
	else
		count "Citus installed for the scale-out tests (see above)" FAIL
	fi
fi

# --- build (CI builds with -Wall -Wextra -Werror) ---------------------------
say "building"
make -s clean >/dev/null 2>&1
if make -s NETFLOW_WERROR=1 >"$WORK/build.log" 2>&1; then
	count "build with -Wall -Wextra -Werror" OK
	BIN=$(stage_postgres "$WORK/stage")
else
	cat "$WORK/build.log" >&2
	count "build with -Wall -Wextra -Werror" FAIL
	BIN=""
fi

# --- release rules: versions agree, released scripts frozen, upgrade chain --
if has_suite regress; then
	say "release rules (scripts/check_versions.sh)"
	bash scripts/check_versions.sh >"$WORK/versions.log" 2>&1
	count_tap versions "$WORK/versions.log" $?
fi

# A copy of the tests that the cluster's OS user can read.
cp -a test "$WORK/test"
chmod -R a+rX "$WORK/test"

# --- decoder unit tests (plain C, ASan + UBSan) -----------------------------
if has_suite unit && [ -f test/decode/Makefile ]; then
	say "decoder unit tests"
	make -s -C test/decode check >"$WORK/unit.log" 2>&1
	count_tap unit "$WORK/unit.log" $?
fi
# --- batch codec unit tests of compressed partitions (plain C, ASan + UBSan)
if has_suite unit && [ -f test/storage/Makefile ]; then
	say "batch codec unit tests"
	make -s -C test/storage check >"$WORK/unit_storage.log" 2>&1
	count_tap unit_storage "$WORK/unit_storage.log" $?
fi

# --- a cluster with the library preloaded for pg_regress and pgTAP ---------
# regress_and_pgtap BINDIR PGXSDIR LABEL OUT PARTS: pg_regress and/or pgTAP
# (PARTS: "regress", "pgtap" or both) on a cluster of the server in BINDIR
# (netflow installed in it), results counted under LABEL, files in OUT.
regress_and_pgtap() {
	local bin=$1 pgxs=$2 label=$3 out=$4 parts=" $5 " port data rc ok bad f db
	port=$(free_port)
	data="$out/regress-data"
	mkdir -p "$out"
	chmod 755 "$out"
	if ! cluster_start "$bin" "$data" "$port" \
		"shared_preload_libraries = 'netflow'" "netflow.listen = ''" \
		"max_worker_processes = 16" "timezone = 'UTC'"; then
		cat "$data/server.log" >&2
		count "$label: start the regression cluster" FAIL
		return
	fi
	if [[ $parts == *" regress "* ]]; then
		say "$label: pg_regress"
		mkdir -p "$out/regress-out"
		"$pgxs/src/test/regress/pg_regress" --bindir="$bin" \
			--host="$data" --port="$port" --user=postgres \
			--inputdir=test --outputdir="$out/regress-out" \
			--load-extension=netflow \
			$(make -s -C "$NETFLOW_ROOT" print-regress 2>/dev/null) \
			>"$out/regress.log" 2>&1
		rc=$?
		ok=$(grep -cE '\.\.\. +ok' "$out/regress.log")
		bad=$(grep -cE '\.\.\. +FAILED|\.\.\. +failed' "$out/regress.log")
		PASSED=$((PASSED + ok))
		if [ "$bad" -gt 0 ]; then
			FAILED=$((FAILED + bad))
			FAILURES="$FAILURES\n$(grep -E '\.\.\. +(FAILED|failed)' "$out/regress.log" | sed "s/^/  $label: /")"
			cat "$out/regress-out/regression.diffs" >&2
		elif [ $rc != 0 ]; then
			cat "$out/regress.log" >&2
			count "$label: pg_regress (exited $rc)" FAIL
		fi
	fi
	if [[ $parts == *" pgtap "* ]] && ls test/pgtap/*.sql >/dev/null 2>&1; then
		say "$label: pgTAP"
		for f in test/pgtap/*.sql; do
			db=tap_$(basename "$f" .sql)
			"$bin/createdb" -h "$data" -p "$port" -U postgres "$db"
			"$bin/psql" -X -q -h "$data" -p "$port" -U postgres -d "$db" \
				-c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION netflow' >/dev/null
			PATH="$bin:$PATH" pg_prove --verbose -h "$data" -p "$port" -U postgres \
				-d "$db" "$f" >"$out/pgtap-$(basename "$f" .sql).log" 2>&1
			rc=$?	# before any other command: a file that dies must count
			count_tap "$label pgtap $(basename "$f")" "$out/pgtap-$(basename "$f" .sql).log" $rc
		done
	fi
	if grep -qE 'terminated by signal|was terminated by|TRAP:' "$data/server.log"; then
		count "$label: no server crash during pg_regress and pgTAP" FAIL
		grep -E 'terminated by signal|TRAP:' "$data/server.log" >&2
	else
		count "$label: no server crash during pg_regress and pgTAP" OK
	fi
	cluster_stop "$bin" "$data"
}

# perl_tap BINDIR PGXSDIR LABEL OUT [SKIP-REGEX]: the Perl TAP tests
# (PostgreSQL::Test::Cluster of PGXSDIR) on the server in BINDIR, run as
# the cluster user, results counted under LABEL; tests whose file names
# match SKIP-REGEX are not run.
perl_tap() {
	local bin=$1 pgxs=$2 label=$3 out=$4 skip=${5:-} f name
	mkdir -p "$out/tap"
	chmod 755 "$out"
	chown "$(pg_os_user)" "$out/tap"
	for f in "$WORK"/test/t/${TAP_ONLY:-}*.pl; do
		name=$(basename "$f")
		if [ -n "$skip" ] && [[ $name =~ $skip ]]; then
			continue
		fi
		say "  $label $name"
		(cd "$out/tap" && as_pg env PATH="$bin:$PATH" \
			PERL5LIB="$pgxs/src/test/perl:$WORK/test/t" \
			PG_REGRESS="$pgxs/src/test/regress/pg_regress" \
			TESTDIR="$out/tap" NETFLOW_TEST_DIR="$WORK/test" TMPDIR="$TMPDIR" \
			NETFLOW_ROOT="$NETFLOW_ROOT" PG_TEST_TIMEOUT_DEFAULT=120 \
			prove -v "$f") >"$out/tap-$name.log" 2>&1
		count_tap "$label $name" "$out/tap-$name.log" $?
		# an assertion that failed in a server process of this test (its
		# nodes' logs are named after it), whatever the test saw
		if grep -qs 'TRAP:' "$out/tap/tmp_check/log/${name%.pl}"_*.log; then
			count "$label $name: no failed assertion in a server log" FAIL
			grep -hs 'TRAP:' "$out/tap/tmp_check/log/${name%.pl}"_*.log >&2
		fi
	done
}

if [ -n "$BIN" ] && { has_suite regress || has_suite pgtap; }; then
	regress_and_pgtap "$BIN" "$PGXS_DIR" regress "$WORK" \
		"$(has_suite regress && echo regress) $(has_suite pgtap && echo pgtap)"
fi

# --- Perl TAP tests (PostgreSQL::Test::Cluster), run as the cluster user ---
if [ -n "$BIN" ] && has_suite tap && ls test/t/*.pl >/dev/null 2>&1; then
	say "Perl TAP tests"
	perl_tap "$BIN" "$PGXS_DIR" tap "$WORK"
fi

# --- the same on PostgreSQL built with assertions ----------------------------
# pg_regress, pgTAP and the Perl TAP tests again, on a server built from
# Debian's source of PostgreSQL 15 with --enable-cassert: a freed memory
# read, a wrong node cast or a broken invariant that the packaged server
# lets pass fails there (TRAP: in a server log counts as a failure).  The
# Citus test is not run there: Citus is built for the packaged server.
if has_suite assert; then
	say "PostgreSQL with assertions"
	if APREFIX=$(ensure_assert_postgres "${NETFLOW_ASSERT_PG_DIR:-/var/tmp/netflow-assert-pg}" \
		2>"$WORK/assert-build.log"); then
		count "assert: PostgreSQL with --enable-cassert built from Debian's source" OK
		rm -rf "$WORK/assert-src"
		mkdir -p "$WORK/assert-src"
		git ls-files -z | xargs -0 cp -a --parents -t "$WORK/assert-src"
		if (cd "$WORK/assert-src" &&
			make -s PG_CONFIG="$APREFIX/bin/pg_config" NETFLOW_WERROR=1 &&
			make -s PG_CONFIG="$APREFIX/bin/pg_config" install) >"$WORK/assert-ext.log" 2>&1; then
			count "assert: netflow built with -Werror against it" OK
			regress_and_pgtap "$APREFIX/bin" "$APREFIX/lib/postgresql/pgxs" assert "$WORK/assert" \
				"regress pgtap"
			perl_tap "$APREFIX/bin" "$APREFIX/lib/postgresql/pgxs" assert "$WORK/assert" 'citus'
		else
			cat "$WORK/assert-ext.log" >&2
			count "assert: netflow built with -Werror against it" FAIL
		fi
	else
		tail -n 40 "$WORK/assert-build.log" >&2
		count "assert: PostgreSQL with --enable-cassert built from Debian's source" FAIL
	fi
fi

# --- fuzzing the decoders and the batch decoder (libFuzzer, ASan + UBSan) ---
if has_suite fuzz && [ -f test/fuzz/Makefile ]; then
	say "fuzzing for ${FUZZ_SECONDS:-60} s"
	if make -s -C test/fuzz run FUZZ_SECONDS="${FUZZ_SECONDS:-60}" \
		FUZZ_BATCH_SECONDS="${FUZZ_BATCH_SECONDS:-20}" >"$WORK/fuzz.log" 2>&1; then
		count "fuzz decoders and batch decoder" OK
		grep -E '^(#[0-9]+ +DONE|Done [0-9]+ runs)' "$WORK/fuzz.log" >&2
	else
		tail -n 60 "$WORK/fuzz.log" >&2
		count "fuzz decoders and batch decoder" FAIL
	fi
fi

# --- cross-check against tshark's decoder (needs root for capture) ---------
if [ -n "$BIN" ] && has_suite crosscheck && [ -f test/crosscheck/run.sh ]; then
	say "cross-check with softflowd and tshark"
	bash test/crosscheck/run.sh "$BIN" "$WORK/crosscheck" >"$WORK/crosscheck.log" 2>&1
	count_tap crosscheck "$WORK/crosscheck.log" $?
fi

# --- the Debian package: built, lintian clean, installed in a clean chroot ---
if has_suite package; then
	say "Debian package: build, lintian, install into a Debian 12 chroot"
	if deb=$(bash scripts/package.sh "$WORK/deb" 2>"$WORK/package-build.log" | tail -n 1) &&
		[ -f "$deb" ]; then
		count "Debian package built with dpkg-buildpackage, lintian clean" OK
		bash test/package/run.sh "$deb" "$WORK" >"$WORK/package.log" 2>&1
		count_tap package "$WORK/package.log" $?
	else
		tail -n 40 "$WORK/package-build.log" >&2
		count "Debian package built with dpkg-buildpackage, lintian clean" FAIL
	fi
fi

# --- the README's run command, twice in a row, then psql through it --------
if [ -n "$BIN" ] && has_suite run; then
	say "run command (twice) and its printed psql command"
	RUNDIR="$WORK/run"
	runenv="NETFLOW_DIR=$RUNDIR NETFLOW_PORT=$(free_port) NETFLOW_LISTEN=127.0.0.1:$(free_port)"
	for i in 1 2; do
		if env $runenv bash scripts/run.sh >"$WORK/run$i.log" 2>&1; then
			count "run command, start $i" OK
		else
			cat "$WORK/run$i.log" >&2
			count "run command, start $i" FAIL
		fi
		# what a new user reads: no error from the scripts or the server
		if grep -E 'could not change directory|FATAL|ERROR|PANIC' \
			"$WORK/run$i.log" "$RUNDIR/data/server.log" >&2; then
			count "run command, start $i: no error in its output or the server log" FAIL
		else
			count "run command, start $i: no error in its output or the server log" OK
		fi
	done
	connect=$(sed -n 's/^  connect: *//p' "$WORK/run2.log")
	for _ in $(seq 1 50); do	# the receivers start just after the server
		[ -n "$connect" ] && [ "$($connect -X -tA -c "SELECT count(*) FROM netflow.collector_stats WHERE worker_type = 'receiver'" 2>/dev/null)" = 1 ] && break
		sleep 0.1
	done
	if [ -n "$connect" ] &&
		[ "$($connect -X -tA -c "SELECT extversion FROM pg_extension WHERE extname = 'netflow'" 2>&1)" = "$(sed -n "s/^default_version = '\(.*\)'/\1/p" netflow.control)" ] &&
		[ "$($connect -X -tA -c "SELECT count(*) FROM netflow.collector_stats WHERE worker_type = 'receiver'" 2>&1)" -ge 1 ]; then
		count "the printed psql command reaches the extension and a running collector" OK
	else
		count "the printed psql command reaches the extension and a running collector" FAIL
	fi
	env $runenv bash scripts/run.sh stop >/dev/null 2>&1
fi

if [ -n "$FAILURES" ]; then
	printf 'failures:%b\n' "$FAILURES"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
