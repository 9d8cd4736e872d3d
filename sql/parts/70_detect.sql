-- 70_detect.sql: detections over flows -- scans, lateral movement,
-- exfiltration, beaconing and volume/entropy anomalies -- as set-returning
-- functions over any past range (netflow.detect), and as alerts written by
-- maintenance (netflow.alerts, NOTIFY netflow_alert).  See
-- docs/detections.md for each algorithm, its settings and blind spots.
--
-- Every detector is a plpgsql function over [from_ts, to_ts) returning the
-- rows of netflow.detect (with JIT off: the planner's estimates of their
-- CTEs are far too high, and compiling took seconds where running takes
-- less than one); they read raw flows (and netflow.host_profiles
-- for the exfiltration baseline where hours are rolled up), classify
-- addresses with netflow.internal_expr, and store nothing.

------------------------------------------------------------------------
-- Role
------------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'netflow_analyst') THEN
		CREATE ROLE netflow_analyst NOLOGIN;
		COMMENT ON ROLE netflow_analyst IS
			'Can read netflow alerts and set their state (open, acknowledged, closed)';
	END IF;
END
$$;

------------------------------------------------------------------------
-- Settings
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('detect_alerts', 'on',
	 'Whether run_maintenance runs the detectors and writes netflow.alerts (on/off; off leaves netflow.detect_maintenance to a schedule of its own)'),
	('detect_baseline', '14 days',
	 'Baseline window of the detectors that compare with the past (lateral_movement, exfiltration, volume_anomaly): 1 hour - 400 days; with less history, what there is'),
	('detect_min_history', '1 day',
	 'Least history (since the oldest flow or rollup) before the baseline detectors report anything (0 - 30 days)'),
	('detect_slow_every', '1 hour',
	 'Maintenance runs the baseline detectors and beaconing at most this often, over the time since their last run (1 minute - 1 day); scans every run'),
	('detect_max_baseline_rows', '200000000',
	 'Maintenance skips the baseline detectors (logged) when the raw partitions they would read hold more estimated rows than this, and beaconing when those of beacon_window do; 0 = no limit'),
	('scan_window', '5 minutes',
	 'Time bucket in which scan attempts are counted (10 seconds - 1 day)'),
	('scan_hosts', '25',
	 'Horizontal scan: distinct destinations of one source on one port within scan_window (2 - 1000000)'),
	('scan_ports', '15',
	 'Vertical scan: distinct ports of one source on one destination within scan_window (2 - 65536)'),
	('lateral_ports', '{22,23,135,139,445,3389,5985,5986,5900}',
	 'Administration and remote-execution ports watched for lateral movement (array of 0-65535)'),
	('lateral_server_sources', '20',
	 'Lateral movement: an internal destination that this many distinct internal sources reached on a watched port in the baseline is a shared server (file server, domain controller, jump host) and connections to it on that port are not reported (2 - 1000000)'),
	('lateral_fanout', '10',
	 'Lateral movement: new internal destinations on watched ports of one source within the range (2 - 1000000)'),
	('exfil_window', '1 hour',
	 'Exfiltration: length of the windows whose external upload is compared with the host''s baseline windows of the same length (1 minute - 1 day)'),
	('exfil_ratio', '5',
	 'Exfiltration: upload must exceed this many times the host''s largest baseline window (1 - 1000000)'),
	('exfil_min_bytes', '500000000',
	 'Exfiltration: least bytes uploaded to external addresses in one window before an alert (0 - 10^15)'),
	('exfil_new_dest_bytes', '100000000',
	 'Exfiltration: least bytes to one external destination never contacted in the baseline (0 - 10^15)'),
	('beacon_window', '12 hours',
	 'Beaconing: connections of a pair are scored over windows of this length (10 minutes - 7 days)'),
	('beacon_min_connections', '20',
	 'Beaconing: least connections of a pair within a window to be scored (4 - 1000000)'),
	('beacon_min_span', '1 hour',
	 'Beaconing: least time from a pair''s first to its last connection in a window to be scored (0 - 7 days)'),
	('beacon_score', '0.8',
	 'Beaconing: least score (0 - 1, RITA-style) for an alert'),
	('beacon_allow', '{}',
	 'Beaconing: destination networks never reported (array of cidr), e.g. an external monitoring service'),
	('volume_z', '6',
	 'Volume anomaly: least robust z-score (median, MAD) of a minute against the same hour of day in the baseline (1 - 1000)'),
	('volume_ratio', '3',
	 'Volume anomaly: flows or bytes must also be this many times the baseline median (1 - 1000)'),
	('volume_entropy_bits', '1',
	 'Volume anomaly: least change of an address or port entropy, in bits, besides its z-score (0 - 64)'),
	('volume_min_flows', '100',
	 'Volume anomaly: minutes of an exporter with fewer flows are not judged (0 - 10^12)');

-- The detection settings, parsed and validated.
-- PARALLEL UNSAFE: its EXCEPTION block starts a subtransaction.  SECURITY
-- DEFINER: readers may run the detectors but not read netflow.config.
CREATE FUNCTION netflow.detect_settings(OUT alerts boolean,
										OUT baseline interval,
										OUT min_history interval,
										OUT slow_every interval,
										OUT max_baseline_rows bigint,
										OUT scan_window interval,
										OUT scan_hosts integer,
										OUT scan_ports integer,
										OUT lateral_ports integer[],
										OUT lateral_fanout integer,
										OUT lateral_server_sources integer,
										OUT exfil_window interval,
										OUT exfil_ratio double precision,
										OUT exfil_min_bytes bigint,
										OUT exfil_new_dest_bytes bigint,
										OUT beacon_window interval,
										OUT beacon_min_connections integer,
										OUT beacon_min_span interval,
										OUT beacon_score double precision,
										OUT beacon_allow cidr[],
										OUT volume_z double precision,
										OUT volume_ratio double precision,
										OUT volume_entropy_bits double precision,
										OUT volume_min_flows bigint)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
	what	text;
	bad		boolean;
BEGIN
	FOREACH k IN ARRAY ARRAY['detect_alerts', 'detect_baseline', 'detect_min_history',
							 'detect_slow_every', 'detect_max_baseline_rows', 'scan_window',
							 'scan_hosts', 'scan_ports', 'lateral_ports', 'lateral_fanout', 'lateral_server_sources',
							 'exfil_window', 'exfil_ratio', 'exfil_min_bytes',
							 'exfil_new_dest_bytes', 'beacon_window', 'beacon_min_connections',
							 'beacon_min_span', 'beacon_score', 'beacon_allow', 'volume_z', 'volume_ratio',
							 'volume_entropy_bits', 'volume_min_flows'] LOOP
		v := netflow.config_get(k);
		what := NULL;
		BEGIN
			CASE k
				WHEN 'detect_alerts' THEN what := 'The value must be on or off.'; alerts := v::boolean;
				WHEN 'detect_baseline' THEN baseline := v::interval;
				WHEN 'detect_min_history' THEN min_history := v::interval;
				WHEN 'detect_slow_every' THEN slow_every := v::interval;
				WHEN 'detect_max_baseline_rows' THEN max_baseline_rows := v::bigint;
				WHEN 'scan_window' THEN scan_window := v::interval;
				WHEN 'scan_hosts' THEN scan_hosts := v::integer;
				WHEN 'scan_ports' THEN scan_ports := v::integer;
				WHEN 'lateral_ports' THEN what := 'The value must be an array of port numbers, e.g. {22,445}.';
					lateral_ports := v::integer[];
				WHEN 'lateral_fanout' THEN lateral_fanout := v::integer;
				WHEN 'lateral_server_sources' THEN lateral_server_sources := v::integer;
				WHEN 'exfil_window' THEN exfil_window := v::interval;
				WHEN 'exfil_ratio' THEN exfil_ratio := v::double precision;
				WHEN 'exfil_min_bytes' THEN exfil_min_bytes := v::bigint;
				WHEN 'exfil_new_dest_bytes' THEN exfil_new_dest_bytes := v::bigint;
				WHEN 'beacon_window' THEN beacon_window := v::interval;
				WHEN 'beacon_min_connections' THEN beacon_min_connections := v::integer;
				WHEN 'beacon_min_span' THEN beacon_min_span := v::interval;
				WHEN 'beacon_score' THEN beacon_score := v::double precision;
				WHEN 'beacon_allow' THEN what := 'The value must be an array of networks, e.g. {192.0.2.0/24}.';
					beacon_allow := v::cidr[];
				WHEN 'volume_z' THEN volume_z := v::double precision;
				WHEN 'volume_ratio' THEN volume_ratio := v::double precision;
				WHEN 'volume_entropy_bits' THEN volume_entropy_bits := v::double precision;
				ELSE volume_min_flows := v::bigint;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = coalesce(what, 'The value must be ' ||
								 CASE WHEN k IN ('detect_baseline', 'detect_min_history', 'detect_slow_every',
												 'scan_window', 'exfil_window', 'beacon_window', 'beacon_min_span')
									  THEN 'an interval.' ELSE 'a number.' END);
		END;
	END LOOP;
	-- Ranges: one check per setting, each with its own message.
	FOR k, bad, what IN
		VALUES ('detect_alerts', alerts IS NULL, 'The value must be on or off.'),
			   ('detect_baseline', baseline IS NULL OR baseline < interval '1 hour' OR baseline > interval '400 days',
				'The baseline must be between 1 hour and 400 days.'),
			   ('detect_min_history', min_history IS NULL OR min_history < interval '0' OR min_history > interval '30 days',
				'The least history must be between 0 and 30 days.'),
			   ('detect_slow_every', slow_every IS NULL OR slow_every < interval '1 minute' OR slow_every > interval '1 day',
				'The interval must be between 1 minute and 1 day.'),
			   ('detect_max_baseline_rows', max_baseline_rows IS NULL OR max_baseline_rows < 0,
				'The limit must be 0 (none) or more.'),
			   ('scan_window', scan_window IS NULL OR scan_window < interval '10 seconds' OR scan_window > interval '1 day',
				'The scan window must be between 10 seconds and 1 day.'),
			   ('scan_hosts', scan_hosts IS NULL OR scan_hosts NOT BETWEEN 2 AND 1000000,
				'The number of hosts must be between 2 and 1000000.'),
			   ('scan_ports', scan_ports IS NULL OR scan_ports NOT BETWEEN 2 AND 65536,
				'The number of ports must be between 2 and 65536.'),
			   ('lateral_ports', lateral_ports IS NULL OR array_position(lateral_ports, NULL) IS NOT NULL
				OR EXISTS (SELECT 1 FROM unnest(lateral_ports) p WHERE p NOT BETWEEN 0 AND 65535),
				'The value must be an array of port numbers between 0 and 65535.'),
			   ('lateral_fanout', lateral_fanout IS NULL OR lateral_fanout NOT BETWEEN 2 AND 1000000,
				'The fan-out must be between 2 and 1000000.'),
			   ('lateral_server_sources', lateral_server_sources IS NULL OR lateral_server_sources NOT BETWEEN 2 AND 1000000,
				'The number of sources must be between 2 and 1000000.'),
			   ('exfil_window', exfil_window IS NULL OR exfil_window < interval '1 minute' OR exfil_window > interval '1 day',
				'The window must be between 1 minute and 1 day.'),
			   ('exfil_ratio', exfil_ratio IS NULL OR NOT exfil_ratio BETWEEN 1 AND 1000000,
				'The ratio must be between 1 and 1000000.'),
			   ('exfil_min_bytes', exfil_min_bytes IS NULL OR exfil_min_bytes NOT BETWEEN 0 AND 1000000000000000,
				'The floor must be between 0 and 10^15 bytes.'),
			   ('exfil_new_dest_bytes', exfil_new_dest_bytes IS NULL OR exfil_new_dest_bytes NOT BETWEEN 0 AND 1000000000000000,
				'The floor must be between 0 and 10^15 bytes.'),
			   ('beacon_window', beacon_window IS NULL OR beacon_window < interval '10 minutes' OR beacon_window > interval '7 days',
				'The window must be between 10 minutes and 7 days.'),
			   ('beacon_min_connections', beacon_min_connections IS NULL OR beacon_min_connections NOT BETWEEN 4 AND 1000000,
				'The number of connections must be between 4 and 1000000.'),
			   ('beacon_min_span', beacon_min_span IS NULL OR beacon_min_span < interval '0' OR beacon_min_span > interval '7 days',
				'The span must be between 0 and 7 days.'),
			   ('beacon_score', beacon_score IS NULL OR NOT beacon_score BETWEEN 0 AND 1,
				'The score must be between 0 and 1.'),
			   ('beacon_allow', beacon_allow IS NULL OR array_position(beacon_allow, NULL) IS NOT NULL,
				'The value must be an array of networks without NULL.'),
			   ('volume_z', volume_z IS NULL OR NOT volume_z BETWEEN 1 AND 1000,
				'The z-score must be between 1 and 1000.'),
			   ('volume_ratio', volume_ratio IS NULL OR NOT volume_ratio BETWEEN 1 AND 1000,
				'The ratio must be between 1 and 1000.'),
			   ('volume_entropy_bits', volume_entropy_bits IS NULL OR NOT volume_entropy_bits BETWEEN 0 AND 64,
				'The change must be between 0 and 64 bits.'),
			   ('volume_min_flows', volume_min_flows IS NULL OR volume_min_flows NOT BETWEEN 0 AND 1000000000000,
				'The number of flows must be between 0 and 10^12.')
	LOOP
		IF bad THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, netflow.config_get(k)
				USING ERRCODE = 'invalid_parameter_value', DETAIL = what;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.detect_settings() IS
	'Effective detection settings (detect_*, scan_*, lateral_*, exfil_*, beacon_*, volume_* from netflow.config), validated';
REVOKE ALL ON FUNCTION netflow.detect_settings() FROM PUBLIC;

------------------------------------------------------------------------
-- Helpers
------------------------------------------------------------------------

-- When the history starts: the earliest of the oldest hourly rollup and the
-- hour of the oldest flow of the oldest non-empty partition of
-- netflow.flows (NULL when there is none).  Reads one partition, from its first stored row back.
-- SECURITY DEFINER: readers may not read the partitions themselves.
CREATE FUNCTION netflow.detect_history_start()
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p		record;
	t		timestamptz;
	first	timestamptz;
BEGIN
	FOR p IN SELECT fp.partition FROM netflow.flows_partitions() fp ORDER BY fp.lower LOOP
		EXECUTE format('SELECT time_start FROM %s LIMIT 1', p.partition) INTO t;
		IF t IS NOT NULL THEN
			EXECUTE format('SELECT min(time_start) FROM %s WHERE time_start <= $1', p.partition)
				INTO t USING t;
			first := t;
			EXIT;
		END IF;
	END LOOP;
	RETURN least(date_trunc('hour', first), (SELECT min(h.hour) FROM netflow.rollup_hours h WHERE h.flows > 0));
END
$$;
COMMENT ON FUNCTION netflow.detect_history_start() IS
	'Start of the stored history: earliest of the hour of the oldest flow (of the oldest non-empty partition) and the oldest hourly rollup with flows; NULL when nothing is stored';
REVOKE ALL ON FUNCTION netflow.detect_history_start() FROM PUBLIC;

-- The baseline before from_ts: [greatest(from_ts - detect_baseline, history
-- start), from_ts), and whether it is long enough (detect_min_history).
CREATE FUNCTION netflow.detect_baseline_range(from_ts timestamptz, s record,
											  OUT lower timestamptz, OUT upper timestamptz,
											  OUT enough boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h		timestamptz := netflow.detect_history_start();
BEGIN
	upper := from_ts;
	lower := greatest(from_ts - s.baseline, coalesce(h, from_ts));
	enough := h IS NOT NULL AND from_ts - h >= s.min_history AND lower < upper;
END
$$;
COMMENT ON FUNCTION netflow.detect_baseline_range(timestamptz, record) IS
	'Baseline range before from_ts (detect_baseline, shortened to the stored history) and whether it covers detect_min_history (internal)';

-- SQL condition over netflow.flows f: a flow that looks like an unanswered
-- attempt -- TCP with SYN and without ACK, or (no TCP flags) at most two
-- packets of at most 128 bytes each -- and not the reverse half of a
-- biflow (flags bit 4).
CREATE FUNCTION netflow.detect_attempt_expr()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT '(coalesce(f.flags, 0) & 16 = 0 AND CASE WHEN f.protocol = 6 AND coalesce(f.tcp_flags, 0) <> 0 '
		   'THEN f.tcp_flags & 18 = 2 '
		   'ELSE coalesce(f.packets, 1) <= 2 AND coalesce(f.bytes, 0) <= 128 * greatest(coalesce(f.packets, 1), 1) END)'
$$;
COMMENT ON FUNCTION netflow.detect_attempt_expr() IS
	'SQL condition over netflow.flows f true for a connection attempt that looks unanswered: TCP SYN without ACK, or without TCP flags at most 2 packets of at most 128 bytes (internal)';

------------------------------------------------------------------------
-- Detectors.  Each returns the columns of netflow.detect.
------------------------------------------------------------------------

-- Scans (Zeek's scan policy, on flows).  Within buckets of scan_window
-- (from from_ts on), attempts (netflow.detect_attempt_expr) of one source:
-- horizontal, to scan_hosts or more distinct destinations on one port;
-- vertical, to scan_ports or more distinct ports of one destination.  A
-- target counts 1 when no flow came back from it in the range, 1/2 when
-- one did (TCP only: the port answered, e.g. SYN-ACK; other protocols
-- count 0 then).  Score: weighted targets / threshold.
CREATE FUNCTION netflow.detect_scan(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	RETURN QUERY EXECUTE format($q$
		WITH a AS MATERIALIZED (
			SELECT date_bin($3, f.time_start, $1) AS b, f.src_addr AS s, f.dst_addr AS d,
				   f.dst_port AS p, f.protocol = 6 AS tcp, f.time_start AS t0,
				   coalesce(f.time_end, f.time_start) AS t1
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2
			  AND f.src_addr IS NOT NULL AND f.dst_addr IS NOT NULL AND f.dst_port IS NOT NULL
			  AND f.protocol IN (6, 17) AND %s
		),
		groups AS (
			SELECT 'horizontal' AS type, a.b, a.s, NULL::inet AS d, a.p
			FROM a GROUP BY a.b, a.s, a.p HAVING count(DISTINCT a.d) >= $4
			UNION ALL
			SELECT 'vertical', a.b, a.s, a.d, NULL::integer
			FROM a GROUP BY a.b, a.s, a.d HAVING count(DISTINCT a.p) >= $5
		),
		-- The attempts of each group (two equi-joins: an attempt is in at
		-- most one group of each type).
		cand0 AS MATERIALIZED (
			SELECT g.type, g.b, g.s, g.d AS gd, g.p AS gp, a.d, a.p, a.tcp, a.t0, a.t1
			FROM groups g
			JOIN a ON a.b = g.b AND a.s = g.s AND a.p = g.p
			WHERE g.type = 'horizontal'
			UNION ALL
			SELECT g.type, g.b, g.s, g.d, g.p, a.d, a.p, a.tcp, a.t0, a.t1
			FROM groups g
			JOIN a ON a.b = g.b AND a.s = g.s AND a.d = g.d
			WHERE g.type = 'vertical'
		),
		-- Flows back from a target's port, other than resets.
		back AS MATERIALIZED (
			SELECT DISTINCT f.src_addr, f.dst_addr, f.src_port
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 + $3
			  AND NOT (f.protocol = 6 AND coalesce(f.tcp_flags, 0) & 4 <> 0)
			  AND (f.src_addr, f.dst_addr) IN (SELECT c.d, c.s FROM cand0 c)
		),
		targets AS (
			SELECT c.type, c.b, c.s, c.gd, c.gp,
				   CASE WHEN c.type = 'horizontal' THEN host(c.d) ELSE c.p::text END AS target,
				   bool_or(c.tcp) AS tcp,
				   bool_or(r.src_addr IS NOT NULL) AS answered,
				   min(c.t0) AS t0, max(c.t1) AS t1, count(*) AS attempts
			FROM cand0 c
			LEFT JOIN back r ON r.src_addr = c.d AND r.dst_addr = c.s AND r.src_port = c.p
			GROUP BY 1, 2, 3, 4, 5, 6
		),
		scored AS (
			SELECT t.type, t.b, t.s, t.gd, t.gp,
				   count(*) FILTER (WHERE NOT t.answered) AS unanswered,
				   count(*) FILTER (WHERE t.answered) AS answered,
				   count(*) FILTER (WHERE NOT t.answered)
					   + 0.5 * count(*) FILTER (WHERE t.answered AND t.tcp) AS weight,
				   sum(t.attempts) AS attempts, min(t.t0) AS t0, max(t.t1) AS t1,
				   (array_agg(t.target ORDER BY t.target))[1:20] AS sample
			FROM targets t
			GROUP BY 1, 2, 3, 4, 5
		)
		SELECT 'scan'::text, x.s, x.gd, x.gp,
			   max(x.weight / CASE WHEN x.type = 'horizontal' THEN $4 ELSE $5 END)::double precision,
			   min(x.t0), max(x.t1),
			   jsonb_build_object('type', min(x.type),
								  'threshold', CASE WHEN min(x.type) = 'horizontal' THEN $4 ELSE $5 END,
								  'window', $3::text,
								  'windows', count(*),
								  'targets', max(x.unanswered + x.answered),
								  'unanswered', max(x.unanswered),
								  'answered', max(x.answered),
								  'attempts', sum(x.attempts),
								  'sample', (array_agg(to_jsonb(x.sample) ORDER BY x.weight DESC))[1])
		FROM scored x
		WHERE x.weight >= CASE WHEN x.type = 'horizontal' THEN $4 ELSE $5 END
		GROUP BY x.s, x.gd, x.gp$q$, netflow.detect_attempt_expr())
	USING from_ts, to_ts, s.scan_window, s.scan_hosts, s.scan_ports;
END
$$;
COMMENT ON FUNCTION netflow.detect_scan(timestamptz, timestamptz) IS
	'Scan detector over [from_ts, to_ts): horizontal (scan_hosts destinations on one port) and vertical (scan_ports ports of one destination) within scan_window buckets, counting unanswered attempts 1 and answered TCP attempts 1/2; see docs/detections.md';

-- The scan detection of maintenance, incremental.  Re-counting the whole
-- scan_window of raw flows every run costs the rate times the window (30
-- million flows at 100,000 flows/s for 5 minutes); instead each run reads
-- only the rows stored since the last run -- per partition, the heap tuples
-- after the last one it read (a TID range scan) -- and keeps their attempts
-- in netflow.scan_attempts, one row per slot (scan_window, at most a
-- minute), source, destination and port.  Late flows (an old time_start,
-- stored now) are new rows and are counted in the slot of their start.

-- Attempts of the recent past, per slot (internal state of maintenance's
-- scan detection; rebuilt from raw flows when missing).
CREATE TABLE netflow.scan_attempts (
	slot		timestamptz NOT NULL,
	src_addr	inet NOT NULL,
	dst_addr	inet NOT NULL,
	dst_port	integer NOT NULL,
	tcp			boolean NOT NULL,
	attempts	bigint NOT NULL,
	first_seen	timestamptz NOT NULL,
	last_seen	timestamptz NOT NULL,
	answered	boolean NOT NULL DEFAULT false,
	PRIMARY KEY (src_addr, dst_addr, dst_port, slot)
);
COMMENT ON TABLE netflow.scan_attempts IS
	'State of the scan detection of maintenance (internal): the connection attempts of the last scan_window, one row per slot (scan_window, at most 1 minute), source, destination and port; slots older than the window are deleted every run; rebuilt from raw flows when missing, so not dumped';
COMMENT ON COLUMN netflow.scan_attempts.slot IS 'Start of the slot of the attempts (flow start times, binned from 2000-01-01 UTC)';
COMMENT ON COLUMN netflow.scan_attempts.src_addr IS 'Source of the attempts (the possible scanner)';
COMMENT ON COLUMN netflow.scan_attempts.dst_addr IS 'Destination of the attempts';
COMMENT ON COLUMN netflow.scan_attempts.dst_port IS 'Destination port of the attempts';
COMMENT ON COLUMN netflow.scan_attempts.tcp IS 'Whether one of the attempts was TCP';
COMMENT ON COLUMN netflow.scan_attempts.attempts IS 'Attempt flows in the slot';
COMMENT ON COLUMN netflow.scan_attempts.first_seen IS 'Earliest start of the attempts in the slot';
COMMENT ON COLUMN netflow.scan_attempts.last_seen IS 'Latest end (or start) of the attempts in the slot';
COMMENT ON COLUMN netflow.scan_attempts.answered IS 'Whether a flow other than a reset came back from the destination''s port to the source (read so far)';

-- Where the scan detection of maintenance stands in each partition.
CREATE TABLE netflow.scan_marks (
	part		oid PRIMARY KEY,
	upto_tid	tid NOT NULL,
	upto		timestamptz NOT NULL
);
COMMENT ON TABLE netflow.scan_marks IS
	'State of the scan detection of maintenance (internal): per partition of netflow.flows, the last heap tuple read; rows for partitions gone or out of the window are deleted every run';
COMMENT ON COLUMN netflow.scan_marks.part IS 'OID of the partition';
COMMENT ON COLUMN netflow.scan_marks.upto_tid IS 'Last tuple read (the rows after it are new)';
COMMENT ON COLUMN netflow.scan_marks.upto IS 'The now of the run that read it';

-- The last visible heap tuple of a partition (NULL when it has none), by
-- TID range scans of its last 1, 4, 16, ... blocks.
CREATE FUNCTION netflow.detect_scan_last_tid(part regclass)
RETURNS tid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	nb		bigint := pg_relation_size(part) / current_setting('block_size')::bigint;
	k		bigint := 1;
	t		tid;
BEGIN
	WHILE nb > 0 LOOP
		EXECUTE format('SELECT max(ctid) FROM %s WHERE ctid >= $1', part)
			INTO t USING format('(%s,0)', greatest(nb - k, 0))::tid;
		IF t IS NOT NULL OR k >= nb THEN
			RETURN t;
		END IF;
		k := k * 4;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION netflow.detect_scan_last_tid(regclass) IS
	'Last visible heap tuple of a partition, NULL when it has none (internal, scan detection of maintenance)';
REVOKE ALL ON FUNCTION netflow.detect_scan_last_tid(regclass) FROM PUBLIC;

-- One run of the scan detection of maintenance as of now: brings
-- netflow.scan_attempts up to date with the rows stored since the last run
-- (only those starting in the window, [slot of (now - scan_window), now +
-- one slot)), marks attempts answered by the new rows, forgets slots older than
-- the window, and returns the scans of the window as netflow.detect_scan
-- would (one bucket: the window, from its slot boundary to now).  Partitions
-- without a mark -- all of them on the first run, after a gap longer than
-- scan_window, or when now goes back -- are read by time range instead.
CREATE FUNCTION netflow.detect_scan_step(now timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	s		record := netflow.detect_settings();
	slot	interval;
	lo		timestamptz;
	hi_t	timestamptz;
	p		record;
	hi		tid;
	rng		text;
	ports	integer[];
BEGIN
	slot := least(s.scan_window, interval '1 minute');
	-- The window: whole slots, from the one holding now - scan_window.
	lo := date_bin(slot, now - s.scan_window, timestamptz '2000-01-01 00:00+00');
	hi_t := now + slot;
	-- Marks too old (a gap: the new rows may be many) or from the future
	-- (now went back): start again from raw flows.
	IF EXISTS (SELECT 1 FROM netflow.scan_marks m WHERE m.upto < now - s.scan_window OR m.upto > now) THEN
		DELETE FROM netflow.scan_marks;
		DELETE FROM netflow.scan_attempts;
	END IF;
	DELETE FROM netflow.scan_attempts a WHERE a.slot < lo OR a.slot >= hi_t;
	DELETE FROM netflow.scan_marks m
	WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() fp
					  WHERE fp.partition = m.part AND fp.upper > lo AND fp.lower < hi_t);
	FOR p IN
		SELECT fp.partition, m.upto_tid AS mark
		FROM netflow.flows_partitions() fp
		LEFT JOIN netflow.scan_marks m ON m.part = fp.partition
		WHERE fp.upper > lo AND fp.lower < hi_t
		ORDER BY fp.lower
	LOOP
		hi := netflow.detect_scan_last_tid(p.partition);
		-- Emptied or rewritten smaller (TRUNCATE, VACUUM FULL) since the
		-- mark: read by time range again.
		IF p.mark IS NOT NULL AND (hi IS NULL OR hi < p.mark) THEN
			p.mark := NULL;
		END IF;
		IF hi IS NOT NULL AND (p.mark IS NULL OR hi > p.mark) THEN
			rng := CASE WHEN p.mark IS NULL THEN 'f.ctid <= $4' ELSE 'f.ctid > $3 AND f.ctid <= $4' END;
			-- One pass over the new rows: their attempts, and the flows that
			-- may answer one (anything but a reset from a port that an
			-- unanswered attempt of the state went to), merged into the
			-- state per slot and target.  The attempts' own condition is
			-- evaluated only on rows with SYN without ACK or at most 2
			-- packets (which it implies).
			SELECT coalesce(array_agg(DISTINCT a.dst_port), '{}') INTO ports
			FROM netflow.scan_attempts a WHERE NOT a.answered;
			EXECUTE format($q$
				WITH r AS MATERIALIZED (
					SELECT date_bin($5, f.time_start, timestamptz '2000-01-01 00:00+00') AS slot,
						   f.src_addr AS s, f.dst_addr AS d, f.src_port AS sp, f.dst_port AS p,
						   f.protocol = 6 AS tcp, f.time_start AS t0, coalesce(f.time_end, f.time_start) AS t1,
						   f.src_addr IS NOT NULL AND f.dst_addr IS NOT NULL AND f.dst_port IS NOT NULL
						   AND f.protocol IN (6, 17) AND %3$s AS attempt,
						   NOT (f.protocol = 6 AND coalesce(f.tcp_flags, 0) & 4 <> 0) AS reply
					FROM %1$s f
					WHERE %2$s AND f.time_start >= $1 AND f.time_start < $2
					  AND (f.tcp_flags & 18 = 2 OR coalesce(f.packets, 1) <= 2 OR f.src_port = ANY (%4$L::integer[]))
				),
				att AS (
					SELECT r.slot, r.s, r.d, r.p, bool_or(r.tcp) AS tcp, count(*) AS n,
						   min(r.t0) AS t0, max(r.t1) AS t1
					FROM r WHERE r.attempt GROUP BY 1, 2, 3, 4
				),
				rep AS MATERIALIZED (
					SELECT DISTINCT r.d AS s, r.s AS d, r.sp AS p FROM r
					WHERE r.reply AND r.s IS NOT NULL AND r.d IS NOT NULL AND r.sp IS NOT NULL
				),
				up AS (
					SELECT a.slot, a.s, a.d, a.p, a.tcp, a.n, a.t0, a.t1,
						   rep.s IS NOT NULL
						   OR EXISTS (SELECT 1 FROM netflow.scan_attempts o
									  WHERE o.src_addr = a.s AND o.dst_addr = a.d AND o.dst_port = a.p
										AND o.answered) AS answered
					FROM att a LEFT JOIN rep ON rep.s = a.s AND rep.d = a.d AND rep.p = a.p
					UNION ALL
					SELECT o.slot, o.src_addr, o.dst_addr, o.dst_port, o.tcp, 0, o.first_seen, o.last_seen, true
					FROM netflow.scan_attempts o
					JOIN rep ON rep.s = o.src_addr AND rep.d = o.dst_addr AND rep.p = o.dst_port
					WHERE NOT o.answered
				)
				INSERT INTO netflow.scan_attempts AS x (slot, src_addr, dst_addr, dst_port, tcp, attempts,
														first_seen, last_seen, answered)
				SELECT u.slot, u.s, u.d, u.p, bool_or(u.tcp), sum(u.n), min(u.t0), max(u.t1), bool_or(u.answered)
				FROM up u GROUP BY 1, 2, 3, 4
				ON CONFLICT (src_addr, dst_addr, dst_port, slot) DO UPDATE
				SET tcp = x.tcp OR excluded.tcp, attempts = x.attempts + excluded.attempts,
					first_seen = least(x.first_seen, excluded.first_seen),
					last_seen = greatest(x.last_seen, excluded.last_seen),
					answered = x.answered OR excluded.answered$q$,
				p.partition, rng, netflow.detect_attempt_expr(), ports)
				USING lo, hi_t, p.mark, hi, slot;
			-- Attempts to ports the pass did not look for answers from (new
			-- in these rows): a second pass for answers from those ports.
			SELECT array_agg(DISTINCT a.dst_port) INTO ports
			FROM netflow.scan_attempts a WHERE NOT a.answered AND a.dst_port <> ALL (ports);
			IF ports IS NOT NULL THEN
				EXECUTE format($q$
					UPDATE netflow.scan_attempts x SET answered = true
					FROM (SELECT DISTINCT f.dst_addr AS s, f.src_addr AS d, f.src_port AS p
						  FROM %1$s f
						  WHERE %2$s AND f.time_start >= $1 AND f.time_start < $2
							AND f.src_port = ANY (%3$L::integer[])
							AND NOT (f.protocol = 6 AND coalesce(f.tcp_flags, 0) & 4 <> 0)) r
					WHERE x.src_addr = r.s AND x.dst_addr = r.d AND x.dst_port = r.p AND NOT x.answered$q$,
					p.partition, rng, ports)
					USING lo, hi_t, p.mark, hi, slot;
			END IF;
		END IF;
		INSERT INTO netflow.scan_marks AS m (part, upto_tid, upto)
		VALUES (p.partition, coalesce(greatest(hi, p.mark), '(0,0)'), now)
		ON CONFLICT (part) DO UPDATE SET upto_tid = excluded.upto_tid, upto = excluded.upto;
	END LOOP;
	-- The window: per target, then per horizontal and vertical group (a
	-- group has at most as much weight as targets: those with fewer are
	-- left out before the weighing).
	RETURN QUERY
	WITH w AS (
		SELECT a.src_addr AS s, a.dst_addr AS d, a.dst_port AS p, bool_or(a.tcp) AS tcp,
			   bool_or(a.answered) AS answered, sum(a.attempts) AS attempts,
			   min(a.first_seen) AS t0, max(a.last_seen) AS t1
		FROM netflow.scan_attempts a
		GROUP BY 1, 2, 3
	),
	g AS (
		SELECT 'horizontal' AS type, w.s, NULL::inet AS gd, w.p AS gp, s.scan_hosts AS threshold,
			   count(*) FILTER (WHERE NOT w.answered) AS unanswered,
			   count(*) FILTER (WHERE w.answered) AS answered,
			   count(*) FILTER (WHERE NOT w.answered)
				   + 0.5 * count(*) FILTER (WHERE w.answered AND w.tcp) AS weight,
			   sum(w.attempts) AS attempts, min(w.t0) AS t0, max(w.t1) AS t1,
			   (array_agg(host(w.d) ORDER BY host(w.d)))[1:20] AS sample
		FROM w GROUP BY w.s, w.p HAVING count(*) >= s.scan_hosts
		UNION ALL
		SELECT 'vertical', w.s, w.d, NULL::integer, s.scan_ports,
			   count(*) FILTER (WHERE NOT w.answered),
			   count(*) FILTER (WHERE w.answered),
			   count(*) FILTER (WHERE NOT w.answered)
				   + 0.5 * count(*) FILTER (WHERE w.answered AND w.tcp),
			   sum(w.attempts), min(w.t0), max(w.t1),
			   (array_agg(w.p::text ORDER BY w.p::text))[1:20]
		FROM w GROUP BY w.s, w.d HAVING count(*) >= s.scan_ports
	)
	SELECT 'scan'::text, g.s, g.gd, g.gp, (g.weight / g.threshold)::double precision, g.t0, g.t1,
		   jsonb_build_object('type', g.type, 'threshold', g.threshold, 'window', s.scan_window::text,
							  'window_start', lo, 'windows', 1,
							  'targets', g.unanswered + g.answered, 'unanswered', g.unanswered,
							  'answered', g.answered, 'attempts', g.attempts, 'sample', to_jsonb(g.sample))
	FROM g
	WHERE g.weight >= g.threshold;
END
$$;
COMMENT ON FUNCTION netflow.detect_scan_step(timestamptz) IS
	'Scan detection of maintenance as of now (internal): reads the rows stored since the last run into netflow.scan_attempts and returns the scans of the last scan_window (in whole slots, up to now) as netflow.detect_scan would; see docs/detections.md';
REVOKE ALL ON FUNCTION netflow.detect_scan_step(timestamptz) FROM PUBLIC;

-- Lateral movement.  Internal-to-internal flows on lateral_ports in the
-- range, by source and port: a source that used the port towards no
-- internal host in the baseline is reported (new_source); a source that
-- did, when it reached lateral_fanout or more internal destinations new to
-- it on the port (fan_out).  Shared servers -- destinations that
-- lateral_server_sources or more internal sources reached on the port in
-- the baseline -- are left out.  Needs detect_min_history of history.
-- Score: new_source 1 + new destinations / lateral_fanout; fan_out new
-- destinations / lateral_fanout.
CREATE FUNCTION netflow.detect_lateral_movement(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
	bl		record;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	bl := netflow.detect_baseline_range(from_ts, s);
	IF NOT bl.enough THEN
		RAISE NOTICE 'lateral_movement skipped: less than % of history before %', s.min_history, from_ts;
		RETURN;
	END IF;
	RETURN QUERY EXECUTE format($q$
		WITH cur AS MATERIALIZED (
			SELECT f.src_addr AS s, f.dst_addr AS d, f.dst_port AS p, f.time_start AS t0,
				   coalesce(f.time_end, f.time_start) AS t1, %3$s AS attempt
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 AND f.dst_port = ANY ($5)
			  AND f.src_addr <> f.dst_addr AND coalesce(f.flags, 0) & 16 = 0
			  AND %1$s AND %2$s
		),
		base AS MATERIALIZED (
			SELECT DISTINCT f.src_addr AS s, f.dst_addr AS d, f.dst_port AS p
			FROM netflow.flows f
			WHERE f.time_start >= $3 AND f.time_start < $4 AND f.dst_port = ANY ($5)
			  AND coalesce(f.flags, 0) & 16 = 0
			  AND f.src_addr IN (SELECT c.s FROM cur c) AND %2$s
		),
		-- Shared servers: reached on the port by lateral_server_sources or
		-- more internal sources in the baseline.
		servers AS MATERIALIZED (
			SELECT f.dst_addr AS d, f.dst_port AS p
			FROM netflow.flows f
			WHERE f.time_start >= $3 AND f.time_start < $4 AND f.dst_port = ANY ($5)
			  AND coalesce(f.flags, 0) & 16 = 0
			  AND (f.dst_addr, f.dst_port) IN (SELECT c.d, c.p FROM cur c) AND %1$s
			GROUP BY 1, 2
			HAVING count(DISTINCT f.src_addr) >= $7
		),
		per_dst AS (
			SELECT c.s, c.p, c.d, min(c.t0) AS t0, max(c.t1) AS t1, count(*) AS flows,
				   bool_and(c.attempt) AS only_attempts,
				   NOT EXISTS (SELECT 1 FROM base b WHERE b.s = c.s AND b.p = c.p AND b.d = c.d) AS new_dst
			FROM cur c
			WHERE NOT EXISTS (SELECT 1 FROM servers v WHERE v.d = c.d AND v.p = c.p)
			GROUP BY c.s, c.p, c.d
		),
		per_src AS (
			SELECT x.s, x.p,
				   NOT EXISTS (SELECT 1 FROM base b WHERE b.s = x.s AND b.p = x.p) AS new_source,
				   count(*) FILTER (WHERE x.new_dst) AS new_dsts,
				   count(*) AS dsts,
				   (SELECT count(DISTINCT b.d) FROM base b WHERE b.s = x.s AND b.p = x.p) AS baseline_dsts,
				   count(*) FILTER (WHERE x.only_attempts) AS unanswered_dsts,
				   sum(x.flows) AS flows,
				   min(x.t0) FILTER (WHERE x.new_dst) AS t0, max(x.t1) FILTER (WHERE x.new_dst) AS t1,
				   (array_agg(host(x.d) ORDER BY x.t0) FILTER (WHERE x.new_dst))[1:20] AS sample
			FROM per_dst x
			GROUP BY x.s, x.p
		)
		SELECT 'lateral_movement'::text, y.s, NULL::inet, y.p,
			   (CASE WHEN y.new_source THEN 1 ELSE 0 END + y.new_dsts::double precision / $6),
			   y.t0, y.t1,
			   jsonb_build_object('type', CASE WHEN y.new_source THEN 'new_source' ELSE 'fan_out' END,
								  'new_destinations', y.new_dsts, 'destinations', y.dsts,
								  'baseline_destinations', y.baseline_dsts,
								  'unanswered_destinations', y.unanswered_dsts,
								  'flows', y.flows, 'fanout_threshold', $6,
								  'baseline_from', $3, 'baseline_to', $4, 'sample', y.sample)
		FROM per_src y
		WHERE y.new_dsts > 0 AND (y.new_source OR y.new_dsts >= $6)$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'),
		netflow.detect_attempt_expr())
	USING from_ts, to_ts, bl.lower, bl.upper, s.lateral_ports, s.lateral_fanout, s.lateral_server_sources;
END
$$;
COMMENT ON FUNCTION netflow.detect_lateral_movement(timestamptz, timestamptz) IS
	'Lateral movement detector over [from_ts, to_ts): internal sources using a lateral_ports port towards internal hosts without having done so in the baseline (new_source), or reaching lateral_fanout new internal destinations on it (fan_out); see docs/detections.md';

-- Exfiltration.  Per internal source and window of exfil_window (from
-- from_ts on): bytes sent to external addresses.  volume: at least
-- exfil_min_bytes and more than exfil_ratio times the largest window of
-- the same length in the baseline (hours from netflow.host_profiles when
-- exfil_window is 1 hour and they are rolled up, raw flows otherwise).
-- new_destination: at least exfil_new_dest_bytes to one external address
-- the source never sent to in the baseline.  Needs detect_min_history.
CREATE FUNCTION netflow.detect_exfiltration(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
	bl		record;
	hupto	timestamptz;
	floor_b bigint;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	bl := netflow.detect_baseline_range(from_ts, s);
	IF NOT bl.enough THEN
		RAISE NOTICE 'exfiltration skipped: less than % of history before %', s.min_history, from_ts;
		RETURN;
	END IF;
	-- Hours the host profiles hold (only usable for 1-hour windows).
	hupto := CASE WHEN s.exfil_window = interval '1 hour'
				  THEN (SELECT r.hours_upto FROM netflow.rollup_state r) END;
	hupto := least(greatest(coalesce(hupto, '-infinity'), bl.lower), bl.upper);
	floor_b := least(s.exfil_min_bytes, s.exfil_new_dest_bytes);
	RETURN QUERY EXECUTE format($q$
		WITH out_flows AS MATERIALIZED (
			SELECT date_bin($3, f.time_start, $1) AS b, f.src_addr AS s, f.dst_addr AS d,
				   f.dst_port AS p, coalesce(f.bytes, 0) AS bytes, f.time_start AS t0,
				   coalesce(f.time_end, f.time_start) AS t1
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 AND coalesce(f.flags, 0) & 16 = 0
			  AND %1$s AND NOT %2$s
		),
		win AS MATERIALIZED (
			SELECT o.b, o.s, sum(o.bytes) AS bytes, count(*) AS flows,
				   count(DISTINCT o.d) AS dsts, min(o.t0) AS t0, max(o.t1) AS t1
			FROM out_flows o GROUP BY o.b, o.s
			HAVING sum(o.bytes) >= $9
		),
		pair AS MATERIALIZED (
			SELECT o.b, o.s, o.d, sum(o.bytes) AS bytes, count(*) AS flows,
				   min(o.t0) AS t0, max(o.t1) AS t1, mode() WITHIN GROUP (ORDER BY o.p) AS p
			FROM out_flows o GROUP BY o.b, o.s, o.d
			HAVING sum(o.bytes) >= $8
		),
		srcs AS MATERIALIZED (SELECT DISTINCT w.s FROM win w UNION SELECT DISTINCT p.s FROM pair p),
		-- Baseline windows of the candidate sources: stored hours, then raw flows.
		base_win AS MATERIALIZED (
			SELECT h.addr AS s, h.hour AS b, h.bytes_sent_external AS bytes
			FROM netflow.host_profiles h
			WHERE h.hour >= $4 AND h.hour < $5 AND h.addr IN (SELECT s FROM srcs)
			UNION ALL
			SELECT f.src_addr, date_bin($3, f.time_start, $1), sum(coalesce(f.bytes, 0))
			FROM netflow.flows f
			WHERE f.time_start >= $5 AND f.time_start < $6 AND coalesce(f.flags, 0) & 16 = 0
			  AND f.src_addr IN (SELECT s FROM srcs) AND %1$s AND NOT %2$s
			GROUP BY 1, 2
		),
		base AS (
			SELECT w.s, max(w.bytes) AS max_bytes, avg(w.bytes) AS avg_bytes, count(*) AS windows
			FROM base_win w GROUP BY w.s
		),
		base_pairs AS MATERIALIZED (
			SELECT DISTINCT f.src_addr AS s, f.dst_addr AS d
			FROM netflow.flows f
			WHERE f.time_start >= $4 AND f.time_start < $6
			  AND (f.src_addr, f.dst_addr) IN (SELECT p.s, p.d FROM pair p)
		),
		vol AS (
			SELECT w.s, NULL::inet AS d, NULL::integer AS p,
				   w.bytes::double precision / ($7 * greatest(coalesce(bs.max_bytes, 0), 1)) AS score,
				   w.t0, w.t1,
				   jsonb_build_object('type', 'volume', 'bytes', w.bytes, 'flows', w.flows,
									  'destinations', w.dsts, 'window', $3::text, 'window_start', w.b,
									  'baseline_max_bytes', coalesce(bs.max_bytes, 0),
									  'baseline_avg_bytes', round(coalesce(bs.avg_bytes, 0)),
									  'baseline_windows', coalesce(bs.windows, 0),
									  'ratio', round((w.bytes::numeric / greatest(coalesce(bs.max_bytes, 0), 1)), 2),
									  'baseline_from', $4, 'baseline_to', $6) AS ev
			FROM win w LEFT JOIN base bs ON bs.s = w.s
			WHERE w.bytes >= $10 AND w.bytes > $7 * coalesce(bs.max_bytes, 0)
		),
		newdst AS (
			SELECT p.s, p.d, NULL::integer AS p,
				   p.bytes::double precision / greatest($8, 1) AS score, p.t0, p.t1,
				   jsonb_build_object('type', 'new_destination', 'bytes', p.bytes, 'flows', p.flows,
									  'port', p.p, 'window', $3::text, 'window_start', p.b,
									  'baseline_from', $4, 'baseline_to', $6) AS ev
			FROM pair p
			WHERE NOT EXISTS (SELECT 1 FROM base_pairs bp WHERE bp.s = p.s AND bp.d = p.d)
		),
		alerts AS (SELECT * FROM vol UNION ALL SELECT * FROM newdst)
		SELECT 'exfiltration'::text, a.s, a.d, a.p, max(a.score), min(a.t0), max(a.t1),
			   (array_agg(a.ev ORDER BY a.score DESC))[1] || jsonb_build_object('windows', count(*))
		FROM alerts a
		GROUP BY a.s, a.d, a.p$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'))
	USING from_ts, to_ts, s.exfil_window, bl.lower, hupto, bl.upper, s.exfil_ratio,
		  s.exfil_new_dest_bytes, floor_b, s.exfil_min_bytes;
END
$$;
COMMENT ON FUNCTION netflow.detect_exfiltration(timestamptz, timestamptz) IS
	'Exfiltration detector over [from_ts, to_ts): internal hosts uploading to external addresses more than exfil_ratio times their largest baseline window and exfil_min_bytes (volume), or exfil_new_dest_bytes to a never-seen external address (new_destination); see docs/detections.md';

-- Beaconing (RITA's beacon analysis, on flow start times).  Per internal
-- source, external destination (outside beacon_allow) and destination port,
-- within windows of beacon_window with at least beacon_min_connections
-- flows: intervals between successive starts and flow sizes (bytes) are
-- scored as RITA does -- Bowley skewness 1 - |(Q1 + Q3 - 2 Q2) / (Q3 - Q1)|
-- (0 skew unless Q1 < Q2 < Q3, as RITA),
-- dispersion 1 - MAD / 30 s (intervals) and 1 - MAD / 32 bytes (sizes),
-- clamped to [0, 1], size smallness 1 - mode / 65535 -- plus coverage, the
-- share of the hours from the pair's first connection to the end of the
-- window that saw a connection.  Pairs whose connections span less than
-- beacon_min_span are not scored.  Score: mean of the
-- interval score (skew, dispersion, coverage) and the size score (skew,
-- dispersion, smallness).  Internal-to-internal pairs are not scored.
CREATE FUNCTION netflow.detect_beaconing(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	RETURN QUERY EXECUTE format($q$
		WITH c AS MATERIALIZED (
			SELECT date_bin($3, f.time_start, $1) AS b, f.src_addr AS s, f.dst_addr AS d,
				   f.dst_port AS p, f.time_start AS t, coalesce(f.bytes, 0) AS bytes
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 AND coalesce(f.flags, 0) & 16 = 0
			  AND f.dst_port IS NOT NULL AND %1$s AND NOT %2$s
			  AND NOT f.dst_addr <<= ANY ($6::inet[])
		),
		busy AS (
			SELECT c.b, c.s, c.d, c.p FROM c GROUP BY 1, 2, 3, 4 HAVING count(*) >= $4
		),
		iv AS (
			SELECT c.b, c.s, c.d, c.p, c.t, c.bytes,
				   extract(epoch FROM c.t - lag(c.t) OVER w) AS dt
			FROM c JOIN busy USING (b, s, d, p)
			WINDOW w AS (PARTITION BY c.b, c.s, c.d, c.p ORDER BY c.t)
		),
		q AS (
			SELECT i.b, i.s, i.d, i.p, count(*) AS n, min(i.t) AS t0, max(i.t) AS t1,
				   count(DISTINCT date_trunc('hour', i.t)) AS hours,
				   percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY i.dt) AS tq,
				   percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY i.bytes) AS bq,
				   mode() WITHIN GROUP (ORDER BY i.bytes) AS bmode,
				   sum(i.bytes) AS bytes
			FROM iv i GROUP BY 1, 2, 3, 4
		),
		dev AS (
			SELECT i.b, i.s, i.d, i.p, abs(i.dt - q.tq[2]) AS tdev, abs(i.bytes - q.bq[2]) AS bdev
			FROM iv i JOIN q USING (b, s, d, p)
		),
		mads AS (
			SELECT v.b, v.s, v.d, v.p,
				   percentile_cont(0.5) WITHIN GROUP (ORDER BY v.tdev) AS tmad,
				   percentile_cont(0.5) WITHIN GROUP (ORDER BY v.bdev) AS bmad
			FROM dev v GROUP BY 1, 2, 3, 4
		),
		m AS (
			SELECT q.*, x.tmad, x.bmad,
				   extract(epoch FROM least($2, q.b + $3) - q.t0) / 3600.0 AS win_hours
			FROM q JOIN mads x USING (b, s, d, p)
			WHERE q.t1 - q.t0 >= $7
		),
		sc AS (
			SELECT m.*,
				   1 - abs(CASE WHEN m.tq[1] < m.tq[2] AND m.tq[2] < m.tq[3]
								THEN (m.tq[1] + m.tq[3] - 2 * m.tq[2]) / (m.tq[3] - m.tq[1]) ELSE 0 END) AS t_skew,
				   greatest(0, 1 - m.tmad / 30.0) AS t_mad,
				   least(1, m.hours / greatest(ceil(m.win_hours), 1)) AS t_cov,
				   1 - abs(CASE WHEN m.bq[1] < m.bq[2] AND m.bq[2] < m.bq[3]
								THEN (m.bq[1] + m.bq[3] - 2 * m.bq[2]) / (m.bq[3] - m.bq[1]) ELSE 0 END) AS b_skew,
				   greatest(0, 1 - m.bmad / 32.0) AS b_mad,
				   greatest(0, 1 - m.bmode / 65535.0) AS b_small
			FROM m
		),
		fin AS (
			SELECT sc.*, ((sc.t_skew + sc.t_mad + sc.t_cov) / 3 + (sc.b_skew + sc.b_mad + sc.b_small) / 3) / 2 AS score
			FROM sc
		)
		SELECT 'beaconing'::text, x.s, x.d, x.p, max(x.score), min(x.t0), max(x.t1),
			   (array_agg(jsonb_build_object(
					'connections', x.n, 'interval_median', round(x.tq[2]::numeric, 1),
					'interval_mad', round(x.tmad::numeric, 1),
					'interval_skew_score', round(x.t_skew::numeric, 3),
					'interval_mad_score', round(x.t_mad::numeric, 3),
					'coverage_score', round(x.t_cov::numeric, 3), 'hours', x.hours,
					'first', x.t0, 'last', x.t1,
					'bytes_median', x.bq[2], 'bytes_mad', x.bmad, 'bytes_mode', x.bmode,
					'bytes_skew_score', round(x.b_skew::numeric, 3),
					'bytes_mad_score', round(x.b_mad::numeric, 3),
					'bytes_smallness_score', round(x.b_small::numeric, 3),
					'bytes', x.bytes, 'window', $3::text, 'window_start', x.b,
					'threshold', $5) ORDER BY x.score DESC))[1]
				|| jsonb_build_object('windows', count(*))
		FROM fin x
		WHERE x.score >= $5
		GROUP BY x.s, x.d, x.p$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'))
	USING from_ts, to_ts, s.beacon_window, s.beacon_min_connections, s.beacon_score, s.beacon_allow,
		  s.beacon_min_span;
END
$$;
COMMENT ON FUNCTION netflow.detect_beaconing(timestamptz, timestamptz) IS
	'Beaconing detector over [from_ts, to_ts): internal-to-external (source, destination, port) with beacon_min_connections starts spanning beacon_min_span in a beacon_window whose intervals and sizes are regular, scored as RITA does (skew, MAD, smallness) plus hourly coverage; see docs/detections.md';

-- Volume anomalies.  Per exporter and minute: flows, bytes (without the
-- minute's largest flow, so that one big transfer -- exfiltration's
-- business -- is not a volume anomaly) and the entropy
-- (bits) of source address, destination address and destination port,
-- against the minutes of the same hour of day in the baseline (robust z:
-- (x - median) / (1.4826 MAD), the MAD floored at 5 % of the median for
-- counts and 0.05 bit for entropies).  A minute (with volume_min_flows
-- flows) is anomalous when flows or bytes have z >= volume_z and are
-- volume_ratio times the median, or an entropy moves by volume_z and
-- volume_entropy_bits.  The alert names the most affected address: the top
-- destination (by flows) when destinations concentrate or sources spread
-- (flood), else the top source (by distinct destination ports when their
-- entropy moved, by bytes when bytes but not flows are anomalous, by flows
-- otherwise: scan, worm, noisy host).
CREATE FUNCTION netflow.detect_volume_anomaly(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
	bl		record;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	bl := netflow.detect_baseline_range(from_ts, s);
	IF NOT bl.enough THEN
		RAISE NOTICE 'volume_anomaly skipped: less than % of history before %', s.min_history, from_ts;
		RETURN;
	END IF;
	RETURN QUERY
	WITH mins AS MATERIALIZED (
		SELECT coalesce(f.exporter, '0.0.0.0'::inet) AS e, date_trunc('minute', f.time_start) AS mi,
			   f.time_start >= from_ts AS cur,
			   count(*)::double precision AS flows,
			   (sum(coalesce(f.bytes, 0)) - max(coalesce(f.bytes, 0)))::double precision AS bytes,
			   netflow.entropy(f.src_addr) AS h_src, netflow.entropy(f.dst_addr) AS h_dst,
			   netflow.entropy(f.dst_port) AS h_port
		FROM netflow.flows f
		WHERE f.time_start >= bl.lower AND f.time_start < to_ts
		GROUP BY 1, 2, 3
	),
	metric AS MATERIALIZED (
		SELECT m.e, m.mi, extract(hour FROM m.mi)::integer AS hr, m.cur, x.name, x.v
		FROM mins m,
			 LATERAL (VALUES ('flows', m.flows), ('bytes', m.bytes), ('src_addr_entropy', m.h_src),
							 ('dst_addr_entropy', m.h_dst), ('dst_port_entropy', m.h_port)) AS x(name, v)
	),
	med AS (
		SELECT m.e, m.hr, m.name,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY m.v) AS median, count(*) AS n
		FROM metric m WHERE NOT m.cur
		GROUP BY 1, 2, 3
	),
	mad AS (
		SELECT d.e, d.hr, d.name, d.median, d.n,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(m.v - d.median)) AS mad
		FROM med d
		JOIN metric m ON NOT m.cur AND m.e = d.e AND m.hr = d.hr AND m.name = d.name
		GROUP BY d.e, d.hr, d.name, d.median, d.n
	),
	z AS (
		SELECT m.e, m.mi, m.name, m.v, d.median, d.mad, d.n,
			   (m.v - d.median) / greatest(1.4826 * d.mad,
										   CASE WHEN m.name IN ('flows', 'bytes') THEN greatest(0.05 * d.median, 1)
												ELSE 0.05 END) AS z
		FROM metric m
		JOIN mad d ON d.e = m.e AND d.hr = m.hr AND d.name = m.name
		WHERE m.cur
	),
	flagged AS (
		SELECT z.e, z.mi,
			   max(CASE WHEN z.name IN ('flows', 'bytes') THEN z.z ELSE abs(z.z) END) AS zmax,
			   jsonb_object_agg(z.name, jsonb_build_object('value', round(z.v::numeric, 3),
														   'median', round(z.median::numeric, 3),
														   'mad', round(z.mad::numeric, 3),
														   'z', round(z.z::numeric, 2))) AS metrics,
			   bool_or(z.name = 'dst_addr_entropy' AND z.z <= -s.volume_z
					   AND z.median - z.v >= s.volume_entropy_bits
					   OR z.name = 'src_addr_entropy' AND z.z >= s.volume_z
					   AND z.v - z.median >= s.volume_entropy_bits) AS flood,
			   array_agg(z.name ORDER BY z.name) FILTER (WHERE
					z.name IN ('flows', 'bytes') AND z.z >= s.volume_z AND z.v >= s.volume_ratio * z.median
					OR z.name NOT IN ('flows', 'bytes') AND abs(z.z) >= s.volume_z
					   AND abs(z.v - z.median) >= s.volume_entropy_bits) AS why,
			   min(z.n) AS baseline_minutes
		FROM z
		GROUP BY z.e, z.mi
		HAVING max(z.v) FILTER (WHERE z.name = 'flows') >= s.volume_min_flows
	),
	hit AS MATERIALIZED (
		SELECT fl.* FROM flagged fl WHERE fl.why IS NOT NULL
	),
	-- The most affected address, from the minute's flows: the destination
	-- with most flows for a flood; else the source with most distinct
	-- destination ports when their entropy moved, the source with most
	-- bytes when bytes but not flows are anomalous, the source with most
	-- flows otherwise.
	named AS (
		SELECT h.e, h.mi, h.zmax, h.metrics, h.why, h.baseline_minutes, h.flood,
			   CASE WHEN h.flood THEN NULL ELSE
				   (SELECT f.src_addr FROM netflow.flows f
					WHERE f.time_start >= h.mi AND f.time_start < h.mi + interval '1 minute'
					  AND coalesce(f.exporter, '0.0.0.0'::inet) = h.e
					GROUP BY f.src_addr
					ORDER BY CASE WHEN 'dst_port_entropy' = ANY (h.why) THEN count(DISTINCT f.dst_port)::numeric
								  WHEN NOT 'flows' = ANY (h.why) AND 'bytes' = ANY (h.why) THEN sum(coalesce(f.bytes, 0))
								  ELSE count(*)::numeric END DESC,
							 f.src_addr
					LIMIT 1) END AS src,
			   CASE WHEN h.flood THEN
				   (SELECT f.dst_addr FROM netflow.flows f
					WHERE f.time_start >= h.mi AND f.time_start < h.mi + interval '1 minute'
					  AND coalesce(f.exporter, '0.0.0.0'::inet) = h.e
					GROUP BY f.dst_addr ORDER BY count(*) DESC, f.dst_addr LIMIT 1) END AS dst
		FROM hit h
	)
	SELECT 'volume_anomaly'::text, n.src, n.dst, NULL::integer, max(n.zmax) / s.volume_z,
		   min(n.mi), max(n.mi) + interval '1 minute',
		   (array_agg(jsonb_build_object('exporter', nullif(host(n.e), '0.0.0.0'), 'minute', n.mi,
										 'type', CASE WHEN n.flood THEN 'flood' ELSE 'noisy_source' END,
										 'anomalous', to_jsonb(n.why), 'metrics', n.metrics,
										 'baseline_minutes', n.baseline_minutes,
										 'baseline_from', bl.lower, 'baseline_to', bl.upper)
					  ORDER BY n.zmax DESC))[1]
			|| jsonb_build_object('minutes', count(*),
								  'exporters', to_jsonb(array_agg(DISTINCT nullif(host(n.e), '0.0.0.0'))))
	FROM named n
	GROUP BY n.src, n.dst;
END
$$;
COMMENT ON FUNCTION netflow.detect_volume_anomaly(timestamptz, timestamptz) IS
	'Volume anomaly detector over [from_ts, to_ts): per exporter and minute, flows, bytes and address/port entropies against the same hour of day in the baseline (robust z-score); names the flooded destination or the noisiest source; see docs/detections.md';

------------------------------------------------------------------------
-- Hunting over history
------------------------------------------------------------------------

-- Every detector (or those named in kinds) over [from_ts, to_ts), storing
-- nothing.
CREATE FUNCTION netflow.detect(from_ts timestamptz, to_ts timestamptz, kinds text[] DEFAULT NULL)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	all_kinds text[] := ARRAY['scan', 'lateral_movement', 'exfiltration', 'beaconing', 'volume_anomaly'];
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	PERFORM netflow.detect_settings();
	IF kinds IS NOT NULL THEN
		FOREACH k IN ARRAY kinds LOOP
			IF k IS NULL OR NOT k = ANY (all_kinds) THEN
				RAISE EXCEPTION 'unknown detection kind: "%"', k
					USING ERRCODE = 'invalid_parameter_value',
						  DETAIL = 'The kinds are scan, lateral_movement, exfiltration, beaconing and volume_anomaly.';
			END IF;
		END LOOP;
	END IF;
	FOREACH k IN ARRAY all_kinds LOOP
		IF kinds IS NULL OR k = ANY (kinds) THEN
			RETURN QUERY EXECUTE format('SELECT * FROM netflow.%I($1, $2) ORDER BY 5 DESC, 2, 3, 4',
										'detect_' || k)
				USING from_ts, to_ts;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.detect(timestamptz, timestamptz, text[]) IS
	'Run the detectors (all, or those named: scan, lateral_movement, exfiltration, beaconing, volume_anomaly) over [from_ts, to_ts) with the current settings, storing nothing: one row per entity with score, first/last seen and the evidence; see docs/detections.md';

------------------------------------------------------------------------
-- Alerts
------------------------------------------------------------------------

CREATE TABLE netflow.alerts (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		text NOT NULL,
	src_addr	inet,
	dst_addr	inet,
	dst_port	integer,
	score		double precision NOT NULL,
	first_seen	timestamptz NOT NULL,
	last_seen	timestamptz NOT NULL,
	evidence	jsonb NOT NULL,
	state		text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'closed')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updates		integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE netflow.alerts IS
	'Detections written by maintenance: one alert per kind and entity (src_addr, dst_addr, dst_port) while not closed, updated while the behaviour goes on; NOTIFY netflow_alert with the id of each new one; kept by pg_dump';
COMMENT ON COLUMN netflow.alerts.id IS 'Alert number (the payload of NOTIFY netflow_alert)';
COMMENT ON COLUMN netflow.alerts.kind IS 'scan, lateral_movement, exfiltration, beaconing or volume_anomaly';
COMMENT ON COLUMN netflow.alerts.src_addr IS 'Source of the behaviour (scanner, mover, uploader, beaconing host, noisy source); NULL when not part of the entity';
COMMENT ON COLUMN netflow.alerts.dst_addr IS 'Destination part of the entity (vertical scan target, new exfiltration destination, beacon server, flooded address); NULL when not part of it';
COMMENT ON COLUMN netflow.alerts.dst_port IS 'Port part of the entity (horizontal scan, lateral movement, beacon); NULL when not part of it';
COMMENT ON COLUMN netflow.alerts.score IS 'Highest score seen (1 = at the threshold; beaconing: 0 - 1)';
COMMENT ON COLUMN netflow.alerts.first_seen IS 'Earliest flow time of the behaviour';
COMMENT ON COLUMN netflow.alerts.last_seen IS 'Latest flow time of the behaviour so far';
COMMENT ON COLUMN netflow.alerts.evidence IS 'The numbers behind the latest score (see docs/detections.md)';
COMMENT ON COLUMN netflow.alerts.state IS 'open, acknowledged or closed; set by an analyst (netflow_analyst); a closed alert is not updated, the behaviour going on opens a new one';
COMMENT ON COLUMN netflow.alerts.created_at IS 'When maintenance opened the alert';
COMMENT ON COLUMN netflow.alerts.updated_at IS 'When maintenance last updated it';
COMMENT ON COLUMN netflow.alerts.updates IS 'Maintenance runs that found the behaviour again';
CREATE UNIQUE INDEX alerts_entity_live ON netflow.alerts (kind, src_addr, dst_addr, dst_port)
	NULLS NOT DISTINCT WHERE state <> 'closed';
COMMENT ON INDEX netflow.alerts_entity_live IS 'At most one alert not closed per kind and entity';
CREATE INDEX alerts_last_seen ON netflow.alerts (last_seen);
COMMENT ON INDEX netflow.alerts_last_seen IS 'Recent alerts first';
SELECT pg_catalog.pg_extension_config_dump('netflow.alerts', '');
COMMENT ON SEQUENCE netflow.alerts_id_seq IS 'Numbers of netflow.alerts';
SELECT pg_catalog.pg_extension_config_dump('netflow.alerts_id_seq', '');

-- Where maintenance's detection stands.
CREATE TABLE netflow.detect_state (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	fast_upto	timestamptz,
	slow_upto	timestamptz,
	runs		bigint NOT NULL DEFAULT 0,
	alerts_opened bigint NOT NULL DEFAULT 0,
	alerts_updated bigint NOT NULL DEFAULT 0,
	last_run	timestamptz,
	last_skip	text
);
COMMENT ON TABLE netflow.detect_state IS
	'Progress of the detection step of maintenance (one row): ranges done, counters, the last detector skipped and why';
COMMENT ON COLUMN netflow.detect_state.singleton IS 'Always true: the table has at most one row';
COMMENT ON COLUMN netflow.detect_state.fast_upto IS 'End of the range of the last scan detection';
COMMENT ON COLUMN netflow.detect_state.slow_upto IS 'End of the range of the last run of the baseline detectors and beaconing';
COMMENT ON COLUMN netflow.detect_state.runs IS 'Maintenance runs that ran detection';
COMMENT ON COLUMN netflow.detect_state.alerts_opened IS 'Alerts opened so far';
COMMENT ON COLUMN netflow.detect_state.alerts_updated IS 'Updates of open alerts so far';
COMMENT ON COLUMN netflow.detect_state.last_run IS 'The now of the last run';
COMMENT ON COLUMN netflow.detect_state.last_skip IS 'Why detectors were last skipped or failed (NULL when the last run ran them all)';
SELECT pg_catalog.pg_extension_config_dump('netflow.detect_state', '');

-- Write detections into netflow.alerts: insert a new alert per entity
-- without a live one (NOTIFY netflow_alert, payload the id), update the
-- live one otherwise.  Returns the number of new alerts.
CREATE FUNCTION netflow.alerts_upsert(d jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		record;
	n_new	integer := 0;
	n_upd	integer := 0;
BEGIN
	FOR r IN
		INSERT INTO netflow.alerts AS a (kind, src_addr, dst_addr, dst_port, score, first_seen,
										 last_seen, evidence)
		SELECT x.kind, x.src_addr, x.dst_addr, x.dst_port, x.score, x.first_seen, x.last_seen,
			   x.evidence
		FROM jsonb_to_recordset(d) AS x(kind text, src_addr inet, dst_addr inet, dst_port integer,
										score double precision, first_seen timestamptz,
										last_seen timestamptz, evidence jsonb)
		ON CONFLICT (kind, src_addr, dst_addr, dst_port) WHERE state <> 'closed'
		DO UPDATE SET score = greatest(a.score, excluded.score),
					  first_seen = least(a.first_seen, excluded.first_seen),
					  last_seen = greatest(a.last_seen, excluded.last_seen),
					  evidence = excluded.evidence,
					  updated_at = now(),
					  updates = a.updates + 1
		RETURNING a.id, a.updates = 0 AS fresh
	LOOP
		IF r.fresh THEN
			PERFORM pg_notify('netflow_alert', r.id::text);
			n_new := n_new + 1;
		ELSE
			n_upd := n_upd + 1;
		END IF;
	END LOOP;
	UPDATE netflow.detect_state
	SET alerts_opened = alerts_opened + n_new, alerts_updated = alerts_updated + n_upd;
	RETURN n_new;
END
$$;
COMMENT ON FUNCTION netflow.alerts_upsert(jsonb) IS
	'Write detections (a JSON array of netflow.detect rows) into netflow.alerts, opening (with NOTIFY netflow_alert) or updating one live alert per kind and entity; returns the number opened (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.alerts_upsert(jsonb) FROM PUBLIC;

-- The detection step of maintenance (scheduled: called by run_maintenance,
-- which it skips when detect_alerts is off; by hand it always runs, for
-- installations that schedule it apart): scans every run over the last
-- scan_window, incrementally (netflow.detect_scan_step: the rows stored
-- since the last run); the baseline detectors (lateral_movement, exfiltration,
-- volume_anomaly) and beaconing once detect_slow_every has passed since
-- their last run, over the time since (at least exfil_window for
-- exfiltration, beacon_window for beaconing).  The baseline detectors are
-- skipped (logged in detect_state.last_skip) when the raw partitions they
-- read hold more than detect_max_baseline_rows estimated rows, beaconing
-- when those of its beacon_window do.  Each
-- detector runs in its own subtransaction: one failing does not stop the
-- others.  Their notices (detector skipped for want of history) are not
-- sent to the client; skips and failures are in detect_state.last_skip,
-- and the time each detector took in the server log (LOG).  Returns the
-- number of alerts opened.
CREATE FUNCTION netflow.detect_maintenance(now timestamptz, scheduled boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
	s		record := netflow.detect_settings();
	st		record;
	k		text;
	f		timestamptz;
	d		jsonb;
	n		integer := 0;
	skips	text[] := '{}';
	slow	boolean;
	est		double precision;
	est_beacon double precision;
	t0		timestamptz;
	took	text[] := '{}';
BEGIN
	IF scheduled AND NOT s.alerts THEN
		RETURN 0;
	END IF;
	INSERT INTO netflow.detect_state (singleton) VALUES (true) ON CONFLICT DO NOTHING;
	SELECT * INTO st FROM netflow.detect_state FOR UPDATE;
	slow := st.slow_upto IS NULL OR now >= st.slow_upto + s.slow_every;
	IF slow THEN
		SELECT sum(greatest(c.reltuples, 0)) INTO est
		FROM netflow.flows_partitions() p JOIN pg_class c ON c.oid = p.partition
		WHERE p.upper > now - s.baseline - s.beacon_window AND p.lower < now;
		SELECT sum(greatest(c.reltuples, 0)) INTO est_beacon
		FROM netflow.flows_partitions() p JOIN pg_class c ON c.oid = p.partition
		WHERE p.upper > now - s.beacon_window AND p.lower < now;
	END IF;
	FOREACH k IN ARRAY ARRAY['scan', 'lateral_movement', 'exfiltration', 'beaconing', 'volume_anomaly'] LOOP
		IF k <> 'scan' AND NOT slow THEN
			CONTINUE;
		END IF;
		IF k IN ('lateral_movement', 'exfiltration', 'volume_anomaly') AND s.max_baseline_rows > 0
		   AND est > s.max_baseline_rows THEN
			skips := skips || format('%s skipped: the baseline holds about %s rows, more than detect_max_baseline_rows (%s); run netflow.detect by hand',
									 k, est::bigint, s.max_baseline_rows);
			CONTINUE;
		END IF;
		IF k = 'beaconing' AND s.max_baseline_rows > 0 AND est_beacon > s.max_baseline_rows THEN
			skips := skips || format('%s skipped: its beacon_window holds about %s rows, more than detect_max_baseline_rows (%s); run netflow.detect by hand',
									 k, est_beacon::bigint, s.max_baseline_rows);
			CONTINUE;
		END IF;
		f := CASE k WHEN 'scan' THEN now - s.scan_window
					WHEN 'exfiltration' THEN least(coalesce(st.slow_upto, now - s.exfil_window), now - s.exfil_window)
					WHEN 'beaconing' THEN now - s.beacon_window
					ELSE coalesce(st.slow_upto, now - s.slow_every) END;
		t0 := clock_timestamp();
		BEGIN
			IF k = 'scan' THEN
				-- Incremental: only the rows stored since the last run.
				SELECT jsonb_agg(to_jsonb(x)) INTO d FROM netflow.detect_scan_step(now) x;
			ELSE
				EXECUTE format('SELECT jsonb_agg(to_jsonb(x)) FROM netflow.%I($1, $2) x', 'detect_' || k)
					INTO d USING f, now;
			END IF;
			IF d IS NOT NULL THEN
				n := n + netflow.alerts_upsert(d);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			skips := skips || format('%s failed: %s', k, SQLERRM);
			RAISE WARNING 'netflow detection: % failed: %', k, SQLERRM;
		END;
		took := took || format('%s %s ms', k,
							   round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000));
	END LOOP;
	UPDATE netflow.detect_state
	SET fast_upto = now,
		slow_upto = CASE WHEN slow THEN now ELSE slow_upto END,
		runs = runs + 1,
		last_run = now,
		last_skip = nullif(array_to_string(skips, '; '), '');
	RAISE LOG 'netflow detection: % alerts opened; %', n, array_to_string(took, ', ');
	IF cardinality(skips) > 0 THEN
		RAISE LOG 'netflow detection: %', array_to_string(skips, '; ');
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.detect_maintenance(timestamptz, boolean) IS
	'Detection step of run_maintenance (scheduled = true: skipped when detect_alerts is off) or of a schedule of its own (by hand): scans over the last scan_window every run, the baseline detectors and beaconing every detect_slow_every; writes netflow.alerts; returns the number of alerts opened (maintenance only)';
REVOKE ALL ON FUNCTION netflow.detect_maintenance(timestamptz, boolean) FROM PUBLIC;

------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------

GRANT USAGE ON SCHEMA netflow TO netflow_analyst;
GRANT SELECT ON netflow.alerts, netflow.detect_state TO netflow_reader, netflow_analyst;
GRANT UPDATE (state) ON netflow.alerts TO netflow_analyst;
GRANT EXECUTE ON FUNCTION netflow.detect(timestamptz, timestamptz, text[]),
	netflow.detect_scan(timestamptz, timestamptz),
	netflow.detect_lateral_movement(timestamptz, timestamptz),
	netflow.detect_exfiltration(timestamptz, timestamptz),
	netflow.detect_beaconing(timestamptz, timestamptz),
	netflow.detect_volume_anomaly(timestamptz, timestamptz),
	netflow.detect_settings(), netflow.detect_history_start(),
	netflow.detect_baseline_range(timestamptz, record), netflow.detect_attempt_expr()
	TO netflow_reader;
