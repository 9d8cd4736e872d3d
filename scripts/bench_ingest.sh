#!/usr/bin/env bash
# scripts/bench_ingest.sh -- ingest benchmark, called by scripts/bench.sh
# with its work directory and the staged PostgreSQL's bin directory first
# on PATH.  Starts a cluster with the collector on a loopback UDP port,
# sends N IPFIX flows with test/tools/flowgen as fast as the socket takes
# them, and times from the first datagram until every flow is in
# netflow.flows.  Baseline, in the same run: PostgreSQL's own binary
# COPY FROM of the very same rows into the same (emptied) table.
#
# Usage: bash scripts/bench_ingest.sh WORKDIR   (INGEST_FLOWS=2000000)

set -u
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

WORK=$1
N=${INGEST_FLOWS:-2000000}
BIN=$(dirname "$(command -v postgres)")
DATA=$WORK/ingest-data
PORT=$(free_port)
UDP=$(free_port)

make -s -C test/tools flowgen >/dev/null || exit 1
cluster_start "$BIN" "$DATA" "$PORT" \
	"shared_preload_libraries = 'netflow'" \
	"netflow.listen = '127.0.0.1:$UDP'" "netflow.database = 'postgres'" \
	"netflow.queue_size = '1GB'" "netflow.rcvbuf = '64MB'" \
	"netflow.batch_size = 50000" "netflow.synchronous_commit = off" \
	"shared_buffers = '2GB'" "max_wal_size = '8GB'" "timezone = 'UTC'" || exit 1
trap 'cluster_stop "$BIN" "$DATA"' EXIT

q() { "$BIN/psql" -X -q -tA -h "$DATA" -p "$PORT" -U postgres -d postgres "$@"; }

q -c 'CREATE EXTENSION netflow' >/dev/null
q -c 'SELECT count(*) FROM netflow.run_maintenance()' >/dev/null
# Wait until the inserter is attached to the database.
for _ in $(seq 1 100); do
	[ "$(q -c "SELECT count(*) FROM netflow.collector_stats WHERE worker_type = 'inserter' AND pid IS NOT NULL")" -ge 1 ] && break
	sleep 0.1
done

inserted() { q -c "SELECT coalesce(sum(flows_inserted), 0) FROM netflow.collector_stats"; }

t0=$(date +%s.%N)
sent=$(test/tools/flowgen -h 127.0.0.1 -p "$UDP" -v 10 -n "$N" -r 0)
last=-1
stalled=0
t1=$t0
while :; do
	now=$(inserted)
	if [ "$now" != "$last" ]; then
		# the time of the last progress: with loss, the 10 s spent
		# waiting below to be sure nothing more comes are not ingest time
		t1=$(date +%s.%N)
		stalled=0
	else
		stalled=$((stalled + 1))
		[ $stalled -ge 100 ] && break	# 10 s without progress: loss
	fi
	[ "$now" -ge "$N" ] && break
	last=$now
	sleep 0.1
done
got=$(q -c 'SELECT count(*) FROM netflow.flows')

echo "sender: $sent"
q -c "SELECT 'collector drops: ' || coalesce(string_agg(reason || '=' || count, ' '), 'none') FROM netflow.drop_counters WHERE count > 0"

# Baseline: the same rows, binary COPY FROM into the same emptied table.
mkdir -p "$WORK/copy"
chown "$(pg_os_user)" "$WORK/copy"
q -c "COPY (SELECT * FROM netflow.flows) TO '$WORK/copy/flows.bin' (FORMAT binary)"
q -c 'TRUNCATE netflow.flows'
copy_ms=$("$BIN/psql" -X -h "$DATA" -p "$PORT" -U postgres -d postgres \
	-c 'SET synchronous_commit = off' -c '\timing on' \
	-c "COPY netflow.flows FROM '$WORK/copy/flows.bin' (FORMAT binary)" |
	sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1)

awk -v n="$got" -v want="$N" -v t0="$t0" -v t1="$t1" -v cms="$copy_ms" 'BEGIN {
	ours = t1 - t0; copy = cms / 1000;
	printf "ingest collector (IPFIX over UDP, decode, partitioned insert): %d of %d flows in %.2f s = %.0f flows/s\n", n, want, ours, n / ours;
	printf "baseline binary COPY FROM of the same %d rows:              %.2f s = %.0f flows/s\n", n, copy, n / copy;
	printf "ratio collector / COPY: %.2f\n", (n / ours) / (n / copy);
}'
