/*-------------------------------------------------------------------------
 *
 * test_ipfix.c
 *	  IPFIX decoding tests: fields, variable-length and enterprise
 *	  elements, withdrawal, NTP / delta / sysUpTime times, PSAMP sampling,
 *	  sequence numbers counting data records.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

#define NTP_OFF 2208988800u

static const uint16_t TI[] = {
	8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 1, 8, 2, 8, 152, 8, 153, 8, 10, 4,
	14, 4, 136, 1
};
#define TI_N 12

static void
ti_rec(pkt *p, uint32_t src, uint64_t bytes, uint64_t start_ms,
	   uint64_t end_ms)
{
	p32(p, src);
	p32(p, 0x08080808);
	p16(p, 40000);
	p16(p, 53);
	p8(p, 17);
	p64(p, bytes);
	p64(p, 2);
	p64(p, start_ms);
	p64(p, end_ms);
	p32(p, 100000);
	p32(p, 2);
	p8(p, 3);
}

static void
itset(pkt *p, uint16_t tid, int n, const uint16_t *f)
{
	size_t		s = set_begin(p, 2);

	tmpl_rec(p, tid, n, f);
	set_end(p, s);
}

static void
t_ipfix_fields(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 1);
	size_t		s;
	uint64_t	ms = (uint64_t) T0 * 1000;

	ipfix_header(&P, T0, 0, 42);
	itset(&P, 256, TI_N, TI);
	s = set_begin(&P, 256);
	ti_rec(&P, 0x0A000001, 1000, ms - 1500, ms - 250);
	ti_rec(&P, 0x0A000002, 2000, ms - 100, ms);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "ipfix: 2 records");
	ok(is_v4(&S.r[0].src_addr, 10, 0, 0, 1) && is_v4(&S.r[0].dst_addr, 8, 8, 8, 8), "ipfix: addresses");
	ok(S.r[0].src_port == 40000 && S.r[0].dst_port == 53 && S.r[0].protocol == 17, "ipfix: ports, protocol");
	is(S.r[0].bytes, 1000, "ipfix: octetDeltaCount");
	is(S.r[0].packets, 2, "ipfix: packetDeltaCount");
	is_i(S.r[0].time_start, US(T0) - 1500000, "ipfix: flowStartMilliseconds");
	is_i(S.r[0].time_end, US(T0) - 250000, "ipfix: flowEndMilliseconds");
	ok(S.r[0].input_if == 100000 && S.r[0].output_if == 2, "ipfix: interfaces");
	is(S.r[0].end_reason, 3, "ipfix: flowEndReason");
	is(S.r[0].version, 10, "ipfix: version 10");
	is(S.r[0].obs_domain, 42, "ipfix: observation domain");
	is(S.r[1].bytes, 2000, "ipfix: second record");
	nf_decoder_destroy(d);
}

static void
t_ipfix_varlen(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 2);
	static const uint16_t TV[] = {
		7, 2, 82, 0xFFFF, 11, 2, 0x8000 | 100, 4, 0x8000 | 101, 0xFFFF,
		96, 0xFFFF, 1, 4
	};
	size_t		s;
	int			i;

	ipfix_header(&P, T0, 0, 1);
	itset(&P, 300, 7, TV);
	s = set_begin(&P, 300);
	/* record 1: short forms */
	p16(&P, 1111);
	p8(&P, 3);
	pbytes(&P, "eth", 3);
	p16(&P, 2222);
	p32(&P, 0xDEADBEEF);		/* enterprise fixed */
	p8(&P, 0);					/* enterprise var, empty */
	p8(&P, 2);
	pbytes(&P, "ab", 2);
	p32(&P, 3333);
	/* record 2: 255 + 2-byte length form (300 bytes) */
	p16(&P, 4444);
	p8(&P, 255);
	p16(&P, 300);
	for (i = 0; i < 300; i++)
		p8(&P, 'x');
	p16(&P, 5555);
	p32(&P, 1);
	p8(&P, 255);				/* 255 form with a small length */
	p16(&P, 1);
	p8(&P, 'y');
	p8(&P, 0);
	p32(&P, 6666);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "ipfix varlen: 2 records");
	ok(S.r[0].src_port == 1111 && S.r[0].dst_port == 2222 && S.r[0].bytes == 3333,
	   "ipfix varlen: 1-byte length prefix, enterprise elements skipped");
	ok(S.r[1].src_port == 4444 && S.r[1].dst_port == 5555 && S.r[1].bytes == 6666,
	   "ipfix varlen: 0xFF + 2-byte length prefix");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 0, "ipfix varlen: no error");
	nf_decoder_destroy(d);
}

/* events collected by the template callback */
typedef struct evlog
{
	int			n;
	int			withdrawn;
	int			learned;
} evlog;

static void
ev_cb(void *arg, const nf_template_event *ev)
{
	evlog	   *l = arg;

	l->n++;
	if (ev->withdrawn)
		l->withdrawn++;
	else
		l->learned++;
}

static void
t_ipfix_withdraw(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 3);
	static const uint16_t TA[] = {1, 4};
	evlog		l;
	size_t		s;

	memset(&l, 0, sizeof(l));
	nf_decoder_on_template(d, ev_cb, &l);
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, 1, TA);
	tmpl_rec(&P, 257, 1, TA);
	tmpl_rec(&P, 258, 1, TA);
	set_end(&P, s);
	s = set_begin(&P, 3);		/* options template 259: scope 149, 34 */
	p16(&P, 259);
	p16(&P, 2);
	p16(&P, 1);
	p16(&P, 149);
	p16(&P, 4);
	p16(&P, 34);
	p16(&P, 4);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.learned, 4, "ipfix withdraw: 4 templates learned (events)");

	/* single withdrawal of 256 */
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	p16(&P, 256);
	p16(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 256);
	p32(&P, 1);
	set_end(&P, s);
	s = set_begin(&P, 257);
	p32(&P, 2);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "ipfix withdraw: withdrawn template no longer decodes");
	is(S.r[0].bytes, 2, "ipfix withdraw: other templates unaffected");
	is(ctr(d, NF_CTR_TEMPLATES_WITHDRAWN), 1, "ipfix withdraw: counted");
	is(l.withdrawn, 1, "ipfix withdraw: event fired");
	is(ctr(d, NF_CTR_PENDING_BUFFERED), 1, "ipfix withdraw: data for it waits for a new template");

	/* withdraw all (non-options) templates: id 2 in a template set */
	ipfix_header(&P, T0, 2, 1);
	s = set_begin(&P, 2);
	p16(&P, 2);
	p16(&P, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_TEMPLATES_WITHDRAWN), 3, "ipfix withdraw-all: 257 and 258 withdrawn");
	is(l.withdrawn, 3, "ipfix withdraw-all: one event per template");

	/* the options template survived; withdraw all options templates */
	ipfix_header(&P, T0, 2, 1);
	s = set_begin(&P, 3);
	p16(&P, 3);
	p16(&P, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_TEMPLATES_WITHDRAWN), 4, "ipfix withdraw-all options: options template withdrawn");
	is(ctr(d, NF_CTR_DROP_BAD_TEMPLATE), 0, "ipfix withdraw: no template errors");
	nf_decoder_destroy(d);
}

static void
t_ipfix_times(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 4);
	static const uint16_t TU[] = {154, 8, 155, 8, 1, 4};
	static const uint16_t TN[] = {156, 8, 157, 8, 1, 4};
	static const uint16_t TD[] = {158, 4, 159, 4, 1, 4};
	static const uint16_t TS[] = {150, 4, 152, 8, 151, 4, 1, 4};
	static const uint16_t TY[] = {22, 4, 21, 4, 1, 4};
	size_t		s;

	ipfix_header(&P, T0, 0, 1);
	itset(&P, 256, 3, TU);
	itset(&P, 257, 3, TN);
	itset(&P, 258, 3, TD);
	itset(&P, 259, 4, TS);
	itset(&P, 260, 3, TY);
	s = set_begin(&P, 256);
	p32(&P, T0 + NTP_OFF);
	p32(&P, 0x40000000u | 0x7FF);	/* 0.25 s + ignored low 11 bits */
	p32(&P, T0 + NTP_OFF + 1);
	p32(&P, 0x80000000u);		/* 0.5 s */
	p32(&P, 1);
	set_end(&P, s);
	s = set_begin(&P, 257);
	p32(&P, T0 + NTP_OFF);
	p32(&P, 0x00010C70u);		/* 68720 / 2^32 s = 16.000005 us */
	p32(&P, T0 + NTP_OFF);
	p32(&P, 0xFFFFFFFFu);
	p32(&P, 2);
	set_end(&P, s);
	s = set_begin(&P, 258);
	p32(&P, 2000000);
	p32(&P, 500000);
	p32(&P, 3);
	set_end(&P, s);
	s = set_begin(&P, 259);
	p32(&P, T0 - 10);			/* seconds: less precise, loses */
	p64(&P, (uint64_t) T0 * 1000 - 9500);
	p32(&P, T0 - 1);
	p32(&P, 4);
	set_end(&P, s);
	s = set_begin(&P, 260);
	p32(&P, 1000);
	p32(&P, 2000);
	p32(&P, 5);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 5, "ipfix times: 5 records");
	is_i(S.r[0].time_start, US(T0) + 250000, "ipfix times: dateTimeMicroseconds (NTP), low 11 bits ignored");
	is_i(S.r[0].time_end, US(T0) + 1500000, "ipfix times: flowEndMicroseconds");
	is_i(S.r[1].time_start, US(T0) + 16, "ipfix times: dateTimeNanoseconds (NTP) truncated to us");
	is_i(S.r[1].time_end, US(T0) + 999999, "ipfix times: nanoseconds fraction just below 1 s");
	is_i(S.r[2].time_start, US(T0) - 2000000, "ipfix times: flowStartDeltaMicroseconds before export time");
	is_i(S.r[2].time_end, US(T0) - 500000, "ipfix times: flowEndDeltaMicroseconds");
	is_i(S.r[3].time_start, US(T0) - 9500000, "ipfix times: milliseconds preferred over seconds");
	is_i(S.r[3].time_end, US(T0) - 1000000, "ipfix times: flowEndSeconds");
	ok((S.r[4].flags & NF_FLAG_TIME_FROM_RECEIVE) && S.r[4].time_start == NOW,
	   "ipfix times: sysUpTime without systemInitTime -> receive time");

	/* options record announcing systemInitTimeMilliseconds (160) */
	ipfix_header(&P, T0, 5, 1);
	s = set_begin(&P, 3);
	p16(&P, 261);
	p16(&P, 2);
	p16(&P, 1);
	p16(&P, 149);
	p16(&P, 4);
	p16(&P, 160);
	p16(&P, 8);
	set_end(&P, s);
	s = set_begin(&P, 261);
	p32(&P, 1);
	p64(&P, (uint64_t) T0 * 1000 - 3600000);	/* booted 1 h ago */
	set_end(&P, s);
	s = set_begin(&P, 260);
	p32(&P, 1000);
	p32(&P, 2000);
	p32(&P, 5);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "ipfix times: options + data");
	is_i(S.r[0].time_start, US(T0) - US(3600) + 1000000, "ipfix times: flowStartSysUpTime + systemInitTimeMilliseconds");
	is_i(S.r[0].time_end, US(T0) - US(3600) + 2000000, "ipfix times: flowEndSysUpTime + systemInitTimeMilliseconds");
	ok(!(S.r[0].flags & NF_FLAG_TIME_FROM_RECEIVE), "ipfix times: no receive-time flag");
	nf_decoder_destroy(d);
}

static void
t_ipfix_sampling(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 5);
	static const uint16_t TD[] = {302, 8, 1, 4};
	size_t		s;

	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 3);
	/* 400: scope 302; 305, 306 */
	p16(&P, 400);
	p16(&P, 3);
	p16(&P, 1);
	p16(&P, 302);
	p16(&P, 8);
	p16(&P, 305);
	p16(&P, 4);
	p16(&P, 306);
	p16(&P, 4);
	/* 401: scope 302; 309, 310 */
	p16(&P, 401);
	p16(&P, 3);
	p16(&P, 1);
	p16(&P, 302);
	p16(&P, 8);
	p16(&P, 309);
	p16(&P, 4);
	p16(&P, 310);
	p16(&P, 4);
	set_end(&P, s);
	s = set_begin(&P, 400);
	p64(&P, 9);
	p32(&P, 1);
	p32(&P, 99);
	p64(&P, 11);
	p32(&P, 0);					/* interval 0: unknown, no division */
	p32(&P, 5);
	set_end(&P, s);
	s = set_begin(&P, 401);
	p64(&P, 10);
	p32(&P, 1);
	p32(&P, 1000);
	set_end(&P, s);
	itset(&P, 256, 2, TD);
	s = set_begin(&P, 256);
	p64(&P, 9);
	p32(&P, 100);
	p64(&P, 10);
	p32(&P, 200);
	p64(&P, 11);
	p32(&P, 300);
	p64(&P, 12);
	p32(&P, 400);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 4, "ipfix sampling: 4 flows");
	is(ctr(d, NF_CTR_OPTIONS_RECORDS), 3, "ipfix sampling: 3 options records");
	is(S.r[0].sampling_interval, 100, "ipfix sampling: selector 9: 1 of every 1+99 -> 100");
	is(S.r[1].sampling_interval, 1000, "ipfix sampling: selector 10: size 1 of population 1000 -> 1000");
	is(S.r[2].sampling_interval, 0, "ipfix sampling: packet interval 0 -> unknown");
	is(S.r[3].sampling_interval, 0, "ipfix sampling: unknown selector -> unknown");
	is(S.r[0].packets, 0, "ipfix sampling: no counter upscaled or invented");
	is(S.r[0].bytes, 100, "ipfix sampling: raw bytes");
	nf_decoder_destroy(d);
}

/* IPFIX message with 'n' 4-byte records of template 256 */
static void
seq_msg(uint32_t seq, int n, bool with_template)
{
	static const uint16_t TA[] = {1, 4};
	size_t		s;
	int			i;

	ipfix_header(&P, T0, seq, 7);
	if (with_template)
		itset(&P, 256, 1, TA);
	if (n > 0)
	{
		s = set_begin(&P, 256);
		for (i = 0; i < n; i++)
			p32(&P, (uint32_t) i);
		set_end(&P, s);
	}
	ipfix_finish(&P);
}

static void
t_ipfix_sequence(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 6);

	seq_msg(0, 3, true);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(3, 2, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 0, "ipfix seq: counts data records, no gap");
	seq_msg(10, 1, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 1, "ipfix seq: gap");
	is(ctr(d, NF_CTR_SEQ_LOST), 5, "ipfix seq: 5 data records lost");
	seq_msg(7, 1, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_REORDERED), 1, "ipfix seq: late message");
	seq_msg(11, 1, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 1, "ipfix seq: back on track");
	seq_msg(0xFFFFFFFFu - 100000, 0, false);	/* exporter restarted far back */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "ipfix seq: reset");
	seq_msg(0xFFFFFFFFu - 100000 + 2, 3, false);	/* 2 records lost */
	decode_exact(d, &P, &ex, NOW, &S);
	is(S.n, 3, "ipfix seq: templates survive an IPFIX reset");
	is(ctr(d, NF_CTR_SEQ_LOST), 7, "ipfix seq: tracking resynchronized at the reset");
	seq_msg(0xFFFFFFFEu, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_LOST), 7 + 0xFFFFFFFEu - (0xFFFFFFFFu - 100000 + 5), "ipfix seq: gap before the wrap");
	seq_msg(1, 1, false);		/* 0xFFFFFFFE + 3 wraps to 1 */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 3, "ipfix seq: no gap across the 2^32 wrap");
	nf_decoder_destroy(d);

	/* uncountable message: the next one resynchronizes */
	d = nf_decoder_create(NULL);
	ipfix_header(&P, T0, 0, 7);
	{
		size_t		s = set_begin(&P, 999);

		p32(&P, 1);
		p32(&P, 2);
		set_end(&P, s);
	}
	ipfix_finish(&P);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(2, 1, true);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 0, "ipfix seq: no false gap after a set that could not be counted");
	seq_msg(3, 1, false);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(4, 1, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS) + ctr(d, NF_CTR_SEQ_REORDERED), 0, "ipfix seq: tracking resumes");
	nf_decoder_destroy(d);
}

static void
t_ipfix_more(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_decoder *d2;
	nf_addr		ex = addr4(127, 0, 1, 7);
	static const uint16_t T4[] = {8, 4, 12, 4, 1, 4, 32, 2, 4, 1};
	static const uint16_t T6[] = {27, 16, 28, 16, 1, 4, 139, 2, 62, 16, 4, 1};
	static const uint16_t TY[] = {160, 8, 22, 4, 21, 4, 1, 4};
	uint8_t		a6[16] = {0xfe, 0x80};
	uint8_t		raw[64];
	size_t		raw_len;
	size_t		s;
	size_t		tpos;
	int			i;

	/* interleaved IPv4 / IPv6 data sets */
	ipfix_header(&P, T0, 0, 1);
	itset(&P, 256, 5, T4);
	itset(&P, 257, 6, T6);
	for (i = 0; i < 2; i++)
	{
		s = set_begin(&P, 256);
		p32(&P, 0x0A000001u + (uint32_t) i);
		p32(&P, 0x0A0000FF);
		p32(&P, 100 + (uint32_t) i);
		p16(&P, 0x0800);
		p8(&P, 1);
		set_end(&P, s);
		s = set_begin(&P, 257);
		a6[15] = (uint8_t) (1 + i);
		pbytes(&P, a6, 16);
		a6[15] = 0xFF;
		pbytes(&P, a6, 16);
		p32(&P, 200 + (uint32_t) i);
		p16(&P, 0x8000);		/* ICMPv6 echo request */
		a6[15] = 0xFE;
		pbytes(&P, a6, 16);
		p8(&P, 58);
		set_end(&P, s);
	}
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 4, "ipfix: interleaved IPv4/IPv6 sets -> 4 records");
	ok(S.r[0].src_addr.family == NF_AF_INET && S.r[1].src_addr.family == NF_AF_INET6 &&
	   S.r[2].src_addr.family == NF_AF_INET && S.r[3].src_addr.family == NF_AF_INET6,
	   "ipfix: families alternate in datagram order");
	ok(S.r[3].src_addr.a[0] == 0xfe && S.r[3].src_addr.a[15] == 2 && S.r[3].bytes == 201,
	   "ipfix: IPv6 record values");
	ok(S.r[1].icmp_type == 128 && S.r[1].icmp_code == 0 && (S.r[1].present & NF_HAS_ICMP_TYPE),
	   "ipfix: icmpTypeCodeIPv6 (139)");
	ok(S.r[0].icmp_type == 8 && (S.r[0].present & NF_HAS_ICMP_TYPE), "ipfix: icmpTypeCodeIPv4 (32)");
	ok(S.r[1].next_hop.family == NF_AF_INET6 && S.r[1].next_hop.a[15] == 0xFE, "ipfix: ipNextHopIPv6Address (62)");

	/* template 256 redefined between two data sets of one message */
	{
		static const uint16_t TB[] = {1, 4, 8, 4};

		ipfix_header(&P, T0, 4, 1);
		s = set_begin(&P, 256);
		p32(&P, 0x0A000009);
		p32(&P, 0x0A0000FF);
		p32(&P, 300);
		p16(&P, 0);
		p8(&P, 6);
		set_end(&P, s);
		itset(&P, 256, 2, TB);
		s = set_begin(&P, 256);
		p32(&P, 400);
		p32(&P, 0x0A00000A);
		set_end(&P, s);
		ipfix_finish(&P);
		is(decode_exact(d, &P, &ex, NOW, &S), 2, "ipfix: template redefined between two data sets");
		ok(S.r[0].bytes == 300 && S.r[0].protocol == 6 && is_v4(&S.r[0].src_addr, 10, 0, 0, 9),
		   "ipfix: first set with the old definition");
		ok(S.r[1].bytes == 400 && !(S.r[1].present & NF_HAS_PROTOCOL) &&
		   is_v4(&S.r[1].src_addr, 10, 0, 0, 10), "ipfix: second set with the new definition");
	}

	/* systemInitTimeMilliseconds in the data record itself */
	ipfix_header(&P, T0, 4, 1);
	itset(&P, 258, 4, TY);
	s = set_begin(&P, 258);
	p64(&P, (uint64_t) T0 * 1000 - 60000);
	p32(&P, 1000);
	p32(&P, 1500);
	p32(&P, 1);
	set_end(&P, s);
	ipfix_finish(&P);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "ipfix: record carrying its own systemInitTime");
	is_i(S.r[0].time_start, US(T0) - US(59), "ipfix: sysUpTime start from the record's own 160");
	is_i(S.r[0].time_end, US(T0) - US(59) + 500000, "ipfix: sysUpTime end from the record's own 160");
	nf_decoder_destroy(d);

	/* options template: event raw reloads into a fresh decoder */
	d = nf_decoder_create(NULL);
	ipfix_header(&P, T0, 0, 3);
	s = set_begin(&P, 3);
	tpos = P.n;
	p16(&P, 300);
	p16(&P, 2);
	p16(&P, 1);
	p16(&P, 149);
	p16(&P, 4);
	p16(&P, 34);
	p16(&P, 4);
	raw_len = P.n - tpos;
	memcpy(raw, P.b + tpos, raw_len);
	set_end(&P, s);
	ipfix_finish(&P);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 1, "ipfix: options template learned");
	nf_decoder_destroy(d);
	d2 = nf_decoder_create(NULL);
	ok(nf_decoder_load_template(d2, &ex, 3, 10, 300, true, raw, raw_len),
	   "ipfix reload: options template raw accepted");
	ok(!nf_decoder_load_template(d2, &ex, 3, 10, 300, false, raw, raw_len),
	   "ipfix reload: options raw refused as a plain template");
	{
		static const uint16_t TD[] = {1, 4};

		ipfix_header(&P, T0, 0, 3);
		s = set_begin(&P, 300);
		p32(&P, 3);
		p32(&P, 64);
		set_end(&P, s);
		itset(&P, 256, 1, TD);
		s = set_begin(&P, 256);
		p32(&P, 5);
		set_end(&P, s);
		ipfix_finish(&P);
	}
	is(decode_exact(d2, &P, &ex, NOW, &S), 1, "ipfix reload: options data decoded with the reloaded template");
	is(S.r[0].sampling_interval, 64, "ipfix reload: its sampling interval applies");
	nf_decoder_destroy(d2);
}

static void
t_ipfix_restart(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 1, 8);
	int			i;

	/* a restarted exporter numbering from 0 again, shortly after start */
	seq_msg(0, 3, true);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(3, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(0, 3, true);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "ipfix restart: back to 0 is a reset, not reordering");
	seq_msg(3, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_REORDERED) + ctr(d, NF_CTR_SEQ_GAPS), 0, "ipfix restart: tracking follows the new numbering");
	nf_decoder_destroy(d);

	/* restarted with a non-zero start, slightly behind: third contiguous late message */
	d = nf_decoder_create(NULL);
	seq_msg(1000, 3, true);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(500, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	seq_msg(503, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 0, "ipfix restart: two contiguous late messages may be reordering");
	seq_msg(506, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "ipfix restart: the third contiguous late message is a restart");
	seq_msg(509, 3, false);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 0, "ipfix restart: then tracked normally");
	nf_decoder_destroy(d);

	/* an exporter that never numbers its messages */
	d = nf_decoder_create(NULL);
	for (i = 0; i < 5; i++)
	{
		seq_msg(0, 3, i == 0);
		decode_exact(d, &P, &ex, NOW, &S);
	}
	is(ctr(d, NF_CTR_EXPORTER_RESETS) + ctr(d, NF_CTR_SEQ_REORDERED) + ctr(d, NF_CTR_SEQ_GAPS), 0,
	   "ipfix seq: constant sequence number 0 is not tracked");
	is(ctr(d, NF_CTR_FLOWS), 15, "ipfix seq: its records are all decoded");
	nf_decoder_destroy(d);
}

void
test_ipfix(void)
{
	t_ipfix_fields();
	t_ipfix_varlen();
	t_ipfix_withdraw();
	t_ipfix_times();
	t_ipfix_sampling();
	t_ipfix_sequence();
	t_ipfix_more();
	t_ipfix_restart();
}
