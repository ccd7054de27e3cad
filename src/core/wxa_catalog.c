/*
 * wxa_catalog.c — the ten analysis endpoints of the WeChat mini-program API.
 */
#include "wxa_catalog.h"

#include <stdio.h>
#include <string.h>

#define COL_REF_DATE {"ref_date", "date", WXA_SRC_REF_DATE}
#define COL_END_DATE {"end_date", "date", WXA_SRC_END_DATE}
#define VISIT_TREND_METRICS \
	{"session_cnt", "bigint", WXA_SRC_FIELD}, \
	{"visit_pv", "bigint", WXA_SRC_FIELD}, \
	{"visit_uv", "bigint", WXA_SRC_FIELD}, \
	{"visit_uv_new", "bigint", WXA_SRC_FIELD}, \
	{"stay_time_uv", "double precision", WXA_SRC_FIELD}, \
	{"stay_time_session", "double precision", WXA_SRC_FIELD}, \
	{"visit_depth", "double precision", WXA_SRC_FIELD}
#define RETAIN_COLUMNS \
	{"user_type", "text", WXA_SRC_GROUP}, \
	{"key", "integer", WXA_SRC_FIELD}, \
	{"value", "bigint", WXA_SRC_FIELD}

const WxaEndpoint wxa_endpoints[] = {
	{"daily_summary", "getweanalysisappiddailysummarytrend", WXA_PERIOD_DAY, WXA_SHAPE_LIST, 1,
		4, {COL_REF_DATE,
			{"visit_total", "bigint", WXA_SRC_FIELD},
			{"share_pv", "bigint", WXA_SRC_FIELD},
			{"share_uv", "bigint", WXA_SRC_FIELD}}},
	{"daily_visit_trend", "getweanalysisappiddailyvisittrend", WXA_PERIOD_DAY, WXA_SHAPE_LIST, 1,
		8, {COL_REF_DATE, VISIT_TREND_METRICS}},
	{"weekly_visit_trend", "getweanalysisappidweeklyvisittrend", WXA_PERIOD_WEEK, WXA_SHAPE_LIST, 1,
		9, {COL_REF_DATE, COL_END_DATE, VISIT_TREND_METRICS}},
	{"monthly_visit_trend", "getweanalysisappidmonthlyvisittrend", WXA_PERIOD_MONTH, WXA_SHAPE_LIST, 1,
		9, {COL_REF_DATE, COL_END_DATE, VISIT_TREND_METRICS}},
	{"visit_distribution", "getweanalysisappidvisitdistribution", WXA_PERIOD_DAY, WXA_SHAPE_DISTRIBUTION, 30,
		5, {COL_REF_DATE,
			{"index", "text", WXA_SRC_GROUP},
			{"key", "integer", WXA_SRC_FIELD},
			{"value", "bigint", WXA_SRC_FIELD},
			{"label", "text", WXA_SRC_LABEL}}},
	{"daily_retain", "getweanalysisappiddailyretaininfo", WXA_PERIOD_DAY, WXA_SHAPE_RETAIN, 20,
		4, {COL_REF_DATE, RETAIN_COLUMNS}},
	{"weekly_retain", "getweanalysisappidweeklyretaininfo", WXA_PERIOD_WEEK, WXA_SHAPE_RETAIN, 10,
		5, {COL_REF_DATE, COL_END_DATE, RETAIN_COLUMNS}},
	{"monthly_retain", "getweanalysisappidmonthlyretaininfo", WXA_PERIOD_MONTH, WXA_SHAPE_RETAIN, 4,
		5, {COL_REF_DATE, COL_END_DATE, RETAIN_COLUMNS}},
	{"visit_page", "getweanalysisappidvisitpage", WXA_PERIOD_DAY, WXA_SHAPE_LIST, 50,
		9, {COL_REF_DATE,
			{"page_path", "text", WXA_SRC_FIELD},
			{"page_visit_pv", "bigint", WXA_SRC_FIELD},
			{"page_visit_uv", "bigint", WXA_SRC_FIELD},
			{"page_staytime_pv", "double precision", WXA_SRC_FIELD},
			{"entrypage_pv", "bigint", WXA_SRC_FIELD},
			{"exitpage_pv", "bigint", WXA_SRC_FIELD},
			{"page_share_pv", "bigint", WXA_SRC_FIELD},
			{"page_share_uv", "bigint", WXA_SRC_FIELD}}},
	{"user_portrait", "getweanalysisappiduserportrait", WXA_PERIOD_PORTRAIT, WXA_SHAPE_PORTRAIT, 200,
		8, {COL_REF_DATE, COL_END_DATE,
			{"days", "integer", WXA_SRC_DAYS},
			{"user_type", "text", WXA_SRC_GROUP},
			{"attribute", "text", WXA_SRC_ATTRIBUTE},
			{"id", "integer", WXA_SRC_FIELD},
			{"name", "text", WXA_SRC_FIELD},
			{"value", "bigint", WXA_SRC_FIELD}}},
};

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
