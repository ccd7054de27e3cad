/*
 * scan_exec.c — executing a scan of a wxa_fdw foreign table.
 *
 * Evaluates the restriction values, plans the periods (core/wxa_period.c),
 * sends one request per period through the request engine and streams rows
 * in period order as responses arrive. Parsed periods are kept for the rest
 * of the scan so that a rescan (nested loop) never fetches the same period
 * twice. A batched join (batched_join.c) collects the periods of many outer
 * rows and has them fetched together (wxa_scan_collect and the functions
 * after it).
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/wxa_api.h"
#include "core/wxa_response.h"


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
	wxa_lazy_free(state);
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

void
wxa_describe_period(const WxaPeriod *p, char *buf, size_t size)
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

	if (!wxa_plan_from_values(state->ep, state->config, state->qual_codes, values, nulls,
						  state->qual_types, periods, &state->planned, &status))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	/* no (lower) date bound, but a LIMIT over the scan: newest first, in waves */
	if ((status == WXA_PLAN_NO_LOWER_BOUND || status == WXA_PLAN_UNRESTRICTED) &&
		wxa_lazy_start(state, values, nulls))
		return;
	if (status == WXA_PLAN_NO_LOWER_BOUND)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the date restriction on foreign table \"%s\" has no lower bound",
						state->table_name),
				 errhint("Add a condition such as %s.", wxa_example_where(state->ep))));
	if (status == WXA_PLAN_UNRESTRICTED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("a scan of foreign table \"%s\" needs a restriction on ref_date",
						state->table_name),
				 errhint("Add a condition such as %s.", wxa_example_where(state->ep))));
	if (status == WXA_PLAN_TOO_MANY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a scan of foreign table \"%s\" would send %ld API requests, more than max_requests (%d)",
						state->table_name, state->planned, state->config->max_requests),
				 errdetail("Nothing was sent."),
				 errhint("Narrow the date range, or raise the limit: ALTER SERVER %s OPTIONS (SET max_requests '%ld') (ADD if it is not set yet).",
						 quote_identifier(state->config->server_name), state->planned)));

	state->nperiods = status == WXA_PLAN_OK ? (int) state->planned : 0;
	state->no_requests_why = status == WXA_PLAN_OK && state->planned == 0 ?
		wxa_no_requests_why(state->ep, state->config, state->qual_codes, values, nulls,
							state->qual_types) : WXA_NONE_NOT_NONE;
	if (state->periods == NULL)
		state->periods = MemoryContextAlloc(state->context,
											sizeof(ScanPeriod) * state->config->max_requests);
	for (i = 0; i < state->nperiods; i++)
	{
		state->periods[i].period = periods[i];
		state->periods[i].request = -1;
	}
	wxa_unpublished_note_selected(state, values, nulls, periods, state->nperiods, sizeof(WxaPeriod));
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
	wxa_describe_period(p, when, sizeof(when));
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
	wxa_describe_period(p, when, sizeof(when));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("WeChat API request datacube/%s (%s) answered no data, probably because the day is not published yet",
					state->ep->api, when),
			 errdetail("It is before %d:00 Beijing time, and the period ends yesterday or later (server \"%s\").",
					   WXA_PUBLISH_HOUR_BEIJING, state->config->server_name),
			 errhint("WeChat publishes a day's data the next morning, Beijing time, usually after %d:00 and some days later; query it again after then.",
					 WXA_PUBLISH_HOUR_BEIJING)));
}

/* WeChat has not published p: leave it out (own_rows empty) rather than fail? Judged among the periods of its batch. */
static bool
leave_out(WxaScanState *state, WxaBatch *batch, const WxaPeriod *p)
{
	bool		out;

	if (batch == state->join_batch)
		out = wxa_unpublished_leave_out(state, p, state->collected_periods, state->ncollected,
										sizeof(WxaPeriod));
	else
		out = wxa_unpublished_leave_out(state, p, &state->periods[0].period, state->nperiods,
										sizeof(ScanPeriod));
	if (out)
	{
		wxa_rows_free(&state->own_rows);
		state->own_rows.ncols = state->ep->ncolumns;
		state->last_left_out = true;
	}
	return out;
}

/* Wait for a period's response and parse it into own_rows (the scan's callback frees them if anything fails). */
static void
receive_period(WxaScanState *state, WxaBatch *batch, int request, const WxaPeriod *p)
{
	WxaError	err;
	const char *body;
	size_t		len;

	wxa_error_clear(&err);
	state->last_left_out = false;
	if (wxa_wait_period(batch, request, state->config->unpublished, &err) != 0)
	{
		/* its own 61503 (another period's never fails this one: wxa_poll_period) */
		if (wxa_unpublished_error(&err) && leave_out(state, batch, p))
		{
			wxa_batch_forget(batch, request);
			return;
		}
		wxa_raise(&err, state->config);
	}
	body = wxa_batch_response(batch, request, &len);
	if (wxa_parse_datacube(state->ep, p, body, len, &state->own_rows, &err) != 0)
	{
		char		when[32];

		wxa_rows_free(&state->own_rows);
		wxa_batch_forget(batch, request);
		wxa_describe_period(p, when, sizeof(when));
		snprintf(err.what, sizeof(err.what), "datacube/%s (%s)", state->ep->api, when);
		err.attempts = 1;
		wxa_raise(&err, state->config);
	}
	wxa_batch_forget(batch, request);
	if (state->own_rows.nrows == 0 && wxa_empty_answer_unpublished(p))
	{
		if (leave_out(state, batch, p))
			return;
		raise_unpublished(state, p);
	}
	wxa_unpublished_published(state, p);
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
		wxa_lazy_saw(state, cached->rows.nrows);
		return;
	}
	receive_period(state, state->batch, sp->request, &sp->period);
	state->rows = &state->own_rows;
	wxa_lazy_saw(state, state->own_rows.nrows);
	cells = (long) state->own_rows.nrows * state->own_rows.ncols;
	/* a period left out unpublished is asked again by the rescan that needs it */
	if (state->cached_cells + cells <= WXA_CACHE_CELLS && !state->last_left_out)
		state->rows = &cache_own_rows(state, &sp->period)->rows;
}

static void
release_rows(WxaScanState *state)
{
	if (state->rows == &state->own_rows)
		wxa_rows_free(&state->own_rows);
	state->rows = NULL;
}

void
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
	wxa_apply_table_options(state->config, RelationGetRelid(rel));

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
	state->lazy_order = (WxaLazyOrder) intVal(list_nth(plan->fdw_private, FdwScanPrivateLazy));

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
	wxa_unpublished_begin(state);
	wxa_lazy_free(state);
	plan_periods(state, node->ss.ps.ps_ExprContext);
	if (state->lazy)
		(void) wxa_lazy_next_wave(state);
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
	switch (wxa_poll_period(state->batch, sp->request, state->config->unpublished, &err))
	{
		case WXA_POLL_DONE:
			return true;
		case WXA_POLL_FAILED:
			/* unpublished: receive_period() leaves it out or raises */
			if (wxa_unpublished_error(&err))
				return true;
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
		if (state->current + 1 >= state->nperiods && state->lazy && wxa_lazy_next_wave(state))
		{
			/* the lazy scan's next wave, now that the last one's rows have been pulled */
			retire_batch(state);
			state->current = -1;
			start_requests(state);
		}
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

TupleTableSlot *
wxaIterateForeignScan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	/* under an async Append, never wait here: the Append waits for all its children */
	state->would_wait = !next_row(node, !wxa_plan_async_capable(node->ss.ps.plan));
	if (state->would_wait)
		return ExecClearTuple(node->ss.ss_ScanTupleSlot);
	return node->ss.ss_ScanTupleSlot;
}

void
wxaReScanForeignScan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	/* values may have changed: plan again; fetched periods stay in the cache */
	release_rows(state);
	retire_batch(state);
	state->started = false;
	state->current = -1;
}

void
wxaEndForeignScan(ForeignScanState *node)
{
	WxaScanState *state = node->fdw_state;

	if (state)
	{
		wxa_unpublished_notice(state);
		MemoryContextDelete(state->context);
	}
	node->fdw_state = NULL;
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
	wxa_unpublished_begin(state);
	for (int i = 0; i < state->ncollected; i++)
	{
		receive_period(state, state->join_batch, state->join_requests[i],
					   &state->collected_periods[i]);
		if (!state->last_left_out)
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
