/*
 * option.c — the validator of server, user mapping and foreign table options,
 * and reading them into a WxaConfig.
 *
 * Options live in one table {name, context, kind, range}; errors name the
 * option and list the valid names or the valid range.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "wxa_fdw.h"

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
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "core/wxa_url.h"

typedef enum OptionKind
{
	OPT_TEXT,					/* non-empty text */
	OPT_INT,					/* integer within [min, max] */
	OPT_API_URL,				/* http(s) URL, plain http only to loopback */
	OPT_PROXY_URL,				/* proxy URL */
	OPT_CA_FILE,				/* absolute path of a readable PEM file of certificates */
	OPT_TOKEN_ENDPOINT,			/* stable | classic */
	OPT_TIMEZONE,
	OPT_ENDPOINT,				/* a catalog endpoint name */
	OPT_BOOL,
	OPT_UNPUBLISHED,			/* auto | error | skip */
	OPT_ON_OFF					/* on | off */
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
	{"async_capable", ForeignServerRelationId, OPT_BOOL},
	{"sslrootcert", ForeignServerRelationId, OPT_CA_FILE, 0, 0, true},
	{"unpublished", ForeignServerRelationId, OPT_UNPUBLISHED},
	{"store", ForeignServerRelationId, OPT_ON_OFF},
	{"store_after_days", ForeignServerRelationId, OPT_INT, 2, 3650},
	{"secret", UserMappingRelationId, OPT_TEXT},
	{"access_token", UserMappingRelationId, OPT_TEXT},
	{"endpoint", ForeignTableRelationId, OPT_ENDPOINT},
	{"async_capable", ForeignTableRelationId, OPT_BOOL},
	{"unpublished", ForeignTableRelationId, OPT_UNPUBLISHED},
	{"store", ForeignTableRelationId, OPT_ON_OFF},
};

static const char *const unpublished_names[] = {
	[WXA_UNPUBLISHED_AUTO] = "auto",
	[WXA_UNPUBLISHED_ERROR] = "error",
	[WXA_UNPUBLISHED_SKIP] = "skip",
};

/* The value of option unpublished; -1 when it is none of the names. */
static int
unpublished_value(const char *value)
{
	for (size_t i = 0; i < lengthof(unpublished_names); i++)
		if (strcmp(value, unpublished_names[i]) == 0)
			return (int) i;
	return -1;
}

const char *
wxa_unpublished_name(WxaUnpublished value)
{
	return unpublished_names[value];
}

#define DEFAULT_API_BASE_URL "https://api.weixin.qq.com"

/* The option of that name in context, else of that name anywhere (to say where it belongs). */
static const WxaOption *
find_option(const char *name, Oid context)
{
	const WxaOption *any = NULL;

	for (size_t i = 0; i < lengthof(wxa_options); i++)
		if (strcmp(wxa_options[i].name, name) == 0)
		{
			if (wxa_options[i].context == context)
				return &wxa_options[i];
			if (any == NULL)
				any = &wxa_options[i];
		}
	return any;
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

/*
 * What is wrong with a CA file for curl, or NULL. Checked when the option is
 * set, by the server process that will read it, so that a typo fails there
 * and not at the first query; curl reports a file that went away later.
 */
static const char *
ca_file_problem(const char *path)
{
	FILE	   *file;
	char		chunk[8192];
	size_t		n;
	bool		has_certificate = false;
	const char *marker = "-----BEGIN CERTIFICATE-----";
	size_t		keep = strlen(marker) - 1;
	size_t		carried = 0;
	struct stat st;

	if (!is_absolute_path(path))
		return "it must be an absolute path (the server's working directory is its data directory)";
	if (stat(path, &st) != 0)
		return psprintf("could not access file \"%s\": %m", path);
	if (!S_ISREG(st.st_mode))
		return psprintf("\"%s\" is not a regular file", path);
	file = AllocateFile(path, "r");
	if (file == NULL)
		return psprintf("could not open file \"%s\" for reading: %m", path);
	/* look for the marker, also across chunk boundaries */
	while (!has_certificate && (n = fread(chunk + carried, 1, sizeof(chunk) - 1 - carried, file)) > 0)
	{
		n += carried;
		chunk[n] = '\0';
		has_certificate = strstr(chunk, marker) != NULL;
		carried = n < keep ? n : keep;
		memmove(chunk, chunk + n - carried, carried);
	}
	FreeFile(file);
	if (!has_certificate)
		return psprintf("\"%s\" holds no PEM certificate (-----BEGIN CERTIFICATE-----)", path);
	return NULL;
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
				bool		proxy = opt->kind == OPT_PROXY_URL;
				WxaUrlCheck check = wxa_url_check(value, proxy);
				const char *hint = wxa_url_hint(check, proxy);

				if (check == WXA_URL_NO_MEMORY)
					ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
				if (check != WXA_URL_OK)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"%s\": %s",
									opt->name, wxa_url_problem(check, proxy)),
							 hint ? errhint("%s", hint) : 0));
			}
			break;
		case OPT_CA_FILE:
			{
				const char *problem = ca_file_problem(value);

				if (problem)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"sslrootcert\": %s", problem),
							 errhint("Give the absolute path of a PEM file of the CA certificates to trust, readable by the database server's operating-system user.")));
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
		case OPT_BOOL:
			{
				bool		ignored;

				if (!parse_bool(value, &ignored))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"", opt->name, value),
							 errhint("Valid values are: true, false.")));
			}
			break;
		case OPT_UNPUBLISHED:
			if (unpublished_value(value) < 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"unpublished\": \"%s\"", value),
						 errhint("Valid values are: auto, error, skip.")));
			break;
		case OPT_ON_OFF:
			if (strcmp(value, "on") != 0 && strcmp(value, "off") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for option \"%s\": \"%s\"", opt->name, value),
						 errhint("Valid values are: on, off.")));
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
		const WxaOption *opt = find_option(def->defname, context);

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
					 opt->kind == OPT_CA_FILE ?
					 errdetail("It decides which certificates the database server trusts, and names a file that the database server reads.") :
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
	else if (strcmp(name, "sslrootcert") == 0)
		config->sslrootcert = defGetString(def);
	else if (strcmp(name, "unpublished") == 0)
		config->unpublished = (WxaUnpublished) unpublished_value(defGetString(def));
	else if (strcmp(name, "store") == 0)
		config->store = strcmp(defGetString(def), "on") == 0;
	else if (strcmp(name, "store_after_days") == 0)
		config->store_after_days = int_option(def);
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
				 errhint("Create one with CREATE USER MAPPING FOR %s SERVER %s OPTIONS (secret '...').",
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
	config->unpublished = WXA_UNPUBLISHED_AUTO;
	config->store_after_days = 7;

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
	options->server_key = config->serverid;
	options->proxy = config->proxy;
	options->ca_file = config->sslrootcert;
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

/* May scans of this table run concurrently with the other scans of an Append? The table's option wins. */
bool
wxa_table_async_capable(Oid foreigntableid)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	List	   *lists[2] = {table->options, server->options};

	for (int i = 0; i < 2; i++)
	{
		ListCell   *lc;

		foreach(lc, lists[i])
		{
			DefElem    *def = lfirst_node(DefElem, lc);

			if (strcmp(def->defname, "async_capable") == 0)
				return defGetBoolean(def);
		}
	}
	return true;
}

/* A foreign table's own options over its server's: unpublished. */
void
wxa_apply_table_options(WxaConfig *config, Oid foreigntableid)
{
	ListCell   *lc;

	foreach(lc, GetForeignTable(foreigntableid)->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "unpublished") == 0)
			config->unpublished = (WxaUnpublished) unpublished_value(defGetString(def));
	}
}

/* The table's option `store`, else the server's (already in config); off by default. */
bool
wxa_table_store(Oid foreigntableid, const WxaConfig *config)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	foreach(lc, table->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "store") == 0)
			return strcmp(defGetString(def), "on") == 0;
	}
	return config->store;
}
