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
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok(wait_for_flows($node, 30 * $queued), 'every queued flow is inserted after CREATE EXTENSION');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	30 * $queued, 'exactly the queued flows');
is($node->safe_psql('observer', 'SELECT sum(queue_datagrams) FROM netflow.collector_stats'),
	'0', 'the queue is empty again');

assert_no_crash($node, $start_time, 'queue full');
$node->stop('fast');
done_testing();
