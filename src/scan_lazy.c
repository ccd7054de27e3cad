/*
 * scan_lazy.c — the lazy newest-first scan: a table without a date
 * restriction (or without a lower bound) read under a LIMIT, as GUI clients
 * do (SELECT * FROM t LIMIT 200).
 *
 * Planning decides whether the query's LIMIT bounds what the scan is asked
 * for: the scan is the query's only relation and nothing between it and the
 * Limit reads all rows (aggregates, grouping, DISTINCT, window functions, set
 * operations, or a sort the scan does not already give). The scan then walks
 * back from yesterday, fetching a wave of max_concurrency periods whenever
 * the rows of the last one have been pulled, and stops when no more are
 * pulled, after max_requests periods, or after WXA_LAZY_EMPTY_RUN periods in
 * a row without rows.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/paths.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* Periods in a row without rows after which the walk takes the table's history to have ended. */
#define WXA_LAZY_EMPTY_RUN 31

/* Is expr a Var of rel (or of its topmost parent, for a partition) named ref_date or end_date? Which one. */
static const char *
date_column_of(PlannerInfo *root, RelOptInfo *rel, Expr *expr)
{
	Var		   *var;
	RangeTblEntry *rte;
	char	   *name;

	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (expr == NULL || !IsA(expr, Var))
		return NULL;
	var = (Var *) expr;
	if (var->varlevelsup != 0 || var->varattno <= 0 || var->vartype != DATEOID ||
		!(var->varno == rel->relid ||
		  (rel->top_parent_relids && bms_is_member(var->varno, rel->top_parent_relids))))
		return NULL;
	rte = planner_rt_fetch(var->varno, root);
	if (rte->rtekind != RTE_RELATION)
		return NULL;
	name = get_attname(rte->relid, var->varattno, true);
	if (name && strcmp(name, "ref_date") == 0)
		return "ref_date";
	if (name && strcmp(name, "end_date") == 0)
		return "end_date";
	return NULL;
}

/* Does the query have a LIMIT of some rows (not LIMIT ALL or NULL)? */
static bool
query_has_limit(Query *parse)
{
	Node	   *count = parse->limitCount;

	return count != NULL && !(IsA(count, Const) && ((Const *) count)->constisnull);
}

/*
 * Can a LIMIT of the query stop a scan of baserel, and in which order does
 * it walk? WXA_LAZY_NONE when it cannot. *pathkeys gets the order the scan
 * gives the query (ORDER BY ref_date DESC, or end_date DESC), NIL for none.
 */
WxaLazyOrder
wxa_lazy_order(PlannerInfo *root, RelOptInfo *baserel, const WxaEndpoint *ep, List **pathkeys)
{
	Query	   *parse = root->parse;
	PathKey    *pk;
	const char *column = NULL;
	ListCell   *lc;

	*pathkeys = NIL;
	if (!query_has_limit(parse) ||
		parse->hasAggs || parse->groupClause != NIL || parse->groupingSets != NIL ||
		parse->hasWindowFuncs || parse->distinctClause != NIL || parse->setOperations != NULL ||
		parse->havingQual != NULL || parse->rowMarks != NIL ||
		bms_membership(root->all_baserels) != BMS_SINGLETON)
		return WXA_LAZY_NONE;
	if (root->query_pathkeys == NIL)
		return WXA_LAZY_BY_LAST;

	/* ORDER BY ref_date DESC (or end_date DESC), then anything: the scan gives the first key */
	pk = linitial_node(PathKey, root->query_pathkeys);
#if PG_VERSION_NUM >= 180000
	if (pk->pk_cmptype != COMPARE_GT ||
#else
	if (pk->pk_strategy != BTGreaterStrategyNumber ||
#endif
		pk->pk_opfamily != get_opclass_family(GetDefaultOpClass(DATEOID, BTREE_AM_OID)))
		return WXA_LAZY_NONE;
	foreach(lc, pk->pk_eclass->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);

		if ((column = date_column_of(root, baserel, em->em_expr)) != NULL)
			break;
	}
	if (column == NULL)
		return WXA_LAZY_NONE;
	*pathkeys = list_make1(pk);
	/* the portrait's windows of one first day end on different days */
	if (ep->period == WXA_PERIOD_PORTRAIT && strcmp(column, "ref_date") == 0)
		return WXA_LAZY_BY_FIRST;
	return WXA_LAZY_BY_LAST;
}

/* Requests a lazy scan is expected to send: what the LIMIT needs, and one more wave. */
double
wxa_lazy_requests(PlannerInfo *root, const WxaEndpoint *ep, const WxaConfig *config)
{
	double		requests = WXA_UNKNOWN_REQUESTS;

	if (root->limit_tuples > 0)
		requests = ceil(root->limit_tuples / ep->rows_per_request) + config->max_concurrency;
	return Min(requests, config->max_requests);
}

/* Free the walk's restriction (its parts are malloc'd). */
void
wxa_lazy_free(WxaTableReader *state)
{
	if (state->walk_restriction)
		wxa_restriction_free(state->walk_restriction);
	state->lazy = false;
}

/*
 * Restriction values without a date bound, or without a lower one: walk
 * instead of planning, when the plan allows it. The periods come in waves
 * from wxa_lazy_next_wave().
 */
bool
wxa_lazy_start(WxaTableReader *state, Datum *values, bool *nulls)
{
	if (state->lazy_order == WXA_LAZY_NONE)
		return false;
	wxa_lazy_free(state);
	if (state->walk_restriction == NULL)
		state->walk_restriction = MemoryContextAllocZero(state->context, sizeof(WxaRestriction));
	if (!wxa_restriction_build(state->walk_restriction, state->qual_codes, values, nulls,
							   state->qual_types))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	wxa_walk_init(&state->walk, state->ep->period, wxa_statement_yesterday(state->config->timezone),
				  state->lazy_order == WXA_LAZY_BY_FIRST);
	state->lazy = true;
	state->lazy_done = false;
	state->lazy_empty_run = 0;
	state->nperiods = 0;
	state->planned = 0;
	return true;
}

/*
 * The rows of the last wave have all been pulled: plan the next one into
 * state->periods. False when the walk stops: WXA_LAZY_EMPTY_RUN periods in a
 * row had no rows (the table's history has ended), max_requests periods were
 * asked for (with a NOTICE: there may be more), or the walk is over.
 */
bool
wxa_lazy_next_wave(WxaTableReader *state)
{
	/* max_requests bounds both the periods walked and the requests of the query */
	long		room = state->config->max_requests - Max(state->requested, state->planned);
	int			n;

	if (!state->lazy || state->lazy_done)
		return false;
	if (state->lazy_empty_run >= WXA_LAZY_EMPTY_RUN)
	{
		state->lazy_done = true;
		return false;
	}
	if (room <= 0)
	{
		char		oldest[32] = "";

		if (state->nperiods > 0)
			wxa_describe_period(&state->periods[state->nperiods - 1].period, oldest, sizeof(oldest));
		ereport(NOTICE,
				(errmsg("the scan of foreign table \"%s\" without a date restriction stopped after max_requests (%d) periods",
						state->table_name, state->config->max_requests),
				 oldest[0] ? errdetail("The oldest period read is %s; older ones may have rows too.", oldest) : 0,
				 errhint("Add a date restriction to read further back, or raise max_requests on server %s.",
						 quote_identifier(state->config->server_name))));
		state->lazy_done = true;
		return false;
	}
	n = wxa_walk_back(&state->walk, state->walk_restriction,
					  (int) Min(room, state->config->max_concurrency), state->period_buffer);
	if (n == 0)
	{
		state->lazy_done = true;
		return false;
	}
	if (state->periods == NULL)
		state->periods = MemoryContextAlloc(state->context,
											sizeof(ScanPeriod) * state->config->max_requests);
	for (int i = 0; i < n; i++)
	{
		state->periods[i].period = state->period_buffer[i];
		state->periods[i].entry = NULL;
	}
	state->nperiods = n;
	state->planned += n;
	return true;
}

/* A period of the walk has been loaded with nrows rows. */
void
wxa_lazy_saw(WxaTableReader *state, int nrows)
{
	if (!state->lazy)
		return;
	state->lazy_empty_run = nrows > 0 ? 0 : state->lazy_empty_run + 1;
}
