-- netflow upgrade script from 0.1 to 0.2 (ALTER EXTENSION netflow UPDATE).
-- Every change made to sql/parts/ since 0.1 is repeated here, in the same
-- order, so that an upgraded installation equals a fresh install of 0.2
-- (test/t/090_upgrade.pl compares the two schemas).

\echo Use "ALTER EXTENSION netflow UPDATE TO '0.2'" to load this file. \quit

-- rollups: networks, traffic and top-N rollups, host profiles, HyperLogLog (issue 12).
-- The same text as sql/parts/6*.sql, plus run_maintenance with its rollup step.

-- 60_networks.sql
-- 60_networks.sql: the user's networks (netflow.networks), which addresses
-- count as internal, and the most specific network of an address.  Used by
-- the rollups (direction of traffic, host profiles) and by detections.
-- See docs/rollups.md.

CREATE TABLE netflow.networks (
	network		cidr PRIMARY KEY,
	name		text,
	internal	boolean NOT NULL DEFAULT true,
	description text
);
COMMENT ON TABLE netflow.networks IS
	'The user''s networks: name and whether addresses in them are internal (the most specific network containing an address decides); empty means the built-in private and documentation ranges are internal; kept by pg_dump';
COMMENT ON COLUMN netflow.networks.network IS 'Network prefix (IPv4 or IPv6)';
COMMENT ON COLUMN netflow.networks.name IS 'Name shown for addresses in the network';
COMMENT ON COLUMN netflow.networks.internal IS 'Addresses whose most specific network this is are internal (true) or external (false)';
COMMENT ON COLUMN netflow.networks.description IS 'Free text';
CREATE INDEX networks_network_gist ON netflow.networks USING gist (network inet_ops);
COMMENT ON INDEX netflow.networks_network_gist IS
	'Finds the networks containing an address (network >>= addr)';
SELECT pg_catalog.pg_extension_config_dump('netflow.networks', '');

-- The ranges that count as internal while netflow.networks is empty:
-- RFC 1918, RFC 4193 (unique local IPv6) and the documentation ranges
-- (RFC 5737, RFC 3849).
CREATE FUNCTION netflow.default_internal_networks()
RETURNS cidr[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT ARRAY['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16',
				 '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24',
				 'fc00::/7', '2001:db8::/32']::cidr[]
$$;
COMMENT ON FUNCTION netflow.default_internal_networks() IS
	'Networks counted as internal while netflow.networks is empty: RFC 1918, RFC 4193 and the documentation ranges (RFC 5737, RFC 3849)';

-- The most specific network of netflow.networks containing addr; while the
-- table is empty, the built-in internal range containing it (named
-- "default").
CREATE FUNCTION netflow.network_of(addr inet,
								   OUT network cidr, OUT name text,
								   OUT internal boolean)
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT m.network, m.name, m.internal
	FROM (SELECT n.network, n.name, n.internal
		  FROM netflow.networks n
		  WHERE n.network >>= addr
		  UNION ALL
		  SELECT d.network, 'default', true
		  FROM unnest(netflow.default_internal_networks()) AS d(network)
		  WHERE d.network >>= addr
			AND NOT EXISTS (SELECT 1 FROM netflow.networks)) AS m
	ORDER BY masklen(m.network) DESC
	LIMIT 1
$$;
COMMENT ON FUNCTION netflow.network_of(inet) IS
	'Most specific network of netflow.networks containing the address (NULLs when none); while netflow.networks is empty, the built-in internal range containing it';

-- Whether an address is internal.
CREATE FUNCTION netflow.is_internal(addr inet)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((netflow.network_of(addr)).internal, false)
$$;
COMMENT ON FUNCTION netflow.is_internal(inet) IS
	'True when the most specific network containing the address is internal (see netflow.networks); false when no network contains it';

-- An SQL expression over the inet expression col that is true when it is
-- internal, with the networks written in as constants (most specific
-- first), so that a query over millions of flows needs no lookup per row.
-- Used by the rollups; equal to netflow.is_internal(col) for non-NULL col.
CREATE FUNCTION netflow.internal_expr(col text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arms	text;
BEGIN
	IF EXISTS (SELECT 1 FROM netflow.networks) THEN
		SELECT string_agg(format('WHEN %s <<= %L::inet THEN %s', col, n.network::text, CASE WHEN n.internal THEN 'true' ELSE 'false' END),
						  ' ' ORDER BY masklen(n.network) DESC, n.network)
		INTO arms
		FROM netflow.networks n;
		RETURN format('(CASE %s ELSE false END)', arms);
	END IF;
	SELECT string_agg(format('%s <<= %L::inet', col, d::text), ' OR ')
	INTO arms
	FROM unnest(netflow.default_internal_networks()) AS d;
	RETURN format('coalesce(%s, false)', arms);
END
$$;
COMMENT ON FUNCTION netflow.internal_expr(text) IS
	'SQL text of a boolean expression telling whether the inet expression col is internal, with netflow.networks written in as constants (internal)';

GRANT SELECT ON netflow.networks TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.default_internal_networks(), netflow.network_of(inet),
	netflow.is_internal(inet) TO netflow_reader;

-- 61_hll.sql
-- 61_hll.sql: netflow.hll, a mergeable HyperLogLog distinct-count sketch
-- (src/rollups/hll.c), used by the host profiles.  See docs/rollups.md.

CREATE TYPE netflow.hll;

CREATE FUNCTION netflow.hll_in(cstring) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_out(netflow.hll) RETURNS cstring
	AS 'MODULE_PATHNAME', 'hll_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_recv(internal) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_send(netflow.hll) RETURNS bytea
	AS 'MODULE_PATHNAME', 'hll_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.hll (
	INPUT = netflow.hll_in,
	OUTPUT = netflow.hll_out,
	RECEIVE = netflow.hll_recv,
	SEND = netflow.hll_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE netflow.hll IS
	'HyperLogLog sketch of a number of distinct values (2^14 registers, standard error about 0.81 %), mergeable; text form \x and hexadecimal';
COMMENT ON FUNCTION netflow.hll_in(cstring) IS 'Text input of hll (\x and the hexadecimal binary form, validated)';
COMMENT ON FUNCTION netflow.hll_out(netflow.hll) IS 'Text output of hll (\x and the hexadecimal binary form)';
COMMENT ON FUNCTION netflow.hll_recv(internal) IS 'Binary input of hll (validated)';
COMMENT ON FUNCTION netflow.hll_send(netflow.hll) IS 'Binary output of hll';

CREATE FUNCTION netflow.hll_add_trans(netflow.hll, anyelement) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_add_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_add_trans(netflow.hll, anyelement) IS
	'Transition function of hll_add_agg: count one value';
CREATE FUNCTION netflow.hll_union_trans(netflow.hll, netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_union_trans(netflow.hll, netflow.hll) IS
	'Transition function of hll_union_agg and combine function of both hll aggregates';
CREATE FUNCTION netflow.hll_final(netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_final(netflow.hll) IS
	'Final function of the hll aggregates: the sketch in its stored form';

CREATE AGGREGATE netflow.hll_add_agg(value anyelement) (
	SFUNC = netflow.hll_add_trans,
	STYPE = netflow.hll,
	FINALFUNC = netflow.hll_final,
	COMBINEFUNC = netflow.hll_union_trans,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.hll_add_agg(anyelement) IS
	'HyperLogLog sketch of the distinct non-NULL values (by their binary representation); NULL when no row';

CREATE AGGREGATE netflow.hll_union_agg(sketch netflow.hll) (
	SFUNC = netflow.hll_union_trans,
	STYPE = netflow.hll,
	FINALFUNC = netflow.hll_final,
	COMBINEFUNC = netflow.hll_union_trans,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.hll_union_agg(netflow.hll) IS
	'Union of hll sketches: the sketch of all their values together';

CREATE FUNCTION netflow.hll_union(a netflow.hll, b netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_union(netflow.hll, netflow.hll) IS
	'Union of two hll sketches';
CREATE FUNCTION netflow.hll_cardinality(sketch netflow.hll) RETURNS bigint
	AS 'MODULE_PATHNAME', 'hll_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_cardinality(netflow.hll) IS
	'Estimated number of distinct values of a sketch (relative standard error about 0.81 %)';

GRANT EXECUTE ON FUNCTION netflow.hll_union(netflow.hll, netflow.hll),
	netflow.hll_cardinality(netflow.hll) TO netflow_reader;

-- 62_rollups.sql
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
	packets		bigint NOT NULL,
	bytes		bigint NOT NULL,
	packets_upscaled bigint NOT NULL,
	bytes_upscaled bigint NOT NULL,
	materialized_at timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
COMMENT ON TABLE netflow.rollup_minutes IS
	'Traffic totals per minute with flows (a materialized minute without a row had none; rollup_state.minutes_upto is the watermark); kept for rollup_retention';
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
	packets		bigint NOT NULL,
	bytes		bigint NOT NULL,
	packets_upscaled bigint NOT NULL,
	bytes_upscaled bigint NOT NULL,
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
	packets		bigint NOT NULL,
	bytes		bigint NOT NULL,
	packets_upscaled bigint NOT NULL,
	bytes_upscaled bigint NOT NULL,
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
	packets		bigint NOT NULL,
	bytes		bigint NOT NULL,
	packets_upscaled bigint NOT NULL,
	bytes_upscaled bigint NOT NULL,
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
			   count(*), coalesce(sum(f.packets), 0)::bigint, coalesce(sum(f.bytes), 0)::bigint,
			   coalesce(sum(f.packets * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0)::bigint,
			   coalesce(sum(f.bytes * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0)::bigint
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
	-- silent double count.
	INSERT INTO netflow.rollup_minutes
	SELECT t.minute, sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled),
		   sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
	FROM netflow.rollup_traffic_minute t
	WHERE t.minute >= lo AND t.minute < hi
	GROUP BY t.minute;
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
AS $$
DECLARE
	n		bigint;
BEGIN
	IF to_regclass('pg_temp.rollup_new_traffic') IS NULL THEN
		CREATE TEMP TABLE rollup_new_traffic (
			minute timestamptz, exporter inet, input_if bigint, output_if bigint,
			protocol smallint, direction text, flows bigint, packets bigint, bytes bigint,
			packets_upscaled bigint, bytes_upscaled bigint) ON COMMIT DROP;
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

-- 63_host_profiles.sql
-- 63_host_profiles.sql: per hour and internal address (netflow.networks),
-- what the host sent and received, to internal and external peers, how many
-- distinct peers and destination ports (HyperLogLog, 61_hll.sql), first
-- and last time seen.  Materialized by netflow.rollup_maintenance with the
-- same received-time cut as the other rollups, minute chunk by minute chunk
-- (rows of the current hour grow until it is rolled up).  See
-- docs/rollups.md.

CREATE TABLE netflow.host_profiles (
	hour		timestamptz NOT NULL,
	addr		inet NOT NULL,
	flows_sent_internal bigint NOT NULL,
	flows_sent_external bigint NOT NULL,
	bytes_sent_internal bigint NOT NULL,
	bytes_sent_external bigint NOT NULL,
	flows_received_internal bigint NOT NULL,
	flows_received_external bigint NOT NULL,
	bytes_received_internal bigint NOT NULL,
	bytes_received_external bigint NOT NULL,
	peers		netflow.hll,
	dst_ports	netflow.hll,
	first_seen	timestamptz NOT NULL,
	last_seen	timestamptz NOT NULL,
	PRIMARY KEY (hour, addr)
);
COMMENT ON TABLE netflow.host_profiles IS
	'Per hour and internal address: flows and bytes sent and received, by internal or external peer, distinct peers and destination ports (hll), first and last seen; kept for rollup_retention';
COMMENT ON COLUMN netflow.host_profiles.hour IS 'Start of the hour (UTC) of the flows'' time_start';
COMMENT ON COLUMN netflow.host_profiles.addr IS 'The internal address (netflow.networks)';
COMMENT ON COLUMN netflow.host_profiles.flows_sent_internal IS 'Flows from addr to internal addresses';
COMMENT ON COLUMN netflow.host_profiles.flows_sent_external IS 'Flows from addr to external addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_sent_internal IS 'Bytes (as exported) from addr to internal addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_sent_external IS 'Bytes (as exported) from addr to external addresses';
COMMENT ON COLUMN netflow.host_profiles.flows_received_internal IS 'Flows to addr from internal addresses';
COMMENT ON COLUMN netflow.host_profiles.flows_received_external IS 'Flows to addr from external addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_received_internal IS 'Bytes (as exported) to addr from internal addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_received_external IS 'Bytes (as exported) to addr from external addresses';
COMMENT ON COLUMN netflow.host_profiles.peers IS 'Sketch of the distinct addresses addr talked to, either way (netflow.hll_cardinality)';
COMMENT ON COLUMN netflow.host_profiles.dst_ports IS 'Sketch of the distinct destination ports of the flows addr sent; NULL when it sent none';
COMMENT ON COLUMN netflow.host_profiles.first_seen IS 'Earliest time_start of its flows in the hour';
COMMENT ON COLUMN netflow.host_profiles.last_seen IS 'Latest time_end (time_start when missing) of its flows in the hour';
CREATE INDEX host_profiles_addr_hour ON netflow.host_profiles (addr, hour);
COMMENT ON INDEX netflow.host_profiles_addr_hour IS 'One host''s hours';
SELECT pg_catalog.pg_extension_config_dump('netflow.host_profiles', '');

-- SQL text of a query over the flows selected by cond (over netflow.flows
-- f) giving host_profiles rows per hour and internal address; with
-- addr_param (e.g. '$2'), only for that address.
CREATE FUNCTION netflow.host_profile_select(cond text, addr_param text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	src		text := netflow.internal_expr('f.src_addr');
	dst		text := netflow.internal_expr('f.dst_addr');
	only_src text := CASE WHEN addr_param IS NULL THEN '' ELSE ' AND f.src_addr = ' || addr_param END;
	only_dst text := CASE WHEN addr_param IS NULL THEN '' ELSE ' AND f.dst_addr = ' || addr_param END;
BEGIN
	RETURN format($q$
		SELECT date_trunc('hour', s.time_start) AS hour, s.addr,
			   count(*) FILTER (WHERE s.sent AND s.peer_internal),
			   count(*) FILTER (WHERE s.sent AND NOT s.peer_internal),
			   coalesce(sum(s.bytes) FILTER (WHERE s.sent AND s.peer_internal), 0)::bigint,
			   coalesce(sum(s.bytes) FILTER (WHERE s.sent AND NOT s.peer_internal), 0)::bigint,
			   count(*) FILTER (WHERE NOT s.sent AND s.peer_internal),
			   count(*) FILTER (WHERE NOT s.sent AND NOT s.peer_internal),
			   coalesce(sum(s.bytes) FILTER (WHERE NOT s.sent AND s.peer_internal), 0)::bigint,
			   coalesce(sum(s.bytes) FILTER (WHERE NOT s.sent AND NOT s.peer_internal), 0)::bigint,
			   netflow.hll_add_agg(s.peer),
			   netflow.hll_add_agg(s.dst_port) FILTER (WHERE s.sent),
			   min(s.time_start), max(s.time_last)
		FROM (SELECT f.time_start, coalesce(f.time_end, f.time_start) AS time_last,
					 f.src_addr AS addr, true AS sent, f.dst_addr AS peer, %2$s AS peer_internal,
					 f.dst_port, f.bytes
			  FROM netflow.flows f WHERE (%3$s) AND %1$s%4$s
			  UNION ALL
			  SELECT f.time_start, coalesce(f.time_end, f.time_start),
					 f.dst_addr, false, f.src_addr, %1$s, f.dst_port, f.bytes
			  FROM netflow.flows f WHERE (%3$s) AND %2$s%5$s) AS s
		GROUP BY 1, 2$q$, src, dst, cond, only_src, only_dst);
END
$$;
COMMENT ON FUNCTION netflow.host_profile_select(text, text) IS
	'SQL text computing host_profiles rows from the flows selected by an SQL condition, optionally for one address (internal)';

-- Add the host profiles of the flows selected by cond (parameter $1: the
-- array p) to netflow.host_profiles, merging into existing rows.  Returns
-- the number of rows written.
CREATE FUNCTION netflow.host_profiles_add(cond text, p timestamptz[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	n		bigint;
BEGIN
	EXECUTE 'INSERT INTO netflow.host_profiles AS r ' || netflow.host_profile_select(cond) || '
		ON CONFLICT (hour, addr) DO UPDATE
		SET flows_sent_internal = r.flows_sent_internal + excluded.flows_sent_internal,
			flows_sent_external = r.flows_sent_external + excluded.flows_sent_external,
			bytes_sent_internal = r.bytes_sent_internal + excluded.bytes_sent_internal,
			bytes_sent_external = r.bytes_sent_external + excluded.bytes_sent_external,
			flows_received_internal = r.flows_received_internal + excluded.flows_received_internal,
			flows_received_external = r.flows_received_external + excluded.flows_received_external,
			bytes_received_internal = r.bytes_received_internal + excluded.bytes_received_internal,
			bytes_received_external = r.bytes_received_external + excluded.bytes_received_external,
			peers = coalesce(netflow.hll_union(r.peers, excluded.peers), r.peers, excluded.peers),
			dst_ports = coalesce(netflow.hll_union(r.dst_ports, excluded.dst_ports), r.dst_ports, excluded.dst_ports),
			first_seen = least(r.first_seen, excluded.first_seen),
			last_seen = greatest(r.last_seen, excluded.last_seen)'
	USING p;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.host_profiles_add(text, timestamptz[]) IS
	'Add the host profiles of the flows selected by an SQL condition to netflow.host_profiles (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.host_profiles_add(text, timestamptz[]) FROM PUBLIC;

-- One host's profile per hour over the hours overlapping [from_ts, to_ts)
-- (whole hours): the stored hours, plus raw flows for the hours not rolled
-- up yet and for late flows not folded in yet.
CREATE FUNCTION netflow.host_profile(addr inet, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (hour timestamptz, flows_sent bigint, bytes_sent bigint,
			   flows_received bigint, bytes_received bigint,
			   flows_sent_internal bigint, flows_sent_external bigint,
			   bytes_sent_internal bigint, bytes_sent_external bigint,
			   flows_received_internal bigint, flows_received_external bigint,
			   bytes_received_internal bigint, bytes_received_external bigint,
			   peers bigint, dst_ports bigint, first_seen timestamptz, last_seen timestamptz)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 24
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	st		record;
	hfrom	timestamptz;
	hto		timestamptz;
	hupto	timestamptz;
	cut		timestamptz;
BEGIN
	IF addr IS NULL THEN
		RAISE EXCEPTION 'address must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  DETAIL = 'Give the internal address whose profile is wanted.';
	END IF;
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	SELECT * INTO st FROM netflow.rollup_state;
	hfrom := date_trunc('hour', from_ts);
	hto := date_trunc('hour', to_ts);
	IF hto < to_ts THEN
		hto := hto + interval '1 hour';
	END IF;
	hupto := coalesce(st.hours_upto, '-infinity');
	cut := coalesce(st.cut, 'infinity');
	RETURN QUERY EXECUTE format($q$
		WITH parts AS (
			SELECT p.hour, p.flows_sent_internal, p.flows_sent_external, p.bytes_sent_internal,
				   p.bytes_sent_external, p.flows_received_internal, p.flows_received_external,
				   p.bytes_received_internal, p.bytes_received_external, p.peers, p.dst_ports,
				   p.first_seen, p.last_seen
			FROM netflow.host_profiles p
			WHERE p.addr = $2 AND p.hour >= $1[1] AND p.hour < $1[2] AND p.hour < $1[3]
			UNION ALL
			SELECT r.hour, r.a, r.b, r.c, r.d, r.e, r.g, r.h, r.i, r.j, r.k, r.l, r.m
			FROM (%s) AS r(hour, addr, a, b, c, d, e, g, h, i, j, k, l, m)
		)
		SELECT x.hour,
			   sum(x.flows_sent_internal + x.flows_sent_external)::bigint,
			   sum(x.bytes_sent_internal + x.bytes_sent_external)::bigint,
			   sum(x.flows_received_internal + x.flows_received_external)::bigint,
			   sum(x.bytes_received_internal + x.bytes_received_external)::bigint,
			   sum(x.flows_sent_internal)::bigint, sum(x.flows_sent_external)::bigint,
			   sum(x.bytes_sent_internal)::bigint, sum(x.bytes_sent_external)::bigint,
			   sum(x.flows_received_internal)::bigint, sum(x.flows_received_external)::bigint,
			   sum(x.bytes_received_internal)::bigint, sum(x.bytes_received_external)::bigint,
			   coalesce(netflow.hll_cardinality(netflow.hll_union_agg(x.peers)), 0),
			   coalesce(netflow.hll_cardinality(netflow.hll_union_agg(x.dst_ports)), 0),
			   min(x.first_seen), max(x.last_seen)
		FROM parts x
		GROUP BY x.hour
		ORDER BY x.hour$q$,
		netflow.host_profile_select(
			'f.time_start >= greatest($1[1], $1[3]) AND f.time_start < $1[2]
			 OR f.time_start >= $1[1] AND f.time_start < least($1[2], $1[3]) AND f.time_received >= $1[4]',
			'$2'))
	USING ARRAY[hfrom, hto, hupto, cut], addr;
END
$$;
COMMENT ON FUNCTION netflow.host_profile(inet, timestamptz, timestamptz) IS
	'Hourly profile of an internal address over the whole hours overlapping [from_ts, to_ts): flows and bytes sent and received (in total and by internal/external peer), distinct peers and destination ports (HyperLogLog estimates), first and last seen; from netflow.host_profiles and raw flows';

GRANT SELECT ON netflow.host_profiles TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.host_profile(inet, timestamptz, timestamptz),
	netflow.host_profile_select(text, text) TO netflow_reader;

-- 64_rollup_queries.sql
-- 64_rollup_queries.sql: query functions over the rollups that pick the
-- resolution: hourly rollups for whole hours, minute rollups at the edges,
-- raw flows for what is not materialized (and for late flows not folded in
-- yet).  See docs/rollups.md.

-- How a range [from_ts, to_ts) splits: [fa, fb) is covered by the rollups
-- (flows received before cut; the ones received later are read raw),
-- within it [ha, hb) by the hourly rollups (empty, ha = hb, when hourly is
-- false or no whole rolled-up hour fits), within that [da, db) by the daily
-- top-N rollups (empty, da = db, when no whole rolled-up day fits); the
-- rest of [from_ts, to_ts) is read from raw flows.  Minute rollups are
-- needed for [fa, ha) and [hb, fb); with details, where the per-minute
-- details are gone (rollup_minute_retention) those edges are read raw
-- instead.  A raw part whose flows were counted by the rollups but whose
-- partition has been dropped since raises an error: never a silent gap.
CREATE FUNCTION netflow.rollup_split(from_ts timestamptz, to_ts timestamptz, hourly boolean,
									 details boolean,
									 OUT fa timestamptz, OUT fb timestamptz,
									 OUT ha timestamptz, OUT hb timestamptz,
									 OUT cut timestamptz,
									 OUT da timestamptz, OUT db timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	st		record;
	details_from timestamptz := '-infinity';
	lowers	timestamptz[];
	uppers	timestamptz[];
	lost	timestamptz;
BEGIN
	SELECT * INTO st FROM netflow.rollup_state;
	fa := date_trunc('minute', from_ts);
	IF fa < from_ts THEN
		fa := fa + interval '1 minute';
	END IF;
	IF st IS NULL THEN
		fb := fa;
		cut := 'infinity';
	ELSE
		fb := date_trunc('minute', least(to_ts, st.minutes_upto));
		cut := st.cut;
		IF details THEN
			details_from := st.details_from;
		END IF;
	END IF;
	IF fb <= fa THEN
		fa := from_ts;
		fb := from_ts;
	END IF;
	ha := fa;
	hb := fa;
	IF hourly AND fb > fa THEN
		ha := date_trunc('hour', fa);
		IF ha < fa THEN
			ha := ha + interval '1 hour';
		END IF;
		hb := least(date_trunc('hour', fb), date_trunc('hour', st.hours_upto));
		IF hb <= ha THEN
			ha := fa;
			hb := fa;
		END IF;
	END IF;
	-- Edges whose minute details are gone: from raw flows.
	IF hb > ha THEN
		IF fa < details_from THEN
			fa := least(ha, details_from);
		END IF;
		IF fb > hb AND hb < details_from THEN
			fb := hb;
		END IF;
	ELSIF fa < details_from AND fb > fa THEN
		fa := least(fb, details_from);
		ha := fa;
		hb := fa;
	END IF;
	-- Whole rolled-up days within the hours.
	da := ha;
	db := ha;
	IF hb > ha THEN
		da := date_trunc('day', ha);
		IF da < ha THEN
			da := da + interval '1 day';
		END IF;
		db := least(date_trunc('day', hb), date_trunc('day', st.days_upto));
		IF db <= da THEN
			da := ha;
			db := ha;
		END IF;
	END IF;
	-- The raw parts [from_ts, fa) and [fb, to_ts): a minute the rollups
	-- counted flows in must still have its partition.
	IF st IS NOT NULL THEN
		SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
		INTO lowers, uppers
		FROM netflow.flows_partitions() p;
		SELECT min(m.minute) INTO lost
		FROM netflow.rollup_minutes m
		WHERE (m.minute >= date_trunc('minute', from_ts) AND m.minute < fa
			   OR m.minute >= date_trunc('minute', fb) AND m.minute < to_ts)
		  AND NOT EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS x(pl, pu)
						  WHERE x.pl <= m.minute AND m.minute + interval '1 minute' <= x.pu);
		IF lost IS NOT NULL THEN
			RAISE EXCEPTION 'raw flows of the minute % are no longer kept', lost
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  DETAIL = 'Answering [from_ts, to_ts) exactly needs flows of that minute that only the raw partitions held (a range edge inside a minute, or per-minute rollups past rollup_minute_retention), and retention has dropped them.',
					  HINT = 'Start and end the range on whole minutes (date_trunc(''minute'', ...)), or on whole hours for ranges older than rollup_minute_retention.';
		END IF;
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.rollup_split(timestamptz, timestamptz, boolean, boolean) IS
	'How the query functions split [from_ts, to_ts): [fa, fb) from the rollups (flows received before cut), [ha, hb) of it from the hourly ones, [da, db) from the daily ones, the rest from raw flows (edges without per-minute details too, when details); raises an error when raw flows needed are gone (internal)';

-- Refuse a range that is not a finite [from_ts, to_ts) with from_ts <= to_ts.
CREATE FUNCTION netflow.rollup_check_range(from_ts timestamptz, to_ts timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF from_ts IS NULL OR to_ts IS NULL OR NOT isfinite(from_ts) OR NOT isfinite(to_ts) THEN
		RAISE EXCEPTION 'time range must be finite: [%, %)', from_ts, to_ts
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'from_ts and to_ts must be finite, non-NULL timestamps.';
	END IF;
	IF from_ts > to_ts THEN
		RAISE EXCEPTION 'time range is reversed: [%, %)', from_ts, to_ts
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'from_ts must not be later than to_ts; the range is [from_ts, to_ts).';
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.rollup_check_range(timestamptz, timestamptz) IS
	'Raise an error unless [from_ts, to_ts) is a finite range with from_ts <= to_ts (internal)';

-- The heaviest items of a dimension over exactly [from_ts, to_ts).
CREATE FUNCTION netflow.top(dimension text, from_ts timestamptz, to_ts timestamptz,
							n integer DEFAULT 10, metric text DEFAULT 'bytes')
RETURNS TABLE (item text, weight bigint, error bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 10
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- The raw parts are small (edges, the last minutes): starting parallel
-- workers for them costs more than it saves.
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
	key		text;
	sp		record;
BEGIN
	SELECT d.key_expr INTO key FROM netflow.rollup_dimensions() d WHERE d.dimension = top.dimension;
	IF key IS NULL THEN
		RAISE EXCEPTION 'unknown dimension "%"', dimension
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The dimensions are: ' || (SELECT string_agg(d.dimension, ', ') FROM netflow.rollup_dimensions() d) || '.';
	END IF;
	IF metric IS NULL OR metric NOT IN ('bytes', 'flows') THEN
		RAISE EXCEPTION 'unknown metric "%"', metric
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The metrics are bytes and flows.';
	END IF;
	IF n IS NULL OR n < 0 THEN
		RAISE EXCEPTION 'number of items must not be negative or NULL: %', n
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give n >= 0.';
	END IF;
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	sp := netflow.rollup_split(from_ts, to_ts, true, true);
	RETURN QUERY EXECUTE format($q$
		SELECT i.item, i.weight, i.error
		FROM netflow.topn_items((
			SELECT netflow.topn_union(u.s) FROM (
				SELECT d.%1$I AS s FROM netflow.rollup_topn_day d
				WHERE d.dimension = $1 AND d.day >= $11 AND d.day < $12
				UNION ALL
				SELECT h.%1$I FROM netflow.rollup_topn_hour h
				WHERE h.dimension = $1 AND h.hour >= $4 AND h.hour < $11
				UNION ALL
				SELECT h.%1$I FROM netflow.rollup_topn_hour h
				WHERE h.dimension = $1 AND h.hour >= $12 AND h.hour < $5
				UNION ALL
				SELECT m.%1$I FROM netflow.rollup_topn_minute m
				WHERE m.dimension = $1 AND m.minute >= $2 AND m.minute < $4
				UNION ALL
				SELECT m.%1$I FROM netflow.rollup_topn_minute m
				WHERE m.dimension = $1 AND m.minute >= $5 AND m.minute < $3
				UNION ALL
				SELECT netflow.topn(%2$s, %3$s, $9) FROM (
					SELECT * FROM netflow.flows f WHERE f.time_start >= $6 AND f.time_start < $2
					UNION ALL
					SELECT * FROM netflow.flows f WHERE f.time_start >= $3 AND f.time_start < $7
					UNION ALL
					SELECT * FROM netflow.flows f
					WHERE f.time_start >= $2 AND f.time_start < $3 AND f.time_received >= $8) AS f
			) AS u), $10) AS i$q$,
		'by_' || metric, key, CASE metric WHEN 'bytes' THEN 'coalesce(f.bytes, 0)' ELSE '1::bigint' END)
	USING dimension, sp.fa, sp.fb, sp.ha, sp.hb, from_ts, to_ts, sp.cut,
		  netflow.rollup_topn_capacity(), n, sp.da, sp.db;
END
$$;
COMMENT ON FUNCTION netflow.top(text, timestamptz, timestamptz, integer, text) IS
	'The n heaviest items of a dimension (netflow.rollup_dimensions) by bytes or flows over exactly [from_ts, to_ts): hourly rollups for whole hours, minute rollups at the edges, raw flows for the rest; weight - error <= true weight <= weight';

-- Traffic per bucket of width step over exactly [from_ts, to_ts), for
-- dashboards; optionally only one exporter, protocol or direction.
CREATE FUNCTION netflow.traffic(from_ts timestamptz, to_ts timestamptz,
								step interval DEFAULT '1 minute',
								exporter inet DEFAULT NULL, protocol integer DEFAULT NULL,
								direction text DEFAULT NULL)
RETURNS TABLE (bucket timestamptz, flows bigint, packets bigint, bytes bigint,
			   packets_upscaled bigint, bytes_upscaled bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 1440
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Small raw parts (no parallel workers); one hash entry per bucket (a
-- month of minutes is 43,200) without spilling to disk.
SET max_parallel_workers_per_gather = 0
SET work_mem = '64MB'
AS $$
DECLARE
	step_s	numeric;
	filtered boolean := exporter IS NOT NULL OR protocol IS NOT NULL OR direction IS NOT NULL;
	sp		record;
	minute_src text;
	hour_src text;
	raw_src text;
	filt	text := 'true';
	dir		text;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	step_s := extract(epoch FROM step);
	IF step IS NULL OR step_s <= 0 OR step_s % 60 <> 0
	   OR extract(month FROM step) <> 0 OR extract(year FROM step) <> 0 THEN
		RAISE EXCEPTION 'invalid step "%"', step
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The step must be a positive whole number of minutes (hours and days allowed, not months).';
	END IF;
	IF extract(epoch FROM to_ts - from_ts) / step_s > 1000000 THEN
		RAISE EXCEPTION 'too many buckets: [%, %) by %', from_ts, to_ts, step
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = 'At most 1000000 buckets are returned.',
				  HINT = 'Use a larger step.';
	END IF;
	IF direction IS NOT NULL AND direction NOT IN ('outbound', 'inbound', 'internal', 'other') THEN
		RAISE EXCEPTION 'unknown direction "%"', direction
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The directions are outbound, inbound, internal and other.';
	END IF;

	sp := netflow.rollup_split(from_ts, to_ts, step_s % 3600 = 0, filtered);
	IF filtered THEN
		filt := '($11::inet IS NULL OR t.exporter = $11) AND ($12::integer IS NULL OR t.protocol = $12)
				 AND ($13::text IS NULL OR t.direction = $13)';
		minute_src := 'netflow.rollup_traffic_minute';
		hour_src := 'netflow.rollup_traffic_hour';
	ELSE
		minute_src := 'netflow.rollup_minutes';
		hour_src := 'netflow.rollup_hours';
	END IF;
	dir := CASE WHEN direction IS NULL THEN 'NULL::text'
			ELSE format($f$CASE WHEN %1$s THEN CASE WHEN %2$s THEN 'internal' ELSE 'outbound' END
						 WHEN %2$s THEN 'inbound' ELSE 'other' END$f$,
						netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr')) END;

	RETURN QUERY EXECUTE format($q$
		WITH parts AS (
			SELECT t.hour AS t, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %1$s t WHERE t.hour >= $4 AND t.hour < $5 AND %3$s
			UNION ALL
			SELECT t.minute, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %2$s t WHERE t.minute >= $2 AND t.minute < $4 AND %3$s
			UNION ALL
			SELECT t.minute, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %2$s t WHERE t.minute >= $5 AND t.minute < $3 AND %3$s
			UNION ALL
			SELECT pg_catalog.date_bin($8, t.time_start, $10), count(*), coalesce(sum(t.packets), 0)::bigint,
				   coalesce(sum(t.bytes), 0)::bigint,
				   coalesce(sum(t.packets * CASE WHEN t.sampling_interval > 0 THEN t.sampling_interval ELSE 1 END), 0)::bigint,
				   coalesce(sum(t.bytes * CASE WHEN t.sampling_interval > 0 THEN t.sampling_interval ELSE 1 END), 0)::bigint
			FROM (SELECT f.time_start, f.exporter, f.protocol, f.packets, f.bytes, f.sampling_interval,
						 %4$s AS direction FROM (
					SELECT * FROM netflow.flows f WHERE f.time_start >= $6 AND f.time_start < $2
					UNION ALL
					SELECT * FROM netflow.flows f WHERE f.time_start >= $3 AND f.time_start < $7
					UNION ALL
					SELECT * FROM netflow.flows f
					WHERE f.time_start >= $2 AND f.time_start < $3 AND f.time_received >= $9) AS f) AS t
			WHERE %3$s
			GROUP BY 1
		), sums AS (
			SELECT pg_catalog.date_bin($8, p.t, $10) AS b, sum(p.flows) AS flows,
				   sum(p.packets) AS packets, sum(p.bytes) AS bytes,
				   sum(p.packets_upscaled) AS packets_upscaled, sum(p.bytes_upscaled) AS bytes_upscaled
			FROM parts p GROUP BY 1
		)
		SELECT g.b, coalesce(s.flows, 0)::bigint, coalesce(s.packets, 0)::bigint,
			   coalesce(s.bytes, 0)::bigint, coalesce(s.packets_upscaled, 0)::bigint,
			   coalesce(s.bytes_upscaled, 0)::bigint
		FROM generate_series(pg_catalog.date_bin($8, $6, $10), $7 - interval '1 microsecond', $8) AS g(b)
		LEFT JOIN sums s ON s.b = g.b
		ORDER BY g.b$q$,
		hour_src, minute_src, filt, dir)
	USING NULL::text, sp.fa, sp.fb, sp.ha, sp.hb, from_ts, to_ts, step, sp.cut,
		  timestamptz '2000-01-03 00:00:00+00', exporter, protocol, direction;
END
$$;
COMMENT ON FUNCTION netflow.traffic(timestamptz, timestamptz, interval, inet, integer, text) IS
	'Flows, packets and bytes (as exported and upscaled by sampling) per bucket of width step (whole minutes, aligned in UTC from 2000-01-03) over exactly [from_ts, to_ts), every bucket listed; optionally one exporter, protocol or direction (outbound, inbound, internal, other); from the rollups and raw flows';

GRANT SELECT ON netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.rollup_topn_capacity(), netflow.rollup_dimensions(),
	netflow.rollup_split(timestamptz, timestamptz, boolean, boolean),
	netflow.rollup_check_range(timestamptz, timestamptz),
	netflow.top(text, timestamptz, timestamptz, integer, text),
	netflow.traffic(timestamptz, timestamptz, interval, inet, integer, text)
	TO netflow_reader;

-- 50_maintenance.sql: run_maintenance gains step 3b, the rollups
CREATE OR REPLACE FUNCTION netflow.run_maintenance(now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	t_started	timestamptz := clock_timestamp();
	s			record;
	w			record;
	b			record;
	r			record;
	upto		timestamptz;
	old_timeout text := current_setting('lock_timeout');
	n_created	integer := 0;
	n_dropped	integer := 0;
	n_deferred	integer := 0;
	n_errors	integer := 0;
	n_moved		bigint := 0;
	n			bigint;
	errs		text[] := '{}';
	ts			timestamptz[];
	ok			boolean[];
	made		regclass[];
	v_status	text;
	rollups_ok	boolean := true;
BEGIN
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Maintenance works relative to a finite point in time.';
	END IF;

	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE NOTICE 'netflow maintenance skipped: another maintenance run in progress';
		INSERT INTO netflow.maintenance_log (started, finished, as_of, status, detail)
		VALUES (t_started, clock_timestamp(), now, 'skipped', 'another maintenance run in progress');
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	BEGIN
		s := netflow.maintenance_settings();
		w := netflow.ingest_window(now);
	EXCEPTION WHEN OTHERS THEN
		RAISE WARNING 'netflow maintenance: %', SQLERRM;
		INSERT INTO netflow.maintenance_log (started, finished, as_of, status, errors, detail)
		VALUES (t_started, clock_timestamp(), now, 'error', 1, SQLERRM);
		action := 'error';
		detail := SQLERRM;
		RETURN NEXT;
		RETURN;
	END;

	-- 1. Premake: the partition containing now and premake more after it.
	-- create_partitions attaches new partitions, which takes SHARE UPDATE
	-- EXCLUSIVE on netflow.flows: that lets readers and inserts go on, but
	-- waits for VACUUM or another attach, so take it briefly first
	-- (retrying), and only when something is missing.
	BEGIN
		b := netflow.partition_bounds(now, s.partition_interval);
		upto := b.upper;
		FOR i IN 1 .. s.premake LOOP
			upto := (netflow.partition_bounds(upto, s.partition_interval)).upper;
		END LOOP;
		IF EXISTS (SELECT 1
				   FROM generate_series(b.lower, upto - interval '1 microsecond',
										s.partition_interval) AS g(t)
				   WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
									 WHERE g.t >= p.lower AND g.t < p.upper)) THEN
			IF NOT netflow.lock_flows_briefly(s.lock_timeout, 3, 'SHARE UPDATE EXCLUSIVE') THEN
				RAISE EXCEPTION USING ERRCODE = 'lock_not_available';
			END IF;
			SELECT array_agg(m) INTO made FROM netflow.create_partitions(b.lower, upto) AS m;
		END IF;
		FOR r IN
			SELECT p.partition AS rel, p.lower, p.upper
			FROM netflow.flows_partitions() p
			WHERE p.partition = ANY (made)
			ORDER BY p.lower
		LOOP
			action := 'created';
			partition := r.rel::text;
			lower := r.lower;
			upper := r.upper;
			detail := format('premake %s ahead', s.premake);
			RAISE LOG 'netflow maintenance: created partition % [%, %)', partition, lower, upper;
			n_created := n_created + 1;
			RETURN NEXT;
		END LOOP;
	EXCEPTION
		WHEN lock_not_available THEN
			action := 'deferred';
			partition := NULL;
			lower := b.lower;
			upper := upto;
			detail := format('creating partitions: netflow.flows busy (lock not obtained within %s, 3 attempts); retry next run',
							 s.lock_timeout);
			RAISE NOTICE 'netflow maintenance: %', detail;
			n_deferred := n_deferred + 1;
			RETURN NEXT;
		WHEN OTHERS THEN
			action := 'error';
			partition := NULL;
			lower := NULL;
			upper := NULL;
			detail := 'premake: ' || SQLERRM;
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			errs := errs || detail;
			RETURN NEXT;
	END;

	-- 2. Far-future flows: purge the ones received before the retention,
	-- move the ones whose time has come into netflow.flows.
	BEGIN
		IF s.retention > interval '0' THEN
			DELETE FROM netflow.flows_future f WHERE f.time_received < now - s.retention;
			GET DIAGNOSTICS n = ROW_COUNT;
			IF n > 0 THEN
				PERFORM netflow.window_count('future_flows_purged', n);
				action := 'purged';
				partition := 'netflow.flows_future';
				lower := NULL;
				upper := now - s.retention;
				detail := format('%s rows received before the retention', n);
				RAISE LOG 'netflow maintenance: %', detail;
				RETURN NEXT;
			END IF;
		END IF;

		SELECT array_agg(DISTINCT f.time_start) INTO ts
		FROM netflow.flows_future f
		WHERE f.time_start < w.future_from;
		IF ts IS NOT NULL THEN
			PERFORM set_config('lock_timeout', s.lock_timeout, true);
			ok := netflow.make_partitions_for(ts, now);
			PERFORM set_config('lock_timeout', old_timeout, true);
			WITH moved AS (
				DELETE FROM netflow.flows_future f
				WHERE f.time_start IN (SELECT u.t FROM unnest(ts, ok) AS u(t, k) WHERE u.k)
				RETURNING f.*
			)
			INSERT INTO netflow.flows SELECT * FROM moved;
			GET DIAGNOSTICS n_moved = ROW_COUNT;
			IF n_moved > 0 THEN
				PERFORM netflow.window_count('future_flows_moved', n_moved);
				action := 'moved';
				partition := 'netflow.flows_future';
				lower := NULL;
				upper := w.future_from;
				detail := format('%s rows now within the window moved to netflow.flows', n_moved);
				RAISE LOG 'netflow maintenance: %', detail;
				RETURN NEXT;
			END IF;
		END IF;
	EXCEPTION
		WHEN lock_not_available THEN
			action := 'deferred';
			partition := 'netflow.flows_future';
			lower := NULL;
			upper := NULL;
			detail := 'moving future flows: netflow.flows busy; retry next run';
			RAISE NOTICE 'netflow maintenance: %', detail;
			n_deferred := n_deferred + 1;
			n_moved := 0;
			RETURN NEXT;
		WHEN OTHERS THEN
			action := 'error';
			partition := 'netflow.flows_future';
			lower := NULL;
			upper := NULL;
			detail := 'future flows: ' || SQLERRM;
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			n_moved := 0;
			errs := errs || detail;
			RETURN NEXT;
	END;

	-- 3. Forget exporter streams silent for longer than forget_exporters_after:
	-- their saved sequence state, then the templates and sampling rates of
	-- streams with no recent sequence state that were not saved recently
	-- themselves.  The running collector keeps what it holds in memory; a
	-- forgotten stream that comes back is treated as new (its rows are
	-- written again as they change).
	BEGIN
		IF s.forget_exporters_after > interval '0' THEN
			DECLARE
				cutoff	timestamptz := now - s.forget_exporters_after;
				n_seq	bigint;
				n_tpl	bigint;
				n_smp	bigint;
			BEGIN
				DELETE FROM netflow.exporter_state e WHERE e.last_seen < cutoff;
				GET DIAGNOSTICS n_seq = ROW_COUNT;
				DELETE FROM netflow.templates t
				WHERE t.updated_at < cutoff
				  AND NOT EXISTS (SELECT 1 FROM netflow.exporter_state e
								  WHERE e.exporter = t.exporter AND e.obs_domain = t.obs_domain
									AND e.version = t.version);
				GET DIAGNOSTICS n_tpl = ROW_COUNT;
				DELETE FROM netflow.sampling m
				WHERE m.updated_at < cutoff
				  AND NOT EXISTS (SELECT 1 FROM netflow.exporter_state e
								  WHERE e.exporter = m.exporter AND e.obs_domain = m.obs_domain
									AND e.version = m.version);
				GET DIAGNOSTICS n_smp = ROW_COUNT;
				IF n_seq + n_tpl + n_smp > 0 THEN
					action := 'forgot';
					partition := NULL;
					lower := NULL;
					upper := cutoff;
					detail := format('exporter streams silent since %s deleted: sequence states %s, templates %s, sampling rates %s',
									 cutoff, n_seq, n_tpl, n_smp);
					RAISE LOG 'netflow maintenance: %', detail;
					RETURN NEXT;
				END IF;
			END;
		END IF;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'forgetting exporters: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 3b. Rollups (62_rollups.sql), before retention drops what they need;
	-- what they did is in netflow.rollup_state and the server log.
	BEGIN
		PERFORM count(*) FROM netflow.rollup_maintenance(now);
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'rollups: ' || SQLERRM || ' (partitions are not dropped until the rollups succeed)';
		RAISE WARNING 'netflow maintenance: %', detail;
		rollups_ok := false;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 4. Retention, last: once a partition is dropped netflow.flows stays
	-- locked until commit, so nothing slow may follow.
	BEGIN
		-- Not while the rollups failed: they may not hold these flows yet.
		FOR r IN SELECT * FROM netflow.drop_partitions(CASE WHEN rollups_ok THEN s.retention
															ELSE interval '0' END, now) LOOP
			action := r.action;
			partition := r.partition;
			lower := r.lower;
			upper := r.upper;
			detail := r.detail;
			IF r.action = 'dropped' THEN
				n_dropped := n_dropped + 1;
			ELSE
				n_deferred := n_deferred + 1;
			END IF;
			RETURN NEXT;
		END LOOP;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'retention: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	v_status := CASE WHEN n_errors > 0 THEN 'error'
				   WHEN n_deferred > 0 THEN 'deferred'
				   ELSE 'ok' END;
	DELETE FROM netflow.maintenance_log l WHERE l.started < t_started - interval '30 days';
	INSERT INTO netflow.maintenance_log
		(started, finished, as_of, status, created, dropped, deferred, moved, errors, detail)
	VALUES (t_started, clock_timestamp(), now, v_status, n_created, n_dropped, n_deferred,
			n_moved, n_errors, nullif(array_to_string(errs, '; '), ''));
	RAISE LOG 'netflow maintenance %: % created, % dropped, % deferred, % moved, % errors',
		v_status, n_created, n_dropped, n_deferred, n_moved, n_errors;
END
$$;
COMMENT ON FUNCTION netflow.run_maintenance(timestamptz) IS
	'One maintenance run as of now: create the premake partitions ahead, purge/move far-future flows, forget the saved state of exporters silent past forget_exporters_after, bring the rollups up to date, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
REVOKE ALL ON FUNCTION netflow.run_maintenance(timestamptz) FROM PUBLIC;
