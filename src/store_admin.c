/*
 * store_admin.c — the period store's SQL functions: wxa_store_forget (remove
 * periods; superusers only) and wxa_store_summary (what is kept, per appid,
 * api_base_url and endpoint). wxa_store_fill is PL/pgSQL (the upgrade
 * script): a backfill through the ordinary scan.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "store_owner.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "compat.h"

/* The catalog, or an error saying the extension's store is missing. */
static void
store_catalog_or_error(WxaStoreCatalog *cat)
{
	if (!wxa_store_catalog(cat))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the period store of wxa_fdw is not installed"),
				 errhint("Run ALTER EXTENSION wxa_fdw UPDATE.")));
}

/* wxa_store_forget's statements, for wxa_store_run(). */
typedef struct Forget
{
	const char *lock_sql;
	const char *periods_sql;
	const char *verifiers_sql;
	bool		everything;		/* the appid's verifiers go too */
	Oid		   *types;
	Datum	   *values;
	const char *nulls;
	uint64		removed;
} Forget;

static void
forget_work(void *arg)
{
	Forget	   *fg = arg;
	int			rc;

	if (SPI_execute(fg->lock_sql, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not lock the period store");
	rc = SPI_execute_with_args(fg->periods_sql, 4, fg->types, fg->values, fg->nulls, false, 0);
	if (rc != SPI_OK_DELETE)
		elog(ERROR, "could not remove periods from the period store: %s", SPI_result_code_string(rc));
	fg->removed = SPI_processed;
	if (fg->everything &&
		SPI_execute_with_args(fg->verifiers_sql, 1, fg->types, fg->values, fg->nulls, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not remove the verifiers of the period store");
}

PG_FUNCTION_INFO_V1(wxa_store_forget);

/*
 * wxa_store_forget(appid, endpoint, from_date, to_date) RETURNS bigint: the
 * number of periods removed, those of the appid (every api_base_url), of the
 * endpoint when given, with a day in [from_date, to_date] when given.
 * Forgetting an appid entirely also removes its verifiers.
 */
Datum
wxa_store_forget(PG_FUNCTION_ARGS)
{
	WxaStoreCatalog cat;
	Oid			types[4] = {TEXTOID, TEXTOID, DATEOID, DATEOID};
	Datum		values[4];
	char		nulls[4];
	Forget		fg;

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function wxa_store_forget"),
				 errdetail("Only superusers may remove periods from the period store.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("appid must not be NULL")));
	if (!PG_ARGISNULL(1))
	{
		char	   *endpoint = text_to_cstring(PG_GETARG_TEXT_PP(1));

		if (wxa_endpoint_by_name(endpoint) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown endpoint \"%s\"", endpoint),
					 errhint("Valid endpoints are: %s.", wxa_endpoint_names())));
	}
	if (!PG_ARGISNULL(2) && !PG_ARGISNULL(3) && PG_GETARG_DATEADT(2) > PG_GETARG_DATEADT(3))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("from_date must not be after to_date")));
	store_catalog_or_error(&cat);
	fg.everything = PG_ARGISNULL(1) && PG_ARGISNULL(2) && PG_ARGISNULL(3);

	for (int i = 0; i < 4; i++)
	{
		values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
	}
	/* EXCLUSIVE: concurrent writers skip (they take RowExclusiveLock conditionally); readers go on */
	fg.lock_sql = psprintf("LOCK TABLE %s.wxa_store_periods, %s.wxa_store_verifiers IN EXCLUSIVE MODE",
						   cat.schema, cat.schema);
	fg.periods_sql = psprintf("DELETE FROM %s.wxa_store_periods s "
							  "WHERE s.appid OPERATOR(pg_catalog.=) $1 "
							  "AND ($2 IS NULL OR s.endpoint OPERATOR(pg_catalog.=) $2) "
							  "AND ($4 IS NULL OR s.first_day OPERATOR(pg_catalog.<=) $4) "
							  "AND ($3 IS NULL OR s.first_day OPERATOR(pg_catalog.+) (s.days OPERATOR(pg_catalog.-) 1) OPERATOR(pg_catalog.>=) $3)",
							  cat.schema);
	fg.verifiers_sql = psprintf("DELETE FROM %s.wxa_store_verifiers v "
								"WHERE v.appid OPERATOR(pg_catalog.=) $1",
								cat.schema);
	fg.types = types;
	fg.values = values;
	fg.nulls = nulls;
	fg.removed = 0;
	(void) wxa_store_run(&cat, false, forget_work, &fg);
	PG_RETURN_INT64((int64) fg.removed);
}

/* wxa_store_summary's query and where its rows go, for wxa_store_run(). */
typedef struct Summary
{
	const char *sql;
	Oid		   *types;
	Datum	   *values;
	ReturnSetInfo *rsinfo;
} Summary;

static void
summary_work(void *arg)
{
	Summary    *sm = arg;
	int			rc;

	rc = SPI_execute_with_args(sm->sql, 2, sm->types, sm->values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the period store: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		Datum		row[7];
		bool		isnull[7];

		for (int c = 0; c < 7; c++)
			row[c] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1, &isnull[c]);
		/* the tuplestore copies the row into its own memory */
		tuplestore_putvalues(sm->rsinfo->setResult, sm->rsinfo->setDesc, row, isnull);
	}
}

PG_FUNCTION_INFO_V1(wxa_store_summary);

/*
 * wxa_store_summary() RETURNS TABLE (appid, api_base_url, endpoint, periods,
 * first_date, last_date, bytes): superusers see every appid, other roles the
 * appids of wxa_fdw servers they have USAGE on. bytes: the stored answers as
 * stored (compressed where PostgreSQL compressed them).
 */
Datum
wxa_store_summary(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	WxaStoreCatalog cat;
	Oid			types[2] = {BOOLOID, OIDOID};
	Datum		values[2];
	char	   *sql;
	Summary		sm;

	InitMaterializedSRF(fcinfo, 0);
	store_catalog_or_error(&cat);
	values[0] = BoolGetDatum(superuser());
	values[1] = ObjectIdGetDatum(GetUserId());
	sql = psprintf("SELECT s.appid, s.api_base_url, s.endpoint, pg_catalog.count(*), "
				   "pg_catalog.min(s.first_day), "
				   "pg_catalog.max(s.first_day OPERATOR(pg_catalog.+) (s.days OPERATOR(pg_catalog.-) 1)), "
				   "pg_catalog.sum(pg_catalog.pg_column_size(s.answer))::pg_catalog.int8 "
				   "FROM %s.wxa_store_periods s "
				   "WHERE $1 OR s.appid OPERATOR(pg_catalog.=) ANY (ARRAY("
				   "SELECT o.option_value FROM pg_catalog.pg_foreign_server f "
				   "JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid OPERATOR(pg_catalog.=) f.srvfdw, "
				   "LATERAL pg_catalog.pg_options_to_table(f.srvoptions) o "
				   "WHERE w.fdwhandler OPERATOR(pg_catalog.=) %s::pg_catalog.regprocedure::pg_catalog.oid "
				   "AND o.option_name OPERATOR(pg_catalog.=) 'appid' "
				   "AND pg_catalog.has_server_privilege($2, f.oid, 'USAGE'))) "
				   "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
				   cat.schema,
				   quote_literal_cstr(psprintf("%s.wxa_fdw_handler()", cat.schema)));
	sm.sql = sql;
	sm.types = types;
	sm.values = values;
	sm.rsinfo = rsinfo;
	(void) wxa_store_run(&cat, false, summary_work, &sm);
	return (Datum) 0;
}
