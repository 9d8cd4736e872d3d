# 082_stats_brin.pl -- the collector's inserts reach PostgreSQL's statistics
# and the BRIN index of a partition gets summarized while ingest runs
# (issue 10, defect 13): after collector ingest, pg_stat_user_tables shows
# the inserted rows of the partition, and a narrow time filter reads far
# fewer blocks than the partition has (block counts from EXPLAIN (ANALYZE,
# BUFFERS), no timing).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('brin', queue_size => '64MB',
	conf => "autovacuum_naptime = 1\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', q{
	CREATE EXTENSION netflow;
	-- blocks a query touched (shared hit + read, whole plan), on the BRIN
	-- path: what is measured is what the index lets the scan skip, not the
	-- planner's choice between it and a sequential scan
	CREATE FUNCTION blocks_touched(q text) RETURNS bigint LANGUAGE plpgsql
	SET enable_seqscan = off AS $$
	DECLARE
		plan json;
	BEGIN
		EXECUTE 'EXPLAIN (ANALYZE, BUFFERS, TIMING OFF, FORMAT JSON) ' || q INTO plan;
		RETURN (plan->0->'Plan'->>'Shared Hit Blocks')::bigint
			 + (plan->0->'Plan'->>'Shared Read Blocks')::bigint;
	END $$;
});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'ok'}),
	'premade partitions exist');

# Sixteen bursts of 6,250 flows, 20 s apart in flow time, ending now.
my $now = time();
my @t = map { $now - 300 + 20 * $_ } 0 .. 15;
flowgen("-p $port -v 10 -n 6250 -o $_ -r 100000 -t $t[$_]") for 0 .. 15;
# (flowgen's flows start 2 s before the time given)
ok(wait_for_flows($node, 100000, "time_start >= to_timestamp($t[0] - 2)"), 'all 100,000 flows stored');

my $part = $node->safe_psql('postgres',
	"SELECT partition FROM netflow.flows_partitions() WHERE to_timestamp($t[0] - 2) >= lower AND to_timestamp($t[0] - 2) < upper");
ok( $node->poll_query_until('postgres',
		"SELECT n_tup_ins > 0 FROM pg_stat_user_tables WHERE relid = '$part'::regclass"),
	"pg_stat_user_tables counts the collector's inserts into $part");
my $ins = $node->safe_psql('postgres',
	"SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = '$part'::regclass");
cmp_ok($ins, '>=', 6250, "n_tup_ins of $part is $ins");

my $query = "SELECT count(*) FROM $part WHERE time_start >= to_timestamp($t[0] - 2) AND time_start < to_timestamp($t[0] - 1)";
my $pages = $node->safe_psql('postgres', "SELECT pg_relation_size('$part') / 8192");
cmp_ok($pages, '>', 1000, "the partition has $pages blocks");
# Autovacuum summarizes the BRIN ranges in the background: wait for it.
$node->poll_query_until('postgres',
	qq{SELECT blocks_touched('$query') * 3 < $pages});
my $blocks = $node->safe_psql('postgres', qq{SELECT blocks_touched('$query')});
cmp_ok($blocks * 3, '<', $pages,
	"a one-second time filter touches $blocks blocks of the partition's $pages");
is($node->safe_psql('postgres', $query), '6250', 'and finds the burst');

assert_no_crash($node, $start_time, 'statistics');
$node->stop;
done_testing();
