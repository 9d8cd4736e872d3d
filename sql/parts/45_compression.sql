-- 45_compression.sql: compressed partitions of netflow.flows (issue 11).
-- The table access method netflow_compressed (src/storage/): a heap, the
-- "tail" where rows inserted after compression go, plus compressed column
-- batches stored as rows of netflow.compressed_batches.  compress_partition
-- and decompress_partition convert a partition in place; maintenance
-- compresses partitions older than compress_after.  See docs/design.md
-- ("Compressed partitions"), docs/operations.md and docs/formats.md.

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
