-- The validity contract of a flow record (src/decode/flow_contract.c), seen
-- from SQL: the decoders, the netflow.flow type and the table's CHECK
-- constraint apply the same rules.  A bad optional field (mask beyond its
-- address family's width, direction other than 0/1) is decoded as NULL and
-- counted; a record with an IPv4 source and an IPv6 destination (or the
-- reverse) is dropped and counted; the type rejects exactly the values the
-- decoders null or drop; and an analyst's cast of stored rows to
-- netflow.flow no longer fails over a range holding such a record.
--
-- Datagrams are handcrafted (hex); header time 2026-01-01 12:00:00 UTC.
SET TimeZone = 'UTC';
SELECT netflow.decode_reset();

-- Does the netflow.flow type accept this text?
CREATE FUNCTION pg_temp.accepts(t text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM t::netflow.flow;
	RETURN true;
EXCEPTION WHEN invalid_text_representation OR numeric_value_out_of_range THEN
	RETURN false;
END
$$;

-- A flow in text form with one key=value added.
CREATE FUNCTION pg_temp.flow_text(extra text) RETURNS text
LANGUAGE sql AS $$
	SELECT 'time_start=2026-01-01T12:00:00Z time_end=2026-01-01T12:00:00Z '
		'time_received=2026-01-01T12:00:01Z version=9 packets=1 bytes=100 '
		'sampling_interval=1 ' || extra
$$;

-- NetFlow v5, 11 records; record i has src_port 1000+i and both masks set
-- to the i-th of 0, 1, 24, 31, 32, 33, 40, 128, 129, 200, 255 (IPv4
-- addresses).  A mask is kept exactly when the type accepts it.
CREATE TEMP TABLE v5_masks (i int, mask int);
INSERT INTO v5_masks VALUES (0, 0), (1, 1), (2, 24), (3, 31), (4, 32), (5, 33),
	(6, 40), (7, 128), (8, 129), (9, 200), (10, 255);
SELECT m.mask, d.src_mask, d.dst_mask,
	   pg_temp.accepts(pg_temp.flow_text(format('src_addr=10.0.0.1 dst_addr=10.0.0.2 src_mask=%s', m.mask))) AS type_accepts,
	   (d.src_mask IS NOT NULL) = pg_temp.accepts(pg_temp.flow_text(format('src_addr=10.0.0.1 dst_addr=10.0.0.2 src_mask=%s', m.mask))) AS same
FROM netflow.decode(decode('0005000b00002710695661c01dcd650000000001000000000a0000010a00000200000000000100020000000100000064000013880000232803e800500010060000000000000000000a0000010a00000200000000000100020000000100000064000013880000232803e900500010060000000000010100000a0000010a00000200000000000100020000000100000064000013880000232803ea00500010060000000000181800000a0000010a00000200000000000100020000000100000064000013880000232803eb005000100600000000001f1f00000a0000010a00000200000000000100020000000100000064000013880000232803ec00500010060000000000202000000a0000010a00000200000000000100020000000100000064000013880000232803ed00500010060000000000212100000a0000010a00000200000000000100020000000100000064000013880000232803ee00500010060000000000282800000a0000010a00000200000000000100020000000100000064000013880000232803ef00500010060000000000808000000a0000010a00000200000000000100020000000100000064000013880000232803f000500010060000000000818100000a0000010a00000200000000000100020000000100000064000013880000232803f100500010060000000000c8c800000a0000010a00000200000000000100020000000100000064000013880000232803f200500010060000000000ffff0000', 'hex'),
					'127.0.0.1', '2026-01-01 12:00:01+00') d
JOIN v5_masks m ON m.i = d.src_port - 1000
ORDER BY m.i;
SELECT counter, value FROM netflow.decode_stats()
WHERE counter IN ('flows', 'invalid_mask', 'invalid_direction', 'drop_mixed_family')
ORDER BY counter;
SELECT netflow.decode_reset();

-- NetFlow v9, one datagram with three templates:
--  300: IPv4 source, IPv6 destination (src_port 2000): dropped;
--  301: IPv4 addresses, direction 0, 1, 2, 7, 255 (src_port 3000..3004);
--  302: IPv6 addresses, prefix lengths 0, 64, 128, 129, 255 (4000..4004).
CREATE TEMP TABLE v9_rows AS
SELECT * FROM netflow.decode(decode('0009000c0000ea60695661c000000001000000070000005c012c000600080004001c0010000100040002000400070002003d0001012d000600080004000c0004000100040002000400070002003d0001012e0007001b0010001c0010000100040002000400070002001d0001001e0001012c00240a00000120010db8000000000000000000000002000000640000000107d00000012d00640a0000010a00000200000064000000010bb8000a0000010a00000200000064000000010bb9010a0000010a00000200000064000000010bba020a0000010a00000200000064000000010bbb070a0000010a00000200000064000000010bbcff00012e00e020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa0000020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa1404020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa2808020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa3818120010db800000000000000000000000120010db800000000000000000000000200000064000000010fa4ffff', 'hex'),
							 '127.0.0.2', '2026-01-01 12:00:01+00');
SELECT src_port, src_addr, dst_addr, direction, src_mask, dst_mask
FROM v9_rows ORDER BY src_port;
SELECT counter, value FROM netflow.decode_stats()
WHERE counter IN ('flows', 'invalid_mask', 'invalid_direction', 'drop_mixed_family')
ORDER BY counter;
-- the type rejects the mixed families the decoder dropped ...
SELECT pg_temp.accepts(pg_temp.flow_text('src_addr=10.0.0.1 dst_addr=2001:db8::2')) AS v4_v6,
	   pg_temp.accepts(pg_temp.flow_text('src_addr=2001:db8::1 dst_addr=10.0.0.2')) AS v6_v4,
	   pg_temp.accepts(pg_temp.flow_text('src_addr=2001:db8::1 dst_addr=2001:db8::2')) AS v6_v6;
-- ... and accepts a direction or an IPv6 prefix length exactly when the
-- decoder kept it
SELECT v.val, r.direction,
	   (r.direction IS NOT NULL) = pg_temp.accepts(pg_temp.flow_text(format('direction=%s', v.val))) AS same
FROM (VALUES (0, 0), (1, 1), (2, 2), (3, 7), (4, 255)) v(i, val)
JOIN v9_rows r ON r.src_port = 3000 + v.i
ORDER BY v.i;
SELECT v.val, r.src_mask,
	   (r.src_mask IS NOT NULL) = pg_temp.accepts(pg_temp.flow_text(format('src_addr=2001:db8::1 dst_addr=2001:db8::2 src_mask=%s', v.val))) AS same
FROM (VALUES (0, 0), (1, 64), (2, 128), (3, 129), (4, 255)) v(i, val)
JOIN v9_rows r ON r.src_port = 4000 + v.i
ORDER BY v.i;
-- every decoded row converts to a netflow.flow
SELECT count(*) AS rows, count(netflow.flow(r::text::netflow.flows)) AS flows FROM v9_rows r;
SELECT netflow.decode_reset();

-- The analyst's query over a range holding a crafted record: v5 with masks
-- 40 and 200 next to a clean record.  Both are stored, the bad masks as
-- NULL, and casting every row of the range to netflow.flow works.
SELECT count(*) AS partitions
FROM netflow.create_partitions('2026-01-01 00:00+00', '2026-01-02 00:00+00');
INSERT INTO netflow.flows
SELECT * FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a00000200000000000100020000000100000064000013880000232803e80050001006000000000028c800000a0000010a00000200000000000100020000000100000064000013880000232803e90050001006000000000018100000', 'hex'),
							 '127.0.0.1', '2026-01-01 12:00:01+00');
SELECT src_port, src_mask, dst_mask FROM netflow.flows
WHERE time_start >= '2026-01-01' AND time_start < '2026-01-02'
ORDER BY src_port;
SELECT count(*) AS flows, sum((f::netflow.flow OPERATOR(netflow.=) f::netflow.flow)::int) AS cast_ok
FROM netflow.flows f
WHERE time_start >= '2026-01-01' AND time_start < '2026-01-02';

-- The table's CHECK constraint is the same contract: a row the type would
-- reject cannot be stored, one it accepts can (NULL columns allowed).
INSERT INTO netflow.flows (time_start, src_addr, dst_addr, src_mask, packets, bytes)
VALUES ('2026-01-01 13:00+00', '10.0.0.1', '10.0.0.2', 40, 1, 1);
INSERT INTO netflow.flows (time_start, direction, packets, bytes)
VALUES ('2026-01-01 13:00+00', 7, 1, 1);
INSERT INTO netflow.flows (time_start, src_addr, dst_addr, packets, bytes)
VALUES ('2026-01-01 13:00+00', '10.0.0.1', '2001:db8::2', 1, 1);
INSERT INTO netflow.flows (time_start, src_addr, packets, bytes)
VALUES ('2026-01-01 13:00+00', '10.0.0.0/8', 1, 1);
INSERT INTO netflow.flows (time_start, src_addr, dst_addr, src_mask, direction, packets, bytes)
VALUES ('2026-01-01 13:00+00', '2001:db8::1', '2001:db8::2', 128, 1, 1, 1);
INSERT INTO netflow.flows (time_start) VALUES ('2026-01-01 13:00+00');
SELECT count(*) AS rows FROM netflow.flows
WHERE time_start >= '2026-01-01' AND time_start < '2026-01-02';

-- Clean up.
DROP TABLE netflow.flows_p20260101;
SELECT netflow.decode_reset();
