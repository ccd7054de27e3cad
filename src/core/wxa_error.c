/*
 * wxa_error.c — filling WxaError.
 */
#include "wxa_error.h"

#include <stdio.h>
#include <string.h>

void
wxa_error_clear(WxaError *err)
{
	memset(err, 0, sizeof(*err));
}

void
wxa_error_set(WxaError *err, WxaErrorKind kind, const char *fmt,...)
{
	va_list		ap;

	err->kind = kind;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}
