-- Top-N: weighted heavy-hitter summaries with error bounds (src/analytics/topn.c,
-- src/analytics/topn_summary.c).  See docs/analytics.md.

CREATE TYPE netflow.topn_summary;

CREATE FUNCTION netflow.topn_summary_in(cstring) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_summary_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_summary_out(netflow.topn_summary) RETURNS cstring
    AS 'MODULE_PATHNAME', 'topn_summary_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_summary_recv(internal) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_summary_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_summary_send(netflow.topn_summary) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_summary_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.topn_summary (
    INPUT = netflow.topn_summary_in,
    OUTPUT = netflow.topn_summary_out,
    RECEIVE = netflow.topn_summary_recv,
    SEND = netflow.topn_summary_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE netflow.topn_summary IS
    'Summary of the heaviest items with error bounds; text form is JSON';
COMMENT ON FUNCTION netflow.topn_summary_in(cstring) IS 'Text input of topn_summary (JSON, validated)';
COMMENT ON FUNCTION netflow.topn_summary_out(netflow.topn_summary) IS 'Text output of topn_summary (JSON)';
COMMENT ON FUNCTION netflow.topn_summary_recv(internal) IS 'Binary input of topn_summary (validated)';
COMMENT ON FUNCTION netflow.topn_summary_send(netflow.topn_summary) IS 'Binary output of topn_summary';

CREATE FUNCTION netflow.topn_summary(bytea) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_summary_from_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_summary(bytea) IS
    'topn_summary from its binary form (validated); used by the bytea cast';
CREATE FUNCTION netflow.bytea(netflow.topn_summary) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_summary_to_bytea' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.bytea(netflow.topn_summary) IS
    'Binary form of a topn_summary; used by the bytea cast';
CREATE CAST (bytea AS netflow.topn_summary) WITH FUNCTION netflow.topn_summary(bytea);
CREATE CAST (netflow.topn_summary AS bytea) WITH FUNCTION netflow.bytea(netflow.topn_summary);
COMMENT ON CAST (bytea AS netflow.topn_summary) IS 'Binary form to summary (validated like binary input)';
COMMENT ON CAST (netflow.topn_summary AS bytea) IS 'Summary to its binary form';

-- Aggregate support functions.
CREATE FUNCTION netflow.topn_trans(internal, anyelement, bigint, integer) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_trans(internal, anyelement, bigint, integer) IS
    'Transition function of topn: count one row';
CREATE FUNCTION netflow.topn_union_trans(internal, netflow.topn_summary) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_union_trans(internal, netflow.topn_summary) IS
    'Transition function of topn_union: merge one summary';
CREATE FUNCTION netflow.topn_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_combine(internal, internal) IS
    'Combine function of topn and topn_union: merge two partial states';
CREATE FUNCTION netflow.topn_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_serialize(internal) IS
    'Serialize function of topn and topn_union';
CREATE FUNCTION netflow.topn_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_deserialize(bytea, internal) IS
    'Deserialize function of topn and topn_union (validates every length)';
CREATE FUNCTION netflow.topn_final(internal) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_final(internal) IS
    'Final function of topn and topn_union: build the summary value';

CREATE AGGREGATE netflow.topn(key anyelement, weight bigint, capacity integer) (
    SFUNC = netflow.topn_trans,
    STYPE = internal,
    SSPACE = 65536,
    FINALFUNC = netflow.topn_final,
    COMBINEFUNC = netflow.topn_combine,
    SERIALFUNC = netflow.topn_serialize,
    DESERIALFUNC = netflow.topn_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(anyelement, bigint, integer) IS
    'Heaviest keys by summed weight (exact while distinct keys <= capacity, else bounded error)';

CREATE AGGREGATE netflow.topn_union(summary netflow.topn_summary) (
    SFUNC = netflow.topn_union_trans,
    STYPE = internal,
    SSPACE = 65536,
    FINALFUNC = netflow.topn_final,
    COMBINEFUNC = netflow.topn_combine,
    SERIALFUNC = netflow.topn_serialize,
    DESERIALFUNC = netflow.topn_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn_union(netflow.topn_summary) IS
    'Merge stored topn summaries (capacity = largest input capacity)';

CREATE FUNCTION netflow.topn_items(summary netflow.topn_summary, n integer)
    RETURNS TABLE (item text, weight bigint, error bigint)
    AS 'MODULE_PATHNAME', 'topn_items' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION netflow.topn_items(netflow.topn_summary, integer) IS
    'The n heaviest items of a summary: weight - error <= true weight <= weight';
CREATE FUNCTION netflow.topn_total(summary netflow.topn_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'topn_total' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_total(netflow.topn_summary) IS
    'Exact sum of all weights counted into a summary';
CREATE FUNCTION netflow.topn_bound(summary netflow.topn_summary) RETURNS bigint
    AS 'MODULE_PATHNAME', 'topn_bound' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_bound(netflow.topn_summary) IS
    'Upper bound of the true weight of any item not in the summary (0 = exact)';
