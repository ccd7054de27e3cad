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

/*
 * SQL on the store, run by wxa_store_run() with SPI connected (the memory
 * context is SPI's until it returns: what must outlive it goes to the
 * caller's context). It reports a failure by raising an error.
 */
typedef void (*WxaStoreWork) (void *arg);

/*
 * Run work(arg) as the extension's owner (keeping a caller's
 * security-restricted operation) under search_path pg_catalog, pg_temp,
 * between SPI_connect and SPI_finish; the caller's user and search_path come
 * back after, on an error too.
 *
 * swallow_errors false: an error of work goes on to the caller; returns true.
 * swallow_errors true (the writes): work runs in an internal subtransaction
 * whose error is swallowed, with a DEBUG1 line "period store: write skipped",
 * except a cancel, a terminate or an out-of-memory, which go on as errors;
 * returns whether work completed.
 */
extern bool wxa_store_run(const WxaStoreCatalog *cat, bool swallow_errors,
						  WxaStoreWork work, void *arg);

#endif
