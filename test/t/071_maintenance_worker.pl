# 071_maintenance_worker.pl -- the collector's scheduled maintenance runs in
# a background worker of its own ("netflow maintenance"), never in the
# inserter: while a run is slow, flows keep being inserted; a run that fails
# as a whole is recorded in netflow.maintenance_log and the next run still
# happens; stopping the server while a run is in progress is clean (the run
# is interrupted, not waited for).
#
# A slow or failing run is made by the test-only hook of CollectorTest.pm
# (install_maintenance_hook: rows of public.maint_hook).
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('maint_worker', flush_interval => '100ms',
	conf => "netflow.maintenance_interval = 1\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
install_maintenance_hook($node);

ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'ok' AND created >= 1}),
	'the first scheduled run made the partitions');

# The backend of a run sleeping in the hook (inserter or maintenance worker).
my $sleeper = q{SELECT pid FROM pg_stat_activity
	WHERE backend_type LIKE 'netflow%' AND wait_event = 'PgSleep'};

# --- ingest goes on while a run is slow --------------------------------------
$node->safe_psql('postgres',
	q{INSERT INTO public.maint_hook VALUES ('sleep', 40, pg_postmaster_start_time(), NULL)});
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($sleeper) s"),
	'a maintenance run is in progress and slow');
my $pid = $node->safe_psql('postgres', $sleeper);
my $runner = $node->safe_psql('postgres',
	"SELECT backend_type FROM pg_stat_activity WHERE pid = $pid");
is($runner, 'netflow maintenance', 'the run is in the netflow maintenance worker');

my $now = time();
my $flowgen = flowgen_bin();
my ($out, $err) = ('', '');
IPC::Run::run([ $flowgen, '-p', $port, '-v', '10', '-n', '20000',
		'-r', '10000', '-t', $now ], '>', \$out, '2>', \$err)
  or die "flowgen failed: $err";
my %sent = $out =~ /(\w+)=([0-9.]+)/g;
is($sent{flows}, 20000, 'sender pushed 20000 flows');

my $count = "SELECT count(*) FROM netflow.flows WHERE time_start >= to_timestamp($now - 60)";
# until every flow is in, or the slow run ended
$node->poll_query_until('postgres',
	"SELECT ($count) = $sent{flows} OR NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $pid AND wait_event = 'PgSleep')");
is( $node->safe_psql('postgres',
		"SELECT ($count) || ' ' || EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $pid AND wait_event = 'PgSleep')"),
	"$sent{flows} true",
	'every flow was inserted while the maintenance run was still in progress');
is( $node->safe_psql('postgres', 'SELECT coalesce(sum(count), -1) FROM netflow.drop_counters'),
	'0', 'no drop of any kind was counted');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'netflow maintenance'}),
	'1', 'one maintenance worker at a time while runs fall due');
cmp_ok( $node->safe_psql('postgres',
		q{SELECT value FROM netflow.collector_counters() WHERE counter = 'maintenance_overlapped'}),
	'>=', 1, 'runs that fell due while it ran are counted as overlapped');

# The slow run ends and the schedule goes on.
my $end = $node->safe_psql('postgres', 'SELECT now()');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 2 FROM netflow.maintenance_log WHERE started > '$end' AND status = 'ok'"),
	'runs go on after the slow one');

# --- a run that fails as a whole is recorded; the next one still happens ------
my $before_fail = $node->safe_psql('postgres', 'SELECT now()');
$node->safe_psql('postgres',
	q{INSERT INTO public.maint_hook
	  VALUES ('fail', 0, pg_postmaster_start_time(), now() + interval '3 seconds')});
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE started > '$before_fail'
		   AND status = 'error' AND detail LIKE '%run failed on purpose%'"),
	'the failed run is in netflow.maintenance_log');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.maintenance_log l WHERE status = 'ok' AND started >
		   (SELECT max(started) FROM netflow.maintenance_log WHERE detail LIKE '%run failed on purpose%')"),
	'the next run still happens');
like(slurp_file($node->logfile), qr/WARNING:  netflow maintenance run failed: maintenance test hook/,
	'the failure is logged as a WARNING');

# --- stopping the server while a run is in progress ---------------------------
$node->safe_psql('postgres',
	q{INSERT INTO public.maint_hook VALUES ('sleep', 600, pg_postmaster_start_time(), NULL)});
ok($node->poll_query_until('postgres', "SELECT count(*) = 1 FROM ($sleeper) s"),
	'a long maintenance run is in progress');
my $log_offset = -s $node->logfile;
$node->stop('fast');
my $stop_log = slurp_file($node->logfile, $log_offset);
like($stop_log, qr/terminating background worker "netflow maintenance" due to administrator command/,
	'the maintenance worker was stopped, not waited for');
like($stop_log, qr/netflow inserter stopped after flushing everything/,
	'the inserter stopped normally');
unlike($stop_log, qr/terminated by signal|server process .* exited with exit code [2-9]/,
	'no process crashed');

$node->start;
my $restart = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE started > '$restart' AND status = 'ok'"),
	'maintenance runs again after the restart');
is($node->safe_psql('postgres', q{SELECT count(*) FROM public.maint_hook WHERE mode = 'sleep'}),
	'1', 'the interrupted run rolled back (its hook row is still there)');
assert_no_crash($node, $restart, 'maintenance worker after restart');
$node->stop;
done_testing();
