/*
 * calendar.c — WeChat's calendar: which day it is for a server, and so the
 * newest day WeChat can have published (yesterday in the server's timezone).
 *
 * Both are taken at the start of the transaction, as current_date is: within
 * a transaction wxa_yesterday() and every scan agree on the day, even across
 * midnight.
 */
#include "postgres.h"

#include "wxa_fdw.h"

#include "access/xact.h"
#include "datatype/timestamp.h"
#include "foreign/foreign.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

/* The timezone of servers without the option, and of wxa_today(NULL). */
#define WXA_DEFAULT_TIMEZONE "Asia/Shanghai"

/* Today in timezone (a name pg_tzset knows) at the start of the transaction. */
DateADT
wxa_transaction_today(const char *timezone)
{
	pg_tz	   *tz = pg_tzset(timezone);
	struct pg_tm tm;
	fsec_t		fsec;
	int			tzoff;

	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown time zone \"%s\" in server option timezone", timezone)));
	if (timestamp2tm(GetCurrentTransactionStartTimestamp(), &tzoff, &tm, &fsec, NULL, tz) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
}

/* The timezone of the server named by argument 0, or WeChat's own for NULL. */
static const char *
timezone_of_argument(FunctionCallInfo fcinfo)
{
	ForeignServer *server;

	if (PG_ARGISNULL(0))
		return WXA_DEFAULT_TIMEZONE;
	server = GetForeignServerByName(text_to_cstring(PG_GETARG_TEXT_PP(0)), false);
	if (!wxa_is_server(server))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("server \"%s\" is not a wxa_fdw server", server->servername)));
	return wxa_get_config(server->serverid, InvalidOid, false)->timezone;
}

PG_FUNCTION_INFO_V1(wxa_today);

/* wxa_today(server text DEFAULT NULL) */
Datum
wxa_today(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATEADT(wxa_transaction_today(timezone_of_argument(fcinfo)));
}

PG_FUNCTION_INFO_V1(wxa_yesterday);

/* wxa_yesterday(server text DEFAULT NULL): the newest day WeChat can have published */
Datum
wxa_yesterday(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATEADT(wxa_transaction_today(timezone_of_argument(fcinfo)) - 1);
}
