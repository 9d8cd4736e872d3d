/*-------------------------------------------------------------------------
 *
 * decode_common.c
 *	  What the protocol decoders (netflow_v5.c, netflow_v9.c, ipfix.c,
 *	  flowset.c, record.c) share: counting a failure, finding the stream of
 *	  a datagram, counting its sequence outcome, reporting a sampling rate.
 *
 * It sits below the protocol decoders and above the stream table, the
 * template cache and the pending buffer; nothing here calls back into
 * decoder.c, so the decoder's files form no include circle.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "decode_internal.h"

/* Count a malformation (or other loss) and remember why. */
void
nfd_fail(nf_decoder *d, nf_counter c, const char *fmt,...)
{
	va_list		ap;

	d->ctr[c]++;
	va_start(ap, fmt);
	vsnprintf(d->last_error, sizeof(d->last_error), fmt, ap);
	va_end(ap);
}

/* Tell the caller's template callback about a change. */
void
nfd_template_fire(nf_decoder *d, const nf_exporter *e, uint16_t tid,
				  bool is_options, bool withdrawn, bool evicted,
				  const uint8_t *raw, size_t raw_len)
{
	nf_template_event ev;

	if (d->tfn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.exporter = e->addr;
	ev.obs_domain = e->domain;
	ev.version = e->version;
	ev.template_id = tid;
	ev.is_options = is_options;
	ev.withdrawn = withdrawn;
	ev.evicted = evicted;
	ev.raw = withdrawn ? NULL : raw;
	ev.raw_len = withdrawn ? 0 : raw_len;
	d->tfn(d->targ, &ev);
}

/*
 * nf_tremove_fn ('arg' the decoder): report a template evicted by a bound
 * (its stream is its owner's container).
 */
void
nfd_template_evicted(void *arg, const nf_template *t)
{
	nf_decoder *d = (nf_decoder *) arg;
	const nf_exporter *e = (const nf_exporter *)
	((const char *) t->owner - offsetof(nf_exporter, templates));

	nfd_template_fire(d, e, t->id, t->is_options, true, true, NULL, 0);
}

/*
 * nf_stream_release_fn: free the templates and waiting data of stream 'e'
 * ('arg' is the decoder); when the stream is evicted they are counted and
 * reported (templates, then the stream).
 */
void
nfd_exporter_release(void *arg, nf_exporter *e, bool evicted)
{
	nf_decoder *d = (nf_decoder *) arg;
	size_t		templates;
	size_t		sets;

	templates = nfd_tcache_remove_all(&d->tcache, &e->templates, NF_TSEL_ALL,
									  evicted ? nfd_template_evicted : NULL,
									  d);
	sets = nfd_pending_clear(&e->pending, &d->pending_total);
	if (evicted)
	{
		d->ctr[NF_CTR_TEMPLATES_EVICTED] += templates;
		d->ctr[NF_CTR_PENDING_EVICTED] += sets;
		if (d->efn)
		{
			nf_stream_event ev;

			memset(&ev, 0, sizeof(ev));
			ev.exporter = e->addr;
			ev.obs_domain = e->domain;
			ev.version = e->version;
			d->efn(d->earg, &ev);
		}
	}
}

/* Count what making room for a stream did. */
static void
nf_count_outcome(nf_decoder *d, const nf_stream_outcome *out)
{
	d->ctr[NF_CTR_EXPORTERS_EVICTED] += out->evicted;
	d->ctr[NF_CTR_SAMPLING_LOST] += out->sampling_lost;
}

/*
 * Find or create the stream (addr, domain, version) of a datagram, mark it
 * seen at now_us.  NULL only when out of memory (counted).
 */
nf_exporter *
nfd_exporter_get(nf_decoder *d, const nf_addr *addr, uint32_t domain,
				 uint16_t version, int64_t now_us)
{
	nf_stream_outcome out;
	nf_exporter *e;

	e = nfd_streams_get(&d->streams, addr, domain, version, now_us,
						NF_STREAM_LIVE, &out);
	nf_count_outcome(d, &out);
	if (e == NULL)
		nfd_fail(d, NF_CTR_DROP_NO_MEMORY, "out of memory for a new exporter");
	return e;
}

/*
 * Find or create a stream for saved state being loaded: never evicts; NULL
 * (counted in NF_CTR_STATE_NOT_LOADED) at a bound or out of memory.
 */
nf_exporter *
nfd_exporter_load(nf_decoder *d, const nf_addr *addr, uint32_t domain,
				  uint16_t version)
{
	nf_stream_outcome out;
	nf_exporter *e;

	e = nfd_streams_get(&d->streams, addr, domain, version, 0,
						NF_STREAM_LOAD, &out);
	nf_count_outcome(d, &out);
	if (e == NULL)
		d->ctr[NF_CTR_STATE_NOT_LOADED]++;
	return e;
}

/* Count the outcome of a sequence check for stream 'e'. */
void
nfd_exporter_seq(nf_decoder *d, nf_exporter *e, nf_seq_result r, uint32_t lost)
{
	switch (r)
	{
		case NF_SEQ_FIRST:
		case NF_SEQ_OK:
			break;
		case NF_SEQ_GAP:
			e->seq_gaps++;
			e->seq_lost += lost;
			d->ctr[NF_CTR_SEQ_GAPS]++;
			d->ctr[NF_CTR_SEQ_LOST] += lost;
			break;
		case NF_SEQ_REORDERED:
			e->seq_reordered++;
			d->ctr[NF_CTR_SEQ_REORDERED]++;
			break;
		case NF_SEQ_RESET:
			e->resets++;
			d->ctr[NF_CTR_EXPORTER_RESETS]++;
			break;
	}
}

/* Tell the caller's sampling callback about a new or changed rate. */
void
nfd_sampling_fire(nf_decoder *d, const nf_exporter *e, uint8_t kind,
				  uint64_t id, uint64_t interval)
{
	nf_sampling_event ev;

	if (d->sfn == NULL)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.exporter = e->addr;
	ev.obs_domain = e->domain;
	ev.version = e->version;
	ev.kind = kind;
	ev.sampler_id = kind == NF_SAMPLING_KIND_EXPORTER ? 0 : id;
	ev.interval = interval;
	d->sfn(d->sarg, &ev);
}
