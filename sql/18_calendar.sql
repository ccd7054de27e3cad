-- WeChat's calendar: wxa_today() / wxa_yesterday(), the option unpublished, EXPLAIN's reasons
-- for "Requests: 0" and its lists of days. The session runs far from Beijing (Los Angeles is
-- 15 or 16 hours behind), where current_date is often another day than WeChat's.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
SET timezone = 'America/Los_Angeles';
\set count_daily 'python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend'
\! python3 test/emulator/emuctl.py reset >/dev/null

-- today and yesterday in Beijing, at the start of the transaction (now() is that moment too)
SELECT :ext.wxa_today() = (now() AT TIME ZONE 'Asia/Shanghai')::date AS today_in_beijing,
       :ext.wxa_yesterday() = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 AS yesterday_in_beijing,
       :ext.wxa_today(NULL) = :ext.wxa_today() AS null_is_beijing,
       :ext.wxa_today('wechat') = :ext.wxa_today() AS server_without_timezone;
BEGIN;
SELECT :ext.wxa_yesterday() AS y \gset
SELECT pg_sleep(0.01);
SELECT :ext.wxa_yesterday() = :'y'::date AS same_day_within_the_transaction,
       :ext.wxa_yesterday() = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 AS at_transaction_start;
COMMIT;
SELECT p.proname, p.provolatile, p.proparallel, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
FROM pg_proc p WHERE p.proname IN ('wxa_today', 'wxa_yesterday') ORDER BY 1;

-- a server's own timezone
CREATE SERVER wechat_la FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', timezone 'America/Los_Angeles');
SELECT :ext.wxa_today('wechat_la') = (now() AT TIME ZONE 'America/Los_Angeles')::date AS today_in_la,
       :ext.wxa_yesterday('wechat_la') = :ext.wxa_today('wechat_la') - 1 AS yesterday_in_la;
-- not a wxa_fdw server, no such server
CREATE FOREIGN DATA WRAPPER not_wxa;
CREATE SERVER other FOREIGN DATA WRAPPER not_wxa;
SELECT state, message, detail, hint, result FROM wxa_test.caught(format($$SELECT %s.wxa_today('other')$$, :'ext'));
SELECT state, message, detail, hint, result FROM wxa_test.caught(format($$SELECT %s.wxa_yesterday('nosuch')$$, :'ext'));
DROP SERVER other;
DROP FOREIGN DATA WRAPPER not_wxa;

-- the option unpublished: server and foreign table, auto, error or skip
ALTER SERVER wechat_la OPTIONS (ADD unpublished 'skip');
ALTER SERVER wechat_la OPTIONS (SET unpublished 'error');
ALTER SERVER wechat_la OPTIONS (SET unpublished 'auto');
SELECT * FROM wxa_test.caught($$ALTER SERVER wechat_la OPTIONS (SET unpublished 'later')$$);
CREATE FOREIGN TABLE calendar_trend (ref_date date, visit_pv bigint) SERVER wechat_la
  OPTIONS (endpoint 'daily_visit_trend', unpublished 'error');
SELECT * FROM wxa_test.caught($$ALTER FOREIGN TABLE calendar_trend OPTIONS (SET unpublished 'ERROR')$$);
SELECT * FROM wxa_test.caught($$CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_la OPTIONS (secret 'x', unpublished 'skip')$$);
DROP FOREIGN TABLE calendar_trend;
DROP SERVER wechat_la;

-- EXPLAIN says why nothing is sent
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date = '2999-01-01';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date >= '2999-01-01';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.weekly_visit_trend WHERE ref_date = '2024-01-03';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.weekly_visit_trend WHERE ref_date BETWEEN '2024-01-02' AND '2024-01-06';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.monthly_visit_trend WHERE ref_date = '2024-01-15';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.monthly_visit_trend WHERE ref_date >= '2999-01-01';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.user_portrait WHERE end_date = '2024-03-31' AND days = 5;
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-01' AND ref_date = '2024-01-02';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date = NULL::date;
-- ... the day after yesterday, known at run time: under ANALYZE, nothing sent
-- (the extension's schema on the search_path here: PostgreSQL prints a function outside it with its schema)
SET search_path = "$user", public, :ext;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM wxa.daily_visit_trend WHERE ref_date = :ext.wxa_today();
RESET search_path;
\set n `:count_daily`
SELECT :n AS requests_sent;

-- days of an IN / = ANY are listed as days, not as a range; so are periods with gaps
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date = ANY ('{2024-01-01,2024-02-01}');
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date IN ('2024-01-02', '2024-01-03');
EXPLAIN (COSTS OFF) SELECT * FROM wxa.weekly_visit_trend WHERE ref_date IN ('2024-01-01', '2024-01-15');
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-01' OR ref_date BETWEEN '2024-01-10' AND '2024-01-11';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend
WHERE ref_date = ANY (ARRAY(SELECT d::date FROM generate_series('2024-01-01'::date, '2024-03-01', '5 days') d));
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend
WHERE ref_date = ANY ('{2024-01-01,2024-01-05,2024-01-09,2024-01-13,2024-01-17,2024-01-21,2024-01-25,2024-01-29,2024-02-02,2024-02-06,2024-02-10,2024-02-14}');
-- one day: itself; an unbroken range: the range
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-01';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-05';
-- ... and under ANALYZE for values known at run time (to_date is only stable)
CREATE FUNCTION pg_temp.requests_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query LOOP
    IF line ~ 'Requests' THEN RETURN NEXT line; END IF;
  END LOOP;
END $$;
SELECT pg_temp.requests_lines($$SELECT ref_date FROM wxa.daily_visit_trend
  WHERE ref_date = ANY (ARRAY['2024-01-01', '2024-02-01']::date[] || to_date('20240301', 'YYYYMMDD'))$$);
SELECT pg_temp.requests_lines($$SELECT ref_date FROM wxa.weekly_visit_trend
  WHERE ref_date = to_date('20240103', 'YYYYMMDD')$$);

-- ---------------------------------------------------------------- publication mornings
-- The emulator publishes the newest two days late (61503). Messages that name those days
-- change every day: the suite shows them with the days replaced by "D".
CREATE FUNCTION wxa_test.undated(text) RETURNS text LANGUAGE sql IMMUTABLE
AS $$ SELECT regexp_replace($1, '\d{4}-\d{2}-\d{2}', 'D', 'g') $$;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py config unpublished_days=2 >/dev/null
\set VERBOSITY terse
-- a dashboard's "last 7 days": the published days, with one NOTICE naming the two left out
SELECT count(DISTINCT ref_date) AS days, max(ref_date) = :ext.wxa_yesterday() - 2 AS newest_is_published
FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 6;
\set n `:count_daily`
SELECT :n AS requests;
-- the same with the bounds people write: BETWEEN ... AND wxa_yesterday(), < wxa_today()
SELECT count(*) > 0 AS rows FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN :ext.wxa_yesterday() - 6 AND :ext.wxa_yesterday();
SELECT count(*) > 0 AS rows FROM wxa.daily_visit_trend
WHERE ref_date >= :ext.wxa_today() - 7 AND ref_date < :ext.wxa_today();
-- one NOTICE per statement: the same table twice, two tables
SELECT count(*) > 0 AS rows FROM (
  SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 3
  UNION ALL
  SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 2) u;
SELECT count(*) > 0 AS rows FROM (
  SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 3
  UNION ALL
  SELECT ref_date FROM wxa.daily_summary WHERE ref_date >= :ext.wxa_yesterday() - 3) u;
-- (a join asks the other table only for the days the first one has: no unpublished day)
SELECT count(*) > 0 AS rows
FROM wxa.daily_visit_trend t JOIN wxa.daily_summary s USING (ref_date)
WHERE t.ref_date >= :ext.wxa_yesterday() - 3;
-- the rows are exactly those of the published days
SELECT (SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 6) =
       (SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN :ext.wxa_yesterday() - 6 AND :ext.wxa_yesterday() - 2)
       AS same_rows;
\set VERBOSITY default

-- an equality selects a day: still the loud error, in every form, also from an outer row
SELECT c.state, wxa_test.undated(c.message) AS message, c.hint
FROM unnest(ARRAY[
  'SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = wxa_yesterday()',
  'SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date IN (wxa_yesterday() - 1, wxa_yesterday() - 3)',
  'SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = ANY (ARRAY[wxa_yesterday()])',
  'SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = wxa_yesterday() OR ref_date < wxa_yesterday() - 10 AND ref_date > wxa_yesterday() - 13',
  'SELECT count(*) FROM (VALUES (wxa_yesterday() - 3), (wxa_yesterday())) o(d) JOIN wxa.daily_visit_trend t ON t.ref_date = o.d',
  'SELECT count(*) FROM (VALUES (wxa_yesterday() - 3), (wxa_yesterday())) o(d), LATERAL (SELECT * FROM wxa.daily_visit_trend t WHERE t.ref_date = o.d OFFSET 0) t'
]) WITH ORDINALITY AS q(query, i),
     wxa_test.caught(replace(q.query, 'wxa_yesterday()', :'ext' || '.wxa_yesterday()')) c ORDER BY i;

-- the incremental load: too early, it fails and stores nothing; once published, it loads
CREATE TABLE daily_visits (ref_date date PRIMARY KEY, visit_uv bigint, loaded_at timestamptz);
\set load 'INSERT INTO daily_visits SELECT ref_date, visit_uv, now() FROM wxa.daily_visit_trend WHERE ref_date = ' :ext '.wxa_yesterday() ON CONFLICT (ref_date) DO UPDATE SET visit_uv = EXCLUDED.visit_uv, loaded_at = EXCLUDED.loaded_at'
SELECT state, wxa_test.undated(message) AS message FROM wxa_test.caught(:'load');
SELECT count(*) AS stored FROM daily_visits;
\! python3 test/emulator/emuctl.py config unpublished_days=0 >/dev/null
:load;
:load;
SELECT count(*) AS stored, bool_and(ref_date = :ext.wxa_yesterday()) AS yesterday FROM daily_visits;
\! python3 test/emulator/emuctl.py config unpublished_days=2 >/dev/null

-- unpublished 'error': 1.1's behaviour for a range too; 'skip': every unpublished period left out
ALTER FOREIGN TABLE wxa.daily_visit_trend OPTIONS (ADD unpublished 'error');
SELECT state, wxa_test.undated(message) AS message
FROM wxa_test.caught(format('SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= %s.wxa_yesterday() - 6', :'ext'));
ALTER FOREIGN TABLE wxa.daily_visit_trend OPTIONS (SET unpublished 'skip');
\set VERBOSITY terse
SELECT count(*) AS rows FROM wxa.daily_visit_trend WHERE ref_date = :ext.wxa_yesterday();
\set VERBOSITY default
-- the table's option wins over the server's
ALTER SERVER wechat OPTIONS (ADD unpublished 'error');
\set VERBOSITY terse
SELECT count(*) AS rows FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 1;
\set VERBOSITY default
SELECT state, wxa_test.undated(message) AS message
FROM wxa_test.caught(format('SELECT count(*) FROM wxa.daily_summary WHERE ref_date >= %s.wxa_yesterday() - 6', :'ext'));
ALTER SERVER wechat OPTIONS (DROP unpublished);
ALTER FOREIGN TABLE wxa.daily_visit_trend OPTIONS (DROP unpublished);

-- a day in the middle not published while later ones are: no morning's wait, an error (auto) ...
\! python3 test/emulator/emuctl.py config unpublished_days=0 unpublished_dates=20240105 >/dev/null
SELECT * FROM wxa_test.caught($$SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07'$$);
-- ... also when the range ends there: the days after it up to yesterday were not asked for
SELECT state, message FROM wxa_test.caught($$SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-05'$$);
-- ... left out with skip, the NOTICE naming it
ALTER FOREIGN TABLE wxa.daily_visit_trend OPTIONS (ADD unpublished 'skip');
SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-03' AND '2024-01-07' ORDER BY 1;
ALTER FOREIGN TABLE wxa.daily_visit_trend OPTIONS (DROP unpublished);
-- yesterday and the day before the day before unpublished, the day between published: not one
-- unbroken run. Yesterday alone would be left out; the older one fails the query.
SELECT to_char(:ext.wxa_yesterday(), 'YYYYMMDD') || ',' || to_char(:ext.wxa_yesterday() - 2, 'YYYYMMDD') AS holes \gset
\setenv HOLES :holes
\! python3 test/emulator/emuctl.py config unpublished_dates=$HOLES >/dev/null
SELECT state, wxa_test.undated(message) AS message, detail
FROM wxa_test.caught(format('SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= %s.wxa_yesterday() - 6', :'ext'));
\set VERBOSITY terse
SELECT count(*) > 0 AS rows FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 1;
\set VERBOSITY default
\! python3 test/emulator/emuctl.py reset >/dev/null

-- WeChat's other answer before publication, the empty one: unpublished while it is before
-- wxa_fdw.publication_hour in Beijing (24: always; 0: never, an empty day has no data)
\! python3 test/emulator/emuctl.py config unpublished_days=1 unpublished_answer=empty >/dev/null
SET wxa_fdw.publication_hour = 24;
\set VERBOSITY terse
SELECT max(ref_date) = :ext.wxa_yesterday() - 1 AS newest_is_published
FROM wxa.daily_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 3;
\set VERBOSITY default
SELECT state, wxa_test.undated(message) AS message
FROM wxa_test.caught(format('SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = %s.wxa_yesterday()', :'ext'));
SET wxa_fdw.publication_hour = 0;
SELECT count(*) AS rows FROM wxa.daily_visit_trend WHERE ref_date = :ext.wxa_yesterday();
RESET wxa_fdw.publication_hour;
\! python3 test/emulator/emuctl.py reset >/dev/null

-- weeks, months and the portrait's windows: the newest unpublished ones left out
\! python3 test/emulator/emuctl.py config unpublished_days=1 >/dev/null
\set VERBOSITY terse
SELECT count(DISTINCT end_date) AS windows, bool_and(end_date < :ext.wxa_yesterday()) AS all_published
FROM wxa.user_portrait WHERE end_date >= :ext.wxa_yesterday() - 2 AND days = 30;
SELECT count(*) > 0 AS rows FROM wxa.user_portrait WHERE end_date >= :ext.wxa_yesterday() - 1;
\set VERBOSITY default
SELECT state, wxa_test.undated(message) AS message
FROM wxa_test.caught(format('SELECT count(*) FROM wxa.user_portrait WHERE end_date = %s.wxa_yesterday() AND days = 7', :'ext'));
\! python3 test/emulator/emuctl.py config unpublished_days=40 >/dev/null
SET client_min_messages = warning;   -- how many weeks are left out depends on the weekday
SELECT count(*) > 0 AS weeks, bool_and(end_date < :ext.wxa_yesterday() - 39) AS all_published
FROM wxa.weekly_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 100;
SELECT count(*) > 0 AS months, bool_and(end_date < :ext.wxa_yesterday() - 39) AS all_published
FROM wxa.monthly_visit_trend WHERE ref_date >= :ext.wxa_yesterday() - 200;
RESET client_min_messages;
\! python3 test/emulator/emuctl.py reset >/dev/null
