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

-- privileges: maintenance as the collector's role (netflow.role), time
-- injection for the owner of netflow.flows only, what netflow_reader may
-- read, comments on view columns, the obs_domain comment.

-- obs_domain: v5 stores engine_type * 256 + engine_id (docs/decoding.md);
-- the view's column carries the table's comment.
COMMENT ON COLUMN netflow.flows.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';
COMMENT ON COLUMN netflow.flows_upscaled.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';

-- Column comments of the collector's views.
COMMENT ON COLUMN netflow.collector_stats.worker_type IS
	'Worker kind: inserter or receiver';
COMMENT ON COLUMN netflow.collector_stats.worker_id IS
	'Worker number within its kind (receivers 0, 1, ...; the inserter 0)';
COMMENT ON COLUMN netflow.collector_stats.pid IS
	'Process ID of the worker; NULL while it is not running';
COMMENT ON COLUMN netflow.collector_stats.started_at IS
	'When the worker last started; NULL while it is not running';
COMMENT ON COLUMN netflow.collector_stats.datagrams IS
	'Receiver: datagrams read from its sockets; inserter: datagrams taken from the queue and decoded';
COMMENT ON COLUMN netflow.collector_stats.bytes IS
	'Receiver: bytes of the datagrams read; inserter: bytes of the datagrams decoded';
COMMENT ON COLUMN netflow.collector_stats.flows_decoded IS
	'Inserter: flow records decoded';
COMMENT ON COLUMN netflow.collector_stats.flows_inserted IS
	'Inserter: rows committed to netflow.flows and netflow.flows_future';
COMMENT ON COLUMN netflow.collector_stats.flows_buffered IS
	'Inserter: flows decoded and not yet committed';
COMMENT ON COLUMN netflow.collector_stats.batches IS
	'Inserter: committed insert transactions';
COMMENT ON COLUMN netflow.collector_stats.insert_retries IS
	'Inserter: failed insert transactions (each retried)';
COMMENT ON COLUMN netflow.collector_stats.kernel_drops IS
	'Receiver: datagrams the kernel dropped because the socket buffer was full (SO_RXQ_OVFL)';
COMMENT ON COLUMN netflow.collector_stats.drop_not_allowed IS
	'Receiver: datagrams from a source outside netflow.allowed_exporters, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_truncated IS
	'Receiver: datagrams larger than 64 KiB, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_queue_full IS
	'Receiver: datagrams dropped because the queue was full';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_version IS
	'Inserter: datagrams whose version is not 5, 9 or 10, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_short IS
	'Inserter: datagrams shorter than their protocol header, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_length IS
	'Inserter: datagrams whose record count or message length does not fit the datagram, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_set IS
	'Inserter: malformed v9 flowsets / IPFIX sets (bad length, reserved id, trailing bytes), dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_template IS
	'Inserter: template or options template records rejected';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_record IS
	'Inserter: data records running past their set, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_no_memory IS
	'Inserter: templates, data sets or exporter entries lost to a failed allocation';
COMMENT ON COLUMN netflow.collector_stats.drop_unstorable IS
	'Inserter: flows with values outside the columns ranges, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_shutdown IS
	'Inserter: flows still buffered when the inserter had to stop, lost';
COMMENT ON COLUMN netflow.collector_stats.drop_rejected IS
	'Inserter: rows the table refused (a constraint), dropped after salvaging the rest of the batch';
COMMENT ON COLUMN netflow.collector_stats.templates_learned IS
	'Inserter: templates learned by the decoder';
COMMENT ON COLUMN netflow.collector_stats.templates_withdrawn IS
	'Inserter: templates withdrawn by their exporter';
COMMENT ON COLUMN netflow.collector_stats.templates_evicted IS
	'Inserter: templates evicted from the decoder at its limit';
COMMENT ON COLUMN netflow.collector_stats.templates_saved IS
	'Inserter: rows written to netflow.templates';
COMMENT ON COLUMN netflow.collector_stats.options_records IS
	'Inserter: options data records seen';
COMMENT ON COLUMN netflow.collector_stats.pending_buffered IS
	'Inserter: data sets that arrived before their template, buffered';
COMMENT ON COLUMN netflow.collector_stats.pending_decoded IS
	'Inserter: buffered data sets decoded once their template came';
COMMENT ON COLUMN netflow.collector_stats.pending_evicted IS
	'Inserter: buffered data sets dropped because the buffer was full';
COMMENT ON COLUMN netflow.collector_stats.pending_expired IS
	'Inserter: buffered data sets dropped because their template did not come in time';
COMMENT ON COLUMN netflow.collector_stats.seq_gaps IS
	'Inserter: sequence number gaps seen';
COMMENT ON COLUMN netflow.collector_stats.seq_lost IS
	'Inserter: flows (v9: export packets) estimated lost from sequence numbers';
COMMENT ON COLUMN netflow.collector_stats.seq_reordered IS
	'Inserter: datagrams that arrived out of sequence order';
COMMENT ON COLUMN netflow.collector_stats.exporter_resets IS
	'Inserter: exporter restarts recognized (sequence or uptime went back)';
COMMENT ON COLUMN netflow.collector_stats.exporters_evicted IS
	'Inserter: exporter streams evicted from the decoder at its limit';
COMMENT ON COLUMN netflow.collector_stats.sampling_unknown IS
	'Inserter: flows stored with an unknown sampling rate (sampling_interval 0)';
COMMENT ON COLUMN netflow.collector_stats.biflow_reverse IS
	'Inserter: reverse-direction rows decoded from bidirectional records (flags bit 4)';
COMMENT ON COLUMN netflow.collector_stats.flows_routed IS
	'Inserter: flows whose table was asked of netflow.ensure_partitions_for (not in an hour known to have a partition)';
COMMENT ON COLUMN netflow.collector_stats.rcvbuf_granted IS
	'Receiver: socket receive buffer the kernel granted, bytes';
COMMENT ON COLUMN netflow.collector_stats.queue_bytes_used IS
	'Inserter: bytes in the shared queue now';
COMMENT ON COLUMN netflow.collector_stats.queue_datagrams IS
	'Inserter: datagrams in the shared queue now';
COMMENT ON COLUMN netflow.collector_stats.queue_size IS
	'Inserter: size of the shared queue, bytes';
COMMENT ON COLUMN netflow.collector_stats.queue_high_water IS
	'Inserter: highest fill of the shared queue since the server started, bytes';
COMMENT ON COLUMN netflow.collector_stats.last_error IS
	'Last error the worker met (insert failure, refused row, ...); NULL if none';
COMMENT ON COLUMN netflow.collector_stats.last_error_at IS
	'When last_error happened';
COMMENT ON COLUMN netflow.collector_stats.drop_shutdown_queued IS
	'Inserter: datagrams still queued when the whole server stopped and the drain deadline (netflow.shutdown_timeout) passed, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_decode_error IS
	'Inserter: datagrams whose decoding raised an error, dropped (their flows are not stored)';
COMMENT ON COLUMN netflow.exporters.exporter IS
	'Address of the exporting device';
COMMENT ON COLUMN netflow.exporters.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';
COMMENT ON COLUMN netflow.exporters.version IS
	'Export protocol: 5, 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.exporters.first_seen IS
	'First datagram of the stream since the collector started; NULL for a saved stream that has not sent since';
COMMENT ON COLUMN netflow.exporters.last_seen IS
	'Last datagram of the stream (the saved time after a restart until it sends)';
COMMENT ON COLUMN netflow.exporters.datagrams IS
	'Datagrams decoded since the collector started';
COMMENT ON COLUMN netflow.exporters.flows IS
	'Flow records decoded since the collector started';
COMMENT ON COLUMN netflow.exporters.sequence_gaps IS
	'Gaps in the sequence numbers (including one over a collector restart)';
COMMENT ON COLUMN netflow.exporters.lost_flows IS
	'Flows (v9: export packets) estimated lost from the sequence numbers';
COMMENT ON COLUMN netflow.exporters.reordered IS
	'Datagrams that arrived out of sequence order';
COMMENT ON COLUMN netflow.exporters.resets IS
	'Times the exporter was seen restarting';
COMMENT ON COLUMN netflow.exporters.templates IS
	'Templates of the stream the decoder holds now';
COMMENT ON COLUMN netflow.exporters.sampling_interval IS
	'Exporter-wide sampling rate in use ("1 in N"); NULL when unknown';
COMMENT ON COLUMN netflow.exporters.pending_bytes IS
	'Bytes of data waiting for their template';

-- Column comments of window_counters and flows_future; the as_of column.
COMMENT ON COLUMN netflow.window_counters.counter IS 'Counter name (late_flows, future_flows, ...)';
COMMENT ON COLUMN netflow.window_counters.value IS 'Count since the extension was created (transactional: rolled back with its batch)';
COMMENT ON COLUMN netflow.window_counters.updated IS 'When the counter last changed; NULL if never';
COMMENT ON COLUMN netflow.window_counters.description IS 'What the counter counts';
-- Its columns carry the column comments of netflow.flows.
DO $$
DECLARE
	r		record;
BEGIN
	FOR r IN
		SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = 'netflow.flows'::pg_catalog.regclass
		  AND a.attnum > 0 AND NOT a.attisdropped
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN netflow.flows_future.%I IS %L',
								  r.attname, r.comment);
	END LOOP;
END
$$;
COMMENT ON COLUMN netflow.maintenance_log.as_of IS 'The "now" the run worked against: now() of its transaction, or the time given to run_maintenance(timestamptz); NULL for a run that failed before it started';

-- Only the owner of netflow.flows chooses the time or the age maintenance
-- works with; everyone else runs it as of the clock.
-- Refuse unless the current user owns netflow.flows (directly, through a
-- role, or as a superuser): only the owner may drop partitions by an age or
-- a time of its choosing.  A role granted run_maintenance() runs it as of
-- the clock, never as of a time it chooses.
CREATE FUNCTION netflow.require_flows_owner(what text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT pg_has_role(current_user,
					   (SELECT c.relowner FROM pg_class c
						WHERE c.oid = 'netflow.flows'::regclass),
					   'USAGE') THEN
		RAISE EXCEPTION 'permission denied for %', what
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Only the owner of netflow.flows may choose the time or the age maintenance works with.',
				  HINT = 'Call netflow.run_maintenance() to run maintenance as of now.';
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.require_flows_owner(text) IS
	'Raise insufficient_privilege unless the current user owns netflow.flows (or is a superuser); guards the maintenance functions that take a time (internal)';

CREATE OR REPLACE FUNCTION netflow.drop_partitions(older_than interval,
										now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	s		record;
	c		record;
	locked	boolean;
	old_timeout text := current_setting('lock_timeout');
BEGIN
	PERFORM netflow.require_flows_owner('function drop_partitions');
	s := netflow.maintenance_settings();
	IF older_than < interval '0' THEN
		RAISE EXCEPTION 'retention must not be negative: "%"', older_than
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give a positive interval, or 0 to drop nothing.';
	END IF;
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Partitions are dropped relative to a finite point in time.';
	END IF;
	-- Same key as run_maintenance (re-entrant within one transaction).
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE NOTICE 'netflow maintenance skipped: another maintenance run in progress';
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	FOR c IN SELECT * FROM netflow.retention_candidates(older_than, now) LOOP
		-- The name, while the relation still exists.
		partition := c.partition::text;
		IF locked IS NULL THEN
			locked := netflow.lock_flows_briefly(s.lock_timeout);
		END IF;
		action := NULL;
		IF locked THEN
			BEGIN
				-- The parent is ours; the partition itself may still be read
				-- by a query naming it directly: wait briefly, no retry, as we
				-- are blocking inserts meanwhile.
				PERFORM set_config('lock_timeout', s.lock_timeout, true);
				EXECUTE format('DROP TABLE %s', c.partition);
				PERFORM set_config('lock_timeout', old_timeout, true);
				action := 'dropped';
				detail := format('older than %s', older_than);
			EXCEPTION WHEN lock_not_available THEN
				action := 'deferred';
				detail := 'partition in use; retry next run';
			END;
		ELSE
			action := 'deferred';
			detail := format('netflow.flows busy (lock not obtained within %s, 3 attempts); retry next run',
							 s.lock_timeout);
		END IF;
		lower := c.lower;
		upper := c.upper;
		IF action = 'dropped' THEN
			RAISE LOG 'netflow maintenance: dropped partition % [%, %)', partition, lower, upper;
		ELSE
			RAISE NOTICE 'netflow maintenance: dropping partition % deferred: %', partition, detail;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.drop_partitions(interval, timestamptz) IS
	'Retention step alone: drop the netflow.flows partitions wholly older than now - older_than (never the newest); a drop that cannot get its lock within netflow.maintenance_lock_timeout (3 attempts) is reported deferred; owner of netflow.flows only';
REVOKE ALL ON FUNCTION netflow.drop_partitions(interval, timestamptz) FROM PUBLIC;

-- run_maintenance(timestamptz) loses its default (run_maintenance() is the
-- call as of now) and becomes SECURITY INVOKER, owner only.  A default
-- cannot be removed by CREATE OR REPLACE, and the grants an operator gave on
-- it must go anyway: drop and create.
DROP FUNCTION netflow.run_maintenance(timestamptz);
CREATE FUNCTION netflow.run_maintenance(now timestamptz)
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	t_started	timestamptz := clock_timestamp();
	s			record;
	w			record;
	b			record;
	r			record;
	upto		timestamptz;
	old_timeout text := current_setting('lock_timeout');
	n_created	integer := 0;
	n_dropped	integer := 0;
	n_deferred	integer := 0;
	n_errors	integer := 0;
	n_moved		bigint := 0;
	n			bigint;
	errs		text[] := '{}';
	ts			timestamptz[];
	ok			boolean[];
	made		regclass[];
	v_status	text;
BEGIN
	PERFORM netflow.require_flows_owner('function run_maintenance(timestamptz)');
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Maintenance works relative to a finite point in time.';
	END IF;

	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE NOTICE 'netflow maintenance skipped: another maintenance run in progress';
		INSERT INTO netflow.maintenance_log (started, finished, as_of, status, detail)
		VALUES (t_started, clock_timestamp(), now, 'skipped', 'another maintenance run in progress');
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	BEGIN
		s := netflow.maintenance_settings();
		w := netflow.ingest_window(now);
	EXCEPTION WHEN OTHERS THEN
		RAISE WARNING 'netflow maintenance: %', SQLERRM;
		INSERT INTO netflow.maintenance_log (started, finished, as_of, status, errors, detail)
		VALUES (t_started, clock_timestamp(), now, 'error', 1, SQLERRM);
		action := 'error';
		detail := SQLERRM;
		RETURN NEXT;
		RETURN;
	END;

	-- 1. Premake: the partition containing now and premake more after it.
	-- create_partitions attaches new partitions, which takes SHARE UPDATE
	-- EXCLUSIVE on netflow.flows: that lets readers and inserts go on, but
	-- waits for VACUUM or another attach, so take it briefly first
	-- (retrying), and only when something is missing.
	BEGIN
		b := netflow.partition_bounds(now, s.partition_interval);
		upto := b.upper;
		FOR i IN 1 .. s.premake LOOP
			upto := (netflow.partition_bounds(upto, s.partition_interval)).upper;
		END LOOP;
		IF EXISTS (SELECT 1
				   FROM generate_series(b.lower, upto - interval '1 microsecond',
										s.partition_interval) AS g(t)
				   WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
									 WHERE g.t >= p.lower AND g.t < p.upper)) THEN
			IF NOT netflow.lock_flows_briefly(s.lock_timeout, 3, 'SHARE UPDATE EXCLUSIVE') THEN
				RAISE EXCEPTION USING ERRCODE = 'lock_not_available';
			END IF;
			SELECT array_agg(m) INTO made FROM netflow.create_partitions(b.lower, upto) AS m;
		END IF;
		FOR r IN
			SELECT p.partition AS rel, p.lower, p.upper
			FROM netflow.flows_partitions() p
			WHERE p.partition = ANY (made)
			ORDER BY p.lower
		LOOP
			action := 'created';
			partition := r.rel::text;
			lower := r.lower;
			upper := r.upper;
			detail := format('premake %s ahead', s.premake);
			RAISE LOG 'netflow maintenance: created partition % [%, %)', partition, lower, upper;
			n_created := n_created + 1;
			RETURN NEXT;
		END LOOP;
	EXCEPTION
		WHEN lock_not_available THEN
			action := 'deferred';
			partition := NULL;
			lower := b.lower;
			upper := upto;
			detail := format('creating partitions: netflow.flows busy (lock not obtained within %s, 3 attempts); retry next run',
							 s.lock_timeout);
			RAISE NOTICE 'netflow maintenance: %', detail;
			n_deferred := n_deferred + 1;
			RETURN NEXT;
		WHEN OTHERS THEN
			action := 'error';
			partition := NULL;
			lower := NULL;
			upper := NULL;
			detail := 'premake: ' || SQLERRM;
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			errs := errs || detail;
			RETURN NEXT;
	END;

	-- 2. Far-future flows: purge the ones received before the retention,
	-- move the ones whose time has come into netflow.flows.
	BEGIN
		IF s.retention > interval '0' THEN
			DELETE FROM netflow.flows_future f WHERE f.time_received < now - s.retention;
			GET DIAGNOSTICS n = ROW_COUNT;
			IF n > 0 THEN
				PERFORM netflow.window_count('future_flows_purged', n);
				action := 'purged';
				partition := 'netflow.flows_future';
				lower := NULL;
				upper := now - s.retention;
				detail := format('%s rows received before the retention', n);
				RAISE LOG 'netflow maintenance: %', detail;
				RETURN NEXT;
			END IF;
		END IF;

		SELECT array_agg(DISTINCT f.time_start) INTO ts
		FROM netflow.flows_future f
		WHERE f.time_start < w.future_from;
		IF ts IS NOT NULL THEN
			PERFORM set_config('lock_timeout', s.lock_timeout, true);
			ok := netflow.make_partitions_for(ts, now);
			PERFORM set_config('lock_timeout', old_timeout, true);
			WITH moved AS (
				DELETE FROM netflow.flows_future f
				WHERE f.time_start IN (SELECT u.t FROM unnest(ts, ok) AS u(t, k) WHERE u.k)
				RETURNING f.*
			)
			INSERT INTO netflow.flows SELECT * FROM moved;
			GET DIAGNOSTICS n_moved = ROW_COUNT;
			IF n_moved > 0 THEN
				PERFORM netflow.window_count('future_flows_moved', n_moved);
				action := 'moved';
				partition := 'netflow.flows_future';
				lower := NULL;
				upper := w.future_from;
				detail := format('%s rows now within the window moved to netflow.flows', n_moved);
				RAISE LOG 'netflow maintenance: %', detail;
				RETURN NEXT;
			END IF;
		END IF;
	EXCEPTION
		WHEN lock_not_available THEN
			action := 'deferred';
			partition := 'netflow.flows_future';
			lower := NULL;
			upper := NULL;
			detail := 'moving future flows: netflow.flows busy; retry next run';
			RAISE NOTICE 'netflow maintenance: %', detail;
			n_deferred := n_deferred + 1;
			n_moved := 0;
			RETURN NEXT;
		WHEN OTHERS THEN
			action := 'error';
			partition := 'netflow.flows_future';
			lower := NULL;
			upper := NULL;
			detail := 'future flows: ' || SQLERRM;
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			n_moved := 0;
			errs := errs || detail;
			RETURN NEXT;
	END;

	-- 3. Forget exporter streams silent for longer than forget_exporters_after:
	-- their saved sequence state, then the templates and sampling rates of
	-- streams with no recent sequence state that were not saved recently
	-- themselves.  The running collector keeps what it holds in memory; a
	-- forgotten stream that comes back is treated as new (its rows are
	-- written again as they change).
	BEGIN
		IF s.forget_exporters_after > interval '0' THEN
			DECLARE
				cutoff	timestamptz := now - s.forget_exporters_after;
				n_seq	bigint;
				n_tpl	bigint;
				n_smp	bigint;
			BEGIN
				DELETE FROM netflow.exporter_state e WHERE e.last_seen < cutoff;
				GET DIAGNOSTICS n_seq = ROW_COUNT;
				DELETE FROM netflow.templates t
				WHERE t.updated_at < cutoff
				  AND NOT EXISTS (SELECT 1 FROM netflow.exporter_state e
								  WHERE e.exporter = t.exporter AND e.obs_domain = t.obs_domain
									AND e.version = t.version);
				GET DIAGNOSTICS n_tpl = ROW_COUNT;
				DELETE FROM netflow.sampling m
				WHERE m.updated_at < cutoff
				  AND NOT EXISTS (SELECT 1 FROM netflow.exporter_state e
								  WHERE e.exporter = m.exporter AND e.obs_domain = m.obs_domain
									AND e.version = m.version);
				GET DIAGNOSTICS n_smp = ROW_COUNT;
				IF n_seq + n_tpl + n_smp > 0 THEN
					action := 'forgot';
					partition := NULL;
					lower := NULL;
					upper := cutoff;
					detail := format('exporter streams silent since %s deleted: sequence states %s, templates %s, sampling rates %s',
									 cutoff, n_seq, n_tpl, n_smp);
					RAISE LOG 'netflow maintenance: %', detail;
					RETURN NEXT;
				END IF;
			END;
		END IF;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'forgetting exporters: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 4. Retention, last: once a partition is dropped netflow.flows stays
	-- locked until commit, so nothing slow may follow.
	BEGIN
		FOR r IN SELECT * FROM netflow.drop_partitions(s.retention, now) LOOP
			action := r.action;
			partition := r.partition;
			lower := r.lower;
			upper := r.upper;
			detail := r.detail;
			IF r.action = 'dropped' THEN
				n_dropped := n_dropped + 1;
			ELSE
				n_deferred := n_deferred + 1;
			END IF;
			RETURN NEXT;
		END LOOP;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'retention: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	v_status := CASE WHEN n_errors > 0 THEN 'error'
				   WHEN n_deferred > 0 THEN 'deferred'
				   ELSE 'ok' END;
	DELETE FROM netflow.maintenance_log l WHERE l.started < t_started - interval '30 days';
	INSERT INTO netflow.maintenance_log
		(started, finished, as_of, status, created, dropped, deferred, moved, errors, detail)
	VALUES (t_started, clock_timestamp(), now, v_status, n_created, n_dropped, n_deferred,
			n_moved, n_errors, nullif(array_to_string(errs, '; '), ''));
	RAISE LOG 'netflow maintenance %: % created, % dropped, % deferred, % moved, % errors',
		v_status, n_created, n_dropped, n_deferred, n_moved, n_errors;
END
$$;
COMMENT ON FUNCTION netflow.run_maintenance(timestamptz) IS
	'One maintenance run as of the given time (tests, "what would happen on Friday"; owner of netflow.flows only): create the premake partitions ahead, purge/move far-future flows, forget the saved state of exporters silent past forget_exporters_after, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
REVOKE ALL ON FUNCTION netflow.run_maintenance(timestamptz) FROM PUBLIC;

-- One maintenance run as of now: what the collector's schedule, pg_cron and
-- operators call.  SECURITY DEFINER, so that a role granted it (the
-- collector's netflow.role through netflow_collector, an operator) runs
-- maintenance without owning the table; it takes no time argument, so such
-- a role cannot make recent partitions look old.
CREATE FUNCTION netflow.run_maintenance()
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM netflow.run_maintenance(pg_catalog.now())
$$;
COMMENT ON FUNCTION netflow.run_maintenance() IS
	'One maintenance run as of now() (see run_maintenance(timestamptz)); the function to schedule and to grant: executable by netflow_collector';
REVOKE ALL ON FUNCTION netflow.run_maintenance() FROM PUBLIC;

-- Record a maintenance run that failed as a whole (the worker calls it
-- after the run's transaction rolled back), with the privileges of the
-- extension owner: the collector's role may not write the log itself.
CREATE FUNCTION netflow.log_maintenance_failure(started timestamptz, message text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO netflow.maintenance_log (started, finished, status, errors, detail)
	VALUES (least(started, clock_timestamp()), clock_timestamp(), 'error', 1,
			left(message, 1000))
$$;
COMMENT ON FUNCTION netflow.log_maintenance_failure(timestamptz, text) IS
	'Append an error row to netflow.maintenance_log for a run that failed as a whole (internal: the collector''s maintenance schedule; executable by netflow_collector)';
REVOKE ALL ON FUNCTION netflow.log_maintenance_failure(timestamptz, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION netflow.run_maintenance(),
	netflow.log_maintenance_failure(timestamptz, text) TO netflow_collector;
GRANT SELECT ON netflow.flows_upscaled, netflow.partitions,
	netflow.maintenance_log, netflow.window_counters, netflow.config,
	netflow.config_defaults
	TO netflow_reader;
