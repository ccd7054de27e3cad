/*
 * token_cache.c — which access tokens a scan or function uses, and when they
 * are no longer valid.
 *
 * The request engine (core/wxa_engine.c) fetches, caches, renews and drops
 * the tokens, one per (server, user mapping) for the life of the backend;
 * here they get their key, and are dropped when the server or the user
 * mapping is altered (syscache invalidation, as postgres_fdw does for
 * connections). Tokens live in malloc'd memory outside any memory context and
 * never appear in messages.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/syscache.h"

typedef struct TokenKey
{
	Oid			serverid;
	Oid			umid;
} TokenKey;

/* the catalog rows a cached token depends on */
typedef struct TokenEntry
{
	TokenKey	key;			/* hash key: must be first */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
} TokenEntry;

static HTAB *token_cache = NULL;

static unsigned long long
engine_key(Oid serverid, Oid umid)
{
	return ((unsigned long long) serverid << 32) | umid;
}

/* ALTER/DROP SERVER or USER MAPPING: drop the tokens that depend on it. */
static void
invalidate_tokens(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	TokenEntry *entry;

	hash_seq_init(&scan, token_cache);
	while ((entry = hash_seq_search(&scan)) != NULL)
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && entry->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && entry->mapping_hashvalue == hashvalue))
			wxa_engine_forget_token(engine_key(entry->key.serverid, entry->key.umid));
	}
}

void
wxa_token_cache_init(void)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(TokenKey);
	ctl.entrysize = sizeof(TokenEntry);
	token_cache = hash_create("wxa_fdw access tokens", 8, &ctl, HASH_ELEM | HASH_BLOBS);
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, invalidate_tokens, (Datum) 0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, invalidate_tokens, (Datum) 0);
}

void
wxa_token_session_init(WxaTokenSession *session, WxaConfig *config)
{
	TokenKey	key = {config->serverid, config->umid};
	bool		found;
	TokenEntry *entry;

	memset(session, 0, sizeof(*session));
	session->config = config;
	if (config->access_token != NULL)
		return;
	entry = hash_search(token_cache, &key, HASH_ENTER, &found);
	if (!found)
	{
		entry->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
														ObjectIdGetDatum(config->serverid));
		entry->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
														 ObjectIdGetDatum(config->umid));
	}
}

/* The token cached for config's server and user mapping, or NULL (to scrub messages). */
const char *
wxa_cached_token(const WxaConfig *config)
{
	if (!OidIsValid(config->umid))
		return NULL;
	return wxa_engine_cached_token(engine_key(config->serverid, config->umid));
}

/* Where the engine gets the tokens of session's server and user mapping. */
WxaTokenProvider
wxa_token_provider(WxaTokenSession *session)
{
	const WxaConfig *config = session->config;
	WxaTokenProvider provider;

	memset(&provider, 0, sizeof(provider));
	provider.key = engine_key(config->serverid, config->umid);
	provider.access_token = config->access_token;
	provider.base_url = config->api_base_url;
	provider.endpoint = config->token_endpoint;
	provider.appid = config->appid;
	provider.secret = config->secret;
	return provider;
}
