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
	max(c.value) FILTER (WHERE c.counter = 'state_not_loaded') AS state_not_loaded
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
	'Create the missing netflow.flows partitions covering [from_ts, to_ts) with the configured partition_interval (at most 1000 per call), each with a BRIN index on time_start (autosummarize on), by CREATE TABLE and ATTACH PARTITION (SHARE UPDATE EXCLUSIVE on netflow.flows); the parts of a range that existing partitions leave uncovered get partitions of their own; returns the partitions created';

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

CREATE OR REPLACE FUNCTION netflow.run_maintenance(now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
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
BEGIN
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

	-- 4. Retention, last: once a partition is dropped netflow.flows stays
	-- locked until commit, so nothing slow may follow.
	BEGIN
		FOR r IN SELECT * FROM netflow.drop_partitions(s.retention, now) LOOP
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
	'One maintenance run as of now: create the premake partitions ahead (a partition that cannot be made is an error), purge/move the flows of netflow.flows_future and netflow.flows_past, forget the saved state of exporters silent past forget_exporters_after, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
REVOKE ALL ON FUNCTION netflow.run_maintenance(timestamptz) FROM PUBLIC;

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

	-- 4. Retention, last: once a partition is dropped netflow.flows stays
	-- locked until commit, so nothing slow may follow.
	BEGIN
		FOR r IN SELECT * FROM netflow.drop_partitions(s.retention, now) LOOP
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
