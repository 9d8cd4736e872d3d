/*-------------------------------------------------------------------------
 *
 * entropy.c
 *	  The netflow.entropy and netflow.entropy_normalized aggregates: exact
 *	  Shannon entropy (bits) of the distribution of a value, optionally
 *	  weighted.
 *
 * The state maps each distinct value to its summed weight.  The final
 * function computes
 *	  H = log2(N) - (1/N) * sum(c_i * log2(c_i))
 * over the positive counts c_i (N = sum c_i), in long double with Neumaier
 * compensated summation over the counts in ascending order, equal counts
 * grouped.  The order depends only on the multiset of counts, so serial
 * and parallel plans return the very same double.
 *
 * Memory grows with the number of distinct values.  Fixed-length values of
 * at most 8 bytes (integers, dates, ...) live in a compact open-addressing
 * table of 16-byte slots (value, count), so a row touches one slot; other
 * values use the shared key table (key_table.h: a 56-byte entry plus slots
 * per value).  At most KT_MAX_ENTRIES distinct values per state are kept;
 * beyond that the aggregate raises an ERROR (aggregate states are not
 * bounded by work_mem).
 *
 * The state is an expanded object (agg_state.h) in both of its SQL guises:
 * the polymorphic aggregates keep STYPE internal (with the serialize
 * functions), their overloads for the common value types have STYPE
 * netflow.entropy_state, whose flat form is the serialized state and whose
 * text form is JSON with each value in its type's text form.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "agg_state.h"
#include "byte_reader.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "key_table.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(entropy_trans);
PG_FUNCTION_INFO_V1(entropy_weighted_trans);
PG_FUNCTION_INFO_V1(entropy_combine);
PG_FUNCTION_INFO_V1(entropy_serialize);
PG_FUNCTION_INFO_V1(entropy_deserialize);
PG_FUNCTION_INFO_V1(entropy_final);
PG_FUNCTION_INFO_V1(entropy_normalized_final);
PG_FUNCTION_INFO_V1(entropy_state_in);
PG_FUNCTION_INFO_V1(entropy_state_out);
PG_FUNCTION_INFO_V1(entropy_state_recv);
PG_FUNCTION_INFO_V1(entropy_state_send);

#define ENTROPY_FORMAT_VERSION 1

/*
 * Rows of compact-table values are buffered and counted in batches of this
 * many, so that the table slots of a batch are fetched from memory in
 * parallel (prefetch) instead of one cache miss per row.  Counting is
 * addition, so the counts are exactly those of counting row by row.
 */
#define ENTROPY_BATCH 16

#if defined(__GNUC__) || defined(__clang__)
#define entropy_prefetch(p) __builtin_prefetch(p, 1, 3)
#else
#define entropy_prefetch(p) ((void) (p))
#endif

/* Slot of the compact table for fixed-length values of at most 8 bytes. */
typedef struct SmallSlot
{
	uint64		key;			/* the value's bytes, zero-padded */
	int64		count;			/* -1 = empty slot */
} SmallSlot;

typedef struct EntropyState
{
	AggExpanded agg;			/* first: the state is an expanded object */
	bool		small;			/* values fit SmallSlot: ss is used, not kt */
	SmallSlot  *ss;				/* open addressing, load factor <= 1/2 */
	uint32		smask;			/* number of slots - 1 */
	int32		sn;				/* values in ss */
	KeyTable	kt;				/* all other values */
	int64		total;			/* sum of all counts */
	int32		nbuf;			/* rows buffered in bufkey/bufw */
	uint64		bufkey[ENTROPY_BATCH];	/* compact-table values not yet counted */
	int64		bufw[ENTROPY_BATCH];	/* their weights */
	Oid			typoid;			/* type of the values */
	int16		typlen;
	bool		typbyval;
} EntropyState;

static void entropy_build_flat(AggExpanded *agg);
static AggExpanded *entropy_state_from_bytes(const char *data, Size len,
											 int code, MemoryContext parent);

static const AggKind entropy_kind = {
	"entropy",
	entropy_build_flat,
	entropy_state_from_bytes
};

/* Raise the error for a count that would overflow bigint. */
static void
entropy_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("entropy weight out of range"),
			 errdetail("A sum of weights exceeds the bigint range.")));
}

/* Memory context of the running aggregate, or an ERROR outside one. */
static inline MemoryContext
entropy_aggcontext(FunctionCallInfo fcinfo)
{
	return agg_context(fcinfo, &entropy_kind);
}

/* Allocate an empty compact table with room for n values. */
static void
small_alloc(EntropyState *st, MemoryContext cxt, int32 n)
{
	uint64		nslots = 16;

	while (nslots < (uint64) n * 2)
		nslots <<= 1;
	st->ss = MemoryContextAllocHuge(cxt, nslots * sizeof(SmallSlot));
	memset(st->ss, 0xff, nslots * sizeof(SmallSlot));	/* count -1: empty */
	st->smask = (uint32) (nslots - 1);
}

/*
 * Make an empty state for values of type typoid: an expanded object with a
 * memory context of its own, child of 'parent' (the aggregate context, so
 * that nodeAgg adopts it).
 */
static EntropyState *
entropy_state_new(MemoryContext parent, Oid typoid, int32 expected)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "entropy state",
											  ALLOCSET_START_SMALL_SIZES);
	EntropyState *st = MemoryContextAllocZero(cxt, sizeof(EntropyState));

	agg_expanded_init(&st->agg, cxt, &entropy_kind);
	st->typoid = typoid;
	get_typlenbyval(typoid, &st->typlen, &st->typbyval);
	st->small = st->typlen > 0 && st->typlen <= 8;
	if (st->small)
		small_alloc(st, cxt, Min(expected, KT_MAX_ENTRIES));
	else
		kt_init(&st->kt, cxt, expected, 0, 0);
	return st;
}

/* Raise the error for too many distinct values. */
static void
entropy_too_many(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("too many distinct values in one aggregate"),
			 errdetail("At most %d distinct values are kept per aggregate state.",
					   KT_MAX_ENTRIES),
			 errhint("Aggregate over fewer rows (for example per hour) or over a coarser value.")));
}

/* Double the compact table and re-enter every value. */
static void
small_grow(EntropyState *st)
{
	SmallSlot  *old = st->ss;
	uint32		oldn = st->smask + 1;

	if (st->sn >= KT_MAX_ENTRIES)
		entropy_too_many();
	small_alloc(st, GetMemoryChunkContext(old), (int32) Min((uint64) oldn, (uint64) KT_MAX_ENTRIES));
	for (uint32 i = 0; i < oldn; i++)
	{
		uint32		pos;

		if (old[i].count < 0)
			continue;
		pos = (uint32) kt_mix64(old[i].key) & st->smask;
		while (st->ss[pos].count >= 0)
			pos = (pos + 1) & st->smask;
		st->ss[pos] = old[i];
	}
	pfree(old);
}

/*
 * Slot of a value in the compact table, inserting it with count 0 when
 * absent; *isnew tells which.
 */
static inline SmallSlot *
small_slot_word(EntropyState *st, uint64 k, bool *isnew)
{
	uint32		pos;

	pos = (uint32) kt_mix64(k) & st->smask;
	for (;;)
	{
		SmallSlot  *s = &st->ss[pos];

		if (s->key == k && s->count >= 0)
		{
			*isnew = false;
			return s;
		}
		if (s->count < 0)
		{
			if (unlikely((uint64) (st->sn + 1) * 2 > (uint64) st->smask + 1))
			{
				small_grow(st);
				return small_slot_word(st, k, isnew);
			}
			s->key = k;
			s->count = 0;
			st->sn++;
			*isnew = true;
			return s;
		}
		pos = (pos + 1) & st->smask;
	}
}

/* Count of a value, inserting it with count 0 when absent. */
static inline int64 *
entropy_counter(EntropyState *st, const char *key, uint32 len, bool *isnew)
{
	uint64		hash;
	uint32		slot;
	int32		idx;

	if (st->small)
		return &small_slot_word(st, kt_load_word(key, len), isnew)->count;
	hash = kt_hash(key, len);
	idx = kt_find(&st->kt, hash, key, len, &slot);
	*isnew = idx < 0;
	if (idx < 0)
		idx = kt_insert(&st->kt, hash, key, len);
	return &st->kt.entries[idx].count;
}

/* Add weight w to the count of a key. */
static inline void
entropy_add(EntropyState *st, const char *key, uint32 len, int64 w)
{
	bool		isnew;
	int64	   *c = entropy_counter(st, key, len, &isnew);

	if (unlikely(pg_add_s64_overflow(*c, w, c) ||
				 pg_add_s64_overflow(st->total, w, &st->total)))
		entropy_overflow();
}

/* Count the buffered rows: prefetch their slots, then add each weight. */
static void
entropy_flush(EntropyState *st)
{
	int32		n = st->nbuf;

	for (int32 i = 0; i < n; i++)
		entropy_prefetch(&st->ss[(uint32) kt_mix64(st->bufkey[i]) & st->smask]);
	/* nbuf is cleared first: an overflow ERROR must not leave rows to recount */
	st->nbuf = 0;
	for (int32 i = 0; i < n; i++)
	{
		bool		isnew;
		int64	   *c = &small_slot_word(st, st->bufkey[i], &isnew)->count;

		if (unlikely(pg_add_s64_overflow(*c, st->bufw[i], c) ||
					 pg_add_s64_overflow(st->total, st->bufw[i], &st->total)))
			entropy_overflow();
	}
}

/* Number of distinct values held. */
static int32
entropy_nvalues(const EntropyState *st)
{
	return st->small ? st->sn : st->kt.nentries;
}

/*
 * Step through the values: start with *pos = 0; returns false at the end.
 * Key bytes of compact-table values point into the table.
 */
static bool
entropy_next(const EntropyState *st, uint32 *pos, const char **key,
			 uint32 *len, int64 *count)
{
	if (st->small)
	{
		while (*pos <= st->smask && st->ss[*pos].count < 0)
			(*pos)++;
		if (*pos > st->smask)
			return false;
		*key = (const char *) &st->ss[*pos].key;
		*len = st->typlen;
		*count = st->ss[*pos].count;
	}
	else
	{
		const KtEntry *e;

		if (*pos >= (uint32) st->kt.nentries)
			return false;
		e = &st->kt.entries[*pos];
		*key = kt_key(e);
		*len = e->len;
		*count = e->count;
	}
	(*pos)++;
	return true;
}

/* Bytes held by the state's table. */
static Size
entropy_memory(const EntropyState *st)
{
	if (st->small)
		return ((Size) st->smask + 1) * sizeof(SmallSlot);
	return kt_memory(&st->kt);
}

/* Raise the error for a corrupted serialized state. */
#define STATE_ERROR(code, ...) \
	ereport(ERROR, \
			(errcode(code), \
			 errmsg("invalid entropy aggregate state"), \
			 errdetail(__VA_ARGS__)))

/*
 * A new state (child of 'parent') holding a serialized state given as
 * bytes, validating every length and count (errcode 'code' on a defect):
 * uint8 version, int32 typoid, int64 total, int32 n, then n times int64
 * count, int32 length, bytes (big-endian).
 */
static AggExpanded *
entropy_state_from_bytes(const char *data, Size size, int code,
						 MemoryContext parent)
{
	ByteReader	r;
	EntropyState *st;
	Oid			typoid;
	int64		total;
	int64		sum = 0;
	int32		n;
	int			version;

	br_init(&r, data, size, code, "entropy aggregate state");
	version = br_u8(&r);
	if (version != ENTROPY_FORMAT_VERSION)
		STATE_ERROR(code, "Format version %d is not supported.", version);
	typoid = (Oid) br_i32(&r);
	if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(typoid)))
		STATE_ERROR(code, "Value type %u does not exist.", typoid);
	total = br_i64(&r);
	n = br_i32(&r);
	if (total < 0)
		STATE_ERROR(code, "Total " INT64_FORMAT " is negative.", total);
	if (n < 0 || n > KT_MAX_ENTRIES || (Size) n > br_left(&r) / 12)
		STATE_ERROR(code, "Value count %d does not fit in %zu bytes.", n, br_left(&r));
	st = entropy_state_new(parent, typoid, Max(n, 16));
	for (int32 i = 0; i < n; i++)
	{
		int64		c = br_i64(&r);
		int32		len = br_i32(&r);
		const char *key;
		int64	   *counter;
		bool		isnew;

		if (c < 0)
			STATE_ERROR(code, "Value %d has negative count " INT64_FORMAT ".", i + 1, c);
		if (len < 0)
			STATE_ERROR(code, "Value %d has negative length %d.", i + 1, len);
		key = br_bytes(&r, len);
		check_key_bytes(key, len, st->typlen, st->typbyval, code);
		counter = entropy_counter(st, key, len, &isnew);
		if (!isnew)
			STATE_ERROR(code, "Value %d appears twice.", i + 1);
		*counter = c;
		if (pg_add_s64_overflow(sum, c, &sum))
			STATE_ERROR(code, "The counts overflow.");
	}
	if (br_left(&r) != 0)
		STATE_ERROR(code, "%zu unexpected bytes follow the last value.", br_left(&r));
	if (sum != total)
		STATE_ERROR(code, "The counts add up to " INT64_FORMAT ", not the total " INT64_FORMAT ".",
					sum, total);
	st->total = total;
	return &st->agg;
}

/* The writable state of a transition or combine function's argument 0. */
static inline EntropyState *
entropy_arg_state(FunctionCallInfo fcinfo)
{
	return (EntropyState *) agg_arg_state(fcinfo, &entropy_kind);
}

/* Shared transition: count value (argument 1) with weight w. */
static inline EntropyState *
entropy_step(FunctionCallInfo fcinfo, int64 w)
{
	EntropyState *st = entropy_arg_state(fcinfo);
	char		buf[8];
	const char *key;
	uint32		len;

	/* a state only comes from an aggregate: check the context once */
	if (st == NULL)
	{
		MemoryContext aggcxt = entropy_aggcontext(fcinfo);
		Oid			typoid = agg_value_type(fcinfo, 1, "entropy value");

		if (typoid == RECORDOID)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("anonymous record values are not supported as entropy values"),
					 errhint("Use a text key such as host(a) || ' ' || host(b), or a named composite type.")));
		st = entropy_state_new(aggcxt, typoid, 256);
	}
	key = key_bytes_of_datum(PG_GETARG_DATUM(1), st->typlen, st->typbyval,
							 buf, &len);
	if (st->small)
	{
		st->bufkey[st->nbuf] = kt_load_word(key, len);
		st->bufw[st->nbuf] = w;
		if (++st->nbuf == ENTROPY_BATCH)
			entropy_flush(st);
	}
	else
		entropy_add(st, key, len, w);
	return st;
}

/* entropy(value) transition: count the value once. */
Datum
entropy_trans(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(1))
	{
		entropy_aggcontext(fcinfo);
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	PG_RETURN_DATUM(EOHPGetRWDatum(&entropy_step(fcinfo, 1)->agg.hdr));
}

/* entropy(value, weight) transition: add the weight to the value's count. */
Datum
entropy_weighted_trans(PG_FUNCTION_ARGS)
{
	int64		w;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		entropy_aggcontext(fcinfo);
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	w = PG_GETARG_INT64(2);
	if (unlikely(w < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("entropy weight must not be negative"),
				 errdetail("Weight " INT64_FORMAT " was given.", w)));
	PG_RETURN_DATUM(EOHPGetRWDatum(&entropy_step(fcinfo, w)->agg.hdr));
}

/*
 * Combine two partial states (parallel, partition-wise or Citus
 * aggregation).  The second may be flat (from another process or node).
 */
Datum
entropy_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = entropy_aggcontext(fcinfo);
	EntropyState *s1;
	EntropyState *s2;
	bool		s2_temporary;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	s2 = (EntropyState *) agg_read_state(PG_GETARG_DATUM(1), &entropy_kind,
										 &s2_temporary);
	s1 = entropy_arg_state(fcinfo);
	if (s1 == NULL)
		s1 = entropy_state_new(aggcxt, s2->typoid, Max(entropy_nvalues(s2), 16));
	if (s1->typoid != s2->typoid)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot combine entropy states of different value types")));
	entropy_flush(s1);
	entropy_flush(s2);
	{
		uint32		pos = 0;
		const char *key;
		uint32		len;
		int64		c;

		while (entropy_next(s2, &pos, &key, &len, &c))
			entropy_add(s1, key, len, c);
	}
	agg_release(&s2->agg, s2_temporary);
	PG_RETURN_DATUM(EOHPGetRWDatum(&s1->agg.hdr));
}

/*
 * Build the flat form of a state, the format entropy_state_from_bytes reads
 * (the kind's build_flat: agg_build_flat calls it once and caches it).
 */
static void
entropy_build_flat(AggExpanded *agg)
{
	EntropyState *st = (EntropyState *) agg;
	StringInfoData buf;

	entropy_flush(st);
	agg_flat_buf_init(agg, &buf);
	pq_sendbyte(&buf, ENTROPY_FORMAT_VERSION);
	pq_sendint32(&buf, st->typoid);
	pq_sendint64(&buf, st->total);
	pq_sendint32(&buf, entropy_nvalues(st));
	{
		uint32		pos = 0;
		const char *key;
		uint32		len;
		int64		c;

		while (entropy_next(st, &pos, &key, &len, &c))
		{
			if ((Size) buf.len + len + 12 >= MaxAllocSize - VARHDRSZ)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("entropy state too large to pass to another process"),
						 errhint("Disable parallel aggregation for this query (max_parallel_workers_per_gather = 0).")));
			pq_sendint64(&buf, c);
			pq_sendint32(&buf, len);
			pq_sendbytes(&buf, key, len);
		}
	}
	agg->flat = buf.data;
	agg->flatlen = buf.len;
}

/* Serialize a state (transition type internal) for another process. */
Datum
entropy_serialize(PG_FUNCTION_ARGS)
{
	return agg_serialize(fcinfo, &entropy_kind);
}

/* Deserialize a state, validating every length and count. */
Datum
entropy_deserialize(PG_FUNCTION_ARGS)
{
	return agg_deserialize(fcinfo, &entropy_kind);
}

/*
 * Entropy in bits of a state; *ndistinct receives the number of values
 * with a positive count.  Returns false when nothing was counted.
 */
static bool
entropy_compute(EntropyState *st, double *bits, int64 *ndistinct)
{
	int32		n;
	int64	   *counts;
	int32		d = 0;
	long double sum = 0.0L;
	long double comp = 0.0L;
	long double total;
	long double h;
	uint32		pos = 0;
	const char *key;
	uint32		len;
	int64		c;

	entropy_flush(st);
	n = entropy_nvalues(st);
	if (st->total <= 0)
		return false;
	total = (long double) st->total;
	elog(DEBUG1, "entropy: %d distinct values held in %zu bytes",
		 n, entropy_memory(st));
	counts = palloc(sizeof(int64) * Max(n, 1));
	while (entropy_next(st, &pos, &key, &len, &c))
		if (c > 0 && d < n)
			counts[d++] = c;
	qsort(counts, d, sizeof(int64), kt_int64_cmp);
	for (int32 i = 0; i < d;)
	{
		int32		j = i;
		long double c = (long double) counts[i];
		long double term;
		long double t;

		while (j < d && counts[j] == counts[i])
			j++;
		term = (long double) (j - i) * c * log2l(c);
		/* Neumaier: keep the low-order bits lost by each addition */
		t = sum + term;
		if (fabsl(sum) >= fabsl(term))
			comp += (sum - t) + term;
		else
			comp += (term - t) + sum;
		sum = t;
		i = j;
	}
	pfree(counts);
	h = log2l(total) - (sum + comp) / total;
	if (d <= 1 || h < 0.0L)
		h = 0.0L;
	*bits = (double) h;
	*ndistinct = d;
	return true;
}

/*
 * The entropy in bits of a final function's argument 0 and its number of
 * values with a positive count; false when it is NULL or counted nothing.
 * A flat argument is read into a temporary state, deleted afterwards.
 */
static bool
entropy_final_compute(FunctionCallInfo fcinfo, double *bits, int64 *ndistinct)
{
	EntropyState *st;
	bool		temporary;
	bool		ok;

	if (PG_ARGISNULL(0))
		return false;
	st = (EntropyState *) agg_read_state(PG_GETARG_DATUM(0), &entropy_kind,
										 &temporary);
	ok = entropy_compute(st, bits, ndistinct);
	agg_release(&st->agg, temporary);
	return ok;
}

/* entropy final function: Shannon entropy in bits, NULL for no input. */
Datum
entropy_final(PG_FUNCTION_ARGS)
{
	double		h;
	int64		d;

	if (!entropy_final_compute(fcinfo, &h, &d))
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(h);
}

/* entropy_normalized final function: H / log2(distinct values), in [0, 1]. */
Datum
entropy_normalized_final(PG_FUNCTION_ARGS)
{
	double		h;
	int64		d;

	if (!entropy_final_compute(fcinfo, &h, &d))
		PG_RETURN_NULL();
	if (d <= 1)
		PG_RETURN_FLOAT8(0.0);
	h = (double) ((long double) h / log2l((long double) d));
	if (h > 1.0)
		h = 1.0;
	PG_RETURN_FLOAT8(h);
}

/* Raise the error for invalid text input of entropy_state. */
#define STATE_INPUT_ERROR(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			 errmsg("invalid input syntax for type entropy_state"), \
			 errdetail(__VA_ARGS__)))

/*
 * Text input of netflow.entropy_state: the JSON document of
 * entropy_state_out.  Values are read by their type's input function; the
 * state is then validated like any serialized state.
 */
Datum
entropy_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Jsonb	   *jb;
	JsonbValue *v;
	JsonbContainer *vc;
	int64		version;
	Oid			typoid;
	AggValueIO	io;
	int32		n;
	StringInfoData buf;
	AggExpanded *check;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	agg_json_check_object(&jb->root, 4, "entropy_state",
						  "a JSON object with exactly the members version, type, total and values");
	version = agg_json_int64(&jb->root, "version", "entropy_state");
	if (version != ENTROPY_FORMAT_VERSION)
		STATE_INPUT_ERROR("Version " INT64_FORMAT " is not supported (expected %d).",
						  version, ENTROPY_FORMAT_VERSION);
	v = agg_json_member(&jb->root, "type", "entropy_state");
	if (v->type != jbvString)
		STATE_INPUT_ERROR("Member \"type\" must be a type name.");
	typoid = agg_parse_type_name(v->val.string.val, v->val.string.len,
								 "entropy_state");
	agg_value_io_init(&io, typoid);
	v = agg_json_member(&jb->root, "values", "entropy_state");
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		STATE_INPUT_ERROR("Member \"values\" must be an array.");
	vc = v->val.binary.data;
	n = JsonContainerSize(vc);

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	pq_sendbyte(&buf, ENTROPY_FORMAT_VERSION);
	pq_sendint32(&buf, typoid);
	pq_sendint64(&buf, agg_json_int64(&jb->root, "total", "entropy_state"));
	pq_sendint32(&buf, n);
	for (int32 i = 0; i < n; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(vc, i);
		JsonbValue *val;
		char		kbuf[8];
		const char *key;
		uint32		len;

		if (el == NULL || el->type != jbvBinary)
			STATE_INPUT_ERROR("Value %d must be an object.", i + 1);
		agg_json_check_object(el->val.binary.data, 2, "entropy_state",
							  "values that are objects with exactly the members value and count");
		val = agg_json_member(el->val.binary.data, "value", "entropy_state");
		if (val->type != jbvString)
			STATE_INPUT_ERROR("Value %d must have a string member \"value\".", i + 1);
		key = agg_value_from_text(&io, pnstrdup(val->val.string.val, val->val.string.len),
								  kbuf, &len);
		pq_sendint64(&buf, agg_json_int64(el->val.binary.data, "count", "entropy_state"));
		pq_sendint32(&buf, len);
		pq_sendbytes(&buf, key, len);
	}
	/* validate: distinct values, non-negative counts adding up to total */
	check = entropy_state_from_bytes(buf.data + VARHDRSZ, buf.len - VARHDRSZ,
									 ERRCODE_INVALID_TEXT_REPRESENTATION,
									 CurrentMemoryContext);
	DeleteExpandedObject(EOHPGetRWDatum(&check->hdr));
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_BYTEA_P((bytea *) buf.data);
}

/* Text output of netflow.entropy_state: JSON, values in the state's order. */
Datum
entropy_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	ByteReader	r;
	StringInfoData buf;
	AggValueIO	io;
	Oid			typoid;
	int64		total;
	int32		n;

	br_init(&r, VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), ERRCODE_DATA_CORRUPTED,
			"entropy aggregate state");
	if (br_u8(&r) != ENTROPY_FORMAT_VERSION)
		STATE_ERROR(ERRCODE_DATA_CORRUPTED, "Format version is not supported.");
	typoid = (Oid) br_i32(&r);
	if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(typoid)))
		STATE_ERROR(ERRCODE_DATA_CORRUPTED, "Value type %u does not exist.", typoid);
	total = br_i64(&r);
	n = br_i32(&r);
	if (n < 0)
		STATE_ERROR(ERRCODE_DATA_CORRUPTED, "Value count %d is negative.", n);
	agg_value_io_init(&io, typoid);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"version\": %d, \"type\": ", ENTROPY_FORMAT_VERSION);
	escape_json(&buf, format_type_be_qualified(typoid));
	appendStringInfo(&buf, ", \"total\": " INT64_FORMAT ", \"values\": [", total);
	for (int32 i = 0; i < n; i++)
	{
		int64		c = br_i64(&r);
		int32		len = br_i32(&r);
		const char *key;
		char	   *text;

		if (len < 0)
			STATE_ERROR(ERRCODE_DATA_CORRUPTED, "Value %d has negative length %d.", i + 1, len);
		key = br_bytes(&r, len);
		check_key_bytes(key, len, io.typlen, io.typbyval, ERRCODE_DATA_CORRUPTED);
		text = agg_value_to_text(&io, key, len);
		agg_json_item(&buf, i, "value", text, "count", c, NULL, 0);
		pfree(text);
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

/* Binary input of netflow.entropy_state: the text form, validated alike. */
Datum
entropy_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	return DirectFunctionCall1(entropy_state_in,
							   CStringGetDatum(agg_text_recv(buf)));
}

/* Binary output of netflow.entropy_state: the text form. */
Datum
entropy_state_send(PG_FUNCTION_ARGS)
{
	return agg_text_send(DatumGetCString(DirectFunctionCall1(entropy_state_out,
															 PG_GETARG_DATUM(0))));
}
