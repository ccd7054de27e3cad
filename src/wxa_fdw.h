/*
 * wxa_fdw.h — declarations shared by the PostgreSQL side of wxa_fdw,
 * grouped by the file that defines them.
 */
#ifndef WXA_FDW_H
#define WXA_FDW_H

#include "postgres.h"

#include "fmgr.h"
#include "foreign/foreign.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "utils/date.h"

#include "core/wxa_catalog.h"
#include "core/wxa_error.h"
#include "core/wxa_http.h"
#include "core/wxa_period.h"
#include "core/wxa_token.h"

/* Largest response body accepted; WeChat's biggest (an image, visit_page) is far smaller. */
#define WXA_MAX_BODY_BYTES ((size_t) 16 * 1024 * 1024)

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
	char	   *secret;			/* from the user mapping; never printed */
	char	   *access_token;	/* static token from the user mapping; never printed */
} WxaConfig;

/* option.c */
extern WxaConfig *wxa_get_config(Oid serverid, Oid userid, bool with_mapping);
extern void wxa_http_options_for(const WxaConfig *config, WxaHttpOptions *options);
extern const WxaEndpoint *wxa_table_endpoint(Oid foreigntableid);

/* connection.c: access tokens per (server, user mapping) */
typedef struct WxaTokenSession
{
	WxaConfig  *config;
	long		fetches;		/* tokens fetched for this scan or call */
	WxaHttpStats stats;			/* traffic of those fetches */
	char		current[512];	/* the token last handed out (a copy: the cache may change) */
} WxaTokenSession;

extern void wxa_token_session_init(WxaTokenSession *session, WxaConfig *config);
extern WxaTokenProvider wxa_token_provider(WxaTokenSession *session);
extern const char *wxa_cached_token(const WxaConfig *config);
extern void wxa_connection_init(void);

/* errors.c */
extern void wxa_raise(const WxaError *err, const WxaConfig *config) pg_attribute_noreturn();
extern char *wxa_message_text(const char *text, const WxaConfig *config, int max_bytes);
extern DateADT wxa_yesterday(const char *timezone);

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
 * Encoded quals (wxa_quals_encode), in order, depth first: target * 1000 + op
 * for a comparison (it takes the next value); -n opens an OR of n branches,
 * each branch led by WXA_QUAL_CODE_BRANCH - k, k the number of codes in it.
 */
#define WXA_QUAL_CODE_BRANCH (-1000)

extern bool wxa_qual_from_clause(Expr *clause, Index relid, Relids outer_ok,
								 Oid foreigntableid, const WxaEndpoint *ep, WxaQual *qual);
extern List *wxa_quals_encode(List *quals, List **exprs);
extern bool wxa_restriction_build(WxaRestriction *r, List *codes, Datum *values,
								  bool *nulls, Oid *types);
extern bool wxa_quals_have_date(List *quals);

/* wxa_fdw.c: what a batched join drives a scan with */
extern bool wxa_rel_is_ours(RelOptInfo *rel);
extern List *wxa_plan_drive(ForeignScan *plan, List **codes);
extern void wxa_scan_collect(ForeignScanState *node, Datum *values, bool *nulls);
extern int	wxa_scan_collected(ForeignScanState *node);
extern int	wxa_scan_fetch_collected(ForeignScanState *node);
extern void wxa_scan_trim_cache(ForeignScanState *node);
extern void wxa_scan_restart(ForeignScanState *node, Datum *values, bool *nulls);

/* batched_join.c */
extern void wxa_batched_join_init(void);

/* import.c */
extern List *wxaImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

#endif
