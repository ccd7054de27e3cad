/*
 * period_store.c — the statement's periods: asked for by every consumer,
 * fetched once (period_store.h says what a consumer sees).
 *
 * One store per EState, in a memory context under the statement's, with a
 * hash of entries keyed by (server, user mapping, endpoint, first day, days).
 * An entry is pending (its request is in one of the store's batches of the
 * request engine), ready (its rows, as one block of text cells) or failed
 * (the error, raised to whoever asks). The batches belong to the store, not
 * to the consumer that started them, so a scan that ends early (a LIMIT)
 * leaves nothing dangling for the others.
 *
 * Memory: ready blocks stay in memory up to work_mem; beyond it the least
 * recently used ones that nobody is reading go to a temporary file, once,
 * and are read back when asked for. A block is position-independent (cells
 * are offsets into its text) so that it is written and read as it is.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "period_store.h"
#include "scan.h"
#include "store_persist.h"

#include "access/xact.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "storage/buffile.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "core/wxa_api.h"
#include "core/wxa_response.h"

typedef struct StoreKey
{
	Oid			serverid;
	Oid			umid;
	const WxaEndpoint *ep;		/* the catalog's, static */
	wxa_day		first;
	int			days;
} StoreKey;

/* A source of periods: one server and user mapping, its config owned by the store. */
typedef struct StoreSource
{
	Oid			serverid;
	Oid			umid;
	WxaConfig  *config;			/* deep copy in the store's context */
	WxaTokenSession tokens;
	struct StoreSource *next;
} StoreSource;

typedef struct StoreBatch
{
	WxaBatch   *batch;			/* malloc'd by the engine */
	WxaStoreClient *client;		/* whose traffic it is; NULL once that client is done */
	StoreSource *source;		/* for the statistics (wxa_fdw_stats) */
	const WxaEndpoint *ep;
	int			remaining;		/* entries not received yet */
	struct StoreBatch *next;
} StoreBatch;

typedef enum EntryState
{
	ENTRY_PENDING,
	ENTRY_READY,
	ENTRY_FAILED
} EntryState;

struct WxaStoredRows
{
	int32		nrows;
	int32		ncols;
	/* per cell: 0 for NULL, else 1 + its offset in the text after the array */
	uint32		offsets[FLEXIBLE_ARRAY_MEMBER];
};

struct WxaStoredPeriod
{
	StoreKey	key;			/* hash key: must be first */
	WxaPeriod	period;
	EntryState	state;
	StoreSource *source;
	WxaPeriodStore *store;
	/* pending */
	StoreBatch *batch;
	int			request;
	bool		persist_write;	/* keep the answer in the database when it comes */
	/* ready */
	bool		unpublished;
	WxaStoredRows *rows;		/* NULL while only in the file */
	Size		size;
	bool		in_file;
	int			fileno;
	off_t		offset;
	int			pins;
	dlist_node	lru;			/* in store->unpinned while in memory and not pinned */
	/* failed, or unpublished with 61503 */
	WxaError	err;
};

struct WxaPeriodStore
{
	MemoryContext context;
	MemoryContextCallback cleanup;
	EState	   *estate;
	HTAB	   *entries;
	StoreSource *sources;
	StoreBatch *batches;
	dlist_head	clients;		/* WxaStoreClient still attached */
	dlist_head	unpinned;		/* in memory, not pinned: oldest first */
	Size		resident;		/* bytes of blocks in memory */
	BufFile    *file;
	bool		file_gone;		/* closed by an abort's resource owner: not ours to close */
	int			file_end_fileno;
	off_t		file_end_offset;
	int			nest_level;
	dlist_node	live;
};

/* the stores of this backend's running statements */
static dlist_head live_stores = DLIST_STATIC_INIT(live_stores);
static bool callbacks_registered = false;

/* ---------------------------------------------------------------- the store's life */

static void
free_batch(StoreBatch *b)
{
	wxa_stats_datacube_batch(b->source->config, b->ep, b->batch);
	if (b->client)
		wxa_http_stats_add(&b->client->stats, wxa_batch_stats(b->batch));
	wxa_batch_free(b->batch);
	b->batch = NULL;
}

/*
 * The store's context is being deleted (the statement ended, or failed): stop
 * what is in flight and close the file, unless an abort closed it already.
 */
static void
store_cleanup(void *arg)
{
	WxaPeriodStore *store = arg;
	dlist_mutable_iter iter;

	/* clients that outlive the store (an abort deletes the contexts in any order) */
	dlist_foreach_modify(iter, &store->clients)
	{
		WxaStoreClient *client = dlist_container(WxaStoreClient, store_node, iter.cur);

		dlist_delete(&client->store_node);
		client->store = NULL;
	}
	for (StoreBatch *b = store->batches; b; b = b->next)
		if (b->batch)
		{
			b->client = NULL;	/* clients end before their statement */
			free_batch(b);
		}
	store->batches = NULL;
	if (store->file && !store->file_gone)
		BufFileClose(store->file);
	store->file = NULL;
	dlist_delete(&store->live);
}

/* An abort closes the temporary files of its resource owners: the stores must not close theirs again. */
static void
abort_files(int nest_level)
{
	dlist_iter	iter;

	dlist_foreach(iter, &live_stores)
	{
		WxaPeriodStore *store = dlist_container(WxaPeriodStore, live, iter.cur);

		if (store->nest_level >= nest_level)
			store->file_gone = true;
	}
}

static void
store_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		abort_files(0);
}

static void
store_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		abort_files(GetCurrentTransactionNestLevel());
}

WxaPeriodStore *
wxa_store_of(EState *estate)
{
	dlist_iter	iter;
	WxaPeriodStore *store;
	MemoryContext context;
	HASHCTL		ctl;

	dlist_foreach(iter, &live_stores)
	{
		store = dlist_container(WxaPeriodStore, live, iter.cur);
		if (store->estate == estate)
			return store;
	}
	if (!callbacks_registered)
	{
		RegisterXactCallback(store_xact_callback, NULL);
		RegisterSubXactCallback(store_subxact_callback, NULL);
		callbacks_registered = true;
	}
	context = AllocSetContextCreate(estate->es_query_cxt, "wxa_fdw period store",
									ALLOCSET_DEFAULT_SIZES);
	store = MemoryContextAllocZero(context, sizeof(WxaPeriodStore));
	store->context = context;
	store->estate = estate;
	store->nest_level = GetCurrentTransactionNestLevel();
	dlist_init(&store->unpinned);
	dlist_init(&store->clients);
	ctl.keysize = sizeof(StoreKey);
	ctl.entrysize = sizeof(WxaStoredPeriod);
	ctl.hcxt = context;
	store->entries = hash_create("wxa_fdw periods", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	store->cleanup.func = store_cleanup;
	store->cleanup.arg = store;
	MemoryContextRegisterResetCallback(context, &store->cleanup);
	dlist_push_tail(&live_stores, &store->live);
	return store;
}

static char *
copy_string(MemoryContext context, const char *s)
{
	return s ? MemoryContextStrdup(context, s) : NULL;
}

/* The store's source for a config's server and user mapping, made on first use. */
static StoreSource *
source_for(WxaPeriodStore *store, const WxaConfig *config)
{
	StoreSource *source;
	WxaConfig  *copy;

	for (source = store->sources; source; source = source->next)
		if (source->serverid == config->serverid && source->umid == config->umid)
			return source;
	source = MemoryContextAllocZero(store->context, sizeof(StoreSource));
	copy = MemoryContextAlloc(store->context, sizeof(WxaConfig));
	*copy = *config;
	copy->server_name = copy_string(store->context, config->server_name);
	copy->appid = copy_string(store->context, config->appid);
	copy->api_base_url = copy_string(store->context, config->api_base_url);
	copy->timezone = copy_string(store->context, config->timezone);
	copy->proxy = copy_string(store->context, config->proxy);
	copy->sslrootcert = copy_string(store->context, config->sslrootcert);
	copy->secret = copy_string(store->context, config->secret);
	copy->access_token = copy_string(store->context, config->access_token);
	source->serverid = config->serverid;
	source->umid = config->umid;
	source->config = copy;
	wxa_token_session_init(&source->tokens, copy);
	source->next = store->sources;
	store->sources = source;
	return source;
}

void
wxa_store_client_init(WxaStoreClient *client, WxaPeriodStore *store, WxaConfig *config,
					  const WxaEndpoint *ep, bool persist)
{
	memset(client, 0, sizeof(*client));
	client->config = config;
	client->ep = ep;
	client->persist = persist;
	client->store = store;
	dlist_push_tail(&store->clients, &client->store_node);
	wxa_token_session_init(&client->tokens, config);
}

void
wxa_store_client_done(WxaStoreClient *client)
{
	if (client->store == NULL)
		return;
	dlist_delete(&client->store_node);
	for (StoreBatch *b = client->store->batches; b; b = b->next)
		if (b->client == client)
		{
			if (b->batch)
				wxa_http_stats_add(&client->stats, wxa_batch_stats(b->batch));
			b->client = NULL;
		}
	client->store = NULL;
}

void
wxa_store_client_stats(const WxaStoreClient *client, WxaHttpStats *into)
{
	wxa_http_stats_add(into, &client->stats);
	if (client->store == NULL)
		return;
	for (StoreBatch *b = client->store->batches; b; b = b->next)
		if (b->client == client && b->batch)
			wxa_http_stats_add(into, wxa_batch_stats(b->batch));
}

/* ---------------------------------------------------------------- rows in memory and in the file */

static WxaStoredRows *
block_from_rows(MemoryContext context, const WxaRows *rows, Size *size)
{
	long		ncells = (long) rows->nrows * rows->ncols;
	Size		text = 0;
	WxaStoredRows *block;
	char	   *at;

	for (long i = 0; i < ncells; i++)
		if (rows->cells[i])
			text += strlen(rows->cells[i]) + 1;
	*size = offsetof(WxaStoredRows, offsets) + sizeof(uint32) * ncells + text;
	if (text >= PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a period's answer is too large to keep")));
	block = MemoryContextAllocHuge(context, *size);
	block->nrows = rows->nrows;
	block->ncols = rows->ncols;
	at = (char *) &block->offsets[ncells];
	text = 0;
	for (long i = 0; i < ncells; i++)
	{
		size_t		n;

		block->offsets[i] = 0;
		if (rows->cells[i] == NULL)
			continue;
		n = strlen(rows->cells[i]) + 1;
		memcpy(at + text, rows->cells[i], n);
		block->offsets[i] = (uint32) text + 1;
		text += n;
	}
	return block;
}

int
wxa_stored_nrows(const WxaStoredRows *rows)
{
	return rows->nrows;
}

const char *
wxa_stored_cell(const WxaStoredRows *rows, int row, int col)
{
	long		ncells = (long) rows->nrows * rows->ncols;
	uint32		offset = rows->offsets[(long) row * rows->ncols + col];

	return offset == 0 ? NULL : (const char *) &rows->offsets[ncells] + offset - 1;
}

/* Move the least recently used blocks nobody reads to the file until need more bytes fit in work_mem. */
static void
make_room(WxaPeriodStore *store, Size need)
{
	Size		budget = (Size) work_mem * 1024;

	while (store->resident + need > budget && !dlist_is_empty(&store->unpinned))
	{
		WxaStoredPeriod *e = dlist_container(WxaStoredPeriod, lru,
											 dlist_pop_head_node(&store->unpinned));

		if (!e->in_file)
		{
			if (store->file == NULL)
			{
				MemoryContext old = MemoryContextSwitchTo(store->context);

				store->file = BufFileCreateTemp(false);
				MemoryContextSwitchTo(old);
			}
			BufFileSeek(store->file, store->file_end_fileno, store->file_end_offset, SEEK_SET);
			BufFileWrite(store->file, e->rows, e->size);
			e->fileno = store->file_end_fileno;
			e->offset = store->file_end_offset;
			BufFileTell(store->file, &store->file_end_fileno, &store->file_end_offset);
			e->in_file = true;
		}
		pfree(e->rows);
		e->rows = NULL;
		store->resident -= e->size;
	}
}

/* A new ready block: kept in memory, unpinned. */
static void
keep_block(WxaStoredPeriod *e, WxaStoredRows *block, Size size)
{
	WxaPeriodStore *store = e->store;

	e->rows = block;
	e->size = size;
	store->resident += size;
	dlist_push_tail(&store->unpinned, &e->lru);
	make_room(store, 0);
}

const WxaStoredRows *
wxa_store_pin(WxaStoredPeriod *e)
{
	WxaPeriodStore *store = e->store;

	Assert(e->state == ENTRY_READY);
	if (e->rows == NULL)
	{
		make_room(store, e->size);
		e->rows = MemoryContextAllocHuge(store->context, e->size);
		BufFileSeek(store->file, e->fileno, e->offset, SEEK_SET);
		if (BufFileRead(store->file, e->rows, e->size) != e->size)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read a period back from the wxa_fdw period store's temporary file")));
		store->resident += e->size;
	}
	else if (e->pins == 0)
		dlist_delete(&e->lru);
	e->pins++;
	return e->rows;
}

void
wxa_store_unpin(WxaStoredPeriod *e)
{
	Assert(e->pins > 0);
	if (--e->pins > 0)
		return;
	dlist_push_tail(&e->store->unpinned, &e->lru);
	make_room(e->store, 0);
}

/* ---------------------------------------------------------------- asking */

static void
make_key(StoreKey *key, const WxaConfig *config, const WxaEndpoint *ep, const WxaPeriod *p)
{
	memset(key, 0, sizeof(*key));	/* the hash reads the padding too */
	key->serverid = config->serverid;
	key->umid = config->umid;
	key->ep = ep;
	key->first = p->first;
	key->days = p->days;
}

static WxaStoredPeriod *
find_entry(WxaPeriodStore *store, const WxaStoreClient *client, const WxaPeriod *p)
{
	StoreKey	key;

	make_key(&key, client->config, client->ep, p);
	return hash_search(store->entries, &key, HASH_FIND, NULL);
}

int
wxa_store_missing(WxaPeriodStore *store, const WxaStoreClient *client,
				  const WxaPeriod *periods, int n)
{
	int			missing = 0;

	for (int i = 0; i < n; i++)
		if (find_entry(store, client, &periods[i]) == NULL)
			missing++;
	return missing;
}

/* Parse an answer into the entry's block; false with err when it is no valid answer. */
static bool
receive_answer(WxaStoredPeriod *e, const char *body, size_t len, WxaError *err)
{
	WxaRows		rows = {0};
	WxaStoredRows *volatile block = NULL;
	Size		size = 0;

	if (wxa_parse_datacube(e->key.ep, &e->period, body, len, &rows, err) != 0)
	{
		wxa_rows_free(&rows);
		return false;
	}
	PG_TRY();
	{
		Size		block_size;

		block = block_from_rows(e->store->context, &rows, &block_size);
		size = block_size;
	}
	PG_FINALLY();
	{
		wxa_rows_free(&rows);
	}
	PG_END_TRY();
	/*
	 * Some endpoints answer an empty list, not 61503, for a day WeChat has
	 * not published yet: before 10:00 Beijing time an empty answer for
	 * yesterday is that far more often than a day without visitors
	 * (wxa_fdw.publication_hour, at the start of the transaction: unpublished.c).
	 */
	e->unpublished = block->nrows == 0 && wxa_empty_answer_unpublished(&e->period);
	e->state = ENTRY_READY;
	keep_block(e, block, size);
	return true;
}

/* Queue the request for one period in a batch; returns its index. */
static int
add_request(WxaBatch *batch, const WxaConfig *config, const WxaEndpoint *ep, const WxaPeriod *p)
{
	char		url[1024];
	char		when[32];
	char		what[128];
	char	   *body;
	int			request;

	snprintf(url, sizeof(url), "%s/datacube/%s", config->api_base_url, ep->api);
	wxa_describe_period(p, when, sizeof(when));
	snprintf(what, sizeof(what), "datacube/%s (%s)", ep->api, when);
	body = wxa_datacube_request_body(p);
	request = body ? wxa_batch_add(batch, url, body, true, what) : -1;
	free(body);
	if (request < 0)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return request;
}

/* Read what the database keeps of the new entries; returns how many it had. */
static int
read_kept(WxaPeriodStore *store, WxaStoreClient *client, WxaStoredPeriod **fresh, int nfresh)
{
	WxaPeriod  *periods;
	char	  **bodies;
	size_t	   *lens;
	int			n = 0;
	int			found = 0;

	periods = palloc(sizeof(WxaPeriod) * nfresh);
	for (int i = 0; i < nfresh; i++)
		if (fresh[i]->persist_write)
			periods[n++] = fresh[i]->period;
	if (n == 0)
		return 0;
	bodies = palloc0(sizeof(char *) * n);
	lens = palloc0(sizeof(size_t) * n);
	if (wxa_persist_read(client->config, client->ep, periods, n, bodies, lens) > 0)
	{
		int			k = 0;

		for (int i = 0; i < nfresh; i++)
		{
			WxaError	err;

			if (!fresh[i]->persist_write)
				continue;
			if (bodies[k] != NULL && receive_answer(fresh[i], bodies[k], lens[k], &err))
			{
				fresh[i]->persist_write = false;	/* kept already */
				found++;
			}
			k++;
		}
	}
	for (int i = 0; i < n; i++)
		if (bodies[i])
			pfree(bodies[i]);
	pfree(bodies);
	pfree(lens);
	pfree(periods);
	return found;
}

int
wxa_store_request(WxaPeriodStore *store, WxaStoreClient *client, const WxaPeriod *periods,
				  int n, WxaStoredPeriod **entries, void (*check) (void *arg, int requests),
				  void *check_arg)
{
	WxaStoredPeriod **fresh = palloc(sizeof(WxaStoredPeriod *) * (n + 1));
	int			nfresh = 0;
	int			nsend = 0;
	StoreSource *source = source_for(store, client->config);
	StoreBatch *sb;
	WxaHttpOptions options;
	WxaTokenProvider provider;

	for (int i = 0; i < n; i++)
	{
		StoreKey	key;
		bool		found;
		WxaStoredPeriod *e;

		make_key(&key, client->config, client->ep, &periods[i]);
		e = hash_search(store->entries, &key, HASH_ENTER, &found);
		if (!found)
		{
			memset((char *) e + sizeof(StoreKey), 0, sizeof(WxaStoredPeriod) - sizeof(StoreKey));
			e->period = periods[i];
			e->state = ENTRY_PENDING;
			e->request = -1;
			e->source = source;
			e->store = store;
			e->persist_write = client->persist && wxa_persist_settled(client->config, &periods[i]);
			fresh[nfresh++] = e;
		}
		if (entries)
			entries[i] = e;
	}
	if (nfresh == 0)
		return 0;

	{
		int			kept = read_kept(store, client, fresh, nfresh);

		if (kept > 0)
		{
			char		api[160];

			snprintf(api, sizeof(api), "datacube/%s", client->ep->api);
			wxa_stats_store_hits(client->config->serverid, api, kept);
		}
		client->from_store += kept;
	}
	for (int i = 0; i < nfresh; i++)
		if (fresh[i]->state == ENTRY_PENDING)
			nsend++;
	if (nsend == 0)
		return 0;
	/* entries not sent yet are forgotten if the check refuses: nobody waits for them */
	PG_TRY();
	{
		if (check)
			check(check_arg, nsend);
	}
	PG_CATCH();
	{
		for (int i = 0; i < nfresh; i++)
			if (fresh[i]->state == ENTRY_PENDING)
				(void) hash_search(store->entries, &fresh[i]->key, HASH_REMOVE, NULL);
		PG_RE_THROW();
	}
	PG_END_TRY();

	sb = MemoryContextAllocZero(store->context, sizeof(StoreBatch));
	wxa_http_options_for(source->config, &options);
	provider = wxa_token_provider(&source->tokens);
	sb->batch = wxa_batch_new(&options, &provider);
	if (sb->batch == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	sb->client = client;
	sb->source = source;
	sb->ep = client->ep;
	sb->next = store->batches;
	store->batches = sb;
	for (int i = 0; i < nfresh; i++)
	{
		WxaStoredPeriod *e = fresh[i];

		if (e->state != ENTRY_PENDING)
			continue;
		e->batch = sb;
		e->request = add_request(sb->batch, source->config, client->ep, &e->period);
		sb->remaining++;
	}
	client->fetched += nsend;
	pfree(fresh);
	return nsend;
}

/* An entry's request is done with: its batch goes when it has no more. */
static void
request_done(WxaStoredPeriod *e)
{
	StoreBatch *sb = e->batch;

	wxa_batch_forget(sb->batch, e->request);
	e->batch = NULL;
	if (--sb->remaining == 0)
		free_batch(sb);
}

/* The answer of a pending entry has come (or its request failed): make it ready or failed. */
static void
complete(WxaStoredPeriod *e, bool failed, WxaError *err)
{
	const WxaConfig *config = e->source->config;
	const char *body;
	size_t		len;

	if (failed)
	{
		/* 61503: not published yet, an answer the consumer decides about */
		if (err->kind == WXA_ERR_API && err->errcode == 61503)
		{
			e->unpublished = true;
			e->state = ENTRY_READY;
			e->err = *err;
			keep_block(e, block_from_rows(e->store->context, &(WxaRows) {0}, &e->size), e->size);
		}
		else
		{
			e->state = ENTRY_FAILED;
			e->err = *err;
		}
		request_done(e);
		return;
	}
	body = wxa_batch_response(e->batch->batch, e->request, &len);
	if (!receive_answer(e, body, len, err))
	{
		char		when[32];

		wxa_describe_period(&e->period, when, sizeof(when));
		snprintf(err->what, sizeof(err->what), "datacube/%s (%s)", e->key.ep->api, when);
		err->attempts = 1;
		e->state = ENTRY_FAILED;
		e->err = *err;
		request_done(e);
		return;
	}
	if (e->persist_write && !e->unpublished)
	{
		char	   *bodies[1] = {unconstify(char *, body)};

		wxa_persist_proven(config);
		wxa_persist_write(config, e->key.ep, &e->period, bodies, &len, 1);
	}
	request_done(e);
}

bool
wxa_store_ready(WxaStoredPeriod *e, bool wait)
{
	for (;;)
	{
		WxaError	err;
		bool		whole_batch;
		double		started;

		if (e->state == ENTRY_READY)
			return true;
		if (e->state == ENTRY_FAILED)
			wxa_raise(&e->err, e->source->config);
		wxa_error_clear(&err);
		switch (wxa_batch_poll_own(e->batch->batch, e->request, &whole_batch, &err))
		{
			case WXA_POLL_DONE:
				complete(e, false, &err);
				continue;
			case WXA_POLL_FAILED:
				complete(e, true, &err);
				continue;
			case WXA_POLL_PENDING:
				break;
		}
		if (!wait)
			return false;
		started = wxa_monotonic_ms();
		wxa_wait_engine();
		wxa_batch_add_wait(e->batch->batch, wxa_monotonic_ms() - started);
	}
}

bool
wxa_store_unpublished(const WxaStoredPeriod *e)
{
	return e->state == ENTRY_READY && e->unpublished;
}

void
wxa_store_raise_unpublished(const WxaStoredPeriod *e, const char *table_name)
{
	char		when[32];

	if (e->err.kind == WXA_ERR_API && e->err.errcode == 61503)
		wxa_raise(&e->err, e->source->config);
	wxa_describe_period(&e->period, when, sizeof(when));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("WeChat API request datacube/%s (%s) answered no data, probably because the day is not published yet",
					e->key.ep->api, when),
			 errdetail("It is before %d:00 Beijing time, and the period ends yesterday or later (server \"%s\").",
					   WXA_PUBLISH_HOUR_BEIJING, e->source->config->server_name),
			 errhint("WeChat publishes a day's data the next morning, Beijing time, usually after %d:00 and some days later; query it again after then.",
					 WXA_PUBLISH_HOUR_BEIJING)));
}
