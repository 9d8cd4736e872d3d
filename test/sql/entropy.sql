-- netflow.entropy / entropy_normalized: exact Shannon entropy in bits,
-- checked against a plain SQL computation on deterministic skewed data.

-- Small cases with known answers.
SELECT netflow.entropy(x) AS h, netflow.entropy_normalized(x) AS hn
FROM (VALUES (1), (2), (3), (4)) AS v(x);
SELECT netflow.entropy(x) AS h, netflow.entropy_normalized(x) AS hn
FROM (VALUES ('a'), ('a'), ('a')) AS v(x);
SELECT netflow.entropy(x) AS h, netflow.entropy_normalized(x) AS hn
FROM (VALUES ('a'), ('a'), ('b'), ('c')) AS v(x);
-- NULL values (and NULL weights) are ignored; zero weights count nothing
SELECT netflow.entropy(x, w) AS h, netflow.entropy_normalized(x, w) AS hn
FROM (VALUES (1, 1), (2, 1), (3, 2), (4, 0), (NULL, 5), (5, NULL)) AS v(x, w);
SELECT netflow.entropy(x) AS h FROM (VALUES (NULL::int), (7), (NULL)) AS v(x);
-- no input, only NULLs, only zero weights: NULL
SELECT netflow.entropy(x) AS h, netflow.entropy_normalized(x) AS hn FROM generate_series(1, 0) AS x;
SELECT netflow.entropy(NULL::inet) AS h;
SELECT netflow.entropy(x, 0) AS h FROM generate_series(1, 3) AS x;
SELECT netflow.entropy(x, -1) FROM generate_series(1, 3) AS x;
SELECT netflow.entropy(x, 9223372036854775807) FROM generate_series(1, 2) AS x;
SELECT netflow.entropy(ROW(x, x)) FROM generate_series(1, 3) AS x;

-- Skewed data: Zipf-like ports and sources, bytes as weights.
CREATE TABLE entropy_flows (ts timestamptz, src_addr inet, dst_port integer, bytes bigint);
INSERT INTO entropy_flows
SELECT timestamptz '2024-01-01 00:00:00+00' + (i % 60) * interval '1 minute',
       '10.3.0.0'::inet + (i * 7919) % 1009,
       (1000 / ((i * 104729) % 997 + 1))::integer,
       1 + 100000 / ((i * 7919) % 1009 + 1) + i % 17
FROM generate_series(1::bigint, 60000) AS i;
ANALYZE entropy_flows;

-- H = log2(N) - sum(c * log2(c)) / N in numeric arithmetic.
CREATE TEMP VIEW sql_entropy AS
SELECT (SELECT log(2, sum(c)) - sum(c * log(2, c)) / sum(c)
          FROM (SELECT count(*)::numeric AS c FROM entropy_flows GROUP BY dst_port) s)::float8 AS port,
       (SELECT log(2, sum(c)) - sum(c * log(2, c)) / sum(c)
          FROM (SELECT count(*)::numeric AS c FROM entropy_flows GROUP BY src_addr) s)::float8 AS src,
       (SELECT log(2, sum(c)) - sum(c * log(2, c)) / sum(c)
          FROM (SELECT sum(bytes)::numeric AS c FROM entropy_flows GROUP BY dst_port) s)::float8 AS port_bytes,
       (SELECT count(DISTINCT dst_port) FROM entropy_flows) AS nports;
SELECT abs(netflow.entropy(dst_port) - port) < 1e-9 AS port_ok,
       abs(netflow.entropy(src_addr) - src) < 1e-9 AS src_ok,
       abs(netflow.entropy(host(src_addr)) - src) < 1e-9 AS src_text_ok,
       abs(netflow.entropy(host(src_addr) || ' is a rather long text value') - src) < 1e-9 AS src_long_text_ok,
       abs(netflow.entropy(dst_port::bigint) - port) < 1e-9 AS port_bigint_ok,
       abs(netflow.entropy(dst_port, bytes) - port_bytes) < 1e-9 AS weighted_ok,
       abs(netflow.entropy_normalized(dst_port) - port / log(2, nports)::float8) < 1e-9 AS normalized_ok,
       abs(netflow.entropy_normalized(dst_port, bytes) - port_bytes / log(2, nports)::float8) < 1e-9 AS normalized_weighted_ok,
       netflow.entropy(dst_port) BETWEEN 0 AND log(2, nports) AS in_range
FROM entropy_flows, sql_entropy
GROUP BY port, src, port_bytes, nports;
SELECT round(netflow.entropy(dst_port)::numeric, 6) AS port_bits,
       round(netflow.entropy(src_addr)::numeric, 6) AS src_bits
FROM entropy_flows;

-- Large weights: no overflow or loss in the compensated sum.
SELECT abs(netflow.entropy(x, w) - (SELECT (log(2, sum(w::numeric)) - sum(w * log(2, w::numeric)) / sum(w))::float8
                                    FROM (VALUES (1, 1000000000000000), (2, 3), (3, 999999999999)) AS t(x, w))) < 1e-9 AS big_ok
FROM (VALUES (1, 1000000000000000), (2, 3), (3, 999999999999)) AS v(x, w);

-- Per-minute entropy time series (first 3 minutes), matching SQL.
SELECT to_char(e.minute AT TIME ZONE 'UTC', 'HH24:MI') AS minute, round(e.h::numeric, 6) AS bits, abs(e.h - s.h) < 1e-9 AS same
FROM (SELECT date_trunc('minute', ts) AS minute, netflow.entropy(dst_port) AS h
        FROM entropy_flows GROUP BY 1) AS e
JOIN (SELECT minute, (log(2, sum(c)) - sum(c * log(2, c)) / sum(c))::float8 AS h
        FROM (SELECT date_trunc('minute', ts) AS minute, dst_port, count(*)::numeric AS c
                FROM entropy_flows GROUP BY 1, 2) AS g GROUP BY 1) AS s USING (minute)
ORDER BY e.minute LIMIT 3;
SELECT bool_and(abs(e.h - s.h) < 1e-9) AS all_minutes_ok, count(*) AS minutes
FROM (SELECT date_trunc('minute', ts) AS minute, netflow.entropy(dst_port) AS h
        FROM entropy_flows GROUP BY 1) AS e
JOIN (SELECT minute, (log(2, sum(c)) - sum(c * log(2, c)) / sum(c))::float8 AS h
        FROM (SELECT date_trunc('minute', ts) AS minute, dst_port, count(*)::numeric AS c
                FROM entropy_flows GROUP BY 1, 2) AS g GROUP BY 1) AS s USING (minute);

-- Parallel aggregation gives exactly the serial double.
CREATE TEMP TABLE serial_result AS
SELECT netflow.entropy(dst_port) AS a, netflow.entropy(src_addr, bytes) AS b,
       netflow.entropy_normalized(host(src_addr)) AS c
FROM entropy_flows;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT netflow.entropy(dst_port), netflow.entropy(src_addr, bytes), netflow.entropy_normalized(host(src_addr))
FROM entropy_flows;
CREATE TEMP TABLE parallel_result AS
SELECT netflow.entropy(dst_port) AS a, netflow.entropy(src_addr, bytes) AS b,
       netflow.entropy_normalized(host(src_addr)) AS c
FROM entropy_flows;
SELECT p.a = s.a AS a_same, p.b = s.b AS b_same, p.c = s.c AS c_same
FROM parallel_result AS p, serial_result AS s;

-- Partition-wise aggregation: one state per partition, combined.
CREATE TABLE entropy_part (dst_port integer, part integer) PARTITION BY LIST (part);
CREATE TABLE entropy_part_0 PARTITION OF entropy_part FOR VALUES IN (0);
CREATE TABLE entropy_part_1 PARTITION OF entropy_part FOR VALUES IN (1);
INSERT INTO entropy_part SELECT dst_port, (src_addr - '0.0.0.0'::inet)::integer % 2 FROM entropy_flows;
ANALYZE entropy_part;
SET enable_partitionwise_aggregate = on;
SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF) SELECT netflow.entropy(dst_port) FROM entropy_part;
SELECT netflow.entropy(dst_port) = (SELECT a FROM serial_result) AS same FROM entropy_part;
RESET enable_partitionwise_aggregate;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

DROP VIEW sql_entropy;
DROP TABLE entropy_flows, entropy_part;
