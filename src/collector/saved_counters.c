/*-------------------------------------------------------------------------
 *
 * saved_counters.c
 *	  Loss counters that survive restarts: netflow.saved_counters.
 *
 * Every counter that netflow.drop_counters shows (kernel_drops, every
 * drop_*, pending_evicted, pending_expired, templates_evicted) lives in
 * shared memory, which a server stop clears.  The inserter adds what was
 * counted since its last save to netflow.saved_counters (one row per
 * counter, summed over the workers), every NF_COUNTER_SAVE_MS when a count
 * changed, and when it stops (after counting what it could not drain).
 *
 * Shared memory also keeps, per worker slot and counter, the part already
 * added to the table (counters_saved, decoder_saved), so that
 *	- a save adds exactly the counts since the previous one, even when the
 *	  inserter itself was restarted in between (shared memory survives
 *	  that, and is cleared only together with the live counters);
 *	- netflow.drop_counters shows saved + (live - already saved).
 * The marks are moved only after the saving transaction committed: a
 * failed save is simply repeated with a larger delta.  A crash of the
 * server loses the counts since the last save, at most NF_COUNTER_SAVE_MS.
 *
 * The table is new in version 0.2.  Against a 0.1 schema (before ALTER
 * EXTENSION netflow UPDATE) nothing is saved: the inserter says so once in
 * the log and looks for the table again at each save.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/tuplestore.h"

#include "collector.h"
#include "collector_settings.h"
#include "collector_shmem.h"
#include "saved_counters.h"

PG_FUNCTION_INFO_V1(netflow_loss_counters);

/* Loss counters besides every drop_* (decoder and receiver names). */
static const char *const other_loss_counters[] = {
	"kernel_drops", "pending_evicted", "pending_expired", "templates_evicted"
};

/* Distinct counter names at most. */
#define NF_MAX_LOSS_NAMES	(NFW__COUNT + NF_CTR__COUNT)

/* At most one report of a failed save per this many ms. */
#define NF_SAVE_ERROR_LOG_MS 60000

/* One loss counter summed over the workers. */
typedef struct NfLossTotal
{
	const char *name;
	uint64		live;			/* since the server started */
	uint64		unsaved;		/* not yet in netflow.saved_counters */
} NfLossTotal;

/* Live values read for a save, marked saved once it committed. */
typedef struct NfLossSnapshot
{
	uint64		worker[NF_NUM_SLOTS][NFW__COUNT];
	uint64		decoder[NF_CTR__COUNT];
} NfLossSnapshot;

static NfLossSnapshot snapshot;

/* the table was found missing and that was logged */
static bool missing_logged = false;
static int64 last_error_log_us = 0;

/* Is the counter of this name a loss counter? */
bool
nf_is_loss_counter(const char *name)
{
	int			i;

	if (name == NULL)
		return false;
	if (strncmp(name, "drop_", 5) == 0)
		return true;
	for (i = 0; i < lengthof(other_loss_counters); i++)
		if (strcmp(name, other_loss_counters[i]) == 0)
			return true;
	return false;
}

/* The part of a counter that was not saved yet. */
static inline uint64
unsaved_part(uint64 live, uint64 saved)
{
	return live > saved ? live - saved : 0;
}

/* A counter value as bigint (saturating). */
static inline int64
counter_int64(uint64 v)
{
	return v > (uint64) PG_INT64_MAX ? PG_INT64_MAX : (int64) v;
}

/* Add live and unsaved counts to the total named 'name' in totals[0..*n). */
static void
add_total(NfLossTotal *totals, int *n, const char *name, uint64 live,
		  uint64 unsaved)
{
	int			i;

	for (i = 0; i < *n; i++)
		if (strcmp(totals[i].name, name) == 0)
			break;
	if (i == *n)
	{
		if (*n >= NF_MAX_LOSS_NAMES)
			return;				/* cannot happen: names are distinct */
		totals[i].name = name;
		totals[i].live = 0;
		totals[i].unsaved = 0;
		(*n)++;
	}
	totals[i].live += live;
	totals[i].unsaved += unsaved;
}

/*
 * Totals per name of every loss counter over all worker slots.  With
 * 'snap', the live values read are kept there (to be marked saved).
 * Returns the number of names.
 */
static int
collect_loss_totals(NfLossTotal *totals, NfLossSnapshot *snap)
{
	int			n = 0;
	int			slot,
				c;

	for (slot = 0; slot < NF_NUM_SLOTS; slot++)
	{
		NfWorkerSlot *s = &nf_shared->slots[slot];

		for (c = 0; c < NFW__COUNT; c++)
		{
			const char *name = nf_worker_counter_name((NfWorkerCounter) c);
			uint64		live;

			if (!nf_is_loss_counter(name))
				continue;
			live = pg_atomic_read_u64(&s->counters[c]);
			if (snap)
				snap->worker[slot][c] = live;
			add_total(totals, &n, name, live,
					  unsaved_part(live, pg_atomic_read_u64(&s->counters_saved[c])));
		}
	}
	for (c = 0; c < NF_CTR__COUNT; c++)
	{
		NfWorkerSlot *s = &nf_shared->slots[NF_INSERTER_SLOT];
		const char *name = nf_counter_name((nf_counter) c);
		uint64		live;

		if (!nf_is_loss_counter(name))
			continue;
		live = pg_atomic_read_u64(&s->decoder[c]);
		if (snap)
			snap->decoder[c] = live;
		add_total(totals, &n, name, live,
				  unsaved_part(live, pg_atomic_read_u64(&s->decoder_saved[c])));
	}
	return n;
}

/* The values of 'snap' are in netflow.saved_counters now. */
static void
mark_saved(const NfLossSnapshot *snap)
{
	int			slot,
				c;

	for (slot = 0; slot < NF_NUM_SLOTS; slot++)
		for (c = 0; c < NFW__COUNT; c++)
			if (nf_is_loss_counter(nf_worker_counter_name((NfWorkerCounter) c)))
				pg_atomic_write_u64(&nf_shared->slots[slot].counters_saved[c],
									snap->worker[slot][c]);
	for (c = 0; c < NF_CTR__COUNT; c++)
		if (nf_is_loss_counter(nf_counter_name((nf_counter) c)))
			pg_atomic_write_u64(&nf_shared->slots[NF_INSERTER_SLOT].decoder_saved[c],
								snap->decoder[c]);
}

/* Does any loss counter hold counts not yet saved? */
bool
nf_loss_counters_unsaved(void)
{
	NfLossTotal totals[NF_MAX_LOSS_NAMES];
	int			n = collect_loss_totals(totals, NULL);
	int			i;

	for (i = 0; i < n; i++)
		if (totals[i].unsaved > 0)
			return true;
	return false;
}

/* Does netflow.saved_counters exist (not before version 0.2)? */
static bool
saved_counters_table_exists(void)
{
	Oid			nsp = get_namespace_oid("netflow", true);

	return OidIsValid(nsp) &&
		OidIsValid(get_relname_relid("saved_counters", nsp));
}

/*
 * Add the unsaved part of each total to netflow.saved_counters (SPI, in
 * the current transaction).  With 'all', zero counts create their row too.
 */
static void
write_saved_counters(const NfLossTotal *totals, int n, bool all)
{
	static const char *upsert =
		"INSERT INTO netflow.saved_counters AS s (counter, value)"
		" SELECT u.counter, u.value"
		" FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u(counter, value)"
		" ON CONFLICT (counter) DO UPDATE"
		" SET value = CASE WHEN s.value > 9223372036854775807 - excluded.value"
		" THEN 9223372036854775807 ELSE s.value + excluded.value END,"
		" updated_at = pg_catalog.now()"
		" WHERE excluded.value > 0";
	Oid			types[2] = {TEXTARRAYOID, INT8ARRAYOID};
	Datum		args[2];
	Datum	   *names = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(n, 1));
	int			k = 0;
	int			i;
	int			rc;

	for (i = 0; i < n; i++)
	{
		if (!all && totals[i].unsaved == 0)
			continue;
		names[k] = CStringGetTextDatum(totals[i].name);
		values[k] = Int64GetDatum(counter_int64(totals[i].unsaved));
		k++;
	}
	if (k == 0)
		return;
	args[0] = PointerGetDatum(construct_array(names, k, TEXTOID, -1, false,
											  TYPALIGN_INT));
	args[1] = PointerGetDatum(construct_array(values, k, INT8OID, 8,
											  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	rc = SPI_execute_with_args(upsert, 2, types, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "could not write netflow.saved_counters: %s",
			 SPI_result_code_string(rc));
	SPI_finish();
}

/* Report a failed save (rate-limited) and keep it as the last error. */
static void
report_save_error(void)
{
	ErrorData  *edata = CopyErrorData();
	int64		now = nf_now_us();
	char		msg[NF_LAST_ERROR_LEN];

	FlushErrorState();
	snprintf(msg, sizeof(msg), "could not save the loss counters: %s",
			 edata->message ? edata->message : "unknown error");
	nf_set_last_error(NF_INSERTER_SLOT, msg);
	if (last_error_log_us == 0 ||
		now - last_error_log_us >= NF_SAVE_ERROR_LOG_MS * INT64CONST(1000))
	{
		ereport(LOG,
				(errmsg("netflow inserter %s", msg),
				 errdetail("The counts stay in shared memory and are saved by a later attempt (every %d s); a server stop before that loses them.",
						   NF_COUNTER_SAVE_MS / 1000)));
		last_error_log_us = now;
	}
	FreeErrorData(edata);
}

/* Add the counts not yet saved to netflow.saved_counters. */
bool
nf_loss_counters_save(bool all)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	NfLossTotal totals[NF_MAX_LOSS_NAMES];
	int			n;
	int			i;
	volatile bool saved = false;
	volatile bool missing = false;
	bool		any = false;

	n = collect_loss_totals(totals, &snapshot);
	for (i = 0; i < n; i++)
		any |= totals[i].unsaved > 0;
	if (!any && !all)
		return true;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		if (saved_counters_table_exists())
			write_saved_counters(totals, n, all);
		else
			missing = true;
		PopActiveSnapshot();
		CommitTransactionCommand();
		saved = !missing;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		report_save_error();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);

	if (missing)
	{
		if (!missing_logged)
			ereport(LOG,
					(errmsg("netflow.saved_counters does not exist: the loss counters are not saved across restarts"),
					 errdetail("The netflow extension in database \"%s\" is older than this library.",
							   nf_database),
					 errhint("Run ALTER EXTENSION netflow UPDATE.")));
		missing_logged = true;
		return false;
	}
	if (saved)
	{
		mark_saved(&snapshot);
		missing_logged = false;
	}
	return saved;
}

/*
 * netflow.loss_counters(): every loss counter summed over the workers,
 * since the server started and the part not yet in netflow.saved_counters.
 * In a database other than netflow.database nothing of it was saved.
 */
Datum
netflow_loss_counters(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	NfLossTotal totals[NF_MAX_LOSS_NAMES];
	char	   *dbname;
	bool		collector_db;
	int			n,
				i;

	InitMaterializedSRF(fcinfo, 0);
	if (nf_shared == NULL)
		PG_RETURN_VOID();

	dbname = get_database_name(MyDatabaseId);
	collector_db = dbname != NULL && nf_database != NULL &&
		strcmp(dbname, nf_database) == 0;
	n = collect_loss_totals(totals, NULL);
	for (i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false};

		values[0] = CStringGetTextDatum(totals[i].name);
		values[1] = Int64GetDatum(counter_int64(totals[i].live));
		values[2] = Int64GetDatum(counter_int64(collector_db ?
												totals[i].unsaved :
												totals[i].live));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	PG_RETURN_VOID();
}
