-- 50_maintenance.sql: partition life cycle of netflow.flows -- partitions
-- made ahead of time (premake), retention (dropping old partitions without
-- stalling ingest), the policy for flows outside the time window, the
-- maintenance log and the netflow.partitions view.  See docs/operations.md.
--
-- Builds on 10_flows.sql: netflow.config / config_get, partition_interval(),
-- partition_bounds(), flows_partitions() and create_partitions().

------------------------------------------------------------------------
-- Settings (rows in netflow.config, kept by pg_dump; defaults below)
------------------------------------------------------------------------

INSERT INTO netflow.config_defaults (key, value, description) VALUES
	('premake', '4',
	 'Number of netflow.flows partitions kept ready after the one containing now (0-1000)'),
	('retention', '0',
	 'Partitions whose whole range is older than now minus this interval are dropped by maintenance; 0 keeps everything'),
	('future_tolerance', '1 day',
	 'Flows starting later than now plus this interval (or after the premade partitions, whichever is later) go to netflow.flows_future'),
	('forget_exporters_after', '30 days',
	 'Maintenance deletes the saved sequence state, templates and sampling rates of exporter streams not heard from for this long; 0 keeps them forever'),
	('past_tolerance', '1 day',
	 'The collector creates partitions for flows starting up to this long before now (and no earlier than the retention); older flows with no partition go to netflow.flows_past');

-- The maintenance settings, parsed and validated.
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

------------------------------------------------------------------------
-- Bookkeeping: counters, log, far-future flows
------------------------------------------------------------------------

CREATE TABLE netflow.window_counters (
	counter		text PRIMARY KEY,
	value		bigint NOT NULL DEFAULT 0,
	updated		timestamptz,
	description text NOT NULL
);
COMMENT ON TABLE netflow.window_counters IS
	'Counters of flows that arrived outside the time window (late, far future) and what became of them';
COMMENT ON COLUMN netflow.window_counters.counter IS 'Counter name (late_flows, future_flows, ...)';
COMMENT ON COLUMN netflow.window_counters.value IS 'Count since the extension was created (transactional: rolled back with its batch)';
COMMENT ON COLUMN netflow.window_counters.updated IS 'When the counter last changed; NULL if never';
COMMENT ON COLUMN netflow.window_counters.description IS 'What the counter counts';
INSERT INTO netflow.window_counters (counter, description) VALUES
	('late_flows', 'Flows older than the retention when they arrived that found their partition: stored there, then dropped by the next maintenance run'),
	('future_flows', 'Flows starting too far in the future: stored in netflow.flows_future instead of netflow.flows'),
	('future_flows_moved', 'Rows moved from netflow.flows_future into netflow.flows once their time came within the window'),
	('future_flows_purged', 'Rows deleted from netflow.flows_future because they were received longer ago than the retention'),
	('partitions_on_demand', 'Partitions created by the collector''s routing for flows outside the premade ones (at most 4 per flush, only within the window)'),
	('unpartitioned_flows', 'Flows within the window that found no partition able to take them (the per-flush limit of new partitions was reached, the range or name is taken, or the partition is being detached or is a foreign table without a handler): stored in netflow.flows_past (started before now) or netflow.flows_future'),
	('past_flows', 'Flows starting before the window (now minus past_tolerance, or the retention) whose partition does not exist: stored in netflow.flows_past instead of netflow.flows'),
	('past_flows_moved', 'Rows moved from netflow.flows_past into netflow.flows once a partition for them existed or could be made'),
	('past_flows_purged', 'Rows deleted from netflow.flows_past because they were received longer ago than the retention');

-- Add n to a window counter.
CREATE FUNCTION netflow.window_count(name text, n bigint)
RETURNS void
LANGUAGE sql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	UPDATE netflow.window_counters
	SET value = value + n, updated = clock_timestamp()
	WHERE counter = name AND n <> 0
$$;
COMMENT ON FUNCTION netflow.window_count(text, bigint) IS
	'Add n to the window counter name (internal)';
REVOKE ALL ON FUNCTION netflow.window_count(text, bigint) FROM PUBLIC;

CREATE TABLE netflow.flows_future (LIKE netflow.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
COMMENT ON TABLE netflow.flows_future IS
	'Flows whose time_start was too far in the future when they arrived (exporter clock wrong); moved to netflow.flows by maintenance once within the window, purged by retention on time_received';
SELECT pg_catalog.pg_extension_config_dump('netflow.flows_future', '');

CREATE TABLE netflow.flows_past (LIKE netflow.flows INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
COMMENT ON TABLE netflow.flows_past IS
	'Flows that found no partition of netflow.flows able to take them and started before now (older than the window, or in it when no partition could be made); moved to netflow.flows by maintenance once a partition exists for them, purged by retention on time_received';
SELECT pg_catalog.pg_extension_config_dump('netflow.flows_past', '');
-- Their columns carry the column comments of netflow.flows.
DO $$
DECLARE
	r		record;
	t		text;
BEGIN
	FOREACH t IN ARRAY ARRAY['flows_future', 'flows_past'] LOOP
		FOR r IN
			SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
			FROM pg_catalog.pg_attribute a
			WHERE a.attrelid = 'netflow.flows'::pg_catalog.regclass
			  AND a.attnum > 0 AND NOT a.attisdropped
		LOOP
			EXECUTE pg_catalog.format('COMMENT ON COLUMN netflow.%I.%I IS %L',
									  t, r.attname, r.comment);
		END LOOP;
	END LOOP;
END
$$;

CREATE TABLE netflow.maintenance_log (
	started		timestamptz NOT NULL,
	finished	timestamptz,
	as_of		timestamptz,
	status		text NOT NULL,
	created		integer NOT NULL DEFAULT 0,
	dropped		integer NOT NULL DEFAULT 0,
	deferred	integer NOT NULL DEFAULT 0,
	moved		bigint NOT NULL DEFAULT 0,
	errors		integer NOT NULL DEFAULT 0,
	detail		text
);
COMMENT ON TABLE netflow.maintenance_log IS
	'One row per partition maintenance run (last 30 days): when, what it did, status ok/deferred/skipped/error';
COMMENT ON COLUMN netflow.maintenance_log.started IS 'Wall-clock start of the run';
COMMENT ON COLUMN netflow.maintenance_log.finished IS 'Wall-clock end of the run';
COMMENT ON COLUMN netflow.maintenance_log.as_of IS 'The "now" the run worked against: now() of its transaction, or the time given to run_maintenance(timestamptz); NULL for a run that failed before it started';
COMMENT ON COLUMN netflow.maintenance_log.status IS 'ok, deferred (some drop must wait for the next run), skipped (another run in progress) or error';
COMMENT ON COLUMN netflow.maintenance_log.created IS 'Partitions created';
COMMENT ON COLUMN netflow.maintenance_log.dropped IS 'Partitions dropped';
COMMENT ON COLUMN netflow.maintenance_log.deferred IS 'Actions deferred to the next run because a lock was not available';
COMMENT ON COLUMN netflow.maintenance_log.moved IS 'Rows moved from netflow.flows_future and netflow.flows_past into netflow.flows';
COMMENT ON COLUMN netflow.maintenance_log.errors IS 'Steps that failed (see detail and the server log)';
COMMENT ON COLUMN netflow.maintenance_log.detail IS 'Error messages, if any';
CREATE INDEX maintenance_log_started ON netflow.maintenance_log (started);
COMMENT ON INDEX netflow.maintenance_log_started IS 'Finds the last runs and the rows to prune';

------------------------------------------------------------------------
-- Which partitions retention drops
------------------------------------------------------------------------

-- Partitions whose whole range ends at or before now - older_than, except
-- the newest partition, which is never dropped.
CREATE FUNCTION netflow.retention_candidates(older_than interval,
											 now timestamptz DEFAULT now())
RETURNS TABLE (partition regclass, lower timestamptz, upper timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
	WITH p AS (SELECT * FROM netflow.flows_partitions())
	SELECT p.partition, p.lower, p.upper
	FROM p
	WHERE older_than > interval '0'
	  AND p.upper <= now - older_than
	  AND p.upper < (SELECT max(q.upper) FROM p q)
	ORDER BY p.lower
$$;
COMMENT ON FUNCTION netflow.retention_candidates(interval, timestamptz) IS
	'Partitions of netflow.flows wholly older than now - older_than (upper bound <= now - older_than), never the newest one; none when older_than is 0';

------------------------------------------------------------------------
-- Locking without stalling ingest
------------------------------------------------------------------------

-- Take a lock on netflow.flows (ACCESS EXCLUSIVE to drop a partition,
-- SHARE UPDATE EXCLUSIVE to attach one) with a short lock_timeout, retrying
-- a few times with a pause in between; false when it stayed unavailable.
-- On success the lock is held until the end of the transaction.
CREATE FUNCTION netflow.lock_flows_briefly(lock_timeout text, attempts integer DEFAULT 3,
										   mode text DEFAULT 'ACCESS EXCLUSIVE')
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	old_timeout text := current_setting('lock_timeout');
BEGIN
	IF mode NOT IN ('ACCESS EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE') THEN
		RAISE EXCEPTION 'unsupported lock mode "%"', mode
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'Maintenance takes ACCESS EXCLUSIVE or SHARE UPDATE EXCLUSIVE.';
	END IF;
	FOR attempt IN 1 .. greatest(attempts, 1) LOOP
		BEGIN
			PERFORM set_config('lock_timeout', lock_timeout, true);
			EXECUTE format('LOCK TABLE netflow.flows IN %s MODE', mode);
			PERFORM set_config('lock_timeout', old_timeout, true);
			RETURN true;
		EXCEPTION WHEN lock_not_available THEN
			-- The subtransaction is gone, and with it our place in the lock
			-- queue: inserts waiting behind us proceed during the pause.
			RAISE LOG 'netflow maintenance: lock on netflow.flows not available (attempt % of %)',
				attempt, attempts;
			IF attempt < attempts THEN
				PERFORM pg_sleep(0.1 * attempt);
			END IF;
		END;
	END LOOP;
	RETURN false;
END
$$;
COMMENT ON FUNCTION netflow.lock_flows_briefly(text, integer, text) IS
	'Lock netflow.flows in the given mode waiting at most lock_timeout per attempt; false when not obtained (internal)';
REVOKE ALL ON FUNCTION netflow.lock_flows_briefly(text, integer, text) FROM PUBLIC;

------------------------------------------------------------------------
-- Partitions for flows outside the premade window
------------------------------------------------------------------------

-- Where flows may go, as of now: the collector creates partitions for
-- flows starting in [past_from, future_from) only.
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

-- Partitions of netflow.flows that can take rows now: not being detached
-- (DETACH PARTITION CONCURRENTLY left pending) and not a foreign table of a
-- wrapper without a handler.
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

-- Make partitions for the given times within the window [past_from,
-- future_from); returns, per element, whether a partition of netflow.flows
-- able to take rows holds it (whatever its time).
CREATE FUNCTION netflow.make_partitions_for(times timestamptz[], now timestamptz)
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

-- The routing policy of the collector, as of now: per flow start time, 0
-- (netflow.flows: a partition able to take rows holds it, made now if it
-- is within the window and fewer than 4 were made by this call), 1
-- (netflow.flows_future) or 2 (netflow.flows_past).  Counts in
-- netflow.window_counters.
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

-- The collector's routing call for the flows of a flush whose partition it
-- does not know (route_times as of now(), as the extension owner).
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

-- Routing as in 0.1, kept for callers of that version: true when the flow
-- goes to netflow.flows, false when it goes to one of the stores
-- (netflow.flows_future, or netflow.flows_past for a time before now).
CREATE FUNCTION netflow.ensure_partitions_for(times timestamptz[],
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

------------------------------------------------------------------------
-- Maintenance
------------------------------------------------------------------------

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

-- The retention step: drop the partitions wholly older than now -
-- older_than (never the newest), locking netflow.flows briefly; when the
-- lock is not available the drops are deferred to the next run.
CREATE FUNCTION netflow.drop_partitions(older_than interval,
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

-- One maintenance run as of a given time: premake partitions, purge and
-- move the flows kept outside the window (flows_future, flows_past), drop
-- partitions past the retention; logs itself in
-- netflow.maintenance_log.  Every step runs in its own subtransaction: a
-- failing step is reported (action 'error') and the others still run.
-- SECURITY INVOKER and for the owner of netflow.flows only: choosing the
-- time chooses what is old.  Everyone else calls run_maintenance().
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
	'One maintenance run as of the given time (tests, "what would happen on Friday"; owner of netflow.flows only): create the premake partitions ahead (a partition that cannot be made is an error), purge/move the flows of netflow.flows_future and netflow.flows_past, forget the saved state of exporters silent past forget_exporters_after, bring the rollups up to date, run the detections (netflow.alerts), compress the oldest partition older than compress_after and delete orphan compressed batches, drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
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

------------------------------------------------------------------------
-- Visibility
------------------------------------------------------------------------

CREATE VIEW netflow.partitions AS
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
