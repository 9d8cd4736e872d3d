-- privileges.sql -- pgTAP: what PUBLIC (every role) may do with netflow
-- after CREATE EXTENSION: no writes to the flow data or the settings, no
-- maintenance (which drops partitions), checked both in the catalogue and
-- by acting as a role that has been granted nothing.
BEGIN;
SELECT plan(50);

-- The schema: PUBLIC can neither create objects in it nor use it.
SELECT schema_privs_are('netflow', 'public', ARRAY[]::name[],
						'PUBLIC has no privilege on schema netflow');

-- Tables: PUBLIC has no privilege at all (in particular no INSERT, UPDATE,
-- DELETE or TRUNCATE on the flows, and cannot change retention).
SELECT table_privs_are('netflow', 'flows', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.flows');
SELECT table_privs_are('netflow', 'flows_future', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.flows_future');
SELECT table_privs_are('netflow', 'config', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.config');
SELECT table_privs_are('netflow', 'config_defaults', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.config_defaults');
SELECT table_privs_are('netflow', 'maintenance_log', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.maintenance_log');
SELECT table_privs_are('netflow', 'window_counters', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.window_counters');

-- The collector's saved state: nothing for PUBLIC, read for netflow_reader,
-- read and write for netflow_collector (the inserter keeps it).
SELECT table_privs_are('netflow', 'sampling', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.sampling');
SELECT table_privs_are('netflow', 'exporter_state', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.exporter_state');
SELECT table_privs_are('netflow', 'sampling', 'netflow_reader', ARRAY['SELECT'],
					   'netflow_reader may only read netflow.sampling');
SELECT table_privs_are('netflow', 'exporter_state', 'netflow_reader', ARRAY['SELECT'],
					   'netflow_reader may only read netflow.exporter_state');
SELECT table_privs_are('netflow', 'sampling', 'netflow_collector',
					   ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
					   'netflow_collector may read and write netflow.sampling');
SELECT table_privs_are('netflow', 'exporter_state', 'netflow_collector',
					   ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
					   'netflow_collector may read and write netflow.exporter_state');
-- the saved loss counters: the collector adds to them, never deletes
SELECT table_privs_are('netflow', 'saved_counters', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on netflow.saved_counters');
SELECT table_privs_are('netflow', 'saved_counters', 'netflow_reader', ARRAY['SELECT'],
					   'netflow_reader may only read netflow.saved_counters');
SELECT table_privs_are('netflow', 'saved_counters', 'netflow_collector',
					   ARRAY['SELECT', 'INSERT', 'UPDATE'],
					   'netflow_collector may read, insert and update netflow.saved_counters');
SELECT function_privs_are('netflow', 'loss_counters', ARRAY[]::name[],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute loss_counters');

-- Partitions made by create_partitions get no PUBLIC privilege either.
SELECT lives_ok($$SELECT netflow.create_partitions('2031-05-01 00:00+00', '2031-05-02 00:00+00')$$,
				'create a partition');
SELECT table_privs_are('netflow', 'flows_p20310501', 'public', ARRAY[]::name[],
					   'PUBLIC has no privilege on a partition made by create_partitions');

-- Maintenance functions (SECURITY DEFINER, they create and drop
-- partitions) are not executable by PUBLIC.
SELECT function_privs_are('netflow', 'run_maintenance', ARRAY['timestamp with time zone'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute run_maintenance');
SELECT function_privs_are('netflow', 'run_maintenance', ARRAY[]::name[],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute run_maintenance()');
SELECT function_privs_are('netflow', 'log_maintenance_failure', ARRAY['timestamp with time zone', 'text'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute log_maintenance_failure');
SELECT function_privs_are('netflow', 'drop_partitions', ARRAY['interval', 'timestamp with time zone'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute drop_partitions');
SELECT function_privs_are('netflow', 'ensure_partitions_for',
						  ARRAY['timestamp with time zone[]', 'timestamp with time zone'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute ensure_partitions_for');
SELECT function_privs_are('netflow', 'make_partitions_for',
						  ARRAY['timestamp with time zone[]', 'timestamp with time zone'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute make_partitions_for');
SELECT function_privs_are('netflow', 'lock_flows_briefly', ARRAY['text', 'integer', 'text'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute lock_flows_briefly');
SELECT function_privs_are('netflow', 'window_count', ARRAY['text', 'bigint'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute window_count');
-- ...and that is every SECURITY DEFINER function of the extension.
SELECT is_empty(
	$$SELECT p.oid::regprocedure FROM pg_proc p
	  WHERE p.pronamespace = 'netflow'::regnamespace AND p.prosecdef
		AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
	'no SECURITY DEFINER function of netflow is executable by PUBLIC');

-- The same, acting as a role that was granted nothing but the use of the
-- schema (so that the errors come from the objects, not the schema).
CREATE ROLE netflow_tap_nobody NOLOGIN;
GRANT USAGE ON SCHEMA netflow TO netflow_tap_nobody;
SET LOCAL ROLE netflow_tap_nobody;
SELECT throws_ok(
	$$INSERT INTO netflow.flows (time_start) VALUES ('2031-05-01 12:00+00')$$,
	'42501', 'permission denied for table flows',
	'a role without grants cannot INSERT into netflow.flows');
SELECT throws_ok(
	$$DELETE FROM netflow.flows$$,
	'42501', 'permission denied for table flows',
	'a role without grants cannot DELETE from netflow.flows');
SELECT throws_ok(
	$$UPDATE netflow.config SET value = '1 day' WHERE key = 'retention'$$,
	'42501', 'permission denied for table config',
	'a role without grants cannot change netflow.config');
SELECT throws_ok(
	$$SELECT * FROM netflow.run_maintenance('2031-05-01 00:00+00')$$,
	'42501', 'permission denied for function run_maintenance',
	'a role without grants cannot run maintenance');
SELECT throws_ok(
	$$SELECT * FROM netflow.run_maintenance()$$,
	'42501', 'permission denied for function run_maintenance',
	'a role without grants cannot run maintenance as of now either');
SELECT throws_ok(
	$$SELECT * FROM netflow.drop_partitions('1 day', '2031-06-01 00:00+00')$$,
	'42501', 'permission denied for function drop_partitions',
	'a role without grants cannot drop partitions');
-- create_partitions is SECURITY INVOKER: executable, but it can only do what
-- the caller may do (here it cannot even read the settings).
SELECT throws_ok(
	$$SELECT netflow.create_partitions('2031-05-02 00:00+00', '2031-05-03 00:00+00')$$,
	'42501', NULL,
	'create_partitions as a role without grants is refused (insufficient privilege)');
RESET ROLE;
SELECT hasnt_table('netflow', 'flows_p20310502',
				   'the refused create_partitions created nothing');

-- netflow_collector: the inserter's needs, maintenance as of now included,
-- never the time-taking maintenance functions.  (What netflow_reader may
-- and may not do is checked by acting as one: test/pgtap/reader.sql.)
SELECT function_privs_are('netflow', 'run_maintenance', ARRAY[]::name[],
						  'netflow_collector', ARRAY['EXECUTE'],
						  'netflow_collector may run maintenance as of now');
SELECT function_privs_are('netflow', 'log_maintenance_failure', ARRAY['timestamp with time zone', 'text'],
						  'netflow_collector', ARRAY['EXECUTE'],
						  'netflow_collector may log a failed maintenance run');
SELECT function_privs_are('netflow', 'run_maintenance', ARRAY['timestamp with time zone'],
						  'netflow_collector', ARRAY[]::name[],
						  'netflow_collector may not choose the maintenance time');
-- compression (issue 11): the compressor worker's step as of now, never a
-- partition of the caller's choosing.
SELECT function_privs_are('netflow', 'compress_due', ARRAY[]::name[],
						  'netflow_collector', ARRAY['EXECUTE'],
						  'netflow_collector may run the compression step as of now');
SELECT function_privs_are('netflow', 'compress_due', ARRAY[]::name[],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute compress_due');
SELECT function_privs_are('netflow', 'compress_partition', ARRAY['regclass'],
						  'netflow_collector', ARRAY[]::name[],
						  'netflow_collector may not compress a partition of its choosing');
SELECT function_privs_are('netflow', 'compress_partition', ARRAY['regclass'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute compress_partition');
SELECT function_privs_are('netflow', 'decompress_partition', ARRAY['regclass'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute decompress_partition');
SELECT function_privs_are('netflow', 'compressed_set_am', ARRAY['regclass', 'boolean'],
						  'public', ARRAY[]::name[],
						  'PUBLIC cannot execute compressed_set_am');
SELECT function_privs_are('netflow', 'drop_partitions', ARRAY['interval', 'timestamp with time zone'],
						  'netflow_collector', ARRAY[]::name[],
						  'netflow_collector may not drop partitions');
SELECT table_privs_are('netflow', 'maintenance_log', 'netflow_collector', ARRAY[]::name[],
					   'netflow_collector may not write the maintenance log directly');

-- Even granted EXECUTE, a role that does not own netflow.flows cannot
-- choose the time or the age (only the clock decides what is old).
CREATE ROLE netflow_tap_ops NOLOGIN;
GRANT USAGE ON SCHEMA netflow TO netflow_tap_ops;
GRANT EXECUTE ON FUNCTION netflow.run_maintenance(timestamptz),
	netflow.drop_partitions(interval, timestamptz) TO netflow_tap_ops;
SET LOCAL ROLE netflow_tap_ops;
SELECT throws_ok(
	$$SELECT * FROM netflow.run_maintenance('2999-01-01 00:00+00')$$,
	'42501', 'permission denied for function run_maintenance(timestamptz)',
	'a role granted run_maintenance(timestamptz) cannot run it');
SELECT throws_ok(
	$$SELECT * FROM netflow.drop_partitions('1 second', '2999-01-01 00:00+00')$$,
	'42501', 'permission denied for function drop_partitions',
	'a role granted drop_partitions cannot run it');
RESET ROLE;
SELECT has_table('netflow', 'flows_p20310501', 'the partition is still there');

SELECT * FROM finish();
ROLLBACK;
