/*
 * period_store.h — the period store: what every consumer of periods asks.
 *
 * A period is (server and user mapping, endpoint, first day, days), and the
 * rows WeChat gave for it. One store lives as long as one statement (its
 * EState); every consumer in that statement — a scan, a scan's rescans, the
 * batched join, the scans under an Append, the same table twice — asks it,
 * so a period is fetched at most once per statement, whoever needs it.
 * Settled periods also come from, and go to, the database when the table's
 * `store` option is on (store_persist.c).
 *
 * A consumer asks for the periods it needs (wxa_store_request: missing ones
 * are looked up in the database or requested, all at once, without waiting),
 * then takes each one's rows when they are there (wxa_store_ready,
 * wxa_store_pin). Rows are kept as text cells in one position-independent
 * block per period, within work_mem; beyond it, blocks not in use go to a
 * temporary file and come back when asked for.
 */
#ifndef WXA_PERIOD_STORE_H
#define WXA_PERIOD_STORE_H

#include "wxa_fdw.h"

#include "lib/ilist.h"

typedef struct WxaPeriodStore WxaPeriodStore;
typedef struct WxaStoredPeriod WxaStoredPeriod;
typedef struct WxaStoredRows WxaStoredRows;

/* One consumer: whose credentials, which endpoint, and what its periods cost. */
typedef struct WxaStoreClient
{
	WxaConfig  *config;			/* lives at least as long as the client */
	const WxaEndpoint *ep;
	bool		persist;		/* the table's `store` option is on */
	WxaTokenSession tokens;
	/* for EXPLAIN ANALYZE */
	WxaHttpStats stats;			/* traffic of the requests it sent */
	long		from_store;		/* periods it read from the database */
	long		fetched;		/* periods it had fetched from WeChat */
	/*
	 * The store, until the client or the store ends, whichever comes first
	 * (on an abort the statement's contexts go in any order): each detaches
	 * from the other.
	 */
	WxaPeriodStore *store;
	dlist_node	store_node;		/* in the store's list of clients */
} WxaStoreClient;

/* The statement's store (made on first use, freed with the statement). */
extern WxaPeriodStore *wxa_store_of(EState *estate);

extern void wxa_store_client_init(WxaStoreClient *client, WxaPeriodStore *store,
								  WxaConfig *config, const WxaEndpoint *ep, bool persist);
/* The client ends before the statement: its requests in flight are no longer its. */
extern void wxa_store_client_done(WxaStoreClient *client);

/* Add the client's traffic, its requests still in flight included, to *into. */
extern void wxa_store_client_stats(const WxaStoreClient *client, WxaHttpStats *into);

/*
 * Periods the store has neither ready nor in flight, among periods[0..n):
 * what a request for them would cost (max_requests is checked against it).
 */
extern int	wxa_store_missing(WxaPeriodStore *store, const WxaStoreClient *client,
							  const WxaPeriod *periods, int n);

/*
 * Make periods[0..n) known to the store: each missing one is read from the
 * database (settled periods, store on) or requested from WeChat, all in one
 * batch, without waiting. entries[i] (may be NULL) gets period i's entry.
 * check(check_arg, requests), when given, is called before anything is sent
 * and may raise (max_requests). Returns how many requests were sent.
 */
extern int	wxa_store_request(WxaPeriodStore *store, WxaStoreClient *client,
							  const WxaPeriod *periods, int n, WxaStoredPeriod **entries,
							  void (*check) (void *arg, int requests), void *check_arg);

/*
 * Is the entry's answer there? With wait, waits for it. Raises the error of
 * a failed request; an unpublished period is ready (wxa_store_unpublished).
 */
extern bool wxa_store_ready(WxaStoredPeriod *entry, bool wait);

/* WeChat has not published the period yet (61503, or an empty answer before publication). */
extern bool wxa_store_unpublished(const WxaStoredPeriod *entry);
/* Raise the period's "not published" error. */
pg_noreturn extern void wxa_store_raise_unpublished(const WxaStoredPeriod *entry,
													const char *table_name);

/* The rows of a ready entry, kept in memory until unpinned. */
extern const WxaStoredRows *wxa_store_pin(WxaStoredPeriod *entry);
extern void wxa_store_unpin(WxaStoredPeriod *entry);

extern int	wxa_stored_nrows(const WxaStoredRows *rows);
/* A cell's text (UTF-8), or NULL. */
extern const char *wxa_stored_cell(const WxaStoredRows *rows, int row, int col);

#endif
