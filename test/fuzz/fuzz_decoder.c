/*-------------------------------------------------------------------------
 *
 * fuzz_decoder.c
 *	  libFuzzer harness for the NetFlow v5 / v9 / IPFIX decoders: feeds a
 *	  SEQUENCE of datagrams from several exporters to one decoder, so the
 *	  state that outlives a datagram (templates, data waiting for its
 *	  template, sequence tracking, eviction and expiry) is exercised, and
 *	  checks the decoder API's invariants on everything it reports; every
 *	  emitted record must satisfy the validity contract (flow_contract.h).
 *
 * Input format (see docs/fuzzing.md):
 *
 *	  byte 0		configuration: decoder limits (see pick_limits)
 *	  then, repeated until the input ends, one datagram:
 *	  byte 0		control: exporter, clock step, extra calls (see run_one)
 *	  bytes 1-2		datagram length, big-endian (cut to what remains)
 *	  bytes 3-		the datagram
 *
 * Each datagram is copied into a heap buffer of exactly its length, so
 * AddressSanitizer reports a read past the datagram even where the fuzz
 * input continues after it.
 *
 * Every invariant violation calls abort() with a message, which libFuzzer
 * reports as a crash and saves the input.  The same entry point is used by
 * replay.c (plain main, for valgrind).
 *
 * With NF_FUZZ_MUTATOR defined (the libFuzzer build), a structure-aware
 * mutator and cross-over that know the framing are added: they mutate one
 * datagram at a time, repair v5/v9/IPFIX length fields half of the time,
 * split a datagram between two of its sets, and duplicate, drop, reorder
 * or splice whole datagrams.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decoder.h"
#include "flow_contract.h"
#include "flow_record.h"
#include "pending.h"

/* The collector clock at the start of every input (2024-01-01T00:04:22Z). */
#define FUZZ_START_US	INT64_C(1704067462000000)

/* Number of exporter addresses a datagram can come from. */
#define FUZZ_EXPORTERS	4

/* Abort with a message when an invariant does not hold. */
#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_decoder: invariant failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

/* State of one fuzz input run. */
typedef struct fuzz_state
{
	nf_decoder *a;				/* the decoder under test */
	nf_decoder *b;				/* receives A's templates by load_template */
	nf_decoder_limits lim;
	const nf_addr *exporter;	/* exporter of the datagram being decoded */
	const nf_addr *canon;		/* ... as records and events name it */
	int64_t		now;
	uint64_t	emitted;		/* emit calls during the current nf_decode */
	uint64_t	total_emitted;	/* ... over all nf_decode calls on A */
	uint64_t	reversed;		/* NF_FLAG_REVERSE records in the call */
	uint64_t	total_reversed; /* ... over all nf_decode calls on A */
	bool		have_prev;		/* prev holds the call's last record */
	nf_flow_record prev;
	uint64_t	datagrams;		/* nf_decode calls on A */
	uint64_t	bytes;			/* their total length */
	size_t		n_exporters;	/* counted by check_exporter */
	uint64_t	n_templates;
	uint64_t	n_pending;
} fuzz_state;

/*
 * The exporter addresses: 127.0.0.1, 127.0.0.2, ::1, and ::ffff:127.0.0.2
 * (what a dual-stack socket reports for 127.0.0.2: the decoder must treat
 * it as that IPv4 exporter), and the identity records carry for each.
 */
static nf_addr exporters[FUZZ_EXPORTERS];
static nf_addr canonical[FUZZ_EXPORTERS];

/* Fill the exporter address table once. */
static void
init_exporters(void)
{
	static bool done = false;

	if (done)
		return;
	memset(exporters, 0, sizeof(exporters));
	exporters[0].family = NF_AF_INET;
	exporters[0].a[0] = 127;
	exporters[0].a[3] = 1;
	exporters[1].family = NF_AF_INET;
	exporters[1].a[0] = 127;
	exporters[1].a[3] = 2;
	exporters[2].family = NF_AF_INET6;
	exporters[2].a[15] = 1;		/* ::1 */
	exporters[3].family = NF_AF_INET6;
	exporters[3].a[10] = 0xff;	/* ::ffff:127.0.0.2 */
	exporters[3].a[11] = 0xff;
	exporters[3].a[12] = 127;
	exporters[3].a[15] = 2;
	memcpy(canonical, exporters, sizeof(canonical));
	canonical[3] = exporters[1];
	done = true;
}

/* True when two addresses are the same bytes. */
static bool
addr_equal(const nf_addr *x, const nf_addr *y)
{
	return memcmp(x, y, sizeof(nf_addr)) == 0;
}

/* True when 'a' is the identity of one of the harness's exporters. */
static bool
known_exporter(const nf_addr *a)
{
	for (int i = 0; i < FUZZ_EXPORTERS; i++)
		if (addr_equal(a, &canonical[i]))
			return true;
	return false;
}

/*
 * A reverse-direction record (NF_FLAG_REVERSE): it follows, in the same
 * nf_decode call, the forward record it reverses, with nonzero counters,
 * the same identity and the endpoints swapped.
 */
static void
check_reverse(fuzz_state *st, const nf_flow_record *r)
{
	const nf_flow_record *f = &st->prev;
	uint32_t	keep = NF_HAS_PROTOCOL | NF_HAS_TOS | NF_HAS_DIRECTION |
		NF_HAS_SRC_VLAN | NF_HAS_DST_VLAN | NF_HAS_END_REASON;

	st->reversed++;
	CHECK(r->version == 9 || r->version == 10, "v%u reverse record",
		  r->version);
	CHECK(r->bytes > 0 || r->packets > 0, "reverse record with no traffic");
	CHECK(st->have_prev, "reverse record first in its datagram");
	CHECK(!(f->flags & NF_FLAG_REVERSE), "two reverse records in a row");
	CHECK(f->version == r->version && f->obs_domain == r->obs_domain &&
		  f->time_received == r->time_received &&
		  addr_equal(&f->exporter, &r->exporter) &&
		  f->sampling_interval == r->sampling_interval,
		  "reverse record's identity differs from the forward record's");
	CHECK((f->flags | NF_FLAG_REVERSE | NF_FLAG_TIME_FROM_RECEIVE) ==
		  (r->flags | NF_FLAG_TIME_FROM_RECEIVE),
		  "reverse flags 0x%x after forward flags 0x%x", r->flags, f->flags);
	CHECK(addr_equal(&f->src_addr, &r->dst_addr) &&
		  addr_equal(&f->dst_addr, &r->src_addr) &&
		  f->src_port == r->dst_port && f->dst_port == r->src_port &&
		  f->src_as == r->dst_as && f->dst_as == r->src_as &&
		  f->src_mask == r->dst_mask && f->dst_mask == r->src_mask &&
		  f->input_if == r->output_if && f->output_if == r->input_if &&
		  memcmp(f->src_mac, r->dst_mac, 6) == 0 &&
		  memcmp(f->dst_mac, r->src_mac, 6) == 0,
		  "reverse record's endpoints are not the forward ones swapped");
	CHECK(((f->present & NF_HAS_SRC_PORT) != 0) == ((r->present & NF_HAS_DST_PORT) != 0) &&
		  ((f->present & NF_HAS_INPUT_IF) != 0) == ((r->present & NF_HAS_OUTPUT_IF) != 0) &&
		  ((f->present & NF_HAS_SRC_MAC) != 0) == ((r->present & NF_HAS_DST_MAC) != 0),
		  "reverse present bits 0x%x not swapped from 0x%x", r->present,
		  f->present);
	CHECK((f->present & keep) == (r->present & keep) &&
		  f->protocol == r->protocol && f->tos == r->tos &&
		  f->src_vlan == r->src_vlan && f->dst_vlan == r->dst_vlan,
		  "reverse record changed protocol, tos or VLANs");
	CHECK(!(r->present & NF_HAS_ICMP_TYPE) && r->next_hop.family == NF_AF_NONE,
		  "reverse record with ICMP type or next hop");
}

/*
 * Emit callback: check one decoded record.  Its validity is the contract's
 * (flow_contract.h): the harness asserts it, not a copy of its rules.
 */
static void
check_record(void *arg, const nf_flow_record *r)
{
	fuzz_state *st = arg;
	nf_rule		rule = nf_contract_check(r);

	st->emitted++;
	CHECK(rule == NF_RULE_OK, "emitted record breaks contract rule %d: %s",
		  (int) rule, nf_rule_detail(rule, r));
	CHECK(r->version != 5 || !(r->flags & NF_FLAG_DELAYED),
		  "v5 record marked delayed");
	CHECK(r->exporter.family != NF_AF_NONE, "exporter absent");
	CHECK(addr_equal(&r->exporter, st->canon),
		  "record's exporter is not the datagram's");

	/* Only data that waited for its template was received earlier. */
	CHECK((r->flags & NF_FLAG_DELAYED) || r->time_received == st->now,
		  "record received at %lld, not now (%lld), and not delayed",
		  (long long) r->time_received, (long long) st->now);
	if (r->flags & NF_FLAG_TIME_FROM_RECEIVE)
		CHECK(r->time_start == r->time_received &&
			  r->time_end == r->time_received,
			  "time from receive but start %lld end %lld received %lld",
			  (long long) r->time_start, (long long) r->time_end,
			  (long long) r->time_received);

	if (r->flags & NF_FLAG_REVERSE)
		check_reverse(st, r);
	st->prev = *r;
	st->have_prev = true;
}

/* Exporters callback: check one (exporter, domain) entry. */
static void
check_exporter(void *arg, const nf_exporter_info *info)
{
	fuzz_state *st = arg;

	st->n_exporters++;
	st->n_templates += info->templates;
	st->n_pending += info->pending_bytes;
	CHECK(known_exporter(&info->exporter), "unknown exporter address");
	CHECK(info->version == 5 || info->version == 9 || info->version == 10,
		  "exporter version %u", info->version);
	CHECK(info->pending_bytes <= st->lim.pending_bytes_per_exporter,
		  "pending %llu bytes over the limit %zu",
		  (unsigned long long) info->pending_bytes,
		  st->lim.pending_bytes_per_exporter);
	CHECK(info->seq_lost == 0 || info->seq_gaps > 0,
		  "lost %llu with no gap", (unsigned long long) info->seq_lost);
}

/* Walk the exporters of decoder 'd' and check the limits hold. */
static void
check_exporters(fuzz_state *st, nf_decoder *d)
{
	st->n_exporters = 0;
	st->n_templates = 0;
	st->n_pending = 0;
	nf_decoder_exporters(d, check_exporter, st);
	CHECK(st->n_pending <= st->lim.pending_bytes_total,
		  "%llu bytes pending in all, limit %zu",
		  (unsigned long long) st->n_pending, st->lim.pending_bytes_total);
	CHECK(st->n_exporters <= st->lim.max_exporters,
		  "%zu exporters tracked, limit %zu", st->n_exporters,
		  st->lim.max_exporters);
	CHECK(st->n_templates <= st->lim.max_templates,
		  "%llu templates cached, limit %zu",
		  (unsigned long long) st->n_templates, st->lim.max_templates);
}

/* Emit callback of decoder B: only the record rules, any exporter. */
static void
check_record_b(void *arg, const nf_flow_record *r)
{
	fuzz_state *st = arg;
	uint64_t	saved = st->emitted;
	uint64_t	saved_rev = st->reversed;

	check_record(arg, r);
	st->emitted = saved;
	st->reversed = saved_rev;
}

/*
 * Template callback of decoder A: check the event, then load the template
 * into decoder B (round trip of the persistence interface).
 */
static void
on_template(void *arg, const nf_template_event *ev)
{
	fuzz_state *st = arg;
	uint8_t    *copy;
	bool		ok;
	uint64_t	refused;

	CHECK(ev->version == 9 || ev->version == 10, "template version %u",
		  ev->version);
	CHECK(known_exporter(&ev->exporter), "template event, unknown exporter");
	if (ev->withdrawn)
	{
		/* May be another exporter's template, evicted for this one's. */
		CHECK(ev->raw == NULL, "withdrawn template with raw bytes");
		return;
	}
	CHECK(addr_equal(&ev->exporter, st->canon),
		  "template learned from another exporter than the datagram's");
	CHECK(ev->raw != NULL && ev->raw_len >= 4, "template raw_len %zu",
		  ev->raw_len);
	CHECK(((ev->raw[0] << 8) | ev->raw[1]) == ev->template_id,
		  "raw template starts with id %u, event says %u",
		  (ev->raw[0] << 8) | ev->raw[1], ev->template_id);

	/* Exact-size copy: a read past raw_len is caught by ASan. */
	copy = malloc(ev->raw_len);
	CHECK(copy != NULL, "out of memory");
	memcpy(copy, ev->raw, ev->raw_len);
	refused = nf_decoder_counters(st->b)[NF_CTR_STATE_NOT_LOADED];
	ok = nf_decoder_load_template(st->b, &ev->exporter, ev->obs_domain,
								  ev->version, ev->template_id,
								  ev->is_options, copy, ev->raw_len);
	/* a load never evicts: at a bound it is refused, and counted */
	CHECK(ok || nf_decoder_counters(st->b)[NF_CTR_STATE_NOT_LOADED] == refused + 1,
		  "template %u (options %d, v%u, %zu bytes) from an event "
		  "does not load", ev->template_id, ev->is_options, ev->version,
		  ev->raw_len);
	free(copy);
}

/* Choose decoder limits from the configuration byte; small ones often. */
static void
pick_limits(uint8_t cfg, nf_decoder_limits *lim)
{
	static const size_t templates[8] = {1, 2, 3, 4, 8, 16, 64, 0};
	/* bytes of sets besides the index of their ids (charged too) */
	static const size_t pending[4] = {64, 300 + NF_PENDING_INDEX_BYTES,
	4096 + NF_PENDING_INDEX_BYTES, 0};
	static const size_t pending_total[4] = {0, 450 + NF_PENDING_INDEX_BYTES,
	6000 + NF_PENDING_INDEX_BYTES, 0};
	static const size_t exps[4] = {1, 2, 3, 0};

	nf_decoder_default_limits(lim);
	if (templates[cfg & 7])
		lim->max_templates = templates[cfg & 7];
	if (pending[(cfg >> 3) & 3])
		lim->pending_bytes_per_exporter = pending[(cfg >> 3) & 3];
	/* Less than two exporters' worth: streams compete for the total. */
	if (pending_total[(cfg >> 3) & 3])
		lim->pending_bytes_total = pending_total[(cfg >> 3) & 3];
	if (!((cfg >> 5) & 1))
		lim->pending_max_age_us = 1000000;
	if (exps[cfg >> 6])
		lim->max_exporters = exps[cfg >> 6];
}

/*
 * Give bytes that are not a datagram to nf_decoder_load_template, as read
 * back from a damaged template store: bytes 0-1 template id, byte 2 flags
 * (bit 0 options, bit 1 IPFIX), bytes 3-6 observation domain, the rest the
 * raw template.  Only memory safety is checked; whether it loads is not.
 */
static void
load_garbage(fuzz_state *st, const uint8_t *d, size_t len)
{
	uint8_t    *copy;

	if (len < 7)
		return;
	copy = malloc(len - 7 ? len - 7 : 1);
	CHECK(copy != NULL, "out of memory");
	memcpy(copy, d + 7, len - 7);
	(void) nf_decoder_load_template(st->b, st->exporter,
									((uint32_t) d[3] << 24) | (d[4] << 16) |
									(d[5] << 8) | d[6],
									(d[2] & 2) ? 10 : 9,
									(uint16_t) ((d[0] << 8) | d[1]),
									(d[2] & 1) != 0, copy, len - 7);
	free(copy);
}

/*
 * Decode one datagram according to its control byte:
 *	bits 0-1	exporter (127.0.0.1, 127.0.0.2, ::1, ::ffff:127.0.0.2)
 *	bits 2-4	clock step before it: 0, 1 us, 1 ms, 1 s, 30 s, 10 min,
 *				1 day, or back 10 s (a collector clock step)
 *	bit 5		call nf_decoder_expire after it
 *	bit 6		walk and check nf_decoder_exporters after it
 *	bit 7		also decode it with decoder B (templates loaded by events);
 *				if it is not a v5/v9/IPFIX datagram, give it to B's
 *				nf_decoder_load_template as a saved template instead (see
 *				load_garbage), as a corrupted template store would
 */
static void
run_one(fuzz_state *st, uint8_t ctrl, const uint8_t *dgram, size_t len)
{
	static const int64_t steps[8] = {
		0, 1, 1000, INT64_C(1000000), INT64_C(30000000),
		INT64_C(600000000), INT64_C(86400000000), -INT64_C(10000000)
	};
	const uint64_t *ctr;
	uint8_t    *copy;
	int			n;

	st->exporter = &exporters[ctrl & 3];
	st->canon = &canonical[ctrl & 3];
	st->now += steps[(ctrl >> 2) & 7];

	/* Exact-size heap copy (1 byte allocated for an empty datagram). */
	copy = malloc(len ? len : 1);
	CHECK(copy != NULL, "out of memory");
	if (len)
		memcpy(copy, dgram, len);

	st->emitted = 0;
	st->reversed = 0;
	st->have_prev = false;
	n = nf_decode(st->a, copy, len, st->exporter, st->now, check_record, st);
	st->datagrams++;
	st->bytes += len;
	st->total_emitted += st->emitted;
	st->total_reversed += st->reversed;
	CHECK(n >= -1, "nf_decode returned %d", n);
	if (n >= 0)
		CHECK((uint64_t) n == st->emitted,
			  "nf_decode returned %d but emitted %llu", n,
			  (unsigned long long) st->emitted);
	else
		CHECK(nf_decoder_last_error(st->a) != NULL &&
			  nf_decoder_last_error(st->a)[0] != '\0',
			  "malformed datagram without a reason");

	ctr = nf_decoder_counters(st->a);
	CHECK(ctr[NF_CTR_DATAGRAMS] == st->datagrams, "datagrams %llu, not %llu",
		  (unsigned long long) ctr[NF_CTR_DATAGRAMS],
		  (unsigned long long) st->datagrams);
	CHECK(ctr[NF_CTR_BYTES] == st->bytes, "bytes %llu, not %llu",
		  (unsigned long long) ctr[NF_CTR_BYTES],
		  (unsigned long long) st->bytes);
	CHECK(ctr[NF_CTR_FLOWS] == st->total_emitted, "flows %llu, not %llu",
		  (unsigned long long) ctr[NF_CTR_FLOWS],
		  (unsigned long long) st->total_emitted);
	/* only exporter data breaks the contract, never the decoders' making */
	CHECK(ctr[NF_CTR_DROP_INVALID_RECORD] == 0,
		  "drop_invalid_record %llu: a decoder built a malformed record",
		  (unsigned long long) ctr[NF_CTR_DROP_INVALID_RECORD]);
	CHECK(ctr[NF_CTR_BIFLOW_REVERSE] == st->total_reversed,
		  "biflow_reverse %llu, not %llu",
		  (unsigned long long) ctr[NF_CTR_BIFLOW_REVERSE],
		  (unsigned long long) st->total_reversed);

	if (ctrl & 0x20)
		nf_decoder_expire(st->a, st->now);
	if (ctrl & 0x40)
		check_exporters(st, st->a);
	if ((ctrl & 0x80) && len >= 2 && copy[0] == 0 &&
		(copy[1] == 5 || copy[1] == 9 || copy[1] == 10))
	{
		st->have_prev = false;
		(void) nf_decode(st->b, copy, len, st->exporter, st->now,
						 check_record_b, st);
	}
	else if (ctrl & 0x80)
		load_garbage(st, copy, len);
	free(copy);
}

/* Run one fuzz input (the entry point shared with replay.c). */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_state	st;
	size_t		off;

	if (size < 1)
		return 0;
	init_exporters();
	memset(&st, 0, sizeof(st));
	pick_limits(data[0], &st.lim);
	st.now = FUZZ_START_US;
	st.a = nf_decoder_create(&st.lim);
	st.b = nf_decoder_create(&st.lim);
	CHECK(st.a != NULL && st.b != NULL, "nf_decoder_create failed");
	nf_decoder_on_template(st.a, on_template, &st);

	for (int c = 0; c < NF_CTR__COUNT; c++)
		CHECK(nf_counter_name((nf_counter) c) != NULL &&
			  nf_counter_name((nf_counter) c)[0] != '\0',
			  "counter %d has no name", c);

	off = 1;
	while (off + 3 <= size)
	{
		uint8_t		ctrl = data[off];
		size_t		len = ((size_t) data[off + 1] << 8) | data[off + 2];

		off += 3;
		if (len > size - off)
			len = size - off;
		run_one(&st, ctrl, data + off, len);
		off += len;
	}

	/* Final checks: exporters and limits, then expire everything. */
	check_exporters(&st, st.a);
	check_exporters(&st, st.b);
	nf_decoder_expire(st.a, st.now + INT64_C(86400000000));
	nf_decoder_expire(st.b, st.now + INT64_C(86400000000));
	check_exporters(&st, st.a);

	nf_decoder_on_template(st.a, NULL, NULL);
	nf_decoder_destroy(st.a);
	nf_decoder_destroy(st.b);
	return 0;
}

#ifdef NF_FUZZ_MUTATOR

/* libFuzzer's own byte-level mutator. */
extern size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);

/* Most datagrams a structured input is split into. */
#define MAX_CHUNKS 64

/* One datagram of a framed input: control byte and payload. */
typedef struct chunk
{
	uint8_t		ctrl;
	const uint8_t *p;
	size_t		len;
} chunk;

/* Small deterministic PRNG (xorshift32) seeded by libFuzzer. */
static uint32_t
rnd(uint32_t *s)
{
	uint32_t	x = *s ? *s : 0x9e3779b9u;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*s = x;
	return x;
}

/* Split a framed input into chunks; returns their number. */
static int
split(const uint8_t *data, size_t size, chunk *c)
{
	size_t		off = 1;
	int			n = 0;

	while (off + 3 <= size && n < MAX_CHUNKS)
	{
		size_t		len = ((size_t) data[off + 1] << 8) | data[off + 2];

		c[n].ctrl = data[off];
		off += 3;
		if (len > size - off)
			len = size - off;
		c[n].p = data + off;
		c[n].len = len;
		off += len;
		n++;
	}
	return n;
}

/* Serialize cfg + chunks into out (cap bytes); returns size or 0. */
static size_t
join(uint8_t cfg, const chunk *c, int n, uint8_t *out, size_t cap)
{
	size_t		off = 1;

	if (cap < 1)
		return 0;
	out[0] = cfg;
	for (int i = 0; i < n; i++)
	{
		size_t		len = c[i].len > 0xffff ? 0xffff : c[i].len;

		if (off + 3 + len > cap)
			return 0;
		out[off] = c[i].ctrl;
		out[off + 1] = (uint8_t) (len >> 8);
		out[off + 2] = (uint8_t) len;
		memmove(out + off + 3, c[i].p, len);
		off += 3 + len;
	}
	return off;
}

/* Set 16-bit big-endian at p. */
static void
put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t) (v >> 8);
	p[1] = (uint8_t) v;
}

/*
 * Make a datagram's length fields consistent with its size: v5 record
 * count, IPFIX message length, and set/flowset lengths of v9 and IPFIX
 * (a set running past the end is cut to end there).
 */
static void
repair(uint8_t *d, size_t len)
{
	size_t		off,
				hdr;
	unsigned	version;

	if (len < 4)
		return;
	version = (d[0] << 8) | d[1];
	if (version == 5)
	{
		if (len >= 24)
			put16(d + 2, (len - 24) / 48);
		return;
	}
	if (version == 9)
		hdr = 20;
	else if (version == 10)
	{
		hdr = 16;
		put16(d + 2, len);
	}
	else
		return;
	off = hdr;
	while (off + 4 <= len)
	{
		size_t		slen = (d[off + 2] << 8) | d[off + 3];

		if (slen < 4 || slen > len - off)
		{
			put16(d + off + 2, len - off);
			break;
		}
		off += slen;
	}
}

/* Header length of a v9 (20) or IPFIX (16) datagram, 0 for others. */
static size_t
set_header_len(const uint8_t *d, size_t len)
{
	if (len >= 20 && d[0] == 0 && d[1] == 9)
		return 20;
	if (len >= 16 && d[0] == 0 && d[1] == 10)
		return 16;
	return 0;
}

/*
 * Split datagram c[i] at a set boundary into two datagrams with copies of
 * its header (template sets apart from data sets, for example); the new
 * bytes go to 'buf' (room: 2 * c[i].len).  Returns false if impossible.
 */
static bool
split_sets(chunk *c, int *n, int i, uint8_t *buf, uint32_t *s)
{
	size_t		hdr = set_header_len(c[i].p, c[i].len);
	size_t		cuts[MAX_CHUNKS];
	int			ncuts = 0;
	size_t		off,
				cut,
				len2;

	if (hdr == 0 || *n >= MAX_CHUNKS)
		return false;
	off = hdr;
	while (off + 4 <= c[i].len && ncuts < MAX_CHUNKS)
	{
		size_t		slen = (c[i].p[off + 2] << 8) | c[i].p[off + 3];

		if (slen < 4 || slen > c[i].len - off)
			break;
		off += slen;
		if (off < c[i].len)
			cuts[ncuts++] = off;
	}
	if (ncuts == 0)
		return false;
	cut = cuts[rnd(s) % ncuts];
	len2 = hdr + (c[i].len - cut);
	memcpy(buf, c[i].p, cut);
	memcpy(buf + cut, c[i].p, hdr);
	memcpy(buf + cut + hdr, c[i].p + cut, c[i].len - cut);
	repair(buf, cut);
	repair(buf + cut, len2);
	memmove(&c[i + 2], &c[i + 1], (*n - i - 1) * sizeof(chunk));
	c[i + 1].ctrl = c[i].ctrl;
	c[i + 1].p = buf + cut;
	c[i + 1].len = len2;
	c[i].p = buf;
	c[i].len = cut;
	(*n)++;
	return true;
}

/* Structure-aware mutation of a framed input (see the file header). */
size_t
LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size,
						unsigned int seed)
{
	chunk		c[MAX_CHUNKS + 1];
	uint8_t    *tmp,
			   *buf;
	uint32_t	s = seed;
	int			n,
				i,
				j;
	size_t		out = 0;

	n = split(data, size, c);
	if (n == 0 || rnd(&s) % 3 == 0)
		return LLVMFuzzerMutate(data, size, max_size);

	tmp = malloc(max_size);
	buf = malloc(2 * max_size + 64);
	if (tmp == NULL || buf == NULL)
	{
		free(tmp);
		free(buf);
		return LLVMFuzzerMutate(data, size, max_size);
	}
	i = rnd(&s) % n;
	switch (rnd(&s) % 10)
	{
		case 0:
		case 1:
		case 2:
			{
				/* Mutate the bytes of one datagram, maybe repair it. */
				size_t		room = max_size - (size - c[i].len);
				size_t		len;

				if (room > 0xffff)
					room = 0xffff;
				if (c[i].len > room)
					break;
				memcpy(buf, c[i].p, c[i].len);
				len = LLVMFuzzerMutate(buf, c[i].len, room);
				if (rnd(&s) & 1)
					repair(buf, len);
				c[i].p = buf;
				c[i].len = len;
				out = join(data[0], c, n, tmp, max_size);
				break;
			}
		case 3:
			/* Duplicate a datagram to another place (resend, replay). */
			if (n < MAX_CHUNKS)
			{
				j = rnd(&s) % (n + 1);
				memmove(&c[j + 1], &c[j], (n - j) * sizeof(chunk));
				c[j] = c[i < j ? i : i + 1];
				if (rnd(&s) & 1)
					c[j].ctrl = (uint8_t) rnd(&s);
				out = join(data[0], c, n + 1, tmp, max_size);
			}
			break;
		case 4:
		case 5:
			/* Drop a datagram (loss; also keeps inputs small). */
			memmove(&c[i], &c[i + 1], (n - i - 1) * sizeof(chunk));
			out = join(data[0], c, n - 1, tmp, max_size);
			break;
		case 6:
			{
				/* Swap two datagrams (reordering: data before template). */
				chunk		t = c[i];

				j = rnd(&s) % n;
				c[i] = c[j];
				c[j] = t;
				out = join(data[0], c, n, tmp, max_size);
				break;
			}
		case 7:
			/* Split a v9/IPFIX datagram between two of its sets. */
			if (split_sets(c, &n, i, buf, &s))
				out = join(data[0], c, n, tmp, max_size);
			break;
		case 8:
			/* New control byte: other exporter, clock step, calls. */
			c[i].ctrl = (uint8_t) rnd(&s);
			out = join(data[0], c, n, tmp, max_size);
			break;
		case 9:
			/* New configuration byte (limits). */
			out = join((uint8_t) rnd(&s), c, n, tmp, max_size);
			break;
	}
	if (out > 0)
		memcpy(data, tmp, out);
	free(tmp);
	free(buf);
	return out > 0 ? out : LLVMFuzzerMutate(data, size, max_size);
}

/*
 * Cross-over: a run of datagrams of the first input with, now and then, a
 * datagram of the second inserted (e.g. one exporter's templates into
 * another's data).  At most 12 datagrams, to keep inputs small and fast.
 */
size_t
LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1,
						  const uint8_t *d2, size_t s2,
						  uint8_t *out, size_t max_out, unsigned int seed)
{
	chunk		a[MAX_CHUNKS],
				b[MAX_CHUNKS],
				c[MAX_CHUNKS];
	uint32_t	s = seed;
	int			na = split(d1, s1, a),
				nb = split(d2, s2, b),
				n = 0,
				i,
				j = 0;

	if (s1 < 1 || (na == 0 && nb == 0))
		return 0;
	i = na ? rnd(&s) % na : 0;
	if (nb)
		j = rnd(&s) % nb;
	while (n < 12 && (i < na || j < nb))
	{
		if (j < nb && (i >= na || rnd(&s) % 3 == 0))
			c[n++] = b[j++];
		else
			c[n++] = a[i++];
	}
	return join(d1[0], c, n, out, max_out);
}

#endif							/* NF_FUZZ_MUTATOR */
