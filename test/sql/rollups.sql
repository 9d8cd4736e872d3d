-- Traffic and top-N rollups against the raw flows they summarize: exact
-- sums over closed ranges across minute and hour edges, top-N equal to raw
-- topn (exact within capacity, within the reported error beyond it), late
-- flows, raw partitions dropped by retention, errors.  Time is injected
-- through run_maintenance's now; everything is rolled back at the end.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
TRUNCATE netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day;
DELETE FROM netflow.config;
DELETE FROM netflow.networks;
INSERT INTO netflow.config VALUES ('premake', '2'), ('rollup_grace', '2 minutes'),
	('rollup_late_margin', '1 minute'), ('rollup_max_minutes', '100000');
SELECT * FROM netflow.rollup_settings();

-- Partitions for 2030-01-01 .. 03 (the first run finds no flows: the
-- rollups start at its now minus the grace).
SELECT action, partition FROM netflow.run_maintenance('2030-01-01 00:02+00');
SELECT minutes_upto, hours_upto, cut FROM netflow.rollup_state;

-- Six hours of flows, received 30 s after they start: internal and
-- external addresses, two exporters, sampled and unsampled, some NULLs.
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval,
						   input_if, output_if, src_as, dst_as)
SELECT t, t + interval '30 seconds',
	   CASE WHEN i % 5 = 0 THEN '192.0.2.1'::inet ELSE '192.0.2.2'::inet END,
	   CASE WHEN i % 4 = 0 THEN '203.0.114.' || (i % 9) ELSE '10.0.' || (i % 3) || '.' || (i % 40) END::inet,
	   CASE WHEN i % 3 = 0 THEN '8.8.' || (i % 2) || '.' || (i % 7) ELSE '10.1.0.' || (i % 25) END::inet,
	   1024 + i % 300, (ARRAY[80, 443, 53, 22])[1 + i % 4], (ARRAY[6, 17, 1])[1 + i % 3],
	   1 + i % 20, CASE WHEN i % 97 = 0 THEN NULL ELSE 40 + (i * 7919) % 1460 END,
	   (ARRAY[0, 1, 10])[1 + i % 3], i % 3, 10 + i % 2,
	   CASE WHEN i % 11 = 0 THEN NULL ELSE 64512 + i % 6 END, 15169
FROM generate_series(1, 30000) AS i,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00:00+00' + i * interval '0.72 seconds') AS x(t);
ANALYZE netflow.flows;

-- As of 05:00: minutes up to 04:58 are materialized, hours up to 04:00.
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 05:00+00');
SELECT minutes_upto, hours_upto, cut, minutes_materialized, late_flows FROM netflow.rollup_state;
SELECT count(*) AS minutes, sum(flows) AS flows FROM netflow.rollup_minutes;
SELECT count(*) AS hours, sum(flows) AS flows FROM netflow.rollup_hours;

-- Raw answers to compare with.
-- (internal: the built-in ranges, written out here independently)
CREATE TEMP VIEW raw_traffic AS
SELECT f.*, CASE WHEN s_in THEN CASE WHEN d_in THEN 'internal' ELSE 'outbound' END
				 WHEN d_in THEN 'inbound' ELSE 'other' END AS dir
FROM netflow.flows f,
	 LATERAL (SELECT coalesce(f.src_addr << ANY (r), false) AS s_in, coalesce(f.dst_addr << ANY (r), false) AS d_in
			  FROM (SELECT '{10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,192.0.2.0/24,198.51.100.0/24,203.0.113.0/24,fc00::/7,2001:db8::/32}'::inet[] AS r) AS c) AS x;
CREATE FUNCTION pg_temp.raw_series(lo timestamptz, hi timestamptz, step interval,
								   exp inet DEFAULT NULL, proto integer DEFAULT NULL, d text DEFAULT NULL)
RETURNS TABLE (bucket timestamptz, flows bigint, packets bigint, bytes bigint,
			   packets_upscaled bigint, bytes_upscaled bigint)
LANGUAGE sql AS $$
	SELECT g.b, coalesce(s.f, 0), coalesce(s.p, 0), coalesce(s.by, 0), coalesce(s.pu, 0), coalesce(s.bu, 0)
	FROM generate_series(date_bin(step, lo, '2000-01-03'), hi - interval '1 microsecond', step) AS g(b)
	LEFT JOIN (SELECT date_bin(step, time_start, '2000-01-03') AS b, count(*) AS f,
					  sum(packets)::bigint AS p, sum(bytes)::bigint AS by,
					  sum(packets * greatest(sampling_interval, 1))::bigint AS pu,
					  sum(bytes * greatest(sampling_interval, 1))::bigint AS bu
			   FROM pg_temp.raw_traffic
			   WHERE time_start >= lo AND time_start < hi
				 AND (exp IS NULL OR exporter = exp) AND (proto IS NULL OR protocol = proto)
				 AND (d IS NULL OR dir = d)
			   GROUP BY 1) AS s ON s.b = g.b
$$;
-- Rows of netflow.traffic that differ from the raw series (both ways).
CREATE FUNCTION pg_temp.traffic_diff(lo timestamptz, hi timestamptz, step interval,
									 exp inet DEFAULT NULL, proto integer DEFAULT NULL, d text DEFAULT NULL)
RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM (
		(SELECT * FROM netflow.traffic(lo, hi, step, exp, proto, d)
		 EXCEPT ALL SELECT * FROM pg_temp.raw_series(lo, hi, step, exp, proto, d))
		UNION ALL
		(SELECT * FROM pg_temp.raw_series(lo, hi, step, exp, proto, d)
		 EXCEPT ALL SELECT * FROM netflow.traffic(lo, hi, step, exp, proto, d))) AS x
$$;
-- Items of netflow.top that differ from the raw topn over the range, for
-- every dimension and metric (capacity 1000 holds every key here: exact).
CREATE FUNCTION pg_temp.top_diff(lo timestamptz, hi timestamptz)
RETURNS TABLE (dimension text, metric text, differing bigint, items bigint)
LANGUAGE plpgsql AS $$
DECLARE
	d record;
	m text;
BEGIN
	FOR d IN SELECT * FROM netflow.rollup_dimensions() LOOP
		FOREACH m IN ARRAY ARRAY['bytes', 'flows'] LOOP
			dimension := d.dimension;
			metric := m;
			EXECUTE format($q$
				SELECT count(*) FILTER (WHERE a IS DISTINCT FROM b), count(*)
				FROM (SELECT row(t.*) AS a, t.item FROM netflow.top($1, $2, $3, 100000, $4) t) x
				FULL JOIN (SELECT row(i.*) AS b, i.item
						   FROM netflow.topn_items((SELECT netflow.topn(%s, %s, 100000) FROM netflow.flows f
													WHERE f.time_start >= $2 AND f.time_start < $3), 100000) i) y
				USING (item)$q$, d.key_expr, CASE m WHEN 'bytes' THEN 'coalesce(f.bytes, 0)' ELSE '1::bigint' END)
			INTO differing, items USING d.dimension, lo, hi, m;
			RETURN NEXT;
		END LOOP;
	END LOOP;
END
$$;

-- Traffic: closed ranges with edges inside minutes and hours, steps of a
-- minute, 17 minutes, an hour and a day; with and without filters.
SELECT pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00', '1 minute') AS per_minute,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00', '17 minutes') AS per_17_minutes,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00', '1 hour') AS per_hour,
	   pg_temp.traffic_diff('2030-01-01 01:00+00', '2030-01-01 04:00+00', '1 hour') AS whole_hours,
	   pg_temp.traffic_diff('2029-12-31 22:00+00', '2030-01-02 00:00+00', '1 day') AS per_day;
SELECT pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03+00', '1 hour', d => 'outbound') AS outbound,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03+00', '1 hour', d => 'inbound') AS inbound,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03+00', '1 hour', d => 'internal') AS internal,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03+00', '1 hour', d => 'other') AS other,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03+00', '5 minutes', '192.0.2.1', 17) AS exporter_udp;
-- The directions add up to the whole, and none is empty here.
SELECT d, sum(bytes) FROM unnest(ARRAY['outbound', 'inbound', 'internal', 'other']) AS d,
	 netflow.traffic('2030-01-01 00:00+00', '2030-01-01 04:00+00', '4 hours', direction => d)
GROUP BY d ORDER BY d;
SELECT bucket, flows, bytes, bytes_upscaled FROM netflow.traffic('2030-01-01 00:00+00', '2030-01-01 04:00+00', '4 hours');
-- Across the materialized edge into raw flows (05:00 - 06:00 not materialized).
SELECT pg_temp.traffic_diff('2030-01-01 03:30+00', '2030-01-01 06:30+00', '10 minutes') AS across_frontier,
	   pg_temp.traffic_diff('2030-01-01 04:58:30+00', '2030-01-01 05:01+00', '1 minute') AS tiny;
-- An empty range has no buckets; a range inside one minute one bucket.
SELECT count(*) FROM netflow.traffic('2030-01-01 03:00+00', '2030-01-01 03:00+00');
SELECT * FROM netflow.traffic('2030-01-01 03:00:10+00', '2030-01-01 03:00:20+00');
SELECT pg_temp.traffic_diff('2030-01-01 03:00:10+00', '2030-01-01 03:00:20+00', '1 minute') AS inside_minute;

-- Top-N equals the raw topn, for every dimension and metric.
SELECT * FROM pg_temp.top_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00');
SELECT sum(differing) AS differing, min(items) > 0 AS all_nonempty
FROM pg_temp.top_diff('2030-01-01 01:00+00', '2030-01-01 05:30+00');
SELECT * FROM netflow.top('src_addr', '2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00', 3);
SELECT * FROM netflow.top('conversation', '2030-01-01 00:00+00', '2030-01-01 04:00+00', 2, 'flows');
SELECT count(*) FROM netflow.top('dst_port', '2030-01-01 02:00+00', '2030-01-01 02:00+00');
SELECT count(*) FROM netflow.top('dst_port', '2030-01-01 02:00+00', '2030-01-01 03:00+00', 0);

-- In a parallel query (the query functions run in the leader; nothing in
-- them may start a subtransaction in parallel mode).
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT (SELECT array_agg(item ORDER BY item) FROM netflow.top('dst_port', '2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00'))
	 = (SELECT array_agg(DISTINCT dst_port::text ORDER BY dst_port::text) FROM netflow.flows
		WHERE time_start >= '2030-01-01 00:13:17+00' AND time_start < '2030-01-01 04:41:03.5+00') AS parallel_ok;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Late flows: received after their minutes were materialized.  Seen by the
-- query functions at once (read raw), folded into the minutes and hours by
-- the next run.
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr, src_port, dst_port,
						   protocol, packets, bytes, sampling_interval)
VALUES ('2030-01-01 01:10:05+00', '2030-01-01 05:03+00', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 1000, 999999, 1),
	   ('2030-01-01 04:57:59+00', '2030-01-01 05:04+00', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 10, 77777, 1),
	   ('2030-01-01 04:59:30+00', '2030-01-01 05:01+00', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 10, 1, 1);
SELECT * FROM netflow.top('src_addr', '2030-01-01 00:00+00', '2030-01-01 05:00+00', 1);
-- Per minute: the stored minutes plus the late flows read raw, and the raw
-- edges on both sides (a part minute before, 04:58 - 05:00 after).
SELECT pg_temp.traffic_diff('2030-01-01 04:40:30+00', '2030-01-01 05:00+00', '1 minute') AS per_minute_before_run;
SELECT pg_temp.traffic_diff('2030-01-01 00:00+00', '2030-01-01 05:00+00', '1 hour') AS before_run,
	   (SELECT sum(differing) FROM pg_temp.top_diff('2030-01-01 00:13:17+00', '2030-01-01 04:59+00')) AS top_before_run;
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 05:10+00');
SELECT minutes_upto, hours_upto, cut, late_flows FROM netflow.rollup_state;
SELECT pg_temp.traffic_diff('2030-01-01 00:00+00', '2030-01-01 05:00+00', '1 hour') AS after_run,
	   (SELECT sum(differing) FROM pg_temp.top_diff('2030-01-01 00:13:17+00', '2030-01-01 04:59+00')) AS top_after_run;
-- The stored hour and minute rows themselves hold the late flows.
SELECT (SELECT bytes FROM netflow.rollup_hours WHERE hour = '2030-01-01 01:00+00')
	   = (SELECT sum(bytes) FROM netflow.flows WHERE time_start >= '2030-01-01 01:00+00' AND time_start < '2030-01-01 02:00+00') AS hour_row_ok,
	   (SELECT bytes FROM netflow.rollup_minutes WHERE minute = '2030-01-01 04:57+00')
	   = (SELECT sum(bytes) FROM netflow.flows WHERE time_start >= '2030-01-01 04:57+00' AND time_start < '2030-01-01 04:58+00') AS minute_row_ok,
	   (SELECT sum(bytes) FROM netflow.rollup_traffic_hour WHERE hour = '2030-01-01 01:00+00')
	   = (SELECT bytes FROM netflow.rollup_hours WHERE hour = '2030-01-01 01:00+00') AS detail_adds_up;

-- A flow loaded by SQL without time_received into a materialized minute is
-- not noticed (documented); rollup_rebuild recomputes whole hours from raw.
INSERT INTO netflow.flows (time_start, src_addr, dst_addr, bytes, packets)
VALUES ('2030-01-01 02:10:00+00', '10.0.0.98', '8.8.4.4', 123456, 1);
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 05:12+00');
SELECT pg_temp.traffic_diff('2030-01-01 02:00+00', '2030-01-01 03:00+00', '1 hour') AS not_noticed;
SELECT netflow.rollup_rebuild('2030-01-01 02:00+00', '2030-01-01 03:00+00') AS flows_recounted;
SELECT pg_temp.traffic_diff('2030-01-01 00:00+00', '2030-01-01 05:00+00', '1 hour') AS after_rebuild,
	   pg_temp.traffic_diff('2030-01-01 01:50+00', '2030-01-01 03:10+00', '1 minute', d => 'outbound') AS minutes_after_rebuild,
	   (SELECT sum(differing) FROM pg_temp.top_diff('2030-01-01 01:13:17+00', '2030-01-01 04:59+00')) AS top_after_rebuild;
SAVEPOINT s;
SELECT netflow.rollup_rebuild('2030-01-01 02:30+00', '2030-01-01 03:00+00');
ROLLBACK TO SAVEPOINT s;
SELECT netflow.rollup_rebuild('2030-01-01 02:00+00', '2030-01-01 09:00+00');
ROLLBACK TO SAVEPOINT s;

-- A day later the 1st is rolled up as a day, and with minute details kept
-- for an hour only, its minutes are gone: a range over it and beyond merges
-- the daily summary with hours and raw edges (the edge minutes now read
-- raw), and still equals the raw topn; so do filtered traffic series.
UPDATE netflow.config SET value = '1 hour' WHERE key = 'rollup_minute_retention';
INSERT INTO netflow.config SELECT 'rollup_minute_retention', '1 hour'
WHERE NOT EXISTS (SELECT 1 FROM netflow.config WHERE key = 'rollup_minute_retention');
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 06:00+00');
SELECT days_upto, details_from, (SELECT count(*) FROM netflow.rollup_topn_day) AS day_rows,
	   (SELECT count(*) FROM netflow.rollup_topn_minute WHERE minute < '2030-01-02') AS old_minute_rows
FROM netflow.rollup_state;
SELECT sum(differing) AS differing, min(items) > 0 AS all_nonempty
FROM pg_temp.top_diff('2029-12-31 20:00:30+00', '2030-01-02 03:17:10+00');
SELECT pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00', '1 minute', d => 'outbound') AS outbound_per_minute,
	   pg_temp.traffic_diff('2030-01-01 00:13:17+00', '2030-01-01 04:41:03.5+00', '1 hour', '192.0.2.1') AS exporter_per_hour;

-- Raw partitions dropped by retention: the rollups still answer, the same.
CREATE TEMP TABLE before_drop AS
SELECT * FROM netflow.traffic('2030-01-01 00:00+00', '2030-01-02 00:00+00', '1 hour');
CREATE TEMP TABLE top_before_drop AS
SELECT * FROM netflow.top('dst_addr', '2030-01-01 00:00+00', '2030-01-02 00:00+00', 1000);
INSERT INTO netflow.config VALUES ('retention', '1 day');
SELECT action, partition FROM netflow.run_maintenance('2030-01-03 06:00+00') WHERE action = 'dropped';
SELECT count(*) AS raw_flows_left_on_the_1st FROM netflow.flows WHERE time_start < '2030-01-02';
SELECT minutes_upto, hours_upto FROM netflow.rollup_state;
SELECT count(*) AS differing FROM (
	(SELECT * FROM netflow.traffic('2030-01-01 00:00+00', '2030-01-02 00:00+00', '1 hour') EXCEPT ALL SELECT * FROM before_drop)
	UNION ALL
	(SELECT * FROM before_drop EXCEPT ALL SELECT * FROM netflow.traffic('2030-01-01 00:00+00', '2030-01-02 00:00+00', '1 hour'))) x;
SELECT count(*) AS differing FROM (
	(SELECT * FROM netflow.top('dst_addr', '2030-01-01 00:00+00', '2030-01-02 00:00+00', 1000) EXCEPT ALL SELECT * FROM top_before_drop)
	UNION ALL
	(SELECT * FROM top_before_drop EXCEPT ALL SELECT * FROM netflow.top('dst_addr', '2030-01-01 00:00+00', '2030-01-02 00:00+00', 1000))) x;

SAVEPOINT s;
SELECT netflow.rollup_rebuild('2030-01-01 02:00+00', '2030-01-01 03:00+00');
ROLLBACK TO SAVEPOINT s;
-- Now an edge inside an hour of the 1st has neither minute rollups nor raw
-- flows: an error, not a silent gap.  Whole hours still answer.
SELECT * FROM netflow.top('src_addr', '2030-01-01 00:13:00+00', '2030-01-01 04:00+00', 1);
ROLLBACK TO SAVEPOINT s;
SELECT count(*) FROM netflow.traffic('2030-01-01 00:00:30+00', '2030-01-01 04:00+00', '1 hour');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS hours FROM netflow.traffic('2030-01-01 00:00+00', '2030-01-01 04:00+00', '1 hour', direction => 'inbound');
SELECT count(*) AS items FROM netflow.top('src_addr', '2030-01-01 01:00+00', '2030-01-01 04:00+00', 3);

-- Beyond capacity: with capacity 10 and 300 light sources beside 3 heavy
-- ones, the stored summaries are lossy; every reported weight brackets the
-- truth, and the heavy sources (each above a tenth of the bytes) are found.
TRUNCATE netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day;
DELETE FROM netflow.config WHERE key = 'retention';
INSERT INTO netflow.config VALUES ('rollup_topn_capacity', '10');
INSERT INTO netflow.flows (time_start, time_received, src_addr, bytes)
SELECT t, t, CASE WHEN i % 4 = 0 THEN '10.7.1.' || (i * 31 % 300 / 2) || '/32'
				  ELSE '10.7.0.' || (i % 3) END::inet,
	   1 + (i * 7919) % 5000
FROM generate_series(1, 20000) AS i,
	 LATERAL (SELECT timestamptz '2030-01-02 00:00:00+00' + i * interval '0.54 seconds') AS x(t);
-- A flow stamped months ago (a wrong exporter clock) starts the rollups
-- there; the months without partitions are skipped at once, so one run
-- with rollup_max_minutes 2000 gets through that day's partition and on
-- to now.
SELECT count(*) FROM netflow.create_partitions('2029-06-01', '2029-06-02');
INSERT INTO netflow.flows (time_start, time_received, src_addr, dst_addr, bytes)
VALUES ('2029-06-01 10:00:30+00', '2030-01-02 00:00+00', '10.0.0.1', '10.0.0.2', 42);
UPDATE netflow.config SET value = '2000' WHERE key = 'rollup_max_minutes';
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 04:00+00');
SELECT minutes_upto, minutes_materialized FROM netflow.rollup_state;
SELECT * FROM netflow.traffic('2029-06-01', '2029-06-02', '1 day');
-- Every materialized minute has its row, zeros when it had no flows (the
-- per-minute series reads them in one scan); time no partition covered has
-- none.  Series over both equal the raw flows.
SELECT count(*) AS minute_rows, count(*) FILTER (WHERE flows = 0) AS empty_minutes,
	   (SELECT count(*) FROM netflow.rollup_minutes WHERE minute >= '2029-07-01' AND minute < '2029-07-02') AS uncovered_rows
FROM netflow.rollup_minutes WHERE minute >= '2029-06-01' AND minute < '2029-06-02';
SELECT pg_temp.traffic_diff('2029-06-01 09:58:10+00', '2029-06-01 10:03+00', '1 minute') AS empty_minutes_around_a_flow,
	   pg_temp.traffic_diff('2029-05-31 23:58:30+00', '2029-06-01 00:02+00', '1 minute') AS from_uncovered_time;
SELECT bucket, flows, bytes FROM netflow.traffic('2029-06-01 09:59+00', '2029-06-01 10:02+00');
WITH t AS (SELECT host(src_addr) AS item, sum(bytes) AS w FROM netflow.flows
		   WHERE time_start >= '2030-01-02 00:30+00' AND time_start < '2030-01-02 03:10:30+00' GROUP BY 1),
	 r AS (SELECT * FROM netflow.top('src_addr', '2030-01-02 00:30+00', '2030-01-02 03:10:30+00', 10))
SELECT count(*) AS reported, bool_and(t.w BETWEEN r.weight - r.error AND r.weight) AS bounds_hold,
	   max(r.error) > 0 AS lossy,
	   (SELECT count(*) FROM (SELECT item FROM t ORDER BY w DESC LIMIT 3) x WHERE item IN (SELECT item FROM r)) AS top3_found
FROM r JOIN t USING (item);
UPDATE netflow.config SET value = '5' WHERE key = 'rollup_topn_capacity';
SELECT * FROM netflow.rollup_settings();
ROLLBACK;

-- Errors.
SELECT * FROM netflow.top('src_mac', '2030-01-01', '2030-01-02');
SELECT * FROM netflow.top('src_addr', '2030-01-01', '2030-01-02', 10, 'packets');
SELECT * FROM netflow.top('src_addr', '2030-01-02', '2030-01-01');
SELECT * FROM netflow.top('src_addr', '-infinity', '2030-01-01');
SELECT * FROM netflow.top('src_addr', NULL, '2030-01-01');
SELECT * FROM netflow.top('src_addr', '2030-01-01', '2030-01-02', -1);
SELECT * FROM netflow.traffic('2030-01-01', '2030-01-02', '30 seconds');
SELECT * FROM netflow.traffic('2030-01-01', '2030-01-02', '1 month');
SELECT * FROM netflow.traffic('2030-01-01', '2030-01-02', '0');
SELECT * FROM netflow.traffic('2030-01-01', '2030-01-02', '1 hour', direction => 'sideways');
SELECT * FROM netflow.traffic('2000-01-01', '2030-01-02', '1 minute');

-- Privileges: readers read every rollup and call the query functions; only
-- maintenance writes.
SET ROLE netflow_reader;
SELECT count(*) >= 0 AS readable FROM netflow.rollup_minutes, netflow.rollup_state;
SELECT count(*) AS rows FROM netflow.traffic('2030-01-01', '2030-01-01 00:05');
SELECT count(*) AS items FROM netflow.top('src_addr', '2030-01-01', '2030-01-01 00:05');
INSERT INTO netflow.rollup_minutes VALUES ('2030-01-01', 1, 1, 1, 1, 1, now(), now());
SELECT * FROM netflow.rollup_maintenance('2030-01-01');
RESET ROLE;
SELECT has_table_privilege('netflow_reader', c.oid, 'INSERT') AS can_insert, count(*)
FROM pg_class c WHERE c.relnamespace = 'netflow'::regnamespace AND c.relname LIKE 'rollup%' AND c.relkind = 'r'
GROUP BY 1;
