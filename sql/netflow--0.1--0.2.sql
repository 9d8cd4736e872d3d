-- netflow upgrade script from 0.1 to 0.2 (ALTER EXTENSION netflow UPDATE).
-- Every change made to sql/parts/ since 0.1 is repeated here, in the same
-- order, so that an upgraded installation equals a fresh install of 0.2
-- (test/t/090_upgrade.pl compares the two schemas).

\echo Use "ALTER EXTENSION netflow UPDATE TO '0.2'" to load this file. \quit

-- loss counters that survive restarts (issue 10, defect 10): every
-- drop_counters reason saved in netflow.saved_counters, the view showing
-- saved + not yet saved, two new inserter counters in collector_stats
CREATE TABLE netflow.saved_counters (
	counter		text PRIMARY KEY,
	value		bigint NOT NULL DEFAULT 0 CHECK (value >= 0),
	since		timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE netflow.saved_counters IS
	'Loss counters of the collector (the reasons of netflow.drop_counters) saved across restarts: the inserter adds the counts of all workers every 10 s when they changed and when it stops; delete rows to reset the totals';
COMMENT ON COLUMN netflow.saved_counters.counter IS 'Counter name, as netflow.drop_counters.reason';
COMMENT ON COLUMN netflow.saved_counters.value IS 'Count saved so far, summed over workers, since the row was created';
COMMENT ON COLUMN netflow.saved_counters.since IS 'When the row was created: the start of the count';
COMMENT ON COLUMN netflow.saved_counters.updated_at IS 'When the collector last added to the count';
SELECT pg_catalog.pg_extension_config_dump('netflow.saved_counters', '');
CREATE FUNCTION netflow.loss_counters(
	OUT counter text, OUT since_server_start bigint, OUT unsaved bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'netflow_loss_counters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION netflow.loss_counters() IS
	'Every loss counter of the collector summed over workers: the count since the server started and its part not yet in netflow.saved_counters';
CREATE OR REPLACE VIEW netflow.collector_stats AS
SELECT w.worker_type, w.worker_id, w.pid, w.started_at,
	max(c.value) FILTER (WHERE c.counter = 'datagrams') AS datagrams,
	max(c.value) FILTER (WHERE c.counter = 'bytes') AS bytes,
	max(c.value) FILTER (WHERE c.counter = 'flows') AS flows_decoded,
	max(c.value) FILTER (WHERE c.counter = 'flows_inserted') AS flows_inserted,
	max(c.value) FILTER (WHERE c.counter = 'flows_buffered') AS flows_buffered,
	max(c.value) FILTER (WHERE c.counter = 'batches') AS batches,
	max(c.value) FILTER (WHERE c.counter = 'insert_retries') AS insert_retries,
	max(c.value) FILTER (WHERE c.counter = 'kernel_drops') AS kernel_drops,
	max(c.value) FILTER (WHERE c.counter = 'drop_not_allowed') AS drop_not_allowed,
	max(c.value) FILTER (WHERE c.counter = 'drop_truncated') AS drop_truncated,
	max(c.value) FILTER (WHERE c.counter = 'drop_queue_full') AS drop_queue_full,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_version') AS drop_bad_version,
	max(c.value) FILTER (WHERE c.counter = 'drop_short') AS drop_short,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_length') AS drop_bad_length,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_set') AS drop_bad_set,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_template') AS drop_bad_template,
	max(c.value) FILTER (WHERE c.counter = 'drop_bad_record') AS drop_bad_record,
	max(c.value) FILTER (WHERE c.counter = 'drop_no_memory') AS drop_no_memory,
	max(c.value) FILTER (WHERE c.counter = 'drop_unstorable') AS drop_unstorable,
	max(c.value) FILTER (WHERE c.counter = 'drop_shutdown') AS drop_shutdown,
	max(c.value) FILTER (WHERE c.counter = 'drop_rejected') AS drop_rejected,
	max(c.value) FILTER (WHERE c.counter = 'templates_learned') AS templates_learned,
	max(c.value) FILTER (WHERE c.counter = 'templates_withdrawn') AS templates_withdrawn,
	max(c.value) FILTER (WHERE c.counter = 'templates_evicted') AS templates_evicted,
	max(c.value) FILTER (WHERE c.counter = 'templates_saved') AS templates_saved,
	max(c.value) FILTER (WHERE c.counter = 'options_records') AS options_records,
	max(c.value) FILTER (WHERE c.counter = 'pending_buffered') AS pending_buffered,
	max(c.value) FILTER (WHERE c.counter = 'pending_decoded') AS pending_decoded,
	max(c.value) FILTER (WHERE c.counter = 'pending_evicted') AS pending_evicted,
	max(c.value) FILTER (WHERE c.counter = 'pending_expired') AS pending_expired,
	max(c.value) FILTER (WHERE c.counter = 'seq_gaps') AS seq_gaps,
	max(c.value) FILTER (WHERE c.counter = 'seq_lost') AS seq_lost,
	max(c.value) FILTER (WHERE c.counter = 'seq_reordered') AS seq_reordered,
	max(c.value) FILTER (WHERE c.counter = 'exporter_resets') AS exporter_resets,
	max(c.value) FILTER (WHERE c.counter = 'exporters_evicted') AS exporters_evicted,
	max(c.value) FILTER (WHERE c.counter = 'sampling_unknown') AS sampling_unknown,
	max(c.value) FILTER (WHERE c.counter = 'biflow_reverse') AS biflow_reverse,
	max(c.value) FILTER (WHERE c.counter = 'flows_routed') AS flows_routed,
	max(c.value) FILTER (WHERE c.counter = 'rcvbuf_granted') AS rcvbuf_granted,
	max(c.value) FILTER (WHERE c.counter = 'queue_bytes_used') AS queue_bytes_used,
	max(c.value) FILTER (WHERE c.counter = 'queue_datagrams') AS queue_datagrams,
	max(c.value) FILTER (WHERE c.counter = 'queue_size') AS queue_size,
	max(c.value) FILTER (WHERE c.counter = 'queue_high_water') AS queue_high_water,
	w.last_error, w.last_error_at,
	max(c.value) FILTER (WHERE c.counter = 'drop_shutdown_queued') AS drop_shutdown_queued,
	max(c.value) FILTER (WHERE c.counter = 'drop_decode_error') AS drop_decode_error,
	max(c.value) FILTER (WHERE c.counter = 'flows_future') AS flows_future,
	max(c.value) FILTER (WHERE c.counter = 'flows_past') AS flows_past,
	max(c.value) FILTER (WHERE c.counter = 'flows_diverted') AS flows_diverted,
	max(c.value) FILTER (WHERE c.counter = 'drop_failed') AS drop_failed,
	max(c.value) FILTER (WHERE c.counter = 'invalid_mask') AS invalid_mask,
	max(c.value) FILTER (WHERE c.counter = 'invalid_direction') AS invalid_direction,
	max(c.value) FILTER (WHERE c.counter = 'drop_mixed_family') AS drop_mixed_family,
	max(c.value) FILTER (WHERE c.counter = 'drop_invalid_record') AS drop_invalid_record,
	max(c.value) FILTER (WHERE c.counter = 'sampling_lost') AS sampling_lost,
	max(c.value) FILTER (WHERE c.counter = 'state_not_loaded') AS state_not_loaded,
	max(c.value) FILTER (WHERE c.counter = 'drop_sampling_unsaved') AS drop_sampling_unsaved
FROM netflow.collector_workers() w
LEFT JOIN netflow.collector_counters() c
	ON c.worker_type = w.worker_type AND c.worker_id = w.worker_id
GROUP BY w.worker_type, w.worker_id, w.pid, w.started_at, w.last_error,
	w.last_error_at
ORDER BY w.worker_type, w.worker_id;
CREATE OR REPLACE VIEW netflow.drop_counters AS
SELECT coalesce(l.counter, s.counter) AS reason,
	least(coalesce(s.value, 0)::numeric + coalesce(l.unsaved, 0),
		9223372036854775807)::bigint AS count,
	coalesce(l.since_server_start, 0)::bigint AS since_server_start,
	s.since AS counting_since
FROM netflow.loss_counters() l
FULL JOIN netflow.saved_counters s ON s.counter = l.counter
ORDER BY 1;
COMMENT ON VIEW netflow.drop_counters IS
	'Datagrams or flows the collector could not keep, by reason, summed over workers, totals over server restarts (netflow.saved_counters plus what was not saved yet); see docs/collector.md';
COMMENT ON COLUMN netflow.drop_counters.reason IS
	'Counter: kernel_drops, a drop_* reason, pending_evicted, pending_expired or templates_evicted';
COMMENT ON COLUMN netflow.drop_counters.count IS
	'Total since counting_since (datagrams, sets, templates or flows, by reason), over server restarts';
COMMENT ON COLUMN netflow.drop_counters.since_server_start IS
	'Part of count since the server started (shared memory)';
COMMENT ON COLUMN netflow.drop_counters.counting_since IS
	'Start of count: when the collector first saved this counter after CREATE EXTENSION or after its row of netflow.saved_counters was deleted; NULL when never saved';
-- Saved loss counters: readers read them (and netflow.drop_counters, whose
-- netflow.loss_counters() they execute); the collector adds to them.
REVOKE ALL ON FUNCTION netflow.loss_counters() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION netflow.loss_counters() TO netflow_reader;
GRANT SELECT ON netflow.saved_counters TO netflow_reader;
GRANT SELECT, INSERT, UPDATE ON netflow.saved_counters TO netflow_collector;


-- flow validity contract (issue 10, defect 11)
-- One definition of a valid flow (src/decode/flow_contract.c) for the
-- decoders, the netflow.flow type and the table: netflow.flows (and
-- netflow.flows_future, made LIKE it) get the CHECK constraint
-- flows_contract.  It is added NOT VALID and then validated; if rows stored
-- before the upgrade break it (a mask beyond its address family, a
-- direction other than 0/1, mixed address families), the upgrade still
-- succeeds, warns, and leaves the constraint NOT VALID (new rows are
-- checked) until those rows are repaired (docs/flow-type.md, "Validity").
CREATE FUNCTION netflow.flow_row_check(
	time_start timestamptz, time_end timestamptz, time_received timestamptz,
	exporter inet, obs_domain bigint, version smallint,
	src_addr inet, dst_addr inet, src_port integer, dst_port integer,
	protocol smallint, tcp_flags smallint, tos smallint,
	packets bigint, bytes bigint, sampling_interval bigint,
	input_if bigint, output_if bigint, src_as bigint, dst_as bigint,
	next_hop inet, src_mask smallint, dst_mask smallint, direction smallint,
	src_vlan integer, dst_vlan integer, src_mac macaddr, dst_mac macaddr,
	end_reason smallint, icmp_type smallint, icmp_code smallint,
	flags integer)
RETURNS boolean
AS 'MODULE_PATHNAME', 'flow_row_check'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION netflow.flow_row_check(timestamptz, timestamptz, timestamptz, inet, bigint, smallint, inet, inet, integer, integer, smallint, smallint, smallint, bigint, bigint, bigint, bigint, bigint, bigint, bigint, inet, smallint, smallint, smallint, integer, integer, macaddr, macaddr, smallint, smallint, smallint, integer) IS
	'Whether the columns of a netflow.flows row satisfy the flow validity contract (NULL allowed anywhere); the CHECK constraint flows_contract of netflow.flows';

ALTER TABLE netflow.flows ADD CONSTRAINT flows_contract CHECK (netflow.flow_row_check(
		time_start, time_end, time_received, exporter, obs_domain, version,
		src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, tos,
		packets, bytes, sampling_interval, input_if, output_if, src_as, dst_as,
		next_hop, src_mask, dst_mask, direction, src_vlan, dst_vlan, src_mac,
		dst_mac, end_reason, icmp_type, icmp_code, flags)) NOT VALID;
COMMENT ON CONSTRAINT flows_contract ON netflow.flows IS
	'The flow validity contract (as for netflow.flow values and decoded records): masks within their address family, direction 0 or 1, source and destination of one family, values within their range; NULL allowed';
ALTER TABLE netflow.flows_future ADD CONSTRAINT flows_contract CHECK (netflow.flow_row_check(
		time_start, time_end, time_received, exporter, obs_domain, version,
		src_addr, dst_addr, src_port, dst_port, protocol, tcp_flags, tos,
		packets, bytes, sampling_interval, input_if, output_if, src_as, dst_as,
		next_hop, src_mask, dst_mask, direction, src_vlan, dst_vlan, src_mac,
		dst_mac, end_reason, icmp_type, icmp_code, flags)) NOT VALID;
DO $$
DECLARE
	t		text;
BEGIN
	FOREACH t IN ARRAY ARRAY['flows', 'flows_future']
	LOOP
		BEGIN
			EXECUTE pg_catalog.format('ALTER TABLE netflow.%I VALIDATE CONSTRAINT flows_contract', t);
		EXCEPTION WHEN check_violation THEN
			RAISE WARNING 'netflow.% holds rows that break the flow validity contract', t
				USING DETAIL = 'The constraint flows_contract stays NOT VALID: new rows are checked, the existing ones are not.',
					  HINT = 'Repair the rows as "Validity" in docs/flow-type.md shows, then run ALTER TABLE netflow.' || t || ' VALIDATE CONSTRAINT flows_contract.';
		END;
	END LOOP;
END
$$;



-- window policy, partition names, foreign partitions, statistics (issue 10:
-- defects 1, 2, 5, 13, 14; see docs/operations.md "Flows outside the window")

-- Partition names carry the era outside the years 1-9999 AD; new BRIN
-- indexes are summarized by autovacuum (autosummarize).
CREATE OR REPLACE FUNCTION netflow.partition_name(lower timestamptz, step interval)
RETURNS text
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	kind	text := netflow.partition_interval_kind(step);
	u		timestamp := lower AT TIME ZONE 'UTC';
	rest	text;
BEGIN
	-- Numeric-only patterns: the result does not depend on locale settings.
	rest := to_char(u, CASE kind
						   WHEN 'month' THEN 'MM'
						   WHEN 'day' THEN 'MMDD'
						   ELSE 'MMDDHH24'
					   END);
	IF u >= timestamp '0001-01-01 00:00:00' AND u < timestamp '10000-01-01 00:00:00' THEN
		RETURN 'flows_p' || to_char(u, 'YYYY') || rest;
	END IF;
	-- to_char's YYYY is the year without its era (1 BC is 1).
	RETURN 'flows_p' || CASE WHEN u < timestamp '0001-01-01 00:00:00' THEN 'bc' ELSE 'ad' END
		|| to_char(u, 'FMYYYY') || '_' || rest;
END
$$;
COMMENT ON FUNCTION netflow.partition_name(timestamptz, interval) IS
	'Name (in schema netflow) of the partition starting at lower for interval step, e.g. flows_p20261126 or flows_p2026112613; years outside 1-9999 AD carry their era, e.g. flows_pbc2026_1220';

CREATE OR REPLACE FUNCTION netflow.create_partitions(from_ts timestamptz, to_ts timestamptz)
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
AS $$
DECLARE
	max_partitions constant integer := 1000;
	step	interval := netflow.partition_interval();
	b		record;
	e		record;
	cur		timestamptz;
	blos	timestamptz[] := '{}';	/* the aligned buckets */
	bhis	timestamptz[] := '{}';
	los		timestamptz[] := '{}';	/* the ranges to create */
	his		timestamptz[] := '{}';
	bucket	integer[] := '{}';		/* index of each range's bucket */
	lowers	timestamptz[];			/* the existing partitions */
	uppers	timestamptz[];
	pname	text;
	cname	text;
	created regclass;
	i		integer;
BEGIN
	IF NOT isfinite(from_ts) OR NOT isfinite(to_ts) THEN
		RAISE EXCEPTION 'partition range must be finite'
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = format('The range given was [%s, %s).', from_ts, to_ts);
	END IF;

	-- The aligned buckets covering [from_ts, to_ts), bounded in number.
	cur := from_ts;
	WHILE cur < to_ts LOOP
		IF cardinality(blos) >= max_partitions THEN
			RAISE EXCEPTION 'too many partitions requested'
				USING ERRCODE = 'program_limit_exceeded',
					  DETAIL = format('The range [%s, %s) needs more than %s partitions of %s.',
									  from_ts, to_ts, max_partitions, step),
					  HINT = 'Create the partitions in smaller steps.';
		END IF;
		b := netflow.partition_bounds(cur, step);
		blos := blos || b.lower;
		bhis := bhis || b.upper;
		cur := b.upper;
	END LOOP;

	-- Serialise concurrent calls without blocking readers or writers (the
	-- same lock ATTACH PARTITION takes below).
	LOCK TABLE netflow.flows IN SHARE UPDATE EXCLUSIVE MODE;

	-- Ranges taken already.  The ranges chosen below are disjoint from
	-- them and from each other, so they need not be added.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	-- Per bucket, the sub-ranges no existing partition covers (existing
	-- partitions never overlap each other, so one sweep in order of lower
	-- bound finds them).  A range filling the whole bucket is named after
	-- the bucket; a part of a bucket gets the bucket's name followed by its
	-- own lower bound, flows_p20310104_20310104030000.
	FOR i IN 1 .. cardinality(blos) LOOP
		cur := blos[i];
		FOR e IN
			SELECT x.lo, x.hi
			FROM unnest(lowers, uppers) AS x(lo, hi)
			WHERE x.lo < bhis[i] AND blos[i] < x.hi
			ORDER BY x.lo
		LOOP
			IF e.lo > cur THEN
				los := los || cur;
				his := his || e.lo;
				bucket := bucket || i;
			END IF;
			cur := greatest(cur, e.hi);
		END LOOP;
		IF cur < bhis[i] THEN
			los := los || cur;
			his := his || bhis[i];
			bucket := bucket || i;
		END IF;
	END LOOP;

	-- Gaps can add ranges beyond the buckets: check the total, still
	-- before creating anything.
	IF cardinality(los) > max_partitions THEN
		RAISE EXCEPTION 'too many partitions requested'
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = format('The range [%s, %s) needs %s partitions of %s or parts of them, more than %s.',
								  from_ts, to_ts, cardinality(los), step, max_partitions),
				  HINT = 'Create the partitions in smaller steps.';
	END IF;

	FOR i IN 1 .. cardinality(los) LOOP
		pname := netflow.partition_name(blos[bucket[i]], step);
		IF los[i] <> blos[bucket[i]] OR his[i] <> bhis[bucket[i]] THEN
			pname := pname || '_' || to_char(los[i] AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS');
			IF date_trunc('second', los[i]) <> los[i] THEN
				pname := pname || to_char(los[i] AT TIME ZONE 'UTC', 'US');
			END IF;
		END IF;
		IF to_regclass(format('netflow.%I', pname)) IS NOT NULL THEN
			RAISE NOTICE 'skipping partition range [%, %): relation "netflow.%" already exists',
				los[i], his[i], pname;
			CONTINUE;
		END IF;

		-- A plain table first, with its range as a CHECK constraint so that
		-- ATTACH sees the partition constraint implied and does not scan.
		cname := pname || '_range';
		EXECUTE format('CREATE TABLE netflow.%I (LIKE netflow.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
					   'CONSTRAINT %I CHECK (time_start >= %L::timestamptz AND time_start < %L::timestamptz))',
					   pname, cname, los[i], his[i]);
		created := format('netflow.%I', pname)::regclass;
		-- autosummarize: autovacuum summarizes each block range once it is
		-- full, so time filters skip ranges while ingest goes on.
		EXECUTE format('CREATE INDEX %I ON %s USING brin (time_start) WITH (autosummarize = on)',
					   pname || '_time_start_brin', created);
		-- The rollups find the flows received since their last run by
		-- time_received (62_rollups.sql): its index is made here, on the
		-- empty table, so that maintenance never has to build it on a
		-- partition taking inserts (CREATE INDEX holds SHARE on it, which
		-- blocks the collector's inserts, until the run commits).
		EXECUTE format('CREATE INDEX %I ON %s USING brin (time_received)',
					   left(pname, 63 - length('_time_received_brin')) || '_time_received_brin',
					   created);
		EXECUTE format('ALTER TABLE netflow.flows ATTACH PARTITION %s FOR VALUES FROM (%L) TO (%L)',
					   created, los[i], his[i]);
		-- The constraint is redundant now and would be evaluated for every
		-- inserted row; dropping it needs ACCESS EXCLUSIVE on the new
		-- partition only, which ATTACH holds already.
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', created, cname);
		EXECUTE format('COMMENT ON TABLE %s IS %L', created,
					   format('netflow.flows partition for [%s, %s)', los[i], his[i]));
		RETURN NEXT created;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.create_partitions(timestamptz, timestamptz) IS
	'Create the missing netflow.flows partitions covering [from_ts, to_ts) with the configured partition_interval (at most 1000 per call), each with a BRIN index on time_start (autosummarize on) and one on time_received, by CREATE TABLE and ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on netflow.flows); the parts of a range that existing partitions leave uncovered get partitions of their own; returns the partitions created';

-- Existing partitions made by create_partitions get autosummarize too.
DO $$
DECLARE
	r		record;
BEGIN
	FOR r IN
		SELECT i.indexrelid::regclass AS idx
		FROM pg_catalog.pg_inherits h
		JOIN pg_catalog.pg_index i ON i.indrelid = h.inhrelid
		JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
		JOIN pg_catalog.pg_am a ON a.oid = c.relam
		WHERE h.inhparent = 'netflow.flows'::pg_catalog.regclass AND a.amname = 'brin'
	LOOP
		EXECUTE pg_catalog.format('ALTER INDEX %s SET (autosummarize = on)', r.idx);
	END LOOP;
END
$$;

-- The past tolerance setting.
INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('past_tolerance', '1 day',
	 'The collector creates partitions for flows starting up to this long before now (and no earlier than the retention); older flows with no partition go to netflow.flows_past');

-- maintenance_settings gains past_tolerance (a new OUT column): the view
-- netflow.partitions depends on it and is made again.
DROP VIEW netflow.partitions;
DROP FUNCTION netflow.maintenance_settings();
CREATE FUNCTION netflow.maintenance_settings(OUT partition_interval interval,
											 OUT premake integer,
											 OUT retention interval,
											 OUT future_tolerance interval,
											 OUT forget_exporters_after interval,
											 OUT lock_timeout text,
											 OUT past_tolerance interval)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
BEGIN
	partition_interval := netflow.partition_interval();
	FOREACH k IN ARRAY ARRAY['premake', 'retention', 'future_tolerance',
							 'forget_exporters_after', 'past_tolerance'] LOOP
		v := netflow.config_get(k);
		BEGIN
			CASE k
				WHEN 'premake' THEN premake := v::integer;
				WHEN 'retention' THEN retention := v::interval;
				WHEN 'future_tolerance' THEN future_tolerance := v::interval;
				WHEN 'past_tolerance' THEN past_tolerance := v::interval;
				ELSE forget_exporters_after := v::interval;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = CASE k WHEN 'premake' THEN 'The value must be an integer.'
							   ELSE 'The value must be an interval.' END;
		END;
	END LOOP;
	IF premake IS NULL OR premake NOT BETWEEN 0 AND 1000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "premake": "%"', premake
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The number of partitions made ahead must be between 0 and 1000.';
	END IF;
	IF retention IS NULL OR retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "retention": "%"', retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF future_tolerance IS NULL OR future_tolerance < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "future_tolerance": "%"', future_tolerance
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The future tolerance must be an interval of 0 or more.';
	END IF;
	IF past_tolerance IS NULL OR past_tolerance < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "past_tolerance": "%"', past_tolerance
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The past tolerance must be an interval of 0 or more.';
	END IF;
	IF forget_exporters_after IS NULL OR forget_exporters_after < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "forget_exporters_after": "%"', forget_exporters_after
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The value must be a positive interval, or 0 to keep exporter state forever.';
	END IF;
	-- A GUC (src/partitions/partition_settings.c) when the library is loaded; the same
	-- default when it is not.
	lock_timeout := coalesce(nullif(current_setting('netflow.maintenance_lock_timeout', true), ''),
							 '100ms');
END
$$;
COMMENT ON FUNCTION netflow.maintenance_settings() IS
	'Effective maintenance settings (partition_interval, premake, retention, future_tolerance, forget_exporters_after, past_tolerance from netflow.config; lock_timeout from the GUC netflow.maintenance_lock_timeout), validated';
-- Window counters: new ones for flows_past, descriptions of the changed ones.
UPDATE netflow.window_counters SET description = 'Flows older than the retention when they arrived that found their partition: stored there, then dropped by the next maintenance run' WHERE counter = 'late_flows';
UPDATE netflow.window_counters SET description = 'Partitions created by the collector''s routing for flows outside the premade ones (at most 4 per flush, only within the window)' WHERE counter = 'partitions_on_demand';
UPDATE netflow.window_counters SET description = 'Flows within the window that found no partition able to take them (the per-flush limit of new partitions was reached, the range or name is taken, or the partition is being detached or is a foreign table without a handler): stored in netflow.flows_past (started before now) or netflow.flows_future' WHERE counter = 'unpartitioned_flows';
INSERT INTO netflow.window_counters (counter, description) VALUES
	('past_flows', 'Flows starting before the window (now minus past_tolerance, or the retention) whose partition does not exist: stored in netflow.flows_past instead of netflow.flows'),
	('past_flows_moved', 'Rows moved from netflow.flows_past into netflow.flows once a partition for them existed or could be made'),
	('past_flows_purged', 'Rows deleted from netflow.flows_past because they were received longer ago than the retention');

CREATE TABLE netflow.flows_past (LIKE netflow.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
COMMENT ON TABLE netflow.flows_past IS
	'Flows that found no partition of netflow.flows able to take them and started before now (older than the window, or in it when no partition could be made); moved to netflow.flows by maintenance once a partition exists for them, purged by retention on time_received';
SELECT pg_catalog.pg_extension_config_dump('netflow.flows_past', '');

COMMENT ON COLUMN netflow.maintenance_log.moved IS 'Rows moved from netflow.flows_future and netflow.flows_past into netflow.flows';

-- ingest_window gains past_from (a new OUT column).
DROP FUNCTION netflow.ingest_window(timestamptz);
CREATE FUNCTION netflow.ingest_window(now timestamptz DEFAULT now(),
									  OUT late_before timestamptz,
									  OUT future_from timestamptz,
									  OUT past_from timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s		record := netflow.maintenance_settings();
	b		record := netflow.partition_bounds(now, s.partition_interval);
BEGIN
	FOR i IN 1 .. s.premake LOOP
		b := netflow.partition_bounds(b.upper, s.partition_interval);
	END LOOP;
	late_before := CASE WHEN s.retention > interval '0' THEN now - s.retention
					ELSE '-infinity' END;
	future_from := greatest(now + s.future_tolerance, b.upper);
	past_from := greatest(now - s.past_tolerance, late_before);
END
$$;
COMMENT ON FUNCTION netflow.ingest_window(timestamptz) IS
	'Time window for incoming flows: partitions are made on demand only for time_start in [past_from, future_from); time_start < late_before counts as late; time_start >= future_from goes to netflow.flows_future, time_start < past_from with no partition to netflow.flows_past';

CREATE FUNCTION netflow.insertable_partitions(OUT partition regclass,
											  OUT lower timestamptz,
											  OUT upper timestamptz)
RETURNS SETOF record
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT p.partition, p.lower, p.upper
	FROM netflow.flows_partitions() p
	JOIN pg_class c ON c.oid = p.partition
	WHERE NOT EXISTS (SELECT 1 FROM pg_inherits i
					  WHERE i.inhrelid = p.partition AND i.inhdetachpending)
	  AND (c.relkind <> 'f'
		   OR EXISTS (SELECT 1
					  FROM pg_foreign_table ft
					  JOIN pg_foreign_server fs ON fs.oid = ft.ftserver
					  JOIN pg_foreign_data_wrapper w ON w.oid = fs.srvfdw
					  WHERE ft.ftrelid = p.partition AND w.fdwhandler <> 0))
$$;
COMMENT ON FUNCTION netflow.insertable_partitions() IS
	'Partitions of netflow.flows that can take rows: not detach-pending, and not foreign tables of a foreign-data wrapper without a handler (internal)';

CREATE OR REPLACE FUNCTION netflow.make_partitions_for(times timestamptz[], now timestamptz)
RETURNS boolean[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w		record := netflow.ingest_window(now);
	step	interval := netflow.partition_interval();
	ranges	record;
	lowers	timestamptz[];
	uppers	timestamptz[];
	made	integer := 0;
	n		integer;
	result	boolean[];
BEGIN
	-- Buckets of the times within the window that no partition covers yet.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	FOR ranges IN
		SELECT DISTINCT b.lower, b.upper
		FROM unnest(times) AS u(t),
			 LATERAL netflow.partition_bounds(u.t, step) AS b
		WHERE isfinite(u.t) AND u.t >= w.past_from AND u.t < w.future_from
		  AND NOT EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
						  WHERE u.t >= p.lo AND u.t < p.hi)
		ORDER BY 1
	LOOP
		SELECT count(*) INTO n
		FROM netflow.create_partitions(ranges.lower, ranges.upper);
		made := made + n;
	END LOOP;

	IF made > 0 THEN
		PERFORM netflow.window_count('partitions_on_demand', made);
	END IF;

	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.insertable_partitions() p;

	SELECT array_agg(CASE
						 WHEN t IS NULL THEN NULL
						 ELSE isfinite(t)
							  AND EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
										  WHERE t >= p.lo AND t < p.hi)
					 END ORDER BY i)
	INTO result
	FROM unnest(times) WITH ORDINALITY AS u(t, i);
	RETURN coalesce(result, '{}');
END
$$;
COMMENT ON FUNCTION netflow.make_partitions_for(timestamptz[], timestamptz) IS
	'Create the missing netflow.flows partitions for the given flow start times within the window [past_from, future_from); per element, true when a partition able to take rows holds it (internal, no counting)';
REVOKE ALL ON FUNCTION netflow.make_partitions_for(timestamptz[], timestamptz) FROM PUBLIC;

CREATE FUNCTION netflow.route_times(times timestamptz[], now timestamptz)
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- Partitions one call may create: bounds the DDL, the locks and the
	-- catalog growth of one flush (docs/operations.md).
	max_new constant integer := 4;
	w		record := netflow.ingest_window(now);
	step	interval := netflow.partition_interval();
	r		record;
	lowers	timestamptz[];
	uppers	timestamptz[];
	made	integer := 0;
	result	smallint[];
	late	bigint;
	future	bigint;
	past	bigint;
	unpartitioned bigint;
BEGIN
	-- Every existing partition (usable or not): its range is taken.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	-- The buckets within the window that no partition covers, nearest to
	-- now first, at most max_new of them.
	FOR r IN
		SELECT b.lower, b.upper
		FROM (SELECT DISTINCT b.lower, b.upper
			  FROM unnest(times) AS u(t),
				   LATERAL netflow.partition_bounds(u.t, step) AS b
			  WHERE isfinite(u.t) AND u.t >= w.past_from AND u.t < w.future_from
				AND NOT EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
								WHERE u.t >= p.lo AND u.t < p.hi)) b
		ORDER BY abs(extract(epoch FROM b.lower - now)), b.lower
		LIMIT max_new
	LOOP
		made := made + (SELECT count(*) FROM netflow.create_partitions(r.lower, r.upper));
	END LOOP;
	IF made > 0 THEN
		PERFORM netflow.window_count('partitions_on_demand', made);
	END IF;

	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.insertable_partitions() p;

	WITH u AS (
		SELECT u.i, u.t,
			   isfinite(u.t) AND EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
										 WHERE u.t >= p.lo AND u.t < p.hi) AS held,
			   isfinite(u.t) AND u.t >= w.past_from AND u.t < w.future_from AS inside
		FROM unnest(times) WITH ORDINALITY AS u(t, i)
	), d AS (
		SELECT u.*,
			   CASE WHEN u.t IS NULL THEN NULL
					WHEN u.held THEN 0
					WHEN u.t < now THEN 2
					ELSE 1 END::smallint AS dest
		FROM u
	)
	SELECT array_agg(d.dest ORDER BY d.i),
		   count(*) FILTER (WHERE d.dest = 0 AND d.t < w.late_before),
		   count(*) FILTER (WHERE d.dest = 1 AND NOT d.inside),
		   count(*) FILTER (WHERE d.dest = 2 AND NOT d.inside),
		   count(*) FILTER (WHERE d.dest > 0 AND d.inside)
	INTO result, late, future, past, unpartitioned
	FROM d;
	PERFORM netflow.window_count('late_flows', late);
	PERFORM netflow.window_count('future_flows', future);
	PERFORM netflow.window_count('past_flows', past);
	PERFORM netflow.window_count('unpartitioned_flows', unpartitioned);
	RETURN coalesce(result, '{}');
END
$$;
COMMENT ON FUNCTION netflow.route_times(timestamptz[], timestamptz) IS
	'The collector''s routing policy as of now: per start time 0 = netflow.flows (partition made on demand within the window, at most 4 per call), 1 = netflow.flows_future, 2 = netflow.flows_past; counts in netflow.window_counters (internal)';
REVOKE ALL ON FUNCTION netflow.route_times(timestamptz[], timestamptz) FROM PUBLIC;

CREATE FUNCTION netflow.route_flows(times timestamptz[])
RETURNS smallint[]
LANGUAGE sql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT netflow.route_times(times, now())
$$;
COMMENT ON FUNCTION netflow.route_flows(timestamptz[]) IS
	'Routing for the collector''s flows outside its partition cache, as of now(): per start time 0 = insert into netflow.flows (creates at most 4 partitions per call, only within the window), 1 = netflow.flows_future, 2 = netflow.flows_past; counts in netflow.window_counters';
REVOKE ALL ON FUNCTION netflow.route_flows(timestamptz[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION netflow.ensure_partitions_for(times timestamptz[],
											  now timestamptz DEFAULT now())
RETURNS boolean[]
LANGUAGE sql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(array_agg(d = 0 ORDER BY i), '{}')
	FROM unnest(netflow.route_times(times, now)) WITH ORDINALITY AS u(d, i)
$$;
COMMENT ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz) IS
	'Routing of version 0.1 (see route_flows): per element true = insert into netflow.flows, false = into netflow.flows_future or, for a time before now, netflow.flows_past; creates at most 4 partitions per call, only within the window; counts in netflow.window_counters';
REVOKE ALL ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz) FROM PUBLIC;

-- run_maintenance(timestamptz) gains the routing of flows_past: its final
-- body (with the rollup and detection steps) is made in the privileges
-- section below, where the function is dropped and created again.

CREATE VIEW netflow.partitions AS
SELECT p.partition,
	   p.lower,
	   p.upper,
	   CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END AS estimated_rows,
	   pg_total_relation_size(p.partition) AS total_bytes,
	   p.partition IN (SELECT r.partition
					   FROM netflow.retention_candidates(
								(netflow.maintenance_settings()).retention) r) AS retention_drops
FROM netflow.flows_partitions() p
JOIN pg_class c ON c.oid = p.partition
ORDER BY p.lower;
COMMENT ON VIEW netflow.partitions IS
	'Partitions of netflow.flows: range [lower, upper), estimated rows (NULL before the first ANALYZE), size on disk with indexes and TOAST, and whether retention drops it at the next run as of now()';
COMMENT ON COLUMN netflow.partitions.partition IS 'The partition table';
COMMENT ON COLUMN netflow.partitions.lower IS 'Lower bound of the time_start range (inclusive)';
COMMENT ON COLUMN netflow.partitions.upper IS 'Upper bound of the time_start range (exclusive)';
COMMENT ON COLUMN netflow.partitions.estimated_rows IS 'pg_class.reltuples: estimated row count, NULL when never vacuumed or analyzed';
COMMENT ON COLUMN netflow.partitions.total_bytes IS 'pg_total_relation_size: heap, indexes (BRIN) and TOAST, in bytes';
COMMENT ON COLUMN netflow.partitions.retention_drops IS 'True when maintenance run now would drop it (wholly older than the retention, not the newest)';

COMMENT ON VIEW netflow.collector_stats IS
	'One row per collector worker with its counters (NULL where a counter does not apply to the worker type); see docs/collector.md';
COMMENT ON COLUMN netflow.collector_stats.flows_future IS
	'Inserter: rows of flows_inserted stored in netflow.flows_future (start too far ahead, or no partition could take them)';
COMMENT ON COLUMN netflow.collector_stats.flows_past IS
	'Inserter: rows of flows_inserted stored in netflow.flows_past (start before the window with no partition, or no partition could take them)';
COMMENT ON COLUMN netflow.collector_stats.flows_diverted IS
	'Inserter: rows a partition kept refusing (after retries) that were stored in netflow.flows_past or netflow.flows_future instead';
COMMENT ON COLUMN netflow.collector_stats.drop_failed IS
	'Inserter: rows dropped because neither their partition nor netflow.flows_past / netflow.flows_future could take them (for a reason other than the data)';

-- Routing of the collector's flows (issue 10: window policy) and the store
-- of flows before the window.
GRANT SELECT ON netflow.flows_past TO netflow_reader;
GRANT INSERT ON netflow.flows_past TO netflow_collector;
GRANT EXECUTE ON FUNCTION netflow.route_flows(timestamptz[]) TO netflow_collector;

-- privileges: maintenance as the collector's role (netflow.role), time
-- injection for the owner of netflow.flows only, what netflow_reader may
-- read, comments on view columns, the obs_domain comment.

-- obs_domain: v5 stores engine_type * 256 + engine_id (docs/decoding.md);
-- the view's column carries the table's comment.
COMMENT ON COLUMN netflow.flows.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';
COMMENT ON COLUMN netflow.flows_upscaled.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';

-- Column comments of the collector's views.
COMMENT ON COLUMN netflow.collector_stats.worker_type IS
	'Worker kind: inserter or receiver';
COMMENT ON COLUMN netflow.collector_stats.worker_id IS
	'Worker number within its kind (receivers 0, 1, ...; the inserter 0)';
COMMENT ON COLUMN netflow.collector_stats.pid IS
	'Process ID of the worker; NULL while it is not running';
COMMENT ON COLUMN netflow.collector_stats.started_at IS
	'When the worker last started; NULL while it is not running';
COMMENT ON COLUMN netflow.collector_stats.datagrams IS
	'Receiver: datagrams read from its sockets; inserter: datagrams taken from the queue and decoded';
COMMENT ON COLUMN netflow.collector_stats.bytes IS
	'Receiver: bytes of the datagrams read; inserter: bytes of the datagrams decoded';
COMMENT ON COLUMN netflow.collector_stats.flows_decoded IS
	'Inserter: flow records decoded';
COMMENT ON COLUMN netflow.collector_stats.flows_inserted IS
	'Inserter: rows committed to netflow.flows and netflow.flows_future';
COMMENT ON COLUMN netflow.collector_stats.flows_buffered IS
	'Inserter: flows decoded and not yet committed';
COMMENT ON COLUMN netflow.collector_stats.batches IS
	'Inserter: committed insert transactions';
COMMENT ON COLUMN netflow.collector_stats.insert_retries IS
	'Inserter: failed insert transactions (each retried)';
COMMENT ON COLUMN netflow.collector_stats.kernel_drops IS
	'Receiver: datagrams the kernel dropped because the socket buffer was full (SO_RXQ_OVFL)';
COMMENT ON COLUMN netflow.collector_stats.drop_not_allowed IS
	'Receiver: datagrams from a source outside netflow.allowed_exporters, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_truncated IS
	'Receiver: datagrams larger than 64 KiB, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_queue_full IS
	'Receiver: datagrams dropped because the queue was full';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_version IS
	'Inserter: datagrams whose version is not 5, 9 or 10, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_short IS
	'Inserter: datagrams shorter than their protocol header, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_length IS
	'Inserter: datagrams whose record count or message length does not fit the datagram, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_set IS
	'Inserter: malformed v9 flowsets / IPFIX sets (bad length, reserved id, trailing bytes), dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_template IS
	'Inserter: template or options template records rejected';
COMMENT ON COLUMN netflow.collector_stats.drop_bad_record IS
	'Inserter: data records running past their set, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_no_memory IS
	'Inserter: templates, data sets or exporter entries lost to a failed allocation';
COMMENT ON COLUMN netflow.collector_stats.drop_unstorable IS
	'Inserter: flows with values outside the columns ranges, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_shutdown IS
	'Inserter: flows still buffered when the inserter had to stop, lost';
COMMENT ON COLUMN netflow.collector_stats.drop_rejected IS
	'Inserter: rows the table refused (a constraint), dropped after salvaging the rest of the batch';
COMMENT ON COLUMN netflow.collector_stats.templates_learned IS
	'Inserter: templates learned by the decoder';
COMMENT ON COLUMN netflow.collector_stats.templates_withdrawn IS
	'Inserter: templates withdrawn by their exporter';
COMMENT ON COLUMN netflow.collector_stats.templates_evicted IS
	'Inserter: templates evicted from the decoder at its limit';
COMMENT ON COLUMN netflow.collector_stats.templates_saved IS
	'Inserter: rows written to netflow.templates';
COMMENT ON COLUMN netflow.collector_stats.options_records IS
	'Inserter: options data records seen';
COMMENT ON COLUMN netflow.collector_stats.pending_buffered IS
	'Inserter: data sets that arrived before their template, buffered';
COMMENT ON COLUMN netflow.collector_stats.pending_decoded IS
	'Inserter: buffered data sets decoded once their template came';
COMMENT ON COLUMN netflow.collector_stats.pending_evicted IS
	'Inserter: buffered data sets dropped because the buffer was full';
COMMENT ON COLUMN netflow.collector_stats.pending_expired IS
	'Inserter: buffered data sets dropped because their template did not come in time';
COMMENT ON COLUMN netflow.collector_stats.seq_gaps IS
	'Inserter: sequence number gaps seen';
COMMENT ON COLUMN netflow.collector_stats.seq_lost IS
	'Inserter: flows (v9: export packets) estimated lost from sequence numbers';
COMMENT ON COLUMN netflow.collector_stats.seq_reordered IS
	'Inserter: datagrams that arrived out of sequence order';
COMMENT ON COLUMN netflow.collector_stats.exporter_resets IS
	'Inserter: exporter restarts recognized (sequence or uptime went back)';
COMMENT ON COLUMN netflow.collector_stats.exporters_evicted IS
	'Inserter: exporter streams evicted from the decoder at its limit';
COMMENT ON COLUMN netflow.collector_stats.sampling_unknown IS
	'Inserter: flows stored with an unknown sampling rate (sampling_interval 0)';
COMMENT ON COLUMN netflow.collector_stats.biflow_reverse IS
	'Inserter: reverse-direction rows decoded from bidirectional records (flags bit 4)';
COMMENT ON COLUMN netflow.collector_stats.flows_routed IS
	'Inserter: flows whose table was asked of netflow.ensure_partitions_for (not in an hour known to have a partition)';
COMMENT ON COLUMN netflow.collector_stats.rcvbuf_granted IS
	'Receiver: socket receive buffer the kernel granted, bytes';
COMMENT ON COLUMN netflow.collector_stats.queue_bytes_used IS
	'Inserter: bytes in the shared queue now';
COMMENT ON COLUMN netflow.collector_stats.queue_datagrams IS
	'Inserter: datagrams in the shared queue now';
COMMENT ON COLUMN netflow.collector_stats.queue_size IS
	'Inserter: size of the shared queue, bytes';
COMMENT ON COLUMN netflow.collector_stats.queue_high_water IS
	'Inserter: highest fill of the shared queue since the server started, bytes';
COMMENT ON COLUMN netflow.collector_stats.last_error IS
	'Last error the worker met (insert failure, refused row, ...); NULL if none';
COMMENT ON COLUMN netflow.collector_stats.last_error_at IS
	'When last_error happened';
COMMENT ON COLUMN netflow.collector_stats.drop_shutdown_queued IS
	'Inserter: datagrams still queued when the whole server stopped and the drain deadline (netflow.shutdown_timeout) passed, dropped';
COMMENT ON COLUMN netflow.collector_stats.drop_decode_error IS
	'Inserter: datagrams whose decoding raised an error, dropped (their flows are not stored)';
COMMENT ON COLUMN netflow.exporters.exporter IS
	'Address of the exporting device';
COMMENT ON COLUMN netflow.exporters.obs_domain IS
	'v9 source ID / IPFIX observation domain ID / NetFlow v5 engine_type * 256 + engine_id';
COMMENT ON COLUMN netflow.exporters.version IS
	'Export protocol: 5, 9 or 10 (IPFIX)';
COMMENT ON COLUMN netflow.exporters.first_seen IS
	'First datagram of the stream since the collector started; NULL for a saved stream that has not sent since';
COMMENT ON COLUMN netflow.exporters.last_seen IS
	'Last datagram of the stream (the saved time after a restart until it sends)';
COMMENT ON COLUMN netflow.exporters.datagrams IS
	'Datagrams decoded since the collector started';
COMMENT ON COLUMN netflow.exporters.flows IS
	'Flow records decoded since the collector started';
COMMENT ON COLUMN netflow.exporters.sequence_gaps IS
	'Gaps in the sequence numbers (including one over a collector restart)';
COMMENT ON COLUMN netflow.exporters.lost_flows IS
	'Flows (v9: export packets) estimated lost from the sequence numbers';
COMMENT ON COLUMN netflow.exporters.reordered IS
	'Datagrams that arrived out of sequence order';
COMMENT ON COLUMN netflow.exporters.resets IS
	'Times the exporter was seen restarting';
COMMENT ON COLUMN netflow.exporters.templates IS
	'Templates of the stream the decoder holds now';
COMMENT ON COLUMN netflow.exporters.sampling_interval IS
	'Exporter-wide sampling rate in use ("1 in N"); NULL when unknown';
COMMENT ON COLUMN netflow.exporters.pending_bytes IS
	'Bytes of data waiting for their template';

-- Column comments of window_counters and flows_future; the as_of column.
COMMENT ON COLUMN netflow.window_counters.counter IS 'Counter name (late_flows, future_flows, ...)';
COMMENT ON COLUMN netflow.window_counters.value IS 'Count since the extension was created (transactional: rolled back with its batch)';
COMMENT ON COLUMN netflow.window_counters.updated IS 'When the counter last changed; NULL if never';
COMMENT ON COLUMN netflow.window_counters.description IS 'What the counter counts';
-- Its columns carry the column comments of netflow.flows.
DO $$
DECLARE
	r		record;
BEGIN
	FOR r IN
		SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = 'netflow.flows'::pg_catalog.regclass
		  AND a.attnum > 0 AND NOT a.attisdropped
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN netflow.flows_future.%I IS %L',
								  r.attname, r.comment);
	END LOOP;
END
$$;
COMMENT ON COLUMN netflow.maintenance_log.as_of IS 'The "now" the run worked against: now() of its transaction, or the time given to run_maintenance(timestamptz); NULL for a run that failed before it started';

-- Only the owner of netflow.flows chooses the time or the age maintenance
-- works with; everyone else runs it as of the clock.
-- Refuse unless the current user owns netflow.flows (directly, through a
-- role, or as a superuser): only the owner may drop partitions by an age or
-- a time of its choosing.  A role granted run_maintenance() runs it as of
-- the clock, never as of a time it chooses.
CREATE FUNCTION netflow.require_flows_owner(what text)
RETURNS void
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT pg_has_role(current_user,
					   (SELECT c.relowner FROM pg_class c
						WHERE c.oid = 'netflow.flows'::regclass),
					   'USAGE') THEN
		RAISE EXCEPTION 'permission denied for %', what
			USING ERRCODE = 'insufficient_privilege',
				  DETAIL = 'Only the owner of netflow.flows may choose the time or the age maintenance works with.',
				  HINT = 'Call netflow.run_maintenance() to run maintenance as of now.';
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.require_flows_owner(text) IS
	'Raise insufficient_privilege unless the current user owns netflow.flows (or is a superuser); guards the maintenance functions that take a time (internal)';

CREATE OR REPLACE FUNCTION netflow.drop_partitions(older_than interval,
										now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	s		record;
	c		record;
	locked	boolean;
	old_timeout text := current_setting('lock_timeout');
BEGIN
	PERFORM netflow.require_flows_owner('function drop_partitions');
	s := netflow.maintenance_settings();
	IF older_than < interval '0' THEN
		RAISE EXCEPTION 'retention must not be negative: "%"', older_than
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give a positive interval, or 0 to drop nothing.';
	END IF;
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Partitions are dropped relative to a finite point in time.';
	END IF;
	-- Same key as run_maintenance (re-entrant within one transaction).
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE NOTICE 'netflow maintenance skipped: another maintenance run in progress';
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	FOR c IN SELECT * FROM netflow.retention_candidates(older_than, now) LOOP
		-- The name, while the relation still exists.
		partition := c.partition::text;
		IF locked IS NULL THEN
			locked := netflow.lock_flows_briefly(s.lock_timeout);
		END IF;
		action := NULL;
		IF locked THEN
			BEGIN
				-- The parent is ours; the partition itself may still be read
				-- by a query naming it directly: wait briefly, no retry, as we
				-- are blocking inserts meanwhile.
				PERFORM set_config('lock_timeout', s.lock_timeout, true);
				EXECUTE format('DROP TABLE %s', c.partition);
				PERFORM set_config('lock_timeout', old_timeout, true);
				action := 'dropped';
				detail := format('older than %s', older_than);
			EXCEPTION WHEN lock_not_available THEN
				action := 'deferred';
				detail := 'partition in use; retry next run';
			END;
		ELSE
			action := 'deferred';
			detail := format('netflow.flows busy (lock not obtained within %s, 3 attempts); retry next run',
							 s.lock_timeout);
		END IF;
		lower := c.lower;
		upper := c.upper;
		IF action = 'dropped' THEN
			RAISE LOG 'netflow maintenance: dropped partition % [%, %)', partition, lower, upper;
		ELSE
			RAISE NOTICE 'netflow maintenance: dropping partition % deferred: %', partition, detail;
		END IF;
		RETURN NEXT;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.drop_partitions(interval, timestamptz) IS
	'Retention step alone: drop the netflow.flows partitions wholly older than now - older_than (never the newest); a drop that cannot get its lock within netflow.maintenance_lock_timeout (3 attempts) is reported deferred; owner of netflow.flows only';
REVOKE ALL ON FUNCTION netflow.drop_partitions(interval, timestamptz) FROM PUBLIC;

-- run_maintenance(timestamptz) loses its default (run_maintenance() is the
-- call as of now) and becomes SECURITY INVOKER, owner only.  A default
-- cannot be removed by CREATE OR REPLACE, and the grants an operator gave on
-- it must go anyway: drop and create.
DROP FUNCTION netflow.run_maintenance(timestamptz);
CREATE FUNCTION netflow.run_maintenance(now timestamptz)
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY INVOKER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	t_started	timestamptz := clock_timestamp();
	s			record;
	w			record;
	b			record;
	r			record;
	upto		timestamptz;
	old_timeout text := current_setting('lock_timeout');
	n_created	integer := 0;
	n_dropped	integer := 0;
	n_deferred	integer := 0;
	n_errors	integer := 0;
	n_moved		bigint := 0;
	n			bigint;
	errs		text[] := '{}';
	ts			timestamptz[];
	ok			boolean[];
	made		regclass[];
	missing_at	timestamptz;
	pname		text;
	store		text;
	v_status	text;
	rollups_ok	boolean := true;
BEGIN
	PERFORM netflow.require_flows_owner('function run_maintenance(timestamptz)');
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Maintenance works relative to a finite point in time.';
	END IF;

	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE NOTICE 'netflow maintenance skipped: another maintenance run in progress';
		INSERT INTO netflow.maintenance_log (started, finished, as_of, status, detail)
		VALUES (t_started, clock_timestamp(), now, 'skipped', 'another maintenance run in progress');
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	BEGIN
		s := netflow.maintenance_settings();
		w := netflow.ingest_window(now);
	EXCEPTION WHEN OTHERS THEN
		RAISE WARNING 'netflow maintenance: %', SQLERRM;
		INSERT INTO netflow.maintenance_log (started, finished, as_of, status, errors, detail)
		VALUES (t_started, clock_timestamp(), now, 'error', 1, SQLERRM);
		action := 'error';
		detail := SQLERRM;
		RETURN NEXT;
		RETURN;
	END;

	-- 1. Premake: the partition containing now and premake more after it.
	-- create_partitions attaches new partitions, which takes SHARE UPDATE
	-- EXCLUSIVE on netflow.flows: that lets readers and inserts go on, but
	-- waits for VACUUM or another attach, so take it briefly first
	-- (retrying), and only when something is missing.
	BEGIN
		b := netflow.partition_bounds(now, s.partition_interval);
		upto := b.upper;
		FOR i IN 1 .. s.premake LOOP
			upto := (netflow.partition_bounds(upto, s.partition_interval)).upper;
		END LOOP;
		IF EXISTS (SELECT 1
				   FROM generate_series(b.lower, upto - interval '1 microsecond',
										s.partition_interval) AS g(t)
				   WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
									 WHERE g.t >= p.lower AND g.t < p.upper)) THEN
			IF NOT netflow.lock_flows_briefly(s.lock_timeout, 3, 'SHARE UPDATE EXCLUSIVE') THEN
				RAISE EXCEPTION USING ERRCODE = 'lock_not_available';
			END IF;
			SELECT array_agg(m) INTO made FROM netflow.create_partitions(b.lower, upto) AS m;
		END IF;
		-- What create_partitions could not make (a relation holds the name
		-- of a missing partition) is a failure of the run, not a notice.
		SELECT min(g.t) INTO missing_at
		FROM generate_series(b.lower, upto - interval '1 microsecond',
							 s.partition_interval) AS g(t)
		WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
						  WHERE g.t >= p.lower AND g.t < p.upper);
		FOR r IN
			SELECT p.partition AS rel, p.lower, p.upper
			FROM netflow.flows_partitions() p
			WHERE p.partition = ANY (made)
			ORDER BY p.lower
		LOOP
			action := 'created';
			partition := r.rel::text;
			lower := r.lower;
			upper := r.upper;
			detail := format('premake %s ahead', s.premake);
			RAISE LOG 'netflow maintenance: created partition % [%, %)', partition, lower, upper;
			n_created := n_created + 1;
			RETURN NEXT;
		END LOOP;
		IF missing_at IS NOT NULL THEN
			pname := netflow.partition_name((netflow.partition_bounds(missing_at, s.partition_interval)).lower,
											s.partition_interval);
			action := 'error';
			partition := NULL;
			lower := missing_at;
			upper := NULL;
			detail := format('premake: no partition covers %s: %s', missing_at,
							 CASE WHEN to_regclass(format('netflow.%I', pname)) IS NOT NULL
								  THEN format('relation "netflow.%s" already exists', pname)
								  ELSE 'it could not be created' END);
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			errs := errs || detail;
			RETURN NEXT;
		END IF;
	EXCEPTION
		WHEN lock_not_available THEN
			action := 'deferred';
			partition := NULL;
			lower := b.lower;
			upper := upto;
			detail := format('creating partitions: netflow.flows busy (lock not obtained within %s, 3 attempts); retry next run',
							 s.lock_timeout);
			RAISE NOTICE 'netflow maintenance: %', detail;
			n_deferred := n_deferred + 1;
			RETURN NEXT;
		WHEN OTHERS THEN
			action := 'error';
			partition := NULL;
			lower := NULL;
			upper := NULL;
			detail := 'premake: ' || SQLERRM;
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			errs := errs || detail;
			RETURN NEXT;
	END;

	-- 2. The stores of flows outside the window (netflow.flows_future, then
	-- netflow.flows_past): purge the rows received before the retention,
	-- make the partitions of the rows now within the window, and move every
	-- row a partition able to take rows holds into netflow.flows.
	FOREACH store IN ARRAY ARRAY['future', 'past'] LOOP
		BEGIN
			IF s.retention > interval '0' THEN
				EXECUTE format('DELETE FROM netflow.%I f WHERE f.time_received < $1', 'flows_' || store)
					USING now - s.retention;
				GET DIAGNOSTICS n = ROW_COUNT;
				IF n > 0 THEN
					PERFORM netflow.window_count(store || '_flows_purged', n);
					action := 'purged';
					partition := 'netflow.flows_' || store;
					lower := NULL;
					upper := now - s.retention;
					detail := format('%s rows received before the retention', n);
					RAISE LOG 'netflow maintenance: % from %', detail, partition;
					RETURN NEXT;
				END IF;
			END IF;

			EXECUTE format('SELECT array_agg(DISTINCT f.time_start) FROM netflow.%I f '
						   'WHERE f.time_start >= $1 AND f.time_start < $2', 'flows_' || store)
				INTO ts USING w.past_from, w.future_from;
			PERFORM set_config('lock_timeout', s.lock_timeout, true);
			IF ts IS NOT NULL THEN
				ok := netflow.make_partitions_for(ts, now);
			END IF;
			EXECUTE format('WITH p AS (SELECT * FROM netflow.insertable_partitions()), '
						   'moved AS (DELETE FROM netflow.%I f '
						   '  WHERE EXISTS (SELECT 1 FROM p WHERE f.time_start >= p.lower AND f.time_start < p.upper) '
						   '  RETURNING f.*) '
						   'INSERT INTO netflow.flows SELECT * FROM moved', 'flows_' || store);
			GET DIAGNOSTICS n = ROW_COUNT;
			PERFORM set_config('lock_timeout', old_timeout, true);
			IF n > 0 THEN
				n_moved := n_moved + n;
				PERFORM netflow.window_count(store || '_flows_moved', n);
				action := 'moved';
				partition := 'netflow.flows_' || store;
				lower := NULL;
				upper := NULL;
				detail := format('%s rows that a partition now holds moved to netflow.flows', n);
				RAISE LOG 'netflow maintenance: % from %', detail, partition;
				RETURN NEXT;
			END IF;
		EXCEPTION
			WHEN lock_not_available THEN
				action := 'deferred';
				partition := 'netflow.flows_' || store;
				lower := NULL;
				upper := NULL;
				detail := format('moving %s flows: netflow.flows busy; retry next run', store);
				RAISE NOTICE 'netflow maintenance: %', detail;
				n_deferred := n_deferred + 1;
				RETURN NEXT;
			WHEN OTHERS THEN
				action := 'error';
				partition := 'netflow.flows_' || store;
				lower := NULL;
				upper := NULL;
				detail := store || ' flows: ' || SQLERRM;
				RAISE WARNING 'netflow maintenance: %', detail;
				n_errors := n_errors + 1;
				errs := errs || detail;
				RETURN NEXT;
		END;
	END LOOP;

	-- 3. Forget exporter streams silent for longer than forget_exporters_after:
	-- their saved sequence state, then the templates and sampling rates of
	-- streams with no recent sequence state that were not saved recently
	-- themselves.  The running collector keeps what it holds in memory; a
	-- forgotten stream that comes back is treated as new (its rows are
	-- written again as they change).
	BEGIN
		IF s.forget_exporters_after > interval '0' THEN
			DECLARE
				cutoff	timestamptz := now - s.forget_exporters_after;
				n_seq	bigint;
				n_tpl	bigint;
				n_smp	bigint;
			BEGIN
				DELETE FROM netflow.exporter_state e WHERE e.last_seen < cutoff;
				GET DIAGNOSTICS n_seq = ROW_COUNT;
				DELETE FROM netflow.templates t
				WHERE t.updated_at < cutoff
				  AND NOT EXISTS (SELECT 1 FROM netflow.exporter_state e
								  WHERE e.exporter = t.exporter AND e.obs_domain = t.obs_domain
									AND e.version = t.version);
				GET DIAGNOSTICS n_tpl = ROW_COUNT;
				DELETE FROM netflow.sampling m
				WHERE m.updated_at < cutoff
				  AND NOT EXISTS (SELECT 1 FROM netflow.exporter_state e
								  WHERE e.exporter = m.exporter AND e.obs_domain = m.obs_domain
									AND e.version = m.version);
				GET DIAGNOSTICS n_smp = ROW_COUNT;
				IF n_seq + n_tpl + n_smp > 0 THEN
					action := 'forgot';
					partition := NULL;
					lower := NULL;
					upper := cutoff;
					detail := format('exporter streams silent since %s deleted: sequence states %s, templates %s, sampling rates %s',
									 cutoff, n_seq, n_tpl, n_smp);
					RAISE LOG 'netflow maintenance: %', detail;
					RETURN NEXT;
				END IF;
			END;
		END IF;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'forgetting exporters: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 3b. Rollups (62_rollups.sql), before retention drops what they need;
	-- what they did is in netflow.rollup_state and the server log.
	BEGIN
		PERFORM count(*) FROM netflow.rollup_maintenance(now);
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'rollups: ' || SQLERRM || ' (partitions are not dropped until the rollups succeed)';
		RAISE WARNING 'netflow maintenance: %', detail;
		rollups_ok := false;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 3c. Detections (70_detect.sql): alerts and NOTIFY netflow_alert; a
	-- failing detector is logged there and never stops the other steps.
	BEGIN
		PERFORM netflow.detect_maintenance(now, true);
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'detections: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 3d. Compression (45_compression.sql): the batches of dropped or
	-- truncated partitions, then the oldest partition older than
	-- compress_after, one per run, before retention (whose drop keeps
	-- netflow.flows locked until commit).
	-- On the collector's schedule (the "netflow maintenance" worker; the
	-- inserter of earlier builds) the "netflow compressor" worker does it
	-- (netflow.compress_due(), src/storage/compressor.c), started after the
	-- run: a conversion takes minutes, and the next run waits for this one.
	BEGIN
		IF coalesce((SELECT a.backend_type FROM pg_stat_activity a
					 WHERE a.pid = pg_backend_pid()), '')
			   NOT IN ('netflow inserter', 'netflow maintenance')
		   AND pg_try_advisory_xact_lock(1852142703, 2) THEN
			n := netflow.purge_orphan_batches();
			IF n > 0 THEN
				RAISE LOG 'netflow maintenance: % orphan compressed batches deleted', n;
			END IF;
			FOR r IN SELECT * FROM netflow.compression_candidates(now) LIMIT 1 LOOP
				partition := r.partition::text;
				lower := r.lower;
				upper := r.upper;
				BEGIN
					n := netflow.compress_partition(r.partition);
					action := 'compressed';
					detail := format('%s rows in compressed batches', n);
					RAISE LOG 'netflow maintenance: compressed % (%)', partition, detail;
				EXCEPTION WHEN lock_not_available THEN
					action := 'deferred';
					detail := format('compression: partition busy (lock not obtained within %s, 3 attempts); retry next run',
									 s.lock_timeout);
					RAISE NOTICE 'netflow maintenance: %', detail;
					n_deferred := n_deferred + 1;
				END;
				RETURN NEXT;
			END LOOP;
		END IF;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'compression: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	-- 4. Retention, last: once a partition is dropped netflow.flows stays
	-- locked until commit, so nothing slow may follow.
	BEGIN
		-- Not while the rollups failed: they may not hold these flows yet.
		FOR r IN SELECT * FROM netflow.drop_partitions(CASE WHEN rollups_ok THEN s.retention
															ELSE interval '0' END, now) LOOP
			action := r.action;
			partition := r.partition;
			lower := r.lower;
			upper := r.upper;
			detail := r.detail;
			IF r.action = 'dropped' THEN
				n_dropped := n_dropped + 1;
			ELSE
				n_deferred := n_deferred + 1;
			END IF;
			RETURN NEXT;
		END LOOP;
	EXCEPTION WHEN OTHERS THEN
		action := 'error';
		partition := NULL;
		lower := NULL;
		upper := NULL;
		detail := 'retention: ' || SQLERRM;
		RAISE WARNING 'netflow maintenance: %', detail;
		n_errors := n_errors + 1;
		errs := errs || detail;
		RETURN NEXT;
	END;

	v_status := CASE WHEN n_errors > 0 THEN 'error'
				   WHEN n_deferred > 0 THEN 'deferred'
				   ELSE 'ok' END;
	DELETE FROM netflow.maintenance_log l WHERE l.started < t_started - interval '30 days';
	INSERT INTO netflow.maintenance_log
		(started, finished, as_of, status, created, dropped, deferred, moved, errors, detail)
	VALUES (t_started, clock_timestamp(), now, v_status, n_created, n_dropped, n_deferred,
			n_moved, n_errors, nullif(array_to_string(errs, '; '), ''));
	RAISE LOG 'netflow maintenance %: % created, % dropped, % deferred, % moved, % errors',
		v_status, n_created, n_dropped, n_deferred, n_moved, n_errors;
END
$$;
COMMENT ON FUNCTION netflow.run_maintenance(timestamptz) IS
	'One maintenance run as of the given time (tests, "what would happen on Friday"; owner of netflow.flows only): create the premake partitions ahead (a partition that cannot be made is an error), purge/move the flows of netflow.flows_future and netflow.flows_past, forget the saved state of exporters silent past forget_exporters_after, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
REVOKE ALL ON FUNCTION netflow.run_maintenance(timestamptz) FROM PUBLIC;

-- One maintenance run as of now: what the collector's schedule, pg_cron and
-- operators call.  SECURITY DEFINER, so that a role granted it (the
-- collector's netflow.role through netflow_collector, an operator) runs
-- maintenance without owning the table; it takes no time argument, so such
-- a role cannot make recent partitions look old.
CREATE FUNCTION netflow.run_maintenance()
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM netflow.run_maintenance(pg_catalog.now())
$$;
COMMENT ON FUNCTION netflow.run_maintenance() IS
	'One maintenance run as of now() (see run_maintenance(timestamptz)); the function to schedule and to grant: executable by netflow_collector';
REVOKE ALL ON FUNCTION netflow.run_maintenance() FROM PUBLIC;

-- Record a maintenance run that failed as a whole (the worker calls it
-- after the run's transaction rolled back), with the privileges of the
-- extension owner: the collector's role may not write the log itself.
CREATE FUNCTION netflow.log_maintenance_failure(started timestamptz, message text)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
	INSERT INTO netflow.maintenance_log (started, finished, status, errors, detail)
	VALUES (least(started, clock_timestamp()), clock_timestamp(), 'error', 1,
			left(message, 1000))
$$;
COMMENT ON FUNCTION netflow.log_maintenance_failure(timestamptz, text) IS
	'Append an error row to netflow.maintenance_log for a run that failed as a whole (internal: the collector''s maintenance schedule; executable by netflow_collector)';
REVOKE ALL ON FUNCTION netflow.log_maintenance_failure(timestamptz, text) FROM PUBLIC;

GRANT EXECUTE ON FUNCTION netflow.run_maintenance(),
	netflow.log_maintenance_failure(timestamptz, text) TO netflow_collector;
GRANT SELECT ON netflow.flows_upscaled, netflow.partitions,
	netflow.maintenance_log, netflow.window_counters, netflow.config,
	netflow.config_defaults
	TO netflow_reader;

-- collector_stats: the counters of the validity contract and of the decoder
-- state bounds (issue 10, defects 3, 4, 9 and 11) get their columns too.
COMMENT ON COLUMN netflow.collector_stats.invalid_mask IS
	'Inserter: src_mask/dst_mask values too long for their address family, stored as NULL (validity contract)';
COMMENT ON COLUMN netflow.collector_stats.invalid_direction IS
	'Inserter: direction values other than 0 (ingress) and 1 (egress), stored as NULL (validity contract)';
COMMENT ON COLUMN netflow.collector_stats.drop_mixed_family IS
	'Inserter: records whose source and destination addresses are of different families, dropped (validity contract)';
COMMENT ON COLUMN netflow.collector_stats.drop_invalid_record IS
	'Inserter: records breaking another rule of the validity contract, dropped (never by the decoders themselves)';
COMMENT ON COLUMN netflow.collector_stats.sampling_lost IS
	'Inserter: v9/IPFIX streams evicted at a state bound while they knew sampling rates (their records are stored with sampling unknown, 0, until the rate is announced again)';
COMMENT ON COLUMN netflow.collector_stats.state_not_loaded IS
	'Inserter: saved templates, sampling rates and sequence states refused at start because a bound (per address or in total) was reached';
COMMENT ON COLUMN netflow.collector_stats.drop_sampling_unsaved IS
	'Inserter: sampling-rate changes not saved to netflow.sampling because 65,536 were waiting for the next insert already (the decoder still applies them; a restart before the exporter announces the rate again forgets it)';

-- The 0.1 routing ensure_partitions_for(times, now) takes a time: a role
-- granted it could create partitions around any time it chose.  The
-- collector calls route_flows(times), which takes none.
REVOKE EXECUTE ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz)
	FROM netflow_collector;

-- netflow.flows_past's columns carry the column comments of netflow.flows,
-- as netflow.flows_future's do.
DO $$
DECLARE
	r		record;
BEGIN
	FOR r IN
		SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = 'netflow.flows'::pg_catalog.regclass
		  AND a.attnum > 0 AND NOT a.attisdropped
	LOOP
		EXECUTE pg_catalog.format('COMMENT ON COLUMN netflow.flows_past.%I IS %L',
								  r.attname, r.comment);
	END LOOP;
END
$$;


-- rollups: networks, traffic and top-N rollups, host profiles, HyperLogLog (issue 12).
-- The same text as sql/parts/6*.sql, plus run_maintenance with its rollup step.

-- 60_networks.sql
-- 60_networks.sql: the user's networks (netflow.networks), which addresses
-- count as internal, and the most specific network of an address.  Used by
-- the rollups (direction of traffic, host profiles) and by detections.
-- See docs/rollups.md.

CREATE TABLE netflow.networks (
	network		cidr PRIMARY KEY,
	name		text,
	internal	boolean NOT NULL DEFAULT true,
	description text
);
COMMENT ON TABLE netflow.networks IS
	'The user''s networks: name and whether addresses in them are internal (the most specific network containing an address decides); empty means the built-in private and documentation ranges are internal; kept by pg_dump';
COMMENT ON COLUMN netflow.networks.network IS 'Network prefix (IPv4 or IPv6)';
COMMENT ON COLUMN netflow.networks.name IS 'Name shown for addresses in the network';
COMMENT ON COLUMN netflow.networks.internal IS 'Addresses whose most specific network this is are internal (true) or external (false)';
COMMENT ON COLUMN netflow.networks.description IS 'Free text';
CREATE INDEX networks_network_gist ON netflow.networks USING gist (network inet_ops);
COMMENT ON INDEX netflow.networks_network_gist IS
	'Finds the networks containing an address (network >>= addr)';
SELECT pg_catalog.pg_extension_config_dump('netflow.networks', '');

-- The ranges that count as internal while netflow.networks is empty:
-- RFC 1918, RFC 4193 (unique local IPv6) and the documentation ranges
-- (RFC 5737, RFC 3849).
CREATE FUNCTION netflow.default_internal_networks()
RETURNS cidr[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT ARRAY['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16',
				 '192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24',
				 'fc00::/7', '2001:db8::/32']::cidr[]
$$;
COMMENT ON FUNCTION netflow.default_internal_networks() IS
	'Networks counted as internal while netflow.networks is empty: RFC 1918, RFC 4193 and the documentation ranges (RFC 5737, RFC 3849)';

-- The most specific network of netflow.networks containing addr; while the
-- table is empty, the built-in internal range containing it (named
-- "default").
CREATE FUNCTION netflow.network_of(addr inet,
								   OUT network cidr, OUT name text,
								   OUT internal boolean)
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT m.network, m.name, m.internal
	FROM (SELECT n.network, n.name, n.internal
		  FROM netflow.networks n
		  WHERE n.network >>= addr
		  UNION ALL
		  SELECT d.network, 'default', true
		  FROM unnest(netflow.default_internal_networks()) AS d(network)
		  WHERE d.network >>= addr
			AND NOT EXISTS (SELECT 1 FROM netflow.networks)) AS m
	ORDER BY masklen(m.network) DESC
	LIMIT 1
$$;
COMMENT ON FUNCTION netflow.network_of(inet) IS
	'Most specific network of netflow.networks containing the address (NULLs when none); while netflow.networks is empty, the built-in internal range containing it';

-- Whether an address is internal.
CREATE FUNCTION netflow.is_internal(addr inet)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce((netflow.network_of(addr)).internal, false)
$$;
COMMENT ON FUNCTION netflow.is_internal(inet) IS
	'True when the most specific network containing the address is internal (see netflow.networks); false when no network contains it';

-- An SQL expression over the inet expression col that is true when it is
-- internal, with the networks written in as constants (most specific
-- first), so that a query over millions of flows needs no lookup per row.
-- Used by the rollups; equal to netflow.is_internal(col) for non-NULL col.
CREATE FUNCTION netflow.internal_expr(col text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	arms	text;
BEGIN
	IF EXISTS (SELECT 1 FROM netflow.networks) THEN
		SELECT string_agg(format('WHEN %s <<= %L::inet THEN %s', col, n.network::text, CASE WHEN n.internal THEN 'true' ELSE 'false' END),
						  ' ' ORDER BY masklen(n.network) DESC, n.network)
		INTO arms
		FROM netflow.networks n;
		RETURN format('(CASE %s ELSE false END)', arms);
	END IF;
	SELECT string_agg(format('%s <<= %L::inet', col, d::text), ' OR ')
	INTO arms
	FROM unnest(netflow.default_internal_networks()) AS d;
	RETURN format('coalesce(%s, false)', arms);
END
$$;
COMMENT ON FUNCTION netflow.internal_expr(text) IS
	'SQL text of a boolean expression telling whether the inet expression col is internal, with netflow.networks written in as constants (internal)';

GRANT SELECT ON netflow.networks TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.default_internal_networks(), netflow.network_of(inet),
	netflow.is_internal(inet) TO netflow_reader;

-- 61_hll.sql
-- 61_hll.sql: netflow.hll, a mergeable HyperLogLog distinct-count sketch
-- (src/rollups/hll.c), used by the host profiles.  See docs/rollups.md.

CREATE TYPE netflow.hll;

CREATE FUNCTION netflow.hll_in(cstring) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_out(netflow.hll) RETURNS cstring
	AS 'MODULE_PATHNAME', 'hll_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_recv(internal) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.hll_send(netflow.hll) RETURNS bytea
	AS 'MODULE_PATHNAME', 'hll_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.hll (
	INPUT = netflow.hll_in,
	OUTPUT = netflow.hll_out,
	RECEIVE = netflow.hll_recv,
	SEND = netflow.hll_send,
	INTERNALLENGTH = VARIABLE,
	ALIGNMENT = int4,
	STORAGE = extended
);
COMMENT ON TYPE netflow.hll IS
	'HyperLogLog sketch of a number of distinct values (2^14 registers, standard error about 0.81 %), mergeable; text form \x and hexadecimal';
COMMENT ON FUNCTION netflow.hll_in(cstring) IS 'Text input of hll (\x and the hexadecimal binary form, validated)';
COMMENT ON FUNCTION netflow.hll_out(netflow.hll) IS 'Text output of hll (\x and the hexadecimal binary form)';
COMMENT ON FUNCTION netflow.hll_recv(internal) IS 'Binary input of hll (validated)';
COMMENT ON FUNCTION netflow.hll_send(netflow.hll) IS 'Binary output of hll';

CREATE FUNCTION netflow.hll_add_trans(netflow.hll, anyelement) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_add_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_add_trans(netflow.hll, anyelement) IS
	'Transition function of hll_add_agg: count one value';
CREATE FUNCTION netflow.hll_union_trans(netflow.hll, netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_union_trans(netflow.hll, netflow.hll) IS
	'Transition function of hll_union_agg and combine function of both hll aggregates';
CREATE FUNCTION netflow.hll_final(netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_final(netflow.hll) IS
	'Final function of the hll aggregates: the sketch in its stored form';

CREATE AGGREGATE netflow.hll_add_agg(value anyelement) (
	SFUNC = netflow.hll_add_trans,
	STYPE = netflow.hll,
	FINALFUNC = netflow.hll_final,
	COMBINEFUNC = netflow.hll_union_trans,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.hll_add_agg(anyelement) IS
	'HyperLogLog sketch of the distinct non-NULL values (by their binary representation); NULL when no row';

CREATE AGGREGATE netflow.hll_union_agg(sketch netflow.hll) (
	SFUNC = netflow.hll_union_trans,
	STYPE = netflow.hll,
	FINALFUNC = netflow.hll_final,
	COMBINEFUNC = netflow.hll_union_trans,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.hll_union_agg(netflow.hll) IS
	'Union of hll sketches: the sketch of all their values together';

CREATE FUNCTION netflow.hll_union(a netflow.hll, b netflow.hll) RETURNS netflow.hll
	AS 'MODULE_PATHNAME', 'hll_union' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_union(netflow.hll, netflow.hll) IS
	'Union of two hll sketches';
CREATE FUNCTION netflow.hll_cardinality(sketch netflow.hll) RETURNS bigint
	AS 'MODULE_PATHNAME', 'hll_cardinality' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.hll_cardinality(netflow.hll) IS
	'Estimated number of distinct values of a sketch (relative standard error about 0.81 %)';

GRANT EXECUTE ON FUNCTION netflow.hll_union(netflow.hll, netflow.hll),
	netflow.hll_cardinality(netflow.hll) TO netflow_reader;

-- 62_rollups.sql
-- 62_rollups.sql: traffic and top-N rollups per minute and per hour, kept
-- up to date by maintenance (netflow.rollup_maintenance, called by
-- netflow.run_maintenance), and their settings.  See docs/rollups.md.
--
-- How rows are counted exactly once.  Every run has a cut R (its now minus
-- rollup_late_margin, never going back).  A minute is materialized, once
-- closed for rollup_grace, from its flows received before R (time_received
-- < R, or NULL).  Each later run adds, as deltas, the flows received in
-- [previous R, R) whose minute is materialized already.  So a flow is
-- counted by the run whose cut first passes its time_received, provided it
-- was committed by then: a flow committed more than rollup_late_margin
-- after its time_received is missed (docs/rollups.md, "Late flows").  The
-- query functions add the flows received at or after R from raw flows, so
-- they see late flows before maintenance folds them in.

------------------------------------------------------------------------
-- Settings
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('rollups', 'on',
	 'Whether maintenance materializes the rollups (on/off)'),
	('rollup_grace', '5 minutes',
	 'A minute of flows is materialized once now is past its end by this long (0 - 1 day); later flows are added as deltas'),
	('rollup_late_margin', '10 minutes',
	 'Longest delay between a flow''s time_received and its commit that the rollups allow for (0 - 1 day)'),
	('rollup_retention', '400 days',
	 'Hourly rollups, per-minute totals and host profiles older than now minus this are deleted by maintenance; 0 keeps them'),
	('rollup_minute_retention', '31 days',
	 'Per-minute traffic and top-N rollups older than now minus this are deleted by maintenance; 0 keeps them'),
	('rollup_topn_capacity', '1000',
	 'Capacity of the stored top-N summaries (10 - 100000), for buckets materialized afterwards'),
	('rollup_max_minutes', '240',
	 'Most minutes one maintenance run materializes (1 - 1000000); minutes that retention is about to drop are materialized regardless');

-- The rollup settings, parsed and validated.
-- PARALLEL UNSAFE: its EXCEPTION block starts a subtransaction.
CREATE FUNCTION netflow.rollup_settings(OUT enabled boolean,
										OUT grace interval,
										OUT late_margin interval,
										OUT retention interval,
										OUT minute_retention interval,
										OUT topn_capacity integer,
										OUT max_minutes integer)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
BEGIN
	FOREACH k IN ARRAY ARRAY['rollups', 'rollup_grace', 'rollup_late_margin', 'rollup_retention',
							 'rollup_minute_retention', 'rollup_topn_capacity',
							 'rollup_max_minutes'] LOOP
		v := netflow.config_get(k);
		BEGIN
			CASE k
				WHEN 'rollups' THEN enabled := v::boolean;
				WHEN 'rollup_grace' THEN grace := v::interval;
				WHEN 'rollup_late_margin' THEN late_margin := v::interval;
				WHEN 'rollup_retention' THEN retention := v::interval;
				WHEN 'rollup_minute_retention' THEN minute_retention := v::interval;
				WHEN 'rollup_topn_capacity' THEN topn_capacity := v::integer;
				ELSE max_minutes := v::integer;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = CASE WHEN k = 'rollups' THEN 'The value must be on or off.'
							   WHEN k IN ('rollup_topn_capacity', 'rollup_max_minutes') THEN 'The value must be an integer.'
							   ELSE 'The value must be an interval.' END;
		END;
	END LOOP;
	IF enabled IS NULL THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollups": NULL'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The value must be on or off.';
	END IF;
	IF grace IS NULL OR grace < interval '0' OR grace > interval '1 day' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_grace": "%"', grace
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The grace period must be between 0 and 1 day.';
	END IF;
	IF late_margin IS NULL OR late_margin < interval '0' OR late_margin > interval '1 day' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_late_margin": "%"', late_margin
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The late margin must be between 0 and 1 day.';
	END IF;
	IF retention IS NULL OR retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_retention": "%"', retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The rollup retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF minute_retention IS NULL OR minute_retention < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_minute_retention": "%"', minute_retention
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The minute rollup retention must be a positive interval, or 0 to keep everything.';
	END IF;
	IF topn_capacity IS NULL OR topn_capacity NOT BETWEEN 10 AND 100000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_topn_capacity": "%"', topn_capacity
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The capacity of stored top-N summaries must be between 10 and 100000.';
	END IF;
	IF max_minutes IS NULL OR max_minutes NOT BETWEEN 1 AND 1000000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_max_minutes": "%"', max_minutes
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The number of minutes materialized per run must be between 1 and 1000000.';
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.rollup_settings() IS
	'Effective rollup settings (rollups, rollup_grace, rollup_late_margin, rollup_retention, rollup_minute_retention, rollup_topn_capacity, rollup_max_minutes from netflow.config), validated';

-- The capacity of the top-N summaries, for readers who may not read
-- netflow.config: the query functions count raw flows with it.  Checked
-- without an EXCEPTION block, so that it may run in parallel mode.
CREATE FUNCTION netflow.rollup_topn_capacity()
RETURNS integer
LANGUAGE plpgsql STABLE PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v		text := netflow.config_get('rollup_topn_capacity');
BEGIN
	IF v !~ '^\s*[0-9]{1,9}\s*$' OR v::integer NOT BETWEEN 10 AND 100000 THEN
		RAISE EXCEPTION 'invalid value for netflow setting "rollup_topn_capacity": "%"', v
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The capacity of stored top-N summaries must be between 10 and 100000.';
	END IF;
	RETURN v::integer;
END
$$;
COMMENT ON FUNCTION netflow.rollup_topn_capacity() IS
	'Setting rollup_topn_capacity (validated), readable by every role that may call the rollup query functions';

------------------------------------------------------------------------
-- State and tables
------------------------------------------------------------------------

CREATE TABLE netflow.rollup_state (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	minutes_upto timestamptz NOT NULL,
	hours_upto	timestamptz NOT NULL,
	days_upto	timestamptz NOT NULL,
	cut			timestamptz NOT NULL,
	details_from timestamptz NOT NULL DEFAULT '-infinity',
	runs		bigint NOT NULL DEFAULT 0,
	minutes_materialized bigint NOT NULL DEFAULT 0,
	late_flows	bigint NOT NULL DEFAULT 0,
	last_run	timestamptz
);
COMMENT ON TABLE netflow.rollup_state IS
	'Progress of the rollups (one row, made by the first maintenance run): what is materialized, the received-time cut, counters';
COMMENT ON COLUMN netflow.rollup_state.singleton IS 'Always true: the table has at most one row';
COMMENT ON COLUMN netflow.rollup_state.minutes_upto IS 'Every minute before this is materialized in the minute rollups';
COMMENT ON COLUMN netflow.rollup_state.hours_upto IS 'Every hour before this is rolled up in the hourly rollups and host profiles';
COMMENT ON COLUMN netflow.rollup_state.days_upto IS 'Every day (UTC) before this is rolled up in the daily top-N rollups';
COMMENT ON COLUMN netflow.rollup_state.cut IS 'Flows received (time_received) before this are counted in the rollups of their bucket; later ones are added by the next run';
COMMENT ON COLUMN netflow.rollup_state.details_from IS 'Per-minute traffic and top-N rollups are kept from this minute on (rollup_minute_retention)';
COMMENT ON COLUMN netflow.rollup_state.runs IS 'Maintenance runs that updated the rollups';
COMMENT ON COLUMN netflow.rollup_state.minutes_materialized IS 'Minutes materialized so far';
COMMENT ON COLUMN netflow.rollup_state.late_flows IS 'Flows added to already materialized minutes (received after their minute was materialized)';
COMMENT ON COLUMN netflow.rollup_state.last_run IS 'The now of the last run that updated the rollups';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_state', '');

-- Columns shared by the traffic tables: flows, packets, bytes as exported
-- and upscaled by the sampling interval (an unknown interval, 0 or NULL,
-- counts as 1).
CREATE TABLE netflow.rollup_minutes (
	minute		timestamptz PRIMARY KEY,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	materialized_at timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
COMMENT ON TABLE netflow.rollup_minutes IS
	'Traffic totals per minute with flows (a materialized minute without a row had none; rollup_state.minutes_upto is the watermark); kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_minutes.minute IS 'Start of the minute (time_start in [minute, minute + 1 minute))';
COMMENT ON COLUMN netflow.rollup_minutes.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_minutes.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_minutes.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_minutes.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_minutes.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_minutes.materialized_at IS 'When the minute was first materialized (clock time)';
COMMENT ON COLUMN netflow.rollup_minutes.updated_at IS 'When late flows were last added (clock time)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_minutes', '');

CREATE TABLE netflow.rollup_hours (
	hour		timestamptz PRIMARY KEY,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	materialized_at timestamptz NOT NULL,
	updated_at	timestamptz NOT NULL
);
COMMENT ON TABLE netflow.rollup_hours IS
	'Traffic totals per hour, one row per rolled-up hour: the watermark of the hourly rollups; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_hours.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN netflow.rollup_hours.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_hours.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_hours.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_hours.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_hours.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_hours.materialized_at IS 'When the hour was rolled up (clock time)';
COMMENT ON COLUMN netflow.rollup_hours.updated_at IS 'When late flows were last added (clock time)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_hours', '');

CREATE TABLE netflow.rollup_traffic_minute (
	minute		timestamptz NOT NULL,
	exporter	inet,
	input_if	bigint,
	output_if	bigint,
	protocol	smallint,
	direction	text NOT NULL,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	CONSTRAINT rollup_traffic_minute_key
		UNIQUE NULLS NOT DISTINCT (minute, exporter, input_if, output_if, protocol, direction)
);
COMMENT ON TABLE netflow.rollup_traffic_minute IS
	'Traffic per minute by exporter, interfaces, protocol and direction; kept for rollup_minute_retention';
COMMENT ON COLUMN netflow.rollup_traffic_minute.minute IS 'Start of the minute';
COMMENT ON COLUMN netflow.rollup_traffic_minute.exporter IS 'Exporter address';
COMMENT ON COLUMN netflow.rollup_traffic_minute.input_if IS 'Input interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_minute.output_if IS 'Output interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_minute.protocol IS 'IP protocol number';
COMMENT ON COLUMN netflow.rollup_traffic_minute.direction IS 'outbound (internal to external), inbound (external to internal), internal (internal to internal) or other, from netflow.networks';
COMMENT ON COLUMN netflow.rollup_traffic_minute.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_traffic_minute.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_traffic_minute.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_traffic_minute.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_traffic_minute.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON INDEX netflow.rollup_traffic_minute_key IS 'One row per minute and key; serves range scans by minute';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_traffic_minute', '');

CREATE TABLE netflow.rollup_traffic_hour (
	hour		timestamptz NOT NULL,
	exporter	inet,
	input_if	bigint,
	output_if	bigint,
	protocol	smallint,
	direction	text NOT NULL,
	flows		bigint NOT NULL,
	packets		numeric NOT NULL,
	bytes		numeric NOT NULL,
	packets_upscaled numeric NOT NULL,
	bytes_upscaled numeric NOT NULL,
	CONSTRAINT rollup_traffic_hour_key
		UNIQUE NULLS NOT DISTINCT (hour, exporter, input_if, output_if, protocol, direction)
);
COMMENT ON TABLE netflow.rollup_traffic_hour IS
	'Traffic per hour by exporter, interfaces, protocol and direction; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_traffic_hour.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.exporter IS 'Exporter address';
COMMENT ON COLUMN netflow.rollup_traffic_hour.input_if IS 'Input interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.output_if IS 'Output interface (SNMP ifIndex)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.protocol IS 'IP protocol number';
COMMENT ON COLUMN netflow.rollup_traffic_hour.direction IS 'outbound (internal to external), inbound (external to internal), internal (internal to internal) or other, from netflow.networks';
COMMENT ON COLUMN netflow.rollup_traffic_hour.flows IS 'Number of flows';
COMMENT ON COLUMN netflow.rollup_traffic_hour.packets IS 'Sum of packets as exported';
COMMENT ON COLUMN netflow.rollup_traffic_hour.bytes IS 'Sum of bytes as exported';
COMMENT ON COLUMN netflow.rollup_traffic_hour.packets_upscaled IS 'Sum of packets times the sampling interval (unknown interval counted as 1)';
COMMENT ON COLUMN netflow.rollup_traffic_hour.bytes_upscaled IS 'Sum of bytes times the sampling interval (unknown interval counted as 1)';
COMMENT ON INDEX netflow.rollup_traffic_hour_key IS 'One row per hour and key; serves range scans by hour';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_traffic_hour', '');

CREATE TABLE netflow.rollup_topn_minute (
	minute		timestamptz NOT NULL,
	dimension	text NOT NULL,
	by_bytes	netflow.topn_summary NOT NULL,
	by_flows	netflow.topn_summary NOT NULL,
	PRIMARY KEY (minute, dimension)
);
COMMENT ON TABLE netflow.rollup_topn_minute IS
	'Top-N summaries per minute and dimension (see netflow.rollup_dimensions), by bytes and by flows; no row for a minute without flows; kept for rollup_minute_retention';
COMMENT ON COLUMN netflow.rollup_topn_minute.minute IS 'Start of the minute';
COMMENT ON COLUMN netflow.rollup_topn_minute.dimension IS 'What the items are: src_addr, dst_addr, src_port, dst_port, protocol, src_as, dst_as or conversation';
COMMENT ON COLUMN netflow.rollup_topn_minute.by_bytes IS 'Summary of the items weighted by bytes (as exported)';
COMMENT ON COLUMN netflow.rollup_topn_minute.by_flows IS 'Summary of the items weighted by flows (1 per flow)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_topn_minute', '');

CREATE TABLE netflow.rollup_topn_hour (
	hour		timestamptz NOT NULL,
	dimension	text NOT NULL,
	by_bytes	netflow.topn_summary NOT NULL,
	by_flows	netflow.topn_summary NOT NULL,
	PRIMARY KEY (hour, dimension)
);
COMMENT ON TABLE netflow.rollup_topn_hour IS
	'Top-N summaries per hour and dimension, merged from the minutes with topn_union; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_topn_hour.hour IS 'Start of the hour (UTC)';
COMMENT ON COLUMN netflow.rollup_topn_hour.dimension IS 'What the items are: src_addr, dst_addr, src_port, dst_port, protocol, src_as, dst_as or conversation';
COMMENT ON COLUMN netflow.rollup_topn_hour.by_bytes IS 'Summary of the items weighted by bytes (as exported)';
COMMENT ON COLUMN netflow.rollup_topn_hour.by_flows IS 'Summary of the items weighted by flows (1 per flow)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_topn_hour', '');

CREATE TABLE netflow.rollup_topn_day (
	day			timestamptz NOT NULL,
	dimension	text NOT NULL,
	by_bytes	netflow.topn_summary NOT NULL,
	by_flows	netflow.topn_summary NOT NULL,
	PRIMARY KEY (day, dimension)
);
COMMENT ON TABLE netflow.rollup_topn_day IS
	'Top-N summaries per day (UTC) and dimension, merged from the hours with topn_union, so that long ranges merge few summaries; kept for rollup_retention';
COMMENT ON COLUMN netflow.rollup_topn_day.day IS 'Start of the day (UTC)';
COMMENT ON COLUMN netflow.rollup_topn_day.dimension IS 'What the items are: src_addr, dst_addr, src_port, dst_port, protocol, src_as, dst_as or conversation';
COMMENT ON COLUMN netflow.rollup_topn_day.by_bytes IS 'Summary of the items weighted by bytes (as exported)';
COMMENT ON COLUMN netflow.rollup_topn_day.by_flows IS 'Summary of the items weighted by flows (1 per flow)';
SELECT pg_catalog.pg_extension_config_dump('netflow.rollup_topn_day', '');

-- The top-N dimensions and the key expression of each over netflow.flows f.
CREATE FUNCTION netflow.rollup_dimensions(OUT dimension text, OUT key_expr text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 8
SET search_path = pg_catalog, pg_temp
AS $$
	VALUES ('src_addr', 'f.src_addr'), ('dst_addr', 'f.dst_addr'),
		   ('src_port', 'f.src_port'), ('dst_port', 'f.dst_port'),
		   ('protocol', 'f.protocol'), ('src_as', 'f.src_as'), ('dst_as', 'f.dst_as'),
		   ('conversation', $e$pg_catalog.host(f.src_addr) || ' -> ' || pg_catalog.host(f.dst_addr)$e$)
$$;
COMMENT ON FUNCTION netflow.rollup_dimensions() IS
	'Dimensions of the top-N rollups and netflow.top, with the key expression of each over netflow.flows f (items are the key''s text: an address, a port number, "a -> b" for a conversation)';

------------------------------------------------------------------------
-- Materialization (maintenance only)
------------------------------------------------------------------------

-- SQL text of a query giving the minute traffic rows (minute, exporter,
-- interfaces, protocol, direction, flows, packets, bytes, upscaled) of the
-- flows selected by cond (SQL text over netflow.flows f).  Each side is
-- classified once per flow (OFFSET 0 keeps the inner query from being
-- flattened into the expressions that use it).
CREATE FUNCTION netflow.rollup_traffic_select(cond text)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	RETURN format($q$
		SELECT date_trunc('minute', f.time_start), f.exporter, f.input_if, f.output_if, f.protocol,
			   CASE WHEN f.si THEN CASE WHEN f.di THEN 'internal' ELSE 'outbound' END
					WHEN f.di THEN 'inbound' ELSE 'other' END,
			   count(*), coalesce(sum(f.packets), 0), coalesce(sum(f.bytes), 0),
			   coalesce(sum(f.packets::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0),
			   coalesce(sum(f.bytes::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0)
		FROM (SELECT f.time_start, f.exporter, f.input_if, f.output_if, f.protocol, f.packets,
					 f.bytes, f.sampling_interval, %s AS si, %s AS di
			  FROM netflow.flows f WHERE %s OFFSET 0) AS f
		GROUP BY 1, 2, 3, 4, 5, 6$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'), cond);
END
$$;
COMMENT ON FUNCTION netflow.rollup_traffic_select(text) IS
	'SQL text of a query giving the minute traffic rows of the flows selected by an SQL condition, as the rollups compute them (internal)';

-- SQL text of a query giving the minute top-N rows (minute, dimension,
-- by_bytes, by_flows) of the flows selected by cond.  Each key is computed
-- once per flow (OFFSET 0, as above).
CREATE FUNCTION netflow.rollup_topn_select(cond text, capacity integer)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	keys	text;
	aggs	text;
	unpivot text;
BEGIN
	SELECT string_agg(format('%s AS %I', d.key_expr, 'k_' || d.dimension), ', '),
		   string_agg(format('netflow.topn(k.%1$I, k.w, %2$s) AS %3$I, netflow.topn(k.%1$I, 1::bigint, %2$s) AS %4$I',
							 'k_' || d.dimension, capacity, d.dimension || '_b', d.dimension || '_f'), ', '),
		   string_agg(format('(%L, a.%I, a.%I)', d.dimension, d.dimension || '_b', d.dimension || '_f'), ', ')
	INTO keys, aggs, unpivot
	FROM netflow.rollup_dimensions() d;
	RETURN format($q$
		SELECT a.minute, d.dimension, d.by_bytes, d.by_flows
		FROM (SELECT k.minute, %s
			  FROM (SELECT date_trunc('minute', f.time_start) AS minute,
						   coalesce(f.bytes, 0) AS w, %s
					FROM netflow.flows f WHERE %s OFFSET 0) AS k
			  GROUP BY 1) AS a,
			 LATERAL (VALUES %s) AS d(dimension, by_bytes, by_flows)
		WHERE d.by_bytes IS NOT NULL$q$,
		aggs, keys, cond, unpivot);
END
$$;
COMMENT ON FUNCTION netflow.rollup_topn_select(text, integer) IS
	'SQL text of a query giving the minute top-N summaries of the flows selected by an SQL condition, as the rollups compute them (internal)';

-- Materialize the minutes [lo, hi), none of which has rollup rows yet:
-- their flows received before cut (or with no time_received) straight into
-- the minute rollups, totals included.  Returns the number of flows.
CREATE FUNCTION netflow.rollup_materialize(lo timestamptz, hi timestamptz, cut timestamptz,
										   capacity integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	cond	constant text := 'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)';
	n		bigint;
BEGIN
	EXECUTE 'INSERT INTO netflow.rollup_traffic_minute ' || netflow.rollup_traffic_select(cond)
	USING ARRAY[lo, hi, cut];
	EXECUTE 'INSERT INTO netflow.rollup_topn_minute ' || netflow.rollup_topn_select(cond, capacity)
	USING ARRAY[lo, hi, cut];
	-- A plain INSERT: a minute that has a row already is an error, not a
	-- silent double count.
	INSERT INTO netflow.rollup_minutes
	SELECT t.minute, sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled),
		   sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
	FROM netflow.rollup_traffic_minute t
	WHERE t.minute >= lo AND t.minute < hi
	GROUP BY t.minute;
	SELECT coalesce(sum(m.flows), 0) INTO n
	FROM netflow.rollup_minutes m WHERE m.minute >= lo AND m.minute < hi;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.rollup_materialize(timestamptz, timestamptz, timestamptz, integer) IS
	'Materialize the minutes [lo, hi) (not materialized yet) from their flows received before cut; returns the number of flows (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_materialize(timestamptz, timestamptz, timestamptz, integer) FROM PUBLIC;

-- Aggregate the flows selected by cond (SQL text over netflow.flows f, its
-- parameter $1 the array p) per minute into the minute rollups: insert minutes
-- not there yet, add to the ones that are.  When into_hours, add to the
-- hourly rollups too (late flows of hours rolled up already).  Returns the
-- number of flows counted.
CREATE FUNCTION netflow.rollup_add_flows(cond text, p timestamptz[], into_hours boolean,
										 capacity integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	n		bigint;
BEGIN
	IF to_regclass('pg_temp.rollup_new_traffic') IS NULL THEN
		CREATE TEMP TABLE rollup_new_traffic (
			minute timestamptz, exporter inet, input_if bigint, output_if bigint,
			protocol smallint, direction text, flows bigint, packets numeric, bytes numeric,
			packets_upscaled numeric, bytes_upscaled numeric) ON COMMIT DROP;
		CREATE TEMP TABLE rollup_new_topn (
			minute timestamptz, dimension text, by_bytes netflow.topn_summary,
			by_flows netflow.topn_summary) ON COMMIT DROP;
	ELSE
		TRUNCATE rollup_new_traffic, rollup_new_topn;
	END IF;

	EXECUTE 'INSERT INTO rollup_new_traffic ' || netflow.rollup_traffic_select(cond) USING p;
	EXECUTE 'INSERT INTO rollup_new_topn ' || netflow.rollup_topn_select(cond, capacity) USING p;

	SELECT coalesce(sum(t.flows), 0) INTO n FROM rollup_new_traffic t;
	IF n = 0 THEN
		RETURN 0;
	END IF;

	INSERT INTO netflow.rollup_traffic_minute AS r
	SELECT * FROM rollup_new_traffic
	ON CONFLICT ON CONSTRAINT rollup_traffic_minute_key DO UPDATE
	SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
		bytes = r.bytes + excluded.bytes,
		packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
		bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled;
	INSERT INTO netflow.rollup_minutes AS r
	SELECT t.minute, sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled),
		   sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
	FROM rollup_new_traffic t GROUP BY t.minute
	ON CONFLICT (minute) DO UPDATE
	SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
		bytes = r.bytes + excluded.bytes,
		packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
		bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled,
		updated_at = excluded.updated_at;
	INSERT INTO netflow.rollup_topn_minute AS r
	SELECT * FROM rollup_new_topn
	ON CONFLICT (minute, dimension) DO UPDATE
	SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
		by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));

	IF into_hours THEN
		INSERT INTO netflow.rollup_traffic_hour AS r
		SELECT date_trunc('hour', t.minute), t.exporter, t.input_if, t.output_if, t.protocol,
			   t.direction, sum(t.flows), sum(t.packets), sum(t.bytes),
			   sum(t.packets_upscaled), sum(t.bytes_upscaled)
		FROM rollup_new_traffic t GROUP BY 1, 2, 3, 4, 5, 6
		ON CONFLICT ON CONSTRAINT rollup_traffic_hour_key DO UPDATE
		SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
			bytes = r.bytes + excluded.bytes,
			packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
			bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled;
		INSERT INTO netflow.rollup_hours AS r
		SELECT date_trunc('hour', t.minute), sum(t.flows), sum(t.packets), sum(t.bytes),
			   sum(t.packets_upscaled), sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
		FROM rollup_new_traffic t GROUP BY 1
		ON CONFLICT (hour) DO UPDATE
		SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
			bytes = r.bytes + excluded.bytes,
			packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
			bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled,
			updated_at = excluded.updated_at;
		INSERT INTO netflow.rollup_topn_hour AS r
		SELECT date_trunc('hour', t.minute), t.dimension, netflow.topn_union(t.by_bytes),
			   netflow.topn_union(t.by_flows)
		FROM rollup_new_topn t GROUP BY 1, 2
		ON CONFLICT (hour, dimension) DO UPDATE
		SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
			by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));
		-- and into the days rolled up already
		INSERT INTO netflow.rollup_topn_day AS r
		SELECT date_trunc('day', t.minute), t.dimension, netflow.topn_union(t.by_bytes),
			   netflow.topn_union(t.by_flows)
		FROM rollup_new_topn t
		WHERE t.minute < (SELECT st.days_upto FROM netflow.rollup_state st)
		GROUP BY 1, 2
		ON CONFLICT (day, dimension) DO UPDATE
		SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
			by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.rollup_add_flows(text, timestamptz[], boolean, integer) IS
	'Add the flows selected by an SQL condition to the minute rollups (and to the hourly ones when into_hours); returns the number of flows (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_add_flows(text, timestamptz[], boolean, integer) FROM PUBLIC;

-- Roll the minutes of hour h up into the hourly rollups (replacing what is
-- there).
CREATE FUNCTION netflow.rollup_hour_from_minutes(h timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	DELETE FROM netflow.rollup_traffic_hour t WHERE t.hour = h;
	DELETE FROM netflow.rollup_topn_hour t WHERE t.hour = h;
	DELETE FROM netflow.rollup_hours t WHERE t.hour = h;
	INSERT INTO netflow.rollup_traffic_hour
	SELECT h, t.exporter, t.input_if, t.output_if, t.protocol, t.direction,
		   sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled), sum(t.bytes_upscaled)
	FROM netflow.rollup_traffic_minute t
	WHERE t.minute >= h AND t.minute < h + interval '1 hour'
	GROUP BY 2, 3, 4, 5, 6;
	INSERT INTO netflow.rollup_topn_hour
	SELECT h, t.dimension, netflow.topn_union(t.by_bytes), netflow.topn_union(t.by_flows)
	FROM netflow.rollup_topn_minute t
	WHERE t.minute >= h AND t.minute < h + interval '1 hour'
	GROUP BY t.dimension;
	INSERT INTO netflow.rollup_hours
	SELECT h, coalesce(sum(m.flows), 0), coalesce(sum(m.packets), 0), coalesce(sum(m.bytes), 0),
		   coalesce(sum(m.packets_upscaled), 0), coalesce(sum(m.bytes_upscaled), 0),
		   clock_timestamp(), clock_timestamp()
	FROM netflow.rollup_minutes m
	WHERE m.minute >= h AND m.minute < h + interval '1 hour';
END
$$;
COMMENT ON FUNCTION netflow.rollup_hour_from_minutes(timestamptz) IS
	'Roll the minute rollups of the hour starting at h up into the hourly rollups (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_hour_from_minutes(timestamptz) FROM PUBLIC;

-- Roll the hours of day d (UTC) up into the daily top-N rollups.
CREATE FUNCTION netflow.rollup_day_from_hours(d timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	DELETE FROM netflow.rollup_topn_day t WHERE t.day = d;
	INSERT INTO netflow.rollup_topn_day
	SELECT d, t.dimension, netflow.topn_union(t.by_bytes), netflow.topn_union(t.by_flows)
	FROM netflow.rollup_topn_hour t
	WHERE t.hour >= d AND t.hour < d + interval '1 day'
	GROUP BY t.dimension;
END
$$;
COMMENT ON FUNCTION netflow.rollup_day_from_hours(timestamptz) IS
	'Roll the hourly top-N rollups of the day starting at d up into the daily ones (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_day_from_hours(timestamptz) FROM PUBLIC;

-- Where the rollups start: the first minute with flows, else the minute of
-- now.
CREATE FUNCTION netflow.rollup_first_minute(now timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	p		record;
	t		timestamptz;
BEGIN
	FOR p IN SELECT * FROM netflow.flows_partitions() ORDER BY lower LOOP
		EXECUTE format('SELECT min(time_start) FROM %s', p.partition) INTO t;
		IF t IS NOT NULL THEN
			RETURN least(date_trunc('minute', t), date_trunc('minute', now));
		END IF;
	END LOOP;
	RETURN date_trunc('minute', now);
END
$$;
COMMENT ON FUNCTION netflow.rollup_first_minute(timestamptz) IS
	'First minute the rollups cover: that of the oldest flow, else that of now (internal)';

-- Give every partition of netflow.flows a BRIN index on time_received, so
-- that finding the flows received since the last run reads only the
-- recently written part of each partition.  A partition that cannot be
-- locked within lock_timeout is left for the next run.  Returns the
-- partitions indexed.
CREATE FUNCTION netflow.rollup_index_partitions(lock_timeout text)
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p		record;
	iname	text;
	old_timeout text := current_setting('lock_timeout');
BEGIN
	FOR p IN
		SELECT f.partition, c.relname
		FROM netflow.flows_partitions() f
		JOIN pg_class c ON c.oid = f.partition
		WHERE NOT EXISTS (SELECT 1 FROM pg_index i
						  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
						  WHERE i.indrelid = f.partition AND a.attname = 'time_received'
							AND i.indnatts = 1)
		  -- compressed partitions take no index (45_compression.sql)
		  AND NOT EXISTS (SELECT 1 FROM pg_am am
						  WHERE am.oid = c.relam AND am.amname = 'netflow_compressed')
		ORDER BY f.lower DESC
	LOOP
		iname := left(p.relname, 63 - length('_time_received_brin')) || '_time_received_brin';
		BEGIN
			PERFORM set_config('lock_timeout', lock_timeout, true);
			EXECUTE format('CREATE INDEX %I ON %s USING brin (time_received)', iname, p.partition);
			PERFORM set_config('lock_timeout', old_timeout, true);
			RETURN NEXT p.partition;
		EXCEPTION WHEN lock_not_available THEN
			RAISE NOTICE 'netflow rollups: partition % busy, its time_received index is left for the next run', p.partition;
		END;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.rollup_index_partitions(text) IS
	'Create a BRIN index on time_received in every netflow.flows partition lacking one (waiting at most lock_timeout for each); returns the partitions indexed (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.rollup_index_partitions(text) FROM PUBLIC;

-- One rollup step as of now: add the flows received since the last run to
-- the buckets materialized already (minutes, hours, days, host profiles),
-- materialize the minutes closed for the grace period (at most
-- rollup_max_minutes, but always those that retention drops at this run)
-- into the minute rollups and the host profiles of their hour, roll closed
-- hours and days up, delete rollups past their retention.  Returns what it did, in run_maintenance's format.
CREATE FUNCTION netflow.rollup_maintenance(now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
#variable_conflict use_column
DECLARE
	rs		record := netflow.rollup_settings();
	ms		record := netflow.maintenance_settings();
	st		record;
	new_cut timestamptz;
	upto	timestamptz;
	hupto	timestamptz;
	dupto	timestamptz;
	must	timestamptz;
	next_lo timestamptz;
	c_hi	timestamptz;
	p_lowers timestamptz[];
	p_uppers timestamptz[];
	lo		timestamptz;
	hi		timestamptz;
	n		bigint;
	n_late	bigint := 0;
	n_flows bigint := 0;
	n_minutes bigint := 0;
	n_deleted bigint := 0;
	floor_ts timestamptz;
	v_details_from timestamptz;
	chunk	interval := interval '1 minute';
	per_minute numeric;
	t0		timestamptz;
	indexed integer;
BEGIN
	IF NOT isfinite(now) THEN
		RAISE EXCEPTION 'maintenance time must be finite: "%"', now
			USING ERRCODE = 'datetime_field_overflow',
				  DETAIL = 'Rollups are materialized relative to a finite point in time.';
	END IF;
	IF NOT rs.enabled THEN
		RETURN;
	END IF;
	-- Same key as run_maintenance (re-entrant within one transaction).
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		action := 'skipped';
		detail := 'another maintenance run in progress';
		RETURN NEXT;
		RETURN;
	END IF;

	SELECT count(*) INTO indexed FROM netflow.rollup_index_partitions(ms.lock_timeout);
	IF indexed > 0 THEN
		action := 'indexed';
		detail := format('BRIN index on time_received created in %s partitions', indexed);
		RETURN NEXT;
	END IF;

	SELECT * INTO st FROM netflow.rollup_state FOR UPDATE;
	IF NOT FOUND THEN
		lo := netflow.rollup_first_minute(now - rs.grace);
		INSERT INTO netflow.rollup_state (minutes_upto, hours_upto, days_upto, cut)
		VALUES (lo, date_trunc('hour', lo), date_trunc('day', lo), '-infinity')
		RETURNING * INTO st;
	END IF;
	new_cut := greatest(st.cut, now - rs.late_margin);
	t0 := clock_timestamp();

	-- 1. Late flows: received in [cut, new_cut), in minutes materialized
	-- already; those of hours rolled up already go into the hours too.
	-- Flows older than the rollup retention are left out (their rollups
	-- are gone or about to go).
	floor_ts := CASE WHEN rs.retention > interval '0' THEN date_trunc('hour', now - rs.retention)
				ELSE '-infinity' END;
	IF new_cut > st.cut AND st.cut > '-infinity' THEN
		n_late := netflow.rollup_add_flows(
			'f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4]',
			ARRAY[st.cut, new_cut, floor_ts, st.hours_upto], true, rs.topn_capacity)
				+ netflow.rollup_add_flows(
			'f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4]',
			ARRAY[st.cut, new_cut, greatest(floor_ts, st.hours_upto), st.minutes_upto], false, rs.topn_capacity);
		PERFORM netflow.host_profiles_add(
			'f.time_received >= $1[1] AND f.time_received < $1[2] AND f.time_start >= $1[3] AND f.time_start < $1[4]',
			ARRAY[st.cut, new_cut, floor_ts, st.minutes_upto]);
		IF n_late > 0 THEN
			action := 'late';
			lower := st.cut;
			upper := new_cut;
			detail := format('%s flows received in [%s, %s) added to minutes materialized already',
							 n_late, st.cut, new_cut);
			RAISE LOG 'netflow rollups: %', detail;
			RETURN NEXT;
		END IF;
	END IF;

	-- 2. New minutes, closed for the grace period, from their flows received
	-- before new_cut (or with no time_received).  At most max_minutes, but
	-- all those of the partitions that retention drops at this run.  What
	-- no partition covers holds no flow: skipped at once (a flow stamped
	-- decades ago by a wrong exporter clock costs nothing).
	upto := st.minutes_upto;
	SELECT max(c.upper) INTO must FROM netflow.retention_candidates(ms.retention, now) c;
	must := coalesce(must, '-infinity');
	hi := greatest(date_trunc('minute', now - rs.grace), upto, must);
	SELECT coalesce(array_agg(p.lower ORDER BY p.lower), '{}'), coalesce(array_agg(p.upper ORDER BY p.lower), '{}')
	INTO p_lowers, p_uppers
	FROM netflow.flows_partitions() p;
	lo := upto;
	WHILE lo < hi AND (n_minutes < rs.max_minutes OR lo < must) LOOP
		SELECT min(x.pl) INTO next_lo FROM unnest(p_lowers, p_uppers) AS x(pl, pu) WHERE x.pu > lo;
		IF next_lo IS NULL OR next_lo >= hi THEN
			lo := hi;
			EXIT;
		END IF;
		IF next_lo > lo THEN
			lo := date_trunc('minute', next_lo);
			CONTINUE;
		END IF;
		c_hi := least(hi, lo + chunk);
		n := netflow.rollup_materialize(lo, c_hi, new_cut, rs.topn_capacity);
		-- Host profiles grow with the minutes of their hour (merging is
		-- exact), so that closing an hour costs nothing more.
		PERFORM netflow.host_profiles_add(
			'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)',
			ARRAY[lo, c_hi, new_cut]);
		n_flows := n_flows + n;
		n_minutes := n_minutes + extract(epoch FROM c_hi - lo)::bigint / 60;
		-- Chunks of about 200,000 flows (at most an hour): few statements
		-- when the rate is low, bounded aggregate states when it is high.
		per_minute := n / greatest(extract(epoch FROM c_hi - lo) / 60, 1);
		lo := c_hi;
		chunk := make_interval(mins => greatest(1, least(60, (200000 / greatest(per_minute, 1))::integer)));
	END LOOP;
	IF lo > upto THEN
		upto := lo;
		action := 'materialized';
		lower := st.minutes_upto;
		upper := lo;
		detail := format('%s minutes, %s flows, %s ms per minute', n_minutes, n_flows,
						 round((extract(epoch FROM clock_timestamp() - t0) * 1000 / greatest(n_minutes, 1))::numeric, 1));
		RAISE LOG 'netflow rollups: materialized [%, %): %', lower, upper, detail;
		RETURN NEXT;
	END IF;

	-- 3. Hours whose minutes are all materialized: traffic and top-N from
	-- the minutes (their host profiles are complete already).
	hupto := st.hours_upto;
	WHILE hupto + interval '1 hour' <= upto LOOP
		PERFORM netflow.rollup_hour_from_minutes(hupto);
		hupto := hupto + interval '1 hour';
	END LOOP;
	dupto := st.days_upto;
	WHILE dupto + interval '1 day' <= hupto LOOP
		PERFORM netflow.rollup_day_from_hours(dupto);
		dupto := dupto + interval '1 day';
	END LOOP;
	IF hupto > st.hours_upto THEN
		action := 'rolled up';
		lower := st.hours_upto;
		upper := hupto;
		detail := format('%s hours', extract(epoch FROM hupto - st.hours_upto)::bigint / 3600);
		RETURN NEXT;
	END IF;

	-- 4. Retention of the rollups.  Minute details are kept at least until
	-- their hour is rolled up.
	v_details_from := st.details_from;
	IF rs.minute_retention > interval '0' THEN
		v_details_from := greatest(v_details_from,
								 least(date_trunc('minute', now - rs.minute_retention), hupto));
		DELETE FROM netflow.rollup_traffic_minute t WHERE t.minute < v_details_from;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_topn_minute t WHERE t.minute < v_details_from;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
	END IF;
	IF rs.retention > interval '0' THEN
		DELETE FROM netflow.rollup_minutes t WHERE t.minute < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_hours t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_traffic_hour t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_topn_hour t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.rollup_topn_day t WHERE t.day + interval '1 day' <= floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
		DELETE FROM netflow.host_profiles t WHERE t.hour < floor_ts;
		GET DIAGNOSTICS n = ROW_COUNT;
		n_deleted := n_deleted + n;
	END IF;
	IF n_deleted > 0 THEN
		action := 'expired';
		lower := NULL;
		upper := floor_ts;
		detail := format('%s rollup rows past rollup_retention (%s) or rollup_minute_retention (%s)',
						 n_deleted, rs.retention, rs.minute_retention);
		RETURN NEXT;
	END IF;

	UPDATE netflow.rollup_state
	SET minutes_upto = upto, hours_upto = hupto, days_upto = dupto, cut = new_cut,
		details_from = v_details_from,
		runs = runs + 1, minutes_materialized = minutes_materialized + n_minutes,
		late_flows = late_flows + n_late, last_run = now;
END
$$;
COMMENT ON FUNCTION netflow.rollup_maintenance(timestamptz) IS
	'Rollup step of maintenance as of now: add late flows to materialized buckets, materialize the minutes closed for rollup_grace (at most rollup_max_minutes, always those retention drops now), roll closed hours up, delete rollups past their retention; returns what it did';
REVOKE ALL ON FUNCTION netflow.rollup_maintenance(timestamptz) FROM PUBLIC;

-- Recompute the rollups and host profiles of the whole hours [from_ts,
-- to_ts) from the raw flows (received before the cut, as maintenance
-- counts them): after flows were loaded with an old or no time_received,
-- or after netflow.networks changed.  Refused when raw partitions no longer
-- cover the range.
CREATE FUNCTION netflow.rollup_rebuild(from_ts timestamptz, to_ts timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	st		record;
	rs		record := netflow.rollup_settings();
	h		timestamptz;
	n		bigint := 0;
	gap		timestamptz;
BEGIN
	IF NOT isfinite(from_ts) OR NOT isfinite(to_ts) OR from_ts > to_ts
	   OR date_trunc('hour', from_ts) <> from_ts OR date_trunc('hour', to_ts) <> to_ts THEN
		RAISE EXCEPTION 'invalid range to rebuild: [%, %)', from_ts, to_ts
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give a finite range of whole hours (UTC), from_ts <= to_ts.';
	END IF;
	IF NOT pg_try_advisory_xact_lock(1852142703, 1) THEN
		RAISE EXCEPTION 'netflow maintenance is running'
			USING ERRCODE = 'lock_not_available',
				  DETAIL = 'The rollups are rebuilt outside maintenance runs.',
				  HINT = 'Try again in a moment.';
	END IF;
	SELECT * INTO st FROM netflow.rollup_state;
	IF st IS NULL OR to_ts > st.hours_upto THEN
		RAISE EXCEPTION 'range to rebuild goes beyond the rolled-up hours'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = format('Hours up to %s are rolled up; [%s, %s) was given.',
								  coalesce(st.hours_upto::text, 'none'), from_ts, to_ts);
	END IF;
	-- The raw flows must still cover every moment of the range.
	SELECT min(g.t) INTO gap
	FROM generate_series(from_ts, to_ts - interval '1 hour', interval '1 hour') AS g(t)
	WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
					  WHERE p.lower <= g.t AND g.t + interval '1 hour' <= p.upper);
	IF gap IS NOT NULL THEN
		RAISE EXCEPTION 'raw flows of the hour % are no longer complete', gap
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'No partition of netflow.flows covers that hour (dropped by retention): its rollups cannot be recomputed.';
	END IF;
	DELETE FROM netflow.rollup_traffic_minute t WHERE t.minute >= from_ts AND t.minute < to_ts;
	DELETE FROM netflow.rollup_topn_minute t WHERE t.minute >= from_ts AND t.minute < to_ts;
	DELETE FROM netflow.rollup_minutes t WHERE t.minute >= from_ts AND t.minute < to_ts;
	DELETE FROM netflow.host_profiles t WHERE t.hour >= from_ts AND t.hour < to_ts;
	h := from_ts;
	WHILE h < to_ts LOOP
		n := n + netflow.rollup_materialize(h, h + interval '1 hour', st.cut, rs.topn_capacity);
		PERFORM netflow.rollup_hour_from_minutes(h);
		PERFORM netflow.host_profiles_add(
			'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)',
			ARRAY[h, h + interval '1 hour', st.cut]);
		h := h + interval '1 hour';
	END LOOP;
	-- The days rolled up already that overlap the range.
	h := date_trunc('day', from_ts);
	WHILE h < to_ts AND h + interval '1 day' <= st.days_upto LOOP
		PERFORM netflow.rollup_day_from_hours(h);
		h := h + interval '1 day';
	END LOOP;
	-- Minute details older than rollup_minute_retention were recomputed to
	-- roll the hours up; they go again.
	DELETE FROM netflow.rollup_traffic_minute t WHERE t.minute < st.details_from;
	DELETE FROM netflow.rollup_topn_minute t WHERE t.minute < st.details_from;
	RAISE LOG 'netflow rollups: rebuilt [%, %) from % flows', from_ts, to_ts, n;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.rollup_rebuild(timestamptz, timestamptz) IS
	'Recompute the rollups and host profiles of the whole hours [from_ts, to_ts) from the raw flows (which must still cover them); returns the number of flows counted';
REVOKE ALL ON FUNCTION netflow.rollup_rebuild(timestamptz, timestamptz) FROM PUBLIC;

-- 63_host_profiles.sql
-- 63_host_profiles.sql: per hour and internal address (netflow.networks),
-- what the host sent and received, to internal and external peers, how many
-- distinct peers and destination ports (HyperLogLog, 61_hll.sql), first
-- and last time seen.  Materialized by netflow.rollup_maintenance with the
-- same received-time cut as the other rollups, minute chunk by minute chunk
-- (rows of the current hour grow until it is rolled up).  See
-- docs/rollups.md.

CREATE TABLE netflow.host_profiles (
	hour		timestamptz NOT NULL,
	addr		inet NOT NULL,
	flows_sent_internal bigint NOT NULL,
	flows_sent_external bigint NOT NULL,
	bytes_sent_internal numeric NOT NULL,
	bytes_sent_external numeric NOT NULL,
	flows_received_internal bigint NOT NULL,
	flows_received_external bigint NOT NULL,
	bytes_received_internal numeric NOT NULL,
	bytes_received_external numeric NOT NULL,
	peers		netflow.hll,
	dst_ports	netflow.hll,
	first_seen	timestamptz NOT NULL,
	last_seen	timestamptz NOT NULL,
	PRIMARY KEY (hour, addr)
);
COMMENT ON TABLE netflow.host_profiles IS
	'Per hour and internal address: flows and bytes sent and received, by internal or external peer, distinct peers and destination ports (hll), first and last seen; kept for rollup_retention';
COMMENT ON COLUMN netflow.host_profiles.hour IS 'Start of the hour (UTC) of the flows'' time_start';
COMMENT ON COLUMN netflow.host_profiles.addr IS 'The internal address (netflow.networks)';
COMMENT ON COLUMN netflow.host_profiles.flows_sent_internal IS 'Flows from addr to internal addresses';
COMMENT ON COLUMN netflow.host_profiles.flows_sent_external IS 'Flows from addr to external addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_sent_internal IS 'Bytes (as exported) from addr to internal addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_sent_external IS 'Bytes (as exported) from addr to external addresses';
COMMENT ON COLUMN netflow.host_profiles.flows_received_internal IS 'Flows to addr from internal addresses';
COMMENT ON COLUMN netflow.host_profiles.flows_received_external IS 'Flows to addr from external addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_received_internal IS 'Bytes (as exported) to addr from internal addresses';
COMMENT ON COLUMN netflow.host_profiles.bytes_received_external IS 'Bytes (as exported) to addr from external addresses';
COMMENT ON COLUMN netflow.host_profiles.peers IS 'Sketch of the distinct addresses addr talked to, either way (netflow.hll_cardinality)';
COMMENT ON COLUMN netflow.host_profiles.dst_ports IS 'Sketch of the distinct destination ports of the flows addr sent; NULL when it sent none';
COMMENT ON COLUMN netflow.host_profiles.first_seen IS 'Earliest time_start of its flows in the hour';
COMMENT ON COLUMN netflow.host_profiles.last_seen IS 'Latest time_end (time_start when missing) of its flows in the hour';
CREATE INDEX host_profiles_addr_hour ON netflow.host_profiles (addr, hour);
COMMENT ON INDEX netflow.host_profiles_addr_hour IS 'One host''s hours';
SELECT pg_catalog.pg_extension_config_dump('netflow.host_profiles', '');

-- SQL text of a query over the flows selected by cond (over netflow.flows
-- f) giving host_profiles rows per hour and internal address; with
-- addr_param (e.g. '$2'), only for that address.
CREATE FUNCTION netflow.host_profile_select(cond text, addr_param text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	src		text := netflow.internal_expr('f.src_addr');
	dst		text := netflow.internal_expr('f.dst_addr');
	only_src text := CASE WHEN addr_param IS NULL THEN '' ELSE ' AND f.src_addr = ' || addr_param END;
	only_dst text := CASE WHEN addr_param IS NULL THEN '' ELSE ' AND f.dst_addr = ' || addr_param END;
BEGIN
	RETURN format($q$
		SELECT date_trunc('hour', s.time_start) AS hour, s.addr,
			   count(*) FILTER (WHERE s.sent AND s.peer_internal),
			   count(*) FILTER (WHERE s.sent AND NOT s.peer_internal),
			   coalesce(sum(s.bytes) FILTER (WHERE s.sent AND s.peer_internal), 0),
			   coalesce(sum(s.bytes) FILTER (WHERE s.sent AND NOT s.peer_internal), 0),
			   count(*) FILTER (WHERE NOT s.sent AND s.peer_internal),
			   count(*) FILTER (WHERE NOT s.sent AND NOT s.peer_internal),
			   coalesce(sum(s.bytes) FILTER (WHERE NOT s.sent AND s.peer_internal), 0),
			   coalesce(sum(s.bytes) FILTER (WHERE NOT s.sent AND NOT s.peer_internal), 0),
			   netflow.hll_add_agg(s.peer),
			   netflow.hll_add_agg(s.dst_port) FILTER (WHERE s.sent),
			   min(s.time_start), max(s.time_last)
		FROM (SELECT f.time_start, coalesce(f.time_end, f.time_start) AS time_last,
					 f.src_addr AS addr, true AS sent, f.dst_addr AS peer, %2$s AS peer_internal,
					 f.dst_port, f.bytes
			  FROM netflow.flows f WHERE (%3$s) AND %1$s%4$s
			  UNION ALL
			  SELECT f.time_start, coalesce(f.time_end, f.time_start),
					 f.dst_addr, false, f.src_addr, %1$s, f.dst_port, f.bytes
			  FROM netflow.flows f WHERE (%3$s) AND %2$s%5$s) AS s
		GROUP BY 1, 2$q$, src, dst, cond, only_src, only_dst);
END
$$;
COMMENT ON FUNCTION netflow.host_profile_select(text, text) IS
	'SQL text computing host_profiles rows from the flows selected by an SQL condition, optionally for one address (internal)';

-- Add the host profiles of the flows selected by cond (parameter $1: the
-- array p) to netflow.host_profiles, merging into existing rows.  Returns
-- the number of rows written.
CREATE FUNCTION netflow.host_profiles_add(cond text, p timestamptz[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	n		bigint;
BEGIN
	EXECUTE 'INSERT INTO netflow.host_profiles AS r ' || netflow.host_profile_select(cond) || '
		ON CONFLICT (hour, addr) DO UPDATE
		SET flows_sent_internal = r.flows_sent_internal + excluded.flows_sent_internal,
			flows_sent_external = r.flows_sent_external + excluded.flows_sent_external,
			bytes_sent_internal = r.bytes_sent_internal + excluded.bytes_sent_internal,
			bytes_sent_external = r.bytes_sent_external + excluded.bytes_sent_external,
			flows_received_internal = r.flows_received_internal + excluded.flows_received_internal,
			flows_received_external = r.flows_received_external + excluded.flows_received_external,
			bytes_received_internal = r.bytes_received_internal + excluded.bytes_received_internal,
			bytes_received_external = r.bytes_received_external + excluded.bytes_received_external,
			peers = coalesce(netflow.hll_union(r.peers, excluded.peers), r.peers, excluded.peers),
			dst_ports = coalesce(netflow.hll_union(r.dst_ports, excluded.dst_ports), r.dst_ports, excluded.dst_ports),
			first_seen = least(r.first_seen, excluded.first_seen),
			last_seen = greatest(r.last_seen, excluded.last_seen)'
	USING p;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.host_profiles_add(text, timestamptz[]) IS
	'Add the host profiles of the flows selected by an SQL condition to netflow.host_profiles (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.host_profiles_add(text, timestamptz[]) FROM PUBLIC;

-- One host's profile per hour over the hours overlapping [from_ts, to_ts)
-- (whole hours): the stored hours, plus raw flows for the hours not rolled
-- up yet and for late flows not folded in yet.
CREATE FUNCTION netflow.host_profile(addr inet, from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (hour timestamptz, flows_sent bigint, bytes_sent numeric,
			   flows_received bigint, bytes_received numeric,
			   flows_sent_internal bigint, flows_sent_external bigint,
			   bytes_sent_internal numeric, bytes_sent_external numeric,
			   flows_received_internal bigint, flows_received_external bigint,
			   bytes_received_internal numeric, bytes_received_external numeric,
			   peers bigint, dst_ports bigint, first_seen timestamptz, last_seen timestamptz)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 24
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	st		record;
	hfrom	timestamptz;
	hto		timestamptz;
	hupto	timestamptz;
	cut		timestamptz;
BEGIN
	IF addr IS NULL THEN
		RAISE EXCEPTION 'address must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  DETAIL = 'Give the internal address whose profile is wanted.';
	END IF;
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	SELECT * INTO st FROM netflow.rollup_state;
	hfrom := date_trunc('hour', from_ts);
	hto := date_trunc('hour', to_ts);
	IF hto < to_ts THEN
		hto := hto + interval '1 hour';
	END IF;
	hupto := coalesce(st.hours_upto, '-infinity');
	cut := coalesce(st.cut, 'infinity');
	RETURN QUERY EXECUTE format($q$
		WITH parts AS (
			SELECT p.hour, p.flows_sent_internal, p.flows_sent_external, p.bytes_sent_internal,
				   p.bytes_sent_external, p.flows_received_internal, p.flows_received_external,
				   p.bytes_received_internal, p.bytes_received_external, p.peers, p.dst_ports,
				   p.first_seen, p.last_seen
			FROM netflow.host_profiles p
			WHERE p.addr = $2 AND p.hour >= $1[1] AND p.hour < $1[2] AND p.hour < $1[3]
			UNION ALL
			SELECT r.hour, r.a, r.b, r.c, r.d, r.e, r.g, r.h, r.i, r.j, r.k, r.l, r.m
			FROM (%s) AS r(hour, addr, a, b, c, d, e, g, h, i, j, k, l, m)
		)
		SELECT x.hour,
			   sum(x.flows_sent_internal + x.flows_sent_external)::bigint,
			   sum(x.bytes_sent_internal + x.bytes_sent_external),
			   sum(x.flows_received_internal + x.flows_received_external)::bigint,
			   sum(x.bytes_received_internal + x.bytes_received_external),
			   sum(x.flows_sent_internal)::bigint, sum(x.flows_sent_external)::bigint,
			   sum(x.bytes_sent_internal), sum(x.bytes_sent_external),
			   sum(x.flows_received_internal)::bigint, sum(x.flows_received_external)::bigint,
			   sum(x.bytes_received_internal), sum(x.bytes_received_external),
			   coalesce(netflow.hll_cardinality(netflow.hll_union_agg(x.peers)), 0),
			   coalesce(netflow.hll_cardinality(netflow.hll_union_agg(x.dst_ports)), 0),
			   min(x.first_seen), max(x.last_seen)
		FROM parts x
		GROUP BY x.hour
		ORDER BY x.hour$q$,
		netflow.host_profile_select(
			'f.time_start >= greatest($1[1], $1[3]) AND f.time_start < $1[2]
			 OR f.time_start >= $1[1] AND f.time_start < least($1[2], $1[3]) AND f.time_received >= $1[4]',
			'$2'))
	USING ARRAY[hfrom, hto, hupto, cut], addr;
END
$$;
COMMENT ON FUNCTION netflow.host_profile(inet, timestamptz, timestamptz) IS
	'Hourly profile of an internal address over the whole hours overlapping [from_ts, to_ts): flows and bytes sent and received (in total and by internal/external peer), distinct peers and destination ports (HyperLogLog estimates), first and last seen; from netflow.host_profiles and raw flows; byte sums are numeric, exact beyond bigint';

GRANT SELECT ON netflow.host_profiles TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.host_profile(inet, timestamptz, timestamptz),
	netflow.host_profile_select(text, text) TO netflow_reader;

-- 64_rollup_queries.sql
-- 64_rollup_queries.sql: query functions over the rollups that pick the
-- resolution: hourly rollups for whole hours, minute rollups at the edges,
-- raw flows for what is not materialized (and for late flows not folded in
-- yet).  See docs/rollups.md.

-- How a range [from_ts, to_ts) splits: [fa, fb) is covered by the rollups
-- (flows received before cut; the ones received later are read raw),
-- within it [ha, hb) by the hourly rollups (empty, ha = hb, when hourly is
-- false or no whole rolled-up hour fits), within that [da, db) by the daily
-- top-N rollups (empty, da = db, when no whole rolled-up day fits); the
-- rest of [from_ts, to_ts) is read from raw flows.  Minute rollups are
-- needed for [fa, ha) and [hb, fb); with details, where the per-minute
-- details are gone (rollup_minute_retention) those edges are read raw
-- instead.  A raw part whose flows were counted by the rollups but whose
-- partition has been dropped since raises an error: never a silent gap.
CREATE FUNCTION netflow.rollup_split(from_ts timestamptz, to_ts timestamptz, hourly boolean,
									 details boolean,
									 OUT fa timestamptz, OUT fb timestamptz,
									 OUT ha timestamptz, OUT hb timestamptz,
									 OUT cut timestamptz,
									 OUT da timestamptz, OUT db timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	st		record;
	details_from timestamptz := '-infinity';
	lowers	timestamptz[];
	uppers	timestamptz[];
	lost	timestamptz;
BEGIN
	SELECT * INTO st FROM netflow.rollup_state;
	fa := date_trunc('minute', from_ts);
	IF fa < from_ts THEN
		fa := fa + interval '1 minute';
	END IF;
	IF st IS NULL THEN
		fb := fa;
		cut := 'infinity';
	ELSE
		fb := date_trunc('minute', least(to_ts, st.minutes_upto));
		cut := st.cut;
		IF details THEN
			details_from := st.details_from;
		END IF;
	END IF;
	IF fb <= fa THEN
		fa := from_ts;
		fb := from_ts;
	END IF;
	ha := fa;
	hb := fa;
	IF hourly AND fb > fa THEN
		ha := date_trunc('hour', fa);
		IF ha < fa THEN
			ha := ha + interval '1 hour';
		END IF;
		hb := least(date_trunc('hour', fb), date_trunc('hour', st.hours_upto));
		IF hb <= ha THEN
			ha := fa;
			hb := fa;
		END IF;
	END IF;
	-- Edges whose minute details are gone: from raw flows.
	IF hb > ha THEN
		IF fa < details_from THEN
			fa := least(ha, details_from);
		END IF;
		IF fb > hb AND hb < details_from THEN
			fb := hb;
		END IF;
	ELSIF fa < details_from AND fb > fa THEN
		fa := least(fb, details_from);
		ha := fa;
		hb := fa;
	END IF;
	-- Whole rolled-up days within the hours.
	da := ha;
	db := ha;
	IF hb > ha THEN
		da := date_trunc('day', ha);
		IF da < ha THEN
			da := da + interval '1 day';
		END IF;
		db := least(date_trunc('day', hb), date_trunc('day', st.days_upto));
		IF db <= da THEN
			da := ha;
			db := ha;
		END IF;
	END IF;
	-- The raw parts [from_ts, fa) and [fb, to_ts): a minute the rollups
	-- counted flows in must still have its partition.
	IF st IS NOT NULL THEN
		SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
		INTO lowers, uppers
		FROM netflow.flows_partitions() p;
		SELECT min(m.minute) INTO lost
		FROM netflow.rollup_minutes m
		WHERE (m.minute >= date_trunc('minute', from_ts) AND m.minute < fa
			   OR m.minute >= date_trunc('minute', fb) AND m.minute < to_ts)
		  AND NOT EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS x(pl, pu)
						  WHERE x.pl <= m.minute AND m.minute + interval '1 minute' <= x.pu);
		IF lost IS NOT NULL THEN
			RAISE EXCEPTION 'raw flows of the minute % are no longer kept', lost
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  DETAIL = 'Answering [from_ts, to_ts) exactly needs flows of that minute that only the raw partitions held (a range edge inside a minute, or per-minute rollups past rollup_minute_retention), and retention has dropped them.',
					  HINT = 'Start and end the range on whole minutes (date_trunc(''minute'', ...)), or on whole hours for ranges older than rollup_minute_retention.';
		END IF;
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.rollup_split(timestamptz, timestamptz, boolean, boolean) IS
	'How the query functions split [from_ts, to_ts): [fa, fb) from the rollups (flows received before cut), [ha, hb) of it from the hourly ones, [da, db) from the daily ones, the rest from raw flows (edges without per-minute details too, when details); raises an error when raw flows needed are gone (internal)';

-- Refuse a range that is not a finite [from_ts, to_ts) with from_ts <= to_ts.
CREATE FUNCTION netflow.rollup_check_range(from_ts timestamptz, to_ts timestamptz)
RETURNS void
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF from_ts IS NULL OR to_ts IS NULL OR NOT isfinite(from_ts) OR NOT isfinite(to_ts) THEN
		RAISE EXCEPTION 'time range must be finite: [%, %)', from_ts, to_ts
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'from_ts and to_ts must be finite, non-NULL timestamps.';
	END IF;
	IF from_ts > to_ts THEN
		RAISE EXCEPTION 'time range is reversed: [%, %)', from_ts, to_ts
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'from_ts must not be later than to_ts; the range is [from_ts, to_ts).';
	END IF;
END
$$;
COMMENT ON FUNCTION netflow.rollup_check_range(timestamptz, timestamptz) IS
	'Raise an error unless [from_ts, to_ts) is a finite range with from_ts <= to_ts (internal)';

-- The heaviest items of a dimension over exactly [from_ts, to_ts).
CREATE FUNCTION netflow.top(dimension text, from_ts timestamptz, to_ts timestamptz,
							n integer DEFAULT 10, metric text DEFAULT 'bytes')
RETURNS TABLE (item text, weight bigint, error bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 10
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- The raw parts are small (edges, the last minutes): starting parallel
-- workers for them costs more than it saves.
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
	key		text;
	sp		record;
BEGIN
	SELECT d.key_expr INTO key FROM netflow.rollup_dimensions() d WHERE d.dimension = top.dimension;
	IF key IS NULL THEN
		RAISE EXCEPTION 'unknown dimension "%"', dimension
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The dimensions are: ' || (SELECT string_agg(d.dimension, ', ') FROM netflow.rollup_dimensions() d) || '.';
	END IF;
	IF metric IS NULL OR metric NOT IN ('bytes', 'flows') THEN
		RAISE EXCEPTION 'unknown metric "%"', metric
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The metrics are bytes and flows.';
	END IF;
	IF n IS NULL OR n < 0 THEN
		RAISE EXCEPTION 'number of items must not be negative or NULL: %', n
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give n >= 0.';
	END IF;
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	sp := netflow.rollup_split(from_ts, to_ts, true, true);
	RETURN QUERY EXECUTE format($q$
		SELECT i.item, i.weight, i.error
		FROM netflow.topn_items((
			SELECT netflow.topn_union(u.s) FROM (
				SELECT d.%1$I AS s FROM netflow.rollup_topn_day d
				WHERE d.dimension = $1 AND d.day >= $11 AND d.day < $12
				UNION ALL
				SELECT h.%1$I FROM netflow.rollup_topn_hour h
				WHERE h.dimension = $1 AND h.hour >= $4 AND h.hour < $11
				UNION ALL
				SELECT h.%1$I FROM netflow.rollup_topn_hour h
				WHERE h.dimension = $1 AND h.hour >= $12 AND h.hour < $5
				UNION ALL
				SELECT m.%1$I FROM netflow.rollup_topn_minute m
				WHERE m.dimension = $1 AND m.minute >= $2 AND m.minute < $4
				UNION ALL
				SELECT m.%1$I FROM netflow.rollup_topn_minute m
				WHERE m.dimension = $1 AND m.minute >= $5 AND m.minute < $3
				UNION ALL
				SELECT netflow.topn(%2$s, %3$s, $9) FROM (
					SELECT * FROM netflow.flows f WHERE f.time_start >= $6 AND f.time_start < $2
					UNION ALL
					SELECT * FROM netflow.flows f WHERE f.time_start >= $3 AND f.time_start < $7
					UNION ALL
					SELECT * FROM netflow.flows f
					WHERE f.time_start >= $2 AND f.time_start < $3 AND f.time_received >= $8) AS f
			) AS u), $10) AS i$q$,
		'by_' || metric, key, CASE metric WHEN 'bytes' THEN 'coalesce(f.bytes, 0)' ELSE '1::bigint' END)
	USING dimension, sp.fa, sp.fb, sp.ha, sp.hb, from_ts, to_ts, sp.cut,
		  netflow.rollup_topn_capacity(), n, sp.da, sp.db;
END
$$;
COMMENT ON FUNCTION netflow.top(text, timestamptz, timestamptz, integer, text) IS
	'The n heaviest items of a dimension (netflow.rollup_dimensions) by bytes or flows over exactly [from_ts, to_ts): hourly rollups for whole hours, minute rollups at the edges, raw flows for the rest; weight - error <= true weight <= weight, except that a weight at the bigint maximum is saturated (at least weight - error)';

-- Traffic per bucket of width step over exactly [from_ts, to_ts), for
-- dashboards; optionally only one exporter, protocol or direction.
CREATE FUNCTION netflow.traffic(from_ts timestamptz, to_ts timestamptz,
								step interval DEFAULT '1 minute',
								exporter inet DEFAULT NULL, protocol integer DEFAULT NULL,
								direction text DEFAULT NULL)
RETURNS TABLE (bucket timestamptz, flows bigint, packets numeric, bytes numeric,
			   packets_upscaled numeric, bytes_upscaled numeric)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 1440
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Small raw parts (no parallel workers); one hash entry per bucket (a
-- month of minutes is 43,200) without spilling to disk.
SET max_parallel_workers_per_gather = 0
SET work_mem = '64MB'
AS $$
DECLARE
	step_s	numeric;
	filtered boolean := exporter IS NOT NULL OR protocol IS NOT NULL OR direction IS NOT NULL;
	sp		record;
	minute_src text;
	hour_src text;
	raw_src text;
	filt	text := 'true';
	dir		text;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	step_s := extract(epoch FROM step);
	IF step IS NULL OR step_s <= 0 OR step_s % 60 <> 0
	   OR extract(month FROM step) <> 0 OR extract(year FROM step) <> 0 THEN
		RAISE EXCEPTION 'invalid step "%"', step
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The step must be a positive whole number of minutes (hours and days allowed, not months).';
	END IF;
	IF extract(epoch FROM to_ts - from_ts) / step_s > 1000000 THEN
		RAISE EXCEPTION 'too many buckets: [%, %) by %', from_ts, to_ts, step
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = 'At most 1000000 buckets are returned.',
				  HINT = 'Use a larger step.';
	END IF;
	IF direction IS NOT NULL AND direction NOT IN ('outbound', 'inbound', 'internal', 'other') THEN
		RAISE EXCEPTION 'unknown direction "%"', direction
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The directions are outbound, inbound, internal and other.';
	END IF;

	sp := netflow.rollup_split(from_ts, to_ts, step_s % 3600 = 0, filtered);
	IF filtered THEN
		filt := '($11::inet IS NULL OR t.exporter = $11) AND ($12::integer IS NULL OR t.protocol = $12)
				 AND ($13::text IS NULL OR t.direction = $13)';
		minute_src := 'netflow.rollup_traffic_minute';
		hour_src := 'netflow.rollup_traffic_hour';
	ELSE
		minute_src := 'netflow.rollup_minutes';
		hour_src := 'netflow.rollup_hours';
	END IF;
	dir := CASE WHEN direction IS NULL THEN 'NULL::text'
			ELSE format($f$CASE WHEN %1$s THEN CASE WHEN %2$s THEN 'internal' ELSE 'outbound' END
						 WHEN %2$s THEN 'inbound' ELSE 'other' END$f$,
						netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr')) END;

	RETURN QUERY EXECUTE format($q$
		WITH parts AS (
			SELECT t.hour AS t, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %1$s t WHERE t.hour >= $4 AND t.hour < $5 AND %3$s
			UNION ALL
			SELECT t.minute, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %2$s t WHERE t.minute >= $2 AND t.minute < $4 AND %3$s
			UNION ALL
			SELECT t.minute, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %2$s t WHERE t.minute >= $5 AND t.minute < $3 AND %3$s
			UNION ALL
			SELECT pg_catalog.date_bin($8, t.time_start, $10), count(*), coalesce(sum(t.packets), 0),
				   coalesce(sum(t.bytes), 0),
				   coalesce(sum(t.packets::numeric * CASE WHEN t.sampling_interval > 0 THEN t.sampling_interval ELSE 1 END), 0),
				   coalesce(sum(t.bytes::numeric * CASE WHEN t.sampling_interval > 0 THEN t.sampling_interval ELSE 1 END), 0)
			FROM (SELECT f.time_start, f.exporter, f.protocol, f.packets, f.bytes, f.sampling_interval,
						 %4$s AS direction FROM (
					SELECT * FROM netflow.flows f WHERE f.time_start >= $6 AND f.time_start < $2
					UNION ALL
					SELECT * FROM netflow.flows f WHERE f.time_start >= $3 AND f.time_start < $7
					UNION ALL
					SELECT * FROM netflow.flows f
					WHERE f.time_start >= $2 AND f.time_start < $3 AND f.time_received >= $9) AS f) AS t
			WHERE %3$s
			GROUP BY 1
		), sums AS (
			SELECT pg_catalog.date_bin($8, p.t, $10) AS b, sum(p.flows) AS flows,
				   sum(p.packets) AS packets, sum(p.bytes) AS bytes,
				   sum(p.packets_upscaled) AS packets_upscaled, sum(p.bytes_upscaled) AS bytes_upscaled
			FROM parts p GROUP BY 1
		)
		SELECT g.b, coalesce(s.flows, 0)::bigint, coalesce(s.packets, 0),
			   coalesce(s.bytes, 0), coalesce(s.packets_upscaled, 0),
			   coalesce(s.bytes_upscaled, 0)
		FROM generate_series(pg_catalog.date_bin($8, $6, $10), $7 - interval '1 microsecond', $8) AS g(b)
		LEFT JOIN sums s ON s.b = g.b
		ORDER BY g.b$q$,
		hour_src, minute_src, filt, dir)
	USING NULL::text, sp.fa, sp.fb, sp.ha, sp.hb, from_ts, to_ts, step, sp.cut,
		  timestamptz '2000-01-03 00:00:00+00', exporter, protocol, direction;
END
$$;
COMMENT ON FUNCTION netflow.traffic(timestamptz, timestamptz, interval, inet, integer, text) IS
	'Flows, packets and bytes (as exported and upscaled by sampling) per bucket of width step (whole minutes, aligned in UTC from 2000-01-03) over exactly [from_ts, to_ts), every bucket listed; optionally one exporter, protocol or direction (outbound, inbound, internal, other); from the rollups and raw flows; packets and bytes are numeric, exact beyond bigint';

GRANT SELECT ON netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.rollup_topn_capacity(), netflow.rollup_dimensions(),
	netflow.rollup_split(timestamptz, timestamptz, boolean, boolean),
	netflow.rollup_check_range(timestamptz, timestamptz),
	netflow.top(text, timestamptz, timestamptz, integer, text),
	netflow.traffic(timestamptz, timestamptz, interval, inet, integer, text)
	TO netflow_reader;

-- detections: scans, lateral movement, exfiltration, beaconing, volume anomalies,
-- alerts (issue 13).  The same text as sql/parts/70_detect.sql, plus
-- run_maintenance with its detection step (3c).

-- 70_detect.sql
-- 70_detect.sql: detections over flows -- scans, lateral movement,
-- exfiltration, beaconing and volume/entropy anomalies -- as set-returning
-- functions over any past range (netflow.detect), and as alerts written by
-- maintenance (netflow.alerts, NOTIFY netflow_alert).  See
-- docs/detections.md for each algorithm, its settings and blind spots.
--
-- Every detector is a plpgsql function over [from_ts, to_ts) returning the
-- rows of netflow.detect (with JIT off: the planner's estimates of their
-- CTEs are far too high, and compiling took seconds where running takes
-- less than one); they read raw flows (and netflow.host_profiles
-- for the exfiltration baseline where hours are rolled up), classify
-- addresses with netflow.internal_expr, and store nothing.

------------------------------------------------------------------------
-- Role
------------------------------------------------------------------------

DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'netflow_analyst') THEN
		CREATE ROLE netflow_analyst NOLOGIN;
		COMMENT ON ROLE netflow_analyst IS
			'Can read netflow alerts and set their state (open, acknowledged, closed)';
	END IF;
END
$$;

------------------------------------------------------------------------
-- Settings
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('detect_alerts', 'on',
	 'Whether run_maintenance runs the detectors and writes netflow.alerts (on/off; off leaves netflow.detect_maintenance to a schedule of its own)'),
	('detect_baseline', '14 days',
	 'Baseline window of the detectors that compare with the past (lateral_movement, exfiltration, volume_anomaly): 1 hour - 400 days; with less history, what there is'),
	('detect_min_history', '1 day',
	 'Least history (since the oldest flow or rollup) before the baseline detectors report anything (0 - 30 days)'),
	('detect_slow_every', '1 hour',
	 'Maintenance runs the baseline detectors and beaconing at most this often, over the time since their last run (1 minute - 1 day); scans every run'),
	('detect_max_baseline_rows', '200000000',
	 'Maintenance skips the baseline detectors (logged) when the raw partitions they would read hold more estimated rows than this; 0 = no limit'),
	('scan_window', '5 minutes',
	 'Time bucket in which scan attempts are counted (10 seconds - 1 day)'),
	('scan_hosts', '25',
	 'Horizontal scan: distinct destinations of one source on one port within scan_window (2 - 1000000)'),
	('scan_ports', '15',
	 'Vertical scan: distinct ports of one source on one destination within scan_window (2 - 65536)'),
	('lateral_ports', '{22,23,135,139,445,3389,5985,5986,5900}',
	 'Administration and remote-execution ports watched for lateral movement (array of 0-65535)'),
	('lateral_server_sources', '20',
	 'Lateral movement: an internal destination that this many distinct internal sources reached on a watched port in the baseline is a shared server (file server, domain controller, jump host) and connections to it on that port are not reported (2 - 1000000)'),
	('lateral_fanout', '10',
	 'Lateral movement: new internal destinations on watched ports of one source within the range (2 - 1000000)'),
	('exfil_window', '1 hour',
	 'Exfiltration: length of the windows whose external upload is compared with the host''s baseline windows of the same length (1 minute - 1 day)'),
	('exfil_ratio', '5',
	 'Exfiltration: upload must exceed this many times the host''s largest baseline window (1 - 1000000)'),
	('exfil_min_bytes', '500000000',
	 'Exfiltration: least bytes uploaded to external addresses in one window before an alert (0 - 10^15)'),
	('exfil_new_dest_bytes', '100000000',
	 'Exfiltration: least bytes to one external destination never contacted in the baseline (0 - 10^15)'),
	('beacon_window', '12 hours',
	 'Beaconing: connections of a pair are scored over windows of this length (10 minutes - 7 days)'),
	('beacon_min_connections', '20',
	 'Beaconing: least connections of a pair within a window to be scored (4 - 1000000)'),
	('beacon_min_span', '1 hour',
	 'Beaconing: least time from a pair''s first to its last connection in a window to be scored (0 - 7 days)'),
	('beacon_score', '0.8',
	 'Beaconing: least score (0 - 1, RITA-style) for an alert'),
	('beacon_allow', '{}',
	 'Beaconing: destination networks never reported (array of cidr), e.g. an external monitoring service'),
	('volume_z', '6',
	 'Volume anomaly: least robust z-score (median, MAD) of a minute against the same hour of day in the baseline (1 - 1000)'),
	('volume_ratio', '3',
	 'Volume anomaly: flows or bytes must also be this many times the baseline median (1 - 1000)'),
	('volume_entropy_bits', '1',
	 'Volume anomaly: least change of an address or port entropy, in bits, besides its z-score (0 - 64)'),
	('volume_min_flows', '100',
	 'Volume anomaly: minutes of an exporter with fewer flows are not judged (0 - 10^12)');

-- The detection settings, parsed and validated.
-- PARALLEL UNSAFE: its EXCEPTION block starts a subtransaction.  SECURITY
-- DEFINER: readers may run the detectors but not read netflow.config.
CREATE FUNCTION netflow.detect_settings(OUT alerts boolean,
										OUT baseline interval,
										OUT min_history interval,
										OUT slow_every interval,
										OUT max_baseline_rows bigint,
										OUT scan_window interval,
										OUT scan_hosts integer,
										OUT scan_ports integer,
										OUT lateral_ports integer[],
										OUT lateral_fanout integer,
										OUT lateral_server_sources integer,
										OUT exfil_window interval,
										OUT exfil_ratio double precision,
										OUT exfil_min_bytes bigint,
										OUT exfil_new_dest_bytes bigint,
										OUT beacon_window interval,
										OUT beacon_min_connections integer,
										OUT beacon_min_span interval,
										OUT beacon_score double precision,
										OUT beacon_allow cidr[],
										OUT volume_z double precision,
										OUT volume_ratio double precision,
										OUT volume_entropy_bits double precision,
										OUT volume_min_flows bigint)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
	what	text;
	bad		boolean;
BEGIN
	FOREACH k IN ARRAY ARRAY['detect_alerts', 'detect_baseline', 'detect_min_history',
							 'detect_slow_every', 'detect_max_baseline_rows', 'scan_window',
							 'scan_hosts', 'scan_ports', 'lateral_ports', 'lateral_fanout', 'lateral_server_sources',
							 'exfil_window', 'exfil_ratio', 'exfil_min_bytes',
							 'exfil_new_dest_bytes', 'beacon_window', 'beacon_min_connections',
							 'beacon_min_span', 'beacon_score', 'beacon_allow', 'volume_z', 'volume_ratio',
							 'volume_entropy_bits', 'volume_min_flows'] LOOP
		v := netflow.config_get(k);
		what := NULL;
		BEGIN
			CASE k
				WHEN 'detect_alerts' THEN what := 'The value must be on or off.'; alerts := v::boolean;
				WHEN 'detect_baseline' THEN baseline := v::interval;
				WHEN 'detect_min_history' THEN min_history := v::interval;
				WHEN 'detect_slow_every' THEN slow_every := v::interval;
				WHEN 'detect_max_baseline_rows' THEN max_baseline_rows := v::bigint;
				WHEN 'scan_window' THEN scan_window := v::interval;
				WHEN 'scan_hosts' THEN scan_hosts := v::integer;
				WHEN 'scan_ports' THEN scan_ports := v::integer;
				WHEN 'lateral_ports' THEN what := 'The value must be an array of port numbers, e.g. {22,445}.';
					lateral_ports := v::integer[];
				WHEN 'lateral_fanout' THEN lateral_fanout := v::integer;
				WHEN 'lateral_server_sources' THEN lateral_server_sources := v::integer;
				WHEN 'exfil_window' THEN exfil_window := v::interval;
				WHEN 'exfil_ratio' THEN exfil_ratio := v::double precision;
				WHEN 'exfil_min_bytes' THEN exfil_min_bytes := v::bigint;
				WHEN 'exfil_new_dest_bytes' THEN exfil_new_dest_bytes := v::bigint;
				WHEN 'beacon_window' THEN beacon_window := v::interval;
				WHEN 'beacon_min_connections' THEN beacon_min_connections := v::integer;
				WHEN 'beacon_min_span' THEN beacon_min_span := v::interval;
				WHEN 'beacon_score' THEN beacon_score := v::double precision;
				WHEN 'beacon_allow' THEN what := 'The value must be an array of networks, e.g. {192.0.2.0/24}.';
					beacon_allow := v::cidr[];
				WHEN 'volume_z' THEN volume_z := v::double precision;
				WHEN 'volume_ratio' THEN volume_ratio := v::double precision;
				WHEN 'volume_entropy_bits' THEN volume_entropy_bits := v::double precision;
				ELSE volume_min_flows := v::bigint;
			END CASE;
		EXCEPTION WHEN data_exception THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, v
				USING ERRCODE = 'invalid_parameter_value',
					  DETAIL = coalesce(what, 'The value must be ' ||
								 CASE WHEN k IN ('detect_baseline', 'detect_min_history', 'detect_slow_every',
												 'scan_window', 'exfil_window', 'beacon_window', 'beacon_min_span')
									  THEN 'an interval.' ELSE 'a number.' END);
		END;
	END LOOP;
	-- Ranges: one check per setting, each with its own message.
	FOR k, bad, what IN
		VALUES ('detect_alerts', alerts IS NULL, 'The value must be on or off.'),
			   ('detect_baseline', baseline IS NULL OR baseline < interval '1 hour' OR baseline > interval '400 days',
				'The baseline must be between 1 hour and 400 days.'),
			   ('detect_min_history', min_history IS NULL OR min_history < interval '0' OR min_history > interval '30 days',
				'The least history must be between 0 and 30 days.'),
			   ('detect_slow_every', slow_every IS NULL OR slow_every < interval '1 minute' OR slow_every > interval '1 day',
				'The interval must be between 1 minute and 1 day.'),
			   ('detect_max_baseline_rows', max_baseline_rows IS NULL OR max_baseline_rows < 0,
				'The limit must be 0 (none) or more.'),
			   ('scan_window', scan_window IS NULL OR scan_window < interval '10 seconds' OR scan_window > interval '1 day',
				'The scan window must be between 10 seconds and 1 day.'),
			   ('scan_hosts', scan_hosts IS NULL OR scan_hosts NOT BETWEEN 2 AND 1000000,
				'The number of hosts must be between 2 and 1000000.'),
			   ('scan_ports', scan_ports IS NULL OR scan_ports NOT BETWEEN 2 AND 65536,
				'The number of ports must be between 2 and 65536.'),
			   ('lateral_ports', lateral_ports IS NULL OR array_position(lateral_ports, NULL) IS NOT NULL
				OR EXISTS (SELECT 1 FROM unnest(lateral_ports) p WHERE p NOT BETWEEN 0 AND 65535),
				'The value must be an array of port numbers between 0 and 65535.'),
			   ('lateral_fanout', lateral_fanout IS NULL OR lateral_fanout NOT BETWEEN 2 AND 1000000,
				'The fan-out must be between 2 and 1000000.'),
			   ('lateral_server_sources', lateral_server_sources IS NULL OR lateral_server_sources NOT BETWEEN 2 AND 1000000,
				'The number of sources must be between 2 and 1000000.'),
			   ('exfil_window', exfil_window IS NULL OR exfil_window < interval '1 minute' OR exfil_window > interval '1 day',
				'The window must be between 1 minute and 1 day.'),
			   ('exfil_ratio', exfil_ratio IS NULL OR NOT exfil_ratio BETWEEN 1 AND 1000000,
				'The ratio must be between 1 and 1000000.'),
			   ('exfil_min_bytes', exfil_min_bytes IS NULL OR exfil_min_bytes NOT BETWEEN 0 AND 1000000000000000,
				'The floor must be between 0 and 10^15 bytes.'),
			   ('exfil_new_dest_bytes', exfil_new_dest_bytes IS NULL OR exfil_new_dest_bytes NOT BETWEEN 0 AND 1000000000000000,
				'The floor must be between 0 and 10^15 bytes.'),
			   ('beacon_window', beacon_window IS NULL OR beacon_window < interval '10 minutes' OR beacon_window > interval '7 days',
				'The window must be between 10 minutes and 7 days.'),
			   ('beacon_min_connections', beacon_min_connections IS NULL OR beacon_min_connections NOT BETWEEN 4 AND 1000000,
				'The number of connections must be between 4 and 1000000.'),
			   ('beacon_min_span', beacon_min_span IS NULL OR beacon_min_span < interval '0' OR beacon_min_span > interval '7 days',
				'The span must be between 0 and 7 days.'),
			   ('beacon_score', beacon_score IS NULL OR NOT beacon_score BETWEEN 0 AND 1,
				'The score must be between 0 and 1.'),
			   ('beacon_allow', beacon_allow IS NULL OR array_position(beacon_allow, NULL) IS NOT NULL,
				'The value must be an array of networks without NULL.'),
			   ('volume_z', volume_z IS NULL OR NOT volume_z BETWEEN 1 AND 1000,
				'The z-score must be between 1 and 1000.'),
			   ('volume_ratio', volume_ratio IS NULL OR NOT volume_ratio BETWEEN 1 AND 1000,
				'The ratio must be between 1 and 1000.'),
			   ('volume_entropy_bits', volume_entropy_bits IS NULL OR NOT volume_entropy_bits BETWEEN 0 AND 64,
				'The change must be between 0 and 64 bits.'),
			   ('volume_min_flows', volume_min_flows IS NULL OR volume_min_flows NOT BETWEEN 0 AND 1000000000000,
				'The number of flows must be between 0 and 10^12.')
	LOOP
		IF bad THEN
			RAISE EXCEPTION 'invalid value for netflow setting "%": "%"', k, netflow.config_get(k)
				USING ERRCODE = 'invalid_parameter_value', DETAIL = what;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.detect_settings() IS
	'Effective detection settings (detect_*, scan_*, lateral_*, exfil_*, beacon_*, volume_* from netflow.config), validated';

------------------------------------------------------------------------
-- Helpers
------------------------------------------------------------------------

-- When the history starts: the earliest of the oldest hourly rollup and the
-- hour of the oldest flow of the oldest non-empty partition of
-- netflow.flows (NULL when there is none).  Reads one partition, from its first stored row back.
-- SECURITY DEFINER: readers may not read the partitions themselves.
CREATE FUNCTION netflow.detect_history_start()
RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p		record;
	t		timestamptz;
	first	timestamptz;
BEGIN
	FOR p IN SELECT fp.partition FROM netflow.flows_partitions() fp ORDER BY fp.lower LOOP
		EXECUTE format('SELECT time_start FROM %s LIMIT 1', p.partition) INTO t;
		IF t IS NOT NULL THEN
			EXECUTE format('SELECT min(time_start) FROM %s WHERE time_start <= $1', p.partition)
				INTO t USING t;
			first := t;
			EXIT;
		END IF;
	END LOOP;
	RETURN least(date_trunc('hour', first), (SELECT min(h.hour) FROM netflow.rollup_hours h WHERE h.flows > 0));
END
$$;
COMMENT ON FUNCTION netflow.detect_history_start() IS
	'Start of the stored history: earliest of the hour of the oldest flow (of the oldest non-empty partition) and the oldest hourly rollup with flows; NULL when nothing is stored';

-- The baseline before from_ts: [greatest(from_ts - detect_baseline, history
-- start), from_ts), and whether it is long enough (detect_min_history).
CREATE FUNCTION netflow.detect_baseline_range(from_ts timestamptz, s record,
											  OUT lower timestamptz, OUT upper timestamptz,
											  OUT enough boolean)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	h		timestamptz := netflow.detect_history_start();
BEGIN
	upper := from_ts;
	lower := greatest(from_ts - s.baseline, coalesce(h, from_ts));
	enough := h IS NOT NULL AND from_ts - h >= s.min_history AND lower < upper;
END
$$;
COMMENT ON FUNCTION netflow.detect_baseline_range(timestamptz, record) IS
	'Baseline range before from_ts (detect_baseline, shortened to the stored history) and whether it covers detect_min_history (internal)';

-- SQL condition over netflow.flows f: a flow that looks like an unanswered
-- attempt -- TCP with SYN and without ACK, or (no TCP flags) at most two
-- packets of at most 128 bytes each -- and not the reverse half of a
-- biflow (flags bit 4).
CREATE FUNCTION netflow.detect_attempt_expr()
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT '(coalesce(f.flags, 0) & 16 = 0 AND CASE WHEN f.protocol = 6 AND coalesce(f.tcp_flags, 0) <> 0 '
		   'THEN f.tcp_flags & 18 = 2 '
		   'ELSE coalesce(f.packets, 1) <= 2 AND coalesce(f.bytes, 0) <= 128 * greatest(coalesce(f.packets, 1), 1) END)'
$$;
COMMENT ON FUNCTION netflow.detect_attempt_expr() IS
	'SQL condition over netflow.flows f true for a connection attempt that looks unanswered: TCP SYN without ACK, or without TCP flags at most 2 packets of at most 128 bytes (internal)';

------------------------------------------------------------------------
-- Detectors.  Each returns the columns of netflow.detect.
------------------------------------------------------------------------

-- Scans (Zeek's scan policy, on flows).  Within buckets of scan_window
-- (from from_ts on), attempts (netflow.detect_attempt_expr) of one source:
-- horizontal, to scan_hosts or more distinct destinations on one port;
-- vertical, to scan_ports or more distinct ports of one destination.  A
-- target counts 1 when no flow came back from it in the range, 1/2 when
-- one did (TCP only: the port answered, e.g. SYN-ACK; other protocols
-- count 0 then).  Score: weighted targets / threshold.
CREATE FUNCTION netflow.detect_scan(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	RETURN QUERY EXECUTE format($q$
		WITH a AS MATERIALIZED (
			SELECT date_bin($3, f.time_start, $1) AS b, f.src_addr AS s, f.dst_addr AS d,
				   f.dst_port AS p, f.protocol = 6 AS tcp, f.time_start AS t0,
				   coalesce(f.time_end, f.time_start) AS t1
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2
			  AND f.src_addr IS NOT NULL AND f.dst_addr IS NOT NULL AND f.dst_port IS NOT NULL
			  AND f.protocol IN (6, 17) AND %s
		),
		groups AS (
			SELECT 'horizontal' AS type, a.b, a.s, NULL::inet AS d, a.p
			FROM a GROUP BY a.b, a.s, a.p HAVING count(DISTINCT a.d) >= $4
			UNION ALL
			SELECT 'vertical', a.b, a.s, a.d, NULL::integer
			FROM a GROUP BY a.b, a.s, a.d HAVING count(DISTINCT a.p) >= $5
		),
		-- The attempts of each group (two equi-joins: an attempt is in at
		-- most one group of each type).
		cand0 AS MATERIALIZED (
			SELECT g.type, g.b, g.s, g.d AS gd, g.p AS gp, a.d, a.p, a.tcp, a.t0, a.t1
			FROM groups g
			JOIN a ON a.b = g.b AND a.s = g.s AND a.p = g.p
			WHERE g.type = 'horizontal'
			UNION ALL
			SELECT g.type, g.b, g.s, g.d, g.p, a.d, a.p, a.tcp, a.t0, a.t1
			FROM groups g
			JOIN a ON a.b = g.b AND a.s = g.s AND a.d = g.d
			WHERE g.type = 'vertical'
		),
		-- Flows back from a target's port, other than resets.
		back AS MATERIALIZED (
			SELECT DISTINCT f.src_addr, f.dst_addr, f.src_port
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 + $3
			  AND NOT (f.protocol = 6 AND coalesce(f.tcp_flags, 0) & 4 <> 0)
			  AND (f.src_addr, f.dst_addr) IN (SELECT c.d, c.s FROM cand0 c)
		),
		targets AS (
			SELECT c.type, c.b, c.s, c.gd, c.gp,
				   CASE WHEN c.type = 'horizontal' THEN host(c.d) ELSE c.p::text END AS target,
				   bool_or(c.tcp) AS tcp,
				   bool_or(r.src_addr IS NOT NULL) AS answered,
				   min(c.t0) AS t0, max(c.t1) AS t1, count(*) AS attempts
			FROM cand0 c
			LEFT JOIN back r ON r.src_addr = c.d AND r.dst_addr = c.s AND r.src_port = c.p
			GROUP BY 1, 2, 3, 4, 5, 6
		),
		scored AS (
			SELECT t.type, t.b, t.s, t.gd, t.gp,
				   count(*) FILTER (WHERE NOT t.answered) AS unanswered,
				   count(*) FILTER (WHERE t.answered) AS answered,
				   count(*) FILTER (WHERE NOT t.answered)
					   + 0.5 * count(*) FILTER (WHERE t.answered AND t.tcp) AS weight,
				   sum(t.attempts) AS attempts, min(t.t0) AS t0, max(t.t1) AS t1,
				   (array_agg(t.target ORDER BY t.target))[1:20] AS sample
			FROM targets t
			GROUP BY 1, 2, 3, 4, 5
		)
		SELECT 'scan'::text, x.s, x.gd, x.gp,
			   max(x.weight / CASE WHEN x.type = 'horizontal' THEN $4 ELSE $5 END)::double precision,
			   min(x.t0), max(x.t1),
			   jsonb_build_object('type', min(x.type),
								  'threshold', CASE WHEN min(x.type) = 'horizontal' THEN $4 ELSE $5 END,
								  'window', $3::text,
								  'windows', count(*),
								  'targets', max(x.unanswered + x.answered),
								  'unanswered', max(x.unanswered),
								  'answered', max(x.answered),
								  'attempts', sum(x.attempts),
								  'sample', (array_agg(to_jsonb(x.sample) ORDER BY x.weight DESC))[1])
		FROM scored x
		WHERE x.weight >= CASE WHEN x.type = 'horizontal' THEN $4 ELSE $5 END
		GROUP BY x.s, x.gd, x.gp$q$, netflow.detect_attempt_expr())
	USING from_ts, to_ts, s.scan_window, s.scan_hosts, s.scan_ports;
END
$$;
COMMENT ON FUNCTION netflow.detect_scan(timestamptz, timestamptz) IS
	'Scan detector over [from_ts, to_ts): horizontal (scan_hosts destinations on one port) and vertical (scan_ports ports of one destination) within scan_window buckets, counting unanswered attempts 1 and answered TCP attempts 1/2; see docs/detections.md';

-- Lateral movement.  Internal-to-internal flows on lateral_ports in the
-- range, by source and port: a source that used the port towards no
-- internal host in the baseline is reported (new_source); a source that
-- did, when it reached lateral_fanout or more internal destinations new to
-- it on the port (fan_out).  Shared servers -- destinations that
-- lateral_server_sources or more internal sources reached on the port in
-- the baseline -- are left out.  Needs detect_min_history of history.
-- Score: new_source 1 + new destinations / lateral_fanout; fan_out new
-- destinations / lateral_fanout.
CREATE FUNCTION netflow.detect_lateral_movement(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
	bl		record;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	bl := netflow.detect_baseline_range(from_ts, s);
	IF NOT bl.enough THEN
		RAISE NOTICE 'lateral_movement skipped: less than % of history before %', s.min_history, from_ts;
		RETURN;
	END IF;
	RETURN QUERY EXECUTE format($q$
		WITH cur AS MATERIALIZED (
			SELECT f.src_addr AS s, f.dst_addr AS d, f.dst_port AS p, f.time_start AS t0,
				   coalesce(f.time_end, f.time_start) AS t1, %3$s AS attempt
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 AND f.dst_port = ANY ($5)
			  AND f.src_addr <> f.dst_addr AND coalesce(f.flags, 0) & 16 = 0
			  AND %1$s AND %2$s
		),
		base AS MATERIALIZED (
			SELECT DISTINCT f.src_addr AS s, f.dst_addr AS d, f.dst_port AS p
			FROM netflow.flows f
			WHERE f.time_start >= $3 AND f.time_start < $4 AND f.dst_port = ANY ($5)
			  AND coalesce(f.flags, 0) & 16 = 0
			  AND f.src_addr IN (SELECT c.s FROM cur c) AND %2$s
		),
		-- Shared servers: reached on the port by lateral_server_sources or
		-- more internal sources in the baseline.
		servers AS MATERIALIZED (
			SELECT f.dst_addr AS d, f.dst_port AS p
			FROM netflow.flows f
			WHERE f.time_start >= $3 AND f.time_start < $4 AND f.dst_port = ANY ($5)
			  AND coalesce(f.flags, 0) & 16 = 0
			  AND (f.dst_addr, f.dst_port) IN (SELECT c.d, c.p FROM cur c) AND %1$s
			GROUP BY 1, 2
			HAVING count(DISTINCT f.src_addr) >= $7
		),
		per_dst AS (
			SELECT c.s, c.p, c.d, min(c.t0) AS t0, max(c.t1) AS t1, count(*) AS flows,
				   bool_and(c.attempt) AS only_attempts,
				   NOT EXISTS (SELECT 1 FROM base b WHERE b.s = c.s AND b.p = c.p AND b.d = c.d) AS new_dst
			FROM cur c
			WHERE NOT EXISTS (SELECT 1 FROM servers v WHERE v.d = c.d AND v.p = c.p)
			GROUP BY c.s, c.p, c.d
		),
		per_src AS (
			SELECT x.s, x.p,
				   NOT EXISTS (SELECT 1 FROM base b WHERE b.s = x.s AND b.p = x.p) AS new_source,
				   count(*) FILTER (WHERE x.new_dst) AS new_dsts,
				   count(*) AS dsts,
				   (SELECT count(DISTINCT b.d) FROM base b WHERE b.s = x.s AND b.p = x.p) AS baseline_dsts,
				   count(*) FILTER (WHERE x.only_attempts) AS unanswered_dsts,
				   sum(x.flows) AS flows,
				   min(x.t0) FILTER (WHERE x.new_dst) AS t0, max(x.t1) FILTER (WHERE x.new_dst) AS t1,
				   (array_agg(host(x.d) ORDER BY x.t0) FILTER (WHERE x.new_dst))[1:20] AS sample
			FROM per_dst x
			GROUP BY x.s, x.p
		)
		SELECT 'lateral_movement'::text, y.s, NULL::inet, y.p,
			   (CASE WHEN y.new_source THEN 1 ELSE 0 END + y.new_dsts::double precision / $6),
			   y.t0, y.t1,
			   jsonb_build_object('type', CASE WHEN y.new_source THEN 'new_source' ELSE 'fan_out' END,
								  'new_destinations', y.new_dsts, 'destinations', y.dsts,
								  'baseline_destinations', y.baseline_dsts,
								  'unanswered_destinations', y.unanswered_dsts,
								  'flows', y.flows, 'fanout_threshold', $6,
								  'baseline_from', $3, 'baseline_to', $4, 'sample', y.sample)
		FROM per_src y
		WHERE y.new_dsts > 0 AND (y.new_source OR y.new_dsts >= $6)$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'),
		netflow.detect_attempt_expr())
	USING from_ts, to_ts, bl.lower, bl.upper, s.lateral_ports, s.lateral_fanout, s.lateral_server_sources;
END
$$;
COMMENT ON FUNCTION netflow.detect_lateral_movement(timestamptz, timestamptz) IS
	'Lateral movement detector over [from_ts, to_ts): internal sources using a lateral_ports port towards internal hosts without having done so in the baseline (new_source), or reaching lateral_fanout new internal destinations on it (fan_out); see docs/detections.md';

-- Exfiltration.  Per internal source and window of exfil_window (from
-- from_ts on): bytes sent to external addresses.  volume: at least
-- exfil_min_bytes and more than exfil_ratio times the largest window of
-- the same length in the baseline (hours from netflow.host_profiles when
-- exfil_window is 1 hour and they are rolled up, raw flows otherwise).
-- new_destination: at least exfil_new_dest_bytes to one external address
-- the source never sent to in the baseline.  Needs detect_min_history.
CREATE FUNCTION netflow.detect_exfiltration(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
	bl		record;
	hupto	timestamptz;
	floor_b bigint;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	bl := netflow.detect_baseline_range(from_ts, s);
	IF NOT bl.enough THEN
		RAISE NOTICE 'exfiltration skipped: less than % of history before %', s.min_history, from_ts;
		RETURN;
	END IF;
	-- Hours the host profiles hold (only usable for 1-hour windows).
	hupto := CASE WHEN s.exfil_window = interval '1 hour'
				  THEN (SELECT r.hours_upto FROM netflow.rollup_state r) END;
	hupto := least(greatest(coalesce(hupto, '-infinity'), bl.lower), bl.upper);
	floor_b := least(s.exfil_min_bytes, s.exfil_new_dest_bytes);
	RETURN QUERY EXECUTE format($q$
		WITH out_flows AS MATERIALIZED (
			SELECT date_bin($3, f.time_start, $1) AS b, f.src_addr AS s, f.dst_addr AS d,
				   f.dst_port AS p, coalesce(f.bytes, 0) AS bytes, f.time_start AS t0,
				   coalesce(f.time_end, f.time_start) AS t1
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 AND coalesce(f.flags, 0) & 16 = 0
			  AND %1$s AND NOT %2$s
		),
		win AS MATERIALIZED (
			SELECT o.b, o.s, sum(o.bytes) AS bytes, count(*) AS flows,
				   count(DISTINCT o.d) AS dsts, min(o.t0) AS t0, max(o.t1) AS t1
			FROM out_flows o GROUP BY o.b, o.s
			HAVING sum(o.bytes) >= $9
		),
		pair AS MATERIALIZED (
			SELECT o.b, o.s, o.d, sum(o.bytes) AS bytes, count(*) AS flows,
				   min(o.t0) AS t0, max(o.t1) AS t1, mode() WITHIN GROUP (ORDER BY o.p) AS p
			FROM out_flows o GROUP BY o.b, o.s, o.d
			HAVING sum(o.bytes) >= $8
		),
		srcs AS MATERIALIZED (SELECT DISTINCT w.s FROM win w UNION SELECT DISTINCT p.s FROM pair p),
		-- Baseline windows of the candidate sources: stored hours, then raw flows.
		base_win AS MATERIALIZED (
			SELECT h.addr AS s, h.hour AS b, h.bytes_sent_external AS bytes
			FROM netflow.host_profiles h
			WHERE h.hour >= $4 AND h.hour < $5 AND h.addr IN (SELECT s FROM srcs)
			UNION ALL
			SELECT f.src_addr, date_bin($3, f.time_start, $1), sum(coalesce(f.bytes, 0))
			FROM netflow.flows f
			WHERE f.time_start >= $5 AND f.time_start < $6 AND coalesce(f.flags, 0) & 16 = 0
			  AND f.src_addr IN (SELECT s FROM srcs) AND %1$s AND NOT %2$s
			GROUP BY 1, 2
		),
		base AS (
			SELECT w.s, max(w.bytes) AS max_bytes, avg(w.bytes) AS avg_bytes, count(*) AS windows
			FROM base_win w GROUP BY w.s
		),
		base_pairs AS MATERIALIZED (
			SELECT DISTINCT f.src_addr AS s, f.dst_addr AS d
			FROM netflow.flows f
			WHERE f.time_start >= $4 AND f.time_start < $6
			  AND (f.src_addr, f.dst_addr) IN (SELECT p.s, p.d FROM pair p)
		),
		vol AS (
			SELECT w.s, NULL::inet AS d, NULL::integer AS p,
				   w.bytes::double precision / ($7 * greatest(coalesce(bs.max_bytes, 0), 1)) AS score,
				   w.t0, w.t1,
				   jsonb_build_object('type', 'volume', 'bytes', w.bytes, 'flows', w.flows,
									  'destinations', w.dsts, 'window', $3::text, 'window_start', w.b,
									  'baseline_max_bytes', coalesce(bs.max_bytes, 0),
									  'baseline_avg_bytes', round(coalesce(bs.avg_bytes, 0)),
									  'baseline_windows', coalesce(bs.windows, 0),
									  'ratio', round((w.bytes::numeric / greatest(coalesce(bs.max_bytes, 0), 1)), 2),
									  'baseline_from', $4, 'baseline_to', $6) AS ev
			FROM win w LEFT JOIN base bs ON bs.s = w.s
			WHERE w.bytes >= $10 AND w.bytes > $7 * coalesce(bs.max_bytes, 0)
		),
		newdst AS (
			SELECT p.s, p.d, NULL::integer AS p,
				   p.bytes::double precision / greatest($8, 1) AS score, p.t0, p.t1,
				   jsonb_build_object('type', 'new_destination', 'bytes', p.bytes, 'flows', p.flows,
									  'port', p.p, 'window', $3::text, 'window_start', p.b,
									  'baseline_from', $4, 'baseline_to', $6) AS ev
			FROM pair p
			WHERE NOT EXISTS (SELECT 1 FROM base_pairs bp WHERE bp.s = p.s AND bp.d = p.d)
		),
		alerts AS (SELECT * FROM vol UNION ALL SELECT * FROM newdst)
		SELECT 'exfiltration'::text, a.s, a.d, a.p, max(a.score), min(a.t0), max(a.t1),
			   (array_agg(a.ev ORDER BY a.score DESC))[1] || jsonb_build_object('windows', count(*))
		FROM alerts a
		GROUP BY a.s, a.d, a.p$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'))
	USING from_ts, to_ts, s.exfil_window, bl.lower, hupto, bl.upper, s.exfil_ratio,
		  s.exfil_new_dest_bytes, floor_b, s.exfil_min_bytes;
END
$$;
COMMENT ON FUNCTION netflow.detect_exfiltration(timestamptz, timestamptz) IS
	'Exfiltration detector over [from_ts, to_ts): internal hosts uploading to external addresses more than exfil_ratio times their largest baseline window and exfil_min_bytes (volume), or exfil_new_dest_bytes to a never-seen external address (new_destination); see docs/detections.md';

-- Beaconing (RITA's beacon analysis, on flow start times).  Per internal
-- source, external destination (outside beacon_allow) and destination port,
-- within windows of beacon_window with at least beacon_min_connections
-- flows: intervals between successive starts and flow sizes (bytes) are
-- scored as RITA does -- Bowley skewness 1 - |(Q1 + Q3 - 2 Q2) / (Q3 - Q1)|
-- (0 skew unless Q1 < Q2 < Q3, as RITA),
-- dispersion 1 - MAD / 30 s (intervals) and 1 - MAD / 32 bytes (sizes),
-- clamped to [0, 1], size smallness 1 - mode / 65535 -- plus coverage, the
-- share of the hours from the pair's first connection to the end of the
-- window that saw a connection.  Pairs whose connections span less than
-- beacon_min_span are not scored.  Score: mean of the
-- interval score (skew, dispersion, coverage) and the size score (skew,
-- dispersion, smallness).  Internal-to-internal pairs are not scored.
CREATE FUNCTION netflow.detect_beaconing(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	RETURN QUERY EXECUTE format($q$
		WITH c AS MATERIALIZED (
			SELECT date_bin($3, f.time_start, $1) AS b, f.src_addr AS s, f.dst_addr AS d,
				   f.dst_port AS p, f.time_start AS t, coalesce(f.bytes, 0) AS bytes
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2 AND coalesce(f.flags, 0) & 16 = 0
			  AND f.dst_port IS NOT NULL AND %1$s AND NOT %2$s
			  AND NOT f.dst_addr <<= ANY ($6::inet[])
		),
		busy AS (
			SELECT c.b, c.s, c.d, c.p FROM c GROUP BY 1, 2, 3, 4 HAVING count(*) >= $4
		),
		iv AS (
			SELECT c.b, c.s, c.d, c.p, c.t, c.bytes,
				   extract(epoch FROM c.t - lag(c.t) OVER w) AS dt
			FROM c JOIN busy USING (b, s, d, p)
			WINDOW w AS (PARTITION BY c.b, c.s, c.d, c.p ORDER BY c.t)
		),
		q AS (
			SELECT i.b, i.s, i.d, i.p, count(*) AS n, min(i.t) AS t0, max(i.t) AS t1,
				   count(DISTINCT date_trunc('hour', i.t)) AS hours,
				   percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY i.dt) AS tq,
				   percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY i.bytes) AS bq,
				   mode() WITHIN GROUP (ORDER BY i.bytes) AS bmode,
				   sum(i.bytes) AS bytes
			FROM iv i GROUP BY 1, 2, 3, 4
		),
		dev AS (
			SELECT i.b, i.s, i.d, i.p, abs(i.dt - q.tq[2]) AS tdev, abs(i.bytes - q.bq[2]) AS bdev
			FROM iv i JOIN q USING (b, s, d, p)
		),
		mads AS (
			SELECT v.b, v.s, v.d, v.p,
				   percentile_cont(0.5) WITHIN GROUP (ORDER BY v.tdev) AS tmad,
				   percentile_cont(0.5) WITHIN GROUP (ORDER BY v.bdev) AS bmad
			FROM dev v GROUP BY 1, 2, 3, 4
		),
		m AS (
			SELECT q.*, x.tmad, x.bmad,
				   extract(epoch FROM least($2, q.b + $3) - q.t0) / 3600.0 AS win_hours
			FROM q JOIN mads x USING (b, s, d, p)
			WHERE q.t1 - q.t0 >= $7
		),
		sc AS (
			SELECT m.*,
				   1 - abs(CASE WHEN m.tq[1] < m.tq[2] AND m.tq[2] < m.tq[3]
								THEN (m.tq[1] + m.tq[3] - 2 * m.tq[2]) / (m.tq[3] - m.tq[1]) ELSE 0 END) AS t_skew,
				   greatest(0, 1 - m.tmad / 30.0) AS t_mad,
				   least(1, m.hours / greatest(ceil(m.win_hours), 1)) AS t_cov,
				   1 - abs(CASE WHEN m.bq[1] < m.bq[2] AND m.bq[2] < m.bq[3]
								THEN (m.bq[1] + m.bq[3] - 2 * m.bq[2]) / (m.bq[3] - m.bq[1]) ELSE 0 END) AS b_skew,
				   greatest(0, 1 - m.bmad / 32.0) AS b_mad,
				   greatest(0, 1 - m.bmode / 65535.0) AS b_small
			FROM m
		),
		fin AS (
			SELECT sc.*, ((sc.t_skew + sc.t_mad + sc.t_cov) / 3 + (sc.b_skew + sc.b_mad + sc.b_small) / 3) / 2 AS score
			FROM sc
		)
		SELECT 'beaconing'::text, x.s, x.d, x.p, max(x.score), min(x.t0), max(x.t1),
			   (array_agg(jsonb_build_object(
					'connections', x.n, 'interval_median', round(x.tq[2]::numeric, 1),
					'interval_mad', round(x.tmad::numeric, 1),
					'interval_skew_score', round(x.t_skew::numeric, 3),
					'interval_mad_score', round(x.t_mad::numeric, 3),
					'coverage_score', round(x.t_cov::numeric, 3), 'hours', x.hours,
					'first', x.t0, 'last', x.t1,
					'bytes_median', x.bq[2], 'bytes_mad', x.bmad, 'bytes_mode', x.bmode,
					'bytes_skew_score', round(x.b_skew::numeric, 3),
					'bytes_mad_score', round(x.b_mad::numeric, 3),
					'bytes_smallness_score', round(x.b_small::numeric, 3),
					'bytes', x.bytes, 'window', $3::text, 'window_start', x.b,
					'threshold', $5) ORDER BY x.score DESC))[1]
				|| jsonb_build_object('windows', count(*))
		FROM fin x
		WHERE x.score >= $5
		GROUP BY x.s, x.d, x.p$q$,
		netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr'))
	USING from_ts, to_ts, s.beacon_window, s.beacon_min_connections, s.beacon_score, s.beacon_allow,
		  s.beacon_min_span;
END
$$;
COMMENT ON FUNCTION netflow.detect_beaconing(timestamptz, timestamptz) IS
	'Beaconing detector over [from_ts, to_ts): internal-to-external (source, destination, port) with beacon_min_connections starts spanning beacon_min_span in a beacon_window whose intervals and sizes are regular, scored as RITA does (skew, MAD, smallness) plus hourly coverage; see docs/detections.md';

-- Volume anomalies.  Per exporter and minute: flows, bytes (without the
-- minute's largest flow, so that one big transfer -- exfiltration's
-- business -- is not a volume anomaly) and the entropy
-- (bits) of source address, destination address and destination port,
-- against the minutes of the same hour of day in the baseline (robust z:
-- (x - median) / (1.4826 MAD), the MAD floored at 5 % of the median for
-- counts and 0.05 bit for entropies).  A minute (with volume_min_flows
-- flows) is anomalous when flows or bytes have z >= volume_z and are
-- volume_ratio times the median, or an entropy moves by volume_z and
-- volume_entropy_bits.  The alert names the most affected address: the top
-- destination (by flows) when destinations concentrate or sources spread
-- (flood), else the top source (by distinct destination ports when their
-- entropy moved, by bytes when bytes but not flows are anomalous, by flows
-- otherwise: scan, worm, noisy host).
CREATE FUNCTION netflow.detect_volume_anomaly(from_ts timestamptz, to_ts timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	s		record := netflow.detect_settings();
	bl		record;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	bl := netflow.detect_baseline_range(from_ts, s);
	IF NOT bl.enough THEN
		RAISE NOTICE 'volume_anomaly skipped: less than % of history before %', s.min_history, from_ts;
		RETURN;
	END IF;
	RETURN QUERY
	WITH mins AS MATERIALIZED (
		SELECT coalesce(f.exporter, '0.0.0.0'::inet) AS e, date_trunc('minute', f.time_start) AS mi,
			   f.time_start >= from_ts AS cur,
			   count(*)::double precision AS flows,
			   (sum(coalesce(f.bytes, 0)) - max(coalesce(f.bytes, 0)))::double precision AS bytes,
			   netflow.entropy(f.src_addr) AS h_src, netflow.entropy(f.dst_addr) AS h_dst,
			   netflow.entropy(f.dst_port) AS h_port
		FROM netflow.flows f
		WHERE f.time_start >= bl.lower AND f.time_start < to_ts
		GROUP BY 1, 2, 3
	),
	metric AS MATERIALIZED (
		SELECT m.e, m.mi, extract(hour FROM m.mi)::integer AS hr, m.cur, x.name, x.v
		FROM mins m,
			 LATERAL (VALUES ('flows', m.flows), ('bytes', m.bytes), ('src_addr_entropy', m.h_src),
							 ('dst_addr_entropy', m.h_dst), ('dst_port_entropy', m.h_port)) AS x(name, v)
	),
	med AS (
		SELECT m.e, m.hr, m.name,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY m.v) AS median, count(*) AS n
		FROM metric m WHERE NOT m.cur
		GROUP BY 1, 2, 3
	),
	mad AS (
		SELECT d.e, d.hr, d.name, d.median, d.n,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(m.v - d.median)) AS mad
		FROM med d
		JOIN metric m ON NOT m.cur AND m.e = d.e AND m.hr = d.hr AND m.name = d.name
		GROUP BY d.e, d.hr, d.name, d.median, d.n
	),
	z AS (
		SELECT m.e, m.mi, m.name, m.v, d.median, d.mad, d.n,
			   (m.v - d.median) / greatest(1.4826 * d.mad,
										   CASE WHEN m.name IN ('flows', 'bytes') THEN greatest(0.05 * d.median, 1)
												ELSE 0.05 END) AS z
		FROM metric m
		JOIN mad d ON d.e = m.e AND d.hr = m.hr AND d.name = m.name
		WHERE m.cur
	),
	flagged AS (
		SELECT z.e, z.mi,
			   max(CASE WHEN z.name IN ('flows', 'bytes') THEN z.z ELSE abs(z.z) END) AS zmax,
			   jsonb_object_agg(z.name, jsonb_build_object('value', round(z.v::numeric, 3),
														   'median', round(z.median::numeric, 3),
														   'mad', round(z.mad::numeric, 3),
														   'z', round(z.z::numeric, 2))) AS metrics,
			   bool_or(z.name = 'dst_addr_entropy' AND z.z <= -s.volume_z
					   AND z.median - z.v >= s.volume_entropy_bits
					   OR z.name = 'src_addr_entropy' AND z.z >= s.volume_z
					   AND z.v - z.median >= s.volume_entropy_bits) AS flood,
			   array_agg(z.name ORDER BY z.name) FILTER (WHERE
					z.name IN ('flows', 'bytes') AND z.z >= s.volume_z AND z.v >= s.volume_ratio * z.median
					OR z.name NOT IN ('flows', 'bytes') AND abs(z.z) >= s.volume_z
					   AND abs(z.v - z.median) >= s.volume_entropy_bits) AS why,
			   min(z.n) AS baseline_minutes
		FROM z
		GROUP BY z.e, z.mi
		HAVING max(z.v) FILTER (WHERE z.name = 'flows') >= s.volume_min_flows
	),
	hit AS MATERIALIZED (
		SELECT fl.* FROM flagged fl WHERE fl.why IS NOT NULL
	),
	-- The most affected address, from the minute's flows: the destination
	-- with most flows for a flood; else the source with most distinct
	-- destination ports when their entropy moved, the source with most
	-- bytes when bytes but not flows are anomalous, the source with most
	-- flows otherwise.
	named AS (
		SELECT h.e, h.mi, h.zmax, h.metrics, h.why, h.baseline_minutes, h.flood,
			   CASE WHEN h.flood THEN NULL ELSE
				   (SELECT f.src_addr FROM netflow.flows f
					WHERE f.time_start >= h.mi AND f.time_start < h.mi + interval '1 minute'
					  AND coalesce(f.exporter, '0.0.0.0'::inet) = h.e
					GROUP BY f.src_addr
					ORDER BY CASE WHEN 'dst_port_entropy' = ANY (h.why) THEN count(DISTINCT f.dst_port)::numeric
								  WHEN NOT 'flows' = ANY (h.why) AND 'bytes' = ANY (h.why) THEN sum(coalesce(f.bytes, 0))
								  ELSE count(*)::numeric END DESC,
							 f.src_addr
					LIMIT 1) END AS src,
			   CASE WHEN h.flood THEN
				   (SELECT f.dst_addr FROM netflow.flows f
					WHERE f.time_start >= h.mi AND f.time_start < h.mi + interval '1 minute'
					  AND coalesce(f.exporter, '0.0.0.0'::inet) = h.e
					GROUP BY f.dst_addr ORDER BY count(*) DESC, f.dst_addr LIMIT 1) END AS dst
		FROM hit h
	)
	SELECT 'volume_anomaly'::text, n.src, n.dst, NULL::integer, max(n.zmax) / s.volume_z,
		   min(n.mi), max(n.mi) + interval '1 minute',
		   (array_agg(jsonb_build_object('exporter', nullif(host(n.e), '0.0.0.0'), 'minute', n.mi,
										 'type', CASE WHEN n.flood THEN 'flood' ELSE 'noisy_source' END,
										 'anomalous', to_jsonb(n.why), 'metrics', n.metrics,
										 'baseline_minutes', n.baseline_minutes,
										 'baseline_from', bl.lower, 'baseline_to', bl.upper)
					  ORDER BY n.zmax DESC))[1]
			|| jsonb_build_object('minutes', count(*),
								  'exporters', to_jsonb(array_agg(DISTINCT nullif(host(n.e), '0.0.0.0'))))
	FROM named n
	GROUP BY n.src, n.dst;
END
$$;
COMMENT ON FUNCTION netflow.detect_volume_anomaly(timestamptz, timestamptz) IS
	'Volume anomaly detector over [from_ts, to_ts): per exporter and minute, flows, bytes and address/port entropies against the same hour of day in the baseline (robust z-score); names the flooded destination or the noisiest source; see docs/detections.md';

------------------------------------------------------------------------
-- Hunting over history
------------------------------------------------------------------------

-- Every detector (or those named in kinds) over [from_ts, to_ts), storing
-- nothing.
CREATE FUNCTION netflow.detect(from_ts timestamptz, to_ts timestamptz, kinds text[] DEFAULT NULL)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql STABLE PARALLEL UNSAFE ROWS 20
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	all_kinds text[] := ARRAY['scan', 'lateral_movement', 'exfiltration', 'beaconing', 'volume_anomaly'];
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	PERFORM netflow.detect_settings();
	IF kinds IS NOT NULL THEN
		FOREACH k IN ARRAY kinds LOOP
			IF k IS NULL OR NOT k = ANY (all_kinds) THEN
				RAISE EXCEPTION 'unknown detection kind: "%"', k
					USING ERRCODE = 'invalid_parameter_value',
						  DETAIL = 'The kinds are scan, lateral_movement, exfiltration, beaconing and volume_anomaly.';
			END IF;
		END LOOP;
	END IF;
	FOREACH k IN ARRAY all_kinds LOOP
		IF kinds IS NULL OR k = ANY (kinds) THEN
			RETURN QUERY EXECUTE format('SELECT * FROM netflow.%I($1, $2) ORDER BY 5 DESC, 2, 3, 4',
										'detect_' || k)
				USING from_ts, to_ts;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.detect(timestamptz, timestamptz, text[]) IS
	'Run the detectors (all, or those named: scan, lateral_movement, exfiltration, beaconing, volume_anomaly) over [from_ts, to_ts) with the current settings, storing nothing: one row per entity with score, first/last seen and the evidence; see docs/detections.md';

------------------------------------------------------------------------
-- Alerts
------------------------------------------------------------------------

CREATE TABLE netflow.alerts (
	id			bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind		text NOT NULL,
	src_addr	inet,
	dst_addr	inet,
	dst_port	integer,
	score		double precision NOT NULL,
	first_seen	timestamptz NOT NULL,
	last_seen	timestamptz NOT NULL,
	evidence	jsonb NOT NULL,
	state		text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'closed')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updates		integer NOT NULL DEFAULT 0
);
COMMENT ON TABLE netflow.alerts IS
	'Detections written by maintenance: one alert per kind and entity (src_addr, dst_addr, dst_port) while not closed, updated while the behaviour goes on; NOTIFY netflow_alert with the id of each new one; kept by pg_dump';
COMMENT ON COLUMN netflow.alerts.id IS 'Alert number (the payload of NOTIFY netflow_alert)';
COMMENT ON COLUMN netflow.alerts.kind IS 'scan, lateral_movement, exfiltration, beaconing or volume_anomaly';
COMMENT ON COLUMN netflow.alerts.src_addr IS 'Source of the behaviour (scanner, mover, uploader, beaconing host, noisy source); NULL when not part of the entity';
COMMENT ON COLUMN netflow.alerts.dst_addr IS 'Destination part of the entity (vertical scan target, new exfiltration destination, beacon server, flooded address); NULL when not part of it';
COMMENT ON COLUMN netflow.alerts.dst_port IS 'Port part of the entity (horizontal scan, lateral movement, beacon); NULL when not part of it';
COMMENT ON COLUMN netflow.alerts.score IS 'Highest score seen (1 = at the threshold; beaconing: 0 - 1)';
COMMENT ON COLUMN netflow.alerts.first_seen IS 'Earliest flow time of the behaviour';
COMMENT ON COLUMN netflow.alerts.last_seen IS 'Latest flow time of the behaviour so far';
COMMENT ON COLUMN netflow.alerts.evidence IS 'The numbers behind the latest score (see docs/detections.md)';
COMMENT ON COLUMN netflow.alerts.state IS 'open, acknowledged or closed; set by an analyst (netflow_analyst); a closed alert is not updated, the behaviour going on opens a new one';
COMMENT ON COLUMN netflow.alerts.created_at IS 'When maintenance opened the alert';
COMMENT ON COLUMN netflow.alerts.updated_at IS 'When maintenance last updated it';
COMMENT ON COLUMN netflow.alerts.updates IS 'Maintenance runs that found the behaviour again';
CREATE UNIQUE INDEX alerts_entity_live ON netflow.alerts (kind, src_addr, dst_addr, dst_port)
	NULLS NOT DISTINCT WHERE state <> 'closed';
COMMENT ON INDEX netflow.alerts_entity_live IS 'At most one alert not closed per kind and entity';
CREATE INDEX alerts_last_seen ON netflow.alerts (last_seen);
COMMENT ON INDEX netflow.alerts_last_seen IS 'Recent alerts first';
SELECT pg_catalog.pg_extension_config_dump('netflow.alerts', '');
COMMENT ON SEQUENCE netflow.alerts_id_seq IS 'Numbers of netflow.alerts';
SELECT pg_catalog.pg_extension_config_dump('netflow.alerts_id_seq', '');

-- Where maintenance's detection stands.
CREATE TABLE netflow.detect_state (
	singleton	boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	fast_upto	timestamptz,
	slow_upto	timestamptz,
	runs		bigint NOT NULL DEFAULT 0,
	alerts_opened bigint NOT NULL DEFAULT 0,
	alerts_updated bigint NOT NULL DEFAULT 0,
	last_run	timestamptz,
	last_skip	text
);
COMMENT ON TABLE netflow.detect_state IS
	'Progress of the detection step of maintenance (one row): ranges done, counters, the last detector skipped and why';
COMMENT ON COLUMN netflow.detect_state.singleton IS 'Always true: the table has at most one row';
COMMENT ON COLUMN netflow.detect_state.fast_upto IS 'End of the range of the last scan detection';
COMMENT ON COLUMN netflow.detect_state.slow_upto IS 'End of the range of the last run of the baseline detectors and beaconing';
COMMENT ON COLUMN netflow.detect_state.runs IS 'Maintenance runs that ran detection';
COMMENT ON COLUMN netflow.detect_state.alerts_opened IS 'Alerts opened so far';
COMMENT ON COLUMN netflow.detect_state.alerts_updated IS 'Updates of open alerts so far';
COMMENT ON COLUMN netflow.detect_state.last_run IS 'The now of the last run';
COMMENT ON COLUMN netflow.detect_state.last_skip IS 'Why detectors were last skipped or failed (NULL when the last run ran them all)';
SELECT pg_catalog.pg_extension_config_dump('netflow.detect_state', '');

-- Write detections into netflow.alerts: insert a new alert per entity
-- without a live one (NOTIFY netflow_alert, payload the id), update the
-- live one otherwise.  Returns the number of new alerts.
CREATE FUNCTION netflow.alerts_upsert(d jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		record;
	n_new	integer := 0;
	n_upd	integer := 0;
BEGIN
	FOR r IN
		INSERT INTO netflow.alerts AS a (kind, src_addr, dst_addr, dst_port, score, first_seen,
										 last_seen, evidence)
		SELECT x.kind, x.src_addr, x.dst_addr, x.dst_port, x.score, x.first_seen, x.last_seen,
			   x.evidence
		FROM jsonb_to_recordset(d) AS x(kind text, src_addr inet, dst_addr inet, dst_port integer,
										score double precision, first_seen timestamptz,
										last_seen timestamptz, evidence jsonb)
		ON CONFLICT (kind, src_addr, dst_addr, dst_port) WHERE state <> 'closed'
		DO UPDATE SET score = greatest(a.score, excluded.score),
					  first_seen = least(a.first_seen, excluded.first_seen),
					  last_seen = greatest(a.last_seen, excluded.last_seen),
					  evidence = excluded.evidence,
					  updated_at = now(),
					  updates = a.updates + 1
		RETURNING a.id, a.updates = 0 AS fresh
	LOOP
		IF r.fresh THEN
			PERFORM pg_notify('netflow_alert', r.id::text);
			n_new := n_new + 1;
		ELSE
			n_upd := n_upd + 1;
		END IF;
	END LOOP;
	UPDATE netflow.detect_state
	SET alerts_opened = alerts_opened + n_new, alerts_updated = alerts_updated + n_upd;
	RETURN n_new;
END
$$;
COMMENT ON FUNCTION netflow.alerts_upsert(jsonb) IS
	'Write detections (a JSON array of netflow.detect rows) into netflow.alerts, opening (with NOTIFY netflow_alert) or updating one live alert per kind and entity; returns the number opened (internal, maintenance only)';
REVOKE ALL ON FUNCTION netflow.alerts_upsert(jsonb) FROM PUBLIC;

-- The detection step of maintenance (scheduled: called by run_maintenance,
-- which it skips when detect_alerts is off; by hand it always runs, for
-- installations that schedule it apart): scans every run over the last
-- scan_window; the baseline detectors (lateral_movement, exfiltration,
-- volume_anomaly) and beaconing once detect_slow_every has passed since
-- their last run, over the time since (at least exfil_window for
-- exfiltration, beacon_window for beaconing).  The baseline detectors are
-- skipped (logged in detect_state.last_skip) when the raw partitions they
-- read hold more than detect_max_baseline_rows estimated rows.  Each
-- detector runs in its own subtransaction: one failing does not stop the
-- others.  Their notices (detector skipped for want of history) are not
-- sent to the client; skips and failures are in detect_state.last_skip,
-- and the time each detector took in the server log (LOG).  Returns the
-- number of alerts opened.
CREATE FUNCTION netflow.detect_maintenance(now timestamptz, scheduled boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
	s		record := netflow.detect_settings();
	st		record;
	k		text;
	f		timestamptz;
	d		jsonb;
	n		integer := 0;
	skips	text[] := '{}';
	slow	boolean;
	est		double precision;
	t0		timestamptz;
	took	text[] := '{}';
BEGIN
	IF scheduled AND NOT s.alerts THEN
		RETURN 0;
	END IF;
	INSERT INTO netflow.detect_state (singleton) VALUES (true) ON CONFLICT DO NOTHING;
	SELECT * INTO st FROM netflow.detect_state FOR UPDATE;
	slow := st.slow_upto IS NULL OR now >= st.slow_upto + s.slow_every;
	IF slow THEN
		SELECT sum(greatest(c.reltuples, 0)) INTO est
		FROM netflow.flows_partitions() p JOIN pg_class c ON c.oid = p.partition
		WHERE p.upper > now - s.baseline - s.beacon_window AND p.lower < now;
	END IF;
	FOREACH k IN ARRAY ARRAY['scan', 'lateral_movement', 'exfiltration', 'beaconing', 'volume_anomaly'] LOOP
		IF k <> 'scan' AND NOT slow THEN
			CONTINUE;
		END IF;
		IF k IN ('lateral_movement', 'exfiltration', 'volume_anomaly') AND s.max_baseline_rows > 0
		   AND est > s.max_baseline_rows THEN
			skips := skips || format('%s skipped: the baseline holds about %s rows, more than detect_max_baseline_rows (%s); run netflow.detect by hand',
									 k, est::bigint, s.max_baseline_rows);
			CONTINUE;
		END IF;
		f := CASE k WHEN 'scan' THEN now - s.scan_window
					WHEN 'exfiltration' THEN least(coalesce(st.slow_upto, now - s.exfil_window), now - s.exfil_window)
					WHEN 'beaconing' THEN now - s.beacon_window
					ELSE coalesce(st.slow_upto, now - s.slow_every) END;
		t0 := clock_timestamp();
		BEGIN
			EXECUTE format('SELECT jsonb_agg(to_jsonb(x)) FROM netflow.%I($1, $2) x', 'detect_' || k)
				INTO d USING f, now;
			IF d IS NOT NULL THEN
				n := n + netflow.alerts_upsert(d);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			skips := skips || format('%s failed: %s', k, SQLERRM);
			RAISE WARNING 'netflow detection: % failed: %', k, SQLERRM;
		END;
		took := took || format('%s %s ms', k,
							   round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000));
	END LOOP;
	UPDATE netflow.detect_state
	SET fast_upto = now,
		slow_upto = CASE WHEN slow THEN now ELSE slow_upto END,
		runs = runs + 1,
		last_run = now,
		last_skip = nullif(array_to_string(skips, '; '), '');
	RAISE LOG 'netflow detection: % alerts opened; %', n, array_to_string(took, ', ');
	IF cardinality(skips) > 0 THEN
		RAISE LOG 'netflow detection: %', array_to_string(skips, '; ');
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.detect_maintenance(timestamptz, boolean) IS
	'Detection step of run_maintenance (scheduled = true: skipped when detect_alerts is off) or of a schedule of its own (by hand): scans over the last scan_window every run, the baseline detectors and beaconing every detect_slow_every; writes netflow.alerts; returns the number of alerts opened (maintenance only)';
REVOKE ALL ON FUNCTION netflow.detect_maintenance(timestamptz, boolean) FROM PUBLIC;

------------------------------------------------------------------------
-- Privileges
------------------------------------------------------------------------

GRANT USAGE ON SCHEMA netflow TO netflow_analyst;
GRANT SELECT ON netflow.alerts, netflow.detect_state TO netflow_reader, netflow_analyst;
GRANT UPDATE (state) ON netflow.alerts TO netflow_analyst;
GRANT EXECUTE ON FUNCTION netflow.detect(timestamptz, timestamptz, text[]),
	netflow.detect_scan(timestamptz, timestamptz),
	netflow.detect_lateral_movement(timestamptz, timestamptz),
	netflow.detect_exfiltration(timestamptz, timestamptz),
	netflow.detect_beaconing(timestamptz, timestamptz),
	netflow.detect_volume_anomaly(timestamptz, timestamptz),
	netflow.detect_settings(), netflow.detect_history_start(),
	netflow.detect_baseline_range(timestamptz, record), netflow.detect_attempt_expr()
	TO netflow_reader;

-- run_maintenance(timestamptz) as the last section left it: its comment
COMMENT ON FUNCTION netflow.run_maintenance(timestamptz) IS
	'One maintenance run as of the given time (tests, "what would happen on Friday"; owner of netflow.flows only): create the premake partitions ahead (a partition that cannot be made is an error), purge/move the flows of netflow.flows_future and netflow.flows_past, forget the saved state of exporters silent past forget_exporters_after, bring the rollups up to date, run the detections (netflow.alerts), drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';

-- SECURITY DEFINER functions are never executable by PUBLIC: the two
-- helpers of the rollups and detections are granted to readers only.
REVOKE ALL ON FUNCTION netflow.rollup_topn_capacity() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.detect_history_start() FROM PUBLIC;
REVOKE ALL ON FUNCTION netflow.detect_settings() FROM PUBLIC;

------------------------------------------------------------------------
-- compressed partitions (issue 11): the access method netflow_compressed,
-- the batch table, compress_partition / decompress_partition, the
-- compress_after setting and its maintenance step (in run_maintenance's
-- final body above), the columns of netflow.partitions, and the rollups'
-- time_received index (in rollup_index_partitions above) left out of
-- compressed partitions.  Same text as sql/parts/45_compression.sql.
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('compress_after', '2 days',
	 'Partitions whose whole range is older than now minus this interval are compressed by maintenance, oldest first, one per run; 0 never compresses');

CREATE FUNCTION netflow.compressed_tam_handler(internal)
RETURNS table_am_handler
AS 'MODULE_PATHNAME', 'compressed_tam_handler'
LANGUAGE C STABLE PARALLEL SAFE STRICT;
COMMENT ON FUNCTION netflow.compressed_tam_handler(internal) IS
	'Handler of the table access method netflow_compressed (internal)';

CREATE ACCESS METHOD netflow_compressed TYPE TABLE HANDLER netflow.compressed_tam_handler;
COMMENT ON ACCESS METHOD netflow_compressed IS
	'Compressed netflow.flows partitions: column batches in netflow.compressed_batches plus a heap tail for rows inserted later (made by netflow.compress_partition)';

-- One row per batch of up to 10,000 rows of a compressed partition, keyed
-- by the partition's OID and its relfilenode: TRUNCATE (a new relfilenode)
-- hides the batches at once and a rolled back TRUNCATE shows them again;
-- maintenance deletes the batches of relfilenodes no longer in use.  Not
-- dumped: pg_dump writes the rows of a compressed partition through its
-- scan, and the restore puts them in its tail.
CREATE TABLE netflow.compressed_batches (
	relid		oid NOT NULL,
	relfilenode oid NOT NULL,
	batch_no	integer NOT NULL,
	row_count	integer NOT NULL CHECK (row_count > 0),
	min_time	timestamptz,
	max_time	timestamptz,
	min_time_end timestamptz,
	max_time_end timestamptz,
	min_time_received timestamptz,
	max_time_received timestamptz,
	data		bytea NOT NULL,
	addr_filter bytea,
	PRIMARY KEY (relid, relfilenode, batch_no)
);
-- zstd compressed already: stored out of line as is, not pglz-compressed
-- again; the address filter (random bits) not pglz-compressed either, and
-- out of line whenever the row would pass TOAST's threshold (about 2 kB):
-- filters of batches with fewer distinct addresses stay in the row.
ALTER TABLE netflow.compressed_batches ALTER COLUMN data SET STORAGE EXTERNAL;
ALTER TABLE netflow.compressed_batches ALTER COLUMN addr_filter SET STORAGE EXTERNAL;
COMMENT ON TABLE netflow.compressed_batches IS
	'Compressed column batches of the netflow_compressed partitions of netflow.flows (internal; format in docs/formats.md; not dumped)';
COMMENT ON COLUMN netflow.compressed_batches.relid IS 'OID of the partition';
COMMENT ON COLUMN netflow.compressed_batches.relfilenode IS 'pg_class.relfilenode of the partition when the batch was written: batches of another relfilenode are not read';
COMMENT ON COLUMN netflow.compressed_batches.batch_no IS 'Order of the batch in the partition, from 0';
COMMENT ON COLUMN netflow.compressed_batches.row_count IS 'Rows in the batch';
COMMENT ON COLUMN netflow.compressed_batches.min_time IS 'Smallest time_start in the batch (NULL: none); scans skip the batch when a filter on time_start excludes [min_time, max_time]';
COMMENT ON COLUMN netflow.compressed_batches.max_time IS 'Largest time_start in the batch';
COMMENT ON COLUMN netflow.compressed_batches.min_time_end IS 'Smallest time_end in the batch (NULL: none); scans skip the batch when a filter on time_end excludes [min_time_end, max_time_end]';
COMMENT ON COLUMN netflow.compressed_batches.max_time_end IS 'Largest time_end in the batch (NULL: none)';
COMMENT ON COLUMN netflow.compressed_batches.min_time_received IS 'Smallest time_received in the batch (NULL: none); scans skip the batch when a filter on time_received (the rollups'' late flows) excludes [min_time_received, max_time_received]';
COMMENT ON COLUMN netflow.compressed_batches.max_time_received IS 'Largest time_received in the batch (NULL: none)';
COMMENT ON COLUMN netflow.compressed_batches.data IS 'The batch: every column encoded and compressed on its own (batch format version 2, docs/formats.md)';
COMMENT ON COLUMN netflow.compressed_batches.addr_filter IS 'Bloom filter of the distinct src_addr and dst_addr values of the batch (address filter format version 1, docs/formats.md; NULL: none): scans looking for one address pass over the batches where it is surely absent';
COMMENT ON INDEX netflow.compressed_batches_pkey IS 'Reads the batches of one partition in order';

CREATE FUNCTION netflow.compressed_build(partition regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'compressed_build'
LANGUAGE C VOLATILE PARALLEL UNSAFE STRICT;
COMMENT ON FUNCTION netflow.compressed_build(regclass) IS
	'Move the heap rows of a table visible to the statement into new compressed batches, sorted by hour of time_start, exporter, time_start; returns the rows moved (internal: netflow.compress_partition)';
REVOKE ALL ON FUNCTION netflow.compressed_build(regclass) FROM PUBLIC;

CREATE FUNCTION netflow.compressed_unbuild(partition regclass)
RETURNS bigint
AS 'MODULE_PATHNAME', 'compressed_unbuild'
LANGUAGE C VOLATILE PARALLEL UNSAFE STRICT;
COMMENT ON FUNCTION netflow.compressed_unbuild(regclass) IS
	'Move the rows of every compressed batch of a table into its heap and delete the batches; returns the rows moved (internal: netflow.decompress_partition)';
REVOKE ALL ON FUNCTION netflow.compressed_unbuild(regclass) FROM PUBLIC;

CREATE FUNCTION netflow.compressed_set_am(partition regclass, compressed boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'compressed_set_am'
LANGUAGE C VOLATILE PARALLEL UNSAFE STRICT;
COMMENT ON FUNCTION netflow.compressed_set_am(regclass, boolean) IS
	'Switch a table locked in ACCESS EXCLUSIVE mode between the access methods heap and netflow_compressed without rewriting it (internal)';
REVOKE ALL ON FUNCTION netflow.compressed_set_am(regclass, boolean) FROM PUBLIC;

-- Lock a partition in ACCESS EXCLUSIVE mode waiting at most lock_timeout
-- per attempt, 3 attempts; raises lock_not_available when not obtained.
CREATE FUNCTION netflow.lock_partition_briefly(partition regclass, lock_timeout text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_timeout text := current_setting('lock_timeout');
BEGIN
	FOR attempt IN 1 .. 3 LOOP
		BEGIN
			PERFORM set_config('lock_timeout', lock_timeout, true);
			EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', partition);
			PERFORM set_config('lock_timeout', old_timeout, true);
			RETURN;
		EXCEPTION WHEN lock_not_available THEN
			RAISE LOG 'netflow: lock on % not available (attempt % of 3)', partition, attempt;
			IF attempt < 3 THEN
				PERFORM pg_sleep(0.1 * attempt);
			END IF;
		END;
	END LOOP;
	PERFORM set_config('lock_timeout', old_timeout, true);
	RAISE EXCEPTION 'partition % is busy', partition
		USING ERRCODE = 'lock_not_available',
			  DETAIL = format('ACCESS EXCLUSIVE lock not obtained within %s, 3 attempts.', lock_timeout),
			  HINT = 'Retry later; nothing was changed.';
END
$$;
COMMENT ON FUNCTION netflow.lock_partition_briefly(regclass, text) IS
	'Lock a partition in ACCESS EXCLUSIVE mode waiting at most lock_timeout per attempt (3 attempts); raises lock_not_available otherwise (internal)';
REVOKE ALL ON FUNCTION netflow.lock_partition_briefly(regclass, text) FROM PUBLIC;

-- Is a relation a Citus table (distributed, reference or Citus local)?
-- false without Citus.
CREATE FUNCTION netflow.citus_table(rel regclass)
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	found	boolean;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition d WHERE d.logicalrelid = $1)'
		INTO found USING rel;
	RETURN found;
END
$$;
COMMENT ON FUNCTION netflow.citus_table(regclass) IS
	'Whether a relation is a Citus table (in pg_dist_partition); false without Citus (internal)';

-- Compress one partition in place, in one transaction: its heap rows go to
-- batches (readers and inserts go on meanwhile; rows inserted meanwhile
-- stay in the heap tail), then, under a brief ACCESS EXCLUSIVE lock, its
-- indexes are dropped and its access method becomes netflow_compressed.
-- On a compressed partition, moves the rows of its tail into new batches.
CREATE FUNCTION netflow.compress_partition(partition regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	am		oid := (SELECT a.oid FROM pg_am a WHERE a.amname = 'netflow_compressed');
	n		bigint;
	i		record;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
				   WHERE p.partition = compress_partition.partition) THEN
		RAISE EXCEPTION '"%" is not a partition of netflow.flows', partition
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (SELECT c.relkind FROM pg_class c WHERE c.oid = partition) <> 'r' THEN
		RAISE EXCEPTION 'partition "%" is not a plain table', partition
			USING ERRCODE = 'wrong_object_type',
				  DETAIL = 'Only heap partitions can be compressed.';
	END IF;
	-- On Citus the rows live in the shards, not in this node's partition.
	IF netflow.citus_table(partition) THEN
		RAISE EXCEPTION 'partition "%" is a Citus distributed table', partition
			USING ERRCODE = 'feature_not_supported',
				  DETAIL = 'Its rows are in the shards on the worker nodes; compressed partitions work on a single node only.',
				  HINT = 'See docs/scale-out.md: Citus columnar (alter_table_set_access_method) compresses distributed partitions.';
	END IF;
	-- Readers and writers go on; another conversion, VACUUM and DDL wait.
	EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', partition);
	-- Column statistics from the rows while they are a heap, where sampling
	-- costs least (ANALYZE of a compressed partition decodes the batches
	-- holding the rows it samples; docs/operations.md).
	IF (SELECT c.relam FROM pg_class c WHERE c.oid = partition) <> am THEN
		EXECUTE format('ANALYZE %s', partition);
	END IF;
	n := netflow.compressed_build(partition);
	IF (SELECT c.relam FROM pg_class c WHERE c.oid = partition) <> am THEN
		PERFORM netflow.lock_partition_briefly(partition,
											   (netflow.maintenance_settings()).lock_timeout);
		FOR i IN SELECT x.indexrelid::regclass AS idx FROM pg_index x
				 WHERE x.indrelid = partition LOOP
			EXECUTE format('DROP INDEX %s', i.idx);
		END LOOP;
		PERFORM netflow.compressed_set_am(partition, true);
	END IF;
	RAISE LOG 'netflow: compressed % (% rows moved to batches)', partition, n;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.compress_partition(regclass) IS
	'Compress a partition of netflow.flows in place (rows in column batches, access method netflow_compressed, its indexes dropped), or move the tail of a compressed one into new batches; readers and inserts wait only for a brief ACCESS EXCLUSIVE lock at the end (netflow.maintenance_lock_timeout, 3 attempts); returns the rows moved into batches; owner of the partition only';
REVOKE ALL ON FUNCTION netflow.compress_partition(regclass) FROM PUBLIC;

-- Turn a compressed partition back into a heap partition with its BRIN
-- index on time_start, in one transaction.
CREATE FUNCTION netflow.decompress_partition(partition regclass)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	am		oid := (SELECT a.oid FROM pg_am a WHERE a.amname = 'netflow_compressed');
	n		bigint;
	iname	text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() p
				   WHERE p.partition = decompress_partition.partition) THEN
		RAISE EXCEPTION '"%" is not a partition of netflow.flows', partition
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF (SELECT c.relam FROM pg_class c WHERE c.oid = partition) IS DISTINCT FROM am THEN
		RAISE NOTICE 'partition % is not compressed', partition;
		RETURN 0;
	END IF;
	EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', partition);
	n := netflow.compressed_unbuild(partition);
	PERFORM netflow.lock_partition_briefly(partition,
										   (netflow.maintenance_settings()).lock_timeout);
	PERFORM netflow.compressed_set_am(partition, false);
	iname := (SELECT c.relname FROM pg_class c WHERE c.oid = partition) || '_time_start_brin';
	IF to_regclass(format('netflow.%I', iname)) IS NULL THEN
		EXECUTE format('CREATE INDEX %I ON %s USING brin (time_start) WITH (autosummarize = on)',
					   iname, partition);
	ELSE
		EXECUTE format('CREATE INDEX ON %s USING brin (time_start) WITH (autosummarize = on)',
					   partition);
	END IF;
	RAISE LOG 'netflow: decompressed % (% rows moved from batches)', partition, n;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.decompress_partition(regclass) IS
	'Turn a compressed partition of netflow.flows back into a heap partition with its BRIN index on time_start, in place; holds ACCESS EXCLUSIVE on it while the index is built; returns the rows moved out of batches; owner of the partition only';
REVOKE ALL ON FUNCTION netflow.decompress_partition(regclass) FROM PUBLIC;

-- Heap partitions with rows whose whole range is older than now - compress_after,
-- oldest first; none when compress_after is 0.  Never the newest
-- partition, nor one that retention drops.
CREATE FUNCTION netflow.compression_candidates(now timestamptz DEFAULT now())
RETURNS TABLE (partition regclass, lower timestamptz, upper timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v		text := netflow.config_get('compress_after');
	after	interval;
	found_rows boolean;
BEGIN
	BEGIN
		after := v::interval;
	EXCEPTION WHEN data_exception THEN
		after := NULL;
	END;
	IF after IS NULL OR after < interval '0' THEN
		RAISE EXCEPTION 'invalid value for netflow setting "compress_after": "%"', v
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The value must be an interval of 0 or more (0 never compresses).';
	END IF;
	-- nothing on a Citus distributed netflow.flows (compress_partition
	-- refuses its partitions)
	IF after = interval '0' OR netflow.citus_table('netflow.flows') THEN
		RETURN;
	END IF;
	FOR partition, lower, upper IN
		WITH p AS (SELECT * FROM netflow.flows_partitions())
		SELECT p.partition, p.lower, p.upper
		FROM p
		JOIN pg_class c ON c.oid = p.partition
		WHERE c.relkind = 'r' AND c.relam = (SELECT a.oid FROM pg_am a WHERE a.amname = 'heap')
		  AND p.upper <= now - after
		  AND p.upper < (SELECT max(q.upper) FROM p q)
		  AND p.partition NOT IN (SELECT r.partition
								  FROM netflow.retention_candidates((netflow.maintenance_settings()).retention, now) r)
		ORDER BY p.lower
	LOOP
		-- an empty partition has nothing to compress
		EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', partition) INTO found_rows;
		IF found_rows THEN
			RETURN NEXT;
		END IF;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.compression_candidates(timestamptz) IS
	'Heap partitions of netflow.flows holding rows and wholly older than now - compress_after (never the newest, nor one retention drops), oldest first; none when compress_after is 0 or netflow.flows is a Citus distributed table';

-- Delete the batches no partition reads any more (dropped, truncated or
-- rewritten partitions); returns the batches deleted.
CREATE FUNCTION netflow.purge_orphan_batches()
RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH d AS (
		DELETE FROM netflow.compressed_batches b
		WHERE NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_am a ON a.oid = c.relam
						  WHERE c.oid = b.relid AND c.relfilenode = b.relfilenode
							AND a.amname = 'netflow_compressed')
		RETURNING 1)
	SELECT count(*) FROM d
$$;
COMMENT ON FUNCTION netflow.purge_orphan_batches() IS
	'Delete the compressed batches of partitions dropped, truncated or rewritten since (run by maintenance); returns the batches deleted';
REVOKE ALL ON FUNCTION netflow.purge_orphan_batches() FROM PUBLIC;

-- One compression step as of now: the orphan batches, then the oldest
-- partition due, if any.  What the "netflow compressor" worker runs after
-- each scheduled maintenance run of the collector (src/storage/compressor.c);
-- also schedulable with pg_cron.  SECURITY DEFINER, like run_maintenance().
CREATE FUNCTION netflow.compress_due()
RETURNS text
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r		record;
	n		bigint;
BEGIN
	-- one compression at a time (run_maintenance takes the same key)
	IF NOT pg_try_advisory_xact_lock(1852142703, 2) THEN
		RETURN NULL;
	END IF;
	n := netflow.purge_orphan_batches();
	IF n > 0 THEN
		RAISE LOG 'netflow compression: % orphan compressed batches deleted', n;
	END IF;
	FOR r IN SELECT * FROM netflow.compression_candidates(pg_catalog.now()) LIMIT 1 LOOP
		n := netflow.compress_partition(r.partition);
		RAISE LOG 'netflow compression: compressed % (% rows)', r.partition, n;
		RETURN format('%s: %s rows compressed', r.partition, n);
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION netflow.compress_due() IS
	'Delete orphan compressed batches, then compress the oldest partition older than compress_after (one per call); returns what it did, NULL when nothing; run by the collector''s "netflow compressor" worker after each scheduled maintenance run; executable by netflow_collector';
REVOKE ALL ON FUNCTION netflow.compress_due() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION netflow.compress_due() TO netflow_collector;

-- netflow.partitions: sizes include the batches; new columns compressed,
-- compressed_rows, bytes_per_flow.
CREATE OR REPLACE VIEW netflow.partitions AS
WITH b AS (
	-- the batches each compressed partition reads (45_compression.sql)
	SELECT cb.relid, sum(cb.row_count)::bigint AS rows,
		   sum(pg_column_size(cb.data) + coalesce(pg_column_size(cb.addr_filter), 0))::numeric AS data_bytes
	FROM netflow.compressed_batches cb
	JOIN pg_class c ON c.oid = cb.relid AND c.relfilenode = cb.relfilenode
	GROUP BY cb.relid),
store AS (
	-- the whole batch table (heap, TOAST, index), shared out by data size
	SELECT pg_total_relation_size('netflow.compressed_batches') AS bytes,
		   (SELECT sum(pg_column_size(cb.data) + coalesce(pg_column_size(cb.addr_filter), 0)) FROM netflow.compressed_batches cb)::numeric AS data_bytes),
q AS (
	SELECT p.partition, p.lower, p.upper, c.reltuples, b.rows AS compressed_rows,
		   a.amname = 'netflow_compressed' AS compressed,
		   pg_total_relation_size(p.partition)
		   + coalesce(round(store.bytes * b.data_bytes / nullif(store.data_bytes, 0)), 0)::bigint AS total_bytes
	FROM netflow.flows_partitions() p
	JOIN pg_class c ON c.oid = p.partition
	LEFT JOIN pg_am a ON a.oid = c.relam
	LEFT JOIN b ON b.relid = p.partition
	CROSS JOIN store)
SELECT q.partition,
	   q.lower,
	   q.upper,
	   CASE WHEN q.reltuples >= 0 OR q.compressed_rows IS NOT NULL
			THEN greatest(q.reltuples, q.compressed_rows, 0)::bigint END AS estimated_rows,
	   q.total_bytes,
	   q.partition IN (SELECT r.partition
					   FROM netflow.retention_candidates(
								(netflow.maintenance_settings()).retention) r) AS retention_drops,
	   coalesce(q.compressed, false) AS compressed,
	   q.compressed_rows,
	   round(q.total_bytes / nullif(greatest(q.reltuples, q.compressed_rows, 0), 0)::numeric, 1) AS bytes_per_flow
FROM q
ORDER BY q.lower;
COMMENT ON VIEW netflow.partitions IS
	'Partitions of netflow.flows: range [lower, upper), estimated rows (NULL before the first ANALYZE of a heap partition), size on disk including its share of the compressed batches, whether retention drops it at the next run as of now(), whether it is compressed, bytes per flow';
COMMENT ON COLUMN netflow.partitions.partition IS 'The partition table';
COMMENT ON COLUMN netflow.partitions.lower IS 'Lower bound of the time_start range (inclusive)';
COMMENT ON COLUMN netflow.partitions.upper IS 'Upper bound of the time_start range (exclusive)';
COMMENT ON COLUMN netflow.partitions.estimated_rows IS 'Rows: pg_class.reltuples (estimated; NULL when a heap partition was never vacuumed or analyzed), which for a compressed partition counts the rows of its batches and of its tail, and is at least the exact rows of its batches';
COMMENT ON COLUMN netflow.partitions.total_bytes IS 'Size on disk in bytes: pg_total_relation_size (heap, indexes, TOAST) plus the share of netflow.compressed_batches (heap, TOAST, index) in proportion to the size of its batches (data and address filters)';
COMMENT ON COLUMN netflow.partitions.retention_drops IS 'True when maintenance run now would drop it (wholly older than the retention, not the newest)';
COMMENT ON COLUMN netflow.partitions.compressed IS 'True when the partition uses the access method netflow_compressed (netflow.compress_partition)';
COMMENT ON COLUMN netflow.partitions.compressed_rows IS 'Rows in its compressed batches (exact); NULL when it has none';
COMMENT ON COLUMN netflow.partitions.bytes_per_flow IS 'total_bytes / estimated_rows: what one flow costs on disk';

COMMENT ON FUNCTION netflow.run_maintenance(timestamptz) IS
	'One maintenance run as of the given time (tests, "what would happen on Friday"; owner of netflow.flows only): create the premake partitions ahead (a partition that cannot be made is an error), purge/move the flows of netflow.flows_future and netflow.flows_past, forget the saved state of exporters silent past forget_exporters_after, bring the rollups up to date, run the detections (netflow.alerts), compress the oldest partition older than compress_after and delete orphan compressed batches, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';

------------------------------------------------------------------------
-- analytics aggregates with real transition types (issue 15: Citus pushes
-- them down); see sql/parts/40_topn.sql and 41_entropy.sql
------------------------------------------------------------------------

-- netflow.topn_state: transition type of topn_union and of the typed topn
-- overloads below.  A real (non-pseudo) type, so that Citus pushes these
-- aggregates down to the shards and combines the partial states on the
-- coordinator; kept as an expanded object while aggregating.
CREATE TYPE netflow.topn_state;

CREATE FUNCTION netflow.topn_state_in(cstring) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_state_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_state_out(netflow.topn_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'topn_state_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_state_recv(internal) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_state_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.topn_state_send(netflow.topn_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'topn_state_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.topn_state (
    INPUT = netflow.topn_state_in,
    OUTPUT = netflow.topn_state_out,
    RECEIVE = netflow.topn_state_recv,
    SEND = netflow.topn_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE netflow.topn_state IS
    'Partial state of topn and topn_union (transition type); text form is JSON with each key in its type''s text form';
COMMENT ON FUNCTION netflow.topn_state_in(cstring) IS 'Text input of topn_state (JSON, keys read by their type, validated)';
COMMENT ON FUNCTION netflow.topn_state_out(netflow.topn_state) IS 'Text output of topn_state (JSON)';
COMMENT ON FUNCTION netflow.topn_state_recv(internal) IS 'Binary input of topn_state (its text form, validated)';
COMMENT ON FUNCTION netflow.topn_state_send(netflow.topn_state) IS 'Binary output of topn_state (its text form)';

CREATE FUNCTION netflow.topn_state_trans(netflow.topn_state, anyelement, bigint, integer) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_trans(netflow.topn_state, anyelement, bigint, integer) IS
    'Transition function of the typed topn overloads: count one row';
CREATE FUNCTION netflow.topn_state_union_trans(netflow.topn_state, netflow.topn_summary) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_union_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_union_trans(netflow.topn_state, netflow.topn_summary) IS
    'Transition function of topn_union: merge one summary';
CREATE FUNCTION netflow.topn_state_combine(netflow.topn_state, netflow.topn_state) RETURNS netflow.topn_state
    AS 'MODULE_PATHNAME', 'topn_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_combine(netflow.topn_state, netflow.topn_state) IS
    'Combine function of topn_union and the typed topn overloads: merge two partial states';
CREATE FUNCTION netflow.topn_state_final(netflow.topn_state) RETURNS netflow.topn_summary
    AS 'MODULE_PATHNAME', 'topn_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.topn_state_final(netflow.topn_state) IS
    'Final function of topn_union and the typed topn overloads: build the summary value';

-- topn_union's transition type becomes netflow.topn_state: drop and
-- re-create it (nothing in the schema depends on it; the functions that
-- call it build their queries at run time).
DROP AGGREGATE netflow.topn_union(netflow.topn_summary);
DROP FUNCTION netflow.topn_union_trans(internal, netflow.topn_summary);

CREATE AGGREGATE netflow.topn_union(summary netflow.topn_summary) (
    SFUNC = netflow.topn_state_union_trans,
    STYPE = netflow.topn_state,
    SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final,
    COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn_union(netflow.topn_summary) IS
    'Merge stored topn summaries (capacity = largest input capacity)';

COMMENT ON FUNCTION netflow.topn_combine(internal, internal) IS
    'Combine function of topn(anyelement, bigint, integer): merge two partial states';
COMMENT ON FUNCTION netflow.topn_serialize(internal) IS
    'Serialize function of topn(anyelement, bigint, integer)';
COMMENT ON FUNCTION netflow.topn_deserialize(bytea, internal) IS
    'Deserialize function of topn(anyelement, bigint, integer) (validates every length)';
COMMENT ON FUNCTION netflow.topn_final(internal) IS
    'Final function of topn(anyelement, bigint, integer): build the summary value';

-- topn for the common key types: same results as topn(anyelement, ...), with
-- transition type netflow.topn_state (Citus checks an aggregate's declared
-- argument types, so a polymorphic aggregate cannot be pushed down).
CREATE AGGREGATE netflow.topn(key inet, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(inet, bigint, integer) IS
    'Heaviest inet keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key integer, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(integer, bigint, integer) IS
    'Heaviest integer keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key smallint, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(smallint, bigint, integer) IS
    'Heaviest smallint keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key bigint, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(bigint, bigint, integer) IS
    'Heaviest bigint keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';
CREATE AGGREGATE netflow.topn(key text, weight bigint, capacity integer) (
    SFUNC = netflow.topn_state_trans, STYPE = netflow.topn_state, SSPACE = 65536,
    FINALFUNC = netflow.topn_state_final, COMBINEFUNC = netflow.topn_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.topn(text, bigint, integer) IS
    'Heaviest text keys by summed weight (as topn(anyelement, bigint, integer); state netflow.topn_state, pushed down by Citus)';

-- netflow.entropy_state: transition type of the typed entropy overloads
-- below (a real type, so that Citus pushes them down); kept as an expanded
-- object while aggregating.
CREATE TYPE netflow.entropy_state;

CREATE FUNCTION netflow.entropy_state_in(cstring) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_state_in' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.entropy_state_out(netflow.entropy_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'entropy_state_out' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.entropy_state_recv(internal) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_state_recv' LANGUAGE C STABLE STRICT PARALLEL SAFE;
CREATE FUNCTION netflow.entropy_state_send(netflow.entropy_state) RETURNS bytea
    AS 'MODULE_PATHNAME', 'entropy_state_send' LANGUAGE C STABLE STRICT PARALLEL SAFE;

CREATE TYPE netflow.entropy_state (
    INPUT = netflow.entropy_state_in,
    OUTPUT = netflow.entropy_state_out,
    RECEIVE = netflow.entropy_state_recv,
    SEND = netflow.entropy_state_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE netflow.entropy_state IS
    'Partial state of the typed entropy aggregates (transition type): each distinct value with its count; text form is JSON';
COMMENT ON FUNCTION netflow.entropy_state_in(cstring) IS 'Text input of entropy_state (JSON, values read by their type, validated)';
COMMENT ON FUNCTION netflow.entropy_state_out(netflow.entropy_state) IS 'Text output of entropy_state (JSON)';
COMMENT ON FUNCTION netflow.entropy_state_recv(internal) IS 'Binary input of entropy_state (its text form, validated)';
COMMENT ON FUNCTION netflow.entropy_state_send(netflow.entropy_state) IS 'Binary output of entropy_state (its text form)';

CREATE FUNCTION netflow.entropy_state_trans(netflow.entropy_state, anyelement) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_trans(netflow.entropy_state, anyelement) IS
    'Transition function of the typed entropy(value) overloads: count the value once';
CREATE FUNCTION netflow.entropy_state_weighted_trans(netflow.entropy_state, anyelement, bigint) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_weighted_trans' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_weighted_trans(netflow.entropy_state, anyelement, bigint) IS
    'Transition function of the typed entropy(value, weight) overloads: add the weight to the value';
CREATE FUNCTION netflow.entropy_state_combine(netflow.entropy_state, netflow.entropy_state) RETURNS netflow.entropy_state
    AS 'MODULE_PATHNAME', 'entropy_combine' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_combine(netflow.entropy_state, netflow.entropy_state) IS
    'Combine function of the typed entropy aggregates';
CREATE FUNCTION netflow.entropy_state_final(netflow.entropy_state) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_final(netflow.entropy_state) IS
    'Final function of the typed entropy overloads: Shannon entropy in bits';
CREATE FUNCTION netflow.entropy_state_normalized_final(netflow.entropy_state) RETURNS double precision
    AS 'MODULE_PATHNAME', 'entropy_normalized_final' LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION netflow.entropy_state_normalized_final(netflow.entropy_state) IS
    'Final function of the typed entropy_normalized overloads: entropy / log2(distinct values)';

-- entropy and entropy_normalized for the common value types: same results
-- as the polymorphic aggregates, with transition type netflow.entropy_state
-- (Citus checks an aggregate's declared argument types, so a polymorphic
-- aggregate cannot be pushed down).
CREATE AGGREGATE netflow.entropy(value inet) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(inet) IS
    'Exact Shannon entropy (bits) of a inet value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value inet, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(inet, bigint) IS
    'Exact Shannon entropy (bits) of a weighted inet value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value inet) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(inet) IS
    'Normalized entropy (0 - 1) of a inet value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value inet, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(inet, bigint) IS
    'Normalized entropy (0 - 1) of a weighted inet value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value integer) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(integer) IS
    'Exact Shannon entropy (bits) of a integer value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value integer, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(integer, bigint) IS
    'Exact Shannon entropy (bits) of a weighted integer value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value integer) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(integer) IS
    'Normalized entropy (0 - 1) of a integer value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value integer, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(integer, bigint) IS
    'Normalized entropy (0 - 1) of a weighted integer value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value smallint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(smallint) IS
    'Exact Shannon entropy (bits) of a smallint value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value smallint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(smallint, bigint) IS
    'Exact Shannon entropy (bits) of a weighted smallint value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value smallint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(smallint) IS
    'Normalized entropy (0 - 1) of a smallint value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value smallint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(smallint, bigint) IS
    'Normalized entropy (0 - 1) of a weighted smallint value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value bigint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(bigint) IS
    'Exact Shannon entropy (bits) of a bigint value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value bigint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(bigint, bigint) IS
    'Exact Shannon entropy (bits) of a weighted bigint value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value bigint) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(bigint) IS
    'Normalized entropy (0 - 1) of a bigint value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value bigint, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(bigint, bigint) IS
    'Normalized entropy (0 - 1) of a weighted bigint value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value text) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(text) IS
    'Exact Shannon entropy (bits) of a text value (as entropy(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy(value text, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy(text, bigint) IS
    'Exact Shannon entropy (bits) of a weighted text value (as entropy(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value text) (
    SFUNC = netflow.entropy_state_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(text) IS
    'Normalized entropy (0 - 1) of a text value (as entropy_normalized(anyelement); state netflow.entropy_state, pushed down by Citus)';
CREATE AGGREGATE netflow.entropy_normalized(value text, weight bigint) (
    SFUNC = netflow.entropy_state_weighted_trans, STYPE = netflow.entropy_state, SSPACE = 16384,
    FINALFUNC = netflow.entropy_state_normalized_final, COMBINEFUNC = netflow.entropy_state_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE netflow.entropy_normalized(text, bigint) IS
    'Normalized entropy (0 - 1) of a weighted text value (as entropy_normalized(anyelement, bigint); state netflow.entropy_state, pushed down by Citus)';

-- detect-perf: the scan detection of maintenance made incremental (issue
-- 13: the per-minute run under 10 % of a minute at 100,000 flows/s).  The
-- same text as sql/parts/70_detect.sql: the state tables
-- netflow.scan_attempts and netflow.scan_marks, netflow.detect_scan_last_tid
-- and netflow.detect_scan_step, and netflow.detect_maintenance calling it.
-- Also: maintenance skips beaconing, as it does the baseline detectors,
-- when the partitions of its beacon_window hold more than
-- detect_max_baseline_rows estimated rows.

-- The scan detection of maintenance, incremental.  Re-counting the whole
-- scan_window of raw flows every run costs the rate times the window (30
-- million flows at 100,000 flows/s for 5 minutes); instead each run reads
-- only the rows stored since the last run -- per partition, the heap tuples
-- after the last one it read (a TID range scan) -- and keeps their attempts
-- in netflow.scan_attempts, one row per slot (scan_window, at most a
-- minute), source, destination and port.  Late flows (an old time_start,
-- stored now) are new rows and are counted in the slot of their start.

-- Attempts of the recent past, per slot (internal state of maintenance's
-- scan detection; rebuilt from raw flows when missing).
CREATE TABLE netflow.scan_attempts (
	slot		timestamptz NOT NULL,
	src_addr	inet NOT NULL,
	dst_addr	inet NOT NULL,
	dst_port	integer NOT NULL,
	tcp			boolean NOT NULL,
	attempts	bigint NOT NULL,
	first_seen	timestamptz NOT NULL,
	last_seen	timestamptz NOT NULL,
	answered	boolean NOT NULL DEFAULT false,
	PRIMARY KEY (src_addr, dst_addr, dst_port, slot)
);
COMMENT ON TABLE netflow.scan_attempts IS
	'State of the scan detection of maintenance (internal): the connection attempts of the last scan_window, one row per slot (scan_window, at most 1 minute), source, destination and port; slots older than the window are deleted every run; rebuilt from raw flows when missing, so not dumped';
COMMENT ON COLUMN netflow.scan_attempts.slot IS 'Start of the slot of the attempts (flow start times, binned from 2000-01-01 UTC)';
COMMENT ON COLUMN netflow.scan_attempts.src_addr IS 'Source of the attempts (the possible scanner)';
COMMENT ON COLUMN netflow.scan_attempts.dst_addr IS 'Destination of the attempts';
COMMENT ON COLUMN netflow.scan_attempts.dst_port IS 'Destination port of the attempts';
COMMENT ON COLUMN netflow.scan_attempts.tcp IS 'Whether one of the attempts was TCP';
COMMENT ON COLUMN netflow.scan_attempts.attempts IS 'Attempt flows in the slot';
COMMENT ON COLUMN netflow.scan_attempts.first_seen IS 'Earliest start of the attempts in the slot';
COMMENT ON COLUMN netflow.scan_attempts.last_seen IS 'Latest end (or start) of the attempts in the slot';
COMMENT ON COLUMN netflow.scan_attempts.answered IS 'Whether a flow other than a reset came back from the destination''s port to the source (read so far)';

-- Where the scan detection of maintenance stands in each partition.
CREATE TABLE netflow.scan_marks (
	part		oid PRIMARY KEY,
	upto_tid	tid NOT NULL,
	upto		timestamptz NOT NULL
);
COMMENT ON TABLE netflow.scan_marks IS
	'State of the scan detection of maintenance (internal): per partition of netflow.flows, the last heap tuple read; rows for partitions gone or out of the window are deleted every run';
COMMENT ON COLUMN netflow.scan_marks.part IS 'OID of the partition';
COMMENT ON COLUMN netflow.scan_marks.upto_tid IS 'Last tuple read (the rows after it are new)';
COMMENT ON COLUMN netflow.scan_marks.upto IS 'The now of the run that read it';

-- The last visible heap tuple of a partition (NULL when it has none), by
-- TID range scans of its last 1, 4, 16, ... blocks.
CREATE FUNCTION netflow.detect_scan_last_tid(part regclass)
RETURNS tid
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	nb		bigint := pg_relation_size(part) / current_setting('block_size')::bigint;
	k		bigint := 1;
	t		tid;
BEGIN
	WHILE nb > 0 LOOP
		EXECUTE format('SELECT max(ctid) FROM %s WHERE ctid >= $1', part)
			INTO t USING format('(%s,0)', greatest(nb - k, 0))::tid;
		IF t IS NOT NULL OR k >= nb THEN
			RETURN t;
		END IF;
		k := k * 4;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION netflow.detect_scan_last_tid(regclass) IS
	'Last visible heap tuple of a partition, NULL when it has none (internal, scan detection of maintenance)';
REVOKE ALL ON FUNCTION netflow.detect_scan_last_tid(regclass) FROM PUBLIC;

-- One run of the scan detection of maintenance as of now: brings
-- netflow.scan_attempts up to date with the rows stored since the last run
-- (only those starting in the window, [slot of (now - scan_window), now +
-- one slot)), marks attempts answered by the new rows, forgets slots older than
-- the window, and returns the scans of the window as netflow.detect_scan
-- would (one bucket: the window, from its slot boundary to now).  Partitions
-- without a mark -- all of them on the first run, after a gap longer than
-- scan_window, or when now goes back -- are read by time range instead.
CREATE FUNCTION netflow.detect_scan_step(now timestamptz)
RETURNS TABLE (kind text, src_addr inet, dst_addr inet, dst_port integer,
			   score double precision, first_seen timestamptz, last_seen timestamptz,
			   evidence jsonb)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
#variable_conflict use_column
DECLARE
	s		record := netflow.detect_settings();
	slot	interval;
	lo		timestamptz;
	hi_t	timestamptz;
	p		record;
	hi		tid;
	rng		text;
	ports	integer[];
BEGIN
	slot := least(s.scan_window, interval '1 minute');
	-- The window: whole slots, from the one holding now - scan_window.
	lo := date_bin(slot, now - s.scan_window, timestamptz '2000-01-01 00:00+00');
	hi_t := now + slot;
	-- Marks too old (a gap: the new rows may be many) or from the future
	-- (now went back): start again from raw flows.
	IF EXISTS (SELECT 1 FROM netflow.scan_marks m WHERE m.upto < now - s.scan_window OR m.upto > now) THEN
		DELETE FROM netflow.scan_marks;
		DELETE FROM netflow.scan_attempts;
	END IF;
	DELETE FROM netflow.scan_attempts a WHERE a.slot < lo OR a.slot >= hi_t;
	DELETE FROM netflow.scan_marks m
	WHERE NOT EXISTS (SELECT 1 FROM netflow.flows_partitions() fp
					  WHERE fp.partition = m.part AND fp.upper > lo AND fp.lower < hi_t);
	FOR p IN
		SELECT fp.partition, m.upto_tid AS mark
		FROM netflow.flows_partitions() fp
		LEFT JOIN netflow.scan_marks m ON m.part = fp.partition
		WHERE fp.upper > lo AND fp.lower < hi_t
		ORDER BY fp.lower
	LOOP
		hi := netflow.detect_scan_last_tid(p.partition);
		-- Emptied or rewritten smaller (TRUNCATE, VACUUM FULL) since the
		-- mark: read by time range again.
		IF p.mark IS NOT NULL AND (hi IS NULL OR hi < p.mark) THEN
			p.mark := NULL;
		END IF;
		IF hi IS NOT NULL AND (p.mark IS NULL OR hi > p.mark) THEN
			rng := CASE WHEN p.mark IS NULL THEN 'f.ctid <= $4' ELSE 'f.ctid > $3 AND f.ctid <= $4' END;
			-- One pass over the new rows: their attempts, and the flows that
			-- may answer one (anything but a reset from a port that an
			-- unanswered attempt of the state went to), merged into the
			-- state per slot and target.  The attempts' own condition is
			-- evaluated only on rows with SYN without ACK or at most 2
			-- packets (which it implies).
			SELECT coalesce(array_agg(DISTINCT a.dst_port), '{}') INTO ports
			FROM netflow.scan_attempts a WHERE NOT a.answered;
			EXECUTE format($q$
				WITH r AS MATERIALIZED (
					SELECT date_bin($5, f.time_start, timestamptz '2000-01-01 00:00+00') AS slot,
						   f.src_addr AS s, f.dst_addr AS d, f.src_port AS sp, f.dst_port AS p,
						   f.protocol = 6 AS tcp, f.time_start AS t0, coalesce(f.time_end, f.time_start) AS t1,
						   f.src_addr IS NOT NULL AND f.dst_addr IS NOT NULL AND f.dst_port IS NOT NULL
						   AND f.protocol IN (6, 17) AND %3$s AS attempt,
						   NOT (f.protocol = 6 AND coalesce(f.tcp_flags, 0) & 4 <> 0) AS reply
					FROM %1$s f
					WHERE %2$s AND f.time_start >= $1 AND f.time_start < $2
					  AND (f.tcp_flags & 18 = 2 OR coalesce(f.packets, 1) <= 2 OR f.src_port = ANY (%4$L::integer[]))
				),
				att AS (
					SELECT r.slot, r.s, r.d, r.p, bool_or(r.tcp) AS tcp, count(*) AS n,
						   min(r.t0) AS t0, max(r.t1) AS t1
					FROM r WHERE r.attempt GROUP BY 1, 2, 3, 4
				),
				rep AS MATERIALIZED (
					SELECT DISTINCT r.d AS s, r.s AS d, r.sp AS p FROM r
					WHERE r.reply AND r.s IS NOT NULL AND r.d IS NOT NULL AND r.sp IS NOT NULL
				),
				up AS (
					SELECT a.slot, a.s, a.d, a.p, a.tcp, a.n, a.t0, a.t1,
						   rep.s IS NOT NULL
						   OR EXISTS (SELECT 1 FROM netflow.scan_attempts o
									  WHERE o.src_addr = a.s AND o.dst_addr = a.d AND o.dst_port = a.p
										AND o.answered) AS answered
					FROM att a LEFT JOIN rep ON rep.s = a.s AND rep.d = a.d AND rep.p = a.p
					UNION ALL
					SELECT o.slot, o.src_addr, o.dst_addr, o.dst_port, o.tcp, 0, o.first_seen, o.last_seen, true
					FROM netflow.scan_attempts o
					JOIN rep ON rep.s = o.src_addr AND rep.d = o.dst_addr AND rep.p = o.dst_port
					WHERE NOT o.answered
				)
				INSERT INTO netflow.scan_attempts AS x (slot, src_addr, dst_addr, dst_port, tcp, attempts,
														first_seen, last_seen, answered)
				SELECT u.slot, u.s, u.d, u.p, bool_or(u.tcp), sum(u.n), min(u.t0), max(u.t1), bool_or(u.answered)
				FROM up u GROUP BY 1, 2, 3, 4
				ON CONFLICT (src_addr, dst_addr, dst_port, slot) DO UPDATE
				SET tcp = x.tcp OR excluded.tcp, attempts = x.attempts + excluded.attempts,
					first_seen = least(x.first_seen, excluded.first_seen),
					last_seen = greatest(x.last_seen, excluded.last_seen),
					answered = x.answered OR excluded.answered$q$,
				p.partition, rng, netflow.detect_attempt_expr(), ports)
				USING lo, hi_t, p.mark, hi, slot;
			-- Attempts to ports the pass did not look for answers from (new
			-- in these rows): a second pass for answers from those ports.
			SELECT array_agg(DISTINCT a.dst_port) INTO ports
			FROM netflow.scan_attempts a WHERE NOT a.answered AND a.dst_port <> ALL (ports);
			IF ports IS NOT NULL THEN
				EXECUTE format($q$
					UPDATE netflow.scan_attempts x SET answered = true
					FROM (SELECT DISTINCT f.dst_addr AS s, f.src_addr AS d, f.src_port AS p
						  FROM %1$s f
						  WHERE %2$s AND f.time_start >= $1 AND f.time_start < $2
							AND f.src_port = ANY (%3$L::integer[])
							AND NOT (f.protocol = 6 AND coalesce(f.tcp_flags, 0) & 4 <> 0)) r
					WHERE x.src_addr = r.s AND x.dst_addr = r.d AND x.dst_port = r.p AND NOT x.answered$q$,
					p.partition, rng, ports)
					USING lo, hi_t, p.mark, hi, slot;
			END IF;
		END IF;
		INSERT INTO netflow.scan_marks AS m (part, upto_tid, upto)
		VALUES (p.partition, coalesce(greatest(hi, p.mark), '(0,0)'), now)
		ON CONFLICT (part) DO UPDATE SET upto_tid = excluded.upto_tid, upto = excluded.upto;
	END LOOP;
	-- The window: per target, then per horizontal and vertical group (a
	-- group has at most as much weight as targets: those with fewer are
	-- left out before the weighing).
	RETURN QUERY
	WITH w AS (
		SELECT a.src_addr AS s, a.dst_addr AS d, a.dst_port AS p, bool_or(a.tcp) AS tcp,
			   bool_or(a.answered) AS answered, sum(a.attempts) AS attempts,
			   min(a.first_seen) AS t0, max(a.last_seen) AS t1
		FROM netflow.scan_attempts a
		GROUP BY 1, 2, 3
	),
	g AS (
		SELECT 'horizontal' AS type, w.s, NULL::inet AS gd, w.p AS gp, s.scan_hosts AS threshold,
			   count(*) FILTER (WHERE NOT w.answered) AS unanswered,
			   count(*) FILTER (WHERE w.answered) AS answered,
			   count(*) FILTER (WHERE NOT w.answered)
				   + 0.5 * count(*) FILTER (WHERE w.answered AND w.tcp) AS weight,
			   sum(w.attempts) AS attempts, min(w.t0) AS t0, max(w.t1) AS t1,
			   (array_agg(host(w.d) ORDER BY host(w.d)))[1:20] AS sample
		FROM w GROUP BY w.s, w.p HAVING count(*) >= s.scan_hosts
		UNION ALL
		SELECT 'vertical', w.s, w.d, NULL::integer, s.scan_ports,
			   count(*) FILTER (WHERE NOT w.answered),
			   count(*) FILTER (WHERE w.answered),
			   count(*) FILTER (WHERE NOT w.answered)
				   + 0.5 * count(*) FILTER (WHERE w.answered AND w.tcp),
			   sum(w.attempts), min(w.t0), max(w.t1),
			   (array_agg(w.p::text ORDER BY w.p::text))[1:20]
		FROM w GROUP BY w.s, w.d HAVING count(*) >= s.scan_ports
	)
	SELECT 'scan'::text, g.s, g.gd, g.gp, (g.weight / g.threshold)::double precision, g.t0, g.t1,
		   jsonb_build_object('type', g.type, 'threshold', g.threshold, 'window', s.scan_window::text,
							  'window_start', lo, 'windows', 1,
							  'targets', g.unanswered + g.answered, 'unanswered', g.unanswered,
							  'answered', g.answered, 'attempts', g.attempts, 'sample', to_jsonb(g.sample))
	FROM g
	WHERE g.weight >= g.threshold;
END
$$;
COMMENT ON FUNCTION netflow.detect_scan_step(timestamptz) IS
	'Scan detection of maintenance as of now (internal): reads the rows stored since the last run into netflow.scan_attempts and returns the scans of the last scan_window (in whole slots, up to now) as netflow.detect_scan would; see docs/detections.md';
REVOKE ALL ON FUNCTION netflow.detect_scan_step(timestamptz) FROM PUBLIC;

UPDATE netflow.config_defaults
SET description = 'Maintenance skips the baseline detectors (logged) when the raw partitions they would read hold more estimated rows than this, and beaconing when those of beacon_window do; 0 = no limit'
WHERE key = 'detect_max_baseline_rows';

-- The detection step of maintenance (scheduled: called by run_maintenance,
-- which it skips when detect_alerts is off; by hand it always runs, for
-- installations that schedule it apart): scans every run over the last
-- scan_window, incrementally (netflow.detect_scan_step: the rows stored
-- since the last run); the baseline detectors (lateral_movement, exfiltration,
-- volume_anomaly) and beaconing once detect_slow_every has passed since
-- their last run, over the time since (at least exfil_window for
-- exfiltration, beacon_window for beaconing).  The baseline detectors are
-- skipped (logged in detect_state.last_skip) when the raw partitions they
-- read hold more than detect_max_baseline_rows estimated rows, beaconing
-- when those of its beacon_window do.  Each
-- detector runs in its own subtransaction: one failing does not stop the
-- others.  Their notices (detector skipped for want of history) are not
-- sent to the client; skips and failures are in detect_state.last_skip,
-- and the time each detector took in the server log (LOG).  Returns the
-- number of alerts opened.
CREATE OR REPLACE FUNCTION netflow.detect_maintenance(now timestamptz, scheduled boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET client_min_messages = warning
AS $$
DECLARE
	s		record := netflow.detect_settings();
	st		record;
	k		text;
	f		timestamptz;
	d		jsonb;
	n		integer := 0;
	skips	text[] := '{}';
	slow	boolean;
	est		double precision;
	est_beacon double precision;
	t0		timestamptz;
	took	text[] := '{}';
BEGIN
	IF scheduled AND NOT s.alerts THEN
		RETURN 0;
	END IF;
	INSERT INTO netflow.detect_state (singleton) VALUES (true) ON CONFLICT DO NOTHING;
	SELECT * INTO st FROM netflow.detect_state FOR UPDATE;
	slow := st.slow_upto IS NULL OR now >= st.slow_upto + s.slow_every;
	IF slow THEN
		SELECT sum(greatest(c.reltuples, 0)) INTO est
		FROM netflow.flows_partitions() p JOIN pg_class c ON c.oid = p.partition
		WHERE p.upper > now - s.baseline - s.beacon_window AND p.lower < now;
		SELECT sum(greatest(c.reltuples, 0)) INTO est_beacon
		FROM netflow.flows_partitions() p JOIN pg_class c ON c.oid = p.partition
		WHERE p.upper > now - s.beacon_window AND p.lower < now;
	END IF;
	FOREACH k IN ARRAY ARRAY['scan', 'lateral_movement', 'exfiltration', 'beaconing', 'volume_anomaly'] LOOP
		IF k <> 'scan' AND NOT slow THEN
			CONTINUE;
		END IF;
		IF k IN ('lateral_movement', 'exfiltration', 'volume_anomaly') AND s.max_baseline_rows > 0
		   AND est > s.max_baseline_rows THEN
			skips := skips || format('%s skipped: the baseline holds about %s rows, more than detect_max_baseline_rows (%s); run netflow.detect by hand',
									 k, est::bigint, s.max_baseline_rows);
			CONTINUE;
		END IF;
		IF k = 'beaconing' AND s.max_baseline_rows > 0 AND est_beacon > s.max_baseline_rows THEN
			skips := skips || format('%s skipped: its beacon_window holds about %s rows, more than detect_max_baseline_rows (%s); run netflow.detect by hand',
									 k, est_beacon::bigint, s.max_baseline_rows);
			CONTINUE;
		END IF;
		f := CASE k WHEN 'scan' THEN now - s.scan_window
					WHEN 'exfiltration' THEN least(coalesce(st.slow_upto, now - s.exfil_window), now - s.exfil_window)
					WHEN 'beaconing' THEN now - s.beacon_window
					ELSE coalesce(st.slow_upto, now - s.slow_every) END;
		t0 := clock_timestamp();
		BEGIN
			IF k = 'scan' THEN
				-- Incremental: only the rows stored since the last run.
				SELECT jsonb_agg(to_jsonb(x)) INTO d FROM netflow.detect_scan_step(now) x;
			ELSE
				EXECUTE format('SELECT jsonb_agg(to_jsonb(x)) FROM netflow.%I($1, $2) x', 'detect_' || k)
					INTO d USING f, now;
			END IF;
			IF d IS NOT NULL THEN
				n := n + netflow.alerts_upsert(d);
			END IF;
		EXCEPTION WHEN OTHERS THEN
			skips := skips || format('%s failed: %s', k, SQLERRM);
			RAISE WARNING 'netflow detection: % failed: %', k, SQLERRM;
		END;
		took := took || format('%s %s ms', k,
							   round(extract(epoch FROM clock_timestamp() - t0)::numeric * 1000));
	END LOOP;
	UPDATE netflow.detect_state
	SET fast_upto = now,
		slow_upto = CASE WHEN slow THEN now ELSE slow_upto END,
		runs = runs + 1,
		last_run = now,
		last_skip = nullif(array_to_string(skips, '; '), '');
	RAISE LOG 'netflow detection: % alerts opened; %', n, array_to_string(took, ', ');
	IF cardinality(skips) > 0 THEN
		RAISE LOG 'netflow detection: %', array_to_string(skips, '; ');
	END IF;
	RETURN n;
END
$$;
COMMENT ON FUNCTION netflow.detect_maintenance(timestamptz, boolean) IS
	'Detection step of run_maintenance (scheduled = true: skipped when detect_alerts is off) or of a schedule of its own (by hand): scans over the last scan_window every run, the baseline detectors and beaconing every detect_slow_every; writes netflow.alerts; returns the number of alerts opened (maintenance only)';

-- scale-out on Citus (issue 15): netflow.distribute(), netflow.citus_worker_node(),
-- and the collector's routing (route_times) makes no partition on a Citus
-- worker node.

-- Is this node a Citus worker: the citus extension is installed and the
-- node's group is not the coordinator's (0), or the node holds shards of
-- netflow.flows (netflow.flows_<shard id>) without the Citus metadata of
-- netflow.flows (a worker without metadata sync, whose group is reset to
-- 0)?  false without Citus.
CREATE FUNCTION netflow.citus_worker_node()
RETURNS boolean
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g		integer;
	orphan	boolean;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_local_group') IS NULL THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT (SELECT groupid FROM pg_catalog.pg_dist_local_group), '
			'NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition f '
			'WHERE f.logicalrelid = ''netflow.flows''::regclass) '
			'AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c '
			'WHERE c.relnamespace = ''netflow''::regnamespace AND c.relname ~ ''^flows_[0-9]+$'')'
		INTO g, orphan;
	RETURN coalesce(g, 0) <> 0 OR orphan;
END
$$;
COMMENT ON FUNCTION netflow.citus_worker_node() IS
	'True on a Citus worker node (the citus extension is installed and the node''s group is not the coordinator''s, or the node holds shards of netflow.flows without its Citus metadata); the collector makes no partitions and runs no maintenance there (internal)';

-- Distribute netflow.flows, netflow.flows_future and netflow.flows_past by
-- the given column, co-located, with create_distributed_table().  The
-- partitions of netflow.flows come along (Citus distributes a partitioned
-- table's partitions with it, and the ones create_partitions attaches
-- later); the rows they held are moved into the shards.  Every other table
-- of the extension stays local on the coordinator (docs/scale-out.md).  Idempotent: tables distributed already
-- are skipped (by another column: an error).
CREATE FUNCTION netflow.distribute(dist_column name DEFAULT 'src_addr')
RETURNS SETOF regclass
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t		text;
	rel		regclass;
	cur		text;
	method	text;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'extension "citus" is not installed in this database'
			USING ERRCODE = 'undefined_object',
				  DETAIL = 'netflow.distribute() makes netflow.flows a Citus distributed table.',
				  HINT = 'Put citus first in shared_preload_libraries, run CREATE EXTENSION citus and add the worker nodes (docs/scale-out.md).';
	END IF;
	IF netflow.citus_worker_node() THEN
		RAISE EXCEPTION 'netflow.distribute() must run on the Citus coordinator'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  DETAIL = 'This node is a Citus worker.';
	END IF;
	PERFORM netflow.require_flows_owner('netflow.distribute()');
	IF NOT EXISTS (SELECT 1 FROM pg_attribute a
				   WHERE a.attrelid = 'netflow.flows'::regclass AND a.attname = dist_column
					 AND a.attnum > 0 AND NOT a.attisdropped) THEN
		RAISE EXCEPTION 'column "%" of relation "netflow.flows" does not exist', dist_column
			USING ERRCODE = 'undefined_column',
				  HINT = 'src_addr (the default) prunes host queries to one shard; see docs/scale-out.md for the alternatives.';
	END IF;
	FOREACH t IN ARRAY ARRAY['netflow.flows', 'netflow.flows_future', 'netflow.flows_past'] LOOP
		rel := to_regclass(t);
		CONTINUE WHEN rel IS NULL;
		method := NULL;
		EXECUTE 'SELECT p.partmethod::text, CASE WHEN p.partkey IS NOT NULL THEN '
				'pg_catalog.column_to_column_name(p.logicalrelid, p.partkey) END '
				'FROM pg_catalog.pg_dist_partition p WHERE p.logicalrelid = $1'
			INTO method, cur USING rel;
		IF method IS NOT NULL THEN
			IF cur IS DISTINCT FROM dist_column::text THEN
				RAISE EXCEPTION '% is a Citus table already, not distributed by column "%"', t, dist_column
					USING ERRCODE = 'object_not_in_prerequisite_state',
						  DETAIL = format('Its Citus distribution method is %s, its column %s.',
										  method, coalesce(cur, 'none')),
						  HINT = 'Change all three tables alike (Citus''s alter_distributed_table() or undistribute_table()) and call netflow.distribute() again.';
			END IF;
			CONTINUE;
		END IF;
		EXECUTE format('SELECT pg_catalog.create_distributed_table(%L, %L, colocate_with => %L)',
					   t, dist_column,
					   CASE WHEN t = 'netflow.flows' THEN 'default' ELSE 'netflow.flows' END);
		-- Citus copied the rows into the shards and left them in the local
		-- relations too, where no query sees them: remove that copy.
		EXECUTE 'SELECT pg_catalog.truncate_local_data_after_distributing_table($1)' USING rel;
		RETURN NEXT rel;
	END LOOP;
END
$$;
COMMENT ON FUNCTION netflow.distribute(name) IS
	'Make netflow.flows (with its partitions), netflow.flows_future and netflow.flows_past co-located Citus distributed tables by the given column (default src_addr: host queries go to one shard); on the coordinator, by the owner of netflow.flows; returns the tables it distributed (docs/scale-out.md)';
REVOKE ALL ON FUNCTION netflow.distribute(name) FROM PUBLIC;

CREATE OR REPLACE FUNCTION netflow.route_times(times timestamptz[], now timestamptz)
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- Partitions one call may create: bounds the DDL, the locks and the
	-- catalog growth of one flush (docs/operations.md).
	max_new constant integer := 4;
	w		record := netflow.ingest_window(now);
	step	interval := netflow.partition_interval();
	r		record;
	lowers	timestamptz[];
	uppers	timestamptz[];
	made	integer := 0;
	result	smallint[];
	late	bigint;
	future	bigint;
	past	bigint;
	unpartitioned bigint;
BEGIN
	-- Every existing partition (usable or not): its range is taken.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	-- The buckets within the window that no partition covers, nearest to
	-- now first, at most max_new of them.  None on a Citus worker node
	-- (docs/scale-out.md): the coordinator makes the partitions, the times
	-- without one go to the stores meanwhile.
	FOR r IN
		SELECT b.lower, b.upper
		FROM (SELECT DISTINCT b.lower, b.upper
			  FROM unnest(times) AS u(t),
				   LATERAL netflow.partition_bounds(u.t, step) AS b
			  WHERE isfinite(u.t) AND u.t >= w.past_from AND u.t < w.future_from
				AND NOT EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
								WHERE u.t >= p.lo AND u.t < p.hi)
				AND NOT netflow.citus_worker_node()) b
		ORDER BY abs(extract(epoch FROM b.lower - now)), b.lower
		LIMIT max_new
	LOOP
		made := made + (SELECT count(*) FROM netflow.create_partitions(r.lower, r.upper));
	END LOOP;
	IF made > 0 THEN
		PERFORM netflow.window_count('partitions_on_demand', made);
	END IF;

	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.insertable_partitions() p;

	WITH u AS (
		SELECT u.i, u.t,
			   isfinite(u.t) AND EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
										 WHERE u.t >= p.lo AND u.t < p.hi) AS held,
			   isfinite(u.t) AND u.t >= w.past_from AND u.t < w.future_from AS inside
		FROM unnest(times) WITH ORDINALITY AS u(t, i)
	), d AS (
		SELECT u.*,
			   CASE WHEN u.t IS NULL THEN NULL
					WHEN u.held THEN 0
					WHEN u.t < now THEN 2
					ELSE 1 END::smallint AS dest
		FROM u
	)
	SELECT array_agg(d.dest ORDER BY d.i),
		   count(*) FILTER (WHERE d.dest = 0 AND d.t < w.late_before),
		   count(*) FILTER (WHERE d.dest = 1 AND NOT d.inside),
		   count(*) FILTER (WHERE d.dest = 2 AND NOT d.inside),
		   count(*) FILTER (WHERE d.dest > 0 AND d.inside)
	INTO result, late, future, past, unpartitioned
	FROM d;
	PERFORM netflow.window_count('late_flows', late);
	PERFORM netflow.window_count('future_flows', future);
	PERFORM netflow.window_count('past_flows', past);
	PERFORM netflow.window_count('unpartitioned_flows', unpartitioned);
	RETURN coalesce(result, '{}');
END
$$;
COMMENT ON FUNCTION netflow.route_times(timestamptz[], timestamptz) IS
	'The collector''s routing policy as of now: per start time 0 = netflow.flows (partition made on demand within the window, at most 4 per call, none on a Citus worker node), 1 = netflow.flows_future, 2 = netflow.flows_past; counts in netflow.window_counters (internal)';
REVOKE ALL ON FUNCTION netflow.route_times(timestamptz[], timestamptz) FROM PUBLIC;

-- rollup-perf: the rollups at a month of 1 million flows a day (issue 12's
-- bench): summaries and sketches compressed with lz4 where the server has
-- it, a row in rollup_minutes for every materialized minute (zeros
-- included), materialization sorting in memory, and netflow.traffic reading
-- a per-minute series in one ordered scan (an SQL function inlined into the
-- caller's query, its checks and raw parts in the new
-- netflow.traffic_parts).  Same text as sql/parts/62..64 (CREATE OR
-- REPLACE keeps the comments and grants made above).
DO $$
BEGIN
	ALTER TABLE netflow.rollup_topn_minute
		ALTER COLUMN by_bytes SET COMPRESSION lz4, ALTER COLUMN by_flows SET COMPRESSION lz4;
	ALTER TABLE netflow.rollup_topn_hour
		ALTER COLUMN by_bytes SET COMPRESSION lz4, ALTER COLUMN by_flows SET COMPRESSION lz4;
	ALTER TABLE netflow.rollup_topn_day
		ALTER COLUMN by_bytes SET COMPRESSION lz4, ALTER COLUMN by_flows SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'netflow: this server has no lz4; top-N rollups are compressed with pglz (slower)';
END
$$;

DO $$
BEGIN
	ALTER TABLE netflow.host_profiles
		ALTER COLUMN peers SET COMPRESSION lz4, ALTER COLUMN dst_ports SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
	RAISE NOTICE 'netflow: this server has no lz4; host profile sketches are compressed with pglz (slower)';
END
$$;

COMMENT ON TABLE netflow.rollup_minutes IS
	'Traffic totals per materialized minute, zeros included (time no partition covered is skipped without rows; rollup_state.minutes_upto is the watermark); kept for rollup_retention';

CREATE OR REPLACE FUNCTION netflow.rollup_materialize(lo timestamptz, hi timestamptz, cut timestamptz,
										   capacity integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Sorting a chunk's flows by minute in memory (a disk sort cost a third
-- of the top-N part).
SET work_mem = '64MB'
AS $$
DECLARE
	cond	constant text := 'f.time_start >= $1[1] AND f.time_start < $1[2] AND (f.time_received < $1[3] OR f.time_received IS NULL)';
	n		bigint;
BEGIN
	EXECUTE 'INSERT INTO netflow.rollup_traffic_minute ' || netflow.rollup_traffic_select(cond)
	USING ARRAY[lo, hi, cut];
	EXECUTE 'INSERT INTO netflow.rollup_topn_minute ' || netflow.rollup_topn_select(cond, capacity)
	USING ARRAY[lo, hi, cut];
	-- A plain INSERT: a minute that has a row already is an error, not a
	-- silent double count.  Every minute gets a row, zeros when it had no
	-- flows, so that a per-minute series over materialized time reads one
	-- row per minute (netflow.traffic).
	INSERT INTO netflow.rollup_minutes
	SELECT g.minute, coalesce(s.flows, 0), coalesce(s.packets, 0), coalesce(s.bytes, 0),
		   coalesce(s.packets_upscaled, 0), coalesce(s.bytes_upscaled, 0),
		   clock_timestamp(), clock_timestamp()
	FROM generate_series(lo, hi - interval '1 minute', interval '1 minute') AS g(minute)
	LEFT JOIN (SELECT t.minute, sum(t.flows) AS flows, sum(t.packets) AS packets,
					  sum(t.bytes) AS bytes, sum(t.packets_upscaled) AS packets_upscaled,
					  sum(t.bytes_upscaled) AS bytes_upscaled
			   FROM netflow.rollup_traffic_minute t
			   WHERE t.minute >= lo AND t.minute < hi
			   GROUP BY t.minute) AS s ON s.minute = g.minute;
	SELECT coalesce(sum(m.flows), 0) INTO n
	FROM netflow.rollup_minutes m WHERE m.minute >= lo AND m.minute < hi;
	RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION netflow.rollup_add_flows(cond text, p timestamptz[], into_hours boolean,
										 capacity integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Sorting a chunk's flows by minute in memory (a disk sort cost a third
-- of the top-N part).
SET work_mem = '64MB'
AS $$
DECLARE
	n		bigint;
BEGIN
	IF to_regclass('pg_temp.rollup_new_traffic') IS NULL THEN
		CREATE TEMP TABLE rollup_new_traffic (
			minute timestamptz, exporter inet, input_if bigint, output_if bigint,
			protocol smallint, direction text, flows bigint, packets numeric, bytes numeric,
			packets_upscaled numeric, bytes_upscaled numeric) ON COMMIT DROP;
		CREATE TEMP TABLE rollup_new_topn (
			minute timestamptz, dimension text, by_bytes netflow.topn_summary,
			by_flows netflow.topn_summary) ON COMMIT DROP;
	ELSE
		TRUNCATE rollup_new_traffic, rollup_new_topn;
	END IF;

	EXECUTE 'INSERT INTO rollup_new_traffic ' || netflow.rollup_traffic_select(cond) USING p;
	EXECUTE 'INSERT INTO rollup_new_topn ' || netflow.rollup_topn_select(cond, capacity) USING p;

	SELECT coalesce(sum(t.flows), 0) INTO n FROM rollup_new_traffic t;
	IF n = 0 THEN
		RETURN 0;
	END IF;

	INSERT INTO netflow.rollup_traffic_minute AS r
	SELECT * FROM rollup_new_traffic
	ON CONFLICT ON CONSTRAINT rollup_traffic_minute_key DO UPDATE
	SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
		bytes = r.bytes + excluded.bytes,
		packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
		bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled;
	INSERT INTO netflow.rollup_minutes AS r
	SELECT t.minute, sum(t.flows), sum(t.packets), sum(t.bytes), sum(t.packets_upscaled),
		   sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
	FROM rollup_new_traffic t GROUP BY t.minute
	ON CONFLICT (minute) DO UPDATE
	SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
		bytes = r.bytes + excluded.bytes,
		packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
		bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled,
		updated_at = excluded.updated_at;
	INSERT INTO netflow.rollup_topn_minute AS r
	SELECT * FROM rollup_new_topn
	ON CONFLICT (minute, dimension) DO UPDATE
	SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
		by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));

	IF into_hours THEN
		INSERT INTO netflow.rollup_traffic_hour AS r
		SELECT date_trunc('hour', t.minute), t.exporter, t.input_if, t.output_if, t.protocol,
			   t.direction, sum(t.flows), sum(t.packets), sum(t.bytes),
			   sum(t.packets_upscaled), sum(t.bytes_upscaled)
		FROM rollup_new_traffic t GROUP BY 1, 2, 3, 4, 5, 6
		ON CONFLICT ON CONSTRAINT rollup_traffic_hour_key DO UPDATE
		SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
			bytes = r.bytes + excluded.bytes,
			packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
			bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled;
		INSERT INTO netflow.rollup_hours AS r
		SELECT date_trunc('hour', t.minute), sum(t.flows), sum(t.packets), sum(t.bytes),
			   sum(t.packets_upscaled), sum(t.bytes_upscaled), clock_timestamp(), clock_timestamp()
		FROM rollup_new_traffic t GROUP BY 1
		ON CONFLICT (hour) DO UPDATE
		SET flows = r.flows + excluded.flows, packets = r.packets + excluded.packets,
			bytes = r.bytes + excluded.bytes,
			packets_upscaled = r.packets_upscaled + excluded.packets_upscaled,
			bytes_upscaled = r.bytes_upscaled + excluded.bytes_upscaled,
			updated_at = excluded.updated_at;
		INSERT INTO netflow.rollup_topn_hour AS r
		SELECT date_trunc('hour', t.minute), t.dimension, netflow.topn_union(t.by_bytes),
			   netflow.topn_union(t.by_flows)
		FROM rollup_new_topn t GROUP BY 1, 2
		ON CONFLICT (hour, dimension) DO UPDATE
		SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
			by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));
		-- and into the days rolled up already
		INSERT INTO netflow.rollup_topn_day AS r
		SELECT date_trunc('day', t.minute), t.dimension, netflow.topn_union(t.by_bytes),
			   netflow.topn_union(t.by_flows)
		FROM rollup_new_topn t
		WHERE t.minute < (SELECT st.days_upto FROM netflow.rollup_state st)
		GROUP BY 1, 2
		ON CONFLICT (day, dimension) DO UPDATE
		SET by_bytes = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_bytes), (excluded.by_bytes)) v(s)),
			by_flows = (SELECT netflow.topn_union(s) FROM (VALUES (r.by_flows), (excluded.by_flows)) v(s));
	END IF;
	RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION netflow.top(dimension text, from_ts timestamptz, to_ts timestamptz,
							n integer DEFAULT 10, metric text DEFAULT 'bytes')
RETURNS TABLE (item text, weight bigint, error bigint)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 10
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- The raw parts are small (edges, the last minutes): starting parallel
-- workers for them costs more than it saves, and so does compiling them
-- (their estimated cost over a month of partitions passes jit_above_cost:
-- JIT took 100 to 250 ms of a 45 ms answer).
SET max_parallel_workers_per_gather = 0
SET jit = off
AS $$
DECLARE
	key		text;
	sp		record;
BEGIN
	SELECT d.key_expr INTO key FROM netflow.rollup_dimensions() d WHERE d.dimension = top.dimension;
	IF key IS NULL THEN
		RAISE EXCEPTION 'unknown dimension "%"', dimension
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The dimensions are: ' || (SELECT string_agg(d.dimension, ', ') FROM netflow.rollup_dimensions() d) || '.';
	END IF;
	IF metric IS NULL OR metric NOT IN ('bytes', 'flows') THEN
		RAISE EXCEPTION 'unknown metric "%"', metric
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The metrics are bytes and flows.';
	END IF;
	IF n IS NULL OR n < 0 THEN
		RAISE EXCEPTION 'number of items must not be negative or NULL: %', n
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Give n >= 0.';
	END IF;
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	sp := netflow.rollup_split(from_ts, to_ts, true, true);
	RETURN QUERY EXECUTE format($q$
		SELECT i.item, i.weight, i.error
		FROM netflow.topn_items((
			SELECT netflow.topn_union(u.s) FROM (
				SELECT d.%1$I AS s FROM netflow.rollup_topn_day d
				WHERE d.dimension = $1 AND d.day >= $11 AND d.day < $12
				UNION ALL
				SELECT h.%1$I FROM netflow.rollup_topn_hour h
				WHERE h.dimension = $1 AND h.hour >= $4 AND h.hour < $11
				UNION ALL
				SELECT h.%1$I FROM netflow.rollup_topn_hour h
				WHERE h.dimension = $1 AND h.hour >= $12 AND h.hour < $5
				UNION ALL
				SELECT m.%1$I FROM netflow.rollup_topn_minute m
				WHERE m.dimension = $1 AND m.minute >= $2 AND m.minute < $4
				UNION ALL
				SELECT m.%1$I FROM netflow.rollup_topn_minute m
				WHERE m.dimension = $1 AND m.minute >= $5 AND m.minute < $3
				UNION ALL
				SELECT netflow.topn(%2$s, %3$s, $9) FROM (
					SELECT * FROM netflow.flows f WHERE f.time_start >= $6 AND f.time_start < $2
					UNION ALL
					SELECT * FROM netflow.flows f WHERE f.time_start >= $3 AND f.time_start < $7
					UNION ALL
					SELECT * FROM netflow.flows f
					WHERE f.time_start >= $2 AND f.time_start < $3 AND f.time_received >= $8) AS f
			) AS u), $10) AS i$q$,
		'by_' || metric, key, CASE metric WHEN 'bytes' THEN 'coalesce(f.bytes, 0)' ELSE '1::bigint' END)
	USING dimension, sp.fa, sp.fb, sp.ha, sp.hb, from_ts, to_ts, sp.cut,
		  netflow.rollup_topn_capacity(), n, sp.da, sp.db;
END
$$;

-- The work of netflow.traffic (below): check the arguments, then return
-- the buckets of [from_ts, to_ts), except, for a per-minute series without
-- filters over materialized minutes that all have their row, a run of
-- stored minutes that netflow.traffic reads from rollup_minutes itself
-- (streamed to the client, not collected here).  That run is given by one
-- row whose counts are NULL: [bucket, stored_upto).
CREATE FUNCTION netflow.traffic_parts(from_ts timestamptz, to_ts timestamptz, step interval,
									  exporter inet, protocol integer, direction text)
RETURNS TABLE (bucket timestamptz, flows bigint, packets numeric, bytes numeric,
			   packets_upscaled numeric, bytes_upscaled numeric, stored_upto timestamptz)
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED ROWS 100
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
-- Small raw parts (no parallel workers); one hash entry per bucket (a
-- month of minutes is 43,200) without spilling to disk.
SET max_parallel_workers_per_gather = 0
SET work_mem = '64MB'
SET jit = off
AS $$
DECLARE
	step_s	numeric;
	filtered boolean := exporter IS NOT NULL OR protocol IS NOT NULL OR direction IS NOT NULL;
	sp		record;
	minute_src text;
	hour_src text;
	raw_src text;
	filt	text := 'true';
	dir		text;
	late_from timestamptz;
	l_minutes timestamptz[];
	l_flows bigint[];
	l_packets numeric[];
	l_bytes numeric[];
	l_packets_up numeric[];
	l_bytes_up numeric[];
	-- Raw flows per minute over [$1, $2), every minute listed.
	raw_minutes constant text := $r$
		SELECT g.b, coalesce(r.flows, 0), coalesce(r.packets, 0), coalesce(r.bytes, 0),
			   coalesce(r.packets_upscaled, 0), coalesce(r.bytes_upscaled, 0), NULL::timestamptz
		FROM generate_series(pg_catalog.date_trunc('minute', $1), $2 - interval '1 microsecond',
							 interval '1 minute') AS g(b)
		LEFT JOIN (
			SELECT pg_catalog.date_trunc('minute', f.time_start) AS b, count(*) AS flows,
				   sum(f.packets) AS packets, sum(f.bytes) AS bytes,
				   sum(f.packets::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END) AS packets_upscaled,
				   sum(f.bytes::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END) AS bytes_upscaled
			FROM netflow.flows f
			WHERE f.time_start >= $1 AND f.time_start < $2
			GROUP BY 1) AS r ON r.b = g.b
		ORDER BY g.b$r$;
BEGIN
	PERFORM netflow.rollup_check_range(from_ts, to_ts);
	step_s := extract(epoch FROM step);
	IF step IS NULL OR step_s <= 0 OR step_s % 60 <> 0
	   OR extract(month FROM step) <> 0 OR extract(year FROM step) <> 0 THEN
		RAISE EXCEPTION 'invalid step "%"', step
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The step must be a positive whole number of minutes (hours and days allowed, not months).';
	END IF;
	IF extract(epoch FROM to_ts - from_ts) / step_s > 1000000 THEN
		RAISE EXCEPTION 'too many buckets: [%, %) by %', from_ts, to_ts, step
			USING ERRCODE = 'program_limit_exceeded',
				  DETAIL = 'At most 1000000 buckets are returned.',
				  HINT = 'Use a larger step.';
	END IF;
	IF direction IS NOT NULL AND direction NOT IN ('outbound', 'inbound', 'internal', 'other') THEN
		RAISE EXCEPTION 'unknown direction "%"', direction
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'The directions are outbound, inbound, internal and other.';
	END IF;

	sp := netflow.rollup_split(from_ts, to_ts, step_s % 3600 = 0, filtered);

	-- Per minute, unfiltered, over materialized minutes that all have their
	-- row.  Maintenance writes a row for every minute it materializes, zeros
	-- included, but none for time that no partition covered, and retention
	-- deletes old rows: the count checks that [fa, fb) has them all (a few
	-- ms; the rest go the general way below).  Then the raw edges (a part
	-- minute before fa; a part minute, or the minutes not materialized yet,
	-- from fb) come from raw flows, and the stored minutes from the first
	-- that has flows received after the cut (usually the last few) with
	-- those flows added here; netflow.traffic reads the stored minutes
	-- before it, a month's 43,200 rows, in one ordered index scan.
	IF NOT filtered AND step_s = 60 AND sp.fb > sp.fa
	   AND (SELECT count(*) FROM netflow.rollup_minutes m WHERE m.minute >= sp.fa AND m.minute < sp.fb)
		   = extract(epoch FROM sp.fb - sp.fa)::bigint / 60 THEN
		IF from_ts < sp.fa THEN
			RETURN QUERY EXECUTE raw_minutes USING from_ts, sp.fa;
		END IF;
		EXECUTE $q$
			SELECT array_agg(l.minute ORDER BY l.minute), array_agg(l.flows ORDER BY l.minute),
				   array_agg(l.packets ORDER BY l.minute), array_agg(l.bytes ORDER BY l.minute),
				   array_agg(l.packets_upscaled ORDER BY l.minute), array_agg(l.bytes_upscaled ORDER BY l.minute)
			FROM (SELECT pg_catalog.date_trunc('minute', f.time_start) AS minute, count(*) AS flows,
						 coalesce(sum(f.packets), 0) AS packets, coalesce(sum(f.bytes), 0) AS bytes,
						 coalesce(sum(f.packets::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0) AS packets_upscaled,
						 coalesce(sum(f.bytes::numeric * CASE WHEN f.sampling_interval > 0 THEN f.sampling_interval ELSE 1 END), 0) AS bytes_upscaled
				  FROM netflow.flows f
				  WHERE f.time_start >= $1 AND f.time_start < $2 AND f.time_received >= $3
				  GROUP BY 1) AS l$q$
		INTO l_minutes, l_flows, l_packets, l_bytes, l_packets_up, l_bytes_up
		USING sp.fa, sp.fb, sp.cut;
		late_from := coalesce(l_minutes[1], sp.fb);
		IF late_from > sp.fa THEN
			bucket := sp.fa;
			stored_upto := late_from;
			RETURN NEXT;
			stored_upto := NULL;
		END IF;
		RETURN QUERY
			SELECT m.minute, m.flows + coalesce(l.flows, 0), m.packets + coalesce(l.packets, 0),
				   m.bytes + coalesce(l.bytes, 0), m.packets_upscaled + coalesce(l.packets_upscaled, 0),
				   m.bytes_upscaled + coalesce(l.bytes_upscaled, 0), NULL::timestamptz
			FROM netflow.rollup_minutes m
			LEFT JOIN unnest(l_minutes, l_flows, l_packets, l_bytes, l_packets_up, l_bytes_up)
				AS l(minute, flows, packets, bytes, packets_upscaled, bytes_upscaled) ON l.minute = m.minute
			WHERE m.minute >= late_from AND m.minute < sp.fb;
		IF sp.fb < to_ts THEN
			RETURN QUERY EXECUTE raw_minutes USING sp.fb, to_ts;
		END IF;
		RETURN;
	END IF;

	IF filtered THEN
		filt := '($11::inet IS NULL OR t.exporter = $11) AND ($12::integer IS NULL OR t.protocol = $12)
				 AND ($13::text IS NULL OR t.direction = $13)';
		minute_src := 'netflow.rollup_traffic_minute';
		hour_src := 'netflow.rollup_traffic_hour';
	ELSE
		minute_src := 'netflow.rollup_minutes';
		hour_src := 'netflow.rollup_hours';
	END IF;
	dir := CASE WHEN direction IS NULL THEN 'NULL::text'
			ELSE format($f$CASE WHEN %1$s THEN CASE WHEN %2$s THEN 'internal' ELSE 'outbound' END
						 WHEN %2$s THEN 'inbound' ELSE 'other' END$f$,
						netflow.internal_expr('f.src_addr'), netflow.internal_expr('f.dst_addr')) END;

	RETURN QUERY EXECUTE format($q$
		WITH parts AS (
			SELECT t.hour AS t, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %1$s t WHERE t.hour >= $4 AND t.hour < $5 AND %3$s
			UNION ALL
			SELECT t.minute, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %2$s t WHERE t.minute >= $2 AND t.minute < $4 AND %3$s
			UNION ALL
			SELECT t.minute, t.flows, t.packets, t.bytes, t.packets_upscaled, t.bytes_upscaled
			FROM %2$s t WHERE t.minute >= $5 AND t.minute < $3 AND %3$s
			UNION ALL
			SELECT pg_catalog.date_bin($8, t.time_start, $10), count(*), coalesce(sum(t.packets), 0),
				   coalesce(sum(t.bytes), 0),
				   coalesce(sum(t.packets::numeric * CASE WHEN t.sampling_interval > 0 THEN t.sampling_interval ELSE 1 END), 0),
				   coalesce(sum(t.bytes::numeric * CASE WHEN t.sampling_interval > 0 THEN t.sampling_interval ELSE 1 END), 0)
			FROM (SELECT f.time_start, f.exporter, f.protocol, f.packets, f.bytes, f.sampling_interval,
						 %4$s AS direction FROM (
					SELECT * FROM netflow.flows f WHERE f.time_start >= $6 AND f.time_start < $2
					UNION ALL
					SELECT * FROM netflow.flows f WHERE f.time_start >= $3 AND f.time_start < $7
					UNION ALL
					SELECT * FROM netflow.flows f
					WHERE f.time_start >= $2 AND f.time_start < $3 AND f.time_received >= $9) AS f) AS t
			WHERE %3$s
			GROUP BY 1
		), sums AS (
			SELECT pg_catalog.date_bin($8, p.t, $10) AS b, sum(p.flows) AS flows,
				   sum(p.packets) AS packets, sum(p.bytes) AS bytes,
				   sum(p.packets_upscaled) AS packets_upscaled, sum(p.bytes_upscaled) AS bytes_upscaled
			FROM parts p GROUP BY 1
		)
		SELECT g.b, coalesce(s.flows, 0)::bigint, coalesce(s.packets, 0),
			   coalesce(s.bytes, 0), coalesce(s.packets_upscaled, 0),
			   coalesce(s.bytes_upscaled, 0), NULL::timestamptz
		FROM generate_series(pg_catalog.date_bin($8, $6, $10), $7 - interval '1 microsecond', $8) AS g(b)
		LEFT JOIN sums s ON s.b = g.b
		ORDER BY g.b$q$,
		hour_src, minute_src, filt, dir)
	USING NULL::text, sp.fa, sp.fb, sp.ha, sp.hb, from_ts, to_ts, step, sp.cut,
		  timestamptz '2000-01-03 00:00:00+00', exporter, protocol, direction;
END
$$;
COMMENT ON FUNCTION netflow.traffic_parts(timestamptz, timestamptz, interval, inet, integer, text) IS
	'The buckets of netflow.traffic over [from_ts, to_ts) after checking the arguments, but for a run of stored minutes [bucket, stored_upto) given by a row with NULL counts, which netflow.traffic reads from rollup_minutes (internal)';
GRANT EXECUTE ON FUNCTION netflow.traffic_parts(timestamptz, timestamptz, interval, inet, integer, text)
	TO netflow_reader;

-- Traffic per bucket of width step over exactly [from_ts, to_ts), for
-- dashboards; optionally only one exporter, protocol or direction.  An SQL
-- function that PostgreSQL inlines into the calling query: a month of
-- stored minutes (43,200 rows) goes from an ordered index scan of
-- rollup_minutes straight to the client, without being collected in a
-- function's result first (which cost more than reading them); every check
-- and the rest of the answer come from netflow.traffic_parts, which runs
-- the raw parts without JIT or parallel workers (the index scan here costs
-- too little for JIT).  Inlining needs no SET clause: names and operators
-- are qualified and nothing here depends on the time zone.  The buckets
-- come in order: the three ordered branches of the UNION ALL (buckets
-- before the stored run, the run, buckets after it) are run one after the
-- other (a final ORDER BY would sort the 43,200 rows again: the planner
-- does not merge the branches).
CREATE OR REPLACE FUNCTION netflow.traffic(from_ts timestamptz, to_ts timestamptz,
								step interval DEFAULT '1 minute',
								exporter inet DEFAULT NULL, protocol integer DEFAULT NULL,
								direction text DEFAULT NULL)
RETURNS TABLE (bucket timestamptz, flows bigint, packets numeric, bytes numeric,
			   packets_upscaled numeric, bytes_upscaled numeric)
LANGUAGE sql STABLE PARALLEL RESTRICTED ROWS 1440
AS $$
	WITH p AS MATERIALIZED (
		SELECT * FROM netflow.traffic_parts(from_ts, to_ts, step, exporter, protocol, direction)),
	run AS MATERIALIZED (
		SELECT p.bucket AS lo, p.stored_upto AS hi FROM p WHERE p.stored_upto IS NOT NULL)
	(SELECT p.bucket, p.flows, p.packets, p.bytes, p.packets_upscaled, p.bytes_upscaled
	 FROM p
	 WHERE p.stored_upto IS NULL
	   AND p.bucket OPERATOR(pg_catalog.<) coalesce((SELECT run.lo FROM run), 'infinity')
	 ORDER BY p.bucket)
	UNION ALL
	(SELECT m.minute, m.flows, m.packets, m.bytes, m.packets_upscaled, m.bytes_upscaled
	 FROM netflow.rollup_minutes m
	 WHERE m.minute OPERATOR(pg_catalog.>=) (SELECT run.lo FROM run)
	   AND m.minute OPERATOR(pg_catalog.<) (SELECT run.hi FROM run)
	 ORDER BY m.minute)
	UNION ALL
	(SELECT p.bucket, p.flows, p.packets, p.bytes, p.packets_upscaled, p.bytes_upscaled
	 FROM p
	 WHERE p.stored_upto IS NULL AND p.bucket OPERATOR(pg_catalog.>=) (SELECT run.lo FROM run)
	 ORDER BY p.bucket)
$$;
