/*-------------------------------------------------------------------------
 *
 * batch_stats.c
 *	  Diagnostic tool of the batch codec (not a test): reads flows as CSV
 *	  (a header line; a first column naming the partition, then one column
 *	  per table column whose name ends in _i for integers or _b for hex of
 *	  the send form of inet or macaddr; empty = NULL), cuts each partition
 *	  into batches as compression does, encodes them and prints the bytes
 *	  per flow of every column, the encode time, and the decode time of
 *	  every column and of two (src_addr, bytes).
 *
 *	  make -C test/storage stats
 *	  build/batch_stats FILE.csv [ROWS_PER_BATCH [ZSTD_LEVEL [MAX_ROWS]]]
 *
 *	  Such a CSV comes from netflow.flows by
 *	    COPY (SELECT date_trunc('day', time_start) AS part,
 *	          (extract(epoch FROM time_start) * 1000000)::bigint
 *	            - 946684800000000 AS time_start_i, ...,
 *	          encode(inet_send(src_addr), 'hex') AS src_addr_b, ...
 *	          FROM netflow.flows ORDER BY 1, exporter, time_start) TO ...
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "batch_codec.h"

#define MAXC 64

static int	ncols;
static char *names[MAXC];
static int	kinds[MAXC];
static size_t nrows,
			cap;
static char **parts;
static uint8_t *isnull[MAXC];
static int64_t *ints[MAXC];
static uint8_t *bytes[MAXC];	/* 18 per row */
static uint8_t *lens[MAXC];

/* CPU seconds used by the process (less sensitive to load than wall time). */
static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Value of one hex digit. */
static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Make room for one more row. */
static void
grow(void)
{
	if (nrows < cap)
		return;
	cap = cap ? cap * 2 : 65536;
	parts = realloc(parts, cap * sizeof(char *));
	for (int c = 0; c < ncols; c++)
	{
		isnull[c] = realloc(isnull[c], cap);
		if (kinds[c] == NFC_KIND_INT)
			ints[c] = realloc(ints[c], cap * sizeof(int64_t));
		else
		{
			bytes[c] = realloc(bytes[c], cap * 18);
			lens[c] = realloc(lens[c], cap);
		}
	}
}

/* Read the CSV into the column arrays. */
static void
load(const char *path, size_t maxrows)
{
	FILE	   *f = fopen(path, "r");
	char	   *line = NULL;
	size_t		lcap = 0;
	char	   *tok,
			   *save;

	if (f == NULL || getline(&line, &lcap, f) < 0)
	{
		perror(path);
		exit(1);
	}
	line[strcspn(line, "\r\n")] = 0;
	tok = strtok_r(line, ",", &save);	/* part */
	while ((tok = strtok_r(NULL, ",", &save)) != NULL && ncols < MAXC)
	{
		size_t		l = strlen(tok);

		names[ncols] = strndup(tok, l - 2);
		kinds[ncols] = tok[l - 1] == 'b' ? NFC_KIND_BYTES : NFC_KIND_INT;
		ncols++;
	}
	while (getline(&line, &lcap, f) > 0 && nrows < maxrows)
	{
		char	   *p = line,
				   *q;
		size_t		r;

		grow();
		r = nrows++;
		q = strchr(p, ',');
		*q = 0;
		parts[r] = (r > 0 && strcmp(parts[r - 1], p) == 0) ? parts[r - 1] : strdup(p);
		p = q + 1;
		for (int c = 0; c < ncols; c++)
		{
			q = p + strcspn(p, ",\r\n");
			isnull[c][r] = q == p;
			if (!isnull[c][r] && kinds[c] == NFC_KIND_INT)
				ints[c][r] = strtoll(p, NULL, 10);
			else if (!isnull[c][r])
			{
				/* send form: family, bits, is_cidr, length, address; or 6 MAC bytes */
				uint8_t		raw[24];
				int			n = (int) (q - p) / 2;
				uint8_t    *out = bytes[c] + r * 18;

				for (int k = 0; k < n && k < 24; k++)
					raw[k] = (uint8_t) (hexval(p[2 * k]) << 4 | hexval(p[2 * k + 1]));
				if (n == 6)
				{
					memcpy(out, raw, 6);
					lens[c][r] = 6;
				}
				else
				{
					out[0] = raw[0];
					out[1] = raw[1];
					memcpy(out + 2, raw + 4, raw[3]);
					lens[c][r] = (uint8_t) (2 + raw[3]);
				}
			}
			p = *q ? q + 1 : q;
		}
	}
	free(line);
	fclose(f);
}

/* Column index by name, or -1. */
static int
col_named(const char *name)
{
	for (int c = 0; c < ncols; c++)
		if (strcmp(names[c], name) == 0)
			return c;
	return -1;
}

/* Encode every batch, report sizes and times. */
int
main(int argc, char **argv)
{
	size_t		batch = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	int			level = argc > 3 ? atoi(argv[3]) : 3;
	size_t		maxrows = argc > 4 ? strtoul(argv[4], NULL, 10) : SIZE_MAX;
	int			ref[MAXC];
	NfcColumnIn in[MAXC];
	const uint8_t **ptrs[MAXC];
	double		colbytes[MAXC] = {0},
				overhead = 0,
				total = 0,
				tenc = 0,
				tall = 0,
				ttwo = 0;
	int			nbatches = 0;
	uint8_t		want[MAXC] = {0};
	NfcBatch	b;
	int			encs[MAXC][5] = {{0}};
	int			zstd_cols = 0,
				used_ref[MAXC] = {0};
	char		err[256];

	if (argc < 2)
	{
		fprintf(stderr, "usage: %s FILE.csv [ROWS_PER_BATCH [ZSTD_LEVEL [MAX_ROWS]]]\n", argv[0]);
		return 2;
	}
	load(argv[1], maxrows);
	for (int c = 0; c < ncols; c++)
		ref[c] = -1;
	if (col_named("time_end") >= 0)
		ref[col_named("time_end")] = col_named("time_start");
	if (col_named("time_received") >= 0)
		ref[col_named("time_received")] = col_named("time_end");
	if (col_named("src_addr") >= 0)
		want[col_named("src_addr")] = 1;
	if (col_named("bytes") >= 0)
		want[col_named("bytes")] = 1;
	memset(&b, 0, sizeof(b));
	for (int c = 0; c < ncols; c++)
	{
		in[c].kind = kinds[c];
		ptrs[c] = NULL;
		if (kinds[c] == NFC_KIND_BYTES)
		{
			ptrs[c] = malloc(nrows * sizeof(uint8_t *));
			for (size_t r = 0; r < nrows; r++)
				ptrs[c][r] = bytes[c] + r * 18;
		}
	}
	for (size_t start = 0; start < nrows;)
	{
		size_t		n = 0;
		uint8_t    *buf;
		size_t		len;
		double		t;
		NfcColumnStat st[MAXC];
		int			nc;

		while (start + n < nrows && n < batch && parts[start + n] == parts[start])
			n++;
		for (int c = 0; c < ncols; c++)
		{
			in[c].isnull = isnull[c] + start;
			in[c].ints = ints[c] ? ints[c] + start : NULL;
			in[c].bytes = ptrs[c] ? ptrs[c] + start : NULL;
			in[c].lens = lens[c] ? lens[c] + start : NULL;
		}
		t = now();
		if (nfc_encode_ref(ncols, (uint32_t) n, in, ref, level, &buf, &len) != 0)
		{
			fprintf(stderr, "encode failed\n");
			return 1;
		}
		tenc += now() - t;
		if (nfc_column_stats(buf, len, st, MAXC, &nc, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "stats: %s\n", err);
			return 1;
		}
		total += len;
		overhead += NFC_HEADER_SIZE + nc * NFC_DIR_ENTRY_SIZE;
		for (int c = 0; c < nc; c++)
		{
			colbytes[c] += st[c].storedlen;
			encs[c][st[c].encoding]++;
			zstd_cols += st[c].storage == NFC_STORE_ZSTD;
			used_ref[c] += st[c].ref >= 0;
		}
		t = now();
		if (nfc_decode_cols(buf, len, NULL, 0, &b, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "decode: %s\n", err);
			return 1;
		}
		tall += now() - t;
		t = now();
		if (nfc_decode_cols(buf, len, want, ncols, &b, err, sizeof(err)) != 0)
		{
			fprintf(stderr, "decode: %s\n", err);
			return 1;
		}
		ttwo += now() - t;
		free(buf);
		nbatches++;
		start += n;
	}
	nfc_batch_free(&b);
	printf("%zu flows, %d batches of at most %zu rows, zstd level %d\n", nrows, nbatches, batch, level);
	printf("total %.2f B/flow (header+directory %.3f)\n", total / nrows, overhead / nrows);
	for (int c = 0; c < ncols; c++)
		printf("  %-16s %6.2f B/flow  %5.2f bits  enc none/for/dict/delta %d/%d/%d/%d%s\n",
			   names[c], colbytes[c] / nrows, colbytes[c] * 8 / nrows,
			   encs[c][0], encs[c][1], encs[c][2], encs[c][3],
			   used_ref[c] ? " (relative to its reference)" : "");
	printf("per CPU second: encode %.0f flows/s; decode all columns %.0f flows/s, src_addr+bytes %.0f flows/s\n",
		   nrows / tenc, nrows / tall, nrows / ttwo);
	return 0;
}
