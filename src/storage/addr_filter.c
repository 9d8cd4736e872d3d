/*-------------------------------------------------------------------------
 *
 * addr_filter.c
 *	  Build and probe the address filter of a compressed batch (a Bloom
 *	  filter of its distinct addresses; format in addr_filter.h).  Plain C:
 *	  no PostgreSQL header, unit-tested in test/storage.
 *
 *	  The filter is sized on the distinct values (the hashes sorted, equal
 *	  ones counted once): NFAF_BITS_PER_VALUE bits each and NFAF_PROBES
 *	  probes give about 2% false positives, and no false negative.  A
 *	  filter that does not parse is never trusted: the caller reads the
 *	  batch.
 *
 *-------------------------------------------------------------------------
 */
#include "addr_filter.h"

#include <stdlib.h>
#include <string.h>

/*
 * A 64-bit finalizer: every input bit affects every output bit.  The same
 * constants as key_table.h's in-memory hash, deliberately not shared:
 * this hash is stored (docs/formats.md), that one may change freely.
 */
static uint64_t
mix64(uint64_t x)
{
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	x *= UINT64_C(0xd6e8feb86659fd93);
	x ^= x >> 32;
	return x;
}

/* Little-endian load of n (at most 8) bytes. */
static uint64_t
load_le(const uint8_t *p, size_t n)
{
	uint64_t	v = 0;

	for (size_t i = n; i-- > 0;)
		v = (v << 8) | p[i];
	return v;
}

/* Hash of a value's stored bytes, the same on every platform. */
uint64_t
nfaf_hash(const uint8_t *value, size_t len)
{
	uint64_t	h = UINT64_C(0x9e3779b97f4a7c15) ^ (uint64_t) len;

	for (size_t off = 0; off < len; off += 8)
	{
		size_t		n = len - off < 8 ? len - off : 8;

		h = mix64(h ^ load_le(value + off, n)) + UINT64_C(0x9e3779b97f4a7c15);
	}
	return mix64(h);
}

/* qsort comparator of uint64_t. */
static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *) a;
	uint64_t	y = *(const uint64_t *) b;

	return x < y ? -1 : x > y;
}

/* Bit number i of a value's probes in a filter of m bits. */
static inline uint32_t
probe(uint64_t hash, int i, uint32_t m)
{
	uint32_t	h1 = (uint32_t) hash;
	uint32_t	h2 = (uint32_t) (hash >> 32) | 1;

	return (uint32_t) ((uint32_t) (h1 + (uint32_t) i * h2) % m);
}

/*
 * Build the filter of the n value hashes (sorted in place; repeats count
 * once) covering the ncols columns cols: *out (malloc'd, the caller frees
 * it) of *outlen bytes.  -1 on bad arguments or no memory.
 */
int
nfaf_build(uint64_t *hashes, size_t n, const uint16_t *cols, int ncols,
		   uint8_t **out, size_t *outlen)
{
	size_t		distinct = 0;
	uint64_t	m64;
	uint32_t	m;
	size_t		len;
	uint8_t    *buf;
	uint8_t    *bits;

	*out = NULL;
	*outlen = 0;
	if (ncols < 1 || ncols > NFAF_MAX_COLS || (n > 0 && hashes == NULL))
		return -1;
	if (n > 1)
		qsort(hashes, n, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || hashes[i] != hashes[i - 1])
			distinct++;
	m64 = ((uint64_t) distinct * NFAF_BITS_PER_VALUE + 63) / 64 * 64;
	if (m64 < 64)
		m64 = 64;
	if (m64 > UINT32_MAX - 63)
		return -1;
	m = (uint32_t) m64;
	len = NFAF_HEADER_SIZE + 2 * (size_t) ncols + m / 8;
	buf = calloc(1, len);
	if (buf == NULL)
		return -1;
	memcpy(buf, "NFAF", 4);
	buf[4] = NFAF_VERSION;
	buf[5] = NFAF_PROBES;
	buf[6] = (uint8_t) ncols;
	buf[7] = 0;
	for (int b = 0; b < 4; b++)
		buf[8 + b] = (uint8_t) (m >> (8 * b));
	for (int c = 0; c < ncols; c++)
	{
		buf[NFAF_HEADER_SIZE + 2 * c] = (uint8_t) cols[c];
		buf[NFAF_HEADER_SIZE + 2 * c + 1] = (uint8_t) (cols[c] >> 8);
	}
	bits = buf + NFAF_HEADER_SIZE + 2 * ncols;
	for (size_t i = 0; i < n; i++)
	{
		if (i > 0 && hashes[i] == hashes[i - 1])
			continue;
		for (int p = 0; p < NFAF_PROBES; p++)
		{
			uint32_t	bit = probe(hashes[i], p, m);

			bits[bit / 8] |= (uint8_t) (1u << (bit % 8));
		}
	}
	*out = buf;
	*outlen = len;
	return 0;
}

/* Read a filter from its len bytes into *f; -1 when they are not one. */
int
nfaf_parse(const uint8_t *buf, size_t len, NfAddrFilter *f)
{
	if (buf == NULL || len < NFAF_HEADER_SIZE || memcmp(buf, "NFAF", 4) != 0 ||
		buf[4] != NFAF_VERSION || buf[5] < 1 || buf[5] > 16 ||
		buf[6] < 1 || buf[6] > NFAF_MAX_COLS || buf[7] != 0)
		return -1;
	f->k = buf[5];
	f->ncols = buf[6];
	f->m = (uint32_t) load_le(buf + 8, 4);
	if (f->m < 64 || f->m % 64 != 0 ||
		len != NFAF_HEADER_SIZE + 2 * (size_t) f->ncols + f->m / 8)
		return -1;
	for (int c = 0; c < f->ncols; c++)
		f->cols[c] = (uint16_t) load_le(buf + NFAF_HEADER_SIZE + 2 * c, 2);
	f->bits = buf + NFAF_HEADER_SIZE + 2 * f->ncols;
	return 0;
}

/* Whether the filter holds the values of 0-based attribute att. */
int
nfaf_covers(const NfAddrFilter *f, int att)
{
	for (int c = 0; c < f->ncols; c++)
		if (f->cols[c] == att)
			return 1;
	return 0;
}

/*
 * Whether a value of this hash may be in a covered column of the batch:
 * 0 only when it surely is not.
 */
int
nfaf_may_contain(const NfAddrFilter *f, uint64_t hash)
{
	for (int p = 0; p < f->k; p++)
	{
		uint32_t	bit = probe(hash, p, f->m);

		if ((f->bits[bit / 8] & (1u << (bit % 8))) == 0)
			return 0;
	}
	return 1;
}
