/*
 * wxa_session.c — the request and the answer of code2session.
 */
#include "wxa_session.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wxa_api.h"

char *
wxa_code2session_url(const char *base_url, const char *appid, const char *secret,
					 const char *js_code)
{
	char	   *a = curl_easy_escape(NULL, appid, 0);
	char	   *s = curl_easy_escape(NULL, secret, 0);
	char	   *c = curl_easy_escape(NULL, js_code, 0);
	char	   *url = NULL;

	if (a && s && c)
	{
		size_t		n = strlen(base_url) + strlen(a) + strlen(s) + strlen(c) + 96;

		url = malloc(n);
		if (url)
			snprintf(url, n, "%s/" WXA_CODE2SESSION_API "?appid=%s&secret=%s&js_code=%s&grant_type=authorization_code",
					 base_url, a, s, c);
	}
	if (s)
		explicit_bzero(s, strlen(s));
	curl_free(a);
	curl_free(s);
	curl_free(c);
	return url;
}

/* A non-empty string member, copied; NULL when absent or not a string. */
static char *
string_member(const cJSON *root, const char *name)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);

	if (!cJSON_IsString(item) || item->valuestring[0] == '\0')
		return NULL;
	return strdup(item->valuestring);
}

int
wxa_code2session_parse(const char *body, size_t len, WxaSession *session, WxaError *err)
{
	cJSON	   *root = wxa_json_parse(body, len);
	const cJSON *unionid;

	memset(session, 0, sizeof(*session));
	if (!cJSON_IsObject(root))
	{
		cJSON_Delete(root);
		wxa_error_set(err, WXA_ERR_RESPONSE, "the code2session answer is not a JSON object");
		return -1;
	}
	session->openid = string_member(root, "openid");
	session->session_key = string_member(root, "session_key");
	unionid = cJSON_GetObjectItemCaseSensitive(root, "unionid");
	if (unionid && !cJSON_IsNull(unionid))
		session->unionid = string_member(root, "unionid");
	if (session->openid == NULL || session->session_key == NULL ||
		(unionid && !cJSON_IsNull(unionid) && session->unionid == NULL))
	{
		wxa_error_set(err, WXA_ERR_RESPONSE, "the code2session answer has no usable %s",
					  session->openid == NULL ? "openid" :
					  session->session_key == NULL ? "session_key" : "unionid");
		wxa_session_free(session);
		cJSON_Delete(root);
		return -1;
	}
	/* the parsed tree holds the session_key too */
	explicit_bzero(cJSON_GetObjectItemCaseSensitive(root, "session_key")->valuestring,
				   strlen(session->session_key));
	cJSON_Delete(root);
	return 0;
}

void
wxa_session_free(WxaSession *session)
{
	if (session->session_key)
		explicit_bzero(session->session_key, strlen(session->session_key));
	free(session->openid);
	free(session->session_key);
	free(session->unionid);
	memset(session, 0, sizeof(*session));
}
