/*
 * store_owner.c — the period store's tables and running SQL on them as the
 * extension's owner under a pinned search_path (store_owner.h).
 */
#include "postgres.h"

#include "store_owner.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

/* ---------------------------------------------------------------- the catalog, the owner */

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

void
wxa_store_as_owner(const WxaStoreCatalog *cat, WxaStoreSaved *saved)
{
	GetUserIdAndSecContext(&saved->userid, &saved->sec_context);
	SetUserIdAndSecContext(cat->owner,
						   saved->sec_context | SECURITY_LOCAL_USERID_CHANGE);
	saved->guc_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
}

void
wxa_store_as_caller(const WxaStoreSaved *saved, bool success)
{
	if (success)
		AtEOXact_GUC(false, saved->guc_level);
	SetUserIdAndSecContext(saved->userid, saved->sec_context);
}
