/*-------------------------------------------------------------------------
 *
 * compressor.c
 *	  The "netflow compressor" background worker: started by the collector's
 *	  inserter after each scheduled maintenance run (when none is running
 *	  already), it calls netflow.compress_due() once, in a transaction of
 *	  its own, and exits.  A conversion can take minutes: run in the
 *	  inserter itself, it would stop ingest for that long.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "utils/snapmgr.h"

#include "collector_settings.h"
#include "collector_shmem.h"
#include "compressor.h"
#include "worker_launch.h"

#define COMPRESS_QUERY "SELECT netflow.compress_due()"
#define COMPRESS_LOOKUP "SELECT to_regprocedure('netflow.compress_due()') IS NOT NULL"

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

/* Worker entry point: one call of netflow.compress_due(), then exit. */
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
	pgstat_report_activity(STATE_IDLE, NULL);
	proc_exit(0);
}
