/*-------------------------------------------------------------------------
 *
 * topn.c
 *	  The netflow.topn and netflow.topn_union aggregates: weighted
 *	  Space-Saving heavy-hitter summaries, mergeable across parallel workers
 *	  and across stored summaries.
 *
 * State: a key table (key -> count, error) holding at most 'capacity' keys
 * and a min-heap of its entries by count.  A row (key, w) adds w to the
 * key's count when the key is kept; otherwise, when the table is full, the
 * entry with the smallest count m is given to the new key with count m + w
 * and error m.  Invariants (true = the key's exact weight in the input):
 *	  count - error <= true <= count
 *	  a key not kept has true <= bound, where bound = smallest count once
 *	  any key was evicted (0 while the state is exact).
 * Two states merge by adding counts and errors, using the other side's
 * bound for keys it does not hold, then keeping the 'capacity' heaviest;
 * the invariants survive (Agarwal et al., "Mergeable summaries", 2012).
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

/* A heap node: an entry's count (copied, for locality) and its index. */
typedef struct TopnHeapNode
{
	int64		count;
	int64		idx;
} TopnHeapNode;

typedef struct TopnState
{
	KeyTable	kt;
	TopnHeapNode *heap;			/* min-heap of entries by count */
	int32	   *hpos;			/* entry index -> its heap position */
	bool		heapvalid;		/* heap and hpos are up to date */
	int32		heapmax;		/* allocated length of heap */
	int32		capacity;
	bool		lossy;			/* a key may have been dropped */
	int64		total;			/* exact sum of counted weights */
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

/* Make an empty state in memory context cxt. */
static TopnState *
topn_state_new(MemoryContext cxt, int32 capacity, bool textkeys, Oid typoid)
{
	TopnState  *st = MemoryContextAllocZero(cxt, sizeof(TopnState));

	st->capacity = capacity;
	st->textkeys = textkeys;
	st->typoid = typoid;
	if (textkeys)
	{
		st->typlen = -1;
		st->typbyval = false;
	}
	else
		get_typlenbyval(typoid, &st->typlen, &st->typbyval);
	kt_init(&st->kt, cxt, Min(capacity, 1024), Min(capacity, 65536) * 2);
	st->heapmax = Min(capacity, 1024);
	st->heap = MemoryContextAlloc(cxt, sizeof(TopnHeapNode) * st->heapmax);
	st->hpos = MemoryContextAlloc(cxt, sizeof(int32) * st->heapmax);
	return st;
}

/* Make room for n heap positions. */
static void
heap_reserve(TopnState *st, int32 n)
{
	if (n > st->heapmax)
	{
		int32		m = Max(n, Min(st->heapmax * 2, st->capacity));

		st->heap = repalloc(st->heap, sizeof(TopnHeapNode) * m);
		st->hpos = repalloc(st->hpos, sizeof(int32) * m);
		st->heapmax = m;
	}
}

/*
 * Move heap position i down until its children are not lighter.  The heap
 * is 4-ary with the counts inline: the four children of a node share one
 * cache line and the tree is half as deep as a binary heap.
 */
static inline void
heap_sift_down(TopnState *st, int32 i)
{
	int32	   *hpos = st->hpos;
	TopnHeapNode *h = st->heap;
	int32		n = st->kt.nentries;
	TopnHeapNode x = h[i];

	for (;;)
	{
		int32		c = 4 * i + 1;
		int32		m;
		int64		mc;
		int32		end;

		if (c >= n)
			break;
		m = c;
		mc = h[c].count;
		end = Min(c + 4, n);
		for (int32 k = c + 1; k < end; k++)
		{
			bool		lt = h[k].count < mc;

			/* written to compile to conditional moves, not branches */
			m = lt ? k : m;
			mc = lt ? h[k].count : mc;
		}
		if (mc >= x.count)
			break;
		h[i] = h[m];
		hpos[h[i].idx] = i;
		i = m;
	}
	h[i] = x;
	hpos[x.idx] = i;
}

/* Move heap position i up until its parent is not heavier. */
static inline void
heap_sift_up(TopnState *st, int32 i)
{
	int32	   *hpos = st->hpos;
	TopnHeapNode *h = st->heap;
	TopnHeapNode x = h[i];

	while (i > 0)
	{
		int32		p = (i - 1) / 4;

		if (h[p].count <= x.count)
			break;
		h[i] = h[p];
		hpos[h[i].idx] = i;
		i = p;
	}
	h[i] = x;
	hpos[x.idx] = i;
}

/* Rebuild the heap over all entries. */
static void
heap_rebuild(TopnState *st)
{
	int32		n = st->kt.nentries;

	heap_reserve(st, n);
	for (int32 i = 0; i < n; i++)
	{
		st->heap[i].count = st->kt.entries[i].count;
		st->heap[i].idx = i;
		st->hpos[i] = i;
	}
	for (int32 i = (n - 2) / 4; i >= 0 && n > 1; i--)
		heap_sift_down(st, i);
	st->heapvalid = true;
}

/*
 * Make the heap valid.  While a state is exact and has room, no heap is
 * kept (nothing is evicted and the bound is 0): it is built on demand.
 */
static inline void
heap_ensure(TopnState *st)
{
	if (unlikely(!st->heapvalid))
		heap_rebuild(st);
}

/* Upper bound of the true weight of any key the state does not hold. */
static inline int64
topn_state_bound(TopnState *st)
{
	if (!st->lossy || st->kt.nentries == 0)
		return 0;
	heap_ensure(st);
	return st->heap[0].count;
}

/* Space-Saving update: count weight w for a key. */
static inline void
topn_add(TopnState *st, const char *key, uint32 len, int64 w)
{
	uint64		hash = kt_hash(key, len);
	uint32		slot;
	int32		idx = kt_find(&st->kt, hash, key, len, &slot);
	KtEntry    *e;

	add_checked(&st->total, w);
	if (idx >= 0)
	{
		e = &st->kt.entries[idx];
		add_checked(&e->count, w);
		if (st->heapvalid)
		{
			st->heap[st->hpos[idx]].count = e->count;
			heap_sift_down(st, st->hpos[idx]);
		}
	}
	else if (st->kt.nentries < st->capacity)
	{
		int64		base = topn_state_bound(st);

		idx = kt_insert(&st->kt, hash, key, len);
		e = &st->kt.entries[idx];
		e->count = base;
		add_checked(&e->count, w);
		e->error = base;
		if (st->heapvalid)
		{
			heap_reserve(st, st->kt.nentries);
			st->heap[idx].count = e->count;
			st->heap[idx].idx = idx;
			st->hpos[idx] = idx;
			heap_sift_up(st, idx);
		}
	}
	else
	{
		/* evict the lightest key; the newcomer inherits its count */
		int32		m;
		int64		base;

		heap_ensure(st);
		m = (int32) st->heap[0].idx;

		e = &st->kt.entries[m];
		base = e->count;
		kt_unlink(&st->kt, m);
		kt_relink(&st->kt, m, hash, key, len);
		e = &st->kt.entries[m];
		e->count = base;
		add_checked(&e->count, w);
		e->error = base;
		st->lossy = true;
		st->heap[0].count = e->count;
		heap_sift_down(st, 0);
	}
}

/* The state's entries as items (keys point into the state). */
static TopnItem *
topn_state_items(TopnState *st)
{
	int32		n = st->kt.nentries;
	TopnItem   *items = palloc(sizeof(TopnItem) * Max(n, 1));

	for (int32 i = 0; i < n; i++)
	{
		const KtEntry *e = &st->kt.entries[i];

		items[i].key = kt_key(e);
		items[i].len = e->len;
		items[i].weight = e->count;
		items[i].error = e->error;
	}
	return items;
}

/*
 * Merge a summary (items with their bound, capacity and total) into a
 * state.  A key missing on one side gets that side's bound added to both
 * its count and its error; then the 'capacity' heaviest keys are kept.
 */
static void
topn_merge(TopnState *st, TopnItem *items, int32 n, int64 bound_t,
		   int32 cap_t, int64 total_t)
{
	int64		bound_s = topn_state_bound(st);
	int32		nold = st->kt.nentries;
	bool	   *matched = palloc0(sizeof(bool) * Max(nold, 1));
	TopnItem   *pending = palloc(sizeof(TopnItem) * Max(n, 1));
	int32		npending = 0;
	int32		newcap = Max(st->capacity, cap_t);

	for (int32 i = 0; i < n; i++)
	{
		uint32		slot;
		int32		idx = kt_find(&st->kt, kt_hash(items[i].key, items[i].len),
								  items[i].key, items[i].len, &slot);

		if (idx >= 0)
		{
			add_checked(&st->kt.entries[idx].count, items[i].weight);
			add_checked(&st->kt.entries[idx].error, items[i].error);
			matched[idx] = true;
		}
		else
		{
			TopnItem   *p = &pending[npending++];

			*p = items[i];
			add_checked(&p->weight, bound_s);
			add_checked(&p->error, bound_s);
		}
	}
	for (int32 i = 0; i < nold; i++)
		if (!matched[i])
		{
			add_checked(&st->kt.entries[i].count, bound_t);
			add_checked(&st->kt.entries[i].error, bound_t);
		}
	add_checked(&st->total, total_t);
	if (bound_s > 0 || bound_t > 0)
		st->lossy = true;
	st->capacity = newcap;

	if (nold + npending <= newcap)
	{
		for (int32 i = 0; i < npending; i++)
		{
			int32		idx = kt_insert(&st->kt,
										kt_hash(pending[i].key, pending[i].len),
										pending[i].key, pending[i].len);

			st->kt.entries[idx].count = pending[i].weight;
			st->kt.entries[idx].error = pending[i].error;
		}
	}
	else
	{
		/* keep the newcap heaviest of the old entries and the pending keys */
		int32		ncand = nold + npending;
		TopnItem   *cand = palloc(sizeof(TopnItem) * ncand);
		KeyTable	old = st->kt;

		for (int32 i = 0; i < nold; i++)
		{
			cand[i].key = kt_key(&old.entries[i]);
			cand[i].len = old.entries[i].len;
			cand[i].weight = old.entries[i].count;
			cand[i].error = old.entries[i].error;
		}
		memcpy(cand + nold, pending, sizeof(TopnItem) * npending);
		qsort(cand, ncand, sizeof(TopnItem), topn_item_cmp);
		kt_init(&st->kt, old.cxt, newcap, Min(newcap, 65536) * 2);
		for (int32 i = 0; i < newcap; i++)
		{
			int32		idx = kt_insert(&st->kt, kt_hash(cand[i].key, cand[i].len),
										cand[i].key, cand[i].len);

			st->kt.entries[idx].count = cand[i].weight;
			st->kt.entries[idx].error = cand[i].error;
		}
		kt_free(&old);
		pfree(cand);
		st->lossy = true;
	}
	heap_rebuild(st);
	pfree(matched);
	pfree(pending);
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

/* topn(key, weight, capacity) transition: one Space-Saving update. */
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
	topn_add(st, key, len, w);
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
		PG_RETURN_POINTER(st);
	topn_parse_summary(PG_GETARG_DATUM(1), &p);
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
	topn_merge(s1, items, s2->kt.nentries, topn_state_bound(s2), s2->capacity,
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
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	topn_write(&buf, st->textkeys ? TOPN_KIND_TEXT : TOPN_KIND_RAW,
			   st->capacity, st->total, topn_state_bound(st), st->typoid,
			   items, st->kt.nentries);
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

/* Build the summary value (text keys) of a state. */
static bytea *
topn_state_summary(TopnState *st)
{
	int32		n = st->kt.nentries;
	TopnItem   *items = topn_state_items(st);
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
		 * items are one item of the summary: add counts and errors.
		 */
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
	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	topn_write(&buf, TOPN_KIND_TEXT, st->capacity, st->total,
			   topn_state_bound(st), InvalidOid, items, n);
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
