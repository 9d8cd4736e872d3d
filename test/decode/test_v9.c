/*-------------------------------------------------------------------------
 *
 * test_v9.c
 *	  NetFlow v9 decoding tests: fields, mixed IPv4/IPv6, templates
 *	  (replace, per exporter, events, reload), data before template,
 *	  exporter restart, sequence, sampling options, reduced-size fields.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "tests.h"

static pkt	P;
static sink S;

/* IPv4 template 256: 41 bytes per record */
static const uint16_t T4[] = {
	8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 6, 1, 5, 1, 1, 4, 2, 4, 22, 4, 21, 4,
	10, 2, 14, 2, 16, 4, 17, 4, 9, 1, 13, 1, 15, 4, 61, 1
};
#define T4_N 19

/* IPv6 template 257 */
static const uint16_t T6[] = {
	27, 16, 28, 16, 7, 2, 11, 2, 4, 1, 1, 8, 2, 8, 29, 1, 30, 1, 62, 16,
	22, 4, 21, 4
};
#define T6_N 12

static void
rec4(pkt *p, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
	 uint8_t proto, uint32_t bytes, uint32_t pkts, uint32_t first,
	 uint32_t last)
{
	p32(p, src);
	p32(p, dst);
	p16(p, sport);
	p16(p, dport);
	p8(p, proto);
	p8(p, 0x12);				/* tcp flags */
	p8(p, 0x08);				/* tos */
	p32(p, bytes);
	p32(p, pkts);
	p32(p, first);
	p32(p, last);
	p16(p, 7);					/* input if */
	p16(p, 9);					/* output if */
	p32(p, 4200000000u);		/* src as (4-byte) */
	p32(p, 64512);
	p8(p, 24);
	p8(p, 32);
	p32(p, 0x0A0000FE);
	p8(p, 1);					/* egress */
}

static void
rec6(pkt *p, uint8_t last_src_byte, uint64_t bytes)
{
	uint8_t		a[16] = {0x20, 0x01, 0x0d, 0xb8};

	a[15] = last_src_byte;
	pbytes(p, a, 16);
	a[15] = 0x99;
	pbytes(p, a, 16);
	p16(p, 5353);
	p16(p, 53);
	p8(p, 17);
	p64(p, bytes);
	p64(p, 3);
	p8(p, 64);
	p8(p, 48);
	a[15] = 1;
	pbytes(p, a, 16);
	p32(p, 99000);
	p32(p, 99500);
}

static void
tset(pkt *p, uint16_t tid, int n, const uint16_t *f)
{
	size_t		s = set_begin(p, 0);

	tmpl_rec(p, tid, n, f);
	set_end(p, s);
}

static void
t_v9_fields(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 9);
	size_t		s;
	const nf_flow_record *r;

	v9_header(&P, 3, 100000, T0, 0, 77);
	tset(&P, 256, T4_N, T4);
	s = set_begin(&P, 256);
	rec4(&P, 0x0A000001, 0x0A000002, 1234, 80, 6, 5000, 5, 90000, 99000);
	rec4(&P, 0x0A000003, 0x0A000004, 53, 5353, 17, 60, 1, 100300, 100300);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "v9: template + data in one packet -> 2 records");
	r = &S.r[0];
	ok(is_v4(&r->src_addr, 10, 0, 0, 1) && is_v4(&r->dst_addr, 10, 0, 0, 2), "v9: addresses");
	is(r->src_port, 1234, "v9: src port");
	is(r->dst_port, 80, "v9: dst port");
	is(r->protocol, 6, "v9: protocol");
	is(r->tcp_flags, 0x12, "v9: tcp flags");
	is(r->tos, 8, "v9: tos");
	is(r->bytes, 5000, "v9: bytes");
	is(r->packets, 5, "v9: packets");
	is_i(r->time_start, US(T0) - 10000 * 1000, "v9: first switched relative to sysUptime");
	is_i(r->time_end, US(T0) - 1000 * 1000, "v9: last switched relative to sysUptime");
	is(r->input_if, 7, "v9: input if");
	is(r->output_if, 9, "v9: output if");
	is(r->src_as, 4200000000u, "v9: 4-byte src as");
	is(r->dst_as, 64512, "v9: dst as");
	is(r->src_mask, 24, "v9: src mask");
	is(r->dst_mask, 32, "v9: dst mask");
	ok(is_v4(&r->next_hop, 10, 0, 0, 254), "v9: next hop");
	is(r->direction, 1, "v9: direction");
	is(r->version, 9, "v9: version");
	is(r->obs_domain, 77, "v9: obs_domain = source id");
	is(r->sampling_interval, 1, "v9: no sampling information -> 1");
	is(r->present, NF_HAS_SRC_PORT | NF_HAS_DST_PORT | NF_HAS_PROTOCOL |
	   NF_HAS_TCP_FLAGS | NF_HAS_TOS | NF_HAS_INPUT_IF | NF_HAS_OUTPUT_IF |
	   NF_HAS_SRC_AS | NF_HAS_DST_AS | NF_HAS_SRC_MASK | NF_HAS_DST_MASK |
	   NF_HAS_DIRECTION, "v9: present bits are exactly the sent fields");
	is_i(S.r[1].time_start, US(T0) + 300 * 1000,
		 "v9: first switched after sysUptime -> 0.3 s after export");
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 1, "v9: one template learned");
	nf_decoder_destroy(d);
}

static void
t_v9_mixed(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 9);
	size_t		s;

	v9_header(&P, 5, 100000, T0, 0, 1);
	tset(&P, 256, T4_N, T4);
	tset(&P, 257, T6_N, T6);
	s = set_begin(&P, 256);
	rec4(&P, 1, 2, 1, 2, 6, 100, 1, 99000, 99000);
	set_end(&P, s);
	s = set_begin(&P, 257);
	rec6(&P, 0x42, 123456789012ull);
	set_end(&P, s);
	s = set_begin(&P, 256);
	rec4(&P, 3, 4, 1, 2, 6, 200, 2, 99000, 99000);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 3, "v9: interleaved IPv4/IPv6 -> 3 records");
	is(S.r[0].src_addr.family, NF_AF_INET, "v9: record 1 is IPv4");
	is(S.r[1].src_addr.family, NF_AF_INET6, "v9: record 2 is IPv6");
	ok(S.r[1].src_addr.a[0] == 0x20 && S.r[1].src_addr.a[15] == 0x42 &&
	   S.r[1].dst_addr.a[15] == 0x99, "v9: IPv6 addresses");
	is(S.r[1].bytes, 123456789012ull, "v9: 8-byte octet count");
	ok(S.r[1].src_mask == 64 && S.r[1].dst_mask == 48, "v9: IPv6 masks (29/30)");
	ok(S.r[1].next_hop.family == NF_AF_INET6 && S.r[1].next_hop.a[15] == 1, "v9: IPv6 next hop (62)");
	is(S.r[2].bytes, 200, "v9: record 3 is IPv4 again");
	nf_decoder_destroy(d);
}

/* events collected by the template callback */
typedef struct evlog
{
	int			n;
	nf_template_event ev[16];
	uint8_t		raw[16][512];
} evlog;

static void
ev_cb(void *arg, const nf_template_event *ev)
{
	evlog	   *l = arg;

	if (l->n < 16)
	{
		l->ev[l->n] = *ev;
		if (ev->raw && ev->raw_len <= 512)
			memcpy(l->raw[l->n], ev->raw, ev->raw_len);
		l->ev[l->n].raw = ev->raw ? l->raw[l->n] : NULL;
	}
	l->n++;
}

static void
t_v9_pending(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 10);
	size_t		s;
	int			n;

	/* data first: uptime 100000 */
	v9_header(&P, 2, 100000, T0, 0, 1);
	s = set_begin(&P, 256);
	rec4(&P, 1, 2, 1, 2, 6, 100, 1, 99000, 99500);
	rec4(&P, 3, 4, 1, 2, 6, 200, 2, 99000, 99500);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 0, "v9 pending: data without template emits nothing");
	is(ctr(d, NF_CTR_PENDING_BUFFERED), 1, "v9 pending: data set buffered");

	/* template 5 s later, another uptime */
	v9_header(&P, 1, 105000, T0 + 5, 1, 1);
	tset(&P, 256, T4_N, T4);
	n = decode_exact(d, &P, &ex, NOW + US(5), &S);
	is(n, 2, "v9 pending: template arrival decodes the 2 waiting records in the same call");
	is(ctr(d, NF_CTR_PENDING_DECODED), 1, "v9 pending: pending_decoded counted");
	ok((S.r[0].flags & NF_FLAG_DELAYED) && (S.r[1].flags & NF_FLAG_DELAYED), "v9 pending: NF_FLAG_DELAYED set");
	is(S.r[1].bytes, 200, "v9 pending: values decoded");
	is_i(S.r[0].time_start, US(T0) - 1000 * 1000, "v9 pending: times use the data packet's own header");
	is_i(S.r[0].time_received, NOW, "v9 pending: time_received is when the data arrived");

	/* the buffer is empty now: the template again decodes nothing more */
	v9_header(&P, 1, 106000, T0 + 6, 2, 1);
	tset(&P, 256, T4_N, T4);
	is(decode_exact(d, &P, &ex, NOW + US(6), &S), 0, "v9 pending: nothing decoded twice");
	nf_decoder_destroy(d);
}

static void
t_v9_replace(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 11);
	nf_addr		ex2 = addr4(127, 0, 0, 12);
	static const uint16_t TB[] = {12, 4, 8, 4, 1, 4};
	size_t		s;

	/* T(A), data, T(B), data in one message */
	v9_header(&P, 4, 100000, T0, 0, 1);
	tset(&P, 256, T4_N, T4);
	s = set_begin(&P, 256);
	rec4(&P, 0x01010101, 0x02020202, 1, 2, 6, 111, 1, 99000, 99000);
	set_end(&P, s);
	tset(&P, 256, 3, TB);
	s = set_begin(&P, 256);
	p32(&P, 0x02020202);		/* dst first in layout B */
	p32(&P, 0x01010101);
	p32(&P, 222);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "v9: template replaced between two data sets of one message");
	ok(S.r[0].bytes == 111 && S.r[0].src_port == 1, "v9: first set decoded with the old layout");
	ok(S.r[1].bytes == 222 && is_v4(&S.r[1].src_addr, 1, 1, 1, 1) &&
	   is_v4(&S.r[1].dst_addr, 2, 2, 2, 2) && !(S.r[1].present & NF_HAS_SRC_PORT),
	   "v9: second set decoded with the new layout");
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 2, "v9: replacement counted as learned");

	/* same template id, other exporter, other layout */
	v9_header(&P, 2, 100000, T0, 0, 1);
	tset(&P, 256, T4_N, T4);
	s = set_begin(&P, 256);
	rec4(&P, 0x03030303, 0x04040404, 1, 2, 6, 333, 1, 99000, 99000);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex2, NOW, &S), 1, "v9: exporter 2 with template 256 (layout A)");
	v9_header(&P, 1, 100000, T0, 1, 1);
	s = set_begin(&P, 256);
	p32(&P, 0x02020202);
	p32(&P, 0x01010101);
	p32(&P, 444);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "v9: exporter 1 still decodes its layout B");
	is(S.r[0].bytes, 444, "v9: exporter 1 value");
	v9_header(&P, 1, 100000, T0, 1, 1);
	s = set_begin(&P, 256);
	rec4(&P, 0x03030303, 0x04040404, 1, 2, 6, 555, 1, 99000, 99000);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex2, NOW, &S), 1, "v9: exporter 2 still decodes its layout A");
	ok(S.r[0].bytes == 555 && S.r[0].src_port == 1, "v9: exporter 2 value");

	/* same exporter, other source id: separate template space */
	v9_header(&P, 1, 100000, T0, 0, 2);
	s = set_begin(&P, 256);
	p32(&P, 1);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 0, "v9: template of source id 1 not used for source id 2");
	nf_decoder_destroy(d);
}

static void
t_v9_events(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_decoder *d2;
	nf_addr		ex = addr4(127, 0, 0, 13);
	evlog		l;
	size_t		tpos;
	size_t		s;
	uint8_t		wire[256];
	size_t		wire_len;

	memset(&l, 0, sizeof(l));
	nf_decoder_on_template(d, ev_cb, &l);
	v9_header(&P, 1, 100000, T0, 0, 5);
	tpos = P.n + 4;
	tset(&P, 256, T4_N, T4);
	wire_len = P.n - tpos;
	memcpy(wire, P.b + tpos, wire_len);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 1, "v9 events: learn fires one event");
	ok(l.ev[0].template_id == 256 && !l.ev[0].withdrawn && !l.ev[0].is_options &&
	   l.ev[0].version == 9 && l.ev[0].obs_domain == 5 && is_v4(&l.ev[0].exporter, 127, 0, 0, 13),
	   "v9 events: event identifies the template");
	ok(l.ev[0].raw_len == wire_len && memcmp(l.raw[0], wire, wire_len) == 0,
	   "v9 events: raw is the template record as on the wire");

	v9_header(&P, 1, 101000, T0 + 1, 1, 5);
	tset(&P, 256, T4_N, T4);
	decode_exact(d, &P, &ex, NOW, &S);
	is(l.n, 1, "v9 events: identical refresh fires no event");
	is(ctr(d, NF_CTR_TEMPLATES_LEARNED), 1, "v9 events: refresh not counted as learned");

	/* a fresh decoder reloads the template and decodes data with it */
	d2 = nf_decoder_create(NULL);
	ok(!nf_decoder_load_template(d2, &ex, 5, 9, 256, false, wire, wire_len - 1),
	   "v9 reload: truncated raw refused");
	ok(!nf_decoder_load_template(d2, &ex, 5, 9, 300, false, wire, wire_len),
	   "v9 reload: raw with another template id refused");
	ok(nf_decoder_load_template(d2, &ex, 5, 9, 256, false, wire, wire_len),
	   "v9 reload: saved raw accepted");
	v9_header(&P, 1, 102000, T0 + 2, 2, 5);
	s = set_begin(&P, 256);
	rec4(&P, 1, 2, 3, 4, 6, 777, 7, 101000, 101500);
	set_end(&P, s);
	is(decode_exact(d2, &P, &ex, NOW, &S), 1, "v9 reload: data decoded with the reloaded template");
	is(S.r[0].bytes, 777, "v9 reload: value");
	nf_decoder_destroy(d2);

	/* exporter restart: sysUptime goes back from 102 s to 3 s */
	v9_header(&P, 1, 3000, T0 + 3, 0, 5);
	s = set_begin(&P, 256);
	rec4(&P, 1, 2, 3, 4, 6, 888, 8, 2000, 2500);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 0, "v9 restart: data with a pre-restart template id is not decoded with the old layout");
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "v9 restart: exporter reset counted");
	is(ctr(d, NF_CTR_TEMPLATES_WITHDRAWN), 1, "v9 restart: templates invalidated");
	ok(l.n == 2 && l.ev[1].withdrawn && l.ev[1].template_id == 256 && l.ev[1].raw == NULL,
	   "v9 restart: withdrawal event fired");
	is(ctr(d, NF_CTR_PENDING_BUFFERED), 1, "v9 restart: data kept until the template is re-sent");
	v9_header(&P, 1, 4000, T0 + 4, 1, 5);
	tset(&P, 256, T4_N, T4);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "v9 restart: re-sent template decodes the kept data");
	is(S.r[0].bytes, 888, "v9 restart: value");
	nf_decoder_destroy(d);
}

static void
t_v9_sequence(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 14);

	v9_header(&P, 0, 100000, T0, 10, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	v9_header(&P, 0, 100100, T0, 11, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 0, "v9 seq: consecutive packets");
	v9_header(&P, 0, 100200, T0, 14, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_GAPS), 1, "v9 seq: gap");
	is(ctr(d, NF_CTR_SEQ_LOST), 2, "v9 seq: counts lost export packets");
	v9_header(&P, 0, 100150, T0, 13, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_SEQ_REORDERED), 1, "v9 seq: late packet reordered, not a restart");
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 0, "v9 seq: small uptime step back is no restart");
	v9_header(&P, 0, 100300, T0, 1000000, 1);
	decode_exact(d, &P, &ex, NOW, &S);
	v9_header(&P, 0, 100400, T0, 5, 1);	/* far back: sequence reset */
	decode_exact(d, &P, &ex, NOW, &S);
	is(ctr(d, NF_CTR_EXPORTER_RESETS), 1, "v9 seq: sequence reset detected");
	nf_decoder_destroy(d);
}

static void
t_v9_sampling(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 15);
	nf_addr		ex2 = addr4(127, 0, 0, 16);
	static const uint16_t TD[] = {8, 4, 1, 4, 48, 1};
	static const uint16_t TN[] = {8, 4, 1, 4};
	size_t		s;

	/* options template 300: scope System(1)/4; options 48/1, 49/1, 50/4 */
	v9_header(&P, 4, 100000, T0, 0, 1);
	s = set_begin(&P, 1);
	p16(&P, 300);
	p16(&P, 4);
	p16(&P, 12);
	p16(&P, 1);
	p16(&P, 4);
	p16(&P, 48);
	p16(&P, 1);
	p16(&P, 49);
	p16(&P, 1);
	p16(&P, 50);
	p16(&P, 4);
	p16(&P, 0);					/* padding */
	set_end(&P, s);
	s = set_begin(&P, 300);
	p32(&P, 0);
	p8(&P, 5);
	p8(&P, 2);
	p32(&P, 512);
	set_end(&P, s);
	tset(&P, 256, 3, TD);
	tset(&P, 257, 2, TN);
	s = set_begin(&P, 256);
	p32(&P, 1);
	p32(&P, 10);
	p8(&P, 5);
	p32(&P, 2);
	p32(&P, 20);
	p8(&P, 7);
	set_end(&P, s);
	s = set_begin(&P, 257);
	p32(&P, 3);
	p32(&P, 30);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 3, "v9 sampling: options record is not a flow");
	is(ctr(d, NF_CTR_OPTIONS_RECORDS), 1, "v9 sampling: options record counted");
	is(S.r[0].sampling_interval, 512, "v9 sampling: record with sampler id 5 -> 512");
	is(S.r[0].bytes, 10, "v9 sampling: counters stay raw");
	is(S.r[1].sampling_interval, 0, "v9 sampling: unknown sampler id -> 0");
	is(S.r[2].sampling_interval, 0, "v9 sampling: no sampler id on a sampling exporter -> 0");

	/* exporter-wide: options without a sampler id (34 + 35) */
	v9_header(&P, 3, 100000, T0, 1, 1);
	s = set_begin(&P, 1);
	p16(&P, 301);
	p16(&P, 4);
	p16(&P, 8);
	p16(&P, 1);
	p16(&P, 4);
	p16(&P, 34);
	p16(&P, 4);
	p16(&P, 35);
	p16(&P, 1);
	p16(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 301);
	p32(&P, 0);
	p32(&P, 1000);
	p8(&P, 1);
	pzero(&P, 3);				/* padding */
	set_end(&P, s);
	s = set_begin(&P, 257);
	p32(&P, 3);
	p32(&P, 30);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "v9 sampling: exporter-wide options");
	is(S.r[0].sampling_interval, 1000, "v9 sampling: exporter-wide interval applies");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 0, "v9 sampling: padding after options record is not an error");

	/* another exporter never announced sampling */
	v9_header(&P, 2, 100000, T0, 0, 1);
	tset(&P, 257, 2, TN);
	s = set_begin(&P, 257);
	p32(&P, 3);
	p32(&P, 30);
	set_end(&P, s);
	decode_exact(d, &P, &ex2, NOW, &S);
	is(S.r[0].sampling_interval, 1, "v9 sampling: unsampled exporter -> 1");
	nf_decoder_destroy(d);
}

static void
t_v9_reduced(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 17);
	static const uint16_t TR[] = {
		1, 8, 2, 1, 10, 4, 14, 2, 16, 2, 17, 4, 999, 3, 85, 2, 7, 2
	};
	static const uint16_t TR2[] = {1, 2, 2, 4, 10, 1, 16, 4, 17, 2};
	size_t		s;

	v9_header(&P, 4, 100000, T0, 0, 1);
	tset(&P, 256, 9, TR);
	tset(&P, 257, 5, TR2);
	s = set_begin(&P, 256);
	p64(&P, 0x0000000100000002ull);
	p8(&P, 200);
	p32(&P, 70000);
	p16(&P, 65535);
	p16(&P, 65000);
	p32(&P, 4000000000u);
	p8(&P, 0xAA);				/* unknown element 999, 3 bytes */
	p8(&P, 0xBB);
	p8(&P, 0xCC);
	p16(&P, 9);					/* total bytes: ignored, delta present */
	p16(&P, 8080);
	p8(&P, 0);					/* 3 bytes padding */
	p8(&P, 0);
	p8(&P, 0);
	set_end(&P, s);
	s = set_begin(&P, 257);
	p16(&P, 1500);
	p32(&P, 3000000000u);
	p8(&P, 12);
	p32(&P, 65536);
	p16(&P, 100);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "v9 reduced: 2 records");
	is(S.r[0].bytes, 0x0000000100000002ull, "v9 reduced: 8-byte bytes");
	is(S.r[0].packets, 200, "v9 reduced: 1-byte packets widened");
	is(S.r[0].input_if, 70000, "v9 reduced: 4-byte ifIndex");
	is(S.r[0].output_if, 65535, "v9 reduced: 2-byte ifIndex");
	is(S.r[0].src_as, 65000, "v9 reduced: 2-byte AS");
	is(S.r[0].dst_as, 4000000000u, "v9 reduced: 4-byte AS");
	is(S.r[0].src_port, 8080, "v9 reduced: field after an unknown element");
	is(ctr(d, NF_CTR_DROP_BAD_RECORD), 0, "v9 reduced: padding at set end is not an error");
	is(S.r[1].bytes, 1500, "v9 reduced: 2-byte bytes");
	is(S.r[1].packets, 3000000000u, "v9 reduced: 4-byte packets");
	is(S.r[1].input_if, 12, "v9 reduced: 1-byte ifIndex");
	is(S.r[1].dst_as, 100, "v9 reduced: 2-byte dst AS");
	ok((S.r[1].flags & NF_FLAG_TIME_FROM_RECEIVE) && S.r[1].time_start == NOW &&
	   S.r[1].time_end == NOW, "v9: no time fields -> receive time and flag");
	nf_decoder_destroy(d);
}

static void
t_v9_misc(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 18);
	static const uint16_t TM[] = {
		56, 6, 80, 6, 58, 2, 59, 2, 243, 2, 32, 2, 18, 4, 85, 4, 86, 4,
		136, 1, 4, 1, 81, 6, 57, 6
	};
	static const uint16_t TM2[] = {81, 6, 57, 6, 176, 1, 177, 1, 254, 2, 59, 2};
	static const uint8_t mac1[6] = {0, 1, 2, 3, 4, 5};
	static const uint8_t mac2[6] = {6, 7, 8, 9, 10, 11};
	static const uint8_t mac3[6] = {12, 13, 14, 15, 16, 17};
	size_t		s;
	const nf_flow_record *r;

	v9_header(&P, 4, 100000, T0, 0, 1);
	tset(&P, 256, 13, TM);
	tset(&P, 257, 6, TM2);
	s = set_begin(&P, 256);
	pbytes(&P, mac1, 6);
	pbytes(&P, mac2, 6);
	p16(&P, 10);
	p16(&P, 20);
	p16(&P, 30);				/* 243 wins over 58 */
	p16(&P, 0x0301);			/* icmp type 3 code 1 */
	p32(&P, 0xC0000201);		/* bgp next hop, no 15 */
	p32(&P, 4444);				/* total bytes, no delta */
	p32(&P, 44);
	p8(&P, 2);					/* end reason */
	p8(&P, 1);
	pbytes(&P, mac3, 6);		/* post src mac: 56 wins */
	pbytes(&P, mac3, 6);
	set_end(&P, s);
	s = set_begin(&P, 257);
	pbytes(&P, mac3, 6);
	pbytes(&P, mac1, 6);
	p8(&P, 11);
	p8(&P, 0);
	p16(&P, 40);
	p16(&P, 50);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 2, "v9 misc: 2 records");
	r = &S.r[0];
	ok((r->present & NF_HAS_SRC_MAC) && memcmp(r->src_mac, mac1, 6) == 0, "v9 misc: src mac 56");
	ok((r->present & NF_HAS_DST_MAC) && memcmp(r->dst_mac, mac2, 6) == 0, "v9 misc: dst mac 80");
	ok((r->present & NF_HAS_SRC_VLAN) && r->src_vlan == 30, "v9 misc: 243 dot1qVlanId preferred for src vlan");
	ok((r->present & NF_HAS_DST_VLAN) && r->dst_vlan == 20, "v9 misc: 59 postVlanId -> dst vlan");
	ok((r->present & NF_HAS_ICMP_TYPE) && r->icmp_type == 3 && r->icmp_code == 1, "v9 misc: icmp type/code from 32");
	ok(is_v4(&r->next_hop, 192, 0, 2, 1), "v9 misc: bgp next hop used when 15 absent");
	is(r->bytes, 4444, "v9 misc: octetTotalCount used when delta absent");
	is(r->packets, 44, "v9 misc: packetTotalCount used when delta absent");
	ok((r->present & NF_HAS_END_REASON) && r->end_reason == 2, "v9 misc: flowEndReason");
	r = &S.r[1];
	ok((r->present & NF_HAS_SRC_MAC) && memcmp(r->src_mac, mac3, 6) == 0, "v9 misc: 81 post src mac when 56 absent");
	ok((r->present & NF_HAS_DST_MAC) && memcmp(r->dst_mac, mac1, 6) == 0, "v9 misc: 57 post dst mac when 80 absent");
	ok((r->present & NF_HAS_ICMP_TYPE) && r->icmp_type == 11 && r->icmp_code == 0, "v9 misc: icmp from 176/177");
	ok(r->dst_vlan == 40 && !(r->present & NF_HAS_SRC_VLAN), "v9 misc: 254 preferred over 59 for dst vlan");
	ok(r->next_hop.family == NF_AF_NONE, "v9 misc: absent next hop stays NONE");
	nf_decoder_destroy(d);
}

/* exporter listing collector */
typedef struct explist
{
	int			n;
	nf_exporter_info info[8];
} explist;

static void
exp_cb(void *arg, const nf_exporter_info *info)
{
	explist    *l = arg;

	if (l->n < 8)
		l->info[l->n] = *info;
	l->n++;
}

static void
t_v9_exporters(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 19);
	explist		l;
	size_t		s;

	v9_header(&P, 2, 100000, T0, 0, 3);
	tset(&P, 256, T4_N, T4);
	s = set_begin(&P, 256);
	rec4(&P, 1, 2, 1, 2, 6, 100, 1, 99000, 99000);
	set_end(&P, s);
	decode_exact(d, &P, &ex, NOW, &S);
	v9_header(&P, 1, 100100, T0, 3, 3);
	s = set_begin(&P, 400);
	p32(&P, 0);
	set_end(&P, s);
	decode_exact(d, &P, &ex, NOW + 5, &S);
	{
		nf_addr		mapped;

		/* the same exporter seen through a dual-stack socket */
		memset(&mapped, 0, sizeof(mapped));
		mapped.family = NF_AF_INET6;
		mapped.a[10] = 0xff;
		mapped.a[11] = 0xff;
		mapped.a[12] = 127;
		mapped.a[15] = 19;
		v9_header(&P, 1, 100200, T0, 4, 3);
		s = set_begin(&P, 256);
		rec4(&P, 1, 2, 1, 2, 6, 100, 1, 99000, 99000);
		set_end(&P, s);
		is(decode_exact(d, &P, &mapped, NOW + 5, &S), 1, "exporters: IPv4-mapped IPv6 exporter is the IPv4 exporter");
		ok(is_v4(&S.r[0].exporter, 127, 0, 0, 19), "exporters: record exporter normalized to IPv4");
	}
	memset(&l, 0, sizeof(l));
	nf_decoder_exporters(d, exp_cb, &l);
	is(l.n, 1, "exporters: one (exporter, domain)");
	ok(is_v4(&l.info[0].exporter, 127, 0, 0, 19) && l.info[0].obs_domain == 3 &&
	   l.info[0].version == 9, "exporters: identity");
	is(l.info[0].datagrams, 3, "exporters: datagrams");
	is(l.info[0].flows, 2, "exporters: flows");
	is(l.info[0].seq_gaps, 1, "exporters: gaps");
	is(l.info[0].seq_lost, 2, "exporters: lost packets");
	is(l.info[0].templates, 1, "exporters: templates cached");
	is_i(l.info[0].first_seen, NOW, "exporters: first seen");
	is_i(l.info[0].last_seen, NOW + 5, "exporters: last seen");
	ok(l.info[0].pending_bytes >= 4, "exporters: pending bytes");
	is(l.info[0].sampling_interval, 1, "exporters: unsampled");
	nf_decoder_destroy(d);
}

static void
t_v9_abs_times(void)
{
	nf_decoder *d = nf_decoder_create(NULL);
	nf_addr		ex = addr4(127, 0, 0, 20);
	static const uint16_t TA[] = {22, 4, 21, 4, 152, 8, 153, 8, 1, 4};
	size_t		s;

	v9_header(&P, 2, 100000, T0, 0, 1);
	tset(&P, 256, 5, TA);
	s = set_begin(&P, 256);
	p32(&P, 1);					/* sysUptime values: less precise here */
	p32(&P, 2);
	p64(&P, (uint64_t) T0 * 1000 - 4321);
	p64(&P, (uint64_t) T0 * 1000 - 1234);
	p32(&P, 9);
	set_end(&P, s);
	is(decode_exact(d, &P, &ex, NOW, &S), 1, "v9 abs times: 1 record");
	is_i(S.r[0].time_start, US(T0) - 4321000, "v9 abs times: flowStartMilliseconds preferred over 22");
	is_i(S.r[0].time_end, US(T0) - 1234000, "v9 abs times: flowEndMilliseconds preferred over 21");
	nf_decoder_destroy(d);
}

void
test_v9(void)
{
	t_v9_fields();
	t_v9_mixed();
	t_v9_pending();
	t_v9_replace();
	t_v9_events();
	t_v9_sequence();
	t_v9_sampling();
	t_v9_reduced();
	t_v9_misc();
	t_v9_exporters();
	t_v9_abs_times();
}
