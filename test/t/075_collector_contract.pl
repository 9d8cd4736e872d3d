# The flow validity contract on the collector's path (issue 10, defect 11):
# crafted datagrams with a v5 mask of 40 and 200, v9 records with an IPv4
# source and an IPv6 destination, directions 2, 7 and 255 and IPv6 prefix
# lengths 129 and 255 are stored with those fields NULL (or, for the mixed
# families, dropped), counted by reason, and an analyst's cast of every
# stored row to netflow.flow works.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('contract');
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
$node->safe_psql('postgres', 'CREATE EXTENSION netflow');
# v5 times are 2026-01-01; the v9 records carry no time (receive time)
$node->safe_psql('postgres',
	"SELECT netflow.create_partitions('2026-01-01', '2026-01-02');
	 SELECT netflow.create_partitions(now() - interval '1 day', now() + interval '1 day')");

# v5: record 1000 with masks 40/200, record 1001 with 24/16
my $v5 = pack('H*', '0005000200002710695661c01dcd650000000001000000000a0000010a00000200000000000100020000000100000064000013880000232803e80050001006000000000028c800000a0000010a00000200000000000100020000000100000064000013880000232803e90050001006000000000018100000');
# v9: templates 300 (IPv4 source, IPv6 destination: dropped), 301 (IPv4,
# directions 0, 1, 2, 7, 255), 302 (IPv6, prefix lengths 0, 64, 128, 129, 255)
my $v9 = pack('H*', '0009000c0000ea60695661c000000001000000070000005c012c000600080004001c0010000100040002000400070002003d0001012d000600080004000c0004000100040002000400070002003d0001012e0007001b0010001c0010000100040002000400070002001d0001001e0001012c00240a00000120010db8000000000000000000000002000000640000000107d00000012d00640a0000010a00000200000064000000010bb8000a0000010a00000200000064000000010bb9010a0000010a00000200000064000000010bba020a0000010a00000200000064000000010bbb070a0000010a00000200000064000000010bbcff00012e00e020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa0000020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa1404020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa2808020010db800000000000000000000000120010db800000000000000000000000200000064000000010fa3818120010db800000000000000000000000120010db800000000000000000000000200000064000000010fa4ffff');
send_udp($port, $v5, $v9);
ok(wait_for_flows($node, 12), '12 flows stored (the mixed-family one dropped)');

is( $node->safe_psql('postgres',
		"SELECT count(*), count(netflow.flow(f)) FROM netflow.flows f"),
	'12|12', 'every stored row casts to netflow.flow (the analyst query works)');
is( $node->safe_psql('postgres',
		"SELECT src_port, src_mask IS NULL, dst_mask IS NULL FROM netflow.flows
		 WHERE version = 5 ORDER BY src_port"),
	"1000|t|t\n1001|f|f", 'v5: masks 40 and 200 stored as NULL, 24 and 16 kept');
is( $node->safe_psql('postgres',
		"SELECT string_agg(src_port || ':' || coalesce(direction::text, 'NULL'), ',' ORDER BY src_port)
		 FROM netflow.flows WHERE src_port BETWEEN 3000 AND 3004"),
	'3000:0,3001:1,3002:NULL,3003:NULL,3004:NULL',
	'v9: directions 2, 7 and 255 stored as NULL');
is( $node->safe_psql('postgres',
		"SELECT string_agg(src_port || ':' || coalesce(src_mask::text, 'NULL'), ',' ORDER BY src_port)
		 FROM netflow.flows WHERE src_port BETWEEN 4000 AND 4004"),
	'4000:0,4001:64,4002:128,4003:NULL,4004:NULL',
	'v9: IPv6 prefix lengths 129 and 255 stored as NULL');
is($node->safe_psql('postgres', "SELECT count(*) FROM netflow.flows WHERE src_port = 2000"),
	'0', 'v9: the record with mixed address families is not stored');

is( $node->safe_psql('postgres',
		"SELECT string_agg(counter || '=' || value, ',' ORDER BY counter)
		 FROM netflow.collector_counters()
		 WHERE counter IN ('invalid_mask', 'invalid_direction', 'drop_mixed_family', 'drop_invalid_record')"),
	'drop_invalid_record=0,drop_mixed_family=1,invalid_direction=3,invalid_mask=6',
	'the contract counters, by reason');
is( $node->safe_psql('postgres',
		"SELECT count FROM netflow.drop_counters WHERE reason = 'drop_mixed_family'"),
	'1', 'the dropped record shows in drop_counters');
is(stat_value($node, 'drop_rejected'), '0', 'no row refused by the table');

assert_no_crash($node, $start_time, 'contract');
$node->stop;
done_testing();
