/*-------------------------------------------------------------------------
 *
 * pending.c
 *	  Bounded buffer of data sets waiting for their template (pending.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "pending.h"

/* Start empty, charging bytes also to the address 'quota'. */
void
nfd_pending_init(nf_pending *p, nf_pending_quota *quota)
{
	memset(p, 0, sizeof(*p));
	nfd_idmap_init(&p->by_id);
	p->quota = quota;
}

/* Charge (or credit, negative) 'delta' bytes to the stream, address and total. */
static void
nf_pending_charge(nf_pending *p, size_t *total, size_t bytes, bool add)
{
	if (add)
	{
		p->bytes += bytes;
		*total += bytes;
		p->quota->bytes += bytes;
	}
	else
	{
		p->bytes -= bytes;
		*total -= bytes;
		p->quota->bytes -= bytes;
	}
}

/* Bring the charge of the id index up to date. */
static void
nf_pending_recharge_index(nf_pending *p, size_t *total)
{
	size_t		now = nfd_idmap_bytes(&p->by_id);

	if (now > p->index_bytes)
		nf_pending_charge(p, total, now - p->index_bytes, true);
	else if (now < p->index_bytes)
		nf_pending_charge(p, total, p->index_bytes - now, false);
	p->index_bytes = now;
}

/* Unlink set 's' from the arrival list and its id list; uncharge it. */
static void
nf_pending_unlink(nf_pending *p, size_t *total, nf_pending_set *s)
{
	nf_pending_set *last = nfd_idmap_get(&p->by_id, s->template_id);
	nf_pending_set *q;

	if (s->prev)
		s->prev->next = s->next;
	else
		p->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		p->tail = s->prev;
	s->prev = s->next = NULL;

	/* the circular id list: 's' is the oldest of its id unless taken whole */
	if (s->id_next == s)
		nfd_idmap_clear(&p->by_id, s->template_id);
	else
	{
		/* find the predecessor: 's' is normally the first (last->id_next) */
		q = last;
		while (q->id_next != s)
			q = q->id_next;
		q->id_next = s->id_next;
		if (last == s)
			(void) nfd_idmap_set(&p->by_id, s->template_id, q);
	}
	s->id_next = NULL;
	p->nsets--;
	nf_pending_charge(p, total, s->cost, false);
	nf_pending_recharge_index(p, total);
}

/* Remove and free the oldest set. */
static void
nf_pending_pop(nf_pending *p, size_t *total)
{
	nf_pending_set *s = p->head;

	nf_pending_unlink(p, total, s);
	free(s);
}

/* Keep a copy of a data set body (see pending.h). */
size_t
nfd_pending_add(nf_pending *p, size_t *total, size_t max_bytes,
				size_t max_total, const nf_msg_ctx *ctx, uint16_t template_id,
				const uint8_t *data, size_t len, bool *stored, bool *nomem)
{
	size_t		cost = sizeof(nf_pending_set) + len;
	size_t		index = 0;
	size_t		evicted = 0;
	nf_pending_set *s;
	nf_pending_set *last;

	*stored = false;
	*nomem = false;
	/* a new id may need an index page (and the directory) */
	if (nfd_idmap_get(&p->by_id, template_id) == NULL)
		index = p->by_id.dir == NULL ? NF_PENDING_INDEX_BYTES : NF_IDMAP_PAGE_BYTES;
	if (cost + index > max_bytes || cost + index > max_total ||
		cost + index > p->quota->max)
		return 1;
	while (p->head != NULL &&
		   (p->bytes + cost + index > max_bytes ||
			*total + cost + index > max_total ||
			p->quota->bytes + cost + index > p->quota->max ||
			p->nsets >= NF_PENDING_MAX_SETS))
	{
		nf_pending_pop(p, total);
		evicted++;
		if (nfd_idmap_get(&p->by_id, template_id) == NULL)
			index = p->by_id.dir == NULL ? NF_PENDING_INDEX_BYTES : NF_IDMAP_PAGE_BYTES;
	}
	/*
	 * Other streams hold the address quota or the total; or, emptied, this
	 * stream must pay for its index again and cannot.
	 */
	if (p->bytes + cost + index > max_bytes ||
		*total + cost + index > max_total ||
		p->quota->bytes + cost + index > p->quota->max)
		return evicted + 1;

	s = malloc(cost);
	if (s == NULL)
	{
		*nomem = true;
		return evicted + 1;
	}
	s->prev = s->next = NULL;
	s->ctx = *ctx;
	s->template_id = template_id;
	s->len = len;
	s->cost = cost;
	memcpy(s->data, data, len);
	last = nfd_idmap_get(&p->by_id, template_id);
	if (!nfd_idmap_set(&p->by_id, template_id, s))
	{
		free(s);
		*nomem = true;
		return evicted + 1;
	}
	if (last != NULL)
	{
		s->id_next = last->id_next;
		last->id_next = s;
	}
	else
		s->id_next = s;
	s->prev = p->tail;
	if (p->tail)
		p->tail->next = s;
	else
		p->head = s;
	p->tail = s;
	p->nsets++;
	nf_pending_charge(p, total, cost, true);
	nf_pending_recharge_index(p, total);
	*stored = true;
	return evicted;
}

/* Drop sets older than the age bound. */
size_t
nfd_pending_expire(nf_pending *p, size_t *total, int64_t now_us,
				   int64_t max_age_us)
{
	size_t		n = 0;

	while (p->head != NULL && now_us - p->head->ctx.recv_us > max_age_us)
	{
		nf_pending_pop(p, total);
		n++;
	}
	return n;
}

/* Detach the sets waiting for 'template_id'. */
nf_pending_set *
nfd_pending_take(nf_pending *p, size_t *total, uint16_t template_id)
{
	nf_pending_set *last = nfd_idmap_get(&p->by_id, template_id);
	nf_pending_set *taken = NULL;
	nf_pending_set **tp = &taken;

	if (last == NULL)
		return NULL;
	/* oldest first: each unlink takes the first of the circular list */
	for (;;)
	{
		nf_pending_set *s = nfd_idmap_get(&p->by_id, template_id);
		bool		was_last;

		if (s == NULL)
			break;
		s = s->id_next;			/* the oldest */
		was_last = (s->id_next == s);
		nf_pending_unlink(p, total, s);
		*tp = s;
		tp = &s->next;
		if (was_last)
			break;
	}
	return taken;
}

/* Drop every set. */
size_t
nfd_pending_clear(nf_pending *p, size_t *total)
{
	size_t		n = 0;

	while (p->head != NULL)
	{
		nf_pending_pop(p, total);
		n++;
	}
	return n;
}

/* Free a detached list. */
void
nfd_pending_free_list(nf_pending_set *s)
{
	while (s != NULL)
	{
		nf_pending_set *next = s->next;

		free(s);
		s = next;
	}
}
