# 083_batch_bound.pl -- one flush inserts at most netflow.batch_size flows
# (issue 10, defect 14): with batch_size 100 and 3,000 flows waiting in the
# queue (the extension is created after they arrive), the inserter decodes
# them in 256 KB blocks but commits them in transactions of at most 100
# rows (rows of one transaction share their xmin).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('batch', conf => "netflow.batch_size = 100\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
ok($node->wait_for_log(qr/netflow inserter is waiting for CREATE EXTENSION netflow/),
	'the inserter waits for the extension');
my $now = time();
my $sent = flowgen("-p $port -v 5 -n 3000 -r 0 -t $now");
is($sent->{flows}, 3000, 'sent 3000 flows');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok(wait_for_flows($node, 3000), 'all 3000 flows stored');
is( $node->safe_psql('postgres',
		'SELECT max(n) FROM (SELECT count(*) AS n FROM netflow.flows GROUP BY xmin::text) t'),
	'100', 'no transaction inserted more than batch_size (100) flows');
cmp_ok($node->safe_psql('postgres', q{SELECT batches FROM netflow.collector_stats WHERE worker_type = 'inserter'}),
	'>=', 30, 'at least 30 batches');
assert_no_crash($node, $start_time, 'batch bound');
$node->stop;
done_testing();
