/*
 * table_reader.c — reading one wxa_fdw foreign table's periods from the
 * statement's period store, for any consumer (table_reader.h): the foreign
 * scan and the batched join.
 *
 * Plans the periods of the restriction's values (core/wxa_period.c), asks
 * the store for them (one request per period it lacks, all sent together)
 * and returns their rows in period order as they arrive, each cell through
 * its column's input function.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"
#include "store_persist.h"

#include "executor/tuptable.h"
#include "foreign/foreign.h"
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

/*
 * The reader context's reset callback: its periods are the store's, and its
 * requests in flight no longer its traffic.
 */
static void
end_client(void *arg)
{
	WxaTableReader *state = arg;

	wxa_store_client_done(&state->client);
	wxa_lazy_free(state);
}

/* The array of the current (re)start's periods: max_requests of them, made on first use. */
ScanPeriod *
wxa_reader_periods(WxaTableReader *state)
{
	if (state->periods == NULL)
		state->periods = MemoryContextAlloc(state->context,
											sizeof(ScanPeriod) * state->config->max_requests);
	return state->periods;
}

/* plan_periods_for's work, in its scratch context. */
static void
plan_periods_in(WxaTableReader *state, Datum *values, bool *nulls)
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
	(void) wxa_reader_periods(state);
	for (i = 0; i < state->nperiods; i++)
	{
		state->periods[i].period = periods[i];
		state->periods[i].entry = NULL;
	}
	wxa_unpublished_note_selected(state, values, nulls, periods, state->nperiods, sizeof(WxaPeriod));
}

/*
 * Plan the periods for these restriction values; raise when the plan cannot
 * run. A batched join comes here for every outer row: what planning allocates
 * on the way (an IN list's elements, the restriction) goes to a context reset
 * at each call, so memory stays flat over any number of rows; what must stay
 * is allocated in the scan's context explicitly.
 */
static void
plan_periods_for(WxaTableReader *state, Datum *values, bool *nulls)
{
	MemoryContext old;

	MemoryContextReset(state->scratch_context);
	old = MemoryContextSwitchTo(state->scratch_context);
	plan_periods_in(state, values, nulls);
	MemoryContextSwitchTo(old);
}

/*
 * max_requests bounds the periods of one query, whatever the rescans and
 * batches: checked before more are sent.
 */
static void
check_query_requests(WxaTableReader *state, int more)
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

static void
check_requests(void *arg, int more)
{
	check_query_requests((WxaTableReader *) arg, more);
}

/* Ask the store for the periods of this (re)scan: what it lacks is sent now, all together. */
static void
start_requests(WxaTableReader *state)
{
	WxaStoredPeriod **entries = palloc(sizeof(WxaStoredPeriod *) * (state->nperiods + 1));

	for (int i = 0; i < state->nperiods; i++)
		state->period_buffer[i] = state->periods[i].period;
	(void) wxa_store_request(state->store, &state->client, state->period_buffer, state->nperiods,
							 entries, check_requests, state);
	for (int i = 0; i < state->nperiods; i++)
		state->periods[i].entry = entries[i];
	pfree(entries);
}

/*
 * Make the rows of period i current, waiting for them if they are not there
 * yet. A restarted reader takes them converted (reader_memo.c; slot lends its
 * descriptor and is overwritten).
 */
static void
load_period(WxaTableReader *state, int i, TupleTableSlot *slot)
{
	WxaStoredPeriod *entry = state->periods[i].entry;
	const WxaPeriod *p = &state->periods[i].period;

	(void) wxa_store_ready(entry, true);
	state->row = 0;
	if (wxa_store_unpublished(entry))
	{
		/* option unpublished: left out (no rows), or the error */
		if (!wxa_unpublished_leave_out(state, p, &state->periods[0].period, state->nperiods,
									   sizeof(ScanPeriod)))
			wxa_store_raise_unpublished(entry, state->table_name);
		wxa_lazy_saw(state, 0);
		return;
	}
	wxa_unpublished_published(state, p);
	if (state->starts > 1 && !state->lazy &&
		(state->ready = wxa_memo_ready_rows(state, entry, slot)) != NULL)
	{
		wxa_lazy_saw(state, state->ready->nrows);
		return;
	}
	state->rows = wxa_store_pin(entry);
	state->pinned = entry;
	wxa_lazy_saw(state, wxa_stored_nrows(state->rows));
}

static void
release_rows(WxaTableReader *state)
{
	if (state->pinned)
		wxa_store_unpin(state->pinned);
	state->pinned = NULL;
	state->rows = NULL;
	state->ready = NULL;
}

static void
store_error_callback(void *arg)
{
	WxaTableReader *state = arg;
	int			att = state->attnum_for_error;

	errcontext("column \"%s\" (%s) of foreign table \"%s\", value \"%s\"",
			   state->att_column[att] == WXA_ATT_APPID ? WXA_APPID_COLUMN :
			   state->ep->columns[state->att_column[att]].name,
			   state->type_names[att],
			   state->table_name,
			   wxa_message_text(state->value_for_error, state->config, WXA_VALUE_IN_ERROR));
}

void
wxa_reader_convert_row(WxaTableReader *state, const WxaStoredRows *rows, int row,
					   TupleTableSlot *slot)
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
		const char *cell = col >= 0 ? wxa_stored_cell(rows, row, col) :
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

/* The current row into slot: converted now, or taken from the rows converted already. */
static void
store_row(WxaTableReader *state, TupleTableSlot *slot)
{
	if (state->ready == NULL)
	{
		wxa_reader_convert_row(state, state->rows, state->row, slot);
		return;
	}
	ExecClearTuple(slot);
	memcpy(slot->tts_values, state->ready->values + (Size) state->row * state->natts,
		   sizeof(Datum) * state->natts);
	memcpy(slot->tts_isnull, state->ready->isnull + (Size) state->row * state->natts,
		   sizeof(bool) * state->natts);
	ExecStoreVirtualTuple(slot);
}

WxaTableReader *
wxa_reader_begin(EState *estate, Relation rel, Oid userid, List *codes, List *value_exprs,
				 bool appid_excludes, WxaLazyOrder lazy_order, const bool *wanted)
{
	ListCell   *lc;
	int			v = 0;
	TupleDesc	desc = RelationGetDescr(rel);
	WxaTableReader *state;
	MemoryContext context;
	MemoryContext old;

	context = AllocSetContextCreate(estate->es_query_cxt, "wxa_fdw table reader",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(context);
	state = palloc0(sizeof(WxaTableReader));
	state->context = context;
	state->cleanup.func = end_client;
	state->cleanup.arg = state;
	MemoryContextRegisterResetCallback(context, &state->cleanup);

	state->ep = wxa_table_endpoint(RelationGetRelid(rel));
	state->table_name = pstrdup(RelationGetRelationName(rel));
	state->config = wxa_get_config(GetForeignTable(RelationGetRelid(rel))->serverid,
								   OidIsValid(userid) ? userid : GetUserId(), true);
	wxa_apply_table_options(state->config, RelationGetRelid(rel));

	state->natts = desc->natts;
	state->att_column = palloc(sizeof(int) * desc->natts);
	state->in_functions = palloc(sizeof(FmgrInfo) * desc->natts);
	state->typioparams = palloc(sizeof(Oid) * desc->natts);
	state->typmods = palloc(sizeof(int32) * desc->natts);
	state->type_names = palloc0(sizeof(char *) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			infunc;

		state->att_column[i] = att->attisdropped || (wanted && !wanted[i]) ? -1 :
			wxa_endpoint_column(state->ep, NameStr(att->attname));
		if (state->att_column[i] < 0 && !att->attisdropped && (!wanted || wanted[i]) &&
			strcmp(NameStr(att->attname), WXA_APPID_COLUMN) == 0)
			state->att_column[i] = WXA_ATT_APPID;
		if (state->att_column[i] == -1)
			continue;
		getTypeInputInfo(att->atttypid, &infunc, &state->typioparams[i]);
		fmgr_info(infunc, &state->in_functions[i]);
		state->typmods[i] = att->atttypmod;
		state->type_names[i] = format_type_with_typemod(att->atttypid, att->atttypmod);
	}

	state->qual_codes = codes;
	state->nvalues = list_length(value_exprs);
	state->qual_types = palloc(sizeof(Oid) * (state->nvalues + 1));
	/* IN lists take their element type from the array itself (quals.c) */
	foreach(lc, value_exprs)
		state->qual_types[v++] = exprType(lfirst(lc));
	state->appid_excludes = appid_excludes;
	state->lazy_order = lazy_order;

	state->store = wxa_store_of(estate);
	wxa_store_client_init(&state->client, state->store, state->config, state->ep,
						  wxa_persist_enabled(RelationGetRelid(rel), state->config));
	state->scratch_context = AllocSetContextCreate(context, "wxa_fdw period planning",
												   ALLOCSET_SMALL_SIZES);
	state->period_buffer = palloc(sizeof(WxaPeriod) * state->config->max_requests);
	state->current = -1;
	MemoryContextSwitchTo(old);
	return state;
}

void
wxa_reader_end(WxaTableReader *state)
{
	wxa_unpublished_notice(state);
	/* the store lives on (a LIMIT ended the reading early): its rows may go to the file again */
	release_rows(state);
	MemoryContextDelete(state->context);
}

/* A (re)start's beginning: the rows of the last one released, nothing planned yet. */
static bool
begin_start(WxaTableReader *state)
{
	release_rows(state);
	state->started = true;
	state->current = -1;
	if (state->appid_excludes)
	{
		/* no row can carry this server's appid: nothing to ask */
		state->nperiods = 0;
		return false;
	}
	wxa_unpublished_begin(state);
	wxa_lazy_free(state);
	return true;
}

void
wxa_reader_start_remembered(WxaTableReader *state, const WxaRemembered *remembered)
{
	if (!begin_start(state))
		return;
	state->starts++;
	wxa_memo_apply(state, remembered);
}

void
wxa_reader_start(WxaTableReader *state, Datum *values, bool *nulls)
{
	const WxaRemembered *remembered;
	bool		remember;

	if (!begin_start(state))
		return;
	/* a restart (a join's outer rows, a nested loop's rescans) may have seen the values before */
	remember = ++state->starts > 1 && state->lazy_order == WXA_LAZY_NONE;
	if (remember && (remembered = wxa_memo_recall(state, values, nulls)) != NULL)
	{
		wxa_memo_apply(state, remembered);
		return;
	}
	plan_periods_for(state, values, nulls);
	if (state->lazy)
		(void) wxa_lazy_next_wave(state);
	start_requests(state);
	if (remember)
		wxa_memo_keep(state);
}

bool
wxa_reader_next(WxaTableReader *state, TupleTableSlot *slot, bool wait)
{
	for (;;)
	{
		if (state->ready ? state->row < state->ready->nrows :
			(state->rows && state->row < wxa_stored_nrows(state->rows)))
		{
			store_row(state, slot);
			state->row++;
			return true;
		}
		release_rows(state);
		if (state->current + 1 >= state->nperiods && state->lazy && wxa_lazy_next_wave(state))
		{
			/* the lazy scan's next wave, now that the last one's rows have been pulled */
			state->current = -1;
			start_requests(state);
		}
		if (state->current + 1 >= state->nperiods)
		{
			ExecClearTuple(slot);
			return true;
		}
		if (!wait && !wxa_store_ready(state->periods[state->current + 1].entry, false))
			return false;
		state->current++;
		load_period(state, state->current, slot);
	}
}

void
wxa_reader_reset(WxaTableReader *state)
{
	release_rows(state);
	state->started = false;
	state->current = -1;
}

/*
 * A batched join's outer rows: add the periods these values need that the
 * statement's store has not seen yet to the reader's next fetch.
 */
const WxaRemembered *
wxa_reader_collect(WxaTableReader *state, Datum *values, bool *nulls)
{
	const WxaRemembered *remembered;

	/* no row can carry this server's appid: nothing to fetch */
	if (state->appid_excludes)
		return NULL;
	/* values seen before: their periods were asked for then */
	if (state->lazy_order == WXA_LAZY_NONE &&
		(remembered = wxa_memo_recall(state, values, nulls)) != NULL)
		return remembered;
	plan_periods_for(state, values, nulls);
	if (state->collected == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(WxaPeriod);
		ctl.entrysize = sizeof(WxaPeriod);
		ctl.hcxt = state->context;
		state->collected = hash_create("wxa_fdw collected periods", 256, &ctl,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	/* allocated once per scan and reused by every batch */
	if (state->collected_periods == NULL)
	{
		state->collected_size = 256;
		state->collected_periods = MemoryContextAlloc(state->context,
													  sizeof(WxaPeriod) * state->collected_size);
	}
	for (int i = 0; i < state->nperiods; i++)
	{
		WxaPeriod	p;
		bool		found;

		/* the hash reads the padding too */
		memset(&p, 0, sizeof(p));
		p.first = state->periods[i].period.first;
		p.last = state->periods[i].period.last;
		p.days = state->periods[i].period.days;
		if (wxa_store_missing(state->store, &state->client, &p, 1) == 0)
			continue;
		(void) hash_search(state->collected, &p, HASH_ENTER, &found);
		if (found)
			continue;
		if (state->ncollected == state->collected_size)
		{
			state->collected_size *= 2;
			state->collected_periods = repalloc(state->collected_periods,
												sizeof(WxaPeriod) * state->collected_size);
		}
		state->collected_periods[state->ncollected++] = p;
	}
	return NULL;
}

/* Periods collected for the next prefetch. */
int
wxa_reader_collected(WxaTableReader *state)
{
	return state->ncollected;
}

/*
 * Ask the store for the collected periods (one batch of requests, within the
 * query's max_requests), without waiting: a batched join over several scans
 * (a partitioned table) sends every scan's before it waits for any. Returns
 * how many periods were sent.
 */
int
wxa_reader_send_collected(WxaTableReader *state)
{
	int			sent;

	if (state->ncollected == 0)
		return 0;
	state->collected_entries = MemoryContextAlloc(state->context,
												  sizeof(WxaStoredPeriod *) * state->ncollected);
	sent = wxa_store_request(state->store, &state->client, state->collected_periods,
							 state->ncollected, state->collected_entries, check_requests, state);
	return sent;
}

/*
 * Wait for the periods sent, so that a failed one fails the join at the
 * batch it belongs to; the rescans that follow read them from the store.
 */
void
wxa_reader_receive_collected(WxaTableReader *state)
{
	if (state->collected_entries == NULL)
		return;
	wxa_unpublished_begin(state);
	for (int i = 0; i < state->ncollected; i++)
	{
		WxaStoredPeriod *entry = state->collected_entries[i];

		(void) wxa_store_ready(entry, true);
		if (!wxa_store_unpublished(entry))
			wxa_unpublished_published(state, &state->collected_periods[i]);
		else if (!wxa_unpublished_leave_out(state, &state->collected_periods[i],
											state->collected_periods, state->ncollected,
											sizeof(WxaPeriod)))
			wxa_store_raise_unpublished(entry, state->table_name);
	}
	pfree(state->collected_entries);
	state->collected_entries = NULL;
	hash_destroy(state->collected);
	state->collected = NULL;
	state->ncollected = 0;
}
