-- Driven by bench/run-benchmark: the period store (issue 18). With `store 'on'`:
--   1. a 365-day scan of settled days, then the same scan in a new session: requests,
--      token fetches and the ratio of the second wall time to the first (target: 0
--      requests, 0 token fetches, at most 0.25);
--   2. REFRESH MATERIALIZED VIEW of the 365 days ending yesterday, twice: requests of the
--      second (target: at most 8, the days not settled yet);
--   3. a self-join of 6 unsettled days: requests (target: 6);
--   4. the store's size per period for each endpoint (31 days, or 31 end dates of each
--      portrait window).
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emuctl 'python3 test/emulator/emuctl.py'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS wxa_fdw;
CREATE SERVER wechat_store FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', store 'on', max_requests '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_store OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SCHEMA st;
IMPORT FOREIGN SCHEMA wxa FROM SERVER wechat_store INTO st;
CREATE TABLE store_results (measure text, requests int, token_fetches int, wall_ms float8, note text);
\ir timed_count.sql

-- 1. the first scan fetches and keeps; the second, in a new session, reads
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM st.daily_visit_trend WHERE ref_date BETWEEN '2023-01-01' AND '2023-12-31'$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
\set toks `python3 test/emulator/emuctl.py count token`
INSERT INTO store_results VALUES ('365 settled days, first scan', :reqs, :toks, :ms, 'fetched and kept');
\c
SET client_min_messages = warning;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM st.daily_visit_trend WHERE ref_date BETWEEN '2023-01-01' AND '2023-12-31'$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
\set toks `python3 test/emulator/emuctl.py count token`
INSERT INTO store_results VALUES ('365 settled days, new session', :reqs, :toks, :ms, 'target: 0 requests, 0 token fetches, <= 0.25 x the first');

-- 2. a nightly refresh of the last 365 days
CREATE MATERIALIZED VIEW trend_365 AS
  SELECT * FROM st.daily_visit_trend WHERE ref_date BETWEEN wxa_yesterday('wechat_store') - 364 AND wxa_yesterday('wechat_store');
\! python3 test/emulator/emuctl.py reset >/dev/null
\set t0 `date +%s%N`
REFRESH MATERIALIZED VIEW trend_365;
\set t1 `date +%s%N`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO store_results VALUES ('REFRESH of 365 days ending yesterday, first', :reqs, NULL, (:t1 - :t0) / 1e6, '');
\! python3 test/emulator/emuctl.py reset >/dev/null
\set t0 `date +%s%N`
REFRESH MATERIALIZED VIEW trend_365;
\set t1 `date +%s%N`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO store_results VALUES ('REFRESH of 365 days ending yesterday, again', :reqs, NULL, (:t1 - :t0) / 1e6, 'target: <= 8 requests');

-- 3. a self-join of 6 days not settled yet
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM st.daily_visit_trend a JOIN st.daily_visit_trend b ON b.ref_date = a.ref_date
                     WHERE a.ref_date BETWEEN wxa_yesterday('wechat_store') - 5 AND wxa_yesterday('wechat_store')
                       AND b.ref_date BETWEEN wxa_yesterday('wechat_store') - 5 AND wxa_yesterday('wechat_store')$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO store_results VALUES ('self-join of 6 unsettled days', :reqs, NULL, :ms, 'target: 6 requests');

SELECT measure, requests, token_fetches, round(wall_ms::numeric, 1) AS wall_ms, note FROM store_results;
SELECT round((SELECT wall_ms FROM store_results WHERE measure LIKE '365 settled days, new%')::numeric
             / (SELECT wall_ms FROM store_results WHERE measure LIKE '365 settled days, first%')::numeric, 3)
       AS second_scan_over_first;

-- 4. the store's size per period, each endpoint
SELECT count(*) FROM st.daily_summary WHERE ref_date BETWEEN '2023-01-01' AND '2023-01-31';
SELECT count(*) FROM st.visit_distribution WHERE ref_date BETWEEN '2023-01-01' AND '2023-01-31';
SELECT count(*) FROM st.daily_retain WHERE ref_date BETWEEN '2023-01-01' AND '2023-01-31';
SELECT count(*) FROM st.visit_page WHERE ref_date BETWEEN '2023-01-01' AND '2023-01-31';
SELECT count(*) FROM st.weekly_visit_trend WHERE ref_date BETWEEN '2022-06-01' AND '2022-12-31';
SELECT count(*) FROM st.weekly_retain WHERE ref_date BETWEEN '2022-06-01' AND '2022-12-31';
SELECT count(*) FROM st.monthly_visit_trend WHERE ref_date BETWEEN '2020-01-01' AND '2022-12-31';
SELECT count(*) FROM st.monthly_retain WHERE ref_date BETWEEN '2020-01-01' AND '2022-12-31';
SELECT count(*) FROM st.user_portrait WHERE end_date BETWEEN '2023-01-01' AND '2023-01-31';
SELECT endpoint, periods, bytes, round(bytes::numeric / periods) AS bytes_per_period
FROM wxa_store_summary() ORDER BY endpoint;
