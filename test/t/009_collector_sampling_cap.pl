# 009_collector_sampling_cap.pl -- sampling-rate changes waiting to be
# saved are bounded (65,536 distinct samplers); a change beyond the bound is
# not saved but counted (drop_sampling_unsaved), in netflow.collector_stats
# and netflow.drop_counters, and the count survives a restart.
#
# One NetFlow v9 exporter announces 70,000 distinct samplers (options
# records: sampler id 48, interval 50) while an open transaction holds
# netflow.sampling locked, so that no flush can save (and empty) the
# pending table: 65,536 changes wait, 4,464 are counted; once the lock is
# gone the 65,536 are saved.
use strict;
use warnings;

use IO::Socket::INET;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('sampling_cap',
	conf => "netflow.rcvbuf = '8MB'\nnetflow.maintenance_interval = 0\n");
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

my $samplers = 70_000;
my $per_datagram = 5_000;	# 12-byte records: under 64 KB with the headers
my $t = time();

# A v9 datagram (source id 1) of the given flowsets.
sub v9
{
	my ($seq, @sets) = @_;
	return pack('nnNNNN', 9, scalar @sets, 1_000_000, $t, $seq, 1) . join('', @sets);
}

# A flowset, padded to 4 bytes.
sub flowset
{
	my ($id, $body) = @_;
	my $pad = (4 - length($body) % 4) % 4;
	return pack('nn', $id, 4 + length($body) + $pad) . $body . ("\0" x $pad);
}

# options template 300: scope system (1, 4 bytes); sampler id (48, 4 bytes),
# sampler interval (50, 4 bytes)
my $options_template =
  flowset(1, pack('nnn', 300, 4, 8) . pack('nn', 1, 4) . pack('nnnn', 48, 4, 50, 4));

my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK TABLE netflow.sampling IN ACCESS EXCLUSIVE MODE');

my $s = IO::Socket::INET->new(
	Proto => 'udp',
	PeerAddr => '127.0.0.1',
	PeerPort => $port) or die "socket: $!";
my $seq = 0;
for (my $first = 1; $first <= $samplers; $first += $per_datagram)
{
	my $last = $first + $per_datagram - 1;
	$last = $samplers if $last > $samplers;
	my $records = join('', map { pack('NNN', 0, $_, 100) } $first .. $last);
	defined $s->send(v9($seq++, $options_template, flowset(300, $records)))
	  or die "send: $!";
	# let the receiver keep up (the datagrams are large)
	select(undef, undef, undef, 0.05);
}
close $s;

ok( $node->poll_query_until('postgres',
		"SELECT value >= $samplers FROM netflow.collector_counters() WHERE counter = 'options_records'"),
	'every options record was decoded');
is( $node->safe_psql('postgres',
		'SELECT drop_sampling_unsaved FROM netflow.collector_stats WHERE worker_type = \'inserter\''),
	$samplers - 65536, 'changes beyond the 65,536 pending are counted');
cmp_ok( $node->safe_psql('postgres',
		q{SELECT value FROM netflow.collector_counters() WHERE counter = 'insert_retries'}),
	'>=', 1, 'no flush could save them while the table was locked');

$locker->query_safe('COMMIT');
$locker->quit;
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 65536 FROM netflow.sampling WHERE exporter = '127.0.0.1'"),
	'the 65,536 pending changes are saved once the table is free');
ok( $node->poll_query_until('postgres',
		"SELECT count = $samplers - 65536 FROM netflow.drop_counters WHERE reason = 'drop_sampling_unsaved'"),
	'netflow.drop_counters shows them');

$node->restart;
is( $node->safe_psql('postgres',
		"SELECT count FROM netflow.drop_counters WHERE reason = 'drop_sampling_unsaved'"),
	$samplers - 65536, 'the count survives a restart');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.sampling'),
	'65536', 'the saved rates are kept');
$node->stop;
done_testing();
