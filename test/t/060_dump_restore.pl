# 060_dump_restore.pl -- a database using netflow survives pg_dump -Fc and
# pg_restore --single-transaction --exit-on-error into a new database: the
# settings changed in netflow.config, the partitions (daily, hourly and the
# partitions filling a day around hourly ones) with their BRIN indexes, the
# flows (in netflow.flows and netflow.flows_future), and user columns of
# type netflow.flow and netflow.topn_summary come back unchanged.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump_restore');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\n");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
	CREATE EXTENSION netflow;
	INSERT INTO netflow.config VALUES
		('retention', '90 days'), ('premake', '2'), ('future_tolerance', '6 hours');

	-- Daily partitions for the 1st to the 3rd, hourly ones on the 4th, and
	-- back to days: the rest of the 4th and the 5th.
	SELECT netflow.create_partitions('2030-01-01 00:00+00', '2030-01-04 00:00+00');
	INSERT INTO netflow.config VALUES ('partition_interval', '1 hour');
	SELECT netflow.create_partitions('2030-01-04 00:00+00', '2030-01-04 02:00+00');
	UPDATE netflow.config SET value = '1 day' WHERE key = 'partition_interval';
	SELECT netflow.create_partitions('2030-01-04 00:00+00', '2030-01-06 00:00+00');

	-- Flows from netflow.flow values...
	INSERT INTO netflow.flows
	SELECT e.* FROM (VALUES
		('time_start=2030-01-01T10:00:00Z time_end=2030-01-01T10:00:05Z time_received=2030-01-01T10:00:06Z exporter=192.0.2.1 version=9 src_addr=10.0.0.1 dst_addr=10.0.0.2 src_port=443 dst_port=51000 protocol=6 packets=10 bytes=1000 sampling_interval=1'::netflow.flow),
		('time_start=2030-01-04T01:30:00.123456Z time_end=2030-01-04T01:31:00Z time_received=2030-01-04T01:31:01Z exporter=2001:db8::fe obs_domain=5 version=10 src_addr=2001:db8::1 dst_addr=2001:db8::2 packets=7 bytes=700 sampling_interval=0 src_mac=00:1b:21:3a:4f:5e icmp_type=128 icmp_code=0 flags=2'),
		('time_start=2030-01-04T12:00:00Z time_end=2030-01-04T12:00:01Z time_received=2030-01-04T12:00:02Z exporter=192.0.2.2 version=5 src_addr=10.0.0.3 dst_addr=10.0.0.4 protocol=17 packets=3 bytes=300 sampling_interval=100')
	) AS v(f), LATERAL netflow.expand(v.f) e;
	-- ...and plain rows over every day, gap partition included.
	INSERT INTO netflow.flows (time_start, time_end, exporter, version, src_addr, dst_addr,
							   src_port, dst_port, protocol, packets, bytes, sampling_interval)
	SELECT timestamptz '2030-01-01 00:00+00' + g * interval '397 seconds',
		   timestamptz '2030-01-01 00:00+00' + g * interval '397 seconds' + interval '2 seconds',
		   '192.0.2.9', 10, ('10.1.' || (g % 7) || '.' || (g % 251))::inet, '10.2.0.1',
		   g % 65536, 443, 6, g % 50 + 1, (g % 50 + 1) * 576, 1
	FROM generate_series(0, 1000) AS g;
	-- A far-future flow kept aside.
	INSERT INTO netflow.flows_future (time_start, exporter, version, packets, bytes)
	VALUES ('2099-01-01 00:00+00', '192.0.2.66', 9, 1, 60);

	-- A user table with the extension's types.
	CREATE TABLE public.saved (id integer PRIMARY KEY, f netflow.flow, s netflow.topn_summary);
	INSERT INTO public.saved
	SELECT 1, netflow.flow(t), NULL FROM netflow.flows t
	WHERE time_start = '2030-01-04 01:30:00.123456+00';
	INSERT INTO public.saved
	SELECT 2, NULL, netflow.topn(src_addr, bytes, 16) FROM netflow.flows;
	INSERT INTO public.saved
	SELECT 3, NULL, netflow.topn(dst_port, packets, 4) FROM netflow.flows;
});

# The same query on both databases; returns its output.
my %q = (
	config => q{SELECT string_agg(key || '=' || value, ',' ORDER BY key) FROM netflow.config},
	settings => q{SELECT partition_interval || ' ' || premake || ' ' || retention || ' ' || future_tolerance
				  FROM netflow.maintenance_settings()},
	partitions => q{SELECT string_agg(partition::text || ' [' || lower || ', ' || upper || ')', E'\n' ORDER BY lower)
					FROM netflow.flows_partitions()},
	brin => q{SELECT string_agg(c.relname || ' ' || pg_get_indexdef(i.indexrelid), E'\n'
							   ORDER BY c.relname, pg_get_indexdef(i.indexrelid))
			  FROM netflow.flows_partitions() p
			  JOIN pg_class c ON c.oid = p.partition
			  JOIN pg_index i ON i.indrelid = p.partition},
	flows_count => q{SELECT count(*) FROM netflow.flows},
	flows_sum => q{SELECT md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM netflow.flows t},
	flows_per_partition => q{SELECT string_agg(rel || ' ' || n, ',' ORDER BY rel)
							 FROM (SELECT tableoid::regclass::text AS rel, count(*) AS n
								   FROM netflow.flows GROUP BY 1) x},
	future => q{SELECT count(*) || ' ' || md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM netflow.flows_future t},
	saved => q{SELECT string_agg(id || ' ' || coalesce(f::text, '-') || ' ' || coalesce(s::text, '-'), E'\n' ORDER BY id)
			   FROM public.saved},
	saved_binary => q{SELECT string_agg(id || ' ' || coalesce(md5(netflow.flow_to_bytea(f)), '-')
									   || ' ' || coalesce(md5(netflow.bytea(s)), '-'), ',' ORDER BY id)
					  FROM public.saved},
);
my %before = map { $_ => $node->safe_psql('src', $q{$_}) } keys %q;

# Sanity of what is compared: it is there to be lost.
is($before{config}, 'future_tolerance=6 hours,partition_interval=1 day,premake=2,retention=90 days',
	'source: config overrides set');
like($before{partitions}, qr/flows_p20300104_20300104020000 \[2030-01-04 02:00:00\+00, 2030-01-05 00:00:00\+00\)/,
	'source: the rest of the 4th has a gap partition');
is($before{flows_count}, '1004', 'source: 1004 flows');
my $n_partitions = () = $before{partitions} =~ /^netflow\./mg;
is($n_partitions, 7, 'source: 7 partitions (3 days, 2 hours, the rest of the 4th, the 5th)');
my $n_brin = () = $before{brin} =~ /USING brin \(time_start\)/g;
is($n_brin, 7, 'source: every partition has its BRIN index');

# Dump and restore into a new database.
my $dump = $PostgreSQL::Test::Utils::tmp_check . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ],
	'pg_dump -Fc of the source database');
$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '--single-transaction',
	  '-d', $node->connstr('dst'), $dump ],
	'pg_restore --exit-on-error --single-transaction into a new database');

my %after = map { $_ => $node->safe_psql('dst', $q{$_}) } keys %q;
is($after{config}, $before{config}, 'config overrides restored');
is($after{settings}, $before{settings}, 'effective maintenance settings equal');
is($after{partitions}, $before{partitions}, 'partition list and ranges equal');
is($after{brin}, $before{brin}, 'every restored partition has its BRIN indexes on time_start and time_received');
is($after{flows_count}, $before{flows_count}, 'flow count equal');
is($after{flows_sum}, $before{flows_sum}, 'flows checksum equal');
is($after{flows_per_partition}, $before{flows_per_partition}, 'flows are in the same partitions');
is($after{future}, $before{future}, 'netflow.flows_future restored');
is($after{saved}, $before{saved}, 'netflow.flow and topn_summary columns equal (text form)');
is($after{saved_binary}, $before{saved_binary}, 'netflow.flow and topn_summary columns equal (binary form)');
is( $node->safe_psql('dst', q{SELECT count(*) FROM netflow.config_defaults}),
	$node->safe_psql('src', q{SELECT count(*) FROM netflow.config_defaults}),
	'built-in defaults neither lost nor duplicated');

# The restored database works: flows are inserted into the restored
# partitions, the flow column compares equal to the restored row, and new
# partitions can be made.
is( $node->safe_psql('dst', q{
		INSERT INTO netflow.flows (time_start, packets, bytes)
		VALUES ('2030-01-04 13:00+00', 1, 60)
		RETURNING tableoid::regclass}),
	'netflow.flows_p20300104_20300104020000',
	'restored database: a flow goes into the restored gap partition');
is( $node->safe_psql('dst', q{
		SELECT s.f OPERATOR(netflow.=)
			   (SELECT netflow.flow(t) FROM netflow.flows t
				WHERE t.time_start = '2030-01-04 01:30:00.123456+00')
		FROM public.saved s WHERE s.id = 1}),
	't', 'restored database: the saved flow equals its restored row');
is( $node->safe_psql('dst', q{
		SELECT string_agg(p::text, ',') FROM netflow.create_partitions('2030-01-06 00:00+00', '2030-01-07 00:00+00') p}),
	'netflow.flows_p20300106',
	'restored database: create_partitions makes the next partition');

$node->stop;
done_testing();
