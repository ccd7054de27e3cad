/*
 * wxa_http.c — the request engine.
 *
 * Completion messages of the shared multi handle may be read by whichever
 * batch is waiting (a token fetch runs while a scan's transfers are in
 * flight), so reading a message only records the raw outcome in its request;
 * each batch classifies, retries and fails its own requests in its own loop.
 */
#include "wxa_http.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wxa_api.h"

#define POLL_SLICE_MS 20		/* how often a wait looks at interrupts */
#define BACKOFF_CAP_MS 8000

struct WxaRequest
{
	WxaBatch   *batch;
	char	   *url;
	char	   *body;
	bool		with_token;
	char		what[128];

	WxaRequestState state;
	int			attempts;
	bool		token_retried;
	double		retry_at_ms;

	/* the transfer in flight */
	CURL	   *easy;
	struct curl_slist *headers;
	char	   *sent_url;
	char		sent_token[512];
	bool		too_large;
	bool		completed;		/* a message arrived, not yet classified */
	CURLcode	result;

	/* what came back */
	char	   *response;
	size_t		response_len;
	size_t		response_cap;
	long		http_status;
	WxaError	err;
};

struct WxaBatch
{
	WxaHttpOptions options;
	char	   *proxy;
	char	   *secret;
	WxaTokenProvider tokens;
	WxaRequest **requests;
	int			nrequests;
	int			capacity;
	int			running;
	int			first_unfinished;
	WxaHttpStats stats;
};

bool		(*wxa_http_interrupted) (void) = NULL;

static CURLM *shared_multi = NULL;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

bool
wxa_http_init(void)
{
	if (shared_multi != NULL)
		return true;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return false;
	/* backoff jitter must differ between backends, or they retry in step */
	srand((unsigned) (now_ms() * 1000.0) ^ (unsigned) (uintptr_t) &now_ms);
	shared_multi = curl_multi_init();
	if (shared_multi == NULL)
		return false;
	/* keep enough idle connections for max_concurrency up to 64 */
	curl_multi_setopt(shared_multi, CURLMOPT_MAXCONNECTS, 64L);
	return true;
}

WxaBatch *
wxa_batch_new(const WxaHttpOptions *options, const WxaTokenProvider *tokens)
{
	WxaBatch   *batch = calloc(1, sizeof(WxaBatch));

	if (batch == NULL)
		return NULL;
	batch->options = *options;
	if (options->proxy && options->proxy[0])
	{
		batch->proxy = strdup(options->proxy);
		if (batch->proxy == NULL)
		{
			free(batch);
			return NULL;
		}
	}
	batch->options.proxy = batch->proxy;
	if (options->secret && options->secret[0])
	{
		batch->secret = strdup(options->secret);
		if (batch->secret == NULL)
		{
			free(batch->proxy);
			free(batch);
			return NULL;
		}
	}
	batch->options.secret = batch->secret;
	if (batch->options.max_concurrency < 1)
		batch->options.max_concurrency = 1;
	if (tokens)
		batch->tokens = *tokens;
	return batch;
}

int
wxa_batch_add(WxaBatch *batch, const char *url, const char *body, bool with_token,
			  const char *what)
{
	WxaRequest *req;

	if (batch->nrequests == batch->capacity)
	{
		int			capacity = batch->capacity ? batch->capacity * 2 : 16;
		WxaRequest **grown = realloc(batch->requests, sizeof(WxaRequest *) * capacity);

		if (grown == NULL)
			return -1;
		batch->requests = grown;
		batch->capacity = capacity;
	}
	req = calloc(1, sizeof(WxaRequest));
	if (req == NULL)
		return -1;
	req->batch = batch;
	req->url = strdup(url);
	req->body = body ? strdup(body) : NULL;
	if (req->url == NULL || (body && req->body == NULL))
	{
		free(req->url);
		free(req->body);
		free(req);
		return -1;
	}
	req->with_token = with_token;
	snprintf(req->what, sizeof(req->what), "%s", what);
	req->state = WXA_REQ_QUEUED;
	batch->requests[batch->nrequests] = req;
	return batch->nrequests++;
}

int
wxa_batch_size(const WxaBatch *batch)
{
	return batch->nrequests;
}

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	WxaRequest *req = userdata;
	size_t		n = size * nmemb;

	if (req->response_len + n > req->batch->options.max_body)
	{
		req->too_large = true;
		return 0;				/* makes curl fail the transfer */
	}
	if (req->response_len + n + 1 > req->response_cap)
	{
		size_t		cap = req->response_cap ? req->response_cap : 4096;
		char	   *grown;

		while (cap < req->response_len + n + 1)
			cap *= 2;
		grown = realloc(req->response, cap);
		if (grown == NULL)
			return 0;
		req->response = grown;
		req->response_cap = cap;
	}
	memcpy(req->response + req->response_len, data, n);
	req->response_len += n;
	req->response[req->response_len] = '\0';
	return n;
}

static void
release_transfer(WxaRequest *req)
{
	if (req->easy)
	{
		curl_multi_remove_handle(shared_multi, req->easy);
		curl_easy_cleanup(req->easy);
		req->easy = NULL;
		req->batch->running--;
	}
	curl_slist_free_all(req->headers);
	req->headers = NULL;
	free(req->sent_url);
	req->sent_url = NULL;
}

static void
fail_request(WxaRequest *req, const WxaError *err)
{
	req->err = *err;
	/* a failed token fetch keeps its own name and attempts */
	if (req->err.what[0] == '\0')
	{
		req->err.attempts = req->attempts;
		snprintf(req->err.what, sizeof(req->err.what), "%s", req->what);
	}
	req->state = WXA_REQ_FAILED;
}

static void
fail_requestf(WxaRequest *req, WxaErrorKind kind, const char *message)
{
	WxaError	err;

	wxa_error_clear(&err);
	wxa_error_set(&err, kind, "%s", message);
	err.http_status = req->http_status;
	fail_request(req, &err);
}

/* URL with the token appended; malloc'd. */
static char *
url_with_token(const char *url, const char *token)
{
	char	   *escaped = curl_easy_escape(NULL, token, 0);
	size_t		n;
	char	   *full;

	if (escaped == NULL)
		return NULL;
	n = strlen(url) + strlen(escaped) + 16;
	full = malloc(n);
	if (full)
		snprintf(full, n, "%s%caccess_token=%s", url, strchr(url, '?') ? '&' : '?', escaped);
	curl_free(escaped);
	return full;
}

static int
start_transfer(WxaRequest *req)
{
	WxaBatch   *batch = req->batch;
	const WxaHttpOptions *o = &batch->options;
	CURL	   *easy;

	req->sent_token[0] = '\0';
	if (req->with_token)
	{
		WxaError	err;
		const char *token;

		wxa_error_clear(&err);
		token = batch->tokens.get ? batch->tokens.get(batch->tokens.arg, NULL, &err) : NULL;
		if (token == NULL)
		{
			if (err.kind == WXA_OK)
				wxa_error_set(&err, WXA_ERR_INTERNAL, "no access token available");
			fail_request(req, &err);
			return -1;
		}
		snprintf(req->sent_token, sizeof(req->sent_token), "%s", token);
		req->sent_url = url_with_token(req->url, token);
	}
	else
		req->sent_url = strdup(req->url);

	easy = curl_easy_init();
	if (easy == NULL || req->sent_url == NULL)
	{
		if (easy)
			curl_easy_cleanup(easy);
		fail_requestf(req, WXA_ERR_INTERNAL, "could not set up an HTTP transfer");
		return -1;
	}
	req->response_len = 0;
	req->too_large = false;
	req->completed = false;
	req->http_status = 0;

	curl_easy_setopt(easy, CURLOPT_URL, req->sent_url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, req);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, o->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long) (CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* only the proxy option counts: ignore http_proxy in the server's environment */
	curl_easy_setopt(easy, CURLOPT_PROXY, o->proxy ? o->proxy : "");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "wxa_fdw/1.0");
	if (req->body)
	{
		req->headers = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, req->headers);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long) strlen(req->body));
	}
	if (curl_multi_add_handle(shared_multi, easy) != CURLM_OK)
	{
		curl_easy_cleanup(easy);
		fail_requestf(req, WXA_ERR_INTERNAL, "could not start an HTTP transfer");
		return -1;
	}
	req->easy = easy;
	req->state = WXA_REQ_RUNNING;
	req->attempts++;
	batch->running++;
	batch->stats.sent++;
	return 0;
}

static double
backoff_ms(const WxaRequest *req)
{
	double		base = req->batch->options.backoff_base_ms;
	double		delay = base;

	for (int i = 1; i < req->attempts && delay < BACKOFF_CAP_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_CAP_MS)
		delay = BACKOFF_CAP_MS;
	/* jitter: between half and all of the delay, so clients do not retry in step */
	/* NOLINTNEXTLINE(cert-msc30-c,cert-msc50-cpp): spreads retries, guards no secret; seeded per process */
	return delay * (0.5 + 0.5 * ((double) rand() / RAND_MAX));
}

/* Retry if attempts remain, else fail with err. */
static void
retry_or_fail(WxaRequest *req, WxaError *err)
{
	if (req->attempts <= req->batch->options.max_retries)
	{
		req->state = WXA_REQ_BACKOFF;
		req->retry_at_ms = now_ms() + backoff_ms(req);
		req->batch->stats.retries++;
		return;
	}
	fail_request(req, err);
}

static WxaErrorKind
curl_error_kind(CURLcode code)
{
	switch (code)
	{
		case CURLE_OPERATION_TIMEDOUT:
			return WXA_ERR_TIMEOUT;
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CERTPROBLEM:
		case CURLE_SSL_CIPHER:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_UNSUPPORTED_PROTOCOL:
			return WXA_ERR_CONNECT;
		default:
			return WXA_ERR_NETWORK;
	}
}

/* Decide what a finished transfer means: done, retry, new token, or failure. */
static void
classify(WxaRequest *req)
{
	WxaBatch   *batch = req->batch;
	WxaError	err;
	long		errcode;

	long		request_bytes = 0;
	curl_off_t	announced_length = -1;

	wxa_error_clear(&err);
	curl_easy_getinfo(req->easy, CURLINFO_RESPONSE_CODE, &req->http_status);
	/* bytes of the request sent: tells a stalled answer from a connect that never completed */
	curl_easy_getinfo(req->easy, CURLINFO_REQUEST_SIZE, &request_bytes);
	/* -1 when the answer announced no length (it ran until the connection closed) */
	if (curl_easy_getinfo(req->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced_length) != CURLE_OK)
		announced_length = -1;
	err.http_status = req->http_status;
	batch->stats.bytes += (long) req->response_len;
	release_transfer(req);

	if (req->too_large)
	{
		wxa_error_set(&err, WXA_ERR_TOO_LARGE,
					  "the response is larger than %zu bytes", batch->options.max_body);
		fail_request(req, &err);
		return;
	}
	if (req->result != CURLE_OK)
	{
		WxaErrorKind kind = curl_error_kind(req->result);

		/* stable wording (curl's own buffer varies with timings); no URL, so no token */
		if (req->result == CURLE_OPERATION_TIMEDOUT)
		{
			if (request_bytes > 0)
				wxa_error_set(&err, kind, "no complete answer within timeout_ms (%ld ms)",
							  batch->options.timeout_ms);
			else
				wxa_error_set(&err, kind, "could not connect within connect_timeout_ms (%ld ms)",
							  batch->options.connect_timeout_ms);
		}
		else if (req->result == CURLE_PARTIAL_FILE)
			wxa_error_set(&err, kind, "the connection closed after %zu bytes, before the whole answer arrived",
						  req->response_len);
		else
			wxa_error_set(&err, kind, "%s", curl_easy_strerror(req->result));
		/* a protocol we refused will not start working on retry */
		if (req->result == CURLE_UNSUPPORTED_PROTOCOL)
			fail_request(req, &err);
		else
			retry_or_fail(req, &err);
		return;
	}
	if (announced_length >= 0 && (size_t) announced_length != req->response_len)
	{
		/* curl reports most cut-off answers itself; no Accept-Encoding is sent, so the lengths compare */
		wxa_error_set(&err, WXA_ERR_NETWORK, "the answer has %zu bytes, but its Content-Length announced %ld",
					  req->response_len, (long) announced_length);
		retry_or_fail(req, &err);
		return;
	}
	if (req->http_status >= 500 || req->http_status == 429)
	{
		wxa_error_set(&err, WXA_ERR_HTTP, "WeChat answered HTTP %ld", req->http_status);
		retry_or_fail(req, &err);
		return;
	}
	if (req->http_status != 200)
	{
		if (req->http_status >= 300 && req->http_status < 400)
			wxa_error_set(&err, WXA_ERR_HTTP, "WeChat answered HTTP %ld, a redirect, which is not followed",
						  req->http_status);
		else
			wxa_error_set(&err, WXA_ERR_HTTP, "WeChat answered HTTP %ld", req->http_status);
		fail_request(req, &err);
		return;
	}
	if (wxa_body_kind(req->response, req->response_len) == WXA_BODY_HTML)
	{
		/* an HTML page instead of the API's answer comes from WeChat's gateway */
		wxa_error_set(&err, WXA_ERR_RESPONSE, "WeChat answered with an HTML page instead of JSON");
		retry_or_fail(req, &err);
		return;
	}
	if (req->response_len > 0 &&
		wxa_body_errcode(req->response, req->response_len, &errcode, err.errmsg, sizeof(err.errmsg),
						 batch->secret, req->sent_token))
	{
		err.errcode = errcode;
		wxa_error_set(&err, WXA_ERR_API, "WeChat returned errcode %ld", errcode);
		if (wxa_errcode_token_rejected(errcode) && req->with_token && !req->token_retried &&
			batch->tokens.get != NULL)
		{
			WxaError	token_err;

			wxa_error_clear(&token_err);
			req->token_retried = true;
			if (batch->tokens.get(batch->tokens.arg, req->sent_token, &token_err) == NULL)
			{
				/* no error from the provider: it cannot renew (a static token) */
				fail_request(req, token_err.kind != WXA_OK ? &token_err : &err);
				return;
			}
			batch->stats.retries++;
			req->state = WXA_REQ_QUEUED;	/* again at once, with the new token */
			return;
		}
		if (wxa_errcode_transient(errcode))
			retry_or_fail(req, &err);
		else
			fail_request(req, &err);
		return;
	}
	req->state = WXA_REQ_DONE;
}

/* Record the outcome of every finished transfer, whichever batch it belongs to. */
static void
read_completions(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(shared_multi, &left)) != NULL)
	{
		WxaRequest *req = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &req);
		if (req == NULL)
			continue;
		req->completed = true;
		req->result = msg->data.result;
	}
}

static bool
finished(const WxaRequest *req)
{
	return req->state == WXA_REQ_DONE || req->state == WXA_REQ_FAILED;
}

/* Start what may start: in order, at most max_concurrency, at most a window ahead. */
static void
start_eligible(WxaBatch *batch, int index, double now)
{
	int			window = batch->options.max_concurrency * 4;
	int			limit = index + window;

	if (limit > batch->nrequests)
		limit = batch->nrequests;
	for (int i = batch->first_unfinished; i < limit; i++)
	{
		WxaRequest *req = batch->requests[i];

		if (batch->running >= batch->options.max_concurrency)
			break;
		if (req->state == WXA_REQ_QUEUED ||
			(req->state == WXA_REQ_BACKOFF && req->retry_at_ms <= now))
			start_transfer(req);
	}
}

int
wxa_batch_wait(WxaBatch *batch, int index, WxaError *err)
{
	WxaRequest *target = batch->requests[index];
	double		started = now_ms();
	int			rc = -1;

	for (;;)
	{
		double		now = now_ms();
		double		next_retry = now + POLL_SLICE_MS;
		int			still_running;

		/* classify what completed; note the first failure of the batch */
		for (int i = batch->first_unfinished; i < batch->nrequests; i++)
		{
			WxaRequest *req = batch->requests[i];

			if (req->state == WXA_REQ_RUNNING && req->completed)
				classify(req);
			if (req->state == WXA_REQ_FAILED)
			{
				*err = req->err;
				goto out;
			}
			if (req->state == WXA_REQ_BACKOFF && req->retry_at_ms < next_retry)
				next_retry = req->retry_at_ms;
		}
		while (batch->first_unfinished < batch->nrequests &&
			   finished(batch->requests[batch->first_unfinished]))
			batch->first_unfinished++;

		if (target->state == WXA_REQ_DONE)
		{
			rc = 0;
			goto out;
		}
		if (wxa_http_interrupted && wxa_http_interrupted())
		{
			wxa_error_clear(err);
			wxa_error_set(err, WXA_ERR_CANCELED, "canceled while waiting for WeChat");
			goto out;
		}
		start_eligible(batch, index, now);
		if (target->state == WXA_REQ_FAILED)
			continue;

		curl_multi_perform(shared_multi, &still_running);
		read_completions();
		{
			int			timeout = (int) (next_retry - now_ms());

			if (timeout > POLL_SLICE_MS)
				timeout = POLL_SLICE_MS;
			if (timeout < 0)
				timeout = 0;
			if (!target->completed)
				curl_multi_poll(shared_multi, NULL, 0, timeout, NULL);
		}
	}
out:
	batch->stats.wait_ms += now_ms() - started;
	return rc;
}

const char *
wxa_batch_response(const WxaBatch *batch, int index, size_t *len)
{
	WxaRequest *req = batch->requests[index];

	*len = req->response_len;
	return req->response ? req->response : "";
}

void
wxa_batch_forget(WxaBatch *batch, int index)
{
	WxaRequest *req = batch->requests[index];

	free(req->response);
	req->response = NULL;
	req->response_len = req->response_cap = 0;
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
	into->bytes += from->bytes;
	into->wait_ms += from->wait_ms;
}

void
wxa_batch_free(WxaBatch *batch)
{
	if (batch == NULL)
		return;
	for (int i = 0; i < batch->nrequests; i++)
	{
		WxaRequest *req = batch->requests[i];

		release_transfer(req);
		free(req->url);
		free(req->body);
		free(req->response);
		free(req);
	}
	free(batch->requests);
	free(batch->proxy);
	if (batch->secret)
		explicit_bzero(batch->secret, strlen(batch->secret));
	free(batch->secret);
	free(batch);
}

int
wxa_http_fetch(const WxaHttpOptions *options, const WxaTokenProvider *tokens,
			   const char *url, const char *body, bool with_token, const char *what,
			   char **response, size_t *len, WxaHttpStats *stats, WxaError *err)
{
	WxaBatch   *batch = wxa_batch_new(options, tokens);
	int			rc = -1;

	*response = NULL;
	*len = 0;
	if (batch == NULL || wxa_batch_add(batch, url, body, with_token, what) != 0)
	{
		wxa_error_clear(err);
		wxa_error_set(err, WXA_ERR_INTERNAL, "out of memory");
		wxa_batch_free(batch);
		return -1;
	}
	if (wxa_batch_wait(batch, 0, err) == 0)
	{
		WxaRequest *req = batch->requests[0];

		/* hand the body over instead of copying it */
		*response = req->response ? req->response : strdup("");
		*len = req->response_len;
		req->response = NULL;
		rc = *response ? 0 : -1;
	}
	if (stats)
		wxa_http_stats_add(stats, &batch->stats);
	wxa_batch_free(batch);
	return rc;
}
