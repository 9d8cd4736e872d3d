-- schema.sql -- pgTAP: the shape of netflow as users and BI tools see it:
-- the flows table and its standard column types, the views, the types,
-- the public functions with their signatures, return types and
-- volatility, and the per-partition BRIN index made by create_partitions.
BEGIN;
SELECT plan(113);

SELECT has_schema('netflow');

-- netflow.flows: a partitioned table of plain PostgreSQL types
SELECT has_table('netflow', 'flows', 'netflow.flows exists');
SELECT is_partitioned('netflow', 'flows', 'netflow.flows is partitioned');
SELECT is(
	(SELECT pg_get_partkeydef('netflow.flows'::regclass)),
	'RANGE (time_start)',
	'netflow.flows is partitioned by range of time_start');
SELECT columns_are('netflow', 'flows', ARRAY[
	'time_start', 'time_end', 'time_received', 'exporter', 'obs_domain', 'version',
	'src_addr', 'dst_addr', 'src_port', 'dst_port', 'protocol', 'tcp_flags',
	'tos', 'packets', 'bytes', 'sampling_interval', 'input_if', 'output_if',
	'src_as', 'dst_as', 'next_hop', 'src_mask', 'dst_mask', 'direction',
	'src_vlan', 'dst_vlan', 'src_mac', 'dst_mac', 'end_reason', 'icmp_type',
	'icmp_code', 'flags'
], 'netflow.flows has exactly the documented columns');
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
	 WHERE attrelid = 'netflow.flows'::regclass AND attnum > 0 AND NOT attisdropped),
	ARRAY['time_start', 'time_end', 'time_received', 'exporter', 'obs_domain', 'version',
		  'src_addr', 'dst_addr', 'src_port', 'dst_port', 'protocol', 'tcp_flags',
		  'tos', 'packets', 'bytes', 'sampling_interval', 'input_if', 'output_if',
		  'src_as', 'dst_as', 'next_hop', 'src_mask', 'dst_mask', 'direction',
		  'src_vlan', 'dst_vlan', 'src_mac', 'dst_mac', 'end_reason', 'icmp_type',
		  'icmp_code', 'flags'],
	'netflow.flows columns are in the documented order');
SELECT col_type_is('netflow', 'flows', 'time_start', 'timestamp with time zone', 'flows.time_start is timestamptz (timestamp with time zone)');
SELECT col_type_is('netflow', 'flows', 'time_end', 'timestamp with time zone', 'flows.time_end is timestamptz (timestamp with time zone)');
SELECT col_type_is('netflow', 'flows', 'time_received', 'timestamp with time zone', 'flows.time_received is timestamptz (timestamp with time zone)');
SELECT col_type_is('netflow', 'flows', 'exporter', 'inet', 'flows.exporter is inet');
SELECT col_type_is('netflow', 'flows', 'obs_domain', 'bigint', 'flows.obs_domain is bigint');
SELECT col_type_is('netflow', 'flows', 'version', 'smallint', 'flows.version is smallint');
SELECT col_type_is('netflow', 'flows', 'src_addr', 'inet', 'flows.src_addr is inet');
SELECT col_type_is('netflow', 'flows', 'dst_addr', 'inet', 'flows.dst_addr is inet');
SELECT col_type_is('netflow', 'flows', 'src_port', 'integer', 'flows.src_port is integer');
SELECT col_type_is('netflow', 'flows', 'dst_port', 'integer', 'flows.dst_port is integer');
SELECT col_type_is('netflow', 'flows', 'protocol', 'smallint', 'flows.protocol is smallint');
SELECT col_type_is('netflow', 'flows', 'tcp_flags', 'smallint', 'flows.tcp_flags is smallint');
SELECT col_type_is('netflow', 'flows', 'tos', 'smallint', 'flows.tos is smallint');
SELECT col_type_is('netflow', 'flows', 'packets', 'bigint', 'flows.packets is bigint');
SELECT col_type_is('netflow', 'flows', 'bytes', 'bigint', 'flows.bytes is bigint');
SELECT col_type_is('netflow', 'flows', 'sampling_interval', 'bigint', 'flows.sampling_interval is bigint');
SELECT col_type_is('netflow', 'flows', 'input_if', 'bigint', 'flows.input_if is bigint');
SELECT col_type_is('netflow', 'flows', 'output_if', 'bigint', 'flows.output_if is bigint');
SELECT col_type_is('netflow', 'flows', 'src_as', 'bigint', 'flows.src_as is bigint');
SELECT col_type_is('netflow', 'flows', 'dst_as', 'bigint', 'flows.dst_as is bigint');
SELECT col_type_is('netflow', 'flows', 'next_hop', 'inet', 'flows.next_hop is inet');
SELECT col_type_is('netflow', 'flows', 'src_mask', 'smallint', 'flows.src_mask is smallint');
SELECT col_type_is('netflow', 'flows', 'dst_mask', 'smallint', 'flows.dst_mask is smallint');
SELECT col_type_is('netflow', 'flows', 'direction', 'smallint', 'flows.direction is smallint');
SELECT col_type_is('netflow', 'flows', 'src_vlan', 'integer', 'flows.src_vlan is integer');
SELECT col_type_is('netflow', 'flows', 'dst_vlan', 'integer', 'flows.dst_vlan is integer');
SELECT col_type_is('netflow', 'flows', 'src_mac', 'macaddr', 'flows.src_mac is macaddr');
SELECT col_type_is('netflow', 'flows', 'dst_mac', 'macaddr', 'flows.dst_mac is macaddr');
SELECT col_type_is('netflow', 'flows', 'end_reason', 'smallint', 'flows.end_reason is smallint');
SELECT col_type_is('netflow', 'flows', 'icmp_type', 'smallint', 'flows.icmp_type is smallint');
SELECT col_type_is('netflow', 'flows', 'icmp_code', 'smallint', 'flows.icmp_code is smallint');
SELECT col_type_is('netflow', 'flows', 'flags', 'integer', 'flows.flags is integer');
SELECT col_not_null('netflow', 'flows', 'time_start', 'flows.time_start is NOT NULL');
SELECT is(
	(SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute
	 WHERE attrelid = 'netflow.flows'::regclass AND attnum > 0
	   AND NOT attisdropped AND attnotnull),
	ARRAY['time_start'],
	'time_start is the only NOT NULL column (absent optional fields are NULL)');
SELECT hasnt_pk('netflow', 'flows', 'netflow.flows has no primary key');
SELECT is(
	(SELECT count(*)::integer FROM pg_index WHERE indrelid = 'netflow.flows'::regclass),
	0,
	'the extension-owned parent has no index (it would break dump and restore)');

-- the views over it
SELECT has_view('netflow', 'flows_upscaled', 'view netflow.flows_upscaled exists');
SELECT col_type_is('netflow', 'flows_upscaled', 'packets_upscaled', 'numeric',
				   'flows_upscaled.packets_upscaled is numeric');
SELECT col_type_is('netflow', 'flows_upscaled', 'bytes_upscaled', 'numeric',
				   'flows_upscaled.bytes_upscaled is numeric');
SELECT has_view('netflow', 'partitions', 'view netflow.partitions exists');
SELECT columns_are('netflow', 'partitions',
				   ARRAY['partition', 'lower', 'upper', 'estimated_rows', 'total_bytes', 'retention_drops',
						 'compressed', 'compressed_rows', 'bytes_per_flow'],
				   'netflow.partitions has the documented columns');
SELECT col_type_is('netflow', 'partitions', 'lower', 'timestamp with time zone', 'partitions.lower is timestamptz (timestamp with time zone)');
SELECT col_type_is('netflow', 'partitions', 'upper', 'timestamp with time zone', 'partitions.upper is timestamptz (timestamp with time zone)');

-- configuration
SELECT has_table('netflow', 'config', 'netflow.config exists');
SELECT has_table('netflow', 'config_defaults', 'netflow.config_defaults exists');
SELECT is_empty('SELECT * FROM netflow.config', 'netflow.config is empty after installation');

-- the collector's saved state
SELECT has_table('netflow', 'sampling', 'netflow.sampling exists');
SELECT columns_are('netflow', 'sampling',
				   ARRAY['exporter', 'obs_domain', 'version', 'sampler_kind', 'sampler_id',
						 'sampling_interval', 'updated_at'],
				   'netflow.sampling has the documented columns');
SELECT has_table('netflow', 'exporter_state', 'netflow.exporter_state exists');
SELECT columns_are('netflow', 'exporter_state',
				   ARRAY['exporter', 'obs_domain', 'version', 'next_sequence',
						 'last_uptime_ms', 'last_seen', 'updated_at'],
				   'netflow.exporter_state has the documented columns');
SELECT has_table('netflow', 'saved_counters', 'netflow.saved_counters exists');
SELECT columns_are('netflow', 'saved_counters',
				   ARRAY['counter', 'value', 'since', 'updated_at'],
				   'netflow.saved_counters has the documented columns');
SELECT columns_are('netflow', 'drop_counters',
				   ARRAY['reason', 'count', 'since_server_start', 'counting_since'],
				   'netflow.drop_counters has the documented columns');

-- types
SELECT has_type('netflow', 'flow', 'type netflow.flow exists');
SELECT has_type('netflow', 'topn_summary', 'type netflow.topn_summary exists');

-- partition functions
SELECT has_function('netflow', 'create_partitions', ARRAY['timestamp with time zone', 'timestamp with time zone'],
					'create_partitions(timestamptz, timestamptz) exists');
SELECT function_returns('netflow', 'create_partitions', ARRAY['timestamp with time zone', 'timestamp with time zone'],
						'setof regclass', 'create_partitions returns setof regclass');
SELECT volatility_is('netflow', 'create_partitions', ARRAY['timestamp with time zone', 'timestamp with time zone'],
					 'volatile', 'create_partitions is VOLATILE');
SELECT isnt_definer('netflow', 'create_partitions', ARRAY['timestamp with time zone', 'timestamp with time zone'],
					'create_partitions is SECURITY INVOKER');
SELECT function_returns('netflow', 'flows_partitions', ARRAY[]::name[],
						'setof record', 'flows_partitions returns setof record');
SELECT volatility_is('netflow', 'flows_partitions', ARRAY[]::name[],
					 'stable', 'flows_partitions is STABLE');
SELECT volatility_is('netflow', 'partition_bounds', ARRAY['timestamp with time zone', 'interval'],
					 'immutable', 'partition_bounds is IMMUTABLE');
SELECT function_returns('netflow', 'partition_name', ARRAY['timestamp with time zone', 'interval'],
						'text', 'partition_name returns text');
SELECT volatility_is('netflow', 'partition_name', ARRAY['timestamp with time zone', 'interval'],
					 'immutable', 'partition_name is IMMUTABLE');
SELECT function_returns('netflow', 'config_get', ARRAY['text'], 'text', 'config_get returns text');
SELECT volatility_is('netflow', 'config_get', ARRAY['text'], 'stable', 'config_get is STABLE');

-- maintenance functions
SELECT function_returns('netflow', 'run_maintenance', ARRAY['timestamp with time zone'],
						'setof record', 'run_maintenance returns setof record');
SELECT volatility_is('netflow', 'run_maintenance', ARRAY['timestamp with time zone'],
					 'volatile', 'run_maintenance is VOLATILE');
SELECT isnt_definer('netflow', 'run_maintenance', ARRAY['timestamp with time zone'],
					'run_maintenance(timestamptz) is SECURITY INVOKER (owner only)');
SELECT is_definer('netflow', 'run_maintenance', ARRAY[]::name[],
				  'run_maintenance() is SECURITY DEFINER');
SELECT volatility_is('netflow', 'run_maintenance', ARRAY[]::name[],
					 'volatile', 'run_maintenance() is VOLATILE');
SELECT function_returns('netflow', 'drop_partitions', ARRAY['interval', 'timestamp with time zone'],
						'setof record', 'drop_partitions returns setof record');
SELECT volatility_is('netflow', 'drop_partitions', ARRAY['interval', 'timestamp with time zone'],
					 'volatile', 'drop_partitions is VOLATILE');
SELECT isnt_definer('netflow', 'drop_partitions', ARRAY['interval', 'timestamp with time zone'],
					'drop_partitions is SECURITY INVOKER (owner only)');
SELECT is(
	(SELECT pg_get_function_result('netflow.run_maintenance(timestamptz)'::regprocedure)),
	'TABLE(action text, partition text, lower timestamp with time zone, upper timestamp with time zone, detail text)',
	'run_maintenance returns (action, partition, lower, upper, detail)');

-- flow type functions
SELECT function_returns('netflow', 'expand', ARRAY['netflow.flow'],
						'netflow.flows', 'expand returns a netflow.flows row');
SELECT volatility_is('netflow', 'expand', ARRAY['netflow.flow'],
					 'immutable', 'expand is IMMUTABLE');

-- analytics: aggregates and their helpers
SELECT is_aggregate('netflow', 'topn', ARRAY['anyelement', 'bigint', 'integer'],
					'topn(anyelement, bigint, integer) is an aggregate');
SELECT function_returns('netflow', 'topn', ARRAY['anyelement', 'bigint', 'integer'],
						'netflow.topn_summary', 'topn returns netflow.topn_summary');
SELECT volatility_is('netflow', 'topn', ARRAY['anyelement', 'bigint', 'integer'],
					 'immutable', 'topn is IMMUTABLE');
SELECT is_aggregate('netflow', 'topn_union', ARRAY['netflow.topn_summary'],
					'topn_union(topn_summary) is an aggregate');
SELECT function_returns('netflow', 'topn_union', ARRAY['netflow.topn_summary'],
						'netflow.topn_summary', 'topn_union returns netflow.topn_summary');
SELECT volatility_is('netflow', 'topn_union', ARRAY['netflow.topn_summary'],
					 'immutable', 'topn_union is IMMUTABLE');
SELECT isnt_aggregate('netflow', 'topn_items', ARRAY['netflow.topn_summary', 'integer'],
					  'topn_items is a plain function');
SELECT function_returns('netflow', 'topn_items', ARRAY['netflow.topn_summary', 'integer'],
						'setof record', 'topn_items returns setof record');
SELECT volatility_is('netflow', 'topn_items', ARRAY['netflow.topn_summary', 'integer'],
					 'immutable', 'topn_items is IMMUTABLE');
SELECT is(
	(SELECT pg_get_function_result('netflow.topn_items(netflow.topn_summary, integer)'::regprocedure)),
	'TABLE(item text, weight bigint, error bigint)',
	'topn_items returns (item text, weight bigint, error bigint)');
SELECT function_returns('netflow', 'topn_total', ARRAY['netflow.topn_summary'],
						'bigint', 'topn_total returns bigint');
SELECT function_returns('netflow', 'topn_bound', ARRAY['netflow.topn_summary'],
						'bigint', 'topn_bound returns bigint');
SELECT is_aggregate('netflow', 'entropy', ARRAY['anyelement'],
					'entropy(anyelement) is an aggregate');
SELECT is_aggregate('netflow', 'entropy', ARRAY['anyelement', 'bigint'],
					'entropy(anyelement, bigint) is an aggregate');
SELECT function_returns('netflow', 'entropy', ARRAY['anyelement'],
						'double precision', 'entropy returns double precision');
SELECT function_returns('netflow', 'entropy', ARRAY['anyelement', 'bigint'],
						'double precision', 'weighted entropy returns double precision');
SELECT volatility_is('netflow', 'entropy', ARRAY['anyelement', 'bigint'],
					 'immutable', 'entropy is IMMUTABLE');
SELECT is_aggregate('netflow', 'entropy_normalized', ARRAY['anyelement'],
					'entropy_normalized(anyelement) is an aggregate');
SELECT is_aggregate('netflow', 'entropy_normalized', ARRAY['anyelement', 'bigint'],
					'entropy_normalized(anyelement, bigint) is an aggregate');
SELECT function_returns('netflow', 'entropy_normalized', ARRAY['anyelement'],
						'double precision', 'entropy_normalized returns double precision');
SELECT volatility_is('netflow', 'entropy_normalized', ARRAY['anyelement'],
					 'immutable', 'entropy_normalized is IMMUTABLE');

-- every function of the extension has an explicit, documented volatility
-- and parallel label: none is left at a default that contradicts it
SELECT is_empty(
	$$SELECT p.oid::regprocedure FROM pg_proc p
	  WHERE p.pronamespace = 'netflow'::regnamespace
		AND p.provolatile = 'v' AND p.proparallel = 's'$$,
	'no VOLATILE function of netflow is labelled PARALLEL SAFE');

-- every partition made by create_partitions has a BRIN index on time_start,
-- also the parts of a day left between hourly partitions
SELECT lives_ok(
	$$SELECT netflow.create_partitions('2031-03-01 00:00+00', '2031-03-03 00:00+00')$$,
	'create_partitions makes daily partitions');
INSERT INTO netflow.config VALUES ('partition_interval', '1 hour');
SELECT lives_ok(
	$$SELECT netflow.create_partitions('2031-03-03 05:00+00', '2031-03-03 07:00+00')$$,
	'create_partitions makes hourly partitions');
UPDATE netflow.config SET value = '1 day' WHERE key = 'partition_interval';
SELECT lives_ok(
	$$SELECT netflow.create_partitions('2031-03-03 00:00+00', '2031-03-04 00:00+00')$$,
	'create_partitions fills the rest of a day holding hourly partitions');
SELECT is(
	(SELECT count(*)::integer FROM netflow.flows_partitions()),
	6,
	'2 daily, 2 hourly and 2 gap partitions exist');
SELECT is_empty(
	$$SELECT p.partition FROM netflow.flows_partitions() p
	  WHERE NOT EXISTS (
		SELECT 1 FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_am am ON am.oid = ic.relam
		WHERE i.indrelid = p.partition AND am.amname = 'brin'
		  AND i.indnkeyatts = 1
		  AND i.indkey[0] = (SELECT attnum FROM pg_attribute
							 WHERE attrelid = p.partition AND attname = 'time_start'))$$,
	'every partition has a BRIN index on time_start');
SELECT index_is_type('netflow', 'flows_p20310301', 'flows_p20310301_time_start_brin', 'brin',
					 'flows_p20310301_time_start_brin is a BRIN index');
SELECT is_indexed('netflow', 'flows_p20310303_20310303000000', ARRAY['time_start'],
				  'the gap partition before the hourly ones is indexed on time_start');
SELECT is_indexed('netflow', 'flows_p20310303_20310303070000', ARRAY['time_start'],
				  'the gap partition after the hourly ones is indexed on time_start');

SELECT * FROM finish();
ROLLBACK;
