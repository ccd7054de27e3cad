-- Queries as users write them: joins with business tables (parameterized
-- nested loops), LATERAL, stable expressions, parameters, EXPLAIN, estimates,
-- materialized views. Requests counted on the emulator.
-- expected/04_queries_1.out: PostgreSQL 16 and later print a derived join clause
-- the other way round (ref_date = o.day); everything else is the same.
CREATE TABLE orders_daily (day date, revenue numeric);
INSERT INTO orders_daily
  SELECT d::date, 100 + extract(day FROM d) FROM generate_series('2024-03-25'::date, '2024-04-05', '1 day') d;
ANALYZE orders_daily;

-- a join without any constant on the foreign table: one request per outer date
EXPLAIN (COSTS OFF)
SELECT o.day, o.revenue, t.visit_uv FROM orders_daily o
JOIN wxa.daily_visit_trend t ON t.ref_date = o.day WHERE o.day >= '2024-04-01';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT o.day, o.revenue, t.visit_uv FROM orders_daily o
JOIN wxa.daily_visit_trend t ON t.ref_date = o.day WHERE o.day >= '2024-04-01' ORDER BY o.day;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- outer rows repeating a date: each period is fetched once per scan
INSERT INTO orders_daily SELECT day, 1 FROM orders_daily WHERE day >= '2024-04-01';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*), count(DISTINCT o.day) FROM orders_daily o
JOIN wxa.daily_visit_trend t ON t.ref_date = o.day WHERE o.day >= '2024-04-01';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- a rescan with unchanged values does not fetch again
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT g, x.visit_pv FROM generate_series(1, 4) g
CROSS JOIN LATERAL (SELECT visit_pv FROM wxa.daily_visit_trend
                    WHERE ref_date = '2024-01-05' AND g > 0 OFFSET 0) x;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- LATERAL subqueries, pulled up or not
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT d::date AS day, x.visit_total
FROM generate_series('2024-01-01'::date, '2024-01-03', '1 day') d,
     LATERAL (SELECT * FROM wxa.daily_summary s WHERE s.ref_date = d::date) x;
SELECT d::date AS day, x.visit_total
FROM generate_series('2024-01-01'::date, '2024-01-03', '1 day') d,
     LATERAL (SELECT * FROM wxa.daily_summary s WHERE s.ref_date = d::date LIMIT 1) x;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- a range join: each outer row's range
CREATE TABLE campaigns (name text, starts date, ends date);
INSERT INTO campaigns VALUES ('spring', '2024-03-01', '2024-03-07'), ('summer', '2024-06-10', '2024-06-12');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT c.name, count(*) AS days, sum(t.visit_pv) > 0 AS has_visits
FROM campaigns c JOIN wxa.daily_visit_trend t ON t.ref_date BETWEEN c.starts AND c.ends
GROUP BY c.name ORDER BY c.name;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- stable expressions, evaluated when the scan starts
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN to_date('2024-01-01', 'YYYY-MM-DD') AND to_date('2024-01-07', 'YYYY-MM-DD');
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) >= 0 AS ran FROM wxa.daily_visit_trend WHERE ref_date > current_date - 10;
\set n `python3 test/emulator/emuctl.py count datacube`
-- the days after current_date - 10 up to yesterday in Beijing
SELECT :n = ((now() AT TIME ZONE 'Asia/Shanghai')::date - 1) - (current_date - 10) AS one_request_per_day;
-- timestamps compare with dates as their midnight
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date, end_date FROM wxa.monthly_visit_trend
WHERE ref_date >= date_trunc('month', '2024-05-15'::date) - interval '3 months'
  AND ref_date < '2024-05-01 00:00'::timestamptz ORDER BY 1;
SELECT count(*) FROM wxa.daily_summary
WHERE ref_date > '2024-01-01 12:00'::timestamp AND ref_date <= '2024-01-04 00:00'::timestamp;
SELECT count(*) FROM wxa.daily_summary
WHERE ref_date >= '2024-01-01 12:00'::timestamp AND ref_date < '2024-01-04 00:01'::timestamp;
SELECT count(*) FROM wxa.daily_summary WHERE ref_date = '2024-01-01 12:00'::timestamp;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- parameters: custom and generic plans, arrays
PREPARE week_of(date) AS
  SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date >= $1 AND ref_date < $1 + 7;
\! python3 test/emulator/emuctl.py reset >/dev/null
EXECUTE week_of('2024-01-01');
-- a generic plan: plain EXPLAIN evaluates no parameter, so "determined at run time"
SET plan_cache_mode = force_generic_plan;
EXPLAIN (COSTS OFF) EXECUTE week_of('2024-02-01');
EXECUTE week_of('2024-02-01');
EXECUTE week_of('2024-02-05');
PREPARE some_days(date[]) AS
  SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date = ANY($1) ORDER BY 1;
EXECUTE some_days('{2024-01-05,2024-01-02,2024-01-05}');
RESET plan_cache_mode;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- EXPLAIN: the API, the planned requests, VERBOSE's first body, ANALYZE's traffic
EXPLAIN SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-31';
EXPLAIN SELECT * FROM wxa.visit_page WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.weekly_retain WHERE ref_date >= '2024-01-01' AND end_date <= '2024-01-31';
EXPLAIN (VERBOSE, COSTS OFF) SELECT visit_pv FROM wxa.daily_visit_trend WHERE ref_date IN ('2024-01-09', '2024-01-02');
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend WHERE ref_date >= '2020-01-01' AND ref_date < '2024-01-01';
-- EXPLAIN ANALYZE the same on every version: no buffers (printed by default since 18), and
-- actual rows as whole numbers (18 prints rows=10.00)
CREATE FUNCTION pg_temp.explain_analyze(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || query LOOP
    RETURN NEXT regexp_replace(line, '(rows=[0-9]+)\.00([ )])', '\1\2', 'g');
  END LOOP;
END $$;
-- plain EXPLAIN evaluates no expression (the NOTICE would show it): run-time
-- values give "determined at run time"; EXPLAIN ANALYZE runs them, once
CREATE FUNCTION noisy_day(d date) RETURNS date LANGUAGE plpgsql STABLE
  AS $$ BEGIN RAISE NOTICE 'noisy_day evaluated'; RETURN d; END $$;
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN noisy_day('2024-01-01') AND '2024-01-03';
SELECT * FROM pg_temp.explain_analyze($$SELECT * FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN noisy_day('2024-01-01') AND '2024-01-03'$$);
DROP FUNCTION noisy_day(date);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM pg_temp.explain_analyze($$
SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-10'$$);
SELECT * FROM pg_temp.explain_analyze($$
SELECT o.day, t.visit_uv FROM orders_daily o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
WHERE o.day >= '2024-04-01'$$);
-- aggregates over the scan plan on the estimate (requests x rows per request)
EXPLAIN (COSTS OFF)
SELECT o.day, sum(t.value) FROM orders_daily o JOIN wxa.visit_distribution t ON t.ref_date = o.day
WHERE o.day BETWEEN '2024-04-01' AND '2024-04-02' GROUP BY o.day;

-- materialized views: created, refreshed, refreshed concurrently
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE MATERIALIZED VIEW visits_30d AS
  SELECT ref_date, visit_uv, visit_uv_new FROM wxa.daily_visit_trend WHERE ref_date > current_date - 30;
CREATE UNIQUE INDEX ON visits_30d (ref_date);
SELECT count(*) = (SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date > current_date - 30) AS same_rows
FROM visits_30d;
REFRESH MATERIALIZED VIEW visits_30d;
REFRESH MATERIALIZED VIEW CONCURRENTLY visits_30d;
\set n `python3 test/emulator/emuctl.py count datacube`
-- four scans of the same days
SELECT :n = 4 * (((now() AT TIME ZONE 'Asia/Shanghai')::date - 1) - (current_date - 30)) AS four_scans_one_request_per_day;
CREATE MATERIALIZED VIEW portrait_30d AS
  SELECT * FROM wxa.user_portrait WHERE end_date = '2024-03-31' AND days = 30;
SELECT attribute, count(*) > 0 AS has_rows FROM portrait_30d GROUP BY 1 ORDER BY 1;
DROP MATERIALIZED VIEW visits_30d, portrait_30d;
-- operators are recognised by meaning (the btree families of date and the
-- integers), not by name: a user's own "=" earlier on search_path, meaning
-- "the same day or the day before", is a local filter, not an equality
CREATE SCHEMA evil;
CREATE FUNCTION evil.same_or_day_before(a date, b date) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog
  AS $$ BEGIN RETURN a = b OR a = b - 1; END $$;
CREATE OPERATOR evil.= (LEFTARG = date, RIGHTARG = date, FUNCTION = evil.same_or_day_before);
CREATE FUNCTION evil.int_eq_or_less(a integer, b integer) RETURNS boolean
  LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog
  AS $$ BEGIN RETURN a <= b; END $$;
CREATE OPERATOR evil.= (LEFTARG = integer, RIGHTARG = integer, FUNCTION = evil.int_eq_or_less);
SET search_path = evil, pg_catalog, public;
-- refused: no restriction the wrapper recognises ...
SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-10';
-- ... and with a real range too, both days are returned
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date FROM wxa.daily_visit_trend
WHERE ref_date = '2024-01-10' AND ref_date OPERATOR(pg_catalog.>=) '2024-01-01'
  AND ref_date OPERATOR(pg_catalog.<=) '2024-01-31' ORDER BY 1;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
-- days: evil.= on integer is "days <= 30", so all three windows of that end date
SELECT DISTINCT days FROM wxa.user_portrait
WHERE end_date OPERATOR(pg_catalog.=) '2024-03-31' AND days = 30 ORDER BY 1;
RESET search_path;
DROP SCHEMA evil CASCADE;
DROP TABLE orders_daily, campaigns;
