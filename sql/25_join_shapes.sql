-- Join shapes: every way the outer side can restrict a wxa_fdw table's dates (arrays,
-- casts, functions of outer columns, ranges per row, a lower bound from the outer row
-- with an upper bound from a parameter, a stable expression or an outer query), in
-- plain joins, prepared statements past the generic switch, PL/pgSQL, correlated
-- subqueries, outer joins and partitioned tables. Every answer is compared with the
-- nested loop's (wxa_fdw.enable_batched_join = off) and with a local copy of the data.
\! python3 test/emulator/emuctl.py reset >/dev/null
-- the local copy: the same tables in schema loc, the days the suite reads
CREATE SCHEMA loc;
CREATE TABLE loc.daily_visit_trend AS
  SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-24' AND '2024-03-12'
  UNION ALL
  SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN current_date - 706 AND current_date - 697;
SELECT count(*) AS local_days FROM loc.daily_visit_trend WHERE ref_date <= '2024-03-12';

-- outer rows: a day, the same day as text, an array of days, a range; repeats, NULLs and a
-- day in the future (no period)
CREATE TABLE od (id int, day date, dt text, days date[], lo date, hi date);
INSERT INTO od
  SELECT i, d, to_char(d, 'YYYY-MM-DD'), ARRAY[d, d - 3, '2024-03-09'], d - 2, d + 1
  FROM generate_series(1, 40) i, LATERAL (SELECT '2024-03-01'::date + i % 6 AS d) x;
INSERT INTO od VALUES (41, NULL, NULL, NULL, NULL, NULL),
  (42, '2099-01-01', '2099-01-01', ARRAY[NULL::date, '2099-01-02'], '2099-01-01', '2098-01-01'),
  (43, '2024-03-05', '2024-03-05', '{}', '2024-03-06', '2024-03-05');
-- outer rows seven hundred days back, for bounds relative to current_date (how many rows they
-- find varies with the day: the emulator leaves about one day in twenty empty, so the suite shows
-- only that there are some); and three fixed days, four rows each
CREATE TABLE ol AS SELECT i AS id, '2024-03-03'::date + i % 3 AS day FROM generate_series(1, 12) i;
CREATE TABLE od_rel AS SELECT i AS id, current_date - 703 + i % 3 AS day FROM generate_series(1, 12) i;
ANALYZE od, od_rel, ol;

-- shape(query): the query batched and as a nested loop, and over the local copy (wxa. -> loc.);
-- whether the plan has the batched join, the rows, and whether all three agree (as multisets)
CREATE FUNCTION shape(query text) RETURNS TABLE (batched boolean, nrows bigint, as_nested_loop boolean, as_local boolean)
LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  batched := false;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    batched := batched OR line LIKE '%WxaBatchedJoin%';
  END LOOP;
  EXECUTE 'CREATE TEMP TABLE r_batched AS ' || query;
  PERFORM set_config('wxa_fdw.enable_batched_join', 'off', true);
  EXECUTE 'CREATE TEMP TABLE r_nested AS ' || query;
  PERFORM set_config('wxa_fdw.enable_batched_join', 'on', true);
  EXECUTE 'CREATE TEMP TABLE r_local AS ' || replace(query, 'wxa.', 'loc.');
  SELECT count(*) INTO nrows FROM r_batched;
  SELECT NOT EXISTS (SELECT * FROM r_batched EXCEPT ALL SELECT * FROM r_nested)
     AND NOT EXISTS (SELECT * FROM r_nested EXCEPT ALL SELECT * FROM r_batched) INTO as_nested_loop;
  SELECT NOT EXISTS (SELECT * FROM r_batched EXCEPT ALL SELECT * FROM r_local)
     AND NOT EXISTS (SELECT * FROM r_local EXCEPT ALL SELECT * FROM r_batched) INTO as_local;
  DROP TABLE r_batched, r_nested, r_local;
  RETURN NEXT;
END $$;

-- per-row values: ANY of arrays (built per row, or a column), casts, functions of outer columns
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = ANY(array_fill(o.day, ARRAY[200]))$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = ANY(o.days)$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = ANY(ARRAY[o.day, o.lo])$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = o.dt::date$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day + 1$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = date_trunc('week', o.day)::date$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day::timestamp + interval '1 day'$$);
-- a range per row, one side open towards the future (up to a constant), an OR of ranges
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date BETWEEN o.lo AND o.hi$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t ON t.ref_date > o.day AND t.ref_date < '2024-03-09'$$);
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t
                      ON (t.ref_date = o.day OR t.ref_date BETWEEN o.lo AND o.hi) AND t.ref_date <= '2024-03-10'$$);
-- the values from an outer table and a constant bound together
SELECT * FROM shape($$SELECT o.id, t.* FROM od o JOIN wxa.daily_visit_trend t
                      ON t.ref_date >= o.day AND t.ref_date BETWEEN '2024-03-03' AND '2024-03-05'$$);

-- the lower bound from the outer row, the upper bound not a constant: a stable expression
-- (one date condition of the table's own has no lower bound: that scan can never run and the
-- planner does not pick it)
SELECT batched, nrows > 0 AS has_rows, as_nested_loop, as_local FROM shape($$SELECT o.id, t.* FROM od_rel o JOIN wxa.daily_visit_trend t
                      ON t.ref_date >= o.day AND t.ref_date <= current_date - 700$$);
CREATE FUNCTION issue_count() RETURNS boolean LANGUAGE sql AS $$
  SELECT (SELECT count(*) FROM od_rel o JOIN wxa.daily_visit_trend t ON t.ref_date >= o.day AND t.ref_date <= current_date - 700)
       = (SELECT count(*) FROM od_rel o JOIN loc.daily_visit_trend t ON t.ref_date >= o.day AND t.ref_date <= current_date - 700)
$$;
SELECT issue_count() AS as_local;
SET wxa_fdw.enable_batched_join = off;
SELECT issue_count() AS nested_loop_as_local;
RESET wxa_fdw.enable_batched_join;
-- the same shapes with stable expressions over fixed days (to_date is stable: no constant when planning)
SELECT * FROM shape($$SELECT o.id, t.* FROM ol o JOIN wxa.daily_visit_trend t
                      ON t.ref_date > o.day - 1 AND t.ref_date < to_date('2024-03-07', 'YYYY-MM-DD') AND t.visit_uv > 0$$);
-- ... and the same with the bounds' roles swapped: the upper bound from the row, the lower not a constant
SELECT * FROM shape($$SELECT o.id, t.* FROM ol o JOIN wxa.daily_visit_trend t
                      ON t.ref_date <= o.day AND t.ref_date >= to_date('2024-03-02', 'YYYY-MM-DD')$$);
-- LEFT, SEMI (EXISTS, IN), ANTI
SELECT * FROM shape($$SELECT o.id, t.visit_uv FROM ol o LEFT JOIN wxa.daily_visit_trend t
                      ON t.ref_date >= o.day AND t.ref_date <= to_date('2024-03-04', 'YYYY-MM-DD')$$);
SELECT * FROM shape($$SELECT o.id FROM ol o WHERE EXISTS (SELECT FROM wxa.daily_visit_trend t
                      WHERE t.ref_date >= o.day AND t.ref_date <= to_date('2024-03-04', 'YYYY-MM-DD'))$$);
SELECT * FROM shape($$SELECT o.id FROM ol o WHERE o.day IN (SELECT t.ref_date FROM wxa.daily_visit_trend t
                      WHERE t.ref_date <= to_date('2024-03-04', 'YYYY-MM-DD'))$$);
SELECT * FROM shape($$SELECT o.id FROM ol o WHERE NOT EXISTS (SELECT FROM wxa.daily_visit_trend t
                      WHERE t.ref_date >= o.day AND t.ref_date <= to_date('2024-03-04', 'YYYY-MM-DD'))$$);
SELECT * FROM shape($$SELECT o.id FROM od o WHERE NOT EXISTS (SELECT FROM wxa.daily_visit_trend t
                      WHERE t.ref_date = ANY(o.days) AND t.visit_uv > 0)$$);

-- correlated subqueries: a scalar subquery per outer row (a SubPlan), and an upper bound
-- from the outer query inside a join
SELECT * FROM shape($$SELECT o.id, (SELECT sum(t.visit_uv) FROM wxa.daily_visit_trend t
                      WHERE t.ref_date >= o.day AND t.ref_date <= to_date('2024-03-06', 'YYYY-MM-DD')) FROM ol o$$);
SELECT * FROM shape($$SELECT o.id, (SELECT count(*) FROM wxa.daily_visit_trend t
                      WHERE t.ref_date = ANY(o.days)) FROM od o$$);
SELECT * FROM shape($$SELECT x.u, (SELECT sum(t.visit_uv) FROM ol o
                      JOIN wxa.daily_visit_trend t ON t.ref_date >= o.day AND t.ref_date <= x.u)
                      FROM (VALUES ('2024-03-06'::date), ('2024-03-04'::date)) x(u)$$);
SELECT * FROM shape($$SELECT x.u FROM (VALUES ('2024-03-06'::date), ('2024-03-04'::date)) x(u)
                      WHERE EXISTS (SELECT FROM ol o JOIN wxa.daily_visit_trend t
                                    ON t.ref_date >= o.day AND t.ref_date <= x.u WHERE t.visit_uv > 0)$$);
SELECT * FROM shape($$SELECT o.id FROM ol o WHERE o.day IN
                      (SELECT t.ref_date FROM wxa.daily_visit_trend t WHERE t.ref_date >= o.day - 1
                       AND t.ref_date <= to_date('2024-03-04', 'YYYY-MM-DD'))$$);

-- prepared statements: the upper bound a parameter, past the fifth EXECUTE (the generic
-- plan), then with the generic plan forced
PREPARE upto(date) AS
  SELECT count(*) AS rows, sum(t.visit_uv) AS uv FROM ol o JOIN wxa.daily_visit_trend t
  ON t.ref_date >= o.day AND t.ref_date <= $1;
CREATE TABLE upto_expected AS
  SELECT count(*) AS rows, sum(t.visit_uv) AS uv FROM ol o JOIN loc.daily_visit_trend t
  ON t.ref_date >= o.day AND t.ref_date <= to_date('2024-03-06', 'YYYY-MM-DD');
CREATE TABLE upto_got (rows bigint, uv numeric);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
SELECT count(*) AS executions, min(g.rows) AS rows, bool_and(g.rows = e.rows AND g.uv = e.uv) AS as_local
FROM upto_got g, upto_expected e;
SELECT generic_plans > 0 AS generic FROM pg_prepared_statements WHERE name = 'upto';
SET wxa_fdw.enable_batched_join = off;
TRUNCATE upto_got;
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
SELECT bool_and(g.rows = e.rows AND g.uv = e.uv) AS nested_loop_as_local FROM upto_got g, upto_expected e;
RESET wxa_fdw.enable_batched_join;
DEALLOCATE upto;
SET plan_cache_mode = force_generic_plan;
-- the upper bound a parameter; the lower bound a parameter and the upper from the row
PREPARE upto(date) AS
  SELECT count(*) AS rows, sum(t.visit_uv) AS uv FROM ol o JOIN wxa.daily_visit_trend t
  ON t.ref_date >= o.day AND t.ref_date <= $1;
PREPARE from_to(date) AS
  SELECT count(*) AS rows FROM ol o JOIN wxa.daily_visit_trend t
  ON t.ref_date >= $1 AND t.ref_date <= o.day;
PREPARE any_upto(date) AS
  SELECT count(*) AS rows FROM od o JOIN wxa.daily_visit_trend t
  ON t.ref_date = ANY(o.days) AND t.ref_date <= $1;
TRUNCATE upto_got;
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
EXECUTE upto('2024-03-06'::date) \gset g_
INSERT INTO upto_got VALUES (:g_rows, :g_uv);
SELECT count(*) AS executions, bool_and(g.rows = e.rows AND g.uv = e.uv) AS as_local
FROM upto_got g, upto_expected e;
EXECUTE from_to('2024-03-04'::date);
SELECT count(*) AS local_rows FROM ol o JOIN loc.daily_visit_trend t
  ON t.ref_date >= to_date('2024-03-04', 'YYYY-MM-DD') AND t.ref_date <= o.day;
EXECUTE any_upto('2024-03-05');
SELECT count(*) AS local_rows FROM od o JOIN loc.daily_visit_trend t
  ON t.ref_date = ANY(o.days) AND t.ref_date <= '2024-03-05';
SELECT name, generic_plans, custom_plans FROM pg_prepared_statements ORDER BY name;
DEALLOCATE ALL;
RESET plan_cache_mode;

-- PL/pgSQL: the argument as the upper bound (the first call, and past the generic switch),
-- a variable as the lower bound with the upper from the row
CREATE FUNCTION visits_upto(upper date) RETURNS numeric LANGUAGE plpgsql AS $$
BEGIN
  RETURN (SELECT sum(t.visit_uv) FROM ol o JOIN wxa.daily_visit_trend t
          ON t.ref_date >= o.day AND t.ref_date <= upper);
END $$;
CREATE FUNCTION days_from(lower date) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE n bigint;
BEGIN
  SELECT count(*) INTO n FROM ol o JOIN wxa.daily_visit_trend t ON t.ref_date >= lower AND t.ref_date < o.day;
  RETURN n;
END $$;
SELECT visits_upto('2024-03-06'::date) = (SELECT uv FROM upto_expected) AS first_call;
SELECT i, visits_upto('2024-03-06'::date) = (SELECT uv FROM upto_expected) AS as_local
FROM generate_series(1, 7) i;
SELECT i, days_from('2024-03-03'::date) AS rows,
       (SELECT count(*) FROM ol o JOIN loc.daily_visit_trend t
        ON t.ref_date >= to_date('2024-03-03', 'YYYY-MM-DD') AND t.ref_date < o.day) AS local_rows
FROM generate_series(1, 7) i;
SET wxa_fdw.enable_batched_join = off;
SELECT visits_upto('2024-03-06'::date) = (SELECT uv FROM upto_expected) AS nested_loop_as_local;
RESET wxa_fdw.enable_batched_join;

-- still no lower bound from anywhere: the error names it (a constant, a parameter, an outer row)
SELECT c.state, c.message FROM wxa_test.caught($$SELECT count(*) FROM od_rel o
  JOIN wxa.daily_visit_trend t ON t.ref_date <= o.day AND t.ref_date <= current_date - 700$$) c;
PREPARE below(date) AS SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date <= $1;
SET plan_cache_mode = force_generic_plan;
SELECT c.state, c.message FROM wxa_test.caught($$EXECUTE below(current_date - 700)$$) c;
DEALLOCATE below;
RESET plan_cache_mode;

-- FULL joins: a parameterized scan cannot be the inner side of one, so the table needs its
-- own restriction (then a hash join); without one, the error says so
SELECT c.state, c.message FROM wxa_test.caught($$SELECT count(*) FROM od o
  FULL JOIN wxa.daily_visit_trend t ON t.ref_date = o.day$$) c;
SELECT * FROM shape($$SELECT o.id, t.ref_date FROM od o FULL JOIN
                      (SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-28' AND '2024-03-04') t
                      ON t.ref_date = o.day$$);

-- a partitioned table of wxa_fdw tables (one per app): run-time partition pruning (a
-- join clause on appid, a parameter in a generic plan) runs as a nested loop
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
CREATE SCHEMA shapes_apps;
SELECT count(*) AS parents FROM :ext.wxa_create_app_tables('shapes_apps');
SELECT count(*) AS partitions
FROM generate_series(1, 2) AS i,
     LATERAL :ext.wxa_add_app('shapes_app' || i, format('wx%s', lpad(to_hex(i), 16, '0')),
                              md5(format('wx%s', lpad(to_hex(i), 16, '0'))), 'shapes_apps',
                              jsonb_build_object('api_base_url', :'emu_url')) AS p;
CREATE TABLE loc.apps_trend AS
  SELECT * FROM shapes_apps.daily_visit_trend WHERE ref_date BETWEEN '2024-02-24' AND '2024-03-12';
CREATE TABLE oa AS
  SELECT format('wx%s', lpad(to_hex(1 + i % 2), 16, '0')) AS appid, '2024-03-01'::date + i % 5 AS day
  FROM generate_series(1, 10) i;
ANALYZE oa;
-- the query text's shapes_apps.daily_visit_trend becomes loc.apps_trend for the local answer
CREATE FUNCTION shape_apps(query text) RETURNS TABLE (batched boolean, nrows bigint, as_nested_loop boolean, as_local boolean)
LANGUAGE sql AS $$
  SELECT * FROM shape(replace(query, 'shapes_apps.daily_visit_trend', 'wxa.apps_trend'))
$$;
CREATE VIEW wxa.apps_trend AS SELECT * FROM shapes_apps.daily_visit_trend;
SELECT * FROM shape_apps($$SELECT a.appid, a.day, v.visit_uv FROM oa a
                           JOIN shapes_apps.daily_visit_trend v ON v.ref_date = a.day$$);
SELECT * FROM shape_apps($$SELECT a.appid, a.day, v.visit_uv FROM oa a
                           JOIN shapes_apps.daily_visit_trend v ON v.appid = a.appid AND v.ref_date = a.day$$);
SELECT * FROM shape_apps($$SELECT a.appid, a.day, v.visit_uv FROM oa a
                           JOIN shapes_apps.daily_visit_trend v ON v.ref_date = a.day
                           WHERE v.appid = (SELECT min(appid) FROM oa)$$);
SET plan_cache_mode = force_generic_plan;
PREPARE app_days(text) AS SELECT count(*) AS rows, sum(v.visit_uv) AS uv FROM oa a
  JOIN shapes_apps.daily_visit_trend v ON v.ref_date = a.day WHERE v.appid = $1;
EXECUTE app_days('wx0000000000000002');
SELECT count(*) AS rows, sum(v.visit_uv) AS uv FROM oa a
  JOIN loc.apps_trend v ON v.ref_date = a.day WHERE v.appid = 'wx0000000000000002';
DEALLOCATE app_days;
RESET plan_cache_mode;

DROP VIEW wxa.apps_trend;
DROP FUNCTION issue_count(), shape_apps(text), shape(text), visits_upto(date), days_from(date);
DROP TABLE od, od_rel, ol, oa, upto_got, upto_expected;
DROP SCHEMA loc CASCADE;
DROP SCHEMA shapes_apps CASCADE;
DROP SERVER shapes_app1, shapes_app2 CASCADE;
