-- The scan detection of maintenance is incremental (netflow.detect_scan_step):
-- each run reads only the rows stored since the last one into
-- netflow.scan_attempts.  It finds what netflow.detect_scan finds over the
-- same window; late flows (an old start, stored after the run that covered
-- their minute) count; no row is counted twice; an answer stored in a later
-- run lowers the weight; the state holds only the window (bounded), and is
-- rebuilt from raw flows after a gap; a partition emptied since its mark is
-- read again.  And maintenance skips beaconing above
-- detect_max_baseline_rows.  Rolled back at the end.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET client_min_messages = warning;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
BEGIN;
\getenv abs_srcdir PG_ABS_SRCDIR
\set setup :abs_srcdir '/sql/include/drop_flows_partitions.sql'
\i :setup
TRUNCATE netflow.scan_attempts, netflow.scan_marks;
DELETE FROM netflow.config;
SELECT count(*) > 0 AS made FROM netflow.create_partitions('2030-01-01', '2030-01-04');

-- Stores flows (start, source, destination, source port, destination port,
-- TCP flags) on exporter 10.255.0.1; returns 1.
CREATE FUNCTION pg_temp.store(t timestamptz, src inet, dst inet, sport integer, dport integer, fl integer)
RETURNS integer LANGUAGE sql AS $$
	INSERT INTO netflow.flows (time_start, time_end, time_received, exporter, src_addr, dst_addr,
							   src_port, dst_port, protocol, tcp_flags, packets, bytes)
	VALUES (t, t, t, '10.255.0.1', src, dst, sport, dport, 6, fl, 1, 44)
	RETURNING 1
$$;
-- Background: 10.1.0.1-30 talk to 10.6.0.1:443 (full TCP) every 20 s.
SELECT sum(pg_temp.store(timestamptz '2030-01-02 10:00' + k * interval '20 seconds',
						   ('10.1.0.' || c)::inet, '10.6.0.1', 40000 + k, 443, 27))
FROM generate_series(1, 30) AS c, generate_series(0, 3 * 60 * 3 - 1) AS k;
-- 10.9.0.1 probes port 8080 of 20 hosts from 10:05:05, every 5 s (SYN only).
SELECT sum(pg_temp.store(timestamptz '2030-01-02 10:05' + i * interval '5 seconds',
						   '10.9.0.1', ('10.1.0.' || i)::inet, 45000, 8080, 2))
FROM generate_series(1, 20) AS i;

-- First run at 10:08: no state yet, the window [10:03, 10:08) is read from
-- raw flows; 20 targets are below scan_hosts (25).
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-02 10:08');
SELECT count(*) AS rows, sum(attempts) AS attempts, min(slot) AS first_slot, max(slot) AS last_slot
FROM netflow.scan_attempts;
SELECT count(*) AS marks FROM netflow.scan_marks;

-- Late flows: 5 more probes that started at 10:06, stored after the run
-- that covered 10:06.  The next run reads only them and finds the scan,
-- as a recount of the window from raw flows does.
SELECT sum(pg_temp.store(timestamptz '2030-01-02 10:06' + i * interval '1 second',
						   '10.9.0.1', ('10.1.0.' || (20 + i))::inet, 45000, 8080, 2))
FROM generate_series(1, 5) AS i;
CREATE TEMP TABLE step AS SELECT * FROM netflow.detect_scan_step('2030-01-02 10:09');
SELECT kind, src_addr, dst_addr, dst_port, score, first_seen, last_seen,
	   evidence->>'targets' AS targets, evidence->>'attempts' AS attempts, evidence->>'window_start' AS window_start
FROM step;
SELECT s.src_addr = f.src_addr AND s.dst_port = f.dst_port AND s.score = f.score
	   AND s.first_seen = f.first_seen AND s.last_seen = f.last_seen
	   AND s.evidence->'targets' = f.evidence->'targets' AND s.evidence->'attempts' = f.evidence->'attempts'
	   AND s.evidence->'sample' = f.evidence->'sample' AS same_as_recount
FROM step s, netflow.detect_scan('2030-01-02 10:04', '2030-01-02 10:09') f;
-- A run with no new rows counts nothing twice.
SELECT evidence->>'attempts' AS attempts, score FROM netflow.detect_scan_step('2030-01-02 10:09:30');
SELECT sum(attempts) AS attempts FROM netflow.scan_attempts WHERE src_addr = '10.9.0.1';

-- Two targets answer (SYN-ACK back), stored in a later run: 23 + 2/2 = 24
-- weighted, below 25: the scan is no longer reported.
SELECT sum(pg_temp.store(timestamptz '2030-01-02 10:05' + i * interval '5 seconds' + interval '1 second',
						   ('10.1.0.' || i)::inet, '10.9.0.1', 8080, 45000, 18))
FROM generate_series(1, 2) AS i;
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-02 10:09:45');
SELECT count(*) FILTER (WHERE answered) AS answered FROM netflow.scan_attempts;
-- One more unanswered target at 10:08: 25 weighted again.
SELECT pg_temp.store('2030-01-02 10:08:10', '10.9.0.1', '10.1.0.26', 45000, 8080, 2);
SELECT evidence->>'targets' AS targets, evidence->>'answered' AS answered, score
FROM netflow.detect_scan_step('2030-01-02 10:09:50');

-- Attempts stored in the same run as their answers, on a port new to the
-- state: 10.9.0.2 probes 9090 of 26 hosts at 10:09, 4 answer (SYN-ACK):
-- 22 + 4/2 = 24 weighted, silent; 10.9.0.3 the same without answers.
SELECT sum(pg_temp.store(timestamptz '2030-01-02 10:09' + i * interval '1 second',
						   ('10.9.0.' || s)::inet, ('10.1.0.' || i)::inet, 45000, 9090, 2))
FROM generate_series(2, 3) AS s, generate_series(1, 26) AS i;
SELECT sum(pg_temp.store(timestamptz '2030-01-02 10:09' + i * interval '1 second' + interval '500 ms',
						   ('10.1.0.' || i)::inet, '10.9.0.2', 9090, 45000, 18))
FROM generate_series(1, 4) AS i;
SELECT src_addr, dst_port, evidence->>'targets' AS targets, evidence->>'answered' AS answered, score
FROM netflow.detect_scan_step('2030-01-02 10:09:55') ORDER BY src_addr;

-- Bounded state: each run forgets the slots before the window.  At 10:11
-- the window starts at 10:06: the probes of 10:05 are gone, and the scan
-- of 10.9.0.1 with them (that of 10.9.0.3 is still there); at 10:20
-- nothing is left.
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-02 10:11');
SELECT min(slot) >= '2030-01-02 10:06' AS only_window, count(*) AS rows FROM netflow.scan_attempts;
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-02 10:20');
SELECT count(*) AS rows FROM netflow.scan_attempts;

-- After a gap longer than scan_window the state is rebuilt from the raw
-- flows of the window: a run at 10:10 (now went back) sees both scans again.
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-02 10:10');
SELECT count(*) AS rows, min(slot) AS first_slot FROM netflow.scan_attempts;

-- Through maintenance: the alert is opened by the run that reads the late
-- flows of an already-read minute.
TRUNCATE netflow.alerts, netflow.detect_state, netflow.scan_attempts, netflow.scan_marks;
INSERT INTO netflow.config VALUES ('rollups', 'off'), ('detect_slow_every', '1 day');
SELECT netflow.detect_maintenance('2030-01-02 10:06:30') AS opened;
SELECT pg_temp.store('2030-01-02 10:06:20', '10.9.0.1', '10.1.0.27', 45000, 8080, 2);
SELECT netflow.detect_maintenance('2030-01-02 10:07') AS opened;
SELECT kind, src_addr, dst_port, evidence->>'targets' AS targets FROM netflow.alerts;

-- Maintenance skips beaconing, as it does the baseline detectors, when the
-- partitions of its beacon_window hold more than detect_max_baseline_rows
-- estimated rows (here 1000; the test's flows are 16,000).
ANALYZE netflow.flows;
TRUNCATE netflow.detect_state;
INSERT INTO netflow.config VALUES ('detect_max_baseline_rows', '1000');
SELECT netflow.detect_maintenance('2030-01-02 12:00') AS opened;
SELECT regexp_split_to_table(last_skip, '; (?=[a-z_]+ skipped)') AS skipped FROM netflow.detect_state;
DELETE FROM netflow.config WHERE key = 'detect_max_baseline_rows';

-- Marks are kept for the partitions the window overlaps only.
SELECT count(*) AS marks FROM netflow.scan_marks;
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-02 23:58');
SELECT count(*) AS marks FROM netflow.scan_marks;
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-03 00:02');
SELECT count(*) AS marks FROM netflow.scan_marks;
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-03 00:06');
SELECT count(*) AS marks FROM netflow.scan_marks;

-- A partition emptied (TRUNCATE) and filled again with fewer rows than it
-- had at its mark is read again from its start: a scan stored there after
-- the TRUNCATE is found.
SELECT sum(pg_temp.store(timestamptz '2030-01-03 00:06' + k * interval '1 second',
						 ('10.1.0.' || k)::inet, '10.6.0.1', 40000 + k, 443, 27))
FROM generate_series(1, 30) AS k;
SELECT count(*) AS scans FROM netflow.detect_scan_step('2030-01-03 00:07');
TRUNCATE netflow.flows_p20300103;
SELECT sum(pg_temp.store(timestamptz '2030-01-03 00:07' + i * interval '1 second',
						 '10.9.0.4', ('10.1.2.' || i)::inet, 45000, 8080, 2))
FROM generate_series(1, 25) AS i;
SELECT src_addr, dst_port, evidence->>'targets' AS targets
FROM netflow.detect_scan_step('2030-01-03 00:08');
ROLLBACK;
