/*-------------------------------------------------------------------------
 *
 * addr_filter.h
 *	  The address filter of a compressed batch: a Bloom filter of the
 *	  distinct values of its address columns (src_addr, dst_addr), so that a
 *	  scan looking for one host passes over the batches where it is surely
 *	  absent without reading them.  Plain C: no PostgreSQL header.
 *
 *	  Format (version 1; docs/formats.md), little-endian:
 *	    bytes 0-3  "NFAF"
 *	    byte 4     version (1)
 *	    byte 5     k, the probes per value (1-16)
 *	    byte 6     n, the columns covered (1-8)
 *	    byte 7     0
 *	    bytes 8-11 m, the bits (a multiple of 64, at least 64)
 *	    then n u16: the 0-based attribute numbers of the columns covered
 *	    then m / 8 bytes of bits (bit i: byte i / 8, bit i % 8)
 *	  A value is the bytes a batch stores for it (an inet: family, bits,
 *	  address); its hash is nfaf_hash, its probes (h1 + i * h2) mod m for i
 *	  in [0, k), h1 the low and h2 the high 32 bits of the hash (h2 odd).
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_ADDR_FILTER_H
#define NETFLOW_ADDR_FILTER_H

#include <stddef.h>
#include <stdint.h>

#define NFAF_VERSION 1
#define NFAF_HEADER_SIZE 12
#define NFAF_MAX_COLS 8
/* bits per distinct value and probes: about 2% false positives */
#define NFAF_BITS_PER_VALUE 8
#define NFAF_PROBES 6

/* A filter read from its bytes (nfaf_parse); points into them. */
typedef struct NfAddrFilter
{
	int			k;
	int			ncols;
	uint16_t	cols[NFAF_MAX_COLS];
	uint32_t	m;
	const uint8_t *bits;
} NfAddrFilter;

extern uint64_t nfaf_hash(const uint8_t *value, size_t len);
extern int	nfaf_build(uint64_t *hashes, size_t n, const uint16_t *cols,
					   int ncols, uint8_t **out, size_t *outlen);
extern int	nfaf_parse(const uint8_t *buf, size_t len, NfAddrFilter *f);
extern int	nfaf_covers(const NfAddrFilter *f, int att);
extern int	nfaf_may_contain(const NfAddrFilter *f, uint64_t hash);

#endif							/* NETFLOW_ADDR_FILTER_H */
