-- daily_visit_trend end to end: the WHERE forms that become requests, one
-- request per day, and rows equal to what the emulator served (parsed here by
-- PostgreSQL's own jsonb, independently of the wrapper's parser).

-- a month: 31 requests, 31 rows (days without data give none)
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got AS
  SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-31';
\set data `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :data AS requests, count(*) AS rows, count(DISTINCT ref_date) AS days FROM got;

CREATE TEMP TABLE served (body jsonb, request jsonb);
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiddailyvisittrend'
CREATE TEMP VIEW expected AS
  SELECT to_date(item->>'ref_date', 'YYYYMMDD') AS ref_date,
         (item->>'session_cnt')::bigint AS session_cnt, (item->>'visit_pv')::bigint AS visit_pv,
         (item->>'visit_uv')::bigint AS visit_uv, (item->>'visit_uv_new')::bigint AS visit_uv_new,
         (item->>'stay_time_uv')::float8 AS stay_time_uv,
         (item->>'stay_time_session')::float8 AS stay_time_session,
         (item->>'visit_depth')::float8 AS visit_depth
  FROM served, jsonb_array_elements(body->'list') AS item;
-- the requests asked for one day each, in the compact date form
SELECT count(*) AS requests, count(*) FILTER (WHERE request->>'begin_date' = request->>'end_date'
         AND request->>'begin_date' ~ '^2024010[1-9]$|^202401[1-3][0-9]$') AS one_day_each
FROM served;
-- rows served and rows returned are the same multiset
SELECT count(*) AS served_rows FROM expected;
(SELECT * FROM got EXCEPT ALL SELECT * FROM expected)
UNION ALL
(SELECT * FROM expected EXCEPT ALL SELECT * FROM got);
-- missing fields are NULL, not zero
SELECT count(*) FILTER (WHERE stay_time_uv IS NULL) > 0 AS some_missing_stay_time_uv,
       count(*) FILTER (WHERE stay_time_uv IS NULL) = (SELECT count(*) FROM expected WHERE stay_time_uv IS NULL) AS same_as_served
FROM got;
SELECT * FROM got ORDER BY ref_date LIMIT 3;

-- the accepted WHERE forms, each counted on the emulator
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date, visit_pv FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-15';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests_for_equality;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= '2024-01-10' AND ref_date <= '2024-01-16';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests_for_range;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date > '2024-01-10' AND ref_date < '2024-01-16';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests_for_open_range;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date FROM wxa.daily_visit_trend
WHERE ref_date IN ('2024-01-20', '2024-01-03', '2024-01-20', '2024-01-07') ORDER BY 1;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests_for_in_list_with_duplicate;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE '2024-01-05' <= ref_date AND '2024-01-01' < ref_date
  AND ref_date BETWEEN '2024-01-01' AND '2024-01-07';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests_for_commuted_and_combined;

-- quals that cannot narrow the requests are still applied locally
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date, visit_pv > 0 AS has_visits FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-05' AND (extract(dow FROM ref_date) = 2 OR ref_date = '2024-01-04')
ORDER BY 1;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests;

-- contradictions, NULLs and the future send nothing
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date > '2024-01-10' AND ref_date < '2024-01-05';
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = NULL::date;
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date IN (NULL::date);
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= current_date + 1;
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = 'infinity';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- no restriction, or none that bounds the past: an error with a WHERE clause that works
SELECT count(*) FROM wxa.daily_visit_trend;
SELECT count(*) FROM wxa.daily_visit_trend WHERE visit_pv > 10;
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date <= '2024-01-01';
-- more requests than max_requests: an error before anything is sent
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= '2020-01-01' AND ref_date < '2024-01-01';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- WeChat's own errors carry errcode and errmsg
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=48001 >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py reset >/dev/null
