/*-------------------------------------------------------------------------
 *
 * worker_launch.h
 *	  Building and starting the extension's background workers
 *	  (worker_launch.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_WORKER_LAUNCH_H
#define NETFLOW_WORKER_LAUNCH_H

#include "postmaster/bgworker.h"

#include "collector_shmem.h"

/* Fill *w for a worker of this library (see worker_launch.c). */
extern void nf_worker_fill(BackgroundWorker *w, const char *type,
						   const char *name, const char *function,
						   Datum main_arg, int restart_time, pid_t notify_pid);

/*
 * Start a short-lived worker of the inserter now; false, counted in
 * no_slot and logged, when no worker slot is free.
 */
extern bool nf_worker_launch(const char *type, const char *function,
							 BackgroundWorkerHandle **handle,
							 NfWorkerCounter no_slot, const char *retry);

/* Is the worker of *handle still starting or running? */
extern bool nf_worker_running(BackgroundWorkerHandle **handle);

#endif							/* NETFLOW_WORKER_LAUNCH_H */
