-- wxa_api_quota: WeChat's daily quota of the APIs wxa_fdw calls (the emulator's own
-- request counts are the "used" figures), its errors, and days not published yet
-- (61503): an error of its own, never retried, never an empty result.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset

-- one path
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(image) FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['q1', 'q2', 'q3']);
SELECT * FROM :ext.wxa_api_quota('wechat', '/wxa/getwxacodeunlimit');
-- every path wxa_fdw calls except /sns/ ones: the catalog's ten endpoints, the three
-- code images and the token endpoint in use
SELECT q.cgi_path, q.daily_limit, q.used, q.remain FROM :ext.wxa_api_quota('wechat') q ORDER BY 1;
-- a monitoring query: the APIs with less than 10 % of their daily quota left
\! python3 test/emulator/emuctl.py config daily_quota=3 >/dev/null
SELECT cgi_path, used, remain FROM :ext.wxa_api_quota('wechat') WHERE remain < daily_limit * 0.1;
-- never clear_quota
\set cleared `python3 test/emulator/emuctl.py count clear_quota`
SELECT :cleared AS clear_quota_calls;
-- errors: clear, with WeChat's errcode
SELECT * FROM :ext.wxa_api_quota('wechat', '/sns/jscode2session');
SELECT * FROM :ext.wxa_api_quota('wechat', '/wxa/nope');
SELECT * FROM :ext.wxa_api_quota('wechat', 'wxa/getwxacode');
SELECT * FROM :ext.wxa_api_quota('wechat', '/wxa/getwxacode?x=1');
\! python3 test/emulator/emuctl.py fault quota/get errcode errcode=76003 >/dev/null
SELECT * FROM :ext.wxa_api_quota('wechat', '/wxa/getwxacode');
-- privileges as for every function that calls WeChat
CREATE ROLE wxa_quota_user;
SET ROLE wxa_quota_user;
SELECT * FROM :ext.wxa_api_quota('wechat');
RESET ROLE;
DROP ROLE wxa_quota_user;

-- 61503: data not published yet. Its own SQLSTATE (55000), a hint about when WeChat
-- publishes a day, one request (never retried), never an empty result
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=61503 match=20240103 >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-03';
\set sent `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :sent AS requests;
-- as the emulator does on its own for yesterday before publication (publish_hour=24: never)
\! python3 test/emulator/emuctl.py config publish_hour=24 >/dev/null
DO $$
BEGIN
  PERFORM count(*) FROM wxa.daily_visit_trend
  WHERE ref_date = (now() AT TIME ZONE 'Asia/Shanghai')::date - 1;  -- yesterday in Beijing
  RAISE NOTICE 'no error';
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RAISE NOTICE 'not published yet (SQLSTATE %)', SQLSTATE;
END $$;
-- a materialized view refreshed too early fails and keeps what it had
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE MATERIALIZED VIEW trend_recent AS
  SELECT ref_date, visit_uv FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-03';
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=61503 times=-1 match=20240102 >/dev/null
REFRESH MATERIALIZED VIEW trend_recent;
SELECT count(*) AS rows_kept FROM trend_recent;
DROP MATERIALIZED VIEW trend_recent;
