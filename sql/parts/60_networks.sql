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
