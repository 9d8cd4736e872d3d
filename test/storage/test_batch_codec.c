/*-------------------------------------------------------------------------
 *
 * test_batch_codec.c
 *	  Unit tests of src/storage/batch_codec.c: every encoding round-trips
 *	  (NULLs, extremes of int64, sorted and random data, byte strings of
 *	  0-255 bytes), and corrupt or truncated batches are refused without
 *	  reading out of bounds (ASan/UBSan watch).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "batch_codec.h"
#include "xorshift64.h"
#include "tap.h"

#define NR 3000
#define NC 6

static uint64_t rng = 88172645463325252ULL;

/* Deterministic pseudo-random numbers (xorshift64.h). */
static uint64_t
next_rand(void)
{
	return xorshift64(&rng);
}

static uint8_t nulls[NC][NR];
static int64_t ints[NC][NR];
static uint8_t strs[NR][255];
static const uint8_t *sptr[NR];
static uint8_t slen[NR];

/* Fill the columns: sorted times, small dict, extremes, random, all-NULL, bytes. */
static void
fill(uint32_t n, int null_pct)
{
	for (uint32_t i = 0; i < n; i++)
	{
		for (int c = 0; c < NC; c++)
			nulls[c][i] = (int) (next_rand() % 100) < null_pct;
		ints[0][i] = 1700000000000000LL + (int64_t) i * 1000 + (int64_t) (next_rand() % 50);
		ints[1][i] = (int64_t) (next_rand() % 5) * 443;
		ints[2][i] = (next_rand() & 1) ? INT64_MAX : INT64_MIN;
		ints[3][i] = (int64_t) next_rand();
		nulls[4][i] = 1;
		slen[i] = (uint8_t) (i % 7 == 0 ? (next_rand() % 256) : 18);
		for (int k = 0; k < slen[i]; k++)
			strs[i][k] = (uint8_t) (i % 7 == 0 ? next_rand() : (uint8_t) (k + i % 13));
		sptr[i] = strs[i];
	}
	ints[2][0] = 0;
}

/* Encode the columns with the given zstd level, decode, compare. */
static void
round_trip(uint32_t n, int level, const char *what, uint8_t **keep, size_t *keeplen)
{
	NfcColumnIn in[NC];
	uint8_t    *buf;
	size_t		len;
	NfcBatch	b;
	char		err[128];
	int			same = 1;

	for (int c = 0; c < NC; c++)
	{
		in[c].kind = c == 5 ? NFC_KIND_BYTES : NFC_KIND_INT;
		in[c].isnull = nulls[c];
		in[c].ints = ints[c];
		in[c].bytes = sptr;
		in[c].lens = slen;
	}
	ok(nfc_encode(NC, n, in, level, &buf, &len) == 0, "%s: encodes", what);
	if (nfc_decode(buf, len, &b, err, sizeof(err)) != 0)
	{
		ok(0, "%s: decodes (%s)", what, err);
		free(buf);
		return;
	}
	ok(b.nrows == n && b.ncols == NC, "%s: counts", what);
	for (int c = 0; c < NC; c++)
		for (uint32_t i = 0; i < n; i++)
		{
			if (b.cols[c].isnull[i] != nulls[c][i])
				same = 0;
			else if (nulls[c][i])
				continue;
			else if (c == 5)
			{
				const uint8_t *p = b.cols[c].dict[b.cols[c].idx[i]];
				uint8_t		l = b.cols[c].dictlen[b.cols[c].idx[i]];

				if (l != slen[i] || memcmp(p, strs[i], l) != 0)
					same = 0;
			}
			else if (b.cols[c].ints[i] != ints[c][i])
				same = 0;
		}
	ok(same, "%s: every value and NULL flag reads back", what);
	nfc_batch_free(&b);
	if (keep)
	{
		*keep = buf;
		*keeplen = len;
	}
	else
		free(buf);
}

/*
 * nfc_decode_cols into one reused batch: only the wanted columns decoded,
 * the same values as a full decode, through batches of different sizes,
 * and corrupt copies refused or decoded without a fault into it.
 */
static void
decode_cols_reuse(const uint8_t *big, size_t biglen, const uint8_t *small,
				  size_t smalllen)
{
	NfcBatch	full,
				b;
	char		err[128];
	uint8_t		want[NC] = {0};
	int			same = 1;
	uint8_t    *copy = malloc(biglen);

	memset(&b, 0, sizeof(b));
	want[0] = 1;
	want[5] = 1;
	ok(nfc_decode(big, biglen, &full, err, sizeof(err)) == 0, "reference decode");
	ok(nfc_decode_cols(small, smalllen, NULL, 0, &b, err, sizeof(err)) == 0 &&
	   b.cols[0].decoded && b.cols[1].decoded, "decode_cols: every column of a small batch");
	ok(nfc_decode_cols(big, biglen, want, NC, &b, err, sizeof(err)) == 0 &&
	   b.nrows == full.nrows, "decode_cols: two columns of a large batch into the same arrays");
	ok(b.cols[0].decoded && b.cols[5].decoded && !b.cols[1].decoded && !b.cols[4].decoded,
	   "decode_cols: only the wanted columns are decoded");
	for (uint32_t i = 0; i < b.nrows; i++)
	{
		if (b.cols[0].isnull[i] != full.cols[0].isnull[i] ||
			b.cols[5].isnull[i] != full.cols[5].isnull[i])
			same = 0;
		else if (!b.cols[0].isnull[i] && b.cols[0].ints[i] != full.cols[0].ints[i])
			same = 0;
		else if (!b.cols[5].isnull[i] &&
				 (b.cols[5].dictlen[b.cols[5].idx[i]] != full.cols[5].dictlen[full.cols[5].idx[i]] ||
				  memcmp(b.cols[5].dict[b.cols[5].idx[i]], full.cols[5].dict[full.cols[5].idx[i]],
						 full.cols[5].dictlen[full.cols[5].idx[i]]) != 0))
			same = 0;
	}
	ok(same, "decode_cols: the wanted columns equal a full decode");
	for (int k = 0; k < 5000; k++)
	{
		memcpy(copy, big, biglen);
		for (int f = 0; f < 1 + (int) (next_rand() % 3); f++)
			copy[next_rand() % biglen] ^= (uint8_t) (1 + next_rand() % 255);
		(void) nfc_decode_cols(copy, biglen, k % 2 ? want : NULL, NC, &b, err, sizeof(err));
	}
	ok(nfc_decode_cols(small, smalllen, want, NC, &b, err, sizeof(err)) == 0,
	   "decode_cols: the reused batch decodes again after 5000 corrupt copies");
	nfc_batch_free(&b);
	nfc_batch_free(&full);
	free(copy);
}

/* Every truncation and many byte flips of a valid batch are refused or decode safely. */
static void
corrupt(const uint8_t *buf, size_t len, const char *what)
{
	NfcBatch	b;
	char		err[128];
	int			refused_trunc = 1;
	uint8_t    *copy = malloc(len);
	NfcBatch	sb;
	static uint32_t sel[NR];
	uint32_t	nsel;

	memset(&sb, 0, sizeof(sb));

	for (size_t l = 0; l < len; l += (len > 4000 ? 7 : 1))
	{
		uint8_t    *t = malloc(l ? l : 1);

		memcpy(t, buf, l);
		if (nfc_decode(t, l, &b, err, sizeof(err)) == 0)
		{
			refused_trunc = 0;
			nfc_batch_free(&b);
		}
		free(t);
	}
	ok(refused_trunc, "%s: every truncation refused", what);
	for (int k = 0; k < 20000; k++)
	{
		memcpy(copy, buf, len);
		for (int f = 0; f < 1 + (int) (next_rand() % 3); f++)
			copy[next_rand() % len] ^= (uint8_t) (1 + next_rand() % 255);
		if (nfc_decode(copy, len, &b, err, sizeof(err)) == 0)
			nfc_batch_free(&b);
		/* the same copy through the row-selective decoder, reused */
		nsel = 0;
		for (uint32_t i = next_rand() % 50; i < NR; i += 1 + next_rand() % 400)
			sel[nsel++] = i;
		(void) nfc_decode_cols_sel(copy, len, NULL, 0, sel, nsel, &sb, err, sizeof(err));
	}
	ok(1, "%s: 20000 corrupted copies decoded or refused without a fault (full and selective)", what);
	nfc_batch_free(&sb);
	free(copy);
}

/* Run the tests. */
int
main(void)
{
	uint8_t    *raw,
			   *z;
	size_t		rawlen,
				zlen;
	NfcColumnIn one;
	uint8_t    *buf;
	size_t		len;
	uint8_t		nn = 0;
	int64_t		v = 42;

	fill(NR, 0);
	round_trip(NR, 3, "no NULLs, zstd", NULL, NULL);
	fill(NR, 30);
	round_trip(NR, 0, "30% NULLs, raw body", &raw, &rawlen);
	round_trip(NR, 3, "30% NULLs, zstd", &z, &zlen);
	fill(1, 50);
	round_trip(1, 1, "one row", NULL, NULL);
	fill(NR, 100);
	round_trip(NR, 1, "all NULL", NULL, NULL);

	corrupt(raw, rawlen, "raw body");
	corrupt(z, zlen, "zstd body");
	fill(7, 20);
	{
		uint8_t    *small;
		size_t		smalllen;

		round_trip(7, 1, "seven rows", &small, &smalllen);
		decode_cols_reuse(z, zlen, small, smalllen);
		free(small);
	}
	free(raw);
	free(z);

	one.kind = NFC_KIND_INT;
	one.isnull = &nn;
	one.ints = &v;
	ok(nfc_encode(1, 0, &one, 1, &buf, &len) != 0, "zero rows refused by the encoder");
	one.kind = 7;
	ok(nfc_encode(1, 1, &one, 1, &buf, &len) != 0, "unknown kind refused by the encoder");
	return tap_done();
}
