/*-------------------------------------------------------------------------
 *
 * partition_settings.c
 *	  Defines the GUCs of partition maintenance:
 *	  netflow.maintenance_interval and netflow.maintenance_lock_timeout.
 *
 * Both are about the server process, not about the data, so they live in
 * postgresql.conf / ALTER SYSTEM.  netflow.run_maintenance() reads the lock
 * timeout with current_setting('netflow.maintenance_lock_timeout', true)
 * and falls back to the same default when the library is not loaded.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "partition_settings.h"

int			netflow_maintenance_interval = 300;
int			netflow_maintenance_lock_timeout = 100;

/* Register the partition maintenance GUCs; called from _PG_init. */
void
netflow_partition_settings_init(void)
{
	DefineCustomIntVariable("netflow.maintenance_interval",
							"Seconds between two partition maintenance runs of the background worker.",
							"0 disables the built-in schedule (for example when pg_cron "
							"calls netflow.run_maintenance()).",
							&netflow_maintenance_interval,
							300,
							0,
							7 * 24 * 3600,
							PGC_SIGHUP,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("netflow.maintenance_lock_timeout",
							"Longest wait of partition maintenance for a lock on netflow.flows, per attempt.",
							"Inserts queue behind a waiting maintenance lock request, so this "
							"bounds how long maintenance can stall ingest; a drop that cannot "
							"get its lock is deferred to the next run.",
							&netflow_maintenance_lock_timeout,
							100,
							1,
							60 * 1000,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
}
