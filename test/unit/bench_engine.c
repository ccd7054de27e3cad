/*
 * bench_engine.c — the request engine's scheduling cost with 100,000 queued
 * requests (max_requests' largest value), over the fake transport: prints the
 * time per started request for one long batch and for many batches over
 * twenty servers, and checks that every request was sent once and done.
 * The times are printed, never asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "unit_check.h"
#include "fake_transport.h"
#include "wxa_http.h"

#ifndef QUEUED
#define QUEUED 100000
#endif

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static WxaBatch *
new_batch(unsigned long long server, int max_concurrency, int n)
{
	WxaHttpOptions o;
	WxaTokenProvider p;
	WxaBatch   *b;

	memset(&o, 0, sizeof(o));
	o.max_concurrency = max_concurrency;
	o.server_key = server;
	o.max_body = 1 << 20;
	memset(&p, 0, sizeof(p));
	p.key = server;
	p.access_token = "STATIC";	/* scheduling only */
	b = wxa_batch_new(&o, &p);
	for (int i = 0; b && i < n; i++)
		if (wxa_batch_add(b, "http://wechat/datacube/x", "{}", true, "datacube/x") != i)
			return NULL;
	return b;
}

/* Finish the oldest live transfer. */
static void
finish_one(void)
{
	if (fake.nlive > 0)
		fake_finish(fake.live[0], 200, "{\"list\":[]}");
}

/* One scan of QUEUED periods: the requests are asked for in order, as a scan does. */
static void
bench_one_long_batch(void)
{
	WxaBatch   *b;
	WxaError	err;
	double		started;
	double		ms;
	bool		all_done = true;

	fake_reset();
	started = now_ms();
	b = new_batch(1, 16, QUEUED);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	for (int i = 0; i < QUEUED; i++)
	{
		WxaPollResult r;

		while ((r = wxa_batch_poll(b, i, &err)) == WXA_POLL_PENDING)
			finish_one();
		all_done = all_done && r == WXA_POLL_DONE;
		wxa_batch_forget(b, i);
	}
	ms = now_ms() - started;
	CHECK(all_done && wxa_batch_stats(b)->sent == QUEUED);
	wxa_batch_free(b);
	printf("bench: one batch of %d requests (max_concurrency 16): %.0f ms, %.2f us per request\n",
		   QUEUED, ms, ms * 1000.0 / QUEUED);
}

/* 100 batches of 1,000 requests over 20 servers, all queued before the first starts. */
static void
bench_many_batches(void)
{
	enum
	{
		BATCHES = 100
	};
	WxaBatch   *b[BATCHES];
	WxaError	err;
	double		started;
	double		ms;
	long		sent = 0;
	bool		all_done = true;
	int			per = QUEUED / BATCHES;

	fake_reset();
	started = now_ms();
	for (int i = 0; i < BATCHES; i++)
	{
		b[i] = new_batch(100 + i % 20, 4, per);
		CHECK(b[i] != NULL);
		if (b[i] == NULL)
			return;
	}
	/* each batch is read to its end in turn, while all of them compete for the slots */
	for (int i = 0; i < BATCHES; i++)
		for (int j = 0; j < per; j++)
		{
			WxaPollResult r;

			while ((r = wxa_batch_poll(b[i], j, &err)) == WXA_POLL_PENDING)
				finish_one();
			all_done = all_done && r == WXA_POLL_DONE;
			wxa_batch_forget(b[i], j);
		}
	ms = now_ms() - started;
	for (int i = 0; i < BATCHES; i++)
	{
		sent += wxa_batch_stats(b[i])->sent;
		wxa_batch_free(b[i]);
	}
	CHECK(all_done && sent == QUEUED);
	printf("bench: %d batches of %d requests over 20 servers: %.0f ms, %.2f us per request\n",
		   BATCHES, per, ms, ms * 1000.0 / QUEUED);
}

int
main(void)
{
	bench_one_long_batch();
	bench_many_batches();
	CHECK(wxa_engine_running() == 0 && fake.nlive == 0);
	wxa_engine_shutdown();
	return unit_report();
}
