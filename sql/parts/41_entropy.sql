-- Shannon entropy aggregates (src/analytics/entropy.c).  See docs/analytics.md.

CREATE FUNCTION netflow.entropy_trans(internal, anyelement) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_trans(internal, anyelement) IS
    'Transition function of entropy(value): count the value once';
CREATE FUNCTION netflow.entropy_weighted_trans(internal, anyelement, bigint) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_weighted_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_weighted_trans(internal, anyelement, bigint) IS
    'Transition function of entropy(value, weight): add the weight to the value';
CREATE FUNCTION netflow.entropy_combine(internal, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_combine(internal, internal) IS
    'Combine function of the entropy aggregates';
CREATE FUNCTION netflow.entropy_serialize(internal) RETURNS bytea
    AS 'MODULE_PATHNAME', 'entropy_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_serialize(internal) IS
    'Serialize function of the entropy aggregates';
CREATE FUNCTION netflow.entropy_deserialize(bytea, internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'entropy_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_deserialize(bytea, internal) IS
    'Deserialize function of the entropy aggregates (validates every length)';
CREATE FUNCTION netflow.entropy_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_final(internal) IS
    'Final function of entropy: Shannon entropy in bits';
CREATE FUNCTION netflow.entropy_normalized_final(internal) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_normalized_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_normalized_final(internal) IS
    'Final function of entropy_normalized: entropy / log2(distinct values)';

CREATE AGGREGATE netflow.entropy(value anyelement) (
    SFUNC = netflow.entropy_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(anyelement) IS
    'Exact Shannon entropy (bits) of the distribution of a value; NULLs ignored';

CREATE AGGREGATE netflow.entropy(value anyelement, weight bigint) (
    SFUNC = netflow.entropy_weighted_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(anyelement, bigint) IS
    'Exact Shannon entropy (bits) of a value weighted by a non-negative weight';

CREATE AGGREGATE netflow.entropy_normalized(value anyelement) (
    SFUNC = netflow.entropy_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_normalized_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(anyelement) IS
    'Entropy divided by log2(number of distinct values): 0 = one value, 1 = uniform';

CREATE AGGREGATE netflow.entropy_normalized(value anyelement, weight bigint) (
    SFUNC = netflow.entropy_weighted_trans, STYPE = internal, SSPACE = 16384,
    FINALFUNC = netflow.entropy_normalized_final,
    COMBINEFUNC = netflow.entropy_combine,
    SERIALFUNC = netflow.entropy_serialize, DESERIALFUNC = netflow.entropy_deserialize,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(anyelement, bigint) IS
    'Weighted entropy divided by log2(number of values with positive weight)';

-- netflow.entropy_state: transition type of the typed entropy overloads
-- below (a real type, so that Citus pushes them down); kept as an expanded
-- object while aggregating.
CREATE TYPE netflow.entropy_state;

CREATE FUNCTION netflow.entropy_state_in(cstring) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_state_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.entropy_state_out(netflow.entropy_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'entropy_state_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.entropy_state_recv(internal) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_state_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.entropy_state_send(netflow.entropy_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'entropy_state_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.entropy_state (
    INPUT = netflow.entropy_state_in,
    OUTPUT = netflow.entropy_state_out,
    RECEIVE = netflow.entropy_state_recv,
    SEND = netflow.entropy_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE netflow.entropy_state IS
    'Partial state of the typed entropy aggregates (transition type): each distinct value with its count; text form is JSON';
COMMENT ON FUNCTION netflow.entropy_state_in(cstring) IS 'Text input of entropy_state (JSON, values read by their type, validated)';
COMMENT ON FUNCTION netflow.entropy_state_out(netflow.entropy_state) IS 'Text output of entropy_state (JSON)';
COMMENT ON FUNCTION netflow.entropy_state_recv(internal) IS 'Binary input of entropy_state (its text form, validated)';
COMMENT ON FUNCTION netflow.entropy_state_send(netflow.entropy_state) IS 'Binary output of entropy_state (its text form)';

CREATE FUNCTION netflow.entropy_state_trans(netflow.entropy_state, anyelement) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_trans(netflow.entropy_state, anyelement) IS
    'Transition function of the typed entropy(value) overloads: count the value once';
CREATE FUNCTION netflow.entropy_state_weighted_trans(netflow.entropy_state, anyelement, bigint) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_weighted_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_weighted_trans(netflow.entropy_state, anyelement, bigint) IS
    'Transition function of the typed entropy(value, weight) overloads: add the weight to the value';
CREATE FUNCTION netflow.entropy_state_combine(netflow.entropy_state, netflow.entropy_state) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_combine(netflow.entropy_state, netflow.entropy_state) IS
    'Combine function of the typed entropy aggregates';
CREATE FUNCTION netflow.entropy_state_final(netflow.entropy_state) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_final(netflow.entropy_state) IS
    'Final function of the typed entropy overloads: Shannon entropy in bits';
CREATE FUNCTION netflow.entropy_state_normalized_final(netflow.entropy_state) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_normalized_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_normalized_final(netflow.entropy_state) IS
    'Final function of the typed entropy_normalized overloads: entropy / log2(distinct values)';

-- entropy and entropy_normalized for the common value types: same results
-- as the polymorphic aggregates, with transition type netflow.entropy_state
-- (Citus checks an aggregate's declared argument types, so a polymorphic
-- aggregate cannot be pushed down).
CREATE AGGREGATE netflow.entropy(value inet) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(inet) IS
    'Exact Shannon entropy (bits) of a inet value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value inet, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(inet, bigint) IS
    'Exact Shannon entropy (bits) of a weighted inet value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value inet) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(inet) IS
    'Normalized entropy (0 - 1) of a inet value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value inet, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(inet, bigint) IS
    'Normalized entropy (0 - 1) of a weighted inet value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value integer) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(integer) IS
    'Exact Shannon entropy (bits) of a integer value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value integer, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(integer, bigint) IS
    'Exact Shannon entropy (bits) of a weighted integer value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value integer) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(integer) IS
    'Normalized entropy (0 - 1) of a integer value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value integer, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(integer, bigint) IS
    'Normalized entropy (0 - 1) of a weighted integer value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value smallint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(smallint) IS
    'Exact Shannon entropy (bits) of a smallint value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value smallint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(smallint, bigint) IS
    'Exact Shannon entropy (bits) of a weighted smallint value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value smallint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(smallint) IS
    'Normalized entropy (0 - 1) of a smallint value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value smallint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(smallint, bigint) IS
    'Normalized entropy (0 - 1) of a weighted smallint value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value bigint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(bigint) IS
    'Exact Shannon entropy (bits) of a bigint value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value bigint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(bigint, bigint) IS
    'Exact Shannon entropy (bits) of a weighted bigint value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value bigint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(bigint) IS
    'Normalized entropy (0 - 1) of a bigint value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value bigint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(bigint, bigint) IS
    'Normalized entropy (0 - 1) of a weighted bigint value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value text) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(text) IS
    'Exact Shannon entropy (bits) of a text value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value text, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(text, bigint) IS
    'Exact Shannon entropy (bits) of a weighted text value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value text) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(text) IS
    'Normalized entropy (0 - 1) of a text value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value text, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(text, bigint) IS
    'Normalized entropy (0 - 1) of a weighted text value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
