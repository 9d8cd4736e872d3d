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

/* Start empty. */
void
nfd_pending_init(nf_pending *p)
{
	memset(p, 0, sizeof(*p));
}

/* Account for a set entering (+1) or leaving (-1) the buffer. */
static void
nf_pending_count(nf_pending *p, size_t *total, const nf_pending_set *s,
				 int dir)
{
	if (dir > 0)
	{
		p->bytes += s->cost;
		*total += s->cost;
		p->nsets++;
		p->by_id[s->template_id % NF_PENDING_ID_BUCKETS]++;
	}
	else
	{
		p->bytes -= s->cost;
		*total -= s->cost;
		p->nsets--;
		p->by_id[s->template_id % NF_PENDING_ID_BUCKETS]--;
	}
}

/* Remove and free the oldest set. */
static void
nf_pending_pop(nf_pending *p, size_t *total)
{
	nf_pending_set *s = p->head;

	p->head = s->next;
	if (p->head == NULL)
		p->tail = NULL;
	nf_pending_count(p, total, s, -1);
	free(s);
}

/* Keep a copy of a data set body (see pending.h). */
size_t
nfd_pending_add(nf_pending *p, size_t *total, size_t max_bytes,
				size_t max_total, const nf_msg_ctx *ctx, uint16_t template_id,
				const uint8_t *data, size_t len, bool *stored, bool *nomem)
{
	size_t		cost = sizeof(nf_pending_set) + len;
	size_t		evicted = 0;
	nf_pending_set *s;

	*stored = false;
	*nomem = false;
	if (cost > max_bytes || cost > max_total)
		return 1;
	while (p->head != NULL &&
		   (p->bytes + cost > max_bytes || *total + cost > max_total ||
			p->nsets >= NF_PENDING_MAX_SETS))
	{
		nf_pending_pop(p, total);
		evicted++;
	}
	if (*total + cost > max_total)
		return evicted + 1;		/* other streams hold the total */

	s = malloc(cost);
	if (s == NULL)
	{
		*nomem = true;
		return evicted + 1;
	}
	s->next = NULL;
	s->ctx = *ctx;
	s->template_id = template_id;
	s->len = len;
	s->cost = cost;
	memcpy(s->data, data, len);
	if (p->tail)
		p->tail->next = s;
	else
		p->head = s;
	p->tail = s;
	nf_pending_count(p, total, s, 1);
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
	nf_pending_set *taken = NULL;
	nf_pending_set **tp = &taken;
	nf_pending_set **pp = &p->head;
	nf_pending_set *prev = NULL;

	if (p->by_id[template_id % NF_PENDING_ID_BUCKETS] == 0)
		return NULL;
	while (*pp != NULL)
	{
		nf_pending_set *s = *pp;

		if (s->template_id == template_id)
		{
			*pp = s->next;
			nf_pending_count(p, total, s, -1);
			s->next = NULL;
			*tp = s;
			tp = &s->next;
		}
		else
		{
			prev = s;
			pp = &s->next;
		}
	}
	p->tail = prev;
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
