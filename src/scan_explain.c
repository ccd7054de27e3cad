/*
 * scan_explain.c — EXPLAIN of a wxa_fdw scan: the API called and the planned
 * requests (computed at plan time for constant restrictions, so that plain
 * EXPLAIN evaluates nothing), and under ANALYZE what the scan sent and received.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "commands/explain.h"
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/primnodes.h"

#include "core/wxa_api.h"

/* Periods listed one by one in EXPLAIN's "Requests" before "and N more". */
#define WXA_EXPLAIN_LISTED 10

#define PERIOD_AT(periods, stride, i) ((const WxaPeriod *) ((const char *) (periods) + (i) * (stride)))

/* Do the periods (ordered by first day) cover one unbroken run of days? */
static bool
periods_contiguous(int nperiods, const void *periods, size_t stride)
{
	wxa_day		covered = PERIOD_AT(periods, stride, 0)->last;

	for (int i = 1; i < nperiods; i++)
	{
		const WxaPeriod *p = PERIOD_AT(periods, stride, i);

		if (p->first > covered + 1)
			return false;
		if (p->last > covered)
			covered = p->last;
	}
	return true;
}

/*
 * EXPLAIN's "Requests": how many, and the days they cover: one range when
 * they are an unbroken run of days, else (and for value lists, by_value) the
 * periods one by one. periods is an array of nperiods elements of stride
 * bytes, each starting with a WxaPeriod.
 */
void
wxa_describe_requests(StringInfo buf, long planned, int max_requests, int nperiods,
					  const void *periods, size_t stride, bool by_value)
{
	appendStringInfo(buf, "%ld", planned);
	if (planned > max_requests)
		appendStringInfo(buf, " (more than max_requests %d: the scan would fail)", max_requests);
	else if (nperiods == 1 || (nperiods > 1 && (by_value || !periods_contiguous(nperiods, periods, stride))))
	{
		int			listed = nperiods < WXA_EXPLAIN_LISTED ? nperiods : WXA_EXPLAIN_LISTED;

		appendStringInfoString(buf, " (");
		for (int i = 0; i < listed; i++)
		{
			char		when[32];

			wxa_describe_period(PERIOD_AT(periods, stride, i), when, sizeof(when));
			appendStringInfo(buf, "%s%s", i ? ", " : "", when);
		}
		if (nperiods > listed)
			appendStringInfo(buf, " and %d more", nperiods - listed);
		appendStringInfoChar(buf, ')');
	}
	else if (nperiods > 0)
	{
		char		first[11],
					last[11];
		wxa_day		lo = PERIOD_AT(periods, stride, 0)->first;
		wxa_day		hi = PERIOD_AT(periods, stride, 0)->last;

		/* periods are ordered by first day: a longer portrait window may end later */
		for (int i = 1; i < nperiods; i++)
			if (PERIOD_AT(periods, stride, i)->last > hi)
				hi = PERIOD_AT(periods, stride, i)->last;
		wxa_day_format_iso(lo, first);
		wxa_day_format_iso(hi, last);
		appendStringInfo(buf, " (%s .. %s)", first, last);
	}
}

/* Does the restriction list values (IN, = ANY, or equalities ORed)? Then EXPLAIN lists periods. */
bool
wxa_quals_list_values(List *codes)
{
	ListCell   *lc;

	foreach(lc, codes)
	{
		int			code = lfirst_int(lc);

		if (WXA_QUAL_CODE_IS_OR(code) ||
			(code >= 0 && WXA_QUAL_CODE_OP(code) == WXA_QUAL_OP_IN &&
			 WXA_QUAL_CODE_TARGET(code) != WXA_QUAL_DAYS))
			return true;
	}
	return false;
}

/* Why restriction values that bound the dates give no period (WXA_NONE_NOT_NONE: they do give some). */
WxaPlanNone
wxa_no_requests_why(const WxaEndpoint *ep, const WxaConfig *config, List *codes,
					Datum *values, bool *nulls, Oid *types)
{
	WxaRestriction r;
	WxaPlanNone reason;

	if (!wxa_restriction_build(&r, codes, values, nulls, types))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	reason = wxa_plan_none_reason(ep->period, &r, wxa_statement_yesterday(config->timezone));
	wxa_restriction_free(&r);
	return reason;
}

/*
 * Append to "Requests: 0" why. No date in it: plain EXPLAIN's output does not
 * change from one day to the next.
 */
static void
append_no_requests_reason(StringInfo buf, const WxaEndpoint *ep, const WxaConfig *config,
						  WxaPlanNone reason)
{
	switch (reason)
	{
		case WXA_NONE_NOT_NONE:
			break;
		case WXA_NONE_AFTER_YESTERDAY:
			appendStringInfo(buf, " (the %ss asked for end after yesterday in %s: not published yet)",
							 wxa_period_kind_name(ep->period), config->timezone);
			break;
		case WXA_NONE_NOT_PERIOD_START:
			appendStringInfoString(buf, ep->period == WXA_PERIOD_WEEK ?
								   " (no week begins or ends on the days asked for: weeks run from Monday to Sunday)" :
								   " (no month begins or ends on the days asked for: months are calendar months)");
			break;
		case WXA_NONE_NO_WINDOW:
			appendStringInfoString(buf, " (the portrait's windows are of 1, 7 and 30 days only)");
			break;
		case WXA_NONE_NO_MATCH:
			appendStringInfoString(buf, " (no period can match: the conditions contradict each other or compare with NULL)");
			break;
	}
}

/*
 * EXPLAIN's texts for a plan whose restriction values are all constants,
 * computed now so that plain EXPLAIN needs to evaluate nothing. Both stay
 * empty when a value is known only at run time. lazy: the text of the lazy
 * scan a restriction without a lower bound becomes, or NULL.
 */
void
wxa_explain_texts_at_plan_time(Oid foreigntableid, const WxaEndpoint *ep, List *codes, List *exprs,
							   const char *lazy, char **requests, char **first_body)
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
	if (!wxa_plan_from_values(ep, config, codes, values, nulls, types, periods, &count, &status))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	/* no lower bound, but a LIMIT over the scan: the lazy scan's own text */
	if (lazy && status == WXA_PLAN_NO_LOWER_BOUND)
	{
		*requests = pstrdup(lazy);
		return;
	}
	initStringInfo(&buf);
	wxa_describe_requests(&buf, count, config->max_requests, status == WXA_PLAN_OK ? (int) count : 0,
						  periods, sizeof(WxaPeriod), wxa_quals_list_values(codes));
	if (status == WXA_PLAN_OK && count == 0)
		append_no_requests_reason(&buf, ep, config,
								  wxa_no_requests_why(ep, config, codes, values, nulls, types));
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

void
wxaExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	WxaTableReader *state = node->fdw_state;	/* NULL under plain EXPLAIN */
	const char *requests = strVal(list_nth(plan->fdw_private, FdwScanPrivateRequests));
	const char *first_body = strVal(list_nth(plan->fdw_private, FdwScanPrivateFirstBody));
	char		api[160];

	snprintf(api, sizeof(api), "datacube/%s",
			 wxa_endpoint_by_name(strVal(list_nth(plan->fdw_private, FdwScanPrivateEndpoint)))->api);
	ExplainPropertyText("WeChat API", api, es);
	/* after a run (ANALYZE), what was planned then: run-time values included */
	if (state && state->periods && !state->has_exec_params && !state->lazy)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		wxa_describe_requests(&buf, state->planned, state->config->max_requests,
							  state->nperiods, state->periods, sizeof(ScanPeriod),
							  wxa_quals_list_values(state->qual_codes));
		if (state->planned == 0)
			append_no_requests_reason(&buf, state->ep, state->config, state->no_requests_why);
		requests = buf.data;
	}
	/* a parameterized scan plans anew for every outer row */
	ExplainPropertyText("Requests", requests[0] ? requests : "determined at run time", es);
	if (es->verbose && first_body[0])
		ExplainPropertyText("First request body", first_body, es);
	if (es->analyze && state)
		wxa_explain_traffic(&state, 1, &state->totals, es);
}

/* What the readers sent and received, and with the store on, where their periods came from. */
void
wxa_explain_traffic(WxaTableReader *const *readers, int n, const WxaHttpStats *extra,
					ExplainState *es)
{
	WxaHttpStats total = {0};
	bool		persist = false;
	long		from_store = 0;
	long		fetched = 0;

	if (extra)
		total = *extra;
	for (int i = 0; i < n; i++)
	{
		if (readers[i] == NULL)
			continue;
		wxa_store_client_stats(&readers[i]->client, &total);
		persist = persist || readers[i]->client.persist;
		from_store += readers[i]->client.from_store;
		fetched += readers[i]->client.fetched;
	}
	ExplainPropertyInteger("Requests sent", NULL, total.sent, es);
	ExplainPropertyInteger("Retries", NULL, total.retries, es);
	ExplainPropertyInteger("Token fetches", NULL, total.token_fetches, es);
	ExplainPropertyInteger("Bytes received", "bytes", total.bytes, es);
	if (es->timing)
		ExplainPropertyFloat("Network wait", "ms", total.wait_ms, 1, es);
	if (persist)
	{
		ExplainPropertyInteger("Periods from store", NULL, from_store, es);
		ExplainPropertyInteger("Periods fetched", NULL, fetched, es);
	}
}
