-- Driven by bench/run-benchmark: a 365-day daily_visit_trend scan at the
-- default max_concurrency and at max_concurrency 1, against the emulator with
-- a fixed latency. Prints one row of measurements per scan.
-- http:// or https:// (bench/run-benchmark runs it over both)
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`
\set emuctl 'python3 test/emulator/emuctl.py'
SET client_min_messages = warning;
CREATE EXTENSION wxa_fdw;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca');
CREATE SERVER wechat_seq FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca', max_concurrency '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_seq OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE trend (ref_date date, visit_pv bigint) SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
CREATE FOREIGN TABLE trend_seq (ref_date date, visit_pv bigint) SERVER wechat_seq OPTIONS (endpoint 'daily_visit_trend');
CREATE TEMP TABLE results (scan text, requests int, concurrency int, wall_ms float8, connections int);

-- tokens first, so that the scans measure data requests only
SELECT count(*) FROM trend WHERE ref_date = '2022-12-31' \gset warm_
SELECT count(*) FROM trend_seq WHERE ref_date = '2022-12-31' \gset warm_

\ir timed_count.sql

\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM trend WHERE ref_date BETWEEN '2023-01-01' AND '2023-12-31'$$) AS ms \gset
\set conns `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO results VALUES ('365 days, default concurrency', :reqs, 8, :ms, :conns);

\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM trend WHERE ref_date BETWEEN '2022-01-01' AND '2022-12-31'$$) AS ms \gset
\set conns `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO results VALUES ('365 days again (warm connections)', :reqs, 8, :ms, :conns);

\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM trend_seq WHERE ref_date BETWEEN '2023-01-01' AND '2023-12-31'$$) AS ms \gset
\set conns `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO results VALUES ('365 days, max_concurrency 1', :reqs, 1, :ms, :conns);

-- many mini programs: twenty apps, one partitioned table, one query (async Append)
\ir twenty_apps.sql

\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM apps.daily_visit_trend WHERE ref_date = '2023-03-01'$$) AS ms \gset
\set conns `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO results VALUES ('20 apps x 1 day', :reqs, 64, :ms, :conns);

\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM apps.daily_visit_trend WHERE ref_date BETWEEN '2023-04-01' AND '2023-04-30'$$) AS ms \gset
\set conns `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO results VALUES ('20 apps x 30 days', :reqs, 64, :ms, :conns);

-- the same one day without asynchronous execution: the Append asks one app after another
SET enable_async_append = off;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM apps.daily_visit_trend WHERE ref_date = '2023-03-02'$$) AS ms \gset
\set conns `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["connections"])'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO results VALUES ('20 apps x 1 day, enable_async_append off', :reqs, 1, :ms, :conns);
RESET enable_async_append;

-- cancel latency: statement_timeout fires while a response is stalled
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=30 times=1 >/dev/null
SELECT clock_timestamp() AS t0 \gset
SET statement_timeout = '200ms';
SELECT count(*) FROM trend WHERE ref_date = '2023-06-01';
RESET statement_timeout;
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 - 200 AS cancel_ms \gset
\! python3 test/emulator/emuctl.py reset >/dev/null

-- code images: 200 scenes in one batch, against the one-at-a-time UPDATE, in the same run
CREATE TEMP TABLE coupon (id int PRIMARY KEY, qr bytea);
INSERT INTO coupon SELECT g, NULL FROM generate_series(1, 200) g;
CREATE TEMP TABLE image_results (way text, requests int, concurrency int, wall_ms float8, made int);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$WITH u AS (
    UPDATE coupon c SET qr = b.image
    FROM wxa_get_wxacode_unlimit_batch('wechat', ARRAY(SELECT 'c=' || id FROM coupon ORDER BY id)) b
    WHERE b.scene = 'c=' || c.id RETURNING 1) SELECT count(*) FROM u$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count getwxacodeunlimit`
INSERT INTO image_results SELECT '200 scenes, wxa_get_wxacode_unlimit_batch', :reqs, 8, :ms, count(qr) FROM coupon;
UPDATE coupon SET qr = NULL;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$WITH u AS (
    UPDATE coupon SET qr = wxa_get_wxacode_unlimit('wechat', 'c=' || id) RETURNING 1)
    SELECT count(*) FROM u$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count getwxacodeunlimit`
INSERT INTO image_results SELECT '200 scenes, one-at-a-time UPDATE', :reqs, 1, :ms, count(qr) FROM coupon;
\! python3 test/emulator/emuctl.py reset >/dev/null

\set latency `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["latency_ms"])'`
\pset footer off
SELECT scan, requests, concurrency AS conc, connections AS new_conns, round(wall_ms) AS wall_ms,
       ceil(requests::numeric / concurrency) * :latency AS ideal_ms,
       round((wall_ms / (ceil(requests::numeric / concurrency) * :latency))::numeric, 3) AS ratio_to_ideal,
       round((wall_ms / :latency)::numeric, 1) AS round_trips
FROM results ORDER BY wall_ms;
SELECT round(((SELECT wall_ms FROM results WHERE scan = '365 days, max_concurrency 1') /
              (SELECT wall_ms FROM results WHERE scan LIKE '365 days, default%'))::numeric, 2) AS speedup_over_sequential,
       round(((SELECT wall_ms FROM results WHERE scan LIKE '20 apps x 1 day, enable_async%') /
              (SELECT wall_ms FROM results WHERE scan = '20 apps x 1 day'))::numeric, 2) AS async_append_speedup_20_apps,
       round(:cancel_ms::numeric, 1) AS cancel_latency_ms_after_statement_timeout;
SELECT way, requests, made, concurrency AS conc, round(wall_ms) AS wall_ms,
       ceil(requests::numeric / concurrency) * :latency AS ideal_ms,
       round((wall_ms / (ceil(requests::numeric / concurrency) * :latency))::numeric, 3) AS ratio_to_ideal
FROM image_results ORDER BY wall_ms;
SELECT round(((SELECT wall_ms FROM image_results WHERE concurrency = 1) /
              (SELECT wall_ms FROM image_results WHERE concurrency = 8))::numeric, 2) AS batch_speedup_over_update;
