/*
 * wxa_api.h — facts about WeChat's responses and requests that do not depend
 * on the transport: errcodes (wxa_errcode.h), body kinds, request bodies, redaction.
 */
#ifndef WXA_API_H
#define WXA_API_H

#include <stdbool.h>
#include <stddef.h>

#include "wxa_errcode.h"
#include "wxa_error.h"
#include "wxa_period.h"

struct cJSON;					/* <cjson/cJSON.h> */

typedef enum WxaBodyKind
{
	WXA_BODY_EMPTY,
	WXA_BODY_JSON,				/* starts with '{' (after whitespace) */
	WXA_BODY_PNG,
	WXA_BODY_JPEG,
	WXA_BODY_HTML,				/* a gateway page */
	WXA_BODY_OTHER
} WxaBodyKind;

/* Classify by content, never by Content-Type: WeChat mislabels its errors. */
WxaBodyKind wxa_body_kind(const char *body, size_t len);

/*
 * Parse a whole body as one JSON value: NULL unless only whitespace follows
 * it (two answers run together must not read as the first). Free with
 * cJSON_Delete.
 */
struct cJSON *wxa_json_parse(const char *body, size_t len);

/*
 * If body is a JSON object with a non-zero "errcode", return true and fill
 * errcode and errmsg, scrubbed as by wxa_redact(secret, token) before it is
 * cut to errmsg_size. A body that is not JSON returns false.
 */
bool		wxa_body_errcode(const char *body, size_t len, long *errcode,
							 char *errmsg, size_t errmsg_size,
							 const char *secret, const char *token);

/* The same for an answer already parsed (a cJSON object). */
bool		wxa_json_errcode(const struct cJSON *root, long *errcode,
							 char *errmsg, size_t errmsg_size,
							 const char *secret, const char *token);

/* {"begin_date":"YYYYMMDD","end_date":"YYYYMMDD"}; malloc'd. */
char	   *wxa_datacube_request_body(const WxaPeriod *period);

/*
 * Remove credentials from text in place: the value of any access_token= or
 * secret= parameter, and every occurrence of the given strings (may be NULL).
 */
void		wxa_redact(char *text, const char *secret, const char *token);

#endif
