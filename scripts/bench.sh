#!/usr/bin/env bash
# scripts/bench.sh -- `make bench`: every speed figure of netflow beside a
# baseline measured in the same run, and the ratio.  Runs on a throwaway
# cluster (staged PostgreSQL, unprivileged OS user) like the test suite.
#
# Usage: bash scripts/bench.sh [part ...]   parts: decode analytics ingest rollups detect compress citus

set -u
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

PARTS=${*:-decode analytics ingest rollups detect compress citus}
has_part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

ensure_packages $TEST_PACKAGES
WORK=$(mktemp -d /tmp/netflow-bench.XXXXXX)
chmod 755 "$WORK"
trap 'cluster_stop "$BIN" "$WORK/data" 2>/dev/null; rm -rf "$WORK"' EXIT

make -s NETFLOW_WERROR=1 >/dev/null || exit 1
# Citus before staging: the staged copy takes citus.so from the system.
if has_part citus; then ensure_citus || exit 1; fi
BIN=$(stage_postgres "$WORK/stage")

if has_part decode && [ -f test/decode/Makefile ]; then
	echo "== decode throughput (flows/s per core; baseline: memcpy of the same records)"
	make -s -C test/decode bench
fi

if has_part analytics || has_part ingest || has_part rollups || has_part detect; then
	PORT=$(free_port)
	cluster_start "$BIN" "$WORK/data" "$PORT" \
		"shared_preload_libraries = 'netflow'" "netflow.listen = ''" \
		"shared_buffers = '2GB'" "max_parallel_workers_per_gather = 2" \
		"max_wal_size = '8GB'" "timezone = 'UTC'" || exit 1
	export PGHOST="$WORK/data" PGPORT="$PORT" PGUSER=postgres PGDATABASE=postgres
	"$BIN/psql" -X -q -c 'CREATE EXTENSION netflow' >/dev/null
	export PATH="$BIN:$PATH"
	if has_part analytics && [ -f scripts/bench_analytics.sh ]; then
		echo "== analytics (10 million flows)"
		bash scripts/bench_analytics.sh
	fi
	if has_part rollups && [ -f scripts/bench_rollups.sh ]; then
		echo "== rollups (${BENCH_DAYS:-30} days of flows; baseline: the same questions over the raw flows)"
		bash scripts/bench_rollups.sh
	fi
	if has_part detect && [ -f scripts/bench_detect.sh ]; then
		echo "== detections (per-minute scan step at 10,000 and 100,000 flows/s; netflow.detect over 24 hours)"
		bash scripts/bench_detect.sh
	fi
	if has_part ingest && [ -f scripts/bench_ingest.sh ]; then
		echo "== ingest (baseline: binary COPY FROM of the same rows into the same table)"
		bash scripts/bench_ingest.sh "$WORK"
	fi
fi
if has_part compress && [ -f scripts/bench_compress.sh ]; then
	echo "== storage (${BENCH_COMPRESS_FLOWS:-10000000} flows over ${BENCH_COMPRESS_DAYS:-7} days; baseline: nfdump's LZ4 files of the same flows)"
	PATH="$BIN:$PATH" bash scripts/bench_compress.sh "$WORK"
fi

if has_part citus && [ -f scripts/bench_citus.sh ]; then
	echo "== Citus: coordinator + 2 workers on this machine (baselines: binary COPY into the distributed table; topn on a single node)"
	PATH="$BIN:$PATH" bash scripts/bench_citus.sh "$WORK"
fi
