/*-------------------------------------------------------------------------
 *
 * collector_shmem.h
 *	  Shared memory of the collector: the datagram queue from the receive
 *	  workers to the inserter, per-worker statistics and the published
 *	  exporter table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COLLECTOR_SHMEM_H
#define NETFLOW_COLLECTOR_SHMEM_H

#include "port/atomics.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "decoder.h"
#include "collector_settings.h"

/* Largest datagram we accept (the largest UDP payload, plus slack). */
#define NF_MAX_DATAGRAM		65536

/* Rows of the published exporter table. */
#define NF_MAX_EXPORTER_ROWS 4096

/* Length of the stored last error message. */
#define NF_LAST_ERROR_LEN	512

/* Worker slots: 0 is the inserter, 1..NF_MAX_RECEIVERS the receivers. */
#define NF_INSERTER_SLOT	0
#define NF_NUM_SLOTS		(NF_MAX_RECEIVERS + 1)

/*
 * Counters a worker keeps in shared memory (besides the decoder's own,
 * which the inserter publishes).  Names are in nf_worker_counter_name().
 */
typedef enum NfWorkerCounter
{
	NFW_DATAGRAMS,				/* receiver: datagrams received */
	NFW_BYTES,					/* receiver: their bytes */
	NFW_KERNEL_DROPS,			/* receiver: SO_RXQ_OVFL socket drops */
	NFW_DROP_NOT_ALLOWED,		/* receiver: source not allowed */
	NFW_DROP_TRUNCATED,			/* receiver: datagram larger than buffer */
	NFW_DROP_QUEUE_FULL,		/* receiver: shared queue full */
	NFW_RCVBUF_GRANTED,			/* receiver: SO_RCVBUF the kernel gave (bytes) */
	NFW_FLOWS_INSERTED,			/* inserter: rows committed */
	NFW_BATCHES,				/* inserter: committed insert transactions */
	NFW_INSERT_RETRIES,			/* inserter: failed insert transactions */
	NFW_TEMPLATES_SAVED,		/* inserter: template rows written */
	NFW_FLOWS_ROUTED,			/* inserter: flows given to route_flows */
	NFW_FLOWS_BUFFERED,			/* inserter: flows decoded, not yet committed */
	NFW_DROP_UNSTORABLE,		/* inserter: flow values outside column ranges */
	NFW_DROP_SHUTDOWN,			/* inserter: flows left when stopping */
	NFW_DROP_REJECTED,			/* inserter: rows netflow.flows refused */
	NFW_DROP_SHUTDOWN_QUEUED,	/* inserter: datagrams left in the queue
								 * when the server stopped */
	NFW_DROP_DECODE_ERROR,		/* inserter: datagrams whose decoding raised
								 * an ERROR */
	NFW_FLOWS_FUTURE,			/* inserter: rows stored in flows_future */
	NFW_FLOWS_PAST,				/* inserter: rows stored in flows_past */
	NFW_FLOWS_DIVERTED,			/* inserter: rows a partition kept refusing,
								 * stored in flows_past/flows_future */
	NFW_DROP_FAILED,			/* inserter: rows no table could take (not a
								 * data error) */
	NFW_MAINTENANCE_STARTED,	/* inserter: maintenance workers started */
	NFW_MAINTENANCE_OVERLAPPED, /* inserter: runs due while the previous
								 * one still ran, not started */
	NFW_MAINTENANCE_NO_WORKER,	/* inserter: runs not started, no free
								 * background worker slot */
	NFW_DROP_SAMPLING_UNSAVED,	/* inserter: sampling-rate changes not
								 * saved, the pending table was full */
	NFW_COMPRESSOR_NO_WORKER,	/* inserter: compression runs not started,
								 * no free background worker slot */
	NFW__COUNT
} NfWorkerCounter;

/* Which worker types show a counter. */
#define NFW_FOR_RECEIVER	1
#define NFW_FOR_INSERTER	2

/* Statistics of one worker. */
typedef struct NfWorkerSlot
{
	pg_atomic_uint32 pid;		/* 0 when not running */
	pg_atomic_uint64 started_at;	/* TimestampTz of last start */
	pg_atomic_uint64 counters[NFW__COUNT];
	pg_atomic_uint64 decoder[NF_CTR__COUNT];	/* inserter only */
	/* part of each counter already added to netflow.saved_counters */
	pg_atomic_uint64 counters_saved[NFW__COUNT];
	pg_atomic_uint64 decoder_saved[NF_CTR__COUNT];	/* inserter only */
	slock_t		err_lock;		/* protects the two fields below */
	TimestampTz last_error_at;	/* 0: none */
	char		last_error[NF_LAST_ERROR_LEN];
} NfWorkerSlot;

/*
 * The datagram queue: a ring of variable-length entries, each an
 * NfQueueEntry header followed by the datagram, 8-byte aligned.  Protected
 * by queue_lock.
 */
typedef struct NfQueueEntry
{
	uint32		total;			/* whole entry incl. header, MAXALIGNed */
	uint32		len;			/* datagram length; NF_QUEUE_SKIP: the rest
								 * of the ring is unused, go to offset 0 */
	int64		received_us;	/* us since Unix epoch */
	nf_addr		exporter;
} NfQueueEntry;

#define NF_QUEUE_SKIP PG_UINT32_MAX

typedef struct NfCollectorShared
{
	LWLock	   *queue_lock;
	LWLock	   *exporters_lock;
	pg_atomic_uint32 inserter_procno;	/* INVALID_PGPROCNO: none */

	NfWorkerSlot slots[NF_NUM_SLOTS];

	/* exporter table published by the inserter (exporters_lock) */
	int			n_exporters;
	uint64		exporters_not_shown;
	TimestampTz exporters_published_at;
	nf_exporter_info exporters[NF_MAX_EXPORTER_ROWS];

	/* queue state (queue_lock) */
	uint64		q_size;			/* bytes of q_data */
	uint64		q_head;			/* next write offset */
	uint64		q_tail;			/* next read offset */
	uint64		q_used;			/* bytes in use, incl. skipped tail ends */
	uint64		q_entries;		/* datagrams waiting */
	uint64		q_high_water;	/* largest q_used seen */
	/* q_size bytes of queue data follow this struct (MAXALIGNed) */
} NfCollectorShared;

/* Pointer to the shared state in this process (NULL: not preloaded). */
extern NfCollectorShared *nf_shared;

/* Install the shared memory hooks (from _PG_init, when preloading). */
extern void nf_collector_shmem_init(void);

/* Name and worker types of a worker counter. */
extern const char *nf_worker_counter_name(NfWorkerCounter c);
extern int	nf_worker_counter_scope(NfWorkerCounter c);

/* Add to / set a counter of a worker slot. */
static inline void
nf_count(int slot, NfWorkerCounter c, uint64 n)
{
	pg_atomic_fetch_add_u64(&nf_shared->slots[slot].counters[c], n);
}

static inline void
nf_count_set(int slot, NfWorkerCounter c, uint64 v)
{
	pg_atomic_write_u64(&nf_shared->slots[slot].counters[c], v);
}

/* Record an error message for a worker slot. */
extern void nf_set_last_error(int slot, const char *msg);

/* Mark a worker slot as running in this process (and clear at exit). */
extern void nf_worker_attach(int slot);

/*
 * Append one datagram to the queue.  Returns false (and changes nothing)
 * when there is no room.
 */
extern bool nf_queue_push(const uint8 *data, uint32 len,
						  const nf_addr *exporter, int64 received_us);

/*
 * Move whole entries from the queue into buf (at most buflen bytes, at
 * least one entry if any waits and it fits).  Returns bytes copied; the
 * entries are NfQueueEntry headers followed by data, each 'total' long.
 */
extern Size nf_queue_pop(char *buf, Size buflen);

/* Current queue fill: bytes used and datagrams waiting. */
extern void nf_queue_usage(uint64 *used, uint64 *entries, uint64 *size,
						   uint64 *high_water);

/* Wake the inserter (if running). */
extern void nf_wake_inserter(void);

#endif							/* NETFLOW_COLLECTOR_SHMEM_H */
