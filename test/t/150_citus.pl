# Scale-out on Citus (issue 15, docs/scale-out.md): a coordinator and two
# workers on this machine, netflow.flows distributed by netflow.distribute(),
# a collector on the coordinator and one on a worker.  Every flow sent
# (flowgen's IPFIX to both, softflowd's export of a capture to the worker)
# is found exactly once through the coordinator; a worker whose tables are
# not distributed yet refuses its flows (counted, logged, nothing stored on
# the worker alone); topn and entropy over the distributed table equal the
# results over the same rows in a local table; partitions made and dropped
# by netflow's maintenance follow the distributed table.
#
# Citus is a test-only dependency: scripts/test.sh builds and installs it
# from ../shared/citus (beside the checkout) before staging PostgreSQL, so
# the staged copy this test runs holds citus.so.  Without it this test
# fails: it is never skipped.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my $pkglib = `pg_config --pkglibdir`;
chomp $pkglib;
ok(-f "$pkglib/citus.so", "citus.so is installed in $pkglib")
  or BAIL_OUT("Citus is not installed: run bash ../shared/citus/build.sh (scripts/test.sh does)");

# Citus, netflow, TCP on loopback (Citus nodes connect to each other by
# host name), no TLS between nodes, few shards per table.
my $citus_conf = qq{
shared_preload_libraries = 'citus,netflow'
listen_addresses = '127.0.0.1'
citus.node_conninfo = 'sslmode=disable'
citus.shard_count = 4
max_connections = 60
};
my ($coord, $coord_udp) = collector_node('coordinator', conf => $citus_conf);
my ($w1, $w1_udp) = collector_node('worker1', conf => $citus_conf);
my ($w2) = collector_node('worker2', conf => $citus_conf, listen => '');
my %start;
$start{$_->name} = $_->safe_psql('postgres', 'SELECT pg_postmaster_start_time()')
  for ($coord, $w1, $w2);

$_->safe_psql('postgres', 'CREATE EXTENSION citus') for ($coord, $w1, $w2);
my $cport = $coord->port;
$coord->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('127.0.0.1', $cport)");
for my $w ($w1, $w2)
{
	$coord->safe_psql('postgres',
		"SELECT citus_add_node('127.0.0.1', " . $w->port . ")");
}
is($coord->safe_psql('postgres',
		"SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND isactive AND hasmetadata"),
	'3', 'coordinator and two workers with Citus metadata');

# CREATE EXTENSION netflow on the coordinator: Citus creates it on the
# workers too.  The collectors' saved state, settings and window counters
# are per node; flows dated 2026-01-01 (the capture) are within the window
# everywhere.
$coord->safe_psql('postgres', 'CREATE EXTENSION netflow');
for my $n ($w1, $w2)
{
	is($n->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'netflow'"),
		$coord->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'netflow'"),
		$n->name . ': Citus created the netflow extension there too');
}
for my $n ($coord, $w1, $w2)
{
	$n->safe_psql('postgres',
		"INSERT INTO netflow.config VALUES ('past_tolerance', '100 years') ON CONFLICT (key) DO UPDATE SET value = excluded.value");
}
for my $n ($coord, $w1)
{
	ok($n->wait_for_log(qr/netflow inserter started in database "postgres"/),
		$n->name . ': inserter started');
}

# --- before netflow.distribute(): a worker refuses, the coordinator stores ----
# On worker1 netflow.flows is still a local table of that node: rows stored
# there would never be seen through the coordinator.
my $refused = flowgen("-p $w1_udp -h 127.0.0.1 -v 10 -n 3000 -o 9 -r 0");
ok( $w1->poll_query_until('postgres',
		"SELECT sum(drop_failed) >= 3000 FROM netflow.collector_stats"),
	'worker1 refuses the flows while netflow.flows is not distributed (drop_failed)');
like($w1->safe_psql('postgres',
		"SELECT last_error FROM netflow.collector_stats WHERE worker_type = 'inserter'"),
	qr/not a Citus table and this node is a Citus worker/,
	'worker1: the reason is in collector_stats.last_error');
ok($w1->log_contains(qr/not a Citus table and this node is a Citus worker/),
	'worker1: the reason is in the log');
is($w1->safe_psql('postgres',
		'SELECT (SELECT count(*) FROM netflow.flows) + (SELECT count(*) FROM netflow.flows_past) + (SELECT count(*) FROM netflow.flows_future)'),
	'0', 'worker1 stored none of them on its own');

# --- distribute -------------------------------------------------------------------
my $before = flowgen("-p $coord_udp -h 127.0.0.1 -v 10 -n 2000 -o 1 -r 0");
ok(wait_for_flows($coord, 2000, 'obs_domain = 1'), 'coordinator: flows stored before distributing');

is($coord->safe_psql('postgres', 'SELECT string_agg(t::text, \',\' ORDER BY t::text) FROM netflow.distribute() t'),
	'netflow.flows,netflow.flows_future,netflow.flows_past',
	'netflow.distribute() distributes flows and its two stores');
is($coord->safe_psql('postgres',
		q{SELECT string_agg(DISTINCT p.logicalrelid::text || ':' || column_to_column_name(p.logicalrelid, p.partkey), ',')
		  FROM pg_dist_partition p
		  WHERE p.logicalrelid IN ('netflow.flows'::regclass, 'netflow.flows_past'::regclass, 'netflow.flows_future'::regclass)}),
	'netflow.flows:src_addr,netflow.flows_future:src_addr,netflow.flows_past:src_addr',
	'the three are hash-distributed by src_addr');
is($coord->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.flows_partitions() f
		  WHERE NOT EXISTS (SELECT 1 FROM pg_dist_partition p WHERE p.logicalrelid = f.partition)}),
	'0', 'every partition is distributed with it');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM netflow.distribute()'),
	'0', 'netflow.distribute() again does nothing');
like(query_or_error($coord, "SELECT netflow.distribute('dst_addr')"),
	qr/not distributed by column "dst_addr"/, 'another column is refused');
like(query_or_error($w2, 'SELECT netflow.distribute()'),
	qr/must run on the Citus coordinator/, 'netflow.distribute() on a worker is refused');

# --- collectors on the coordinator and on worker1 ------------------------------------
my $c = flowgen("-p $coord_udp -h 127.0.0.1 -v 10 -n 20000 -o 2 -r 0");
my $w = flowgen("-p $w1_udp -h 127.0.0.1 -v 10 -n 20000 -o 3 -r 0");

my $tmp = $PostgreSQL::Test::Utils::tmp_check;
my $pcap = "$tmp/citus.pcap";
my @expected_lines = `/usr/bin/python3 $FindBin::RealBin/collector_pcap.py $pcap`;
is($?, 0, 'capture written');
chomp @expected_lines;
my $rc = system("softflowd -r $pcap -c none -a -v 9 -n 127.0.0.1:$w1_udp >$tmp/softflowd.log 2>&1");
is($rc, 0, 'softflowd exported the capture to the collector on worker1');

# all the rows, through the coordinator
my $all = q{(SELECT * FROM netflow.flows UNION ALL SELECT * FROM netflow.flows_past
			UNION ALL SELECT * FROM netflow.flows_future)};
ok( $coord->poll_query_until('postgres',
		"SELECT count(*) >= 42000 + " . scalar(@expected_lines) . " FROM $all a WHERE obs_domain IN (1, 2, 3) OR version = 9"),
	'the flows of both collectors are visible through the coordinator');
for my $d ([ 1, $before ], [ 2, $c ], [ 3, $w ])
{
	my ($dom, $t) = @$d;
	is( $coord->safe_psql('postgres',
			"SELECT count(*), count(DISTINCT (src_addr, dst_addr, src_port, dst_port, time_start)), sum(packets), sum(bytes) FROM $all a WHERE version = 10 AND obs_domain = $dom"),
		"$t->{flows}|$t->{flows}|$t->{packets}|$t->{bytes}",
		"domain $dom: every flow exactly once, packets and bytes exact");
}
is($coord->safe_psql('postgres', "SELECT count(*) FROM $all a WHERE obs_domain = 9"),
	'0', 'the refused flows are nowhere');
my $per_key = $coord->safe_psql(
	'postgres', qq{
	SELECT family(src_addr), host(src_addr), host(dst_addr), protocol,
		CASE WHEN protocol IN (6, 17) THEN src_port::text ELSE '-' END,
		CASE WHEN protocol IN (6, 17) THEN dst_port::text ELSE '-' END,
		sum(packets), sum(bytes)
	FROM $all a WHERE version = 9
	GROUP BY 1, 2, 3, 4, 5, 6});
is(join("\n", sort map { s/\|/ /gr } split /\n/, $per_key),
	join("\n", sort @expected_lines),
	'softflowd via worker1: packets and bytes per 5-tuple equal the capture');
is($coord->safe_psql('postgres',
		"SELECT count(*) FROM (SELECT 1 FROM $all a WHERE version = 9 GROUP BY src_addr, dst_addr, protocol, src_port, dst_port HAVING count(*) > 1) d"),
	'0', 'softflowd via worker1: no flow twice');

# nothing in the shell tables on the coordinator nor on worker1 (a query
# reads the shards; the shells' own files must stay empty)
for my $n ($coord, $w1)
{
	is($n->safe_psql('postgres', q{
		SELECT coalesce(sum(pg_relation_size(c.oid)), 0) FROM pg_class c
		WHERE c.oid IN (SELECT i.inhrelid FROM pg_inherits i
						WHERE i.inhparent = 'netflow.flows'::regclass)
		   OR c.oid IN ('netflow.flows_past'::regclass, 'netflow.flows_future'::regclass)}),
		'0', $n->name . ': the local shell tables hold nothing');
}

is($w1->safe_psql('postgres',
		"SELECT sum(flows_inserted) >= 20000 + " . scalar(@expected_lines) . " FROM netflow.collector_stats"),
	't', 'worker1: collector_stats counts its inserted flows');

# --- the aggregates: distributed equals single-node ------------------------------------
$coord->safe_psql('postgres', 'CREATE TABLE local_copy AS SELECT * FROM netflow.flows');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM local_copy'),
	$coord->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	'a local table with the rows of netflow.flows');
my $host = $coord->safe_psql('postgres',
	'SELECT src_addr FROM local_copy GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1');
for my $q (
	[ 'topn by destination', "SELECT string_agg(format('%s %s %s', item, weight, error), ',') FROM netflow.topn_items((SELECT netflow.topn(dst_addr, bytes, 65536) FROM %T), 20)" ],
	[ 'topn by source port', "SELECT string_agg(format('%s %s %s', item, weight, error), ',') FROM netflow.topn_items((SELECT netflow.topn(src_port, packets, 65536) FROM %T), 20)" ],
	[ 'entropy', "SELECT round(netflow.entropy(dst_port)::numeric, 9), round(netflow.entropy(src_addr, bytes)::numeric, 9) FROM %T" ],
	[ 'entropy by host', "SELECT round(netflow.entropy(dst_port)::numeric, 9) FROM %T WHERE src_addr = '$host'" ])
{
	my ($what, $sql) = @$q;
	my $dist = $coord->safe_psql('postgres', $sql =~ s/%T/netflow.flows/r);
	my $local = $coord->safe_psql('postgres', $sql =~ s/%T/local_copy/r);
	isnt($dist, '', "$what: a result");
	is($dist, $local, "$what: distributed equals single-node");
}

# The plan: Citus runs one task per shard; with pushdown each task computes
# a partial aggregate on its worker (the worker query holds the aggregate).
my $plan = $coord->safe_psql('postgres',
	'EXPLAIN (VERBOSE, COSTS OFF) SELECT netflow.topn(dst_addr, bytes, 1000), netflow.entropy(dst_port) FROM netflow.flows');
like($plan, qr/Custom Scan \(Citus Adaptive\)/, 'topn/entropy over netflow.flows: a Citus distributed plan');
note($plan);
# Citus sends a custom aggregate with a combine function to the workers
# as worker_partial_agg(aggregate, args) and merges the partial states on
# the coordinator with coord_combine_agg; without pushdown the worker query
# only selects the columns (row-gather).
for my $agg ('topn', 'entropy')
{
	like($plan,
		qr/Query: [^\n]*worker_partial_agg\([^\n]*netflow\.$agg\([^\n]*FROM netflow\.flows_\d+/,
		"$agg is computed on the workers (partial aggregation)");
}
like($plan, qr/coord_combine_agg/, 'the partial states are combined on the coordinator');

# --- maintenance on the distributed table ----------------------------------------------
is($coord->safe_psql('postgres',
		"SELECT count(*) FROM netflow.create_partitions('2024-03-01', '2024-03-03')"),
	'2', 'create_partitions on the coordinator');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM pg_dist_partition d
	WHERE d.logicalrelid::text LIKE 'netflow.flows_p202403%'
	  AND column_to_column_name(d.logicalrelid, d.partkey) = 'src_addr'}),
	'2', 'the new partitions are distributed by src_addr');
is($w2->safe_psql('postgres',
		"SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'netflow.flows_p202403%'"),
	'2', 'worker2 knows them (metadata)');
$coord->safe_psql('postgres', q{
	INSERT INTO netflow.flows (time_start, time_end, time_received, exporter, version, src_addr, dst_addr, protocol, packets, bytes)
	VALUES ('2024-03-01 01:00', '2024-03-01 01:01', '2024-03-01 01:02', '127.0.0.1', 10, '10.99.0.1', '10.99.0.2', 6, 1, 100)});
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM netflow.drop_partitions('1 year') d
	WHERE d.action = 'dropped' AND d.partition LIKE '%flows_p202403%'}),
	'2', 'retention drops the old distributed partitions');
is($coord->safe_psql('postgres',
		"SELECT count(*) FROM pg_dist_partition WHERE logicalrelid::text LIKE 'netflow.flows_p202403%'"),
	'0', 'and their shards are gone from the metadata');
is($coord->safe_psql('postgres', "SELECT count(*) FROM netflow.flows WHERE src_addr = '10.99.0.1'"),
	'0', 'with their rows');
# Compressed partitions are a single-node storage: on Citus the rows are in
# the shards, so compress_partition refuses a distributed partition and the
# compression step finds nothing to do.
{
	my $p = $coord->safe_psql('postgres',
		"SELECT p.partition FROM netflow.flows_partitions() p ORDER BY p.lower LIMIT 1");
	my ($crc, $cout, $cerr) = $coord->psql('postgres', "SELECT netflow.compress_partition('$p')");
	isnt($crc, 0, 'compress_partition refuses a distributed partition');
	like($cerr, qr/is a Citus distributed table/, 'and says why');
	is($coord->safe_psql('postgres', "SELECT count(*) FROM netflow.compression_candidates(now() + interval '10 years')"),
		'0', 'no compression candidates on a distributed netflow.flows');
}
my ($mrc, $mout, $merr) = $coord->psql('postgres', 'SELECT count(*) FROM netflow.run_maintenance()');
is($mrc, 0, 'run_maintenance() on the coordinator succeeds') or diag($merr);
ok($w1->log_contains(qr/netflow maintenance skipped: this node is a Citus worker/),
	'worker1: maintenance is left to the coordinator');

# --- a worker without Citus metadata refuses -------------------------------------------
# Without metadata sync worker1's group is reset to 0 and netflow.flows is a
# plain local table there again, next to the shards it holds: rows written
# into it would be seen on worker1 only.
$coord->safe_psql('postgres',
	"SELECT stop_metadata_sync_to_node('127.0.0.1', " . $w1->port . ')');
my $failed_before = stat_value($w1, 'drop_failed');
my $nometa = flowgen("-p $w1_udp -h 127.0.0.1 -v 10 -n 2500 -o 8 -r 0");
ok( $w1->poll_query_until('postgres',
		"SELECT sum(drop_failed) >= $failed_before + 2500 FROM netflow.collector_stats"),
	'worker1 without Citus metadata refuses its flows (drop_failed)');
like($w1->safe_psql('postgres',
		"SELECT last_error FROM netflow.collector_stats WHERE worker_type = 'inserter'"),
	qr/holds Citus shards of netflow.flows but no Citus metadata/,
	'worker1 without metadata: the reason is in collector_stats.last_error');
is($w1->safe_psql('postgres',
		'SELECT (SELECT count(*) FROM netflow.flows WHERE obs_domain = 8) + (SELECT count(*) FROM netflow.flows_past WHERE obs_domain = 8) + (SELECT count(*) FROM netflow.flows_future WHERE obs_domain = 8)'),
	'0', 'worker1 without metadata stored none of them on its own');
is($coord->safe_psql('postgres', "SELECT count(*) FROM $all a WHERE obs_domain = 8"),
	'0', 'nor anywhere else');

for my $n ($coord, $w1, $w2)
{
	assert_no_crash($n, $start{ $n->name }, $n->name);
}
$_->stop('fast') for ($w1, $w2, $coord);
done_testing();
