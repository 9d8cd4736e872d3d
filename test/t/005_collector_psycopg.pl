# A Python client (psycopg 3) reads every column of netflow.flows and of
# the collector's views as native types: ipaddress objects for inet, aware
# datetimes for timestamptz, int for integers.  Data comes in through the
# collector (NetFlow v5 and IPFIX from flowgen, v9 with IPv6 from
# softflowd).
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('psycopg');
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

my $tmp = $PostgreSQL::Test::Utils::tmp_check;
my $v5 = flowgen("-p $port -v 5 -n 300 -r 0 -t 1764547200");
my $ipfix = flowgen("-p $port -v 10 -n 300 -o 4 -r 0 -t 1764633600");
my $pcap = "$tmp/types.pcap";
system("/usr/bin/python3 $FindBin::RealBin/collector_pcap.py $pcap >/dev/null") == 0
  or die "capture";
is(system("softflowd -r $pcap -c none -a -v 9 -n 127.0.0.1:$port >/dev/null 2>&1"),
	0, 'softflowd sent v9 with IPv6');
ok(wait_for_flows($node, 600 + 52), 'flows arrived');
# let the inserter publish the exporter table (about once a second)
ok($node->poll_query_until('postgres', 'SELECT count(*) >= 3 FROM netflow.exporters'),
	'exporters view is populated');

my $out = `/usr/bin/python3 $FindBin::RealBin/collector_types.py '@{[ $node->connstr('postgres') ]}' 2>&1`;
my $rc = $? >> 8;
my @lines = split /\n/, $out;
cmp_ok(scalar(grep { /^ok / } @lines), '>=', 60, 'the Python checks ran');
for my $line (grep { /^(not )?ok / } @lines)
{
	ok($line =~ /^ok /, "python: $line");
}
is($rc, 0, 'the Python client exited successfully');
diag($out) if $rc != 0;

# the exporters view holds the numbers of each stream
is( $node->safe_psql('postgres',
		"SELECT flows, datagrams FROM netflow.exporters WHERE version = 5"),
	"300|$v5->{datagrams}", 'exporters view: v5 stream flows and datagrams');
is( $node->safe_psql('postgres',
		"SELECT flows FROM netflow.exporters WHERE version = 10 AND obs_domain = 4"),
	'300', 'exporters view: IPFIX domain 4 flows');

$node->stop('fast');
done_testing();
