/*
 * code_batch.c — many code images in one call: wxa_get_wxacode_batch,
 * wxa_get_wxacode_unlimit_batch and wxa_create_qrcode_batch.
 *
 * Every element is checked before anything is sent, with the same rules as
 * the single-image functions (core/wxa_wxacode.c). The requests then run
 * concurrently; each element's outcome is its own row, written to the result
 * as it completes and released at once, so a call holds at most a window of
 * images in memory (the tuplestore spills to disk past work_mem). A frequency
 * limit (45009) pauses the whole batch instead of using up each element's
 * retries: interface B allows 5,000 calls a minute.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "compat.h"
#include "core/wxa_wxacode.h"

/*
 * How long a batch waits out WeChat's frequency limit without a single
 * success before 45009 counts as an ordinary transient error: longer than
 * interface B's one-minute window, so only a daily quota used up ends it.
 */
#define BATCH_RATE_LIMIT_PATIENCE_MS (150 * 1000L)

/* Longest element (a path) in bytes, and its hash key with the terminator. */
#define ELEMENT_KEY_BYTES (WXA_CODE_MAX_PATH_BYTES + 1)

typedef struct CodeBatch
{
	WxaConfig  *config;
	WxaCodeRequest base;		/* the shared arguments; path or scene per element */
	const char *array_name;		/* "paths" or "scenes", for messages */
	char	  **elements;		/* distinct, in the order given, in UTF-8 (sent as such) */
	Datum	   *given;			/* the same as given, in the database encoding (the rows) */
	int			nelements;
} CodeBatch;

/* ---------------------------------------------------------------- elements */

static char *
element_for_message(const char *element)
{
	int			len = strlen(element);

	if (len <= 64)
		return pstrdup(element);
	return psprintf("%.*s...", pg_mbcliplen(element, len, 64), element);
}

static void
set_element(WxaCodeRequest *req, const char *element)
{
	if (req->interface == WXA_CODE_B)
		req->scene = element;
	else
		req->path = element;
}

/* The shared arguments, checked once with a valid stand-in element. */
static void
check_shared_arguments(const CodeBatch *cb)
{
	WxaCodeRequest req = cb->base;
	WxaArgumentProblem problem;

	set_element(&req, "a");
	if (!wxa_code_check(&req, &problem))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("argument \"%s\" %s", problem.argument, problem.rule),
				 errdetail("Nothing was sent.")));
}

/*
 * The distinct elements of the array argument, in the order given, each
 * checked as the single-image function checks it.
 */
static void
read_elements(FunctionCallInfo fcinfo, CodeBatch *cb)
{
	ArrayType  *array;
	Datum	   *datums;
	bool	   *nulls;
	int			n;
	HASHCTL		ctl;
	HTAB	   *seen;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("argument \"%s\" must not be NULL", cb->array_name)));
	array = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("argument \"%s\" must be a one-dimensional array", cb->array_name)));
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &datums, &nulls, &n);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = ELEMENT_KEY_BYTES;
	ctl.entrysize = ELEMENT_KEY_BYTES;
	ctl.hcxt = CurrentMemoryContext;
	seen = hash_create("wxa_fdw batch elements", n > 0 ? n : 1, &ctl,
#if PG_VERSION_NUM >= 140000
					   HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
#else
					   HASH_ELEM | HASH_CONTEXT);
#endif

	cb->elements = palloc(sizeof(char *) * (n > 0 ? n : 1));
	cb->given = palloc(sizeof(Datum) * (n > 0 ? n : 1));
	cb->nelements = 0;
	for (int i = 0; i < n; i++)
	{
		WxaCodeRequest req = cb->base;
		WxaArgumentProblem problem;
		char	   *element;
		bool		found;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("element %d of argument \"%s\" is NULL", i + 1, cb->array_name),
					 errdetail("Nothing was sent.")));
		element = wxa_text_in_utf8(DatumGetTextPP(datums[i]));
		set_element(&req, element);
		if (!wxa_code_check(&req, &problem))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("element %d of argument \"%s\" %s", i + 1, cb->array_name, problem.rule),
					 errdetail("The element is \"%s\". Nothing was sent.",
							   element_for_message(TextDatumGetCString(datums[i])))));
		/* checked: at most WXA_CODE_MAX_PATH_BYTES, so the key holds it whole */
		hash_search(seen, element, HASH_ENTER, &found);
		if (!found)
		{
			cb->given[cb->nelements] = datums[i];
			cb->elements[cb->nelements++] = element;
		}
	}
	hash_destroy(seen);
}

/* ---------------------------------------------------------------- requests */

/*
 * The only use of the HTTP engine: queue the elements' requests a window ahead
 * of the one being waited for, take each one's own outcome, release it.
 */
typedef struct CodeRequests
{
	WxaTokenSession tokens;
	WxaBatch   *batch;			/* malloc'd: freed by requests_end, on error too */
	char	   *url;
	int			queued;
	int			window;
} CodeRequests;

static void
requests_start(CodeRequests *r, CodeBatch *cb)
{
	WxaHttpOptions options;
	WxaTokenProvider provider;

	wxa_http_options_for(cb->config, &options);
	options.rate_limit_patience_ms = BATCH_RATE_LIMIT_PATIENCE_MS;
	wxa_token_session_init(&r->tokens, cb->config);
	provider = wxa_token_provider(&r->tokens);
	r->url = psprintf("%s/%s", cb->config->api_base_url, wxa_code_api(cb->base.interface));
	r->window = options.max_concurrency * 4;
	r->queued = 0;
	r->batch = wxa_batch_new(&options, &provider);
	if (r->batch == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
}

/* Queue requests up to element last + window; request index = element index. */
static void
requests_queue(CodeRequests *r, CodeBatch *cb, int last)
{
	int			upto = Min(cb->nelements, last + r->window + 1);

	for (; r->queued < upto; r->queued++)
	{
		WxaCodeRequest req = cb->base;
		char	   *body;
		int			index;

		set_element(&req, cb->elements[r->queued]);
		body = wxa_code_body(&req);
		index = body ? wxa_batch_add(r->batch, r->url, body, true, wxa_code_api(req.interface)) : -1;
		free(body);
		if (index != r->queued)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
}

/* See wxa_batch_wait_own: 0 with the answer, 1 with err, -1 for the whole call. */
static int
requests_wait(CodeRequests *r, int i, const char **response, size_t *len, int *attempts,
			  WxaError *err)
{
	int			rc;

	wxa_error_clear(err);
	rc = wxa_batch_wait_own(r->batch, i, err);
	*attempts = err->attempts;
	if (rc == 0)
	{
		*response = wxa_batch_response(r->batch, i, len);
		*attempts = 1;
	}
	return rc;
}

static void
requests_release(CodeRequests *r, int i)
{
	wxa_batch_forget(r->batch, i);
}

static void
requests_end(CodeRequests *r, CodeBatch *cb)
{
	wxa_stats_batch(cb->config, wxa_code_api(cb->base.interface), r->batch);
	wxa_batch_free(r->batch);
	r->batch = NULL;
}

/* ---------------------------------------------------------------- rows */

/* Write element i's row with its image. */
static void
put_image_row(Tuplestorestate *store, TupleDesc desc, CodeBatch *cb, int i,
			  const char *response, size_t len)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, true, true};
	bytea	   *image = palloc(VARHDRSZ + len);

	SET_VARSIZE(image, VARHDRSZ + len);
	memcpy(VARDATA(image), response, len);
	values[0] = cb->given[i];
	values[1] = PointerGetDatum(image);
	values[2] = values[3] = (Datum) 0;
	tuplestore_putvalues(store, desc, values, nulls);
}

/* Write element i's row with its failure: WeChat's errcode, or none for a transport failure. */
static void
put_failure_row(Tuplestorestate *store, TupleDesc desc, CodeBatch *cb, int i,
				const WxaError *err)
{
	Datum		values[4];
	bool		nulls[4] = {false, true, false, false};

	values[0] = cb->given[i];
	values[1] = (Datum) 0;
	if (err->kind == WXA_ERR_API)
	{
		values[2] = Int32GetDatum((int32) err->errcode);
		values[3] = CStringGetTextDatum(wxa_message_text(err->errmsg, cb->config, 0));
	}
	else
	{
		/* a transport failure or an answer that is no image: no errcode */
		nulls[2] = true;
		values[2] = (Datum) 0;
		values[3] = CStringGetTextDatum(wxa_message_text(err->message, cb->config, 0));
	}
	tuplestore_putvalues(store, desc, values, nulls);
}

static void
run_batch(FunctionCallInfo fcinfo, CodeBatch *cb)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext row_context;
	MemoryContext old;
	CodeRequests r = {0};

	InitMaterializedSRF(fcinfo, 0);
	if (cb->nelements == 0)
		return;
	row_context = AllocSetContextCreate(CurrentMemoryContext, "wxa_fdw batch row",
										ALLOCSET_DEFAULT_SIZES);
	requests_start(&r, cb);
	PG_TRY();
	{
		for (int i = 0; i < cb->nelements; i++)
		{
			const char *response = NULL;
			size_t		len = 0;
			int			attempts;
			WxaError	err;
			int			rc;

			CHECK_FOR_INTERRUPTS();
			requests_queue(&r, cb, i);
			rc = requests_wait(&r, i, &response, &len, &attempts, &err);
			if (rc < 0)
				wxa_raise(&err, cb->config);
			old = MemoryContextSwitchTo(row_context);
			if (rc == 0 && wxa_code_answer_ok(&cb->base, response, len, attempts, &err))
				put_image_row(rsinfo->setResult, rsinfo->setDesc, cb, i, response, len);
			else
			{
				wxa_stats_failure(cb->config, &err);
				put_failure_row(rsinfo->setResult, rsinfo->setDesc, cb, i, &err);
			}
			MemoryContextSwitchTo(old);
			MemoryContextReset(row_context);
			requests_release(&r, i);
		}
	}
	PG_CATCH();
	{
		requests_end(&r, cb);
		PG_RE_THROW();
	}
	PG_END_TRY();
	requests_end(&r, cb);
	MemoryContextDelete(row_context);
}

static Datum
code_batch(FunctionCallInfo fcinfo, WxaCodeInterface interface)
{
	CodeBatch	cb = {0};

	cb.config = wxa_config_for_call(fcinfo);
	cb.base.interface = interface;
	cb.array_name = interface == WXA_CODE_B ? "scenes" : "paths";
	wxa_code_request_from_args(fcinfo, &cb.base);
	check_shared_arguments(&cb);
	read_elements(fcinfo, &cb);
	run_batch(fcinfo, &cb);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(wxa_get_wxacode_batch);

/* wxa_get_wxacode_batch(server, paths, width, auto_color, line_color, is_hyaline, env_version) */
Datum
wxa_get_wxacode_batch(PG_FUNCTION_ARGS)
{
	return code_batch(fcinfo, WXA_CODE_A);
}

PG_FUNCTION_INFO_V1(wxa_get_wxacode_unlimit_batch);

/* wxa_get_wxacode_unlimit_batch(server, scenes, page, check_path, width, auto_color, line_color, is_hyaline, env_version) */
Datum
wxa_get_wxacode_unlimit_batch(PG_FUNCTION_ARGS)
{
	return code_batch(fcinfo, WXA_CODE_B);
}

PG_FUNCTION_INFO_V1(wxa_create_qrcode_batch);

/* wxa_create_qrcode_batch(server, paths, width) */
Datum
wxa_create_qrcode_batch(PG_FUNCTION_ARGS)
{
	return code_batch(fcinfo, WXA_CODE_C);
}
