/*
 * table_reader.h — one consumer's reading of one wxa_fdw foreign table from
 * the statement's period store (table_reader.c).
 *
 * A reader knows the table's endpoint, credentials and columns and its
 * restriction (codes from quals.c); given the restriction's values it plans
 * the periods, asks the store for them and returns their rows as tuples of
 * the table. Its consumers: the foreign scan (scan_exec.c: the values come
 * from its quals) and the batched join (batched_join.c: one reader per inner
 * table, the values from each outer row), which also collects the periods of
 * many outer rows and has them fetched together (wxa_reader_collect ...).
 *
 * Include after postgres.h and wxa_fdw.h.
 */
#ifndef WXA_TABLE_READER_H
#define WXA_TABLE_READER_H

#include "nodes/execnodes.h"
#include "utils/hsearch.h"
#include "utils/relcache.h"

#include "core/wxa_period.h"
#include "period_store.h"

/* The order of a lazy newest-first scan (scan_lazy.c), or none. */
typedef enum WxaLazyOrder
{
	WXA_LAZY_NONE,				/* no LIMIT stops the scan: it needs a date restriction */
	WXA_LAZY_BY_LAST,			/* newest last day first (ref_date DESC but for the portrait) */
	WXA_LAZY_BY_FIRST			/* the portrait by first day: ref_date DESC */
} WxaLazyOrder;

typedef struct ScanPeriod
{
	WxaPeriod	period;			/* first: describe_requests() reads it */
	WxaStoredPeriod *entry;		/* the store's, once asked for */
} ScanPeriod;

/* A period's rows converted to the table's columns (reader_memo.c). */
typedef struct WxaReadyRows
{
	int			nrows;
	Datum	   *values;			/* nrows x natts */
	bool	   *isnull;
} WxaReadyRows;

typedef struct WxaReaderMemo WxaReaderMemo;
/* A set of restriction values a reader remembers, with its periods (reader_memo.c). */
typedef struct WxaRemembered WxaRemembered;

typedef struct WxaTableReader
{
	MemoryContext context;		/* lives as long as the reader; its reset frees curl/cJSON memory */
	MemoryContextCallback cleanup;
	const WxaEndpoint *ep;
	WxaConfig  *config;
	char	   *table_name;

	/* columns */
	int			natts;
	int		   *att_column;		/* catalog column per attribute, -1 for dropped or not wanted */
	FmgrInfo   *in_functions;
	Oid		   *typioparams;
	int32	   *typmods;
	char	  **type_names;		/* declared column types, for errors (no catalog lookups then) */

	/* restriction */
	List	   *qual_codes;
	int			nvalues;		/* the codes' values */
	Oid		   *qual_types;
	bool		appid_excludes;

	/* the current (re)start */
	MemoryContext scratch_context;	/* planning's allocations, reset at each planning */
	WxaPeriod  *period_buffer;	/* max_requests entries, for the planner */
	bool		started;
	ScanPeriod *periods;
	int			nperiods;
	long		planned;		/* periods matching, even beyond max_requests */
	WxaPlanNone no_requests_why;	/* why none, for EXPLAIN ANALYZE */
	int			current;
	WxaStoredPeriod *pinned;	/* the current period's entry, its rows pinned */
	const WxaStoredRows *rows;	/* its rows */
	const WxaReadyRows *ready;	/* or its rows converted already (reader_memo.c) */
	int			row;

	/* what restarts remember (reader_memo.c) */
	long		starts;
	WxaReaderMemo *memo;

	/* the statement's periods, and this reader as one of their consumers */
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
	bool		lazy;			/* this (re)start walks */
	bool		lazy_done;
	WxaWalk		walk;
	WxaRestriction *walk_restriction;	/* its parts malloc'd: wxa_lazy_free() */
	int			lazy_empty_run; /* periods in a row without rows */

	/* unpublished periods (unpublished.c) */
	HTAB	   *selected;		/* periods an equality selected, of any outer row */
	WxaPeriod  *left_out;		/* for the NOTICE */
	int			nleft_out;
	int			left_out_size;
	bool		has_pending;	/* a period left out in this (re)start: the oldest */
	WxaPeriod	pending;
	bool		has_published;	/* the newest published period of this (re)start */
	wxa_day		newest_published;

	/* the foreign scan's own (scan_exec.c, scan_async.c); unused by other consumers */
	List	   *qual_states;	/* ExprState * of the restriction values */
	bool		has_exec_params;
	MemoryContext plan_context; /* restriction values, reset at each (re)scan */
	bool		would_wait;		/* async: the last fetch stopped where it would have waited */
	double		async_wait_started;	/* async: when the Append began a wait for it, else 0 */
	WxaHttpStats totals;		/* for EXPLAIN ANALYZE: the Append's waits */

	int			attnum_for_error;
	const char *value_for_error;
} WxaTableReader;

/*
 * A reader of rel (opened by the caller) for the statement of estate, with
 * the mapping of userid (InvalidOid: the current user), the restriction codes
 * and the expressions of their values (their types are read here). wanted (NULL: all) marks the attributes the
 * consumer reads: the others stay NULL and cost no input function.
 */
extern WxaTableReader *wxa_reader_begin(EState *estate, Relation rel, Oid userid, List *codes,
										List *value_exprs, bool appid_excludes,
										WxaLazyOrder lazy_order, const bool *wanted);
/* The end of the reader: the NOTICE of periods left out, its memory. */
extern void wxa_reader_end(WxaTableReader *reader);

/*
 * Plan the periods of these restriction values (raising when the plan cannot
 * run) and ask the store for them: what it lacks is sent now, without
 * waiting. The values are read here only.
 */
extern void wxa_reader_start(WxaTableReader *reader, Datum *values, bool *nulls);
/*
 * The next row into slot (a slot of the table's descriptor; empty at the
 * end): true. With wait = false it may instead return false, when the next
 * period's answer is not there yet.
 */
extern bool wxa_reader_next(WxaTableReader *reader, TupleTableSlot *slot, bool wait);
/* Forget the current start (a rescan): its periods stay in the store. */
extern void wxa_reader_reset(WxaTableReader *reader);

/*
 * A batched join's outer rows: the periods these values need that the store
 * lacks. Returns the values as the reader remembers them (they were collected
 * before), or NULL: wxa_reader_start_remembered then starts without them.
 */
extern const WxaRemembered *wxa_reader_collect(WxaTableReader *reader, Datum *values, bool *nulls);
/* wxa_reader_start with values the reader remembers. */
extern void wxa_reader_start_remembered(WxaTableReader *reader, const WxaRemembered *remembered);
extern int	wxa_reader_collected(WxaTableReader *reader);
/* Ask the store for them without waiting; returns how many were sent. */
extern int	wxa_reader_send_collected(WxaTableReader *reader);
/* Wait for them: a failed one fails the join at the batch it belongs to. */
extern void wxa_reader_receive_collected(WxaTableReader *reader);

/* The current (re)start's periods array, made on first use (table_reader.c). */
extern ScanPeriod *wxa_reader_periods(WxaTableReader *reader);
/* Convert row of rows to the table's columns, into slot (table_reader.c). */
extern void wxa_reader_convert_row(WxaTableReader *reader, const WxaStoredRows *rows, int row,
								   TupleTableSlot *slot);

/*
 * reader_memo.c: recall finds values seen before (NULL: not remembered) and
 * apply makes the periods they planned the reader's, with their store
 * entries, without planning or asking the store again; keep remembers the
 * values of the last recall that missed, with the periods planned for them.
 * A WxaRemembered stays valid as long as the reader. ready_rows: a period's
 * rows converted (once), or NULL when the memo is full.
 */
extern const WxaRemembered *wxa_memo_recall(WxaTableReader *reader, Datum *values, bool *nulls);
extern void wxa_memo_apply(WxaTableReader *reader, const WxaRemembered *remembered);
extern void wxa_memo_keep(WxaTableReader *reader);
extern const WxaReadyRows *wxa_memo_ready_rows(WxaTableReader *reader, WxaStoredPeriod *entry,
											   TupleTableSlot *slot);

/*
 * EXPLAIN ANALYZE's traffic of readers[0..n) (NULL ones skipped) and extra
 * (an Append's waits, or NULL): scan_explain.c.
 */
struct ExplainState;
extern void wxa_explain_traffic(WxaTableReader *const *readers, int n, const WxaHttpStats *extra,
								struct ExplainState *es);

#endif
