# 099_hostile_traffic.pl -- hostile traffic, all in one run, mixed with a real exporter's stream
# (issue 10's acceptance test).  A real NetFlow v9 exporter on 127.0.0.2
# announces an exporter-wide sampling of 1 in 100 and sends flows dated
# now, before, between and after five attacks from other loopback sources:
#
#   127.0.0.3  one ~37 KB IPFIX datagram of 2,300 records on 2,300
#              different past days, and a few far in the future (defect 1)
#   127.0.0.4  a new stream per datagram: v9 source ids, IPFIX observation
#              domains, v5 engine ids (defect 3)
#   127.0.0.5  5,000 junk datagrams teaching "1 in 1" sampling on new
#              streams, to evict the real exporter's state (defect 4)
#   127.0.0.6  30,000 templates (defect 9)
#   127.0.0.7  templates whose ids collide in a small hash table, and 1,024
#              data sets waiting for templates that never come (defect 12)
#
# Afterwards: every flow of the real exporter is stored with its sampling
# interval, no partition was created outside the collector's window, the
# inserter's peak memory is bounded (printed), the per-sender state is
# bounded, ingest still flows, and no process crashed.
use strict;
use warnings;

use IO::Socket::INET;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('hostile',
	queue_size => '256MB',
	conf => "netflow.batch_size = 20000\n");
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

my $now = time;
my $parts_sql = q{SELECT string_agg(c.relname, ',' ORDER BY c.relname)
	FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
	WHERE i.inhparent = 'netflow.flows'::regclass};
my %parts_before = map { $_ => 1 } split /,/, $node->safe_psql('postgres', $parts_sql);

# --- datagram builders ----------------------------------------------------

# Send datagrams to the collector from a given loopback source address.
sub send_from
{
	my ($src, @datagrams) = @_;
	my $s = IO::Socket::INET->new(
		Proto => 'udp',
		LocalAddr => $src,
		PeerAddr => '127.0.0.1',
		PeerPort => $port) or die "socket: $!";
	my $n = 0;
	for my $d (@datagrams)
	{
		defined $s->send($d) or die "send: $!";
		# let the receiver keep up with bursts: the kernel buffer is small
		select(undef, undef, undef, 0.002) if ++$n % 200 == 0;
	}
	close $s;
}

# A v9 or IPFIX set: id, body, padded to 4 bytes.
sub set
{
	my ($id, $body) = @_;
	my $pad = (4 - (4 + length $body) % 4) % 4;
	return pack('nn', $id, 4 + length($body) + $pad) . $body . ("\0" x $pad);
}

# A template record: id and (element, length) pairs.
sub template
{
	my ($id, @f) = @_;
	return pack('nn', $id, scalar @f) . join('', map { pack('nn', @$_) } @f);
}

# A v9 datagram with sysUptime $up (ms) and export time $secs.
sub v9
{
	my ($seq, $source_id, $up, $secs, @sets) = @_;
	return pack('nnNNNN', 9, scalar @sets, $up, $secs, $seq, $source_id)
	  . join('', @sets);
}

# An IPFIX message.
sub ipfix
{
	my ($seq, $domain, $secs, @sets) = @_;
	my $body = join('', @sets);
	return pack('nnNNN', 10, 16 + length $body, $secs, $seq, $domain) . $body;
}

# A v5 datagram with one record, engine type/id and sampling from the header.
sub v5
{
	my ($seq, $engine, $secs) = @_;
	my $rec = pack('a4a4a4nnNNNNnnCCCCnnCCn',
		pack('C4', 10, 99, 0, 1), pack('C4', 10, 99, 0, 2), "\0\0\0\0",
		0, 0, 1, 100, 1000, 2000, 1234, 80, 0, 0, 6, 0, 0, 0, 24, 24, 0);
	return pack('nnNNNNCCn', 5, 1, 3_000, $secs, 0, $seq, $engine >> 8,
		$engine & 255, 0) . $rec;
}

# --- the real exporter: v9 on 127.0.0.2, source id 7, 1 in 100 --------------
my $real_up = 10_000_000;
my $real_seq = 0;
my $real_sent = 0;
my $t_real = template(256, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ], [ 22, 4 ],
	[ 21, 4 ]);
my $opt_tmpl = pack('nnn', 300, 4, 8) . pack('nn', 1, 4)
  . pack('nnnn', 34, 4, 35, 1);

# One datagram of the real exporter with 20 flows dated now; the first
# carries the options template, the exporter-wide rate and the template.
sub real_datagram
{
	my ($first) = @_;
	$real_up += 1000;
	my $secs = time;
	my $recs = '';
	for my $i (1 .. 20)
	{
		$recs .= pack('a4a4NNNN', pack('C4', 10, 2, $real_seq % 250, $i),
			pack('C4', 192, 0, 2, 10), 3, 300, $real_up - 2000, $real_up - 1000);
	}
	$real_sent += 20;
	my @sets = ();
	push @sets, set(1, $opt_tmpl), set(300, pack('NNC', 0, 100, 1)),
	  set(0, $t_real)
	  if $first;
	push @sets, set(256, $recs);
	return v9($real_seq++, 7, $real_up, $secs, @sets);
}

send_from('127.0.0.2', real_datagram(1), map { real_datagram(0) } 1 .. 9);
ok(wait_for_flows($node, $real_sent, q{exporter = '127.0.0.2'}),
	'the real exporter is stored before the attacks');

# --- defect 1: 2,300 records on 2,300 past days, and far-future ones -----
{
	my $tmpl = template(400, [ 150, 4 ], [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ]);
	my $recs = '';
	for my $d (1 .. 2300)
	{
		$recs .= pack('Na4a4NN', $now - (30 + $d) * 86400,
			pack('C4', 10, 3, $d >> 8, $d & 255), pack('C4', 10, 3, 0, 1), 1, 64);
	}
	for my $y (1 .. 20)
	{
		$recs .= pack('Na4a4NN', $now + $y * 200 * 86400,
			pack('C4', 10, 3, 255, $y), pack('C4', 10, 3, 0, 1), 1, 64);
	}
	my $msg = ipfix(1, 1, $now, set(2, $tmpl), set(400, $recs));
	cmp_ok(length $msg, '>', 36_000, 'the days datagram is about 37 KB');
	send_from('127.0.0.3', $msg, $msg, $msg);
}
send_from('127.0.0.2', map { real_datagram(0) } 1 .. 5);

# --- defect 3: a new stream per datagram from one address ------------------
{
	my $tmpl = template(256, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ]);
	my $rec = pack('a4a4NN', pack('C4', 10, 4, 0, 1), pack('C4', 10, 4, 0, 2), 1, 64);
	my @d;
	push @d, v9(0, $_, 1000, $now, set(0, $tmpl), set(256, $rec)) for 1 .. 20_000;
	push @d, ipfix(0, 100_000 + $_, $now, set(2, $tmpl), set(256, $rec)) for 1 .. 10_000;
	push @d, v5(0, $_, $now) for 1 .. 10_000;
	send_from('127.0.0.4', @d);
}
send_from('127.0.0.2', map { real_datagram(0) } 1 .. 5);

# --- defect 4: 5,000 datagrams teaching 1 in 1 on new streams --------------
{
	my @d;
	for my $id (1 .. 5000)
	{
		push @d, v9(0, 7 + $id * 3, 1000, $now, set(1, $opt_tmpl),
			set(300, pack('NNC', 0, 1, 1)));
	}
	send_from('127.0.0.5', @d);
}
send_from('127.0.0.2', map { real_datagram(0) } 1 .. 5);

# --- defect 9: 30,000 templates ---------------------------------------------
{
	my @d;
	for my $source (1 .. 3)
	{
		for my $block (0 .. 99)
		{
			my $body = join('', map {
				template(256 + $block * 100 + $_, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ],
					[ 1, 4 ], [ 7, 2 ], [ 11, 2 ])
			} 0 .. 99);
			push @d, v9($block, 1000 + $source, 1000, $now, set(0, $body));
		}
	}
	send_from('127.0.0.6', @d);
}
send_from('127.0.0.2', map { real_datagram(0) } 1 .. 5);

# --- defect 12: colliding template ids, data sets waiting for nothing ------
{
	my @d;
	# 1,500 template ids equal modulo 32 (and modulo every small power of 2)
	my $body = join('', map {
		template(256 + 32 * $_, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ])
	} 0 .. 1500);
	my @chunks = unpack('(a12)*', $body);	# 12 bytes per template record
	while (@chunks)
	{
		push @d, ipfix(0, 77, $now, set(2, join('', splice(@chunks, 0, 4000))));
	}
	# 64 KB of data sets naming the last template: one long chain walk each
	my $rec = pack('a4a4NN', pack('C4', 10, 7, 0, 1), pack('C4', 10, 7, 0, 2), 1, 64);
	my $last = 256 + 32 * 1500;
	my $sets = join('', map { set($last, $rec) } 1 .. 2000);
	push @d, ipfix(1, 77, $now, $sets) for 1 .. 20;
	# 1,024 data sets, each for a template that never comes
	for my $i (0 .. 1023)
	{
		push @d, ipfix(2 + $i, 78, $now, set(60000 - $i, $rec x 100));
	}
	send_from('127.0.0.7', @d);
}

# --- the real exporter again, data only --------------------------------------
send_from('127.0.0.2', map { real_datagram(0) } 1 .. 10);

ok(wait_for_flows($node, $real_sent, q{exporter = '127.0.0.2'}),
	'every flow of the real exporter is stored');
is($node->safe_psql('postgres',
		q{SELECT count(*) || '|' || min(sampling_interval) || '|' || max(sampling_interval)
		FROM netflow.flows WHERE exporter = '127.0.0.2'}),
	"$real_sent|100|100",
	'the real exporter\'s flows all carry its sampling interval 1 in 100');

# Ingest still flows after everything: wait for the queue to drain and a
# last datagram to be stored.
ok($node->poll_query_until('postgres',
		q{SELECT queue_datagrams = 0 AND flows_buffered = 0 FROM netflow.collector_stats
		WHERE worker_type = 'inserter'}),
	'the queue drains');
send_from('127.0.0.2', real_datagram(0));
ok(wait_for_flows($node, $real_sent, q{exporter = '127.0.0.2'}),
	'ingest is not stalled: a datagram sent last is stored');

# --- no partition outside the collector's window ----------------------------
my %parts_after = map { $_ => 1 } split /,/, $node->safe_psql('postgres', $parts_sql);
my @new = grep { !$parts_before{$_} } sort keys %parts_after;
note('partitions created during the attacks: ' . (join(', ', @new) || 'none'));
# the window: [past_from, future_from) of netflow.ingest_window(), widened
# by one partition interval on each side for the partitions that hold its
# edges
my $outside = $node->safe_psql('postgres', qq{
	SELECT count(*) FROM netflow.partitions p, netflow.ingest_window() w
	WHERE p.partition::text = ANY (string_to_array('@{[ join(',', map { "netflow.$_" } @new) ]}', ','))
	AND (p.upper <= w.past_from OR p.lower >= w.future_from)});
is($outside, '0', 'no partition was created outside the window');
cmp_ok(scalar @new, '<=', 10, 'at most a handful of partitions were created');

# The attack's out-of-window flows are stored in a bounded place and counted,
# not dropped silently and not in new partitions.
cmp_ok($node->safe_psql('postgres',
		q{SELECT coalesce(sum(flows_past), 0) FROM netflow.collector_stats}),
	'>=', 2300, 'the 2,300 out-of-window records of one datagram are counted in flows_past');
cmp_ok($node->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.flows_past WHERE exporter = '127.0.0.3'}),
	'>=', 2300, 'and stored in netflow.flows_past');

# --- per-sender state is bounded ------------------------------------------------
my $streams = $node->safe_psql('postgres',
	q{SELECT count(*) FROM netflow.exporter_state WHERE exporter = '127.0.0.4'});
# the decoder's bounds per exporter address (docs/collector.md, "Bounds")
my $bound = 256;
note("streams kept for 127.0.0.4: $streams (bound $bound)");
cmp_ok($streams, '<=', $bound, 'saved streams of one address stay within the per-address bound');
my $live = $node->safe_psql('postgres',
	q{SELECT count(*) FROM netflow.exporters WHERE exporter = '127.0.0.4'});
note("live streams of 127.0.0.4 in netflow.exporters: $live");
cmp_ok($live, '<=', $bound, 'live streams of one address stay within the per-address bound');
cmp_ok(stat_value($node, 'exporters_evicted'), '>', 0, 'evicted streams are counted');
my $templates = $node->safe_psql('postgres',
	q{SELECT count(*) FROM netflow.templates WHERE exporter = '127.0.0.6'});
my $tbound = 2048;
note("saved templates of 127.0.0.6: $templates (bound $tbound)");
cmp_ok($templates, '<=', $tbound, 'saved templates of one address stay within the bound');

# --- memory of the inserter -----------------------------------------------------
my $pid = $node->safe_psql('postgres',
	q{SELECT pid FROM netflow.collector_stats WHERE worker_type = 'inserter'});
my ($hwm) = slurp_file("/proc/$pid/status") =~ /VmHWM:\s+(\d+) kB/;
diag(sprintf('inserter peak RSS (VmHWM) after the attacks: %.1f MB', $hwm / 1024));
cmp_ok($hwm, '<', 300 * 1024, 'the inserter\'s peak RSS stays below 300 MB');

assert_no_crash($node, $start_time, 'hostile traffic');
$node->stop;
done_testing();
