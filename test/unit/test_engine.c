/*
 * test_engine.c — the request engine's scheduling, token states and retries,
 * over the fake transport: every outcome and its order is the test's choice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit_check.h"
#include "fake_transport.h"
#include "wxa_http.h"

#define TOKEN_OK(t) "{\"access_token\":\"" t "\",\"expires_in\":7200}"
#define DATA_OK "{\"list\":[]}"

static WxaHttpOptions
options_for(unsigned long long server, int max_concurrency)
{
	WxaHttpOptions o;

	memset(&o, 0, sizeof(o));
	o.connect_timeout_ms = 1000;
	o.timeout_ms = 1000;
	o.max_retries = 2;
	o.max_concurrency = max_concurrency;
	o.server_key = server;
	o.max_body = 1 << 20;
	o.backoff_base_ms = 0;		/* retries are due at once: no clock in these tests */
	o.secret = "SECRET";
	return o;
}

static WxaTokenProvider
tokens_for(unsigned long long key)
{
	WxaTokenProvider p;

	memset(&p, 0, sizeof(p));
	p.key = key;
	p.base_url = "http://wechat";
	p.endpoint = WXA_TOKEN_STABLE;
	p.appid = "wx1";
	p.secret = "SECRET";
	return p;
}

static WxaBatch *
batch_with(unsigned long long server, int max_concurrency, int n)
{
	WxaHttpOptions o = options_for(server, max_concurrency);
	WxaTokenProvider p = tokens_for(server);
	WxaBatch   *b = wxa_batch_new(&o, &p);

	for (int i = 0; i < n; i++)
		wxa_batch_add(b, "http://wechat/datacube/x", "{}", true, "datacube/x");
	return b;
}

static WxaPollResult
poll0(WxaBatch *b, int index)
{
	WxaError	err;

	return wxa_batch_poll(b, index, &err);
}

/* Finish every live transfer whose URL contains part with (status, body); how many. */
static int
finish_all(const char *part, long status, const char *body)
{
	int			n = 0;
	WxaTransfer *t;

	while ((t = fake_find(part)) != NULL)
	{
		fake_finish(t, status, body);
		n++;
	}
	return n;
}

static void
test_twenty_servers_fetch_twenty_tokens_at_once(void)
{
	WxaBatch   *b[20];

	fake_reset();
	for (int i = 0; i < 20; i++)
		b[i] = batch_with(100 + i, 8, 1);
	CHECK(poll0(b[0], 0) == WXA_POLL_PENDING);
	/* one poll started all twenty fetches, before any data request */
	CHECK(fake.token_fetches == 20);
	CHECK(fake_count("stable_token") == 20 && fake_count("datacube") == 0);
	CHECK(finish_all("stable_token", 200, TOKEN_OK("T")) == 20);
	CHECK(poll0(b[0], 0) == WXA_POLL_PENDING);
	CHECK(fake_count("datacube") == 20);
	CHECK(finish_all("datacube", 200, DATA_OK) == 20);
	for (int i = 0; i < 20; i++)
		CHECK(poll0(b[i], 0) == WXA_POLL_DONE);
	for (int i = 0; i < 20; i++)
		wxa_batch_free(b[i]);
	CHECK(wxa_engine_running() == 0 && fake.nlive == 0);
}

static void
test_sixteen_requests_share_one_token_fetch(void)
{
	WxaBatch   *b;
	size_t		len;

	fake_reset();
	b = batch_with(7, 16, 16);
	CHECK(poll0(b, 0) == WXA_POLL_PENDING);
	CHECK(fake.token_fetches == 1 && fake_count("datacube") == 0);
	CHECK(wxa_batch_state(b, 15) == WXA_REQ_WAIT_TOKEN);
	finish_all("stable_token", 200, TOKEN_OK("T1"));
	CHECK(poll0(b, 0) == WXA_POLL_PENDING);
	CHECK(fake_count("datacube") == 16 && fake_count("access_token=T1") == 16);
	finish_all("datacube", 200, DATA_OK);
	for (int i = 0; i < 16; i++)
		CHECK(poll0(b, i) == WXA_POLL_DONE);
	CHECK(strcmp(wxa_batch_response(b, 3, &len), DATA_OK) == 0);
	CHECK(wxa_batch_stats(b)->token_fetches == 1 && wxa_batch_stats(b)->sent == 16);
	wxa_batch_free(b);
	/* the next batch of the same server reuses the cached token */
	b = batch_with(7, 16, 2);
	CHECK(poll0(b, 0) == WXA_POLL_PENDING);
	CHECK(fake.token_fetches == 1 && fake_count("access_token=T1") == 2);
	wxa_batch_free(b);
	CHECK(fake.nlive == 0);
}

static void
test_limits(void)
{
	WxaBatch   *b[3];
	int			max_seen = 0;

	fake_reset();
	wxa_engine_set_max_total(5);
	for (int i = 0; i < 3; i++)
		b[i] = batch_with(1 + i, 2, 10);
	/* static tokens: scheduling only */
	for (int round = 0; round < 40; round++)
	{
		int			per[3] = {0, 0, 0};
		WxaTransfer *t;

		for (int i = 0; i < 3; i++)
			(void) poll0(b[i], 9);
		if (round == 0)
		{
			CHECK(fake_count("stable_token") == 3);
			finish_all("stable_token", 200, TOKEN_OK("T"));
			continue;
		}
		for (int i = 0; i < fake.nlive; i++)
			for (int s = 0; s < 3; s++)
				per[s] += fake.live[i]->options->server_key == (unsigned long long) s + 1;
		for (int s = 0; s < 3; s++)
			CHECK(per[s] <= 2);
		if (fake.nlive > max_seen)
			max_seen = fake.nlive;
		CHECK(fake.nlive <= 5);
		/* finish one, the oldest */
		if ((t = fake_find("datacube")) != NULL)
			fake_finish(t, 200, DATA_OK);
	}
	CHECK(max_seen == 5);
	for (int i = 0; i < 3; i++)
	{
		CHECK(poll0(b[i], 9) == WXA_POLL_DONE);
		wxa_batch_free(b[i]);
	}
	wxa_engine_set_max_total(64);
}

static void
test_rejected_token_is_renewed_once(void)
{
	WxaBatch   *b;
	WxaError	err;

	fake_reset();
	b = batch_with(9, 8, 2);
	(void) poll0(b, 0);
	finish_all("stable_token", 200, TOKEN_OK("OLD"));
	(void) poll0(b, 0);
	CHECK(fake_count("access_token=OLD") == 2);
	/* the first rejection drops the token and fetches one */
	fake_finish(fake_find("access_token=OLD"), 200, "{\"errcode\":40001,\"errmsg\":\"invalid credential\"}");
	CHECK(poll0(b, 0) == WXA_POLL_PENDING);
	CHECK(fake.token_fetches == 2 && wxa_batch_state(b, 0) == WXA_REQ_WAIT_TOKEN);
	finish_all("stable_token", 200, TOKEN_OK("NEW"));
	(void) poll0(b, 0);
	CHECK(fake_count("access_token=NEW") == 1);
	/* the second request's rejection of OLD comes after NEW is cached: NEW stays */
	fake_finish(fake_find("access_token=OLD"), 200, "{\"errcode\":40001,\"errmsg\":\"invalid credential\"}");
	(void) poll0(b, 0);
	CHECK(fake.token_fetches == 2 && fake_count("access_token=NEW") == 2);
	CHECK(strcmp(wxa_engine_cached_token(9), "NEW") == 0);
	/* a second rejection of the same request fails it: retried once only */
	fake_finish(fake_find("access_token=NEW"), 200, "{\"errcode\":42001,\"errmsg\":\"access_token expired\"}");
	wxa_error_clear(&err);
	CHECK(wxa_batch_poll(b, 0, &err) == WXA_POLL_FAILED);
	CHECK(err.kind == WXA_ERR_API && err.errcode == 42001);
	wxa_batch_free(b);
	CHECK(fake.nlive == 0 && wxa_engine_running() == 0);
}

static void
test_retries_then_failure(void)
{
	WxaBatch   *b;
	WxaError	err;

	fake_reset();
	b = batch_with(3, 8, 1);
	(void) poll0(b, 0);
	finish_all("stable_token", 200, TOKEN_OK("T"));
	for (int attempt = 1; attempt <= 3; attempt++)
	{
		wxa_error_clear(&err);
		CHECK(wxa_batch_poll(b, 0, &err) == WXA_POLL_PENDING);
		CHECK(fake_count("datacube") == 1);
		fake_finish(fake_find("datacube"), attempt == 2 ? 0 : 500, "oops");
	}
	wxa_error_clear(&err);
	CHECK(wxa_batch_poll(b, 0, &err) == WXA_POLL_FAILED);
	CHECK(err.kind == WXA_ERR_HTTP && err.attempts == 3 && err.http_status == 500);
	CHECK(strcmp(err.what, "datacube/x") == 0);
	CHECK(wxa_batch_stats(b)->retries == 2);
	wxa_batch_free(b);
}

static void
test_token_failure_fails_the_waiters(void)
{
	WxaBatch   *b;
	WxaError	err;

	fake_reset();
	b = batch_with(4, 8, 3);
	(void) poll0(b, 0);
	fake_finish(fake_find("stable_token"), 200, "{\"errcode\":40125,\"errmsg\":\"invalid appsecret SECRET\"}");
	wxa_error_clear(&err);
	CHECK(wxa_batch_poll(b, 0, &err) == WXA_POLL_FAILED);
	CHECK(err.errcode == 40125 && strcmp(err.what, "cgi-bin/stable_token") == 0);
	CHECK(strstr(err.errmsg, "SECRET") == NULL);
	CHECK(wxa_batch_state(b, 2) == WXA_REQ_FAILED);
	CHECK(fake_count("datacube") == 0);
	wxa_batch_free(b);
}

static void
test_free_abandons_everything(void)
{
	WxaBatch   *a;
	WxaBatch   *b;

	fake_reset();
	a = batch_with(5, 8, 4);
	b = batch_with(6, 8, 4);
	(void) poll0(a, 0);
	(void) poll0(b, 0);
	CHECK(fake.nlive == 2);		/* two token fetches */
	wxa_batch_free(a);
	/* a's token fetch had no other waiter: gone */
	CHECK(fake.nlive == 1 && fake_count("stable_token") == 1);
	finish_all("stable_token", 200, TOKEN_OK("T"));
	(void) poll0(b, 0);
	CHECK(fake_count("datacube") == 4);
	wxa_batch_free(b);
	CHECK(fake.nlive == 0 && wxa_engine_running() == 0 && fake.stopped == fake.started);
}

static void
test_static_token_and_no_token(void)
{
	WxaHttpOptions o = options_for(8, 8);
	WxaTokenProvider p = tokens_for(8);
	WxaBatch   *b;
	WxaError	err;

	fake_reset();
	p.access_token = "STATIC";
	b = wxa_batch_new(&o, &p);
	wxa_batch_add(b, "http://wechat/datacube/x", "{}", true, "datacube/x");
	wxa_batch_add(b, "http://wechat/sns/jscode2session?x=1", NULL, false, "sns");
	(void) poll0(b, 0);
	CHECK(fake.token_fetches == 0 && fake_count("access_token=STATIC") == 1);
	CHECK(fake_count("jscode2session?x=1") == 1 && fake_find("jscode2session")->body == NULL);
	/* a static token that is rejected is not renewed */
	fake_finish(fake_find("STATIC"), 200, "{\"errcode\":40001,\"errmsg\":\"no\"}");
	wxa_error_clear(&err);
	CHECK(wxa_batch_poll(b, 0, &err) == WXA_POLL_FAILED && err.errcode == 40001);
	wxa_batch_free(b);
}

static void
test_window_bounds_a_long_batch(void)
{
	WxaBatch   *b;

	fake_reset();
	b = batch_with(11, 2, 100);
	(void) poll0(b, 0);
	finish_all("stable_token", 200, TOKEN_OK("T"));
	for (int i = 0; i < 100; i++)
	{
		while (poll0(b, i) == WXA_POLL_PENDING)
		{
			WxaTransfer *t = fake_find("datacube");

			CHECK(t != NULL);
			if (t == NULL)
				break;
			fake_finish(t, 200, DATA_OK);
		}
		wxa_batch_forget(b, i);
		CHECK(fake.nlive <= 2);
	}
	CHECK(wxa_batch_stats(b)->sent == 100);
	wxa_batch_free(b);
}

/* wxa_batch_poll_own: a request's own failure is its own; a token failure is the batch's. */
static void
test_own_outcome(void)
{
	WxaBatch   *b;
	WxaError	err;
	bool		whole;

	fake_reset();
	b = batch_with(21, 4, 3);
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	finish_all("stable_token", 200, TOKEN_OK("T"));
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	CHECK(fake_count("datacube") == 3);
	/* 40097 (invalid arguments) is not retried */
	fake_finish(fake_find("datacube"), 200, "{\"errcode\":40097,\"errmsg\":\"invalid args\"}");
	finish_all("datacube", 200, DATA_OK);
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_FAILED && !whole && err.errcode == 40097);
	CHECK(wxa_batch_poll_own(b, 1, &whole, &err) == WXA_POLL_DONE);
	CHECK(wxa_batch_poll_own(b, 2, &whole, &err) == WXA_POLL_DONE);
	/* the plain poll still fails the whole batch on any failure */
	CHECK(wxa_batch_poll(b, 1, &err) == WXA_POLL_FAILED);
	wxa_batch_free(b);

	fake_reset();
	b = batch_with(22, 4, 2);
	CHECK(wxa_batch_poll_own(b, 1, &whole, &err) == WXA_POLL_PENDING);
	fake_finish(fake_find("stable_token"), 200, "{\"errcode\":40125,\"errmsg\":\"invalid appsecret\"}");
	CHECK(wxa_batch_poll_own(b, 1, &whole, &err) == WXA_POLL_FAILED && whole);
	wxa_batch_free(b);
	CHECK(wxa_engine_running() == 0 && fake.nlive == 0);
}

/*
 * rate_limit_patience_ms: 45009 pauses the whole batch, the retry is not
 * counted against max_retries (0 here), and one request probes first.
 */
static void
test_rate_limit_pauses_the_batch(void)
{
	WxaHttpOptions o = options_for(23, 3);
	WxaTokenProvider p = tokens_for(23);
	WxaBatch   *b;
	WxaError	err;
	bool		whole;
	const char *limited = "{\"errcode\":45009,\"errmsg\":\"reach max api daily quota limit\"}";

	fake_reset();
	o.max_retries = 0;
	o.rate_limit_patience_ms = 60000;
	b = wxa_batch_new(&o, &p);
	for (int i = 0; i < 3; i++)
		wxa_batch_add(b, "http://wechat/wxa/getwxacode", "{}", true, "wxa/getwxacode");
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	finish_all("stable_token", 200, TOKEN_OK("T"));
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	CHECK(fake_count("getwxacode") == 3);
	CHECK(finish_all("getwxacode", 200, limited) == 3);
	/* paused: nothing starts, nothing failed */
	for (int i = 0; i < 3; i++)
		CHECK(wxa_batch_poll_own(b, i, &whole, &err) == WXA_POLL_PENDING);
	CHECK(fake_count("getwxacode") == 0);
	CHECK(wxa_batch_stats(b)->rate_limited == 3 && wxa_batch_stats(b)->retries == 0);
	usleep(300 * 1000);			/* the first pause is at most 250 ms */
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	CHECK(fake_count("getwxacode") == 1);	/* one probe */
	finish_all("getwxacode", 200, DATA_OK);
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_DONE);
	CHECK(fake_count("getwxacode") == 2);	/* the limit is over: the rest follow */
	finish_all("getwxacode", 200, DATA_OK);
	CHECK(wxa_batch_poll_own(b, 1, &whole, &err) == WXA_POLL_DONE);
	CHECK(wxa_batch_poll_own(b, 2, &whole, &err) == WXA_POLL_DONE);
	wxa_batch_free(b);

	/* without patience, 45009 is an ordinary transient error: max_retries 0 fails it */
	fake_reset();
	o.rate_limit_patience_ms = 0;
	b = wxa_batch_new(&o, &p);
	wxa_batch_add(b, "http://wechat/wxa/getwxacode", "{}", true, "wxa/getwxacode");
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	finish_all("stable_token", 200, TOKEN_OK("T"));
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_PENDING);
	finish_all("getwxacode", 200, limited);
	CHECK(wxa_batch_poll_own(b, 0, &whole, &err) == WXA_POLL_FAILED && !whole && err.errcode == 45009);
	wxa_batch_free(b);
}

/* The owner hook of these tests: one of two owners (a statement, a cursor). */
static int	owners[2];
static const void *current_owner = &owners[0];

static const void *
owner_now(void)
{
	return current_owner;
}

/*
 * wxa_engine_abandon: what one owner started stops with it, queued and
 * running alike, and frees its slots; the other owner's batch goes on.
 */
static void
test_abandon_by_owner(void)
{
	WxaEngineHooks h = {.owner = owner_now};
	WxaHttpOptions o = options_for(31, 2);
	WxaTokenProvider p = tokens_for(31);
	WxaBatch   *outer;
	WxaBatch   *inner;
	WxaError	err;

	fake_reset();
	wxa_engine_set_hooks(&h);
	p.access_token = "STATIC";
	current_owner = &owners[0];
	outer = wxa_batch_new(&o, &p);
	for (int i = 0; i < 3; i++)
		wxa_batch_add(outer, "http://wechat/datacube/outer", "{}", true, "outer");
	current_owner = &owners[1];
	inner = wxa_batch_new(&o, &p);
	for (int i = 0; i < 5; i++)
		wxa_batch_add(inner, "http://wechat/datacube/inner", "{}", true, "inner");
	(void) poll0(inner, 0);
	/* the server's two slots: the outer batch's requests are older */
	CHECK(fake_count("outer") == 2 && fake_count("inner") == 0);
	fake_finish(fake_find("outer"), 200, DATA_OK);
	fake_finish(fake_find("outer"), 200, DATA_OK);
	(void) poll0(inner, 0);
	CHECK(fake_count("outer") == 1 && fake_count("inner") == 1);
	wxa_engine_abandon(&owners[1]);
	CHECK(fake_count("inner") == 0 && wxa_engine_running() == 1);
	for (int i = 0; i < 5; i++)
		CHECK(wxa_batch_state(inner, i) == WXA_REQ_FAILED);
	wxa_error_clear(&err);
	CHECK(wxa_batch_poll(inner, 4, &err) == WXA_POLL_FAILED && err.kind == WXA_ERR_CANCELED);
	CHECK(fake_count("inner") == 0 && fake_count("outer") == 1);
	wxa_batch_free(inner);		/* its owner frees it later, as usual */
	CHECK(wxa_engine_batches() == 1);

	/* NULL: every batch (the transaction's abort) */
	current_owner = &owners[1];
	inner = wxa_batch_new(&o, &p);
	wxa_batch_add(inner, "http://wechat/datacube/inner", "{}", true, "inner");
	wxa_engine_abandon(NULL);
	CHECK(wxa_engine_running() == 0 && fake.nlive == 0);
	CHECK(wxa_batch_state(outer, 2) == WXA_REQ_FAILED && wxa_batch_state(inner, 0) == WXA_REQ_FAILED);
	wxa_batch_free(inner);
	wxa_batch_free(outer);
	CHECK(wxa_engine_batches() == 0 && fake.stopped == fake.started);
	h.owner = NULL;
	wxa_engine_set_hooks(&h);
	current_owner = &owners[0];
}

/* A token fetch that only an abandoned statement waited for stops too. */
static void
test_abandon_drops_its_token_fetch(void)
{
	WxaEngineHooks h = {.owner = owner_now};
	WxaBatch   *b;

	fake_reset();
	wxa_engine_set_hooks(&h);
	current_owner = &owners[0];
	b = batch_with(32, 4, 4);
	(void) poll0(b, 0);
	CHECK(fake_count("stable_token") == 1);
	wxa_engine_abandon(&owners[1]);	/* not its owner: nothing stops */
	CHECK(fake.nlive == 1);
	wxa_engine_abandon(&owners[0]);
	CHECK(fake.nlive == 0 && wxa_engine_running() == 0);
	wxa_batch_free(b);
	h.owner = NULL;
	wxa_engine_set_hooks(&h);
}

/*
 * A forked child never uses its parent's engine: it sees no transfer of the
 * parent's, freeing an inherited batch stops nothing, and its first batch
 * gets an engine of its own.
 */
static void
test_forked_child_leaves_the_parent_engine_alone(void)
{
	WxaBatch   *b;
	pid_t		pid;
	int			status = -1;

	fake_reset();
	b = batch_with(33, 4, 2);
	(void) poll0(b, 0);
	CHECK(fake.nlive == 1);
	pid = fork();
	if (pid == 0)
	{
		long		stopped = fake.stopped;
		bool		ok = wxa_engine_running() == 0 && wxa_engine_batches() == 0 &&
			!wxa_engine_can_wait_async();

		wxa_batch_free(b);		/* the parent's transfer is not stopped from here */
		ok = ok && fake.stopped == stopped;
		ok = ok && wxa_engine_init(&fake_transport) && wxa_engine_running() == 0;
		wxa_engine_shutdown();
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0);
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(fake.nlive == 1 && wxa_engine_running() == 1);
	wxa_batch_free(b);
	CHECK(fake.nlive == 0);
}

/* Asking whether waits can use one fd changes nothing, and needs no engine. */
static void
test_can_wait_async_has_no_effect(void)
{
	fake_reset();
	CHECK(!wxa_engine_can_wait_async());	/* the fake transport has no fd */
	wxa_engine_shutdown();
	CHECK(!wxa_engine_can_wait_async() && wxa_engine_running() == 0);
	CHECK(wxa_engine_wait_fd(-1) == -1);
	fake_reset();
}

/* Shutting down with a batch alive: its transfers stop, it fails, its owner still frees it. */
static void
test_shutdown_with_a_live_batch(void)
{
	WxaBatch   *b;
	WxaError	err;

	fake_reset();
	b = batch_with(34, 4, 3);
	(void) poll0(b, 0);
	CHECK(fake.nlive == 1);
	wxa_engine_shutdown();
	CHECK(fake.nlive == 0 && fake.stopped == fake.started);
	wxa_error_clear(&err);
	CHECK(wxa_batch_poll(b, 0, &err) == WXA_POLL_FAILED && err.kind == WXA_ERR_CANCELED);
	wxa_batch_free(b);
	fake_reset();
}

int
main(void)
{
	test_twenty_servers_fetch_twenty_tokens_at_once();
	test_sixteen_requests_share_one_token_fetch();
	test_limits();
	test_rejected_token_is_renewed_once();
	test_retries_then_failure();
	test_token_failure_fails_the_waiters();
	test_free_abandons_everything();
	test_static_token_and_no_token();
	test_window_bounds_a_long_batch();
	test_own_outcome();
	test_rate_limit_pauses_the_batch();
	test_abandon_by_owner();
	test_abandon_drops_its_token_fetch();
	test_forked_child_leaves_the_parent_engine_alone();
	test_can_wait_async_has_no_effect();
	test_shutdown_with_a_live_batch();
	wxa_engine_shutdown();
	return unit_report();
}
