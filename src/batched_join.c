/*
 * batched_join.c — joins that fetch the periods of many outer rows together.
 *
 * Without it, a join whose restriction on a wxa_fdw table comes only from the
 * outer side (JOIN t ON t.ref_date = o.day) is a nested loop over a
 * parameterized scan: one round trip per outer row. Here a set_join_pathlist
 * hook offers, next to that nested loop, a CustomScan with the same two
 * children. It reads the outer rows in batches into a tuplestore (memory
 * within work_mem, spilling to disk beyond), computes the periods each row's
 * values need, fetches the distinct ones not fetched yet in one concurrent
 * batch of requests, and then joins the batch's rows as the nested loop would:
 * the inner scan is restarted per outer row with that row's values and serves
 * its rows from the periods just fetched. Join quals, join types and outer row
 * order are the nested loop's, so the results are too.
 *
 * The inner scan's restriction values and the join clauses it checked move to
 * this node (wxa_plan_drive): they reference outer columns, which the scan
 * cannot see without a nested loop's parameters.
 *
 * The inner side may also be a partitioned table whose partitions are wxa_fdw
 * tables (one per app): an Append of their scans. The node then drives every
 * partition's scan, and sends each batch's requests of all of them before it
 * waits for any. Requests go through the backend's one request engine, like a
 * scan's, and are waited for the PostgreSQL way (wait.c).
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "commands/explain.h"
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/selfuncs.h"
#include "utils/tuplestore.h"

#define BATCHED_JOIN_NAME "WxaBatchedJoin"

/*
 * Outer rows per batch: the first batch is small, so that a LIMIT above the
 * join stops early; each next one doubles, up to the last.
 */
#define FIRST_BATCH_ROWS 32
#define LAST_BATCH_ROWS 65536
/* a batch also ends when it needs this many new periods (their rows are held until joined) */
#define BATCH_PERIODS 512
/* the nested loop's requests, done this many at a time: what the planner assumes */
#define BATCHING_GAIN 8.0

/* custom_private of the plan */
enum BatchedJoinPrivate
{
	PRIVATE_JOINTYPE,			/* Integer */
	PRIVATE_CODES,				/* IntList: the restriction's codes (wxa_quals_encode) */
	PRIVATE_COLUMNS				/* String per code: the inner column it restricts */
};

/* custom_exprs of the plan: Lists, evaluated over the scan tuple (outer ++ inner) */
enum BatchedJoinExprs
{
	EXPRS_VALUES,				/* per driven scan, its restriction values from outer columns */
	EXPRS_JOINQUAL,				/* decide whether an (outer, inner) pair matches */
	EXPRS_OTHERQUAL				/* filter the joined rows (outer joins) */
};

typedef struct BatchedJoinState
{
	CustomScanState css;
	JoinType	jointype;
	PlanState  *outer;
	PlanState  *inner;			/* the wxa_fdw scan, or an Append of them (a partitioned table) */
	int			outer_natts;
	int			inner_natts;

	/* the wxa_fdw scans whose periods this node fetches, each with its values */
	int			ndriven;
	ForeignScanState **driven;
	List	  **value_states;	/* ExprState * per value */
	Datum	  **values;
	bool	  **nulls;
	ExprState  *joinqual;
	ExprState  *otherqual;

	Tuplestorestate *batch;		/* outer rows of the current batch */
	TupleTableSlot *outer_slot; /* one of them */
	long		batch_target;
	bool		outer_done;
	bool		need_outer;		/* the current outer row is done with */
	bool		matched;		/* the current outer row found an inner row */

	/* for EXPLAIN ANALYZE */
	long		batches;
	long		periods;
} BatchedJoinState;

static bool enable_batched_join = true;
static set_join_pathlist_hook_type previous_hook = NULL;

static Plan *plan_batched_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
							   List *tlist, List *clauses, List *custom_plans);
static Node *create_batched_join_state(CustomScan *cscan);
static void begin_batched_join(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *exec_batched_join(CustomScanState *node);
static void end_batched_join(CustomScanState *node);
static void rescan_batched_join(CustomScanState *node);
static void explain_batched_join(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomPathMethods path_methods = {
	.CustomName = BATCHED_JOIN_NAME,
	.PlanCustomPath = plan_batched_join,
};

static const CustomScanMethods scan_methods = {
	.CustomName = BATCHED_JOIN_NAME,
	.CreateCustomScanState = create_batched_join_state,
};

static const CustomExecMethods exec_methods = {
	.CustomName = BATCHED_JOIN_NAME,
	.BeginCustomScan = begin_batched_join,
	.ExecCustomScan = exec_batched_join,
	.EndCustomScan = end_batched_join,
	.ReScanCustomScan = rescan_batched_join,
	.ExplainCustomScan = explain_batched_join,
};

/* ---------------------------------------------------------------- planning */

/*
 * How many distinct sets of values the outer rows give the inner scan: the
 * outer columns its parameterized clauses use, as Memoize estimates them.
 */
static double
distinct_outer_values(PlannerInfo *root, List *inner_clauses, Relids outer_relids, double outer_rows)
{
	List	   *vars = NIL;
	ListCell   *lc;

	foreach(lc, inner_clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		ListCell   *v;

		foreach(v, pull_var_clause((Node *) rinfo->clause, PVC_RECURSE_PLACEHOLDERS))
		{
			Var		   *var = lfirst(v);

			if (IsA(var, Var) && bms_is_member(var->varno, outer_relids))
				vars = list_append_unique(vars, var);
		}
	}
	if (vars == NIL)
		return outer_rows;
#if PG_VERSION_NUM >= 140000
	return estimate_num_groups(root, vars, outer_rows, NULL, NULL);
#else
	return estimate_num_groups(root, vars, outer_rows, NULL);
#endif
}

static bool
contains_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return true;
	return expression_tree_walker(node, contains_param, context);
}

/*
 * Is the inner relation a wxa_fdw table, or a partitioned table whose every
 * partition left is one (one per app: "Many mini programs")?
 */
static bool
inner_rel_is_ours(PlannerInfo *root, RelOptInfo *innerrel, bool *partitioned)
{
	ListCell   *lc;
	bool		any = false;

	*partitioned = false;
	if (innerrel->reloptkind != RELOPT_BASEREL)
		return false;
	if (wxa_rel_is_ours(innerrel))
		return true;
	if (innerrel->rtekind != RTE_RELATION || innerrel->part_scheme == NULL)
		return false;
	foreach(lc, root->append_rel_list)
	{
		AppendRelInfo *appinfo = lfirst(lc);
		RelOptInfo *child;

		if (appinfo->parent_relid != innerrel->relid)
			continue;
		child = root->simple_rel_array[appinfo->child_relid];
		if (child == NULL || IS_DUMMY_REL(child))
			continue;
		/* a partition that is a table, or partitioned itself */
		if (!wxa_rel_is_ours(child))
			return false;
		any = true;
	}
	*partitioned = any;
	return any;
}

/* Does a clause read a partition key column of rel? */
static bool
reads_partition_key(RelOptInfo *rel, Node *clause)
{
	Bitmapset  *keys = NULL;
	Bitmapset  *attrs = NULL;

	for (int i = 0; i < rel->part_scheme->partnatts; i++)
		pull_varattnos((Node *) rel->partexprs[i], rel->relid, &keys);
	pull_varattnos(clause, rel->relid, &attrs);
	return bms_overlap(attrs, keys);
}

/*
 * Could the Append of a partitioned table prune partitions at run time? This
 * node gives the partitions no parameters to prune by, so such a table is
 * left to the nested loop. Pruning at run time needs a condition on the
 * partition key with a value that is not a constant, or a join clause on it.
 */
static bool
may_prune_at_run_time(RelOptInfo *rel, Path *path)
{
	ListCell   *lc;

	foreach(lc, rel->baserestrictinfo)
	{
		Node	   *clause = (Node *) lfirst_node(RestrictInfo, lc)->clause;

		if (reads_partition_key(rel, clause) &&
			(contain_mutable_functions(clause) || contains_param(clause, NULL)))
			return true;
	}
	foreach(lc, path->param_info->ppi_clauses)
		if (reads_partition_key(rel, (Node *) lfirst_node(RestrictInfo, lc)->clause))
			return true;
	return false;
}

/* A parameterized Append of wxa_fdw scans that prunes none of them at run time. */
static bool
is_append_of_our_scans(RelOptInfo *rel, Path *path)
{
	ListCell   *lc;

	if (!IsA(path, AppendPath) || ((AppendPath *) path)->subpaths == NIL ||
		path->param_info == NULL || may_prune_at_run_time(rel, path))
		return false;
	foreach(lc, ((AppendPath *) path)->subpaths)
		if (!IsA(lfirst(lc), ForeignPath))
			return false;
	return true;
}

/*
 * Offer the batched join next to the nested loop over each parameterized
 * wxa_fdw scan (or Append of them) whose parameters all come from the outer
 * relation.
 */
static void
add_batched_join_paths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
					   RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra)
{
	Path	   *outer_path = outerrel->cheapest_total_path;
	bool		partitioned;
	ListCell   *lc;

	if (jointype != JOIN_INNER && jointype != JOIN_LEFT &&
		jointype != JOIN_SEMI && jointype != JOIN_ANTI)
		return;
	/* the scan tuple holds the inner plan's columns: no placeholder expressions */
	foreach(lc, innerrel->reltarget->exprs)
		if (!IsA(lfirst(lc), Var))
			return;
	if (!inner_rel_is_ours(root, innerrel, &partitioned) ||
		outer_path == NULL || outer_path->param_info != NULL)
		return;
	/* the partitions' values come from the join clauses only (no LATERAL references) */
	if (partitioned && !bms_is_empty(innerrel->lateral_relids))
		return;
	/* pseudoconstant clauses would need a gating Result this node does not build */
	foreach(lc, extra->restrictlist)
		if (lfirst_node(RestrictInfo, lc)->pseudoconstant)
			return;

	foreach(lc, innerrel->pathlist)
	{
		Path	   *inner_path = lfirst(lc);
		Relids		required = PATH_REQ_OUTER(inner_path);
		JoinCostWorkspace workspace;
		JoinPath   *nest;
		CustomPath *path;
		List	   *enforced;

		if (!(partitioned ? is_append_of_our_scans(innerrel, inner_path) : IsA(inner_path, ForeignPath)) ||
			bms_is_empty(required) || !bms_is_subset(required, outerrel->relids))
			continue;
		/* the nested loop this replaces: its clauses, rows and cost */
		initial_cost_nestloop(root, &workspace, jointype, outer_path, inner_path, extra);
		/* a NestPath is a JoinPath (its first member from PostgreSQL 14 on) */
		nest = (JoinPath *) create_nestloop_path(root, joinrel, jointype, &workspace, extra,
												 outer_path, inner_path, extra->restrictlist,
												 outer_path->pathkeys, NULL);
		/* the join clauses the inner scans enforce (the nested loop left them out) */
		enforced = list_difference_ptr(extra->restrictlist, nest->joinrestrictinfo);

		path = makeNode(CustomPath);
		path->path.pathtype = T_CustomScan;
		path->path.parent = joinrel;
		path->path.pathtarget = joinrel->reltarget;
		path->path.param_info = NULL;
		path->path.parallel_aware = false;
		path->path.parallel_safe = false;
		path->path.parallel_workers = 0;
		path->path.rows = nest->path.rows;
		path->path.startup_cost = nest->path.startup_cost;
		wxa_set_path_disabled_nodes(&path->path, wxa_path_disabled_nodes(outer_path) +
									wxa_path_disabled_nodes(inner_path));

		/*
		 * Each distinct set of outer values is one scan's requests, and they
		 * run concurrently, a batch at a time; every outer row still restarts
		 * the scan (from fetched rows) and passes through the tuplestore.
		 */
		path->path.total_cost = outer_path->total_cost +
			distinct_outer_values(root, partitioned ? enforced : inner_path->param_info->ppi_clauses,
								  outerrel->relids, outer_path->rows) *
			inner_path->total_cost / BATCHING_GAIN +
			(outer_path->rows + path->path.rows) * cpu_operator_cost;
		path->path.pathkeys = outer_path->pathkeys;
		path->custom_paths = lappend(list_make1(outer_path), inner_path);
		path->custom_private = lappend(lappend(list_make1(makeInteger(jointype)),
											   nest->joinrestrictinfo), enforced);
		path->methods = &path_methods;
		add_path(joinrel, &path->path);
	}
}

static void
batched_join_hook(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				  RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra)
{
	if (previous_hook)
		previous_hook(root, joinrel, outerrel, innerrel, jointype, extra);
	if (enable_batched_join)
		add_batched_join_paths(root, joinrel, outerrel, innerrel, jointype, extra);
}

/* A target list of the expressions of plan's, numbered on from resno. */
static List *
append_tlist(List *tlist, Plan *plan)
{
	ListCell   *lc;

	foreach(lc, plan->targetlist)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		tlist = lappend(tlist, makeTargetEntry((Expr *) copyObjectImpl(tle->expr), list_length(tlist) + 1,
											   NULL, false));
	}
	return tlist;
}

#if PG_VERSION_NUM >= 160000
/*
 * From PostgreSQL 16 on, a Var above an outer join names the joins that can
 * null it (varnullingrels), and setrefs matches the Vars of this node with
 * those of its scan tuple exactly. Above a LEFT join the target list and the
 * other quals see the inner columns as nulled by it, the join quals as not
 * nulled; here both read the same column of the scan tuple, which this node
 * fills with the inner row or with nulls. So the scan tuple's inner Vars and
 * the join quals' take the marks the target list gives that column.
 */
typedef struct NullingMarks
{
	Relids		inner;
	List	   *marked;			/* Vars of the inner relation with marks */
} NullingMarks;

static bool
collect_marks(Node *node, NullingMarks *marks)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varlevelsup == 0 && bms_is_member(var->varno, marks->inner) &&
			!bms_is_empty(var->varnullingrels))
			marks->marked = lappend(marks->marked, var);
		return false;
	}
	return expression_tree_walker(node, collect_marks, marks);
}

static Node *
apply_marks(Node *node, NullingMarks *marks)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;
		ListCell   *lc;

		if (var->varlevelsup != 0 || !bms_is_member(var->varno, marks->inner))
			return node;
		foreach(lc, marks->marked)
		{
			Var		   *marked = lfirst(lc);

			if (marked->varno == var->varno && marked->varattno == var->varattno)
			{
				Var		   *copy = copyObjectImpl(var);

				copy->varnullingrels = bms_copy(marked->varnullingrels);
				return (Node *) copy;
			}
		}
		return node;
	}
	return expression_tree_mutator(node, apply_marks, marks);
}
#endif

/* The inner column each comparison code restricts (EXPLAIN). */
static List *
code_columns(List *codes)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, codes)
	{
		int			code = lfirst_int(lc);
		const char *name = "";

		if (code >= 0)
			name = WXA_QUAL_CODE_TARGET(code) == WXA_QUAL_END_DATE ? "end_date" :
				(WXA_QUAL_CODE_TARGET(code) == WXA_QUAL_DAYS ? "days" : "ref_date");
		names = lappend(names, makeString(pstrdup(name)));
	}
	return names;
}

/*
 * Hand a wxa_fdw scan's restriction values over to this node: its clauses on
 * outer columns go to *joinquals (checked here), the rest stay. Returns the
 * value expressions; *codes gets their codes.
 */
static List *
drive_scan(PlannerInfo *root, ForeignScan *scan, Relids outer_relids, List **joinquals,
		   List **codes)
{
	List	   *inner_quals = NIL;
	ListCell   *lc;

	foreach(lc, scan->scan.plan.qual)
	{
		Node	   *qual = lfirst(lc);
#if PG_VERSION_NUM >= 140000
		Relids		varnos = pull_varnos(root, qual);
#else
		Relids		varnos = pull_varnos(qual);
#endif

		if (bms_overlap(varnos, outer_relids))
			*joinquals = lappend(*joinquals, qual);
		else
			inner_quals = lappend(inner_quals, qual);
	}
	scan->scan.plan.qual = inner_quals;
	return wxa_plan_drive(scan, codes);
}

static Plan *
plan_batched_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
				  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	Plan	   *outer = linitial(custom_plans);
	Plan	   *inner = lsecond(custom_plans);
	Relids		outer_relids = ((Path *) linitial(best_path->custom_paths))->parent->relids;
	JoinType	jointype = intVal(linitial(best_path->custom_private));
	List	   *restrictinfos = lsecond(best_path->custom_private);
	List	   *joinquals;
	List	   *otherquals;
	List	   *values = NIL;
	List	   *codes = NIL;

	if (IS_OUTER_JOIN(jointype))
		extract_actual_join_clauses(restrictinfos, rel->relids, &joinquals, &otherquals);
	else
	{
		joinquals = extract_actual_clauses(restrictinfos, false);
		otherquals = NIL;
	}
	if (IsA(inner, ForeignScan))
		values = list_make1(drive_scan(root, (ForeignScan *) inner, outer_relids, &joinquals,
									   &codes));
	else if (IsA(inner, Append) && !wxa_append_prunes((Append *) inner))
	{
		ListCell   *lc;

		/* the partitions' clauses on outer columns, checked here once, as the parent's */
		joinquals = list_concat(joinquals,
								extract_actual_clauses(lthird(best_path->custom_private), false));
		foreach(lc, ((Append *) inner)->appendplans)
		{
			List	   *partition_quals = NIL;
			List	   *partition_codes;

			if (!IsA(lfirst(lc), ForeignScan))
				elog(ERROR, "%s: a partition's plan is a %d, not a ForeignScan", BATCHED_JOIN_NAME,
					 (int) nodeTag(lfirst(lc)));
			values = lappend(values, drive_scan(root, lfirst(lc), outer_relids, &partition_quals,
												&partition_codes));
			/* every partition has the parent's restriction: EXPLAIN shows the first one's */
			if (codes == NIL)
				codes = partition_codes;
		}
	}
	else
		elog(ERROR, "%s: the inner plan is a %d, not a ForeignScan or an Append without run-time pruning",
			 BATCHED_JOIN_NAME, (int) nodeTag(inner));

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = NIL;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	/* the scan tuple: the outer plan's columns, then the inner plan's */
	cscan->custom_scan_tlist = append_tlist(append_tlist(NIL, outer), inner);
#if PG_VERSION_NUM >= 160000
	if (jointype == JOIN_LEFT)
	{
		NullingMarks marks = {((Path *) lsecond(best_path->custom_paths))->parent->relids, NIL};

		(void) collect_marks((Node *) tlist, &marks);
		(void) collect_marks((Node *) otherquals, &marks);
		cscan->custom_scan_tlist = (List *) apply_marks((Node *) cscan->custom_scan_tlist, &marks);
		joinquals = (List *) apply_marks((Node *) joinquals, &marks);
	}
#endif
	cscan->custom_exprs = lappend(lappend(list_make1(values), joinquals), otherquals);
	cscan->custom_private = lappend(lappend(list_make1(makeInteger(jointype)), codes),
									code_columns(codes));
	cscan->methods = &scan_methods;
	return &cscan->scan.plan;
}

/* ---------------------------------------------------------------- execution */

static Node *
create_batched_join_state(CustomScan *cscan)
{
	BatchedJoinState *state = palloc0(sizeof(BatchedJoinState));

	NodeSetTag(state, T_CustomScanState);
	state->css.flags = cscan->flags;
	state->css.methods = &exec_methods;
	return (Node *) state;
}

/* The wxa_fdw scans of the inner plan: itself, or the partitions of its Append. */
static void
find_driven_scans(BatchedJoinState *state, int nscans)
{
	PlanState  *inner = state->inner;

	state->ndriven = nscans;
	state->driven = palloc0(sizeof(ForeignScanState *) * nscans);
	if (IsA(inner, ForeignScanState) && nscans == 1)
		state->driven[0] = (ForeignScanState *) inner;
	else if (IsA(inner, AppendState) && ((AppendState *) inner)->as_nplans == nscans)
	{
		for (int i = 0; i < nscans; i++)
		{
			PlanState  *partition = ((AppendState *) inner)->appendplans[i];

			if (!IsA(partition, ForeignScanState))
				elog(ERROR, "%s: a partition's plan state is not a ForeignScanState",
					 BATCHED_JOIN_NAME);
			state->driven[i] = (ForeignScanState *) partition;
		}
	}
	else
		elog(ERROR, "%s: the inner plan state does not hold the %d scans planned",
			 BATCHED_JOIN_NAME, nscans);
}

static void
begin_batched_join(CustomScanState *node, EState *estate, int eflags)
{
	BatchedJoinState *state = (BatchedJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *value_lists = list_nth(cscan->custom_exprs, EXPRS_VALUES);
	ListCell   *lc;
	int			k = 0;

	state->jointype = intVal(list_nth(cscan->custom_private, PRIVATE_JOINTYPE));
	state->outer = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	state->inner = ExecInitNode(lsecond(cscan->custom_plans), estate, eflags);
	node->custom_ps = lappend(list_make1(state->outer), state->inner);
	state->outer_natts = list_length(((Plan *) linitial(cscan->custom_plans))->targetlist);
	state->inner_natts = list_length(((Plan *) lsecond(cscan->custom_plans))->targetlist);
	find_driven_scans(state, list_length(value_lists));

	state->value_states = palloc0(sizeof(List *) * state->ndriven);
	state->values = palloc0(sizeof(Datum *) * state->ndriven);
	state->nulls = palloc0(sizeof(bool *) * state->ndriven);
	foreach(lc, value_lists)
	{
		ListCell   *v;
		int			n = list_length(lfirst(lc));

		foreach(v, (List *) lfirst(lc))
			state->value_states[k] = lappend(state->value_states[k],
											 ExecInitExpr(lfirst(v), &node->ss.ps));
		state->values[k] = palloc0(sizeof(Datum) * (n + 1));
		state->nulls[k] = palloc0(sizeof(bool) * (n + 1));
		k++;
	}
	state->joinqual = ExecInitQual(list_nth(cscan->custom_exprs, EXPRS_JOINQUAL), &node->ss.ps);
	state->otherqual = ExecInitQual(list_nth(cscan->custom_exprs, EXPRS_OTHERQUAL), &node->ss.ps);

	state->outer_slot = MakeSingleTupleTableSlot(ExecGetResultType(state->outer),
												 &TTSOpsMinimalTuple);
	state->batch_target = FIRST_BATCH_ROWS;
	state->need_outer = true;
}

/* The scan tuple with the outer row's columns and the inner's (or nulls). */
static void
fill_scan_tuple(BatchedJoinState *state, TupleTableSlot *outer, TupleTableSlot *inner)
{
	TupleTableSlot *scan = state->css.ss.ss_ScanTupleSlot;

	ExecClearTuple(scan);
	slot_getallattrs(outer);
	memcpy(scan->tts_values, outer->tts_values, sizeof(Datum) * state->outer_natts);
	memcpy(scan->tts_isnull, outer->tts_isnull, sizeof(bool) * state->outer_natts);
	if (inner)
	{
		slot_getallattrs(inner);
		memcpy(scan->tts_values + state->outer_natts, inner->tts_values,
			   sizeof(Datum) * state->inner_natts);
		memcpy(scan->tts_isnull + state->outer_natts, inner->tts_isnull,
			   sizeof(bool) * state->inner_natts);
	}
	else
	{
		memset(scan->tts_values + state->outer_natts, 0, sizeof(Datum) * state->inner_natts);
		memset(scan->tts_isnull + state->outer_natts, true, sizeof(bool) * state->inner_natts);
	}
	ExecStoreVirtualTuple(scan);
	state->css.ss.ps.ps_ExprContext->ecxt_scantuple = scan;
}

/*
 * The driven scans' restriction values for this outer row, evaluated in the
 * per-tuple memory (an array built per row, a cast from text), which the
 * caller resets before the next row: memory stays flat over any number of
 * outer rows.
 */
static void
evaluate_values(BatchedJoinState *state, TupleTableSlot *outer)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	fill_scan_tuple(state, outer, NULL);
	for (int k = 0; k < state->ndriven; k++)
	{
		ListCell   *lc;
		int			i = 0;

		foreach(lc, state->value_states[k])
		{
			state->values[k][i] = ExecEvalExprSwitchContext(lfirst(lc), econtext,
															&state->nulls[k][i]);
			i++;
		}
	}
}

/* Periods collected for the next fetch, over the driven scans. */
static int
collected_periods(BatchedJoinState *state)
{
	int			n = 0;

	for (int k = 0; k < state->ndriven; k++)
		n += wxa_scan_collected(state->driven[k]);
	return n;
}

/*
 * Read the next batch of outer rows and fetch the periods they need that are
 * not fetched yet, all together. Returns false when the outer side is done.
 */
static bool
next_batch(BatchedJoinState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	long		rows = 0;

	if (state->outer_done)
		return false;
	if (state->batch == NULL)
		state->batch = tuplestore_begin_heap(false, false, work_mem);
	else
		tuplestore_clear(state->batch);
	while (rows < state->batch_target && collected_periods(state) < BATCH_PERIODS)
	{
		TupleTableSlot *slot = ExecProcNode(state->outer);

		if (TupIsNull(slot))
		{
			state->outer_done = true;
			break;
		}
		tuplestore_puttupleslot(state->batch, slot);
		ResetExprContext(econtext);
		evaluate_values(state, slot);
		for (int k = 0; k < state->ndriven; k++)
			wxa_scan_collect(state->driven[k], state->values[k], state->nulls[k]);
		rows++;
		CHECK_FOR_INTERRUPTS();
	}
	if (rows == 0)
		return false;
	/* every scan's requests are sent before any is waited for */
	for (int k = 0; k < state->ndriven; k++)
		state->periods += wxa_scan_send_collected(state->driven[k]);
	for (int k = 0; k < state->ndriven; k++)
		wxa_scan_receive_collected(state->driven[k]);
	state->batches++;
	if (state->batch_target < LAST_BATCH_ROWS)
		state->batch_target *= 2;
	return true;
}

/* Emit the joined row when the other quals accept it. */
static TupleTableSlot *
project_if(BatchedJoinState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	if (state->otherqual != NULL && !ExecQual(state->otherqual, econtext))
		return NULL;
	/* no projection when the target list is the scan tuple itself */
	if (state->css.ss.ps.ps_ProjInfo == NULL)
		return state->css.ss.ss_ScanTupleSlot;
	return ExecProject(state->css.ss.ps.ps_ProjInfo);
}

static TupleTableSlot *
exec_batched_join(CustomScanState *node)
{
	BatchedJoinState *state = (BatchedJoinState *) node;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		TupleTableSlot *inner_slot;
		TupleTableSlot *result;

		CHECK_FOR_INTERRUPTS();
		if (state->need_outer)
		{
			/* the next outer row of the batch, or a new batch */
			while (state->batch == NULL ||
				   !tuplestore_gettupleslot(state->batch, true, false, state->outer_slot))
			{
				if (!next_batch(state))
					return NULL;
			}
			ResetExprContext(econtext);
			evaluate_values(state, state->outer_slot);
			for (int k = 0; k < state->ndriven; k++)
				wxa_scan_drive(state->driven[k], state->values[k], state->nulls[k]);
			/* the scans start again from the rows of the periods fetched */
			ExecReScan(state->inner);
			state->need_outer = false;
			state->matched = false;
		}

		inner_slot = ExecProcNode(state->inner);
		if (TupIsNull(inner_slot))
		{
			state->need_outer = true;
			/* no inner row matched: LEFT and ANTI keep the outer row, with nulls */
			if (!state->matched &&
				(state->jointype == JOIN_LEFT || state->jointype == JOIN_ANTI))
			{
				fill_scan_tuple(state, state->outer_slot, NULL);
				if ((result = project_if(state)) != NULL)
					return result;
			}
			continue;
		}

		ResetExprContext(econtext);
		fill_scan_tuple(state, state->outer_slot, inner_slot);
		if (state->joinqual != NULL && !ExecQual(state->joinqual, econtext))
			continue;
		state->matched = true;
		if (state->jointype == JOIN_ANTI)
		{
			state->need_outer = true;
			continue;
		}
		/* a semi join needs one match only */
		if (state->jointype == JOIN_SEMI)
			state->need_outer = true;
		if ((result = project_if(state)) != NULL)
			return result;
	}
}

static void
end_batched_join(CustomScanState *node)
{
	BatchedJoinState *state = (BatchedJoinState *) node;

	if (state->batch)
		tuplestore_end(state->batch);
	state->batch = NULL;
	ExecDropSingleTupleTableSlot(state->outer_slot);
	ExecEndNode(state->outer);
	ExecEndNode(state->inner);
}

static void
rescan_batched_join(CustomScanState *node)
{
	BatchedJoinState *state = (BatchedJoinState *) node;

	/* the outer side starts again; periods fetched stay with the inner scan */
	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(state->outer, node->ss.ps.chgParam);
	if (state->outer->chgParam == NULL)
		ExecReScan(state->outer);
	if (state->batch)
		tuplestore_clear(state->batch);
	ExecClearTuple(state->outer_slot);
	state->outer_done = false;
	state->need_outer = true;
	state->batch_target = FIRST_BATCH_ROWS;
}

/* ---------------------------------------------------------------- EXPLAIN */

/* "ref_date = o.day" for each restriction value; ORs in parentheses. */
static void
describe_values(StringInfo buf, CustomScan *cscan, List *codes, List *columns, List *values,	/* NOLINT(misc-no-recursion): as deep as the ORs, which quals.c bounds */
				int *pos, int *value, int end, List *context)
{
	bool		first = true;

	while (*pos < end)
	{
		int			code = list_nth_int(codes, *pos);

		if (!first)
			appendStringInfoString(buf, " AND ");
		first = false;
		(*pos)++;
		if (WXA_QUAL_CODE_IS_OR(code))
		{
			appendStringInfoChar(buf, '(');
			for (int b = 0; b < WXA_QUAL_CODE_OR_BRANCHES(code); b++)
			{
				int			length = WXA_QUAL_CODE_BRANCH_LENGTH(list_nth_int(codes, (*pos)++));

				if (b > 0)
					appendStringInfoString(buf, " OR ");
				describe_values(buf, cscan, codes, columns, values, pos, value, *pos + length,
								context);
			}
			appendStringInfoChar(buf, ')');
			continue;
		}
		{
			static const char *const ops[] = {"<", "<=", "=", ">=", ">"};
			int			op = WXA_QUAL_CODE_OP(code);

			appendStringInfo(buf, "%s %s %s", strVal(list_nth(columns, *pos - 1)),
							 op == WXA_QUAL_OP_IN ? "= ANY" : (op >= 0 && op < 5 ? ops[op] : "?"),
							 deparse_expression(list_nth(values, (*value)++), context, true, false));
		}
	}
}

static void
explain_batched_join(CustomScanState *node, List *ancestors, ExplainState *es)
{
	BatchedJoinState *state = (BatchedJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *codes = list_nth(cscan->custom_private, PRIVATE_CODES);
	List	   *columns = list_nth(cscan->custom_private, PRIVATE_COLUMNS);
	List	   *context = set_deparse_context_plan(es->deparse_cxt, &cscan->scan.plan, ancestors);
	StringInfoData buf;
	int			pos = 0;
	int			value = 0;
	List	   *joinqual = list_nth(cscan->custom_exprs, EXPRS_JOINQUAL);
	const char *jointype;

	switch (state->jointype)
	{
		case JOIN_LEFT:
			jointype = "Left";
			break;
		case JOIN_SEMI:
			jointype = "Semi";
			break;
		case JOIN_ANTI:
			jointype = "Anti";
			break;
		default:
			jointype = "Inner";
			break;
	}
	ExplainPropertyText("Join Type", jointype, es);
	initStringInfo(&buf);
	/* the first driven scan's values: a partitioned table's partitions all have the same */
	describe_values(&buf, cscan, codes, columns,
					linitial(list_nth(cscan->custom_exprs, EXPRS_VALUES)),
					&pos, &value, list_length(codes), context);
	ExplainPropertyText("Periods From Outer Rows", buf.data, es);
	if (joinqual != NIL)
		ExplainPropertyText("Join Filter",
							deparse_expression((Node *) make_ands_explicit(joinqual), context,
											   true, false), es);
	if (list_nth(cscan->custom_exprs, EXPRS_OTHERQUAL) != NIL)
		ExplainPropertyText("Filter",
							deparse_expression((Node *) make_ands_explicit(list_nth(cscan->custom_exprs,
																					  EXPRS_OTHERQUAL)),
											   context, true, false), es);
	if (es->analyze)
	{
		ExplainPropertyInteger("Outer Batches", NULL, state->batches, es);
		ExplainPropertyInteger("Periods Fetched", NULL, state->periods, es);
	}
}

void
wxa_batched_join_init(void)
{
	DefineCustomBoolVariable("wxa_fdw.enable_batched_join",
							 "Joins fetch the periods of a batch of outer rows together.",
							 "Off: a nested loop sends the requests of one outer row at a time.",
							 &enable_batched_join, true, PGC_USERSET, 0, NULL, NULL, NULL);
	RegisterCustomScanMethods(&scan_methods);
	previous_hook = set_join_pathlist_hook;
	set_join_pathlist_hook = batched_join_hook;
}
