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
 * All these sums saturate at PG_INT64_MAX (add_sat): a value there means
 * "at least that", and only the upper bounds lose their meaning; no input
 * makes the aggregates raise an error.
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
 * The state is an expanded object (agg_state.h) in both of its SQL guises:
 * the polymorphic topn(anyelement, ...) keeps STYPE internal (with the
 * serialize functions), the topn overloads for the common key types and
 * topn_union have STYPE netflow.topn_state, whose flat form is the
 * serialized state (topn_summary.h, kind 0 or 1) and whose text form is
 * JSON with each key in its type's text form.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "agg_state.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "fmgr.h"
#include "key_table.h"
#include "topn_summary.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

PG_FUNCTION_INFO_V1(topn_trans);
PG_FUNCTION_INFO_V1(topn_union_trans);
PG_FUNCTION_INFO_V1(topn_combine);
PG_FUNCTION_INFO_V1(topn_serialize);
PG_FUNCTION_INFO_V1(topn_deserialize);
PG_FUNCTION_INFO_V1(topn_final);
PG_FUNCTION_INFO_V1(topn_state_in);
PG_FUNCTION_INFO_V1(topn_state_out);
PG_FUNCTION_INFO_V1(topn_state_recv);
PG_FUNCTION_INFO_V1(topn_state_send);

/*
 * An entry's reported weight is kt count + offset and its reported error is
 * kt error + offset (the error capped at the weight).
 */
typedef struct TopnState
{
	AggExpanded agg;			/* first: the state is an expanded object */
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

static void topn_build_flat(AggExpanded *agg);
static AggExpanded *topn_state_from_bytes(const char *data, Size len, int code,
										  MemoryContext parent);

static const AggKind topn_kind = {
	"topn",
	topn_build_flat,
	topn_state_from_bytes
};

/*
 * Add b >= 0 to *a >= 0, saturating at PG_INT64_MAX: a counter that
 * reaches the bigint maximum stays there and means "at least that much"
 * (docs/analytics.md, "Weights beyond bigint").  Every weight, error,
 * offset, bound and total of a state is a sum of non-negative weights, so
 * a saturated value is the minimum of the exact sum and PG_INT64_MAX,
 * whatever the order of the additions; no input makes the aggregates fail.
 */
static inline void
add_sat(int64 *a, int64 b)
{
	Assert(*a >= 0 && b >= 0);
	if (unlikely(pg_add_s64_overflow(*a, b, a)))
		*a = PG_INT64_MAX;
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

/*
 * Set the capacity and the number of keys held while aggregating, which is
 * also the limit the key table grows to.
 */
static void
topn_set_capacity(TopnState *st, int32 capacity)
{
	st->capacity = capacity;
	st->workmax = topn_workmax(capacity);
	st->kt.limit = st->workmax;
}

/*
 * Make an empty state: an expanded object with a memory context of its own,
 * child of 'parent' (the aggregate context, so that nodeAgg adopts it).
 */
static TopnState *
topn_state_new(MemoryContext parent, int32 capacity, bool textkeys, Oid typoid)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "topn state",
											  ALLOCSET_START_SMALL_SIZES);
	TopnState  *st = MemoryContextAllocZero(cxt, sizeof(TopnState));

	agg_expanded_init(&st->agg, cxt, &topn_kind);

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
	 * 1024-entry start made their setup cost more than their rows.  Past
	 * KT_JUMP_ENTRIES it grows fourfold, up to workmax (the limit).
	 */
	kt_init(&st->kt, cxt, Min(st->workmax, 64), Min(st->workmax, 64),
			st->workmax);
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
	add_sat(&st->offset, t);
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
		add_sat(&st->kt.entries[idx].count, w);
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
	add_sat(&e->count, w);
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

		add_sat(&e->count, st->offset);
		add_sat(&e->error, st->offset);
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
		add_sat(&items[i].weight, st->offset);
		items[i].error = e->error;
		add_sat(&items[i].error, st->offset);
		if (items[i].error > items[i].weight)
			items[i].error = items[i].weight;
	}
	return items;
}

/*
 * Of n > capacity items, with w the weight at canonical position 'capacity'
 * (weight descending; selected in O(n)): move the items heavier than w to
 * the front, then those weighing exactly w; returns the count of both, and
 * sets *heavier to the first count and *w.  Every item left behind is
 * lighter than w, out of the 'capacity' heaviest whatever the ties.
 */
static int32
topn_front_heaviest(TopnItem *items, int32 n, int32 capacity, int32 *heavier,
					int64 *w)
{
	int64	   *ws = palloc(sizeof(int64) * n);
	int64		t;
	int32		kept = 0;
	int32		nties;
	TopnItem	tmp;

	Assert(n > capacity);
	for (int32 i = 0; i < n; i++)
		ws[i] = items[i].weight;
	/* ascending position n - capacity - 1 is canonical position capacity */
	t = select_kth(ws, n, n - capacity - 1);
	pfree(ws);
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
	*heavier = kept;
	*w = t;
	return nties;
}

/*
 * Keep the 'capacity' heaviest of n items (reordering them: the kept ones
 * come first, in no particular order); returns how many are kept and raises
 * *bound to the heaviest weight left out.  The kept items are the first
 * 'capacity' in canonical order (weight descending, ties by key), found
 * without sorting them all: the items heavier than the weight w at
 * canonical position 'capacity' are kept, and only the items weighing
 * exactly w are sorted by key to fill the rest.
 */
static int32
topn_keep_heaviest(TopnItem *items, int32 n, int32 capacity, int64 *bound)
{
	int32		kept;
	int32		nties;
	int64		t;

	/* all kept: topn_write puts them in canonical order by itself */
	if (n <= capacity)
		return n;
	nties = topn_front_heaviest(items, n, capacity, &kept, &t);
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
			Min(st->workmax, Max(n, 1024)), st->workmax);
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
			add_sat(&e->count, items[i].weight);
			add_sat(&e->error, items[i].error);
			matched[idx] = true;
		}
		else
		{
			idx = kt_insert_at(&st->kt, slot, hash, items[i].key, items[i].len);
			e = &st->kt.entries[idx];
			e->count = items[i].weight;
			add_sat(&e->count, bound_s);
			e->error = items[i].error;
			add_sat(&e->error, bound_s);
		}
	}
	for (int32 i = 0; i < nold; i++)
		if (!matched[i])
		{
			add_sat(&st->kt.entries[i].count, bound_t);
			add_sat(&st->kt.entries[i].error, bound_t);
		}
	pfree(matched);
	add_sat(&st->total, total_t);
	add_sat(&st->bound, bound_t);
	topn_set_capacity(st, Max(st->capacity, cap_t));
	if (st->kt.nentries > st->workmax)
		topn_truncate(st);
}

/* Memory context of the running aggregate, or an ERROR outside one. */
static inline MemoryContext
topn_aggcontext(FunctionCallInfo fcinfo)
{
	return agg_context(fcinfo, &topn_kind);
}

/*
 * A new state (child of 'parent') holding a serialized state given as
 * bytes, validated (errcode 'code' on any defect).
 */
static AggExpanded *
topn_state_from_bytes(const char *data, Size len, int code,
					  MemoryContext parent)
{
	TopnParsed	p;
	TopnState  *st;

	topn_parse(data, len, code, &p);
	st = topn_state_new(parent, p.capacity, p.kind == TOPN_KIND_TEXT,
						p.typoid);
	topn_merge(st, p.items, p.nitems, p.bound, p.capacity, p.total);
	pfree(p.items);
	return &st->agg;
}

/* The writable state of a transition or combine function's argument 0. */
static inline TopnState *
topn_arg_state(FunctionCallInfo fcinfo)
{
	return (TopnState *) agg_arg_state(fcinfo, &topn_kind);
}

/*
 * Build the flat form of a state (the kind's build_flat: agg_build_flat
 * calls it once and caches the result): the capacity heaviest keys, in the
 * serialized format of topn_summary.h, as topn_serialize always sent it.
 */
static void
topn_build_flat(AggExpanded *agg)
{
	TopnState  *st = (TopnState *) agg;
	TopnItem   *items;
	int64		bound;
	int32		n;
	StringInfoData buf;

	items = topn_state_items(st);
	bound = st->bound;
	n = topn_keep_heaviest(items, st->kt.nentries, st->capacity, &bound);
	agg_flat_buf_init(agg, &buf);
	topn_write(&buf, st->textkeys ? TOPN_KIND_TEXT : TOPN_KIND_RAW,
			   st->capacity, st->total, bound, st->typoid, items, n);
	pfree(items);
	agg->flat = buf.data;
	agg->flatlen = buf.len;
}

/*
 * topn(key, weight, capacity) transition: count one weighted row.  Serves
 * both the internal and the netflow.topn_state transition type.
 */
Datum
topn_trans(PG_FUNCTION_ARGS)
{
	TopnState  *st = topn_arg_state(fcinfo);
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
		Oid			typoid = agg_value_type(fcinfo, 1, "topn key");

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
		PG_RETURN_DATUM(EOHPGetRWDatum(&st->agg.hdr));
	w = PG_GETARG_INT64(2);
	if (unlikely(w < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topn weight must not be negative"),
				 errdetail("Weight " INT64_FORMAT " was given.", w)));
	key = key_bytes_of_datum(PG_GETARG_DATUM(1), st->typlen, st->typbyval,
							 buf, &len);
	add_sat(&st->total, w);
	topn_add(st, key, len, kt_hash(key, len), w);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->agg.hdr));
}

/* topn_union(summary) transition: merge one stored summary. */
Datum
topn_union_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = topn_aggcontext(fcinfo);
	TopnState  *st;
	TopnParsed	p;

	if (PG_ARGISNULL(1))
	{
		/* no state yet: stay NULL, never a NULL pointer passed as a value */
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	st = topn_arg_state(fcinfo);
	topn_parse_summary_for_merge(PG_GETARG_DATUM(1), &p);
	if (st == NULL)
		st = topn_state_new(aggcxt, p.capacity, true, InvalidOid);
	else if (!st->textkeys)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("cannot merge a summary into a topn state of raw keys")));
	topn_merge(st, p.items, p.nitems, p.bound, p.capacity, p.total);
	pfree(p.items);
	PG_RETURN_DATUM(EOHPGetRWDatum(&st->agg.hdr));
}

/*
 * Combine two partial states (parallel, partition-wise or Citus
 * aggregation).  The second may be flat (from another process or node).
 */
Datum
topn_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = topn_aggcontext(fcinfo);
	TopnState  *s1;
	TopnState  *s2;
	bool		s2_temporary;
	TopnItem   *items;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	s2 = (TopnState *) agg_read_state(PG_GETARG_DATUM(1), &topn_kind,
									  &s2_temporary);
	s1 = topn_arg_state(fcinfo);
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
	agg_release(&s2->agg, s2_temporary);
	PG_RETURN_DATUM(EOHPGetRWDatum(&s1->agg.hdr));
}

/* Serialize a state (transition type internal) for another process. */
Datum
topn_serialize(PG_FUNCTION_ARGS)
{
	return agg_serialize(fcinfo, &topn_kind);
}

/* Deserialize a state, validating every length and invariant. */
Datum
topn_deserialize(PG_FUNCTION_ARGS)
{
	return agg_deserialize(fcinfo, &topn_kind);
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

		/*
		 * A type whose text form is one per key: the items lighter than the
		 * one at position 'capacity' are left out whatever their text (the
		 * ties at its weight are ordered by text below), so only the others
		 * get one; the state holds up to workmax keys, several times the
		 * capacity.
		 */
		if (topn_text_is_injective(st->typoid) && n > st->capacity)
		{
			int32		heavier;
			int64		w;

			n = topn_front_heaviest(items, n, st->capacity, &heavier, &w);
		}
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
					add_sat(&items[m - 1].weight, items[i].weight);
					add_sat(&items[m - 1].error, items[i].error);
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
	TopnState  *st;
	bool		temporary;
	bytea	   *result;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (TopnState *) agg_read_state(PG_GETARG_DATUM(0), &topn_kind,
									  &temporary);
	result = topn_state_summary(st);
	agg_release(&st->agg, temporary);
	PG_RETURN_BYTEA_P(result);
}

/* Raise the error for invalid text input of topn_state. */
#define STATE_INPUT_ERROR(...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			 errmsg("invalid input syntax for type topn_state"), \
			 errdetail(__VA_ARGS__)))

/*
 * Text input of netflow.topn_state: the JSON document of topn_state_out.
 * Keys of a typed state are read by their type's input function; the
 * state is then validated like any serialized state.
 */
Datum
topn_state_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Jsonb	   *jb;
	JsonbValue *v;
	JsonbContainer *ic;
	int64		version;
	int64		capacity;
	Oid			typoid = InvalidOid;
	AggValueIO	io;
	int32		n;
	TopnItem   *arr;
	StringInfoData buf;
	bytea	   *result;
	TopnParsed	p;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	agg_json_check_object(&jb->root, 6, "topn_state",
						  "a JSON object with exactly the members version, type, capacity, total, bound and items");
	version = agg_json_int64(&jb->root, "version", "topn_state");
	if (version != TOPN_FORMAT_VERSION)
		STATE_INPUT_ERROR("Version " INT64_FORMAT " is not supported (expected %d).",
						  version, TOPN_FORMAT_VERSION);
	capacity = agg_json_int64(&jb->root, "capacity", "topn_state");
	if (capacity < 1 || capacity > TOPN_MAX_CAPACITY)
		STATE_INPUT_ERROR("Capacity " INT64_FORMAT " is outside 1..%d.",
						  capacity, TOPN_MAX_CAPACITY);
	v = agg_json_member(&jb->root, "type", "topn_state");
	if (v->type == jbvString)
	{
		typoid = agg_parse_type_name(v->val.string.val, v->val.string.len,
									 "topn_state");
		agg_value_io_init(&io, typoid);
	}
	else if (v->type != jbvNull)
		STATE_INPUT_ERROR("Member \"type\" must be a type name or null.");
	v = agg_json_member(&jb->root, "items", "topn_state");
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		STATE_INPUT_ERROR("Member \"items\" must be an array.");
	ic = v->val.binary.data;
	n = JsonContainerSize(ic);
	if (n > capacity)
		STATE_INPUT_ERROR("%d items exceed the capacity " INT64_FORMAT ".", n, capacity);
	arr = palloc(sizeof(TopnItem) * Max(n, 1));
	for (int32 i = 0; i < n; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(ic, i);
		JsonbValue *key;

		if (el == NULL || el->type != jbvBinary)
			STATE_INPUT_ERROR("Item %d must be an object.", i + 1);
		agg_json_check_object(el->val.binary.data, 3, "topn_state",
							  "items that are objects with exactly the members key, weight and error");
		key = agg_json_member(el->val.binary.data, "key", "topn_state");
		if (key->type != jbvString)
			STATE_INPUT_ERROR("Item %d must have a string member \"key\".", i + 1);
		if (OidIsValid(typoid))
		{
			char		kbuf[8];
			char	   *text = pnstrdup(key->val.string.val, key->val.string.len);
			const char *k = agg_value_from_text(&io, text, kbuf, &arr[i].len);
			char	   *copy = palloc(Max(arr[i].len, 1));

			memcpy(copy, k, arr[i].len);
			arr[i].key = copy;
		}
		else
		{
			arr[i].key = key->val.string.val;
			arr[i].len = key->val.string.len;
		}
		arr[i].weight = agg_json_int64(el->val.binary.data, "weight", "topn_state");
		arr[i].error = agg_json_int64(el->val.binary.data, "error", "topn_state");
	}

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	topn_write(&buf, OidIsValid(typoid) ? TOPN_KIND_RAW : TOPN_KIND_TEXT,
			   (int32) capacity,
			   agg_json_int64(&jb->root, "total", "topn_state"),
			   agg_json_int64(&jb->root, "bound", "topn_state"),
			   typoid, arr, n);
	topn_parse(buf.data + VARHDRSZ, buf.len - VARHDRSZ,
			   ERRCODE_INVALID_TEXT_REPRESENTATION, &p);
	result = (bytea *) buf.data;
	SET_VARSIZE(result, buf.len);
	PG_RETURN_BYTEA_P(result);
}

/* Text output of netflow.topn_state: JSON, heaviest key first. */
Datum
topn_state_out(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	TopnParsed	p;
	StringInfoData buf;
	AggValueIO	io;

	topn_parse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), ERRCODE_DATA_CORRUPTED, &p);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"version\": %d, \"type\": ", TOPN_FORMAT_VERSION);
	if (p.kind == TOPN_KIND_RAW)
	{
		escape_json(&buf, format_type_be_qualified(p.typoid));
		agg_value_io_init(&io, p.typoid);
	}
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoString(&buf, ", ");
	topn_json_body(&buf, &p, "key", p.kind == TOPN_KIND_RAW ? &io : NULL);
	PG_RETURN_CSTRING(buf.data);
}

/* Binary input of netflow.topn_state: the text form, validated alike. */
Datum
topn_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);

	return DirectFunctionCall1(topn_state_in,
							   CStringGetDatum(agg_text_recv(buf)));
}

/* Binary output of netflow.topn_state: the text form. */
Datum
topn_state_send(PG_FUNCTION_ARGS)
{
	return agg_text_send(DatumGetCString(DirectFunctionCall1(topn_state_out,
															 PG_GETARG_DATUM(0))));
}
