/*-------------------------------------------------------------------------
 *
 * test_biflow.c
 *	  Bidirectional flows: RFC 5103 reverse elements (PEN 29305) and the
 *	  NSEL / IANA initiator-responder counters (231/232/298/299) give a
 *	  second, reverse-direction record (NF_FLAG_REVERSE); other enterprise
 *	  elements stay skipped; malformed templates and records stay counted.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

#define PEN_REV 29305u

/*
 * IPFIX template set with one template; 'f' holds n (ie, len, pen)
 * triples, pen 0 for an IANA element.
 */
static void
bi_tset(pkt *p, uint16_t tid, int n, const uint32_t *f)
{
	size_t		s = set_begin(p, 2);
	int			i;

	p16(p, tid);
	p16(p, (uint16_t) n);
	for (i = 0; i < n; i++)
	{
		uint32_t	pen = f[3 * i + 2];

		p16(p, (uint16_t) (f[3 * i] | (pen ? 0x8000 : 0)));
		p16(p, (uint16_t) f[3 * i + 1]);
		if (pen)
			p32(p, pen);
	}
	set_end(p, s);
}

/*
 * Forward fields of the RFC 5103 template, then its reverse / enterprise
 * fields.  The "plain" twin has the same lengths but every enterprise
 * field under PEN 9, so it must decode the forward record identically.
 */
#define BI_FWD \
	8, 4, 0, 12, 4, 0, 7, 2, 0, 11, 2, 0, 4, 1, 0, 6, 1, 0, 1, 8, 0, \
	2, 8, 0, 152, 8, 0, 153, 8, 0, 10, 4, 0, 14, 4, 0, 9, 1, 0, 13, 1, 0, \
	16, 4, 0, 17, 4, 0, 56, 6, 0, 80, 6, 0, 58, 2, 0, 15, 4, 0, 61, 1, 0
#define BI_FWD_N 21
static const uint32_t TBI[] = {
	BI_FWD,
	1, 8, PEN_REV, 2, 4, PEN_REV, 6, 1, PEN_REV,
	1, 8, 9,					/* same id, other PEN: skipped */
	8, 4, PEN_REV,				/* reverse element not mapped: skipped */
	2, 4, 12345					/* other PEN: skipped */
};
static const uint32_t TBI_PLAIN[] = {
	BI_FWD,
	1, 8, 9, 2, 4, 9, 6, 1, 9,
	1, 8, 9,
	8, 4, 9,
	2, 4, 12345
};
#define TBI_N (BI_FWD_N + 6)

/* One data record of TBI. */
static void
bi_rec(pkt *p, uint64_t rbytes, uint32_t rpkts, uint8_t rflags)
{
	uint64_t	ms = (uint64_t) T0 * 1000;

	p32(p, 0x0A000001);			/* src 10.0.0.1 */
	p32(p, 0xC0000202);			/* dst 192.0.2.2 */
	p16(p, 40000);
	p16(p, 443);
	p8(p, 6);
	p8(p, 0x02);
	p64(p, 1000);
	p64(p, 10);
	p64(p, ms - 2000);
	p64(p, ms - 500);
	p32(p, 3);					/* input if */
	p32(p, 7);					/* output if */
	p8(p, 24);
	p8(p, 16);
	p32(p, 64500);
	p32(p, 64501);
	pbytes(p, "\x00\x11\x22\x33\x44\x55", 6);
	pbytes(p, "\x66\x77\x88\x99\xaa\xbb", 6);
	p16(p, 100);
	p32(p, 0x0A0000FE);			/* next hop */
	p8(p, 0);					/* direction ingress */
	p64(p, rbytes);
	p32(p, rpkts);
	p8(p, rflags);
	p64(p, 777777);				/* PEN 9 id 1: must not be read */
	p32(p, 0x01020304);
	p32(p, 88888);
}

/* RFC 5103 biflow: forward record unchanged, reverse record follows. */
static void
t_biflow_rfc5103(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_decoder *d2 = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 3, 1);
	nf_flow_record plain;
	const nf_flow_record *f;
	const nf_flow_record *r;
	size_t		s;

	/* the same record through a template without reverse elements */
	ipfix_header(&P, T0, 0, 5);
	bi_tset(&P, 256, TBI_N, TBI_PLAIN);
	s = set_begin(&P, 256);
	bi_rec(&P, 500, 3, 0x12);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d2, &P, &ex, NOW, &S), 1, "biflow: PEN 9 twin gives 1 record");
	plain = S.r[0];
	is(ctr(d2, NF_CTR_BIFLOW_REVERSE), 0, "biflow: PEN 9 twin has no reverse");

	ipfix_header(&P, T0, 0, 5);
	bi_tset(&P, 256, TBI_N, TBI);
	s = set_begin(&P, 256);
	bi_rec(&P, 500, 3, 0x12);
	bi_rec(&P, 0, 0, 0x10);		/* zero reverse counters: no reverse */
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 3, "biflow: 2 data records -> 3 records");
	f = &S.r[0];
	r = &S.r[1];
	ok(memcmp(f, &plain, sizeof(plain)) == 0,
	   "biflow: forward record byte-identical to the one without reverse elements");
	ok(memcmp(&S.r[2], &plain, sizeof(plain)) == 0,
	   "biflow: zero reverse counters: forward record only, unchanged");
	is(f->bytes, 1000, "biflow: forward bytes (PEN 9 id 1 not read)");
	is(f->flags, 0, "biflow: forward record not flagged");
	is(r->flags, NF_FLAG_REVERSE, "biflow: reverse record flagged NF_FLAG_REVERSE");
	is(r->bytes, 500, "biflow: reverseOctetDeltaCount");
	is(r->packets, 3, "biflow: reversePacketDeltaCount");
	ok((r->present & NF_HAS_TCP_FLAGS) && r->tcp_flags == 0x12,
	   "biflow: reverseTcpControlBits");
	ok(is_v4(&r->src_addr, 192, 0, 2, 2) && is_v4(&r->dst_addr, 10, 0, 0, 1),
	   "biflow: addresses swapped");
	ok(r->src_port == 443 && r->dst_port == 40000, "biflow: ports swapped");
	ok(r->src_mask == 16 && r->dst_mask == 24, "biflow: masks swapped");
	ok(r->src_as == 64501 && r->dst_as == 64500, "biflow: AS swapped");
	ok(memcmp(r->src_mac, f->dst_mac, 6) == 0 &&
	   memcmp(r->dst_mac, f->src_mac, 6) == 0, "biflow: MACs swapped");
	ok(r->input_if == 7 && r->output_if == 3, "biflow: interfaces swapped");
	is(r->present, f->present, "biflow: same present bits (all pairs present)");
	ok(r->time_start == f->time_start && r->time_end == f->time_end &&
	   r->time_received == f->time_received, "biflow: forward times kept");
	ok(r->protocol == 6 && r->src_vlan == 100 && r->version == 10 &&
	   r->obs_domain == 5 && r->sampling_interval == f->sampling_interval &&
	   r->direction == 0 && memcmp(&r->exporter, &f->exporter, sizeof(nf_addr)) == 0,
	   "biflow: protocol, vlan, version, domain, sampling, direction, exporter kept");
	is(r->next_hop.family, NF_AF_NONE, "biflow: no next hop on the reverse record");
	is(ctr(d, NF_CTR_BIFLOW_REVERSE), 1, "biflow: biflow_reverse counted");
	is(ctr(d, NF_CTR_FLOWS), 3, "biflow: flows counts both directions");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD) + ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 0,
	   "biflow: no error");

	/* IPFIX sequence numbers count data records, not emitted ones */
	ipfix_header(&P, T0, 2, 5);
	s = set_begin(&P, 256);
	bi_rec(&P, 1, 0, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "biflow: next message, 2 records");
	is(ctr(d, NF_CTR_SEQ_GAPS), 0, "biflow: reverse records do not count in sequence");
	ok(S.r[1].bytes == 1 && S.r[1].packets == 0,
	   "biflow: reverse record with bytes only is emitted");
	nf_decoder_destroy(d);
	nf_decoder_destroy(d2);
}

/* Reverse totals, reverse times, ICMP and no reverse TCP flags. */
static void
t_biflow_totals(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 3, 2);
	static const uint32_t T[] = {
		8, 4, 0, 12, 4, 0, 4, 1, 0, 32, 2, 0, 6, 1, 0, 85, 4, 0, 86, 4, 0,
		85, 4, PEN_REV, 86, 2, PEN_REV, 152, 8, PEN_REV, 153, 8, PEN_REV
	};
	static const uint32_t TONE[] = {
		8, 4, 0, 12, 4, 0, 86, 4, 0, 86, 4, PEN_REV, 150, 4, PEN_REV
	};
	uint64_t	ms = (uint64_t) T0 * 1000;
	size_t		s;

	ipfix_header(&P, T0, 0, 1);
	bi_tset(&P, 260, 11, T);
	s = set_begin(&P, 260);
	p32(&P, 0x0A000001);
	p32(&P, 0x0A000002);
	p8(&P, 1);
	p16(&P, 0x0800);			/* echo request */
	p8(&P, 0x18);				/* forward tcp flags field, meaningless */
	p32(&P, 84);
	p32(&P, 1);
	p32(&P, 0);					/* reverse bytes 0 */
	p16(&P, 1);					/* reverse packets 1 */
	p64(&P, ms - 900);
	p64(&P, ms - 800);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "biflow totals: 2 records");
	ok(S.r[0].bytes == 84 && S.r[0].packets == 1 &&
	   (S.r[0].present & NF_HAS_ICMP_TYPE) && S.r[0].icmp_type == 8,
	   "biflow totals: forward totals and ICMP type");
	ok(S.r[1].bytes == 0 && S.r[1].packets == 1,
	   "biflow totals: reverse totals, packets only is enough");
	ok(!(S.r[1].present & NF_HAS_ICMP_TYPE) && S.r[1].icmp_type == 0 &&
	   S.r[1].icmp_code == 0, "biflow totals: no ICMP type/code on the reverse");
	ok(!(S.r[1].present & NF_HAS_TCP_FLAGS) && S.r[1].tcp_flags == 0,
	   "biflow totals: no reverse TCP flags without reverseTcpControlBits");
	ok((S.r[1].present & NF_HAS_PROTOCOL) && S.r[1].protocol == 1,
	   "biflow totals: protocol kept");
	is_i(S.r[1].time_start, US(T0) - 900000, "biflow totals: reverseFlowStartMilliseconds");
	is_i(S.r[1].time_end, US(T0) - 800000, "biflow totals: reverseFlowEndMilliseconds");
	ok((S.r[0].flags & NF_FLAG_TIME_FROM_RECEIVE) && S.r[1].flags == NF_FLAG_REVERSE,
	   "biflow totals: reverse times clear the receive-time flag");

	/* one reverse time only: both ends take it */
	ipfix_header(&P, T0, 1, 1);
	bi_tset(&P, 261, 5, TONE);
	s = set_begin(&P, 261);
	p32(&P, 0x0A000001);
	p32(&P, 0x0A000002);
	p32(&P, 5);
	p32(&P, 2);
	p32(&P, T0 - 7);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "biflow totals: one reverse time, 2 records");
	ok(S.r[1].time_start == US(T0 - 7) && S.r[1].time_end == US(T0 - 7) &&
	   S.r[1].packets == 2, "biflow totals: one reverse time gives both ends");
	nf_decoder_destroy(d);
}

/* NSEL-style v9 and IPFIX initiator / responder counters. */
static void
t_biflow_nsel(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 3, 3);
	static const uint16_t T9[] = {
		8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 231, 8, 232, 8, 298, 4, 299, 4,
		22, 4, 21, 4
	};
	static const uint16_t T9B[] = {
		8, 4, 12, 4, 1, 4, 2, 4, 231, 4, 298, 4, 232, 4, 299, 4
	};
	static const uint32_t TI[] = {
		8, 4, 0, 12, 4, 0, 231, 4, 0, 232, 4, 0, 298, 4, 0, 299, 4, 0,
		1, 4, PEN_REV, 2, 4, PEN_REV
	};
	size_t		s;

	v9_header(&P, 4, 100000, T0, 0, 7);
	s = set_begin(&P, 0);
	tmpl_rec(&P, 300, 11, T9);
	tmpl_rec(&P, 301, 8, T9B);
	set_end(&P, s);
	s = set_begin(&P, 300);
	p32(&P, 0x0A000001);
	p32(&P, 0x0A000002);
	p16(&P, 1234);
	p16(&P, 80);
	p8(&P, 6);
	p64(&P, 1000);				/* initiatorOctets */
	p64(&P, 2000);				/* responderOctets */
	p32(&P, 10);				/* initiatorPackets */
	p32(&P, 20);				/* responderPackets */
	p32(&P, 90000);
	p32(&P, 99000);
	p32(&P, 0x0A000001);
	p32(&P, 0x0A000002);
	p16(&P, 1234);
	p16(&P, 80);
	p8(&P, 6);
	p64(&P, 1000);
	p64(&P, 0);					/* no response */
	p32(&P, 10);
	p32(&P, 0);
	p32(&P, 90000);
	p32(&P, 99000);
	set_end(&P, s);
	s = set_begin(&P, 301);
	p32(&P, 0x0A000003);
	p32(&P, 0x0A000004);
	p32(&P, 111);				/* octetDeltaCount wins */
	p32(&P, 11);
	p32(&P, 999);
	p32(&P, 99);
	p32(&P, 222);
	p32(&P, 22);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 5, "nsel v9: 3 data records -> 5 records");
	ok(S.r[0].bytes == 1000 && S.r[0].packets == 10 && S.r[0].flags == 0,
	   "nsel v9: initiator counters are the forward bytes/packets");
	ok(S.r[1].bytes == 2000 && S.r[1].packets == 20 &&
	   S.r[1].flags == NF_FLAG_REVERSE, "nsel v9: responder counters give the reverse record");
	ok(is_v4(&S.r[1].src_addr, 10, 0, 0, 2) && S.r[1].src_port == 80 &&
	   S.r[1].dst_port == 1234, "nsel v9: reverse endpoints swapped");
	ok(S.r[1].time_start == S.r[0].time_start && S.r[1].time_end == S.r[0].time_end,
	   "nsel v9: reverse record has the forward times");
	ok(S.r[2].bytes == 1000 && S.r[2].flags == 0, "nsel v9: zero responder counters: forward only");
	ok(S.r[3].bytes == 111 && S.r[3].packets == 11,
	   "nsel v9: octet/packetDeltaCount win over the initiator counters");
	ok(S.r[4].bytes == 222 && S.r[4].packets == 22 &&
	   S.r[4].flags == (NF_FLAG_REVERSE | NF_FLAG_TIME_FROM_RECEIVE),
	   "nsel v9: responder counters with delta counters");
	is(ctr(d, NF_CTR_BIFLOW_REVERSE), 2, "nsel v9: biflow_reverse 2");
	is(ctr(d, NF_CTR_FLOWS), 5, "nsel v9: flows 5");

	ipfix_header(&P, T0, 0, 8);
	bi_tset(&P, 400, 8, TI);
	s = set_begin(&P, 400);
	p32(&P, 0x0A000001);
	p32(&P, 0x0A000002);
	p32(&P, 300);
	p32(&P, 400);
	p32(&P, 3);
	p32(&P, 4);
	p32(&P, 40);				/* reverseOctetDeltaCount wins */
	p32(&P, 5);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "nsel ipfix: 2 records");
	ok(S.r[0].bytes == 300 && S.r[0].packets == 3, "nsel ipfix: initiator counters forward");
	ok(S.r[1].bytes == 40 && S.r[1].packets == 5 &&
	   (S.r[1].flags & NF_FLAG_REVERSE),
	   "nsel ipfix: RFC 5103 reverse counters win over the responder counters");
	nf_decoder_destroy(d);
}

/* Malformed biflow templates and records: counted, never read past. */
static void
t_biflow_hardening(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 3, 4);
	static const uint32_t TODD[] = {
		8, 4, 0, 1, 3, PEN_REV, 2, 0xFFFF, PEN_REV, 2, 9, PEN_REV, 6, 2, PEN_REV
	};
	size_t		s;
	int			n;

	/* enterprise number cut after 2 of its 4 bytes */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 500);
	p16(&P, 2);
	p16(&P, 8);
	p16(&P, 4);
	p16(&P, 0x8001);
	p16(&P, 8);
	p16(&P, 0x7279);			/* first half of 29305 */
	set_end(&P, s);
	ipfix_finish(&P);
	n = decode_exact(d, &P, &ex, NOW, &S);
	ok(n <= 0 && S.n == 0, "biflow hard: truncated enterprise number, no record");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 1, "biflow hard: truncated enterprise number counted");

	/* reduced-size, variable-length and over-long reverse fields */
	ipfix_header(&P, T0, 0, 1);
	bi_tset(&P, 501, 5, TODD);
	s = set_begin(&P, 501);
	p32(&P, 0x0A000001);
	p8(&P, 0);
	p16(&P, 700);				/* 3-byte reverse octets = 700 */
	p8(&P, 2);
	p16(&P, 0xFFFF);			/* var-length reverse packets: skipped */
	pzero(&P, 9);				/* 9-byte reverse packets: skipped */
	p16(&P, 0x0112);			/* 2-byte reverse flags: low 8 bits */
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "biflow hard: odd lengths -> 2 records");
	ok(S.r[1].bytes == 700 && S.r[1].packets == 0 && S.r[1].tcp_flags == 0x12,
	   "biflow hard: reduced-size reverse fields read, odd ones skipped");

	/* a record cut inside its reverse fields */
	ipfix_header(&P, T0, 1, 1);
	s = set_begin(&P, 501);
	p32(&P, 0x0A000001);
	p8(&P, 0);
	p16(&P, 700);
	p8(&P, 200);				/* var length past the set */
	pzero(&P, 11);
	set_end(&P, s);
	ipfix_finish(&P);
	n = decode_exact(d, &P, &ex, NOW, &S);
	ok(S.n == 0 && n <= 0, "biflow hard: cut record, no record (either direction)");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 1, "biflow hard: cut record counted");
	is(ctr(d, NF_CTR_BIFLOW_REVERSE), 1, "biflow hard: only the good reverse counted");
	nf_decoder_destroy(d);
}

void
test_biflow(void)
{
	t_biflow_rfc5103();
	t_biflow_totals();
	t_biflow_nsel();
	t_biflow_hardening();
}
