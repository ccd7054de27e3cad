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

const char *
wxa_token_api(WxaTokenEndpoint endpoint)
{
	return endpoint == WXA_TOKEN_STABLE ? "cgi-bin/stable_token" : "cgi-bin/token";
}

int
wxa_token_request(const char *base_url, WxaTokenEndpoint endpoint, const char *appid,
				  const char *secret, char **url, char **body)
{
	*body = NULL;
	if (endpoint == WXA_TOKEN_STABLE)
	{
		size_t		n = strlen(base_url) + 32;

		*url = malloc(n);
		if (*url)
			snprintf(*url, n, "%s/cgi-bin/stable_token", base_url);
		*body = stable_body(appid, secret);
	}
	else
		*url = classic_url(base_url, appid, secret);
	if (*url == NULL || (endpoint == WXA_TOKEN_STABLE && *body == NULL))
	{
		free(*url);
		free(*body);
		*url = *body = NULL;
		return -1;
	}
	return 0;
}
