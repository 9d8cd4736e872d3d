/*-------------------------------------------------------------------------
 *
 * key_table.h
 *	  Hash table of byte-string keys with a 64-bit count per key, shared by
 *	  the top-N and entropy aggregates.
 *
 * A key is the canonical byte form of a SQL value (see key_bytes_of_datum):
 * the raw bytes of a fixed-length value, or the payload of a varlena value
 * after detoasting.  Two values are the same key when these bytes are equal.
 *
 * The table is open addressing with linear probing over a slot array; each
 * slot holds the low 32 bits of the key's hash (so a slot's home position is
 * known without touching its entry) and the index of an entry in a dense
 * entry array, so a probe rarely touches an entry that does not match.
 * Keys are never deleted one by one: kt_purge (the top-N summary's
 * Misra-Gries decrement) drops many at once and rebuilds the slots, so no
 * tombstones exist.  Keys up to KT_INLINE bytes live inside the entry: no
 * allocation per key for addresses, ports and integers.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_KEY_TABLE_H
#define NETFLOW_KEY_TABLE_H

#include "postgres.h"

#include "fmgr.h"

/* Keys this long or shorter are stored inside the entry. */
#define KT_INLINE 24

/* Largest number of entries a table may hold. */
#define KT_MAX_ENTRIES (1 << 24)

/*
 * A table with a limit that outgrows this many entries grows fourfold (up
 * to the limit) instead of doubling: fewer steps, each of which copies the
 * entries and fills a new slot array, all of it memory a new backend must
 * first touch (a page fault per 4 kB page).
 */
#define KT_JUMP_ENTRIES 1024

typedef struct KtEntry
{
	uint64		hash;			/* full 64-bit hash of the key */
	int64		count;			/* weight counted for the key */
	int64		error;			/* top-N: overestimation bound */
	uint32		len;			/* key length in bytes */
	uint32		spare;			/* padding, unused */
	union
	{
		char		inl[KT_INLINE];
		char	   *ext;
	}			k;
} KtEntry;

typedef struct KeyTable
{
	MemoryContext cxt;			/* where entries, slots and long keys live */
	KtEntry    *entries;		/* dense array, nentries used */
	int32		nentries;
	int32		maxentries;		/* allocated length of entries */
	uint64	   *slots;			/* 0 = empty, else hash-low32 << 32 | idx+1 */
	uint32		mask;			/* number of slots - 1 */
	int32		limit;			/* entries the owner usually holds at most
								 * (0: unknown): growth past KT_JUMP_ENTRIES
								 * is fourfold up to it */
} KeyTable;

/* Key bytes of an entry. */
static inline const char *
kt_key(const KtEntry *e)
{
	return e->len <= KT_INLINE ? e->k.inl : e->k.ext;
}

/* 64-bit multiply-xorshift finaliser: every input bit affects every output bit. */
static pg_attribute_always_inline uint64
kt_mix64(uint64 x)
{
	x ^= x >> 32;
	x *= UINT64CONST(0xd6e8feb86659fd93);
	x ^= x >> 32;
	x *= UINT64CONST(0xd6e8feb86659fd93);
	x ^= x >> 32;
	return x;
}

/*
 * Load len (<= 8) bytes into a zeroed word, byte i at bits 8i .. 8i+7 (as
 * memcpy would on a little-endian machine).  The word is assembled from
 * 4-, 2- and 1-byte loads in registers: copying into a stack variable and
 * reading it back whole would stall on store forwarding in every row.
 */
static pg_attribute_always_inline uint64
kt_load_word(const char *p, uint32 len)
{
	uint64		w = 0;
	int			shift = 0;

	if (len >= 8)
	{
		memcpy(&w, p, 8);
		return w;
	}
	if (len & 4)
	{
		uint32		a;

		memcpy(&a, p, 4);
		w = a;
		p += 4;
		shift = 32;
	}
	if (len & 2)
	{
		uint16		b;

		memcpy(&b, p, 2);
		w |= (uint64) b << shift;
		p += 2;
		shift += 16;
	}
	if (len & 1)
		w |= (uint64) (unsigned char) *p << shift;
	return w;
}

/*
 * Hash of a byte string: 8-byte words folded by multiply-rotate, then mixed.
 * A key of at most 8 bytes (addresses, ports, integers) is one word and is
 * only mixed: the finaliser is a bijection, so such keys of one length
 * never share a 64-bit hash.
 */
static pg_attribute_always_inline uint64
kt_hash(const char *p, uint32 len)
{
	uint64		h;
	uint64		w;

	if (len <= 8)
		return kt_mix64(kt_load_word(p, len) ^ ((uint64) len << 56) ^
						UINT64CONST(0x9e3779b97f4a7c15));
	h = UINT64CONST(0x9e3779b97f4a7c15) ^ ((uint64) len * UINT64CONST(0xff51afd7ed558ccd));

	while (len >= 8)
	{
		memcpy(&w, p, 8);
		h ^= w * UINT64CONST(0x87c37b91114253d5);
		h = ((h << 31) | (h >> 33)) * UINT64CONST(0x4cf5ad432745937f);
		p += 8;
		len -= 8;
	}
	if (len > 0)
	{
		w = kt_load_word(p, len);
		h ^= w * UINT64CONST(0x87c37b91114253d5);
		h = ((h << 31) | (h >> 33)) * UINT64CONST(0x4cf5ad432745937f);
	}
	return kt_mix64(h);
}

extern void kt_init(KeyTable *kt, MemoryContext cxt, int32 expected,
					int32 sparse, int32 limit);
extern void kt_free(KeyTable *kt);
extern int32 kt_insert(KeyTable *kt, uint64 hash, const char *key, uint32 len);
extern int32 kt_insert_slow(KeyTable *kt, uint32 slot, uint64 hash,
							const char *key, uint32 len);
extern void kt_purge(KeyTable *kt, int64 threshold);
extern Size kt_memory(const KeyTable *kt);
extern int	kt_int64_cmp(const void *a, const void *b);
extern void kt_full_error(void) pg_attribute_noreturn();

/* The slot word of entry idx whose key has the given hash. */
static inline uint64
kt_slot_word(uint64 hash, int32 idx)
{
	return ((uint64) (uint32) hash << 32) | (uint64) (idx + 1);
}

/* The first empty slot of a key's probe run (for a key known to be absent). */
static inline uint32
kt_empty_slot(const KeyTable *kt, uint64 hash)
{
	uint32		pos = (uint32) hash & kt->mask;

	while (kt->slots[pos] != 0)
		pos = (pos + 1) & kt->mask;
	return pos;
}

/*
 * Look a key up.  Returns its entry index, or -1 when absent; *slotp is the
 * slot where it was found or where it would be inserted.  Inline: it is the
 * per-row step of both aggregates.
 */
static pg_attribute_always_inline int32
kt_find(const KeyTable *kt, uint64 hash, const char *key, uint32 len,
		uint32 *slotp)
{
	uint32		pos = (uint32) hash & kt->mask;
	uint32		tag = (uint32) hash;

	for (uint32 probes = 0; probes <= kt->mask; probes++)
	{
		uint64		s = kt->slots[pos];

		if (s == 0)
		{
			*slotp = pos;
			return -1;
		}
		if ((uint32) (s >> 32) == tag)
		{
			int32		idx = (int32) (s & 0xffffffff) - 1;
			const KtEntry *e = &kt->entries[idx];

			/*
			 * A key of at most 8 bytes is determined by its length and
			 * hash (kt_hash is a bijection on such keys of one length).
			 */
			if (e->hash == hash && e->len == len &&
				(len <= 8 || memcmp(kt_key(e), key, len) == 0))
			{
				*slotp = pos;
				return idx;
			}
		}
		pos = (pos + 1) & kt->mask;
	}
	/* Unreachable: the load factor keeps at least half the slots empty. */
	kt_full_error();
}

/*
 * Canonical key bytes of a datum of a type with the given length and
 * by-value flag.  buf (at least 8 bytes, any alignment) receives by-value
 * data.  Varlena values are detoasted in the current memory context.
 */
static inline const char *
key_bytes_of_datum(Datum d, int16 typlen, bool typbyval, char *buf,
				   uint32 *len)
{
	if (typbyval)
	{
		switch (typlen)
		{
			case 8:
				{
					int64		v = DatumGetInt64(d);

					memcpy(buf, &v, 8);
					break;
				}
			case 4:
				{
					int32		v = DatumGetInt32(d);

					memcpy(buf, &v, 4);
					break;
				}
			case 2:
				{
					int16		v = DatumGetInt16(d);

					memcpy(buf, &v, 2);
					break;
				}
			default:
				buf[0] = DatumGetChar(d);
				typlen = 1;
				break;
		}
		*len = typlen;
		return buf;
	}
	if (typlen > 0)
	{
		*len = typlen;
		return DatumGetPointer(d);
	}
	if (typlen == -1)
	{
		struct varlena *v = (struct varlena *) DatumGetPointer(d);

		if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
			v = pg_detoast_datum_packed(v);
		*len = VARSIZE_ANY_EXHDR(v);
		return VARDATA_ANY(v);
	}
	/* cstring */
	*len = strlen(DatumGetCString(d));
	return DatumGetCString(d);
}

extern Datum datum_of_key_bytes(const char *key, uint32 len, int16 typlen,
								bool typbyval);
extern void check_key_bytes(const char *key, uint32 len, int16 typlen,
							bool typbyval, int errcode_on_error);

/*
 * Copy a key of len <= 8 bytes into dst (8 bytes of room): one 8-byte
 * store of the word kt_load_word assembled, instead of a call to memcpy.
 */
static inline void
kt_store_short(char *dst, const char *key, uint32 len)
{
#ifdef WORDS_BIGENDIAN
	memcpy(dst, key, len);
#else
	/* the word holds the key bytes in memory order, then zeroes */
	uint64		w = kt_load_word(key, len);

	memcpy(dst, &w, 8);
#endif
}

/*
 * Add a key known to be absent at the slot kt_find returned for it; returns
 * the new entry's index.  Inline for the common case (room left, short
 * key); kt_insert_slow grows the table or stores a long key.
 */
static inline int32
kt_insert_at(KeyTable *kt, uint32 slot, uint64 hash, const char *key,
			 uint32 len)
{
	int32		idx;
	KtEntry    *e;

	if (unlikely(len > 8 || kt->nentries >= kt->maxentries ||
				 (uint64) (kt->nentries + 1) * 2 > (uint64) kt->mask + 1))
		return kt_insert_slow(kt, slot, hash, key, len);
	idx = kt->nentries++;
	e = &kt->entries[idx];
	e->hash = hash;
	e->count = 0;
	e->error = 0;
	e->len = len;
	kt_store_short(e->k.inl, key, len);
	kt->slots[slot] = kt_slot_word(hash, idx);
	return idx;
}

#endif							/* NETFLOW_KEY_TABLE_H */
