/*
 * reader_memo.c — what a restarted table reader remembers, within work_mem.
 *
 * A batched join starts its reader once per outer row, a nested loop its scan
 * once per rescan: over a million outer rows the same few hundred values come
 * back again and again. Each time, the reader would plan the same periods,
 * look each up in the statement's store and run every cell of their rows
 * through its input function again. Like PostgreSQL's Memoize, it remembers
 * instead: the periods (with their store entries) of each set of restriction
 * values it has seen, keyed by the values' bytes, and the rows of each period
 * it has read, converted. Both live in one context; when it reaches work_mem
 * the reader remembers nothing more (what it holds stays valid: a reader may be
 * in the middle of a period's rows) and works as it would without it.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "scan.h"

#include "common/hashfn.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

/* One set of restriction values seen, and the periods it planned. */
typedef struct WxaRemembered
{
	struct WxaRemembered *next; /* another set with the same hash */
	Size		length;
	char	   *image;			/* the values' bytes (restriction_image) */
	int			nperiods;
	long		planned;
	WxaPlanNone no_requests_why;
	ScanPeriod *periods;		/* with their store entries */
} WxaRemembered;

typedef struct StartBucket
{
	uint32		hash;			/* the key */
	WxaRemembered *starts;
} StartBucket;

typedef struct RowsEntry
{
	const WxaStoredPeriod *entry;	/* the key */
	WxaReadyRows *rows;
} RowsEntry;

struct WxaReaderMemo
{
	MemoryContext context;
	bool		full;			/* reached work_mem: remember nothing more */
	HTAB	   *starts;			/* StartBucket by hash of the values' bytes */
	HTAB	   *rows;			/* RowsEntry by store entry */
	int16	   *typlens;		/* per restriction value */
	bool	   *typbyvals;
	StringInfoData image;		/* restriction_image's buffer */
	uint32		image_hash;		/* and its hash */
};

static WxaReaderMemo *
memo_of(WxaTableReader *state)
{
	WxaReaderMemo *memo = state->memo;
	HASHCTL		ctl;
	int			nvalues = state->nvalues;

	if (memo)
		return memo;
	memo = MemoryContextAllocZero(state->context, sizeof(WxaReaderMemo));
	memo->context = AllocSetContextCreate(state->context, "wxa_fdw reader memo",
										  ALLOCSET_DEFAULT_SIZES);
	ctl.keysize = sizeof(uint32);
	ctl.entrysize = sizeof(StartBucket);
	ctl.hcxt = memo->context;
	memo->starts = hash_create("wxa_fdw remembered starts", 256, &ctl,
							   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	ctl.keysize = sizeof(const WxaStoredPeriod *);
	ctl.entrysize = sizeof(RowsEntry);
	memo->rows = hash_create("wxa_fdw converted rows", 256, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memo->typlens = MemoryContextAlloc(state->context, sizeof(int16) * (nvalues + 1));
	memo->typbyvals = MemoryContextAlloc(state->context, sizeof(bool) * (nvalues + 1));
	for (int i = 0; i < nvalues; i++)
		get_typlenbyval(state->qual_types[i], &memo->typlens[i], &memo->typbyvals[i]);
	memo->image.data = NULL;
	state->memo = memo;
	return memo;
}

/* Has the memo reached work_mem? Then it stays as it is. */
static bool
memo_full(WxaReaderMemo *memo)
{
	if (!memo->full && MemoryContextMemAllocated(memo->context, true) > (Size) work_mem * 1024)
		memo->full = true;
	return memo->full;
}

/*
 * The restriction values as bytes: per value a null flag, then its bytes
 * (a varlena detoasted and flattened). Equal bytes mean equal values, so the
 * same periods; equal values with other bytes are only a miss.
 */
static void
restriction_image(WxaReaderMemo *memo, int nvalues, Datum *values, bool *nulls)
{
	StringInfo	buf = &memo->image;

	if (buf->data == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(memo->context);

		initStringInfo(buf);
		MemoryContextSwitchTo(old);
	}
	resetStringInfo(buf);
	for (int i = 0; i < nvalues; i++)
	{
		appendStringInfoChar(buf, nulls[i] ? 'n' : 'v');
		if (nulls[i])
			continue;
		if (memo->typbyvals[i])
			appendBinaryStringInfo(buf, (const char *) &values[i], sizeof(Datum));
		else if (memo->typlens[i] == -1)
		{
			struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(values[i]));
			uint32		size = VARSIZE_ANY_EXHDR(v);

			appendBinaryStringInfo(buf, (const char *) &size, sizeof(size));
			appendBinaryStringInfo(buf, VARDATA_ANY(v), size);
		}
		else
		{
			Size		size = datumGetSize(values[i], false, memo->typlens[i]);

			appendBinaryStringInfo(buf, (const char *) &size, sizeof(size));
			appendBinaryStringInfo(buf, DatumGetPointer(values[i]), size);
		}
	}
}

const WxaRemembered *
wxa_memo_recall(WxaTableReader *state, Datum *values, bool *nulls)
{
	WxaReaderMemo *memo = memo_of(state);
	StartBucket *bucket;

	restriction_image(memo, state->nvalues, values, nulls);
	memo->image_hash = hash_bytes((const unsigned char *) memo->image.data, memo->image.len);
	bucket = hash_search(memo->starts, &memo->image_hash, HASH_FIND, NULL);
	for (WxaRemembered *s = bucket ? bucket->starts : NULL; s; s = s->next)
		if (s->length == (Size) memo->image.len && memcmp(s->image, memo->image.data, s->length) == 0)
			return s;
	return NULL;
}

void
wxa_memo_apply(WxaTableReader *state, const WxaRemembered *s)
{
	memcpy(wxa_reader_periods(state), s->periods, sizeof(ScanPeriod) * s->nperiods);
	state->nperiods = s->nperiods;
	state->planned = s->planned;
	state->no_requests_why = s->no_requests_why;
}

void
wxa_memo_keep(WxaTableReader *state)
{
	WxaReaderMemo *memo = state->memo;
	StartBucket *bucket;
	WxaRemembered *s;
	bool		found;

	/* the image is the one wxa_memo_recall just made and missed */
	if (memo == NULL || memo->image.data == NULL || memo_full(memo))
		return;
	bucket = hash_search(memo->starts, &memo->image_hash, HASH_ENTER, &found);
	if (!found)
		bucket->starts = NULL;
	s = MemoryContextAlloc(memo->context, sizeof(WxaRemembered));
	s->length = memo->image.len;
	s->image = MemoryContextAlloc(memo->context, s->length + 1);
	memcpy(s->image, memo->image.data, s->length);
	s->nperiods = state->nperiods;
	s->planned = state->planned;
	s->no_requests_why = state->no_requests_why;
	s->periods = MemoryContextAlloc(memo->context, sizeof(ScanPeriod) * (s->nperiods + 1));
	memcpy(s->periods, state->periods, sizeof(ScanPeriod) * s->nperiods);
	s->next = bucket->starts;
	bucket->starts = s;
}

const WxaReadyRows *
wxa_memo_ready_rows(WxaTableReader *state, WxaStoredPeriod *entry, TupleTableSlot *slot)
{
	WxaReaderMemo *memo = memo_of(state);
	RowsEntry  *re;
	bool		found;
	const WxaStoredRows *stored;
	WxaReadyRows *ready;
	TupleDesc	desc = slot->tts_tupleDescriptor;
	MemoryContext old;

	re = hash_search(memo->rows, &entry, memo_full(memo) ? HASH_FIND : HASH_ENTER, &found);
	if (re == NULL)
		return NULL;
	if (found)
		return re->rows;
	re->rows = NULL;

	/* convert every row once, into the memo (the input functions' garbage counts too) */
	stored = wxa_store_pin(entry);
	PG_TRY();
	{
		old = MemoryContextSwitchTo(memo->context);
		ready = palloc(sizeof(WxaReadyRows));
		ready->nrows = wxa_stored_nrows(stored);
		ready->values = palloc(sizeof(Datum) * ready->nrows * state->natts + 1);
		ready->isnull = palloc(sizeof(bool) * ready->nrows * state->natts + 1);
		for (int r = 0; r < ready->nrows; r++)
		{
			wxa_reader_convert_row(state, stored, r, slot);
			for (int a = 0; a < state->natts; a++)
			{
				Form_pg_attribute att = TupleDescAttr(desc, a);

				ready->isnull[r * state->natts + a] = slot->tts_isnull[a];
				ready->values[r * state->natts + a] = slot->tts_isnull[a] ? (Datum) 0 :
					datumCopy(slot->tts_values[a], att->attbyval, att->attlen);
			}
		}
		MemoryContextSwitchTo(old);
	}
	PG_FINALLY();
	{
		wxa_store_unpin(entry);
	}
	PG_END_TRY();
	re->rows = ready;
	return ready;
}
