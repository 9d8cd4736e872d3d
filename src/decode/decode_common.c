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

/*
 * nf_stream_release_fn: free the templates and waiting data of stream 'e'
 * ('arg' is the decoder); counted when the stream is evicted.
 */
void
nfd_exporter_release(void *arg, nf_exporter *e, bool evicted)
{
	nf_decoder *d = (nf_decoder *) arg;
	size_t		templates;
	size_t		sets;

	templates = nfd_tcache_remove_all(&d->tcache, &e->templates, NF_TSEL_ALL,
									  NULL, NULL);
	sets = nfd_pending_clear(&e->pending, &d->pending_total);
	if (evicted)
	{
		d->ctr[NF_CTR_TEMPLATES_EVICTED] += templates;
		d->ctr[NF_CTR_PENDING_EVICTED] += sets;
	}
}

/*
 * Find or create the stream (addr, domain, version), mark it seen at
 * now_us.  NULL only when out of memory (counted).
 */
nf_exporter *
nfd_exporter_get(nf_decoder *d, const nf_addr *addr, uint32_t domain,
				 uint16_t version, int64_t now_us)
{
	size_t		evicted = 0;
	nf_exporter *e;

	e = nfd_streams_get(&d->streams, addr, domain, version, now_us, &evicted);
	d->ctr[NF_CTR_EXPORTERS_EVICTED] += evicted;
	if (e == NULL)
		nfd_fail(d, NF_CTR_DROP_NO_MEMORY, "out of memory for a new exporter");
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
