/*
 * errors.c — turning core failures into PostgreSQL errors, one SQLSTATE per
 * class of failure (the table is in README.md, "Errors").
 */
#include "wxa_fdw.h"

#include "common/string.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "core/wxa_api.h"

static int
sqlstate_for_errcode(long errcode)
{
	switch (errcode)
	{
		case 40001:
		case 40002:
		case 40013:
		case 40014:
		case 40125:
		case 40164:
		case 41001:
		case 41002:
		case 41004:
		case 42001:
		case 61004:
			return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		case 48001:
			return ERRCODE_INSUFFICIENT_PRIVILEGE;
		case 45009:
		case 45011:
		case 45029:
			return ERRCODE_CONFIGURATION_LIMIT_EXCEEDED;
		case 40029:
		case 40097:
		case 40129:
		case 40159:
		case 40163:
		case 40169:
		case 40226:
		case 41030:
		case 47001:
		case 61500:
		case 61501:
		case 76003:
		case 76021:
		case 76022:
		case 85096:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case 61503:
			/* the day exists but WeChat has not published it yet */
			return ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE;
	}
	return ERRCODE_FDW_ERROR;
}

static int
sqlstate_for(const WxaError *err)
{
	switch (err->kind)
	{
		case WXA_ERR_CONNECT:
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
			if (config && config->access_token && wxa_errcode_token_rejected(err->errcode))
				return "The user mapping holds a static access_token, which wxa_fdw cannot renew: update it with ALTER USER MAPPING ... OPTIONS (SET access_token '...').";
			return wxa_errcode_hint(err->errcode);
		case WXA_ERR_CONNECT:
			return "Check the server options api_base_url and proxy, that this host can reach them and, for https://, that they speak TLS with a certificate this host trusts.";
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
	const char *hint;
	char	   *message;
	char	   *scrubbed_errmsg;

	/* a cancel or termination that is pending wins over any error of ours */
	CHECK_FOR_INTERRUPTS();
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
				 errdetail("errcode %ld, errmsg \"%s\" (server \"%s\", %d attempt%s)",
						   err->errcode, scrubbed_errmsg, server, err->attempts,
						   err->attempts == 1 ? "" : "s"),
				 hint ? errhint("%s", hint) : 0));
	ereport(ERROR,
			(errcode(sqlstate_for(err)),
			 errmsg("WeChat API request %s failed: %s", err->what, message),
			 err->http_status ?
			 errdetail("HTTP status %ld (server \"%s\", %d attempt%s)", err->http_status, server,
					   err->attempts, err->attempts == 1 ? "" : "s") :
			 errdetail("server \"%s\", %d attempt%s", server, err->attempts,
					   err->attempts == 1 ? "" : "s"),
			 hint ? errhint("%s", hint) : 0));
	pg_unreachable();
}

DateADT
wxa_yesterday(const char *timezone)
{
	pg_tz	   *tz = pg_tzset(timezone);
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown time zone \"%s\" in server option timezone", timezone)));
	if (timestamp2tm(GetCurrentTimestamp(), &tzoff, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE - 1;
}
