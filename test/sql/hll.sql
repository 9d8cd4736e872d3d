-- netflow.hll: HyperLogLog distinct counts against exact counts on known
-- sets, mergeability (union of parts = sketch of the whole), parallel
-- aggregation, text form and its validation.

-- Known sets of several sizes and types: within 3 standard errors (3 x
-- 0.81 %) of the truth, and exact for tiny sets.
SELECT n, est, abs(est - n) <= greatest(0.0244 * n, 0) AS within_3_sigma
FROM (SELECT n, netflow.hll_cardinality((SELECT netflow.hll_add_agg(i) FROM generate_series(1, n) i)) AS est
	  FROM unnest(ARRAY[1, 2, 10, 100, 1000, 5000, 20000, 50000, 100000, 300000]) AS n) AS x;
SELECT netflow.hll_cardinality(netflow.hll_add_agg('10.0.0.0'::inet + i)) AS inet_30000
FROM generate_series(0, 29999) i;
SELECT abs(netflow.hll_cardinality(netflow.hll_add_agg(md5(i::text))) - 70000) <= 0.0244 * 70000 AS text_70000_ok
FROM generate_series(1, 70000) i;
-- Duplicates and NULLs count nothing more; no rows give NULL.
SELECT netflow.hll_cardinality(netflow.hll_add_agg(i % 1000)) AS thousand_of_100000,
	   netflow.hll_cardinality(netflow.hll_add_agg(NULLIF(i % 3, 0))) AS two_without_nulls
FROM generate_series(1, 100000) i;
SELECT netflow.hll_add_agg(i) IS NULL AS no_rows FROM generate_series(1, 0) i;
SELECT netflow.hll_add_agg(NULL::integer) IS NULL AS only_nulls;

-- The error over 100 independent sets of 20,000 values: the root mean
-- square relative error is close to the stated 0.81 %.
SELECT round(sqrt(avg(((est - 20000) / 20000.0) ^ 2)) * 100, 1) < 1.2 AS rms_below_1_2_percent,
	   round(abs(avg((est - 20000) / 20000.0)) * 100, 2) < 0.4 AS unbiased
FROM (SELECT k, netflow.hll_cardinality(netflow.hll_add_agg(k * 1000000 + i)) AS est
	  FROM generate_series(1, 100) k, generate_series(1, 20000) i GROUP BY k) AS s;

-- Merging: the union of the sketches of parts is exactly the sketch of the
-- whole (same registers), overlapping parts included.
CREATE TEMP TABLE parts AS
SELECT i % 7 AS part, netflow.hll_add_agg(i % 40000) AS s FROM generate_series(1, 120000) i GROUP BY 1;
SELECT (SELECT netflow.hll_union_agg(s) FROM parts)::text
	 = (SELECT netflow.hll_add_agg(i % 40000) FROM generate_series(1, 120000) i)::text AS union_is_whole,
	   netflow.hll_cardinality((SELECT netflow.hll_union_agg(s) FROM parts)) AS est_40000;
SELECT netflow.hll_union(a.s, b.s)::text = (SELECT netflow.hll_union_agg(s) FROM parts WHERE part IN (1, 2))::text AS union_function
FROM parts a, parts b WHERE a.part = 1 AND b.part = 2;
SELECT netflow.hll_union(s, NULL) IS NULL AS strict FROM parts LIMIT 1;
SELECT netflow.hll_union_agg(s) IS NULL AS all_null FROM (VALUES (NULL::netflow.hll), (NULL)) v(s);

-- Sparse while small, dense beyond 4096 registers; both forms round-trip.
SELECT n, length(s::text) AS text_length, s::text::netflow.hll::text = s::text AS roundtrip
FROM (SELECT n, (SELECT netflow.hll_add_agg(i) FROM generate_series(1, n) i) AS s
	  FROM unnest(ARRAY[3, 4000, 9000]) AS n) x;
SELECT netflow.hll_add_agg(i)::text FROM generate_series(1, 3) i;

-- Parallel aggregation gives the same sketch as a serial one.
CREATE TABLE hll_par AS SELECT i, 'x' || (i % 50000) AS t FROM generate_series(1, 200000) i;
ANALYZE hll_par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT netflow.hll_add_agg(t) FROM hll_par;
CREATE TEMP TABLE par AS SELECT netflow.hll_add_agg(t) AS s, netflow.hll_union_agg(netflow.hll_union(
	'\x010e01000000000100006a01'::netflow.hll, '\x010e01000000000100006a01'::netflow.hll)) AS u FROM hll_par;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT s::text FROM par) = (SELECT netflow.hll_add_agg(t)::text FROM hll_par) AS parallel_equals_serial,
	   (SELECT u::text FROM par) AS union_of_constant;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE hll_par;

-- Text input is checked completely.
SELECT '\x010e01000000000100006a01'::netflow.hll;
SELECT netflow.hll_cardinality('\x010e0100000000020000010100000202'::netflow.hll) AS two;
SELECT 'abc'::netflow.hll;
SELECT '\x010e010000000001'::netflow.hll;
SELECT '\x010e0100000000010000'::netflow.hll;
SELECT '\x020e01000000000100006a01'::netflow.hll;
SELECT '\x010f01000000000100006a01'::netflow.hll;
SELECT '\x010e03000000000100006a01'::netflow.hll;
SELECT '\x010e01010000000100006a01'::netflow.hll;
SELECT '\x010e01000000000100006a34'::netflow.hll;
SELECT '\x010e01000000000100006a00'::netflow.hll;
SELECT '\x010e01000000000140006a01'::netflow.hll;
SELECT '\x010e0100000000020000020100000101'::netflow.hll;
SELECT '\x010e0100000000020000010100000102'::netflow.hll;
SELECT '\x010e020000004000'::netflow.hll;
SELECT '\x010e01000000000100006a0g'::netflow.hll;
-- A dense value with a register beyond 51 is refused.
SELECT ('\x010e020000004000' || repeat('00', 16383) || '34')::netflow.hll;
SELECT netflow.hll_cardinality(('\x010e020000004000' || repeat('00', 16383) || '33')::netflow.hll) > 0 AS dense_ok;
-- The transition function is for aggregates only.
SELECT netflow.hll_add_trans(NULL, 1);
