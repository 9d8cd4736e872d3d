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
	bytes_sent_internal numeric NOT NULL,
	bytes_sent_external numeric NOT NULL,
	flows_received_internal bigint NOT NULL,
	flows_received_external bigint NOT NULL,
	bytes_received_internal numeric NOT NULL,
	bytes_received_external numeric NOT NULL,
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
-- Sketches compressed with lz4 where the server has it (see 62_rollups.sql).
DO $$
BEGIN
	ALTER TABLE netflow.host_profiles
		ALTER COLUMN peers SET COMPRESSION lz4, ALTER COLUMN dst_ports SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'netflow: this server has no lz4; host profile sketches are compressed with pglz (slower)';
END
$$;

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
			   coalesce(sum(s.bytes) FILTER (WHERE s.sent AND s.peer_internal), 0),
			   coalesce(sum(s.bytes) FILTER (WHERE s.sent AND NOT s.peer_internal), 0),
			   count(*) FILTER (WHERE NOT s.sent AND s.peer_internal),
			   count(*) FILTER (WHERE NOT s.sent AND NOT s.peer_internal),
			   coalesce(sum(s.bytes) FILTER (WHERE NOT s.sent AND s.peer_internal), 0),
			   coalesce(sum(s.bytes) FILTER (WHERE NOT s.sent AND NOT s.peer_internal), 0),
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
RETURNS TABLE (hour timestamptz, flows_sent bigint, bytes_sent numeric,
			   flows_received bigint, bytes_received numeric,
			   flows_sent_internal bigint, flows_sent_external bigint,
			   bytes_sent_internal numeric, bytes_sent_external numeric,
			   flows_received_internal bigint, flows_received_external bigint,
			   bytes_received_internal numeric, bytes_received_external numeric,
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
			   sum(x.bytes_sent_internal + x.bytes_sent_external),
			   sum(x.flows_received_internal + x.flows_received_external)::bigint,
			   sum(x.bytes_received_internal + x.bytes_received_external),
			   sum(x.flows_sent_internal)::bigint, sum(x.flows_sent_external)::bigint,
			   sum(x.bytes_sent_internal), sum(x.bytes_sent_external),
			   sum(x.flows_received_internal)::bigint, sum(x.flows_received_external)::bigint,
			   sum(x.bytes_received_internal), sum(x.bytes_received_external),
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
	'Hourly profile of an internal address over the whole hours overlapping [from_ts, to_ts): flows and bytes sent and received (in total and by internal/external peer), distinct peers and destination ports (HyperLogLog estimates), first and last seen; from netflow.host_profiles and raw flows; byte sums are numeric, exact beyond bigint';

GRANT SELECT ON netflow.host_profiles TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.host_profile(inet, timestamptz, timestamptz),
	netflow.host_profile_select(text, text) TO netflow_reader;
