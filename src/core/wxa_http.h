/*
 * wxa_http.h — the request engine: one per process, every request to WeChat
 * goes through it.
 *
 * Consumers (scans, functions) put their requests in batches and ask for them
 * one at a time; the engine schedules the requests of all batches together
 * under each server's max_concurrency and one total limit, keeps connections
 * alive across statements and servers, retries transient failures with
 * backoff and jitter, and fetches access tokens as a step of the requests that
 * need them: a request waits for its server's token, and one fetch serves
 * every request waiting for the same token.
 *
 * The engine never blocks and never waits: wxa_batch_poll() does what can be
 * done now and says whether the request is ready; when it is not, the caller
 * waits on the sockets and the timeout of wxa_engine_wait_spec() (the
 * PostgreSQL side uses a WaitEventSet), reports what became ready with
 * wxa_engine_ready() and polls again. Nothing here calls back into the
 * caller, so the caller may stop at any point between calls (an error, a
 * cancel) and free its batches.
 *
 * The transfers themselves go through a transport: libcurl (wxa_http.c), or
 * a fake one in the unit tests and the fuzz target.
 */
#ifndef WXA_HTTP_H
#define WXA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "wxa_error.h"

typedef struct WxaHttpOptions
{
	long		connect_timeout_ms;
	long		timeout_ms;
	int			max_retries;
	int			max_concurrency;	/* of the server, over all its batches */
	unsigned long long server_key;	/* requests with the same key share max_concurrency */
	const char *proxy;			/* NULL or "" for none; copied */
	const char *ca_file;		/* PEM file of the CAs to trust, NULL for the system's; copied */
	const char *secret;			/* NULL or the AppSecret, scrubbed from errmsgs; copied */
	size_t		max_body;		/* bytes; larger bodies fail the request */
	long		backoff_base_ms;	/* first retry waits about this long */

	/*
	 * 0: a frequency limit (errcode 45009, 45011) is retried like any transient
	 * error. > 0: it pauses every request of the batch until a common resume
	 * time, the retry is not counted against max_retries, and one request
	 * probes before the rest follow; after this long without a success the
	 * limit is an ordinary transient error again (a daily quota used up).
	 */
	long		rate_limit_patience_ms;
} WxaHttpOptions;

typedef enum WxaTokenEndpoint
{
	WXA_TOKEN_STABLE,			/* POST /cgi-bin/stable_token: shared, not invalidated by others */
	WXA_TOKEN_CLASSIC			/* GET /cgi-bin/token: every fetch replaces the previous token */
} WxaTokenEndpoint;

/*
 * Where the access tokens of a batch come from. The engine caches tokens by
 * key (one server and user mapping) for the life of the process: renewed a
 * little before they expire, dropped when WeChat rejects them (only if still
 * the cached one) and then fetched again once.
 */
typedef struct WxaTokenProvider
{
	unsigned long long key;
	const char *access_token;	/* a static token, never renewed; or NULL */
	const char *base_url;		/* else fetch from here ... */
	WxaTokenEndpoint endpoint;
	const char *appid;
	const char *secret;			/* ... with these credentials */
} WxaTokenProvider;

typedef enum WxaRequestState
{
	WXA_REQ_QUEUED,
	WXA_REQ_WAIT_TOKEN,			/* waiting for its server's access token */
	WXA_REQ_RUNNING,
	WXA_REQ_BACKOFF,			/* waiting to be retried */
	WXA_REQ_DONE,
	WXA_REQ_FAILED
} WxaRequestState;

typedef struct WxaHttpStats
{
	long		sent;			/* transfers started, retries included, token fetches not */
	long		retries;
	long		token_fetches;	/* token fetches this batch's requests started */
	long		bytes;			/* response bytes received */
	double		wait_ms;		/* time spent waiting for this batch's requests */
	long		rate_limited;	/* answers that paused the batch (rate_limit_patience_ms) */
} WxaHttpStats;

typedef struct WxaBatch WxaBatch;

/* ---------------------------------------------------------------- transports */

/* A socket the transport wants watched, or one that became ready. */
typedef struct WxaSocket
{
	int			fd;
	bool		readable;
	bool		writable;
} WxaSocket;

/* One HTTP transfer, owned by the engine, carried out by the transport. */
typedef struct WxaTransfer
{
	/* set by the engine before start() */
	const char *url;			/* complete, token included */
	const char *body;			/* NULL: GET; else POST of JSON */
	const WxaHttpOptions *options;
	void	   *handle;			/* the transport's */

	/* set by the transport; done = true once the outcome is final */
	bool		done;
	bool		failed;			/* no HTTP answer: fail_kind, fail_message */
	bool		fail_permanent; /* retrying cannot help */
	WxaErrorKind fail_kind;
	char		fail_message[256];
	long		http_status;
	char	   *response;		/* malloc'd, NUL-terminated */
	size_t		response_len;
	size_t		response_cap;
} WxaTransfer;

typedef struct WxaTransport
{
	/* Begin t; false when it could not be started (t->fail_message says why). */
	bool		(*start) (void *arg, WxaTransfer *t);
	/* Forget t, done or not, releasing what start took. */
	void		(*stop) (void *arg, WxaTransfer *t);
	/* Act on ready sockets (none: on timers that are due). Never blocks. */
	void		(*progress) (void *arg, const WxaSocket *ready, int nready);
	/* A transfer that became done since the last call, or NULL. */
	WxaTransfer *(*next_done) (void *arg);
	/* The sockets to watch; returns how many, at most max are written. */
	int			(*sockets) (void *arg, WxaSocket *out, int max);
	/* Milliseconds until progress() must be called anyway; -1: no timer. */
	long		(*timeout_ms) (void *arg);
	/* One fd that becomes readable whenever progress() has work (NULL: not available) ... */
	int			(*wait_fd) (void *arg);
	/* ... or when ms have passed (-1: no alarm). */
	void		(*alarm) (void *arg, long ms);
	void	   *arg;
	/* Release what the transport holds (NULL: nothing to release); no transfer is left. */
	void		(*release) (void *arg);
} WxaTransport;

/* Append received bytes to t->response, within t->options->max_body; false when too large or out of memory. */
bool		wxa_transfer_append(WxaTransfer *t, const char *data, size_t n, bool *too_large);

/*
 * The libcurl transport (wxa_http.c): created in the calling process on first
 * call (a forked child gets its own), NULL when libcurl cannot be set up.
 */
const WxaTransport *wxa_curl_transport(void);
/* libcurl's global setup, once (it is not thread-safe: do it early). */
bool		wxa_curl_global_init(void);
/* Whether the libcurl transport offers one fd to wait on (epoll), without creating it. */
bool		wxa_curl_has_wait_fd(void);

/* ---------------------------------------------------------------- the engine */

/*
 * The engine is created in each process on first use (wxa_batch_new), with
 * the transport named here, and records the process that created it: a forked
 * child that finds its parent's engine never touches it and creates its own.
 * wxa_http_init() names libcurl and does libcurl's global setup only; it
 * creates nothing else. wxa_engine_init() creates the engine over transport
 * now (tests). False on failure.
 */
bool		wxa_http_init(void);
bool		wxa_engine_init(const WxaTransport *transport);
/*
 * Release the engine and its transport (the process exits; tests). Batches
 * still alive fail, stop their transfers, and stay their owners' to free.
 */
void		wxa_engine_shutdown(void);

/* What the embedding code wants from the engine's life. */
typedef struct WxaEngineHooks
{
	void		(*attached) (void); /* the engine was created in this process */
	const void *(*owner) (void);	/* the owner of a new batch, for wxa_engine_abandon() */
} WxaEngineHooks;
void		wxa_engine_set_hooks(const WxaEngineHooks *hooks);

/*
 * Every batch of owner (NULL: every batch) stops its transfers and fails its
 * unfinished requests now, with WXA_ERR_CANCELED; the batches stay for their
 * owners to free. PostgreSQL: the resource owner being released.
 */
void		wxa_engine_abandon(const void *owner);
/* Batches alive in this process (tests, checks). */
int			wxa_engine_batches(void);
/*
 * Whether waits can use one fd (wxa_engine_wait_fd), asked without changing
 * anything: not the engine, its timer, nor whether it exists (planning asks).
 */
bool		wxa_engine_can_wait_async(void);

/* Requests in flight at once over all servers and batches (wxa_fdw.max_total_concurrency). */
void		wxa_engine_set_max_total(int max_total);

/* What to wait for before polling again: sockets (at most max) and a timeout (-1: none). */
int			wxa_engine_wait_spec(WxaSocket *sockets, int max, long *timeout_ms);
/*
 * One fd to wait on instead of the sockets and the timeout (an Append's wait),
 * readable also when longest_ms (-1: no limit) have passed; -1 where there is none.
 */
int			wxa_engine_wait_fd(long longest_ms);
/* After a wait: the sockets that became ready (none: the timeout passed or nothing to report). */
void		wxa_engine_ready(const WxaSocket *ready, int nready);

/* Forget the cached token of key (the server or user mapping changed); key 0: all tokens. */
void		wxa_engine_forget_token(unsigned long long key);
/* The cached token of key, or NULL; only to scrub it from messages. */
const char *wxa_engine_cached_token(unsigned long long key);
/* Transfers in flight, token fetches included (tests). */
int			wxa_engine_running(void);

/* ---------------------------------------------------------------- batches */

/* A number in [0, 1) for backoff jitter, from a generator of our own (never rand()). */
double		wxa_http_jitter(void);

WxaBatch   *wxa_batch_new(const WxaHttpOptions *options, const WxaTokenProvider *tokens);

/*
 * Queue a request. url is complete except for the access token, which is
 * appended when with_token. body NULL means GET, else POST of JSON.
 * what names the request in errors. Returns the request's index or -1.
 */
int			wxa_batch_add(WxaBatch *batch, const char *url, const char *body,
						  bool with_token, const char *what);
int			wxa_batch_size(const WxaBatch *batch);

typedef enum WxaPollResult
{
	WXA_POLL_DONE,				/* the request succeeded */
	WXA_POLL_FAILED,			/* it, or another request of the batch, failed for good: err */
	WXA_POLL_PENDING			/* wait (wxa_engine_wait_spec), report (wxa_engine_ready), poll again */
} WxaPollResult;

/*
 * Make all the progress possible now without blocking and tell whether
 * request index is ready. Requests of the batch start in order, at most a
 * window ahead of the one asked for, so memory stays bounded on long scans.
 */
WxaPollResult wxa_batch_poll(WxaBatch *batch, int index, WxaError *err);
/* The state of request index, without progress. */
WxaRequestState wxa_batch_state(const WxaBatch *batch, int index);
/* Count time spent waiting for this batch (the caller measures it). */
void		wxa_batch_add_wait(WxaBatch *batch, double ms);

/*
 * The same, but reporting only request index's own outcome, for callers that
 * keep the other requests' results whatever happens to this one (the batch
 * code images): WXA_POLL_FAILED with err when it failed for good (WeChat's
 * errcode, or its transfer after the retries), *whole_batch true when what
 * failed concerns the whole batch (no access token could be had).
 */
WxaPollResult wxa_batch_poll_own(WxaBatch *batch, int index, bool *whole_batch, WxaError *err);

/* The body of a finished request; valid until wxa_batch_forget() or free. */
const char *wxa_batch_response(const WxaBatch *batch, int index, size_t *len);
/* Hand over the body of a finished request (malloc'd, caller frees). */
char	   *wxa_batch_take_response(WxaBatch *batch, int index, size_t *len);
/* Release a finished request's body early (long scans). */
void		wxa_batch_forget(WxaBatch *batch, int index);
const WxaHttpStats *wxa_batch_stats(const WxaBatch *batch);
/* Add the counts of from to into. */
void		wxa_http_stats_add(WxaHttpStats *into, const WxaHttpStats *from);

/* Abandon every transfer of the batch still in flight and free everything. */
void		wxa_batch_free(WxaBatch *batch);

#endif
