/*-------------------------------------------------------------------------
 *
 * hll.c
 *	  The netflow.hll type: a mergeable HyperLogLog sketch of the number of
 *	  distinct values (Flajolet et al. 2007), with 2^14 registers and a
 *	  64-bit hash, estimated with Ertl's improved estimator (O. Ertl, "New
 *	  cardinality estimation algorithms for HyperLogLog sketches", 2017),
 *	  which has no bias correction tables and a relative standard error of
 *	  about 1.04 / sqrt(2^14) = 0.81 % over the whole range.
 *
 * A sketch is sparse (the non-zero registers as sorted (index, value)
 * words) while it has at most HLL_SPARSE_MAX of them, dense (one byte per
 * register) beyond: both give the same estimate, the sparse form only
 * saves space (a host that talked to 30 peers in an hour stores 30 words,
 * not 16 kB).
 *
 * Stored form (varlena, native byte order): version, precision, format,
 * flags, count, capacity, then the words or the registers.  Aggregates
 * work on a "working" copy that has spare capacity (flag HLL_WORKING),
 * changed in place while it has room; when it must grow, a new copy is
 * made in the current (per-row) context and the old one is left alone:
 * the executor copies the new state into the aggregate context and frees
 * the old one itself.  The final function returns the canonical form (no
 * spare capacity, flag 0), the only one text and binary input accept.
 * Every value read is checked completely (hll_check) before use.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/tupmacs.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(hll_in);
PG_FUNCTION_INFO_V1(hll_out);
PG_FUNCTION_INFO_V1(hll_recv);
PG_FUNCTION_INFO_V1(hll_send);
PG_FUNCTION_INFO_V1(hll_add_trans);
PG_FUNCTION_INFO_V1(hll_union_trans);
PG_FUNCTION_INFO_V1(hll_final);
PG_FUNCTION_INFO_V1(hll_union);
PG_FUNCTION_INFO_V1(hll_cardinality);

#define HLL_VERSION		1
#define HLL_P			14
#define HLL_M			(1 << HLL_P)
#define HLL_Q			(64 - HLL_P)	/* hash bits after the index */
#define HLL_MAXRHO		(HLL_Q + 1)
#define HLL_SPARSE		1
#define HLL_DENSE		2
#define HLL_WORKING		0x80		/* flag: an aggregate's working copy */
/* Beyond this many words a sparse sketch is as large as a dense one. */
#define HLL_SPARSE_MAX	(HLL_M / 4)
/* Bytes of the binary (send) form's header. */
#define HLL_WIRE_HDR	8

typedef struct HllData
{
	int32		vl_len_;		/* varlena header */
	uint8		version;
	uint8		p;
	uint8		format;			/* HLL_SPARSE or HLL_DENSE */
	uint8		flags;			/* 0, or HLL_WORKING */
	uint32		count;			/* sparse: words used; dense: HLL_M */
	uint32		capacity;		/* sparse: words allocated; dense: HLL_M */
	uint32		data[FLEXIBLE_ARRAY_MEMBER];	/* words, or registers */
} HllData;

#define HLL_HDRSZ		offsetof(HllData, data)
#define HLL_WORD(idx, rho)	(((uint32) (idx) << 8) | (uint32) (rho))
#define HLL_WORD_IDX(w) ((w) >> 8)
#define HLL_WORD_RHO(w) ((w) & 0xFF)
#define HLL_REGS(h)		((uint8 *) (h)->data)

/* Per-call cache of the value type of hll_add_agg. */
typedef struct HllTypeCache
{
	Oid			typoid;
	int16		typlen;
	bool		typbyval;
} HllTypeCache;

/* Bytes a sketch of this format and capacity occupies. */
static Size
hll_size(uint8 format, uint32 capacity)
{
	if (format == HLL_DENSE)
		return HLL_HDRSZ + HLL_M;
	return HLL_HDRSZ + (Size) capacity * sizeof(uint32);
}

/* A new empty sparse sketch with room for capacity words. */
static HllData *
hll_new_sparse(MemoryContext cxt, uint32 capacity, uint8 flags)
{
	HllData    *h = MemoryContextAllocZero(cxt, hll_size(HLL_SPARSE, capacity));

	SET_VARSIZE(h, hll_size(HLL_SPARSE, capacity));
	h->version = HLL_VERSION;
	h->p = HLL_P;
	h->format = HLL_SPARSE;
	h->flags = flags;
	h->count = 0;
	h->capacity = capacity;
	return h;
}

/* Report a malformed sketch: SQLSTATE code, detail text. */
static void
hll_bad(int code, const char *detail)
{
	ereport(ERROR,
			(errcode(code),
			 errmsg("invalid hll value"),
			 errdetail_internal("%s", detail)));
}

/*
 * Check every invariant of a sketch of size bytes: header, sizes, sorted
 * distinct words within range, registers within range.  working: also
 * accept an aggregate's working copy.
 */
static void
hll_check(const HllData *h, Size size, bool working, int code)
{
	if (size < HLL_HDRSZ)
		hll_bad(code, "The value is shorter than its header.");
	if (h->version != HLL_VERSION)
		hll_bad(code, psprintf("Format version %u is not supported (expected %d).",
							   h->version, HLL_VERSION));
	if (h->p != HLL_P)
		hll_bad(code, psprintf("Precision %u is not supported (expected %d).", h->p, HLL_P));
	if (h->flags != 0 && !(working && h->flags == HLL_WORKING))
		hll_bad(code, psprintf("Flags %u are not valid here.", h->flags));
	if (h->format == HLL_DENSE)
	{
		const uint8 *regs = HLL_REGS(h);

		if (h->count != HLL_M || h->capacity != HLL_M || size != hll_size(HLL_DENSE, HLL_M))
			hll_bad(code, "A dense sketch must hold exactly 16384 registers.");
		for (int i = 0; i < HLL_M; i++)
			if (regs[i] > HLL_MAXRHO)
				hll_bad(code, psprintf("Register %d holds %u, above %d.", i, regs[i], HLL_MAXRHO));
	}
	else if (h->format == HLL_SPARSE)
	{
		uint32		prev = 0;

		if (h->capacity > HLL_SPARSE_MAX || h->count > h->capacity ||
			(!working && h->capacity != h->count) ||
			size != hll_size(HLL_SPARSE, h->capacity))
			hll_bad(code, psprintf("A sparse sketch of %u words (capacity %u) cannot be %zu bytes long.",
								   h->count, h->capacity, size));
		for (uint32 i = 0; i < h->count; i++)
		{
			uint32		w = h->data[i];

			if (HLL_WORD_IDX(w) >= HLL_M || HLL_WORD_RHO(w) < 1 || HLL_WORD_RHO(w) > HLL_MAXRHO)
				hll_bad(code, psprintf("Word %u (%08x) is out of range.", i, w));
			if (i > 0 && HLL_WORD_IDX(w) <= HLL_WORD_IDX(prev))
				hll_bad(code, psprintf("Word %u is not after word %u.", i, i - 1));
			prev = w;
		}
	}
	else
		hll_bad(code, psprintf("Format %u is unknown.", h->format));
}

/* A stored or passed sketch argument, detoasted and checked. */
static HllData *
hll_arg(FunctionCallInfo fcinfo, int n, bool working)
{
	HllData    *h = (HllData *) PG_DETOAST_DATUM(PG_GETARG_DATUM(n));

	hll_check(h, VARSIZE(h), working, ERRCODE_DATA_CORRUPTED);
	return h;
}

/* Convert a sparse sketch to a dense one (a new allocation in cxt). */
static HllData *
hll_densify(MemoryContext cxt, const HllData *s, uint8 flags)
{
	HllData    *d = MemoryContextAllocZero(cxt, hll_size(HLL_DENSE, HLL_M));
	uint8	   *regs = HLL_REGS(d);

	SET_VARSIZE(d, hll_size(HLL_DENSE, HLL_M));
	d->version = HLL_VERSION;
	d->p = HLL_P;
	d->format = HLL_DENSE;
	d->flags = flags;
	d->count = HLL_M;
	d->capacity = HLL_M;
	for (uint32 i = 0; i < s->count; i++)
	{
		uint32		idx = HLL_WORD_IDX(s->data[i]);

		regs[idx] = Max(regs[idx], HLL_WORD_RHO(s->data[i]));
	}
	return d;
}

/*
 * Set register idx to at least rho in working sketch h (in cxt); returns
 * the sketch, which may have moved (grown, or become dense).
 */
static HllData *
hll_set(MemoryContext cxt, HllData *h, uint32 idx, uint8 rho)
{
	int			lo = 0,
				hi;

	if (h->format == HLL_DENSE)
	{
		uint8	   *regs = HLL_REGS(h);

		if (regs[idx] < rho)
			regs[idx] = rho;
		return h;
	}
	hi = (int) h->count;
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (HLL_WORD_IDX(h->data[mid]) < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < (int) h->count && HLL_WORD_IDX(h->data[lo]) == idx)
	{
		if (HLL_WORD_RHO(h->data[lo]) < rho)
			h->data[lo] = HLL_WORD(idx, rho);
		return h;
	}
	if (h->count == h->capacity)
	{
		HllData    *g;

		if (h->capacity >= HLL_SPARSE_MAX)
		{
			g = hll_densify(cxt, h, h->flags);
			return hll_set(cxt, g, idx, rho);
		}
		g = hll_new_sparse(cxt, Min(HLL_SPARSE_MAX, h->capacity * 2), h->flags);
		memcpy(g->data, h->data, h->count * sizeof(uint32));
		g->count = h->count;
		h = g;
	}
	memmove(&h->data[lo + 1], &h->data[lo], (h->count - lo) * sizeof(uint32));
	h->data[lo] = HLL_WORD(idx, rho);
	h->count++;
	return h;
}

/* A working copy of checked sketch s in cxt, with room to grow. */
static HllData *
hll_working_copy(MemoryContext cxt, const HllData *s)
{
	HllData    *h;

	if (s->format == HLL_DENSE)
	{
		h = MemoryContextAlloc(cxt, VARSIZE(s));
		memcpy(h, s, VARSIZE(s));
	}
	else
	{
		h = hll_new_sparse(cxt, Min(HLL_SPARSE_MAX, Max(16, s->count * 2)), HLL_WORKING);
		memcpy(h->data, s->data, s->count * sizeof(uint32));
		h->count = s->count;
	}
	h->flags = HLL_WORKING;
	return h;
}

/* Merge checked sketch b into working sketch a (in cxt); returns a, maybe moved. */
static HllData *
hll_merge(MemoryContext cxt, HllData *a, const HllData *b)
{
	if (b->format == HLL_DENSE)
	{
		const uint8 *br = HLL_REGS(b);
		uint8	   *ar;

		if (a->format != HLL_DENSE)
		{
			HllData    *d = hll_densify(cxt, a, a->flags);

			a = d;
		}
		ar = HLL_REGS(a);
		for (int i = 0; i < HLL_M; i++)
			ar[i] = Max(ar[i], br[i]);
		return a;
	}
	if (a->format == HLL_SPARSE && (Size) a->count + b->count > a->capacity)
	{
		/* one sorted merge into a new array instead of one insert per word */
		uint32		n = a->count + b->count;
		HllData    *m;
		uint32		i = 0,
					j = 0;

		if (n > HLL_SPARSE_MAX)
		{
			HllData    *d = hll_densify(cxt, a, a->flags);

			return hll_merge(cxt, d, b);
		}
		m = hll_new_sparse(cxt, Min(HLL_SPARSE_MAX, n * 2), a->flags);
		while (i < a->count || j < b->count)
		{
			uint32		w;

			if (j >= b->count || (i < a->count && HLL_WORD_IDX(a->data[i]) < HLL_WORD_IDX(b->data[j])))
				w = a->data[i++];
			else if (i >= a->count || HLL_WORD_IDX(b->data[j]) < HLL_WORD_IDX(a->data[i]))
				w = b->data[j++];
			else
			{
				w = Max(a->data[i], b->data[j]);	/* same index: larger value */
				i++;
				j++;
			}
			m->data[m->count++] = w;
		}
		return m;
	}
	for (uint32 j = 0; j < b->count; j++)
		a = hll_set(cxt, a, HLL_WORD_IDX(b->data[j]), HLL_WORD_RHO(b->data[j]));
	return a;
}

/* The canonical form of sketch h (palloc'd in the current context). */
static HllData *
hll_canonical(const HllData *h)
{
	HllData    *c;

	if (h->format == HLL_DENSE)
	{
		c = palloc(VARSIZE(h));
		memcpy(c, h, VARSIZE(h));
	}
	else
	{
		c = hll_new_sparse(CurrentMemoryContext, h->count, 0);
		memcpy(c->data, h->data, h->count * sizeof(uint32));
		c->count = h->count;
	}
	c->flags = 0;
	return c;
}

/* Ertl's sigma function (improved raw estimator). */
static double
hll_sigma(double x)
{
	double		y = 1.0,
				z = x,
				zprev;

	if (x == 1.0)
		return INFINITY;
	do
	{
		x *= x;
		zprev = z;
		z += x * y;
		y += y;
	} while (z != zprev);
	return z;
}

/* Ertl's tau function (improved raw estimator). */
static double
hll_tau(double x)
{
	double		y = 1.0,
				z,
				zprev;

	if (x == 0.0 || x == 1.0)
		return 0.0;
	z = 1.0 - x;
	do
	{
		x = sqrt(x);
		zprev = z;
		y *= 0.5;
		z -= (1.0 - x) * (1.0 - x) * y;
	} while (z != zprev);
	return z / 3.0;
}

/* Estimated number of distinct values of checked sketch h. */
static int64
hll_estimate(const HllData *h)
{
	uint32		c[HLL_MAXRHO + 1] = {0};
	double		z;

	if (h->format == HLL_DENSE)
	{
		const uint8 *regs = HLL_REGS(h);

		for (int i = 0; i < HLL_M; i++)
			c[regs[i]]++;
	}
	else
	{
		c[0] = HLL_M - h->count;
		for (uint32 i = 0; i < h->count; i++)
			c[HLL_WORD_RHO(h->data[i])]++;
	}
	if (c[0] == HLL_M)
		return 0;
	z = HLL_M * hll_tau(1.0 - (double) c[HLL_MAXRHO] / HLL_M);
	for (int k = HLL_Q; k >= 1; k--)
		z = 0.5 * (z + c[k]);
	z += HLL_M * hll_sigma((double) c[0] / HLL_M);
	return (int64) llround((1.0 / (2.0 * log(2.0))) * HLL_M * (double) HLL_M / z);
}

/* 64-bit hash of a value of the cached type: its binary representation. */
static uint64
hll_hash_value(Datum value, const HllTypeCache *tc)
{
	char		buf[sizeof(Datum)];
	const char *bytes;
	Size		len;
	uint64		h;

	if (tc->typbyval)
	{
		store_att_byval(buf, value, tc->typlen);
		bytes = buf;
		len = tc->typlen;
	}
	else if (tc->typlen > 0)
	{
		bytes = DatumGetPointer(value);
		len = tc->typlen;
	}
	else if (tc->typlen == -1)
	{
		struct varlena *v = PG_DETOAST_DATUM_PACKED(value);

		bytes = VARDATA_ANY(v);
		len = VARSIZE_ANY_EXHDR(v);
	}
	else
	{
		bytes = DatumGetCString(value);
		len = strlen(bytes);
	}
	h = DatumGetUInt64(hash_bytes_extended((const unsigned char *) bytes, (int) len, 0));
	/* murmur3's finalizer: every output bit depends on every input bit */
	h ^= h >> 33;
	h *= UINT64CONST(0xff51afd7ed558ccd);
	h ^= h >> 33;
	h *= UINT64CONST(0xc4ceb9fe1a85ec53);
	h ^= h >> 33;
	return h;
}

/* Where new aggregate states are made; an error when not called as an aggregate. */
static MemoryContext
hll_aggcontext(FunctionCallInfo fcinfo, const char *fname)
{
	if (!AggCheckCallContext(fcinfo, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s called in non-aggregate context", fname)));
	/* new states go here; the executor copies them into its own context */
	return CurrentMemoryContext;
}

/* hll_add_agg transition: count one value (NULLs are skipped). */
Datum
hll_add_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = hll_aggcontext(fcinfo, "hll_add_trans");
	HllData    *h;
	HllTypeCache *tc = (HllTypeCache *) fcinfo->flinfo->fn_extra;
	uint64		hash;
	uint64		rest;

	if (PG_ARGISNULL(0))
	{
		if (PG_ARGISNULL(1))
			PG_RETURN_NULL();
		h = hll_new_sparse(cxt, 16, HLL_WORKING);
	}
	else
	{
		h = (HllData *) PG_GETARG_POINTER(0);
		if (h->flags != HLL_WORKING)
			hll_bad(ERRCODE_DATA_CORRUPTED, "The aggregate state is not a working sketch.");
	}
	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(h);

	if (tc == NULL)
	{
		tc = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(HllTypeCache));
		tc->typoid = get_fn_expr_argtype(fcinfo->flinfo, 1);
		if (!OidIsValid(tc->typoid))
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("could not determine the type of the hll_add_agg value")));
		get_typlenbyval(tc->typoid, &tc->typlen, &tc->typbyval);
		fcinfo->flinfo->fn_extra = tc;
	}
	hash = hll_hash_value(PG_GETARG_DATUM(1), tc);
	rest = hash << HLL_P;
	h = hll_set(cxt, h, (uint32) (hash >> HLL_Q),
				rest == 0 ? HLL_MAXRHO : (uint8) (__builtin_clzll(rest) + 1));
	PG_RETURN_POINTER(h);
}

/* hll_union_agg transition and combine function of both aggregates. */
Datum
hll_union_trans(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = hll_aggcontext(fcinfo, "hll_union_trans");
	HllData    *h;
	HllData    *b;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = hll_arg(fcinfo, 1, true);
	if (PG_ARGISNULL(0))
		PG_RETURN_POINTER(hll_working_copy(cxt, b));
	h = (HllData *) PG_GETARG_POINTER(0);
	if (h->flags != HLL_WORKING)
		hll_bad(ERRCODE_DATA_CORRUPTED, "The aggregate state is not a working sketch.");
	PG_RETURN_POINTER(hll_merge(cxt, h, b));
}

/* Final function of both aggregates: the canonical sketch. */
Datum
hll_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(hll_canonical(hll_arg(fcinfo, 0, true)));
}

/* Union of two sketches. */
Datum
hll_union(PG_FUNCTION_ARGS)
{
	HllData    *a = hll_arg(fcinfo, 0, false);
	HllData    *b = hll_arg(fcinfo, 1, false);
	HllData    *w = hll_working_copy(CurrentMemoryContext, a);

	PG_RETURN_POINTER(hll_canonical(hll_merge(CurrentMemoryContext, w, b)));
}

/* Estimated number of distinct values counted into a sketch. */
Datum
hll_cardinality(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(hll_estimate(hll_arg(fcinfo, 0, true)));
}

/* Binary form of a canonical sketch, big-endian (see hll_recv). */
static void
hll_to_wire(StringInfo buf, const HllData *h)
{
	pq_sendbyte(buf, h->version);
	pq_sendbyte(buf, h->p);
	pq_sendbyte(buf, h->format);
	pq_sendbyte(buf, 0);
	pq_sendint32(buf, h->count);
	if (h->format == HLL_DENSE)
		pq_sendbytes(buf, (const char *) HLL_REGS(h), HLL_M);
	else
		for (uint32 i = 0; i < h->count; i++)
			pq_sendint32(buf, h->data[i]);
}

/* Sketch from its binary form (len bytes), checked completely. */
static HllData *
hll_from_wire(const char *data, int len, int code)
{
	uint8		version,
				p,
				format,
				flags;
	uint32		count;
	HllData    *h;

	if (len < HLL_WIRE_HDR)
		hll_bad(code, psprintf("The value is %d bytes long, shorter than its %d-byte header.",
							   len, HLL_WIRE_HDR));
	version = (uint8) data[0];
	p = (uint8) data[1];
	format = (uint8) data[2];
	flags = (uint8) data[3];
	count = pg_ntoh32(*(const uint32 *) (data + 4));
	if (format == HLL_DENSE)
	{
		if (len != HLL_WIRE_HDR + HLL_M || count != HLL_M)
			hll_bad(code, psprintf("A dense sketch must be %d bytes with count %d, not %d bytes with count %u.",
								   HLL_WIRE_HDR + HLL_M, HLL_M, len, count));
		h = palloc(hll_size(HLL_DENSE, HLL_M));
		SET_VARSIZE(h, hll_size(HLL_DENSE, HLL_M));
		memcpy(HLL_REGS(h), data + HLL_WIRE_HDR, HLL_M);
		h->capacity = HLL_M;
	}
	else
	{
		if (count > HLL_SPARSE_MAX || (Size) len != HLL_WIRE_HDR + (Size) count * 4)
			hll_bad(code, psprintf("A sparse sketch of %u words cannot be %d bytes long.", count, len));
		h = hll_new_sparse(CurrentMemoryContext, count, 0);
		for (uint32 i = 0; i < count; i++)
			h->data[i] = pg_ntoh32(*(const uint32 *) (data + HLL_WIRE_HDR + 4 * i));
	}
	h->version = version;
	h->p = p;
	h->format = format;
	h->flags = flags;
	h->count = count;
	hll_check(h, VARSIZE(h), false, code);
	return h;
}

/* Text input: \x followed by the hexadecimal binary form. */
Datum
hll_in(PG_FUNCTION_ARGS)
{
	const char *s = PG_GETARG_CSTRING(0);
	size_t		n = strlen(s);
	char	   *bin;
	int			len;

	if (n < 2 || s[0] != '\\' || s[1] != 'x' || (n - 2) % 2 != 0 || n > 2 + 2 * (HLL_WIRE_HDR + HLL_M + 4 * HLL_SPARSE_MAX))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type hll"),
				 errdetail("An hll value is written \\x followed by an even number of hexadecimal digits.")));
	bin = palloc((n - 2) / 2 + 1);
	len = (int) hex_decode(s + 2, n - 2, bin);
	PG_RETURN_POINTER(hll_from_wire(bin, len, ERRCODE_INVALID_TEXT_REPRESENTATION));
}

/* Text output: \x followed by the hexadecimal binary form. */
Datum
hll_out(PG_FUNCTION_ARGS)
{
	HllData    *h = hll_canonical(hll_arg(fcinfo, 0, true));
	StringInfoData buf;
	char	   *out;
	uint64		n;

	initStringInfo(&buf);
	hll_to_wire(&buf, h);
	out = palloc(2 + (Size) buf.len * 2 + 1);
	out[0] = '\\';
	out[1] = 'x';
	n = hex_encode(buf.data, buf.len, out + 2);
	out[2 + n] = '\0';
	PG_RETURN_CSTRING(out);
}

/* Binary input, checked completely. */
Datum
hll_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	HllData    *h = hll_from_wire(buf->data + buf->cursor, buf->len - buf->cursor,
								  ERRCODE_INVALID_BINARY_REPRESENTATION);

	buf->cursor = buf->len;
	PG_RETURN_POINTER(h);
}

/* Binary output: version, precision, format, 0, count, then the big-endian
 * words or the registers. */
Datum
hll_send(PG_FUNCTION_ARGS)
{
	HllData    *h = hll_canonical(hll_arg(fcinfo, 0, true));
	StringInfoData buf;

	pq_begintypsend(&buf);
	hll_to_wire(&buf, h);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}
