/*
 * store_owner.c — the period store's tables and the one way SQL runs on
 * them (store_owner.h): as the extension's owner, fully schema-qualified,
 * under a pinned search_path, with SPI; the writes in an internal
 * subtransaction whose error is swallowed, so that the store never fails the
 * user's statement.
 */
#include "postgres.h"

#include "store_owner.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

/* ---------------------------------------------------------------- the catalog */

bool
wxa_store_catalog(WxaStoreCatalog *cat)
{
	Oid			extoid = get_extension_oid("wxa_fdw", true);
	Oid			nspoid = InvalidOid;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;

	memset(cat, 0, sizeof(*cat));
	if (!OidIsValid(extoid))
		return false;
	/* get_extension_schema() is static before PostgreSQL 16, and the owner is wanted too */
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(extoid));
	scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tuple);

		nspoid = ext->extnamespace;
		cat->owner = ext->extowner;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	if (!OidIsValid(nspoid))
		return false;
	cat->schema = (char *) quote_identifier(get_namespace_name(nspoid));
	cat->periods = get_relname_relid("wxa_store_periods", nspoid);
	cat->verifiers = get_relname_relid("wxa_store_verifiers", nspoid);
	return OidIsValid(cat->periods) && OidIsValid(cat->verifiers);
}

/* ---------------------------------------------------------------- running as the owner */

/* What as_owner() changed, for as_caller() to undo. */
typedef struct Saved
{
	Oid			userid;
	int			sec_context;
	int			guc_level;
} Saved;

/*
 * Become the extension's owner (keeping a caller's security-restricted
 * operation) under search_path pg_catalog, pg_temp.
 */
static void
as_owner(const WxaStoreCatalog *cat, Saved *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(cat->owner,
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
	saved->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

/* Undo as_owner(); on an error it only restores the user: the transaction's abort pops the GUC level. */
static void
as_caller(const Saved *saved, bool success)
{
	if (success)
		AtEOXact_GUC(false, saved->guc_level);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}

/* work(arg) between SPI_connect and SPI_finish. */
static void
with_spi(WxaStoreWork work, void *arg)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	work(arg);
	SPI_finish();
}

/*
 * with_spi() in an internal subtransaction, as PL/pgSQL's exception blocks
 * run theirs; returns whether it completed. Its own function: a PG_TRY
 * nested in wxa_store_run's would shadow under -Wshadow=compatible-local
 * (PostgreSQL 16+).
 */
static bool
in_subtransaction(WxaStoreWork work, void *arg)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool completed = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		with_spi(work, arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		completed = true;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(edata);
		ereport(DEBUG1,
				(errmsg_internal("period store: write skipped: %s", edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return completed;
}

bool
wxa_store_run(const WxaStoreCatalog *cat, bool swallow_errors,
			  WxaStoreWork work, void *arg)
{
	Saved		saved;
	volatile bool owner = false;
	volatile bool completed = false;
	volatile bool done = false;

	PG_TRY();
	{
		as_owner(cat, &saved);
		owner = true;
		if (swallow_errors)
			completed = in_subtransaction(work, arg);
		else
		{
			with_spi(work, arg);
			completed = true;
		}
		done = true;
	}
	PG_FINALLY();
	{
		if (owner)
			as_caller(&saved, done);
	}
	PG_END_TRY();
	/* a cancel that arrived while the subtransaction held interrupts off */
	if (swallow_errors)
		CHECK_FOR_INTERRUPTS();
	return completed;
}
