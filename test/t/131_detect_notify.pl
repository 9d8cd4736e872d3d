# 131_detect_notify.pl -- an attack's flows arriving through the collector
# become an alert that a LISTEN netflow_alert client is notified of, within
# two maintenance runs of the flows arriving.  The scan (sent by
# scripts/demo_traffic.py burst: 80 hosts on 8080, SYN only, NetFlow v5 to
# loopback) is detected on every maintenance run.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use File::Spec;
use lib $FindBin::RealBin;
use CollectorTest;

my $root = $ENV{NETFLOW_ROOT} // File::Spec->rel2abs("$FindBin::RealBin/../..");
my $gen = "$root/scripts/demo_traffic.py";
-f $gen or BAIL_OUT("generator not found: $gen");

my ($node, $port) = collector_node('detect_notify', flush_interval => '100ms',
	conf => "netflow.maintenance_interval = 2\n");
$node->safe_psql('postgres', q{CREATE EXTENSION netflow});
ok( $node->poll_query_until('postgres',
		q{SELECT count(*) >= 1 FROM netflow.maintenance_log WHERE status = 'ok'}),
	'maintenance runs by itself');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.alerts'), '0', 'no alert before the attack');

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN netflow_alert');

my $label = `python3 '$gen' burst --port $port`;
is($?, 0, 'the generator sent the scan');
like($label, qr/"src_addr": "([0-9.]+)"/, 'the label names the scanner');
my ($scanner) = $label =~ /"src_addr": "([0-9.]+)"/;

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 80 FROM netflow.flows WHERE src_addr = '$scanner'"),
	'the 80 scan flows are stored');

# Wait for the notification: psql prints it after the next query.
my $notified = 0;
my $guard = time() + $PostgreSQL::Test::Utils::timeout_default;
while (time() < $guard)
{
	my $out = $listener->query_safe('SELECT 1');
	if ($listener->{stdout} =~ /netflow_alert" with payload "(\d+)"/ || $out =~ /netflow_alert" with payload "(\d+)"/)
	{
		$notified = $1;
		last;
	}
	sleep 1;
}
ok($notified, "a LISTEN client got NOTIFY netflow_alert (id $notified)");
is( $node->safe_psql('postgres', "SELECT kind || ' ' || host(src_addr) || ' ' || dst_port FROM netflow.alerts WHERE id = $notified"),
	"scan $scanner 8080", 'the notified alert is the scan, with the scanner and the port');
# Maintenance runs that ended after the first scan flow arrived, up to and
# including the run that made the alert (its transaction started at
# created_at; the next run starts netflow.maintenance_interval = 2 s later).
my $runs = $node->safe_psql('postgres', qq{
	SELECT count(*) FROM netflow.maintenance_log
	WHERE finished >= (SELECT min(time_received) FROM netflow.flows WHERE src_addr = '$scanner')
	  AND started < (SELECT created_at + interval '1 second' FROM netflow.alerts WHERE id = $notified)});
cmp_ok($runs, '>=', 1, "the run that made the alert is counted ($runs)");
cmp_ok($runs, '<=', 2, "alert made within two maintenance runs of the flows arriving ($runs)");
$listener->quit;
$node->stop;
done_testing();
