# 086_rollups_worker.pl -- the rollups are kept by the collector's own
# maintenance schedule: flows sent through the collector ten minutes after
# they started (as exporters do) land in minutes the worker has already
# materialized, and the worker's next runs fold them in as late flows, so
# that netflow.traffic and netflow.top equal the raw flows, with no error in
# the maintenance log and no crash.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('rollups_worker',
	flush_interval => '100ms',
	conf => "netflow.maintenance_interval = 1\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', q{
	CREATE EXTENSION netflow;
	INSERT INTO netflow.config VALUES ('rollup_grace', '0'), ('rollup_late_margin', '5 seconds');
});

# The worker's first run starts the rollups at the current minute.
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) = 1 FROM netflow.rollup_state WHERE runs >= 1}),
	'the worker started the rollups by itself');

# 3000 flows that started ten minutes ago, sent now.
my $sent = flowgen('-p', $port, '-v', '10', '-n', '3000', '-r', '0', '-t', time() - 600);
is($sent->{flows}, 3000, 'flowgen sent 3000 flows');
ok(wait_for_flows($node, 3000), 'the collector stored them');

# They are older than the materialized minutes: the next runs add them.
ok( $node->poll_query_until('postgres',
		q{SELECT coalesce(sum(flows), 0) = 3000 FROM netflow.rollup_minutes}),
	'the worker folded the late flows into the minute rollups');
ok( $node->poll_query_until('postgres',
		q{SELECT late_flows >= 3000 FROM netflow.rollup_state}),
	'counted as late flows');

my ($from, $to) = split /\|/, $node->safe_psql('postgres',
	q{SELECT date_trunc('hour', min(time_start)) - interval '1 hour', date_trunc('minute', now()) FROM netflow.flows});
is( $node->safe_psql('postgres', qq{
		SELECT count(*) FROM (
			SELECT * FROM netflow.traffic('$from', '$to', '1 minute')
			EXCEPT ALL
			SELECT g.b, coalesce(s.f, 0), coalesce(s.p, 0), coalesce(s.by, 0), coalesce(s.pu, 0), coalesce(s.bu, 0)
			FROM generate_series('$from'::timestamptz, '$to'::timestamptz - interval '1 minute', '1 minute') g(b)
			LEFT JOIN (SELECT date_trunc('minute', time_start) b, count(*) f, sum(packets)::bigint p, sum(bytes)::bigint by,
							  sum(packets * greatest(sampling_interval, 1))::bigint pu,
							  sum(bytes * greatest(sampling_interval, 1))::bigint bu
					   FROM netflow.flows WHERE time_start >= '$from' AND time_start < '$to' GROUP BY 1) s USING (b)) x}),
	'0', 'per-minute traffic equals the raw flows');
is( $node->safe_psql('postgres', qq{
		SELECT (SELECT array_agg(item || '=' || weight ORDER BY item)
				FROM netflow.top('protocol', '$from', '$to', 1000))
			 = (SELECT array_agg(item || '=' || weight ORDER BY item)
				FROM netflow.topn_items((SELECT netflow.topn(protocol, bytes, 1000) FROM netflow.flows
										 WHERE time_start >= '$from' AND time_start < '$to'), 1000))}),
	't', 'top protocols equal the raw topn');
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.maintenance_log WHERE errors > 0 OR status = 'error'}),
	'0', 'no maintenance run failed');

assert_no_crash($node, $start_time, 'rollups in the worker');
$node->stop;
done_testing();
