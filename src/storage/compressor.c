/*-------------------------------------------------------------------------
 *
 * compressor.c
 *	  The "netflow compressor" background worker: started by the collector's
 *	  inserter after each scheduled maintenance run (when none is running
 *	  already), it calls netflow.compress_due() once, in a transaction of
 *	  its own, then vacuums (FREEZE) the compressed partitions whose heap
 *	  still has pages, and exits.  A conversion can take minutes: run in the
 *	  inserter itself, it would stop ingest for that long.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/vacuum.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "collector_settings.h"
#include "collector_shmem.h"
#include "compressor.h"
#include "worker_launch.h"

#define COMPRESS_QUERY "SELECT netflow.compress_due()"
#define COMPRESS_LOOKUP "SELECT to_regprocedure('netflow.compress_due()') IS NOT NULL"

/*
 * Compressed partitions of netflow.flows whose heap still has pages with
 * dead rows (the rows a conversion moved into batches) or no live row,
 * largest first.  A heap of late rows alone is left to autovacuum.
 */
#define TAILS_QUERY \
	"SELECT c.oid, c.relowner FROM pg_catalog.pg_inherits i" \
	" JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid" \
	" JOIN pg_catalog.pg_am a ON a.oid = c.relam" \
	" WHERE i.inhparent = 'netflow.flows'::pg_catalog.regclass" \
	" AND a.amname = 'netflow_compressed'" \
	" AND pg_catalog.pg_relation_size(c.oid) > 0" \
	" AND (pg_catalog.pg_stat_get_dead_tuples(c.oid) > 0" \
	" OR pg_catalog.pg_stat_get_live_tuples(c.oid) = 0)" \
	" ORDER BY pg_catalog.pg_relation_size(c.oid) DESC"

/* At most this many partitions are vacuumed per run. */
#define NF_VACUUM_TAILS_MAX 4

PGDLLEXPORT void nf_compressor_main(Datum arg);

/* The worker started last by this process (the inserter), if any. */
static BackgroundWorkerHandle *compressor = NULL;

/*
 * Start the compressor unless one started by this process still runs;
 * counted and logged when no slot is free.
 */
void
nf_compressor_launch(void)
{
	if (nf_worker_running(&compressor))
		return;
	(void) nf_worker_launch("netflow compressor", "nf_compressor_main",
							&compressor, NFW_COMPRESSOR_NO_WORKER,
							"after the next maintenance run");
}

/*
 * VACUUM (FREEZE) each compressed partition whose heap still has pages, as
 * its owner, outside any transaction block (as autovacuum does).  A
 * conversion leaves the heap rows it moved deleted, and until a vacuum
 * truncates them every scan of the partition reads those empty pages.
 * Autovacuum's vacuum does not wait for a page's cleanup lock: a page
 * pinned by another process at that moment (the checkpointer writing the
 * pages the conversion dirtied) keeps its dead rows, the truncation stops
 * there, and a cold partition is never vacuumed again.  FREEZE makes every
 * page wait for its cleanup lock (each row's xmin must be frozen).
 */
static void
vacuum_tails(void)
{
	MemoryContext cxt = AllocSetContextCreate(TopMemoryContext,
											  "netflow compressor vacuum",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext portal = AllocSetContextCreate(cxt,
												 "netflow compressor vacuum portal",
												 ALLOCSET_DEFAULT_SIZES);
	List	   *rels = NIL;
	List	   *owners = NIL;
	ListCell   *lr,
			   *lo;

	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(TAILS_QUERY, true, NF_VACUUM_TAILS_MAX) != SPI_OK_SELECT)
		elog(ERROR, "could not list the compressed partitions");
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		MemoryContext old = MemoryContextSwitchTo(cxt);

		rels = lappend_oid(rels, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																SPI_tuptable->tupdesc, 1, &isnull)));
		owners = lappend_oid(owners, DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
																	SPI_tuptable->tupdesc, 2, &isnull)));
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();

	forboth(lr, rels, lo, owners)
	{
		VacuumParams params;
		Oid			save_userid;
		int			save_sec_context;
		List	   *vrels;
		MemoryContext old;

		memset(&params, 0, sizeof(params));
		params.options = VACOPT_VACUUM | VACOPT_FREEZE;
		params.freeze_min_age = 0;
		params.freeze_table_age = 0;
		params.multixact_freeze_min_age = 0;
		params.multixact_freeze_table_age = 0;
		params.is_wraparound = false;
		params.log_min_duration = -1;
		params.index_cleanup = VACOPTVALUE_UNSPECIFIED;
		params.truncate = VACOPTVALUE_UNSPECIFIED;
		params.nworkers = -1;

		/*
		 * vacuum() commits the transaction it is called in before it reads
		 * the relation list, and makes its own memory under PortalContext:
		 * both live in a context of ours, as autovacuum's do (a list made in
		 * the transaction's memory was read after it was freed).
		 */
		MemoryContextReset(portal);
		old = MemoryContextSwitchTo(portal);
		vrels = list_make1(makeVacuumRelation(NULL, lfirst_oid(lr), NIL));
		MemoryContextSwitchTo(old);
		PortalContext = portal;

		StartTransactionCommand();
		pgstat_report_activity(STATE_RUNNING, "VACUUM (FREEZE) of a compressed partition");
		/*
		 * The partition's owner may vacuum it (compress_due ran as that
		 * owner too).  Not a security-restricted context: vacuum() starts
		 * transactions, which must begin outside one; vacuum_rel() sets one
		 * itself, as the owner, around the work on the table.
		 */
		GetUserIdAndSecContext(&save_userid, &save_sec_context);
		SetUserIdAndSecContext(lfirst_oid(lo), save_sec_context);
		vacuum(vrels, &params, NULL, true);
		SetUserIdAndSecContext(save_userid, save_sec_context);
		CommitTransactionCommand();
		PortalContext = NULL;
	}
	MemoryContextDelete(cxt);
}

/*
 * Worker entry point: one call of netflow.compress_due(), the vacuum of
 * the emptied heaps, then exit.
 */
void
nf_compressor_main(Datum arg)
{
	bool		isnull;
	bool		has_function;

	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(nf_database,
										 (nf_role && nf_role[0]) ? nf_role : NULL,
										 0);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* a schema older than 0.2 has no compression: nothing to do */
	if (SPI_execute(COMPRESS_LOOKUP, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not look up netflow.compress_due");
	has_function = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1, &isnull));
	if (has_function)
	{
		pgstat_report_activity(STATE_RUNNING, COMPRESS_QUERY);
		if (SPI_execute(COMPRESS_QUERY, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "netflow.compress_due() failed");
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	if (has_function)
	{
		/* the conversion's row counts, for TAILS_QUERY to see */
		pgstat_report_stat(true);
		vacuum_tails();
	}
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
