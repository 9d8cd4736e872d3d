/*-------------------------------------------------------------------------
 *
 * pending.h
 *	  Data sets that arrived before their template, kept per exporter
 *	  stream in arrival order, bounded in bytes (per stream, per exporter
 *	  address and in total) and in age, and indexed by template id.
 *
 * Taking the sets of one template id costs the number of those sets, not
 * the number of sets waiting: each set is on the stream's arrival list
 * (oldest first, for age and eviction) and on a circular list of the sets
 * of its id, found through a direct index (id_map.h) whose memory is
 * charged to the bounds like the sets themselves.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_PENDING_H
#define NETFLOW_PENDING_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "id_map.h"
#include "msg_ctx.h"

typedef struct nf_pending_set
{
	struct nf_pending_set *prev;	/* arrival order */
	struct nf_pending_set *next;
	struct nf_pending_set *id_next; /* circular list of the same id */
	nf_msg_ctx	ctx;
	uint16_t	template_id;
	size_t		len;			/* bytes of data (set body, no set header) */
	size_t		cost;			/* bytes charged against the bounds */
	uint8_t		data[];
} nf_pending_set;

/*
 * What the index of a stream's waiting sets costs while all their ids are
 * in one 256-id range (the directory and one page): charged to the bounds.
 */
#define NF_PENDING_INDEX_BYTES	(256 * sizeof(void *) + NF_IDMAP_PAGE_BYTES)

/* Sets one stream may keep, whatever their size. */
#define NF_PENDING_MAX_SETS 1024

/* Bytes charged per exporter address, shared by its streams. */
typedef struct nf_pending_quota
{
	size_t		bytes;
	size_t		max;
} nf_pending_quota;

typedef struct nf_pending
{
	nf_pending_set *head;		/* oldest */
	nf_pending_set *tail;
	size_t		bytes;			/* sets and index */
	uint32_t	nsets;
	nf_idmap	by_id;			/* id -> last set of its circular list */
	size_t		index_bytes;	/* of by_id, included in bytes */
	nf_pending_quota *quota;	/* of the stream's address */
} nf_pending;

extern void nfd_pending_init(nf_pending *p, nf_pending_quota *quota);

/*
 * Keep a copy of a data set body.  Oldest sets of this stream are evicted
 * to stay within 'max_bytes' and NF_PENDING_MAX_SETS (this stream), the
 * address quota and 'max_total' (*total, all streams).  Returns the number
 * of sets evicted, counting the new one if it could not be kept (*stored
 * false; *nomem true if for lack of memory).  Sets of other streams are
 * never evicted: when other streams of the address, or other addresses,
 * hold the quota or the total, the new set is refused.
 */
extern size_t nfd_pending_add(nf_pending *p, size_t *total, size_t max_bytes,
							  size_t max_total, const nf_msg_ctx *ctx,
							  uint16_t template_id, const uint8_t *data,
							  size_t len, bool *stored, bool *nomem);

/* Drop sets received before now_us - max_age_us; returns how many. */
extern size_t nfd_pending_expire(nf_pending *p, size_t *total, int64_t now_us,
								 int64_t max_age_us);

/* Detach the sets waiting for 'template_id' (arrival order list via next). */
extern nf_pending_set *nfd_pending_take(nf_pending *p, size_t *total,
										uint16_t template_id);

/* Drop every set; returns how many. */
extern size_t nfd_pending_clear(nf_pending *p, size_t *total);

/* Free a list returned by nfd_pending_take. */
extern void nfd_pending_free_list(nf_pending_set *s);

#endif							/* NETFLOW_PENDING_H */
