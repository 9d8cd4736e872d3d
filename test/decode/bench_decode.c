/*-------------------------------------------------------------------------
 *
 * bench_decode.c
 *	  Decode throughput per protocol over synthetic datagrams: v5 with 30
 *	  records, v9 and IPFIX with a typical 20-field IPv4 template and 30
 *	  records per datagram.  Prints "decode <proto>: N flows/s" (one core)
 *	  and, measured in the same run as a baseline, how many records per
 *	  second a plain memcpy of the same datagrams moves, with the ratio.
 *
 *	  With "hostile", it measures instead the two datagram shapes of issue 10
 *	  (defect 12) that made decode cost grow with state, not with input: a
 *	  64 KB datagram of data sets whose template sits behind 2,000 others
 *	  with ids colliding in one hash chain, and data sets of a template
 *	  loaded from saved state while 1,024 sets wait for another id; a
 *	  message of withdraw-all-options records over 2,000 data templates.
 *	  Prints microseconds per datagram for each and for a plain one.
 *
 *	  Usage: bench_decode [seconds per protocol, default 1] [v5|v9|ipfix|hostile]
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decoder.h"
#include "pkt.h"

#define NREC 30
#define T0 1795651200u

static pkt	P;
static volatile uint64_t sum;

/* Consume a record so the work cannot be optimized away. */
static void
bench_emit(void *arg, const nf_flow_record *r)
{
	(void) arg;
	sum += r->bytes + r->src_port;
}

/* Monotonic time in seconds. */
static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A typical IPv4 template: 20 fields, 57 bytes per record. */
static const uint16_t TT[] = {
	8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 6, 1, 5, 1, 1, 8, 2, 8, 10, 4, 14, 4,
	16, 4, 17, 4, 9, 1, 13, 1, 15, 4, 61, 1, 136, 1, 152, 8, 153, 8
};
#define TT_N 20

/* One record of TT (v9 uses 22/21 instead of 152/153: same sizes differ). */
static void
rec(pkt *p, int i, int v9)
{
	p32(p, 0x0A000000u + (uint32_t) i);
	p32(p, 0xC0A80000u + (uint32_t) i * 7);
	p16(p, (uint16_t) (1024 + i));
	p16(p, 443);
	p8(p, 6);
	p8(p, 0x18);
	p8(p, 0);
	p64(p, 1500u * (uint64_t) (i + 1));
	p64(p, (uint64_t) i + 1);
	p32(p, 3);
	p32(p, 4);
	p32(p, 65001);
	p32(p, 65002);
	p8(p, 24);
	p8(p, 24);
	p32(p, 0x0A0000FE);
	p8(p, 0);
	p8(p, 1);
	if (v9)
	{
		p32(p, 99000);
		p32(p, 99900);
	}
	else
	{
		p64(p, (uint64_t) T0 * 1000 - 1000);
		p64(p, (uint64_t) T0 * 1000 - 100);
	}
}

/* The exporter all benchmark datagrams come from. */
static nf_addr
bench_exporter(void)
{
	return addr4(127, 0, 0, 1);
}

/*
 * Baseline: copy 'p' repeatedly for 'secs' seconds into a buffer, as the
 * cheapest thing a decoder could do with it; returns records/s.
 */
static double
run_memcpy(const pkt *p, double secs, int records)
{
	static uint8_t dst[PKT_MAX];
	double		start;
	double		el;
	uint64_t	n = 0;
	int			i;

	start = now_s();
	do
	{
		for (i = 0; i < 1000; i++)
		{
			memcpy(dst, p->b, p->n);
			/* keep the copy observable */
			sum += dst[(size_t) i % p->n];
			n += (uint64_t) records;
		}
		el = now_s() - start;
	} while (el < secs);
	return n / el;
}

/* Print the result of one protocol with its same-run baseline. */
static void
report(const char *proto, double flows, double base)
{
	printf("decode %s: %.0f flows/s\n", proto, flows);
	printf("baseline %s: %.0f records/s (memcpy of the same datagrams)\n",
		   proto, base);
	printf("ratio %s: decode = %.3f x memcpy\n", proto,
		   base > 0 ? flows / base : 0.0);
}

/* Decode 'p' repeatedly for 'secs' seconds; returns flows/s. */
static double
run(nf_decoder *d, pkt *p, double secs, size_t seq_off, uint32_t seq_step)
{
	nf_addr		ex = bench_exporter();
	double		start;
	double		el;
	uint64_t	flows = 0;
	uint32_t	seq = 0;
	int			i;

	start = now_s();
	do
	{
		for (i = 0; i < 1000; i++)
		{
			int			n;

			p->b[seq_off] = (uint8_t) (seq >> 24);
			p->b[seq_off + 1] = (uint8_t) (seq >> 16);
			p->b[seq_off + 2] = (uint8_t) (seq >> 8);
			p->b[seq_off + 3] = (uint8_t) seq;
			seq += seq_step;
			n = nf_decode(d, p->b, p->n, &ex, 0, bench_emit, NULL);
			if (n > 0)
				flows += (uint64_t) n;
		}
		el = now_s() - start;
	} while (el < secs);
	return flows / el;
}

/* Microseconds per decode of 'p' (a fixed datagram) over 'secs'. */
static double
us_per_datagram(nf_decoder *d, const pkt *p, double secs)
{
	nf_addr		ex = bench_exporter();
	double		start = now_s();
	double		el;
	uint64_t	n = 0;

	do
	{
		int			i;

		for (i = 0; i < 10; i++)
			(void) nf_decode(d, p->b, p->n, &ex, 0, bench_emit, NULL);
		n += 10;
		el = now_s() - start;
	} while (el < secs);
	return el * 1e6 / (double) n;
}

/* A v9 datagram of as many 8-byte data sets for 'tid' as fit in 64 KB. */
static void
many_small_sets(pkt *p, uint16_t tid)
{
	v9_header(p, 0, 100000, T0, 0, 1);
	while (p->n + 12 <= 65000)
	{
		size_t		s = set_begin(p, tid);

		p32(p, 0x0A000001u);
		p32(p, 100);
		set_end(p, s);
	}
}

/* The hostile datagram shapes of issue 10, defect 12 (see the header). */
static void
bench_hostile(double secs)
{
	static const uint16_t T[] = {8, 4, 1, 4};
	static const uint8_t raw[] = {1, 0, 0, 2, 0, 8, 0, 4, 0, 1, 0, 4};
	nf_addr		ex = bench_exporter();
	nf_decoder *d;
	size_t		s;
	int			k;

	/* 1: a plain stream, one template */
	d = nf_decoder_create(NULL);
	v9_header(&P, 0, 100000, T0, 0, 1);
	s = set_begin(&P, 0);
	tmpl_rec(&P, 256, 2, T);
	set_end(&P, s);
	nf_decode(d, P.b, P.n, &ex, 0, NULL, NULL);
	many_small_sets(&P, 256);
	printf("hostile baseline (1 template): %.1f us per 64 KB datagram\n",
		   us_per_datagram(d, &P, secs));
	nf_decoder_destroy(d);

	/* 2: template 256 behind 2,000 others whose ids collide mod 32 */
	d = nf_decoder_create(NULL);
	for (k = 0; k < 2000; k += 500)
	{
		int			j;

		v9_header(&P, 0, 100000, T0, 0, 1);
		s = set_begin(&P, 0);
		for (j = 0; j < 500; j++)
			tmpl_rec(&P, (uint16_t) (256 + 32 * (k + j)), 2, T);
		set_end(&P, s);
		nf_decode(d, P.b, P.n, &ex, 0, NULL, NULL);
	}
	many_small_sets(&P, 256);
	printf("hostile template chain (2,000 colliding ids): %.1f us per 64 KB datagram\n",
		   us_per_datagram(d, &P, secs));
	nf_decoder_destroy(d);

	/* 3: 1,024 sets wait for id 320 while data of loaded template 256 arrives */
	d = nf_decoder_create(NULL);
	(void) nf_decoder_load_template(d, &ex, 1, 9, 256, false, raw, sizeof(raw));
	for (k = 0; k < 1024; k++)
	{
		v9_header(&P, 0, 100000, T0, 0, 1);
		s = set_begin(&P, 320);
		p32(&P, 1);
		p32(&P, 2);
		set_end(&P, s);
		nf_decode(d, P.b, P.n, &ex, 0, NULL, NULL);
	}
	many_small_sets(&P, 256);
	printf("hostile pending scan (1,024 waiting sets): %.1f us per 64 KB datagram\n",
		   us_per_datagram(d, &P, secs));
	nf_decoder_destroy(d);

	/* 4: IPFIX, 2,000 data templates, then withdraw-all-options records */
	d = nf_decoder_create(NULL);
	for (k = 0; k < 2000; k += 500)
	{
		int			j;

		ipfix_header(&P, T0, 0, 1);
		s = set_begin(&P, 2);
		for (j = 0; j < 500; j++)
			tmpl_rec(&P, (uint16_t) (256 + 32 * (k + j)), 2, T);
		set_end(&P, s);
		ipfix_finish(&P);
		nf_decode(d, P.b, P.n, &ex, 0, NULL, NULL);
	}
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 3);
	while (P.n + 4 <= 65000)
	{
		p16(&P, 3);
		p16(&P, 0);
	}
	set_end(&P, s);
	ipfix_finish(&P);
	printf("hostile withdraw-all-options over 2,000 data templates: %.1f us per 64 KB datagram\n",
		   us_per_datagram(d, &P, secs));
	nf_decoder_destroy(d);
}

int
main(int argc, char **argv)
{
	double		secs = argc > 1 ? atof(argv[1]) : 1.0;
	nf_decoder *d;
	size_t		s;
	int			i;
	uint16_t	t9[2 * TT_N];
	const char *only;

	if (secs <= 0)
		secs = 1.0;
	only = argc > 2 ? argv[2] : NULL;
	if (only && strcmp(only, "hostile") == 0)
	{
		bench_hostile(secs);
		return 0;
	}

	/* v5 */
	if (only && strcmp(only, "v5") != 0)
		goto v9;
	d = nf_decoder_create(NULL);
	v5_header(&P, NREC, 100000, T0, 0, 0, 0, 0, 0);
	for (i = 0; i < NREC; i++)
	{
		p32(&P, 0x0A000000u + (uint32_t) i);
		p32(&P, 0xC0A80001u);
		p32(&P, 0);
		p16(&P, 1);
		p16(&P, 2);
		p32(&P, 10);
		p32(&P, 1500);
		p32(&P, 99000);
		p32(&P, 99900);
		p16(&P, (uint16_t) (1024 + i));
		p16(&P, 443);
		p8(&P, 0);
		p8(&P, 0x18);
		p8(&P, 6);
		p8(&P, 0);
		p16(&P, 1);
		p16(&P, 2);
		p8(&P, 24);
		p8(&P, 24);
		p16(&P, 0);
	}
	report("v5", run(d, &P, secs, 16, NREC), run_memcpy(&P, secs, NREC));
	nf_decoder_destroy(d);

v9:
	/* v9: template once, then data-only datagrams */
	if (only && strcmp(only, "v9") != 0)
		goto ipfix;
	for (i = 0; i < 2 * TT_N; i++)
		t9[i] = TT[i];
	t9[2 * 18] = 22;
	t9[2 * 18 + 1] = 4;
	t9[2 * 19] = 21;
	t9[2 * 19 + 1] = 4;
	d = nf_decoder_create(NULL);
	v9_header(&P, 1, 100000, T0, 0, 1);
	s = set_begin(&P, 0);
	tmpl_rec(&P, 256, TT_N, t9);
	set_end(&P, s);
	{
		nf_addr		ex = bench_exporter();

		nf_decode(d, P.b, P.n, &ex, 0, NULL, NULL);
	}
	v9_header(&P, NREC, 100000, T0, 1, 1);
	s = set_begin(&P, 256);
	for (i = 0; i < NREC; i++)
		rec(&P, i, 1);
	set_end(&P, s);
	report("v9", run(d, &P, secs, 12, 1), run_memcpy(&P, secs, NREC));
	nf_decoder_destroy(d);

ipfix:
	/* IPFIX */
	if (only && strcmp(only, "ipfix") != 0)
		return 0;
	d = nf_decoder_create(NULL);
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 2);
	tmpl_rec(&P, 256, TT_N, TT);
	set_end(&P, s);
	ipfix_finish(&P);
	{
		nf_addr		ex = bench_exporter();

		nf_decode(d, P.b, P.n, &ex, 0, NULL, NULL);
	}
	ipfix_header(&P, T0, 0, 1);
	s = set_begin(&P, 256);
	for (i = 0; i < NREC; i++)
		rec(&P, i, 0);
	set_end(&P, s);
	ipfix_finish(&P);
	report("ipfix", run(d, &P, secs, 8, NREC), run_memcpy(&P, secs, NREC));
	nf_decoder_destroy(d);
	return 0;
}
