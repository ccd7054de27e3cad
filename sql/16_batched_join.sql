-- Batched joins: a join whose restriction on a wxa_fdw table comes only from
-- the outer side reads the outer rows in batches and fetches the distinct
-- periods of each batch together. Every result is compared with the nested
-- loop's (wxa_fdw.enable_batched_join = off); requests counted on the emulator.
\set count_daily 'python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend'
CREATE TABLE orders (id serial, day date, revenue numeric);
INSERT INTO orders (day, revenue)
  SELECT d::date, 100 + extract(day FROM d) FROM generate_series('2024-03-25'::date, '2024-04-05', '1 day') d;
-- two orders on some days, and a day in the future (no period, no request)
INSERT INTO orders (day, revenue) SELECT day, 1 FROM orders WHERE day >= '2024-04-03';
INSERT INTO orders (day, revenue) VALUES ('2099-01-01', 7), (NULL, 8);
CREATE TABLE campaigns (name text, starts date, ends date);
INSERT INTO campaigns VALUES ('spring', '2024-03-01', '2024-03-03'), ('summer', '2024-06-10', '2024-06-12'),
  ('overlap', '2024-03-02', '2024-03-04'), ('future', '2099-01-01', '2099-01-03');
ANALYZE orders, campaigns;

-- Runs a query batched and as a nested loop; the plans must differ by the
-- batched join only and the rows must be the same (as multisets).
CREATE FUNCTION compare(query text) RETURNS TABLE (batched boolean, nested_loop boolean, nrows bigint, same boolean)
LANGUAGE plpgsql AS $$
DECLARE line text;
BEGIN
  PERFORM set_config('wxa_fdw.enable_batched_join', 'on', true);
  batched := false;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    batched := batched OR line LIKE '%WxaBatchedJoin%';
  END LOOP;
  EXECUTE 'CREATE TEMP TABLE r_batched AS ' || query;
  PERFORM set_config('wxa_fdw.enable_batched_join', 'off', true);
  EXECUTE 'CREATE TEMP TABLE r_nested AS ' || query;
  nested_loop := true;
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    nested_loop := nested_loop AND line NOT LIKE '%WxaBatchedJoin%';
  END LOOP;
  PERFORM set_config('wxa_fdw.enable_batched_join', 'on', true);
  SELECT count(*) INTO nrows FROM r_batched;
  SELECT NOT EXISTS (SELECT * FROM r_batched EXCEPT ALL SELECT * FROM r_nested)
     AND NOT EXISTS (SELECT * FROM r_nested EXCEPT ALL SELECT * FROM r_batched) INTO same;
  DROP TABLE r_batched, r_nested;
  RETURN NEXT;
END $$;

-- INNER equality join: EXPLAIN names the node and how outer values become periods
EXPLAIN (COSTS OFF)
SELECT o.day, o.revenue, t.visit_uv FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day;
-- one request per distinct day, the repeated days and the future one included
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT o.day, o.revenue, t.visit_uv > 0 AS visits FROM orders o
JOIN wxa.daily_visit_trend t ON t.ref_date = o.day ORDER BY o.id;
\set n `:count_daily`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT o.id, t.* FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day$$);
-- the nested loop sent each day again for its own scan? no: the cache; the batched join one batch
-- EXPLAIN ANALYZE the same on every version: no buffers, actual rows rounded to whole numbers
-- as before 18 (which prints rows=0.88)
CREATE FUNCTION pg_temp.explain_analyze(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
  rows text[];
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || query LOOP
    rows := regexp_match(line, 'rows=([0-9]+\.[0-9]+)');
    IF rows IS NOT NULL THEN
      line := replace(line, 'rows=' || rows[1], 'rows=' || round(rows[1]::numeric));
    END IF;
    RETURN NEXT line;
  END LOOP;
END $$;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM pg_temp.explain_analyze($$
SELECT o.day, t.visit_uv FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day$$);

-- a range per outer row: overlapping campaigns share their days
EXPLAIN (COSTS OFF)
SELECT c.name, t.ref_date FROM campaigns c
JOIN wxa.daily_visit_trend t ON t.ref_date BETWEEN c.starts AND c.ends;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT c.name, count(*) AS days FROM campaigns c
JOIN wxa.daily_visit_trend t ON t.ref_date BETWEEN c.starts AND c.ends GROUP BY c.name ORDER BY c.name;
\set n `:count_daily`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT c.name, t.* FROM campaigns c JOIN wxa.daily_visit_trend t ON t.ref_date BETWEEN c.starts AND c.ends$$);
-- more join conditions than the dates: checked by the join
SELECT * FROM compare($$SELECT o.id, t.ref_date FROM orders o JOIN wxa.daily_visit_trend t
                        ON t.ref_date = o.day AND t.visit_uv > o.revenue * 100$$);

-- an OR of conditions on the outer values: the union of the branches' periods, each once
EXPLAIN (COSTS OFF)
SELECT o.id, t.ref_date FROM orders o
JOIN wxa.daily_visit_trend t ON t.ref_date = o.day OR t.ref_date = o.day - 7;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*), count(DISTINCT t.ref_date) AS days FROM orders o
JOIN wxa.daily_visit_trend t ON t.ref_date = o.day OR t.ref_date = o.day - 7;
\set n `:count_daily`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT o.id, t.ref_date FROM orders o
                        JOIN wxa.daily_visit_trend t ON t.ref_date = o.day OR t.ref_date = o.day - 7$$);

-- LEFT, SEMI (EXISTS, IN) and ANTI joins
EXPLAIN (COSTS OFF)
SELECT o.id, t.visit_uv FROM orders o LEFT JOIN wxa.daily_visit_trend t ON t.ref_date = o.day;
SELECT * FROM compare($$SELECT o.id, t.visit_uv FROM orders o LEFT JOIN wxa.daily_visit_trend t ON t.ref_date = o.day$$);
SELECT * FROM compare($$SELECT o.id, t.visit_uv FROM orders o LEFT JOIN wxa.daily_visit_trend t
                        ON t.ref_date = o.day AND t.visit_uv > 30000 WHERE o.revenue > 50$$);
SELECT * FROM compare($$SELECT c.name FROM campaigns c WHERE EXISTS
                        (SELECT FROM wxa.daily_visit_trend t WHERE t.ref_date BETWEEN c.starts AND c.ends AND t.visit_pv > 0)$$);
SELECT * FROM compare($$SELECT o.id FROM orders o WHERE o.day IN (SELECT ref_date FROM wxa.daily_summary s)$$);
EXPLAIN (COSTS OFF)
SELECT o.id FROM orders o WHERE NOT EXISTS (SELECT FROM wxa.daily_visit_trend t WHERE t.ref_date = o.day AND t.visit_uv > 30000);
SELECT * FROM compare($$SELECT o.id FROM orders o WHERE NOT EXISTS
                        (SELECT FROM wxa.daily_visit_trend t WHERE t.ref_date = o.day AND t.visit_uv > 30000)$$);

-- LATERAL
SELECT * FROM compare($$SELECT o.id, x.visit_total FROM orders o,
                        LATERAL (SELECT * FROM wxa.daily_summary s WHERE s.ref_date = o.day) x$$);

-- two wxa_fdw tables joined to one business table; a wxa_fdw table on the outer side
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM compare($$SELECT o.id, t.visit_uv, s.visit_total FROM orders o
                        JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
                        JOIN wxa.daily_summary s ON s.ref_date = o.day$$);
SELECT * FROM compare($$SELECT a.ref_date, b.visit_total FROM wxa.daily_visit_trend a
                        JOIN wxa.daily_summary b ON b.ref_date = a.ref_date + 1
                        WHERE a.ref_date BETWEEN '2024-02-01' AND '2024-02-10'$$);

-- in a subquery rescanned for every row: each period once in the whole query
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT g, (SELECT count(*) FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
           WHERE o.day >= '2024-03-31'::date + g) AS joined
FROM generate_series(0, 3) g;
\set n `:count_daily`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT g, (SELECT count(*) FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
                        WHERE o.day >= '2024-03-31'::date + g) FROM generate_series(0, 3) g$$);

-- prepared statements with generic plans
SET plan_cache_mode = force_generic_plan;
PREPARE since(date) AS
  SELECT o.id, t.visit_uv FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day WHERE o.day >= $1;
EXPLAIN (COSTS OFF) EXECUTE since('2024-04-04');
\! python3 test/emulator/emuctl.py reset >/dev/null
EXECUTE since('2024-04-04');
EXECUTE since('2024-04-05');
\set n `:count_daily`
SELECT :n AS requests;
DEALLOCATE since;
RESET plan_cache_mode;

-- weekly, monthly, portrait: an outer value that is not a period start gives no row and no request
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT o.day, w.end_date FROM orders o JOIN wxa.weekly_visit_trend w ON w.ref_date = o.day ORDER BY o.id;
\set n `python3 test/emulator/emuctl.py count getweanalysisappidweeklyvisittrend`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT o.id, w.* FROM orders o JOIN wxa.weekly_visit_trend w ON w.ref_date = o.day$$);
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT o.day, m.end_date FROM orders o JOIN wxa.monthly_visit_trend m ON m.ref_date = o.day ORDER BY o.id;
\set n `python3 test/emulator/emuctl.py count getweanalysisappidmonthlyvisittrend`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT o.day, p.days, count(*) > 0 AS has_rows FROM orders o
JOIN wxa.user_portrait p ON p.end_date = o.day AND p.days = 7
WHERE o.day BETWEEN '2024-03-30' AND '2024-04-01' GROUP BY 1, 2 ORDER BY 1;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT o.id AS order_id, p.* FROM orders o JOIN wxa.user_portrait p ON p.end_date = o.day
                        WHERE o.day BETWEEN '2024-03-30' AND '2024-04-01'$$);

-- a LIMIT above the join does not fetch the whole outer side: the first batch is 32 rows
CREATE TABLE many_days AS SELECT d::date AS day FROM generate_series('2023-01-01'::date, '2023-12-31', '1 day') d;
ANALYZE many_days;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM (SELECT t.ref_date FROM many_days m JOIN wxa.daily_visit_trend t ON t.ref_date = m.day LIMIT 3) x;
\set n `:count_daily`
SELECT :n <= 32 AS first_batch_only;

-- outer rows beyond work_mem spill to disk; the batches still cover every row
SET work_mem = '64kB';
CREATE TABLE big_outer AS SELECT i, '2023-06-01'::date + (i % 20) AS day FROM generate_series(1, 60000) i;
ANALYZE big_outer;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*), count(DISTINCT t.ref_date) FROM big_outer b JOIN wxa.daily_visit_trend t ON t.ref_date = b.day;
\set n `:count_daily`
SELECT :n AS requests;
SELECT * FROM compare($$SELECT b.day, count(*), sum(t.visit_pv) FROM big_outer b
                        JOIN wxa.daily_visit_trend t ON t.ref_date = b.day GROUP BY b.day$$);
RESET work_mem;
-- a restarted reader remembers values seen before (their periods, their rows converted) within
-- work_mem: at 64kB it is full after some of 365 days and reads the others as it would without
-- it; the rows are the same, batched and as the nested loop (whose rescans remember too)
SET work_mem = '64kB';
CREATE TABLE days_twice AS SELECT day FROM many_days UNION ALL SELECT day FROM many_days;
SELECT * FROM compare($$SELECT d.day, t.visit_uv, t.visit_pv FROM days_twice d
                        JOIN wxa.daily_visit_trend t ON t.ref_date = d.day$$);
RESET work_mem;
DROP TABLE days_twice;

-- max_requests counts the periods of the whole query, checked before each batch is sent
ALTER SERVER wechat OPTIONS (ADD max_requests '40');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM many_days m JOIN wxa.daily_visit_trend t ON t.ref_date = m.day;
\set n `:count_daily`
-- the first batch (32 days) was sent, the second would pass 40
SELECT :n AS requests;
SET wxa_fdw.enable_batched_join = off;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM many_days m JOIN wxa.daily_visit_trend t ON t.ref_date = m.day;
\set n `:count_daily`
SELECT :n AS requests;
RESET wxa_fdw.enable_batched_join;
ALTER SERVER wechat OPTIONS (DROP max_requests);

-- a failed period fails the join, naming the request, the server and its appid (which of the
-- batch's days failed first varies: the day is masked)
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=61501 times=-1 >/dev/null
SELECT c.state, regexp_replace(c.message, '\(\d{4}-\d\d-\d\d\)', '(DAY)') AS message, c.detail
FROM wxa_test.caught($$SELECT count(*) FROM many_days m JOIN wxa.daily_visit_trend t ON t.ref_date = m.day
                       WHERE m.day BETWEEN '2023-02-01' AND '2023-02-10'$$) c;
\! python3 test/emulator/emuctl.py reset >/dev/null
-- a cancel (statement_timeout) while the batch waits on a stalled answer ends the join at once
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=30 times=1 >/dev/null
SET statement_timeout = '300ms';
SELECT count(*) FROM many_days m JOIN wxa.daily_visit_trend t ON t.ref_date = m.day
WHERE m.day BETWEEN '2023-03-01' AND '2023-03-10';
RESET statement_timeout;
-- it did not wait for the stalled answer: the emulator saw that request abandoned (the
-- connection closed before its 30 s were up); asked until it has noticed, at most 100 times
\set abandoned `n=0; for i in $(seq 100); do n=$(python3 test/emulator/emuctl.py outcomes abandoned getweanalysisappiddailyvisittrend); [ "$n" -gt 0 ] && break; sleep 0.1; done; echo "$n"`
SELECT :abandoned AS stalled_requests_abandoned;
\! python3 test/emulator/emuctl.py reset >/dev/null
-- and the next join works
SELECT count(*) FROM many_days m JOIN wxa.daily_visit_trend t ON t.ref_date = m.day
WHERE m.day BETWEEN '2023-03-01' AND '2023-03-10';
\set n `:count_daily`
SELECT :n AS requests;

-- the setting turns it off
SET wxa_fdw.enable_batched_join = off;
EXPLAIN (COSTS OFF)
SELECT o.day, t.visit_uv FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day;
RESET wxa_fdw.enable_batched_join;
-- the join reads the table itself: its own conditions are checked with the join's, in an
-- outer join before the null row is made up; the whole row of the foreign table is left to
-- the nested loop (the batched join reads columns only)
SELECT * FROM compare($$SELECT o.id, t.visit_uv FROM orders o LEFT JOIN wxa.daily_visit_trend t
                        ON t.ref_date = o.day AND t.visit_uv > 30000$$);
SELECT * FROM compare($$SELECT o.id, t.visit_uv FROM orders o LEFT JOIN wxa.daily_visit_trend t
                        ON t.ref_date = o.day WHERE t.visit_uv > 30000 OR t.visit_uv IS NULL$$);
SELECT * FROM compare($$SELECT o.id, row_to_json(t)::text AS r FROM orders o
                        JOIN wxa.daily_visit_trend t ON t.ref_date = o.day$$);
-- in a subquery of its own (its range table merged into the query's), EXPLAIN VERBOSE
EXPLAIN (VERBOSE, COSTS OFF)
SELECT * FROM (SELECT o.id, t.visit_uv FROM orders o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
               LIMIT 3) s JOIN orders o2 ON o2.id = s.id;
DROP TABLE orders, campaigns, many_days, big_outer;
DROP FUNCTION compare(text);

