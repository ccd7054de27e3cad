/*
 * scan_async.c — a scan as an asynchronous child of an Append (PostgreSQL
 * 14+): every child submits its requests before any waits, and the Append
 * waits on the request engine's one fd for all of them.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "executor/execAsync.h"
#include "executor/instrument.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/execnodes.h"
#include "storage/latch.h"

#ifdef WXA_HAVE_ASYNC_FDW

bool
wxaIsForeignPathAsyncCapable(ForeignPath *path)
{
	WxaPlanInfo *info = path->path.parent->fdw_private;

	return info->async_capable;
}

/*
 * Answer areq with the next row (filtered and projected by the executor) if
 * there is one without waiting, or with none at the end; else leave it pending.
 * ExecProcNodeReal, as postgres_fdw: the callers instrument the node already
 * (ExecAsyncRequest, ExecAsyncNotify; ConfigureWait counts its row itself),
 * and ExecProcNode's instrumented variant would start the node's timer twice.
 */
static void
produce_async(AsyncRequest *areq)
{
	WxaTableReader *state = ((ForeignScanState *) areq->requestee)->fdw_state;
	TupleTableSlot *result = areq->requestee->ExecProcNodeReal(areq->requestee);

	if (!TupIsNull(result))
		ExecAsyncRequestDone(areq, result);
	else if (state->would_wait)
		ExecAsyncRequestPending(areq);
	else
		ExecAsyncRequestDone(areq, NULL);
}

/* The first request of the Append: every async child submits its requests before any waits. */
void
wxaForeignAsyncRequest(AsyncRequest *areq)
{
	produce_async(areq);
}

static bool
is_our_request(AsyncRequest *areq)
{
	return IsA(areq->requestee, ForeignScanState) &&
		((ForeignScanState *) areq->requestee)->fdwroutine->ForeignAsyncNotify != NULL &&
		((ForeignScanState *) areq->requestee)->fdwroutine->IsForeignPathAsyncCapable ==
		wxaIsForeignPathAsyncCapable;
}

/*
 * The Append is about to wait. The engine serves all our scans with one fd:
 * only the first of them still pending adds it, and a scan whose answer
 * already came is answered now, as postgres_fdw's complete_pending_request.
 * Only that first scan lets the engine read its sockets: a read by a later
 * scan, after the fd is added, would take the readiness the Append then waits
 * for, and an answer read that way would sit until the engine's alarm.
 */
void
wxaForeignAsyncConfigureWait(AsyncRequest *areq)
{
	AppendState *append = (AppendState *) areq->requestor;
	bool		holds_fd = true;
	int			i = -1;

	while ((i = bms_next_member(append->as_asyncplans, i)) >= 0 && i < areq->request_index)
	{
		AsyncRequest *other = append->as_asyncrequests[i];

		if (other->callback_pending && is_our_request(other))
		{
			holds_fd = false;
			break;
		}
	}
	if (holds_fd)
		wxa_engine_ready(NULL, 0);
	areq->callback_pending = false;
	produce_async(areq);
	if (!areq->callback_pending)
	{
		/*
		 * Answered here, outside ExecAsyncRequest and ExecAsyncNotify, which
		 * instrument the node around the callbacks they call: count the row
		 * ourselves, as postgres_fdw's complete_pending_request does.
		 */
		ExecAsyncResponse(areq);
		if (areq->requestee->instrument)
			InstrUpdateTupleCount(areq->requestee->instrument,
								  TupIsNull(areq->result) ? 0.0 : 1.0);
		return;
	}
	/* a wait that ended without a notification (the Append only polled) is not counted */
	((WxaTableReader *) ((ForeignScanState *) areq->requestee)->fdw_state)->async_wait_started =
		wxa_monotonic_ms();
	if (holds_fd)
		AddWaitEventToSet(append->as_eventset, WL_SOCKET_READABLE,
						  wxa_wait_engine_fd(WXA_ASYNC_WAIT_MS), NULL, areq);
}

/*
 * The Append waited for every scan of ours that was pending (they all watch the
 * engine's one fd): that wait is each one's Network wait, as a scan's own wait
 * is outside an Append.
 */
static void
count_append_wait(AsyncRequest *areq)
{
	AppendState *append = (AppendState *) areq->requestor;
	double		now = wxa_monotonic_ms();
	int			i = -1;

	while ((i = bms_next_member(append->as_asyncplans, i)) >= 0)
	{
		AsyncRequest *other = append->as_asyncrequests[i];
		WxaTableReader *state;

		/* the Append clears the notified request's callback_pending first */
		if ((other != areq && !other->callback_pending) || !is_our_request(other))
			continue;
		state = ((ForeignScanState *) other->requestee)->fdw_state;
		if (state->async_wait_started > 0)
			state->totals.wait_ms += now - state->async_wait_started;
		state->async_wait_started = 0;
	}
}

/* The engine's fd is ready: let it act, then answer if this scan can. */
void
wxaForeignAsyncNotify(AsyncRequest *areq)
{
	count_append_wait(areq);
	wxa_engine_ready(NULL, 0);
	CHECK_FOR_INTERRUPTS();
	produce_async(areq);
}
#endif							/* WXA_HAVE_ASYNC_FDW */
