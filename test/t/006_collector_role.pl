# The collector as a non-superuser (netflow.role = a LOGIN role granted
# netflow_collector; partitions are made through the SECURITY DEFINER
# netflow.route_flows); and rows the
# table refuses (a CHECK constraint added by the user) are dropped and
# counted one by one while the rest of the batch is kept.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('role', conf => "netflow.role = 'collector_login'");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql(
	'postgres', q{
CREATE EXTENSION netflow;
INSERT INTO netflow.config VALUES ('past_tolerance', '100 years');
CREATE ROLE collector_login LOGIN;
GRANT netflow_collector TO collector_login;
});
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'netflow inserter' AND usename = 'collector_login'"
	),
	'the inserter runs as collector_login');
is($node->safe_psql('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = 'collector_login'"),
	'f', 'which is not a superuser');

# (past_tolerance: the flows of these tests are dated 2025, and get
# partitions made on demand)
my $sent = flowgen("-p $port -v 5 -n 600 -r 0 -t 1762000000");    # 2025-11-01
ok(wait_for_flows($node, 600), 'flows inserted by the non-superuser collector');
is( $node->safe_psql('postgres', 'SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows'),
	"600|$sent->{packets}|$sent->{bytes}", 'with exact totals');

# the reader role can read flows and the views, nobody else can read stats
$node->safe_psql('postgres', 'CREATE ROLE analyst LOGIN IN ROLE netflow_reader; CREATE ROLE nobody LOGIN');
is( $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows', extra_params => [ '-U', 'analyst' ]),
	'600', 'netflow_reader member reads netflow.flows');
is( $node->safe_psql('postgres', 'SELECT count(*) > 0 FROM netflow.collector_stats',
		extra_params => [ '-U', 'analyst' ]),
	't', 'netflow_reader member reads collector_stats');
my ($rc, $out, $err) = $node->psql('postgres', 'SELECT * FROM netflow.collector_counters()',
	extra_params => [ '-U', 'nobody' ]);
isnt($rc, 0, 'a role without netflow_reader cannot read the counters');

# --- rows the table refuses ---------------------------------------------------
$node->safe_psql('postgres', 'ALTER TABLE netflow.flows ADD CONSTRAINT few_packets CHECK (packets < 5) NOT VALID');
my $more = flowgen("-p $port -v 5 -n 700 -r 0 -t 1762010000");
# flowgen: flow i has 1 + i % 7 packets, so 4 of every 7 are accepted
my $accepted = 0;
$accepted += (1 + $_ % 7) < 5 ? 1 : 0 for 0 .. 699;
ok( $node->poll_query_until('postgres',
		"SELECT sum(drop_rejected) = 700 - $accepted FROM netflow.collector_stats"),
	'refused rows are counted as drop_rejected');
is( $node->safe_psql('postgres', "SELECT count(*) FROM netflow.flows WHERE time_start >= to_timestamp(1762010000 - 10)"),
	$accepted, 'every row the table accepts is kept');
like( $node->safe_psql('postgres', "SELECT last_error FROM netflow.collector_stats WHERE worker_type = 'inserter'"),
	qr/violates check constraint "few_packets"/, 'last_error names the constraint');
is($node->safe_psql('postgres', "SELECT count FROM netflow.drop_counters WHERE reason = 'drop_rejected'"),
	700 - $accepted, 'drop_counters shows drop_rejected');

# the collector goes on normally afterwards
$node->safe_psql('postgres', 'ALTER TABLE netflow.flows DROP CONSTRAINT few_packets');
flowgen("-p $port -v 5 -n 300 -r 0 -t 1762020000");
ok(wait_for_flows($node, 300, "time_start >= to_timestamp(1762020000 - 10)"),
	'later batches are inserted whole');

assert_no_crash($node, $start_time, 'role');
$node->stop('fast');
done_testing();
