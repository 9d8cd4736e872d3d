# 090_upgrade.pl -- ALTER EXTENSION netflow UPDATE from the oldest released
# version (installed from its frozen script) to the current one, on a
# database the collector is writing into.
#
# Checks: every released version has an update path to the current one;
# after the update the schema equals a fresh install of the current
# version in another database (pg_dump --binary-upgrade of the extension's
# objects, normalized for ordering and OIDs, compared; the diff is shown on
# failure), and so do the rows the install scripts put in the extension's
# own tables; every row stored before the update is still there unchanged
# (tables compared on the columns they had before), the netflow.flow and
# topn_summary values stored in a user table read back the same through
# the current code; the collector keeps running (same processes, no
# restart) and every flow sent before, during and just after the update is
# stored, none dropped.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

# The oldest version still supported as an update source.
my $OLDEST = '0.1';

# Extension tables whose rows the install scripts write: an updated
# installation must hold the same rows as a fresh one on the columns the
# scripts set (first list); the columns the extension updates (second list,
# with the key; empty: none) must keep their values across the update.  An
# update may add such rows or change their descriptions.
my %install_rows = (
	'netflow.config_defaults' => [ 'key, value, description', '' ],
	'netflow.window_counters' => [ 'counter, description', 'counter, value, updated' ],
);

# Tables the collector and maintenance write while the test runs: rows
# stored before the update must survive unchanged, new ones may appear.
# Every other table must be exactly as it was.
my %live = map { $_ => 1 } qw(netflow.flows netflow.exporter_state
  netflow.templates netflow.sampling netflow.maintenance_log);

my ($node, $port) = collector_node('upgrade', workers => 2);
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'netflow'");

# --- every released version updates to the current one -----------------------
my $no_path = $node->safe_psql('postgres', qq{
	SELECT coalesce(string_agg(v.version, ', ' ORDER BY v.version), '')
	FROM pg_available_extension_versions v
	WHERE v.name = 'netflow' AND v.version <> '$current'
	  AND NOT EXISTS (SELECT 1 FROM pg_extension_update_paths('netflow') p
					  WHERE p.source = v.version AND p.target = '$current'
						AND p.path IS NOT NULL)});
is($no_path, '', "every installable version has an update path to $current");

$node->safe_psql('postgres', "CREATE EXTENSION netflow VERSION '$OLDEST'");
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'netflow'"),
	$OLDEST, "installed version $OLDEST from its frozen script");
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM netflow.collector_stats WHERE worker_type = 'receiver'"),
	'receivers running');

# --- flows before the update: softflowd (v5, v9, IPFIX templates) and flowgen -
my $tmp = $PostgreSQL::Test::Utils::tmp_check;
my $pcap = "$tmp/upgrade.pcap";
my @capture = `/usr/bin/python3 $FindBin::RealBin/collector_pcap.py $pcap`;
is($?, 0, 'capture written');
my $n_capture = scalar @capture;
my $n_capture4 = grep { /^4 / } @capture;
for my $v (5, 9, 10)
{
	is(system("softflowd -r $pcap -c none -a -v $v -n 127.0.0.1:$port >$tmp/softflowd-v$v.log 2>&1"),
		0, "softflowd -v $v ran");
}
my $n_softflowd = $n_capture4 + 2 * $n_capture;
my %sent;
$sent{before_v5} = flowgen("-p $port -v 5 -n 900 -r 0");
$sent{before_ipfix} = flowgen("-p $port -v 10 -n 1200 -o 7 -r 0");
my $n_before = $n_softflowd + 900 + 1200;
ok(wait_for_flows($node, $n_before), "$n_before flows stored before the update");

# --- stored values: settings, user table of flows and summaries -----------------
$node->safe_psql('postgres', q{
	INSERT INTO netflow.config VALUES ('retention', '3650 days'), ('premake', '3');
	CREATE TABLE public.saved (id integer PRIMARY KEY, f netflow.flow, s netflow.topn_summary);
	INSERT INTO public.saved
	SELECT row_number() OVER (ORDER BY t::text), netflow.flow(t), NULL
	FROM (SELECT * FROM netflow.flows t ORDER BY t::text LIMIT 50) t;
	INSERT INTO public.saved VALUES
		(1001, NULL, (SELECT netflow.topn(src_addr, bytes, 16) FROM netflow.flows)),
		(1002, NULL, (SELECT netflow.topn(dst_port, packets, 4) FROM netflow.flows)),
		(1003, NULL, (SELECT netflow.topn(protocol, 1, 1000) FROM netflow.flows)),
		(1004, NULL, (SELECT netflow.topn(host(exporter), bytes, 3) FROM netflow.flows WHERE false));
	INSERT INTO netflow.flows_future (time_start, exporter, version, packets, bytes)
	VALUES ('2099-01-01 00:00+00', '192.0.2.66', 9, 1, 60);
});
# the collector saves its decoder state with its flushes: wait for the templates
ok( $node->poll_query_until('postgres',
		'SELECT count(DISTINCT version) = 2 FROM netflow.templates'),
	'v9 and IPFIX templates saved');
ok( $node->poll_query_until('postgres',
		'SELECT count(*) >= 4 FROM netflow.exporter_state'),
	'exporter sequence state saved');

# What is read back after the update through the current code (on the
# columns netflow.flows has now: an update may add some).
my $flow_cols = $node->safe_psql('postgres', q{
	SELECT string_agg('e.' || quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
	WHERE attrelid = 'netflow.flows'::regclass AND attnum > 0 AND NOT attisdropped});
my %readback = (
	saved_text => q{SELECT md5(string_agg(id || ' ' || coalesce(f::text, '-') || ' ' || coalesce(s::text, '-'), E'\n' ORDER BY id)) FROM public.saved},
	saved_binary => q{SELECT md5(string_agg(id || ' ' || coalesce(md5(netflow.flow_to_bytea(f)), '-') || ' ' || coalesce(md5(netflow.bytea(s)), '-'), ',' ORDER BY id)) FROM public.saved},
	flows_expanded => qq{SELECT count(*) || ' ' || md5(string_agg(ROW($flow_cols)::text, E'\\n' ORDER BY s.id)) FROM public.saved s, LATERAL netflow.expand(s.f) e WHERE s.f IS NOT NULL},
	flows_match => q{SELECT count(*) FROM public.saved s JOIN netflow.flows t ON s.f OPERATOR(netflow.=) netflow.flow(t)},
	topn_items => q{SELECT string_agg(s.id || ' ' || i.item || ' ' || i.weight || ' ' || i.error, E'\n' ORDER BY s.id, i.weight DESC, i.item) FROM public.saved s, LATERAL netflow.topn_items(s.s, 1000) i},
	topn_scalars => q{SELECT string_agg(id || ' ' || netflow.topn_total(s) || ' ' || netflow.topn_bound(s), ',' ORDER BY id) FROM public.saved WHERE s IS NOT NULL},
	topn_union => q{SELECT netflow.topn_union(s)::text FROM public.saved WHERE id IN (1001, 1004)},
	settings => q{SELECT row(s.partition_interval, s.premake, s.retention, s.future_tolerance, s.forget_exporters_after, s.lock_timeout)::text FROM netflow.maintenance_settings() s},
);
my %before_read = map { $_ => $node->safe_psql('postgres', $readback{$_}) } keys %readback;
is($before_read{flows_match}, '50', 'before: 50 saved flows match their rows');
like($before_read{topn_items}, qr/^1001 /m, 'before: the summaries hold items');

# Snapshot every table (partitions included) as the text of its rows, on the
# columns it has now, into schema snap.
my @tables = split /\n/, $node->safe_psql('postgres', q{
	SELECT c.oid::regclass::text || '|' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
	FROM pg_class c
	JOIN pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE n.nspname IN ('netflow', 'public') AND c.relkind IN ('r', 'p')
	GROUP BY c.oid ORDER BY 1});
cmp_ok(scalar @tables, '>=', 12, 'tables to compare: ' . scalar @tables);
$node->safe_psql('postgres', 'CREATE SCHEMA snap');
my %cols;
my $i = 0;
for (@tables)
{
	my ($t, $c) = split /\|/;
	$c = $install_rows{$t}[1] || 'NULL' if $install_rows{$t};
	$cols{$t} = $c;
	$i++;
	$node->safe_psql('postgres',
		"CREATE TABLE snap.t$i AS SELECT ROW($c)::text AS r FROM $t; COMMENT ON TABLE snap.t$i IS '$t'");
}
my %rows_before;
$i = 0;
for (@tables)
{
	my ($t) = split /\|/;
	$i++;
	$rows_before{$t} = $node->safe_psql('postgres', "SELECT count(*) FROM snap.t$i");
}

my %pids_before = split /[|\n]/, $node->safe_psql('postgres',
	q{SELECT worker_type || worker_id, pid FROM netflow.collector_workers() ORDER BY 1});

# --- the update, while an exporter sends ----------------------------------------
my $fg = flowgen_bin();
my ($fg_out, $fg_err) = ('', '');
my $during = IPC::Run::start([ $fg, '-p', $port, '-v', '10', '-n', '6000', '-r', '2000', '-o', '42' ],
	'>', \$fg_out, '2>', \$fg_err);
# let some of it arrive under the old schema first
ok( $node->poll_query_until('postgres',
		'SELECT count(*) > 0 FROM netflow.flows WHERE obs_domain = 42'),
	'flows of the concurrent exporter arrive before the update');
my ($rc, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION netflow UPDATE',
	on_error_stop => 1);
is($rc, 0, 'ALTER EXTENSION netflow UPDATE succeeds') or diag($err);
my $during_after_update = $node->safe_psql('postgres',
	'SELECT count(*) < 6000 FROM netflow.flows WHERE obs_domain = 42');
$during->finish;
my %t_during = $fg_out =~ /(\w+)=([0-9.]+)/g;
is($t_during{flows}, 6000, 'the concurrent exporter sent 6000 flows');
diag("the update finished while the concurrent exporter was still being stored: $during_after_update");
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'netflow'"),
	$current, "extension version is $current");
# and just after it
$sent{after} = flowgen("-p $port -v 10 -n 900 -o 43 -r 0");

# --- the collector kept ingesting, nothing lost -----------------------------------
my $n_total = $n_before + 6000 + 900;
ok(wait_for_flows($node, $n_total), "all $n_total flows stored");
is( $node->safe_psql('postgres', q{
		SELECT count(*) FILTER (WHERE obs_domain = 42) || ' ' || count(*) FILTER (WHERE obs_domain = 43)
		|| ' ' || count(*) FROM netflow.flows}),
	"6000 900 $n_total",
	'every flow sent during (6000) and just after (900) the update is stored, exactly once');
is( $node->safe_psql('postgres', q{
		SELECT sum(packets) || ' ' || sum(bytes) FROM netflow.flows WHERE obs_domain = 42}),
	"$t_during{packets} $t_during{bytes}", 'packets and bytes of the concurrent exporter equal what it sent');
is($node->safe_psql('postgres', q{SELECT count(*) > 0 AND sum(value) = 0 FROM netflow.collector_counters() WHERE counter LIKE 'drop%' OR counter = 'kernel_drops'}),
	't', 'no datagram dropped (every drop counter and kernel_drops are 0)');
my %pids_after = split /[|\n]/, $node->safe_psql('postgres',
	q{SELECT worker_type || worker_id, pid FROM netflow.collector_workers() ORDER BY 1});
is_deeply(\%pids_after, \%pids_before, 'the same collector processes ran across the update');
assert_no_crash($node, $start_time, 'update under ingest');

# --- stored rows intact -------------------------------------------------------------
$i = 0;
for (@tables)
{
	my ($t) = split /\|/;
	$i++;
	my $c = $cols{$t};
	my $exists = $node->safe_psql('postgres', "SELECT to_regclass('$t') IS NOT NULL");
	if ($exists ne 't')
	{
		fail("$t still exists");
		next;
	}
	my ($lost, $added) = split /\|/, $node->safe_psql('postgres', qq{
		SELECT (SELECT count(*) FROM (SELECT r FROM snap.t$i EXCEPT ALL SELECT ROW($c)::text FROM $t) x),
			   (SELECT count(*) FROM (SELECT ROW($c)::text FROM $t EXCEPT ALL SELECT r FROM snap.t$i) y)});
	if ($live{$t} || $install_rows{$t} || $t =~ /^netflow\.flows_p/)
	{
		is($lost, 0, "$t: the $rows_before{$t} rows stored before the update are unchanged");
	}
	else
	{
		is("$lost $added", '0 0', "$t: the same $rows_before{$t} rows as before the update");
	}
}
for my $q (sort keys %readback)
{
	is($node->safe_psql('postgres', $readback{$q}), $before_read{$q},
		"read back through the current code: $q");
}

# --- the schema equals a fresh install ------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION netflow');

# The extension's objects as pg_dump --binary-upgrade writes them (plain
# mode leaves extension members out), without partitions of netflow.flows
# (they follow the data) and with OIDs, transaction ids, dump headers, the
# session key and dropped-column placeholders removed; blocks sorted by
# their TOC line.  Column order counts: ALTER TABLE ... ADD COLUMN appends,
# so a column added in sql/parts/ goes at the end of its table there too.
sub schema_of
{
	my ($db) = @_;
	my @parts = split /\n/, $node->safe_psql($db, q{
		SELECT c.oid::regclass::text FROM pg_class c
		WHERE c.relispartition AND c.relnamespace = 'netflow'::regnamespace});
	my $file = "$tmp/schema-$db.sql";
	$node->command_ok(
		[ 'pg_dump', '--schema-only', '--binary-upgrade', '--no-owner', '-e', 'netflow', '-n', 'netflow',
		  (map { ('--exclude-table', $_) } @parts), '-f', $file, '-d', $node->connstr($db) ],
		"pg_dump --schema-only --binary-upgrade of database $db");
	my $dump = slurp_file($file);
	$dump =~ s/^\\(un)?restrict .*$//mg;
	$dump =~ s/^-- Dumped (from|by) .*$//mg;
	$dump =~ s/^SELECT pg_catalog\.binary_upgrade_set_next_\w+\(.*$//mg;
	$dump =~ s/^SELECT pg_catalog\.binary_upgrade_create_empty_extension\(.*$//mg;
	$dump =~ s/^-- For binary upgrade, .*$//mg;
	$dump =~ s/^UPDATE pg_catalog\.pg_class\nSET relfrozenxid = .*\nWHERE oid = .*;$//mg;
	# a column dropped by an upgrade script is no difference (pg_upgrade
	# recreates it as a placeholder; a fresh install never had it)
	$dump =~ s/^\s*"\.+pg\.dropped\.\d+\.+" .*\n//mg;
	$dump =~ s/,\n\);/\n);/g;
	$dump =~ s/^UPDATE pg_catalog\.pg_attribute\nSET attlen = .*\nWHERE attname = '\.+pg\.dropped\.\d+\.+'\n  AND attrelid = .*;\n//mg;
	$dump =~ s/^ALTER TABLE ONLY \S+ DROP COLUMN "\.+pg\.dropped\.\d+\.+";\n//mg;
	my @blocks = split /^(?=--\n-- (?:Name|Data for Name): )/m, $dump;
	s/\n{2,}/\n/g for @blocks;
	# the order of the items of one ACL follows the order of the GRANTs,
	# which an upgrade cannot always repeat; it means nothing
	for (@blocks)
	{
		my @lines = split /\n/;
		my @grants = sort grep { /^GRANT / } @lines;
		$_ = join("\n", (grep { !/^GRANT / } @lines), @grants) . "\n" if @grants > 1;
	}
	return join("\n", sort @blocks);
}
my $fresh = schema_of('fresh');
my $updated = schema_of('postgres');
like($fresh, qr/CREATE TABLE netflow\.flows/, 'the dump holds the extension\'s objects');
my $same = $fresh eq $updated;
ok($same, "schema after the update equals a fresh install of $current");
unless ($same)
{
	PostgreSQL::Test::Utils::append_to_file("$tmp/schema-fresh.norm", $fresh);
	PostgreSQL::Test::Utils::append_to_file("$tmp/schema-updated.norm", $updated);
	diag(scalar `diff -u $tmp/schema-fresh.norm $tmp/schema-updated.norm | head -n 200`);
}
is( $node->safe_psql('postgres', q{SELECT array(SELECT unnest(extconfig)::regclass::text ORDER BY 1)::text || ' ' || coalesce(extcondition::text, '') FROM pg_extension WHERE extname = 'netflow'}),
	$node->safe_psql('fresh', q{SELECT array(SELECT unnest(extconfig)::regclass::text ORDER BY 1)::text || ' ' || coalesce(extcondition::text, '') FROM pg_extension WHERE extname = 'netflow'}),
	'the same tables are dumped as configuration (pg_extension_config_dump)');
for my $t (sort keys %install_rows)
{
	my $c = $install_rows{$t}[0];
	my $q = "SELECT md5(string_agg(ROW($c)::text, E'\\n' ORDER BY ROW($c)::text)) FROM $t";
	is($node->safe_psql('postgres', $q), $node->safe_psql('fresh', $q),
		"$t: the rows the install scripts write equal a fresh install's");
}

$node->stop('fast');
done_testing();
