/*-------------------------------------------------------------------------
 *
 * test_field_map.c
 *	  The information element table: every mapped element and the lengths
 *	  it accepts (others are skipped, never mis-read).
 *
 *-------------------------------------------------------------------------
 */
#include "field_map.h"
#include "tests.h"

typedef struct fm_case
{
	uint16_t	ie;
	nf_op		op;
	uint16_t	len;			/* a valid length */
} fm_case;

static const fm_case cases[] = {
	{1, NF_OP_BYTES, 8}, {2, NF_OP_PACKETS, 4}, {85, NF_OP_TOTAL_BYTES, 8},
	{86, NF_OP_TOTAL_PACKETS, 8}, {4, NF_OP_PROTOCOL, 1}, {5, NF_OP_TOS, 1},
	{6, NF_OP_TCP_FLAGS, 2}, {7, NF_OP_SRC_PORT, 2}, {11, NF_OP_DST_PORT, 2},
	{8, NF_OP_SRC_V4, 4}, {12, NF_OP_DST_V4, 4}, {27, NF_OP_SRC_V6, 16},
	{28, NF_OP_DST_V6, 16}, {9, NF_OP_SRC_MASK, 1}, {29, NF_OP_SRC_MASK, 1},
	{13, NF_OP_DST_MASK, 1}, {30, NF_OP_DST_MASK, 1}, {10, NF_OP_INPUT_IF, 2},
	{14, NF_OP_OUTPUT_IF, 4}, {15, NF_OP_NEXTHOP_V4, 4},
	{62, NF_OP_NEXTHOP_V6, 16}, {18, NF_OP_BGP_NEXTHOP_V4, 4},
	{63, NF_OP_BGP_NEXTHOP_V6, 16}, {16, NF_OP_SRC_AS, 2},
	{17, NF_OP_DST_AS, 4}, {21, NF_OP_LAST_UPTIME, 4},
	{22, NF_OP_FIRST_UPTIME, 4}, {32, NF_OP_ICMP_TC, 2},
	{139, NF_OP_ICMP_TC, 2}, {176, NF_OP_ICMP_TYPE, 1},
	{177, NF_OP_ICMP_CODE, 1}, {178, NF_OP_ICMP_TYPE, 1},
	{179, NF_OP_ICMP_CODE, 1}, {56, NF_OP_SRC_MAC, 6},
	{80, NF_OP_DST_MAC, 6}, {57, NF_OP_POST_DST_MAC, 6},
	{81, NF_OP_POST_SRC_MAC, 6}, {58, NF_OP_VLAN, 2},
	{59, NF_OP_POST_VLAN, 2}, {243, NF_OP_DOT1Q_VLAN, 2},
	{254, NF_OP_POST_DOT1Q_VLAN, 2}, {61, NF_OP_DIRECTION, 1},
	{136, NF_OP_END_REASON, 1}, {150, NF_OP_START_SEC, 4},
	{151, NF_OP_END_SEC, 4}, {152, NF_OP_START_MS, 8},
	{153, NF_OP_END_MS, 8}, {154, NF_OP_START_US, 8},
	{155, NF_OP_END_US, 8}, {156, NF_OP_START_NS, 8},
	{157, NF_OP_END_NS, 8}, {158, NF_OP_START_DELTA_US, 4},
	{159, NF_OP_END_DELTA_US, 4}, {160, NF_OP_SYS_INIT_MS, 8},
	{34, NF_OP_SAMPLING_INTERVAL, 4}, {35, NF_OP_SAMPLING_ALGO, 1},
	{48, NF_OP_SAMPLER_ID, 1}, {49, NF_OP_SAMPLER_MODE, 1},
	{50, NF_OP_SAMPLER_RANDOM_INTERVAL, 4}, {302, NF_OP_SELECTOR_ID, 8},
	{305, NF_OP_PKT_INTERVAL, 4}, {306, NF_OP_PKT_SPACE, 4},
	{309, NF_OP_SAMPLING_SIZE, 4}, {310, NF_OP_SAMPLING_POPULATION, 4},
	{231, NF_OP_INIT_BYTES, 8}, {232, NF_OP_RESP_BYTES, 4},
	{298, NF_OP_INIT_PACKETS, 8}, {299, NF_OP_RESP_PACKETS, 4},
};

/* RFC 5103 reverse elements: PEN 29305 and the forward element id. */
static const fm_case rev_cases[] = {
	{1, NF_OP_REV_BYTES, 8}, {2, NF_OP_REV_PACKETS, 4},
	{6, NF_OP_REV_TCP_FLAGS, 1}, {85, NF_OP_REV_TOTAL_BYTES, 8},
	{86, NF_OP_REV_TOTAL_PACKETS, 8}, {150, NF_OP_REV_START_SEC, 4},
	{151, NF_OP_REV_END_SEC, 4}, {152, NF_OP_REV_START_MS, 8},
	{153, NF_OP_REV_END_MS, 8}, {154, NF_OP_REV_START_US, 8},
	{155, NF_OP_REV_END_US, 8}, {156, NF_OP_REV_START_NS, 8},
	{157, NF_OP_REV_END_NS, 8},
};

void
test_field_map(void)
{
	size_t		i;
	int			wrong = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		if (nfd_field_op(cases[i].ie, cases[i].len, false, 0) != cases[i].op)
		{
			tap_diag("element %u maps to %d", cases[i].ie,
					 (int) nfd_field_op(cases[i].ie, cases[i].len, false, 0));
			wrong++;
		}
		if (nfd_field_op(cases[i].ie, cases[i].len, true, 0) != NF_OP_SKIP)
			wrong++;
		if (nfd_field_op(cases[i].ie, NF_VARLEN, false, 0) != NF_OP_SKIP)
			wrong++;
	}
	is(wrong, 0, "field map: %zu elements map to their operation; enterprise and variable-length forms are skipped",
	   sizeof(cases) / sizeof(cases[0]));
	is(nfd_field_op(1, 3, false, 0), NF_OP_BYTES, "field map: 3-byte reduced counter accepted");
	is(nfd_field_op(1, 0, false, 0), NF_OP_SKIP, "field map: 0-byte counter skipped");
	is(nfd_field_op(1, 9, false, 0), NF_OP_SKIP, "field map: 9-byte counter skipped");
	is(nfd_field_op(8, 3, false, 0), NF_OP_SKIP, "field map: 3-byte IPv4 address skipped");
	is(nfd_field_op(27, 4, false, 0), NF_OP_SKIP, "field map: 4-byte IPv6 address skipped");
	is(nfd_field_op(56, 8, false, 0), NF_OP_SKIP, "field map: 8-byte MAC skipped");
	is(nfd_field_op(154, 4, false, 0), NF_OP_SKIP, "field map: 4-byte NTP time skipped");
	is(nfd_field_op(3, 4, false, 0), NF_OP_SKIP, "field map: unknown element 3 skipped");
	is(nfd_field_op(65535, 4, false, 0), NF_OP_SKIP, "field map: unknown element 65535 skipped");

	wrong = 0;
	for (i = 0; i < sizeof(rev_cases) / sizeof(rev_cases[0]); i++)
	{
		uint16_t	ie = rev_cases[i].ie;
		uint16_t	len = rev_cases[i].len;

		if (nfd_field_op(ie, len, true, NF_PEN_REVERSE) != rev_cases[i].op)
			wrong++;
		if (nfd_field_op(ie, len, true, NF_PEN_REVERSE + 1) != NF_OP_SKIP ||
			nfd_field_op(ie, len, true, 9) != NF_OP_SKIP ||
			nfd_field_op(ie, NF_VARLEN, true, NF_PEN_REVERSE) != NF_OP_SKIP)
			wrong++;
	}
	is(wrong, 0, "field map: %zu RFC 5103 reverse elements map with PEN 29305 only",
	   sizeof(rev_cases) / sizeof(rev_cases[0]));
	is(nfd_field_op(8, 4, true, NF_PEN_REVERSE), NF_OP_SKIP,
	   "field map: unmapped reverse element (29305/8) skipped");
	is(nfd_field_op(1, 9, true, NF_PEN_REVERSE), NF_OP_SKIP,
	   "field map: 9-byte reverse counter skipped");
	is(nfd_field_op(154, 4, true, NF_PEN_REVERSE), NF_OP_SKIP,
	   "field map: 4-byte reverse NTP time skipped");
	is(nfd_field_op(231, 4, true, NF_PEN_REVERSE), NF_OP_SKIP,
	   "field map: 29305/231 is not initiatorOctets");
}
