# 056_maintenance_pg_cron.pl -- maintenance scheduled by pg_cron on a server
# where the collector is not preloaded (a reporting replica, flows loaded by
# COPY): docs/operations.md, "pg_cron instead".  pg_cron (Debian package
# postgresql-15-cron) is preloaded, netflow is not; a role granted only
# run_maintenance() schedules it, and the job premakes partitions and logs
# its run in netflow.maintenance_log.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
# Jobs run in background workers (the test cluster listens on a Unix socket
# only, so pg_cron's default libpq connection to localhost would fail).
$node->append_conf(
	'postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
timezone = 'UTC'
});
$node->start;

is($node->safe_psql('postgres', 'SHOW shared_preload_libraries'),
	'pg_cron', 'netflow is not preloaded');
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION pg_cron;
CREATE EXTENSION netflow;
INSERT INTO netflow.config VALUES ('premake', '3');
CREATE ROLE netflow_ops LOGIN;
GRANT USAGE ON SCHEMA netflow, cron TO netflow_ops;
GRANT EXECUTE ON FUNCTION netflow.run_maintenance() TO netflow_ops;
});
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows_partitions()'),
	'0', 'no partition before the first run');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'netflow%'"),
	'0', 'and no collector worker');

# pg_cron 1.5 and later accept '5 seconds'; older ones only cron syntax.
my $cron_version = $node->safe_psql('postgres',
	"SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'");
my ($rc, $out, $err) = $node->psql(
	'postgres',
	q{SELECT cron.schedule('netflow-maintenance', '5 seconds', 'SELECT netflow.run_maintenance()')},
	extra_params => [ '-U', 'netflow_ops' ]);
if ($rc != 0)
{
	note("pg_cron $cron_version has no seconds schedule ($err); every minute instead");
	$node->safe_psql('postgres',
		q{SELECT cron.schedule('netflow-maintenance', '* * * * *', 'SELECT netflow.run_maintenance()')},
		extra_params => [ '-U', 'netflow_ops' ]);
}
is( $node->safe_psql('postgres',
		q{SELECT username FROM cron.job WHERE jobname = 'netflow-maintenance'}),
	'netflow_ops', 'the job is scheduled by (and runs as) netflow_ops, not a superuser');

ok( $node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM cron.job_run_details d JOIN cron.job j USING (jobid)
		  WHERE j.jobname = 'netflow-maintenance' AND d.status IN ('succeeded', 'failed')}),
	'pg_cron ran the job');
my ($status, $message) = split /\|/, $node->safe_psql('postgres',
	q{SELECT d.status, d.return_message
	  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
	  WHERE j.jobname = 'netflow-maintenance' ORDER BY d.runid LIMIT 1});
is($status, 'succeeded', 'the job succeeded') or diag($message);
is( $node->safe_psql('postgres',
		q{SELECT status, created FROM netflow.maintenance_log ORDER BY started LIMIT 1}),
	'ok|4', 'the run is in netflow.maintenance_log: the current partition and 3 ahead');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.flows_partitions()
		  WHERE lower <= now() + interval '3 days' AND upper > now() + interval '3 days'}),
	'1', 'the partition three days ahead exists');

$node->safe_psql('postgres', q{SELECT cron.unschedule('netflow-maintenance')},
	extra_params => [ '-U', 'netflow_ops' ]);
$node->stop;
done_testing();
