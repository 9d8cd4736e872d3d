/*-------------------------------------------------------------------------
 *
 * collector_stats.c
 *	  SQL functions exposing the collector's shared-memory statistics:
 *	  workers, counters (one row per worker and counter) and exporters.
 *	  The views netflow.collector_stats, netflow.drop_counters and
 *	  netflow.exporters are built on them (sql/parts/30_collector.sql).
 *
 * Without shared_preload_libraries the functions return no rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "collector.h"
#include "collector_shmem.h"
#include "flow_tuple.h"

PG_FUNCTION_INFO_V1(netflow_collector_workers);
PG_FUNCTION_INFO_V1(netflow_collector_counters);
PG_FUNCTION_INFO_V1(netflow_exporters);

/* A counter value as bigint (saturating). */
static Datum
counter_datum(uint64 v)
{
	return Int64GetDatum(v > (uint64) PG_INT64_MAX ? PG_INT64_MAX : (int64) v);
}

/* Number of worker slots to show: the inserter and configured receivers. */
static int
shown_slots(void)
{
	return 1 + nf_workers;
}

/* Type and 1-based id of a worker slot. */
static void
slot_identity(int slot, Datum *type, Datum *id)
{
	if (slot == NF_INSERTER_SLOT)
	{
		*type = CStringGetTextDatum("inserter");
		*id = Int32GetDatum(1);
	}
	else
	{
		*type = CStringGetTextDatum("receiver");
		*id = Int32GetDatum(slot - NF_INSERTER_SLOT);
	}
}

/* netflow.collector_workers(): one row per collector worker. */
Datum
netflow_collector_workers(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			slot;

	InitMaterializedSRF(fcinfo, 0);
	if (nf_shared == NULL)
		PG_RETURN_VOID();

	for (slot = 0; slot < shown_slots(); slot++)
	{
		NfWorkerSlot *s = &nf_shared->slots[slot];
		Datum		values[6];
		bool		nulls[6] = {false};
		uint32		pid = pg_atomic_read_u32(&s->pid);
		TimestampTz started = (TimestampTz) pg_atomic_read_u64(&s->started_at);
		char		err[NF_LAST_ERROR_LEN];
		TimestampTz err_at;

		SpinLockAcquire(&s->err_lock);
		memcpy(err, s->last_error, sizeof(err));
		err_at = s->last_error_at;
		SpinLockRelease(&s->err_lock);
		err[sizeof(err) - 1] = '\0';

		slot_identity(slot, &values[0], &values[1]);
		values[2] = Int32GetDatum((int32) pid);
		nulls[2] = (pid == 0);
		values[3] = TimestampTzGetDatum(started);
		nulls[3] = (started == 0);
		values[4] = CStringGetTextDatum(err);
		nulls[4] = (err_at == 0);
		values[5] = TimestampTzGetDatum(err_at);
		nulls[5] = (err_at == 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}

/* Append one (worker, counter, value) row. */
static void
put_counter(ReturnSetInfo *rsinfo, int slot, const char *name, uint64 v)
{
	Datum		values[4];
	bool		nulls[4] = {false};

	slot_identity(slot, &values[0], &values[1]);
	values[2] = CStringGetTextDatum(name);
	values[3] = counter_datum(v);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* netflow.collector_counters(): one row per worker and counter. */
Datum
netflow_collector_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			slot;
	int			c;

	InitMaterializedSRF(fcinfo, 0);
	if (nf_shared == NULL)
		PG_RETURN_VOID();

	for (slot = 0; slot < shown_slots(); slot++)
	{
		NfWorkerSlot *s = &nf_shared->slots[slot];
		int			scope = (slot == NF_INSERTER_SLOT) ? NFW_FOR_INSERTER : NFW_FOR_RECEIVER;

		if (slot == NF_INSERTER_SLOT)
		{
			uint64		used,
						entries,
						size,
						hw;

			/* the decoder's counters, under the decoder's names */
			for (c = 0; c < NF_CTR__COUNT; c++)
				put_counter(rsinfo, slot, nf_counter_name((nf_counter) c),
							pg_atomic_read_u64(&s->decoder[c]));
			nf_queue_usage(&used, &entries, &size, &hw);
			put_counter(rsinfo, slot, "queue_bytes_used", used);
			put_counter(rsinfo, slot, "queue_datagrams", entries);
			put_counter(rsinfo, slot, "queue_size", size);
			put_counter(rsinfo, slot, "queue_high_water", hw);
		}
		for (c = 0; c < NFW__COUNT; c++)
			if (nf_worker_counter_scope((NfWorkerCounter) c) & scope)
				put_counter(rsinfo, slot, nf_worker_counter_name((NfWorkerCounter) c),
							pg_atomic_read_u64(&s->counters[c]));
	}
	PG_RETURN_VOID();
}

/* netflow.exporters(): the exporter table the inserter published. */
Datum
netflow_exporters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	nf_exporter_info *rows;
	int			n,
				i;

	InitMaterializedSRF(fcinfo, 0);
	if (nf_shared == NULL)
		PG_RETURN_VOID();

	rows = palloc(sizeof(nf_exporter_info) * NF_MAX_EXPORTER_ROWS);
	LWLockAcquire(nf_shared->exporters_lock, LW_SHARED);
	n = nf_shared->n_exporters;
	memcpy(rows, nf_shared->exporters, sizeof(nf_exporter_info) * n);
	LWLockRelease(nf_shared->exporters_lock);

	for (i = 0; i < n; i++)
	{
		const nf_exporter_info *e = &rows[i];
		Datum		values[14];
		bool		nulls[14] = {false};

		values[0] = nf_addr_to_inet(&e->exporter);
		values[1] = Int64GetDatum((int64) e->obs_domain);
		values[2] = Int16GetDatum((int16) e->version);
		values[3] = TimestampTzGetDatum(nf_us_to_timestamptz(e->first_seen));
		values[4] = TimestampTzGetDatum(nf_us_to_timestamptz(e->last_seen));
		/* a stream loaded from saved state has not been seen yet: 0 */
		nulls[3] = (e->first_seen == 0);
		nulls[4] = (e->last_seen == 0);
		values[5] = counter_datum(e->datagrams);
		values[6] = counter_datum(e->flows);
		values[7] = counter_datum(e->seq_gaps);
		values[8] = counter_datum(e->seq_lost);
		values[9] = counter_datum(e->seq_reordered);
		values[10] = counter_datum(e->resets);
		values[11] = Int64GetDatum((int64) e->templates);
		values[12] = counter_datum(e->sampling_interval);
		nulls[12] = (e->sampling_interval == 0);
		values[13] = counter_datum(e->pending_bytes);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(rows);
	PG_RETURN_VOID();
}
