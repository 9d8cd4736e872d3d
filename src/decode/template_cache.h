/*-------------------------------------------------------------------------
 *
 * template_cache.h
 *	  Learned templates, keyed by (exporter address, observation domain /
 *	  source id, version, template id), bounded by max_templates.
 *
 * The first three parts of the key select one exporter stream (an
 * nf_tset, embedded in the decoder's exporter entry); the template id
 * selects the template inside it.  The UDP source port is deliberately not
 * part of the key (see docs/decoding.md).  All templates of all streams are
 * on one least-recently-used list: when max_templates is reached the least
 * recently used one is evicted.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TEMPLATE_CACHE_H
#define NETFLOW_TEMPLATE_CACHE_H

#include "template.h"

#define NF_TSET_BUCKETS 32

/* The templates of one exporter stream. */
typedef struct nf_tset
{
	nf_template *bucket[NF_TSET_BUCKETS];
	uint32_t	count;
} nf_tset;

/* All templates of a decoder (LRU order, head = most recent). */
typedef struct nf_tcache
{
	nf_template *head;
	nf_template *tail;
	size_t		count;
	size_t		max;
} nf_tcache;

/* Which templates nfd_tcache_remove_all removes. */
#define NF_TSEL_DATA	1		/* non-options templates */
#define NF_TSEL_OPTIONS 2		/* options templates */
#define NF_TSEL_ALL		3

/* Called for each template removed by nfd_tcache_remove_all. */
typedef void (*nf_tremove_fn) (void *arg, const nf_template *t);

extern void nfd_tcache_init(nf_tcache *c, size_t max);
extern void nfd_tset_init(nf_tset *s);

/* Template 'id' of stream 's', or NULL. */
extern nf_template *nfd_tset_find(const nf_tset *s, uint16_t id);

/* Mark 't' as just used. */
extern void nfd_tcache_touch(nf_tcache *c, nf_template *t);

/*
 * Add 't' to stream 's', replacing (and freeing) a template with the same
 * id.  Evicts least recently used templates to stay within max; returns
 * how many were evicted.  Never evicts 't' itself.
 */
extern size_t nfd_tcache_put(nf_tcache *c, nf_tset *s, nf_template *t);

/* Remove and free template 'id' of 's'; false if it was not there. */
extern bool nfd_tcache_remove(nf_tcache *c, nf_tset *s, uint16_t id,
							  bool *was_options);

/* Remove and free the selected templates of 's'; returns how many. */
extern size_t nfd_tcache_remove_all(nf_tcache *c, nf_tset *s, int which,
									nf_tremove_fn fn, void *arg);

#endif							/* NETFLOW_TEMPLATE_CACHE_H */
