# 113_compression_worker.pl -- the collector's schedule compresses
# partitions older than compress_after (issue 11) in the "netflow
# compressor" worker, not in the inserter or the maintenance worker: the
# scheduled maintenance run skips the step, the compressor compresses the
# oldest due partition, one per run, every row exactly once, and the
# collector keeps inserting.  The collector runs as a non-superuser and
# autovacuum is off: the compressor itself vacuums the partitions it
# emptied (as their owner), so their heaps are truncated to nothing.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('compression_worker',
	conf => "netflow.maintenance_interval = 1\nnetflow.role = 'collector_login'\nautovacuum = off\n",
	no_start => 1);
# the extension first, with its partitions, so that the first run finds them
$node->start;
$node->safe_psql('postgres', qq{
	$CREATE_EXTENSION;
	CREATE ROLE collector_login LOGIN;
	GRANT netflow_collector TO collector_login;
	INSERT INTO netflow.config VALUES ('rollups', 'off');
	SELECT netflow.create_partitions(date_trunc('day', now()) - interval '6 days',
									 date_trunc('day', now()) - interval '4 days');
	INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, src_port, dst_port, protocol, packets, bytes)
	SELECT date_trunc('day', now()) - interval '6 days' + g * interval '1 second' * (172799.0 / 30000),
		   ('127.0.0.' || g % 3 + 1)::inet, ('10.0.' || (g / 256) % 256 || '.' || g % 256)::inet, '10.9.9.9',
		   g % 60000, 443, 6, 1 + g % 7, 100 + g
	FROM generate_series(0, 29999) AS g;
	CREATE TABLE copy AS SELECT * FROM netflow.flows WHERE time_start < date_trunc('day', now()) - interval '4 days';
});

# Both old partitions get compressed, one per run, by the worker.
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 2 FROM netflow.partitions
		  WHERE compressed AND upper <= date_trunc('day', now()) - interval '4 days'}),
	'the schedule compresses both old partitions');
is( $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM (SELECT * FROM copy EXCEPT ALL
									  SELECT * FROM netflow.flows WHERE time_start < date_trunc('day', now()) - interval '4 days') a)
			|| ' ' || (SELECT count(*) FROM (SELECT * FROM netflow.flows WHERE time_start < date_trunc('day', now()) - interval '4 days'
											 EXCEPT ALL SELECT * FROM copy) b)}),
	'0 0', 'every row exactly once after compression');

# The heaps the conversions emptied are truncated by the compressor's
# VACUUM (FREEZE), autovacuum being off, though the worker is not their
# owner: every scan of them would read the emptied pages otherwise.
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 2 FROM netflow.partitions p
		  WHERE compressed AND upper <= date_trunc('day', now()) - interval '4 days'
			AND pg_relation_size(p.partition) = 0}),
	'the compressor vacuums the heaps it emptied down to 0 pages');

my $log = slurp_file($node->logfile);
like($log, qr/netflow compression: compressed netflow\.flows_p/, 'the compressor worker logged its work');
unlike($log, qr/netflow maintenance: compressed/, 'the scheduled maintenance runs did not compress');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'netflow inserter' AND usename = 'collector_login'}),
	'1', 'the inserter is running (as collector_login)');

# The collector still inserts (netflow.flows through the inserter).
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows');
send_udp($port, ipfix_at(1, 0, time()));
ok(wait_for_flows($node, $before + 1), 'a flow sent now is inserted');

$node->stop;
done_testing();
