/*-------------------------------------------------------------------------
 *
 * flow_contract.c
 *	  The validity contract of an nf_flow_record (see flow_contract.h).
 *
 * The rules, in the order they are checked:
 *	record rules (the record is unusable):
 *	- no unknown bit in 'present' or 'flags'; version is 5, 9 or 10;
 *	- every address (exporter, src_addr, dst_addr, next_hop) has family
 *	  none, IPv4 or IPv6, and zero bytes beyond its length (all zero when
 *	  absent);
 *	- src_addr and dst_addr, when both present, have the same family;
 *	- canonical form: an optional field whose present bit is clear is zero,
 *	  and the padding is zero, so that equal flows are equal bytes;
 *	field rules (the optional field is unusable):
 *	- src_mask/dst_mask are at most 32 when the address of that end is
 *	  IPv4, at most 128 otherwise;
 *	- direction is 0 (ingress) or 1 (egress).
 *
 * The decoders build records from zeroed ones, so only the mixed-family
 * rule and the field rules can be broken by what an exporter sends.
 *
 *-------------------------------------------------------------------------
 */
#include "flow_contract.h"

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

/* Family rule broken by an address, or NF_RULE_OK (rules in pairs). */
static nf_rule
check_addr(const nf_addr *a, nf_rule bad_family)
{
	switch (a->family)
	{
		case NF_AF_NONE:
			return all_zero(a->a, sizeof(a->a)) ? NF_RULE_OK : bad_family + 1;
		case NF_AF_INET:
			return all_zero(a->a + 4, sizeof(a->a) - 4) ? NF_RULE_OK : bad_family + 1;
		case NF_AF_INET6:
			return NF_RULE_OK;
		default:
			return bad_family;
	}
}

/* Largest prefix length for an address of the given family. */
static inline unsigned int
max_mask(const nf_addr *a)
{
	return a->family == NF_AF_INET ? 32 : 128;
}

/* First record rule broken, or NF_RULE_OK. */
static nf_rule
check_record(const nf_flow_record *r)
{
	uint32_t	p = r->present;
	nf_rule		rule;

	if (p & ~NF_HAS_ALL_BITS)
		return NF_RULE_PRESENT_BITS;
	if (r->flags & ~NF_FLAG_ALL_BITS)
		return NF_RULE_FLAGS;
	if (r->version != 5 && r->version != 9 && r->version != 10)
		return NF_RULE_VERSION;
	if ((rule = check_addr(&r->exporter, NF_RULE_EXPORTER_FAMILY)) != NF_RULE_OK ||
		(rule = check_addr(&r->src_addr, NF_RULE_SRC_FAMILY)) != NF_RULE_OK ||
		(rule = check_addr(&r->dst_addr, NF_RULE_DST_FAMILY)) != NF_RULE_OK ||
		(rule = check_addr(&r->next_hop, NF_RULE_NEXT_HOP_FAMILY)) != NF_RULE_OK)
		return rule;
	if (r->src_addr.family != NF_AF_NONE && r->dst_addr.family != NF_AF_NONE &&
		r->src_addr.family != r->dst_addr.family)
		return NF_RULE_MIXED_FAMILY;
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
		return NF_RULE_ABSENT_NONZERO;
	if (!all_zero(r->pad, sizeof(r->pad)))
		return NF_RULE_PADDING;
	return NF_RULE_OK;
}

/* First rule a record breaks, or NF_RULE_OK. */
nf_rule
nf_contract_check(const nf_flow_record *r)
{
	nf_rule		rule = check_record(r);

	if (rule != NF_RULE_OK)
		return rule;
	if ((r->present & NF_HAS_SRC_MASK) && r->src_mask > max_mask(&r->src_addr))
		return NF_RULE_SRC_MASK;
	if ((r->present & NF_HAS_DST_MASK) && r->dst_mask > max_mask(&r->dst_addr))
		return NF_RULE_DST_MASK;
	if ((r->present & NF_HAS_DIRECTION) && r->direction > 1)
		return NF_RULE_DIRECTION;
	return NF_RULE_OK;
}

/* Make the fields that break a field rule absent; drop verdict. */
nf_rule
nf_contract_apply(nf_flow_record *r, uint32_t *cleared)
{
	nf_rule		rule = check_record(r);

	*cleared = 0;
	if (rule != NF_RULE_OK)
		return rule;
	if ((r->present & NF_HAS_SRC_MASK) && r->src_mask > max_mask(&r->src_addr))
	{
		r->present &= ~NF_HAS_SRC_MASK;
		r->src_mask = 0;
		*cleared |= NF_HAS_SRC_MASK;
	}
	if ((r->present & NF_HAS_DST_MASK) && r->dst_mask > max_mask(&r->dst_addr))
	{
		r->present &= ~NF_HAS_DST_MASK;
		r->dst_mask = 0;
		*cleared |= NF_HAS_DST_MASK;
	}
	if ((r->present & NF_HAS_DIRECTION) && r->direction > 1)
	{
		r->present &= ~NF_HAS_DIRECTION;
		r->direction = 0;
		*cleared |= NF_HAS_DIRECTION;
	}
	return NF_RULE_OK;
}

/* True for a field rule. */
bool
nf_rule_is_field_rule(nf_rule rule)
{
	return rule == NF_RULE_SRC_MASK || rule == NF_RULE_DST_MASK ||
		rule == NF_RULE_DIRECTION;
}

/* True if the rule bounds a value (out of range rather than malformed). */
bool
nf_rule_is_range(nf_rule rule)
{
	return rule == NF_RULE_FLAGS || rule == NF_RULE_VERSION ||
		nf_rule_is_field_rule(rule);
}

/* The sentence describing how 'r' breaks 'rule'. */
const char *
nf_rule_detail(nf_rule rule, const nf_flow_record *r)
{
	switch (rule)
	{
		case NF_RULE_OK:
		case NF_RULE__COUNT:
			break;
		case NF_RULE_PRESENT_BITS:
			return "The record has present bits that this version of netflow does not know.";
		case NF_RULE_FLAGS:
			return "The flags value has bits other than 1 (time from receive time), 2 (decoded after waiting for its template) and 4 (reverse direction of a bidirectional record).";
		case NF_RULE_VERSION:
			return "The version must be 5, 9 or 10.";
		case NF_RULE_EXPORTER_FAMILY:
			return "The exporter address has an unknown address family.";
		case NF_RULE_EXPORTER_BYTES:
			return "The exporter address has nonzero bytes beyond its length.";
		case NF_RULE_SRC_FAMILY:
			return "The src_addr address has an unknown address family.";
		case NF_RULE_SRC_BYTES:
			return "The src_addr address has nonzero bytes beyond its length.";
		case NF_RULE_DST_FAMILY:
			return "The dst_addr address has an unknown address family.";
		case NF_RULE_DST_BYTES:
			return "The dst_addr address has nonzero bytes beyond its length.";
		case NF_RULE_NEXT_HOP_FAMILY:
			return "The next_hop address has an unknown address family.";
		case NF_RULE_NEXT_HOP_BYTES:
			return "The next_hop address has nonzero bytes beyond its length.";
		case NF_RULE_MIXED_FAMILY:
			return "The src_addr and dst_addr must be of the same address family.";
		case NF_RULE_ABSENT_NONZERO:
			return "An optional field that is absent has a nonzero value.";
		case NF_RULE_PADDING:
			return "The padding bytes of the record are not zero.";
		case NF_RULE_SRC_MASK:
			return r->src_addr.family == NF_AF_INET ?
				"The src_mask must be between 0 and 32 for an IPv4 src_addr." :
				"The src_mask must be between 0 and 128.";
		case NF_RULE_DST_MASK:
			return r->dst_addr.family == NF_AF_INET ?
				"The dst_mask must be between 0 and 32 for an IPv4 dst_addr." :
				"The dst_mask must be between 0 and 128.";
		case NF_RULE_DIRECTION:
			return "The direction must be 0 (ingress) or 1 (egress).";
	}
	return "";
}
