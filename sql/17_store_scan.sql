-- The period store through scans (README: "Period store"): a settled period is
-- fetched once and kept; a later scan reads it and sends nothing, token fetch
-- included; store 'off' neither reads nor writes; only a credential proven for
-- the appid is served; ALTER SERVER ... SET appid never serves another app's
-- rows; REFRESH MATERIALIZED VIEW (a security-restricted operation) reads and
-- writes it; wxa_store_fill backfills; wxa_store_forget makes it fetch again.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set app_secret '0123456789abcdef0123456789abcdef'
\set other_secret 'fedcba9876543210fedcba9876543210'
SELECT :ext.wxa_store_forget('wx1234567890abcdef') >= 0 AS clean;
CREATE SERVER st FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', store 'on');
CREATE USER MAPPING FOR CURRENT_USER SERVER st OPTIONS (secret :'app_secret');
CREATE FOREIGN TABLE st_summary (ref_date date, visit_total bigint, share_pv bigint)
  SERVER st OPTIONS (endpoint 'daily_summary');
CREATE FOREIGN TABLE st_weekly (ref_date date, end_date date, user_type text, key integer, value bigint)
  SERVER st OPTIONS (endpoint 'weekly_retain');

-- the first scan fetches the 7 days and keeps them
\! python3 test/emulator/emuctl.py reset --tokens >/dev/null
SELECT count(*), sum(visit_total) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
\set n `python3 test/emulator/emuctl.py count`
SELECT :n AS requests_with_token;
SELECT endpoint, periods, first_date, last_date, bytes > 0 AS has_bytes
FROM :ext.wxa_store_summary() WHERE api_base_url = :'emu_url';
-- the second sends nothing at all, and returns the same rows
\! python3 test/emulator/emuctl.py reset --tokens >/dev/null
SELECT count(*), sum(visit_total) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
\set n `python3 test/emulator/emuctl.py count`
SELECT :n AS requests;
-- a wider range fetches only the days not kept: 2024-01-08..10 (each twice: the reset above
-- revoked this backend's token, so each is answered 40001 and sent again with a new one)
SELECT count(*) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-10';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py served datacube | cut -f2 | sort
-- weeks, in a new backend (the verifier in the table proves the secret)
\c
SELECT count(*), sum(value) FROM st_weekly WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-28';
\! python3 test/emulator/emuctl.py reset --tokens >/dev/null
\c
SELECT count(*), sum(value) FROM st_weekly WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-28';
\set n `python3 test/emulator/emuctl.py count`
SELECT :n AS requests;

-- settled: the last day at least store_after_days (7) before yesterday in Beijing, so up to
-- today - 8; the days after are fetched, not kept
SELECT count(*) >= 0 AS fetched FROM st_summary
WHERE ref_date BETWEEN (now() AT TIME ZONE 'Asia/Shanghai')::date - 10 AND (now() AT TIME ZONE 'Asia/Shanghai')::date - 2;
SELECT count(*) AS unsettled_kept FROM :ext.wxa_store_periods
WHERE api_base_url = :'emu_url' AND first_day > (now() AT TIME ZONE 'Asia/Shanghai')::date - 8;
SELECT count(*) AS settled_kept FROM :ext.wxa_store_periods
WHERE api_base_url = :'emu_url' AND first_day BETWEEN (now() AT TIME ZONE 'Asia/Shanghai')::date - 10
                                                  AND (now() AT TIME ZONE 'Asia/Shanghai')::date - 8;

-- store 'off' on the table wins over the server's 'on': neither read nor written
ALTER FOREIGN TABLE st_summary OPTIONS (ADD store 'off');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
SELECT count(*) FROM st_summary WHERE ref_date BETWEEN '2024-01-20' AND '2024-01-21';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
SELECT count(*) AS kept FROM :ext.wxa_store_periods
WHERE api_base_url = :'emu_url' AND endpoint = 'daily_summary' AND first_day BETWEEN '2024-01-20' AND '2024-01-21';
-- and 'on' on the table wins over the server's 'off'
ALTER FOREIGN TABLE st_summary OPTIONS (SET store 'on');
ALTER SERVER st OPTIONS (SET store 'off');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
ALTER SERVER st OPTIONS (SET store 'on');
ALTER FOREIGN TABLE st_summary OPTIONS (DROP store);

-- a server made up with the same appid and a wrong secret gets an error, not the rows
CREATE SERVER st_fake FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', store 'on');
CREATE USER MAPPING FOR CURRENT_USER SERVER st_fake OPTIONS (secret 'not-the-secret-of-this-app-00000');
CREATE FOREIGN TABLE st_fake_summary (ref_date date, visit_total bigint)
  SERVER st_fake OPTIONS (endpoint 'daily_summary');
SELECT state, message FROM wxa_test.caught(
  $$SELECT count(*) FROM st_fake_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07'$$);
-- nor with a made-up access_token
ALTER USER MAPPING FOR CURRENT_USER SERVER st_fake OPTIONS (DROP secret, ADD access_token 'made-up-token');
SELECT state, message FROM wxa_test.caught(
  $$SELECT count(*) FROM st_fake_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07'$$);
DROP SERVER st_fake CASCADE;

-- ALTER SERVER ... SET appid: never the other app's rows. With the first app's secret: an error;
-- with the second app's own secret: its own rows, fetched
ALTER SERVER st OPTIONS (SET appid 'wxfedcba0987654321');
SELECT state, message FROM wxa_test.caught(
  $$SELECT count(*) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07'$$);
ALTER USER MAPPING FOR CURRENT_USER SERVER st OPTIONS (SET secret :'other_secret');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*), sum(visit_total) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
SELECT appid, endpoint, periods FROM :ext.wxa_store_summary() WHERE api_base_url = :'emu_url' ORDER BY 1, 2;
SELECT :ext.wxa_store_forget('wxfedcba0987654321');
ALTER SERVER st OPTIONS (SET appid 'wx1234567890abcdef');
ALTER USER MAPPING FOR CURRENT_USER SERVER st OPTIONS (SET secret :'app_secret');

-- REFRESH MATERIALIZED VIEW, owned by a role without any privilege on the store,
-- under a security-restricted operation (and a restricted search_path on 17+)
CREATE ROLE wxa_store_mv;
GRANT USAGE ON FOREIGN SERVER st TO wxa_store_mv;
GRANT SELECT ON st_summary TO wxa_store_mv;
CREATE USER MAPPING FOR wxa_store_mv SERVER st OPTIONS (secret :'app_secret');
CREATE SCHEMA st_mv AUTHORIZATION wxa_store_mv;
SET ROLE wxa_store_mv;
CREATE MATERIALIZED VIEW st_mv.feb AS
  SELECT ref_date, visit_total FROM public.st_summary WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-14'
  WITH NO DATA;
RESET ROLE;
\! python3 test/emulator/emuctl.py reset >/dev/null
REFRESH MATERIALIZED VIEW st_mv.feb;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
SELECT count(*) AS kept FROM :ext.wxa_store_periods
WHERE api_base_url = :'emu_url' AND first_day BETWEEN '2024-02-01' AND '2024-02-14';
\! python3 test/emulator/emuctl.py reset >/dev/null
REFRESH MATERIALIZED VIEW st_mv.feb;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
SELECT count(*), sum(visit_total) FROM st_mv.feb;

-- wxa_store_fill: a backfill in chunks of 31 days; again: nothing to fetch
\! python3 test/emulator/emuctl.py reset >/dev/null
CALL :ext.wxa_store_fill('st', 'daily_summary', '2024-03-01', '2024-04-15');
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
CALL :ext.wxa_store_fill('st', 'daily_summary', '2024-03-01', '2024-04-15');
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
SELECT count(*) AS kept FROM :ext.wxa_store_periods
WHERE api_base_url = :'emu_url' AND endpoint = 'daily_summary' AND first_day BETWEEN '2024-03-01' AND '2024-04-15';
-- up to today: the unsettled days are left out (with a NOTICE naming the last settled day)
SET client_min_messages = warning;
CALL :ext.wxa_store_fill('st', 'daily_summary', current_date - 12, current_date);
RESET client_min_messages;
SELECT max(first_day) = (now() AT TIME ZONE 'Asia/Shanghai')::date - 8 AS up_to_the_last_settled_day
FROM :ext.wxa_store_periods WHERE api_base_url = :'emu_url';

-- forget: the next scan fetches again
SELECT :ext.wxa_store_forget('wx1234567890abcdef', 'daily_summary', '2024-01-01', '2024-01-03');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM st_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- dropping the server leaves the rows (other servers may share them): forget removes them
DROP SERVER st CASCADE;
SELECT count(*) > 0 AS left_behind FROM :ext.wxa_store_summary() WHERE api_base_url = :'emu_url';
SELECT :ext.wxa_store_forget('wx1234567890abcdef') > 0 AS forgotten;
SELECT count(*) AS left_behind FROM :ext.wxa_store_summary() WHERE api_base_url = :'emu_url';
DROP SCHEMA st_mv CASCADE;
DROP OWNED BY wxa_store_mv;
DROP ROLE wxa_store_mv;
