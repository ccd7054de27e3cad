/*
 * store_persist.h — the period store's second layer: settled periods kept in
 * a table of the extension, across statements, sessions and restarts
 * (interface.md, "Round three", "The period store").
 *
 * Only the first layer (period_store.c, the statement's hash of ready rows)
 * calls these. It reads the stored answers of all the settled periods a
 * consumer needs in one call, fetches the others, and hands back the
 * successful answers of settled periods to be kept.
 *
 * None of these functions makes a query wait, fail or spend twice because of
 * the store: a write is skipped where it cannot be safe (read-only
 * transaction, standby, parallel mode, REPEATABLE READ / SERIALIZABLE, a
 * period another transaction is writing), and a failed write is swallowed in
 * an internal subtransaction. Only a cancel (or a real out-of-memory) raises.
 * The wrapper's SQL runs as the extension's owner, fully schema-qualified,
 * under a pinned search_path.
 */
#ifndef WXA_STORE_PERSIST_H
#define WXA_STORE_PERSIST_H

#include "wxa_fdw.h"

/* Is the store on for this foreign table (its option `store` wins over the server's)? */
extern bool wxa_persist_enabled(Oid foreigntableid, const WxaConfig *config);

/*
 * Is the period settled for this server: its last day at least
 * store_after_days before yesterday (the server's timezone, the transaction's
 * yesterday)?
 */
extern bool wxa_persist_settled(const WxaConfig *config, const WxaPeriod *period);

/*
 * The stored answers of periods[0..n) of endpoint ep, for config's (appid,
 * api_base_url), in one query. bodies[i] gets a palloc'd response body (in
 * the caller's memory context) and lens[i] its length, or NULL when the
 * period is not stored. Serves nothing (all NULL, returns 0) unless config's
 * credential is proven for its appid. Returns how many were found.
 */
extern int	wxa_persist_read(const WxaConfig *config, const WxaEndpoint *ep,
							 const WxaPeriod *periods, int n, char **bodies, size_t *lens);

/*
 * Keep the successful answers of settled periods periods[0..n) (a published
 * empty answer too; never an error or an unpublished period). Skipped where
 * unsafe; never raises for a store problem.
 */
extern void wxa_persist_write(const WxaConfig *config, const WxaEndpoint *ep,
							  const WxaPeriod *periods, char *const *bodies,
							  const size_t *lens, int n);

/*
 * A request with config's credential succeeded: record that the credential
 * is proven for config's appid (a verifier of the secret, kept; an
 * access_token mapping: for this backend only).
 */
extern void wxa_persist_proven(const WxaConfig *config);

#endif
