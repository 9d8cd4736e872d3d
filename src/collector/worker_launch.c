/*-------------------------------------------------------------------------
 *
 * worker_launch.c
 *	  Building and starting the extension's background workers, in one
 *	  place: the collector's receivers and inserter, registered at server
 *	  start (src/netflow.c), and the short-lived workers the inserter
 *	  starts, "netflow maintenance" (src/partitions/maintenance.c) and
 *	  "netflow compressor" (src/storage/compressor.c).
 *
 * A short-lived worker is started with a handle kept by the process that
 * started it (the inserter), never restarted, and reports to that process
 * when it starts and exits.  A start that finds no free slot is logged
 * and counted, in the counter each kind of worker has of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"

#include "collector_shmem.h"
#include "worker_launch.h"

/*
 * Fill *w for a worker of this library that runs function(main_arg):
 * shared memory and a database connection, started once recovery has
 * finished.  name NULL: the same as type.
 */
void
nf_worker_fill(BackgroundWorker *w, const char *type, const char *name,
			   const char *function, Datum main_arg, int restart_time,
			   pid_t notify_pid)
{
	memset(w, 0, sizeof(*w));
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w->bgw_start_time = BgWorkerStart_RecoveryFinished;
	w->bgw_restart_time = restart_time;
	snprintf(w->bgw_library_name, BGW_MAXLEN, "netflow");
	snprintf(w->bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(w->bgw_name, BGW_MAXLEN, "%s", name ? name : type);
	snprintf(w->bgw_type, BGW_MAXLEN, "%s", type);
	w->bgw_main_arg = main_arg;
	w->bgw_notify_pid = notify_pid;
}

/*
 * Start a short-lived worker of the inserter (named as its type, never
 * restarted, the postmaster signals this process when it starts and exits)
 * and set *handle.  When no slot is free: false, *handle NULL, the
 * inserter's counter no_slot counted and a LOG line saying when it is
 * tried again (retry, e.g. "when the next run is due").
 */
bool
nf_worker_launch(const char *type, const char *function,
				 BackgroundWorkerHandle **handle, NfWorkerCounter no_slot,
				 const char *retry)
{
	BackgroundWorker w;

	nf_worker_fill(&w, type, NULL, function, (Datum) 0, BGW_NEVER_RESTART,
				   MyProcPid);
	if (RegisterDynamicBackgroundWorker(&w, handle))
		return true;
	*handle = NULL;
	nf_count(NF_INSERTER_SLOT, no_slot, 1);
	ereport(LOG,
			(errmsg("%s not started: no free background worker slot", type),
			 errdetail("It is counted as %s and retried %s.",
					   nf_worker_counter_name(no_slot), retry),
			 errhint("Raise max_worker_processes: the collector needs netflow.workers + 3 (see docs/operations.md).")));
	return false;
}

/*
 * Is the worker of *handle (NULL: none) still starting or running?
 * Forgets it (frees the handle, sets it NULL) once it has exited.
 */
bool
nf_worker_running(BackgroundWorkerHandle **handle)
{
	pid_t		pid;
	BgwHandleStatus st;

	if (*handle == NULL)
		return false;
	st = GetBackgroundWorkerPid(*handle, &pid);
	if (st == BGWH_STARTED || st == BGWH_NOT_YET_STARTED)
		return true;
	pfree(*handle);
	*handle = NULL;
	return false;
}
