/*-------------------------------------------------------------------------
 *
 * stream_table.h
 *	  The table of exporter streams: one entry per (exporter address,
 *	  observation domain, version), found by hash, kept in least recently
 *	  seen order and bounded in number.
 *
 * An entry holds everything the decoder learns about one stream: sequence
 * state, sampling rates, templates and data waiting for them.  The table
 * knows nothing of the decoder: what an evicted entry holds is released
 * by a callback of the caller, then the entry is freed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_STREAM_TABLE_H
#define NETFLOW_STREAM_TABLE_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "flow_record.h"
#include "pending.h"
#include "sampling.h"
#include "sequence.h"
#include "template_cache.h"

/*
 * One exporter stream: (exporter address, observation domain, version).
 * For v5 the domain is engine_type << 8 | engine_id.
 */
typedef struct nf_exporter
{
	struct nf_exporter *hnext;	/* hash chain */
	struct nf_exporter *lru_prev;	/* toward more recently seen */
	struct nf_exporter *lru_next;	/* toward less recently seen */

	nf_addr		addr;			/* normalized: unused bytes zero */
	uint32_t	domain;
	uint16_t	version;

	int64_t		first_seen;
	int64_t		last_seen;
	uint64_t	datagrams;
	uint64_t	flows;
	uint64_t	seq_gaps;
	uint64_t	seq_lost;
	uint64_t	seq_reordered;
	uint64_t	resets;

	nf_seq		seq;
	bool		has_uptime;		/* v9: last_uptime valid */
	uint32_t	last_uptime;
	bool		has_sys_init;	/* IPFIX systemInitTimeMilliseconds known */
	int64_t		sys_init_ms;

	nf_sampling sampling;
	nf_pending	pending;
	nf_tset		templates;
} nf_exporter;

/*
 * Releases what an entry holds (templates, waiting data) before it is
 * freed; 'evicted' is false when the whole table is destroyed.
 */
typedef void (*nf_stream_release_fn) (void *arg, nf_exporter *e,
									  bool evicted);

/* The table. */
typedef struct nf_stream_table
{
	nf_exporter **buckets;
	size_t		nbuckets;		/* power of two */
	size_t		n;				/* entries */
	size_t		max;			/* entries kept at most */
	nf_exporter *lru_head;		/* most recently seen */
	nf_exporter *lru_tail;
	nf_stream_release_fn release;
	void	   *release_arg;
} nf_stream_table;

/* Set up an empty table of at most 'max' entries; false without memory. */
extern bool nfd_streams_init(nf_stream_table *t, size_t max,
							 nf_stream_release_fn release, void *arg);

/* Release and free every entry, and the table's own memory. */
extern void nfd_streams_destroy(nf_stream_table *t);

/*
 * Copy an address keeping only the bytes its family uses; an IPv4-mapped
 * IPv6 address becomes the IPv4 address.
 */
extern void nfd_addr_normalize(nf_addr *dst, const nf_addr *src);

/*
 * Find or create the stream (addr, domain, version) and mark it seen at
 * now_us.  Creating may evict least recently seen entries (their number is
 * added to *evicted).  NULL only when out of memory.
 */
extern nf_exporter *nfd_streams_get(nf_stream_table *t, const nf_addr *addr,
									uint32_t domain, uint16_t version,
									int64_t now_us, size_t *evicted);

#endif							/* NETFLOW_STREAM_TABLE_H */
