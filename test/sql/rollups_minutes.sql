-- netflow.traffic per minute without filters, the dashboard series: the
-- stored minutes of netflow.rollup_minutes read by an ordered index scan
-- inlined into the caller's query, the raw edges, the minutes not
-- materialized yet and the flows received after the cut (late flows, in
-- the first, middle and last stored minutes, at hour edges and in the raw
-- edges) added by netflow.traffic_parts.  Every series must equal the raw
-- sums computed in numeric, exactly, with every bucket listed once and in
-- order, inlined or not.  Rolled back at the end.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
TRUNCATE netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day,
	netflow.host_profiles;
DELETE FROM netflow.config;
DELETE FROM netflow.networks;
INSERT INTO netflow.config VALUES ('premake', '2'), ('rollup_grace', '2 minutes'),
	('rollup_late_margin', '1 minute'), ('rollup_max_minutes', '100000'),
	('detect_alerts', 'off');
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 00:02+00');

-- Three hours of flows received 30 s after they start, some sampled, some
-- with NULL counters, none in 00:20 - 00:25 (empty minutes).
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval)
SELECT t, t + interval '30 seconds', '192.0.2.1', ('10.0.0.' || (i % 50))::inet, ('8.8.8.' || (i % 7))::inet,
	   1024 + i % 300, 443, 6, CASE WHEN i % 89 = 0 THEN NULL ELSE 1 + i % 20 END,
	   CASE WHEN i % 97 = 0 THEN NULL ELSE 40 + (i * 7919) % 1460 END, (ARRAY[0, 1, 10])[1 + i % 3]
FROM generate_series(1, 10800) AS i,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00:00+00' + i * interval '1 second') AS x(t)
WHERE t < '2030-01-01 00:20' OR t >= '2030-01-01 00:25';
-- As of 03:00: minutes before 02:58 are materialized, the cut is 02:59.
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 03:00+00');
SELECT minutes_upto, cut FROM netflow.rollup_state;

-- Raw sums per minute in numeric (upscaled: an unknown interval counts as 1).
CREATE FUNCTION pg_temp.raw_minutes(lo timestamptz, hi timestamptz)
RETURNS TABLE (bucket timestamptz, flows bigint, packets numeric, bytes numeric,
			   packets_upscaled numeric, bytes_upscaled numeric)
LANGUAGE sql AS $$
	SELECT g.b, coalesce(s.flows, 0), coalesce(s.packets, 0), coalesce(s.bytes, 0),
		   coalesce(s.packets_upscaled, 0), coalesce(s.bytes_upscaled, 0)
	FROM generate_series(date_trunc('minute', lo), hi - interval '1 microsecond', interval '1 minute') AS g(b)
	LEFT JOIN (SELECT date_trunc('minute', f.time_start) AS b, count(*) AS flows,
					  sum(f.packets) AS packets, sum(f.bytes) AS bytes,
					  sum(f.packets::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END) AS packets_upscaled,
					  sum(f.bytes::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END) AS bytes_upscaled
			   FROM netflow.flows f WHERE f.time_start >= lo AND f.time_start < hi
			   GROUP BY 1) AS s ON s.b = g.b
$$;
-- A series against the raw sums: its buckets, how many differ from the raw
-- ones (both ways), whether they come in order, once each.
CREATE FUNCTION pg_temp.check_minutes(lo timestamptz, hi timestamptz,
									  OUT buckets bigint, OUT differing bigint, OUT in_order boolean)
LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM netflow.traffic(lo, hi)),
		   (SELECT count(*) FROM (
				(SELECT * FROM netflow.traffic(lo, hi) EXCEPT ALL SELECT * FROM pg_temp.raw_minutes(lo, hi))
				UNION ALL
				(SELECT * FROM pg_temp.raw_minutes(lo, hi) EXCEPT ALL SELECT * FROM netflow.traffic(lo, hi))) AS x),
		   (SELECT array_agg(t.bucket) = array_agg(DISTINCT t.bucket ORDER BY t.bucket)
			FROM netflow.traffic(lo, hi) t)
$$;
CREATE TEMP TABLE ranges (what text, lo timestamptz, hi timestamptz);
INSERT INTO ranges VALUES
	('part minutes at both edges, across hours', '2030-01-01 00:13:17', '2030-01-01 02:41:03.5'),
	('whole minutes around hour edges', '2030-01-01 00:59', '2030-01-01 02:01'),
	('empty minutes', '2030-01-01 00:18:30', '2030-01-01 00:27'),
	('up to the minutes not materialized yet', '2030-01-01 01:30', '2030-01-01 03:05'),
	('the whole day', '2030-01-01 00:00', '2030-01-02 00:00'),
	('one stored minute', '2030-01-01 01:07', '2030-01-01 01:08'),
	('inside a minute', '2030-01-01 01:07:10', '2030-01-01 01:07:20');
CREATE FUNCTION pg_temp.check_all()
RETURNS TABLE (what text, buckets bigint, differing bigint, in_order boolean)
LANGUAGE sql AS $$
	SELECT r.what, c.* FROM ranges r, LATERAL pg_temp.check_minutes(r.lo, r.hi) c ORDER BY r.lo, r.hi
$$;
SELECT * FROM pg_temp.check_all();

-- Late flows, received after the cut: in the first stored minute of a
-- range, in the middle, at hour edges, in the last stored minute, in a
-- part minute at an edge and in an empty minute; one with NULL counters,
-- one whose upscaled bytes exceed bigint.
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr, src_port, dst_port,
						   protocol, packets, bytes, sampling_interval)
VALUES ('2030-01-01 00:14:05', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 7, 700, 1),
	   ('2030-01-01 00:59:59', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 3, 300, 10),
	   ('2030-01-01 01:00:00', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, NULL, NULL, 1),
	   ('2030-01-01 01:07:15', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 1, 1099511627776, 1073741824),
	   ('2030-01-01 00:22:00', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 2, 200, 0),
	   ('2030-01-01 00:13:01', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 1, 100, 1),
	   ('2030-01-01 02:41:01', '2030-01-01 03:01', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 1, 100, 1),
	   ('2030-01-01 02:57:59', '2030-01-01 03:02', '192.0.2.1', '10.0.0.99', '8.8.4.4', 5555, 443, 6, 5, 500, 1);
SELECT * FROM pg_temp.check_all();
SELECT bucket, flows, bytes, bytes_upscaled FROM netflow.traffic('2030-01-01 01:07', '2030-01-01 01:08');

-- Folded into the stored minutes by the next run: still equal.
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 03:10+00');
SELECT minutes_upto, cut, late_flows FROM netflow.rollup_state;
SELECT * FROM pg_temp.check_all();

-- A minute without its row (as time no partition covered has none): the
-- series still lists it, with the raw flows received after the cut.
DELETE FROM netflow.rollup_minutes WHERE minute = '2030-01-01 01:30';
INSERT INTO netflow.flows (time_start, time_received, src_addr, dst_addr, packets, bytes)
VALUES ('2030-01-01 01:30:30', '2030-01-01 03:11', '10.0.0.98', '8.8.4.4', 1, 4242);
SELECT bucket, flows, bytes FROM netflow.traffic('2030-01-01 01:29', '2030-01-01 01:32');

-- The function is inlined into the caller's query (no SET clause, no
-- STRICT): the stored minutes come from an index scan, not through a
-- function's collected result.  Called where it cannot be inlined (in the
-- select list, WITH ORDINALITY) it answers the same, in the same order.
CREATE FUNCTION pg_temp.plan(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || q;
END
$$;
SELECT bool_or(p ~ 'Function Scan on traffic( |$)') AS collected,
	   bool_or(p LIKE '% on rollup_minutes m%') AS reads_rollup_minutes
FROM pg_temp.plan($$SELECT * FROM netflow.traffic('2030-01-01 00:13:17', '2030-01-01 02:41:03.5')$$) AS p;
SELECT count(*) AS buckets,
	   count(*) FILTER (WHERE t.n <> t.i) AS out_of_order,
	   (SELECT count(*) FROM ((SELECT (s.r).* FROM (SELECT netflow.traffic('2030-01-01 00:13:17', '2030-01-01 02:41:03.5') AS r OFFSET 0) AS s)
							  EXCEPT ALL
							  SELECT * FROM netflow.traffic('2030-01-01 00:13:17', '2030-01-01 02:41:03.5')) x) AS differing
FROM (SELECT o.i, row_number() OVER (ORDER BY o.bucket) AS n
	  FROM netflow.traffic('2030-01-01 00:13:17', '2030-01-01 02:41:03.5') WITH ORDINALITY
		   AS o(bucket, flows, packets, bytes, packets_upscaled, bytes_upscaled, i)) AS t;

-- Readers may call it.
SET LOCAL ROLE netflow_reader;
SELECT count(*) AS buckets, sum(flows) > 0 AS has_flows FROM netflow.traffic('2030-01-01 00:00', '2030-01-01 01:00');
RESET ROLE;
ROLLBACK;
