/*
 * wxa_quota.c — the paths whose quota wxa_fdw reports, and the quota answer.
 *
 * The list is derived from what wxa_fdw calls (the endpoint catalog, the code
 * interfaces, the token endpoint), so a new endpoint is listed without a
 * second list to keep in step.
 */
#include "wxa_quota.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>

#include "wxa_api.h"
#include "wxa_catalog.h"
#include "wxa_wxacode.h"

static void
add_path(char paths[][WXA_QUOTA_PATH_MAX], int max, int *n, const char *prefix, const char *api)
{
	if (*n < max)
		snprintf(paths[*n], WXA_QUOTA_PATH_MAX, "/%s%s", prefix, api);
	(*n)++;
}

int
wxa_quota_paths(WxaTokenEndpoint token_endpoint, char paths[][WXA_QUOTA_PATH_MAX], int max)
{
	static const WxaCodeInterface codes[] = {WXA_CODE_A, WXA_CODE_B, WXA_CODE_C};
	int			n = 0;

	for (int i = 0; i < wxa_endpoint_count; i++)
		add_path(paths, max, &n, "datacube/", wxa_endpoints[i].api);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		add_path(paths, max, &n, "", wxa_code_api(codes[i]));
	add_path(paths, max, &n, "", wxa_token_api(token_endpoint));
	return n;
}

char *
wxa_quota_request_body(const char *cgi_path)
{
	cJSON	   *body = cJSON_CreateObject();
	char	   *text = NULL;

	if (body && cJSON_AddStringToObject(body, "cgi_path", cgi_path))
		text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	return text;
}

/* A whole, non-negative number member of quota. */
static bool
count_member(const cJSON *quota, const char *name, long long *value)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(quota, name);

	if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 9e15 ||
		item->valuedouble != (double) (long long) item->valuedouble)
		return false;
	*value = (long long) item->valuedouble;
	return true;
}

int
wxa_quota_parse(const char *body, size_t len, WxaQuota *quota, WxaError *err)
{
	cJSON	   *root = wxa_json_parse(body, len);
	const cJSON *object = cJSON_GetObjectItemCaseSensitive(root, "quota");
	int			rc = 0;

	if (!cJSON_IsObject(object))
	{
		wxa_error_set(err, WXA_ERR_RESPONSE, "the answer has no \"quota\" object");
		rc = -1;
	}
	else if (!count_member(object, "daily_limit", &quota->daily_limit) ||
			 !count_member(object, "used", &quota->used) ||
			 !count_member(object, "remain", &quota->remain))
	{
		wxa_error_set(err, WXA_ERR_RESPONSE,
					  "the answer's \"quota\" needs whole non-negative numbers daily_limit, used and remain");
		rc = -1;
	}
	cJSON_Delete(root);
	return rc;
}
