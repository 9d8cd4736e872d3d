-- 25_decode.sql: decode export datagrams in SQL (netflow.decode) with a
-- per-session decoder, reset it, and read its counters.
--
-- All three are VOLATILE (they read or change the session's decoder) and
-- PARALLEL RESTRICTED: the decoder is backend-local state, which a parallel
-- worker would not share (it would decode without the session's templates),
-- so they run in the leader only; they change no database state.

CREATE FUNCTION netflow.decode(pdu bytea, exporter inet,
							   received timestamptz DEFAULT now(),
							   strict boolean DEFAULT false)
RETURNS SETOF netflow.flows
AS 'MODULE_PATHNAME', 'netflow_decode'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.decode(bytea, inet, timestamptz, boolean) IS
	'Decode one NetFlow v5/v9/IPFIX datagram from exporter into rows shaped like netflow.flows; templates from earlier calls in the session apply; a malformed datagram returns the records before the malformation with a NOTICE, or raises an error when strict';

CREATE FUNCTION netflow.decode_reset()
RETURNS void
AS 'MODULE_PATHNAME', 'netflow_decode_reset'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.decode_reset() IS
	'Forget the templates, waiting data and counters of this session''s netflow.decode decoder';

CREATE FUNCTION netflow.decode_stats()
RETURNS TABLE (counter text, value bigint)
AS 'MODULE_PATHNAME', 'netflow_decode_stats'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.decode_stats() IS
	'Counters of this session''s netflow.decode decoder since its creation or last netflow.decode_reset (datagrams, flows, drops by reason, templates, waiting data, sequence gaps)';
