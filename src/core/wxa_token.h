/*
 * wxa_token.h — fetching access tokens from WeChat.
 *
 * The engine (wxa_engine.c) fetches, caches and renews tokens; this builds the
 * request, reads the answer and says when to renew.
 */
#ifndef WXA_TOKEN_H
#define WXA_TOKEN_H

#include "wxa_http.h"


/* The API path after the base URL ("cgi-bin/stable_token"). */
const char *wxa_token_api(WxaTokenEndpoint endpoint);

/*
 * The request that fetches a token: *url and *body (NULL for GET) malloc'd;
 * -1 when out of memory. Both may hold the secret: wipe before freeing.
 */
int			wxa_token_request(const char *base_url, WxaTokenEndpoint endpoint, const char *appid,
							  const char *secret, char **url, char **body);

/*
 * Read a token answer (errcode answers are already failures in the HTTP
 * engine). On success *token is malloc'd and *expires_in is the whole seconds
 * it has left, which may be 0 (the stable endpoint returns the current token
 * until it expires); else err is filled and -1 returned.
 */
int			wxa_token_parse(const char *body, size_t len, char **token, long *expires_in,
							WxaError *err);

#endif
