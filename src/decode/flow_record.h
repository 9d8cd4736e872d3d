/*-------------------------------------------------------------------------
 *
 * flow_record.h
 *	  The one C struct for a flow record, shared by the protocol decoders,
 *	  the netflow.flow SQL type and the collector's insert path.
 *
 * This header includes no PostgreSQL header: the decoders that fill it are
 * unit-tested and fuzzed without a server.
 *
 * Layout rules (the netflow.flow type stores this struct verbatim, fixed
 * length, and compares/hashes it byte by byte):
 *	- fields are ordered by size, with explicit padding, so the struct has
 *	  no implicit padding bytes;
 *	- a record is always created zeroed (nf_flow_init), so padding and
 *	  absent fields are zero and two equal flows are equal bytes;
 *	- an optional field that the exporter did not send has its bit clear in
 *	  'present' (and is NULL in SQL); counters and times are always present.
 *
 * Times are microseconds since the Unix epoch (UTC), signed 64-bit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_FLOW_RECORD_H
#define NETFLOW_FLOW_RECORD_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

/* Address family of an nf_addr; 0 means "absent". */
#define NF_AF_NONE	0
#define NF_AF_INET	4
#define NF_AF_INET6 6

/* An IPv4 or IPv6 address; IPv4 uses the first 4 bytes of 'a'. */
typedef struct nf_addr
{
	uint8_t		family;			/* NF_AF_NONE, NF_AF_INET or NF_AF_INET6 */
	uint8_t		a[16];			/* network byte order */
} nf_addr;

/* Bits of nf_flow_record.present: optional fields the exporter sent. */
#define NF_HAS_SRC_PORT		(1u << 0)
#define NF_HAS_DST_PORT		(1u << 1)
#define NF_HAS_PROTOCOL		(1u << 2)
#define NF_HAS_TCP_FLAGS	(1u << 3)
#define NF_HAS_TOS			(1u << 4)
#define NF_HAS_INPUT_IF		(1u << 5)
#define NF_HAS_OUTPUT_IF	(1u << 6)
#define NF_HAS_SRC_AS		(1u << 7)
#define NF_HAS_DST_AS		(1u << 8)
#define NF_HAS_SRC_MASK		(1u << 9)
#define NF_HAS_DST_MASK		(1u << 10)
#define NF_HAS_DIRECTION	(1u << 11)
#define NF_HAS_SRC_VLAN		(1u << 12)
#define NF_HAS_DST_VLAN		(1u << 13)
#define NF_HAS_SRC_MAC		(1u << 14)
#define NF_HAS_DST_MAC		(1u << 15)
#define NF_HAS_END_REASON	(1u << 16)
#define NF_HAS_ICMP_TYPE	(1u << 17)	/* icmp_type/icmp_code valid */
#define NF_HAS_ALL_BITS		((1u << 18) - 1)

/*
 * Bits of nf_flow_record.flags: facts about how the record was obtained.
 */
#define NF_FLAG_TIME_FROM_RECEIVE	(1u << 0)	/* exporter sent no usable time;
												 * time_start/end = receive time */
#define NF_FLAG_DELAYED				(1u << 1)	/* decoded from a data set that
												 * waited for its template */
#define NF_FLAG_REVERSE				(1u << 2)	/* reverse direction of a
												 * bidirectional record */
#define NF_FLAG_ALL_BITS			((1u << 3) - 1)

/* Current binary version of the record (netflow.flow send/receive). */
#define NF_FLOW_RECORD_VERSION 1

/*
 * One flow.  Keep in sync with netflow.flows (sql/parts) and the type's
 * text form (src/flow/flow_type.c).  sizeof == 192 is asserted below.
 */
typedef struct nf_flow_record
{
	/* 8-byte fields */
	int64_t		time_start;		/* us since Unix epoch */
	int64_t		time_end;		/* us since Unix epoch */
	int64_t		time_received;	/* us since Unix epoch, collector clock */
	uint64_t	packets;		/* as exported (not upscaled) */
	uint64_t	bytes;			/* as exported (not upscaled) */
	uint64_t	sampling_interval;	/* 1 = unsampled, 0 = unknown */
	uint64_t	input_if;
	uint64_t	output_if;
	uint32_t	obs_domain;		/* v9 source id / IPFIX observation domain */
	uint32_t	src_as;
	uint32_t	dst_as;
	uint32_t	present;		/* NF_HAS_* */
	uint32_t	flags;			/* NF_FLAG_* */

	/* 2-byte fields */
	uint16_t	version;		/* 5, 9 or 10 */
	uint16_t	src_port;
	uint16_t	dst_port;
	uint16_t	src_vlan;
	uint16_t	dst_vlan;

	/* 1-byte fields and byte arrays */
	uint8_t		protocol;
	uint8_t		tcp_flags;
	uint8_t		tos;
	uint8_t		src_mask;
	uint8_t		dst_mask;
	uint8_t		direction;		/* 0 ingress, 1 egress */
	uint8_t		end_reason;		/* IPFIX flowEndReason (136) */
	uint8_t		icmp_type;
	uint8_t		icmp_code;
	uint8_t		src_mac[6];
	uint8_t		dst_mac[6];
	nf_addr		exporter;
	nf_addr		src_addr;
	nf_addr		dst_addr;
	nf_addr		next_hop;		/* family NF_AF_NONE when absent */
	uint8_t		pad[9];			/* always zero */
} nf_flow_record;

/* Layout guard: no implicit padding, stable size. */
_Static_assert(sizeof(nf_flow_record) == 192, "nf_flow_record layout changed");

/* Set a record to the all-zero state every record starts from. */
static inline void
nf_flow_init(nf_flow_record *r)
{
	memset(r, 0, sizeof(*r));
}

#endif							/* NETFLOW_FLOW_RECORD_H */
