/*
 * wxa_period.c — period planning.
 *
 * Enumeration walks only candidate periods of the right kind (Mondays for
 * weeks, first days for months, end days for portraits), so it never asks for a
 * period that cannot exist, and stops storing at max_periods while still
 * counting (the count goes into the error hint).
 *
 * With ORs the candidates come from the branches of one disjunction whose
 * every branch has a lower bound (the intersection of the bounds met on the
 * way down narrows them); each candidate is checked against the whole
 * restriction, and a period that an earlier branch already produced is
 * skipped, so the union has no duplicates without having to store it.
 */
#include "wxa_period.h"

#include <stdlib.h>
#include <string.h>

void
wxa_restriction_init(WxaRestriction *r)
{
	memset(r, 0, sizeof(*r));
	r->ref.lo = r->end.lo = WXA_DAY_MIN;
	r->ref.hi = r->end.hi = WXA_DAY_MAX;
	r->days_mask = WXA_DAYS_ALL;
}

void
wxa_restriction_free(WxaRestriction *r)	/* NOLINT(misc-no-recursion): as deep as the ORs its caller built */
{
	free(r->ref.values);
	free(r->end.values);
	r->ref.values = r->end.values = NULL;
	for (int i = 0; i < r->nors; i++)
	{
		for (int b = 0; b < r->ors[i].nbranches; b++)
			wxa_restriction_free(&r->ors[i].branches[b]);
		free(r->ors[i].branches);
	}
	free(r->ors);
	r->ors = NULL;
	r->nors = 0;
}

WxaRestriction *
wxa_restriction_add_or(WxaRestriction *r, int n)
{
	WxaDisjunction *ors;
	WxaRestriction *branches;

	if (n < 1)
		return NULL;
	branches = malloc(sizeof(WxaRestriction) * n);
	if (branches == NULL)
		return NULL;
	ors = realloc(r->ors, sizeof(WxaDisjunction) * (r->nors + 1));
	if (ors == NULL)
	{
		free(branches);
		return NULL;
	}
	for (int b = 0; b < n; b++)
		wxa_restriction_init(&branches[b]);
	r->ors = ors;
	r->ors[r->nors].nbranches = n;
	r->ors[r->nors].branches = branches;
	r->nors++;
	return branches;
}

/* Is every branch of the OR true to pred? */
static bool
all_branches(const WxaDisjunction *or, bool (*pred) (const WxaRestriction *))
{
	for (int b = 0; b < or->nbranches; b++)
		if (!pred(&or->branches[b]))
			return false;
	return true;
}

bool
wxa_restriction_restricts_dates(const WxaRestriction *r)	/* NOLINT(misc-no-recursion): as deep as the ORs its caller built */
{
	if (r->ref.restricted || r->end.restricted)
		return true;
	for (int i = 0; i < r->nors; i++)
		if (all_branches(&r->ors[i], wxa_restriction_restricts_dates))
			return true;
	return false;
}

void
wxa_range_compare(WxaDayRange *range, WxaCompare op, wxa_day value)
{
	range->restricted = true;
	switch (op)
	{
		case WXA_CMP_LT:
			if (value - 1 < range->hi)
				range->hi = value - 1;
			break;
		case WXA_CMP_LE:
			if (value < range->hi)
				range->hi = value;
			break;
		case WXA_CMP_GT:
			if (value + 1 > range->lo)
				range->lo = value + 1;
			range->bounded_below = true;
			break;
		case WXA_CMP_GE:
			if (value > range->lo)
				range->lo = value;
			range->bounded_below = true;
			break;
		case WXA_CMP_EQ:
			(void) wxa_range_in(range, &value, 1);
			break;
	}
}

static int
compare_days(const void *a, const void *b)
{
	wxa_day		x = *(const wxa_day *) a;
	wxa_day		y = *(const wxa_day *) b;

	return (x > y) - (x < y);
}

static bool
day_in_set(const WxaDayRange *range, wxa_day d)
{
	return bsearch(&d, range->values, range->nvalues, sizeof(wxa_day), compare_days) != NULL;
}

bool
wxa_range_in(WxaDayRange *range, const wxa_day *values, int n)
{
	wxa_day    *set = malloc(sizeof(wxa_day) * (n > 0 ? n : 1));
	int			kept = 0;

	if (set == NULL)
		return false;
	if (n > 0)
		memcpy(set, values, sizeof(wxa_day) * n);
	qsort(set, n, sizeof(wxa_day), compare_days);
	for (int i = 0; i < n; i++)
	{
		if (kept > 0 && set[kept - 1] == set[i])
			continue;
		/* AND with an earlier set: keep only values in both */
		if (range->has_set && !day_in_set(range, set[i]))
			continue;
		set[kept++] = set[i];
	}
	free(range->values);
	range->values = set;
	range->nvalues = kept;
	range->has_set = true;
	range->restricted = true;
	range->bounded_below = true;
	return true;
}

static unsigned
days_bit(long days)
{
	switch (days)
	{
		case 1:
			return 1u;
		case 7:
			return 2u;
		case 30:
			return 4u;
	}
	return 0u;
}

void
wxa_restriction_days_in(WxaRestriction *r, const long *values, int n)
{
	unsigned	mask = 0;

	for (int i = 0; i < n; i++)
		mask |= days_bit(values[i]);
	r->days_mask &= mask;
}

void
wxa_restriction_days_compare(WxaRestriction *r, WxaCompare op, long value)
{
	static const long windows[] = {1, 7, 30};
	unsigned	mask = 0;

	for (int i = 0; i < 3; i++)
	{
		long		w = windows[i];
		bool		ok = false;

		switch (op)
		{
			case WXA_CMP_LT:
				ok = w < value;
				break;
			case WXA_CMP_LE:
				ok = w <= value;
				break;
			case WXA_CMP_EQ:
				ok = w == value;
				break;
			case WXA_CMP_GE:
				ok = w >= value;
				break;
			case WXA_CMP_GT:
				ok = w > value;
				break;
		}
		if (ok)
			mask |= days_bit(w);
	}
	r->days_mask &= mask;
}

static bool
day_in_range(const WxaDayRange *range, wxa_day d)
{
	if (d < range->lo || d > range->hi)
		return false;
	return !range->has_set || day_in_set(range, d);
}

bool
wxa_period_valid(WxaPeriodKind kind, wxa_day first, wxa_day last)
{
	switch (kind)
	{
		case WXA_PERIOD_DAY:
			return first == last;
		case WXA_PERIOD_WEEK:
			return wxa_day_weekday(first) == 1 && last == first + 6;
		case WXA_PERIOD_MONTH:
			return first == wxa_month_start(first) && last == wxa_month_end(first);
		case WXA_PERIOD_PORTRAIT:
			return last - first == 0 || last - first == 6 || last - first == 29;
	}
	return false;
}

/* Does the period satisfy r, its ORs included? */
static bool
period_matches(const WxaRestriction *r, WxaPeriodKind kind, wxa_day first, wxa_day last)	/* NOLINT(misc-no-recursion): as deep as the ORs its caller built */
{
	if (r->empty)
		return false;
	if (!day_in_range(&r->ref, first) || !day_in_range(&r->end, last))
		return false;
	if (kind == WXA_PERIOD_PORTRAIT && (r->days_mask & days_bit(last - first + 1)) == 0)
		return false;
	for (int i = 0; i < r->nors; i++)
	{
		bool		any = false;

		for (int b = 0; b < r->ors[i].nbranches && !any; b++)
			any = period_matches(&r->ors[i].branches[b], kind, first, last);
		if (!any)
			return false;
	}
	return true;
}

/*
 * The branch of an OR that candidates are being generated from, and the ones
 * around it: a candidate counts under the first branch it satisfies only.
 */
typedef struct BranchPath
{
	const WxaDisjunction *or;
	int			branch;
	const struct BranchPath *up;
} BranchPath;

/* Collects periods, storing at most max of them. */
typedef struct Collector
{
	WxaPeriod  *out;
	int			max;
	long		count;
	const WxaRestriction *root;
	WxaPeriodKind kind;
	wxa_day		yesterday;
	/* why candidates were left out: for wxa_plan_none_reason() */
	bool		too_new;		/* a period that would match has not ended by yesterday */
	bool		misaligned;		/* a day asked for does not begin (or end) a period of the kind */
} Collector;

static void
consider(Collector *c, const BranchPath *path, wxa_day first, wxa_day last)
{
	if (first < WXA_DAY_MIN)
		return;
	if (!wxa_period_valid(c->kind, first, last))
	{
		c->misaligned = true;
		return;
	}
	if (!period_matches(c->root, c->kind, first, last))
		return;
	if (last > c->yesterday)
	{
		c->too_new = true;
		return;
	}
	for (; path; path = path->up)
	{
		if (!period_matches(&path->or->branches[path->branch], c->kind, first, last))
			return;
		for (int b = 0; b < path->branch; b++)
			if (period_matches(&path->or->branches[b], c->kind, first, last))
				return;
	}
	if (c->count < c->max)
	{
		c->out[c->count].first = first;
		c->out[c->count].last = last;
		c->out[c->count].days = last - first + 1;
	}
	c->count++;
}

static wxa_day
max_day(wxa_day a, wxa_day b)
{
	return a > b ? a : b;
}

static wxa_day
min_day(wxa_day a, wxa_day b)
{
	return a < b ? a : b;
}

/* The last day of the period of this kind that starts on first (days for portraits). */
static wxa_day
period_last(WxaPeriodKind kind, wxa_day first, int days)
{
	switch (kind)
	{
		case WXA_PERIOD_DAY:
			return first;
		case WXA_PERIOD_WEEK:
			return first + 6;
		case WXA_PERIOD_MONTH:
			return wxa_month_end(first);
		case WXA_PERIOD_PORTRAIT:
			return first + days - 1;
	}
	return first;
}

/*
 * Walk candidate first days: the ref_date set if there is one, otherwise the
 * aligned range of starts allowed by both columns' bounds. ref and end are
 * what generates candidates; consider() checks the whole restriction.
 */
static void
enumerate_by_first(Collector *c, const BranchPath *path, const WxaDayRange *ref,
				   const WxaDayRange *end, int days)
{
	WxaPeriodKind kind = c->kind;
	int			span = (kind == WXA_PERIOD_MONTH) ? 31 : (kind == WXA_PERIOD_WEEK ? 7 : days);
	wxa_day		lo,
				hi;

	if (ref->has_set)
	{
		for (int i = 0; i < ref->nvalues; i++)
		{
			wxa_day		f = ref->values[i];

			consider(c, path, f, period_last(kind, f, days));
		}
		return;
	}
	if (end->has_set)
	{
		/* Derive each period from its last day. */
		for (int i = 0; i < end->nvalues; i++)
		{
			wxa_day		l = end->values[i];
			wxa_day		f;

			switch (kind)
			{
				case WXA_PERIOD_MONTH:
					f = wxa_month_start(l);
					break;
				case WXA_PERIOD_WEEK:
					f = l - 6;
					break;
				default:
					f = l - (days - 1);
					break;
			}
			consider(c, path, f, l);
		}
		return;
	}

	/* Range of possible first days: ref bounds, end bounds shifted by the span. */
	lo = max_day(ref->lo, end->lo > WXA_DAY_MIN + span ? end->lo - (span - 1) : WXA_DAY_MIN);
	hi = min_day(min_day(ref->hi, end->hi), c->yesterday);
	lo = max_day(lo, WXA_DAY_MIN);
	/* the range goes on after yesterday: what lies there has not been published */
	if (min_day(ref->hi, end->hi) > c->yesterday && lo <= min_day(ref->hi, end->hi))
		c->too_new = true;
	if (lo > hi)
		return;
	switch (kind)
	{
		case WXA_PERIOD_WEEK:
			{
				wxa_day		f = wxa_week_start(lo);

				if (f < lo)
					f += 7;
				if (f > hi)
					c->misaligned = true;
				for (; f <= hi; f += 7)
					consider(c, path, f, f + 6);
			}
			break;
		case WXA_PERIOD_MONTH:
			{
				wxa_day		f = wxa_month_start(lo);

				if (f < lo)
					f = wxa_month_end(lo) + 1;
				if (f > hi)
					c->misaligned = true;
				for (; f <= hi; f = wxa_month_end(f) + 1)
					consider(c, path, f, wxa_month_end(f));
			}
			break;
		default:
			for (wxa_day f = lo; f <= hi; f++)
				consider(c, path, f, f + days - 1);
			break;
	}
}

/*
 * Narrow a generating range by another: the tighter bounds, and a value set
 * from either (the smaller one; consider() checks the other).
 */
static WxaDayRange
narrow(WxaDayRange a, const WxaDayRange *b)
{
	a.lo = max_day(a.lo, b->lo);
	a.hi = min_day(a.hi, b->hi);
	a.bounded_below = a.bounded_below || b->bounded_below;
	a.restricted = a.restricted || b->restricted;
	if (b->has_set && (!a.has_set || b->nvalues < a.nvalues))
	{
		a.has_set = true;
		a.nvalues = b->nvalues;
		a.values = b->values;
	}
	return a;
}

/* Can candidates for r be enumerated from a lower bound, given ref and end so far? */
static bool
bounded(const WxaRestriction *r, const WxaDayRange *ref, const WxaDayRange *end)	/* NOLINT(misc-no-recursion): as deep as the ORs its caller built */
{
	WxaDayRange nref = narrow(*ref, &r->ref);
	WxaDayRange nend = narrow(*end, &r->end);

	if (r->empty || nref.bounded_below || nend.bounded_below)
		return true;
	for (int i = 0; i < r->nors; i++)
	{
		bool		all = true;

		for (int b = 0; b < r->ors[i].nbranches && all; b++)
			all = bounded(&r->ors[i].branches[b], &nref, &nend);
		if (all)
			return true;
	}
	return false;
}

static void
enumerate(Collector *c, const BranchPath *path, const WxaRestriction *r,	/* NOLINT(misc-no-recursion): as deep as the ORs its caller built */
		  const WxaDayRange *ref, const WxaDayRange *end, int days)
{
	WxaDayRange nref = narrow(*ref, &r->ref);
	WxaDayRange nend = narrow(*end, &r->end);

	if (r->empty)
		return;
	if (nref.bounded_below || nend.bounded_below)
	{
		enumerate_by_first(c, path, &nref, &nend, days);
		return;
	}
	for (int i = 0; i < r->nors; i++)
	{
		const WxaDisjunction *or = &r->ors[i];
		bool		all = true;

		for (int b = 0; b < or->nbranches && all; b++)
			all = bounded(&or->branches[b], &nref, &nend);
		if (!all)
			continue;
		for (int b = 0; b < or->nbranches; b++)
		{
			BranchPath	here = {or, b, path};

			enumerate(c, &here, &or->branches[b], &nref, &nend, days);
		}
		return;
	}
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

/* Plan with the collector c (its out, max, kind, root and yesterday set). */
static WxaPlanStatus
plan(Collector *c, long *count)
{
	const WxaRestriction *r = c->root;
	WxaDayRange everything;

	*count = 0;
	if (!wxa_restriction_restricts_dates(r))
		return WXA_PLAN_UNRESTRICTED;
	if (r->empty)
		return WXA_PLAN_OK;
	memset(&everything, 0, sizeof(everything));
	everything.lo = WXA_DAY_MIN;
	everything.hi = WXA_DAY_MAX;
	if (!bounded(r, &everything, &everything))
		return WXA_PLAN_NO_LOWER_BOUND;

	if (c->kind == WXA_PERIOD_PORTRAIT)
	{
		static const int windows[] = {1, 7, 30};

		for (int i = 0; i < 3; i++)
			if (r->days_mask & (1u << i))
				enumerate(c, NULL, r, &everything, &everything, windows[i]);
	}
	else
		enumerate(c, NULL, r, &everything, &everything, 1);
	/* windows and OR branches were walked one after the other: order by ref_date, days */
	if (c->count <= c->max)
		qsort(c->out, c->count, sizeof(WxaPeriod), compare_periods);

	*count = c->count;
	return c->count > c->max ? WXA_PLAN_TOO_MANY : WXA_PLAN_OK;
}

WxaPlanStatus
wxa_plan_periods(WxaPeriodKind kind, const WxaRestriction *r, wxa_day yesterday,
				 int max_periods, WxaPeriod *out, long *count)
{
	Collector	c = {out, max_periods, 0, r, kind, yesterday, false, false};

	return plan(&c, count);
}

WxaPlanNone
wxa_plan_none_reason(WxaPeriodKind kind, const WxaRestriction *r, wxa_day yesterday)
{
	WxaPeriod	unused;
	Collector	c = {&unused, 0, 0, r, kind, yesterday, false, false};
	long		count;

	if (plan(&c, &count) != WXA_PLAN_OK || count > 0)
		return WXA_NONE_NOT_NONE;
	if (c.too_new)
		return WXA_NONE_AFTER_YESTERDAY;
	if (c.misaligned)
		return WXA_NONE_NOT_PERIOD_START;
	if (kind == WXA_PERIOD_PORTRAIT && r->days_mask == 0)
		return WXA_NONE_NO_WINDOW;
	return WXA_NONE_NO_MATCH;
}

/* Does a value set of r, or of an OR branch within it, hold the period's first (ref_date) or last (end_date) day? */
bool
wxa_restriction_selects(const WxaRestriction *r, const WxaPeriod *p)	/* NOLINT(misc-no-recursion): as deep as the ORs its caller built */
{
	if (r->ref.has_set && day_in_set(&r->ref, p->first))
		return true;
	if (r->end.has_set && day_in_set(&r->end, p->last))
		return true;
	for (int i = 0; i < r->nors; i++)
		for (int b = 0; b < r->ors[i].nbranches; b++)
			if (wxa_restriction_selects(&r->ors[i].branches[b], p))
				return true;
	return false;
}

/* The portrait's windows, in the order a walk gives them for one day. */
static const int portrait_windows[] = {1, 7, 30};

void
wxa_walk_init(WxaWalk *walk, WxaPeriodKind kind, wxa_day yesterday, bool by_first)
{
	walk->kind = kind;
	walk->yesterday = yesterday;
	walk->by_first = by_first && kind == WXA_PERIOD_PORTRAIT;
	walk->day = yesterday;
	walk->window = 0;
}

/* The candidate at the walk's position, if the position has one: false to move on a day. */
static bool
walk_candidate(const WxaWalk *w, wxa_day *first, wxa_day *last)
{
	wxa_day		d = w->day;

	switch (w->kind)
	{
		case WXA_PERIOD_DAY:
			*first = *last = d;
			return true;
		case WXA_PERIOD_WEEK:
			*first = d - 6;
			*last = d;
			return wxa_day_weekday(d) == 7;
		case WXA_PERIOD_MONTH:
			*first = wxa_month_start(d);
			*last = d;
			return d == wxa_month_end(d);
		case WXA_PERIOD_PORTRAIT:
			if (w->by_first)
			{
				*first = d;
				*last = d + portrait_windows[w->window] - 1;
			}
			else
			{
				*first = d - (portrait_windows[w->window] - 1);
				*last = d;
			}
			return true;
	}
	return false;
}

/* Step to the next older position. */
static void
walk_step(WxaWalk *w)
{
	if (w->kind == WXA_PERIOD_PORTRAIT && w->window < 2)
	{
		w->window++;
		return;
	}
	w->window = 0;
	/* weeks and months: straight to the last day of the one before */
	if (w->kind == WXA_PERIOD_WEEK && wxa_day_weekday(w->day) != 7)
		w->day = wxa_week_start(w->day) - 1;
	else if (w->kind == WXA_PERIOD_MONTH && w->day != wxa_month_end(w->day))
		w->day = wxa_month_start(w->day) - 1;
	else
		w->day--;
}

int
wxa_walk_back(WxaWalk *walk, const WxaRestriction *r, int max, WxaPeriod *out)
{
	int			n = 0;

	while (n < max && walk->day >= WXA_DAY_MIN)
	{
		wxa_day		first,
					last;

		if (walk_candidate(walk, &first, &last) && first >= WXA_DAY_MIN &&
			last <= walk->yesterday && period_matches(r, walk->kind, first, last))
		{
			out[n].first = first;
			out[n].last = last;
			out[n].days = last - first + 1;
			n++;
		}
		walk_step(walk);
	}
	return n;
}
