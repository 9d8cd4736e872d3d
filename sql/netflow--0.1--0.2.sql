-- netflow upgrade script from 0.1 to 0.2 (ALTER EXTENSION netflow UPDATE).
-- Every change made to sql/parts/ since 0.1 is repeated here, in the same
-- order, so that an upgraded installation equals a fresh install of 0.2
-- (test/t/090_upgrade.pl compares the two schemas).

\echo Use "ALTER EXTENSION netflow UPDATE TO '0.2'" to load this file. \quit

-- loss counters that survive restarts (issue 10, defect 10): every
-- drop_counters reason saved in netflow.saved_counters, the view showing
-- saved + not yet saved, two new inserter counters in collector_stats
CREATE TABLE netflow.saved_counters (
	counter		text PRIMARY KEY,
	value		bigint NOT NULL DEFAULT 0 CHECK (value >= 0),
	since		timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE netflow.saved_counters IS
	'Loss counters of the collector (the reasons of netflow.drop_counters) saved across restarts: the inserter adds the counts of all workers every 10 s when they changed and when it stops; delete rows to reset the totals';
COMMENT ON COLUMN netflow.saved_counters.counter IS 'Counter name, as netflow.drop_counters.reason';
COMMENT ON COLUMN netflow.saved_counters.value IS 'Count saved so far, summed over workers, since the row was created';
COMMENT ON COLUMN netflow.saved_counters.since IS 'When the row was created: the start of the count';
COMMENT ON COLUMN netflow.saved_counters.updated_at IS 'When the collector last added to the count';
SELECT pg_catalog.pg_extension_config_dump('netflow.saved_counters', '');
CREATE FUNCTION netflow.loss_counters(
	OUT counter text, OUT since_server_start bigint, OUT unsaved bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_loss_counters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.loss_counters() IS
	'Every loss counter of the collector summed over workers: the count since the server started and its part not yet in netflow.saved_counters';
CREATE OR REPLACE VIEW netflow.collector_stats AS
SELECT w.worker_type, w.worker_id, w.pid, w.started_at,
	max(c.value) FILTER (WHERE c.counter = 'datagrams') AS datagrams,
	max(c.value) FILTER (WHERE c.counter = 'bytes') AS bytes,
	max(c.value) FILTER (WHERE c.counter = 'flows') AS flows_decoded,
	max(c.value) FILTER (WHERE c.counter = 'flows_inserted') AS flows_inserted,
	max(c.value) FILTER (WHERE c.counter = 'flows_buffered') AS flows_buffered,
	max(c.value) FILTER (WHERE c.counter = 'batches') AS batches,
	max(c.value) FILTER (WHERE c.counter = 'insert_retries') AS insert_retries,
	max(c.value) FILTER (WHERE c.counter = 'kernel_drops') AS kernel_drops,
	max(c.value) FILTER (WHERE c.counter = 'drop_not_allowed') AS drop_not_allowed,
	max(c.value) FILTER (WHERE c.counter = 'drop_truncated') AS drop_truncated,
	max(c.value) FILTER (WHERE c.counter = 'drop_queue_full') AS drop_queue_full,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_version') AS drop_bad_version,
	max(c.value) FILTER (WHERE c.counter = 'drop_short') AS drop_short,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_length') AS drop_bad_length,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_set') AS drop_bad_set,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_template') AS drop_bad_template,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_record') AS drop_bad_record,
	max(c.value) FILTER (WHERE c.counter = 'drop_no_memory') AS drop_no_memory,
	max(c.value) FILTER (WHERE c.counter = 'drop_unstorable') AS drop_unstorable,
	max(c.value) FILTER (WHERE c.counter = 'drop_shutdown') AS drop_shutdown,
	max(c.value) FILTER (WHERE c.counter = 'drop_rejected') AS drop_rejected,
	max(c.value) FILTER (WHERE c.counter = 'templates_learned') AS templates_learned,
	max(c.value) FILTER (WHERE c.counter = 'templates_withdrawn') AS templates_withdrawn,
	max(c.value) FILTER (WHERE c.counter = 'templates_evicted') AS templates_evicted,
	max(c.value) FILTER (WHERE c.counter = 'templates_saved') AS templates_saved,
	max(c.value) FILTER (WHERE c.counter = 'options_records') AS options_records,
	max(c.value) FILTER (WHERE c.counter = 'pending_buffered') AS pending_buffered,
	max(c.value) FILTER (WHERE c.counter = 'pending_decoded') AS pending_decoded,
	max(c.value) FILTER (WHERE c.counter = 'pending_evicted') AS pending_evicted,
	max(c.value) FILTER (WHERE c.counter = 'pending_expired') AS pending_expired,
	max(c.value) FILTER (WHERE c.counter = 'seq_gaps') AS seq_gaps,
	max(c.value) FILTER (WHERE c.counter = 'seq_lost') AS seq_lost,
	max(c.value) FILTER (WHERE c.counter = 'seq_reordered') AS seq_reordered,
	max(c.value) FILTER (WHERE c.counter = 'exporter_resets') AS exporter_resets,
	max(c.value) FILTER (WHERE c.counter = 'exporters_evicted') AS exporters_evicted,
	max(c.value) FILTER (WHERE c.counter = 'sampling_unknown') AS sampling_unknown,
	max(c.value) FILTER (WHERE c.counter = 'biflow_reverse') AS biflow_reverse,
	max(c.value) FILTER (WHERE c.counter = 'flows_routed') AS flows_routed,
	max(c.value) FILTER (WHERE c.counter = 'rcvbuf_granted') AS rcvbuf_granted,
	max(c.value) FILTER (WHERE c.counter = 'queue_bytes_used') AS queue_bytes_used,
	max(c.value) FILTER (WHERE c.counter = 'queue_datagrams') AS queue_datagrams,
	max(c.value) FILTER (WHERE c.counter = 'queue_size') AS queue_size,
	max(c.value) FILTER (WHERE c.counter = 'queue_high_water') AS queue_high_water,
	w.last_error, w.last_error_at,
	max(c.value) FILTER (WHERE c.counter = 'drop_shutdown_queued') AS drop_shutdown_queued,
	max(c.value) FILTER (WHERE c.counter = 'drop_decode_error') AS drop_decode_error
FROM netflow.collector_workers() w
LEFT JOIN netflow.collector_counters() c
	ON c.worker_type = w.worker_type AND c.worker_id = w.worker_id
GROUP BY w.worker_type, w.worker_id, w.pid, w.started_at, w.last_error,
	w.last_error_at
ORDER BY w.worker_type, w.worker_id;
CREATE OR REPLACE VIEW netflow.drop_counters AS
SELECT coalesce(l.counter, s.counter) AS reason,
	least(coalesce(s.value, 0)::numeric + coalesce(l.unsaved, 0),
		9223372036854775807)::bigint AS count,
	coalesce(l.since_server_start, 0)::bigint AS since_server_start,
	s.since AS counting_since
FROM netflow.loss_counters() l
FULL JOIN netflow.saved_counters s ON s.counter = l.counter
ORDER BY 1;
COMMENT ON VIEW netflow.drop_counters IS
	'Datagrams or flows the collector could not keep, by reason, summed over workers, totals over server restarts (netflow.saved_counters plus what was not saved yet); see docs/collector.md';
COMMENT ON COLUMN netflow.drop_counters.reason IS
	'Counter: kernel_drops, a drop_* reason, pending_evicted, pending_expired or templates_evicted';
COMMENT ON COLUMN netflow.drop_counters.count IS
	'Total since counting_since (datagrams, sets, templates or flows, by reason), over server restarts';
COMMENT ON COLUMN netflow.drop_counters.since_server_start IS
	'Part of count since the server started (shared memory)';
COMMENT ON COLUMN netflow.drop_counters.counting_since IS
	'Start of count: when the collector first saved this counter after CREATE EXTENSION or after its row of netflow.saved_counters was deleted; NULL when never saved';
-- Saved loss counters: readers read them (and netflow.drop_counters, whose
-- netflow.loss_counters() they execute); the collector adds to them.
REVOKE ALL ON FUNCTION netflow.loss_counters() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION netflow.loss_counters() TO netflow_reader;
GRANT SELECT ON netflow.saved_counters TO netflow_reader;
GRANT SELECT, INSERT, UPDATE ON netflow.saved_counters TO netflow_collector;

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
