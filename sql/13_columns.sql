-- Columns by name: a table declares any subset of an endpoint's columns, in any
-- order, with other types where the type's input function accepts the value.
-- Unknown columns and values that do not fit are errors naming them.
CREATE TEMP TABLE served (body jsonb, request jsonb);

-- a subset in another order, numeric and text instead of bigint and double precision
CREATE FOREIGN TABLE my_visits (
  visit_uv numeric, ref_date date, visit_depth text, stay_time_session numeric(6, 1)
) SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got_visits AS
  SELECT * FROM my_visits WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-29';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend`
SELECT :n AS requests, count(*) AS rows FROM got_visits;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiddailyvisittrend'
CREATE TEMP VIEW expected_visits AS
  SELECT (item->>'visit_uv')::numeric AS visit_uv, to_date(item->>'ref_date', 'YYYYMMDD') AS ref_date,
         item->>'visit_depth' AS visit_depth,
         (item->>'stay_time_session')::numeric(6, 1) AS stay_time_session
  FROM served, jsonb_array_elements(body->'list') AS item;
SELECT count(*) AS served_rows FROM expected_visits;
(SELECT * FROM got_visits EXCEPT ALL SELECT * FROM expected_visits)
UNION ALL
(SELECT * FROM expected_visits EXCEPT ALL SELECT * FROM got_visits);
SELECT pg_typeof(visit_uv) AS visit_uv, pg_typeof(visit_depth) AS visit_depth,
       pg_typeof(stay_time_session) AS stay_time_session
FROM got_visits LIMIT 1;
SELECT * FROM got_visits ORDER BY ref_date LIMIT 4;

-- columns can be dropped and added; only the declared ones are filled
ALTER FOREIGN TABLE my_visits DROP COLUMN visit_depth;
ALTER FOREIGN TABLE my_visits ADD COLUMN visit_pv integer;
SELECT v.*, v.visit_pv = t.visit_pv AS same_visit_pv
FROM my_visits v JOIN wxa.daily_visit_trend t USING (ref_date)
WHERE v.ref_date BETWEEN '2024-02-01' AND '2024-02-03' AND t.ref_date BETWEEN '2024-02-01' AND '2024-02-03'
ORDER BY ref_date;

-- a weekly table with end_date as text (always ISO), key as text, value as numeric
CREATE FOREIGN TABLE my_weekly_retain (end_date text, value numeric, key text, ref_date date)
  SERVER wechat OPTIONS (endpoint 'weekly_retain');
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got_retain AS
  SELECT * FROM my_weekly_retain WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-29';
\set n `python3 test/emulator/emuctl.py count getweanalysisappidweeklyretaininfo`
SELECT :n AS requests, count(*) AS rows FROM got_retain;
TRUNCATE served;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappidweeklyretaininfo'
CREATE TEMP VIEW expected_retain AS
  SELECT to_char(to_date(split_part(body->>'ref_date', '-', 2), 'YYYYMMDD'), 'YYYY-MM-DD') AS end_date,
         (item->>'value')::numeric AS value, item->>'key' AS key,
         to_date(split_part(body->>'ref_date', '-', 1), 'YYYYMMDD') AS ref_date
  FROM served, unnest(ARRAY['visit_uv_new', 'visit_uv']) AS user_type,
       jsonb_array_elements(body->user_type) AS item;
SELECT count(*) AS served_rows FROM expected_retain;
(SELECT * FROM got_retain EXCEPT ALL SELECT * FROM expected_retain)
UNION ALL
(SELECT * FROM expected_retain EXCEPT ALL SELECT * FROM got_retain);
SELECT DISTINCT ref_date, end_date FROM got_retain ORDER BY 1;

-- portrait and distribution subsets; a table with the date column alone
CREATE FOREIGN TABLE my_portrait (value numeric, name varchar(20), days integer, end_date date)
  SERVER wechat OPTIONS (endpoint 'user_portrait');
SELECT days, count(*), sum(value) = (SELECT sum(value) FROM wxa.user_portrait p
                                     WHERE p.end_date = '2024-03-31' AND p.days = m.days) AS same_sum
FROM my_portrait m WHERE end_date = '2024-03-31' GROUP BY days ORDER BY days;
CREATE FOREIGN TABLE my_distribution (label varchar(10), key text, index text, ref_date date)
  SERVER wechat OPTIONS (endpoint 'visit_distribution');
SELECT index, key, label FROM my_distribution
WHERE ref_date = '2024-02-02' AND index = 'access_staytime_info' ORDER BY key::integer;
CREATE FOREIGN TABLE summary_days (ref_date date) SERVER wechat OPTIONS (endpoint 'daily_summary');
SELECT count(*) AS days_with_data FROM summary_days WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-29';

-- a value that does not fit its column: an error naming column and value
CREATE FOREIGN TABLE bad_depth (ref_date date, visit_depth integer)
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT * FROM bad_depth WHERE ref_date = '2024-02-01';
CREATE FOREIGN TABLE bad_value (ref_date date, index text, value smallint)
  SERVER wechat OPTIONS (endpoint 'visit_distribution');
SELECT * FROM bad_value WHERE ref_date = '2024-02-01';
CREATE FOREIGN TABLE bad_path (ref_date date, page_path varchar(12))
  SERVER wechat OPTIONS (endpoint 'visit_page');
SELECT * FROM bad_path WHERE ref_date = '2024-02-01';
CREATE FOREIGN TABLE bad_stay (ref_date date, stay_time_session numeric(3, 1))
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT * FROM bad_stay WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-07';
-- ... while the same values fit wider types
ALTER FOREIGN TABLE bad_value ALTER COLUMN value TYPE integer;
SELECT index, max(value) > 32767 AS beyond_smallint FROM bad_value
WHERE ref_date = '2024-02-01' GROUP BY 1 ORDER BY 1;

-- a column the endpoint does not provide: an error naming it and listing the valid ones
CREATE FOREIGN TABLE bad_column (ref_date date, gender text, value bigint)
  SERVER wechat OPTIONS (endpoint 'user_portrait');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM bad_column WHERE ref_date = '2024-03-01';
SELECT count(*) FROM bad_column;
EXPLAIN (COSTS OFF) SELECT * FROM bad_column WHERE ref_date = '2024-03-01';
CREATE FOREIGN TABLE daily_with_end (ref_date date, end_date date, visit_pv bigint)
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT * FROM daily_with_end WHERE ref_date = '2024-02-01';
CREATE FOREIGN TABLE upper_case ("Key" integer, ref_date date)
  SERVER wechat OPTIONS (endpoint 'daily_retain');
SELECT * FROM upper_case WHERE ref_date = '2024-02-01';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

DROP FOREIGN TABLE my_visits, my_weekly_retain, my_portrait, my_distribution, summary_days,
  bad_depth, bad_value, bad_path, bad_stay, bad_column, daily_with_end, upper_case;
