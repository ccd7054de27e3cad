/*
 * wxa_fdw.c — the module: its initialization and the foreign-data wrapper's
 * handler, which puts together the callbacks of planning (scan_plan.c),
 * execution (scan_exec.c), asynchronous execution (scan_async.c), EXPLAIN
 * (scan_explain.c) and IMPORT FOREIGN SCHEMA (import.c).
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "foreign/fdwapi.h"

PG_MODULE_MAGIC;

/* the name PostgreSQL looks for */
void		_PG_init(void);		/* NOLINT(bugprone-reserved-identifier,cert-dcl37-c,cert-dcl51-cpp) */

void
_PG_init(void)
{
	if (!wxa_http_init())
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("wxa_fdw could not initialize libcurl")));
	wxa_token_cache_init();
	wxa_wait_init();
	wxa_batched_join_init();
	wxa_unpublished_init();
	wxa_stats_init();
	MarkGUCPrefixReserved("wxa_fdw");
}

PG_FUNCTION_INFO_V1(wxa_fdw_handler);

Datum
wxa_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = wxaGetForeignRelSize;
	routine->GetForeignPaths = wxaGetForeignPaths;
	routine->GetForeignPlan = wxaGetForeignPlan;
	routine->BeginForeignScan = wxaBeginForeignScan;
	routine->IterateForeignScan = wxaIterateForeignScan;
	routine->ReScanForeignScan = wxaReScanForeignScan;
	routine->EndForeignScan = wxaEndForeignScan;
	routine->ExplainForeignScan = wxaExplainForeignScan;
	routine->ImportForeignSchema = wxaImportForeignSchema;
#ifdef WXA_HAVE_ASYNC_FDW
	routine->IsForeignPathAsyncCapable = wxaIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = wxaForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = wxaForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = wxaForeignAsyncNotify;
#endif
	PG_RETURN_POINTER(routine);
}
