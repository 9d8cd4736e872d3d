/*-------------------------------------------------------------------------
 *
 * decoder.c
 *	  The nf_decoder object: creation, limits, counters, last error,
 *	  dispatch by protocol version and the public template / sampling /
 *	  sequence loading, expiry and exporter-listing entry points.  The
 *	  exporter streams are in stream_table.c, what the protocol decoders
 *	  share in decode_common.c.
 *
 * No global mutable state: everything lives in the nf_decoder, so several
 * decoders may coexist.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "byteorder.h"
#include "decode_internal.h"

/* Default limits (documented in docs/decoding.md). */
#define NF_DEF_MAX_TEMPLATES		16384
#define NF_DEF_PENDING_BYTES		(256 * 1024)
#define NF_DEF_PENDING_AGE_US		(INT64_C(120) * 1000000)
#define NF_DEF_MAX_EXPORTERS		4096
#define NF_DEF_PENDING_TOTAL		(16 * 1024 * 1024)
#define NF_DEF_STREAMS_PER_ADDR		256
#define NF_DEF_TEMPLATES_PER_ADDR	2048
#define NF_DEF_PENDING_PER_ADDR		(1024 * 1024)

static const char *const nf_counter_names[NF_CTR__COUNT] = {
	[NF_CTR_DATAGRAMS] = "datagrams",
	[NF_CTR_BYTES] = "bytes",
	[NF_CTR_FLOWS] = "flows",
	[NF_CTR_DROP_BAD_VERSION] = "drop_bad_version",
	[NF_CTR_DROP_SHORT] = "drop_short",
	[NF_CTR_DROP_BAD_LENGTH] = "drop_bad_length",
	[NF_CTR_DROP_BAD_SET] = "drop_bad_set",
	[NF_CTR_DROP_BAD_TEMPLATE] = "drop_bad_template",
	[NF_CTR_DROP_BAD_RECORD] = "drop_bad_record",
	[NF_CTR_TEMPLATES_LEARNED] = "templates_learned",
	[NF_CTR_TEMPLATES_WITHDRAWN] = "templates_withdrawn",
	[NF_CTR_TEMPLATES_EVICTED] = "templates_evicted",
	[NF_CTR_OPTIONS_RECORDS] = "options_records",
	[NF_CTR_PENDING_BUFFERED] = "pending_buffered",
	[NF_CTR_PENDING_DECODED] = "pending_decoded",
	[NF_CTR_PENDING_EVICTED] = "pending_evicted",
	[NF_CTR_PENDING_EXPIRED] = "pending_expired",
	[NF_CTR_SEQ_GAPS] = "seq_gaps",
	[NF_CTR_SEQ_LOST] = "seq_lost",
	[NF_CTR_SEQ_REORDERED] = "seq_reordered",
	[NF_CTR_EXPORTER_RESETS] = "exporter_resets",
	[NF_CTR_EXPORTERS_EVICTED] = "exporters_evicted",
	[NF_CTR_SAMPLING_UNKNOWN] = "sampling_unknown",
	[NF_CTR_DROP_NO_MEMORY] = "drop_no_memory",
	[NF_CTR_BIFLOW_REVERSE] = "biflow_reverse",
	[NF_CTR_INVALID_MASK] = "invalid_mask",
	[NF_CTR_INVALID_DIRECTION] = "invalid_direction",
	[NF_CTR_DROP_MIXED_FAMILY] = "drop_mixed_family",
	[NF_CTR_DROP_INVALID_RECORD] = "drop_invalid_record",
	[NF_CTR_SAMPLING_LOST] = "sampling_lost",
	[NF_CTR_STATE_NOT_LOADED] = "state_not_loaded",
};

/* Stable lower-case name of a counter. */
const char *
nf_counter_name(nf_counter c)
{
	if ((int) c < 0 || c >= NF_CTR__COUNT || nf_counter_names[c] == NULL)
		return "unknown";
	return nf_counter_names[c];
}

/* Fill 'lim' with the defaults. */
void
nf_decoder_default_limits(nf_decoder_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max_templates = NF_DEF_MAX_TEMPLATES;
	lim->pending_bytes_per_exporter = NF_DEF_PENDING_BYTES;
	lim->pending_max_age_us = NF_DEF_PENDING_AGE_US;
	lim->max_exporters = NF_DEF_MAX_EXPORTERS;
	lim->pending_bytes_total = NF_DEF_PENDING_TOTAL;
	lim->max_streams_per_address = NF_DEF_STREAMS_PER_ADDR;
	lim->max_templates_per_address = NF_DEF_TEMPLATES_PER_ADDR;
	lim->pending_bytes_per_address = NF_DEF_PENDING_PER_ADDR;
}

/* Create a decoder. */
nf_decoder *
nf_decoder_create(const nf_decoder_limits *lim)
{
	nf_decoder *d = calloc(1, sizeof(nf_decoder));
	nf_decoder_limits def;

	if (d == NULL)
		return NULL;
	nf_decoder_default_limits(&def);
	d->lim = def;
	if (lim != NULL)
	{
		if (lim->max_templates > 0)
			d->lim.max_templates = lim->max_templates;
		if (lim->pending_bytes_per_exporter > 0)
			d->lim.pending_bytes_per_exporter = lim->pending_bytes_per_exporter;
		if (lim->pending_max_age_us > 0)
			d->lim.pending_max_age_us = lim->pending_max_age_us;
		if (lim->max_exporters > 0)
			d->lim.max_exporters = lim->max_exporters;
		if (lim->pending_bytes_total > 0)
			d->lim.pending_bytes_total = lim->pending_bytes_total;
		if (lim->max_streams_per_address > 0)
			d->lim.max_streams_per_address = lim->max_streams_per_address;
		if (lim->max_templates_per_address > 0)
			d->lim.max_templates_per_address = lim->max_templates_per_address;
		if (lim->pending_bytes_per_address > 0)
			d->lim.pending_bytes_per_address = lim->pending_bytes_per_address;
	}
	if (!nfd_streams_init(&d->streams, d->lim.max_exporters,
						  d->lim.max_streams_per_address,
						  d->lim.pending_bytes_per_address,
						  nfd_exporter_release, d))
	{
		free(d);
		return NULL;
	}
	nfd_tcache_init(&d->tcache, d->lim.max_templates,
					d->lim.max_templates_per_address);
	return d;
}

/* Free a decoder and all it holds. */
void
nf_decoder_destroy(nf_decoder *d)
{
	if (d == NULL)
		return;
	nfd_streams_destroy(&d->streams);
	free(d);
}


/* Register a callback for template events. */
void
nf_decoder_on_template(nf_decoder *d, nf_template_fn fn, void *arg)
{
	d->tfn = fn;
	d->targ = arg;
}

/* Register a callback for stream evictions. */
void
nf_decoder_on_stream_evicted(nf_decoder *d, nf_stream_fn fn, void *arg)
{
	d->efn = fn;
	d->earg = arg;
}

/* Template 'template_id' of a stream as cached now. */
bool
nf_decoder_find_template(const nf_decoder *d, const nf_addr *exporter,
						 uint32_t obs_domain, uint16_t version,
						 uint16_t template_id, bool *is_options,
						 const uint8_t **raw, size_t *raw_len)
{
	const nf_exporter *e = nfd_streams_find(&d->streams, exporter, obs_domain,
											version);
	const nf_template *t;

	if (e == NULL || (t = nfd_tset_find(&e->templates, template_id)) == NULL)
		return false;
	*is_options = t->is_options;
	*raw = t->raw;
	*raw_len = t->raw_len;
	return true;
}

/* Is a stream tracked now? */
bool
nf_decoder_has_stream(const nf_decoder *d, const nf_addr *exporter,
					  uint32_t obs_domain, uint16_t version)
{
	return nfd_streams_find(&d->streams, exporter, obs_domain, version) != NULL;
}

/* What nf_decoder_templates passes to nfd_tset_each. */
typedef struct nf_tlist
{
	const nf_exporter *e;
	nf_template_fn fn;
	void	   *arg;
} nf_tlist;

/* nf_tremove_fn: hand one template to nf_decoder_templates' callback. */
static void
nf_tlist_one(void *arg, const nf_template *t)
{
	nf_tlist   *l = (nf_tlist *) arg;
	nf_template_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.exporter = l->e->addr;
	ev.obs_domain = l->e->domain;
	ev.version = l->e->version;
	ev.template_id = t->id;
	ev.is_options = t->is_options;
	ev.raw = t->raw;
	ev.raw_len = t->raw_len;
	l->fn(l->arg, &ev);
}

/* Call 'fn' once for each cached template. */
void
nf_decoder_templates(const nf_decoder *d, nf_template_fn fn, void *arg)
{
	const nf_exporter *e;

	for (e = d->streams.lru_head; e != NULL; e = e->lru_next)
	{
		nf_tlist	l;

		l.e = e;
		l.fn = fn;
		l.arg = arg;
		nfd_tset_each(&e->templates, nf_tlist_one, &l);
	}
}

/* the public sampling kinds are the internal ones */
_Static_assert(NF_SAMPLING_KIND_SAMPLER == NF_SAMPLER_KIND_SAMPLER &&
			   NF_SAMPLING_KIND_SELECTOR == NF_SAMPLER_KIND_SELECTOR,
			   "sampling kinds of decoder.h and sampling.h differ");

/* Register a callback for sampling events. */
void
nf_decoder_on_sampling(nf_decoder *d, nf_sampling_fn fn, void *arg)
{
	d->sfn = fn;
	d->sarg = arg;
}

/* Human-readable reason for the last malformation. */
const char *
nf_decoder_last_error(const nf_decoder *d)
{
	return d->last_error;
}

/* Counter array. */
const uint64_t *
nf_decoder_counters(const nf_decoder *d)
{
	return d->ctr;
}

/* Decode one datagram. */
int
nf_decode(nf_decoder *d, const uint8_t *buf, size_t len,
		  const nf_addr *exporter, int64_t now_us,
		  nf_emit_fn emit, void *arg)
{
	uint16_t	version;
	int			res;

	d->ctr[NF_CTR_DATAGRAMS]++;
	d->ctr[NF_CTR_BYTES] += len;
	if (buf == NULL || len < 2)
	{
		nfd_fail(d, NF_CTR_DROP_SHORT, "datagram of %zu bytes is too short",
				 buf == NULL ? (size_t) 0 : len);
		return -1;
	}
	d->emit = emit;
	d->emit_arg = arg;
	d->emitted = 0;
	version = nf_get_u16(buf);
	switch (version)
	{
		case 5:
			res = nfd_decode_v5(d, buf, len, exporter, now_us);
			break;
		case 9:
			res = nfd_decode_v9(d, buf, len, exporter, now_us);
			break;
		case 10:
			res = nfd_decode_ipfix(d, buf, len, exporter, now_us);
			break;
		default:
			nfd_fail(d, NF_CTR_DROP_BAD_VERSION,
					 "unsupported export version %u", (unsigned) version);
			res = -1;
			break;
	}
	d->emit = NULL;
	d->emit_arg = NULL;
	return res < 0 ? -1 : d->emitted;
}

/* Load a template saved from an nf_template_event. */
bool
nf_decoder_load_template(nf_decoder *d, const nf_addr *exporter,
						 uint32_t obs_domain, uint16_t version,
						 uint16_t template_id, bool is_options,
						 const uint8_t *raw, size_t raw_len)
{
	size_t		consumed;
	uint16_t	tid;
	nf_template *t;
	const char *why;
	nf_exporter *e;

	if ((version != 9 && version != 10) || raw == NULL)
		return false;
	if (nfd_template_parse(version, is_options, raw, raw_len, &consumed, &tid,
						   &t, &why) != NF_TP_OK)
		return false;
	if (consumed != raw_len || tid != template_id)
	{
		nfd_template_free(t);
		return false;
	}
	e = nfd_exporter_load(d, exporter, obs_domain, version);
	if (e == NULL)
	{
		nfd_template_free(t);
		return false;
	}
	return nfd_learn_loaded(d, e, t);
}

/* Load a sampling rate saved from an nf_sampling_event. */
bool
nf_decoder_load_sampling(nf_decoder *d, const nf_addr *exporter,
						 uint32_t obs_domain, uint16_t version, uint8_t kind,
						 uint64_t sampler_id, uint64_t interval)
{
	nf_exporter *e;

	if (version != 9 && version != 10)
		return false;
	if (kind != NF_SAMPLING_KIND_EXPORTER &&
		kind != NF_SAMPLING_KIND_SAMPLER &&
		kind != NF_SAMPLING_KIND_SELECTOR)
		return false;
	e = nfd_exporter_load(d, exporter, obs_domain, version);
	if (e == NULL)
		return false;
	if (kind == NF_SAMPLING_KIND_EXPORTER)
		(void) nfd_sampling_set_default(&e->sampling, interval);
	else
		(void) nfd_sampling_set(&e->sampling, kind, sampler_id, interval);
	return true;
}

/* Resume sequence tracking of a stream from saved state. */
bool
nf_decoder_load_sequence(nf_decoder *d, const nf_sequence_state *st)
{
	nf_exporter *e;

	if (st == NULL ||
		(st->version != 5 && st->version != 9 && st->version != 10))
		return false;
	e = nfd_exporter_load(d, &st->exporter, st->obs_domain, st->version);
	if (e == NULL)
		return false;
	if (e->datagrams > 0)
		return true;			/* live state wins over saved state */
	nfd_seq_load(&e->seq, st->next_sequence);
	if (st->version == 9 && st->uptime_known)
	{
		e->has_uptime = true;
		e->last_uptime = st->last_uptime_ms;
	}
	if (st->last_seen > e->last_seen)
		e->last_seen = st->last_seen;
	return true;
}

/* Call 'fn' once for each sampling rate known. */
void
nf_decoder_sampling(const nf_decoder *d, nf_sampling_fn fn, void *arg)
{
	const nf_exporter *e;

	for (e = d->streams.lru_head; e != NULL; e = e->lru_next)
	{
		nf_sampling_event ev;
		uint32_t	i;

		if (e->version != 9 && e->version != 10)
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.exporter = e->addr;
		ev.obs_domain = e->domain;
		ev.version = e->version;
		if (e->sampling.has_default)
		{
			ev.kind = NF_SAMPLING_KIND_EXPORTER;
			ev.sampler_id = 0;
			ev.interval = e->sampling.default_interval;
			fn(arg, &ev);
		}
		for (i = 0; i < e->sampling.n; i++)
		{
			ev.kind = e->sampling.s[i].kind;
			ev.sampler_id = e->sampling.s[i].id;
			ev.interval = e->sampling.s[i].interval;
			fn(arg, &ev);
		}
	}
}

/* Expire waiting data of every stream. */
void
nf_decoder_expire(nf_decoder *d, int64_t now_us)
{
	nf_exporter *e;

	for (e = d->streams.lru_head; e != NULL; e = e->lru_next)
		d->ctr[NF_CTR_PENDING_EXPIRED] +=
			nfd_pending_expire(&e->pending, &d->pending_total, now_us,
							   d->lim.pending_max_age_us);
}

/* Call 'fn' once for each tracked stream. */
void
nf_decoder_exporters(const nf_decoder *d, nf_exporter_fn fn, void *arg)
{
	const nf_exporter *e;

	for (e = d->streams.lru_head; e != NULL; e = e->lru_next)
	{
		nf_exporter_info info;

		memset(&info, 0, sizeof(info));
		info.exporter = e->addr;
		info.obs_domain = e->domain;
		info.version = e->version;
		info.first_seen = e->first_seen;
		info.last_seen = e->last_seen;
		info.datagrams = e->datagrams;
		info.flows = e->flows;
		info.seq_gaps = e->seq_gaps;
		info.seq_lost = e->seq_lost;
		info.seq_reordered = e->seq_reordered;
		info.resets = e->resets;
		info.templates = e->templates.count;
		info.sampling_interval = nfd_sampling_fallback(&e->sampling);
		info.pending_bytes = e->pending.bytes;
		/* an exporter that numbers every datagram 0 has nothing to resume */
		info.seq_known = e->seq.valid && !e->seq.last_zero;
		info.next_sequence = e->seq.expected;
		info.uptime_known = e->version == 9 && e->has_uptime;
		info.last_uptime_ms = e->last_uptime;
		fn(arg, &info);
	}
}
