# Loss at shutdown is counted and stays visible after a restart.
#
# While netflow.flows is locked the inserter cannot insert, the 1 MB queue
# fills and overflows (drop_queue_full).  A planned restart (pg_ctl restart,
# fast mode) then happens with the queue full:
#  1. with the default netflow.shutdown_timeout the inserter drains the
#     whole queue before it exits: every flow that reached the queue is
#     stored, and the flows stored plus the counted drops equal the flows
#     sent; drop_counters still shows drop_queue_full after the restart;
#  2. with netflow.shutdown_timeout = 0 nothing is drained: what was queued
#     or buffered is counted (drop_shutdown_queued datagrams, drop_shutdown
#     flows), and those counts are still there after the restart;
#  3. with the 0.1 schema (no netflow.saved_counters) the new library keeps
#     inserting and says once that it cannot save the counters; after
#     ALTER EXTENSION netflow UPDATE it saves them.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('restart_loss', queue_size => '1MB',
	conf => "netflow.batch_size = 1000\n");
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

my $t1 = 1767225600;    # 2026-01-01 00:00:00 UTC, phase 1
my $t2 = 1767312000;    # 2026-01-02, phase 2
my $t3 = 1767398400;    # 2026-01-03, phase 3
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($t1 - 86400), to_timestamp($t3 + 2 * 86400))");

# Hold ACCESS EXCLUSIVE on netflow.flows from another session until the
# server stops (the fast shutdown ends the session).
sub lock_flows
{
	my ($in, $out, $err) = ('', '', '');
	my $h = IPC::Run::start(
		[
			'psql', '-X', '-q', '-d', $node->connstr('postgres'),
			'-c', 'BEGIN', '-c', 'LOCK netflow.flows IN ACCESS EXCLUSIVE MODE',
			'-c', 'SELECT pg_sleep(600)'
		],
		\$in, \$out, \$err);
	ok( $node->poll_query_until('postgres',
			"SELECT count(*) = 1 FROM pg_locks WHERE relation = 'netflow.flows'::regclass AND mode = 'AccessExclusiveLock' AND granted"
		),
		'netflow.flows is locked');
	return $h;
}

# netflow.drop_counters as a hash reason => count.
sub drops
{
	my %d = map { split /\|/ }
	  split /\n/, $node->safe_psql('postgres', 'SELECT reason, count FROM netflow.drop_counters');
	$d{$_} //= 0 for qw(kernel_drops drop_queue_full drop_shutdown drop_shutdown_queued);
	return \%d;
}

# Flows of a flowgen run with -t t (they start 2 s before t), stored.
sub stored
{
	my ($t) = @_;
	return $node->safe_psql('postgres',
		"SELECT count(*) FROM netflow.flows WHERE time_start >= to_timestamp($t - 3600) AND time_start < to_timestamp($t + 82800)"
	);
}

# Restart in fast mode (pg_ctl's default) while the queue is full; returns
# the log offset before the restart.
sub restart_now
{
	my ($locker) = @_;
	my $off = -s $node->logfile;
	$node->restart;
	$locker->finish;    # its session was ended by the shutdown
	ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/, $off),
		'inserter started again after the restart');
	return $off;
}

# --- 1. planned restart under load: the queue is drained -------------------
my $locker = lock_flows();
my $sent = flowgen("-p $port -v 5 -n 60000 -r 20000 -t $t1");
is($sent->{datagrams}, 2000, 'phase 1: sent 2000 datagrams of 30 flows');
ok( $node->poll_query_until('postgres',
		"SELECT coalesce(sum(datagrams) FILTER (WHERE worker_type = 'receiver'), 0) + coalesce(sum(kernel_drops), 0) = 2000 FROM netflow.collector_stats"
	),
	'phase 1: every datagram was read or counted as a kernel drop');
my ($full, $queued) = split /\|/, $node->safe_psql('postgres',
	'SELECT sum(drop_queue_full), sum(queue_datagrams) FROM netflow.collector_stats');
cmp_ok($full, '>', 0, 'phase 1: the queue overflowed');
cmp_ok($queued, '>', 0, 'phase 1: the queue holds datagrams when the restart begins');

my $off = restart_now($locker);
ok($node->log_contains(qr/netflow inserter stopped after flushing everything/, $off),
	'phase 1: the inserter drained the queue before the server stopped');
my $d1 = drops();
my $s1 = stored($t1);
is($d1->{drop_queue_full}, $full, 'phase 1: drop_queue_full is still counted after the restart');
is($d1->{drop_shutdown} + $d1->{drop_shutdown_queued}, 0,
	'phase 1: nothing that reached the queue was lost');
is($s1 + 30 * ($d1->{drop_queue_full} + $d1->{kernel_drops} + $d1->{drop_shutdown_queued})
	  + $d1->{drop_shutdown},
	60000, 'phase 1: flows stored + counted drops = flows sent');
is( $node->safe_psql('postgres',
		"SELECT since_server_start FROM netflow.drop_counters WHERE reason = 'drop_queue_full'"),
	'0', 'phase 1: drop_counters tells the saved part from the part since the server started');
is( $node->safe_psql('postgres',
		"SELECT counting_since IS NOT NULL FROM netflow.drop_counters WHERE reason = 'drop_queue_full'"),
	't', 'phase 1: drop_counters says since when it counts');

# --- 2. no time to drain: the loss is counted and persisted ----------------
$node->safe_psql('postgres', 'ALTER SYSTEM SET netflow.shutdown_timeout = 0');
$node->reload;
$locker = lock_flows();
$sent = flowgen("-p $port -v 5 -n 60000 -r 20000 -t $t2");
is($sent->{datagrams}, 2000, 'phase 2: sent 2000 datagrams of 30 flows');
ok( $node->poll_query_until('postgres',
		"SELECT coalesce(sum(datagrams) FILTER (WHERE worker_type = 'receiver'), 0) + coalesce(sum(kernel_drops), 0) = 2000 FROM netflow.collector_stats"
	),
	'phase 2: every datagram was read or counted as a kernel drop');
$off = restart_now($locker);
ok( $node->log_contains(
		qr/netflow inserter stopped with \d+ flows not inserted and \d+ queued datagrams dropped/, $off),
	'phase 2: the inserter logs what it could not insert');
my $d2 = drops();
my %delta = map { $_ => $d2->{$_} - ($d1->{$_} // 0) } keys %$d2;
cmp_ok($delta{drop_shutdown} + $delta{drop_shutdown_queued}, '>', 0,
	'phase 2: loss at shutdown is counted and visible after the restart');
is(stored($t2) + 30 * ($delta{drop_queue_full} + $delta{kernel_drops} + $delta{drop_shutdown_queued})
	  + $delta{drop_shutdown},
	60000, 'phase 2: flows stored + counted drops = flows sent');
is( $node->safe_psql('postgres',
		"SELECT coalesce(sum(drop_shutdown), 0) FROM netflow.collector_stats"),
	'0', 'phase 2: collector_stats counts since the server started');

# a user resets the totals by deleting the saved rows
$node->safe_psql('postgres', 'DELETE FROM netflow.saved_counters');
is($node->safe_psql('postgres', 'SELECT sum(count) FROM netflow.drop_counters'),
	'0', 'deleting netflow.saved_counters resets the totals');

# --- 3. the new library against the 0.1 schema ------------------------------
$node->safe_psql('postgres', 'ALTER SYSTEM RESET netflow.shutdown_timeout');
$node->reload;
$node->safe_psql('postgres', 'DROP EXTENSION netflow');
$node->safe_psql('postgres', "CREATE EXTENSION netflow VERSION '0.1'");
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($t3 - 86400), to_timestamp($t3 + 86400))");
$off = -s $node->logfile;
# a datagram from outside allowed_exporters makes a drop to save
$node->safe_psql('postgres', "ALTER SYSTEM SET netflow.allowed_exporters = '192.0.2.0/24'");
$node->reload;
my $refused = 0;
for (1 .. 100)
{
	flowgen("-p $port -v 5 -n 30 -r 0 -t $t3");
	last if stat_value($node, 'drop_not_allowed') > 0;
	select(undef, undef, undef, 0.1);
}
cmp_ok(stat_value($node, 'drop_not_allowed'), '>', 0, 'phase 3: a drop happened');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET netflow.allowed_exporters');
$node->reload;
ok( $node->wait_for_log(qr/netflow\.saved_counters does not exist/, $off),
	'phase 3: with the 0.1 schema the inserter says it cannot save the counters');
my $ok3 = 0;
for (1 .. 100)
{
	flowgen("-p $port -v 5 -n 30 -r 0 -t " . ($t3 + 3600));
	if (stored($t3) > 0) { $ok3 = 1; last; }
	select(undef, undef, undef, 0.2);
}
ok($ok3, 'phase 3: flows are still inserted with the 0.1 schema');
$node->safe_psql('postgres', 'ALTER EXTENSION netflow UPDATE');
ok( $node->poll_query_until('postgres',
		"SELECT value > 0 FROM netflow.saved_counters WHERE counter = 'drop_not_allowed'"),
	'phase 3: after ALTER EXTENSION UPDATE the counters are saved');
is( $node->safe_psql('postgres',
		"SELECT count FROM netflow.drop_counters WHERE reason = 'drop_not_allowed'"),
	stat_value($node, 'drop_not_allowed'),
	'phase 3: saved + unsaved = the count since the server started');

$node->stop('fast');
ok(!$node->log_contains(qr/terminated by signal/), 'no process crashed');
done_testing();
