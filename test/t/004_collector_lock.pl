# Storage stalls never stop the sockets being read: while netflow.flows is
# locked ACCESS EXCLUSIVE for 3 seconds, a sender pushes about 100,000
# flows/s.  The receivers keep queueing, the inserter retries, and after
# the lock every flow arrives with no drop counted anywhere.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('lock', workers => 2, queue_size => '128MB',
	flush_interval => '100ms');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

# create the partition beforehand so that the lock is the only obstacle
my $t = 1767225600;    # 2026-01-01 00:00:00 UTC
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($t - 86400), to_timestamp($t + 86400))");

# build the sender first: compiling it inside the 3 s lock window could let
# the lock expire before the first flow is sent on a loaded machine
flowgen_bin();

# hold ACCESS EXCLUSIVE on netflow.flows for 3 s from another session
my ($in, $out, $err) = ('', '', '');
my $locker = IPC::Run::start(
	[
		'psql', '-X', '-q', '-d', $node->connstr('postgres'),
		'-c', 'BEGIN', '-c', 'LOCK netflow.flows IN ACCESS EXCLUSIVE MODE',
		'-c', 'SELECT pg_sleep(3)', '-c', 'COMMIT'
	],
	\$in, \$out, \$err);
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_locks WHERE relation = 'netflow.flows'::regclass AND mode = 'AccessExclusiveLock' AND granted"
	),
	'netflow.flows is locked');

my $sent = flowgen("-p $port -v 5 -n 300000 -r 100000 -t $t");
is($sent->{flows}, 300000, 'sender pushed 300000 flows');
$locker->finish;
is($?, 0, 'the locking session committed');

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = $sent->{flows} FROM netflow.flows"),
	'every flow arrives after the lock is released');
is( $node->safe_psql('postgres', 'SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows'),
	"$sent->{flows}|$sent->{packets}|$sent->{bytes}",
	'flow, packet and byte totals equal what was sent');
is($node->safe_psql('postgres', 'SELECT coalesce(sum(count), -1) FROM netflow.drop_counters'),
	'0', 'no drop of any kind was counted');
is( $node->safe_psql('postgres',
		"SELECT sum(datagrams) FROM netflow.collector_stats WHERE worker_type = 'receiver'"),
	$sent->{datagrams}, 'receivers read every datagram');
cmp_ok(stat_value($node, 'insert_retries'), '>', 0,
	'the inserter hit the lock and retried');
like( $node->safe_psql('postgres',
		"SELECT last_error FROM netflow.collector_stats WHERE worker_type = 'inserter'"),
	qr/lock timeout/, 'last_error says why');
cmp_ok(stat_value($node, 'queue_high_water'), '>', 0, 'the queue absorbed the stall');
is(stat_value($node, 'flows_buffered'), '0', 'nothing left buffered');

assert_no_crash($node, $start_time, 'lock test');
$node->stop('fast');
done_testing();
