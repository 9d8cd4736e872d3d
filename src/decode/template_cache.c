/*-------------------------------------------------------------------------
 *
 * template_cache.c
 *	  Bounded cache of learned templates (see template_cache.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

#include "template_cache.h"

/* Initialize an empty cache (at most 'max' templates, 'max_per_quota' per address). */
void
nfd_tcache_init(nf_tcache *c, size_t max, size_t max_per_quota)
{
	c->head = NULL;
	c->tail = NULL;
	c->count = 0;
	c->max = max > 0 ? max : 1;
	c->max_per_quota = max_per_quota > 0 ? max_per_quota : 1;
}

/* Initialize an empty stream template set counted in 'quota'. */
void
nfd_tset_init(nf_tset *s, nf_tquota *quota)
{
	nfd_idmap_init(&s->by_id);
	s->count = 0;
	s->noptions = 0;
	s->quota = quota;
}

/* Take 't' off both LRU lists. */
static void
nf_lru_unlink(nf_tcache *c, nf_template *t)
{
	nf_tquota  *q = t->owner->quota;

	if (t->lru_prev)
		t->lru_prev->lru_next = t->lru_next;
	else
		c->head = t->lru_next;
	if (t->lru_next)
		t->lru_next->lru_prev = t->lru_prev;
	else
		c->tail = t->lru_prev;
	t->lru_prev = t->lru_next = NULL;

	if (t->alru_prev)
		t->alru_prev->alru_next = t->alru_next;
	else
		q->head = t->alru_next;
	if (t->alru_next)
		t->alru_next->alru_prev = t->alru_prev;
	else
		q->tail = t->alru_prev;
	t->alru_prev = t->alru_next = NULL;
}

/* Put 't' at the most recent end of both lists. */
static void
nf_lru_push(nf_tcache *c, nf_template *t)
{
	nf_tquota  *q = t->owner->quota;

	t->lru_prev = NULL;
	t->lru_next = c->head;
	if (c->head)
		c->head->lru_prev = t;
	c->head = t;
	if (c->tail == NULL)
		c->tail = t;

	t->alru_prev = NULL;
	t->alru_next = q->head;
	if (q->head)
		q->head->alru_prev = t;
	q->head = t;
	if (q->tail == NULL)
		q->tail = t;
}

/* Put 't' at the least recent end of both lists. */
static void
nf_lru_append(nf_tcache *c, nf_template *t)
{
	nf_tquota  *q = t->owner->quota;

	t->lru_next = NULL;
	t->lru_prev = c->tail;
	if (c->tail)
		c->tail->lru_next = t;
	c->tail = t;
	if (c->head == NULL)
		c->head = t;

	t->alru_next = NULL;
	t->alru_prev = q->tail;
	if (q->tail)
		q->tail->alru_next = t;
	q->tail = t;
	if (q->head == NULL)
		q->head = t;
}

/* Mark 't' as just used. */
void
nfd_tcache_touch(nf_tcache *c, nf_template *t)
{
	if (c->head == t && t->owner->quota->head == t)
		return;
	nf_lru_unlink(c, t);
	nf_lru_push(c, t);
}

/* Unlink 't' from its stream and the LRU lists and free it. */
static void
nf_tcache_drop(nf_tcache *c, nf_template *t)
{
	nf_tset    *s = t->owner;

	nfd_idmap_clear(&s->by_id, t->id);
	s->count--;
	if (t->is_options)
		s->noptions--;
	nf_lru_unlink(c, t);
	s->quota->count--;
	c->count--;
	nfd_template_free(t);
}

/* Evict 'victim' (reported to fn first); counts it. */
static void
nf_tcache_evict(nf_tcache *c, nf_template *victim, nf_tremove_fn fn,
				void *arg, size_t *evicted)
{
	if (fn)
		fn(arg, victim);
	nf_tcache_drop(c, victim);
	(*evicted)++;
}

/* Add 't' to 's' (see template_cache.h). */
nf_tput
nfd_tcache_put(nf_tcache *c, nf_tset *s, nf_template *t, bool no_evict,
			   nf_tremove_fn evict_fn, void *arg, size_t *evicted)
{
	nf_template *old = nfd_tset_find(s, t->id);
	nf_tquota  *q = s->quota;

	if (old == NULL && no_evict &&
		(q->count >= c->max_per_quota || c->count >= c->max))
		return NF_TPUT_FULL;
	/* reserve the slot first: the only step that can fail */
	if (old == NULL && !nfd_idmap_set(&s->by_id, t->id, t))
		return NF_TPUT_NOMEM;
	if (old != NULL)
	{
		/* replaced in place: the slot stays set */
		nf_lru_unlink(c, old);
		s->count--;
		if (old->is_options)
			s->noptions--;
		q->count--;
		c->count--;
		nfd_template_free(old);
		(void) nfd_idmap_set(&s->by_id, t->id, t);
	}
	t->owner = s;
	s->count++;
	if (t->is_options)
		s->noptions++;
	q->count++;
	c->count++;
	if (no_evict)
		nf_lru_append(c, t);
	else
		nf_lru_push(c, t);
	/* 't' is the most recent of both lists: never its own victim */
	while (q->count > c->max_per_quota && q->tail != t)
		nf_tcache_evict(c, q->tail, evict_fn, arg, evicted);
	while (c->count > c->max && c->tail != t)
		nf_tcache_evict(c, c->tail, evict_fn, arg, evicted);
	return NF_TPUT_OK;
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

/* State of nfd_tcache_remove_all while it walks the index. */
typedef struct nf_tremove_walk
{
	nf_tcache  *c;
	int			which;
	nf_tremove_fn fn;
	void	   *arg;
	size_t		n;
} nf_tremove_walk;

/* nf_idmap_fn: remove one template if selected. */
static void
nf_tremove_one(void *arg, uint16_t id, void *v)
{
	nf_tremove_walk *w = (nf_tremove_walk *) arg;
	nf_template *t = (nf_template *) v;
	int			sel = t->is_options ? NF_TSEL_OPTIONS : NF_TSEL_DATA;

	(void) id;
	if ((w->which & sel) == 0)
		return;
	if (w->fn)
		w->fn(w->arg, t);
	nf_tcache_drop(w->c, t);
	w->n++;
}

/* Remove the selected templates of 's'. */
size_t
nfd_tcache_remove_all(nf_tcache *c, nf_tset *s, int which,
					  nf_tremove_fn fn, void *arg)
{
	nf_tremove_walk w;

	/*
	 * Nothing selected: no walk (a message of many withdraw-all records
	 * then costs one step per record, not one walk of the index).
	 */
	if (((which & NF_TSEL_OPTIONS) == 0 || s->noptions == 0) &&
		((which & NF_TSEL_DATA) == 0 || s->count == s->noptions))
		return 0;
	w.c = c;
	w.which = which;
	w.fn = fn;
	w.arg = arg;
	w.n = 0;
	nfd_idmap_each(&s->by_id, nf_tremove_one, &w);
	return w.n;
}

/* State of nfd_tset_each. */
typedef struct nf_teach_walk
{
	nf_tremove_fn fn;
	void	   *arg;
} nf_teach_walk;

/* nf_idmap_fn: hand one template to the caller. */
static void
nf_teach_one(void *arg, uint16_t id, void *v)
{
	nf_teach_walk *w = (nf_teach_walk *) arg;

	(void) id;
	w->fn(w->arg, (const nf_template *) v);
}

/* Call fn for every template of 's'. */
void
nfd_tset_each(const nf_tset *s, nf_tremove_fn fn, void *arg)
{
	nf_teach_walk w;

	w.fn = fn;
	w.arg = arg;
	nfd_idmap_each((nf_idmap *) &s->by_id, nf_teach_one, &w);
}
