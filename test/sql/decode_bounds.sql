-- netflow.decode() bounds: one call takes one datagram of at most 65535
-- bytes and returns at most 100000 rows, with a clear error past either;
-- rows are streamed into the result (work_mem, spilled beyond), so the
-- backend's memory does not grow with the number of rows.
--
-- The datagrams are built here: NetFlow v9, template 256 with one 1-byte
-- field (protocol), so every data byte is one record.
SET TimeZone = 'UTC';
SELECT netflow.decode_reset();

-- v9 header (20 bytes) for source id 'src', flowsets following
CREATE FUNCTION pg_temp.v9(src int, body text) RETURNS bytea
LANGUAGE sql AS $$
	SELECT decode('00090001' || '0000ea60' || '695661c0' || '00000001' ||
				  lpad(to_hex(src), 8, '0') || body, 'hex')
$$;
-- template flowset: template 256, one field: protocol (4), 1 byte
CREATE FUNCTION pg_temp.tmpl() RETURNS text
LANGUAGE sql AS $$ SELECT '0000000c0100000100040001' $$;
-- data flowset of template 256 with n one-byte records
CREATE FUNCTION pg_temp.data(n int) RETURNS text
LANGUAGE sql AS $$
	SELECT '0100' || lpad(to_hex(4 + n), 4, '0') || repeat('06', n)
$$;

-- Memory, first, while this backend is fresh: its peak resident size
-- (VmHWM) hardly grows while
-- one call returns 64964 rows (about 12 MB as 192-byte records, which the
-- call used to hold all at once).  work_mem is small, so the result spills.
SET work_mem = '64kB';
CREATE FUNCTION pg_temp.peak_kb() RETURNS bigint
LANGUAGE sql AS $$
	SELECT (regexp_match(pg_read_file('/proc/' || pg_backend_pid() || '/status'),
						 'VmHWM:\s+(\d+) kB'))[1]::bigint
$$;
-- warm up the decoder and the code paths with a small datagram
SELECT count(*) FROM netflow.decode(pg_temp.v9(9, pg_temp.tmpl() || pg_temp.data(100)),
									'127.0.0.4', '2026-01-01 12:00:01+00');
CREATE TEMP TABLE peak AS SELECT pg_temp.peak_kb() AS before_kb;
SELECT count(*) AS rows
FROM netflow.decode(pg_temp.v9(9, pg_temp.data(64976)),
					'127.0.0.4', '2026-01-01 12:00:02+00');
SELECT pg_temp.peak_kb() - before_kb < 4096 AS peak_grew_less_than_4mb
FROM peak;
RESET work_mem;
SELECT netflow.decode_reset();

-- Input bound: 65535 bytes are decoded (zeros: a malformed datagram, a
-- NOTICE); 65536 bytes and 1 MB are refused before decoding.
SELECT count(*) FROM netflow.decode(decode(repeat('00', 65535), 'hex'), '127.0.0.1');
SELECT count(*) FROM netflow.decode(decode(repeat('00', 65536), 'hex'), '127.0.0.1');
SELECT count(*) FROM netflow.decode(decode(repeat('00', 1048576), 'hex'), '127.0.0.1');
-- a refused datagram was not given to the decoder
SELECT counter, value FROM netflow.decode_stats()
WHERE counter IN ('datagrams', 'bytes', 'drop_bad_version') ORDER BY counter;

-- The largest datagram of the smallest records: 65000 bytes, 64964 rows.
SELECT length(pg_temp.v9(7, pg_temp.tmpl() || pg_temp.data(64964))) AS bytes;
SELECT count(*) AS rows, sum(packets) AS packets, min(protocol) AS protocol
FROM netflow.decode(pg_temp.v9(7, pg_temp.tmpl() || pg_temp.data(64964)),
					'127.0.0.2', '2026-01-01 12:00:01+00');

-- Output bound: two 65000-byte datagrams of data that wait for their
-- template (source id 8), then the template: the call that brings it would
-- return 129952 rows, more than 100000, and is refused.
SELECT count(*) FROM netflow.decode(pg_temp.v9(8, pg_temp.data(64976)),
									'127.0.0.3', '2026-01-01 12:00:01+00');
SELECT count(*) FROM netflow.decode(pg_temp.v9(8, pg_temp.data(64976)),
									'127.0.0.3', '2026-01-01 12:00:02+00');
SELECT counter, value FROM netflow.decode_stats()
WHERE counter = 'pending_buffered';
SELECT count(*) FROM netflow.decode(pg_temp.v9(8, pg_temp.tmpl()),
									'127.0.0.3', '2026-01-01 12:00:03+00');
SELECT netflow.decode_reset();

