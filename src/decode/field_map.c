/*-------------------------------------------------------------------------
 *
 * field_map.c
 *	  IANA information element -> nf_flow_record field mapping, shared by
 *	  NetFlow v9 and IPFIX (v9 field types 1-127 are the IPFIX elements).
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

#include "field_map.h"

/* How an element is encoded, to validate the length a template gives. */
typedef enum nf_field_kind
{
	NF_FK_UINT,					/* unsigned, reduced size allowed: 1..8 */
	NF_FK_V4,					/* 4 bytes */
	NF_FK_V6,					/* 16 bytes */
	NF_FK_MAC,					/* 6 bytes */
	NF_FK_NTP					/* 8 bytes, NTP timestamp */
} nf_field_kind;

/* A known element: its operation and encoding. */
typedef struct nf_field_def
{
	uint16_t	ie;
	uint8_t		op;				/* nf_op */
	uint8_t		kind;			/* nf_field_kind */
} nf_field_def;

/* Known elements, by element id (IANA "IPFIX Information Elements"). */
static const nf_field_def nf_fields[] = {
	{1, NF_OP_BYTES, NF_FK_UINT},
	{2, NF_OP_PACKETS, NF_FK_UINT},
	{4, NF_OP_PROTOCOL, NF_FK_UINT},
	{5, NF_OP_TOS, NF_FK_UINT},
	{6, NF_OP_TCP_FLAGS, NF_FK_UINT},
	{7, NF_OP_SRC_PORT, NF_FK_UINT},
	{8, NF_OP_SRC_V4, NF_FK_V4},
	{9, NF_OP_SRC_MASK, NF_FK_UINT},
	{10, NF_OP_INPUT_IF, NF_FK_UINT},
	{11, NF_OP_DST_PORT, NF_FK_UINT},
	{12, NF_OP_DST_V4, NF_FK_V4},
	{13, NF_OP_DST_MASK, NF_FK_UINT},
	{14, NF_OP_OUTPUT_IF, NF_FK_UINT},
	{15, NF_OP_NEXTHOP_V4, NF_FK_V4},
	{16, NF_OP_SRC_AS, NF_FK_UINT},
	{17, NF_OP_DST_AS, NF_FK_UINT},
	{18, NF_OP_BGP_NEXTHOP_V4, NF_FK_V4},
	{21, NF_OP_LAST_UPTIME, NF_FK_UINT},
	{22, NF_OP_FIRST_UPTIME, NF_FK_UINT},
	{27, NF_OP_SRC_V6, NF_FK_V6},
	{28, NF_OP_DST_V6, NF_FK_V6},
	{29, NF_OP_SRC_MASK, NF_FK_UINT},
	{30, NF_OP_DST_MASK, NF_FK_UINT},
	{32, NF_OP_ICMP_TC, NF_FK_UINT},
	{34, NF_OP_SAMPLING_INTERVAL, NF_FK_UINT},
	{35, NF_OP_SAMPLING_ALGO, NF_FK_UINT},
	{48, NF_OP_SAMPLER_ID, NF_FK_UINT},
	{49, NF_OP_SAMPLER_MODE, NF_FK_UINT},
	{50, NF_OP_SAMPLER_RANDOM_INTERVAL, NF_FK_UINT},
	{56, NF_OP_SRC_MAC, NF_FK_MAC},
	{57, NF_OP_POST_DST_MAC, NF_FK_MAC},
	{58, NF_OP_VLAN, NF_FK_UINT},
	{59, NF_OP_POST_VLAN, NF_FK_UINT},
	{61, NF_OP_DIRECTION, NF_FK_UINT},
	{62, NF_OP_NEXTHOP_V6, NF_FK_V6},
	{63, NF_OP_BGP_NEXTHOP_V6, NF_FK_V6},
	{80, NF_OP_DST_MAC, NF_FK_MAC},
	{81, NF_OP_POST_SRC_MAC, NF_FK_MAC},
	{85, NF_OP_TOTAL_BYTES, NF_FK_UINT},
	{86, NF_OP_TOTAL_PACKETS, NF_FK_UINT},
	{136, NF_OP_END_REASON, NF_FK_UINT},
	{139, NF_OP_ICMP_TC, NF_FK_UINT},
	{150, NF_OP_START_SEC, NF_FK_UINT},
	{151, NF_OP_END_SEC, NF_FK_UINT},
	{152, NF_OP_START_MS, NF_FK_UINT},
	{153, NF_OP_END_MS, NF_FK_UINT},
	{154, NF_OP_START_US, NF_FK_NTP},
	{155, NF_OP_END_US, NF_FK_NTP},
	{156, NF_OP_START_NS, NF_FK_NTP},
	{157, NF_OP_END_NS, NF_FK_NTP},
	{158, NF_OP_START_DELTA_US, NF_FK_UINT},
	{159, NF_OP_END_DELTA_US, NF_FK_UINT},
	{160, NF_OP_SYS_INIT_MS, NF_FK_UINT},
	{176, NF_OP_ICMP_TYPE, NF_FK_UINT},
	{177, NF_OP_ICMP_CODE, NF_FK_UINT},
	{178, NF_OP_ICMP_TYPE, NF_FK_UINT},
	{179, NF_OP_ICMP_CODE, NF_FK_UINT},
	{231, NF_OP_INIT_BYTES, NF_FK_UINT},
	{232, NF_OP_RESP_BYTES, NF_FK_UINT},
	{243, NF_OP_DOT1Q_VLAN, NF_FK_UINT},
	{254, NF_OP_POST_DOT1Q_VLAN, NF_FK_UINT},
	{298, NF_OP_INIT_PACKETS, NF_FK_UINT},
	{299, NF_OP_RESP_PACKETS, NF_FK_UINT},
	{302, NF_OP_SELECTOR_ID, NF_FK_UINT},
	{305, NF_OP_PKT_INTERVAL, NF_FK_UINT},
	{306, NF_OP_PKT_SPACE, NF_FK_UINT},
	{309, NF_OP_SAMPLING_SIZE, NF_FK_UINT},
	{310, NF_OP_SAMPLING_POPULATION, NF_FK_UINT},
};

/*
 * RFC 5103 reverse elements (PEN 29305, same element id as the forward
 * element), by element id.
 */
static const nf_field_def nf_reverse_fields[] = {
	{1, NF_OP_REV_BYTES, NF_FK_UINT},
	{2, NF_OP_REV_PACKETS, NF_FK_UINT},
	{6, NF_OP_REV_TCP_FLAGS, NF_FK_UINT},
	{85, NF_OP_REV_TOTAL_BYTES, NF_FK_UINT},
	{86, NF_OP_REV_TOTAL_PACKETS, NF_FK_UINT},
	{150, NF_OP_REV_START_SEC, NF_FK_UINT},
	{151, NF_OP_REV_END_SEC, NF_FK_UINT},
	{152, NF_OP_REV_START_MS, NF_FK_UINT},
	{153, NF_OP_REV_END_MS, NF_FK_UINT},
	{154, NF_OP_REV_START_US, NF_FK_NTP},
	{155, NF_OP_REV_END_US, NF_FK_NTP},
	{156, NF_OP_REV_START_NS, NF_FK_NTP},
	{157, NF_OP_REV_END_NS, NF_FK_NTP},
};

/*
 * Operation and encoding of element 'ie' in 'tab' (n entries, sorted by
 * ie); false if unknown.
 */
static bool
nf_field_lookup(const nf_field_def *tab, size_t n, uint16_t ie, nf_op *op,
				nf_field_kind *kind)
{
	size_t		lo = 0;
	size_t		hi = n;

	/* binary search: the table is sorted by ie */
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (tab[mid].ie == ie)
		{
			*op = (nf_op) tab[mid].op;
			*kind = (nf_field_kind) tab[mid].kind;
			return true;
		}
		if (tab[mid].ie < ie)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Operation for element 'ie' sent with length 'len' (see field_map.h). */
nf_op
nfd_field_op(uint16_t ie, uint16_t len, bool enterprise, uint32_t pen)
{
	nf_op		op;
	nf_field_kind kind;
	bool		ok;

	if (len == NF_VARLEN)
		return NF_OP_SKIP;
	if (enterprise)
	{
		if (pen != NF_PEN_REVERSE ||
			!nf_field_lookup(nf_reverse_fields,
							 sizeof(nf_reverse_fields) / sizeof(nf_reverse_fields[0]),
							 ie, &op, &kind))
			return NF_OP_SKIP;
	}
	else if (!nf_field_lookup(nf_fields, sizeof(nf_fields) / sizeof(nf_fields[0]),
							  ie, &op, &kind))
		return NF_OP_SKIP;
	switch (kind)
	{
		case NF_FK_UINT:
			ok = (len >= 1 && len <= 8);
			break;
		case NF_FK_V4:
			ok = (len == 4);
			break;
		case NF_FK_V6:
			ok = (len == 16);
			break;
		case NF_FK_MAC:
			ok = (len == 6);
			break;
		case NF_FK_NTP:
			ok = (len == 8);
			break;
		default:
			ok = false;
			break;
	}
	return ok ? op : NF_OP_SKIP;
}
