-- 30_collector.sql: the collector's persistent state (netflow.templates,
-- netflow.sampling, netflow.exporter_state, netflow.saved_counters),
-- its statistics views, and the roles for reading flows and for running
-- the collector as a non-superuser (their privileges are granted in
-- 90_collector_privileges.sql, after every object exists).

------------------------------------------------------------------------
-- Roles (cluster-wide; created once, kept by DROP EXTENSION)
------------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'netflow_reader') THEN
		CREATE ROLE netflow_reader NOLOGIN;
		COMMENT ON ROLE netflow_reader IS
			'Can read netflow.flows and the netflow statistics views';
	END IF;
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'netflow_collector') THEN
		CREATE ROLE netflow_collector NOLOGIN;
		COMMENT ON ROLE netflow_collector IS
			'Has what the netflow collector needs; GRANT it to the LOGIN role named in netflow.role';
	END IF;
END
$$;

------------------------------------------------------------------------
-- Saved templates
------------------------------------------------------------------------

CREATE TABLE netflow.templates (
	exporter	inet NOT NULL,
	obs_domain	bigint NOT NULL CHECK (obs_domain BETWEEN 0 AND 4294967295),
	version		smallint NOT NULL CHECK (version IN (9, 10)),
	template_id integer NOT NULL CHECK (template_id BETWEEN 0 AND 65535),
	is_options	boolean NOT NULL,
	raw			bytea NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (exporter, obs_domain, version, template_id)
);
COMMENT ON TABLE netflow.templates IS
	'NetFlow v9 / IPFIX templates the collector learned, reloaded when it starts so data is decoded without waiting for a resend';
COMMENT ON COLUMN netflow.templates.exporter IS 'Address of the exporting device';
COMMENT ON COLUMN netflow.templates.obs_domain IS 'v9 source ID / IPFIX observation domain ID';
COMMENT ON COLUMN netflow.templates.version IS 'Protocol version: 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.templates.template_id IS 'Template ID (256-65535)';
COMMENT ON COLUMN netflow.templates.is_options IS 'True for an options template';
COMMENT ON COLUMN netflow.templates.raw IS 'The template record as received on the wire';
COMMENT ON COLUMN netflow.templates.updated_at IS 'When the collector last saved a change of this template';
SELECT pg_catalog.pg_extension_config_dump('netflow.templates', '');

------------------------------------------------------------------------
-- Saved sampling rates and sequence state
------------------------------------------------------------------------

CREATE TABLE netflow.sampling (
	exporter	inet NOT NULL,
	obs_domain	bigint NOT NULL CHECK (obs_domain BETWEEN 0 AND 4294967295),
	version		smallint NOT NULL CHECK (version IN (9, 10)),
	sampler_kind text NOT NULL
		CHECK (sampler_kind IN ('exporter', 'sampler', 'selector')),
	sampler_id	bigint NOT NULL,
	sampling_interval bigint NOT NULL CHECK (sampling_interval >= 0),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (exporter, obs_domain, version, sampler_kind, sampler_id),
	CHECK (sampler_kind <> 'exporter' OR sampler_id = 0)
);
COMMENT ON TABLE netflow.sampling IS
	'Sampling rates announced by NetFlow v9 / IPFIX options records, reloaded when the collector starts so sampled data gets its rate without waiting for the exporter to resend its options';
COMMENT ON COLUMN netflow.sampling.exporter IS 'Address of the exporting device';
COMMENT ON COLUMN netflow.sampling.obs_domain IS 'v9 source ID / IPFIX observation domain ID';
COMMENT ON COLUMN netflow.sampling.version IS 'Protocol version: 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.sampling.sampler_kind IS
	'exporter: the exporter-wide rate (options record naming no sampler); sampler: samplerId (IE 48); selector: PSAMP selectorId (IE 302)';
COMMENT ON COLUMN netflow.sampling.sampler_id IS
	'Sampler or selector ID (0 for kind exporter); IDs above 2^63-1 are stored as their two''s complement bit pattern';
COMMENT ON COLUMN netflow.sampling.sampling_interval IS
	'Sampling interval "1 in N" announced (0: sampled at an unknown rate)';
COMMENT ON COLUMN netflow.sampling.updated_at IS 'When the collector last saved a change of this rate';
SELECT pg_catalog.pg_extension_config_dump('netflow.sampling', '');

CREATE TABLE netflow.exporter_state (
	exporter	inet NOT NULL,
	obs_domain	bigint NOT NULL CHECK (obs_domain BETWEEN 0 AND 4294967295),
	version		smallint NOT NULL CHECK (version IN (5, 9, 10)),
	next_sequence bigint NOT NULL CHECK (next_sequence BETWEEN 0 AND 4294967295),
	last_uptime_ms bigint CHECK (last_uptime_ms BETWEEN 0 AND 4294967295),
	last_seen	timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (exporter, obs_domain, version)
);
COMMENT ON TABLE netflow.exporter_state IS
	'Sequence state per exporter stream, saved with each flow flush and reloaded when the collector starts, so loss over a collector restart is counted and a continuation is not taken for a reset';
COMMENT ON COLUMN netflow.exporter_state.exporter IS 'Address of the exporting device';
COMMENT ON COLUMN netflow.exporter_state.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / v5 engine_type * 256 + engine_id';
COMMENT ON COLUMN netflow.exporter_state.version IS 'Protocol version: 5, 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.exporter_state.next_sequence IS
	'Sequence number expected in the next datagram (v5: flows, v9: export packets, IPFIX: data records, modulo 2^32)';
COMMENT ON COLUMN netflow.exporter_state.last_uptime_ms IS
	'v9: highest sysUptime (ms) received, to recognize an exporter restart; NULL otherwise';
COMMENT ON COLUMN netflow.exporter_state.last_seen IS 'When the collector last received a datagram of this stream';
COMMENT ON COLUMN netflow.exporter_state.updated_at IS 'When the collector last saved this row';
SELECT pg_catalog.pg_extension_config_dump('netflow.exporter_state', '');

------------------------------------------------------------------------
-- Saved loss counters
------------------------------------------------------------------------

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

------------------------------------------------------------------------
-- Statistics (shared memory; empty without shared_preload_libraries)
------------------------------------------------------------------------

CREATE FUNCTION netflow.collector_workers(
	OUT worker_type text, OUT worker_id integer, OUT pid integer,
	OUT started_at timestamptz, OUT last_error text,
	OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_collector_workers'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.collector_workers() IS
	'Collector workers (the inserter and each receiver): process id, start time, last error';

CREATE FUNCTION netflow.collector_counters(
	OUT worker_type text, OUT worker_id integer, OUT counter text,
	OUT value bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_collector_counters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.collector_counters() IS
	'Every collector counter, one row per worker and counter, cumulative since the server started';

CREATE FUNCTION netflow.exporters_info(
	OUT exporter inet, OUT obs_domain bigint, OUT version smallint,
	OUT first_seen timestamptz, OUT last_seen timestamptz,
	OUT datagrams bigint, OUT flows bigint, OUT sequence_gaps bigint,
	OUT lost_flows bigint, OUT reordered bigint, OUT resets bigint,
	OUT templates bigint, OUT sampling_interval bigint,
	OUT pending_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_exporters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.exporters_info() IS
	'Per exporter and observation domain state of the collector''s decoder, published about once a second';

CREATE FUNCTION netflow.loss_counters(
	OUT counter text, OUT since_server_start bigint, OUT unsaved bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_loss_counters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.loss_counters() IS
	'Every loss counter of the collector summed over workers: the count since the server started and its part not yet in netflow.saved_counters';

CREATE VIEW netflow.collector_stats AS
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
	max(c.value) FILTER (WHERE c.counter = 'drop_decode_error') AS drop_decode_error,
	max(c.value) FILTER (WHERE c.counter = 'flows_future') AS flows_future,
	max(c.value) FILTER (WHERE c.counter = 'flows_past') AS flows_past,
	max(c.value) FILTER (WHERE c.counter = 'flows_diverted') AS flows_diverted,
	max(c.value) FILTER (WHERE c.counter = 'drop_failed') AS drop_failed,
	max(c.value) FILTER (WHERE c.counter = 'invalid_mask') AS invalid_mask,
	max(c.value) FILTER (WHERE c.counter = 'invalid_direction') AS invalid_direction,
	max(c.value) FILTER (WHERE c.counter = 'drop_mixed_family') AS drop_mixed_family,
	max(c.value) FILTER (WHERE c.counter = 'drop_invalid_record') AS drop_invalid_record,
	max(c.value) FILTER (WHERE c.counter = 'sampling_lost') AS sampling_lost,
	max(c.value) FILTER (WHERE c.counter = 'state_not_loaded') AS state_not_loaded,
	max(c.value) FILTER (WHERE c.counter = 'drop_sampling_unsaved') AS drop_sampling_unsaved
FROM netflow.collector_workers() w
LEFT JOIN netflow.collector_counters() c
	ON c.worker_type = w.worker_type AND c.worker_id = w.worker_id
GROUP BY w.worker_type, w.worker_id, w.pid, w.started_at, w.last_error,
	w.last_error_at
ORDER BY w.worker_type, w.worker_id;
COMMENT ON VIEW netflow.collector_stats IS
	'One row per collector worker with its counters (NULL where a counter does not apply to the worker type); see docs/collector.md';
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

COMMENT ON COLUMN netflow.collector_stats.flows_future IS
	'Inserter: rows of flows_inserted stored in netflow.flows_future (start too far ahead, or no partition could take them)';
COMMENT ON COLUMN netflow.collector_stats.flows_past IS
	'Inserter: rows of flows_inserted stored in netflow.flows_past (start before the window with no partition, or no partition could take them)';
COMMENT ON COLUMN netflow.collector_stats.flows_diverted IS
	'Inserter: rows a partition kept refusing (after retries) that were stored in netflow.flows_past or netflow.flows_future instead';
COMMENT ON COLUMN netflow.collector_stats.drop_failed IS
	'Inserter: rows dropped because neither their partition nor netflow.flows_past / netflow.flows_future could take them (for a reason other than the data)';
COMMENT ON COLUMN netflow.collector_stats.invalid_mask IS
	'Inserter: src_mask/dst_mask values too long for their address family, stored as NULL (validity contract)';
COMMENT ON COLUMN netflow.collector_stats.invalid_direction IS
	'Inserter: direction values other than 0 (ingress) and 1 (egress), stored as NULL (validity contract)';
COMMENT ON COLUMN netflow.collector_stats.drop_mixed_family IS
	'Inserter: records whose source and destination addresses are of different families, dropped (validity contract)';
COMMENT ON COLUMN netflow.collector_stats.drop_invalid_record IS
	'Inserter: records breaking another rule of the validity contract, dropped (never by the decoders themselves)';
COMMENT ON COLUMN netflow.collector_stats.sampling_lost IS
	'Inserter: v9/IPFIX streams evicted at a state bound while they knew sampling rates (their records are stored with sampling unknown, 0, until the rate is announced again)';
COMMENT ON COLUMN netflow.collector_stats.state_not_loaded IS
	'Inserter: saved templates, sampling rates and sequence states refused at start because a bound (per address or in total) was reached';
COMMENT ON COLUMN netflow.collector_stats.drop_sampling_unsaved IS
	'Inserter: sampling-rate changes not saved to netflow.sampling because 65,536 were waiting for the next insert already (the decoder still applies them; a restart before the exporter announces the rate again forgets it)';

CREATE VIEW netflow.drop_counters AS
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

CREATE VIEW netflow.exporters AS
SELECT e.exporter, e.obs_domain, e.version, e.first_seen, e.last_seen,
	e.datagrams, e.flows, e.sequence_gaps, e.lost_flows, e.reordered,
	e.resets, e.templates, e.sampling_interval, e.pending_bytes
FROM netflow.exporters_info() e
ORDER BY e.exporter, e.obs_domain;
COMMENT ON VIEW netflow.exporters IS
	'Exporting devices seen by the collector since it started, per observation domain: traffic, sequence gaps, estimated lost flows, templates, sampling';
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

-- Privileges of netflow_reader and netflow_collector: 90_collector_privileges.sql
-- (they cover objects of later parts too).
