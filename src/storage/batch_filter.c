/*-------------------------------------------------------------------------
 *
 * batch_filter.c
 *	  Late materialization for the custom scan of compressed partitions:
 *	  simple quals evaluated on the decoded column arrays of a batch, before
 *	  the other columns are decoded and before any row is stored in a slot.
 *
 *	  Supported quals ("fast quals"): Var op Const, with the Var a column of
 *	  the scanned relation and
 *	  - an integer or timestamptz column (smallint, integer, bigint,
 *	    timestamptz) and op a btree comparison (=, <>, <, <=, >, >=) of the
 *	    integer family or of timestamptz with timestamptz: compared as the
 *	    64-bit integers the batches store (the Const converted by
 *	    nf_int_value, the function compression encodes values with);
 *	  - an inet or macaddr column (dictionary-encoded in batches) and op any
 *	    operator whose function is strict, immutable and returns boolean:
 *	    evaluated once per dictionary entry, then looked up by each row's
 *	    dictionary index; also column op ANY (array constant), as IN lists
 *	    of addresses are (true when op is true for an element);
 *	  and AND / OR of fast quals.  A row is selected when the qual is true
 *	  (a NULL operand or result counts as not true, which AND and OR
 *	  without NOT keep exact).  So the rows selected are exactly those
 *	  that pass the quals: when every qual of a scan is a fast qual, the
 *	  custom scan returns them without evaluating the quals again (only the
 *	  tail's rows are checked); otherwise it evaluates every qual on every
 *	  row it returns, and the selection only drops rows that cannot pass.
 *
 *	  Before a batch is read, its address filter (addr_filter.c) can show
 *	  that no row can pass: an inet = constant on a column it covers is
 *	  false for the whole batch when the constant is surely absent, and
 *	  AND / OR combine that as they combine rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "access/stratnum.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/primnodes.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/typcache.h"

#include "addr_filter.h"
#include "batch_codec.h"
#include "compressed_tam.h"

/* Elements of an op ANY (array) fast qual other than inet = ANY. */
#define NF_ANY_MAX_ELEMENTS 64

/* Kinds of filter nodes. */
#define NFF_INT 1				/* integer column op constant */
#define NFF_BYTES 2				/* dictionary column op constant, or op ANY
								 * (array constant) */
#define NFF_AND 3
#define NFF_OR 4
#define NFF_FALSE 5				/* never true (a NULL constant) */

/* One node of a compiled filter. */
typedef struct NfFilterNode
{
	int			kind;
	int			att;			/* 0-based column */
	int			strat;			/* NFF_INT: btree strategy or ROWCOMPARE_NE */
	int64		val;			/* NFF_INT: the constant */
	FmgrInfo	fn;				/* NFF_BYTES: the operator's function */
	Oid			collid;
	bool		var_left;		/* NFF_BYTES: the column is the left operand */
	int			nelems;			/* NFF_BYTES: the constants (non-NULL; one, or
								 * the array's elements) */
	Datum	   *elems;
	bool		has_ahash;		/* inet =: the constants' hashes into address
								 * filters, ascending (elems in that order) */
	uint64	   *ahashes;
	int			nargs;			/* NFF_AND, NFF_OR */
	struct NfFilterNode **args;
	bool	   *scratch;		/* NFF_AND, NFF_OR: an argument's result */
	bool	   *dictres;		/* NFF_BYTES: result per dictionary entry */
	uint32		dictcap;
} NfFilterNode;

/* A compiled filter. */
struct NfBatchFilter
{
	NfFilterNode *root;
	uint32		cap;			/* rows the scratch arrays hold */
	bool	   *result;
	List	   *nodes;			/* AND/OR nodes, to grow their scratch arrays */
	bool		uses_addr;		/* some node can consult an address filter */
};

/* The Var of this relation and the Const of a binary operator, if so. */
static bool
var_and_const(OpExpr *op, Var **var, Const **cst, bool *var_left)
{
	Node	   *l,
			   *r;

	if (list_length(op->args) != 2)
		return false;
	l = linitial(op->args);
	r = lsecond(op->args);
	if (IsA(l, Var) && IsA(r, Const))
	{
		*var = (Var *) l;
		*cst = (Const *) r;
		*var_left = true;
	}
	else if (IsA(r, Var) && IsA(l, Const))
	{
		*var = (Var *) r;
		*cst = (Const *) l;
		*var_left = false;
	}
	else
		return false;
	return (*var)->varlevelsup == 0 && (*var)->varattno > 0;
}

/* Whether t is an integer type compared as int64 (integer_ops). */
static bool
int_type(Oid t)
{
	return t == INT2OID || t == INT4OID || t == INT8OID;
}

/*
 * The btree strategy of operator opno in the default btree family of type
 * (not a reverse-order one; from the type cache, as GetDefaultOpClass would
 * scan pg_opclass each time), and the types of its operands there; 0 when
 * the family does not have it.
 */
int
nf_default_btree_strategy(Oid opno, Oid type, Oid *lefttype, Oid *righttype)
{
	Oid			family = lookup_type_cache(type, TYPECACHE_BTREE_OPFAMILY)->btree_opf;
	ListCell   *lc;

	*lefttype = *righttype = InvalidOid;
	foreach(lc, get_op_btree_interpretation(opno))
	{
		OpBtreeInterpretation *bi = lfirst(lc);

		if (bi->opfamily_id == family)
		{
			*lefttype = bi->oplefttype;
			*righttype = bi->oprighttype;
			return bi->strategy;
		}
	}
	return 0;
}

/*
 * The btree strategy of an integer or timestamptz comparison (with the
 * column on the left) in the default btree family of the column's type,
 * or 0 when op is not one.
 */
static int
int_strategy(Oid opno, Oid coltype, bool var_left)
{
	Oid			lt,
				rt;
	int			strat = nf_default_btree_strategy(opno, coltype, &lt, &rt);

	if (!((int_type(lt) && int_type(rt)) ||
		  (lt == TIMESTAMPTZOID && rt == TIMESTAMPTZOID)))
		return 0;
	if (strat == ROWCOMPARE_NE)
		return ROWCOMPARE_NE;
	if (strat >= BTLessStrategyNumber && strat <= BTGreaterStrategyNumber)
		return var_left ? strat : BTCommuteStrategyNumber(strat);
	return 0;
}

/*
 * The live column of relation varno (descriptor desc) that var is, of the
 * type var has; NULL when it is not one.
 */
static Form_pg_attribute
column_of(Var *var, Index varno, TupleDesc desc)
{
	Form_pg_attribute att;

	if (var->varlevelsup != 0 || var->varno != varno || var->varattno <= 0 ||
		var->varattno > desc->natts)
		return NULL;
	att = TupleDescAttr(desc, var->varattno - 1);
	if (att->attisdropped || att->atttypid != var->vartype)
		return NULL;
	return att;
}

/*
 * Whether function fn can be evaluated once per dictionary entry: strict
 * (a NULL never passes) and immutable.
 */
static bool
bytes_operator(Oid fn)
{
	return OidIsValid(fn) && func_strict(fn) &&
		func_volatile(fn) == PROVOLATILE_IMMUTABLE;
}

/* Whether clause is a fast qual over the relation varno of descriptor desc. */
bool
nf_fast_qual_supported(Node *clause, Index varno, TupleDesc desc)
{
	if (clause == NULL)
		return false;
	if (IsA(clause, BoolExpr))
	{
		BoolExpr   *b = (BoolExpr *) clause;
		ListCell   *lc;

		if (b->boolop != AND_EXPR && b->boolop != OR_EXPR)
			return false;
		foreach(lc, b->args)
			if (!nf_fast_qual_supported(lfirst(lc), varno, desc))
				return false;
		return true;
	}
	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
		Const	   *cst;
		Form_pg_attribute att;
		Oid			fn;

		if (!sa->useOr || list_length(sa->args) != 2 ||
			!IsA(linitial(sa->args), Var) || !IsA(lsecond(sa->args), Const))
			return false;
		att = column_of(linitial(sa->args), varno, desc);
		cst = lsecond(sa->args);
		if (att == NULL || nf_column_kind(att->atttypid) != NFC_KIND_BYTES ||
			get_element_type(cst->consttype) != att->atttypid)
			return false;
		fn = get_opcode(sa->opno);
		if (!bytes_operator(fn) || get_func_rettype(fn) != BOOLOID)
			return false;
		/*
		 * inet = ANY looks each dictionary entry up by hash; another operator
		 * is applied to each element, so only for short arrays
		 */
		if (!cst->constisnull && fn != F_NETWORK_EQ)
		{
			ArrayType  *arr = DatumGetArrayTypeP(cst->constvalue);

			return ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) <= NF_ANY_MAX_ELEMENTS;
		}
		return true;
	}
	if (IsA(clause, OpExpr))
	{
		OpExpr	   *op = (OpExpr *) clause;
		Var		   *var;
		Const	   *cst;
		bool		var_left;
		Form_pg_attribute att;
		Oid			fn;

		if (op->opresulttype != BOOLOID || op->opretset ||
			!var_and_const(op, &var, &cst, &var_left) ||
			(att = column_of(var, varno, desc)) == NULL)
			return false;
		switch (nf_column_kind(att->atttypid))
		{
			case NFC_KIND_INT:
				return int_strategy(op->opno, att->atttypid, var_left) != 0 &&
					(int_type(cst->consttype) || cst->consttype == TIMESTAMPTZOID);
			case NFC_KIND_BYTES:
				fn = get_opcode(op->opno);
				return bytes_operator(fn);
			default:
				return false;
		}
	}
	return false;
}

/*
 * The hash an inet value has in address filters: of the bytes compression
 * stores for it (compress_build.c).
 */
static uint64
inet_hash(Datum value)
{
	uint8		key[NF_INET_BYTES_MAX];

	return nfaf_hash(key, nf_inet_bytes(value, key));
}

/* An element of an inet = ANY array and its hash. */
typedef struct HashedElem
{
	uint64		hash;
	Datum		elem;
} HashedElem;

/* qsort comparator of HashedElem by hash. */
static int
cmp_hashed(const void *a, const void *b)
{
	uint64		x = ((const HashedElem *) a)->hash;
	uint64		y = ((const HashedElem *) b)->hash;

	return x < y ? -1 : x > y;
}

/*
 * The constants of an NFF_BYTES node (its operator set already): the
 * non-NULL ones of the nelems values (nulls: NULL flags, or NULL), which
 * never make a strict operator true; for inet = (inet says so), their
 * hashes into address filters too, sorted for lookups.
 */
static void
set_constants(NfFilterNode *n, NfBatchFilter *f, const Datum *values,
			  const bool *nulls, int nelems, bool inet)
{
	HashedElem *he;

	n->elems = palloc(sizeof(Datum) * Max(nelems, 1));
	n->nelems = 0;
	for (int i = 0; i < nelems; i++)
		if (nulls == NULL || !nulls[i])
			n->elems[n->nelems++] = values[i];
	n->has_ahash = inet && n->fn.fn_oid == F_NETWORK_EQ;
	if (!n->has_ahash)
		return;
	f->uses_addr = true;
	n->ahashes = palloc(sizeof(uint64) * Max(n->nelems, 1));
	he = palloc(sizeof(HashedElem) * Max(n->nelems, 1));
	for (int i = 0; i < n->nelems; i++)
	{
		he[i].hash = inet_hash(n->elems[i]);
		he[i].elem = n->elems[i];
	}
	qsort(he, n->nelems, sizeof(HashedElem), cmp_hashed);
	for (int i = 0; i < n->nelems; i++)
	{
		n->ahashes[i] = he[i].hash;
		n->elems[i] = he[i].elem;
	}
	pfree(he);
}

/* Compile one fast qual (nf_fast_qual_supported) into a node. */
static NfFilterNode *
compile_node(Node *clause, NfBatchFilter *f)
{
	NfFilterNode *n = palloc0(sizeof(NfFilterNode));

	if (IsA(clause, BoolExpr))
	{
		BoolExpr   *b = (BoolExpr *) clause;
		ListCell   *lc;
		int			i = 0;

		n->kind = b->boolop == AND_EXPR ? NFF_AND : NFF_OR;
		n->nargs = list_length(b->args);
		n->args = palloc(sizeof(NfFilterNode *) * n->nargs);
		foreach(lc, b->args)
			n->args[i++] = compile_node(lfirst(lc), f);
		f->nodes = lappend(f->nodes, n);
		return n;
	}
	else if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *sa = (ScalarArrayOpExpr *) clause;
		Var		   *var = linitial(sa->args);
		Const	   *cst = lsecond(sa->args);
		ArrayType  *arr;
		Datum	   *elems;
		bool	   *nulls;
		int			nelems;
		int16		elmlen;
		bool		elmbyval;
		char		elmalign;

		n->att = var->varattno - 1;
		if (cst->constisnull)
		{
			n->kind = NFF_FALSE;	/* strict: never true */
			return n;
		}
		n->kind = NFF_BYTES;
		fmgr_info(get_opcode(sa->opno), &n->fn);
		fmgr_info_set_expr((Node *) sa, &n->fn);
		n->collid = sa->inputcollid;
		n->var_left = true;
		arr = DatumGetArrayTypeP(cst->constvalue);
		get_typlenbyvalalign(ARR_ELEMTYPE(arr), &elmlen, &elmbyval, &elmalign);
		deconstruct_array(arr, ARR_ELEMTYPE(arr), elmlen, elmbyval, elmalign,
						  &elems, &nulls, &nelems);
		set_constants(n, f, elems, nulls, nelems, var->vartype == INETOID);
		return n;
	}
	else
	{
		OpExpr	   *op = castNode(OpExpr, clause);
		Var		   *var;
		Const	   *cst;
		bool		var_left;

		if (!var_and_const(op, &var, &cst, &var_left))
			elog(ERROR, "unsupported fast qual");
		n->att = var->varattno - 1;
		if (cst->constisnull)
		{
			n->kind = NFF_FALSE;	/* strict operators: never true */
			return n;
		}
		if (nf_column_kind(var->vartype) == NFC_KIND_INT)
		{
			n->kind = NFF_INT;
			n->strat = int_strategy(op->opno, var->vartype, var_left);
			/* rows it selects are trusted: never guess a comparison */
			if (n->strat == 0)
				elog(ERROR, "fast qual operator %u is not an integer comparison",
					 op->opno);
			n->val = nf_int_value(cst->constvalue, cst->consttype);
		}
		else
		{
			n->kind = NFF_BYTES;
			fmgr_info(get_opcode(op->opno), &n->fn);
			/* as ExecQual has it: a polymorphic function sees its argument types */
			fmgr_info_set_expr((Node *) op, &n->fn);
			n->collid = op->inputcollid;
			n->var_left = var_left;
			set_constants(n, f, &cst->constvalue, NULL, 1,
						  var->vartype == INETOID && cst->consttype == INETOID);
		}
		return n;
	}
}

/*
 * Compile the fast quals (implicitly ANDed) into a filter, in the current
 * memory context; NULL when quals is empty.  Not supported on builds whose
 * Datum is narrower than 64 bits (the column arrays are not int64 there).
 */
NfBatchFilter *
nf_batch_filter_compile(List *quals)
{
	NfBatchFilter *f;

#if SIZEOF_DATUM != 8
	return NULL;
#endif
	if (quals == NIL)
		return NULL;
	f = palloc0(sizeof(NfBatchFilter));
	if (list_length(quals) == 1)
		f->root = compile_node(linitial(quals), f);
	else
		f->root = compile_node((Node *) makeBoolExpr(AND_EXPR, quals, -1), f);
	return f;
}

/*
 * Whether node n can be true for a row of a batch whose address filter is
 * af: false only when an inet = constant it requires is surely absent.
 */
static bool
may_match(const NfFilterNode *n, const NfAddrFilter *af)
{
	switch (n->kind)
	{
		case NFF_FALSE:
			return false;
		case NFF_BYTES:
			if (!n->has_ahash || !nfaf_covers(af, n->att))
				return true;
			for (int i = 0; i < n->nelems; i++)
				if (nfaf_may_contain(af, n->ahashes[i]))
					return true;
			return false;
		case NFF_AND:
			for (int i = 0; i < n->nargs; i++)
				if (!may_match(n->args[i], af))
					return false;
			return true;
		case NFF_OR:
			for (int i = 0; i < n->nargs; i++)
				if (may_match(n->args[i], af))
					return true;
			return false;
		default:
			return true;
	}
}

/* Whether the filter has an inet = constant an address filter can rule out. */
bool
nf_batch_filter_uses_addr(const NfBatchFilter *f)
{
	return f != NULL && f->uses_addr;
}

/*
 * Whether some row of a batch whose address filter is the len bytes at buf
 * can pass the filter: true unless the address filter rules it out (and
 * when the bytes are not a filter: the batch is read).
 */
bool
nf_batch_filter_may_match(const NfBatchFilter *f, const uint8 *buf, size_t len)
{
	NfAddrFilter af;

	if (nfaf_parse(buf, len, &af) != 0)
		return true;
	return may_match(f->root, &af);
}

/* Evaluate an integer comparison on column values into out. */
static void
eval_int(const NfFilterNode *n, const DecodedBatch *db, bool *out)
{
	const int64 *v = (const int64 *) db->values[n->att];
	const bool *isnull = db->isnull[n->att];
	uint32		nrows = db->nrows;
	int64		c = n->val;

	switch (n->strat)
	{
		case BTLessStrategyNumber:
			for (uint32 r = 0; r < nrows; r++)
				out[r] = !isnull[r] && v[r] < c;
			break;
		case BTLessEqualStrategyNumber:
			for (uint32 r = 0; r < nrows; r++)
				out[r] = !isnull[r] && v[r] <= c;
			break;
		case BTEqualStrategyNumber:
			for (uint32 r = 0; r < nrows; r++)
				out[r] = !isnull[r] && v[r] == c;
			break;
		case BTGreaterEqualStrategyNumber:
			for (uint32 r = 0; r < nrows; r++)
				out[r] = !isnull[r] && v[r] >= c;
			break;
		case BTGreaterStrategyNumber:
			for (uint32 r = 0; r < nrows; r++)
				out[r] = !isnull[r] && v[r] > c;
			break;
		default:				/* ROWCOMPARE_NE */
			for (uint32 r = 0; r < nrows; r++)
				out[r] = !isnull[r] && v[r] != c;
			break;
	}
}

/*
 * The operator's function applied to a and b: true only when it returns
 * true (a NULL result counts as not true, as in a qual, where
 * FunctionCall2Coll would raise an error).
 */
static bool
call_operator(NfFilterNode *n, Datum a, Datum b)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, &n->fn, 2, n->collid, NULL, NULL);
	fcinfo->args[0].value = a;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = b;
	fcinfo->args[1].isnull = false;
	result = FunctionCallInvoke(fcinfo);
	return !fcinfo->isnull && DatumGetBool(result);
}

/*
 * The operator applied to one value of the column and each constant: true
 * when it is true for one.
 */
static bool
eval_bytes_value(NfFilterNode *n, Datum value)
{
	if (n->has_ahash && n->nelems > 1)
	{
		/* inet = ANY: the constants of the value's hash, by binary search */
		uint64		h = inet_hash(value);
		int			lo = 0,
					hi = n->nelems;

		while (lo < hi)
		{
			int			mid = lo + (hi - lo) / 2;

			if (n->ahashes[mid] < h)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < n->nelems && n->ahashes[lo] == h; lo++)
			if (call_operator(n, value, n->elems[lo]))
				return true;
		return false;
	}
	for (int i = 0; i < n->nelems; i++)
		if (n->var_left ? call_operator(n, value, n->elems[i]) :
			call_operator(n, n->elems[i], value))
			return true;
	return false;
}

/*
 * Evaluate an operator on a dictionary-encoded column into out: once per
 * dictionary entry, then per row by its index.
 */
static void
eval_bytes(NfFilterNode *n, const DecodedBatch *db, bool *out)
{
	int			c = n->att;
	const bool *isnull = db->isnull[c];
	uint32		nrows = db->nrows;

	if (db->dict == NULL || db->dict[c] == NULL)
	{
		/* no dictionary (a column added after compression): per row */
		for (uint32 r = 0; r < nrows; r++)
			out[r] = !isnull[r] && eval_bytes_value(n, db->values[c][r]);
		return;
	}
	if (n->dictcap < db->ndict[c])
	{
		n->dictcap = Max(db->ndict[c], 64);
		n->dictres = n->dictres ? repalloc(n->dictres, n->dictcap)
			: MemoryContextAlloc(GetMemoryChunkContext(n), n->dictcap);
	}
	for (uint32 k = 0; k < db->ndict[c]; k++)
		n->dictres[k] = eval_bytes_value(n, db->dict[c][k]);
	for (uint32 r = 0; r < nrows; r++)
		out[r] = !isnull[r] && n->dictres[db->idx[c][r]];
}

/* Evaluate node n on the batch into out (nrows flags). */
static void
eval_node(NfFilterNode *n, const DecodedBatch *db, bool *out)
{
	uint32		nrows = db->nrows;

	switch (n->kind)
	{
		case NFF_INT:
			eval_int(n, db, out);
			break;
		case NFF_BYTES:
			eval_bytes(n, db, out);
			break;
		case NFF_FALSE:
			memset(out, 0, nrows);
			break;
		case NFF_AND:
			eval_node(n->args[0], db, out);
			for (int i = 1; i < n->nargs; i++)
			{
				eval_node(n->args[i], db, n->scratch);
				for (uint32 r = 0; r < nrows; r++)
					out[r] = out[r] && n->scratch[r];
			}
			break;
		case NFF_OR:
			eval_node(n->args[0], db, out);
			for (int i = 1; i < n->nargs; i++)
			{
				eval_node(n->args[i], db, n->scratch);
				for (uint32 r = 0; r < nrows; r++)
					out[r] = out[r] || n->scratch[r];
			}
			break;
	}
}

/*
 * Evaluate the filter on a batch decoded (at least) in the filter's
 * columns: the indexes of the rows it selects go to sel (nrows entries),
 * their number is returned.
 */
uint32
nf_batch_filter_eval(NfBatchFilter *f, const DecodedBatch *db, uint32 *sel)
{
	uint32		nsel = 0;

	if (f->cap < db->nrows)
	{
		MemoryContext cxt = GetMemoryChunkContext(f);
		ListCell   *lc;

		f->cap = db->nrows;
		if (f->result)
			pfree(f->result);
		f->result = MemoryContextAlloc(cxt, f->cap);
		foreach(lc, f->nodes)
		{
			NfFilterNode *n = lfirst(lc);

			if (n->scratch)
				pfree(n->scratch);
			n->scratch = MemoryContextAlloc(cxt, f->cap);
		}
	}
	eval_node(f->root, db, f->result);
	for (uint32 r = 0; r < db->nrows; r++)
		if (f->result[r])
			sel[nsel++] = r;
	return nsel;
}
