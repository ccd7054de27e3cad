-- WeChat's calendar: wxa_today() / wxa_yesterday(), the option unpublished, EXPLAIN's reasons
-- for "Requests: 0" and its lists of days. The session runs far from Beijing (Los Angeles is
-- 15 or 16 hours behind), where current_date is often another day than WeChat's.
SET timezone = 'America/Los_Angeles';
\set count_daily 'python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend'
\! python3 test/emulator/emuctl.py reset >/dev/null

-- today and yesterday in Beijing, at the start of the transaction (now() is that moment too)
SELECT wxa_today() = (now() AT TIME ZONE 'Asia/Shanghai')::date AS today_in_beijing,
       wxa_yesterday() = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 AS yesterday_in_beijing,
       wxa_today(NULL) = wxa_today() AS null_is_beijing,
       wxa_today('wechat') = wxa_today() AS server_without_timezone;
BEGIN;
SELECT wxa_yesterday() AS y \gset
SELECT pg_sleep(0.01);
SELECT wxa_yesterday() = :'y'::date AS same_day_within_the_transaction,
       wxa_yesterday() = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1 AS at_transaction_start;
COMMIT;
SELECT p.proname, p.provolatile, p.proparallel, pg_get_function_arguments(p.oid) AS arguments,
       pg_get_function_result(p.oid) AS result
FROM pg_proc p WHERE p.proname IN ('wxa_today', 'wxa_yesterday') ORDER BY 1;

-- a server's own timezone
CREATE SERVER wechat_la FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', timezone 'America/Los_Angeles');
SELECT wxa_today('wechat_la') = (now() AT TIME ZONE 'America/Los_Angeles')::date AS today_in_la,
       wxa_yesterday('wechat_la') = wxa_today('wechat_la') - 1 AS yesterday_in_la;
-- not a wxa_fdw server, no such server
CREATE FOREIGN DATA WRAPPER not_wxa;
CREATE SERVER other FOREIGN DATA WRAPPER not_wxa;
SELECT * FROM wxa_test.caught($$SELECT wxa_today('other')$$);
SELECT * FROM wxa_test.caught($$SELECT wxa_yesterday('nosuch')$$);
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
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT * FROM wxa.daily_visit_trend WHERE ref_date = wxa_today();
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
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date = ANY (ARRAY['2024-01-01', '2024-02-01']::date[] || (SELECT '2024-03-01'::date));
