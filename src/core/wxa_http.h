/*
 * wxa_http.h — concurrent HTTP to WeChat with libcurl multi.
 *
 * A batch holds the requests of one scan (or one function call). Waiting for
 * a request drives every transfer of every live batch: up to max_concurrency
 * in flight, started in order and never more than a window ahead of the
 * request being waited for, so memory stays bounded on long scans. Transient
 * failures are retried with exponential backoff and jitter; a rejected access
 * token is replaced through the token provider and the request retried once.
 *
 * All batches share one curl multi handle for the life of the backend, so
 * kept-alive connections are reused across requests, scans and statements.
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
	int			max_concurrency;
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

/*
 * Supplies access tokens. get() returns the token to use, or NULL with err
 * set. When rejected is not NULL WeChat has just refused that token: the
 * provider drops it if it is still the current one and returns a fresh one.
 * The returned string must stay valid until the next get() call.
 */
typedef struct WxaTokenProvider
{
	const char *(*get) (void *arg, const char *rejected, WxaError *err);
	void	   *arg;
} WxaTokenProvider;

typedef enum WxaRequestState
{
	WXA_REQ_QUEUED,
	WXA_REQ_RUNNING,
	WXA_REQ_BACKOFF,			/* waiting to be retried */
	WXA_REQ_DONE,
	WXA_REQ_FAILED
} WxaRequestState;

typedef struct WxaHttpStats
{
	long		sent;			/* transfers started, retries included */
	long		retries;
	long		bytes;			/* response bytes received */
	double		wait_ms;		/* time spent waiting on the network */
	long		rate_limited;	/* answers that paused the batch (rate_limit_patience_ms) */
} WxaHttpStats;

typedef struct WxaRequest WxaRequest;
typedef struct WxaBatch WxaBatch;

/* Set by the embedding code: true when the caller wants the wait to stop. */
extern bool (*wxa_http_interrupted) (void);

/* Once per process, before anything else. Returns false on failure. */
bool		wxa_http_init(void);

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

/*
 * Drive transfers until request index has finished. Returns 0 when it
 * succeeded; -1 with err filled when it, or any other request of the batch,
 * failed for good, or the wait was interrupted (WXA_ERR_CANCELED).
 */
int			wxa_batch_wait(WxaBatch *batch, int index, WxaError *err);

/*
 * The same, but reporting only request index's own outcome, for callers that
 * keep the other requests' results whatever happens to this one: 0 when it
 * succeeded; 1 with err filled when it failed for good (WeChat's errcode, or
 * its transfer after the retries); -1 with err filled when what failed
 * concerns the whole batch: no access token could be had, or the wait was
 * interrupted (WXA_ERR_CANCELED).
 */
int			wxa_batch_wait_own(WxaBatch *batch, int index, WxaError *err);

/* The body of a finished request; valid until wxa_batch_forget() or free. */
const char *wxa_batch_response(const WxaBatch *batch, int index, size_t *len);
/* Release a finished request's body early (long scans). */
void		wxa_batch_forget(WxaBatch *batch, int index);
const WxaHttpStats *wxa_batch_stats(const WxaBatch *batch);
/* Add the counts of from to into. */
void		wxa_http_stats_add(WxaHttpStats *into, const WxaHttpStats *from);

/* Abandon every transfer still in flight and free everything. */
void		wxa_batch_free(WxaBatch *batch);

/*
 * One request, start to finish (token fetches, images, code2session).
 * On success *body is malloc'd (caller frees) and 0 is returned.
 */
int			wxa_http_fetch(const WxaHttpOptions *options, const WxaTokenProvider *tokens,
						   const char *url, const char *body, bool with_token,
						   const char *what, char **response, size_t *len,
						   WxaHttpStats *stats, WxaError *err);


#endif
