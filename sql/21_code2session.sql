-- wxa_code2session: openid, session_key and unionid (NULL when WeChat sends
-- none), authenticated with the AppSecret of the caller's user mapping and
-- never with an access token. Counted on the emulator.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`

-- a server of its own, so that no cached token hides a token fetch
CREATE SERVER wechat_login FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_login
  OPTIONS (secret '0123456789abcdef0123456789abcdef');

\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE sessions AS
  SELECT 1 AS n, * FROM :ext.wxa_code2session('wechat_login', 'code_plain_1');
INSERT INTO sessions
  SELECT 2, * FROM :ext.wxa_code2session(server => 'wechat_login', js_code => 'code_union_2');
-- js_code is escaped in the query string
INSERT INTO sessions
  SELECT 3, * FROM :ext.wxa_code2session('wechat_login', 'code_a b&c=d+e');
SELECT * FROM sessions ORDER BY n;
-- the same as WeChat answered; the request as WeChat received it
CREATE TEMP TABLE served (n serial, body jsonb, request jsonb);
\copy served (body, request) FROM PROGRAM 'python3 test/emulator/emuctl.py served jscode2session'
SELECT n, s.openid = body->>'openid' AS same_openid,
       s.session_key = body->>'session_key' AS same_session_key,
       s.unionid IS NOT DISTINCT FROM body->>'unionid' AS same_unionid
FROM sessions s JOIN served USING (n) ORDER BY n;
SELECT n, request - 'secret' AS request,
       request->>'secret' = '0123456789abcdef0123456789abcdef' AS secret_from_mapping
FROM served ORDER BY n;
-- no access token was fetched or used
\set tokens `python3 test/emulator/emuctl.py count token`
\set requests `python3 test/emulator/emuctl.py count`
SELECT :tokens AS token_fetches, :requests AS requests;

-- WeChat's errors: a code used twice, an invalid code, a high-risk user
SELECT * FROM :ext.wxa_code2session('wechat_login', 'code_plain_1');
SELECT * FROM :ext.wxa_code2session('wechat_login', 'not_a_code');
SELECT * FROM :ext.wxa_code2session('wechat_login', 'risky_3');
-- "system busy" is retried
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault jscode2session errcode errcode=-1 >/dev/null
SELECT openid IS NOT NULL AS openid, unionid IS NULL AS no_unionid
FROM :ext.wxa_code2session('wechat_login', 'code_busy_4');
\set attempts `python3 test/emulator/emuctl.py count jscode2session`
SELECT :attempts AS attempts;

-- arguments are checked before any request
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM :ext.wxa_code2session('wechat_login', '');
SELECT * FROM :ext.wxa_code2session('wechat_login', NULL);
SELECT * FROM :ext.wxa_code2session(NULL, 'code_5');
-- a user mapping with only an access_token cannot log users in
CREATE SERVER wechat_token_only FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_token_only
  OPTIONS (access_token 'a-token-from-a-central-service');
SELECT * FROM :ext.wxa_code2session('wechat_token_only', 'code_6');
\set requests `python3 test/emulator/emuctl.py count`
SELECT :requests AS requests_sent;

-- the secret never appears in an error: a wrong secret, an unreachable host
CREATE FUNCTION pg_temp.error_of(call text, secret text) RETURNS text
LANGUAGE sql AS $$
  SELECT CASE WHEN c.state = '00000' THEN 'no error'
              ELSE c.state || ': ' ||
                   CASE WHEN position(secret IN concat_ws(' ', c.message, c.detail, c.hint)) > 0
                        THEN 'the secret is in the error' ELSE 'no secret in the error' END END
  FROM wxa_test.caught(call) c
$$;
ALTER USER MAPPING FOR CURRENT_USER SERVER wechat_login
  OPTIONS (SET secret 'not-the-secret-0000');
SELECT * FROM :ext.wxa_code2session('wechat_login', 'code_7');
SELECT pg_temp.error_of(format($$SELECT * FROM %s.wxa_code2session('wechat_login', 'code_7')$$, :'ext'), 'not-the-secret-0000');
ALTER SERVER wechat_login OPTIONS (SET api_base_url 'http://127.0.0.1:1', ADD max_retries '0');
SELECT pg_temp.error_of(format($$SELECT * FROM %s.wxa_code2session('wechat_login', 'code_8')$$, :'ext'), 'not-the-secret-0000');

DROP USER MAPPING FOR CURRENT_USER SERVER wechat_login;
DROP USER MAPPING FOR CURRENT_USER SERVER wechat_token_only;
DROP SERVER wechat_login, wechat_token_only;
