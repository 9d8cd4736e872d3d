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
 * Streams are bounded per exporter address and in total.  Each address
 * has an entry of its own (nf_exporter_addr) while it has streams: its
 * streams in least recently seen order, and the quotas its streams share
 * (templates, waiting data).  A new stream of an address at its bound
 * evicts that address's least recently seen stream; only when the total
 * is reached is the least recently seen stream of any address evicted.
 * So a flood from one address (varying the v9 source id, the IPFIX
 * observation domain or the v5 engine id) evicts only its own streams.
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

/* Streams whose sampling was lost, remembered per address (see below). */
#define NF_LOST_SAMPLING_MAX 64

struct nf_exporter;

/* One exporter address: its streams and the quotas they share. */
typedef struct nf_exporter_addr
{
	struct nf_exporter_addr *hnext; /* hash chain */
	nf_addr		addr;			/* normalized */
	size_t		nstreams;
	struct nf_exporter *lru_head;	/* its most recently seen stream */
	struct nf_exporter *lru_tail;
	nf_tquota	templates;		/* templates of all its streams */
	nf_pending_quota pending;	/* waiting data of all its streams */

	/*
	 * (domain, version) of its streams evicted while they knew sampling
	 * rates: recreated, such a stream starts with its sampling unknown (0),
	 * not unsampled (1), until the exporter announces the rate again.
	 */
	uint32_t	lost_domain[NF_LOST_SAMPLING_MAX];
	uint16_t	lost_version[NF_LOST_SAMPLING_MAX];
	uint32_t	nlost;
	uint32_t	lost_next;		/* replaced next when full */
} nf_exporter_addr;

/*
 * One exporter stream: (exporter address, observation domain, version).
 * For v5 the domain is engine_type << 8 | engine_id.
 */
typedef struct nf_exporter
{
	struct nf_exporter *hnext;	/* hash chain */
	struct nf_exporter *lru_prev;	/* toward more recently seen */
	struct nf_exporter *lru_next;	/* toward less recently seen */
	struct nf_exporter *alru_prev;	/* the same among its address's */
	struct nf_exporter *alru_next;
	nf_exporter_addr *owner;

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
	bool		sampling_lost;	/* created with its sampling unknown */
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
	size_t		max_per_addr;	/* entries of one address kept at most */
	size_t		pending_per_addr;	/* waiting bytes of one address */
	nf_exporter *lru_head;		/* most recently seen */
	nf_exporter *lru_tail;
	nf_stream_release_fn release;
	void	   *release_arg;

	nf_exporter_addr **abuckets;	/* addresses */
	size_t		nabuckets;		/* power of two */
	size_t		naddrs;
} nf_stream_table;

/* How nfd_streams_get may make room for a new stream. */
typedef enum nf_stream_mode
{
	NF_STREAM_LIVE,				/* a datagram: evict to make room */
	NF_STREAM_LOAD				/* saved state: never evict, refuse */
} nf_stream_mode;

/* What nfd_streams_get did besides returning the stream. */
typedef struct nf_stream_outcome
{
	size_t		evicted;		/* streams evicted */
	size_t		sampling_lost;	/* of which knew sampling rates */
	bool		refused;		/* NF_STREAM_LOAD: a bound was reached */
} nf_stream_outcome;

/*
 * Set up an empty table of at most 'max' entries, 'max_per_addr' per
 * address whose streams share 'pending_per_addr' bytes of waiting data;
 * false without memory.
 */
extern bool nfd_streams_init(nf_stream_table *t, size_t max,
							 size_t max_per_addr, size_t pending_per_addr,
							 nf_stream_release_fn release, void *arg);

/* Release and free every entry, and the table's own memory. */
extern void nfd_streams_destroy(nf_stream_table *t);

/*
 * Copy an address keeping only the bytes its family uses; an IPv4-mapped
 * IPv6 address becomes the IPv4 address.
 */
extern void nfd_addr_normalize(nf_addr *dst, const nf_addr *src);

/*
 * Find or create the stream (addr, domain, version).  NF_STREAM_LIVE marks
 * it seen at now_us and may evict least recently seen entries to create
 * it; NF_STREAM_LOAD changes no recency, creates it at the least recent
 * end (saved state is loaded most recent first) and, at a bound, returns
 * NULL with out->refused.  Otherwise NULL only when out of memory.
 */
extern nf_exporter *nfd_streams_get(nf_stream_table *t, const nf_addr *addr,
									uint32_t domain, uint16_t version,
									int64_t now_us, nf_stream_mode mode,
									nf_stream_outcome *out);

/* The stream (addr, domain, version) if tracked, else NULL; changes nothing. */
extern nf_exporter *nfd_streams_find(const nf_stream_table *t,
									 const nf_addr *addr, uint32_t domain,
									 uint16_t version);

#endif							/* NETFLOW_STREAM_TABLE_H */
