-- Every option is validated when the object is created or altered; errors name
-- the option and list what is valid.
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`

-- server: appid is required, unknown names are listed
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw;
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', colour 'red');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid '');
-- integers and their ranges
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_concurrency '0');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_concurrency '65');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_concurrency 'eight');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', connect_timeout_ms '0');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', timeout_ms '-5');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_retries '11');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_requests '1e3');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_requests '99999999999999999999');
-- spaces around an integer are refused alike, leading or trailing
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_concurrency ' 8');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_concurrency '8 ');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', timeout_ms E'\t5000');
-- enumerations, time zones, URLs
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', token_endpoint 'fast');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', timezone 'Mars/Olympus_Mons');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'ftp://api.weixin.qq.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'http://api.weixin.qq.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'http://10.0.0.8:8080');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'not a url');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://api.weixin.qq.com/?x=1');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://api.weixin.qq.com?');
-- a fragment would cut every request's path off; user info would be public
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://api.weixin.qq.com/#x');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://api.weixin.qq.com#');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://user@api.weixin.qq.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://:pw@api.weixin.qq.com');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', proxy 'gopher://proxy:70');
-- credentials are refused anywhere but a user mapping
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', secret 'abc');
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', access_token 'abc');
-- the foreign-data wrapper itself takes no options
ALTER FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1');

-- valid servers, including every option
CREATE SERVER s1 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1234567890abcdef',
  api_base_url 'http://localhost:9/', token_endpoint 'classic', max_concurrency '64',
  connect_timeout_ms '1', timeout_ms '3600000', max_retries '0', max_requests '100000',
  timezone 'UTC', proxy 'http://127.0.0.1:3128');
CREATE SERVER s2 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://api.weixin.qq.com');
CREATE SERVER s3 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'http://[::1]:8080');
-- ALTER is validated the same way, and appid cannot be dropped
ALTER SERVER s1 OPTIONS (SET max_concurrency '100');
ALTER SERVER s1 OPTIONS (DROP appid);
ALTER SERVER s1 OPTIONS (ADD secret 'x');

-- user mappings: exactly one of secret and access_token
CREATE USER MAPPING FOR CURRENT_USER SERVER s1;
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (secret 'a', access_token 'b');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (secret '');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (password 'a');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (appid 'a', secret 'b');
CREATE USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (secret 'a');
ALTER USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (DROP secret);
ALTER USER MAPPING FOR CURRENT_USER SERVER s1 OPTIONS (DROP secret, ADD access_token 'b');

-- foreign tables: endpoint is required and must exist
CREATE FOREIGN TABLE t1 (ref_date date) SERVER s1;
CREATE FOREIGN TABLE t1 (ref_date date) SERVER s1 OPTIONS (endpoint 'daily_visits');
CREATE FOREIGN TABLE t1 (ref_date date) SERVER s1 OPTIONS (endpoint 'daily_visit_trend', secret 'x');
CREATE FOREIGN TABLE t1 (ref_date date) SERVER s1 OPTIONS (endpoint 'daily_visit_trend', days '3');
CREATE FOREIGN TABLE t1 (ref_date date OPTIONS (key 'x')) SERVER s1 OPTIONS (endpoint 'daily_visit_trend');
CREATE FOREIGN TABLE t1 (ref_date date) SERVER s1 OPTIONS (endpoint 'daily_visit_trend');
ALTER FOREIGN TABLE t1 OPTIONS (SET endpoint 'hourly');
-- a column the endpoint does not provide is reported when the table is used
CREATE FOREIGN TABLE t2 (ref_date date, visits bigint) SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT * FROM t2 WHERE ref_date = '2024-01-01';

-- options that decide where requests go are for superusers only
CREATE ROLE wxa_plain_user;
GRANT USAGE ON FOREIGN DATA WRAPPER wxa_fdw TO wxa_plain_user;
SET ROLE wxa_plain_user;
CREATE SERVER s4 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', api_base_url 'https://evil.example');
CREATE SERVER s4 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', proxy 'http://127.0.0.1:3128');
CREATE SERVER s4 FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', max_concurrency '4');
ALTER SERVER s4 OPTIONS (ADD api_base_url 'http://127.0.0.1:1');
RESET ROLE;

DROP SERVER s1, s2, s3, s4 CASCADE;
DROP FOREIGN TABLE t2;
REVOKE USAGE ON FOREIGN DATA WRAPPER wxa_fdw FROM wxa_plain_user;
DROP ROLE wxa_plain_user;
