/*
 * unpublished.c — what a period WeChat has not published yet does (the
 * option unpublished): fail the query, or be left out with one NOTICE.
 *
 * WeChat answers such a period with 61503 or, on some endpoints and days,
 * with the empty answer of a period without data. With auto a period is left
 * out when no equality (=, IN, = ANY, in any OR branch, from any outer row)
 * selects it and it belongs to the newest unbroken run of unpublished
 * periods ending at yesterday: every period of its kind after it up to
 * yesterday is in the same scan and unpublished too. Periods are received
 * oldest first, so "unpublished too" is checked as the newer ones arrive: a
 * newer published one turns the skip into an error.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

/* The Beijing hour before which an empty answer for yesterday is taken as unpublished. */
static int	wxa_publication_hour = WXA_PUBLISH_HOUR_BEIJING;

static void executor_end(QueryDesc *queryDesc);
static void left_out_xact_callback(XactEvent event, void *arg);
static ExecutorEnd_hook_type prev_executor_end;

void
wxa_unpublished_init(void)
{
	prev_executor_end = ExecutorEnd_hook;
	ExecutorEnd_hook = executor_end;
	RegisterXactCallback(left_out_xact_callback, NULL);
	DefineCustomIntVariable("wxa_fdw.publication_hour",
							"Beijing hour before which an empty answer for yesterday counts as not published yet.",
							"WeChat publishes a day the next morning; some endpoints answer an empty list, not errcode 61503, until then.",
							&wxa_publication_hour, WXA_PUBLISH_HOUR_BEIJING, 0, 24,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

static int64
key_of(const WxaPeriod *p)
{
	return ((int64) p->first << 8) | p->days;
}

bool
wxa_unpublished_error(const WxaError *err)
{
	return err->kind == WXA_ERR_API && err->errcode == 61503;
}

/*
 * Is an empty answer for p probably one before publication? p ends
 * yesterday (Beijing) or later and, at the start of the transaction, it was
 * before wxa_fdw.publication_hour in Beijing.
 */
bool
wxa_empty_answer_unpublished(const WxaPeriod *p)
{
	TimestampTz start = GetCurrentTransactionStartTimestamp();
	pg_time_t	now = timestamptz_to_time_t(start);
	const long long beijing_offset = 8LL * 3600;
	long long	local = (long long) now + beijing_offset;
	long long	days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int			hour = (int) ((local - days * 86400) / 3600);
	wxa_day		today = (wxa_day) (days + wxa_day_from_ymd(1970, 1, 1));

	return p->last >= today - 1 && hour < wxa_publication_hour;
}

/* Remember which periods an equality of these restriction values selects (any outer row, any rescan). */
void
wxa_unpublished_note_selected(WxaTableReader *state, Datum *values, bool *nulls,
							  const WxaPeriod *periods, int n, size_t stride)
{
	WxaRestriction r;

	if (state->config->unpublished != WXA_UNPUBLISHED_AUTO || n == 0)
		return;
	if (!wxa_restriction_build(&r, state->qual_codes, values, nulls, state->qual_types))
	{
		wxa_restriction_free(&r);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	for (int i = 0; i < n; i++)
	{
		const WxaPeriod *p = (const WxaPeriod *) ((const char *) periods + i * stride);
		int64		key = key_of(p);

		if (!wxa_restriction_selects(&r, p))
			continue;
		if (state->selected == NULL)
		{
			HASHCTL		ctl;

			ctl.keysize = sizeof(int64);
			ctl.entrysize = sizeof(int64);
			ctl.hcxt = state->context;
			state->selected = hash_create("wxa_fdw selected periods", 64, &ctl,
										  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		}
		(void) hash_search(state->selected, &key, HASH_ENTER, NULL);
	}
	wxa_restriction_free(&r);
}

/* The last day of the period of the kind that follows the one ending on last. */
static wxa_day
next_last(WxaPeriodKind kind, wxa_day last)
{
	switch (kind)
	{
		case WXA_PERIOD_WEEK:
			return last + 7;
		case WXA_PERIOD_MONTH:
			return wxa_month_end(last + 1);
		case WXA_PERIOD_DAY:
		case WXA_PERIOD_PORTRAIT:
			break;
	}
	return last + 1;
}

/* Is every period of the kind after p, up to yesterday, among the scan's periods? */
static bool
newer_ones_all_asked(const WxaTableReader *state, const WxaPeriod *p, const WxaPeriod *all, int n,
					 size_t stride)
{
	wxa_day		yesterday = wxa_statement_yesterday(state->config->timezone);

	for (wxa_day e = next_last(state->ep->period, p->last); e <= yesterday;
		 e = next_last(state->ep->period, e))
	{
		bool		found = false;

		for (int i = 0; i < n && !found; i++)
			found = ((const WxaPeriod *) ((const char *) all + i * stride))->last == e;
		if (!found)
			return false;
	}
	return true;
}

static void
remember_left_out(WxaTableReader *state, const WxaPeriod *p)
{
	for (int i = 0; i < state->nleft_out; i++)
		if (key_of(&state->left_out[i]) == key_of(p))
			return;
	if (state->left_out == NULL)
	{
		state->left_out_size = 8;
		state->left_out = MemoryContextAlloc(state->context, sizeof(WxaPeriod) * state->left_out_size);
	}
	else if (state->nleft_out == state->left_out_size)
	{
		state->left_out_size *= 2;
		state->left_out = repalloc(state->left_out, sizeof(WxaPeriod) * state->left_out_size);
	}
	state->left_out[state->nleft_out++] = *p;
}

/*
 * WeChat has not published p (61503, or empty_answer). all: the periods of
 * the scan (or of the batch) it belongs to, n of stride bytes. True: leave it
 * out (no rows); false: the caller raises the error of the answer.
 */
bool
wxa_unpublished_leave_out(WxaTableReader *state, const WxaPeriod *p, const WxaPeriod *all, int n,
						  size_t stride)
{
	int64		key = key_of(p);

	switch (state->config->unpublished)
	{
		case WXA_UNPUBLISHED_ERROR:
			return false;
		case WXA_UNPUBLISHED_SKIP:
			remember_left_out(state, p);
			return true;
		case WXA_UNPUBLISHED_AUTO:
			break;
	}
	if (state->selected && hash_search(state->selected, &key, HASH_FIND, NULL) != NULL)
		return false;
	/* a newer period is published (received before it: newest first), or was not asked for */
	if ((state->has_published && state->newest_published >= p->last) ||
		!newer_ones_all_asked(state, p, all, n, stride))
		return false;
	/* the oldest of the run is the one a later published period proves wrong */
	if (!state->has_pending || p->last < state->pending.last)
		state->pending = *p;
	state->has_pending = true;
	remember_left_out(state, p);
	return true;
}

/*
 * WeChat has published p: a period left out as unpublished that ends before
 * it was not in the newest run after all — a hole WeChat may fill later, not
 * the morning's wait: the query fails.
 */
void
wxa_unpublished_published(WxaTableReader *state, const WxaPeriod *p)
{
	char		pending[32],
				later[32];

	if (!state->has_published || p->last > state->newest_published)
		state->newest_published = p->last;
	state->has_published = true;
	if (!state->has_pending || p->last <= state->pending.last)
		return;
	wxa_describe_period(&state->pending, pending, sizeof(pending));
	wxa_describe_period(p, later, sizeof(later));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("WeChat API request datacube/%s (%s) answered that the period is not published yet, although the later %s is",
					state->ep->api, pending, later),
			 errdetail("Only the newest periods up to yesterday are left out while unpublished (option unpublished 'auto', server \"%s\").",
					   state->config->server_name),
			 errhint("Query that period again later, or set the option unpublished to 'skip' to leave out every unpublished period.")));
}

/* A new (re)scan or batch: the run is judged within it. */
void
wxa_unpublished_begin(WxaTableReader *state)
{
	state->has_pending = false;
	state->has_published = false;
}

static int
compare_periods(const void *a, const void *b)
{
	const WxaPeriod *x = a;
	const WxaPeriod *y = b;

	if (x->first != y->first)
		return (x->first > y->first) - (x->first < y->first);
	return (x->days > y->days) - (x->days < y->days);
}

/*
 * The periods left out during the statement, per table, for its one NOTICE:
 * scans hand theirs over when they end (EndForeignScan, within ExecutorEnd),
 * and the ExecutorEnd hook raises the NOTICE once they all have.
 */
typedef struct LeftOutTable
{
	char	   *table;
	char	   *server;
	WxaUnpublished mode;
	WxaPeriod  *periods;
	int			nperiods;
} LeftOutTable;

static LeftOutTable *left_out_tables;	/* in TopMemoryContext */
static int	nleft_out_tables;

/* Hand the scan's left-out periods over to the statement's NOTICE. */
void
wxa_unpublished_notice(WxaTableReader *state)
{
	LeftOutTable *t = NULL;
	MemoryContext old;

	if (state->nleft_out == 0)
		return;
	old = MemoryContextSwitchTo(TopMemoryContext);
	for (int i = 0; i < nleft_out_tables && t == NULL; i++)
		if (strcmp(left_out_tables[i].table, state->table_name) == 0 &&
			strcmp(left_out_tables[i].server, state->config->server_name) == 0)
			t = &left_out_tables[i];
	if (t == NULL)
	{
		left_out_tables = left_out_tables == NULL ? palloc(sizeof(LeftOutTable)) :
			repalloc(left_out_tables, sizeof(LeftOutTable) * (nleft_out_tables + 1));
		t = &left_out_tables[nleft_out_tables++];
		t->table = pstrdup(state->table_name);
		t->server = pstrdup(state->config->server_name);
		t->mode = state->config->unpublished;
		t->periods = NULL;
		t->nperiods = 0;
	}
	for (int i = 0; i < state->nleft_out; i++)
	{
		bool		seen = false;

		for (int j = 0; j < t->nperiods && !seen; j++)
			seen = key_of(&t->periods[j]) == key_of(&state->left_out[i]);
		if (seen)
			continue;
		t->periods = t->periods == NULL ? palloc(sizeof(WxaPeriod)) :
			repalloc(t->periods, sizeof(WxaPeriod) * (t->nperiods + 1));
		t->periods[t->nperiods++] = state->left_out[i];
	}
	MemoryContextSwitchTo(old);
	state->nleft_out = 0;
}

static void
forget_left_out(void)
{
	for (int i = 0; i < nleft_out_tables; i++)
	{
		pfree(left_out_tables[i].table);
		pfree(left_out_tables[i].server);
		if (left_out_tables[i].periods)
			pfree(left_out_tables[i].periods);
	}
	if (left_out_tables)
		pfree(left_out_tables);
	left_out_tables = NULL;
	nleft_out_tables = 0;
}

/* The statement's one NOTICE naming the periods left out, table by table. */
static void
raise_left_out_notice(void)
{
	StringInfoData list;
	StringInfoData tables;
	int			total = 0;

	initStringInfo(&list);
	initStringInfo(&tables);
	appendStringInfoString(&tables, nleft_out_tables > 1 ? "foreign tables " : "foreign table ");
	for (int i = 0; i < nleft_out_tables; i++)
	{
		LeftOutTable *t = &left_out_tables[i];

		qsort(t->periods, t->nperiods, sizeof(WxaPeriod), compare_periods);
		appendStringInfo(&tables, "%s\"%s\"", i ? " and " : "", t->table);
		appendStringInfo(&list, "%sforeign table \"%s\" (server \"%s\", option unpublished '%s'): ",
						 i ? "; " : "", t->table, t->server, wxa_unpublished_name(t->mode));
		for (int j = 0; j < t->nperiods; j++)
		{
			char		when[32];

			wxa_describe_period(&t->periods[j], when, sizeof(when));
			appendStringInfo(&list, "%s%s", j ? ", " : "", when);
		}
		total += t->nperiods;
	}
	forget_left_out();
	ereport(NOTICE,
			(errmsg_plural("%d period of %s is not published yet and was left out",
						   "%d periods of %s are not published yet and were left out",
						   total, total, tables.data),
			 errdetail("Left out: %s.", list.data),
			 errhint("WeChat publishes a day's data the next morning, Beijing time, usually after 10:00; where a query must see every period, set the option unpublished to 'error'.")));
}

static void
executor_end(QueryDesc *queryDesc)
{
	if (prev_executor_end)
		prev_executor_end(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
	if (nleft_out_tables > 0)
		raise_left_out_notice();
}

/* An aborted statement's periods are no later statement's. */
static void
left_out_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		forget_left_out();
}
