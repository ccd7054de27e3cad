/*
 * errors.c — turning core failures into PostgreSQL errors, one SQLSTATE per
 * class of failure (the table is in README.md, "Errors").
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "common/string.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"

#include "core/wxa_api.h"

/* An errcode's SQLSTATE, from the core's table (core/wxa_errcode.c). */
static int
sqlstate_for_errcode(long errcode)
{
	const char *s = wxa_errcode_facts(errcode)->sqlstate;

	return MAKE_SQLSTATE(s[0], s[1], s[2], s[3], s[4]);
}

static int
sqlstate_for(const WxaError *err)
{
	switch (err->kind)
	{
		case WXA_ERR_CONNECT:
		case WXA_ERR_TLS:
			return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
		case WXA_ERR_TIMEOUT:
			return ERRCODE_CONNECTION_FAILURE;
		case WXA_ERR_NETWORK:
			return ERRCODE_CONNECTION_EXCEPTION;
		case WXA_ERR_HTTP:
			return ERRCODE_FDW_ERROR;
		case WXA_ERR_API:
			return sqlstate_for_errcode(err->errcode);
		case WXA_ERR_RESPONSE:
			return ERRCODE_PROTOCOL_VIOLATION;
		case WXA_ERR_TOO_LARGE:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case WXA_ERR_CANCELED:
			return ERRCODE_QUERY_CANCELED;
		case WXA_OK:
		case WXA_ERR_INTERNAL:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

static const char *
hint_for(const WxaError *err, const WxaConfig *config)
{
	switch (err->kind)
	{
		case WXA_ERR_API:
			{
				const WxaErrcodeFacts *facts = wxa_errcode_facts(err->errcode);

				/* a token of the user mapping's own cannot be renewed */
				if (config && config->access_token && facts->static_token_hint)
					return facts->static_token_hint;
				return facts->hint;
			}
		case WXA_ERR_CONNECT:
			return "Check the server options api_base_url and proxy, that this host can reach them and, for https://, that they speak TLS with a certificate this host trusts.";
		case WXA_ERR_TLS:
			return "Set the server option sslrootcert to a PEM file of the CA that issued the certificate (behind a TLS-inspecting proxy, the proxy's CA), and check that the host name in api_base_url is one the certificate names.";
		case WXA_ERR_TIMEOUT:
			return "Raise the server options timeout_ms or connect_timeout_ms if WeChat is slow to answer.";
		case WXA_ERR_HTTP:
			if (err->http_status >= 300 && err->http_status < 400)
				return "wxa_fdw follows no redirects: the server options api_base_url and proxy must lead to the API itself, such as https://api.weixin.qq.com.";
			if (err->http_status < 500 && err->http_status != 429)
				return "WeChat answers its API with HTTP 200, errors included: check the server options api_base_url and proxy.";
			/* FALLTHROUGH */
		case WXA_ERR_NETWORK:
			return "WeChat's gateway failed even after retries; try again later or raise max_retries.";
		case WXA_ERR_RESPONSE:
			return "This is not an answer of the WeChat API as documented: check the server options api_base_url and proxy; if they are right, try again later.";
		case WXA_ERR_TOO_LARGE:
			return "No answer of the WeChat API is this large: check the server options api_base_url and proxy.";
		default:
			return NULL;
	}
}

/*
 * Text that came from WeChat, made fit for a message: without this server's
 * and user's credentials (whatever the core scrubbed already), valid in the
 * database encoding (else only its ASCII is kept: converting could fail while
 * an error is being reported) and at most max_bytes long, "..." marking the
 * cut (0: no limit).
 */
char *
wxa_message_text(const char *text, const WxaConfig *config, int max_bytes)
{
	char	   *copy = pstrdup(text);
	int			encoding = GetDatabaseEncoding();
	int			len;

	if (config)
	{
		wxa_redact(copy, config->secret, config->access_token);
		wxa_redact(copy, NULL, wxa_cached_token(config));
	}
	len = strlen(copy);
	if (!pg_is_ascii(copy) &&
		((encoding != PG_UTF8 && encoding != PG_SQL_ASCII) ||
		 !pg_verify_mbstr(PG_UTF8, copy, len, true)))
	{
		for (char *p = copy; *p; p++)
			if (IS_HIGHBIT_SET(*p))
				*p = '?';
	}
	if (max_bytes > 0 && len > max_bytes)
		copy = psprintf("%.*s...", pg_encoding_mbcliplen(PG_UTF8, copy, len, max_bytes), copy);
	return copy;
}

void
wxa_raise(const WxaError *err, const WxaConfig *config)
{
	const char *server = config ? config->server_name : "?";
	const char *appid = config && config->appid ? config->appid : "?";
	const char *hint;
	char	   *message;
	char	   *scrubbed_errmsg;

	/* a cancel or termination that is pending wins over any error of ours */
	CHECK_FOR_INTERRUPTS();
	wxa_stats_failure(config, err);
	if (err->kind == WXA_ERR_CANCELED)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("canceling statement due to user request")));

	hint = hint_for(err, config);
	message = wxa_message_text(err->message, config, 0);
	scrubbed_errmsg = wxa_message_text(err->errmsg, config, 0);
	if (err->kind == WXA_ERR_API)
		ereport(ERROR,
				(errcode(sqlstate_for(err)),
				 errmsg("WeChat API request %s failed with errcode %ld", err->what, err->errcode),
				 errdetail_plural("The request to server \"%s\" (appid \"%s\") was sent %d time; WeChat's errmsg was \"%s\".",
								  "The request to server \"%s\" (appid \"%s\") was sent %d times; WeChat's errmsg was \"%s\".",
								  err->attempts, server, appid, err->attempts, scrubbed_errmsg),
				 hint ? errhint("%s", hint) : 0));
	ereport(ERROR,
			(errcode(sqlstate_for(err)),
			 errmsg("WeChat API request %s failed: %s", err->what, message),
			 err->http_status ?
			 errdetail_plural("The request to server \"%s\" (appid \"%s\") was sent %d time; the last HTTP status was %ld.",
							  "The request to server \"%s\" (appid \"%s\") was sent %d times; the last HTTP status was %ld.",
							  err->attempts, server, appid, err->attempts, err->http_status) :
			 errdetail_plural("The request to server \"%s\" (appid \"%s\") was sent %d time.",
							  "The request to server \"%s\" (appid \"%s\") was sent %d times.",
							  err->attempts, server, appid, err->attempts),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}
