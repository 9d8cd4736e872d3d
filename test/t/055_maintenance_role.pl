# 055_maintenance_role.pl -- partition maintenance in the documented
# least-privilege setup (docs/collector.md, "Security"): the inserter runs as
# a LOGIN role granted only netflow_collector, and its scheduled maintenance
# (in the netflow maintenance worker, connected as the same role)
# premakes partitions, drops them by retention and logs every run, a failed
# one as a failure.  And a role granted run_maintenance cannot choose the
# time it runs as of (only the clock decides what is old).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('maintrole',
	conf => "netflow.role = 'collector_login'\nnetflow.maintenance_interval = 1");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# Settings and an old partition first, then the role: the inserter can
# connect (and maintain) only once the role exists.
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION netflow;
INSERT INTO netflow.config VALUES ('premake', '2'), ('retention', '7 days');
SELECT netflow.create_partitions('2020-01-01 00:00+00', '2020-01-02 00:00+00');
INSERT INTO netflow.flows (time_start, packets, bytes) VALUES ('2020-01-01 12:00+00', 1, 60);
CREATE ROLE collector_login LOGIN;
GRANT netflow_collector TO collector_login;
});
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'netflow inserter' AND usename = 'collector_login'"
	),
	'the inserter runs as collector_login, a non-superuser');
# Runs are short: poll until one is seen in progress (the schedule starts
# one every second); it connects as the inserter's role.
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'netflow maintenance' AND usename = 'collector_login'"
	),
	'the netflow maintenance worker runs as collector_login too');

# --- premake, retention and the log, as the collector's role ---------------
ok( $node->poll_query_until('postgres',
		"SELECT count(*) > 0 FROM netflow.maintenance_log WHERE status = 'ok' AND created >= 3 AND dropped = 1"),
	'a scheduled run as collector_login created partitions, dropped one and logged ok')
  or diag($node->safe_psql('postgres', 'SELECT * FROM netflow.maintenance_log'));
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.flows_partitions()
		  WHERE lower <= now() + interval '2 days' AND upper > now() + interval '2 days'}),
	'1', 'premake made the partition two days ahead');
is($node->safe_psql('postgres', q{SELECT to_regclass('netflow.flows_p20200101') IS NULL}),
	't', 'retention dropped the partition of 2020-01-01');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	'0', 'with its flow');
my $log = slurp_file($node->logfile);
unlike($log, qr/permission denied/, 'no permission error in the server log');

# --- a failing step is logged as a failure --------------------------------
$node->safe_psql('postgres',
	q{UPDATE netflow.config SET value = 'many' WHERE key = 'premake'});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM netflow.maintenance_log
		  WHERE status = 'error' AND detail LIKE '%invalid value for netflow setting "premake"%'}),
	'a run that fails on a bad setting is logged with status error');
$node->safe_psql('postgres',
	q{UPDATE netflow.config SET value = '2' WHERE key = 'premake'});

# --- a run that fails as a whole is logged as a failure too ----------------
# (here: the role lost the right to run maintenance; the worker records
# the error with what it may still do)
$node->safe_psql('postgres', q{
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT oid FROM pg_proc WHERE proname = 'run_maintenance'
			   AND pronamespace = 'netflow'::regnamespace LOOP
		EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM netflow_collector', f);
	END LOOP;
END $$;
});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM netflow.maintenance_log
		  WHERE status = 'error' AND detail LIKE 'permission denied for function run_maintenance%'}),
	'a run refused as a whole is logged with status error');
$log = slurp_file($node->logfile);
unlike($log, qr/could not record the failed run/, 'the failure could be recorded');

# --- a granted role cannot move time ----------------------------------------
# docs/operations.md: GRANT EXECUTE ON run_maintenance to an operator role.
# Grant every run_maintenance there is, as an operator following an older
# manual might have done, and try to run it as of the year 2999.
$node->safe_psql(
	'postgres', q{
CREATE ROLE netflow_ops LOGIN;
GRANT USAGE ON SCHEMA netflow TO netflow_ops;
DO $$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT oid FROM pg_proc WHERE proname IN ('run_maintenance', 'drop_partitions')
			   AND pronamespace = 'netflow'::regnamespace LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO netflow_ops', f);
	END LOOP;
END $$;
SELECT netflow.create_partitions(date_trunc('day', now()) - interval '3 days', now());
INSERT INTO netflow.flows (time_start, packets, bytes) VALUES (now() - interval '2 days', 1, 60), (now(), 1, 60);
});
my ($rc, $out, $err) = $node->psql('postgres',
	q{SELECT count(*) FROM netflow.run_maintenance('2999-01-01 00:00+00')},
	extra_params => [ '-U', 'netflow_ops' ]);
isnt($rc, 0, 'a role granted run_maintenance cannot run it as of 2999');
like($err, qr/permission denied/, 'it is refused for lack of privilege');
($rc, $out, $err) = $node->psql('postgres',
	q{SELECT count(*) FROM netflow.drop_partitions('0 days 1 second', '2999-01-01 00:00+00')},
	extra_params => [ '-U', 'netflow_ops' ]);
isnt($rc, 0, 'nor drop partitions as of another time with drop_partitions');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	'2', 'no flow was dropped');
($rc, $out, $err) = $node->psql('postgres',
	q{SELECT count(*) FROM netflow.run_maintenance()},
	extra_params => [ '-U', 'netflow_ops' ]);
is($rc, 0, 'the operator runs maintenance as of now') or diag($err);
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	'2', 'which keeps the flows within the retention');
is( $node->safe_psql('postgres',
		q{SELECT as_of <= started AND as_of > now() - interval '1 hour'
		  FROM netflow.maintenance_log WHERE as_of IS NOT NULL ORDER BY started DESC LIMIT 1}),
	't', 'and the run is logged as of the clock');

assert_no_crash($node, $start_time, 'maintenance role');
$node->stop('fast');
done_testing();
