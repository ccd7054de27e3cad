/*
 * scan_exec.c — executing a scan of a wxa_fdw foreign table: the
 * ForeignScan's callbacks. Each (re)scan evaluates the restriction values and
 * hands them to the scan's table reader (table_reader.c), which plans the
 * periods, asks the statement's period store for them and returns their rows;
 * a rescan (nested loop) reads periods already fetched from the store.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/wxa_api.h"
#include "core/wxa_response.h"


static bool
contains_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param) && ((Param *) node)->paramkind == PARAM_EXEC)
		return true;
	return expression_tree_walker(node, contains_exec_param, context);
}

/* Evaluate the restriction values and start the reader with them, once per (re)scan. */
static void
start_scan(ForeignScanState *node)
{
	WxaTableReader *state = node->fdw_state;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	int			n = list_length(state->qual_states);
	Datum	   *values;
	bool	   *nulls;
	ListCell   *lc;
	int			i = 0;
	MemoryContext old;

	if (state->started)
		return;
	/* evaluated anew at every rescan: in a context of its own, so rescans do not accumulate */
	MemoryContextReset(state->plan_context);
	old = MemoryContextSwitchTo(state->plan_context);
	values = palloc(sizeof(Datum) * (n + 1));
	nulls = palloc(sizeof(bool) * (n + 1));
	foreach(lc, state->qual_states)
		values[i] = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &nulls[i]), i++;
	MemoryContextSwitchTo(old);
	wxa_reader_start(state, values, nulls);
}

void
wxaBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	WxaTableReader *state;
	MemoryContext old;
	Oid			userid;

	/*
	 * Plain EXPLAIN: nothing to set up and no expression to evaluate, as in
	 * postgres_fdw; ExplainForeignScan reads what the planner computed.
	 */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	/* the user whose mapping is used: the view owner under a view */
#if PG_VERSION_NUM >= 160000
	userid = plan->checkAsUser;
#else
	userid = exec_rt_fetch(plan->scan.scanrelid, estate)->checkAsUser;
#endif
	state = wxa_reader_begin(estate, rel, userid,
							 (List *) list_nth(plan->fdw_private, FdwScanPrivateQualCodes),
							 plan->fdw_exprs,
							 intVal(list_nth(plan->fdw_private, FdwScanPrivateAppidExcludes)) != 0,
							 (WxaLazyOrder) intVal(list_nth(plan->fdw_private, FdwScanPrivateLazy)),
							 NULL);
	node->fdw_state = state;

	old = MemoryContextSwitchTo(state->context);
	state->qual_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);
	state->has_exec_params = contains_exec_param((Node *) plan->fdw_exprs, NULL);
	state->plan_context = AllocSetContextCreate(state->context, "wxa_fdw restriction",
												ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(old);
}

/*
 * The next row in the scan slot (empty at the end): true. With wait = false
 * it may instead return false, when the next period's answer is not there yet.
 */
static bool
next_row(ForeignScanState *node, bool wait)
{
	start_scan(node);
	return wxa_reader_next(node->fdw_state, node->ss.ss_ScanTupleSlot, wait);
}

TupleTableSlot *
wxaIterateForeignScan(ForeignScanState *node)
{
	WxaTableReader *state = node->fdw_state;

	/* under an async Append, never wait here: the Append waits for all its children */
	state->would_wait = !next_row(node, !wxa_node_async_capable(&node->ss.ps));
	if (state->would_wait)
		return ExecClearTuple(node->ss.ss_ScanTupleSlot);
	return node->ss.ss_ScanTupleSlot;
}

void
wxaReScanForeignScan(ForeignScanState *node)
{
	WxaTableReader *state = node->fdw_state;

	/* values may have changed: plan again; fetched periods stay in the store */
	wxa_reader_reset(state);
}

void
wxaEndForeignScan(ForeignScanState *node)
{
	WxaTableReader *state = node->fdw_state;

	if (state)
		wxa_reader_end(state);
	node->fdw_state = NULL;
}

