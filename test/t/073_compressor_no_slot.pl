# 073_compressor_no_slot.pl -- when a scheduled maintenance run has ended
# and no background worker slot is free for the netflow compressor, the
# compression run is not started: logged and counted (compressor_no_worker
# in netflow.collector_counters()), never silent; once a slot is free the
# schedule goes on.
#
# The compressor is started by the inserter as soon as it sees the
# maintenance worker gone, and that worker's exit frees a slot, so the slot
# is taken in between on purpose: the inserter is stopped (SIGSTOP) while a
# run sleeps in the test hook (install_maintenance_hook of CollectorTest.pm),
# the run ends, pg_prewarm's autoprewarm leader takes the freed slot, and
# only then is the inserter continued (SIGCONT).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

# max_worker_processes = 4: the logical replication launcher, the receiver
# and the inserter leave one slot, for maintenance or the compressor.
my ($node, $port) = collector_node('compressor_no_slot',
	conf => "netflow.maintenance_interval = 1\nmax_worker_processes = 4\n");
$node->safe_psql('postgres', 'CREATE EXTENSION netflow; CREATE EXTENSION pg_prewarm');
install_maintenance_hook($node);

ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'ok'}),
	'maintenance runs in the one free slot');
is( $node->safe_psql('postgres',
		q{SELECT value FROM netflow.collector_counters() WHERE counter = 'compressor_no_worker'}),
	'0', 'compressor_no_worker is shown, zero while the compressor finds its slot');

# A run that sleeps; the inserter is stopped meanwhile.
$node->safe_psql('postgres',
	q{INSERT INTO public.maint_hook VALUES ('sleep', 5, pg_postmaster_start_time(), NULL)});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM pg_stat_activity
		  WHERE backend_type = 'netflow maintenance' AND wait_event = 'PgSleep'}),
	'a maintenance run is in progress');
my $inserter = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'netflow inserter'});
ok(kill('STOP', $inserter), 'inserter stopped');

# The run ends; another worker takes the slot it frees.
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'netflow maintenance'}),
	'the maintenance run ended');
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM (SELECT autoprewarm_start_worker()) s}),
	'the autoprewarm leader took the last slot');

my $offset = -s $node->logfile;
ok(kill('CONT', $inserter), 'inserter continued');
$node->wait_for_log(qr/netflow compressor not started: no free background worker slot/, $offset);
ok( $node->log_contains(qr/It is counted as compressor_no_worker/, $offset),
	'the compressor found no slot and said so in the log');
is( $node->safe_psql('postgres',
		q{SELECT value >= 1 FROM netflow.collector_counters() WHERE counter = 'compressor_no_worker'}),
	't', 'the compression run not started is counted as compressor_no_worker');

# With the slot free again, the schedule goes on.
# (the leader has no database connection, so it is not in pg_stat_activity:
# found among the postmaster's children by its process title)
my ($postmaster) = split /\n/, slurp_file($node->data_dir . '/postmaster.pid');
my @leader;
for my $stat (glob('/proc/[0-9]*/stat'))
{
	my ($pid, $ppid) = (eval { slurp_file($stat) } // '') =~ /^(\d+) \(.*\) \S+ (\d+)/s;
	next unless defined $ppid && $ppid == $postmaster;
	my $cmdline = eval { slurp_file("/proc/$pid/cmdline") } // '';
	push @leader, $pid if $cmdline =~ /autoprewarm leader/;
}
is(scalar(@leader), 1, 'the autoprewarm leader is found');
my $freed = $node->safe_psql('postgres', 'SELECT now()');
kill('TERM', @leader);
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE started > '$freed' AND status = 'ok'"),
	'maintenance runs again once the slot is free');
$node->stop;
done_testing();
