/*
 * test_oom.c — out of memory in the core is an error, never data: every
 * allocation of a datacube parse is made to fail in turn (the n-th call to
 * malloc, calloc or realloc, through the linker's --wrap; cJSON's own through
 * cJSON_InitHooks), and the parse must then fail, or succeed with exactly the
 * rows it gives when memory is plentiful — never a NULL cell or a lost row.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "wxa_catalog.h"
#include "wxa_response.h"

#include "unit_check.h"

void	   *__real_malloc(size_t size); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
void	   *__real_calloc(size_t n, size_t size); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
void	   *__real_realloc(void *p, size_t size); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
void	   *__wrap_malloc(size_t size); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
void	   *__wrap_calloc(size_t n, size_t size); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
void	   *__wrap_realloc(void *p, size_t size); /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */

static long fail_at = 0;		/* the allocation to fail, counting from 1; 0: none */
static long allocations = 0;

static bool
this_one_fails(void)
{
	return fail_at > 0 && ++allocations == fail_at;
}

void *
__wrap_malloc(size_t size) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
{
	return this_one_fails() ? NULL : __real_malloc(size);
}

void *
__wrap_calloc(size_t n, size_t size) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
{
	return this_one_fails() ? NULL : __real_calloc(n, size);
}

void *
__wrap_realloc(void *p, size_t size) /* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp): the linker's --wrap names */
{
	return this_one_fails() ? NULL : __real_realloc(p, size);
}

static void *
json_malloc(size_t size)
{
	return __wrap_malloc(size);
}

static bool
same_rows(const WxaRows *a, const WxaRows *b)
{
	if (a->nrows != b->nrows || a->ncols != b->ncols)
		return false;
	for (int r = 0; r < a->nrows; r++)
		for (int c = 0; c < a->ncols; c++)
		{
			const char *x = wxa_rows_cell(a, r, c);
			const char *y = wxa_rows_cell(b, r, c);

			if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
				return false;
		}
	return true;
}

/* Fail each allocation of one parse in turn. */
static void
parse_failing_each_allocation(const char *endpoint, const WxaPeriod *period, const char *body)
{
	const WxaEndpoint *ep = wxa_endpoint_by_name(endpoint);
	WxaRows		reference = {0};
	WxaError	err;
	long		n;
	bool		all_right = true;
	int			failures = 0;

	fail_at = 0;
	CHECK(ep != NULL);
	CHECK(wxa_parse_datacube(ep, period, body, strlen(body), &reference, &err) == 0);
	CHECK(reference.nrows > 0);
	for (n = 1; n < 10000; n++)
	{
		WxaRows		rows = {0};
		int			rc;

		wxa_error_clear(&err);
		allocations = 0;
		fail_at = n;
		rc = wxa_parse_datacube(ep, period, body, strlen(body), &rows, &err);
		fail_at = 0;
		if (allocations < n)
		{
			/* the parse needs fewer than n allocations: every one has failed once */
			all_right = all_right && rc == 0 && same_rows(&rows, &reference);
			wxa_rows_free(&rows);
			break;
		}
		if (rc == 0)
		{
			if (!same_rows(&rows, &reference))
			{
				printf("  %s: with allocation %ld failing, the parse succeeded with other rows\n",
					   endpoint, n);
				all_right = false;
			}
		}
		else
		{
			failures++;
			/* cJSON out of memory reads as malformed JSON: an error too */
			all_right = all_right && (err.kind == WXA_ERR_INTERNAL || err.kind == WXA_ERR_RESPONSE);
		}
		wxa_rows_free(&rows);
	}
	CHECK(n > 1 && n < 10000);
	CHECK(failures > 0);
	CHECK(all_right);
	wxa_rows_free(&reference);
}

int
main(void)
{
	cJSON_Hooks hooks = {json_malloc, free};
	WxaPeriod	day = {0};
	WxaPeriod	portrait = {0};

	cJSON_InitHooks(&hooks);
	day.first = day.last = wxa_day_from_ymd(2024, 1, 15);
	day.days = 1;
	portrait.first = wxa_day_from_ymd(2024, 3, 25);
	portrait.last = wxa_day_from_ymd(2024, 3, 31);
	portrait.days = 7;

	parse_failing_each_allocation("daily_visit_trend", &day,
								  "{\"list\":[{\"ref_date\":\"20240115\",\"session_cnt\":12,"
								  "\"visit_pv\":34,\"visit_uv\":5,\"visit_uv_new\":1,"
								  "\"stay_time_uv\":12.5,\"stay_time_session\":3.25,"
								  "\"visit_depth\":1.5}]}");
	parse_failing_each_allocation("visit_distribution", &day,
								  "{\"ref_date\":\"20240115\",\"list\":[{\"index\":\"access_source_session_cnt\","
								  "\"item_list\":[{\"key\":1,\"value\":10},{\"key\":2,\"value\":20}]},"
								  "{\"index\":\"access_staytime_info\",\"item_list\":[{\"key\":8,\"value\":3}]}]}");
	parse_failing_each_allocation("user_portrait", &portrait,
								  "{\"ref_date\":\"20240325-20240331\",\"visit_uv_new\":{\"province\":"
								  "[{\"id\":1,\"name\":\"Guangdong\",\"value\":7}],\"genders\":"
								  "[{\"id\":1,\"name\":\"male\",\"value\":3}]},\"visit_uv\":{\"ages\":"
								  "[{\"id\":2,\"name\":\"18-24\",\"value\":9}]}}");
	return unit_report();
}
