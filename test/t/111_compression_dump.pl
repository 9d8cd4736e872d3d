# 111_compression_dump.pl -- pg_dump / pg_restore of a database with a
# compressed partition (issue 11): the dump holds the partition's rows (read
# through its scan: batches and tail) and not the rows of
# netflow.compressed_batches; the restored partition is a netflow_compressed
# table with every row in its tail, exactly once, and compresses again.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('compression_dump');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\n");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
	CREATE EXTENSION netflow;
	SELECT netflow.create_partitions('2030-01-01', '2030-01-03');
	INSERT INTO netflow.flows (time_start, time_end, exporter, version, src_addr, dst_addr,
							   src_port, dst_port, protocol, packets, bytes, src_mac, src_vlan)
	SELECT timestamptz '2030-01-01' + g * interval '0.8 seconds',
		   CASE WHEN g % 7 = 0 THEN NULL ELSE timestamptz '2030-01-01' + g * interval '0.8 seconds' + interval '2 s' END,
		   ('127.0.0.' || g % 5 + 1)::inet, 10,
		   CASE WHEN g % 3 = 0 THEN ('2001:db8::' || to_hex(g / 65536) || ':' || to_hex(g % 65536))::inet ELSE ('10.1.' || (g / 256) % 256 || '.' || g % 256)::inet END,
		   CASE WHEN g % 3 = 0 THEN '2001:db8::1'::inet ELSE '10.2.0.1'::inet END,
		   g % 65536, 443, 6, g % 50, CASE WHEN g % 11 = 0 THEN 9223372036854775807 ELSE g END,
		   CASE WHEN g % 2 = 0 THEN '00:11:22:33:44:55'::macaddr END, CASE WHEN g % 5 = 0 THEN g % 4096 END
	FROM generate_series(0, 99999) AS g;
	SELECT netflow.compress_partition('netflow.flows_p20300101');
	-- a late flow in the tail of the compressed partition
	INSERT INTO netflow.flows (time_start, exporter, bytes) VALUES ('2030-01-01 23:00', '127.0.0.99', 1);
	CREATE TABLE public.copy AS SELECT * FROM netflow.flows_p20300101;
});
is($node->safe_psql('src', q{SELECT count(*) FROM netflow.compressed_batches}),
	'23', 'source: the partition is in 23 batches (one per hour: 4,500 rows an hour)');

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-f', $dump, '-d', $node->connstr('src') ], 'pg_dump');
my ($list) = run_command([ 'pg_restore', '-l', $dump ]);
unlike($list, qr/TABLE DATA netflow compressed_batches/, 'the batch table is not dumped');
like($list, qr/TABLE DATA netflow flows_p20300101/, 'the compressed partition is dumped as rows');

$node->safe_psql('postgres', 'CREATE DATABASE dst');
$node->command_ok(
	[ 'pg_restore', '--single-transaction', '--exit-on-error', '-d', $node->connstr('dst'), $dump ],
	'pg_restore --single-transaction');

my $exact = q{SELECT (SELECT count(*) FROM (SELECT * FROM copy EXCEPT ALL SELECT * FROM netflow.flows_p20300101) a)
				|| ' ' || (SELECT count(*) FROM (SELECT * FROM netflow.flows_p20300101 EXCEPT ALL SELECT * FROM copy) b)
				|| ' ' || (SELECT count(*) FROM netflow.flows_p20300101)};
is($node->safe_psql('dst', $exact), '0 0 100001', 'restored: every row exactly once');
is($node->safe_psql('src', $exact), '0 0 100001', 'source unchanged');
is( $node->safe_psql('dst', q{
		SELECT a.amname || ' ' || (SELECT count(*) FROM netflow.compressed_batches)
		FROM pg_class c JOIN pg_am a ON a.oid = c.relam
		WHERE c.oid = 'netflow.flows_p20300101'::regclass}),
	'netflow_compressed 0', 'restored: still netflow_compressed, rows in its tail, no batch');
is($node->safe_psql('dst', q{SELECT compressed FROM netflow.partitions WHERE lower = '2030-01-01'}),
	't', 'netflow.partitions shows it compressed');

is($node->safe_psql('dst', q{SELECT netflow.compress_partition('netflow.flows_p20300101')}),
	'100001', 'restored partition compresses again');
is($node->safe_psql('dst', $exact), '0 0 100001', 'after compressing again: every row exactly once');
is($node->safe_psql('dst', q{SELECT count(*) FROM netflow.compressed_batches}),
	'23', 'restored partition in 23 batches (the late flow joins the last hour\'s)');

$node->stop;
done_testing();
