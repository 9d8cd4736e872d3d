/*-------------------------------------------------------------------------
 *
 * flow_insert.c
 *	  Bulk insertion of decoded flows into netflow.flows.
 *
 * This follows what COPY FROM does for a partitioned table: one EState
 * with a ResultRelInfo for netflow.flows, partition tuple routing, one
 * multi-insert buffer per leaf partition flushed with table_multi_insert()
 * every NF_PART_BUFFER_ROWS rows (and at the end), then index insertion
 * for the buffered tuples.  Everything runs in the caller's transaction
 * and memory context; any error propagates so that the caller can abort
 * and retry the whole batch.
 *
 * Row triggers and row-level security on netflow.flows are not applied
 * (COPY would switch to its row-at-a-time path for them); CHECK and NOT
 * NULL constraints are.  A partition that is a foreign table gets its rows
 * one at a time through the wrapper's ExecForeignInsert, as COPY does (a
 * wrapper that cannot insert makes the routing ERROR: the caller diverts
 * those rows, see inserter.c).  Which partitions the collector may create
 * on its own is decided by netflow.route_flows() (nf_route_flows below).
 *
 * Citus: when a destination table is a Citus table (netflow.distribute(),
 * docs/scale-out.md), the local relation is only a shell and rows written
 * into it with table_multi_insert() would never be seen; such a table gets
 * its rows through SQL instead, one INSERT ... SELECT FROM ROWS FROM
 * (unnest(), ...) of one array per column for the whole batch, which Citus routes to the shards
 * (insert_through_citus).  Whether Citus is there, which tables it owns and
 * whether this node is a Citus worker is looked up once per transaction
 * (nf_citus_layout); without the citus extension that costs one catalog
 * lookup per flush.  On a Citus worker node a destination table Citus does
 * not know would keep its rows on that node only: the layout is refused
 * (nf_citus_refusal) and the inserter drops the batch, counted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/tupconvert.h"
#include "access/xact.h"
#include "commands/extension.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "catalog/pg_type_d.h"
#include "executor/execPartition.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "foreign/fdwapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parsetree.h"
#include "storage/proc.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "collector.h"
#include "flow_insert.h"
#include "flow_tuple.h"

/* Rows buffered per partition before table_multi_insert(). */
#define NF_PART_BUFFER_ROWS 1000

/* Hours remembered as having a partition, before the cache is cleared. */
#define NF_MAX_KNOWN_HOURS	100000

#define NF_HOUR_US			INT64CONST(3600000000)

/* The hour cache is rebuilt at least this often (ms). */
#define NF_PARTITION_CACHE_MS 60000

/* Multi-insert buffer of one leaf partition. */
typedef struct NfPartBuffer
{
	ResultRelInfo *rri;
	TupleTableSlot *slots[NF_PART_BUFFER_ROWS];
	int			nused;
	BulkInsertState bistate;
} NfPartBuffer;

/*
 * The Citus layout of the destination tables, valid for the transaction
 * citus_lxid: citus_table[dest] when Citus owns the table (rows go through
 * SQL), citus_worker when this node is a Citus worker (group > 0), and the
 * reason the layout cannot be written ("" when it can).
 */
static LocalTransactionId citus_lxid = InvalidLocalTransactionId;
static bool citus_table[NF_DEST_DROPPED];
static bool citus_installed = false;
static bool citus_worker = false;
static char citus_refusal[512];

/* Hours (time_start / 1 h) known to have a partition. */
static HTAB *known_hours = NULL;
static int64 known_hours_since_us = 0;

/* Floor of us / NF_HOUR_US, also for times before 1970. */
static int64
hour_of(int64 us)
{
	int64		h = us / NF_HOUR_US;

	if (us % NF_HOUR_US < 0)
		h--;
	return h;
}

/* Forget which hours have partitions (after a failure or a restart). */
void
nf_forget_partitions(void)
{
	if (known_hours)
		hash_destroy(known_hours);
	known_hours = NULL;
}

/* Table name of a destination. */
const char *
nf_dest_table(uint8 dest)
{
	switch (dest)
	{
		case NF_DEST_FLOWS:
			return "flows";
		case NF_DEST_FUTURE:
			return "flows_future";
		case NF_DEST_PAST:
			return "flows_past";
	}
	return NULL;
}

/* Does netflow.<relname> exist (a 0.1 schema has no flows_past)? */
static bool
netflow_rel_exists(const char *relname)
{
	Oid			nsp = get_namespace_oid("netflow", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(relname, nsp));
}

/*
 * Does netflow.<name>(argtype) exist, or with with_now, the 0.1 form
 * netflow.<name>(argtype, timestamptz)?  (LookupFuncName matches the
 * declared arguments, defaults included.)
 */
static bool
netflow_func_exists(const char *name, Oid argtype, bool with_now)
{
	Oid			argtypes[2] = {argtype, TIMESTAMPTZOID};

	return OidIsValid(LookupFuncName(list_make2(makeString("netflow"),
												makeString(pstrdup(name))),
									 with_now ? 2 : 1, argtypes, true));
}

/* The store for a flow starting at time_start, given now and whether flows_past exists. */
static inline uint8
store_for(int64 time_start, int64 now_us, bool have_past)
{
	return (have_past && time_start < now_us) ? NF_DEST_PAST : NF_DEST_FUTURE;
}

/* The store for a flow no partition takes (see flow_insert.h). */
uint8
nf_store_for(int64 time_start)
{
	return store_for(time_start, nf_now_us(), netflow_rel_exists("flows_past"));
}

/*
 * Ask the database where the flows idx[0..m) go (netflow.route_flows, or
 * netflow.ensure_partitions_for of a 0.1 schema, whose false means
 * flows_future), creating the partitions it allows.
 */
static void
route_by_sql(const nf_flow_record *flows, const int *idx, int m, uint8 *dest,
			 bool have_route)
{
	Datum	   *times = palloc(sizeof(Datum) * m);
	ArrayType  *arr;
	Oid			argtypes[1] = {TIMESTAMPTZARRAYOID};
	Datum		args[1];
	Datum		res;
	bool		isnull;
	Datum	   *elems;
	bool	   *enulls;
	int			nelems;
	int			rc;
	int			i;

	for (i = 0; i < m; i++)
		times[i] = TimestampTzGetDatum(nf_us_to_timestamptz(flows[idx[i]].time_start));
	arr = construct_array(times, m, TIMESTAMPTZOID, sizeof(TimestampTz),
						  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	args[0] = PointerGetDatum(arr);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(have_route ?
							   "SELECT netflow.route_flows($1)" :
							   "SELECT netflow.ensure_partitions_for($1)",
							   1, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "netflow routing failed: %s", SPI_result_code_string(rc));
	res = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "netflow routing returned NULL");
	if (have_route)
		deconstruct_array(DatumGetArrayTypeP(res), INT2OID, 2, true, TYPALIGN_SHORT,
						  &elems, &enulls, &nelems);
	else
		deconstruct_array(DatumGetArrayTypeP(res), BOOLOID, 1, true, TYPALIGN_CHAR,
						  &elems, &enulls, &nelems);
	if (nelems != m)
		elog(ERROR, "netflow routing returned %d elements for %d times", nelems, m);
	for (i = 0; i < m; i++)
	{
		uint8		d;

		if (enulls[i])
			d = NF_DEST_FUTURE;
		else if (have_route)
		{
			int16		v = DatumGetInt16(elems[i]);

			d = (v == NF_DEST_FLOWS || v == NF_DEST_PAST) ? (uint8) v : NF_DEST_FUTURE;
		}
		else
			d = DatumGetBool(elems[i]) ? NF_DEST_FLOWS : NF_DEST_FUTURE;
		dest[idx[i]] = d;
		if (d == NF_DEST_FLOWS)
		{
			/* a partition holds this hour now (it is at least an hour wide) */
			int64		h = hour_of(flows[idx[i]].time_start);

			hash_search(known_hours, &h, HASH_ENTER, NULL);
		}
	}
	SPI_finish();
	pfree(times);
}

/*
 * Decide where each flow goes (the contract of docs/operations.md):
 * flows in an hour known to have a partition go to netflow.flows; the
 * start times of the others are given to netflow.route_flows(), which
 * makes the partitions the window allows (a few per call) and answers,
 * per flow, netflow.flows, flows_future or flows_past.
 */
int
nf_route_flows(const nf_flow_record *flows, int n, uint8 *dest, bool ask)
{
	int		   *idx;
	int			m = 0;
	int			i;
	int64		now = nf_now_us();
	bool		have_route = false;

	if (known_hours == NULL ||
		hash_get_num_entries(known_hours) > NF_MAX_KNOWN_HOURS ||
		now - known_hours_since_us > NF_PARTITION_CACHE_MS * INT64CONST(1000))
	{
		HASHCTL		ctl;

		/* refreshed regularly to pick up the maintenance window's limits */
		nf_forget_partitions();
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(int64);
		ctl.hcxt = TopMemoryContext;
		known_hours = hash_create("netflow partition hours", 256, &ctl,
								  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		known_hours_since_us = now;
	}

	idx = palloc(sizeof(int) * Max(n, 1));
	for (i = 0; i < n; i++)
	{
		int64		h = hour_of(flows[i].time_start);

		if (hash_search(known_hours, &h, HASH_FIND, NULL) != NULL)
			dest[i] = NF_DEST_FLOWS;
		else
			idx[m++] = i;
	}

	if (m > 0 && ask)
	{
		have_route = netflow_func_exists("route_flows", TIMESTAMPTZARRAYOID, false);
		if (have_route ||
			netflow_func_exists("ensure_partitions_for", TIMESTAMPTZARRAYOID, true))
			route_by_sql(flows, idx, m, dest, have_route);
		else
			ask = false;
	}
	if (m > 0 && !ask)
	{
		/* not asked: by side of now (the catalog is looked up once) */
		bool		have_past = netflow_rel_exists("flows_past");

		for (i = 0; i < m; i++)
			dest[idx[i]] = store_for(flows[idx[i]].time_start, now, have_past);
	}
	else if (m > 0 && !netflow_rel_exists("flows_past"))
	{
		/* a 0.1 schema has no flows_past: those flows wait in flows_future */
		for (i = 0; i < m; i++)
			if (dest[idx[i]] == NF_DEST_PAST)
				dest[idx[i]] = NF_DEST_FUTURE;
	}
	pfree(idx);
	return m;
}

/*
 * Look up (once per transaction) whether the citus extension exists, which
 * of netflow.flows, flows_future and flows_past Citus owns, and whether this
 * node is a Citus worker.  Without the extension this is one catalog lookup.
 */
static void
citus_layout(void)
{
	int			rc;
	uint64		r;

	if (citus_lxid == MyProc->lxid && citus_lxid != InvalidLocalTransactionId)
		return;
	memset(citus_table, 0, sizeof(citus_table));
	citus_worker = false;
	citus_refusal[0] = '\0';
	citus_installed = OidIsValid(get_extension_oid("citus", true));
	if (citus_installed)
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		/*
		 * Per table: does Citus own it; the node's group; and whether the
		 * node holds shards of netflow.flows (relations netflow.flows_<shard
		 * id>) while netflow.flows is not a Citus table here: a worker
		 * without Citus metadata (its group is reset to 0).
		 */
		rc = SPI_execute("SELECT t.d, p.logicalrelid IS NOT NULL, "
						 "coalesce((SELECT g.groupid FROM pg_catalog.pg_dist_local_group g), 0), "
						 "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition f "
						 "WHERE f.logicalrelid = 'netflow.flows'::pg_catalog.regclass) "
						 "AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c "
						 "WHERE c.relnamespace = 'netflow'::pg_catalog.regnamespace "
						 "AND c.relname OPERATOR(pg_catalog.~) '^flows_[0-9]+$') "
						 "FROM (VALUES (0, 'netflow.flows'), (1, 'netflow.flows_future'), "
						 "(2, 'netflow.flows_past')) AS t(d, name) "
						 "LEFT JOIN pg_catalog.pg_dist_partition p "
						 "ON p.logicalrelid = pg_catalog.to_regclass(t.name) "
						 "WHERE pg_catalog.to_regclass(t.name) IS NOT NULL ORDER BY t.d",
						 true, 0);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "netflow could not read the Citus metadata: %s",
				 SPI_result_code_string(rc));
		for (r = 0; r < SPI_processed; r++)
		{
			HeapTuple	tup = SPI_tuptable->vals[r];
			TupleDesc	td = SPI_tuptable->tupdesc;
			bool		isnull;
			int			d = DatumGetInt32(SPI_getbinval(tup, td, 1, &isnull));
			bool		owned = DatumGetBool(SPI_getbinval(tup, td, 2, &isnull));
			int			group = DatumGetInt32(SPI_getbinval(tup, td, 3, &isnull));
			bool		orphan = DatumGetBool(SPI_getbinval(tup, td, 4, &isnull));

			if (d < 0 || d >= NF_DEST_DROPPED)
				continue;
			citus_table[d] = owned;
			if (group != 0)
				citus_worker = true;
			if (orphan && citus_refusal[0] == '\0')
				snprintf(citus_refusal, sizeof(citus_refusal),
						 "this node holds Citus shards of netflow.flows but no Citus metadata (a worker without metadata sync): rows written here would be visible on this node only (sync the metadata: start_metadata_sync_to_node() on the coordinator)");
			if (orphan)
				citus_worker = true;
		}
		/* on a worker, a table Citus does not own is this node's alone */
		for (r = 0; citus_worker && citus_refusal[0] == '\0' && r < NF_DEST_DROPPED; r++)
			if (!citus_table[r] && netflow_rel_exists(nf_dest_table((uint8) r)))
			{
				snprintf(citus_refusal, sizeof(citus_refusal),
						 "netflow.%s is not a Citus table and this node is a Citus worker: rows written here would be visible on this node only (run netflow.distribute() on the coordinator)",
						 nf_dest_table((uint8) r));
				break;
			}
		SPI_finish();
	}
	citus_lxid = MyProc->lxid;
}

/* Why the tables cannot be written on this node (Citus), or NULL. */
const char *
nf_citus_refusal(void)
{
	citus_layout();
	return citus_refusal[0] ? citus_refusal : NULL;
}

/* Is this node a Citus worker (the citus extension with a group > 0)? */
bool
nf_citus_worker_node(void)
{
	citus_layout();
	return citus_worker;
}

/*
 * Insert the flows with dest[i] == want into netflow.<relname>, a Citus
 * table, through SQL: one array per column, INSERT ... SELECT FROM
 * unnest(...), so that Citus routes every row to its shard.
 */
static void
insert_through_citus(const nf_flow_record *flows, int n, const uint8 *dest,
					 uint8 want, const char *relname)
{
	static TupleDesc rowdesc = NULL;
	MemoryContext cxt;
	MemoryContext oldcxt;
	TupleTableSlot *slot;
	Datum	   *vals[NF_FLOWS_NATTS];
	bool	   *nulls[NF_FLOWS_NATTS];
	Datum		args[NF_FLOWS_NATTS];
	char		argnulls[NF_FLOWS_NATTS];
	Oid			argtypes[NF_FLOWS_NATTS];
	int			identity[NF_FLOWS_NATTS];
	StringInfoData sql;
	int			m = 0;
	int			lb = 1;
	int			c;
	int			i;
	int			rc;

	if (rowdesc == NULL)
	{
		oldcxt = MemoryContextSwitchTo(TopMemoryContext);
		rowdesc = CreateTemplateTupleDesc(NF_FLOWS_NATTS);
		for (c = 0; c < NF_FLOWS_NATTS; c++)
			TupleDescInitEntry(rowdesc, (AttrNumber) (c + 1),
							   nf_flow_fields[c].name, nf_flow_fields[c].typid, -1, 0);
		MemoryContextSwitchTo(oldcxt);
	}

	cxt = AllocSetContextCreate(CurrentMemoryContext, "netflow citus insert",
								ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	for (c = 0; c < NF_FLOWS_NATTS; c++)
	{
		identity[c] = c;
		vals[c] = palloc(sizeof(Datum) * Max(n, 1));
		nulls[c] = palloc(sizeof(bool) * Max(n, 1));
	}
	slot = MakeSingleTupleTableSlot(rowdesc, &TTSOpsVirtual);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (dest[i] != want)
			continue;
		/* the by-reference values (inet, macaddr) stay in cxt */
		nf_flow_store_slot(&flows[i], slot, identity);
		for (c = 0; c < NF_FLOWS_NATTS; c++)
		{
			vals[c][m] = slot->tts_values[c];
			nulls[c][m] = slot->tts_isnull[c];
		}
		m++;
	}
	ExecDropSingleTupleTableSlot(slot);

	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO netflow.%s (", quote_identifier(relname));
	for (c = 0; c < NF_FLOWS_NATTS; c++)
		appendStringInfo(&sql, "%s%s", c ? ", " : "",
						 quote_identifier(nf_flow_fields[c].name));
	appendStringInfoString(&sql, ") SELECT * FROM ROWS FROM (");
	for (c = 0; c < NF_FLOWS_NATTS; c++)
	{
		Oid			typid = nf_flow_fields[c].typid;
		int16		typlen;
		bool		typbyval;
		char		typalign;

		get_typlenbyvalalign(typid, &typlen, &typbyval, &typalign);
		args[c] = PointerGetDatum(construct_md_array(vals[c], nulls[c], 1, &m, &lb,
													 typid, typlen, typbyval, typalign));
		argnulls[c] = ' ';
		argtypes[c] = get_array_type(typid);
		appendStringInfo(&sql, "%spg_catalog.unnest($%d)", c ? ", " : "", c + 1);
	}
	appendStringInfoChar(&sql, ')');

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(sql.data, NF_FLOWS_NATTS, argtypes, args, argnulls,
							   false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "netflow insert into the Citus table netflow.%s failed: %s",
			 relname, SPI_result_code_string(rc));
	if (SPI_processed != (uint64) m)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("netflow inserted " UINT64_FORMAT " rows of %d into the Citus table netflow.%s",
						SPI_processed, m, relname)));
	SPI_finish();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
}

/* The multi-insert buffer of partition 'rri', created on first use. */
static NfPartBuffer *
buffer_for(List **buffers, ResultRelInfo *rri)
{
	ListCell   *lc;
	NfPartBuffer *pb;

	foreach(lc, *buffers)
	{
		pb = (NfPartBuffer *) lfirst(lc);
		if (pb->rri == rri)
			return pb;
	}
	pb = palloc0(sizeof(NfPartBuffer));
	pb->rri = rri;
	pb->bistate = GetBulkInsertState();
	*buffers = lappend(*buffers, pb);
	return pb;
}

/* Write a partition's buffered rows and their index entries. */
static void
flush_buffer(EState *estate, NfPartBuffer *pb, CommandId cid)
{
	ResultRelInfo *rri = pb->rri;
	MemoryContext oldcxt;
	int			i;

	if (pb->nused == 0)
		return;

	oldcxt = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
	table_multi_insert(rri->ri_RelationDesc, pb->slots, pb->nused, cid, 0,
					   pb->bistate);
	MemoryContextSwitchTo(oldcxt);

	for (i = 0; i < pb->nused; i++)
	{
		if (rri->ri_NumIndices > 0)
		{
			List	   *recheck;

			recheck = ExecInsertIndexTuples(rri, pb->slots[i], estate,
											false, false, NULL, NIL);
			list_free(recheck);
		}
		ExecClearTuple(pb->slots[i]);
	}
	ResetPerTupleExprContext(estate);
	pb->nused = 0;
}

/* Insert the flows with dest[i] == want into their table (caller's transaction). */
void
nf_insert_flows(const nf_flow_record *flows, int n, const uint8 *dest,
				uint8 want)
{
	const char *relname = nf_dest_table(want);
	RangeVar   *rv;
	Oid			relid;
	RangeTblEntry *rte;
	EState	   *estate;
	ResultRelInfo *root;
	ModifyTableState *mtstate;
	PartitionTupleRouting *proute;
	TupleTableSlot *rootslot;
	Relation	rel;
	TupleDesc	tupdesc;
	List	   *buffers = NIL;
	ListCell   *lc;
	CommandId	cid;
	int			attidx[NF_FLOWS_NATTS];
	int			i;

	if (n <= 0 || relname == NULL)
		return;
	for (i = 0; i < n; i++)
		if (dest[i] == want)
			break;
	if (i == n)
		return;					/* none for this table */

	/* a Citus table: through Citus's own routing, never into the shell */
	citus_layout();
	if (citus_refusal[0])
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("netflow cannot store flows on this node: %s", citus_refusal)));
	if (citus_table[want])
	{
		insert_through_citus(flows, n, dest, want, relname);
		return;
	}

	/* look the table up again every time: it may have been recreated */
	rv = makeRangeVar("netflow", pstrdup(relname), -1);
	relid = RangeVarGetRelidExtended(rv, RowExclusiveLock, 0, NULL, NULL);

	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = get_rel_relkind(relid);
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecCheckRTPerms(list_make1(rte), true);

	estate = CreateExecutorState();
	ExecInitRangeTable(estate, list_make1(rte));
	root = makeNode(ResultRelInfo);
	ExecInitResultRelation(estate, root, 1);
	rel = root->ri_RelationDesc;
	tupdesc = RelationGetDescr(rel);

	/* the columns may have moved (dropped and re-added ones) */
	nf_flows_map_tupdesc(tupdesc, psprintf("netflow.%s", relname), attidx);

	CheckValidResultRel(root, CMD_INSERT);

	mtstate = makeNode(ModifyTableState);
	mtstate->ps.plan = NULL;
	mtstate->ps.state = estate;
	mtstate->operation = CMD_INSERT;
	mtstate->mt_nrels = 1;
	mtstate->resultRelInfo = root;
	mtstate->rootResultRelInfo = root;

	proute = NULL;
	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
		proute = ExecSetupPartitionTupleRouting(estate, rel);
	else if (rel->rd_rel->relhasindex)
		ExecOpenIndices(root, false);

	rootslot = ExecInitExtraTupleSlot(estate, tupdesc, &TTSOpsVirtual);
	cid = GetCurrentCommandId(true);

	for (i = 0; i < n; i++)
	{
		ResultRelInfo *rri;
		NfPartBuffer *pb;
		TupleTableSlot *slot;
		MemoryContext oldcxt;

		CHECK_FOR_INTERRUPTS();
		if (dest[i] != want)
			continue;

		oldcxt = MemoryContextSwitchTo(GetPerTupleMemoryContext(estate));
		nf_flow_store_slot(&flows[i], rootslot, attidx);
		MemoryContextSwitchTo(oldcxt);

		if (proute)
			rri = ExecFindPartition(mtstate, root, proute, rootslot, estate);
		else
			rri = root;

		pb = buffer_for(&buffers, rri);
		if (pb->slots[pb->nused] == NULL)
			pb->slots[pb->nused] = table_slot_create(rri->ri_RelationDesc,
													 &estate->es_tupleTable);
		slot = pb->slots[pb->nused];
		if (rri->ri_RootToPartitionMap != NULL)
			execute_attr_map_slot(rri->ri_RootToPartitionMap->attrMap,
								  rootslot, slot);
		else
			ExecCopySlot(slot, rootslot);
		/* own copy: the values above live in per-tuple memory */
		ExecMaterializeSlot(slot);
		slot->tts_tableOid = RelationGetRelid(rri->ri_RelationDesc);

		if (rri->ri_FdwRoutine != NULL)
		{
			/*
			 * A foreign-table partition has no table AM, so no multi-insert:
			 * write the row with the wrapper's own routine, as COPY does (its
			 * BeginForeignInsert ran when the partition was routed to).  In
			 * the query's memory context, as COPY calls it: the wrapper may
			 * keep what it allocates there across rows (postgres_fdw keeps
			 * the name of its prepared statement).
			 */
			(void) rri->ri_FdwRoutine->ExecForeignInsert(estate, rri, slot, NULL);
			ExecClearTuple(slot);
			ResetPerTupleExprContext(estate);
			continue;
		}

		if (rri->ri_RelationDesc->rd_att->constr)
			ExecConstraints(rri, slot, estate);

		pb->nused++;
		ResetPerTupleExprContext(estate);
		if (pb->nused == NF_PART_BUFFER_ROWS)
			flush_buffer(estate, pb, cid);
	}

	foreach(lc, buffers)
	{
		NfPartBuffer *pb = (NfPartBuffer *) lfirst(lc);

		flush_buffer(estate, pb, cid);
		FreeBulkInsertState(pb->bistate);
	}

	ExecResetTupleTable(estate->es_tupleTable, false);
	if (proute)
		ExecCleanupTupleRouting(mtstate, proute);
	/* closes the root's indexes too */
	ExecCloseResultRelations(estate);
	ExecCloseRangeTableRelations(estate);
	FreeExecutorState(estate);
}
