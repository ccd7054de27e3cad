/*
 * functions.c — the SQL functions that call WeChat: the three code images and
 * code2session.
 *
 * Each takes the foreign server's name first and runs with the caller's own
 * USAGE privilege and user mapping, checked before anything is sent. The
 * rules about arguments, bodies and answers live in core/wxa_wxacode.c and
 * core/wxa_session.c; this file reads arguments and makes datums.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/htup_details.h"
#include "catalog/pg_foreign_server.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"

#include "core/wxa_session.h"
#include "core/wxa_wxacode.h"

/*
 * A text argument in UTF-8, what WeChat reads whatever the database encoding:
 * its limits (path: 128 bytes) are checked on these bytes.
 */
char *
wxa_text_in_utf8(text *value)
{
	char	   *s = text_to_cstring(value);

	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

char *
wxa_required_text(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", name)));
	return wxa_text_in_utf8(PG_GETARG_TEXT_PP(argno));
}

static char *
optional_text(FunctionCallInfo fcinfo, int argno)
{
	return PG_ARGISNULL(argno) ? NULL : wxa_text_in_utf8(PG_GETARG_TEXT_PP(argno));
}

/* WeChat's UTF-8 as text in the database encoding (an error when a character has no equivalent). */
static Datum
utf8_to_text_datum(const char *s)
{
	return CStringGetTextDatum(pg_any_to_server(s, strlen(s), PG_UTF8));
}

static int32
required_int(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", name)));
	return PG_GETARG_INT32(argno);
}

static bool
required_bool(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", name)));
	return PG_GETARG_BOOL(argno);
}

bool
wxa_is_server(const ForeignServer *server)
{
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	FmgrInfo	validator;

	if (!OidIsValid(fdw->fdwvalidator))
		return false;
	fmgr_info(fdw->fdwvalidator, &validator);
	return validator.fn_addr == wxa_fdw_validator;
}

/*
 * The configuration for a call on the server named by argument 0, for the
 * current user, who must have USAGE on it and a user mapping for it.
 */
WxaConfig *
wxa_config_for_call(FunctionCallInfo fcinfo)
{
	char	   *name = wxa_required_text(fcinfo, 0, "server");
	ForeignServer *server = GetForeignServerByName(name, false);
	Oid			userid = GetUserId();
	AclResult	aclresult;

	if (!wxa_is_server(server))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a wxa_fdw server", server->servername)));
#if PG_VERSION_NUM >= 160000
	aclresult = object_aclcheck(ForeignServerRelationId, server->serverid, userid, ACL_USAGE);
#else
	aclresult = pg_foreign_server_aclcheck(server->serverid, userid, ACL_USAGE);
#endif
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_SERVER, server->servername);
	return wxa_get_config(server->serverid, userid, true);
}

/*
 * The arguments of a code function after the first two (server and the path
 * or scene, which the caller reads: a text or an array). Arguments are
 * numbered as in wxa_fdw--*.sql.
 */
void
wxa_code_request_from_args(FunctionCallInfo fcinfo, WxaCodeRequest *req)
{
	int			argno = 2;

	if (req->interface == WXA_CODE_B)
	{
		req->page = optional_text(fcinfo, argno++);
		req->check_path = required_bool(fcinfo, argno++, "check_path");
	}
	req->width = required_int(fcinfo, argno++, "width");
	if (req->interface == WXA_CODE_C)
		return;
	req->auto_color = required_bool(fcinfo, argno++, "auto_color");
	req->line_color = optional_text(fcinfo, argno++);
	req->is_hyaline = required_bool(fcinfo, argno++, "is_hyaline");
	req->env_version = wxa_required_text(fcinfo, argno, "env_version");
}

/*
 * Whether a successful answer of a code interface is an image; otherwise fill
 * err as for a failed request of that interface.
 */
bool
wxa_code_answer_ok(const WxaCodeRequest *req, const char *response, size_t len,
				   int attempts, WxaError *err)
{
	wxa_error_clear(err);
	if (wxa_code_image_check(response, len, err))
		return true;
	snprintf(err->what, sizeof(err->what), "%s", wxa_code_api(req->interface));
	err->attempts = attempts;
	return false;
}

/* Send a checked request to its interface and return the image as WeChat sent it. */
static bytea *
fetch_code(WxaConfig *config, const WxaCodeRequest *req)
{
	const char *api = wxa_code_api(req->interface);
	WxaArgumentProblem problem;
	WxaHttpOptions options;
	WxaTokenSession session;
	WxaTokenProvider provider;
	WxaHttpStats stats = {0};
	WxaError	err;
	char	   *url;
	char	   *body;
	char	   *response;
	size_t		len;
	int			rc;
	bytea	   *image;

	if (!wxa_code_check(req, &problem))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" %s", problem.argument, problem.rule)));

	url = psprintf("%s/%s", config->api_base_url, api);
	wxa_http_options_for(config, &options);
	wxa_token_session_init(&session, config);
	provider = wxa_token_provider(&session);
	body = wxa_code_body(req);
	if (body == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	/* a cancel during the fetch frees the malloc'd body too */
	PG_TRY();
	{
		rc = wxa_http_fetch(&options, &provider, url, body, true, api, &response, &len, &stats, &err);
	}
	PG_FINALLY();
	{
		free(body);
	}
	PG_END_TRY();
	wxa_stats_traffic(config, api, &stats);
	if (rc != 0)
		wxa_raise(&err, config);

	if (!wxa_code_answer_ok(req, response, len, (int) stats.sent, &err))
	{
		free(response);
		wxa_raise(&err, config);
	}
	/* palloc may fail (up to WXA_MAX_BODY_BYTES): the malloc'd response is freed either way */
	PG_TRY();
	{
		image = palloc(VARHDRSZ + len);
		SET_VARSIZE(image, VARHDRSZ + len);
		memcpy(VARDATA(image), response, len);
	}
	PG_FINALLY();
	{
		free(response);
	}
	PG_END_TRY();
	return image;
}

PG_FUNCTION_INFO_V1(wxa_get_wxacode);

/* wxa_get_wxacode(server, path, width, auto_color, line_color, is_hyaline, env_version) */
Datum
wxa_get_wxacode(PG_FUNCTION_ARGS)
{
	WxaConfig  *config = wxa_config_for_call(fcinfo);
	WxaCodeRequest req = {.interface = WXA_CODE_A};

	req.path = wxa_required_text(fcinfo, 1, "path");
	wxa_code_request_from_args(fcinfo, &req);
	PG_RETURN_BYTEA_P(fetch_code(config, &req));
}

PG_FUNCTION_INFO_V1(wxa_get_wxacode_unlimit);

/* wxa_get_wxacode_unlimit(server, scene, page, check_path, width, auto_color, line_color, is_hyaline, env_version) */
Datum
wxa_get_wxacode_unlimit(PG_FUNCTION_ARGS)
{
	WxaConfig  *config = wxa_config_for_call(fcinfo);
	WxaCodeRequest req = {.interface = WXA_CODE_B};

	req.scene = wxa_required_text(fcinfo, 1, "scene");
	wxa_code_request_from_args(fcinfo, &req);
	PG_RETURN_BYTEA_P(fetch_code(config, &req));
}

PG_FUNCTION_INFO_V1(wxa_create_qrcode);

/* wxa_create_qrcode(server, path, width) */
Datum
wxa_create_qrcode(PG_FUNCTION_ARGS)
{
	WxaConfig  *config = wxa_config_for_call(fcinfo);
	WxaCodeRequest req = {.interface = WXA_CODE_C};

	req.path = wxa_required_text(fcinfo, 1, "path");
	wxa_code_request_from_args(fcinfo, &req);
	PG_RETURN_BYTEA_P(fetch_code(config, &req));
}

PG_FUNCTION_INFO_V1(wxa_code2session);

/* wxa_code2session(server, js_code, OUT openid, OUT session_key, OUT unionid) */
Datum
wxa_code2session(PG_FUNCTION_ARGS)
{
	WxaConfig  *config = wxa_config_for_call(fcinfo);
	char	   *js_code = wxa_required_text(fcinfo, 1, "js_code");
	TupleDesc	desc;
	WxaHttpOptions options;
	WxaSession	session;
	WxaError	err;
	WxaHttpStats stats = {0};
	char	   *url;
	char	   *response;
	size_t		len;
	int			rc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (js_code[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"js_code\" must not be empty")));
	/* jscode2session authenticates with the AppSecret itself, never with a token */
	if (config->secret == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("wxa_code2session needs the AppSecret, but the user mapping for server \"%s\" has only an access_token",
						config->server_name),
				 errhint("Use a user mapping with the option secret for this server.")));

	url = wxa_code2session_url(config->api_base_url, config->appid, config->secret, js_code);
	if (url == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	/* the URL carries the AppSecret: wiped and freed on every path, a cancel's too */
	PG_TRY();
	{
		wxa_http_options_for(config, &options);
		rc = wxa_http_fetch(&options, NULL, url, NULL, false, WXA_CODE2SESSION_API,
							&response, &len, &stats, &err);
	}
	PG_FINALLY();
	{
		explicit_bzero(url, strlen(url));
		free(url);
	}
	PG_END_TRY();
	wxa_stats_traffic(config, WXA_CODE2SESSION_API, &stats);
	if (rc == 0)
	{
		wxa_error_clear(&err);
		rc = wxa_code2session_parse(response, len, &session, &err);
		if (rc != 0)
		{
			snprintf(err.what, sizeof(err.what), "%s", WXA_CODE2SESSION_API);
			err.attempts = (int) stats.sent;
		}
		explicit_bzero(response, len);
		free(response);
	}
	if (rc != 0)
		wxa_raise(&err, config);

	/* the malloc'd session strings are wiped and freed even if a palloc fails */
	PG_TRY();
	{
		values[0] = utf8_to_text_datum(session.openid);
		values[1] = utf8_to_text_datum(session.session_key);
		if (session.unionid)
			values[2] = utf8_to_text_datum(session.unionid);
		else
			nulls[2] = true;
	}
	PG_FINALLY();
	{
		wxa_session_free(&session);
	}
	PG_END_TRY();
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(desc), values, nulls)));
}
