/*-------------------------------------------------------------------------
 *
 * decoder.c
 *	  The nf_decoder object: creation, limits, counters, last error,
 *	  dispatch by protocol version, the table of exporter streams and the
 *	  public template / expiry / exporter-listing entry points.
 *
 * No global mutable state: everything lives in the nf_decoder, so several
 * decoders may coexist.
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
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

#define NF_INITIAL_BUCKETS			64

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
	}
	d->nbuckets = NF_INITIAL_BUCKETS;
	d->buckets = calloc(d->nbuckets, sizeof(nf_exporter *));
	if (d->buckets == NULL)
	{
		free(d);
		return NULL;
	}
	nfd_tcache_init(&d->tcache, d->lim.max_templates);
	return d;
}

/* Free one exporter stream and what it holds; returns templates freed. */
static size_t
nf_exporter_free(nf_decoder *d, nf_exporter *e, size_t *pending_sets)
{
	size_t		n;

	n = nfd_tcache_remove_all(&d->tcache, &e->templates, NF_TSEL_ALL,
							  NULL, NULL);
	*pending_sets = nfd_pending_clear(&e->pending, &d->pending_total);
	free(e);
	return n;
}

/* Free a decoder and all it holds. */
void
nf_decoder_destroy(nf_decoder *d)
{
	nf_exporter *e;

	if (d == NULL)
		return;
	e = d->lru_head;
	while (e != NULL)
	{
		nf_exporter *next = e->lru_next;
		size_t		sets;

		(void) nf_exporter_free(d, e, &sets);
		e = next;
	}
	free(d->buckets);
	free(d);
}

/* Register a callback for template events. */
void
nf_decoder_on_template(nf_decoder *d, nf_template_fn fn, void *arg)
{
	d->tfn = fn;
	d->targ = arg;
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

/*
 * Copy an address keeping only the bytes its family uses.  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d, what a dual-stack socket reports for an
 * IPv4 sender) becomes the IPv4 address, so one exporter has one identity.
 */
static void
nf_addr_normalize(nf_addr *dst, const nf_addr *src)
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

/* Hash of an exporter stream key (FNV-1a). */
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

/* Unlink 'e' from the exporter LRU list. */
static void
nf_exp_lru_unlink(nf_decoder *d, nf_exporter *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		d->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		d->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

/* Put 'e' at the head of the exporter LRU list. */
static void
nf_exp_lru_push(nf_decoder *d, nf_exporter *e)
{
	e->lru_prev = NULL;
	e->lru_next = d->lru_head;
	if (d->lru_head)
		d->lru_head->lru_prev = e;
	d->lru_head = e;
	if (d->lru_tail == NULL)
		d->lru_tail = e;
}

/* Drop the least recently seen exporter stream (max_exporters reached). */
static void
nf_exporter_evict(nf_decoder *d)
{
	nf_exporter *e = d->lru_tail;
	nf_exporter **pp;
	size_t		sets;

	if (e == NULL)
		return;
	pp = &d->buckets[nf_exp_hash(&e->addr, e->domain, e->version) &
					 (d->nbuckets - 1)];
	for (; *pp != NULL; pp = &(*pp)->hnext)
	{
		if (*pp == e)
		{
			*pp = e->hnext;
			break;
		}
	}
	nf_exp_lru_unlink(d, e);
	d->nexporters--;
	d->ctr[NF_CTR_EXPORTERS_EVICTED]++;
	d->ctr[NF_CTR_TEMPLATES_EVICTED] += nf_exporter_free(d, e, &sets);
	d->ctr[NF_CTR_PENDING_EVICTED] += sets;
}

/* Double the hash table (best effort: stays as is without memory). */
static void
nf_exp_grow(nf_decoder *d)
{
	size_t		nb = d->nbuckets * 2;
	nf_exporter **b = calloc(nb, sizeof(nf_exporter *));
	size_t		i;

	if (b == NULL)
		return;
	for (i = 0; i < d->nbuckets; i++)
	{
		nf_exporter *e = d->buckets[i];

		while (e != NULL)
		{
			nf_exporter *next = e->hnext;
			size_t		h = nf_exp_hash(&e->addr, e->domain, e->version) & (nb - 1);

			e->hnext = b[h];
			b[h] = e;
			e = next;
		}
	}
	free(d->buckets);
	d->buckets = b;
	d->nbuckets = nb;
}

/*
 * Find or create the stream (addr, domain, version), mark it seen at
 * now_us.  NULL only when out of memory (counted).
 */
nf_exporter *
nfd_exporter_get(nf_decoder *d, const nf_addr *addr, uint32_t domain,
				 uint16_t version, int64_t now_us)
{
	nf_addr		key;
	size_t		h;
	nf_exporter *e;

	nf_addr_normalize(&key, addr);
	h = nf_exp_hash(&key, domain, version);
	for (e = d->buckets[h & (d->nbuckets - 1)]; e != NULL; e = e->hnext)
	{
		if (e->domain == domain && e->version == version &&
			memcmp(&e->addr, &key, sizeof(key)) == 0)
		{
			if (d->lru_head != e)
			{
				nf_exp_lru_unlink(d, e);
				nf_exp_lru_push(d, e);
			}
			if (now_us > e->last_seen)
				e->last_seen = now_us;
			/* created by a load (time 0): first seen now */
			if (e->first_seen == 0)
				e->first_seen = now_us;
			return e;
		}
	}

	while (d->nexporters >= d->lim.max_exporters && d->lru_tail != NULL)
		nf_exporter_evict(d);
	if (d->nexporters >= d->nbuckets)
		nf_exp_grow(d);

	e = calloc(1, sizeof(nf_exporter));
	if (e == NULL)
	{
		nfd_fail(d, NF_CTR_DROP_NO_MEMORY, "out of memory for a new exporter");
		return NULL;
	}
	e->addr = key;
	e->domain = domain;
	e->version = version;
	e->first_seen = e->last_seen = now_us;
	nfd_seq_init(&e->seq);
	nfd_sampling_init(&e->sampling);
	nfd_pending_init(&e->pending);
	nfd_tset_init(&e->templates);
	h &= d->nbuckets - 1;
	e->hnext = d->buckets[h];
	d->buckets[h] = e;
	nf_exp_lru_push(d, e);
	d->nexporters++;
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
	e = nfd_exporter_get(d, exporter, obs_domain, version, 0);
	if (e == NULL)
	{
		nfd_template_free(t);
		return false;
	}
	nfd_learn_loaded(d, e, t);
	return true;
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
	e = nfd_exporter_get(d, exporter, obs_domain, version, 0);
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
	e = nfd_exporter_get(d, &st->exporter, st->obs_domain, st->version, 0);
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

/* Expire waiting data of every stream. */
void
nf_decoder_expire(nf_decoder *d, int64_t now_us)
{
	nf_exporter *e;

	for (e = d->lru_head; e != NULL; e = e->lru_next)
		d->ctr[NF_CTR_PENDING_EXPIRED] +=
			nfd_pending_expire(&e->pending, &d->pending_total, now_us,
							   d->lim.pending_max_age_us);
}

/* Call 'fn' once for each tracked stream. */
void
nf_decoder_exporters(const nf_decoder *d, nf_exporter_fn fn, void *arg)
{
	const nf_exporter *e;

	for (e = d->lru_head; e != NULL; e = e->lru_next)
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
