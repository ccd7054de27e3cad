/*
 * wxa_quota.h — the daily quota of WeChat's APIs (POST /cgi-bin/openapi/quota/get):
 * which paths wxa_fdw can ask about, the request body and the answer.
 */
#ifndef WXA_QUOTA_H
#define WXA_QUOTA_H

#include <stddef.h>

#include "wxa_error.h"
#include "wxa_token.h"

#define WXA_QUOTA_API "cgi-bin/openapi/quota/get"
#define WXA_QUOTA_PATH_MAX 128

typedef struct WxaQuota
{
	long long	daily_limit;
	long long	used;
	long long	remain;
} WxaQuota;

/*
 * The cgi_path ("/datacube/getwe...", leading '/') of every API wxa_fdw calls
 * whose quota WeChat reports: the analysis endpoints of the catalog, the three
 * code images and the token endpoint in use. Not /sns/jscode2session (WeChat
 * answers 76022 for /sns/ paths) and not the quota query itself. Fills up to
 * max paths; returns how many there are.
 */
int			wxa_quota_paths(WxaTokenEndpoint token_endpoint,
							char paths[][WXA_QUOTA_PATH_MAX], int max);

/* {"cgi_path":"..."}; malloc'd, NULL when out of memory. */
char	   *wxa_quota_request_body(const char *cgi_path);

/*
 * Read an answer (errcode answers are already failures in the HTTP engine):
 * 0 with quota filled, or -1 with err filled (WXA_ERR_RESPONSE).
 */
int			wxa_quota_parse(const char *body, size_t len, WxaQuota *quota, WxaError *err);

#endif
