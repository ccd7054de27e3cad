/*
 * wxa_fdw.c — the foreign-data wrapper callbacks.
 *
 * Planning finds the date restrictions (quals.c), prices the scan by its
 * number of requests and refuses a scan without any. Execution evaluates the
 * restriction values, plans the periods (core/wxa_period.c), sends one request
 * per period through a concurrent batch (core/wxa_http.c) and streams rows in
 * period order as responses arrive. Parsed periods are kept for the rest of
 * the scan so that a rescan (nested loop) never fetches the same period twice.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/table.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#if PG_VERSION_NUM >= 140000
#include "executor/execAsync.h"
#endif
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
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
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "storage/latch.h"

#include "core/wxa_api.h"
#include "core/wxa_response.h"

PG_MODULE_MAGIC;

/*
 * Cost of one API round trip, relative to seq_page_cost = 1. A round trip
 * really costs thousands of page reads, but costs that large push every join
 * past jit_above_cost, and JIT-compiling a network-bound plan only wastes CPU.
 * What matters is the ordering: fewer requests cost less, and any restricted
 * scan costs far less than an unrestricted one.
 */
#define WXA_REQUEST_COST 10.0
#define WXA_STARTUP_COST 10.0
/* A scan without a date restriction can never run: price it out of any plan. */
#define WXA_UNRESTRICTED_COST 1.0e10
/* Requests assumed when the values are known only at run time. */
#define WXA_UNKNOWN_REQUESTS 30
/* Parsed cells kept per scan for rescans. */
#define WXA_CACHE_CELLS 100000
/* Most bytes of a value shown in an error about it. */
#define WXA_VALUE_IN_ERROR 100

/* The column any table may declare: every row carries its server's appid. */
#define WXA_APPID_COLUMN "appid"
/* Marks the appid column in att_column. */
#define WXA_ATT_APPID (-2)
/* Longest the engine's one fd sleeps in an Append's wait: a cancel is seen within this. */
#define WXA_ASYNC_WAIT_MS 100

/*
 * The positions in the ForeignScan plan's fdw_private list (as postgres_fdw's
 * FdwScanPrivateIndex). The EXPLAIN texts are computed at plan time, from
 * constant restrictions only: plain EXPLAIN evaluates no expression.
 */
enum FdwScanPrivateIndex
{
	FdwScanPrivateEndpoint,		/* String: the endpoint's name */
	FdwScanPrivateQualCodes,	/* IntList: wxa_quals_encode(), values in fdw_exprs */
	FdwScanPrivateRequests,		/* String: EXPLAIN's "Requests", "" when known only at run time */
	FdwScanPrivateFirstBody,	/* String: EXPLAIN VERBOSE's first request body, or "" */
	FdwScanPrivateAppidExcludes,	/* Integer: 1 when a condition on appid excludes the server */
	FdwScanPrivateDriven		/* present when a batched join supplies the values (wxa_plan_drive) */
};

/* baserel->fdw_private while planning */
typedef struct WxaPlanInfo
{
	const WxaEndpoint *ep;
	List	   *quals;			/* WxaQual * from baserestrictinfo */
	double		requests;		/* estimated */
	bool		appid_excludes; /* a condition on appid rules this server out: no request */
	bool		async_capable;
} WxaPlanInfo;

/*
 * A parsed period kept for rescans. Its cells are palloc'd in the scan's
 * context (copy_rows_into_context), so the cache needs no cleanup of its own:
 * no reset callback ever walks the hash table, which dynahash keeps in a child
 * context that MemoryContextDelete frees before it runs the callbacks.
 */
typedef struct CachedPeriod
{
	int64		key;			/* first day and window length */
	WxaRows		rows;			/* palloc'd: never passed to wxa_rows_free */
} CachedPeriod;

typedef struct ScanPeriod
{
	WxaPeriod	period;			/* first: describe_requests() reads it */
	int			request;		/* index in the batch, -1 when served from the cache */
} ScanPeriod;

typedef struct WxaScanState
{
	MemoryContext context;		/* lives as long as the scan; its reset frees curl/cJSON memory */
	MemoryContextCallback cleanup;
	const WxaEndpoint *ep;
	WxaConfig  *config;
	char	   *table_name;

	/* columns */
	int			natts;
	int		   *att_column;		/* catalog column per attribute, -1 for dropped */
	FmgrInfo   *in_functions;
	Oid		   *typioparams;
	int32	   *typmods;
	char	  **type_names;		/* declared column types, for errors (no catalog lookups then) */

	/* restriction */
	List	   *qual_codes;
	List	   *qual_states;	/* ExprState * */
	Oid		   *qual_types;
	bool		has_exec_params;
	bool		appid_excludes;
	bool		would_wait;		/* async: the last fetch stopped where it would have waited */
	bool		driven;			/* values come from wxa_scan_drive(), not qual_states */
	Datum	   *driven_values;
	bool	   *driven_nulls;
	double		async_wait_started;	/* async: when the Append began a wait for it, else 0 */

	/* the current execution */
	MemoryContext plan_context; /* restriction values, reset at each (re)scan */
	WxaPeriod  *period_buffer;	/* max_requests entries, for the planner */
	bool		started;
	ScanPeriod *periods;
	int			nperiods;
	long		planned;		/* periods matching, even beyond max_requests */
	int			current;
	WxaRows    *rows;			/* rows of the current period: own_rows or a cached copy */
	WxaRows		own_rows;		/* malloc'd by the parser; freed by free_scan_memory */
	int			row;
	WxaBatch   *batch;

	/* cache of parsed periods across rescans */
	HTAB	   *cache;
	long		cached_cells;

	/* periods of the whole query: max_requests bounds them */
	long		requested;
	/* periods collected for a batched join's next fetch */
	HTAB	   *collected;
	WxaPeriod  *collected_periods;
	int			ncollected;
	int			collected_size;
	WxaBatch   *join_batch;		/* the batch a batched join is waiting for */
	int		   *join_requests;	/* its request per collected period */

	/* for EXPLAIN ANALYZE */
	WxaTokenSession tokens;
	WxaHttpStats totals;
	int			attnum_for_error;
	const char *value_for_error;
} WxaScanState;

/* the name PostgreSQL looks for */
void		_PG_init(void);		/* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

void
_PG_init(void)
{
	if (!wxa_http_init())
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("wxa_fdw could not initialize libcurl")));
	wxa_token_cache_init();
	wxa_wait_init();
	wxa_batched_join_init();
	wxa_stats_init();
	MarkGUCPrefixReserved("wxa_fdw");
}

/* ---------------------------------------------------------------- planning */

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

static const char *
example_where(const WxaEndpoint *ep)
{
	switch (ep->period)
	{
		case WXA_PERIOD_WEEK:
			return "WHERE ref_date >= date_trunc('week', current_date)::date - 28";
		case WXA_PERIOD_MONTH:
			return "WHERE ref_date >= (date_trunc('month', current_date) - interval '6 months')::date";
		case WXA_PERIOD_PORTRAIT:
			return "WHERE end_date = current_date - 1 AND days = 30";
		case WXA_PERIOD_DAY:
			break;
	}
	return "WHERE ref_date BETWEEN current_date - 30 AND current_date - 1";
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
static bool
plan_from_values(const WxaEndpoint *ep, const WxaConfig *config, List *codes,
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
	if (!plan_from_values(ep, config, codes, values, nulls, types, periods, &count, &status))
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

static void
wxaGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	WxaPlanInfo *info = palloc0(sizeof(WxaPlanInfo));

	info->ep = wxa_table_endpoint(foreigntableid);
	check_columns(foreigntableid, info->ep);
	info->quals = quals_from_clauses(baserel->baserestrictinfo, baserel, baserel->lateral_relids,
									 foreigntableid, info->ep);
	info->appid_excludes = appid_excludes_server(root, baserel, foreigntableid);
	info->async_capable = wxa_table_async_capable(foreigntableid) && wxa_engine_wait_fd(-1) >= 0;
	info->requests = info->appid_excludes ? 0 :
		quals_requests(root, foreigntableid, info->ep, info->quals);
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

	/* a scan that could never run must lose to any parameterized alternative */
	if (!wxa_quals_have_date(quals) && !info->appid_excludes)
		total += WXA_UNRESTRICTED_COST;
	add_path(baserel, (Path *) wxa_create_foreignscan_path(root, baserel, NULL, rows, startup, total,
														   NIL, required_outer, NULL, NIL));
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

static void
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

/*
 * EXPLAIN's "Requests": how many, and the days they cover. periods is an
 * array of nperiods elements of stride bytes, each starting with a WxaPeriod.
 */
static void
describe_requests(StringInfo buf, long planned, int max_requests, int nperiods,
				  const void *periods, size_t stride)
{
	appendStringInfo(buf, "%ld", planned);
	if (planned > max_requests)
		appendStringInfo(buf, " (more than max_requests %d: the scan would fail)", max_requests);
	else if (nperiods > 0)
	{
		char		first[11],
					last[11];
		const WxaPeriod *p = periods;
		wxa_day		lo = p->first;
		wxa_day		hi = p->last;

		/* periods are ordered by first day: a longer portrait window may end later */
		for (int i = 1; i < nperiods; i++)
		{
			p = (const WxaPeriod *) ((const char *) periods + i * stride);
			if (p->last > hi)
				hi = p->last;
		}
		wxa_day_format_iso(lo, first);
		wxa_day_format_iso(hi, last);
		appendStringInfo(buf, " (%s .. %s)", first, last);
	}
}

/*
 * EXPLAIN's texts for a plan whose restriction values are all constants,
 * computed now so that plain EXPLAIN needs to evaluate nothing. Both stay
 * empty when a value is known only at run time.
 */
static void
explain_texts_at_plan_time(Oid foreigntableid, const WxaEndpoint *ep, List *codes, List *exprs,
						   char **requests, char **first_body)
{
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
	StringInfoData buf;

	*requests = "";
	*first_body = "";
	foreach(lc, exprs)
	{
		Const	   *c = lfirst(lc);

		if (!IsA(c, Const))
			return;
		values[i] = c->constvalue;
		nulls[i] = c->constisnull;
		types[i] = c->consttype;
		i++;
	}
	config = wxa_get_config(GetForeignTable(foreigntableid)->serverid, InvalidOid, false);
	periods = palloc(sizeof(WxaPeriod) * config->max_requests);
	if (!plan_from_values(ep, config, codes, values, nulls, types, periods, &count, &status))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	initStringInfo(&buf);
	describe_requests(&buf, count, config->max_requests, status == WXA_PLAN_OK ? (int) count : 0,
					  periods, sizeof(WxaPeriod));
	*requests = buf.data;
	if (status == WXA_PLAN_OK && count > 0)
	{
		char	   *body = wxa_datacube_request_body(&periods[0]);

		if (body == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		*first_body = pstrdup(body);
		free(body);
	}
}

static ForeignScan *
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

	if (!wxa_quals_have_date(quals) && !info->appid_excludes)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a scan of foreign table \"%s\" needs a restriction on ref_date%s",
						get_rel_name(foreigntableid),
						wxa_endpoint_column(info->ep, "end_date") >= 0 ? " or end_date" : ""),
				 errdetail("Every row is one API request per %s; without a date range there is no end to them.",
						   wxa_period_kind_name(info->ep->period)),
				 errhint("Add a condition such as %s.", example_where(info->ep))));

	/* outer columns in exprs become nestloop parameters (replace_nestloop_params) */
	codes = wxa_quals_encode(quals, &exprs);
	if (info->appid_excludes)
	{
		requests = "0 (the condition on appid excludes this server)";
		first_body = "";
	}
	else
		explain_texts_at_plan_time(foreigntableid, info->ep, codes, exprs, &requests, &first_body);
	/* every clause is checked again locally: the periods only narrow what is fetched */
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, exprs,
							/* cppcheck-suppress unknownEvaluationOrder ; it misreads list_make4's compound literal */
							lappend(list_make4(makeString(pstrdup(info->ep->name)), codes,
											   makeString(requests), makeString(first_body)),
									makeInteger(info->appid_excludes ? 1 : 0)),
							NIL, NIL, outer_plan);
}

/* ---------------------------------------------------------------- execution */

/*
 * The scan context's reset callback. It frees only the malloc'd memory the
 * state points to directly. It must never touch memory of a child context
 * (the period cache, the restriction values): MemoryContextDelete deletes
 * the children before it runs the callbacks. The state itself is palloc'd in
 * the context that owns this callback, which is freed only after it.
 */
static void
free_scan_memory(void *arg)
{
	WxaScanState *state = arg;

	wxa_batch_free(state->batch);
	state->batch = NULL;
	wxa_batch_free(state->join_batch);
	state->join_batch = NULL;
	wxa_rows_free(&state->own_rows);
	state->rows = NULL;
}

static bool
contains_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, contains_exec_param, context);
}

static int64
period_key(const WxaPeriod *p)
{
	return ((int64) p->first << 8) | p->days;
}

static void
describe_period(const WxaPeriod *p, char *buf, size_t size)
{
	char		first[11],
				last[11];

	wxa_day_format_iso(p->first, first);
	wxa_day_format_iso(p->last, last);
	if (p->first == p->last)
		snprintf(buf, size, "%s", first);
	else
		snprintf(buf, size, "%s .. %s", first, last);
}

/* Plan the periods for these restriction values; raise when the plan cannot run. */
static void
plan_periods_for(WxaScanState *state, Datum *values, bool *nulls)
{
	WxaPeriod  *periods = state->period_buffer;
	WxaPlanStatus status;
	int			i;

	if (!plan_from_values(state->ep, state->config, state->qual_codes, values, nulls,
						  state->qual_types, periods, &state->planned, &status))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	if (status == WXA_PLAN_NO_LOWER_BOUND)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the date restriction on foreign table \"%s\" has no lower bound",
						state->table_name),
				 errhint("Add a condition such as %s.", example_where(state->ep))));
	if (status == WXA_PLAN_UNRESTRICTED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a scan of foreign table \"%s\" needs a restriction on ref_date",
						state->table_name),
				 errhint("Add a condition such as %s.", example_where(state->ep))));
	if (status == WXA_PLAN_TOO_MANY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a scan of foreign table \"%s\" would send %ld API requests, more than max_requests (%d)",
						state->table_name, state->planned, state->config->max_requests),
				 errdetail("Nothing was sent."),
				 errhint("Narrow the date range, or raise the limit: ALTER SERVER %s OPTIONS (SET max_requests '%ld') (ADD if it is not set yet).",
						 quote_identifier(state->config->server_name), state->planned)));

	state->nperiods = status == WXA_PLAN_OK ? (int) state->planned : 0;
	if (state->periods == NULL)
		state->periods = MemoryContextAlloc(state->context,
											sizeof(ScanPeriod) * state->config->max_requests);
	for (i = 0; i < state->nperiods; i++)
	{
		state->periods[i].period = periods[i];
		state->periods[i].request = -1;
	}
}

/* Evaluate the restriction values (or take a batched join's) and plan the periods. */
static void
plan_periods(WxaScanState *state, ExprContext *econtext)
{
	int			n = list_length(state->qual_states);
	Datum	   *values;
	bool	   *nulls;
	ListCell   *lc;
	int			i = 0;
	MemoryContext old;

	if (state->driven)
	{
		plan_periods_for(state, state->driven_values, state->driven_nulls);
		return;
	}
	/* evaluated anew at every rescan: in a context of its own, so rescans do not accumulate */
	MemoryContextReset(state->plan_context);
	old = MemoryContextSwitchTo(state->plan_context);
	values = palloc(sizeof(Datum) * (n + 1));
	nulls = palloc(sizeof(bool) * (n + 1));
	foreach(lc, state->qual_states)
		values[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &nulls[i]), i++;
	plan_periods_for(state, values, nulls);
	MemoryContextSwitchTo(old);
}

/*
 * max_requests bounds the periods of one query, whatever the rescans and
 * batches: checked before more are sent.
 */
static void
check_query_requests(WxaScanState *state, int more)
{
	if (more > 0 && state->requested + more > state->config->max_requests)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a query on foreign table \"%s\" would send more than max_requests (%d) API requests",
						state->table_name, state->config->max_requests),
				 errdetail("%ld requests were sent already and %d more are needed.",
						   state->requested, more),
				 errhint("Narrow the join's outer side, or raise the limit: ALTER SERVER %s OPTIONS (SET max_requests '%ld') (ADD if it is not set yet).",
						 quote_identifier(state->config->server_name),
						 state->requested + more)));
	state->requested += more;
}

static bool
period_cached(WxaScanState *state, const WxaPeriod *p)
{
	int64		key = period_key(p);

	return hash_search(state->cache, &key, HASH_FIND, NULL) != NULL;
}

/* A batch for the scan's requests, sent together. */
static WxaBatch *
new_batch(WxaScanState *state)
{
	WxaHttpOptions options;
	WxaTokenProvider provider = wxa_token_provider(&state->tokens);
	WxaBatch   *batch;

	wxa_http_options_for(state->config, &options);
	batch = wxa_batch_new(&options, &provider);
	if (batch == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return batch;
}

/* Queue the request for one period; returns its index in the batch. */
static int
add_request(WxaScanState *state, WxaBatch *batch, const WxaPeriod *p)
{
	char		url[1024];
	char		when[32];
	char		what[128];
	char	   *body;
	int			request;

	snprintf(url, sizeof(url), "%s/datacube/%s", state->config->api_base_url, state->ep->api);
	describe_period(p, when, sizeof(when));
	snprintf(what, sizeof(what), "datacube/%s (%s)", state->ep->api, when);
	body = wxa_datacube_request_body(p);
	request = body ? wxa_batch_add(batch, url, body, true, what) : -1;
	free(body);
	if (request < 0)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return request;
}

/* Send the periods of this (re)scan that are not cached yet. */
static void
start_requests(WxaScanState *state)
{
	int			missing = 0;

	for (int i = 0; i < state->nperiods; i++)
		if (!period_cached(state, &state->periods[i].period))
			missing++;
	check_query_requests(state, missing);
	if (missing == 0)
		return;
	state->batch = new_batch(state);
	for (int i = 0; i < state->nperiods; i++)
	{
		ScanPeriod *sp = &state->periods[i];

		if (!period_cached(state, &sp->period))
			sp->request = add_request(state, state->batch, &sp->period);
	}
}

/* The batch is done with: fold its traffic into the scan's totals and free it. */
static void
retire_batch(WxaScanState *state)
{
	if (state->batch)
	{
		wxa_http_stats_add(&state->totals, wxa_batch_stats(state->batch));
		wxa_batch_free(state->batch);
		state->batch = NULL;
	}
}

/*
 * Some endpoints answer an empty list, not 61503, for a day WeChat has not
 * published yet. Before 10:00 Beijing time an empty answer for yesterday is
 * that far more often than a day without visitors: fail as 61503 does rather
 * than return a day of no rows that a nightly job would store as a hole.
 */
static void
raise_unpublished(WxaScanState *state, const WxaPeriod *p)
{
	char		when[32];

	wxa_rows_free(&state->own_rows);
	describe_period(p, when, sizeof(when));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("WeChat API request datacube/%s (%s) answered no data, probably because the day is not published yet",
					state->ep->api, when),
			 errdetail("It is before %d:00 Beijing time, and the period ends yesterday or later (server \"%s\").",
					   WXA_PUBLISH_HOUR_BEIJING, state->config->server_name),
			 errhint("WeChat publishes a day's data the next morning, Beijing time, usually after %d:00 and some days later; query it again after then.",
					 WXA_PUBLISH_HOUR_BEIJING)));
}

/* Wait for a period's response and parse it into own_rows (the scan's callback frees them if anything fails). */
static void
receive_period(WxaScanState *state, WxaBatch *batch, int request, const WxaPeriod *p)
{
	WxaError	err;
	const char *body;
	size_t		len;

	wxa_error_clear(&err);
	if (wxa_batch_wait(batch, request, &err) != 0)
		wxa_raise(&err, state->config);
	body = wxa_batch_response(batch, request, &len);
	if (wxa_parse_datacube(state->ep, p, body, len, &state->own_rows, &err) != 0)
	{
		char		when[32];

		wxa_rows_free(&state->own_rows);
		wxa_batch_forget(batch, request);
		describe_period(p, when, sizeof(when));
		snprintf(err.what, sizeof(err.what), "datacube/%s (%s)", state->ep->api, when);
		err.attempts = 1;
		wxa_raise(&err, state->config);
	}
	wxa_batch_forget(batch, request);
	if (state->own_rows.nrows == 0 && wxa_day_maybe_unpublished(p->last, time(NULL)))
		raise_unpublished(state, p);
}

/*
 * A copy of rows whose cells live in one palloc'd block of context, so that
 * the copy is freed with the context and never needs a callback.
 */
static WxaRows
copy_rows_into_context(const WxaRows *rows, MemoryContext context)
{
	WxaRows		copy = {0};
	long		ncells = (long) rows->nrows * rows->ncols;
	Size		size = sizeof(char *) * (ncells + 1);
	char	   *text;

	for (long i = 0; i < ncells; i++)
		if (rows->cells[i])
			size += strlen(rows->cells[i]) + 1;
	copy.ncols = rows->ncols;
	copy.nrows = rows->nrows;
	copy.capacity = rows->nrows;
	copy.cells = MemoryContextAllocHuge(context, size);
	text = (char *) (copy.cells + ncells + 1);
	for (long i = 0; i < ncells; i++)
	{
		size_t		n;

		copy.cells[i] = NULL;
		if (rows->cells[i] == NULL)
			continue;
		n = strlen(rows->cells[i]) + 1;
		memcpy(text, rows->cells[i], n);
		copy.cells[i] = text;
		text += n;
	}
	return copy;
}

/* Keep own_rows for rescans: copied into the scan's context, the parsed ones freed. */
static CachedPeriod *
cache_own_rows(WxaScanState *state, const WxaPeriod *p)
{
	int64		key = period_key(p);
	long		cells = (long) state->own_rows.nrows * state->own_rows.ncols;
	WxaRows		copy = copy_rows_into_context(&state->own_rows, state->context);
	CachedPeriod *cached = hash_search(state->cache, &key, HASH_ENTER, NULL);

	cached->rows = copy;
	state->cached_cells += cells;
	wxa_rows_free(&state->own_rows);
	return cached;
}

/* Make the rows of period i current: from the cache, or wait for its response. */
static void
load_period(WxaScanState *state, int i)
{
	ScanPeriod *sp = &state->periods[i];
	int64		key = period_key(&sp->period);
	CachedPeriod *cached = hash_search(state->cache, &key, HASH_FIND, NULL);
	long		cells;

	state->row = 0;
	if (cached)
	{
		state->rows = &cached->rows;
		return;
	}
	receive_period(state, state->batch, sp->request, &sp->period);
	state->rows = &state->own_rows;
	cells = (long) state->own_rows.nrows * state->own_rows.ncols;
	if (state->cached_cells + cells <= WXA_CACHE_CELLS)
		state->rows = &cache_own_rows(state, &sp->period)->rows;
}

static void
release_rows(WxaScanState *state)
{
	if (state->rows == &state->own_rows)
		wxa_rows_free(&state->own_rows);
	state->rows = NULL;
}

static void
wxaBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	TupleDesc	desc = RelationGetDescr(rel);
	WxaScanState *state;
	MemoryContext context;
	MemoryContext old;
	Oid			userid;
	HASHCTL		ctl;
	ListCell   *lc;
	int			i = 0;

	/*
	 * Plain EXPLAIN: nothing to set up and no expression to evaluate, as in
	 * postgres_fdw; ExplainForeignScan reads what the planner computed.
	 */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	context = AllocSetContextCreate(estate->es_query_cxt, "wxa_fdw scan", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(context);
	state = palloc0(sizeof(WxaScanState));
	state->context = context;
	state->cleanup.func = free_scan_memory;
	state->cleanup.arg = state;
	MemoryContextRegisterResetCallback(context, &state->cleanup);
	node->fdw_state = state;

	state->ep = wxa_endpoint_by_name(strVal(list_nth(plan->fdw_private, FdwScanPrivateEndpoint)));
	state->table_name = pstrdup(RelationGetRelationName(rel));
	/* the user whose mapping is used: the view owner under a view */
#if PG_VERSION_NUM >= 160000
	userid = OidIsValid(plan->checkAsUser) ? plan->checkAsUser : GetUserId();
#else
	{
		RangeTblEntry *rte = exec_rt_fetch(plan->scan.scanrelid, estate);

		userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	}
#endif
	state->config = wxa_get_config(GetForeignTable(RelationGetRelid(rel))->serverid, userid, true);

	state->natts = desc->natts;
	state->att_column = palloc(sizeof(int) * desc->natts);
	state->in_functions = palloc(sizeof(FmgrInfo) * desc->natts);
	state->typioparams = palloc(sizeof(Oid) * desc->natts);
	state->typmods = palloc(sizeof(int32) * desc->natts);
	state->type_names = palloc0(sizeof(char *) * desc->natts);
	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			infunc;

		state->att_column[i] = att->attisdropped ? -1 :
			wxa_endpoint_column(state->ep, NameStr(att->attname));
		if (state->att_column[i] < 0 && !att->attisdropped &&
			strcmp(NameStr(att->attname), WXA_APPID_COLUMN) == 0)
			state->att_column[i] = WXA_ATT_APPID;
		if (state->att_column[i] == -1)
			continue;
		getTypeInputInfo(att->atttypid, &infunc, &state->typioparams[i]);
		fmgr_info(infunc, &state->in_functions[i]);
		state->typmods[i] = att->atttypmod;
		state->type_names[i] = format_type_with_typemod(att->atttypid, att->atttypmod);
	}

	state->qual_codes = (List *) list_nth(plan->fdw_private, FdwScanPrivateQualCodes);
	state->qual_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);
	state->qual_types = palloc(sizeof(Oid) * (list_length(plan->fdw_exprs) + 1));
	i = 0;
	/* IN lists take their element type from the array itself (quals.c) */
	foreach(lc, plan->fdw_exprs)
		state->qual_types[i++] = exprType(lfirst(lc));
	state->has_exec_params = contains_exec_param((Node *) plan->fdw_exprs, NULL);
	state->appid_excludes = intVal(list_nth(plan->fdw_private, FdwScanPrivateAppidExcludes)) != 0;
	state->driven = list_length(plan->fdw_private) > FdwScanPrivateDriven;

	ctl.keysize = sizeof(int64);
	ctl.entrysize = sizeof(CachedPeriod);
	ctl.hcxt = context;
	state->cache = hash_create("wxa_fdw periods", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	wxa_token_session_init(&state->tokens, state->config);
	state->plan_context = AllocSetContextCreate(context, "wxa_fdw restriction", ALLOCSET_SMALL_SIZES);
	state->period_buffer = palloc(sizeof(WxaPeriod) * state->config->max_requests);
	state->current = -1;
	MemoryContextSwitchTo(old);
}

static void
store_error_callback(void *arg)
{
	WxaScanState *state = arg;
	int			att = state->attnum_for_error;

	errcontext("column \"%s\" (%s) of foreign table \"%s\", value \"%s\"",
			   state->att_column[att] == WXA_ATT_APPID ? WXA_APPID_COLUMN :
			   state->ep->columns[state->att_column[att]].name,
			   state->type_names[att],
			   state->table_name,
			   wxa_message_text(state->value_for_error, state->config, WXA_VALUE_IN_ERROR));
}

static void
store_row(WxaScanState *state, TupleTableSlot *slot)
{
	ErrorContextCallback errcallback;

	errcallback.callback = store_error_callback;
	errcallback.arg = state;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	ExecClearTuple(slot);
	for (int i = 0; i < state->natts; i++)
	{
		int			col = state->att_column[i];
		const char *cell = col >= 0 ? wxa_rows_cell(state->rows, state->row, col) :
			col == WXA_ATT_APPID ? state->config->appid : NULL;

		slot->tts_isnull[i] = (cell == NULL);
		slot->tts_values[i] = (Datum) 0;
		if (cell == NULL)
			continue;
		state->attnum_for_error = i;
		state->value_for_error = cell;
		/* WeChat's UTF-8, checked: input functions trust their input to be valid */
		slot->tts_values[i] = InputFunctionCall(&state->in_functions[i],
												pg_any_to_server(cell, strlen(cell), PG_UTF8),
												state->typioparams[i], state->typmods[i]);
	}
	error_context_stack = errcallback.previous;
	ExecStoreVirtualTuple(slot);
}

/* Plan the periods and submit their requests, once per (re)scan. */
static void
start_scan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	if (state->started)
		return;
	state->started = true;
	if (state->appid_excludes)
	{
		/* no row can carry this server's appid: nothing to ask */
		state->nperiods = 0;
		return;
	}
	plan_periods(state, node->ss.ps.ps_ExprContext);
	start_requests(state);
}

/* Can period i be loaded without waiting? Raises the error of a failed request. */
static bool
period_ready(WxaScanState *state, int i)
{
	ScanPeriod *sp = &state->periods[i];
	WxaError	err;

	if (sp->request < 0)
		return true;
	wxa_error_clear(&err);
	switch (wxa_batch_poll(state->batch, sp->request, &err))
	{
		case WXA_POLL_DONE:
			return true;
		case WXA_POLL_FAILED:
			wxa_raise(&err, state->config);
		case WXA_POLL_PENDING:
			break;
	}
	return false;
}

/*
 * The next row in the scan slot (empty at the end): true. With wait = false
 * it may instead return false, when the next period's answer is not there yet.
 */
static bool
next_row(ForeignScanState *node, bool wait)
{
	WxaScanState *state = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	start_scan(node);
	for (;;)
	{
		if (state->rows && state->row < state->rows->nrows)
		{
			store_row(state, slot);
			state->row++;
			return true;
		}
		release_rows(state);
		if (state->current + 1 >= state->nperiods)
		{
			ExecClearTuple(slot);
			return true;
		}
		if (!wait && !period_ready(state, state->current + 1))
			return false;
		state->current++;
		load_period(state, state->current);
	}
}

static TupleTableSlot *
wxaIterateForeignScan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	/* under an async Append, never wait here: the Append waits for all its children */
	state->would_wait = !next_row(node, !wxa_plan_async_capable(node->ss.ps.plan));
	if (state->would_wait)
		return ExecClearTuple(node->ss.ss_ScanTupleSlot);
	return node->ss.ss_ScanTupleSlot;
}

#ifdef WXA_HAVE_ASYNC_FDW
/* ---------------------------------------------------------------- async execution (Append) */

static bool
wxaIsForeignPathAsyncCapable(ForeignPath *path)
{
	WxaPlanInfo *info = path->path.parent->fdw_private;

	return info->async_capable;
}

/*
 * Answer areq with the next row (filtered and projected by the executor) if
 * there is one without waiting, or with none at the end; else leave it pending.
 */
static void
produce_async(AsyncRequest *areq)
{
	WxaScanState *state = ((ForeignScanState *) areq->requestee)->fdw_state;
	TupleTableSlot *result = areq->requestee->ExecProcNodeReal(areq->requestee);

	if (!TupIsNull(result))
		ExecAsyncRequestDone(areq, result);
	else if (state->would_wait)
		ExecAsyncRequestPending(areq);
	else
		ExecAsyncRequestDone(areq, NULL);
}

/* The first request of the Append: every async child submits its requests before any waits. */
static void
wxaForeignAsyncRequest(AsyncRequest *areq)
{
	produce_async(areq);
}

static bool
is_our_request(AsyncRequest *areq)
{
	return IsA(areq->requestee, ForeignScanState) &&
		((ForeignScanState *) areq->requestee)->fdwroutine->ForeignAsyncNotify != NULL &&
		((ForeignScanState *) areq->requestee)->fdwroutine->IsForeignPathAsyncCapable ==
		wxaIsForeignPathAsyncCapable;
}

/*
 * The Append is about to wait. The engine serves all our scans with one fd:
 * only the first of them still pending adds it, and a scan whose answer
 * already came is answered now, as postgres_fdw's complete_pending_request.
 * Only that first scan lets the engine read its sockets: a read by a later
 * scan, after the fd is added, would take the readiness the Append then waits
 * for, and an answer read that way would sit until the engine's alarm.
 */
static void
wxaForeignAsyncConfigureWait(AsyncRequest *areq)
{
	AppendState *append = (AppendState *) areq->requestor;
	bool		holds_fd = true;
	int			i = -1;

	while ((i = bms_next_member(append->as_asyncplans, i)) >= 0 && i < areq->request_index)
	{
		AsyncRequest *other = append->as_asyncrequests[i];

		if (other->callback_pending && is_our_request(other))
		{
			holds_fd = false;
			break;
		}
	}
	if (holds_fd)
		wxa_engine_ready(NULL, 0);
	areq->callback_pending = false;
	produce_async(areq);
	if (!areq->callback_pending)
	{
		ExecAsyncResponse(areq);
		return;
	}
	/* a wait that ended without a notification (the Append only polled) is not counted */
	((WxaScanState *) ((ForeignScanState *) areq->requestee)->fdw_state)->async_wait_started =
		wxa_monotonic_ms();
	if (holds_fd)
		AddWaitEventToSet(append->as_eventset, WL_SOCKET_READABLE,
						  wxa_engine_wait_fd(WXA_ASYNC_WAIT_MS), NULL, areq);
}

/*
 * The Append waited for every scan of ours that was pending (they all watch the
 * engine's one fd): that wait is each one's Network wait, as a scan's own wait
 * is outside an Append.
 */
static void
count_append_wait(AsyncRequest *areq)
{
	AppendState *append = (AppendState *) areq->requestor;
	double		now = wxa_monotonic_ms();
	int			i = -1;

	while ((i = bms_next_member(append->as_asyncplans, i)) >= 0)
	{
		AsyncRequest *other = append->as_asyncrequests[i];
		WxaScanState *state;

		/* the Append clears the notified request's callback_pending first */
		if ((other != areq && !other->callback_pending) || !is_our_request(other))
			continue;
		state = ((ForeignScanState *) other->requestee)->fdw_state;
		if (state->async_wait_started > 0)
			state->totals.wait_ms += now - state->async_wait_started;
		state->async_wait_started = 0;
	}
}

/* The engine's fd is ready: let it act, then answer if this scan can. */
static void
wxaForeignAsyncNotify(AsyncRequest *areq)
{
	count_append_wait(areq);
	wxa_engine_ready(NULL, 0);
	CHECK_FOR_INTERRUPTS();
	produce_async(areq);
}
#endif							/* WXA_HAVE_ASYNC_FDW */

static void
wxaReScanForeignScan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	/* values may have changed: plan again; fetched periods stay in the cache */
	release_rows(state);
	retire_batch(state);
	state->started = false;
	state->current = -1;
}

static void
wxaEndForeignScan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	if (state)
		MemoryContextDelete(state->context);
	node->fdw_state = NULL;
}

static void
wxaExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	WxaScanState *state = node->fdw_state;	/* NULL under plain EXPLAIN */
	const char *requests = strVal(list_nth(plan->fdw_private, FdwScanPrivateRequests));
	const char *first_body = strVal(list_nth(plan->fdw_private, FdwScanPrivateFirstBody));
	char		api[160];

	snprintf(api, sizeof(api), "datacube/%s",
			 wxa_endpoint_by_name(strVal(list_nth(plan->fdw_private, FdwScanPrivateEndpoint)))->api);
	ExplainPropertyText("WeChat API", api, es);
	if (list_length(plan->fdw_private) > FdwScanPrivateDriven)
		requests = "from the outer rows, fetched by the batched join";
	/* after a run (ANALYZE), what was planned then: run-time values included */
	else if (state && state->periods && !state->has_exec_params)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		describe_requests(&buf, state->planned, state->config->max_requests,
						  state->nperiods, state->periods, sizeof(ScanPeriod));
		requests = buf.data;
	}
	/* a parameterized scan plans anew for every outer row */
	ExplainPropertyText("Requests", requests[0] ? requests : "determined at run time", es);
	if (es->verbose && first_body[0])
		ExplainPropertyText("First request body", first_body, es);
	if (es->analyze && state)
	{
		WxaHttpStats total = state->totals;

		if (state->batch)
			wxa_http_stats_add(&total, wxa_batch_stats(state->batch));
		ExplainPropertyInteger("Requests sent", NULL, total.sent, es);
		ExplainPropertyInteger("Retries", NULL, total.retries, es);
		ExplainPropertyInteger("Token fetches", NULL, total.token_fetches, es);
		ExplainPropertyInteger("Bytes received", "bytes", total.bytes, es);
		if (es->timing)
			ExplainPropertyFloat("Network wait", "ms", total.wait_ms, 1, es);
	}
}

/* ---------------------------------------------------------------- batched joins */

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

/* Add the periods these values need, and no scan has fetched yet, to the next fetch. */
void
wxa_scan_collect(ForeignScanState *node, Datum *values, bool *nulls)
{
	WxaScanState *state = node->fdw_state;

	/* no row can carry this server's appid: nothing to fetch */
	if (state->appid_excludes)
		return;
	plan_periods_for(state, values, nulls);
	if (state->collected == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(int64);
		ctl.entrysize = sizeof(int64);
		ctl.hcxt = state->context;
		state->collected = hash_create("wxa_fdw collected periods", 256, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* allocated once per scan and reused by every batch (the hash is made anew per batch) */
	if (state->collected_periods == NULL)
	{
		state->collected_size = 256;
		state->collected_periods = MemoryContextAlloc(state->context,
													  sizeof(WxaPeriod) * state->collected_size);
	}
	for (int i = 0; i < state->nperiods; i++)
	{
		const WxaPeriod *p = &state->periods[i].period;
		int64		key = period_key(p);
		bool		found;

		if (period_cached(state, p))
			continue;
		(void) hash_search(state->collected, &key, HASH_ENTER, &found);
		if (found)
			continue;
		if (state->ncollected == state->collected_size)
		{
			state->collected_size *= 2;
			state->collected_periods = repalloc(state->collected_periods,
												sizeof(WxaPeriod) * state->collected_size);
		}
		state->collected_periods[state->ncollected++] = *p;
	}
}

/* Periods collected for the next fetch. */
int
wxa_scan_collected(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	return state->ncollected;
}

/*
 * Send the requests of the collected periods (one batch through the engine),
 * within the query's max_requests; wxa_scan_receive_collected() waits for
 * them. A batched join over several scans (a partitioned table) sends every
 * scan's before it waits for any. Returns how many periods were sent.
 */
int
wxa_scan_send_collected(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;
	int			n = state->ncollected;

	if (n == 0)
		return 0;
	check_query_requests(state, n);
	/* own_rows receives each response: the scan is between outer rows, done with them */
	release_rows(state);
	state->join_requests = MemoryContextAlloc(state->context, sizeof(int) * n);
	state->join_batch = new_batch(state);
	for (int i = 0; i < n; i++)
		state->join_requests[i] = add_request(state, state->join_batch,
											  &state->collected_periods[i]);
	return n;
}

/* Wait for the periods sent and keep their rows for the rescans that follow. */
void
wxa_scan_receive_collected(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	if (state->join_batch == NULL)
		return;
	for (int i = 0; i < state->ncollected; i++)
	{
		receive_period(state, state->join_batch, state->join_requests[i],
					   &state->collected_periods[i]);
		(void) cache_own_rows(state, &state->collected_periods[i]);
	}
	wxa_http_stats_add(&state->totals, wxa_batch_stats(state->join_batch));
	wxa_batch_free(state->join_batch);
	state->join_batch = NULL;
	pfree(state->join_requests);
	state->join_requests = NULL;
	hash_destroy(state->collected);
	state->collected = NULL;
	state->ncollected = 0;
}

/*
 * Between batches of a batched join: when the cached periods have outgrown
 * what a scan keeps, drop them (later batches fetch again what they need).
 */
void
wxa_scan_trim_cache(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;
	HASH_SEQ_STATUS seq;
	CachedPeriod *entry;

	if (state->cached_cells <= WXA_CACHE_CELLS)
		return;
	release_rows(state);
	hash_seq_init(&seq, state->cache);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		/* copy_rows_into_context made the cells one block */
		if (entry->rows.cells)
			pfree(entry->rows.cells);
		(void) hash_search(state->cache, &entry->key, HASH_REMOVE, NULL);
	}
	state->cached_cells = 0;
}

/*
 * The values of the next rescan (valid until the scan has started again): it
 * serves the rows of periods already fetched. The caller rescans the scan.
 */
void
wxa_scan_drive(ForeignScanState *node, Datum *values, bool *nulls)
{
	WxaScanState *state = node->fdw_state;

	state->driven_values = values;
	state->driven_nulls = nulls;
}

PG_FUNCTION_INFO_V1(wxa_fdw_handler);

Datum
wxa_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = wxaGetForeignRelSize;
	routine->GetForeignPaths = wxaGetForeignPaths;
	routine->GetForeignPlan = wxaGetForeignPlan;
	routine->BeginForeignScan = wxaBeginForeignScan;
	routine->IterateForeignScan = wxaIterateForeignScan;
	routine->ReScanForeignScan = wxaReScanForeignScan;
	routine->EndForeignScan = wxaEndForeignScan;
	routine->ExplainForeignScan = wxaExplainForeignScan;
	routine->ImportForeignSchema = wxaImportForeignSchema;
#ifdef WXA_HAVE_ASYNC_FDW
	routine->IsForeignPathAsyncCapable = wxaIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = wxaForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = wxaForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = wxaForeignAsyncNotify;
#endif
	PG_RETURN_POINTER(routine);
}
