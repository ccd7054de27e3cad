/*
 * import.c — IMPORT FOREIGN SCHEMA wxa: one foreign table per catalog endpoint,
 * with the canonical names, columns and types.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "commands/defrem.h"
#include "compat.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"

#define WXA_REMOTE_SCHEMA "wxa"

/* LIMIT TO / EXCEPT naming a table that does not exist is a mistake worth reporting. */
static void
check_listed_tables(ImportForeignSchemaStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = lfirst_node(RangeVar, lc);

		if (wxa_endpoint_by_name(rv->relname) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("remote schema \"%s\" has no table \"%s\"", WXA_REMOTE_SCHEMA, rv->relname),
					 errhint("Its tables are: %s.", wxa_endpoint_names())));
	}
}

static bool
listed(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;

	foreach(lc, stmt->table_list)
		if (strcmp(lfirst_node(RangeVar, lc)->relname, name) == 0)
			return true;
	return false;
}

/* The import option appid_column: add the column appid to every table (partitions by app). */
static bool
with_appid_column(ImportForeignSchemaStmt *stmt)
{
	bool		appid = false;
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "appid_column") == 0)
			appid = defGetBoolean(def);
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\" of IMPORT FOREIGN SCHEMA", def->defname),
					 errhint("Valid options are: appid_column.")));
	}
	return appid;
}

List *
wxaImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *commands = NIL;
	bool		appid = with_appid_column(stmt);

	if (strcmp(stmt->remote_schema, WXA_REMOTE_SCHEMA) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("wxa_fdw has no remote schema \"%s\"", stmt->remote_schema),
				 errhint("Use IMPORT FOREIGN SCHEMA %s FROM SERVER %s INTO a local schema.",
						 WXA_REMOTE_SCHEMA, quote_identifier(server->servername))));
	check_listed_tables(stmt);

	for (int i = 0; i < wxa_endpoint_count; i++)
	{
		const WxaEndpoint *ep = &wxa_endpoints[i];
		StringInfoData sql;

		if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !listed(stmt, ep->name))
			continue;
		if (stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && listed(stmt, ep->name))
			continue;
		initStringInfo(&sql);
		appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (%s", quote_identifier(ep->name),
						 appid ? "appid text, " : "");
		for (int c = 0; c < ep->ncolumns; c++)
			appendStringInfo(&sql, "%s%s %s", c ? ", " : "",
							 quote_identifier(ep->columns[c].name), ep->columns[c].type);
		appendStringInfo(&sql, ") SERVER %s OPTIONS (endpoint %s)",
						 quote_identifier(server->servername), quote_literal_cstr(ep->name));
		commands = lappend(commands, sql.data);
	}
	return commands;
}

PG_FUNCTION_INFO_V1(wxa_endpoints_sql);

/* wxa_endpoints(OUT endpoint, OUT columns): the tables IMPORT FOREIGN SCHEMA creates, as SQL column lists. */
Datum
wxa_endpoints_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < wxa_endpoint_count; i++)
	{
		const WxaEndpoint *ep = &wxa_endpoints[i];
		StringInfoData columns;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		initStringInfo(&columns);
		for (int c = 0; c < ep->ncolumns; c++)
			appendStringInfo(&columns, "%s%s %s", c ? ", " : "",
							 quote_identifier(ep->columns[c].name), ep->columns[c].type);
		values[0] = CStringGetTextDatum(ep->name);
		values[1] = CStringGetTextDatum(columns.data);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(wxa_descriptions_sql);

/*
 * wxa_descriptions(OUT endpoint, OUT column_name, OUT description): what COMMENT ON gives each
 * table (column_name NULL) and column, the appid column included; the catalog is their one source.
 */
Datum
wxa_descriptions_sql(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < wxa_endpoint_count; i++)
	{
		const WxaEndpoint *ep = &wxa_endpoints[i];

		for (int c = -2; c < ep->ncolumns; c++)
		{
			Datum		values[3];
			bool		nulls[3] = {false, c == -2, false};

			values[1] = (Datum) 0;

			values[0] = CStringGetTextDatum(ep->name);
			if (c == -2)
				values[2] = CStringGetTextDatum(ep->description);
			else if (c == -1)
			{
				values[1] = CStringGetTextDatum("appid");
				values[2] = CStringGetTextDatum(wxa_appid_column_description);
			}
			else
			{
				values[1] = CStringGetTextDatum(ep->columns[c].name);
				values[2] = CStringGetTextDatum(ep->columns[c].description);
			}
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}
