/*-------------------------------------------------------------------------
 *
 * template_cache.h
 *	  Learned templates, keyed by (exporter address, observation domain /
 *	  source id, version, template id), bounded per exporter address and
 *	  in total.
 *
 * The first three parts of the key select one exporter stream (an
 * nf_tset, embedded in the decoder's stream entry); the template id
 * selects the template inside it, through a direct index (id_map.h), so a
 * lookup costs the same whatever ids an exporter chooses.  The UDP source
 * port is deliberately not part of the key (see docs/decoding.md).
 *
 * Every template is on two least-recently-used lists: the one of all
 * templates and the one of its exporter address (an nf_tquota, shared by
 * the address's streams).  An address at its quota evicts its own least
 * recently used template; only when the total is reached is the least
 * recently used template of any address evicted.  So a flood from one
 * address evicts only its own templates.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TEMPLATE_CACHE_H
#define NETFLOW_TEMPLATE_CACHE_H

#include "id_map.h"
#include "template.h"

/* The templates of one exporter address (all its streams). */
typedef struct nf_tquota
{
	nf_template *head;			/* most recently used */
	nf_template *tail;
	size_t		count;
} nf_tquota;

/* The templates of one exporter stream. */
typedef struct nf_tset
{
	nf_idmap	by_id;
	uint32_t	count;
	uint32_t	noptions;		/* of which options templates */
	nf_tquota  *quota;			/* of the stream's address */
} nf_tset;

/* All templates of a decoder (LRU order, head = most recent). */
typedef struct nf_tcache
{
	nf_template *head;
	nf_template *tail;
	size_t		count;
	size_t		max;			/* in total */
	size_t		max_per_quota;	/* per exporter address */
} nf_tcache;

/* Which templates nfd_tcache_remove_all removes. */
#define NF_TSEL_DATA	1		/* non-options templates */
#define NF_TSEL_OPTIONS 2		/* options templates */
#define NF_TSEL_ALL		3

/* Called for each template removed or evicted, before it is freed. */
typedef void (*nf_tremove_fn) (void *arg, const nf_template *t);

extern void nfd_tcache_init(nf_tcache *c, size_t max, size_t max_per_quota);
extern void nfd_tset_init(nf_tset *s, nf_tquota *quota);

/* Template 'id' of stream 's', or NULL. */
static inline nf_template *
nfd_tset_find(const nf_tset *s, uint16_t id)
{
	return (nf_template *) nfd_idmap_get(&s->by_id, id);
}

/* Mark 't' as just used. */
extern void nfd_tcache_touch(nf_tcache *c, nf_template *t);

/* Outcome of nfd_tcache_put. */
typedef enum nf_tput
{
	NF_TPUT_OK,					/* 't' is cached */
	NF_TPUT_FULL,				/* no_evict and a bound reached: not cached */
	NF_TPUT_NOMEM				/* not cached for lack of memory */
} nf_tput;

/*
 * Add 't' to stream 's', replacing (and freeing) a template with the same
 * id.  Evicts least recently used templates to stay within the bounds
 * (each given to 'evict_fn' first and counted in *evicted) unless
 * 'no_evict', when a full cache refuses 't' instead; a template added with
 * no_evict goes to the least recent end of the lists (saved state loaded
 * at start, most recent first).  Never evicts 't' itself.  On any outcome
 * but NF_TPUT_OK the caller still owns 't'.
 */
extern nf_tput nfd_tcache_put(nf_tcache *c, nf_tset *s, nf_template *t,
							  bool no_evict, nf_tremove_fn evict_fn,
							  void *arg, size_t *evicted);

/* Remove and free template 'id' of 's'; false if it was not there. */
extern bool nfd_tcache_remove(nf_tcache *c, nf_tset *s, uint16_t id,
							  bool *was_options);

/* Remove and free the selected templates of 's'; returns how many. */
extern size_t nfd_tcache_remove_all(nf_tcache *c, nf_tset *s, int which,
									nf_tremove_fn fn, void *arg);

/* Call fn for every template of 's', in id order. */
extern void nfd_tset_each(const nf_tset *s, nf_tremove_fn fn, void *arg);

#endif							/* NETFLOW_TEMPLATE_CACHE_H */
