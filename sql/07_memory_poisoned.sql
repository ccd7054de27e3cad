-- Long scans, long joins, rescans, a full period cache, and errors and cancels in
-- the middle of a scan: everything a scan frees when it ends. test/run-tests runs
-- every suite with MALLOC_PERTURB_ in the server's environment, so that a read of
-- freed memory (issue 10: the period cache walked after MemoryContextDelete had
-- freed it) crashes the backend here instead of passing by luck.
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SERVER wechat_mem FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', max_requests '6000',
           max_concurrency '16', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_mem
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE mem_summary (ref_date date, visit_total bigint)
  SERVER wechat_mem OPTIONS (endpoint 'daily_summary');
CREATE FOREIGN TABLE mem_portrait (ref_date date, end_date date, days integer, name text)
  SERVER wechat_mem OPTIONS (endpoint 'user_portrait');
SELECT count(*) FROM mem_summary WHERE ref_date = '2017-01-01';   -- fetches the token

-- a scan of 3,000 days: the period cache grows far past its first 64 entries
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) AS rows, count(DISTINCT ref_date) AS days, min(ref_date), max(ref_date)
FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND date '2017-01-01' + 2999;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- a join of a 3,200-row table on ref_date: one rescan per outer row (Memoize off, so
-- that every rescan reaches the wrapper); 1,600 days, each fetched once, then cached
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE outer_days AS
  SELECT date '2019-01-01' + i % 1600 AS day FROM generate_series(0, 3199) i;
ANALYZE outer_days;
SET enable_memoize = off;
SELECT count(*) AS rows, count(DISTINCT o.day) AS days
FROM outer_days o JOIN mem_summary t ON t.ref_date = o.day;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- rescans with ranges that overlap: 30 windows of 100 days, 129 days in all
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT sum((SELECT count(*) FROM mem_summary t WHERE t.ref_date BETWEEN d AND d + 99)) AS rows
FROM generate_series(0, 29) g(i), LATERAL (SELECT date '2021-01-01' + i AS d) w;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- a full period store: 400 portraits of a few hundred cells each are far more than
-- work_mem 64kB; the periods nobody reads go to the store's temporary file and come back
-- on the rescan of the second pass: each is fetched once, and both passes see the same rows
-- (a nested loop: the batched join would prefetch them)
SET wxa_fdw.enable_batched_join = off;
SET work_mem = '64kB';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT v.pass, count(*) AS rows, count(DISTINCT p.end_date) AS periods
FROM (VALUES (1), (2)) v(pass)
CROSS JOIN LATERAL (SELECT * FROM mem_portrait p
                    WHERE p.end_date BETWEEN date '2020-01-01' + v.pass - v.pass
                                         AND date '2020-01-01' + v.pass - v.pass + 399
                      AND p.days = 1) p
GROUP BY v.pass ORDER BY v.pass;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
RESET work_mem;
RESET wxa_fdw.enable_batched_join;
RESET enable_memoize;

-- errors in the middle of a long scan: an errcode, a broken body, an answer cut off
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault dailysummary errcode errcode=40013 match=20170901 >/dev/null
SELECT count(*) FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND '2018-12-31';
\! python3 test/emulator/emuctl.py fault dailysummary garbage match=20170902 >/dev/null
SELECT count(*) FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND '2018-12-31';
\! python3 test/emulator/emuctl.py fault dailysummary cut match=20170903 >/dev/null
SELECT count(*) FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND '2018-12-31';
SELECT count(*) FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND '2018-12-31';

-- an error in the middle of a join, and errors caught in a subtransaction, scan after scan
\! python3 test/emulator/emuctl.py fault dailysummary errcode errcode=40013 match=20190315 >/dev/null
SET enable_memoize = off;
SELECT count(*) FROM outer_days o JOIN mem_summary t ON t.ref_date = o.day;
RESET enable_memoize;
\! python3 test/emulator/emuctl.py fault dailysummary errcode errcode=40013 match=20200601 times=5 >/dev/null
DO $$
DECLARE
  caught int := 0;
BEGIN
  FOR i IN 1..5 LOOP
    BEGIN
      PERFORM count(*) FROM mem_summary WHERE ref_date BETWEEN '2020-01-01' AND '2020-12-31';
    EXCEPTION WHEN others THEN
      caught := caught + 1;
    END;
  END LOOP;
  RAISE NOTICE 'caught % errors', caught;
END $$;

-- a cancel in the middle of a scan (a stalled request, statement_timeout)
\! python3 test/emulator/emuctl.py fault dailysummary stall seconds=5 match=20171201 >/dev/null
SET statement_timeout = '500ms';
SELECT count(*) FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND '2018-12-31';
RESET statement_timeout;

-- and the backend is still there, with every row
SELECT count(*) FROM mem_summary WHERE ref_date BETWEEN '2017-01-01' AND '2018-12-31';
DROP SERVER wechat_mem CASCADE;
