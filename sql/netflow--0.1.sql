-- netflow 0.1 install script: released, frozen.  Never edit this file; a
-- change to the SQL objects goes into sql/parts/ (the next version's install
-- script) and into the upgrade script netflow--0.1--<next>.sql.

\echo Use "CREATE EXTENSION netflow" to load this file. \quit
-- 10_flows.sql: the flow table netflow.flows (partitioned by time_start),
-- its upscaled view, the configuration tables, and partition helpers.

------------------------------------------------------------------------
-- Configuration
------------------------------------------------------------------------

-- Built-in defaults: one row per known setting.  Each part file inserts the
-- settings it owns.  Not dumped: CREATE EXTENSION recreates it.
CREATE TABLE netflow.config_defaults (
	key			text PRIMARY KEY,
	value		text NOT NULL,
	description text NOT NULL
);
COMMENT ON TABLE netflow.config_defaults IS
	'Built-in default value of every netflow setting (read-only; override in netflow.config)';
COMMENT ON COLUMN netflow.config_defaults.key IS 'Setting name';
COMMENT ON COLUMN netflow.config_defaults.value IS 'Default value, as text';
COMMENT ON COLUMN netflow.config_defaults.description IS 'What the setting controls';

-- User overrides.  Empty at install, so pg_dump keeps exactly what the user
-- set and a restore never collides with the defaults.
CREATE TABLE netflow.config (
	key			text PRIMARY KEY REFERENCES netflow.config_defaults (key),
	value		text NOT NULL
);
COMMENT ON TABLE netflow.config IS
	'Settings changed from their default (see netflow.config_defaults); kept by pg_dump';
COMMENT ON COLUMN netflow.config.key IS 'Setting name, one of netflow.config_defaults.key';
COMMENT ON COLUMN netflow.config.value IS 'Value, as text';
SELECT pg_catalog.pg_extension_config_dump('netflow.config', '');

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('partition_interval', '1 day',
	 'Width of each netflow.flows partition: whole hours dividing a day, whole days, or 1, 2, 3, 4, 6 or 12 months');

CREATE FUNCTION netflow.config_get(setting text)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(
		(SELECT c.value FROM netflow.config c WHERE c.key = setting),
		(SELECT d.value FROM netflow.config_defaults d WHERE d.key = setting))
$$;
COMMENT ON FUNCTION netflow.config_get(text) IS
	'Current value of a netflow setting: the override in netflow.config, else the default; NULL for an unknown name';

------------------------------------------------------------------------
-- The flow table
------------------------------------------------------------------------

CREATE TABLE netflow.flows (
	time_start		timestamptz NOT NULL,
	time_end		timestamptz,
	time_received	timestamptz,
	exporter		inet,
	obs_domain		bigint,
	version			smallint,
	src_addr		inet,
	dst_addr		inet,
	src_port		integer,
	dst_port		integer,
	protocol		smallint,
	tcp_flags		smallint,
	tos				smallint,
	packets			bigint,
	bytes			bigint,
	sampling_interval bigint,
	input_if		bigint,
	output_if		bigint,
	src_as			bigint,
	dst_as			bigint,
	next_hop		inet,
	src_mask		smallint,
	dst_mask		smallint,
	direction		smallint,
	src_vlan		integer,
	dst_vlan		integer,
	src_mac			macaddr,
	dst_mac			macaddr,
	end_reason		smallint,
	icmp_type		smallint,
	icmp_code		smallint,
	flags			integer
) PARTITION BY RANGE (time_start);

COMMENT ON TABLE netflow.flows IS
	'One row per flow record received (NetFlow v5, v9, IPFIX); partitioned by time_start, see netflow.create_partitions';
COMMENT ON COLUMN netflow.flows.time_start IS
	'Start of the flow (first packet), UTC; v5 First, v9 FIRST_SWITCHED, IPFIX flowStart*';
COMMENT ON COLUMN netflow.flows.time_end IS
	'End of the flow (last packet), UTC; v5 Last, v9 LAST_SWITCHED, IPFIX flowEnd*';
COMMENT ON COLUMN netflow.flows.time_received IS
	'When the collector received the datagram carrying the record (collector clock)';
COMMENT ON COLUMN netflow.flows.exporter IS
	'Address of the device that sent the export datagram';
COMMENT ON COLUMN netflow.flows.obs_domain IS
	'v9 source ID / IPFIX observation domain ID (0 for NetFlow v5)';
COMMENT ON COLUMN netflow.flows.version IS
	'Export protocol version: 5, 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.flows.src_addr IS
	'Source IP address (IPv4 or IPv6); NULL when not exported';
COMMENT ON COLUMN netflow.flows.dst_addr IS
	'Destination IP address (same family as src_addr); NULL when not exported';
COMMENT ON COLUMN netflow.flows.src_port IS
	'Source transport port (0-65535); NULL when not exported';
COMMENT ON COLUMN netflow.flows.dst_port IS
	'Destination transport port (0-65535); NULL when not exported';
COMMENT ON COLUMN netflow.flows.protocol IS
	'IP protocol number (6 TCP, 17 UDP, 1 ICMP, ...); NULL when not exported';
COMMENT ON COLUMN netflow.flows.tcp_flags IS
	'Union of the TCP flags seen in the flow (low 8 bits); NULL when not exported';
COMMENT ON COLUMN netflow.flows.tos IS
	'IP type of service / traffic class byte; NULL when not exported';
COMMENT ON COLUMN netflow.flows.packets IS
	'Packets in the flow as exported (not multiplied by sampling_interval)';
COMMENT ON COLUMN netflow.flows.bytes IS
	'Layer-3 bytes in the flow as exported (not multiplied by sampling_interval)';
COMMENT ON COLUMN netflow.flows.sampling_interval IS
	'Packet sampling interval: 1 = unsampled, N = 1 of N packets, 0 = unknown';
COMMENT ON COLUMN netflow.flows.input_if IS
	'SNMP ifIndex of the input interface; NULL when not exported';
COMMENT ON COLUMN netflow.flows.output_if IS
	'SNMP ifIndex of the output interface; NULL when not exported';
COMMENT ON COLUMN netflow.flows.src_as IS
	'BGP autonomous system of the source; NULL when not exported';
COMMENT ON COLUMN netflow.flows.dst_as IS
	'BGP autonomous system of the destination; NULL when not exported';
COMMENT ON COLUMN netflow.flows.next_hop IS
	'IP address of the next-hop router; NULL when not exported';
COMMENT ON COLUMN netflow.flows.src_mask IS
	'Prefix length of the source route (0-32 IPv4, 0-128 IPv6); NULL when not exported';
COMMENT ON COLUMN netflow.flows.dst_mask IS
	'Prefix length of the destination route (0-32 IPv4, 0-128 IPv6); NULL when not exported';
COMMENT ON COLUMN netflow.flows.direction IS
	'Flow direction at the observation point: 0 ingress, 1 egress; NULL when not exported';
COMMENT ON COLUMN netflow.flows.src_vlan IS
	'Source (ingress) VLAN ID; NULL when not exported';
COMMENT ON COLUMN netflow.flows.dst_vlan IS
	'Destination (egress) VLAN ID; NULL when not exported';
COMMENT ON COLUMN netflow.flows.src_mac IS
	'Source MAC address; NULL when not exported';
COMMENT ON COLUMN netflow.flows.dst_mac IS
	'Destination MAC address; NULL when not exported';
COMMENT ON COLUMN netflow.flows.end_reason IS
	'Why the exporter ended the flow (IPFIX flowEndReason: 1 idle, 2 active, 3 end detected, 4 forced, 5 lack of resources); NULL when not exported';
COMMENT ON COLUMN netflow.flows.icmp_type IS
	'ICMP type (ICMP and ICMPv6 flows); NULL when not exported';
COMMENT ON COLUMN netflow.flows.icmp_code IS
	'ICMP code (ICMP and ICMPv6 flows); NULL when not exported';
COMMENT ON COLUMN netflow.flows.flags IS
	'How the record was obtained, bit mask: 1 = times are the receive time (exporter sent none), 2 = decoded after waiting for its template, 4 = reverse direction of a bidirectional record (RFC 5103 / NSEL responder counters)';

-- BRIN on time_start: create_partitions gives every partition its own BRIN
-- index.  There is deliberately no index on the parent: the parent belongs
-- to the extension, and a parent index would make pg_dump's output fail to
-- restore (ATTACH PARTITION would create the partition's index before the
-- dump's own CREATE INDEX for it).

CREATE VIEW netflow.flows_upscaled WITH (security_invoker = true) AS
SELECT f.*,
	   CASE WHEN f.sampling_interval > 0
			THEN f.packets::numeric * f.sampling_interval END AS packets_upscaled,
	   CASE WHEN f.sampling_interval > 0
			THEN f.bytes::numeric * f.sampling_interval END AS bytes_upscaled
FROM netflow.flows f;
COMMENT ON VIEW netflow.flows_upscaled IS
	'netflow.flows plus estimated true volumes: packets and bytes multiplied by sampling_interval (NULL when the interval is unknown, i.e. 0)';
-- The view's other columns carry the table's column comments.
DO $$
DECLARE
	r		record;
BEGIN
	FOR r IN
		SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = 'netflow.flows'::pg_catalog.regclass
		  AND a.attnum > 0 AND NOT a.attisdropped
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN netflow.flows_upscaled.%I IS %L',
								  r.attname, r.comment);
	END LOOP;
END
$$;
COMMENT ON COLUMN netflow.flows_upscaled.packets_upscaled IS
	'Estimated packets: packets * sampling_interval; NULL when sampling_interval is 0 (unknown) or NULL';
COMMENT ON COLUMN netflow.flows_upscaled.bytes_upscaled IS
	'Estimated bytes: bytes * sampling_interval; NULL when sampling_interval is 0 (unknown) or NULL';

------------------------------------------------------------------------
-- Partition helpers
------------------------------------------------------------------------

-- Validate a partition interval and classify it: 'hour' (whole hours that
-- divide a day), 'day' (whole days) or 'month' (1, 2, 3, 4, 6 or 12 months).
CREATE FUNCTION netflow.partition_interval_kind(step interval)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	months	integer := extract(year FROM step)::integer * 12
					   + extract(month FROM step)::integer;
	usecs	numeric := extract(day FROM step)::numeric * 86400000000
					   + (extract(epoch FROM step)
						  - extract(year FROM step) * 31557600
						  - extract(month FROM step) * 2592000
						  - extract(day FROM step) * 86400) * 1000000;
BEGIN
	IF months <> 0 THEN
		IF usecs = 0 AND months IN (1, 2, 3, 4, 6, 12) THEN
			RETURN 'month';
		END IF;
	ELSIF usecs > 0 AND usecs % 86400000000 = 0 THEN
		RETURN 'day';
	ELSIF usecs > 0 AND usecs % 3600000000 = 0
		  AND 86400000000 % usecs = 0 THEN
		RETURN 'hour';
	END IF;
	RAISE EXCEPTION 'invalid partition interval "%"', step
		USING ERRCODE = 'invalid_parameter_value',
			  DETAIL = 'A partition interval must be whole hours dividing a day (1, 2, 3, 4, 6, 8, 12 hours), whole days, or 1, 2, 3, 4, 6 or 12 months.';
END
$$;
COMMENT ON FUNCTION netflow.partition_interval_kind(interval) IS
	'Classify a partition interval as hour, day or month; raises an error for an interval netflow cannot partition by';

-- The configured partition interval (setting partition_interval), validated.
CREATE FUNCTION netflow.partition_interval()
RETURNS interval
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	step	interval := netflow.config_get('partition_interval')::interval;
BEGIN
	PERFORM netflow.partition_interval_kind(step);
	RETURN step;
END
$$;
COMMENT ON FUNCTION netflow.partition_interval() IS
	'Configured width of netflow.flows partitions (setting partition_interval, default 1 day), validated';

-- The partition range [lower, upper) of the given interval containing ts,
-- aligned in UTC: hour and day intervals on multiples of the interval
-- counted from 2000-01-03 00:00 UTC (a Monday, so 7 days = ISO weeks),
-- month intervals on multiples of the interval counted from January.
CREATE FUNCTION netflow.partition_bounds(ts timestamptz, step interval,
										 OUT lower timestamptz,
										 OUT upper timestamptz)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind	text := netflow.partition_interval_kind(step);
	u		timestamp := ts AT TIME ZONE 'UTC';
	lo		timestamp;
	months	integer;
BEGIN
	IF NOT isfinite(ts) THEN
		RAISE EXCEPTION 'timestamp out of range for a partition: "%"', ts
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Partitions cover finite time ranges only.';
	END IF;
	IF kind = 'month' THEN
		months := extract(year FROM step)::integer * 12
				  + extract(month FROM step)::integer;
		lo := date_trunc('year', u)
			  + make_interval(months => ((extract(month FROM u)::integer - 1)
										  / months) * months);
	ELSE
		lo := date_bin(step, u, timestamp '2000-01-03 00:00:00');
	END IF;
	lower := lo AT TIME ZONE 'UTC';
	upper := (lo + step) AT TIME ZONE 'UTC';
END
$$;
COMMENT ON FUNCTION netflow.partition_bounds(timestamptz, interval) IS
	'Range [lower, upper) of the partition of width step that contains ts, aligned to the interval in UTC';

-- Deterministic partition name for a range starting at lower:
-- flows_pYYYYMM (months), flows_pYYYYMMDD (days), flows_pYYYYMMDDHH (hours).
CREATE FUNCTION netflow.partition_name(lower timestamptz, step interval)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind	text := netflow.partition_interval_kind(step);
BEGIN
	-- Numeric-only patterns: the result does not depend on locale settings.
	RETURN 'flows_p' || to_char(lower AT TIME ZONE 'UTC',
								CASE kind
									WHEN 'month' THEN 'YYYYMM'
									WHEN 'day' THEN 'YYYYMMDD'
									ELSE 'YYYYMMDDHH24'
								END);
END
$$;
COMMENT ON FUNCTION netflow.partition_name(timestamptz, interval) IS
	'Name (in schema netflow) of the partition starting at lower for interval step, e.g. flows_p20261126 or flows_p2026112613';

-- Existing partitions of netflow.flows with their ranges (MINVALUE and
-- MAXVALUE shown as -infinity and infinity; the default partition omitted).
CREATE FUNCTION netflow.flows_partitions(OUT partition regclass,
										 OUT lower timestamptz,
										 OUT upper timestamptz)
RETURNS SETOF record
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
AS $$
DECLARE
	r		record;
	m		text[];
BEGIN
	FOR r IN
		SELECT c.oid::regclass AS rel,
			   pg_get_expr(c.relpartbound, c.oid) AS bound
		FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'netflow.flows'::regclass
		ORDER BY c.oid
	LOOP
		m := regexp_match(r.bound,
						  '^FOR VALUES FROM \((.*)\) TO \((.*)\)$');
		CONTINUE WHEN m IS NULL;	/* DEFAULT partition */
		partition := r.rel;
		lower := CASE m[1] WHEN 'MINVALUE' THEN '-infinity'::timestamptz
				 ELSE btrim(m[1], '''')::timestamptz END;
		upper := CASE m[2] WHEN 'MAXVALUE' THEN 'infinity'::timestamptz
				 ELSE btrim(m[2], '''')::timestamptz END;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.flows_partitions() IS
	'Partitions of netflow.flows with their time ranges [lower, upper); the default partition, if any, is not listed';

-- Create the missing partitions covering [from_ts, to_ts) with the
-- configured interval.  A bucket that partly overlaps existing partitions
-- (for example ones made with another interval) gets partitions for the
-- parts no partition covers, so no time range is left without one.  Each
-- partition is made as a plain table with a CHECK constraint matching its
-- range and then attached: ATTACH PARTITION needs only SHARE UPDATE
-- EXCLUSIVE on netflow.flows (CREATE TABLE ... PARTITION OF needs ACCESS
-- EXCLUSIVE), and the constraint lets it skip the validation scan.
CREATE FUNCTION netflow.create_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
AS $$
DECLARE
	max_partitions constant integer := 1000;
	step	interval := netflow.partition_interval();
	b		record;
	e		record;
	cur		timestamptz;
	blos	timestamptz[] := '{}';	/* the aligned buckets */
	bhis	timestamptz[] := '{}';
	los		timestamptz[] := '{}';	/* the ranges to create */
	his		timestamptz[] := '{}';
	bucket	integer[] := '{}';		/* index of each range's bucket */
	lowers	timestamptz[];			/* the existing partitions */
	uppers	timestamptz[];
	pname	text;
	cname	text;
	created regclass;
	i		integer;
BEGIN
	IF NOT isfinite(from_ts) OR NOT isfinite(to_ts) THEN
		RAISE EXCEPTION 'partition range must be finite'
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = format('The range given was [%s, %s).', from_ts, to_ts);
	END IF;

	-- The aligned buckets covering [from_ts, to_ts), bounded in number.
	cur := from_ts;
	WHILE cur < to_ts LOOP
		IF cardinality(blos) >= max_partitions THEN
			RAISE EXCEPTION 'too many partitions requested'
				USING ERRCODE = 'program_limit_exceeded',
					  DETAIL = format('The range [%s, %s) needs more than %s partitions of %s.',
									  from_ts, to_ts, max_partitions, step),
					  HINT = 'Create the partitions in smaller steps.';
		END IF;
		b := netflow.partition_bounds(cur, step);
		blos := blos || b.lower;
		bhis := bhis || b.upper;
		cur := b.upper;
	END LOOP;

	-- Serialise concurrent calls without blocking readers or writers (the
	-- same lock ATTACH PARTITION takes below).
	LOCK TABLE netflow.flows IN SHARE UPDATE EXCLUSIVE MODE;

	-- Ranges taken already.  The ranges chosen below are disjoint from
	-- them and from each other, so they need not be added.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	-- Per bucket, the sub-ranges no existing partition covers (existing
	-- partitions never overlap each other, so one sweep in order of lower
	-- bound finds them).  A range filling the whole bucket is named after
	-- the bucket; a part of a bucket gets the bucket's name followed by its
	-- own lower bound, flows_p20310104_20310104030000.
	FOR i IN 1 .. cardinality(blos) LOOP
		cur := blos[i];
		FOR e IN
			SELECT x.lo, x.hi
			FROM unnest(lowers, uppers) AS x(lo, hi)
			WHERE x.lo < bhis[i] AND blos[i] < x.hi
			ORDER BY x.lo
		LOOP
			IF e.lo > cur THEN
				los := los || cur;
				his := his || e.lo;
				bucket := bucket || i;
			END IF;
			cur := greatest(cur, e.hi);
		END LOOP;
		IF cur < bhis[i] THEN
			los := los || cur;
			his := his || bhis[i];
			bucket := bucket || i;
		END IF;
	END LOOP;

	-- Gaps can add ranges beyond the buckets: check the total, still
	-- before creating anything.
	IF cardinality(los) > max_partitions THEN
		RAISE EXCEPTION 'too many partitions requested'
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = format('The range [%s, %s) needs %s partitions of %s or parts of them, more than %s.',
								  from_ts, to_ts, cardinality(los), step, max_partitions),
				  HINT = 'Create the partitions in smaller steps.';
	END IF;

	FOR i IN 1 .. cardinality(los) LOOP
		pname := netflow.partition_name(blos[bucket[i]], step);
		IF los[i] <> blos[bucket[i]] OR his[i] <> bhis[bucket[i]] THEN
			pname := pname || '_' || to_char(los[i] AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS');
			IF date_trunc('second', los[i]) <> los[i] THEN
				pname := pname || to_char(los[i] AT TIME ZONE 'UTC', 'US');
			END IF;
		END IF;
		IF to_regclass(format('netflow.%I', pname)) IS NOT NULL THEN
			RAISE NOTICE 'skipping partition range [%, %): relation "netflow.%" already exists',
				los[i], his[i], pname;
			CONTINUE;
		END IF;

		-- A plain table first, with its range as a CHECK constraint so that
		-- ATTACH sees the partition constraint implied and does not scan.
		cname := pname || '_range';
		EXECUTE format('CREATE TABLE netflow.%I (LIKE netflow.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
					   'CONSTRAINT %I CHECK (time_start >= %L::timestamptz AND time_start < %L::timestamptz))',
					   pname, cname, los[i], his[i]);
		created := format('netflow.%I', pname)::regclass;
		EXECUTE format('CREATE INDEX %I ON %s USING brin (time_start)',
					   pname || '_time_start_brin', created);
		EXECUTE format('ALTER TABLE netflow.flows ATTACH PARTITION %s FOR VALUES FROM (%L) TO (%L)',
					   created, los[i], his[i]);
		-- The constraint is redundant now and would be evaluated for every
		-- inserted row; dropping it needs ACCESS EXCLUSIVE on the new
		-- partition only, which ATTACH holds already.
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', created, cname);
		EXECUTE format('COMMENT ON TABLE %s IS %L', created,
					   format('netflow.flows partition for [%s, %s)', los[i], his[i]));
		RETURN NEXT created;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.create_partitions(timestamptz, timestamptz) IS
	'Create the missing netflow.flows partitions covering [from_ts, to_ts) with the configured partition_interval (at most 1000 per call), each with a BRIN index on time_start, by CREATE TABLE and ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on netflow.flows); the parts of a range that existing partitions leave uncovered get partitions of their own; returns the partitions created';
-- 20_flow_type.sql: the netflow.flow type (one flow record), its I/O,
-- btree and hash operator classes, and casts to/from a netflow.flows row.

CREATE TYPE netflow.flow;

CREATE FUNCTION netflow.flow_in(cstring)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_in(cstring) IS
	'Text input of netflow.flow: space-separated key=value pairs';

CREATE FUNCTION netflow.flow_out(netflow.flow)
RETURNS cstring
AS 'MODULE_PATHNAME', 'flow_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_out(netflow.flow) IS
	'Text output of netflow.flow: space-separated key=value pairs in netflow.flows column order';

CREATE FUNCTION netflow.flow_recv(internal)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_recv(internal) IS
	'Binary input of netflow.flow (versioned, network byte order)';

CREATE FUNCTION netflow.flow_send(netflow.flow)
RETURNS bytea
AS 'MODULE_PATHNAME', 'flow_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_send(netflow.flow) IS
	'Binary output of netflow.flow (versioned, network byte order)';

CREATE TYPE netflow.flow (
	INTERNALLENGTH = 192,
	INPUT = netflow.flow_in,
	OUTPUT = netflow.flow_out,
	RECEIVE = netflow.flow_recv,
	SEND = netflow.flow_send,
	ALIGNMENT = double,
	STORAGE = plain
);
COMMENT ON TYPE netflow.flow IS
	'One flow record (NetFlow v5/v9/IPFIX), fixed 192 bytes; text form key=value pairs named like the columns of netflow.flows';

CREATE FUNCTION netflow.flow_to_bytea(netflow.flow)
RETURNS bytea
AS 'MODULE_PATHNAME', 'flow_to_bytea'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_to_bytea(netflow.flow) IS
	'Binary form of a flow (the same bytes as binary COPY sends)';

CREATE FUNCTION netflow.flow_from_bytea(bytea)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_from_bytea'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_from_bytea(bytea) IS
	'Flow from its binary form (as made by netflow.flow_to_bytea), fully validated';

------------------------------------------------------------------------
-- Comparison
------------------------------------------------------------------------

CREATE FUNCTION netflow.flow_cmp(netflow.flow, netflow.flow)
RETURNS integer
AS 'MODULE_PATHNAME', 'flow_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_cmp(netflow.flow, netflow.flow) IS
	'Three-way comparison of flows: fields in netflow.flows column order (absent first), then raw bytes';

CREATE FUNCTION netflow.flow_eq(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_eq(netflow.flow, netflow.flow) IS
	'Implementation of = for netflow.flow: every field equal';

CREATE FUNCTION netflow.flow_ne(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_ne(netflow.flow, netflow.flow) IS
	'Implementation of <> for netflow.flow';

CREATE FUNCTION netflow.flow_lt(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_lt(netflow.flow, netflow.flow) IS
	'Implementation of < for netflow.flow';

CREATE FUNCTION netflow.flow_le(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_le(netflow.flow, netflow.flow) IS
	'Implementation of <= for netflow.flow';

CREATE FUNCTION netflow.flow_gt(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_gt(netflow.flow, netflow.flow) IS
	'Implementation of > for netflow.flow';

CREATE FUNCTION netflow.flow_ge(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_ge(netflow.flow, netflow.flow) IS
	'Implementation of >= for netflow.flow';

CREATE OPERATOR netflow.= (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_eq,
	COMMUTATOR = OPERATOR(netflow.=), NEGATOR = OPERATOR(netflow.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel,
	HASHES, MERGES
);
COMMENT ON OPERATOR netflow.= (netflow.flow, netflow.flow) IS 'equal';

CREATE OPERATOR netflow.<> (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_ne,
	COMMUTATOR = OPERATOR(netflow.<>), NEGATOR = OPERATOR(netflow.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR netflow.<> (netflow.flow, netflow.flow) IS 'not equal';

CREATE OPERATOR netflow.< (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_lt,
	COMMUTATOR = OPERATOR(netflow.>), NEGATOR = OPERATOR(netflow.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR netflow.< (netflow.flow, netflow.flow) IS 'less than';

CREATE OPERATOR netflow.<= (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_le,
	COMMUTATOR = OPERATOR(netflow.>=), NEGATOR = OPERATOR(netflow.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR netflow.<= (netflow.flow, netflow.flow) IS 'less than or equal';

CREATE OPERATOR netflow.> (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_gt,
	COMMUTATOR = OPERATOR(netflow.<), NEGATOR = OPERATOR(netflow.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR netflow.> (netflow.flow, netflow.flow) IS 'greater than';

CREATE OPERATOR netflow.>= (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_ge,
	COMMUTATOR = OPERATOR(netflow.<=), NEGATOR = OPERATOR(netflow.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR netflow.>= (netflow.flow, netflow.flow) IS 'greater than or equal';

CREATE OPERATOR CLASS netflow.flow_ops
DEFAULT FOR TYPE netflow.flow USING btree AS
	OPERATOR 1 netflow.<,
	OPERATOR 2 netflow.<=,
	OPERATOR 3 netflow.=,
	OPERATOR 4 netflow.>=,
	OPERATOR 5 netflow.>,
	FUNCTION 1 netflow.flow_cmp(netflow.flow, netflow.flow);
COMMENT ON OPERATOR CLASS netflow.flow_ops USING btree IS
	'Default btree ordering of netflow.flow (ORDER BY, DISTINCT, merge joins, indexes)';
COMMENT ON OPERATOR FAMILY netflow.flow_ops USING btree IS
	'btree operators of netflow.flow';

------------------------------------------------------------------------
-- Hashing
------------------------------------------------------------------------

CREATE FUNCTION netflow.flow_hash(netflow.flow)
RETURNS integer
AS 'MODULE_PATHNAME', 'flow_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_hash(netflow.flow) IS
	'Hash of a flow, consistent with =';

CREATE FUNCTION netflow.flow_hash_extended(netflow.flow, bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'flow_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_hash_extended(netflow.flow, bigint) IS
	'Seeded 64-bit hash of a flow, consistent with =';

CREATE OPERATOR CLASS netflow.flow_hash_ops
DEFAULT FOR TYPE netflow.flow USING hash AS
	OPERATOR 1 netflow.=,
	FUNCTION 1 netflow.flow_hash(netflow.flow),
	FUNCTION 2 netflow.flow_hash_extended(netflow.flow, bigint);
COMMENT ON OPERATOR CLASS netflow.flow_hash_ops USING hash IS
	'Default hash operator class of netflow.flow (hash joins, hash aggregation, hash indexes)';
COMMENT ON OPERATOR FAMILY netflow.flow_hash_ops USING hash IS
	'hash operators of netflow.flow';

------------------------------------------------------------------------
-- Casts to and from a netflow.flows row
------------------------------------------------------------------------

CREATE FUNCTION netflow.expand(netflow.flow)
RETURNS netflow.flows
AS 'MODULE_PATHNAME', 'flow_expand'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.expand(netflow.flow) IS
	'The flow as a netflow.flows row (absent fields NULL); errors if a counter exceeds bigint or a time is outside timestamptz';

CREATE FUNCTION netflow.flow(netflow.flows)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_from_row'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow(netflow.flows) IS
	'A flow from a netflow.flows row; errors if a required column is NULL or a value does not fit the flow';

CREATE CAST (netflow.flow AS netflow.flows)
	WITH FUNCTION netflow.expand(netflow.flow);
COMMENT ON CAST (netflow.flow AS netflow.flows) IS
	'Explicit cast: the flow as a table row (netflow.expand)';

CREATE CAST (netflow.flows AS netflow.flow)
	WITH FUNCTION netflow.flow(netflow.flows);
COMMENT ON CAST (netflow.flows AS netflow.flow) IS
	'Explicit cast: a table row as a flow (netflow.flow)';
-- 25_decode.sql: decode export datagrams in SQL (netflow.decode) with a
-- per-session decoder, reset it, and read its counters.
--
-- All three are VOLATILE (they read or change the session's decoder) and
-- PARALLEL RESTRICTED: the decoder is backend-local state, which a parallel
-- worker would not share (it would decode without the session's templates),
-- so they run in the leader only; they change no database state.

CREATE FUNCTION netflow.decode(pdu bytea, exporter inet,
							   received timestamptz DEFAULT now(),
							   strict boolean DEFAULT false)
RETURNS SETOF netflow.flows
AS 'MODULE_PATHNAME', 'netflow_decode'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.decode(bytea, inet, timestamptz, boolean) IS
	'Decode one NetFlow v5/v9/IPFIX datagram from exporter into rows shaped like netflow.flows; templates from earlier calls in the session apply; a malformed datagram returns the records before the malformation with a NOTICE, or raises an error when strict';

CREATE FUNCTION netflow.decode_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'netflow_decode_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.decode_reset() IS
	'Forget the templates, waiting data and counters of this session''s netflow.decode decoder';

CREATE FUNCTION netflow.decode_stats()
RETURNS TABLE (counter text, value bigint)
AS 'MODULE_PATHNAME', 'netflow_decode_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.decode_stats() IS
	'Counters of this session''s netflow.decode decoder since its creation or last netflow.decode_reset (datagrams, flows, drops by reason, templates, waiting data, sequence gaps)';
-- 30_collector.sql: the collector's persistent state (netflow.templates,
-- netflow.sampling, netflow.exporter_state),
-- its statistics views, and the roles for reading flows and for running
-- the collector as a non-superuser (their privileges are granted in
-- 90_collector_privileges.sql, after every object exists).

------------------------------------------------------------------------
-- Roles (cluster-wide; created once, kept by DROP EXTENSION)
------------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'netflow_reader') THEN
		CREATE ROLE netflow_reader NOLOGIN;
		COMMENT ON ROLE netflow_reader IS
			'Can read netflow.flows and the netflow statistics views';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'netflow_collector') THEN
		CREATE ROLE netflow_collector NOLOGIN;
		COMMENT ON ROLE netflow_collector IS
			'Has what the netflow collector needs; GRANT it to the LOGIN role named in netflow.role';
	END IF;
END
$$;

------------------------------------------------------------------------
-- Saved templates
------------------------------------------------------------------------

CREATE TABLE netflow.templates (
	exporter	inet NOT NULL,
	obs_domain	bigint NOT NULL CHECK (obs_domain BETWEEN 0 AND 4294967295),
	version		smallint NOT NULL CHECK (version IN (9, 10)),
	template_id integer NOT NULL CHECK (template_id BETWEEN 0 AND 65535),
	is_options	boolean NOT NULL,
	raw			bytea NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (exporter, obs_domain, version, template_id)
);
COMMENT ON TABLE netflow.templates IS
	'NetFlow v9 / IPFIX templates the collector learned, reloaded when it starts so data is decoded without waiting for a resend';
COMMENT ON COLUMN netflow.templates.exporter IS 'Address of the exporting device';
COMMENT ON COLUMN netflow.templates.obs_domain IS 'v9 source ID / IPFIX observation domain ID';
COMMENT ON COLUMN netflow.templates.version IS 'Protocol version: 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.templates.template_id IS 'Template ID (256-65535)';
COMMENT ON COLUMN netflow.templates.is_options IS 'True for an options template';
COMMENT ON COLUMN netflow.templates.raw IS 'The template record as received on the wire';
COMMENT ON COLUMN netflow.templates.updated_at IS 'When the collector last saved a change of this template';
SELECT pg_catalog.pg_extension_config_dump('netflow.templates', '');

------------------------------------------------------------------------
-- Saved sampling rates and sequence state
------------------------------------------------------------------------

CREATE TABLE netflow.sampling (
	exporter	inet NOT NULL,
	obs_domain	bigint NOT NULL CHECK (obs_domain BETWEEN 0 AND 4294967295),
	version		smallint NOT NULL CHECK (version IN (9, 10)),
	sampler_kind text NOT NULL
		CHECK (sampler_kind IN ('exporter', 'sampler', 'selector')),
	sampler_id	bigint NOT NULL,
	sampling_interval bigint NOT NULL CHECK (sampling_interval >= 0),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (exporter, obs_domain, version, sampler_kind, sampler_id),
	CHECK (sampler_kind <> 'exporter' OR sampler_id = 0)
);
COMMENT ON TABLE netflow.sampling IS
	'Sampling rates announced by NetFlow v9 / IPFIX options records, reloaded when the collector starts so sampled data gets its rate without waiting for the exporter to resend its options';
COMMENT ON COLUMN netflow.sampling.exporter IS 'Address of the exporting device';
COMMENT ON COLUMN netflow.sampling.obs_domain IS 'v9 source ID / IPFIX observation domain ID';
COMMENT ON COLUMN netflow.sampling.version IS 'Protocol version: 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.sampling.sampler_kind IS
	'exporter: the exporter-wide rate (options record naming no sampler); sampler: samplerId (IE 48); selector: PSAMP selectorId (IE 302)';
COMMENT ON COLUMN netflow.sampling.sampler_id IS
	'Sampler or selector ID (0 for kind exporter); IDs above 2^63-1 are stored as their two''s complement bit pattern';
COMMENT ON COLUMN netflow.sampling.sampling_interval IS
	'Sampling interval "1 in N" announced (0: sampled at an unknown rate)';
COMMENT ON COLUMN netflow.sampling.updated_at IS 'When the collector last saved a change of this rate';
SELECT pg_catalog.pg_extension_config_dump('netflow.sampling', '');

CREATE TABLE netflow.exporter_state (
	exporter	inet NOT NULL,
	obs_domain	bigint NOT NULL CHECK (obs_domain BETWEEN 0 AND 4294967295),
	version		smallint NOT NULL CHECK (version IN (5, 9, 10)),
	next_sequence bigint NOT NULL CHECK (next_sequence BETWEEN 0 AND 4294967295),
	last_uptime_ms bigint CHECK (last_uptime_ms BETWEEN 0 AND 4294967295),
	last_seen	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (exporter, obs_domain, version)
);
COMMENT ON TABLE netflow.exporter_state IS
	'Sequence state per exporter stream, saved with each flow flush and reloaded when the collector starts, so loss over a collector restart is counted and a continuation is not taken for a reset';
COMMENT ON COLUMN netflow.exporter_state.exporter IS 'Address of the exporting device';
COMMENT ON COLUMN netflow.exporter_state.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / v5 engine_type * 256 + engine_id';
COMMENT ON COLUMN netflow.exporter_state.version IS 'Protocol version: 5, 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.exporter_state.next_sequence IS
	'Sequence number expected in the next datagram (v5: flows, v9: export packets, IPFIX: data records, modulo 2^32)';
COMMENT ON COLUMN netflow.exporter_state.last_uptime_ms IS
	'v9: highest sysUptime (ms) received, to recognize an exporter restart; NULL otherwise';
COMMENT ON COLUMN netflow.exporter_state.last_seen IS 'When the collector last received a datagram of this stream';
COMMENT ON COLUMN netflow.exporter_state.updated_at IS 'When the collector last saved this row';
SELECT pg_catalog.pg_extension_config_dump('netflow.exporter_state', '');

------------------------------------------------------------------------
-- Statistics (shared memory; empty without shared_preload_libraries)
------------------------------------------------------------------------

CREATE FUNCTION netflow.collector_workers(
	OUT worker_type text, OUT worker_id integer, OUT pid integer,
	OUT started_at timestamptz, OUT last_error text,
	OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_collector_workers'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.collector_workers() IS
	'Collector workers (the inserter and each receiver): process id, start time, last error';

CREATE FUNCTION netflow.collector_counters(
	OUT worker_type text, OUT worker_id integer, OUT counter text,
	OUT value bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_collector_counters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.collector_counters() IS
	'Every collector counter, one row per worker and counter, cumulative since the server started';

CREATE FUNCTION netflow.exporters_info(
	OUT exporter inet, OUT obs_domain bigint, OUT version smallint,
	OUT first_seen timestamptz, OUT last_seen timestamptz,
	OUT datagrams bigint, OUT flows bigint, OUT sequence_gaps bigint,
	OUT lost_flows bigint, OUT reordered bigint, OUT resets bigint,
	OUT templates bigint, OUT sampling_interval bigint,
	OUT pending_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_exporters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.exporters_info() IS
	'Per exporter and observation domain state of the collector''s decoder, published about once a second';

CREATE VIEW netflow.collector_stats AS
SELECT w.worker_type, w.worker_id, w.pid, w.started_at,
	max(c.value) FILTER (WHERE c.counter = 'datagrams') AS datagrams,
	max(c.value) FILTER (WHERE c.counter = 'bytes') AS bytes,
	max(c.value) FILTER (WHERE c.counter = 'flows') AS flows_decoded,
	max(c.value) FILTER (WHERE c.counter = 'flows_inserted') AS flows_inserted,
	max(c.value) FILTER (WHERE c.counter = 'flows_buffered') AS flows_buffered,
	max(c.value) FILTER (WHERE c.counter = 'batches') AS batches,
	max(c.value) FILTER (WHERE c.counter = 'insert_retries') AS insert_retries,
	max(c.value) FILTER (WHERE c.counter = 'kernel_drops') AS kernel_drops,
	max(c.value) FILTER (WHERE c.counter = 'drop_not_allowed') AS drop_not_allowed,
	max(c.value) FILTER (WHERE c.counter = 'drop_truncated') AS drop_truncated,
	max(c.value) FILTER (WHERE c.counter = 'drop_queue_full') AS drop_queue_full,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_version') AS drop_bad_version,
	max(c.value) FILTER (WHERE c.counter = 'drop_short') AS drop_short,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_length') AS drop_bad_length,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_set') AS drop_bad_set,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_template') AS drop_bad_template,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_record') AS drop_bad_record,
	max(c.value) FILTER (WHERE c.counter = 'drop_no_memory') AS drop_no_memory,
	max(c.value) FILTER (WHERE c.counter = 'drop_unstorable') AS drop_unstorable,
	max(c.value) FILTER (WHERE c.counter = 'drop_shutdown') AS drop_shutdown,
	max(c.value) FILTER (WHERE c.counter = 'drop_rejected') AS drop_rejected,
	max(c.value) FILTER (WHERE c.counter = 'templates_learned') AS templates_learned,
	max(c.value) FILTER (WHERE c.counter = 'templates_withdrawn') AS templates_withdrawn,
	max(c.value) FILTER (WHERE c.counter = 'templates_evicted') AS templates_evicted,
	max(c.value) FILTER (WHERE c.counter = 'templates_saved') AS templates_saved,
	max(c.value) FILTER (WHERE c.counter = 'options_records') AS options_records,
	max(c.value) FILTER (WHERE c.counter = 'pending_buffered') AS pending_buffered,
	max(c.value) FILTER (WHERE c.counter = 'pending_decoded') AS pending_decoded,
	max(c.value) FILTER (WHERE c.counter = 'pending_evicted') AS pending_evicted,
	max(c.value) FILTER (WHERE c.counter = 'pending_expired') AS pending_expired,
	max(c.value) FILTER (WHERE c.counter = 'seq_gaps') AS seq_gaps,
	max(c.value) FILTER (WHERE c.counter = 'seq_lost') AS seq_lost,
	max(c.value) FILTER (WHERE c.counter = 'seq_reordered') AS seq_reordered,
	max(c.value) FILTER (WHERE c.counter = 'exporter_resets') AS exporter_resets,
	max(c.value) FILTER (WHERE c.counter = 'exporters_evicted') AS exporters_evicted,
	max(c.value) FILTER (WHERE c.counter = 'sampling_unknown') AS sampling_unknown,
	max(c.value) FILTER (WHERE c.counter = 'biflow_reverse') AS biflow_reverse,
	max(c.value) FILTER (WHERE c.counter = 'flows_routed') AS flows_routed,
	max(c.value) FILTER (WHERE c.counter = 'rcvbuf_granted') AS rcvbuf_granted,
	max(c.value) FILTER (WHERE c.counter = 'queue_bytes_used') AS queue_bytes_used,
	max(c.value) FILTER (WHERE c.counter = 'queue_datagrams') AS queue_datagrams,
	max(c.value) FILTER (WHERE c.counter = 'queue_size') AS queue_size,
	max(c.value) FILTER (WHERE c.counter = 'queue_high_water') AS queue_high_water,
	w.last_error, w.last_error_at
FROM netflow.collector_workers() w
LEFT JOIN netflow.collector_counters() c
	ON c.worker_type = w.worker_type AND c.worker_id = w.worker_id
GROUP BY w.worker_type, w.worker_id, w.pid, w.started_at, w.last_error,
	w.last_error_at
ORDER BY w.worker_type, w.worker_id;
COMMENT ON VIEW netflow.collector_stats IS
	'One row per collector worker with its counters (NULL where a counter does not apply to the worker type); see docs/collector.md';

CREATE VIEW netflow.drop_counters AS
SELECT c.counter AS reason, sum(c.value)::bigint AS count
FROM netflow.collector_counters() c
WHERE c.counter LIKE 'drop\_%'
	OR c.counter IN ('kernel_drops', 'pending_evicted', 'pending_expired',
		'templates_evicted')
GROUP BY c.counter
ORDER BY c.counter;
COMMENT ON VIEW netflow.drop_counters IS
	'Datagrams or flows the collector could not keep, by reason, summed over workers';

CREATE VIEW netflow.exporters AS
SELECT e.exporter, e.obs_domain, e.version, e.first_seen, e.last_seen,
	e.datagrams, e.flows, e.sequence_gaps, e.lost_flows, e.reordered,
	e.resets, e.templates, e.sampling_interval, e.pending_bytes
FROM netflow.exporters_info() e
ORDER BY e.exporter, e.obs_domain;
COMMENT ON VIEW netflow.exporters IS
	'Exporting devices seen by the collector since it started, per observation domain: traffic, sequence gaps, estimated lost flows, templates, sampling';

-- Privileges of netflow_reader and netflow_collector: 90_collector_privileges.sql
-- (they cover objects of later parts too).
-- Top-N: weighted heavy-hitter summaries with error bounds (src/topn.c,
-- src/topn_summary.c).  See docs/analytics.md.

CREATE TYPE netflow.topn_summary;

CREATE FUNCTION netflow.topn_summary_in(cstring) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_summary_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_summary_out(netflow.topn_summary) RETURNS cstring
    AS 'MODULE_PATHNAME', 'topn_summary_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_summary_recv(internal) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_summary_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_summary_send(netflow.topn_summary) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_summary_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.topn_summary (
    INPUT = netflow.topn_summary_in,
    OUTPUT = netflow.topn_summary_out,
    RECEIVE = netflow.topn_summary_recv,
    SEND = netflow.topn_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE netflow.topn_summary IS
    'Summary of the heaviest items with error bounds; text form is JSON';
COMMENT ON FUNCTION netflow.topn_summary_in(cstring) IS 'Text input of topn_summary (JSON, validated)';
COMMENT ON FUNCTION netflow.topn_summary_out(netflow.topn_summary) IS 'Text output of topn_summary (JSON)';
COMMENT ON FUNCTION netflow.topn_summary_recv(internal) IS 'Binary input of topn_summary (validated)';
COMMENT ON FUNCTION netflow.topn_summary_send(netflow.topn_summary) IS 'Binary output of topn_summary';

CREATE FUNCTION netflow.topn_summary(bytea) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_summary_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_summary(bytea) IS
    'topn_summary from its binary form (validated); used by the bytea cast';
CREATE FUNCTION netflow.bytea(netflow.topn_summary) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_summary_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.bytea(netflow.topn_summary) IS
    'Binary form of a topn_summary; used by the bytea cast';
CREATE CAST (bytea AS netflow.topn_summary) WITH FUNCTION netflow.topn_summary(bytea);
CREATE CAST (netflow.topn_summary AS bytea) WITH FUNCTION netflow.bytea(netflow.topn_summary);
COMMENT ON CAST (bytea AS netflow.topn_summary) IS 'Binary form to summary (validated like binary input)';
COMMENT ON CAST (netflow.topn_summary AS bytea) IS 'Summary to its binary form';

-- Aggregate support functions.
CREATE FUNCTION netflow.topn_trans(internal, anyelement, bigint, integer) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_trans(internal, anyelement, bigint, integer) IS
    'Transition function of topn: count one row';
CREATE FUNCTION netflow.topn_union_trans(internal, netflow.topn_summary) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_union_trans(internal, netflow.topn_summary) IS
    'Transition function of topn_union: merge one summary';
CREATE FUNCTION netflow.topn_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_combine(internal, internal) IS
    'Combine function of topn and topn_union: merge two partial states';
CREATE FUNCTION netflow.topn_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_serialize(internal) IS
    'Serialize function of topn and topn_union';
CREATE FUNCTION netflow.topn_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_deserialize(bytea, internal) IS
    'Deserialize function of topn and topn_union (validates every length)';
CREATE FUNCTION netflow.topn_final(internal) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_final(internal) IS
    'Final function of topn and topn_union: build the summary value';

CREATE AGGREGATE netflow.topn(key anyelement, weight bigint, capacity integer) (
    SFUNC = netflow.topn_trans,
    STYPE = internal,
    SSPACE = 65536,
    FINALFUNC = netflow.topn_final,
    COMBINEFUNC = netflow.topn_combine,
    SERIALFUNC = netflow.topn_serialize,
    DESERIALFUNC = netflow.topn_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(anyelement, bigint, integer) IS
    'Heaviest keys by summed weight (exact while distinct keys <= capacity, else bounded error)';

CREATE AGGREGATE netflow.topn_union(summary netflow.topn_summary) (
    SFUNC = netflow.topn_union_trans,
    STYPE = internal,
    SSPACE = 65536,
    FINALFUNC = netflow.topn_final,
    COMBINEFUNC = netflow.topn_combine,
    SERIALFUNC = netflow.topn_serialize,
    DESERIALFUNC = netflow.topn_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn_union(netflow.topn_summary) IS
    'Merge stored topn summaries (capacity = largest input capacity)';

CREATE FUNCTION netflow.topn_items(summary netflow.topn_summary, n integer)
    RETURNS TABLE (item text, weight bigint, error bigint)
    AS 'MODULE_PATHNAME', 'topn_items' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION netflow.topn_items(netflow.topn_summary, integer) IS
    'The n heaviest items of a summary: weight - error <= true weight <= weight';
CREATE FUNCTION netflow.topn_total(summary netflow.topn_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'topn_total' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_total(netflow.topn_summary) IS
    'Exact sum of all weights counted into a summary';
CREATE FUNCTION netflow.topn_bound(summary netflow.topn_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'topn_bound' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_bound(netflow.topn_summary) IS
    'Upper bound of the true weight of any item not in the summary (0 = exact)';
-- Shannon entropy aggregates (src/entropy.c).  See docs/analytics.md.

CREATE FUNCTION netflow.entropy_trans(internal, anyelement) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_trans(internal, anyelement) IS
    'Transition function of entropy(value): count the value once';
CREATE FUNCTION netflow.entropy_weighted_trans(internal, anyelement, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_weighted_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_weighted_trans(internal, anyelement, bigint) IS
    'Transition function of entropy(value, weight): add the weight to the value';
CREATE FUNCTION netflow.entropy_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_combine(internal, internal) IS
    'Combine function of the entropy aggregates';
CREATE FUNCTION netflow.entropy_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'entropy_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_serialize(internal) IS
    'Serialize function of the entropy aggregates';
CREATE FUNCTION netflow.entropy_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_deserialize(bytea, internal) IS
    'Deserialize function of the entropy aggregates (validates every length)';
CREATE FUNCTION netflow.entropy_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_final(internal) IS
    'Final function of entropy: Shannon entropy in bits';
CREATE FUNCTION netflow.entropy_normalized_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_normalized_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_normalized_final(internal) IS
    'Final function of entropy_normalized: entropy / log2(distinct values)';

CREATE AGGREGATE netflow.entropy(value anyelement) (
    SFUNC = netflow.entropy_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(anyelement) IS
    'Exact Shannon entropy (bits) of the distribution of a value; NULLs ignored';

CREATE AGGREGATE netflow.entropy(value anyelement, weight bigint) (
    SFUNC = netflow.entropy_weighted_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(anyelement, bigint) IS
    'Exact Shannon entropy (bits) of a value weighted by a non-negative weight';

CREATE AGGREGATE netflow.entropy_normalized(value anyelement) (
    SFUNC = netflow.entropy_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_normalized_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(anyelement) IS
    'Entropy divided by log2(number of distinct values): 0 = one value, 1 = uniform';

CREATE AGGREGATE netflow.entropy_normalized(value anyelement, weight bigint) (
    SFUNC = netflow.entropy_weighted_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_normalized_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(anyelement, bigint) IS
    'Weighted entropy divided by log2(number of values with positive weight)';
-- 50_maintenance.sql: partition life cycle of netflow.flows -- partitions
-- made ahead of time (premake), retention (dropping old partitions without
-- stalling ingest), the policy for flows outside the time window, the
-- maintenance log and the netflow.partitions view.  See docs/operations.md.
--
-- Builds on 10_flows.sql: netflow.config / config_get, partition_interval(),
-- partition_bounds(), flows_partitions() and create_partitions().

------------------------------------------------------------------------
-- Settings (rows in netflow.config, kept by pg_dump; defaults below)
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('premake', '4',
	 'Number of netflow.flows partitions kept ready after the one containing now (0-1000)'),
	('retention', '0',
	 'Partitions whose whole range is older than now minus this interval are dropped by maintenance; 0 keeps everything'),
	('future_tolerance', '1 day',
	 'Flows starting later than now plus this interval (or after the premade partitions, whichever is later) go to netflow.flows_future'),
	('forget_exporters_after', '30 days',
	 'Maintenance deletes the saved sequence state, templates and sampling rates of exporter streams not heard from for this long; 0 keeps them forever');

-- The maintenance settings, parsed and validated.
CREATE FUNCTION netflow.maintenance_settings(OUT partition_interval interval,
											 OUT premake integer,
											 OUT retention interval,
											 OUT future_tolerance interval,
											 OUT forget_exporters_after interval,
											 OUT lock_timeout text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
BEGIN
	partition_interval := netflow.partition_interval();
	FOREACH k IN ARRAY ARRAY['premake', 'retention', 'future_tolerance',
							 'forget_exporters_after'] LOOP
		v := netflow.config_get(k);
		BEGIN
			CASE k
				WHEN 'premake' THEN premake := v::integer;
				WHEN 'retention' THEN retention := v::interval;
				WHEN 'future_tolerance' THEN future_tolerance := v::interval;
				ELSE forget_exporters_after := v::interval;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = CASE k WHEN 'premake' THEN 'The value must be an integer.'
							   ELSE 'The value must be an interval.' END;
		END;
	END LOOP;
	IF premake IS NULL OR premake NOT BETWEEN 0 AND 1000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "premake": "%"', premake
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The number of partitions made ahead must be between 0 and 1000.';
	END IF;
	IF retention IS NULL OR retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "retention": "%"', retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF future_tolerance IS NULL OR future_tolerance < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "future_tolerance": "%"', future_tolerance
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The future tolerance must be an interval of 0 or more.';
	END IF;
	IF forget_exporters_after IS NULL OR forget_exporters_after < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "forget_exporters_after": "%"', forget_exporters_after
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The value must be a positive interval, or 0 to keep exporter state forever.';
	END IF;
	-- A GUC (src/partition_settings.c) when the library is loaded; the same
	-- default when it is not.
	lock_timeout := coalesce(nullif(current_setting('netflow.maintenance_lock_timeout', true), ''),
							 '100ms');
END
$$;
COMMENT ON FUNCTION netflow.maintenance_settings() IS
	'Effective maintenance settings (partition_interval, premake, retention, future_tolerance, forget_exporters_after from netflow.config; lock_timeout from the GUC netflow.maintenance_lock_timeout), validated';

------------------------------------------------------------------------
-- Bookkeeping: counters, log, far-future flows
------------------------------------------------------------------------

CREATE TABLE netflow.window_counters (
	counter		text PRIMARY KEY,
	value		bigint NOT NULL DEFAULT 0,
	updated		timestamptz,
	description text NOT NULL
);
COMMENT ON TABLE netflow.window_counters IS
	'Counters of flows that arrived outside the time window (late, far future) and what became of them';
INSERT INTO netflow.window_counters (counter, description) VALUES
	('late_flows', 'Flows older than the retention when they arrived: stored, then dropped by the next maintenance run'),
	('future_flows', 'Flows starting too far in the future: stored in netflow.flows_future instead of netflow.flows'),
	('future_flows_moved', 'Rows moved from netflow.flows_future into netflow.flows once their time came within the window'),
	('future_flows_purged', 'Rows deleted from netflow.flows_future because they were received longer ago than the retention'),
	('partitions_on_demand', 'Partitions created by ensure_partitions_for for flows outside the premade ones'),
	('unpartitioned_flows', 'Flows within the window whose partition could not be made (its range overlaps partitions of another interval): stored in netflow.flows_future');

-- Add n to a window counter.
CREATE FUNCTION netflow.window_count(name text, n bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE netflow.window_counters
	SET value = value + n, updated = clock_timestamp()
	WHERE counter = name AND n <> 0
$$;
COMMENT ON FUNCTION netflow.window_count(text, bigint) IS
	'Add n to the window counter name (internal)';
REVOKE ALL ON FUNCTION netflow.window_count(text, bigint) FROM PUBLIC;

CREATE TABLE netflow.flows_future (LIKE netflow.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
COMMENT ON TABLE netflow.flows_future IS
	'Flows whose time_start was too far in the future when they arrived (exporter clock wrong); moved to netflow.flows by maintenance once within the window, purged by retention on time_received';
SELECT pg_catalog.pg_extension_config_dump('netflow.flows_future', '');

CREATE TABLE netflow.maintenance_log (
	started		timestamptz NOT NULL,
	finished	timestamptz,
	as_of		timestamptz,
	status		text NOT NULL,
	created		integer NOT NULL DEFAULT 0,
	dropped		integer NOT NULL DEFAULT 0,
	deferred	integer NOT NULL DEFAULT 0,
	moved		bigint NOT NULL DEFAULT 0,
	errors		integer NOT NULL DEFAULT 0,
	detail		text
);
COMMENT ON TABLE netflow.maintenance_log IS
	'One row per partition maintenance run (last 30 days): when, what it did, status ok/deferred/skipped/error';
COMMENT ON COLUMN netflow.maintenance_log.started IS 'Wall-clock start of the run';
COMMENT ON COLUMN netflow.maintenance_log.finished IS 'Wall-clock end of the run';
COMMENT ON COLUMN netflow.maintenance_log.as_of IS 'The "now" the run worked against (its now argument)';
COMMENT ON COLUMN netflow.maintenance_log.status IS 'ok, deferred (some drop must wait for the next run), skipped (another run in progress) or error';
COMMENT ON COLUMN netflow.maintenance_log.created IS 'Partitions created';
COMMENT ON COLUMN netflow.maintenance_log.dropped IS 'Partitions dropped';
COMMENT ON COLUMN netflow.maintenance_log.deferred IS 'Actions deferred to the next run because a lock was not available';
COMMENT ON COLUMN netflow.maintenance_log.moved IS 'Rows moved from netflow.flows_future into netflow.flows';
COMMENT ON COLUMN netflow.maintenance_log.errors IS 'Steps that failed (see detail and the server log)';
COMMENT ON COLUMN netflow.maintenance_log.detail IS 'Error messages, if any';
CREATE INDEX maintenance_log_started ON netflow.maintenance_log (started);
COMMENT ON INDEX netflow.maintenance_log_started IS 'Finds the last runs and the rows to prune';

------------------------------------------------------------------------
-- Which partitions retention drops
------------------------------------------------------------------------

-- Partitions whose whole range ends at or before now - older_than, except
-- the newest partition, which is never dropped.
CREATE FUNCTION netflow.retention_candidates(older_than interval,
											 now timestamptz DEFAULT now())
RETURNS TABLE (partition regclass, lower timestamptz, upper timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	WITH p AS (SELECT * FROM netflow.flows_partitions())
	SELECT p.partition, p.lower, p.upper
	FROM p
	WHERE older_than > interval '0'
	  AND p.upper <= now - older_than
	  AND p.upper < (SELECT max(q.upper) FROM p q)
	ORDER BY p.lower
$$;
COMMENT ON FUNCTION netflow.retention_candidates(interval, timestamptz) IS
	'Partitions of netflow.flows wholly older than now - older_than (upper bound <= now - older_than), never the newest one; none when older_than is 0';

------------------------------------------------------------------------
-- Locking without stalling ingest
------------------------------------------------------------------------

-- Take a lock on netflow.flows (ACCESS EXCLUSIVE to drop a partition,
-- SHARE UPDATE EXCLUSIVE to attach one) with a short lock_timeout, retrying
-- a few times with a pause in between; false when it stayed unavailable.
-- On success the lock is held until the end of the transaction.
CREATE FUNCTION netflow.lock_flows_briefly(lock_timeout text, attempts integer DEFAULT 3,
										   mode text DEFAULT 'ACCESS EXCLUSIVE')
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_timeout text := current_setting('lock_timeout');
BEGIN
	IF mode NOT IN ('ACCESS EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE') THEN
		RAISE EXCEPTION 'unsupported lock mode "%"', mode
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Maintenance takes ACCESS EXCLUSIVE or SHARE UPDATE EXCLUSIVE.';
	END IF;
	FOR attempt IN 1 .. greatest(attempts, 1) LOOP
		BEGIN
			PERFORM set_config('lock_timeout', lock_timeout, true);
			EXECUTE format('LOCK TABLE netflow.flows IN %s MODE', mode);
			PERFORM set_config('lock_timeout', old_timeout, true);
			RETURN true;
		EXCEPTION WHEN lock_not_available THEN
			-- The subtransaction is gone, and with it our place in the lock
			-- queue: inserts waiting behind us proceed during the pause.
			RAISE LOG 'netflow maintenance: lock on netflow.flows not available (attempt % of %)',
				attempt, attempts;
			IF attempt < attempts THEN
				PERFORM pg_sleep(0.1 * attempt);
			END IF;
		END;
	END LOOP;
	RETURN false;
END
$$;
COMMENT ON FUNCTION netflow.lock_flows_briefly(text, integer, text) IS
	'Lock netflow.flows in the given mode waiting at most lock_timeout per attempt; false when not obtained (internal)';
REVOKE ALL ON FUNCTION netflow.lock_flows_briefly(text, integer, text) FROM PUBLIC;

------------------------------------------------------------------------
-- Partitions for flows outside the premade window
------------------------------------------------------------------------

-- Where flows may go, as of now: accepted below future_limit.
CREATE FUNCTION netflow.ingest_window(now timestamptz DEFAULT now(),
									  OUT late_before timestamptz,
									  OUT future_from timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		record := netflow.maintenance_settings();
	b		record := netflow.partition_bounds(now, s.partition_interval);
BEGIN
	FOR i IN 1 .. s.premake LOOP
		b := netflow.partition_bounds(b.upper, s.partition_interval);
	END LOOP;
	late_before := CASE WHEN s.retention > interval '0' THEN now - s.retention
					ELSE '-infinity' END;
	future_from := greatest(now + s.future_tolerance, b.upper);
END
$$;
COMMENT ON FUNCTION netflow.ingest_window(timestamptz) IS
	'Time window for incoming flows: time_start < late_before counts as late (stored, dropped by the next maintenance run); time_start >= future_from goes to netflow.flows_future';

-- Make partitions for the given times (below the future limit); returns,
-- per element, whether a partition of netflow.flows now holds it.
CREATE FUNCTION netflow.make_partitions_for(times timestamptz[], now timestamptz)
RETURNS boolean[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w		record := netflow.ingest_window(now);
	step	interval := netflow.partition_interval();
	ranges	record;
	lowers	timestamptz[];
	uppers	timestamptz[];
	made	integer := 0;
	n		integer;
	result	boolean[];
BEGIN
	-- Buckets of the accepted times that no partition covers yet.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	FOR ranges IN
		SELECT DISTINCT b.lower, b.upper
		FROM unnest(times) AS u(t),
			 LATERAL netflow.partition_bounds(u.t, step) AS b
		WHERE isfinite(u.t) AND u.t < w.future_from
		  AND NOT EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
						  WHERE u.t >= p.lo AND u.t < p.hi)
		ORDER BY 1
	LOOP
		SELECT count(*) INTO n
		FROM netflow.create_partitions(ranges.lower, ranges.upper);
		made := made + n;
	END LOOP;

	IF made > 0 THEN
		PERFORM netflow.window_count('partitions_on_demand', made);
		SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
		INTO lowers, uppers
		FROM netflow.flows_partitions() p;
	END IF;

	SELECT array_agg(CASE
						 WHEN t IS NULL THEN NULL
						 ELSE isfinite(t) AND t < w.future_from
							  AND EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
										  WHERE t >= p.lo AND t < p.hi)
					 END ORDER BY i)
	INTO result
	FROM unnest(times) WITH ORDINALITY AS u(t, i);
	RETURN coalesce(result, '{}');
END
$$;
COMMENT ON FUNCTION netflow.make_partitions_for(timestamptz[], timestamptz) IS
	'Create the missing netflow.flows partitions for the given flow start times below the future limit; per element, true when a partition holds it (internal, no counting)';
REVOKE ALL ON FUNCTION netflow.make_partitions_for(timestamptz[], timestamptz) FROM PUBLIC;

-- The collector's routing call for flows outside its cached window: makes
-- the partitions they need, counts late and future flows, and tells, per
-- flow, whether it goes to netflow.flows (true) or netflow.flows_future
-- (false).
CREATE FUNCTION netflow.ensure_partitions_for(times timestamptz[],
											  now timestamptz DEFAULT now())
RETURNS boolean[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w		record := netflow.ingest_window(now);
	result	boolean[] := netflow.make_partitions_for(times, now);
	late	bigint;
	future	bigint;
	unpartitioned bigint;
BEGIN
	SELECT count(*) FILTER (WHERE ok AND t < w.late_before),
		   count(*) FILTER (WHERE NOT ok AND (NOT isfinite(t) OR t >= w.future_from)),
		   count(*) FILTER (WHERE NOT ok AND isfinite(t) AND t < w.future_from)
	INTO late, future, unpartitioned
	FROM unnest(times, result) AS u(t, ok);
	PERFORM netflow.window_count('late_flows', late);
	PERFORM netflow.window_count('future_flows', future);
	PERFORM netflow.window_count('unpartitioned_flows', unpartitioned);
	RETURN result;
END
$$;
COMMENT ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz) IS
	'Routing for flows outside the premade partitions: creates the partitions the given start times need (late ones included), counts late and far-future flows; per element true = insert into netflow.flows, false = insert into netflow.flows_future';
REVOKE ALL ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz) FROM PUBLIC;

------------------------------------------------------------------------
-- Maintenance
------------------------------------------------------------------------

-- The retention step: drop the partitions wholly older than now -
-- older_than (never the newest), locking netflow.flows briefly; when the
-- lock is not available the drops are deferred to the next run.
CREATE FUNCTION netflow.drop_partitions(older_than interval,
										now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	s		record := netflow.maintenance_settings();
	c		record;
	locked	boolean;
	old_timeout text := current_setting('lock_timeout');
BEGIN
	IF older_than < interval '0' THEN
		RAISE EXCEPTION 'retention must not be negative: "%"', older_than
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give a positive interval, or 0 to drop nothing.';
	END IF;
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Partitions are dropped relative to a finite point in time.';
	END IF;
	-- Same key as run_maintenance (re-entrant within one transaction).
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE NOTICE 'netflow maintenance skipped: another maintenance run in progress';
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	FOR c IN SELECT * FROM netflow.retention_candidates(older_than, now) LOOP
		-- The name, while the relation still exists.
		partition := c.partition::text;
		IF locked IS NULL THEN
			locked := netflow.lock_flows_briefly(s.lock_timeout);
		END IF;
		action := NULL;
		IF locked THEN
			BEGIN
				-- The parent is ours; the partition itself may still be read
				-- by a query naming it directly: wait briefly, no retry, as we
				-- are blocking inserts meanwhile.
				PERFORM set_config('lock_timeout', s.lock_timeout, true);
				EXECUTE format('DROP TABLE %s', c.partition);
				PERFORM set_config('lock_timeout', old_timeout, true);
				action := 'dropped';
				detail := format('older than %s', older_than);
			EXCEPTION WHEN lock_not_available THEN
				action := 'deferred';
				detail := 'partition in use; retry next run';
			END;
		ELSE
			action := 'deferred';
			detail := format('netflow.flows busy (lock not obtained within %s, 3 attempts); retry next run',
							 s.lock_timeout);
		END IF;
		lower := c.lower;
		upper := c.upper;
		IF action = 'dropped' THEN
			RAISE LOG 'netflow maintenance: dropped partition % [%, %)', partition, lower, upper;
		ELSE
			RAISE NOTICE 'netflow maintenance: dropping partition % deferred: %', partition, detail;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.drop_partitions(interval, timestamptz) IS
	'Retention step alone: drop the netflow.flows partitions wholly older than now - older_than (never the newest); a drop that cannot get its lock within netflow.maintenance_lock_timeout (3 attempts) is reported deferred';
REVOKE ALL ON FUNCTION netflow.drop_partitions(interval, timestamptz) FROM PUBLIC;

-- One maintenance run: premake partitions, purge and move far-future
-- flows, drop partitions past the retention; logs itself in
-- netflow.maintenance_log.  Every step runs in its own subtransaction: a
-- failing step is reported (action 'error') and the others still run.
CREATE FUNCTION netflow.run_maintenance(now timestamptz DEFAULT now())
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

	-- 4. Retention, last: once a partition is dropped netflow.flows stays
	-- locked until commit, so nothing slow may follow.
	BEGIN
		FOR r IN SELECT * FROM netflow.drop_partitions(s.retention, now) LOOP
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
	'One maintenance run as of now: create the premake partitions ahead, purge/move far-future flows, forget the saved state of exporters silent past forget_exporters_after, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
REVOKE ALL ON FUNCTION netflow.run_maintenance(timestamptz) FROM PUBLIC;

------------------------------------------------------------------------
-- Visibility
------------------------------------------------------------------------

CREATE VIEW netflow.partitions AS
SELECT p.partition,
	   p.lower,
	   p.upper,
	   CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END AS estimated_rows,
	   pg_total_relation_size(p.partition) AS total_bytes,
	   p.partition IN (SELECT r.partition
					   FROM netflow.retention_candidates(
								(netflow.maintenance_settings()).retention) r) AS retention_drops
FROM netflow.flows_partitions() p
JOIN pg_class c ON c.oid = p.partition
ORDER BY p.lower;
COMMENT ON VIEW netflow.partitions IS
	'Partitions of netflow.flows: range [lower, upper), estimated rows (NULL before the first ANALYZE), size on disk with indexes and TOAST, and whether retention drops it at the next run as of now()';
COMMENT ON COLUMN netflow.partitions.partition IS 'The partition table';
COMMENT ON COLUMN netflow.partitions.lower IS 'Lower bound of the time_start range (inclusive)';
COMMENT ON COLUMN netflow.partitions.upper IS 'Upper bound of the time_start range (exclusive)';
COMMENT ON COLUMN netflow.partitions.estimated_rows IS 'pg_class.reltuples: estimated row count, NULL when never vacuumed or analyzed';
COMMENT ON COLUMN netflow.partitions.total_bytes IS 'pg_total_relation_size: heap, indexes (BRIN) and TOAST, in bytes';
COMMENT ON COLUMN netflow.partitions.retention_drops IS 'True when maintenance run now would drop it (wholly older than the retention, not the newest)';
-- 90_collector_privileges.sql: what the roles of 30_collector.sql may do.
-- Last part, so that every object it names exists.
--
-- netflow_reader: read flows and the collector's views.
-- netflow_collector: what the collector's inserter needs when it runs as a
-- non-superuser (netflow.role): insert flows, route them through
-- ensure_partitions_for (SECURITY DEFINER: it creates partitions as the
-- extension owner), keep netflow.templates, netflow.sampling and
-- netflow.exporter_state.

REVOKE ALL ON FUNCTION netflow.collector_workers() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.collector_counters() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.exporters_info() FROM PUBLIC;

GRANT USAGE ON SCHEMA netflow TO netflow_reader, netflow_collector;
GRANT SELECT ON netflow.flows, netflow.flows_future, netflow.templates,
	netflow.sampling, netflow.exporter_state, netflow.collector_stats,
	netflow.drop_counters, netflow.exporters
	TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.collector_workers(),
	netflow.collector_counters(), netflow.exporters_info() TO netflow_reader;

GRANT INSERT ON netflow.flows, netflow.flows_future TO netflow_collector;
GRANT SELECT, INSERT, UPDATE, DELETE ON netflow.templates, netflow.sampling,
	netflow.exporter_state TO netflow_collector;
GRANT EXECUTE ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz)
	TO netflow_collector;
