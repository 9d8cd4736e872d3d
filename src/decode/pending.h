/*-------------------------------------------------------------------------
 *
 * pending.h
 *	  Data sets that arrived before their template, kept per exporter
 *	  stream in arrival order, bounded in bytes (per stream and in total)
 *	  and in age.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_PENDING_H
#define NETFLOW_PENDING_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "msg_ctx.h"

typedef struct nf_pending_set
{
	struct nf_pending_set *next;
	nf_msg_ctx	ctx;
	uint16_t	template_id;
	size_t		len;			/* bytes of data (set body, no set header) */
	size_t		cost;			/* bytes charged against the bounds */
	uint8_t		data[];
} nf_pending_set;

/* Sets one stream may keep, whatever their size (bounds scan cost). */
#define NF_PENDING_MAX_SETS 1024

/* Buckets of the per-template-id count, to skip scans that find nothing. */
#define NF_PENDING_ID_BUCKETS 64

typedef struct nf_pending
{
	nf_pending_set *head;		/* oldest */
	nf_pending_set *tail;
	size_t		bytes;
	uint32_t	nsets;
	uint16_t	by_id[NF_PENDING_ID_BUCKETS];	/* sets per id % buckets */
} nf_pending;

extern void nfd_pending_init(nf_pending *p);

/*
 * Keep a copy of a data set body.  Oldest sets of this stream are evicted
 * to stay within 'max_bytes' and NF_PENDING_MAX_SETS (this stream) and
 * 'max_total' (*total, all streams).  Returns the number of sets evicted, counting the new one if it
 * could not be kept (*stored false; *nomem true if for lack of memory).
 */
extern size_t nfd_pending_add(nf_pending *p, size_t *total, size_t max_bytes,
							  size_t max_total, const nf_msg_ctx *ctx,
							  uint16_t template_id, const uint8_t *data,
							  size_t len, bool *stored, bool *nomem);

/* Drop sets received before now_us - max_age_us; returns how many. */
extern size_t nfd_pending_expire(nf_pending *p, size_t *total, int64_t now_us,
								 int64_t max_age_us);

/* Detach the sets waiting for 'template_id' (arrival order list). */
extern nf_pending_set *nfd_pending_take(nf_pending *p, size_t *total,
										uint16_t template_id);

/* Drop every set; returns how many. */
extern size_t nfd_pending_clear(nf_pending *p, size_t *total);

/* Free a list returned by nfd_pending_take. */
extern void nfd_pending_free_list(nf_pending_set *s);

#endif							/* NETFLOW_PENDING_H */
