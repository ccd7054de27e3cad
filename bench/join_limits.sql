-- Included by bench/join_shapes.sql: the join shapes that still run as a nested loop (README,
-- "Limitations"), each against the rewrite that avoids it, at 50 ms latency over 30 outer days.
\c
SET client_min_messages = warning;
\! python3 test/emulator/emuctl.py reset >/dev/null
\set ignored `python3 test/emulator/emuctl.py config latency_ms=50 >/dev/null`
CREATE TABLE lim_outer AS
  SELECT d::date AS day, format('wx%s', lpad(to_hex(1 + n), 16, '0')) AS appid
  FROM generate_series('2020-03-01'::date, '2020-03-30', '1 day') d, generate_series(0, 1) n;
ANALYZE lim_outer;
CREATE SCHEMA lim_apps;
SELECT count(*) AS parents FROM wxa_create_app_tables('lim_apps') \gset
SELECT count(*) AS partitions
FROM generate_series(1, 2) AS i,
     LATERAL wxa_add_app('lim_app' || i, format('wx%s', lpad(to_hex(i), 16, '0')),
                         md5(format('wx%s', lpad(to_hex(i), 16, '0'))), 'lim_apps',
                         jsonb_build_object('api_base_url', :'emu_url')) AS p \gset
CREATE TABLE lim_runs (shape text, ord int, way text, plan text, rows bigint, requests int, wall_ms float8);
-- lim(shape, ord, way, query): one timed run, the emulator's counters reset first
\set lim_reset 'python3 test/emulator/emuctl.py reset >/dev/null && python3 test/emulator/emuctl.py config latency_ms=50 >/dev/null && echo ok'

\set ignored `:lim_reset`
SELECT * FROM shape_count($$SELECT count(*) FROM (SELECT o.day, t.visit_pv FROM lim_outer o
  FULL JOIN (SELECT * FROM shape_trend WHERE ref_date BETWEEN '2020-03-01' AND '2020-03-30') t ON t.ref_date = o.day) x$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('FULL JOIN (fails without a range of its own)', 1, 'rewrite: the range in a subquery, a hash join', '', :n, :reqs, :ms);

SET wxa_fdw.enable_batched_join = on;
\set ignored `:lim_reset`
SELECT * FROM shape_count($$SELECT count(*) FROM lim_outer o
  JOIN lim_apps.daily_visit_trend v ON v.appid = o.appid AND v.ref_date = o.day$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('run-time pruning: a join clause on appid', 2, 'nested loop', '', :n, :reqs, :ms);
\set ignored `:lim_reset`
SELECT * FROM shape_count($$WITH j AS MATERIALIZED (SELECT o.appid AS want, v.appid FROM lim_outer o
  JOIN lim_apps.daily_visit_trend v ON v.ref_date = o.day) SELECT count(*) FROM j WHERE appid = want$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('run-time pruning: a join clause on appid', 2, 'rewrite: join on the date, appid after a MATERIALIZED CTE', '', :n, :reqs, :ms);

PREPARE lim_app(text) AS SELECT count(*) FROM lim_outer o
  JOIN lim_apps.daily_visit_trend v ON v.ref_date = o.day WHERE v.appid = $1 AND o.appid = $1;
SET plan_cache_mode = force_generic_plan;
\set ignored `:lim_reset`
SELECT clock_timestamp() AS t0 \gset
EXECUTE lim_app('wx0000000000000001') \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS ms \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('run-time pruning: appid = $1, generic plan', 3, 'nested loop', '', :count, :reqs, :ms);
SET plan_cache_mode = force_custom_plan;
\set ignored `:lim_reset`
SELECT clock_timestamp() AS t0 \gset
EXECUTE lim_app('wx0000000000000001') \gset
SELECT extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1000 AS ms \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('run-time pruning: appid = $1, generic plan', 3, 'rewrite: plan_cache_mode = force_custom_plan', '', :count, :reqs, :ms);
RESET plan_cache_mode;
DEALLOCATE lim_app;

\set ignored `:lim_reset`
SELECT * FROM shape_count($$SELECT count(s) FROM (SELECT o.day, (SELECT sum(t.visit_pv) FROM shape_trend t
  WHERE t.ref_date = o.day) AS s FROM lim_outer o) x$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('SubPlan: a scalar subquery per outer row', 4, 'nested loop (SubPlan)', '', :n, :reqs, :ms);
\set ignored `:lim_reset`
SELECT * FROM shape_count($$SELECT count(s) FROM (SELECT o.day, sum(t.visit_pv) AS s FROM lim_outer o
  LEFT JOIN shape_trend t ON t.ref_date = o.day GROUP BY o.ctid, o.day) x$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('SubPlan: a scalar subquery per outer row', 4, 'rewrite: LEFT JOIN ... GROUP BY', '', :n, :reqs, :ms);

\set ignored `:lim_reset`
SELECT * FROM shape_count($$SELECT count(r) FROM (SELECT o.day, row_to_json(t)::text AS r FROM lim_outer o
  JOIN shape_trend t ON t.ref_date = o.day) x$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('the whole row of the foreign table', 5, 'nested loop', '', :n, :reqs, :ms);
\set ignored `:lim_reset`
SELECT * FROM shape_count($$SELECT count(r) FROM (SELECT o.day, row_to_json((t.ref_date, t.visit_pv))::text AS r
  FROM lim_outer o JOIN shape_trend t ON t.ref_date = o.day) x$$) \gset
\set reqs `:count_reqs`
INSERT INTO lim_runs VALUES ('the whole row of the foreign table', 5, 'rewrite: the columns named', '', :n, :reqs, :ms);

SELECT shape, way, rows, requests, round(wall_ms) AS wall_ms,
       round((wall_ms / first_value(wall_ms) OVER (PARTITION BY shape ORDER BY way NOT LIKE 'rewrite%'))::numeric, 2)
         AS ratio_to_rewrite
FROM lim_runs ORDER BY ord, way NOT LIKE 'rewrite%';
DROP TABLE lim_outer, lim_runs;
DROP SCHEMA lim_apps CASCADE;
DROP SERVER lim_app1, lim_app2 CASCADE;
