# 130_detect_recall.pl -- recall and false alerts of netflow.detect on the
# demo generator's traffic: 30 hours of background for 10,000 hosts
# (scripts/demo_traffic.py copy), the labelled attacks injected in the last
# 6 hours.  Every attack must be found with its entity, and at most 5
# detections may name only background hosts.  Prints recall and false
# alerts.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use File::Spec;

my $root = $ENV{NETFLOW_ROOT} // File::Spec->rel2abs("$FindBin::RealBin/../..");
my $gen = "$root/scripts/demo_traffic.py";
-f $gen or BAIL_OUT("generator not found: $gen");

my $node = PostgreSQL::Test::Cluster->new('detect_recall');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\nmax_wal_size = '2GB'\n");
$node->start;

my $dir = $PostgreSQL::Test::Utils::tmp_check;
my ($flows, $labels) = ("$dir/recall_flows.tsv", "$dir/recall_labels.json");
system("python3 '$gen' --hosts 10000 --seed 13 copy --start 2030-03-01T00:00:00Z --hours 30 "
	  . "--attacks-from 24 --labels '$labels' > '$flows'") == 0
  or BAIL_OUT("generator failed");

$node->safe_psql('postgres', qq{
	CREATE EXTENSION netflow;
	SELECT count(*) FROM netflow.create_partitions('2030-03-01', '2030-03-03');
	\\copy netflow.flows (time_start, time_end, time_received, exporter, src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, packets, bytes) FROM '$flows'
	ANALYZE netflow.flows;
});
my $n = $node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows');
my $hosts = $node->safe_psql('postgres',
	q{SELECT count(DISTINCT src_addr) FROM netflow.flows WHERE src_addr << '10.20.0.0/16'});
diag("loaded $n flows from $hosts background hosts");
cmp_ok($hosts, '>=', 10000, 'at least 10,000 background hosts');

open(my $fh, '<', $labels) or die "$labels: $!";
my @labels = map { chomp; $_ } <$fh>;
close $fh;
is(scalar(@labels), 6, 'six labelled attacks');
my $json = join(',', @labels);
$node->safe_psql('postgres', qq{
	CREATE TABLE labels AS
	SELECT * FROM jsonb_to_recordset('[$json]'::jsonb)
		AS x(kind text, src_addr inet, dst_addr inet, dst_port integer, start timestamptz, "end" timestamptz);
	CREATE TABLE found AS SELECT * FROM netflow.detect('2030-03-02 00:00+00', '2030-03-02 06:00+00');
});

# An attack is found when a detection of its kind names its attacker (or,
# for a flood, its victim) and, where the label has one, its port or
# destination.
my $missed = $node->safe_psql('postgres', q{
	SELECT string_agg(l.kind || ' ' || coalesce(host(l.src_addr), host(l.dst_addr)), ', ')
	FROM labels l
	WHERE NOT EXISTS (
		SELECT 1 FROM found f
		WHERE f.kind = l.kind
		  AND (l.src_addr IS NULL OR f.src_addr = l.src_addr)
		  AND (l.src_addr IS NOT NULL OR f.dst_addr = l.dst_addr)
		  AND (l.dst_port IS NULL OR f.dst_port = l.dst_port OR l.kind = 'beaconing' AND f.dst_addr = l.dst_addr)
		  AND (l.kind <> 'scan' OR l.dst_addr IS NULL OR f.dst_addr = l.dst_addr))});
my $found = 6 - ($missed eq '' ? 0 : scalar(split /, /, $missed));
# False alerts: detections naming no address of any attack.
my $false = $node->safe_psql('postgres', q{
	SELECT count(*) || ';' || coalesce(string_agg(f.kind || ' ' || coalesce(host(f.src_addr), '-') || ' -> '
										   || coalesce(host(f.dst_addr), '-') || ':' || coalesce(f.dst_port::text, '-'), ', '), '')
	FROM found f
	WHERE NOT EXISTS (SELECT 1 FROM labels l
					  WHERE f.src_addr IN (l.src_addr, l.dst_addr) OR f.dst_addr IN (l.src_addr, l.dst_addr))});
my ($nfalse, $which) = split /;/, $false, 2;
my $total = $node->safe_psql('postgres', 'SELECT count(*) FROM found');
diag(sprintf("recall %d/6 = %.2f; detections %d; false alerts on background hosts %d%s",
		$found, $found / 6, $total, $nfalse, $nfalse ? " ($which)" : ''));
is($missed, '', 'every injected attack is found');
cmp_ok($nfalse, '<=', 5, 'at most 5 alerts on background hosts');

done_testing();
