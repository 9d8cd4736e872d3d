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
