-- Partition life cycle: premake, retention, the window policy for late and
-- far-future flows, the maintenance log and the netflow.partitions view.
-- Time is injected through the now arguments; everything runs in one
-- transaction that is rolled back, so other tests see nothing of it.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
BEGIN;

-- Start from no partitions at all (other tests may have made some).
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
DELETE FROM netflow.config WHERE key IN ('partition_interval', 'premake', 'retention', 'future_tolerance', 'past_tolerance');
CREATE TEMP TABLE counters_before AS SELECT counter, value FROM netflow.window_counters;

-- Defaults: daily partitions, 4 ahead, keep everything.
SELECT partition_interval, premake, retention, future_tolerance, past_tolerance FROM netflow.maintenance_settings();

-- premake 3: the partition containing now and 3 after it.
INSERT INTO netflow.config VALUES ('premake', '3');
SELECT * FROM netflow.run_maintenance('2030-01-10 12:00+00');
-- A second run as of the same time has nothing to do.
SELECT * FROM netflow.run_maintenance('2030-01-10 12:00+00');

-- Some flows in the first two days.
INSERT INTO netflow.flows (time_start, src_addr, dst_addr, packets, bytes)
SELECT timestamptz '2030-01-10 00:00+00' + g * interval '1 hour', '10.0.0.1', '10.0.0.2', 1, 100
FROM generate_series(0, 47) g;

-- Retention 2 days, as of 2030-01-13 06:00: the limit is 2030-01-11 06:00.
-- The 10th ends before it (dropped); the 11th straddles it (kept).
INSERT INTO netflow.config VALUES ('retention', '2 days');
SELECT * FROM netflow.run_maintenance('2030-01-13 06:00+00');
SELECT min(time_start), max(time_start), count(*) FROM netflow.flows;

-- drop_partitions alone, everything older than a day as of a year later:
-- all but the newest partition go; the newest is never dropped.
SELECT action, partition, lower, upper FROM netflow.drop_partitions('1 day', '2031-01-10 00:00+00');
SELECT partition, lower, upper FROM netflow.flows_partitions() ORDER BY lower;
-- Retention 0 drops nothing.
SELECT count(*) FROM netflow.drop_partitions('0', '2040-01-01 00:00+00');

-- Changing the interval affects only partitions made afterwards: the day
-- partition of the 16th stays; hourly ones follow it.
UPDATE netflow.config SET value = '2' WHERE key = 'premake';
INSERT INTO netflow.config VALUES ('partition_interval', '1 hour');
SELECT action, partition, lower, upper FROM netflow.run_maintenance('2030-01-16 22:30+00');
SELECT partition, lower, upper FROM netflow.partitions;

-- The window as of 2030-01-16 22:30: late before the retention limit,
-- future from the later of now + future_tolerance and the premade end.
SELECT * FROM netflow.ingest_window('2030-01-16 22:30+00');
UPDATE netflow.config SET value = '12 hours' WHERE key = 'retention';
INSERT INTO netflow.config VALUES ('future_tolerance', '3 hours');
SELECT * FROM netflow.ingest_window('2030-01-16 22:30+00');

-- Routing: a late flow (before the window: no partition, flows_past), one
-- in the window (partition made on demand), far-future ones and NULL.
SELECT netflow.ensure_partitions_for(ARRAY[
	'2030-01-15 03:10+00',		-- late: before 2030-01-16 10:30
	'2030-01-17 01:15+00',		-- in the window, partition made on demand
	'2030-01-17 01:59+00',		-- same partition
	'2030-01-17 01:30+00',		-- future_from is 2030-01-17 01:30: future
	'2030-03-01 00:00+00',		-- far future
	'infinity',
	NULL]::timestamptz[], '2030-01-16 22:30+00');
SELECT partition, lower, upper FROM netflow.flows_partitions()
WHERE lower < '2030-01-16' OR lower >= '2030-01-17 01:00' ORDER BY lower;
SELECT c.counter, c.value - b.value AS increase
FROM netflow.window_counters c JOIN counters_before b USING (counter)
ORDER BY c.counter;

-- Far-future flows wait in netflow.flows_future; once within the window
-- maintenance moves them to netflow.flows; past the retention (by
-- time_received) they are purged.
INSERT INTO netflow.flows_future (time_start, time_received, packets, bytes) VALUES
	('2030-01-18 05:00+00', '2030-01-18 00:00+00', 1, 40),
	('2030-03-01 00:00+00', '2030-01-16 22:30+00', 2, 80),
	('2030-03-01 00:00+00', '2030-01-18 00:00+00', 3, 120);
-- Past flows likewise: one now within the window (15:00 on the 17th is
-- the retention limit as of 03:00 on the 18th) gets its partition and is
-- moved; one of 2020 stays.
INSERT INTO netflow.flows_past (time_start, time_received, packets, bytes) VALUES
	('2030-01-17 20:00+00', '2030-01-18 00:00+00', 4, 160),
	('2020-01-01 00:00+00', '2030-01-18 00:00+00', 5, 200);
SELECT action, partition, lower, upper, detail FROM netflow.run_maintenance('2030-01-18 03:00+00')
WHERE partition IS NULL OR partition NOT LIKE 'netflow.flows_p%';
SELECT time_start, bytes FROM netflow.flows WHERE time_start >= '2030-01-18' ORDER BY 1;
SELECT time_start, bytes FROM netflow.flows_future ORDER BY 1;
SELECT time_start, bytes FROM netflow.flows_past ORDER BY 1;
SELECT time_start, bytes FROM netflow.flows WHERE time_start >= '2030-01-17 20:00' AND time_start < '2030-01-18' ORDER BY 1;
SELECT c.counter, c.value - b.value AS increase
FROM netflow.window_counters c JOIN counters_before b USING (counter)
WHERE c.counter LIKE 'future_flows_%' OR c.counter LIKE 'past_flows_%' ORDER BY c.counter;

-- Every run is logged.
SELECT as_of, status, created, dropped, deferred, moved, errors, detail,
	   finished >= started AS finished_after_start
FROM netflow.maintenance_log WHERE as_of >= '2030-01-01' ORDER BY as_of;

-- The view: sizes and row estimates are real; retention_drops is judged as
-- of now(), against which the 2030 partitions are all young, and a
-- partition of ten days ago is past the 12-hour retention.
ANALYZE netflow.flows;
SELECT partition, estimated_rows, total_bytes > 0 AS has_size, retention_drops
FROM netflow.partitions WHERE lower >= '2030-01-18' ORDER BY lower;
SELECT count(*) FROM netflow.create_partitions(date_trunc('hour', now() - interval '10 days'),
										  date_trunc('hour', now() - interval '10 days') + interval '1 hour');
SELECT upper <= now() - interval '12 hours' AS old, retention_drops, count(*)
FROM netflow.partitions GROUP BY 1, 2 ORDER BY 1;

-- A bad setting does not abort the run: the step reports an error row and
-- the log records it.
UPDATE netflow.config SET value = 'many' WHERE key = 'premake';
SELECT action, partition, detail FROM netflow.run_maintenance('2030-01-18 03:00+00');
SELECT status, errors, detail FROM netflow.maintenance_log ORDER BY started DESC LIMIT 1;
UPDATE netflow.config SET value = '2' WHERE key = 'premake';

-- Bad arguments are errors.
SELECT * FROM netflow.drop_partitions('-1 day', '2030-01-18 03:00+00');
ROLLBACK;

-- Partition names are unambiguous: a BC day does not take the name of the
-- AD day, nor a year beyond 9999 that of another range.
SELECT netflow.partition_name('2026-12-20 00:00+00 BC', '1 day') AS bc_day,
	   netflow.partition_name('2026-12-20 00:00+00', '1 day') AS ad_day,
	   netflow.partition_name('0001-01-01 00:00+00 BC', '1 hour') AS bc_hour,
	   netflow.partition_name('10000-12-01 00:00+00', '1 month') AS far_month;

-- A premake that cannot make a partition it should is an error of the
-- run (status error), not a notice; the BC day never blocks the AD day.
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
DELETE FROM netflow.config WHERE key IN ('partition_interval', 'premake', 'retention', 'future_tolerance', 'past_tolerance');
INSERT INTO netflow.config VALUES ('premake', '1');
SELECT count(*) FROM netflow.create_partitions('2026-12-20 00:00+00 BC', '2026-12-21 00:00+00 BC');
CREATE TABLE netflow.flows_p20261221 (squatter integer);
SELECT action, partition, lower, detail FROM netflow.run_maintenance('2026-12-20 12:00+00');
SELECT status, created, errors, detail FROM netflow.maintenance_log ORDER BY started DESC LIMIT 1;
SELECT partition, lower, upper FROM netflow.flows_partitions() ORDER BY lower;
ROLLBACK;

-- The routing policy: partitions are made only within the window [now -
-- past_tolerance, future_from), at most 4 per call (nearest to now first);
-- a flow whose partition exists goes there whatever its time; the others
-- go to flows_past (before now) or flows_future, counted.
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
DELETE FROM netflow.config WHERE key IN ('partition_interval', 'premake', 'retention', 'future_tolerance', 'past_tolerance');
INSERT INTO netflow.config VALUES ('partition_interval', '1 hour'), ('premake', '0');
CREATE TEMP TABLE route_counters AS SELECT counter, value FROM netflow.window_counters;
SELECT count(*) FROM netflow.create_partitions('2020-05-01 00:00+00', '2020-05-01 01:00+00');
SELECT * FROM netflow.ingest_window('2030-06-01 12:30+00');
SELECT netflow.route_times(ARRAY[
	'2030-06-01 11:10+00', '2030-06-01 10:10+00', '2030-06-01 09:10+00',
	'2030-06-01 08:10+00', '2030-06-01 07:10+00', '2030-06-01 06:10+00',	-- 6 hours in the window
	'2030-05-01 00:00+00',		-- before the window: flows_past
	'2020-05-01 00:30+00',		-- long ago, but its partition exists
	'2030-06-03 00:00+00',		-- far future
	'2026-12-20 00:00+00 BC',	-- BC: before the window
	'-infinity', NULL]::timestamptz[], '2030-06-01 12:30+00');
SELECT partition, lower, upper FROM netflow.flows_partitions() ORDER BY lower;
SELECT c.counter, c.value - b.value AS increase
FROM netflow.window_counters c JOIN route_counters b USING (counter)
WHERE c.value <> b.value ORDER BY c.counter;
-- the next call makes the remaining two
SELECT netflow.route_times(ARRAY['2030-06-01 07:10+00', '2030-06-01 06:10+00']::timestamptz[],
						   '2030-06-01 12:30+00');
-- past_tolerance is validated
INSERT INTO netflow.config VALUES ('past_tolerance', '-1 hour');
SELECT * FROM netflow.ingest_window('2030-06-01 12:30+00');
ROLLBACK;
BEGIN;
SELECT * FROM netflow.run_maintenance('infinity');
ROLLBACK;

-- The maintenance functions are not for everybody: not executable by
-- PUBLIC; the ones that take a time or an age run with the caller's rights
-- (SECURITY INVOKER, owner of netflow.flows only), run_maintenance() as of
-- now with the owner's (SECURITY DEFINER).
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer,
	   has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute
FROM pg_proc p
WHERE p.oid IN ('netflow.run_maintenance(timestamptz)'::regprocedure,
				'netflow.run_maintenance()'::regprocedure,
				'netflow.drop_partitions(interval, timestamptz)'::regprocedure,
				'netflow.ensure_partitions_for(timestamptz[], timestamptz)'::regprocedure,
				'netflow.log_maintenance_failure(timestamptz, text)'::regprocedure)
ORDER BY 1;

-- Exporter streams silent for longer than forget_exporters_after (30 days
-- by default) are forgotten: their saved sequence state, then the templates
-- and sampling rates of streams with no sequence state left that were not
-- saved recently themselves.
BEGIN;
INSERT INTO netflow.exporter_state (exporter, obs_domain, version, next_sequence, last_seen) VALUES
	('192.0.2.1', 0, 10, 100, '2030-01-01 00:00+00'),	-- silent 40 days: forgotten
	('192.0.2.2', 0, 10, 200, '2030-02-05 00:00+00');	-- heard 5 days ago: kept
INSERT INTO netflow.templates (exporter, obs_domain, version, template_id, is_options, raw, updated_at) VALUES
	('192.0.2.1', 0, 10, 256, false, '\x010000010008000400', '2029-12-31 00:00+00'),	-- stream forgotten: deleted
	('192.0.2.2', 0, 10, 256, false, '\x010000010008000400', '2029-12-31 00:00+00'),	-- old, stream active: kept
	('192.0.2.3', 7, 9, 300, false, '\x012c000100080004', '2030-02-09 00:00+00');	-- no state, saved yesterday: kept
INSERT INTO netflow.sampling (exporter, obs_domain, version, sampler_kind, sampler_id, sampling_interval, updated_at) VALUES
	('192.0.2.1', 0, 10, 'exporter', 0, 100, '2029-12-31 00:00+00'),	-- stream forgotten: deleted
	('192.0.2.3', 7, 9, 'sampler', 2, 10, '2029-12-01 00:00+00');		-- no state, old: deleted
SELECT action, upper, detail FROM netflow.run_maintenance('2030-02-10 00:00+00') WHERE action IN ('forgot', 'error');
SELECT exporter, version, next_sequence FROM netflow.exporter_state ORDER BY exporter;
SELECT exporter, version, template_id FROM netflow.templates ORDER BY exporter;
SELECT exporter, sampler_id FROM netflow.sampling ORDER BY exporter;
-- a second run finds nothing more to forget
SELECT count(*) AS forgot_rows FROM netflow.run_maintenance('2030-02-10 00:00+00') WHERE action = 'forgot';
-- 0 keeps exporter state forever, even ten years later
INSERT INTO netflow.config VALUES ('forget_exporters_after', '0');
SELECT count(*) AS forgot_rows FROM netflow.run_maintenance('2040-02-10 00:00+00') WHERE action = 'forgot';
SELECT count(*) AS streams FROM netflow.exporter_state;
-- an invalid value is an error row of the run, not an aborted run
UPDATE netflow.config SET value = '-1 day' WHERE key = 'forget_exporters_after';
SELECT action, detail FROM netflow.run_maintenance('2030-02-10 00:00+00') WHERE action = 'error';
SELECT * FROM netflow.maintenance_settings();
ROLLBACK;
