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

-- netflow.topn_state: transition type of topn_union and of the typed topn
-- overloads below.  A real (non-pseudo) type, so that Citus pushes these
-- aggregates down to the shards and combines the partial states on the
-- coordinator; kept as an expanded object while aggregating.
CREATE TYPE netflow.topn_state;

CREATE FUNCTION netflow.topn_state_in(cstring) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_state_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_state_out(netflow.topn_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'topn_state_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_state_recv(internal) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_state_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_state_send(netflow.topn_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_state_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.topn_state (
    INPUT = netflow.topn_state_in,
    OUTPUT = netflow.topn_state_out,
    RECEIVE = netflow.topn_state_recv,
    SEND = netflow.topn_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE netflow.topn_state IS
    'Partial state of topn and topn_union (transition type); text form is JSON with each key in its type''s text form';
COMMENT ON FUNCTION netflow.topn_state_in(cstring) IS 'Text input of topn_state (JSON, keys read by their type, validated)';
COMMENT ON FUNCTION netflow.topn_state_out(netflow.topn_state) IS 'Text output of topn_state (JSON)';
COMMENT ON FUNCTION netflow.topn_state_recv(internal) IS 'Binary input of topn_state (its text form, validated)';
COMMENT ON FUNCTION netflow.topn_state_send(netflow.topn_state) IS 'Binary output of topn_state (its text form)';

CREATE FUNCTION netflow.topn_state_trans(netflow.topn_state, anyelement, bigint, integer) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_trans(netflow.topn_state, anyelement, bigint, integer) IS
    'Transition function of the typed topn overloads: count one row';
CREATE FUNCTION netflow.topn_state_union_trans(netflow.topn_state, netflow.topn_summary) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_union_trans(netflow.topn_state, netflow.topn_summary) IS
    'Transition function of topn_union: merge one summary';
CREATE FUNCTION netflow.topn_state_combine(netflow.topn_state, netflow.topn_state) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_combine(netflow.topn_state, netflow.topn_state) IS
    'Combine function of topn_union and the typed topn overloads: merge two partial states';
CREATE FUNCTION netflow.topn_state_final(netflow.topn_state) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_final(netflow.topn_state) IS
    'Final function of topn_union and the typed topn overloads: build the summary value';

-- Aggregate support functions.
CREATE FUNCTION netflow.topn_trans(internal, anyelement, bigint, integer) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_trans(internal, anyelement, bigint, integer) IS
    'Transition function of topn: count one row';
CREATE FUNCTION netflow.topn_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_combine(internal, internal) IS
    'Combine function of topn(anyelement, bigint, integer): merge two partial states';
CREATE FUNCTION netflow.topn_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_serialize(internal) IS
    'Serialize function of topn(anyelement, bigint, integer)';
CREATE FUNCTION netflow.topn_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'topn_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_deserialize(bytea, internal) IS
    'Deserialize function of topn(anyelement, bigint, integer) (validates every length)';
CREATE FUNCTION netflow.topn_final(internal) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_final(internal) IS
    'Final function of topn(anyelement, bigint, integer): build the summary value';

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
    SFUNC = netflow.topn_state_union_trans,
    STYPE = netflow.topn_state,
    SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final,
    COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn_union(netflow.topn_summary) IS
    'Merge stored topn summaries (capacity = largest input capacity)';

-- topn for the common key types: same results as topn(anyelement, ...), with
-- transition type netflow.topn_state (Citus checks an aggregate's declared
-- argument types, so a polymorphic aggregate cannot be pushed down).
CREATE AGGREGATE netflow.topn(key inet, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(inet, bigint, integer) IS
    'Heaviest inet keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key integer, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(integer, bigint, integer) IS
    'Heaviest integer keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key smallint, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(smallint, bigint, integer) IS
    'Heaviest smallint keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key bigint, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(bigint, bigint, integer) IS
    'Heaviest bigint keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key text, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(text, bigint, integer) IS
    'Heaviest text keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';

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
