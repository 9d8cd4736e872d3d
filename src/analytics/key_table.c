/*-------------------------------------------------------------------------
 *
 * key_table.c
 *	  Open-addressing hash table of byte-string keys used by the top-N and
 *	  entropy aggregates, and conversion between SQL values and key bytes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "key_table.h"

#include "utils/memutils.h"

/*
 * Allocate a slot array for at least 2 * n entries (load factor <= 1/2);
 * kt_rebuild_slots fills it.
 */
static void
kt_alloc_slots(KeyTable *kt, int32 n)
{
	uint64		nslots = 16;

	while (nslots < (uint64) n * 2)
		nslots <<= 1;
	kt->slots = MemoryContextAllocHuge(kt->cxt, nslots * sizeof(uint64));
	kt->mask = (uint32) (nslots - 1);
}

/* Empty the slot array and enter every entry again. */
static void
kt_rebuild_slots(KeyTable *kt)
{
	memset(kt->slots, 0, ((Size) kt->mask + 1) * sizeof(uint64));
	for (int32 i = 0; i < kt->nentries; i++)
	{
		uint64		h = kt->entries[i].hash;

		kt->slots[kt_empty_slot(kt, h)] = kt_slot_word(h, i);
	}
}

/*
 * Set up an empty table able to hold 'expected' keys without growing, with
 * slots for at least 'sparse' keys at load factor 1/2 (a sparser table
 * probes less: top-N passes its capacity times 2), and the number of
 * entries its owner usually holds at most ('limit', 0 when unknown).
 */
void
kt_init(KeyTable *kt, MemoryContext cxt, int32 expected, int32 sparse,
		int32 limit)
{
	kt->cxt = cxt;
	kt->maxentries = Max(expected, 16);
	kt->nentries = 0;
	kt->limit = limit;
	kt->entries = MemoryContextAllocHuge(cxt,
										 (Size) kt->maxentries * sizeof(KtEntry));
	kt_alloc_slots(kt, Max(kt->maxentries, sparse));
	kt_rebuild_slots(kt);
}

/* Release everything the table allocated. */
void
kt_free(KeyTable *kt)
{
	for (int32 i = 0; i < kt->nentries; i++)
		if (kt->entries[i].len > KT_INLINE)
			pfree(kt->entries[i].k.ext);
	pfree(kt->entries);
	pfree(kt->slots);
	kt->entries = NULL;
	kt->slots = NULL;
	kt->nentries = 0;
}

/* Raise the error for a table without an empty slot (never expected). */
void
kt_full_error(void)
{
	elog(ERROR, "key table is full");
	pg_unreachable();
}

/* Store key bytes into an entry whose previous key (if any) is released. */
static void
kt_set_key(KeyTable *kt, KtEntry *e, const char *key, uint32 len)
{
	if (len <= KT_INLINE)
		memcpy(e->k.inl, key, len);
	else
	{
		e->k.ext = MemoryContextAllocHuge(kt->cxt, len);
		memcpy(e->k.ext, key, len);
	}
	e->len = len;
}

/*
 * Grow the slot array (at least double it, and enough for every entry the
 * table has room for) and re-enter every entry.
 */
static void
kt_grow_slots(KeyTable *kt)
{
	uint64	   *old = kt->slots;

	kt_alloc_slots(kt, (int32) Min(Max((uint64) (kt->mask + 1), (uint64) kt->maxentries),
								   (uint64) PG_INT32_MAX));
	kt_rebuild_slots(kt);
	pfree(old);
}

/*
 * kt_insert_at's general case: grows the entry array or the slot array (and
 * then finds the key's slot again) as needed, and stores keys of any length.
 */
int32
kt_insert_slow(KeyTable *kt, uint32 slot, uint64 hash, const char *key,
			 uint32 len)
{
	int32		idx;
	KtEntry    *e;

	if (kt->nentries >= kt->maxentries)
	{
		int32		newmax;

		if (kt->maxentries >= KT_MAX_ENTRIES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct values in one aggregate"),
					 errdetail("At most %d distinct values are kept per aggregate state.",
							   KT_MAX_ENTRIES),
					 errhint("Aggregate over fewer rows (for example per hour) or over a coarser value.")));
		/*
		 * Past KT_JUMP_ENTRIES, a table whose owner set a limit above its size
		 * grows fourfold, up to the limit (not past it: at most 4x the
		 * entries in use, as a state counted by hash aggregation must not
		 * reserve its whole limit for a few thousand keys); else it doubles.
		 */
		if (kt->limit > kt->maxentries && kt->maxentries >= KT_JUMP_ENTRIES)
			newmax = (int32) Min((int64) kt->maxentries * 4, (int64) kt->limit);
		else
			newmax = kt->maxentries * 2;
		newmax = Min(newmax, KT_MAX_ENTRIES);
		kt->entries = repalloc_huge(kt->entries, (Size) newmax * sizeof(KtEntry));
		kt->maxentries = newmax;
	}
	if ((uint64) (kt->nentries + 1) * 2 > (uint64) kt->mask + 1)
	{
		kt_grow_slots(kt);
		slot = kt_empty_slot(kt, hash);
	}

	idx = kt->nentries++;
	e = &kt->entries[idx];
	e->hash = hash;
	e->count = 0;
	e->error = 0;
	kt_set_key(kt, e, key, len);
	kt->slots[slot] = kt_slot_word(hash, idx);
	return idx;
}

/* Add a key known to be absent; returns the new entry's index. */
int32
kt_insert(KeyTable *kt, uint64 hash, const char *key, uint32 len)
{
	uint32		slot;

	if (kt_find(kt, hash, key, len, &slot) >= 0)
		elog(ERROR, "key inserted twice into key table");
	return kt_insert_at(kt, slot, hash, key, len);
}

/*
 * Drop every entry whose count is at most 'threshold' and subtract the
 * threshold from the others (one Misra-Gries decrement of many keys at
 * once).  Entries are compacted, so indexes change; the slots are rebuilt.
 */
void
kt_purge(KeyTable *kt, int64 threshold)
{
	int32		n = 0;

	for (int32 i = 0; i < kt->nentries; i++)
	{
		KtEntry    *e = &kt->entries[i];

		if (e->count > threshold)
		{
			if (n != i)
				kt->entries[n] = *e;
			kt->entries[n].count -= threshold;
			n++;
		}
		else if (e->len > KT_INLINE)
			pfree(e->k.ext);
	}
	kt->nentries = n;
	kt_rebuild_slots(kt);
}

/* qsort comparator of int64 values (counts), ascending. */
int
kt_int64_cmp(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Bytes allocated by the table: entry array, slot array and long keys. */
Size
kt_memory(const KeyTable *kt)
{
	Size		total = (Size) kt->maxentries * sizeof(KtEntry) +
		((Size) kt->mask + 1) * sizeof(uint64);

	for (int32 i = 0; i < kt->nentries; i++)
		if (kt->entries[i].len > KT_INLINE)
			total += kt->entries[i].len;
	return total;
}

/* Rebuild a SQL value (in the current memory context) from its key bytes. */
Datum
datum_of_key_bytes(const char *key, uint32 len, int16 typlen, bool typbyval)
{
	if (typbyval)
	{
		switch (len)
		{
			case 8:
				{
					int64		v;

					memcpy(&v, key, 8);
					return Int64GetDatum(v);
				}
			case 4:
				{
					int32		v;

					memcpy(&v, key, 4);
					return Int32GetDatum(v);
				}
			case 2:
				{
					int16		v;

					memcpy(&v, key, 2);
					return Int16GetDatum(v);
				}
			default:
				return CharGetDatum(key[0]);
		}
	}
	if (typlen > 0)
	{
		char	   *p = palloc(len);

		memcpy(p, key, len);
		return PointerGetDatum(p);
	}
	if (typlen == -1)
	{
		struct varlena *v = palloc(VARHDRSZ + len);

		SET_VARSIZE(v, VARHDRSZ + len);
		memcpy(VARDATA(v), key, len);
		return PointerGetDatum(v);
	}
	{
		char	   *p = palloc(len + 1);

		memcpy(p, key, len);
		p[len] = '\0';
		return CStringGetDatum(p);
	}
}

/* Check that key bytes read from a serialized state fit the key type. */
void
check_key_bytes(const char *key, uint32 len, int16 typlen, bool typbyval,
				int errcode_on_error)
{
	bool		ok;

	if (typbyval)
		ok = (typlen == 1 || typlen == 2 || typlen == 4 || typlen == 8) &&
			len == (uint32) typlen;
	else if (typlen > 0)
		ok = len == (uint32) typlen;
	else if (typlen == -1)
		ok = len <= MaxAllocSize - VARHDRSZ;
	else
		ok = len < MaxAllocSize && memchr(key, '\0', len) == NULL;
	if (!ok)
		ereport(ERROR,
				(errcode(errcode_on_error),
				 errmsg("invalid key of length %u in aggregate state", len),
				 errdetail("The key does not fit its type (length %d).", typlen)));
}
