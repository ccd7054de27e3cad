/*
 * store_owner.h — what store_persist.c (the period store's table) and
 * store_admin.c (its SQL functions) share: where the store's tables are, and
 * running SQL on them as the extension's owner under a pinned search_path
 * (store_owner.c).
 */
#ifndef WXA_STORE_OWNER_H
#define WXA_STORE_OWNER_H

#include "postgres.h"

/* The extension's schema, owner and store tables; InvalidOid where missing. */
typedef struct WxaStoreCatalog
{
	Oid			owner;
	char	   *schema;			/* quoted, ready for SQL text */
	Oid			periods;		/* the table wxa_store_periods */
	Oid			verifiers;		/* the table wxa_store_verifiers */
} WxaStoreCatalog;

/* Fill cat; false when the extension's store tables are missing (say, before ALTER EXTENSION UPDATE). */
extern bool wxa_store_catalog(WxaStoreCatalog *cat);

/* What wxa_store_as_owner() changed, for wxa_store_as_caller() to undo. */
typedef struct WxaStoreSaved
{
	Oid			userid;
	int			sec_context;
	int			guc_level;
} WxaStoreSaved;

/*
 * Become the extension's owner (keeping a caller's security-restricted
 * operation) under search_path pg_catalog, pg_temp. wxa_store_as_caller()
 * undoes it; call that in PG_FINALLY (on an error it only restores the user:
 * the transaction's abort pops the GUC level).
 */
extern void wxa_store_as_owner(const WxaStoreCatalog *cat, WxaStoreSaved *saved);
extern void wxa_store_as_caller(const WxaStoreSaved *saved, bool success);

#endif
