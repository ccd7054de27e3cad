/*
 * wxa_errcode.c — the facts of WeChat's errcodes, in one table (README.md,
 * "Errors"). To add an errcode, add one row.
 */
#include "wxa_errcode.h"

#include <stddef.h>
#include <string.h>

/* SQLSTATEs used below (PostgreSQL's names) */
#define AUTHORIZATION "28000"	/* invalid_authorization_specification */
#define PRIVILEGE "42501"		/* insufficient_privilege */
#define LIMIT "53400"			/* configuration_limit_exceeded */
#define PARAMETER "22023"		/* invalid_parameter_value */
#define FDW_ERROR "HV000"		/* fdw_error */
#define NOT_READY "55000"		/* object_not_in_prerequisite_state */

static const char busy_hint[] =
"WeChat is busy; the request was retried max_retries times. Try again later or raise max_retries.";
static const char frequency_hint[] =
"WeChat's frequency limit was hit; the request was retried max_retries times. Slow down or lower max_concurrency.";
static const char token_hint[] =
"The access token was rejected even after fetching a new one. If the user mapping holds a static access_token, update it with ALTER USER MAPPING.";
static const char static_token_hint[] =
"The user mapping holds a static access_token, which wxa_fdw cannot renew: update it with ALTER USER MAPPING ... OPTIONS (SET access_token '...').";
static const char whitelist_hint[] =
"Add this database server's egress IP address to the IP whitelist of the mini program, or route through a whitelisted proxy (server option proxy).";
static const char dates_hint[] =
"WeChat rejected the requested dates: ask for past days (user_portrait: windows that end yesterday).";
static const char quota_path_hint[] =
"The cgi_path must be the path of a WeChat API without host and query, with its leading '/', such as '/wxa/getwxacodeunlimit'.";
static const char scene_hint[] =
"The scene must be 1 to 32 characters of 0-9 A-Z a-z !#$&'()*+,/:;=?@-._~.";

static const WxaErrcodeFacts errcodes[] = {
	/* errcode  SQLSTATE     transient token   hint */
	{-1, FDW_ERROR, true, false, busy_hint, NULL},
	{40001, AUTHORIZATION, false, true, token_hint, static_token_hint},
	{40002, AUTHORIZATION, false, false,
	"WeChat rejected the grant_type of the token request: check that the server options api_base_url and proxy lead to the WeChat API itself.", NULL},
	{40013, AUTHORIZATION, false, false,
	"Check the server option appid: the mini program's AppID, \"wx\" and 16 hexadecimal digits (ALTER SERVER ... OPTIONS (SET appid '...')).", NULL},
	{40014, AUTHORIZATION, false, true, token_hint, static_token_hint},
	{40029, PARAMETER, false, false,
	"The js_code is not a login code of this mini program: pass the code that wx.login() returned in the mini program of the server's appid, within 5 minutes.", NULL},
	{40097, PARAMETER, false, false,
	"WeChat found an argument of the request invalid. For a code image, check the arguments against doc/functions.md (width 280 to 1280, env_version release, trial or develop, line_color components 0 to 255); for an analysis table, the period asked for.", NULL},
	{40125, AUTHORIZATION, false, false,
	"Check the secret in the user mapping (ALTER USER MAPPING ... OPTIONS (SET secret '...')).", NULL},
	{40129, PARAMETER, false, false, scene_hint, NULL},
	{40159, PARAMETER, false, false, "The path must be 1 to 128 bytes long.", NULL},
	{40163, PARAMETER, false, false,
	"A login code can be exchanged only once: call wx.login() in the mini program again for a new code, and keep the session_key of the first exchange.", NULL},
	{40164, AUTHORIZATION, false, false, whitelist_hint, NULL},
	{40169, PARAMETER, false, false, scene_hint, NULL},
	{40226, PARAMETER, false, false,
	"WeChat refuses to log in users it rates high-risk; retrying does not help, the user can try again after WeChat's security checks.", NULL},
	{41001, AUTHORIZATION, false, false,
	"The request reached WeChat without an access token: check that the proxy (server option proxy) passes query strings unchanged.", NULL},
	{41002, AUTHORIZATION, false, false,
	"The request reached WeChat without an appid: check the server option appid, and that the proxy passes query strings unchanged.", NULL},
	{41004, AUTHORIZATION, false, false,
	"The request reached WeChat without the AppSecret: check the secret in the user mapping (ALTER USER MAPPING ... OPTIONS (SET secret '...')).", NULL},
	{41030, PARAMETER, false, false,
	"The page must be a page of the published mini program, without a leading '/' and without a query string (or pass check_path => false).", NULL},
	{42001, AUTHORIZATION, false, true, token_hint, static_token_hint},
	{45009, LIMIT, true, false, frequency_hint, NULL},
	{45011, LIMIT, true, false, frequency_hint, NULL},
	{45029, LIMIT, false, false,
	"Interfaces A and C have generated their lifetime maximum of codes; use wxa_get_wxacode_unlimit (interface B).", NULL},
	{47001, PARAMETER, false, false,
	"WeChat could not read the request's JSON body: check that the proxy (server option proxy) passes request bodies unchanged.", NULL},
	{48001, PRIVILEGE, false, false,
	"The mini program is not authorized for this API: check its permissions in the WeChat admin console (mp.weixin.qq.com), or use an account that has them.", NULL},
	{61004, AUTHORIZATION, false, false, whitelist_hint, NULL},
	{61500, PARAMETER, false, false, dates_hint, NULL},
	{61501, PARAMETER, false, false, dates_hint, NULL},
	{61502, FDW_ERROR, false, false,
	"The analysis endpoints serve mini programs only, and this appid is a mini game's.", NULL},
	/* the day exists but WeChat has not published it yet: never retried */
	{61503, NOT_READY, false, false,
	"WeChat publishes a day's data the next morning, Beijing time, usually after 10:00 and some days later; query that day again after then (it is never retried).", NULL},
	{61504, FDW_ERROR, true, false, busy_hint, NULL},
	{76003, PARAMETER, false, false, quota_path_hint, NULL},
	{76021, PARAMETER, false, false, quota_path_hint, NULL},
	{76022, PARAMETER, false, false,
	"WeChat does not report the quota of this API (the /sns/ paths, such as /sns/jscode2session).", NULL},
	{85096, PARAMETER, false, false,
	"WeChat reserves scancode_time: remove it from the path, page and scene.", NULL},
};

static const WxaErrcodeFacts unknown = {0, FDW_ERROR, false, false, NULL, NULL};

const WxaErrcodeFacts *
wxa_errcode_facts(long errcode)
{
	for (size_t i = 0; i < sizeof(errcodes) / sizeof(errcodes[0]); i++)
		if (errcodes[i].errcode == errcode)
			return &errcodes[i];
	return &unknown;
}

bool
wxa_errcode_transient(long errcode)
{
	return wxa_errcode_facts(errcode)->transient;
}

bool
wxa_errcode_token_rejected(long errcode)
{
	return wxa_errcode_facts(errcode)->token_rejected;
}

/* A frequency limit (45009, 45011) concerns every request to that API alike. */
bool
wxa_errcode_rate_limited(long errcode)
{
	const WxaErrcodeFacts *facts = wxa_errcode_facts(errcode);

	return facts->transient && strcmp(facts->sqlstate, LIMIT) == 0;
}

const char *
wxa_errcode_hint(long errcode)
{
	return wxa_errcode_facts(errcode)->hint;
}
