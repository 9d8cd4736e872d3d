/*-------------------------------------------------------------------------
 *
 * byteorder.h
 *	  Big-endian (network order) readers for the protocol decoders.
 *
 * The nf_get_* readers take a pointer the caller has already checked to
 * have enough bytes; the nf_rd_* readers take a cursor and refuse to read
 * past its end.  No reader ever touches memory outside [p, end).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_BYTEORDER_H
#define NETFLOW_BYTEORDER_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* Read a big-endian 16-bit value (2 bytes must be readable). */
static inline uint16_t
nf_get_u16(const uint8_t *p)
{
	return (uint16_t) (((uint16_t) p[0] << 8) | p[1]);
}

/* Read a big-endian 32-bit value (4 bytes must be readable). */
static inline uint32_t
nf_get_u32(const uint8_t *p)
{
	return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) |
		((uint32_t) p[2] << 8) | (uint32_t) p[3];
}

/* Read a big-endian 64-bit value (8 bytes must be readable). */
static inline uint64_t
nf_get_u64(const uint8_t *p)
{
	return ((uint64_t) nf_get_u32(p) << 32) | nf_get_u32(p + 4);
}

/*
 * Read a big-endian unsigned integer of 'len' bytes (1..8), widening
 * reduced-size encodings (RFC 7011 section 6.2).  For len > 8 only the last
 * 8 bytes are used; len 0 yields 0.
 */
static inline uint64_t
nf_get_uint(const uint8_t *p, size_t len)
{
	uint64_t	v = 0;
	size_t		i;

	switch (len)
	{
		case 1:
			return p[0];
		case 2:
			return nf_get_u16(p);
		case 4:
			return nf_get_u32(p);
		case 8:
			return nf_get_u64(p);
		default:
			break;
	}
	if (len > 8)
	{
		p += len - 8;
		len = 8;
	}
	for (i = 0; i < len; i++)
		v = (v << 8) | p[i];
	return v;
}

/* A read cursor over [p, end). */
typedef struct nf_cursor
{
	const uint8_t *p;
	const uint8_t *end;
} nf_cursor;

/* Bytes left in a cursor. */
static inline size_t
nf_left(const nf_cursor *c)
{
	return (size_t) (c->end - c->p);
}

/* Read a 16-bit value; false (cursor unchanged) if fewer than 2 bytes. */
static inline bool
nf_rd_u16(nf_cursor *c, uint16_t *v)
{
	if (nf_left(c) < 2)
		return false;
	*v = nf_get_u16(c->p);
	c->p += 2;
	return true;
}

/* Read a 32-bit value; false (cursor unchanged) if fewer than 4 bytes. */
static inline bool
nf_rd_u32(nf_cursor *c, uint32_t *v)
{
	if (nf_left(c) < 4)
		return false;
	*v = nf_get_u32(c->p);
	c->p += 4;
	return true;
}

/* Skip 'n' bytes; false (cursor unchanged) if fewer are left. */
static inline bool
nf_skip(nf_cursor *c, size_t n)
{
	if (nf_left(c) < n)
		return false;
	c->p += n;
	return true;
}

#endif							/* NETFLOW_BYTEORDER_H */
