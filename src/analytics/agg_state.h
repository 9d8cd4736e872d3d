/*-------------------------------------------------------------------------
 *
 * agg_state.h
 *	  Support shared by the aggregates whose transition state is a real SQL
 *	  type (netflow.topn_state, netflow.entropy_state) kept as a read-write
 *	  expanded object while aggregating: resolving the value type, and the
 *	  pieces of the states' text form.
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
#include "utils/jsonb.h"

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

#endif							/* NETFLOW_AGG_STATE_H */
