/*-------------------------------------------------------------------------
 *
 * test_batch_v2.c
 *	  Unit tests of batch format version 2 (src/storage/batch_codec.c):
 *	  round trips of every column shape a partition holds (NULLs, all-NULL,
 *	  IPv4 and IPv6, MACs, zero and int64 extremes, reference columns, one
 *	  row and NFC_MAX_ROWS rows), per-column decoding (only the wanted
 *	  columns and those they refer to are read: a corrupt unwanted column
 *	  does not matter), and corrupt directories (lengths, offsets, kinds,
 *	  encodings, references, versions) refused with a message, and
 *	  row-selective decoding (nfc_decode_cols_sel) equal to a full decode at
 *	  the selected rows for every encoding and uarr layout, invalid
 *	  selections refused, corrupt batches decoded or refused without a
 *	  fault.  Run under ASan/UBSan by make -C test/storage check.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include <zstd.h>

#include "batch_codec.h"
#include "xorshift64.h"
#include "tap.h"

#define MAXR NFC_MAX_ROWS
#define NCOL 10

/* Columns: 0 time_start, 1 time_end (ref 0), 2 time_received (ref 1),
 * 3 src_addr (inet), 4 dst_addr (inet, IPv4 and IPv6), 5 bytes (extremes),
 * 6 port (small), 7 src_mac, 8 all-NULL int, 9 vlan (mostly NULL). */
static const int kind[NCOL] = {1, 1, 1, 2, 2, 1, 1, 2, 1, 1};
static const int refs[NCOL] = {-1, 0, 1, -1, -1, -1, -1, -1, -1, -1};
static uint8_t nul[NCOL][MAXR];
static int64_t val[NCOL][MAXR];
static uint8_t str[NCOL][MAXR][18];
static uint8_t slen[NCOL][MAXR];
static const uint8_t *sp[NCOL][MAXR];

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

/* Deterministic pseudo-random numbers (xorshift64.h). */
static uint64_t
rnd(void)
{
	return xorshift64(&rng);
}

/* Fill n rows of flow-like data; null_pct of NULLs in the nullable columns. */
static void
fill(uint32_t n, int null_pct)
{
	int64_t		t = 847000000000000LL;

	for (uint32_t i = 0; i < n; i++)
	{
		t += (int64_t) (rnd() % 3000) * 1000;
		val[0][i] = t;
		val[1][i] = t + (int64_t) (rnd() % 60000) * 1000;
		val[2][i] = val[1][i] + (int64_t) (rnd() % 5000) * 1000;
		/* src_addr: IPv4 from a small pool */
		str[3][i][0] = 2;
		str[3][i][1] = 32;
		str[3][i][2] = 10;
		str[3][i][3] = 1;
		str[3][i][4] = (uint8_t) (rnd() % 4);
		str[3][i][5] = (uint8_t) (rnd() % 200);
		slen[3][i] = 6;
		/* dst_addr: IPv4 or IPv6 */
		if (rnd() % 3 == 0)
		{
			str[4][i][0] = 3;
			str[4][i][1] = 128;
			for (int k = 0; k < 16; k++)
				str[4][i][2 + k] = (uint8_t) (k < 8 ? (uint64_t) (0x20 + k) : rnd() % 4);
			slen[4][i] = 18;
		}
		else
		{
			str[4][i][0] = 2;
			str[4][i][1] = 32;
			for (int k = 0; k < 4; k++)
				str[4][i][2 + k] = (uint8_t) rnd();
			slen[4][i] = 6;
		}
		switch (rnd() % 5)
		{
			case 0:
				val[5][i] = INT64_MAX;
				break;
			case 1:
				val[5][i] = INT64_MIN;
				break;
			case 2:
				val[5][i] = 0;
				break;
			default:
				val[5][i] = (int64_t) (rnd() % 100000);
		}
		val[6][i] = (int64_t) (rnd() % 4 == 0 ? 443 : 1024 + rnd() % 60000);
		for (int k = 0; k < 6; k++)
			str[7][i][k] = (uint8_t) (k < 3 ? (uint64_t) 0x52 : rnd() % 3);
		slen[7][i] = 6;
		val[8][i] = 0;
		val[9][i] = (int64_t) (rnd() % 4095);
		for (int c = 0; c < NCOL; c++)
		{
			nul[c][i] = c != 0 && c != 3 && (int) (rnd() % 100) < null_pct;
			sp[c][i] = str[c][i];
		}
		nul[8][i] = 1;
		nul[9][i] = rnd() % 10 != 0;
	}
}

/* The encoder's view of the columns. */
static void
columns(NfcColumnIn *in)
{
	for (int c = 0; c < NCOL; c++)
	{
		in[c].kind = kind[c];
		in[c].isnull = nul[c];
		in[c].ints = val[c];
		in[c].bytes = sp[c];
		in[c].lens = slen[c];
	}
}

/* Encode n rows; the buffer or NULL. */
static uint8_t *
encode(uint32_t n, int level, size_t *len)
{
	NfcColumnIn in[NCOL];
	uint8_t    *buf;

	columns(in);
	if (nfc_encode_ref(NCOL, n, in, refs, level, &buf, len) != 0)
		return NULL;
	return buf;
}

/* Whether the decoded column c of b equals the input, row for row. */
static int
same_column(const NfcBatch *b, int c, uint32_t n)
{
	const NfcColumn *col = &b->cols[c];

	if (!col->decoded || col->kind != kind[c])
		return 0;
	for (uint32_t i = 0; i < n; i++)
	{
		if (col->isnull[i] != nul[c][i])
			return 0;
		if (nul[c][i])
			continue;
		if (kind[c] == NFC_KIND_INT)
		{
			if (col->ints[i] != val[c][i])
				return 0;
		}
		else if (col->idx[i] >= col->ndict ||
				 col->dictlen[col->idx[i]] != slen[c][i] ||
				 memcmp(col->dict[col->idx[i]], str[c][i], slen[c][i]) != 0)
			return 0;
	}
	return 1;
}

/* Round trip of n rows at a zstd level. */
static void
round_trip(uint32_t n, int level, const char *what)
{
	size_t		len;
	uint8_t    *buf = encode(n, level, &len);
	NfcBatch	b;
	char		err[200];
	int			all = 1;
	NfcColumnStat st[NCOL];
	int			nc;
	size_t		sum = NFC_HEADER_SIZE + NCOL * NFC_DIR_ENTRY_SIZE;

	if (!ok(buf != NULL, "%s: encodes", what))
		return;
	if (!ok(nfc_decode(buf, len, &b, err, sizeof(err)) == 0, "%s: decodes", what))
	{
		tap_diag("%s", err);
		free(buf);
		return;
	}
	ok(b.nrows == n && b.ncols == NCOL, "%s: counts", what);
	for (int c = 0; c < NCOL; c++)
		if (!same_column(&b, c, n))
		{
			tap_diag("%s: column %d differs", what, c);
			all = 0;
		}
	ok(all, "%s: every value and NULL flag of every column reads back", what);
	ok(nfc_column_stats(buf, len, st, NCOL, &nc, err, sizeof(err)) == 0 && nc == NCOL,
	   "%s: directory reads", what);
	for (int c = 0; c < nc; c++)
		sum += st[c].storedlen;
	ok(sum == len, "%s: header, directory and column lengths add up to the batch", what);
	ok(st[8].nullmode == 1 && st[8].storedlen == 0, "%s: an all-NULL column stores nothing", what);
	nfc_batch_free(&b);
	free(buf);
}

/* Decoding a subset of the columns. */
static void
want_mask(void)
{
	size_t		len;
	uint8_t    *buf;
	NfcBatch	b;
	char		err[200];
	uint8_t		want[NCOL] = {0};
	NfcColumnStat st[NCOL];
	int			nc;
	const uint8_t *dict3;
	uint32_t	n = 5000;

	fill(n, 10);
	buf = encode(n, 3, &len);
	memset(&b, 0, sizeof(b));
	nfc_column_stats(buf, len, st, NCOL, &nc, err, sizeof(err));
	ok(st[1].ref == 0, "time_end is stored relative to time_start");

	want[3] = 1;
	want[5] = 1;
	ok(nfc_decode_cols(buf, len, want, NCOL, &b, err, sizeof(err)) == 0,
	   "want src_addr, bytes: decodes");
	ok(same_column(&b, 3, n) && same_column(&b, 5, n), "want src_addr, bytes: both read back");
	ok(!b.cols[0].decoded && !b.cols[1].decoded && !b.cols[4].decoded &&
	   !b.cols[6].decoded && !b.cols[7].decoded, "want src_addr, bytes: nothing else decoded");
	ok(b.cols[4].kind == NFC_KIND_BYTES && b.cols[0].kind == NFC_KIND_INT,
	   "kinds of the columns not decoded are set");

	/* the rest of the same batch: the first columns stay intact */
	dict3 = b.cols[3].dict[0];
	memset(want, 0, sizeof(want));
	want[4] = 1;
	want[7] = 1;
	ok(nfc_decode_cols(buf, len, want, NCOL, &b, err, sizeof(err)) == 0 &&
	   same_column(&b, 4, n) && same_column(&b, 7, n),
	   "a second call decodes other columns of the same batch");
	ok(b.cols[3].dict[0] == dict3 && memcmp(b.cols[3].dict[0], str[3][0], 0) == 0 &&
	   b.cols[3].ints == NULL && b.cols[3].idx != NULL,
	   "the first call's dictionary pointers still point at the same place");
	b.cols[3].decoded = 1;
	ok(same_column(&b, 3, n), "the first call's column still reads back after the second call");

	/* a column stored relative to another brings it along */
	nfc_batch_free(&b);
	memset(want, 0, sizeof(want));
	want[1] = 1;
	ok(nfc_decode_cols(buf, len, want, NCOL, &b, err, sizeof(err)) == 0 &&
	   same_column(&b, 1, n) && b.cols[0].decoded,
	   "want time_end alone, into a fresh batch: reads back, time_start decoded too");
	memset(want, 0, sizeof(want));
	want[2] = 1;
	ok(nfc_decode_cols(buf, len, want, NCOL, &b, err, sizeof(err)) == 0 &&
	   same_column(&b, 2, n), "want time_received alone: reads back");
	ok(st[2].ref < 0 || b.cols[st[2].ref].decoded,
	   "want time_received alone: its reference column is decoded too");

	/* ruin the stored bytes of columns not wanted: nothing reads them */
	for (int c = 0; c < NCOL; c++)
		if (c != 3 && c != 5)
			for (uint32_t k = 0; k < st[c].storedlen; k++)
				buf[st[c].offset + k] ^= 0x5A;
	memset(want, 0, sizeof(want));
	want[3] = 1;
	want[5] = 1;
	ok(nfc_decode_cols(buf, len, want, NCOL, &b, err, sizeof(err)) == 0 &&
	   same_column(&b, 3, n) && same_column(&b, 5, n),
	   "other columns' bytes ruined: src_addr and bytes still decode");
	ok(nfc_decode_cols(buf, len, NULL, 0, &b, err, sizeof(err)) != 0,
	   "other columns' bytes ruined: a full decode is refused (%s)", err);
	nfc_batch_free(&b);
	free(buf);
}

/* Refused, with a message containing expect (NULL: any message). */
static void
refused(const uint8_t *buf, size_t len, const char *expect, const char *what)
{
	NfcBatch	b;
	char		err[200] = "";
	int			rc = nfc_decode(buf, len, &b, err, sizeof(err));

	if (rc == 0)
		nfc_batch_free(&b);
	ok(rc != 0 && err[0] != 0 && (expect == NULL || strstr(err, expect) != NULL),
	   "%s: refused (%s)", what, err);
}

/* Write a little-endian value of n bytes at p. */
static void
put(uint8_t *p, uint64_t v, int n)
{
	for (int k = 0; k < n; k++)
		p[k] = (uint8_t) (v >> (8 * k));
}

/* Corrupt headers and directories, one field at a time. */
static void
corrupt_directory(void)
{
	size_t		len;
	uint8_t    *buf,
			   *t;
	NfcColumnStat st[NCOL];
	int			nc,
				nz = -1,
				nraw = -1;
	char		err[200];
	int			peek_nc;
	uint32_t	peek_nr;

	fill(2000, 20);
	buf = encode(2000, 3, &len);
	t = malloc(len + 16);
	nfc_column_stats(buf, len, st, NCOL, &nc, err, sizeof(err));
	for (int c = 0; c < NCOL; c++)
	{
		if (st[c].storage == NFC_STORE_ZSTD && nz < 0)
			nz = c;
		if (st[c].storage == NFC_STORE_RAW && st[c].rawlen > 0 && nraw < 0)
			nraw = c;
	}
	ok(nz >= 0, "some column is stored as a zstd frame");

#define DIR(c) (t + NFC_HEADER_SIZE + (c) * NFC_DIR_ENTRY_SIZE)
#define RESET() memcpy(t, buf, len)

	RESET();
	t[4] = 1;
	refused(t, len, "version 1", "a version 1 batch");
	ok(nfc_peek(t, len, &peek_nc, &peek_nr) != 0, "nfc_peek refuses a version 1 header");
	RESET();
	t[4] = 3;
	refused(t, len, "version 3", "an unknown version");
	RESET();
	t[5] = 1;
	refused(t, len, NULL, "unknown header flags");
	RESET();
	t[0] = 'X';
	refused(t, len, NULL, "bad magic");
	RESET();
	put(t + 6, 0, 2);
	refused(t, len, NULL, "zero columns");
	RESET();
	put(t + 6, NCOL + 1, 2);
	refused(t, len, NULL, "one column more than the directory holds");
	RESET();
	put(t + 8, NFC_MAX_ROWS + 1, 4);
	refused(t, len, NULL, "too many rows");
	RESET();
	put(t + 8, 2001, 4);
	refused(t, len, NULL, "one row more than the columns hold");
	RESET();
	put(t + 12, st[0].rawlen, 4);
	refused(t, len, "total", "raw total smaller than the columns'");
	RESET();
	put(t + 12, 0xFFFFFFFFu, 4);
	refused(t, len, NULL, "raw total beyond the maximum");

	RESET();
	DIR(nz)[0] = 3;
	refused(t, len, "kind", "unknown kind");
	RESET();
	DIR(nz)[1] = 3;
	refused(t, len, NULL, "unknown null mode");
	RESET();
	DIR(nz)[2] = 9;
	refused(t, len, "encoding", "unknown encoding");
	RESET();
	DIR(3)[2] = NFC_ENC_FOR;
	refused(t, len, "encoding", "frame of reference on a byte-string column");
	RESET();
	DIR(nz)[3] = 2;
	refused(t, len, NULL, "unknown storage");
	RESET();
	put(DIR(0) + 4, 1, 2);
	refused(t, len, "reference", "a column relative to itself");
	RESET();
	put(DIR(5) + 4, 9, 2);
	refused(t, len, "reference", "a reference to a later column");
	RESET();
	put(DIR(5) + 4, 4, 2);
	refused(t, len, "reference", "a reference to a byte-string column");
	RESET();
	DIR(8)[1] = 0;
	refused(t, len, NULL, "an all-NULL column said to have no NULL");

	/* lengths: the offsets are their running sum, so each shifts the rest */
	RESET();
	put(DIR(nz) + 10, st[nz].storedlen + 1, 4);
	refused(t, len, NULL, "a stored length one too long");
	RESET();
	put(DIR(nz) + 10, st[nz].storedlen - 1, 4);
	refused(t, len, NULL, "a stored length one too short");
	RESET();
	put(DIR(nz) + 10, 0xFFFFFFF0u, 4);
	refused(t, len, "past the end", "a stored length past the end of the batch");
	RESET();
	put(DIR(nz) + 6, st[nz].rawlen + 1, 4);
	put(t + 12, (uint64_t) (t[12] | t[13] << 8 | t[14] << 16 | (uint32_t) t[15] << 24) + 1, 4);
	refused(t, len, NULL, "a raw length that does not match the zstd frame");
	if (nraw >= 0)
	{
		RESET();
		put(DIR(nraw) + 6, st[nraw].rawlen + 1, 4);
		refused(t, len, NULL, "a raw column whose raw length differs from its stored length");
	}
	else
		ok(1, "(no raw column in this batch)");
	RESET();
	memcpy(t + len, "extra", 5);
	refused(t, len + 5, "trailing", "trailing bytes");
	RESET();
	refused(t, NFC_HEADER_SIZE + NCOL * NFC_DIR_ENTRY_SIZE - 1, "directory", "a truncated directory");

	/* every single-byte change of the directory: refused or decoded, never a fault */
	for (size_t k = 0; k < (size_t) NFC_HEADER_SIZE + NCOL * NFC_DIR_ENTRY_SIZE; k++)
		for (int v = 0; v < 256; v += 17)
		{
			NfcBatch	b;

			RESET();
			t[k] = (uint8_t) v;
			if (nfc_decode(t, len, &b, err, sizeof(err)) == 0)
				nfc_batch_free(&b);
		}
	ok(1, "every byte of the header and directory set to 16 values: no fault");
	free(t);
	free(buf);
}

/* A handmade batch: one integer column, raw payload given. */
static size_t
handmade(uint8_t *out, int enc, uint32_t nrows, const uint8_t *payload, uint32_t plen)
{
	memset(out, 0, NFC_HEADER_SIZE + NFC_DIR_ENTRY_SIZE);
	memcpy(out, "NFCB", 4);
	out[4] = NFC_VERSION;
	put(out + 6, 1, 2);
	put(out + 8, nrows, 4);
	put(out + 12, plen, 4);
	out[NFC_HEADER_SIZE] = NFC_KIND_INT;
	out[NFC_HEADER_SIZE + 2] = (uint8_t) enc;
	put(out + NFC_HEADER_SIZE + 6, plen, 4);
	put(out + NFC_HEADER_SIZE + 10, plen, 4);
	memcpy(out + NFC_HEADER_SIZE + NFC_DIR_ENTRY_SIZE, payload, plen);
	return NFC_HEADER_SIZE + NFC_DIR_ENTRY_SIZE + plen;
}

/* Payloads written by hand: the layouts of docs/formats.md, and bad ones. */
static void
handmade_payloads(void)
{
	uint8_t		buf[256];
	NfcBatch	b;
	char		err[200];
	size_t		len;
	/* FOR: min 100 (zigzag 200 = c8 01), scale 3, bit-packed width 2: 0,1,2,3 */
	static const uint8_t pfor[] = {0xc8, 0x01, 0x03, 0x00, 0x02, 0xe4};
	/* FOR as byte planes, 2 bytes: 0x0102, 0x0304 */
	static const uint8_t pplanes[] = {0x00, 0x01, 0x01, 0x02, 0x02, 0x04, 0x01, 0x03};
	/* DELTA: first 10 (zigzag 20), scale 1, deltas +1 -1 as 2 bits: 2, 1 */
	static const uint8_t pdelta[] = {0x14, 0x01, 0x00, 0x02, 0x06};
	/* DICT: 2 entries, min 7 (zigzag 14), entries 0, 5 in 3 bits; idx 1,0,1 */
	static const uint8_t pdict[] = {0x02, 0x0e, 0x00, 0x03, 0x28, 0x00, 0x01, 0x05};
	/* DICT whose index points past its entries: idx 2 of 2 */
	static const uint8_t pdictbad[] = {0x02, 0x0e, 0x00, 0x03, 0x28, 0x00, 0x02, 0x02};
	/* FOR with scale 0 */
	static const uint8_t pscale0[] = {0xc8, 0x01, 0x00, 0x00, 0x02, 0xe4};
	/* FOR width 65 */
	static const uint8_t pwide[] = {0x00, 0x01, 0x00, 65, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* FOR byte planes with 9 bytes */
	static const uint8_t pnine[] = {0x00, 0x01, 0x01, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9};

	{
		/* each handmade layout through the selective path, one row at a time */
		static const struct
		{
			int			enc;
			uint32_t	n;
			const uint8_t *p;
			uint32_t	plen;
			int64_t		v[4];
		}			hm[] = {
			{NFC_ENC_FOR, 4, pfor, sizeof(pfor), {100, 103, 106, 109}},
			{NFC_ENC_FOR, 2, pplanes, sizeof(pplanes), {0x0102, 0x0304}},
			{NFC_ENC_DELTA, 3, pdelta, sizeof(pdelta), {10, 11, 10}},
			{NFC_ENC_DICT, 3, pdict, sizeof(pdict), {12, 7, 12}},
		};
		int			good = 1;

		memset(&b, 0, sizeof(b));
		for (size_t h = 0; h < sizeof(hm) / sizeof(hm[0]); h++)
			for (uint32_t i = 0; i < hm[h].n; i++)
			{
				len = handmade(buf, hm[h].enc, hm[h].n, hm[h].p, hm[h].plen);
				if (nfc_decode_cols_sel(buf, len, NULL, 0, &i, 1, &b, err, sizeof(err)) != 0 ||
					b.cols[0].ints[i] != hm[h].v[i])
					good = 0;
			}
		ok(good, "handmade payloads: the selective path reads each row alone");
		nfc_batch_free(&b);
	}
	len = handmade(buf, NFC_ENC_FOR, 4, pfor, sizeof(pfor));
	ok(nfc_decode(buf, len, &b, err, sizeof(err)) == 0 && b.cols[0].ints[0] == 100 &&
	   b.cols[0].ints[1] == 103 && b.cols[0].ints[2] == 106 && b.cols[0].ints[3] == 109,
	   "handmade frame of reference with a scale decodes to 100 103 106 109");
	if (b.cols)
		nfc_batch_free(&b);
	len = handmade(buf, NFC_ENC_FOR, 2, pplanes, sizeof(pplanes));
	ok(nfc_decode(buf, len, &b, err, sizeof(err)) == 0 && b.cols[0].ints[0] == 0x0102 &&
	   b.cols[0].ints[1] == 0x0304, "handmade byte planes decode to 0x0102 0x0304");
	if (b.cols)
		nfc_batch_free(&b);
	len = handmade(buf, NFC_ENC_DELTA, 3, pdelta, sizeof(pdelta));
	ok(nfc_decode(buf, len, &b, err, sizeof(err)) == 0 && b.cols[0].ints[0] == 10 &&
	   b.cols[0].ints[1] == 11 && b.cols[0].ints[2] == 10, "handmade deltas decode to 10 11 10");
	if (b.cols)
		nfc_batch_free(&b);
	len = handmade(buf, NFC_ENC_DICT, 3, pdict, sizeof(pdict));
	ok(nfc_decode(buf, len, &b, err, sizeof(err)) == 0 && b.cols[0].ints[0] == 12 &&
	   b.cols[0].ints[1] == 7 && b.cols[0].ints[2] == 12, "handmade dictionary decodes to 12 7 12");
	if (b.cols)
		nfc_batch_free(&b);
	len = handmade(buf, NFC_ENC_DICT, 3, pdictbad, sizeof(pdictbad));
	refused(buf, len, "column 1", "a dictionary index past the entries");
	{
		static const uint32_t row0[] = {0},
					rows12[] = {1, 2};

		memset(&b, 0, sizeof(b));
		ok(nfc_decode_cols_sel(buf, len, NULL, 0, row0, 1, &b, err, sizeof(err)) != 0,
		   "selective: a dictionary index past the entries in a selected row is refused");
		ok(nfc_decode_cols_sel(buf, len, NULL, 0, rows12, 2, &b, err, sizeof(err)) == 0 &&
		   b.cols[0].ints[1] == 7 && b.cols[0].ints[2] == 7,
		   "selective: ... and not read when its row is not selected");
		nfc_batch_free(&b);
	}
	{
		/* a byte-string dictionary: one run of 2 entries of 1 byte, index 2 */
		static const uint8_t pbytes[] = {0x02, 0x01, 0x02, 'a', 'b', 0x00, 0x02, 0x04};

		len = handmade(buf, NFC_ENC_DICT, 3, pbytes, sizeof(pbytes));
		buf[NFC_HEADER_SIZE] = NFC_KIND_BYTES;
		ok(nfc_decode(buf, len, &b, err, sizeof(err)) == 0 && b.cols[0].ndict == 2 &&
		   b.cols[0].idx[0] == 0 && b.cols[0].idx[1] == 1 && b.cols[0].idx[2] == 0 &&
		   b.cols[0].dict[1][0] == 'b', "handmade byte-string dictionary decodes to a b a");
		if (b.cols)
			nfc_batch_free(&b);
		buf[len - 1] = 0x24;	/* indexes 0 1 2 */
		refused(buf, len, "column 1", "a byte-string dictionary index past the entries");
		{
			static const uint32_t row2[] = {2},
						rows01[] = {0, 1};

			memset(&b, 0, sizeof(b));
			ok(nfc_decode_cols_sel(buf, len, NULL, 0, row2, 1, &b, err, sizeof(err)) != 0,
			   "selective: a byte-string index past the entries in a selected row is refused");
			ok(nfc_decode_cols_sel(buf, len, NULL, 0, rows01, 2, &b, err, sizeof(err)) == 0 &&
			   b.cols[0].idx[0] == 0 && b.cols[0].idx[1] == 1,
			   "selective: ... and not read when its row is not selected");
			nfc_batch_free(&b);
		}
		buf[len - 1] = 0x04;
		buf[NFC_HEADER_SIZE + NFC_DIR_ENTRY_SIZE + 2] = 0x03;	/* a run of 3 of 2 entries */
		refused(buf, len, NULL, "a run of entries longer than the dictionary");
	}
	len = handmade(buf, NFC_ENC_FOR, 4, pscale0, sizeof(pscale0));
	refused(buf, len, NULL, "a scale of 0");
	len = handmade(buf, NFC_ENC_FOR, 4, pwide, sizeof(pwide));
	refused(buf, len, NULL, "a bit width of 65");
	len = handmade(buf, NFC_ENC_FOR, 1, pnine, sizeof(pnine));
	refused(buf, len, NULL, "9 byte planes");
	len = handmade(buf, NFC_ENC_FOR, 4, pfor, sizeof(pfor) - 1);
	refused(buf, len, NULL, "a payload one byte short");
	{
		uint8_t		longer[sizeof(pfor) + 1];

		memcpy(longer, pfor, sizeof(pfor));
		longer[sizeof(pfor)] = 0;
		len = handmade(buf, NFC_ENC_FOR, 4, longer, sizeof(longer));
		refused(buf, len, NULL, "a payload one byte long");
	}
}

/* A reference column with NULL where the column has a value: not used. */
static void
reference_nulls(void)
{
	size_t		len;
	uint8_t    *buf;
	NfcBatch	b;
	char		err[200];
	NfcColumnStat st[NCOL];
	int			nc;

	fill(300, 0);
	nul[1][17] = 1;				/* time_end NULL where time_received is not */
	buf = encode(300, 3, &len);
	ok(buf != NULL && nfc_decode(buf, len, &b, err, sizeof(err)) == 0 &&
	   same_column(&b, 1, 300) && same_column(&b, 2, 300),
	   "a reference column with a NULL where the column has a value: round trip");
	nfc_column_stats(buf, len, st, NCOL, &nc, err, sizeof(err));
	ok(st[2].ref == -1, "... and the column is not stored relative to it");
	nfc_batch_free(&b);
	free(buf);
	/* extremes: differences that wrap around int64 */
	fill(300, 0);
	for (int i = 0; i < 300; i++)
	{
		val[0][i] = i % 2 ? INT64_MIN : INT64_MAX;
		val[1][i] = i % 2 ? INT64_MAX : INT64_MIN;
	}
	buf = encode(300, 3, &len);
	ok(buf != NULL && nfc_decode(buf, len, &b, err, sizeof(err)) == 0 &&
	   same_column(&b, 0, 300) && same_column(&b, 1, 300),
	   "int64 extremes relative to each other: round trip");
	nfc_batch_free(&b);
	free(buf);
}


/*
 * Row-selective decoding.  Columns of the generated batches, chosen so that
 * together they take every encoding and both uarr layouts (checked below):
 * 0 sorted times (delta), 1 ref 0, 2 ref 1, 3 inet from a small pool, 4
 * inet, many distinct (IPv4 and IPv6, skewed), 5 a constant (width 0), 6
 * small (frame of reference), 7 few wide values (dictionary), 8 low byte
 * random, higher bytes mostly 0 (byte planes), 9 all NULL, 10 all but one
 * NULL, 11 macaddr, 12 sorted with plane-friendly deltas, 13 300 wide
 * values, skewed (dictionary with byte-plane indexes).
 */
#define SNCOL 14
static const int skind[SNCOL] = {1, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, 1};
static const int srefs[SNCOL] = {-1, 0, 1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1};
static uint8_t snul[SNCOL][MAXR];
static int64_t sval[SNCOL][MAXR];
static uint8_t sstr[SNCOL][MAXR][18];
static uint8_t sslen[SNCOL][MAXR];
static const uint8_t *ssp[SNCOL][MAXR];

/* Fill n rows; nulls: 0 none, 1 about 30% in the nullable columns, 2 all but one. */
static void
sfill(uint32_t n, int nulls)
{
	int64_t		t = 847000000000000LL,
				t2 = 5000;
	uint32_t	keep = (uint32_t) (rnd() % n);

	for (uint32_t i = 0; i < n; i++)
	{
		uint64_t	x = rnd();

		t += (int64_t) (rnd() % 3000) * 1000;
		sval[0][i] = t;
		sval[1][i] = t + (int64_t) (rnd() % 60000) * 1000;
		sval[2][i] = sval[1][i] + (int64_t) (rnd() % 5000) * 1000;
		memset(sstr[3][i], 0, 18);
		sstr[3][i][0] = 2;
		sstr[3][i][1] = 32;
		sstr[3][i][2] = 10;
		sstr[3][i][5] = (uint8_t) (rnd() % 40);
		sslen[3][i] = 6;
		x = rnd() % 8 ? rnd() % 100 : rnd() % 5000;
		if (x % 5 == 0)
		{
			sstr[4][i][0] = 3;
			sstr[4][i][1] = 128;
			for (int k = 0; k < 16; k++)
				sstr[4][i][2 + k] = (uint8_t) (k < 14 ? (uint64_t) (0x20 + k) : x >> (8 * (k - 14)));
			sslen[4][i] = 18;
		}
		else
		{
			sstr[4][i][0] = 2;
			sstr[4][i][1] = 32;
			sstr[4][i][2] = 192;
			sstr[4][i][3] = 168;
			sstr[4][i][4] = (uint8_t) (x >> 8);
			sstr[4][i][5] = (uint8_t) x;
			sslen[4][i] = 6;
		}
		sval[5][i] = -77;
		sval[6][i] = (int64_t) (rnd() % 1000);
		sval[7][i] = (int64_t) (rnd() % 5) * INT64_C(1000000007) * 97 - 3;
		sval[8][i] = (int64_t) (rnd() % 256) + (rnd() % 32 == 0 ? (int64_t) (rnd() % 65536) << 8 : 0);
		sval[9][i] = 1;
		sval[10][i] = (int64_t) rnd();
		for (int k = 0; k < 6; k++)
			sstr[11][i][k] = (uint8_t) (k < 4 ? 0x52 : rnd() % 9);
		sslen[11][i] = 6;
		t2 += (int64_t) (rnd() % 256) + (rnd() % 32 == 0 ? (int64_t) (rnd() % 256) << 8 : 0);
		sval[12][i] = t2;
		x = rnd() % 300;
		x = rnd() % 4 ? x % 20 : x;
		sval[13][i] = (int64_t) (x * UINT64_C(0x9E3779B97F4A7C15));
		for (int c = 0; c < SNCOL; c++)
		{
			int			nullable = c != 0 && c != 3 && c != 9 && c != 10;

			snul[c][i] = nullable && (nulls == 1 ? rnd() % 100 < 30 :
									  nulls == 2 ? i != keep : 0);
			ssp[c][i] = sstr[c][i];
		}
		snul[9][i] = 1;
		snul[10][i] = i != keep;
	}
}

/* Encode n rows of the selective columns; the buffer or NULL. */
static uint8_t *
sencode(uint32_t n, int level, size_t *len)
{
	NfcColumnIn in[SNCOL];
	uint8_t    *buf;

	for (int c = 0; c < SNCOL; c++)
	{
		in[c].kind = skind[c];
		in[c].isnull = snul[c];
		in[c].ints = sval[c];
		in[c].bytes = ssp[c];
		in[c].lens = sslen[c];
	}
	if (nfc_encode_ref(SNCOL, n, in, srefs, level, &buf, len) != 0)
		return NULL;
	return buf;
}

/* Read a varint from p (bounded by end); advance *p. */
static uint64_t
tvarint(const uint8_t **p, const uint8_t *end)
{
	uint64_t	v = 0;

	for (int sh = 0; *p < end && sh < 64; sh += 7)
	{
		uint8_t		b = *(*p)++;

		v |= (uint64_t) (b & 0x7f) << sh;
		if (!(b & 0x80))
			break;
	}
	return v;
}

/* Skip a uarr of m values at *p. */
static void
tskip_uarr(const uint8_t **p, uint64_t m)
{
	int			layout = (*p)[0],
				w = (*p)[1];

	*p += 2 + (layout == 0 ? (m * (uint64_t) w + 7) / 8 : m * (uint64_t) w);
}

/*
 * Coverage of encodings and layouts: seen[kind][encoding][layout] for the
 * uarr of each column's per-row values (or indexes), read from the batch
 * the way docs/formats.md describes it.
 */
static int seen[3][4][2];

/* Record the encoding and per-row uarr layout of every column of buf. */
static void
record_layouts(const uint8_t *buf, size_t len, uint32_t n)
{
	NfcColumnStat st[SNCOL];
	int			nc;
	char		err[200];

	if (nfc_column_stats(buf, len, st, SNCOL, &nc, err, sizeof(err)) != 0)
		return;
	for (int c = 0; c < nc; c++)
	{
		uint8_t    *raw;
		const uint8_t *p,
				   *end;
		uint64_t	nn = n;

		if (st[c].nullmode == 1)
			continue;
		raw = malloc(st[c].rawlen + 1);
		if (st[c].storage == NFC_STORE_ZSTD)
			ZSTD_decompress(raw, st[c].rawlen, buf + st[c].offset, st[c].storedlen);
		else
			memcpy(raw, buf + st[c].offset, st[c].rawlen);
		p = raw;
		end = raw + st[c].rawlen;
		if (st[c].nullmode == 2)
		{
			nn = 0;
			for (uint32_t i = 0; i < n; i++)
				nn += !((raw[i / 8] >> (i % 8)) & 1);
			p += (n + 7) / 8;
		}
		if (st[c].kind == NFC_KIND_INT && st[c].encoding != NFC_ENC_DICT)
		{
			tvarint(&p, end);
			tvarint(&p, end);
		}
		else if (st[c].kind == NFC_KIND_INT)
		{
			uint64_t	nd = tvarint(&p, end);

			tvarint(&p, end);
			tskip_uarr(&p, nd);
		}
		else
		{
			uint64_t	nd = tvarint(&p, end);

			for (uint64_t k = 0; k < nd && p < end;)
			{
				int			l = *p++;
				uint64_t	cnt = tvarint(&p, end);

				p += cnt * l;
				k += cnt;
			}
		}
		if (p < end && *p <= 1)
			seen[st[c].kind][st[c].encoding][*p] = 1;
		free(raw);
	}
}

/*
 * Whether the columns decoded by the selective call (s) equal those of a
 * full decode (f) at the selected rows; want as given to the call.
 */
static int
same_at(const NfcBatch *f, const NfcBatch *s, const uint8_t *want,
		const uint32_t *sel, uint32_t nsel, const char *what)
{
	if (s->nrows != f->nrows || s->ncols != f->ncols)
	{
		tap_diag("%s: counts differ", what);
		return 0;
	}
	for (int c = 0; c < f->ncols; c++)
	{
		const NfcColumn *x = &f->cols[c],
				   *y = &s->cols[c];

		if (want != NULL && !want[c])
			continue;
		if (!y->decoded || y->kind != x->kind || y->encoding != x->encoding)
		{
			tap_diag("%s: column %d not decoded", what, c);
			return 0;
		}
		for (uint32_t k = 0; k < nsel; k++)
		{
			uint32_t	i = sel[k];
			int			same;

			if (x->isnull[i] != y->isnull[i])
				same = 0;
			else if (x->isnull[i])
				same = 1;
			else if (x->kind == NFC_KIND_INT)
				same = x->ints[i] == y->ints[i];
			else
				same = y->idx[i] < y->ndict &&
					y->dictlen[y->idx[i]] == x->dictlen[x->idx[i]] &&
					memcmp(y->dict[y->idx[i]], x->dict[x->idx[i]], x->dictlen[x->idx[i]]) == 0;
			if (!same)
			{
				tap_diag("%s: column %d row %u differs", what, c, i);
				return 0;
			}
		}
	}
	return 1;
}

static uint32_t selbuf[MAXR];
static int	refs_used;			/* selective decodes through a reference */

/* A selection of n rows into selbuf: kind 0 empty, 1 first, 2 last, 3 sparse, 4 dense, 5 all. */
static uint32_t
make_sel(int kind_, uint32_t n)
{
	uint32_t	m = 0;

	switch (kind_)
	{
		case 0:
			return 0;
		case 1:
			selbuf[0] = 0;
			return 1;
		case 2:
			selbuf[0] = n - 1;
			return 1;
		case 5:
			for (uint32_t i = 0; i < n; i++)
				selbuf[m++] = i;
			return m;
		default:
			for (uint32_t i = 0; i < n; i++)
				if (rnd() % (kind_ == 3 ? 300 : 8) == 0)
					selbuf[m++] = i;
			return m;
	}
}

/* Selective decoding of one generated batch equals the full decode. */
static void
selective_batch(uint32_t n, int nulls, int level, NfcBatch *s)
{
	static const char *selname[] = {"empty", "first row", "last row", "sparse", "dense", "every row"};
	size_t		len;
	uint8_t    *buf;
	NfcBatch	f;
	char		err[200],
				what[200];
	int			all = 1,
				cnt = 0;
	uint8_t		w1[SNCOL] = {0},
				w2[SNCOL] = {0};

	sfill(n, nulls);
	buf = sencode(n, level, &len);
	snprintf(what, sizeof(what), "selective, %u rows, nulls %d, level %d", n, nulls, level);
	memset(&f, 0, sizeof(f));
	if (!ok(buf != NULL && nfc_decode_cols(buf, len, NULL, 0, &f, err, sizeof(err)) == 0,
			"%s: encodes and decodes", what))
	{
		free(buf);
		return;
	}
	record_layouts(buf, len, n);
	w1[2] = 1;					/* time_received: brings time_end, time_start */
	w2[4] = 1;
	w2[10] = 1;
	w2[13] = 1;
	for (int k = 0; k < 6; k++)
		for (int w = 0; w < 3; w++)
		{
			const uint8_t *want = w == 0 ? NULL : w == 1 ? w1 : w2;
			uint32_t	nsel = make_sel(k, n);
			char		what2[260];

			snprintf(what2, sizeof(what2), "%s, %s, want %d", what, selname[k], w);
			if (nfc_decode_cols_sel(buf, len, want, SNCOL, selbuf, nsel, s, err, sizeof(err)) != 0)
			{
				tap_diag("%s: refused: %s", what2, err);
				all = 0;
				continue;
			}
			all &= same_at(&f, s, want, selbuf, nsel, what2);
			cnt++;
			if (w == 1)
			{
				/* the chain of references of time_received came along */
				for (int c = 2; s->cols[c].ref >= 0; c = s->cols[c].ref)
				{
					refs_used++;
					if (!s->cols[s->cols[c].ref].decoded)
						all = 0;
				}
				if (s->cols[3].decoded)
					all = 0;
			}
		}
	ok(all && cnt == 18, "%s: 6 selections x 3 column sets equal the full decode", what);
	/* sel NULL: every row */
	ok(nfc_decode_cols_sel(buf, len, NULL, 0, NULL, 0, s, err, sizeof(err)) == 0 &&
	   same_at(&f, s, NULL, selbuf, make_sel(5, n), "sel NULL"),
	   "%s: no selection decodes every row", what);
	nfc_batch_free(&f);
	free(buf);
}

/* Row-selective decoding (nfc_decode_cols_sel). */
static void
selective(void)
{
	NfcBatch	s;
	static const uint32_t sizes[] = {1, 2, 9, 64, 65, 1000, 10000};
	int			missing = 0;
	size_t		len;
	uint8_t    *buf;
	char		err[200];
	uint32_t	bad[3];

	memset(&s, 0, sizeof(s));
	memset(seen, 0, sizeof(seen));
	for (size_t z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++)
		for (int nulls = 0; nulls < 3; nulls++)
			for (int level = 0; level <= 3; level += 3)
				selective_batch(sizes[z], nulls, level, &s);
	selective_batch(MAXR, 1, 1, &s);
	for (int e = 1; e <= 3; e++)
		for (int l = 0; l < 2; l++)
			if (!seen[NFC_KIND_INT][e][l])
			{
				tap_diag("integer encoding %d layout %d not covered", e, l);
				missing = 1;
			}
	for (int l = 0; l < 2; l++)
		if (!seen[NFC_KIND_BYTES][NFC_ENC_DICT][l])
		{
			tap_diag("byte-string layout %d not covered", l);
			missing = 1;
		}
	ok(!missing, "the generated batches cover every encoding in both uarr layouts");
	ok(refs_used > 100, "selective decodes of columns stored relative to others: %d", refs_used);

	/* invalid selections: refused with a message, the batch still reusable */
	sfill(100, 1);
	buf = sencode(100, 3, &len);
	bad[0] = 5;
	bad[1] = 3;
	err[0] = 0;
	ok(nfc_decode_cols_sel(buf, len, NULL, 0, bad, 2, &s, err, sizeof(err)) != 0 &&
	   strstr(err, "selection") != NULL, "a selection out of order is refused (%s)", err);
	bad[1] = 5;
	err[0] = 0;
	ok(nfc_decode_cols_sel(buf, len, NULL, 0, bad, 2, &s, err, sizeof(err)) != 0 &&
	   strstr(err, "selection") != NULL, "a selection with a duplicate row is refused (%s)", err);
	bad[0] = 99;
	bad[1] = 100;
	err[0] = 0;
	ok(nfc_decode_cols_sel(buf, len, NULL, 0, bad, 2, &s, err, sizeof(err)) != 0 &&
	   strstr(err, "selection") != NULL, "a selection past the last row is refused (%s)", err);
	bad[0] = UINT32_MAX;
	ok(nfc_decode_cols_sel(buf, len, NULL, 0, bad, 1, &s, err, sizeof(err)) != 0,
	   "a selection of row 2^32-1 is refused");
	bad[0] = 99;
	ok(nfc_decode_cols_sel(buf, len, NULL, 0, bad, 1, &s, err, sizeof(err)) == 0 &&
	   s.cols[0].decoded && s.cols[0].ints[99] == sval[0][99],
	   "after refused selections the batch decodes row 99");

	/* corrupt copies through the selective path: decoded or refused, never a fault */
	{
		uint8_t    *t = malloc(len);
		uint32_t	nsel;
		uint8_t		w[SNCOL] = {0};
		int			trunc_refused = 1;

		w[2] = 1;
		w[4] = 1;
		for (int k = 0; k < 20000; k++)
		{
			memcpy(t, buf, len);
			for (int f = 0; f < 1 + (int) (rnd() % 3); f++)
				t[rnd() % len] ^= (uint8_t) (1 + rnd() % 255);
			nsel = make_sel(k % 6, 100);
			(void) nfc_decode_cols_sel(t, len, k % 3 ? NULL : w, SNCOL, selbuf, nsel,
									   &s, err, sizeof(err));
		}
		for (size_t l = 0; l < len; l++)
		{
			uint8_t    *tr = malloc(l ? l : 1);

			memcpy(tr, buf, l);
			nsel = make_sel(3 + l % 3, 100);
			if (nfc_decode_cols_sel(tr, l, NULL, 0, selbuf, nsel, &s, err, sizeof(err)) == 0)
				trunc_refused = 0;
			free(tr);
		}
		ok(trunc_refused, "every truncation refused by the selective path");
		ok(1, "20000 corrupt copies through the selective path: no fault");
		free(t);
	}
	free(buf);
	nfc_batch_free(&s);
}

/* Run the tests. */
int
main(void)
{
	fill(10000, 0);
	round_trip(10000, 3, "10000 rows, no NULL");
	fill(10000, 30);
	round_trip(10000, 3, "10000 rows, 30% NULL");
	fill(10000, 30);
	round_trip(10000, 0, "10000 rows, 30% NULL, no zstd");
	fill(10000, 100);
	round_trip(10000, 3, "10000 rows, every nullable column NULL");
	fill(1, 0);
	round_trip(1, 3, "one row");
	fill(1, 100);
	round_trip(1, 3, "one row, NULLs");
	fill(MAXR, 5);
	round_trip(MAXR, 1, "NFC_MAX_ROWS rows");
	fill(9, 50);
	round_trip(9, 19, "nine rows, zstd level 19");
	want_mask();
	corrupt_directory();
	handmade_payloads();
	reference_nulls();
	selective();
	return tap_done();
}
