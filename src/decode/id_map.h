/*-------------------------------------------------------------------------
 *
 * id_map.h
 *	  A map from a 16-bit id (template id, data set id) to a pointer, as a
 *	  two-level direct index: 256 pages of 256 slots, each page allocated
 *	  on first use and freed when it empties.
 *
 * Lookup, insert and removal are O(1) whatever the ids (no hash chain an
 * exporter could lengthen by choosing colliding ids).  Memory: nothing
 * while empty, then a 2 KB directory plus a 2 KB page per 256-id range in
 * use; nfd_idmap_bytes tells how much, so callers can charge it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_ID_MAP_H
#define NETFLOW_ID_MAP_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

typedef struct nf_idpage
{
	uint32_t	n;				/* non-NULL slots */
	void	   *slot[256];
} nf_idpage;

typedef struct nf_idmap
{
	nf_idpage **dir;			/* 256 page pointers, or NULL when empty */
	uint32_t	npages;
	uint32_t	n;				/* non-NULL slots in all */
} nf_idmap;

/* Bytes a page costs (for callers that charge the index). */
#define NF_IDMAP_PAGE_BYTES		(sizeof(nf_idpage))

extern void nfd_idmap_init(nf_idmap *m);

/* Value of 'id', or NULL. */
static inline void *
nfd_idmap_get(const nf_idmap *m, uint16_t id)
{
	nf_idpage  *pg;

	if (m->dir == NULL)
		return NULL;
	pg = m->dir[id >> 8];
	return pg ? pg->slot[id & 255] : NULL;
}

/* Set 'id' to the non-NULL 'v'; false when out of memory (nothing changed). */
extern bool nfd_idmap_set(nf_idmap *m, uint16_t id, void *v);

/* Clear 'id' (freeing an emptied page, and the directory when all is). */
extern void nfd_idmap_clear(nf_idmap *m, uint16_t id);

/* Bytes the index holds now. */
extern size_t nfd_idmap_bytes(const nf_idmap *m);

/* Free everything (the values are the caller's). */
extern void nfd_idmap_free(nf_idmap *m);

/*
 * Call fn(arg, id, value) for every set id, in id order.  fn may clear the
 * id it is given (not others).
 */
typedef void (*nf_idmap_fn) (void *arg, uint16_t id, void *v);
extern void nfd_idmap_each(nf_idmap *m, nf_idmap_fn fn, void *arg);

#endif							/* NETFLOW_ID_MAP_H */
