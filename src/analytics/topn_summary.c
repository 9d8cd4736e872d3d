/*-------------------------------------------------------------------------
 *
 * topn_summary.c
 *	  The netflow.topn_summary type: encoding and validation of a weighted
 *	  Misra-Gries ("frequent items") summary as src/analytics/topn.c builds
 *	  it (see topn_summary.h), its text form (JSON), its binary form, and
 *	  the functions that read it (topn_items, topn_total, topn_bound).
 *
 * Every summary that enters the server (text input, binary input, bytea
 * cast, or a stored value being read) goes through topn_parse, which checks
 * every length before use and every invariant the aggregates rely on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "topn_summary.h"

#include "agg_state.h"
#include "byte_reader.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "funcapi.h"
#include "key_table.h"
#include "libpq/pqformat.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(topn_summary_in);
PG_FUNCTION_INFO_V1(topn_summary_out);
PG_FUNCTION_INFO_V1(topn_summary_recv);
PG_FUNCTION_INFO_V1(topn_summary_send);
PG_FUNCTION_INFO_V1(topn_summary_from_bytea);
PG_FUNCTION_INFO_V1(topn_summary_to_bytea);
PG_FUNCTION_INFO_V1(topn_items);
PG_FUNCTION_INFO_V1(topn_total);
PG_FUNCTION_INFO_V1(topn_bound);

static void topn_parse_v1(ByteReader *rp, int code, TopnParsed *out,
						  bool check_distinct);
static void topn_parse_ext(const char *data, Size len, int code,
						   TopnParsed *out, bool check_distinct);

/* Compare two keys by bytes, a proper prefix first. */
static int
key_cmp(const char *a, uint32 alen, const char *b, uint32 blen)
{
	int			c = memcmp(a, b, Min(alen, blen));

	if (c != 0)
		return c;
	return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* Canonical item order: heaviest first, ties by key bytes. */
int
topn_item_cmp(const void *a, const void *b)
{
	const TopnItem *x = (const TopnItem *) a;
	const TopnItem *y = (const TopnItem *) b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return key_cmp(x->key, x->len, y->key, y->len);
}

/* Order items by key bytes only (duplicate detection). */
int
topn_item_key_cmp(const void *a, const void *b)
{
	const TopnItem *x = (const TopnItem *) a;
	const TopnItem *y = (const TopnItem *) b;

	return key_cmp(x->key, x->len, y->key, y->len);
}

/* Append the serialized form to buf; sorts items into canonical order. */
void
topn_write(StringInfo buf, int kind, int32 capacity, int64 total, int64 bound,
		   Oid typoid, TopnItem *items, int32 nitems)
{
	if (nitems > 1)
		qsort(items, nitems, sizeof(TopnItem), topn_item_cmp);
	pq_sendbyte(buf, TOPN_FORMAT_VERSION);
	pq_sendbyte(buf, kind);
	pq_sendint32(buf, capacity);
	pq_sendint64(buf, total);
	pq_sendint64(buf, bound);
	if (kind == TOPN_KIND_RAW)
		pq_sendint32(buf, typoid);
	pq_sendint32(buf, nitems);
	for (int32 i = 0; i < nitems; i++)
	{
		if ((Size) buf->len + items[i].len + 20 >= MaxAllocSize - VARHDRSZ)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("topn summary would exceed 1 GB"),
					 errhint("Use a smaller capacity or shorter keys.")));
		pq_sendint64(buf, items[i].weight);
		pq_sendint64(buf, items[i].error);
		pq_sendint32(buf, items[i].len);
		pq_sendbytes(buf, items[i].key, items[i].len);
	}
}

/* Raise the error for an invalid summary with the given detail. */
#define SUMMARY_ERROR(code, ...) \
	ereport(ERROR, \
			(errcode(code), \
			 errmsg("invalid topn summary"), \
			 errdetail(__VA_ARGS__)))

/*
 * Decode and validate a serialized summary or state.  Raises an ERROR with
 * errcode 'code' on any defect; never reads outside [data, data+len).
 *
 * Byte 0 is the format version; each version has its own reader, and every
 * version ever written stays readable (docs/formats.md): a stored value is
 * never rewritten.  Version 1 is the layout of topn_summary.h, written by
 * every release so far (0.1 onwards).
 */
void
topn_parse(const char *data, Size len, int code, TopnParsed *out)
{
	topn_parse_ext(data, len, code, out, true);
}

/*
 * topn_parse, optionally without the check that keys of different weights
 * are distinct (a sort of the items by key): for a caller that detects
 * duplicate keys itself as it hashes them (topn_merge).
 */
static void
topn_parse_ext(const char *data, Size len, int code, TopnParsed *out,
			   bool check_distinct)
{
	ByteReader	r;
	int			version;

	br_init(&r, data, len, code, "topn summary");
	version = br_u8(&r);
	switch (version)
	{
		case TOPN_FORMAT_V1:
			topn_parse_v1(&r, code, out, check_distinct);
			break;
		default:
			SUMMARY_ERROR(code, "Format version %d is not supported (expected %d).",
						  version, TOPN_FORMAT_VERSION);
	}
}

/*
 * Read the rest of a version 1 summary or state (after the version byte);
 * the sums of weights checked here saturate at the bigint maximum, as the
 * aggregates' sums do (a total of PG_INT64_MAX means "at least that");
 * keys of different weights are checked to be distinct only when
 * check_distinct (equal keys of one weight always are: they are adjacent).
 */
static void
topn_parse_v1(ByteReader *rp, int code, TopnParsed *out, bool check_distinct)
{
	ByteReader	r = *rp;
	int64		lower_sum = 0;
	int64		weight_sum = 0;

	out->kind = br_u8(&r);
	if (out->kind != TOPN_KIND_TEXT && out->kind != TOPN_KIND_RAW)
		SUMMARY_ERROR(code, "Kind %d is unknown.", out->kind);
	out->capacity = br_i32(&r);
	if (out->capacity < 1 || out->capacity > TOPN_MAX_CAPACITY)
		SUMMARY_ERROR(code, "Capacity %d is outside 1..%d.",
					  out->capacity, TOPN_MAX_CAPACITY);
	out->total = br_i64(&r);
	if (out->total < 0)
		SUMMARY_ERROR(code, "Total " INT64_FORMAT " is negative.", out->total);
	out->bound = br_i64(&r);
	if (out->bound < 0)
		SUMMARY_ERROR(code, "Bound " INT64_FORMAT " is negative.", out->bound);
	out->typoid = InvalidOid;
	out->typlen = -1;
	out->typbyval = false;
	if (out->kind == TOPN_KIND_RAW)
	{
		out->typoid = (Oid) br_i32(&r);
		if (!SearchSysCacheExists1(TYPEOID, ObjectIdGetDatum(out->typoid)))
			SUMMARY_ERROR(code, "Key type %u does not exist.", out->typoid);
		get_typlenbyval(out->typoid, &out->typlen, &out->typbyval);
	}
	out->nitems = br_i32(&r);
	if (out->nitems < 0 || out->nitems > out->capacity)
		SUMMARY_ERROR(code, "Item count %d is outside 0..%d (the capacity).",
					  out->nitems, out->capacity);
	/* each item takes at least 20 bytes: reject a lying count early */
	if ((Size) out->nitems > br_left(&r) / 20)
		SUMMARY_ERROR(code, "Item count %d does not fit in %zu bytes.",
					  out->nitems, br_left(&r));
	out->items = palloc(sizeof(TopnItem) * Max(out->nitems, 1));

	for (int32 i = 0; i < out->nitems; i++)
	{
		TopnItem   *it = &out->items[i];
		int32		klen;

		it->weight = br_i64(&r);
		it->error = br_i64(&r);
		klen = br_i32(&r);
		if (klen < 0)
			SUMMARY_ERROR(code, "Item %d has negative length %d.", i + 1, klen);
		it->len = (uint32) klen;
		it->key = br_bytes(&r, it->len);
		if (it->weight < 0)
			SUMMARY_ERROR(code, "Item %d has negative weight " INT64_FORMAT ".",
						  i + 1, it->weight);
		if (it->error < 0 || it->error > it->weight)
			SUMMARY_ERROR(code, "Item %d has error " INT64_FORMAT " outside 0..its weight " INT64_FORMAT ".",
						  i + 1, it->error, it->weight);
		if (out->bound == 0 && it->error != 0)
			SUMMARY_ERROR(code, "Item %d has a nonzero error in an exact summary (bound 0).",
						  i + 1);
		if (it->weight < out->bound)
			SUMMARY_ERROR(code, "Item %d has weight " INT64_FORMAT " below the bound " INT64_FORMAT ".",
						  i + 1, it->weight, out->bound);
		if (out->kind == TOPN_KIND_TEXT)
		{
			if (memchr(it->key, '\0', it->len) != NULL ||
				!pg_verifymbstr(it->key, (int) it->len, true))
				SUMMARY_ERROR(code, "Item %d is not valid text in the database encoding.",
							  i + 1);
		}
		else
			check_key_bytes(it->key, it->len, out->typlen, out->typbyval, code);
		if (i > 0)
		{
			int			c = topn_item_cmp(&out->items[i - 1], it);

			if (c == 0)
				SUMMARY_ERROR(code, "Item %d is a duplicate.", i + 1);
			if (c > 0)
				SUMMARY_ERROR(code, "Item %d is out of order (items must be heaviest first, ties by item).",
							  i + 1);
		}
		/* sums saturate at the bigint maximum, as the aggregates' do */
		if (pg_add_s64_overflow(lower_sum, it->weight - it->error, &lower_sum))
			lower_sum = PG_INT64_MAX;
		if (pg_add_s64_overflow(weight_sum, it->weight, &weight_sum))
			weight_sum = PG_INT64_MAX;
	}
	if (br_left(&r) != 0)
		SUMMARY_ERROR(code, "%zu unexpected bytes follow the last item.", br_left(&r));
	if (lower_sum > out->total)
		SUMMARY_ERROR(code, "The items' guaranteed weights (" INT64_FORMAT ") exceed the total " INT64_FORMAT ".",
					  lower_sum, out->total);
	if (out->bound == 0 && weight_sum != out->total)
		SUMMARY_ERROR(code, "In an exact summary (bound 0) the item weights must add up to the total " INT64_FORMAT ".",
					  out->total);

	/* keys must be distinct, also across different weights */
	if (check_distinct && out->nitems > 1)
	{
		TopnItem   *byk = palloc(sizeof(TopnItem) * out->nitems);

		memcpy(byk, out->items, sizeof(TopnItem) * out->nitems);
		qsort(byk, out->nitems, sizeof(TopnItem), topn_item_key_cmp);
		for (int32 i = 1; i < out->nitems; i++)
			if (topn_item_key_cmp(&byk[i - 1], &byk[i]) == 0)
				SUMMARY_ERROR(code, "Item \"%s\" appears twice.",
							  out->kind == TOPN_KIND_TEXT ?
							  pnstrdup(byk[i].key, byk[i].len) : "(binary)");
		pfree(byk);
	}
}

/* Parse a stored netflow.topn_summary datum (detoasting it). */
void
topn_parse_summary(Datum d, TopnParsed *out)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	topn_parse(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), ERRCODE_DATA_CORRUPTED, out);
	if (out->kind != TOPN_KIND_TEXT)
		SUMMARY_ERROR(ERRCODE_DATA_CORRUPTED, "A stored summary must have kind 0.");
}

/*
 * Parse a stored netflow.topn_summary datum for a merge: every check of
 * topn_parse_summary except the distinctness of keys, which the caller
 * (topn_merge) detects while hashing them.
 */
void
topn_parse_summary_for_merge(Datum d, TopnParsed *out)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(d);

	topn_parse_ext(VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v), ERRCODE_DATA_CORRUPTED,
				   out, false);
	if (out->kind != TOPN_KIND_TEXT)
		SUMMARY_ERROR(ERRCODE_DATA_CORRUPTED, "A stored summary must have kind 0.");
}

/* Wrap validated summary bytes into a new varlena. */
static bytea *
summary_from_bytes(const char *data, Size len, int code)
{
	TopnParsed	p;
	bytea	   *result;

	topn_parse(data, len, code, &p);
	if (p.kind != TOPN_KIND_TEXT)
		SUMMARY_ERROR(code, "A summary must have kind 0, not %d.", p.kind);
	result = palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), data, len);
	return result;
}

/* Fetch a JSON member that must be an integer. */
static int64
json_int64_member(JsonbContainer *c, const char *name)
{
	JsonbValue *v = getKeyJsonValueFromContainer(c, name, strlen(name), NULL);
	char	   *s;
	const char *q;

	if (v == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Member \"%s\" is missing.", name)));
	if (v->type != jbvNumeric)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Member \"%s\" must be an integer.", name)));
	s = DatumGetCString(DirectFunctionCall1(numeric_out,
											NumericGetDatum(v->val.numeric)));
	q = (*s == '-') ? s + 1 : s;
	if (*q == '\0' || strspn(q, "0123456789") != strlen(q))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Member \"%s\" must be an integer, not %s.", name, s)));
	return pg_strtoint64(s);
}

/* Text input: the JSON document produced by topn_summary_out. */
Datum
topn_summary_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Jsonb	   *jb;
	JsonbValue *items;
	JsonbContainer *ic;
	int64		version;
	int64		capacity;
	int32		n;
	TopnItem   *arr;
	StringInfoData buf;

	jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(str)));
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb) ||
		JsonContainerSize(&jb->root) != 5)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Expected a JSON object with exactly the members version, capacity, total, bound and items.")));
	version = json_int64_member(&jb->root, "version");
	if (version != TOPN_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Version " INT64_FORMAT " is not supported (expected %d).",
						   version, TOPN_FORMAT_VERSION)));
	capacity = json_int64_member(&jb->root, "capacity");
	if (capacity < 1 || capacity > TOPN_MAX_CAPACITY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Capacity " INT64_FORMAT " is outside 1..%d.",
						   capacity, TOPN_MAX_CAPACITY)));
	items = getKeyJsonValueFromContainer(&jb->root, "items", 5, NULL);
	if (items == NULL || items->type != jbvBinary ||
		!JsonContainerIsArray(items->val.binary.data))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("Member \"items\" must be an array.")));
	ic = items->val.binary.data;
	n = JsonContainerSize(ic);
	if (n > capacity)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type topn_summary"),
				 errdetail("%d items exceed the capacity " INT64_FORMAT ".", n, capacity)));
	arr = palloc(sizeof(TopnItem) * Max(n, 1));
	for (int32 i = 0; i < n; i++)
	{
		JsonbValue *el = getIthJsonbValueFromContainer(ic, i);
		JsonbValue *key;

		if (el == NULL || el->type != jbvBinary ||
			!JsonContainerIsObject(el->val.binary.data) ||
			JsonContainerSize(el->val.binary.data) != 3)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type topn_summary"),
					 errdetail("Item %d must be an object with exactly the members item, weight and error.",
							   i + 1)));
		key = getKeyJsonValueFromContainer(el->val.binary.data, "item", 4, NULL);
		if (key == NULL || key->type != jbvString)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type topn_summary"),
					 errdetail("Item %d must have a string member \"item\".", i + 1)));
		arr[i].key = key->val.string.val;
		arr[i].len = key->val.string.len;
		arr[i].weight = json_int64_member(el->val.binary.data, "weight");
		arr[i].error = json_int64_member(el->val.binary.data, "error");
	}

	initStringInfo(&buf);
	appendStringInfoSpaces(&buf, VARHDRSZ);
	topn_write(&buf, TOPN_KIND_TEXT, (int32) capacity,
			   json_int64_member(&jb->root, "total"),
			   json_int64_member(&jb->root, "bound"),
			   InvalidOid, arr, n);
	PG_RETURN_BYTEA_P(summary_from_bytes(buf.data + VARHDRSZ, buf.len - VARHDRSZ,
										 ERRCODE_INVALID_TEXT_REPRESENTATION));
}

/*
 * Append the members of a summary's or state's JSON text form that follow
 * "version" (and "type"), to the closing brace: capacity, total, bound and
 * the items, heaviest first, each key under 'keymember' in text form (raw
 * keys converted by io, which is NULL for text keys).
 */
void
topn_json_body(StringInfo buf, const TopnParsed *p, const char *keymember,
			   AggValueIO *io)
{
	appendStringInfo(buf, "\"capacity\": %d, \"total\": " INT64_FORMAT
					 ", \"bound\": " INT64_FORMAT ", \"items\": [",
					 p->capacity, p->total, p->bound);
	for (int32 i = 0; i < p->nitems; i++)
	{
		const TopnItem *it = &p->items[i];
		char	   *k = io != NULL ? agg_value_to_text(io, it->key, it->len) :
			pnstrdup(it->key, it->len);

		agg_json_item(buf, i, keymember, k, "weight", it->weight,
					  "error", it->error);
		pfree(k);
	}
	appendStringInfoString(buf, "]}");
}

/* Text output: a JSON document, heaviest item first. */
Datum
topn_summary_out(PG_FUNCTION_ARGS)
{
	TopnParsed	p;
	StringInfoData buf;

	topn_parse_summary(PG_GETARG_DATUM(0), &p);
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"version\": %d, ", TOPN_FORMAT_VERSION);
	topn_json_body(&buf, &p, "item", NULL);
	PG_RETURN_CSTRING(buf.data);
}

/* Binary input: the stored format, validated. */
Datum
topn_summary_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	bytea	   *result;

	result = summary_from_bytes(buf->data + buf->cursor, buf->len - buf->cursor,
								ERRCODE_INVALID_BINARY_REPRESENTATION);
	buf->cursor = buf->len;
	PG_RETURN_BYTEA_P(result);
}

/* Binary output: the stored format as is. */
Datum
topn_summary_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = PG_DETOAST_DATUM_PACKED(PG_GETARG_DATUM(0));
	bytea	   *result;

	result = palloc(VARHDRSZ + VARSIZE_ANY_EXHDR(v));
	SET_VARSIZE(result, VARHDRSZ + VARSIZE_ANY_EXHDR(v));
	memcpy(VARDATA(result), VARDATA_ANY(v), VARSIZE_ANY_EXHDR(v));
	PG_RETURN_BYTEA_P(result);
}

/* Cast bytea to topn_summary: the binary format, validated. */
Datum
topn_summary_from_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_BYTEA_P(summary_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b),
										 ERRCODE_INVALID_BINARY_REPRESENTATION));
}

/* Cast topn_summary to bytea: the binary format. */
Datum
topn_summary_to_bytea(PG_FUNCTION_ARGS)
{
	return topn_summary_send(fcinfo);
}

/* topn_items(summary, n): the n heaviest items with weight and error. */
Datum
topn_items(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TopnParsed	p;
	int32		n = PG_GETARG_INT32(1);

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("number of items must not be negative"),
				 errdetail("n is %d.", n)));
	topn_parse_summary(PG_GETARG_DATUM(0), &p);
	InitMaterializedSRF(fcinfo, 0);
	for (int32 i = 0; i < Min(n, p.nitems); i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = PointerGetDatum(cstring_to_text_with_len(p.items[i].key,
															 p.items[i].len));
		values[1] = Int64GetDatum(p.items[i].weight);
		values[2] = Int64GetDatum(p.items[i].error);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* topn_total(summary): the exact sum of all weights counted. */
Datum
topn_total(PG_FUNCTION_ARGS)
{
	TopnParsed	p;

	topn_parse_summary(PG_GETARG_DATUM(0), &p);
	PG_RETURN_INT64(p.total);
}

/* topn_bound(summary): no item left out of the summary weighs more. */
Datum
topn_bound(PG_FUNCTION_ARGS)
{
	TopnParsed	p;

	topn_parse_summary(PG_GETARG_DATUM(0), &p);
	PG_RETURN_INT64(p.bound);
}
