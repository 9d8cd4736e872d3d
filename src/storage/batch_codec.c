/*-------------------------------------------------------------------------
 *
 * batch_codec.c
 *	  Encoder and decoder of the column batches of compressed netflow
 *	  partitions (format version 2, docs/formats.md).  Plain C: no
 *	  PostgreSQL header, so test/storage unit-tests it under ASan/UBSan and
 *	  test/fuzz fuzzes the decoder.
 *
 *	  A header, a directory of the columns (kind, null mode, encoding,
 *	  storage, reference column, raw and stored lengths), then each
 *	  column's bytes, compressed on its own: a reader inflates only the
 *	  columns it wants.  Per column a null bitmap (omitted when no value or
 *	  every value is NULL: then nothing is stored), then the non-null values
 *	  in the encoding whose stored form is the smallest of those tried:
 *	  integers as frame of reference, deltas or dictionary, byte strings
 *	  (addresses, MACs) as a dictionary; values and indexes bit-packed or as
 *	  byte planes.  The decoder checks every length, offset and index
 *	  against the buffer before using it; its work is linear in the size of
 *	  the batch and of its raw columns.
 *
 *-------------------------------------------------------------------------
 */
#include "batch_codec.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include <zstd.h>

/* A growable output buffer; failed is set once an allocation failed. */
typedef struct Buf
{
	uint8_t    *p;
	size_t		len;
	size_t		cap;
	int			failed;
} Buf;

/* Make room for n more bytes in b; 0 when out of memory. */
static int
buf_reserve(Buf *b, size_t n)
{
	size_t		need;
	uint8_t    *np;

	if (b->failed)
		return 0;
	need = b->len + n;
	if (need <= b->cap)
		return 1;
	if (b->cap == 0)
		b->cap = 4096;
	while (b->cap < need)
		b->cap *= 2;
	np = realloc(b->p, b->cap);
	if (np == NULL)
	{
		b->failed = 1;
		return 0;
	}
	b->p = np;
	return 1;
}

/* Append n bytes. */
static void
buf_put(Buf *b, const void *data, size_t n)
{
	if (n == 0 || !buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

/* Append one byte. */
static void
buf_u8(Buf *b, uint8_t v)
{
	buf_put(b, &v, 1);
}

/* Append an unsigned LEB128 varint. */
static void
buf_varint(Buf *b, uint64_t v)
{
	uint8_t		x[10];
	int			n = 0;

	while (v >= 0x80)
	{
		x[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	x[n++] = (uint8_t) v;
	buf_put(b, x, n);
}

/* Zigzag: small magnitudes of either sign become small unsigned values. */
static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

/* Inverse of zigzag. */
static int64_t
unzigzag(uint64_t v)
{
	return (int64_t) (v >> 1) ^ -(int64_t) (v & 1);
}

/* Bits needed to hold v (0 for 0). */
static int
bit_width(uint64_t v)
{
	int			w = 0;

	while (v)
	{
		w++;
		v >>= 1;
	}
	return w;
}

/* Bytes taken by n values of width bits. */
static size_t
packed_size(size_t n, int width)
{
	return (n * (size_t) width + 7) / 8;
}

/* Append n values of width bits each, least significant bit first. */
static void
buf_pack(Buf *b, const uint64_t *v, size_t n, int width)
{
	size_t		bytes = packed_size(n, width);
	uint8_t    *p;
	uint64_t	acc = 0;
	int			nb = 0;
	uint64_t	mask = width == 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1;

	if (bytes == 0 || !buf_reserve(b, bytes))
		return;
	p = b->p + b->len;
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	x = v[i] & mask;

		acc |= x << nb;
		if (nb + width >= 64)
		{
			for (int k = 0; k < 8; k++)
				*p++ = (uint8_t) (acc >> (8 * k));
			acc = nb ? x >> (64 - nb) : 0;
			nb = nb + width - 64;
		}
		else
			nb += width;
	}
	for (int k = 0; nb > 0; k++, nb -= 8)
		*p++ = (uint8_t) (acc >> (8 * k));
	b->len += bytes;
}

/* Read value i of width bits from packed data (bounds checked by caller). */
static uint64_t
unpack_one(const uint8_t *p, size_t i, int width)
{
	size_t		bit = i * (size_t) width;
	uint64_t	v = 0;
	int			got = 0;

	while (got < width)
	{
		int			off = (int) (bit & 7);
		int			take = 8 - off < width - got ? 8 - off : width - got;

		v |= (uint64_t) ((p[bit >> 3] >> off) & ((1u << take) - 1)) << got;
		got += take;
		bit += take;
	}
	return v;
}

/*
 * Load 8 bytes little-endian: one unaligned load on a little-endian CPU
 * (the byte loop was not merged into one by the compiler and cost most of
 * the unpacking of bit-packed arrays).
 */
static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t	v = 0;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(&v, p, sizeof(v));
#else
	for (int k = 7; k >= 0; k--)
		v = (v << 8) | p[k];
#endif
	return v;
}

/*
 * Value i of width (1..64) bits from p by one unaligned load, unmasked:
 * the 9 bytes from the value's first byte must be readable.
 */
static inline uint64_t
unpack_word(const uint8_t *p, size_t i, int width)
{
	size_t		bit = i * (size_t) width;
	size_t		byte = bit >> 3;
	int			shift = (int) (bit & 7);
	uint64_t	v = load_le64(p + byte) >> shift;

	if (shift + width > 64)
		v |= (uint64_t) p[byte + 8] << (64 - shift);
	return v;
}

/* Whether value i of width bits lies 9 bytes or more before the end of plen. */
static inline int
unpack_word_fits(size_t plen, size_t i, int width)
{
	return ((i * (size_t) width) >> 3) + 9 <= plen;
}

/*
 * Unpack n values of width bits from p, which holds exactly
 * packed_size(n, width) bytes.
 */
static void
unpack_all(const uint8_t *p, size_t plen, size_t n, int width, uint64_t *out)
{
	uint64_t	mask = width == 64 ? ~UINT64_C(0) : (UINT64_C(1) << width) - 1;
	size_t		i = 0;

	if (width == 0)
	{
		memset(out, 0, n * sizeof(uint64_t));
		return;
	}
	for (; i < n && unpack_word_fits(plen, i, width); i++)
		out[i] = unpack_word(p, i, width) & mask;
	for (; i < n; i++)
		out[i] = unpack_one(p, i, width);
}

/* Layouts of an array of unsigned integers ("uarr" in docs/formats.md). */
#define UARR_BITS 0				/* u8 width, values bit-packed */
#define UARR_BYTES 1			/* u8 byte count, one byte plane after another */

/* Append n unsigned values as bit-packed uarr of the given width. */
static void
put_uarr_bits(Buf *b, const uint64_t *v, size_t n, int width)
{
	buf_u8(b, UARR_BITS);
	buf_u8(b, (uint8_t) width);
	buf_pack(b, v, n, width);
}

/*
 * Append n unsigned values as byte planes: the least significant byte of
 * every value, then the next byte of every value, ... (zstd then codes each
 * plane close to its entropy).
 */
static void
put_uarr_bytes(Buf *b, const uint64_t *v, size_t n, int width)
{
	int			nbytes = (width + 7) / 8;
	uint8_t    *p;

	buf_u8(b, UARR_BYTES);
	buf_u8(b, (uint8_t) nbytes);
	if (nbytes == 0 || n == 0 || !buf_reserve(b, n * nbytes))
		return;
	p = b->p + b->len;
	for (int k = 0; k < nbytes; k++)
		for (size_t i = 0; i < n; i++)
			*p++ = (uint8_t) (v[i] >> (8 * k));
	b->len += n * nbytes;
}

/* qsort comparator of int64 values. */
static int
cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a;
	int64_t		y = *(const int64_t *) b;

	return x < y ? -1 : x > y;
}

/* Most distinct values a dictionary holds: beyond it, bit-packed indexes
 * are rarely smaller than frame of reference or deltas. */
#define NFC_DICT_MAX 4096

/* Slots of the hash table of int_dictionary: load <= 1/4 at NFC_DICT_MAX. */
#define NFC_DICT_HASH_BITS 14

/* Hash slot of a 64-bit value in a table of 2^bits slots. */
static size_t
hash_i64(int64_t v, int bits)
{
	return (size_t) (((uint64_t) v * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

/*
 * Distinct values of v (at most NFC_DICT_MAX, else 0), sorted, into d; the
 * dictionary index of each value into idx.  keys/slot are scratch tables of
 * 2^NFC_DICT_HASH_BITS entries.  Returns the number of distinct values, 0 when too many.
 */
static size_t
int_dictionary(const int64_t *v, size_t nn, int64_t *d, uint64_t *idx,
			   int64_t *keys, int32_t *slot)
{
	int			bits = NFC_DICT_HASH_BITS;
	size_t		cap = (size_t) 1 << bits;
	size_t		nd = 0;

	memset(slot, -1, cap * sizeof(int32_t));
	for (size_t i = 0; i < nn; i++)
	{
		size_t		h = hash_i64(v[i], bits);

		while (slot[h] >= 0 && keys[h] != v[i])
			h = (h + 1) & (cap - 1);
		if (slot[h] < 0)
		{
			if (nd == NFC_DICT_MAX)
			{
				nd = 0;
				goto done;
			}
			keys[h] = v[i];
			slot[h] = 0;
			d[nd++] = v[i];
		}
	}
	qsort(d, nd, sizeof(int64_t), cmp_i64);
	/* slot[] = rank of the key in the sorted dictionary */
	for (size_t k = 0; k < nd; k++)
	{
		size_t		h = hash_i64(d[k], bits);

		while (keys[h] != d[k] || slot[h] < 0)
			h = (h + 1) & (cap - 1);
		slot[h] = (int32_t) k;
	}
	for (size_t i = 0; i < nn; i++)
	{
		size_t		h = hash_i64(v[i], bits);

		while (keys[h] != v[i] || slot[h] < 0)
			h = (h + 1) & (cap - 1);
		idx[i] = (uint64_t) slot[h];
	}
done:
	return nd;
}

/* FNV-1a hash of a byte string. */
static uint64_t
hash_bytes(const uint8_t *p, uint32_t len)
{
	uint64_t	h = UINT64_C(14695981039346656037) ^ len;

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

/*
 * Scratch arrays of the encoder, kept for the life of the process and grown
 * as needed (as the zstd context is): allocating them per batch and column
 * cost page faults (the large ones are mmap'd) that showed in profiles.
 */
enum
{
	SCR_U1, SCR_U2, SCR_U3, SCR_V, SCR_HKEYS, SCR_HSLOT, SCR_CNT, SCR_PERM,
	SCR_RANK, SCR_ENT, SCR_BSLOT, SCR_BENT, SCR_BORD, SCR_BRANK, SCR_BEIDX,
	SCR_BM, SCR_P, SCR_L, SCR_COUNT
};

/* Scratch array number which of at least bytes bytes; NULL when out of memory. */
static void *
scratch_get(int which, size_t bytes)
{
	static void *p[SCR_COUNT];
	static size_t cap[SCR_COUNT];

	if (cap[which] < bytes || p[which] == NULL)
	{
		void	   *np = realloc(p[which], bytes ? bytes : 1);

		if (np == NULL)
			return NULL;
		p[which] = np;
		cap[which] = bytes ? bytes : 1;
	}
	return p[which];
}

/*
 * zstd level of the trial compressions that pick a column's encoding: the
 * winner is compressed again at the batch's level.  Level 1 ranks the
 * candidates as level 3 does, at about twice the speed.
 */
#define NFC_TRIAL_LEVEL 1

/*
 * The encoder's state for one batch: a zstd context, the candidate payload
 * being tried for the current column and the smallest stored form found so
 * far, and scratch arrays of nrows entries.
 */
typedef struct Enc
{
	ZSTD_CCtx  *zc;
	int			level;
	Buf			cand;			/* raw payload of the candidate */
	Buf			z;				/* its compressed form */
	Buf			best;			/* stored bytes of the best candidate */
	int			have_best;
	int			best_enc;
	int			best_store;
	int			best_ref;
	uint32_t	best_raw;
	int			cur_ref;		/* reference of the candidates being tried */
	const uint8_t *bitmap;		/* null bitmap prefix of every payload */
	size_t		bitmap_len;
	uint64_t   *u1;				/* scratch, nrows each */
	uint64_t   *u2;
	uint64_t   *u3;
	int64_t    *v;
	int64_t    *hkeys;			/* hash table of int_dictionary */
	int32_t    *hslot;
	int			best_zstd;		/* best compressed at the trial level */
	Buf			braw;			/* raw payload of the best candidate */
	Buf			head;			/* dictionary of a candidate */
	int			failed;
} Enc;

/* Start a candidate payload: the null bitmap, if any. */
static void
cand_start(Enc *e)
{
	e->cand.len = 0;
	buf_put(&e->cand, e->bitmap, e->bitmap_len);
}

/*
 * Finish a candidate of encoding enc: compress it, and keep it when its
 * stored form is the smallest so far.
 */
static void
cand_finish(Enc *e, int enc)
{
	const uint8_t *stored = e->cand.p;
	size_t		storedlen = e->cand.len;
	int			store = NFC_STORE_RAW;

	if (e->cand.failed || e->cand.len > NFC_MAX_BODY)
	{
		e->failed = 1;
		return;
	}
	if (e->level > 0 && e->cand.len > 0)
	{
		size_t		bound = ZSTD_compressBound(e->cand.len);
		size_t		n;

		e->z.len = 0;
		if (!buf_reserve(&e->z, bound))
		{
			e->failed = 1;
			return;
		}
		n = ZSTD_compressCCtx(e->zc, e->z.p, bound, e->cand.p, e->cand.len,
							  e->level < NFC_TRIAL_LEVEL ? e->level : NFC_TRIAL_LEVEL);
		if (ZSTD_isError(n))
		{
			e->failed = 1;
			return;
		}
		if (n < storedlen)
		{
			stored = e->z.p;
			storedlen = n;
			store = NFC_STORE_ZSTD;
		}
	}
	if (e->have_best && storedlen >= e->best.len)
		return;
	e->best.len = 0;
	buf_put(&e->best, stored, storedlen);
	e->braw.len = 0;
	if (e->level > NFC_TRIAL_LEVEL && store == NFC_STORE_ZSTD)
		buf_put(&e->braw, e->cand.p, e->cand.len);
	if (e->braw.failed)
	{
		e->failed = 1;
		return;
	}
	if (e->best.failed)
	{
		e->failed = 1;
		return;
	}
	e->have_best = 1;
	e->best_zstd = store == NFC_STORE_ZSTD;
	e->best_enc = enc;
	e->best_store = store;
	e->best_ref = e->cur_ref;
	e->best_raw = (uint32_t) e->cand.len;
}

/* Put u[0..n) as uarr in both layouts, one candidate each, after prefix. */
static void
try_uarr(Enc *e, int enc, const uint8_t *prefix, size_t prefixlen,
		 const uint64_t *u, size_t n, int width)
{
	cand_start(e);
	buf_put(&e->cand, prefix, prefixlen);
	put_uarr_bits(&e->cand, u, n, width);
	cand_finish(e, enc);
	if (width == 0)
		return;
	cand_start(e);
	buf_put(&e->cand, prefix, prefixlen);
	put_uarr_bytes(&e->cand, u, n, width);
	cand_finish(e, enc);
}

/* Greatest common divisor of two values (gcd(0, b) = b). */
static uint64_t
gcd64(uint64_t a, uint64_t b)
{
	while (a)
	{
		uint64_t	t = b % a;

		b = a;
		a = t;
	}
	return b;
}

/*
 * The largest factor common to u[0..n) (1 when there is none, or every
 * value is 0).
 */
static uint64_t
common_factor(const uint64_t *u, size_t n)
{
	uint64_t	g = 0;

	for (size_t i = 0; i < n && g != 1; i++)
		g = gcd64(u[i], g);
	return g ? g : 1;
}

/* Order of dictionary entries by descending count (then first row). */
static const uint32_t *sort_counts;

/* qsort comparator: entry indexes by descending sort_counts. */
static int
cmp_count_desc(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *) a;
	uint32_t	y = *(const uint32_t *) b;

	if (sort_counts[x] != sort_counts[y])
		return sort_counts[x] > sort_counts[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Try the encodings of the nn non-null integers v of one column (after the
 * subtraction of the reference column, if any).
 */
static void
try_ints(Enc *e, const int64_t *v, size_t nn)
{
	int64_t		mn = v[0],
				mx = v[0];
	int			for_width;
	int			sorted = 0;		/* nearly sorted: deltas narrower than values */
	uint64_t	g;
	uint8_t		pre[32];
	Buf			pb = {0};

	for (size_t i = 1; i < nn; i++)
	{
		if (v[i] < mn)
			mn = v[i];
		if (v[i] > mx)
			mx = v[i];
	}
	for_width = bit_width((uint64_t) mx - (uint64_t) mn);

	/* frame of reference, divided by the values' common factor */
	for (size_t i = 0; i < nn; i++)
		e->u1[i] = (uint64_t) v[i] - (uint64_t) mn;
	g = common_factor(e->u1, nn);
	if (g > 1)
	{
		for (size_t i = 0; i < nn; i++)
			e->u1[i] /= g;
		for_width = bit_width(((uint64_t) mx - (uint64_t) mn) / g);
	}
	pb.p = pre;
	pb.cap = sizeof(pre);
	buf_varint(&pb, zigzag(mn));
	buf_varint(&pb, g);
	try_uarr(e, NFC_ENC_FOR, pre, pb.len, e->u1, nn, for_width);
	if (for_width < 2 || e->failed)
		return;

	/* deltas, when they are narrower */
	if (nn >= 2)
	{
		uint64_t	dmax = 0;
		int			dw;

		uint64_t	dg;

		/* the deltas' common factor, on their magnitudes */
		for (size_t i = 1; i < nn; i++)
		{
			int64_t		d = (int64_t) ((uint64_t) v[i] - (uint64_t) v[i - 1]);

			e->u2[i - 1] = d < 0 ? -(uint64_t) d : (uint64_t) d;
		}
		dg = common_factor(e->u2, nn - 1);
		for (size_t i = 1; i < nn; i++)
		{
			int64_t		d = (int64_t) ((uint64_t) v[i] - (uint64_t) v[i - 1]);

			/* exact division of the signed delta (dg divides it) */
			if (dg > 1)
				d = (int64_t) (d < 0 ? -((-(uint64_t) d) / dg) : (uint64_t) d / dg);
			e->u2[i - 1] = zigzag(d);
			if (e->u2[i - 1] > dmax)
				dmax = e->u2[i - 1];
		}
		dw = bit_width(dmax);
		if (dw < for_width)
		{
			sorted = 1;
			pb.len = 0;
			buf_varint(&pb, zigzag(v[0]));
			buf_varint(&pb, dg);
			try_uarr(e, NFC_ENC_DELTA, pre, pb.len, e->u2, nn - 1, dw);
		}
	}

	/*
	 * dictionary, the most frequent entries first (small indexes); in value
	 * order too when the values are nearly sorted (the entries' deltas are
	 * then small and so are those of the indexes)
	 */
	{
		int64_t    *d = (int64_t *) e->u3;
		size_t		nd = int_dictionary(v, nn, d, e->u1, e->hkeys, e->hslot);

		if (nd > 1 && nd < nn)
		{
			int64_t		dmin = d[0];
			uint32_t   *cnt = scratch_get(SCR_CNT, nd * sizeof(uint32_t));
			uint32_t   *perm = scratch_get(SCR_PERM, nd * sizeof(uint32_t));
			uint32_t   *rank = scratch_get(SCR_RANK, nd * sizeof(uint32_t));
			uint64_t   *ent = scratch_get(SCR_ENT, nd * sizeof(uint64_t));
			Buf		   *head = &e->head;
			int			iw = bit_width(nd - 1);

			if (cnt == NULL || perm == NULL || rank == NULL || ent == NULL)
				e->failed = 1;
			else
			{
				int			ew = bit_width((uint64_t) d[nd - 1] - (uint64_t) dmin);

				memset(cnt, 0, nd * sizeof(uint32_t));
				for (int order = sorted ? 0 : 1; order < 2 && !e->failed; order++)
				{
					if (order == 1)
					{
						for (size_t i = 0; i < nn; i++)
							cnt[e->u1[i]]++;
						for (uint32_t k = 0; k < nd; k++)
							perm[k] = k;
						sort_counts = cnt;
						qsort(perm, nd, sizeof(uint32_t), cmp_count_desc);
						for (uint32_t k = 0; k < nd; k++)
							rank[perm[k]] = k;
						for (size_t i = 0; i < nn; i++)
							e->u1[i] = rank[e->u1[i]];
					}
					for (uint32_t k = 0; k < nd; k++)
						ent[k] = (uint64_t) d[order ? perm[k] : k] - (uint64_t) dmin;
					head->len = 0;
					buf_varint(head, nd);
					buf_varint(head, zigzag(dmin));
					if (order == 0)
						put_uarr_bits(head, ent, nd, ew);
					else
						put_uarr_bytes(head, ent, nd, ew);
					if (head->failed)
						e->failed = 1;
					else
						try_uarr(e, NFC_ENC_DICT, head->p, head->len, e->u1, nn, iw);
				}
			}
		}
	}
}

/* A byte string and the row it came from, for building a dictionary. */
typedef struct Str
{
	const uint8_t *p;
	uint32_t	len;
	uint32_t	count;
} Str;

/*
 * qsort comparator of dictionary entries: by length (so that entries of one
 * length form one run), then by descending count (frequent entries get
 * small indexes), then content.
 */
static int
cmp_str_count(const void *a, const void *b)
{
	const Str  *x = *(const Str *const *) a;
	const Str  *y = *(const Str *const *) b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/*
 * Try the encodings of the nn non-null byte strings (p[i], len[i]) of one
 * column: a dictionary in value or frequency order, fixed-length entries
 * stored transposed, indexes in either uarr layout.
 */
static void
try_bytes(Enc *e, const uint8_t *const *p, const uint32_t *len, size_t nn)
{
	int			bits = bit_width(nn * 2);
	size_t		cap = (size_t) 1 << bits;
	int32_t    *slot = scratch_get(SCR_BSLOT, cap * sizeof(int32_t));
	Str		   *ent = scratch_get(SCR_BENT, nn * sizeof(Str));
	Str		  **ord = scratch_get(SCR_BORD, nn * sizeof(Str *));
	uint32_t   *rank = scratch_get(SCR_BRANK, nn * sizeof(uint32_t));
	uint32_t   *eidx = scratch_get(SCR_BEIDX, nn * sizeof(uint32_t));
	size_t		nd = 0;
	Buf		   *head = &e->head;

	if (slot == NULL || ent == NULL || ord == NULL || rank == NULL || eidx == NULL)
	{
		e->failed = 1;
		return;
	}
	memset(slot, -1, cap * sizeof(int32_t));
	for (size_t i = 0; i < nn; i++)
	{
		size_t		h = (size_t) (hash_bytes(p[i], len[i]) & (cap - 1));

		for (;;)
		{
			if (slot[h] < 0)
			{
				slot[h] = (int32_t) nd;
				ent[nd].p = p[i];
				ent[nd].len = len[i];
				ent[nd].count = 0;
				nd++;
				break;
			}
			if (ent[slot[h]].len == len[i] &&
				memcmp(ent[slot[h]].p, p[i], len[i]) == 0)
				break;
			h = (h + 1) & (cap - 1);
		}
		eidx[i] = (uint32_t) slot[h];
		ent[slot[h]].count++;
	}
	/* one candidate order: by length, then the most frequent first */
	{
		for (size_t k = 0; k < nd; k++)
			ord[k] = &ent[k];
		qsort(ord, nd, sizeof(Str *), cmp_str_count);
		for (size_t k = 0; k < nd; k++)
			rank[ord[k] - ent] = (uint32_t) k;
		for (size_t i = 0; i < nn; i++)
			e->u1[i] = rank[eidx[i]];
		head->len = 0;
		buf_varint(head, nd);
		/*
		 * Runs of entries of one length (one run when every entry has the
		 * same length), each transposed: byte 0 of every entry of the run,
		 * then byte 1, ...
		 */
		for (size_t k = 0; k < nd;)
		{
			size_t		n = 1;
			uint32_t	l = ord[k]->len;

			while (k + n < nd && ord[k + n]->len == l)
				n++;
			buf_u8(head, (uint8_t) l);
			buf_varint(head, n);
			if (buf_reserve(head, n * l))
			{
				for (uint32_t j = 0; j < l; j++)
					for (size_t m = 0; m < n; m++)
						head->p[head->len++] = ord[k + m]->p[j];
			}
			k += n;
		}
		if (head->failed)
			e->failed = 1;
		else
			try_uarr(e, NFC_ENC_DICT, head->p, head->len, e->u1, nn, bit_width(nd - 1));
	}
}

/* Write a little-endian u16/u32 at p. */
static void
put_le(uint8_t *p, uint64_t v, int n)
{
	for (int k = 0; k < n; k++)
		p[k] = (uint8_t) (v >> (8 * k));
}

/*
 * Encode column c: its directory entry at dir, its stored bytes appended to
 * data.  0 on success.
 */
static int
encode_column(Enc *e, const NfcColumnIn *cols, int c, int ref, uint32_t nrows,
			  uint8_t *dir, Buf *data)
{
	const NfcColumnIn *col = &cols[c];
	size_t		nn = 0;
	int			nullmode;
	uint8_t    *bm = NULL;

	if (col->kind != NFC_KIND_INT && col->kind != NFC_KIND_BYTES)
		return -1;
	for (uint32_t i = 0; i < nrows; i++)
		nn += !col->isnull[i];
	nullmode = nn == nrows ? 0 : nn == 0 ? 1 : 2;
	memset(dir, 0, NFC_DIR_ENTRY_SIZE);
	dir[0] = (uint8_t) col->kind;
	dir[1] = (uint8_t) nullmode;
	if (nn == 0)
		return 0;				/* encoding none, nothing stored */
	e->bitmap = NULL;
	e->bitmap_len = 0;
	if (nullmode == 2)
	{
		bm = scratch_get(SCR_BM, (nrows + 7) / 8);
		if (bm == NULL)
			return -1;
		memset(bm, 0, (nrows + 7) / 8);
		for (uint32_t i = 0; i < nrows; i++)
			if (col->isnull[i])
				bm[i / 8] |= (uint8_t) (1u << (i % 8));
		e->bitmap = bm;
		e->bitmap_len = (nrows + 7) / 8;
	}
	e->have_best = 0;
	if (col->kind == NFC_KIND_INT)
	{
		size_t		k = 0;

		for (uint32_t i = 0; i < nrows; i++)
			if (!col->isnull[i])
				e->v[k++] = col->ints[i];
		e->cur_ref = -1;
		try_ints(e, e->v, nn);
		/* relative to the reference column, when it has every row we have */
		if (ref >= 0 && !e->failed)
		{
			const NfcColumnIn *rc = &cols[ref];
			int			usable = 1;

			for (uint32_t i = 0; i < nrows && usable; i++)
				if (!col->isnull[i] && rc->isnull[i])
					usable = 0;
			if (usable)
			{
				k = 0;
				for (uint32_t i = 0; i < nrows; i++)
					if (!col->isnull[i])
						e->v[k++] = (int64_t) ((uint64_t) col->ints[i] - (uint64_t) rc->ints[i]);
				e->cur_ref = ref;
				try_ints(e, e->v, nn);
			}
		}
	}
	else
	{
		const uint8_t **p = scratch_get(SCR_P, nn * sizeof(uint8_t *));
		uint32_t   *l = scratch_get(SCR_L, nn * sizeof(uint32_t));
		size_t		k = 0;

		if (p == NULL || l == NULL)
			e->failed = 1;
		else
		{
			for (uint32_t i = 0; i < nrows; i++)
				if (!col->isnull[i])
				{
					p[k] = col->bytes[i];
					l[k] = col->lens[i];
					k++;
				}
			e->cur_ref = -1;
			try_bytes(e, p, l, nn);
		}
	}
	if (e->failed || !e->have_best)
		return -1;
	/* the winner, compressed again at the level asked for */
	if (e->level > NFC_TRIAL_LEVEL && e->best_zstd)
	{
		size_t		bound = ZSTD_compressBound(e->braw.len);
		size_t		n;

		e->z.len = 0;
		if (!buf_reserve(&e->z, bound))
			return -1;
		n = ZSTD_compressCCtx(e->zc, e->z.p, bound, e->braw.p, e->braw.len, e->level);
		if (ZSTD_isError(n))
			return -1;
		if (n < e->best.len)
		{
			e->best.len = 0;
			buf_put(&e->best, e->z.p, n);
			if (e->best.failed)
				return -1;
		}
	}
	dir[2] = (uint8_t) e->best_enc;
	dir[3] = (uint8_t) e->best_store;
	put_le(dir + 4, e->best_ref >= 0 ? (uint64_t) e->best_ref + 1 : 0, 2);
	put_le(dir + 6, e->best_raw, 4);
	put_le(dir + 10, e->best.len, 4);
	buf_put(data, e->best.p, e->best.len);
	return data->failed ? -1 : 0;
}

/*
 * The zstd compression context, made once and kept for the life of the
 * process: creating one per batch cost more than compressing the batch
 * (its tables are allocated, and page-faulted, anew).  The encoder is not
 * reentrant (PostgreSQL backends are single-threaded).
 */
static ZSTD_CCtx *
shared_cctx(void)
{
	static ZSTD_CCtx *cctx = NULL;

	if (cctx == NULL)
		cctx = ZSTD_createCCtx();
	return cctx;
}

/* Encode a batch with reference columns (see batch_codec.h). */
int
nfc_encode_ref(int ncols, uint32_t nrows, const NfcColumnIn *cols,
			   const int *ref, int zstd_level, uint8_t **out, size_t *outlen)
{
	static Buf	bufs[5];		/* cand, z, best, braw, head: kept */
	Enc			e = {0};
	Buf			res = {0};
	size_t		dirlen;
	uint64_t	rawtotal = 0;
	int			rc = -1;

	*out = NULL;
	*outlen = 0;
	if (ncols < 1 || ncols > NFC_MAX_COLS || nrows < 1 || nrows > NFC_MAX_ROWS)
		return -1;
	if (zstd_level < 0)
		zstd_level = 0;
	if (zstd_level > ZSTD_maxCLevel())
		zstd_level = ZSTD_maxCLevel();
	dirlen = (size_t) ncols * NFC_DIR_ENTRY_SIZE;
	e.level = zstd_level;
	e.zc = zstd_level > 0 ? shared_cctx() : NULL;
	e.u1 = scratch_get(SCR_U1, nrows * sizeof(uint64_t));
	e.u2 = scratch_get(SCR_U2, nrows * sizeof(uint64_t));
	e.u3 = scratch_get(SCR_U3, nrows * sizeof(uint64_t));
	e.v = scratch_get(SCR_V, nrows * sizeof(int64_t));
	e.hkeys = scratch_get(SCR_HKEYS, sizeof(int64_t) << NFC_DICT_HASH_BITS);
	e.hslot = scratch_get(SCR_HSLOT, sizeof(int32_t) << NFC_DICT_HASH_BITS);
	/* the growable buffers, kept from the previous batch */
	e.cand = bufs[0];
	e.z = bufs[1];
	e.best = bufs[2];
	e.braw = bufs[3];
	e.head = bufs[4];
	if ((zstd_level > 0 && e.zc == NULL) || e.u1 == NULL || e.u2 == NULL ||
		e.u3 == NULL || e.v == NULL || e.hkeys == NULL || e.hslot == NULL ||
		!buf_reserve(&res, NFC_HEADER_SIZE + dirlen))
		goto done;
	memset(res.p, 0, NFC_HEADER_SIZE + dirlen);
	res.len = NFC_HEADER_SIZE + dirlen;
	for (int c = 0; c < ncols; c++)
	{
		int			r = ref ? ref[c] : -1;

		if (r >= c || cols[c].kind != NFC_KIND_INT ||
			(r >= 0 && cols[r].kind != NFC_KIND_INT))
			r = -1;
		/* the directory is written in place: res.p may move as data grows */
		{
			uint8_t		entry[NFC_DIR_ENTRY_SIZE];

			if (encode_column(&e, cols, c, r, nrows, entry, &res) != 0)
				goto done;
			memcpy(res.p + NFC_HEADER_SIZE + (size_t) c * NFC_DIR_ENTRY_SIZE,
				   entry, NFC_DIR_ENTRY_SIZE);
			rawtotal += (uint32_t) (entry[6] | entry[7] << 8 | entry[8] << 16 |
									(uint32_t) entry[9] << 24);
		}
		if (rawtotal > NFC_MAX_BODY || res.len > NFC_MAX_BODY)
			goto done;
	}
	memcpy(res.p, "NFCB", 4);
	res.p[4] = NFC_VERSION;
	res.p[5] = 0;
	put_le(res.p + 6, (uint64_t) ncols, 2);
	put_le(res.p + 8, nrows, 4);
	put_le(res.p + 12, rawtotal, 4);
	*out = res.p;
	*outlen = res.len;
	res.p = NULL;
	rc = 0;
done:
	bufs[0] = e.cand;
	bufs[1] = e.z;
	bufs[2] = e.best;
	bufs[3] = e.braw;
	bufs[4] = e.head;
	for (int k = 0; k < 5; k++)
	{
		bufs[k].len = 0;
		bufs[k].failed = 0;
	}
	free(res.p);
	return rc;
}

/* Encode a batch (see batch_codec.h). */
int
nfc_encode(int ncols, uint32_t nrows, const NfcColumnIn *cols,
		   int zstd_level, uint8_t **out, size_t *outlen)
{
	return nfc_encode_ref(ncols, nrows, cols, NULL, zstd_level, out, outlen);
}

/* A bounded reader over a byte range. */
typedef struct Rd
{
	const uint8_t *p;
	size_t		len;
	size_t		pos;
	int			bad;
} Rd;

/* Read one byte (0 and bad set past the end). */
static uint8_t
rd_u8(Rd *r)
{
	if (r->pos >= r->len)
	{
		r->bad = 1;
		return 0;
	}
	return r->p[r->pos++];
}

/* Read a varint of at most 10 bytes. */
static uint64_t
rd_varint(Rd *r)
{
	uint64_t	v = 0;

	for (int shift = 0; shift < 70; shift += 7)
	{
		uint8_t		b = rd_u8(r);

		if (r->bad)
			return 0;
		if (shift == 63 && b > 1)
			break;
		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	r->bad = 1;
	return 0;
}

/* Take n bytes; NULL and bad set when fewer remain. */
static const uint8_t *
rd_take(Rd *r, size_t n)
{
	const uint8_t *p;

	if (r->pos > r->len || r->len - r->pos < n)
	{
		r->bad = 1;
		return NULL;
	}
	p = r->p + r->pos;
	r->pos += n;
	return p;
}

/*
 * A uarr taken from a reader, its values read one at a time (uarr_get) or
 * all at once (rd_uarr).
 */
typedef struct UarrView
{
	int			layout;
	int			w;				/* bits (UARR_BITS) or bytes per value */
	const uint8_t *p;			/* the packed values or the planes */
	size_t		n;				/* values */
	size_t		plen;			/* bytes at p */
} UarrView;

/* Take a uarr of n values as a view; 0 on success. */
static int
rd_uarr_view(Rd *r, size_t n, UarrView *v)
{
	int			layout = rd_u8(r);
	int			w = rd_u8(r);

	if (r->bad)
		return -1;
	v->layout = layout;
	v->w = w;
	v->n = n;
	if (layout == UARR_BITS)
	{
		if (w > 64)
			return -1;
		v->plen = packed_size(n, w);
	}
	else if (layout == UARR_BYTES)
	{
		if (w < 1 || w > 8 || (n > 0 && SIZE_MAX / n < (size_t) w))
			return -1;
		v->plen = n * (size_t) w;
	}
	else
		return -1;
	v->p = rd_take(r, v->plen);
	return r->bad ? -1 : 0;
}

/* Value i (< v->n) of a uarr view. */
static inline uint64_t
uarr_get(const UarrView *v, size_t i)
{
	uint64_t	x = 0;

	if (v->layout == UARR_BITS)
	{
		if (v->w == 0)
			return 0;
		if (!unpack_word_fits(v->plen, i, v->w))
			return unpack_one(v->p, i, v->w);
		x = unpack_word(v->p, i, v->w);
		return v->w == 64 ? x : x & ((UINT64_C(1) << v->w) - 1);
	}
	for (int k = v->w - 1; k >= 0; k--)
		x = (x << 8) | v->p[(size_t) k * v->n + i];
	return x;
}

/* Read a uarr of n values into out; 0 on success. */
static int
rd_uarr(Rd *r, size_t n, uint64_t *out)
{
	UarrView	v;

	if (rd_uarr_view(r, n, &v) != 0)
		return -1;
	if (v.layout == UARR_BITS)
	{
		unpack_all(v.p, v.plen, n, v.w, out);
		return 0;
	}
	/* byte planes: the least significant byte of every value first */
	for (size_t i = 0; i < n; i++)
		out[i] = v.p[i];
	for (int k = 1; k < v.w; k++)
	{
		const uint8_t *q = v.p + (size_t) k * n;

		for (size_t i = 0; i < n; i++)
			out[i] |= (uint64_t) q[i] << (8 * k);
	}
	return 0;
}

/* Set a decode error message; returns -1. */
static int
fail(char *err, size_t errlen, const char *msg, int col)
{
	if (err && errlen)
	{
		if (col >= 0)
			snprintf(err, errlen, "column %d: %s", col + 1, msg);
		else
			snprintf(err, errlen, "%s", msg);
	}
	return -1;
}

/* Read a little-endian integer of n bytes. */
static uint32_t
get_le(const uint8_t *p, int n)
{
	uint32_t	v = 0;

	for (int k = n - 1; k >= 0; k--)
		v = (v << 8) | p[k];
	return v;
}

/*
 * Read and check the header: 0 when it is a valid version 2 header, else
 * -1 with a message in err.
 */
static int
read_header(const uint8_t *buf, size_t len, int *ncols, uint32_t *nrows,
			uint32_t *rawtotal, char *err, size_t errlen)
{
	if (buf == NULL || len < NFC_HEADER_SIZE || memcmp(buf, "NFCB", 4) != 0)
		return fail(err, errlen, "invalid batch header", -1);
	if (buf[4] != NFC_VERSION)
	{
		if (err && errlen)
			snprintf(err, errlen,
					 "batch format version %d is not supported (this library reads version %d)",
					 buf[4], NFC_VERSION);
		return -1;
	}
	if (buf[5] != 0)
		return fail(err, errlen, "invalid batch header flags", -1);
	*ncols = (int) get_le(buf + 6, 2);
	*nrows = get_le(buf + 8, 4);
	*rawtotal = get_le(buf + 12, 4);
	if (*ncols < 1 || *ncols > NFC_MAX_COLS || *nrows < 1 ||
		*nrows > NFC_MAX_ROWS || *rawtotal > NFC_MAX_BODY)
		return fail(err, errlen, "invalid batch header counts", -1);
	return 0;
}

/* Read only the header of a batch. */
int
nfc_peek(const uint8_t *buf, size_t len, int *ncols, uint32_t *nrows)
{
	uint32_t	rawtotal;

	return read_header(buf, len, ncols, nrows, &rawtotal, NULL, 0);
}

/*
 * Read and check the header and the directory into st (ncols entries);
 * offsets of the stored bytes and of each column in the raw body.  0 on
 * success.
 */
static int
read_directory(const uint8_t *buf, size_t len, NfcColumnStat *st, int nst,
			   int *ncols, uint32_t *nrows, uint32_t *rawtotal,
			   uint32_t *rawoff, char *err, size_t errlen)
{
	size_t		pos;
	uint64_t	rawsum = 0;

	if (read_header(buf, len, ncols, nrows, rawtotal, err, errlen) != 0)
		return -1;
	if ((len - NFC_HEADER_SIZE) / NFC_DIR_ENTRY_SIZE < (size_t) *ncols)
		return fail(err, errlen, "truncated column directory", -1);
	pos = NFC_HEADER_SIZE + (size_t) *ncols * NFC_DIR_ENTRY_SIZE;
	for (int c = 0; c < *ncols; c++)
	{
		const uint8_t *d = buf + NFC_HEADER_SIZE + (size_t) c * NFC_DIR_ENTRY_SIZE;
		NfcColumnStat s;
		uint32_t	r;

		s.kind = d[0];
		s.nullmode = d[1];
		s.encoding = d[2];
		s.storage = d[3];
		r = get_le(d + 4, 2);
		s.ref = (int) r - 1;
		s.rawlen = get_le(d + 6, 4);
		s.storedlen = get_le(d + 10, 4);
		if (s.kind != NFC_KIND_INT && s.kind != NFC_KIND_BYTES)
			return fail(err, errlen, "unknown column kind", c);
		if (s.nullmode > 2 || s.storage > NFC_STORE_ZSTD)
			return fail(err, errlen, "invalid column directory entry", c);
		if (s.nullmode == 1)
		{
			if (s.encoding != NFC_ENC_NONE || s.rawlen != 0 || s.storedlen != 0 ||
				s.storage != NFC_STORE_RAW || s.ref != -1)
				return fail(err, errlen, "an all-NULL column has data", c);
		}
		else if (s.kind == NFC_KIND_INT ?
				 (s.encoding != NFC_ENC_FOR && s.encoding != NFC_ENC_DICT &&
				  s.encoding != NFC_ENC_DELTA) :
				 s.encoding != NFC_ENC_DICT)
			return fail(err, errlen, "unknown column encoding", c);
		if (s.ref >= c || (s.ref >= 0 && (s.kind != NFC_KIND_INT ||
										  buf[NFC_HEADER_SIZE + (size_t) s.ref * NFC_DIR_ENTRY_SIZE] != NFC_KIND_INT)))
			return fail(err, errlen, "invalid reference column", c);
		if (s.storage == NFC_STORE_RAW ? s.storedlen != s.rawlen : s.storedlen == 0)
			return fail(err, errlen, "stored length does not match the raw length", c);
		if (len - pos < s.storedlen)
			return fail(err, errlen, "column data runs past the end of the batch", c);
		s.offset = (uint32_t) pos;
		pos += s.storedlen;
		if (rawoff)
			rawoff[c] = (uint32_t) rawsum;
		rawsum += s.rawlen;
		if (rawsum > *rawtotal)
			return fail(err, errlen, "raw column lengths exceed the header's total", c);
		if (c < nst)
			st[c] = s;
	}
	if (rawsum != *rawtotal)
		return fail(err, errlen, "raw column lengths do not add up to the header's total", -1);
	if (pos != len)
		return fail(err, errlen, "trailing bytes after the last column", -1);
	return 0;
}

/* Read the column directory of a batch (see batch_codec.h). */
int
nfc_column_stats(const uint8_t *buf, size_t len, NfcColumnStat *st, int nst,
				 int *ncols, char *err, size_t errlen)
{
	uint32_t	nrows,
				rawtotal;

	return read_directory(buf, len, st, nst, ncols, &nrows, &rawtotal, NULL,
						  err, errlen);
}

/* Decoder state kept in NfcBatch.priv between calls. */
typedef struct DecPriv
{
	ZSTD_DCtx  *dctx;
	NfcColumnStat *st;
	uint32_t   *rawoff;
	int			st_cap;
	uint64_t   *u;				/* scratch of u_cap values */
	size_t		u_cap;
	uint8_t    *t;				/* scratch of t_cap bytes */
	size_t		t_cap;
	uint8_t    *need;			/* columns to decode, st_cap entries */
	uint32_t   *rank;			/* selective decode: per selected row, its
								 * rank among the non-null rows */
	uint32_t	rank_cap;
} DecPriv;

/*
 * Make *p hold at least need elements of elsize bytes (contents not kept);
 * 0 on success.
 */
static int
ensure_cap(void **p, uint32_t *cap, uint32_t need, size_t elsize)
{
	if (*p != NULL && *cap >= need)
		return 0;
	free(*p);
	*cap = 0;
	*p = malloc((size_t) (need ? need : 1) * elsize);
	if (*p == NULL)
		return -1;
	*cap = need ? need : 1;
	return 0;
}

/* Make the private scratch hold n values and n bytes; 0 on success. */
static int
scratch(DecPriv *dp, size_t n)
{
	if (dp->u_cap < n)
	{
		free(dp->u);
		dp->u_cap = 0;
		dp->u = malloc(n * sizeof(uint64_t));
		if (dp->u == NULL)
			return -1;
		dp->u_cap = n;
	}
	return 0;
}

/*
 * Spread the nn compact values at the front of v over the rows that are not
 * NULL (in place, from the end).
 */
static void
scatter_u64(uint64_t *v, const uint8_t *isnull, uint32_t nrows, size_t nn)
{
	size_t		k = nn;

	if (nn == nrows)
		return;
	for (uint32_t i = nrows; i-- > 0;)
	{
		if (isnull[i])
			v[i] = 0;
		else
			v[i] = v[--k];
	}
}

/*
 * Read the dictionary of an NFC_ENC_DICT integer column of nn non-null
 * values: its entry count (1 .. nn), its minimum, and its entries into
 * dp->u; the value indexes follow in r.  0 on success.
 */
static int
rd_int_dict(Rd *r, DecPriv *dp, size_t nn, uint64_t *nd, uint64_t *dmin)
{
	*nd = rd_varint(r);
	if (r->bad || *nd < 1 || *nd > nn)
		return -1;
	*dmin = (uint64_t) unzigzag(rd_varint(r));
	if (r->bad || scratch(dp, *nd) != 0 || rd_uarr(r, *nd, dp->u) != 0)
		return -1;
	return 0;
}

/* Decode the nn non-null integers of column c (payload in r) into c->ints. */
static int
decode_ints(Rd *r, NfcColumn *c, DecPriv *dp, uint32_t nrows, size_t nn)
{
	uint64_t   *v = (uint64_t *) c->ints;

	switch (c->encoding)
	{
		case NFC_ENC_FOR:
			{
				uint64_t	mn = (uint64_t) unzigzag(rd_varint(r));
				uint64_t	scale = rd_varint(r);

				if (r->bad || scale < 1 || rd_uarr(r, nn, v) != 0)
					return -1;
				for (size_t i = 0; i < nn; i++)
					v[i] = mn + v[i] * scale;
				break;
			}
		case NFC_ENC_DELTA:
			{
				uint64_t	first = (uint64_t) unzigzag(rd_varint(r));
				uint64_t	scale = rd_varint(r);

				if (r->bad || scale < 1 || rd_uarr(r, nn - 1, v + 1) != 0)
					return -1;
				v[0] = first;
				for (size_t i = 1; i < nn; i++)
					v[i] = v[i - 1] + (uint64_t) unzigzag(v[i]) * scale;
				break;
			}
		case NFC_ENC_DICT:
			{
				uint64_t	nd,
							dmin;

				if (rd_int_dict(r, dp, nn, &nd, &dmin) != 0 || rd_uarr(r, nn, v) != 0)
					return -1;
				for (size_t i = 0; i < nn; i++)
				{
					if (v[i] >= nd)
						return -1;
					v[i] = dmin + dp->u[v[i]];
				}
				break;
			}
		default:
			return -1;
	}
	scatter_u64(v, c->isnull, nrows, nn);
	return 0;
}

/*
 * Decode the dictionary of the nn non-null byte strings of column c into
 * c->dict, c->dictlen and c->ndict (entries point into the payload, which
 * is writable: transposed entries are turned back in place).
 */
static int
decode_bytes_dict(Rd *r, NfcColumn *c, DecPriv *dp, size_t nn)
{
	uint64_t	nd = rd_varint(r);
	size_t		k;

	if (r->bad || c->encoding != NFC_ENC_DICT || nd < 1 || nd > nn)
		return -1;
	if (c->dict == NULL || c->dict_cap < nd)
	{
		free(c->dict);
		free(c->dictlen);
		c->dict_cap = 0;
		c->dict = malloc(nd * sizeof(uint8_t *));
		c->dictlen = malloc(nd);
		if (c->dict == NULL || c->dictlen == NULL)
			return -1;
		c->dict_cap = (uint32_t) nd;
	}
	/* runs of entries of one length, transposed: turned back in place */
	for (k = 0; k < nd;)
	{
		int			l = rd_u8(r);
		uint64_t	n = rd_varint(r);
		uint8_t    *e;

		if (r->bad || n < 1 || n > nd - k)
			return -1;
		e = (uint8_t *) rd_take(r, n * (size_t) l);
		if (r->bad)
			return -1;
		if (l > 1)
		{
			if (dp->t_cap < n * (size_t) l)
			{
				free(dp->t);
				dp->t_cap = 0;
				dp->t = malloc(n * (size_t) l);
				if (dp->t == NULL)
					return -1;
				dp->t_cap = n * (size_t) l;
			}
			memcpy(dp->t, e, n * (size_t) l);
			for (int j = 0; j < l; j++)
				for (uint64_t i = 0; i < n; i++)
					e[i * l + j] = dp->t[(size_t) j * n + i];
		}
		for (uint64_t i = 0; i < n; i++)
		{
			c->dict[k + i] = e + i * l;
			c->dictlen[k + i] = (uint8_t) l;
		}
		k += n;
	}
	c->ndict = (uint32_t) nd;
	return 0;
}


/*
 * Decode the nn non-null byte strings of column c: the dictionary and the
 * index of each row.
 */
static int
decode_bytes(Rd *r, NfcColumn *c, DecPriv *dp, uint32_t nrows, size_t nn)
{
	size_t		k;
	uint64_t	nd;

	if (decode_bytes_dict(r, c, dp, nn) != 0)
		return -1;
	nd = c->ndict;
	if (scratch(dp, nn) != 0 || rd_uarr(r, nn, dp->u) != 0)
		return -1;
	k = 0;
	for (uint32_t i = 0; i < nrows; i++)
	{
		if (c->isnull[i])
		{
			c->idx[i] = 0;
			continue;
		}
		if (dp->u[k] >= nd)
			return -1;
		c->idx[i] = (uint32_t) dp->u[k++];
	}
	return 0;
}

/*
 * Make the arrays of column ci of b hold nrows rows and point r at the
 * column's raw payload; -1 when out of memory.
 */
static int
column_begin(NfcBatch *b, DecPriv *dp, int ci, uint32_t nrows, Rd *r)
{
	NfcColumn  *c = &b->cols[ci];

	if (ensure_cap((void **) &c->isnull, &c->null_cap, nrows, 1) != 0)
		return -1;
	if (c->kind == NFC_KIND_INT)
	{
		if (ensure_cap((void **) &c->ints, &c->ints_cap, nrows, sizeof(int64_t)) != 0)
			return -1;
	}
	else if (ensure_cap((void **) &c->idx, &c->idx_cap, nrows, sizeof(uint32_t)) != 0)
		return -1;
	r->p = b->body + dp->rawoff[ci];
	r->len = dp->st[ci].rawlen;
	r->pos = 0;
	r->bad = 0;
	return 0;
}

/*
 * Add the value of c's reference column to each non-NULL value of c at
 * the n rows of sel (rows 0 .. n - 1 when sel is NULL); -1 when the
 * reference is NULL at such a row.
 */
static int
add_reference(const NfcBatch *b, NfcColumn *c, const uint32_t *sel, uint32_t n)
{
	const NfcColumn *rc = &b->cols[c->ref];

	for (uint32_t k = 0; k < n; k++)
	{
		uint32_t	i = sel ? sel[k] : k;

		if (c->isnull[i])
			continue;
		if (rc->isnull[i])
			return -1;
		c->ints[i] = (int64_t) ((uint64_t) c->ints[i] + (uint64_t) rc->ints[i]);
	}
	return 0;
}

/*
 * Decode column c of b from its raw payload (at body + rawoff), then add
 * its reference column, decoded before it.
 */
static int
decode_column(NfcBatch *b, DecPriv *dp, int ci, uint32_t nrows)
{
	NfcColumn  *c = &b->cols[ci];
	const NfcColumnStat *s = &dp->st[ci];
	Rd			r;
	size_t		nn = 0;

	if (column_begin(b, dp, ci, nrows, &r) != 0)
		return -1;
	if (s->nullmode == 1)
	{
		memset(c->isnull, 1, nrows);
		if (c->kind == NFC_KIND_INT)
			memset(c->ints, 0, nrows * sizeof(int64_t));
		else
			memset(c->idx, 0, nrows * sizeof(uint32_t));
		c->decoded = 1;
		return 0;
	}
	if (s->nullmode == 0)
	{
		memset(c->isnull, 0, nrows);
		nn = nrows;
	}
	else
	{
		const uint8_t *bm = rd_take(&r, (nrows + 7) / 8);

		if (r.bad)
			return -1;
		for (uint32_t i = 0; i < nrows; i++)
		{
			c->isnull[i] = (bm[i / 8] >> (i % 8)) & 1;
			nn += !c->isnull[i];
		}
		/* bits past the last row are 0, and some row is not NULL */
		if ((nrows % 8) && (bm[nrows / 8] >> (nrows % 8)) != 0)
			return -1;
		if (nn == 0)
			return -1;
	}
	if (c->kind == NFC_KIND_INT ? decode_ints(&r, c, dp, nrows, nn) :
		decode_bytes(&r, c, dp, nrows, nn))
		return -1;
	/* the payload must be consumed exactly */
	if (r.bad || r.pos != r.len)
		return -1;
	if (c->ref >= 0 && add_reference(b, c, NULL, nrows) != 0)
		return -1;
	c->decoded = 1;
	return 0;
}

/* Load word w (64 rows) of a null bitmap of bmlen bytes, zero past its end. */
static uint64_t
bitmap_word(const uint8_t *bm, size_t bmlen, size_t w)
{
	size_t		off = w * 8;
	uint64_t	v = 0;

	if (off + 8 <= bmlen)
		return load_le64(bm + off);
	for (size_t k = bmlen; k-- > off;)
		v = (v << 8) | bm[k];
	return v;
}

/*
 * Decode the nn non-null integers of column c at the nsel selected rows
 * (sel[k] not NULL has rank[k] among the non-null rows).
 */
static int
decode_ints_sel(Rd *r, NfcColumn *c, DecPriv *dp, size_t nn,
				const uint32_t *sel, uint32_t nsel, const uint32_t *rank)
{
	int64_t    *out = c->ints;
	UarrView	uv;

	switch (c->encoding)
	{
		case NFC_ENC_FOR:
			{
				uint64_t	mn = (uint64_t) unzigzag(rd_varint(r));
				uint64_t	scale = rd_varint(r);

				if (r->bad || scale < 1 || rd_uarr_view(r, nn, &uv) != 0)
					return -1;
				for (uint32_t k = 0; k < nsel; k++)
					if (!c->isnull[sel[k]])
						out[sel[k]] = (int64_t) (mn + uarr_get(&uv, rank[k]) * scale);
				return 0;
			}
		case NFC_ENC_DELTA:
			{
				/* prefix sums: every value up to the last selected one */
				uint64_t	first = (uint64_t) unzigzag(rd_varint(r));
				uint64_t	scale = rd_varint(r);
				uint64_t   *v;
				size_t		upto = 0;

				if (r->bad || scale < 1 || scratch(dp, nn) != 0 ||
					rd_uarr(r, nn - 1, dp->u + 1) != 0)
					return -1;
				v = dp->u;
				for (uint32_t k = nsel; k-- > 0;)
					if (!c->isnull[sel[k]])
					{
						upto = (size_t) rank[k] + 1;
						break;
					}
				v[0] = first;
				for (size_t i = 1; i < upto; i++)
					v[i] = v[i - 1] + (uint64_t) unzigzag(v[i]) * scale;
				for (uint32_t k = 0; k < nsel; k++)
					if (!c->isnull[sel[k]])
						out[sel[k]] = (int64_t) v[rank[k]];
				return 0;
			}
		case NFC_ENC_DICT:
			{
				uint64_t	nd,
							dmin;

				if (rd_int_dict(r, dp, nn, &nd, &dmin) != 0 ||
					rd_uarr_view(r, nn, &uv) != 0)
					return -1;
				for (uint32_t k = 0; k < nsel; k++)
					if (!c->isnull[sel[k]])
					{
						uint64_t	x = uarr_get(&uv, rank[k]);

						if (x >= nd)
							return -1;
						out[sel[k]] = (int64_t) (dmin + dp->u[x]);
					}
				return 0;
			}
		default:
			return -1;
	}
}

/*
 * Decode the dictionary of the nn non-null byte strings of column c, and
 * the index of the nsel selected rows (see decode_ints_sel).
 */
static int
decode_bytes_sel(Rd *r, NfcColumn *c, DecPriv *dp, size_t nn,
				 const uint32_t *sel, uint32_t nsel, const uint32_t *rank)
{
	UarrView	uv;

	if (decode_bytes_dict(r, c, dp, nn) != 0 || rd_uarr_view(r, nn, &uv) != 0)
		return -1;
	for (uint32_t k = 0; k < nsel; k++)
	{
		uint32_t	i = sel[k];
		uint64_t	x;

		if (c->isnull[i])
		{
			c->idx[i] = 0;
			continue;
		}
		x = uarr_get(&uv, rank[k]);
		if (x >= c->ndict)
			return -1;
		c->idx[i] = (uint32_t) x;
	}
	return 0;
}

/*
 * decode_column at the nsel rows of sel only (valid: ascending, each <
 * nrows): the null flags of those rows and their rank among the non-null
 * rows from the bitmap (counted a word at a time), then the values.
 */
static int
decode_column_sel(NfcBatch *b, DecPriv *dp, int ci, uint32_t nrows,
				  const uint32_t *sel, uint32_t nsel)
{
	NfcColumn  *c = &b->cols[ci];
	const NfcColumnStat *s = &dp->st[ci];
	Rd			r;
	size_t		nn = 0;

	if (column_begin(b, dp, ci, nrows, &r) != 0 ||
		ensure_cap((void **) &dp->rank, &dp->rank_cap, nsel, sizeof(uint32_t)) != 0)
		return -1;
	if (s->nullmode == 1)
	{
		for (uint32_t k = 0; k < nsel; k++)
		{
			c->isnull[sel[k]] = 1;
			if (c->kind == NFC_KIND_INT)
				c->ints[sel[k]] = 0;
			else
				c->idx[sel[k]] = 0;
		}
		c->decoded = 1;
		return 0;
	}
	if (s->nullmode == 0)
	{
		nn = nrows;
		for (uint32_t k = 0; k < nsel; k++)
		{
			c->isnull[sel[k]] = 0;
			dp->rank[k] = sel[k];
		}
	}
	else
	{
		size_t		bmlen = (nrows + 7) / 8;
		const uint8_t *bm = rd_take(&r, bmlen);
		size_t		nulls = 0,
					before = 0,
					cw = 0;
		uint64_t	word;

		if (r.bad)
			return -1;
		for (size_t w = 0; w * 8 < bmlen; w++)
			nulls += (size_t) __builtin_popcountll(bitmap_word(bm, bmlen, w));
		/* bits past the last row are 0, and some row is not NULL */
		if ((nrows % 8) && (bm[nrows / 8] >> (nrows % 8)) != 0)
			return -1;
		nn = nrows - nulls;
		if (nn == 0)
			return -1;
		/* rank of row i = i - NULL rows before it, from running word counts */
		word = bitmap_word(bm, bmlen, 0);
		for (uint32_t k = 0; k < nsel; k++)
		{
			uint32_t	i = sel[k];
			uint64_t	below;

			while (cw < i / 64)
			{
				before += (size_t) __builtin_popcountll(word);
				word = bitmap_word(bm, bmlen, ++cw);
			}
			below = word & ((UINT64_C(1) << (i % 64)) - 1);
			c->isnull[i] = (word >> (i % 64)) & 1;
			dp->rank[k] = (uint32_t) (i - before - (size_t) __builtin_popcountll(below));
		}
	}
	if (c->kind == NFC_KIND_INT ?
		decode_ints_sel(&r, c, dp, nn, sel, nsel, dp->rank) :
		decode_bytes_sel(&r, c, dp, nn, sel, nsel, dp->rank))
		return -1;
	/* the payload must be consumed exactly */
	if (r.bad || r.pos != r.len)
		return -1;
	if (c->ref >= 0 && add_reference(b, c, sel, nsel) != 0)
		return -1;
	c->decoded = 1;
	return 0;
}

/*
 * Decode the wanted columns of a batch into out, reusing its arrays; on
 * failure out keeps its allocations (freeable and reusable).
 */
static int
decode_batch(const uint8_t *buf, size_t len, const uint8_t *want, int nwant,
			 const uint32_t *sel, uint32_t nsel, NfcBatch *out, char *err,
			 size_t errlen)
{
	int			ncols;
	uint32_t	nrows,
				rawtotal;
	DecPriv    *dp = out->priv;

	out->ncols = 0;
	out->nrows = 0;
	if (dp == NULL)
	{
		dp = calloc(1, sizeof(DecPriv));
		if (dp == NULL)
			return fail(err, errlen, "out of memory", -1);
		out->priv = dp;
	}
	if (nfc_peek(buf, len, &ncols, &nrows) == 0 && dp->st_cap < ncols)
	{
		free(dp->st);
		free(dp->rawoff);
		free(dp->need);
		dp->st_cap = 0;
		dp->st = malloc(ncols * sizeof(NfcColumnStat));
		dp->rawoff = malloc(ncols * sizeof(uint32_t));
		dp->need = malloc(ncols);
		if (dp->st == NULL || dp->rawoff == NULL || dp->need == NULL)
			return fail(err, errlen, "out of memory", -1);
		dp->st_cap = ncols;
	}
	if (read_directory(buf, len, dp->st, dp->st_cap, &ncols, &nrows, &rawtotal,
					   dp->rawoff, err, errlen) != 0)
		return -1;
	/* a selection: ascending row numbers, each < nrows */
	if (sel != NULL)
		for (uint32_t k = 0; k < nsel; k++)
			if (sel[k] >= nrows || (k > 0 && sel[k] <= sel[k - 1]))
				return fail(err, errlen, "invalid row selection", -1);
	if (out->body == NULL || out->body_cap < (rawtotal ? rawtotal : 1))
	{
		free(out->body);
		out->body_cap = 0;
		out->body = malloc(rawtotal ? rawtotal : 1);
		if (out->body == NULL)
			return fail(err, errlen, "out of memory", -1);
		out->body_cap = rawtotal ? rawtotal : 1;
	}
	if (out->cols == NULL || out->cols_cap < ncols)
	{
		NfcColumn  *nc = calloc(ncols, sizeof(NfcColumn));

		if (nc == NULL)
			return fail(err, errlen, "out of memory", -1);
		if (out->cols)
		{
			memcpy(nc, out->cols, out->cols_cap * sizeof(NfcColumn));
			free(out->cols);
		}
		out->cols = nc;
		out->cols_cap = ncols;
	}
	/* the wanted columns and, from the last back, those they refer to */
	for (int c = 0; c < ncols; c++)
		dp->need[c] = want == NULL || (c < nwant && want[c]);
	for (int c = ncols - 1; c >= 0; c--)
		if (dp->need[c] && dp->st[c].ref >= 0)
			dp->need[dp->st[c].ref] = 1;
	for (int c = 0; c < ncols; c++)
	{
		NfcColumn  *col = &out->cols[c];
		const NfcColumnStat *s = &dp->st[c];

		col->kind = s->kind;
		col->encoding = s->encoding;
		col->ref = s->ref;
		col->decoded = 0;
		if (!dp->need[c])
			continue;
		col->ndict = 0;
		if (s->storage == NFC_STORE_ZSTD)
		{
			size_t		n;

			if (ZSTD_getFrameContentSize(buf + s->offset, s->storedlen) != s->rawlen)
				return fail(err, errlen, "compressed size does not match the directory", c);
			if (dp->dctx == NULL && (dp->dctx = ZSTD_createDCtx()) == NULL)
				return fail(err, errlen, "out of memory", -1);
			n = ZSTD_decompressDCtx(dp->dctx, out->body + dp->rawoff[c], s->rawlen,
									buf + s->offset, s->storedlen);
			if (ZSTD_isError(n) || n != s->rawlen)
				return fail(err, errlen, "compressed column data is corrupt", c);
		}
		else if (s->rawlen > 0)
			memcpy(out->body + dp->rawoff[c], buf + s->offset, s->rawlen);
		if (sel == NULL ? decode_column(out, dp, c, nrows) :
			decode_column_sel(out, dp, c, nrows, sel, nsel))
			return fail(err, errlen, "invalid column data", c);
	}
	out->ncols = ncols;
	out->nrows = nrows;
	return 0;
}

/* Decode a batch (see batch_codec.h); frees everything on failure. */
int
nfc_decode(const uint8_t *buf, size_t len, NfcBatch *out,
		   char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (decode_batch(buf, len, NULL, 0, NULL, 0, out, err, errlen) != 0)
	{
		nfc_batch_free(out);
		return -1;
	}
	return 0;
}

/* Decode some columns of a batch into reused arrays (see batch_codec.h). */
int
nfc_decode_cols(const uint8_t *buf, size_t len, const uint8_t *want, int nwant,
				NfcBatch *b, char *err, size_t errlen)
{
	return decode_batch(buf, len, want, nwant, NULL, 0, b, err, errlen);
}

/* Decode some columns at some rows of a batch (see batch_codec.h). */
int
nfc_decode_cols_sel(const uint8_t *buf, size_t len, const uint8_t *want,
					int nwant, const uint32_t *sel, uint32_t nsel, NfcBatch *b,
					char *err, size_t errlen)
{
	return decode_batch(buf, len, want, nwant, sel, nsel, b, err, errlen);
}

/* Bytes of memory a decoded batch holds (its arrays' capacities). */
size_t
nfc_batch_footprint(const NfcBatch *b)
{
	const DecPriv *dp = b->priv;
	size_t		n = b->body_cap + (size_t) b->cols_cap * sizeof(NfcColumn);

	for (int c = 0; c < b->cols_cap; c++)
	{
		const NfcColumn *col = &b->cols[c];

		n += col->null_cap + (size_t) col->ints_cap * sizeof(int64_t) +
			(size_t) col->idx_cap * sizeof(uint32_t) +
			(size_t) col->dict_cap * (sizeof(uint8_t *) + 1);
	}
	if (dp)
		n += sizeof(DecPriv) + (size_t) dp->st_cap * (sizeof(NfcColumnStat) + sizeof(uint32_t) + 1) +
			dp->u_cap * sizeof(uint64_t) + dp->t_cap +
			(size_t) dp->rank_cap * sizeof(uint32_t) +
			(dp->dctx ? ZSTD_sizeof_DCtx(dp->dctx) : 0);
	return n;
}

/* Free a decoded batch. */
void
nfc_batch_free(NfcBatch *b)
{
	DecPriv    *dp = b->priv;

	if (b->cols)
	{
		for (int c = 0; c < b->cols_cap; c++)
		{
			free(b->cols[c].isnull);
			free(b->cols[c].ints);
			free(b->cols[c].idx);
			free(b->cols[c].dict);
			free(b->cols[c].dictlen);
		}
		free(b->cols);
	}
	if (dp)
	{
		ZSTD_freeDCtx(dp->dctx);
		free(dp->st);
		free(dp->rawoff);
		free(dp->need);
		free(dp->rank);
		free(dp->u);
		free(dp->t);
		free(dp);
	}
	free(b->body);
	memset(b, 0, sizeof(*b));
}
