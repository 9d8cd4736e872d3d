# Sampling rates and sequence state survive a restart of the collector.
# A NetFlow v9 exporter announces, in options records, sampler 5 at 1:100
# (source id 21, elements 48/49/50) and an exporter-wide 1:10 (source id
# 22, elements 34/35); they are saved in netflow.sampling and the
# sequence state in netflow.exporter_state.  After a server restart, data
# records alone (no options, no templates) are stored with the saved
# intervals, a sequence jump over the downtime is one gap with the right
# loss, a continuation is none, and a number behind the saved one is an
# exporter restart.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib $FindBin::RealBin;
use CollectorTest;

my ($node, $port) = collector_node('state');
$node->safe_psql('postgres', $CREATE_EXTENSION);
ok($node->wait_for_log(qr/netflow inserter started in database "postgres"/),
	'inserter started');

my $t = 1767225600;
my $uptime = 7_200_000;

# A v9 datagram: header then flowsets.
sub v9
{
	my ($seq, $source_id, $up, @sets) = @_;
	return pack('nnNNNN', 9, scalar @sets, $up, $t + int(($up - $uptime) / 1000),
		$seq, $source_id) . join('', @sets);
}

# A flowset with id $id holding $body, padded to 4 bytes.
sub flowset
{
	my ($id, $body) = @_;
	my $pad = (4 - (4 + length $body) % 4) % 4;
	return pack('nn', $id, 4 + length($body) + $pad) . $body . ("\0" x $pad);
}

# Template record: id and (element, length) pairs.
sub template
{
	my ($id, @f) = @_;
	return pack('nn', $id, scalar @f) . join('', map { pack('nn', @$_) } @f);
}

# v9 options template record: id, scope fields, option fields.
sub options_template
{
	my ($id, $scope, $opts) = @_;
	return pack('nnn', $id, 4 * @$scope, 4 * @$opts)
	  . join('', map { pack('nn', @$_) } @$scope, @$opts);
}

# data template 256 names sampler 48; 257 names none
my $t256 = template(256, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ], [ 48, 1 ],
	[ 22, 4 ], [ 21, 4 ]);
my $t257 = template(257, [ 8, 4 ], [ 12, 4 ], [ 2, 4 ], [ 1, 4 ], [ 22, 4 ],
	[ 21, 4 ]);

# records: src 10.21.0.$i / 10.22.0.$i, $i packets, 100*$i bytes
sub rec256
{
	my ($i, $up) = @_;
	return pack('a4a4NNCNN', pack('C4', 10, 21, 0, $i), pack('C4', 192, 0, 2, 1),
		$i, 100 * $i, 5, $up - 2000, $up - 1000);
}

sub rec257
{
	my ($i, $up) = @_;
	return pack('a4a4NNNN', pack('C4', 10, 22, 0, $i), pack('C4', 192, 0, 2, 1),
		$i, 100 * $i, $up - 2000, $up - 1000);
}

# --- before the restart -------------------------------------------------------
# source 21, seq 100: options template 300 (scope System; 48, 49, 50), the
# options record "sampler 5, random, 1 in 100", data template 256, one flow
my $up = $uptime;
my $d21 = v9(100, 21, $up,
	flowset(1, options_template(300, [ [ 1, 4 ] ], [ [ 48, 1 ], [ 49, 1 ], [ 50, 4 ] ])),
	flowset(300, pack('NCCN', 0, 5, 2, 100)),
	flowset(0, $t256),
	flowset(256, rec256(1, $up)));
# source 22, seq 500: options template 301 (scope System; 34, 35), the
# exporter-wide record "1 in 10", data template 257, one flow
my $d22 = v9(500, 22, $up,
	flowset(1, options_template(301, [ [ 1, 4 ] ], [ [ 34, 4 ], [ 35, 1 ] ])),
	flowset(301, pack('NNC', 0, 10, 1)),
	flowset(0, $t257),
	flowset(257, rec257(1, $up)));
send_udp($port, $d21, $d22);
$up += 1000;
# source 21, seq 101: data only
send_udp($port, v9(101, 21, $up, flowset(256, rec256(2, $up))));

ok(wait_for_flows($node, 3), 'flows before the restart arrive');
is( $node->safe_psql('postgres',
		"SELECT string_agg(obs_domain || ':' || sampling_interval, ',' ORDER BY obs_domain, packets) FROM netflow.flows"),
	'21:100,21:100,22:10', 'live: options records give the intervals');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM netflow.sampling"),
	'both sampling rates are saved in netflow.sampling');
is( $node->safe_psql('postgres',
		q{SELECT string_agg(host(exporter) || ':' || obs_domain || ':' || version || ':' || sampler_kind || ':' || sampler_id || ':' || sampling_interval, ',' ORDER BY obs_domain) FROM netflow.sampling}),
	'127.0.0.1:21:9:sampler:5:100,127.0.0.1:22:9:exporter:0:10',
	'saved sampling rows');
ok( $node->poll_query_until('postgres',
		"SELECT string_agg(obs_domain || ':' || next_sequence || ':' || last_uptime_ms, ',' ORDER BY obs_domain) = '21:102:$up,22:501:$uptime' FROM netflow.exporter_state"),
	'sequence state saved: next expected 102 (source 21) and 501 (source 22), with sysUptime');

# --- restart; data records only -----------------------------------------------
$node->restart;
ok( $node->wait_for_log(
		qr/netflow inserter loaded 2 saved sampling rates and 2 sequence states \(0 rejected\)/),
	'the new inserter loads the saved sampling rates and sequence state');

$up += 60_000;
# source 21: seq 105, so 102, 103 and 104 were sent while the collector was down
send_udp($port, v9(105, 21, $up, flowset(256, rec256(3, $up) . rec256(4, $up))));
# source 22: seq 501, the continuation
send_udp($port, v9(501, 22, $up, flowset(257, rec257(3, $up))));
ok(wait_for_flows($node, 6), 'data records sent after the restart are decoded');

is( $node->safe_psql('postgres',
		"SELECT count(*), min(sampling_interval), max(sampling_interval) FROM netflow.flows WHERE obs_domain = 21 AND packets >= 3"),
	'2|100|100', 'after the restart: records naming sampler 5 are stored 1:100 without any options record');
is( $node->safe_psql('postgres',
		"SELECT count(*), min(sampling_interval) FROM netflow.flows WHERE obs_domain = 22 AND packets = 3"),
	'1|10', 'after the restart: records naming no sampler get the saved exporter-wide 1:10');
is( $node->safe_psql('postgres',
		"SELECT sum(packets_upscaled), sum(bytes_upscaled) FROM netflow.flows_upscaled WHERE obs_domain = 21 AND packets >= 3"),
	'700|70000', 'flows_upscaled multiplies by the saved interval (7 packets, 700 bytes x 100)');
is(stat_value($node, 'options_records'), '0',
	'no options record was received after the restart');
is(stat_value($node, 'pending_buffered'), '0',
	'no data waited for a template after the restart');

ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 2 FROM netflow.exporters WHERE obs_domain IN (21, 22) AND datagrams = 1"),
	'the exporters view shows the datagrams received after the restart');
is( $node->safe_psql('postgres',
		"SELECT sequence_gaps, lost_flows, reordered, resets FROM netflow.exporters WHERE obs_domain = 21"),
	'1|3|0|0', 'source 21: the jump over the downtime is one gap of 3 export packets, no reset');
is( $node->safe_psql('postgres',
		"SELECT sequence_gaps, lost_flows, reordered, resets FROM netflow.exporters WHERE obs_domain = 22"),
	'0|0|0|0', 'source 22: the continuation is no gap and no reset');
is(stat_value($node, 'seq_gaps') . '|' . stat_value($node, 'seq_lost'), '1|3',
	'collector counters: one gap, 3 lost');
ok( $node->poll_query_until('postgres',
		"SELECT string_agg(obs_domain || ':' || next_sequence, ',' ORDER BY obs_domain) = '21:106,22:502' FROM netflow.exporter_state"),
	'sequence state saved again after the restart');

# --- restart; a number behind the saved one: the exporter restarted too -------
$node->restart;
my $start_time = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');
ok($node->wait_for_log(qr/netflow inserter loaded 2 saved sampling rates and 2 sequence states/),
	'second restart: state loaded');
$up += 60_000;
# a restarted v9 exporter sends its templates again (a v9 restart
# discards the templates it had)
send_udp($port, v9(7, 22, $up, flowset(0, $t257), flowset(257, rec257(5, $up))));
ok(wait_for_flows($node, 7), 'flow after the second restart arrives');
ok( $node->poll_query_until('postgres',
		"SELECT count(*) = 1 FROM netflow.exporters WHERE obs_domain = 22 AND datagrams = 1"),
	'the exporters view shows the datagram');
is( $node->safe_psql('postgres',
		"SELECT sequence_gaps, reordered, resets FROM netflow.exporters WHERE obs_domain = 22"),
	'0|0|1', 'a number behind the saved expectation is an exporter restart, not reordering');

assert_no_crash($node, $start_time, 'collector state');
$node->stop('fast');
done_testing();
