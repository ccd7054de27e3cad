-- The weekly and monthly tables: one request per Monday..Sunday week or per
-- calendar month, restricted on ref_date or end_date, with rows equal to what
-- the emulator served (parsed here by PostgreSQL's own jsonb). A value that is
-- not a period start or end, and periods that have not ended, send nothing.
CREATE TEMP TABLE served (body jsonb, request jsonb);
-- what the requests of one section asked for
CREATE TEMP VIEW served_requests AS
  SELECT count(*) AS requests,
         count(DISTINCT request->>'begin_date') AS distinct_periods,
         min(request->>'begin_date') AS first_begin, max(request->>'end_date') AS last_end
  FROM served;
-- each request a Monday..Sunday week (a calendar month), each answer naming it
CREATE TEMP VIEW served_weeks AS
  SELECT bool_and(extract(isodow FROM to_date(request->>'begin_date', 'YYYYMMDD')) = 1
                  AND to_date(request->>'end_date', 'YYYYMMDD')
                      = to_date(request->>'begin_date', 'YYYYMMDD') + 6) AS monday_to_sunday_each,
         bool_and(coalesce(body->>'ref_date', body->'list'->0->>'ref_date')
                  = (request->>'begin_date') || '-' || (request->>'end_date')) AS answers_name_it
  FROM served;
CREATE TEMP VIEW served_months AS
  SELECT bool_and(to_date(request->>'begin_date', 'YYYYMMDD')
                    = date_trunc('month', to_date(request->>'begin_date', 'YYYYMMDD'))
                  AND to_date(request->>'end_date', 'YYYYMMDD')
                    = (date_trunc('month', to_date(request->>'begin_date', 'YYYYMMDD'))
                       + interval '1 month - 1 day')::date) AS first_to_last_day_each,
         bool_and(coalesce(body->>'ref_date', body->'list'->0->>'ref_date')
                  = left(request->>'begin_date', 6)) AS answers_name_it
  FROM served;
-- the rows of the served answers: the period requested, then the fields
CREATE TEMP VIEW expected_trend AS
  SELECT to_date(request->>'begin_date', 'YYYYMMDD') AS ref_date,
         to_date(request->>'end_date', 'YYYYMMDD') AS end_date,
         (item->>'session_cnt')::bigint AS session_cnt, (item->>'visit_pv')::bigint AS visit_pv,
         (item->>'visit_uv')::bigint AS visit_uv, (item->>'visit_uv_new')::bigint AS visit_uv_new,
         (item->>'stay_time_uv')::float8 AS stay_time_uv,
         (item->>'stay_time_session')::float8 AS stay_time_session,
         (item->>'visit_depth')::float8 AS visit_depth
  FROM served, jsonb_array_elements(body->'list') AS item;
CREATE TEMP VIEW expected_retain AS
  SELECT to_date(request->>'begin_date', 'YYYYMMDD') AS ref_date,
         to_date(request->>'end_date', 'YYYYMMDD') AS end_date,
         user_type, (item->>'key')::integer AS key, (item->>'value')::bigint AS value
  FROM served, unnest(ARRAY['visit_uv_new', 'visit_uv']) AS user_type,
       jsonb_array_elements(body->user_type) AS item;

-- weekly_visit_trend: the weeks that lie within October 2023
\set scan 'SELECT * FROM wxa.weekly_visit_trend WHERE ref_date >= ''2023-10-01'' AND end_date <= ''2023-10-31'''
\set expected expected_trend
\set periods served_weeks
\i sql/include/scan_and_compare.sql
SELECT ref_date, end_date, visit_uv, visit_uv_new FROM got ORDER BY ref_date;

-- weekly_retain: the weeks that start in October 2023 (the last one ends in November)
\set scan 'SELECT * FROM wxa.weekly_retain WHERE ref_date BETWEEN ''2023-10-01'' AND ''2023-10-31'''
\set expected expected_retain
\i sql/include/scan_and_compare.sql
SELECT ref_date, end_date, user_type, array_agg(key ORDER BY key) AS keys
FROM got GROUP BY 1, 2, 3 ORDER BY 1, 3 DESC;

-- monthly_visit_trend: a year of months, restricted on ref_date
\set scan 'SELECT * FROM wxa.monthly_visit_trend WHERE ref_date >= ''2023-01-01'' AND ref_date < ''2024-01-01'''
\set expected expected_trend
\set periods served_months
\i sql/include/scan_and_compare.sql
SELECT ref_date, end_date, visit_uv, visit_uv_new FROM got ORDER BY ref_date;

-- monthly_retain: a year of months, restricted on end_date only
\set scan 'SELECT * FROM wxa.monthly_retain WHERE end_date BETWEEN ''2023-01-01'' AND ''2023-12-31'''
\set expected expected_retain
\i sql/include/scan_and_compare.sql
SELECT user_type, array_agg(DISTINCT key ORDER BY key) AS keys, count(DISTINCT ref_date) AS months
FROM got GROUP BY 1 ORDER BY 1;

-- EXPLAIN shows the planned requests
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.weekly_visit_trend WHERE ref_date >= '2023-10-01' AND end_date <= '2023-10-31';
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.weekly_retain WHERE ref_date BETWEEN '2023-10-01' AND '2023-10-31';
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.monthly_visit_trend WHERE ref_date >= '2023-01-01' AND ref_date < '2024-01-01';
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.monthly_retain WHERE end_date BETWEEN '2023-01-01' AND '2023-12-31';

-- period starts and ends, on either column: exactly the valid periods are requested
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date, end_date FROM wxa.weekly_visit_trend
WHERE end_date IN ('2023-10-08', '2023-10-15', '2023-10-18') ORDER BY 1;
SELECT ref_date, end_date FROM wxa.weekly_visit_trend
WHERE ref_date = '2023-10-02' AND end_date = '2023-10-08';
SELECT DISTINCT ref_date, end_date FROM wxa.monthly_retain WHERE end_date = '2024-02-29';
SELECT DISTINCT ref_date, end_date FROM wxa.monthly_retain WHERE ref_date = '2024-02-01';
\set weekly `python3 test/emulator/emuctl.py count getweanalysisappidweeklyvisittrend`
\set monthly `python3 test/emulator/emuctl.py count getweanalysisappidmonthlyretaininfo`
SELECT :weekly AS weekly_requests, :monthly AS monthly_requests;

-- not a period: a Wednesday, a Saturday end, the 15th, a day that is not a
-- month's last, a week that does not match its end: no rows, nothing sent
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.weekly_visit_trend WHERE ref_date = '2024-01-03';
SELECT count(*) FROM wxa.weekly_retain WHERE ref_date IN ('2024-01-03', '2024-01-07');
SELECT count(*) FROM wxa.weekly_retain WHERE end_date = '2024-01-06';
SELECT count(*) FROM wxa.weekly_visit_trend WHERE ref_date = '2023-10-02' AND end_date = '2023-10-15';
SELECT count(*) FROM wxa.monthly_visit_trend WHERE ref_date = '2023-06-15';
SELECT count(*) FROM wxa.monthly_retain WHERE end_date = '2023-06-15';
SELECT count(*) FROM wxa.monthly_retain WHERE end_date = '2024-02-28';
SELECT count(*) FROM wxa.monthly_visit_trend WHERE ref_date BETWEEN '2023-06-02' AND '2023-06-30';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- periods that have not ended (yesterday in Beijing) send nothing, even when they began in the past
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.weekly_visit_trend WHERE ref_date >= current_date + 1;
SELECT count(*) FROM wxa.weekly_retain WHERE ref_date >= current_date - 6 AND end_date > current_date;
SELECT count(*) FROM wxa.monthly_visit_trend WHERE ref_date >= current_date + 1;
SELECT count(*) FROM wxa.monthly_retain WHERE ref_date >= current_date - 31 AND end_date > current_date;
SELECT count(*) FROM wxa.monthly_retain WHERE end_date = (date_trunc('month', current_date + 1) + interval '1 month - 1 day')::date;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- more than max_requests: an error before anything is sent
SELECT count(*) FROM wxa.weekly_visit_trend WHERE ref_date >= '2000-01-01' AND ref_date < '2024-01-01';
ALTER SERVER wechat OPTIONS (ADD max_requests '10');
SELECT count(*) FROM wxa.monthly_retain WHERE ref_date >= '2023-01-01' AND ref_date < '2024-01-01';
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.monthly_retain WHERE ref_date >= '2023-01-01' AND ref_date < '2024-01-01';
SELECT count(DISTINCT ref_date) AS months FROM wxa.monthly_retain WHERE ref_date >= '2023-03-01' AND ref_date < '2024-01-01';
ALTER SERVER wechat OPTIONS (DROP max_requests);
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- no date restriction: an error whose hint shows a WHERE clause that works
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.weekly_visit_trend;
SELECT count(*) FROM wxa.monthly_retain WHERE user_type = 'visit_uv';
SELECT count(*) FROM wxa.weekly_retain WHERE end_date <= '2023-10-31';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
-- the hints' clauses: four (or, on a Sunday in America, five) weeks, six (or seven) months
SELECT count(*) >= 0 AS ran FROM wxa.weekly_visit_trend
WHERE ref_date >= date_trunc('week', current_date)::date - 28;
SELECT count(*) >= 0 AS ran FROM wxa.monthly_retain
WHERE ref_date >= (date_trunc('month', current_date) - interval '6 months')::date;
\set weekly `python3 test/emulator/emuctl.py count getweanalysisappidweeklyvisittrend`
\set monthly `python3 test/emulator/emuctl.py count getweanalysisappidmonthlyretaininfo`
SELECT :weekly BETWEEN 4 AND 5 AS weekly_requests_ok, :monthly BETWEEN 6 AND 7 AS monthly_requests_ok;
