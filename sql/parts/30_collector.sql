-- 30_collector.sql: the collector's persistent state (netflow.templates,
-- netflow.sampling, netflow.exporter_state),
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
	max(c.value) FILTER (WHERE c.counter = 'flows_future') AS flows_future,
	max(c.value) FILTER (WHERE c.counter = 'flows_past') AS flows_past,
	max(c.value) FILTER (WHERE c.counter = 'flows_diverted') AS flows_diverted,
	max(c.value) FILTER (WHERE c.counter = 'drop_failed') AS drop_failed
FROM netflow.collector_workers() w
LEFT JOIN netflow.collector_counters() c
	ON c.worker_type = w.worker_type AND c.worker_id = w.worker_id
GROUP BY w.worker_type, w.worker_id, w.pid, w.started_at, w.last_error,
	w.last_error_at
ORDER BY w.worker_type, w.worker_id;
COMMENT ON VIEW netflow.collector_stats IS
	'One row per collector worker with its counters (NULL where a counter does not apply to the worker type); see docs/collector.md';
COMMENT ON COLUMN netflow.collector_stats.flows_future IS
	'Inserter: rows of flows_inserted stored in netflow.flows_future (start too far ahead, or no partition could take them)';
COMMENT ON COLUMN netflow.collector_stats.flows_past IS
	'Inserter: rows of flows_inserted stored in netflow.flows_past (start before the window with no partition, or no partition could take them)';
COMMENT ON COLUMN netflow.collector_stats.flows_diverted IS
	'Inserter: rows a partition kept refusing (after retries) that were stored in netflow.flows_past or netflow.flows_future instead';
COMMENT ON COLUMN netflow.collector_stats.drop_failed IS
	'Inserter: rows dropped because neither their partition nor netflow.flows_past / netflow.flows_future could take them (for a reason other than the data)';

CREATE VIEW netflow.drop_counters AS
SELECT c.counter AS reason, sum(c.value)::bigint AS count
FROM netflow.collector_counters() c
WHERE c.counter LIKE 'drop\_%'
	OR c.counter IN ('kernel_drops', 'pending_evicted', 'pending_expired',
		'templates_evicted')
GROUP BY c.counter
ORDER BY c.counter;
COMMENT ON VIEW netflow.drop_counters IS
	'Datagrams or flows the collector could not keep, by reason, summed over workers';

CREATE VIEW netflow.exporters AS
SELECT e.exporter, e.obs_domain, e.version, e.first_seen, e.last_seen,
	e.datagrams, e.flows, e.sequence_gaps, e.lost_flows, e.reordered,
	e.resets, e.templates, e.sampling_interval, e.pending_bytes
FROM netflow.exporters_info() e
ORDER BY e.exporter, e.obs_domain;
COMMENT ON VIEW netflow.exporters IS
	'Exporting devices seen by the collector since it started, per observation domain: traffic, sequence gaps, estimated lost flows, templates, sampling';

-- Privileges of netflow_reader and netflow_collector: 90_collector_privileges.sql
-- (they cover objects of later parts too).
