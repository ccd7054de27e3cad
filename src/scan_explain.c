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

/*
 * EXPLAIN's "Requests": how many, and the days they cover. periods is an
 * array of nperiods elements of stride bytes, each starting with a WxaPeriod.
 */
void
wxa_describe_requests(StringInfo buf, long planned, int max_requests, int nperiods,
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
void
wxa_explain_texts_at_plan_time(Oid foreigntableid, const WxaEndpoint *ep, List *codes, List *exprs,
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
	if (!wxa_plan_from_values(ep, config, codes, values, nulls, types, periods, &count, &status))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	initStringInfo(&buf);
	wxa_describe_requests(&buf, count, config->max_requests, status == WXA_PLAN_OK ? (int) count : 0,
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

void
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
		wxa_describe_requests(&buf, state->planned, state->config->max_requests,
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

		wxa_store_client_stats(&state->client, &total);
		ExplainPropertyInteger("Requests sent", NULL, total.sent, es);
		ExplainPropertyInteger("Retries", NULL, total.retries, es);
		ExplainPropertyInteger("Token fetches", NULL, total.token_fetches, es);
		ExplainPropertyInteger("Bytes received", "bytes", total.bytes, es);
		if (es->timing)
			ExplainPropertyFloat("Network wait", "ms", total.wait_ms, 1, es);
		if (state->client.persist)
		{
			ExplainPropertyInteger("Periods from store", NULL, state->client.from_store, es);
			ExplainPropertyInteger("Periods fetched", NULL, state->client.fetched, es);
		}
	}
}
