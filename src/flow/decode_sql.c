/*-------------------------------------------------------------------------
 *
 * decode_sql.c
 *	  SQL access to the protocol decoders: netflow.decode() turns one
 *	  NetFlow v5 / v9 / IPFIX datagram into rows shaped like netflow.flows,
 *	  netflow.decode_reset() forgets what the session learned, and
 *	  netflow.decode_stats() shows the session decoder's counters.
 *
 * Each backend keeps one decoder for the life of the session, created on
 * first use, so templates (and data waiting for them) carried by earlier
 * calls apply to later ones: feeding a capture datagram by datagram, in
 * order, gives the flows the collector would have stored.
 *
 * The decoder is plain malloc-based C and must never be left half-way
 * through a datagram by an ERROR.  So nothing that can throw runs while
 * nf_decode is on the stack: the emit callback only copies records into an
 * array allocated with MCXT_ALLOC_NO_OOM (a failed allocation is remembered,
 * not thrown), and tuples are built after nf_decode has returned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "common/int.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/builtins.h"
#include "utils/inet.h"
#include "utils/timestamp.h"

#include "decoder.h"
#include "flow_tuple.h"

PG_FUNCTION_INFO_V1(netflow_decode);
PG_FUNCTION_INFO_V1(netflow_decode_reset);
PG_FUNCTION_INFO_V1(netflow_decode_stats);

/* The drop counters NF_CTR_DROP_BAD_VERSION .. NF_CTR_DROP_BAD_RECORD. */
#define NF_DROP_COUNTERS (NF_CTR_DROP_BAD_RECORD - NF_CTR_DROP_BAD_VERSION + 1)

/* The session's decoder; NULL until the first netflow.decode() call. */
static nf_decoder *session_decoder = NULL;

/* Whether the proc-exit hook that frees session_decoder is registered. */
static bool session_exit_hook_registered = false;

/* Records collected by the emit callback during one nf_decode call. */
typedef struct decode_collector
{
	nf_flow_record *recs;		/* palloc'd in the caller's context */
	size_t		n;
	size_t		cap;
	bool		oom;			/* an allocation failed: records were lost */
	size_t		lost;			/* how many */
} decode_collector;

/* Free the session decoder at backend exit. */
static void
decode_session_exit(int code, Datum arg)
{
	if (session_decoder != NULL)
	{
		nf_decoder_destroy(session_decoder);
		session_decoder = NULL;
	}
}

/* Return the session decoder, creating it on first use. */
static nf_decoder *
decode_session_decoder(void)
{
	if (session_decoder == NULL)
	{
		session_decoder = nf_decoder_create(NULL);
		if (session_decoder == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Failed to create the session's flow decoder.")));
		if (!session_exit_hook_registered)
		{
			on_proc_exit(decode_session_exit, (Datum) 0);
			session_exit_hook_registered = true;
		}
	}
	return session_decoder;
}

/*
 * Emit callback: copy one record.  Runs inside nf_decode, so it must not
 * throw; on allocation failure it counts the record as lost instead.
 */
static void
decode_collect(void *arg, const nf_flow_record *rec)
{
	decode_collector *c = (decode_collector *) arg;

	if (c->n == c->cap)
	{
		size_t		newcap = c->cap == 0 ? 16 : c->cap * 2;
		nf_flow_record *grown;

		if (c->oom || newcap > MaxAllocHugeSize / sizeof(nf_flow_record))
			grown = NULL;
		else if (c->recs == NULL)
			grown = palloc_extended(newcap * sizeof(nf_flow_record),
									MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
		else
			grown = repalloc_extended(c->recs,
									  newcap * sizeof(nf_flow_record),
									  MCXT_ALLOC_NO_OOM | MCXT_ALLOC_HUGE);
		if (grown == NULL)
		{
			c->oom = true;
			c->lost++;
			return;
		}
		c->recs = grown;
		c->cap = newcap;
	}
	memcpy(&c->recs[c->n++], rec, sizeof(nf_flow_record));
}

/* Convert an inet Datum to the decoder's address form (netmask ignored). */
static void
decode_inet_to_addr(inet *in, nf_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ip_family(in) == PGSQL_AF_INET)
	{
		out->family = NF_AF_INET;
		memcpy(out->a, ip_addr(in), 4);
	}
	else
	{
		out->family = NF_AF_INET6;
		memcpy(out->a, ip_addr(in), 16);
	}
}

/* Convert a finite timestamptz to microseconds since the Unix epoch. */
static int64
decode_timestamptz_to_unix_us(TimestampTz ts)
{
	int64		us;

	if (TIMESTAMP_NOT_FINITE(ts) ||
		pg_add_s64_overflow(ts, NF_UNIX_TO_PG_USECS, &us))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("receive time out of range"),
				 errdetail("The receive time must be a finite timestamp that fits in microseconds since 1970-01-01.")));
	return us;
}

/*
 * netflow.decode(pdu bytea, exporter inet, received timestamptz, strict
 * boolean) RETURNS SETOF netflow.flows: decode one datagram.
 */
Datum
netflow_decode(PG_FUNCTION_ARGS)
{
	bytea	   *pdu = PG_GETARG_BYTEA_PP(0);
	inet	   *exporter_in = PG_GETARG_INET_PP(1);
	TimestampTz received = PG_GETARG_TIMESTAMPTZ(2);
	bool		strict = PG_GETARG_BOOL(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	nf_decoder *dec;
	nf_addr		exporter;
	int64		now_us;
	decode_collector coll;
	int			ret;
	int			attidx[NF_FLOWS_NATTS];
	TupleTableSlot *slot;
	size_t		unstorable = 0;
	size_t		i;
	int			c;
	const char *unstorable_col = NULL;
	uint64		drops_before[NF_DROP_COUNTERS];
	int			malformed_ctr;

	/* Check everything that can fail before the decoder runs. */
	InitMaterializedSRF(fcinfo, 0);
	nf_flows_map_tupdesc(rsinfo->setDesc, "netflow.flows", attidx);
	slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsVirtual);
	decode_inet_to_addr(exporter_in, &exporter);
	now_us = decode_timestamptz_to_unix_us(received);
	dec = decode_session_decoder();

	memcpy(drops_before, nf_decoder_counters(dec) + NF_CTR_DROP_BAD_VERSION,
		   sizeof(drops_before));
	memset(&coll, 0, sizeof(coll));
	ret = nf_decode(dec, (const uint8_t *) VARDATA_ANY(pdu),
					VARSIZE_ANY_EXHDR(pdu), &exporter, now_us,
					decode_collect, &coll);

	/* The decoder is consistent again from here on: throwing is safe. */
	if (coll.oom)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed to keep %zu of %zu decoded flow records.",
						   coll.lost, coll.n + coll.lost)));

	/*
	 * Malformed: the datagram as a whole (ret < 0), or a part of it that was
	 * dropped (a drop counter moved) while the rest was decoded.
	 */
	malformed_ctr = -1;
	for (c = 0; c < NF_DROP_COUNTERS; c++)
		if (nf_decoder_counters(dec)[NF_CTR_DROP_BAD_VERSION + c] != drops_before[c])
		{
			malformed_ctr = NF_CTR_DROP_BAD_VERSION + c;
			break;
		}
	if (ret < 0 || malformed_ctr >= 0)
	{
		const char *reason = nf_decoder_last_error(dec);

		if (reason == NULL || reason[0] == '\0')
			reason = malformed_ctr >= 0 ?
				nf_counter_name((nf_counter) malformed_ctr) : "unknown reason";
		if (strict)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("malformed export datagram: %s", reason),
					 errdetail_plural("The datagram is %u bytes long; the %zu flow record decoded from it was discarded because strict is true.",
									  "The datagram is %u bytes long; the %zu flow records decoded from it were discarded because strict is true.",
									  (unsigned long) coll.n,
									  (unsigned int) VARSIZE_ANY_EXHDR(pdu), coll.n)));
		ereport(NOTICE,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("malformed export datagram: %s", reason),
				 errdetail_plural("The datagram is %u bytes long; the %zu flow record decoded from it is returned.",
								  "The datagram is %u bytes long; the %zu flow records decoded from it are returned.",
								  (unsigned long) coll.n,
								  (unsigned int) VARSIZE_ANY_EXHDR(pdu), coll.n)));
	}

	for (i = 0; i < coll.n; i++)
	{
		const char *bad = nf_flow_unstorable(&coll.recs[i]);

		if (bad != NULL)
		{
			/* A value outside its SQL type's range: skip, as the collector does. */
			unstorable++;
			if (unstorable_col == NULL)
				unstorable_col = bad;
			continue;
		}
		nf_flow_store_slot(&coll.recs[i], slot, attidx);
		tuplestore_puttupleslot(rsinfo->setResult, slot);
	}
	ExecDropSingleTupleTableSlot(slot);
	if (unstorable > 0)
		ereport(strict ? ERROR : NOTICE,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg_plural("%zu decoded flow record cannot be stored in netflow.flows",
							   "%zu decoded flow records cannot be stored in netflow.flows",
							   (unsigned long) unstorable, unstorable),
				 errdetail("The value of column \"%s\" is outside the range of its SQL type; %s.",
						   unstorable_col,
						   strict ? "strict decoding rejects the datagram" :
						   "such records are skipped")));
	if (coll.recs != NULL)
		pfree(coll.recs);

	return (Datum) 0;
}

/* netflow.decode_reset(): forget the session's templates and counters. */
Datum
netflow_decode_reset(PG_FUNCTION_ARGS)
{
	if (session_decoder != NULL)
	{
		nf_decoder_destroy(session_decoder);
		session_decoder = NULL;
	}
	PG_RETURN_VOID();
}

/*
 * netflow.decode_stats() RETURNS TABLE(counter text, value bigint): the
 * session decoder's counters (all zero before the first decode).
 */
Datum
netflow_decode_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const uint64_t *ctr = NULL;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (session_decoder != NULL)
		ctr = nf_decoder_counters(session_decoder);

	for (i = 0; i < NF_CTR__COUNT; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		uint64		v = ctr != NULL ? ctr[i] : 0;

		values[0] = CStringGetTextDatum(nf_counter_name((nf_counter) i));
		values[1] = Int64GetDatum(v > (uint64) PG_INT64_MAX ?
								  PG_INT64_MAX : (int64) v);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
							 values, nulls);
	}
	return (Datum) 0;
}
