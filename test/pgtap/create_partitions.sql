-- create_partitions.sql -- pgTAP: how netflow.create_partitions makes
-- partitions: as plain tables attached with ATTACH PARTITION (so the parent
-- is never locked ACCESS EXCLUSIVE), without a leftover CHECK constraint,
-- and filling the parts of a bucket that existing partitions of another
-- interval leave uncovered, with deterministic names.
BEGIN;
SELECT plan(16);

-- Nothing before this call has locked netflow.flows in this transaction,
-- so the locks held afterwards are the ones creating a partition takes.
SELECT results_eq(
	$$SELECT netflow.create_partitions('2031-04-01 00:00+00', '2031-04-02 00:00+00')::text$$,
	ARRAY['netflow.flows_p20310401'],
	'create_partitions makes the day partition');
SELECT is(
	(SELECT array_agg(mode ORDER BY mode) FROM pg_locks
	 WHERE locktype = 'relation' AND relation = 'netflow.flows'::regclass
	   AND pid = pg_backend_pid() AND granted),
	ARRAY['AccessShareLock', 'ShareUpdateExclusiveLock'],
	'creating a partition locks netflow.flows SHARE UPDATE EXCLUSIVE at most (no ACCESS EXCLUSIVE)');
SELECT is(
	(SELECT pg_get_expr(relpartbound, oid) FROM pg_class
	 WHERE oid = 'netflow.flows_p20310401'::regclass),
	$$FOR VALUES FROM ('2031-04-01 00:00:00+00') TO ('2031-04-02 00:00:00+00')$$,
	'the partition is attached with its range');
SELECT is_empty(
	$$SELECT conname FROM pg_constraint
	  WHERE conrelid = 'netflow.flows_p20310401'::regclass AND contype = 'c'
		AND conname <> 'flows_contract'$$,
	'the CHECK constraint used for the attach is gone');
SELECT ok(
	(SELECT convalidated FROM pg_constraint
	 WHERE conrelid = 'netflow.flows_p20310401'::regclass
	   AND conname = 'flows_contract'),
	'the partition has the validity contract of netflow.flows');
SELECT is(
	obj_description('netflow.flows_p20310401'::regclass, 'pg_class'),
	'netflow.flows partition for [2031-04-01 00:00:00+00, 2031-04-02 00:00:00+00)',
	'the partition has its comment');
SELECT col_not_null('netflow', 'flows_p20310401', 'time_start',
					'the partition keeps time_start NOT NULL');

-- The next day: two hourly partitions, and one made by hand with bounds
-- that are not whole seconds.
INSERT INTO netflow.config VALUES ('partition_interval', '1 hour');
SELECT results_eq(
	$$SELECT netflow.create_partitions('2031-04-02 05:00+00', '2031-04-02 07:00+00')::text$$,
	ARRAY['netflow.flows_p2031040205', 'netflow.flows_p2031040206'],
	'hourly partitions for 05:00 and 06:00');
CREATE TABLE netflow.flows_handmade PARTITION OF netflow.flows
	FOR VALUES FROM ('2031-04-02 11:00+00') TO ('2031-04-02 12:00:00.5+00');

-- Back to days: the day of the 2nd is filled around the existing partitions.
UPDATE netflow.config SET value = '1 day' WHERE key = 'partition_interval';
SELECT results_eq(
	$$SELECT netflow.create_partitions('2031-04-01 12:00+00', '2031-04-03 12:00+00')::text$$,
	ARRAY['netflow.flows_p20310402_20310402000000',
		  'netflow.flows_p20310402_20310402070000',
		  'netflow.flows_p20310402_20310402120000500000',
		  'netflow.flows_p20310403'],
	'the uncovered parts of the 2nd get partitions named after the day and their lower bound');
SELECT results_eq(
	$$SELECT partition::text, lower, upper FROM netflow.flows_partitions()
	  WHERE lower >= '2031-04-01' AND upper <= '2031-04-04' ORDER BY lower$$,
	$$VALUES ('netflow.flows_p20310401', timestamptz '2031-04-01 00:00+00', timestamptz '2031-04-02 00:00+00'),
			 ('netflow.flows_p20310402_20310402000000', '2031-04-02 00:00+00', '2031-04-02 05:00+00'),
			 ('netflow.flows_p2031040205', '2031-04-02 05:00+00', '2031-04-02 06:00+00'),
			 ('netflow.flows_p2031040206', '2031-04-02 06:00+00', '2031-04-02 07:00+00'),
			 ('netflow.flows_p20310402_20310402070000', '2031-04-02 07:00+00', '2031-04-02 11:00+00'),
			 ('netflow.flows_handmade', '2031-04-02 11:00+00', '2031-04-02 12:00:00.5+00'),
			 ('netflow.flows_p20310402_20310402120000500000', '2031-04-02 12:00:00.5+00', '2031-04-03 00:00+00'),
			 ('netflow.flows_p20310403', '2031-04-03 00:00+00', '2031-04-04 00:00+00')$$,
	'the partitions of the three days, with their ranges');
-- Partitions never overlap, so ranges adding up to three days cover them.
SELECT is(
	(SELECT sum(upper - lower) FROM netflow.flows_partitions()
	 WHERE lower >= '2031-04-01' AND upper <= '2031-04-04'),
	interval '3 days',
	'no time of the three days is left without a partition');

-- Flows in the gaps go to the gap partitions.
INSERT INTO netflow.flows (time_start, packets, bytes) VALUES
	('2031-04-02 00:00+00', 1, 40),
	('2031-04-02 04:59:59.999999+00', 1, 40),
	('2031-04-02 07:00+00', 1, 40),
	('2031-04-02 12:00:00.5+00', 1, 40),
	('2031-04-02 23:59:59.999999+00', 1, 40);
SELECT results_eq(
	$$SELECT tableoid::regclass::text, count(*)::integer FROM netflow.flows
	  GROUP BY 1 ORDER BY 1$$,
	$$VALUES ('netflow.flows_p20310402_20310402000000', 2),
			 ('netflow.flows_p20310402_20310402070000', 1),
			 ('netflow.flows_p20310402_20310402120000500000', 2)$$,
	'flows in the gaps are stored in the gap partitions');

-- Calling again creates nothing.
SELECT is_empty(
	$$SELECT netflow.create_partitions('2031-04-01 00:00+00', '2031-04-04 00:00+00')$$,
	'a second call over the same days creates nothing');

-- A gap whose name is taken by a table that is not a partition is skipped
-- with a notice, and the other gaps are still filled.
INSERT INTO netflow.config VALUES ('partition_interval', '1 hour')
	ON CONFLICT (key) DO UPDATE SET value = excluded.value;
SELECT lives_ok(
	$$SELECT netflow.create_partitions('2031-04-05 10:00+00', '2031-04-05 11:00+00')$$,
	'an hourly partition on the 5th');
UPDATE netflow.config SET value = '1 day' WHERE key = 'partition_interval';
CREATE TABLE netflow.flows_p20310405_20310405000000 (x integer);
SELECT results_eq(
	$$SELECT netflow.create_partitions('2031-04-05 00:00+00', '2031-04-06 00:00+00')::text$$,
	ARRAY['netflow.flows_p20310405_20310405110000'],
	'the gap after the hourly partition is made, the one whose name is taken is not');
SELECT hasnt_table('netflow', 'flows_p20310405',
				   'no whole-day partition overlapping the hourly one');

SELECT * FROM finish();
ROLLBACK;
