/*-------------------------------------------------------------------------
 *
 * compressed_scan.c
 *	  Sequential and parallel sequential scans of netflow_compressed
 *	  relations: first the rows of the batches (in batch_no order, decoded
 *	  one batch at a time), then the heap tail through heapam's own scan.
 *	  A parallel scan hands out whole batches to the participants with a
 *	  shared counter, then the tail's blocks the way heapam does.  ANALYZE
 *	  samples the tail's blocks through heapam and the rows of the batches
 *	  as virtual blocks after them (nf_analyze_blocks); TABLESAMPLE sees
 *	  the tail's blocks and then each batch as blocks of up to 2,048 rows,
 *	  in whatever order its method visits them.
 *
 *	  Rows of batches are stored in the slot as virtual tuples whose values
 *	  point into the decoded batch (valid until the next batch is decoded),
 *	  with the TID (NF_COMPRESSED_BLOCK, 1) that UPDATE, DELETE and row
 *	  locks refuse (compressed_tam.c).  A buffer heap tuple slot forms a
 *	  heap tuple from them only when something asks for one.
 *
 *	  The custom scan (compressed_customscan.c) narrows a scan before its
 *	  first row: the columns to decode, and ranges of time_start, time_end
 *	  and time_received that let whole batches be skipped by the bounds
 *	  compressed_batches keeps of these columns.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/tableam.h"
#include "access/tsmapi.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/bufmgr.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "batch_codec.h"
#include "compressed_tam.h"

/* How the values [bmin, bmax] of a batch's column lie against a range. */
typedef enum NfBoundsFit
{
	NF_BOUNDS_OUTSIDE,			/* no value can satisfy the range */
	NF_BOUNDS_OVERLAP,			/* some may */
	NF_BOUNDS_INSIDE			/* every (non-NULL) value does */
} NfBoundsFit;

/*
 * The columns a batch's rows carry: their 0-based attribute numbers and,
 * for each, the decoder holding its values.
 */
typedef struct ColumnMap
{
	int			n;
	int		   *att;
	DecodedBatch **src;
} ColumnMap;

/* Shared state of a parallel scan: heapam's, then the next batch to hand out. */
typedef struct CompressedParallelScanData
{
	ParallelBlockTableScanDescData heap;
	pg_atomic_uint64 next_batch;
} CompressedParallelScanData;

/* Scan state: the batch part, then the tail's heap scan. */
typedef struct CompressedScanDescData
{
	TableScanDescData rs_base;	/* must be first */
	TableScanDesc heap;			/* scan of the heap tail */
	bool		read_batches;	/* this scan returns batch rows */
	bool		in_tail;		/* batches done */
	BatchReader *reader;		/* NULL once every batch was read */
	uint64		reader_pos;		/* index of the batch the reader returns next */
	DecodedBatch *cur;			/* the decoder, created at the first batch */
	DecodedBatch *cur2;			/* with a filter: the decoder of the columns
								 * the filter does not use, or NULL */
	bool		have_batch;		/* cur holds a batch being returned */
	uint32		currow;			/* next row (index in sel with a filter) */
	uint32		nout;			/* rows of the batch to return */
	NfBatchFilter *filter;		/* fast quals, or NULL */
	bool	   *fwant;			/* columns the filter uses */
	uint32	   *sel;			/* rows the filter selected */
	uint32		selcap;
	BatchBytes *bytes;			/* the stored bytes of the current batch */
	uint64		rows_filtered;	/* rows the filter removed */
	MemoryContext scancxt;		/* where the decoder lives */
	bool	   *want;			/* columns to decode; NULL: all */
	ColumnMap	map;			/* the columns of a batch's rows */
	TupleTableSlot *prepared;	/* slot whose other columns are set NULL */
	NfScanRanges ranges;		/* batches outside any of them are skipped */
	bool	   *owant;			/* set: every qual is a range of a skipping
								 * column, and these are the columns the rows
								 * must carry (the target list's) */
	AttrNumber	skip_att[NF_NSKIP]; /* 1-based attnums of the skipping columns */
	DecodedBatch *curo;			/* decoder of owant, for batches inside the ranges */
	ColumnMap	mapo;			/* its columns */
	NfBoundsFit batch_fit;		/* of the current batch */
	bool		batch_inside;	/* every row of it passes every qual */
	bool		filter_exact;	/* the rows filter selects pass every qual */
	uint64		batches_inside;
	uint64		batches_read;
	uint64		batches_skipped;
	uint64		batches_addr_skipped;	/* ruled out by their address filter */
	CompressedParallelScanData *shared;
	/* ANALYZE: the rows of the batches as virtual blocks after the tail's */
	NfAnalyzeBlocks ablocks;
	Snapshot	asnap;			/* registered: reads the batches */
	bool		avirtual;		/* the sampled block is a virtual one */
	BlockNumber ablock;			/* which */
	uint64		arow;			/* its next row (index over every batch) */
	uint64		aend;			/* and the end of its rows */
	uint64		abatch_lo;		/* the rows cur holds: [abatch_lo, abatch_hi) */
	uint64		abatch_hi;
	uint64		apassed;		/* rows of the batches the reader returned */
	/* TABLESAMPLE: the tail's blocks, then blocks of the batches' rows */
	bool		sbegun;			/* the first block was chosen */
	BlockNumber stail;			/* the tail's blocks when it was */
	BlockNumber sblock;			/* the block chosen last */
	bool		svirtual;		/* it is one of the batches' */
	int			snbatch;		/* batches read (sbatch != NULL) */
	HeapTuple  *sbatch;			/* their rows, copied, in batch_no order */
	uint32	   *srows;			/* the rows of each */
	uint64	   *sfirst;			/* its first block (after the tail's);
								 * sfirst[snbatch]: blocks of all */
	int			scur;			/* the batch cur holds, or -1 */
	uint32		sstart;			/* the chosen block's first row in it */
	uint32		sn;				/* and its rows */
} CompressedScanDescData;

typedef CompressedScanDescData *CompressedScanDesc;

static const TableAmRoutine *heapam;

/*
 * With a filter, the columns it does not use are decoded only at the rows
 * it selected when they are at most one in NF_SELECTIVE_DECODE_RATIO of the
 * batch (a host's flows among a batch's 10,000): random access into each
 * column then costs less than unpacking every row.  Above it, a full
 * decode, whose sequential loops are faster per row.  Measured by
 * test/storage/bench_selective.c (30 columns, 10,000 rows): the codec's
 * selective decode of a quarter of the rows took 0.45x the time of a full
 * decode, of half of them about as long (0.98x), and the full decode also
 * builds every inet/macaddr dictionary entry here.
 */
#define NF_SELECTIVE_DECODE_RATIO 4

/* Begin a scan: heapam's scan of the tail plus, for a sequential scan, the batches. */
static TableScanDesc
compressed_scan_begin(Relation rel, Snapshot snapshot, int nkeys,
					  struct ScanKeyData *key, ParallelTableScanDesc pscan,
					  uint32 flags)
{
	CompressedScanDesc scan = palloc0(sizeof(CompressedScanDescData));

	scan->rs_base.rs_rd = rel;
	scan->rs_base.rs_snapshot = snapshot;
	scan->rs_base.rs_nkeys = nkeys;
	scan->rs_base.rs_key = key;
	scan->rs_base.rs_flags = flags;
	scan->rs_base.rs_parallel = pscan;
	if (flags & SO_TYPE_ANALYZE)
	{
		/* before heapam's scan takes the size again (tail rows may be added) */
		if (!nf_analyze_blocks_taken(rel, &scan->ablocks))
			nf_analyze_blocks(0, nf_tail_blocks(rel), &scan->ablocks);
		if (scan->ablocks.nvirtual > 0)
			scan->asnap = RegisterSnapshot(GetLatestSnapshot());
	}
	scan->heap = heapam->scan_begin(rel, snapshot, nkeys, key, pscan, flags);
	scan->shared = (CompressedParallelScanData *) pscan;
	/* Only sequential scans see the batches (others are refused). */
	scan->read_batches = (flags & SO_TYPE_SEQSCAN) != 0 && snapshot != NULL;
	if (scan->read_batches && nkeys > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("scan keys are not supported on compressed partition \"%s\"",
						RelationGetRelationName(rel))));
	scan->in_tail = !scan->read_batches;
	scan->scancxt = CurrentMemoryContext;
	return &scan->rs_base;
}

/* Close the batch reader, if open. */
static void
close_reader(CompressedScanDesc scan)
{
	if (scan->reader)
	{
		nf_batch_reader_close(scan->reader);
		scan->reader = NULL;
	}
}

/*
 * The distinct decoders of a scan (curo may be cur or cur2) into d[0 ..
 * 2]; returns how many.
 */
static int
scan_decoders(CompressedScanDesc scan, DecodedBatch **d)
{
	int			n = 0;

	if (scan->cur)
		d[n++] = scan->cur;
	if (scan->cur2)
		d[n++] = scan->cur2;
	if (scan->curo && scan->curo != scan->cur && scan->curo != scan->cur2)
		d[n++] = scan->curo;
	return n;
}

/* End a scan. */
static void
compressed_scan_end(TableScanDesc sscan)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;
	DecodedBatch *d[3];
	int			nd = scan_decoders(scan, d);

	close_reader(scan);
	heapam->scan_end(scan->heap);
	for (int i = 0; i < nd; i++)
		nf_batch_decoder_free(d[i]);
	if (scan->bytes)
		nf_batch_bytes_free(scan->bytes);
	if (scan->want)
		pfree(scan->want);
	if (scan->map.att)
		pfree(scan->map.att);
	if (scan->asnap)
		UnregisterSnapshot(scan->asnap);
	pfree(scan);
}

/* Restart a scan from the first batch. */
static void
compressed_scan_rescan(TableScanDesc sscan, struct ScanKeyData *key,
					   bool set_params, bool allow_strat, bool allow_sync,
					   bool allow_pagemode)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	/* a sample scan keeps the reader of the batch rows it copied */
	if (scan->sbatch == NULL)
		close_reader(scan);
	heapam->scan_rescan(scan->heap, key, set_params, allow_strat, allow_sync,
						allow_pagemode);
	scan->have_batch = false;
	scan->prepared = NULL;
	scan->currow = 0;
	scan->reader_pos = 0;
	scan->in_tail = !scan->read_batches;
	scan->sbegun = false;
	scan->rs_base.rs_flags = scan->heap->rs_flags;
}

/* Where [bmin, bmax] lies against the range. */
static NfBoundsFit
range_fit(const NfTimeRange *range, TimestampTz bmin, TimestampTz bmax)
{
	if (range->empty)
		return NF_BOUNDS_OUTSIDE;
	if (range->has_lo && (bmax < range->lo || (bmax == range->lo && !range->lo_incl)))
		return NF_BOUNDS_OUTSIDE;
	if (range->has_hi && (bmin > range->hi || (bmin == range->hi && !range->hi_incl)))
		return NF_BOUNDS_OUTSIDE;
	if (range->has_lo && (bmin < range->lo || (bmin == range->lo && !range->lo_incl)))
		return NF_BOUNDS_OVERLAP;
	if (range->has_hi && (bmax > range->hi || (bmax == range->hi && !range->hi_incl)))
		return NF_BOUNDS_OVERLAP;
	return NF_BOUNDS_INSIDE;
}

/*
 * The bounds compressed_batches keeps of skipping column k for the batch
 * row; false when it keeps none (no value, or a batch of an old version).
 */
static bool
batch_bounds(CompressedScanDesc scan, HeapTuple tup, int k,
			 TimestampTz *bmin, TimestampTz *bmax)
{
	TupleDesc	bdesc = RelationGetDescr(scan->reader->batchrel);
	bool		minnull,
				maxnull;
	Datum		lo = heap_getattr(tup, nf_skip_columns[k].anum_min, bdesc, &minnull);
	Datum		hi = heap_getattr(tup, nf_skip_columns[k].anum_max, bdesc, &maxnull);

	if (minnull || maxnull)
		return false;
	*bmin = DatumGetTimestampTz(lo);
	*bmax = DatumGetTimestampTz(hi);
	return true;
}

/*
 * Where the batch row lies against the ranges of the skipping columns:
 * outside when one excludes it (or is empty), inside when every active
 * range (one at least) holds its bounds, else overlapping (also when a
 * bound is not kept: no value, or a batch of an old version).
 */
static NfBoundsFit
batch_fit(CompressedScanDesc scan, HeapTuple tup)
{
	bool		any = false;
	bool		inside = true;

	for (int k = 0; k < NF_NSKIP; k++)
	{
		const NfTimeRange *range = &scan->ranges.col[k];
		TimestampTz bmin,
					bmax;
		NfBoundsFit fit;

		if (!range->active)
			continue;
		if (range->empty)
			return NF_BOUNDS_OUTSIDE;
		any = true;
		if (!batch_bounds(scan, tup, k, &bmin, &bmax))
		{
			inside = false;
			continue;
		}
		fit = range_fit(range, bmin, bmax);
		if (fit == NF_BOUNDS_OUTSIDE)
			return NF_BOUNDS_OUTSIDE;
		inside &= fit == NF_BOUNDS_INSIDE;
	}
	return any && inside ? NF_BOUNDS_INSIDE : NF_BOUNDS_OVERLAP;
}

/*
 * Whether the columns of the active ranges have no NULL in the batch bb
 * holds (a NULL fails a comparison; the bounds ignore NULLs): reads its
 * column directory.
 */
static bool
ranges_null_free(CompressedScanDesc scan)
{
	for (int k = 0; k < NF_NSKIP; k++)
		if (scan->ranges.col[k].active &&
			(scan->skip_att[k] == 0 ||
			 !nf_batch_bytes_null_free(scan->rs_base.rs_rd, scan->bytes,
									   scan->skip_att[k] - 1)))
			return false;
	return true;
}

/*
 * Open the batch reader (under snapshot) if it is not; false when it was
 * read to the end already.
 */
static bool
reader_open(CompressedScanDesc scan, Snapshot snapshot)
{
	if (scan->reader == NULL)
	{
		if (scan->reader_pos > 0)
			return false;
		scan->reader = nf_batch_reader_open(scan->rs_base.rs_rd, snapshot,
											AccessShareLock);
	}
	return true;
}

/*
 * The reader's next batch row, counted in reader_pos; NULL (the reader
 * closed) at the end.
 */
static HeapTuple
reader_next(CompressedScanDesc scan)
{
	HeapTuple	tup = nf_batch_reader_next(scan->reader);

	if (tup == NULL)
	{
		close_reader(scan);
		scan->reader_pos = PG_UINT64_MAX;
		return NULL;
	}
	scan->reader_pos++;
	return tup;
}

/*
 * Whether the filter can select a row of the batch row's batch, as far as
 * its address filter tells (true when it has none).
 */
static bool
addr_may_match(CompressedScanDesc scan, HeapTuple tup)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, Anum_batch_addr_filter,
								 RelationGetDescr(scan->reader->batchrel), &isnull);
	struct varlena *v,
			   *full;
	bool		may;

	if (isnull)
		return true;
	v = (struct varlena *) DatumGetPointer(d);
	full = detoast_attr(v);
	may = nf_batch_filter_may_match(scan->filter, (const uint8 *) VARDATA_ANY(full),
									VARSIZE_ANY_EXHDR(full));
	if (full != v)
		pfree(full);
	return may;
}

/*
 * The next batch row this participant should read, that the ranges do not
 * exclude and that its address filter does not rule out; NULL when no
 * batch is left.
 */
static HeapTuple
next_batch_tuple(CompressedScanDesc scan)
{
	uint64		target;
	HeapTuple	tup;

	if (!reader_open(scan, scan->rs_base.rs_snapshot))
		return NULL;
	for (;;)
	{
		target = scan->shared ? pg_atomic_fetch_add_u64(&scan->shared->next_batch, 1)
			: scan->reader_pos;
		do
		{
			tup = reader_next(scan);
			if (tup == NULL)
				return NULL;
		} while (scan->reader_pos - 1 != target);
		scan->batch_fit = batch_fit(scan, tup);
		if (scan->batch_fit == NF_BOUNDS_OUTSIDE)
			scan->batches_skipped++;
		else if (nf_batch_filter_uses_addr(scan->filter) && !addr_may_match(scan, tup))
			scan->batches_addr_skipped++;
		else
			return tup;
		CHECK_FOR_INTERRUPTS();
	}
}

/* An empty column map for up to natts columns (current memory context). */
static void
map_init(ColumnMap *m, int natts)
{
	m->n = 0;
	m->att = palloc(sizeof(int) * Max(natts, 1));
	m->src = palloc(sizeof(DecodedBatch *) * Max(natts, 1));
}

/* Add column att (0-based), whose values decoder d holds, to a map. */
static void
map_add(ColumnMap *m, int att, DecodedBatch *d)
{
	m->att[m->n] = att;
	m->src[m->n++] = d;
}

/*
 * Create the decoders at the first batch: without a filter, one for every
 * column wanted; with one, one for the filter's columns (decoded first)
 * and one for the other columns wanted (decoded only for batches where the
 * filter selects a row); with owant, one more for the batches inside every
 * range.  All read the batch from one BatchBytes, which fetches the bytes
 * of each decoder's columns when it decodes.
 */
static void
create_decoders(CompressedScanDesc scan)
{
	MemoryContext old = MemoryContextSwitchTo(scan->scancxt);
	Relation	rel = scan->rs_base.rs_rd;
	int			natts = RelationGetDescr(rel)->natts;

	map_init(&scan->map, natts);
	scan->bytes = nf_batch_bytes_create();
	if (scan->filter == NULL)
	{
		scan->cur = nf_batch_decoder_create(rel, scan->want);
		for (int c = 0; c < natts; c++)
			if (scan->want == NULL || scan->want[c])
				map_add(&scan->map, c, scan->cur);
	}
	else
	{
		bool	   *rest = palloc0(sizeof(bool) * natts);
		bool		any = false;

		for (int c = 0; c < natts; c++)
		{
			rest[c] = (scan->want == NULL || scan->want[c]) && !scan->fwant[c];
			any |= rest[c];
		}
		scan->cur = nf_batch_decoder_create(rel, scan->fwant);
		scan->cur2 = any ? nf_batch_decoder_create(rel, rest) : NULL;
		for (int c = 0; c < natts; c++)
			if (scan->fwant[c] || rest[c])
				map_add(&scan->map, c, scan->fwant[c] ? scan->cur : scan->cur2);
	}
	if (scan->owant)
	{
		/*
		 * The decoder of the batches inside the ranges is the one of the same
		 * columns when there is one (the target list's, often those the
		 * filter does not use): one set of arrays touched instead of two.
		 */
		if (nf_batch_decoder_wants(scan->cur, scan->owant))
			scan->curo = scan->cur;
		else if (scan->cur2 && nf_batch_decoder_wants(scan->cur2, scan->owant))
			scan->curo = scan->cur2;
		else
			scan->curo = nf_batch_decoder_create(rel, scan->owant);
		map_init(&scan->mapo, natts);
		for (int c = 0; c < natts; c++)
			if (scan->owant[c])
				map_add(&scan->mapo, c, scan->curo);
	}
	MemoryContextSwitchTo(old);
}

/*
 * Begin reading batch row tup: the decoders made at the first batch, its
 * stored bytes loaded, counted as read; the caller decodes into the
 * decoder it needs.
 */
static void
begin_batch(CompressedScanDesc scan, HeapTuple tup)
{
	if (scan->cur == NULL)
		create_decoders(scan);
	nf_batch_bytes_load(scan->rs_base.rs_rd, scan->reader, tup, scan->bytes);
	scan->batches_read++;
	scan->prepared = NULL;
}

/*
 * Decode the next batch this participant should read, that the ranges do
 * not exclude and where the filter (if any) selects a row; false when no
 * batch is left.
 */
static bool
load_next_batch(CompressedScanDesc scan)
{
	Relation	rel = scan->rs_base.rs_rd;
	HeapTuple	tup;

	for (;;)
	{
		tup = next_batch_tuple(scan);
		if (tup == NULL)
			return false;
		begin_batch(scan, tup);
		scan->currow = 0;
		scan->batch_inside = scan->owant != NULL &&
			scan->batch_fit == NF_BOUNDS_INSIDE && ranges_null_free(scan);
		if (scan->batch_inside)
		{
			/* every row passes every qual: no filter, the target list's columns */
			nf_batch_decode_bytes(rel, scan->bytes, scan->curo);
			scan->nout = scan->curo->nrows;
			scan->batches_inside++;
			break;
		}
		nf_batch_decode_bytes(rel, scan->bytes, scan->cur);
		if (scan->filter == NULL)
		{
			scan->nout = scan->cur->nrows;
			break;
		}

		/* the rows the filter selects, then the other columns */
		if (scan->selcap < scan->cur->nrows)
		{
			if (scan->sel)
				pfree(scan->sel);
			scan->selcap = scan->cur->nrows;
			scan->sel = MemoryContextAlloc(scan->scancxt, sizeof(uint32) * scan->selcap);
		}
		scan->nout = nf_batch_filter_eval(scan->filter, scan->cur, scan->sel);
		scan->rows_filtered += scan->cur->nrows - scan->nout;
		if (scan->nout == 0)
		{
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (scan->cur2 == NULL)
			break;
		if ((uint64) scan->nout * NF_SELECTIVE_DECODE_RATIO <= scan->cur->nrows)
			nf_batch_decode_bytes_sel(rel, scan->bytes, scan->cur2, scan->sel,
									  scan->nout);
		else
			nf_batch_decode_bytes(rel, scan->bytes, scan->cur2);
		break;
	}
	scan->have_batch = true;
	return true;
}

/*
 * Store row r of the batch the decoders hold, the columns of map m, in
 * slot (a virtual tuple pointing into the decoded batch).
 */
static void
store_batch_row(CompressedScanDesc scan, const ColumnMap *m, uint32 r,
				TupleTableSlot *slot)
{
	Datum	   *values = slot->tts_values;
	bool	   *isnull = slot->tts_isnull;

	ExecClearTuple(slot);
	if (scan->prepared != slot)
	{
		/*
		 * Once per batch and slot: the columns not decoded are NULL (nothing
		 * the query evaluates reads them, and only a tail row, read after
		 * every batch, overwrites them).
		 */
		for (int c = 0; c < slot->tts_tupleDescriptor->natts; c++)
		{
			values[c] = (Datum) 0;
			isnull[c] = true;
		}
		scan->prepared = slot;
	}
	for (int k = 0; k < m->n; k++)
	{
		int			c = m->att[k];

		values[c] = m->src[k]->values[c][r];
		isnull[c] = m->src[k]->isnull[c][r];
	}
	ExecStoreVirtualTuple(slot);
	ItemPointerSet(&slot->tts_tid, NF_COMPRESSED_BLOCK, 1);
	slot->tts_tableOid = RelationGetRelid(scan->rs_base.rs_rd);
}

/* The next row: from the batches, then from the tail. */
static bool
compressed_scan_getnextslot(TableScanDesc sscan, ScanDirection direction,
							TupleTableSlot *slot)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	if (direction != ForwardScanDirection && scan->read_batches)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("backward scans are not supported on compressed partition \"%s\"",
						RelationGetRelationName(sscan->rs_rd))));
	while (!scan->in_tail)
	{
		if (scan->have_batch && scan->currow < scan->nout)
		{
			/*
			 * With a filter (unless the batch lies inside every range), only
			 * the rows in sel are read: cur2 may hold values at those rows
			 * only (nf_batch_decode_bytes_sel).
			 */
			uint32		r = scan->filter && !scan->batch_inside ?
				scan->sel[scan->currow] : scan->currow;

			store_batch_row(scan, scan->batch_inside ? &scan->mapo : &scan->map,
							r, slot);
			scan->currow++;
			pgstat_count_heap_getnext(sscan->rs_rd);
			return true;
		}
		if (!load_next_batch(scan))
		{
			scan->have_batch = false;
			scan->in_tail = true;
		}
	}
	return heapam->scan_getnextslot(scan->heap, direction, slot);
}

/* A copy of natts column flags, in the scan's memory context. */
static bool *
copy_flags(CompressedScanDesc scan, const bool *flags)
{
	int			natts = RelationGetDescr(scan->rs_base.rs_rd)->natts;
	bool	   *copy = MemoryContextAlloc(scan->scancxt, sizeof(bool) * Max(natts, 1));

	memcpy(copy, flags, sizeof(bool) * natts);
	return copy;
}

/*
 * Decode only the columns whose flag is set (natts flags); before the
 * scan's first row.
 */
void
nf_compressed_scan_set_columns(TableScanDesc sscan, const bool *want)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	Assert(scan->cur == NULL);
	scan->want = copy_flags(scan, want);
}

/*
 * Select the rows of each batch with filter (compiled in a memory context
 * that outlives the scan; NULL: every row) before decoding the columns it
 * does not use; fwant: the columns it uses (natts flags); exact: the filter
 * holds every qual of the scan, so the rows it selects pass them all.
 * Before the scan's first row.
 */
void
nf_compressed_scan_set_filter(TableScanDesc sscan, NfBatchFilter *filter,
							  const bool *fwant, bool exact)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	Assert(scan->cur == NULL);
	scan->filter = filter;
	scan->filter_exact = filter != NULL && exact;
	if (filter)
		scan->fwant = copy_flags(scan, fwant);
}

/*
 * Every qual of the scan is a range of a skipping column: a batch whose
 * bounds lie inside every range (and whose range columns have no NULL)
 * returns all of its rows without filter, decoded only in the columns
 * flagged in owant (before the first row).
 */
void
nf_compressed_scan_set_inside(TableScanDesc sscan, const bool *owant)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	Assert(scan->cur == NULL);
	scan->owant = copy_flags(scan, owant);
	for (int k = 0; k < NF_NSKIP; k++)
		scan->skip_att[k] = nf_skip_attnum(sscan->rs_rd, k);
}

/*
 * Whether the row the scan returned last is known to satisfy every qual:
 * of a batch inside every range (nf_compressed_scan_set_inside), or
 * selected by an exact filter (nf_compressed_scan_set_filter).
 */
bool
nf_compressed_scan_row_passes(TableScanDesc sscan)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	return !scan->in_tail && scan->have_batch &&
		(scan->batch_inside || scan->filter_exact);
}

/*
 * Skip the batches whose bounds of a skipping column lie outside its range
 * (until the next call; a rescan keeps them).
 */
void
nf_compressed_scan_set_range(TableScanDesc sscan, const NfScanRanges *ranges)
{
	((CompressedScanDesc) sscan)->ranges = *ranges;
}

/*
 * Batches decoded, batches skipped by the ranges and rows removed by the
 * filter so far.
 */
void
nf_compressed_scan_counts(TableScanDesc sscan, uint64 *counts)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;
	DecodedBatch *d[3];
	int			nd = scan_decoders(scan, d);

	counts[NF_COUNT_BATCHES_READ] = scan->batches_read;
	counts[NF_COUNT_BATCHES_SKIPPED] = scan->batches_skipped;
	counts[NF_COUNT_ROWS_FILTERED] = scan->rows_filtered;
	counts[NF_COUNT_BATCHES_INSIDE] = scan->batches_inside;
	counts[NF_COUNT_BYTES_FETCHED] = scan->bytes ? scan->bytes->bytes_read : 0;
	counts[NF_COUNT_BYTES_STORED] = scan->bytes ? scan->bytes->bytes_total : 0;
	counts[NF_COUNT_BATCHES_ADDR_SKIPPED] = scan->batches_addr_skipped;
	counts[NF_COUNT_DECODERS] = nd;
	counts[NF_COUNT_DECODERS_KEPT] = 0;
	for (int i = 0; i < nd; i++)
		counts[NF_COUNT_DECODERS_KEPT] += d[i]->kept;
}

/* Size of the shared state of a parallel scan. */
static Size
compressed_parallelscan_estimate(Relation rel)
{
	return sizeof(CompressedParallelScanData);
}

/* Initialize the shared state: heapam's block allocator and the batch counter. */
static Size
compressed_parallelscan_initialize(Relation rel, ParallelTableScanDesc pscan)
{
	CompressedParallelScanData *shared = (CompressedParallelScanData *) pscan;

	heapam->parallelscan_initialize(rel, pscan);
	pg_atomic_init_u64(&shared->next_batch, 0);
	return sizeof(CompressedParallelScanData);
}

/* Reset the shared state for a rescan. */
static void
compressed_parallelscan_reinitialize(Relation rel, ParallelTableScanDesc pscan)
{
	CompressedParallelScanData *shared = (CompressedParallelScanData *) pscan;

	heapam->parallelscan_reinitialize(rel, pscan);
	pg_atomic_write_u64(&shared->next_batch, 0);
}

/*
 * ANALYZE samples a block: a block of the tail through heapam, or a virtual
 * block after them (nf_analyze_blocks), whose rows are rows of batches.
 */
static bool
compressed_scan_analyze_next_block(TableScanDesc sscan, BlockNumber blockno,
								   BufferAccessStrategy bstrategy)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;
	BlockNumber v;

	if (blockno < scan->ablocks.tail)
	{
		scan->avirtual = false;
		return heapam->scan_analyze_next_block(scan->heap, blockno, bstrategy);
	}
	scan->avirtual = true;
	v = blockno - scan->ablocks.tail;
	if (v >= scan->ablocks.nvirtual)
	{
		scan->arow = scan->aend = 0;
		return false;
	}
	scan->ablock = blockno;
	scan->arow = (uint64) v * scan->ablocks.rows_per_block;
	scan->aend = scan->arow + scan->ablocks.rows_per_block;
	return true;
}

/*
 * Decode the batch that holds row arow (ANALYZE samples blocks in
 * increasing order, so the reader only moves forward); false when no batch
 * does.
 */
static bool
analyze_load(CompressedScanDesc scan)
{
	Relation	rel = scan->rs_base.rs_rd;
	HeapTuple	tup;

	if (!reader_open(scan, scan->asnap))
		return false;
	for (;;)
	{
		uint64		lo = scan->apassed;

		tup = reader_next(scan);
		if (tup == NULL)
			return false;
		scan->apassed += nf_batch_row_count(scan->reader, tup);
		if (scan->arow >= scan->apassed)
		{
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		begin_batch(scan, tup);
		nf_batch_decode_bytes(rel, scan->bytes, scan->cur);
		scan->have_batch = true;
		scan->abatch_lo = lo;
		scan->abatch_hi = scan->apassed = lo + scan->cur->nrows;
		return scan->arow >= lo && scan->arow < scan->abatch_hi;
	}
}

/* The next row of the sampled block: of the tail's block, or of batches. */
static bool
compressed_scan_analyze_next_tuple(TableScanDesc sscan, TransactionId OldestXmin,
								   double *liverows, double *deadrows,
								   TupleTableSlot *slot)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;

	if (!scan->avirtual)
		return heapam->scan_analyze_next_tuple(scan->heap, OldestXmin,
											   liverows, deadrows, slot);
	while (scan->arow < scan->aend)
	{
		if (scan->have_batch && scan->arow >= scan->abatch_lo &&
			scan->arow < scan->abatch_hi)
		{
			uint64		inblock = scan->arow % scan->ablocks.rows_per_block;

			store_batch_row(scan, &scan->map,
							(uint32) (scan->arow - scan->abatch_lo), slot);
			/*
			 * ANALYZE sorts its sample by the TIDs of the heap tuples it
			 * copies (for the correlation): a heap tuple now, whose TID
			 * is the virtual block and the row's place in it.
			 */
			ItemPointerSet(&slot->tts_tid, scan->ablock,
						   (OffsetNumber) Min(inblock + 1, PG_UINT16_MAX));
			if (TTS_IS_BUFFERTUPLE(slot))
			{
				ExecMaterializeSlot(slot);
				((BufferHeapTupleTableSlot *) slot)->base.tuple->t_self = slot->tts_tid;
			}
			scan->arow++;
			*liverows += 1;
			return true;
		}
		if (!analyze_load(scan))
			break;
	}
	scan->aend = scan->arow;
	return false;
}

/* Refuse a kind of scan that would see only the tail. */
static void
refuse_scan(TableScanDesc sscan, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("%s is not supported on compressed partition \"%s\"", what,
					RelationGetRelationName(sscan->rs_rd)),
			 errhint("Run netflow.decompress_partition('%s') first.",
					 RelationGetRelationName(sscan->rs_rd))));
}

/* TID range scans would miss the batches: refused. */
static void
compressed_scan_set_tidrange(TableScanDesc sscan, ItemPointer mintid,
							 ItemPointer maxtid)
{
	refuse_scan(sscan, "a TID range scan");
}

/* Bitmap scans (never planned: a compressed partition has no index). */
static bool
compressed_scan_bitmap_next_block(TableScanDesc sscan, struct TBMIterateResult *tbmres)
{
	refuse_scan(sscan, "a bitmap scan");
	return false;
}

/*
 * TABLESAMPLE sees a compressed partition as the tail's blocks followed by
 * blocks of the batches' rows: each batch cut into equal blocks of at most
 * NF_SAMPLE_BLOCK_ROWS consecutive rows.  Sampling a block decodes its
 * batch, every column (a scan node does not say which it needs), so the
 * blocks are large: SYSTEM (1) touches about 5% of batches of 10,000 rows
 * (5 blocks each) where blocks of 40 rows, a heap page's worth, would
 * have it decode nearly all of them, at the price of samples more
 * clustered than a heap's.  BERNOULLI decodes every batch, as a scan of
 * every column would.
 */
#define NF_SAMPLE_BLOCK_ROWS MaxOffsetNumber

/* The blocks TABLESAMPLE cuts a batch of rows rows into. */
static inline uint32
sample_blocks_of(uint32 rows)
{
	return (rows + NF_SAMPLE_BLOCK_ROWS - 1) / NF_SAMPLE_BLOCK_ROWS;
}

/*
 * TABLESAMPLE: the batch rows of the partition under the scan's snapshot,
 * copied (their data stays out of line: a few hundred bytes each, up to
 * about 2 kB with a small address filter in the row), with the
 * first block of each, so that the batch of a block is found by binary
 * search whatever order the sampling method visits blocks in
 * (tsm_system_rows jumps).  The reader stays open for the batch table.
 */
static void
sample_read_batches(CompressedScanDesc scan)
{
	MemoryContext old = MemoryContextSwitchTo(scan->scancxt);
	HeapTuple	tup;
	int			cap = 64;
	uint64		blocks = 0;

	scan->reader = nf_batch_reader_open(scan->rs_base.rs_rd,
										scan->rs_base.rs_snapshot,
										AccessShareLock);
	scan->snbatch = 0;
	scan->sbatch = palloc(sizeof(HeapTuple) * cap);
	scan->srows = palloc(sizeof(uint32) * cap);
	scan->sfirst = palloc(sizeof(uint64) * (cap + 1));
	while ((tup = nf_batch_reader_next(scan->reader)) != NULL)
	{
		uint32		n = nf_batch_row_count(scan->reader, tup);

		CHECK_FOR_INTERRUPTS();
		if (n == 0)
			continue;
		if (scan->snbatch == cap)
		{
			cap *= 2;
			scan->sbatch = repalloc(scan->sbatch, sizeof(HeapTuple) * cap);
			scan->srows = repalloc(scan->srows, sizeof(uint32) * cap);
			scan->sfirst = repalloc(scan->sfirst, sizeof(uint64) * (cap + 1));
		}
		scan->sbatch[scan->snbatch] = heap_copytuple(tup);
		scan->srows[scan->snbatch] = n;
		scan->sfirst[scan->snbatch++] = blocks;
		blocks += sample_blocks_of(n);
	}
	scan->sfirst[scan->snbatch] = blocks;
	scan->scur = -1;
	MemoryContextSwitchTo(old);
}

/*
 * TABLESAMPLE chooses a block: the method's choice among the tail's blocks
 * and the batches' (or each in turn for a method without NextSampleBlock,
 * such as BERNOULLI); a block of the tail is read through heapam, whose
 * scan_sample_next_tuple returns its rows.
 */
static bool
compressed_scan_sample_next_block(TableScanDesc sscan, struct SampleScanState *scanstate)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;
	HeapScanDesc hscan = (HeapScanDesc) scan->heap;
	TsmRoutine *tsm = scanstate->tsmroutine;
	BlockNumber nblocks;
	BlockNumber blockno;

	if (!scan->sbegun)
	{
		if (scan->sbatch == NULL)
			sample_read_batches(scan);
		/* the tail's size as heapam's (re)scan took it */
		scan->stail = hscan->rs_nblocks;
		if (scan->sfirst[scan->snbatch] > (uint64) MaxBlockNumber + 1 - scan->stail)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("compressed partition \"%s\" has too many batches for TABLESAMPLE",
							RelationGetRelationName(sscan->rs_rd)),
					 errdetail("Its batches make %llu blocks, which do not fit in the block numbers left after its heap tail's %u.",
							   (unsigned long long) scan->sfirst[scan->snbatch],
							   scan->stail)));
		scan->sblock = InvalidBlockNumber;
		scan->sbegun = true;
	}
	nblocks = scan->stail + (BlockNumber) scan->sfirst[scan->snbatch];
	if (nblocks == 0)
		return false;
	if (tsm->NextSampleBlock)
		blockno = tsm->NextSampleBlock(scanstate, nblocks);
	else if (scan->sblock == InvalidBlockNumber)
		blockno = 0;
	else if (scan->sblock + 1 < nblocks)
		blockno = scan->sblock + 1;
	else
		blockno = InvalidBlockNumber;
	scan->sblock = blockno;
	if (!BlockNumberIsValid(blockno) || blockno >= nblocks)
	{
		if (BufferIsValid(hscan->rs_cbuf))
			ReleaseBuffer(hscan->rs_cbuf);
		hscan->rs_cbuf = InvalidBuffer;
		hscan->rs_cblock = InvalidBlockNumber;
		hscan->rs_inited = false;
		return false;
	}
	scan->svirtual = blockno >= scan->stail;
	if (!scan->svirtual)
	{
		heapgetpage(scan->heap, blockno);
		hscan->rs_inited = true;
	}
	else
	{
		uint64		v = blockno - scan->stail;
		int			lo = 0,
					hi = scan->snbatch - 1;
		uint32		nb,
					per,
					j;

		/* the batch whose blocks hold v */
		while (lo < hi)
		{
			int			mid = lo + (hi - lo + 1) / 2;

			if (scan->sfirst[mid] <= v)
				lo = mid;
			else
				hi = mid - 1;
		}
		if (lo != scan->scur)
		{
			begin_batch(scan, scan->sbatch[lo]);
			/* the decoder checks the batch's rows against row_count */
			nf_batch_decode_bytes(sscan->rs_rd, scan->bytes, scan->cur);
			scan->scur = lo;
		}
		/* equal blocks: the first ones one row longer */
		nb = sample_blocks_of(scan->srows[lo]);
		per = scan->srows[lo] / nb;
		j = (uint32) (v - scan->sfirst[lo]);
		scan->sstart = j * per + Min(j, scan->srows[lo] % nb);
		scan->sn = per + (j < scan->srows[lo] % nb ? 1 : 0);
	}
	return true;
}

/*
 * TABLESAMPLE's next row of the chosen block: of the tail through heapam,
 * or one of the rows of a batch's block the method picks.
 */
static bool
compressed_scan_sample_next_tuple(TableScanDesc sscan, struct SampleScanState *scanstate,
								  TupleTableSlot *slot)
{
	CompressedScanDesc scan = (CompressedScanDesc) sscan;
	TsmRoutine *tsm = scanstate->tsmroutine;
	OffsetNumber off;

	if (!scan->svirtual)
		return heapam->scan_sample_next_tuple(scan->heap, scanstate, slot);
	CHECK_FOR_INTERRUPTS();
	off = tsm->NextSampleTuple(scanstate, scan->sblock, (OffsetNumber) scan->sn);
	if (!OffsetNumberIsValid(off) || off > scan->sn)
	{
		ExecClearTuple(slot);
		return false;
	}
	store_batch_row(scan, &scan->map, scan->sstart + off - 1, slot);
	pgstat_count_heap_getnext(sscan->rs_rd);
	return true;
}

/* Install the scan callbacks into methods (a copy of heapam's). */
void
nf_compressed_scan_methods(TableAmRoutine *methods)
{
	heapam = GetHeapamTableAmRoutine();
	methods->scan_begin = compressed_scan_begin;
	methods->scan_end = compressed_scan_end;
	methods->scan_rescan = compressed_scan_rescan;
	methods->scan_getnextslot = compressed_scan_getnextslot;
	methods->scan_set_tidrange = compressed_scan_set_tidrange;
	methods->parallelscan_estimate = compressed_parallelscan_estimate;
	methods->parallelscan_initialize = compressed_parallelscan_initialize;
	methods->parallelscan_reinitialize = compressed_parallelscan_reinitialize;
	methods->scan_analyze_next_block = compressed_scan_analyze_next_block;
	methods->scan_analyze_next_tuple = compressed_scan_analyze_next_tuple;
	methods->scan_bitmap_next_block = compressed_scan_bitmap_next_block;
	methods->scan_sample_next_block = compressed_scan_sample_next_block;
	methods->scan_sample_next_tuple = compressed_scan_sample_next_tuple;
}
