/*-------------------------------------------------------------------------
 *
 * batch_store.c
 *	  The batches of compressed partitions, kept as rows of the heap table
 *	  netflow.compressed_batches (so WAL, MVCC, replication and crash
 *	  recovery come from the heap): reading them in batch_no order with an
 *	  index scan under a snapshot, decoding one into column arrays of
 *	  Datums, purging the batches of a relfilenode, and the column types a
 *	  batch can hold.  Decoders and byte readers a scan is done with are
 *	  kept for the backend's next scans (netflow.decoder_cache_size).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "access/detoast.h"
#include "access/genam.h"
#include "access/heapam.h"
#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "batch_codec.h"
#include "compressed_tam.h"

/* The skipping columns and where compressed_batches keeps their bounds. */
const NfSkipColumn nf_skip_columns[NF_NSKIP] = {
	{"time_start", Anum_batch_min_time, Anum_batch_max_time},
	{"time_end", Anum_batch_min_time_end, Anum_batch_max_time_end},
	{"time_received", Anum_batch_min_time_received, Anum_batch_max_time_received},
};

/*
 * 1-based attribute number of skipping column k in rel (a timestamptz
 * column of that name), or 0 when rel has none.
 */
AttrNumber
nf_skip_attnum(Relation rel, int k)
{
	TupleDesc	desc = RelationGetDescr(rel);

	Assert(k >= 0 && k < NF_NSKIP);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && att->atttypid == TIMESTAMPTZOID &&
			strcmp(NameStr(att->attname), nf_skip_columns[k].attname) == 0)
			return att->attnum;
	}
	return 0;
}

/* OID of netflow.compressed_batches; InvalidOid when missing and missing_ok. */
Oid
nf_batch_table_oid(bool missing_ok)
{
	Oid			nsp = get_namespace_oid("netflow", true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid("compressed_batches", nsp) : InvalidOid;

	if (!OidIsValid(relid) && !missing_ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table netflow.compressed_batches does not exist"),
				 errdetail("Compressed partitions need version 0.2 of the netflow extension."),
				 errhint("Run ALTER EXTENSION netflow UPDATE.")));
	return relid;
}

/* OID of the primary key index of netflow.compressed_batches. */
static Oid
batch_index_oid(void)
{
	Oid			nsp = get_namespace_oid("netflow", false);
	Oid			idx = get_relname_relid("compressed_batches_pkey", nsp);

	if (!OidIsValid(idx))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("index netflow.compressed_batches_pkey does not exist")));
	return idx;
}

/* Start reading the batches of rel (its OID and current relfilenode). */
BatchReader *
nf_batch_reader_open(Relation rel, Snapshot snapshot, LOCKMODE lockmode)
{
	BatchReader *r = palloc0(sizeof(BatchReader));
	ScanKeyData key[2];

	r->batchrel = table_open(nf_batch_table_oid(false), lockmode);
	ScanKeyInit(&key[0], Anum_batch_relid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationGetRelid(rel)));
	ScanKeyInit(&key[1], Anum_batch_relfilenode, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(rel->rd_node.relNode));
	r->scan = systable_beginscan(r->batchrel, batch_index_oid(), true,
								 snapshot, 2, key);
	return r;
}

/* The next batch row, or NULL at the end (valid until the next call). */
HeapTuple
nf_batch_reader_next(BatchReader *reader)
{
	return systable_getnext(reader->scan);
}

/* The rows of the batch of batch row tup (0 if it says none). */
uint32
nf_batch_row_count(BatchReader *reader, HeapTuple tup)
{
	bool		isnull;
	Datum		n = heap_getattr(tup, Anum_batch_row_count,
								 RelationGetDescr(reader->batchrel), &isnull);

	return isnull || DatumGetInt32(n) <= 0 ? 0 : (uint32) DatumGetInt32(n);
}

/* End the scan (the lock on the batch table is kept to end of transaction). */
void
nf_batch_reader_close(BatchReader *reader)
{
	systable_endscan(reader->scan);
	table_close(reader->batchrel, NoLock);
	pfree(reader);
}

/*
 * The bytes a batch stores for an inet value, into out (at least
 * NF_INET_BYTES_MAX): its family, its mask bits, then its 4 or 16 address
 * bytes; returns their length.  Address filters hash the same bytes.
 */
int
nf_inet_bytes(Datum d, uint8 *out)
{
	inet	   *ip = DatumGetInetPP(d);
	int			alen = ip_addrsize(ip);

	out[0] = ip_family(ip);
	out[1] = ip_bits(ip);
	memcpy(out + 2, ip_addr(ip), alen);
	return 2 + alen;
}

/* Batch column kind of a type: NFC_KIND_INT or NFC_KIND_BYTES, 0 if unsupported. */
int
nf_column_kind(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case TIMESTAMPTZOID:
			return NFC_KIND_INT;
		case INETOID:
		case MACADDROID:
			return NFC_KIND_BYTES;
		default:
			return 0;
	}
}

/*
 * The 64-bit integer a batch stores for a non-NULL value of an integer
 * kind column (smallint, integer, bigint, timestamptz): what compression
 * encodes, and what the fast quals compare constants as.
 */
int64
nf_int_value(Datum d, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
			return DatumGetInt16(d);
		case INT4OID:
			return DatumGetInt32(d);
		case INT8OID:
		case TIMESTAMPTZOID:
			return DatumGetInt64(d);
		default:
			elog(ERROR, "unsupported type %u", typid);
			return 0;			/* keep the compiler quiet */
	}
}

/* Refuse a relation with a column type batches cannot hold. */
void
nf_check_supported_columns(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && nf_column_kind(att->atttypid) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot compress \"%s\": column \"%s\" has type %s",
							RelationGetRelationName(rel), NameStr(att->attname),
							format_type_be(att->atttypid)),
					 errdetail("Compressed batches hold smallint, integer, bigint, timestamptz, inet and macaddr columns only.")));
	}
}

/* Raise the error for a batch that does not decode. */
static void
batch_corrupt(Relation rel, int32 batch_no, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("compressed batch %d of \"%s\" is corrupt", batch_no,
					RelationGetRelationName(rel)),
			 errdetail("%s", what)));
}

/* Convert one byte-string dictionary entry into *out (storage for typid). */
static Datum
bytes_datum(Relation rel, int32 batch_no, Oid typid, const uint8_t *p, int len,
			void *out)
{
	if (typid == MACADDROID)
	{
		macaddr    *m = out;

		if (len != 6)
			batch_corrupt(rel, batch_no, "A macaddr value is not 6 bytes long.");
		memcpy(m, p, 6);
		return PointerGetDatum(m);
	}
	else
	{
		inet	   *ip = out;
		int			alen;

		if (len < 2 || (p[0] != PGSQL_AF_INET && p[0] != PGSQL_AF_INET6))
			batch_corrupt(rel, batch_no, "An inet value has an unknown address family.");
		alen = p[0] == PGSQL_AF_INET ? 4 : 16;
		if (len != 2 + alen || p[1] > alen * 8)
			batch_corrupt(rel, batch_no, "An inet value has a wrong length or mask.");
		memset(ip, 0, sizeof(inet));
		ip->inet_data.family = p[0];
		ip->inet_data.bits = p[1];
		memcpy(ip->inet_data.ipaddr, p + 2, alen);
		SET_INET_VARSIZE(ip);
		return InetPGetDatum(ip);
	}
}

static void decode_body(Relation rel, int32 batch_no, int32 row_count,
						const uint8_t *data, uint32 len, DecodedBatch *db,
						const uint32 *sel, uint32 nsel);

/*
 * Decoders and byte readers kept between the scans of a backend.  A scan
 * that decodes the same columns as an earlier one (a dashboard's query run
 * again on a pooled connection, an hour then its day) takes the arrays the
 * earlier one filled, whose pages are already in memory, instead of
 * allocating them anew: every 4 kB page a process touches for the first
 * time costs a page fault, about 10 us on some virtual machines, and freed
 * arrays go back to the operating system at the end of each query.  Kept
 * in a context under TopMemoryContext, at most netflow.decoder_cache_size
 * kB in all (the least recently kept go first); a decoder taken back is
 * moved under the taker's context, so an error frees it like any other.
 */
#define NF_PARKED_MAX 8

typedef struct NfParked
{
	DecodedBatch *decoder;		/* one of these two, or neither */
	BatchBytes *bytes;
	Size		size;			/* its memory */
	uint64		stamp;			/* when kept: the oldest leaves first */
} NfParked;

/* netflow.decoder_cache_size, in kB */
static int	nf_decoder_cache_kb = 8192;

static MemoryContext park_cxt = NULL;
static NfParked parked[NF_PARKED_MAX];
static Size parked_size = 0;
static uint64 park_clock = 0;

static void decoder_delete(DecodedBatch *db);
static void bytes_delete(BatchBytes *bb);

/* Free kept entry i and empty its slot. */
static void
park_evict(int i)
{
	if (parked[i].decoder)
		decoder_delete(parked[i].decoder);
	if (parked[i].bytes)
		bytes_delete(parked[i].bytes);
	parked_size -= parked[i].size;
	memset(&parked[i], 0, sizeof(NfParked));
}

/* The slot of the least recently kept entry; -1 when none is kept. */
static int
park_oldest(void)
{
	int			oldest = -1;

	for (int i = 0; i < NF_PARKED_MAX; i++)
		if ((parked[i].decoder || parked[i].bytes) &&
			(oldest < 0 || parked[i].stamp < parked[oldest].stamp))
			oldest = i;
	return oldest;
}

/* Free the least recently kept entries until the rest take at most limit bytes. */
static void
park_shrink(Size limit)
{
	int			oldest;

	while (parked_size > limit && (oldest = park_oldest()) >= 0)
		park_evict(oldest);
}

/*
 * Keep a decoder or byte reader of size bytes in context cxt for a later
 * scan; false (nothing kept) when it cannot fit in the cache.
 */
static bool
park(DecodedBatch *db, BatchBytes *bb, MemoryContext cxt, Size size)
{
	Size		limit = (Size) nf_decoder_cache_kb * 1024;
	int			slot = -1;

	if (size > limit)
		return false;
	park_shrink(limit - size);
	for (int i = 0; i < NF_PARKED_MAX && slot < 0; i++)
		if (parked[i].decoder == NULL && parked[i].bytes == NULL)
			slot = i;
	if (slot < 0)
	{
		/* every slot taken: the least recently kept makes room */
		slot = park_oldest();
		park_evict(slot);
	}
	if (park_cxt == NULL)
		park_cxt = AllocSetContextCreate(TopMemoryContext,
										 "netflow kept decoders",
										 ALLOCSET_SMALL_SIZES);
	MemoryContextSetParent(cxt, park_cxt);
	parked[slot].decoder = db;
	parked[slot].bytes = bb;
	parked[slot].size = size;
	parked[slot].stamp = ++park_clock;
	parked_size += size;
	return true;
}

/* Take kept entry i back into the current memory context. */
static void
unpark(int i, MemoryContext cxt)
{
	MemoryContextSetParent(cxt, CurrentMemoryContext);
	parked_size -= parked[i].size;
	memset(&parked[i], 0, sizeof(NfParked));
}

/* After a change of netflow.decoder_cache_size: free what no longer fits. */
static void
decoder_cache_assign(int newval, void *extra)
{
	park_shrink((Size) newval * 1024);
}

/* Register netflow.decoder_cache_size (from _PG_init). */
void
nf_batch_store_init(void)
{
	DefineCustomIntVariable("netflow.decoder_cache_size",
							"Memory each backend keeps of the batch decoders of its finished scans of compressed partitions, for its next scans.",
							"A scan decoding the same columns reuses them instead of allocating and page-faulting new arrays. 0 keeps none.",
							&nf_decoder_cache_kb,
							8192, 0, 1024 * 1024,
							PGC_USERSET,
							GUC_UNIT_KB,
							NULL, decoder_cache_assign, NULL);
}

/* Free the codec's malloc'd arrays when the decoder's context goes. */
static void
decoder_reset_callback(void *arg)
{
	NfcBatch   *nb = arg;

	nfc_batch_free(nb);
}

/*
 * A decoder of the batches of rel, in a child of the current memory
 * context: it decodes the columns whose want flag is set (want NULL: all
 * of them).
 */
DecodedBatch *
nf_batch_decoder_create(Relation rel, const bool *want)
{
	int			natts = RelationGetDescr(rel)->natts;
	MemoryContext cxt;
	DecodedBatch *db;
	MemoryContextCallback *cb;
	int			best = -1;

	/* a kept decoder of the same columns, the most recently kept */
	for (int i = 0; i < NF_PARKED_MAX; i++)
	{
		DecodedBatch *d = parked[i].decoder;

		if (d != NULL && d->natts == natts && nf_batch_decoder_wants(d, want) &&
			(best < 0 || parked[i].stamp > parked[best].stamp))
			best = i;
	}
	if (best >= 0)
	{
		db = parked[best].decoder;
		unpark(best, db->cxt);
		db->kept = true;
		return db;
	}
	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"netflow batch decoder",
								ALLOCSET_DEFAULT_SIZES);
	db = MemoryContextAllocZero(cxt, sizeof(DecodedBatch));
	cb = MemoryContextAllocZero(cxt, sizeof(MemoryContextCallback));
	db->cxt = cxt;
	db->natts = natts;
	db->codec = MemoryContextAllocZero(cxt, sizeof(NfcBatch));
	db->values = MemoryContextAllocZero(cxt, sizeof(Datum *) * natts);
	db->isnull = MemoryContextAllocZero(cxt, sizeof(bool *) * natts);
	db->dict = MemoryContextAllocZero(cxt, sizeof(Datum *) * natts);
	db->ndict = MemoryContextAllocZero(cxt, sizeof(uint32) * natts);
	db->idx = MemoryContextAllocZero(cxt, sizeof(uint32 *) * natts);
	db->own_values = MemoryContextAllocZero(cxt, sizeof(Datum *) * natts);
	db->own_isnull = MemoryContextAllocZero(cxt, sizeof(bool *) * natts);
	db->own_cap = MemoryContextAllocZero(cxt, sizeof(uint32) * natts);
	db->dict_store = MemoryContextAllocZero(cxt, sizeof(char *) * natts);
	db->dict_vals = MemoryContextAllocZero(cxt, sizeof(Datum *) * natts);
	db->dict_done = MemoryContextAllocZero(cxt, sizeof(bool *) * natts);
	db->dict_cap = MemoryContextAllocZero(cxt, sizeof(uint32) * natts);
	db->want = MemoryContextAlloc(cxt, natts);
	for (int c = 0; c < natts; c++)
		db->want[c] = want == NULL || want[c];
	cb->func = decoder_reset_callback;
	cb->arg = db->codec;
	MemoryContextRegisterResetCallback(cxt, cb);
	return db;
}

/*
 * Whether a decoder decodes exactly the columns whose flag is set (natts
 * flags; NULL: every column).
 */
bool
nf_batch_decoder_wants(const DecodedBatch *db, const bool *want)
{
	for (int c = 0; c < db->natts; c++)
		if (db->want[c] != (want == NULL || want[c]))
			return false;
	return true;
}

/* Delete a decoder and everything it holds. */
static void
decoder_delete(DecodedBatch *db)
{
	MemoryContextDelete(db->cxt);
}

/*
 * Done with a decoder: kept for a later scan when the cache has room, else
 * freed with everything it holds.
 */
void
nf_batch_decoder_free(DecodedBatch *db)
{
	if (db->bytes)
	{
		nf_batch_bytes_free(db->bytes);
		db->bytes = NULL;
	}
	if (!park(db, NULL, db->cxt,
			  MemoryContextMemAllocated(db->cxt, true) + nfc_batch_footprint(db->codec)))
		decoder_delete(db);
}

/* Make the decoder's own arrays of column c hold nrows values. */
static void
own_arrays(DecodedBatch *db, int c, uint32 nrows)
{
	if (db->own_values[c] == NULL || db->own_cap[c] < nrows)
	{
		if (db->own_values[c])
		{
			pfree(db->own_values[c]);
			pfree(db->own_isnull[c]);
		}
		db->own_values[c] = MemoryContextAlloc(db->cxt, sizeof(Datum) * nrows);
		db->own_isnull[c] = MemoryContextAlloc(db->cxt, sizeof(bool) * nrows);
		db->own_cap[c] = nrows;
	}
	db->values[c] = db->own_values[c];
	db->isnull[c] = db->own_isnull[c];
}

/*
 * Make the dictionary arrays of column c hold n entries of elsize bytes
 * each, kept in the decoder's context from batch to batch (a new
 * allocation per batch would cost its page faults each time).
 */
static void
dict_arrays(DecodedBatch *db, int c, uint32 n, Size elsize)
{
	if (db->dict_store[c] != NULL && db->dict_cap[c] >= n)
		return;
	if (db->dict_store[c])
	{
		pfree(db->dict_store[c]);
		pfree(db->dict_vals[c]);
		pfree(db->dict_done[c]);
	}
	n = Max(n, 64);
	db->dict_store[c] = MemoryContextAlloc(db->cxt, elsize * n);
	db->dict_vals[c] = MemoryContextAlloc(db->cxt, sizeof(Datum) * n);
	db->dict_done[c] = MemoryContextAlloc(db->cxt, n);
	db->dict_cap[c] = n;
}

/* Fetches of adjacent wanted columns closer than this are made one. */
#define NF_SLICE_MERGE_GAP (4 * TOAST_MAX_CHUNK_SIZE)

/* A reader of batch bytes, in the current memory context. */
BatchBytes *
nf_batch_bytes_create(void)
{
	MemoryContext cxt;
	BatchBytes *bb;
	int			best = -1;

	/* a kept one (its buffers), the most recently kept */
	for (int i = 0; i < NF_PARKED_MAX; i++)
		if (parked[i].bytes && (best < 0 || parked[i].stamp > parked[best].stamp))
			best = i;
	if (best >= 0)
	{
		bb = parked[best].bytes;
		unpark(best, bb->cxt);
		return bb;
	}
	cxt = AllocSetContextCreate(CurrentMemoryContext,
								"netflow batch bytes",
								ALLOCSET_DEFAULT_SIZES);
	bb = MemoryContextAllocZero(cxt, sizeof(BatchBytes));
	bb->cxt = cxt;
	return bb;
}

/* Delete a reader of batch bytes (closed). */
static void
bytes_delete(BatchBytes *bb)
{
	MemoryContextDelete(bb->cxt);
}

/*
 * Close what a reader of batch bytes opened; kept for a later scan (its
 * buffers, counters reset) when the cache has room, else freed.
 */
void
nf_batch_bytes_free(BatchBytes *bb)
{
	if (bb->toastrel)
		table_close(bb->toastrel, NoLock);
	/* the per-batch fields are set by nf_batch_bytes_load */
	bb->toastrel = NULL;
	bb->bytes_read = 0;
	bb->bytes_total = 0;
	if (!park(NULL, bb, bb->cxt, MemoryContextMemAllocated(bb->cxt, true)))
		bytes_delete(bb);
}

/* Make buf (and the slice scratch) hold len bytes. */
static void
bytes_reserve(BatchBytes *bb, uint32 len)
{
	uint32		cap = Max(bb->cap, 64 * 1024);

	if (bb->buf != NULL && bb->cap >= len)
		return;
	while (cap < len)
		cap = cap > MaxAllocSize / 4 ? MaxAllocSize - VARHDRSZ : cap * 2;
	if (bb->buf)
	{
		pfree(bb->buf);
		pfree(bb->slice);
	}
	bb->buf = MemoryContextAlloc(bb->cxt, cap);
	bb->slice = MemoryContextAlloc(bb->cxt, (Size) cap + VARHDRSZ);
	bb->cap = cap;
}

/*
 * Take the batch of a batch row: its number, row count and where its bytes
 * are.  A batch kept out of line without compression is read later, by
 * column ranges (nf_batch_decode_bytes); any other is detoasted whole now.
 */
void
nf_batch_bytes_load(Relation rel, BatchReader *reader, HeapTuple batchtup,
					BatchBytes *bb)
{
	TupleDesc	bdesc = RelationGetDescr(reader->batchrel);
	bool		isnull;
	Datum		d;
	struct varlena *v;

	bb->batch_no = DatumGetInt32(heap_getattr(batchtup, Anum_batch_batch_no, bdesc, &isnull));
	bb->row_count = DatumGetInt32(heap_getattr(batchtup, Anum_batch_row_count, bdesc, &isnull));
	bb->ncols = 0;
	bb->prefix = 0;
	bb->complete = false;
	d = heap_getattr(batchtup, Anum_batch_data, bdesc, &isnull);
	if (isnull)
		batch_corrupt(rel, bb->batch_no, "The batch has no data.");
	v = (struct varlena *) DatumGetPointer(d);
	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		VARATT_EXTERNAL_GET_POINTER(bb->toast, v);
		if (!VARATT_EXTERNAL_IS_COMPRESSED(bb->toast))
		{
			bb->toastrelid = reader->batchrel->rd_rel->reltoastrelid;
			if (bb->toast.va_toastrelid != bb->toastrelid)
				batch_corrupt(rel, bb->batch_no,
							  psprintf("The batch data refers to TOAST table %u, the TOAST table of netflow.compressed_batches is %u.",
									   bb->toast.va_toastrelid, bb->toastrelid));
			bb->len = VARATT_EXTERNAL_GET_EXTSIZE(bb->toast);
			bytes_reserve(bb, bb->len);
			bb->bytes_total += bb->len;
			return;
		}
	}
	/* inline, or compressed by TOAST (written by hand): all at once */
	{
		MemoryContext old = MemoryContextSwitchTo(bb->cxt);
		struct varlena *full = detoast_attr(v);

		MemoryContextSwitchTo(old);
		bb->len = VARSIZE_ANY_EXHDR(full);
		bytes_reserve(bb, bb->len);
		memcpy(bb->buf, VARDATA_ANY(full), bb->len);
		if (full != v)
			pfree(full);
	}
	bb->complete = true;
	bb->bytes_total += bb->len;
	bb->bytes_read += bb->len;
}

/* Read bytes [off, off + n) of the batch from its TOAST table into buf. */
static void
bytes_read(BatchBytes *bb, uint32 off, uint32 n)
{
	Assert(!bb->complete && off <= bb->len && n <= bb->len - off);
	if (n == 0)
		return;
	if (bb->toastrel == NULL)
		bb->toastrel = table_open(bb->toastrelid, AccessShareLock);
	SET_VARSIZE(bb->slice, n + VARHDRSZ);
	table_relation_fetch_toast_slice(bb->toastrel, bb->toast.va_valueid,
									 (int32) bb->len, (int32) off, (int32) n,
									 bb->slice);
	memcpy(bb->buf + off, VARDATA(bb->slice), n);
	bb->bytes_read += n;
}

/*
 * Read the header and column directory of the batch (at its first fetch,
 * or when asked about a column's NULLs).
 */
static void
bytes_directory(Relation rel, BatchBytes *bb)
{
	uint32		first = Min(bb->len, (uint32) TOAST_MAX_CHUNK_SIZE);
	uint32		dirlen;
	int			ncols;
	uint32		nrows;
	char		err[256];

	if (bb->complete)
		first = bb->len;		/* all there: no fetch */
	else
		bytes_read(bb, 0, first);
	bb->prefix = first;
	if (nfc_peek((const uint8_t *) bb->buf, bb->prefix, &ncols, &nrows) != 0)
		batch_corrupt(rel, bb->batch_no, "The batch header is not valid.");
	dirlen = NFC_HEADER_SIZE + (uint32) ncols * NFC_DIR_ENTRY_SIZE;
	if (dirlen > bb->len)
		batch_corrupt(rel, bb->batch_no, "The column directory runs past the end of the batch.");
	if (dirlen > bb->prefix)
	{
		Assert(!bb->complete);
		bytes_read(bb, bb->prefix, dirlen - bb->prefix);
		bb->prefix = dirlen;
	}
	if (bb->st_cap < ncols)
	{
		if (bb->st)
		{
			pfree(bb->st);
			pfree(bb->have);
			pfree(bb->need);
		}
		bb->st = MemoryContextAlloc(bb->cxt, sizeof(NfcColumnStat) * ncols);
		bb->have = MemoryContextAlloc(bb->cxt, ncols);
		bb->need = MemoryContextAlloc(bb->cxt, ncols);
		bb->st_cap = ncols;
	}
	if (nfc_column_stats((const uint8_t *) bb->buf, bb->len, bb->st, ncols,
						 &ncols, err, sizeof(err)) != 0)
		batch_corrupt(rel, bb->batch_no, err);
	bb->ncols = ncols;
	for (int c = 0; c < ncols; c++)
		bb->have[c] = bb->st[c].offset + bb->st[c].storedlen <= bb->prefix;
}

/*
 * Whether column col (0-based attribute number) of the batch bb holds has
 * no NULL, from its column directory (read now if it was not).  A column
 * the batch lacks (added after compression) counts as having NULLs.
 */
bool
nf_batch_bytes_null_free(Relation rel, BatchBytes *bb, int col)
{
	if (bb->ncols == 0)
		bytes_directory(rel, bb);
	return col >= 0 && col < bb->ncols && bb->st[col].nullmode == 0;
}

/*
 * Make the bytes of the columns flagged in want (nwant flags; NULL: all)
 * and of the columns they are stored relative to valid in buf, reading
 * each run of them (gaps under NF_SLICE_MERGE_GAP included) as one slice.
 */
static void
bytes_fetch(Relation rel, BatchBytes *bb, const uint8 *want, int nwant)
{
	int			c;

	if (bb->complete)
		return;
	if (want == NULL || bb->len <= NF_SLICE_MERGE_GAP)
	{
		bytes_read(bb, bb->prefix, bb->len - bb->prefix);
		bb->prefix = bb->len;
		bb->complete = true;
		return;
	}
	if (bb->ncols == 0)
		bytes_directory(rel, bb);
	for (c = 0; c < bb->ncols; c++)
		bb->need[c] = c < nwant && want[c] && !bb->have[c];
	for (c = bb->ncols - 1; c >= 0; c--)
		if ((bb->need[c] || (c < nwant && want[c])) && bb->st[c].ref >= 0 &&
			!bb->have[bb->st[c].ref])
			bb->need[bb->st[c].ref] = 1;
	c = 0;
	while (c < bb->ncols)
	{
		uint32		start,
					end;
		int			last;

		if (!bb->need[c])
		{
			c++;
			continue;
		}
		/* columns are stored in column order: extend over the next needed */
		start = bb->st[c].offset;
		end = start + bb->st[c].storedlen;
		last = c;
		for (int n = c + 1; n < bb->ncols; n++)
		{
			if (!bb->need[n])
				continue;
			if (bb->st[n].offset - end > NF_SLICE_MERGE_GAP)
				break;
			end = bb->st[n].offset + bb->st[n].storedlen;
			last = n;
		}
		/* bytes [0, prefix) were read with the directory */
		start = Max(start, Min(bb->prefix, end));
		bytes_read(bb, start, end - start);
		for (int n = c; n <= last; n++)
			bb->have[n] = 1;
		c = last + 1;
	}
}

/*
 * Decode one batch row of rel into db (the columns it wants), replacing the
 * batch it held.  Any inconsistency is an ERROR (never a crash).
 */
void
nf_batch_decode(Relation rel, BatchReader *reader, HeapTuple batchtup,
				DecodedBatch *db)
{
	if (db->bytes == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(db->cxt);

		db->bytes = nf_batch_bytes_create();
		MemoryContextSwitchTo(old);
	}
	nf_batch_bytes_load(rel, reader, batchtup, db->bytes);
	nf_batch_decode_bytes(rel, db->bytes, db);
}

/*
 * Decode the batch bb holds (nf_batch_bytes_load; bb stays unchanged while
 * db's values are used) into db, replacing the batch it held: the bytes of
 * the columns db wants are read first.  Several decoders may decode the
 * same bb, each its own columns.
 */
void
nf_batch_decode_bytes(Relation rel, BatchBytes *bb, DecodedBatch *db)
{
	nf_batch_decode_bytes_sel(rel, bb, db, NULL, 0);
}

/*
 * nf_batch_decode_bytes for the nsel rows listed in sel (ascending, each
 * below the batch's row count; sel NULL: every row): db's values and null
 * flags are valid at those rows only, and its dict and idx arrays are not
 * set (the filter reads them: it needs a full decode).
 */
void
nf_batch_decode_bytes_sel(Relation rel, BatchBytes *bb, DecodedBatch *db,
						  const uint32 *sel, uint32 nsel)
{
	bool		all = true;

	for (int c = 0; c < db->natts; c++)
		all &= db->want[c] != 0;
	bytes_fetch(rel, bb, all ? NULL : db->want, db->natts);
	decode_body(rel, bb->batch_no, bb->row_count, (const uint8_t *) bb->buf,
				bb->len, db, sel, nsel);
}

/*
 * Decode the len bytes of a batch at data (valid at least in the columns
 * db wants) into db, replacing its values: every row, or
 * (sel not NULL) the nsel rows of sel only.
 */
static void
decode_body(Relation rel, int32 batch_no, int32 row_count, const uint8_t *data,
			uint32 len, DecodedBatch *db, const uint32 *sel, uint32 nsel)
{
	TupleDesc	desc = RelationGetDescr(rel);
	NfcBatch   *nb = db->codec;
	char		err[256];

	StaticAssertStmt(sizeof(bool) == sizeof(uint8_t), "bool is not one byte");
	Assert(db->natts == desc->natts);
	db->nrows = 0;

	if (nfc_decode_cols_sel(data, len, db->want, db->natts, sel, nsel, nb,
							err, sizeof(err)) != 0)
		batch_corrupt(rel, batch_no, err);
	if ((int32) nb->nrows != row_count)
		batch_corrupt(rel, batch_no,
					  psprintf("The batch holds %u rows, its row_count says %d.",
							   nb->nrows, row_count));
	if (nb->ncols > desc->natts)
		batch_corrupt(rel, batch_no,
					  psprintf("The batch has %d columns, the table %d.",
							   nb->ncols, desc->natts));
	for (int c = 0; c < nb->ncols; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);

		if (!att->attisdropped && nf_column_kind(att->atttypid) != nb->cols[c].kind)
			batch_corrupt(rel, batch_no,
						  psprintf("Column %d of the batch does not match the type of column \"%s\".",
								   c + 1, NameStr(att->attname)));
	}

	for (int c = 0; c < desc->natts; c++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, c);
		NfcColumn  *col;

		db->values[c] = NULL;
		db->isnull[c] = NULL;
		db->dict[c] = NULL;
		db->ndict[c] = 0;
		db->idx[c] = NULL;
		if (!db->want[c])
			continue;
		if (att->attisdropped)
		{
			own_arrays(db, c, nb->nrows);
			memset(db->isnull[c], true, nb->nrows);
			continue;
		}
		if (c >= nb->ncols)
		{
			/* a column added after compression: its missing value */
			bool		miss_null;
			Datum		miss = getmissingattr(desc, c + 1, &miss_null);

			own_arrays(db, c, nb->nrows);
			for (uint32 i = 0; i < nb->nrows; i++)
			{
				db->values[c][i] = miss;
				db->isnull[c][i] = miss_null;
			}
			continue;
		}
		col = &nb->cols[c];
		Assert(col->decoded);
		if (col->kind == NFC_KIND_INT)
		{
#if SIZEOF_DATUM == 8
			/*
			 * A Datum of int2, int4, int8 or timestamptz is the value
			 * sign-extended to 64 bits: the codec's int64 array is the
			 * Datum array, and its 0/1 null flags the bool array.
			 */
			db->values[c] = (Datum *) col->ints;
			db->isnull[c] = (bool *) col->isnull;
#else
			own_arrays(db, c, nb->nrows);
			memcpy(db->isnull[c], col->isnull, nb->nrows);
			for (uint32 k = 0; k < (sel ? nsel : nb->nrows); k++)
			{
				uint32		i = sel ? sel[k] : k;

				switch (att->atttypid)
				{
					case INT2OID:
						db->values[c][i] = Int16GetDatum((int16) col->ints[i]);
						break;
					case INT4OID:
						db->values[c][i] = Int32GetDatum((int32) col->ints[i]);
						break;
					default:
						db->values[c][i] = Int64GetDatum(col->ints[i]);
						break;
				}
			}
#endif
		}
		else
		{
			/*
			 * The dictionary's entries become values: every one for all the
			 * rows (the filter evaluates its operator on each entry), or,
			 * for a few rows, only those they use, each once (done[e]).
			 */
			Size		elsize = MAXALIGN(att->atttypid == MACADDROID ? sizeof(macaddr) : sizeof(inet));
			uint32		nout = sel ? nsel : nb->nrows;
			const bool *n = (const bool *) col->isnull;
			char	   *store;
			Datum	   *dict;
			bool	   *done;
			Datum	   *v;

			dict_arrays(db, c, col->ndict + 1, elsize);
			store = db->dict_store[c];
			dict = db->dict_vals[c];
			done = db->dict_done[c];
			memset(done, false, col->ndict + 1);
			if (sel == NULL)
			{
				for (uint32 k = 0; k < col->ndict; k++)
					dict[k] = bytes_datum(rel, batch_no, att->atttypid,
										  col->dict[k], col->dictlen[k],
										  store + k * elsize);
				memset(done, true, col->ndict);
				db->dict[c] = dict;
				db->ndict[c] = col->ndict;
				db->idx[c] = col->idx;
			}
			own_arrays(db, c, nb->nrows);
			v = db->values[c];
			db->isnull[c] = (bool *) col->isnull;
			for (uint32 k = 0; k < nout; k++)
			{
				uint32		i = sel ? sel[k] : k;
				uint32		e = col->idx[i];

				if (n[i])
				{
					v[i] = (Datum) 0;
					continue;
				}
				Assert(e < col->ndict);
				if (!done[e])
				{
					dict[e] = bytes_datum(rel, batch_no, att->atttypid,
										  col->dict[e], col->dictlen[e],
										  store + e * elsize);
					done[e] = true;
				}
				v[i] = dict[e];
			}
		}
	}
	db->nrows = nb->nrows;
}

/* Delete (transactionally) every batch of rel stored under relfilenode. */
void
nf_batch_purge(Relation rel, Oid relfilenode)
{
	Oid			batchoid = nf_batch_table_oid(true);
	Relation	batchrel;
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	Snapshot	snap;

	if (!OidIsValid(batchoid))
		return;
	batchrel = table_open(batchoid, RowExclusiveLock);
	ScanKeyInit(&key[0], Anum_batch_relid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(RelationGetRelid(rel)));
	ScanKeyInit(&key[1], Anum_batch_relfilenode, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(relfilenode));
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan(batchrel, batch_index_oid(), true, snap, 2, key);
	while ((tup = systable_getnext(scan)) != NULL)
		simple_heap_delete(batchrel, &tup->t_self);
	systable_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(batchrel, NoLock);
}

/*
 * Rows and stored bytes of the batches of rel visible to snapshot (NULL: a
 * snapshot taken now).
 */
void
nf_batch_totals(Relation rel, Snapshot snapshot, double *rows, double *bytes)
{
	BatchReader *r;
	HeapTuple	tup;
	TupleDesc	bdesc;
	Snapshot	latest = NULL;

	*rows = 0;
	*bytes = 0;
	if (!OidIsValid(nf_batch_table_oid(true)))
		return;
	if (snapshot == NULL)
		snapshot = latest = RegisterSnapshot(GetLatestSnapshot());
	r = nf_batch_reader_open(rel, snapshot, AccessShareLock);
	bdesc = RelationGetDescr(r->batchrel);
	while ((tup = nf_batch_reader_next(r)) != NULL)
	{
		bool		isnull;
		Datum		d;

		*rows += nf_batch_row_count(r, tup);
		d = heap_getattr(tup, Anum_batch_data, bdesc, &isnull);
		if (!isnull)
			*bytes += toast_datum_size(d);
	}
	nf_batch_reader_close(r);
	if (latest)
		UnregisterSnapshot(latest);
}
