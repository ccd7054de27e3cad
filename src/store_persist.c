/*
 * store_persist.c — the period store's second layer: settled periods kept in
 * the extension's table wxa_store_periods, read and written for the first
 * layer (store_persist.h says the contract).
 *
 * Safety first: the store runs inside the user's transaction, so it never
 * waits (conditional locks, skipped when busy), never fails the statement
 * (writes in an internal subtransaction whose error is swallowed), never
 * writes where a write could be unsafe, and serves stored rows only to a
 * credential proven for the appid. Its SQL runs as the extension's owner,
 * fully schema-qualified, under a pinned search_path (wxa_store_run,
 * store_owner.c).
 */
#include "postgres.h"

#include "store_persist.h"
#include "store_owner.h"

#include "access/transam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/hmac.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/wxa_date.h"

/* locktag_field4 of the store's advisory locks: the SQL functions use 1 and 2, so no user lock collides */
#define STORE_LOCK_CLASS 0x5778

#define VERIFIER_LEN 32			/* HMAC-SHA256 */

/* ---------------------------------------------------------------- settings */

bool
wxa_persist_enabled(Oid foreigntableid, const WxaConfig *config)
{
	return wxa_table_store(foreigntableid, config);
}

bool
wxa_persist_settled(const WxaConfig *config, const WxaPeriod *period)
{
	DateADT		yesterday = wxa_statement_yesterday(config->timezone);

	return (int64) period->last <= (int64) yesterday - config->store_after_days;
}

/* ---------------------------------------------------------------- proof of the credential */

/*
 * Credentials proven in this backend: the verifier of a secret or an
 * access_token for (appid, api_base_url). A few per backend; the oldest
 * forgotten beyond the limit.
 */
typedef struct Proof
{
	char	   *appid;
	char	   *api_base_url;
	uint8		verifier[VERIFIER_LEN];
	TransactionId recorded_by;	/* the transaction that wrote a secret's verifier to the table */
} Proof;

#define MAX_PROOFS 64
static Proof proofs[MAX_PROOFS];
static int	nproofs;

/*
 * HMAC-SHA256 keyed by the credential of "wxa_fdw store" appid api_base_url
 * (NUL-separated): one credential's verifier differs per appid and per URL.
 */
static void
credential_verifier(const WxaConfig *config, uint8 *out)
{
	const char *credential = config->secret ? config->secret : config->access_token;
	const char *parts[3] = {config->access_token && !config->secret ? "wxa_fdw store token" :
	"wxa_fdw store secret", config->appid, config->api_base_url};
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	bool		ok;

	if (ctx == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	ok = pg_hmac_init(ctx, (const uint8 *) credential, strlen(credential)) == 0;
	for (int i = 0; ok && i < 3; i++)
		ok = pg_hmac_update(ctx, (const uint8 *) parts[i], strlen(parts[i]) + 1) == 0;
	ok = ok && pg_hmac_final(ctx, out, VERIFIER_LEN) == 0;
	pg_hmac_free(ctx);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the verifier of the period store")));
}

static Proof *
find_proof(const WxaConfig *config, const uint8 *verifier)
{
	for (int i = 0; i < nproofs; i++)
		if (strcmp(proofs[i].appid, config->appid) == 0 &&
			strcmp(proofs[i].api_base_url, config->api_base_url) == 0 &&
			memcmp(proofs[i].verifier, verifier, VERIFIER_LEN) == 0)
			return &proofs[i];
	return NULL;
}

static Proof *
remember_proof(const WxaConfig *config, const uint8 *verifier)
{
	Proof	   *p;

	if (nproofs == MAX_PROOFS)
	{
		pfree(proofs[0].appid);
		pfree(proofs[0].api_base_url);
		memmove(&proofs[0], &proofs[1], sizeof(Proof) * (MAX_PROOFS - 1));
		nproofs--;
	}
	p = &proofs[nproofs];
	p->appid = MemoryContextStrdup(TopMemoryContext, config->appid);
	p->api_base_url = MemoryContextStrdup(TopMemoryContext, config->api_base_url);
	memcpy(p->verifier, verifier, VERIFIER_LEN);
	p->recorded_by = InvalidTransactionId;
	nproofs++;
	return p;
}

/* Is the verifier in the table (written by a transaction that committed, or is ours)? */
static bool
proof_recorded(const Proof *p)
{
	TransactionId xid = p->recorded_by;

	return TransactionIdIsValid(xid) &&
		(TransactionIdIsCurrentTransactionId(xid) || TransactionIdDidCommit(xid));
}

static bool
has_credential(const WxaConfig *config)
{
	return config->secret != NULL || config->access_token != NULL;
}

/* ---------------------------------------------------------------- writing safely */

/* May this transaction write to the store at all? */
static bool
write_allowed(void)
{
	return !XactReadOnly && !RecoveryInProgress() && !IsInParallelMode() &&
		!IsolationUsesXactSnapshot();
}

/* A conditional advisory lock of this transaction on a hash of the key; false when another holds it. */
static bool
try_key_lock(const char *kind, const WxaConfig *config, const char *endpoint,
			 int32 first, int32 days)
{
	StringInfoData key;
	uint64		h;
	LOCKTAG		tag;

	initStringInfo(&key);
	/* a collision of two keys only skips a write */
	appendStringInfo(&key, "%s\x1f%s\x1f%s\x1f%s\x1f%d\x1f%d", kind, config->appid,
					 config->api_base_url, endpoint ? endpoint : "", first, days);
	h = hash_bytes_extended((const unsigned char *) key.data, key.len, 0);
	pfree(key.data);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h, STORE_LOCK_CLASS);
	/* a full lock table, too, just skips the write */
	return wxa_lock_if_free(&tag, ExclusiveLock);
}

/* One INSERT of the store, for wxa_store_run(). */
typedef struct Insert
{
	const char *sql;
	int			nargs;
	Oid		   *types;
	Datum	   *values;
} Insert;

static void
insert_work(void *arg)
{
	const Insert *ins = arg;
	int			rc;

	rc = SPI_execute_with_args(ins->sql, ins->nargs, ins->types, ins->values, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "writing to the period store failed: %s", SPI_result_code_string(rc));
}

/*
 * Run one INSERT of the store as the owner in an internal subtransaction:
 * its failure is swallowed (with a DEBUG1 line), except a cancel, a
 * terminate or an out-of-memory, which go on as errors. The caller holds the
 * key locks and a RowExclusiveLock on the table, so the INSERT never waits.
 */
static bool
write_swallowing_errors(const WxaStoreCatalog *cat, const char *sql, int nargs,
						Oid *types, Datum *values)
{
	Insert		ins = {sql, nargs, types, values};

	return wxa_store_run(cat, true, insert_work, &ins);
}

void
wxa_persist_write(const WxaConfig *config, const WxaEndpoint *ep,
				  const WxaPeriod *periods, char *const *bodies,
				  const size_t *lens, int n)
{
	WxaStoreCatalog cat;
	Datum	   *firsts,
			   *days,
			   *answers;
	int			nkept = 0;
	Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, DATEARRAYOID, INT4ARRAYOID, BYTEAARRAYOID};
	Datum		values[6];
	char	   *sql;

	/* only a secret ties the answers to the appid: WeChat checks the pair when it issues the token */
	if (n <= 0 || config->secret == NULL || !write_allowed() || !wxa_store_catalog(&cat))
		return;
	/* wxa_store_forget holds the table in EXCLUSIVE mode: skip rather than wait */
	if (!ConditionalLockRelationOid(cat.periods, RowExclusiveLock))
		return;

	firsts = palloc(sizeof(Datum) * n);
	days = palloc(sizeof(Datum) * n);
	answers = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
	{
		bytea	   *answer;

		if (bodies[i] == NULL || !wxa_persist_settled(config, &periods[i]) ||
			lens[i] > MaxAllocSize - VARHDRSZ)
			continue;
		if (!try_key_lock("period", config, ep->name, periods[i].first, periods[i].days))
			continue;			/* another transaction is writing it */
		answer = palloc(VARHDRSZ + lens[i]);
		SET_VARSIZE(answer, VARHDRSZ + lens[i]);
		memcpy(VARDATA(answer), bodies[i], lens[i]);
		firsts[nkept] = DateADTGetDatum((DateADT) periods[i].first);
		days[nkept] = Int32GetDatum(periods[i].days);
		answers[nkept] = PointerGetDatum(answer);
		nkept++;
	}
	if (nkept > 0)
	{
		values[0] = CStringGetTextDatum(config->appid);
		values[1] = CStringGetTextDatum(config->api_base_url);
		values[2] = CStringGetTextDatum(ep->name);
		values[3] = PointerGetDatum(construct_array(firsts, nkept, DATEOID, sizeof(DateADT), true, TYPALIGN_INT));
		values[4] = PointerGetDatum(construct_array(days, nkept, INT4OID, sizeof(int32), true, TYPALIGN_INT));
		values[5] = PointerGetDatum(construct_array(answers, nkept, BYTEAOID, -1, false, TYPALIGN_INT));
		sql = psprintf("INSERT INTO %s.wxa_store_periods AS s "
					   "(appid, api_base_url, endpoint, first_day, days, answer) "
					   "SELECT $1, $2, $3, p.first_day, p.days, p.answer "
					   "FROM ROWS FROM (pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6)) "
					   "AS p(first_day, days, answer) "
					   "ON CONFLICT DO NOTHING", cat.schema);
		write_swallowing_errors(&cat, sql, 6, types, values);
		pfree(sql);
	}
	for (int i = 0; i < nkept; i++)
		pfree(DatumGetPointer(answers[i]));
	pfree(firsts);
	pfree(days);
	pfree(answers);
}

void
wxa_persist_proven(const WxaConfig *config)
{
	uint8		verifier[VERIFIER_LEN];
	Proof	   *proof;
	WxaStoreCatalog cat;
	Oid			types[3] = {TEXTOID, TEXTOID, BYTEAOID};
	Datum		values[3];
	bytea	   *v;
	char	   *sql;

	if (!has_credential(config))
		return;
	credential_verifier(config, verifier);
	proof = find_proof(config, verifier);
	if (proof == NULL)
		proof = remember_proof(config, verifier);
	/* an access_token is proven for this backend only; a secret once in the table */
	if (config->secret == NULL || proof_recorded(proof) || !write_allowed() ||
		!wxa_store_catalog(&cat) ||
		!ConditionalLockRelationOid(cat.verifiers, RowExclusiveLock) ||
		!try_key_lock("verifier", config, NULL, 0, 0))
		return;
	v = palloc(VARHDRSZ + VERIFIER_LEN);
	SET_VARSIZE(v, VARHDRSZ + VERIFIER_LEN);
	memcpy(VARDATA(v), verifier, VERIFIER_LEN);
	values[0] = CStringGetTextDatum(config->appid);
	values[1] = CStringGetTextDatum(config->api_base_url);
	values[2] = PointerGetDatum(v);
	/* a new secret (WeChat's "reset secret") replaces the old one's verifier */
	sql = psprintf("INSERT INTO %s.wxa_store_verifiers AS v (appid, api_base_url, verifier) "
				   "VALUES ($1, $2, $3) ON CONFLICT (appid, api_base_url) DO UPDATE "
				   "SET verifier = excluded.verifier, proven_at = pg_catalog.now() "
				   "WHERE v.verifier OPERATOR(pg_catalog.<>) excluded.verifier",
				   cat.schema);
	if (write_swallowing_errors(&cat, sql, 3, types, values))
		proof->recorded_by = GetTopTransactionIdIfAny();
	pfree(sql);
	pfree(v);
}

/* ---------------------------------------------------------------- reading */

/* The read's query and where its answers go, for wxa_store_run(). */
typedef struct Read
{
	const char *sql;
	Oid		   *types;
	Datum	   *values;
	int			nasked;
	const int  *index;			/* of the asked periods, in periods[] */
	MemoryContext caller;
	char	  **bodies;
	size_t	   *lens;
	int			found;
} Read;

static void
read_work(void *arg)
{
	Read	   *rd = arg;
	int			rc;

	rc = SPI_execute_with_args(rd->sql, 7, rd->types, rd->values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the period store failed: %s", SPI_result_code_string(rc));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[r];
		bool		isnull;
		int64		k = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull)) - 1;
		Datum		answer = SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull);
		bytea	   *b;
		size_t		len;
		int			i;

		if (isnull || k < 0 || k >= rd->nasked || rd->bodies[rd->index[k]] != NULL)
			continue;
		i = rd->index[k];
		b = DatumGetByteaPP(answer);
		len = VARSIZE_ANY_EXHDR(b);
		rd->bodies[i] = MemoryContextAlloc(rd->caller, len + 1);
		memcpy(rd->bodies[i], VARDATA_ANY(b), len);
		rd->bodies[i][len] = '\0';
		rd->lens[i] = len;
		rd->found++;
	}
}

int
wxa_persist_read(const WxaConfig *config, const WxaEndpoint *ep,
				 const WxaPeriod *periods, int n, char **bodies, size_t *lens)
{
	uint8		verifier[VERIFIER_LEN];
	bool		proven_here;
	WxaStoreCatalog cat;
	Datum	   *firsts,
			   *days;
	int		   *index;			/* of the asked periods, in periods[] */
	int			nasked = 0;
	bytea	   *v;
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, DATEARRAYOID, INT4ARRAYOID, BOOLOID, BYTEAOID};
	Datum		values[7];
	char	   *sql;
	Read		rd;

	for (int i = 0; i < n; i++)
	{
		bodies[i] = NULL;
		lens[i] = 0;
	}
	if (n <= 0 || !has_credential(config) || !wxa_store_catalog(&cat))
		return 0;
	credential_verifier(config, verifier);
	proven_here = find_proof(config, verifier) != NULL;
	/* an access_token has no verifier in the table: only this backend's proof counts */
	if (!proven_here && config->secret == NULL)
		return 0;
	/* a TRUNCATE or VACUUM FULL of the store: fetch rather than wait */
	if (!ConditionalLockRelationOid(cat.periods, AccessShareLock) ||
		!ConditionalLockRelationOid(cat.verifiers, AccessShareLock))
		return 0;

	firsts = palloc(sizeof(Datum) * n);
	days = palloc(sizeof(Datum) * n);
	index = palloc(sizeof(int) * n);
	for (int i = 0; i < n; i++)
	{
		/* each reader applies its own server's store_after_days */
		if (!wxa_persist_settled(config, &periods[i]))
			continue;
		firsts[nasked] = DateADTGetDatum((DateADT) periods[i].first);
		days[nasked] = Int32GetDatum(periods[i].days);
		index[nasked++] = i;
	}
	if (nasked == 0)
	{
		pfree(firsts);
		pfree(days);
		pfree(index);
		return 0;
	}
	v = palloc(VARHDRSZ + VERIFIER_LEN);
	SET_VARSIZE(v, VARHDRSZ + VERIFIER_LEN);
	memcpy(VARDATA(v), verifier, VERIFIER_LEN);
	values[0] = CStringGetTextDatum(config->appid);
	values[1] = CStringGetTextDatum(config->api_base_url);
	values[2] = CStringGetTextDatum(ep->name);
	values[3] = PointerGetDatum(construct_array(firsts, nasked, DATEOID, sizeof(DateADT), true, TYPALIGN_INT));
	values[4] = PointerGetDatum(construct_array(days, nasked, INT4OID, sizeof(int32), true, TYPALIGN_INT));
	values[5] = BoolGetDatum(proven_here);
	values[6] = PointerGetDatum(v);
	sql = psprintf("SELECT p.i, s.answer "
				   "FROM ROWS FROM (pg_catalog.unnest($4), pg_catalog.unnest($5)) "
				   "WITH ORDINALITY AS p(first_day, days, i) "
				   "JOIN %s.wxa_store_periods s "
				   "ON s.appid OPERATOR(pg_catalog.=) $1 "
				   "AND s.api_base_url OPERATOR(pg_catalog.=) $2 "
				   "AND s.endpoint OPERATOR(pg_catalog.=) $3 "
				   "AND s.first_day OPERATOR(pg_catalog.=) p.first_day "
				   "AND s.days OPERATOR(pg_catalog.=) p.days "
				   "WHERE $6 OR EXISTS (SELECT FROM %s.wxa_store_verifiers v "
				   "WHERE v.appid OPERATOR(pg_catalog.=) $1 "
				   "AND v.api_base_url OPERATOR(pg_catalog.=) $2 "
				   "AND v.verifier OPERATOR(pg_catalog.=) $7)",
				   cat.schema, cat.schema);

	rd.sql = sql;
	rd.types = types;
	rd.values = values;
	rd.nasked = nasked;
	rd.index = index;
	rd.caller = CurrentMemoryContext;
	rd.bodies = bodies;
	rd.lens = lens;
	rd.found = 0;
	(void) wxa_store_run(&cat, false, read_work, &rd);

	pfree(sql);
	pfree(v);
	pfree(firsts);
	pfree(days);
	pfree(index);
	return rd.found;
}
