-- Transient failures are retried with backoff, persistent ones fail the query
-- with WeChat's errcode; timeouts and cancels end a stalled scan; nothing is
-- left behind. Counted on the emulator.
-- http:// by default; test/run-tests runs this suite again over https (README: "Testing")
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`
CREATE SERVER wechat_fast FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca', timeout_ms '1000', max_retries '3');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_fast
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE trend (ref_date date, visit_pv bigint)
  SERVER wechat_fast OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM trend WHERE ref_date = '2024-01-02';   -- fetches the token

-- each transient class: retried, then succeeding (1 request + the retries)
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=-1 times=2 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT 'errcode -1' AS fault, :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=45009 times=2 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT 'errcode 45009' AS fault, :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=45011 times=1 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT 'errcode 45011' AS fault, :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=61504 times=3 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT 'errcode 61504' AS fault, :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend http status=502 times=2 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT 'HTTP 502' AS fault, :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend html times=2 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT 'HTML page' AS fault, :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend close times=3 >/dev/null
SELECT ref_date, visit_pv FROM trend WHERE ref_date = '2024-01-02';
\set failed `python3 test/emulator/emuctl.py outcomes close`
SELECT 'closed connection' AS fault, :failed AS closed_without_answer;

-- in a scan of many days, a retried day still gives all rows
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=-1 times=5 >/dev/null
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-20';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- persistent failure: 1 + max_retries attempts, then an error with the errcode
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=-1 times=-1 >/dev/null
SELECT count(*) FROM trend WHERE ref_date = '2024-01-02';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend http status=500 times=-1 >/dev/null
SELECT count(*) FROM trend WHERE ref_date = '2024-01-02';
-- one failing day fails the whole query: never fewer rows
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=45009 times=-1 match=20240107 >/dev/null
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-10';
-- errors that are not transient are not retried
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=61501 times=-1 >/dev/null
SELECT count(*) FROM trend WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend http status=404 times=-1 >/dev/null
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- broken bodies: truncated JSON, wrong types
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend truncated times=1 >/dev/null
SELECT count(*) FROM trend WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend garbage times=1 >/dev/null
SELECT count(*) FROM trend WHERE ref_date = '2024-01-02';

-- a stalled response: the timeout error (max_retries 0 here, to keep it short)
ALTER SERVER wechat_fast OPTIONS (SET max_retries '0');
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=20 times=1 >/dev/null
-- (the emulator's host and port differ from run to run, and over https://: masked)
SELECT state, regexp_replace(message, 'host "[^"]*", port \d+', 'host "EMULATOR", port PORT') AS message, detail, hint
FROM wxa_test.caught($$SELECT count(*) FROM trend WHERE ref_date = '2024-01-02'$$) \gx
-- nothing listens: connection refused
CREATE SERVER wechat_nowhere FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url 'http://127.0.0.1:9', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_nowhere OPTIONS (access_token 'static-token-for-test');
CREATE FOREIGN TABLE nowhere (ref_date date) SERVER wechat_nowhere OPTIONS (endpoint 'daily_summary');
SELECT count(*) FROM nowhere WHERE ref_date = '2024-01-02';

-- a cancel during a stalled response ends the scan with PostgreSQL's own error
ALTER SERVER wechat_fast OPTIONS (SET timeout_ms '60000');
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=30 times=1 >/dev/null
SET statement_timeout = '300ms';
SELECT count(*) FROM trend WHERE ref_date = '2024-01-03';
RESET statement_timeout;
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=30 times=1 >/dev/null
-- (the canceller asks every 50 ms, at most 400 times, until it finds the scan)
\! (for i in $(seq 400); do n=$(psql -X -q -A -t -d contrib_regression -c "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM trend WHERE ref_date = ''2024-01-04''%' AND pid <> pg_backend_pid()" 2>/dev/null); [ "${n:-0}" -gt 0 ] && break; sleep 0.05; done) &
SELECT count(*) FROM trend WHERE ref_date = '2024-01-04';
-- pg_terminate_backend ends another session's scan stalled for 30 s: waiting up to 20 s for
-- the process to exit returns true only if it did, before the stalled answer would have come
\! python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=30 times=1 >/dev/null
\! psql -X -q -d contrib_regression -c "SELECT count(*) FROM trend WHERE ref_date = '2024-01-09'" >/dev/null 2>&1 &
-- until that scan waits on WeChat (every 50 ms, at most 400 times)
DO $$
BEGIN
  FOR i IN 1..400 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN EXISTS (SELECT FROM pg_stat_activity WHERE wait_event_type = 'Extension'
                      AND query LIKE 'SELECT count(*) FROM trend WHERE ref_date = ''2024-01-09''%');
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT pg_terminate_backend(pid, 20000) AS terminated_before_the_stall_ended
FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM trend WHERE ref_date = ''2024-01-09''%';
-- the backend still answers, and the next scan works
SELECT 1 AS still_here;
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-05' AND '2024-01-07';

-- an error while other requests are in flight abandons them cleanly: no sockets pile up.
-- Twenty times: three requests stall, then the fourth fails at once (40013).
ALTER SERVER wechat_fast OPTIONS (ADD max_concurrency '4');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-05' AND '2024-01-08';
SELECT count(*) AS fds_before FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/fd') \gset
\! for i in $(seq 20); do python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend stall seconds=3 times=3; python3 test/emulator/emuctl.py fault getweanalysisappiddailyvisittrend errcode errcode=40013 times=1; done >/dev/null
DO $$
DECLARE
  failures int := 0;
BEGIN
  FOR i IN 1..20 LOOP
    BEGIN
      PERFORM count(*) FROM trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-04';
    EXCEPTION WHEN invalid_authorization_specification THEN
      failures := failures + 1;
    END;
  END LOOP;
  RAISE NOTICE '% of 20 scans failed with errcode 40013', failures;
END $$;
SELECT count(*) AS fds_after FROM pg_ls_dir('/proc/' || pg_backend_pid() || '/fd') \gset
SELECT :fds_after <= :fds_before AS no_leaked_sockets;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-05' AND '2024-01-07';

DROP SERVER wechat_fast, wechat_nowhere CASCADE;
