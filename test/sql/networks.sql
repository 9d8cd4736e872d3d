-- netflow.networks, network_of, is_internal and the rollups' classifier
-- expression internal_expr: the built-in ranges while the table is empty,
-- the most specific network once it is filled.
BEGIN;
DELETE FROM netflow.networks;

-- Empty table: RFC 1918, RFC 4193 and documentation ranges are internal.
SELECT a, (netflow.network_of(a)).*, netflow.is_internal(a)
FROM unnest(ARRAY['10.1.2.3', '172.16.0.1', '172.32.0.1', '192.168.1.1', '192.0.2.7',
				  '198.51.100.1', '203.0.113.9', '8.8.8.8', 'fd00::1', '2001:db8::5',
				  '2a00::1']::inet[]) AS a;

-- A filled table replaces the defaults; the most specific network decides.
INSERT INTO netflow.networks (network, name, internal) VALUES
	('10.0.0.0/8', 'corp', true),
	('10.9.0.0/16', 'guest wifi', false),
	('10.9.9.0/24', 'guest servers', true),
	('2001:db8:1::/48', 'v6 corp', true),
	('198.51.100.0/24', 'partner', false);
SELECT a, (netflow.network_of(a)).*, netflow.is_internal(a)
FROM unnest(ARRAY['10.1.2.3', '10.9.1.1', '10.9.9.9', '192.168.1.1', '2001:db8:1::1',
				  '2001:db8:2::1', '198.51.100.1']::inet[]) AS a;

-- The classifier expression used by the rollups agrees with is_internal,
-- with the table filled and empty, on a spread of addresses.
CREATE TEMP TABLE addrs AS
SELECT ('10.0.0.0'::inet + (i * 40503) % 16777216) AS a FROM generate_series(1, 2000) i
UNION ALL SELECT unnest(ARRAY['10.9.9.1', '10.9.0.1', '8.8.8.8', '2001:db8:1::9', '::1', NULL]::inet[]);
DO $$
DECLARE
	n bigint;
BEGIN
	FOR i IN 1 .. 2 LOOP
		EXECUTE format('SELECT count(*) FROM addrs WHERE %s IS DISTINCT FROM coalesce(netflow.is_internal(a), false)',
					   netflow.internal_expr('a')) INTO n;
		RAISE NOTICE 'pass %: % disagreements', i, n;
		DELETE FROM netflow.networks;
	END LOOP;
END
$$;

-- The GiST index serves containment lookups.
SET LOCAL enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT * FROM netflow.networks WHERE network >>= '10.1.2.3'::inet;
ROLLBACK;
