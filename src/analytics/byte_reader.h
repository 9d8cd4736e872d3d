/*-------------------------------------------------------------------------
 *
 * byte_reader.h
 *	  Bounds-checked reader of big-endian serialized data, used to decode
 *	  aggregate states and stored summaries.  Every read checks the length
 *	  left first and raises an ERROR (never reads past the buffer).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_BYTE_READER_H
#define NETFLOW_BYTE_READER_H

#include "postgres.h"

#include "port/pg_bswap.h"

typedef struct ByteReader
{
	const char *p;				/* start of the data */
	Size		len;			/* its length */
	Size		off;			/* bytes consumed */
	int			errcode;		/* errcode raised on truncation */
	const char *what;			/* what is being read, for messages */
} ByteReader;

/* Start reading len bytes at p. */
static inline void
br_init(ByteReader *r, const char *p, Size len, int errcode, const char *what)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->errcode = errcode;
	r->what = what;
}

/* Raise an ERROR unless n more bytes are available. */
static inline void
br_need(ByteReader *r, Size n)
{
	if (n > r->len - r->off)
		ereport(ERROR,
				(errcode(r->errcode),
				 errmsg("%s is truncated", r->what),
				 errdetail("%zu more bytes needed at offset %zu of %zu.",
						   n, r->off, r->len)));
}

/* Read one byte. */
static inline uint8
br_u8(ByteReader *r)
{
	br_need(r, 1);
	return (uint8) r->p[r->off++];
}

/* Read a big-endian 32-bit integer. */
static inline int32
br_i32(ByteReader *r)
{
	uint32		v;

	br_need(r, 4);
	memcpy(&v, r->p + r->off, 4);
	r->off += 4;
	return (int32) pg_ntoh32(v);
}

/* Read a big-endian 64-bit integer. */
static inline int64
br_i64(ByteReader *r)
{
	uint64		v;

	br_need(r, 8);
	memcpy(&v, r->p + r->off, 8);
	r->off += 8;
	return (int64) pg_ntoh64(v);
}

/* Return a pointer to the next n bytes and skip them. */
static inline const char *
br_bytes(ByteReader *r, Size n)
{
	const char *p;

	br_need(r, n);
	p = r->p + r->off;
	r->off += n;
	return p;
}

/* Bytes left unread. */
static inline Size
br_left(const ByteReader *r)
{
	return r->len - r->off;
}

#endif							/* NETFLOW_BYTE_READER_H */
