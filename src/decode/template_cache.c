/*-------------------------------------------------------------------------
 *
 * template_cache.c
 *	  Bounded cache of learned templates (see template_cache.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

#include "template_cache.h"

/* Initialize an empty cache holding at most 'max' templates. */
void
nfd_tcache_init(nf_tcache *c, size_t max)
{
	c->head = NULL;
	c->tail = NULL;
	c->count = 0;
	c->max = max > 0 ? max : 1;
}

/* Initialize an empty stream template set. */
void
nfd_tset_init(nf_tset *s)
{
	size_t		i;

	for (i = 0; i < NF_TSET_BUCKETS; i++)
		s->bucket[i] = NULL;
	s->count = 0;
}

/* Template 'id' of stream 's', or NULL. */
nf_template *
nfd_tset_find(const nf_tset *s, uint16_t id)
{
	nf_template *t;

	for (t = s->bucket[id % NF_TSET_BUCKETS]; t != NULL; t = t->hnext)
		if (t->id == id)
			return t;
	return NULL;
}

/* Take 't' off the LRU list. */
static void
nf_lru_unlink(nf_tcache *c, nf_template *t)
{
	if (t->lru_prev)
		t->lru_prev->lru_next = t->lru_next;
	else
		c->head = t->lru_next;
	if (t->lru_next)
		t->lru_next->lru_prev = t->lru_prev;
	else
		c->tail = t->lru_prev;
	t->lru_prev = t->lru_next = NULL;
}

/* Put 't' at the head (most recent end) of the LRU list. */
static void
nf_lru_push(nf_tcache *c, nf_template *t)
{
	t->lru_prev = NULL;
	t->lru_next = c->head;
	if (c->head)
		c->head->lru_prev = t;
	c->head = t;
	if (c->tail == NULL)
		c->tail = t;
}

/* Mark 't' as just used. */
void
nfd_tcache_touch(nf_tcache *c, nf_template *t)
{
	if (c->head == t)
		return;
	nf_lru_unlink(c, t);
	nf_lru_push(c, t);
}

/* Unlink 't' from its stream and the LRU list and free it. */
static void
nf_tcache_drop(nf_tcache *c, nf_template *t)
{
	nf_tset    *s = t->owner;
	nf_template **pp;

	for (pp = &s->bucket[t->id % NF_TSET_BUCKETS]; *pp != NULL;
		 pp = &(*pp)->hnext)
	{
		if (*pp == t)
		{
			*pp = t->hnext;
			break;
		}
	}
	s->count--;
	nf_lru_unlink(c, t);
	c->count--;
	nfd_template_free(t);
}

/* Add 't' to 's' (see template_cache.h). */
size_t
nfd_tcache_put(nf_tcache *c, nf_tset *s, nf_template *t)
{
	nf_template *old = nfd_tset_find(s, t->id);
	size_t		evicted = 0;

	if (old)
		nf_tcache_drop(c, old);
	while (c->count >= c->max && c->tail != NULL)
	{
		nf_tcache_drop(c, c->tail);
		evicted++;
	}
	t->owner = s;
	t->hnext = s->bucket[t->id % NF_TSET_BUCKETS];
	s->bucket[t->id % NF_TSET_BUCKETS] = t;
	s->count++;
	nf_lru_push(c, t);
	c->count++;
	return evicted;
}

/* Remove template 'id' of 's'. */
bool
nfd_tcache_remove(nf_tcache *c, nf_tset *s, uint16_t id, bool *was_options)
{
	nf_template *t = nfd_tset_find(s, id);

	if (t == NULL)
		return false;
	if (was_options)
		*was_options = t->is_options;
	nf_tcache_drop(c, t);
	return true;
}

/* Remove the selected templates of 's'. */
size_t
nfd_tcache_remove_all(nf_tcache *c, nf_tset *s, int which,
					  nf_tremove_fn fn, void *arg)
{
	size_t		n = 0;
	size_t		i;

	for (i = 0; i < NF_TSET_BUCKETS; i++)
	{
		nf_template *t = s->bucket[i];

		while (t != NULL)
		{
			nf_template *next = t->hnext;
			int			sel = t->is_options ? NF_TSEL_OPTIONS : NF_TSEL_DATA;

			if (which & sel)
			{
				if (fn)
					fn(arg, t);
				nf_tcache_drop(c, t);
				n++;
			}
			t = next;
		}
	}
	return n;
}
