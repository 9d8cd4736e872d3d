/*-------------------------------------------------------------------------
 *
 * compressed_tam.c
 *	  The handler of the table access method netflow_compressed: heapam's
 *	  routine with the scans of compressed_scan.c, and the callbacks that
 *	  must know about the batches: planner size estimates, the size
 *	  ANALYZE sees (the batches as virtual blocks after the tail's), the
 *	  row count VACUUM stores, refusal of UPDATE/DELETE/row locks on rows
 *	  of batches, purge of the batches of a relfilenode that is replaced or
 *	  truncated, refusal of what would drop or miss them (VACUUM FULL,
 *	  CLUSTER, SET TABLESPACE, indexes).  Also netflow.compressed_set_am(),
 *	  which switches a partition between heap and netflow_compressed
 *	  without rewriting it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/multixact.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/partition.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "commands/progress.h"
#include "commands/vacuum.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "compressed_tam.h"

PG_FUNCTION_INFO_V1(compressed_tam_handler);
PG_FUNCTION_INFO_V1(compressed_set_am);

static TableAmRoutine compressed_methods;
static bool compressed_methods_ready = false;
static const TableAmRoutine *heapam;

/* OID of the access method netflow_compressed. */
Oid
nf_compressed_am_oid(bool missing_ok)
{
	return get_table_am_oid("netflow_compressed", missing_ok);
}

/* Whether tid names a row of a batch. */
static inline bool
is_compressed_tid(ItemPointer tid)
{
	return ItemPointerGetBlockNumberNoCheck(tid) == NF_COMPRESSED_BLOCK;
}

/* ERROR for a change to a row stored in a batch. */
void
nf_refuse_compressed_tid(Relation rel, ItemPointer tid)
{
	if (is_compressed_tid(tid))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot update, delete or lock rows of compressed partition \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("Rows stored in compressed batches are read-only; rows inserted after the compression can be changed."),
				 errhint("Run netflow.decompress_partition('%s') first.",
						 RelationGetRelationName(rel))));
}

/* DELETE: heapam's for tail rows, refused for batch rows. */
static TM_Result
compressed_tuple_delete(Relation rel, ItemPointer tid, CommandId cid,
						Snapshot snapshot, Snapshot crosscheck, bool wait,
						TM_FailureData *tmfd, bool changingPart)
{
	nf_refuse_compressed_tid(rel, tid);
	return heapam->tuple_delete(rel, tid, cid, snapshot, crosscheck, wait,
								tmfd, changingPart);
}

/* UPDATE: heapam's for tail rows, refused for batch rows. */
static TM_Result
compressed_tuple_update(Relation rel, ItemPointer otid, TupleTableSlot *slot,
						CommandId cid, Snapshot snapshot, Snapshot crosscheck,
						bool wait, TM_FailureData *tmfd,
						LockTupleMode *lockmode, bool *update_indexes)
{
	nf_refuse_compressed_tid(rel, otid);
	return heapam->tuple_update(rel, otid, slot, cid, snapshot, crosscheck,
								wait, tmfd, lockmode, update_indexes);
}

/* Row locks (FOR UPDATE/SHARE, triggers): heapam's for tail rows only. */
static TM_Result
compressed_tuple_lock(Relation rel, ItemPointer tid, Snapshot snapshot,
					  TupleTableSlot *slot, CommandId cid, LockTupleMode mode,
					  LockWaitPolicy wait_policy, uint8 flags,
					  TM_FailureData *tmfd)
{
	nf_refuse_compressed_tid(rel, tid);
	return heapam->tuple_lock(rel, tid, snapshot, slot, cid, mode, wait_policy,
							  flags, tmfd);
}

/* Fetch a row version by TID: tail rows only. */
static bool
compressed_tuple_fetch_row_version(Relation rel, ItemPointer tid,
								   Snapshot snapshot, TupleTableSlot *slot)
{
	nf_refuse_compressed_tid(rel, tid);
	return heapam->tuple_fetch_row_version(rel, tid, snapshot, slot);
}

/* A row of a batch is visible to the snapshot that read it. */
static bool
compressed_tuple_satisfies_snapshot(Relation rel, TupleTableSlot *slot,
									Snapshot snapshot)
{
	if (is_compressed_tid(&slot->tts_tid))
		return true;
	return heapam->tuple_satisfies_snapshot(rel, slot, snapshot);
}

/*
 * A new relfilenode (CREATE TABLE, TRUNCATE, rewrites): heapam's storage,
 * and no batch may be keyed by it (the batches of the old relfilenode stay
 * until maintenance deletes them, so a rolled back TRUNCATE keeps them).
 */
static void
compressed_relation_set_new_filenode(Relation rel, const RelFileNode *newrnode,
									 char persistence, TransactionId *freezeXid,
									 MultiXactId *minmulti)
{
	heapam->relation_set_new_filenode(rel, newrnode, persistence, freezeXid,
									  minmulti);
	if (persistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("netflow_compressed tables must be permanent")));
	nf_batch_purge(rel, newrnode->relNode);
}

/* TRUNCATE of a table created in the same transaction: tail and batches. */
static void
compressed_relation_nontransactional_truncate(Relation rel)
{
	heapam->relation_nontransactional_truncate(rel);
	nf_batch_purge(rel, rel->rd_node.relNode);
}

/* Refuse an operation that would separate the tail from its batches. */
static void
refuse_rewrite(Relation rel, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported on compressed partition \"%s\"", what,
					RelationGetRelationName(rel)),
			 errhint("Run netflow.decompress_partition('%s') first.",
					 RelationGetRelationName(rel))));
}

/* ALTER TABLE SET TABLESPACE would leave the batches behind: refused. */
static void
compressed_relation_copy_data(Relation rel, const RelFileNode *newrnode)
{
	refuse_rewrite(rel, "moving to another tablespace");
}

/* VACUUM FULL and CLUSTER copy the heap only: refused. */
static void
compressed_relation_copy_for_cluster(Relation OldTable, Relation NewTable,
									 Relation OldIndex, bool use_sort,
									 TransactionId OldestXmin,
									 TransactionId *xid_cutoff,
									 MultiXactId *multi_cutoff,
									 double *num_tuples,
									 double *tups_vacuumed,
									 double *tups_recently_dead)
{
	refuse_rewrite(OldTable, "VACUUM FULL or CLUSTER");
}

/* Indexes would cover the tail only: refused. */
static double
compressed_index_build_range_scan(Relation table_rel, Relation index_rel,
								  struct IndexInfo *index_info, bool allow_sync,
								  bool anyvisible, bool progress,
								  BlockNumber start_blockno,
								  BlockNumber numblocks,
								  IndexBuildCallback callback,
								  void *callback_state, TableScanDesc scan)
{
	refuse_rewrite(table_rel, "an index");
	return 0;
}

/* Index validation (CREATE INDEX CONCURRENTLY): refused like indexes. */
static void
compressed_index_validate_scan(Relation table_rel, Relation index_rel,
							   struct IndexInfo *index_info, Snapshot snapshot,
							   struct ValidateIndexState *state)
{
	refuse_rewrite(table_rel, "an index");
}

/* Blocks of the heap tail (its main fork), whatever ANALYZE is running. */
BlockNumber
nf_tail_blocks(Relation rel)
{
	return (BlockNumber) (heapam->relation_size(rel, MAIN_FORKNUM) / BLCKSZ);
}

/*
 * How ANALYZE sees the batch_rows rows of the batches of rel: as virtual
 * blocks after the tail's tail blocks, each of rows_per_block consecutive
 * rows (in batch_no order).  A block holds NF_ANALYZE_BLOCK_ROWS rows, about
 * what a heap page of flows holds, so that ANALYZE of netflow.flows samples
 * compressed and heap partitions alike; more when needed to keep every
 * virtual block inside the tail's last segment file (ANALYZE prefetches the
 * blocks it samples, and md.c fails on a block of a segment that does not
 * exist; nothing is ever read from these blocks).  With little room, a
 * few virtual blocks of many rows each make ANALYZE's row count swing by
 * whether it sampled them, but it stays right on average; with none (a
 * tail of whole 1 GB segments), ANALYZE samples the tail alone.
 */
void
nf_analyze_blocks(double batch_rows, BlockNumber tail, NfAnalyzeBlocks *ab)
{
	uint64		segs = Max(((uint64) tail + RELSEG_SIZE - 1) / RELSEG_SIZE, 1);
	BlockNumber room = (BlockNumber) (segs * RELSEG_SIZE - tail);
	double		per = NF_ANALYZE_BLOCK_ROWS;

	ab->tail = tail;
	if (batch_rows < 1 || room == 0)
	{
		ab->rows_per_block = NF_ANALYZE_BLOCK_ROWS;
		ab->nvirtual = 0;
		return;
	}
	if (batch_rows / per > room)
		per = ceil(batch_rows / room);
	ab->rows_per_block = (uint64) per;
	ab->nvirtual = (BlockNumber) ceil(batch_rows / per);
	Assert(ab->nvirtual <= room);
}

/*
 * Whether this backend is sampling rows for ANALYZE of rel or of a table
 * rel is a partition of, from its progress report (ANALYZE starts it after
 * it took the relation's size for pg_class.relpages; the phase moves on
 * once the sample is taken, before anything else, such as an expression of
 * extended statistics, could scan rel).
 */
static bool
analyzing(Relation rel)
{
	Oid			target;
	int64		phase;

	if (MyBEEntry == NULL || MyBEEntry->st_progress_command != PROGRESS_COMMAND_ANALYZE)
		return false;
	phase = MyBEEntry->st_progress_param[PROGRESS_ANALYZE_PHASE];
	if (phase != PROGRESS_ANALYZE_PHASE_ACQUIRE_SAMPLE_ROWS &&
		phase != PROGRESS_ANALYZE_PHASE_ACQUIRE_SAMPLE_ROWS_INH)
		return false;
	target = MyBEEntry->st_progress_command_target;
	if (target == RelationGetRelid(rel))
		return true;
	return rel->rd_rel->relispartition &&
		list_member_oid(get_partition_ancestors(RelationGetRelid(rel)), target);
}

/*
 * The view of the relation whose size ANALYZE took last in this backend:
 * acquire_sample_rows takes the size, then begins its scan, which takes
 * this view (nf_analyze_blocks_taken) rather than work it out again, so
 * that rows inserted meanwhile into the tail cannot shift which rows a
 * virtual block stands for.
 */
static Oid	view_relid = InvalidOid;
static NfAnalyzeBlocks view;

/*
 * The view of rel that ANALYZE's sampler got from its size, consumed;
 * false when there is none (not sampling for ANALYZE).
 */
bool
nf_analyze_blocks_taken(Relation rel, NfAnalyzeBlocks *ab)
{
	if (!OidIsValid(view_relid) || view_relid != RelationGetRelid(rel) ||
		!analyzing(rel))
		return false;
	*ab = view;
	view_relid = InvalidOid;
	return true;
}

/*
 * Size of a fork: heapam's, plus while sampling for ANALYZE the virtual
 * blocks of the batches in the main fork, so that it samples them (through
 * compressed_scan.c's analyze callbacks) and counts their rows in
 * pg_class.reltuples and in the statistics of netflow.flows.
 */
static uint64
compressed_relation_size(Relation rel, ForkNumber forkNumber)
{
	uint64		size = heapam->relation_size(rel, forkNumber);

	if (forkNumber == MAIN_FORKNUM && analyzing(rel))
	{
		double		rows,
					bytes;

		nf_batch_totals(rel, NULL, &rows, &bytes);
		nf_analyze_blocks(rows, (BlockNumber) (size / BLCKSZ), &view);
		view_relid = RelationGetRelid(rel);
		size += (uint64) view.nvirtual * BLCKSZ;
	}
	return size;
}

/*
 * Planner estimate: the rows of the batches, exact, plus the tail's rows:
 * its blocks now at the density pg_class last recorded for it (where
 * reltuples counts the batches' rows too), at most that of its row width
 * (the density when never recorded); pages are the tail's plus the
 * batches' stored size (so a large compressed partition gets parallel
 * workers).
 */
static void
compressed_relation_estimate_size(Relation rel, int32 *attr_widths,
								  BlockNumber *pages, double *tuples,
								  double *allvisfrac)
{
	double		rows,
				bytes,
				density;
	int32		width;
	BlockNumber tailpages = nf_tail_blocks(rel);
	BlockNumber relpages = (BlockNumber) rel->rd_rel->relpages;
	double		reltuples = rel->rd_rel->reltuples;
	BlockNumber relallvisible = (BlockNumber) rel->rd_rel->relallvisible;

	nf_batch_totals(rel, NULL, &rows, &bytes);
	*tuples = rows;
	*pages = tailpages + (BlockNumber) ((bytes + BLCKSZ - 1) / BLCKSZ);
	*allvisfrac = 0;
	if (tailpages == 0)
		return;
	width = get_rel_data_width(rel, attr_widths) +
		MAXALIGN(SizeofHeapTupleHeader) + sizeof(ItemIdData);
	density = (BLCKSZ - SizeOfPageHeaderData) / width;
	/* reltuples is an estimate: never denser than the rows' width allows */
	if (reltuples >= 0 && relpages > 0)
		density = Min(density, Max(reltuples - rows, 0) / relpages);
	*tuples += rint(density * tailpages);
	*allvisfrac = (double) Min(relallvisible, tailpages) / *pages;
}

/*
 * Add rows to the reltuples that VACUUM just stored (in place) for rel,
 * keeping the pages and all-visible pages it stored; nothing when it
 * stored none (-1).
 */
static void
add_to_reltuples(Relation rel, double rows)
{
	Relation	classrel = table_open(RelationRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc cscan;
	HeapTuple	tup;
	BlockNumber relpages = 0,
				relallvisible = 0;
	double		reltuples = -1;

	ScanKeyInit(&key, Anum_pg_class_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationGetRelid(rel)));
	cscan = systable_beginscan(classrel, ClassOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(cscan);
	if (HeapTupleIsValid(tup))
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

		relpages = (BlockNumber) form->relpages;
		reltuples = form->reltuples;
		relallvisible = (BlockNumber) form->relallvisible;
	}
	systable_endscan(cscan);
	table_close(classrel, AccessShareLock);
	if (reltuples >= 0)
		vac_update_relstats(rel, relpages, reltuples + rows, relallvisible,
							rel->rd_rel->relhasindex, InvalidTransactionId,
							InvalidMultiXactId, NULL, NULL, false);
}

/*
 * VACUUM: heapam's, for the tail, which counts the tail's rows; pg_class's
 * reltuples counts the batches' too (as ANALYZE leaves it): they are taken
 * out of the relcache's copy while heapam extrapolates from it, and added
 * to what it stores.
 */
static void
compressed_relation_vacuum(Relation rel, struct VacuumParams *params,
						   BufferAccessStrategy bstrategy)
{
	double		rows,
				bytes;
	float4		saved = rel->rd_rel->reltuples;

	nf_batch_totals(rel, NULL, &rows, &bytes);
	if (saved >= 0)
		rel->rd_rel->reltuples = Max(saved - rows, 0);
	PG_TRY();
	{
		heapam->relation_vacuum(rel, params, bstrategy);
	}
	PG_CATCH();
	{
		rel->rd_rel->reltuples = saved;
		PG_RE_THROW();
	}
	PG_END_TRY();
	if (rows > 0)
		add_to_reltuples(rel, rows);
}

/* The TOAST table of a compressed partition is an ordinary heap. */
static Oid
compressed_relation_toast_am(Relation rel)
{
	return HEAP_TABLE_AM_OID;
}

/* Build the routine once: heapam's, with ours where the batches matter. */
static const TableAmRoutine *
compressed_routine(void)
{
	if (!compressed_methods_ready)
	{
		heapam = GetHeapamTableAmRoutine();
		compressed_methods = *heapam;
		nf_compressed_scan_methods(&compressed_methods);
		compressed_methods.tuple_delete = compressed_tuple_delete;
		compressed_methods.tuple_update = compressed_tuple_update;
		compressed_methods.tuple_lock = compressed_tuple_lock;
		compressed_methods.tuple_fetch_row_version = compressed_tuple_fetch_row_version;
		compressed_methods.tuple_satisfies_snapshot = compressed_tuple_satisfies_snapshot;
		compressed_methods.relation_set_new_filenode = compressed_relation_set_new_filenode;
		compressed_methods.relation_nontransactional_truncate = compressed_relation_nontransactional_truncate;
		compressed_methods.relation_copy_data = compressed_relation_copy_data;
		compressed_methods.relation_copy_for_cluster = compressed_relation_copy_for_cluster;
		compressed_methods.index_build_range_scan = compressed_index_build_range_scan;
		compressed_methods.index_validate_scan = compressed_index_validate_scan;
		compressed_methods.relation_estimate_size = compressed_relation_estimate_size;
		compressed_methods.relation_size = compressed_relation_size;
		compressed_methods.relation_vacuum = compressed_relation_vacuum;
		compressed_methods.relation_toast_am = compressed_relation_toast_am;
		compressed_methods_ready = true;
	}
	return &compressed_methods;
}

/* netflow.compressed_tam_handler(internal): the access method's handler. */
Datum
compressed_tam_handler(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(compressed_routine());
}

/*
 * netflow.compressed_set_am(partition regclass, compressed boolean): make
 * the table's access method netflow_compressed (true) or heap (false)
 * without touching its storage.  The caller holds ACCESS EXCLUSIVE on it
 * (compress_partition / decompress_partition); the table must have no
 * index, and going back to heap requires that it has no batch left.
 */
Datum
compressed_set_am(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	bool		compressed = PG_GETARG_BOOL(1);
	Oid			newam = compressed ? nf_compressed_am_oid(false) : HEAP_TABLE_AM_OID;
	Relation	rel;
	Relation	classrel;
	HeapTuple	tup;
	Form_pg_class form;
	Oid			oldam;

	if (!CheckRelationOidLockedByMe(relid, AccessExclusiveLock, false))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the table must be locked in ACCESS EXCLUSIVE mode")));
	rel = table_open(relid, AccessExclusiveLock);
	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_TABLE, RelationGetRelationName(rel));
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a permanent table", RelationGetRelationName(rel))));
	oldam = rel->rd_rel->relam;
	if (oldam != HEAP_TABLE_AM_OID && oldam != nf_compressed_am_oid(false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" uses neither heap nor netflow_compressed",
						RelationGetRelationName(rel))));
	if (RelationGetIndexList(rel) != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("\"%s\" has indexes", RelationGetRelationName(rel))));
	if (!compressed && oldam != HEAP_TABLE_AM_OID)
	{
		double		rows,
					bytes;

		nf_batch_totals(rel, GetActiveSnapshot(), &rows, &bytes);
		if (rows > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("\"%s\" still has compressed batches", RelationGetRelationName(rel))));
	}
	nf_check_supported_columns(rel);
	if (oldam != newam)
	{
		classrel = table_open(RelationRelationId, RowExclusiveLock);
		tup = SearchSysCacheCopy1(RELOID, ObjectIdGetDatum(relid));
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for relation %u", relid);
		form = (Form_pg_class) GETSTRUCT(tup);
		form->relam = newam;
		CatalogTupleUpdate(classrel, &tup->t_self, tup);
		heap_freetuple(tup);
		changeDependencyFor(RelationRelationId, relid, AccessMethodRelationId,
							oldam, newam);
		table_close(classrel, RowExclusiveLock);
		CommandCounterIncrement();
	}
	table_close(rel, NoLock);
	PG_RETURN_VOID();
}
