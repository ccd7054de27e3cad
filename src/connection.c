/*
 * connection.c — access tokens, cached per (server, user mapping) for the life
 * of the backend.
 *
 * A token is renewed a little before expires_in runs out, and used for a
 * request only while it has TOKEN_MIN_LIFE seconds left. The stable endpoint
 * answers with the current token and the seconds it has left, down to 0; a
 * token too close to its end is not used: the renewal waits until WeChat
 * issues the next one and fetches again (never force_refresh, which WeChat
 * allows 20 times a day, 30 s apart). A token is dropped when
 * WeChat rejects it (only if it is still the cached one: another request may
 * have renewed it already), and dropped when the server or the user mapping is
 * altered (syscache invalidation, as postgres_fdw does for connections).
 * Tokens live in malloc'd memory outside any memory context and never appear
 * in messages.
 */
#include "wxa_fdw.h"

#include <time.h>

#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/syscache.h"

/* Seconds a token must have left to be sent with a request. */
#define TOKEN_MIN_LIFE 1.0
/* Fetches one renewal makes while WeChat still hands out a token about to expire. */
#define TOKEN_FETCHES_PER_RENEWAL 4
/* After a failed early renewal, seconds before the next try. */
#define TOKEN_RETRY_AFTER 30.0
/* Longest wait for WeChat's next token after one fetch, in seconds. */
#define TOKEN_MAX_WAIT 3.0

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
	double		expires_at;		/* when WeChat said it expires, counted from the request */
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
	entry->expires_at = 0;
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
wxa_connection_init(void)
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
		entry->expires_at = 0;
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
 * Sleep up to seconds, in short steps so that a cancel ends the wait.
 * Returns false when the backend was asked to stop.
 */
static bool
wait_seconds(double seconds)
{
	double		until = now_seconds() + seconds;

	while (now_seconds() < until)
	{
		if (wxa_http_interrupted && wxa_http_interrupted())
			return false;
		pg_usleep(50 * 1000L);
	}
	return true;
}

/*
 * Fetch a token into entry, usable for at least TOKEN_MIN_LIFE seconds. A
 * token about to expire is not used: wait until it has, when WeChat issues
 * the next one, and fetch again. Returns false with err filled.
 */
static bool
renew_token(WxaTokenSession *session, TokenEntry *entry, WxaError *err)
{
	const WxaConfig *config = session->config;
	WxaHttpOptions options;

	wxa_http_options_for(config, &options);
	for (int fetch = 1;; fetch++)
	{
		double		asked = now_seconds();
		char	   *token;
		long		expires_in;
		bool		same;
		double		margin;

		if (wxa_token_fetch(&options, config->api_base_url, config->token_endpoint,
							config->appid, config->secret, &token, &expires_in,
							&session->stats, err) != 0)
			return false;
		session->fetches++;
		same = strcmp(entry->token, token) == 0;
		strlcpy(entry->token, token, sizeof(entry->token));
		explicit_bzero(token, strlen(token));
		free(token);
		/* counted from before the request: WeChat's clock started later */
		entry->expires_at = asked + expires_in;

		if (now_seconds() < entry->expires_at - TOKEN_MIN_LIFE)
		{
			/* renew five minutes early, or a fifth of the lifetime for short-lived tokens */
			margin = expires_in > 1500 ? 300 : expires_in / 5.0;
			if (margin < TOKEN_MIN_LIFE)
				margin = TOKEN_MIN_LIFE;
			/*
			 * An early renewal that brought back the same token (the stable
			 * endpoint keeps its token to the end): asking again before it is
			 * too old to use would bring it back again.
			 */
			entry->refresh_at = entry->expires_at - (same ? TOKEN_MIN_LIFE : margin);
			return true;
		}

		/* about to expire: WeChat issues the next token once this one has */
		forget_token(entry);
		if (fetch >= TOKEN_FETCHES_PER_RENEWAL)
		{
			wxa_error_set(err, WXA_ERR_RESPONSE,
						  "WeChat answered %d token requests in a row with a token that expires within %.0f second(s)",
						  fetch, TOKEN_MIN_LIFE);
			snprintf(err->what, sizeof(err->what), "%s",
					 config->token_endpoint == WXA_TOKEN_STABLE ? "cgi-bin/stable_token" : "cgi-bin/token");
			err->attempts = fetch;
			return false;
		}
		/* its seconds left are rounded down: it may live up to one more */
		if (!wait_seconds(Min(expires_in + 0.5, TOKEN_MAX_WAIT)))
		{
			wxa_error_set(err, WXA_ERR_CANCELED, "canceled while waiting for WeChat's next access token");
			return false;
		}
	}
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
	if (entry->token[0] == '\0' || now_seconds() >= entry->refresh_at)
	{
		WxaError	renewal;

		wxa_error_clear(&renewal);
		if (!renew_token(session, entry, &renewal))
		{
			/* an early renewal that failed: the token in hand still serves */
			if (entry->token[0] == '\0' || now_seconds() >= entry->expires_at - TOKEN_MIN_LIFE ||
				renewal.kind == WXA_ERR_CANCELED)
			{
				*err = renewal;
				return NULL;
			}
			entry->refresh_at = Min(now_seconds() + TOKEN_RETRY_AFTER,
									entry->expires_at - TOKEN_MIN_LIFE);
		}
	}
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
