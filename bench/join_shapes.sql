-- Driven by bench/run-benchmark (BENCH_ONLY=shapes, or after bench/joins.sql): the join shapes of
-- issue 21 over :outer_rows outer rows (default 1,000,000) across 730 days, the batched join
-- against the nested loop (Memoize on), at 0 ms and 50 ms emulator latency. Each query runs in a
-- fresh backend, so that its peak memory is its own: VmHWM of /proc/<pid>/status before and after.
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\if :{?outer_rows}
\else
\set outer_rows 1000000
\endif
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS wxa_fdw;
CREATE SERVER shape_wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER shape_wechat OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE shape_trend (ref_date date, visit_pv bigint)
  SERVER shape_wechat OPTIONS (endpoint 'daily_visit_trend');
-- shape_count(query): runs query (one row, one count): its count and wall time in ms
CREATE FUNCTION shape_count(query text, OUT n bigint, OUT ms float8) LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz := clock_timestamp();
BEGIN
  EXECUTE query INTO n;
  ms := extract(epoch FROM clock_timestamp() - t0) * 1000;
END $$;
-- shape_plan(query): the join nodes of its plan
CREATE FUNCTION shape_plan(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE line text; nodes text[] := '{}';
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ '(WxaBatchedJoin|Nested Loop|Memoize|Hash Join|Merge Join)' THEN
      nodes := nodes || trim(regexp_replace(line, '^[ ->]*', ''));
    END IF;
  END LOOP;
  RETURN array_to_string(nodes, ' / ');
END $$;
-- a day, the same day as text, three days in an array
CREATE TABLE shape_outer AS
  SELECT i, d AS day, d::text AS dt, ARRAY[d, d - 1, d - 2] AS days
  FROM generate_series(1, :outer_rows) i, LATERAL (SELECT '2019-01-03'::date + (i % 730) AS d) x;
ANALYZE shape_outer;
CREATE TABLE shape_queries (shape text PRIMARY KEY, ord int, query text);
INSERT INTO shape_queries VALUES
  ('ANY(array_fill(o.day, ARRAY[200]))', 1,
   'SELECT count(*) FROM shape_outer o JOIN shape_trend t ON t.ref_date = ANY(array_fill(o.day, ARRAY[200]))'),
  ('ANY of 3-element arrays', 2,
   'SELECT count(*) FROM shape_outer o JOIN shape_trend t ON t.ref_date = ANY(o.days)'),
  ('text cast o.dt::date', 3,
   'SELECT count(*) FROM shape_outer o JOIN shape_trend t ON t.ref_date = o.dt::date'),
  ('plain equality', 4,
   'SELECT count(*) FROM shape_outer o JOIN shape_trend t ON t.ref_date = o.day');
CREATE TABLE shape_runs (shape text, latency_ms int, batched boolean, plan text, rows bigint,
                         requests int, wall_ms float8, peak_growth_kb bigint);
\set count_reqs 'python3 test/emulator/emuctl.py count datacube'

-- one measurement: \set shape, latency, batched; then \ir this file's companion
\set latency 0
\set batched on
\set shape 'ANY(array_fill(o.day, ARRAY[200]))'
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set shape 'ANY of 3-element arrays'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set shape 'text cast o.dt::date'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set shape 'plain equality'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set latency 50
\set shape 'ANY(array_fill(o.day, ARRAY[200]))'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set shape 'ANY of 3-element arrays'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set shape 'text cast o.dt::date'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql
\set shape 'plain equality'
\set batched on
\ir join_shapes_one.sql
\set batched off
\ir join_shapes_one.sql

\pset footer off
SELECT current_setting('work_mem') AS work_mem, :outer_rows AS outer_rows;
-- ratios batched / nested loop: below 1 the batched join is better
SELECT r.shape, r.latency_ms, b.requests AS batched_requests, n.requests AS nested_requests,
       round(b.wall_ms) AS batched_ms, round(n.wall_ms) AS nested_ms,
       round((b.wall_ms / n.wall_ms)::numeric, 2) AS time_ratio,
       b.peak_growth_kb AS batched_peak_kb, n.peak_growth_kb AS nested_peak_kb,
       round(b.peak_growth_kb::numeric / greatest(n.peak_growth_kb, 1), 2) AS memory_ratio,
       b.rows = n.rows AS same_count
FROM (SELECT DISTINCT shape, latency_ms FROM shape_runs) r
JOIN shape_runs b ON b.shape = r.shape AND b.latency_ms = r.latency_ms AND b.batched
JOIN shape_runs n ON n.shape = r.shape AND n.latency_ms = r.latency_ms AND NOT n.batched
JOIN shape_queries q ON q.shape = r.shape
ORDER BY r.latency_ms, q.ord;
SELECT DISTINCT shape, batched, plan FROM shape_runs ORDER BY 1, 2;
DROP TABLE shape_outer, shape_queries, shape_runs;
\ir join_limits.sql
DROP FUNCTION shape_count(text), shape_plan(text);
DROP SERVER shape_wechat CASCADE;
