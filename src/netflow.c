/*-------------------------------------------------------------------------
 *
 * netflow.c
 *	  Module entry point of the netflow extension: PG_MODULE_MAGIC and
 *	  _PG_init, which registers settings and, when the library is in
 *	  shared_preload_libraries, the collector's shared memory and
 *	  background workers.
 *
 * Each subject has a small init function; _PG_init only calls them.
 * Partition maintenance (src/partitions/maintenance.c) runs in the collector's
 * inserter worker.
 * Without preloading, CREATE EXTENSION and everything but the collector
 * work; the collector's settings are still defined so that they can be
 * set and shown.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "utils/guc.h"

#include "collector.h"
#include "collector_settings.h"
#include "collector_shmem.h"
#include "compressed_tam.h"
#include "partition_settings.h"
#include "worker_launch.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Register one collector worker with the postmaster: restarted 5 s after
 * it exits; index >= 0 numbers its name (receivers), -1 does not.
 */
static void
register_worker(const char *type, const char *function, int index)
{
	BackgroundWorker w;
	char		name[BGW_MAXLEN];

	if (index >= 0)
		snprintf(name, BGW_MAXLEN, "%s %d", type, index + 1);
	else
		snprintf(name, BGW_MAXLEN, "%s", type);
	nf_worker_fill(&w, type, name, function, Int32GetDatum(index), 5, 0);
	RegisterBackgroundWorker(&w);
}

/*
 * Set up the collector: settings always; shared memory and workers only
 * while the postmaster loads shared_preload_libraries.
 */
void
nf_collector_init(void)
{
	NfListenAddr addrs[NF_MAX_LISTEN];
	const char *err;
	int			i;

	nf_collector_define_settings(process_shared_preload_libraries_in_progress);
	if (!process_shared_preload_libraries_in_progress)
		return;

	nf_collector_shmem_init();

	/* netflow.listen was validated by its check hook; empty disables */
	if (nf_parse_listen(nf_listen, addrs, NF_MAX_LISTEN, &err) <= 0)
	{
		ereport(LOG,
				(errmsg("netflow collector is disabled (netflow.listen is empty)")));
		return;
	}
	register_worker("netflow inserter", "nf_inserter_main", -1);
	for (i = 0; i < nf_workers; i++)
		register_worker("netflow receiver", "nf_receiver_main", i);
}

/* Register the extension's settings and background workers. */
void
_PG_init(void)
{
	netflow_partition_settings_init();
	nf_compressed_customscan_init();
	nf_batch_store_init();
	nf_collector_init();

	/* define every netflow.* setting before this line */
	MarkGUCPrefixReserved("netflow");
}
