/*-------------------------------------------------------------------------
 *
 * agg_state.c
 *	  Support shared by the aggregates whose transition state is a real SQL
 *	  type (see agg_state.h): the expanded-object methods and flat form,
 *	  the aggregate context, value type resolution, JSON members and items,
 *	  value text conversion, type names and the binary envelope of the text
 *	  form.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "agg_state.h"

#include "access/htup_details.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "key_table.h"
#include "libpq/pqformat.h"
#include "nodes/primnodes.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

static Size agg_get_flat_size(ExpandedObjectHeader *eohptr);
static void agg_flatten_into(ExpandedObjectHeader *eohptr, void *result,
							 Size allocated_size);

const ExpandedObjectMethods agg_expanded_methods = {
	agg_get_flat_size,
	agg_flatten_into
};

/*
 * Make the header of a new state: an expanded object living in cxt (a
 * context of its own, child of the aggregate context, so that nodeAgg
 * adopts it), of the given kind, without a flat form yet.
 */
void
agg_expanded_init(AggExpanded *agg, MemoryContext cxt, const AggKind *kind)
{
	EOH_init_header(&agg->hdr, &agg_expanded_methods, cxt);
	agg->kind = kind;
	agg->flat = NULL;
	agg->flatlen = 0;
}

/* Build the flat form of a state unless it is cached. */
void
agg_build_flat(AggExpanded *agg)
{
	if (agg->flat == NULL)
		agg->kind->build_flat(agg);
}

/*
 * Start the buffer of a flat form in the state's memory context (it lives
 * as long as the state, or until agg_touch); the builder sets flat and
 * flatlen from it.
 */
void
agg_flat_buf_init(AggExpanded *agg, StringInfo buf)
{
	MemoryContext old = MemoryContextSwitchTo(agg->hdr.eoh_context);

	initStringInfo(buf);
	MemoryContextSwitchTo(old);
}

/*
 * A new state (child of 'parent') equal to the state a datum holds: a flat
 * state (netflow.topn_state, netflow.entropy_state, or a serialized
 * internal state), or an expanded one (flattened first); validated.
 */
AggExpanded *
agg_from_datum(Datum d, const AggKind *kind, MemoryContext parent)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	return kind->from_bytes(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v),
							ERRCODE_DATA_CORRUPTED, parent);
}

/*
 * The state of the kind a datum holds, to be read (a combine function's
 * second argument, a final function's argument): the expanded object
 * itself, or, with *temporary set, a new state read from the flat value
 * into the current memory context, for agg_release to delete.
 */
AggExpanded *
agg_read_state(Datum d, const AggKind *kind, bool *temporary)
{
	AggExpanded *agg = agg_expanded(d, kind);

	*temporary = agg == NULL;
	if (agg == NULL)
		agg = agg_from_datum(d, kind, CurrentMemoryContext);
	return agg;
}

/* Delete a state agg_read_state made for the occasion (when temporary). */
void
agg_release(AggExpanded *agg, bool temporary)
{
	if (temporary)
		DeleteExpandedObject(EOHPGetRWDatum(&agg->hdr));
}

/*
 * Serialize function of an aggregate with transition type internal: the
 * flat form of the state, for another process.
 */
Datum
agg_serialize(FunctionCallInfo fcinfo, const AggKind *kind)
{
	AggExpanded *agg = agg_expanded(PG_GETARG_DATUM(0), kind);
	bytea	   *result;

	if (agg == NULL)
		elog(ERROR, "%s serialize function called without its state", kind->name);
	agg_build_flat(agg);
	result = palloc(VARHDRSZ + agg->flatlen);
	SET_VARSIZE(result, VARHDRSZ + agg->flatlen);
	memcpy(VARDATA(result), agg->flat, agg->flatlen);
	PG_RETURN_BYTEA_P(result);
}

/* Deserialize function: a state from its flat form, validated. */
Datum
agg_deserialize(FunctionCallInfo fcinfo, const AggKind *kind)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	AggExpanded *agg;

	(void) agg_context(fcinfo, kind);
	agg = kind->from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b),
						   ERRCODE_DATA_CORRUPTED, CurrentMemoryContext);
	PG_RETURN_DATUM(EOHPGetRWDatum(&agg->hdr));
}

/* Expanded-object method: size of the flat form, varlena header included. */
static Size
agg_get_flat_size(ExpandedObjectHeader *eohptr)
{
	AggExpanded *agg = (AggExpanded *) eohptr;

	agg_build_flat(agg);
	return VARHDRSZ + agg->flatlen;
}

/* Expanded-object method: write the flat form. */
static void
agg_flatten_into(ExpandedObjectHeader *eohptr, void *result,
				 Size allocated_size)
{
	AggExpanded *agg = (AggExpanded *) eohptr;

	agg_build_flat(agg);
	Assert(allocated_size == VARHDRSZ + agg->flatlen);
	SET_VARSIZE(result, VARHDRSZ + agg->flatlen);
	memcpy(VARDATA(result), agg->flat, agg->flatlen);
}

/* Memory context of the running aggregate, or an ERROR outside one. */
MemoryContext
agg_context(FunctionCallInfo fcinfo, const AggKind *kind)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s aggregate support function called outside an aggregate",
						kind->name)));
	return aggcxt;
}

/*
 * The declared type of argument argno of the aggregate that Citus's
 * worker_partial_agg runs, or InvalidOid.  worker_partial_agg calls the
 * transition function without an expression tree, so get_fn_expr_argtype
 * knows nothing; its own Aggref names the aggregate in its first argument
 * (a regprocedure constant).  The aggregate is trusted only when its
 * transition function is the one being called and its argument is not
 * polymorphic.
 */
static Oid
agg_value_type_from_aggref(FunctionCallInfo fcinfo, int argno)
{
	Aggref	   *aggref = AggGetAggref(fcinfo);
	TargetEntry *te;
	Const	   *c;
	HeapTuple	tup;
	Oid			aggoid;
	Oid			result = InvalidOid;

	if (aggref == NULL || aggref->args == NIL)
		return InvalidOid;
	te = (TargetEntry *) linitial(aggref->args);
	if (!IsA(te, TargetEntry) || !IsA(te->expr, Const))
		return InvalidOid;
	c = (Const *) te->expr;
	if ((c->consttype != REGPROCEDUREOID && c->consttype != OIDOID) ||
		c->constisnull)
		return InvalidOid;
	aggoid = DatumGetObjectId(c->constvalue);
	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggoid));
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	if (((Form_pg_aggregate) GETSTRUCT(tup))->aggtransfn == fcinfo->flinfo->fn_oid)
	{
		Oid		   *argtypes;
		int			nargs;

		(void) get_func_signature(aggoid, &argtypes, &nargs);
		if (argno >= 1 && argno - 1 < nargs &&
			!IsPolymorphicType(argtypes[argno - 1]))
			result = argtypes[argno - 1];
	}
	ReleaseSysCache(tup);
	return result;
}

/*
 * Type of the value argument argno of a transition function: from the
 * call's expression, or (under Citus's worker_partial_agg) from the
 * aggregate's declaration.  'what' names the value in the error.
 */
Oid
agg_value_type(FunctionCallInfo fcinfo, int argno, const char *what)
{
	Oid			typoid = get_fn_expr_argtype(fcinfo->flinfo, argno);

	if (!OidIsValid(typoid) || IsPolymorphicType(typoid))
		typoid = agg_value_type_from_aggref(fcinfo, argno);
	if (!OidIsValid(typoid))
		ereport(ERROR,
				(errcode(ERRCODE_INDETERMINATE_DATATYPE),
				 errmsg("could not determine the type of the %s", what)));
	return typoid;
}

/* Raise the error for invalid text input of type typname. */
#define INPUT_ERROR(typname, ...) \
	ereport(ERROR, \
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION), \
			 errmsg("invalid input syntax for type %s", typname), \
			 errdetail(__VA_ARGS__)))

/* Check that a JSON container is an object with exactly nmembers members. */
void
agg_json_check_object(JsonbContainer *c, int nmembers, const char *typname,
					  const char *what)
{
	if (!JsonContainerIsObject(c) || JsonContainerIsScalar(c) ||
		(int) JsonContainerSize(c) != nmembers)
		INPUT_ERROR(typname, "Expected %s.", what);
}

/* A member of a JSON object; an ERROR when it is missing. */
JsonbValue *
agg_json_member(JsonbContainer *c, const char *name, const char *typname)
{
	JsonbValue *v = getKeyJsonValueFromContainer(c, name, strlen(name), NULL);

	if (v == NULL)
		INPUT_ERROR(typname, "Member \"%s\" is missing.", name);
	return v;
}

/* A member of a JSON object that must be an integer within bigint. */
int64
agg_json_int64(JsonbContainer *c, const char *name, const char *typname)
{
	JsonbValue *v = agg_json_member(c, name, typname);
	char	   *s;
	const char *q;
	int64		result;

	if (v->type != jbvNumeric)
		INPUT_ERROR(typname, "Member \"%s\" must be an integer.", name);
	s = DatumGetCString(DirectFunctionCall1(numeric_out,
											NumericGetDatum(v->val.numeric)));
	q = (*s == '-') ? s + 1 : s;
	if (*q == '\0' || strspn(q, "0123456789") != strlen(q) || strlen(q) > 19)
		INPUT_ERROR(typname, "Member \"%s\" must be an integer, not %s.", name, s);
	result = pg_strtoint64(s);
	return result;
}

/* Prepare the text conversion of values of type typoid. */
void
agg_value_io_init(AggValueIO *io, Oid typoid)
{
	Oid			outfunc;
	Oid			infunc;
	bool		isvarlena;

	io->typoid = typoid;
	get_typlenbyval(typoid, &io->typlen, &io->typbyval);
	getTypeOutputInfo(typoid, &outfunc, &isvarlena);
	fmgr_info(outfunc, &io->out);
	getTypeInputInfo(typoid, &infunc, &io->ioparam);
	fmgr_info(infunc, &io->in);
}

/* Text form of a value given by its key bytes. */
char *
agg_value_to_text(AggValueIO *io, const char *key, uint32 len)
{
	return OutputFunctionCall(&io->out,
							  datum_of_key_bytes(key, len, io->typlen,
												 io->typbyval));
}

/*
 * Key bytes of a value given in text form, read (and so validated) by the
 * type's input function; buf (8 bytes) receives by-value data.
 */
const char *
agg_value_from_text(AggValueIO *io, const char *text, char *buf, uint32 *len)
{
	Datum		d = InputFunctionCall(&io->in, unconstify(char *, text),
									  io->ioparam, -1);

	return key_bytes_of_datum(d, io->typlen, io->typbyval, buf, len);
}

/*
 * The type named in a state's text form.  Pseudo-types are refused: a
 * value of the state must be a real value of its type.
 */
Oid
agg_parse_type_name(const char *name, int len, const char *typname)
{
	char	   *s = pnstrdup(name, len);
	Oid			typoid;
	int32		typmod;
	HeapTuple	tup;
	char		typtype;

	parseTypeString(s, &typoid, &typmod, true);
	if (!OidIsValid(typoid))
		INPUT_ERROR(typname, "Type \"%s\" does not exist.", s);
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typoid));
	if (!HeapTupleIsValid(tup))
		INPUT_ERROR(typname, "Type \"%s\" does not exist.", s);
	typtype = ((Form_pg_type) GETSTRUCT(tup))->typtype;
	ReleaseSysCache(tup);
	if (typtype == TYPTYPE_PSEUDO || typoid == RECORDOID)
		INPUT_ERROR(typname, "Type \"%s\" is a pseudo-type.", s);
	pfree(s);
	return typoid;
}

/*
 * Binary output of a state: its text form as a text value (converted to
 * the client encoding, as textsend does).
 */
Datum
agg_text_send(const char *s)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendtext(&buf, s, strlen(s));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Binary input of a state: its text form (from the client encoding). */
char *
agg_text_recv(StringInfo buf)
{
	int			nbytes;

	return pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);
}

/*
 * Append one item of a state's JSON text form, preceded by ", " unless it
 * is the first (i = 0): {"keymember": key, "member1": value1} with a
 * second number member2 unless it is NULL.
 */
void
agg_json_item(StringInfo buf, int32 i, const char *keymember, const char *key,
			  const char *member1, int64 value1, const char *member2,
			  int64 value2)
{
	if (i > 0)
		appendStringInfoString(buf, ", ");
	appendStringInfo(buf, "{\"%s\": ", keymember);
	escape_json(buf, key);
	appendStringInfo(buf, ", \"%s\": " INT64_FORMAT, member1, value1);
	if (member2 != NULL)
		appendStringInfo(buf, ", \"%s\": " INT64_FORMAT, member2, value2);
	appendStringInfoChar(buf, '}');
}
