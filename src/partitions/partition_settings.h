/*-------------------------------------------------------------------------
 *
 * partition_settings.h
 *	  Server settings (GUCs) of partition maintenance: how often the
 *	  background worker runs it and how long it may wait for a lock.
 *
 * The data-lifecycle settings (partition_interval, premake, retention,
 * future_tolerance) are rows of netflow.config, not GUCs: see
 * docs/operations.md.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_PARTITION_SETTINGS_H
#define NETFLOW_PARTITION_SETTINGS_H

/* netflow.maintenance_interval, seconds; 0 disables the built-in schedule */
extern int	netflow_maintenance_interval;

/* netflow.maintenance_lock_timeout, milliseconds */
extern int	netflow_maintenance_lock_timeout;

extern void netflow_partition_settings_init(void);

#endif							/* NETFLOW_PARTITION_SETTINGS_H */
