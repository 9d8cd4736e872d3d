/*-------------------------------------------------------------------------
 *
 * flow_contract.h
 *	  The validity contract of an nf_flow_record: the one definition of
 *	  what a flow record may hold, applied by the decoders where they emit
 *	  records, by the netflow.flow type's inputs and by the CHECK
 *	  constraint of netflow.flows.
 *
 * Plain C, no PostgreSQL header: the decoders apply it, and the unit tests
 * and the fuzz harness check it, without a server.
 *
 * The rules come in two kinds:
 *	- record rules: a record breaking one is unusable (the decoders drop and
 *	  count it; the type and the table reject it);
 *	- field rules: they concern one optional field; the decoders make that
 *	  field absent (NULL in SQL) and count it; the type and the table reject
 *	  a value that breaks them.
 *
 * See docs/flow-type.md ("Validity") and docs/decoding.md ("Validity
 * contract") for the rules as users see them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_FLOW_CONTRACT_H
#define NETFLOW_FLOW_CONTRACT_H

#include <stdbool.h>

#include "flow_record.h"

/* A rule of the contract; NF_RULE_OK when a record satisfies them all. */
typedef enum nf_rule
{
	NF_RULE_OK = 0,
	/* record rules */
	NF_RULE_PRESENT_BITS,		/* no unknown bit in 'present' */
	NF_RULE_FLAGS,				/* no unknown bit in 'flags' */
	NF_RULE_VERSION,			/* version 5, 9 or 10 */
	NF_RULE_EXPORTER_FAMILY,	/* each address: family none, 4 or 6 ... */
	NF_RULE_EXPORTER_BYTES,		/* ... and zero bytes beyond its length */
	NF_RULE_SRC_FAMILY,
	NF_RULE_SRC_BYTES,
	NF_RULE_DST_FAMILY,
	NF_RULE_DST_BYTES,
	NF_RULE_NEXT_HOP_FAMILY,
	NF_RULE_NEXT_HOP_BYTES,
	NF_RULE_MIXED_FAMILY,		/* src_addr, dst_addr of one family */
	NF_RULE_ABSENT_NONZERO,		/* an absent optional field is zero */
	NF_RULE_PADDING,			/* padding bytes are zero */
	/* field rules */
	NF_RULE_SRC_MASK,			/* src_mask <= 32 (IPv4 src_addr) or 128 */
	NF_RULE_DST_MASK,			/* dst_mask <= 32 (IPv4 dst_addr) or 128 */
	NF_RULE_DIRECTION,			/* direction 0 (ingress) or 1 (egress) */
	NF_RULE__COUNT
} nf_rule;

/* First rule a record breaks (record rules first), or NF_RULE_OK. */
extern nf_rule nf_contract_check(const nf_flow_record *r);

/*
 * Make a record satisfy the contract, as the decoders do before they emit
 * it: every optional field breaking a field rule is made absent (its
 * 'present' bit cleared, its value zeroed) and its NF_HAS_* bit is added
 * to *cleared.  Returns NF_RULE_OK, or the record rule that makes the
 * record unusable (the record must then be dropped).
 */
extern nf_rule nf_contract_apply(nf_flow_record *r, uint32_t *cleared);

/* True for a field rule, false for a record rule (and NF_RULE_OK). */
extern bool nf_rule_is_field_rule(nf_rule rule);

/*
 * True if breaking 'rule' means a value out of its range (SQL: numeric
 * value out of range), false if the record is malformed (invalid input).
 */
extern bool nf_rule_is_range(nf_rule rule);

/*
 * A constant English sentence describing how record 'r' breaks 'rule'
 * (the detail of the SQL error); "" for NF_RULE_OK.
 */
extern const char *nf_rule_detail(nf_rule rule, const nf_flow_record *r);

#endif							/* NETFLOW_FLOW_CONTRACT_H */
