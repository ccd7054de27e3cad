/*
 * scan_plan.c — planning a scan of a wxa_fdw foreign table.
 *
 * Finds the date restrictions (quals.c), prices each path by the requests it
 * is expected to send, offers parameterized paths for restrictions that come
 * from the outer side of a join, prices out a path whose restriction can give
 * no lower bound (it could never run), and refuses a plan without any restriction.
 * The plan carries the restriction as codes and value expressions
 * (fdw_private, fdw_exprs) and EXPLAIN's texts for constant restrictions.
 */
#include "postgres.h"

#include <math.h>

#include "wxa_fdw.h"
#include "scan.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"


static void
check_columns(Oid foreigntableid, const WxaEndpoint *ep)
{
	Relation	rel = table_open(foreigntableid, NoLock);
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		StringInfoData valid;

		if (att->attisdropped || wxa_endpoint_column(ep, NameStr(att->attname)) >= 0)
			continue;
		if (strcmp(NameStr(att->attname), WXA_APPID_COLUMN) == 0)
		{
			if (att->atttypid != TEXTOID && att->atttypid != VARCHAROID)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("column \"%s\" of foreign table \"%s\" must be of type text or varchar",
								WXA_APPID_COLUMN, RelationGetRelationName(rel)),
						 errdetail("It carries the appid of the table's server.")));
			continue;
		}
		initStringInfo(&valid);
		for (int c = 0; c < ep->ncolumns; c++)
			appendStringInfo(&valid, "%s%s", c ? ", " : "", ep->columns[c].name);
		appendStringInfo(&valid, ", %s", WXA_APPID_COLUMN);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
				 errmsg("column \"%s\" of foreign table \"%s\" is not provided by endpoint %s",
						NameStr(att->attname), RelationGetRelationName(rel), ep->name),
				 errhint("Valid columns are: %s.", valid.data)));
	}
	table_close(rel, NoLock);
}

const char *
wxa_example_where(const WxaEndpoint *ep)
{
	switch (ep->period)
	{
		case WXA_PERIOD_WEEK:
			return "WHERE ref_date >= date_trunc('week', wxa_today())::date - 28";
		case WXA_PERIOD_MONTH:
			return "WHERE ref_date >= (date_trunc('month', wxa_today()) - interval '6 months')::date";
		case WXA_PERIOD_PORTRAIT:
			return "WHERE end_date = wxa_yesterday() AND days = 30";
		case WXA_PERIOD_DAY:
			break;
	}
	/* WeChat's days (wxa_fdw--1.1--1.2.sql), not the session's: current_date may be another day */
	return "WHERE ref_date BETWEEN wxa_yesterday() - 29 AND wxa_yesterday()";
}

/*
 * Plan the periods for evaluated restriction values; the planner's estimate
 * and the executor both come here. Returns false when out of memory.
 */
bool
wxa_plan_from_values(const WxaEndpoint *ep, const WxaConfig *config, List *codes,
				 Datum *values, bool *nulls, Oid *types,
				 WxaPeriod *periods, long *count, WxaPlanStatus *status)
{
	WxaRestriction r;

	if (!wxa_restriction_build(&r, codes, values, nulls, types))
		return false;
	*status = wxa_plan_periods(ep->period, &r, wxa_statement_yesterday(config->timezone),
							   config->max_requests, periods, count);
	wxa_restriction_free(&r);
	return true;
}

/* Does a qual of this conjunction bound a date column from above (<, <=, =, IN)? */
static bool
has_upper_bound(List *quals)
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		WxaQual    *q = lfirst(lc);

		if (q->op != WXA_QUAL_OP_OR && q->target != WXA_QUAL_DAYS &&
			(q->op == WXA_CMP_LT || q->op == WXA_CMP_LE || q->op == WXA_CMP_EQ ||
			 q->op == WXA_QUAL_OP_IN))
			return true;
	}
	return false;
}

/*
 * Requests guessed from the quals' shapes alone, whatever their values:
 * INFINITY when they give no lower bound (as wxa_plan_periods would find for
 * any values: a bound from >, >=, =, IN on ref_date or end_date, in every
 * branch of an OR), else one per equality, the elements of an IN list, a
 * month's worth for a range, and open_range for a range open up to
 * yesterday (closed: a qual around it bounds the dates from above). The
 * quals are ANDed: the smallest guess wins.
 */
static double
guess_requests(List *quals, bool closed, double open_range)	/* NOLINT(misc-no-recursion): as deep as the ORs, bounded by WXA_MAX_OR_DEPTH */
{
	double		best = INFINITY;
	ListCell   *lc;

	closed = closed || has_upper_bound(quals);
	foreach(lc, quals)
	{
		WxaQual    *q = lfirst(lc);
		double		guess = INFINITY;

		if (q->op == WXA_QUAL_OP_OR)
		{
			ListCell   *b;

			guess = 0;
			foreach(b, q->branches)
				guess += guess_requests(lfirst(b), closed, open_range);
		}
		else if (q->target == WXA_QUAL_DAYS)
			continue;
		else if (q->op == WXA_CMP_EQ)
			guess = 1;
		else if (q->op == WXA_QUAL_OP_IN)
		{
			Node	   *array = (Node *) q->value;

			if (IsA(array, ArrayExpr))
				guess = list_length(((ArrayExpr *) array)->elements);
			else if (IsA(array, Const) && !((Const *) array)->constisnull)
			{
				ArrayType  *a = DatumGetArrayTypeP(((Const *) array)->constvalue);

				guess = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
			}
			else
				guess = WXA_UNKNOWN_IN_REQUESTS;
		}
		else if (q->op == WXA_CMP_GE || q->op == WXA_CMP_GT)
			guess = closed ? WXA_UNKNOWN_REQUESTS : open_range;
		best = Min(best, guess);
	}
	return best;
}

/* Are the quals' values all constants (those of ORs included)? */
static bool
quals_constant(List *quals)	/* NOLINT(misc-no-recursion): as deep as the ORs, bounded by WXA_MAX_OR_DEPTH */
{
	ListCell   *lc;

	foreach(lc, quals)
	{
		WxaQual    *q = lfirst(lc);

		if (q->op == WXA_QUAL_OP_OR)
		{
			ListCell   *b;

			foreach(b, q->branches)
				if (!quals_constant(lfirst(b)))
					return false;
		}
		else if (!IsA(q->value, Const))
			return false;
	}
	return true;
}

/*
 * Count the periods of quals whose values are all constants; -1 when they
 * give no lower bound. Planning (and so plain EXPLAIN) evaluates no
 * expression, not even a stable one.
 */
static double
count_constant_requests(WxaConfig *config, const WxaEndpoint *ep, List *quals)
{
	List	   *exprs;
	List	   *codes;
	int			n;
	Datum	   *values;
	bool	   *nulls;
	Oid		   *types;
	ListCell   *lc;
	int			i = 0;
	WxaPeriod  *periods;
	long		count = 0;
	WxaPlanStatus status;

	if (!wxa_quals_have_date(quals))
		return -1;
	codes = wxa_quals_encode(quals, &exprs);
	/* one value per expression: an OR has several in one qual */
	n = list_length(exprs);
	values = palloc(sizeof(Datum) * (n + 1));
	nulls = palloc(sizeof(bool) * (n + 1));
	types = palloc(sizeof(Oid) * (n + 1));
	foreach(lc, exprs)
	{
		Const	   *c = lfirst_node(Const, lc);

		values[i] = c->constvalue;
		nulls[i] = c->constisnull;
		types[i] = c->consttype;
		i++;
	}
	periods = palloc(sizeof(WxaPeriod) * config->max_requests);
	if (!wxa_plan_from_values(ep, config, codes, values, nulls, types, periods, &count, &status) ||
		status == WXA_PLAN_NO_LOWER_BOUND || status == WXA_PLAN_UNRESTRICTED)
		return -1;
	return count;
}

/*
 * Requests one execution is expected to send: the periods of the constant
 * values, narrowed by a guess from the other quals' shapes. INFINITY for a
 * scan that can never run: its quals give no lower bound whatever their
 * values, or its constants alone ask for more than max_requests.
 */
static double
estimate_requests(Oid serverid, const WxaEndpoint *ep, List *quals)
{
	WxaConfig  *config;
	List	   *constant = NIL;
	List	   *variable = NIL;
	ListCell   *lc;
	double		counted;
	double		guess;

	if (isinf(guess_requests(quals, false, 1)))
		return INFINITY;
	config = wxa_get_config(serverid, InvalidOid, false);
	foreach(lc, quals)
	{
		if (quals_constant(list_make1(lfirst(lc))))
			constant = lappend(constant, lfirst(lc));
		else
			variable = lappend(variable, lfirst(lc));
	}
	counted = count_constant_requests(config, ep, constant);
	if (variable == NIL && counted >= 0)
		return counted > config->max_requests ? INFINITY : counted;

	/*
	 * A range open up to yesterday from a value known only at run time may
	 * be long: price it at the most a scan can send.
	 */
	guess = guess_requests(variable, has_upper_bound(constant), config->max_requests);
	if (counted < 0)
		return isinf(guess) ? WXA_UNKNOWN_REQUESTS : guess;
	return Min(counted, guess);
}

/* The restrictions among clauses (RestrictInfos); outer_ok: relations whose columns may be used. */
static List *
quals_from_clauses(List *clauses, RelOptInfo *baserel, Relids outer_ok,
				   Oid foreigntableid, const WxaEndpoint *ep)
{
	List	   *quals = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		WxaQual    *qual = palloc(sizeof(WxaQual));

		if (wxa_qual_from_clause(rinfo->clause, baserel->relid, outer_ok, foreigntableid, ep, qual))
			quals = lappend(quals, qual);
	}
	return quals;
}

/*
 * Requests one execution of a scan with these quals is expected to send;
 * INFINITY when the quals can give no lower bound.
 */
static double
quals_requests(Oid foreigntableid, const WxaEndpoint *ep, List *quals)
{
	return estimate_requests(GetForeignTable(foreigntableid)->serverid, ep, quals);
}

typedef struct AppidSubstitution
{
	Index		relid;
	AttrNumber	attno;
	Const	   *value;
	bool		other_column;	/* the clause reads another column of the table */
} AppidSubstitution;

static Node *
substitute_appid(Node *node, AppidSubstitution *sub)
{
	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = (Var *) node;

		if (var->varno == sub->relid && var->varlevelsup == 0)
		{
			if (var->varattno == sub->attno)
				return (Node *) copyObjectImpl(sub->value);
			sub->other_column = true;
		}
		return node;
	}
	return expression_tree_mutator(node, substitute_appid, sub);
}

/*
 * Does a condition on the appid column rule this server out? Each clause
 * that reads only appid is evaluated with the server's appid in its place:
 * false or NULL means no row can pass, so no request is sent.
 */
static bool
appid_excludes_server(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	AttrNumber	attno = get_attnum(foreigntableid, WXA_APPID_COLUMN);
	AppidSubstitution sub;
	Oid			typinput;
	Oid			typioparam;
	Oid			type;
	int32		typmod;
	Oid			collation;
	ListCell   *lc;

	if (attno == InvalidAttrNumber || baserel->baserestrictinfo == NIL)
		return false;
	get_atttypetypmodcoll(foreigntableid, attno, &type, &typmod, &collation);
	getTypeInputInfo(type, &typinput, &typioparam);
	sub.relid = baserel->relid;
	sub.attno = attno;
	/* without the column's typmod: a varchar(n) too short for the appid fails when rows are made */
	sub.value = makeConst(type, -1, collation, -1,
						  OidInputFunctionCall(typinput,
											   wxa_get_config(GetForeignTable(foreigntableid)->serverid,
															  InvalidOid, false)->appid,
											   typioparam, -1),
						  false, false);
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Node	   *clause;

		if (contain_volatile_functions((Node *) rinfo->clause))
			continue;
		sub.other_column = false;
		clause = substitute_appid((Node *) rinfo->clause, &sub);
		if (sub.other_column || contain_var_clause(clause))
			continue;
		clause = eval_const_expressions(root, clause);
		if (IsA(clause, Const) &&
			(((Const *) clause)->constisnull || !DatumGetBool(((Const *) clause)->constvalue)))
			return true;
	}
	return false;
}

void
wxaGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	WxaPlanInfo *info = palloc0(sizeof(WxaPlanInfo));

	info->foreigntableid = foreigntableid;
	info->ep = wxa_table_endpoint(foreigntableid);
	check_columns(foreigntableid, info->ep);
	info->quals = quals_from_clauses(baserel->baserestrictinfo, baserel, baserel->lateral_relids,
									 foreigntableid, info->ep);
	info->appid_excludes = appid_excludes_server(root, baserel, foreigntableid);
	info->async_capable = wxa_table_async_capable(foreigntableid) && wxa_engine_can_wait_async();
	info->lazy = wxa_lazy_order(root, baserel, info->ep, &info->lazy_pathkeys);
	/* with dates, an ORDER BY sorts every row the scan gives: no LIMIT stops it */
	if (wxa_quals_have_date(info->quals) && root->query_pathkeys != NIL)
		info->lazy = WXA_LAZY_NONE;
	info->requests = info->appid_excludes ? 0 :
		quals_requests(foreigntableid, info->ep, info->quals);
	/* no lower bound: under a LIMIT the scan runs newest first, a wave at a time */
	if (isinf(info->requests) && info->lazy != WXA_LAZY_NONE)
		info->lazy_requests = wxa_lazy_requests(root, info->ep,
												wxa_get_config(GetForeignTable(foreigntableid)->serverid,
															   InvalidOid, false));
	baserel->rows = clamp_row_est((!isinf(info->requests) ? info->requests :
								   info->lazy != WXA_LAZY_NONE ? info->lazy_requests :
								   WXA_UNBOUNDED_REQUESTS) * info->ep->rows_per_request);
	baserel->fdw_private = info;
}

static void
add_scan_path(PlannerInfo *root, RelOptInfo *baserel, const WxaEndpoint *ep, List *quals,
			  double requests, Relids required_outer)
{
	WxaPlanInfo *info = baserel->fdw_private;
	double		rows;
	Cost		startup = WXA_STARTUP_COST;
	Cost		total;
	List	   *pathkeys = NIL;
	bool		unrunnable = false;

	/*
	 * A scan whose quals give no lower bound, whatever their values, could
	 * never run: it must lose to any alternative that can (a parameterized
	 * scan with the lower bound from the outer row). Under a LIMIT it runs
	 * lazily, newest first, unless it is rescanned per outer row.
	 */
	if (isinf(requests))
	{
		if (info->lazy == WXA_LAZY_NONE || required_outer != NULL)
		{
			requests = WXA_UNBOUNDED_REQUESTS;
			unrunnable = true;
		}
		else
		{
			requests = info->lazy_requests;
			if (!wxa_quals_have_date(quals))
				pathkeys = info->lazy_pathkeys; /* newest first: ORDER BY ref_date DESC needs no Sort */
		}
	}
	rows = clamp_row_est(requests * ep->rows_per_request);
	total = startup + requests * WXA_REQUEST_COST + rows * cpu_tuple_cost;
	if (unrunnable && !info->appid_excludes)
		total += WXA_UNRESTRICTED_COST;
	add_path(baserel, (Path *) wxa_create_foreignscan_path(root, baserel, NULL, rows, startup, total,
														   pathkeys, required_outer, NULL, NIL));
}

/* Equivalence-class members that are this table's ref_date or end_date. */
static bool
ec_member_is_date_column(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
						 EquivalenceMember *em, void *arg)
{
	Var		   *var = (Var *) em->em_expr;
	Oid			foreigntableid = *(Oid *) arg;
	char	   *name;

	if (!IsA(var, Var) || var->varno != rel->relid || var->varlevelsup != 0 || var->varattno <= 0)
		return false;
	name = get_attname(foreigntableid, var->varattno, false);
	return strcmp(name, "ref_date") == 0 || strcmp(name, "end_date") == 0;
}

/* Outer relation sets that could supply a date restriction in a nested loop. */
static List *
candidate_outer_relids(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	List	   *candidates = NIL;
	List	   *clauses = NIL;
	ListCell   *lc;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		if (join_clause_is_movable_to(rinfo, baserel))
			clauses = lappend(clauses, rinfo);
	}
	if (baserel->has_eclass_joins)
		clauses = list_concat(clauses,
							  generate_implied_equalities_for_column(root, baserel,
																	 ec_member_is_date_column,
																	 &foreigntableid,
																	 baserel->lateral_referencers));
	foreach(lc, clauses)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Relids		outer = bms_union(rinfo->clause_relids, baserel->lateral_relids);

		ListCell   *c;
		bool		seen = false;

		outer = bms_del_member(outer, baserel->relid);
		if (bms_is_empty(outer))
			continue;
		/* not list_append_unique: before PostgreSQL 16 a Bitmapset is no Node for equal() */
		foreach(c, candidates)
			seen = seen || bms_equal((Relids) lfirst(c), outer);
		if (!seen)
			candidates = lappend(candidates, outer);
	}
	return candidates;
}

void
wxaGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	WxaPlanInfo *info = baserel->fdw_private;
	ListCell   *lc;

	add_scan_path(root, baserel, info->ep, info->quals, info->requests, baserel->lateral_relids);

	/*
	 * Parameterized paths: for each set of outer relations whose columns can
	 * restrict the dates (t.ref_date = o.day), a scan run once per outer row.
	 */
	foreach(lc, candidate_outer_relids(root, baserel, foreigntableid))
	{
		Relids		outer = (Relids) lfirst(lc);
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, outer);
		List	   *quals = list_concat(list_copy(info->quals),
										quals_from_clauses(ppi->ppi_clauses, baserel, outer,
														   foreigntableid, info->ep));
		double		requests = quals_requests(foreigntableid, info->ep, quals);

		/* no better than the unparameterized scan: it could never run either */
		if (isinf(requests))
			continue;
		add_scan_path(root, baserel, info->ep, quals, requests, outer);
	}
}

ForeignScan *
wxaGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				  ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan)
{
	WxaPlanInfo *info = baserel->fdw_private;
	Relids		outer = best_path->path.param_info ?
		PATH_REQ_OUTER(&best_path->path) : baserel->lateral_relids;
	List	   *exprs;
	bool		has_date;
	/* outer columns in exprs become nestloop parameters (replace_nestloop_params) */
	List	   *codes = wxa_plan_restriction(baserel, scan_clauses, outer, &exprs, &has_date);
	char	   *requests;
	char	   *first_body;

	if (!has_date && !info->appid_excludes && info->lazy == WXA_LAZY_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a scan of foreign table \"%s\" needs a restriction on ref_date%s",
						get_rel_name(foreigntableid),
						wxa_endpoint_column(info->ep, "end_date") >= 0 ? " or end_date" : ""),
				 errdetail("Every row is one API request per %s; without a date range there is no end to them.",
						   wxa_period_kind_name(info->ep->period)),
				 errhint("Add a condition such as %s, or a LIMIT directly over the scan (SELECT * FROM %s LIMIT 100).",
						 wxa_example_where(info->ep), get_rel_name(foreigntableid))));

	if (info->appid_excludes)
	{
		requests = "0 (the condition on appid excludes this server)";
		first_body = "";
	}
	else
	{
		WxaConfig  *config = wxa_get_config(GetForeignTable(foreigntableid)->serverid, InvalidOid, false);
		char	   *lazy = info->lazy == WXA_LAZY_NONE ? NULL :
			psprintf("newest first, %d at a time as rows are pulled, at most %d",
					 config->max_concurrency, config->max_requests);

		if (!has_date)
		{
			requests = lazy;
			first_body = "";
		}
		else
			wxa_explain_texts_at_plan_time(foreigntableid, info->ep, codes, exprs, lazy,
										   &requests, &first_body);
	}
	/* every clause is checked again locally: the periods only narrow what is fetched */
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, exprs,
							/* cppcheck-suppress unknownEvaluationOrder ; it misreads list_make4's compound literal */
							lappend(lappend(list_make4(makeString(pstrdup(info->ep->name)), codes,
													   makeString(requests), makeString(first_body)),
											makeInteger(info->appid_excludes ? 1 : 0)),
									makeInteger(info->lazy)),
							NIL, NIL, outer_plan);
}


/* Is this relation a wxa_fdw foreign table? */
bool
wxa_rel_is_ours(RelOptInfo *rel)
{
	return rel->fdwroutine != NULL && rel->fdwroutine->GetForeignPaths == wxaGetForeignPaths;
}

/*
 * The restriction a consumer of baserel asks the store with, from clauses
 * (RestrictInfos: its own and those of a parameterization by outer): codes
 * (wxa_quals_encode), and in *exprs the value expressions, which may read
 * outer's columns. *has_date: it restricts the dates (else no plan can run).
 */
List *
wxa_plan_restriction(RelOptInfo *baserel, List *clauses, Relids outer, List **exprs,
					 bool *has_date)
{
	WxaPlanInfo *info = baserel->fdw_private;
	List	   *quals = quals_from_clauses(clauses, baserel, outer, info->foreigntableid, info->ep);

	*has_date = wxa_quals_have_date(quals);
	return wxa_quals_encode(quals, exprs);
}

/* Does a condition on appid rule baserel's server out (no request at all)? */
bool
wxa_plan_appid_excludes(RelOptInfo *baserel)
{
	return ((WxaPlanInfo *) baserel->fdw_private)->appid_excludes;
}

/* Can baserel be read with its own restriction alone (dates, or no request at all)? */
bool
wxa_plan_runs_alone(RelOptInfo *baserel)
{
	WxaPlanInfo *info = baserel->fdw_private;

	return info->appid_excludes || !isinf(info->requests);
}
