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

-- The validity contract of a flow (src/decode/flow_contract.c) over the
-- columns of a row, NULL allowed in any column: the CHECK constraint of
-- netflow.flows, so the table holds only what the netflow.flow type and the
-- decoders accept.  See docs/flow-type.md, "Validity".
CREATE FUNCTION netflow.flow_row_check(
	time_start timestamptz, time_end timestamptz, time_received timestamptz,
	exporter inet, obs_domain bigint, version smallint,
	src_addr inet, dst_addr inet, src_port integer, dst_port integer,
	protocol smallint, tcp_flags smallint, tos smallint,
	packets bigint, bytes bigint, sampling_interval bigint,
	input_if bigint, output_if bigint, src_as bigint, dst_as bigint,
	next_hop inet, src_mask smallint, dst_mask smallint, direction smallint,
	src_vlan integer, dst_vlan integer, src_mac macaddr, dst_mac macaddr,
	end_reason smallint, icmp_type smallint, icmp_code smallint,
	flags integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_row_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_row_check(timestamptz, timestamptz, timestamptz, inet, bigint, smallint, inet, inet, integer, integer, smallint, smallint, smallint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, inet, smallint, smallint, smallint, integer, integer, macaddr, macaddr, smallint, smallint, smallint, integer) IS
	'Whether the columns of a netflow.flows row satisfy the flow validity contract (NULL allowed anywhere); the CHECK constraint flows_contract of netflow.flows';

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
	flags			integer,
	-- the flow validity contract, as for netflow.flow values
	CONSTRAINT flows_contract CHECK (netflow.flow_row_check(
		time_start, time_end, time_received, exporter, obs_domain, version,
		src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, tos,
		packets, bytes, sampling_interval, input_if, output_if, src_as, dst_as,
		next_hop, src_mask, dst_mask, direction, src_vlan, dst_vlan, src_mac,
		dst_mac, end_reason, icmp_type, icmp_code, flags))
) PARTITION BY RANGE (time_start);

COMMENT ON CONSTRAINT flows_contract ON netflow.flows IS
	'The flow validity contract (as for netflow.flow values and decoded records): masks within their address family, direction 0 or 1, source and destination of one family, values within their range; NULL allowed';
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
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';
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
-- flows_pYYYYMM (months), flows_pYYYYMMDD (days), flows_pYYYYMMDDHH (hours)
-- for the years 1 to 9999 AD.  Other years carry their era and a separator,
-- flows_pbc2026_1220 (2026-12-20 BC) or flows_pad10000_1220, so that no two
-- ranges share a name (a BC day must not take the name of the AD day).
CREATE FUNCTION netflow.partition_name(lower timestamptz, step interval)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind	text := netflow.partition_interval_kind(step);
	u		timestamp := lower AT TIME ZONE 'UTC';
	rest	text;
BEGIN
	-- Numeric-only patterns: the result does not depend on locale settings.
	rest := to_char(u, CASE kind
						   WHEN 'month' THEN 'MM'
						   WHEN 'day' THEN 'MMDD'
						   ELSE 'MMDDHH24'
					   END);
	IF u >= timestamp '0001-01-01 00:00:00' AND u < timestamp '10000-01-01 00:00:00' THEN
		RETURN 'flows_p' || to_char(u, 'YYYY') || rest;
	END IF;
	-- to_char's YYYY is the year without its era (1 BC is 1).
	RETURN 'flows_p' || CASE WHEN u < timestamp '0001-01-01 00:00:00' THEN 'bc' ELSE 'ad' END
		|| to_char(u, 'FMYYYY') || '_' || rest;
END
$$;
COMMENT ON FUNCTION netflow.partition_name(timestamptz, interval) IS
	'Name (in schema netflow) of the partition starting at lower for interval step, e.g. flows_p20261126 or flows_p2026112613; years outside 1-9999 AD carry their era, e.g. flows_pbc2026_1220';

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
		-- autosummarize: autovacuum summarizes each block range once it is
		-- full, so time filters skip ranges while ingest goes on.
		EXECUTE format('CREATE INDEX %I ON %s USING brin (time_start) WITH (autosummarize = on)',
					   pname || '_time_start_brin', created);
		-- The rollups find the flows received since their last run by
		-- time_received (62_rollups.sql): its index is made here, on the
		-- empty table, so that maintenance never has to build it on a
		-- partition taking inserts (CREATE INDEX holds SHARE on it, which
		-- blocks the collector's inserts, until the run commits).
		EXECUTE format('CREATE INDEX %I ON %s USING brin (time_received)',
					   left(pname, 63 - length('_time_received_brin')) || '_time_received_brin',
					   created);
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
	'Create the missing netflow.flows partitions covering [from_ts, to_ts) with the configured partition_interval (at most 1000 per call), each with a BRIN index on time_start (autosummarize on) and one on time_received, by CREATE TABLE and ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on netflow.flows); the parts of a range that existing partitions leave uncovered get partitions of their own; returns the partitions created';
