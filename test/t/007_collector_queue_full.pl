# A full shared queue drops datagrams and counts every one: with a 1 MB
# queue and the extension not yet created in netflow.database, the queue
# keeps what fits, drop_queue_full counts the rest exactly, the receiver
# says so in the log, and after CREATE EXTENSION every queued flow is
# inserted.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('queue', queue_size => '1MB');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# the statistics are shared memory: read them from another database
$node->safe_psql('postgres', 'CREATE DATABASE observer');
$node->safe_psql('observer', 'CREATE EXTENSION netflow');
ok($node->wait_for_log(qr/netflow inserter is waiting for CREATE EXTENSION netflow in database "postgres"/),
	'inserter waits for the extension in netflow.database');

# 2000 datagrams of 30 flows (1,464 bytes each): about 700 fit in 1 MB
my $sent = flowgen("-p $port -v 5 -n 60000 -r 20000 -t 1764547200");
is($sent->{datagrams}, 2000, 'sent 2000 datagrams');

my $stats = sub {
	$node->safe_psql('observer',
		"SELECT sum(datagrams) FILTER (WHERE worker_type = 'receiver'), sum(drop_queue_full), sum(queue_datagrams), sum(kernel_drops) FROM netflow.collector_stats"
	);
};
ok( $node->poll_query_until('observer',
		"SELECT sum(datagrams) FILTER (WHERE worker_type = 'receiver') + sum(kernel_drops) = 2000 FROM netflow.collector_stats"),
	'every datagram was read or counted as a kernel drop');
my ($read, $full, $queued, $kernel) = split /\|/, $stats->();
cmp_ok($full, '>', 0, 'the queue overflowed');
cmp_ok($queued, '>', 0, 'the queue kept datagrams');
is($queued + $full, $read, 'every datagram read was queued or counted as drop_queue_full');
cmp_ok($queued * 1504, '<=', 1024 * 1024, 'the queue holds no more than its size');
ok($node->wait_for_log(qr/netflow receiver 1 dropped \d+ datagrams because the queue was full/),
	'the receiver logs the drops');
is( $node->safe_psql('observer', "SELECT count FROM netflow.drop_counters WHERE reason = 'drop_queue_full'"),
	$full, 'drop_counters shows drop_queue_full');

# now the inserter can insert what the queue kept
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok(wait_for_flows($node, 30 * $queued), 'every queued flow is inserted after CREATE EXTENSION');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	30 * $queued, 'exactly the queued flows');
is($node->safe_psql('observer', 'SELECT sum(queue_datagrams) FROM netflow.collector_stats'),
	'0', 'the queue is empty again');

# --- the ring wraps around many times while the inserter consumes ---------
# 6000 datagrams of 1,504 queue bytes each pass through the 1 MB ring about
# nine times; every datagram is accounted for exactly and every flow that
# was queued is decoded intact.
my ($full0, $kernel0) = split /\|/,
  $node->safe_psql('observer', 'SELECT sum(drop_queue_full), sum(kernel_drops) FROM netflow.collector_stats');
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows');
my $wrap = flowgen("-p $port -v 5 -n 180000 -r 60000 -t 1764633600");
cmp_ok($wrap->{datagrams} * 1504, '>', 8 * 1024 * 1024, 'more than eight queue sizes were sent');
ok( $node->poll_query_until('observer',
		"SELECT sum(datagrams) FILTER (WHERE worker_type = 'receiver') + sum(kernel_drops) - $kernel0 = $read + 6000 AND sum(queue_datagrams) = 0 AND sum(flows_buffered) = 0 FROM netflow.collector_stats"
	),
	'all datagrams read (or counted as kernel drops) and consumed');
my ($full1) = split /\|/,
  $node->safe_psql('observer', 'SELECT sum(drop_queue_full) FROM netflow.collector_stats');
my $kept = 6000 - ($full1 - $full0)
  - ($node->safe_psql('observer', 'SELECT sum(kernel_drops) FROM netflow.collector_stats') - $kernel0);
ok(wait_for_flows($node, 30 * $kept, "time_start >= '2025-12-01 23:00'"),
	'the flows of every kept datagram arrive');
is($node->safe_psql('postgres', "SELECT count(*) FROM netflow.flows WHERE time_start >= '2025-12-01 23:00'"),
	30 * $kept, 'exactly 30 flows per datagram that was not counted as dropped');
is( $node->safe_psql('observer',
		'SELECT sum(drop_short) + sum(drop_bad_length) + sum(drop_bad_version) + sum(drop_bad_set) + sum(drop_bad_record) FROM netflow.collector_stats'),
	'0', 'no datagram was damaged in the ring');
if ($full1 == $full0)
{
	is( $node->safe_psql('postgres',
			"SELECT sum(packets), sum(bytes) FROM netflow.flows WHERE time_start >= '2025-12-01 23:00'"),
		"$wrap->{packets}|$wrap->{bytes}", 'no drop: packet and byte totals equal what was sent');
}
else
{
	cmp_ok($full1 - $full0, '>', 0, 'drops happened and were counted (totals not comparable)');
}

assert_no_crash($node, $start_time, 'queue full');
$node->stop('fast');
done_testing();
