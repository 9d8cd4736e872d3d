-- 20_flow_type.sql: the netflow.flow type (one flow record), its I/O,
-- btree and hash operator classes, and casts to/from a netflow.flows row.

CREATE TYPE netflow.flow;

CREATE FUNCTION netflow.flow_in(cstring)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_in(cstring) IS
	'Text input of netflow.flow: space-separated key=value pairs';

CREATE FUNCTION netflow.flow_out(netflow.flow)
RETURNS cstring
AS 'MODULE_PATHNAME', 'flow_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_out(netflow.flow) IS
	'Text output of netflow.flow: space-separated key=value pairs in netflow.flows column order';

CREATE FUNCTION netflow.flow_recv(internal)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_recv(internal) IS
	'Binary input of netflow.flow (versioned, network byte order)';

CREATE FUNCTION netflow.flow_send(netflow.flow)
RETURNS bytea
AS 'MODULE_PATHNAME', 'flow_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_send(netflow.flow) IS
	'Binary output of netflow.flow (versioned, network byte order)';

CREATE TYPE netflow.flow (
	INTERNALLENGTH = 192,
	INPUT = netflow.flow_in,
	OUTPUT = netflow.flow_out,
	RECEIVE = netflow.flow_recv,
	SEND = netflow.flow_send,
	ALIGNMENT = double,
	STORAGE = plain
);
COMMENT ON TYPE netflow.flow IS
	'One flow record (NetFlow v5/v9/IPFIX), fixed 192 bytes; text form key=value pairs named like the columns of netflow.flows';

CREATE FUNCTION netflow.flow_to_bytea(netflow.flow)
RETURNS bytea
AS 'MODULE_PATHNAME', 'flow_to_bytea'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_to_bytea(netflow.flow) IS
	'Binary form of a flow (the same bytes as binary COPY sends)';

CREATE FUNCTION netflow.flow_from_bytea(bytea)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_from_bytea'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_from_bytea(bytea) IS
	'Flow from its binary form (as made by netflow.flow_to_bytea), fully validated';

------------------------------------------------------------------------
-- Comparison
------------------------------------------------------------------------

CREATE FUNCTION netflow.flow_cmp(netflow.flow, netflow.flow)
RETURNS integer
AS 'MODULE_PATHNAME', 'flow_cmp'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_cmp(netflow.flow, netflow.flow) IS
	'Three-way comparison of flows: fields in netflow.flows column order (absent first), then raw bytes';

CREATE FUNCTION netflow.flow_eq(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_eq'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_eq(netflow.flow, netflow.flow) IS
	'Implementation of = for netflow.flow: every field equal';

CREATE FUNCTION netflow.flow_ne(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_ne'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_ne(netflow.flow, netflow.flow) IS
	'Implementation of <> for netflow.flow';

CREATE FUNCTION netflow.flow_lt(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_lt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_lt(netflow.flow, netflow.flow) IS
	'Implementation of < for netflow.flow';

CREATE FUNCTION netflow.flow_le(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_le'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_le(netflow.flow, netflow.flow) IS
	'Implementation of <= for netflow.flow';

CREATE FUNCTION netflow.flow_gt(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_gt'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_gt(netflow.flow, netflow.flow) IS
	'Implementation of > for netflow.flow';

CREATE FUNCTION netflow.flow_ge(netflow.flow, netflow.flow)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_ge'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_ge(netflow.flow, netflow.flow) IS
	'Implementation of >= for netflow.flow';

CREATE OPERATOR netflow.= (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_eq,
	COMMUTATOR = OPERATOR(netflow.=), NEGATOR = OPERATOR(netflow.<>),
	RESTRICT = eqsel, JOIN = eqjoinsel,
	HASHES, MERGES
);
COMMENT ON OPERATOR netflow.= (netflow.flow, netflow.flow) IS 'equal';

CREATE OPERATOR netflow.<> (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_ne,
	COMMUTATOR = OPERATOR(netflow.<>), NEGATOR = OPERATOR(netflow.=),
	RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR netflow.<> (netflow.flow, netflow.flow) IS 'not equal';

CREATE OPERATOR netflow.< (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_lt,
	COMMUTATOR = OPERATOR(netflow.>), NEGATOR = OPERATOR(netflow.>=),
	RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR netflow.< (netflow.flow, netflow.flow) IS 'less than';

CREATE OPERATOR netflow.<= (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_le,
	COMMUTATOR = OPERATOR(netflow.>=), NEGATOR = OPERATOR(netflow.>),
	RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR netflow.<= (netflow.flow, netflow.flow) IS 'less than or equal';

CREATE OPERATOR netflow.> (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_gt,
	COMMUTATOR = OPERATOR(netflow.<), NEGATOR = OPERATOR(netflow.<=),
	RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR netflow.> (netflow.flow, netflow.flow) IS 'greater than';

CREATE OPERATOR netflow.>= (
	LEFTARG = netflow.flow, RIGHTARG = netflow.flow,
	FUNCTION = netflow.flow_ge,
	COMMUTATOR = OPERATOR(netflow.<=), NEGATOR = OPERATOR(netflow.<),
	RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR netflow.>= (netflow.flow, netflow.flow) IS 'greater than or equal';

CREATE OPERATOR CLASS netflow.flow_ops
DEFAULT FOR TYPE netflow.flow USING btree AS
	OPERATOR 1 netflow.<,
	OPERATOR 2 netflow.<=,
	OPERATOR 3 netflow.=,
	OPERATOR 4 netflow.>=,
	OPERATOR 5 netflow.>,
	FUNCTION 1 netflow.flow_cmp(netflow.flow, netflow.flow);
COMMENT ON OPERATOR CLASS netflow.flow_ops USING btree IS
	'Default btree ordering of netflow.flow (ORDER BY, DISTINCT, merge joins, indexes)';
COMMENT ON OPERATOR FAMILY netflow.flow_ops USING btree IS
	'btree operators of netflow.flow';

------------------------------------------------------------------------
-- Hashing
------------------------------------------------------------------------

CREATE FUNCTION netflow.flow_hash(netflow.flow)
RETURNS integer
AS 'MODULE_PATHNAME', 'flow_hash'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_hash(netflow.flow) IS
	'Hash of a flow, consistent with =';

CREATE FUNCTION netflow.flow_hash_extended(netflow.flow, bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'flow_hash_extended'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION netflow.flow_hash_extended(netflow.flow, bigint) IS
	'Seeded 64-bit hash of a flow, consistent with =';

CREATE OPERATOR CLASS netflow.flow_hash_ops
DEFAULT FOR TYPE netflow.flow USING hash AS
	OPERATOR 1 netflow.=,
	FUNCTION 1 netflow.flow_hash(netflow.flow),
	FUNCTION 2 netflow.flow_hash_extended(netflow.flow, bigint);
COMMENT ON OPERATOR CLASS netflow.flow_hash_ops USING hash IS
	'Default hash operator class of netflow.flow (hash joins, hash aggregation, hash indexes)';
COMMENT ON OPERATOR FAMILY netflow.flow_hash_ops USING hash IS
	'hash operators of netflow.flow';

------------------------------------------------------------------------
-- Casts to and from a netflow.flows row
------------------------------------------------------------------------

CREATE FUNCTION netflow.expand(netflow.flow)
RETURNS netflow.flows
AS 'MODULE_PATHNAME', 'flow_expand'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.expand(netflow.flow) IS
	'The flow as a netflow.flows row (absent fields NULL); errors if a counter exceeds bigint or a time is outside timestamptz';

CREATE FUNCTION netflow.flow(netflow.flows)
RETURNS netflow.flow
AS 'MODULE_PATHNAME', 'flow_from_row'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow(netflow.flows) IS
	'A flow from a netflow.flows row; errors if a required column is NULL or a value does not fit the flow';

CREATE CAST (netflow.flow AS netflow.flows)
	WITH FUNCTION netflow.expand(netflow.flow);
COMMENT ON CAST (netflow.flow AS netflow.flows) IS
	'Explicit cast: the flow as a table row (netflow.expand)';

CREATE CAST (netflow.flows AS netflow.flow)
	WITH FUNCTION netflow.flow(netflow.flows);
COMMENT ON CAST (netflow.flows AS netflow.flow) IS
	'Explicit cast: a table row as a flow (netflow.flow)';
