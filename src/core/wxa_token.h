/*
 * wxa_token.h — fetching access tokens from WeChat.
 *
 * Caching and sharing tokens is the embedding code's business (src/connection.c);
 * this only performs one fetch.
 */
#ifndef WXA_TOKEN_H
#define WXA_TOKEN_H

#include "wxa_http.h"

typedef enum WxaTokenEndpoint
{
	WXA_TOKEN_STABLE,			/* POST /cgi-bin/stable_token: shared, not invalidated by others */
	WXA_TOKEN_CLASSIC			/* GET /cgi-bin/token: every fetch replaces the previous token */
} WxaTokenEndpoint;

/*
 * Fetch a token. On success *token is malloc'd and *expires_in is the whole
 * seconds it has left, which may be 0 (the stable endpoint returns the
 * current token until it expires).
 * Errors never contain the secret.
 */
int			wxa_token_fetch(const WxaHttpOptions *options, const char *base_url,
							WxaTokenEndpoint endpoint, const char *appid, const char *secret,
							char **token, long *expires_in, WxaHttpStats *stats, WxaError *err);

/*
 * Read a token answer (errcode answers are already failures in the HTTP
 * engine). On success *token is malloc'd; else err is filled and -1 returned.
 */
int			wxa_token_parse(const char *body, size_t len, char **token, long *expires_in,
							WxaError *err);

#endif
