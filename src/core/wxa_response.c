/*
 * wxa_response.c — parsing the four datacube response shapes.
 *
 * Rules from the documents: a missing field is NULL, an unknown field is
 * ignored, an empty list is zero rows. A field of the wrong JSON type, a
 * non-object where an object belongs, or a ref_date for another period is an
 * error: returning such data would give wrong or silently fewer rows.
 */
#include "wxa_response.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wxa_api.h"

static const char *const user_types[] = {"visit_uv_new", "visit_uv"};
static const char *const portrait_attributes[] = {
	"province", "city", "genders", "platforms", "devices", "ages"
};

/* Values shared by all rows of one group while walking a response. */
typedef struct RowContext
{
	const WxaEndpoint *ep;
	const WxaPeriod *period;
	const char *group;			/* index or user_type */
	const char *attribute;
	WxaRows    *rows;
	WxaError   *err;
} RowContext;

static char *
copy_string(const char *s)
{
	size_t		n = strlen(s) + 1;
	char	   *c = malloc(n);

	if (c != NULL)
		memcpy(c, s, n);
	return c;
}

/* Shortest decimal text that reads back as the same double. */
static char *
format_number(double v)
{
	char		buf[64];

	if (!isfinite(v))
		return NULL;
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		snprintf(buf, sizeof(buf), "%.0f", v);
	else
	{
		snprintf(buf, sizeof(buf), "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof(buf), "%.17g", v);
	}
	return copy_string(buf);
}

static const char *
json_type_name(const cJSON *item)
{
	if (cJSON_IsObject(item))
		return "object";
	if (cJSON_IsArray(item))
		return "array";
	if (cJSON_IsString(item))
		return "string";
	if (cJSON_IsNumber(item))
		return "number";
	if (cJSON_IsBool(item))
		return "boolean";
	return "null";
}

/*
 * Text of a scalar field; *value = NULL for missing or null. Returns -1 for a
 * field that holds an object or array.
 */
static int
field_text(RowContext *cx, const cJSON *object, const char *key, char **value)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);

	*value = NULL;
	if (item == NULL || cJSON_IsNull(item))
		return 0;
	if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
	{
		/* 1e999: cJSON makes it infinite, which no column should read as NULL */
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "field \"%s\" of the response is a number out of range", key);
		return -1;
	}
	if (cJSON_IsNumber(item))
		*value = format_number(item->valuedouble);
	else if (cJSON_IsString(item))
		*value = copy_string(item->valuestring);
	else if (cJSON_IsBool(item))
		*value = copy_string(cJSON_IsTrue(item) ? "true" : "false");
	else
	{
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "field \"%s\" of the response is a JSON %s, expected a number or string",
					  key, json_type_name(item));
		return -1;
	}
	if (*value == NULL)
	{
		/* out of memory is an error, never a NULL cell */
		wxa_error_set(cx->err, WXA_ERR_INTERNAL, "out of memory");
		return -1;
	}
	return 0;
}

static int
grow_rows(WxaRows *rows)
{
	int			capacity = rows->capacity ? rows->capacity * 2 : 8;
	char	  **cells = realloc(rows->cells, sizeof(char *) * (size_t) capacity * rows->ncols);

	if (cells == NULL)
		return -1;
	rows->cells = cells;
	rows->capacity = capacity;
	return 0;
}

/* Append one row; item is the innermost object (its keys feed FIELD columns). */
static int
emit_row(RowContext *cx, const cJSON *item)
{
	const WxaEndpoint *ep = cx->ep;
	WxaRows    *rows = cx->rows;
	char	  **row;
	char		buf[16];

	if (rows->nrows == rows->capacity && grow_rows(rows) != 0)
	{
		wxa_error_set(cx->err, WXA_ERR_INTERNAL, "out of memory");
		return -1;
	}
	row = rows->cells + (size_t) rows->nrows * rows->ncols;
	memset(row, 0, sizeof(char *) * rows->ncols);
	rows->nrows++;				/* counted now so that wxa_rows_free sees it */

	for (int c = 0; c < ep->ncolumns; c++)
	{
		const WxaColumn *col = &ep->columns[c];
		const char *text = NULL;	/* the cell's text, copied below; NULL: a NULL cell */

		switch (col->source)
		{
			case WXA_SRC_REF_DATE:
				wxa_day_format_iso(cx->period->first, buf);
				text = buf;
				break;
			case WXA_SRC_END_DATE:
				wxa_day_format_iso(cx->period->last, buf);
				text = buf;
				break;
			case WXA_SRC_DAYS:
				snprintf(buf, sizeof(buf), "%d", cx->period->days);
				text = buf;
				break;
			case WXA_SRC_GROUP:
				text = cx->group;
				break;
			case WXA_SRC_ATTRIBUTE:
				text = cx->attribute;
				break;
			case WXA_SRC_FIELD:
				/* copies the text itself */
				if (field_text(cx, item, col->name, &row[c]) != 0)
					return -1;
				continue;
			case WXA_SRC_LABEL:
				{
					const cJSON *key = cJSON_GetObjectItemCaseSensitive(item, "key");

					/*
					 * Only whole keys have labels (valueint saturates where a cast
					 * could overflow); the key column takes "3" as 3, so the label does too.
					 */
					if (cJSON_IsNumber(key) && key->valuedouble == (double) key->valueint)
						text = wxa_distribution_label(cx->group, key->valueint);
					else if (cJSON_IsString(key))
					{
						char	   *end;
						long		k = strtol(key->valuestring, &end, 10);

						if (end != key->valuestring && *end == '\0')
							text = wxa_distribution_label(cx->group, k);
					}
				}
				break;
		}
		if (text != NULL && (row[c] = copy_string(text)) == NULL)
		{
			/* out of memory is an error, never a NULL cell */
			wxa_error_set(cx->err, WXA_ERR_INTERNAL, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* An array member that must be present-or-missing; NULL when missing. */
static int
get_array(RowContext *cx, const cJSON *object, const char *key, const cJSON **array)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, key);

	*array = NULL;
	if (item == NULL || cJSON_IsNull(item))
		return 0;
	if (!cJSON_IsArray(item))
	{
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "field \"%s\" of the response is a JSON %s, expected an array",
					  key, json_type_name(item));
		return -1;
	}
	*array = item;
	return 0;
}

/*
 * An answer must have at least one of its shape's fields, even if empty: one
 * without them ({}, {"errcode":0}) is not a period without data.
 */
static int
require_field(RowContext *cx, const cJSON *root, const char *key, const char *other)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
	const cJSON *b = other ? cJSON_GetObjectItemCaseSensitive(root, other) : NULL;

	if ((a && !cJSON_IsNull(a)) || (b && !cJSON_IsNull(b)))
		return 0;
	if (other)
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "the response has neither \"%s\" nor \"%s\"", key, other);
	else
		wxa_error_set(cx->err, WXA_ERR_RESPONSE, "the response has no \"%s\"", key);
	return -1;
}

/* Emit one row per element of an array of objects. */
static int
emit_objects(RowContext *cx, const cJSON *array, const char *what)
{
	const cJSON *item;

	cJSON_ArrayForEach(item, array)
	{
		if (!cJSON_IsObject(item))
		{
			wxa_error_set(cx->err, WXA_ERR_RESPONSE,
						  "an element of \"%s\" in the response is a JSON %s, expected an object",
						  what, json_type_name(item));
			return -1;
		}
		if (emit_row(cx, item) != 0)
			return -1;
	}
	return 0;
}

/*
 * The response's own ref_date must describe the requested period (it starts on
 * the same day). Missing is fine. The portrait is exempt: its document shows a
 * single day for a seven-day window.
 */
static int
check_ref_date(RowContext *cx, const cJSON *object)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(object, "ref_date");
	wxa_day		first,
				last;
	char		want[11];

	if (ref == NULL || cJSON_IsNull(ref) || cx->ep->period == WXA_PERIOD_PORTRAIT)
		return 0;
	if (!cJSON_IsString(ref))
	{
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "the response has a ref_date that is a JSON %s, expected a string",
					  json_type_name(ref));
		return -1;
	}
	if (!wxa_parse_period_text(ref->valuestring, &first, &last))
	{
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "the response has a ref_date that is not a date: \"%s\"", ref->valuestring);
		return -1;
	}
	if (first != cx->period->first)
	{
		wxa_day_format_iso(cx->period->first, want);
		wxa_error_set(cx->err, WXA_ERR_RESPONSE,
					  "the response has ref_date \"%s\" for a request for the period starting %s",
					  ref->valuestring, want);
		return -1;
	}
	return 0;
}

static int
parse_list(RowContext *cx, const cJSON *root)
{
	const cJSON *list;
	const cJSON *item;

	if (require_field(cx, root, "list", NULL) != 0 ||
		get_array(cx, root, "list", &list) != 0 || check_ref_date(cx, root) != 0)
		return -1;
	cJSON_ArrayForEach(item, list)
	{
		if (cJSON_IsObject(item) && check_ref_date(cx, item) != 0)
			return -1;
	}
	return list ? emit_objects(cx, list, "list") : 0;
}

static int
parse_distribution(RowContext *cx, const cJSON *root)
{
	const cJSON *list;
	const cJSON *entry;

	if (require_field(cx, root, "list", NULL) != 0 ||
		get_array(cx, root, "list", &list) != 0 || check_ref_date(cx, root) != 0)
		return -1;
	cJSON_ArrayForEach(entry, list)
	{
		const cJSON *index;
		const cJSON *items;

		if (!cJSON_IsObject(entry))
		{
			wxa_error_set(cx->err, WXA_ERR_RESPONSE,
						  "an element of \"list\" in the response is a JSON %s, expected an object",
						  json_type_name(entry));
			return -1;
		}
		index = cJSON_GetObjectItemCaseSensitive(entry, "index");
		if (index != NULL && !cJSON_IsString(index))
		{
			wxa_error_set(cx->err, WXA_ERR_RESPONSE,
						  "field \"index\" of the response is a JSON %s, expected a string",
						  json_type_name(index));
			return -1;
		}
		cx->group = index ? index->valuestring : NULL;
		if (get_array(cx, entry, "item_list", &items) != 0)
			return -1;
		if (items && emit_objects(cx, items, "item_list") != 0)
			return -1;
	}
	return 0;
}

static int
parse_retain(RowContext *cx, const cJSON *root)
{
	if (require_field(cx, root, user_types[0], user_types[1]) != 0 ||
		check_ref_date(cx, root) != 0)
		return -1;
	for (size_t g = 0; g < sizeof(user_types) / sizeof(user_types[0]); g++)
	{
		const cJSON *array;

		cx->group = user_types[g];
		if (get_array(cx, root, user_types[g], &array) != 0)
			return -1;
		if (array && emit_objects(cx, array, user_types[g]) != 0)
			return -1;
	}
	return 0;
}

static int
parse_portrait(RowContext *cx, const cJSON *root)
{
	if (require_field(cx, root, user_types[0], user_types[1]) != 0)
		return -1;
	for (size_t g = 0; g < sizeof(user_types) / sizeof(user_types[0]); g++)
	{
		const cJSON *group = cJSON_GetObjectItemCaseSensitive(root, user_types[g]);

		if (group == NULL || cJSON_IsNull(group))
			continue;
		if (!cJSON_IsObject(group))
		{
			wxa_error_set(cx->err, WXA_ERR_RESPONSE,
						  "field \"%s\" of the response is a JSON %s, expected an object",
						  user_types[g], json_type_name(group));
			return -1;
		}
		cx->group = user_types[g];
		for (size_t a = 0; a < sizeof(portrait_attributes) / sizeof(portrait_attributes[0]); a++)
		{
			const cJSON *array;

			cx->attribute = portrait_attributes[a];
			if (get_array(cx, group, portrait_attributes[a], &array) != 0)
				return -1;
			/* the portrait document spells it "platfomrs" in one place */
			if (array == NULL && strcmp(portrait_attributes[a], "platforms") == 0 &&
				get_array(cx, group, "platfomrs", &array) != 0)
				return -1;
			if (array && emit_objects(cx, array, portrait_attributes[a]) != 0)
				return -1;
		}
	}
	return 0;
}

/* Refuse JSON nested deeper than any shape needs, before walking it. */
static int
json_depth(const cJSON *item, int depth)	/* NOLINT(misc-no-recursion): stops below WXA_MAX_JSON_DEPTH + 1 */
{
	const cJSON *child;
	int			deepest = depth;

	if (depth > WXA_MAX_JSON_DEPTH)
		return depth;
	cJSON_ArrayForEach(child, item)
	{
		int			d = json_depth(child, depth + 1);

		if (d > deepest)
			deepest = d;
		if (deepest > WXA_MAX_JSON_DEPTH)
			break;
	}
	return deepest;
}

int
wxa_parse_datacube(const WxaEndpoint *ep, const WxaPeriod *period,
				   const char *body, size_t len, WxaRows *rows, WxaError *err)
{
	RowContext	cx = {ep, period, NULL, NULL, rows, err};
	cJSON	   *root;
	int			rc = -1;

	rows->ncols = ep->ncolumns;
	if (wxa_body_kind(body, len) != WXA_BODY_JSON)
	{
		wxa_error_set(err, WXA_ERR_RESPONSE, "the response is not a JSON object");
		return -1;
	}
	root = wxa_json_parse(body, len);
	if (root == NULL)
	{
		wxa_error_set(err, WXA_ERR_RESPONSE,
					  "the response is not valid JSON (%zu bytes, truncated or malformed)", len);
		return -1;
	}
	if (json_depth(root, 0) > WXA_MAX_JSON_DEPTH)
	{
		wxa_error_set(err, WXA_ERR_RESPONSE, "the response is nested deeper than %d levels",
					  WXA_MAX_JSON_DEPTH);
		goto done;
	}
	/* the engine has already refused errcodes with the credentials at hand */
	if (wxa_json_errcode(root, &err->errcode, err->errmsg, sizeof(err->errmsg), NULL, NULL))
	{
		wxa_error_set(err, WXA_ERR_API, "WeChat returned errcode %ld", err->errcode);
		goto done;
	}
	switch (ep->shape)
	{
		case WXA_SHAPE_LIST:
			rc = parse_list(&cx, root);
			break;
		case WXA_SHAPE_DISTRIBUTION:
			rc = parse_distribution(&cx, root);
			break;
		case WXA_SHAPE_RETAIN:
			rc = parse_retain(&cx, root);
			break;
		case WXA_SHAPE_PORTRAIT:
			rc = parse_portrait(&cx, root);
			break;
	}
done:
	cJSON_Delete(root);
	return rc;
}

const char *
wxa_rows_cell(const WxaRows *rows, int row, int col)
{
	return rows->cells[(size_t) row * rows->ncols + col];
}

void
wxa_rows_free(WxaRows *rows)
{
	for (size_t i = 0; i < (size_t) rows->nrows * rows->ncols; i++)
		free(rows->cells[i]);
	free(rows->cells);
	rows->cells = NULL;
	rows->nrows = rows->capacity = 0;
}
