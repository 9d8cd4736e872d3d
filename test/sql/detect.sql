-- Detections: each detector fires on its scenario with the right entity,
-- and stays silent on background that resembles it (a proxy fanning out,
-- a nightly-style backup upload to its usual destination, a monitoring
-- system polling internal hosts every minute with jitter, an administrator
-- using ssh as every day); thresholds at their limits (one below stays
-- silent); settings validated; alerts opened once per entity, updated,
-- notified, and writable only as documented.  Rolled back at the end,
-- except the roles' checks which run in the same transaction.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
-- Each failing statement is rolled back alone (savepoints by psql); error
-- contexts (PL/pgSQL line numbers) are not shown.
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
TRUNCATE netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours, netflow.host_profiles,
	netflow.alerts, netflow.detect_state;
DELETE FROM netflow.config;
DELETE FROM netflow.networks;
SELECT count(*) > 0 AS made FROM netflow.create_partitions('2030-01-01', '2030-01-03');

-- History starts 2030-01-01 00:00; the range hunted is [2030-01-02 10:00,
-- 12:00).  Exporters 10.255.0.1 and 10.255.0.2.  Background, all 36 hours,
-- pseudo-random with a fixed seed:
--  * 100 clients 10.1.0.1-100: a web flow (full TCP, 10 packets) to one
--    of 50 external servers every 5 minutes on average, with its reply; a
--    flow to the file server 10.6.0.1 on 445 every hour;
--  * the proxy 10.2.0.1: 60 of 3000 external destinations on 443 every 5
--    minutes, answered, full TCP (a busy server fanning out);
--  * the backup 10.3.0.1: 2 GB to 52.1.1.1 from 11:00 to 12:00 each day;
--  * the monitoring 10.4.0.1: every minute (jitter up to 20 s) to 20
--    internal hosts on 22 and 161;
--  * the administrators 10.5.0.1 and 10.5.0.2: ssh to servers 10.7.0.1-5
--    each hour.
SELECT setseed(0.42);
CREATE TEMP TABLE bg AS
SELECT t, t + interval '2 seconds' AS te, ('10.255.0.' || (1 + c % 2))::inet AS exporter,
	   ('10.1.0.' || c)::inet AS src, ('93.184.' || floor(random() * 50) || '.1')::inet AS dst,
	   40000 + k % 20000 AS sport, 443 AS dport, 6 AS proto, 27 AS flags, 10 AS packets,
	   floor(1000 + 30000 * random())::bigint AS bytes
FROM generate_series(1, 100) AS c, generate_series(0, 36 * 12 - 1) AS k,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00' + k * interval '5 minutes'
			  + floor(random() * 300 + c * 0) * interval '1 second') AS x(t);
INSERT INTO bg
SELECT t + interval '1 second', te, exporter, dst, src, dport, sport, proto, flags, packets, bytes * 3
FROM bg;
INSERT INTO bg
SELECT t, t + interval '5 seconds', ('10.255.0.' || (1 + c % 2))::inet, ('10.1.0.' || c)::inet,
	   '10.6.0.1', 50000 + h, 445, 6, 27, 12, 5000
FROM generate_series(1, 100) AS c, generate_series(0, 35) AS h,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00' + h * interval '1 hour'
			  + floor(random() * 3600 + c * 0) * interval '1 second') AS x(t);
INSERT INTO bg
SELECT t, t + interval '3 seconds', '10.255.0.1', '10.2.0.1', ('151.101.' || r / 250 || '.' || r % 250)::inet,
	   30000 + d, 443, 6, 27, 12, 9000
FROM generate_series(0, 36 * 12 - 1) AS k, generate_series(1, 60) AS d,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00' + k * interval '5 minutes'
			  + floor(random() * 300 + d * 0) * interval '1 second', floor(random() * 3000 + d * 0)::integer) AS x(t, r);
INSERT INTO bg
SELECT te, te, exporter, dst, src, dport, sport, 6, 27, 8, 60000 FROM bg WHERE src = '10.2.0.1';
INSERT INTO bg
SELECT timestamptz '2030-01-01 11:00' + d * interval '1 day' + i * interval '1 minute',
	   timestamptz '2030-01-01 11:00' + d * interval '1 day' + i * interval '1 minute' + interval '59 seconds',
	   '10.255.0.2', '10.3.0.1', '52.1.1.1', 50500, 443, 6, 27, 30000, 2000000000 / 60
FROM generate_series(0, 1) AS d, generate_series(0, 59) AS i;
INSERT INTO bg
SELECT t, t + interval '1 second', '10.255.0.1', '10.4.0.1', ('10.7.1.' || h)::inet, 33000 + m % 1000, port,
	   CASE port WHEN 22 THEN 6 ELSE 17 END, CASE port WHEN 22 THEN 27 ELSE 0 END, 6, 900
FROM generate_series(0, 36 * 60 - 1) AS m, generate_series(1, 20) AS h, unnest(ARRAY[22, 161]) AS port,
	 LATERAL (SELECT timestamptz '2030-01-01 00:00' + m * interval '1 minute'
			  + floor(random() * 20 + h * 0) * interval '1 second') AS x(t);
INSERT INTO bg
SELECT timestamptz '2030-01-01 00:10' + h * interval '1 hour' + s * interval '1 minute',
	   timestamptz '2030-01-01 00:10' + h * interval '1 hour' + s * interval '1 minute' + interval '30 seconds',
	   '10.255.0.1', ('10.5.0.' || a)::inet, ('10.7.0.' || s)::inet, 40000 + h, 22, 6, 27, 40, 20000
FROM generate_series(0, 35) AS h, generate_series(1, 5) AS s, generate_series(1, 2) AS a;
INSERT INTO netflow.flows (time_start, time_end, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, tcp_flags, packets, bytes)
SELECT t, te, te, exporter, src, dst, sport, dport, proto, flags, packets, bytes FROM bg;

-- The scenarios, in [2030-01-02 10:00, 12:00), on exporter 10.255.0.1.
CREATE TEMP TABLE attack (t timestamptz, src inet, dst inet, sport integer, dport integer,
						  proto integer, flags integer, packets bigint, bytes bigint);
-- Horizontal scans of port 8080: 10.9.0.1 reaches 25 hosts (the threshold),
-- 10.9.0.2 only 24; both SYN-only, unanswered.
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:05' + i * interval '5 seconds', ('10.9.0.' || s)::inet,
	   ('10.1.0.' || i)::inet, 45000, 8080, 6, 2, 1, 44
FROM generate_series(1, 2) AS s, generate_series(1, 26 - s) AS i;
-- 10.9.0.5 reaches 26 hosts of which 4 answer (SYN-ACK back, no reset):
-- 22 + 4/2 = 24 weighted, below 25: silent.
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:05' + i * interval '5 seconds', '10.9.0.5', ('10.1.1.' || i)::inet,
	   45000, 8081, 6, 2, 1, 44
FROM generate_series(1, 26) AS i;
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:05' + i * interval '5 seconds' + interval '1 second', ('10.1.1.' || i)::inet,
	   '10.9.0.5', 8081, 45000, 6, 18, 1, 44
FROM generate_series(1, 4) AS i;
-- Vertical scans of the file server: 10.9.0.3 tries 15 ports (the threshold),
-- 10.9.0.4 tries 14; the server resets them (RST back does not answer).
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:20' + p * interval '2 seconds', ('10.9.0.' || s)::inet, '10.6.0.1',
	   46000, 1000 + p, 6, 2, 1, 44
FROM generate_series(3, 4) AS s, generate_series(1, 18 - s) AS p;
INSERT INTO attack
SELECT t + interval '1 second', dst, src, dport, sport, 6, 20, 1, 40 FROM attack
WHERE src IN ('10.9.0.3', '10.9.0.4');
-- Lateral movement: client 10.1.0.50, which never used RDP, opens 3389 on
-- 10.1.0.60; administrator 10.5.0.1 reaches 10 servers new to it on ssh
-- (the fan-out threshold), 10.5.0.2 reaches 9.
INSERT INTO attack VALUES ('2030-01-02 10:30', '10.1.0.50', '10.1.0.60', 51000, 3389, 6, 27, 200, 90000);
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:40' + i * interval '10 seconds', ('10.5.0.' || a)::inet,
	   ('10.7.2.' || i)::inet, 52000 + i, 22, 6, 27, 30, 8000
FROM generate_series(1, 2) AS a, generate_series(1, 11 - a) AS i;
-- Look-alike: a new laptop 10.1.0.150, without history, maps the file
-- share (10.6.0.1:445, reached by 100 clients in the baseline): silent.
INSERT INTO attack VALUES ('2030-01-02 10:35', '10.1.0.150', '10.6.0.1', 51500, 445, 6, 27, 20, 9000);
-- Exfiltration: 10.1.0.70 sends 3 GB to 45.33.1.1, never contacted before.
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:00' + i * interval '1 minute', '10.1.0.70', '45.33.1.1',
	   53000, 443, 6, 27, 50000, 3000000000 / 60
FROM generate_series(0, 59) AS i;
-- Beaconing: 10.1.0.80 to 185.10.10.10:443 every 60 s (+/- 2 s), 300 to
-- 303 bytes, for 2 hours.
INSERT INTO attack
SELECT timestamptz '2030-01-02 10:00' + i * interval '1 minute' + ((i * 7) % 5 - 2) * interval '1 second',
	   '10.1.0.80', '185.10.10.10', 54000 + i, 443, 6, 27, 5, 300 + i % 4
FROM generate_series(0, 119) AS i;
-- Volume anomaly: at 11:30, 3000 flows from spoofed external sources
-- flood 10.6.0.1 on port 80 within one minute.
INSERT INTO attack
SELECT timestamptz '2030-01-02 11:30' + (i % 60) * interval '1 second',
	   ('77.' || i % 250 || '.' || i / 250 || '.9')::inet, '10.6.0.1', 1024 + i, 80, 6, 2, 1, 40
FROM generate_series(1, 3000) AS i;
INSERT INTO netflow.flows (time_start, time_end, time_received, exporter, src_addr, dst_addr,
						   src_port, dst_port, protocol, tcp_flags, packets, bytes)
SELECT t, t + interval '1 second', t + interval '1 second', '10.255.0.1', src, dst, sport, dport,
	   proto, flags, packets, bytes
FROM attack;
ANALYZE netflow.flows;

-- Settings are validated.
INSERT INTO netflow.config VALUES ('scan_hosts', 'many');
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00');
UPDATE netflow.config SET value = '1' WHERE key = 'scan_hosts';
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00');
DELETE FROM netflow.config WHERE key = 'scan_hosts';
INSERT INTO netflow.config VALUES ('lateral_ports', '{22,70000}');
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00');
UPDATE netflow.config SET value = '{22,ssh}' WHERE key = 'lateral_ports';
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00');
DELETE FROM netflow.config WHERE key = 'lateral_ports';
INSERT INTO netflow.config VALUES ('beacon_score', '1.5');
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00');
DELETE FROM netflow.config WHERE key = 'beacon_score';
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00', ARRAY['scan', 'worms']);
SELECT count(*) FROM netflow.detect('2030-01-02 12:00', '2030-01-02 10:00');

-- Everything found over the range: exactly the scenarios above.
CREATE TEMP TABLE found AS
SELECT * FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00');
SELECT kind, src_addr, dst_addr, dst_port, evidence->>'type' AS type, round(score::numeric, 2) AS score,
	   first_seen, last_seen
FROM found ORDER BY kind, src_addr, dst_addr, dst_port;

-- The evidence behind each.
SELECT kind, src_addr, evidence->>'type' AS type,
	   evidence - ARRAY['sample', 'baseline_from', 'baseline_to', 'window_start', 'metrics', 'minute'] AS evidence
FROM found WHERE kind <> 'volume_anomaly' ORDER BY kind, src_addr, dst_addr, dst_port;
SELECT evidence->'sample' AS sample FROM found WHERE kind = 'scan' AND src_addr = '10.9.0.3';
SELECT evidence->'sample' AS sample FROM found WHERE kind = 'lateral_movement' AND src_addr = '10.5.0.1';
SELECT evidence->>'exporter' AS exporter, evidence->>'minute' AS minute, evidence->'anomalous' AS anomalous,
	   evidence->'metrics'->'flows' AS flows
FROM found WHERE kind = 'volume_anomaly';

-- One kind only, and a range with nothing to find.
SELECT kind, src_addr, dst_addr FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00', ARRAY['beaconing']);
SELECT count(*) FROM netflow.detect('2030-01-02 08:00', '2030-01-02 10:00');

-- Thresholds at their limits, moved by one: the scans one below fire, the
-- ones at the limit go silent.
INSERT INTO netflow.config VALUES ('scan_hosts', '24'), ('scan_ports', '14'), ('lateral_fanout', '9');
SELECT kind, src_addr, dst_addr, dst_port, evidence->>'type' AS type
FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00', ARRAY['scan', 'lateral_movement'])
ORDER BY 1, 2, 3, 4;
UPDATE netflow.config SET value = '26' WHERE key = 'scan_hosts';
UPDATE netflow.config SET value = '16' WHERE key = 'scan_ports';
UPDATE netflow.config SET value = '11' WHERE key = 'lateral_fanout';
SELECT kind, src_addr, dst_addr, dst_port, evidence->>'type' AS type
FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00', ARRAY['scan', 'lateral_movement'])
ORDER BY 1, 2, 3, 4;
DELETE FROM netflow.config WHERE key IN ('scan_hosts', 'scan_ports', 'lateral_fanout');
-- Exfiltration floor above the upload, and beacon allowed: silent.
INSERT INTO netflow.config VALUES ('exfil_min_bytes', '4000000000'), ('exfil_new_dest_bytes', '3000000001'),
	('beacon_allow', '{185.10.10.0/24}');
SELECT count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00', ARRAY['exfiltration', 'beaconing']);
DELETE FROM netflow.config WHERE key IN ('exfil_min_bytes', 'exfil_new_dest_bytes', 'beacon_allow');

-- Less history than detect_min_history: the baseline detectors say so and
-- report nothing; scans still do.
INSERT INTO netflow.config VALUES ('detect_min_history', '2 days');
SET client_min_messages = notice;
SELECT kind, count(*) FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00') GROUP BY kind ORDER BY kind;
SET client_min_messages = warning;
DELETE FROM netflow.config WHERE key = 'detect_min_history';

-- Alerts from maintenance: a run at 10:08 sees the horizontal scan (scans
-- every run, over the last scan_window); the first run also runs the slow
-- detectors over the last hour, and the exfiltration has sent 500 MB by
-- then.  Each new alert sends NOTIFY netflow_alert (see the TAP test).
INSERT INTO netflow.config VALUES ('rollups', 'off');
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 10:08');
SELECT kind, src_addr, dst_addr, dst_port, state, updates FROM netflow.alerts ORDER BY id;
SELECT runs, alerts_opened, alerts_updated, last_skip FROM netflow.detect_state;
-- The scan is still within the window in the next run: the same alert is
-- updated.
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 10:09');
SELECT kind, src_addr, state, updates FROM netflow.alerts WHERE kind = 'scan' ORDER BY id;
-- Closed, then seen again: a new alert.
UPDATE netflow.alerts SET state = 'closed' WHERE kind = 'scan';
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 10:10');
SELECT kind, src_addr, state, updates FROM netflow.alerts WHERE kind = 'scan' ORDER BY id;
-- The hour's slow runs at 11:10 and 12:10 find the rest; the beacon,
-- acknowledged in between, is still updated by the second.
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 11:10');
UPDATE netflow.alerts SET state = 'acknowledged' WHERE kind = 'beaconing';
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 12:10');
SELECT kind, src_addr, dst_addr, dst_port, state, updates > 0 AS updated, first_seen, last_seen
FROM netflow.alerts ORDER BY kind, src_addr, dst_addr, dst_port, id;
SELECT evidence->>'bytes' AS bytes FROM netflow.alerts WHERE kind = 'exfiltration' AND dst_addr IS NOT NULL;
-- A failing detector does not stop maintenance: a bad setting is reported
-- as a maintenance error, and the other steps still run.
INSERT INTO netflow.config VALUES ('scan_window', 'soon');
SELECT action, detail FROM netflow.run_maintenance('2030-01-02 12:11') WHERE action = 'error';
DELETE FROM netflow.config WHERE key = 'scan_window';
SELECT count(*) AS maintenance_runs FROM netflow.maintenance_log;
-- Detection off: nothing more is written.
INSERT INTO netflow.config VALUES ('detect_alerts', 'off');
SELECT count(*) FILTER (WHERE action = 'error') AS errors FROM netflow.run_maintenance('2030-01-02 12:12');
SELECT runs FROM netflow.detect_state;
-- Called by hand (a schedule of its own), the step runs regardless.
SELECT netflow.detect_maintenance('2030-01-02 12:13') AS opened;
SELECT runs FROM netflow.detect_state;

-- Privileges: readers read alerts and hunt; analysts set the state only.
SET ROLE netflow_reader;
SELECT count(*) > 0 AS reads FROM netflow.alerts;
SELECT count(*) AS scans FROM netflow.detect('2030-01-02 10:00', '2030-01-02 12:00', ARRAY['scan']);
SAVEPOINT r;
UPDATE netflow.alerts SET state = 'acknowledged';
ROLLBACK TO r;
RESET ROLE;
SET ROLE netflow_analyst;
UPDATE netflow.alerts SET state = 'closed' WHERE kind = 'lateral_movement';
SAVEPOINT a;
UPDATE netflow.alerts SET score = 0;
ROLLBACK TO a;
SAVEPOINT b;
DELETE FROM netflow.alerts;
ROLLBACK TO b;
SAVEPOINT c;
\set VERBOSITY terse
UPDATE netflow.alerts SET state = 'dismissed';
\set VERBOSITY default
ROLLBACK TO c;
RESET ROLE;
SELECT kind, src_addr, state FROM netflow.alerts WHERE kind = 'lateral_movement' ORDER BY src_addr;
ROLLBACK;
