#!/usr/bin/env bash
# scripts/measure_flow_size.sh -- measure the disk space of one flow in
# netflow.flows (heap + BRIN index + TOAST + free space map / visibility map),
# to size the disk for a retention and flow rate (docs/operations.md).
#
# Inserts N realistic synthetic flows (default 1000000) spread over one day
# into a throwaway cluster from a private staged PostgreSQL (never the
# system one), vacuums, and prints bytes per flow and GB per day at a few
# flow rates.
#
# Usage: bash scripts/measure_flow_size.sh [N]     (KEEP=1 keeps the work dir)

set -eu
. "$(dirname "$0")/lib.sh"
cd "$NETFLOW_ROOT"

N=${1:-1000000}
case "$N" in '' | *[!0-9]*) echo "usage: $0 [number of flows]" >&2; exit 2 ;; esac

ensure_packages $RUN_PACKAGES
WORK=$(mktemp -d /tmp/netflow-size.XXXXXX)
chmod 755 "$WORK"
DATA="$WORK/data"
BIN=""
cleanup() {
	[ -n "$BIN" ] && cluster_stop "$BIN" "$DATA"
	[ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

say "building and staging PostgreSQL in $WORK"
make -s NETFLOW_WERROR=1 >/dev/null
BIN=$(stage_postgres "$WORK/stage")
PORT=$(free_port)
cluster_start "$BIN" "$DATA" "$PORT" "timezone = 'UTC'" "max_wal_size = '4GB'"

psql_() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DATA" -p "$PORT" -U postgres -d postgres "$@"; }

say "inserting $N synthetic flows over one day"
psql_ <<SQL
CREATE EXTENSION netflow;
\o /dev/null
SELECT count(*) FROM netflow.create_partitions('2030-01-01 00:00+00', '2030-01-02 00:00+00');
-- Shapes seen on a campus/enterprise edge: mostly IPv4 (1 in 10 IPv6),
-- TCP 70 %, UDP 27 %, ICMP 3 %; well-known destination ports; ephemeral
-- source ports; small flows dominate (packets ~ exponential); 4 exporters;
-- interfaces, AS numbers, masks and next hop present (NetFlow v9/IPFIX
-- typical), MAC and VLAN absent; time_start in arrival order.
INSERT INTO netflow.flows (time_start, time_end, time_received, exporter, obs_domain, version,
	src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, tos, packets, bytes,
	sampling_interval, input_if, output_if, src_as, dst_as, next_hop, src_mask, dst_mask,
	direction, end_reason, icmp_type, icmp_code, flags)
SELECT ts, ts + dur, ts + dur + interval '2 seconds',
	('192.0.2.' || (1 + g % 4))::inet, 256 + g % 4, CASE WHEN g % 3 = 0 THEN 10 ELSE 9 END,
	CASE WHEN v6 THEN ('2001:db8:' || to_hex((r1 * 65535)::int) || '::' || to_hex((r2 * 65535)::int))::inet
		 ELSE ('10.' || (r1 * 255)::int || '.' || (r2 * 255)::int || '.' || (r3 * 255)::int)::inet END,
	CASE WHEN v6 THEN ('2001:db8:ffff:' || to_hex((r3 * 65535)::int) || '::' || to_hex((r4 * 65535)::int))::inet
		 ELSE ('198.51.' || (r3 * 100)::int || '.' || (r4 * 255)::int)::inet END,
	CASE WHEN proto = 1 THEN 0 ELSE 1024 + (r2 * 64000)::int END,
	CASE WHEN proto = 1 THEN 0
		 ELSE (ARRAY[443, 443, 443, 80, 53, 123, 22, 25, 993, 8080, 3389, 5060])[1 + (r4 * 11)::int] END,
	proto,
	CASE WHEN proto = 6 THEN (ARRAY[2, 18, 24, 27, 31, 16, 17, 4])[1 + (r1 * 7)::int] END,
	0, pk, pk * (40 + (r3 * 1400)::int), 1,
	1 + (r2 * 47)::int, 1 + (r3 * 47)::int,
	CASE WHEN r4 < 0.5 THEN 64512 ELSE (r4 * 400000)::int END, (r1 * 400000)::int,
	CASE WHEN v6 THEN '2001:db8::1'::inet ELSE '10.255.0.1'::inet END,
	CASE WHEN v6 THEN 48 ELSE 16 + (r1 * 8)::int END,
	CASE WHEN v6 THEN 64 ELSE 24 END,
	(g % 2)::smallint, (ARRAY[1, 2, 3, 3])[1 + (r2 * 3)::int],
	CASE WHEN proto = 1 THEN 8 END, CASE WHEN proto = 1 THEN 0 END, 0
FROM (
	SELECT g,
		   timestamptz '2030-01-01 00:00+00' + (g::float8 / $N) * interval '1 day' AS ts,
		   random() * interval '60 seconds' AS dur,
		   g % 10 = 0 AS v6,
		   random() AS r1, random() AS r2, random() AS r3, random() AS r4,
		   CASE WHEN random() < 0.70 THEN 6 WHEN random() < 0.9 THEN 17 ELSE 1 END AS proto,
		   1 + floor(-ln(1 - random()) * 12)::bigint AS pk
	FROM generate_series(0, $N - 1) g
) s;
VACUUM (ANALYZE) netflow.flows;
\o
SQL

say "measuring"
psql_ -A -F ' ' -t <<SQL
WITH p AS (
	SELECT sum(pg_total_relation_size(partition)) AS total,
		   sum(pg_relation_size(partition)) AS heap,
		   sum(pg_indexes_size(partition)) AS idx
	FROM netflow.flows_partitions()
), n AS (SELECT count(*) AS flows FROM netflow.flows)
SELECT format(E'flows                  %s\n'
			  'total bytes            %s (%s)\n'
			  'heap bytes             %s\n'
			  'index (BRIN) bytes     %s\n'
			  'bytes per flow         %s (total incl. BRIN, FSM, VM)\n'
			  'disk per day at  1k flows/s  %s GB\n'
			  'disk per day at 10k flows/s  %s GB\n'
			  'disk per day at 50k flows/s  %s GB',
			  n.flows, p.total, pg_size_pretty(p.total), p.heap, p.idx,
			  round(p.total::numeric / n.flows, 1),
			  round(p.total::numeric / n.flows * 1000 * 86400 / 1e9, 2),
			  round(p.total::numeric / n.flows * 10000 * 86400 / 1e9, 2),
			  round(p.total::numeric / n.flows * 50000 * 86400 / 1e9, 2))
FROM p, n;
SQL
