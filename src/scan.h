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
	FdwScanPrivateLazy,			/* Integer: WxaLazyOrder */
	FdwScanPrivateDriven		/* present when a batched join supplies the values (wxa_plan_drive) */
};

/* The order of a lazy newest-first scan (scan_lazy.c), or none. */
typedef enum WxaLazyOrder
{
	WXA_LAZY_NONE,				/* no LIMIT stops the scan: it needs a date restriction */
	WXA_LAZY_BY_LAST,			/* newest last day first (ref_date DESC but for the portrait) */
	WXA_LAZY_BY_FIRST			/* the portrait by first day: ref_date DESC */
} WxaLazyOrder;

/* baserel->fdw_private while planning */
typedef struct WxaPlanInfo
{
	const WxaEndpoint *ep;
	List	   *quals;			/* WxaQual * from baserestrictinfo */
	double		requests;		/* estimated */
	bool		appid_excludes; /* a condition on appid rules this server out: no request */
	bool		async_capable;
	WxaLazyOrder lazy;			/* may a LIMIT stop a scan without (a lower bound of) dates */
	List	   *lazy_pathkeys;	/* the order a scan without dates gives the query */
} WxaPlanInfo;

typedef struct ScanPeriod
{
	WxaPeriod	period;			/* first: describe_requests() reads it */
	WxaStoredPeriod *entry;		/* the store's, once asked for */
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
	WxaPlanNone no_requests_why;	/* why none, for EXPLAIN ANALYZE */
	int			current;
	WxaStoredPeriod *pinned;	/* the current period's entry, its rows pinned */
	const WxaStoredRows *rows;	/* its rows */
	int			row;

	/* the statement's periods, and this scan as one of their consumers */
	WxaPeriodStore *store;
	WxaStoreClient client;

	/* periods of the whole query: max_requests bounds them */
	long		requested;
	/* periods collected for a batched join's next fetch */
	HTAB	   *collected;
	WxaPeriod  *collected_periods;
	int			ncollected;
	int			collected_size;
	WxaStoredPeriod **collected_entries;	/* their entries, until received */

	/* the lazy newest-first scan (scan_lazy.c) */
	WxaLazyOrder lazy_order;	/* the plan's */
	bool		lazy;			/* this (re)scan walks */
	bool		lazy_done;
	WxaWalk		walk;
	WxaRestriction *walk_restriction;	/* its parts malloc'd: wxa_lazy_free() */
	int			lazy_empty_run; /* periods in a row without rows */

	/* unpublished periods (unpublished.c) */
	HTAB	   *selected;		/* periods an equality selected, of any outer row */
	WxaPeriod  *left_out;		/* for the NOTICE */
	int			nleft_out;
	int			left_out_size;
	bool		has_pending;	/* a period left out in this (re)scan: the oldest */
	WxaPeriod	pending;
	bool		has_published;	/* the newest published period of this (re)scan */
	wxa_day		newest_published;

	/* for EXPLAIN ANALYZE: the Append's waits (scan_async.c) */
	WxaHttpStats totals;
	int			attnum_for_error;
	const char *value_for_error;
} WxaScanState;

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

extern bool wxa_lazy_start(WxaScanState *state, Datum *values, bool *nulls);
extern bool wxa_lazy_next_wave(WxaScanState *state);
extern void wxa_lazy_saw(WxaScanState *state, int nrows);
extern void wxa_lazy_free(WxaScanState *state);

/* unpublished.c */
extern void wxa_unpublished_init(void);
extern bool wxa_unpublished_error(const WxaError *err);
extern bool wxa_empty_answer_unpublished(const WxaPeriod *p);
extern void wxa_unpublished_note_selected(WxaScanState *state, Datum *values, bool *nulls,
										  const WxaPeriod *periods, int n, size_t stride);
extern bool wxa_unpublished_leave_out(WxaScanState *state, const WxaPeriod *p,
									  const WxaPeriod *all, int n, size_t stride);
extern void wxa_unpublished_published(WxaScanState *state, const WxaPeriod *p);
extern void wxa_unpublished_begin(WxaScanState *state);
extern void wxa_unpublished_notice(WxaScanState *state);

#ifdef WXA_HAVE_ASYNC_FDW
/* scan_async.c */
extern bool wxaIsForeignPathAsyncCapable(ForeignPath *path);
extern void wxaForeignAsyncRequest(AsyncRequest *areq);
extern void wxaForeignAsyncConfigureWait(AsyncRequest *areq);
extern void wxaForeignAsyncNotify(AsyncRequest *areq);
#endif

#endif
