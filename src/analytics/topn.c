/*-------------------------------------------------------------------------
 *
 * topn.c
 *	  The netflow.topn and netflow.topn_union aggregates: weighted
 *	  heavy-hitter summaries with a guaranteed error bound, mergeable across
 *	  parallel workers and across stored summaries.
 *
 * Every key the state holds has a reported weight and error such that,
 * true being the key's exact weight in the input,
 *	  weight - error <= true <= weight
 * and every key it does not hold has true <= bound (bound = 0: exact).
 *
 * Rows are counted with the Misra-Gries algorithm in its weighted, batched
 * form (as in Apache DataSketches' frequent-items sketch), which keeps the
 * Space-Saving guarantee at a fraction of its cost per row.  While
 * aggregating the state holds up to 2 * capacity keys.  A row of a held key
 * only adds its weight: no heap, no reordering.  A row of a new key takes a
 * free entry; when none is left, the lower half of the counters is purged
 * at once: with t the median count, keys counted at most t are dropped and t
 * is taken from every other counter ('offset' records the sum of all such
 * decrements, and a held key's reported weight is its counter + offset).
 * A purge costs O(entries) and frees at least half of them, so a row costs
 * O(1) amortized.  Each purge takes t from at least capacity + 1 counters,
 * whose sum never exceeds the total weight N, so offset <= N / (capacity +
 * 1); a summary keeps the capacity heaviest keys, and the bound of a single
 * pass is at most N / (capacity + 1), as for Space-Saving with capacity
 * counters.
 *
 * Two states merge by adding weights and errors, using the other side's
 * bound for keys it does not hold (Agarwal et al., "Mergeable summaries",
 * 2012); a union bound is the sum of the two bounds, and dropping keys to
 * respect the capacity raises it to the heaviest dropped weight.
 *
 * Keys of topn() are the raw key bytes of the argument type (cheap to hash;
 * no output function per row); they become text only in the final function.
 * Keys of topn_union() are item text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "key_table.h"
#include "topn_summary.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(topn_trans);
PG_FUNCTION_INFO_V1(topn_union_trans);
PG_FUNCTION_INFO_V1(topn_combine);
PG_FUNCTION_INFO_V1(topn_serialize);
PG_FUNCTION_INFO_V1(topn_deserialize);
PG_FUNCTION_INFO_V1(topn_final);

/*
 * An entry's reported weight is kt count + offset and its reported error is
 * kt error + offset (the error capped at the weight).
 */
typedef struct TopnState
{
	KeyTable	kt;
	int32		capacity;		/* keys a summary keeps */
	int32		workmax;		/* keys held while aggregating */
	int64		offset;			/* sum of the Misra-Gries decrements */
	int64		bound;			/* no key not held weighs more (>= offset) */
	int64		total;			/* exact sum of counted weights */
	int64	   *scratch;		/* workmax counts, for the median */
	bool		textkeys;		/* keys are item text (topn_union) */
	Oid			typoid;			/* raw keys: their type */
	int16		typlen;
	bool		typbyval;
} TopnState;

/* Raise the error for a counter that would overflow bigint. */
static void
topn_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("topn weight out of range"),
			 errdetail("A sum of weights exceeds the bigint range.")));
}

/* Add b to *a, raising an ERROR on overflow. */
static inline void
add_checked(int64 *a, int64 b)
{
	if (unlikely(pg_add_s64_overflow(*a, b, a)))
		topn_overflow();
}

/* Check a capacity argument. */
static void
check_capacity(int64 capacity)
{
	if (capacity < 1 || capacity > TOPN_MAX_CAPACITY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topn capacity must be between 1 and %d", TOPN_MAX_CAPACITY),
				 errdetail("Capacity " INT64_FORMAT " was given.", capacity)));
}

/*
 * Keys held while aggregating: capacity plus room for up to 5 * capacity
 * more (at most 50,000 more, and at least capacity more).  A purge leaves
 * at most capacity keys, so the room is what a purge frees: more room
 * means rarer purges, and a purge costs O(workmax), so the cost per row
 * falls as the room grows, until the state no longer fits in the CPU
 * caches.  Measured on the analytics benchmark, a room of 5 * capacity was
 * the fastest of 1, 2, 3, 5, 7 and 9 times capacity; large capacities get
 * 1x so that memory stays about 2 * capacity entries.
 */
static int32
topn_workmax(int32 capacity)
{
	int32		room = Max(capacity, Min(5 * capacity, 50000));

	return capacity + room;
}

/* Set the capacity and the number of keys held while aggregating. */
static void
topn_set_capacity(TopnState *st, int32 capacity)
{
	st->capacity = capacity;
	st->workmax = topn_workmax(capacity);
}

/* Make an empty state in memory context cxt. */
static TopnState *
topn_state_new(MemoryContext cxt, int32 capacity, bool textkeys, Oid typoid)
{
	TopnState  *st = MemoryContextAllocZero(cxt, sizeof(TopnState));

	topn_set_capacity(st, capacity);
	st->textkeys = textkeys;
	st->typoid = typoid;
	if (textkeys)
	{
		st->typlen = -1;
		st->typbyval = false;
	}
	else
		get_typlenbyval(typoid, &st->typlen, &st->typbyval);
	/*
	 * Start small and let the table grow by doubling: the rollups keep one
	 * state per minute and dimension, most of which see few keys, and a
	 * 1024-entry start made their setup cost more than their rows.
	 */
	kt_init(&st->kt, cxt, Min(st->workmax, 64), Min(st->workmax, 64));
	return st;
}

/*
 * Move the elements of a[lo .. hi-1] for which (a[i] < p), or (a[i] <= p)
 * when 'orequal', to the front of the range; returns the end of that front.
 * Branch-free (the comparison only moves an index), so the unpredictable
 * comparisons of a selection cost no mispredicted branches.
 */
static inline int32
partition_front(int64 *a, int32 lo, int32 hi, int64 p, bool orequal)
{
	int32		f = lo;

	for (int32 i = lo; i < hi; i++)
	{
		int64		v = a[i];

		a[i] = a[f];
		a[f] = v;
		f += orequal ? (v <= p) : (v < p);
	}
	return f;
}

/*
 * The k-th smallest (0-based) of a[0 .. n-1], n > k >= 0; reorders a.
 * Quickselect with a three-way split (many counts are equal) and pivots
 * from a fixed pseudo-random sequence: expected O(n) on any input.  Should
 * the pivots keep splitting badly (counts crafted against the fixed
 * sequence), the remaining range is sorted instead: O(n log n) at worst.
 */
static int64
select_kth(int64 *a, int32 n, int32 k)
{
	int32		lo = 0;
	int32		hi = n;
	uint64		rng = UINT64CONST(0x9e3779b97f4a7c15);
	int			rounds = 0;

	while (hi - lo > 1)
	{
		int64		p;
		int32		lt;
		int32		le;

		if (++rounds > 64)
		{
			qsort(a + lo, hi - lo, sizeof(int64), kt_int64_cmp);
			return a[k];
		}
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		p = a[lo + (int32) (rng % (uint64) (hi - lo))];
		/* a[lo .. lt-1] < p <= a[lt .. hi-1]; p is in the range, so lt < hi */
		lt = partition_front(a, lo, hi, p, false);
		if (k < lt)
		{
			hi = lt;
			continue;
		}
		/* a[lt .. le-1] = p < a[le .. hi-1]; le > lt */
		le = partition_front(a, lt, hi, p, true);
		if (k < le)
			return p;
		lo = le;
	}
	return a[lo];
}

/*
 * Misra-Gries decrement of many counters at once: with t the (capacity +
 * 1)-th largest counter, drop the keys counted at most t and take t from
 * the others.  At least capacity + 1 counters lose t (the proof of the
 * bound needs no more), at most capacity keys stay, and a dropped key
 * weighed at most t + offset, the new offset, which the bound covers.
 */
static void
topn_purge(TopnState *st)
{
	int32		n = st->kt.nentries;
	int64		t;

	Assert(n > st->capacity);
	if (st->scratch == NULL)
		st->scratch = MemoryContextAlloc(st->kt.cxt, sizeof(int64) * st->workmax);
	for (int32 i = 0; i < n; i++)
		st->scratch[i] = st->kt.entries[i].count;
	t = select_kth(st->scratch, n, n - st->capacity - 1);
	kt_purge(&st->kt, t);
	add_checked(&st->offset, t);
	st->bound = Max(st->bound, st->offset);
	/* a lower bound below 0 says nothing: cap each error at its weight */
	for (int32 i = 0; i < st->kt.nentries; i++)
	{
		KtEntry    *e = &st->kt.entries[i];

		if (e->error > e->count)
			e->error = e->count;
	}
}

/*
 * Count weight w for a key of the given hash (the total is counted by the
 * caller): the per-row step of topn().
 */
static inline void
topn_add(TopnState *st, const char *key, uint32 len, uint64 hash, int64 w)
{
	uint32		slot;
	int32		idx = kt_find(&st->kt, hash, key, len, &slot);
	KtEntry    *e;

	if (likely(idx >= 0))
	{
		add_checked(&st->kt.entries[idx].count, w);
		return;
	}
	if (unlikely(st->kt.nentries >= st->workmax))
	{
		/* the slot kt_find gave moves: find it again after the purge */
		topn_purge(st);
		(void) kt_find(&st->kt, hash, key, len, &slot);
	}
	idx = kt_insert_at(&st->kt, slot, hash, key, len);
	e = &st->kt.entries[idx];

	/*
	 * The key may have weighed up to 'bound' before this row: count it so
	 * (relative to offset), and say that much of its weight is uncertain.
	 */
	e->error = st->bound - st->offset;
	e->count = e->error;
	add_checked(&e->count, w);
}

/* Fold the offset into every entry, so that counts are reported weights. */
static void
topn_normalize(TopnState *st)
{
	if (st->offset == 0)
		return;
	for (int32 i = 0; i < st->kt.nentries; i++)
	{
		KtEntry    *e = &st->kt.entries[i];

		add_checked(&e->count, st->offset);
		add_checked(&e->error, st->offset);
	}
	st->offset = 0;
}

/* The state's entries as items with reported weights (keys point into it). */
static TopnItem *
topn_state_items(TopnState *st)
{
	int32		n;
	TopnItem   *items;

	n = st->kt.nentries;
	items = palloc(sizeof(TopnItem) * Max(n, 1));
	for (int32 i = 0; i < n; i++)
	{
		const KtEntry *e = &st->kt.entries[i];

		items[i].key = kt_key(e);
		items[i].len = e->len;
		items[i].weight = e->count;
		add_checked(&items[i].weight, st->offset);
		items[i].error = e->error;
		add_checked(&items[i].error, st->offset);
		if (items[i].error > items[i].weight)
			items[i].error = items[i].weight;
	}
	return items;
}

/*
 * Keep the 'capacity' heaviest of n items (reordering them: the kept ones
 * come first, in no particular order); returns how many are kept and raises
 * *bound to the heaviest weight left out.  The kept items are the first
 * 'capacity' in canonical order (weight descending, ties by key), found
 * without sorting them all: the weight w at canonical position 'capacity'
 * is selected in O(n), every heavier item is kept, and only the items
 * weighing exactly w are sorted by key to fill the rest.
 */
static int32
topn_keep_heaviest(TopnItem *items, int32 n, int32 capacity, int64 *bound)
{
	int64	   *w;
	int64		t;
	int32		kept = 0;
	int32		nties;
	TopnItem	tmp;

	/* all kept: topn_write puts them in canonical order by itself */
	if (n <= capacity)
		return n;
	w = palloc(sizeof(int64) * n);
	for (int32 i = 0; i < n; i++)
		w[i] = items[i].weight;
	/* ascending position n - capacity - 1 is canonical position capacity */
	t = select_kth(w, n, n - capacity - 1);
	pfree(w);
	/* heavier than t to the front, then the ties */
	for (int32 i = 0; i < n; i++)
		if (items[i].weight > t)
		{
			tmp = items[kept];
			items[kept++] = items[i];
			items[i] = tmp;
		}
	Assert(kept <= capacity);
	nties = kept;
	for (int32 i = kept; i < n; i++)
		if (items[i].weight == t)
		{
			tmp = items[nties];
			items[nties++] = items[i];
			items[i] = tmp;
		}
	Assert(nties > capacity);
	qsort(items + kept, nties - kept, sizeof(TopnItem), topn_item_key_cmp);
	*bound = Max(*bound, t);
	return capacity;
}

/*
 * Reduce a state to its 'capacity' heaviest keys (after a merge left more
 * than workmax); the bound covers the keys dropped.
 */
static void
topn_truncate(TopnState *st)
{
	KeyTable	old = st->kt;
	TopnItem   *items;
	int32		n;

	topn_normalize(st);
	items = topn_state_items(st);
	n = topn_keep_heaviest(items, st->kt.nentries, st->capacity, &st->bound);
	kt_init(&st->kt, old.cxt, Min(st->workmax, Max(n, 1024)),
			Min(st->workmax, Max(n, 1024)));
	for (int32 i = 0; i < n; i++)
	{
		int32		idx = kt_insert(&st->kt, kt_hash(items[i].key, items[i].len),
									items[i].key, items[i].len);

		st->kt.entries[idx].count = items[i].weight;
		st->kt.entries[idx].error = items[i].error;
	}
	kt_free(&old);
	pfree(items);
}

/*
 * Merge a summary (items with their bound, capacity and total) into a
 * state.  A key missing on one side gets that side's bound added to both
 * its weight and its error; the union's bound is the sum of the bounds.
 * A key given twice is a corrupt summary (ERROR): topn_union's input is
 * parsed without its own check of distinct keys, this one is cheaper.
 */
static void
topn_merge(TopnState *st, TopnItem *items, int32 n, int64 bound_t,
		   int32 cap_t, int64 total_t)
{
	int64		bound_s;
	int32		nold;
	bool	   *matched;

	topn_normalize(st);
	bound_s = st->bound;
	nold = st->kt.nentries;
	matched = palloc0(sizeof(bool) * Max(nold, 1));
	for (int32 i = 0; i < n; i++)
	{
		uint64		hash = kt_hash(items[i].key, items[i].len);
		uint32		slot;
		int32		idx = kt_find(&st->kt, hash, items[i].key, items[i].len,
								  &slot);
		KtEntry    *e;

		if (idx >= 0)
		{
			if (unlikely(idx >= nold || matched[idx]))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("invalid topn summary"),
						 errdetail("Item \"%s\" appears twice.",
								   st->textkeys ?
								   pnstrdup(items[i].key, items[i].len) :
								   "(binary)")));
			e = &st->kt.entries[idx];
			add_checked(&e->count, items[i].weight);
			add_checked(&e->error, items[i].error);
			matched[idx] = true;
		}
		else
		{
			idx = kt_insert_at(&st->kt, slot, hash, items[i].key, items[i].len);
			e = &st->kt.entries[idx];
			e->count = items[i].weight;
			add_checked(&e->count, bound_s);
			e->error = items[i].error;
			add_checked(&e->error, bound_s);
		}
	}
	for (int32 i = 0; i < nold; i++)
		if (!matched[i])
		{
			add_checked(&st->kt.entries[i].count, bound_t);
			add_checked(&st->kt.entries[i].error, bound_t);
		}
	pfree(matched);
	add_checked(&st->total, total_t);
	add_checked(&st->bound, bound_t);
	topn_set_capacity(st, Max(st->capacity, cap_t));
	if (st->kt.nentries > st->workmax)
		topn_truncate(st);
}

/* Memory context of the running aggregate, or an ERROR outside one. */
static MemoryContext
topn_aggcontext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("topn aggregate support function called outside an aggregate")));
	return aggcxt;
}

/* topn(key, weight, capacity) transition: count one weighted row. */
Datum
topn_trans(PG_FUNCTION_ARGS)
{
	TopnState  *st = PG_ARGISNULL(0) ? NULL : (TopnState *) PG_GETARG_POINTER(0);
	char		buf[8];
	const char *key;
	uint32		len;
	int64		w;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("topn capacity must not be null")));
	/* a state only comes from an aggregate: check the context once */
	if (st == NULL)
	{
		MemoryContext aggcxt = topn_aggcontext(fcinfo);
		Oid			typoid = get_fn_expr_argtype(fcinfo->flinfo, 1);

		if (!OidIsValid(typoid))
			ereport(ERROR,
					(errcode(ERRCODE_INDETERMINATE_DATATYPE),
					 errmsg("could not determine the type of the topn key")));
		if (typoid == RECORDOID)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("anonymous record values are not supported as topn keys"),
					 errhint("Use a text key such as host(a) || ' ' || host(b), or a named composite type.")));
		check_capacity(PG_GETARG_INT32(3));
		st = topn_state_new(aggcxt, PG_GETARG_INT32(3), false, typoid);
	}
	else if (unlikely(PG_GETARG_INT32(3) != st->capacity))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topn capacity must be the same for all rows"),
				 errdetail("Capacity %d follows capacity %d.",
						   PG_GETARG_INT32(3), st->capacity)));

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		PG_RETURN_POINTER(st);
	w = PG_GETARG_INT64(2);
	if (unlikely(w < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topn weight must not be negative"),
				 errdetail("Weight " INT64_FORMAT " was given.", w)));
	key = key_bytes_of_datum(PG_GETARG_DATUM(1), st->typlen, st->typbyval,
							 buf, &len);
	add_checked(&st->total, w);
	topn_add(st, key, len, kt_hash(key, len), w);
	PG_RETURN_POINTER(st);
}

/* topn_union(summary) transition: merge one stored summary. */
Datum
topn_union_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = topn_aggcontext(fcinfo);
	TopnState  *st = PG_ARGISNULL(0) ? NULL : (TopnState *) PG_GETARG_POINTER(0);
	TopnParsed	p;

	if (PG_ARGISNULL(1))
	{
		/* no state yet: stay NULL, never a NULL pointer passed as a value */
		if (st == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(st);
	}
	topn_parse_summary_for_merge(PG_GETARG_DATUM(1), &p);
	if (st == NULL)
		st = topn_state_new(aggcxt, p.capacity, true, InvalidOid);
	topn_merge(st, p.items, p.nitems, p.bound, p.capacity, p.total);
	pfree(p.items);
	PG_RETURN_POINTER(st);
}

/* Combine two partial states (parallel or partition-wise aggregation). */
Datum
topn_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = topn_aggcontext(fcinfo);
	TopnState  *s1 = PG_ARGISNULL(0) ? NULL : (TopnState *) PG_GETARG_POINTER(0);
	TopnState  *s2 = PG_ARGISNULL(1) ? NULL : (TopnState *) PG_GETARG_POINTER(1);
	TopnItem   *items;

	if (s2 == NULL)
	{
		if (s1 == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s1);
	}
	if (s1 == NULL)
		s1 = topn_state_new(aggcxt, s2->capacity, s2->textkeys, s2->typoid);
	if (s1->textkeys != s2->textkeys || s1->typoid != s2->typoid)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot combine topn states of different key types")));
	items = topn_state_items(s2);
	topn_merge(s1, items, s2->kt.nentries, s2->bound, s2->capacity,
			   s2->total);
	pfree(items);
	PG_RETURN_POINTER(s1);
}

/* Serialize a state for transfer between processes. */
Datum
topn_serialize(PG_FUNCTION_ARGS)
{
	TopnState  *st = (TopnState *) PG_GETARG_POINTER(0);
	TopnItem   *items = topn_state_items(st);
	int64		bound = st->bound;
	int32		n = topn_keep_heaviest(items, st->kt.nentries, st->capacity,
									   &bound);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	topn_write(&buf, st->textkeys ? TOPN_KIND_TEXT : TOPN_KIND_RAW,
			   st->capacity, st->total, bound, st->typoid, items, n);
	SET_VARSIZE(buf.data, buf.len);
	PG_RETURN_BYTEA_P((bytea *) buf.data);
}

/* Deserialize a state, validating every length and invariant. */
Datum
topn_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	TopnParsed	p;
	TopnState  *st;

	topn_aggcontext(fcinfo);
	topn_parse(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), ERRCODE_DATA_CORRUPTED, &p);
	st = topn_state_new(CurrentMemoryContext, p.capacity,
						p.kind == TOPN_KIND_TEXT, p.typoid);
	topn_merge(st, p.items, p.nitems, p.bound, p.capacity, p.total);
	PG_RETURN_POINTER(st);
}

/*
 * Whether distinct keys (key bytes) of a type always have distinct text
 * forms: integers, text, and inet (whose output writes the family's whole
 * address and the netmask, omitted only when it is the full length).
 */
static bool
topn_text_is_injective(Oid typoid)
{
	switch (typoid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case TEXTOID:
		case INETOID:
			return true;
		default:
			return false;
	}
}

/*
 * Build the summary value (text keys, the capacity heaviest) of a state,
 * leaving the state as it is.
 */
static bytea *
topn_state_summary(TopnState *st)
{
	TopnItem   *items = topn_state_items(st);
	int32		n = st->kt.nentries;
	int64		bound = st->bound;
	StringInfoData buf;

	if (!st->textkeys && n > 0)
	{
		Oid			outfunc;
		bool		isvarlena;
		FmgrInfo	flinfo;
		int32		m = 0;

		getTypeOutputInfo(st->typoid, &outfunc, &isvarlena);
		fmgr_info(outfunc, &flinfo);
		for (int32 i = 0; i < n; i++)
		{
			Datum		d = datum_of_key_bytes(items[i].key, items[i].len,
											   st->typlen, st->typbyval);
			char	   *s = OutputFunctionCall(&flinfo, d);

			items[i].key = s;
			items[i].len = strlen(s);
		}

		/*
		 * Distinct values can share a text form (e.g. float NaNs); such
		 * items are one item of the summary: add counts and errors.  Not
		 * for the types whose text form is one per key (the rollups' keys:
		 * a sort per summary was a large part of materializing a minute).
		 */
		if (!topn_text_is_injective(st->typoid))
		{
			qsort(items, n, sizeof(TopnItem), topn_item_key_cmp);
			for (int32 i = 0; i < n; i++)
			{
				if (m > 0 && topn_item_key_cmp(&items[m - 1], &items[i]) == 0)
				{
					add_checked(&items[m - 1].weight, items[i].weight);
					add_checked(&items[m - 1].error, items[i].error);
				}
				else
					items[m++] = items[i];
			}
			n = m;
		}
	}
	n = topn_keep_heaviest(items, n, st->capacity, &bound);
	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	topn_write(&buf, TOPN_KIND_TEXT, st->capacity, st->total, bound,
			   InvalidOid, items, n);
	SET_VARSIZE(buf.data, buf.len);
	return (bytea *) buf.data;
}

/* Final function of topn and topn_union: the summary value. */
Datum
topn_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BYTEA_P(topn_state_summary((TopnState *) PG_GETARG_POINTER(0)));
}
