# Learned decoder state is bounded per sender and saved bounded (issue 10,
# defects 3, 4, 9 and 14).
#
# A real NetFlow v9 exporter (127.0.0.2, source id 77, sampled 1 in 100,
# template 400) sends data while 127.0.0.1 floods: 5,000 source ids (one
# stream each) and 3,000 template ids.  Then:
# - the flooder keeps at most 256 streams and 2,048 templates, in memory and
#   in netflow.exporter_state / netflow.templates (evicted ones deleted);
# - the real exporter's data still decodes at once with its 1 in 100;
# - withdrawn templates are deleted from netflow.templates;
# - after DROP EXTENSION / CREATE EXTENSION the inserter saves the templates
#   and sampling rates it holds again;
# - at start, 5,000 saved junk streams do not push out the real exporter's
#   template: data decodes at once; the junk beyond the bound is refused,
#   counted (state_not_loaded) and deleted;
# - 30,000 templates from 15 addresses leave netflow.templates with the
#   16,384 the decoder keeps (the inserter's peak RSS is printed).
use strict;
use warnings;

use IO::Socket::INET;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('state_bounds',
	conf => "netflow.rcvbuf = '8MB'\n");
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

my $t = 1767225600;

# Send datagrams from a given loopback address.
sub send_from
{
	my ($from, @datagrams) = @_;
	my $s = IO::Socket::INET->new(
		Proto => 'udp',
		LocalAddr => $from,
		PeerAddr => '127.0.0.1',
		PeerPort => $port) or die "socket: $!";
	for my $d (@datagrams)
	{
		defined $s->send($d) or die "send: $!";
	}
	close $s;
}

# A v9 datagram: header then flowsets.
sub v9
{
	my ($seq, $source_id, @sets) = @_;
	return pack('nnNNNN', 9, scalar @sets, 7_200_000 + $seq, $t, $seq,
		$source_id) . join('', @sets);
}

# A flowset with id $id holding $body, padded to 4 bytes.
sub flowset
{
	my ($id, $body) = @_;
	my $pad = (4 - (4 + length $body) % 4) % 4;
	return pack('nn', $id, 4 + length($body) + $pad) . $body . ("\0" x $pad);
}

# Template record: id and (element, length) pairs.
sub template
{
	my ($id, @f) = @_;
	return pack('nn', $id, scalar @f) . join('', map { pack('nn', @$_) } @f);
}

# the real exporter: options template 300 (scope System; 34 interval, 35
# algorithm), exporter-wide 1 in 100, data template 400 (src, dst, packets,
# bytes)
my $opt = flowset(1,
	pack('nnn', 300, 4, 8) . pack('nn', 1, 4) . pack('nnnn', 34, 4, 35, 1));
my $rate = flowset(300, pack('NNC', 0, 100, 1));
my $t400 = flowset(0, template(400, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ]));

# one data record of template 400: 10.77.0.$i -> 192.0.2.1, $i packets
sub rec400
{
	my ($i) = @_;
	return flowset(400,
		pack('a4a4NN', pack('C4', 10, 77, 0, $i), pack('C4', 192, 0, 2, 1),
			$i, 100 * $i));
}

my $seq = 1;
send_from('127.0.0.2', v9($seq++, 77, $opt, $rate, $t400, rec400(1)));
ok(wait_for_flows($node, 1, "exporter = '127.0.0.2'"), 'real exporter: first flow');
is( $node->safe_psql('postgres',
		"SELECT sampling_interval FROM netflow.flows WHERE exporter = '127.0.0.2'"),
	'100', 'real exporter: sampled 1 in 100');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM netflow.templates WHERE exporter = '127.0.0.2'"),
	'real exporter: its two templates are saved');

# --- the flood from 127.0.0.1 -------------------------------------------------
# 3,000 template ids on source id 1, 300 per datagram
for my $k (0 .. 9)
{
	send_from('127.0.0.1',
		v9($k + 1, 1,
			flowset(0, join('', map { template(1000 + 300 * $k + $_, [ 8, 4 ], [ 1, 4 ]) } 0 .. 299))));
	usleep(20_000);
}
# 5,000 source ids, one stream each, with a template each
for my $i (0 .. 4999)
{
	send_from('127.0.0.1',
		v9(1, 10_000 + $i, flowset(0, template(256, [ 8, 4 ], [ 1, 4 ]))));
	usleep(1000) if $i % 50 == 0;
}
ok( $node->poll_query_until('postgres',
		"SELECT sum(datagrams) >= 4500 FROM netflow.collector_stats"),
	'the flood was received');

# the real exporter again: data only
send_from('127.0.0.2', v9($seq++, 77, rec400(2)));
ok(wait_for_flows($node, 2, "exporter = '127.0.0.2'"),
	'real exporter: data after the flood decodes at once (template kept)');
is( $node->safe_psql('postgres',
		"SELECT sampling_interval FROM netflow.flows WHERE exporter = '127.0.0.2' AND packets = 2"),
	'100', 'real exporter: still sampled 1 in 100 after the flood');

ok( $node->poll_query_until('postgres',
		"SELECT count(*) BETWEEN 1 AND 256 FROM netflow.exporter_state WHERE exporter = '127.0.0.1'"),
	'flooder: at most 256 streams saved in netflow.exporter_state');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) BETWEEN 1 AND 2048 FROM netflow.templates WHERE exporter = '127.0.0.1'"),
	'flooder: at most 2048 templates saved in netflow.templates');
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM netflow.exporters WHERE exporter = '127.0.0.1'") <= 256 ? 'bounded' : 'not',
	'bounded', 'flooder: at most 256 streams in the exporters view');
ok( $node->safe_psql('postgres',
		"SELECT sum(exporters_evicted) > 4000 AND sum(templates_evicted) > 900 FROM netflow.collector_stats") eq 't',
	'evictions are counted');
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM netflow.collector_workers() WHERE worker_type = 'inserter'");
if ($pid =~ /^\d+$/ && -r "/proc/$pid/status")
{
	my ($hwm) = slurp_file("/proc/$pid/status") =~ /VmHWM:\s+(\d+ kB)/;
	diag("inserter peak RSS after the flood: $hwm");
}

# --- withdrawn templates are deleted ------------------------------------------
# IPFIX from 127.0.0.3, domain 5: templates 256-260, then withdraw all
sub ipfix
{
	my ($sq, $domain, @sets) = @_;
	my $body = join('', @sets);
	return pack('nnNNN', 10, 16 + length $body, $t, $sq, $domain) . $body;
}
send_from('127.0.0.3',
	ipfix(0, 5, flowset(2, join('', map { template($_, [ 8, 4 ], [ 1, 4 ]) } 256 .. 260))));
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 5 FROM netflow.templates WHERE exporter = '127.0.0.3'"),
	'IPFIX templates saved');
send_from('127.0.0.3', ipfix(0, 5, flowset(2, pack('nn', 2, 0))));
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 0 FROM netflow.templates WHERE exporter = '127.0.0.3'"),
	'withdrawn templates are deleted from netflow.templates');

# --- DROP EXTENSION / CREATE EXTENSION ----------------------------------------
$node->safe_psql('postgres', 'DROP EXTENSION netflow');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
send_from('127.0.0.2', v9($seq++, 77, rec400(3)));
ok(wait_for_flows($node, 1, "exporter = '127.0.0.2'"),
	'recreated: the held template still decodes');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM netflow.templates WHERE exporter = '127.0.0.2'"),
	'recreated: the templates the inserter holds are saved again');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM netflow.sampling WHERE exporter = '127.0.0.2' AND sampling_interval = 100"),
	'recreated: the sampling rate the inserter holds is saved again');

# --- restart with 5,000 saved junk streams -------------------------------------
$node->safe_psql('postgres',
	"INSERT INTO netflow.exporter_state (exporter, obs_domain, version, next_sequence, last_seen, updated_at)"
	  . " SELECT '127.0.0.9', g, 9, 1, now() - interval '1 day', now() FROM generate_series(1, 5000) g");
ok( $node->poll_query_until('postgres',
		"SELECT count(*) >= 1 FROM netflow.exporter_state WHERE exporter = '127.0.0.2'"),
	'the real exporter\'s sequence state is saved');
$node->restart;
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter restarted');
my $before = $node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.flows WHERE exporter = '127.0.0.2'");
send_from('127.0.0.2', v9($seq++, 77, rec400(4)));
ok(wait_for_flows($node, $before + 1, "exporter = '127.0.0.2'"),
	'after the restart: data decodes at once with the loaded template');
is( $node->safe_psql('postgres',
		"SELECT sampling_interval FROM netflow.flows WHERE exporter = '127.0.0.2' AND packets = 4"),
	'100', 'after the restart: with the loaded 1 in 100');
is(stat_value($node, 'pending_buffered'), '0',
	'after the restart: no data waited for a template');
is( $node->safe_psql('postgres',
		"SELECT sum(value) >= 4744 FROM netflow.collector_counters() WHERE counter = 'state_not_loaded'"),
	't', 'junk streams beyond the bound are refused and counted (state_not_loaded)');
is( $node->safe_psql('postgres',
		"SELECT count(*) <= 256 FROM netflow.exporter_state WHERE exporter = '127.0.0.9'"),
	't', 'and deleted from netflow.exporter_state');

# --- 30,000 templates from 15 addresses: the total bound ----------------------
for my $a (20 .. 34)
{
	for my $k (0 .. 6)
	{
		my $n = $k < 6 ? 300 : 200;
		send_from("127.0.0.$a",
			v9($k + 1, 1,
				flowset(0, join('', map { template(1000 + 300 * $k + $_, [ 8, 4 ], [ 1, 4 ]) } 0 .. $n - 1))));
	}
	usleep(20_000);
}
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 16384 FROM netflow.templates"),
	'30,000 templates: netflow.templates holds the 16,384 the decoder keeps');
$pid = $node->safe_psql('postgres',
	"SELECT pid FROM netflow.collector_workers() WHERE worker_type = 'inserter'");
if ($pid =~ /^\d+$/ && -r "/proc/$pid/status")
{
	my ($hwm) = slurp_file("/proc/$pid/status") =~ /VmHWM:\s+(\d+ kB)/;
	diag("inserter peak RSS after 30,000 templates: $hwm");
}

my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
assert_no_crash($node, $start_time, 'state bounds');
$node->stop('fast');
done_testing();
