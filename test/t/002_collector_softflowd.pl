# End to end with a real exporter: softflowd reads a deterministic capture
# (written by collector_pcap.py with scapy: TCP, UDP, ICMP over IPv4 and
# IPv6, fixed timestamps) and exports NetFlow v5, v9 and IPFIX to the
# collector.  Flows, packets and bytes per directional 5-tuple in
# netflow.flows must equal what the capture holds (v5 carries IPv4 only).
# Malformed datagrams are mixed into the stream: no crash, every valid flow
# around them is stored, and the drops are counted.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('softflowd', workers => 2);
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

# --- the capture and what it holds -------------------------------------------
my $tmp = $PostgreSQL::Test::Utils::tmp_check;
my $pcap = "$tmp/softflowd.pcap";
my @expected_lines =
  `/usr/bin/python3 $FindBin::RealBin/collector_pcap.py $pcap`;
is($?, 0, 'capture written');
chomp @expected_lines;
cmp_ok(scalar @expected_lines, '>=', 40, 'capture holds at least 40 directional flows');
ok((grep { /^6 / } @expected_lines) >= 10, 'capture holds IPv6 flows');
ok((grep { /^4 \S+ \S+ 1 / } @expected_lines) >= 4, 'capture holds ICMP flows');

# --- malformed datagrams -------------------------------------------------------
srand(42);
my $garbage = join('', map { chr(int(rand(256))) } 1 .. 1000);
my $v5_hdr = sub { pack('nnNNNNCCn', 5, $_[0], 1000, 1700000000, 0, 0, 0, 0, 0) };
my $ipfix_hdr = sub { pack('nnNNN', 10, $_[0], 1700000000, 0, 77) };
my @malformed = (
	'',                                           # empty
	"\x00\x05\x00",                               # shorter than any header
	pack('n', 7) . ("\0" x 40),                   # unknown version
	$v5_hdr->(30) . ("\0" x 96),                  # v5 count says 30, holds 2
	$v5_hdr->(65535),                             # v5 absurd count
	$ipfix_hdr->(2000) . ("\0" x 20),             # IPFIX length > datagram
	$ipfix_hdr->(24) . pack('nn', 2, 0) . "\0\0\0\0",    # set length 0
	$ipfix_hdr->(28) . pack('nn', 2, 12) . pack('nnnn', 300, 60000, 1, 4), # huge field count
	pack('nnNNNN', 9, 1, 1000, 1700000000, 0, 5) . pack('nn', 0, 2),    # v9 flowset length 2
	$garbage,
	pack('n', 10) . pack('n', 65000) . substr($garbage x 66, 0, 64996),  # jumbo garbage
	$ipfix_hdr->(16 + 16)
	  . pack('nn', 2, 16) . pack('nnnnnn', 310, 2, 8, 4, 82, 65535),    # template with var-length field
	$ipfix_hdr->(16 + 4 + 4 + 3)
	  . pack('nn', 310, 11) . pack('a4', "\x0a\0\0\x01") . pack('Ca2', 200, 'ab'), # var-len past end
);
my $n_malformed = scalar @malformed;

# valid flows between them: flowgen v5 and IPFIX datagrams written to files
sub read_datagrams
{
	my ($file) = @_;
	open my $fh, '<:raw', $file or die "$file: $!";
	local $/;
	my $all = <$fh>;
	close $fh;
	my @d;
	while (length $all >= 4)
	{
		my $len = unpack('N', substr($all, 0, 4));
		push @d, substr($all, 4, $len);
		$all = substr($all, 4 + $len);
	}
	return @d;
}
my $v5_file = "$tmp/valid-v5.bin";
my $ipfix_file = "$tmp/valid-ipfix.bin";
my $valid_v5 = flowgen("-v 5 -n 900 -t 1764547200 -w $v5_file");          # 2025-12-01
my $valid_ipfix = flowgen("-v 10 -n 900 -o 3 -t 1764633600 -w $ipfix_file"); # 2025-12-02
my @valid = (read_datagrams($v5_file), read_datagrams($ipfix_file));
is(scalar @valid, 60, '60 valid datagrams to mix in');

# send: malformed, valid, malformed, ... (each malformed datagram 4-5 times)
my @stream;
for my $i (0 .. $#valid)
{
	push @stream, $malformed[ $i % $n_malformed ], $valid[$i];
}
my @chunks = map { [ @stream[ $_ * 30 .. $_ * 30 + 29 ] ] } 0 .. 3;
send_udp($port, @{ $chunks[0] });

# --- softflowd, one run per version, with the rest of the mix in between -----
my %version_total;
for my $v (5, 9, 10)
{
	my $rc = system("softflowd -r $pcap -c none -a -v $v -n 127.0.0.1:$port >$tmp/softflowd-v$v.log 2>&1");
	is($rc, 0, "softflowd -v $v ran");
	send_udp($port, @{ $chunks[ $v == 5 ? 1 : $v == 9 ? 2 : 3 ] });
}

# expected per version
my %expect;
for my $v (5, 9, 10)
{
	my @lines = $v == 5 ? grep { /^4 / } @expected_lines : @expected_lines;
	$expect{$v} = join("\n", sort @lines);
	$version_total{$v} = scalar @lines;
}

my $per_key = sub {
	my ($v) = @_;
	my $rows = $node->safe_psql(
		'postgres', qq{
		SELECT family(src_addr), host(src_addr), host(dst_addr), protocol,
			CASE WHEN protocol IN (6, 17) THEN src_port::text ELSE '-' END,
			CASE WHEN protocol IN (6, 17) THEN dst_port::text ELSE '-' END,
			sum(packets), sum(bytes)
		FROM netflow.flows
		WHERE version = $v AND time_start >= '2025-12-31 23:00' AND time_start < '2026-01-02'
		GROUP BY 1, 2, 3, 4, 5, 6});
	return join("\n", sort map { s/\|/ /gr } split /\n/, $rows);
};

for my $v (5, 9, 10)
{
	ok( $node->poll_query_until('postgres',
			"SELECT count(DISTINCT (src_addr, dst_addr, protocol, src_port, dst_port)) >= $version_total{$v} FROM netflow.flows WHERE version = $v AND time_start >= '2025-12-31 23:00' AND time_start < '2026-01-02'"
		),
		"v$v flows arrived");
	is($per_key->($v), $expect{$v},
		"v$v: packets and bytes per 5-tuple equal the capture");
}
is( $node->safe_psql('postgres',
		"SELECT count(*) FROM netflow.flows WHERE version = 5 AND family(src_addr) = 6"),
	'0', 'v5 carries no IPv6 flow');
my $n6 = grep { /^6 / } @expected_lines;
is( $node->safe_psql('postgres',
		"SELECT count(DISTINCT (version, src_addr, dst_addr, protocol, src_port, dst_port)) FROM netflow.flows WHERE version IN (9, 10) AND family(src_addr) = 6 AND time_start >= '2025-12-31 23:00'"),
	2 * $n6, 'every IPv6 flow stored for v9 and for IPFIX');

# --- the valid flows around the malformed datagrams -----------------------------
ok(wait_for_flows($node, 1800, "time_start >= '2025-11-30' AND time_start < '2025-12-03'"),
	'valid flowgen flows arrived');
is( $node->safe_psql('postgres',
		"SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows WHERE version = 5 AND time_start >= '2025-11-30' AND time_start < '2025-12-02'"),
	"900|$valid_v5->{packets}|$valid_v5->{bytes}",
	'every valid v5 flow between malformed datagrams is stored exactly');
is( $node->safe_psql('postgres',
		"SELECT count(*), sum(packets), sum(bytes) FROM netflow.flows WHERE version = 10 AND obs_domain = 3"),
	"900|$valid_ipfix->{packets}|$valid_ipfix->{bytes}",
	'every valid IPFIX flow between malformed datagrams is stored exactly');

# --- counters --------------------------------------------------------------------
ok( $node->poll_query_until('postgres',
		"SELECT sum(drop_short) > 0 AND sum(drop_bad_version) > 0 AND sum(drop_bad_length) > 0 FROM netflow.collector_stats"
	),
	'malformed datagrams are counted (short, bad version, bad length)');
is(stat_value($node, 'drop_truncated'), '0', 'the 65000-byte datagram was not truncated');
is(stat_value($node, 'drop_queue_full'), '0', 'no queue overflow');
my $received = $node->safe_psql('postgres',
	"SELECT sum(datagrams) FROM netflow.collector_stats WHERE worker_type = 'receiver'");
my $decoded = $node->safe_psql('postgres',
	"SELECT datagrams FROM netflow.collector_stats WHERE worker_type = 'inserter'");
is($decoded, $received, 'the inserter decoded every datagram the receivers read');

diag($node->safe_psql('postgres',
		"SELECT string_agg(worker_type || worker_id || ' ' || counter || '=' || value, E'\n') FROM netflow.collector_counters() WHERE value > 0"
	))
  unless Test::More->builder->is_passing;

assert_no_crash($node, $start_time, 'softflowd and malformed input');
$node->stop('fast');
done_testing();
