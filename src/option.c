/*
 * option.c — the validator of server, user mapping and foreign table options,
 * and reading them into a WxaConfig.
 *
 * Options live in one table {name, context, kind, range}; errors name the
 * option and list the valid names or the valid range.
 */
#include "wxa_fdw.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include "access/reloptions.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "commands/defrem.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

typedef enum OptionKind
{
	OPT_TEXT,					/* non-empty text */
	OPT_INT,					/* integer within [min, max] */
	OPT_API_URL,				/* http(s) URL, plain http only to loopback */
	OPT_PROXY_URL,				/* proxy URL */
	OPT_TOKEN_ENDPOINT,			/* stable | classic */
	OPT_TIMEZONE,
	OPT_ENDPOINT				/* a catalog endpoint name */
} OptionKind;

typedef struct WxaOption
{
	const char *name;
	Oid			context;
	OptionKind	kind;
	int			min;
	int			max;
	bool		superuser_only; /* decides where the database server sends requests */
} WxaOption;

static const WxaOption wxa_options[] = {
	{"appid", ForeignServerRelationId, OPT_TEXT},
	{"api_base_url", ForeignServerRelationId, OPT_API_URL, 0, 0, true},
	{"token_endpoint", ForeignServerRelationId, OPT_TOKEN_ENDPOINT},
	{"max_concurrency", ForeignServerRelationId, OPT_INT, 1, 64},
	{"connect_timeout_ms", ForeignServerRelationId, OPT_INT, 1, 600000},
	{"timeout_ms", ForeignServerRelationId, OPT_INT, 1, 3600000},
	{"max_retries", ForeignServerRelationId, OPT_INT, 0, 10},
	{"max_requests", ForeignServerRelationId, OPT_INT, 1, 100000},
	{"timezone", ForeignServerRelationId, OPT_TIMEZONE},
	{"proxy", ForeignServerRelationId, OPT_PROXY_URL, 0, 0, true},
	{"secret", UserMappingRelationId, OPT_TEXT},
	{"access_token", UserMappingRelationId, OPT_TEXT},
	{"endpoint", ForeignTableRelationId, OPT_ENDPOINT},
};

#define DEFAULT_API_BASE_URL "https://api.weixin.qq.com"

static const WxaOption *
find_option(const char *name)
{
	for (size_t i = 0; i < lengthof(wxa_options); i++)
		if (strcmp(wxa_options[i].name, name) == 0)
			return &wxa_options[i];
	return NULL;
}

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "a server";
		case UserMappingRelationId:
			return "a user mapping";
		case ForeignTableRelationId:
			return "a foreign table";
		case AttributeRelationId:
			return "a foreign table column";
		case ForeignDataWrapperRelationId:
			return "the foreign-data wrapper";
	}
	return "this object";
}

static char *
valid_names(Oid context)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (size_t i = 0; i < lengthof(wxa_options); i++)
	{
		if (wxa_options[i].context != context)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", wxa_options[i].name);
	}
	return buf.data;
}

static bool
host_is_loopback(const char *host)
{
	struct in_addr v4;
	struct in6_addr v6;
	char		bare[64];
	size_t		len = strlen(host);

	if (pg_strcasecmp(host, "localhost") == 0)
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

/* Parse a URL with libcurl; report what is wrong with it, or NULL. */
static const char *
url_problem(const char *url, bool proxy)
{
	CURLU	   *u = curl_url();
	char	   *scheme = NULL;
	char	   *host = NULL;
	char	   *query = NULL;
	char	   *user = NULL;
	char	   *password = NULL;
	char	   *fragment = NULL;
	const char *problem = NULL;

	if (u == NULL)
		elog(ERROR, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
		curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		problem = "it is not a valid URL";
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
			 curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK)
		problem = proxy ?
			"a user name or password in it would be readable by every database user (server options are public in pg_foreign_server); use a proxy that admits this host by its address" :
			"a user name or password in it would be readable by every database user (server options are public in pg_foreign_server), and WeChat's API takes none";
	else if (proxy)
	{
		if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0 &&
			strcmp(scheme, "socks5") != 0 && strcmp(scheme, "socks5h") != 0)
			problem = "a proxy URL must start with http://, https://, socks5:// or socks5h://";
	}
	else if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0)
		problem = "the URL must start with https://";
	else if (strcmp(scheme, "http") == 0 && !host_is_loopback(host))
		problem = "plain http:// is accepted only for loopback hosts (localhost, 127.0.0.0/8, [::1]); use https://";
	/* curl drops an empty "?" or "#": look at the text as well */
	else if (curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK || strchr(url, '?'))
		problem = "the URL must not have a query string (\"?\"): every request appends its own path and parameters";
	else if (curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK || strchr(url, '#'))
		problem = "the URL must not have a fragment (\"#\"): everything after it would never be sent";
	curl_free(scheme);
	curl_free(password);
	curl_free(fragment);
	curl_free(host);
	curl_free(query);
	curl_free(user);
	curl_url_cleanup(u);
	return problem;
}

static void
validate_value(const WxaOption *opt, DefElem *def)
{
	char	   *value = defGetString(def);

	switch (opt->kind)
	{
		case OPT_TEXT:
			if (value[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("option \"%s\" must not be empty", opt->name)));
			break;
		case OPT_INT:
			{
				char	   *end;
				long		v;

				/* strtol skips leading spaces and stops at trailing ones: refuse both alike */
				errno = 0;
				v = strtol(value, &end, 10);
				if (errno != 0 || end == value || *end != '\0' || isspace((unsigned char) value[0]) ||
					v < opt->min || v > opt->max)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"", opt->name, value),
							 errhint("Valid values are integers from %d to %d.", opt->min, opt->max)));
			}
			break;
		case OPT_API_URL:
		case OPT_PROXY_URL:
			{
				const char *problem = url_problem(value, opt->kind == OPT_PROXY_URL);

				if (problem)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"%s\": %s", opt->name, problem)));
			}
			break;
		case OPT_TOKEN_ENDPOINT:
			if (strcmp(value, "stable") != 0 && strcmp(value, "classic") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"token_endpoint\": \"%s\"", value),
						 errhint("Valid values are: stable, classic.")));
			break;
		case OPT_TIMEZONE:
			if (pg_tzset(value) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"timezone\": unknown time zone \"%s\"", value),
						 errhint("Use a name from pg_timezone_names, such as Asia/Shanghai.")));
			break;
		case OPT_ENDPOINT:
			if (wxa_endpoint_by_name(value) == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"endpoint\": \"%s\"", value),
						 errhint("Valid endpoints are: %s.", wxa_endpoint_names())));
			break;
	}
}

PG_FUNCTION_INFO_V1(wxa_fdw_validator);

Datum
wxa_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			context = PG_GETARG_OID(1);
	ListCell   *lc;
	bool		has_appid = false,
				has_endpoint = false;
	int			credentials = 0;

	foreach(lc, options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);
		const WxaOption *opt = find_option(def->defname);

		if (opt == NULL || opt->context != context)
		{
			/* a credential in the wrong place gets its own message: it would be readable */
			if (opt && opt->context == UserMappingRelationId)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("option \"%s\" is only allowed in a user mapping", def->defname),
						 errhint("Credentials in %s could be read by other users; use CREATE USER MAPPING ... OPTIONS (%s '...').",
								 context_name(context), def->defname)));
			if (context == ForeignDataWrapperRelationId || context == AttributeRelationId)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
						 errmsg("invalid option \"%s\"", def->defname),
						 errhint("wxa_fdw takes no options on %s.", context_name(context))));
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 errhint("Valid options in this context are: %s.", valid_names(context))));
		}
		if (opt->superuser_only && !superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only superusers may set option \"%s\"", opt->name),
					 errdetail("It decides where the database server sends requests.")));
		validate_value(opt, def);
		if (strcmp(opt->name, "appid") == 0)
			has_appid = true;
		else if (strcmp(opt->name, "endpoint") == 0)
			has_endpoint = true;
		else if (opt->context == UserMappingRelationId)
			credentials++;
	}

	if (context == ForeignServerRelationId && !has_appid)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"appid\" is required for a wxa_fdw server")));
	if (context == ForeignTableRelationId && !has_endpoint)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"endpoint\" is required for a wxa_fdw foreign table"),
				 errhint("Valid endpoints are: %s.", wxa_endpoint_names())));
	if (context == UserMappingRelationId && credentials != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("a wxa_fdw user mapping needs exactly one of the options \"secret\" and \"access_token\"")));

	PG_RETURN_VOID();
}

static int
int_option(DefElem *def)
{
	return (int) strtol(defGetString(def), NULL, 10);
}

static void
apply_server_option(WxaConfig *config, DefElem *def)
{
	const char *name = def->defname;

	if (strcmp(name, "appid") == 0)
		config->appid = defGetString(def);
	else if (strcmp(name, "api_base_url") == 0)
	{
		char	   *url = pstrdup(defGetString(def));
		size_t		len = strlen(url);

		while (len > 0 && url[len - 1] == '/')
			url[--len] = '\0';
		config->api_base_url = url;
	}
	else if (strcmp(name, "token_endpoint") == 0)
		config->token_endpoint = strcmp(defGetString(def), "classic") == 0 ?
			WXA_TOKEN_CLASSIC : WXA_TOKEN_STABLE;
	else if (strcmp(name, "max_concurrency") == 0)
		config->max_concurrency = int_option(def);
	else if (strcmp(name, "connect_timeout_ms") == 0)
		config->connect_timeout_ms = int_option(def);
	else if (strcmp(name, "timeout_ms") == 0)
		config->timeout_ms = int_option(def);
	else if (strcmp(name, "max_retries") == 0)
		config->max_retries = int_option(def);
	else if (strcmp(name, "max_requests") == 0)
		config->max_requests = int_option(def);
	else if (strcmp(name, "timezone") == 0)
		config->timezone = defGetString(def);
	else if (strcmp(name, "proxy") == 0)
		config->proxy = defGetString(def);
}

/* The user's own mapping or a PUBLIC one, as GetUserMapping() looks for them. */
static bool
has_user_mapping(Oid userid, Oid serverid)
{
	return SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
								 ObjectIdGetDatum(serverid)) ||
		SearchSysCacheExists2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							  ObjectIdGetDatum(serverid));
}

WxaConfig *
wxa_get_config(Oid serverid, Oid userid, bool with_mapping)
{
	ForeignServer *server = GetForeignServer(serverid);
	UserMapping *mapping = NULL;
	WxaConfig  *config = palloc0(sizeof(WxaConfig));
	ListCell   *lc;

	/* before PostgreSQL 16 GetUserMapping()'s own error does not name the server */
	if (with_mapping && !has_user_mapping(userid, serverid))
	{
		const char *user = GetUserNameFromId(userid, false);

		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("user mapping not found for user \"%s\" on server \"%s\"",
						user, server->servername),
				 errdetail("wxa_fdw calls WeChat with the credentials of the user mapping of the user who runs the query (of a view's owner, for a view)."),
				 errhint("CREATE USER MAPPING FOR %s SERVER %s OPTIONS (secret '...');",
						 quote_identifier(user), quote_identifier(server->servername))));
	}
	if (with_mapping)
		mapping = GetUserMapping(userid, serverid);

	config->serverid = serverid;
	config->umid = mapping ? mapping->umid : InvalidOid;
	config->server_name = server->servername;
	config->api_base_url = DEFAULT_API_BASE_URL;
	config->token_endpoint = WXA_TOKEN_STABLE;
	config->max_concurrency = 8;
	config->connect_timeout_ms = 3000;
	config->timeout_ms = 10000;
	config->max_retries = 3;
	config->max_requests = 1000;
	config->timezone = "Asia/Shanghai";

	foreach(lc, server->options)
		apply_server_option(config, lfirst_node(DefElem, lc));
	foreach(lc, mapping ? mapping->options : NIL)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "secret") == 0)
			config->secret = defGetString(def);
		else if (strcmp(def->defname, "access_token") == 0)
			config->access_token = defGetString(def);
	}
	if (config->appid == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no appid option", server->servername)));
	if (mapping && config->secret == NULL && config->access_token == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("the user mapping for server \"%s\" has neither a secret nor an access_token",
						server->servername)));
	return config;
}

void
wxa_http_options_for(const WxaConfig *config, WxaHttpOptions *options)
{
	memset(options, 0, sizeof(*options));
	options->connect_timeout_ms = config->connect_timeout_ms;
	options->timeout_ms = config->timeout_ms;
	options->max_retries = config->max_retries;
	options->max_concurrency = config->max_concurrency;
	options->proxy = config->proxy;
	options->secret = config->secret;
	options->max_body = WXA_MAX_BODY_BYTES;
	options->backoff_base_ms = 100;
}

const WxaEndpoint *
wxa_table_endpoint(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "endpoint") == 0)
		{
			const WxaEndpoint *ep = wxa_endpoint_by_name(defGetString(def));

			if (ep)
				return ep;
			break;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
			 errmsg("foreign table \"%s\" has no valid endpoint option", get_rel_name(foreigntableid)),
			 errhint("Valid endpoints are: %s.", wxa_endpoint_names())));
	return NULL;
}
