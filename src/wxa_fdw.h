/*
 * wxa_fdw.h — declarations shared by the PostgreSQL side of wxa_fdw,
 * grouped by the file that defines them. Each .c file includes postgres.h
 * first, then this.
 */
#ifndef WXA_FDW_H
#define WXA_FDW_H

#include "fmgr.h"
#include "foreign/foreign.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "utils/date.h"

#include "compat.h"

#include "core/wxa_catalog.h"
#include "core/wxa_error.h"
#include "core/wxa_http.h"
#include "core/wxa_period.h"
#include "core/wxa_token.h"

/* Largest response body accepted; WeChat's biggest (an image, visit_page) is far smaller. */
#define WXA_MAX_BODY_BYTES ((size_t) 16 * 1024 * 1024)

/* What a period WeChat has not published yet does (option unpublished). */
typedef enum WxaUnpublished
{
	WXA_UNPUBLISHED_AUTO,		/* skipped when in the newest run and selected by no equality */
	WXA_UNPUBLISHED_ERROR,		/* the query fails (1.1) */
	WXA_UNPUBLISHED_SKIP		/* no rows */
} WxaUnpublished;

/* Everything one scan or function call needs to know about its server and user. */
typedef struct WxaConfig
{
	Oid			serverid;
	Oid			umid;			/* user mapping */
	char	   *server_name;
	char	   *appid;
	char	   *api_base_url;	/* without trailing slash */
	WxaTokenEndpoint token_endpoint;
	int			max_concurrency;
	int			connect_timeout_ms;
	int			timeout_ms;
	int			max_retries;
	int			max_requests;
	char	   *timezone;
	char	   *proxy;
	char	   *sslrootcert;	/* PEM file of the CAs to trust; NULL: the system's */
	WxaUnpublished unpublished; /* the server's, or the table's after wxa_apply_table_options */
	char	   *secret;			/* from the user mapping; never printed */
	char	   *access_token;	/* static token from the user mapping; never printed */
	bool		store;			/* the server's option store (a table's wins) */
	int			store_after_days;	/* a period is settled this many days before yesterday */
} WxaConfig;

/* option.c */
extern WxaConfig *wxa_get_config(Oid serverid, Oid userid, bool with_mapping);
extern void wxa_http_options_for(const WxaConfig *config, WxaHttpOptions *options);
extern const WxaEndpoint *wxa_table_endpoint(Oid foreigntableid);
extern bool wxa_table_async_capable(Oid foreigntableid);
extern void wxa_apply_table_options(WxaConfig *config, Oid foreigntableid);
extern const char *wxa_unpublished_name(WxaUnpublished value);
extern bool wxa_table_store(Oid foreigntableid, const WxaConfig *config);

/* token_cache.c: access tokens per (server, user mapping) */
typedef struct WxaTokenSession
{
	WxaConfig  *config;
} WxaTokenSession;

extern void wxa_token_session_init(WxaTokenSession *session, WxaConfig *config);
extern WxaTokenProvider wxa_token_provider(WxaTokenSession *session);
extern const char *wxa_cached_token(const WxaConfig *config);
extern void wxa_token_cache_init(void);

/* option.c: the validator named in wxa_fdw--1.0.sql */
extern PGDLLEXPORT Datum wxa_fdw_validator(PG_FUNCTION_ARGS);

/* functions.c: shared by the code-image functions (and the others that take a server) */
struct WxaCodeRequest;
extern char *wxa_text_in_utf8(text *value);
extern char *wxa_required_text(FunctionCallInfo fcinfo, int argno, const char *name);
extern WxaConfig *wxa_config_for_call(FunctionCallInfo fcinfo);
extern bool wxa_is_server(const ForeignServer *server);
extern void wxa_code_request_from_args(FunctionCallInfo fcinfo, struct WxaCodeRequest *req);
extern bool wxa_code_answer_ok(const struct WxaCodeRequest *req, const char *response, size_t len,
							   int attempts, WxaError *err);

/* engine_life.c: the request engine's life in a backend (from wxa_wait_init) */
extern void wxa_engine_life_init(void);

/* wait.c: the backend waits for the request engine */
extern int	wxa_max_total_concurrency;
extern void wxa_wait_init(void);
extern uint32 wxa_wait_event(void);
extern void wxa_wait_engine(void);
extern int	wxa_wait_engine_fd(long longest_ms);
extern double wxa_monotonic_ms(void);
extern int	wxa_batch_wait(WxaBatch *batch, int index, WxaError *err);
extern int	wxa_batch_wait_own(WxaBatch *batch, int index, WxaError *err);
extern int	wxa_http_fetch(const WxaHttpOptions *options, const WxaTokenProvider *tokens,
						   const char *url, const char *body, bool with_token,
						   const char *what, char **response, size_t *len,
						   WxaHttpStats *stats, WxaError *err);

/* errors.c */
pg_noreturn extern void wxa_raise(const WxaError *err, const WxaConfig *config);
extern char *wxa_message_text(const char *text, const WxaConfig *config, int max_bytes);

/* quals.c: date restrictions from WHERE clauses */
typedef enum WxaQualTarget
{
	WXA_QUAL_REF_DATE = 1,
	WXA_QUAL_END_DATE = 2,
	WXA_QUAL_DAYS = 3
} WxaQualTarget;

#define WXA_QUAL_OP_IN 100		/* column = ANY(array) */
#define WXA_QUAL_OP_OR 200		/* an OR of conjunctions: see branches */

/*
 * One restriction: target, operator (WxaCompare or WXA_QUAL_OP_IN) and value
 * expression; or an OR (op WXA_QUAL_OP_OR, no target or value) whose branches
 * are Lists of WxaQual, each ANDed.
 */
typedef struct WxaQual
{
	WxaQualTarget target;
	int			op;
	Expr	   *value;
	List	   *branches;
} WxaQual;

/*
 * The quals in the plan's fdw_private: an integer list, encoded by
 * wxa_quals_encode(), in order, depth first. A comparison is
 * WXA_QUAL_CODE(target, op), the target times 1000 plus the operator (a
 * WxaCompare or WXA_QUAL_OP_IN, both below 1000); it takes the next value of
 * fdw_exprs. An OR of n branches is WXA_QUAL_CODE_OR(n), followed by each
 * branch: WXA_QUAL_CODE_BRANCH(k), then the k codes of the branch.
 */
#define WXA_QUAL_CODE(target, op) ((int) (target) * 1000 + (op))
#define WXA_QUAL_CODE_TARGET(code) ((WxaQualTarget) ((code) / 1000))
#define WXA_QUAL_CODE_OP(code) ((code) % 1000)
#define WXA_QUAL_CODE_OR(nbranches) (-(nbranches))
#define WXA_QUAL_CODE_IS_OR(code) ((code) < 0)
#define WXA_QUAL_CODE_OR_BRANCHES(code) (-(code))
#define WXA_QUAL_CODE_BRANCH(length) (-1000 - (length))
#define WXA_QUAL_CODE_BRANCH_LENGTH(code) (-1000 - (code))

extern bool wxa_qual_from_clause(Expr *clause, Index relid, Relids outer_ok,
								 Oid foreigntableid, const WxaEndpoint *ep, WxaQual *qual);
extern List *wxa_quals_encode(List *quals, List **exprs);
extern bool wxa_restriction_build(WxaRestriction *r, List *codes, Datum *values,
								  bool *nulls, Oid *types);
extern bool wxa_quals_have_date(List *quals);
extern DateADT wxa_statement_yesterday(const char *timezone);

/* scan_plan.c: what a batched join plans its own reading of a table with */
extern bool wxa_rel_is_ours(RelOptInfo *rel);
extern List *wxa_plan_restriction(RelOptInfo *baserel, List *clauses, Relids outer, List **exprs,
								  bool *has_date);
extern bool wxa_plan_appid_excludes(RelOptInfo *baserel);
extern bool wxa_plan_runs_alone(RelOptInfo *baserel);

/* calendar.c: WeChat's calendar */
extern DateADT wxa_transaction_today(const char *timezone);

/* batched_join.c */
extern void wxa_batched_join_init(void);

/*
 * stats.c: the counts behind the view wxa_fdw_stats (no-ops unless preloaded). api is the
 * path after the base URL ("datacube/x", "sns/jscode2session"); the view shows it with a
 * leading "/". Call wxa_stats_batch (or _datacube_batch) once for every batch, just before
 * wxa_batch_free, on the error path too; wxa_raise counts the failures it reports.
 */
extern void wxa_stats_init(void);
extern void wxa_stats_count(Oid serverid, const char *api, int64 requests, int64 retries,
							int64 failures, int64 bytes, long errcode);
extern void wxa_stats_store_hits(Oid serverid, const char *api, int64 n);
extern void wxa_stats_traffic(const WxaConfig *config, const char *api, const WxaHttpStats *stats);
extern void wxa_stats_batch(const WxaConfig *config, const char *api, const WxaBatch *batch);
extern void wxa_stats_datacube_batch(const WxaConfig *config, const WxaEndpoint *ep,
									 const WxaBatch *batch);
extern void wxa_stats_failure(const WxaConfig *config, const WxaError *err);

/* import.c */
extern List *wxaImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

#endif
