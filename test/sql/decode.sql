-- netflow.decode(): NetFlow v5, v9 and IPFIX datagrams decoded in SQL with
-- the session's decoder; malformed datagrams; decode_stats; decode_reset;
-- and storing the result in netflow.flows.
--
-- The datagrams are handcrafted (hex).  Header times are 2026-01-01
-- 12:00:00 UTC (unix_secs 1767268800); v5 and v9 flow times are relative
-- to the exporter's uptime (v5: 10 s plus 0.5 s of unix_nsecs; v9: 60 s).
SET TimeZone = 'UTC';
SELECT netflow.decode_reset();

-- A fresh session decoder has all counters at zero.
SELECT count(*) AS counters, sum(value) AS total FROM netflow.decode_stats();

-- NetFlow v5, two IPv4 records; every column of the first one.
-- Record 1: 10.0.0.1:1234 -> 10.0.0.2:80 TCP, next hop 10.0.0.254, ifindex
-- 3 -> 4, 10 packets, 1500 bytes, First 5000 ms, Last 9000 ms, flags 0x1b,
-- tos 0x10, AS 64512 -> 64513, masks /24 /16.
\x on
SELECT * FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'),
							 '127.0.0.1', '2026-01-01 12:00:01+00')
LIMIT 1;
\x off
SELECT src_addr, dst_addr, src_port, dst_port, protocol, packets, bytes,
	   time_start, time_end, next_hop, tcp_flags, src_as, dst_mask
FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'),
					'127.0.0.1', '2026-01-01 12:00:01+00');

-- The default receive time is now().
SELECT count(*) AS flows, bool_and(time_received = now()) AS received_now
FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'),
					'127.0.0.1');

-- NetFlow v9, source id 7: the templates (256 IPv4, 257 IPv6) in one call
-- yield no flows ...
SELECT count(*) AS flows
FROM netflow.decode(decode('000900020000ea60695661c00000000100000007000000680100000d00080004000c000400070002000b000200040001000200040001000400160004001500040006000100050001000a0002000e00020101000a001b0010001c001000070002000b00020004000100020004000100040016000400150004003d0001', 'hex'),
					'127.0.0.2', '2026-01-01 12:00:01+00');
-- ... and the data in a later call is decoded with them.
SELECT version, obs_domain, exporter, src_addr, dst_addr, src_port, dst_port,
	   protocol, packets, bytes, time_start, time_end, tcp_flags, tos,
	   input_if, output_if, direction, flags
FROM netflow.decode(decode('000900020000ea60695661c00000000200000007010000280a0101010a0202029c4001bb060000001400002ee00000c3500000e290122800070008000101003c20010db800000000000000000000000120010db800000000000000000000000214e914e911000000030000012c0000d6d80000dac0010000', 'hex'),
					'127.0.0.2', '2026-01-01 12:00:01+00');

-- The same data from another exporter has no template there: nothing yet.
SELECT count(*) AS flows
FROM netflow.decode(decode('000900020000ea60695661c00000000200000007010000280a0101010a0202029c4001bb060000001400002ee00000c3500000e290122800070008000101003c20010db800000000000000000000000120010db800000000000000000000000214e914e911000000030000012c0000d6d80000dac0010000', 'hex'),
					'127.0.0.99', '2026-01-01 12:00:01+00');

-- IPFIX, domain 42: templates 300 (IPv6) and 301 (IPv4, ICMP type/code)
-- and their data in one message; absolute millisecond times.
SELECT version, obs_domain, src_addr, dst_addr, src_port, dst_port, protocol,
	   packets, bytes, time_start, time_end, tcp_flags, icmp_type, icmp_code
FROM netflow.decode(decode('000a00e9695661c0000000010000002a0002005c012c000a001b0010001c001000070002000b0002000400010002000800010008009800080099000800060001012d000a00080004000c000400070002000b0002000400010002000800010008009800080099000800200002012c004a20010db8000a0000000000000000001020010db8000b0000000000000000002001bbc3cb06000000000000002a000000000000ef320000019b796d614b0000019b796dd3e01b012d0033cb0071050a0909090000000001000000000000000200000000000000a80000019b796daef00000019b796db2d80800', 'hex'),
					'::1', '2026-01-01 12:00:01+00');

-- Data before its template (exporter 127.0.0.3, domain 1): held back, no
-- rows; the template's datagram then yields the two waiting records,
-- flagged 2 (decoded after waiting for the template).
SELECT count(*) AS flows
FROM netflow.decode(decode('000a0036695661c00000000700000001019000260a0505050a0606061100000005000001f40a0505050a0606061100000005000001f4', 'hex'),
					'127.0.0.3', '2026-01-01 12:00:01+00');
SELECT exporter, obs_domain, src_addr, dst_addr, protocol, packets, bytes,
	   flags, time_start = time_received AS time_from_receive
FROM netflow.decode(decode('000a002c695661c000000008000000010002001c0190000500080004000c0004000400010002000400010004', 'hex'),
					'127.0.0.3', '2026-01-01 12:00:02+00');

-- Malformed datagrams: the records before the malformation, a NOTICE
-- naming the reason, never a crash.
-- A valid data set (template 300 is known) followed by a set of length 0:
-- the first record is returned.
SELECT src_addr, dst_addr, packets
FROM netflow.decode(decode('000a0066695661c0000000020000002a012c004a20010db8000a0000000000000000001020010db8000b0000000000000000002001bbc3cb06000000000000002a000000000000ef320000019b796d614b0000019b796dd3e01b012c00000000000000000000', 'hex'),
					'::1', '2026-01-01 12:00:01+00');
-- Truncated header.
SELECT count(*) FROM netflow.decode(decode('00090001000000000000', 'hex'), '127.0.0.4');
-- Unknown version.
SELECT count(*) FROM netflow.decode(decode('000700010000000000000000000000000000000000000000', 'hex'), '127.0.0.4');
-- Empty datagram.
SELECT count(*) FROM netflow.decode(''::bytea, '127.0.0.4');
-- v9 flowset of length 0.
SELECT count(*) FROM netflow.decode(decode('000900010000ea60695661c00000000300000007000000000000000000000000', 'hex'), '127.0.0.2');
-- v9 template announcing 50 fields in a flowset holding one.
SELECT count(*) FROM netflow.decode(decode('000900010000ea60695661c000000004000000070000000c0102003200080004', 'hex'), '127.0.0.2');
-- IPFIX template withdrawal shorter than 4 bytes.
SELECT count(*) FROM netflow.decode(decode('000a0016695661c0000000030000002a00020006012c', 'hex'), '::1');
-- IPFIX set length past the end of the message.
SELECT count(*) FROM netflow.decode(decode('000a005a695661c0000000040000002a012c00c820010db8000a0000000000000000001020010db8000b0000000000000000002001bbc3cb06000000000000002a000000000000ef320000019b796d614b0000019b796dd3e01b', 'hex'), '::1');
-- v5 header counting 3 records, 2 present.
SELECT count(*) FROM netflow.decode(decode('0005000300002710695661c00000000000000003000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'), '127.0.0.5');

-- strict => true turns a malformation into an error.
SELECT count(*) FROM netflow.decode(decode('00090001000000000000', 'hex'), '127.0.0.4', strict => true);
SELECT count(*) FROM netflow.decode(decode('000a0066695661c0000000020000002a012c004a20010db8000a0000000000000000001020010db8000b0000000000000000002001bbc3cb06000000000000002a000000000000ef320000019b796d614b0000019b796dd3e01b012c00000000000000000000', 'hex'),
									'::1', strict => true);
-- The session decoder is still usable after an error.
SELECT count(*) AS flows
FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'),
					'127.0.0.1', strict => true);

-- NULL arguments: no rows (the function is strict).
SELECT count(*) FROM netflow.decode(NULL, '127.0.0.1');
SELECT count(*) FROM netflow.decode('\x00'::bytea, NULL);
-- A receive time that is not finite is rejected.
SELECT count(*) FROM netflow.decode(decode('00090001000000000000', 'hex'), '127.0.0.4', 'infinity');

-- The counters of everything above.
SELECT counter, value FROM netflow.decode_stats();

-- decode_reset forgets templates and counters: the v9 data is held back
-- again (waiting for a template), and the counters restart.
SELECT netflow.decode_reset();
SELECT count(*) AS flows
FROM netflow.decode(decode('000900020000ea60695661c00000000200000007010000280a0101010a0202029c4001bb060000001400002ee00000c3500000e290122800070008000101003c20010db800000000000000000000000120010db800000000000000000000000214e914e911000000030000012c0000d6d80000dac0010000', 'hex'),
					'127.0.0.2', '2026-01-01 12:00:01+00');
SELECT counter, value FROM netflow.decode_stats()
WHERE counter IN ('datagrams', 'flows', 'templates_learned', 'pending_buffered');

-- Rows are shaped like netflow.flows: INSERT ... SELECT * stores them.
SELECT count(*) AS partitions
FROM netflow.create_partitions('2025-12-31 00:00+00', '2026-01-02 00:00+00');
INSERT INTO netflow.flows
SELECT * FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'),
							 '127.0.0.1', '2026-01-01 12:00:01+00');
INSERT INTO netflow.flows
SELECT * FROM netflow.decode(decode('000a00e9695661c0000000010000002a0002005c012c000a001b0010001c001000070002000b0002000400010002000800010008009800080099000800060001012d000a00080004000c000400070002000b0002000400010002000800010008009800080099000800200002012c004a20010db8000a0000000000000000001020010db8000b0000000000000000002001bbc3cb06000000000000002a000000000000ef320000019b796d614b0000019b796dd3e01b012d0033cb0071050a0909090000000001000000000000000200000000000000a80000019b796daef00000019b796db2d80800', 'hex'),
							 '::1', '2026-01-01 12:00:01+00');
SELECT version, count(*), sum(packets) AS packets, sum(bytes) AS bytes
FROM netflow.flows GROUP BY version ORDER BY version;

-- Clean up: the stored rows and partitions, the session state.
DROP TABLE netflow.flows_p20251231, netflow.flows_p20260101;
SELECT netflow.decode_reset();

-- An RFC 5103 biflow (IPFIX): reverseOctetDeltaCount, reversePacketDeltaCount
-- and reverseTcpControlBits (PEN 29305) give a second row for the reverse
-- direction, endpoints swapped, flagged 4; a record whose reverse counters
-- are zero gives its forward row only.  An element of PEN 9 is skipped.
SELECT src_addr, dst_addr, src_port, dst_port, packets, bytes, tcp_flags,
	   input_if, output_if, time_start, time_end, flags
FROM netflow.decode(decode('000a0102695661c00000000000000007000200580100001000080004000c000400070002000b0002000400010006000100010008000200080098000800990008000a0004000e000480010008000072798002000800007279800600010000727980010004000000090100009a0a000001c0000202c73801bb061b00000000000005dc000000000000000a0000019b796dca480000019b796dd218000000010000000200000000000023280000000000000008120001869f0a000003c0000202c73901bb0602000000000000003c00000000000000010000019b796dca480000019b796dd218000000010000000200000000000000000000000000000000000001869f', 'hex'),
					'127.0.0.5', '2026-01-01 12:00:01+00');
SELECT counter, value FROM netflow.decode_stats()
WHERE counter IN ('flows', 'biflow_reverse');
SELECT netflow.decode_reset();
