-- The statement's period store: every consumer of one statement asks it, so a period
-- is fetched at most once per statement, whoever needs it (a self-join, the same table
-- twice under UNION ALL, a batched join beside a scan of the same days, a LATERAL
-- rescan). Requests counted on the emulator; nothing is kept across statements
-- (the `store` option, off here).

-- a self-join of 6 days: 6 requests, not 12
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) AS pairs FROM wxa.daily_visit_trend a
JOIN wxa.daily_visit_trend b ON b.ref_date = a.ref_date
WHERE a.ref_date BETWEEN '2024-02-01' AND '2024-02-06'
  AND b.ref_date BETWEEN '2024-02-01' AND '2024-02-06';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- the same table twice under UNION ALL (an async Append): 6 requests
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM (
  SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-06'
  UNION ALL
  SELECT ref_date FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-03' AND '2024-02-06') u;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- a batched join beside a scan of the same days: the union of their days, each once
CREATE TEMP TABLE store_days AS SELECT date '2024-02-01' + i AS day FROM generate_series(0, 7) i;
ANALYZE store_days;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT (SELECT count(*) FROM store_days o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day) AS joined,
       (SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-05' AND '2024-02-10') AS scanned;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- rows served from the store are the rows fetched: the same answer twice in one statement
SELECT count(*) AS differences FROM (
  (SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-06'
   EXCEPT ALL
   SELECT t.* FROM store_days o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
   WHERE o.day <= '2024-02-06')
  UNION ALL
  (SELECT t.* FROM store_days o JOIN wxa.daily_visit_trend t ON t.ref_date = o.day
   WHERE o.day <= '2024-02-06'
   EXCEPT ALL
   SELECT * FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-06')) d;

-- a LATERAL rescan per outer row over overlapping windows: each day once
\! python3 test/emulator/emuctl.py reset >/dev/null
SET wxa_fdw.enable_batched_join = off;
SELECT sum(c) FROM generate_series(0, 4) g(i),
  LATERAL (SELECT count(*) AS c FROM wxa.daily_visit_trend t
           WHERE t.ref_date BETWEEN date '2024-03-01' + i AND date '2024-03-01' + i + 3) l;
RESET wxa_fdw.enable_batched_join;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- the next statement fetches again (nothing kept across statements with store off)
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-06';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- a failed period fails every consumer that needs it, also the one that did not send it
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=40097 match=20240204 >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend a
JOIN wxa.daily_visit_trend b ON b.ref_date = a.ref_date
WHERE a.ref_date BETWEEN '2024-02-01' AND '2024-02-06'
  AND b.ref_date BETWEEN '2024-02-01' AND '2024-02-06';
\! python3 test/emulator/emuctl.py reset >/dev/null
