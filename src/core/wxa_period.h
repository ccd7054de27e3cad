/*
 * wxa_period.h — from date restrictions to the list of API periods to request.
 *
 * A restriction is what the WHERE clause says about ref_date, end_date and
 * (for the portrait) days: bounds and value sets, combined with AND, and ORs
 * of such restrictions (ref_date = A OR ref_date BETWEEN b AND c), each a
 * disjunction whose branches are restrictions themselves. Planning enumerates
 * exactly the periods of the endpoint's kind that can satisfy it and have
 * already ended (last day <= yesterday), sorted and without duplicates.
 */
#ifndef WXA_PERIOD_H
#define WXA_PERIOD_H

#include <stdbool.h>

#include "wxa_catalog.h"
#include "wxa_date.h"

typedef struct WxaPeriod
{
	wxa_day		first;			/* ref_date */
	wxa_day		last;			/* end_date */
	int			days;			/* last - first + 1 */
} WxaPeriod;

typedef enum WxaCompare
{
	WXA_CMP_LT,
	WXA_CMP_LE,
	WXA_CMP_EQ,
	WXA_CMP_GE,
	WXA_CMP_GT
} WxaCompare;

/* What is known about one date column. */
typedef struct WxaDayRange
{
	wxa_day		lo;				/* inclusive */
	wxa_day		hi;				/* inclusive */
	bool		bounded_below;	/* a lower bound or a value set was given */
	bool		restricted;		/* anything at all was given */
	bool		has_set;		/* values[] further restricts */
	int			nvalues;
	wxa_day    *values;			/* sorted, unique; malloc'd */
} WxaDayRange;

typedef struct WxaRestriction WxaRestriction;

/* OR: a period satisfies it when it satisfies at least one branch. */
typedef struct WxaDisjunction
{
	int			nbranches;
	WxaRestriction *branches;	/* malloc'd */
} WxaDisjunction;

struct WxaRestriction
{
	WxaDayRange ref;
	WxaDayRange end;
	unsigned	days_mask;		/* bit per portrait window: 1 = 1 day, 2 = 7, 4 = 30 */
	bool		empty;			/* contradiction known up front (e.g. = NULL) */
	int			nors;			/* ANDed with the above */
	WxaDisjunction *ors;		/* malloc'd */
};

#define WXA_DAYS_ALL 7u

void		wxa_restriction_init(WxaRestriction *r);
void		wxa_restriction_free(WxaRestriction *r);
/*
 * AND an OR of n branches to r. The branches start unrestricted (as after
 * wxa_restriction_init) for the caller to fill; they belong to r. Returns
 * the first branch, or NULL when out of memory.
 */
WxaRestriction *wxa_restriction_add_or(WxaRestriction *r, int n);
/* Does the restriction (its ORs included) bound any date column at all? */
bool		wxa_restriction_restricts_dates(const WxaRestriction *r);
/* Column comparison: range->col OP value. */
void		wxa_range_compare(WxaDayRange *range, WxaCompare op, wxa_day value);
/* Column = ANY(values); n may be 0 (no row can match). Returns false on out of memory. */
bool		wxa_range_in(WxaDayRange *range, const wxa_day *values, int n);
/* days = ANY(values): keeps only 1, 7, 30. */
void		wxa_restriction_days_in(WxaRestriction *r, const long *values, int n);
/* days OP value. */
void		wxa_restriction_days_compare(WxaRestriction *r, WxaCompare op, long value);

typedef enum WxaPlanStatus
{
	WXA_PLAN_OK,
	WXA_PLAN_UNRESTRICTED,		/* no restriction on any date column */
	WXA_PLAN_NO_LOWER_BOUND,	/* restricted, but open towards the past */
	WXA_PLAN_TOO_MANY			/* more periods than max_periods */
} WxaPlanStatus;

/*
 * Enumerate the periods. out must hold max_periods entries; *count gets the
 * number of periods that match (which may exceed max_periods, in which case
 * status is WXA_PLAN_TOO_MANY and out holds the first max_periods).
 */
WxaPlanStatus wxa_plan_periods(WxaPeriodKind kind, const WxaRestriction *r,
							   wxa_day yesterday, int max_periods,
							   WxaPeriod *out, long *count);

/* Why a restriction that bounds the dates matches no period at all. */
typedef enum WxaPlanNone
{
	WXA_NONE_NOT_NONE,			/* it matches periods (or cannot be planned) */
	WXA_NONE_AFTER_YESTERDAY,	/* the periods asked for end after yesterday */
	WXA_NONE_NOT_PERIOD_START,	/* no day asked for begins (ends) a week or month */
	WXA_NONE_NO_WINDOW,			/* the portrait has no window of the days asked for */
	WXA_NONE_NO_MATCH			/* the conditions contradict each other, or compare with NULL */
} WxaPlanNone;

WxaPlanNone wxa_plan_none_reason(WxaPeriodKind kind, const WxaRestriction *r, wxa_day yesterday);

/*
 * Does an equality (=, IN, = ANY, in any OR branch) select this period: its
 * first day among the ref_date values, or its last among the end_date values?
 * Range bounds never select.
 */
bool		wxa_restriction_selects(const WxaRestriction *r, const WxaPeriod *p);

/*
 * The lazy scan's walk: the periods that match a restriction, newest first,
 * from yesterday back — by last day (all the portrait's windows ending on a
 * day, 1, 7 then 30 days), or for the portrait by_first, by first day (the
 * order of ref_date DESC). wxa_walk_back() gives the next at most max of
 * them; 0 when the walk has passed the first day the API can hold.
 */
typedef struct WxaWalk
{
	WxaPeriodKind kind;
	wxa_day		yesterday;
	bool		by_first;
	wxa_day		day;			/* the position: a last day (a first day when by_first) */
	int			window;			/* the portrait's window at that day */
} WxaWalk;

void		wxa_walk_init(WxaWalk *walk, WxaPeriodKind kind, wxa_day yesterday, bool by_first);
int			wxa_walk_back(WxaWalk *walk, const WxaRestriction *r, int max, WxaPeriod *out);

/* Is this (first, last) a valid period of the kind? */
bool		wxa_period_valid(WxaPeriodKind kind, wxa_day first, wxa_day last);

#endif
