/*
 * fuzz_period.c — period planning from a restriction decoded from the input.
 *
 * Input (any bytes decode; missing ones read as 0):
 *   byte 0       period kind (day, week, month, portrait)
 *   bytes 1..3   yesterday, as an offset from 0001-01-01
 *   bytes 4..5   max_periods - 1 (modulo 4096)
 *   then conditions, each a byte (target << 4 | op) and its value:
 *     target % 3: ref_date, end_date, days
 *     op % 8:     <, <=, =, >=, >, IN (a count byte, then that many values), = NULL,
 *                 OR: a byte, 1 + (% 3) branches, then per branch a count byte
 *                 (% 4 conditions) and that many conditions (ORs nest 3 deep)
 *   a date value: a tag byte (% 16) and an int16: yesterday + int16 / 16 for
 *   tags 0..11, yesterday + int16 for 12 and 13, near either edge of the
 *   calendar for 14 and 15; clamped like src/quals.c clamps dates. A days
 *   value: an int16.
 *
 * The restriction is built the way wxa_restriction_build builds it. The plan
 * is checked against its invariants and, when the window of possible first
 * days is small, against a brute-force enumeration.
 */
#include "fuzz.h"

#include "wxa_period.h"

#define ORACLE_WINDOW 1000		/* first days a brute-force check walks at most */
#define MAX_IN_VALUES 16

enum
{
	TARGET_REF,
	TARGET_END,
	TARGET_DAYS
};

enum
{
	OP_IN = 5,
	OP_NULL = 6,
	OP_OR = 7
};

#define MAX_OR_DEPTH 3

static wxa_day
clamp(long d)
{
	if (d < WXA_DAY_MIN - 1)
		return WXA_DAY_MIN - 1;
	if (d > WXA_DAY_MAX + 1)
		return WXA_DAY_MAX + 1;
	return (wxa_day) d;
}

/*
 * Mostly within a few years of yesterday: planning counts every period of an
 * open range, and ranges of decades or from an edge of the calendar make each
 * run take milliseconds.
 */
static wxa_day
read_day(FuzzReader *in, wxa_day yesterday)
{
	unsigned	tag = fuzz_u8(in) % 16;
	unsigned	v = fuzz_u16(in);

	switch (tag)
	{
		case 12:
		case 13:
			return clamp((long) yesterday + (int16_t) v);
		case 14:
			return clamp((long) WXA_DAY_MIN - 1 + v);
		case 15:
			return clamp((long) WXA_DAY_MAX + 1 - v);
		default:
			return clamp((long) yesterday + (int16_t) v / 16);
	}
}

/* One condition, as add_value and wxa_restriction_build apply it. */
static bool
add_condition(FuzzReader *in, WxaRestriction *r, wxa_day yesterday, int depth)	/* NOLINT(misc-no-recursion): stops at MAX_OR_DEPTH */
{
	unsigned	b = fuzz_u8(in);
	int			target = (b >> 4) % 3;
	int			op = (b & 15) % 8;
	WxaDayRange *range = target == TARGET_END ? &r->end : &r->ref;

	if (op == OP_OR)
	{
		int			n = 1 + fuzz_u8(in) % 3;
		WxaRestriction *branches;

		if (depth >= MAX_OR_DEPTH)
			return true;
		branches = wxa_restriction_add_or(r, n);
		if (branches == NULL)
			return false;
		for (int i = 0; i < n; i++)
		{
			int			conditions = fuzz_u8(in) % 4;

			for (int c = 0; c < conditions; c++)
				if (!add_condition(in, &branches[i], yesterday, depth + 1))
					return false;
		}
		return true;
	}

	if (target != TARGET_DAYS)
	{
		range->restricted = true;
		if (op == OP_NULL)
			range->bounded_below = true;
	}
	if (op == OP_NULL)
	{
		r->empty = true;
		return true;
	}
	if (op == OP_IN)
	{
		int			n = fuzz_u8(in) % (MAX_IN_VALUES + 1);

		if (target == TARGET_DAYS)
		{
			long		values[MAX_IN_VALUES];

			for (int i = 0; i < n; i++)
				values[i] = (int16_t) fuzz_u16(in);
			wxa_restriction_days_in(r, values, n);
			return true;
		}
		else
		{
			wxa_day		values[MAX_IN_VALUES];

			for (int i = 0; i < n; i++)
				values[i] = read_day(in, yesterday);
			return wxa_range_in(range, values, n);
		}
	}
	if (target == TARGET_DAYS)
		wxa_restriction_days_compare(r, (WxaCompare) op, (int16_t) fuzz_u16(in));
	else
		wxa_range_compare(range, (WxaCompare) op, read_day(in, yesterday));
	return true;
}

/* Membership, written independently of the planner: a linear scan. */
static bool
in_range(const WxaDayRange *range, wxa_day d)
{
	if (d < range->lo || d > range->hi)
		return false;
	if (!range->has_set)
		return true;
	for (int i = 0; i < range->nvalues; i++)
		if (range->values[i] == d)
			return true;
	return false;
}

static bool
days_allowed(WxaPeriodKind kind, const WxaRestriction *r, int days)
{
	if (kind != WXA_PERIOD_PORTRAIT)
		return true;
	return (days == 1 && (r->days_mask & 1u)) || (days == 7 && (r->days_mask & 2u)) ||
		(days == 30 && (r->days_mask & 4u));
}

/* Does (first, last) satisfy r and its ORs? */
static bool
satisfies(WxaPeriodKind kind, const WxaRestriction *r, wxa_day first, wxa_day last)	/* NOLINT(misc-no-recursion): as deep as add_condition nests */
{
	if (r->empty || !in_range(&r->ref, first) || !in_range(&r->end, last) ||
		!days_allowed(kind, r, last - first + 1))
		return false;
	for (int i = 0; i < r->nors; i++)
	{
		bool		any = false;

		for (int b = 0; b < r->ors[i].nbranches; b++)
			any = any || satisfies(kind, &r->ors[i].branches[b], first, last);
		if (!any)
			return false;
	}
	return true;
}

/* A date column restricted: here, or in every branch of one of the ORs. */
static bool
restricts(const WxaRestriction *r)	/* NOLINT(misc-no-recursion): as deep as add_condition nests */
{
	bool		yes = r->ref.restricted || r->end.restricted;

	for (int i = 0; i < r->nors && !yes; i++)
	{
		bool		all = true;

		for (int b = 0; b < r->ors[i].nbranches; b++)
			all = all && restricts(&r->ors[i].branches[b]);
		yes = all;
	}
	return yes;
}

/* A lower bound on every path: here or above (from), or in every branch of one OR. */
static bool
has_lower_bound(const WxaRestriction *r, bool from_above)	/* NOLINT(misc-no-recursion): as deep as add_condition nests */
{
	bool		here = from_above || r->empty || r->ref.bounded_below || r->end.bounded_below;
	bool		yes = here;

	for (int i = 0; i < r->nors && !yes; i++)
	{
		bool		all = true;

		for (int b = 0; b < r->ors[i].nbranches; b++)
			all = all && has_lower_bound(&r->ors[i].branches[b], here);
		yes = all;
	}
	return yes;
}

static void
check_period(WxaPeriodKind kind, const WxaRestriction *r, wxa_day yesterday, const WxaPeriod *p)
{
	FUZZ_CHECK(p->days == p->last - p->first + 1);
	FUZZ_CHECK(wxa_period_valid(kind, p->first, p->last));
	FUZZ_CHECK(p->first >= WXA_DAY_MIN && p->last <= yesterday);
	FUZZ_CHECK(satisfies(kind, r, p->first, p->last));
}

/*
 * Every period of the kind whose first day lies in [lo, hi], tried one by one;
 * returns how many satisfy the restriction and checks they are out[] in order.
 */
static long
brute_force(WxaPeriodKind kind, const WxaRestriction *r, wxa_day yesterday,
			wxa_day lo, wxa_day hi, const WxaPeriod *out, long stored)
{
	long		n = 0;

	for (wxa_day f = lo; f <= hi; f++)
	{
		static const int windows[] = {1, 7, 30};

		for (int w = 0; w < 3; w++)
		{
			wxa_day		l;

			switch (kind)
			{
				case WXA_PERIOD_DAY:
					l = w == 0 ? f : WXA_DAY_MIN - 1;
					break;
				case WXA_PERIOD_WEEK:
					l = w == 0 ? f + 6 : WXA_DAY_MIN - 1;
					break;
				case WXA_PERIOD_MONTH:
					l = w == 0 ? wxa_month_end(f) : WXA_DAY_MIN - 1;
					break;
				default:
					l = f + windows[w] - 1;
					break;
			}
			if (l < f || f < WXA_DAY_MIN || l > yesterday || !wxa_period_valid(kind, f, l) ||
				!satisfies(kind, r, f, l))
				continue;
			if (n < stored)
				FUZZ_CHECK(out[n].first == f && out[n].last == l);
			n++;
		}
	}
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FuzzReader	in = {data, size, 0};
	WxaPeriodKind kind = (WxaPeriodKind) (fuzz_u8(&in) % 4);
	wxa_day		yesterday = WXA_DAY_MIN + (wxa_day) (fuzz_u24(&in) % (WXA_DAY_MAX - WXA_DAY_MIN + 1));
	/* max_requests may be 100000; fewer keep each run's allocation small */
	int			max_periods = 1 + (int) (fuzz_u16(&in) % 4096);
	WxaRestriction r;
	WxaPeriod  *out;
	long		count = -1;
	WxaPlanStatus status;
	bool		ok = true;

	wxa_restriction_init(&r);
	while (ok && fuzz_left(&in))
		ok = add_condition(&in, &r, yesterday, 0);
	if (!ok)
	{
		wxa_restriction_free(&r);
		return 0;
	}
	/* exactly max_periods entries, as the callers allocate: ASan sees a write past them */
	out = malloc(sizeof(WxaPeriod) * max_periods);
	FUZZ_CHECK(out != NULL);
	status = wxa_plan_periods(kind, &r, yesterday, max_periods, out, &count);

	if (!restricts(&r))
		FUZZ_CHECK(status == WXA_PLAN_UNRESTRICTED && count == 0);
	else if (r.empty)
		FUZZ_CHECK(status == WXA_PLAN_OK && count == 0);
	else if (!has_lower_bound(&r, false))
		FUZZ_CHECK(status == WXA_PLAN_NO_LOWER_BOUND && count == 0);
	else
	{
		wxa_day		lo,
					hi;

		FUZZ_CHECK(status == WXA_PLAN_OK || status == WXA_PLAN_TOO_MANY);
		FUZZ_CHECK(count >= 0);
		FUZZ_CHECK((status == WXA_PLAN_TOO_MANY) == (count > max_periods));
		if (status == WXA_PLAN_OK)
		{
			for (long i = 0; i < count; i++)
			{
				check_period(kind, &r, yesterday, &out[i]);
				/* sorted by first day, then length; so no duplicates */
				if (i > 0)
					FUZZ_CHECK(out[i - 1].first < out[i].first ||
							   (out[i - 1].first == out[i].first && out[i - 1].days < out[i].days));
			}
		}

		/* no period is longer than 31 days: its first day lies in this window */
		lo = r.ref.lo > r.end.lo - 30 ? r.ref.lo : r.end.lo - 30;
		hi = r.ref.hi < r.end.hi ? r.ref.hi : r.end.hi;
		if (lo < WXA_DAY_MIN)
			lo = WXA_DAY_MIN;
		if (hi > yesterday)
			hi = yesterday;
		if ((long) hi - lo < ORACLE_WINDOW)
			FUZZ_CHECK(brute_force(kind, &r, yesterday, lo, hi, out,
								   status == WXA_PLAN_OK ? count : 0) == count);
	}
	free(out);
	wxa_restriction_free(&r);
	return 0;
}
