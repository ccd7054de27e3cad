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
