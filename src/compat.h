/*
 * compat.h — what newer PostgreSQL versions provide and older ones (13, 14) lack, and the
 * few interfaces that changed between 13 and 18, behind one spelling.
 */
#ifndef WXA_COMPAT_H
#define WXA_COMPAT_H

#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/tuplestore.h"

/* 18 replaced pg_attribute_noreturn() (after the declaration) by pg_noreturn (before it) */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * create_foreignscan_path: 17 added fdw_restrictinfo, 18 disabled_nodes (never disabled here:
 * foreign scans are the only way to read a foreign table).
 */
#if PG_VERSION_NUM >= 180000
#define wxa_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
									required_outer, outerpath, private) \
	create_foreignscan_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							required_outer, outerpath, NIL, private)
#elif PG_VERSION_NUM >= 170000
#define wxa_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
									required_outer, outerpath, private) \
	create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
							required_outer, outerpath, NIL, private)
#else
#define wxa_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
									required_outer, outerpath, private) \
	create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
							required_outer, outerpath, private)
#endif

/*
 * 18 counts the disabled nodes (enable_seqscan = off ...) of every path apart from its cost;
 * a path made by hand (the batched join's CustomPath) carries those of its children.
 */
#if PG_VERSION_NUM >= 180000
#define wxa_path_disabled_nodes(path) ((path)->disabled_nodes)
#define wxa_set_path_disabled_nodes(path, n) ((path)->disabled_nodes = (n))
#else
#define wxa_path_disabled_nodes(path) 0
#define wxa_set_path_disabled_nodes(path, n) ((void) (n))
#endif

/* Does an Append prune its subplans at run time? 18 keeps the pruning info in the PlannedStmt. */
#if PG_VERSION_NUM >= 180000
#define wxa_append_prunes(append) ((append)->part_prune_index >= 0)
#else
#define wxa_append_prunes(append) ((append)->part_prune_info != NULL)
#endif

#if PG_VERSION_NUM < 150000
/* A materialized set-returning call: rsinfo->setResult and setDesc ready (as 15's funcapi.c). */
static inline void
InitMaterializedSRF(FunctionCallInfo fcinfo, bits32 flags)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	TupleDesc	desc;

	(void) flags;
	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setDesc = CreateTupleDescCopy(desc);
	rsinfo->setResult = tuplestore_begin_heap(true, false, work_mem);
	MemoryContextSwitchTo(old);
}
#endif

#if PG_VERSION_NUM < 140000
static inline bool
pg_is_ascii(const char *s)
{
	for (; *s; s++)
		if (IS_HIGHBIT_SET(*s))
			return false;
	return true;
}
#endif

/*
 * Waiting (wait.c): 17 gave CreateWaitEventSet a ResourceOwner instead of a
 * MemoryContext, and custom wait event names (WaitEventExtensionNew); before
 * 17 every extension wait shows as "Extension".
 */
#if PG_VERSION_NUM >= 170000
#define wxa_create_wait_event_set(nevents) CreateWaitEventSet(CurrentResourceOwner, nevents)
#define WXA_HAVE_CUSTOM_WAIT_EVENTS 1
#else
#define wxa_create_wait_event_set(nevents) CreateWaitEventSet(CurrentMemoryContext, nevents)
#endif

/* 15 renamed EmitWarningsOnPlaceholders (which only warned) and made it reserve the prefix */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/* The asynchronous foreign-scan API (Append over foreign scans) exists from 14 on. */
#if PG_VERSION_NUM >= 140000
#define WXA_HAVE_ASYNC_FDW 1
/* the executor node's, which EvalPlanQual turns off, not the plan's */
#define wxa_node_async_capable(ps) ((ps)->async_capable)
#else
#define wxa_node_async_capable(ps) false
#endif

/* A lock taken only if free at once and only if the lock table has room: 18 added logLockFailure. */
#if PG_VERSION_NUM >= 180000
#define wxa_lock_if_free(tag, mode) \
	(LockAcquireExtended((tag), (mode), false, true, false, NULL, false) != LOCKACQUIRE_NOT_AVAIL)
#else
#define wxa_lock_if_free(tag, mode) \
	(LockAcquireExtended((tag), (mode), false, true, false, NULL) != LOCKACQUIRE_NOT_AVAIL)
#endif

#endif
