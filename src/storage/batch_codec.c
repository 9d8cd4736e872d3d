/*-------------------------------------------------------------------------
 *
 * batch_codec.c
 *	  Encoder and decoder of the column batches of compressed netflow
 *	  partitions (format version 1, docs/formats.md).  Plain C: no
 *	  PostgreSQL header, so test/storage unit-tests it under ASan/UBSan.
 *
 *	  Per column: a null bitmap (omitted when no value or every value is
 *	  NULL), then the non-null values in the smallest of the encodings that
 *	  apply: integers as frame of reference, dictionary or zigzag deltas,
 *	  all three bit-packed or varint; byte strings (addresses, MACs) as a
 *	  sorted dictionary with bit-packed indexes, or plain.  The whole body
 *	  is then compressed with zstd.  The decoder checks every length and
 *	  index against the buffer before using it.
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

/* Append a little-endian 32-bit integer. */
static void
buf_u32(Buf *b, uint32_t v)
{
	uint8_t		x[4] = {(uint8_t) v, (uint8_t) (v >> 8), (uint8_t) (v >> 16), (uint8_t) (v >> 24)};

	buf_put(b, x, 4);
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

/* Bytes of the varint of v. */
static size_t
varint_size(uint64_t v)
{
	size_t		n = 1;

	while (v >= 0x80)
	{
		v >>= 7;
		n++;
	}
	return n;
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
	size_t		bit = 0;

	if (bytes == 0 || !buf_reserve(b, bytes))
		return;
	p = b->p + b->len;
	memset(p, 0, bytes);
	for (size_t i = 0; i < n; i++)
	{
		uint64_t	x = v[i];
		int			left = width;

		while (left > 0)
		{
			int			off = (int) (bit & 7);
			int			take = 8 - off < left ? 8 - off : left;

			p[bit >> 3] |= (uint8_t) ((x & ((1u << take) - 1)) << off);
			x = take == 64 ? 0 : x >> take;
			bit += take;
			left -= take;
		}
	}
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

/* qsort comparator of int64 values. */
static int
cmp_i64(const void *a, const void *b)
{
	int64_t		x = *(const int64_t *) a;
	int64_t		y = *(const int64_t *) b;

	return x < y ? -1 : x > y;
}

/* A byte string and the row it came from, for sorting into a dictionary. */
typedef struct BytesRef
{
	const uint8_t *p;
	uint32_t	len;
	uint32_t	row;
} BytesRef;

/* qsort comparator of byte strings: by length, then content. */
static int
cmp_bytes(const void *a, const void *b)
{
	const BytesRef *x = a;
	const BytesRef *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->p, y->p, x->len);
}

/* Most distinct values a dictionary holds: beyond it, bit-packed indexes
 * are rarely smaller than frame of reference or deltas. */
#define NFC_DICT_MAX 4096

/* Hash slot of a 64-bit value in a table of 2^bits slots. */
static size_t
hash_i64(int64_t v, int bits)
{
	return (size_t) (((uint64_t) v * UINT64_C(0x9E3779B97F4A7C15)) >> (64 - bits));
}

/*
 * Distinct values of v (at most NFC_DICT_MAX, else 0), sorted, into d; the
 * dictionary index of each value into idx.  keys/slot are scratch tables of
 * 2^bits entries.  Returns the number of distinct values, 0 when too many.
 */
static size_t
int_dictionary(const int64_t *v, size_t nn, int64_t *d, uint64_t *idx)
{
	int			bits = 14;		/* 16384 slots: load <= 1/4 at NFC_DICT_MAX */
	size_t		cap = (size_t) 1 << bits;
	int64_t    *keys = malloc(cap * sizeof(int64_t));
	int32_t    *slot = malloc(cap * sizeof(int32_t));
	size_t		nd = 0;

	if (keys == NULL || slot == NULL)
	{
		free(keys);
		free(slot);
		return 0;
	}
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
	free(keys);
	free(slot);
	return nd;
}

/* Encode the nn non-null integers v of one column; returns the encoding. */
static int
encode_ints(Buf *out, const int64_t *v, size_t nn)
{
	int64_t		mn = v[0],
				mx = v[0];
	size_t		for_size,
				delta_size,
				dict_size = SIZE_MAX;
	int			for_width;
	int64_t    *d;
	size_t		nd;
	int			dict_width = 0;
	uint64_t   *tmp;

	for (size_t i = 1; i < nn; i++)
	{
		if (v[i] < mn)
			mn = v[i];
		if (v[i] > mx)
			mx = v[i];
	}
	for_width = bit_width((uint64_t) mx - (uint64_t) mn);
	for_size = varint_size(zigzag(mn)) + 1 + packed_size(nn, for_width);
	delta_size = varint_size(zigzag(v[0]));
	for (size_t i = 1; i < nn; i++)
		delta_size += varint_size(zigzag((int64_t) ((uint64_t) v[i] - (uint64_t) v[i - 1])));

	d = malloc((nn < NFC_DICT_MAX ? nn : NFC_DICT_MAX) * sizeof(int64_t));
	tmp = malloc(nn * sizeof(uint64_t));
	if (d == NULL || tmp == NULL)
	{
		free(d);
		free(tmp);
		out->failed = 1;
		return NFC_ENC_NONE;
	}
	/* a dictionary can only win when frame of reference needs 2+ bits */
	nd = for_width >= 2 ? int_dictionary(v, nn, d, tmp) : 0;
	if (nd > 1)
	{
		dict_width = bit_width(nd - 1);
		dict_size = varint_size(nd) + varint_size(zigzag(d[0])) + 1 + packed_size(nn, dict_width);
		for (size_t i = 1; i < nd; i++)
			dict_size += varint_size((uint64_t) d[i] - (uint64_t) d[i - 1]);
	}

	if (dict_size < for_size && dict_size < delta_size)
	{
		buf_varint(out, nd);
		buf_varint(out, zigzag(d[0]));
		for (size_t i = 1; i < nd; i++)
			buf_varint(out, (uint64_t) d[i] - (uint64_t) d[i - 1]);
		buf_u8(out, (uint8_t) dict_width);
		buf_pack(out, tmp, nn, dict_width);
		free(d);
		free(tmp);
		return NFC_ENC_DICT;
	}
	free(d);
	if (for_size <= delta_size)
	{
		buf_varint(out, zigzag(mn));
		buf_u8(out, (uint8_t) for_width);
		for (size_t i = 0; i < nn; i++)
			tmp[i] = (uint64_t) v[i] - (uint64_t) mn;
		buf_pack(out, tmp, nn, for_width);
		free(tmp);
		return NFC_ENC_FOR;
	}
	free(tmp);
	buf_varint(out, zigzag(v[0]));
	for (size_t i = 1; i < nn; i++)
		buf_varint(out, zigzag((int64_t) ((uint64_t) v[i] - (uint64_t) v[i - 1])));
	return NFC_ENC_DELTA;
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

/* Encode the nn non-null byte strings r of one column; returns the encoding. */
static int
encode_bytes(Buf *out, BytesRef *r, size_t nn)
{
	int			bits = bit_width(nn * 2);
	size_t		cap = (size_t) 1 << bits;
	int32_t    *slot = malloc(cap * sizeof(int32_t));
	uint32_t   *first = malloc(nn * sizeof(uint32_t));	/* entry -> row */
	uint64_t   *idx = malloc(nn * sizeof(uint64_t));
	size_t		nd = 0,
				dict_size = 0,
				plain_size = 0;
	int			width;

	if (slot == NULL || first == NULL || idx == NULL)
	{
		free(slot);
		free(first);
		free(idx);
		out->failed = 1;
		return NFC_ENC_NONE;
	}
	memset(slot, -1, cap * sizeof(int32_t));
	for (size_t i = 0; i < nn; i++)
	{
		size_t		h = (size_t) (hash_bytes(r[i].p, r[i].len) & (cap - 1));

		plain_size += 1 + r[i].len;
		for (;;)
		{
			if (slot[h] < 0)
			{
				slot[h] = (int32_t) nd;
				first[nd++] = (uint32_t) i;
				dict_size += 1 + r[i].len;
				break;
			}
			if (cmp_bytes(&r[first[slot[h]]], &r[i]) == 0)
				break;
			h = (h + 1) & (cap - 1);
		}
		idx[i] = (uint64_t) slot[h];
	}
	width = bit_width(nd - 1);
	dict_size += varint_size(nd) + 1 + packed_size(nn, width);
	if (dict_size < plain_size)
	{
		buf_varint(out, nd);
		for (size_t k = 0; k < nd; k++)
		{
			buf_u8(out, (uint8_t) r[first[k]].len);
			buf_put(out, r[first[k]].p, r[first[k]].len);
		}
		buf_u8(out, (uint8_t) width);
		buf_pack(out, idx, nn, width);
		free(slot);
		free(first);
		free(idx);
		return NFC_ENC_DICT;
	}
	for (size_t i = 0; i < nn; i++)
	{
		buf_u8(out, (uint8_t) r[i].len);
		buf_put(out, r[i].p, r[i].len);
	}
	free(slot);
	free(first);
	free(idx);
	return NFC_ENC_PLAIN;
}

/* Encode one column into out as kind, encoding, length, payload. */
static int
encode_column(Buf *out, const NfcColumnIn *c, uint32_t nrows)
{
	size_t		start,
				nn = 0;
	int			enc = NFC_ENC_NONE;

	if (c->kind != NFC_KIND_INT && c->kind != NFC_KIND_BYTES)
		return -1;
	buf_u8(out, (uint8_t) c->kind);
	buf_u8(out, 0);				/* encoding, patched below */
	buf_u32(out, 0);			/* payload length, patched below */
	start = out->len;
	for (uint32_t i = 0; i < nrows; i++)
		if (!c->isnull[i])
			nn++;
	if (nn == nrows)
		buf_u8(out, 0);
	else if (nn == 0)
		buf_u8(out, 1);
	else
	{
		size_t		nb = (nrows + 7) / 8;

		buf_u8(out, 2);
		if (buf_reserve(out, nb))
		{
			memset(out->p + out->len, 0, nb);
			for (uint32_t i = 0; i < nrows; i++)
				if (c->isnull[i])
					out->p[out->len + i / 8] |= (uint8_t) (1u << (i % 8));
			out->len += nb;
		}
	}
	if (nn > 0 && c->kind == NFC_KIND_INT)
	{
		int64_t    *v = malloc(nn * sizeof(int64_t));
		size_t		k = 0;

		if (v == NULL)
			return -1;
		for (uint32_t i = 0; i < nrows; i++)
			if (!c->isnull[i])
				v[k++] = c->ints[i];
		enc = encode_ints(out, v, nn);
		free(v);
	}
	else if (nn > 0)
	{
		BytesRef   *r = malloc(nn * sizeof(BytesRef));
		size_t		k = 0;

		if (r == NULL)
			return -1;
		for (uint32_t i = 0; i < nrows; i++)
			if (!c->isnull[i])
			{
				r[k].p = c->bytes[i];
				r[k].len = c->lens[i];
				r[k].row = (uint32_t) k;
				k++;
			}
		enc = encode_bytes(out, r, nn);
		free(r);
	}
	if (out->failed)
		return -1;
	out->p[start - 5] = (uint8_t) enc;
	{
		uint32_t	plen = (uint32_t) (out->len - start);

		out->p[start - 4] = (uint8_t) plen;
		out->p[start - 3] = (uint8_t) (plen >> 8);
		out->p[start - 2] = (uint8_t) (plen >> 16);
		out->p[start - 1] = (uint8_t) (plen >> 24);
	}
	return 0;
}

/* Encode a batch (see batch_codec.h). */
int
nfc_encode(int ncols, uint32_t nrows, const NfcColumnIn *cols,
		   int zstd_level, uint8_t **out, size_t *outlen)
{
	Buf			body = {0};
	uint8_t    *res;
	size_t		cap,
				n;

	*out = NULL;
	*outlen = 0;
	if (ncols < 1 || ncols > NFC_MAX_COLS || nrows < 1 || nrows > NFC_MAX_ROWS)
		return -1;
	for (int c = 0; c < ncols; c++)
		if (encode_column(&body, &cols[c], nrows) != 0)
		{
			free(body.p);
			return -1;
		}
	if (body.failed || body.len > NFC_MAX_BODY)
	{
		free(body.p);
		return -1;
	}
	cap = NFC_HEADER_SIZE + (zstd_level > 0 ? ZSTD_compressBound(body.len) : body.len);
	res = malloc(cap);
	if (res == NULL)
	{
		free(body.p);
		return -1;
	}
	memcpy(res, "NFCB", 4);
	res[4] = NFC_VERSION;
	res[5] = zstd_level > 0 ? 1 : 0;
	res[6] = (uint8_t) ncols;
	res[7] = (uint8_t) (ncols >> 8);
	res[8] = (uint8_t) nrows;
	res[9] = (uint8_t) (nrows >> 8);
	res[10] = (uint8_t) (nrows >> 16);
	res[11] = (uint8_t) (nrows >> 24);
	res[12] = (uint8_t) body.len;
	res[13] = (uint8_t) (body.len >> 8);
	res[14] = (uint8_t) (body.len >> 16);
	res[15] = (uint8_t) (body.len >> 24);
	if (zstd_level > 0)
	{
		n = ZSTD_compress(res + NFC_HEADER_SIZE, cap - NFC_HEADER_SIZE,
						  body.p, body.len, zstd_level);
		if (ZSTD_isError(n))
		{
			free(res);
			free(body.p);
			return -1;
		}
	}
	else
	{
		memcpy(res + NFC_HEADER_SIZE, body.p, body.len);
		n = body.len;
	}
	free(body.p);
	*out = res;
	*outlen = NFC_HEADER_SIZE + n;
	return 0;
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

/* Read a little-endian 32-bit integer. */
static uint32_t
rd_u32(Rd *r)
{
	uint32_t	v;

	if (r->len - r->pos < 4 || r->pos > r->len)
	{
		r->bad = 1;
		return 0;
	}
	v = (uint32_t) r->p[r->pos] | (uint32_t) r->p[r->pos + 1] << 8 |
		(uint32_t) r->p[r->pos + 2] << 16 | (uint32_t) r->p[r->pos + 3] << 24;
	r->pos += 4;
	return v;
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

/* Read header fields; 0 when the header is valid. */
static int
read_header(const uint8_t *buf, size_t len, int *ncols, uint32_t *nrows,
			uint32_t *bodylen, int *flags)
{
	if (buf == NULL || len < NFC_HEADER_SIZE || memcmp(buf, "NFCB", 4) != 0 ||
		buf[4] != NFC_VERSION || (buf[5] & ~1) != 0)
		return -1;
	*flags = buf[5];
	*ncols = buf[6] | buf[7] << 8;
	*nrows = (uint32_t) buf[8] | (uint32_t) buf[9] << 8 |
		(uint32_t) buf[10] << 16 | (uint32_t) buf[11] << 24;
	*bodylen = (uint32_t) buf[12] | (uint32_t) buf[13] << 8 |
		(uint32_t) buf[14] << 16 | (uint32_t) buf[15] << 24;
	if (*ncols < 1 || *ncols > NFC_MAX_COLS || *nrows < 1 ||
		*nrows > NFC_MAX_ROWS || *bodylen > NFC_MAX_BODY)
		return -1;
	return 0;
}

/* Read only the header of a batch. */
int
nfc_peek(const uint8_t *buf, size_t len, int *ncols, uint32_t *nrows)
{
	uint32_t	bodylen;
	int			flags;

	return read_header(buf, len, ncols, nrows, &bodylen, &flags);
}

/* Decode the non-null integers of one column into c->ints. */
static int
decode_ints(Rd *r, NfcColumn *c, uint32_t nrows, size_t nn)
{
	uint64_t	prev;

	switch (c->encoding)
	{
		case NFC_ENC_FOR:
			{
				int64_t		mn = unzigzag(rd_varint(r));
				int			width = rd_u8(r);
				const uint8_t *p;
				size_t		k = 0;

				if (r->bad || width > 64)
					return -1;
				p = rd_take(r, packed_size(nn, width));
				if (r->bad)
					return -1;
				for (uint32_t i = 0; i < nrows; i++)
					if (!c->isnull[i])
						c->ints[i] = (int64_t) ((uint64_t) mn + unpack_one(p, k++, width));
				return 0;
			}
		case NFC_ENC_DICT:
			{
				uint64_t	nd = rd_varint(r);
				int64_t    *d;
				int			width;
				const uint8_t *p;
				size_t		k = 0;

				if (r->bad || nd < 1 || nd > nn)
					return -1;
				d = malloc(nd * sizeof(int64_t));
				if (d == NULL)
					return -1;
				d[0] = unzigzag(rd_varint(r));
				for (uint64_t i = 1; i < nd; i++)
					d[i] = (int64_t) ((uint64_t) d[i - 1] + rd_varint(r));
				width = rd_u8(r);
				if (r->bad || width > 32)
				{
					free(d);
					return -1;
				}
				p = rd_take(r, packed_size(nn, width));
				if (r->bad)
				{
					free(d);
					return -1;
				}
				for (uint32_t i = 0; i < nrows; i++)
					if (!c->isnull[i])
					{
						uint64_t	ix = unpack_one(p, k++, width);

						if (ix >= nd)
						{
							free(d);
							return -1;
						}
						c->ints[i] = d[ix];
					}
				free(d);
				return 0;
			}
		case NFC_ENC_DELTA:
			{
				int			first = 1;

				prev = 0;
				for (uint32_t i = 0; i < nrows; i++)
					if (!c->isnull[i])
					{
						uint64_t	z = rd_varint(r);

						prev = first ? (uint64_t) unzigzag(z) : prev + (uint64_t) unzigzag(z);
						first = 0;
						c->ints[i] = (int64_t) prev;
						if (r->bad)
							return -1;
					}
				return 0;
			}
		default:
			return -1;
	}
}

/* Decode the non-null byte strings of one column into a dictionary. */
static int
decode_bytes(Rd *r, NfcColumn *c, uint32_t nrows, size_t nn)
{
	uint64_t	nd;
	size_t		k = 0;

	if (c->encoding == NFC_ENC_DICT)
	{
		nd = rd_varint(r);
		if (r->bad || nd < 1 || nd > nn)
			return -1;
	}
	else if (c->encoding == NFC_ENC_PLAIN)
		nd = nn;
	else
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
	c->ndict = (uint32_t) nd;
	for (uint64_t i = 0; i < nd; i++)
	{
		c->dictlen[i] = rd_u8(r);
		c->dict[i] = rd_take(r, c->dictlen[i]);
		if (r->bad)
			return -1;
	}
	if (c->encoding == NFC_ENC_DICT)
	{
		int			width = rd_u8(r);
		const uint8_t *p;

		if (r->bad || width > 32)
			return -1;
		p = rd_take(r, packed_size(nn, width));
		if (r->bad)
			return -1;
		for (uint32_t i = 0; i < nrows; i++)
			if (!c->isnull[i])
			{
				uint64_t	ix = unpack_one(p, k++, width);

				if (ix >= nd)
					return -1;
				c->idx[i] = (uint32_t) ix;
			}
	}
	else
	{
		for (uint32_t i = 0; i < nrows; i++)
			if (!c->isnull[i])
				c->idx[i] = (uint32_t) k++;
	}
	return 0;
}

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

/*
 * Decode one column from body (positioned at its kind byte), or only step
 * over its payload when want is 0.
 */
static int
decode_column(Rd *body, NfcColumn *c, uint32_t nrows, int want)
{
	uint32_t	plen;
	Rd			r;
	int			nullmode;
	size_t		nn = 0;

	c->decoded = 0;
	c->ndict = 0;
	c->kind = rd_u8(body);
	c->encoding = rd_u8(body);
	plen = rd_u32(body);
	r.p = rd_take(body, plen);
	if (body->bad || (c->kind != NFC_KIND_INT && c->kind != NFC_KIND_BYTES))
		return -1;
	if (!want)
		return 0;
	r.len = plen;
	r.pos = 0;
	r.bad = 0;
	if (ensure_cap((void **) &c->isnull, &c->null_cap, nrows, 1) != 0)
		return -1;
	if (c->kind == NFC_KIND_INT)
	{
		if (ensure_cap((void **) &c->ints, &c->ints_cap, nrows, sizeof(int64_t)) != 0)
			return -1;
	}
	else if (ensure_cap((void **) &c->idx, &c->idx_cap, nrows, sizeof(uint32_t)) != 0)
		return -1;
	nullmode = rd_u8(&r);
	if (nullmode == 0)
	{
		memset(c->isnull, 0, nrows);
		nn = nrows;
	}
	else if (nullmode == 1)
		memset(c->isnull, 1, nrows);
	else if (nullmode == 2)
	{
		const uint8_t *bm = rd_take(&r, (nrows + 7) / 8);

		if (r.bad)
			return -1;
		for (uint32_t i = 0; i < nrows; i++)
		{
			c->isnull[i] = (bm[i / 8] >> (i % 8)) & 1;
			nn += !c->isnull[i];
		}
	}
	else
		return -1;
	if (r.bad)
		return -1;
	if (nn == 0)
	{
		if (c->encoding != NFC_ENC_NONE)
			return -1;
	}
	else if (c->kind == NFC_KIND_INT)
	{
		if (decode_ints(&r, c, nrows, nn) != 0)
			return -1;
	}
	else if (decode_bytes(&r, c, nrows, nn) != 0)
		return -1;
	/* the payload must be consumed exactly */
	if (r.bad || r.pos != r.len)
		return -1;
	c->decoded = 1;
	return 0;
}

/*
 * Decode a batch into out, reusing its arrays; on failure out keeps its
 * allocations (freeable and reusable).
 */
static int
decode_batch(const uint8_t *buf, size_t len, const uint8_t *want, int nwant,
			 NfcBatch *out, char *err, size_t errlen)
{
	int			ncols,
				flags;
	uint32_t	nrows,
				bodylen;
	Rd			body;

	out->ncols = 0;
	out->nrows = 0;
	if (read_header(buf, len, &ncols, &nrows, &bodylen, &flags) != 0)
		return fail(err, errlen, "invalid batch header", -1);
	if (out->body == NULL || out->body_cap < (bodylen ? bodylen : 1))
	{
		free(out->body);
		out->body_cap = 0;
		out->body = malloc(bodylen ? bodylen : 1);
		if (out->body == NULL)
			return fail(err, errlen, "out of memory", -1);
		out->body_cap = bodylen ? bodylen : 1;
	}
	if (flags & 1)
	{
		unsigned long long fsize = ZSTD_getFrameContentSize(buf + NFC_HEADER_SIZE,
															len - NFC_HEADER_SIZE);
		size_t		n;

		if (fsize != bodylen)
			return fail(err, errlen, "compressed body size does not match the header", -1);
		n = ZSTD_decompress(out->body, bodylen, buf + NFC_HEADER_SIZE, len - NFC_HEADER_SIZE);
		if (ZSTD_isError(n) || n != bodylen)
			return fail(err, errlen, "compressed body is corrupt", -1);
	}
	else
	{
		if (len - NFC_HEADER_SIZE != bodylen)
			return fail(err, errlen, "body length does not match the header", -1);
		memcpy(out->body, buf + NFC_HEADER_SIZE, bodylen);
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
	out->ncols = ncols;
	out->nrows = nrows;
	body.p = out->body;
	body.len = bodylen;
	body.pos = 0;
	body.bad = 0;
	for (int c = 0; c < ncols; c++)
		if (decode_column(&body, &out->cols[c], nrows,
						  want == NULL || (c < nwant && want[c])) != 0)
			return fail(err, errlen, "invalid column data", c);
	if (body.pos != body.len)
		return fail(err, errlen, "trailing bytes after the last column", -1);
	return 0;
}

/* Decode a batch (see batch_codec.h); frees everything on failure. */
int
nfc_decode(const uint8_t *buf, size_t len, NfcBatch *out,
		   char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (decode_batch(buf, len, NULL, 0, out, err, errlen) != 0)
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
	return decode_batch(buf, len, want, nwant, b, err, errlen);
}

/* Free a decoded batch. */
void
nfc_batch_free(NfcBatch *b)
{
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
	free(b->body);
	memset(b, 0, sizeof(*b));
}
