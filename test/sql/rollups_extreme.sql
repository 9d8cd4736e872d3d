-- Rollups, host profiles and detections over extreme counters: packets
-- and bytes at the bigint maximum, sampling intervals that make their
-- products exceed bigint, and minute sums beyond bigint.  Materialization
-- must succeed (a failure would repeat at every maintenance run and stall
-- the rollups) and netflow.traffic, netflow.top and netflow.host_profile
-- must equal the raw sums computed in numeric.  Rolled back at the end.
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
INSERT INTO netflow.networks (network, name, internal) VALUES ('10.0.0.0/8', 'corp', true);
INSERT INTO netflow.config VALUES ('premake', '2'), ('rollup_grace', '2 minutes'),
	('rollup_late_margin', '1 minute'), ('rollup_max_minutes', '100000'),
	('detect_min_history', '0'), ('detect_alerts', 'off');
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 00:02+00');

-- Minute 00:10: packets at the maximum twice (their sum exceeds bigint),
-- bytes 2^62 unsampled, the maximum times the maximum (upscaled), bytes
-- 2^40 sampled 1 in 2^30 (the product exceeds bigint).  Minute 00:11:
-- bytes 2^62 - 2^41 sampled 1 in 2^31 - 1.  The hour's bytes as exported
-- stay within bigint: the top-N summaries weigh them in bigint (see the
-- end of this file for sums of bytes beyond bigint, where they saturate).
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval)
VALUES
	('2030-01-01 00:10:01', '2030-01-01 00:10:30', '192.0.2.1', '10.0.0.1', '8.8.8.8', 1000, 443, 6,
	 9223372036854775807, 4611686018427387904, 1),
	('2030-01-01 00:10:02', '2030-01-01 00:10:30', '192.0.2.1', '10.0.0.2', '8.8.8.8', 1001, 443, 6,
	 9223372036854775807, 0, 0),
	('2030-01-01 00:10:03', '2030-01-01 00:10:30', '192.0.2.1', '10.0.0.2', '8.8.4.4', 1002, 443, 6,
	 9223372036854775807, 0, 9223372036854775807),
	('2030-01-01 00:11:04', '2030-01-01 00:11:30', '192.0.2.1', '10.0.0.3', '10.0.0.4', 1003, 22, 6,
	 9223372036854775807, 4611683819404132352, 2147483647),
	('2030-01-01 00:10:05', '2030-01-01 00:10:30', '192.0.2.2', '8.8.8.8', '10.0.0.1', 53, 1004, 17,
	 1099511627776, 1099511627776, 1073741824);

-- Materialization succeeds (minutes and hours past 01:05).
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 01:05+00');
SELECT minutes_upto, hours_upto FROM netflow.rollup_state;
SELECT minute, flows, packets, bytes, packets_upscaled, bytes_upscaled
FROM netflow.rollup_minutes WHERE flows > 0 ORDER BY minute;
SELECT hour, flows, packets, bytes, packets_upscaled, bytes_upscaled FROM netflow.rollup_hours;
SELECT pg_typeof(packets) AS packets_type, pg_typeof(bytes_upscaled) AS upscaled_type
FROM netflow.rollup_minutes LIMIT 1;

-- Raw sums in numeric (upscaled: an unknown interval counts as 1).
CREATE TEMP VIEW raw AS
SELECT f.*, f.packets::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END AS pu,
	   f.bytes::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END AS bu
FROM netflow.flows f;

-- netflow.traffic per minute (the fast path over rollup_minutes: every
-- minute of the hour has its row), per
-- hour, filtered, and over ranges with raw edges: equal to the raw sums.
CREATE TEMP TABLE checks (what text, from_ts timestamptz, to_ts timestamptz, step interval,
						  exporter inet, protocol integer);
INSERT INTO checks VALUES
	('minutes', '2030-01-01 00:00', '2030-01-01 01:00', '1 minute', NULL, NULL),
	('minutes, raw edges', '2030-01-01 00:10:02', '2030-01-01 00:12:10', '1 minute', NULL, NULL),
	('hour', '2030-01-01 00:00', '2030-01-01 02:00', '1 hour', NULL, NULL),
	('5 minutes, exporter', '2030-01-01 00:00', '2030-01-01 01:00', '5 minutes', '192.0.2.1', NULL),
	('hour, protocol', '2030-01-01 00:00', '2030-01-01 01:00', '1 hour', NULL, 6);
SELECT c.what, count(*) AS buckets,
	   count(*) FILTER (WHERE (t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled)
					   IS NOT DISTINCT FROM
					   (SELECT (count(*), coalesce(sum(r.packets), 0), coalesce(sum(r.bytes), 0),
								coalesce(sum(r.pu), 0), coalesce(sum(r.bu), 0))
						FROM raw r
						WHERE r.time_start >= greatest(t.bucket, c.from_ts)
						  AND r.time_start < least(t.bucket + c.step, c.to_ts)
						  AND (c.exporter IS NULL OR r.exporter = c.exporter)
						  AND (c.protocol IS NULL OR r.protocol = c.protocol))::record) AS equal,
	   max(t.bytes_upscaled) AS max_bytes_upscaled
FROM checks c, LATERAL netflow.traffic(c.from_ts, c.to_ts, c.step, c.exporter, c.protocol) t
GROUP BY c.what ORDER BY c.what;
-- netflow.top: exact (fewer items than the capacity) and equal to raw sums.
SELECT t.item, t.weight, t.error,
	   t.weight = (SELECT sum(r.bytes) FROM raw r WHERE host(r.src_addr) = t.item
				   AND r.time_start >= '2030-01-01 00:00' AND r.time_start < '2030-01-01 01:00') AS equal
FROM netflow.top('src_addr', '2030-01-01 00:00', '2030-01-01 01:00', 10, 'bytes') t
ORDER BY t.weight DESC, t.item;

-- Host profiles: stored sums and netflow.host_profile equal raw sums.
SELECT h.addr, h.bytes_sent_internal, h.bytes_sent_external, h.bytes_received_internal,
	   h.bytes_received_external
FROM netflow.host_profiles h ORDER BY h.addr;
SELECT p.hour, p.flows_sent, p.bytes_sent, p.flows_received, p.bytes_received,
	   p.bytes_sent = (SELECT sum(r.bytes) FROM raw r WHERE r.src_addr = '10.0.0.1') AS sent_equal,
	   p.bytes_received = (SELECT sum(r.bytes) FROM raw r WHERE r.dst_addr = '10.0.0.1') AS received_equal
FROM netflow.host_profile('10.0.0.1', '2030-01-01 00:00', '2030-01-01 01:00') p;
SELECT p.bytes_sent_internal, p.bytes_received_internal
FROM netflow.host_profile('10.0.0.3', '2030-01-01 00:00', '2030-01-01 01:00') p;

-- Late flows into materialized minutes and hours add in numeric too.
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval)
VALUES
	('2030-01-01 00:10:07', '2030-01-01 01:06', '192.0.2.1', '10.0.0.2', '8.8.8.8', 1006, 443, 6,
	 9223372036854775807, 0, 9223372036854775807);
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 01:10+00');
SELECT late_flows FROM netflow.rollup_state;
SELECT m.packets_upscaled = (SELECT sum(r.pu) FROM raw r WHERE date_trunc('minute', r.time_start) = m.minute) AS minute_equal
FROM netflow.rollup_minutes m WHERE m.minute = '2030-01-01 00:10';
SELECT h.packets, h.packets_upscaled = (SELECT sum(r.pu) FROM raw r) AS hour_equal
FROM netflow.rollup_hours h WHERE h.hour = '2030-01-01 00:00';
SELECT count(*) AS buckets,
	   count(*) FILTER (WHERE t.packets_upscaled = (SELECT coalesce(sum(r.pu), 0) FROM raw r
							WHERE date_trunc('minute', r.time_start) = t.bucket)) AS equal
FROM netflow.traffic('2030-01-01 00:00', '2030-01-01 01:00') t;

-- Detections over these flows run without error (the baseline detectors
-- find no history before 00:00: scans and beaconing run).
SELECT count(*) >= 0 AS ran FROM netflow.detect('2030-01-01 00:00', '2030-01-01 01:00');
-- Sums of bytes beyond bigint (two flows at the maximum in an hour not
-- materialized): netflow.traffic over raw flows, host profiles computed by
-- maintenance's host_profiles_add and the detections stay exact or run.
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval)
VALUES
	('2030-01-01 03:10:01', '2030-01-01 03:10:30', '192.0.2.1', '10.0.0.7', '8.8.8.8', 1000, 443, 6,
	 9223372036854775807, 9223372036854775807, 9223372036854775807),
	('2030-01-01 03:10:02', '2030-01-01 03:10:30', '192.0.2.1', '10.0.0.7', '8.8.8.8', 1001, 443, 6,
	 9223372036854775807, 9223372036854775807, 1),
	('2030-01-01 03:20:03', '2030-01-01 03:20:30', '192.0.2.1', '8.8.8.8', '10.0.0.7', 443, 1002, 6,
	 9223372036854775807, 9223372036854775807, 3);
SELECT t.bucket, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled,
	   (t.bytes, t.bytes_upscaled) = (SELECT sum(r.bytes), sum(r.bu) FROM raw r
									  WHERE r.time_start >= t.bucket AND r.time_start < t.bucket + interval '1 hour') AS equal
FROM netflow.traffic('2030-01-01 03:00', '2030-01-01 04:00', '1 hour') t;
SELECT netflow.host_profiles_add('f.time_start >= $1[1] AND f.time_start < $1[2]',
								 ARRAY['2030-01-01 03:00', '2030-01-01 04:00']::timestamptz[]) AS rows;
SELECT h.addr, h.flows_sent_external, h.bytes_sent_external, h.flows_received_external,
	   h.bytes_received_external,
	   h.bytes_sent_external = (SELECT sum(r.bytes) FROM raw r WHERE r.src_addr = h.addr
								AND r.time_start >= '2030-01-01 03:00') AS sent_equal
FROM netflow.host_profiles h WHERE h.hour = '2030-01-01 03:00';
SELECT p.bytes_sent, p.bytes_received
FROM netflow.host_profile('10.0.0.7', '2030-01-01 03:00', '2030-01-01 04:00') p;
SELECT kind, count(*) FROM netflow.detect('2030-01-01 03:00', '2030-01-01 04:00') GROUP BY kind ORDER BY kind;
SELECT kind, src_addr, dst_addr, evidence->>'bytes' AS bytes
FROM netflow.detect_exfiltration('2030-01-01 03:00', '2030-01-01 04:00') ORDER BY 1, 2, 3, 4;
-- Maintenance materializes that hour too: the top-N summaries by bytes of
-- 03:10 (10.0.0.7 sent twice the bigint maximum; the minute's total is
-- past it as well) saturate at the bigint maximum instead of failing, so
-- the run completes, and a second run moves on to the next minutes.
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 04:05+00');
SELECT minutes_upto, hours_upto FROM netflow.rollup_state;
SELECT dimension, netflow.topn_total(by_bytes) AS total, netflow.topn_bound(by_bytes) AS bound
FROM netflow.rollup_topn_minute
WHERE minute = '2030-01-01 03:10' AND dimension IN ('src_addr', 'dst_port') ORDER BY dimension;
SELECT * FROM netflow.top('src_addr', '2030-01-01 03:00', '2030-01-01 04:00', 10, 'bytes');
SELECT * FROM netflow.top('dst_addr', '2030-01-01 03:10', '2030-01-01 03:30', 10, 'bytes');
SELECT * FROM netflow.top('src_addr', '2030-01-01 00:00', '2030-01-02 00:00', 3, 'flows');
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval)
VALUES
	('2030-01-01 04:10:01', '2030-01-01 04:10:30', '192.0.2.1', '10.0.0.7', '8.8.8.8', 1000, 443, 6,
	 1, 9223372036854775807, 1),
	('2030-01-01 04:10:02', '2030-01-01 04:10:30', '192.0.2.1', '10.0.0.7', '8.8.8.8', 1000, 443, 6,
	 1, 9223372036854775807, 1);
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 05:05+00');
SELECT minutes_upto, hours_upto FROM netflow.rollup_state;
SELECT * FROM netflow.top('src_addr', '2030-01-01 03:00', '2030-01-01 05:00', 10, 'bytes');
-- A late flow into the saturated minute 03:10 (and its hour and day):
-- maintenance merges it into the stored summaries with topn_union, also
-- without an error.
INSERT INTO netflow.flows (time_start, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, packets, bytes, sampling_interval)
VALUES
	('2030-01-01 03:10:09', '2030-01-01 05:06', '192.0.2.1', '10.0.0.9', '8.8.8.8', 1000, 443, 6,
	 1, 9223372036854775807, 1);
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 05:10+00');
SELECT late_flows FROM netflow.rollup_state;
SELECT dimension, netflow.topn_total(by_bytes) AS total, netflow.topn_bound(by_bytes) AS bound,
	   (SELECT count(*) FROM netflow.topn_items(by_bytes, 10)) AS items
FROM netflow.rollup_topn_minute
WHERE minute = '2030-01-01 03:10' AND dimension = 'src_addr';
SELECT * FROM netflow.top('src_addr', '2030-01-01 03:00', '2030-01-01 04:00', 10, 'bytes');
ROLLBACK;
