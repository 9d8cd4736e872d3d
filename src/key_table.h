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
 * entry array, so a probe rarely touches an entry that does not match.  Deletion (used by Space-Saving eviction) shifts later slots back,
 * so no tombstones accumulate.  Keys up to KT_INLINE bytes live inside the
 * entry: no allocation per key for addresses, ports and integers.
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
} KeyTable;

/* Key bytes of an entry. */
static inline const char *
kt_key(const KtEntry *e)
{
	return e->len <= KT_INLINE ? e->k.inl : e->k.ext;
}

/* 64-bit multiply-xorshift finaliser: every input bit affects every output bit. */
static inline uint64
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
 * Load len (<= 8) bytes into a zeroed word, as memcpy would; constant-size
 * copies compile to plain moves instead of a library call.
 */
static inline uint64
kt_load_word(const char *p, uint32 len)
{
	uint64		w = 0;

	switch (len)
	{
		case 8:
			memcpy(&w, p, 8);
			break;
		case 7:
			memcpy(&w, p, 7);
			break;
		case 6:
			memcpy(&w, p, 6);
			break;
		case 5:
			memcpy(&w, p, 5);
			break;
		case 4:
			memcpy(&w, p, 4);
			break;
		case 3:
			memcpy(&w, p, 3);
			break;
		case 2:
			memcpy(&w, p, 2);
			break;
		case 1:
			memcpy(&w, p, 1);
			break;
		default:
			break;
	}
	return w;
}

/* Hash of a byte string: 8-byte words folded by multiply-rotate, then mixed. */
static inline uint64
kt_hash(const char *p, uint32 len)
{
	uint64		h = UINT64CONST(0x9e3779b97f4a7c15) ^ ((uint64) len * UINT64CONST(0xff51afd7ed558ccd));
	uint64		w;

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
					int32 sparse);
extern void kt_free(KeyTable *kt);
extern int32 kt_find(const KeyTable *kt, uint64 hash, const char *key,
					 uint32 len, uint32 *slotp);
extern int32 kt_insert(KeyTable *kt, uint64 hash, const char *key, uint32 len);
extern void kt_unlink(KeyTable *kt, int32 idx);
extern void kt_relink(KeyTable *kt, int32 idx, uint64 hash,
					  const char *key, uint32 len);
extern Size kt_memory(const KeyTable *kt);

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

#endif							/* NETFLOW_KEY_TABLE_H */
