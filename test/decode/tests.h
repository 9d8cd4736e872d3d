/*-------------------------------------------------------------------------
 *
 * tests.h
 *	  Test groups of the decoder unit tests and helpers they share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_TESTS_H
#define NETFLOW_TESTS_H

#include "decoder.h"
#include "pkt.h"
#include "tap.h"

/* 2026-11-26 00:00:00 UTC, a fixed export time */
#define T0 1795651200u
#define US(s) ((int64_t) (s) * 1000000)
/* collector clock used by the tests: export time + 1 s */
#define NOW (US(T0) + 1000000)

extern void test_field_map(void);
extern void test_v5(void);
extern void test_v9(void);
extern void test_ipfix(void);
extern void test_hardening(void);
extern void test_state(void);
extern void test_biflow(void);
extern void test_contract(void);
extern void test_bounds(void);

/* Value of counter c. */
static inline uint64_t
ctr(const nf_decoder *d, nf_counter c)
{
	return nf_decoder_counters(d)[c];
}

/* Compare an nf_addr with an IPv4 address. */
static inline int
is_v4(const nf_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	return a->family == NF_AF_INET && a->a[0] == b0 && a->a[1] == b1 &&
		a->a[2] == b2 && a->a[3] == b3;
}

#endif
