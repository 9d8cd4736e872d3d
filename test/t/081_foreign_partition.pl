# 081_foreign_partition.pl -- foreign tables attached as partitions of
# netflow.flows (issue 10, defect 5), and a batch that keeps failing for a
# reason that is not transient (defect 1).  A flow routed to a postgres_fdw
# partition used to crash the inserter in table_multi_insert (signal 11, the
# whole server restarted); now it is written through the FDW.  A partition
# of a foreign-data wrapper without a handler cannot take rows: its flows go
# to netflow.flows_past, counted.  A file_fdw partition refuses inserts with
# an error: the batch is retried a bounded number of times, then the refused
# rows are isolated and diverted to netflow.flows_past (counted) while the
# rest of the batch, and every later one, is stored.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('foreign');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $now = time();
my $today = $now - $now % 86400;
my ($day_a, $day_b, $day_c) = map { $today - $_ * 86400 } 30, 31, 32;
my $host = $node->host;
my $pgport = $node->port;

$node->safe_psql('postgres', qq{
	CREATE EXTENSION netflow;
	CREATE EXTENSION postgres_fdw;
	CREATE EXTENSION file_fdw;
	-- an archive on "another server" (this one, through postgres_fdw)
	CREATE TABLE public.archive_store (LIKE netflow.flows);
	CREATE SERVER loopback FOREIGN DATA WRAPPER postgres_fdw
		OPTIONS (host '$host', port '$pgport', dbname 'postgres');
	CREATE USER MAPPING FOR CURRENT_USER SERVER loopback;
	CREATE FOREIGN TABLE netflow.flows_archive_a PARTITION OF netflow.flows
		FOR VALUES FROM (to_timestamp($day_a)) TO (to_timestamp($day_a + 86400))
		SERVER loopback OPTIONS (schema_name 'public', table_name 'archive_store');
	-- a wrapper with no handler at all
	CREATE FOREIGN DATA WRAPPER nohandler;
	CREATE SERVER cold FOREIGN DATA WRAPPER nohandler;
	CREATE FOREIGN TABLE netflow.flows_cold_b PARTITION OF netflow.flows
		FOR VALUES FROM (to_timestamp($day_b)) TO (to_timestamp($day_b + 86400))
		SERVER cold;
	-- a read-only wrapper
	CREATE SERVER files FOREIGN DATA WRAPPER file_fdw;
	CREATE FOREIGN TABLE netflow.flows_file_c PARTITION OF netflow.flows
		FOR VALUES FROM (to_timestamp($day_c)) TO (to_timestamp($day_c + 86400))
		SERVER files OPTIONS (filename '/dev/null');
});

# 3 flows of the postgres_fdw partition's day, then an ordinary exporter.
send_udp($port, ipfix_at(77, 0, map { $day_a + 3600 * $_ } 1 .. 3));
flowgen("-p $port -v 10 -n 100 -o 2 -r 0 -t $now");
ok(wait_for_flows($node, 100, "time_start >= to_timestamp($now - 60)"),
	'the flows sent after the postgres_fdw flows are stored');
assert_no_crash($node, $start_time, 'postgres_fdw partition');
is($node->safe_psql('postgres', 'SELECT count(*) FROM public.archive_store'),
	'3', 'the postgres_fdw partition received its 3 flows through the FDW');

# 3 flows on each of the days of the partitions that cannot take rows.
send_udp($port, ipfix_at(77, 3, map { ($day_b + 3600 * $_, $day_c + 3600 * $_) } 1 .. 3));
flowgen("-p $port -v 10 -n 100 -o 3 -r 0 -t $now");
ok(wait_for_flows($node, 200, "time_start >= to_timestamp($now - 60)"),
	'the flows sent after the flows of unusable partitions are stored');
assert_no_crash($node, $start_time, 'unusable foreign partitions');
is( query_or_error($node,
		"SELECT count(*) FROM netflow.flows_past WHERE time_start >= to_timestamp($day_c) AND time_start < to_timestamp($day_b + 86400)"),
	'6', 'the flows of the partitions that cannot take rows are kept in flows_past');
is( query_or_error($node,
		q{SELECT flows_inserted, flows_past, flows_diverted, drop_rejected, drop_failed
		  FROM netflow.collector_stats WHERE worker_type = 'inserter'}),
	'209|6|3|0|0',
	'collector_stats: all 209 stored, 6 in flows_past, 3 of them diverted after the file_fdw partition refused them');
is($node->safe_psql('postgres', 'SELECT coalesce(sum(count), -1) FROM netflow.drop_counters'),
	'0', 'nothing was dropped');
like(slurp_file($node->logfile), qr/cannot insert into foreign table "flows_file_c"/,
	'the refusal is in the server log');

# Later batches do not retry the refused rows again.
my $retries = $node->safe_psql('postgres',
	q{SELECT insert_retries FROM netflow.collector_stats WHERE worker_type = 'inserter'});
flowgen("-p $port -v 10 -n 100 -o 4 -r 0 -t " . ($now + 1));
ok(wait_for_flows($node, 300, "time_start >= to_timestamp($now - 60)"), 'later flows are stored');
is( $node->safe_psql('postgres',
		q{SELECT insert_retries FROM netflow.collector_stats WHERE worker_type = 'inserter'}),
	$retries, 'with no more retries');

# A partition left "detach pending" (DETACH PARTITION CONCURRENTLY
# cancelled while it waited for an older snapshot) takes no rows: its flows
# go to flows_past, counted (as past_flows: the day is before the window),
# not dropped as drop_rejected.
my $day_d = $today - 40 * 86400;
$node->safe_psql('postgres',
	"SELECT count(*) FROM netflow.create_partitions(to_timestamp($day_d), to_timestamp($day_d + 86400))");
my $pname = $node->safe_psql('postgres',
	"SELECT partition FROM netflow.flows_partitions() WHERE lower = to_timestamp($day_d)");
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ');
$holder->query_safe('LOCK TABLE netflow.flows IN ACCESS SHARE MODE');
my $detacher = $node->background_psql('postgres', on_error_stop => 0);
$detacher->query_until(qr/detaching/,
	"\\echo detaching\nALTER TABLE netflow.flows DETACH PARTITION $pname CONCURRENTLY;\n");
ok( $node->poll_query_until('postgres',
		"SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = '$pname'::regclass"),
	"$pname is detach pending");
$node->safe_psql('postgres',
	q{SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'ALTER TABLE netflow.flows DETACH%'});
$holder->query_safe('COMMIT');
$holder->quit;
$detacher->quit;
is( $node->safe_psql('postgres', "SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = '$pname'::regclass"),
	't', 'the detach stays pending after the cancel');
my $past_before = query_or_error($node, 'SELECT count(*) FROM netflow.flows_past');
my $counted_before = query_or_error($node, q{SELECT value FROM netflow.window_counters WHERE counter = 'past_flows'});
send_udp($port, ipfix_at(77, 9, map { $day_d + 3600 * $_ } 1 .. 3));
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = $past_before + 3 FROM netflow.flows_past"),
	'the flows of the detach-pending partition are kept in flows_past');
is( $node->safe_psql('postgres',
		q{SELECT drop_rejected FROM netflow.collector_stats WHERE worker_type = 'inserter'}),
	'0', 'none was dropped as drop_rejected');
is( query_or_error($node,
		q{SELECT value FROM netflow.window_counters WHERE counter = 'past_flows'}),
	$counted_before + 3, 'they are counted as past_flows (their day is before the window)');

assert_no_crash($node, $start_time, 'detach pending');
$node->stop;
done_testing();
