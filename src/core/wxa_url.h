/*
 * wxa_url.h — checking the URLs of the server options api_base_url and proxy
 * (through libcurl's URL API, the parser that will use them).
 */
#ifndef WXA_URL_H
#define WXA_URL_H

#include <stdbool.h>
#include <stddef.h>

typedef enum WxaUrlCheck
{
	WXA_URL_OK = 0,
	WXA_URL_INVALID,			/* libcurl cannot parse it, or it has no host */
	WXA_URL_CREDENTIALS,		/* a user name or password in it */
	WXA_URL_SCHEME,				/* not https:// (api) / not http(s) or socks5(h) (proxy) */
	WXA_URL_PLAIN_HTTP,			/* http:// to a host other than loopback */
	WXA_URL_QUERY,				/* a query string ("?", even empty) on the API's base URL */
	WXA_URL_FRAGMENT,			/* a fragment ("#", even empty) on the API's base URL */
	WXA_URL_NO_MEMORY
} WxaUrlCheck;

/* What is wrong with url as api_base_url (proxy = false) or as proxy. */
WxaUrlCheck wxa_url_check(const char *url, bool proxy);

/* The problem, short and factual, for the primary message ("" for OK). */
const char *wxa_url_problem(WxaUrlCheck check, bool proxy);

/* The advice for a hint, a full sentence, or NULL. */
const char *wxa_url_hint(WxaUrlCheck check, bool proxy);

/*
 * "host \"H\", port N" of url, for messages: never its path, query (an access
 * token) or credentials. False (buf "") if url cannot be parsed.
 */
bool		wxa_url_host_port(const char *url, char *buf, size_t size);

/* localhost, 127.0.0.0/8 or ::1 (with or without brackets). */
bool		wxa_host_is_loopback(const char *host);

#endif
