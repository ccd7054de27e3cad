/*
 * wxa_url.c — what is wrong with a URL given as api_base_url or proxy. Plain
 * http:// is for loopback only (the emulator, a local gateway): anything else
 * would carry the AppSecret and tokens in the clear.
 */
#include "wxa_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool
wxa_host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char		bare[64];
	size_t		len = strlen(host);

	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	/* curl reports IPv6 hosts in brackets */
	if (len >= 2 && len < sizeof(bare) && host[0] == '[' && host[len - 1] == ']')
	{
		memcpy(bare, host + 1, len - 2);
		bare[len - 2] = '\0';
		host = bare;
	}
	if (inet_pton(AF_INET6, host, &v6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&v6);
	return false;
}

static bool
proxy_scheme(const char *scheme)
{
	return strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0 ||
		strcmp(scheme, "socks5") == 0 || strcmp(scheme, "socks5h") == 0;
}

WxaUrlCheck
wxa_url_check(const char *url, bool proxy)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *query = NULL;
	char	   *user = NULL;
	char	   *password = NULL;
	char	   *fragment = NULL;
	WxaUrlCheck check = WXA_URL_OK;

	if (u == NULL)
		return WXA_URL_NO_MEMORY;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		check = WXA_URL_INVALID;
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
			 curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		check = WXA_URL_CREDENTIALS;
	else if (proxy)
		check = proxy_scheme(scheme) ? WXA_URL_OK : WXA_URL_SCHEME;
	else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		check = WXA_URL_SCHEME;
	else if (strcmp(scheme, "http") == 0 && !wxa_host_is_loopback(host))
		check = WXA_URL_PLAIN_HTTP;
	/* curl drops an empty "?" or "#": look at the text as well */
	else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK || strchr(url, '?'))
		check = WXA_URL_QUERY;
	else if (curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK || strchr(url, '#'))
		check = WXA_URL_FRAGMENT;
	curl_free(scheme);
	curl_free(password);
	curl_free(fragment);
	curl_free(host);
	curl_free(query);
	curl_free(user);
	curl_url_cleanup(u);
	return check;
}

const char *
wxa_url_problem(WxaUrlCheck check, bool proxy)
{
	switch (check)
	{
		case WXA_URL_OK:
			return "";
		case WXA_URL_INVALID:
			return "not a valid URL";
		case WXA_URL_CREDENTIALS:
			return "the URL contains a user name or password";
		case WXA_URL_SCHEME:
			return proxy ? "unsupported proxy scheme" : "the URL does not start with https://";
		case WXA_URL_PLAIN_HTTP:
			return "plain http:// is accepted only for loopback hosts";
		case WXA_URL_QUERY:
			return "the URL has a query string";
		case WXA_URL_FRAGMENT:
			return "the URL has a fragment";
		case WXA_URL_NO_MEMORY:
			return "out of memory";
	}
	return "not a valid URL";
}

const char *
wxa_url_hint(WxaUrlCheck check, bool proxy)
{
	switch (check)
	{
		case WXA_URL_INVALID:
			return proxy ? "A proxy URL looks like http://proxy.example.com:3128." :
				"The API's URL is https://api.weixin.qq.com.";
		case WXA_URL_CREDENTIALS:
			return proxy ?
				"Server options can be read by every database user (pg_foreign_server); use a proxy that admits this host by its address." :
				"Server options can be read by every database user (pg_foreign_server), and WeChat's API takes no user name or password.";
		case WXA_URL_SCHEME:
			return proxy ? "A proxy URL must start with http://, https://, socks5:// or socks5h://." :
				"Use an https:// URL, such as https://api.weixin.qq.com.";
		case WXA_URL_PLAIN_HTTP:
			return "Use https://; plain http:// is accepted for localhost, 127.0.0.0/8 and [::1] only.";
		case WXA_URL_QUERY:
			return "Remove the query string (\"?\"): every request appends its own path and parameters.";
		case WXA_URL_FRAGMENT:
			return "Remove the fragment (\"#\"): everything after it would never be sent.";
		case WXA_URL_OK:
		case WXA_URL_NO_MEMORY:
			break;
	}
	return NULL;
}

bool
wxa_url_host_port(const char *url, char *buf, size_t size)
{
	CURLU	   *u = curl_url();
	char	   *host = NULL;
	char	   *port = NULL;
	bool		ok = false;

	buf[0] = '\0';
	if (u != NULL && url != NULL &&
		curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
		curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
	{
		/* the scheme's port when the URL names none, if curl knows one */
		if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
			snprintf(buf, size, "host \"%.100s\", port %.10s", host, port);
		else
			snprintf(buf, size, "host \"%.100s\"", host);
		ok = true;
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return ok;
}
