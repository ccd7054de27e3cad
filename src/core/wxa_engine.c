/*
 * wxa_engine.c — the request engine's state machine (see wxa_http.h).
 *
 * One step reads the transport's completions, decides what each means (done,
 * retry, new token, failure), moves the retries that are due back in line and
 * starts what the limits allow. Nothing here blocks or calls back into the
 * caller; the transport only records outcomes.
 *
 * Scheduling is O(log n) per started request, with max_requests up to
 * 100,000 queued: every server keeps a heap of its requests that may start
 * (token fetches first, then the oldest), the servers that may start one are
 * in a heap ordered by their transfers in flight (the fewest first, then the
 * oldest request), retries and paused batches wait in a heap of timers, and
 * a request that its batch holds back (outside the batch's window, or while
 * the batch is paused by a frequency limit) is parked in its batch until the
 * batch lets it go.
 *
 * The engine belongs to the process that created it: it is created on first
 * use, released by wxa_engine_shutdown(), and a forked child that finds its
 * parent's engine leaves it alone and creates its own.
 */
#include "wxa_http.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wxa_api.h"
#include "wxa_errcode.h"
#include "wxa_heap.h"
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

typedef struct Request Request;

typedef struct Server
{
	unsigned long long key;
	int			running;
	int			max_concurrency;
	int			members;		/* its live requests: the room reserved in ready */
	WxaHeap		ready;			/* its requests that may start */
	int			pos;			/* in engine.eligible; -1: not there */
	struct Server *next;
} Server;

typedef struct TokenSlot
{
	unsigned long long key;
	char		token[TOKEN_MAX];	/* empty: none */
	double		refresh_at;		/* renew from this time on (epoch seconds) */
	double		expires_at;		/* when WeChat said it expires, counted from the request */
	int			renewal_fetches;	/* fetches of this renewal that brought a token about to expire */
	Request    *fetch;			/* the fetch in flight, or NULL */
	Request    *waiters;		/* the requests waiting for the token */
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

/* A due time in engine.timers: a request's retry, or the end of a batch's pause. */
typedef struct Timer
{
	double		at_ms;			/* monotonic */
	int			pos;			/* in engine.timers; -1: not there */
	Request    *request;
	WxaBatch   *batch;
} Timer;

/* Where a request that is neither running nor finished waits. */
typedef enum Place
{
	NOWHERE,
	IN_READY,					/* its server's ready heap */
	IN_PARKED,					/* its batch's parked heap */
	IN_TIMERS,					/* engine.timers, until its retry is due */
	IN_WAITERS					/* its token slot's waiters */
} Place;

struct Request
{
	WxaBatch   *batch;			/* NULL for a token fetch */
	int			index;			/* in the batch */
	TokenSlot  *fills;			/* a token fetch: the slot it fills */
	WxaBatch   *charged;		/* a token fetch: the batch its traffic is counted in, or NULL */
	OwnOptions *options;
	Server	   *server;			/* NULL once the engine let go of the request */
	char	   *url;
	char	   *body;
	bool		with_token;
	char		what[128];
	uint64_t	seq;			/* order of submission */

	WxaRequestState state;
	int			attempts;
	int			rate_waits;		/* attempts answered by a frequency limit that paused the batch */
	bool		token_retried;
	bool		token_failed;	/* no access token: concerns the whole batch */
	double		sent_at;		/* epoch seconds the last attempt started */
	double		sent_at_ms;		/* the same, monotonic */

	Place		place;
	int			pos;			/* in the ready or parked heap */
	Timer		retry;			/* retry_at in retry.at_ms */
	TokenSlot  *waits_on;		/* IN_WAITERS: the slot, and the neighbours there */
	Request    *wait_prev;
	Request    *wait_next;

	/* the transfer in flight */
	WxaTransfer transfer;
	bool		in_transport;
	char	   *sent_url;
	char		sent_token[TOKEN_MAX];

	WxaError	err;
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
	int			first_failed;	/* the lowest index of a failed request; INT_MAX: none */
	int			wanted;			/* the request last asked for: the window starts here */
	WxaHttpStats stats;
	const void *owner;			/* from the owner hook: wxa_engine_abandon() */
	bool		detached;		/* the engine let go of it (shut down, or a parent's) */
	WxaHeap		parked;			/* its requests held back by the window or a pause */
	WxaBatch   *prev;			/* on engine.batches */
	WxaBatch   *next;

	/* the shared pause on a frequency limit (options.rate_limit_patience_ms) */
	double		paused_until_ms;
	Timer		pause;			/* at paused_until_ms, while paused */
	double		pause_started_ms;
	double		limited_since_ms;	/* first limit since the last success; 0: none */
	int			pause_step;
	bool		probing;		/* after a pause: one request in flight until one succeeds */
	int			running;		/* its transfers in flight */
};

typedef struct Engine
{
	const WxaTransport *transport;	/* NULL: not created in this process */
	pid_t		pid;			/* the process that created it */
	int			max_total;
	int			running;
	Server	   *servers;
	int			nservers;
	TokenSlot  *tokens;
	WxaBatch   *batches;		/* every batch not yet freed */
	WxaHeap		eligible;		/* servers that may start a request now */
	WxaHeap		timers;
	int			timed;			/* requests and batches alive: the room reserved in timers */
	uint64_t	seq;
	uint64_t	jitter_state;
} Engine;

static Engine engine = {.max_total = DEFAULT_MAX_TOTAL};

/* How to create the engine on first use, and what the embedding code wants to hear. */
static const WxaTransport *(*transport_factory) (void);
static bool factory_has_wait_fd;
static WxaEngineHooks hooks;

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

/* Free a string that may carry a secret or a token, wiped first. */
static void
free_wiped(char *s)
{
	if (s)
	{
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* Free a transfer's response (it may carry a token or a session key), wiped first. */
static void
free_response(WxaTransfer *t)
{
	if (t->response)
	{
		explicit_bzero(t->response, t->response_len);
		free(t->response);
	}
	t->response = NULL;
	t->response_len = t->response_cap = 0;
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

/* ---------------------------------------------------------------- heaps */

static bool
request_before(const void *a, const void *b)
{
	const Request *x = a;
	const Request *y = b;

	/* token fetches first: every request of their server waits for them */
	if ((x->batch == NULL) != (y->batch == NULL))
		return x->batch == NULL;
	return x->seq < y->seq;
}

/* The server with the fewest transfers in flight first, then the one with the oldest request. */
static bool
server_before(const void *a, const void *b)
{
	const Server *x = a;
	const Server *y = b;
	const Request *rx = wxa_heap_top(&x->ready);
	const Request *ry = wxa_heap_top(&y->ready);

	if (x->running != y->running)
		return x->running < y->running;
	if (rx == NULL || ry == NULL)
		return ry == NULL && rx != NULL;
	return request_before(rx, ry);
}

static bool
timer_before(const void *a, const void *b)
{
	return ((const Timer *) a)->at_ms < ((const Timer *) b)->at_ms;
}

/* Put s in engine.eligible, or take it out, as its state now says. */
static void
server_refresh(Server *s)
{
	bool		eligible = s->ready.n > 0 && s->running < s->max_concurrency;

	if (eligible && s->pos < 0)
		(void) wxa_heap_push(&engine.eligible, s);	/* room reserved in server_for */
	else if (eligible)
		wxa_heap_update(&engine.eligible, s);
	else
		wxa_heap_remove(&engine.eligible, s);
}

static void
set_timer(Timer *t, double at_ms)
{
	t->at_ms = at_ms;
	if (wxa_heap_contains(&engine.timers, t))
		wxa_heap_update(&engine.timers, t);
	else
		(void) wxa_heap_push(&engine.timers, t);	/* room reserved for every request and batch */
}

/* Take req out of wherever it waits. */
static void
unplace(Request *req)
{
	switch (req->place)
	{
		case NOWHERE:
			break;
		case IN_READY:
			wxa_heap_remove(&req->server->ready, req);
			server_refresh(req->server);
			break;
		case IN_PARKED:
			wxa_heap_remove(&req->batch->parked, req);
			break;
		case IN_TIMERS:
			wxa_heap_remove(&engine.timers, &req->retry);
			break;
		case IN_WAITERS:
			if (req->wait_prev)
				req->wait_prev->wait_next = req->wait_next;
			else
				req->waits_on->waiters = req->wait_next;
			if (req->wait_next)
				req->wait_next->wait_prev = req->wait_prev;
			req->wait_prev = req->wait_next = NULL;
			req->waits_on = NULL;
			break;
	}
	req->place = NOWHERE;
}

static void fail_requestf(Request *req, WxaErrorKind kind, const char *message);

/* req may start now, as far as the engine knows: in line at its server. */
static void
enqueue(Request *req)
{
	unplace(req);
	if (!wxa_heap_push(&req->server->ready, req))	/* room reserved in request_new */
	{
		fail_requestf(req, WXA_ERR_INTERNAL, "out of memory");
		return;
	}
	req->place = IN_READY;
	server_refresh(req->server);
}

/* req is to be retried at at_ms. */
static void
wait_until(Request *req, double at_ms)
{
	unplace(req);
	req->place = IN_TIMERS;
	set_timer(&req->retry, at_ms);
}

/* req waits for slot's token. */
static void
wait_for_token(Request *req, TokenSlot *slot)
{
	unplace(req);
	req->state = WXA_REQ_WAIT_TOKEN;
	req->place = IN_WAITERS;
	req->waits_on = slot;
	req->wait_prev = NULL;
	req->wait_next = slot->waiters;
	if (slot->waiters)
		slot->waiters->wait_prev = req;
	slot->waiters = req;
}

/* ---------------------------------------------------------------- the engine's life */

/* The engine exists, and this process created it. */
static bool
engine_here(void)
{
	return engine.transport != NULL && engine.pid == getpid();
}

static void free_request(Request *req);
static void release_transfer(Request *req);
static void slot_forget(TokenSlot *slot);

/*
 * The engine lets go of batch: its requests leave every queue and the
 * transport (stop_transfers: stopped there; else the transport is another
 * process's and is not touched), the unfinished ones fail, and the batch is
 * freed later by its owner as usual.
 */
static void
detach_batch(WxaBatch *batch, bool stop_transfers)
{
	WxaError	err;

	wxa_error_clear(&err);
	wxa_error_set(&err, WXA_ERR_CANCELED, "the request engine was shut down");
	for (int i = 0; i < batch->nrequests; i++)
	{
		Request    *req = batch->requests[i];

		if (stop_transfers)
			release_transfer(req);
		req->in_transport = false;
		req->place = NOWHERE;
		req->waits_on = NULL;
		req->wait_prev = req->wait_next = NULL;
		req->server = NULL;
		if (req->state != WXA_REQ_DONE && req->state != WXA_REQ_FAILED)
		{
			req->err = err;
			req->state = WXA_REQ_FAILED;
			if (i < batch->first_failed)
				batch->first_failed = i;
		}
	}
	batch->detached = true;
	batch->prev = batch->next = NULL;
	batch->parked.n = 0;
	batch->pause.pos = -1;
}

/*
 * Let go of everything: batches still alive fail and stay their owners' to
 * free, the engine's own memory is freed. ours: stop the transfers and release
 * the transport; else they are a parent's (a forked child) and are not touched.
 */
static void
let_go(bool ours)
{
	const WxaTransport *transport = engine.transport;

	while (engine.batches)
	{
		WxaBatch   *next = engine.batches->next;

		detach_batch(engine.batches, ours);
		engine.batches = next;
	}
	for (TokenSlot *slot = engine.tokens; slot; slot = slot->next)
		if (slot->fetch)
		{
			if (!ours)
				slot->fetch->in_transport = false;
			free_request(slot->fetch);
			slot->fetch = NULL;
		}
	while (engine.servers)
	{
		Server	   *s = engine.servers;

		engine.servers = s->next;
		wxa_heap_free(&s->ready);
		free(s);
	}
	while (engine.tokens)
	{
		TokenSlot  *slot = engine.tokens;

		engine.tokens = slot->next;
		slot_forget(slot);
		free(slot);
	}
	wxa_heap_free(&engine.eligible);
	wxa_heap_free(&engine.timers);
	engine.transport = NULL;
	engine.nservers = 0;
	engine.running = 0;
	engine.timed = 0;
	if (ours && transport->release)
		transport->release(transport->arg);
}

/* A forked child found its parent's engine: it uses none of it (the transfers are the parent's). */
static void
forget_inherited(void)
{
	let_go(false);
}

static bool
attach(const WxaTransport *transport)
{
	engine.transport = transport;
	engine.pid = getpid();
	wxa_heap_init(&engine.eligible, server_before, offsetof(Server, pos));
	wxa_heap_init(&engine.timers, timer_before, offsetof(Timer, pos));
	/* jitter must differ between backends, or they retry in step */
	engine.jitter_state = (uint64_t) (now_seconds() * 1e6) ^ ((uint64_t) engine.pid << 32) ^
		((uint64_t) (uintptr_t) &engine << 16) ^ 0x9E3779B97F4A7C15ULL;
	if (engine.jitter_state == 0)
		engine.jitter_state = 1;
	if (hooks.attached)
		hooks.attached();
	return true;
}

/* The engine of this process, created on first use; false when it cannot be. */
static bool
engine_attach(void)
{
	const WxaTransport *transport;

	if (engine_here())
		return true;
	if (engine.transport != NULL)
		forget_inherited();
	if (transport_factory == NULL || (transport = transport_factory()) == NULL)
		return false;
	return attach(transport);
}

bool
wxa_engine_init(const WxaTransport *transport)
{
	if (engine_here())
		return true;
	if (engine.transport != NULL)
		forget_inherited();
	if (transport == NULL)
		return false;
	return attach(transport);
}

bool
wxa_http_init(void)
{
	if (!wxa_curl_global_init())
		return false;
	transport_factory = wxa_curl_transport;
	factory_has_wait_fd = wxa_curl_has_wait_fd();
	return true;
}

void
wxa_engine_set_hooks(const WxaEngineHooks *h)
{
	hooks = *h;
}

bool
wxa_engine_can_wait_async(void)
{
	if (engine_here())
		return engine.transport->wait_fd != NULL &&
			engine.transport->wait_fd(engine.transport->arg) >= 0;
	return transport_factory != NULL && factory_has_wait_fd;
}

void
wxa_engine_set_max_total(int max_total)
{
	engine.max_total = max_total < 1 ? 1 : max_total;
}

int
wxa_engine_running(void)
{
	return engine_here() ? engine.running : 0;
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
		if (!wxa_heap_reserve(&engine.eligible, engine.nservers + 1))
			return NULL;
		s = calloc(1, sizeof(Server));
		if (s == NULL)
			return NULL;
		s->key = o->server_key;
		s->pos = -1;
		wxa_heap_init(&s->ready, request_before, offsetof(Request, pos));
		s->next = engine.servers;
		engine.servers = s;
		engine.nservers++;
	}
	/* the newest batch's setting wins (ALTER SERVER between statements) */
	s->max_concurrency = o->max_concurrency < 1 ? 1 : o->max_concurrency;
	server_refresh(s);
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
	if (!engine_here())
		return;
	for (TokenSlot *slot = engine.tokens; slot; slot = slot->next)
		if (key == 0 || slot->key == key)
			slot_forget(slot);
}

const char *
wxa_engine_cached_token(unsigned long long key)
{
	TokenSlot  *slot = engine_here() ? slot_for(key, false) : NULL;

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
	/* a proxy URL may carry a password */
	free_wiped(own->proxy);
	free(own->ca_file);
	free_wiped(own->secret);
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
	WxaBatch   *batch;
	bool		ok = true;

	if (!engine_attach() || !wxa_heap_reserve(&engine.timers, engine.timed + 1))
		return NULL;
	batch = calloc(1, sizeof(WxaBatch));
	if (batch == NULL)
		return NULL;
	batch->first_failed = INT_MAX;
	batch->pause.pos = -1;
	batch->pause.batch = batch;
	wxa_heap_init(&batch->parked, request_before, offsetof(Request, pos));
	batch->owner = hooks.owner ? hooks.owner() : NULL;
	batch->next = engine.batches;
	if (engine.batches)
		engine.batches->prev = batch;
	engine.batches = batch;
	engine.timed++;
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
	Request    *req;
	Server	   *server = server_for(&options->o);

	if (server == NULL || !wxa_heap_reserve(&server->ready, server->members + 1) ||
		!wxa_heap_reserve(&engine.timers, engine.timed + 1))
		return NULL;
	req = calloc(1, sizeof(Request));
	if (req == NULL)
		return NULL;
	req->options = options;
	req->url = strdup(url);
	req->body = body ? strdup(body) : NULL;
	if (req->url == NULL || (body && req->body == NULL))
	{
		free_wiped(req->url);
		free_wiped(req->body);
		free(req);
		return NULL;
	}
	req->server = server;
	server->members++;
	engine.timed++;
	req->seq = ++engine.seq;
	req->pos = -1;
	req->retry.pos = -1;
	req->retry.request = req;
	snprintf(req->what, sizeof(req->what), "%s", what);
	req->state = WXA_REQ_QUEUED;
	return req;
}

int
wxa_batch_add(WxaBatch *batch, const char *url, const char *body, bool with_token,
			  const char *what)
{
	Request    *req;

	if (batch->detached)
		return -1;
	if (batch->nrequests == batch->capacity)
	{
		int			capacity = batch->capacity ? batch->capacity * 2 : 16;
		Request   **grown = realloc(batch->requests, sizeof(Request *) * capacity);

		if (grown == NULL)
			return -1;
		batch->requests = grown;
		batch->capacity = capacity;
	}
	if (!wxa_heap_reserve(&batch->parked, batch->nrequests + 1))
		return -1;
	req = request_new(&batch->options, url, body, what);
	if (req == NULL)
		return -1;
	req->batch = batch;
	req->index = batch->nrequests;
	req->with_token = with_token;
	batch->requests[batch->nrequests] = req;
	enqueue(req);
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
		/* not realloc: the old block may hold a token, and is wiped before it is freed */
		grown = malloc(cap);
		if (grown == NULL)
			return false;
		if (t->response)
		{
			memcpy(grown, t->response, t->response_len);
			explicit_bzero(t->response, t->response_cap);
			free(t->response);
		}
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

/* What a batch holds back may go now: the window moved, a pause ended, a probe finished. */
static void batch_release(WxaBatch *batch, double now);

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
		server_refresh(req->server);
		if (req->batch)
			req->batch->running--;
	}
	free_wiped(req->sent_url);
	req->sent_url = NULL;
}

static void
finish(Request *req, WxaRequestState state)
{
	unplace(req);
	req->state = state;
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
	if (req->batch && req->index < req->batch->first_failed)
		req->batch->first_failed = req->index;
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
	free_response(&req->transfer);
	memset(&req->transfer, 0, sizeof(req->transfer));
	req->transfer.url = req->sent_url;
	req->transfer.body = req->body;
	req->transfer.options = &req->options->o;
	if (!engine.transport->start(engine.transport->arg, &req->transfer))
	{
		fail_requestf(req, WXA_ERR_INTERNAL,
					  req->transfer.fail_message[0] ? req->transfer.fail_message :
					  "could not start an HTTP transfer");
		free_wiped(req->sent_url);
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
	server_refresh(req->server);
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
		wait_until(req, now_ms() + backoff_ms(req));
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
		set_timer(&batch->pause, batch->paused_until_ms);
	}
	batch->probing = true;
	batch->stats.rate_limited++;
	req->rate_waits++;
	req->state = WXA_REQ_QUEUED;
	enqueue(req);
	return true;
}

/* ---------------------------------------------------------------- tokens */

/* The requests waiting for slot's token may go on: with it, or failed with err. */
static void
wake_token_waiters(TokenSlot *slot, const WxaError *err)
{
	Request    *r;

	while ((r = slot->waiters) != NULL)
	{
		unplace(r);
		if (err)
		{
			r->token_failed = true;
			fail_request(r, err);
		}
		else
		{
			r->state = WXA_REQ_QUEUED;
			enqueue(r);
		}
	}
}

static void
free_request(Request *req)
{
	release_transfer(req);
	unplace(req);
	if (req->server)
	{
		req->server->members--;
		engine.timed--;
	}
	/* a code2session URL carries the AppSecret, a body may carry a token */
	free_wiped(req->url);
	free_wiped(req->body);
	free_response(&req->transfer);
	explicit_bzero(req->sent_token, sizeof(req->sent_token));
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
				free_response(&fetch->transfer);
				memset(&fetch->transfer, 0, sizeof(fetch->transfer));
				fetch->attempts = 0;
				fetch->state = WXA_REQ_BACKOFF;
				wait_until(fetch, now_ms() + wait * 1000.0);
				if (fetch->charged)
					fetch->charged->stats.token_fetches++;
				slot->fetch = fetch;
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
	free_wiped(url);
	free_wiped(body);
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
	enqueue(fetch);
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
	wait_for_token(req, slot);
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
			enqueue(req);
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
		WxaBatch   *batch = req->batch;

		if (!req->in_transport)
			continue;
		classify(req);
		if (req->fills && req->state != WXA_REQ_BACKOFF)
			token_fetched(req);
		/* a probe's answer, or a finished transfer, may let the batch's parked requests go */
		if (batch)
			batch_release(batch, now_ms());
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
batch_allows(const WxaBatch *batch, double now)
{
	if (batch == NULL)
		return true;
	if (now < batch->paused_until_ms)
		return false;
	return !batch->probing || batch->running < 1;
}

/* A request its batch holds back waits in the batch, in order, until batch_release. */
static void
park(Request *req)
{
	unplace(req);
	(void) wxa_heap_push(&req->batch->parked, req);	/* room reserved in wxa_batch_add */
	req->place = IN_PARKED;
}

static void
batch_release(WxaBatch *batch, double now)
{
	Request    *req;

	if (!batch_allows(batch, now))
		return;
	while ((req = wxa_heap_top(&batch->parked)) != NULL && window_allows(req))
		enqueue(req);
}

/* Retries that are due go back in line; a batch whose pause ended releases its requests. */
static void
fire_timers(double now)
{
	Timer	   *t;

	while ((t = wxa_heap_top(&engine.timers)) != NULL && t->at_ms <= now)
	{
		wxa_heap_remove(&engine.timers, t);
		if (t->request)
		{
			t->request->place = NOWHERE;
			enqueue(t->request);
		}
		else
			batch_release(t->batch, now);
	}
}

/*
 * Start what may start: each time the request of the server with the fewest
 * transfers in flight, the oldest first among equals (token fetches first).
 * Sharing the total limit evenly keeps every server busy until the end,
 * instead of finishing one server after the other. True if anything changed.
 */
static bool
start_eligible(double now)
{
	bool		changed = false;

	while (engine.running < engine.max_total)
	{
		Server	   *server = wxa_heap_top(&engine.eligible);
		Request    *req;
		const char *token = NULL;

		if (server == NULL)
			break;
		req = wxa_heap_top(&server->ready);
		if (req->batch && !(window_allows(req) && batch_allows(req->batch, now)))
		{
			park(req);
			continue;
		}
		unplace(req);
		changed = true;
		/* waiting for a token (maybe a new fetch in line), or failed: choose again */
		if (req->with_token && !token_for(req, &token))
			continue;
		start_transfer(req, token);
	}
	return changed;
}

static void
step(void)
{
	for (int round = 0; round < 1000; round++)
	{
		double		now;

		read_completions();
		now = now_ms();
		fire_timers(now);
		if (!start_eligible(now))
			break;
	}
}

/* The first failed request of the batch, or NULL. */
static Request *
first_failure(WxaBatch *batch)
{
	return batch->first_failed < batch->nrequests ? batch->requests[batch->first_failed] : NULL;
}

/* Ask for request index: the window moves, and everything possible now is done. */
static void
advance(WxaBatch *batch, int index)
{
	batch->wanted = index;
	if (batch->detached)
		return;
	batch_release(batch, now_ms());
	step();
	while (batch->first_unfinished < batch->nrequests &&
		   batch->requests[batch->first_unfinished]->state == WXA_REQ_DONE)
		batch->first_unfinished++;
}

WxaPollResult
wxa_batch_poll(WxaBatch *batch, int index, WxaError *err)
{
	Request    *failed;

	advance(batch, index);
	failed = first_failure(batch);
	if (failed)
	{
		*err = failed->err;
		return WXA_POLL_FAILED;
	}
	return batch->requests[index]->state == WXA_REQ_DONE ? WXA_POLL_DONE : WXA_POLL_PENDING;
}

WxaPollResult
wxa_batch_poll_own(WxaBatch *batch, int index, bool *whole_batch, WxaError *err)
{
	Request    *target = batch->requests[index];

	*whole_batch = false;
	advance(batch, index);
	if (target->state == WXA_REQ_FAILED)
	{
		*err = target->err;
		*whole_batch = target->token_failed;
		return WXA_POLL_FAILED;
	}
	return target->state == WXA_REQ_DONE ? WXA_POLL_DONE : WXA_POLL_PENDING;
}

/* Milliseconds until the first retry or the end of a pause is due, or -1. */
static long
retry_timeout(void)
{
	Timer	   *t = wxa_heap_top(&engine.timers);
	double		now;

	if (t == NULL)
		return -1;
	now = now_ms();
	return t->at_ms <= now ? 0 : (long) (t->at_ms - now) + 1;
}

int
wxa_engine_wait_spec(WxaSocket *sockets, int max, long *timeout_ms)
{
	long		transport;
	long		retry;

	*timeout_ms = -1;
	if (!engine_here())
		return 0;
	transport = engine.transport->timeout_ms(engine.transport->arg);
	retry = retry_timeout();
	*timeout_ms = transport < 0 || (retry >= 0 && retry < transport) ? retry : transport;
	return engine.transport->sockets(engine.transport->arg, sockets, max);
}

int
wxa_engine_wait_fd(long longest_ms)
{
	long		timeout;

	if (!engine_here() || engine.transport->wait_fd == NULL)
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
	if (engine_here())
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
	free_response(&batch->requests[index]->transfer);
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

/* ---------------------------------------------------------------- ending */

/*
 * A token fetch nobody waits for any more is abandoned: no transfer outlives
 * its requests. leaving: a batch about to be freed, whose waiters do not count.
 */
static void
drop_unwanted_fetches(WxaBatch *leaving)
{
	for (TokenSlot *slot = engine.tokens; slot; slot = slot->next)
	{
		bool		wanted = false;

		if (slot->fetch == NULL)
			continue;
		if (leaving && slot->fetch->charged == leaving)
			slot->fetch->charged = NULL;
		for (Request *r = slot->waiters; r && !wanted; r = r->wait_next)
			wanted = r->batch != leaving;
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
	/* a forked child freeing what it inherited: the parent's transfers are not stopped */
	if (!batch->detached && !engine_here())
		forget_inherited();
	if (!batch->detached)
	{
		drop_unwanted_fetches(batch);
		for (int i = 0; i < batch->nrequests; i++)
			free_request(batch->requests[i]);
		wxa_heap_remove(&engine.timers, &batch->pause);
		if (batch->prev)
			batch->prev->next = batch->next;
		else
			engine.batches = batch->next;
		if (batch->next)
			batch->next->prev = batch->prev;
		engine.timed--;
	}
	else
		for (int i = 0; i < batch->nrequests; i++)
			free_request(batch->requests[i]);
	free(batch->requests);
	wxa_heap_free(&batch->parked);
	free_options(&batch->options);
	free_wiped(batch->static_token);
	free(batch->token_base_url);
	free(batch->token_appid);
	free_wiped(batch->token_secret);
	free(batch);
}

/*
 * Every batch of owner (NULL: all): its transfers stop and its unfinished
 * requests fail, now. The batches themselves stay for their owners to free.
 */
void
wxa_engine_abandon(const void *owner)
{
	WxaError	err;

	if (!engine_here())
		return;
	wxa_error_clear(&err);
	wxa_error_set(&err, WXA_ERR_CANCELED, "the statement that sent the request ended");
	for (WxaBatch *batch = engine.batches; batch; batch = batch->next)
	{
		if (owner != NULL && batch->owner != owner)
			continue;
		for (int i = batch->first_unfinished; i < batch->nrequests; i++)
		{
			Request    *req = batch->requests[i];

			if (req->state == WXA_REQ_DONE || req->state == WXA_REQ_FAILED)
				continue;
			release_transfer(req);
			fail_request(req, &err);
		}
		wxa_heap_remove(&engine.timers, &batch->pause);
	}
	drop_unwanted_fetches(NULL);
}

int
wxa_engine_batches(void)
{
	int			n = 0;

	for (WxaBatch *batch = engine_here() ? engine.batches : NULL; batch; batch = batch->next)
		n++;
	return n;
}

void
wxa_engine_shutdown(void)
{
	if (engine.transport == NULL)
		return;
	let_go(engine_here());
}
