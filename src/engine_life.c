/*
 * engine_life.c — the request engine under PostgreSQL's process and
 * transaction rules.
 *
 * _PG_init only does libcurl's global setup: under shared_preload_libraries
 * it runs in the postmaster, and a multi handle, epoll set or timer created
 * there would be shared by every backend it forks. The engine is created in
 * each backend on first use (core/wxa_engine.c); then this backend registers
 * the engine's release at its exit, and the transaction callbacks that end a
 * statement's requests with the statement, as postgres_fdw's connection.c
 * ends its remote transactions: a (sub)transaction's abort stops every
 * transfer of the batches it started, whatever path the abort took (ERROR,
 * cancel, ROLLBACK TO SAVEPOINT, a PL/pgSQL exception block), so that none
 * keeps running or holds a slot of max_total_concurrency. The batches
 * themselves are freed by their owners' memory as before.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/xact.h"
#include "storage/ipc.h"

/* Batches belong to the transaction nest level that created them. */
static int
current_level(void)
{
	return GetCurrentTransactionNestLevel();
}

static void
release_engine(int code, Datum arg)
{
	wxa_engine_shutdown();
}

/*
 * A transaction's end ends all its requests. At commit none should be left
 * (each statement frees its batches at its end); any that is stops too.
 */
static void
xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			wxa_engine_abandon(0);
			break;
		default:
			break;
	}
}

/* A subtransaction's abort ends what it started; at its commit its parent takes it over. */
static void
subxact_callback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid,
				 void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (event == SUBXACT_EVENT_ABORT_SUB)
		wxa_engine_abandon(level);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		wxa_engine_reown(level, level - 1);
}

/* The engine was just created in this backend. */
static void
engine_attached(void)
{
	static bool registered = false;

	/* once per process: the callbacks outlive a release (a new engine reuses them) */
	if (registered)
		return;
	registered = true;
	on_proc_exit(release_engine, (Datum) 0);
	RegisterXactCallback(xact_callback, NULL);
	RegisterSubXactCallback(subxact_callback, NULL);
}

void
wxa_engine_life_init(void)
{
	WxaEngineHooks hooks = {.attached = engine_attached,.owner = current_level};

	wxa_engine_set_hooks(&hooks);
}
