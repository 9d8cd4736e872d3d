/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Decode the data records of one v9 / IPFIX data set with a compiled
 *	  template: the per-record hot loop, then the rules that combine fields
 *	  (fallbacks, times, sampling) into one nf_flow_record.
 *
 * No allocation happens here.  A record is read with bounds checks only
 * where they are needed: a fixed-length template is checked once per
 * record (min_len), a variable-length one per field.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "byteorder.h"
#include "decode_internal.h"

/* Bits of nf_scratch.seen */
#define S_BYTES			(UINT64_C(1) << 0)
#define S_PACKETS		(UINT64_C(1) << 1)
#define S_TOTAL_BYTES	(UINT64_C(1) << 2)
#define S_TOTAL_PACKETS (UINT64_C(1) << 3)
#define S_FIRST_UP		(UINT64_C(1) << 4)
#define S_LAST_UP		(UINT64_C(1) << 5)
#define S_START_DELTA	(UINT64_C(1) << 6)
#define S_END_DELTA		(UINT64_C(1) << 7)
#define S_BGP_NH		(UINT64_C(1) << 8)
#define S_POST_SRC_MAC	(UINT64_C(1) << 9)
#define S_POST_DST_MAC	(UINT64_C(1) << 10)
#define S_VLAN			(UINT64_C(1) << 11)
#define S_POST_VLAN		(UINT64_C(1) << 12)
#define S_DOT1Q			(UINT64_C(1) << 13)
#define S_POST_DOT1Q	(UINT64_C(1) << 14)
#define S_ICMP_TC		(UINT64_C(1) << 15)
#define S_ICMP_TYPE		(UINT64_C(1) << 16)
#define S_ICMP_CODE		(UINT64_C(1) << 17)
#define S_SAMP_INTERVAL (UINT64_C(1) << 18)
#define S_RANDOM_INTERVAL (UINT64_C(1) << 19)
#define S_SAMPLER_ID	(UINT64_C(1) << 20)
#define S_SELECTOR_ID	(UINT64_C(1) << 21)
#define S_PKT_INTERVAL	(UINT64_C(1) << 22)
#define S_PKT_SPACE		(UINT64_C(1) << 23)
#define S_SAMP_SIZE		(UINT64_C(1) << 24)
#define S_SAMP_POP		(UINT64_C(1) << 25)
#define S_SYS_INIT		(UINT64_C(1) << 26)

/* Precision ranks of absolute times; a finer one wins. */
#define P_SEC	1
#define P_MS	2
#define P_US	3
#define P_NS	4

/* Seconds between the NTP epoch (1900) and the Unix epoch (1970). */
#define NTP_UNIX_OFFSET INT64_C(2208988800)

/* Values of one record that need combining before they become fields. */
typedef struct nf_scratch
{
	uint64_t	seen;			/* S_* */
	int			start_prec;		/* P_* of start_abs, 0 none */
	int			end_prec;
	int64_t		start_abs;
	int64_t		end_abs;
	uint64_t	total_bytes;
	uint64_t	total_packets;
	uint32_t	first_up;
	uint32_t	last_up;
	uint32_t	start_delta;
	uint32_t	end_delta;
	nf_addr		bgp_nh;
	uint8_t		post_src_mac[6];
	uint8_t		post_dst_mac[6];
	uint16_t	vlan;
	uint16_t	post_vlan;
	uint16_t	dot1q;
	uint16_t	post_dot1q;
	uint16_t	icmp_tc;
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	uint64_t	samp_interval;
	uint64_t	random_interval;
	uint64_t	sampler_id;
	uint64_t	selector_id;
	uint64_t	pkt_interval;
	uint64_t	pkt_space;
	uint64_t	samp_size;
	uint64_t	samp_pop;
	uint64_t	sys_init;
} nf_scratch;

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

/* Keep absolute time 'us' of precision 'prec' if not less precise. */
static inline void
nf_set_abs(int64_t *slot, int *slot_prec, int64_t us, int prec)
{
	if (prec >= *slot_prec)
	{
		*slot = us;
		*slot_prec = prec;
	}
}

/* Store an IPv4 address. */
static inline void
nf_set_v4(nf_addr *a, const uint8_t *p)
{
	a->family = NF_AF_INET;
	memcpy(a->a, p, 4);
}

/* Store an IPv6 address. */
static inline void
nf_set_v6(nf_addr *a, const uint8_t *p)
{
	a->family = NF_AF_INET6;
	memcpy(a->a, p, 16);
}

/*
 * Read one data record at p (< end) into r and s.  Returns the position
 * after it, or NULL if a field runs past 'end'.
 */
static const uint8_t *
nf_read_record(const nf_template *t, const uint8_t *p, const uint8_t *end,
			   nf_flow_record *r, nf_scratch *s)
{
	const nf_fop *f = t->ops;
	const nf_fop *fend = t->ops + t->nops;
	bool		check = t->has_var;

	for (; f < fend; f++)
	{
		size_t		flen = f->len;

		if (flen == NF_VARLEN)
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
			p += flen;			/* variable-length elements are not mapped */
			continue;
		}
		if (check && (size_t) (end - p) < flen)
			return NULL;

		switch ((nf_op) f->op)
		{
			case NF_OP_SKIP:
				break;
			case NF_OP_BYTES:
				r->bytes = nf_get_uint(p, flen);
				s->seen |= S_BYTES;
				break;
			case NF_OP_PACKETS:
				r->packets = nf_get_uint(p, flen);
				s->seen |= S_PACKETS;
				break;
			case NF_OP_TOTAL_BYTES:
				s->total_bytes = nf_get_uint(p, flen);
				s->seen |= S_TOTAL_BYTES;
				break;
			case NF_OP_TOTAL_PACKETS:
				s->total_packets = nf_get_uint(p, flen);
				s->seen |= S_TOTAL_PACKETS;
				break;
			case NF_OP_PROTOCOL:
				r->protocol = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_PROTOCOL;
				break;
			case NF_OP_TOS:
				r->tos = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_TOS;
				break;
			case NF_OP_TCP_FLAGS:
				r->tcp_flags = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_TCP_FLAGS;
				break;
			case NF_OP_SRC_PORT:
				r->src_port = (uint16_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_SRC_PORT;
				break;
			case NF_OP_DST_PORT:
				r->dst_port = (uint16_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_DST_PORT;
				break;
			case NF_OP_SRC_V4:
				nf_set_v4(&r->src_addr, p);
				break;
			case NF_OP_DST_V4:
				nf_set_v4(&r->dst_addr, p);
				break;
			case NF_OP_SRC_V6:
				nf_set_v6(&r->src_addr, p);
				break;
			case NF_OP_DST_V6:
				nf_set_v6(&r->dst_addr, p);
				break;
			case NF_OP_SRC_MASK:
				r->src_mask = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_SRC_MASK;
				break;
			case NF_OP_DST_MASK:
				r->dst_mask = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_DST_MASK;
				break;
			case NF_OP_INPUT_IF:
				r->input_if = nf_get_uint(p, flen);
				r->present |= NF_HAS_INPUT_IF;
				break;
			case NF_OP_OUTPUT_IF:
				r->output_if = nf_get_uint(p, flen);
				r->present |= NF_HAS_OUTPUT_IF;
				break;
			case NF_OP_NEXTHOP_V4:
				nf_set_v4(&r->next_hop, p);
				break;
			case NF_OP_NEXTHOP_V6:
				nf_set_v6(&r->next_hop, p);
				break;
			case NF_OP_BGP_NEXTHOP_V4:
				nf_set_v4(&s->bgp_nh, p);
				s->seen |= S_BGP_NH;
				break;
			case NF_OP_BGP_NEXTHOP_V6:
				nf_set_v6(&s->bgp_nh, p);
				s->seen |= S_BGP_NH;
				break;
			case NF_OP_SRC_AS:
				r->src_as = (uint32_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_SRC_AS;
				break;
			case NF_OP_DST_AS:
				r->dst_as = (uint32_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_DST_AS;
				break;
			case NF_OP_LAST_UPTIME:
				s->last_up = (uint32_t) nf_get_uint(p, flen);
				s->seen |= S_LAST_UP;
				break;
			case NF_OP_FIRST_UPTIME:
				s->first_up = (uint32_t) nf_get_uint(p, flen);
				s->seen |= S_FIRST_UP;
				break;
			case NF_OP_ICMP_TC:
				s->icmp_tc = (uint16_t) nf_get_uint(p, flen);
				s->seen |= S_ICMP_TC;
				break;
			case NF_OP_ICMP_TYPE:
				s->icmp_type = (uint8_t) nf_get_uint(p, flen);
				s->seen |= S_ICMP_TYPE;
				break;
			case NF_OP_ICMP_CODE:
				s->icmp_code = (uint8_t) nf_get_uint(p, flen);
				s->seen |= S_ICMP_CODE;
				break;
			case NF_OP_SRC_MAC:
				memcpy(r->src_mac, p, 6);
				r->present |= NF_HAS_SRC_MAC;
				break;
			case NF_OP_DST_MAC:
				memcpy(r->dst_mac, p, 6);
				r->present |= NF_HAS_DST_MAC;
				break;
			case NF_OP_POST_SRC_MAC:
				memcpy(s->post_src_mac, p, 6);
				s->seen |= S_POST_SRC_MAC;
				break;
			case NF_OP_POST_DST_MAC:
				memcpy(s->post_dst_mac, p, 6);
				s->seen |= S_POST_DST_MAC;
				break;
			case NF_OP_VLAN:
				s->vlan = (uint16_t) nf_get_uint(p, flen);
				s->seen |= S_VLAN;
				break;
			case NF_OP_POST_VLAN:
				s->post_vlan = (uint16_t) nf_get_uint(p, flen);
				s->seen |= S_POST_VLAN;
				break;
			case NF_OP_DOT1Q_VLAN:
				s->dot1q = (uint16_t) nf_get_uint(p, flen);
				s->seen |= S_DOT1Q;
				break;
			case NF_OP_POST_DOT1Q_VLAN:
				s->post_dot1q = (uint16_t) nf_get_uint(p, flen);
				s->seen |= S_POST_DOT1Q;
				break;
			case NF_OP_DIRECTION:
				r->direction = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_DIRECTION;
				break;
			case NF_OP_END_REASON:
				r->end_reason = (uint8_t) nf_get_uint(p, flen);
				r->present |= NF_HAS_END_REASON;
				break;
			case NF_OP_START_SEC:
				nf_set_abs(&s->start_abs, &s->start_prec,
						   (int64_t) (nf_get_uint(p, flen) * 1000000u), P_SEC);
				break;
			case NF_OP_END_SEC:
				nf_set_abs(&s->end_abs, &s->end_prec,
						   (int64_t) (nf_get_uint(p, flen) * 1000000u), P_SEC);
				break;
			case NF_OP_START_MS:
				nf_set_abs(&s->start_abs, &s->start_prec,
						   (int64_t) (nf_get_uint(p, flen) * 1000u), P_MS);
				break;
			case NF_OP_END_MS:
				nf_set_abs(&s->end_abs, &s->end_prec,
						   (int64_t) (nf_get_uint(p, flen) * 1000u), P_MS);
				break;
			case NF_OP_START_US:
				nf_set_abs(&s->start_abs, &s->start_prec,
						   nf_ntp_to_us(nf_get_u64(p), true), P_US);
				break;
			case NF_OP_END_US:
				nf_set_abs(&s->end_abs, &s->end_prec,
						   nf_ntp_to_us(nf_get_u64(p), true), P_US);
				break;
			case NF_OP_START_NS:
				nf_set_abs(&s->start_abs, &s->start_prec,
						   nf_ntp_to_us(nf_get_u64(p), false), P_NS);
				break;
			case NF_OP_END_NS:
				nf_set_abs(&s->end_abs, &s->end_prec,
						   nf_ntp_to_us(nf_get_u64(p), false), P_NS);
				break;
			case NF_OP_START_DELTA_US:
				s->start_delta = (uint32_t) nf_get_uint(p, flen);
				s->seen |= S_START_DELTA;
				break;
			case NF_OP_END_DELTA_US:
				s->end_delta = (uint32_t) nf_get_uint(p, flen);
				s->seen |= S_END_DELTA;
				break;
			case NF_OP_SYS_INIT_MS:
				s->sys_init = nf_get_uint(p, flen);
				s->seen |= S_SYS_INIT;
				break;
			case NF_OP_SAMPLING_INTERVAL:
				s->samp_interval = nf_get_uint(p, flen);
				s->seen |= S_SAMP_INTERVAL;
				break;
			case NF_OP_SAMPLER_RANDOM_INTERVAL:
				s->random_interval = nf_get_uint(p, flen);
				s->seen |= S_RANDOM_INTERVAL;
				break;
			case NF_OP_SAMPLER_ID:
				s->sampler_id = nf_get_uint(p, flen);
				s->seen |= S_SAMPLER_ID;
				break;
			case NF_OP_SELECTOR_ID:
				s->selector_id = nf_get_uint(p, flen);
				s->seen |= S_SELECTOR_ID;
				break;
			case NF_OP_PKT_INTERVAL:
				s->pkt_interval = nf_get_uint(p, flen);
				s->seen |= S_PKT_INTERVAL;
				break;
			case NF_OP_PKT_SPACE:
				s->pkt_space = nf_get_uint(p, flen);
				s->seen |= S_PKT_SPACE;
				break;
			case NF_OP_SAMPLING_SIZE:
				s->samp_size = nf_get_uint(p, flen);
				s->seen |= S_SAMP_SIZE;
				break;
			case NF_OP_SAMPLING_POPULATION:
				s->samp_pop = nf_get_uint(p, flen);
				s->seen |= S_SAMP_POP;
				break;
			case NF_OP_SAMPLING_ALGO:
			case NF_OP_SAMPLER_MODE:
			case NF_OP__COUNT:
				break;
		}
		p += flen;
	}
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
	if (s->seen & S_SAMP_INTERVAL)
		*iv = s->samp_interval;
	else if (s->seen & S_RANDOM_INTERVAL)
		*iv = s->random_interval;
	else if ((s->seen & (S_PKT_INTERVAL | S_PKT_SPACE)) ==
			 (S_PKT_INTERVAL | S_PKT_SPACE))
		*iv = s->pkt_interval == 0 ? 0 :
			(s->pkt_interval + s->pkt_space) / s->pkt_interval;
	else if ((s->seen & (S_SAMP_SIZE | S_SAMP_POP)) ==
			 (S_SAMP_SIZE | S_SAMP_POP))
		*iv = s->samp_size == 0 ? 0 : s->samp_pop / s->samp_size;
	else
		return false;
	return true;
}

/* Remember what an options data record announces. */
static void
nf_apply_options(nf_exporter *e, const nf_scratch *s)
{
	uint64_t	iv;

	if (s->seen & S_SYS_INIT)
	{
		e->has_sys_init = true;
		e->sys_init_ms = (int64_t) s->sys_init;
	}
	if (!nf_scratch_interval(s, &iv))
		return;
	if (s->seen & S_SAMPLER_ID)
		nf_sampling_set(&e->sampling, NF_SAMPLER_KIND_SAMPLER,
						s->sampler_id, iv);
	if (s->seen & S_SELECTOR_ID)
		nf_sampling_set(&e->sampling, NF_SAMPLER_KIND_SELECTOR,
						s->selector_id, iv);
	if (!(s->seen & (S_SAMPLER_ID | S_SELECTOR_ID)))
		nf_sampling_set_default(&e->sampling, iv);
}

/* Time of a sysUpTime-relative value (21/22); false if not computable. */
static bool
nf_uptime_time(const nf_exporter *e, const nf_msg_ctx *ctx, uint32_t v,
			   int64_t *us)
{
	if (ctx->version == 9)
	{
		/* signed difference: correct across the 2^32 ms wrap */
		*us = ctx->export_us + (int64_t) (int32_t) (v - ctx->uptime_ms) * 1000;
		return true;
	}
	if (e->has_sys_init)
	{
		*us = (int64_t) (((uint64_t) e->sys_init_ms + v) * 1000u);
		return true;
	}
	return false;
}

/* One end of the flow's time: absolute, else delta, else uptime. */
static bool
nf_pick_time(const nf_exporter *e, const nf_msg_ctx *ctx, int prec,
			 int64_t abs, bool has_delta, uint32_t delta, bool has_up,
			 uint32_t up, int64_t *us)
{
	if (prec > 0)
	{
		*us = abs;
		return true;
	}
	if (has_delta)
	{
		*us = ctx->export_us - (int64_t) delta;
		return true;
	}
	if (has_up)
		return nf_uptime_time(e, ctx, up, us);
	return false;
}

/* Combine scratch values into the record's final fields. */
static void
nf_finish_record(const nf_exporter *e, const nf_msg_ctx *ctx,
				 nf_flow_record *r, const nf_scratch *s)
{
	uint64_t	seen = s->seen;
	bool		has_start;
	bool		has_end;
	int64_t		start = 0;
	int64_t		end = 0;
	uint64_t	iv;

	if (!(seen & S_BYTES) && (seen & S_TOTAL_BYTES))
		r->bytes = s->total_bytes;
	if (!(seen & S_PACKETS) && (seen & S_TOTAL_PACKETS))
		r->packets = s->total_packets;
	if (r->next_hop.family == NF_AF_NONE && (seen & S_BGP_NH))
		r->next_hop = s->bgp_nh;
	if (!(r->present & NF_HAS_SRC_MAC) && (seen & S_POST_SRC_MAC))
	{
		memcpy(r->src_mac, s->post_src_mac, 6);
		r->present |= NF_HAS_SRC_MAC;
	}
	if (!(r->present & NF_HAS_DST_MAC) && (seen & S_POST_DST_MAC))
	{
		memcpy(r->dst_mac, s->post_dst_mac, 6);
		r->present |= NF_HAS_DST_MAC;
	}
	if (seen & (S_DOT1Q | S_VLAN))
	{
		r->src_vlan = (seen & S_DOT1Q) ? s->dot1q : s->vlan;
		r->present |= NF_HAS_SRC_VLAN;
	}
	if (seen & (S_POST_DOT1Q | S_POST_VLAN))
	{
		r->dst_vlan = (seen & S_POST_DOT1Q) ? s->post_dot1q : s->post_vlan;
		r->present |= NF_HAS_DST_VLAN;
	}
	if (seen & S_ICMP_TC)
	{
		r->icmp_type = (uint8_t) (s->icmp_tc >> 8);
		r->icmp_code = (uint8_t) (s->icmp_tc & 0xFF);
		r->present |= NF_HAS_ICMP_TYPE;
	}
	else if (seen & (S_ICMP_TYPE | S_ICMP_CODE))
	{
		r->icmp_type = s->icmp_type;
		r->icmp_code = s->icmp_code;
		r->present |= NF_HAS_ICMP_TYPE;
	}

	has_start = nf_pick_time(e, ctx, s->start_prec, s->start_abs,
							 (seen & S_START_DELTA) != 0, s->start_delta,
							 (seen & S_FIRST_UP) != 0, s->first_up, &start);
	has_end = nf_pick_time(e, ctx, s->end_prec, s->end_abs,
						   (seen & S_END_DELTA) != 0, s->end_delta,
						   (seen & S_LAST_UP) != 0, s->last_up, &end);
	if (has_start && has_end)
	{
		r->time_start = start;
		r->time_end = end;
	}
	else if (has_start || has_end)
	{
		r->time_start = r->time_end = has_start ? start : end;
	}
	else
	{
		r->time_start = r->time_end = r->time_received;
		r->flags |= NF_FLAG_TIME_FROM_RECEIVE;
	}

	if (!nf_scratch_interval(s, &iv))
	{
		if ((seen & S_SAMPLER_ID) &&
			nf_sampling_find(&e->sampling, NF_SAMPLER_KIND_SAMPLER,
							 s->sampler_id, &iv))
			;
		else if ((seen & S_SELECTOR_ID) &&
				 nf_sampling_find(&e->sampling, NF_SAMPLER_KIND_SELECTOR,
								  s->selector_id, &iv))
			;
		else if (seen & (S_SAMPLER_ID | S_SELECTOR_ID))
			iv = e->sampling.has_default ? e->sampling.default_interval : 0;
		else
			iv = nf_sampling_fallback(&e->sampling);
	}
	r->sampling_interval = iv;
}

/* Decode the records of one data set (see decode_internal.h). */
uint32_t
nf_decode_records(nf_decoder *d, nf_exporter *e, const nf_template *t,
				  const nf_msg_ctx *ctx, const uint8_t *p, size_t len,
				  bool delayed)
{
	const uint8_t *end = p + len;
	uint32_t	n = 0;
	nf_flow_record base;
	nf_flow_record rec;
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
		const uint8_t *next;

		rec = base;
		s.seen = 0;
		s.start_prec = 0;
		s.end_prec = 0;
		next = nf_read_record(t, p, end, &rec, &s);
		if (next == NULL)
		{
			nf_fail(d, NF_CTR_DROP_BAD_RECORD,
					"data record of template %u runs past its set",
					(unsigned) t->id);
			break;
		}
		p = next;
		n++;
		if (t->is_options)
		{
			d->ctr[NF_CTR_OPTIONS_RECORDS]++;
			nf_apply_options(e, &s);
			continue;
		}
		nf_finish_record(e, ctx, &rec, &s);
		nf_emit_record(d, e, &rec);
	}
	return n;
}
