/*
 * scan_plan.c — planning a scan of a wxa_fdw foreign table.
 *
 * Finds the date restrictions (quals.c), prices each path by the requests it
 * is expected to send, offers parameterized paths for restrictions that come
 * from the outer side of a join, and refuses a plan without any restriction.
 * The plan carries the restriction as codes and value expressions
 * (fdw_private, fdw_exprs) and EXPLAIN's texts for constant restrictions.
 */
#include "postgres.h"

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

/* Is there a "date column = value" among the encoded quals? */
static bool
has_equality(List *codes)
{
	ListCell   *lc;

	foreach(lc, codes)
	{
		int			code = lfirst_int(lc);

		/* the markers of an OR and its branches (negative) are no comparison */
		if (!WXA_QUAL_CODE_IS_OR(code) && WXA_QUAL_CODE_TARGET(code) != WXA_QUAL_DAYS &&
			WXA_QUAL_CODE_OP(code) == WXA_CMP_EQ)
			return true;
	}
	return false;
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

/*
 * Count the periods when every value is a constant;
 * otherwise guess: one per execution for an equality, else a month's worth.
 */
static double
estimate_requests(PlannerInfo *root, Oid serverid, const WxaEndpoint *ep, List *quals)
{
	List	   *exprs;
	List	   *codes = wxa_quals_encode(quals, &exprs);

	/* one value per expression: an OR has several in one qual */
	int			n = list_length(exprs);
	Datum	   *values = palloc(sizeof(Datum) * (n + 1));
	bool	   *nulls = palloc(sizeof(bool) * (n + 1));
	Oid		   *types = palloc(sizeof(Oid) * (n + 1));
	ListCell   *lc;
	int			i = 0;
	WxaConfig  *config;
	WxaPeriod  *periods;
	long		count = 0;
	WxaPlanStatus status;

	/* constants only: planning (and so plain EXPLAIN) calls no stable function */
	foreach(lc, exprs)
	{
		Const	   *c = lfirst(lc);

		if (!IsA(c, Const))
			return has_equality(codes) ? 1 : WXA_UNKNOWN_REQUESTS;
		values[i] = c->constvalue;
		nulls[i] = c->constisnull;
		types[i] = c->consttype;
		i++;
	}
	config = wxa_get_config(serverid, InvalidOid, false);
	periods = palloc(sizeof(WxaPeriod) * config->max_requests);
	if (!wxa_plan_from_values(ep, config, codes, values, nulls, types, periods, &count, &status))
		return WXA_UNKNOWN_REQUESTS;
	if (status == WXA_PLAN_NO_LOWER_BOUND)
		return config->max_requests;
	return count;
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

/* Requests one execution of a scan with these quals is expected to send. */
static double
quals_requests(PlannerInfo *root, Oid foreigntableid, const WxaEndpoint *ep, List *quals)
{
	if (!wxa_quals_have_date(quals))
		return 1000;
	return estimate_requests(root, GetForeignTable(foreigntableid)->serverid, ep, quals);
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
	if (info->appid_excludes)
		info->requests = 0;
	else if (!wxa_quals_have_date(info->quals) && info->lazy != WXA_LAZY_NONE)
		info->requests = wxa_lazy_requests(root, info->ep,
										   wxa_get_config(GetForeignTable(foreigntableid)->serverid,
														  InvalidOid, false));
	else
		info->requests = quals_requests(root, foreigntableid, info->ep, info->quals);
	baserel->rows = clamp_row_est(info->requests * info->ep->rows_per_request);
	baserel->fdw_private = info;
}

static void
add_scan_path(PlannerInfo *root, RelOptInfo *baserel, const WxaEndpoint *ep, List *quals,
			  double requests, Relids required_outer)
{
	WxaPlanInfo *info = baserel->fdw_private;
	double		rows = clamp_row_est(requests * ep->rows_per_request);
	Cost		startup = WXA_STARTUP_COST;
	Cost		total = startup + requests * WXA_REQUEST_COST + rows * cpu_tuple_cost;

	List	   *pathkeys = NIL;

	/* a scan that could never run must lose to any parameterized alternative */
	if (!wxa_quals_have_date(quals) && !info->appid_excludes)
	{
		if (info->lazy == WXA_LAZY_NONE || required_outer != NULL)
			total += WXA_UNRESTRICTED_COST;
		else
			pathkeys = info->lazy_pathkeys; /* newest first: ORDER BY ref_date DESC needs no Sort */
	}
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
		double		requests = quals_requests(root, foreigntableid, info->ep, quals);

		if (!wxa_quals_have_date(quals))
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
	List	   *quals = quals_from_clauses(scan_clauses, baserel, outer, foreigntableid, info->ep);
	List	   *exprs;
	List	   *codes;
	char	   *requests;
	char	   *first_body;

	if (!wxa_quals_have_date(quals) && !info->appid_excludes && info->lazy == WXA_LAZY_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a scan of foreign table \"%s\" needs a restriction on ref_date%s",
						get_rel_name(foreigntableid),
						wxa_endpoint_column(info->ep, "end_date") >= 0 ? " or end_date" : ""),
				 errdetail("Every row is one API request per %s; without a date range there is no end to them.",
						   wxa_period_kind_name(info->ep->period)),
				 errhint("Add a condition such as %s, or a LIMIT directly over the scan (SELECT * FROM %s LIMIT 100).",
						 wxa_example_where(info->ep), get_rel_name(foreigntableid))));

	/* outer columns in exprs become nestloop parameters (replace_nestloop_params) */
	codes = wxa_quals_encode(quals, &exprs);
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

		if (!wxa_quals_have_date(quals))
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
 * Hand a parameterized scan's restriction values over to a batched join: the
 * plan keeps typed NULLs in their place (it never evaluates them) and is
 * marked driven. Returns the value expressions; *codes gets their codes.
 */
List *
wxa_plan_drive(ForeignScan *plan, List **codes)
{
	List	   *values = plan->fdw_exprs;
	List	   *placeholders = NIL;
	ListCell   *lc;

	foreach(lc, values)
	{
		Node	   *value = lfirst(lc);

		placeholders = lappend(placeholders,
							   makeNullConst(exprType(value), exprTypmod(value), exprCollation(value)));
	}
	plan->fdw_exprs = placeholders;
	plan->fdw_private = lappend(list_copy(plan->fdw_private), makeInteger(1));
	*codes = (List *) list_nth(plan->fdw_private, FdwScanPrivateQualCodes);
	return values;
}
