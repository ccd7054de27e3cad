/*
 * token_cache.c — access tokens, cached per (server, user mapping) for the life
 * of the backend.
 *
 * A token is renewed a little before expires_in runs out, dropped when
 * WeChat rejects it (only if it is still the cached one: another request may
 * have renewed it already), and dropped when the server or the user mapping is
 * altered (syscache invalidation, as postgres_fdw does for connections).
 * Tokens live in a dynahash in TopMemoryContext (hash_create's default) and
 * never appear in messages.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include <time.h>

#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/syscache.h"

typedef struct TokenKey
{
	Oid			serverid;
	Oid			umid;
} TokenKey;

typedef struct TokenEntry
{
	TokenKey	key;			/* hash key: must be first */
	char		token[512];		/* empty when there is none */
	double		refresh_at;		/* renew from this time on (epoch seconds) */
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
} TokenEntry;

static HTAB *token_cache = NULL;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
forget_token(TokenEntry *entry)
{
	explicit_bzero(entry->token, sizeof(entry->token));
	entry->refresh_at = 0;
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
			forget_token(entry);
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

/* Find or create the cache entry. Called before any request, where errors may be raised. */
static TokenEntry *
token_entry(const WxaConfig *config)
{
	TokenKey	key = {config->serverid, config->umid};
	bool		found;
	TokenEntry *entry = hash_search(token_cache, &key, HASH_ENTER, &found);

	if (!found)
	{
		entry->token[0] = '\0';
		entry->refresh_at = 0;
		entry->server_hashvalue = GetSysCacheHashValue1(FOREIGNSERVEROID,
														ObjectIdGetDatum(config->serverid));
		entry->mapping_hashvalue = GetSysCacheHashValue1(USERMAPPINGOID,
														 ObjectIdGetDatum(config->umid));
	}
	return entry;
}

void
wxa_token_session_init(WxaTokenSession *session, WxaConfig *config)
{
	memset(session, 0, sizeof(*session));
	session->config = config;
	if (config->access_token == NULL)
		(void) token_entry(config);
}

/*
 * The provider called by the HTTP engine. It must not raise errors: it runs
 * inside the engine's loop. The entry exists (wxa_token_session_init).
 */
static const char *
provide_token(void *arg, const char *rejected, WxaError *err)
{
	WxaTokenSession *session = arg;
	const WxaConfig *config = session->config;
	TokenKey	key = {config->serverid, config->umid};
	TokenEntry *entry;
	WxaHttpOptions options;
	char	   *token;
	long		expires_in;
	double		now = now_seconds();
	double		margin;

	if (config->access_token)
	{
		/* a static token cannot be renewed: let the rejection fail the request */
		if (rejected)
			return NULL;
		return config->access_token;
	}

	entry = hash_search(token_cache, &key, HASH_FIND, NULL);
	if (entry == NULL)
	{
		wxa_error_set(err, WXA_ERR_INTERNAL, "token cache entry missing");
		return NULL;
	}
	if (rejected && strcmp(entry->token, rejected) == 0)
		forget_token(entry);
	if (entry->token[0] != '\0' && now < entry->refresh_at)
	{
		strlcpy(session->current, entry->token, sizeof(session->current));
		return session->current;
	}

	wxa_http_options_for(config, &options);
	if (wxa_token_fetch(&options, config->api_base_url, config->token_endpoint,
						config->appid, config->secret, &token, &expires_in,
						&session->stats, err) != 0)
		return NULL;
	session->fetches++;

	/* renew five minutes early, or a fifth of the lifetime for short-lived tokens */
	margin = expires_in > 1500 ? 300 : expires_in / 5.0;
	strlcpy(entry->token, token, sizeof(entry->token));
	entry->refresh_at = now + expires_in - margin;
	explicit_bzero(token, strlen(token));
	free(token);
	strlcpy(session->current, entry->token, sizeof(session->current));
	return session->current;
}

/* The token cached for config's server and user mapping, or NULL (to scrub messages). */
const char *
wxa_cached_token(const WxaConfig *config)
{
	TokenKey	key = {config->serverid, config->umid};
	TokenEntry *entry;

	if (token_cache == NULL || !OidIsValid(config->umid))
		return NULL;
	entry = hash_search(token_cache, &key, HASH_FIND, NULL);
	return entry && entry->token[0] != '\0' ? entry->token : NULL;
}

WxaTokenProvider
wxa_token_provider(WxaTokenSession *session)
{
	WxaTokenProvider provider = {provide_token, session};

	return provider;
}
