-- The wxa_fdw demo: a server pointing at the local WeChat emulator, a user
-- mapping with the emulator app's secret, the ten tables, and a few queries.
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE EXTENSION wxa_fdw;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SCHEMA wxa;
IMPORT FOREIGN SCHEMA wxa FROM SERVER wechat INTO wxa;

-- a week of daily visits: seven requests, sent concurrently
SELECT ref_date, visit_uv, visit_uv_new, round(stay_time_uv) AS stay_s
FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN '2024-03-04' AND '2024-03-10'
ORDER BY ref_date;

-- where visitors came from on one day, with the documented labels
SELECT key, label, value
FROM wxa.visit_distribution
WHERE ref_date = '2024-03-04' AND index = 'access_source_session_cnt'
ORDER BY value DESC LIMIT 5;

-- weekly retention of new users
SELECT ref_date, end_date, key AS weeks_later, value
FROM wxa.weekly_retain
WHERE ref_date = '2024-02-26' AND user_type = 'visit_uv_new'
ORDER BY key;

-- 30-day portrait: top provinces of active users
SELECT name, value
FROM wxa.user_portrait
WHERE end_date = '2024-03-31' AND days = 30 AND user_type = 'visit_uv' AND attribute = 'province'
ORDER BY value DESC LIMIT 5;

-- what a scan does, without running it
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-31';
