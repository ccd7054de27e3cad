/*
 * wxa_error.h — how the PostgreSQL-free core reports failure.
 *
 * The core never raises; it fills a WxaError and returns. The PostgreSQL side
 * turns it into ereport() with a SQLSTATE per kind (see src/errors.c).
 * Messages are already scrubbed of tokens and secrets.
 */
#ifndef WXA_ERROR_H
#define WXA_ERROR_H

#include <stdarg.h>

typedef enum WxaErrorKind
{
	WXA_OK = 0,
	WXA_ERR_CONNECT,			/* DNS, refused, TLS handshake */
	WXA_ERR_TLS,				/* the server's certificate was not trusted */
	WXA_ERR_TIMEOUT,			/* connect_timeout_ms or timeout_ms ran out */
	WXA_ERR_NETWORK,			/* connection broke during the transfer */
	WXA_ERR_HTTP,				/* an HTTP status other than 200 */
	WXA_ERR_API,				/* WeChat answered with a non-zero errcode */
	WXA_ERR_RESPONSE,			/* a body we cannot understand */
	WXA_ERR_TOO_LARGE,			/* body over the size cap */
	WXA_ERR_CANCELED,			/* the backend was asked to stop */
	WXA_ERR_INTERNAL			/* out of memory, curl setup failure */
} WxaErrorKind;

typedef struct WxaError
{
	WxaErrorKind kind;
	long		errcode;		/* WeChat errcode for WXA_ERR_API */
	long		http_status;	/* last HTTP status seen, 0 if none */
	int			attempts;		/* how many times the request was sent */
	char		what[128];		/* the request, e.g. "datacube/getweanalysisappiddailyvisittrend 2024-01-03" */
	char		message[512];	/* what went wrong, for the user */
	char		errmsg[512];	/* WeChat's errmsg, scrubbed */
} WxaError;

void		wxa_error_clear(WxaError *err);
void		wxa_error_set(WxaError *err, WxaErrorKind kind, const char *fmt,...)
			__attribute__((format(printf, 3, 4)));

#endif
