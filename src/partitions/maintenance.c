/*-------------------------------------------------------------------------
 *
 * maintenance.c
 *	  The collector's maintenance schedule: the inserter calls
 *	  netflow_maintenance_tick() between flushes; when
 *	  netflow.maintenance_interval has passed it starts the short-lived
 *	  "netflow maintenance" background worker (at most one at a time), which
 *	  runs netflow.run_maintenance() once in its own transaction through SPI,
 *	  catching every error, and exits.  A run (rollups, detections, DDL) can
 *	  take seconds to minutes: run in the inserter, nothing would drain the
 *	  shared queue meanwhile.  When a run has ended, the inserter starts the
 *	  "netflow compressor" worker (compressor.c).
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
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "collector_settings.h"
#include "collector_shmem.h"
#include "compressor.h"
#include "flow_insert.h"
#include "maintenance.h"
#include "partition_settings.h"
#include "worker_launch.h"

#define MAINTENANCE_QUERY "SELECT action FROM netflow.run_maintenance()"

/*
 * lock_timeout of the maintenance worker's session: the one the inserter's
 * session had when it ran maintenance itself (steps that take locks on
 * netflow.flows set netflow.maintenance_lock_timeout for themselves).
 */
#define NF_MAINTENANCE_LOCK_TIMEOUT "1s"

PGDLLEXPORT void nf_maintenance_main(Datum arg);

/* Start of the last scheduled run in this process; 0 before the first. */
static TimestampTz last_run = 0;

/* Whether "skipped on a Citus worker" was logged already. */
static bool citus_worker_logged = false;

/* The maintenance worker started last by this process, while it may run. */
static BackgroundWorkerHandle *maintenance_worker = NULL;

/* Whether a run falling due while the current one runs was logged. */
static bool overlap_logged = false;

/*
 * How a failed run is recorded: through netflow.log_maintenance_failure()
 * (SECURITY DEFINER, granted to netflow_collector, so that it works when the
 * worker runs as netflow.role), or, on a schema older than 0.2 that lacks
 * it, by a direct INSERT (which needs the privilege to insert).
 */
#define LOG_FAILURE_LOOKUP \
	"SELECT to_regprocedure('netflow.log_maintenance_failure(timestamptz,text)') IS NOT NULL"
#define LOG_FAILURE_CALL "SELECT netflow.log_maintenance_failure($1, $2)"
#define LOG_FAILURE_INSERT \
	"INSERT INTO netflow.maintenance_log (started, finished, status, errors, detail) " \
	"VALUES ($1, clock_timestamp(), 'error', 1, $2)"

/* Record a run that failed as a whole in netflow.maintenance_log. */
static void
log_failed_run(TimestampTz started, const char *message)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	PG_TRY();
	{
		Oid			argtypes[2] = {TIMESTAMPTZOID, TEXTOID};
		Datum		values[2];
		bool		has_function;
		bool		isnull;

		values[0] = TimestampTzGetDatum(started);
		values[1] = CStringGetTextDatum(message);

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute(LOG_FAILURE_LOOKUP, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not look up netflow.log_maintenance_failure");
		has_function = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1,
												  &isnull));
		if (has_function)
		{
			if (SPI_execute_with_args(LOG_FAILURE_CALL, 2, argtypes, values,
									  NULL, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "could not call netflow.log_maintenance_failure");
		}
		else if (SPI_execute_with_args(LOG_FAILURE_INSERT, 2, argtypes, values,
									   NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not insert into netflow.maintenance_log");
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(WARNING,
				(errmsg("netflow maintenance: could not record the failed run: %s",
						edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/* Run netflow.run_maintenance() once in a transaction of its own; never throws. */
void
netflow_run_maintenance_in_worker(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	TimestampTz started = GetCurrentTimestamp();

	if (IsTransactionState())
	{
		ereport(WARNING,
				(errmsg("netflow maintenance not run: a transaction is open"),
				 errdetail("Maintenance must run in a transaction of its own, so that its locks are released at once.")));
		return;
	}

	PG_TRY();
	{
		uint64		created = 0,
					dropped = 0,
					deferred = 0,
					other = 0;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, MAINTENANCE_QUERY);

		/*
		 * On a Citus worker node the coordinator maintains the distributed
		 * tables (partitions, retention, moves, rollups): nothing to do here.
		 */
		if (nf_citus_worker_node())
		{
			if (!citus_worker_logged)
				ereport(LOG,
						(errmsg("netflow maintenance skipped: this node is a Citus worker"),
						 errdetail("The coordinator runs netflow.run_maintenance() for the distributed netflow.flows.")));
			citus_worker_logged = true;
		}
		else
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			if (SPI_execute(MAINTENANCE_QUERY, false, 0) != SPI_OK_SELECT)
				elog(ERROR, "netflow.run_maintenance() did not return rows");

			for (uint64 i = 0; i < SPI_processed; i++)
			{
				char	   *action = SPI_getvalue(SPI_tuptable->vals[i],
												  SPI_tuptable->tupdesc, 1);

				if (action == NULL)
					other++;
				else if (strcmp(action, "created") == 0)
					created++;
				else if (strcmp(action, "dropped") == 0)
					dropped++;
				else if (strcmp(action, "deferred") == 0)
					deferred++;
				else
					other++;
			}
			if (created + dropped + deferred + other > 0)
				ereport(LOG,
						(errmsg("netflow maintenance: " UINT64_FORMAT " partitions created, "
								UINT64_FORMAT " dropped, " UINT64_FORMAT " deferred, "
								UINT64_FORMAT " other actions (see netflow.maintenance_log)",
								created, dropped, deferred, other)));
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		ereport(WARNING,
				(errmsg("netflow maintenance run failed: %s", edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0));
		log_failed_run(started, edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();

	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Is this node a Citus worker, whose coordinator maintains the distributed
 * tables?  Asked in a short transaction of its own; an error counts as no.
 */
static bool
on_citus_worker_node(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool result = false;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		result = nf_citus_worker_node();
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		FlushErrorState();
		AbortCurrentTransaction();
		result = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	return result;
}

/* Start the maintenance worker; counted, logged when no slot is free. */
static void
maintenance_worker_launch(void)
{
	/* the postmaster signals us when it starts and when it exits */
	if (!nf_worker_launch("netflow maintenance", "nf_maintenance_main",
						  &maintenance_worker, NFW_MAINTENANCE_NO_WORKER,
						  "when the next run is due"))
		return;
	nf_count(NF_INSERTER_SLOT, NFW_MAINTENANCE_STARTED, 1);
	overlap_logged = false;
}

/*
 * The scheduled runs, for the inserter's main loop (outside any
 * transaction): start the maintenance worker when a run is due (at once
 * on the first call) unless the previous one still runs, and the
 * compressor once a run has ended.  Never waits for a run.  Returns the
 * milliseconds until the next run is due, -1 if the schedule is disabled.
 */
long
netflow_maintenance_tick(void)
{
	TimestampTz now;
	TimestampTz next;

	/* a run that ended: compression follows it, in a worker of its own */
	if (maintenance_worker != NULL && !nf_worker_running(&maintenance_worker))
		nf_compressor_launch();

	if (netflow_maintenance_interval <= 0)
		return -1;

	now = GetCurrentTimestamp();
	if (last_run == 0 ||
		TimestampDifferenceExceeds(last_run, now,
								   netflow_maintenance_interval * 1000))
	{
		last_run = now;
		if (nf_worker_running(&maintenance_worker))
		{
			/* never two at once: this run is left out, counted */
			nf_count(NF_INSERTER_SLOT, NFW_MAINTENANCE_OVERLAPPED, 1);
			if (!overlap_logged)
				ereport(LOG,
						(errmsg("netflow maintenance: a run is due but the previous one is still in progress"),
						 errdetail("Runs left out this way are counted as maintenance_overlapped; the next one starts when a run is due after it ended.")));
			overlap_logged = true;
		}
		else if (on_citus_worker_node())
		{
			/* the coordinator maintains the distributed tables */
			if (!citus_worker_logged)
				ereport(LOG,
						(errmsg("netflow maintenance skipped: this node is a Citus worker"),
						 errdetail("The coordinator runs netflow.run_maintenance() for the distributed netflow.flows.")));
			citus_worker_logged = true;
			nf_compressor_launch();
		}
		else
			maintenance_worker_launch();
	}

	next = TimestampTzPlusMilliseconds(last_run,
									   (int64) netflow_maintenance_interval * 1000);
	return TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next);
}

/*
 * Entry point of the "netflow maintenance" worker: one run of
 * netflow.run_maintenance() (errors caught and recorded), then exit.
 * SIGTERM (server shutdown, pg_terminate_backend) interrupts the run at the
 * next CHECK_FOR_INTERRUPTS: its transaction rolls back and the next run
 * does the work.
 */
void
nf_maintenance_main(Datum arg)
{
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(nf_database,
										 (nf_role && nf_role[0]) ? nf_role : NULL,
										 0);
	SetConfigOption("lock_timeout", NF_MAINTENANCE_LOCK_TIMEOUT,
					PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("application_name", "netflow maintenance",
					PGC_USERSET, PGC_S_SESSION);
	netflow_run_maintenance_in_worker();
	proc_exit(0);
}
