-- No date restriction, but a LIMIT over the scan: the lazy newest-first scan. It walks back
-- from yesterday a wave of max_concurrency periods at a time as rows are pulled, and stops
-- when they are no longer pulled, after max_requests periods or after 31 periods in a row
-- without rows. Run far from Beijing: the walk starts at WeChat's yesterday, not the session's.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
SET timezone = 'America/Los_Angeles';
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`
\set count_daily 'python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend'
\set count_datacube 'python3 test/emulator/emuctl.py count datacube'
CREATE SERVER wechat_one FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca', max_concurrency '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_one OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SCHEMA one;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (daily_visit_trend) FROM SERVER wechat_one INTO one;
-- the newest days with data, from a restricted scan (about one day in twenty has none)
CREATE TEMP TABLE newest AS
SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN :ext.wxa_yesterday() - 99 AND :ext.wxa_yesterday();

-- what GUI clients run: the newest 10 rows; one period at a time (max_concurrency 1), it asks
-- exactly for the days back to the tenth with data
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) AS rows FROM (SELECT * FROM one.daily_visit_trend LIMIT 10) s;
\set n `:count_daily`
SELECT :n = :ext.wxa_yesterday() - min(ref_date) + 1 AS requests_as_needed
FROM (SELECT ref_date FROM newest ORDER BY ref_date DESC LIMIT 10) s;
-- eight at a time (the default): at most ceil(10 / 1) + 8 when every day has data
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT array_agg(ref_date ORDER BY ref_date DESC) = (SELECT array_agg(ref_date ORDER BY ref_date DESC) FROM (SELECT ref_date FROM newest ORDER BY ref_date DESC LIMIT 10) s) AS the_newest
FROM (SELECT * FROM wxa.daily_visit_trend LIMIT 10) s;
\set n `:count_daily`
SELECT :n % 8 = 0 AS whole_waves, :n BETWEEN 16 AND 24 AS bounded;

-- ORDER BY ref_date DESC LIMIT n: the scan gives that order, no Sort between it and the Limit
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend ORDER BY ref_date DESC LIMIT 5;
SELECT (SELECT array_agg(t ORDER BY t.ref_date DESC) FROM (SELECT * FROM wxa.daily_visit_trend ORDER BY ref_date DESC LIMIT 5) t)::text =
       (SELECT array_agg(t ORDER BY t.ref_date DESC) FROM (SELECT * FROM newest ORDER BY ref_date DESC LIMIT 5) t)::text AS same_rows;
-- with OFFSET, and with conditions on other columns (checked locally, the walk goes on)
SELECT (SELECT array_agg(ref_date) FROM (SELECT ref_date FROM wxa.daily_visit_trend ORDER BY ref_date DESC LIMIT 3 OFFSET 4) t) =
       (SELECT array_agg(ref_date) FROM (SELECT ref_date FROM newest ORDER BY ref_date DESC LIMIT 3 OFFSET 4) t) AS offset_rows,
       (SELECT array_agg(ref_date) FROM (SELECT ref_date FROM wxa.daily_visit_trend WHERE visit_uv_new % 2 = 0 ORDER BY ref_date DESC LIMIT 4) t) =
       (SELECT array_agg(ref_date) FROM (SELECT ref_date FROM newest WHERE visit_uv_new % 2 = 0 ORDER BY ref_date DESC LIMIT 4) t) AS filtered_rows;
-- a parameter as the LIMIT, a subquery with its own LIMIT
PREPARE newest_n(int) AS SELECT ref_date FROM wxa.daily_visit_trend ORDER BY ref_date DESC LIMIT $1;
SELECT count(*) AS rows FROM (SELECT * FROM wxa.daily_visit_trend LIMIT 3) s JOIN newest USING (ref_date);
CREATE TEMP TABLE got AS EXECUTE newest_n(2);
SELECT array_agg(ref_date ORDER BY ref_date DESC) =
       (SELECT array_agg(ref_date ORDER BY ref_date DESC) FROM (SELECT ref_date FROM newest ORDER BY ref_date DESC LIMIT 2) s) AS the_newest
FROM got;
DEALLOCATE newest_n;
-- EXPLAIN says how it walks
EXPLAIN (COSTS OFF) SELECT * FROM one.daily_visit_trend LIMIT 1;

-- every endpoint: weeks, months, several rows per period, the portrait
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) AS rows, count(DISTINCT ref_date) AS weeks, bool_and(extract(isodow FROM ref_date) = 1) AS mondays,
       max(end_date) = date_trunc('week', :ext.wxa_yesterday() + 1)::date - 1 AS newest_week
FROM (SELECT * FROM wxa.weekly_visit_trend LIMIT 3) s;
SELECT count(*) AS rows, max(end_date) = date_trunc('month', :ext.wxa_yesterday() + 1)::date - 1 AS newest_month
FROM (SELECT * FROM wxa.monthly_retain ORDER BY ref_date DESC LIMIT 4) s;
SELECT count(*) AS rows FROM (SELECT * FROM wxa.visit_page LIMIT 25) s;
-- the portrait: all three windows of each end date, newest end date first ...
-- (the 7- and 30-day windows always have rows; a 1-day window sometimes has none)
SELECT ARRAY[7, 30] <@ array_agg(DISTINCT days) FILTER (WHERE end_date = :ext.wxa_yesterday()) AS newest_windows,
       count(DISTINCT end_date) = :ext.wxa_yesterday() - min(end_date) + 1 AS newest_end_dates
FROM (SELECT * FROM wxa.user_portrait LIMIT 1500) s;
-- ... or the days asked for, and ORDER BY ref_date DESC or end_date DESC without a Sort
SELECT array_agg(DISTINCT days) AS windows, max(end_date) = :ext.wxa_yesterday() AS newest
FROM (SELECT * FROM wxa.user_portrait WHERE days = 30 LIMIT 300) s;
EXPLAIN (COSTS OFF) SELECT * FROM wxa.user_portrait ORDER BY ref_date DESC LIMIT 10;
EXPLAIN (COSTS OFF) SELECT * FROM wxa.user_portrait ORDER BY end_date DESC, days LIMIT 10;
SELECT bool_and(ref_date = :ext.wxa_yesterday()) AS newest_first_day
FROM (SELECT * FROM wxa.user_portrait ORDER BY ref_date DESC LIMIT 5) s;

-- the walk stops after max_requests periods, with a NOTICE ...
CREATE SERVER wechat_short FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca', max_requests '5');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_short OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE short_trend (ref_date date, visit_pv bigint) SERVER wechat_short
  OPTIONS (endpoint 'daily_visit_trend');
\! python3 test/emulator/emuctl.py reset >/dev/null
\set VERBOSITY terse
SELECT count(*) AS rows FROM (SELECT * FROM short_trend WHERE visit_pv < 0 LIMIT 1) s;
\set VERBOSITY default
\set n `:count_daily`
SELECT :n AS requests;
-- ... and after 31 periods in a row without rows (where the app's history ends): here
-- every day answers empty, so 31 days and the rest of their wave: 32 requests, no rows
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py config unpublished_days=1000 unpublished_answer=empty >/dev/null
SET wxa_fdw.publication_hour = 0;
SELECT count(*) AS rows FROM (SELECT * FROM wxa.daily_visit_trend LIMIT 5) s;
\set n `:count_daily`
SELECT :n AS requests;
RESET wxa_fdw.publication_hour;

-- the morning: the newest days unpublished are left out, with the NOTICE
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py config unpublished_days=2 >/dev/null
\set VERBOSITY terse
SELECT count(*) AS rows, max(ref_date) = :ext.wxa_yesterday() - 2 AS newest_published
FROM (SELECT * FROM wxa.daily_visit_trend LIMIT 5) s;
\set VERBOSITY default
\! python3 test/emulator/emuctl.py reset >/dev/null

-- a LIMIT that does not bound the scan: the missing restriction stays an error, decided when
-- the query is planned, nothing sent
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT state, message FROM unnest(ARRAY[
  'SELECT * FROM wxa.daily_visit_trend',
  'SELECT * FROM wxa.daily_visit_trend OFFSET 5',
  'SELECT * FROM wxa.daily_visit_trend LIMIT ALL',
  'SELECT * FROM wxa.daily_visit_trend LIMIT NULL',
  'SELECT count(*) FROM wxa.daily_visit_trend LIMIT 10',
  'SELECT DISTINCT visit_pv FROM wxa.daily_visit_trend LIMIT 10',
  'SELECT * FROM wxa.daily_visit_trend ORDER BY visit_pv DESC LIMIT 10',
  'SELECT * FROM wxa.daily_visit_trend ORDER BY ref_date LIMIT 10',
  'SELECT * FROM wxa.daily_visit_trend t JOIN newest n USING (visit_pv) LIMIT 10',
  'SELECT * FROM wxa.daily_visit_trend t, wxa.daily_summary s LIMIT 10',
  'SELECT ref_date, rank() OVER (ORDER BY visit_pv) FROM wxa.daily_visit_trend LIMIT 10'
]) WITH ORDINALITY AS q(query, i), wxa_test.caught(q.query) c ORDER BY i;
\set n `:count_datacube`
SELECT :n AS requests;
-- a date restriction without a lower bound is walked too, from its upper bound
EXPLAIN (COSTS OFF) SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date <= '2024-01-10' LIMIT 3;
SELECT array_agg(ref_date ORDER BY ref_date DESC) AS days
FROM (SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date <= '2024-01-10' LIMIT 3) s;

-- a partitioned table of two apps: every partition walks newest first; ORDER BY ref_date DESC
-- merges them without a Sort
\set emu_http 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SCHEMA parts;
SELECT count(*) AS parents FROM :ext.wxa_create_app_tables('parts');
SELECT count(*) AS partitions
FROM generate_series(1, 2) AS i,
     LATERAL :ext.wxa_add_app('part' || i, format('wx%s', lpad(to_hex(i), 16, '0')),
                              md5(format('wx%s', lpad(to_hex(i), 16, '0'))), 'parts',
                              jsonb_build_object('api_base_url', :'emu_http')) AS p;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) AS rows FROM (SELECT * FROM parts.daily_visit_trend LIMIT 5) s;
EXPLAIN (COSTS OFF) SELECT appid, ref_date FROM parts.daily_visit_trend ORDER BY ref_date DESC LIMIT 4;
SELECT count(*) AS rows, count(DISTINCT appid) AS apps, bool_and(ref_date >= :ext.wxa_yesterday() - 6) AS newest
FROM (SELECT appid, ref_date FROM parts.daily_visit_trend ORDER BY ref_date DESC LIMIT 4) s;
DROP SCHEMA parts CASCADE;
DROP SERVER part1 CASCADE;
DROP SERVER part2 CASCADE;

DROP SCHEMA one CASCADE;
DROP SERVER wechat_one CASCADE;
DROP SERVER wechat_short CASCADE;
