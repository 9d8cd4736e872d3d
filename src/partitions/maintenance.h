/*-------------------------------------------------------------------------
 *
 * maintenance.h
 *	  Partition maintenance run from the collector's background worker.
 *
 * Contract for the worker: call netflow_maintenance_tick() from the main
 * loop of ONE worker process (connected to the database holding the
 * extension), outside any transaction; it runs netflow.run_maintenance()
 * when netflow.maintenance_interval has passed (at once on the first call)
 * and returns how many milliseconds until the next run is due (-1 when the
 * built-in schedule is disabled), to bound the worker's WaitLatch timeout.
 * netflow_run_maintenance_in_worker() runs it unconditionally.  Neither
 * ever throws: errors are logged and recorded in netflow.maintenance_log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_MAINTENANCE_H
#define NETFLOW_MAINTENANCE_H

extern void netflow_run_maintenance_in_worker(void);
extern long netflow_maintenance_tick(void);

#endif							/* NETFLOW_MAINTENANCE_H */
