/*
 * wxa_catalog.h — the analysis endpoints as data.
 *
 * Every foreign table maps to one row of the catalog: which API it calls, what
 * period one request covers, how the response is shaped and which columns it
 * yields. The scan, option validation, EXPLAIN and IMPORT FOREIGN SCHEMA all
 * read this table; adding an endpoint is adding a row.
 */
#ifndef WXA_CATALOG_H
#define WXA_CATALOG_H

typedef enum WxaPeriodKind
{
	WXA_PERIOD_DAY,				/* begin = end */
	WXA_PERIOD_WEEK,			/* Monday .. Sunday */
	WXA_PERIOD_MONTH,			/* first .. last day of a month */
	WXA_PERIOD_PORTRAIT			/* a window of 1, 7 or 30 days ending on end_date */
} WxaPeriodKind;

typedef enum WxaShape
{
	WXA_SHAPE_LIST,				/* {"list":[{...},...]}: one row per object */
	WXA_SHAPE_DISTRIBUTION,		/* {"list":[{"index","item_list":[{key,value}]}]} */
	WXA_SHAPE_RETAIN,			/* {"visit_uv_new":[{key,value}],"visit_uv":[...]} */
	WXA_SHAPE_PORTRAIT			/* {"visit_uv_new":{"province":[{id,name,value}],...},...} */
} WxaShape;

/* Where a column's value comes from. */
typedef enum WxaSource
{
	WXA_SRC_REF_DATE,			/* first day of the period */
	WXA_SRC_END_DATE,			/* last day of the period */
	WXA_SRC_DAYS,				/* length of the portrait window */
	WXA_SRC_FIELD,				/* a key of the innermost JSON object */
	WXA_SRC_GROUP,				/* distribution index, or user_type */
	WXA_SRC_ATTRIBUTE,			/* portrait attribute (province, city, ...) */
	WXA_SRC_LABEL				/* documented meaning of a distribution key */
} WxaSource;

typedef struct WxaColumn
{
	const char *name;			/* column name, also the JSON key for FIELD */
	const char *type;			/* canonical SQL type */
	WxaSource	source;
	const char *description;	/* COMMENT ON COLUMN: English, with the unit */
} WxaColumn;

#define WXA_MAX_COLUMNS 12

typedef struct WxaEndpoint
{
	const char *name;			/* table / endpoint option value */
	const char *api;			/* datacube/<api> */
	const char *description;	/* COMMENT ON TABLE */
	WxaPeriodKind period;
	WxaShape	shape;
	int			rows_per_request;	/* planner estimate */
	int			ncolumns;
	WxaColumn	columns[WXA_MAX_COLUMNS];
} WxaEndpoint;

extern const WxaEndpoint wxa_endpoints[];
extern const int wxa_endpoint_count;

const WxaEndpoint *wxa_endpoint_by_name(const char *name);
/* Index of the column with this name, or -1. */
int			wxa_endpoint_column(const WxaEndpoint *ep, const char *name);
/* Comma-separated list of endpoint names, for hints. Static storage. */
const char *wxa_endpoint_names(void);
/* Human-readable meaning of a visit_distribution key; NULL when undocumented. */
const char *wxa_distribution_label(const char *index, long key);
const char *wxa_period_kind_name(WxaPeriodKind kind);
/* Description of the appid column any wxa table may declare. */
extern const char *const wxa_appid_column_description;

#endif
