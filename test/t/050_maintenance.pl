# 050_maintenance.pl -- partition maintenance against concurrent sessions:
# a long analyst query holding netflow.flows makes the retention drop
# "deferred" instead of queueing (so inserts keep flowing), and two
# maintenance runs never overlap (the second is "skipped").
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('maintenance');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'\n");
$node->start;

# A generous guard against hanging, not a timing assertion: a statement
# that is blocked (rather than slow) never finishes within it.
my $guard = $PostgreSQL::Test::Utils::timeout_default;

$node->safe_psql('postgres', q{
	CREATE EXTENSION netflow;
	INSERT INTO netflow.config VALUES ('premake', '1'), ('retention', '1 day');
});

# As of 2030-01-01 12:00: partitions for the 1st and the 2nd.
is( $node->safe_psql('postgres',
		q{SELECT string_agg(partition, ',' ORDER BY lower) FROM netflow.run_maintenance('2030-01-01 12:00+00')}),
	'netflow.flows_p20300101,netflow.flows_p20300102',
	'premake creates the current partition and one ahead');
$node->safe_psql('postgres', q{
	INSERT INTO netflow.flows (time_start, packets, bytes)
	VALUES ('2030-01-01 08:00+00', 1, 60), ('2030-01-02 08:00+00', 1, 60);
});

# --- (a) an analyst query holds netflow.flows --------------------------------
my $analyst = $node->background_psql('postgres');
$analyst->query_safe('BEGIN');
is($analyst->query_safe('SELECT count(*) FROM netflow.flows'),
	'2', 'analyst transaction reads netflow.flows and stays open');

# As of 2030-01-03 12:00 the 1st is past the 1-day retention and the 3rd and
# 4th are due: both need ACCESS EXCLUSIVE on netflow.flows, which the open
# analyst transaction prevents.  The run must come back, not wait.
my $out = $node->safe_psql('postgres',
	q{SELECT action || ' ' || coalesce(partition, '-')
	  FROM netflow.run_maintenance('2030-01-03 12:00+00') ORDER BY 1},
	timeout => $guard);
is( $out,
	"deferred -\ndeferred netflow.flows_p20300101",
	'maintenance returns with creation and drop deferred while an analyst holds netflow.flows');
is( $node->safe_psql('postgres',
		q{SELECT status, deferred, dropped FROM netflow.maintenance_log ORDER BY started DESC LIMIT 1}),
	'deferred|2|0', 'the deferred run is logged');
is( $node->safe_psql('postgres',
		q{SELECT to_regclass('netflow.flows_p20300101') IS NOT NULL}),
	't', 'the old partition is still there');

# While maintenance retries in one session, plain INSERTs from another go
# through: maintenance gives up its place in the lock queue after each
# short attempt, so the insert never waits for the analyst to finish (if
# it did, it would block until the guard expires, since the analyst
# transaction stays open until after this point).
my $maint = $node->background_psql('postgres');
$maint->query_until(qr/started/, q{SET client_min_messages = warning;
\echo started
SELECT string_agg(action, ',' ORDER BY action) FROM netflow.run_maintenance('2030-01-03 12:00+00');
});
for my $i (1 .. 5)
{
	$node->safe_psql('postgres',
		qq{INSERT INTO netflow.flows (time_start, packets, bytes)
		   VALUES ('2030-01-02 09:00+00'::timestamptz + interval '$i minutes', 1, 60)},
		timeout => $guard);
}
pass('five inserts completed during maintenance while the analyst transaction was open');
my $maint_out = $maint->query_safe(q{SELECT 'end'});
like($maint_out, qr/^deferred,deferred\nend$/,
	'the concurrent maintenance run was deferred as well');
$maint->quit;

is($analyst->query_safe('SELECT count(*) FROM netflow.flows'),
	'7', 'analyst (read committed) sees the inserted flows, transaction still open');
$analyst->query_safe('COMMIT');

# With the analyst gone the next run does the work.
is( $node->safe_psql('postgres',
		q{SELECT string_agg(action || ' ' || partition, ',' ORDER BY action, partition)
		  FROM netflow.run_maintenance('2030-01-03 12:00+00')}),
	'created netflow.flows_p20300103,created netflow.flows_p20300104,dropped netflow.flows_p20300101',
	'after the analyst commits, the deferred creation and drop happen');
is($node->safe_psql('postgres', 'SELECT count(*) FROM netflow.flows'),
	'6', 'only the flow of the dropped day is gone');

# --- (b) two maintenance runs at once ------------------------------------------
my $first = $node->background_psql('postgres');
$first->query_safe('BEGIN');
$first->query_safe(q{SELECT count(*) FROM netflow.run_maintenance('2030-01-03 12:00+00')});
is( $node->safe_psql('postgres',
		q{SELECT action || ': ' || detail FROM netflow.run_maintenance('2030-01-03 12:00+00')},
		timeout => $guard),
	'skipped: another maintenance run in progress',
	'a second run while the first is in progress is skipped');
is( $node->safe_psql('postgres',
		q{SELECT status FROM netflow.maintenance_log ORDER BY started DESC LIMIT 1}),
	'skipped', 'the skipped run is logged');
is( $node->safe_psql('postgres',
		q{SELECT action FROM netflow.drop_partitions('1 day', '2030-01-03 12:00+00')},
		timeout => $guard),
	'skipped', 'drop_partitions alone is skipped too');
$first->query_safe('COMMIT');
$first->quit;
is( $node->safe_psql('postgres',
		q{SELECT count(*) FROM netflow.run_maintenance('2030-01-03 12:00+00') WHERE action = 'skipped'}),
	'0', 'once the first run has committed, the next one runs');

$node->stop;
done_testing();
