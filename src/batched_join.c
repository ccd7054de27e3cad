/*
 * batched_join.c — joins that fetch the periods of many outer rows together.
 *
 * Without it, a join whose restriction on a wxa_fdw table comes only from the
 * outer side (JOIN t ON t.ref_date = o.day) is a nested loop over a
 * parameterized scan: one round trip per outer row. Here a set_join_pathlist
 * hook offers, next to that nested loop, a CustomScan over the outer side
 * alone that reads the inner table itself, through a table reader of its own
 * (table_reader.c) on the statement's period store. It reads the outer rows
 * in batches into a tuplestore (memory within work_mem, spilling to disk
 * beyond), computes the periods each row's values need, has the distinct ones
 * the store lacks fetched in one concurrent batch of requests, and then joins
 * the batch's rows as the nested loop would: per outer row, the reader
 * returns the rows of that row's periods from the store. Join quals, join
 * types and outer row order are the nested loop's, so the results are too.
 *
 * The plan holds what the reader needs (planned from the inner path's
 * clauses, as the scan plans its own): the table, the restriction codes, the
 * value expressions over outer columns, and the columns to read. The inner
 * side may also be a partitioned table whose partitions are wxa_fdw tables
 * (one per app): the node then has a reader per partition, and sends each
 * batch's requests of all of them before it waits for any.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/table.h"

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
#include "optimizer/planmain.h"
#include "optimizer/tlist.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/ruleutils.h"
#include "utils/selfuncs.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "table_reader.h"

#define BATCHED_JOIN_NAME "WxaBatchedJoin"

/*
 * Outer rows per batch: the first batch is small, so that a LIMIT above the
 * join stops early; each next one doubles, up to the last.
 */
#define FIRST_BATCH_ROWS 32
#define LAST_BATCH_ROWS 65536
/* a batch also ends when it needs this many new periods (their rows are held until joined) */
#define BATCH_PERIODS 512
/* ... or when its rows times the tables read reach this (one remembered pointer each) */
#define BATCH_VALUES 65536
/* the nested loop's requests, done this many at a time: what the planner assumes */
#define BATCHING_GAIN 8.0

/* custom_private of the plan */
enum BatchedJoinPrivate
{
	PRIVATE_JOINTYPE,			/* Integer */
	PRIVATE_CODES,				/* IntList: the first table's restriction codes (EXPLAIN) */
	PRIVATE_COLUMNS,			/* String per code: the inner column it restricts */
	PRIVATE_INNER_TABLE,		/* Integer: the inner relation's Oid (EXPLAIN) */
	PRIVATE_PARTITIONED,		/* Integer: 1 when it is a partitioned table */
	PRIVATE_TABLES				/* List per table read: enum TablePrivate */
};

/* one table read (the inner table, or each of its partitions) */
enum TablePrivate
{
	TABLE_RELID,				/* Integer: its Oid */
	TABLE_USERID,				/* Integer: whose user mapping (InvalidOid: the current user) */
	TABLE_CODES,				/* IntList: its restriction (wxa_quals_encode) */
	TABLE_APPID_EXCLUDES,		/* Integer: 1 when a condition on appid rules its server out */
	TABLE_ATTNOS				/* IntList: its attribute for each inner column of the scan tuple */
};

/* custom_exprs of the plan: Lists, evaluated over the scan tuple (outer ++ inner) */
enum BatchedJoinExprs
{
	EXPRS_VALUES,				/* per table, its restriction values from outer columns */
	EXPRS_JOINQUAL,				/* decide whether an (outer, inner) pair matches */
	EXPRS_OTHERQUAL				/* filter the joined rows (outer joins) */
};

/* A table the node reads, with the values of the current outer row. */
typedef struct InnerTable
{
	WxaTableReader *reader;		/* NULL under plain EXPLAIN */
	TupleTableSlot *slot;		/* a row of the table */
	List	   *value_states;	/* ExprState * per value */
	Datum	   *values;
	bool	   *nulls;
	int		   *attnos;			/* per inner column of the scan tuple */
	/* per row of the batch, its values as the reader remembers them, or NULL */
	const WxaRemembered **remembered;
} InnerTable;

typedef struct BatchedJoinState
{
	CustomScanState css;
	JoinType	jointype;
	PlanState  *outer;
	int			outer_natts;
	int			inner_natts;

	int			ntables;
	InnerTable *tables;
	int			current_table;	/* the table the current outer row reads, -1 before the first */
	ExprState  *joinqual;
	ExprState  *otherqual;

	Tuplestorestate *batch;		/* outer rows of the current batch */
	TupleTableSlot *outer_slot; /* one of them */
	long		batch_row;		/* its position in the batch */
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
	{
		Path	   *subpath = lfirst(lc);

		if (!IsA(subpath, ForeignPath))
			return false;
		/* a partition read without the outer values needs a date restriction of its own */
		if (subpath->param_info == NULL && !wxa_plan_runs_alone(subpath->parent))
			return false;
	}
	return true;
}

static bool
has_other_inner_var(Node *node, Index *relid)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var))
		return ((Var *) node)->varno == *relid && ((Var *) node)->varlevelsup == 0 &&
			((Var *) node)->varattno <= 0;
	return expression_tree_walker(node, has_other_inner_var, relid);
}

/* Do the join's clauses and the inner relation's target and quals read only its columns? */
static bool
reads_inner_columns_only(RelOptInfo *innerrel, List *restrictlist)
{
	ListCell   *lc;

	if (has_other_inner_var((Node *) innerrel->reltarget->exprs, &innerrel->relid))
		return false;
	foreach(lc, list_concat_copy(restrictlist, innerrel->baserestrictinfo))
		if (has_other_inner_var((Node *) lfirst_node(RestrictInfo, lc)->clause, &innerrel->relid))
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
	foreach(lc, list_concat_copy(extra->restrictlist, innerrel->baserestrictinfo))
		if (lfirst_node(RestrictInfo, lc)->pseudoconstant)
			return;
	/* the node reads the inner table's columns, not a whole row or a system column */
	if (!reads_inner_columns_only(innerrel, extra->restrictlist))
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
		/* the inner side is read by this node itself: the inner path is planned here */
		path->custom_paths = list_make1(outer_path);
		path->custom_private = lappend(lappend(lappend(list_make1(makeInteger(jointype)),
													   nest->joinrestrictinfo), enforced),
									   inner_path);
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

static int
compare_attnos(const ListCell *a, const ListCell *b)
{
	return ((Var *) lfirst(a))->varattno - ((Var *) lfirst(b))->varattno;
}

/*
 * The inner columns the scan tuple holds: those the join's output and quals
 * read, in attribute order, as Vars of the inner relation without marks.
 */
static List *
inner_columns(RelOptInfo *inner_rel, List *quals)
{
	List	   *columns = NIL;
	ListCell   *lc;

	foreach(lc, pull_var_clause((Node *) list_concat_copy(inner_rel->reltarget->exprs, quals),
								PVC_RECURSE_PLACEHOLDERS))
	{
		Var		   *var = lfirst(lc);
		ListCell   *c;
		bool		seen = false;

		if (var->varno != inner_rel->relid)
			continue;
		foreach(c, columns)
			seen = seen || ((Var *) lfirst(c))->varattno == var->varattno;
		if (seen)
			continue;
		var = copyObjectImpl(var);
#if PG_VERSION_NUM >= 160000
		var->varnullingrels = NULL;
#endif
		columns = lappend(columns, var);
	}
	list_sort(columns, compare_attnos);
	return columns;
}

/*
 * Plan the reading of one table (the inner one, or a partition of it, with
 * appinfo): its restriction from its own clauses and those its parameterized
 * path enforced, as the scan would plan it. Returns its TablePrivate list and
 * appends its value expressions to *values.
 */
static List *
plan_table(PlannerInfo *root, RelOptInfo *rel, Path *path, AppendRelInfo *appinfo,
		   List *columns, List **values)
{
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	/* a partition's cheapest path may need fewer outer relations than the Append, or none */
	List	   *clauses = list_concat_copy(rel->baserestrictinfo,
										   path->param_info ? path->param_info->ppi_clauses : NIL);
	List	   *exprs;
	List	   *attnos = NIL;
	bool		has_date;
	List	   *codes = wxa_plan_restriction(rel, clauses, PATH_REQ_OUTER(path), &exprs, &has_date);
	Oid			userid;
	List	   *private = NIL;
	ListCell   *lc;

	if (!has_date && !wxa_plan_appid_excludes(rel))
		elog(ERROR, "%s: the parameterized path of \"%s\" has no date restriction",
			 BATCHED_JOIN_NAME, get_rel_name(rte->relid));
	foreach(lc, columns)
	{
		AttrNumber	attno = ((Var *) lfirst(lc))->varattno;

		if (appinfo)
		{
			/* the partition's own column (its attribute numbers may differ) */
			Var		   *child = list_nth(appinfo->translated_vars, attno - 1);

			if (child == NULL || !IsA(child, Var))
				elog(ERROR, "%s: column %d of the partitioned table is not a column of \"%s\"",
					 BATCHED_JOIN_NAME, attno, get_rel_name(rte->relid));
			attno = child->varattno;
		}
		attnos = lappend_int(attnos, attno);
	}
#if PG_VERSION_NUM >= 160000
	userid = rel->userid;
#else
	userid = rte->checkAsUser;
#endif
	*values = lappend(*values, exprs);
	/* in TablePrivate order */
	private = lappend(private, makeInteger((int) rte->relid));
	private = lappend(private, makeInteger((int) userid));
	private = lappend(private, codes);
	private = lappend(private, makeInteger(wxa_plan_appid_excludes(rel) ? 1 : 0));
	return lappend(private, attnos);
}

/*
 * A restriction value computed from outer columns (o.dt::date) is computed
 * once per outer row by the outer plan, as a column of its own, the way a
 * nested loop's parameter is: the join's values and its join filter then read
 * that column (setrefs matches the expression with the scan tuple's entry)
 * instead of computing it again for every inner row. Fixed-size values only:
 * the batch keeps its outer rows.
 */
static Plan *
compute_values_below(Plan *outer, List *values)
{
	List	   *tlist = list_copy(outer->targetlist);
	bool		added = false;
	ListCell   *lc;

	foreach(lc, values)
	{
		ListCell   *v;

		foreach(v, (List *) lfirst(lc))
		{
			Expr	   *expr = lfirst(v);

			if (IsA(expr, Var) || !contain_var_clause((Node *) expr) ||
				contain_volatile_functions((Node *) expr) || !get_typbyval(exprType((Node *) expr)) ||
				tlist_member(expr, tlist) != NULL)
				continue;
			tlist = lappend(tlist, makeTargetEntry((Expr *) copyObjectImpl(expr), list_length(tlist) + 1,
												   NULL, false));
			added = true;
		}
	}
	return added ? change_plan_targetlist(outer, tlist, outer->parallel_safe) : outer;
}

static Plan *
plan_batched_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
				  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	Plan	   *outer = linitial(custom_plans);
	JoinType	jointype = intVal(linitial(best_path->custom_private));
	List	   *restrictinfos = lsecond(best_path->custom_private);
	List	   *enforced = lthird(best_path->custom_private);
	Path	   *inner_path = lfourth(best_path->custom_private);
	RelOptInfo *inner_rel = inner_path->parent;
	bool		partitioned = IsA(inner_path, AppendPath);
	List	   *joinquals;
	List	   *otherquals;
	List	   *columns;
	List	   *tables = NIL;
	List	   *values = NIL;
	List	   *scan_tlist;
	ListCell   *lc;

	if (IS_OUTER_JOIN(jointype))
		extract_actual_join_clauses(restrictinfos, rel->relids, &joinquals, &otherquals);
	else
	{
		joinquals = extract_actual_clauses(restrictinfos, false);
		otherquals = NIL;
	}

	/*
	 * The clauses the parameterized scan would have checked (the nested loop
	 * left them to it) and the inner table's own decide here whether an inner
	 * row matches: for a partitioned table, as the parent's.
	 */
	joinquals = list_concat(joinquals,
							extract_actual_clauses(partitioned ? enforced :
												   inner_path->param_info->ppi_clauses, false));
	joinquals = list_concat(joinquals, extract_actual_clauses(inner_rel->baserestrictinfo, false));
	columns = inner_columns(inner_rel, list_concat_copy(joinquals, otherquals));

	if (!partitioned)
		tables = list_make1(plan_table(root, inner_rel, inner_path, NULL, columns, &values));
	else
		foreach(lc, ((AppendPath *) inner_path)->subpaths)
		{
			Path	   *subpath = lfirst(lc);

			tables = lappend(tables, plan_table(root, subpath->parent, subpath,
												root->append_rel_array[subpath->parent->relid],
												columns, &values));
		}

	if (tables == NIL)
		elog(ERROR, "%s: no table to read", BATCHED_JOIN_NAME);

	outer = compute_values_below(outer, values);
	custom_plans = list_make1(outer);

	/* the scan tuple: the outer plan's columns, then the inner columns read */
	scan_tlist = append_tlist(NIL, outer);
	foreach(lc, columns)
		scan_tlist = lappend(scan_tlist, makeTargetEntry((Expr *) lfirst(lc), list_length(scan_tlist) + 1,
														 NULL, false));
	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = NIL;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_scan_tlist = scan_tlist;
#if PG_VERSION_NUM >= 160000
	if (jointype == JOIN_LEFT)
	{
		NullingMarks marks = {inner_rel->relids, NIL};

		(void) collect_marks((Node *) tlist, &marks);
		(void) collect_marks((Node *) otherquals, &marks);
		cscan->custom_scan_tlist = (List *) apply_marks((Node *) cscan->custom_scan_tlist, &marks);
		joinquals = (List *) apply_marks((Node *) joinquals, &marks);
	}
#endif
	cscan->custom_exprs = lappend(lappend(list_make1(values), joinquals), otherquals);
	{
		List	   *codes = lthird(linitial(tables));

		cscan->custom_private = lappend(lappend(lappend(lappend(lappend(list_make1(makeInteger(jointype)),
																		codes),
																code_columns(codes)),
														makeInteger((int) planner_rt_fetch(inner_rel->relid, root)->relid)),
												makeInteger(partitioned ? 1 : 0)),
										tables);
	}
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

/* Open the reading of one table the plan names (not under plain EXPLAIN: nothing is read then). */
static void
begin_table(BatchedJoinState *state, InnerTable *table, List *private, List *value_exprs,
			EState *estate, int eflags)
{
	Oid			relid = (Oid) intVal(list_nth(private, TABLE_RELID));
	List	   *attnos = list_nth(private, TABLE_ATTNOS);
	int			nvalues = list_length(value_exprs);
	Relation	rel;
	bool	   *wanted;
	ListCell   *lc;
	int			i = 0;

	table->attnos = palloc(sizeof(int) * (list_length(attnos) + 1));
	foreach(lc, attnos)
		table->attnos[i++] = lfirst_int(lc);
	table->value_states = ExecInitExprList(value_exprs, &state->css.ss.ps);
	table->values = palloc0(sizeof(Datum) * (nvalues + 1));
	table->nulls = palloc0(sizeof(bool) * (nvalues + 1));
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	/* locked already, as every relation of the plan's range table */
	rel = table_open(relid, AccessShareLock);
	wanted = palloc0(sizeof(bool) * RelationGetDescr(rel)->natts);
	for (int c = 0; c < list_length(attnos); c++)
		wanted[table->attnos[c] - 1] = true;
	table->reader = wxa_reader_begin(estate, rel,
									 (Oid) intVal(list_nth(private, TABLE_USERID)),
									 list_nth(private, TABLE_CODES), value_exprs,
									 intVal(list_nth(private, TABLE_APPID_EXCLUDES)) != 0,
									 WXA_LAZY_NONE, wanted);
	table->slot = ExecInitExtraTupleSlot(estate, CreateTupleDescCopy(RelationGetDescr(rel)),
										 &TTSOpsVirtual);
	table_close(rel, NoLock);
	pfree(wanted);
}

static void
begin_batched_join(CustomScanState *node, EState *estate, int eflags)
{
	BatchedJoinState *state = (BatchedJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *tables = list_nth(cscan->custom_private, PRIVATE_TABLES);
	List	   *value_lists = list_nth(cscan->custom_exprs, EXPRS_VALUES);
	int			k = 0;

	state->jointype = intVal(list_nth(cscan->custom_private, PRIVATE_JOINTYPE));
	state->outer = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	node->custom_ps = list_make1(state->outer);
	state->outer_natts = list_length(((Plan *) linitial(cscan->custom_plans))->targetlist);
	state->inner_natts = list_length(cscan->custom_scan_tlist) - state->outer_natts;

	state->ntables = list_length(tables);
	state->tables = palloc0(sizeof(InnerTable) * state->ntables);
	for (k = 0; k < state->ntables; k++)
	{
		begin_table(state, &state->tables[k], list_nth(tables, k), list_nth(value_lists, k),
					estate, eflags);
		state->tables[k].remembered =
			palloc0(sizeof(WxaRemembered *) *
					Max(1, Min(LAST_BATCH_ROWS, BATCH_VALUES / state->ntables)));
	}
	state->joinqual = ExecInitQual(list_nth(cscan->custom_exprs, EXPRS_JOINQUAL), &node->ss.ps);
	state->otherqual = ExecInitQual(list_nth(cscan->custom_exprs, EXPRS_OTHERQUAL), &node->ss.ps);

	state->outer_slot = MakeSingleTupleTableSlot(ExecGetResultType(state->outer),
												 &TTSOpsMinimalTuple);
	state->batch_target = FIRST_BATCH_ROWS;
	state->need_outer = true;
	state->current_table = -1;
}

/* The scan tuple with the outer row's columns and a row of a table read (or nulls). */
static void
fill_scan_tuple(BatchedJoinState *state, TupleTableSlot *outer, InnerTable *table)
{
	TupleTableSlot *scan = state->css.ss.ss_ScanTupleSlot;

	ExecClearTuple(scan);
	slot_getallattrs(outer);
	memcpy(scan->tts_values, outer->tts_values, sizeof(Datum) * state->outer_natts);
	memcpy(scan->tts_isnull, outer->tts_isnull, sizeof(bool) * state->outer_natts);
	for (int i = 0; i < state->inner_natts; i++)
	{
		int			attno = table ? table->attnos[i] : 0;

		scan->tts_values[state->outer_natts + i] = attno ? table->slot->tts_values[attno - 1] : (Datum) 0;
		scan->tts_isnull[state->outer_natts + i] = attno ? table->slot->tts_isnull[attno - 1] : true;
	}
	ExecStoreVirtualTuple(scan);
	state->css.ss.ps.ps_ExprContext->ecxt_scantuple = scan;
}

/*
 * A table's restriction values for the outer row in the scan tuple, evaluated
 * in the per-tuple memory (an array built per row, a cast from text), which
 * the caller resets before the next row: memory stays flat over any number of
 * outer rows.
 */
static void
evaluate_values(BatchedJoinState *state, InnerTable *table)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, table->value_states)
	{
		table->values[i] = ExecEvalExprSwitchContext(lfirst(lc), econtext, &table->nulls[i]);
		i++;
	}
}

/* Periods collected for the next fetch, over the tables read. */
static int
collected_periods(BatchedJoinState *state)
{
	int			n = 0;

	for (int k = 0; k < state->ntables; k++)
		n += wxa_reader_collected(state->tables[k].reader);
	return n;
}

/*
 * Read the next batch of outer rows and fetch the periods they need that the
 * store lacks, all together. Returns false when the outer side is done.
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
	while (rows < state->batch_target &&
		   (rows == 0 || (rows + 1) * state->ntables <= BATCH_VALUES) &&
		   collected_periods(state) < BATCH_PERIODS)
	{
		TupleTableSlot *slot = ExecProcNode(state->outer);

		if (TupIsNull(slot))
		{
			state->outer_done = true;
			break;
		}
		tuplestore_puttupleslot(state->batch, slot);
		ResetExprContext(econtext);
		fill_scan_tuple(state, slot, NULL);
		for (int k = 0; k < state->ntables; k++)
		{
			evaluate_values(state, &state->tables[k]);
			state->tables[k].remembered[rows] =
				wxa_reader_collect(state->tables[k].reader, state->tables[k].values,
								   state->tables[k].nulls);
		}
		rows++;
		CHECK_FOR_INTERRUPTS();
	}
	if (rows == 0)
		return false;
	state->batch_row = -1;
	/* every table's requests are sent before any is waited for */
	for (int k = 0; k < state->ntables; k++)
		state->periods += wxa_reader_send_collected(state->tables[k].reader);
	for (int k = 0; k < state->ntables; k++)
		wxa_reader_receive_collected(state->tables[k].reader);
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

/* Start reading table k for the current outer row, with the row's values for it. */
static void
start_table(BatchedJoinState *state, int k)
{
	InnerTable *table = &state->tables[k];

	/* values collected before this batch: not evaluated again */
	if (table->remembered[state->batch_row] != NULL)
	{
		wxa_reader_start_remembered(table->reader, table->remembered[state->batch_row]);
		return;
	}
	ResetExprContext(state->css.ss.ps.ps_ExprContext);
	fill_scan_tuple(state, state->outer_slot, NULL);
	evaluate_values(state, table);
	wxa_reader_start(table->reader, table->values, table->nulls);
}

/*
 * The next row of the tables read for the current outer row, in its table's
 * slot (per-tuple memory): that table, or NULL when they are done. The rows
 * come from the periods of the batch, fetched already.
 */
static InnerTable *
next_inner_row(BatchedJoinState *state)
{
	ExprContext *econtext = state->css.ss.ps.ps_ExprContext;

	if (state->current_table < 0)
		start_table(state, state->current_table = 0);
	while (state->current_table < state->ntables)
	{
		InnerTable *table = &state->tables[state->current_table];
		MemoryContext old;

		ResetExprContext(econtext);
		old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
		(void) wxa_reader_next(table->reader, table->slot, true);
		MemoryContextSwitchTo(old);
		if (!TupIsNull(table->slot))
			return table;
		if (++state->current_table < state->ntables)
			start_table(state, state->current_table);
	}
	return NULL;
}

static TupleTableSlot *
exec_batched_join(CustomScanState *node)
{
	BatchedJoinState *state = (BatchedJoinState *) node;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		InnerTable *table;
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
			state->batch_row++;
			state->current_table = -1;
			state->need_outer = false;
			state->matched = false;
		}

		table = next_inner_row(state);
		if (table == NULL)
		{
			state->need_outer = true;
			/* no inner row matched: LEFT and ANTI keep the outer row, with nulls */
			if (!state->matched &&
				(state->jointype == JOIN_LEFT || state->jointype == JOIN_ANTI))
			{
				ResetExprContext(econtext);
				fill_scan_tuple(state, state->outer_slot, NULL);
				if ((result = project_if(state)) != NULL)
					return result;
			}
			continue;
		}

		fill_scan_tuple(state, state->outer_slot, table);
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
	for (int k = 0; k < state->ntables; k++)
	{
		if (state->tables[k].reader)
			wxa_reader_end(state->tables[k].reader);
		state->tables[k].reader = NULL;
	}
}

static void
rescan_batched_join(CustomScanState *node)
{
	BatchedJoinState *state = (BatchedJoinState *) node;

	/* the outer side starts again; periods fetched stay in the statement's store */
	if (node->ss.ps.chgParam != NULL)
		UpdateChangedParamSet(state->outer, node->ss.ps.chgParam);
	if (state->outer->chgParam == NULL)
		ExecReScan(state->outer);
	if (state->batch)
		tuplestore_clear(state->batch);
	ExecClearTuple(state->outer_slot);
	state->outer_done = false;
	state->need_outer = true;
	state->current_table = -1;
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
	List	   *tables = list_nth(cscan->custom_private, PRIVATE_TABLES);
	Oid			inner_table = (Oid) intVal(list_nth(cscan->custom_private, PRIVATE_INNER_TABLE));
	WxaTableReader **readers = palloc0(sizeof(WxaTableReader *) * (list_length(tables) + 1));
	char		api[160];
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
	appendStringInfo(&buf, "%s.%s", quote_identifier(get_namespace_name(get_rel_namespace(inner_table))),
					 quote_identifier(get_rel_name(inner_table)));
	if (intVal(list_nth(cscan->custom_private, PRIVATE_PARTITIONED)))
		appendStringInfo(&buf, " (%d partitions read)", list_length(tables));
	ExplainPropertyText("Inner Table", buf.data, es);
	snprintf(api, sizeof(api), "datacube/%s",
			 wxa_table_endpoint((Oid) intVal(list_nth(linitial(tables), TABLE_RELID)))->api);
	ExplainPropertyText("WeChat API", api, es);
	resetStringInfo(&buf);
	/* the first table's values: a partitioned table's partitions all have the same */
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
		for (int k = 0; k < state->ntables; k++)
			readers[k] = state->tables[k].reader;
		wxa_explain_traffic(readers, state->ntables, NULL, es);
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
