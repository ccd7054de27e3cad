/*
 * fake_transport.h — a transport for the request engine that sends nothing:
 * the test starts nothing itself, it finishes the engine's transfers in the
 * order and with the outcomes it chooses (unit tests, the engine fuzz target).
 */
#ifndef FAKE_TRANSPORT_H
#define FAKE_TRANSPORT_H

#include <stdlib.h>
#include <string.h>

#include "wxa_http.h"

#define FAKE_MAX 4096

typedef struct FakeTransport
{
	WxaTransfer *live[FAKE_MAX];	/* started, not yet stopped */
	int			nlive;
	WxaTransfer *done[FAKE_MAX];	/* finished, not yet read */
	int			ndone;
	long		started;
	long		stopped;
	long		token_fetches;	/* started transfers to a token endpoint */
} FakeTransport;

static FakeTransport fake;

static void
fake_forget(WxaTransfer **list, int *n, WxaTransfer *t)
{
	for (int i = 0; i < *n; i++)
		if (list[i] == t)
		{
			memmove(&list[i], &list[i + 1], sizeof(WxaTransfer *) * (*n - i - 1));
			(*n)--;
			return;
		}
}

static bool
fake_start(void *arg, WxaTransfer *t)
{
	(void) arg;
	if (fake.nlive == FAKE_MAX)
		return false;
	fake.live[fake.nlive++] = t;
	fake.started++;
	if (strstr(t->url, "token") && !strstr(t->url, "access_token="))
		fake.token_fetches++;
	return true;
}

static void
fake_stop(void *arg, WxaTransfer *t)
{
	(void) arg;
	fake_forget(fake.live, &fake.nlive, t);
	fake_forget(fake.done, &fake.ndone, t);
	fake.stopped++;
}

static void
fake_progress(void *arg, const WxaSocket *ready, int nready)
{
	(void) arg;
	(void) ready;
	(void) nready;
}

static WxaTransfer *
fake_next_done(void *arg)
{
	WxaTransfer *t;

	(void) arg;
	if (fake.ndone == 0)
		return NULL;
	t = fake.done[0];
	fake_forget(fake.done, &fake.ndone, t);
	return t;
}

static int
fake_sockets(void *arg, WxaSocket *out, int max)
{
	(void) arg;
	(void) out;
	(void) max;
	return 0;
}

static long
fake_timeout(void *arg)
{
	(void) arg;
	return -1;
}

static void
fake_alarm(void *arg, long ms)
{
	(void) arg;
	(void) ms;
}

static const WxaTransport fake_transport = {
	fake_start, fake_stop, fake_progress, fake_next_done, fake_sockets, fake_timeout, NULL,
	fake_alarm, NULL, NULL
};

/* Finish live transfer t: an HTTP answer (status, body) or, with status 0, a network failure. */
static void
fake_finish(WxaTransfer *t, long status, const char *body)
{
	bool		too_large;

	fake_forget(fake.live, &fake.nlive, t);
	if (status == 0)
	{
		t->failed = true;
		t->fail_kind = WXA_ERR_NETWORK;
		strcpy(t->fail_message, "connection reset");
	}
	else
	{
		t->http_status = status;
		if (body)
			(void) wxa_transfer_append(t, body, strlen(body), &too_large);
	}
	t->done = true;
	fake.done[fake.ndone++] = t;
}

/* The first live transfer whose URL contains part, or NULL. */
static inline WxaTransfer *
fake_find(const char *part)
{
	for (int i = 0; i < fake.nlive; i++)
		if (strstr(fake.live[i]->url, part))
			return fake.live[i];
	return NULL;
}

static inline int
fake_count(const char *part)
{
	int			n = 0;

	for (int i = 0; i < fake.nlive; i++)
		if (strstr(fake.live[i]->url, part))
			n++;
	return n;
}

static void
fake_reset(void)
{
	wxa_engine_shutdown();
	memset(&fake, 0, sizeof(fake));
	wxa_engine_init(&fake_transport);
}

#endif
