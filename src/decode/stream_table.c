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
nfd_streams_init(nf_stream_table *t, size_t max, size_t max_per_addr,
				 size_t pending_per_addr, nf_stream_release_fn release,
				 void *arg)
{
	memset(t, 0, sizeof(*t));
	t->nbuckets = NF_INITIAL_BUCKETS;
	t->buckets = calloc(t->nbuckets, sizeof(nf_exporter *));
	t->nabuckets = NF_INITIAL_BUCKETS;
	t->abuckets = calloc(t->nabuckets, sizeof(nf_exporter_addr *));
	t->max = max > 0 ? max : 1;
	t->max_per_addr = max_per_addr > 0 ? max_per_addr : 1;
	t->pending_per_addr = pending_per_addr;
	t->release = release;
	t->release_arg = arg;
	if (t->buckets == NULL || t->abuckets == NULL)
	{
		free(t->buckets);
		free(t->abuckets);
		return false;
	}
	return true;
}

/* Release and free every entry. */
void
nfd_streams_destroy(nf_stream_table *t)
{
	nf_exporter *e = t->lru_head;
	size_t		i;

	while (e != NULL)
	{
		nf_exporter *next = e->lru_next;

		t->release(t->release_arg, e, false);
		free(e);
		e = next;
	}
	for (i = 0; i < t->nabuckets; i++)
	{
		nf_exporter_addr *a = t->abuckets[i];

		while (a != NULL)
		{
			nf_exporter_addr *next = a->hnext;

			free(a);
			a = next;
		}
	}
	free(t->buckets);
	free(t->abuckets);
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

/* Hash of an address (FNV-1a). */
static size_t
nf_addr_hash(const nf_addr *a)
{
	uint64_t	h = UINT64_C(14695981039346656037);
	size_t		i;

	h = (h ^ a->family) * UINT64_C(1099511628211);
	for (i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * UINT64_C(1099511628211);
	return (size_t) (h ^ (h >> 29));
}

/* The entry of (normalized) address 'key', or NULL. */
static nf_exporter_addr *
nf_addr_find(const nf_stream_table *t, const nf_addr *key)
{
	nf_exporter_addr *a;

	for (a = t->abuckets[nf_addr_hash(key) & (t->nabuckets - 1)]; a != NULL;
		 a = a->hnext)
		if (memcmp(&a->addr, key, sizeof(*key)) == 0)
			return a;
	return NULL;
}

/* Double the address hash table (best effort). */
static void
nf_addr_grow(nf_stream_table *t)
{
	size_t		nb = t->nabuckets * 2;
	nf_exporter_addr **b = calloc(nb, sizeof(nf_exporter_addr *));
	size_t		i;

	if (b == NULL)
		return;
	for (i = 0; i < t->nabuckets; i++)
	{
		nf_exporter_addr *a = t->abuckets[i];

		while (a != NULL)
		{
			nf_exporter_addr *next = a->hnext;
			size_t		h = nf_addr_hash(&a->addr) & (nb - 1);

			a->hnext = b[h];
			b[h] = a;
			a = next;
		}
	}
	free(t->abuckets);
	t->abuckets = b;
	t->nabuckets = nb;
}

/* Find or create the entry of address 'key'; NULL when out of memory. */
static nf_exporter_addr *
nf_addr_get(nf_stream_table *t, const nf_addr *key)
{
	nf_exporter_addr *a = nf_addr_find(t, key);
	size_t		h;

	if (a != NULL)
		return a;
	if (t->naddrs >= t->nabuckets)
		nf_addr_grow(t);
	a = calloc(1, sizeof(nf_exporter_addr));
	if (a == NULL)
		return NULL;
	a->addr = *key;
	a->pending.max = t->pending_per_addr;
	h = nf_addr_hash(key) & (t->nabuckets - 1);
	a->hnext = t->abuckets[h];
	t->abuckets[h] = a;
	t->naddrs++;
	return a;
}

/* Free the entry of an address that has no stream left. */
static void
nf_addr_free(nf_stream_table *t, nf_exporter_addr *a)
{
	nf_exporter_addr **pp;

	for (pp = &t->abuckets[nf_addr_hash(&a->addr) & (t->nabuckets - 1)];
		 *pp != NULL; pp = &(*pp)->hnext)
	{
		if (*pp == a)
		{
			*pp = a->hnext;
			break;
		}
	}
	t->naddrs--;
	free(a);
}

/* Remember that stream (domain, version) of 'a' lost its sampling rates. */
static void
nf_addr_lost_add(nf_exporter_addr *a, uint32_t domain, uint16_t version)
{
	uint32_t	i;

	if (a->nlost < NF_LOST_SAMPLING_MAX)
		i = a->nlost++;
	else
	{
		i = a->lost_next;
		a->lost_next = (a->lost_next + 1) % NF_LOST_SAMPLING_MAX;
	}
	a->lost_domain[i] = domain;
	a->lost_version[i] = version;
}

/* Was the sampling of stream (domain, version) of 'a' lost?  Forgets it. */
static bool
nf_addr_lost_take(nf_exporter_addr *a, uint32_t domain, uint16_t version)
{
	uint32_t	i;

	for (i = 0; i < a->nlost; i++)
	{
		if (a->lost_domain[i] == domain && a->lost_version[i] == version)
		{
			/* keep the others; order does not matter */
			a->nlost--;
			a->lost_domain[i] = a->lost_domain[a->nlost];
			a->lost_version[i] = a->lost_version[a->nlost];
			if (a->lost_next > a->nlost)
				a->lost_next = 0;
			return true;
		}
	}
	return false;
}

/* Unlink 'e' from the LRU lists (all streams, its address's). */
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

	if (e->alru_prev)
		e->alru_prev->alru_next = e->alru_next;
	else
		e->owner->lru_head = e->alru_next;
	if (e->alru_next)
		e->alru_next->alru_prev = e->alru_prev;
	else
		e->owner->lru_tail = e->alru_prev;
	e->alru_prev = e->alru_next = NULL;
}

/* Put 'e' at the most recent end of the LRU lists. */
static void
nf_exp_lru_push(nf_stream_table *t, nf_exporter *e)
{
	nf_exporter_addr *a = e->owner;

	e->lru_prev = NULL;
	e->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = e;
	t->lru_head = e;
	if (t->lru_tail == NULL)
		t->lru_tail = e;

	e->alru_prev = NULL;
	e->alru_next = a->lru_head;
	if (a->lru_head)
		a->lru_head->alru_prev = e;
	a->lru_head = e;
	if (a->lru_tail == NULL)
		a->lru_tail = e;
}

/* Put 'e' at the least recent end of the LRU lists. */
static void
nf_exp_lru_append(nf_stream_table *t, nf_exporter *e)
{
	nf_exporter_addr *a = e->owner;

	e->lru_next = NULL;
	e->lru_prev = t->lru_tail;
	if (t->lru_tail)
		t->lru_tail->lru_next = e;
	t->lru_tail = e;
	if (t->lru_head == NULL)
		t->lru_head = e;

	e->alru_next = NULL;
	e->alru_prev = a->lru_tail;
	if (a->lru_tail)
		a->lru_tail->alru_next = e;
	a->lru_tail = e;
	if (a->lru_head == NULL)
		a->lru_head = e;
}

/*
 * Drop entry 'e': unlink, release what it holds, free it (and its
 * address's entry if it was the last stream).  Counted in 'out'.
 */
static void
nf_exporter_evict(nf_stream_table *t, nf_exporter *e, nf_stream_outcome *out)
{
	nf_exporter **pp;
	nf_exporter_addr *a = e->owner;

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
	out->evicted++;
	/* v5 carries its rate in every header: nothing to lose */
	if (e->version != 5 && e->sampling.announced)
	{
		out->sampling_lost++;
		nf_addr_lost_add(a, e->domain, e->version);
	}
	free(e);
	if (--a->nstreams == 0)
		nf_addr_free(t, a);
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

/* Find the stream of a normalized key. */
static nf_exporter *
nf_stream_lookup(const nf_stream_table *t, const nf_addr *key, uint32_t domain,
				 uint16_t version, size_t h)
{
	nf_exporter *e;

	for (e = t->buckets[h & (t->nbuckets - 1)]; e != NULL; e = e->hnext)
		if (e->domain == domain && e->version == version &&
			memcmp(&e->addr, key, sizeof(*key)) == 0)
			return e;
	return NULL;
}

/* The stream (addr, domain, version) if tracked. */
nf_exporter *
nfd_streams_find(const nf_stream_table *t, const nf_addr *addr,
				 uint32_t domain, uint16_t version)
{
	nf_addr		key;

	nfd_addr_normalize(&key, addr);
	return nf_stream_lookup(t, &key, domain, version,
							nf_exp_hash(&key, domain, version));
}

/* Find or create a stream (see stream_table.h). */
nf_exporter *
nfd_streams_get(nf_stream_table *t, const nf_addr *addr, uint32_t domain,
				uint16_t version, int64_t now_us, nf_stream_mode mode,
				nf_stream_outcome *out)
{
	nf_addr		key;
	size_t		h;
	nf_exporter *e;
	nf_exporter_addr *a;

	memset(out, 0, sizeof(*out));
	nfd_addr_normalize(&key, addr);
	h = nf_exp_hash(&key, domain, version);
	e = nf_stream_lookup(t, &key, domain, version, h);
	if (e != NULL)
	{
		if (mode == NF_STREAM_LOAD)
			return e;
		if (t->lru_head != e || e->owner->lru_head != e)
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

	a = nf_addr_find(t, &key);
	if (mode == NF_STREAM_LOAD)
	{
		if ((a != NULL && a->nstreams >= t->max_per_addr) || t->n >= t->max)
		{
			out->refused = true;
			return NULL;
		}
	}
	else
	{
		/* an address at its bound makes room among its own streams */
		while (a != NULL && a->nstreams >= t->max_per_addr)
		{
			bool		last = a->nstreams == 1;

			nf_exporter_evict(t, a->lru_tail, out);
			if (last)
				a = NULL;
		}
		while (t->n >= t->max && t->lru_tail != NULL)
			nf_exporter_evict(t, t->lru_tail, out);
	}
	if (t->n >= t->nbuckets)
		nf_exp_grow(t);

	a = nf_addr_get(t, &key);
	if (a == NULL)
		return NULL;
	e = calloc(1, sizeof(nf_exporter));
	if (e == NULL)
	{
		if (a->nstreams == 0)
			nf_addr_free(t, a);
		return NULL;
	}
	e->owner = a;
	e->addr = key;
	e->domain = domain;
	e->version = version;
	e->first_seen = e->last_seen = now_us;
	nfd_seq_init(&e->seq);
	nfd_sampling_init(&e->sampling);
	nfd_pending_init(&e->pending, &a->pending);
	nfd_tset_init(&e->templates, &a->templates);
	if (nf_addr_lost_take(a, domain, version))
	{
		/* its rates were lost with it: unknown (0), not unsampled (1) */
		e->sampling.announced = true;
		e->sampling_lost = true;
	}
	h &= t->nbuckets - 1;
	e->hnext = t->buckets[h];
	t->buckets[h] = e;
	a->nstreams++;
	if (mode == NF_STREAM_LOAD)
		nf_exp_lru_append(t, e);
	else
		nf_exp_lru_push(t, e);
	t->n++;
	return e;
}
