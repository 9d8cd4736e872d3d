/*-------------------------------------------------------------------------
 *
 * sequence.c
 *	  Export sequence tracking (see sequence.h).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "sequence.h"

/* Start with no expectation. */
void
nfd_seq_init(nf_seq *s)
{
	memset(s, 0, sizeof(*s));
}

/* Resume from a saved expectation (see sequence.h). */
void
nfd_seq_load(nf_seq *s, uint32_t expected)
{
	memset(s, 0, sizeof(*s));
	s->valid = true;
	s->expected = expected;
	s->resumed = true;
}

/* Classify 'seq' (see sequence.h). */
nf_seq_result
nfd_seq_check(const nf_seq *s, uint32_t seq, uint32_t window,
			  bool detect_restart, uint32_t *lost)
{
	uint32_t	ahead;

	*lost = 0;
	if (!s->valid)
		return NF_SEQ_FIRST;
	if (seq == s->expected)
		return NF_SEQ_OK;
	if (seq == 0 && s->last_zero)
		return NF_SEQ_FIRST;	/* exporter does not number its datagrams */
	/* unsigned modular distance: correct across 2^32 wrap */
	ahead = seq - s->expected;
	if (s->resumed)
	{
		/*
		 * First datagram after a collector restart: ahead is a gap (behind,
		 * i.e. ahead >= 2^31, is above NF_SEQ_MAX_GAP too); nothing can
		 * be late.
		 */
		if (ahead > NF_SEQ_MAX_GAP)
			return NF_SEQ_RESET;
		*lost = ahead;
		return NF_SEQ_GAP;
	}
	if (ahead < 0x80000000u)
	{
		if (ahead > NF_SEQ_MAX_GAP)
			return NF_SEQ_RESET;
		*lost = ahead;
		return NF_SEQ_GAP;
	}
	/* behind by (2^32 - ahead) */
	if ((uint32_t) (0u - ahead) > window)
		return NF_SEQ_RESET;
	if (detect_restart)
	{
		if (seq == 0)
			return NF_SEQ_RESET;
		if (s->late_valid && seq == s->late_end &&
			s->late_run + 1 >= NF_SEQ_RESTART_RUN)
			return NF_SEQ_RESET;
	}
	return NF_SEQ_REORDERED;
}

/* Move the expectation past datagram 'seq' (see sequence.h). */
void
nfd_seq_advance(nf_seq *s, nf_seq_result r, uint32_t seq, uint32_t units,
				bool units_known)
{
	s->last_zero = (seq == 0);
	s->resumed = false;
	if (r == NF_SEQ_REORDERED)
	{
		if (s->late_valid && seq == s->late_end)
			s->late_run++;
		else
			s->late_run = 1;
		s->late_end = seq + units;
		s->late_valid = units_known;
		return;
	}
	s->late_valid = false;
	s->late_run = 0;
	s->expected = seq + units;	/* wraps modulo 2^32 */
	s->valid = units_known;
}
