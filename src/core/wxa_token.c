/*
 * wxa_token.c — one access-token fetch, stable or classic.
 */
#include "wxa_token.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wxa_api.h"

static char *
classic_url(const char *base_url, const char *appid, const char *secret)
{
	char	   *a = curl_easy_escape(NULL, appid, 0);
	char	   *s = curl_easy_escape(NULL, secret, 0);
	char	   *url = NULL;

	if (a && s)
	{
		size_t		n = strlen(base_url) + strlen(a) + strlen(s) + 80;

		url = malloc(n);
		if (url)
			snprintf(url, n, "%s/cgi-bin/token?grant_type=client_credential&appid=%s&secret=%s",
					 base_url, a, s);
	}
	curl_free(a);
	curl_free(s);
	return url;
}

static char *
stable_body(const char *appid, const char *secret)
{
	cJSON	   *body = cJSON_CreateObject();
	char	   *text = NULL;

	if (body &&
		cJSON_AddStringToObject(body, "grant_type", "client_credential") &&
		cJSON_AddStringToObject(body, "appid", appid) &&
		cJSON_AddStringToObject(body, "secret", secret) &&
		cJSON_AddFalseToObject(body, "force_refresh"))
		text = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	return text;
}

int
wxa_token_parse(const char *response, size_t len, char **token, long *expires_in, WxaError *err)
{
	cJSON	   *root = wxa_json_parse(response, len);
	const cJSON *t;
	const cJSON *e;
	int			rc = -1;

	*token = NULL;
	if (root == NULL)
	{
		wxa_error_set(err, WXA_ERR_RESPONSE, "the token response is not valid JSON");
		return -1;
	}
	t = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	e = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (!cJSON_IsString(t) || t->valuestring[0] == '\0' || strlen(t->valuestring) >= 512)
		wxa_error_set(err, WXA_ERR_RESPONSE, "the token response has no usable access_token");
	/*
	 * Seconds left, below 1e9 (1e999 and 7e21 are no lifetime). The stable
	 * endpoint counts the current token down to 0: a token about to expire is
	 * a valid answer, and whether to use it is the caller's decision.
	 */
	else if (!cJSON_IsNumber(e) || !(e->valuedouble >= 0 && e->valuedouble < 1e9))
		wxa_error_set(err, WXA_ERR_RESPONSE, "the token response has no usable expires_in");
	else
	{
		*token = strdup(t->valuestring);
		*expires_in = (long) e->valuedouble;	/* a fraction of a second left counts as none */
		rc = *token ? 0 : -1;
	}
	cJSON_Delete(root);
	return rc;
}

int
wxa_token_fetch(const WxaHttpOptions *options, const char *base_url, WxaTokenEndpoint endpoint,
				const char *appid, const char *secret, char **token, long *expires_in,
				WxaHttpStats *stats, WxaError *err)
{
	char	   *url;
	char	   *body = NULL;
	char	   *response = NULL;
	size_t		len = 0;
	int			rc = -1;
	const char *what = endpoint == WXA_TOKEN_STABLE ? "cgi-bin/stable_token" : "cgi-bin/token";
	WxaHttpOptions with_secret = *options;
	WxaHttpStats fetch_stats = {0};

	/* the engine scrubs WeChat's errmsg of the secret before cutting it to size */
	with_secret.secret = secret;
	*token = NULL;
	wxa_error_clear(err);
	if (endpoint == WXA_TOKEN_STABLE)
	{
		size_t		n = strlen(base_url) + 32;

		url = malloc(n);
		if (url)
			snprintf(url, n, "%s/cgi-bin/stable_token", base_url);
		body = stable_body(appid, secret);
	}
	else
		url = classic_url(base_url, appid, secret);

	if (url == NULL || (endpoint == WXA_TOKEN_STABLE && body == NULL))
		wxa_error_set(err, WXA_ERR_INTERNAL, "out of memory");
	else if (wxa_http_fetch(&with_secret, NULL, url, body, false, what, &response, &len,
							&fetch_stats, err) == 0)
	{
		rc = wxa_token_parse(response, len, token, expires_in, err);
		if (rc != 0)
		{
			snprintf(err->what, sizeof(err->what), "%s", what);
			err->attempts = (int) fetch_stats.sent;
		}
	}
	if (stats)
		wxa_http_stats_add(stats, &fetch_stats);
	wxa_redact(err->message, secret, NULL);
	wxa_redact(err->errmsg, secret, NULL);
	free(url);
	free(body);
	free(response);
	return rc;
}
