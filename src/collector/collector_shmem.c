/*-------------------------------------------------------------------------
 *
 * collector_shmem.c
 *	  Shared memory of the collector: the datagram ring queue between the
 *	  receive workers and the inserter, and the per-worker statistics.
 *
 * The queue is a byte ring of variable-length entries (header + datagram),
 * protected by one LWLock.  Receivers append whole datagrams; the inserter
 * moves many entries out per lock acquisition.  When an entry does not fit
 * at the end of the ring, the rest of the ring is skipped (counted in
 * q_used until the reader passes it) and the entry is written at offset 0.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shmem.h"

#include "collector_shmem.h"

NfCollectorShared *nf_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

#define NF_LWLOCK_TRANCHE	"netflow"
#define QHDR				MAXALIGN(sizeof(NfQueueEntry))

/* Start of the queue's data area. */
#define QDATA()				((char *) nf_shared + MAXALIGN(sizeof(NfCollectorShared)))

static const struct
{
	const char *name;
	int			scope;
}			worker_counters[NFW__COUNT] = {
	[NFW_DATAGRAMS] = {"datagrams", NFW_FOR_RECEIVER},
	[NFW_BYTES] = {"bytes", NFW_FOR_RECEIVER},
	[NFW_KERNEL_DROPS] = {"kernel_drops", NFW_FOR_RECEIVER},
	[NFW_DROP_NOT_ALLOWED] = {"drop_not_allowed", NFW_FOR_RECEIVER},
	[NFW_DROP_TRUNCATED] = {"drop_truncated", NFW_FOR_RECEIVER},
	[NFW_DROP_QUEUE_FULL] = {"drop_queue_full", NFW_FOR_RECEIVER},
	[NFW_RCVBUF_GRANTED] = {"rcvbuf_granted", NFW_FOR_RECEIVER},
	[NFW_FLOWS_INSERTED] = {"flows_inserted", NFW_FOR_INSERTER},
	[NFW_BATCHES] = {"batches", NFW_FOR_INSERTER},
	[NFW_INSERT_RETRIES] = {"insert_retries", NFW_FOR_INSERTER},
	[NFW_TEMPLATES_SAVED] = {"templates_saved", NFW_FOR_INSERTER},
	[NFW_FLOWS_ROUTED] = {"flows_routed", NFW_FOR_INSERTER},
	[NFW_FLOWS_BUFFERED] = {"flows_buffered", NFW_FOR_INSERTER},
	[NFW_DROP_UNSTORABLE] = {"drop_unstorable", NFW_FOR_INSERTER},
	[NFW_DROP_SHUTDOWN] = {"drop_shutdown", NFW_FOR_INSERTER},
	[NFW_DROP_REJECTED] = {"drop_rejected", NFW_FOR_INSERTER},
	[NFW_DROP_SHUTDOWN_QUEUED] = {"drop_shutdown_queued", NFW_FOR_INSERTER},
	[NFW_DROP_DECODE_ERROR] = {"drop_decode_error", NFW_FOR_INSERTER},
	[NFW_FLOWS_FUTURE] = {"flows_future", NFW_FOR_INSERTER},
	[NFW_FLOWS_PAST] = {"flows_past", NFW_FOR_INSERTER},
	[NFW_FLOWS_DIVERTED] = {"flows_diverted", NFW_FOR_INSERTER},
	[NFW_DROP_FAILED] = {"drop_failed", NFW_FOR_INSERTER},
	[NFW_MAINTENANCE_STARTED] = {"maintenance_runs", NFW_FOR_INSERTER},
	[NFW_MAINTENANCE_OVERLAPPED] = {"maintenance_overlapped", NFW_FOR_INSERTER},
	[NFW_MAINTENANCE_NO_WORKER] = {"maintenance_no_worker", NFW_FOR_INSERTER},
	[NFW_DROP_SAMPLING_UNSAVED] = {"drop_sampling_unsaved", NFW_FOR_INSERTER},
	[NFW_COMPRESSOR_NO_WORKER] = {"compressor_no_worker", NFW_FOR_INSERTER},
};

/* Name of a worker counter. */
const char *
nf_worker_counter_name(NfWorkerCounter c)
{
	return worker_counters[c].name;
}

/* Worker types (NFW_FOR_*) that show a counter. */
int
nf_worker_counter_scope(NfWorkerCounter c)
{
	return worker_counters[c].scope;
}

/* Bytes of shared memory the collector needs. */
static Size
nf_shmem_size(void)
{
	Size		sz = MAXALIGN(sizeof(NfCollectorShared));

	sz = add_size(sz, mul_size((Size) nf_queue_size_kb, 1024));
	return sz;
}

/* shmem_request_hook: reserve our memory and locks. */
static void
nf_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(nf_shmem_size());
	RequestNamedLWLockTranche(NF_LWLOCK_TRANCHE, 2);
}

/* shmem_startup_hook: create or attach to the shared state. */
static void
nf_shmem_startup(void)
{
	bool		found;
	int			i,
				j;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	nf_shared = ShmemInitStruct("netflow collector", nf_shmem_size(), &found);
	if (!found)
	{
		LWLockPadded *locks = GetNamedLWLockTranche(NF_LWLOCK_TRANCHE);

		memset(nf_shared, 0, sizeof(NfCollectorShared));
		nf_shared->queue_lock = &locks[0].lock;
		nf_shared->exporters_lock = &locks[1].lock;
		pg_atomic_init_u32(&nf_shared->inserter_procno, INVALID_PGPROCNO);
		for (i = 0; i < NF_NUM_SLOTS; i++)
		{
			NfWorkerSlot *s = &nf_shared->slots[i];

			pg_atomic_init_u32(&s->pid, 0);
			pg_atomic_init_u64(&s->started_at, 0);
			for (j = 0; j < NFW__COUNT; j++)
			{
				pg_atomic_init_u64(&s->counters[j], 0);
				pg_atomic_init_u64(&s->counters_saved[j], 0);
			}
			for (j = 0; j < NF_CTR__COUNT; j++)
			{
				pg_atomic_init_u64(&s->decoder[j], 0);
				pg_atomic_init_u64(&s->decoder_saved[j], 0);
			}
			SpinLockInit(&s->err_lock);
		}
		nf_shared->q_size = (uint64) nf_queue_size_kb * 1024;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Install the shared memory hooks (from _PG_init, when preloading). */
void
nf_collector_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = nf_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = nf_shmem_startup;
}

/* Record an error message for a worker slot. */
void
nf_set_last_error(int slot, const char *msg)
{
	NfWorkerSlot *s = &nf_shared->slots[slot];

	SpinLockAcquire(&s->err_lock);
	strlcpy(s->last_error, msg, NF_LAST_ERROR_LEN);
	s->last_error_at = GetCurrentTimestamp();
	SpinLockRelease(&s->err_lock);
}

/* before_shmem_exit callback: the worker of slot 'arg' is gone. */
static void
nf_worker_detach(int code, Datum arg)
{
	int			slot = DatumGetInt32(arg);

	pg_atomic_write_u32(&nf_shared->slots[slot].pid, 0);
	if (slot == NF_INSERTER_SLOT)
		pg_atomic_write_u32(&nf_shared->inserter_procno, INVALID_PGPROCNO);
}

/* Mark a worker slot as running in this process (and clear at exit). */
void
nf_worker_attach(int slot)
{
	NfWorkerSlot *s = &nf_shared->slots[slot];

	pg_atomic_write_u32(&s->pid, (uint32) MyProcPid);
	pg_atomic_write_u64(&s->started_at, (uint64) GetCurrentTimestamp());
	if (slot == NF_INSERTER_SLOT)
		pg_atomic_write_u32(&nf_shared->inserter_procno, (uint32) MyProc->pgprocno);
	before_shmem_exit(nf_worker_detach, Int32GetDatum(slot));
}

/* Wake the inserter (if running). */
void
nf_wake_inserter(void)
{
	uint32		procno = pg_atomic_read_u32(&nf_shared->inserter_procno);

	if (procno != (uint32) INVALID_PGPROCNO && procno < ProcGlobal->allProcCount)
		SetLatch(&ProcGlobal->allProcs[procno].procLatch);
}

/* Append one datagram to the queue; false when there is no room. */
bool
nf_queue_push(const uint8 *data, uint32 len, const nf_addr *exporter,
			  int64 received_us)
{
	NfCollectorShared *sh = nf_shared;
	uint64		total = QHDR + MAXALIGN((uint64) len);
	uint64		at;
	NfQueueEntry *e;

	if (total > sh->q_size)
		return false;

	LWLockAcquire(sh->queue_lock, LW_EXCLUSIVE);
	if (sh->q_used == 0)
	{
		/* empty: start over at the beginning (no skipped space) */
		sh->q_head = sh->q_tail = 0;
	}
	if (sh->q_used > 0 && sh->q_head == sh->q_tail)
		goto full;				/* completely full */
	if (sh->q_head >= sh->q_tail)
	{
		uint64		end_free = sh->q_size - sh->q_head;

		if (total <= end_free)
			at = sh->q_head;
		else if (total <= sh->q_tail)
		{
			/* skip the end of the ring; mark it if a header fits there */
			if (end_free >= QHDR)
			{
				e = (NfQueueEntry *) (QDATA() + sh->q_head);
				e->total = (uint32) end_free;
				e->len = NF_QUEUE_SKIP;
			}
			sh->q_used += end_free;
			at = 0;
		}
		else
			goto full;
	}
	else
	{
		if (total <= sh->q_tail - sh->q_head)
			at = sh->q_head;
		else
			goto full;
	}

	e = (NfQueueEntry *) (QDATA() + at);
	e->total = (uint32) total;
	e->len = len;
	e->received_us = received_us;
	e->exporter = *exporter;
	memcpy((char *) e + QHDR, data, len);
	sh->q_head = at + total;
	if (sh->q_head == sh->q_size)
		sh->q_head = 0;
	sh->q_used += total;
	sh->q_entries++;
	if (sh->q_used > sh->q_high_water)
		sh->q_high_water = sh->q_used;
	LWLockRelease(sh->queue_lock);
	return true;

full:
	LWLockRelease(sh->queue_lock);
	return false;
}

/* Move whole entries from the queue into buf; returns bytes copied. */
Size
nf_queue_pop(char *buf, Size buflen)
{
	NfCollectorShared *sh = nf_shared;
	Size		copied = 0;

	LWLockAcquire(sh->queue_lock, LW_EXCLUSIVE);
	while (sh->q_used > 0)
	{
		NfQueueEntry *e;
		uint64		rest = sh->q_size - sh->q_tail;

		if (rest < QHDR)
		{
			/* unmarked skipped end of the ring */
			sh->q_used -= rest;
			sh->q_tail = 0;
			continue;
		}
		e = (NfQueueEntry *) (QDATA() + sh->q_tail);
		if (e->len == NF_QUEUE_SKIP)
		{
			/* marked skipped end of the ring */
			sh->q_used -= e->total;
			sh->q_tail = 0;
			continue;
		}
		if (copied + e->total > buflen)
			break;
		memcpy(buf + copied, e, e->total);
		copied += e->total;
		sh->q_used -= e->total;
		sh->q_entries--;
		sh->q_tail += e->total;
		if (sh->q_tail == sh->q_size)
			sh->q_tail = 0;
	}
	LWLockRelease(sh->queue_lock);
	return copied;
}

/* Current queue fill: bytes used and datagrams waiting. */
void
nf_queue_usage(uint64 *used, uint64 *entries, uint64 *size, uint64 *high_water)
{
	LWLockAcquire(nf_shared->queue_lock, LW_SHARED);
	*used = nf_shared->q_used;
	*entries = nf_shared->q_entries;
	*size = nf_shared->q_size;
	*high_water = nf_shared->q_high_water;
	LWLockRelease(nf_shared->queue_lock);
}
