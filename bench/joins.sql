-- Driven by bench/run-benchmark: the batched joins against the range scan of the same days
-- (README, "Joins"), and a 1,000,000-row outer side with the backend's peak memory.
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS wxa_fdw;
CREATE SERVER join_wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER join_wechat OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE join_trend (ref_date date, visit_pv bigint)
  SERVER join_wechat OPTIONS (endpoint 'daily_visit_trend');

\ir timed_count.sql

-- the token first, so that the joins measure data requests only
SELECT count(*) FROM join_trend WHERE ref_date = '2019-12-31' \gset warm_

CREATE TABLE orders AS
  SELECT d::date AS day, n AS line FROM generate_series('2021-01-01'::date, '2021-12-31', '1 day') d, generate_series(1, 2) n;
CREATE TABLE campaigns AS
  SELECT 'c' || i AS name, '2020-01-01'::date + 10 * i AS starts, '2020-01-01'::date + 10 * i + 2 AS ends
  FROM generate_series(1, 24) i;
ANALYZE orders, campaigns;
CREATE TEMP TABLE joins (query text, requests int, wall_ms float8, ideal_ms float8);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM join_trend WHERE ref_date BETWEEN '2020-06-01' AND '2021-05-31'$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('365-day range scan', :reqs, :ms, NULL);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM orders o JOIN join_trend t ON t.ref_date = o.day$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('365-day join, 730 order rows', :reqs, :ms, NULL);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM campaigns c JOIN join_trend t ON t.ref_date BETWEEN c.starts AND c.ends$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('24 campaigns x 3 days BETWEEN', :reqs, :ms, NULL);
SET wxa_fdw.enable_batched_join = off;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM campaigns c JOIN join_trend t ON t.ref_date BETWEEN c.starts AND c.ends$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('the same, nested loop (batched join off)', :reqs, :ms, NULL);
RESET wxa_fdw.enable_batched_join;

-- twenty apps: a 30-day join to the partitioned table (600 periods, all apps' periods of a batch
-- sent together) against the 30-day range scan of it (async Append); ideal: ceil(600 / 64)
\ir twenty_apps.sql
CREATE TABLE app_days AS SELECT d::date AS day FROM generate_series('2021-04-01'::date, '2021-04-30', '1 day') d;
ANALYZE app_days;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM apps.daily_visit_trend WHERE ref_date BETWEEN '2021-03-01' AND '2021-03-30'$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('20 apps x 30-day range scan', :reqs, :ms, NULL);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM app_days d JOIN apps.daily_visit_trend v ON v.ref_date = d.day$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('20 apps x 30-day join', :reqs, :ms, NULL);
SET wxa_fdw.enable_batched_join = off;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM app_days d JOIN apps.daily_visit_trend v ON v.ref_date = d.day$$) AS ms \gset
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('20 apps x 30-day join, nested loop (batched join off)', :reqs, :ms, NULL);
RESET wxa_fdw.enable_batched_join;

-- a 1,000,000-row outer side over two years of days (730 periods): the backend's peak
-- memory (VmHWM) before and after, against work_mem
CREATE TABLE big_outer AS
  SELECT i, '2019-01-01'::date + (i % 730) AS day FROM generate_series(1, 1000000) i;
ANALYZE big_outer;
SELECT pg_backend_pid() AS pid \gset
\set hwm_before `grep VmHWM /proc/:pid/status | awk '{print $2}'`
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT timed_count($$SELECT count(*) FROM big_outer b JOIN join_trend t ON t.ref_date = b.day$$) AS ms \gset
\set hwm_after `grep VmHWM /proc/:pid/status | awk '{print $2}'`
\set reqs `python3 test/emulator/emuctl.py count datacube`
INSERT INTO joins VALUES ('1,000,000 outer rows over 730 days', :reqs, :ms, NULL);

\set latency `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["latency_ms"])'`
\pset footer off
-- one server's max_concurrency is 8; twenty apps share wxa_fdw.max_total_concurrency, 64
UPDATE joins SET ideal_ms = ceil(requests::numeric / CASE WHEN query LIKE '20 apps%' THEN 64 ELSE 8 END) * :latency;
SELECT query, requests, round(wall_ms) AS wall_ms, ideal_ms, round((wall_ms / ideal_ms)::numeric, 2) AS ratio_to_ideal,
       round((wall_ms / (SELECT r.wall_ms FROM joins r
                         WHERE r.query = CASE WHEN j.query LIKE '20 apps%' THEN '20 apps x 30-day range scan'
                                              ELSE '365-day range scan' END))::numeric, 2) AS ratio_to_range_scan
FROM joins j;
SELECT current_setting('work_mem') AS work_mem, :hwm_before AS peak_kb_before, :hwm_after AS peak_kb_after,
       :hwm_after - :hwm_before AS peak_growth_kb;
