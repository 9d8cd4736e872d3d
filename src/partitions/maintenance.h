/*-------------------------------------------------------------------------
 *
 * maintenance.h
 *	  The collector's maintenance schedule and its background worker.
 *
 * Contract for the scheduling process: call netflow_maintenance_tick()
 * from the main loop of ONE worker process (the inserter; connected to the
 * database holding the extension), outside any transaction; when
 * netflow.maintenance_interval has passed (at once on the first call) it
 * starts the "netflow maintenance" background worker, which runs
 * netflow.run_maintenance() and exits, unless the previous one still runs
 * (counted as maintenance_overlapped); it never waits for a run.  It
 * returns how many milliseconds until the next run is due (-1 when the
 * built-in schedule is disabled), to bound the caller's WaitLatch timeout;
 * the worker's start and exit set the caller's latch.
 * netflow_run_maintenance_in_worker() runs maintenance in the calling
 * process, unconditionally.  Neither ever throws: errors are logged and
 * recorded in netflow.maintenance_log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_MAINTENANCE_H
#define NETFLOW_MAINTENANCE_H

extern void netflow_run_maintenance_in_worker(void);
extern long netflow_maintenance_tick(void);

#endif							/* NETFLOW_MAINTENANCE_H */
