/*
 * wxa_date.c — civil-calendar arithmetic (proleptic Gregorian) on day numbers.
 *
 * The conversion follows Howard Hinnant's days_from_civil algorithm, shifted
 * so that day 0 is 2000-01-01 (PostgreSQL's date epoch).
 */
#include "wxa_date.h"

#include <ctype.h>
#include <string.h>

#define DAYS_0000_03_01_TO_2000_01_01 730425

wxa_day
wxa_day_from_ymd(int year, int month, int day)
{
	int			y = year - (month <= 2);
	int			era = (y >= 0 ? y : y - 399) / 400;
	int			yoe = y - era * 400;
	int			mp = (month + 9) % 12;
	int			doy = (153 * mp + 2) / 5 + day - 1;
	int			doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - DAYS_0000_03_01_TO_2000_01_01;
}

void
wxa_day_to_ymd(wxa_day d, int *year, int *month, int *day)
{
	int			z = d + DAYS_0000_03_01_TO_2000_01_01;
	int			era = (z >= 0 ? z : z - 146096) / 146097;
	int			doe = z - era * 146097;
	int			yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int			doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int			mp = (5 * doy + 2) / 153;
	int			m = mp < 10 ? mp + 3 : mp - 9;

	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = m;
	*year = yoe + era * 400 + (m <= 2);
}

int
wxa_days_in_month(int year, int month)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool		leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month == 2 && leap)
		return 29;
	return days[month - 1];
}

bool
wxa_ymd_valid(int year, int month, int day)
{
	return year >= 1 && year <= 9999 && month >= 1 && month <= 12 &&
		day >= 1 && day <= wxa_days_in_month(year, month);
}

int
wxa_day_weekday(wxa_day d)
{
	/* 2000-01-01 was a Saturday (6). */
	int			r = (int) ((d % 7 + 7) % 7);

	return (r + 5) % 7 + 1;
}

wxa_day
wxa_week_start(wxa_day d)
{
	return d - (wxa_day_weekday(d) - 1);
}

wxa_day
wxa_month_start(wxa_day d)
{
	int			y,
				m,
				dd;

	wxa_day_to_ymd(d, &y, &m, &dd);
	return d - (dd - 1);
}

wxa_day
wxa_month_end(wxa_day d)
{
	int			y,
				m,
				dd;

	wxa_day_to_ymd(d, &y, &m, &dd);
	return d + (wxa_days_in_month(y, m) - dd);
}

/* Write v as exactly n decimal digits. */
static char *
put_digits(char *out, int v, int n)
{
	for (int i = n - 1; i >= 0; i--)
	{
		out[i] = (char) ('0' + v % 10);
		v /= 10;
	}
	return out + n;
}

/* Days outside years 1..9999 are clamped: the API cannot name them anyway. */
static void
clamped_ymd(wxa_day d, int *y, int *m, int *dd)
{
	if (d < WXA_DAY_MIN)
		d = WXA_DAY_MIN;
	if (d > WXA_DAY_MAX)
		d = WXA_DAY_MAX;
	wxa_day_to_ymd(d, y, m, dd);
}

void
wxa_day_format_compact(wxa_day d, char *buf)
{
	int			y,
				m,
				dd;

	clamped_ymd(d, &y, &m, &dd);
	buf = put_digits(buf, y, 4);
	buf = put_digits(buf, m, 2);
	buf = put_digits(buf, dd, 2);
	*buf = '\0';
}

void
wxa_day_format_iso(wxa_day d, char *buf)
{
	int			y,
				m,
				dd;

	clamped_ymd(d, &y, &m, &dd);
	buf = put_digits(buf, y, 4);
	*buf++ = '-';
	buf = put_digits(buf, m, 2);
	*buf++ = '-';
	buf = put_digits(buf, dd, 2);
	*buf = '\0';
}

/* Read exactly n digits; returns -1 when they are not all digits. */
static int
read_digits(const char *s, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
parse_one_day(const char *s, size_t len, wxa_day *out)
{
	int			y,
				m,
				d;

	if (len == 8)
	{
		y = read_digits(s, 4);
		m = read_digits(s + 4, 2);
		d = read_digits(s + 6, 2);
	}
	else if (len == 10 && s[4] == '-' && s[7] == '-')
	{
		y = read_digits(s, 4);
		m = read_digits(s + 5, 2);
		d = read_digits(s + 8, 2);
	}
	else
		return false;
	if (y < 0 || m < 0 || d < 0 || !wxa_ymd_valid(y, m, d))
		return false;
	*out = wxa_day_from_ymd(y, m, d);
	return true;
}

bool
wxa_parse_period_text(const char *text, wxa_day *first, wxa_day *last)
{
	size_t		len = strlen(text);
	const char *dash;

	if (len == 6)
	{
		int			y = read_digits(text, 4);
		int			m = read_digits(text + 4, 2);

		if (y < 0 || m < 0 || !wxa_ymd_valid(y, m, 1))
			return false;
		*first = wxa_day_from_ymd(y, m, 1);
		*last = wxa_month_end(*first);
		return true;
	}
	if (len == 17 && text[8] == '-')
	{
		dash = text + 8;
		if (!parse_one_day(text, 8, first) || !parse_one_day(dash + 1, 8, last))
			return false;
		return *first <= *last;
	}
	if (parse_one_day(text, len, first))
	{
		*last = *first;
		return true;
	}
	return false;
}

bool
wxa_day_maybe_unpublished(wxa_day d, time_t now)
{
	const long long beijing_offset = 8LL * 3600;
	long long	local = (long long) now + beijing_offset;
	long long	days = local >= 0 ? local / 86400 : (local - 86399) / 86400;
	int			hour = (int) ((local - days * 86400) / 3600);
	wxa_day		today = (wxa_day) (days + wxa_day_from_ymd(1970, 1, 1));

	return d >= today - 1 && hour < WXA_PUBLISH_HOUR_BEIJING;
}
