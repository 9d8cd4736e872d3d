# Collector worker life cycle: workers start with shared_preload_libraries
# and show in pg_stat_activity, the inserter waits for CREATE EXTENSION
# (keeping what arrives meanwhile), SIGHUP reloads allowed_exporters, a
# killed inserter restarts without losing queued data, shutdown is clean,
# and CREATE EXTENSION works without preloading.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

# --- without preloading: the extension works, the collector does not run ---
my $plain = PostgreSQL::Test::Cluster->new('plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', 'CREATE EXTENSION netflow');
is($plain->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	'0', 'CREATE EXTENSION without preloading works');
is($plain->safe_psql('postgres', 'SELECT count(*) FROM netflow.collector_stats'),
	'0', 'collector_stats is empty without preloading');
is( $plain->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'netflow%'"),
	'0', 'no collector worker without preloading');
$plain->stop;

# --- with preloading ---------------------------------------------------------
my ($node, $port) = collector_node('collector', workers => 2);
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 3 FROM pg_stat_activity WHERE backend_type IN ('netflow receiver', 'netflow inserter')"
	),
	'two receivers and one inserter run');
is( $node->safe_psql('postgres',
		"SELECT string_agg(backend_type, ',' ORDER BY backend_type) FROM pg_stat_activity WHERE backend_type LIKE 'netflow%'"
	),
	'netflow inserter,netflow receiver,netflow receiver',
	'backend_type names of the workers');
ok($node->wait_for_log(qr/netflow inserter is waiting for CREATE EXTENSION netflow in database "postgres"/),
	'inserter logs that it waits for the extension');
ok($node->wait_for_log(qr/netflow receiver 1 listening on 127\.0\.0\.1:$port/),
	'receiver logs its address and receive buffer');

# flows sent before CREATE EXTENSION wait in the queue
my $early = flowgen("-p $port -v 5 -n 600 -r 0 -t 1700000000");
is($early->{flows}, 600, 'flowgen sent 600 flows before CREATE EXTENSION');
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok(wait_for_flows($node, 600), 'flows received before CREATE EXTENSION are inserted');
is( $node->safe_psql('postgres', 'SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows'),
	"600|$early->{packets}|$early->{bytes}",
	'every early flow with exact packets and bytes');
ok($node->log_contains(qr/netflow inserter found the netflow extension/),
	'inserter logs that it found the extension');

# stats views
is($node->safe_psql('postgres',
		"SELECT string_agg(worker_type || worker_id, ',' ORDER BY worker_type, worker_id) FROM netflow.collector_stats"),
	'inserter1,receiver1,receiver2', 'collector_stats has one row per worker');
is($node->safe_psql('postgres',
		"SELECT sum(datagrams) FILTER (WHERE worker_type = 'receiver'), max(flows_inserted), max(flows_decoded) FROM netflow.collector_stats"),
	"$early->{datagrams}|600|600", 'counters: datagrams received, flows decoded and inserted');
ok($node->safe_psql('postgres',
		"SELECT bool_and(rcvbuf_granted > 0) FROM netflow.collector_stats WHERE worker_type = 'receiver'") eq 't',
	'receivers report the granted receive buffer');

# --- SIGHUP: allowed_exporters ------------------------------------------------
$node->safe_psql('postgres', "ALTER SYSTEM SET netflow.allowed_exporters = '192.0.2.0/24, 2001:db8::/32'");
$node->reload;
# wait until the receivers apply it: probe datagrams until one is refused
my $refused_before;
for (1 .. 200)
{
	flowgen("-p $port -v 5 -n 1 -r 0 -t 1600000000");
	$refused_before = stat_value($node, 'drop_not_allowed');
	last if $refused_before > 0;
	select(undef, undef, undef, 0.1);
}
ok($refused_before > 0, 'after reload, datagrams from 127.0.0.1 are refused');
# flowgen sends from one socket, so SO_REUSEPORT hands all of it to the
# receiver that refused the probe (same 4-tuple hash is not guaranteed:
# both receivers have reloaded once the count below is reached)
my $refused = flowgen("-p $port -v 5 -n 300 -r 0 -t 1710000000");
ok( $node->poll_query_until('postgres',
		"SELECT sum(drop_not_allowed) >= $refused_before + $refused->{datagrams} FROM netflow.collector_stats"),
	'refused datagrams are counted as drop_not_allowed');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM netflow.flows WHERE time_start >= '2024-03-09' AND time_start < '2024-03-11'"),
	'0', 'refused flows never reach the table');
is( $node->safe_psql('postgres', "SELECT count >= $refused->{datagrams} FROM netflow.drop_counters WHERE reason = 'drop_not_allowed'"),
	't', 'drop_counters shows drop_not_allowed');

$node->safe_psql('postgres', "ALTER SYSTEM SET netflow.allowed_exporters = '127.0.0.0/8'");
$node->reload;
my $probe_ok = 0;
for (1 .. 200)
{
	flowgen("-p $port -v 5 -n 1 -r 0 -t 1500000000");
	if ($node->safe_psql('postgres',
			"SELECT count(*) > 0 FROM netflow.flows WHERE time_start < '2018-01-01'") eq 't')
	{
		$probe_ok = 1;
		last;
	}
	select(undef, undef, undef, 0.2);
}
ok($probe_ok, 'after a second reload 127.0.0.0/8 is accepted again');

# an invalid value is rejected by the check hook
my ($rc, $out, $err) = $node->psql('postgres',
	"ALTER SYSTEM SET netflow.allowed_exporters = '10.0.0.0/33'");
isnt($rc, 0, 'invalid allowed_exporters is rejected');
like($err, qr/invalid value for parameter "netflow.allowed_exporters"/, 'with a clear message');
($rc, $out, $err) = $node->psql('postgres', "ALTER SYSTEM SET netflow.listen = '::1:2055'");
isnt($rc, 0, 'unbracketed IPv6 listen address is rejected');

# --- the inserter restarts after being terminated; queued data survives -------
my $old_pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE backend_type = 'netflow inserter'");
my $base = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows');
$node->safe_psql('postgres', "SELECT pg_terminate_backend($old_pid)");
ok($node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = $old_pid"),
	'inserter stopped');
my $while_down = flowgen("-p $port -v 5 -n 900 -r 0 -t 1720000000");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM pg_stat_activity WHERE backend_type = 'netflow inserter' AND pid <> $old_pid"),
	'inserter restarted');
ok(wait_for_flows($node, 900, "time_start >= '2024-07-03' AND time_start < '2024-07-05'"),
	'flows received while the inserter was down are inserted');
is( $node->safe_psql('postgres',
		"SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows WHERE time_start >= '2024-07-03' AND time_start < '2024-07-05'"),
	"900|$while_down->{packets}|$while_down->{bytes}",
	'exactly the flows sent while it was down');
ok($node->log_contains(qr/netflow inserter stopped after flushing everything/),
	'terminated inserter flushed before exiting');

# --- clean shutdown --------------------------------------------------------------
assert_no_crash($node, $start_time, 'lifecycle');
$node->stop('fast');
ok(!$node->log_contains(qr/terminated by signal/), 'fast shutdown without crash');
like(slurp_file($node->logfile), qr/netflow inserter stopped/, 'inserter logged its shutdown');

# --- collector disabled by an empty netflow.listen --------------------------------
my ($off) = collector_node('disabled', listen => '');
is( $off->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'netflow%'"),
	'0', 'empty netflow.listen starts no worker');
ok($off->log_contains(qr/netflow collector is disabled/), 'and says so in the log');
$off->stop;

done_testing();
