/*
 * wxa_errcode.h — what wxa_fdw knows about each of WeChat's errcodes: one
 * table (wxa_errcode.c) for the SQLSTATE it is reported with, whether it is
 * worth retrying, whether it means the access token was rejected, and the hint.
 */
#ifndef WXA_ERRCODE_H
#define WXA_ERRCODE_H

#include <stdbool.h>

typedef struct WxaErrcodeFacts
{
	long		errcode;
	const char *sqlstate;		/* five characters, as in PostgreSQL's errcodes.txt */
	bool		transient;		/* worth retrying after a pause */
	bool		token_rejected; /* fetch another access token and retry once */
	const char *hint;			/* a full sentence, or NULL */
	const char *static_token_hint;	/* instead of hint when the token cannot be renewed */
} WxaErrcodeFacts;

/* The facts of errcode; for one the table does not list, HV000 and nothing else. */
const WxaErrcodeFacts *wxa_errcode_facts(long errcode);

/* Shorthands for the fields above. */
bool		wxa_errcode_transient(long errcode);
bool		wxa_errcode_token_rejected(long errcode);
/* 45009, 45011: a frequency limit, which concerns every request to that API alike. */
bool		wxa_errcode_rate_limited(long errcode);
const char *wxa_errcode_hint(long errcode);

#endif
