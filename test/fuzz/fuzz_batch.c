/*-------------------------------------------------------------------------
 *
 * fuzz_batch.c
 *	  libFuzzer harness for the batch decoder of compressed partitions
 *	  (src/storage/batch_codec.c, format version 2): a batch comes from a
 *	  table a superuser can alter, so any bytes must be refused or decoded
 *	  without a fault.
 *
 * Input: byte 0 picks the columns wanted by the first nfc_decode_cols
 * call (bit k: columns c with c % 8 == k); the rest is the batch.  The
 * batch is copied into a heap buffer of exactly its length (AddressSanitizer
 * catches a read past it).  One NfcBatch is reused for: the wanted columns,
 * then every column, then the wanted columns again (as the custom scan
 * decodes filter columns first, then the rest).  When a full decode
 * succeeds, every decoded index must be within its dictionary and every
 * dictionary entry within the batch's body, and the decoded values
 * re-encoded must decode to the same values.
 *
 * The row-selective decoder (nfc_decode_cols_sel) runs too, with a
 * selection derived from byte 0 and the batch's length (every stride-th
 * row from a start): into a second reused NfcBatch for every column, and
 * into the first for the wanted columns.  When the full decode succeeds,
 * the selective one must succeed too and give the same values at the
 * selected rows; when it succeeds, its selected rows must hold indexes
 * within their dictionaries.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_codec.h"

/* Abort with a message when an invariant does not hold. */
#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "fuzz_batch: invariant failed: %s: ", #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

extern int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check what a successful decode reports. */
static void
check_batch(const NfcBatch *b, size_t rawmax)
{
	CHECK(b->nrows >= 1 && b->nrows <= NFC_MAX_ROWS, "nrows %u", b->nrows);
	CHECK(b->ncols >= 1 && b->ncols <= NFC_MAX_COLS, "ncols %d", b->ncols);
	for (int c = 0; c < b->ncols; c++)
	{
		const NfcColumn *col = &b->cols[c];

		CHECK(col->kind == NFC_KIND_INT || col->kind == NFC_KIND_BYTES, "kind %d", col->kind);
		if (!col->decoded)
			continue;
		for (uint32_t i = 0; i < b->nrows; i++)
		{
			CHECK(col->isnull[i] <= 1, "null flag %d", col->isnull[i]);
			if (col->kind == NFC_KIND_BYTES && !col->isnull[i])
				CHECK(col->idx[i] < col->ndict, "index %u of %u", col->idx[i], col->ndict);
		}
		if (col->kind == NFC_KIND_BYTES)
			for (uint32_t k = 0; k < col->ndict; k++)
				CHECK(col->dict[k] >= b->body &&
					  col->dict[k] + col->dictlen[k] <= b->body + rawmax,
					  "dictionary entry %u outside the body", k);
	}
}

/* Check the selected rows of a successful selective decode. */
static void
check_selected(const NfcBatch *b, const uint32_t *sel, uint32_t nsel)
{
	CHECK(b->nrows >= 1 && b->nrows <= NFC_MAX_ROWS, "nrows %u", b->nrows);
	for (int c = 0; c < b->ncols; c++)
	{
		const NfcColumn *col = &b->cols[c];

		if (!col->decoded)
			continue;
		for (uint32_t k = 0; k < nsel; k++)
		{
			uint32_t	i = sel[k];

			CHECK(i < b->nrows, "selected row %u of %u", i, b->nrows);
			CHECK(col->isnull[i] <= 1, "null flag %d", col->isnull[i]);
			if (col->kind == NFC_KIND_BYTES && !col->isnull[i])
				CHECK(col->idx[i] < col->ndict, "index %u of %u", col->idx[i], col->ndict);
		}
	}
}

/* Check that row i of column c holds the same in both decodes. */
static void
same_row(const NfcColumn *x, const NfcColumn *y, int c, uint32_t i)
{
	CHECK(x->isnull[i] == y->isnull[i], "null flag of column %d row %u", c, i);
	if (x->isnull[i])
		return;
	if (x->kind == NFC_KIND_INT)
		CHECK(x->ints[i] == y->ints[i], "value of column %d row %u", c, i);
	else
		CHECK(x->dictlen[x->idx[i]] == y->dictlen[y->idx[i]] &&
			  memcmp(x->dict[x->idx[i]], y->dict[y->idx[i]], x->dictlen[x->idx[i]]) == 0,
			  "bytes of column %d row %u", c, i);
}

/* The selective decode s equals the full decode f at the selected rows. */
static void
same_selected(const NfcBatch *f, const NfcBatch *s, const uint32_t *sel, uint32_t nsel)
{
	CHECK(f->nrows == s->nrows && f->ncols == s->ncols, "counts differ");
	for (int c = 0; c < f->ncols; c++)
	{
		const NfcColumn *x = &f->cols[c],
				   *y = &s->cols[c];

		CHECK(x->decoded && y->decoded, "column %d not decoded", c);
		for (uint32_t k = 0; k < nsel; k++)
			same_row(x, y, c, sel[k]);
	}
}

/* Re-encode a fully decoded batch and check it decodes to the same values. */
static void
round_trip(const NfcBatch *b)
{
	NfcColumnIn *in = calloc(b->ncols, sizeof(NfcColumnIn));
	const uint8_t ***ptrs = calloc(b->ncols, sizeof(uint8_t **));
	uint8_t   **lens = calloc(b->ncols, sizeof(uint8_t *));
	uint8_t    *buf = NULL;
	size_t		len;
	NfcBatch	b2;
	char		err[256];

	CHECK(in && ptrs && lens, "out of memory");
	for (int c = 0; c < b->ncols; c++)
	{
		const NfcColumn *col = &b->cols[c];

		in[c].kind = col->kind;
		in[c].isnull = col->isnull;
		in[c].ints = col->ints;
		if (col->kind == NFC_KIND_BYTES)
		{
			ptrs[c] = malloc(b->nrows * sizeof(uint8_t *));
			lens[c] = malloc(b->nrows);
			CHECK(ptrs[c] && lens[c], "out of memory");
			for (uint32_t i = 0; i < b->nrows; i++)
			{
				ptrs[c][i] = col->isnull[i] ? NULL : col->dict[col->idx[i]];
				lens[c][i] = col->isnull[i] ? 0 : col->dictlen[col->idx[i]];
			}
			in[c].bytes = ptrs[c];
			in[c].lens = lens[c];
		}
	}
	CHECK(nfc_encode(b->ncols, b->nrows, in, 1, &buf, &len) == 0, "re-encoding failed");
	CHECK(nfc_decode(buf, len, &b2, err, sizeof(err)) == 0, "re-encoded batch refused: %s", err);
	for (int c = 0; c < b->ncols; c++)
		for (uint32_t i = 0; i < b->nrows; i++)
			same_row(&b->cols[c], &b2.cols[c], c, i);
	nfc_batch_free(&b2);
	free(buf);
	for (int c = 0; c < b->ncols; c++)
	{
		free(ptrs[c]);
		free(lens[c]);
	}
	free(ptrs);
	free(lens);
	free(in);
}

/* libFuzzer entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t    *buf;
	size_t		len;
	uint8_t		want[NFC_MAX_COLS];
	NfcBatch	b,
				sb;
	static uint32_t sel[NFC_MAX_ROWS];
	uint32_t	nsel = 0;
	int			full_ok,
				sel_ok;
	NfcColumnStat st[64];
	char		err[256];
	int			ncols;
	uint32_t	nrows;

	if (size < 1)
		return 0;
	len = size - 1;
	buf = malloc(len ? len : 1);
	CHECK(buf != NULL, "out of memory");
	memcpy(buf, data + 1, len);
	for (int c = 0; c < NFC_MAX_COLS; c++)
		want[c] = (data[0] >> (c % 8)) & 1;
	memset(&b, 0, sizeof(b));
	memset(&sb, 0, sizeof(sb));
	if (nfc_peek(buf, len, &ncols, &nrows) == 0)
	{
		uint32_t	stride = 1 + (uint32_t) ((data[0] * 7u + len) % 97);

		for (uint32_t i = data[0] % stride; i < nrows; i += stride)
			sel[nsel++] = i;
	}
	(void) nfc_column_stats(buf, len, st, 64, &ncols, err, sizeof(err));
	if (nfc_decode_cols(buf, len, want, NFC_MAX_COLS, &b, err, sizeof(err)) == 0)
		check_batch(&b, b.body_cap);
	else
		CHECK(err[0] != 0, "refused without a message");
	sel_ok = nfc_decode_cols_sel(buf, len, NULL, 0, sel, nsel, &sb, err, sizeof(err)) == 0;
	if (sel_ok)
		check_selected(&sb, sel, nsel);
	else
		CHECK(err[0] != 0, "selective decode refused without a message");
	full_ok = nfc_decode_cols(buf, len, NULL, 0, &b, err, sizeof(err)) == 0;
	if (full_ok)
	{
		CHECK(sel_ok, "the full decode succeeds, the selective one does not");
		same_selected(&b, &sb, sel, nsel);
		check_batch(&b, b.body_cap);
		/* bounded: re-encoding costs more than decoding */
		if ((uint64_t) b.nrows * (uint64_t) b.ncols <= 200000)
			round_trip(&b);
	}
	if (nfc_decode_cols(buf, len, want, NFC_MAX_COLS, &b, err, sizeof(err)) == 0)
		check_batch(&b, b.body_cap);
	if (nfc_decode_cols_sel(buf, len, want, NFC_MAX_COLS, sel, nsel, &b, err, sizeof(err)) == 0)
		check_selected(&b, sel, nsel);
	nfc_batch_free(&b);
	nfc_batch_free(&sb);
	free(buf);
	return 0;
}
