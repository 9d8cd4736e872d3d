-- Host profiles against the raw flows: per hour and internal host, the
-- sums equal raw sums and the distinct counts are within the sketch's
-- error; netflow.host_profile adds the hour not rolled up yet and late
-- flows; profiles outlive the raw partitions.  Rolled back at the end.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
TRUNCATE netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day, netflow.host_profiles;
DELETE FROM netflow.config;
DELETE FROM netflow.networks;
-- Our networks: 10.0.0.0/8 internal except a guest /16; 203.0.113.0/24 is
-- a partner (external) although it is a documentation range.
INSERT INTO netflow.networks (network, name, internal) VALUES
	('10.0.0.0/8', 'corp', true), ('10.200.0.0/16', 'guests', false),
	('203.0.113.0/24', 'partner', false);
INSERT INTO netflow.config VALUES ('premake', '2'), ('rollup_grace', '2 minutes'),
	('rollup_late_margin', '1 minute'), ('rollup_max_minutes', '100000');
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 00:02+00');

-- Three hours of flows among 30 internal hosts, guests, a partner and the
-- Internet; host 10.0.0.1 scans 3000 ports of 200 hosts in the first hour.
INSERT INTO netflow.flows (time_start, time_end, time_received, src_addr, dst_addr, src_port, dst_port,
						   protocol, packets, bytes)
SELECT t, t + (i % 50) * interval '1 second', t + interval '20 seconds',
	   ((ARRAY['10.0.0.', '10.200.0.', '203.0.113.', '198.18.0.'])[1 + i % 4 * (i % 3) % 4] || (i % 30))::inet,
	   ((ARRAY['10.0.1.', '10.200.1.', '203.0.113.', '8.8.'])[1 + (i / 7) % 4] || (i % 11) || CASE WHEN (i / 7) % 4 = 3 THEN '.' || (i % 13) ELSE '' END)::inet,
	   1024 + i % 5000, (ARRAY[80, 443, 53, 22, 445])[1 + i % 5], 6, 1 + i % 9,
	   CASE WHEN i % 101 = 0 THEN NULL ELSE 60 + (i * 7919) % 1400 END
FROM generate_series(1, 20000) AS i,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00:00+00' + i * interval '0.5 seconds') AS x(t)
UNION ALL
SELECT timestamptz '2030-01-01 00:10:00+00' + i * interval '1 second', NULL,
	   timestamptz '2030-01-01 00:10:20+00' + i * interval '1 second',
	   '10.0.0.1'::inet, ('10.0.2.' || (i % 200))::inet, 40000, 1 + i % 3000, 6, 1, 40
FROM generate_series(1, 3000) AS i;
ANALYZE netflow.flows;
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 02:30+00');
SELECT minutes_upto, hours_upto FROM netflow.rollup_state;

-- The truth, from raw flows, with the networks above written out.
CREATE TEMP VIEW sides AS
SELECT date_trunc('hour', f.time_start) AS hour, s.addr, s.sent, s.peer,
	   (s.peer << '10.0.0.0/8' AND NOT s.peer << '10.200.0.0/16') AS peer_internal,
	   f.dst_port, coalesce(f.bytes, 0) AS bytes, f.time_start, coalesce(f.time_end, f.time_start) AS time_last
FROM netflow.flows f,
	 LATERAL (VALUES (f.src_addr, true, f.dst_addr), (f.dst_addr, false, f.src_addr)) AS s(addr, sent, peer)
WHERE s.addr << '10.0.0.0/8' AND NOT s.addr << '10.200.0.0/16';
CREATE TEMP VIEW truth AS
SELECT hour, addr,
	   count(*) FILTER (WHERE sent AND peer_internal) AS fsi, count(*) FILTER (WHERE sent AND NOT peer_internal) AS fse,
	   coalesce(sum(bytes) FILTER (WHERE sent AND peer_internal), 0) AS bsi,
	   coalesce(sum(bytes) FILTER (WHERE sent AND NOT peer_internal), 0) AS bse,
	   count(*) FILTER (WHERE NOT sent AND peer_internal) AS fri, count(*) FILTER (WHERE NOT sent AND NOT peer_internal) AS fre,
	   coalesce(sum(bytes) FILTER (WHERE NOT sent AND peer_internal), 0) AS bri,
	   coalesce(sum(bytes) FILTER (WHERE NOT sent AND NOT peer_internal), 0) AS bre,
	   count(DISTINCT peer) AS peers, count(DISTINCT dst_port) FILTER (WHERE sent) AS ports,
	   min(time_start) AS first_seen, max(time_last) AS last_seen
FROM sides GROUP BY 1, 2;

-- Stored profiles of the closed hours 00:00 and 01:00 against the truth.
SELECT count(*) AS profiles,
	   count(*) FILTER (WHERE p.addr IS NULL) AS missing,
	   count(*) FILTER (WHERE t.addr IS NULL) AS extra,
	   count(*) FILTER (WHERE (p.flows_sent_internal, p.flows_sent_external, p.bytes_sent_internal, p.bytes_sent_external,
							   p.flows_received_internal, p.flows_received_external, p.bytes_received_internal,
							   p.bytes_received_external, p.first_seen, p.last_seen)
							 IS DISTINCT FROM (t.fsi, t.fse, t.bsi, t.bse, t.fri, t.fre, t.bri, t.bre, t.first_seen, t.last_seen)) AS sums_differ,
	   count(*) FILTER (WHERE abs(netflow.hll_cardinality(p.peers) - t.peers) > greatest(1, 0.0244 * t.peers)
						   OR abs(coalesce(netflow.hll_cardinality(p.dst_ports), 0) - t.ports) > greatest(1, 0.0244 * t.ports)) AS distinct_off
FROM (SELECT * FROM netflow.host_profiles WHERE hour < '2030-01-01 02:00+00') AS p
FULL JOIN (SELECT * FROM truth WHERE hour < '2030-01-01 02:00+00') AS t USING (hour, addr);
-- No profile for an external or guest address; the scanner's counts.
SELECT count(*) AS not_internal FROM netflow.host_profiles
WHERE NOT addr << '10.0.0.0/8' OR addr << '10.200.0.0/16';
SELECT hour, netflow.hll_cardinality(p.peers) AS peers_est, t.peers, netflow.hll_cardinality(p.dst_ports) AS ports_est, t.ports
FROM netflow.host_profiles p JOIN truth t USING (hour, addr)
WHERE addr = '10.0.0.1' ORDER BY hour;

-- netflow.host_profile: whole hours, the stored ones plus the open hour
-- from raw flows, and a late flow seen before and after the next run.
CREATE FUNCTION pg_temp.profile_diff(a inet) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM netflow.host_profile(a, '2030-01-01 00:30+00', '2030-01-01 02:40+00') p
	FULL JOIN (SELECT * FROM truth WHERE addr = a) t USING (hour)
	WHERE (p.flows_sent, p.bytes_sent, p.flows_received, p.bytes_received, p.bytes_sent_external, p.first_seen, p.last_seen)
		  IS DISTINCT FROM (t.fsi + t.fse, t.bsi + t.bse, t.fri + t.fre, t.bri + t.bre, t.bse, t.first_seen, t.last_seen)
	   OR abs(p.peers - t.peers) > greatest(1, 0.0244 * t.peers)
$$;
SELECT hour, flows_sent, flows_received, peers, dst_ports FROM netflow.host_profile('10.0.0.1', '2030-01-01 00:30+00', '2030-01-01 02:40+00');
SELECT pg_temp.profile_diff('10.0.0.1') AS host1, pg_temp.profile_diff('10.0.0.7') AS host7,
	   pg_temp.profile_diff('10.0.1.3') AS receiver;
INSERT INTO netflow.flows (time_start, time_received, src_addr, dst_addr, dst_port, protocol, packets, bytes)
VALUES ('2030-01-01 00:45:00+00', '2030-01-01 02:31+00', '10.0.0.7', '8.8.8.8', 443, 6, 100, 5000000);
SELECT pg_temp.profile_diff('10.0.0.7') AS late_before_run;
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-01 02:40+00');
SELECT pg_temp.profile_diff('10.0.0.7') AS late_after_run,
	   (SELECT bytes_sent_external FROM netflow.host_profiles WHERE addr = '10.0.0.7' AND hour = '2030-01-01 00:00+00')
	   = (SELECT bse FROM truth WHERE addr = '10.0.0.7' AND hour = '2030-01-01 00:00+00') AS stored_row_has_it;

-- Profiles outlive the raw partitions.
CREATE TEMP TABLE before_drop AS
SELECT * FROM netflow.host_profile('10.0.1.3', '2030-01-01 00:00+00', '2030-01-02 00:00+00');
INSERT INTO netflow.config VALUES ('retention', '1 day');
SELECT action, partition FROM netflow.run_maintenance('2030-01-03 06:00+00') WHERE action = 'dropped';
SELECT count(*) AS raw_left FROM netflow.flows WHERE time_start < '2030-01-02';
SELECT count(*) AS differing FROM (
	(SELECT * FROM netflow.host_profile('10.0.1.3', '2030-01-01 00:00+00', '2030-01-02 00:00+00') EXCEPT ALL SELECT * FROM before_drop)
	UNION ALL
	(SELECT * FROM before_drop EXCEPT ALL SELECT * FROM netflow.host_profile('10.0.1.3', '2030-01-01 00:00+00', '2030-01-02 00:00+00'))) x;
SELECT count(*) AS hours FROM before_drop;
ROLLBACK;

SELECT * FROM netflow.host_profile(NULL, '2030-01-01', '2030-01-02');
SELECT * FROM netflow.host_profile('10.0.0.1', '2030-01-02', '2030-01-01');
SET ROLE netflow_reader;
SELECT count(*) AS hours FROM netflow.host_profile('10.0.0.1', '2030-01-01', '2030-01-01 03:00');
SELECT count(*) AS readable FROM netflow.host_profiles;
RESET ROLE;
