--
-- netflow.flow: text and binary I/O, validation, ordering, hashing, casts.
--

-- The operators live in schema netflow: without it on search_path they are
-- spelled OPERATOR(netflow.=).
SELECT 'time_start=2026-11-26T10:00:00Z time_end=2026-11-26T10:00:05Z time_received=2026-11-26T10:00:06Z version=9 packets=1 bytes=40 sampling_interval=1'::netflow.flow
       OPERATOR(netflow.=)
       'time_start=2026-11-26T10:00:00Z time_end=2026-11-26T10:00:05Z time_received=2026-11-26T10:00:06Z version=9 packets=1 bytes=40 sampling_interval=1'::netflow.flow AS equal;
SET search_path = public, netflow;

-- The smallest valid value: only the required keys.
\set base 'time_start=2026-11-26T10:00:00Z time_end=2026-11-26T10:00:05Z time_received=2026-11-26T10:00:06Z version=9 packets=1 bytes=40 sampling_interval=1'

--
-- Valid literals and their canonical output
--
-- minimal: obs_domain and flags default to 0 and are always written
SELECT :'base'::netflow.flow;
-- IPv4 NetFlow v9 flow
SELECT 'time_start=2026-11-26T10:00:00.123456Z time_end=2026-11-26T10:00:01.5Z time_received=2026-11-26T10:00:02Z exporter=192.0.2.1 obs_domain=7 version=9 src_addr=10.0.0.1 dst_addr=10.0.0.2 src_port=443 dst_port=51000 protocol=6 tcp_flags=27 packets=10 bytes=1000 sampling_interval=1'::netflow.flow;
-- IPv6 IPFIX flow; IPv4-mapped address; keys in any order, extra blanks
SELECT '  version=10 dst_addr=::ffff:192.0.2.9   src_addr=2001:DB8:0:0::1 exporter=2001:db8::fe time_start=2026-11-26T10:00:00Z time_end=2026-11-26T10:00:00.000001Z time_received=2026-11-26T10:00:00.9Z packets=3 bytes=180 sampling_interval=0 protocol=58 icmp_type=128 icmp_code=0 src_mask=64 dst_mask=128  '::netflow.flow;
-- every key
SELECT 'time_start=2026-11-26T10:00:00.000001Z time_end=2026-11-26T10:00:59.999999Z time_received=2026-11-26T10:01:00Z exporter=198.51.100.1 obs_domain=4294967295 version=10 src_addr=203.0.113.5 dst_addr=198.51.100.77 src_port=0 dst_port=65535 protocol=17 tcp_flags=255 tos=184 packets=18446744073709551615 bytes=0 sampling_interval=1000 input_if=18446744073709551615 output_if=0 src_as=4294967295 dst_as=64512 next_hop=2001:db8::1 src_mask=32 dst_mask=0 direction=1 src_vlan=4095 dst_vlan=65535 src_mac=00:1B:21:3a:4f:5e dst_mac=ff:ff:ff:ff:ff:ff end_reason=2 icmp_type=0 icmp_code=255 flags=3'::netflow.flow;
-- times far from today: ISO 8601 expanded years round-trip
SELECT replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=-0001-02-28T23:59:59.999999Z')::netflow.flow;
SELECT replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=+294247-01-10T04:00:54.775807Z')::netflow.flow;
SELECT replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=1970-01-01T00:00:00Z')::netflow.flow;
SELECT replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=1969-12-31T23:59:59.999999Z')::netflow.flow;
-- the extremes of the record (built from the binary form: earliest and latest
-- microsecond, largest counters) print and parse back
SELECT netflow.flow_from_bytea(decode('01' || '00000000' || '8000000000000000' || '7fffffffffffffff'
       || '0000000000000000' || '00' || 'ffffffff' || '000a' || '00' || '00'
       || repeat('ff', 24) || '00' || '00000003', 'hex')) AS extremes \gset
SELECT :'extremes';
SELECT :'extremes'::netflow.flow::text = :'extremes' AS round_trip;
SELECT replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=2024-02-29T00:00:00Z')::netflow.flow;
-- the text form's calendar agrees with PostgreSQL's, years 1 to 9999
SELECT count(*) AS checked,
       count(*) FILTER (WHERE (netflow.expand(f)).time_start = ts
                          AND f::text LIKE 'time_start=' || iso || ' %') AS agree
FROM (SELECT ts, iso,
             replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=' || iso)::netflow.flow AS f
      FROM (SELECT ts, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS iso
            FROM generate_series(timestamptz '0001-01-01 00:00:00+00', '9999-12-31 23:59:59+00',
                                 interval '97 days 3 hours 17 minutes 29.123457 seconds') ts) a) b;

--
-- Invalid literals: each fails with its own error
--
SELECT ''::netflow.flow;
SELECT '   '::netflow.flow;
SELECT 'version'::netflow.flow;
SELECT '=9'::netflow.flow;
SELECT (:'base' || ' colour=blue')::netflow.flow;
SELECT (:'base' || ' version=9')::netflow.flow;
SELECT replace(:'base', ' time_end=2026-11-26T10:00:05Z', '')::netflow.flow;
SELECT replace(:'base', ' sampling_interval=1', '')::netflow.flow;
SELECT (:'base' || ' src_port=44x')::netflow.flow;
SELECT (:'base' || ' src_port=')::netflow.flow;
SELECT (:'base' || ' src_port=+1')::netflow.flow;
SELECT (:'base' || ' src_port=65536')::netflow.flow;
SELECT (:'base' || ' protocol=256')::netflow.flow;
SELECT replace(:'base', 'version=9', 'version=7')::netflow.flow;
SELECT replace(:'base', 'version=9', 'version=11')::netflow.flow;
SELECT replace(:'base', 'packets=1', 'packets=-1')::netflow.flow;
SELECT replace(:'base', 'bytes=40', 'bytes=18446744073709551616')::netflow.flow;
SELECT (:'base' || ' src_addr=10.0.0.1 src_mask=33')::netflow.flow;
SELECT (:'base' || ' src_addr=2001:db8::1 src_mask=129')::netflow.flow;
SELECT (:'base' || ' dst_addr=10.0.0.2 dst_mask=33')::netflow.flow;
SELECT (:'base' || ' src_addr=10.0.0.256')::netflow.flow;
SELECT (:'base' || ' src_addr=10.0.0.0/8')::netflow.flow;
SELECT (:'base' || ' exporter=2001:db8:::1')::netflow.flow;
SELECT (:'base' || ' src_addr=10.0.0.1 dst_addr=2001:db8::2')::netflow.flow;
SELECT (:'base' || ' src_mac=00:11:22:33:44')::netflow.flow;
SELECT (:'base' || ' src_mac=00-11-22-33-44-55')::netflow.flow;
SELECT (:'base' || ' icmp_type=8')::netflow.flow;
SELECT (:'base' || ' direction=2')::netflow.flow;
SELECT (:'base' || ' flags=4')::netflow.flow;
SELECT (:'base' || ' flags=8')::netflow.flow;
SELECT (:'base' || ' src_port=80 junk')::netflow.flow;
SELECT (:'base' || ' src_port=80=81')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '2026-11-26 10:00:00Z')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '2026-11-26T10:00:00+01:00')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '2026-11-26T10:00:00')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '2026-02-29T10:00:00Z')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '2026-11-26T24:00:00Z')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '2026-11-26T10:00:00.1234567Z')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '12026-11-26T10:00:00Z')::netflow.flow;
SELECT replace(:'base', '2026-11-26T10:00:00Z', '+294247-01-10T04:00:54.775808Z')::netflow.flow;

--
-- Test data used below
--
CREATE TEMP TABLE ft (id int, f netflow.flow);
INSERT INTO ft VALUES
 (1, :'base'),
 (2, 'time_start=2026-11-26T10:00:00.123456Z time_end=2026-11-26T10:00:01Z time_received=2026-11-26T10:00:02Z exporter=192.0.2.1 version=9 src_addr=10.0.0.1 dst_addr=10.0.0.2 src_port=443 dst_port=51000 protocol=6 packets=10 bytes=1000 sampling_interval=1'),
 (3, 'time_start=2026-11-26T10:00:00.123456Z time_end=2026-11-26T10:00:01Z time_received=2026-11-26T10:00:02Z exporter=192.0.2.1 version=9 src_addr=10.0.0.1 dst_addr=10.0.0.2 src_port=80 dst_port=51000 protocol=6 packets=10 bytes=1000 sampling_interval=1'),
 (4, 'time_start=2026-11-26T09:59:59Z time_end=2026-11-26T10:00:01Z time_received=2026-11-26T10:00:02Z exporter=2001:db8::fe obs_domain=1 version=10 src_addr=2001:db8::1 dst_addr=2001:db8::2 protocol=58 icmp_type=128 icmp_code=0 packets=2 bytes=208 sampling_interval=0 src_mac=00:1b:21:3a:4f:5e dst_mac=00:1b:21:3a:4f:5f direction=0 flags=2'),
 (5, 'time_start=2026-11-26T10:00:00.000001Z time_end=2026-11-26T10:00:59.999999Z time_received=2026-11-26T10:01:00Z exporter=198.51.100.1 obs_domain=4294967295 version=10 src_addr=203.0.113.5 dst_addr=198.51.100.77 src_port=0 dst_port=65535 protocol=17 tcp_flags=255 tos=184 packets=9223372036854775807 bytes=0 sampling_interval=1000 input_if=3 output_if=0 src_as=4294967295 dst_as=64512 next_hop=2001:db8::1 src_mask=32 dst_mask=0 direction=1 src_vlan=4095 dst_vlan=65535 src_mac=00:1B:21:3a:4f:5e dst_mac=ff:ff:ff:ff:ff:ff end_reason=2 icmp_type=0 icmp_code=255 flags=3'),
 (6, 'time_start=2026-11-26T10:00:00.123456Z time_end=2026-11-26T10:00:01Z time_received=2026-11-26T10:00:02Z exporter=192.0.2.1 version=9 src_addr=10.0.0.1 dst_addr=10.0.0.2 src_port=443 dst_port=51000 protocol=6 packets=10 bytes=1000 sampling_interval=1'),
 (7, 'time_start=2026-11-26T10:00:00Z time_end=2026-11-26T10:00:05Z time_received=2026-11-26T10:00:06Z version=5 packets=1 bytes=40 sampling_interval=1 flags=1');

--
-- Text round trip: output parses back to an equal value and the same text
--
SELECT id, f::text::netflow.flow = f AS same_value,
       f::text::netflow.flow::text = f::text AS same_text
FROM ft ORDER BY id;

--
-- Binary form: exact bytes of a small value, round trip, invalid input
--
SELECT netflow.flow_to_bytea(:'base');
SELECT netflow.flow_to_bytea('time_start=1970-01-01T00:00:00.000001Z time_end=1970-01-01T00:00:00Z time_received=1970-01-01T00:00:00Z version=5 packets=1 bytes=2 sampling_interval=3 src_port=258 src_addr=10.0.0.1 src_mac=01:02:03:04:05:06 flags=1');
SELECT id, netflow.flow_from_bytea(netflow.flow_to_bytea(f)) = f AS same
FROM ft ORDER BY id;
-- the binary form is what binary COPY and the binary protocol use
SELECT bool_and(netflow.flow_send(f) = netflow.flow_to_bytea(f)) FROM ft;
SELECT encode(netflow.flow_to_bytea(:'base'), 'hex') AS minhex \gset
SELECT netflow.flow_from_bytea(decode(:'minhex', 'hex')) = :'base'::netflow.flow AS decodes;
SELECT netflow.flow_from_bytea('\x');
SELECT netflow.flow_from_bytea(decode('02' || substr(:'minhex', 3), 'hex'));
SELECT netflow.flow_from_bytea(decode(substr(:'minhex', 1, length(:'minhex') - 2), 'hex'));
SELECT netflow.flow_from_bytea(decode(substr(:'minhex', 1, 20), 'hex'));
SELECT netflow.flow_from_bytea(decode(:'minhex' || '00', 'hex'));
SELECT netflow.flow_from_bytea(decode('0100040000' || substr(:'minhex', 11), 'hex'));
-- exporter family (byte 29) 5 is not an address family
SELECT netflow.flow_from_bytea(decode(overlay(:'minhex' placing '05' from 59 for 2), 'hex'));
-- version (bytes 34-35) 7
SELECT netflow.flow_from_bytea(decode(overlay(:'minhex' placing '0007' from 69 for 4), 'hex'));
-- flags 8 (last 4 bytes)
SELECT netflow.flow_from_bytea(decode(overlay(:'minhex' placing '00000008' from length(:'minhex') - 7 for 8), 'hex'));
-- src_mask 33 for an IPv4 source: present bit 9 (src_mask), src_addr
-- 10.0.0.1 (byte 36), empty dst_addr, counters, empty next_hop, mask, flags
SELECT netflow.flow_from_bytea(decode('0100000200' || substr(:'minhex', 11, 62) || '040a000001' || '00' || substr(:'minhex', 77, 48) || '00' || '21' || '00000000', 'hex'));
-- the same with mask 32 is valid
SELECT netflow.flow_from_bytea(decode('0100000200' || substr(:'minhex', 11, 62) || '040a000001' || '00' || substr(:'minhex', 77, 48) || '00' || '20' || '00000000', 'hex'));

-- binary COPY out and back in through a client-side file
CREATE TEMP TABLE ft_copy (id int, f netflow.flow);
\copy ft TO '/tmp/netflow_flow_type_rt.bin' WITH (FORMAT binary)
\copy ft_copy FROM '/tmp/netflow_flow_type_rt.bin' WITH (FORMAT binary)
SELECT count(*) AS copied,
       count(*) FILTER (WHERE ft.f = ft_copy.f) AS equal
FROM ft JOIN ft_copy USING (id);
-- text COPY as well
TRUNCATE ft_copy;
\copy ft TO '/tmp/netflow_flow_type_rt.txt'
\copy ft_copy FROM '/tmp/netflow_flow_type_rt.txt'
SELECT count(*) AS copied,
       count(*) FILTER (WHERE ft.f = ft_copy.f) AS equal
FROM ft JOIN ft_copy USING (id);

--
-- Comparison operators, ordering, DISTINCT, GROUP BY
--
SELECT a.id, b.id,
       a.f = b.f AS eq, a.f <> b.f AS ne, a.f < b.f AS lt, a.f <= b.f AS le,
       a.f > b.f AS gt, a.f >= b.f AS ge, netflow.flow_cmp(a.f, b.f) AS cmp
FROM ft a, ft b WHERE a.id IN (2, 3, 6) AND b.id IN (2, 3, 6)
ORDER BY a.id, b.id;
-- ORDER BY: time_start first, then the other fields in column order
SELECT id, (netflow.expand(f)).time_start, (netflow.expand(f)).src_port
FROM ft ORDER BY f, id;
SELECT id FROM ft ORDER BY f DESC, id;
SELECT count(*) AS rows, count(DISTINCT f) AS distinct_flows FROM ft;
SELECT min(id) AS first_id, count(*) FROM ft GROUP BY f ORDER BY f;
-- hash aggregation and sort aggregation agree
SET enable_sort = off;
SELECT min(id) AS first_id, count(*) FROM ft GROUP BY f ORDER BY 1;
RESET enable_sort;
SET enable_hashagg = off;
SELECT min(id) AS first_id, count(*) FROM ft GROUP BY f ORDER BY 1;
RESET enable_hashagg;
-- equal values from different spellings hash alike
SELECT netflow.flow_hash(a) = netflow.flow_hash(b) AS same_hash,
       netflow.flow_hash_extended(a, 42) = netflow.flow_hash_extended(b, 42) AS same_hash64,
       a = b AS equal
FROM (SELECT 'time_start=2026-11-26T10:00:00.5Z time_end=2026-11-26T10:00:01Z time_received=2026-11-26T10:00:02Z version=9 packets=1 bytes=2 sampling_interval=1 src_mac=AA:BB:CC:DD:EE:FF'::netflow.flow AS a,
             ' src_mac=aa:bb:cc:dd:ee:ff sampling_interval=1 bytes=2 packets=1 version=9 time_received=2026-11-26T10:00:02.000000Z time_end=2026-11-26T10:00:01.000Z time_start=2026-11-26T10:00:00.500000Z'::netflow.flow AS b) s;
-- an absent field differs from a present zero
SELECT (:'base' || ' src_port=0')::netflow.flow = :'base'::netflow.flow AS zero_equals_absent,
       :'base'::netflow.flow < (:'base' || ' src_port=0')::netflow.flow AS absent_sorts_first;

--
-- Joins: hash join and merge join on netflow.flow
--
CREATE TEMP TABLE ft2 AS SELECT id + 100 AS id, f FROM ft WHERE id IN (2, 4, 5, 7);
ANALYZE ft;
ANALYZE ft2;
SET enable_mergejoin = off;
SET enable_nestloop = off;
EXPLAIN (COSTS OFF) SELECT ft.id, ft2.id FROM ft JOIN ft2 ON ft.f = ft2.f;
SELECT ft.id, ft2.id FROM ft JOIN ft2 ON ft.f = ft2.f ORDER BY 1, 2;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT ft.id, ft2.id FROM ft JOIN ft2 ON ft.f = ft2.f;
SELECT ft.id, ft2.id FROM ft JOIN ft2 ON ft.f = ft2.f ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_nestloop;

-- btree and hash indexes
SET enable_seqscan = off;
SET enable_bitmapscan = off;
CREATE INDEX ft_f_btree ON ft (f);
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE f = :'base';
SELECT id FROM ft WHERE f = :'base' ORDER BY id;
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE f > :'base' ORDER BY f;
SELECT id FROM ft WHERE f > :'base' ORDER BY f, id;
DROP INDEX ft_f_btree;
CREATE INDEX ft_f_hash ON ft USING hash (f);
EXPLAIN (COSTS OFF) SELECT id FROM ft WHERE f = :'base';
SELECT id FROM ft WHERE f = :'base' ORDER BY id;
DROP INDEX ft_f_hash;
RESET enable_seqscan;
RESET enable_bitmapscan;

--
-- Casts to and from the row type netflow.flows
--
SELECT (netflow.expand(f)).* FROM ft WHERE id = 5;
SELECT e.time_start, e.exporter, e.src_addr, e.dst_addr, e.src_port, e.protocol,
       e.packets, e.sampling_interval, e.src_mac, e.icmp_type, e.flags
FROM ft, LATERAL netflow.expand(f) e ORDER BY id;
-- row -> flow -> row: every value round-trips
SELECT id, netflow.flow(netflow.expand(f)) = f AS via_functions,
       (f::netflow.flows)::netflow.flow = f AS via_casts
FROM ft ORDER BY id;
-- a value that does not fit the table cannot be expanded
SELECT netflow.expand(replace(:'base', 'packets=1', 'packets=9223372036854775808')::netflow.flow);
SELECT netflow.expand(replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=-5000-01-01T00:00:00Z')::netflow.flow);
-- the latest time a flow holds is still a valid timestamptz
SELECT (netflow.expand(replace(:'base', 'time_start=2026-11-26T10:00:00Z', 'time_start=+294247-01-10T04:00:54.775807Z')::netflow.flow)).time_start;
-- invalid rows cannot become flows
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', NULL, '2026-11-26 10:00:00+00', NULL, 0, 9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', 'infinity', '2026-11-26 10:00:00+00', NULL, 0, 9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', NULL, 0, 9, NULL, NULL, 70000, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', NULL, 0, 9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, -1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', NULL, 0, 9, '10.0.0.0/8', NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', NULL, 0, 9, '10.0.0.1', '::1', NULL, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', NULL, 0, 7, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0)::netflow.flows);
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', '2026-11-26 10:00:00+00', NULL, 0, 9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 1, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 3, NULL, 0)::netflow.flows);
-- obs_domain and flags may be NULL in a row: they become 0
SELECT netflow.flow(ROW('2026-11-26 10:00:00+00', '2026-11-26 10:00:05+00', '2026-11-26 10:00:06+00', NULL, NULL, 9, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 1, 40, 1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)::netflow.flows) = :'base'::netflow.flow AS same;

-- the type is fixed-length and double aligned
SELECT typlen, typalign, typbyval, typstorage FROM pg_type WHERE oid = 'netflow.flow'::regtype;
