/*
 * engine_life.c — the request engine under PostgreSQL's process and
 * resource rules.
 *
 * _PG_init only does libcurl's global setup: under shared_preload_libraries
 * it runs in the postmaster, and a multi handle, epoll set or timer created
 * there would be shared by every backend it forks. The engine is created in
 * each backend on first use (core/wxa_engine.c); the backend then registers
 * the engine's release at its exit, and a resource-owner release callback.
 *
 * Each batch belongs to the ResourceOwner current when it was created: the
 * portal of the statement or cursor that runs the scan, or the (sub)transaction
 * of a function's statement. When that owner is released, on every path (the
 * portal's end, ERROR, cancel, ROLLBACK TO SAVEPOINT, a PL/pgSQL exception
 * block), the batch's transfers stop and its unfinished requests fail at
 * once, so none keeps running or holds a slot of max_total_concurrency; the
 * batch itself is freed by its owner's memory as before. postgres_fdw ends
 * its remote work from (sub)transaction callbacks by nest level instead; a
 * resource owner is the finer unit here: a cursor opened outside a
 * subtransaction and first read inside it keeps its requests when the
 * subtransaction aborts, as the cursor itself lives on. A transaction's
 * abort ends whatever is left.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/xact.h"
#include "storage/ipc.h"
#include "utils/resowner.h"

static const void *
current_owner(void)
{
	return CurrentResourceOwner;
}

static void
release_engine(int code, Datum arg)
{
	wxa_engine_shutdown();
}

/* While an owner is released, CurrentResourceOwner is that owner. */
static void
owner_released(ResourceReleasePhase phase, bool isCommit, bool isTopLevel, void *arg)
{
	if (phase == RESOURCE_RELEASE_BEFORE_LOCKS && CurrentResourceOwner != NULL)
		wxa_engine_abandon(CurrentResourceOwner);
}

static void
xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		wxa_engine_abandon(NULL);
}

/* The engine was just created in this backend. */
static void
engine_attached(void)
{
	static bool registered = false;

	/* once per process: a later engine (after a release) is served by the same callbacks */
	if (registered)
		return;
	registered = true;
	on_proc_exit(release_engine, (Datum) 0);
	RegisterResourceReleaseCallback(owner_released, NULL);
	RegisterXactCallback(xact_callback, NULL);
}

void
wxa_engine_life_init(void)
{
	WxaEngineHooks hooks = {.attached = engine_attached,.owner = current_owner};

	wxa_engine_set_hooks(&hooks);
}
