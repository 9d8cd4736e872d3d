/*-------------------------------------------------------------------------
 *
 * inserter.c
 *	  The collector's insert worker ("netflow inserter").
 *
 * One inserter takes datagrams from the shared queue, decodes them with a
 * single nf_decoder (so an exporter's templates apply whichever receiver
 * read the datagram), buffers the flows and inserts them in one
 * transaction per flush: when netflow.batch_size flows are buffered or the
 * oldest has waited netflow.flush_interval.  Template changes, sampling
 * rates and the exporters' sequence state are saved to netflow.templates,
 * netflow.sampling and netflow.exporter_state in the same transaction, and
 * loaded into the decoder when the inserter starts.
 *
 * One flush inserts at most netflow.batch_size flows (what was decoded
 * beyond that waits for the next flush).  Where each flow goes is decided
 * by nf_route_flows() (flow_insert.c): its partition, or netflow.flows_past
 * / netflow.flows_future outside the window.  A failed flush is rolled back
 * and retried with exponential back-off; the batch is kept.  A transient
 * failure (lock timeout, deadlock, disk full, shutdown, ...) is retried for
 * as long as it takes; one that recurs with the same rows (a refused row,
 * "out of shared memory", a partition that cannot take rows) is retried
 * NF_SALVAGE_AFTER times, then the batch is salvaged: the rows that keep
 * failing are isolated and stored in flows_past/flows_future or dropped,
 * counted by reason, so that no batch blocks the ones after it.  While a
 * batch is pending the inserter decodes no more than netflow.batch_size
 * flows (plus the rest of one 256 KB chunk of datagrams), so memory stays
 * bounded and datagrams wait in the shared queue (whose overflow is counted
 * by the receivers).  After each committed flush the table statistics are
 * reported, so autovacuum sees the inserts.
 *
 * On SIGTERM the inserter drains the queue and flushes, within
 * netflow.shutdown_timeout, before exiting; what it cannot insert is counted
 * (drop_shutdown, drop_shutdown_queued).  The loss counters are saved to
 * netflow.saved_counters periodically and at exit (saved_counters.c), so a
 * restart does not hide what was lost.
 *
 * The inserter also keeps the maintenance schedule (netflow_maintenance_tick,
 * src/partitions/maintenance.c): between flushes it starts the short-lived
 * "netflow maintenance" worker that runs netflow.run_maintenance(), and the
 * "netflow compressor" after it; it never waits for either.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "collector.h"
#include "collector_shmem.h"
#include "collector_state.h"
#include "decoder.h"
#include "flow_insert.h"
#include "flow_tuple.h"
#include "maintenance.h"
#include "saved_counters.h"

/* Bytes moved out of the queue per lock acquisition. */
#define NF_POP_CHUNK		(256 * 1024)

/* Poll interval while waiting for CREATE EXTENSION. */
#define NF_EXTENSION_POLL_MS 5000

/* Retry back-off bounds. */
#define NF_BACKOFF_MIN_MS	100
#define NF_BACKOFF_MAX_MS	10000

/* At most one error report per this many ms (the rest are counted). */
#define NF_ERROR_LOG_MS		10000

/* lock_timeout of the insert transactions. */
#define NF_LOCK_TIMEOUT		"1s"

/* Longest wait for the receivers to exit when the inserter stops. */
#define NF_RECEIVER_EXIT_WAIT_MS 2000

/*
 * A batch that failed this many times in a row for a reason that is not
 * transient (is_transient_error) is salvaged in chunks of NF_SALVAGE_CHUNK
 * rows, each bisected down to the rows that fail.
 */
#define NF_SALVAGE_AFTER	2
#define NF_SALVAGE_CHUNK	1000

/* Exporter table publication and pending-data expiry interval. */
#define NF_HOUSEKEEPING_MS	1000

/* Decoded flows waiting to be inserted. */
typedef struct NfBatch
{
	nf_flow_record *flows;
	int			n;
	int			cap;
	int64		dirty_since_us; /* first unsaved flow or state, 0: none */
} NfBatch;

static NfBatch batch;
static nf_decoder *decoder = NULL;
static char *popbuf = NULL;
static uint64 decoder_base[NF_CTR__COUNT];

/* datagrams decoded since the sequence state was last saved */
static bool sequences_dirty = false;

/*
 * Rate limit of a kind of failure report: at most one per NF_ERROR_LOG_MS,
 * the others counted (log_throttle_allow).
 */
typedef struct NfLogThrottle
{
	int64		last_us;		/* last report; 0: none since the reset */
	int			not_logged;		/* failures not reported since then */
} NfLogThrottle;

/* retry state */
static int	backoff_ms = 0;
static int64 retry_at_us = 0;
static NfLogThrottle flush_errors_log = {0, 0};
static int	data_failures = 0;	/* consecutive non-transient failures */
static char last_rejection[NF_LAST_ERROR_LEN];
static Oid	extension_oid = InvalidOid;

/* errors raised while decoding: report rate limit */
static NfLogThrottle decode_errors_log = {0, 0};

/* Milliseconds from now until 'us' (at least 0). */
static long
ms_until(int64 us, int64 now)
{
	if (us <= now)
		return 0;
	return (long) ((us - now + 999) / 1000);
}

/*
 * May a failure be reported now?  True at most once per NF_ERROR_LOG_MS,
 * with *not_logged set to the failures not reported since the previous
 * report; otherwise the failure is counted as not reported.
 */
static bool
log_throttle_allow(NfLogThrottle *t, int64 now, int *not_logged)
{
	if (t->last_us == 0 || now - t->last_us >= NF_ERROR_LOG_MS * INT64CONST(1000))
	{
		*not_logged = t->not_logged;
		t->last_us = now;
		t->not_logged = 0;
		return true;
	}
	t->not_logged++;
	return false;
}

/*
 * Test-only fault (netflow.test_fail_decode_every, superuser only): raise
 * an ERROR from inside the decoder at every Nth flow.
 */
static void
test_fault_in_decoding(void)
{
	static uint64 flows_seen = 0;

	if (nf_test_fail_decode_every > 0 &&
		++flows_seen % (uint64) nf_test_fail_decode_every == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("netflow test fault: error while decoding flow " UINT64_FORMAT,
						flows_seen),
				 errdetail("netflow.test_fail_decode_every is %d.",
						   nf_test_fail_decode_every)));
}

/* nf_emit_fn: append a decoded flow to the batch. */
static void
emit_flow(void *arg, const nf_flow_record *rec)
{
	test_fault_in_decoding();
	if (nf_flow_unstorable(rec) != NULL)
	{
		nf_count(NF_INSERTER_SLOT, NFW_DROP_UNSTORABLE, 1);
		return;
	}
	if (batch.n == batch.cap)
	{
		int			newcap = batch.cap * 2;

		batch.flows = repalloc_huge(batch.flows,
									sizeof(nf_flow_record) * (Size) newcap);
		batch.cap = newcap;
	}
	batch.flows[batch.n++] = *rec;
	if (batch.dirty_since_us == 0)
		batch.dirty_since_us = nf_now_us();
}

/* Copy the decoder's counters to shared memory. */
static void
publish_decoder_counters(void)
{
	const uint64_t *c = nf_decoder_counters(decoder);
	NfWorkerSlot *s = &nf_shared->slots[NF_INSERTER_SLOT];
	int			i;

	for (i = 0; i < NF_CTR__COUNT; i++)
		pg_atomic_write_u64(&s->decoder[i], decoder_base[i] + c[i]);
	nf_count_set(NF_INSERTER_SLOT, NFW_FLOWS_BUFFERED, (uint64) batch.n);
}

/*
 * An ERROR was raised while a datagram was decoded: report it
 * (rate-limited) and keep it as last error.  Called from PG_CATCH, in the
 * caller's memory context.
 */
static void
report_decode_error(void)
{
	ErrorData  *edata = CopyErrorData();
	const char *msg = edata->message ? edata->message : "unknown error";
	int			not_logged;

	FlushErrorState();
	nf_set_last_error(NF_INSERTER_SLOT, msg);
	if (log_throttle_allow(&decode_errors_log, nf_now_us(), &not_logged))
		ereport(LOG,
				(errmsg("netflow inserter dropped a datagram whose decoding failed: %s", msg),
				 not_logged > 0 ?
				 errdetail("%d similar failures were not logged; all are counted as drop_decode_error.",
						   not_logged) :
				 errdetail("It is counted as drop_decode_error.")));
	FreeErrorData(edata);
}

/*
 * Decode one queued datagram into the batch.  An ERROR raised inside
 * decoding (by one of our callbacks: out of memory, ...) drops the datagram
 * whole -- the flows it emitted are taken back out of the batch -- and
 * counts it as drop_decode_error, so that every datagram taken from the
 * queue ends stored or counted, and the inserter goes on.  The decoder is
 * plain C holding no PostgreSQL resource; leaving it through a callback can
 * at worst leak the data sets it was decoding.
 */
static void
decode_datagram(const NfQueueEntry *e)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	int			mark = batch.n;

	PG_TRY();
	{
		(void) nf_decode(decoder,
						 (const uint8_t *) e + MAXALIGN(sizeof(NfQueueEntry)),
						 e->len, &e->exporter, e->received_us,
						 emit_flow, NULL);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		report_decode_error();
		batch.n = mark;
		nf_count(NF_INSERTER_SLOT, NFW_DROP_DECODE_ERROR, 1);
	}
	PG_END_TRY();
}

/*
 * Decode queued datagrams until the batch holds netflow.batch_size flows
 * or the queue is empty.  Returns true if the queue may hold more.
 */
static bool
decode_queued(void)
{
	for (;;)
	{
		Size		got,
					off = 0;

		if (batch.n >= nf_batch_size)
			return true;
		got = nf_queue_pop(popbuf, NF_POP_CHUNK);
		if (got == 0)
			return false;
		while (off < got)
		{
			NfQueueEntry *e = (NfQueueEntry *) (popbuf + off);

			decode_datagram(e);
			off += e->total;
		}
		sequences_dirty = true;
		if (batch.dirty_since_us == 0)
			batch.dirty_since_us = nf_now_us();
		publish_decoder_counters();
	}
}

/* Apply the settings of the insert transactions to this session. */
static void
apply_session_settings(void)
{
	SetConfigOption("synchronous_commit",
					nf_sync_commit_name(nf_synchronous_commit),
					PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("lock_timeout", NF_LOCK_TIMEOUT, PGC_USERSET, PGC_S_SESSION);
	SetConfigOption("application_name", "netflow inserter",
					PGC_USERSET, PGC_S_SESSION);
}

/* Handle a pending SIGHUP. */
static void
reload_if_asked(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		apply_session_settings();
	}
}

/* Is the extension installed in our database? */
static bool
extension_exists(void)
{
	bool		found;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	found = OidIsValid(get_extension_oid("netflow", true));
	CommitTransactionCommand();
	return found;
}

/*
 * Wait (quietly) until CREATE EXTENSION netflow has been run in our
 * database.  Returns false if asked to shut down meanwhile.
 */
static bool
wait_for_extension(void)
{
	bool		logged = false;

	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		reload_if_asked();
		if (ShutdownRequestPending)
			return false;
		if (extension_exists())
		{
			if (logged)
				ereport(LOG,
						(errmsg("netflow inserter found the netflow extension in database \"%s\"",
								nf_database)));
			return true;
		}
		if (!logged)
		{
			ereport(LOG,
					(errmsg("netflow inserter is waiting for CREATE EXTENSION netflow in database \"%s\"",
							nf_database),
					 errdetail("Received datagrams wait in the shared queue.")));
			logged = true;
		}
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 NF_EXTENSION_POLL_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * Load the saved templates, sampling rates and sequence state into the
 * decoder (errors are logged).
 */
static void
load_state(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		nf_state_load(decoder);
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(oldcxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Report a failed flush (rate-limited) and remember it as last error.
 * Returns the error's SQLSTATE.
 */
static int
report_flush_error(MemoryContext cxt)
{
	ErrorData  *edata;
	char		msg[NF_LAST_ERROR_LEN];
	int			code;
	int			not_logged;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	code = edata->sqlerrcode;
	snprintf(msg, sizeof(msg), "%s", edata->message ? edata->message : "unknown error");
	nf_set_last_error(NF_INSERTER_SLOT, msg);

	if (log_throttle_allow(&flush_errors_log, nf_now_us(), &not_logged))
	{
		/* log the original report, then what we do about it */
		EmitErrorReport();
		ereport(LOG,
				(errmsg("netflow inserter keeps %d flows and retries the insert",
						batch.n),
				 not_logged > 0 ?
				 errdetail("%d similar failures were not logged.", not_logged) : 0));
	}
	FreeErrorData(edata);
	FlushErrorState();
	return code;
}

/* Is this SQLSTATE about the data itself (a row the table refuses)? */
static bool
is_data_error(int code)
{
	return ERRCODE_TO_CATEGORY(code) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(code) == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION;
}

/*
 * Is this SQLSTATE transient: a failure of the moment or of the setup that
 * retrying the same rows later can cure, and that other rows would meet
 * too (serialization failure, deadlock, lock timeout, lost connection,
 * shutdown or cancel, I/O error, disk full, read-only server, missing
 * privilege)?  Such a batch is kept and retried for as long as it takes.
 * Every other error (a refused row, "out of shared memory", a partition
 * that cannot take rows, ...) recurs with the same rows: after
 * NF_SALVAGE_AFTER failures the batch is salvaged (insert_salvaging).
 */
static bool
is_transient_error(int code)
{
	switch (ERRCODE_TO_CATEGORY(code))
	{
		case ERRCODE_TRANSACTION_ROLLBACK:
		case ERRCODE_CONNECTION_EXCEPTION:
		case ERRCODE_OPERATOR_INTERVENTION:
		case ERRCODE_SYSTEM_ERROR:
		case ERRCODE_INVALID_TRANSACTION_STATE:
			return true;
		default:
			break;
	}
	return code == ERRCODE_LOCK_NOT_AVAILABLE || code == ERRCODE_DISK_FULL ||
		code == ERRCODE_TOO_MANY_CONNECTIONS ||
		code == ERRCODE_INSUFFICIENT_PRIVILEGE;
}

/* What became of the flows of one flush. */
typedef struct NfFlushOutcome
{
	int			rejected;		/* dropped: the tables refused the data */
	int			failed;			/* dropped: no table could take them */
	int			diverted;		/* refused by their partition, stored in a
								 * store instead */
	int			future;			/* stored in netflow.flows_future */
	int			past;			/* stored in netflow.flows_past */
} NfFlushOutcome;

/*
 * Run fn(arg) in a subtransaction.  Returns 0 when it committed; otherwise
 * the subtransaction is rolled back and the SQLSTATE returned (its message
 * kept in last_rejection), except for a transient error, which is
 * re-thrown to fail the whole flush.
 */
static int
in_subxact(void (*fn) (void *), void *arg)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile int code = 0;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (is_transient_error(edata->sqlerrcode))
			ReThrowError(edata);
		code = edata->sqlerrcode;
		snprintf(last_rejection, sizeof(last_rejection), "%s",
				 edata->message ? edata->message : "unknown error");
		FreeErrorData(edata);
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;
	return code;
}

/* Arguments of insert_range_fn / route_fn. */
typedef struct NfRangeArg
{
	int			off;
	int			n;
	uint8	   *dest;
} NfRangeArg;

/* Insert flows [off, off + n) of the batch into their tables. */
static void
insert_range_fn(void *arg)
{
	NfRangeArg *r = (NfRangeArg *) arg;

	nf_insert_flows(batch.flows + r->off, r->n, r->dest + r->off, NF_DEST_FLOWS);
	nf_insert_flows(batch.flows + r->off, r->n, r->dest + r->off, NF_DEST_FUTURE);
	nf_insert_flows(batch.flows + r->off, r->n, r->dest + r->off, NF_DEST_PAST);
}

/* Route the first n flows of the batch, asking the database. */
static void
route_fn(void *arg)
{
	NfRangeArg *r = (NfRangeArg *) arg;

	(void) nf_route_flows(batch.flows, r->n, r->dest, true);
}

/*
 * One flow its table refused for good: store it in flows_past (started
 * before now) or flows_future instead; when that fails too, drop it and
 * count the reason.
 */
static void
divert_flow(int i, uint8 *dest, int refusal, NfFlushOutcome *out)
{
	NfRangeArg r = {i, 1, dest};
	uint8		was = dest[i];
	int			code;

	if (was == NF_DEST_FLOWS && !is_data_error(refusal))
	{
		dest[i] = nf_store_for(batch.flows[i].time_start);
		code = in_subxact(insert_range_fn, &r);
		if (code == 0)
		{
			out->diverted++;
			return;
		}
		refusal = code;
	}
	/* a row the table refuses by its data is dropped, as before */
	dest[i] = NF_DEST_DROPPED;
	if (is_data_error(refusal))
		out->rejected++;
	else
		out->failed++;
}

/*
 * Insert flows [off, off + n): the whole range in a subtransaction; when it
 * fails for a reason that is not transient, each half on its own, down to
 * single flows, which divert_flow() stores elsewhere or drops (counted).
 * A few bad rows among n cost O(log n) subtransactions each.
 */
static void
insert_range(int off, int n, uint8 *dest, NfFlushOutcome *out)
{
	NfRangeArg r = {off, n, dest};
	int			code;

	CHECK_FOR_INTERRUPTS();
	code = in_subxact(insert_range_fn, &r);
	if (code == 0)
		return;
	if (n == 1)
	{
		divert_flow(off, dest, code, out);
		return;
	}
	insert_range(off, n / 2, dest, out);
	insert_range(off + n / 2, n - n / 2, dest, out);
}

/* Look up why the tables cannot be written on this node (arg: const char **). */
static void
refusal_fn(void *arg)
{
	*(const char **) arg = nf_citus_refusal();
}

/*
 * Salvage a batch that failed NF_SALVAGE_AFTER times for a reason that is
 * not transient: route it in a subtransaction (when routing itself fails,
 * the flows of hours not known to have a partition go to flows_past or
 * flows_future without asking), then insert it in chunks of
 * NF_SALVAGE_CHUNK rows, isolating the rows that keep failing
 * (insert_range).  Every row ends in a table or in a drop counter.
 */
static void
insert_salvaging(int n, uint8 *dest, NfFlushOutcome *out)
{
	NfRangeArg r = {0, n, dest};
	int			off;
	const char *refusal = NULL;

	/*
	 * A layout this node cannot write (a Citus worker whose tables are not
	 * all Citus tables) refuses every row alike: the batch is dropped and
	 * counted as drop_failed at once, not bisected row by row.
	 */
	if (in_subxact(refusal_fn, (void *) &refusal) == 0 && refusal != NULL)
	{
		memset(dest, NF_DEST_DROPPED, n);
		out->failed += n;
		snprintf(last_rejection, sizeof(last_rejection), "%s", refusal);
		return;
	}

	if (in_subxact(route_fn, &r) != 0)
	{
		ereport(LOG,
				(errmsg("netflow inserter could not route the flows of a failing batch: %s",
						last_rejection),
				 errdetail("Flows of hours without a known partition go to netflow.flows_past or netflow.flows_future.")));
		(void) nf_route_flows(batch.flows, n, dest, false);
	}
	for (off = 0; off < n; off += NF_SALVAGE_CHUNK)
		insert_range(off, Min(NF_SALVAGE_CHUNK, n - off), dest, out);
}

/* Save pending templates, sampling rates and sequence state (arg: int *templates saved). */
static void
save_state_fn(void *arg)
{
	*(volatile int *) arg = nf_state_save(decoder);
}

/* Tally the stores the flows [0, n) of a flush went to. */
static void
tally_destinations(const uint8 *dest, int n, NfFlushOutcome *out)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (dest[i] == NF_DEST_FUTURE)
			out->future++;
		else if (dest[i] == NF_DEST_PAST)
			out->past++;
	}
}

/* Publish what became of the n flows of a committed flush. */
static void
count_outcome(const NfFlushOutcome *out, int n)
{
	if (out->future > 0)
		nf_count(NF_INSERTER_SLOT, NFW_FLOWS_FUTURE, out->future);
	if (out->past > 0)
		nf_count(NF_INSERTER_SLOT, NFW_FLOWS_PAST, out->past);
	if (out->diverted > 0)
		nf_count(NF_INSERTER_SLOT, NFW_FLOWS_DIVERTED, out->diverted);
	if (out->rejected > 0)
		nf_count(NF_INSERTER_SLOT, NFW_DROP_REJECTED, out->rejected);
	if (out->failed > 0)
		nf_count(NF_INSERTER_SLOT, NFW_DROP_FAILED, out->failed);
	if (out->rejected + out->failed + out->diverted > 0)
	{
		nf_set_last_error(NF_INSERTER_SLOT, last_rejection);
		ereport(LOG,
				(errmsg("netflow inserter stored %d of %d flows of a failing batch elsewhere and dropped %d",
						out->diverted, n, out->rejected + out->failed),
				 errdetail("Stored in netflow.flows_past or netflow.flows_future: %d; dropped as refused data: %d; dropped for other errors: %d. Last refusal: %s",
						   out->diverted, out->rejected, out->failed, last_rejection)));
	}
}

/*
 * Send this process's table statistics (the rows just inserted) to the
 * cumulative statistics system, so that autovacuum analyzes, vacuums and
 * freezes the partitions and summarizes their BRIN ranges.  Outside any
 * transaction; pgstat_report_stat() itself limits how often it flushes
 * (PostgreSQL 15: at most once a second unless forced; the main loop
 * forces it before sleeping).
 */
static void
report_flush_stats(void)
{
	(void) pgstat_report_stat(false);
}

/* Remove the first n flows of the batch (the ones just committed). */
static void
batch_consume(int n)
{
	if (n < batch.n)
		memmove(batch.flows, batch.flows + n,
				sizeof(nf_flow_record) * (Size) (batch.n - n));
	batch.n -= n;
	if (batch.n == 0)
		batch.dirty_since_us = 0;
}

/*
 * Insert the batch (at most netflow.batch_size flows of it) and save
 * pending templates in one transaction.  Returns true on commit; on
 * failure the batch is kept and a retry time is set.
 */
static bool
flush_batch(void)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	volatile bool ok = false;
	volatile bool transient = false;
	volatile int templates = 0;
	volatile bool state_saved = true;
	volatile int routed = 0;
	uint8	   *volatile dest = NULL;
	NfFlushOutcome out = {0};
	volatile int code = 0;
	int			n = Min(batch.n, nf_batch_size);

	pgstat_report_activity(STATE_RUNNING, "netflow: inserting flows");
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	PG_TRY();
	{
		Oid			extoid;

		/* a missing extension is waited for, never salvaged */
		transient = true;
		extoid = get_extension_oid("netflow", true);
		if (!OidIsValid(extoid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("extension \"netflow\" does not exist in database \"%s\"",
							nf_database)));
		transient = false;
		if (extoid != extension_oid)
		{
			/* recreated: netflow.templates is empty again */
			if (OidIsValid(extension_oid))
			{
				nf_state_forget(decoder);
			}
			extension_oid = extoid;
		}
		dest = MemoryContextAllocZero(TopTransactionContext, Max(n, 1));
		if (data_failures >= NF_SALVAGE_AFTER)
			insert_salvaging(n, dest, &out);
		else
		{
			/* a layout this node cannot write: not even routed (Citus) */
			const char *refusal = nf_citus_refusal();

			if (refusal != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("netflow cannot store flows on this node: %s", refusal)));
			routed = nf_route_flows(batch.flows, n, dest, true);
			nf_insert_flows(batch.flows, n, dest, NF_DEST_FLOWS);
			nf_insert_flows(batch.flows, n, dest, NF_DEST_FUTURE);
			nf_insert_flows(batch.flows, n, dest, NF_DEST_PAST);
		}
		if (data_failures >= NF_SALVAGE_AFTER)
		{
			/* saving the state must not fail the salvaged rows either */
			if (in_subxact(save_state_fn, (void *) &templates) != 0)
			{
				state_saved = false;
				ereport(LOG,
						(errmsg("netflow inserter could not save the decoder state with a failing batch: %s",
								last_rejection),
						 errdetail("The flows are inserted; the state is saved with a later batch.")));
			}
		}
		else
			save_state_fn((void *) &templates);
		tally_destinations(dest, n, &out);
		PopActiveSnapshot();
		CommitTransactionCommand();
		ok = true;
	}
	PG_CATCH();
	{
		code = report_flush_error(oldcxt);
		AbortCurrentTransaction();
		nf_forget_partitions();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	pgstat_report_activity(STATE_IDLE, NULL);

	if (routed > 0)
		nf_count(NF_INSERTER_SLOT, NFW_FLOWS_ROUTED, routed);
	if (ok)
	{
		data_failures = 0;
		count_outcome(&out, n);
		nf_count(NF_INSERTER_SLOT, NFW_FLOWS_INSERTED,
				 (uint64) (n - out.rejected - out.failed));
		nf_count(NF_INSERTER_SLOT, NFW_BATCHES, 1);
		if (templates > 0)
			nf_count(NF_INSERTER_SLOT, NFW_TEMPLATES_SAVED, templates);
		if (state_saved)
		{
			nf_state_committed();
			sequences_dirty = false;
		}
		batch_consume(n);
		backoff_ms = 0;
		retry_at_us = 0;
		report_flush_stats();
		if (flush_errors_log.last_us != 0)
		{
			ereport(LOG,
					(errmsg("netflow inserter recovered: insert succeeded"),
					 flush_errors_log.not_logged > 0 ?
					 errdetail("%d failures were not logged.",
							   flush_errors_log.not_logged) : 0));
			flush_errors_log.last_us = 0;
			flush_errors_log.not_logged = 0;
		}
	}
	else
	{
		if (transient || is_transient_error(code))
			data_failures = 0;
		else
			data_failures++;
		nf_count(NF_INSERTER_SLOT, NFW_INSERT_RETRIES, 1);
		backoff_ms = backoff_ms == 0 ? NF_BACKOFF_MIN_MS :
			Min(backoff_ms * 2, NF_BACKOFF_MAX_MS);
		retry_at_us = nf_now_us() + (int64) backoff_ms * 1000;
	}
	nf_count_set(NF_INSERTER_SLOT, NFW_FLOWS_BUFFERED, (uint64) batch.n);
	return ok;
}

/*
 * Is anything (flows, template changes, sampling rates, sequence state of
 * datagrams decoded since the last flush) waiting to be written?
 */
static bool
batch_dirty(void)
{
	return batch.n > 0 || nf_state_pending() || sequences_dirty;
}

/*
 * Save the loss counters (every drop_* of the receivers, the inserter and
 * the decoder) to netflow.saved_counters, with 'all': every counter, zero
 * or not, so each has its row from the start.
 */
static void
save_loss_counters(bool all)
{
	publish_decoder_counters();
	pgstat_report_activity(STATE_RUNNING, "netflow: saving loss counters");
	(void) nf_loss_counters_save(all);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Shutdown, first step: decode and insert what the queue and the batch
 * hold until both are empty or 'deadline' has passed.
 */
static void
drain_until(int64 deadline)
{
	for (;;)
	{
		int64		now = nf_now_us();
		bool		more;

		if (now >= deadline)
			break;
		more = decode_queued();
		if (!batch_dirty() && !more)
			break;
		if (retry_at_us > now)
		{
			pg_usleep(Min(ms_until(retry_at_us, now), ms_until(deadline, now)) * 1000L);
			continue;
		}
		(void) flush_batch();
	}
}

/*
 * Have the receivers exited?  Waits for them at most
 * NF_RECEIVER_EXIT_WAIT_MS.  They have when the server stops (the
 * postmaster sends SIGTERM to every worker at once); they have not when
 * only the inserter was terminated, and then the queue outlives us.
 */
static bool
receivers_stopped(void)
{
	int64		until = nf_now_us() + NF_RECEIVER_EXIT_WAIT_MS * INT64CONST(1000);

	for (;;)
	{
		bool		running = false;
		int			slot;

		for (slot = NF_INSERTER_SLOT + 1; slot < NF_NUM_SLOTS; slot++)
			if (pg_atomic_read_u32(&nf_shared->slots[slot].pid) != 0)
				running = true;
		if (!running)
			return true;
		if (nf_now_us() >= until)
			return false;
		pg_usleep(10000L);
	}
}

/*
 * Empty the queue, counting the datagrams as drop_shutdown_queued (the
 * server stops: shared memory goes with it).  Returns their number.
 */
static uint64
discard_queue(void)
{
	uint64		dropped = 0;
	Size		got;

	while ((got = nf_queue_pop(popbuf, NF_POP_CHUNK)) > 0)
	{
		Size		off = 0;

		while (off < got)
		{
			off += ((NfQueueEntry *) (popbuf + off))->total;
			dropped++;
		}
	}
	nf_count(NF_INSERTER_SLOT, NFW_DROP_SHUTDOWN_QUEUED, dropped);
	return dropped;
}

/*
 * Shutdown: decode and insert what the queue holds within
 * netflow.shutdown_timeout; count what is left (flows of the batch as
 * drop_shutdown; when the server stops, queued datagrams as
 * drop_shutdown_queued), save the loss counters and exit.
 */
static void
drain_and_exit(void)
{
	int64		deadline = nf_now_us() + (int64) nf_shutdown_timeout_ms * 1000;
	bool		server_stops;
	uint64		dropped = 0;
	uint64		used,
				entries,
				size,
				hw;
	int			unflushed;

	drain_until(deadline);
	server_stops = receivers_stopped();
	if (server_stops)
	{
		/* what the receivers queued while stopping, then what is left */
		drain_until(deadline);
		dropped = discard_queue();
	}
	unflushed = batch.n;
	if (unflushed > 0)
		nf_count(NF_INSERTER_SLOT, NFW_DROP_SHUTDOWN, (uint64) unflushed);
	batch.n = 0;
	nf_count_set(NF_INSERTER_SLOT, NFW_FLOWS_BUFFERED, 0);
	save_loss_counters(false);

	nf_queue_usage(&used, &entries, &size, &hw);
	if (unflushed > 0 || dropped > 0)
		ereport(LOG,
				(errmsg("netflow inserter stopped with %d flows not inserted and " UINT64_FORMAT " queued datagrams dropped",
						unflushed, dropped),
				 errdetail("They are counted as drop_shutdown and drop_shutdown_queued; netflow.shutdown_timeout is %d ms.",
						   nf_shutdown_timeout_ms)));
	else if (entries > 0)
		ereport(LOG,
				(errmsg("netflow inserter stopped with " UINT64_FORMAT " datagrams left in the queue for the next inserter",
						entries)));
	else
		ereport(LOG, (errmsg("netflow inserter stopped after flushing everything")));

	/*
	 * Exit status 1: the postmaster restarts us after bgw_restart_time if
	 * the server keeps running (pg_terminate_backend); 0 would unregister.
	 */
	proc_exit(1);
}

/* Entry point of the insert worker. */
void
nf_inserter_main(Datum main_arg)
{
	int64		last_housekeeping = 0;
	int64		last_counter_save = 0;
	int			i;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	if (nf_shared == NULL)
		ereport(FATAL,
				(errmsg("netflow inserter started without the netflow shared memory")));

	BackgroundWorkerInitializeConnection(nf_database,
										 (nf_role && nf_role[0]) ? nf_role : NULL,
										 0);
	nf_worker_attach(NF_INSERTER_SLOT);
	apply_session_settings();

	/* counters continue from the previous inserter's */
	for (i = 0; i < NF_CTR__COUNT; i++)
		decoder_base[i] = pg_atomic_read_u64(&nf_shared->slots[NF_INSERTER_SLOT].decoder[i]);

	decoder = nf_decoder_create(NULL);
	if (decoder == NULL)
		ereport(FATAL,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory creating the netflow decoder")));
	nf_decoder_on_template(decoder, nf_state_template_event, NULL);
	nf_decoder_on_sampling(decoder, nf_state_sampling_event, NULL);
	nf_decoder_on_stream_evicted(decoder, nf_state_stream_evicted, NULL);

	popbuf = MemoryContextAlloc(TopMemoryContext, NF_POP_CHUNK);
	batch.cap = 1024;
	batch.flows = MemoryContextAlloc(TopMemoryContext,
									 sizeof(nf_flow_record) * batch.cap);
	batch.n = 0;
	batch.dirty_since_us = 0;

	if (!wait_for_extension())
		proc_exit(1);			/* restarted unless the server stops */
	load_state();
	save_loss_counters(true);
	last_counter_save = nf_now_us();
	ereport(LOG,
			(errmsg("netflow inserter started in database \"%s\"", nf_database)));

	for (;;)
	{
		bool		more;
		int64		now;
		long		timeout;
		long		maintenance_ms;

		CHECK_FOR_INTERRUPTS();
		reload_if_asked();
		if (ShutdownRequestPending)
			drain_and_exit();

		more = decode_queued();
		now = nf_now_us();

		if (batch_dirty() && now >= retry_at_us &&
			(batch.n >= nf_batch_size ||
			 now - batch.dirty_since_us >= (int64) nf_flush_interval_ms * 1000))
		{
			if (flush_batch())
				continue;		/* look at the queue again at once */
			now = nf_now_us();
		}

		if (now - last_housekeeping >= NF_HOUSEKEEPING_MS * INT64CONST(1000))
		{
			nf_decoder_expire(decoder, now);
			publish_decoder_counters();
			nf_state_publish_exporters(decoder);
			last_housekeeping = now;
		}

		if (now - last_counter_save >= NF_COUNTER_SAVE_MS * INT64CONST(1000))
		{
			save_loss_counters(false);
			last_counter_save = now = nf_now_us();
		}

		/*
		 * Maintenance runs in a worker of its own, started from here when
		 * due (outside any transaction); ingest goes on meanwhile.
		 */
		maintenance_ms = netflow_maintenance_tick();
		now = nf_now_us();

		/* sleep until new data, the flush deadline or the retry time */
		timeout = NF_HOUSEKEEPING_MS;
		if (maintenance_ms >= 0)
			timeout = Min(timeout, Max(maintenance_ms, 1));
		if (retry_at_us > now)
			timeout = Min(timeout, ms_until(retry_at_us, now));
		else if (more && batch.n < nf_batch_size)
			timeout = 0;
		if (batch_dirty() && retry_at_us <= now)
			timeout = Min(timeout,
						  ms_until(batch.dirty_since_us + (int64) nf_flush_interval_ms * 1000, now));
		if (timeout > 0)
		{
			/* idle: statistics held back by the rate limit go out now */
			(void) pgstat_report_stat(true);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 timeout, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
	}
}
