# 114_compression_1m.pl -- exactness on a million generated flows (issue
# 11): the generator of test/sql/compression.sql (NULL in every nullable
# column, IPv4 and IPv6, MACs, VLANs, flags, zero and maximum counters,
# microsecond times) run to 1,000,000 rows over 40 daily partitions, all
# compressed; SELECT * EXCEPT ALL the heap copy is empty both ways, and
# aggregates agree.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $testdir = $ENV{NETFLOW_TEST_DIR} // "$FindBin::RealBin/..";
my $sql = slurp_file("$testdir/sql/compression.sql");
my ($gen) = $sql =~ /(CREATE TABLE cmp_gen AS.*?AS g;)/s
  or die 'generator not found in test/sql/compression.sql';
$gen =~ s/generate_series\(0, 74999\)/generate_series(0, 999999)/
  or die 'generator size not found';

my $node = PostgreSQL::Test::Cluster->new('compression_1m');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nmax_wal_size = '2GB'\n");
$node->start;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION netflow;
	SELECT count(*) FROM netflow.create_partitions('2025-01-01', '2025-02-10');
	$gen
	INSERT INTO netflow.flows SELECT * FROM cmp_gen;
}, timeout => 900);
is( $node->safe_psql('postgres', q{
		SELECT sum(netflow.compress_partition(partition)) FROM netflow.flows_partitions()}, timeout => 900),
	'1000000', 'every partition compressed: 1,000,000 rows moved into batches');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FILTER (WHERE compressed) || ' ' || sum(compressed_rows) FROM netflow.partitions}),
	'40 1000000', '40 compressed partitions');
is( $node->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM (SELECT * FROM cmp_gen EXCEPT ALL SELECT * FROM netflow.flows) a)
			|| ' ' || (SELECT count(*) FROM (SELECT * FROM netflow.flows EXCEPT ALL SELECT * FROM cmp_gen) b)},
		timeout => 900),
	'0 0', 'SELECT * EXCEPT ALL the heap copy is empty both ways');
is( $node->safe_psql('postgres', q{
		SELECT (SELECT netflow.entropy(dst_port) FROM netflow.flows) = (SELECT netflow.entropy(dst_port) FROM cmp_gen)
		   AND (SELECT sum(bytes::numeric) FROM netflow.flows) = (SELECT sum(bytes::numeric) FROM cmp_gen)
		   AND (SELECT count(DISTINCT src_addr) FROM netflow.flows) = (SELECT count(DISTINCT src_addr) FROM cmp_gen)}),
	't', 'entropy, sums and distinct counts agree');

$node->stop;
done_testing();
