/*-------------------------------------------------------------------------
 *
 * bench_decode.c
 *	  Decode throughput per protocol over synthetic datagrams: v5 with 30
 *	  records, v9 and IPFIX with a typical 20-field IPv4 template and 30
 *	  records per datagram.  Prints "decode <proto>: N flows/s" (one core)
 *	  and, measured in the same run as a baseline, how many records per
 *	  second a plain memcpy of the same datagrams moves, with the ratio.
 *
 *	  Usage: bench_decode [seconds per protocol, default 1] [v5|v9|ipfix]
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
