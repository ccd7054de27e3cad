/*
 * wxa_session.h — code2session: trading the js_code of wx.login() for the
 * user's openid and session_key.
 */
#ifndef WXA_SESSION_H
#define WXA_SESSION_H

#include <stddef.h>

#include "wxa_error.h"

#define WXA_CODE2SESSION_API "sns/jscode2session"

typedef struct WxaSession
{
	char	   *openid;
	char	   *session_key;
	char	   *unionid;		/* NULL when WeChat sends none */
} WxaSession;

/*
 * GET URL of jscode2session, every value escaped; malloc'd, NULL when out of
 * memory. It holds the secret: never print it, wipe it before freeing.
 */
char	   *wxa_code2session_url(const char *base_url, const char *appid, const char *secret,
								 const char *js_code);

/* Read a successful answer; on failure fill err (WXA_ERR_RESPONSE) and return -1. */
int			wxa_code2session_parse(const char *body, size_t len, WxaSession *session, WxaError *err);

/* Free the strings, wiping the session_key first. */
void		wxa_session_free(WxaSession *session);

#endif
