-- Secrets: no AppSecret and no access token in any error, log line, EXPLAIN
-- output or pg_stat_activity, whatever WeChat answers. Every error path that
-- can carry WeChat's text is provoked with an errmsg that repeats the
-- request's credentials (the emulator's errmsg=echo), some padded so that a
-- credential straddles the 512-byte cut of errmsg. At the end the output and
-- the server log are searched for every secret and every token the emulator
-- ever issued.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set app_secret '0123456789abcdef0123456789abcdef'
CREATE SERVER wechat_s FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', max_retries '1');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_s OPTIONS (secret :'app_secret');
CREATE SERVER wechat_c FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', token_endpoint 'classic', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_c OPTIONS (secret :'app_secret');
CREATE FOREIGN TABLE trend_s (ref_date date, visit_pv bigint) SERVER wechat_s OPTIONS (endpoint 'daily_visit_trend');
CREATE FOREIGN TABLE trend_c (ref_date date, visit_pv bigint) SERVER wechat_c OPTIONS (endpoint 'daily_visit_trend');
\! python3 test/emulator/emuctl.py reset >/dev/null
\set token `python3 test/emulator/emuctl.py expect-token wx1234567890abcdef`
CREATE SERVER wechat_t FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_t OPTIONS (access_token :'token');
CREATE FOREIGN TABLE trend_t (ref_date date, visit_pv bigint) SERVER wechat_t OPTIONS (endpoint 'daily_visit_trend');

-- from here on this session logs everything it reports, down to DEBUG5
SET log_min_messages = debug5;
SET log_error_verbosity = verbose;

-- token fetch, stable (the secret is in the request body): errmsg echoes it
\! python3 test/emulator/emuctl.py fault stable_token errcode errcode=40125 errmsg=echo >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-02';
-- ... with the bare secret across byte 511 of the raw errmsg
\! python3 test/emulator/emuctl.py fault stable_token errcode errcode=40164 errmsg=echo pad=420 >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-02';
-- ... retried (-1 is transient), the secret echoed on every attempt
\! python3 test/emulator/emuctl.py fault stable_token errcode errcode=-1 errmsg=echo times=2 >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-02';
-- ... an HTTP error and a token answer without a token
\! python3 test/emulator/emuctl.py fault stable_token http status=503 times=2 >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py fault stable_token body 'body={"expires_in":7200}' >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-02';
-- token fetch, classic (the secret is in the query string)
\! python3 test/emulator/emuctl.py fault cgi-bin/token errcode errcode=40013 errmsg=echo >/dev/null
SELECT count(*) FROM trend_c WHERE ref_date = '2024-01-02';
-- a real wrong secret
ALTER USER MAPPING FOR CURRENT_USER SERVER wechat_c OPTIONS (SET secret '00000000000000000000000000000000');
SELECT count(*) FROM trend_c WHERE ref_date = '2024-01-02';
ALTER USER MAPPING FOR CURRENT_USER SERVER wechat_c OPTIONS (SET secret :'app_secret');

-- datacube requests (the token is in the query string): the first token is
-- rejected with an echo, a second one fetched and rejected too
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=40001 errmsg=echo times=2 >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-03';
-- ... the bare token across byte 511 of the raw errmsg (scrubbed before the cut), not retried
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=48001 errmsg=echo pad=250 >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-03';
-- ... transient, retried, then failing
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=45009 errmsg=echo times=2 >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-03';
-- ... WeChat's own text where our message quotes the answer (a ref_date that is the token)
\! python3 test/emulator/emuctl.py fault datacube body "body={\"list\":[{\"ref_date\":\"$(python3 test/emulator/emuctl.py expect-token wx1234567890abcdef)\"}]}" >/dev/null
SELECT count(*) FROM trend_s WHERE ref_date = '2024-01-03';
-- a static token from the user mapping: rejected, with an echo
SELECT count(*) FROM trend_t WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=40014 errmsg=echo >/dev/null
SELECT count(*) FROM trend_t WHERE ref_date = '2024-01-02';
-- ... and revoked for real
\! python3 test/emulator/emuctl.py revoke >/dev/null
SELECT count(*) FROM trend_t WHERE ref_date = '2024-01-02';

-- the functions: an image (token), code2session (secret in the query string)
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit errcode errcode=40001 errmsg=echo times=2 >/dev/null
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat_s', 'id=1'));
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit errcode errcode=40169 errmsg=echo pad=250 >/dev/null
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat_s', 'id=1'));
\! python3 test/emulator/emuctl.py fault jscode2session errcode errcode=40029 errmsg=echo >/dev/null
SELECT * FROM :ext.wxa_code2session('wechat_s', 'code_secret_1');
\! python3 test/emulator/emuctl.py fault jscode2session errcode errcode=40226 errmsg=echo pad=420 >/dev/null
SELECT * FROM :ext.wxa_code2session('wechat_s', 'code_secret_2');

-- EXPLAIN (ANALYZE, VERBOSE) while a token is fetched; every line is kept
-- for the search at the end (Bytes received varies with the token's expires_in)
CREATE TEMP TABLE explained (line text);
CREATE FUNCTION pg_temp.explain(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  line text;
BEGIN
  -- the same lines on every version: no buffers (default since 18), whole actual rows (18: rows=3.00)
  FOR line IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || query LOOP
    INSERT INTO explained VALUES (line);
    IF line NOT LIKE '%Bytes received%' THEN
      RETURN NEXT regexp_replace(line, '(rows=[0-9]+)\.00([ )])', '\1\2', 'g');
    END IF;
  END LOOP;
END $$;
\! python3 test/emulator/emuctl.py revoke >/dev/null
SELECT * FROM pg_temp.explain($$SELECT * FROM trend_s WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-03'$$);
-- (the extension's schema on the search_path here: PostgreSQL prints a function outside it with its schema)
SET search_path = "$user", public, :ext;
SELECT * FROM pg_temp.explain(format($$SELECT length(%s.wxa_get_wxacode('wechat_s', 'pages/index/index'))$$, :'ext'));
RESET search_path;

-- pg_stat_activity while another session's scan waits for WeChat: SQL text
-- only, never a token (tokens are never in SQL that wxa_fdw runs)
\! python3 test/emulator/emuctl.py fault datacube stall seconds=1 >/dev/null
\! psql -X -q -d contrib_regression -c "SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-01-09'" >/dev/null 2>&1 &
CREATE FUNCTION pg_temp.wait_for_other_scan(present boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..100 LOOP
    PERFORM pg_stat_clear_snapshot();
    EXIT WHEN present = EXISTS (SELECT FROM pg_stat_activity
                                WHERE query LIKE '%2024-01-09%' AND pid <> pg_backend_pid());
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT pg_temp.wait_for_other_scan(true);
CREATE TEMP TABLE activity AS SELECT to_jsonb(a)::text AS row FROM pg_stat_activity a;
SELECT count(*) AS sessions_waiting_for_wechat FROM activity
WHERE row LIKE '%2024-01-09%' AND row LIKE '%"state": "active"%' AND row NOT LIKE '%pg_stat_activity%';
SELECT pg_temp.wait_for_other_scan(false);

RESET log_min_messages;
RESET log_error_verbosity;

-- the search: every secret and every token the emulator ever issued, in the
-- EXPLAIN lines, pg_stat_activity and this backend's server log (the log file,
-- or the backend's stderr, which is where the log goes without a collector)
CREATE TEMP TABLE credentials (c text);
\copy credentials FROM PROGRAM 'python3 test/emulator/emuctl.py credentials'
SELECT count(*) > 2 AS tokens_too, count(*) FILTER (WHERE c = :'app_secret') AS app_secret,
       count(*) FILTER (WHERE c = :'token') AS static_token
FROM credentials;
SELECT (SELECT count(*) FROM explained) > 10 AS explained_lines,
       (SELECT count(*) FROM explained, credentials WHERE strpos(line, c) > 0) AS credentials_in_explain,
       (SELECT count(*) FROM activity, credentials WHERE strpos(row, c) > 0) AS credentials_in_activity;
CREATE TEMP TABLE server_log AS
  -- as bytes: statements from databases of other encodings (24_encodings) are logged in theirs
  SELECT encode(pg_read_binary_file(coalesce(pg_current_logfile(), '/proc/self/fd/2')), 'escape') AS text;
-- the log holds the errors above (scrubbed), and no credential at all
SELECT strpos(text, 'errmsg was "invalid credential, secret=***&x=1, appsecret ***, rid: 0"') > 0 AS has_secret_errors,
       strpos(text, 'errmsg was "invalid credential, access_token=***&x=1, token ***, rid: 0"') > 0 AS has_token_errors,
       (SELECT count(*) FROM credentials WHERE strpos(text, c) > 0) AS credentials_in_log
FROM server_log;

DROP SERVER wechat_s, wechat_c, wechat_t CASCADE;
