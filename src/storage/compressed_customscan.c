/*-------------------------------------------------------------------------
 *
 * compressed_customscan.c
 *	  "NetflowCompressedScan", a custom scan of netflow_compressed
 *	  relations that reads less than a sequential scan: it decodes only the
 *	  columns the target list and the quals use, and skips the batches
 *	  whose bounds of time_start, time_end or time_received (kept per batch
 *	  in compressed_batches) a qual on that column excludes (column >= / >
 *	  / < / <= / = an expression without Vars or volatile functions, hence
 *	  also BETWEEN and Params, evaluated at each (re)scan start).  The
 *	  skipping is only an optimization: every qual is still evaluated on
 *	  every row returned, except where the row is known to pass (a batch
 *	  inside every time range when all quals are time bounds, a row the
 *	  batch filter selected when all quals are fast quals; see nf_exec),
 *	  and the tail is read in full by heapam.  Parallel-aware: the shared
 *	  state is the access method's parallel scan (batches handed out by an
 *	  atomic counter, then the tail's blocks), preceded by counters of the
 *	  batches read and skipped for EXPLAIN ANALYZE.
 *
 *	  The path is added beside the sequential scan paths by
 *	  set_rel_pathlist_hook, costed as the sequential scan scaled by the
 *	  share of columns decoded and of batches read; the setting
 *	  netflow.enable_compressed_scan (on by default) switches it off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/nbtree.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "executor/nodeCustom.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "port/atomics.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "compressed_tam.h"

/* netflow.enable_compressed_scan */
static bool nf_enable_compressed_scan = true;

/* netflow.enable_compressed_early_quals */
static bool nf_enable_early_quals = true;

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/* Counters shared by the participants of a parallel scan, before the AM's state. */
typedef struct NfScanShared
{
	pg_atomic_uint64 counts[NF_NCOUNTS];
	/* the access method's ParallelTableScanDesc follows, MAXALIGNed */
} NfScanShared;

#define NF_SHARED_HEADER MAXALIGN(sizeof(NfScanShared))

/* Execution state. */
typedef struct NfScanState
{
	CustomScanState css;
	TableScanDesc scan;
	bool	   *want;			/* natts flags */
	int			nwant;
	List	   *bound_cols;		/* per bound: index in nf_skip_columns */
	List	   *bound_strats;	/* per bound: btree strategy on the column */
	List	   *bound_states;	/* per bound: ExprState of the other side */
	bool		range_ready;	/* range computed for the current (re)scan */
	int			nfast;			/* fast quals (batch_filter.c) */
	NfBatchFilter *filter;		/* compiled from them, or NULL */
	bool	   *fwant;			/* the columns they use */
	bool	   *owant;			/* every qual a time range: the target
								 * list's columns (natts flags); else NULL */
	bool		exact;			/* every qual in filter: batch rows need no
								 * qual */
	NfScanShared *shared;		/* parallel: the shared counters */
	uint64		published[NF_NCOUNTS];	/* counts already added to shared */
	uint64		totals[NF_NCOUNTS]; /* after shutdown: every participant */
	bool		have_totals;
} NfScanState;

static Plan *nf_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
						  List *tlist, List *clauses, List *custom_plans);
static Node *nf_create_state(CustomScan *cscan);
static void nf_begin(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *nf_exec(CustomScanState *node);
static void nf_end(CustomScanState *node);
static void nf_rescan(CustomScanState *node);
static Size nf_estimate_dsm(CustomScanState *node, ParallelContext *pcxt);
static void nf_init_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate);
static void nf_reinit_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate);
static void nf_init_worker(CustomScanState *node, shm_toc *toc, void *coordinate);
static void nf_shutdown(CustomScanState *node);
static void nf_explain(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomPathMethods nf_path_methods = {
	.CustomName = "NetflowCompressedScan",
	.PlanCustomPath = nf_plan_path,
};

static const CustomScanMethods nf_scan_methods = {
	.CustomName = "NetflowCompressedScan",
	.CreateCustomScanState = nf_create_state,
};

static const CustomExecMethods nf_exec_methods = {
	.CustomName = "NetflowCompressedScan",
	.BeginCustomScan = nf_begin,
	.ExecCustomScan = nf_exec,
	.EndCustomScan = nf_end,
	.ReScanCustomScan = nf_rescan,
	.EstimateDSMCustomScan = nf_estimate_dsm,
	.InitializeDSMCustomScan = nf_init_dsm,
	.ReInitializeDSMCustomScan = nf_reinit_dsm,
	.InitializeWorkerCustomScan = nf_init_worker,
	.ShutdownCustomScan = nf_shutdown,
	.ExplainCustomScan = nf_explain,
};

/*
 * If clause is "col OP expr" or "expr OP col", col the timestamptz column
 * attnum of this relation, OP a timestamptz btree comparison and expr free
 * of Vars of this relation and of volatile functions, return expr and the
 * strategy with col on the left; else NULL.  expr may use Vars of other relations (a parameterized
 * path: they become Params) but none of this one.
 */
static Expr *
time_bound(PlannerInfo *root, Expr *clause, Index varno, AttrNumber attnum,
		   int *strategy)
{
	OpExpr	   *op;
	Node	   *left,
			   *right,
			   *other;
	Var		   *var;
	int			strat;
	bool		var_left;

	if (!IsA(clause, OpExpr))
		return NULL;
	op = (OpExpr *) clause;
	if (list_length(op->args) != 2)
		return NULL;
	left = strip_implicit_coercions(linitial(op->args));
	right = strip_implicit_coercions(lsecond(op->args));
	if (IsA(left, Var))
	{
		var = (Var *) left;
		other = right;
		var_left = true;
	}
	else if (IsA(right, Var))
	{
		var = (Var *) right;
		other = left;
		var_left = false;
	}
	else
		return NULL;
	if (var->varno != varno || var->varattno != attnum || var->varlevelsup != 0 ||
		exprType(other) != TIMESTAMPTZOID)
		return NULL;
	if (bms_is_member(varno, pull_varnos(root, other)) ||
		contain_volatile_functions(other))
		return NULL;
	/* a comparison of timestamptz_ops with timestamptz on both sides */
	{
		Oid			lt,
					rt;

		strat = nf_default_btree_strategy(op->opno, TIMESTAMPTZOID, &lt, &rt);
		if (strat < BTLessStrategyNumber || strat > BTGreaterStrategyNumber ||
			lt != TIMESTAMPTZOID || rt != TIMESTAMPTZOID)
			return NULL;
	}
	if (!var_left)
		strat = BTCommuteStrategyNumber(strat);
	*strategy = strat;
	return (Expr *) other;
}

/* Add the attribute numbers (1-based) used by node for varno to *attrs. */
static Bitmapset *
used_attrs(Node *node, Index varno, Bitmapset *attrs)
{
	pull_varattnos(node, varno, &attrs);
	return attrs;
}

/*
 * The attribute numbers (1..natts) in attrs (pull_varattnos offsets), all
 * of them when attrs holds a whole-row reference.
 */
static List *
attr_list(Bitmapset *attrs, int natts)
{
	List	   *list = NIL;

	for (int a = 1; a <= natts; a++)
		if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs) ||
			bms_is_member(a - FirstLowInvalidHeapAttributeNumber, attrs))
			list = lappend_int(list, a);
	return list;
}

/*
 * Whether attrs (pull_varattnos offsets) allow the custom scan: no system
 * column but ctid and tableoid (the rows of batches have no xmin etc.).
 */
static bool
attrs_supported(Bitmapset *attrs)
{
	int			x = -1;

	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	a = x + FirstLowInvalidHeapAttributeNumber;

		if (a < 0 && a != SelfItemPointerAttributeNumber &&
			a != TableOidAttributeNumber)
			return false;
	}
	return true;
}

/*
 * Share of the batches the quals on skipping columns of rel keep (their
 * selectivity); skip_att: the attribute numbers of the skipping columns.
 */
static Selectivity
time_selectivity(PlannerInfo *root, RelOptInfo *rel, const AttrNumber *skip_att)
{
	List	   *tquals = NIL;
	ListCell   *lc;
	int			strat;

	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		for (int k = 0; k < NF_NSKIP; k++)
			if (skip_att[k] != 0 &&
				time_bound(root, ri->clause, rel->relid, skip_att[k], &strat) != NULL)
			{
				tquals = lappend(tquals, ri);
				break;
			}
	}
	if (tquals == NIL)
		return 1.0;
	return clauselist_selectivity(root, tquals, rel->relid, JOIN_INNER, NULL);
}

/* A custom path scaled from a sequential scan path (serial or partial). */
static CustomPath *
make_path(RelOptInfo *rel, Path *seq, double factor)
{
	CustomPath *cpath = makeNode(CustomPath);

	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = rel;
	cpath->path.pathtarget = rel->reltarget;
	cpath->path.param_info = seq->param_info;
	cpath->path.parallel_aware = seq->parallel_aware;
	cpath->path.parallel_safe = seq->parallel_safe;
	cpath->path.parallel_workers = seq->parallel_workers;
	cpath->path.rows = seq->rows;
	cpath->path.pathkeys = NIL;
	cpath->path.startup_cost = seq->startup_cost;
	cpath->path.total_cost = seq->startup_cost +
		(seq->total_cost - seq->startup_cost) * factor;
	cpath->flags = 0;
	cpath->methods = &nf_path_methods;
	return cpath;
}

/* set_rel_pathlist_hook: add the custom paths for a netflow_compressed relation. */
static void
nf_set_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti,
					RangeTblEntry *rte)
{
	Relation	relation;
	Oid			am;
	AttrNumber	skip_att[NF_NSKIP];
	int			natts;
	Bitmapset  *attrs = NULL;
	ListCell   *lc;
	double		colshare,
				factor,
				tsel;
	List	   *seqs = NIL;
	List	   *pseqs = NIL;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);
	if (!nf_enable_compressed_scan || rte->rtekind != RTE_RELATION ||
		rte->relkind != RELKIND_RELATION || rte->tablesample != NULL ||
		rel->reloptkind == RELOPT_JOINREL)
		return;
	am = nf_compressed_am_oid(true);
	if (!OidIsValid(am))
		return;
	relation = relation_open(rte->relid, NoLock);
	if (relation->rd_rel->relam != am)
	{
		relation_close(relation, NoLock);
		return;
	}
	for (int k = 0; k < NF_NSKIP; k++)
		skip_att[k] = nf_skip_attnum(relation, k);
	natts = RelationGetDescr(relation)->natts;
	relation_close(relation, NoLock);

	attrs = used_attrs((Node *) rel->reltarget->exprs, rel->relid, attrs);
	foreach(lc, rel->baserestrictinfo)
		attrs = used_attrs((Node *) lfirst_node(RestrictInfo, lc)->clause,
						   rel->relid, attrs);
	if (!attrs_supported(attrs))
		return;

	/* the sequential scan paths to improve on (lateral ones are parameterized) */
	foreach(lc, rel->pathlist)
	{
		Path	   *p = lfirst(lc);

		if (p->pathtype == T_SeqScan)
			seqs = lappend(seqs, p);
	}
	foreach(lc, rel->partial_pathlist)
	{
		Path	   *p = lfirst(lc);

		if (p->pathtype == T_SeqScan)
			pseqs = lappend(pseqs, p);
	}

	/*
	 * Cost: the sequential scan's, scaled by the batches read (the time
	 * quals' selectivity) and by the columns decoded (half of the work per
	 * row is decoding, the rest is storing rows and evaluating quals).
	 */
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs))
		colshare = 1.0;			/* whole-row reference */
	else
		colshare = natts > 0 ? (double) bms_num_members(attrs) / natts : 1.0;
	colshare = Min(colshare, 1.0);
	tsel = time_selectivity(root, rel, skip_att);
	factor = tsel * (0.5 + 0.5 * colshare);
	factor = Max(Min(factor, 0.99), 0.001);

	/*
	 * No parallel path when the batches read are fewer pages than
	 * min_parallel_table_scan_size: an hour of a compressed day is too small
	 * a scan to pay for starting workers (measured: 100 ms slower with 2
	 * workers on 2 cores).  (The partial sequential scan path of a partition
	 * is made whatever its size.)
	 */
	if (rel->pages * tsel < (double) min_parallel_table_scan_size)
		pseqs = NIL;

	/* made before adding any: add_path may free the paths it beats */
	foreach(lc, seqs)
		lfirst(lc) = make_path(rel, lfirst(lc), factor);
	foreach(lc, pseqs)
		lfirst(lc) = make_path(rel, lfirst(lc), factor);
	foreach(lc, seqs)
		add_path(rel, (Path *) lfirst(lc));
	foreach(lc, pseqs)
		add_partial_path(rel, (Path *) lfirst(lc));
}

/* PlanCustomPath: a CustomScan keeping every qual, plus what to decode and skip. */
static Plan *
nf_plan_path(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			 List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	Relation	relation;
	AttrNumber	skip_att[NF_NSKIP];
	int			natts;
	List	   *quals;
	Bitmapset  *attrs = NULL;
	List	   *want = NIL;
	List	   *cols = NIL;
	List	   *strats = NIL;
	List	   *exprs = NIL;
	List	   *fast = NIL;
	Bitmapset  *fattrs = NULL;
	List	   *fwant = NIL;
	List	   *owant = NIL;
	bool		inside = false;
	bool		exact;
	ListCell   *lc;

	relation = relation_open(rte->relid, NoLock);

	/*
	 * The quals evaluated on the batches' columns first, and their columns.
	 * Evaluated first means on every value of a batch's dictionary, before
	 * any other qual: only those that may run before the others (leakproof,
	 * or of the lowest security level), so that a row-level security
	 * policy's qual still sees every row before a user's leaky operator.
	 */
	foreach(lc, clauses)
	{
		RestrictInfo *ri = lfirst_node(RestrictInfo, lc);

		if (!ri->pseudoconstant && nf_enable_early_quals &&
			restriction_is_securely_promotable(ri, rel) &&
			nf_fast_qual_supported((Node *) ri->clause, rel->relid,
								   RelationGetDescr(relation)))
			fast = lappend(fast, copyObject(ri->clause));
	}
	pull_varattnos((Node *) fast, rel->relid, &fattrs);
	fwant = attr_list(fattrs, RelationGetDescr(relation)->natts);
	for (int k = 0; k < NF_NSKIP; k++)
		skip_att[k] = nf_skip_attnum(relation, k);
	natts = RelationGetDescr(relation)->natts;
	relation_close(relation, NoLock);

	quals = extract_actual_clauses(clauses, false);
	attrs = used_attrs((Node *) tlist, rel->relid, attrs);
	attrs = used_attrs((Node *) quals, rel->relid, attrs);
	want = attr_list(attrs, natts);

	foreach(lc, quals)
	{
		for (int k = 0; k < NF_NSKIP; k++)
		{
			int			strat;
			Expr	   *other;

			if (skip_att[k] == 0)
				continue;
			other = time_bound(root, lfirst(lc), rel->relid, skip_att[k], &strat);
			if (other)
			{
				cols = lappend_int(cols, k);
				strats = lappend_int(strats, strat);
				exprs = lappend(exprs, copyObject(other));
				break;
			}
		}
	}

	/*
	 * Every qual a time bound: the rows of a batch inside every range need
	 * neither the quals nor the columns only they use (the target list's
	 * columns are decoded).
	 */
	if (quals != NIL && list_length(cols) == list_length(quals))
	{
		owant = attr_list(used_attrs((Node *) tlist, rel->relid, NULL), natts);
		inside = true;
	}

	/*
	 * Every qual a fast qual: the filter selects exactly the rows of a batch
	 * that pass them (batch_filter.c), so they are evaluated again only on
	 * the tail's rows.
	 */
	exact = quals != NIL && list_length(fast) == list_length(quals);

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = quals;
	cscan->scan.scanrelid = rel->relid;
	cscan->flags = best_path->flags;
	cscan->custom_plans = NIL;
	cscan->custom_exprs = exprs;
	cscan->custom_private = list_make5(want, cols, strats, fast, fwant);
	cscan->custom_private = lappend(cscan->custom_private, list_make2_int(inside, exact));
	cscan->custom_private = lappend(cscan->custom_private, owant);
	cscan->custom_scan_tlist = NIL;
	cscan->methods = &nf_scan_methods;
	return &cscan->scan.plan;
}

/* CreateCustomScanState. */
static Node *
nf_create_state(CustomScan *cscan)
{
	NfScanState *state = (NfScanState *) newNode(sizeof(NfScanState),
												 T_CustomScanState);

	state->css.methods = &nf_exec_methods;
	return (Node *) state;
}

/* Flags (natts of them) of the attribute numbers in attnos (attr_list). */
static bool *
attr_flags(List *attnos, int natts)
{
	bool	   *flags = palloc0(sizeof(bool) * Max(natts, 1));
	ListCell   *lc;

	foreach(lc, attnos)
	{
		int			a = lfirst_int(lc);

		if (a >= 1 && a <= natts)
			flags[a - 1] = true;
	}
	return flags;
}

/* BeginCustomScan: the columns to decode and the bound expressions. */
static void
nf_begin(CustomScanState *node, EState *estate, int eflags)
{
	NfScanState *state = (NfScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;

	/*
	 * The scan slot made by ExecInitCustomScan is virtual, but heapam
	 * stores the tail's rows in buffer heap tuple slots only: replace it
	 * with the relation's kind of slot, and build the projection and quals
	 * again for it (their compiled steps depend on the slot's kind).
	 */
	ExecInitScanTupleSlot(estate, &node->ss, RelationGetDescr(rel),
						  table_slot_callbacks(rel));
	ExecAssignScanProjectionInfoWithVarno(&node->ss, cscan->scan.scanrelid);
	node->ss.ps.qual = ExecInitQual(cscan->scan.plan.qual, (PlanState *) node);

	state->nwant = RelationGetDescr(rel)->natts;
	state->want = attr_flags(linitial(cscan->custom_private), state->nwant);
	state->bound_cols = (List *) lsecond(cscan->custom_private);
	state->bound_strats = (List *) lthird(cscan->custom_private);
	state->bound_states = ExecInitExprList(cscan->custom_exprs, (PlanState *) node);

	/* batches inside the time ranges: the target list's columns */
	if (linitial_int((List *) list_nth(cscan->custom_private, 5)))
		state->owant = attr_flags(list_nth(cscan->custom_private, 6), state->nwant);

	/* the fast quals, compiled for this participant */
	{
		List	   *fast = (List *) lfourth(cscan->custom_private);

		state->nfast = list_length(fast);
		state->filter = nf_batch_filter_compile(fast);
		state->fwant = attr_flags(list_nth(cscan->custom_private, 4), state->nwant);
		state->exact = state->filter != NULL &&
			lsecond_int((List *) list_nth(cscan->custom_private, 5));
	}
}

/*
 * The ranges of the skipping columns for the current (re)scan, from the
 * bound expressions evaluated now (a NULL bound matches no row: no batch is
 * read).
 */
static void
compute_range(NfScanState *state, NfScanRanges *ranges)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	ListCell   *lk,
			   *ls,
			   *le;

	memset(ranges, 0, sizeof(*ranges));
	forthree(lk, state->bound_cols, ls, state->bound_strats, le, state->bound_states)
	{
		NfTimeRange *range = &ranges->col[lfirst_int(lk)];
		int			strat = lfirst_int(ls);
		bool		isnull;
		Datum		d;
		TimestampTz v;

		d = ExecEvalExprSwitchContext((ExprState *) lfirst(le), econtext, &isnull);
		range->active = true;
		if (isnull)
		{
			range->empty = true;
			continue;
		}
		v = DatumGetTimestampTz(d);
		if (strat == BTGreaterEqualStrategyNumber || strat == BTGreaterStrategyNumber ||
			strat == BTEqualStrategyNumber)
		{
			bool		incl = strat != BTGreaterStrategyNumber;

			if (!range->has_lo || v > range->lo || (v == range->lo && !incl))
			{
				range->has_lo = true;
				range->lo = v;
				range->lo_incl = incl;
			}
		}
		if (strat == BTLessEqualStrategyNumber || strat == BTLessStrategyNumber ||
			strat == BTEqualStrategyNumber)
		{
			bool		incl = strat != BTLessStrategyNumber;

			if (!range->has_hi || v < range->hi || (v == range->hi && !incl))
			{
				range->has_hi = true;
				range->hi = v;
				range->hi_incl = incl;
			}
		}
	}
	ResetExprContext(econtext);
}

/* Apply the columns and the time range to a scan just begun or rescanned. */
static void
prepare_scan(NfScanState *state)
{
	NfScanRanges ranges;

	compute_range(state, &ranges);
	nf_compressed_scan_set_range(state->scan, &ranges);
	state->range_ready = true;
}

/* Tell a scan just begun what to decode, filter and take whole. */
static void
configure_scan(NfScanState *state)
{
	nf_compressed_scan_set_columns(state->scan, state->want);
	nf_compressed_scan_set_filter(state->scan, state->filter, state->fwant,
								  state->exact);
	if (state->owant)
		nf_compressed_scan_set_inside(state->scan, state->owant);
}

/* Add this participant's counts not yet published to the shared counters. */
static void
publish_counts(NfScanState *state)
{
	uint64		counts[NF_NCOUNTS];

	if (state->shared == NULL || state->scan == NULL)
		return;
	nf_compressed_scan_counts(state->scan, counts);
	for (int i = 0; i < NF_NCOUNTS; i++)
	{
		pg_atomic_fetch_add_u64(&state->shared->counts[i], counts[i] - state->published[i]);
		state->published[i] = counts[i];
	}
}

/* The next row of the scan (ExecScan's access method). */
static TupleTableSlot *
nf_next(ScanState *ss)
{
	NfScanState *state = (NfScanState *) ss;
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;

	if (state->scan == NULL)
	{
		state->scan = table_beginscan(ss->ss_currentRelation,
									  ss->ps.state->es_snapshot, 0, NULL);
		configure_scan(state);
	}
	if (!state->range_ready)
		prepare_scan(state);
	if (table_scan_getnextslot(state->scan, ForwardScanDirection, slot))
		return slot;
	publish_counts(state);
	return NULL;
}

/* Rows of a scan need no recheck (every qual is evaluated by ExecScan). */
static bool
nf_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

/*
 * ExecCustomScan: ExecScan, except that the quals are not evaluated on the
 * rows of a batch that pass them all: when every qual is a time range, the
 * rows of a batch inside the ranges (the scan read the batch's bounds and
 * NULLs), and when every qual is a fast qual, the rows the filter selected.
 */
static TupleTableSlot *
nf_exec(CustomScanState *node)
{
	NfScanState *state = (NfScanState *) node;
	ExprState  *qual = node->ss.ps.qual;
	ProjectionInfo *proj = node->ss.ps.ps_ProjInfo;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	if ((state->owant == NULL && !state->exact) || qual == NULL ||
		node->ss.ps.state->es_epq_active != NULL)
		return ExecScan(&node->ss, (ExecScanAccessMtd) nf_next,
						(ExecScanRecheckMtd) nf_recheck);
	for (;;)
	{
		TupleTableSlot *slot;

		CHECK_FOR_INTERRUPTS();
		ResetExprContext(econtext);
		slot = nf_next(&node->ss);
		if (TupIsNull(slot))
			return proj ? ExecClearTuple(proj->pi_state.resultslot) : slot;
		econtext->ecxt_scantuple = slot;
		if (nf_compressed_scan_row_passes(state->scan) || ExecQual(qual, econtext))
			return proj ? ExecProject(proj) : slot;
		InstrCountFiltered1(node, 1);
	}
}

/* EndCustomScan. */
static void
nf_end(CustomScanState *node)
{
	NfScanState *state = (NfScanState *) node;

	if (state->scan)
	{
		publish_counts(state);
		if (state->shared == NULL && !state->have_totals)
		{
			nf_compressed_scan_counts(state->scan, state->totals);
			state->have_totals = true;
		}
		table_endscan(state->scan);
		state->scan = NULL;
	}
}

/* ReScanCustomScan: restart, with the bounds evaluated again. */
static void
nf_rescan(CustomScanState *node)
{
	NfScanState *state = (NfScanState *) node;

	if (state->scan)
		table_rescan(state->scan, NULL);
	state->range_ready = false;
	ExecScanReScan(&node->ss);
}

/* EstimateDSMCustomScan: our counters and the access method's parallel state. */
static Size
nf_estimate_dsm(CustomScanState *node, ParallelContext *pcxt)
{
	return add_size(NF_SHARED_HEADER,
					table_parallelscan_estimate(node->ss.ss_currentRelation,
												node->ss.ps.state->es_snapshot));
}

/* InitializeDSMCustomScan (leader). */
static void
nf_init_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	NfScanState *state = (NfScanState *) node;
	ParallelTableScanDesc pscan =
		(ParallelTableScanDesc) ((char *) coordinate + NF_SHARED_HEADER);

	state->shared = (NfScanShared *) coordinate;
	for (int i = 0; i < NF_NCOUNTS; i++)
		pg_atomic_init_u64(&state->shared->counts[i], 0);
	table_parallelscan_initialize(node->ss.ss_currentRelation, pscan,
								  node->ss.ps.state->es_snapshot);
	state->scan = table_beginscan_parallel(node->ss.ss_currentRelation, pscan);
	configure_scan(state);
}

/* ReInitializeDSMCustomScan (leader, before a rescan). */
static void
nf_reinit_dsm(CustomScanState *node, ParallelContext *pcxt, void *coordinate)
{
	ParallelTableScanDesc pscan =
		(ParallelTableScanDesc) ((char *) coordinate + NF_SHARED_HEADER);

	table_parallelscan_reinitialize(node->ss.ss_currentRelation, pscan);
}

/* InitializeWorkerCustomScan. */
static void
nf_init_worker(CustomScanState *node, shm_toc *toc, void *coordinate)
{
	NfScanState *state = (NfScanState *) node;
	ParallelTableScanDesc pscan =
		(ParallelTableScanDesc) ((char *) coordinate + NF_SHARED_HEADER);

	state->shared = (NfScanShared *) coordinate;
	state->scan = table_beginscan_parallel(node->ss.ss_currentRelation, pscan);
	configure_scan(state);
}

/* ShutdownCustomScan: keep the totals before the shared memory goes. */
static void
nf_shutdown(CustomScanState *node)
{
	NfScanState *state = (NfScanState *) node;

	if (state->shared)
	{
		publish_counts(state);
		for (int i = 0; i < NF_NCOUNTS; i++)
			state->totals[i] = pg_atomic_read_u64(&state->shared->counts[i]);
		state->have_totals = true;
		state->shared = NULL;
	}
}

/*
 * ExplainCustomScan: columns decoded; with ANALYZE, batches read and
 * skipped, and with VERBOSE too the bytes of them fetched.
 */
static void
nf_explain(CustomScanState *node, List *ancestors, ExplainState *es)
{
	NfScanState *state = (NfScanState *) node;
	Relation	rel = node->ss.ss_currentRelation;
	int			n = 0;
	StringInfoData cols;

	initStringInfo(&cols);
	for (int i = 0; i < state->nwant; i++)
		if (state->want[i])
		{
			appendStringInfo(&cols, "%s%s", n ? ", " : "",
							 quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), i)->attname)));
			n++;
		}
	ExplainPropertyText("Columns Decoded",
						n == 0 ? "none" : n == state->nwant ? "all" : cols.data, es);
	if (state->bound_strats != NIL)
		ExplainPropertyInteger("Time Bounds", NULL, list_length(state->bound_strats), es);
	if (state->nfast > 0)
	{
		ExplainPropertyInteger("Quals on Batch Columns", NULL, state->nfast, es);
		if (state->exact)
			ExplainPropertyText("Quals Rechecked", "on tail rows only", es);
	}
	if (es->analyze)
	{
		uint64		c[NF_NCOUNTS] = {0};

		if (state->have_totals)
			memcpy(c, state->totals, sizeof(c));
		else if (state->shared)
		{
			publish_counts(state);
			for (int i = 0; i < NF_NCOUNTS; i++)
				c[i] = pg_atomic_read_u64(&state->shared->counts[i]);
		}
		else if (state->scan)
			nf_compressed_scan_counts(state->scan, c);
		ExplainPropertyInteger("Batches Read", NULL, (int64) c[NF_COUNT_BATCHES_READ], es);
		ExplainPropertyInteger("Batches Removed by Filter", NULL,
							   (int64) c[NF_COUNT_BATCHES_SKIPPED], es);
		if (nf_batch_filter_uses_addr(state->filter))
			ExplainPropertyInteger("Batches Removed by Address Filter", NULL,
								   (int64) c[NF_COUNT_BATCHES_ADDR_SKIPPED], es);
		if (state->nfast > 0)
			ExplainPropertyInteger("Rows Removed by Batch Column Quals", NULL,
								   (int64) c[NF_COUNT_ROWS_FILTERED], es);
		if (state->owant)
			ExplainPropertyInteger("Batches Inside Time Bounds", NULL,
								   (int64) c[NF_COUNT_BATCHES_INSIDE], es);
		/*
		 * VERBOSE: how much of the batches read was fetched (sizes vary), and
		 * how many decoders (of all participants) earlier scans had kept
		 */
		if (es->verbose && es->format == EXPLAIN_FORMAT_TEXT)
		{
			ExplainPropertyText("Batch Bytes Fetched",
								psprintf(UINT64_FORMAT " of " UINT64_FORMAT,
										 c[NF_COUNT_BYTES_FETCHED],
										 c[NF_COUNT_BYTES_STORED]), es);
			ExplainPropertyText("Decoders Reused",
								psprintf(UINT64_FORMAT " of " UINT64_FORMAT,
										 c[NF_COUNT_DECODERS_KEPT],
										 c[NF_COUNT_DECODERS]), es);
		}
		else if (es->verbose)
		{
			ExplainPropertyInteger("Batch Bytes Fetched", NULL,
								   (int64) c[NF_COUNT_BYTES_FETCHED], es);
			ExplainPropertyInteger("Batch Bytes Stored", NULL,
								   (int64) c[NF_COUNT_BYTES_STORED], es);
			ExplainPropertyInteger("Decoders Used", NULL,
								   (int64) c[NF_COUNT_DECODERS], es);
			ExplainPropertyInteger("Decoders Reused", NULL,
								   (int64) c[NF_COUNT_DECODERS_KEPT], es);
		}
	}
}

/* Register the custom scan and its setting (from _PG_init). */
void
nf_compressed_customscan_init(void)
{
	DefineCustomBoolVariable("netflow.enable_compressed_scan",
							 "Reads compressed partitions with the custom scan that decodes only the columns used and skips batches by time.",
							 "Off: compressed partitions are read by sequential scans that decode every column of every batch.",
							 &nf_enable_compressed_scan,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("netflow.enable_compressed_early_quals",
							 "Evaluates simple quals of compressed partition scans on the decoded columns they use, before decoding the others and forming rows.",
							 "Off: every row of every batch read is formed and checked by the plan's quals.",
							 &nf_enable_early_quals,
							 true,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
	RegisterCustomScanMethods(&nf_scan_methods);
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = nf_set_rel_pathlist;
}
