-- 80_citus.sql: scale-out on Citus (docs/scale-out.md).  netflow.distribute()
-- makes netflow.flows and its two stores Citus distributed tables; the
-- collector then inserts through Citus's routing (src/collector/flow_insert.c)
-- and maintenance runs on the coordinator only.  Citus is optional: nothing
-- here needs it until netflow.distribute() is called.

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
