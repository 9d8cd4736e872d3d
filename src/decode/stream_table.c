/*-------------------------------------------------------------------------
 *
 * stream_table.c
 *	  The table of exporter streams (see stream_table.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "stream_table.h"

#define NF_INITIAL_BUCKETS			64

/* Set up an empty table. */
bool
nfd_streams_init(nf_stream_table *t, size_t max, nf_stream_release_fn release,
				 void *arg)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = NF_INITIAL_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(nf_exporter *));
	t->max = max > 0 ? max : 1;
	t->release = release;
	t->release_arg = arg;
	return t->buckets != NULL;
}

/* Release and free every entry. */
void
nfd_streams_destroy(nf_stream_table *t)
{
	nf_exporter *e = t->lru_head;

	while (e != NULL)
	{
		nf_exporter *next = e->lru_next;

		t->release(t->release_arg, e, false);
		free(e);
		e = next;
	}
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

/* Copy an address keeping only the bytes its family uses. */
void
nfd_addr_normalize(nf_addr *dst, const nf_addr *src)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(dst, 0, sizeof(*dst));
	if (src == NULL)
		return;
	if (src->family == NF_AF_INET6 && memcmp(src->a, v4mapped, 12) == 0)
	{
		dst->family = NF_AF_INET;
		memcpy(dst->a, src->a + 12, 4);
	}
	else if (src->family == NF_AF_INET)
	{
		dst->family = NF_AF_INET;
		memcpy(dst->a, src->a, 4);
	}
	else if (src->family == NF_AF_INET6)
	{
		dst->family = NF_AF_INET6;
		memcpy(dst->a, src->a, 16);
	}
}

/* Hash of a stream key (FNV-1a). */
static size_t
nf_exp_hash(const nf_addr *a, uint32_t domain, uint16_t version)
{
	uint64_t	h = UINT64_C(14695981039346656037);
	size_t		i;
	uint8_t		k[6];

	h = (h ^ a->family) * UINT64_C(1099511628211);
	for (i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * UINT64_C(1099511628211);
	k[0] = (uint8_t) (domain >> 24);
	k[1] = (uint8_t) (domain >> 16);
	k[2] = (uint8_t) (domain >> 8);
	k[3] = (uint8_t) domain;
	k[4] = (uint8_t) (version >> 8);
	k[5] = (uint8_t) version;
	for (i = 0; i < 6; i++)
		h = (h ^ k[i]) * UINT64_C(1099511628211);
	return (size_t) (h ^ (h >> 29));
}

/* Unlink 'e' from the LRU list. */
static void
nf_exp_lru_unlink(nf_stream_table *t, nf_exporter *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

/* Put 'e' at the head of the LRU list. */
static void
nf_exp_lru_push(nf_stream_table *t, nf_exporter *e)
{
	e->lru_prev = NULL;
	e->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = e;
	t->lru_head = e;
	if (t->lru_tail == NULL)
		t->lru_tail = e;
}

/* Drop entry 'e': unlink, release what it holds, free it. */
static void
nf_exporter_evict(nf_stream_table *t, nf_exporter *e)
{
	nf_exporter **pp;

	pp = &t->buckets[nf_exp_hash(&e->addr, e->domain, e->version) &
					 (t->nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->hnext)
	{
		if (*pp == e)
		{
			*pp = e->hnext;
			break;
		}
	}
	nf_exp_lru_unlink(t, e);
	t->n--;
	t->release(t->release_arg, e, true);
	free(e);
}

/* Double the hash table (best effort: stays as is without memory). */
static void
nf_exp_grow(nf_stream_table *t)
{
	size_t		nb = t->nbuckets * 2;
	nf_exporter **b = calloc(nb, sizeof(nf_exporter *));
	size_t		i;

	if (b == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++)
	{
		nf_exporter *e = t->buckets[i];

		while (e != NULL)
		{
			nf_exporter *next = e->hnext;
			size_t		h = nf_exp_hash(&e->addr, e->domain, e->version) & (nb - 1);

			e->hnext = b[h];
			b[h] = e;
			e = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

/* Find or create a stream (see stream_table.h). */
nf_exporter *
nfd_streams_get(nf_stream_table *t, const nf_addr *addr, uint32_t domain,
				uint16_t version, int64_t now_us, size_t *evicted)
{
	nf_addr		key;
	size_t		h;
	nf_exporter *e;

	nfd_addr_normalize(&key, addr);
	h = nf_exp_hash(&key, domain, version);
	for (e = t->buckets[h & (t->nbuckets - 1)]; e != NULL; e = e->hnext)
	{
		if (e->domain == domain && e->version == version &&
			memcmp(&e->addr, &key, sizeof(key)) == 0)
		{
			if (t->lru_head != e)
			{
				nf_exp_lru_unlink(t, e);
				nf_exp_lru_push(t, e);
			}
			if (now_us > e->last_seen)
				e->last_seen = now_us;
			/* created by a load (time 0): first seen now */
			if (e->first_seen == 0)
				e->first_seen = now_us;
			return e;
		}
	}

	while (t->n >= t->max && t->lru_tail != NULL)
	{
		nf_exporter_evict(t, t->lru_tail);
		(*evicted)++;
	}
	if (t->n >= t->nbuckets)
		nf_exp_grow(t);

	e = calloc(1, sizeof(nf_exporter));
	if (e == NULL)
		return NULL;
	e->addr = key;
	e->domain = domain;
	e->version = version;
	e->first_seen = e->last_seen = now_us;
	nfd_seq_init(&e->seq);
	nfd_sampling_init(&e->sampling);
	nfd_pending_init(&e->pending);
	nfd_tset_init(&e->templates);
	h &= t->nbuckets - 1;
	e->hnext = t->buckets[h];
	t->buckets[h] = e;
	nf_exp_lru_push(t, e);
	t->n++;
	return e;
}
