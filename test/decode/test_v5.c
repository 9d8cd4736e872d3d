/*-------------------------------------------------------------------------
 *
 * test_v5.c
 *	  NetFlow v5 decoding tests: field values, times with sysUptime wrap,
 *	  sampling header, sequence accounting, length checks.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

/* One 48-byte v5 record. */
static void
v5_rec(pkt *p, uint32_t src, uint32_t dst, uint32_t nh, uint16_t in,
	   uint16_t out, uint32_t pkts, uint32_t bytes, uint32_t first,
	   uint32_t last, uint16_t sport, uint16_t dport, uint8_t flags,
	   uint8_t proto, uint8_t tos, uint16_t sas, uint16_t das, uint8_t smask,
	   uint8_t dmask)
{
	p32(p, src);
	p32(p, dst);
	p32(p, nh);
	p16(p, in);
	p16(p, out);
	p32(p, pkts);
	p32(p, bytes);
	p32(p, first);
	p32(p, last);
	p16(p, sport);
	p16(p, dport);
	p8(p, 0);
	p8(p, flags);
	p8(p, proto);
	p8(p, tos);
	p16(p, sas);
	p16(p, das);
	p8(p, smask);
	p8(p, dmask);
	p16(p, 0);
}

static void
t_v5_fields(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 1);
	const nf_flow_record *r;
	int			n;
	/* export time T0 + 0.5 s; uptime 100000 ms */
	int64_t		exp_us = US(T0) + 500000;

	v5_header(&P, 2, 100000, T0, 500000000, 0, 1, 2, 0);
	v5_rec(&P, 0x0A000001, 0xC0A80102, 0x0A0000FE, 3, 4, 10, 1500,
		   90000, 99000, 12345, 443, 0x1B, 6, 0x20, 65001, 65002, 24, 16);
	v5_rec(&P, 0x0A000002, 0x08080808, 0, 5, 6, 1, 84,
		   99500, 99500, 0, 0x0800, 0, 1, 0, 0, 0, 8, 0);
	n = decode_exact(d, &P, &ex, NOW, &S);
	is(n, 2, "v5: 2 records emitted");
	r = &S.r[0];
	ok(is_v4(&r->src_addr, 10, 0, 0, 1), "v5: src addr");
	ok(is_v4(&r->dst_addr, 192, 168, 1, 2), "v5: dst addr");
	ok(is_v4(&r->next_hop, 10, 0, 0, 254), "v5: next hop");
	ok(is_v4(&r->exporter, 127, 0, 0, 1), "v5: exporter");
	is(r->input_if, 3, "v5: input if");
	is(r->output_if, 4, "v5: output if");
	is(r->packets, 10, "v5: packets");
	is(r->bytes, 1500, "v5: bytes");
	is_i(r->time_start, exp_us - INT64_C(10000) * 1000, "v5: first switched -> time_start");
	is_i(r->time_end, exp_us - INT64_C(1000) * 1000, "v5: last switched -> time_end");
	is_i(r->time_received, NOW, "v5: time_received = now");
	is(r->src_port, 12345, "v5: src port");
	is(r->dst_port, 443, "v5: dst port");
	is(r->tcp_flags, 0x1B, "v5: tcp flags");
	is(r->protocol, 6, "v5: protocol");
	is(r->tos, 0x20, "v5: tos");
	is(r->src_as, 65001, "v5: src as");
	is(r->dst_as, 65002, "v5: dst as");
	is(r->src_mask, 24, "v5: src mask");
	is(r->dst_mask, 16, "v5: dst mask");
	is(r->version, 5, "v5: version");
	is(r->obs_domain, (1 << 8) | 2, "v5: obs_domain = engine_type<<8|engine_id");
	is(r->sampling_interval, 1, "v5: unsampled -> interval 1");
	is(r->flags, 0, "v5: no flags");
	ok((r->present & NF_HAS_ICMP_TYPE) == 0, "v5: tcp record has no icmp type");
	r = &S.r[1];
	ok((r->present & NF_HAS_ICMP_TYPE) && r->icmp_type == 8 && r->icmp_code == 0,
	   "v5: icmp type/code from dst port");
	is(ctr(d, NF_CTR_FLOWS), 2, "v5: flows counter");
	nf_decoder_destroy(d);
}

static void
t_v5_times(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 1);

	/* first switched 500 ms after sysUptime (clock skew on the exporter) */
	v5_header(&P, 1, 1000, T0, 0, 0, 0, 0, 0);
	v5_rec(&P, 1, 2, 0, 0, 0, 1, 1, 1500, 1600, 0, 0, 0, 17, 0, 0, 0, 0, 0);
	decode_exact(d, &P, &ex, NOW, &S);
	is_i(S.r[0].time_start, US(T0) + 500000,
		 "v5: first switched after sysUptime is 0.5 s after export, not 49 days off");
	is_i(S.r[0].time_end, US(T0) + 600000, "v5: last switched after sysUptime");

	/* sysUptime wrapped to 100 ms; flow started 256 ms before the wrap */
	v5_header(&P, 1, 100, T0, 0, 1, 0, 0, 0);
	v5_rec(&P, 1, 2, 0, 0, 0, 1, 1, 0xFFFFFF00u, 50, 0, 0, 0, 17, 0, 0, 0, 0, 0);
	decode_exact(d, &P, &ex, NOW, &S);
	is_i(S.r[0].time_start, US(T0) - (100 + 256) * 1000,
		 "v5: first switched across the 2^32 ms uptime wrap");
	is_i(S.r[0].time_end, US(T0) - 50 * 1000, "v5: last switched after the wrap");
	nf_decoder_destroy(d);
}

static void
t_v5_sampling(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 2);

	v5_header(&P, 1, 1000, T0, 0, 0, 0, 0, (1 << 14) | 100);
	v5_rec(&P, 1, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0);
	decode_exact(d, &P, &ex, NOW, &S);
	is(S.r[0].sampling_interval, 100, "v5: mode 1 interval 100 -> 1 in 100");
	is(S.r[0].packets, 1, "v5: counters are not upscaled");

	v5_header(&P, 1, 1000, T0, 0, 1, 0, 0, (2 << 14) | 0);
	v5_rec(&P, 1, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "v5: sampling mode with interval 0 still decodes");
	is(S.r[0].sampling_interval, 0, "v5: sampling mode with interval 0 -> 0 (unknown)");
	is(ctr(d, NF_CTR_SAMPLING_UNKNOWN), 1, "v5: sampling_unknown counted");
	nf_decoder_destroy(d);
}

/* v5 datagram with 'count' dummy records and sequence 'seq'. */
static void
v5_seq_pkt(uint32_t seq, uint16_t count)
{
	int			i;

	v5_header(&P, count, 1000, T0, 0, seq, 0, 0, 0);
	for (i = 0; i < count; i++)
		v5_rec(&P, 1, 2, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 17, 0, 0, 0, 0, 0);
}

static void
t_v5_sequence(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 3);

	v5_seq_pkt(0, 2);
	decode_exact(d, &P, &ex, NOW, &S);
	v5_seq_pkt(2, 3);			/* v5 sequence counts flows: 0 + 2 */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 0, "v5: consecutive flow sequence, no gap");
	v5_seq_pkt(13, 1);			/* expected 5: 8 flows lost */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 1, "v5: gap counted");
	is(ctr(d, NF_CTR_SEQ_LOST), 8, "v5: 8 flows lost");
	v5_seq_pkt(5, 1);			/* late */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_REORDERED), 1, "v5: late datagram counted as reordered");
	v5_seq_pkt(14, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 1, "v5: expectation not moved back by the late one");
	v5_seq_pkt(0x80000010u, 1);	/* 2^31 - 1 behind */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "v5: far backwards jump is a reset");
	is(ctr(d, NF_CTR_SEQ_LOST), 8, "v5: a reset adds no loss");
	v5_seq_pkt(0x80000011u, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 1, "v5: resynchronized after the reset");
	nf_decoder_destroy(d);

	/* restart: numbering from 0 again */
	d = nf_decoder_create(NULL);
	v5_seq_pkt(0, 30);
	decode_exact(d, &P, &ex, NOW, &S);
	v5_seq_pkt(30, 30);
	decode_exact(d, &P, &ex, NOW, &S);
	v5_seq_pkt(0, 30);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "v5: flow_sequence back to 0 is an exporter restart");
	is(ctr(d, NF_CTR_SEQ_REORDERED), 0, "v5: not counted as reordering");
	nf_decoder_destroy(d);

	/* wrap: 0xFFFFFFFF + 2 = 1 */
	d = nf_decoder_create(NULL);
	v5_seq_pkt(0xFFFFFFFEu, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	v5_seq_pkt(0xFFFFFFFFu, 2);
	decode_exact(d, &P, &ex, NOW, &S);
	v5_seq_pkt(1, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS) + ctr(d, NF_CTR_EXPORTER_RESETS), 0,
	   "v5: sequence wraps at 2^32 without a gap or reset");
	v5_seq_pkt(4, 1);			/* expected 2: 2 lost across nothing */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_LOST), 2, "v5: gap right after the wrap");
	v5_seq_pkt(0xFFFFFFFFu, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_REORDERED), 1, "v5: small backwards jump across the wrap is reordering");
	nf_decoder_destroy(d);
}

static void
t_v5_lengths(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 4);

	v5_header(&P, 31, 1000, T0, 0, 0, 0, 0, 0);
	pzero(&P, 31 * 48);
	is_i(decode_exact(d, &P, &ex, NOW, &S), -1, "v5: count 31 rejected");
	is(S.n, 0, "v5: count 31 emits nothing");
	is(ctr(d, NF_CTR_DROP_BAD_LENGTH), 1, "v5: count 31 counted as bad length");

	v5_seq_pkt(0, 2);
	P.n -= 48;					/* second record missing */
	is_i(decode_exact(d, &P, &ex, NOW, &S), -1, "v5: truncated datagram reported");
	is(S.n, 1, "v5: the record that fits is still emitted");
	is(ctr(d, NF_CTR_DROP_BAD_LENGTH), 2, "v5: truncation counted");

	v5_seq_pkt(0, 1);
	P.n = 23;
	is_i(decode_exact(d, &P, &ex, NOW, &S), -1, "v5: datagram shorter than header rejected");
	is(ctr(d, NF_CTR_DROP_SHORT), 1, "v5: short datagram counted");
	ok(strlen(nf_decoder_last_error(d)) > 0, "v5: last_error explains");
	nf_decoder_destroy(d);
}

void
test_v5(void)
{
	t_v5_fields();
	t_v5_times();
	t_v5_sampling();
	t_v5_sequence();
	t_v5_lengths();
}
