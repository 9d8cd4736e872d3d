#!/bin/bash
# bench_analytics.sh: time netflow.topn and netflow.entropy against plain SQL
# baselines on 10 million synthetic, skewed flows, serial and with 2 parallel
# workers, then on 4 million flows whose ports are uniform and skewed
# (65536 u^3).  Uses the connection settings PGHOST, PGPORT, PGUSER, PGDATABASE
# (the database must have the netflow extension).  Each figure is the best of
# 5 runs, timed by psql's \timing, with the baseline's runs alternating with
# them in the same session.
#
# Options (environment): BENCH_ROWS (default 10000000), BENCH_RUNS (default
# 5), BENCH_KEEP=1 keeps the table bench_analytics_flows, BENCH_PSQL
# (default psql).
set -euo pipefail

ROWS=${BENCH_ROWS:-10000000}
PSQL=${BENCH_PSQL:-psql}
TABLE=bench_analytics_flows
# Generous work_mem so the GROUP BY baselines never spill to disk.
COMMON="SET work_mem = '512MB'; SET jit = off;"
SERIAL="$COMMON SET max_parallel_workers_per_gather = 0;"
PARALLEL="$COMMON SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;"

q() { $PSQL -X -q -At -v ON_ERROR_STOP=1 "$@"; }

echo "bench_analytics: building $TABLE with $ROWS rows ($(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg))"
q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $TABLE;
CREATE TABLE $TABLE (src_addr inet, dst_port integer, bytes bigint);
-- Pure arithmetic, deterministic: r is a multiplicative hash of i.
-- 60% of the flows come from 10,000 heavy sources with Zipf-like weights
-- (source j drawn with probability ~ 1/j^2), 40% from 100,000 uniform
-- sources; ports: 50% from 8 service ports, the rest spread over 0..65535.
INSERT INTO $TABLE
SELECT CASE WHEN i % 10 < 6
            THEN '10.0.0.0'::inet + (10000 / (1 + r % 10000))
            ELSE '172.16.0.0'::inet + (r / 7 % 100000) END,
       CASE WHEN i % 2 = 0
            THEN (ARRAY[443, 80, 53, 22, 25, 123, 3389, 445])[1 + (r / 3 % 8)]
            ELSE (r / 11 % 65536)::integer END,
       40 + (r / 13 % 1460) * (1 + (r / 17 % 4) * (r / 19 % 4))
FROM (SELECT i, (i * 2654435761) % 4294967291 AS r
      FROM generate_series(1, $ROWS) AS i) AS g;
VACUUM ANALYZE $TABLE;
SQL
q -c "SELECT 'rows: ' || count(*) || ', distinct src_addr: ' || count(DISTINCT src_addr) || ', distinct dst_port: ' || count(DISTINCT dst_port) || ', size: ' || pg_size_pretty(pg_table_size('$TABLE')) FROM $TABLE"

# best_pair SETTINGS QUERY BASELINE: runs the query and its baseline in
# turn, BENCH_RUNS times each (default 5), in one session, and prints the
# best wall time of each in seconds.  Alternating the two keeps a change of
# the machine's speed during the run (other load, a neighbour on the host)
# from favouring either side.
best_pair() {
	local args=(-c "$1" -c '\timing on') i
	for ((i = 0; i < ${BENCH_RUNS:-5}; i++)); do args+=(-c "$2" -c "$3"); done
	q "${args[@]}" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | paste - - |
		awk '{ if (NR == 1 || $1 < a) a = $1; if (NR == 1 || $2 < b) b = $2 }
			 END { printf "%.3f %.3f\n", a / 1000, b / 1000 }'
}

# is_parallel SETTINGS QUERY: "parallel" when the plan has a Partial Aggregate.
plan_kind() {
	if q -c "$1" -c "EXPLAIN (COSTS OFF) $2" | grep -q "Partial .*Aggregate"; then echo "partial-aggregate plan"; else echo "serial plan"; fi
}

TOPN="SELECT item, weight FROM netflow.topn_items((SELECT netflow.topn(src_addr, bytes, 1000) FROM $TABLE), 10)"
TOPN_BASE="SELECT src_addr, sum(bytes) FROM $TABLE GROUP BY src_addr ORDER BY 2 DESC LIMIT 10"
ENT="SELECT netflow.entropy(dst_port) FROM $TABLE"
ENT_BASE="SELECT log(2, sum(c)) - sum(c * log(2, c)) / sum(c) FROM (SELECT count(*)::numeric AS c FROM $TABLE GROUP BY dst_port) AS s"
TOPN_INNER="SELECT netflow.topn(src_addr, bytes, 1000) FROM $TABLE"

# Correctness next to speed: same top 10 as GROUP BY, same entropy.
q -c "$SERIAL" -c "SELECT 'check: topn top-10 equals GROUP BY top-10: ' || ((SELECT array_agg(item ORDER BY item) FROM ($TOPN) a) = (SELECT array_agg(host(src_addr) ORDER BY host(src_addr)) FROM ($TOPN_BASE) b))"
q -c "$SERIAL" -c "SELECT 'check: |entropy - SQL formula| < 1e-9: ' || (abs(($ENT) - ($ENT_BASE)::float8) < 1e-9)"
es=$(q -c "$SERIAL" -c "$ENT"); ep=$(q -c "$PARALLEL" -c "$ENT")
echo "check: parallel entropy = serial entropy: $([ "$es" = "$ep" ] && echo true || echo "false ($ep vs $es)")"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (a > 0) printf "%.1fx", b/a; else print "n/a" }'; }

for mode in serial parallel; do
	if [ $mode = serial ]; then S=$SERIAL; label="serial"; else S=$PARALLEL; label="2 workers"; fi
	read -r t1 b1 < <(best_pair "$S" "$TOPN" "$TOPN_BASE")
	echo "topn $label: $t1 s  baseline GROUP BY: $b1 s  speedup $(ratio "$t1" "$b1")   [$(plan_kind "$S" "$TOPN_INNER") / $(plan_kind "$S" "$TOPN_BASE")]"
	read -r t2 b2 < <(best_pair "$S" "$ENT" "$ENT_BASE")
	echo "entropy $label: $t2 s  baseline SQL formula: $b2 s  speedup $(ratio "$t2" "$b2")   [$(plan_kind "$S" "$ENT") / $(plan_kind "$S" "$ENT_BASE")]"
done

# Key shapes (issue 15): 4M rows, ports drawn uniformly (floor(65536 u)) and
# skewed (floor(65536 u^3), u uniform in [0, 1)), both aggregates against
# their plain SQL baseline on each shape, serial and with 2 workers.
SROWS=${BENCH_SHAPE_ROWS:-4000000}
STABLE=bench_analytics_shapes
echo "bench_analytics: building $STABLE with $SROWS rows (uniform and skewed ports)"
q <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS $STABLE;
CREATE TABLE $STABLE (port_uniform integer, port_skewed integer, bytes bigint);
SELECT setseed(0.15);
INSERT INTO $STABLE
SELECT floor(65536 * u1)::integer, floor(65536 * u2 ^ 3)::integer,
       40 + floor(1460 * u3)::bigint
FROM (SELECT random() AS u1, random() AS u2, random() AS u3
      FROM generate_series(1, $SROWS)) AS g;
VACUUM ANALYZE $STABLE;
SQL
q -c "SELECT 'distinct ports: uniform ' || count(DISTINCT port_uniform) || ', skewed ' || count(DISTINCT port_skewed) || ' (' || round(100.0 * count(*) FILTER (WHERE port_skewed < 64) / count(*), 1) || '% of rows on ports 0..63)' FROM $STABLE"
for shape in uniform skewed; do
	col=port_$shape
	STOPN="SELECT item, weight FROM netflow.topn_items((SELECT netflow.topn($col, bytes, 1000) FROM $STABLE), 10)"
	STOPN_BASE="SELECT $col, sum(bytes) FROM $STABLE GROUP BY $col ORDER BY 2 DESC LIMIT 10"
	SENT="SELECT netflow.entropy($col) FROM $STABLE"
	SENT_BASE="SELECT log(2, sum(c)) - sum(c * log(2, c)) / sum(c) FROM (SELECT count(*)::numeric AS c FROM $STABLE GROUP BY $col) AS s"
	q -c "$SERIAL" -c "SELECT 'check $shape: |entropy - SQL formula| < 1e-9: ' || (abs(($SENT) - ($SENT_BASE)::float8) < 1e-9)"
	for mode in serial parallel; do
		if [ $mode = serial ]; then S=$SERIAL; label="serial"; else S=$PARALLEL; label="2 workers"; fi
		read -r t1 b1 < <(best_pair "$S" "$STOPN" "$STOPN_BASE")
		echo "$shape ports, topn $label: $t1 s  baseline GROUP BY: $b1 s  speedup $(ratio "$t1" "$b1")   [$(plan_kind "$S" "SELECT netflow.topn($col, bytes, 1000) FROM $STABLE") / $(plan_kind "$S" "$STOPN_BASE")]"
		read -r t2 b2 < <(best_pair "$S" "$SENT" "$SENT_BASE")
		echo "$shape ports, entropy $label: $t2 s  baseline SQL formula: $b2 s  speedup $(ratio "$t2" "$b2")   [$(plan_kind "$S" "$SENT") / $(plan_kind "$S" "$SENT_BASE")]"
	done
done
if [ "${BENCH_KEEP:-0}" != 1 ]; then q -c "DROP TABLE $STABLE"; fi

echo "bench_analytics: load average at the end $(cut -d' ' -f1-3 /proc/loadavg) (wall times; other load on the machine slows both sides)"
if [ "${BENCH_KEEP:-0}" != 1 ]; then q -c "DROP TABLE $TABLE"; fi
