/*-------------------------------------------------------------------------
 *
 * sequence.h
 *	  Export sequence tracking per (exporter, domain): gaps (loss),
 *	  reordering and resets, with 32-bit wrap-around.
 *
 * What a sequence number counts depends on the protocol (v5: flows, v9:
 * export packets, IPFIX: data records); the caller passes how many units
 * the current datagram carries.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_SEQUENCE_H
#define NETFLOW_SEQUENCE_H

#include <stdint.h>
#include <stdbool.h>

/* A forward jump larger than this is an exporter reset, not loss. */
#define NF_SEQ_MAX_GAP (1u << 28)

typedef struct nf_seq
{
	bool		valid;			/* 'expected' is known */
	uint32_t	expected;		/* sequence number of the next datagram */
} nf_seq;

typedef enum nf_seq_result
{
	NF_SEQ_FIRST,				/* nothing to compare with (first, or resync) */
	NF_SEQ_OK,					/* as expected */
	NF_SEQ_GAP,					/* ahead: *lost units missing */
	NF_SEQ_REORDERED,			/* slightly behind: late or duplicate */
	NF_SEQ_RESET				/* far behind or far ahead: exporter reset */
} nf_seq_result;

extern void nf_seq_init(nf_seq *s);

/*
 * Classify sequence number 'seq' against the expected one.  'window' is
 * how far behind a number may be to count as reordered.
 */
extern nf_seq_result nf_seq_check(const nf_seq *s, uint32_t seq,
								  uint32_t window, uint32_t *lost);

/*
 * Record that the datagram numbered 'seq' carried 'units' units (units
 * unknown: the next datagram resynchronizes).  A reordered datagram does
 * not move the expectation back.
 */
extern void nf_seq_advance(nf_seq *s, nf_seq_result r, uint32_t seq,
						   uint32_t units, bool units_known);

#endif							/* NETFLOW_SEQUENCE_H */
