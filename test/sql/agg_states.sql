-- Transition types of the analytics aggregates (issue 15): topn_union and
-- the typed overloads of topn, entropy and entropy_normalized have a real
-- (non-pseudo) transition type, netflow.topn_state or netflow.entropy_state,
-- so that Citus can push them down; their results equal those of the
-- polymorphic aggregates (STYPE internal), serial and parallel; the state
-- types' text and binary forms round-trip and refuse malformed input.
SET client_min_messages = warning;
SET extra_float_digits = 0;

-- Every netflow aggregate and its transition type: only the polymorphic
-- ones keep a pseudo-type (internal), which Citus cannot push down.
SELECT a.aggfnoid::regprocedure AS aggregate, t.typname AS transition_type,
       t.typtype = 'p' AS pseudo
FROM pg_aggregate a
JOIN pg_proc p ON p.oid = a.aggfnoid
JOIN pg_type t ON t.oid = a.aggtranstype
WHERE p.pronamespace = 'netflow'::regnamespace
ORDER BY t.typtype = 'p', p.proname, a.aggfnoid::regprocedure::text;
-- every aggregate over a non-polymorphic argument has a real transition type
SELECT count(*) AS pseudo_non_polymorphic
FROM pg_aggregate a
JOIN pg_proc p ON p.oid = a.aggfnoid
JOIN pg_type t ON t.oid = a.aggtranstype
WHERE p.pronamespace = 'netflow'::regnamespace AND t.typtype = 'p'
  AND NOT EXISTS (SELECT FROM unnest(p.proargtypes) AS u(typ)
                  WHERE u.typ IN ('anyelement'::regtype, 'anynonarray'::regtype));

-- The flows' key columns call the typed overloads (the aggregate a view
-- depends on).
CREATE TABLE st_flows (src_addr inet, dst_port integer, protocol smallint,
                       src_as bigint, conv text, bytes bigint);
INSERT INTO st_flows
SELECT '10.9.0.0'::inet + (i * 7919) % 3001,
       (i * 104729) % 40000,
       (6 + (i % 3) * 11)::smallint,
       64500 + (i * 31) % 700,
       'c' || (i * 13) % 2500,
       40 + (i * 17) % 1500
FROM generate_series(1::bigint, 120000) AS i;
ANALYZE st_flows;
CREATE VIEW st_calls AS
SELECT netflow.topn(src_addr, bytes, 10) AS a, netflow.topn(dst_port, 1, 10) AS b,
       netflow.topn(protocol, bytes, 10) AS c, netflow.topn(src_as, bytes, 10) AS d,
       netflow.topn(conv, bytes, 10) AS e, netflow.entropy(src_addr) AS f,
       netflow.entropy(dst_port, bytes) AS g, netflow.entropy_normalized(protocol) AS h,
       netflow.entropy(src_as) AS i, netflow.entropy_normalized(conv, bytes) AS j,
       netflow.topn(dst_port::numeric, 1, 10) AS k
FROM st_flows;
SELECT d.refobjid::regprocedure AS aggregate, t.typname AS transition_type
FROM pg_depend d
JOIN pg_rewrite r ON r.oid = d.objid
JOIN pg_aggregate a ON a.aggfnoid = d.refobjid
JOIN pg_type t ON t.oid = a.aggtranstype
WHERE r.ev_class = 'st_calls'::regclass AND d.refclassid = 'pg_proc'::regclass
ORDER BY 1::text;

-- The polymorphic aggregates as 0.1 defined them, under other names, to
-- compare with (same support functions, STYPE internal).
CREATE AGGREGATE poly_topn(anyelement, bigint, integer) (
    SFUNC = netflow.topn_trans, STYPE = internal, FINALFUNC = netflow.topn_final,
    COMBINEFUNC = netflow.topn_combine, SERIALFUNC = netflow.topn_serialize,
    DESERIALFUNC = netflow.topn_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE poly_entropy(anyelement) (
    SFUNC = netflow.entropy_trans, STYPE = internal, FINALFUNC = netflow.entropy_final,
    COMBINEFUNC = netflow.entropy_combine, SERIALFUNC = netflow.entropy_serialize,
    DESERIALFUNC = netflow.entropy_deserialize, PARALLEL = SAFE);
CREATE AGGREGATE poly_entropy(anyelement, bigint) (
    SFUNC = netflow.entropy_weighted_trans, STYPE = internal, FINALFUNC = netflow.entropy_normalized_final,
    COMBINEFUNC = netflow.entropy_combine, SERIALFUNC = netflow.entropy_serialize,
    DESERIALFUNC = netflow.entropy_deserialize, PARALLEL = SAFE);

-- Serial: the typed overloads give exactly the polymorphic results, exact
-- (capacity above the distinct keys) and approximate (below).
SET max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_typed AS
SELECT netflow.topn(src_addr, bytes, 4000)::text AS t1, netflow.topn(src_addr, bytes, 50)::text AS t2,
       netflow.topn(dst_port, 1, 50000)::text AS t3, netflow.topn(protocol, bytes, 2)::text AS t4,
       netflow.topn(src_as, bytes, 100)::text AS t5, netflow.topn(conv, bytes, 100)::text AS t6,
       netflow.entropy(src_addr) AS e1, netflow.entropy(dst_port) AS e2,
       netflow.entropy(conv) AS e3, netflow.entropy_normalized(src_as, bytes) AS e4
FROM st_flows;
CREATE TEMP TABLE serial_poly AS
SELECT poly_topn(src_addr, bytes, 4000)::text AS t1, poly_topn(src_addr, bytes, 50)::text AS t2,
       poly_topn(dst_port, 1, 50000)::text AS t3, poly_topn(protocol, bytes, 2)::text AS t4,
       poly_topn(src_as, bytes, 100)::text AS t5, poly_topn(conv, bytes, 100)::text AS t6,
       poly_entropy(src_addr) AS e1, poly_entropy(dst_port) AS e2,
       poly_entropy(conv) AS e3, poly_entropy(src_as, bytes) AS e4
FROM st_flows;
SELECT s.t1 = p.t1 AS t1, s.t2 = p.t2 AS t2, s.t3 = p.t3 AS t3, s.t4 = p.t4 AS t4,
       s.t5 = p.t5 AS t5, s.t6 = p.t6 AS t6, s.e1 = p.e1 AS e1, s.e2 = p.e2 AS e2,
       s.e3 = p.e3 AS e3, s.e4 = p.e4 AS e4
FROM serial_typed s, serial_poly p;
SELECT round(e1::numeric, 9) AS e1, round(e2::numeric, 9) AS e2, round(e3::numeric, 9) AS e3,
       round(e4::numeric, 9) AS e4
FROM serial_typed;
SELECT item, weight, error FROM netflow.topn_items((SELECT t2::netflow.topn_summary FROM serial_typed), 3);

-- Parallel: a Partial Aggregate with the typed overloads (no serialize
-- functions: the state type crosses between processes in its flat form),
-- with the same results as the polymorphic aggregates in parallel, and
-- entropy the very same double as serial.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT netflow.topn(src_addr, bytes, 50), netflow.entropy(dst_port), netflow.topn_union(s)
FROM (SELECT src_addr, dst_port, bytes, NULL::netflow.topn_summary AS s FROM st_flows) f;
CREATE TEMP TABLE par_typed AS
SELECT netflow.topn(src_addr, bytes, 4000)::text AS t1, netflow.topn(src_addr, bytes, 50)::text AS t2,
       netflow.topn(dst_port, 1, 50000)::text AS t3, netflow.topn(protocol, bytes, 2)::text AS t4,
       netflow.topn(src_as, bytes, 100)::text AS t5, netflow.topn(conv, bytes, 100)::text AS t6,
       netflow.entropy(src_addr) AS e1, netflow.entropy(dst_port) AS e2,
       netflow.entropy(conv) AS e3, netflow.entropy_normalized(src_as, bytes) AS e4
FROM st_flows;
CREATE TEMP TABLE par_poly AS
SELECT poly_topn(src_addr, bytes, 4000)::text AS t1, poly_topn(src_addr, bytes, 50)::text AS t2,
       poly_topn(dst_port, 1, 50000)::text AS t3, poly_topn(protocol, bytes, 2)::text AS t4,
       poly_topn(src_as, bytes, 100)::text AS t5, poly_topn(conv, bytes, 100)::text AS t6,
       poly_entropy(src_addr) AS e1, poly_entropy(dst_port) AS e2,
       poly_entropy(conv) AS e3, poly_entropy(src_as, bytes) AS e4
FROM st_flows;
-- exact summaries and entropies equal serial; approximate summaries obey
-- their bounds (checked against GROUP BY below)
SELECT p.t1 = s.t1 AS exact_topn_same, p.t3 = s.t3 AS exact_port_topn_same,
       p.e1 = s.e1 AS e1, p.e2 = s.e2 AS e2, p.e3 = s.e3 AS e3, p.e4 = s.e4 AS e4,
       q.t1 = s.t1 AS poly_exact_topn_same, q.e1 = s.e1 AS poly_e1, q.e4 = s.e4 AS poly_e4
FROM par_typed p, par_poly q, serial_typed s;
SELECT bool_and(i.weight - i.error <= g.w AND g.w <= i.weight) AS bounds_hold,
       bool_and(g.w <= netflow.topn_bound(p.t2::netflow.topn_summary)
                OR i.item IS NOT NULL) AS unlisted_below_bound
FROM par_typed p
CROSS JOIN (SELECT host(src_addr) AS k, sum(bytes) AS w FROM st_flows GROUP BY 1) g
LEFT JOIN netflow.topn_items(p.t2::netflow.topn_summary, 50) i ON i.item = g.k;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;

-- Partition-wise aggregation combines flat partial states too.
CREATE TABLE st_part (dst_port integer, src_addr inet, part integer) PARTITION BY LIST (part);
CREATE TABLE st_part_0 PARTITION OF st_part FOR VALUES IN (0);
CREATE TABLE st_part_1 PARTITION OF st_part FOR VALUES IN (1);
INSERT INTO st_part SELECT dst_port, src_addr, dst_port % 2 FROM st_flows;
ANALYZE st_part;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT netflow.entropy(dst_port), netflow.topn(src_addr, 1, 4000) FROM st_part;
SELECT netflow.entropy(dst_port) = (SELECT e2 FROM serial_typed) AS entropy_same,
       netflow.topn(src_addr, 1, 4000)::text = (SELECT netflow.topn(src_addr, 1, 4000)::text FROM st_flows) AS topn_same
FROM st_part;
RESET enable_partitionwise_aggregate;

-- The states themselves: aggregates without a final function return them.
CREATE AGGREGATE st_topn(inet, bigint, integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state);
CREATE AGGREGATE st_topn_union(netflow.topn_summary) (
    SFUNC = netflow.topn_state_union_trans, STYPE = netflow.topn_state);
CREATE AGGREGATE st_entropy(anyelement) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state);
CREATE AGGREGATE st_combine_topn(netflow.topn_state) (
    SFUNC = netflow.topn_state_combine, STYPE = netflow.topn_state,
    FINALFUNC = netflow.topn_state_final);
CREATE AGGREGATE st_combine_entropy(netflow.entropy_state) (
    SFUNC = netflow.entropy_state_combine, STYPE = netflow.entropy_state,
    FINALFUNC = netflow.entropy_state_final);
SELECT st_topn(src_addr, bytes, 3) FROM st_flows WHERE dst_port < 2000;
SELECT st_topn_union(s) FROM (VALUES ('{"version": 1, "capacity": 2, "total": 7, "bound": 0, "items": [{"item": "a", "weight": 4, "error": 0}, {"item": "b", "weight": 3, "error": 0}]}'::netflow.topn_summary)) v(s);
SELECT st_entropy(protocol) FROM st_flows;
SELECT st_entropy(x) FROM (VALUES ('{"a": 1}'::jsonb), ('[1, "two"]'), ('{"a": 1}')) v(x);
-- text round trip is exact, and so is the binary one
CREATE TEMP TABLE states AS
SELECT st_topn(src_addr, bytes, 50) AS t, st_topn(src_addr, bytes, 50000) AS tx,
       st_entropy(dst_port) AS e, st_entropy(conv) AS ec, st_entropy(src_addr) AS ea
FROM st_flows;
SELECT t::text::netflow.topn_state::text = t::text AS topn_text,
       tx::text::netflow.topn_state::text = tx::text AS topn_exact_text,
       e::text::netflow.entropy_state::text = e::text AS entropy_text,
       ec::text::netflow.entropy_state::text = ec::text AS entropy_text_keys,
       ea::text::netflow.entropy_state::text = ea::text AS entropy_inet_keys
FROM states;
CREATE TEMP TABLE states_back (LIKE states);
-- binary COPY through a file in the server's data directory
DO $$
DECLARE
	f text := current_setting('data_directory') || '/agg_states.bin';
BEGIN
	EXECUTE format('COPY states TO %L WITH (FORMAT binary)', f);
	EXECUTE format('COPY states_back FROM %L WITH (FORMAT binary)', f);
END
$$;
SELECT b.t::text = s.t::text AS topn_binary, b.tx::text = s.tx::text AS topn_exact_binary,
       b.e::text = s.e::text AS entropy_binary, b.ec::text = s.ec::text AS entropy_text_binary,
       b.ea::text = s.ea::text AS entropy_inet_binary
FROM states s, states_back b;
-- a state read back finishes to the aggregate's result, and states combine
SELECT netflow.topn_state_final(t::text::netflow.topn_state)::text = (SELECT t2 FROM serial_typed) AS topn_final_same,
       netflow.entropy_state_final(e::text::netflow.entropy_state) = (SELECT e2 FROM serial_typed) AS entropy_final_same
FROM states;
SELECT st_combine_entropy(s) = (SELECT e2 FROM serial_typed) AS combined_entropy_same,
       (SELECT st_combine_topn(s) FROM (SELECT st_topn(src_addr, bytes, 4000) FROM st_flows GROUP BY dst_port % 3) g(s))::text
         = (SELECT t1 FROM serial_typed) AS combined_topn_same
FROM (SELECT st_entropy(dst_port) FROM st_flows GROUP BY dst_port % 3) g(s);
-- a state of one key type does not combine with another
SELECT st_combine_entropy(s) FROM (SELECT st_entropy(dst_port) FROM st_flows UNION ALL SELECT st_entropy(src_as) FROM st_flows) g(s);
-- the support functions refuse to run outside an aggregate
SELECT netflow.topn_state_combine(NULL, NULL);
SELECT netflow.entropy_state_trans(NULL, 1);

-- Malformed input is refused, never misread.
SELECT 'not json'::netflow.topn_state;
SELECT '[]'::netflow.topn_state;
SELECT '{"version": 2, "type": null, "capacity": 2, "total": 0, "bound": 0, "items": []}'::netflow.topn_state;
SELECT '{"version": 1, "type": "no_such_type", "capacity": 2, "total": 0, "bound": 0, "items": []}'::netflow.topn_state;
SELECT '{"version": 1, "type": "record", "capacity": 2, "total": 0, "bound": 0, "items": []}'::netflow.topn_state;
SELECT '{"version": 1, "type": 5, "capacity": 2, "total": 0, "bound": 0, "items": []}'::netflow.topn_state;
SELECT '{"version": 1, "type": "inet", "capacity": 2, "total": 5, "bound": 0, "items": [{"key": "10.0.0.300", "weight": 5, "error": 0}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": "inet", "capacity": 2, "total": 10, "bound": 0, "items": [{"key": "10.0.0.1", "weight": 5, "error": 0}, {"key": "10.0.0.1/32", "weight": 5, "error": 0}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": "inet", "capacity": 1, "total": 10, "bound": 0, "items": [{"key": "10.0.0.1", "weight": 5, "error": 0}, {"key": "10.0.0.2", "weight": 5, "error": 0}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": "inet", "capacity": 2, "total": 9, "bound": 0, "items": [{"key": "10.0.0.1", "weight": 5, "error": 0}, {"key": "10.0.0.2", "weight": 5, "error": 0}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": "inet", "capacity": 2, "total": 10, "bound": 0, "items": [{"key": "10.0.0.1", "weight": 5, "error": 1}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": "inet", "capacity": 2, "total": 10, "bound": 0, "items": [{"key": "10.0.0.1", "weight": 5}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": null, "capacity": 2, "total": 10, "bound": 0, "items": [{"key": 7, "weight": 10, "error": 0}]}'::netflow.topn_state;
SELECT '{"version": 1, "type": "integer", "total": 1, "values": [{"value": "1", "count": 1}], "extra": 0}'::netflow.entropy_state;
SELECT '{"version": 1, "type": null, "total": 0, "values": []}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": 1, "values": [{"value": "one", "count": 1}]}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": 3, "values": [{"value": "1", "count": 1}, {"value": "01", "count": 2}]}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": 2, "values": [{"value": "1", "count": 1}, {"value": "2", "count": 2}]}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": -1, "values": [{"value": "1", "count": -1}]}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": 1.5, "values": []}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": 1, "values": [["1", 1]]}'::netflow.entropy_state;
SELECT '{"version": 1, "type": "integer", "total": 1, "values": {"value": "1", "count": 1}}'::netflow.entropy_state;
-- well-formed input is accepted, with keys in their type's canonical text
SELECT '{"version": 1, "type": "integer", "total": 3, "values": [{"value": " 07", "count": 1}, {"value": "8", "count": 2}]}'::netflow.entropy_state;
SELECT netflow.entropy_state_final('{"version": 1, "type": "integer", "total": 4, "values": [{"value": "1", "count": 2}, {"value": "2", "count": 2}]}');

DROP VIEW st_calls;
DROP TABLE st_flows, st_part, states, states_back;
DROP AGGREGATE poly_topn(anyelement, bigint, integer), poly_entropy(anyelement),
    poly_entropy(anyelement, bigint), st_topn(inet, bigint, integer),
    st_topn_union(netflow.topn_summary), st_entropy(anyelement),
    st_combine_topn(netflow.topn_state), st_combine_entropy(netflow.entropy_state);
