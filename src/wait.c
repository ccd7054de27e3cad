/*
 * wait.c — PostgreSQL does the waiting for the request engine.
 *
 * The engine (core/wxa_http.h) never blocks: it says which sockets to watch
 * and for how long. Here the backend waits on them with a WaitEventSet, as
 * postgres_fdw waits for libpq: the latch wakes it for a cancel or a
 * terminate, WL_EXIT_ON_PM_DEATH ends it with the postmaster, the wait shows
 * in pg_stat_activity (wait_event_type 'Extension'), and interrupts are
 * handled between waits, never inside curl. A backend's own waits and an
 * asynchronous Append's wait on the same thing: the engine's one fd
 * (wxa_wait_engine_fd).
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include <time.h>

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#if PG_VERSION_NUM >= 170000
#include "utils/wait_event.h"
#else
#include "pgstat.h"
#endif

/* Longest single wait: a safety net, the engine's timeout is normally shorter. */
#define WXA_LONGEST_WAIT_MS 1000

int			wxa_max_total_concurrency = 64;

double
wxa_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

uint32
wxa_wait_event(void)
{
#ifdef WXA_HAVE_CUSTOM_WAIT_EVENTS
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("WxaFdwWeChat");
	return event;
#else
	return PG_WAIT_EXTENSION;
#endif
}

static WaitEventSet *
new_wait_set(int nevents)
{
	return wxa_create_wait_event_set(nevents);
}

static void
max_total_changed(int newval, void *extra)
{
	wxa_engine_set_max_total(newval);
}

void
wxa_wait_init(void)
{
	DefineCustomIntVariable("wxa_fdw.max_total_concurrency",
							"Requests to WeChat in flight at once in one backend.",
							"Over all scans, servers and functions; each server's max_concurrency still bounds that server.",
							&wxa_max_total_concurrency,
							64, 1, 1024,
							PGC_USERSET, 0,
							NULL, max_total_changed, NULL);
	wxa_engine_set_max_total(wxa_max_total_concurrency);
	wxa_engine_life_init();
}

/*
 * The engine's part of every wait, a backend's own and an asynchronous
 * Append's: one fd that becomes readable when the engine has work (a socket
 * is ready, a curl timer or a retry is due) or longest_ms (-1: no limit) have
 * passed; -1 where the transport has none (then only wxa_wait_engine's
 * fallback waits, and Appends do not run our scans asynchronously).
 */
int
wxa_wait_engine_fd(long longest_ms)
{
	return wxa_engine_wait_fd(longest_ms);
}

/* Where there is no one fd: wait on the engine's sockets and timeout themselves. */
static int
wait_on_sockets(WaitEventSet **set, WxaSocket **sockets, WaitEvent **occurred, long *timeout)
{
	int			nsockets;

	*sockets = palloc(sizeof(WxaSocket) * (wxa_max_total_concurrency + 64));
	nsockets = wxa_engine_wait_spec(*sockets, wxa_max_total_concurrency + 64, timeout);
	if (*timeout < 0 || *timeout > WXA_LONGEST_WAIT_MS)
		*timeout = WXA_LONGEST_WAIT_MS;
	*occurred = palloc(sizeof(WaitEvent) * (nsockets + 2));
	*set = new_wait_set(nsockets + 2);
	return nsockets;
}

/*
 * Wait once for the engine: until it has work, its timeout passes, or the
 * latch is set. Then let it act, and handle interrupts.
 */
void
wxa_wait_engine(void)
{
	WxaSocket  *sockets = NULL;
	WxaSocket  *ready;
	WaitEvent  *occurred;
	long		timeout = WXA_LONGEST_WAIT_MS;
	int			nsockets = 0;
	int			nready = 0;
	int			noccurred = 0;
	int			fd = wxa_wait_engine_fd(WXA_LONGEST_WAIT_MS);
	WaitEventSet *set;

	if (fd >= 0)
	{
		occurred = palloc(sizeof(WaitEvent) * 3);
		set = new_wait_set(3);
	}
	else
		nsockets = wait_on_sockets(&set, &sockets, &occurred, &timeout);
	ready = palloc(sizeof(WxaSocket) * (nsockets + 1));
	PG_TRY();
	{
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, NULL);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, NULL, NULL);
		if (fd >= 0)
			AddWaitEventToSet(set, WL_SOCKET_READABLE, fd, NULL, NULL);
		for (int i = 0; i < nsockets; i++)
		{
			uint32		events = (sockets[i].readable ? WL_SOCKET_READABLE : 0) |
				(sockets[i].writable ? WL_SOCKET_WRITEABLE : 0);

			if (events)
				AddWaitEventToSet(set, events, sockets[i].fd, NULL, NULL);
		}
		noccurred = WaitEventSetWait(set, timeout, occurred, nsockets + 2, wxa_wait_event());
	}
	PG_CATCH();
	{
		FreeWaitEventSet(set);
		PG_RE_THROW();
	}
	PG_END_TRY();
	FreeWaitEventSet(set);

	for (int i = 0; i < noccurred; i++)
	{
		WaitEvent  *e = &occurred[i];

		if (e->events & WL_LATCH_SET)
			ResetLatch(MyLatch);
		/* the one fd says only that the engine has work: it finds which sockets itself */
		if (fd < 0 && (e->events & (WL_SOCKET_READABLE | WL_SOCKET_WRITEABLE)))
		{
			ready[nready].fd = e->fd;
			ready[nready].readable = (e->events & WL_SOCKET_READABLE) != 0;
			ready[nready].writable = (e->events & WL_SOCKET_WRITEABLE) != 0;
			nready++;
		}
	}
	/* curl acts on what is ready; it raises nothing, so a cancel waits no longer than this */
	wxa_engine_ready(ready, nready);
	if (sockets)
		pfree(sockets);
	pfree(ready);
	pfree(occurred);
	CHECK_FOR_INTERRUPTS();
}

/*
 * Wait for request index: 0 when it succeeded; 1 with err when it (own) or
 * any request of the batch (!own) failed for good; -1 with err when the
 * failure concerns the whole batch (own: no access token could be had). A
 * cancel ends the wait with an ERROR.
 */
static int
wait_for(WxaBatch *batch, int index, bool own, WxaError *err)
{
	for (;;)
	{
		double		started;
		bool		whole_batch = true;
		WxaPollResult result = own ? wxa_batch_poll_own(batch, index, &whole_batch, err) :
			wxa_batch_poll(batch, index, err);

		switch (result)
		{
			case WXA_POLL_DONE:
				return 0;
			case WXA_POLL_FAILED:
				return whole_batch ? -1 : 1;
			case WXA_POLL_PENDING:
				break;
		}
		started = wxa_monotonic_ms();
		wxa_wait_engine();
		wxa_batch_add_wait(batch, wxa_monotonic_ms() - started);
	}
}

/* 0 when request index succeeded, -1 with err when it or another request of the batch failed. */
int
wxa_batch_wait(WxaBatch *batch, int index, WxaError *err)
{
	return wait_for(batch, index, false, err);
}

/*
 * Request index's own outcome (the batch code images keep the other requests'
 * results whatever happens to this one): 0 when it succeeded; 1 with err when
 * it failed for good; -1 with err when the failure concerns the whole batch
 * (no access token could be had).
 */
int
wxa_batch_wait_own(WxaBatch *batch, int index, WxaError *err)
{
	return wait_for(batch, index, true, err);
}

/* The batch of a call to wxa_http_fetch, freed even when the wait ends in an error. */
int
wxa_http_fetch(const WxaHttpOptions *options, const WxaTokenProvider *tokens,
			   const char *url, const char *body, bool with_token, const char *what,
			   char **response, size_t *len, WxaHttpStats *stats, WxaError *err)
{
	WxaBatch   *batch = wxa_batch_new(options, tokens);
	int			rc = -1;

	*response = NULL;
	*len = 0;
	wxa_error_clear(err);
	if (batch == NULL || wxa_batch_add(batch, url, body, with_token, what) != 0)
	{
		wxa_batch_free(batch);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	PG_TRY();
	{
		if (wxa_batch_wait(batch, 0, err) == 0)
		{
			*response = wxa_batch_take_response(batch, 0, len);
			rc = *response ? 0 : -1;
		}
	}
	PG_FINALLY();
	{
		if (stats)
			wxa_http_stats_add(stats, wxa_batch_stats(batch));
		wxa_batch_free(batch);
	}
	PG_END_TRY();
	return rc;
}
