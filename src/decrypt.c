/*
 * decrypt.c — wxa_decrypt and wxa_werun_steps: WeChat's encryptedData in SQL.
 *
 * The decryption and its checks are in core/wxa_crypto.c; this file reports
 * failures (never with the key, the IV or any of the plaintext) and makes the
 * jsonb or the rows. Each function has a 3- and a 4-argument form: they are
 * STRICT, and a STRICT function with appid DEFAULT NULL would return NULL
 * whenever appid is left out.
 */
#include "postgres.h"

#include "wxa_fdw.h"
#include "compat.h"

#include "common/jsonapi.h"
#include "common/string.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "core/wxa_crypto.h"
#include "core/wxa_werun.h"

/* WeRun counts steps per day in Beijing time. */
#define WERUN_TIMEZONE "Asia/Shanghai"

static const char *const base64_hint =
"encrypted_data, iv and session_key are standard base64 (A-Z a-z 0-9 + / and = padding), as WeChat hands them out; a space is often a \"+\" lost to URL decoding.";

static void
report_decrypt_failure(WxaDecryptStatus status, const char *argument, const char *appid)
{
	switch (status)
	{
		case WXA_DECRYPT_OK:
			return;
		case WXA_DECRYPT_BAD_BASE64:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument \"%s\" is not valid base64", argument),
					 errhint("%s", base64_hint)));
			break;
		case WXA_DECRYPT_BAD_KEY_SIZE:
		case WXA_DECRYPT_BAD_IV_SIZE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument \"%s\" must decode to 16 bytes", argument),
					 errhint("AES-128-CBC takes a 16-byte key and a 16-byte IV, 24 characters of base64 each.")));
			break;
		case WXA_DECRYPT_BAD_DATA_SIZE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("argument \"encrypted_data\" must decode to a whole number of 16-byte AES blocks")));
			break;
		case WXA_DECRYPT_BAD_PADDING:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("could not decrypt encrypted_data: the padding is wrong"),
					 errhint("The session_key is probably not the one of this data: use the session_key that code2session returned for the wx.login() before the data was fetched.")));
			break;
		case WXA_DECRYPT_NOT_JSON:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_JSON_TEXT),
					 errmsg("the decrypted encrypted_data is not a JSON object"),
					 errhint("The iv (or, rarely, the session_key) is probably not the one of this data.")));
			break;
		case WXA_DECRYPT_NO_WATERMARK:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the decrypted data has no watermark.appid to check against appid \"%s\"", appid)));
			break;
		case WXA_DECRYPT_WRONG_APPID:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the decrypted data belongs to another mini program: its watermark.appid is not \"%s\"", appid)));
			break;
		case WXA_DECRYPT_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
			break;
		case WXA_DECRYPT_CIPHER_FAILED:
			elog(ERROR, "OpenSSL could not run AES-128-CBC");
			break;
	}
}

/*
 * Decrypt arguments 0..2 (and check the watermark against argument 3 when
 * the function has one). Returns the malloc'd plaintext for wxa_plaintext_free().
 */
static char *
decrypt_arguments(FunctionCallInfo fcinfo, size_t *len)
{
	char	   *data = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *iv = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *key = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *appid = PG_NARGS() > 3 ? text_to_cstring(PG_GETARG_TEXT_PP(3)) : NULL;
	char	   *plaintext;
	const char *argument;
	WxaDecryptStatus status;

	status = wxa_decrypt_data(data, iv, key, appid, &plaintext, len, &argument);
	explicit_bzero(key, strlen(key));
	report_decrypt_failure(status, argument, appid);
	return plaintext;
}

/*
 * The plaintext as jsonb. PostgreSQL's JSON parser checks it first without
 * raising: jsonb_in's own errors would quote the text.
 */
static Datum
plaintext_to_jsonb(char *plaintext, size_t len)
{
	int			encoding = GetDatabaseEncoding();
	JsonLexContext *lex;
	JsonParseErrorType parsed;
	char	   *copy;
	Datum		result;

	if (encoding != PG_UTF8 && encoding != PG_SQL_ASCII && !pg_is_ascii(plaintext))
	{
		wxa_plaintext_free(plaintext, len);
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("the decrypted data has non-ASCII characters, which wxa_decrypt returns only in a UTF8 database")));
	}
	if (!pg_verify_mbstr(PG_UTF8, plaintext, (int) len, true))
	{
		wxa_plaintext_free(plaintext, len);
		report_decrypt_failure(WXA_DECRYPT_NOT_JSON, NULL, NULL);
	}
	copy = pnstrdup(plaintext, len);
	wxa_plaintext_free(plaintext, len);

#if PG_VERSION_NUM >= 170000	/* the JsonLexContext argument arrived in 17 (commit 1c99cde2f) */
	lex = makeJsonLexContextCstringLen(NULL, copy, (int) len, encoding, true);
#else
	lex = makeJsonLexContextCstringLen(copy, (int) len, encoding, true);
#endif
	parsed = pg_parse_json(lex, &nullSemAction);
	if (parsed == JSON_UNICODE_HIGH_ESCAPE)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("the decrypted data has non-ASCII characters, which wxa_decrypt returns only in a UTF8 database")));
	if (parsed != JSON_SUCCESS)
		report_decrypt_failure(WXA_DECRYPT_NOT_JSON, NULL, NULL);

	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(copy));
	explicit_bzero(copy, len);
	pfree(copy);
	return result;
}

PG_FUNCTION_INFO_V1(wxa_decrypt);

/* wxa_decrypt(encrypted_data, iv, session_key [, appid]) RETURNS jsonb */
Datum
wxa_decrypt(PG_FUNCTION_ARGS)
{
	size_t		len;
	char	   *plaintext = decrypt_arguments(fcinfo, &len);

	PG_RETURN_DATUM(plaintext_to_jsonb(plaintext, len));
}

static DateADT
date_in_zone(int64 timestamp, const pg_tz *tz)
{
	pg_time_t	t = (pg_time_t) timestamp;
	struct pg_tm *tm = pg_localtime(&t, tz);

	if (tm == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return date2j(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday) - POSTGRES_EPOCH_JDATE;
}

PG_FUNCTION_INFO_V1(wxa_werun_steps);

/* wxa_werun_steps(encrypted_data, iv, session_key [, appid]) RETURNS TABLE (step_date, step_time, step) */
Datum
wxa_werun_steps(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	size_t		len;
	char	   *plaintext = decrypt_arguments(fcinfo, &len);
	WxaStep    *parsed;
	WxaStep    *steps;
	int			nsteps;
	int			bad_entry;
	WxaWerunStatus status;
	pg_tz	   *tz;

	status = wxa_werun_parse(plaintext, &parsed, &nsteps, &bad_entry);
	wxa_plaintext_free(plaintext, len);
	steps = palloc(sizeof(WxaStep) * (nsteps + 1));
	if (nsteps > 0)
		memcpy(steps, parsed, sizeof(WxaStep) * nsteps);
	free(parsed);
	switch (status)
	{
		case WXA_WERUN_OK:
			break;
		case WXA_WERUN_NOT_JSON:
			report_decrypt_failure(WXA_DECRYPT_NOT_JSON, NULL, NULL);
			break;
		case WXA_WERUN_NO_LIST:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the decrypted data has no stepInfoList array"),
					 errhint("wxa_werun_steps reads the encryptedData of wx.getWeRunData; use wxa_decrypt for other data.")));
			break;
		case WXA_WERUN_BAD_ENTRY:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("entry %d of stepInfoList has no valid timestamp and step", bad_entry),
					 errdetail("Both must be non-negative integers.")));
			break;
		case WXA_WERUN_NO_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
			break;
	}

	tz = pg_tzset(WERUN_TIMEZONE);
	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not known to this server", WERUN_TIMEZONE)));
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < nsteps; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = DateADTGetDatum(date_in_zone(steps[i].timestamp, tz));
		values[1] = TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) steps[i].timestamp));
		values[2] = Int32GetDatum(steps[i].step);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
