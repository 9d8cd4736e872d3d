/*-------------------------------------------------------------------------
 *
 * bench_selective.c
 *	  Microbenchmark of row-selective decoding (nfc_decode_cols_sel) against
 *	  a full decode (nfc_decode_cols) of one batch of flow-like rows: 30
 *	  columns (times relative to each other, addresses, ports, counters,
 *	  interfaces, MACs, NULLs) of 10,000 rows, decoded many times into one
 *	  reused NfcBatch, for selections of a few rows to every row.  Not run
 *	  by make check (timings are not assertions):
 *	    make -C test/storage bench-selective
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "batch_codec.h"
#include "xorshift64.h"

#define NROWS 10000
#define NCOLS 30

static uint8_t nul[NCOLS][NROWS];
static int64_t val[NCOLS][NROWS];
static uint8_t str[NCOLS][NROWS][18];
static uint8_t slen[NCOLS][NROWS];
static const uint8_t *sp[NCOLS][NROWS];
static int	kind[NCOLS];
static int	refs[NCOLS];
static uint32_t sel[NROWS];

static uint64_t rng = 0x2545F4914F6CDD1DULL;

/* Deterministic pseudo-random numbers (xorshift64.h). */
static uint64_t
rnd(void)
{
	return xorshift64(&rng);
}

/* An inet value into column c, row i: IPv4 from a pool of pool addresses. */
static void
inet4(int c, uint32_t i, uint32_t pool)
{
	uint32_t	a = (uint32_t) (rnd() % pool);

	str[c][i][0] = 2;
	str[c][i][1] = 32;
	str[c][i][2] = 10;
	str[c][i][3] = (uint8_t) (a >> 16);
	str[c][i][4] = (uint8_t) (a >> 8);
	str[c][i][5] = (uint8_t) a;
	slen[c][i] = 6;
}

/* Fill the batch: flow-like columns, one in ten nullable values NULL. */
static void
fill(void)
{
	int64_t		t = 847000000000000LL;

	for (int c = 0; c < NCOLS; c++)
	{
		kind[c] = NFC_KIND_INT;
		refs[c] = -1;
	}
	kind[3] = kind[6] = kind[7] = kind[20] = kind[27] = kind[28] = NFC_KIND_BYTES;
	refs[1] = 0;
	refs[2] = 1;
	for (uint32_t i = 0; i < NROWS; i++)
	{
		t += (int64_t) (rnd() % 3000) * 1000;
		val[0][i] = t;
		val[1][i] = t + (int64_t) (rnd() % 60000) * 1000;
		val[2][i] = val[1][i] + (int64_t) (rnd() % 5000) * 1000;
		inet4(3, i, 4);			/* exporter */
		val[4][i] = (int64_t) (rnd() % 3);	/* observation domain */
		val[5][i] = 9;			/* version */
		inet4(6, i, 5000);		/* src_addr */
		inet4(7, i, 20000);		/* dst_addr */
		val[8][i] = (int64_t) (1024 + rnd() % 60000);	/* src_port */
		val[9][i] = (int64_t) (rnd() % 4 ? 443 : rnd() % 65536);
		val[10][i] = rnd() % 3 ? 6 : 17;
		val[11][i] = (int64_t) (rnd() % 64);
		val[12][i] = (int64_t) (rnd() % 4) * 32;
		val[13][i] = (int64_t) (1 + rnd() % 1000);	/* packets */
		val[14][i] = val[13][i] * (int64_t) (40 + rnd() % 1460);	/* bytes */
		val[15][i] = 1;
		val[16][i] = (int64_t) (rnd() % 48);
		val[17][i] = (int64_t) (rnd() % 48);
		val[18][i] = (int64_t) (rnd() % 65000);
		val[19][i] = (int64_t) (rnd() % 65000);
		inet4(20, i, 16);		/* next_hop */
		val[21][i] = (int64_t) (rnd() % 33);
		val[22][i] = (int64_t) (rnd() % 33);
		val[23][i] = (int64_t) (rnd() % 2);
		val[24][i] = (int64_t) (rnd() % 4096);
		val[25][i] = (int64_t) (rnd() % 4096);
		val[26][i] = (int64_t) (rnd() % 6);
		for (int k = 0; k < 6; k++)
		{
			str[27][i][k] = (uint8_t) (k < 4 ? 0x52 : rnd() % 16);
			str[28][i][k] = (uint8_t) (k < 4 ? 0x54 : rnd() % 16);
		}
		slen[27][i] = slen[28][i] = 6;
		val[29][i] = (int64_t) (rnd() % 8);
		for (int c = 0; c < NCOLS; c++)
		{
			nul[c][i] = c > 2 && c != 6 && c != 7 && rnd() % 10 == 0;
			sp[c][i] = str[c][i];
		}
	}
}

/* Seconds of a monotonic clock. */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run the benchmark. */
int
main(int argc, char **argv)
{
	NfcColumnIn in[NCOLS];
	uint8_t    *buf;
	size_t		len;
	NfcBatch	b;
	char		err[200];
	int			iters = argc > 1 ? atoi(argv[1]) : 300;
	static const uint32_t counts[] = {1, 27, 100, 300, 1250, 2500, 5000, NROWS};
	double		full;

	fill();
	for (int c = 0; c < NCOLS; c++)
	{
		in[c].kind = kind[c];
		in[c].isnull = nul[c];
		in[c].ints = val[c];
		in[c].bytes = sp[c];
		in[c].lens = slen[c];
	}
	if (nfc_encode_ref(NCOLS, NROWS, in, refs, 3, &buf, &len) != 0)
	{
		fprintf(stderr, "encoding failed\n");
		return 1;
	}
	memset(&b, 0, sizeof(b));
	printf("batch: %d rows, %d columns, %zu bytes; %d decodes each\n",
		   NROWS, NCOLS, len, iters);
	/* warm up, then the full decode */
	for (int k = 0; k < 20; k++)
		nfc_decode_cols(buf, len, NULL, 0, &b, err, sizeof(err));
	{
		double		t0 = now();

		for (int k = 0; k < iters; k++)
			if (nfc_decode_cols(buf, len, NULL, 0, &b, err, sizeof(err)) != 0)
				return 1;
		full = (now() - t0) / iters;
	}
	printf("full decode:               %8.1f us per batch\n", full * 1e6);
	for (size_t s = 0; s < sizeof(counts) / sizeof(counts[0]); s++)
	{
		uint32_t	n = counts[s];
		double		t0,
					t;

		/* n rows spread evenly over the batch */
		for (uint32_t k = 0; k < n; k++)
			sel[k] = (uint32_t) ((uint64_t) k * NROWS / n + (n < NROWS ? rnd() % (NROWS / n) : 0));
		t0 = now();
		for (int k = 0; k < iters; k++)
			if (nfc_decode_cols_sel(buf, len, NULL, 0, sel, n, &b, err, sizeof(err)) != 0)
			{
				fprintf(stderr, "selective decode failed: %s\n", err);
				return 1;
			}
		t = (now() - t0) / iters;
		printf("selective, %5u rows:      %8.1f us per batch (%.2fx the full decode)\n",
			   n, t * 1e6, t / full);
	}
	nfc_batch_free(&b);
	free(buf);
	return 0;
}
