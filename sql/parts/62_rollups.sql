-- 62_rollups.sql: traffic and top-N rollups per minute and per hour, kept
-- up to date by maintenance (netflow.rollup_maintenance, called by
-- netflow.run_maintenance), and their settings.  See docs/rollups.md.
--
-- How rows are counted exactly once.  Every run has a cut R (its now minus
-- rollup_late_margin, never going back).  A minute is materialized, once
-- closed for rollup_grace, from its flows received before R (time_received
-- < R, or NULL).  Each later run adds, as deltas, the flows received in
-- [previous R, R) whose minute is materialized already.  So a flow is
-- counted by the run whose cut first passes its time_received, provided it
-- was committed by then: a flow committed more than rollup_late_margin
-- after its time_received is missed (docs/rollups.md, "Late flows").  The
-- query functions add the flows received at or after R from raw flows, so
-- they see late flows before maintenance folds them in.

------------------------------------------------------------------------
-- Settings
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('rollups', 'on',
	 'Whether maintenance materializes the rollups (on/off)'),
	('rollup_grace', '5 minutes',
	 'A minute of flows is materialized once now is past its end by this long (0 - 1 day); later flows are added as deltas'),
	('rollup_late_margin', '10 minutes',
	 'Longest delay between a flow''s time_received and its commit that the rollups allow for (0 - 1 day)'),
	('rollup_retention', '400 days',
	 'Hourly rollups, per-minute totals and host profiles older than now minus this are deleted by maintenance; 0 keeps them'),
	('rollup_minute_retention', '31 days',
	 'Per-minute traffic and top-N rollups older than now minus this are deleted by maintenance; 0 keeps them'),
	('rollup_topn_capacity', '1000',
	 'Capacity of the stored top-N summaries (10 - 100000), for buckets materialized afterwards'),
	('rollup_max_minutes', '240',
	 'Most minutes one maintenance run materializes (1 - 1000000); minutes that retention is about to drop are materialized regardless');

-- The rollup settings, parsed and validated.
-- PARALLEL UNSAFE: its EXCEPTION block starts a subtransaction.
CREATE FUNCTION netflow.rollup_settings(OUT enabled boolean,
										OUT grace interval,
										OUT late_margin interval,
										OUT retention interval,
										OUT minute_retention interval,
										OUT topn_capacity integer,
										OUT max_minutes integer)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
BEGIN
	FOREACH k IN ARRAY ARRAY['rollups', 'rollup_grace', 'rollup_late_margin', 'rollup_retention',
							 'rollup_minute_retention', 'rollup_topn_capacity',
							 'rollup_max_minutes'] LOOP
		v := netflow.config_get(k);
		BEGIN
			CASE k
				WHEN 'rollups' THEN enabled := v::boolean;
				WHEN 'rollup_grace' THEN grace := v::interval;
				WHEN 'rollup_late_margin' THEN late_margin := v::interval;
				WHEN 'rollup_retention' THEN retention := v::interval;
				WHEN 'rollup_minute_retention' THEN minute_retention := v::interval;
				WHEN 'rollup_topn_capacity' THEN topn_capacity := v::integer;
				ELSE max_minutes := v::integer;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = CASE WHEN k = 'rollups' THEN 'The value must be on or off.'
							   WHEN k IN ('rollup_topn_capacity', 'rollup_max_minutes') THEN 'The value must be an integer.'
							   ELSE 'The value must be an interval.' END;
		END;
	END LOOP;
	IF enabled IS NULL THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollups": NULL'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The value must be on or off.';
	END IF;
	IF grace IS NULL OR grace < interval '0' OR grace > interval '1 day' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_grace": "%"', grace
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The grace period must be between 0 and 1 day.';
	END IF;
	IF late_margin IS NULL OR late_margin < interval '0' OR late_margin > interval '1 day' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_late_margin": "%"', late_margin
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The late margin must be between 0 and 1 day.';
	END IF;
	IF retention IS NULL OR retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_retention": "%"', retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The rollup retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF minute_retention IS NULL OR minute_retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_minute_retention": "%"', minute_retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The minute rollup retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF topn_capacity IS NULL OR topn_capacity NOT BETWEEN 10 AND 100000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_topn_capacity": "%"', topn_capacity
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The capacity of stored top-N summaries must be between 10 and 100000.';
	END IF;
	IF max_minutes IS NULL OR max_minutes NOT BETWEEN 1 AND 1000000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_max_minutes": "%"', max_minutes
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The number of minutes materialized per run must be between 1 and 1000000.';
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.rollup_settings() IS
	'Effective rollup settings (rollups, rollup_grace, rollup_late_margin, rollup_retention, rollup_minute_retention, rollup_topn_capacity, rollup_max_minutes from netflow.config), validated';

-- The capacity of the top-N summaries, for readers who may not read
-- netflow.config: the query functions count raw flows with it.  Checked
-- without an EXCEPTION block, so that it may run in parallel mode.
CREATE FUNCTION netflow.rollup_topn_capacity()
RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v		text := netflow.config_get('rollup_topn_capacity');
BEGIN
	IF v !~ '^\s*[0-9]{1,9}\s*$' OR v::integer NOT BETWEEN 10 AND 100000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_topn_capacity": "%"', v
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The capacity of stored top-N summaries must be between 10 and 100000.';
	END IF;
	RETURN v::integer;
END
$$;
COMMENT ON FUNCTION netflow.rollup_topn_capacity() IS
	'Setting rollup_topn_capacity (validated), readable by every role that may call the rollup query functions';
REVOKE ALL ON FUNCTION netflow.rollup_topn_capacity() FROM PUBLIC;

------------------------------------------------------------------------
-- State and tables
------------------------------------------------------------------------

CREATE TABLE netflow.rollup_state (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	minutes_upto timestamptz NOT NULL,
	hours_upto	timestamptz NOT NULL,
	days_upto	timestamptz NOT NULL,
	cut			timestamptz NOT NULL,
	details_from timestamptz NOT NULL DEFAULT '-infinity',
	runs		bigint NOT NULL DEFAULT 0,
	minutes_materialized bigint NOT NULL DEFAULT 0,
	late_flows	bigint NOT NULL DEFAULT 0,
	last_run	timestamptz
);
COMMENT ON TABLE netflow.rollup_state IS
	'Progress of the rollups (one row, made by the first maintenance run): what is materialized, the received-time cut, counters';
COMMENT ON COLUMN netflow.rollup_state.singleton IS 'Always true: the table has at most one row';
COMMENT ON COLUMN netflow.rollup_state.minutes_upto IS 'Every minute before this is materialized in the minute rollups';
COMMENT ON COLUMN netflow.rollup_state.hours_upto IS 'Every hour before this is rolled up in the hourly rollups and host profiles';
COMMENT ON COLUMN netflow.rollup_state.days_upto IS 'Every day (UTC) before this is rolled up in the daily top-N rollups';
COMMENT ON COLUMN netflow.rollup_state.cut IS 'Flows received (time_received) before this are counted in the rollups of their bucket; later ones are added by the next run';
COMMENT ON COLUMN netflow.rollup_state.details_from IS 'Per-minute traffic and top-N rollups are kept from this minute on (rollup_minute_retention)';
COMMENT ON COLUMN netflow.rollup_state.runs IS 'Maintenance runs that updated the rollups';
COMMENT ON COLUMN netflow.rollup_state.minutes_materialized IS 'Minutes materialized so far';
COMMENT ON COLUMN netflow.rollup_state.late_flows IS 'Flows added to already materialized minutes (received after their minute was materialized)';
COMMENT ON COLUMN netflow.rollup_state.last_run IS 'The now of the last run that updated the rollups';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_state', '');

-- Columns shared by the traffic tables: flows, packets, bytes as exported
-- and upscaled by the sampling interval (an unknown interval, 0 or NULL,
-- counts as 1).
CREATE TABLE netflow.rollup_minutes (
	minute		timestamptz PRIMARY KEY,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	materialized_at timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
COMMENT ON TABLE netflow.rollup_minutes IS
	'Traffic totals per materialized minute, zeros included (time no partition covered is skipped without rows; rollup_state.minutes_upto is the watermark); kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_minutes.minute IS 'Start of the minute (time_start in [minute, minute + 1 minute))';
COMMENT ON COLUMN netflow.rollup_minutes.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_minutes.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_minutes.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_minutes.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_minutes.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_minutes.materialized_at IS 'When the minute was first materialized (clock time)';
COMMENT ON COLUMN netflow.rollup_minutes.updated_at IS 'When late flows were last added (clock time)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_minutes', '');

CREATE TABLE netflow.rollup_hours (
	hour		timestamptz PRIMARY KEY,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	materialized_at timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
COMMENT ON TABLE netflow.rollup_hours IS
	'Traffic totals per hour, one row per rolled-up hour: the watermark of the hourly rollups; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_hours.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN netflow.rollup_hours.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_hours.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_hours.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_hours.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_hours.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_hours.materialized_at IS 'When the hour was rolled up (clock time)';
COMMENT ON COLUMN netflow.rollup_hours.updated_at IS 'When late flows were last added (clock time)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_hours', '');

CREATE TABLE netflow.rollup_traffic_minute (
	minute		timestamptz NOT NULL,
	exporter	inet,
	input_if	bigint,
	output_if	bigint,
	protocol	smallint,
	direction	text NOT NULL,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	CONSTRAINT rollup_traffic_minute_key
		UNIQUE NULLS NOT DISTINCT (minute, exporter, input_if, output_if, protocol, direction)
);
COMMENT ON TABLE netflow.rollup_traffic_minute IS
	'Traffic per minute by exporter, interfaces, protocol and direction; kept for rollup_minute_retention';
COMMENT ON COLUMN netflow.rollup_traffic_minute.minute IS 'Start of the minute';
COMMENT ON COLUMN netflow.rollup_traffic_minute.exporter IS 'Exporter address';
COMMENT ON COLUMN netflow.rollup_traffic_minute.input_if IS 'Input interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_minute.output_if IS 'Output interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_minute.protocol IS 'IP protocol number';
COMMENT ON COLUMN netflow.rollup_traffic_minute.direction IS 'outbound (internal to external), inbound (external to internal), internal (internal to internal) or other, from netflow.networks';
COMMENT ON COLUMN netflow.rollup_traffic_minute.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_traffic_minute.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_traffic_minute.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_traffic_minute.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_traffic_minute.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON INDEX netflow.rollup_traffic_minute_key IS 'One row per minute and key; serves range scans by minute';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_traffic_minute', '');

CREATE TABLE netflow.rollup_traffic_hour (
	hour		timestamptz NOT NULL,
	exporter	inet,
	input_if	bigint,
	output_if	bigint,
	protocol	smallint,
	direction	text NOT NULL,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	CONSTRAINT rollup_traffic_hour_key
		UNIQUE NULLS NOT DISTINCT (hour, exporter, input_if, output_if, protocol, direction)
);
COMMENT ON TABLE netflow.rollup_traffic_hour IS
	'Traffic per hour by exporter, interfaces, protocol and direction; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_traffic_hour.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.exporter IS 'Exporter address';
COMMENT ON COLUMN netflow.rollup_traffic_hour.input_if IS 'Input interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.output_if IS 'Output interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.protocol IS 'IP protocol number';
COMMENT ON COLUMN netflow.rollup_traffic_hour.direction IS 'outbound (internal to external), inbound (external to internal), internal (internal to internal) or other, from netflow.networks';
COMMENT ON COLUMN netflow.rollup_traffic_hour.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_traffic_hour.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_traffic_hour.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_traffic_hour.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON INDEX netflow.rollup_traffic_hour_key IS 'One row per hour and key; serves range scans by hour';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_traffic_hour', '');

CREATE TABLE netflow.rollup_topn_minute (
	minute		timestamptz NOT NULL,
	dimension	text NOT NULL,
	by_bytes	netflow.topn_summary NOT NULL,
	by_flows	netflow.topn_summary NOT NULL,
	PRIMARY KEY (minute, dimension)
);
COMMENT ON TABLE netflow.rollup_topn_minute IS
	'Top-N summaries per minute and dimension (see netflow.rollup_dimensions), by bytes and by flows; no row for a minute without flows; kept for rollup_minute_retention';
COMMENT ON COLUMN netflow.rollup_topn_minute.minute IS 'Start of the minute';
COMMENT ON COLUMN netflow.rollup_topn_minute.dimension IS 'What the items are: src_addr, dst_addr, src_port, dst_port, protocol, src_as, dst_as or conversation';
COMMENT ON COLUMN netflow.rollup_topn_minute.by_bytes IS 'Summary of the items weighted by bytes (as exported)';
COMMENT ON COLUMN netflow.rollup_topn_minute.by_flows IS 'Summary of the items weighted by flows (1 per flow)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_topn_minute', '');

CREATE TABLE netflow.rollup_topn_hour (
	hour		timestamptz NOT NULL,
	dimension	text NOT NULL,
	by_bytes	netflow.topn_summary NOT NULL,
	by_flows	netflow.topn_summary NOT NULL,
	PRIMARY KEY (hour, dimension)
);
COMMENT ON TABLE netflow.rollup_topn_hour IS
	'Top-N summaries per hour and dimension, merged from the minutes with topn_union; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_topn_hour.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN netflow.rollup_topn_hour.dimension IS 'What the items are: src_addr, dst_addr, src_port, dst_port, protocol, src_as, dst_as or conversation';
COMMENT ON COLUMN netflow.rollup_topn_hour.by_bytes IS 'Summary of the items weighted by bytes (as exported)';
COMMENT ON COLUMN netflow.rollup_topn_hour.by_flows IS 'Summary of the items weighted by flows (1 per flow)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_topn_hour', '');

CREATE TABLE netflow.rollup_topn_day (
	day			timestamptz NOT NULL,
	dimension	text NOT NULL,
	by_bytes	netflow.topn_summary NOT NULL,
	by_flows	netflow.topn_summary NOT NULL,
	PRIMARY KEY (day, dimension)
);
COMMENT ON TABLE netflow.rollup_topn_day IS
	'Top-N summaries per day (UTC) and dimension, merged from the hours with topn_union, so that long ranges merge few summaries; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_topn_day.day IS 'Start of the day (UTC)';
COMMENT ON COLUMN netflow.rollup_topn_day.dimension IS 'What the items are: src_addr, dst_addr, src_port, dst_port, protocol, src_as, dst_as or conversation';
COMMENT ON COLUMN netflow.rollup_topn_day.by_bytes IS 'Summary of the items weighted by bytes (as exported)';
COMMENT ON COLUMN netflow.rollup_topn_day.by_flows IS 'Summary of the items weighted by flows (1 per flow)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_topn_day', '');

-- Stored summaries are compressed with lz4 where the server was built with
-- it: pglz made compressing a minute's summaries the largest cost of
-- materializing it, and decompressing them a large part of merging a
-- month's.  Without lz4 they stay with the default method.
DO $$
BEGIN
	ALTER TABLE netflow.rollup_topn_minute
		ALTER COLUMN by_bytes SET COMPRESSION lz4, ALTER COLUMN by_flows SET COMPRESSION lz4;
	ALTER TABLE netflow.rollup_topn_hour
		ALTER COLUMN by_bytes SET COMPRESSION lz4, ALTER COLUMN by_flows SET COMPRESSION lz4;
	ALTER TABLE netflow.rollup_topn_day
		ALTER COLUMN by_bytes SET COMPRESSION lz4, ALTER COLUMN by_flows SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'netflow: this server has no lz4; top-N rollups are compressed with pglz (slower)';
END
$$;

-- The top-N dimensions and the key expression of each over netflow.flows f.
CREATE FUNCTION netflow.rollup_dimensions(OUT dimension text, OUT key_expr text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 8
SET search_path = pg_catalog, pg_temp
AS $$
	VALUES ('src_addr', 'f.src_addr'), ('dst_addr', 'f.dst_addr'),
		   ('src_port', 'f.src_port'), ('dst_port', 'f.dst_port'),
		   ('protocol', 'f.protocol'), ('src_as', 'f.src_as'), ('dst_as', 'f.dst_as'),
		   ('conversation', $e$pg_catalog.host(f.src_addr) || ' -> ' || pg_catalog.host(f.dst_addr)$e$)
$$;
COMMENT ON FUNCTION netflow.rollup_dimensions() IS
	'Dimensions of the top-N rollups and netflow.top, with the key expression of each over netflow.flows f (items are the key''s text: an address, a port number, "a -> b" for a conversation)';

------------------------------------------------------------------------
-- Materialization (maintenance only)
------------------------------------------------------------------------

-- SQL text of a query giving the minute traffic rows (minute, exporter,
-- interfaces, protocol, direction, flows, packets, bytes, upscaled) of the
-- flows selected by cond (SQL text over netflow.flows f).  Each side is
-- classified once per flow (OFFSET 0 keeps the inner query from being
-- flattened into the expressions that use it).
CREATE FUNCTION netflow.rollup_traffic_select(cond text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN format($q$
		SELECT date_trunc('minute', f.time_start), f.exporter, f.input_if, f.output_if, f.protocol,
			   CASE WHEN f.si THEN CASE WHEN f.di THEN 'internal' ELSE 'outbound' END
					WHEN f.di THEN 'inbound' ELSE 'other' END,
			   count(*), coalesce(sum(f.packets), 0), coalesce(sum(f.bytes), 0),
			   coalesce(sum(f.packets::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0),
			   coalesce(sum(f.bytes::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0)
		FROM (SELECT f.time_start, f.exporter, f.input_if, f.output_if, f.protocol, f.packets,
					 f.bytes, f.sampling_interval, %s AS si, %s AS di
			  FROM netflow.flows f WHERE %s OFFSET 0) AS f
		GROUP BY 1, 2, 3, 4, 5, 6$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'), cond);
END
$$;
COMMENT ON FUNCTION netflow.rollup_traffic_select(text) IS
	'SQL text of a query giving the minute traffic rows of the flows selected by an SQL condition, as the rollups compute them (internal)';

-- SQL text of a query giving the minute top-N rows (minute, dimension,
-- by_bytes, by_flows) of the flows selected by cond.  Each key is computed
-- once per flow (OFFSET 0, as above).
CREATE FUNCTION netflow.rollup_topn_select(cond text, capacity integer)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys	text;
	aggs	text;
	unpivot text;
BEGIN
	SELECT string_agg(format('%s AS %I', d.key_expr, 'k_' || d.dimension), ', '),
		   string_agg(format('netflow.topn(k.%1$I, k.w, %2$s) AS %3$I, netflow.topn(k.%1$I, 1::bigint, %2$s) AS %4$I',
							 'k_' || d.dimension, capacity, d.dimension || '_b', d.dimension || '_f'), ', '),
		   string_agg(format('(%L, a.%I, a.%I)', d.dimension, d.dimension || '_b', d.dimension || '_f'), ', ')
	INTO keys, aggs, unpivot
	FROM netflow.rollup_dimensions() d;
	RETURN format($q$
		SELECT a.minute, d.dimension, d.by_bytes, d.by_flows
		FROM (SELECT k.minute, %s
			  FROM (SELECT date_trunc('minute', f.time_start) AS minute,
						   coalesce(f.bytes, 0) AS w, %s
					FROM netflow.flows f WHERE %s OFFSET 0) AS k
			  GROUP BY 1) AS a,
			 LATERAL (VALUES %s) AS d(dimension, by_bytes, by_flows)
		WHERE d.by_bytes IS NOT NULL$q$,
		aggs, keys, cond, unpivot);
END
$$;
COMMENT ON FUNCTION netflow.rollup_topn_select(text, integer) IS
	'SQL text of a query giving the minute top-N summaries of the flows selected by an SQL condition, as the rollups compute them (internal)';

-- Materialize the minutes [lo, hi), none of which has rollup rows yet:
-- their flows received before cut (or with no time_received) straight into
-- the minute rollups, totals included.  Returns the number of flows.
CREATE FUNCTION netflow.rollup_materialize(lo timestamptz, hi timestamptz, cut timestamptz,
										   capacity integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Sorting a chunk's flows by minute in memory (a disk sort cost a third
-- of the top-N part).
SET work_mem = '64MB'
AS $$
DECLARE
	cond	constant text := 'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)';
	n		bigint;
BEGIN
	EXECUTE 'INSERT INTO netflow.rollup_traffic_minute ' || netflow.rollup_traffic_select(cond)
	USING ARRAY[lo, hi, cut];
	EXECUTE 'INSERT INTO netflow.rollup_topn_minute ' || netflow.rollup_topn_select(cond, capacity)
	USING ARRAY[lo, hi, cut];
	-- A plain INSERT: a minute that has a row already is an error, not a
	-- silent double count.  Every minute gets a row, zeros when it had no
	-- flows, so that a per-minute series over materialized time reads one
	-- row per minute (netflow.traffic).
	INSERT INTO netflow.rollup_minutes
	SELECT g.minute, coalesce(s.flows, 0), coalesce(s.packets, 0), coalesce(s.bytes, 0),
		   coalesce(s.packets_upscaled, 0), coalesce(s.bytes_upscaled, 0),
		   clock_timestamp(), clock_timestamp()
	FROM generate_series(lo, hi - interval '1 minute', interval '1 minute') AS g(minute)
	LEFT JOIN (SELECT t.minute, sum(t.flows) AS flows, sum(t.packets) AS packets,
					  sum(t.bytes) AS bytes, sum(t.packets_upscaled) AS packets_upscaled,
					  sum(t.bytes_upscaled) AS bytes_upscaled
			   FROM netflow.rollup_traffic_minute t
			   WHERE t.minute >= lo AND t.minute < hi
			   GROUP BY t.minute) AS s ON s.minute = g.minute;
	SELECT coalesce(sum(m.flows), 0) INTO n
	FROM netflow.rollup_minutes m WHERE m.minute >= lo AND m.minute < hi;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.rollup_materialize(timestamptz, timestamptz, timestamptz, integer) IS
	'Materialize the minutes [lo, hi) (not materialized yet) from their flows received before cut; returns the number of flows (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_materialize(timestamptz, timestamptz, timestamptz, integer) FROM PUBLIC;

-- Aggregate the flows selected by cond (SQL text over netflow.flows f, its
-- parameter $1 the array p) per minute into the minute rollups: insert minutes
-- not there yet, add to the ones that are.  When into_hours, add to the
-- hourly rollups too (late flows of hours rolled up already).  Returns the
-- number of flows counted.
CREATE FUNCTION netflow.rollup_add_flows(cond text, p timestamptz[], into_hours boolean,
										 capacity integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Sorting a chunk's flows by minute in memory (a disk sort cost a third
-- of the top-N part).
SET work_mem = '64MB'
AS $$
DECLARE
	n		bigint;
BEGIN
	IF to_regclass('pg_temp.rollup_new_traffic') IS NULL THEN
		CREATE TEMP TABLE rollup_new_traffic (
			minute timestamptz, exporter inet, input_if bigint, output_if bigint,
			protocol smallint, direction text, flows bigint, packets numeric, bytes numeric,
			packets_upscaled numeric, bytes_upscaled numeric) ON COMMIT DROP;
		CREATE TEMP TABLE rollup_new_topn (
			minute timestamptz, dimension text, by_bytes netflow.topn_summary,
			by_flows netflow.topn_summary) ON COMMIT DROP;
	ELSE
		TRUNCATE rollup_new_traffic, rollup_new_topn;
	END IF;

	EXECUTE 'INSERT INTO rollup_new_traffic ' || netflow.rollup_traffic_select(cond) USING p;
	EXECUTE 'INSERT INTO rollup_new_topn ' || netflow.rollup_topn_select(cond, capacity) USING p;

	SELECT coalesce(sum(t.flows), 0) INTO n FROM rollup_new_traffic t;
	IF n = 0 THEN
		RETURN 0;
	END IF;

	INSERT INTO netflow.rollup_traffic_minute AS r
	SELECT * FROM rollup_new_traffic
	ON CONFLICT ON CONSTRAINT rollup_traffic_minute_key DO UPDATE
	SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
		bytes = r.bytes + excluded.bytes,
		packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
		bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled;
	INSERT INTO netflow.rollup_minutes AS r
	SELECT t.minute, sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled),
		   sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
	FROM rollup_new_traffic t GROUP BY t.minute
	ON CONFLICT (minute) DO UPDATE
	SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
		bytes = r.bytes + excluded.bytes,
		packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
		bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled,
		updated_at = excluded.updated_at;
	INSERT INTO netflow.rollup_topn_minute AS r
	SELECT * FROM rollup_new_topn
	ON CONFLICT (minute, dimension) DO UPDATE
	SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
		by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));

	IF into_hours THEN
		INSERT INTO netflow.rollup_traffic_hour AS r
		SELECT date_trunc('hour', t.minute), t.exporter, t.input_if, t.output_if, t.protocol,
			   t.direction, sum(t.flows), sum(t.packets), sum(t.bytes),
			   sum(t.packets_upscaled), sum(t.bytes_upscaled)
		FROM rollup_new_traffic t GROUP BY 1, 2, 3, 4, 5, 6
		ON CONFLICT ON CONSTRAINT rollup_traffic_hour_key DO UPDATE
		SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
			bytes = r.bytes + excluded.bytes,
			packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
			bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled;
		INSERT INTO netflow.rollup_hours AS r
		SELECT date_trunc('hour', t.minute), sum(t.flows), sum(t.packets), sum(t.bytes),
			   sum(t.packets_upscaled), sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
		FROM rollup_new_traffic t GROUP BY 1
		ON CONFLICT (hour) DO UPDATE
		SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
			bytes = r.bytes + excluded.bytes,
			packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
			bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled,
			updated_at = excluded.updated_at;
		INSERT INTO netflow.rollup_topn_hour AS r
		SELECT date_trunc('hour', t.minute), t.dimension, netflow.topn_union(t.by_bytes),
			   netflow.topn_union(t.by_flows)
		FROM rollup_new_topn t GROUP BY 1, 2
		ON CONFLICT (hour, dimension) DO UPDATE
		SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
			by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));
		-- and into the days rolled up already
		INSERT INTO netflow.rollup_topn_day AS r
		SELECT date_trunc('day', t.minute), t.dimension, netflow.topn_union(t.by_bytes),
			   netflow.topn_union(t.by_flows)
		FROM rollup_new_topn t
		WHERE t.minute < (SELECT st.days_upto FROM netflow.rollup_state st)
		GROUP BY 1, 2
		ON CONFLICT (day, dimension) DO UPDATE
		SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
			by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.rollup_add_flows(text, timestamptz[], boolean, integer) IS
	'Add the flows selected by an SQL condition to the minute rollups (and to the hourly ones when into_hours); returns the number of flows (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_add_flows(text, timestamptz[], boolean, integer) FROM PUBLIC;

-- Roll the minutes of hour h up into the hourly rollups (replacing what is
-- there).
CREATE FUNCTION netflow.rollup_hour_from_minutes(h timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	DELETE FROM netflow.rollup_traffic_hour t WHERE t.hour = h;
	DELETE FROM netflow.rollup_topn_hour t WHERE t.hour = h;
	DELETE FROM netflow.rollup_hours t WHERE t.hour = h;
	INSERT INTO netflow.rollup_traffic_hour
	SELECT h, t.exporter, t.input_if, t.output_if, t.protocol, t.direction,
		   sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled), sum(t.bytes_upscaled)
	FROM netflow.rollup_traffic_minute t
	WHERE t.minute >= h AND t.minute < h + interval '1 hour'
	GROUP BY 2, 3, 4, 5, 6;
	INSERT INTO netflow.rollup_topn_hour
	SELECT h, t.dimension, netflow.topn_union(t.by_bytes), netflow.topn_union(t.by_flows)
	FROM netflow.rollup_topn_minute t
	WHERE t.minute >= h AND t.minute < h + interval '1 hour'
	GROUP BY t.dimension;
	INSERT INTO netflow.rollup_hours
	SELECT h, coalesce(sum(m.flows), 0), coalesce(sum(m.packets), 0), coalesce(sum(m.bytes), 0),
		   coalesce(sum(m.packets_upscaled), 0), coalesce(sum(m.bytes_upscaled), 0),
		   clock_timestamp(), clock_timestamp()
	FROM netflow.rollup_minutes m
	WHERE m.minute >= h AND m.minute < h + interval '1 hour';
END
$$;
COMMENT ON FUNCTION netflow.rollup_hour_from_minutes(timestamptz) IS
	'Roll the minute rollups of the hour starting at h up into the hourly rollups (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_hour_from_minutes(timestamptz) FROM PUBLIC;

-- Roll the hours of day d (UTC) up into the daily top-N rollups.
CREATE FUNCTION netflow.rollup_day_from_hours(d timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	DELETE FROM netflow.rollup_topn_day t WHERE t.day = d;
	INSERT INTO netflow.rollup_topn_day
	SELECT d, t.dimension, netflow.topn_union(t.by_bytes), netflow.topn_union(t.by_flows)
	FROM netflow.rollup_topn_hour t
	WHERE t.hour >= d AND t.hour < d + interval '1 day'
	GROUP BY t.dimension;
END
$$;
COMMENT ON FUNCTION netflow.rollup_day_from_hours(timestamptz) IS
	'Roll the hourly top-N rollups of the day starting at d up into the daily ones (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_day_from_hours(timestamptz) FROM PUBLIC;

-- Where the rollups start: the first minute with flows, else the minute of
-- now.
CREATE FUNCTION netflow.rollup_first_minute(now timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	p		record;
	t		timestamptz;
BEGIN
	FOR p IN SELECT * FROM netflow.flows_partitions() ORDER BY lower LOOP
		EXECUTE format('SELECT min(time_start) FROM %s', p.partition) INTO t;
		IF t IS NOT NULL THEN
			RETURN least(date_trunc('minute', t), date_trunc('minute', now));
		END IF;
	END LOOP;
	RETURN date_trunc('minute', now);
END
$$;
COMMENT ON FUNCTION netflow.rollup_first_minute(timestamptz) IS
	'First minute the rollups cover: that of the oldest flow, else that of now (internal)';

-- Give every partition of netflow.flows a BRIN index on time_received, so
-- that finding the flows received since the last run reads only the
-- recently written part of each partition.  A partition that cannot be
-- locked within lock_timeout is left for the next run.  Returns the
-- partitions indexed.
CREATE FUNCTION netflow.rollup_index_partitions(lock_timeout text)
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p		record;
	iname	text;
	old_timeout text := current_setting('lock_timeout');
BEGIN
	FOR p IN
		SELECT f.partition, c.relname
		FROM netflow.flows_partitions() f
		JOIN pg_class c ON c.oid = f.partition
		WHERE NOT EXISTS (SELECT 1 FROM pg_index i
						  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
						  WHERE i.indrelid = f.partition AND a.attname = 'time_received'
							AND i.indnatts = 1)
		  -- compressed partitions take no index (45_compression.sql)
		  AND NOT EXISTS (SELECT 1 FROM pg_am am
						  WHERE am.oid = c.relam AND am.amname = 'netflow_compressed')
		ORDER BY f.lower DESC
	LOOP
		iname := left(p.relname, 63 - length('_time_received_brin')) || '_time_received_brin';
		BEGIN
			PERFORM set_config('lock_timeout', lock_timeout, true);
			EXECUTE format('CREATE INDEX %I ON %s USING brin (time_received)', iname, p.partition);
			PERFORM set_config('lock_timeout', old_timeout, true);
			RETURN NEXT p.partition;
		EXCEPTION WHEN lock_not_available THEN
			RAISE NOTICE 'netflow rollups: partition % busy, its time_received index is left for the next run', p.partition;
		END;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.rollup_index_partitions(text) IS
	'Create a BRIN index on time_received in every netflow.flows partition lacking one (waiting at most lock_timeout for each); returns the partitions indexed (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_index_partitions(text) FROM PUBLIC;

-- One rollup step as of now: add the flows received since the last run to
-- the buckets materialized already (minutes, hours, days, host profiles),
-- materialize the minutes closed for the grace period (at most
-- rollup_max_minutes, but always those that retention drops at this run)
-- into the minute rollups and the host profiles of their hour, roll closed
-- hours and days up, delete rollups past their retention.  Returns what it did, in run_maintenance's format.
CREATE FUNCTION netflow.rollup_maintenance(now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
	rs		record := netflow.rollup_settings();
	ms		record := netflow.maintenance_settings();
	st		record;
	new_cut timestamptz;
	upto	timestamptz;
	hupto	timestamptz;
	dupto	timestamptz;
	must	timestamptz;
	next_lo timestamptz;
	c_hi	timestamptz;
	p_lowers timestamptz[];
	p_uppers timestamptz[];
	lo		timestamptz;
	hi		timestamptz;
	n		bigint;
	n_late	bigint := 0;
	n_flows bigint := 0;
	n_minutes bigint := 0;
	n_deleted bigint := 0;
	floor_ts timestamptz;
	v_details_from timestamptz;
	chunk	interval := interval '1 minute';
	per_minute numeric;
	t0		timestamptz;
	indexed integer;
BEGIN
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Rollups are materialized relative to a finite point in time.';
	END IF;
	IF NOT rs.enabled THEN
		RETURN;
	END IF;
	-- Same key as run_maintenance (re-entrant within one transaction).
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT count(*) INTO indexed FROM netflow.rollup_index_partitions(ms.lock_timeout);
	IF indexed > 0 THEN
		action := 'indexed';
		detail := format('BRIN index on time_received created in %s partitions', indexed);
		RETURN NEXT;
	END IF;

	SELECT * INTO st FROM netflow.rollup_state FOR UPDATE;
	IF NOT FOUND THEN
		lo := netflow.rollup_first_minute(now - rs.grace);
		INSERT INTO netflow.rollup_state (minutes_upto, hours_upto, days_upto, cut)
		VALUES (lo, date_trunc('hour', lo), date_trunc('day', lo), '-infinity')
		RETURNING * INTO st;
	END IF;
	new_cut := greatest(st.cut, now - rs.late_margin);
	t0 := clock_timestamp();

	-- 1. Late flows: received in [cut, new_cut), in minutes materialized
	-- already; those of hours rolled up already go into the hours too.
	-- Flows older than the rollup retention are left out (their rollups
	-- are gone or about to go).
	floor_ts := CASE WHEN rs.retention > interval '0' THEN date_trunc('hour', now - rs.retention)
				ELSE '-infinity' END;
	IF new_cut > st.cut AND st.cut > '-infinity' THEN
		n_late := netflow.rollup_add_flows(
			'f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4]',
			ARRAY[st.cut, new_cut, floor_ts, st.hours_upto], true, rs.topn_capacity)
				+ netflow.rollup_add_flows(
			'f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4]',
			ARRAY[st.cut, new_cut, greatest(floor_ts, st.hours_upto), st.minutes_upto], false, rs.topn_capacity);
		PERFORM netflow.host_profiles_add(
			'f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4]',
			ARRAY[st.cut, new_cut, floor_ts, st.minutes_upto]);
		IF n_late > 0 THEN
			action := 'late';
			lower := st.cut;
			upper := new_cut;
			detail := format('%s flows received in [%s, %s) added to minutes materialized already',
							 n_late, st.cut, new_cut);
			RAISE LOG 'netflow rollups: %', detail;
			RETURN NEXT;
		END IF;
	END IF;

	-- 2. New minutes, closed for the grace period, from their flows received
	-- before new_cut (or with no time_received).  At most max_minutes, but
	-- all those of the partitions that retention drops at this run.  What
	-- no partition covers holds no flow: skipped at once (a flow stamped
	-- decades ago by a wrong exporter clock costs nothing).
	upto := st.minutes_upto;
	SELECT max(c.upper) INTO must FROM netflow.retention_candidates(ms.retention, now) c;
	must := coalesce(must, '-infinity');
	hi := greatest(date_trunc('minute', now - rs.grace), upto, must);
	SELECT coalesce(array_agg(p.lower ORDER BY p.lower), '{}'), coalesce(array_agg(p.upper ORDER BY p.lower), '{}')
	INTO p_lowers, p_uppers
	FROM netflow.flows_partitions() p;
	lo := upto;
	WHILE lo < hi AND (n_minutes < rs.max_minutes OR lo < must) LOOP
		SELECT min(x.pl) INTO next_lo FROM unnest(p_lowers, p_uppers) AS x(pl, pu) WHERE x.pu > lo;
		IF next_lo IS NULL OR next_lo >= hi THEN
			lo := hi;
			EXIT;
		END IF;
		IF next_lo > lo THEN
			lo := date_trunc('minute', next_lo);
			CONTINUE;
		END IF;
		c_hi := least(hi, lo + chunk);
		n := netflow.rollup_materialize(lo, c_hi, new_cut, rs.topn_capacity);
		-- Host profiles grow with the minutes of their hour (merging is
		-- exact), so that closing an hour costs nothing more.
		PERFORM netflow.host_profiles_add(
			'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)',
			ARRAY[lo, c_hi, new_cut]);
		n_flows := n_flows + n;
		n_minutes := n_minutes + extract(epoch FROM c_hi - lo)::bigint / 60;
		-- Chunks of about 200,000 flows (at most an hour): few statements
		-- when the rate is low, bounded aggregate states when it is high.
		per_minute := n / greatest(extract(epoch FROM c_hi - lo) / 60, 1);
		lo := c_hi;
		chunk := make_interval(mins => greatest(1, least(60, (200000 / greatest(per_minute, 1))::integer)));
	END LOOP;
	IF lo > upto THEN
		upto := lo;
		action := 'materialized';
		lower := st.minutes_upto;
		upper := lo;
		detail := format('%s minutes, %s flows, %s ms per minute', n_minutes, n_flows,
						 round((extract(epoch FROM clock_timestamp() - t0) * 1000 / greatest(n_minutes, 1))::numeric, 1));
		RAISE LOG 'netflow rollups: materialized [%, %): %', lower, upper, detail;
		RETURN NEXT;
	END IF;

	-- 3. Hours whose minutes are all materialized: traffic and top-N from
	-- the minutes (their host profiles are complete already).
	hupto := st.hours_upto;
	WHILE hupto + interval '1 hour' <= upto LOOP
		PERFORM netflow.rollup_hour_from_minutes(hupto);
		hupto := hupto + interval '1 hour';
	END LOOP;
	dupto := st.days_upto;
	WHILE dupto + interval '1 day' <= hupto LOOP
		PERFORM netflow.rollup_day_from_hours(dupto);
		dupto := dupto + interval '1 day';
	END LOOP;
	IF hupto > st.hours_upto THEN
		action := 'rolled up';
		lower := st.hours_upto;
		upper := hupto;
		detail := format('%s hours', extract(epoch FROM hupto - st.hours_upto)::bigint / 3600);
		RETURN NEXT;
	END IF;

	-- 4. Retention of the rollups.  Minute details are kept at least until
	-- their hour is rolled up.
	v_details_from := st.details_from;
	IF rs.minute_retention > interval '0' THEN
		v_details_from := greatest(v_details_from,
								 least(date_trunc('minute', now - rs.minute_retention), hupto));
		DELETE FROM netflow.rollup_traffic_minute t WHERE t.minute < v_details_from;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_topn_minute t WHERE t.minute < v_details_from;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
	END IF;
	IF rs.retention > interval '0' THEN
		DELETE FROM netflow.rollup_minutes t WHERE t.minute < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_hours t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_traffic_hour t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_topn_hour t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_topn_day t WHERE t.day + interval '1 day' <= floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.host_profiles t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
	END IF;
	IF n_deleted > 0 THEN
		action := 'expired';
		lower := NULL;
		upper := floor_ts;
		detail := format('%s rollup rows past rollup_retention (%s) or rollup_minute_retention (%s)',
						 n_deleted, rs.retention, rs.minute_retention);
		RETURN NEXT;
	END IF;

	UPDATE netflow.rollup_state
	SET minutes_upto = upto, hours_upto = hupto, days_upto = dupto, cut = new_cut,
		details_from = v_details_from,
		runs = runs + 1, minutes_materialized = minutes_materialized + n_minutes,
		late_flows = late_flows + n_late, last_run = now;
END
$$;
COMMENT ON FUNCTION netflow.rollup_maintenance(timestamptz) IS
	'Rollup step of maintenance as of now: add late flows to materialized buckets, materialize the minutes closed for rollup_grace (at most rollup_max_minutes, always those retention drops now), roll closed hours up, delete rollups past their retention; returns what it did';
REVOKE ALL ON FUNCTION netflow.rollup_maintenance(timestamptz) FROM PUBLIC;

-- Recompute the rollups and host profiles of the whole hours [from_ts,
-- to_ts) from the raw flows (received before the cut, as maintenance
-- counts them): after flows were loaded with an old or no time_received,
-- or after netflow.networks changed.  Refused when raw partitions no longer
-- cover the range.
CREATE FUNCTION netflow.rollup_rebuild(from_ts timestamptz, to_ts timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	st		record;
	rs		record := netflow.rollup_settings();
	h		timestamptz;
	n		bigint := 0;
	gap		timestamptz;
BEGIN
	IF NOT isfinite(from_ts) OR NOT isfinite(to_ts) OR from_ts > to_ts
	   OR date_trunc('hour', from_ts) <> from_ts OR date_trunc('hour', to_ts) <> to_ts THEN
		RAISE EXCEPTION 'invalid range to rebuild: [%, %)', from_ts, to_ts
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give a finite range of whole hours (UTC), from_ts <= to_ts.';
	END IF;
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE EXCEPTION 'netflow maintenance is running'
			USING ERRCODE = 'lock_not_available',
				  DETAIL = 'The rollups are rebuilt outside maintenance runs.',
				  HINT = 'Try again in a moment.';
	END IF;
	SELECT * INTO st FROM netflow.rollup_state;
	IF st IS NULL OR to_ts > st.hours_upto THEN
		RAISE EXCEPTION 'range to rebuild goes beyond the rolled-up hours'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Hours up to %s are rolled up; [%s, %s) was given.',
								  coalesce(st.hours_upto::text, 'none'), from_ts, to_ts);
	END IF;
	-- The raw flows must still cover every moment of the range.
	SELECT min(g.t) INTO gap
	FROM generate_series(from_ts, to_ts - interval '1 hour', interval '1 hour') AS g(t)
	WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
					  WHERE p.lower <= g.t AND g.t + interval '1 hour' <= p.upper);
	IF gap IS NOT NULL THEN
		RAISE EXCEPTION 'raw flows of the hour % are no longer complete', gap
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'No partition of netflow.flows covers that hour (dropped by retention): its rollups cannot be recomputed.';
	END IF;
	DELETE FROM netflow.rollup_traffic_minute t WHERE t.minute >= from_ts AND t.minute < to_ts;
	DELETE FROM netflow.rollup_topn_minute t WHERE t.minute >= from_ts AND t.minute < to_ts;
	DELETE FROM netflow.rollup_minutes t WHERE t.minute >= from_ts AND t.minute < to_ts;
	DELETE FROM netflow.host_profiles t WHERE t.hour >= from_ts AND t.hour < to_ts;
	h := from_ts;
	WHILE h < to_ts LOOP
		n := n + netflow.rollup_materialize(h, h + interval '1 hour', st.cut, rs.topn_capacity);
		PERFORM netflow.rollup_hour_from_minutes(h);
		PERFORM netflow.host_profiles_add(
			'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)',
			ARRAY[h, h + interval '1 hour', st.cut]);
		h := h + interval '1 hour';
	END LOOP;
	-- The days rolled up already that overlap the range.
	h := date_trunc('day', from_ts);
	WHILE h < to_ts AND h + interval '1 day' <= st.days_upto LOOP
		PERFORM netflow.rollup_day_from_hours(h);
		h := h + interval '1 day';
	END LOOP;
	-- Minute details older than rollup_minute_retention were recomputed to
	-- roll the hours up; they go again.
	DELETE FROM netflow.rollup_traffic_minute t WHERE t.minute < st.details_from;
	DELETE FROM netflow.rollup_topn_minute t WHERE t.minute < st.details_from;
	RAISE LOG 'netflow rollups: rebuilt [%, %) from % flows', from_ts, to_ts, n;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.rollup_rebuild(timestamptz, timestamptz) IS
	'Recompute the rollups and host profiles of the whole hours [from_ts, to_ts) from the raw flows (which must still cover them); returns the number of flows counted';
REVOKE ALL ON FUNCTION netflow.rollup_rebuild(timestamptz, timestamptz) FROM PUBLIC;
