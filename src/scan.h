/*
 * scan.h — what the files of the foreign scan share:
 *
 *   scan_plan.c     planning: restrictions, paths and their costs, the plan
 *   scan_exec.c     execution: periods, requests, rows
 *   scan_async.c    asynchronous execution under an Append
 *   scan_explain.c  EXPLAIN
 *
 * wxa_fdw.c (the module and the handler) puts the callbacks together.
 * Include after postgres.h and wxa_fdw.h.
 */
#ifndef WXA_SCAN_H
#define WXA_SCAN_H

#include "commands/explain.h"
#if PG_VERSION_NUM >= 180000
#include "commands/explain_state.h"
#endif
#if PG_VERSION_NUM >= 180000
#include "commands/explain_state.h"
#endif
#include "utils/hsearch.h"

#include "core/wxa_response.h"
#include "period_store.h"
#include "table_reader.h"

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
/* Requests assumed for a lower bound known only at run time (a month's days). */
#define WXA_UNKNOWN_REQUESTS 30
/* Requests assumed for "= ANY(array)" with an array known only at run time. */
#define WXA_UNKNOWN_IN_REQUESTS 3
/* Requests a scan without a lower bound is priced at (besides WXA_UNRESTRICTED_COST). */
#define WXA_UNBOUNDED_REQUESTS 1000
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
	FdwScanPrivateLazy			/* Integer: WxaLazyOrder */
};


/* baserel->fdw_private while planning */
typedef struct WxaPlanInfo
{
	Oid			foreigntableid;
	const WxaEndpoint *ep;
	List	   *quals;			/* WxaQual * from baserestrictinfo */
	double		requests;		/* estimated; INFINITY when the quals give no lower bound */
	bool		appid_excludes; /* a condition on appid rules this server out: no request */
	bool		async_capable;
	WxaLazyOrder lazy;			/* may a LIMIT stop a scan without (a lower bound of) dates */
	double		lazy_requests;	/* estimated for such a scan when lazy */
	List	   *lazy_pathkeys;	/* the order a scan without dates gives the query */
} WxaPlanInfo;


/* scan_plan.c */
extern void wxaGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
extern void wxaGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
extern ForeignScan *wxaGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
									  ForeignPath *best_path, List *tlist, List *scan_clauses,
									  Plan *outer_plan);
extern const char *wxa_example_where(const WxaEndpoint *ep);
extern bool wxa_plan_from_values(const WxaEndpoint *ep, const WxaConfig *config, List *codes,
								 Datum *values, bool *nulls, Oid *types,
								 WxaPeriod *periods, long *count, WxaPlanStatus *status);

/* scan_exec.c */
extern void wxaBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *wxaIterateForeignScan(ForeignScanState *node);
extern void wxaReScanForeignScan(ForeignScanState *node);
extern void wxaEndForeignScan(ForeignScanState *node);
/* table_reader.c */
extern void wxa_describe_period(const WxaPeriod *p, char *buf, size_t size);

/* scan_explain.c */
extern void wxaExplainForeignScan(ForeignScanState *node, ExplainState *es);
extern void wxa_describe_requests(StringInfo buf, long planned, int max_requests, int nperiods,
								  const void *periods, size_t stride, bool by_value);
extern bool wxa_quals_list_values(List *codes);
extern WxaPlanNone wxa_no_requests_why(const WxaEndpoint *ep, const WxaConfig *config, List *codes,
									   Datum *values, bool *nulls, Oid *types);
extern void wxa_explain_texts_at_plan_time(Oid foreigntableid, const WxaEndpoint *ep, List *codes,
										   List *exprs, const char *lazy, char **requests,
										   char **first_body);

/* scan_lazy.c */
extern WxaLazyOrder wxa_lazy_order(PlannerInfo *root, RelOptInfo *baserel, const WxaEndpoint *ep,
								   List **pathkeys);
extern double wxa_lazy_requests(PlannerInfo *root, const WxaEndpoint *ep, const WxaConfig *config);

extern bool wxa_lazy_start(WxaTableReader *state, Datum *values, bool *nulls);
extern bool wxa_lazy_next_wave(WxaTableReader *state);
extern void wxa_lazy_saw(WxaTableReader *state, int nrows);
extern void wxa_lazy_free(WxaTableReader *state);

/* unpublished.c */
extern void wxa_unpublished_init(void);
extern bool wxa_unpublished_error(const WxaError *err);
extern bool wxa_empty_answer_unpublished(const WxaPeriod *p);
extern void wxa_unpublished_note_selected(WxaTableReader *state, Datum *values, bool *nulls,
										  const WxaPeriod *periods, int n, size_t stride);
extern bool wxa_unpublished_leave_out(WxaTableReader *state, const WxaPeriod *p,
									  const WxaPeriod *all, int n, size_t stride);
extern void wxa_unpublished_published(WxaTableReader *state, const WxaPeriod *p);
extern void wxa_unpublished_begin(WxaTableReader *state);
extern void wxa_unpublished_notice(WxaTableReader *state);

#ifdef WXA_HAVE_ASYNC_FDW
/* scan_async.c */
extern bool wxaIsForeignPathAsyncCapable(ForeignPath *path);
extern void wxaForeignAsyncRequest(AsyncRequest *areq);
extern void wxaForeignAsyncConfigureWait(AsyncRequest *areq);
extern void wxaForeignAsyncNotify(AsyncRequest *areq);
#endif

#endif
