# 112_compression_standby.pl -- a streaming standby returns the same query
# results as the primary on compressed partitions (issue 11): after the
# conversion, after a late insert into the tail, after compressing the tail
# and after decompression.  Everything the conversion writes is heap WAL.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('compression_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "timezone = 'UTC'\n");
$primary->start;
$primary->safe_psql('postgres', q{
	CREATE EXTENSION netflow;
	SELECT netflow.create_partitions('2030-01-01', '2030-01-03');
	INSERT INTO netflow.flows (time_start, exporter, version, src_addr, dst_addr, src_port, dst_port,
							   protocol, packets, bytes, dst_mac)
	SELECT timestamptz '2030-01-01' + g * interval '1.1 seconds', ('127.0.0.' || g % 3 + 1)::inet, 9,
		   CASE WHEN g % 4 = 0 THEN ('2001:db8::' || to_hex(g))::inet ELSE ('10.0.' || (g / 256) % 256 || '.' || g % 256)::inet END,
		   CASE WHEN g % 4 = 0 THEN '2001:db8::2'::inet ELSE '10.9.9.9'::inet END,
		   g % 60000, 53, 17, 1 + g % 9, 60 + g % 1400, CASE WHEN g % 3 = 0 THEN 'aa:bb:cc:dd:ee:ff'::macaddr END
	FROM generate_series(0, 59999) AS g;
});
$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('compression_standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;

my @queries = (
	q{SELECT count(*) FROM netflow.flows},
	q{SELECT md5(string_agg(t::text, E'\n' ORDER BY t::text)) FROM netflow.flows t},
	q{SELECT string_agg(i::text, ',' ORDER BY i::text) FROM netflow.topn_items(
		(SELECT netflow.topn(dst_addr, bytes, 100) FROM netflow.flows), 10) i},
	q{SELECT round(netflow.entropy(src_port)::numeric, 9) FROM netflow.flows},
	q{SELECT count(*) FROM netflow.flows WHERE time_start >= '2030-01-01 05:00' AND time_start < '2030-01-01 06:00'},
	q{SELECT string_agg(partition::text || ' ' || compressed, ',' ORDER BY lower) FROM netflow.partitions});

# The standby answers every query as the primary does.
sub compare
{
	my ($what) = @_;
	$primary->wait_for_catchup($standby);
	for my $q (@queries)
	{
		is($standby->safe_psql('postgres', $q), $primary->safe_psql('postgres', $q), "$what: $q");
	}
}

my $before = $primary->safe_psql('postgres', $queries[1]);
$primary->safe_psql('postgres', q{SELECT netflow.compress_partition('netflow.flows_p20300101')});
compare('after compression');
is($standby->safe_psql('postgres', $queries[1]), $before, 'standby reads the rows as they were before compression');
is($standby->safe_psql('postgres', q{SELECT count(*) FROM netflow.compressed_batches}),
	'19', 'standby has the batches (one per hour: 3,272 rows an hour)');

$primary->safe_psql('postgres', q{
	INSERT INTO netflow.flows (time_start, exporter, bytes) VALUES ('2030-01-01 22:00', '127.0.0.50', 5)});
compare('after a late insert');
$primary->safe_psql('postgres', q{SELECT netflow.compress_partition('netflow.flows_p20300101')});
compare('after compressing the tail');
$primary->safe_psql('postgres', q{SELECT netflow.decompress_partition('netflow.flows_p20300101')});
compare('after decompression');

$standby->stop;
$primary->stop;
done_testing();
