/*
 * test_core.c — unit tests of the PostgreSQL-free core: calendar, period
 * planning, response parsing, body classification, redaction, errcode facts,
 * URL checks.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wxa_api.h"
#include "wxa_catalog.h"
#include "wxa_date.h"
#include "wxa_http.h"
#include "wxa_period.h"
#include "wxa_quota.h"
#include "wxa_response.h"
#include "wxa_token.h"
#include "wxa_url.h"

#include "unit_check.h"


static wxa_day
D(int y, int m, int d)
{
	return wxa_day_from_ymd(y, m, d);
}

static void
test_quota(void)
{
	char		paths[32][WXA_QUOTA_PATH_MAX];
	int			n = wxa_quota_paths(WXA_TOKEN_STABLE, paths, 32);
	bool		has_unlimit = false,
				has_sns = false;
	WxaQuota	quota;
	WxaError	err;
	char	   *body;
	const char *ok = "{\"errcode\":0,\"errmsg\":\"ok\",\"quota\":{\"daily_limit\":100000,\"used\":7,\"remain\":99993}}";
	const char *bad = "{\"errcode\":0,\"quota\":{\"daily_limit\":\"many\",\"used\":7,\"remain\":1}}";

	/* the catalog's endpoints, the three code images and the token endpoint */
	CHECK(n == wxa_endpoint_count + 4);
	CHECK(strcmp(paths[0], "/datacube/getweanalysisappiddailysummarytrend") == 0);
	for (int i = 0; i < n; i++)
	{
		has_unlimit |= strcmp(paths[i], "/wxa/getwxacodeunlimit") == 0;
		has_sns |= strncmp(paths[i], "/sns/", 5) == 0;
	}
	CHECK(has_unlimit && !has_sns);
	CHECK(strcmp(paths[n - 1], "/cgi-bin/stable_token") == 0);
	CHECK(wxa_quota_paths(WXA_TOKEN_CLASSIC, paths, 2) == n);	/* counts past max */

	body = wxa_quota_request_body("/wxa/getwxacode");
	CHECK(body && strcmp(body, "{\"cgi_path\":\"/wxa/getwxacode\"}") == 0);
	free(body);
	wxa_error_clear(&err);
	CHECK(wxa_quota_parse(ok, strlen(ok), &quota, &err) == 0 &&
		  quota.daily_limit == 100000 && quota.used == 7 && quota.remain == 99993);
	CHECK(wxa_quota_parse(bad, strlen(bad), &quota, &err) == -1 && err.kind == WXA_ERR_RESPONSE);
	wxa_error_clear(&err);
	CHECK(wxa_quota_parse("{}", 2, &quota, &err) == -1 && err.kind == WXA_ERR_RESPONSE);
}

static void
test_dates(void)
{
	wxa_day		first,
				last;
	char		buf[11];
	int			y,
				m,
				d,
				bad = 0;

	CHECK(D(2000, 1, 1) == 0);
	CHECK(D(2024, 1, 1) == 8766);

	/* publication: 2024-01-03 00:00 UTC is 08:00 in Beijing */
	CHECK(wxa_day_maybe_unpublished(D(2024, 1, 2), 1704240000));
	CHECK(wxa_day_maybe_unpublished(D(2024, 1, 2), 1704240000 + 2 * 3600 - 1));	/* 09:59:59 */
	CHECK(!wxa_day_maybe_unpublished(D(2024, 1, 2), 1704240000 + 2 * 3600));	/* 10:00 */
	CHECK(!wxa_day_maybe_unpublished(D(2024, 1, 1), 1704240000));	/* the day before */
	CHECK(wxa_day_maybe_unpublished(D(2024, 1, 2), 1704240000 - 7 * 3600));	/* 01:00 on 01-03 */
	CHECK(!wxa_day_maybe_unpublished(D(2024, 1, 1), 1704240000 - 9 * 3600));	/* 23:00 on 01-02 */
	CHECK(wxa_day_weekday(D(2024, 1, 1)) == 1);
	CHECK(wxa_day_weekday(D(2024, 1, 7)) == 7);
	CHECK(wxa_day_weekday(D(1999, 12, 31)) == 5);
	CHECK(wxa_month_end(D(2024, 2, 10)) == D(2024, 2, 29));
	CHECK(wxa_month_end(D(2023, 2, 10)) == D(2023, 2, 28));
	CHECK(wxa_month_start(D(2024, 3, 31)) == D(2024, 3, 1));
	CHECK(wxa_week_start(D(2024, 1, 3)) == D(2024, 1, 1));
	for (wxa_day x = WXA_DAY_MIN; x <= WXA_DAY_MAX; x += 7)
	{
		wxa_day_to_ymd(x, &y, &m, &d);
		bad += wxa_day_from_ymd(y, m, d) != x;
	}
	CHECK(bad == 0);
	wxa_day_format_compact(D(2017, 3, 13), buf);
	CHECK(strcmp(buf, "20170313") == 0);
	wxa_day_format_iso(WXA_DAY_MIN, buf);
	CHECK(strcmp(buf, "0001-01-01") == 0);

	CHECK(wxa_parse_period_text("20170313", &first, &last) && first == D(2017, 3, 13) && last == first);
	CHECK(wxa_parse_period_text("20170306-20170312", &first, &last) &&
		  first == D(2017, 3, 6) && last == D(2017, 3, 12));
	CHECK(wxa_parse_period_text("201702", &first, &last) &&
		  first == D(2017, 2, 1) && last == D(2017, 2, 28));
	CHECK(wxa_parse_period_text("2017-06-11", &first, &last) && first == D(2017, 6, 11));
	CHECK(!wxa_parse_period_text("20170230", &first, &last));
	CHECK(!wxa_parse_period_text("2017031", &first, &last));
	CHECK(!wxa_parse_period_text("20170312-20170306", &first, &last));
	CHECK(!wxa_parse_period_text("201713", &first, &last));
	CHECK(!wxa_parse_period_text("", &first, &last));
	CHECK(!wxa_parse_period_text("abcdefgh", &first, &last));
}

/* Plan with a restriction and return the count; periods in out. */
static long
plan(WxaPeriodKind kind, WxaRestriction *r, wxa_day yesterday, WxaPeriod *out, int max,
	 WxaPlanStatus *status)
{
	long		count = -1;

	*status = wxa_plan_periods(kind, r, yesterday, max, out, &count);
	return count;
}

static void
test_periods(void)
{
	WxaRestriction r;
	WxaPeriod	out[400];
	WxaPlanStatus st;
	wxa_day		yesterday = D(2024, 6, 30);
	long		n;

	/* a month of days */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 1, 1));
	wxa_range_compare(&r.ref, WXA_CMP_LE, D(2024, 1, 31));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 31 && out[0].first == D(2024, 1, 1) && out[30].last == D(2024, 1, 31));
	/* weeks starting in January 2024: Mondays 1, 8, 15, 22, 29 */
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(n == 5 && out[0].first == D(2024, 1, 1) && out[4].first == D(2024, 1, 29));
	/* ... and ending in January too: the week of the 29th ends in February */
	wxa_range_compare(&r.end, WXA_CMP_LE, D(2024, 1, 31));
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(n == 4 && out[3].first == D(2024, 1, 22));
	wxa_restriction_free(&r);

	/* ref_date in January only, end_date unrestricted: the week of the 29th counts */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 1, 1));
	wxa_range_compare(&r.ref, WXA_CMP_LT, D(2024, 2, 1));
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(n == 5 && out[4].first == D(2024, 1, 29) && out[4].last == D(2024, 2, 4));
	n = plan(WXA_PERIOD_MONTH, &r, yesterday, out, 400, &st);
	CHECK(n == 1 && out[0].first == D(2024, 1, 1) && out[0].last == D(2024, 1, 31));
	wxa_restriction_free(&r);

	/* a Wednesday on a weekly table: nothing */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_EQ, D(2024, 1, 3));
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 0);
	n = plan(WXA_PERIOD_MONTH, &r, yesterday, out, 400, &st);
	CHECK(n == 0);
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(n == 1);
	wxa_restriction_free(&r);

	/* end_date restrictions alone */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.end, WXA_CMP_EQ, D(2024, 1, 7));
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(n == 1 && out[0].first == D(2024, 1, 1));
	n = plan(WXA_PERIOD_PORTRAIT, &r, yesterday, out, 400, &st);
	CHECK(n == 3 && out[0].days == 30 && out[0].first == D(2023, 12, 9) &&
		  out[1].days == 7 && out[2].days == 1);
	wxa_restriction_days_compare(&r, WXA_CMP_EQ, 7);
	n = plan(WXA_PERIOD_PORTRAIT, &r, yesterday, out, 400, &st);
	CHECK(n == 1 && out[0].first == D(2024, 1, 1) && out[0].last == D(2024, 1, 7));
	wxa_restriction_free(&r);

	/* days with an impossible window */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.end, WXA_CMP_EQ, D(2024, 1, 7));
	{
		long		days[] = {2, 3};

		wxa_restriction_days_in(&r, days, 2);
	}
	n = plan(WXA_PERIOD_PORTRAIT, &r, yesterday, out, 400, &st);
	CHECK(n == 0);
	wxa_restriction_free(&r);

	/* the future and yesterday */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 6, 25));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(n == 6 && out[5].first == yesterday);
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(n == 0);				/* the week of June 24 ends June 30 but starts before the 25th */
	wxa_restriction_free(&r);
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 7, 1));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 0);
	wxa_restriction_free(&r);

	/* IN lists: duplicates fetched once, AND of two lists */
	wxa_restriction_init(&r);
	{
		wxa_day		a[] = {D(2024, 1, 5), D(2024, 1, 3), D(2024, 1, 5), D(2024, 1, 4)};
		wxa_day		b[] = {D(2024, 1, 4), D(2024, 1, 5), D(2024, 1, 9)};

		CHECK(wxa_range_in(&r.ref, a, 4));
		n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
		CHECK(n == 3 && out[0].first == D(2024, 1, 3) && out[2].first == D(2024, 1, 5));
		CHECK(wxa_range_in(&r.ref, b, 3));
		n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
		CHECK(n == 2 && out[0].first == D(2024, 1, 4));
	}
	wxa_restriction_free(&r);

	/* no restriction / no lower bound / too many */
	wxa_restriction_init(&r);
	CHECK(plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st) == 0);
	CHECK(st == WXA_PLAN_UNRESTRICTED);
	wxa_range_compare(&r.ref, WXA_CMP_LE, D(2024, 1, 1));
	CHECK(plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st) == 0);
	CHECK(st == WXA_PLAN_NO_LOWER_BOUND);
	wxa_range_compare(&r.ref, WXA_CMP_GE, WXA_DAY_MIN - 1);
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_TOO_MANY && n == D(2024, 1, 1) - WXA_DAY_MIN + 1);
	wxa_restriction_free(&r);

	/* contradictions give nothing */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GT, D(2024, 1, 10));
	wxa_range_compare(&r.ref, WXA_CMP_LT, D(2024, 1, 5));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 0);
	wxa_restriction_free(&r);

	/* a year of months; months from end_date */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2023, 1, 1));
	wxa_range_compare(&r.end, WXA_CMP_LE, D(2023, 12, 31));
	n = plan(WXA_PERIOD_MONTH, &r, yesterday, out, 400, &st);
	CHECK(n == 12 && out[1].first == D(2023, 2, 1) && out[1].last == D(2023, 2, 28));
	wxa_restriction_free(&r);

	CHECK(wxa_period_valid(WXA_PERIOD_PORTRAIT, D(2024, 1, 1), D(2024, 1, 30)));
	CHECK(!wxa_period_valid(WXA_PERIOD_PORTRAIT, D(2024, 1, 1), D(2024, 1, 2)));
}

/* ORs: the union of the branches' periods, each once, in order */
static void
test_or_periods(void)
{
	WxaRestriction r;
	WxaRestriction *b;
	WxaRestriction *inner;
	WxaPeriod	out[400];
	WxaPlanStatus st;
	wxa_day		yesterday = D(2024, 6, 30);
	long		n;

	/* ref_date BETWEEN 1 AND 3 May OR ref_date IN (3, 10 May): 4 days, the 3rd once */
	wxa_restriction_init(&r);
	b = wxa_restriction_add_or(&r, 2);
	CHECK(b != NULL);
	wxa_range_compare(&b[0].ref, WXA_CMP_GE, D(2024, 5, 1));
	wxa_range_compare(&b[0].ref, WXA_CMP_LE, D(2024, 5, 3));
	{
		wxa_day		days[] = {D(2024, 5, 10), D(2024, 5, 3)};

		CHECK(wxa_range_in(&b[1].ref, days, 2));
	}
	CHECK(wxa_restriction_restricts_dates(&r));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 4);
	CHECK(out[0].first == D(2024, 5, 1) && out[2].first == D(2024, 5, 3) && out[3].first == D(2024, 5, 10));
	/* ANDed with ref_date <= 2 May: the list branch loses both values */
	wxa_range_compare(&r.ref, WXA_CMP_LE, D(2024, 5, 2));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 2 && out[1].first == D(2024, 5, 2));
	/* too many counts the union, not the sum */
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 1, &st);
	CHECK(st == WXA_PLAN_TOO_MANY && n == 2);
	wxa_restriction_free(&r);

	/* a branch open towards the past: no lower bound; with the AND bounding it, fine */
	wxa_restriction_init(&r);
	b = wxa_restriction_add_or(&r, 2);
	wxa_range_compare(&b[0].ref, WXA_CMP_EQ, D(2024, 5, 1));
	wxa_range_compare(&b[1].ref, WXA_CMP_LT, D(2024, 1, 1));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_NO_LOWER_BOUND && n == 0);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2023, 12, 30));
	n = plan(WXA_PERIOD_DAY, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 3 && out[0].first == D(2023, 12, 30) && out[2].first == D(2024, 5, 1));
	wxa_restriction_free(&r);

	/* a branch that restricts only days: unrestricted */
	wxa_restriction_init(&r);
	b = wxa_restriction_add_or(&r, 2);
	wxa_range_compare(&b[0].end, WXA_CMP_EQ, D(2024, 3, 31));
	wxa_restriction_days_compare(&b[1], WXA_CMP_EQ, 7);
	CHECK(!wxa_restriction_restricts_dates(&r));
	n = plan(WXA_PERIOD_PORTRAIT, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_UNRESTRICTED && n == 0);
	wxa_restriction_free(&r);

	/* portrait: (end 31 Mar AND days 7) OR (end 10 Mar AND (days 1 OR days 30)) */
	wxa_restriction_init(&r);
	b = wxa_restriction_add_or(&r, 2);
	wxa_range_compare(&b[0].end, WXA_CMP_EQ, D(2024, 3, 31));
	wxa_restriction_days_compare(&b[0], WXA_CMP_EQ, 7);
	wxa_range_compare(&b[1].end, WXA_CMP_EQ, D(2024, 3, 10));
	inner = wxa_restriction_add_or(&b[1], 2);
	wxa_restriction_days_compare(&inner[0], WXA_CMP_EQ, 1);
	wxa_restriction_days_compare(&inner[1], WXA_CMP_EQ, 30);
	n = plan(WXA_PERIOD_PORTRAIT, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 3);
	CHECK(out[0].first == D(2024, 2, 10) && out[0].days == 30);
	CHECK(out[1].first == D(2024, 3, 10) && out[1].days == 1);
	CHECK(out[2].first == D(2024, 3, 25) && out[2].days == 7);
	wxa_restriction_free(&r);

	/* weekly: a Wednesday gives nothing, a Monday its week; an empty branch (= NULL) nothing */
	wxa_restriction_init(&r);
	b = wxa_restriction_add_or(&r, 3);
	wxa_range_compare(&b[0].ref, WXA_CMP_EQ, D(2024, 1, 3));
	wxa_range_compare(&b[1].ref, WXA_CMP_EQ, D(2024, 1, 8));
	b[2].ref.restricted = b[2].ref.bounded_below = true;
	b[2].empty = true;
	n = plan(WXA_PERIOD_WEEK, &r, yesterday, out, 400, &st);
	CHECK(st == WXA_PLAN_OK && n == 1 && out[0].first == D(2024, 1, 8) && out[0].last == D(2024, 1, 14));
	wxa_restriction_free(&r);
	CHECK(r.nors == 0 && r.ors == NULL);
}

static int
parse(const char *endpoint, wxa_day first, wxa_day last, const char *json, WxaRows *rows, WxaError *err)
{
	const WxaEndpoint *ep = wxa_endpoint_by_name(endpoint);
	WxaPeriod	p = {first, last, last - first + 1};

	memset(rows, 0, sizeof(*rows));
	wxa_error_clear(err);
	return wxa_parse_datacube(ep, &p, json, strlen(json), rows, err);
}

/* Does one day's answer of endpoint fail, with needle in the message? */
static bool
parse_fails(const char *endpoint, const char *json, const char *needle)
{
	WxaRows		rows;
	WxaError	err;
	wxa_day		day = D(2017, 3, 13);
	bool		failed = parse(endpoint, day, day, json, &rows, &err) == -1 &&
		strstr(err.message, needle) != NULL;

	wxa_rows_free(&rows);
	return failed;
}

static int
cell_is(const WxaRows *rows, int row, const char *endpoint, const char *column, const char *want)
{
	int			col = wxa_endpoint_column(wxa_endpoint_by_name(endpoint), column);
	const char *got = wxa_rows_cell(rows, row, col);

	if (want == NULL || got == NULL)
		return want == got;
	return strcmp(got, want) == 0;
}

static void
test_responses(void)
{
	WxaRows		rows;
	WxaError	err;
	wxa_day		day = D(2017, 3, 13);

	CHECK(parse("daily_visit_trend", day, day,
				"{\"list\":[{\"ref_date\":\"20170313\",\"session_cnt\":142549,\"visit_pv\":472351,"
				"\"visit_uv\":55500,\"visit_uv_new\":5464,\"stay_time_session\":0,\"visit_depth\":1.9838,"
				"\"extra\":{\"x\":[1]}}]}", &rows, &err) == 0);
	CHECK(rows.nrows == 1);
	CHECK(cell_is(&rows, 0, "daily_visit_trend", "ref_date", "2017-03-13"));
	CHECK(cell_is(&rows, 0, "daily_visit_trend", "session_cnt", "142549"));
	CHECK(cell_is(&rows, 0, "daily_visit_trend", "stay_time_uv", NULL));
	CHECK(cell_is(&rows, 0, "daily_visit_trend", "visit_depth", "1.9838"));
	wxa_rows_free(&rows);

	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[]}", &rows, &err) == 0 && rows.nrows == 0);
	wxa_rows_free(&rows);
	CHECK(parse("weekly_visit_trend", D(2017, 3, 6), D(2017, 3, 12),
				"{\"list\":[{\"ref_date\":\"20170306-20170312\",\"visit_pv\":3251840}]}", &rows, &err) == 0);
	CHECK(cell_is(&rows, 0, "weekly_visit_trend", "end_date", "2017-03-12"));
	wxa_rows_free(&rows);
	CHECK(parse("monthly_visit_trend", D(2017, 2, 1), D(2017, 2, 28),
				"{\"list\":[{\"ref_date\":\"201702\",\"visit_pv\":1}]}", &rows, &err) == 0 && rows.nrows == 1);
	wxa_rows_free(&rows);

	/* wrong period, wrong types, broken JSON, errcode */
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[{\"ref_date\":\"20170314\"}]}", &rows, &err) == -1 &&
		  err.kind == WXA_ERR_RESPONSE);
	wxa_rows_free(&rows);
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[{\"visit_pv\":{\"a\":1}}]}", &rows, &err) == -1 &&
		  strstr(err.message, "visit_pv") != NULL);
	wxa_rows_free(&rows);
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[1]}", &rows, &err) == -1);
	wxa_rows_free(&rows);
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":{}}", &rows, &err) == -1);
	wxa_rows_free(&rows);
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[{\"visit_pv\":1", &rows, &err) == -1 &&
		  err.kind == WXA_ERR_RESPONSE);
	wxa_rows_free(&rows);
	CHECK(parse("daily_visit_trend", day, day, "<html></html>", &rows, &err) == -1);
	wxa_rows_free(&rows);
	/* two answers run together, an infinite number, an answer without its fields */
	CHECK(parse_fails("daily_visit_trend", "{\"list\":[]}{\"list\":[{\"visit_pv\":1}]}", "not valid JSON"));
	CHECK(parse_fails("daily_visit_trend", "{\"list\":[{\"visit_pv\":1e999}]}", "out of range"));
	CHECK(parse_fails("daily_visit_trend", "{\"errcode\":0,\"errmsg\":\"ok\"}", "no \"list\""));
	CHECK(parse_fails("daily_retain", "{\"ref_date\":\"20170313\"}", "neither"));
	CHECK(parse_fails("user_portrait", "{\"visit_uv_new\":null}", "neither"));
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[]} \r\n", &rows, &err) == 0 && rows.nrows == 0);
	wxa_rows_free(&rows);
	CHECK(parse("daily_retain", day, day, "{\"visit_uv\":[]}", &rows, &err) == 0 && rows.nrows == 0);
	wxa_rows_free(&rows);
	CHECK(parse("visit_distribution", day, day, "{\"list\":[{\"index\":\"access_depth_info\","
				"\"item_list\":[{\"key\":-1e300,\"value\":1}]}]}", &rows, &err) == 0 &&
		  cell_is(&rows, 0, "visit_distribution", "label", NULL));
	wxa_rows_free(&rows);
	CHECK(parse("daily_visit_trend", day, day, "{\"errcode\":61501,\"errmsg\":\"date range error\"}",
				&rows, &err) == -1 && err.kind == WXA_ERR_API && err.errcode == 61501 &&
		  strcmp(err.errmsg, "date range error") == 0);
	wxa_rows_free(&rows);
	/* nested deeper than WXA_MAX_JSON_DEPTH */
	CHECK(parse("daily_visit_trend", day, day, "{\"list\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
				&rows, &err) == -1);
	wxa_rows_free(&rows);

	/* distribution with labels */
	CHECK(parse("visit_distribution", day, day,
				"{\"ref_date\":\"20170313\",\"list\":[{\"index\":\"access_source_session_cnt\",\"item_list\":"
				"[{\"key\":2,\"value\":10243},{\"key\":57,\"value\":1}]},{\"index\":\"access_depth_info\","
				"\"item_list\":[{\"key\":6,\"value\":3}]}]}", &rows, &err) == 0);
	CHECK(rows.nrows == 3);
	CHECK(cell_is(&rows, 0, "visit_distribution", "label", "搜索"));
	CHECK(cell_is(&rows, 1, "visit_distribution", "label", NULL));
	CHECK(cell_is(&rows, 2, "visit_distribution", "label", "6-10页"));
	CHECK(cell_is(&rows, 2, "visit_distribution", "index", "access_depth_info"));
	wxa_rows_free(&rows);
	CHECK(parse("visit_distribution", day, day,
				"{\"list\":[{\"index\":\"access_staytime_info\",\"item_list\":[{\"key\":\"3\",\"value\":1},"
				"{\"key\":\"3x\",\"value\":1}]}]}", &rows, &err) == 0);
	CHECK(cell_is(&rows, 0, "visit_distribution", "label", "6-10s"));
	wxa_rows_free(&rows);
	/* keys that are not whole numbers have no label (found by fuzzing: 7e88 overflowed a cast) */
	CHECK(parse("visit_distribution", day, day,
				"{\"list\":[{\"index\":\"access_depth_info\",\"item_list\":"
				"[{\"key\":7e88,\"value\":1},{\"key\":1.5,\"value\":1}]}]}", &rows, &err) == 0);
	CHECK(rows.nrows == 2);
	CHECK(cell_is(&rows, 0, "visit_distribution", "label", NULL));
	CHECK(cell_is(&rows, 1, "visit_distribution", "label", NULL));
	wxa_rows_free(&rows);

	/* retain */
	CHECK(parse("daily_retain", day, day,
				"{\"ref_date\":\"20170313\",\"visit_uv_new\":[{\"key\":0,\"value\":5464}],"
				"\"visit_uv\":[{\"key\":0,\"value\":55500},{\"key\":1,\"value\":9}]}", &rows, &err) == 0);
	CHECK(rows.nrows == 3 && cell_is(&rows, 2, "daily_retain", "user_type", "visit_uv") &&
		  cell_is(&rows, 2, "daily_retain", "key", "1"));
	wxa_rows_free(&rows);

	/* portrait, with the seed's single-day ref_date for a 7-day window and the misspelling */
	CHECK(parse("user_portrait", D(2017, 6, 11), D(2017, 6, 17),
				"{\"ref_date\":\"20170611\",\"visit_uv_new\":{\"province\":[{\"id\":31,\"name\":\"广东省\",\"value\":215}],"
				"\"devices\":[{\"name\":\"OPPO R9\",\"value\":61}],\"platfomrs\":[{\"id\":1,\"name\":\"iPhone\",\"value\":2}]},"
				"\"visit_uv\":{\"ages\":[{\"id\":1,\"name\":\"17岁以下\",\"value\":3156}]}}", &rows, &err) == 0);
	CHECK(rows.nrows == 4);
	CHECK(cell_is(&rows, 0, "user_portrait", "days", "7"));
	CHECK(cell_is(&rows, 0, "user_portrait", "ref_date", "2017-06-11"));
	CHECK(cell_is(&rows, 0, "user_portrait", "end_date", "2017-06-17"));
	CHECK(cell_is(&rows, 1, "user_portrait", "attribute", "platforms"));
	CHECK(cell_is(&rows, 2, "user_portrait", "id", NULL));
	CHECK(cell_is(&rows, 3, "user_portrait", "user_type", "visit_uv"));
	wxa_rows_free(&rows);
}

static void
test_api(void)
{
	char		text[256];
	long		code = 0;
	char		msg[128];	/* the scrub tests below cut at up to 80 bytes */

	CHECK(wxa_body_kind("\x89PNG\r\n", 6) == WXA_BODY_PNG);
	CHECK(wxa_body_kind("\xFF\xD8\xFF\xE0", 4) == WXA_BODY_JPEG);
	CHECK(wxa_body_kind(" \n{\"errcode\":1}", 15) == WXA_BODY_JSON);
	CHECK(wxa_body_kind("<html>", 6) == WXA_BODY_HTML);
	CHECK(wxa_body_kind("", 0) == WXA_BODY_EMPTY);
	{
		const char *busy = "{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}";

		CHECK(wxa_body_errcode(busy, strlen(busy), &code, msg, sizeof(msg), NULL, NULL) &&
			  code == 45009 && strcmp(msg, "reach max api daily quota limit") == 0);
	}
	CHECK(!wxa_body_errcode("{\"errcode\":0,\"errmsg\":\"ok\"}", 27, &code, msg, sizeof(msg),
							NULL, NULL));
	{
		/* a credential across the cut is scrubbed whole, never left half */
		const char *echo = "{\"errcode\":40001,\"errmsg\":\"invalid credential for the token "
			"TOKEN-0123456789-ABCDEFGHIJ and the secret SECRET-0123456789 rid\"}";

		CHECK(wxa_body_errcode(echo, strlen(echo), &code, msg, 48, NULL, "TOKEN-0123456789-ABCDEFGHIJ") &&
			  strcmp(msg, "invalid credential for the token *** and the se") == 0);
		CHECK(wxa_body_errcode(echo, strlen(echo), &code, msg, 80, "SECRET-0123456789", NULL) &&
			  strstr(msg, "SECRET") == NULL && strstr(msg, "TOKEN-0123456789-ABCDEFGHIJ") != NULL);
		CHECK(wxa_body_errcode(echo, strlen(echo), &code, msg, 40, NULL, "TOKEN-0123456789-ABCDEFGHIJ") &&
			  strstr(msg, "TOKEN") == NULL);
	}
	/* errcodes that are no int: found by fuzzing (undefined cast, a found errcode 0) */
	{
		const char *fraction = "{\"errcode\":0.2}";
		const char *huge = "{\"errcode\":2e22}";
		const char *tiny = "{\"errcode\":-2e22}";

		CHECK(!wxa_body_errcode(fraction, strlen(fraction), &code, msg, sizeof(msg), NULL, NULL));
		CHECK(wxa_body_errcode(huge, strlen(huge), &code, msg, sizeof(msg), NULL, NULL) && code == INT_MAX);
		CHECK(wxa_body_errcode(tiny, strlen(tiny), &code, msg, sizeof(msg), NULL, NULL) && code == INT_MIN);
	}
	{
		char	   *token = NULL;
		long		expires_in = 0;
		WxaError	err;
		const char *ok = "{\"access_token\":\"T\",\"expires_in\":7200}";
		const char *huge = "{\"access_token\":\"T\",\"expires_in\":7e21}";
		const char *fraction = "{\"access_token\":\"T\",\"expires_in\":0.5}";
		const char *zero = "{\"access_token\":\"T\",\"expires_in\":0}";
		const char *negative = "{\"access_token\":\"T\",\"expires_in\":-1}";

		CHECK(wxa_token_parse(ok, strlen(ok), &token, &expires_in, &err) == 0 &&
			  strcmp(token, "T") == 0 && expires_in == 7200);
		free(token);
		token = NULL;
		/* found by fuzzing: an undefined cast */
		CHECK(wxa_token_parse(huge, strlen(huge), &token, &expires_in, &err) == -1 &&
			  err.kind == WXA_ERR_RESPONSE && token == NULL);
		CHECK(wxa_token_parse(negative, strlen(negative), &token, &expires_in, &err) == -1 &&
			  err.kind == WXA_ERR_RESPONSE && token == NULL);
		/* the stable endpoint's last second: a valid answer, too short-lived to use (connection.c) */
		CHECK(wxa_token_parse(fraction, strlen(fraction), &token, &expires_in, &err) == 0 &&
			  strcmp(token, "T") == 0 && expires_in == 0);
		free(token);
		token = NULL;
		CHECK(wxa_token_parse(zero, strlen(zero), &token, &expires_in, &err) == 0 &&
			  strcmp(token, "T") == 0 && expires_in == 0);
		free(token);
	}
	CHECK(wxa_errcode_transient(-1) && wxa_errcode_transient(45009) && !wxa_errcode_transient(40013));
	CHECK(wxa_errcode_token_rejected(42001) && !wxa_errcode_token_rejected(40125));

	strcpy(text, "GET /cgi-bin/token?appid=wx1&secret=abcdef0123&x=1 access_token=TOKEN123 ok");
	wxa_redact(text, NULL, NULL);
	CHECK(strstr(text, "abcdef0123") == NULL && strstr(text, "TOKEN123") == NULL &&
		  strstr(text, "secret=***&x=1") != NULL);
	strcpy(text, "invalid credential for MYTOKENVALUE, rid: 1");
	wxa_redact(text, "SECRETVALUE", "MYTOKENVALUE");
	CHECK(strcmp(text, "invalid credential for ***, rid: 1") == 0);
	strcpy(text, "secret=&access_token=a");
	wxa_redact(text, NULL, NULL);
	CHECK(strcmp(text, "secret=&access_token=*") == 0);

	{
		WxaPeriod	p = {D(2024, 1, 1), D(2024, 1, 7), 7};
		char	   *body = wxa_datacube_request_body(&p);

		CHECK(strcmp(body, "{\"begin_date\":\"20240101\",\"end_date\":\"20240107\"}") == 0);
		free(body);
	}
	CHECK(wxa_distribution_label("access_staytime_info", 8) != NULL &&
		  strcmp(wxa_distribution_label("access_staytime_info", 8), ">100s") == 0);
	CHECK(wxa_distribution_label("access_source_session_cnt", 0) == NULL);
	CHECK(wxa_distribution_label("unknown", 1) == NULL);
}

static int
is_ascii_sentence(const char *text)
{
	size_t		n = text ? strlen(text) : 0;

	if (n < 10 || text[0] < 'A' || text[0] > 'Z' || text[n - 1] != '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char) text[i] < 0x20 || (unsigned char) text[i] > 0x7e)
			return 0;
	return 1;
}

static void
test_catalog(void)
{
	CHECK(wxa_endpoint_count == 10);
	for (int i = 0; i < wxa_endpoint_count; i++)
	{
		const WxaEndpoint *ep = &wxa_endpoints[i];

		CHECK(wxa_endpoint_by_name(ep->name) == ep);
		CHECK(strcmp(ep->columns[0].name, "ref_date") == 0);
		CHECK(ep->ncolumns > 1 && ep->ncolumns <= WXA_MAX_COLUMNS);
		/* end_date exactly where a period is longer than a day */
		CHECK((wxa_endpoint_column(ep, "end_date") >= 0) == (ep->period != WXA_PERIOD_DAY));
		/* every table and column described: a sentence, ASCII (any database encoding) */
		CHECK(is_ascii_sentence(ep->description));
		for (int c = 0; c < ep->ncolumns; c++)
			CHECK(is_ascii_sentence(ep->columns[c].description));
	}
	CHECK(is_ascii_sentence(wxa_appid_column_description));
	CHECK(wxa_endpoint_by_name("nope") == NULL);
}

/* Every errcode's facts from one table; an unknown errcode is HV000 and no more. */
static void
test_errcodes(void)
{
	const WxaErrcodeFacts *f = wxa_errcode_facts(40001);

	CHECK(f->errcode == 40001 && strcmp(f->sqlstate, "28000") == 0 && f->token_rejected &&
		  !f->transient && f->hint && f->static_token_hint);
	f = wxa_errcode_facts(45009);
	CHECK(strcmp(f->sqlstate, "53400") == 0 && f->transient && !f->token_rejected);
	CHECK(strcmp(wxa_errcode_facts(48001)->sqlstate, "42501") == 0);
	CHECK(strcmp(wxa_errcode_facts(61501)->sqlstate, "22023") == 0);
	f = wxa_errcode_facts(12345);
	CHECK(strcmp(f->sqlstate, "HV000") == 0 && !f->transient && !f->token_rejected &&
		  f->hint == NULL && f->static_token_hint == NULL);
	/* the shorthands read the same table */
	CHECK(wxa_errcode_transient(61504) && !wxa_errcode_transient(61501));
	CHECK(wxa_errcode_token_rejected(40014) && !wxa_errcode_token_rejected(41001));
	CHECK(wxa_errcode_hint(40013) != NULL && wxa_errcode_hint(12345) == NULL);
	/* every errcode of the table (each one a user can cause) has a hint (README, "Errors") */
	{
		static const long listed[] = {-1, 40001, 40002, 40013, 40014, 40029, 40097, 40125, 40129,
			40159, 40163, 40164, 40169, 40226, 41001, 41002, 41004, 41030, 42001, 45009, 45011,
		45029, 47001, 48001, 61004, 61500, 61501, 61502, 61503, 61504, 76003, 76021, 76022, 85096};

		for (size_t i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
			CHECK(wxa_errcode_facts(listed[i])->errcode == listed[i] && wxa_errcode_hint(listed[i]) != NULL);
	}
	/* hints are full sentences */
	for (long code = -1; code < 100000; code++)
	{
		const char *hint = wxa_errcode_facts(code)->hint;

		if (hint)
			CHECK(hint[0] >= 'A' && hint[0] <= 'Z' && hint[strlen(hint) - 1] == '.');
		if (code == -1)
			code = 39999;
	}
}

static void
test_urls(void)
{
	/* host and port for transport errors: never the path or the query (the access token) */
	{
		char		peer[128];

		CHECK(wxa_url_host_port("https://api.weixin.qq.com/cgi-bin/token?access_token=TOKEN", peer, sizeof(peer)) &&
			  strcmp(peer, "host \"api.weixin.qq.com\", port 443") == 0);
		CHECK(wxa_url_host_port("http://127.0.0.1:9/datacube/x?access_token=TOKEN", peer, sizeof(peer)) &&
			  strcmp(peer, "host \"127.0.0.1\", port 9") == 0);
		CHECK(wxa_url_host_port("http://[::1]:8080", peer, sizeof(peer)) &&
			  strcmp(peer, "host \"[::1]\", port 8080") == 0);
		CHECK(!wxa_url_host_port("not a url", peer, sizeof(peer)) && peer[0] == '\0');
	}
	CHECK(wxa_url_check("https://api.weixin.qq.com", false) == WXA_URL_OK);
	CHECK(wxa_url_check("https://gateway.example.com/wechat", false) == WXA_URL_OK);
	CHECK(wxa_url_check("http://127.0.0.1:8080", false) == WXA_URL_OK);
	CHECK(wxa_url_check("http://localhost", false) == WXA_URL_OK);
	CHECK(wxa_url_check("http://[::1]:9000", false) == WXA_URL_OK);
	CHECK(wxa_url_check("http://api.weixin.qq.com", false) == WXA_URL_PLAIN_HTTP);
	CHECK(wxa_url_check("http://128.0.0.1", false) == WXA_URL_PLAIN_HTTP);
	CHECK(wxa_url_check("ftp://api.weixin.qq.com", false) == WXA_URL_SCHEME);
	CHECK(wxa_url_check("socks5://127.0.0.1", false) == WXA_URL_SCHEME);
	CHECK(wxa_url_check("https://user:pw@api.weixin.qq.com", false) == WXA_URL_CREDENTIALS);
	CHECK(wxa_url_check("https://api.weixin.qq.com?x=1", false) == WXA_URL_QUERY);
	CHECK(wxa_url_check("https://api.weixin.qq.com?", false) == WXA_URL_QUERY);
	CHECK(wxa_url_check("https://api.weixin.qq.com/#x", false) == WXA_URL_FRAGMENT);
	CHECK(wxa_url_check("https://api.weixin.qq.com#", false) == WXA_URL_FRAGMENT);
	CHECK(wxa_url_check("https://:pw@api.weixin.qq.com", false) == WXA_URL_CREDENTIALS);
	CHECK(wxa_url_check("not a url", false) == WXA_URL_INVALID);
	CHECK(wxa_url_check("", false) == WXA_URL_INVALID);
	/* proxies: four schemes, any host, no credentials */
	CHECK(wxa_url_check("http://proxy.example.com:3128", true) == WXA_URL_OK);
	CHECK(wxa_url_check("socks5h://10.0.0.1:1080", true) == WXA_URL_OK);
	CHECK(wxa_url_check("ftp://proxy.example.com", true) == WXA_URL_SCHEME);
	CHECK(wxa_url_check("http://u:p@proxy.example.com", true) == WXA_URL_CREDENTIALS);
	CHECK(wxa_host_is_loopback("127.255.0.1") && wxa_host_is_loopback("LOCALHOST") &&
		  wxa_host_is_loopback("::1") && !wxa_host_is_loopback("::2") &&
		  !wxa_host_is_loopback("localhost.example.com"));
	/* every failure has a short problem and a full-sentence hint */
	for (int c = WXA_URL_INVALID; c <= WXA_URL_FRAGMENT; c++)
		for (int proxy = 0; proxy <= 1; proxy++)
		{
			const char *hint = wxa_url_hint((WxaUrlCheck) c, proxy);

			CHECK(wxa_url_problem((WxaUrlCheck) c, proxy)[0] != '\0');
			CHECK(hint && hint[0] >= 'A' && hint[0] <= 'Z' && hint[strlen(hint) - 1] == '.');
		}
}

/*
 * The backoff jitter has a generator of its own: the C library's, which every
 * extension in a backend shares, keeps its sequence (first thing in main: the
 * seeding happens in the first wxa_http_init()).
 */
static void
test_jitter_leaves_rand_alone(void)
{
	int			expected[3];
	double		a,
				b;
	bool		in_range = true;

	srand(20240101);		/* NOLINT(cert-msc32-c,cert-msc51-cpp): a fixed seed is the point */
	for (int i = 0; i < 3; i++)
		expected[i] = rand();	/* NOLINT(cert-msc30-c,cert-msc50-cpp): the generator under test */
	srand(20240101);		/* NOLINT(cert-msc32-c,cert-msc51-cpp): a fixed seed is the point */
	CHECK(wxa_http_init());
	a = wxa_http_jitter();
	b = wxa_http_jitter();
	for (int i = 0; i < 1000; i++)
	{
		double		j = wxa_http_jitter();

		in_range = in_range && j >= 0.0 && j < 1.0;
	}
	CHECK(in_range && a != b);
	for (int i = 0; i < 3; i++)
		CHECK(rand() == expected[i]);	/* NOLINT(cert-msc30-c,cert-msc50-cpp): the generator under test */
}

/* Why a restriction yields no period: what EXPLAIN says for "Requests: 0". */
static void
test_none_reasons(void)
{
	WxaRestriction r;
	WxaRestriction *b;
	wxa_day		yesterday = D(2024, 6, 30);	/* a Sunday */
	wxa_day		in[2];
	WxaPeriod	p;

	/* a day after yesterday, as equality and as a range */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_EQ, D(2024, 7, 2));
	CHECK(wxa_plan_none_reason(WXA_PERIOD_DAY, &r, yesterday) == WXA_NONE_AFTER_YESTERDAY);
	wxa_restriction_free(&r);
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 7, 1));
	CHECK(wxa_plan_none_reason(WXA_PERIOD_DAY, &r, yesterday) == WXA_NONE_AFTER_YESTERDAY);
	CHECK(wxa_plan_none_reason(WXA_PERIOD_MONTH, &r, yesterday) == WXA_NONE_AFTER_YESTERDAY);
	wxa_restriction_free(&r);
	/* this week has not ended: after yesterday too */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_EQ, D(2024, 6, 24));
	CHECK(wxa_plan_none_reason(WXA_PERIOD_WEEK, &r, D(2024, 6, 27)) == WXA_NONE_AFTER_YESTERDAY);
	/* ... but a Monday long past has a week: no reason */
	CHECK(wxa_plan_none_reason(WXA_PERIOD_WEEK, &r, yesterday) == WXA_NONE_NOT_NONE);
	wxa_restriction_free(&r);
	/* a Wednesday on a weekly table, the 15th on a monthly one */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_EQ, D(2024, 6, 12));
	CHECK(wxa_plan_none_reason(WXA_PERIOD_WEEK, &r, yesterday) == WXA_NONE_NOT_PERIOD_START);
	CHECK(wxa_plan_none_reason(WXA_PERIOD_MONTH, &r, yesterday) == WXA_NONE_NOT_PERIOD_START);
	CHECK(wxa_plan_none_reason(WXA_PERIOD_DAY, &r, yesterday) == WXA_NONE_NOT_NONE);
	wxa_restriction_free(&r);
	/* a range Tuesday .. Saturday holds no Monday */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 6, 11));
	wxa_range_compare(&r.ref, WXA_CMP_LE, D(2024, 6, 15));
	CHECK(wxa_plan_none_reason(WXA_PERIOD_WEEK, &r, yesterday) == WXA_NONE_NOT_PERIOD_START);
	wxa_restriction_free(&r);
	/* a contradiction, and a portrait window of 5 days */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.ref, WXA_CMP_GE, D(2024, 6, 11));
	wxa_range_compare(&r.ref, WXA_CMP_LE, D(2024, 6, 1));
	CHECK(wxa_plan_none_reason(WXA_PERIOD_DAY, &r, yesterday) == WXA_NONE_NO_MATCH);
	wxa_restriction_free(&r);
	wxa_restriction_init(&r);
	wxa_range_compare(&r.end, WXA_CMP_EQ, D(2024, 6, 11));
	wxa_restriction_days_compare(&r, WXA_CMP_EQ, 5);
	CHECK(wxa_plan_none_reason(WXA_PERIOD_PORTRAIT, &r, yesterday) == WXA_NONE_NO_WINDOW);
	wxa_restriction_free(&r);

	/* equalities select, in OR branches too; range bounds never do */
	wxa_restriction_init(&r);
	b = wxa_restriction_add_or(&r, 2);
	in[0] = D(2024, 6, 3);
	in[1] = D(2024, 6, 29);
	CHECK(b && wxa_range_in(&b[0].ref, in, 2));
	wxa_range_compare(&b[1].ref, WXA_CMP_GE, D(2024, 6, 20));
	p.first = p.last = D(2024, 6, 29);
	p.days = 1;
	CHECK(wxa_restriction_selects(&r, &p));
	p.first = p.last = D(2024, 6, 30);
	CHECK(!wxa_restriction_selects(&r, &p));
	wxa_restriction_free(&r);
	/* the portrait's end_date selects every window ending that day */
	wxa_restriction_init(&r);
	wxa_range_compare(&r.end, WXA_CMP_EQ, D(2024, 6, 30));
	p.first = D(2024, 6, 1);
	p.last = D(2024, 6, 30);
	p.days = 30;
	CHECK(wxa_restriction_selects(&r, &p));
	p.last = D(2024, 6, 29);
	CHECK(!wxa_restriction_selects(&r, &p));
	wxa_restriction_free(&r);
}

/* The lazy scan's walk: newest first, in waves, resumable. */
static void
test_walk(void)
{
	WxaRestriction r;
	WxaWalk		w;
	WxaPeriod	out[8];
	wxa_day		yesterday = D(2024, 6, 26);	/* a Wednesday */
	int			n;

	wxa_restriction_init(&r);
	wxa_walk_init(&w, WXA_PERIOD_DAY, yesterday, false);
	n = wxa_walk_back(&w, &r, 3, out);
	CHECK(n == 3 && out[0].first == yesterday && out[2].first == yesterday - 2 && out[2].days == 1);
	n = wxa_walk_back(&w, &r, 2, out);
	CHECK(n == 2 && out[0].first == yesterday - 3);
	/* weeks: the newest that has ended, then back a week at a time */
	wxa_walk_init(&w, WXA_PERIOD_WEEK, yesterday, false);
	n = wxa_walk_back(&w, &r, 2, out);
	CHECK(n == 2 && out[0].first == D(2024, 6, 17) && out[0].last == D(2024, 6, 23) &&
		  out[1].first == D(2024, 6, 10));
	/* months */
	wxa_walk_init(&w, WXA_PERIOD_MONTH, yesterday, false);
	n = wxa_walk_back(&w, &r, 2, out);
	CHECK(n == 2 && out[0].first == D(2024, 5, 1) && out[0].last == D(2024, 5, 31) &&
		  out[1].first == D(2024, 4, 1) && out[1].last == D(2024, 4, 30));
	/* the portrait: three windows per end date, or by first day */
	wxa_walk_init(&w, WXA_PERIOD_PORTRAIT, yesterday, false);
	n = wxa_walk_back(&w, &r, 4, out);
	CHECK(n == 4 && out[0].last == yesterday && out[0].days == 1 && out[1].days == 7 &&
		  out[2].days == 30 && out[2].last == yesterday && out[3].last == yesterday - 1 && out[3].days == 1);
	wxa_walk_init(&w, WXA_PERIOD_PORTRAIT, yesterday, true);
	n = wxa_walk_back(&w, &r, 8, out);
	CHECK(n == 8 && out[0].first == yesterday && out[0].days == 1 && out[5].first == yesterday - 5 &&
		  out[6].first == yesterday - 6 && out[6].days == 1 && out[7].first == yesterday - 6 &&
		  out[7].days == 7 && out[7].last == yesterday);
	/* conditions on the days and an upper bound narrow the walk */
	wxa_restriction_days_compare(&r, WXA_CMP_EQ, 30);
	wxa_range_compare(&r.end, WXA_CMP_LE, D(2024, 6, 1));
	wxa_walk_init(&w, WXA_PERIOD_PORTRAIT, yesterday, false);
	n = wxa_walk_back(&w, &r, 2, out);
	CHECK(n == 2 && out[0].last == D(2024, 6, 1) && out[0].days == 30 && out[1].last == D(2024, 5, 31));
	wxa_restriction_free(&r);
	/* nothing matches: the walk ends */
	wxa_restriction_init(&r);
	wxa_restriction_days_compare(&r, WXA_CMP_EQ, 5);
	wxa_walk_init(&w, WXA_PERIOD_PORTRAIT, yesterday, false);
	CHECK(wxa_walk_back(&w, &r, 2, out) == 0 && wxa_walk_back(&w, &r, 2, out) == 0);
	wxa_restriction_free(&r);
}

int
main(void)
{
	test_jitter_leaves_rand_alone();
	test_dates();
	test_periods();
	test_or_periods();
	test_none_reasons();
	test_walk();
	test_responses();
	test_api();
	test_catalog();
	test_errcodes();
	test_urls();
	test_quota();
	return unit_report();
}
