/*-------------------------------------------------------------------------
 *
 * flow_tuple.h
 *	  Columns of netflow.flows and conversion between an nf_flow_record and
 *	  an array of Datums in that column order.
 *
 * The table netflow.flows (sql/parts/10_flows.sql), the text form of the
 * netflow.flow type (keys = column names) and its binary form all follow
 * the column list below.  Keep the four in sync.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_FLOW_TUPLE_H
#define NETFLOW_FLOW_TUPLE_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"

#include "flow_record.h"

/* Columns of netflow.flows, in table order (0-based). */
typedef enum nf_flows_col
{
	NF_COL_TIME_START,
	NF_COL_TIME_END,
	NF_COL_TIME_RECEIVED,
	NF_COL_EXPORTER,
	NF_COL_OBS_DOMAIN,
	NF_COL_VERSION,
	NF_COL_SRC_ADDR,
	NF_COL_DST_ADDR,
	NF_COL_SRC_PORT,
	NF_COL_DST_PORT,
	NF_COL_PROTOCOL,
	NF_COL_TCP_FLAGS,
	NF_COL_TOS,
	NF_COL_PACKETS,
	NF_COL_BYTES,
	NF_COL_SAMPLING_INTERVAL,
	NF_COL_INPUT_IF,
	NF_COL_OUTPUT_IF,
	NF_COL_SRC_AS,
	NF_COL_DST_AS,
	NF_COL_NEXT_HOP,
	NF_COL_SRC_MASK,
	NF_COL_DST_MASK,
	NF_COL_DIRECTION,
	NF_COL_SRC_VLAN,
	NF_COL_DST_VLAN,
	NF_COL_SRC_MAC,
	NF_COL_DST_MAC,
	NF_COL_END_REASON,
	NF_COL_ICMP_TYPE,
	NF_COL_ICMP_CODE,
	NF_COL_FLAGS,
	NF_COL__COUNT
} nf_flows_col;

/* Number of columns of netflow.flows. */
#define NF_FLOWS_NATTS 32
StaticAssertDecl(NF_COL__COUNT == NF_FLOWS_NATTS, "NF_FLOWS_NATTS out of sync");

/* How a struct member is represented. */
typedef enum nf_field_kind
{
	NF_FK_TIME,					/* int64 us since Unix epoch; timestamptz */
	NF_FK_ADDR,					/* nf_addr; inet, NULL when family none */
	NF_FK_MAC,					/* uint8[6]; macaddr */
	NF_FK_UINT					/* unsigned integer of 'width' bytes */
} nf_field_kind;

/* Description of one column and the struct member behind it. */
typedef struct nf_flow_field
{
	const char *name;			/* column name = text-form key */
	nf_field_kind kind;
	uint8		width;			/* NF_FK_UINT: member size, 1/2/4/8 bytes */
	uint16		offset;			/* offsetof(nf_flow_record, member) */
	uint32		present_bit;	/* NF_HAS_* bit, 0 if not optional */
	Oid			typid;			/* SQL type of the column */
	uint64		maxval;			/* NF_FK_UINT: largest valid value */
	bool		required;		/* must be given (text key, non-NULL column) */
} nf_flow_field;

/* The columns, indexed by nf_flows_col. */
extern const nf_flow_field nf_flow_fields[NF_FLOWS_NATTS];

/* Unsigned integer member of a record described by 'f' (NF_FK_UINT). */
extern uint64 nf_field_get_uint(const nf_flow_record *r, const nf_flow_field *f);

/* Store an unsigned integer member (NF_FK_UINT); v must fit the width. */
extern void nf_field_set_uint(nf_flow_record *r, const nf_flow_field *f,
							  uint64 v);

/* True if the optional field 'f' is absent from the record. */
extern bool nf_field_absent(const nf_flow_record *r, const nf_flow_field *f);

/* Offset from Unix-epoch to PostgreSQL-epoch microseconds. */
#define NF_UNIX_TO_PG_USECS INT64CONST(946684800000000)

/*
 * Name of the first column whose value cannot be stored in netflow.flows
 * (a counter above the bigint range, a time outside timestamptz's range),
 * or NULL if the whole record fits.  The collector calls this before
 * nf_flow_store_slot to count and skip such records instead of failing.
 */
extern const char *nf_flow_unstorable(const nf_flow_record *r);

/*
 * The one row builder: store a record as a row of netflow.flows in the
 * virtual slot 'slot' (its tts_values/tts_isnull), the columns at
 * attidx[col] (see nf_flows_map_tupdesc); other attributes (dropped
 * columns) are NULL.  Absent optional fields are NULL.  inet and macaddr
 * values are palloc'd in CurrentMemoryContext.  Raises an ERROR if the
 * record is not storable (see nf_flow_unstorable).  Used by the collector's
 * bulk insert, netflow.expand() and netflow.decode().
 */
extern void nf_flow_store_slot(const nf_flow_record *r, TupleTableSlot *slot,
							   const int *attidx);

/*
 * Build a record from values[]/nulls[] in netflow.flows column order.  On
 * success returns true with *r filled (and valid per the validity
 * contract, flow_contract.h).  On failure returns false and sets
 * *sqlerrcode and *detail (a palloc'd sentence naming the column); *r is
 * then unspecified.  With 'partial', NULL is allowed in the columns a
 * netflow.flow requires (the table's CHECK constraint: a row may be
 * incomplete, but what it holds must satisfy the contract).
 */
extern bool nf_flow_from_values(const Datum *values, const bool *nulls,
								bool partial, nf_flow_record *r,
								int *sqlerrcode, char **detail);

/*
 * Check that a tuple descriptor has the columns of netflow.flows (dropped
 * columns allowed) and set attidx[col] to each column's index in it.
 * Raises an ERROR naming 'relname' if it does not match.
 */
extern void nf_flows_map_tupdesc(TupleDesc td, const char *relname,
								 int *attidx);

/* An nf_addr as an inet Datum (host address), and back (false: not one). */
extern Datum nf_addr_to_inet(const nf_addr *a);
extern bool inet_to_nf_addr(Datum d, nf_addr *out);

#endif							/* NETFLOW_FLOW_TUPLE_H */
