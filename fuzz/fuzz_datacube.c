/*
 * fuzz_datacube.c — the datacube response parser, for every endpoint.
 *
 * Input: byte 0 picks the endpoint (catalog order), bytes 1..3 a day (offset
 * from 0001-01-01) that becomes the period the planner would have asked for
 * (aligned to the endpoint's kind), byte 4 the portrait window; the rest is
 * the response body, passed without a terminating NUL.
 */
#include "fuzz.h"

#include "wxa_api.h"
#include "wxa_catalog.h"
#include "wxa_response.h"

#define HEADER 5

static WxaPeriod
header_period(const WxaEndpoint *ep, const uint8_t *data)
{
	static const int windows[] = {1, 7, 30};
	long		offset = ((long) data[1] << 16 | data[2] << 8 | data[3]) %
		(WXA_DAY_MAX - WXA_DAY_MIN + 1);
	wxa_day		d = WXA_DAY_MIN + (wxa_day) offset;
	WxaPeriod	p;

	switch (ep->period)
	{
		case WXA_PERIOD_DAY:
			p.first = p.last = d;
			break;
		case WXA_PERIOD_WEEK:
			p.first = wxa_week_start(d);
			if (p.first < WXA_DAY_MIN)
				p.first += 7;
			if (p.first + 6 > WXA_DAY_MAX)
				p.first -= 7;
			p.last = p.first + 6;
			break;
		case WXA_PERIOD_MONTH:
			p.first = wxa_month_start(d);
			p.last = wxa_month_end(d);
			break;
		default:
			p.first = d;
			p.last = d + windows[data[4] % 3] - 1;
			if (p.last > WXA_DAY_MAX)
			{
				p.first -= p.last - WXA_DAY_MAX;
				p.last = WXA_DAY_MAX;
			}
			break;
	}
	p.days = p.last - p.first + 1;
	FUZZ_CHECK(wxa_period_valid(ep->period, p.first, p.last));
	return p;
}

static bool
one_of(const char *value, const char *const *set, int n)
{
	for (int i = 0; i < n; i++)
		if (strcmp(value, set[i]) == 0)
			return true;
	return false;
}

static void
check_rows(const WxaEndpoint *ep, const WxaPeriod *period, const WxaRows *rows)
{
	static const char *const user_types[] = {"visit_uv_new", "visit_uv"};
	static const char *const attributes[] = {
		"province", "city", "genders", "platforms", "devices", "ages"
	};
	char		first[11],
				last[11],
				days[16];

	wxa_day_format_iso(period->first, first);
	wxa_day_format_iso(period->last, last);
	snprintf(days, sizeof(days), "%d", period->days);
	FUZZ_CHECK(rows->ncols == ep->ncolumns);
	FUZZ_CHECK(rows->nrows >= 0 && rows->nrows <= rows->capacity);
	for (int r = 0; r < rows->nrows; r++)
	{
		for (int c = 0; c < ep->ncolumns; c++)
		{
			const char *cell = wxa_rows_cell(rows, r, c);

			switch (ep->columns[c].source)
			{
				case WXA_SRC_REF_DATE:
					FUZZ_CHECK(cell && strcmp(cell, first) == 0);
					break;
				case WXA_SRC_END_DATE:
					FUZZ_CHECK(cell && strcmp(cell, last) == 0);
					break;
				case WXA_SRC_DAYS:
					FUZZ_CHECK(cell && strcmp(cell, days) == 0);
					break;
				case WXA_SRC_GROUP:
					/* the distribution's index is the response's own string */
					if (ep->shape != WXA_SHAPE_DISTRIBUTION)
						FUZZ_CHECK(cell && one_of(cell, user_types, 2));
					break;
				case WXA_SRC_ATTRIBUTE:
					FUZZ_CHECK(cell && one_of(cell, attributes, 6));
					break;
				case WXA_SRC_FIELD:
				case WXA_SRC_LABEL:
					/* any text; reading every byte lets ASan see a bad string */
					if (cell)
						FUZZ_CHECK(strlen(cell) < (size_t) 1 << 30);
					break;
			}
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const WxaEndpoint *ep;
	WxaPeriod	period;
	WxaRows		rows = {0};
	WxaError	err;
	char	   *body;
	size_t		len;
	int			rc;

	if (size < HEADER)
		return 0;
	ep = &wxa_endpoints[data[0] % wxa_endpoint_count];
	period = header_period(ep, data);
	len = size - HEADER;
	/* an exact-size copy: a read past the body is a heap overflow ASan sees */
	body = malloc(len ? len : 1);
	FUZZ_CHECK(body != NULL);
	memcpy(body, data + HEADER, len);

	wxa_error_clear(&err);
	rc = wxa_parse_datacube(ep, &period, body, len, &rows, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0)
	{
		FUZZ_CHECK(err.kind == WXA_OK);
		check_rows(ep, &period, &rows);
	}
	else
	{
		FUZZ_CHECK(err.kind == WXA_ERR_API || err.kind == WXA_ERR_RESPONSE ||
				   err.kind == WXA_ERR_INTERNAL);
		FUZZ_CHECK(err.message[0] != '\0');
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) != NULL);
		FUZZ_CHECK(memchr(err.errmsg, '\0', sizeof(err.errmsg)) != NULL);
		if (err.kind == WXA_ERR_API)
			FUZZ_CHECK(err.errcode != 0);
		fuzz_check_scrubbed(err.errmsg, "access_token=");
		fuzz_check_scrubbed(err.errmsg, "secret=");
	}
	wxa_rows_free(&rows);
	free(body);
	return 0;
}
