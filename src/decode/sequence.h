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

/*
 * With restart detection: this many consecutive late datagrams that
 * continue each other exactly are a restarted exporter, not reordering.
 */
#define NF_SEQ_RESTART_RUN 3

typedef struct nf_seq
{
	bool		valid;			/* 'expected' is known */
	uint32_t	expected;		/* sequence number of the next datagram */
	bool		late_valid;		/* late_end is known */
	uint32_t	late_end;		/* where the last late datagram ended */
	uint32_t	late_run;		/* consecutive contiguous late datagrams */
	bool		last_zero;		/* the previous datagram was numbered 0 */
	bool		resumed;		/* 'expected' was loaded (nfd_seq_load) and
								 * no datagram was seen since */
} nf_seq;

typedef enum nf_seq_result
{
	NF_SEQ_FIRST,				/* nothing to compare with (first, or resync) */
	NF_SEQ_OK,					/* as expected */
	NF_SEQ_GAP,					/* ahead: *lost units missing */
	NF_SEQ_REORDERED,			/* slightly behind: late or duplicate */
	NF_SEQ_RESET				/* far behind or far ahead: exporter reset */
} nf_seq_result;

extern void nfd_seq_init(nf_seq *s);

/*
 * Resume from an expectation saved before a collector restart.  The next
 * number is compared with it: equal is OK; ahead by up to NF_SEQ_MAX_GAP
 * is a gap (what the exporter sent while the collector was down, or what
 * the collector decoded but never stored); anything behind, or further
 * ahead, is an exporter that restarted meanwhile (a collector restart
 * cannot make a datagram late).
 */
extern void nfd_seq_load(nf_seq *s, uint32_t expected);

/*
 * Classify sequence number 'seq' against the expected one.  'window' is
 * how far behind a number may be to count as reordered.  With
 * 'detect_restart', a number behind the expectation is a reset when it is
 * 0 (exporters number from 0) or when it makes NF_SEQ_RESTART_RUN
 * consecutive late datagrams that continue each other.  A 0 following a
 * 0 is not tracked (NF_SEQ_FIRST): some exporters never number datagrams.
 */
extern nf_seq_result nfd_seq_check(const nf_seq *s, uint32_t seq,
								   uint32_t window, bool detect_restart,
								   uint32_t *lost);

/*
 * Record that the datagram numbered 'seq' carried 'units' units (units
 * unknown: the next datagram resynchronizes).  A reordered datagram does
 * not move the expectation back.
 */
extern void nfd_seq_advance(nf_seq *s, nf_seq_result r, uint32_t seq,
							uint32_t units, bool units_known);

#endif							/* NETFLOW_SEQUENCE_H */
