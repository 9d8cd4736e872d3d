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
COMMENT ON FUNCTION netflow.top(text, timestamptz, timestamptz, integer, text) IS
	'The n heaviest items of a dimension (netflow.rollup_dimensions) by bytes or flows over exactly [from_ts, to_ts): hourly rollups for whole hours, minute rollups at the edges, raw flows for the rest; weight - error <= true weight <= weight, except that a weight at the bigint maximum is saturated (at least weight - error)';

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
CREATE FUNCTION netflow.traffic(from_ts timestamptz, to_ts timestamptz,
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
COMMENT ON FUNCTION netflow.traffic(timestamptz, timestamptz, interval, inet, integer, text) IS
	'Flows, packets and bytes (as exported and upscaled by sampling) per bucket of width step (whole minutes, aligned in UTC from 2000-01-03) over exactly [from_ts, to_ts), every bucket listed; optionally one exporter, protocol or direction (outbound, inbound, internal, other); from the rollups and raw flows; packets and bytes are numeric, exact beyond bigint';

GRANT SELECT ON netflow.rollup_state, netflow.rollup_minutes, netflow.rollup_hours,
	netflow.rollup_traffic_minute, netflow.rollup_traffic_hour,
	netflow.rollup_topn_minute, netflow.rollup_topn_hour, netflow.rollup_topn_day TO netflow_reader;
GRANT EXECUTE ON FUNCTION netflow.rollup_topn_capacity(), netflow.rollup_dimensions(),
	netflow.rollup_split(timestamptz, timestamptz, boolean, boolean),
	netflow.rollup_check_range(timestamptz, timestamptz),
	netflow.top(text, timestamptz, timestamptz, integer, text),
	netflow.traffic_parts(timestamptz, timestamptz, interval, inet, integer, text),
	netflow.traffic(timestamptz, timestamptz, interval, inet, integer, text)
	TO netflow_reader;
