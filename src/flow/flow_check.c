/*-------------------------------------------------------------------------
 *
 * flow_check.c
 *	  Validity rules of an nf_flow_record (see flow_check.h).
 *
 * The rules:
 *	- version is 5, 9 or 10; no unknown bit in 'present' or 'flags';
 *	- every address has family none, IPv4 or IPv6, and zero bytes beyond
 *	  its length (all zero when absent);
 *	- src_addr and dst_addr, when both present, have the same family;
 *	- src_mask/dst_mask are at most 32 for an IPv4 address, 128 otherwise;
 *	- direction is 0 or 1;
 *	- canonical form: an optional field whose present bit is clear is zero,
 *	  and the padding is zero, so equal flows are equal bytes.
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>

#include "flow_check.h"

/* True if all 'len' bytes at 'p' are zero. */
static bool
all_zero(const uint8_t *p, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* Check one address; returns a detail sentence or NULL when valid. */
static const char *
check_addr(const nf_addr *a, const char *bad_family, const char *bad_bytes)
{
	switch (a->family)
	{
		case NF_AF_NONE:
			return all_zero(a->a, sizeof(a->a)) ? NULL : bad_bytes;
		case NF_AF_INET:
			return all_zero(a->a + 4, sizeof(a->a) - 4) ? NULL : bad_bytes;
		case NF_AF_INET6:
			return NULL;
		default:
			return bad_family;
	}
}

/* Largest prefix length for an address of the given family. */
static unsigned int
max_mask(const nf_addr *a)
{
	return a->family == NF_AF_INET ? 32 : 128;
}

/* Check a record against the rules above. */
nf_check_result
nf_flow_check(const nf_flow_record *r, const char **detail)
{
	const char *d;
	uint32_t	p = r->present;

#define FAIL(kind, msg) do { *detail = (msg); return (kind); } while (0)

	if (p & ~NF_HAS_ALL_BITS)
		FAIL(NF_CHECK_INVALID, "The record has present bits that this version of netflow does not know.");
	if (r->flags & ~NF_FLAG_ALL_BITS)
		FAIL(NF_CHECK_RANGE, "The flags value has bits other than 1 (time from receive time), 2 (decoded after waiting for its template) and 4 (reverse direction of a bidirectional record).");
	if (r->version != 5 && r->version != 9 && r->version != 10)
		FAIL(NF_CHECK_RANGE, "The version must be 5, 9 or 10.");

	if ((d = check_addr(&r->exporter,
						"The exporter address has an unknown address family.",
						"The exporter address has nonzero bytes beyond its length.")) != NULL)
		FAIL(NF_CHECK_INVALID, d);
	if ((d = check_addr(&r->src_addr,
						"The src_addr address has an unknown address family.",
						"The src_addr address has nonzero bytes beyond its length.")) != NULL)
		FAIL(NF_CHECK_INVALID, d);
	if ((d = check_addr(&r->dst_addr,
						"The dst_addr address has an unknown address family.",
						"The dst_addr address has nonzero bytes beyond its length.")) != NULL)
		FAIL(NF_CHECK_INVALID, d);
	if ((d = check_addr(&r->next_hop,
						"The next_hop address has an unknown address family.",
						"The next_hop address has nonzero bytes beyond its length.")) != NULL)
		FAIL(NF_CHECK_INVALID, d);
	if (r->src_addr.family != NF_AF_NONE && r->dst_addr.family != NF_AF_NONE &&
		r->src_addr.family != r->dst_addr.family)
		FAIL(NF_CHECK_INVALID, "The src_addr and dst_addr must be of the same address family.");

	if ((p & NF_HAS_SRC_MASK) && r->src_mask > max_mask(&r->src_addr))
		FAIL(NF_CHECK_RANGE, r->src_addr.family == NF_AF_INET ?
			 "The src_mask must be between 0 and 32 for an IPv4 src_addr." :
			 "The src_mask must be between 0 and 128.");
	if ((p & NF_HAS_DST_MASK) && r->dst_mask > max_mask(&r->dst_addr))
		FAIL(NF_CHECK_RANGE, r->dst_addr.family == NF_AF_INET ?
			 "The dst_mask must be between 0 and 32 for an IPv4 dst_addr." :
			 "The dst_mask must be between 0 and 128.");
	if ((p & NF_HAS_DIRECTION) && r->direction > 1)
		FAIL(NF_CHECK_RANGE, "The direction must be 0 (ingress) or 1 (egress).");

	/* Canonical form: absent optional fields and padding are zero. */
	if ((!(p & NF_HAS_SRC_PORT) && r->src_port != 0) ||
		(!(p & NF_HAS_DST_PORT) && r->dst_port != 0) ||
		(!(p & NF_HAS_PROTOCOL) && r->protocol != 0) ||
		(!(p & NF_HAS_TCP_FLAGS) && r->tcp_flags != 0) ||
		(!(p & NF_HAS_TOS) && r->tos != 0) ||
		(!(p & NF_HAS_INPUT_IF) && r->input_if != 0) ||
		(!(p & NF_HAS_OUTPUT_IF) && r->output_if != 0) ||
		(!(p & NF_HAS_SRC_AS) && r->src_as != 0) ||
		(!(p & NF_HAS_DST_AS) && r->dst_as != 0) ||
		(!(p & NF_HAS_SRC_MASK) && r->src_mask != 0) ||
		(!(p & NF_HAS_DST_MASK) && r->dst_mask != 0) ||
		(!(p & NF_HAS_DIRECTION) && r->direction != 0) ||
		(!(p & NF_HAS_SRC_VLAN) && r->src_vlan != 0) ||
		(!(p & NF_HAS_DST_VLAN) && r->dst_vlan != 0) ||
		(!(p & NF_HAS_SRC_MAC) && !all_zero(r->src_mac, sizeof(r->src_mac))) ||
		(!(p & NF_HAS_DST_MAC) && !all_zero(r->dst_mac, sizeof(r->dst_mac))) ||
		(!(p & NF_HAS_END_REASON) && r->end_reason != 0) ||
		(!(p & NF_HAS_ICMP_TYPE) && (r->icmp_type != 0 || r->icmp_code != 0)))
		FAIL(NF_CHECK_INVALID, "An optional field that is absent has a nonzero value.");
	if (!all_zero(r->pad, sizeof(r->pad)))
		FAIL(NF_CHECK_INVALID, "The padding bytes of the record are not zero.");

#undef FAIL

	*detail = NULL;
	return NF_CHECK_OK;
}
