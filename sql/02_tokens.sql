-- Access tokens: fetched once and reused, renewed before expiry and after
-- revocation, static tokens, the classic endpoint. Counted on the emulator.
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set emuctl 'python3 test/emulator/emuctl.py'

-- one stable_token fetch serves many requests, in one scan and the next
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-20';
SELECT count(*) FROM wxa.daily_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-10';
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
\set data `python3 test/emulator/emuctl.py count /datacube/`
SELECT :tokens AS token_fetches, :data AS data_requests;

-- renewal before expiry: tokens that live 3 seconds are renewed, never used expired
\! python3 test/emulator/emuctl.py reset --tokens >/dev/null
\! python3 test/emulator/emuctl.py config token_ttl=3 >/dev/null
CREATE SERVER wechat_short FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_short
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE short_trend (ref_date date, visit_pv bigint)
  SERVER wechat_short OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM short_trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-05';
SELECT pg_sleep(3.2);
SELECT count(*) FROM short_trend WHERE ref_date BETWEEN '2024-02-01' AND '2024-02-05';
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
\set expired `python3 test/emulator/emuctl.py outcomes 42001`
SELECT :tokens AS token_fetches, :expired AS rejected_as_expired;

-- the end of a token's life never fails a query: tokens that live 3 s, a query every 50 ms
-- for 12 s. The stable endpoint counts each token down to its last second.
CREATE TEMP TABLE token_run (ok int, failed int, first_error text);
DO $$
DECLARE
  stop timestamptz := clock_timestamp() + interval '12 s';
  ok int := 0;
  failed int := 0;
  first_error text;
  i int := 0;
BEGIN
  WHILE clock_timestamp() < stop LOOP
    BEGIN
      PERFORM count(*) FROM short_trend WHERE ref_date = date '2024-02-01' + i % 20;
      ok := ok + 1;
    EXCEPTION WHEN others THEN
      failed := failed + 1;
      first_error := coalesce(first_error, SQLSTATE || ' ' || SQLERRM);
    END;
    i := i + 1;
    PERFORM pg_sleep(0.05);
  END LOOP;
  INSERT INTO token_run VALUES (ok, failed, first_error);
END $$;
-- renewal does not hammer the token endpoint: a few fetches per 3-second token, not one a query
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
SELECT ok > 40 AS many_queries, failed, first_error, :tokens BETWEEN 4 AND 24 AS token_fetches_bounded
FROM token_run;

-- an answer with expires_in 0 (a token in its last second) is not used: the next one is
\! python3 test/emulator/emuctl.py reset --tokens >/dev/null
\! python3 test/emulator/emuctl.py fault stable_token body 'body={"access_token":"in_its_last_second","expires_in":0}' >/dev/null
CREATE SERVER wechat_end FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_end
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE end_trend (ref_date date, visit_pv bigint)
  SERVER wechat_end OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM end_trend WHERE ref_date = '2024-02-10';
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
\set rejected `python3 test/emulator/emuctl.py outcomes 40001`
SELECT :tokens AS token_fetches, :rejected AS rejected;

-- revocation: the rejected token is dropped, a new one fetched, the request retried once
-- (this reset revokes the token this session holds for server wechat, and ends 3-second tokens)
\! python3 test/emulator/emuctl.py reset --tokens >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-03-01';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-03';
\! python3 test/emulator/emuctl.py revoke >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-03-04';
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
\set data `python3 test/emulator/emuctl.py count /datacube/`
\set rejected `python3 test/emulator/emuctl.py outcomes 40001`
SELECT :tokens AS token_fetches, :data AS data_requests, :rejected AS rejected;

-- ALTER USER MAPPING (or SERVER) drops the cached token
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-03-05';
ALTER USER MAPPING FOR CURRENT_USER SERVER wechat OPTIONS (SET secret '0123456789abcdef0123456789abcdef');
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-03-05';
ALTER SERVER wechat OPTIONS (ADD max_retries '3');
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-03-05';
ALTER SERVER wechat OPTIONS (DROP max_retries);
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
SELECT :tokens AS token_fetches;

-- a static access_token from the user mapping is used as given, never fetched
\! python3 test/emulator/emuctl.py reset >/dev/null
\set token `python3 test/emulator/emuctl.py expect-token wx1234567890abcdef`
CREATE SERVER wechat_static FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_static OPTIONS (access_token :'token');
CREATE FOREIGN TABLE static_trend (ref_date date, visit_pv bigint)
  SERVER wechat_static OPTIONS (endpoint 'daily_visit_trend');
\set before `python3 test/emulator/emuctl.py count token`
SELECT count(*) FROM static_trend WHERE ref_date BETWEEN '2024-04-01' AND '2024-04-07';
\set after `python3 test/emulator/emuctl.py count token`
SELECT :after - :before AS token_fetches;
-- once revoked, it fails with WeChat's errcode and a hint (and without the token)
\! python3 test/emulator/emuctl.py revoke >/dev/null
SELECT count(*) FROM static_trend WHERE ref_date = '2024-04-08';

-- the classic endpoint: GET /cgi-bin/token
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE SERVER wechat_classic FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', token_endpoint 'classic');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_classic
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE classic_trend (ref_date date, visit_pv bigint)
  SERVER wechat_classic OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM classic_trend WHERE ref_date BETWEEN '2024-05-01' AND '2024-05-10';
\set classic `python3 test/emulator/emuctl.py count /cgi-bin/token`
\set stable `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
SELECT :classic AS classic_fetches, :stable AS stable_fetches;

-- a wrong secret: WeChat's errcode and errmsg, and never the secret itself
ALTER USER MAPPING FOR CURRENT_USER SERVER wechat_classic OPTIONS (SET secret 'not-the-secret-0000');
SELECT count(*) FROM classic_trend WHERE ref_date = '2024-05-01';
-- an unknown appid
ALTER SERVER wechat_classic OPTIONS (SET appid 'wx0000000000000000');
SELECT count(*) FROM classic_trend WHERE ref_date = '2024-05-01';

DROP SERVER wechat_short, wechat_end, wechat_static, wechat_classic CASCADE;
