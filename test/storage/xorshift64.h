/*-------------------------------------------------------------------------
 *
 * xorshift64.h
 *	  Deterministic pseudo-random numbers for the batch codec's tests and
 *	  microbenchmark (test/storage): xorshift64 over a state the caller
 *	  keeps, so each program's sequence is fixed by its seed.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TEST_XORSHIFT64_H
#define NETFLOW_TEST_XORSHIFT64_H

#include <stdint.h>

/* The next number of the sequence of *state (never 0 from a non-zero seed). */
static inline uint64_t
xorshift64(uint64_t *state)
{
	uint64_t	x = *state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*state = x;
	return x;
}

#endif							/* NETFLOW_TEST_XORSHIFT64_H */
