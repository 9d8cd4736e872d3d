#!/usr/bin/env bash
# scripts/bench_citus.sh -- the Citus part of `make bench` (issue 15,
# docs/scale-out.md), called by scripts/bench.sh with its work directory and
# the staged PostgreSQL's bin directory first on PATH.  Starts a Citus
# coordinator and two workers on this machine (loopback TCP), each with
# netflow preloaded, distributes netflow.flows with netflow.distribute(), and
# measures in the same run:
#   1. ingest: N IPFIX flows (test/tools/flowgen) through the collector on the
#      coordinator; then N through the collectors on the coordinator and on
#      worker 1 at once; baseline: binary COPY FROM of the same rows into
#      netflow.flows through the coordinator.
#   2. topn over 10 million flows: a table distributed by src_addr against the
#      same rows in a local table of the coordinator (single node).
# and prints what 2 cores can and cannot show, with the projection for N
# nodes from the measured per-node figures.
#
# Usage: bash scripts/bench_citus.sh WORKDIR
#   CITUS_INGEST_FLOWS=1000000 CITUS_TOPN_ROWS=10000000 BENCH_RUNS=3

set -u
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

WORK=$1
N=${CITUS_INGEST_FLOWS:-1000000}
ROWS=${CITUS_TOPN_ROWS:-10000000}
RUNS=${BENCH_RUNS:-3}
BIN=$(dirname "$(command -v postgres)")
[ -f "$("$BIN/pg_config" --pkglibdir)/citus.so" ] || {
	echo "bench_citus: citus.so is not in the staged PostgreSQL (scripts/bench.sh runs ensure_citus)" >&2
	exit 1
}
make -s -C test/tools flowgen >/dev/null || exit 1

NAMES="coord w1 w2"
declare -A PORT UDP
for n in $NAMES; do PORT[$n]=$(free_port); UDP[$n]=$(free_port); done
stop_all() { for n in $NAMES; do cluster_stop "$BIN" "$WORK/citus-$n"; done; }
trap stop_all EXIT
for n in $NAMES; do
	listen="127.0.0.1:${UDP[$n]}"
	[ "$n" = w2 ] && listen=""
	cluster_start "$BIN" "$WORK/citus-$n" "${PORT[$n]}" \
		"shared_preload_libraries = 'citus,netflow'" "listen_addresses = '127.0.0.1'" \
		"citus.node_conninfo = 'sslmode=disable'" "max_connections = 200" \
		"netflow.listen = '$listen'" "netflow.database = 'postgres'" \
		"netflow.queue_size = '512MB'" "netflow.rcvbuf = '64MB'" \
		"netflow.batch_size = 50000" "netflow.synchronous_commit = off" \
		"shared_buffers = '1GB'" "max_wal_size = '8GB'" "timezone = 'UTC'" || exit 1
done

q() { local n=$1; shift; "$BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${PORT[$n]}" -U postgres -d postgres "$@"; }

for n in $NAMES; do q $n -c 'CREATE EXTENSION citus' >/dev/null || exit 1; done
q coord -c "SELECT citus_set_coordinator_host('127.0.0.1', ${PORT[coord]})" >/dev/null || exit 1
for n in w1 w2; do q coord -c "SELECT citus_add_node('127.0.0.1', ${PORT[$n]})" >/dev/null || exit 1; done
# Citus creates the extension on the workers too
q coord -c 'CREATE EXTENSION netflow' >/dev/null || exit 1
q coord -c 'SELECT count(*) FROM netflow.distribute()' >/dev/null || exit 1
q coord -c 'SELECT count(*) FROM netflow.run_maintenance()' >/dev/null || exit 1
shards=$(q coord -c "SELECT count(*) FROM pg_dist_shard WHERE logicalrelid = 'netflow.flows'::regclass")
echo "cluster: coordinator + 2 workers on this machine ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)); netflow.flows distributed by src_addr, $shards shards"

for n in coord w1; do
	for _ in $(seq 1 100); do
		[ "$(q $n -c "SELECT count(*) FROM netflow.collector_stats WHERE worker_type = 'inserter' AND pid IS NOT NULL")" -ge 1 ] && break
		sleep 0.1
	done
done

inserted() { local s=0 n; for n in "$@"; do s=$((s + $(q $n -c "SELECT coalesce(sum(flows_inserted), 0) FROM netflow.collector_stats"))); done; echo $s; }

# ingest TARGET_TOTAL NODE... : send N/len flows to each node's collector at
# once, wait until the collectors have inserted TARGET_TOTAL in all; prints
# the seconds taken.
ingest() {
	local target=$1 t0 t1 last=-1 stalled=0 now n per pids=""
	shift
	per=$((N / $#))
	t0=$(date +%s.%N)
	for n in "$@"; do
		test/tools/flowgen -h 127.0.0.1 -p "${UDP[$n]}" -v 10 -n "$per" -r 0 -o "$((RANDOM % 1000 + 1))" >/dev/null &
		pids="$pids $!"
	done
	wait $pids
	while :; do
		now=$(inserted coord w1)
		[ "$now" -ge "$target" ] && break
		if [ "$now" = "$last" ]; then
			stalled=$((stalled + 1))
			[ $stalled -ge 100 ] && break
		else
			stalled=0
		fi
		last=$now
		sleep 0.1
	done
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

t_one=$(ingest "$N" coord)
got_one=$(q coord -c 'SELECT count(*) FROM netflow.flows')
t_two=$(ingest "$((2 * N))" coord w1)
got_two=$(q coord -c 'SELECT count(*) FROM netflow.flows')
got_two=$((got_two - got_one))
for n in coord w1; do
	q $n -c "SELECT '$n collector drops: ' || coalesce(string_agg(reason || '=' || count, ' '), 'none') FROM netflow.drop_counters WHERE count > 0"
done

# Baseline: binary COPY of the rows the collectors stored, through the
# coordinator into the emptied distributed table.
mkdir -p "$WORK/citus-copy"
chown "$(pg_os_user)" "$WORK/citus-copy"
q coord -c "COPY (SELECT * FROM netflow.flows) TO '$WORK/citus-copy/flows.bin' (FORMAT binary)"
q coord -c 'TRUNCATE netflow.flows'
copy_ms=$("$BIN/psql" -X -h 127.0.0.1 -p "${PORT[coord]}" -U postgres -d postgres \
	-c 'SET synchronous_commit = off' -c '\timing on' \
	-c "COPY netflow.flows FROM '$WORK/citus-copy/flows.bin' (FORMAT binary)" |
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)
copied=$(q coord -c 'SELECT count(*) FROM netflow.flows')
rm -f "$WORK/citus-copy/flows.bin"
q coord -c 'TRUNCATE netflow.flows'

echo "-- ingest into the distributed netflow.flows"
awk -v n1="$got_one" -v t1="$t_one" -v n2="$got_two" -v t2="$t_two" -v nc="$copied" -v cms="$copy_ms" -v want="$N" 'BEGIN {
	copy = cms / 1000;
	printf "collector on the coordinator:              %d of %d flows in %.2f s = %.0f flows/s\n", n1, want, t1, n1 / t1;
	printf "collectors on the coordinator + worker 1:  %d of %d flows in %.2f s = %.0f flows/s\n", n2, want, t2, n2 / t2;
	printf "baseline binary COPY FROM via coordinator: %d rows in %.2f s = %.0f rows/s\n", nc, copy, nc / copy;
	printf "ratio one collector / COPY: %.2f; two collectors / one: %.2f\n", (n1 / t1) / (nc / copy), (n2 / t2) / (n1 / t1);
}'

# --- topn over ROWS flows: distributed against single node -------------------
echo "-- topn over $ROWS flows (src_addr, dst_port, bytes), best of $RUNS"
q coord <<SQL >/dev/null || exit 1
SET client_min_messages = warning;
CREATE TABLE bench_local (src_addr inet, dst_port integer, bytes bigint);
INSERT INTO bench_local
SELECT CASE WHEN i % 10 < 6
            THEN '10.0.0.0'::inet + (10000 / (1 + r % 10000))
            ELSE '172.16.0.0'::inet + (r / 7 % 100000) END,
       CASE WHEN i % 2 = 0
            THEN (ARRAY[443, 80, 53, 22, 25, 123, 3389, 445])[1 + (r / 3 % 8)]
            ELSE (r / 11 % 65536)::integer END,
       40 + (r / 13 % 1460) * (1 + (r / 17 % 4) * (r / 19 % 4))
FROM (SELECT i, (i * 2654435761) % 4294967291 AS r
      FROM generate_series(1, $ROWS) AS i) AS g;
CREATE TABLE bench_dist (LIKE bench_local);
SELECT create_distributed_table('bench_dist', 'src_addr');
INSERT INTO bench_dist SELECT * FROM bench_local;
VACUUM ANALYZE bench_local;
VACUUM ANALYZE bench_dist;
SQL

# best_pair QUERY_ON_DIST QUERY_ON_LOCAL: alternate, best wall time of each
best_pair() {
	local args=(-c "SET jit = off" -c "SET max_parallel_workers_per_gather = 0" -c '\timing on') i
	for ((i = 0; i < RUNS; i++)); do args+=(-c "$1" -c "$2"); done
	q coord "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste - - |
		awk '{ if (NR == 1 || $1 < a) a = $1; if (NR == 1 || $2 < b) b = $2 }
			 END { printf "%.3f %.3f\n", a / 1000, b / 1000 }'
}
TOPN="SELECT count(*) FROM netflow.topn_items((SELECT netflow.topn(dst_port, bytes, 1000) FROM %T), 10)"
HOST="SELECT count(*) FROM netflow.topn_items((SELECT netflow.topn(dst_port, bytes, 1000) FROM %T WHERE src_addr = '10.0.0.1'), 10)"
read -r d_all l_all <<<"$(best_pair "${TOPN//%T/bench_dist}" "${TOPN//%T/bench_local}")"
read -r d_host l_host <<<"$(best_pair "${HOST//%T/bench_dist}" "${HOST//%T/bench_local}")"
# topn with 1000 counters over ~65,000 distinct ports is approximate and
# depends on the order rows arrive in (weights and error bounds differ
# between a gathered and a local scan); the heavy keys must not.
ITEMS="SELECT string_agg(item, ',' ORDER BY item) FROM netflow.topn_items((SELECT netflow.topn(dst_port, bytes, 1000) FROM %T), 8)"
if [ "$(q coord -c "${ITEMS//%T/bench_dist}")" = "$(q coord -c "${ITEMS//%T/bench_local}")" ]; then same=yes; else same=NO; fi
if q coord -c "EXPLAIN (VERBOSE) ${TOPN//%T/bench_dist}" | grep -qE 'Query:.*(worker_partial_agg|netflow\.topn\()'; then
	how="partial aggregates on the workers (pushed down)"
else
	how="rows gathered to the coordinator (not pushed down: row-gather)"
fi
awk -v da="$d_all" -v la="$l_all" -v dh="$d_host" -v lh="$l_host" -v how="$how" -v same="$same" 'BEGIN {
	printf "topn(dst_port, bytes) over all rows: distributed %.3f s, single node %.3f s, ratio single/distributed %.2f  [%s; same top 8 keys: %s]\n", da, la, la / da, how, same;
	printf "topn for one source host:            distributed %.3f s (pruned to one shard), single node %.3f s (full scan), ratio %.2f\n", dh, lh, lh / dh;
}'
q coord -c 'DROP TABLE bench_dist, bench_local' >/dev/null

# --- what this run can and cannot show ----------------------------------------
awk -v n1="$got_one" -v t1="$t_one" -v n2="$got_two" -v t2="$t_two" -v nc="$copied" -v cms="$copy_ms" -v da="$d_all" -v la="$l_all" -v cpus="$(nproc)" 'BEGIN {
	r1 = n1 / t1; r2 = n2 / t2; rc = nc / (cms / 1000);
	printf "-- reading these figures (%d CPUs)\n", cpus;
	print "Can show: that flows sent to a collector on any node land in the shards exactly once, the cost of";
	print "Citus routing per flow against a plain COPY into the same distributed table, and that a host query";
	print "prunes to one shard.";
	print "Cannot show: scaling with CPUs. The coordinator, both workers and both collectors share these";
	print "CPUs, so a second collector or node adds work to the same cores instead of adding cores. (Two";
	printf "collectors at once ran at %.2f times one: a collector also waits on the round trips to the\n", r2 / r1;
	print "shards, which a second one overlaps; that is not extra CPU.)";
	print "Projection for N nodes, each with its own CPUs, running a collector for 1/N of the exporters and";
	print "holding 1/N of the shards (rows cross the network once, to their shard; collectors do not share";
	print "state):";
	printf "  ingest ~ N x %.0f flows/s (the measured one-collector rate, itself bounded here by the shard\n", r1;
	printf "  writes of the workers on the same CPUs; COPY through one coordinator: %.0f rows/s, does not grow with N)\n", rc;
	for (k = 2; k <= 8; k *= 2) printf "    N = %d: ~%.0f flows/s\n", k, k * r1;
	printf "  topn over all rows: single node %.3f s; with pushdown each worker scans 1/N: ~%.3f s / N + merge;\n", la, la;
	print "  without pushdown (row-gather) the coordinator receives every row and stays the bottleneck.";
}'
