# An ERROR raised inside decoding loses nothing silently: with the
# test-only fault netflow.test_fail_decode_every the inserter raises an
# ERROR from inside the decoder at every 100th flow.  Every datagram taken
# from the queue ends either stored (all its flows) or counted as
# drop_decode_error; the inserter keeps running; the error is logged and
# shown as last_error; a non-superuser cannot set the fault.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('decode_error',
	conf => "netflow.test_fail_decode_every = 100\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'netflow inserter'");

my $t = 1767225600;    # 2026-01-01 00:00:00 UTC
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($t - 86400), to_timestamp($t + 86400))");

# 100 datagrams of 30 flows: an ERROR at flows 100, 200, ...
my $sent = flowgen("-p $port -v 5 -n 3000 -r 0 -t $t");
is($sent->{datagrams}, 100, 'sent 100 datagrams of 30 flows');
ok( $node->poll_query_until('postgres',
		"SELECT max(datagrams) FILTER (WHERE worker_type = 'inserter') + sum(drop_queue_full) + sum(kernel_drops) = 100"
		  . " AND sum(queue_datagrams) = 0 AND sum(flows_buffered) = 0"
		  . " FROM netflow.collector_stats"),
	'every datagram was decoded (or counted as dropped before the queue) and nothing is buffered');
my $stored = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows');
my ($failed, $other) = split /\|/, $node->safe_psql('postgres',
	"SELECT coalesce(sum(count) FILTER (WHERE reason = 'drop_decode_error'), 0),"
	  . " coalesce(sum(count) FILTER (WHERE reason <> 'drop_decode_error'), 0) FROM netflow.drop_counters");
cmp_ok($failed, '>', 0, 'datagrams whose decoding failed are counted as drop_decode_error');
is($other, 0, 'no other drop');
is($stored + 30 * $failed, 3000, 'flows stored + flows of the counted datagrams = flows sent');
is( $node->safe_psql('postgres',
		"SELECT pid FROM pg_stat_activity WHERE backend_type = 'netflow inserter'"),
	$pid, 'the inserter kept running');
like( $node->safe_psql('postgres',
		"SELECT last_error FROM netflow.collector_stats WHERE worker_type = 'inserter'"),
	qr/netflow test fault/, 'last_error shows the error');
ok($node->log_contains(qr/netflow inserter dropped a datagram whose decoding failed/),
	'the error is logged');

# the fault is for superusers only
$node->safe_psql('postgres', 'CREATE ROLE plain LOGIN');
my ($rc, $out, $err) = $node->psql('postgres',
	'SET netflow.test_fail_decode_every = 1', extra_params => [ '-U', 'plain' ]);
like($err, qr/permission denied to set parameter "netflow.test_fail_decode_every"/,
	'a non-superuser cannot set the fault');

# without the fault, everything is stored again
$node->append_conf('postgresql.conf', "netflow.test_fail_decode_every = 0\n");
$node->reload;
ok( $node->poll_query_until('postgres', 'SHOW netflow.test_fail_decode_every', '0'),
	'fault removed');
my $t2 = $t + 3600;
$sent = flowgen("-p $port -v 5 -n 3000 -r 0 -t $t2");
ok(wait_for_flows($node, 3000, "time_start >= to_timestamp($t2 - 60)"),
	'after the fault is removed every flow is stored');
is($node->safe_psql('postgres',
		"SELECT count FROM netflow.drop_counters WHERE reason = 'drop_decode_error'"),
	$failed, 'and nothing more is counted');

assert_no_crash($node, $start_time, 'decode error');
$node->stop('fast');
done_testing();
