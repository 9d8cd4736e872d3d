# 070_maintenance_ingest.pl -- partition maintenance runs by itself on the
# collector's schedule (the netflow maintenance worker), and runs (creating and dropping partitions) while
# the collector ingests a steady stream and a long analyst transaction
# holds netflow.flows: no flow is lost, ingest goes on while maintenance
# keeps deferring the drop, and the drop happens once the analyst is gone.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('maint_ingest', queue_size => '128MB',
	flush_interval => '100ms',
	conf => "netflow.maintenance_interval = 1\n");
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
# One transaction: the worker's 1 s schedule must not drop a partition
# between its creation and the insert of its flow.
$node->safe_psql('postgres', q{
	CREATE EXTENSION netflow;
	BEGIN;
	INSERT INTO netflow.config VALUES ('retention', '7 days'), ('premake', '2');
	-- two partitions of long ago, each with a flow: retention must drop them
	SELECT count(*) FROM netflow.create_partitions('2020-01-01+00', '2020-01-02+00');
	SELECT count(*) FROM netflow.create_partitions('2020-02-01+00', '2020-02-02+00');
	INSERT INTO netflow.flows (time_start, packets, bytes)
	VALUES ('2020-01-01 10:00+00', 1, 60), ('2020-02-01 10:00+00', 1, 60);
	COMMIT;
});

# --- the schedule runs by itself in the worker --------------------------------
ok( $node->poll_query_until('postgres',
		q{SELECT to_regclass('netflow.flows_p20200101') IS NULL}),
	'the worker dropped the partition past retention by itself');
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE dropped >= 1 AND status = 'ok'}),
	'its run is in netflow.maintenance_log');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM generate_series(0, 2) AS d
		WHERE NOT EXISTS (
			SELECT 1 FROM netflow.partitions p
			WHERE now() + d * interval '1 day' >= p.lower
			  AND now() + d * interval '1 day' < p.upper)}),
	'0', 'partitions exist for today and the two premade days');

# The next drop candidate: an old partition an analyst is about to read.
# Retention is off while it is made, so the 1 s schedule leaves it alone
# until the analyst holds the table; a run that started before the change
# is waited out.
$node->safe_psql('postgres', q{UPDATE netflow.config SET value = '0' WHERE key = 'retention'});
my $off_at = $node->safe_psql('postgres', 'SELECT now()');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE started > '$off_at'"),
	'a maintenance run started after retention was turned off');
$node->safe_psql('postgres', q{
	SELECT count(*) FROM netflow.create_partitions('2020-01-01+00', '2020-01-02+00');
	INSERT INTO netflow.flows (time_start, packets, bytes) VALUES ('2020-01-01 11:00+00', 1, 60);
});

# --- a long analyst transaction holds netflow.flows ---------------------------
my $analyst = $node->background_psql('postgres');
$analyst->query_safe('BEGIN');
is($analyst->query_safe('SELECT count(*) FROM netflow.flows'),
	'1', 'the analyst transaction reads netflow.flows and stays open');
$node->safe_psql('postgres', q{UPDATE netflow.config SET value = '7 days' WHERE key = 'retention'});
my $runs_before = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.maintenance_log');

# A steady stream: 150,000 flows at 25,000 flows/s, current time.
my $now = time();
my $flowgen = flowgen_bin();
my ($out, $err) = ('', '');
my $sender = IPC::Run::start([ $flowgen, '-p', $port, '-v', '10', '-n', '150000',
		'-r', '25000', '-t', $now ], '>', \$out, '2>', \$err);

# While the analyst holds the table, the worker's maintenance keeps trying
# to drop the old partition and defers; ingest goes on meanwhile.
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'deferred'"),
	'the scheduled maintenance defers the drop while the analyst holds the table');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 50000 FROM netflow.flows WHERE time_start >= to_timestamp($now - 60)"),
	'flows keep arriving while maintenance runs and the analyst transaction is open');
is( $node->safe_psql('postgres', q{SELECT to_regclass('netflow.flows_p20200101') IS NOT NULL}),
	't', 'the partition in use is still there');
$analyst->query_safe('COMMIT');
$analyst->quit;

$sender->finish;
is($?, 0, 'the sender finished');
my %sent = $out =~ /(\w+)=([0-9.]+)/g;
is($sent{flows}, 150000, 'sender pushed 150000 flows');

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = $sent{flows} FROM netflow.flows WHERE time_start >= to_timestamp($now - 60)"),
	'every flow of the stream arrives');
is( $node->safe_psql('postgres',
		"SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows WHERE time_start >= to_timestamp($now - 60)"),
	"$sent{flows}|$sent{packets}|$sent{bytes}",
	'flow, packet and byte totals equal what was sent');
is($node->safe_psql('postgres', 'SELECT coalesce(sum(count), -1) FROM netflow.drop_counters'),
	'0', 'no drop of any kind was counted');

ok( $node->poll_query_until('postgres',
		q{SELECT to_regclass('netflow.flows_p20200101') IS NULL}),
	'with the analyst gone, the worker drops the old partition');
cmp_ok($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.maintenance_log'),
	'>', $runs_before + 1, 'maintenance ran several times during the test');

assert_no_crash($node, $start_time, 'maintenance during ingest');
$node->stop;
done_testing();
