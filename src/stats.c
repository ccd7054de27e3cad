/*
 * stats.c — cumulative statistics of the requests sent to WeChat (the view
 * wxa_fdw_stats): one shared hash as pg_stat_statements keeps, keyed by
 * (database, server, API path), at most wxa_fdw.stats_max entries.
 *
 * Shared memory exists only when the library is in shared_preload_libraries;
 * otherwise counting does nothing and reading is an error saying so. Each
 * backend folds a batch's counts in once, when the batch is done with (the
 * callers), so the shared lock is taken once per batch, not per request.
 * Lookups take the LWLock shared and the entry's spinlock; only a new entry
 * (and the eviction it may need) takes it exclusively.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "catalog/pg_foreign_server.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/timestamp.h"

#include "core/wxa_token.h"

/* Longer than any API path wxa_fdw calls ("/datacube/getweanalysisappidvisitdistribution"). */
#define STATS_PATH_MAX 64
#define STATS_TRANCHE "wxa_fdw"

typedef struct StatsKey
{
	Oid			dbid;
	Oid			serverid;
	char		cgi_path[STATS_PATH_MAX];	/* zero-padded: the key is hashed as bytes */
} StatsKey;

typedef struct StatsCounters
{
	int64		requests;
	int64		retries;
	int64		failures;
	int64		bytes_received;
	int64		store_hits;
	int32		last_errcode;	/* 0: the last failure had no WeChat errcode */
	TimestampTz last_error_at;	/* 0: no failure yet */
} StatsCounters;

typedef struct StatsEntry
{
	StatsKey	key;
	slock_t		mutex;			/* protects what follows */
	StatsCounters counters;
	TimestampTz stats_reset;	/* since when the counters count */
	TimestampTz touched;		/* last counted: the least recent is evicted */
} StatsEntry;

typedef struct StatsShared
{
	LWLock	   *lock;			/* the hash's entries, added and removed */
	TimestampTz stats_reset;	/* the last wxa_fdw_stats_reset(), or the server's start */
	int64		evictions;		/* since stats_reset */
} StatsShared;

static int	stats_max = 1000;
static StatsShared *shared = NULL;
static HTAB *stats_hash = NULL;

#if PG_VERSION_NUM >= 150000
static shmem_request_hook_type prev_shmem_request_hook = NULL;
#endif
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
stats_memsize(void)
{
	return add_size(MAXALIGN(sizeof(StatsShared)),
					hash_estimate_size(stats_max, sizeof(StatsEntry)));
}

static void
stats_request(void)
{
#if PG_VERSION_NUM >= 150000
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
#endif
	RequestAddinShmemSpace(stats_memsize());
	RequestNamedLWLockTranche(STATS_TRANCHE, 1);
}

static void
stats_startup(void)
{
	bool		found;
	HASHCTL		info;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	/* a restart after a crash builds everything anew */
	shared = NULL;
	stats_hash = NULL;

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("wxa_fdw stats", sizeof(StatsShared), &found);
	if (!found)
	{
		shared->lock = &(GetNamedLWLockTranche(STATS_TRANCHE))->lock;
		shared->stats_reset = GetCurrentTimestamp();
		shared->evictions = 0;
	}
	memset(&info, 0, sizeof(info));
	info.keysize = sizeof(StatsKey);
	info.entrysize = sizeof(StatsEntry);
	stats_hash = ShmemInitHash("wxa_fdw stats hash", stats_max, stats_max, &info,
							   HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/* From _PG_init: the setting and the shared memory, only when preloaded (as pg_stat_statements). */
void
wxa_stats_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("wxa_fdw.stats_max",
							"Entries of wxa_fdw_stats kept: (database, server, API path) combinations.",
							"When full, the least recently counted entry is dropped.",
							&stats_max,
							1000, 100, 1000000,
							PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = stats_request;
#else
	stats_request();
#endif
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = stats_startup;
}

/* The key of an API path: "datacube/x", "/datacube/x" or "datacube/x (2024-01-03)" all give "/datacube/x". */
static void
make_key(StatsKey *key, Oid serverid, const char *api)
{
	size_t		len = strcspn(api, " ");
	int			lead = api[0] == '/' ? 0 : 1;

	memset(key, 0, sizeof(*key));
	key->dbid = MyDatabaseId;
	key->serverid = serverid;
	if (len > STATS_PATH_MAX - 1 - lead)
		len = STATS_PATH_MAX - 1 - lead;
	key->cgi_path[0] = '/';
	memcpy(key->cgi_path + lead, api, len);
}

/* Make room by dropping the least recently counted entry; the exclusive lock is held. */
static void
evict_one(void)
{
	HASH_SEQ_STATUS seq;
	StatsEntry *entry;
	StatsEntry *oldest = NULL;

	hash_seq_init(&seq, stats_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
		if (oldest == NULL || entry->touched < oldest->touched)
			oldest = entry;
	if (oldest)
	{
		hash_search(stats_hash, &oldest->key, HASH_REMOVE, NULL);
		shared->evictions++;
	}
}

/*
 * The entry of key, created if need be (NULL: no room). Returns with the lock
 * held, shared or exclusive: the caller releases it.
 */
static StatsEntry *
entry_for(const StatsKey *key)
{
	StatsEntry *entry;
	bool		found;

	LWLockAcquire(shared->lock, LW_SHARED);
	entry = hash_search(stats_hash, key, HASH_FIND, NULL);
	if (entry)
		return entry;
	LWLockRelease(shared->lock);

	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	entry = hash_search(stats_hash, key, HASH_FIND, NULL);
	if (entry)
		return entry;
	if (hash_get_num_entries(stats_hash) >= stats_max)
		evict_one();
	entry = hash_search(stats_hash, key, HASH_ENTER_NULL, &found);
	if (entry && !found)
	{
		SpinLockInit(&entry->mutex);
		memset(&entry->counters, 0, sizeof(entry->counters));
		/* an evicted entry of this key may have counted since the reset */
		entry->stats_reset = shared->evictions == 0 ? shared->stats_reset : GetCurrentTimestamp();
		entry->touched = 0;
	}
	return entry;
}

void
wxa_stats_count(Oid serverid, const char *api, int64 requests, int64 retries,
				int64 failures, int64 bytes, long errcode)
{
	StatsKey	key;
	StatsEntry *entry;
	TimestampTz now;

	if (shared == NULL || stats_hash == NULL || !OidIsValid(MyDatabaseId))
		return;
	if (requests == 0 && retries == 0 && failures == 0 && bytes == 0)
		return;
	make_key(&key, serverid, api);
	now = GetCurrentTimestamp();
	entry = entry_for(&key);
	if (entry)
	{
		SpinLockAcquire(&entry->mutex);
		entry->counters.requests += requests;
		entry->counters.retries += retries;
		entry->counters.failures += failures;
		entry->counters.bytes_received += bytes;
		if (failures > 0)
		{
			entry->counters.last_errcode = (int32) errcode;
			entry->counters.last_error_at = now;
		}
		entry->touched = now;
		SpinLockRelease(&entry->mutex);
	}
	LWLockRelease(shared->lock);
}

void
wxa_stats_store_hits(Oid serverid, const char *api, int64 n)
{
	StatsKey	key;
	StatsEntry *entry;

	if (shared == NULL || stats_hash == NULL || !OidIsValid(MyDatabaseId) || n == 0)
		return;
	make_key(&key, serverid, api);
	entry = entry_for(&key);
	if (entry)
	{
		SpinLockAcquire(&entry->mutex);
		entry->counters.store_hits += n;
		entry->touched = GetCurrentTimestamp();
		SpinLockRelease(&entry->mutex);
	}
	LWLockRelease(shared->lock);
}

void
wxa_stats_traffic(const WxaConfig *config, const char *api, const WxaHttpStats *stats)
{
	if (stats == NULL)
		return;
	wxa_stats_count(config->serverid, api, stats->sent, stats->retries, 0, stats->bytes, 0);
	/* the batch's token fetches count under the token API (their bytes stay with api) */
	if (stats->token_fetches > 0)
		wxa_stats_count(config->serverid, wxa_token_api(config->token_endpoint),
						stats->token_fetches, 0, 0, 0, 0);
}

void
wxa_stats_batch(const WxaConfig *config, const char *api, const WxaBatch *batch)
{
	if (batch)
		wxa_stats_traffic(config, api, wxa_batch_stats(batch));
}

void
wxa_stats_datacube_batch(const WxaConfig *config, const WxaEndpoint *ep, const WxaBatch *batch)
{
	char		api[STATS_PATH_MAX];

	snprintf(api, sizeof(api), "datacube/%s", ep->api);
	wxa_stats_batch(config, api, batch);
}

void
wxa_stats_failure(const WxaConfig *config, const WxaError *err)
{
	/* a cancel is no failure of WeChat's; an error without a request names no API */
	if (config == NULL || err->kind == WXA_ERR_CANCELED || strchr(err->what, '/') == NULL)
		return;
	wxa_stats_count(config->serverid, err->what, 0, 0, 1, 0,
					err->kind == WXA_ERR_API ? err->errcode : 0);
}

static void
require_shared(void)
{
	if (shared == NULL || stats_hash == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("wxa_fdw statistics are not collected"),
				 errdetail("The library wxa_fdw was not loaded at server start."),
				 errhint("Add wxa_fdw to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/* The server of an entry if the user has USAGE on it, else NULL (a dropped server's entry too). */
static ForeignServer *
visible_server(Oid serverid)
{
	ForeignServer *server = GetForeignServerExtended(serverid, FSV_MISSING_OK);
	AclResult	aclresult;

	if (server == NULL)
		return NULL;
#if PG_VERSION_NUM >= 160000
	aclresult = object_aclcheck(ForeignServerRelationId, serverid, GetUserId(), ACL_USAGE);
#else
	aclresult = pg_foreign_server_aclcheck(serverid, GetUserId(), ACL_USAGE);
#endif
	return aclresult == ACLCHECK_OK ? server : NULL;
}

static const char *
server_appid(const ForeignServer *server)
{
	ListCell   *lc;

	foreach(lc, server->options)
	{
		DefElem    *def = lfirst_node(DefElem, lc);

		if (strcmp(def->defname, "appid") == 0)
			return defGetString(def);
	}
	return NULL;
}

PG_FUNCTION_INFO_V1(wxa_fdw_stats_entries);

/*
 * wxa_fdw_stats_entries() RETURNS TABLE (server, appid, cgi_path, requests, ...),
 * the view wxa_fdw_stats: this database's entries of servers the user has USAGE
 * on. The names are looked up here rather than joined in the view, so that
 * reading the view always runs this (and its error when not preloaded).
 */
Datum
wxa_fdw_stats_entries(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS seq;
	StatsEntry *entry;
	StatsEntry *copies;
	long		ncopies = 0;
	long		capacity;

	require_shared();
	InitMaterializedSRF(fcinfo, 0);

	/* copied under the lock, checked for privileges after it (catalog lookups) */
	LWLockAcquire(shared->lock, LW_SHARED);
	capacity = hash_get_num_entries(stats_hash);
	copies = palloc(sizeof(StatsEntry) * Max(capacity, 1));
	hash_seq_init(&seq, stats_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId || ncopies >= capacity)
			continue;
		copies[ncopies].key = entry->key;
		SpinLockAcquire(&entry->mutex);
		copies[ncopies].counters = entry->counters;
		copies[ncopies].stats_reset = entry->stats_reset;
		SpinLockRelease(&entry->mutex);
		ncopies++;
	}
	LWLockRelease(shared->lock);

	for (long i = 0; i < ncopies; i++)
	{
		const StatsEntry *e = &copies[i];
		ForeignServer *server = visible_server(e->key.serverid);
		const char *appid;
		Datum		values[11];
		bool		nulls[11] = {0};
		NameData	name;

		if (server == NULL)
			continue;
		namestrcpy(&name, server->servername);
		values[0] = NameGetDatum(&name);
		appid = server_appid(server);
		values[1] = appid ? CStringGetTextDatum(appid) : (Datum) 0;
		nulls[1] = appid == NULL;
		values[2] = CStringGetTextDatum(e->key.cgi_path);
		values[3] = Int64GetDatum(e->counters.requests);
		values[4] = Int64GetDatum(e->counters.retries);
		values[5] = Int64GetDatum(e->counters.failures);
		values[6] = Int64GetDatum(e->counters.bytes_received);
		values[7] = Int64GetDatum(e->counters.store_hits);
		values[8] = Int32GetDatum(e->counters.last_errcode);
		nulls[8] = e->counters.last_error_at == 0 || e->counters.last_errcode == 0;
		values[9] = TimestampTzGetDatum(e->counters.last_error_at);
		nulls[9] = e->counters.last_error_at == 0;
		values[10] = TimestampTzGetDatum(e->stats_reset);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	pfree(copies);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(wxa_fdw_stats_reset);

/* wxa_fdw_stats_reset(): every entry of every database dropped (EXECUTE revoked from PUBLIC). */
Datum
wxa_fdw_stats_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS seq;
	StatsEntry *entry;

	require_shared();
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, stats_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
		hash_search(stats_hash, &entry->key, HASH_REMOVE, NULL);
	shared->stats_reset = GetCurrentTimestamp();
	shared->evictions = 0;
	LWLockRelease(shared->lock);
	PG_RETURN_VOID();
}
