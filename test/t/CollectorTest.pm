# CollectorTest.pm -- helpers shared by the collector's TAP tests
# (test/t/0*_collector_*.pl): clusters with the collector enabled on a free
# loopback UDP port, the flowgen sender, raw UDP sends, crash checks.
package CollectorTest;

use strict;
use warnings;

use Exporter 'import';
use IO::Socket::INET;
use Socket qw(SOCK_DGRAM);
use File::Basename qw(dirname);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(free_udp_port collector_node flowgen flowgen_bin send_udp
  assert_no_crash stat_value wait_for_flows ipfix_at query_or_error
  install_maintenance_hook $CREATE_EXTENSION);

# CREATE EXTENSION for the tests that send flows dated long ago (fixed times
# in 2025 and 2026): the window in which the collector makes partitions on
# its own is widened in the same transaction, so those flows get their
# partitions as replays would (test/t/080_window_policy.pl tests the window).
our $CREATE_EXTENSION =
  "CREATE EXTENSION netflow; INSERT INTO netflow.config VALUES ('past_tolerance', '100 years')";

# A UDP port on 127.0.0.1 (and ::1) that nothing uses now.
sub free_udp_port
{
	for (1 .. 100)
	{
		my $s = IO::Socket::INET->new(
			Proto => 'udp',
			LocalAddr => '127.0.0.1',
			LocalPort => 0)
		  or next;
		my $port = $s->sockport;
		close $s;
		# also not a TCP port that a cluster may pick
		my $t = IO::Socket::INET->new(
			Proto => 'tcp',
			LocalAddr => '127.0.0.1',
			LocalPort => $port,
			Listen => 1,
			ReuseAddr => 0);
		next unless $t;
		close $t;
		return $port;
	}
	die "no free UDP port";
}

# Create and start a cluster with the collector listening on a free port.
# Returns ($node, $udp_port).  Extra configuration lines may be given.
sub collector_node
{
	my ($name, %opt) = @_;
	my $port = free_udp_port();
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	my $listen = $opt{listen} // "127.0.0.1:$port";
	$node->append_conf(
		'postgresql.conf', qq{
shared_preload_libraries = 'netflow'
netflow.listen = '$listen'
netflow.workers = @{[ $opt{workers} // 1 ]}
netflow.queue_size = '@{[ $opt{queue_size} // '32MB' ]}'
netflow.flush_interval = '@{[ $opt{flush_interval} // '200ms' ]}'
timezone = 'UTC'
max_worker_processes = 16
@{[ $opt{conf} // '' ]}
});
	$node->start unless $opt{no_start};
	return ($node, $port);
}

# Path of the flowgen sender, built once from test/tools/flowgen.c.
my $flowgen_bin;

sub flowgen_bin
{
	return $flowgen_bin if $flowgen_bin;
	my $src;
	for my $d (grep { defined } ($ENV{NETFLOW_TEST_DIR}, dirname(__FILE__) . '/..'))
	{
		$src = "$d/tools/flowgen.c" if -f "$d/tools/flowgen.c";
		last if $src;
	}
	die "flowgen.c not found" unless $src;
	my $bin = "$PostgreSQL::Test::Utils::tmp_check/flowgen";
	system('gcc', '-O2', '-o', $bin, $src) == 0 or die "cannot build flowgen";
	$flowgen_bin = $bin;
	return $bin;
}

# Run flowgen with the given arguments; returns a hash of its totals
# (flows, packets, bytes, datagrams).
sub flowgen
{
	my @args = @_;
	my $bin = flowgen_bin();
	my $out = `$bin @args`;
	die "flowgen @args failed" if $? != 0;
	my %t = $out =~ /(\w+)=([0-9.]+)/g;
	return \%t;
}

# Send raw datagrams to 127.0.0.1:$port.
sub send_udp
{
	my ($port, @datagrams) = @_;
	my $s = IO::Socket::INET->new(
		Proto => 'udp',
		PeerAddr => '127.0.0.1',
		PeerPort => $port) or die "socket: $!";
	for my $d (@datagrams)
	{
		defined $s->send($d) or die "send: $!";
	}
	close $s;
}

# One IPFIX message (template 256 and one data set) of flows starting at the
# given Unix times (flowStartSeconds; ends 1 s later), 24 bytes a record:
# src 10.9.x.y, dst 192.0.2.1, 1 packet, 100 bytes each.  About 2,700
# records fit in one datagram.
sub ipfix_at
{
	my ($domain, $seq, @times) = @_;
	my @fields = ([ 150, 4 ], [ 151, 4 ], [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ]);
	my $tmpl = pack('nn', 256, scalar @fields) . join('', map { pack('nn', @$_) } @fields);
	my $tset = pack('nn', 2, 4 + length $tmpl) . $tmpl;
	my $records = '';
	my $i = 0;
	for my $t (@times)
	{
		$records .= pack('NNC4C4NN', $t, $t + 1, 10, 9, ($i >> 8) & 255, $i & 255,
			192, 0, 2, 1, 1, 100);
		$i++;
	}
	my $dset = pack('nn', 256, 4 + length $records) . $records;
	my $body = $tset . $dset;
	return pack('nnNNN', 10, 16 + length $body, time(), $seq, $domain) . $body;
}

# The result of a query, or "ERROR: ..." when it fails (so that a test of a
# missing object fails cleanly instead of dying).
sub query_or_error
{
	my ($node, $sql) = @_;
	my ($rc, $out, $err) = $node->psql('postgres', $sql);
	return $rc == 0 ? $out : "ERROR: $err";
}

# One counter of netflow.collector_stats summed over workers.
sub stat_value
{
	my ($node, $column) = @_;
	return $node->safe_psql('postgres',
		"SELECT coalesce(sum($column), 0) FROM netflow.collector_stats");
}

# Wait until netflow.flows holds $n rows matching $where (default all).
sub wait_for_flows
{
	my ($node, $n, $where) = @_;
	$where //= 'true';
	return $node->poll_query_until('postgres',
		"SELECT count(*) >= $n FROM netflow.flows WHERE $where");
}

# No backend crashed and the postmaster never restarted.
sub assert_no_crash
{
	my ($node, $start_time, $what) = @_;
	my $log = slurp_file($node->logfile);
	unlike($log, qr/terminated by signal|server process .* was terminated|was terminated by exception/,
		"$what: no process terminated by a signal");
	unlike($log, qr/all server processes terminated; reinitializing/,
		"$what: no crash restart");
	is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
		$start_time, "$what: postmaster start time unchanged");
}

# Test-only hook for slow or failing maintenance runs: replaces the
# internal function netflow.detect_maintenance(timestamptz, boolean), which
# run_maintenance() calls in its detection step, with one that reads the
# table public.maint_hook (mode, seconds, started, until): mode 'sleep'
# sleeps that many seconds once (the row is deleted by the run that
# sleeps; a run interrupted by a shutdown rolls the delete back), mode
# 'fail' raises query_canceled (an error no step of run_maintenance
# catches, so the run fails as a whole) in every run that starts before the
# row's "until".  A row applies only in the server start it was written
# for (started = pg_postmaster_start_time()).
sub install_maintenance_hook
{
	my ($node) = @_;
	$node->safe_psql('postgres', q{
	CREATE TABLE public.maint_hook (mode text, seconds float8, started timestamptz,
									until timestamptz);
	CREATE OR REPLACE FUNCTION netflow.detect_maintenance(now timestamptz, scheduled boolean DEFAULT false)
	RETURNS integer LANGUAGE plpgsql AS $$
	DECLARE
		h record;
	BEGIN
		IF EXISTS (SELECT 1 FROM public.maint_hook m
				   WHERE m.mode = 'fail' AND m.started = pg_postmaster_start_time()
					 AND m.until > now()) THEN
			RAISE EXCEPTION 'maintenance test hook: run failed on purpose'
				USING ERRCODE = 'query_canceled';
		END IF;
		DELETE FROM public.maint_hook m
		WHERE m.mode = 'sleep' AND m.started = pg_postmaster_start_time()
		RETURNING m.seconds INTO h;
		IF FOUND THEN
			PERFORM pg_sleep(h.seconds);
		END IF;
		RETURN 0;
	END
	$$;
	});
	return;
}

1;
