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
	 'Maintenance deletes the saved sequence state, templates and sampling rates of exporter streams not heard from for this long; 0 keeps them forever');

-- The maintenance settings, parsed and validated.
CREATE FUNCTION netflow.maintenance_settings(OUT partition_interval interval,
											 OUT premake integer,
											 OUT retention interval,
											 OUT future_tolerance interval,
											 OUT forget_exporters_after interval,
											 OUT lock_timeout text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	k		text;
	v		text;
BEGIN
	partition_interval := netflow.partition_interval();
	FOREACH k IN ARRAY ARRAY['premake', 'retention', 'future_tolerance',
							 'forget_exporters_after'] LOOP
		v := netflow.config_get(k);
		BEGIN
			CASE k
				WHEN 'premake' THEN premake := v::integer;
				WHEN 'retention' THEN retention := v::interval;
				WHEN 'future_tolerance' THEN future_tolerance := v::interval;
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
	'Effective maintenance settings (partition_interval, premake, retention, future_tolerance, forget_exporters_after from netflow.config; lock_timeout from the GUC netflow.maintenance_lock_timeout), validated';

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
INSERT INTO netflow.window_counters (counter, description) VALUES
	('late_flows', 'Flows older than the retention when they arrived: stored, then dropped by the next maintenance run'),
	('future_flows', 'Flows starting too far in the future: stored in netflow.flows_future instead of netflow.flows'),
	('future_flows_moved', 'Rows moved from netflow.flows_future into netflow.flows once their time came within the window'),
	('future_flows_purged', 'Rows deleted from netflow.flows_future because they were received longer ago than the retention'),
	('partitions_on_demand', 'Partitions created by ensure_partitions_for for flows outside the premade ones'),
	('unpartitioned_flows', 'Flows within the window whose partition could not be made (its range overlaps partitions of another interval): stored in netflow.flows_future');

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
COMMENT ON COLUMN netflow.maintenance_log.as_of IS 'The "now" the run worked against (its now argument)';
COMMENT ON COLUMN netflow.maintenance_log.status IS 'ok, deferred (some drop must wait for the next run), skipped (another run in progress) or error';
COMMENT ON COLUMN netflow.maintenance_log.created IS 'Partitions created';
COMMENT ON COLUMN netflow.maintenance_log.dropped IS 'Partitions dropped';
COMMENT ON COLUMN netflow.maintenance_log.deferred IS 'Actions deferred to the next run because a lock was not available';
COMMENT ON COLUMN netflow.maintenance_log.moved IS 'Rows moved from netflow.flows_future into netflow.flows';
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

-- Where flows may go, as of now: accepted below future_limit.
CREATE FUNCTION netflow.ingest_window(now timestamptz DEFAULT now(),
									  OUT late_before timestamptz,
									  OUT future_from timestamptz)
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
END
$$;
COMMENT ON FUNCTION netflow.ingest_window(timestamptz) IS
	'Time window for incoming flows: time_start < late_before counts as late (stored, dropped by the next maintenance run); time_start >= future_from goes to netflow.flows_future';

-- Make partitions for the given times (below the future limit); returns,
-- per element, whether a partition of netflow.flows now holds it.
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
	-- Buckets of the accepted times that no partition covers yet.
	SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
	INTO lowers, uppers
	FROM netflow.flows_partitions() p;

	FOR ranges IN
		SELECT DISTINCT b.lower, b.upper
		FROM unnest(times) AS u(t),
			 LATERAL netflow.partition_bounds(u.t, step) AS b
		WHERE isfinite(u.t) AND u.t < w.future_from
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
		SELECT coalesce(array_agg(p.lower), '{}'), coalesce(array_agg(p.upper), '{}')
		INTO lowers, uppers
		FROM netflow.flows_partitions() p;
	END IF;

	SELECT array_agg(CASE
						 WHEN t IS NULL THEN NULL
						 ELSE isfinite(t) AND t < w.future_from
							  AND EXISTS (SELECT 1 FROM unnest(lowers, uppers) AS p(lo, hi)
										  WHERE t >= p.lo AND t < p.hi)
					 END ORDER BY i)
	INTO result
	FROM unnest(times) WITH ORDINALITY AS u(t, i);
	RETURN coalesce(result, '{}');
END
$$;
COMMENT ON FUNCTION netflow.make_partitions_for(timestamptz[], timestamptz) IS
	'Create the missing netflow.flows partitions for the given flow start times below the future limit; per element, true when a partition holds it (internal, no counting)';
REVOKE ALL ON FUNCTION netflow.make_partitions_for(timestamptz[], timestamptz) FROM PUBLIC;

-- The collector's routing call for flows outside its cached window: makes
-- the partitions they need, counts late and future flows, and tells, per
-- flow, whether it goes to netflow.flows (true) or netflow.flows_future
-- (false).
CREATE FUNCTION netflow.ensure_partitions_for(times timestamptz[],
											  now timestamptz DEFAULT now())
RETURNS boolean[]
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	w		record := netflow.ingest_window(now);
	result	boolean[] := netflow.make_partitions_for(times, now);
	late	bigint;
	future	bigint;
	unpartitioned bigint;
BEGIN
	SELECT count(*) FILTER (WHERE ok AND t < w.late_before),
		   count(*) FILTER (WHERE NOT ok AND (NOT isfinite(t) OR t >= w.future_from)),
		   count(*) FILTER (WHERE NOT ok AND isfinite(t) AND t < w.future_from)
	INTO late, future, unpartitioned
	FROM unnest(times, result) AS u(t, ok);
	PERFORM netflow.window_count('late_flows', late);
	PERFORM netflow.window_count('future_flows', future);
	PERFORM netflow.window_count('unpartitioned_flows', unpartitioned);
	RETURN result;
END
$$;
COMMENT ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz) IS
	'Routing for flows outside the premade partitions: creates the partitions the given start times need (late ones included), counts late and far-future flows; per element true = insert into netflow.flows, false = insert into netflow.flows_future';
REVOKE ALL ON FUNCTION netflow.ensure_partitions_for(timestamptz[], timestamptz) FROM PUBLIC;

------------------------------------------------------------------------
-- Maintenance
------------------------------------------------------------------------

-- The retention step: drop the partitions wholly older than now -
-- older_than (never the newest), locking netflow.flows briefly; when the
-- lock is not available the drops are deferred to the next run.
CREATE FUNCTION netflow.drop_partitions(older_than interval,
										now timestamptz DEFAULT now())
RETURNS TABLE (action text, partition text, lower timestamptz,
			   upper timestamptz, detail text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE STRICT
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
	s		record := netflow.maintenance_settings();
	c		record;
	locked	boolean;
	old_timeout text := current_setting('lock_timeout');
BEGIN
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
	'Retention step alone: drop the netflow.flows partitions wholly older than now - older_than (never the newest); a drop that cannot get its lock within netflow.maintenance_lock_timeout (3 attempts) is reported deferred';
REVOKE ALL ON FUNCTION netflow.drop_partitions(interval, timestamptz) FROM PUBLIC;

-- One maintenance run: premake partitions, purge and move far-future
-- flows, drop partitions past the retention; logs itself in
-- netflow.maintenance_log.  Every step runs in its own subtransaction: a
-- failing step is reported (action 'error') and the others still run.
CREATE FUNCTION netflow.run_maintenance(now timestamptz DEFAULT now())
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
	v_status	text;
	rollups_ok	boolean := true;
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

	-- 2. Far-future flows: purge the ones received before the retention,
	-- move the ones whose time has come into netflow.flows.
	BEGIN
		IF s.retention > interval '0' THEN
			DELETE FROM netflow.flows_future f WHERE f.time_received < now - s.retention;
			GET DIAGNOSTICS n = ROW_COUNT;
			IF n > 0 THEN
				PERFORM netflow.window_count('future_flows_purged', n);
				action := 'purged';
				partition := 'netflow.flows_future';
				lower := NULL;
				upper := now - s.retention;
				detail := format('%s rows received before the retention', n);
				RAISE LOG 'netflow maintenance: %', detail;
				RETURN NEXT;
			END IF;
		END IF;

		SELECT array_agg(DISTINCT f.time_start) INTO ts
		FROM netflow.flows_future f
		WHERE f.time_start < w.future_from;
		IF ts IS NOT NULL THEN
			PERFORM set_config('lock_timeout', s.lock_timeout, true);
			ok := netflow.make_partitions_for(ts, now);
			PERFORM set_config('lock_timeout', old_timeout, true);
			WITH moved AS (
				DELETE FROM netflow.flows_future f
				WHERE f.time_start IN (SELECT u.t FROM unnest(ts, ok) AS u(t, k) WHERE u.k)
				RETURNING f.*
			)
			INSERT INTO netflow.flows SELECT * FROM moved;
			GET DIAGNOSTICS n_moved = ROW_COUNT;
			IF n_moved > 0 THEN
				PERFORM netflow.window_count('future_flows_moved', n_moved);
				action := 'moved';
				partition := 'netflow.flows_future';
				lower := NULL;
				upper := w.future_from;
				detail := format('%s rows now within the window moved to netflow.flows', n_moved);
				RAISE LOG 'netflow maintenance: %', detail;
				RETURN NEXT;
			END IF;
		END IF;
	EXCEPTION
		WHEN lock_not_available THEN
			action := 'deferred';
			partition := 'netflow.flows_future';
			lower := NULL;
			upper := NULL;
			detail := 'moving future flows: netflow.flows busy; retry next run';
			RAISE NOTICE 'netflow maintenance: %', detail;
			n_deferred := n_deferred + 1;
			n_moved := 0;
			RETURN NEXT;
		WHEN OTHERS THEN
			action := 'error';
			partition := 'netflow.flows_future';
			lower := NULL;
			upper := NULL;
			detail := 'future flows: ' || SQLERRM;
			RAISE WARNING 'netflow maintenance: %', detail;
			n_errors := n_errors + 1;
			n_moved := 0;
			errs := errs || detail;
			RETURN NEXT;
	END;

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
	'One maintenance run as of now: create the premake partitions ahead, purge/move far-future flows, forget the saved state of exporters silent past forget_exporters_after, bring the rollups up to date, run the detections (netflow.alerts), drop partitions past the retention; returns what it did and logs to netflow.maintenance_log; skipped when another run is in progress';
REVOKE ALL ON FUNCTION netflow.run_maintenance(timestamptz) FROM PUBLIC;

------------------------------------------------------------------------
-- Visibility
------------------------------------------------------------------------

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
