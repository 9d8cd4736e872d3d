--
-- netflow.flows: shape, comments, indexes, configuration, partition helpers,
-- the upscaled view, and inserting flows through netflow.expand.
-- Partitions made here are in 2031 so they meet no other test's, and are
-- dropped at the end.
--

-- Columns, in order, with their types
SELECT attnum, attname, format_type(atttypid, atttypmod) AS type, attnotnull
FROM pg_attribute
WHERE attrelid = 'netflow.flows'::regclass AND attnum > 0 AND NOT attisdropped
ORDER BY attnum;
-- every column is a standard type (from pg_catalog)
SELECT a.attname, t.typname, n.nspname
FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
JOIN pg_namespace n ON n.oid = t.typnamespace
WHERE a.attrelid = 'netflow.flows'::regclass AND a.attnum > 0 AND n.nspname <> 'pg_catalog';
-- partitioned by range of time_start
SELECT pg_get_partkeydef('netflow.flows'::regclass);
-- columns without a comment: none
SELECT c.relname, a.attname
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.oid IN ('netflow.flows'::regclass, 'netflow.flows_upscaled'::regclass,
                'netflow.config'::regclass, 'netflow.config_defaults'::regclass)
  AND a.attnum > 0 AND NOT a.attisdropped
  AND col_description(c.oid, a.attnum) IS NULL;
-- tables and views without a comment: none
SELECT c.oid::regclass FROM pg_class c
WHERE c.relnamespace = 'netflow'::regnamespace AND c.relkind IN ('r', 'p', 'v')
  AND obj_description(c.oid, 'pg_class') IS NULL
  AND NOT c.relispartition;
-- functions of this part: explicit volatility and parallel labels, a
-- comment, and a fixed search_path
SELECT p.proname, p.provolatile, p.proparallel, p.proisstrict,
       obj_description(p.oid, 'pg_proc') IS NOT NULL AS commented,
       p.proconfig
FROM pg_proc p
WHERE p.pronamespace = 'netflow'::regnamespace
  AND p.proname IN ('config_get', 'partition_interval_kind', 'partition_interval',
                    'partition_bounds', 'partition_name', 'flows_partitions',
                    'create_partitions')
ORDER BY p.proname;

-- no index on the parent (each partition gets its own BRIN index; a
-- parent index would break restoring a pg_dump)
SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'netflow.flows'::regclass;

--
-- Configuration
--
SELECT key, value FROM netflow.config_defaults ORDER BY key;
SELECT netflow.config_get('partition_interval'), netflow.config_get('no_such_setting');
SELECT netflow.partition_interval();
-- netflow.config is an extension configuration table (kept by pg_dump)
SELECT unnest(extconfig)::regclass AS config_table
FROM pg_extension WHERE extname = 'netflow';
-- only known settings can be set
INSERT INTO netflow.config VALUES ('no_such_setting', 'x');

--
-- Partition bounds and names
--
SELECT step, (netflow.partition_bounds(ts, step)).*,
       netflow.partition_name((netflow.partition_bounds(ts, step)).lower, step)
FROM (VALUES (timestamptz '2031-03-15 13:45:10.5+00', interval '1 day'),
             ('2031-03-15 13:45:10.5+00', '1 hour'),
             ('2031-03-15 13:45:10.5+00', '6 hours'),
             ('2031-03-15 13:45:10.5+00', '24 hours'),
             ('2031-03-15 13:45:10.5+00', '7 days'),
             ('2031-03-15 13:45:10.5+00', '1 month'),
             ('2031-03-15 13:45:10.5+00', '3 months'),
             ('2031-03-15 13:45:10.5+00', '1 year'),
             ('2031-03-16 00:30:00+02', '1 day'),
             ('2031-03-15 00:00:00+00', '1 day'),
             ('1999-12-31 23:59:59.999999+00', '1 day')) v(ts, step);
-- the session time zone does not change bounds or names
SET TimeZone = 'America/New_York';
SELECT (netflow.partition_bounds('2031-03-15 23:30:00-04', '1 day')).*,
       netflow.partition_name('2031-03-15 20:00:00-04', '1 day');
RESET TimeZone;
-- intervals netflow cannot partition by
SELECT netflow.partition_bounds(now(), '90 minutes');
SELECT netflow.partition_bounds(now(), '5 hours');
SELECT netflow.partition_bounds(now(), '1 month 1 day');
SELECT netflow.partition_bounds(now(), '5 months');
SELECT netflow.partition_bounds(now(), '0');
SELECT netflow.partition_bounds(now(), '-1 day');
SELECT netflow.partition_bounds('infinity', '1 day');

--
-- create_partitions
--
SELECT netflow.create_partitions('2031-01-01 00:00+00', '2031-01-03 12:00+00');
-- again: nothing is missing
SELECT netflow.create_partitions('2031-01-01 00:00+00', '2031-01-04 00:00+00');
-- empty and NULL ranges create nothing
SELECT netflow.create_partitions('2031-01-05 00:00+00', '2031-01-05 00:00+00');
SELECT netflow.create_partitions('2031-01-06 00:00+00', '2031-01-05 00:00+00');
SELECT netflow.create_partitions(NULL, '2031-01-05 00:00+00');
-- switch to hourly partitions: ranges overlapping the daily ones are skipped
INSERT INTO netflow.config VALUES ('partition_interval', '1 hour');
SELECT netflow.create_partitions('2031-01-03 22:00+00', '2031-01-04 02:30+00');
-- and back to daily: the rest of the day holding hourly partitions gets a
-- partition of its own (named after the day and its lower bound)
UPDATE netflow.config SET value = '1 day' WHERE key = 'partition_interval';
SELECT netflow.create_partitions('2031-01-04 00:00+00', '2031-01-06 00:00+00');
-- a relation with the wanted name that is not a partition is left alone
CREATE TABLE netflow.flows_p20310106 (x int);
SELECT netflow.create_partitions('2031-01-06 00:00+00', '2031-01-07 00:00+00');
DROP TABLE netflow.flows_p20310106;
-- bad settings and ranges
UPDATE netflow.config SET value = '90 minutes' WHERE key = 'partition_interval';
SELECT netflow.create_partitions('2031-01-06 00:00+00', '2031-01-07 00:00+00');
UPDATE netflow.config SET value = 'soon' WHERE key = 'partition_interval';
SELECT netflow.create_partitions('2031-01-06 00:00+00', '2031-01-07 00:00+00');
DELETE FROM netflow.config WHERE key = 'partition_interval';
SELECT netflow.create_partitions('-infinity', '2031-01-07 00:00+00');
-- 1001 days is more than one call creates (checked before creating any)
SELECT netflow.create_partitions('2031-01-06 00:00+00', '2033-10-03 00:00+00');

-- the partitions now, with their ranges
SELECT partition, lower, upper
FROM netflow.flows_partitions()
WHERE lower >= '2031-01-01' AND upper <= '2032-01-01'
ORDER BY lower;
-- each has its BRIN indexes on time_start and time_received, and a comment
SELECT c.oid::regclass AS partition, pg_get_indexdef(i.indexrelid) AS index,
       obj_description(c.oid, 'pg_class') AS comment
FROM pg_class c
JOIN pg_inherits h ON h.inhrelid = c.oid AND h.inhparent = 'netflow.flows'::regclass
JOIN pg_index i ON i.indrelid = c.oid
WHERE c.relname LIKE 'flows_p2031%'
ORDER BY c.relname;

--
-- Inserting flows
--
CREATE TEMP TABLE src (id int, f netflow.flow);
INSERT INTO src VALUES
 (1, 'time_start=2031-01-01T10:00:00Z time_end=2031-01-01T10:00:05Z time_received=2031-01-01T10:00:06Z exporter=192.0.2.1 version=9 src_addr=10.0.0.1 dst_addr=10.0.0.2 src_port=443 dst_port=51000 protocol=6 packets=10 bytes=1000 sampling_interval=1'),
 (2, 'time_start=2031-01-02T23:59:59.999999Z time_end=2031-01-03T00:00:01Z time_received=2031-01-03T00:00:02Z exporter=192.0.2.1 version=5 src_addr=10.0.0.3 dst_addr=10.0.0.4 protocol=17 packets=3 bytes=300 sampling_interval=100'),
 (3, 'time_start=2031-01-04T01:30:00Z time_end=2031-01-04T01:31:00Z time_received=2031-01-04T01:31:01Z exporter=2001:db8::fe obs_domain=5 version=10 src_addr=2001:db8::1 dst_addr=2001:db8::2 packets=7 bytes=700 sampling_interval=0 src_mac=00:1b:21:3a:4f:5e icmp_type=128 icmp_code=0 flags=2');
-- one line per flow; LATERAL calls expand once per row
INSERT INTO netflow.flows SELECT e.* FROM src, LATERAL netflow.expand(src.f) e;
-- the (expand(f)).* spelling works too
INSERT INTO netflow.flows SELECT (netflow.expand(f)).* FROM src WHERE id = 1;
SELECT tableoid::regclass AS partition, time_start, exporter, src_addr, src_port,
       packets, sampling_interval, src_mac, icmp_type, flags
FROM netflow.flows WHERE time_start >= '2031-01-01' AND time_start < '2032-01-01'
ORDER BY time_start, tableoid::regclass::text;
-- a row of the table converts back to the same flow
SELECT s.id, count(*) AS rows, bool_and(netflow.flow(t) OPERATOR(netflow.=) s.f) AS same
FROM netflow.flows t JOIN src s ON t.time_start = (netflow.expand(s.f)).time_start
GROUP BY s.id ORDER BY s.id;
-- a flow outside every partition has nowhere to go
INSERT INTO netflow.flows SELECT e.* FROM netflow.expand('time_start=2031-06-01T00:00:00Z time_end=2031-06-01T00:00:00Z time_received=2031-06-01T00:00:00Z version=9 packets=1 bytes=1 sampling_interval=1') e;

-- the upscaled view: interval 1 as is, 100 multiplied, 0 (unknown) NULL
SELECT time_start, packets, bytes, sampling_interval, packets_upscaled, bytes_upscaled
FROM netflow.flows_upscaled
WHERE time_start >= '2031-01-01' AND time_start < '2032-01-01'
ORDER BY time_start;
-- no overflow for the largest values: the estimates are numeric
INSERT INTO netflow.flows (time_start, packets, bytes, sampling_interval)
VALUES ('2031-01-05 00:00:00+00', 9223372036854775807, 9223372036854775807, 9223372036854775807);
SELECT packets_upscaled, bytes_upscaled,
       pg_typeof(packets_upscaled) AS type
FROM netflow.flows_upscaled WHERE time_start = '2031-01-05 00:00:00+00';

-- clean up
DO $$
DECLARE r record;
BEGIN
	FOR r IN SELECT partition FROM netflow.flows_partitions()
			 WHERE lower >= '2031-01-01' AND upper <= '2032-01-01'
	LOOP
		EXECUTE format('DROP TABLE %s', r.partition);
	END LOOP;
END $$;
SELECT count(*) AS left_over FROM netflow.flows_partitions()
WHERE lower >= '2031-01-01' AND upper <= '2032-01-01';
