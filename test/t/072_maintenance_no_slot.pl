# 072_maintenance_no_slot.pl -- when no background worker slot is free for
# the netflow maintenance worker, the run is not started: logged, counted
# (maintenance_no_worker) and tried again when the next one is due; the
# collector keeps inserting meanwhile (flows without a premade partition get
# one on demand, within the window, with its time_received index); with a
# slot, maintenance runs again.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

# max_worker_processes = 3: the logical replication launcher, the receiver
# and the inserter take every slot.
my ($node, $port) = collector_node('maint_no_slot',
	conf => "netflow.maintenance_interval = 1\nmax_worker_processes = 3\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');

ok( $node->poll_query_until('postgres',
		q{SELECT value >= 2 FROM netflow.collector_counters() WHERE counter = 'maintenance_no_worker'}),
	'runs that found no free slot are counted, and tried again');
ok( $node->log_contains(qr/netflow maintenance not started: no free background worker slot/),
	'and logged');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.maintenance_log'),
	'0', 'no run happened');
is( $node->safe_psql('postgres',
		q{SELECT value FROM netflow.collector_counters() WHERE counter = 'maintenance_runs'}),
	'0', 'no maintenance worker was started');

# Ingest does not depend on maintenance: today's partition is made on demand.
send_udp($port, ipfix_at(1, 0, time()));
ok(wait_for_flows($node, 1), 'a flow sent now is inserted without any maintenance run');
is( $node->safe_psql('postgres',
		q{SELECT value FROM netflow.window_counters WHERE counter = 'partitions_on_demand'}),
	'1', 'its partition was made on demand');
# The rollups' index on time_received comes with the partition, so that no
# maintenance run has to build it (holding SHARE) while the collector
# inserts into it.
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM netflow.flows_partitions() p
		WHERE now() >= p.lower AND now() < p.upper
		  AND EXISTS (SELECT 1 FROM pg_index i
					  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
					  WHERE i.indrelid = p.partition AND i.indnatts = 1
						AND a.attname = 'time_received')}),
	'1', 'the on-demand partition has its time_received index without any maintenance run');

# With room for it, the schedule runs.
$node->append_conf('postgresql.conf', "max_worker_processes = 16\n");
$node->restart;
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'ok'}),
	'maintenance runs once a slot is free');
$node->stop;
done_testing();
