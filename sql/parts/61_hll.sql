-- 61_hll.sql: netflow.hll, a mergeable HyperLogLog distinct-count sketch
-- (src/rollups/hll.c), used by the host profiles.  See docs/rollups.md.

CREATE TYPE netflow.hll;

CREATE FUNCTION netflow.hll_in(cstring) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_out(netflow.hll) RETURNS cstring
	AS 'MODULE_PATHNAME', 'hll_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_recv(internal) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_send(netflow.hll) RETURNS bytea
	AS 'MODULE_PATHNAME', 'hll_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.hll (
	INPUT = netflow.hll_in,
	OUTPUT = netflow.hll_out,
	RECEIVE = netflow.hll_recv,
	SEND = netflow.hll_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE netflow.hll IS
	'HyperLogLog sketch of a number of distinct values (2^14 registers, standard error about 0.81 %), mergeable; text form \x and hexadecimal';
COMMENT ON FUNCTION netflow.hll_in(cstring) IS 'Text input of hll (\x and the hexadecimal binary form, validated)';
COMMENT ON FUNCTION netflow.hll_out(netflow.hll) IS 'Text output of hll (\x and the hexadecimal binary form)';
COMMENT ON FUNCTION netflow.hll_recv(internal) IS 'Binary input of hll (validated)';
COMMENT ON FUNCTION netflow.hll_send(netflow.hll) IS 'Binary output of hll';

CREATE FUNCTION netflow.hll_add_trans(netflow.hll, anyelement) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_add_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_add_trans(netflow.hll, anyelement) IS
	'Transition function of hll_add_agg: count one value';
CREATE FUNCTION netflow.hll_union_trans(netflow.hll, netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_union_trans(netflow.hll, netflow.hll) IS
	'Transition function of hll_union_agg and combine function of both hll aggregates';
CREATE FUNCTION netflow.hll_final(netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_final(netflow.hll) IS
	'Final function of the hll aggregates: the sketch in its stored form';

CREATE AGGREGATE netflow.hll_add_agg(value anyelement) (
	SFUNC = netflow.hll_add_trans,
	STYPE = netflow.hll,
	FINALFUNC = netflow.hll_final,
	COMBINEFUNC = netflow.hll_union_trans,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.hll_add_agg(anyelement) IS
	'HyperLogLog sketch of the distinct non-NULL values (by their binary representation); NULL when no row';

CREATE AGGREGATE netflow.hll_union_agg(sketch netflow.hll) (
	SFUNC = netflow.hll_union_trans,
	STYPE = netflow.hll,
	FINALFUNC = netflow.hll_final,
	COMBINEFUNC = netflow.hll_union_trans,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.hll_union_agg(netflow.hll) IS
	'Union of hll sketches: the sketch of all their values together';

CREATE FUNCTION netflow.hll_union(a netflow.hll, b netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_union(netflow.hll, netflow.hll) IS
	'Union of two hll sketches';
CREATE FUNCTION netflow.hll_cardinality(sketch netflow.hll) RETURNS bigint
	AS 'MODULE_PATHNAME', 'hll_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_cardinality(netflow.hll) IS
	'Estimated number of distinct values of a sketch (relative standard error about 0.81 %)';

GRANT EXECUTE ON FUNCTION netflow.hll_union(netflow.hll, netflow.hll),
	netflow.hll_cardinality(netflow.hll) TO netflow_reader;
