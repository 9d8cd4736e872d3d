#!/bin/bash
# bench_rollups.sh: the rollups against raw flows.  Loads BENCH_DAYS days
# of generated flows (BENCH_FLOWS_PER_DAY a day) into netflow.flows,
# materializes the rollups (timed: ms per minute of data), then times, in
# the same session and alternating with the same question asked of the raw
# flows, netflow.top('src_addr') and a per-minute netflow.traffic over the
# whole period.  Prints the best of BENCH_RUNS runs of each, the ratio,
# and checks that both sides agree.  No assertion on the times.
#
# Then, unless BENCH_RATE_MINUTE=0, one minute at BENCH_RATE flows/s
# (default 100,000): the time to materialize it, to compare with the 60 s
# the minute lasts.
#
# Uses PGHOST, PGPORT, PGUSER, PGDATABASE (the database must have the
# netflow extension and no flows the bench should keep: it empties
# netflow.flows and the rollups).
#
# Expect about a quarter of an hour for the defaults on an idle 2-core
# machine, half of it materializing the 43,200 minutes (a per-minute cost:
# see docs/rollups.md, "Cost"), more when the machine is shared;
# BENCH_DAYS=3 takes a few minutes.
set -euo pipefail

DAYS=${BENCH_DAYS:-30}
PER_DAY=${BENCH_FLOWS_PER_DAY:-1000000}
RUNS=${BENCH_RUNS:-3}
RATE=${BENCH_RATE:-100000}
PSQL=${BENCH_PSQL:-psql}
q() { $PSQL -X -q -At -v ON_ERROR_STOP=1 "$@"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0) printf "%.0fx", b/a; else print "n/a" }'; }

# The period ends at a fixed minute in the past (not now: the maintenance
# worker's schedule must not matter), a few seconds into it.
END=$(q -c "SELECT date_trunc('minute', now() - interval '1 hour') + interval '17 seconds'")
START=$(q -c "SELECT '$END'::timestamptz - interval '$DAYS days'")
TOTAL=$((DAYS * PER_DAY))
echo "bench_rollups: $DAYS days x $PER_DAY flows = $TOTAL flows in [$START, $END) ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"

q <<SQL
SET client_min_messages = warning;
TRUNCATE netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day, netflow.host_profiles;
TRUNCATE netflow.flows;
DELETE FROM netflow.config WHERE key IN ('rollup_max_minutes', 'rollups', 'retention', 'premake');
INSERT INTO netflow.config VALUES ('rollup_max_minutes', '1000000'), ('rollups', 'off');
DO \$\$BEGIN PERFORM netflow.create_partitions('$START'::timestamptz - interval '1 day', now() + interval '1 day'); END\$\$;
SQL
t0=$(date +%s.%N)
# Deterministic, skewed: 2,000 internal hosts (10.1/16) with Zipf-like
# activity talk to 50,000 external addresses and to each other; a few
# services take most ports; received 30 s after the start.  Two sessions
# load at once (one per core; generate_series straight into netflow.flows),
# the first half and the second half of the period split at a midnight, so
# that each partition is written by one session in time order, as the
# collector writes it (rows of two sessions interleaved in a partition
# would make its BRIN indexes useless: every block range spanning a day).
# load_rows LO HI: flows number LO .. HI.
load_rows() {
	local lo=$1 hi=$2
	[ "$lo" -le "$hi" ] || return 0
	q <<SQL
INSERT INTO netflow.flows (time_start, time_end, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval,
						   input_if, output_if, src_as, dst_as)
SELECT t, t + interval '5 seconds', t + interval '30 seconds',
	   CASE WHEN i % 4 = 0 THEN '192.0.2.1'::inet ELSE '192.0.2.2'::inet END,
	   CASE WHEN r % 10 < 7 THEN '10.1.0.0'::inet + (2000 / (1 + r / 13 % 2000))
			ELSE '100.64.0.0'::inet + (r / 17 % 50000) END,
	   CASE WHEN r % 10 < 7 THEN '100.64.0.0'::inet + (r / 19 % 50000)
			ELSE '10.1.0.0'::inet + (r / 23 % 2000) END,
	   1024 + (r / 29 % 60000),
	   CASE WHEN r % 3 = 0 THEN (r / 31 % 65536)::integer
			ELSE (ARRAY[443, 80, 53, 22, 25, 123])[1 + r / 37 % 6] END,
	   (ARRAY[6, 6, 17, 1])[1 + r / 41 % 4],
	   1 + r / 43 % 40, 40 + (r / 47 % 1460) * (1 + r / 53 % 8), 1,
	   1 + r / 59 % 4, 1 + r / 61 % 4, 64512 + r / 67 % 20, 64512 + r / 71 % 20
FROM (SELECT i, (i * 2654435761) % 4294967291 AS r,
			 '$START'::timestamptz + (i - 1) * interval '1 second' * (86400.0 / $PER_DAY) AS t
	  FROM generate_series($lo, $hi) AS i) AS g;
SQL
}
# The first flow at or after the midnight nearest the middle of the period.
MID=$(q -c "SELECT 1 + ceil(extract(epoch FROM date_trunc('day', '$START'::timestamptz + interval '$DAYS days' / 2) - '$START'::timestamptz) * $PER_DAY / 86400.0)::bigint")
load_rows 1 $((MID - 1)) &
load_rows "$MID" "$TOTAL" &
wait
t1=$(date +%s.%N)
q -c "VACUUM ANALYZE netflow.flows"
ti=$(q -c '\timing on' -c "SELECT count(*) FROM netflow.rollup_index_partitions('10s')" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
echo "BRIN indexes on time_received (made by maintenance for partitions without one): $ti ms"
echo "loaded $TOTAL flows in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}') s; $(q -c "SELECT pg_size_pretty(sum(pg_total_relation_size(partition))) FROM netflow.flows_partitions()") on disk"

# Materialize everything up to the end (grace and late margin as
# configured), as one maintenance step.
q -c "DELETE FROM netflow.config WHERE key = 'rollups'"
# Wall time, and the CPU time of the backend (log_statement_stats): on a
# shared machine the wall time depends on the other load, the CPU time less.
m=$(q -c "SET client_min_messages = log" -c "SET log_statement_stats = on" -c '\timing on' -c "SELECT string_agg(action || ': ' || coalesce(detail, ''), '; ') FROM netflow.rollup_maintenance('$END'::timestamptz + interval '10 minutes')" 2>&1)
echo "materialization: $(echo "$m" | grep -v '^[!A-Z]' | tr '\n' ' ')"
minutes=$(q -c "SELECT count(*) FROM netflow.rollup_minutes")
ms=$(echo "$m" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
cpu=$(echo "$m" | awk '/^!\t[0-9.]+ s user/ { c = ($2 + $5) * 1000 } END { printf "%.0f", c }')
echo "materialization cost: $(awk -v t="$ms" -v n="$minutes" 'BEGIN{printf "%.1f", t/n}') ms per minute of data (CPU $(awk -v t="$cpu" -v n="$minutes" 'BEGIN{printf "%.1f", t/n}') ms) at $(awk -v p="$PER_DAY" 'BEGIN{printf "%.0f", p/1440}') flows per minute ($minutes minutes, $(awk -v t="$ms" 'BEGIN{printf "%.1f", t/1000}') s in all, CPU $(awk -v t="$cpu" 'BEGIN{printf "%.1f", t/1000}') s)"
q -c "VACUUM ANALYZE netflow.rollup_minutes, netflow.rollup_hours, netflow.rollup_topn_hour, netflow.rollup_topn_minute, netflow.rollup_traffic_minute, netflow.rollup_traffic_hour, netflow.host_profiles"
echo "rollups on disk: $(q -c "SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c WHERE c.relnamespace = 'netflow'::regnamespace AND c.relkind = 'r' AND (c.relname LIKE 'rollup%' OR c.relname = 'host_profiles')")"


TOP="SELECT * FROM netflow.top('src_addr', '$START', '$END')"
TOP_RAW="SELECT * FROM netflow.topn_items((SELECT netflow.topn(src_addr, coalesce(bytes, 0), 1000) FROM netflow.flows WHERE time_start >= '$START' AND time_start < '$END'), 10)"
TRAFFIC="SELECT * FROM netflow.traffic('$START', '$END', '1 minute')"
TRAFFIC_RAW="SELECT date_bin('1 minute', time_start, '2000-01-03'), count(*), sum(packets), sum(bytes), sum(packets * greatest(sampling_interval, 1)), sum(bytes * greatest(sampling_interval, 1)) FROM netflow.flows WHERE time_start >= '$START' AND time_start < '$END' GROUP BY 1 ORDER BY 1"

# best_pair QUERY BASELINE: alternate them RUNS times in one session; best
# wall time of each in ms.  The answers of the first run go to $OUT.1 and
# $OUT.2 (the client receives every row in every run, on both sides).
OUT=$(mktemp /tmp/bench_rollups.XXXXXX)
trap 'rm -f "$OUT" "$OUT".1 "$OUT".2' EXIT
best_pair() {
	local args=(-c '\timing on') i
	args+=(-c "\\o $OUT.1" -c "$1" -c "\\o $OUT.2" -c "$2" -c '\o /dev/null')
	for ((i = 1; i < RUNS; i++)); do args+=(-c "$1" -c "$2"); done
	q "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste - - |
		awk '{ if (NR == 1 || $1 < a) a = $1; if (NR == 1 || $2 < b) b = $2 }
			 END { printf "%.1f %.1f\n", a, b }'
}

read -r a b < <(best_pair "$TOP" "$TOP_RAW")
echo "top('src_addr', $DAYS days): $a ms  raw topn over the flows: $b ms  speedup $(ratio "$a" "$b")"
echo "check: top 10 (items and weights) equal to the raw topn's: $(cmp -s <(cut -d"|" -f1,2 "$OUT.1") <(cut -d"|" -f1,2 "$OUT.2") && echo t || echo f)"
# Against the exact sums: every reported weight brackets the true one, and
# the 10 items are the 10 heaviest.
echo "check: top 10 against exact sums over the raw flows (bounds hold, same items): $(q -c "
	WITH r AS ($TOP),
		 t AS (SELECT host(src_addr) AS item, sum(coalesce(bytes, 0)) AS w FROM netflow.flows
			   WHERE time_start >= '$START' AND time_start < '$END' GROUP BY 1)
	SELECT bool_and(t.w BETWEEN r.weight - r.error AND r.weight)
		   AND (SELECT array_agg(item ORDER BY item) FROM r)
			   = (SELECT array_agg(item ORDER BY item) FROM (SELECT item FROM t ORDER BY w DESC LIMIT 10) x)
	FROM r JOIN t USING (item)")"
# Both sides run with the session's settings (the cluster's defaults: jit
# on); netflow.traffic is inlined into the query, and its raw parts run
# in netflow.traffic_parts with jit = off.  Say whether each plan would be
# JIT-compiled.
jit_of() { q -c "EXPLAIN $1" | grep -q '^JIT:' && echo yes || echo no; }
echo "JIT (jit = $(q -c 'SHOW jit'), jit_above_cost = $(q -c 'SHOW jit_above_cost')): traffic query compiled: $(jit_of "$TRAFFIC"); raw GROUP BY compiled: $(jit_of "$TRAFFIC_RAW")"
read -r a b < <(best_pair "$TRAFFIC" "$TRAFFIC_RAW")
echo "traffic($DAYS days, 1 minute): $a ms  raw GROUP BY minute: $b ms  speedup $(ratio "$a" "$b")"
echo "check: per-minute traffic equal to raw: $(cmp -s "$OUT.1" "$OUT.2" && echo t || echo f) ($(wc -l <"$OUT.1") buckets)"

if [ "${BENCH_RATE_MINUTE:-1}" != 0 ]; then
	# One minute at RATE flows/s, just after the period, materialized alone.
	N=$((RATE * 60))
	q -c "INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr, src_port, dst_port, protocol, packets, bytes, sampling_interval, input_if, output_if)
		  SELECT t, t + interval '30 seconds', '192.0.2.1',
				 CASE WHEN r % 10 < 7 THEN '10.1.0.0'::inet + (r / 13 % 20000) ELSE '100.64.0.0'::inet + (r / 17 % 500000) END,
				 CASE WHEN r % 10 < 7 THEN '100.64.0.0'::inet + (r / 19 % 500000) ELSE '10.1.0.0'::inet + (r / 23 % 20000) END,
				 1024 + (r / 29 % 60000), (ARRAY[443, 80, 53, 22])[1 + r / 37 % 4], 6, 1 + r / 43 % 40, 40 + r / 47 % 1460, 1, 1, 2
		  FROM (SELECT (i * 2654435761) % 4294967291 AS r,
					   date_trunc('minute', '$END'::timestamptz) + interval '10 minutes' + (i - 1) * interval '1 second' * (60.0 / $N) AS t
				FROM generate_series(1, $N) AS i) g" >/dev/null
	q -c "VACUUM ANALYZE netflow.flows" >/dev/null
	m=$(q -c '\timing on' -c "SELECT string_agg(action || ': ' || coalesce(detail, ''), '; ') FROM netflow.rollup_maintenance(date_trunc('minute', '$END'::timestamptz) + interval '25 minutes')" | tr '\n' ' ')
	echo "one minute at $RATE flows/s ($N flows): $m"
fi
echo "bench_rollups: load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (wall times; other load on the machine slows both sides)"
