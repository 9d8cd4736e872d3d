/*-------------------------------------------------------------------------
 *
 * test_addr_filter.c
 *	  Unit tests of the address filter of compressed batches
 *	  (src/storage/addr_filter.c): every value built in is found, values
 *	  left out are mostly ruled out (the false positive rate the sizing
 *	  promises), repeats count once in the size, the hash is the same on
 *	  every build (filters are stored), and bytes that are not a filter are
 *	  refused, never read past their end.  Under ASan/UBSan.
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr_filter.h"
#include "tap.h"
#include "xorshift64.h"

/* An inet value as a batch stores it: family, bits, address. */
static size_t
make_inet(uint64_t *rng, int v6, uint8_t *out)
{
	uint64_t	r = xorshift64(rng);

	out[0] = v6 ? 3 : 2;		/* PGSQL_AF_INET6 : PGSQL_AF_INET */
	out[1] = v6 ? 128 : 32;
	for (int i = 0; i < (v6 ? 16 : 4); i++)
	{
		if (i % 8 == 0 && i > 0)
			r = xorshift64(rng);
		out[2 + i] = (uint8_t) (r >> (8 * (i % 8)));
	}
	return v6 ? 18 : 6;
}

/* Build from n random values (a share IPv6), check members and others. */
static void
check_rates(int n, uint64_t seed)
{
	uint64_t	rng = seed;
	uint8_t   (*vals)[18] = malloc(sizeof(*vals) * (n > 0 ? n : 1));
	size_t	   *lens = malloc(sizeof(size_t) * (n > 0 ? n : 1));
	uint64_t   *hashes = malloc(sizeof(uint64_t) * (n > 0 ? 2 * n : 1));
	uint16_t	cols[2] = {6, 7};
	uint8_t    *buf;
	size_t		len;
	NfAddrFilter f;
	int			missing = 0;
	int			fp = 0;
	const int	probes = 200000;

	for (int i = 0; i < n; i++)
	{
		lens[i] = make_inet(&rng, i % 5 == 0, vals[i]);
		hashes[i] = nfaf_hash(vals[i], lens[i]);
		hashes[n + i] = hashes[i];	/* each value twice: counted once */
	}
	ok(nfaf_build(hashes, 2 * (size_t) n, cols, 2, &buf, &len) == 0, "%d values: built", n);
	ok(nfaf_parse(buf, len, &f) == 0, "%d values: parses", n);
	is(f.m, n == 0 ? 64 : ((uint64_t) n * NFAF_BITS_PER_VALUE + 63) / 64 * 64,
	   "%d values: sized on the distinct values", n);
	ok(nfaf_covers(&f, 6) && nfaf_covers(&f, 7) && !nfaf_covers(&f, 5),
	   "%d values: covers its columns only", n);
	for (int i = 0; i < n; i++)
		if (!nfaf_may_contain(&f, nfaf_hash(vals[i], lens[i])))
			missing++;
	is(missing, 0, "%d values: every value built in may be there", n);
	for (int i = 0; i < probes; i++)
	{
		uint8_t		v[18];
		size_t		l = make_inet(&rng, i % 5 == 0, v);

		fp += nfaf_may_contain(&f, nfaf_hash(v, l));
	}
	if (n == 0)
		is(fp, 0, "empty filter: nothing may be there");
	else
		ok(fp < probes * 4 / 100, "%d values: %d of %d other values pass (under 4%%)",
		   n, fp, probes);
	free(buf);
	free(vals);
	free(lens);
	free(hashes);
}

/* Bytes that are not a filter are refused. */
static void
check_refused(void)
{
	static const struct
	{
		size_t		off;
		uint8_t		val;
		size_t		off2;		/* 0: none */
		uint8_t		val2;
		const char *what;
	}			bad[] = {
		{0, 'X', 0, 0, "bad magic"},
		{4, 2, 0, 0, "unknown version"},
		{5, 0, 0, 0, "no probe"},
		{6, 0, 0, 0, "no column"},
		{8, 65, 0, 0, "bits not a multiple of 64"},
		{8, 0, 9, 1, "more bits than bytes (256 bits, bytes for 64)"},
	};
	uint64_t	h[3] = {1, 2, 3};
	uint16_t	cols[1] = {6};
	uint8_t    *buf;
	uint8_t    *copy;
	size_t		len;
	NfAddrFilter f;
	int			accepted = 0;

	ok(nfaf_build(h, 3, cols, 0, &buf, &len) == -1, "no column: refused");
	ok(nfaf_build(h, 3, cols, NFAF_MAX_COLS + 1, &buf, &len) == -1, "too many columns: refused");
	ok(nfaf_build(h, 3, cols, 1, &buf, &len) == 0, "small filter built");
	ok(nfaf_parse(NULL, 0, &f) == -1, "NULL refused");
	for (size_t l = 0; l < len; l++)
	{
		/* every truncation, in a buffer of exactly that size */
		copy = malloc(l > 0 ? l : 1);
		memcpy(copy, buf, l);
		accepted += nfaf_parse(copy, l, &f) != -1;
		free(copy);
	}
	is(accepted, 0, "every truncation refused");
	copy = malloc(len + 1);
	memcpy(copy, buf, len);
	copy[len] = 0;
	ok(nfaf_parse(copy, len + 1, &f) == -1, "a byte too many: refused");
	/* one byte changed at a time */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		memcpy(copy, buf, len);
		copy[bad[i].off] = bad[i].val;
		if (bad[i].off2 > 0)
			copy[bad[i].off2] = bad[i].val2;
		ok(nfaf_parse(copy, len, &f) == -1, "%s: refused", bad[i].what);
	}
	free(copy);
	free(buf);
}

int
main(void)
{
	static const uint8_t v4[6] = {2, 32, 10, 3, 14, 13};	/* 10.3.14.13/32 */
	static const uint8_t v6[18] = {3, 128, 0x20, 0x01, 0x0d, 0xb8};
	uint64_t	h4 = nfaf_hash(v4, sizeof(v4));

	/*
	 * the hash is part of the stored format (docs/formats.md): these values,
	 * from the first build, must never change
	 */
	is(h4, UINT64_C(0x7efcc5cafd2b0eae), "hash of 10.3.14.13 as stored");
	is(nfaf_hash(v6, sizeof(v6)), UINT64_C(0x48423b720b948f08), "hash of 2001:db8:: as stored");
	ok(nfaf_hash(v4, 5) != h4, "the length is hashed");
	check_rates(0, 7);
	check_rates(1, 11);
	check_rates(4000, 13);
	check_rates(10000, 17);
	check_refused();
	return tap_done();
}
