-- Stored formats stay readable (docs/formats.md): values written by a
-- netflow 0.1 installation, kept here as literals, are read by this library
-- item for item, written back to the same bytes, and usable with new values.
SET client_min_messages = warning;
SET timezone = 'UTC';

-- netflow.topn_summary, format version 1, from netflow 0.1:
-- SELECT netflow.topn(k, w, 4) over 9 weighted rows (JSON-escaped and
-- non-ASCII keys, a tie, an approximate summary with bound 11) ...
\set v1_a '\\x01000000000400000000000000ae000000000000000b00000004000000000000004600000000000000000000000831302e302e302e31000000000000001e00000000000000000000000f68c3a96c6c6f202277c3b6726c6422000000000000001e0000000000000000000000057461620978000000000000000c00000000000000000000000162'
\set v1_a_text '{"version": 1, "capacity": 4, "total": 174, "bound": 11, "items": [{"item": "10.0.0.1", "weight": 70, "error": 0}, {"item": "héllo \\"wörld\\"", "weight": 30, "error": 0}, {"item": "tab\\tx", "weight": 30, "error": 0}, {"item": "b", "weight": 12, "error": 0}]}'
-- ... and netflow.topn_union of two capacity-3 summaries (items with errors).
\set v1_b '\\x01000000000300000000000000b1000000000000001c00000003000000000000003700000000000000000000000179000000000000002e00000000000000050000000178000000000000002200000000000000060000000176'
\set v1_b_text '{"version": 1, "capacity": 3, "total": 177, "bound": 28, "items": [{"item": "y", "weight": 55, "error": 0}, {"item": "x", "weight": 46, "error": 5}, {"item": "v", "weight": 34, "error": 6}]}'

CREATE TABLE stored_v1 (id int, s netflow.topn_summary);
INSERT INTO stored_v1 VALUES (1, :'v1_a'::bytea::netflow.topn_summary),
	(2, :'v1_b'::bytea::netflow.topn_summary);
-- the 0.1 bytes start with version 1, kind 0
SELECT id, get_byte(netflow.bytea(s), 0) AS version, get_byte(netflow.bytea(s), 1) AS kind
FROM stored_v1 ORDER BY id;
-- read item for item
SELECT id, i.* FROM stored_v1, LATERAL netflow.topn_items(s, 10) i ORDER BY id, weight DESC, item;
SELECT id, netflow.topn_total(s), netflow.topn_bound(s) FROM stored_v1 ORDER BY id;
-- the text form is the 0.1 text form
SELECT id, s::text = CASE id WHEN 1 THEN :'v1_a_text' ELSE :'v1_b_text' END AS same_text
FROM stored_v1 ORDER BY id;
-- written back unchanged: binary form, and text input gives the same bytes
SELECT id, netflow.bytea(s) = CASE id WHEN 1 THEN :'v1_a'::bytea ELSE :'v1_b'::bytea END AS same_bytes,
	netflow.bytea(s::text::netflow.topn_summary) = netflow.bytea(s) AS text_round_trip
FROM stored_v1 ORDER BY id;
-- the 0.1 text form, as pg_dump of a 0.1 database wrote it, gives the 0.1 bytes
SELECT netflow.bytea(:'v1_a_text'::netflow.topn_summary) = :'v1_a'::bytea AS a,
	netflow.bytea(:'v1_b_text'::netflow.topn_summary) = :'v1_b'::bytea AS b;
-- merged with a summary made now
SELECT i.* FROM netflow.topn_items(
	(SELECT netflow.topn_union(s) FROM (
		SELECT s FROM stored_v1 WHERE id = 2
		UNION ALL SELECT netflow.topn(k, 10, 3) FROM (VALUES ('x'), ('w')) v(k)) u), 10) i;
-- a format version this library does not know is an error, never a misread
SELECT overlay(:'v1_b'::bytea PLACING '\x02'::bytea FROM 1 FOR 1)::netflow.topn_summary;
SELECT overlay(:'v1_b'::bytea PLACING '\x00'::bytea FROM 1 FOR 1)::netflow.topn_summary;
SELECT replace(:'v1_b_text', '"version": 1', '"version": 2')::netflow.topn_summary;

-- netflow.flow, binary format version 1, from netflow 0.1 (flow_to_bytea):
\set flow_v1 '\\x010000500f00064750a7e68a4000064750a830f34000064750a84035800620010db80000000000000000000000fe00000005000a0620010db80000000000000000000000010620010db800000000000000000000000201bbc738061b000000000000000a00000000000003e8000000000000000100000c001b213a4f5e00000002'
\set flow_v1_text 'time_start=2026-01-01T10:00:00.123456Z time_end=2026-01-01T10:00:05.000000Z time_received=2026-01-01T10:00:06.000000Z exporter=2001:db8::fe obs_domain=5 version=10 src_addr=2001:db8::1 dst_addr=2001:db8::2 src_port=443 dst_port=51000 protocol=6 tcp_flags=27 packets=10 bytes=1000 sampling_interval=1 src_vlan=12 src_mac=00:1b:21:3a:4f:5e flags=2'
CREATE TABLE stored_flow_v1 (f netflow.flow);
INSERT INTO stored_flow_v1 VALUES (netflow.flow_from_bytea(:'flow_v1'));
SELECT f::text = :'flow_v1_text' AS same_text,
	netflow.flow_to_bytea(f) = :'flow_v1'::bytea AS same_bytes,
	f OPERATOR(netflow.=) :'flow_v1_text'::netflow.flow AS equals_text_input
FROM stored_flow_v1;
SELECT e.time_start, e.src_addr, e.dst_port, e.packets, e.bytes, e.src_mac
FROM stored_flow_v1, LATERAL netflow.expand(f) e;
SELECT netflow.flow_from_bytea(overlay(:'flow_v1'::bytea PLACING '\x02'::bytea FROM 1 FOR 1));

DROP TABLE stored_v1, stored_flow_v1;
