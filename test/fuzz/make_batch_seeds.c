/*-------------------------------------------------------------------------
 *
 * make_batch_seeds.c
 *	  Writes the seed corpus of fuzz_batch (test/fuzz/corpus-batch/): small
 *	  valid batches of every encoding and null mode, each preceded by the
 *	  want-mask byte.  make -C test/fuzz batch-seeds
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_codec.h"

#define NR 300

/* Write one seed file: the want byte, then the batch. */
static void
put(const char *dir, const char *name, uint8_t wantbyte, int ncols, uint32_t n,
	const NfcColumnIn *in, const int *ref, int level)
{
	uint8_t    *buf;
	size_t		len;
	char		path[512];
	FILE	   *f;

	if (nfc_encode_ref(ncols, n, in, ref, level, &buf, &len) != 0)
	{
		fprintf(stderr, "%s: encode failed\n", name);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite(&wantbyte, 1, 1, f) != 1 || fwrite(buf, 1, len, f) != len)
	{
		perror(path);
		exit(1);
	}
	fclose(f);
	free(buf);
}

/* Make the seeds. */
int
main(int argc, char **argv)
{
	static uint8_t nul[6][NR],
				str[NR][18],
				slen[NR];
	static int64_t v[6][NR];
	static const uint8_t *sp[NR];
	NfcColumnIn in[6];
	int			ref[6] = {-1, 0, 1, -1, -1, -1};
	const char *dir = argc > 1 ? argv[1] : "corpus-batch";

	for (int i = 0; i < NR; i++)
	{
		v[0][i] = 800000000000000LL + i * 7000;	/* sorted: deltas */
		v[1][i] = v[0][i] + (i % 5) * 1000;	/* relative to column 0 */
		v[2][i] = v[1][i] + 3000;
		v[3][i] = (i % 3) * 1000003;	/* few values: dictionary */
		v[4][i] = i % 2 ? INT64_MAX : INT64_MIN;
		nul[3][i] = i % 4 == 1;
		nul[4][i] = 1;
		str[i][0] = i % 3 ? 2 : 3;
		str[i][1] = i % 3 ? 32 : 128;
		for (int k = 2; k < 18; k++)
			str[i][k] = (uint8_t) (k * 7 + i % 6);
		slen[i] = i % 3 ? 6 : 18;
		sp[i] = str[i];
		nul[5][i] = i % 7 == 3;
	}
	for (int c = 0; c < 6; c++)
	{
		in[c].kind = c == 5 ? NFC_KIND_BYTES : NFC_KIND_INT;
		in[c].isnull = nul[c];
		in[c].ints = v[c];
		in[c].bytes = sp;
		in[c].lens = slen;
	}
	put(dir, "six-columns-zstd", 0x21, 6, NR, in, ref, 3);
	put(dir, "six-columns-raw", 0x06, 6, NR, in, ref, 0);
	put(dir, "one-row", 0xff, 6, 1, in, ref, 3);
	put(dir, "bytes-only", 0x01, 1, NR, in + 5, NULL, 1);
	for (int i = 0; i < NR; i++)
		v[4][i] = -i, nul[4][i] = i % 2;
	put(dir, "extremes-and-nulls", 0x10, 6, NR, in, NULL, 1);
	return 0;
}
