-- netflow upgrade script from 0.1 to 0.2 (ALTER EXTENSION netflow UPDATE).
-- Every change made to sql/parts/ since 0.1 is repeated here, in the same
-- order, so that an upgraded installation equals a fresh install of 0.2
-- (test/t/090_upgrade.pl compares the two schemas).

\echo Use "ALTER EXTENSION netflow UPDATE TO '0.2'" to load this file. \quit

-- flow validity contract (issue 10, defect 11)
-- One definition of a valid flow (src/decode/flow_contract.c) for the
-- decoders, the netflow.flow type and the table: netflow.flows (and
-- netflow.flows_future, made LIKE it) get the CHECK constraint
-- flows_contract.  It is added NOT VALID and then validated; if rows stored
-- before the upgrade break it (a mask beyond its address family, a
-- direction other than 0/1, mixed address families), the upgrade still
-- succeeds, warns, and leaves the constraint NOT VALID (new rows are
-- checked) until those rows are repaired (docs/flow-type.md, "Validity").
CREATE FUNCTION netflow.flow_row_check(
	time_start timestamptz, time_end timestamptz, time_received timestamptz,
	exporter inet, obs_domain bigint, version smallint,
	src_addr inet, dst_addr inet, src_port integer, dst_port integer,
	protocol smallint, tcp_flags smallint, tos smallint,
	packets bigint, bytes bigint, sampling_interval bigint,
	input_if bigint, output_if bigint, src_as bigint, dst_as bigint,
	next_hop inet, src_mask smallint, dst_mask smallint, direction smallint,
	src_vlan integer, dst_vlan integer, src_mac macaddr, dst_mac macaddr,
	end_reason smallint, icmp_type smallint, icmp_code smallint,
	flags integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_row_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_row_check(timestamptz, timestamptz, timestamptz, inet, bigint, smallint, inet, inet, integer, integer, smallint, smallint, smallint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, inet, smallint, smallint, smallint, integer, integer, macaddr, macaddr, smallint, smallint, smallint, integer) IS
	'Whether the columns of a netflow.flows row satisfy the flow validity contract (NULL allowed anywhere); the CHECK constraint flows_contract of netflow.flows';

ALTER TABLE netflow.flows ADD CONSTRAINT flows_contract CHECK (netflow.flow_row_check(
		time_start, time_end, time_received, exporter, obs_domain, version,
		src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, tos,
		packets, bytes, sampling_interval, input_if, output_if, src_as, dst_as,
		next_hop, src_mask, dst_mask, direction, src_vlan, dst_vlan, src_mac,
		dst_mac, end_reason, icmp_type, icmp_code, flags)) NOT VALID;
COMMENT ON CONSTRAINT flows_contract ON netflow.flows IS
	'The flow validity contract (as for netflow.flow values and decoded records): masks within their address family, direction 0 or 1, source and destination of one family, values within their range; NULL allowed';
ALTER TABLE netflow.flows_future ADD CONSTRAINT flows_contract CHECK (netflow.flow_row_check(
		time_start, time_end, time_received, exporter, obs_domain, version,
		src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, tos,
		packets, bytes, sampling_interval, input_if, output_if, src_as, dst_as,
		next_hop, src_mask, dst_mask, direction, src_vlan, dst_vlan, src_mac,
		dst_mac, end_reason, icmp_type, icmp_code, flags)) NOT VALID;
DO $$
DECLARE
	t		text;
BEGIN
	FOREACH t IN ARRAY ARRAY['flows', 'flows_future']
	LOOP
		BEGIN
			EXECUTE pg_catalog.format('ALTER TABLE netflow.%I VALIDATE CONSTRAINT flows_contract', t);
		EXCEPTION WHEN check_violation THEN
			RAISE WARNING 'netflow.% holds rows that break the flow validity contract', t
				USING DETAIL = 'The constraint flows_contract stays NOT VALID: new rows are checked, the existing ones are not.',
					  HINT = 'Repair the rows as "Validity" in docs/flow-type.md shows, then run ALTER TABLE netflow.' || t || ' VALIDATE CONSTRAINT flows_contract.';
		END;
	END LOOP;
END
$$;
