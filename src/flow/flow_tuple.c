/*-------------------------------------------------------------------------
 *
 * flow_tuple.c
 *	  Columns of netflow.flows and conversion between an nf_flow_record and
 *	  Datums in that column order (see flow_tuple.h).
 *
 * nf_flow_store_slot is the one row builder: the collector's insert path,
 * netflow.expand() (the cast to netflow.flows) and netflow.decode() all
 * write records into their slots with it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "flow_contract.h"
#include "flow_tuple.h"

#define MEMBER_SIZE(m) sizeof(((nf_flow_record *) 0)->m)

#define F_TIME(m) \
	{#m, NF_FK_TIME, 8, offsetof(nf_flow_record, m), 0, TIMESTAMPTZOID, 0, true}
#define F_ADDR(m) \
	{#m, NF_FK_ADDR, 0, offsetof(nf_flow_record, m), 0, INETOID, 0, false}
#define F_MAC(m, bit) \
	{#m, NF_FK_MAC, 6, offsetof(nf_flow_record, m), bit, MACADDROID, 0, false}
#define F_UINT(m, bit, typ, max, req) \
	{#m, NF_FK_UINT, MEMBER_SIZE(m), offsetof(nf_flow_record, m), bit, typ, max, req}

const nf_flow_field nf_flow_fields[NF_FLOWS_NATTS] = {
	F_TIME(time_start),
	F_TIME(time_end),
	F_TIME(time_received),
	F_ADDR(exporter),
	F_UINT(obs_domain, 0, INT8OID, PG_UINT32_MAX, false),
	F_UINT(version, 0, INT2OID, PG_UINT16_MAX, true),
	F_ADDR(src_addr),
	F_ADDR(dst_addr),
	F_UINT(src_port, NF_HAS_SRC_PORT, INT4OID, PG_UINT16_MAX, false),
	F_UINT(dst_port, NF_HAS_DST_PORT, INT4OID, PG_UINT16_MAX, false),
	F_UINT(protocol, NF_HAS_PROTOCOL, INT2OID, PG_UINT8_MAX, false),
	F_UINT(tcp_flags, NF_HAS_TCP_FLAGS, INT2OID, PG_UINT8_MAX, false),
	F_UINT(tos, NF_HAS_TOS, INT2OID, PG_UINT8_MAX, false),
	F_UINT(packets, 0, INT8OID, PG_UINT64_MAX, true),
	F_UINT(bytes, 0, INT8OID, PG_UINT64_MAX, true),
	F_UINT(sampling_interval, 0, INT8OID, PG_UINT64_MAX, true),
	F_UINT(input_if, NF_HAS_INPUT_IF, INT8OID, PG_UINT64_MAX, false),
	F_UINT(output_if, NF_HAS_OUTPUT_IF, INT8OID, PG_UINT64_MAX, false),
	F_UINT(src_as, NF_HAS_SRC_AS, INT8OID, PG_UINT32_MAX, false),
	F_UINT(dst_as, NF_HAS_DST_AS, INT8OID, PG_UINT32_MAX, false),
	F_ADDR(next_hop),
	/* masks and direction: their limits are the contract's (flow_contract.c) */
	F_UINT(src_mask, NF_HAS_SRC_MASK, INT2OID, PG_UINT8_MAX, false),
	F_UINT(dst_mask, NF_HAS_DST_MASK, INT2OID, PG_UINT8_MAX, false),
	F_UINT(direction, NF_HAS_DIRECTION, INT2OID, PG_UINT8_MAX, false),
	F_UINT(src_vlan, NF_HAS_SRC_VLAN, INT4OID, PG_UINT16_MAX, false),
	F_UINT(dst_vlan, NF_HAS_DST_VLAN, INT4OID, PG_UINT16_MAX, false),
	F_MAC(src_mac, NF_HAS_SRC_MAC),
	F_MAC(dst_mac, NF_HAS_DST_MAC),
	F_UINT(end_reason, NF_HAS_END_REASON, INT2OID, PG_UINT8_MAX, false),
	F_UINT(icmp_type, NF_HAS_ICMP_TYPE, INT2OID, PG_UINT8_MAX, false),
	F_UINT(icmp_code, NF_HAS_ICMP_TYPE, INT2OID, PG_UINT8_MAX, false),
	F_UINT(flags, 0, INT4OID, NF_FLAG_ALL_BITS, false),
};

/* Read an unsigned integer member described by f. */
uint64
nf_field_get_uint(const nf_flow_record *r, const nf_flow_field *f)
{
	const char *p = (const char *) r + f->offset;
	uint8		v8;
	uint16		v16;
	uint32		v32;
	uint64		v64;

	switch (f->width)
	{
		case 1:
			memcpy(&v8, p, 1);
			return v8;
		case 2:
			memcpy(&v16, p, 2);
			return v16;
		case 4:
			memcpy(&v32, p, 4);
			return v32;
		default:
			memcpy(&v64, p, 8);
			return v64;
	}
}

/* Store an unsigned integer member described by f. */
void
nf_field_set_uint(nf_flow_record *r, const nf_flow_field *f, uint64 v)
{
	char	   *p = (char *) r + f->offset;
	uint8		v8 = (uint8) v;
	uint16		v16 = (uint16) v;
	uint32		v32 = (uint32) v;

	switch (f->width)
	{
		case 1:
			memcpy(p, &v8, 1);
			break;
		case 2:
			memcpy(p, &v16, 2);
			break;
		case 4:
			memcpy(p, &v32, 4);
			break;
		default:
			memcpy(p, &v, 8);
			break;
	}
}

/* True if the optional field f is absent from r. */
bool
nf_field_absent(const nf_flow_record *r, const nf_flow_field *f)
{
	if (f->kind == NF_FK_ADDR)
		return ((const nf_addr *) ((const char *) r + f->offset))->family == NF_AF_NONE;
	return f->present_bit != 0 && (r->present & f->present_bit) == 0;
}

/* Convert Unix-epoch microseconds to timestamptz; false if out of range. */
static bool
unix_to_timestamptz(int64 us, TimestampTz *ts)
{
	if (pg_sub_s64_overflow(us, NF_UNIX_TO_PG_USECS, ts))
		return false;
	return IS_VALID_TIMESTAMP(*ts);
}

/* Name of the first column that cannot be stored, or NULL. */
const char *
nf_flow_unstorable(const nf_flow_record *r)
{
	int			i;

	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		TimestampTz ts;
		int64		t;

		if (f->kind == NF_FK_TIME)
		{
			memcpy(&t, (const char *) r + f->offset, sizeof(t));
			if (!unix_to_timestamptz(t, &ts))
				return f->name;
		}
		else if (f->kind == NF_FK_UINT && f->typid == INT8OID &&
				 !nf_field_absent(r, f) &&
				 nf_field_get_uint(r, f) > (uint64) PG_INT64_MAX)
			return f->name;
	}
	return NULL;
}

/* Store a record as a netflow.flows row in a virtual slot. */
void
nf_flow_store_slot(const nf_flow_record *r, TupleTableSlot *slot,
				   const int *attidx)
{
	const char *bad = nf_flow_unstorable(r);
	Datum	   *values = slot->tts_values;
	bool	   *nulls = slot->tts_isnull;
	int			i;

	Assert(TTS_IS_VIRTUAL(slot));
	if (bad != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("netflow.flow value cannot be stored in netflow.flows"),
				 errdetail("The value of column \"%s\" is outside the range of its SQL type.",
						   bad)));

	ExecClearTuple(slot);
	/* dropped columns, if any, stay NULL */
	memset(nulls, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		const char *p = (const char *) r + f->offset;
		int			a = attidx[i];

		values[a] = (Datum) 0;
		nulls[a] = nf_field_absent(r, f);
		if (nulls[a])
			continue;

		switch (f->kind)
		{
			case NF_FK_TIME:
				{
					int64		t;
					TimestampTz ts;

					memcpy(&t, p, sizeof(t));
					(void) unix_to_timestamptz(t, &ts); /* checked above */
					values[a] = TimestampTzGetDatum(ts);
					break;
				}
			case NF_FK_ADDR:
				{
					values[a] = nf_addr_to_inet((const nf_addr *) p);
					break;
				}
			case NF_FK_MAC:
				{
					macaddr    *m = (macaddr *) palloc(sizeof(macaddr));

					memcpy(m, p, 6);
					values[a] = MacaddrPGetDatum(m);
					break;
				}
			case NF_FK_UINT:
				{
					uint64		v = nf_field_get_uint(r, f);

					if (f->typid == INT2OID)
						values[a] = Int16GetDatum((int16) v);
					else if (f->typid == INT4OID)
						values[a] = Int32GetDatum((int32) v);
					else
						values[a] = Int64GetDatum((int64) v);
					break;
				}
		}
	}
	ExecStoreVirtualTuple(slot);
}

/* Build a record from values/nulls in netflow.flows column order. */
bool
nf_flow_from_values(const Datum *values, const bool *nulls, bool partial,
					nf_flow_record *r, int *sqlerrcode, char **detail)
{
	nf_rule		rule;
	int			i;

#define FAIL(code, ...) \
	do { *sqlerrcode = (code); *detail = psprintf(__VA_ARGS__); return false; } while (0)

	nf_flow_init(r);

	if (nulls[NF_COL_ICMP_TYPE] != nulls[NF_COL_ICMP_CODE])
		FAIL(ERRCODE_NULL_VALUE_NOT_ALLOWED,
			 "Columns \"icmp_type\" and \"icmp_code\" must be both NULL or both set.");

	for (i = 0; i < NF_FLOWS_NATTS; i++)
	{
		const nf_flow_field *f = &nf_flow_fields[i];
		char	   *p = (char *) r + f->offset;

		if (nulls[i])
		{
			if (f->required && !partial)
				FAIL(ERRCODE_NULL_VALUE_NOT_ALLOWED,
					 "Column \"%s\" is NULL, but a netflow.flow needs a value for it.",
					 f->name);
			continue;			/* absent, or zero for obs_domain/flags */
		}
		r->present |= f->present_bit;

		switch (f->kind)
		{
			case NF_FK_TIME:
				{
					TimestampTz ts = DatumGetTimestampTz(values[i]);
					int64		t;

					if (TIMESTAMP_NOT_FINITE(ts) ||
						pg_add_s64_overflow(ts, NF_UNIX_TO_PG_USECS, &t))
						FAIL(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE,
							 "Column \"%s\" is not a finite time that a netflow.flow can hold.",
							 f->name);
					memcpy(p, &t, sizeof(t));
					break;
				}
			case NF_FK_ADDR:
				{
					inet	   *ip = DatumGetInetPP(values[i]);
					nf_addr    *a = (nf_addr *) p;

					if (ip_bits(ip) != ip_maxbits(ip))
						FAIL(ERRCODE_INVALID_PARAMETER_VALUE,
							 "Column \"%s\" holds a network with a netmask, but a netflow.flow holds host addresses only.",
							 f->name);
					a->family = ip_family(ip) == PGSQL_AF_INET ? NF_AF_INET : NF_AF_INET6;
					memcpy(a->a, ip_addr(ip), ip_addrsize(ip));
					break;
				}
			case NF_FK_MAC:
				memcpy(p, DatumGetMacaddrP(values[i]), 6);
				break;
			case NF_FK_UINT:
				{
					int64		v;

					if (f->typid == INT2OID)
						v = DatumGetInt16(values[i]);
					else if (f->typid == INT4OID)
						v = DatumGetInt32(values[i]);
					else
						v = DatumGetInt64(values[i]);
					if (v < 0 || (uint64) v > f->maxval)
						FAIL(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
							 "Column \"%s\" holds " INT64_FORMAT ", outside the range 0 to " UINT64_FORMAT ".",
							 f->name, v, f->maxval);
					nf_field_set_uint(r, f, (uint64) v);
					break;
				}
		}
	}

	/* a row may leave the version NULL: any valid one stands in for it */
	if (partial && nulls[NF_COL_VERSION])
		r->version = 10;
	rule = nf_contract_check(r);
	if (rule != NF_RULE_OK)
		FAIL(nf_rule_is_range(rule) ? ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE :
			 ERRCODE_INVALID_PARAMETER_VALUE, "%s", nf_rule_detail(rule, r));
#undef FAIL
	return true;
}

/* Map the columns of netflow.flows onto a tuple descriptor. */
void
nf_flows_map_tupdesc(TupleDesc td, const char *relname, int *attidx)
{
	int			col = 0;
	int			i;

	for (i = 0; i < td->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(td, i);

		if (att->attisdropped)
			continue;
		if (col >= NF_FLOWS_NATTS ||
			strcmp(NameStr(att->attname), nf_flow_fields[col].name) != 0 ||
			att->atttypid != nf_flow_fields[col].typid)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("\"%s\" does not have the columns of netflow.flows", relname),
					 col < NF_FLOWS_NATTS ?
					 errdetail("Column %d is \"%s\" of type %s; expected \"%s\" of type %s.",
							   col + 1, NameStr(att->attname),
							   format_type_be(att->atttypid),
							   nf_flow_fields[col].name,
							   format_type_be(nf_flow_fields[col].typid)) :
					 errdetail("It has more than %d columns.", NF_FLOWS_NATTS)));
		attidx[col++] = i;
	}
	if (col != NF_FLOWS_NATTS)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("\"%s\" does not have the columns of netflow.flows", relname),
				 errdetail("It has %d columns; expected %d.", col, NF_FLOWS_NATTS)));
}

/* Make an inet Datum (host address) from an nf_addr. */
Datum
nf_addr_to_inet(const nf_addr *a)
{
	inet	   *res = (inet *) palloc0(sizeof(inet));

	if (a->family == NF_AF_INET6)
	{
		ip_family(res) = PGSQL_AF_INET6;
		ip_bits(res) = 128;
		memcpy(ip_addr(res), a->a, 16);
	}
	else
	{
		ip_family(res) = PGSQL_AF_INET;
		ip_bits(res) = 32;
		memcpy(ip_addr(res), a->a, 4);
	}
	SET_INET_VARSIZE(res);
	return InetPGetDatum(res);
}

/* Read an inet Datum into an nf_addr; false if it is not a host address. */
bool
inet_to_nf_addr(Datum d, nf_addr *out)
{
	inet	   *in = DatumGetInetPP(d);

	memset(out, 0, sizeof(*out));
	if (ip_family(in) == PGSQL_AF_INET)
	{
		out->family = NF_AF_INET;
		memcpy(out->a, ip_addr(in), 4);
		return true;
	}
	if (ip_family(in) == PGSQL_AF_INET6)
	{
		out->family = NF_AF_INET6;
		memcpy(out->a, ip_addr(in), 16);
		return true;
	}
	return false;
}
