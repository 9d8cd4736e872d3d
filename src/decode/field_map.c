/*-------------------------------------------------------------------------
 *
 * field_map.c
 *	  IANA information element -> nf_flow_record field mapping, shared by
 *	  NetFlow v9 and IPFIX (v9 field types 1-127 are the IPFIX elements).
 *
 *-------------------------------------------------------------------------
 */
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

/* Operation and encoding of a known element; false if unknown. */
static bool
nf_field_lookup(uint16_t ie, nf_op *op, nf_field_kind *kind)
{
	*kind = NF_FK_UINT;
	switch (ie)
	{
		case 1: *op = NF_OP_BYTES; break;
		case 2: *op = NF_OP_PACKETS; break;
		case 85: *op = NF_OP_TOTAL_BYTES; break;
		case 86: *op = NF_OP_TOTAL_PACKETS; break;
		case 4: *op = NF_OP_PROTOCOL; break;
		case 5: *op = NF_OP_TOS; break;
		case 6: *op = NF_OP_TCP_FLAGS; break;
		case 7: *op = NF_OP_SRC_PORT; break;
		case 11: *op = NF_OP_DST_PORT; break;
		case 8: *op = NF_OP_SRC_V4; *kind = NF_FK_V4; break;
		case 12: *op = NF_OP_DST_V4; *kind = NF_FK_V4; break;
		case 27: *op = NF_OP_SRC_V6; *kind = NF_FK_V6; break;
		case 28: *op = NF_OP_DST_V6; *kind = NF_FK_V6; break;
		case 9:
		case 29: *op = NF_OP_SRC_MASK; break;
		case 13:
		case 30: *op = NF_OP_DST_MASK; break;
		case 10: *op = NF_OP_INPUT_IF; break;
		case 14: *op = NF_OP_OUTPUT_IF; break;
		case 15: *op = NF_OP_NEXTHOP_V4; *kind = NF_FK_V4; break;
		case 62: *op = NF_OP_NEXTHOP_V6; *kind = NF_FK_V6; break;
		case 18: *op = NF_OP_BGP_NEXTHOP_V4; *kind = NF_FK_V4; break;
		case 63: *op = NF_OP_BGP_NEXTHOP_V6; *kind = NF_FK_V6; break;
		case 16: *op = NF_OP_SRC_AS; break;
		case 17: *op = NF_OP_DST_AS; break;
		case 21: *op = NF_OP_LAST_UPTIME; break;
		case 22: *op = NF_OP_FIRST_UPTIME; break;
		case 32:
		case 139: *op = NF_OP_ICMP_TC; break;
		case 176:
		case 178: *op = NF_OP_ICMP_TYPE; break;
		case 177:
		case 179: *op = NF_OP_ICMP_CODE; break;
		case 56: *op = NF_OP_SRC_MAC; *kind = NF_FK_MAC; break;
		case 80: *op = NF_OP_DST_MAC; *kind = NF_FK_MAC; break;
		case 57: *op = NF_OP_POST_DST_MAC; *kind = NF_FK_MAC; break;
		case 81: *op = NF_OP_POST_SRC_MAC; *kind = NF_FK_MAC; break;
		case 58: *op = NF_OP_VLAN; break;
		case 59: *op = NF_OP_POST_VLAN; break;
		case 243: *op = NF_OP_DOT1Q_VLAN; break;
		case 254: *op = NF_OP_POST_DOT1Q_VLAN; break;
		case 61: *op = NF_OP_DIRECTION; break;
		case 136: *op = NF_OP_END_REASON; break;
		case 150: *op = NF_OP_START_SEC; break;
		case 151: *op = NF_OP_END_SEC; break;
		case 152: *op = NF_OP_START_MS; break;
		case 153: *op = NF_OP_END_MS; break;
		case 154: *op = NF_OP_START_US; *kind = NF_FK_NTP; break;
		case 155: *op = NF_OP_END_US; *kind = NF_FK_NTP; break;
		case 156: *op = NF_OP_START_NS; *kind = NF_FK_NTP; break;
		case 157: *op = NF_OP_END_NS; *kind = NF_FK_NTP; break;
		case 158: *op = NF_OP_START_DELTA_US; break;
		case 159: *op = NF_OP_END_DELTA_US; break;
		case 160: *op = NF_OP_SYS_INIT_MS; break;
		case 34: *op = NF_OP_SAMPLING_INTERVAL; break;
		case 35: *op = NF_OP_SAMPLING_ALGO; break;
		case 48: *op = NF_OP_SAMPLER_ID; break;
		case 49: *op = NF_OP_SAMPLER_MODE; break;
		case 50: *op = NF_OP_SAMPLER_RANDOM_INTERVAL; break;
		case 302: *op = NF_OP_SELECTOR_ID; break;
		case 305: *op = NF_OP_PKT_INTERVAL; break;
		case 306: *op = NF_OP_PKT_SPACE; break;
		case 309: *op = NF_OP_SAMPLING_SIZE; break;
		case 310: *op = NF_OP_SAMPLING_POPULATION; break;
		default:
			return false;
	}
	return true;
}

/* Operation for element 'ie' sent with length 'len' (see field_map.h). */
nf_op
nf_field_op(uint16_t ie, uint16_t len, bool enterprise)
{
	nf_op		op;
	nf_field_kind kind;
	bool		ok;

	if (enterprise || len == NF_VARLEN)
		return NF_OP_SKIP;
	if (!nf_field_lookup(ie, &op, &kind))
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
