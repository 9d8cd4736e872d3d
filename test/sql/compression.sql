-- Compressed partitions (issue 11): every column reads back exactly after
-- netflow.compress_partition, aggregates agree, pruning still applies, late
-- rows land in the tail, UPDATE/DELETE of compressed rows fail clearly,
-- TRUNCATE/DROP/VACUUM/ANALYZE work, decompress gives the rows back.
SET timezone = 'UTC';
SELECT count(*) FROM netflow.create_partitions('2025-01-01', '2025-01-04');

-- Rows covering every shape: NULL in each nullable column, IPv4 and IPv6
-- (and the extremes of their ranges), MACs, VLANs, flags, zero and maximum
-- counters, microsecond times; 25,000 per day (8 batches of three hours).
CREATE TABLE cmp_gen AS
SELECT ts AS time_start,
	   CASE WHEN i % 17 = 0 THEN NULL ELSE ts + (i % 600) * interval '1 second' END AS time_end,
	   CASE WHEN i % 19 = 0 THEN NULL ELSE ts + interval '5 seconds' END AS time_received,
	   CASE i % 23 WHEN 0 THEN NULL WHEN 1 THEN '::1'::inet
		   ELSE ('127.0.0.' || (i % 4 + 1))::inet END AS exporter,
	   CASE WHEN i % 29 = 0 THEN NULL WHEN i % 31 = 0 THEN 4294967295 ELSE i % 3 END::bigint AS obs_domain,
	   CASE WHEN i % 37 = 0 THEN NULL ELSE (ARRAY[5, 9, 10])[i % 3 + 1] END::smallint AS version,
	   CASE WHEN i % 41 = 0 THEN NULL WHEN v6 THEN ('2001:db8::' || to_hex(i % 5000))::inet
		   WHEN i % 43 = 0 THEN '255.255.255.255'::inet
		   ELSE ('10.' || (i / 65536) % 256 || '.' || (i / 256) % 256 || '.' || i % 256)::inet END AS src_addr,
	   CASE WHEN i % 53 = 0 THEN NULL WHEN v6 THEN ('2001:db8:ffff::' || to_hex(i % 7))::inet
		   ELSE ('198.51.100.' || i % 200)::inet END AS dst_addr,
	   CASE WHEN i % 47 = 0 THEN NULL ELSE i % 65536 END AS src_port,
	   CASE WHEN i % 59 = 0 THEN NULL ELSE (ARRAY[53, 80, 443, 22, 0, 65535])[i % 6 + 1] END AS dst_port,
	   CASE WHEN i % 61 = 0 THEN NULL ELSE (ARRAY[6, 17, 1, 58, 0, 255])[i % 6 + 1] END::smallint AS protocol,
	   CASE WHEN i % 67 = 0 THEN NULL ELSE i % 256 END::smallint AS tcp_flags,
	   CASE WHEN i % 71 = 0 THEN NULL ELSE (i * 7) % 256 END::smallint AS tos,
	   CASE i % 13 WHEN 0 THEN 0 WHEN 1 THEN 9223372036854775807 WHEN 2 THEN NULL ELSE i * 7 END::bigint AS packets,
	   CASE i % 11 WHEN 0 THEN 0 WHEN 1 THEN 9223372036854775807 WHEN 2 THEN NULL ELSE i * 1500 END::bigint AS bytes,
	   CASE WHEN i % 73 = 0 THEN NULL ELSE (ARRAY[0, 1, 1000])[i % 3 + 1] END::bigint AS sampling_interval,
	   CASE WHEN i % 79 = 0 THEN NULL WHEN i % 83 = 0 THEN 4294967295 ELSE i % 48 END::bigint AS input_if,
	   CASE WHEN i % 89 = 0 THEN NULL ELSE i % 5 END::bigint AS output_if,
	   CASE WHEN i % 97 = 0 THEN NULL WHEN i % 101 = 0 THEN 4294967295 ELSE i % 65000 END::bigint AS src_as,
	   CASE WHEN i % 103 = 0 THEN NULL ELSE 64512 + i % 3 END::bigint AS dst_as,
	   CASE WHEN i % 107 = 0 OR v6 THEN NULL ELSE ('10.255.0.' || i % 4)::inet END AS next_hop,
	   CASE WHEN i % 109 = 0 THEN NULL WHEN v6 THEN i % 129 ELSE i % 33 END::smallint AS src_mask,
	   CASE WHEN i % 113 = 0 THEN NULL WHEN v6 THEN 128 ELSE 24 END::smallint AS dst_mask,
	   CASE WHEN i % 127 = 0 THEN NULL ELSE i % 2 END::smallint AS direction,
	   CASE WHEN i % 131 = 0 THEN NULL ELSE i % 4096 END AS src_vlan,
	   CASE WHEN i % 137 = 0 THEN NULL ELSE (i * 3) % 4096 END AS dst_vlan,
	   CASE WHEN i % 139 = 0 THEN NULL
		   ELSE ('02:00:00:00:' || lpad(to_hex(i % 256), 2, '0') || ':' || lpad(to_hex((i / 256) % 256), 2, '0'))::macaddr END AS src_mac,
	   CASE WHEN i % 149 = 0 THEN NULL ELSE 'ff:ff:ff:ff:ff:ff'::macaddr END AS dst_mac,
	   CASE WHEN i % 151 = 0 THEN NULL ELSE i % 6 END::smallint AS end_reason,
	   CASE WHEN i % 157 = 0 THEN NULL ELSE i % 256 END::smallint AS icmp_type,
	   CASE WHEN i % 157 = 0 THEN NULL ELSE (i / 3) % 256 END::smallint AS icmp_code,
	   CASE WHEN i % 167 = 0 THEN NULL ELSE i % 8 END AS flags
FROM generate_series(0, 74999) AS i,
	 LATERAL (SELECT timestamptz '2025-01-01' + (i / 25000) * interval '1 day'
					 + ((i % 25000) * 3.4559) * interval '1 second'
					 + (i % 997) * interval '1 microsecond' AS ts,
					 i % 5 = 0 AS v6) AS g;
-- and a row with every nullable column NULL
INSERT INTO cmp_gen (time_start) VALUES ('2025-01-01 12:00:00.000001');
INSERT INTO netflow.flows SELECT * FROM cmp_gen;
CREATE TABLE cmp_day1 AS SELECT * FROM cmp_gen WHERE time_start < '2025-01-02';

-- 1. Compress the first day: rows moved, the partition marked compressed.
SELECT netflow.compress_partition('netflow.flows_p20250101');
SELECT partition, compressed, compressed_rows, estimated_rows
FROM netflow.partitions WHERE lower < '2025-01-04' ORDER BY lower;
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.oid = 'netflow.flows_p20250101'::regclass;
-- its BRIN index is gone (indexes would cover the tail only)
SELECT count(*) FROM pg_index WHERE indrelid = 'netflow.flows_p20250101'::regclass;

-- 2. Every row and column reads back exactly, both ways.
SELECT count(*) FROM netflow.flows_p20250101;
SELECT count(*) AS missing FROM (SELECT * FROM cmp_day1 EXCEPT ALL SELECT * FROM netflow.flows_p20250101) AS d;
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows_p20250101 EXCEPT ALL SELECT * FROM cmp_day1) AS d;
-- the same through netflow.flows
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows WHERE time_start < '2025-01-02'
							   EXCEPT ALL SELECT * FROM cmp_day1) AS d;
-- distinct values survive (nothing collapsed by a dictionary)
SELECT (SELECT count(DISTINCT (src_addr, dst_addr, src_mac, time_start)) FROM netflow.flows_p20250101)
	 = (SELECT count(DISTINCT (src_addr, dst_addr, src_mac, time_start)) FROM cmp_day1) AS same_distinct;

-- 2b. A batch that has 2,500 rows or more ends at the edge of an hour of
-- time_start, so that a one-hour filter reads the batches of its hour
-- only: at about 1,042 rows an hour, batches of three hours, none split.
WITH b AS (
	SELECT row_count, min_time, max_time,
		   lead(min_time) OVER (ORDER BY batch_no) AS next_min
	FROM netflow.compressed_batches
	WHERE relid = 'netflow.flows_p20250101'::regclass)
SELECT count(*) AS batches,
	   count(*) FILTER (WHERE date_trunc('hour', max_time) = date_trunc('hour', next_min)) AS hours_split,
	   min(row_count) FILTER (WHERE next_min IS NOT NULL) AS fewest_rows,
	   max(row_count) AS most_rows,
	   min(extract(epoch FROM date_trunc('hour', max_time) - date_trunc('hour', min_time)) / 3600) AS min_hours_spanned,
	   max(extract(epoch FROM date_trunc('hour', max_time) - date_trunc('hour', min_time)) / 3600) AS max_hours_spanned
FROM b;

-- 2c. An hour of more rows than a batch holds is shared out evenly: the
-- 25,000 rows of one hour make 3 batches of about 8,333 (not 10,000, 10,000
-- and 5,000), and the next hour's 3,000 rows a batch of their own.
SELECT count(*) FROM netflow.create_partitions('2024-12-20', '2024-12-21');
INSERT INTO netflow.flows (time_start, exporter, src_addr, bytes)
SELECT timestamptz '2024-12-20 05:00' + i * interval '100 ms', inet '127.0.0.1', inet '10.0.0.1', i
FROM generate_series(0, 24999) AS i
UNION ALL
SELECT timestamptz '2024-12-20 06:00' + i * interval '1 s', inet '127.0.0.1', inet '10.0.0.2', i
FROM generate_series(0, 2999) AS i;
SELECT netflow.compress_partition('netflow.flows_p20241220');
SELECT batch_no, row_count, min_time, max_time FROM netflow.compressed_batches
WHERE relid = 'netflow.flows_p20241220'::regclass ORDER BY batch_no;
DROP TABLE netflow.flows_p20241220;
SELECT netflow.purge_orphan_batches();

-- 3. Aggregates agree.
-- (a capacity above the distinct values: the summary is exact, whatever the row order)
SELECT (SELECT array_agg(i ORDER BY i) FROM netflow.topn_items(
			(SELECT netflow.topn(dst_addr, bytes, 1000) FROM netflow.flows_p20250101 WHERE bytes < 1e12), 20) AS i)
	 = (SELECT array_agg(i ORDER BY i) FROM netflow.topn_items(
			(SELECT netflow.topn(dst_addr, bytes, 1000) FROM cmp_day1 WHERE bytes < 1e12), 20) AS i) AS topn_same;
SELECT (SELECT netflow.entropy(dst_port) FROM netflow.flows_p20250101)
	 = (SELECT netflow.entropy(dst_port) FROM cmp_day1) AS entropy_same;
SELECT (SELECT sum(bytes::numeric) FROM netflow.flows_p20250101)
	 = (SELECT sum(bytes::numeric) FROM cmp_day1) AS sum_same;

-- 4. Partition pruning still applies.
EXPLAIN (COSTS OFF)
SELECT count(*) FROM netflow.flows
WHERE time_start >= '2025-01-01 03:00' AND time_start < '2025-01-01 04:00';
SELECT count(*) = (SELECT count(*) FROM cmp_day1
				   WHERE time_start >= '2025-01-01 03:00' AND time_start < '2025-01-01 04:00') AS hour_same
FROM netflow.flows
WHERE time_start >= '2025-01-01 03:00' AND time_start < '2025-01-01 04:00';

-- 5. Parallel sequential scans: batches and tail shared out, nothing twice.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM netflow.flows_p20250101;
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows_p20250101 EXCEPT ALL SELECT * FROM cmp_day1) AS d;
SELECT count(*), sum(src_port) = (SELECT sum(src_port) FROM cmp_day1) AS sum_same FROM netflow.flows_p20250101;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- 6. A late flow lands in the tail and is read back; tail rows can change.
INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, bytes)
VALUES ('2025-01-01 23:59:59', '127.0.0.9', '10.9.9.9', '10.8.8.8', 4242);
SELECT count(*) FROM netflow.flows_p20250101;
SELECT exporter, src_addr, bytes FROM netflow.flows WHERE exporter = '127.0.0.9';
UPDATE netflow.flows SET bytes = 4343 WHERE exporter = '127.0.0.9';
SELECT bytes FROM netflow.flows_p20250101 WHERE exporter = '127.0.0.9';

-- 7. UPDATE, DELETE and row locks of compressed rows fail clearly.
UPDATE netflow.flows SET bytes = 1 WHERE time_start = '2025-01-01 12:00:00.000001';
DELETE FROM netflow.flows_p20250101 WHERE exporter = '127.0.0.2';
SELECT 1 FROM netflow.flows_p20250101 WHERE exporter = '127.0.0.2' LIMIT 1 FOR UPDATE;
-- what would see only part of it is refused too
CREATE INDEX ON netflow.flows_p20250101 (src_addr);
VACUUM FULL netflow.flows_p20250101;

-- 7b. TABLESAMPLE samples the rows of the batches as well as the tail's
-- (the late flow of section 6): all of them at 100%, each once, none at 0%.
SELECT count(*) AS missing FROM (SELECT * FROM netflow.flows_p20250101
	EXCEPT ALL SELECT * FROM netflow.flows_p20250101 TABLESAMPLE SYSTEM (100)) AS d;
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows_p20250101 TABLESAMPLE SYSTEM (100)
	EXCEPT ALL SELECT * FROM netflow.flows_p20250101) AS d;
SELECT count(*) AS missing FROM (SELECT * FROM netflow.flows_p20250101
	EXCEPT ALL SELECT * FROM netflow.flows_p20250101 TABLESAMPLE BERNOULLI (100)) AS d;
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows_p20250101 TABLESAMPLE BERNOULLI (100)
	EXCEPT ALL SELECT * FROM netflow.flows_p20250101) AS d;
SELECT count(*) FILTER (WHERE exporter = '127.0.0.9') AS tail_rows,
	   count(*) = (SELECT count(*) FROM netflow.flows_p20250101) AS every_row
FROM netflow.flows_p20250101 TABLESAMPLE SYSTEM (100);
SELECT count(*) FROM netflow.flows_p20250101 TABLESAMPLE SYSTEM (0);
SELECT count(*) FROM netflow.flows_p20250101 TABLESAMPLE BERNOULLI (0);
-- a share of the rows, every one a real row, the same again with REPEATABLE
-- (rows of every batch, not of the first ones)
CREATE TEMP TABLE cmp_sample AS
SELECT * FROM netflow.flows_p20250101 TABLESAMPLE BERNOULLI (30) REPEATABLE (7);
SELECT count(*) BETWEEN 0.25 * 25001 AND 0.35 * 25001 AS about_30_percent,
	   count(DISTINCT date_trunc('hour', time_start)) AS hours
FROM cmp_sample;
SELECT count(*) AS not_real FROM (SELECT * FROM cmp_sample EXCEPT ALL SELECT * FROM netflow.flows_p20250101) AS d;
SELECT count(*) AS differ FROM (
	(SELECT * FROM cmp_sample EXCEPT ALL
	 SELECT * FROM netflow.flows_p20250101 TABLESAMPLE BERNOULLI (30) REPEATABLE (7))
	UNION ALL
	(SELECT * FROM netflow.flows_p20250101 TABLESAMPLE BERNOULLI (30) REPEATABLE (7)
	 EXCEPT ALL SELECT * FROM cmp_sample)) AS d;
-- SYSTEM takes whole blocks (a batch's are up to 2,048 rows): about a
-- fifth of the rows on average over 50 seeds
SELECT avg(n) BETWEEN 0.1 * 25001 AND 0.3 * 25001 AS about_20_percent, min(n) < max(n) AS varies
FROM (SELECT (SELECT count(*) FROM netflow.flows_p20250101 TABLESAMPLE SYSTEM (20) REPEATABLE (s)) AS n
	  FROM generate_series(1, 50) AS s) AS r;
-- a method that visits blocks in a random order (tsm_system_rows): as many
-- rows as asked, distinct, real
CREATE EXTENSION tsm_system_rows;
CREATE TEMP TABLE cmp_rows AS
SELECT * FROM netflow.flows_p20250101 TABLESAMPLE system_rows (5000);
SELECT count(*) AS sampled, count(DISTINCT cmp_rows) AS distinct_rows FROM cmp_rows;
SELECT count(*) AS not_real FROM (SELECT * FROM cmp_rows EXCEPT ALL SELECT * FROM netflow.flows_p20250101) AS d;
DROP EXTENSION tsm_system_rows;
-- through the parent, and rescanned with other parameters
SELECT (SELECT count(*) FROM netflow.flows TABLESAMPLE SYSTEM (100)) =
	   (SELECT count(*) FROM netflow.flows) AS parent_every_row;
SELECT g, (SELECT count(*) FROM netflow.flows_p20250101 TABLESAMPLE SYSTEM (g)) =
	   CASE g WHEN 0 THEN 0 ELSE (SELECT count(*) FROM netflow.flows_p20250101) END AS right_count
FROM (VALUES (0), (100), (0), (100)) AS v(g);

-- 8. Compressing again moves the tail into a new batch; VACUUM, ANALYZE work.
SELECT netflow.compress_partition('netflow.flows_p20250101');
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows_p20250101 WHERE exporter IS DISTINCT FROM '127.0.0.9'
							   EXCEPT ALL SELECT * FROM cmp_day1) AS d;
SELECT count(*) FROM netflow.compressed_batches WHERE relid = 'netflow.flows_p20250101'::regclass;
-- FREEZE, as docs/operations.md says: a plain VACUUM passes over a page
-- whose cleanup lock it cannot take at once (one the checkpointer is
-- writing), keeping its dead rows and every page before it.  First wait
-- for the snapshots older than this compression (an autovacuum ANALYZE of
-- another table, say) to end: the row it moved would stay a dead row that
-- some snapshot still sees, on the last page, and nothing be truncated.
DO $$
BEGIN
	FOR i IN 1..600 LOOP
		PERFORM pg_stat_clear_snapshot();	-- else read once per transaction
		EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity
							  WHERE pid <> pg_backend_pid() AND datname = current_database()
								AND (backend_xmin IS NOT NULL OR backend_xid IS NOT NULL));
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
VACUUM (FREEZE) netflow.flows_p20250101;
ANALYZE netflow.flows_p20250101;
ANALYZE netflow.flows;
SELECT pg_relation_size('netflow.flows_p20250101') AS tail_bytes_after_vacuum;
-- the planner knows the rows of the batches
SELECT (SELECT reltuples FROM pg_class WHERE oid = 'netflow.flows_p20250101'::regclass) >= 0 AS analyzed;
SELECT compressed_rows, estimated_rows FROM netflow.partitions WHERE partition = 'netflow.flows_p20250101'::regclass;
-- column statistics taken before compression stay (the tail is empty)
SELECT attname, n_distinct FROM pg_stats
WHERE schemaname = 'netflow' AND tablename = 'flows_p20250101' AND attname IN ('dst_port', 'version')
ORDER BY attname;
EXPLAIN (COSTS OFF) SELECT * FROM netflow.flows_p20250101 WHERE src_port = 1;

-- 9. Decompress gives back a heap partition with the same rows and its BRIN index.
SELECT netflow.compress_partition('netflow.flows_p20250102');
SELECT netflow.decompress_partition('netflow.flows_p20250102');
SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
WHERE c.oid = 'netflow.flows_p20250102'::regclass;
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'netflow.flows_p20250102'::regclass;
SELECT count(*) AS missing FROM (SELECT * FROM cmp_gen WHERE time_start >= '2025-01-02' AND time_start < '2025-01-03'
								 EXCEPT ALL SELECT * FROM netflow.flows_p20250102) AS d;
SELECT count(*) AS extra FROM (SELECT * FROM netflow.flows_p20250102 EXCEPT ALL
							   SELECT * FROM cmp_gen WHERE time_start >= '2025-01-02' AND time_start < '2025-01-03') AS d;
SELECT count(*) FROM netflow.compressed_batches WHERE relid = 'netflow.flows_p20250102'::regclass;
-- and it can be updated again
DELETE FROM netflow.flows_p20250102 WHERE src_port = 7;

-- 10. TRUNCATE is transactional; the batches of the old storage are purged.
SELECT netflow.compress_partition('netflow.flows_p20250103');
BEGIN;
TRUNCATE netflow.flows_p20250103;
SELECT count(*) FROM netflow.flows_p20250103;
ROLLBACK;
SELECT count(*) FROM netflow.flows_p20250103;
TRUNCATE netflow.flows_p20250103;
SELECT count(*) FROM netflow.flows_p20250103;
SELECT netflow.purge_orphan_batches() > 0 AS purged;
SELECT count(*) FROM netflow.compressed_batches WHERE relid = 'netflow.flows_p20250103'::regclass;

-- 11. DROP (retention) works; its batches go with the next purge.
INSERT INTO netflow.flows SELECT * FROM cmp_gen WHERE time_start >= '2025-01-03';
SELECT netflow.compress_partition('netflow.flows_p20250103');
SELECT 'netflow.flows_p20250103'::regclass::oid AS p3 \gset
DROP TABLE netflow.flows_p20250103;
SELECT count(*) FROM netflow.compressed_batches WHERE relid = :p3;
SELECT netflow.purge_orphan_batches();
SELECT count(*) FROM netflow.compressed_batches WHERE relid = :p3;

-- 12. A corrupt batch is an error, never a crash.
BEGIN;
UPDATE netflow.compressed_batches SET data = substring(data FROM 1 FOR length(data) - 10)
WHERE relid = 'netflow.flows_p20250101'::regclass AND batch_no = 0;
SELECT count(*) FROM netflow.flows_p20250101;
ROLLBACK;
BEGIN;
UPDATE netflow.compressed_batches SET row_count = row_count + 1
WHERE relid = 'netflow.flows_p20250101'::regclass AND batch_no = 0;
SELECT count(*) FROM netflow.flows_p20250101;
ROLLBACK;

-- 13. What cannot be compressed is refused.
SELECT netflow.compress_partition('cmp_gen');
CREATE TABLE cmp_text (t timestamptz, note text);
SELECT netflow.compressed_build('cmp_text');
CREATE TABLE cmp_am (a int) USING netflow_compressed;
CREATE TEMP TABLE cmp_temp (a int) USING netflow_compressed;

-- 14. Maintenance compresses what is older than compress_after, oldest
-- first, one per run.
SELECT count(*) FROM netflow.create_partitions('2025-01-04', '2025-01-06');
SELECT partition FROM netflow.compression_candidates('2025-01-10');
-- (rollups and detections off: they are not under test here)
INSERT INTO netflow.config VALUES ('rollups', 'off'), ('detect_alerts', 'off');
SELECT action, partition FROM netflow.run_maintenance('2025-01-10') WHERE action = 'compressed';
SELECT partition, compressed FROM netflow.partitions WHERE upper <= '2025-01-06' ORDER BY lower;
INSERT INTO netflow.config VALUES ('compress_after', '0');
SELECT count(*) FROM netflow.compression_candidates('2025-01-10');
DELETE FROM netflow.config WHERE key IN ('compress_after', 'rollups', 'detect_alerts');

-- 15. ANALYZE samples the rows of the batches as well as the tail's, and
-- pg_class.reltuples counts both, as VACUUM leaves it: the statistics of a
-- compressed partition with late rows, and those of netflow.flows, cover
-- its batches, and the planner counts each row once.
CREATE FUNCTION cmp_plan_rows(q text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	j json;
BEGIN
	EXECUTE 'EXPLAIN (FORMAT JSON) ' || q INTO j;
	RETURN (j -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
END $$;
SELECT count(*) FROM netflow.create_partitions('2025-01-07', '2025-01-08');
INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, dst_port, protocol, packets, bytes)
SELECT timestamptz '2025-01-07' + i * interval '1 second', '127.0.0.1',
	   ('10.7.' || i / 256 || '.' || i % 256)::inet, '198.51.100.7', 1000 + i % 10, 6, 1, i
FROM generate_series(0, 39999) AS i;
SELECT netflow.compress_partition('netflow.flows_p20250107');
-- late rows, of another port and source
INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, dst_port, protocol, packets, bytes)
SELECT timestamptz '2025-01-07 12:00' + i * interval '1 second', '127.0.0.1',
	   '10.9.9.9', '198.51.100.7', 7777, 17, 1, 1
FROM generate_series(1, 50) AS i;
ANALYZE netflow.flows_p20250107;
-- the batches' ports are the common ones; nearly every source is distinct
SELECT most_common_vals::text::int[] @> '{1000,1001,1002,1003,1004,1005,1006,1007,1008,1009}' AS batch_ports_common
FROM pg_stats WHERE schemaname = 'netflow' AND tablename = 'flows_p20250107' AND attname = 'dst_port';
SELECT round(n_distinct::numeric, 2) AS n_distinct
FROM pg_stats WHERE schemaname = 'netflow' AND tablename = 'flows_p20250107' AND attname = 'src_addr';
-- more rows than the sample holds (30,000): ANALYZE sorts it by TID, and
-- the rows of batches come in batch order (time order here)
SELECT correlation > 0.9 AS batch_order
FROM pg_stats WHERE schemaname = 'netflow' AND tablename = 'flows_p20250107' AND attname = 'time_start';
SELECT relpages = pg_relation_size(oid) / 8192 AS relpages_are_the_tails, reltuples
FROM pg_class WHERE oid = 'netflow.flows_p20250107'::regclass;
SELECT cmp_plan_rows('SELECT * FROM netflow.flows_p20250107') AS planned_rows;
VACUUM netflow.flows_p20250107;
SELECT reltuples FROM pg_class WHERE oid = 'netflow.flows_p20250107'::regclass;
SELECT cmp_plan_rows('SELECT * FROM netflow.flows_p20250107') AS planned_rows;
SELECT estimated_rows, compressed_rows FROM netflow.partitions WHERE partition = 'netflow.flows_p20250107'::regclass;
-- the sample of netflow.flows includes the compressed partitions
ANALYZE netflow.flows;
SELECT reltuples = (SELECT count(*) FROM netflow.flows) AS parent_counts_every_row
FROM pg_class WHERE oid = 'netflow.flows'::regclass;
-- with track_activities off ANALYZE has no progress report to tell it is
-- sampling: it samples the tail alone, and the planner counts the tail as
-- 0 until an ANALYZE with it on (docs/operations.md)
SET track_activities = off;
ANALYZE netflow.flows_p20250107;
RESET track_activities;
SELECT reltuples FROM pg_class WHERE oid = 'netflow.flows_p20250107'::regclass;
SELECT cmp_plan_rows('SELECT * FROM netflow.flows_p20250107') AS planned_rows;
ANALYZE netflow.flows_p20250107;
SELECT reltuples FROM pg_class WHERE oid = 'netflow.flows_p20250107'::regclass;
-- a reltuples sampled just under the batches' rows is no count of the
-- tail: VACUUM extrapolating from it does not count the batches twice
INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, dst_port, protocol, packets, bytes)
SELECT timestamptz '2025-01-07 13:00' + i * interval '1 second', '127.0.0.1',
	   '10.9.9.9', '198.51.100.7', 7778, 17, 1, i
FROM generate_series(1, 8000) AS i;
VACUUM (FREEZE) netflow.flows_p20250107;
UPDATE pg_class SET reltuples = 39990 WHERE oid = 'netflow.flows_p20250107'::regclass;
DELETE FROM netflow.flows_p20250107 WHERE dst_port = 7778 AND bytes = 4000;
VACUUM netflow.flows_p20250107;
SELECT relpages > 30 AS tail_of_pages, reltuples < 1.5 * (SELECT count(*) FROM netflow.flows_p20250107) AS counted_once
FROM pg_class WHERE oid = 'netflow.flows_p20250107'::regclass;
DROP FUNCTION cmp_plan_rows(text);

-- Clean up: the partitions, their batches, the maintenance log.
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
SELECT netflow.purge_orphan_batches() > 0 AS purged;
SELECT count(*) FROM netflow.compressed_batches;
DELETE FROM netflow.maintenance_log;
DROP TABLE cmp_gen, cmp_day1, cmp_text, cmp_am;
