/*-------------------------------------------------------------------------
 *
 * agg_state.h
 *	  Support shared by the aggregates whose transition state is a real SQL
 *	  type (netflow.topn_state, netflow.entropy_state) kept as a read-write
 *	  expanded object while aggregating: the expanded-object plumbing
 *	  (flat form, methods, aggregate context), resolving the value type,
 *	  and the pieces of the states' text form.
 *
 * A transition state of a real (non-pseudo) type lets Citus push an
 * aggregate down to the shards (worker_partial_agg / coord_combine_agg
 * carry the state as text through the type's I/O functions), and lets
 * PostgreSQL pass partial states between parallel workers without
 * serialize functions.  While aggregating, the state is an expanded object
 * (utils/expandeddatum.h) whose memory context is a child of the
 * aggregate context: nodeAgg (and Citus) then adopt the read-write pointer
 * a transition function returns without copying, so a row costs what it
 * cost with an internal state.  The flat form is built only when the state
 * leaves the process or is stored.
 *
 * In the text form a value (key) is written with its type's output
 * function and read back with its input function, which validates it: raw
 * key bytes never enter the server from outside.
 *
 *-------------------------------------------------------------------------
 */
#ifndef NETFLOW_AGG_STATE_H
#define NETFLOW_AGG_STATE_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/expandeddatum.h"
#include "utils/jsonb.h"

/*
 * Header of a state kept as an expanded object.  Every such state uses the
 * methods agg_expanded_methods; what it is (topn, entropy) is told by its
 * kind.  The flat form, the state as it leaves the process, is built by
 * the kind's build_flat into the object's memory context ('flat', without
 * varlena header) and cached until the state changes (agg_touch).
 */
typedef struct AggExpanded AggExpanded;

/* What a kind of state provides to the shared code. */
typedef struct AggKind
{
	const char *name;			/* names the aggregates in messages */
	/* build the flat form: set flat and flatlen (agg_flat_buf_init) */
	void		(*build_flat) (AggExpanded *agg);
	/* a new state (child of parent) from a flat form, validated */
	AggExpanded *(*from_bytes) (const char *data, Size len, int code,
								MemoryContext parent);
} AggKind;

struct AggExpanded
{
	ExpandedObjectHeader hdr;	/* first: the state is an expanded object */
	const AggKind *kind;
	char	   *flat;			/* flat form (no varlena header), or NULL */
	Size		flatlen;
};

extern const ExpandedObjectMethods agg_expanded_methods;

/* Text conversion of the values of one type (both directions). */
typedef struct AggValueIO
{
	Oid			typoid;
	int16		typlen;
	bool		typbyval;
	Oid			ioparam;
	FmgrInfo	out;
	FmgrInfo	in;
} AggValueIO;

extern void agg_expanded_init(AggExpanded *agg, MemoryContext cxt,
							  const AggKind *kind);
extern void agg_build_flat(AggExpanded *agg);
extern void agg_flat_buf_init(AggExpanded *agg, StringInfo buf);
extern MemoryContext agg_context(FunctionCallInfo fcinfo, const AggKind *kind);
extern AggExpanded *agg_from_datum(Datum d, const AggKind *kind,
								   MemoryContext parent);
extern AggExpanded *agg_read_state(Datum d, const AggKind *kind,
								   bool *temporary);
extern void agg_release(AggExpanded *agg, bool temporary);
extern Datum agg_serialize(FunctionCallInfo fcinfo, const AggKind *kind);
extern Datum agg_deserialize(FunctionCallInfo fcinfo, const AggKind *kind);
extern Oid	agg_value_type(FunctionCallInfo fcinfo, int argno, const char *what);
extern int64 agg_json_int64(JsonbContainer *c, const char *name,
							const char *typname);
extern JsonbValue *agg_json_member(JsonbContainer *c, const char *name,
								   const char *typname);
extern void agg_json_check_object(JsonbContainer *c, int nmembers,
								  const char *typname, const char *what);
extern void agg_value_io_init(AggValueIO *io, Oid typoid);
extern char *agg_value_to_text(AggValueIO *io, const char *key, uint32 len);
extern const char *agg_value_from_text(AggValueIO *io, const char *text,
									   char *buf, uint32 *len);
extern Oid	agg_parse_type_name(const char *name, int len, const char *typname);
extern Datum agg_text_send(const char *s);
extern char *agg_text_recv(StringInfo buf);
extern void agg_json_item(StringInfo buf, int32 i, const char *keymember,
						  const char *key, const char *member1, int64 value1,
						  const char *member2, int64 value2);

/*
 * The state of the given kind behind a datum (expanded, read-write or not),
 * or NULL.
 */
static inline AggExpanded *
agg_expanded(Datum d, const AggKind *kind)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (eoh->eoh_methods == &agg_expanded_methods &&
			((AggExpanded *) eoh)->kind == kind)
			return (AggExpanded *) eoh;
	}
	return NULL;
}

/* Forget the cached flat form of a state about to change. */
static inline void
agg_touch(AggExpanded *agg)
{
	if (unlikely(agg->flat != NULL))
	{
		pfree(agg->flat);
		agg->flat = NULL;
	}
}

/*
 * The writable state of the kind in a transition or combine function's
 * argument 0 (NULL for SQL NULL): the read-write expanded object nodeAgg
 * passes back (the per-row case), else a new one read from the argument
 * in the aggregate context.  Its cached flat form is dropped.
 */
static inline AggExpanded *
agg_arg_state(FunctionCallInfo fcinfo, const AggKind *kind)
{
	Datum		d;
	AggExpanded *agg = NULL;

	if (PG_ARGISNULL(0))
		return NULL;
	d = PG_GETARG_DATUM(0);
	if (likely(VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d))))
	{
		ExpandedObjectHeader *eoh = DatumGetEOHP(d);

		if (likely(eoh->eoh_methods == &agg_expanded_methods &&
				   ((AggExpanded *) eoh)->kind == kind))
			agg = (AggExpanded *) eoh;
	}
	if (unlikely(agg == NULL))
		agg = agg_from_datum(d, kind, agg_context(fcinfo, kind));
	agg_touch(agg);
	return agg;
}

#endif							/* NETFLOW_AGG_STATE_H */
