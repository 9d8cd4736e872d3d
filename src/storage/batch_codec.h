/*-------------------------------------------------------------------------
 *
 * batch_codec.h
 *	  Column batch format of compressed netflow partitions (plain C, no
 *	  PostgreSQL header): encode up to NFC_MAX_ROWS rows of integer and
 *	  short byte-string columns into one self-describing buffer, and decode
 *	  it back, validating every length.  Each column is compressed on its
 *	  own, so that a reader decompresses only the columns it needs.
 *	  docs/formats.md describes the format (version 2).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_BATCH_CODEC_H
#define NETFLOW_BATCH_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define NFC_VERSION 2
#define NFC_HEADER_SIZE 16
#define NFC_DIR_ENTRY_SIZE 14	/* bytes of one column's directory entry */
/* Bounds the decoder accepts (the encoder never writes more). */
#define NFC_MAX_ROWS 65536
#define NFC_MAX_COLS 1600
#define NFC_MAX_BYTES_LEN 255
#define NFC_MAX_BODY (256u * 1024 * 1024)

/* Column kinds: 64-bit signed integers, or byte strings of 0-255 bytes. */
#define NFC_KIND_INT 1
#define NFC_KIND_BYTES 2

/* Value encodings (one per column of a batch). */
#define NFC_ENC_NONE 0			/* no non-null value */
#define NFC_ENC_FOR 1			/* frame of reference */
#define NFC_ENC_DICT 2			/* dictionary and indexes */
#define NFC_ENC_DELTA 3			/* zigzag deltas to the previous value */
#define NFC_ENC_PLAIN 4			/* version 1 only: never written, refused */

/* How a column's bytes are stored in the batch. */
#define NFC_STORE_RAW 0
#define NFC_STORE_ZSTD 1

/* One column handed to the encoder: nrows entries of each array used. */
typedef struct NfcColumnIn
{
	int			kind;
	const uint8_t *isnull;		/* 1 = NULL (the value is ignored) */
	const int64_t *ints;		/* NFC_KIND_INT */
	const uint8_t *const *bytes;	/* NFC_KIND_BYTES */
	const uint8_t *lens;		/* NFC_KIND_BYTES: length of each string */
} NfcColumnIn;

/* One decoded column: per row a null flag and a value or dictionary index. */
typedef struct NfcColumn
{
	int			kind;
	int			encoding;
	uint8_t    *isnull;			/* nrows */
	int64_t    *ints;			/* nrows, NFC_KIND_INT */
	uint32_t   *idx;			/* nrows, NFC_KIND_BYTES: entry in dict */
	uint32_t	ndict;			/* NFC_KIND_BYTES */
	const uint8_t **dict;		/* ndict pointers into the batch body */
	uint8_t    *dictlen;		/* ndict lengths */
	int			decoded;		/* 0: skipped by nfc_decode_cols, arrays stale */
	int			ref;			/* column this one is stored relative to, or -1 */
	/* capacities of the arrays above, kept for reuse by nfc_decode_cols */
	uint32_t	null_cap;
	uint32_t	ints_cap;
	uint32_t	idx_cap;
	uint32_t	dict_cap;
} NfcColumn;

/* A decoded batch; free with nfc_batch_free. */
typedef struct NfcBatch
{
	int			ncols;
	uint32_t	nrows;
	uint8_t    *body;			/* uncompressed body (dict entries point here) */
	NfcColumn  *cols;
	size_t		body_cap;		/* capacities, kept for reuse */
	int			cols_cap;
	void	   *priv;			/* decoder state (zstd context, scratch) */
} NfcBatch;

/* Where and how one column of a batch is stored (nfc_column_stats). */
typedef struct NfcColumnStat
{
	int			kind;
	int			encoding;
	int			nullmode;		/* 0 no NULL, 1 all NULL, 2 bitmap */
	int			storage;		/* NFC_STORE_RAW or NFC_STORE_ZSTD */
	int			ref;			/* reference column, or -1 */
	uint32_t	rawlen;			/* bytes before compression */
	uint32_t	storedlen;		/* bytes in the batch */
	uint32_t	offset;			/* of the stored bytes, from the batch start */
} NfcColumnStat;

/*
 * Encode nrows rows (1..NFC_MAX_ROWS) of ncols columns; zstd_level 0 stores
 * every column uncompressed.  On success *out is a malloc'd buffer of
 * *outlen bytes and 0 is returned; -1 on invalid input or out of memory.
 * The encoder keeps a zstd context and scratch arrays from call to call
 * (malloc'd, a few MB at most): it is not reentrant nor thread-safe.
 */
extern int	nfc_encode(int ncols, uint32_t nrows, const NfcColumnIn *cols,
					   int zstd_level, uint8_t **out, size_t *outlen);

/*
 * nfc_encode, with a reference column per column: ref[c] (< c, an integer
 * column, or -1 for none) is a column whose value in the same row is
 * subtracted before encoding when that pays (e.g. time_end relative to
 * time_start).  ref NULL: no reference.
 */
extern int	nfc_encode_ref(int ncols, uint32_t nrows, const NfcColumnIn *cols,
						   const int *ref, int zstd_level, uint8_t **out,
						   size_t *outlen);

/*
 * Decode a batch.  0 on success (free *out with nfc_batch_free); -1 when the
 * buffer is not a valid batch, with a message in err.
 */
extern int	nfc_decode(const uint8_t *buf, size_t len, NfcBatch *out,
					   char *err, size_t errlen);

/*
 * Decode a batch into b, reusing the arrays b holds from an earlier call
 * (b must start zeroed; free it with nfc_batch_free).  Only the columns c
 * with c < nwant and want[c] != 0 are decompressed and decoded (want NULL:
 * every column), plus the columns they are stored relative to; the others
 * have decoded = 0 and stale arrays.  Decoding other columns of the same
 * batch by a second call leaves the arrays (and dictionary pointers) of
 * the columns decoded by the first intact, so a caller may decode its
 * filter columns first and the rest only for the batches that pass.  0 on
 * success; -1 when the buffer is not a valid batch, with a message in err
 * (b stays freeable and reusable).
 */
extern int	nfc_decode_cols(const uint8_t *buf, size_t len, const uint8_t *want,
							int nwant, NfcBatch *b, char *err, size_t errlen);

/*
 * nfc_decode_cols for a few rows: the columns decoded (as nfc_decode_cols
 * chooses them) have valid isnull, ints and idx entries only at the nsel
 * rows listed in sel (ascending, no duplicate, each < the batch's row
 * count; else -1 with a message); the entries of the other rows are
 * stale.  Dictionaries (ndict, dict, dictlen) are decoded whole.  sel NULL:
 * every row, exactly nfc_decode_cols.  Every check that keeps a read in
 * bounds is made as in a full decode, but checks of values only the rows
 * not selected hold (e.g. a dictionary index) are not, so a corrupt batch
 * may decode here and be refused by a full decode.  A column's validity
 * is that of the call that decoded it last (a column brought along as the
 * reference of a wanted one is decoded with this selection too).
 */
extern int	nfc_decode_cols_sel(const uint8_t *buf, size_t len,
								const uint8_t *want, int nwant,
								const uint32_t *sel, uint32_t nsel,
								NfcBatch *b, char *err, size_t errlen);

/* Free what nfc_decode allocated (safe on a zeroed or failed batch). */
extern size_t nfc_batch_footprint(const NfcBatch *b);
extern void nfc_batch_free(NfcBatch *b);

/* Read the header only: 0 and the counts, or -1 for a bad header. */
extern int	nfc_peek(const uint8_t *buf, size_t len, int *ncols, uint32_t *nrows);

/*
 * Read the header and column directory of a batch into st (up to nst
 * entries): 0 and the column count in *ncols, or -1 (message in err) when
 * they are not valid.  For diagnostics: bytes per column.
 */
extern int	nfc_column_stats(const uint8_t *buf, size_t len, NfcColumnStat *st,
							 int nst, int *ncols, char *err, size_t errlen);

#endif							/* NETFLOW_BATCH_CODEC_H */
