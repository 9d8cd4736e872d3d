-- netflow.topn / topn_union / topn_items: weighted heavy-hitter summaries
-- checked against exact GROUP BY answers on deterministic skewed data.

-- Data set A: 997 sources (fits capacity 1000), Zipf-like bytes, 24 hours.
CREATE TABLE topn_a (ts timestamptz, src_addr inet, dst_port integer, bytes bigint);
INSERT INTO topn_a
SELECT timestamptz '2024-01-01 00:00:00+00' + (i % 24) * interval '1 hour',
       '10.1.0.0'::inet + ((i * 7919) % 997),
       (i * 31) % 1024,
       1 + 100000 / (1 + (i * 7919) % 997) + i % 13
FROM generate_series(1, 50000) AS i;
-- Data set B: 3001 sources (beyond capacity), Zipf-like bytes.
CREATE TABLE topn_b (ts timestamptz, src_addr inet, bytes bigint);
INSERT INTO topn_b
SELECT timestamptz '2024-01-01 00:00:00+00' + (i % 24) * interval '1 hour',
       '10.2.0.0'::inet + ((i * 7919) % 3001),
       1000000 / (1 + (i * 7919) % 3001)
FROM generate_series(1, 60000) AS i;
ANALYZE topn_a;
ANALYZE topn_b;

-- Exact while distinct keys <= capacity: same weights as GROUP BY, no error.
CREATE TEMP TABLE sa AS SELECT netflow.topn(src_addr, bytes, 1000) AS s FROM topn_a;
SELECT netflow.topn_bound(s) AS bound, netflow.topn_total(s) = (SELECT sum(bytes) FROM topn_a) AS total_ok,
       (SELECT count(*) FROM netflow.topn_items(s, 2000)) AS items
FROM sa;
SELECT count(*) AS mismatches
FROM (SELECT i.* FROM sa, netflow.topn_items(sa.s, 2000) AS i) AS a
FULL JOIN (SELECT host(src_addr) AS item, sum(bytes) AS w FROM topn_a GROUP BY 1) AS b USING (item)
WHERE a.weight IS DISTINCT FROM b.w OR a.error <> 0;
-- heaviest first, ties by item: the same order as the exact ranking
SELECT (SELECT array_agg(item) FROM (SELECT i.item FROM sa, netflow.topn_items(sa.s, 50) AS i) x)
     = (SELECT array_agg(item) FROM (SELECT host(src_addr) AS item, sum(bytes) AS w FROM topn_a
                                     GROUP BY 1 ORDER BY w DESC, item LIMIT 50) y) AS same_ranking;
SELECT i.* FROM sa, netflow.topn_items(sa.s, 5) AS i;
SELECT count(*) FROM sa, netflow.topn_items(sa.s, 0) AS i;

-- Beyond capacity: every reported weight brackets the true weight,
-- weight - error <= true <= weight; every item left out weighs <= bound.
CREATE TEMP TABLE truth_b AS SELECT host(src_addr) AS item, sum(bytes) AS w FROM topn_b GROUP BY 1;
CREATE TEMP TABLE sb AS
SELECT c AS capacity, (SELECT netflow.topn(src_addr, bytes, c) FROM topn_b) AS s
FROM unnest(ARRAY[10, 100, 1000]) AS c;
SELECT capacity,
       netflow.topn_bound(s) > 0 AS lossy,
       netflow.topn_total(s) = (SELECT sum(w) FROM truth_b) AS total_ok,
       (SELECT count(*) FROM netflow.topn_items(s, 100000)) AS items,
       (SELECT bool_and(t.w BETWEEN i.weight - i.error AND i.weight)
          FROM netflow.topn_items(s, 100000) AS i JOIN truth_b AS t USING (item)) AS bounds_hold,
       (SELECT coalesce(max(t.w), 0) <= netflow.topn_bound(s)
          FROM truth_b AS t WHERE t.item NOT IN (SELECT item FROM netflow.topn_items(s, 100000))) AS left_out_ok
FROM sb ORDER BY capacity;
-- the guarantee of one pass: no error and no left-out key above
-- total / (capacity + 1), however often the state was purged
SELECT capacity,
       netflow.topn_bound(s) <= netflow.topn_total(s) / (capacity + 1) AS bound_guaranteed,
       (SELECT max(error) <= netflow.topn_bound(s) FROM netflow.topn_items(s, 100000)) AS errors_within_bound
FROM sb ORDER BY capacity;
-- purges under heavy churn: 60,000 keys seen once (weight 1, all tied)
-- between 3 heavy keys, capacity 5; the heavy keys are found with their
-- bounds, and the bound is within the guarantee
CREATE TEMP TABLE churn AS
SELECT CASE WHEN i % 4 = 0 THEN 'heavy-' || (i % 3) ELSE 'k' || i END AS k
FROM generate_series(1, 80000) AS i;
CREATE TEMP TABLE truth_churn AS SELECT k AS item, count(*) AS w FROM churn GROUP BY 1;
CREATE TEMP TABLE s_churn AS SELECT netflow.topn(k, 1, 5) AS s FROM churn;
SELECT (SELECT array_agg(item ORDER BY item) FROM netflow.topn_items(s, 3)) AS heaviest,
       (SELECT bool_and(t.w BETWEEN i.weight - i.error AND i.weight)
          FROM netflow.topn_items(s, 100) AS i JOIN truth_churn AS t USING (item)) AS bounds_hold,
       (SELECT max(t.w) <= netflow.topn_bound(s)
          FROM truth_churn AS t WHERE t.item NOT IN (SELECT item FROM netflow.topn_items(s, 100))) AS left_out_ok,
       netflow.topn_bound(s) <= netflow.topn_total(s) / 6 AS bound_guaranteed
FROM s_churn;
-- the true top 10 are all found at capacity 1000 (and at 100)
SELECT capacity,
       (SELECT count(*) FROM (SELECT item FROM truth_b ORDER BY w DESC, item LIMIT 10) AS t
         WHERE t.item IN (SELECT item FROM netflow.topn_items(s, 100000))) AS top10_found
FROM sb WHERE capacity >= 100 ORDER BY capacity;

-- Keys longer than 24 bytes (stored out of line, replaced on eviction).
CREATE TEMP TABLE truth_long AS
SELECT 'host-' || host(src_addr) || '.example.internal' AS item, sum(bytes) AS w
FROM topn_b GROUP BY 1;
CREATE TEMP TABLE s_long AS
SELECT netflow.topn('host-' || host(src_addr) || '.example.internal', bytes, 50) AS s FROM topn_b;
SELECT (SELECT count(*) FROM netflow.topn_items(s, 1000)) AS items,
       (SELECT bool_and(t.w BETWEEN i.weight - i.error AND i.weight)
          FROM netflow.topn_items(s, 1000) AS i JOIN truth_long AS t USING (item)) AS bounds_hold,
       (SELECT max(t.w) <= netflow.topn_bound(s)
          FROM truth_long AS t WHERE t.item NOT IN (SELECT item FROM netflow.topn_items(s, 1000))) AS left_out_ok,
       (SELECT item FROM netflow.topn_items(s, 1)) AS heaviest
FROM s_long;

-- Per-hour summaries stored in a table, merged with topn_union.
CREATE TABLE topn_hourly (hour timestamptz, s netflow.topn_summary);
INSERT INTO topn_hourly
SELECT date_trunc('hour', ts), netflow.topn(src_addr, bytes, 1000) FROM topn_a GROUP BY 1;
SELECT (SELECT netflow.topn_union(s) FROM topn_hourly)::text = (SELECT s FROM sa)::text AS union_equals_one_pass;
-- lossy hourly summaries (capacity 100 over 3001 sources): bounds still hold
CREATE TEMP TABLE hb AS
SELECT date_trunc('hour', ts) AS hour, netflow.topn(src_addr, bytes, 100) AS s FROM topn_b GROUP BY 1;
CREATE TEMP TABLE ub AS SELECT netflow.topn_union(s) AS s FROM hb;
SELECT netflow.topn_total(s) = (SELECT sum(w) FROM truth_b) AS total_ok,
       (SELECT count(*) FROM netflow.topn_items(s, 1000)) AS items,
       (SELECT bool_and(t.w BETWEEN i.weight - i.error AND i.weight)
          FROM netflow.topn_items(s, 1000) AS i JOIN truth_b AS t USING (item)) AS bounds_hold,
       (SELECT max(t.w) <= netflow.topn_bound(s)
          FROM truth_b AS t WHERE t.item NOT IN (SELECT item FROM netflow.topn_items(s, 1000))) AS left_out_ok,
       (SELECT count(*) FROM (SELECT item FROM truth_b ORDER BY w DESC, item LIMIT 10) AS t
         WHERE t.item IN (SELECT item FROM netflow.topn_items(s, 1000))) AS top10_found
FROM ub;
-- union capacity is the largest input capacity
SELECT netflow.topn_union(s)::text FROM (VALUES
  ('{"version": 1, "capacity": 2, "total": 5, "bound": 0, "items": [{"item": "a", "weight": 3, "error": 0}, {"item": "b", "weight": 2, "error": 0}]}'::netflow.topn_summary),
  ('{"version": 1, "capacity": 3, "total": 4, "bound": 0, "items": [{"item": "c", "weight": 4, "error": 0}]}'),
  (NULL)) AS v(s);
-- merging lossy summaries: a missing item gets the other side's bound
SELECT i.* FROM netflow.topn_items((SELECT netflow.topn_union(s) FROM (VALUES
  ('{"version": 1, "capacity": 2, "total": 12, "bound": 3, "items": [{"item": "a", "weight": 6, "error": 0}, {"item": "b", "weight": 3, "error": 2}]}'::netflow.topn_summary),
  ('{"version": 1, "capacity": 2, "total": 9, "bound": 2, "items": [{"item": "c", "weight": 5, "error": 1}, {"item": "a", "weight": 2, "error": 1}]}')) AS v(s)), 10) AS i;
SELECT netflow.topn_union(s) FROM (SELECT NULL::netflow.topn_summary WHERE false) AS v(s);
-- only NULL summaries, several of them: NULL (this used to crash the server),
-- and NULLs before a summary do not disturb it
SELECT netflow.topn_union(s) IS NULL AS all_null FROM (VALUES (NULL::netflow.topn_summary), (NULL), (NULL)) AS v(s);
SELECT netflow.topn_union(s)::text FROM (VALUES (NULL::netflow.topn_summary), (NULL),
  ('{"version": 1, "capacity": 2, "total": 5, "bound": 0, "items": [{"item": "a", "weight": 3, "error": 0}, {"item": "b", "weight": 2, "error": 0}]}')) AS v(s);

-- Key types, NULLs, weights.
SELECT i.* FROM netflow.topn_items((SELECT netflow.topn(k, w, 3)
  FROM (VALUES ('ssh', 5), ('http', 7), (NULL, 100), ('dns', NULL), ('ssh', 4), ('ntp', 0)) AS v(k, w)), 10) AS i;
SELECT i.* FROM netflow.topn_items((SELECT netflow.topn(x, x, 2) FROM generate_series(1, 5) AS x), 10) AS i;
SELECT i.* FROM netflow.topn_items((SELECT netflow.topn(x::bigint * 10000000000, 1, 5) FROM generate_series(1, 3) AS x), 10) AS i;
SELECT netflow.topn(x, 1, 5) FROM generate_series(1, 0) AS x;
SELECT netflow.topn(NULL::text, 1, 5);
SELECT netflow.topn(x, -1, 5) FROM generate_series(1, 3) AS x;
SELECT netflow.topn(x, 1, 0) FROM generate_series(1, 3) AS x;
SELECT netflow.topn(x, 1, NULL) FROM generate_series(1, 3) AS x;
SELECT netflow.topn(x, 1, 2 + x) FROM generate_series(1, 3) AS x;
SELECT * FROM netflow.topn_items((SELECT s FROM sa), -1);
SELECT netflow.topn(ROW(x, x), 1, 5) FROM generate_series(1, 3) AS x;

-- Text and binary forms round-trip.
SELECT s::text::netflow.topn_summary::text = s::text AS text_roundtrip,
       s::bytea::netflow.topn_summary::text = s::text AS bytea_roundtrip
FROM sb;
-- text input sorts items into canonical order
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": "b", "weight": 3, "error": 0}, {"item": "a", "weight": 3, "error": 0}]}'::netflow.topn_summary;

-- Corrupted text input.
SELECT 'not json'::netflow.topn_summary;
SELECT '[1, 2]'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0}'::netflow.topn_summary;
SELECT '{"version": 2, "capacity": 3, "total": 6, "bound": 0, "items": []}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 0, "total": 0, "bound": 0, "items": []}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 1, "total": 6, "bound": 0, "items": [{"item": "a", "weight": 3, "error": 0}, {"item": "b", "weight": 3, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6.5, "bound": 0, "items": []}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": "6", "bound": 0, "items": []}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": 1, "weight": 6, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": "a", "weight": 6}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": "a", "weight": 3, "error": 0}, {"item": "a", "weight": 3, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": "a", "weight": 4, "error": 0}, {"item": "a", "weight": 2, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": "a", "weight": 6, "error": 1}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 2, "items": [{"item": "a", "weight": 3, "error": 4}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 4, "items": [{"item": "a", "weight": 3, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 7, "bound": 0, "items": [{"item": "a", "weight": 6, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 5, "bound": 1, "items": [{"item": "a", "weight": 6, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": -1, "bound": 0, "items": []}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 3, "total": 99999999999999999999, "bound": 0, "items": []}'::netflow.topn_summary;

-- Corrupted binary input (via the bytea cast, which shares recv's checks).
CREATE TEMP TABLE bin AS
SELECT '{"version": 1, "capacity": 3, "total": 6, "bound": 0, "items": [{"item": "ab", "weight": 6, "error": 0}]}'::netflow.topn_summary::bytea AS b;
SELECT b FROM bin;
SELECT b::netflow.topn_summary FROM bin;
SELECT substring(b FROM 1 FOR length(b) - 1)::netflow.topn_summary FROM bin;
SELECT substring(b FROM 1 FOR 5)::netflow.topn_summary FROM bin;
SELECT (b || '\x00'::bytea)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 0, 2)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 1, 1)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 1, 7)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 2, 128)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 25, 9)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 29, 255)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 37, 1)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 21, 7)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 42, 255)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 45, 9)::netflow.topn_summary FROM bin;
SELECT set_byte(b, 46, 0)::netflow.topn_summary FROM bin;
-- a valid change is accepted
SELECT set_byte(b, 47, 97)::netflow.topn_summary FROM bin;
SELECT ''::bytea::netflow.topn_summary;

-- Random single-byte corruptions (fixed seed) and every truncation of a
-- lossy summary: each is either rejected with an error or is a valid
-- summary that the other functions accept; nothing else happens.
DO $$
DECLARE
    b bytea;
    m bytea;
    accepted int := 0;
    rejected int := 0;
    truncated_rejected int := 0;
BEGIN
    PERFORM setseed(0.25);
    SELECT s::bytea INTO b FROM sb WHERE capacity = 10;
    FOR i IN 1..2000 LOOP
        -- byte values below 128 keep the outcome independent of the database encoding
        m := set_byte(b, floor(random() * length(b))::int, floor(random() * 128)::int);
        BEGIN
            PERFORM count(*) FROM netflow.topn_items(m::netflow.topn_summary, 100);
            PERFORM netflow.topn_union(x) FROM (VALUES (m::netflow.topn_summary), (b::netflow.topn_summary)) AS v(x);
            accepted := accepted + 1;
        EXCEPTION WHEN invalid_binary_representation THEN
            rejected := rejected + 1;
        END;
    END LOOP;
    FOR l IN 0..length(b) - 1 LOOP
        BEGIN
            PERFORM substring(b FROM 1 FOR l)::netflow.topn_summary;
        EXCEPTION WHEN invalid_binary_representation THEN
            truncated_rejected := truncated_rejected + 1;
        END;
    END LOOP;
    RAISE NOTICE 'mutations: % accepted, % rejected; truncations: % of % rejected',
        accepted, rejected, truncated_rejected, length(b);
END
$$;

-- Parallel aggregation: same answer as serial, on a regular table.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT netflow.topn(src_addr, bytes, 1000) FROM topn_a;
CREATE TEMP TABLE par AS SELECT netflow.topn(src_addr, bytes, 1000) AS s FROM topn_a;
CREATE TEMP TABLE par_b AS SELECT netflow.topn(src_addr, bytes, 1000) AS s FROM topn_b;
CREATE TEMP TABLE par_u AS SELECT netflow.topn_union(s) AS s FROM topn_hourly;
SET max_parallel_workers_per_gather = 0;
SELECT (SELECT s::text FROM par) = (SELECT s::text FROM sa) AS parallel_equals_serial,
       (SELECT s::text FROM par_u) = (SELECT s::text FROM sa) AS parallel_union_equals_serial;
-- beyond capacity the parallel summary may differ from the serial one,
-- but its bounds hold and it finds the true top 10
SELECT netflow.topn_total(s) = (SELECT sum(w) FROM truth_b) AS total_ok,
       (SELECT bool_and(t.w BETWEEN i.weight - i.error AND i.weight)
          FROM netflow.topn_items(s, 100000) AS i JOIN truth_b AS t USING (item)) AS bounds_hold,
       (SELECT coalesce(max(t.w), 0) <= netflow.topn_bound(s)
          FROM truth_b AS t WHERE t.item NOT IN (SELECT item FROM netflow.topn_items(s, 100000))) AS left_out_ok,
       (SELECT count(*) FROM (SELECT item FROM truth_b ORDER BY w DESC, item LIMIT 10) AS t
         WHERE t.item IN (SELECT item FROM netflow.topn_items(s, 100000))) AS top10_found
FROM par_b;

-- Partition-wise aggregation combines one state per partition.
CREATE TABLE topn_part (src_addr inet, bytes bigint, part integer) PARTITION BY LIST (part);
CREATE TABLE topn_part_0 PARTITION OF topn_part FOR VALUES IN (0);
CREATE TABLE topn_part_1 PARTITION OF topn_part FOR VALUES IN (1);
CREATE TABLE topn_part_2 PARTITION OF topn_part FOR VALUES IN (2);
INSERT INTO topn_part SELECT src_addr, bytes, ((src_addr - '0.0.0.0'::inet) % 3)::integer FROM topn_b;
INSERT INTO topn_part SELECT src_addr, bytes, 0 FROM topn_a;
ANALYZE topn_part;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT netflow.topn(src_addr, bytes, 5000) FROM topn_part;
SELECT (SELECT count(*) FROM netflow.topn_items(netflow.topn(src_addr, bytes, 5000), 10000)) AS items,
       (SELECT count(*) FROM netflow.topn_items(netflow.topn(src_addr, bytes, 5000), 10000) AS i
          JOIN (SELECT host(src_addr) AS item, sum(bytes) AS w FROM topn_part GROUP BY 1) AS t USING (item)
         WHERE i.weight = t.w AND i.error = 0) AS exact_items
FROM topn_part;
SELECT (SELECT bool_and(t.w BETWEEN i.weight - i.error AND i.weight)
          FROM netflow.topn_items(netflow.topn(src_addr, bytes, 200), 1000) AS i
          JOIN (SELECT host(src_addr) AS item, sum(bytes) AS w FROM topn_part GROUP BY 1) AS t USING (item)) AS bounds_hold
FROM topn_part;
RESET enable_partitionwise_aggregate;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Keeping the capacity heaviest: ties at the cut are broken by item, the
-- bound is the heaviest weight left out (a union of two exact summaries of
-- six items, four of them tied at 2, kept to 3).
SELECT netflow.topn_union(s)::text FROM (VALUES
	('{"version": 1, "capacity": 3, "total": 9, "bound": 0, "items": [{"item": "e", "weight": 5, "error": 0}, {"item": "d", "weight": 2, "error": 0}, {"item": "f", "weight": 2, "error": 0}]}'::netflow.topn_summary),
	('{"version": 1, "capacity": 3, "total": 5, "bound": 0, "items": [{"item": "b", "weight": 2, "error": 0}, {"item": "c", "weight": 2, "error": 0}, {"item": "a", "weight": 1, "error": 0}]}'::netflow.topn_summary)) AS v(s);
SELECT i.* FROM netflow.topn_items((SELECT netflow.topn(k, w, 2) FROM (VALUES (3, 1), (1, 1), (2, 1), (4, 7)) AS v(k, w)), 10) AS i;
-- Keys whose text forms coincide are one item (two NaNs of different
-- sign); integer and address keys are one item per key.
SELECT i.* FROM netflow.topn_items((SELECT netflow.topn(x, 1::bigint, 10) FROM (VALUES ('NaN'::float8), (-'NaN'::float8), (1.5)) AS v(x)), 10) AS i;
SELECT count(*) AS items FROM netflow.topn_items((SELECT netflow.topn(a, 1::bigint, 100) FROM (VALUES ('10.0.0.1'::inet), ('10.0.0.1/24'), ('::ffff:10.0.0.1'), ('10.0.0.1')) AS v(a)), 10);


-- Weights beyond bigint saturate at its maximum, 9223372036854775807
-- (weight, error, total and bound alike; such a value means "at least
-- that"), never an ERROR: an exporter's 64-bit counters must not stop a
-- rollup.  One key past 2^63 (and the total):
SELECT netflow.topn_total(s) AS total, netflow.topn_bound(s) AS bound, i.*
FROM (SELECT netflow.topn(x, 9223372036854775807, 5) AS s
      FROM generate_series(1, 2) AS x, generate_series(1, 2) AS y) AS q,
     netflow.topn_items(q.s, 10) AS i;
-- the total only (each key below 2^63): keys exact, total saturated
SELECT netflow.topn(k, 4611686018427387905, 5)::text
FROM (VALUES ('a'), ('b')) AS v(k);
-- lossy (purges: capacity 1, nine keys), polymorphic key: key 1 weighs
-- twice the maximum, the eight others 2000 each: a valid summary whose
-- text and binary forms read back (every check of input holds), key 1
-- held and saturated, the bound and the error those of the light keys
CREATE TEMP TABLE topn_sat AS
SELECT netflow.topn(k::numeric, CASE WHEN k = 1 THEN 9223372036854775807 ELSE 1000 END, 1) AS s
FROM generate_series(1, 9) AS k, generate_series(1, 2) AS r;
SELECT s::text, s::text::netflow.topn_summary::text = s::text AS text_roundtrip,
       s::bytea::netflow.topn_summary::text = s::text AS bytea_roundtrip
FROM topn_sat;
-- topn_union: a key and the total past 2^63, then bounds adding past it
SELECT netflow.topn_union(s)::text FROM (VALUES
	('{"version": 1, "capacity": 3, "total": 9223372036854775807, "bound": 0, "items": [{"item": "a", "weight": 9223372036854775800, "error": 0}, {"item": "b", "weight": 7, "error": 0}]}'::netflow.topn_summary),
	('{"version": 1, "capacity": 3, "total": 100, "bound": 0, "items": [{"item": "a", "weight": 100, "error": 0}]}'::netflow.topn_summary)) AS v(s);
SELECT netflow.topn_union(s)::text FROM (VALUES
	('{"version": 1, "capacity": 1, "total": 9223372036854775807, "bound": 4611686018427387904, "items": [{"item": "a", "weight": 9223372036854775807, "error": 4611686018427387904}]}'::netflow.topn_summary),
	('{"version": 1, "capacity": 1, "total": 9223372036854775807, "bound": 4611686018427387904, "items": [{"item": "b", "weight": 9223372036854775807, "error": 4611686018427387904}]}'::netflow.topn_summary),
	((SELECT s FROM topn_sat))) AS v(s);
-- a union of saturated summaries merges again (the result is valid input)
SELECT netflow.topn_union(s)::text FROM (
	SELECT netflow.topn(k, 9223372036854775807, 2) FROM (VALUES ('a'), ('a'), ('b')) AS v(k)
	UNION ALL
	SELECT netflow.topn(k, 9223372036854775807, 2) FROM (VALUES ('b'), ('c')) AS v(k)) AS u(s);
-- input checks use the same saturating sums: items adding up past the
-- maximum make a valid exact summary with a saturated total; a saturated
-- total still needs an exact summary's items to reach it; guaranteed
-- weights past the maximum never fit a smaller total
SELECT '{"version": 1, "capacity": 2, "total": 9223372036854775807, "bound": 0, "items": [{"item": "a", "weight": 9223372036854775807, "error": 0}, {"item": "b", "weight": 5, "error": 0}]}'::netflow.topn_summary::text;
SELECT '{"version": 1, "capacity": 2, "total": 9223372036854775807, "bound": 0, "items": [{"item": "a", "weight": 5, "error": 0}, {"item": "b", "weight": 5, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "capacity": 2, "total": 9223372036854775806, "bound": 1, "items": [{"item": "a", "weight": 9223372036854775807, "error": 0}, {"item": "b", "weight": 5, "error": 0}]}'::netflow.topn_summary;
SELECT '{"version": 1, "type": "integer", "capacity": 2, "total": 9223372036854775807, "bound": 0, "items": [{"key": "1", "weight": 9223372036854775807, "error": 0}, {"key": "2", "weight": 9223372036854775807, "error": 0}]}'::netflow.topn_state::text;
-- the typed overloads' state (netflow.topn_state) and its combine function
CREATE AGGREGATE sat_topn(integer, bigint, integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state);
CREATE AGGREGATE sat_combine_topn(netflow.topn_state) (
    SFUNC = netflow.topn_state_combine, STYPE = netflow.topn_state,
    FINALFUNC = netflow.topn_state_final);
CREATE TEMP TABLE topn_sat_states AS
SELECT g, sat_topn(k, 9223372036854775807 - g, 3) AS st
FROM generate_series(0, 2) AS g, (VALUES (1), (1), (2)) AS v(k) GROUP BY g;
SELECT g, st::text, st::text::netflow.topn_state::text = st::text AS text_roundtrip
FROM topn_sat_states ORDER BY g;
SELECT sat_combine_topn(st)::text FROM topn_sat_states;
SELECT netflow.topn(k, w, 3)::text FROM (VALUES (1, 9223372036854775807), (1, 5), (2, 9223372036854775807)) AS v(k, w);
DROP AGGREGATE sat_topn(integer, bigint, integer), sat_combine_topn(netflow.topn_state);

-- The summary of an inet state holding more keys than its capacity: ties
-- at the last kept weight are broken by the keys' text (10.0.0.10 and
-- 10.0.0.100 before 10.0.0.11 and 10.0.0.9), lighter keys are left out,
-- and the bound is the heaviest weight left out (5).
SELECT netflow.topn(a, w, 3)::text
FROM (VALUES ('10.0.0.1'::inet, 9::bigint), ('10.0.0.9', 5), ('10.0.0.10', 5), ('10.0.0.11', 5),
			 ('10.0.0.100', 5), ('10.0.0.2', 1), ('10.0.0.3', 2), ('::1', 4)) AS v(a, w);
SELECT netflow.topn(a, w, 2)::text
FROM (VALUES ('10.0.0.1'::inet, 9::bigint), ('10.0.0.9', 5), ('10.0.0.10', 7), ('10.0.0.11', 5),
			 ('10.0.0.2', 1)) AS v(a, w);

DROP TABLE topn_a, topn_b, topn_hourly, topn_part, topn_sat, topn_sat_states;
