/*-------------------------------------------------------------------------
 *
 * field_map.h
 *	  Mapping of IANA IPFIX information elements (and the NetFlow v9 field
 *	  types, which equal them for 1-127) to nf_flow_record fields.
 *
 * A template is compiled once, when it is learned, into a list of field
 * operations (nf_fop); data records are then decoded by walking that list.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_FIELD_MAP_H
#define NETFLOW_FIELD_MAP_H

#include <stdint.h>
#include <stdbool.h>

/* What to do with one field of a data record. */
typedef enum nf_op
{
	NF_OP_SKIP = 0,				/* unknown, enterprise or unusable length */
	NF_OP_BYTES,				/* 1 octetDeltaCount */
	NF_OP_PACKETS,				/* 2 packetDeltaCount */
	NF_OP_TOTAL_BYTES,			/* 85 octetTotalCount */
	NF_OP_TOTAL_PACKETS,		/* 86 packetTotalCount */
	NF_OP_PROTOCOL,				/* 4 */
	NF_OP_TOS,					/* 5 */
	NF_OP_TCP_FLAGS,			/* 6 */
	NF_OP_SRC_PORT,				/* 7 */
	NF_OP_DST_PORT,				/* 11 */
	NF_OP_SRC_V4,				/* 8 */
	NF_OP_DST_V4,				/* 12 */
	NF_OP_SRC_V6,				/* 27 */
	NF_OP_DST_V6,				/* 28 */
	NF_OP_SRC_MASK,				/* 9, 29 */
	NF_OP_DST_MASK,				/* 13, 30 */
	NF_OP_INPUT_IF,				/* 10 */
	NF_OP_OUTPUT_IF,			/* 14 */
	NF_OP_NEXTHOP_V4,			/* 15 */
	NF_OP_NEXTHOP_V6,			/* 62 */
	NF_OP_BGP_NEXTHOP_V4,		/* 18 */
	NF_OP_BGP_NEXTHOP_V6,		/* 63 */
	NF_OP_SRC_AS,				/* 16 */
	NF_OP_DST_AS,				/* 17 */
	NF_OP_LAST_UPTIME,			/* 21 flowEndSysUpTime */
	NF_OP_FIRST_UPTIME,			/* 22 flowStartSysUpTime */
	NF_OP_ICMP_TC,				/* 32, 139 type<<8|code */
	NF_OP_ICMP_TYPE,			/* 176, 178 */
	NF_OP_ICMP_CODE,			/* 177, 179 */
	NF_OP_SRC_MAC,				/* 56 */
	NF_OP_DST_MAC,				/* 80 */
	NF_OP_POST_DST_MAC,			/* 57 */
	NF_OP_POST_SRC_MAC,			/* 81 */
	NF_OP_VLAN,					/* 58 */
	NF_OP_POST_VLAN,			/* 59 */
	NF_OP_DOT1Q_VLAN,			/* 243 */
	NF_OP_POST_DOT1Q_VLAN,		/* 254 */
	NF_OP_DIRECTION,			/* 61 */
	NF_OP_END_REASON,			/* 136 */
	NF_OP_START_SEC,			/* 150 */
	NF_OP_END_SEC,				/* 151 */
	NF_OP_START_MS,				/* 152 */
	NF_OP_END_MS,				/* 153 */
	NF_OP_START_US,				/* 154 (NTP format) */
	NF_OP_END_US,				/* 155 (NTP format) */
	NF_OP_START_NS,				/* 156 (NTP format) */
	NF_OP_END_NS,				/* 157 (NTP format) */
	NF_OP_START_DELTA_US,		/* 158 */
	NF_OP_END_DELTA_US,			/* 159 */
	NF_OP_SYS_INIT_MS,			/* 160 systemInitTimeMilliseconds */
	NF_OP_SAMPLING_INTERVAL,	/* 34 */
	NF_OP_SAMPLING_ALGO,		/* 35 */
	NF_OP_SAMPLER_ID,			/* 48 */
	NF_OP_SAMPLER_MODE,			/* 49 */
	NF_OP_SAMPLER_RANDOM_INTERVAL,	/* 50 */
	NF_OP_SELECTOR_ID,			/* 302 */
	NF_OP_PKT_INTERVAL,			/* 305 samplingPacketInterval */
	NF_OP_PKT_SPACE,			/* 306 samplingPacketSpace */
	NF_OP_SAMPLING_SIZE,		/* 309 samplingSize */
	NF_OP_SAMPLING_POPULATION,	/* 310 samplingPopulation */
	/* biflows (RFC 5103, NSEL): all in record.c's second mask */
	NF_OP_INIT_BYTES = 64,		/* 231 initiatorOctets */
	NF_OP_RESP_BYTES,			/* 232 responderOctets */
	NF_OP_INIT_PACKETS,			/* 298 initiatorPackets */
	NF_OP_RESP_PACKETS,			/* 299 responderPackets */
	NF_OP_REV_BYTES,			/* 29305/1 reverseOctetDeltaCount */
	NF_OP_REV_PACKETS,			/* 29305/2 reversePacketDeltaCount */
	NF_OP_REV_TCP_FLAGS,		/* 29305/6 reverseTcpControlBits */
	NF_OP_REV_TOTAL_BYTES,		/* 29305/85 reverseOctetTotalCount */
	NF_OP_REV_TOTAL_PACKETS,	/* 29305/86 reversePacketTotalCount */
	NF_OP_REV_START_SEC,		/* 29305/150 */
	NF_OP_REV_END_SEC,			/* 29305/151 */
	NF_OP_REV_START_MS,			/* 29305/152 */
	NF_OP_REV_END_MS,			/* 29305/153 */
	NF_OP_REV_START_US,			/* 29305/154 (NTP format) */
	NF_OP_REV_END_US,			/* 29305/155 (NTP format) */
	NF_OP_REV_START_NS,			/* 29305/156 (NTP format) */
	NF_OP_REV_END_NS,			/* 29305/157 (NTP format) */
	NF_OP__COUNT
} nf_op;

/* First op past the 64 bits of the main "seen" mask (see record.c). */
#define NF_OP_FIRST_HI	NF_OP_INIT_BYTES

/* Length value meaning "variable length" in an IPFIX field specifier. */
#define NF_VARLEN 0xFFFF

/* Private enterprise number of the RFC 5103 reverse elements (IPFIX). */
#define NF_PEN_REVERSE	29305

/*
 * Operation for information element 'ie' (enterprise bit already removed)
 * sent with length 'len'; 'pen' is its enterprise number when 'enterprise'.
 * The RFC 5103 reverse elements (PEN 29305) of the mapped counters, TCP
 * flags and absolute times are mapped; other enterprise-specific elements,
 * unknown elements and lengths the element cannot have are NF_OP_SKIP: the
 * field is skipped by its length and the record is kept.
 */
extern nf_op nfd_field_op(uint16_t ie, uint16_t len, bool enterprise,
						  uint32_t pen);

#endif							/* NETFLOW_FIELD_MAP_H */
