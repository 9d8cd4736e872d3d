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
 * when it starts and exits.  Whoever starts one counts and logs a start
 * that found no free slot: each has a counter of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"

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
 * Start a short-lived worker (named as its type, never restarted, the
 * postmaster signals this process when it starts and exits) and set
 * *handle.  Returns false, with *handle NULL, when no slot is free.
 */
bool
nf_worker_launch(const char *type, const char *function,
				 BackgroundWorkerHandle **handle)
{
	BackgroundWorker w;

	nf_worker_fill(&w, type, NULL, function, (Datum) 0, BGW_NEVER_RESTART,
				   MyProcPid);
	if (!RegisterDynamicBackgroundWorker(&w, handle))
	{
		*handle = NULL;
		return false;
	}
	return true;
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
