/*
 * fuzz_date.c — the API's period strings and the calendar under them.
 *
 * The whole input is the text for wxa_parse_period_text (up to its first NUL);
 * its first four bytes are also a day number for the calendar round trips.
 */
#include "fuzz.h"

#include "wxa_date.h"

static void
check_calendar(wxa_day d)
{
	int			y,
				m,
				dd;
	char		iso[11],
				compact[9];
	wxa_day		first,
				last;

	wxa_day_to_ymd(d, &y, &m, &dd);
	FUZZ_CHECK(wxa_ymd_valid(y, m, dd));
	FUZZ_CHECK(wxa_day_from_ymd(y, m, dd) == d);
	FUZZ_CHECK(wxa_day_weekday(d) >= 1 && wxa_day_weekday(d) <= 7);
	FUZZ_CHECK(wxa_week_start(d) <= d && d - wxa_week_start(d) < 7);
	FUZZ_CHECK(wxa_day_weekday(wxa_week_start(d)) == 1);
	FUZZ_CHECK(wxa_month_start(d) <= d && d <= wxa_month_end(d));
	FUZZ_CHECK(wxa_month_end(d) - wxa_month_start(d) + 1 == wxa_days_in_month(y, m));
	wxa_day_format_iso(d, iso);
	wxa_day_format_compact(d, compact);
	FUZZ_CHECK(wxa_parse_period_text(iso, &first, &last) && first == d && last == d);
	FUZZ_CHECK(wxa_parse_period_text(compact, &first, &last) && first == d && last == d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = fuzz_strndup(data, size);
	size_t		len = strlen(text);
	wxa_day		first = 0,
				last = 0;

	if (wxa_parse_period_text(text, &first, &last))
	{
		char		a[11],
					b[11],
					range[24];

		FUZZ_CHECK(WXA_DAY_MIN <= first && first <= last && last <= WXA_DAY_MAX);
		FUZZ_CHECK(len == 6 || len == 8 || len == 10 || len == 17);
		wxa_day_format_compact(first, a);
		wxa_day_format_compact(last, b);
		switch (len)
		{
			case 6:				/* YYYYMM: the whole month */
				FUZZ_CHECK(memcmp(a, text, 6) == 0 && strcmp(a + 6, "01") == 0);
				FUZZ_CHECK(first == wxa_month_start(first) && last == wxa_month_end(first));
				break;
			case 8:
				FUZZ_CHECK(strcmp(a, text) == 0 && first == last);
				break;
			case 10:
				wxa_day_format_iso(first, a);
				FUZZ_CHECK(strcmp(a, text) == 0 && first == last);
				break;
			case 17:
				snprintf(range, sizeof(range), "%s-%s", a, b);
				FUZZ_CHECK(strcmp(range, text) == 0);
				break;
		}
	}
	if (size >= 4)
	{
		uint32_t	raw = (uint32_t) data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3];

		check_calendar(WXA_DAY_MIN + (wxa_day) (raw % (WXA_DAY_MAX - WXA_DAY_MIN + 1)));
	}
	free(text);
	return 0;
}
