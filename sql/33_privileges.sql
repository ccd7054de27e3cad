-- Who may do what: a role that may SELECT a foreign table calls WeChat with
-- its own user mapping (or a PUBLIC one); without one it gets an error naming
-- the user and the server; plain EXPLAIN needs none; a view uses its owner's
-- mapping; nobody reads another user's credentials. And requests go nowhere
-- but api_base_url: redirects are not followed.
-- Server options are public: no URL with a password in them.
-- (Options only superusers may set: 01_options. The functions: 20_images.)
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set app_secret '0123456789abcdef0123456789abcdef'
CREATE ROLE wxa_analyst;
CREATE ROLE wxa_viewer;
GRANT USAGE ON SCHEMA wxa TO wxa_analyst, wxa_viewer;
GRANT SELECT ON wxa.daily_summary TO wxa_analyst, wxa_viewer;
GRANT USAGE ON FOREIGN SERVER wechat TO wxa_analyst;
CREATE SCHEMA analyst AUTHORIZATION wxa_analyst;
GRANT USAGE ON SCHEMA analyst TO wxa_viewer;

-- without a user mapping: a clear error, nothing sent; EXPLAIN works
\! python3 test/emulator/emuctl.py reset >/dev/null
SET ROLE wxa_analyst;
SELECT count(*) FROM wxa.daily_summary WHERE ref_date = '2024-01-02';
EXPLAIN (COSTS OFF) SELECT * FROM wxa.daily_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
-- with USAGE on the server the role makes its own mapping and uses it
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat OPTIONS (secret :'app_secret');
SELECT count(*) FROM wxa.daily_summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
-- it sees its own options, never the superuser's
SELECT usename, umoptions IS NOT NULL AS options_visible
FROM pg_user_mappings WHERE srvname = 'wechat' ORDER BY 1;
-- a view it owns, for others
CREATE VIEW analyst.summary AS SELECT * FROM wxa.daily_summary;
GRANT SELECT ON analyst.summary TO wxa_viewer;
RESET ROLE;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- without USAGE a role cannot make a mapping, and has none to use (a failing
-- statement is logged with its text: no real secret in it)
SET ROLE wxa_viewer;
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat OPTIONS (secret 'not-a-real-secret');
SELECT count(*) FROM wxa.daily_summary WHERE ref_date = '2024-01-02';
-- but through the view it uses the view owner's mapping
SELECT count(*) FROM analyst.summary WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-07';
RESET ROLE;
-- a PUBLIC mapping serves every role without one of its own
CREATE USER MAPPING FOR PUBLIC SERVER wechat OPTIONS (secret :'app_secret');
SET ROLE wxa_viewer;
SELECT count(*) FROM wxa.daily_summary WHERE ref_date = '2024-01-02';
SELECT usename, umoptions IS NOT NULL AS options_visible
FROM pg_user_mappings WHERE srvname = 'wechat' ORDER BY 1;
RESET ROLE;
DROP USER MAPPING FOR PUBLIC SERVER wechat;
-- the view's owner loses its mapping: the error names the owner
DROP USER MAPPING FOR wxa_analyst SERVER wechat;
SET ROLE wxa_viewer;
SELECT count(*) FROM analyst.summary WHERE ref_date = '2024-01-02';
RESET ROLE;

-- server options are readable by every role: a URL with a password is refused
CREATE SERVER m_proxy FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', proxy 'http://user:pass@proxy.example:3128');
CREATE SERVER m_proxy FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url 'https://wx:secret@api.weixin.qq.com');

-- redirects are not followed: a 302 to another path of the emulator is an
-- error, and nothing reaches that path
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault datacube redirect location=http://127.0.0.1:$WXA_EMULATOR_PORT/redirected >/dev/null
SELECT count(*) FROM wxa.daily_summary WHERE ref_date = '2024-01-02';
\! python3 test/emulator/emuctl.py fault stable_token redirect >/dev/null
ALTER SERVER wechat OPTIONS (ADD max_retries '3');   -- drops the cached token
SELECT count(*) FROM wxa.daily_summary WHERE ref_date = '2024-01-02';
ALTER SERVER wechat OPTIONS (DROP max_retries);
\set redirected `python3 test/emulator/emuctl.py count redirected`
\set redirects `python3 test/emulator/emuctl.py outcomes redirect`
SELECT :redirects AS redirects_answered, :redirected AS requests_that_followed;

DROP SCHEMA analyst CASCADE;
REVOKE ALL ON SCHEMA wxa FROM wxa_analyst, wxa_viewer;
REVOKE ALL ON wxa.daily_summary FROM wxa_analyst, wxa_viewer;
REVOKE USAGE ON FOREIGN SERVER wechat FROM wxa_analyst;
DROP ROLE wxa_analyst, wxa_viewer;
