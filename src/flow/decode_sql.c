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
 * Bounds (docs/decode-function.md): one call takes one datagram of at most
 * NF_DECODE_MAX_BYTES and returns at most NF_DECODE_MAX_ROWS rows; past
 * either, it raises an error.  Rows are streamed: each record is written
 * into the tuplestore (held in work_mem, spilled to disk beyond) as it is
 * emitted, so memory does not grow with the number of rows.
 *
 * The decoder is plain malloc-based C and must never be left half-way
 * through a datagram by an ERROR (it would leak the data sets it is
 * decoding, for instance).  So the emit callback, which runs inside
 * nf_decode, catches any error of its own (out of memory, a failed spill,
 * a query cancel from CHECK_FOR_INTERRUPTS), keeps a copy and ignores the
 * records that follow; the error is thrown again as soon as nf_decode has
 * returned, before anything else touches the database.  A cancel is thus
 * served within one datagram's decoding, which the bounds keep short.
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
#include "utils/memutils.h"
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

/* Largest datagram one call takes: a UDP payload. */
#define NF_DECODE_MAX_BYTES 65535

/* Most rows one call returns (data released by a template included). */
#define NF_DECODE_MAX_ROWS 100000

/* State of the emit callback during one nf_decode call. */
typedef struct decode_stream
{
	Tuplestorestate *store;		/* the result, in work_mem, spilling */
	TupleTableSlot *slot;		/* virtual, of the result row type */
	const int  *attidx;			/* netflow.flows columns in the slot */
	MemoryContext rowcxt;		/* one row's values, reset per row */
	MemoryContext callcxt;		/* where a caught error is kept */
	uint64		rows;			/* rows stored */
	uint64		over;			/* records past NF_DECODE_MAX_ROWS */
	uint64		unstorable;		/* records skipped: a value cannot be
								 * stored */
	const char *unstorable_col; /* the first such column */
	ErrorData  *edata;			/* error caught while storing a row */
} decode_stream;

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
 * Emit callback: store one record as a row.  Runs inside nf_decode, so it
 * must not throw: an error raised while storing is caught and kept for the
 * caller to throw again after nf_decode returns (see the file header), and
 * every later record is only counted.
 */
static void
decode_emit(void *arg, const nf_flow_record *rec)
{
	decode_stream *st = (decode_stream *) arg;
	MemoryContext oldcxt;
	const char *bad;

	if (st->edata != NULL)
		return;
	if (st->rows >= NF_DECODE_MAX_ROWS)
	{
		st->over++;
		return;
	}
	bad = nf_flow_unstorable(rec);
	if (bad != NULL)
	{
		/* A value outside its SQL type's range: skip, as the collector does. */
		st->unstorable++;
		if (st->unstorable_col == NULL)
			st->unstorable_col = bad;
		return;
	}

	oldcxt = MemoryContextSwitchTo(st->rowcxt);
	PG_TRY();
	{
		CHECK_FOR_INTERRUPTS();
		nf_flow_store_slot(rec, st->slot, st->attidx);
		tuplestore_puttupleslot(st->store, st->slot);
		st->rows++;
	}
	PG_CATCH();
	{
		/* keep the error; nf_decode must run to its end first */
		MemoryContextSwitchTo(st->callcxt);
		st->edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(st->rowcxt);
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
	size_t		len = VARSIZE_ANY_EXHDR(pdu);
	nf_decoder *dec;
	nf_addr		exporter;
	int64		now_us;
	decode_stream st;
	int			ret;
	int			attidx[NF_FLOWS_NATTS];
	int			c;
	uint64		drops_before[NF_DROP_COUNTERS];
	int			malformed_ctr;

	/* Check everything that can fail before the decoder runs. */
	if (len > NF_DECODE_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("export datagram too long"),
				 errdetail("The datagram is %zu bytes long; netflow.decode() takes one datagram of at most %d bytes.",
						   len, NF_DECODE_MAX_BYTES)));
	InitMaterializedSRF(fcinfo, 0);
	nf_flows_map_tupdesc(rsinfo->setDesc, "netflow.flows", attidx);
	decode_inet_to_addr(exporter_in, &exporter);
	now_us = decode_timestamptz_to_unix_us(received);
	dec = decode_session_decoder();

	memset(&st, 0, sizeof(st));
	st.store = rsinfo->setResult;
	st.slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsVirtual);
	st.attidx = attidx;
	st.callcxt = CurrentMemoryContext;
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext,
									  "netflow.decode row",
									  ALLOCSET_SMALL_SIZES);

	memcpy(drops_before, nf_decoder_counters(dec) + NF_CTR_DROP_BAD_VERSION,
		   sizeof(drops_before));
	CHECK_FOR_INTERRUPTS();
	ret = nf_decode(dec, (const uint8_t *) VARDATA_ANY(pdu), len,
					&exporter, now_us, decode_emit, &st);

	/* The decoder is consistent again from here on: throwing is safe. */
	if (st.edata != NULL)
		ReThrowError(st.edata);
	CHECK_FOR_INTERRUPTS();
	ExecDropSingleTupleTableSlot(st.slot);
	MemoryContextDelete(st.rowcxt);
	if (st.over > 0)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many flow records in one call of netflow.decode()"),
				 errdetail("The call decoded " UINT64_FORMAT " flow records; it returns at most %d.",
						   st.rows + st.over, NF_DECODE_MAX_ROWS),
				 errhint("Data sets that waited for their template are returned by the call that brings the template; feed smaller datagrams, or call netflow.decode_reset() to drop waiting data.")));

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
					 errdetail_plural("The datagram is %zu bytes long; the " UINT64_FORMAT " flow record decoded from it was discarded because strict is true.",
									  "The datagram is %zu bytes long; the " UINT64_FORMAT " flow records decoded from it were discarded because strict is true.",
									  (unsigned long) st.rows,
									  len, st.rows)));
		ereport(NOTICE,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("malformed export datagram: %s", reason),
				 errdetail_plural("The datagram is %zu bytes long; the " UINT64_FORMAT " flow record decoded from it is returned.",
								  "The datagram is %zu bytes long; the " UINT64_FORMAT " flow records decoded from it are returned.",
								  (unsigned long) st.rows,
								  len, st.rows)));
	}

	if (st.unstorable > 0)
		ereport(strict ? ERROR : NOTICE,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg_plural(UINT64_FORMAT " decoded flow record cannot be stored in netflow.flows",
							   UINT64_FORMAT " decoded flow records cannot be stored in netflow.flows",
							   (unsigned long) st.unstorable, st.unstorable),
				 errdetail("The value of column \"%s\" is outside the range of its SQL type; %s.",
						   st.unstorable_col,
						   strict ? "strict decoding rejects the datagram" :
						   "such records are skipped")));

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
