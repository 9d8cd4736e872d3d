/*-------------------------------------------------------------------------
 *
 * sequence.c
 *	  Export sequence tracking (see sequence.h).
 *
 *-------------------------------------------------------------------------
 */
#include "sequence.h"

/* Start with no expectation. */
void
nf_seq_init(nf_seq *s)
{
	s->valid = false;
	s->expected = 0;
}

/* Classify 'seq' (see sequence.h). */
nf_seq_result
nf_seq_check(const nf_seq *s, uint32_t seq, uint32_t window, uint32_t *lost)
{
	uint32_t	ahead;

	*lost = 0;
	if (!s->valid)
		return NF_SEQ_FIRST;
	if (seq == s->expected)
		return NF_SEQ_OK;
	/* unsigned modular distance: correct across 2^32 wrap */
	ahead = seq - s->expected;
	if (ahead < 0x80000000u)
	{
		if (ahead > NF_SEQ_MAX_GAP)
			return NF_SEQ_RESET;
		*lost = ahead;
		return NF_SEQ_GAP;
	}
	/* behind by (2^32 - ahead) */
	if ((uint32_t) (0u - ahead) <= window)
		return NF_SEQ_REORDERED;
	return NF_SEQ_RESET;
}

/* Move the expectation past datagram 'seq' (see sequence.h). */
void
nf_seq_advance(nf_seq *s, nf_seq_result r, uint32_t seq, uint32_t units,
			   bool units_known)
{
	if (r == NF_SEQ_REORDERED)
		return;
	s->expected = seq + units;	/* wraps modulo 2^32 */
	s->valid = units_known;
}
