/*-------------------------------------------------------------------------
 *
 * flowset.c
 *	  Sets common to NetFlow v9 and IPFIX: template and options template
 *	  sets (learn, replace, withdraw, template events) and data sets
 *	  (decode with a known template, or keep until it arrives).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "decode_internal.h"

/* Decode the data sets that were waiting for template 't'. */
static void
nf_drain_pending(nf_decoder *d, nf_exporter *e, const nf_template *t)
{
	nf_pending_set *list;
	nf_pending_set *s;

	list = nfd_pending_take(&e->pending, &d->pending_total, t->id);
	for (s = list; s != NULL; s = s->next)
	{
		d->ctr[NF_CTR_PENDING_DECODED]++;
		(void) nfd_decode_records(d, e, t, &s->ctx, s->data, s->len, true);
	}
	nfd_pending_free_list(list);
}

/*
 * Install template 't' in stream 'e' (taking ownership).  A definition
 * equal to the cached one only refreshes it; a new or changed one is
 * counted and, when it came off the wire ('wire'), reported to the template
 * callback.  Off the wire, data sets waiting for it are decoded now.  A
 * loaded template ('wire' false) evicts nothing: at a bound it is refused
 * (false, counted in NF_CTR_STATE_NOT_LOADED).
 */
static bool
nf_learn(nf_decoder *d, nf_exporter *e, nf_template *t, bool wire)
{
	nf_template *old = nfd_tset_find(&e->templates, t->id);

	if (old != NULL && old->is_options == t->is_options &&
		old->raw_len == t->raw_len &&
		memcmp(old->raw, t->raw, t->raw_len) == 0)
	{
		nfd_template_free(t);
		if (wire)
			nfd_tcache_touch(&d->tcache, old);
		t = old;
	}
	else
	{
		size_t		evicted = 0;
		nf_tput		res;

		t->drained = false;
		res = nfd_tcache_put(&d->tcache, &e->templates, t, !wire,
							 nfd_template_evicted, d, &evicted);
		d->ctr[NF_CTR_TEMPLATES_EVICTED] += evicted;
		if (res != NF_TPUT_OK)
		{
			if (res == NF_TPUT_FULL)
				d->ctr[NF_CTR_STATE_NOT_LOADED]++;
			else
				nfd_fail(d, NF_CTR_DROP_NO_MEMORY,
						 "out of memory indexing template %u",
						 (unsigned) t->id);
			nfd_template_free(t);
			return false;
		}
		d->ctr[NF_CTR_TEMPLATES_LEARNED]++;
		if (wire)
			nfd_template_fire(d, e, t->id, t->is_options, false, false,
							  t->raw, t->raw_len);
	}
	if (wire)
	{
		if (e->pending.head != NULL)
			nf_drain_pending(d, e, t);
		t->drained = true;
	}
	return true;
}

/* nf_tremove_fn: report one removed template. */
static void
nf_removed_cb(void *arg, const nf_template *t)
{
	void	  **pair = (void **) arg;
	nf_decoder *d = (nf_decoder *) pair[0];
	nf_exporter *e = (nf_exporter *) pair[1];

	d->ctr[NF_CTR_TEMPLATES_WITHDRAWN]++;
	nfd_template_fire(d, e, t->id, t->is_options, true, false, NULL, 0);
}

/* Remove the selected templates of 'e', reporting each. */
static void
nf_withdraw_all(nf_decoder *d, nf_exporter *e, int which)
{
	void	   *pair[2];

	pair[0] = d;
	pair[1] = e;
	(void) nfd_tcache_remove_all(&d->tcache, &e->templates, which,
								 nf_removed_cb, pair);
}

/* Forget every template of 'e' (v9 exporter restart). */
void
nfd_flush_templates(nf_decoder *d, nf_exporter *e)
{
	nf_withdraw_all(d, e, NF_TSEL_ALL);
}

/* Process the body of a template or options template set. */
void
nfd_template_set(nf_decoder *d, nf_exporter *e, const nf_msg_ctx *ctx,
				 bool is_options, const uint8_t *p, size_t len)
{
	bool		any = false;

	/* a set too short for even a withdrawal (CVE-2019-14459 shape) */
	if (len > 0 && len < 4)
	{
		nfd_fail(d, NF_CTR_DROP_BAD_TEMPLATE,
				 "v%u template set of %zu bytes holds no record",
				 (unsigned) ctx->version, len);
		return;
	}
	while (len > 0)
	{
		size_t		consumed;
		uint16_t	tid;
		nf_template *t;
		const char *why;
		bool		was_options;
		nf_tparse	res;

		res = nfd_template_parse(ctx->version, is_options, p, len,
								 &consumed, &tid, &t, &why);
		if (res == NF_TP_PADDING && !any && len < 6)
		{
			/* nothing but a fragment of a v9 options template header */
			res = NF_TP_STOP;
			why = "set too short for a record";
		}
		any = true;
		switch (res)
		{
			case NF_TP_OK:
				(void) nf_learn(d, e, t, true);
				break;
			case NF_TP_WITHDRAW:
				if (nfd_tcache_remove(&d->tcache, &e->templates, tid,
									  &was_options))
				{
					d->ctr[NF_CTR_TEMPLATES_WITHDRAWN]++;
					nfd_template_fire(d, e, tid, was_options, true, false, NULL,
									  0);
				}
				break;
			case NF_TP_WITHDRAW_ALL:
				nf_withdraw_all(d, e,
								is_options ? NF_TSEL_OPTIONS : NF_TSEL_DATA);
				break;
			case NF_TP_PADDING:
				return;
			case NF_TP_SKIP:
				nfd_fail(d, NF_CTR_DROP_BAD_TEMPLATE, "v%u %stemplate %u: %s",
						 (unsigned) ctx->version, is_options ? "options " : "",
						 (unsigned) tid, why);
				break;
			case NF_TP_NOMEM:
				nfd_fail(d, NF_CTR_DROP_NO_MEMORY, "v%u template %u: %s",
						 (unsigned) ctx->version, (unsigned) tid, why);
				break;
			case NF_TP_STOP:
				nfd_fail(d, NF_CTR_DROP_BAD_TEMPLATE, "v%u %stemplate %u: %s",
						 (unsigned) ctx->version, is_options ? "options " : "",
						 (unsigned) tid, why);
				return;
		}
		/* every non-returning outcome consumed at least 4 bytes */
		p += consumed;
		len -= consumed;
	}
}

/* Process the body of a data set (see decode_internal.h). */
void
nfd_data_set(nf_decoder *d, nf_exporter *e, const nf_msg_ctx *ctx,
			 uint16_t set_id, const uint8_t *p, size_t len,
			 uint32_t *records, bool *records_known)
{
	nf_template *t;

	if (len == 0)
		return;
	t = nfd_tset_find(&e->templates, set_id);
	if (t == NULL)
	{
		bool		stored;
		bool		nomem;
		size_t		evicted;

		evicted = nfd_pending_add(&e->pending, &d->pending_total,
								  d->lim.pending_bytes_per_exporter,
								  d->lim.pending_bytes_total, ctx, set_id,
								  p, len, &stored, &nomem);
		d->ctr[NF_CTR_PENDING_EVICTED] += evicted;
		if (stored)
			d->ctr[NF_CTR_PENDING_BUFFERED]++;
		if (nomem)
			nfd_fail(d, NF_CTR_DROP_NO_MEMORY,
					 "out of memory keeping a data set for template %u",
					 (unsigned) set_id);
		*records_known = false;
		return;
	}
	nfd_tcache_touch(&d->tcache, t);
	/*
	 * A template loaded by nf_decoder_load_template may have waiting data:
	 * decoded with its first data set.  Afterwards no set of its id can
	 * wait (a set waits only while its template is unknown), so this costs
	 * one look per template, not one per data set.
	 */
	if (!t->drained)
	{
		if (e->pending.head != NULL)
			nf_drain_pending(d, e, t);
		t->drained = true;
	}
	*records += nfd_decode_records(d, e, t, ctx, p, len, false);
}

/*
 * Install a template loaded by the caller: no event (the caller has it
 * already), no eviction (false when a bound refuses it) and no decoding now
 * (no emit callback outside nf_decode); data waiting for it is decoded with
 * the next data set that uses it.
 */
bool
nfd_learn_loaded(nf_decoder *d, nf_exporter *e, nf_template *t)
{
	return nf_learn(d, e, t, false);
}
