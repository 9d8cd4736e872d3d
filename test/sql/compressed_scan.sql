-- The custom scan of compressed partitions (NetflowCompressedScan): with it
-- on and off, serial and parallel, every query returns the same rows as the
-- same query over a heap copy; it decodes only the columns used, skips
-- batches by min_time/max_time (at batch edges, with Params, in rescans),
-- and still reads the tail.
SET timezone = 'UTC';
SELECT count(*) FROM netflow.create_partitions('2025-02-01', '2025-02-03');

-- Two days of 20,000 rows each, NULLs in every nullable column, IPv4 and
-- IPv6, MACs; one exporter for most rows.  Compression sorts by hour,
-- exporter, time, and a batch of 2,500 rows or more ends at an hour's edge:
-- at about 833 rows an hour, 8 batches of three hours each per day (batch 0
-- holds the rows of 00:00-03:00, batch 1 those of 03:00-06:00, ...).
CREATE TABLE cs_ref AS
SELECT ts AS time_start,
	   CASE WHEN i % 17 = 0 THEN NULL ELSE ts + (i % 600) * interval '1 second' END AS time_end,
	   CASE WHEN i % 19 = 0 THEN NULL ELSE ts + interval '5 seconds' END AS time_received,
	   CASE WHEN i % 97 = 0 THEN NULL WHEN i % 101 = 0 THEN '::1'::inet ELSE '127.0.0.1'::inet END AS exporter,
	   CASE WHEN i % 29 = 0 THEN NULL ELSE i % 3 END::bigint AS obs_domain,
	   CASE WHEN i % 37 = 0 THEN NULL ELSE 9 END::smallint AS version,
	   CASE WHEN i % 41 = 0 THEN NULL WHEN i % 5 = 0 THEN ('2001:db8::' || to_hex(i % 5000))::inet
		   ELSE ('10.0.' || (i / 256) % 256 || '.' || i % 256)::inet END AS src_addr,
	   CASE WHEN i % 53 = 0 THEN NULL WHEN i % 5 = 0 THEN ('2001:db8:ffff::' || to_hex(i % 7))::inet
		   ELSE ('198.51.100.' || i % 200)::inet END AS dst_addr,
	   CASE WHEN i % 47 = 0 THEN NULL ELSE i % 65536 END AS src_port,
	   CASE WHEN i % 59 = 0 THEN NULL ELSE (ARRAY[53, 80, 443, 22])[i % 4 + 1] END AS dst_port,
	   CASE WHEN i % 61 = 0 THEN NULL ELSE (ARRAY[6, 17, 1])[i % 3 + 1] END::smallint AS protocol,
	   CASE WHEN i % 67 = 0 THEN NULL ELSE i % 256 END::smallint AS tcp_flags,
	   CASE WHEN i % 71 = 0 THEN NULL ELSE (i * 7) % 256 END::smallint AS tos,
	   CASE WHEN i % 13 = 0 THEN NULL ELSE i * 7 END::bigint AS packets,
	   CASE WHEN i % 11 = 0 THEN NULL ELSE i * 1500 END::bigint AS bytes,
	   NULL::bigint AS sampling_interval,
	   CASE WHEN i % 79 = 0 THEN NULL ELSE i % 48 END::bigint AS input_if,
	   CASE WHEN i % 89 = 0 THEN NULL ELSE i % 5 END::bigint AS output_if,
	   CASE WHEN i % 97 = 0 THEN NULL ELSE i % 65000 END::bigint AS src_as,
	   CASE WHEN i % 103 = 0 THEN NULL ELSE 64512 END::bigint AS dst_as,
	   NULL::inet AS next_hop,
	   CASE WHEN i % 109 = 0 THEN NULL ELSE i % 33 END::smallint AS src_mask,
	   CASE WHEN i % 113 = 0 THEN NULL ELSE 24 END::smallint AS dst_mask,
	   CASE WHEN i % 127 = 0 THEN NULL ELSE i % 2 END::smallint AS direction,
	   CASE WHEN i % 131 = 0 THEN NULL ELSE i % 4096 END AS src_vlan,
	   CASE WHEN i % 137 = 0 THEN NULL ELSE (i * 3) % 4096 END AS dst_vlan,
	   CASE WHEN i % 139 = 0 THEN NULL
		   ELSE ('02:00:00:00:' || lpad(to_hex(i % 256), 2, '0') || ':00')::macaddr END AS src_mac,
	   CASE WHEN i % 149 = 0 THEN NULL ELSE 'ff:ff:ff:ff:ff:ff'::macaddr END AS dst_mac,
	   CASE WHEN i % 151 = 0 THEN NULL ELSE i % 6 END::smallint AS end_reason,
	   CASE WHEN i % 157 = 0 THEN NULL ELSE i % 256 END::smallint AS icmp_type,
	   CASE WHEN i % 157 = 0 THEN NULL ELSE (i / 3) % 256 END::smallint AS icmp_code,
	   CASE WHEN i % 167 = 0 THEN NULL ELSE i % 8 END AS flags
FROM generate_series(0, 39999) AS i,
	 LATERAL (SELECT timestamptz '2025-02-01' + (i / 20000) * interval '1 day'
					 + ((i % 20000) * 4.32) * interval '1 second' AS ts) AS g;
INSERT INTO netflow.flows SELECT * FROM cs_ref;
SELECT netflow.compress_partition('netflow.flows_p20250201');
SELECT netflow.compress_partition('netflow.flows_p20250202');
-- a late row in the tail of the first day, after every batch's max_time
INSERT INTO netflow.flows (time_start, exporter, src_addr, bytes)
VALUES ('2025-02-01 23:59:59.5', '127.0.0.9', '10.9.9.9', 4242);
INSERT INTO cs_ref (time_start, exporter, src_addr, bytes)
VALUES ('2025-02-01 23:59:59.5', '127.0.0.9', '10.9.9.9', 4242);
SELECT count(*) AS batches FROM netflow.compressed_batches
WHERE relid IN ('netflow.flows_p20250201'::regclass, 'netflow.flows_p20250202'::regclass);

-- Edges of the batches of the first day, for filters that start or end on
-- them (b1: batch 1, the second of the day).
SELECT batch_no, min_time, max_time FROM netflow.compressed_batches
WHERE relid = 'netflow.flows_p20250201'::regclass ORDER BY batch_no;
SELECT min_time AS b1_min, max_time AS b1_max
FROM netflow.compressed_batches
WHERE relid = 'netflow.flows_p20250201'::regclass AND batch_no = 1 \gset

-- cs_check(query): the query (%1$s stands for the rows, aliased f) over the
-- compressed partitions with the custom scan on and off, serial and
-- parallel, against the heap copy: the rows (all must be 0 apart from rows)
-- and whether the custom scan was used when on.
CREATE FUNCTION cs_check(q text, OUT rows bigint, OUT diff_on bigint, OUT diff_off bigint,
						 OUT diff_par bigint, OUT custom boolean, OUT custom_par boolean)
LANGUAGE plpgsql AS $$
DECLARE
	src text := '(SELECT * FROM netflow.flows WHERE time_start >= ''2025-02-01'' AND time_start < ''2025-02-03'')';
	lines text;
	n bigint;
BEGIN
	EXECUTE format('CREATE TEMP TABLE cs_exp AS ' || q, '(SELECT * FROM cs_ref)');
	SELECT count(*) INTO rows FROM cs_exp;
	PERFORM set_config('netflow.enable_compressed_scan', 'on', true);
	PERFORM set_config('max_parallel_workers_per_gather', '0', true);
	EXECUTE format('CREATE TEMP TABLE cs_got AS ' || q, src);
	EXECUTE 'SELECT (SELECT count(*) FROM (SELECT * FROM cs_exp EXCEPT ALL SELECT * FROM cs_got) a)
				  + (SELECT count(*) FROM (SELECT * FROM cs_got EXCEPT ALL SELECT * FROM cs_exp) b)' INTO diff_on;
	DROP TABLE cs_got;
	custom := false;
	FOR lines IN EXECUTE format('EXPLAIN (COSTS OFF) ' || q, src) LOOP
		custom := custom OR lines LIKE '%NetflowCompressedScan%';
	END LOOP;
	-- parallel, custom scan on
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	PERFORM set_config('parallel_setup_cost', '0', true);
	PERFORM set_config('parallel_tuple_cost', '0', true);
	PERFORM set_config('min_parallel_table_scan_size', '0', true);
	EXECUTE format('CREATE TEMP TABLE cs_got AS ' || q, src);
	EXECUTE 'SELECT (SELECT count(*) FROM (SELECT * FROM cs_exp EXCEPT ALL SELECT * FROM cs_got) a)
				  + (SELECT count(*) FROM (SELECT * FROM cs_got EXCEPT ALL SELECT * FROM cs_exp) b)' INTO diff_par;
	DROP TABLE cs_got;
	custom_par := false;
	FOR lines IN EXECUTE format('EXPLAIN (COSTS OFF) ' || q, src) LOOP
		custom_par := custom_par OR lines LIKE '%Parallel Custom Scan (NetflowCompressedScan)%';
	END LOOP;
	-- custom scan off (serial and parallel sequential scans)
	PERFORM set_config('netflow.enable_compressed_scan', 'off', true);
	EXECUTE format('CREATE TEMP TABLE cs_got AS ' || q, src);
	PERFORM set_config('max_parallel_workers_per_gather', '0', true);
	EXECUTE format('INSERT INTO cs_got ' || q, src);
	INSERT INTO cs_got SELECT * FROM cs_exp;
	-- cs_got = 2 x off + 1 x expected: each row must come 3 times as often as in cs_exp
	EXECUTE 'SELECT (SELECT count(*) FROM (SELECT * FROM cs_exp UNION ALL SELECT * FROM cs_exp UNION ALL SELECT * FROM cs_exp
										  EXCEPT ALL SELECT * FROM cs_got) a)
				  + (SELECT count(*) FROM (SELECT * FROM cs_got EXCEPT ALL
										  (SELECT * FROM cs_exp UNION ALL SELECT * FROM cs_exp UNION ALL SELECT * FROM cs_exp)) b)' INTO diff_off;
	DROP TABLE cs_got;
	DROP TABLE cs_exp;
	PERFORM set_config('netflow.enable_compressed_scan', 'on', true);
	PERFORM set_config('max_parallel_workers_per_gather', '2', true);
	RESET parallel_setup_cost;
	RESET parallel_tuple_cost;
	RESET min_parallel_table_scan_size;
END
$$;

-- 1. Every row and column; projections of a few columns (NULLs included).
SELECT * FROM cs_check('SELECT * FROM %1$s AS f');
SELECT * FROM cs_check('SELECT src_addr, bytes FROM %1$s AS f');
SELECT * FROM cs_check('SELECT dst_port, src_mac, next_hop, sampling_interval FROM %1$s AS f');
SELECT * FROM cs_check('SELECT count(*) AS n FROM %1$s AS f');
SELECT * FROM cs_check('SELECT exporter, count(*) AS n, sum(bytes) AS b, count(packets) AS p FROM %1$s AS f GROUP BY exporter');
SELECT * FROM cs_check('SELECT src_addr FROM %1$s AS f WHERE bytes IS NULL AND dst_port = 443');
SELECT * FROM cs_check('SELECT f::text AS t FROM %1$s AS f WHERE src_port < 100');
-- columns stored relative to another (time_end, time_received: their
-- reference column's bytes are fetched too), far apart in the batch, and
-- the filter's columns first, then the others from the same batch bytes
SELECT * FROM cs_check('SELECT time_received FROM %1$s AS f');
SELECT * FROM cs_check('SELECT time_end, icmp_code FROM %1$s AS f');
SELECT * FROM cs_check('SELECT src_mac, time_end, flags FROM %1$s AS f WHERE dst_port = 443');
-- filters that select few rows of each batch (at most one in 4): the other
-- columns are decoded at the selected rows only; every column, with
-- NULLs, the columns stored relative to another, inet and macaddr
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_port = 7');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE tcp_flags = 7');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_mask = 7 OR src_vlan = 7');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE dst_addr = ''198.51.100.7''');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''10.0.3.7'' OR dst_addr = ''10.0.3.7'' OR dst_addr = ''2001:db8:ffff::3''');
SELECT * FROM cs_check('SELECT time_end, time_received, src_mac, bytes FROM %1$s AS f WHERE icmp_type = 200');
SELECT * FROM cs_check('SELECT time_end, time_received, dst_addr FROM %1$s AS f WHERE time_start >= ''2025-02-01 13:00'' AND time_start < ''2025-02-01 13:01''');
-- one row of two batches, and the first and last row of a day
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE bytes = 1500 * 19999 OR bytes = 1500 * 20000 OR bytes = 1500 * 39999 OR bytes = 1500');

-- 2. Time filters on the edges of a batch, BETWEEN, equality, NULL bounds.
SELECT * FROM cs_check(format('SELECT time_start, src_addr FROM %%1$s AS f WHERE time_start >= %L', :'b1_min'));
SELECT * FROM cs_check(format('SELECT time_start, src_addr FROM %%1$s AS f WHERE time_start > %L', :'b1_min'));
SELECT * FROM cs_check(format('SELECT time_start, src_addr FROM %%1$s AS f WHERE time_start < %L', :'b1_min'));
SELECT * FROM cs_check(format('SELECT time_start, src_addr FROM %%1$s AS f WHERE time_start <= %L', :'b1_max'));
SELECT * FROM cs_check(format('SELECT time_start, src_addr FROM %%1$s AS f WHERE time_start = %L', :'b1_max'));
SELECT * FROM cs_check(format('SELECT time_start, bytes FROM %%1$s AS f WHERE time_start BETWEEN %L AND %L', :'b1_min', :'b1_max'));
SELECT * FROM cs_check(format('SELECT time_start, bytes FROM %%1$s AS f WHERE %L < time_start AND %L >= time_start', :'b1_min', :'b1_max'));
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE time_start >= ''2025-02-01 10:00'' AND time_start < ''2025-02-01 11:00''');
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE time_start >= NULL::timestamptz');
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE time_start > ''2025-02-02 12:00'' AND time_start < ''2025-02-02 06:00''');
-- every qual a time bound: batches inside every range return all their
-- rows unchecked, decoded only in the columns selected (time_start has no
-- NULL; time_end has some in every batch, so a bound on it never takes a
-- batch whole)
SELECT * FROM cs_check('SELECT count(*) AS n FROM %1$s AS f WHERE time_start >= ''2025-02-01'' AND time_start < ''2025-02-02''');
SELECT * FROM cs_check('SELECT src_addr, bytes, time_end FROM %1$s AS f WHERE time_start >= ''2025-02-01 06:00'' AND time_start <= ''2025-02-02 18:00''');
SELECT * FROM cs_check('SELECT time_start, src_mac FROM %1$s AS f WHERE time_start > ''2025-02-01'' AND time_end <= ''2025-02-02 12:00''');
SELECT * FROM cs_check('SELECT f::text AS t FROM %1$s AS f WHERE time_start BETWEEN ''2025-02-01'' AND ''2025-02-03''');
-- the tail row, after every batch: every batch skipped, the row found
SELECT * FROM cs_check('SELECT exporter, bytes FROM %1$s AS f WHERE time_start >= ''2025-02-01 23:59:59.2'' AND time_start < ''2025-02-02''');
-- a bound computed at run time (stable function) and a cross-type bound (not used to skip)
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE time_start < (timestamptz ''2025-02-01'' + interval ''3 hours'')');
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE time_start < date ''2025-02-02''');

-- 3. Rescans with Param-dependent bounds: a correlated subquery, a lateral
-- nested loop, and a scan inside a nested loop join.
SELECT * FROM cs_check('SELECT h, (SELECT count(*) FROM %1$s AS f WHERE time_start >= h AND time_start < h + interval ''1 hour''),
						   (SELECT sum(bytes) FROM %1$s AS f WHERE time_start >= h AND time_start < h + interval ''1 hour'')
						FROM generate_series(timestamptz ''2025-02-01'', ''2025-02-02 23:00'', ''3 hours'') AS h');
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT * FROM cs_check('SELECT h, x.src_addr, x.bytes
						FROM generate_series(timestamptz ''2025-02-01 01:00'', ''2025-02-02 23:00'', ''6 hours'') AS h,
							 LATERAL (SELECT src_addr, bytes FROM %1$s AS f WHERE time_start >= h AND time_start < h + interval ''20 minutes'') AS x');
SELECT * FROM cs_check('SELECT e.x, count(*) AS n FROM (VALUES (''::1''::inet), (''127.0.0.1''), (NULL)) AS e(x)
						JOIN %1$s AS f ON exporter = e.x GROUP BY e.x');
RESET enable_hashjoin;
RESET enable_mergejoin;

-- 4. What EXPLAIN shows: the columns decoded, and with ANALYZE the batches
-- read and skipped.
SET max_parallel_workers_per_gather = 0;
-- (only the lines of the custom scan; the rows of a parallel plan vary with
-- the workers launched, the batch counts do not)
CREATE FUNCTION cs_explain(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	l text;
BEGIN
	FOR l IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
		IF l ~ 'Custom Scan|Batch|Columns|Bounds' THEN
			RETURN NEXT regexp_replace(l, ' \(actual.*\)', '');
		END IF;
	END LOOP;
END
$$;
-- on the edges of batch 1: > its max skips it, >= its max reads it
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_start > %L', :'b1_max'));
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_start >= %L', :'b1_max'));
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_start < %L', :'b1_min'));
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_start <= %L', :'b1_min'));
-- the whole day: every batch inside, none of their rows checked (the late
-- row of the tail is)
SELECT cs_explain('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_start >= ''2025-02-01'' AND time_start < ''2025-02-02''');
EXPLAIN (COSTS OFF) SELECT sum(bytes) FROM netflow.flows_p20250201;
-- only the bytes of the columns used are read from the batches (VERBOSE
-- shows how many; their sizes depend on zstd, so only shares are checked):
-- one narrow column, a small share; every column, all of it
CREATE FUNCTION cs_fetched(q text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
	j jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || q INTO j;
	RETURN jsonb_path_query_first(j, 'strict $.**."Batch Bytes Fetched"')::numeric
		/ jsonb_path_query_first(j, 'strict $.**."Batch Bytes Stored"')::numeric;
END
$$;
SELECT cs_fetched('SELECT sum(tcp_flags) FROM netflow.flows_p20250201') < 0.2 AS one_column,
	   cs_fetched('SELECT * FROM netflow.flows_p20250201') = 1 AS every_column;
-- with a filter: its column first, the others only for batches where it
-- selects a row (none here; some rows in every batch there)
SELECT cs_fetched('SELECT * FROM netflow.flows_p20250201 WHERE dst_port = 4444') < 0.2 AS no_row_selected,
	   cs_fetched('SELECT * FROM netflow.flows_p20250201 WHERE dst_port = 443') BETWEEN 1 AND 1.1 AS rows_selected;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT sum(bytes) FROM netflow.flows_p20250201
WHERE time_start >= '2025-02-01 15:00' AND time_start < '2025-02-01 16:00';
-- every batch skipped: the late row comes from the tail
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT bytes FROM netflow.flows_p20250201 WHERE time_start > '2025-02-01 23:59:59';
-- a prepared statement's Param bound, evaluated at each execution
PREPARE cs_hour(timestamptz) AS
SELECT count(*) FROM netflow.flows_p20250201 WHERE time_start >= $1 AND time_start < $1 + interval '1 hour';
SET plan_cache_mode = force_generic_plan;
EXECUTE cs_hour('2025-02-01 15:00');
SELECT count(*) FROM cs_ref WHERE time_start >= '2025-02-01 15:00' AND time_start < '2025-02-01 16:00';
SELECT cs_explain('EXECUTE cs_hour(''2025-02-01 15:00'')');
SELECT cs_explain('EXECUTE cs_hour(''2025-02-01 05:00'')');
RESET plan_cache_mode;
DEALLOCATE cs_hour;
-- parallel: the counts of every participant add up
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SELECT cs_explain('SELECT count(*) FROM netflow.flows_p20250202 WHERE time_start >= ''2025-02-02 15:00'' AND time_start < ''2025-02-02 16:00''');
SELECT cs_explain('SELECT count(*) FROM netflow.flows_p20250202');
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
-- a scan of fewer batch pages than min_parallel_table_scan_size gets no
-- parallel plan, even with free parallelism (starting workers costs more
-- than an hour of a compressed day takes to read; a Parallel Append would
-- run the serial scan in one worker: not what this checks)
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET max_parallel_workers_per_gather = 2;
SET enable_parallel_append = off;
EXPLAIN (COSTS OFF) SELECT sum(bytes) FROM netflow.flows
WHERE time_start >= '2025-02-01 15:00' AND time_start < '2025-02-01 16:00';
RESET enable_parallel_append;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET max_parallel_workers_per_gather;
-- off: a plain sequential scan
SET netflow.enable_compressed_scan = off;
EXPLAIN (COSTS OFF) SELECT sum(bytes) FROM netflow.flows_p20250201;
RESET netflow.enable_compressed_scan;

-- 5. A cursor fetched forward in steps, across batch boundaries: every row once.
BEGIN;
DECLARE cs_cur CURSOR FOR
SELECT time_start, src_addr FROM netflow.flows_p20250201 WHERE time_start >= :'b1_min';
MOVE 9999 FROM cs_cur;
MOVE 2 FROM cs_cur;
MOVE FORWARD ALL FROM cs_cur;
CLOSE cs_cur;
COMMIT;
SELECT count(*) FROM cs_ref WHERE time_start >= :'b1_min' AND time_start < '2025-02-02';

-- 6. Batches skipped by time_received and time_end as well (the rollups'
-- late flows filter a minute of time_received over every partition back to
-- the rollup retention): EXPLAIN ANALYZE shows the batches removed, and
-- the rows are the heap copy's.
SELECT batch_no, min_time_end, max_time_end, min_time_received, max_time_received
FROM netflow.compressed_batches
WHERE relid = 'netflow.flows_p20250201'::regclass ORDER BY batch_no;
SELECT max_time_received AS b1_rmax, max_time_end AS b1_emax
FROM netflow.compressed_batches
WHERE relid = 'netflow.flows_p20250201'::regclass AND batch_no = 0 \gset
SET max_parallel_workers_per_gather = 0;
-- a minute of time_received on the second day: every batch of the first
-- day removed
SELECT cs_explain('SELECT count(*), sum(bytes) FROM netflow.flows WHERE time_received >= ''2025-02-02 15:00'' AND time_received < ''2025-02-02 15:01''');
-- on the edge of batch 0 of the first day: > its max skips it, >= reads it
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_received > %L', :'b1_rmax'));
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_received >= %L', :'b1_rmax'));
SELECT cs_explain(format('SELECT count(*) FROM netflow.flows_p20250201 WHERE time_end > %L', :'b1_emax'));
-- the rollups' late-flow condition, bounds from an array Param (generic plan)
PREPARE cs_late(timestamptz[]) AS
SELECT count(*), sum(bytes) FROM netflow.flows f
WHERE f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4];
SET plan_cache_mode = force_generic_plan;
EXECUTE cs_late('{2025-02-02 15:00, 2025-02-02 15:01, 2025-01-01, 2025-03-01}');
SELECT count(*), sum(bytes) FROM cs_ref
WHERE time_received >= '2025-02-02 15:00' AND time_received < '2025-02-02 15:01';
SELECT cs_explain('EXECUTE cs_late(''{2025-02-02 15:00, 2025-02-02 15:01, 2025-01-01, 2025-03-01}'')');
RESET plan_cache_mode;
DEALLOCATE cs_late;
RESET max_parallel_workers_per_gather;
SELECT * FROM cs_check('SELECT time_received, bytes FROM %1$s AS f WHERE time_received >= ''2025-02-02 15:00'' AND time_received < ''2025-02-02 15:01''');
SELECT * FROM cs_check(format('SELECT time_received, src_addr FROM %%1$s AS f WHERE time_received > %L', :'b1_rmax'));
SELECT * FROM cs_check(format('SELECT time_received, src_addr FROM %%1$s AS f WHERE time_received >= %L AND time_received <= %L', :'b1_rmax', :'b1_rmax'));
SELECT * FROM cs_check(format('SELECT time_end, src_addr FROM %%1$s AS f WHERE time_end > %L AND time_end <= ''2025-02-02 01:00''', :'b1_emax'));
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE time_start >= ''2025-02-01 10:00'' AND time_start < ''2025-02-01 11:00'' AND time_end <= ''2025-02-01 11:00''');
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE time_received < NULL::timestamptz');

-- 7. Late materialization: simple quals (column op constant, AND, OR) are
-- evaluated on the decoded columns they use before the other columns are
-- decoded and before rows are formed; ExecQual checks the rows the filter
-- selects, unless every qual is a fast qual (then only the tail's rows).
-- Every shape gives the heap copy's rows (NULLs in every column).
-- integers: =, <>, <, >=, commuted, cross-type (smallint/bigint column,
-- integer constant), and a NULL constant
SELECT * FROM cs_check('SELECT src_addr, dst_port FROM %1$s AS f WHERE dst_port = 443');
SELECT * FROM cs_check('SELECT src_port, protocol FROM %1$s AS f WHERE protocol <> 6');
SELECT * FROM cs_check('SELECT src_port, bytes FROM %1$s AS f WHERE src_port < 100');
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE bytes >= 30000000');
SELECT * FROM cs_check('SELECT src_port FROM %1$s AS f WHERE 100 > src_port');
SELECT * FROM cs_check('SELECT tos, src_as FROM %1$s AS f WHERE tos <= 3 OR src_as > 64900::bigint');
SELECT * FROM cs_check('SELECT bytes FROM %1$s AS f WHERE src_port = NULL::integer OR dst_port = 22');
-- timestamptz beside the time bounds
SELECT * FROM cs_check('SELECT time_end, bytes FROM %1$s AS f WHERE time_end > ''2025-02-01 12:00'' AND packets < 100000');
-- inet (IPv4, IPv6, range and containment operators) and macaddr
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''10.0.1.6''');
SELECT * FROM cs_check('SELECT time_start, src_addr, dst_addr, bytes FROM %1$s AS f WHERE dst_addr = ''2001:db8:ffff::3''');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''198.51.100.7'' OR dst_addr = ''198.51.100.7''');
SELECT * FROM cs_check('SELECT src_addr FROM %1$s AS f WHERE src_addr < ''10.0.5.0''');
SELECT * FROM cs_check('SELECT src_addr, bytes FROM %1$s AS f WHERE src_addr << ''2001:db8::/120''');
SELECT * FROM cs_check('SELECT src_mac, bytes FROM %1$s AS f WHERE src_mac = ''02:00:00:00:05:00''');
-- nested AND / OR, mixed with quals the fast path does not take
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE (dst_port = 443 AND protocol = 6) OR src_addr = ''2001:db8::5''');
SELECT * FROM cs_check('SELECT src_addr FROM %1$s AS f WHERE bytes IS NULL AND dst_port = 443');
SELECT * FROM cs_check('SELECT src_addr, src_port FROM %1$s AS f WHERE src_port + 1 = 81 AND dst_port = 53');
-- quals the fast path does not take at all
SELECT * FROM cs_check('SELECT src_addr FROM %1$s AS f WHERE host(src_addr) = ''10.0.1.6''');
SELECT * FROM cs_check('SELECT src_addr FROM %1$s AS f WHERE dst_port = ANY (ARRAY[22, 53])');
-- no row, every row
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''192.0.2.99''');
SELECT * FROM cs_check('SELECT dst_mac, bytes FROM %1$s AS f WHERE dst_mac = ''ff:ff:ff:ff:ff:ff''');
-- in a parallel plan (cs_check's diff_par) and in EXPLAIN: the rows removed
-- before being formed, the same count as the heap copy's rows that fail
SET max_parallel_workers_per_gather = 0;
SELECT cs_explain('SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr = ''198.51.100.7'' OR dst_addr = ''198.51.100.7''');
SELECT count(*) FILTER (WHERE src_addr = '198.51.100.7' OR dst_addr = '198.51.100.7') AS selected,
	   count(*) FILTER (WHERE (src_addr = '198.51.100.7' OR dst_addr = '198.51.100.7') IS NOT TRUE) AS removed
FROM cs_ref WHERE time_start >= '2025-02-01' AND time_start < '2025-02-02' AND exporter IS DISTINCT FROM '127.0.0.9';
-- a batch where no row matches is not decoded further: no row formed (a
-- destination address as source: the address filter, of both columns,
-- cannot rule the batches out)
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ''198.51.100.7''');
-- the tail row is checked by the plan's quals only
SELECT cs_explain('SELECT bytes FROM netflow.flows_p20250201 WHERE src_addr = ''10.9.9.9''');

-- every qual a fast qual: the rows the filter selects pass them all, so
-- the plan's quals are evaluated again only on the tail's rows.  Counted
-- with an operator that counts its calls: once per dictionary entry of
-- each batch read and once per tail row; with a qual beside it that is
-- not a fast qual, once more per row the filter selects.
CREATE FUNCTION cs_counted_lt(inet, inet) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
	PERFORM set_config('cs.calls', (current_setting('cs.calls')::bigint + 1)::text, false);
	RETURN $1 < $2;
END
$$;
CREATE OPERATOR <<<< (FUNCTION = cs_counted_lt, LEFTARG = inet, RIGHTARG = inet);
SELECT (SELECT sum((SELECT count(DISTINCT src_addr) FROM cs_ref
					WHERE time_start BETWEEN b.min_time AND b.max_time
					  AND exporter IS DISTINCT FROM '127.0.0.9'))
		FROM netflow.compressed_batches AS b
		WHERE b.relid = 'netflow.flows_p20250201'::regclass) AS dict_entries,
	   (SELECT count(*) FROM cs_ref
		WHERE time_start >= '2025-02-01' AND time_start < '2025-02-02'
		  AND exporter IS DISTINCT FROM '127.0.0.9' AND src_addr < '10.0.5.0') AS selected \gset
SET cs.calls = 0;
SELECT count(*) = :selected AS rows_right FROM netflow.flows_p20250201 WHERE src_addr <<<< '10.0.5.0';
SELECT current_setting('cs.calls')::bigint - :dict_entries AS calls_besides_dictionaries;
SET cs.calls = 0;
SELECT count(*) = :selected AS rows_right FROM netflow.flows_p20250201
WHERE src_addr <<<< '10.0.5.0' AND bytes IS DISTINCT FROM -1;
SELECT current_setting('cs.calls')::bigint - :dict_entries - :selected AS calls_besides_dictionaries_and_rows;
EXPLAIN (COSTS OFF) SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr <<<< '10.0.5.0';
EXPLAIN (COSTS OFF) SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr <<<< '10.0.5.0' AND bytes IS DISTINCT FROM -1;
-- under a row-level security policy, a user's operator that is not
-- leakproof is not evaluated first (on every address of the batches): it
-- sees only the rows the policy lets through, after the policy's qual
CREATE ROLE regress_cs_rls;
GRANT USAGE ON SCHEMA netflow TO regress_cs_rls;
GRANT SELECT ON netflow.flows_p20250201 TO regress_cs_rls;
ALTER TABLE netflow.flows_p20250201 ENABLE ROW LEVEL SECURITY;
CREATE POLICY cs_rls ON netflow.flows_p20250201 TO regress_cs_rls
	USING (dst_port + 0 = 443);
SELECT count(src_addr) AS visible, count(*) FILTER (WHERE src_addr < '10.0.5.0') AS visible_selected
FROM cs_ref WHERE time_start >= '2025-02-01' AND time_start < '2025-02-02' AND dst_port = 443 \gset
SET ROLE regress_cs_rls;
EXPLAIN (COSTS OFF) SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr <<<< '10.0.5.0';
SET cs.calls = 0;
SELECT count(*) = :visible_selected AS rows_right
FROM netflow.flows_p20250201 WHERE src_addr <<<< '10.0.5.0';
RESET ROLE;
SELECT current_setting('cs.calls')::bigint = :visible AS calls_only_on_visible_rows;
-- a policy qual that is a fast qual is evaluated first, as policies are;
-- with a user's qual that is leakproof and fast too, the batch filter
-- selects exactly the rows both let through, unchecked again
ALTER POLICY cs_rls ON netflow.flows_p20250201 USING (dst_port = 443);
SET ROLE regress_cs_rls;
EXPLAIN (COSTS OFF) SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr <<<< '10.0.5.0';
EXPLAIN (COSTS OFF) SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr < '10.0.5.0';
SELECT count(*) = :visible_selected AS rows_right
FROM netflow.flows_p20250201 WHERE src_addr < '10.0.5.0';
SELECT count(*) = :visible AS rows_right
FROM netflow.flows_p20250201 WHERE src_addr IS NOT NULL;
RESET ROLE;
DROP POLICY cs_rls ON netflow.flows_p20250201;
ALTER TABLE netflow.flows_p20250201 DISABLE ROW LEVEL SECURITY;
REVOKE SELECT ON netflow.flows_p20250201 FROM regress_cs_rls;
REVOKE USAGE ON SCHEMA netflow FROM regress_cs_rls;
DROP ROLE regress_cs_rls;
DROP OPERATOR <<<< (inet, inet);
DROP FUNCTION cs_counted_lt(inet, inet);
-- an operator whose function returns NULL for some values (not true, as
-- in the plan's quals), and one whose function is polymorphic (it must see
-- its argument types, as the plan's quals let it)
CREATE FUNCTION cs_lt_or_null(inet, inet) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
	RETURN CASE WHEN $1 < $2 THEN true END;
END
$$;
CREATE OPERATOR <<<? (FUNCTION = cs_lt_or_null, LEFTARG = inet, RIGHTARG = inet);
SELECT cs_explain('SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr <<<? ''10.0.5.0''');
SELECT * FROM cs_check('SELECT src_addr, bytes FROM %1$s AS f WHERE src_addr <<<? ''10.0.5.0''');
CREATE FUNCTION cs_poly_eq(anyelement, anyelement) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
	RETURN $1 = $2;
END
$$;
CREATE OPERATOR ==== (FUNCTION = cs_poly_eq, LEFTARG = anyelement, RIGHTARG = anyelement);
SELECT cs_explain('SELECT count(*) FROM netflow.flows_p20250201 WHERE src_addr ==== ''10.0.1.6''::inet');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr ==== ''10.0.1.6''::inet');
DROP OPERATOR <<<? (inet, inet);
DROP FUNCTION cs_lt_or_null(inet, inet);
DROP OPERATOR ==== (anyelement, anyelement);
DROP FUNCTION cs_poly_eq(anyelement, anyelement);

-- 7b. Address filters: a batch whose filter says the address of an inet =
-- constant on src_addr or dst_addr is absent is not read at all.
-- 10.0.1.6 is the source of one row, in batch 0 of the first day
SELECT count(*), min(time_start) FROM cs_ref WHERE src_addr = '10.0.1.6' OR dst_addr = '10.0.1.6';
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ''10.0.1.6''');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE ''10.0.1.6'' = dst_addr OR src_addr = ''10.0.1.6''');
-- an address in no batch (nor with another mask), through netflow.flows
SELECT cs_explain('SELECT * FROM netflow.flows WHERE time_start >= ''2025-02-01'' AND time_start < ''2025-02-03'' AND src_addr = ''192.0.2.99''');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ''10.0.1.6/24''');
-- an OR with a qual the filter knows nothing of, a column it does not
-- cover, an AND with one that rules the batch out
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ''10.0.1.6'' OR dst_port = 22');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE exporter = ''127.0.0.5''');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE dst_port = 22 AND dst_addr = ''192.0.2.99''');
RESET max_parallel_workers_per_gather;
-- lists: = ANY of an array constant, IN; NULL elements; another operator
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ANY (''{10.0.1.6, 192.0.2.99}'')');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE dst_addr IN (''192.0.2.98'', ''192.0.2.99'')');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ANY (''{NULL, 192.0.2.99}'') OR dst_addr = ANY (''{}'')');
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr << ANY (''{10.0.1.0/24, 192.0.2.0/24}'')');
-- the same rows as the heap copy, whatever the filters say
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ANY (''{10.0.1.6, 192.0.2.99, 2001:db8::5}'')');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE dst_addr IN (''198.51.100.7'', ''2001:db8:ffff::3'') AND src_addr = ANY (''{NULL, 10.0.1.6, 10.0.2.7}'')');
SELECT * FROM cs_check('SELECT src_addr, bytes FROM %1$s AS f WHERE src_addr << ANY (''{10.0.1.0/24, 2001:db8::/124}'')');
SELECT * FROM cs_check('SELECT src_mac FROM %1$s AS f WHERE src_mac = ANY (''{02:00:00:00:05:00, 02:00:00:00:07:00}'')');
-- a list of 3,000 addresses, of which 3 are sources of the first day
SELECT * FROM cs_check(format('SELECT * FROM %%1$s AS f WHERE src_addr = ANY (%L::inet[]) OR dst_addr = ANY (%1$L::inet[])',
	(SELECT array_agg(('192.0.3.' || i % 256 || '/' || (20 + i / 256))::inet) || '{10.0.1.6, 10.0.2.7, 10.0.3.8}'::inet[]
	 FROM generate_series(0, 2996) AS i)));
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''10.0.1.6''');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE ''10.0.1.6'' = dst_addr OR src_addr = ''10.0.1.6''');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''10.0.1.6/24''');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''10.0.1.6'' OR dst_port = 22');
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE dst_addr = ''2001:db8:ffff::3'' AND src_addr = ''2001:db8::5''');
-- every source address of the first day is found (no false negative)
SELECT count(*) AS addresses,
	   count(*) FILTER (WHERE (SELECT count(*) FROM netflow.flows_p20250201 f WHERE f.src_addr = a.src_addr) = a.n) AS found
FROM (SELECT src_addr, count(*) AS n FROM cs_ref
	  WHERE time_start < '2025-02-02' AND exporter IS DISTINCT FROM '127.0.0.9' AND src_addr IS NOT NULL
	  GROUP BY src_addr) AS a;
-- the filters are about 8 bits per distinct address
SELECT batch_no, octet_length(addr_filter) AS filter_bytes,
	   (SELECT count(DISTINCT a) FROM cs_ref r, LATERAL (VALUES (r.src_addr), (r.dst_addr)) AS v(a)
		WHERE r.time_start >= b.min_time AND r.time_start <= b.max_time
		  AND r.exporter IS DISTINCT FROM '127.0.0.9') AS addresses
FROM netflow.compressed_batches b WHERE relid = 'netflow.flows_p20250201'::regclass ORDER BY batch_no;
-- a batch without a filter (compressed before they existed) or with bytes
-- that are not one is read
UPDATE netflow.compressed_batches SET addr_filter = NULL
WHERE relid = 'netflow.flows_p20250201'::regclass AND batch_no = 0;
UPDATE netflow.compressed_batches SET addr_filter = '\x4e46414601'
WHERE relid = 'netflow.flows_p20250201'::regclass AND batch_no = 1;
SET max_parallel_workers_per_gather = 0;
SELECT cs_explain('SELECT * FROM netflow.flows_p20250201 WHERE src_addr = ''192.0.2.99''');
RESET max_parallel_workers_per_gather;
SELECT * FROM cs_check('SELECT * FROM %1$s AS f WHERE src_addr = ''10.0.1.6''');

-- 8. Decoders kept between the scans of a backend
-- (netflow.decoder_cache_size): a scan of the same columns takes those an
-- earlier scan kept; none with the cache at 0 or too small; a scan that
-- failed keeps none, and the next one returns the right rows.  The batches
-- inside the time bounds share the decoder of the same columns (2 decoders,
-- not 3).
CREATE FUNCTION cs_reused(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	j jsonb;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) ' || q INTO j;
	RETURN format('%s of %s', jsonb_path_query_first(j, 'strict $.**."Decoders Reused"'),
				  jsonb_path_query_first(j, 'strict $.**."Decoders Used"'));
END
$$;
SET max_parallel_workers_per_gather = 0;
SET netflow.decoder_cache_size = 0;
SELECT cs_reused('SELECT sum(bytes) FROM netflow.flows_p20250201') AS cache_off_1,
	   cs_reused('SELECT sum(bytes) FROM netflow.flows_p20250201') AS cache_off_2;
RESET netflow.decoder_cache_size;
SELECT cs_reused('SELECT sum(bytes) FROM netflow.flows_p20250201') AS first,
	   cs_reused('SELECT sum(bytes) FROM netflow.flows_p20250201') AS same_columns,
	   cs_reused('SELECT sum(packets) FROM netflow.flows_p20250201') AS other_columns,
	   cs_reused('SELECT sum(bytes) FROM netflow.flows_p20250202') AS other_partition;
SELECT cs_reused('SELECT count(src_addr), sum(bytes) FROM netflow.flows_p20250201 WHERE time_start >= ''2025-02-01 06:00'' AND time_start < ''2025-02-01 18:00''') AS time_bounds_1,
	   cs_reused('SELECT count(src_addr), sum(bytes) FROM netflow.flows_p20250201 WHERE time_start >= ''2025-02-01 06:00'' AND time_start < ''2025-02-01 18:00''') AS time_bounds_2;
SET netflow.decoder_cache_size = '64kB';
SELECT cs_reused('SELECT * FROM netflow.flows_p20250201') AS too_large_1,
	   cs_reused('SELECT * FROM netflow.flows_p20250201') AS too_large_2;
RESET netflow.decoder_cache_size;
-- a scan that takes a kept decoder and fails in the middle (row 15,000 of
-- the day, in its seventh batch, has bytes 1500 * 15000): its decoder is
-- freed with the query, not kept; then the same columns again
SELECT cs_reused('SELECT count(*) FROM netflow.flows_p20250201 WHERE 1 / (bytes - 1500 * 40001) IS NOT NULL') AS before_error;
SELECT count(*) FROM netflow.flows_p20250201 WHERE 1 / (bytes - 1500 * 15000) IS NOT NULL;
SELECT cs_reused('SELECT count(*) FROM netflow.flows_p20250201 WHERE 1 / (bytes - 1500 * 40001) IS NOT NULL') AS after_error,
	   cs_reused('SELECT count(*) FROM netflow.flows_p20250201 WHERE 1 / (bytes - 1500 * 40001) IS NOT NULL') AS after_error_2;
SELECT * FROM cs_check('SELECT count(*) AS n, sum(bytes) AS b FROM %1$s AS f WHERE 1 / (bytes - 1500 * 40001) IS NOT NULL');
RESET max_parallel_workers_per_gather;
DROP FUNCTION cs_reused(text);

-- Clean up.
DROP TABLE netflow.flows_p20250201, netflow.flows_p20250202;
SELECT netflow.purge_orphan_batches() > 0 AS purged;
DROP FUNCTION cs_check(text);
DROP FUNCTION cs_explain(text);
DROP FUNCTION cs_fetched(text);
DROP TABLE cs_ref;
