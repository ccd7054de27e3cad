/*
 * quota.c — wxa_api_quota(server, cgi_path): the daily quota of one API, or
 * of every API wxa_fdw calls, from WeChat's /cgi-bin/openapi/quota/get.
 *
 * Only reads the quota: /cgi-bin/clear_quota (10 resets a month) is never
 * called. The queries of several paths run concurrently; any failure fails
 * the call, since a partial list would hide the path that could not be read.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "compat.h"
#include "core/wxa_quota.h"

#define MAX_QUOTA_PATHS 64

PG_FUNCTION_INFO_V1(wxa_api_quota);

/* wxa_api_quota(server, cgi_path) RETURNS TABLE (cgi_path, daily_limit, used, remain) */
Datum
wxa_api_quota(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WxaConfig  *config = wxa_config_for_call(fcinfo);
	char		paths[MAX_QUOTA_PATHS][WXA_QUOTA_PATH_MAX];
	int			npaths;
	WxaHttpOptions options;
	WxaTokenSession session;
	WxaTokenProvider provider;
	WxaBatch   *volatile batch = NULL;
	char	   *url;

	if (PG_ARGISNULL(1))
	{
		npaths = wxa_quota_paths(config->token_endpoint, paths, MAX_QUOTA_PATHS);
		Assert(npaths <= MAX_QUOTA_PATHS);
	}
	else
	{
		char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (path[0] != '/' || strlen(path) >= WXA_QUOTA_PATH_MAX || strchr(path, '?') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument \"cgi_path\" must be an API's path with its leading \"/\", without host and query, at most %d bytes",
							WXA_QUOTA_PATH_MAX - 1),
					 errhint("For example '/wxa/getwxacodeunlimit', or NULL for every API wxa_fdw calls.")));
		snprintf(paths[0], WXA_QUOTA_PATH_MAX, "%s", path);
		npaths = 1;
	}

	InitMaterializedSRF(fcinfo, 0);
	wxa_http_options_for(config, &options);
	wxa_token_session_init(&session, config);
	provider = wxa_token_provider(&session);
	url = psprintf("%s/%s", config->api_base_url, WXA_QUOTA_API);
	batch = wxa_batch_new(&options, &provider);
	if (batch == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	PG_TRY();
	{
		for (int i = 0; i < npaths; i++)
		{
			char	   *body = wxa_quota_request_body(paths[i]);
			char		what[WXA_QUOTA_PATH_MAX + 40];

			snprintf(what, sizeof(what), "%s (%s)", WXA_QUOTA_API, paths[i]);
			if (body == NULL || wxa_batch_add(batch, url, body, true, what) != i)
			{
				free(body);
				ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
			}
			free(body);
		}
		for (int i = 0; i < npaths; i++)
		{
			WxaError	err;
			WxaQuota	quota;
			const char *response;
			size_t		len;
			Datum		values[4];
			bool		nulls[4] = {false, false, false, false};

			wxa_error_clear(&err);
			if (wxa_batch_wait(batch, i, &err) != 0)
				wxa_raise(&err, config);
			response = wxa_batch_response(batch, i, &len);
			if (wxa_quota_parse(response, len, &quota, &err) != 0)
			{
				snprintf(err.what, sizeof(err.what), "%s (%s)", WXA_QUOTA_API, paths[i]);
				err.attempts = 1;
				wxa_raise(&err, config);
			}
			wxa_batch_forget(batch, i);
			values[0] = CStringGetTextDatum(paths[i]);
			values[1] = Int64GetDatum(quota.daily_limit);
			values[2] = Int64GetDatum(quota.used);
			values[3] = Int64GetDatum(quota.remain);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	PG_CATCH();
	{
		wxa_stats_batch(config, WXA_QUOTA_API, batch);
		wxa_batch_free(batch);
		PG_RE_THROW();
	}
	PG_END_TRY();
	wxa_stats_batch(config, WXA_QUOTA_API, batch);
	wxa_batch_free(batch);
	return (Datum) 0;
}
