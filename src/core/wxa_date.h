/*
 * wxa_date.h — calendar arithmetic on day numbers, without PostgreSQL headers.
 *
 * A day number counts days since 2000-01-01, exactly like PostgreSQL's DateADT,
 * so the PostgreSQL side converts with a plain cast.
 */
#ifndef WXA_DATE_H
#define WXA_DATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

typedef int32_t wxa_day;

/* Smallest and largest day the API can be asked about: years 1..9999 fit YYYYMMDD. */
#define WXA_DAY_MIN (-730119)	/* 0001-01-01 */
#define WXA_DAY_MAX 2921939		/* 9999-12-31 */

wxa_day		wxa_day_from_ymd(int year, int month, int day);
void		wxa_day_to_ymd(wxa_day d, int *year, int *month, int *day);
bool		wxa_ymd_valid(int year, int month, int day);

/* ISO weekday: 1 = Monday .. 7 = Sunday. */
int			wxa_day_weekday(wxa_day d);
int			wxa_days_in_month(int year, int month);
wxa_day		wxa_month_start(wxa_day d);
wxa_day		wxa_month_end(wxa_day d);
wxa_day		wxa_week_start(wxa_day d);

/* "YYYYMMDD" into buf (at least 9 bytes). */
void		wxa_day_format_compact(wxa_day d, char *buf);
/* "YYYY-MM-DD" into buf (at least 11 bytes). */
void		wxa_day_format_iso(wxa_day d, char *buf);

/*
 * WeChat publishes a day's analysis data the next morning, Beijing time,
 * usually after this hour (some days later).
 */
#define WXA_PUBLISH_HOUR_BEIJING 10

/*
 * Whether, at now, WeChat has probably not published day d yet: d is
 * yesterday (or later) in Beijing time and it is not yet 10:00 there. Days it
 * publishes late cannot be told from days without data.
 */
bool		wxa_day_maybe_unpublished(wxa_day d, time_t now);

/*
 * Parse the API's period strings: "YYYYMMDD", "YYYYMMDD-YYYYMMDD" or "YYYYMM"
 * (also "YYYY-MM-DD"). Returns false when the text is none of them.
 */
bool		wxa_parse_period_text(const char *text, wxa_day *first, wxa_day *last);

#endif
