# 110_compression_crash.pl -- compressed partitions survive kill -9 of the
# postmaster (issue 11): during a conversion (at a random moment of the
# build, and at the end, waiting for its ACCESS EXCLUSIVE lock with every
# batch written), during a late insert into a compressed partition, and
# right after a committed one.  After each restart the partition is either
# the old heap or the compressed one, whole: every row of a heap copy is
# there exactly once (EXCEPT ALL both ways), and it compresses again.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = PostgreSQL::Test::Cluster->new('compression_crash');
$node->init;
$node->append_conf('postgresql.conf', qq{timezone = 'UTC'
netflow.maintenance_lock_timeout = '60s'
shared_preload_libraries = 'netflow'
netflow.listen = ''
max_worker_processes = 16
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION netflow;
	SELECT netflow.create_partitions('2030-01-01', '2030-01-03');
	INSERT INTO netflow.flows (time_start, time_end, exporter, version, src_addr, dst_addr,
							   src_port, dst_port, protocol, packets, bytes, src_mac)
	SELECT timestamptz '2030-01-01' + g * interval '0.3 seconds',
		   CASE WHEN g % 7 = 0 THEN NULL ELSE timestamptz '2030-01-01' + g * interval '0.3 seconds' + interval '2 s' END,
		   ('127.0.0.' || g % 5 + 1)::inet, 10,
		   CASE WHEN g % 3 = 0 THEN ('2001:db8::' || to_hex(g / 65536) || ':' || to_hex(g % 65536))::inet ELSE ('10.1.' || (g / 256) % 256 || '.' || g % 256)::inet END,
		   CASE WHEN g % 3 = 0 THEN '2001:db8::1'::inet ELSE '10.2.0.1'::inet END,
		   g % 65536, 443, 6, g % 50, (g % 50) * 576 + g, '00:11:22:33:44:55'
	FROM generate_series(0, 199999) AS g;
	CREATE TABLE copy AS SELECT * FROM netflow.flows_p20300101;
});

# The partition holds exactly the rows of the copy, in the form expected.
sub check_exact
{
	my ($what, $am) = @_;
	is( $node->safe_psql('postgres', q{
			SELECT (SELECT count(*) FROM (SELECT * FROM copy EXCEPT ALL SELECT * FROM netflow.flows_p20300101) a)
				|| ' ' || (SELECT count(*) FROM (SELECT * FROM netflow.flows_p20300101 EXCEPT ALL SELECT * FROM copy) b)
				|| ' ' || (SELECT count(*) FROM netflow.flows_p20300101)}),
		'0 0 ' . $node->safe_psql('postgres', 'SELECT count(*) FROM copy'),
		"$what: every row exactly once");
	is( $node->safe_psql('postgres', q{
			SELECT a.amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam
			WHERE c.oid = 'netflow.flows_p20300101'::regclass}),
		$am, "$what: partition is $am");
}

# Start a statement in the background; returns its IPC::Run handle.
sub background
{
	my ($sql) = @_;
	my ($out, $err) = ('', '');
	return IPC::Run::start(
		[ 'psql', '-X', '-q', '-d', $node->connstr('postgres'), '-c', $sql ],
		'>', \$out, '2>', \$err);
}

# Wait until a backend runs a query matching the pattern (and waits on a lock, if asked).
sub wait_for_query
{
	my ($pattern, $lockwait) = @_;
	my $cond = $lockwait ? " AND wait_event_type = 'Lock'" : '';
	$node->poll_query_until('postgres',
		qq{SELECT count(*) > 0 FROM pg_stat_activity WHERE query LIKE '$pattern' AND state = 'active'$cond})
	  or die "query $pattern never seen";
}

# kill -9 of the postmaster and, at the same moment, of every process it
# started (as a power cut would: no backend goes on writing after the
# postmaster is gone), then wait until they are all gone.
sub kill9_all
{
	my $pidfile = slurp_file($node->data_dir . '/postmaster.pid');
	my ($pid) = $pidfile =~ /^(\d+)/;
	my @children = split /\s+/, `pgrep -P $pid`;
	kill 'KILL', $pid, grep { /^\d+$/ } @children;
	for my $p ($pid, @children)
	{
		next unless $p =~ /^\d+$/;
		# until reaped (a zombie still holds its pid)
		for (1 .. 600)
		{
			last unless kill(0, $p);
			usleep(50_000);
		}
	}
	$node->kill9;	# the framework's own bookkeeping (the pid is gone already)
}

# Kill everything, reap the clients, restart.
sub crash_and_restart
{
	my @handles = @_;
	kill9_all();
	for my $h (@handles)
	{
		eval { $h->finish; };
	}
	$node->start;
}

# --- 1. kill -9 at the end of a conversion: every batch written, waiting
# for the ACCESS EXCLUSIVE lock that a reader holds.
my $reader = background(
	'BEGIN; SELECT count(*) FROM netflow.flows_p20300101 WHERE false; SELECT pg_sleep(600);');
wait_for_query('%pg_sleep(600)%', 0);
my $conv = background(q{SELECT netflow.compress_partition('netflow.flows_p20300101')});
wait_for_query('%compress_partition%', 1);
crash_and_restart($reader, $conv);
check_exact('crash while the conversion waited for its lock', 'heap');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.compressed_batches'),
	'0', 'no batch of the interrupted conversion is visible');

# --- 2. kill -9 at a moment of the build (the sort and the batch inserts).
$conv = background(q{SELECT netflow.compress_partition('netflow.flows_p20300101')});
wait_for_query('%compress_partition%', 0);
usleep(300_000);
crash_and_restart($conv);
check_exact('crash during the build', 'heap');

# --- 3. the conversion done, then kill -9: the compressed form is durable.
is($node->safe_psql('postgres', q{SELECT netflow.compress_partition('netflow.flows_p20300101')}),
	'200000', 'conversion after the crashes moves every row');
kill9_all();
$node->start;
check_exact('crash after the conversion committed', 'netflow_compressed');

# --- 4. kill -9 during a late insert into the compressed partition: rolled back.
my $late = background(q{
	INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, bytes)
	SELECT timestamptz '2030-01-01 12:00' + g * interval '1 ms', '127.0.0.77', '10.7.7.7', '10.8.8.8', g
	FROM generate_series(1, 3000000) AS g});
wait_for_query('%127.0.0.77%', 0);
usleep(500_000);
crash_and_restart($late);
check_exact('crash during a late insert', 'netflow_compressed');

# --- 5. a late insert committed, then kill -9: it stays, once.
$node->safe_psql('postgres', q{
	INSERT INTO netflow.flows (time_start, exporter, src_addr, dst_addr, bytes)
	SELECT timestamptz '2030-01-01 13:00' + g * interval '1 s', '127.0.0.78', '10.7.7.7', '10.8.8.8', g
	FROM generate_series(1, 1000) AS g;
	INSERT INTO copy SELECT * FROM netflow.flows_p20300101 WHERE exporter = '127.0.0.78';
});
kill9_all();
$node->start;
check_exact('crash after a committed late insert', 'netflow_compressed');

# --- 6. after the crashes: the tail compresses, decompression gives it all back.
is($node->safe_psql('postgres', q{SELECT netflow.compress_partition('netflow.flows_p20300101')}),
	'1000', 'the tail of late rows moves into a batch');
check_exact('after compressing the tail', 'netflow_compressed');
$node->safe_psql('postgres', q{SELECT netflow.decompress_partition('netflow.flows_p20300101')});
check_exact('after decompression', 'heap');
is($node->safe_psql('postgres', 'SELECT netflow.purge_orphan_batches(); SELECT count(*) FROM netflow.compressed_batches'),
	"0\n0", 'no batch left behind');

my $log = slurp_file($node->logfile);
unlike($log, qr/PANIC|TRAP:/, 'no PANIC or assertion failure in the server log');

$node->stop;
done_testing();
