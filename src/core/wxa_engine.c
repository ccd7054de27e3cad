/*
 * wxa_engine.c — the request engine's state machine (see wxa_http.h).
 *
 * Every unfinished request of every batch, and every token fetch, is on one
 * list in submission order; one step reads the transport's completions,
 * decides what each means (done, retry, new token, failure) and starts what
 * the limits allow, token fetches first. Nothing here blocks or calls back
 * into the caller; the transport only records outcomes.
 */
#include "wxa_http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wxa_api.h"
#include "wxa_errcode.h"
#include "wxa_token.h"

#define BACKOFF_CAP_MS 8000
#define RATE_PAUSE_FIRST_MS 250	/* a frequency limit pauses the batch this long first */
#define RATE_PAUSE_CAP_MS 10000	/* ... doubling while the limit holds, up to this */
#define DEFAULT_MAX_TOTAL 64
#define TOKEN_MAX 512
/* Seconds a token must have left to be sent with a request. */
#define TOKEN_MIN_LIFE 1.0
/* Fetches one renewal makes while WeChat still hands out a token about to expire. */
#define TOKEN_FETCHES_PER_RENEWAL 4
/* After a failed early renewal, seconds before the next try. */
#define TOKEN_RETRY_AFTER 30.0
/* Longest wait for WeChat's next token after one fetch, in seconds. */
#define TOKEN_MAX_WAIT 3.0

typedef struct Server
{
	unsigned long long key;
	int			running;
	int			max_concurrency;
	struct Server *next;
} Server;

typedef struct Request Request;

typedef struct TokenSlot
{
	unsigned long long key;
	char		token[TOKEN_MAX];	/* empty: none */
	double		refresh_at;		/* renew from this time on (epoch seconds) */
	double		expires_at;		/* when WeChat said it expires, counted from the request */
	int			renewal_fetches;	/* fetches of this renewal that brought a token about to expire */
	Request    *fetch;			/* the fetch in flight, or NULL */
	struct TokenSlot *next;
} TokenSlot;

/* Options with their strings copied: a batch's, or a token fetch's own. */
typedef struct OwnOptions
{
	WxaHttpOptions o;
	char	   *proxy;
	char	   *ca_file;
	char	   *secret;
} OwnOptions;

struct Request
{
	WxaBatch   *batch;			/* NULL for a token fetch */
	int			index;			/* in the batch */
	TokenSlot  *fills;			/* a token fetch: the slot it fills */
	WxaBatch   *charged;		/* a token fetch: the batch its traffic is counted in, or NULL */
	OwnOptions *options;
	Server	   *server;
	char	   *url;
	char	   *body;
	bool		with_token;
	char		what[128];

	WxaRequestState state;
	int			attempts;
	int			rate_waits;		/* attempts answered by a frequency limit that paused the batch */
	bool		token_retried;
	bool		token_failed;	/* no access token: concerns the whole batch */
	double		retry_at_ms;
	double		sent_at;		/* epoch seconds the last attempt started */
	double		sent_at_ms;		/* the same, monotonic */

	/* the transfer in flight */
	WxaTransfer transfer;
	bool		in_transport;
	char	   *sent_url;
	char		sent_token[TOKEN_MAX];

	WxaError	err;
	Request    *prev;			/* on the engine's list while unfinished */
	Request    *next;
	bool		listed;
};

struct WxaBatch
{
	OwnOptions	options;
	WxaTokenProvider tokens;
	char	   *static_token;
	char	   *token_base_url;
	char	   *token_appid;
	char	   *token_secret;
	Request   **requests;
	int			nrequests;
	int			capacity;
	int			first_unfinished;
	int			wanted;			/* the request last asked for: the window starts here */
	WxaHttpStats stats;

	/* the shared pause on a frequency limit (options.rate_limit_patience_ms) */
	double		paused_until_ms;
	double		pause_started_ms;
	double		limited_since_ms;	/* first limit since the last success; 0: none */
	int			pause_step;
	bool		probing;		/* after a pause: one request in flight until one succeeds */
	int			running;		/* its transfers in flight */
};

typedef struct Engine
{
	const WxaTransport *transport;
	int			max_total;
	int			running;
	Request    *head;			/* unfinished requests, token fetches first */
	Request    *tail;
	Server	   *servers;
	TokenSlot  *tokens;
	uint64_t	jitter_state;
} Engine;

static Engine engine = {.max_total = DEFAULT_MAX_TOTAL};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: a private generator for jitter, leaving the C library's alone */
double
wxa_http_jitter(void)
{
	uint64_t	x = engine.jitter_state ? engine.jitter_state : 0x9E3779B97F4A7C15ULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	engine.jitter_state = x;
	return (double) ((x * 2685821657736338717ULL) >> 11) / (double) (1ULL << 53);
}

bool
wxa_engine_init(const WxaTransport *transport)
{
	if (engine.transport != NULL)
		return true;
	if (transport == NULL)
		return false;
	engine.transport = transport;
	/* jitter must differ between backends, or they retry in step */
	engine.jitter_state = (uint64_t) (now_seconds() * 1e6) ^ ((uint64_t) (uintptr_t) &engine << 16) ^
		0x9E3779B97F4A7C15ULL;
	if (engine.jitter_state == 0)
		engine.jitter_state = 1;
	return true;
}

bool
wxa_http_init(void)
{
	return wxa_engine_init(wxa_curl_transport());
}

void
wxa_engine_set_max_total(int max_total)
{
	engine.max_total = max_total < 1 ? 1 : max_total;
}

int
wxa_engine_running(void)
{
	return engine.running;
}

/* ---------------------------------------------------------------- lists */

static void
list_append(Request *req)
{
	req->prev = engine.tail;
	req->next = NULL;
	if (engine.tail)
		engine.tail->next = req;
	else
		engine.head = req;
	engine.tail = req;
	req->listed = true;
}

static void
list_prepend(Request *req)
{
	req->prev = NULL;
	req->next = engine.head;
	if (engine.head)
		engine.head->prev = req;
	else
		engine.tail = req;
	engine.head = req;
	req->listed = true;
}

static void
list_remove(Request *req)
{
	if (!req->listed)
		return;
	if (req->prev)
		req->prev->next = req->next;
	else
		engine.head = req->next;
	if (req->next)
		req->next->prev = req->prev;
	else
		engine.tail = req->prev;
	req->prev = req->next = NULL;
	req->listed = false;
}

static Server *
server_for(const WxaHttpOptions *o)
{
	Server	   *s;

	for (s = engine.servers; s; s = s->next)
		if (s->key == o->server_key)
			break;
	if (s == NULL)
	{
		s = calloc(1, sizeof(Server));
		if (s == NULL)
			return NULL;
		s->key = o->server_key;
		s->next = engine.servers;
		engine.servers = s;
	}
	/* the newest batch's setting wins (ALTER SERVER between statements) */
	s->max_concurrency = o->max_concurrency < 1 ? 1 : o->max_concurrency;
	return s;
}

static TokenSlot *
slot_for(unsigned long long key, bool create)
{
	TokenSlot  *slot;

	for (slot = engine.tokens; slot; slot = slot->next)
		if (slot->key == key)
			return slot;
	if (!create)
		return NULL;
	slot = calloc(1, sizeof(TokenSlot));
	if (slot == NULL)
		return NULL;
	slot->key = key;
	slot->next = engine.tokens;
	engine.tokens = slot;
	return slot;
}

static void
slot_forget(TokenSlot *slot)
{
	explicit_bzero(slot->token, sizeof(slot->token));
	slot->refresh_at = 0;
	slot->expires_at = 0;
}

void
wxa_engine_forget_token(unsigned long long key)
{
	for (TokenSlot *slot = engine.tokens; slot; slot = slot->next)
		if (key == 0 || slot->key == key)
			slot_forget(slot);
}

const char *
wxa_engine_cached_token(unsigned long long key)
{
	TokenSlot  *slot = slot_for(key, false);

	return slot && slot->token[0] ? slot->token : NULL;
}

/* ---------------------------------------------------------------- options */

static bool
own_options(OwnOptions *own, const WxaHttpOptions *options, const char *secret)
{
	memset(own, 0, sizeof(*own));
	own->o = *options;
	if (options->proxy && options->proxy[0] && (own->proxy = strdup(options->proxy)) == NULL)
		return false;
	if (options->ca_file && options->ca_file[0] && (own->ca_file = strdup(options->ca_file)) == NULL)
		return false;
	if (secret && secret[0] && (own->secret = strdup(secret)) == NULL)
		return false;
	own->o.proxy = own->proxy;
	own->o.ca_file = own->ca_file;
	own->o.secret = own->secret;
	if (own->o.max_concurrency < 1)
		own->o.max_concurrency = 1;
	return true;
}

static void
free_options(OwnOptions *own)
{
	free(own->proxy);
	free(own->ca_file);
	if (own->secret)
		explicit_bzero(own->secret, strlen(own->secret));
	free(own->secret);
	own->proxy = own->ca_file = own->secret = NULL;
}

static char *
strdup_or_null(const char *s, bool *ok)
{
	char	   *copy;

	if (s == NULL)
		return NULL;
	copy = strdup(s);
	if (copy == NULL)
		*ok = false;
	return copy;
}

/* ---------------------------------------------------------------- batches */

WxaBatch *
wxa_batch_new(const WxaHttpOptions *options, const WxaTokenProvider *tokens)
{
	WxaBatch   *batch = calloc(1, sizeof(WxaBatch));
	bool		ok = true;

	if (batch == NULL)
		return NULL;
	ok = own_options(&batch->options, options, options->secret);
	if (tokens)
	{
		batch->tokens = *tokens;
		batch->static_token = strdup_or_null(tokens->access_token, &ok);
		batch->token_base_url = strdup_or_null(tokens->base_url, &ok);
		batch->token_appid = strdup_or_null(tokens->appid, &ok);
		batch->token_secret = strdup_or_null(tokens->secret, &ok);
		batch->tokens.access_token = batch->static_token;
		batch->tokens.base_url = batch->token_base_url;
		batch->tokens.appid = batch->token_appid;
		batch->tokens.secret = batch->token_secret;
	}
	if (!ok || server_for(&batch->options.o) == NULL)
	{
		wxa_batch_free(batch);
		return NULL;
	}
	return batch;
}

static Request *
request_new(OwnOptions *options, const char *url, const char *body, const char *what)
{
	Request    *req = calloc(1, sizeof(Request));

	if (req == NULL)
		return NULL;
	req->options = options;
	req->url = strdup(url);
	req->body = body ? strdup(body) : NULL;
	req->server = server_for(&options->o);
	if (req->url == NULL || (body && req->body == NULL) || req->server == NULL)
	{
		free(req->url);
		free(req->body);
		free(req);
		return NULL;
	}
	snprintf(req->what, sizeof(req->what), "%s", what);
	req->state = WXA_REQ_QUEUED;
	return req;
}

int
wxa_batch_add(WxaBatch *batch, const char *url, const char *body, bool with_token,
			  const char *what)
{
	Request    *req;

	if (batch->nrequests == batch->capacity)
	{
		int			capacity = batch->capacity ? batch->capacity * 2 : 16;
		Request   **grown = realloc(batch->requests, sizeof(Request *) * capacity);

		if (grown == NULL)
			return -1;
		batch->requests = grown;
		batch->capacity = capacity;
	}
	req = request_new(&batch->options, url, body, what);
	if (req == NULL)
		return -1;
	req->batch = batch;
	req->index = batch->nrequests;
	req->with_token = with_token;
	list_append(req);
	batch->requests[batch->nrequests] = req;
	return batch->nrequests++;
}

int
wxa_batch_size(const WxaBatch *batch)
{
	return batch->nrequests;
}

WxaRequestState
wxa_batch_state(const WxaBatch *batch, int index)
{
	return batch->requests[index]->state;
}

void
wxa_batch_add_wait(WxaBatch *batch, double ms)
{
	batch->stats.wait_ms += ms;
}

/* ---------------------------------------------------------------- transfers */

bool
wxa_transfer_append(WxaTransfer *t, const char *data, size_t n, bool *too_large)
{
	*too_large = false;
	if (t->response_len + n > t->options->max_body)
	{
		*too_large = true;
		return false;
	}
	if (t->response_len + n + 1 > t->response_cap)
	{
		size_t		cap = t->response_cap ? t->response_cap : 4096;
		char	   *grown;

		while (cap < t->response_len + n + 1)
			cap *= 2;
		grown = realloc(t->response, cap);
		if (grown == NULL)
			return false;
		t->response = grown;
		t->response_cap = cap;
	}
	memcpy(t->response + t->response_len, data, n);
	t->response_len += n;
	t->response[t->response_len] = '\0';
	return true;
}

static WxaHttpStats *
stats_of(Request *req)
{
	if (req->batch)
		return &req->batch->stats;
	return req->charged ? &req->charged->stats : NULL;
}

/* Take the request out of the transport; its response stays. */
static void
release_transfer(Request *req)
{
	if (req->in_transport)
	{
		engine.transport->stop(engine.transport->arg, &req->transfer);
		req->in_transport = false;
		engine.running--;
		req->server->running--;
		if (req->batch)
			req->batch->running--;
	}
	free(req->sent_url);
	req->sent_url = NULL;
}

static void
finish(Request *req, WxaRequestState state)
{
	req->state = state;
	list_remove(req);
}

static void
fail_request(Request *req, const WxaError *err)
{
	req->err = *err;
	/* a failed token fetch keeps its own name and attempts */
	if (req->err.what[0] == '\0')
	{
		req->err.attempts = req->attempts;
		snprintf(req->err.what, sizeof(req->err.what), "%s", req->what);
	}
	finish(req, WXA_REQ_FAILED);
}

static void
fail_requestf(Request *req, WxaErrorKind kind, const char *message)
{
	WxaError	err;

	wxa_error_clear(&err);
	wxa_error_set(&err, kind, "%s", message);
	fail_request(req, &err);
}

/* URL with the token appended; malloc'd. */
static char *
url_with_token(const char *url, const char *token)
{
	size_t		n = strlen(url) + strlen(token) * 3 + 16;
	char	   *full = malloc(n);
	char	   *p;

	if (full == NULL)
		return NULL;
	p = full + snprintf(full, n, "%s%caccess_token=", url, strchr(url, '?') ? '&' : '?');
	for (const unsigned char *c = (const unsigned char *) token; *c; c++)
	{
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
			*c == '-' || *c == '_' || *c == '.' || *c == '~')
			*p++ = (char) *c;
		else
			p += sprintf(p, "%%%02X", *c);
	}
	*p = '\0';
	return full;
}

static bool
start_transfer(Request *req, const char *token)
{
	WxaHttpStats *stats = stats_of(req);

	req->sent_token[0] = '\0';
	if (token)
	{
		snprintf(req->sent_token, sizeof(req->sent_token), "%s", token);
		req->sent_url = url_with_token(req->url, token);
	}
	else
		req->sent_url = strdup(req->url);
	if (req->sent_url == NULL)
	{
		fail_requestf(req, WXA_ERR_INTERNAL, "could not set up an HTTP transfer");
		return false;
	}
	free(req->transfer.response);
	memset(&req->transfer, 0, sizeof(req->transfer));
	req->transfer.url = req->sent_url;
	req->transfer.body = req->body;
	req->transfer.options = &req->options->o;
	if (!engine.transport->start(engine.transport->arg, &req->transfer))
	{
		fail_requestf(req, WXA_ERR_INTERNAL,
					  req->transfer.fail_message[0] ? req->transfer.fail_message :
					  "could not start an HTTP transfer");
		free(req->sent_url);
		req->sent_url = NULL;
		return false;
	}
	req->in_transport = true;
	req->state = WXA_REQ_RUNNING;
	req->sent_at = now_seconds();
	req->sent_at_ms = now_ms();
	req->attempts++;
	engine.running++;
	req->server->running++;
	if (req->batch)
		req->batch->running++;
	/* a token fetch counts as one, in token_fetches */
	if (stats && req->fills == NULL)
		stats->sent++;
	return true;
}

static double
backoff_ms(const Request *req)
{
	double		delay = req->options->o.backoff_base_ms;

	for (int i = 1; i < req->attempts - req->rate_waits && delay < BACKOFF_CAP_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_CAP_MS)
		delay = BACKOFF_CAP_MS;
	/* jitter: between half and all of the delay, so clients do not retry in step */
	return delay * (0.5 + 0.5 * wxa_http_jitter());
}

/* Retry if attempts remain, else fail with err. */
static void
retry_or_fail(Request *req, WxaError *err)
{
	WxaHttpStats *stats = stats_of(req);

	if (req->attempts - req->rate_waits <= req->options->o.max_retries)
	{
		req->state = WXA_REQ_BACKOFF;
		req->retry_at_ms = now_ms() + backoff_ms(req);
		if (stats && req->fills == NULL)
			stats->retries++;
		return;
	}
	fail_request(req, err);
}

/*
 * A frequency limit answered req. With rate_limit_patience_ms, pause the whole
 * batch until a common resume time and queue req again without counting the
 * attempt; false when patience has run out (the caller then treats the answer
 * as an ordinary transient error).
 */
static bool
pause_for_rate_limit(Request *req)
{
	WxaBatch   *batch = req->batch;
	double		now = now_ms();
	double		delay;

	if (batch == NULL || req->options->o.rate_limit_patience_ms <= 0)
		return false;
	if (batch->limited_since_ms == 0)
		batch->limited_since_ms = now;
	else if (now - batch->limited_since_ms > req->options->o.rate_limit_patience_ms)
		return false;

	/* answers to requests sent before the current pause began do not lengthen it */
	if (req->sent_at_ms >= batch->pause_started_ms)
	{
		delay = RATE_PAUSE_FIRST_MS;
		for (int i = 0; i < batch->pause_step && delay < RATE_PAUSE_CAP_MS; i++)
			delay *= 2;
		if (delay > RATE_PAUSE_CAP_MS)
			delay = RATE_PAUSE_CAP_MS;
		batch->pause_step++;
		batch->pause_started_ms = now;
		batch->paused_until_ms = now + delay * (0.75 + 0.25 * wxa_http_jitter());
	}
	batch->probing = true;
	batch->stats.rate_limited++;
	req->rate_waits++;
	req->state = WXA_REQ_QUEUED;
	return true;
}

/* ---------------------------------------------------------------- tokens */

/* The requests waiting for slot's token may go on: with it, or failed with err. */
static void
wake_token_waiters(TokenSlot *slot, const WxaError *err)
{
	Request    *next;

	for (Request *r = engine.head; r; r = next)
	{
		next = r->next;
		if (r->state != WXA_REQ_WAIT_TOKEN || r->batch == NULL || r->batch->tokens.key != slot->key)
			continue;
		if (err)
		{
			r->token_failed = true;
			fail_request(r, err);
		}
		else
			r->state = WXA_REQ_QUEUED;
	}
}

static void
free_request(Request *req)
{
	release_transfer(req);
	list_remove(req);
	free(req->url);
	if (req->body)
		explicit_bzero(req->body, strlen(req->body));
	free(req->body);
	free(req->transfer.response);
	if (req->fills)
	{
		free_options(req->options);
		free(req->options);
	}
	free(req);
}

static bool
token_usable(const TokenSlot *slot, double now)
{
	return slot->token[0] != '\0' && now < slot->expires_at - TOKEN_MIN_LIFE;
}

/*
 * A token fetch has finished: fill its slot and let the waiting requests go
 * on. The stable endpoint answers with the current token and the seconds it
 * has left, down to 0; a token too close to its end is not used: the fetch is
 * made again once WeChat issues the next one (never force_refresh, which
 * WeChat allows 20 times a day).
 */
static void
token_fetched(Request *fetch)
{
	TokenSlot  *slot = fetch->fills;
	WxaError	err;
	double		now = now_seconds();

	slot->fetch = NULL;
	wxa_error_clear(&err);
	if (fetch->state == WXA_REQ_DONE)
	{
		char	   *token = NULL;
		long		expires_in = 0;

		if (wxa_token_parse(fetch->transfer.response, fetch->transfer.response_len,
							&token, &expires_in, &err) == 0)
		{
			bool		same = strcmp(slot->token, token) == 0;

			snprintf(slot->token, sizeof(slot->token), "%s", token);
			explicit_bzero(token, strlen(token));
			free(token);
			/* counted from before the request: WeChat's clock started later */
			slot->expires_at = fetch->sent_at + expires_in;
			if (now < slot->expires_at - TOKEN_MIN_LIFE)
			{
				/* renew five minutes early, or a fifth of the lifetime for short-lived tokens */
				double		margin = expires_in > 1500 ? 300 : expires_in / 5.0;

				if (margin < TOKEN_MIN_LIFE)
					margin = TOKEN_MIN_LIFE;
				/* the stable endpoint keeps its token to the end: asking again early brings it back */
				slot->refresh_at = slot->expires_at - (same ? TOKEN_MIN_LIFE : margin);
				slot->renewal_fetches = 0;
				wake_token_waiters(slot, NULL);
				free_request(fetch);
				return;
			}
			/* about to expire: WeChat issues the next token once this one has */
			slot_forget(slot);
			if (++slot->renewal_fetches < TOKEN_FETCHES_PER_RENEWAL)
			{
				double		wait = expires_in + 0.5;	/* its seconds left are rounded down */

				if (wait > TOKEN_MAX_WAIT)
					wait = TOKEN_MAX_WAIT;
				free(fetch->transfer.response);
				memset(&fetch->transfer, 0, sizeof(fetch->transfer));
				fetch->attempts = 0;
				fetch->state = WXA_REQ_BACKOFF;
				fetch->retry_at_ms = now_ms() + wait * 1000.0;
				if (fetch->charged)
					fetch->charged->stats.token_fetches++;
				slot->fetch = fetch;
				list_prepend(fetch);
				return;
			}
			wxa_error_set(&err, WXA_ERR_RESPONSE,
						  "WeChat answered %d token requests in a row with a token that expires within %.0f second(s)",
						  slot->renewal_fetches, TOKEN_MIN_LIFE);
			slot->renewal_fetches = 0;
		}
		snprintf(err.what, sizeof(err.what), "%s", fetch->what);
		err.attempts = fetch->attempts;
	}
	else
		err = fetch->err;
	wxa_redact(err.message, fetch->options->secret, NULL);
	wxa_redact(err.errmsg, fetch->options->secret, NULL);
	if (token_usable(slot, now))
	{
		/* an early renewal that failed: the token in hand still serves */
		slot->refresh_at = now + TOKEN_RETRY_AFTER < slot->expires_at - TOKEN_MIN_LIFE ?
			now + TOKEN_RETRY_AFTER : slot->expires_at - TOKEN_MIN_LIFE;
		wake_token_waiters(slot, NULL);
	}
	else
		wake_token_waiters(slot, &err);
	free_request(fetch);
}

/* Begin fetching slot's token for the requests of batch. */
static void
begin_token_fetch(TokenSlot *slot, WxaBatch *batch)
{
	const WxaTokenProvider *p = &batch->tokens;
	char	   *url = NULL;
	char	   *body = NULL;
	OwnOptions *options = calloc(1, sizeof(OwnOptions));
	Request    *fetch = NULL;
	WxaError	err;

	wxa_error_clear(&err);
	if (options && own_options(options, &batch->options.o, p->secret) &&
		wxa_token_request(p->base_url ? p->base_url : "", p->endpoint, p->appid ? p->appid : "",
						  p->secret ? p->secret : "", &url, &body) == 0)
		fetch = request_new(options, url, body,
							wxa_token_api(p->endpoint));
	if (url)
		explicit_bzero(url, strlen(url));
	if (body)
		explicit_bzero(body, strlen(body));
	free(url);
	free(body);
	if (fetch == NULL)
	{
		if (options)
		{
			free_options(options);
			free(options);
		}
		wxa_error_set(&err, WXA_ERR_INTERNAL, "out of memory");
		wake_token_waiters(slot, &err);
		return;
	}
	fetch->fills = slot;
	fetch->charged = batch;
	batch->stats.token_fetches++;
	slot->fetch = fetch;
	list_prepend(fetch);
}

/*
 * The token a request is to be sent with: *token set, true. Or false: it
 * waits for a fetch (state WAIT_TOKEN), or it failed.
 */
static bool
token_for(Request *req, const char **token)
{
	WxaBatch   *batch = req->batch;
	TokenSlot  *slot;

	*token = NULL;
	if (batch->static_token)
	{
		*token = batch->static_token;
		return true;
	}
	if (batch->tokens.appid == NULL)
	{
		req->token_failed = true;
		fail_requestf(req, WXA_ERR_INTERNAL, "no access token available");
		return false;
	}
	slot = slot_for(batch->tokens.key, true);
	if (slot == NULL)
	{
		req->token_failed = true;
		fail_requestf(req, WXA_ERR_INTERNAL, "out of memory");
		return false;
	}
	if (token_usable(slot, now_seconds()))
	{
		/* time to renew: in the background, the token in hand serves meanwhile */
		if (now_seconds() >= slot->refresh_at && slot->fetch == NULL)
			begin_token_fetch(slot, batch);
		*token = slot->token;
		return true;
	}
	req->state = WXA_REQ_WAIT_TOKEN;
	if (slot->fetch == NULL)
		begin_token_fetch(slot, batch);
	return false;
}

/* ---------------------------------------------------------------- outcomes */

/* Decide what a finished transfer means: done, retry, new token, or failure. */
static void
classify(Request *req)
{
	WxaTransfer *t = &req->transfer;
	WxaHttpStats *stats = stats_of(req);
	WxaError	err;
	long		errcode;

	wxa_error_clear(&err);
	err.http_status = t->http_status;
	if (stats)
		stats->bytes += (long) t->response_len;
	release_transfer(req);

	if (t->failed)
	{
		wxa_error_set(&err, t->fail_kind, "%s", t->fail_message);
		if (t->fail_permanent)
			fail_request(req, &err);
		else
			retry_or_fail(req, &err);
		return;
	}
	if (t->http_status >= 500 || t->http_status == 429)
	{
		wxa_error_set(&err, WXA_ERR_HTTP, "WeChat answered HTTP %ld", t->http_status);
		retry_or_fail(req, &err);
		return;
	}
	if (t->http_status != 200)
	{
		if (t->http_status >= 300 && t->http_status < 400)
			wxa_error_set(&err, WXA_ERR_HTTP, "WeChat answered HTTP %ld, a redirect, which is not followed",
						  t->http_status);
		else
			wxa_error_set(&err, WXA_ERR_HTTP, "WeChat answered HTTP %ld", t->http_status);
		fail_request(req, &err);
		return;
	}
	if (wxa_body_kind(t->response, t->response_len) == WXA_BODY_HTML)
	{
		/* an HTML page instead of the API's answer comes from WeChat's gateway */
		wxa_error_set(&err, WXA_ERR_RESPONSE, "WeChat answered with an HTML page instead of JSON");
		retry_or_fail(req, &err);
		return;
	}
	if (t->response_len > 0 &&
		wxa_body_errcode(t->response, t->response_len, &errcode, err.errmsg, sizeof(err.errmsg),
						 req->options->secret, req->sent_token))
	{
		err.errcode = errcode;
		wxa_error_set(&err, WXA_ERR_API, "WeChat returned errcode %ld", errcode);
		if (wxa_errcode_token_rejected(errcode) && req->with_token && !req->token_retried &&
			req->batch->static_token == NULL)
		{
			TokenSlot  *slot = slot_for(req->batch->tokens.key, false);

			/* drop it only if it is still the cached one: another request may have renewed it */
			if (slot && strcmp(slot->token, req->sent_token) == 0)
				slot_forget(slot);
			req->token_retried = true;
			if (stats)
				stats->retries++;
			req->state = WXA_REQ_QUEUED;	/* again at once, with a new token */
			return;
		}
		if (wxa_errcode_rate_limited(errcode) && pause_for_rate_limit(req))
			return;
		if (wxa_errcode_transient(errcode))
			retry_or_fail(req, &err);
		else
			fail_request(req, &err);
		return;
	}
	if (req->batch)
	{
		req->batch->limited_since_ms = 0;
		req->batch->pause_step = 0;
		req->batch->probing = false;
	}
	finish(req, WXA_REQ_DONE);
}

static void
read_completions(void)
{
	WxaTransfer *t;

	while ((t = engine.transport->next_done(engine.transport->arg)) != NULL)
	{
		Request    *req = (Request *) ((char *) t - offsetof(Request, transfer));

		if (!req->in_transport)
			continue;
		classify(req);
		if (req->fills && req->state != WXA_REQ_BACKOFF)
			token_fetched(req);
	}
}

/* ---------------------------------------------------------------- scheduling */

static bool
window_allows(const Request *req)
{
	const WxaBatch *batch = req->batch;

	if (batch == NULL)
		return true;
	return req->index < batch->wanted + batch->options.o.max_concurrency * 4;
}

/* A batch paused by a frequency limit starts nothing, then one probe until one succeeds. */
static bool
batch_allows(const Request *req, double now)
{
	const WxaBatch *batch = req->batch;

	if (batch == NULL)
		return true;
	if (now < batch->paused_until_ms)
		return false;
	return !batch->probing || batch->running < 1;
}

static bool
startable(const Request *req, double now)
{
	return (req->state == WXA_REQ_QUEUED ||
			(req->state == WXA_REQ_BACKOFF && req->retry_at_ms <= now)) &&
		req->server->running < req->server->max_concurrency && window_allows(req) &&
		batch_allows(req, now);
}

/*
 * Start what may start: each time the request of the server with the fewest
 * transfers in flight, the oldest first among equals (token fetches are at
 * the head). Sharing the total limit evenly keeps every server busy until
 * the end, instead of finishing one server after the other. True if
 * anything changed.
 */
static bool
start_eligible(double now)
{
	bool		changed = false;

	while (engine.running < engine.max_total)
	{
		Request    *best = NULL;
		const char *token = NULL;

		for (Request *req = engine.head; req; req = req->next)
		{
			if (!startable(req, now))
				continue;
			if (best == NULL || req->server->running < best->server->running)
				best = req;
			if (best->server->running == 0)
				break;
		}
		if (best == NULL)
			break;
		changed = true;
		/* waiting for a token (maybe a new fetch at the head), or failed: choose again */
		if (best->with_token && !token_for(best, &token))
			continue;
		start_transfer(best, token);
	}
	return changed;
}

static void
step(void)
{
	for (int round = 0; round < 1000; round++)
	{
		read_completions();
		if (!start_eligible(now_ms()))
			break;
	}
}

/* The first failed request of the batch from the first unfinished on, or NULL. */
static Request *
first_failure(WxaBatch *batch)
{
	for (int i = batch->first_unfinished; i < batch->nrequests; i++)
		if (batch->requests[i]->state == WXA_REQ_FAILED)
			return batch->requests[i];
	return NULL;
}

WxaPollResult
wxa_batch_poll(WxaBatch *batch, int index, WxaError *err)
{
	Request    *failed;

	batch->wanted = index;
	step();
	failed = first_failure(batch);
	if (failed)
	{
		*err = failed->err;
		return WXA_POLL_FAILED;
	}
	while (batch->first_unfinished < batch->nrequests &&
		   batch->requests[batch->first_unfinished]->state == WXA_REQ_DONE)
		batch->first_unfinished++;
	return batch->requests[index]->state == WXA_REQ_DONE ? WXA_POLL_DONE : WXA_POLL_PENDING;
}

WxaPollResult
wxa_batch_poll_own(WxaBatch *batch, int index, bool *whole_batch, WxaError *err)
{
	Request    *target = batch->requests[index];

	*whole_batch = false;
	batch->wanted = index;
	step();
	while (batch->first_unfinished < batch->nrequests &&
		   batch->requests[batch->first_unfinished]->state == WXA_REQ_DONE)
		batch->first_unfinished++;
	if (target->state == WXA_REQ_FAILED)
	{
		*err = target->err;
		*whole_batch = target->token_failed;
		return WXA_POLL_FAILED;
	}
	return target->state == WXA_REQ_DONE ? WXA_POLL_DONE : WXA_POLL_PENDING;
}

/* Milliseconds until the first retry is due, or -1. */
static long
retry_timeout(void)
{
	double		now = now_ms();
	long		timeout = -1;

	for (Request *req = engine.head; req; req = req->next)
	{
		double		at = -1;

		if (req->state == WXA_REQ_BACKOFF)
			at = req->retry_at_ms;
		/* a batch paused by a frequency limit resumes at a time of its own */
		if ((req->state == WXA_REQ_BACKOFF || req->state == WXA_REQ_QUEUED) &&
			req->batch && req->batch->paused_until_ms > now && req->batch->paused_until_ms > at)
			at = req->batch->paused_until_ms;
		if (at >= 0)
		{
			long		due = at <= now ? 0 : (long) (at - now) + 1;

			if (timeout < 0 || due < timeout)
				timeout = due;
		}
	}
	return timeout;
}

int
wxa_engine_wait_spec(WxaSocket *sockets, int max, long *timeout_ms)
{
	long		transport = engine.transport->timeout_ms(engine.transport->arg);
	long		retry = retry_timeout();

	*timeout_ms = transport < 0 || (retry >= 0 && retry < transport) ? retry : transport;
	return engine.transport->sockets(engine.transport->arg, sockets, max);
}

int
wxa_engine_wait_fd(long longest_ms)
{
	long		timeout;

	if (engine.transport->wait_fd == NULL)
		return -1;
	/* the fd must also wake for retries, which the transport does not know of */
	timeout = retry_timeout();
	if (longest_ms >= 0 && (timeout < 0 || timeout > longest_ms))
		timeout = longest_ms;
	engine.transport->alarm(engine.transport->arg, timeout);
	return engine.transport->wait_fd(engine.transport->arg);
}

void
wxa_engine_ready(const WxaSocket *ready, int nready)
{
	engine.transport->progress(engine.transport->arg, ready, nready);
}

/* ---------------------------------------------------------------- results */

const char *
wxa_batch_response(const WxaBatch *batch, int index, size_t *len)
{
	Request    *req = batch->requests[index];

	*len = req->transfer.response_len;
	return req->transfer.response ? req->transfer.response : "";
}

char *
wxa_batch_take_response(WxaBatch *batch, int index, size_t *len)
{
	Request    *req = batch->requests[index];
	char	   *body = req->transfer.response ? req->transfer.response : strdup("");

	*len = req->transfer.response ? req->transfer.response_len : 0;
	req->transfer.response = NULL;
	req->transfer.response_len = req->transfer.response_cap = 0;
	return body;
}

void
wxa_batch_forget(WxaBatch *batch, int index)
{
	Request    *req = batch->requests[index];

	free(req->transfer.response);
	req->transfer.response = NULL;
	req->transfer.response_len = req->transfer.response_cap = 0;
}

const WxaHttpStats *
wxa_batch_stats(const WxaBatch *batch)
{
	return &batch->stats;
}

void
wxa_http_stats_add(WxaHttpStats *into, const WxaHttpStats *from)
{
	into->sent += from->sent;
	into->retries += from->retries;
	into->token_fetches += from->token_fetches;
	into->bytes += from->bytes;
	into->wait_ms += from->wait_ms;
	into->rate_limited += from->rate_limited;
}

/* A token fetch nobody waits for any more is abandoned: no transfer outlives its requests. */
static void
abandon_unwanted_fetches(WxaBatch *leaving)
{
	for (TokenSlot *slot = engine.tokens; slot; slot = slot->next)
	{
		bool		wanted = false;

		if (slot->fetch == NULL)
			continue;
		if (slot->fetch->charged == leaving)
			slot->fetch->charged = NULL;
		for (Request *r = engine.head; r && !wanted; r = r->next)
			wanted = r->batch && r->batch != leaving && r->state == WXA_REQ_WAIT_TOKEN &&
				r->batch->tokens.key == slot->key;
		if (!wanted)
		{
			free_request(slot->fetch);
			slot->fetch = NULL;
		}
	}
}

void
wxa_batch_free(WxaBatch *batch)
{
	if (batch == NULL)
		return;
	abandon_unwanted_fetches(batch);
	for (int i = 0; i < batch->nrequests; i++)
		free_request(batch->requests[i]);
	free(batch->requests);
	free_options(&batch->options);
	if (batch->static_token)
		explicit_bzero(batch->static_token, strlen(batch->static_token));
	free(batch->static_token);
	free(batch->token_base_url);
	free(batch->token_appid);
	if (batch->token_secret)
		explicit_bzero(batch->token_secret, strlen(batch->token_secret));
	free(batch->token_secret);
	free(batch);
}

void
wxa_engine_shutdown(void)
{
	for (Request *req = engine.head, *next; req; req = next)
	{
		next = req->next;
		if (req->fills)
			req->fills->fetch = NULL;
		free_request(req);
	}
	while (engine.servers)
	{
		Server	   *s = engine.servers;

		engine.servers = s->next;
		free(s);
	}
	while (engine.tokens)
	{
		TokenSlot  *slot = engine.tokens;

		engine.tokens = slot->next;
		slot_forget(slot);
		free(slot);
	}
	engine.transport = NULL;
	engine.running = 0;
	engine.max_total = DEFAULT_MAX_TOTAL;
}
