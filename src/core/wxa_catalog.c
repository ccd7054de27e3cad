/*
 * wxa_catalog.c — the ten analysis endpoints of the WeChat mini-program API.
 */
#include "wxa_catalog.h"

#include <stdio.h>
#include <string.h>

/*
 * The descriptions become COMMENT ON TABLE / COLUMN (wxa_descriptions(), the event trigger
 * of wxa_fdw--1.1--1.2.sql): English, from the field tables of WeChat's documentation
 * (seeds/analysis-visit.md, analysis-user-portrait.md), each with its unit. ASCII only, so
 * that they fit a database of any encoding.
 */
#define COL_REF_DATE(what) {"ref_date", "date", WXA_SRC_REF_DATE, what}
#define COL_END_DATE(what) {"end_date", "date", WXA_SRC_END_DATE, what}
#define DAY_REF_DATE COL_REF_DATE("The day the row describes (date, Beijing time).")
#define WEEK_DATES \
	COL_REF_DATE("First day (Monday) of the natural week the row describes (date, Beijing time)."), \
	COL_END_DATE("Last day (Sunday) of the natural week the row describes (date, Beijing time).")
#define MONTH_DATES \
	COL_REF_DATE("First day of the calendar month the row describes (date, Beijing time)."), \
	COL_END_DATE("Last day of the calendar month the row describes (date, Beijing time).")
/* per: "" for a day; " in the week" / " in the month", where WeChat sums or de-duplicates */
#define VISIT_TREND_METRICS(summed, distinct) \
	{"session_cnt", "bigint", WXA_SRC_FIELD, \
		"Times the mini program was opened (count of sessions" summed ")."}, \
	{"visit_pv", "bigint", WXA_SRC_FIELD, \
		"Page visits (count of page views" summed ")."}, \
	{"visit_uv", "bigint", WXA_SRC_FIELD, \
		"Visitors (count of distinct users" distinct ")."}, \
	{"visit_uv_new", "bigint", WXA_SRC_FIELD, \
		"New users, visiting for the first time (count of distinct users" distinct ")."}, \
	{"stay_time_uv", "double precision", WXA_SRC_FIELD, \
		"Average time spent per visitor (seconds)."}, \
	{"stay_time_session", "double precision", WXA_SRC_FIELD, \
		"Average time spent per opening (seconds)."}, \
	{"visit_depth", "double precision", WXA_SRC_FIELD, \
		"Average visit depth (pages visited per opening)."}
#define RETAIN_COLUMNS(Unit, unit, keys) \
	{"user_type", "text", WXA_SRC_GROUP, \
		"Whose retention: visit_uv_new (new users of the period) or visit_uv (active users of the period)."}, \
	{"key", "integer", WXA_SRC_FIELD, \
		Unit " after the period (0 = the period itself; WeChat sends " keys ")."}, \
	{"value", "bigint", WXA_SRC_FIELD, \
		"Users: for key 0 the new or active users of the period, otherwise those of them who came back key " \
		unit " later (count of distinct users)."}

const WxaEndpoint wxa_endpoints[] = {
	{"daily_summary", "getweanalysisappiddailysummarytrend",
		"WeChat mini program: summary of one day (totals and shares), one row per day.",
		WXA_PERIOD_DAY, WXA_SHAPE_LIST, 1,
		4, {DAY_REF_DATE,
			{"visit_total", "bigint", WXA_SRC_FIELD,
				"Cumulative users: everyone who has ever visited, up to this day (count of distinct users)."},
			{"share_pv", "bigint", WXA_SRC_FIELD, "Shares (count of times shared)."},
			{"share_uv", "bigint", WXA_SRC_FIELD, "Sharers (count of distinct users who shared)."}}},
	{"daily_visit_trend", "getweanalysisappiddailyvisittrend",
		"WeChat mini program: visit trend of one day, one row per day.",
		WXA_PERIOD_DAY, WXA_SHAPE_LIST, 1,
		8, {DAY_REF_DATE, VISIT_TREND_METRICS("", "")}},
	{"weekly_visit_trend", "getweanalysisappidweeklyvisittrend",
		"WeChat mini program: visit trend of one natural week (Monday to Sunday), one row per week.",
		WXA_PERIOD_WEEK, WXA_SHAPE_LIST, 1,
		9, {WEEK_DATES, VISIT_TREND_METRICS(", summed over the week", " in the week")}},
	{"monthly_visit_trend", "getweanalysisappidmonthlyvisittrend",
		"WeChat mini program: visit trend of one calendar month, one row per month.",
		WXA_PERIOD_MONTH, WXA_SHAPE_LIST, 1,
		9, {MONTH_DATES, VISIT_TREND_METRICS(", summed over the month", " in the month")}},
	{"visit_distribution", "getweanalysisappidvisitdistribution",
		"WeChat mini program: distributions of one day's visits by entry source, time spent and depth, one row per (index, key).",
		WXA_PERIOD_DAY, WXA_SHAPE_DISTRIBUTION, 30,
		5, {DAY_REF_DATE,
			{"index", "text", WXA_SRC_GROUP,
				"Which distribution: access_source_session_cnt (by entry source), access_staytime_info (by time spent) or access_depth_info (by pages visited)."},
			{"key", "integer", WXA_SRC_FIELD,
				"The bucket of the distribution: an entry scene id, a time-spent bucket or a depth bucket (see label)."},
			{"value", "bigint", WXA_SRC_FIELD, "Visits (openings) in the bucket (count)."},
			{"label", "text", WXA_SRC_LABEL,
				"WeChat's documented meaning of key, in Chinese as documented (a source, seconds such as 0-2s, pages such as 6-10); NULL for undocumented keys."}}},
	{"daily_retain", "getweanalysisappiddailyretaininfo",
		"WeChat mini program: retention of the new and the active users of one day, one row per (user_type, key).",
		WXA_PERIOD_DAY, WXA_SHAPE_RETAIN, 20,
		4, {DAY_REF_DATE, RETAIN_COLUMNS("Days", "days", "0 to 7, 14 and 30")}},
	{"weekly_retain", "getweanalysisappidweeklyretaininfo",
		"WeChat mini program: retention of the new and the active users of one natural week, one row per (user_type, key).",
		WXA_PERIOD_WEEK, WXA_SHAPE_RETAIN, 10,
		5, {WEEK_DATES, RETAIN_COLUMNS("Weeks", "weeks", "0 to 4")}},
	{"monthly_retain", "getweanalysisappidmonthlyretaininfo",
		"WeChat mini program: retention of the new and the active users of one calendar month, one row per (user_type, key).",
		WXA_PERIOD_MONTH, WXA_SHAPE_RETAIN, 4,
		5, {MONTH_DATES, RETAIN_COLUMNS("Months", "months", "0 and 1")}},
	{"visit_page", "getweanalysisappidvisitpage",
		"WeChat mini program: visits of each page on one day (the top pages by visits), one row per page.",
		WXA_PERIOD_DAY, WXA_SHAPE_LIST, 50,
		9, {DAY_REF_DATE,
			{"page_path", "text", WXA_SRC_FIELD, "Path of the page."},
			{"page_visit_pv", "bigint", WXA_SRC_FIELD, "Visits of the page (count of page views)."},
			{"page_visit_uv", "bigint", WXA_SRC_FIELD, "Visitors of the page (count of distinct users)."},
			{"page_staytime_pv", "double precision", WXA_SRC_FIELD,
				"Average time spent on the page per visit (seconds)."},
			{"entrypage_pv", "bigint", WXA_SRC_FIELD,
				"Visits that entered the mini program on this page (count)."},
			{"exitpage_pv", "bigint", WXA_SRC_FIELD,
				"Visits that left the mini program from this page (count)."},
			{"page_share_pv", "bigint", WXA_SRC_FIELD, "Shares of the page (count of times shared)."},
			{"page_share_uv", "bigint", WXA_SRC_FIELD,
				"Sharers of the page (count of distinct users who shared)."}}},
	{"user_portrait", "getweanalysisappiduserportrait",
		"WeChat mini program: portrait of the new and the active users of a window of 1, 7 or 30 days (age, gender, province, city, platform, device), one row per attribute value.",
		WXA_PERIOD_PORTRAIT, WXA_SHAPE_PORTRAIT, 200,
		8, {COL_REF_DATE("First day of the window: end_date - (days - 1) (date, Beijing time)."),
			COL_END_DATE("Last day of the window (date, Beijing time)."),
			{"days", "integer", WXA_SRC_DAYS, "Length of the window: 1, 7 or 30 (days)."},
			{"user_type", "text", WXA_SRC_GROUP,
				"Which users: visit_uv_new (new in the window) or visit_uv (active in the window)."},
			{"attribute", "text", WXA_SRC_ATTRIBUTE,
				"The attribute: province, city, genders, platforms, devices or ages."},
			{"id", "integer", WXA_SRC_FIELD,
				"WeChat's id of the attribute value (NULL for devices, which have none)."},
			{"name", "text", WXA_SRC_FIELD,
				"Name of the attribute value, one to one with id (a province, a city, a gender, a platform, a device model, an age range)."},
			{"value", "bigint", WXA_SRC_FIELD,
				"Users of user_type with this attribute value in the window (count of distinct users)."}}},
};

const char *const wxa_appid_column_description =
	"AppID of the mini program the row comes from (the server option appid).";

const int	wxa_endpoint_count = sizeof(wxa_endpoints) / sizeof(wxa_endpoints[0]);

const WxaEndpoint *
wxa_endpoint_by_name(const char *name)
{
	for (int i = 0; i < wxa_endpoint_count; i++)
		if (strcmp(wxa_endpoints[i].name, name) == 0)
			return &wxa_endpoints[i];
	return NULL;
}

int
wxa_endpoint_column(const WxaEndpoint *ep, const char *name)
{
	for (int i = 0; i < ep->ncolumns; i++)
		if (strcmp(ep->columns[i].name, name) == 0)
			return i;
	return -1;
}

const char *
wxa_endpoint_names(void)
{
	static char names[512];
	size_t		used = 0;

	if (names[0] == '\0')
	{
		/* bounded: a longer catalog is cut short in a hint, never written past the buffer */
		for (int i = 0; i < wxa_endpoint_count && used < sizeof(names); i++)
		{
			int			n = snprintf(names + used, sizeof(names) - used, "%s%s",
									 i > 0 ? ", " : "", wxa_endpoints[i].name);

			if (n < 0)
				break;
			used += (size_t) n;
		}
	}
	return names;
}

const char *
wxa_period_kind_name(WxaPeriodKind kind)
{
	switch (kind)
	{
		case WXA_PERIOD_DAY:
			return "day";
		case WXA_PERIOD_WEEK:
			return "week";
		case WXA_PERIOD_MONTH:
			return "month";
		case WXA_PERIOD_PORTRAIT:
			return "portrait window";
	}
	return "?";
}

/* The key meanings documented in the visit-distribution seed document. */
static const char *const source_labels[] = {
	NULL, "小程序历史列表", "搜索", "会话", "二维码", "公众号主页", "聊天顶部",
	"系统桌面", "小程序主页", "附近的小程序", "其他", "模板消息", "客服消息",
	"公众号菜单", "APP分享", "支付完成页", "长按识别二维码", "相册选取二维码",
	"公众号文章"
};
static const char *const staytime_labels[] = {
	NULL, "0-2s", "3-5s", "6-10s", "11-20s", "20-30s", "30-50s", "50-100s", ">100s"
};
static const char *const depth_labels[] = {
	NULL, "1页", "2页", "3页", "4页", "5页", "6-10页", ">10页"
};

#define LOOKUP(table, key) \
	((key) >= 1 && (key) < (long) (sizeof(table) / sizeof((table)[0])) ? (table)[key] : NULL)

const char *
wxa_distribution_label(const char *index, long key)
{
	if (index == NULL)
		return NULL;
	if (strcmp(index, "access_source_session_cnt") == 0)
		return LOOKUP(source_labels, key);
	if (strcmp(index, "access_staytime_info") == 0)
		return LOOKUP(staytime_labels, key);
	if (strcmp(index, "access_depth_info") == 0)
		return LOOKUP(depth_labels, key);
	return NULL;
}
