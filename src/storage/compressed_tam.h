/*-------------------------------------------------------------------------
 *
 * compressed_tam.h
 *	  The table access method netflow_compressed: a heap (the "tail", where
 *	  rows inserted after compression go) plus compressed column batches
 *	  kept as rows of netflow.compressed_batches, keyed by the relation's
 *	  OID and relfilenode.  See docs/design.md, "Compressed partitions".
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_COMPRESSED_TAM_H
#define NETFLOW_COMPRESSED_TAM_H

#include "postgres.h"

#include "access/htup.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "storage/block.h"
#include "utils/rel.h"
#include "utils/snapshot.h"
#include "utils/timestamp.h"

/* Rows per batch written by compression. */
#define NF_BATCH_ROWS 10000

/*
 * A batch being written that has this many rows or more ends at the edge
 * of an hour of time_start: a one-hour filter then reads the batches of
 * its hour only, and most of them lie inside its time bounds.  Fewer rows
 * go on into the next hour, so that sparse partitions do not make tiny
 * batches.
 */
#define NF_BATCH_MIN_CUT (NF_BATCH_ROWS / 4)

/*
 * Rows read from batches carry this block number in their TID (no heap
 * page can have it), so that UPDATE, DELETE and row locks can refuse them.
 */
#define NF_COMPRESSED_BLOCK MaxBlockNumber

/* Attribute numbers of netflow.compressed_batches. */
#define Anum_batch_relid 1
#define Anum_batch_relfilenode 2
#define Anum_batch_batch_no 3
#define Anum_batch_row_count 4
#define Anum_batch_min_time 5
#define Anum_batch_max_time 6
#define Anum_batch_min_time_end 7
#define Anum_batch_max_time_end 8
#define Anum_batch_min_time_received 9
#define Anum_batch_max_time_received 10
#define Anum_batch_data 11
#define Anum_batch_addr_filter 12
#define Natts_batch 12

/*
 * The columns whose per-batch min/max compressed_batches keeps, so that a
 * scan skips the batches its quals exclude: time_start (min_time,
 * max_time), time_end and time_received (timestamptz columns of these
 * names; a table without one has NULL bounds for it).
 */
#define NF_NSKIP 3

typedef struct NfSkipColumn
{
	const char *attname;		/* column of the partition */
	AttrNumber	anum_min;		/* its bounds in compressed_batches */
	AttrNumber	anum_max;
} NfSkipColumn;

extern const NfSkipColumn nf_skip_columns[NF_NSKIP];

/* An index scan over the batches of one relation, in batch_no order. */
typedef struct BatchReader
{
	Relation	batchrel;
	struct SysScanDescData *scan;
} BatchReader;

/*
 * A decoder of batches and the batch it decoded last: column-major values
 * ready to be stored in a slot.  Its arrays are reused from batch to batch
 * (nothing is allocated per row, little per batch); the values of the
 * last batch stay valid until the next nf_batch_decode.  A batch decoded
 * for some rows only (nf_batch_decode_bytes_sel) has valid values and null
 * flags at those rows only, and no dict or idx arrays.
 */
typedef struct DecodedBatch
{
	uint32		nrows;
	int			natts;
	Datum	  **values;			/* natts arrays of nrows; NULL: not decoded */
	bool	  **isnull;			/* natts arrays of nrows; NULL: not decoded */
	/* inet and macaddr columns decoded: the batch's dictionary */
	Datum	  **dict;			/* natts arrays of ndict[c] values, or NULL */
	uint32	   *ndict;
	const uint32 **idx;			/* natts arrays of nrows indexes in dict */
	/* private */
	uint8	   *want;			/* natts flags: columns to decode */
	struct NfcBatch *codec;		/* codec arrays (malloc'd, freed with cxt) */
	Datum	  **own_values;		/* per column, for values the codec lacks */
	bool	  **own_isnull;
	uint32	   *own_cap;
	/* per inet/macaddr column, reused from batch to batch: */
	char	  **dict_store;		/* the dictionary's values */
	Datum	  **dict_vals;		/* Datums pointing into dict_store */
	bool	  **dict_done;		/* selective decode: entry converted */
	uint32	   *dict_cap;		/* entries the three arrays hold */
	MemoryContext cxt;			/* the decoder and its arrays */
	bool		kept;			/* taken from those kept by earlier scans */
	struct BatchBytes *bytes;	/* of nf_batch_decode, created at its first call */
} DecodedBatch;

/*
 * The stored bytes of one batch, read column by column.  A batch is kept
 * TOASTed without compression (compressed_batches.data has STORAGE
 * EXTERNAL, the codec compresses), so the byte ranges of the columns a
 * decoder wants can be read alone from the TOAST table: a query that uses
 * four columns of thirty reads about their share of the batch.  The
 * buffers are reused from batch to batch.
 */
typedef struct BatchBytes
{
	int32		batch_no;
	int32		row_count;
	uint32		len;			/* bytes of the batch */
	char	   *buf;			/* len bytes; only the fetched ranges valid */
	struct varlena *slice;		/* scratch of one TOAST slice */
	uint32		cap;			/* capacity of buf and of slice's data */
	bool		complete;		/* every byte of buf is valid */
	struct varatt_external toast;	/* where the bytes are when !complete */
	Oid			toastrelid;		/* the batch table's TOAST table */
	Relation	toastrel;		/* opened at the first slice, or NULL */
	int			ncols;			/* batch columns; 0: directory not read yet */
	uint32		prefix;			/* bytes [0, prefix) are valid */
	uint8	   *have;			/* per batch column: its bytes are valid */
	uint8	   *need;			/* scratch: columns to fetch */
	struct NfcColumnStat *st;	/* the directory */
	int			st_cap;
	MemoryContext cxt;
	uint64		bytes_read;		/* of all batches: bytes fetched */
	uint64		bytes_total;	/* of all batches: bytes stored */
} BatchBytes;

/* batch_store.c */
extern void nf_batch_store_init(void);
extern Oid	nf_batch_table_oid(bool missing_ok);
extern BatchReader *nf_batch_reader_open(Relation rel, Snapshot snapshot,
										 LOCKMODE lockmode);
extern HeapTuple nf_batch_reader_next(BatchReader *reader);
extern void nf_batch_reader_close(BatchReader *reader);
extern uint32 nf_batch_row_count(BatchReader *reader, HeapTuple tup);
extern BatchBytes *nf_batch_bytes_create(void);
extern void nf_batch_bytes_load(Relation rel, BatchReader *reader,
								HeapTuple batchtup, BatchBytes *bb);
extern void nf_batch_bytes_free(BatchBytes *bb);
extern bool nf_batch_bytes_null_free(Relation rel, BatchBytes *bb, int col);
extern DecodedBatch *nf_batch_decoder_create(Relation rel, const bool *want);
extern void nf_batch_decode(Relation rel, BatchReader *reader,
							HeapTuple batchtup, DecodedBatch *db);
extern void nf_batch_decode_bytes(Relation rel, BatchBytes *bb,
								  DecodedBatch *db);
extern void nf_batch_decode_bytes_sel(Relation rel, BatchBytes *bb,
									  DecodedBatch *db, const uint32 *sel,
									  uint32 nsel);
extern void nf_batch_decoder_free(DecodedBatch *db);
extern bool nf_batch_decoder_wants(const DecodedBatch *db, const bool *want);
extern void nf_batch_purge(Relation rel, Oid relfilenode);
extern void nf_batch_totals(Relation rel, Snapshot snapshot, double *rows,
							double *bytes);
extern void nf_check_supported_columns(Relation rel);
extern int	nf_column_kind(Oid typid);
#define NF_INET_BYTES_MAX (2 + 16)
extern int	nf_inet_bytes(Datum d, uint8 *out);
extern int64 nf_int_value(Datum d, Oid typid);
extern AttrNumber nf_skip_attnum(Relation rel, int k);

/*
 * A range of one skipping column a scan needs (from its quals): batches
 * whose [min, max] of that column lies outside are not read.
 */
typedef struct NfTimeRange
{
	bool		active;			/* false: read every batch */
	bool		empty;			/* contradictory bounds: no batch */
	bool		has_lo;
	bool		lo_incl;
	TimestampTz lo;
	bool		has_hi;
	bool		hi_incl;
	TimestampTz hi;
} NfTimeRange;

/* The ranges of every skipping column (nf_skip_columns order). */
typedef struct NfScanRanges
{
	NfTimeRange col[NF_NSKIP];
} NfScanRanges;

/* batch_filter.c: fast quals evaluated on decoded columns */
extern int	nf_default_btree_strategy(Oid opno, Oid type, Oid *lefttype,
									  Oid *righttype);
typedef struct NfBatchFilter NfBatchFilter;
extern bool nf_fast_qual_supported(Node *clause, Index varno, TupleDesc desc);
extern NfBatchFilter *nf_batch_filter_compile(List *quals);
extern bool nf_batch_filter_uses_addr(const NfBatchFilter *f);
extern bool nf_batch_filter_may_match(const NfBatchFilter *f, const uint8 *buf,
									  size_t len);
extern uint32 nf_batch_filter_eval(NfBatchFilter *f, const DecodedBatch *db,
								   uint32 *sel);

/* compressed_scan.c */
extern void nf_compressed_scan_methods(TableAmRoutine *methods);
extern void nf_compressed_scan_set_columns(TableScanDesc sscan, const bool *want);
extern void nf_compressed_scan_set_filter(TableScanDesc sscan, NfBatchFilter *filter,
										  const bool *fwant, bool exact);
extern void nf_compressed_scan_set_range(TableScanDesc sscan, const NfScanRanges *ranges);
extern void nf_compressed_scan_set_inside(TableScanDesc sscan, const bool *owant);
extern bool nf_compressed_scan_row_passes(TableScanDesc sscan);
/* What a scan counts for EXPLAIN ANALYZE (nf_compressed_scan_counts). */
#define NF_COUNT_BATCHES_READ 0
#define NF_COUNT_BATCHES_SKIPPED 1
#define NF_COUNT_ROWS_FILTERED 2
#define NF_COUNT_BYTES_FETCHED 3	/* of the batches read: bytes fetched */
#define NF_COUNT_BYTES_STORED 4 /* of the batches read: bytes stored */
#define NF_COUNT_BATCHES_INSIDE 5	/* batches inside every range */
#define NF_COUNT_DECODERS 6		/* decoders the scan used */
#define NF_COUNT_DECODERS_KEPT 7	/* of them, taken from the kept ones */
#define NF_COUNT_BATCHES_ADDR_SKIPPED 8 /* passed over by address filters */
#define NF_NCOUNTS 9
extern void nf_compressed_scan_counts(TableScanDesc sscan, uint64 *counts);

/* compressed_customscan.c */
extern void nf_compressed_customscan_init(void);

/* compressed_tam.c */
extern Oid	nf_compressed_am_oid(bool missing_ok);
extern BlockNumber nf_tail_blocks(Relation rel);

/*
 * ANALYZE's view of the batches: virtual blocks after the tail's, each of
 * rows_per_block consecutive rows of the batches (nf_analyze_blocks).
 */
#define NF_ANALYZE_BLOCK_ROWS 40
typedef struct NfAnalyzeBlocks
{
	BlockNumber tail;			/* blocks of the tail: the virtual ones follow */
	uint64		rows_per_block;
	BlockNumber nvirtual;
} NfAnalyzeBlocks;
extern void nf_analyze_blocks(double batch_rows, BlockNumber tail,
							  NfAnalyzeBlocks *ab);
extern bool nf_analyze_blocks_taken(Relation rel, NfAnalyzeBlocks *ab);
extern void nf_refuse_compressed_tid(Relation rel, ItemPointer tid);

#endif							/* NETFLOW_COMPRESSED_TAM_H */
