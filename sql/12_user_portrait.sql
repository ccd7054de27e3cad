-- user_portrait: one request per (end_date, days) window of 1, 7 or 30 days,
-- all three when days is not restricted; rows (user type -> attribute -> items)
-- equal what the emulator served, parsed here by PostgreSQL's own jsonb.
CREATE TEMP TABLE served (body jsonb, request jsonb);
CREATE TEMP TABLE got AS SELECT * FROM wxa.user_portrait WHERE false;
CREATE TEMP VIEW expected AS
  SELECT to_date(request->>'begin_date', 'YYYYMMDD') AS ref_date,
         to_date(request->>'end_date', 'YYYYMMDD') AS end_date,
         to_date(request->>'end_date', 'YYYYMMDD') - to_date(request->>'begin_date', 'YYYYMMDD') + 1 AS days,
         user_type, attribute, (item->>'id')::integer AS id, item->>'name' AS name,
         (item->>'value')::bigint AS value
  FROM served, unnest(ARRAY['visit_uv_new', 'visit_uv']) AS user_type,
       unnest(ARRAY['province', 'city', 'genders', 'platforms', 'devices', 'ages']) AS attribute,
       jsonb_array_elements(body->user_type->attribute) AS item;

-- days unrestricted: 1, 7 and 30 days ending on one day
\! python3 test/emulator/emuctl.py reset >/dev/null
INSERT INTO got SELECT * FROM wxa.user_portrait WHERE end_date = '2024-03-31';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiduserportrait'
-- days restricted: a week of 7-day windows
\! python3 test/emulator/emuctl.py reset >/dev/null
INSERT INTO got SELECT * FROM wxa.user_portrait WHERE end_date BETWEEN '2024-03-25' AND '2024-03-31' AND days = 7;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiduserportrait'
-- days IN (1, 30) on a day without data: the 1-day window has no rows
\! python3 test/emulator/emuctl.py reset >/dev/null
INSERT INTO got SELECT * FROM wxa.user_portrait WHERE end_date = '2024-03-10' AND days IN (1, 30);
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiduserportrait'
-- restricted on ref_date: the three windows that start on one day
\! python3 test/emulator/emuctl.py reset >/dev/null
INSERT INTO got SELECT * FROM wxa.user_portrait WHERE ref_date = '2024-03-01';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiduserportrait'
-- ref_date and days
\! python3 test/emulator/emuctl.py reset >/dev/null
INSERT INTO got SELECT * FROM wxa.user_portrait WHERE ref_date >= '2024-02-01' AND ref_date < '2024-02-05' AND days = 30;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiduserportrait'

-- the windows requested, and that each response was for its window
SELECT request->>'begin_date' AS begin_date, request->>'end_date' AS end_date,
       body->>'ref_date' = (request->>'begin_date') || '-' || (request->>'end_date') AS served_for_it,
       (SELECT count(*) FROM got g
        WHERE g.ref_date = to_date(request->>'begin_date', 'YYYYMMDD')
          AND g.end_date = to_date(request->>'end_date', 'YYYYMMDD')) AS rows
FROM served ORDER BY 2, 1;
-- rows served and rows returned are the same multiset
SELECT count(*) AS served_rows, (SELECT count(*) FROM got) AS got_rows FROM expected;
(SELECT * FROM got EXCEPT ALL SELECT * FROM expected)
UNION ALL
(SELECT * FROM expected EXCEPT ALL SELECT * FROM got);
-- days and ref_date agree; id is NULL exactly for devices; 未知 values come through
SELECT days, count(*) AS rows, bool_and(ref_date = end_date - (days - 1)) AS ref_date_ok
FROM got GROUP BY 1 ORDER BY 1;
SELECT user_type, attribute, count(*) AS rows, count(id) AS with_id,
       count(*) FILTER (WHERE name = '未知') AS unknown
FROM got GROUP BY 1, 2 ORDER BY 1 DESC, 2;
SELECT user_type, attribute, id, name, value FROM got
WHERE end_date = '2024-03-31' AND days = 1 AND attribute IN ('genders', 'platforms', 'devices')
ORDER BY 1 DESC, 2, value DESC;

-- EXPLAIN shows the planned windows
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.user_portrait WHERE end_date = '2024-03-31';
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.user_portrait WHERE end_date BETWEEN '2024-03-25' AND '2024-03-31' AND days = 7;
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.user_portrait WHERE end_date IN ('2024-03-10', '2024-03-31') AND ref_date <= '2024-03-10';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT DISTINCT ref_date, end_date, days FROM wxa.user_portrait
WHERE end_date IN ('2024-03-10', '2024-03-31') AND ref_date <= '2024-03-10' ORDER BY 2, 3;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;

-- no window: days other than 1, 7, 30, a window that has not ended (even one
-- that began in the past), the future: no rows, nothing sent
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.user_portrait WHERE end_date = '2024-03-31' AND days = 3;
SELECT count(*) FROM wxa.user_portrait WHERE end_date = '2024-03-31' AND days IN (2, 14);
SELECT count(*) FROM wxa.user_portrait WHERE ref_date = '2024-03-31' AND end_date = '2024-04-02';
SELECT count(*) FROM wxa.user_portrait WHERE ref_date = current_date - 3 AND days = 7;
SELECT count(*) FROM wxa.user_portrait WHERE end_date = current_date + 1;
SELECT count(*) FROM wxa.user_portrait WHERE end_date BETWEEN current_date + 1 AND current_date + 30;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- more than max_requests, no restriction: an error, nothing sent
SELECT count(*) FROM wxa.user_portrait WHERE end_date >= '2020-01-01' AND end_date < '2021-01-01';
SELECT count(*) FROM wxa.user_portrait WHERE days = 30;
SELECT count(*) FROM wxa.user_portrait WHERE end_date <= '2024-03-31';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
-- the hint's clause works: one request
SELECT count(*) > 0 AS ran FROM wxa.user_portrait WHERE end_date = current_date - 1 AND days = 30;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
