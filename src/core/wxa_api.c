/*
 * wxa_api.c — response classification, errcodes, request bodies, redaction.
 */
#include "wxa_api.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

WxaBodyKind
wxa_body_kind(const char *body, size_t len)
{
	const unsigned char *b = (const unsigned char *) body;
	size_t		i = 0;

	if (len >= 4 && b[0] == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G')
		return WXA_BODY_PNG;
	if (len >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF)
		return WXA_BODY_JPEG;
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	if (i == len)
		return WXA_BODY_EMPTY;
	if (b[i] == '{')
		return WXA_BODY_JSON;
	if (b[i] == '<')
		return WXA_BODY_HTML;
	return WXA_BODY_OTHER;
}

struct cJSON *
wxa_json_parse(const char *body, size_t len)
{
	const char *end = NULL;
	cJSON	   *root = cJSON_ParseWithLengthOpts(body, len, &end, false);

	if (root == NULL)
		return NULL;
	while (end < body + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != body + len)
	{
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/*
 * WeChat's errcodes are ints. cJSON's valueint saturates where casting the
 * double would be undefined (1e300), and reads 0.5 as 0: so a non-zero errcode
 * is always one that the long in WxaError holds, and never 0.
 */
bool
wxa_json_errcode(const cJSON *root, long *errcode, char *errmsg, size_t errmsg_size,
				 const char *secret, const char *token)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "errcode");
	const cJSON *msg;

	if (!cJSON_IsNumber(code) || code->valueint == 0)
		return false;
	*errcode = code->valueint;
	errmsg[0] = '\0';
	msg = cJSON_GetObjectItemCaseSensitive(root, "errmsg");
	if (cJSON_IsString(msg))
	{
		/* scrub the whole text, then cut: cut first, a credential could be left half */
		char	   *copy = strdup(msg->valuestring);

		if (copy != NULL)
		{
			wxa_redact(copy, secret, token);
			snprintf(errmsg, errmsg_size, "%s", copy);
			free(copy);
		}
	}
	return true;
}

bool
wxa_body_errcode(const char *body, size_t len, long *errcode, char *errmsg, size_t errmsg_size,
				 const char *secret, const char *token)
{
	cJSON	   *root;
	bool		found;

	if (wxa_body_kind(body, len) != WXA_BODY_JSON)
		return false;
	root = wxa_json_parse(body, len);
	if (root == NULL)
		return false;
	found = wxa_json_errcode(root, errcode, errmsg, errmsg_size, secret, token);
	cJSON_Delete(root);
	return found;
}

bool
wxa_errcode_transient(long errcode)
{
	return errcode == -1 || errcode == 61504 || errcode == 45009 || errcode == 45011;
}

bool
wxa_errcode_rate_limited(long errcode)
{
	return errcode == 45009 || errcode == 45011;
}

bool
wxa_errcode_token_rejected(long errcode)
{
	return errcode == 40001 || errcode == 40014 || errcode == 42001;
}

const char *
wxa_errcode_hint(long errcode)
{
	switch (errcode)
	{
		case -1:
		case 61504:
			return "WeChat is busy; the request was retried max_retries times. Try again later or raise max_retries.";
		case 40001:
		case 40014:
		case 42001:
			return "The access token was rejected even after fetching a new one. If the user mapping holds a static access_token, update it with ALTER USER MAPPING.";
		case 40013:
			return "Check the server option appid.";
		case 40125:
			return "Check the secret in the user mapping (ALTER USER MAPPING ... OPTIONS (SET secret '...')).";
		case 40164:
		case 61004:
			return "Add this database server's egress IP address to the IP whitelist of the mini program, or route through a whitelisted proxy (server option proxy).";
		case 41001:
			return "The request reached WeChat without an access token.";
		case 45009:
		case 45011:
			return "WeChat's frequency limit was hit; the request was retried max_retries times. Slow down or lower max_concurrency.";
		case 45029:
			return "Interfaces A and C have generated their lifetime maximum of codes; use wxa_get_wxacode_unlimit (interface B).";
		case 48001:
			return "The mini program is not authorized for this API.";
		case 61500:
		case 61501:
			return "WeChat rejected the requested dates.";
		case 61503:
			return "WeChat publishes a day's data the next morning, Beijing time, usually after 10:00 and some days later; query that day again after then (it is never retried).";
		case 76021:
		case 76003:
			return "cgi_path must be the path of a WeChat API without host and query, with its leading '/', such as '/wxa/getwxacodeunlimit'.";
		case 76022:
			return "WeChat does not report the quota of this API (the /sns/ paths, such as /sns/jscode2session).";
		case 40159:
			return "path must be 1..128 bytes.";
		case 40169:
		case 40129:
			return "scene must be 1..32 characters of 0-9 A-Z a-z !#$&'()*+,/:;=?@-._~";
		case 41030:
			return "page must be a page of the published mini program, without a leading '/' and without a query string (or pass check_path => false).";
	}
	return NULL;
}

char *
wxa_datacube_request_body(const WxaPeriod *period)
{
	char		first[9],
				last[9];
	char	   *body = malloc(64);

	if (body == NULL)
		return NULL;
	wxa_day_format_compact(period->first, first);
	wxa_day_format_compact(period->last, last);
	snprintf(body, 64, "{\"begin_date\":\"%s\",\"end_date\":\"%s\"}", first, last);
	return body;
}

/* Replace every occurrence of needle in text by "***". */
static void
redact_string(char *text, const char *needle)
{
	size_t		nlen;
	char	   *hit;

	if (needle == NULL || (nlen = strlen(needle)) < 4)
		return;
	while ((hit = strstr(text, needle)) != NULL)
	{
		/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): overwrites inside the string */
		memcpy(hit, "***", 3);
		memmove(hit + 3, hit + nlen, strlen(hit + nlen) + 1);
	}
}

/* Replace the value after "name=" up to '&', whitespace or quote by "***". */
static void
redact_parameter(char *text, const char *name)
{
	size_t		nlen = strlen(name);
	char	   *p = text;

	while ((p = strstr(p, name)) != NULL)
	{
		char	   *value = p + nlen;
		char	   *end = value;

		while (*end && *end != '&' && *end != ' ' && *end != '"' && *end != '\'' && *end != '\n')
			end++;
		/* never grow the string: a value shorter than "***" is starred in place */
		if (end - value < 3)
			memset(value, '*', end - value);
		else
		{
			memmove(value + 3, end, strlen(end) + 1);
			/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): overwrites inside the string */
			memcpy(value, "***", 3);
		}
		p = value + (end - value < 3 ? end - value : 3);
	}
}

void
wxa_redact(char *text, const char *secret, const char *token)
{
	redact_string(text, secret);
	redact_string(text, token);
	redact_parameter(text, "access_token=");
	redact_parameter(text, "secret=");
}
