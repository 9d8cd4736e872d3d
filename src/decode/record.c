/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Decode the data records of one v9 / IPFIX data set with a compiled
 *	  template: the per-record hot loop, then the rules that combine fields
 *	  (fallbacks, times, sampling) into one nf_flow_record.
 *
 * The loop does not dispatch on the element: every mapped element of up to
 * 8 bytes is read as a big-endian unsigned into a slot indexed by its nf_op
 * (addresses, MACs and NTP times included), IPv6 addresses into 16-byte
 * slots, and a bit per op records what was seen.  nf_finish_record then
 * builds the flow from the slots in straight-line code.  This keeps the
 * loop free of hard-to-predict indirect branches.  No allocation happens
 * here.  Bounds: a fixed-length template is checked once per record
 * (min_len), a variable-length one per field.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "byteorder.h"
#include "decode_internal.h"

_Static_assert(NF_OP__COUNT <= 2 * NF_OP_FIRST_HI,
			   "nf_op values must fit two 64-bit masks");
_Static_assert(NF_OP_SAMPLING_POPULATION < NF_OP_FIRST_HI,
			   "the forward ops must fit the first mask");
_Static_assert(NF_OP_FIRST_HI == 64, "the biflow ops use the second mask");

/*
 * Bit of an op in its mask: 'seen' for ops below NF_OP_FIRST_HI, 'seen_hi'
 * (the biflow ops) for the others.  A function using HAS declares both.
 */
#define BIT(op) (UINT64_C(1) << ((op) & 63))
#define HAS(op) (((((op) < NF_OP_FIRST_HI) ? seen : seen_hi) & BIT(op)) != 0)

/* Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
#define NTP_UNIX_OFFSET INT64_C(2208988800)

/* IPv6 slots */
#define V6_SRC	0
#define V6_DST	1
#define V6_NH	2
#define V6_BGP	3

/* Values of one record, by nf_op, before they become fields. */
typedef struct nf_scratch
{
	uint64_t	seen;			/* BIT(op) for each op read */
	uint64_t	seen_hi;		/* the same for ops >= NF_OP_FIRST_HI */
	uint64_t	v[NF_OP__COUNT];
	uint8_t		v6[4][16];
} nf_scratch;

/* IPv6 slot of a NF_K_V6 op. */
static inline int
nf_v6_slot(uint8_t op)
{
	switch (op)
	{
		case NF_OP_SRC_V6:
			return V6_SRC;
		case NF_OP_DST_V6:
			return V6_DST;
		case NF_OP_NEXTHOP_V6:
			return V6_NH;
		default:
			return V6_BGP;
	}
}

/*
 * NTP timestamp (RFC 7011 sections 6.1.9/6.1.10) to us since the Unix
 * epoch.  For dateTimeMicroseconds the low 11 fraction bits carry no
 * information and are ignored.  Seconds with the top bit clear are taken to
 * be in NTP era 1 (from 2036-02-07), as RFC 4330 section 3 suggests.
 */
static int64_t
nf_ntp_to_us(uint64_t v, bool micro)
{
	uint32_t	sec = (uint32_t) (v >> 32);
	uint32_t	frac = (uint32_t) v;
	int64_t		unix_sec;

	if (micro)
		frac &= ~UINT32_C(0x7FF);
	if (sec & 0x80000000u)
		unix_sec = (int64_t) sec - NTP_UNIX_OFFSET;
	else
		unix_sec = (int64_t) sec + INT64_C(4294967296) - NTP_UNIX_OFFSET;
	return unix_sec * 1000000 + (int64_t) (((uint64_t) frac * 1000000) >> 32);
}

/* Store a 4-byte value as an IPv4 address. */
static inline void
nf_put_v4(nf_addr *a, uint64_t v)
{
	a->family = NF_AF_INET;
	a->a[0] = (uint8_t) (v >> 24);
	a->a[1] = (uint8_t) (v >> 16);
	a->a[2] = (uint8_t) (v >> 8);
	a->a[3] = (uint8_t) v;
}

/* Store a 6-byte value as a MAC address. */
static inline void
nf_put_mac(uint8_t *m, uint64_t v)
{
	int			i;

	for (i = 5; i >= 0; i--)
	{
		m[i] = (uint8_t) v;
		v >>= 8;
	}
}

/* Store an IPv6 address. */
static inline void
nf_put_v6(nf_addr *a, const uint8_t *b)
{
	a->family = NF_AF_INET6;
	memcpy(a->a, b, 16);
}

/*
 * Read one data record at p (< end) into s.  Returns the position after
 * it, or NULL if a field runs past 'end'.
 */
static inline const uint8_t *
nf_read_record(const nf_template *t, const uint8_t *p, const uint8_t *end,
			   nf_scratch *s)
{
	const nf_fop *f = t->ops;
	const nf_fop *fend = t->ops + t->nops;
	bool		check = t->has_var;

	for (; f < fend; f++)
	{
		size_t		flen = f->len;

		if (f->kind == NF_K_UINT)
		{
			uint64_t	v;

			if (check && (size_t) (end - p) < flen)
				return NULL;
			/* 1..8 bytes: one 8-byte load when the buffer allows it */
			if (end - p >= 8)
				v = nf_get_u64(p) >> (64 - 8 * flen);
			else
				v = nf_get_uint(p, flen);
			s->v[f->op] = v;
		}
		else if (f->kind == NF_K_SKIP)
		{
			if (check && (size_t) (end - p) < flen)
				return NULL;
		}
		else if (f->kind == NF_K_V6)
		{
			if (check && (size_t) (end - p) < flen)
				return NULL;
			memcpy(s->v6[nf_v6_slot(f->op)], p, 16);
		}
		else
		{
			/* RFC 7011 section 7: 1-byte length, or 255 + 2-byte length */
			if (p >= end)
				return NULL;
			flen = *p++;
			if (flen == 255)
			{
				if (end - p < 2)
					return NULL;
				flen = nf_get_u16(p);
				p += 2;
			}
			if ((size_t) (end - p) < flen)
				return NULL;
		}
		p += flen;
	}
	/* every field is in every record: what was seen is the template's */
	s->seen = t->seen_mask;
	s->seen_hi = t->seen_mask_hi;
	return p;
}

/*
 * Sampling interval ("1 in N") the record itself states, from 34, 50,
 * 305/306 or 309/310; false if it states none.  A zero divisor gives 0
 * (unknown), never a division by zero.
 */
static bool
nf_scratch_interval(const nf_scratch *s, uint64_t *iv)
{
	uint64_t	seen = s->seen;
	uint64_t	seen_hi = s->seen_hi;

	if (HAS(NF_OP_SAMPLING_INTERVAL))
		*iv = s->v[NF_OP_SAMPLING_INTERVAL];
	else if (HAS(NF_OP_SAMPLER_RANDOM_INTERVAL))
		*iv = s->v[NF_OP_SAMPLER_RANDOM_INTERVAL];
	else if (HAS(NF_OP_PKT_INTERVAL) && HAS(NF_OP_PKT_SPACE))
	{
		uint64_t	pi = s->v[NF_OP_PKT_INTERVAL];

		*iv = pi == 0 ? 0 : (pi + s->v[NF_OP_PKT_SPACE]) / pi;
	}
	else if (HAS(NF_OP_SAMPLING_SIZE) && HAS(NF_OP_SAMPLING_POPULATION))
	{
		uint64_t	n = s->v[NF_OP_SAMPLING_SIZE];

		*iv = n == 0 ? 0 : s->v[NF_OP_SAMPLING_POPULATION] / n;
	}
	else
		return false;
	return true;
}

/* Remember what an options data record announces (sampling news fires). */
static void
nf_apply_options(nf_decoder *d, nf_exporter *e, const nf_scratch *s)
{
	uint64_t	seen = s->seen;
	uint64_t	seen_hi = s->seen_hi;
	uint64_t	iv;

	if (HAS(NF_OP_SYS_INIT_MS))
	{
		e->has_sys_init = true;
		e->sys_init_ms = (int64_t) s->v[NF_OP_SYS_INIT_MS];
	}
	if (!nf_scratch_interval(s, &iv))
		return;
	if (HAS(NF_OP_SAMPLER_ID) &&
		nfd_sampling_set(&e->sampling, NF_SAMPLER_KIND_SAMPLER,
						 s->v[NF_OP_SAMPLER_ID], iv))
		nfd_sampling_fire(d, e, NF_SAMPLING_KIND_SAMPLER,
						  s->v[NF_OP_SAMPLER_ID], iv);
	if (HAS(NF_OP_SELECTOR_ID) &&
		nfd_sampling_set(&e->sampling, NF_SAMPLER_KIND_SELECTOR,
						 s->v[NF_OP_SELECTOR_ID], iv))
		nfd_sampling_fire(d, e, NF_SAMPLING_KIND_SELECTOR,
						  s->v[NF_OP_SELECTOR_ID], iv);
	if (!HAS(NF_OP_SAMPLER_ID) && !HAS(NF_OP_SELECTOR_ID) &&
		nfd_sampling_set_default(&e->sampling, iv))
		nfd_sampling_fire(d, e, NF_SAMPLING_KIND_EXPORTER, 0, iv);
}

/*
 * Time of a sysUpTime-relative value (21/22); false if not computable.
 * v9: relative to the header's sysUptime.  IPFIX: added to
 * systemInitTimeMilliseconds (160) from the record itself, else from the
 * exporter's options records.
 */
static inline bool
nf_uptime_time(const nf_exporter *e, const nf_msg_ctx *ctx,
			   const nf_scratch *s, uint32_t v, int64_t *us)
{
	uint64_t	seen = s->seen;
	uint64_t	seen_hi = s->seen_hi;

	if (ctx->version == 9)
	{
		/* signed difference: correct across the 2^32 ms wrap */
		*us = ctx->export_us + (int64_t) (int32_t) (v - ctx->uptime_ms) * 1000;
		return true;
	}
	if (HAS(NF_OP_SYS_INIT_MS))
	{
		*us = (int64_t) ((s->v[NF_OP_SYS_INIT_MS] + v) * 1000u);
		return true;
	}
	if (e->has_sys_init)
	{
		*us = (int64_t) (((uint64_t) e->sys_init_ms + v) * 1000u);
		return true;
	}
	return false;
}

/*
 * One end of the flow's time, given the ops of that end.  Absolute times
 * win, the finest first (ns, us, ms, s); then the delta to the export
 * time; then sysUpTime.
 */
static inline bool
nf_pick_time(const nf_exporter *e, const nf_msg_ctx *ctx,
			 const nf_scratch *s, int ns, int us, int ms, int sec,
			 int delta, int up, int64_t *out)
{
	uint64_t	seen = s->seen;
	uint64_t	seen_hi = s->seen_hi;

	if (HAS(ns))
		*out = nf_ntp_to_us(s->v[ns], false);
	else if (HAS(us))
		*out = nf_ntp_to_us(s->v[us], true);
	else if (HAS(ms))
		*out = (int64_t) (s->v[ms] * 1000u);
	else if (HAS(sec))
		*out = (int64_t) (s->v[sec] * 1000000u);
	else if (HAS(delta))
		*out = ctx->export_us - (int64_t) (uint32_t) s->v[delta];
	else if (HAS(up))
		return nf_uptime_time(e, ctx, s, (uint32_t) s->v[up], out);
	else
		return false;
	return true;
}

/* Build the flow from the scratch slots. */
static inline void
nf_finish_record(const nf_exporter *e, const nf_msg_ctx *ctx,
				 nf_flow_record *r, const nf_scratch *s)
{
	uint64_t	seen = s->seen;
	uint64_t	seen_hi = s->seen_hi;
	const uint64_t *v = s->v;
	uint32_t	present = 0;
	bool		has_start;
	bool		has_end;
	int64_t		start = 0;
	int64_t		end = 0;
	uint64_t	iv;

	/* counters: delta, else total, else initiator (NSEL, 231/298) */
	if (HAS(NF_OP_BYTES))
		r->bytes = v[NF_OP_BYTES];
	else if (HAS(NF_OP_TOTAL_BYTES))
		r->bytes = v[NF_OP_TOTAL_BYTES];
	else if (HAS(NF_OP_INIT_BYTES))
		r->bytes = v[NF_OP_INIT_BYTES];
	if (HAS(NF_OP_PACKETS))
		r->packets = v[NF_OP_PACKETS];
	else if (HAS(NF_OP_TOTAL_PACKETS))
		r->packets = v[NF_OP_TOTAL_PACKETS];
	else if (HAS(NF_OP_INIT_PACKETS))
		r->packets = v[NF_OP_INIT_PACKETS];

	/* addresses: IPv6 wins when a template sends both families */
	if (HAS(NF_OP_SRC_V4))
		nf_put_v4(&r->src_addr, v[NF_OP_SRC_V4]);
	if (HAS(NF_OP_SRC_V6))
		nf_put_v6(&r->src_addr, s->v6[V6_SRC]);
	if (HAS(NF_OP_DST_V4))
		nf_put_v4(&r->dst_addr, v[NF_OP_DST_V4]);
	if (HAS(NF_OP_DST_V6))
		nf_put_v6(&r->dst_addr, s->v6[V6_DST]);
	if (HAS(NF_OP_NEXTHOP_V4))
		nf_put_v4(&r->next_hop, v[NF_OP_NEXTHOP_V4]);
	else if (HAS(NF_OP_NEXTHOP_V6))
		nf_put_v6(&r->next_hop, s->v6[V6_NH]);
	else if (HAS(NF_OP_BGP_NEXTHOP_V4))
		nf_put_v4(&r->next_hop, v[NF_OP_BGP_NEXTHOP_V4]);
	else if (HAS(NF_OP_BGP_NEXTHOP_V6))
		nf_put_v6(&r->next_hop, s->v6[V6_BGP]);

	if (HAS(NF_OP_SRC_PORT))
	{
		r->src_port = (uint16_t) v[NF_OP_SRC_PORT];
		present |= NF_HAS_SRC_PORT;
	}
	if (HAS(NF_OP_DST_PORT))
	{
		r->dst_port = (uint16_t) v[NF_OP_DST_PORT];
		present |= NF_HAS_DST_PORT;
	}
	if (HAS(NF_OP_PROTOCOL))
	{
		r->protocol = (uint8_t) v[NF_OP_PROTOCOL];
		present |= NF_HAS_PROTOCOL;
	}
	if (HAS(NF_OP_TCP_FLAGS))
	{
		r->tcp_flags = (uint8_t) v[NF_OP_TCP_FLAGS];
		present |= NF_HAS_TCP_FLAGS;
	}
	if (HAS(NF_OP_TOS))
	{
		r->tos = (uint8_t) v[NF_OP_TOS];
		present |= NF_HAS_TOS;
	}
	if (HAS(NF_OP_INPUT_IF))
	{
		r->input_if = v[NF_OP_INPUT_IF];
		present |= NF_HAS_INPUT_IF;
	}
	if (HAS(NF_OP_OUTPUT_IF))
	{
		r->output_if = v[NF_OP_OUTPUT_IF];
		present |= NF_HAS_OUTPUT_IF;
	}
	if (HAS(NF_OP_SRC_AS))
	{
		r->src_as = (uint32_t) v[NF_OP_SRC_AS];
		present |= NF_HAS_SRC_AS;
	}
	if (HAS(NF_OP_DST_AS))
	{
		r->dst_as = (uint32_t) v[NF_OP_DST_AS];
		present |= NF_HAS_DST_AS;
	}
	if (HAS(NF_OP_SRC_MASK))
	{
		r->src_mask = (uint8_t) v[NF_OP_SRC_MASK];
		present |= NF_HAS_SRC_MASK;
	}
	if (HAS(NF_OP_DST_MASK))
	{
		r->dst_mask = (uint8_t) v[NF_OP_DST_MASK];
		present |= NF_HAS_DST_MASK;
	}
	if (HAS(NF_OP_DIRECTION))
	{
		r->direction = (uint8_t) v[NF_OP_DIRECTION];
		present |= NF_HAS_DIRECTION;
	}
	if (HAS(NF_OP_END_REASON))
	{
		r->end_reason = (uint8_t) v[NF_OP_END_REASON];
		present |= NF_HAS_END_REASON;
	}

	/* rare fields: one test skips them all */
	if (seen & (BIT(NF_OP_SRC_MAC) | BIT(NF_OP_DST_MAC) |
				BIT(NF_OP_POST_SRC_MAC) | BIT(NF_OP_POST_DST_MAC) |
				BIT(NF_OP_VLAN) | BIT(NF_OP_POST_VLAN) |
				BIT(NF_OP_DOT1Q_VLAN) | BIT(NF_OP_POST_DOT1Q_VLAN) |
				BIT(NF_OP_ICMP_TC) | BIT(NF_OP_ICMP_TYPE) |
				BIT(NF_OP_ICMP_CODE)))
	{
		if (HAS(NF_OP_SRC_MAC) || HAS(NF_OP_POST_SRC_MAC))
		{
			nf_put_mac(r->src_mac, HAS(NF_OP_SRC_MAC) ?
					   v[NF_OP_SRC_MAC] : v[NF_OP_POST_SRC_MAC]);
			present |= NF_HAS_SRC_MAC;
		}
		if (HAS(NF_OP_DST_MAC) || HAS(NF_OP_POST_DST_MAC))
		{
			nf_put_mac(r->dst_mac, HAS(NF_OP_DST_MAC) ?
					   v[NF_OP_DST_MAC] : v[NF_OP_POST_DST_MAC]);
			present |= NF_HAS_DST_MAC;
		}
		if (HAS(NF_OP_DOT1Q_VLAN) || HAS(NF_OP_VLAN))
		{
			r->src_vlan = (uint16_t) (HAS(NF_OP_DOT1Q_VLAN) ?
									  v[NF_OP_DOT1Q_VLAN] : v[NF_OP_VLAN]);
			present |= NF_HAS_SRC_VLAN;
		}
		if (HAS(NF_OP_POST_DOT1Q_VLAN) || HAS(NF_OP_POST_VLAN))
		{
			r->dst_vlan = (uint16_t) (HAS(NF_OP_POST_DOT1Q_VLAN) ?
									  v[NF_OP_POST_DOT1Q_VLAN] :
									  v[NF_OP_POST_VLAN]);
			present |= NF_HAS_DST_VLAN;
		}
		if (HAS(NF_OP_ICMP_TC))
		{
			r->icmp_type = (uint8_t) (v[NF_OP_ICMP_TC] >> 8);
			r->icmp_code = (uint8_t) v[NF_OP_ICMP_TC];
			present |= NF_HAS_ICMP_TYPE;
		}
		else if (HAS(NF_OP_ICMP_TYPE) || HAS(NF_OP_ICMP_CODE))
		{
			r->icmp_type = HAS(NF_OP_ICMP_TYPE) ? (uint8_t) v[NF_OP_ICMP_TYPE] : 0;
			r->icmp_code = HAS(NF_OP_ICMP_CODE) ? (uint8_t) v[NF_OP_ICMP_CODE] : 0;
			present |= NF_HAS_ICMP_TYPE;
		}
	}
	r->present = present;

	has_start = nf_pick_time(e, ctx, s, NF_OP_START_NS, NF_OP_START_US,
							 NF_OP_START_MS, NF_OP_START_SEC,
							 NF_OP_START_DELTA_US, NF_OP_FIRST_UPTIME, &start);
	has_end = nf_pick_time(e, ctx, s, NF_OP_END_NS, NF_OP_END_US,
						   NF_OP_END_MS, NF_OP_END_SEC,
						   NF_OP_END_DELTA_US, NF_OP_LAST_UPTIME, &end);
	if (has_start && has_end)
	{
		r->time_start = start;
		r->time_end = end;
	}
	else if (has_start || has_end)
		r->time_start = r->time_end = has_start ? start : end;
	else
	{
		r->time_start = r->time_end = r->time_received;
		r->flags |= NF_FLAG_TIME_FROM_RECEIVE;
	}

	if (!nf_scratch_interval(s, &iv))
	{
		if (HAS(NF_OP_SAMPLER_ID) &&
			nfd_sampling_find(&e->sampling, NF_SAMPLER_KIND_SAMPLER,
							  v[NF_OP_SAMPLER_ID], &iv))
			;
		else if (HAS(NF_OP_SELECTOR_ID) &&
				 nfd_sampling_find(&e->sampling, NF_SAMPLER_KIND_SELECTOR,
								   v[NF_OP_SELECTOR_ID], &iv))
			;
		else if (HAS(NF_OP_SAMPLER_ID) || HAS(NF_OP_SELECTOR_ID))
			iv = e->sampling.has_default ? e->sampling.default_interval : 0;
		else
			iv = nfd_sampling_fallback(&e->sampling);
	}
	r->sampling_interval = iv;
}

/* Exchange two bits of a 'present' mask. */
static inline uint32_t
nf_swap_bits(uint32_t p, uint32_t a, uint32_t b)
{
	uint32_t	q = p & ~(a | b);

	if (p & a)
		q |= b;
	if (p & b)
		q |= a;
	return q;
}

/*
 * Build the reverse direction of bidirectional record 'fwd' into 'r':
 * RFC 5103 reverse counters (delta, else total), else the NSEL responder
 * counters (232/299).  Returns false, leaving 'r' unspecified, when the
 * record carries no reverse counter or only zero ones.  Identity, times,
 * sampling and per-flow facts are the forward record's; the endpoints
 * (addresses, ports, masks, AS, MACs, interfaces) are swapped; TCP flags
 * come from reverseTcpControlBits (absent without it); the ICMP type/code,
 * next hop, which describe the forward packets only, are absent.  Reverse
 * absolute times (29305/150-157) replace the forward times when sent.
 */
static bool
nf_reverse_record(const nf_exporter *e, const nf_msg_ctx *ctx,
				  const nf_flow_record *fwd, nf_flow_record *r,
				  const nf_scratch *s)
{
	uint64_t	seen = s->seen;
	uint64_t	seen_hi = s->seen_hi;
	const uint64_t *v = s->v;
	uint64_t	bytes = 0;
	uint64_t	packets = 0;
	uint32_t	p = fwd->present;
	bool		has_start;
	bool		has_end;
	int64_t		start = 0;
	int64_t		end = 0;

	if (HAS(NF_OP_REV_BYTES))
		bytes = v[NF_OP_REV_BYTES];
	else if (HAS(NF_OP_REV_TOTAL_BYTES))
		bytes = v[NF_OP_REV_TOTAL_BYTES];
	else if (HAS(NF_OP_RESP_BYTES))
		bytes = v[NF_OP_RESP_BYTES];
	if (HAS(NF_OP_REV_PACKETS))
		packets = v[NF_OP_REV_PACKETS];
	else if (HAS(NF_OP_REV_TOTAL_PACKETS))
		packets = v[NF_OP_REV_TOTAL_PACKETS];
	else if (HAS(NF_OP_RESP_PACKETS))
		packets = v[NF_OP_RESP_PACKETS];
	if (bytes == 0 && packets == 0)
		return false;

	*r = *fwd;
	r->bytes = bytes;
	r->packets = packets;
	r->flags |= NF_FLAG_REVERSE;
	r->src_addr = fwd->dst_addr;
	r->dst_addr = fwd->src_addr;
	r->src_port = fwd->dst_port;
	r->dst_port = fwd->src_port;
	r->src_mask = fwd->dst_mask;
	r->dst_mask = fwd->src_mask;
	r->src_as = fwd->dst_as;
	r->dst_as = fwd->src_as;
	memcpy(r->src_mac, fwd->dst_mac, 6);
	memcpy(r->dst_mac, fwd->src_mac, 6);
	r->input_if = fwd->output_if;
	r->output_if = fwd->input_if;
	p = nf_swap_bits(p, NF_HAS_SRC_PORT, NF_HAS_DST_PORT);
	p = nf_swap_bits(p, NF_HAS_SRC_MASK, NF_HAS_DST_MASK);
	p = nf_swap_bits(p, NF_HAS_SRC_AS, NF_HAS_DST_AS);
	p = nf_swap_bits(p, NF_HAS_SRC_MAC, NF_HAS_DST_MAC);
	p = nf_swap_bits(p, NF_HAS_INPUT_IF, NF_HAS_OUTPUT_IF);

	r->tcp_flags = 0;
	p &= ~NF_HAS_TCP_FLAGS;
	if (HAS(NF_OP_REV_TCP_FLAGS))
	{
		r->tcp_flags = (uint8_t) v[NF_OP_REV_TCP_FLAGS];
		p |= NF_HAS_TCP_FLAGS;
	}
	r->icmp_type = 0;
	r->icmp_code = 0;
	p &= ~NF_HAS_ICMP_TYPE;
	memset(&r->next_hop, 0, sizeof(r->next_hop));
	r->present = p;

	/* NF_OP_SKIP is never seen: no delta or sysUpTime reverse times */
	has_start = nf_pick_time(e, ctx, s, NF_OP_REV_START_NS, NF_OP_REV_START_US,
							 NF_OP_REV_START_MS, NF_OP_REV_START_SEC,
							 NF_OP_SKIP, NF_OP_SKIP, &start);
	has_end = nf_pick_time(e, ctx, s, NF_OP_REV_END_NS, NF_OP_REV_END_US,
						   NF_OP_REV_END_MS, NF_OP_REV_END_SEC,
						   NF_OP_SKIP, NF_OP_SKIP, &end);
	if (has_start || has_end)
	{
		r->time_start = has_start ? start : end;
		r->time_end = has_end ? end : start;
		r->flags &= ~NF_FLAG_TIME_FROM_RECEIVE;
	}
	return true;
}

/* Decode the records of one data set (see decode_internal.h). */
uint32_t
nfd_decode_records(nf_decoder *d, nf_exporter *e, const nf_template *t,
				   const nf_msg_ctx *ctx, const uint8_t *p, size_t len,
				   bool delayed)
{
	const uint8_t *end = p + len;
	uint32_t	n = 0;
	nf_flow_record base;
	nf_flow_record rec;
	nf_flow_record rev;
	nf_scratch	s;

	nf_flow_init(&base);
	base.version = ctx->version;
	base.exporter = e->addr;
	base.obs_domain = ctx->obs_domain;
	base.time_received = ctx->recv_us;
	if (delayed)
		base.flags |= NF_FLAG_DELAYED;

	/* fewer than min_len bytes left is padding (RFC 7011 section 3.3.1) */
	while ((size_t) (end - p) >= t->min_len)
	{
		const uint8_t *next = nf_read_record(t, p, end, &s);

		if (next == NULL)
		{
			nfd_fail(d, NF_CTR_DROP_BAD_RECORD,
					 "data record of template %u runs past its set",
					 (unsigned) t->id);
			break;
		}
		p = next;
		n++;
		if (t->is_options)
		{
			d->ctr[NF_CTR_OPTIONS_RECORDS]++;
			nf_apply_options(d, e, &s);
			continue;
		}
		rec = base;
		nf_finish_record(e, ctx, &rec, &s);
		(void) nf_emit_record(d, e, &rec);
		/* biflow: the reverse direction follows as its own record, counted
		 * when the contract lets it out */
		if (s.seen_hi != 0 && nf_reverse_record(e, ctx, &rec, &rev, &s) &&
			nf_emit_record(d, e, &rev))
			d->ctr[NF_CTR_BIFLOW_REVERSE]++;
	}
	return n;
}
