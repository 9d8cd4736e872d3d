-- reader.sql -- pgTAP: a role that is a member of netflow_reader and of
-- nothing else can use every object the manual presents to analysts
-- (docs/schema.md, docs/collector.md "Reading", docs/analytics.md,
-- docs/decode-function.md, docs/flow-type.md, docs/operations.md
-- "Monitoring"), and is refused everything else: writes, maintenance,
-- partition DDL, settings.
BEGIN;
SELECT plan(68);

-- Something to read: a partition, two flows as the decoder makes them
-- (sampled 1 in 100), a saved template row.
SELECT netflow.create_partitions('2026-01-01 00:00+00', '2026-01-02 00:00+00');
INSERT INTO netflow.flows
SELECT * FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'),
							 '192.0.2.1', '2026-01-01 12:00:01+00');
UPDATE netflow.flows SET sampling_interval = 100;
INSERT INTO netflow.templates (exporter, obs_domain, version, template_id, is_options, raw, updated_at)
VALUES ('192.0.2.1', 0, 9, 256, false, '\x0100000100080004', now());

CREATE ROLE netflow_tap_analyst NOLOGIN;
GRANT netflow_reader TO netflow_tap_analyst;
SET LOCAL ROLE netflow_tap_analyst;

-- Tables and views presented to analysts.
SELECT results_eq('SELECT count(*) FROM netflow.flows', ARRAY[2::bigint],
				  'reader: SELECT netflow.flows');
SELECT lives_ok('SELECT sum(bytes_upscaled) FROM netflow.flows_upscaled',
				'reader: SELECT netflow.flows_upscaled (docs/schema.md)');
SELECT lives_ok('SELECT * FROM netflow.flows_future', 'reader: SELECT netflow.flows_future');
SELECT results_eq('SELECT count(*) FROM netflow.templates', ARRAY[1::bigint],
				  'reader: SELECT netflow.templates');
SELECT lives_ok('SELECT * FROM netflow.sampling', 'reader: SELECT netflow.sampling');
SELECT lives_ok('SELECT * FROM netflow.exporter_state', 'reader: SELECT netflow.exporter_state');
SELECT lives_ok('SELECT * FROM netflow.collector_stats', 'reader: SELECT netflow.collector_stats');
SELECT lives_ok('SELECT * FROM netflow.drop_counters', 'reader: SELECT netflow.drop_counters');
SELECT lives_ok('SELECT * FROM netflow.exporters', 'reader: SELECT netflow.exporters');
SELECT lives_ok('SELECT * FROM netflow.collector_counters()', 'reader: netflow.collector_counters()');
SELECT lives_ok('SELECT * FROM netflow.collector_workers()', 'reader: netflow.collector_workers()');
SELECT lives_ok('SELECT * FROM netflow.exporters_info()', 'reader: netflow.exporters_info()');
SELECT lives_ok('SELECT counter, value, updated, description FROM netflow.window_counters',
				'reader: SELECT netflow.window_counters');
SELECT lives_ok('SELECT * FROM netflow.maintenance_log', 'reader: SELECT netflow.maintenance_log');
SELECT lives_ok('SELECT * FROM netflow.partitions', 'reader: SELECT netflow.partitions');
SELECT lives_ok('SELECT * FROM netflow.config', 'reader: SELECT netflow.config');
SELECT lives_ok('SELECT * FROM netflow.config_defaults', 'reader: SELECT netflow.config_defaults');
SELECT lives_ok($$SELECT netflow.config_get('partition_interval')$$, 'reader: netflow.config_get()');
SELECT lives_ok('SELECT * FROM netflow.maintenance_settings()', 'reader: netflow.maintenance_settings()');
SELECT lives_ok('SELECT * FROM netflow.ingest_window()', 'reader: netflow.ingest_window()');
SELECT lives_ok($$SELECT * FROM netflow.retention_candidates('1 day')$$,
				'reader: netflow.retention_candidates()');
SELECT lives_ok('SELECT * FROM netflow.flows_partitions()', 'reader: netflow.flows_partitions()');
SELECT lives_ok($$SELECT netflow.partition_interval(), netflow.partition_interval_kind('1 day'),
						 netflow.partition_bounds(now(), '1 day'),
						 netflow.partition_name('2031-05-01 00:00+00', '1 day')$$,
				'reader: partition helpers');

-- Analytics: topn and its functions, entropy.
SELECT results_eq($$SELECT item FROM netflow.topn_items(
						(SELECT netflow.topn(src_addr, bytes, 100) FROM netflow.flows), 1)$$,
				  ARRAY['10.0.0.1'],
				  'reader: netflow.topn and topn_items');
SELECT lives_ok($$SELECT netflow.topn_total(s), netflow.topn_bound(s), s::bytea::netflow.topn_summary
				  FROM (SELECT netflow.topn(dst_port, 1, 10) AS s FROM netflow.flows) t$$,
				'reader: topn_total, topn_bound, the bytea casts');
SELECT lives_ok($$SELECT netflow.topn_union(s)
				  FROM (SELECT netflow.topn(dst_port, 1, 10) AS s FROM netflow.flows GROUP BY src_addr) t$$,
				'reader: netflow.topn_union');
SELECT results_eq($$SELECT round(netflow.entropy(dst_port)::numeric, 3) FROM netflow.flows$$,
				  ARRAY[1.000],
				  'reader: netflow.entropy');
SELECT lives_ok($$SELECT netflow.entropy(dst_port, bytes), netflow.entropy_normalized(dst_port),
						 netflow.entropy_normalized(dst_port, bytes) FROM netflow.flows$$,
				'reader: weighted and normalized entropy');

-- The flow type, expand, decode.
SELECT results_eq($$SELECT (netflow.expand(netflow.flow(f))).bytes FROM netflow.flows f ORDER BY time_start LIMIT 1$$,
				  ARRAY[1500::bigint],
				  'reader: netflow.flow(row) and netflow.expand');
SELECT lives_ok($$SELECT netflow.flow(f)::text, netflow.flow_from_bytea(netflow.flow_to_bytea(netflow.flow(f))) FROM netflow.flows f$$,
				'reader: netflow.flow text and bytea forms');
SELECT results_eq($$SELECT count(*) FROM netflow.decode(decode('0005000200002710695661c01dcd650000000001000000000a0000010a0000020a0000fe000300040000000a000005dc000013880000232804d20050001b0610fc00fc0118100000c0000207c63364090000000000010002000000010000004c0000251c0000251c003580e8000011000000000000000000', 'hex'), '127.0.0.1')$$,
				  ARRAY[2::bigint],
				  'reader: netflow.decode');
SELECT lives_ok('SELECT * FROM netflow.decode_stats()', 'reader: netflow.decode_stats()');
SELECT lives_ok('SELECT netflow.decode_reset()', 'reader: netflow.decode_reset()');

-- Everything else is refused: writes to the flows and the collector's state...
SELECT throws_ok($$INSERT INTO netflow.flows (time_start) VALUES ('2031-05-01 12:00+00')$$,
				 '42501', NULL, 'reader: INSERT into netflow.flows refused');
SELECT throws_ok('UPDATE netflow.flows SET bytes = 0', '42501', NULL,
				 'reader: UPDATE netflow.flows refused');
SELECT throws_ok('DELETE FROM netflow.flows', '42501', NULL,
				 'reader: DELETE from netflow.flows refused');
SELECT throws_ok('TRUNCATE netflow.flows', '42501', NULL,
				 'reader: TRUNCATE netflow.flows refused');
SELECT throws_ok('DELETE FROM netflow.flows_p20260101', '42501', NULL,
				 'reader: DELETE from a partition refused');
SELECT throws_ok('UPDATE netflow.flows_upscaled SET bytes = 0', '42501', NULL,
				 'reader: UPDATE through netflow.flows_upscaled refused');
SELECT throws_ok($$INSERT INTO netflow.flows_future (time_start) VALUES ('2099-01-01 00:00+00')$$,
				 '42501', NULL, 'reader: INSERT into netflow.flows_future refused');
SELECT throws_ok('DELETE FROM netflow.flows_future', '42501', NULL,
				 'reader: DELETE from netflow.flows_future refused');
SELECT throws_ok('DELETE FROM netflow.templates', '42501', NULL,
				 'reader: DELETE from netflow.templates refused');
SELECT throws_ok('DELETE FROM netflow.sampling', '42501', NULL,
				 'reader: DELETE from netflow.sampling refused');
SELECT throws_ok('DELETE FROM netflow.exporter_state', '42501', NULL,
				 'reader: DELETE from netflow.exporter_state refused');
SELECT throws_ok('DELETE FROM netflow.maintenance_log', '42501', NULL,
				 'reader: DELETE from netflow.maintenance_log refused');
SELECT throws_ok($$INSERT INTO netflow.maintenance_log (started, status) VALUES (now(), 'ok')$$,
				 '42501', NULL, 'reader: INSERT into netflow.maintenance_log refused');
SELECT throws_ok('UPDATE netflow.window_counters SET value = 0', '42501', NULL,
				 'reader: UPDATE netflow.window_counters refused');
-- ...the settings...
SELECT throws_ok($$INSERT INTO netflow.config VALUES ('retention', '1 day')$$,
				 '42501', NULL, 'reader: INSERT into netflow.config refused');
SELECT throws_ok('DELETE FROM netflow.config', '42501', NULL,
				 'reader: DELETE from netflow.config refused');
SELECT throws_ok($$UPDATE netflow.config_defaults SET value = '1 day' WHERE key = 'retention'$$,
				 '42501', NULL, 'reader: UPDATE netflow.config_defaults refused');
-- ...maintenance and partition DDL...
SELECT throws_ok('SELECT * FROM netflow.run_maintenance()', '42501', NULL,
				 'reader: run_maintenance() refused');
SELECT throws_ok($$SELECT * FROM netflow.run_maintenance('2999-01-01 00:00+00')$$, '42501', NULL,
				 'reader: run_maintenance(timestamptz) refused');
SELECT throws_ok($$SELECT * FROM netflow.drop_partitions('1 day')$$, '42501', NULL,
				 'reader: drop_partitions refused');
SELECT throws_ok($$SELECT netflow.create_partitions('2026-01-02 00:00+00', '2026-01-03 00:00+00')$$,
				 '42501', NULL, 'reader: create_partitions refused');
SELECT throws_ok($$SELECT netflow.ensure_partitions_for(ARRAY['2031-06-01 00:00+00'::timestamptz])$$,
				 '42501', NULL, 'reader: ensure_partitions_for refused');
SELECT throws_ok($$SELECT netflow.make_partitions_for(ARRAY['2031-06-01 00:00+00'::timestamptz], now())$$,
				 '42501', NULL, 'reader: make_partitions_for refused');
SELECT throws_ok($$SELECT netflow.lock_flows_briefly('10ms')$$, '42501', NULL,
				 'reader: lock_flows_briefly refused');
SELECT throws_ok($$SELECT netflow.window_count('late_flows', 1)$$, '42501', NULL,
				 'reader: window_count refused');
SELECT throws_ok($$SELECT netflow.log_maintenance_failure(now(), 'fake')$$, '42501', NULL,
				 'reader: log_maintenance_failure refused');
SELECT throws_ok('DROP TABLE netflow.flows_p20260101', '42501', NULL,
				 'reader: DROP of a partition refused');
SELECT throws_ok('ALTER TABLE netflow.flows DETACH PARTITION netflow.flows_p20260101', '42501', NULL,
				 'reader: DETACH PARTITION refused');
SELECT throws_ok('CREATE TABLE netflow.reader_table (a int)', '42501', NULL,
				 'reader: CREATE in schema netflow refused');

-- What the reader sees is what is there.
SELECT results_eq('SELECT sum(bytes_upscaled) FROM netflow.flows_upscaled', ARRAY[157600::numeric],
				  'reader: flows_upscaled multiplies by the sampling interval');
SELECT results_eq($$SELECT partition::text FROM netflow.partitions$$,
				  ARRAY['netflow.flows_p20260101'],
				  'reader: netflow.partitions lists the partition');
RESET ROLE;

-- And none of it happened.
SELECT results_eq('SELECT count(*) FROM netflow.flows', ARRAY[2::bigint],
				  'the flows are intact');
SELECT has_table('netflow', 'flows_p20260101', 'the partition is still there');
SELECT hasnt_table('netflow', 'flows_p20260102', 'no partition was created by the reader');
SELECT is_empty('SELECT * FROM netflow.config', 'no setting was changed by the reader');

SELECT * FROM finish();
ROLLBACK;
