# 080_window_policy.pl -- one datagram cannot stop ingestion (issue 10,
# defect 1): a ~37 KB IPFIX datagram whose 1,500 records start on 1,500
# different past days, sent to a server with a small lock table, used to make
# the flush create one partition per day inside the insert transaction until
# "out of shared memory", retried for ever.  Now the collector creates
# partitions only inside its window, stores the other flows in
# netflow.flows_past (counted, shown in collector_stats), and the flows sent
# afterwards are stored.  A replay into a partition an operator made for it
# goes there, and maintenance moves past flows into a partition made later.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('window', conf => "max_locks_per_transaction = 10\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'ok'}),
	'the first maintenance run made the premade partitions');
my $parts_before = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows_partitions()');

# 1,500 records, one on each day from 10 to 1,509 days ago (noon UTC).
my $now = time();
my $today = $now - $now % 86400;
my @days = map { $today - (10 + $_) * 86400 + 43200 } 0 .. 1499;
my $hostile = ipfix_at(77, 0, @days);
cmp_ok(length $hostile, '<', 40000, 'the datagram is about 37 KB (' . length($hostile) . ' bytes)');
send_udp($port, $hostile);

# Then an ordinary exporter sends current flows.
my $sent = flowgen("-p $port -v 10 -n 300 -o 2 -r 0 -t $now");
ok(wait_for_flows($node, 300, "time_start >= to_timestamp($now - 60)"),
	'flows sent after the datagram are stored');

is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.flows_partitions() WHERE upper <= now() - interval '2 days'}),
	'0', 'no partition was created outside the window');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows_partitions()'),
	$parts_before, 'the flush created no partition at all');
is(query_or_error($node, 'SELECT count(*), min(time_start) = to_timestamp(' . $days[-1] . ') FROM netflow.flows_past'),
	'1500|t', 'the 1,500 old flows are kept in netflow.flows_past');
is(query_or_error($node, q{SELECT value FROM netflow.window_counters WHERE counter = 'past_flows'}),
	'1500', 'and counted as past_flows in netflow.window_counters');
is( query_or_error($node,
		'SELECT flows_inserted, flows_past, flows_future FROM netflow.collector_stats WHERE worker_type = \'inserter\''),
	'1800|1500|0',
	'collector_stats shows where the inserted flows went (1,500 of 1,800 in flows_past)');
is($node->safe_psql('postgres', 'SELECT coalesce(sum(count), -1) FROM netflow.drop_counters'),
	'0', 'nothing was dropped');

# A responder replays an old capture into a partition made for it.
my $replay_day = $today - 2000 * 86400;    # not one of the 1,500 days above
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($replay_day), to_timestamp($replay_day + 86400))");
send_udp($port, ipfix_at(78, 0, map { $replay_day + 3600 * $_ } 1 .. 5));
ok(wait_for_flows($node, 5, "time_start >= to_timestamp($replay_day) AND time_start < to_timestamp($replay_day + 86400)"),
	'flows of a past day go to the partition an operator made for that day');
is(query_or_error($node, "SELECT count(*) FROM netflow.flows_past WHERE time_start >= to_timestamp($replay_day) AND time_start < to_timestamp($replay_day + 86400)"),
	'0', 'none of the replayed flows went to flows_past');

# Maintenance moves past flows into a partition made for them later.
my $late_day = $days[20] - 43200;
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($late_day), to_timestamp($late_day + 86400))");
$node->safe_psql('postgres', 'SELECT count(*) FROM netflow.run_maintenance()');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM netflow.flows WHERE time_start = to_timestamp($days[20])"),
	'1', 'maintenance moved the flow of that day from flows_past into the new partition');
is(query_or_error($node, 'SELECT count(*) FROM netflow.flows_past'),
	'1499', 'flows_past keeps the others');

assert_no_crash($node, $start_time, 'hostile datagram');
$node->stop;
done_testing();
