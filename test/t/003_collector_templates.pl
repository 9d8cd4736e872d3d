# Templates survive a restart: an IPFIX and a NetFlow v9 template are
# received and saved in netflow.templates; the server restarts; data sets
# sent afterwards (without any template) are decoded at once.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('templates');
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

# --- IPFIX: flowgen writes 4 messages of 30 flows, the template in the first
my $t = 1767225600;
my $file = "$PostgreSQL::Test::Utils::tmp_check/ipfix.bin";
my $sent = flowgen("-v 10 -n 120 -o 7 -t $t -w $file");
my @ipfix;
{
	open my $fh, '<:raw', $file or die "$file: $!";
	local $/;
	my $all = <$fh>;
	close $fh;
	while (length $all >= 4)
	{
		my $len = unpack('N', substr($all, 0, 4));
		push @ipfix, substr($all, 4, $len);
		$all = substr($all, 4 + $len);
	}
}
is(scalar @ipfix, 4, 'flowgen wrote 4 IPFIX messages');
# the first message has a template set (id 2), the others only data
is(unpack('n', substr($ipfix[0], 16, 2)), 2, 'first message starts with a template set');
cmp_ok(unpack('n', substr($ipfix[1], 16, 2)), '>=', 256, 'later messages hold data only');

# --- NetFlow v9: a template-only packet, then a data-only packet
my $uptime = 3_600_000;
# template 300: src addr, dst addr, src port, dst port, protocol, packets,
# bytes, first switched, last switched
my @fields = ([ 8, 4 ], [ 12, 4 ], [ 7, 2 ], [ 11, 2 ], [ 4, 1 ], [ 2, 4 ],
	[ 1, 4 ], [ 22, 4 ], [ 21, 4 ]);
my $tmpl = pack('nn', 300, scalar @fields) . join('', map { pack('nn', @$_) } @fields);
my $tset = pack('nn', 0, 4 + length $tmpl) . $tmpl;
my $v9_template = pack('nnNNNN', 9, 1, $uptime, $t, 1, 9) . $tset;

my $records = '';
my ($v9_packets, $v9_bytes) = (0, 0);
for my $i (1 .. 20)
{
	my $pk = $i;
	my $by = 100 * $i;
	$v9_packets += $pk;
	$v9_bytes += $by;
	$records .= pack('a4a4nnCNNNN',
		pack('C4', 10, 9, 0, $i), pack('C4', 192, 168, 9, $i),
		40000 + $i, 443, 6, $pk, $by, $uptime - 5000, $uptime - 1000);
}
my $pad = (4 - (4 + length $records) % 4) % 4;
my $dset = pack('nn', 300, 4 + length($records) + $pad) . $records . ("\0" x $pad);
my $v9_data = pack('nnNNNN', 9, 20, $uptime + 1000, $t + 1, 2, 9) . $dset;

send_udp($port, $ipfix[0], $v9_template);
ok(wait_for_flows($node, 30), 'flows of the first IPFIX message arrive');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM netflow.templates WHERE exporter = '127.0.0.1'"),
	'both templates are saved in netflow.templates');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(version || ':' || obs_domain || ':' || template_id || ':' || is_options, ',' ORDER BY version) FROM netflow.templates}),
	'9:9:300:false,10:7:256:false', 'saved template keys');
is(stat_value($node, 'templates_saved'), '2', 'templates_saved counts the two rows');

# --- restart, then data only -------------------------------------------------
$node->restart;
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
ok($node->wait_for_log(qr/netflow inserter loaded 2 saved templates \(0 rejected\)/),
	'the new inserter loads the saved templates');

send_udp($port, @ipfix[ 1 .. 3 ], $v9_data);
ok(wait_for_flows($node, 140), 'data sent after the restart is decoded');
is( $node->safe_psql('postgres',
		"SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows WHERE version = 10"),
	"120|$sent->{packets}|$sent->{bytes}", 'all 120 IPFIX flows with exact totals');
is( $node->safe_psql('postgres',
		"SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows WHERE version = 9"),
	"20|$v9_packets|$v9_bytes", 'all 20 v9 flows with exact totals');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM netflow.flows WHERE version = 9 AND src_addr << '10.9.0.0/24' AND dst_port = 443 AND protocol = 6 AND obs_domain = 9"),
	'20', 'v9 fields decoded with the saved template');
is(stat_value($node, 'pending_buffered'), '0',
	'no data set had to wait for a template after the restart');

# a withdrawn template is deleted: IPFIX template withdrawal (field count 0)
my $withdraw = pack('nnNNN', 10, 16 + 8, $t + 10, 1000, 7)
  . pack('nn', 2, 8) . pack('nn', 256, 0);
send_udp($port, $withdraw);
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM netflow.templates WHERE version = 10"),
	'withdrawn IPFIX template is deleted from netflow.templates');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.templates'), '1',
	'the v9 template stays');

assert_no_crash($node, $start_time, 'templates');
$node->stop('fast');
done_testing();
