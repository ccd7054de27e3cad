-- The extension under PostgreSQL's rules: installed into a schema that is not on the
-- search_path (in a database of its own), every helper and function called schema-
-- qualified; objects of the same names earlier on the caller's search_path are never
-- run by the helpers (the CVE-2018-1058 pattern); wxa_add_app checks everything before
-- it creates anything and echoes no secret; the settings' prefix is reserved.
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
SET client_min_messages = warning;
DROP DATABASE IF EXISTS wxa_fdw_schema;
CREATE DATABASE wxa_fdw_schema;
\c wxa_fdw_schema
SET client_min_messages = warning;
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE SCHEMA ext;
CREATE EXTENSION wxa_fdw SCHEMA ext;
SELECT n.nspname AS schema, e.extversion FROM pg_extension e
JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'wxa_fdw';
SHOW search_path;

-- decoys on the caller's search_path, each failing loudly if it is ever run
CREATE FUNCTION public.wxa_endpoints(OUT endpoint text, OUT columns text)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the decoy public.wxa_endpoints() ran';
END $$;
CREATE FUNCTION public.wxa_fdw_validator(text[], oid) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the decoy public.wxa_fdw_validator() ran';
END $$;
-- a better match than pg_catalog's text || text for a varchar operand, as in CVE-2018-1058
CREATE FUNCTION public.decoy_concat(varchar, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the decoy operator public.|| ran';
END $$;
CREATE OPERATOR public.|| (LEFTARG = varchar, RIGHTARG = text, FUNCTION = public.decoy_concat);
-- the caller's own search_path, decoys first
SET search_path = public, ext;

-- the helpers
CREATE SCHEMA apps;
SELECT count(*) AS parents FROM ext.wxa_create_app_tables('apps');
SELECT p::text AS partition
FROM ext.wxa_add_app('shop', 'wx1234567890abcdef', '0123456789abcdef0123456789abcdef', 'apps',
                     jsonb_build_object('api_base_url', :'emu_url', 'max_concurrency', 4)) AS p
ORDER BY 1 LIMIT 3;
SELECT srvname, regexp_replace(array_to_string(srvoptions, ','), ':[0-9]+', ':PORT') AS options
FROM pg_foreign_server WHERE srvname = 'shop';
RESET search_path;

-- wxa_add_app checks everything before it creates anything: each failure below leaves
-- no server, mapping or table behind, and no message or context holds the secret
CREATE FUNCTION pg_temp.add_app_fails(server text, appid text, target_schema text, options jsonb,
                                      OUT state text, OUT message text, OUT detail text, OUT hint text,
                                      OUT secret_echoed boolean, OUT left_behind bigint)
LANGUAGE plpgsql AS $$
DECLARE
  context text;
  -- in a variable: a literal would be in this function's own context
  secret text := 'TOPSECRET0123456789abcdef0123456';
BEGIN
  BEGIN
    PERFORM ext.wxa_add_app(server, appid, secret, target_schema, options);
    state := '00000';
  EXCEPTION WHEN others THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                            context = PG_EXCEPTION_CONTEXT;
  END;
  secret_echoed := concat_ws(' ', message, detail, hint, context) ~ '(TOPSECRET|LEAKED)';
  SELECT count(*) INTO left_behind FROM pg_foreign_server s WHERE s.srvname = server;
END $$;
CREATE SCHEMA empty;
SELECT 'no schema' AS case_, * FROM pg_temp.add_app_fails('a1', 'wx1234567890abcdef', 'nowhere', '{}')
UNION ALL
SELECT 'no parent tables', * FROM pg_temp.add_app_fails('a2', 'wx1234567890abcdef', 'empty', '{}')
UNION ALL
SELECT 'server name taken', * FROM pg_temp.add_app_fails('shop', 'wx1234567890abcdef', 'apps', '{}')
UNION ALL
SELECT 'bad appid', * FROM pg_temp.add_app_fails('a3', 'wx12345', 'apps', '{}')
UNION ALL
SELECT 'secret in options', * FROM pg_temp.add_app_fails('a4', 'wx1234567890abcdef', 'apps', '{"secret": "LEAKED0123456789abcdef0123456789"}')
UNION ALL
SELECT 'token in options', * FROM pg_temp.add_app_fails('a5', 'wx1234567890abcdef', 'apps', '{"access_token": "LEAKED-token"}')
UNION ALL
SELECT 'unknown option', * FROM pg_temp.add_app_fails('a6', 'wx1234567890abcdef', 'apps', '{"max_concurency": "4"}')
UNION ALL
SELECT 'bad option value', * FROM pg_temp.add_app_fails('a7', 'wx1234567890abcdef', 'apps', '{"max_concurrency": "many"}')
UNION ALL
SELECT 'options not an object', * FROM pg_temp.add_app_fails('a8', 'wx1234567890abcdef', 'apps', '["LEAKED"]')
UNION ALL
SELECT 'nested option value', * FROM pg_temp.add_app_fails('a9', 'wx1234567890abcdef', 'apps', '{"proxy": {"LEAKED": 1}}');
-- a partition name already taken, and a NULL argument
CREATE FOREIGN TABLE apps.daily_visit_trend_taken (ref_date date) SERVER shop OPTIONS (endpoint 'daily_visit_trend');
SELECT * FROM pg_temp.add_app_fails('taken', 'wx1234567890abcdef', 'apps', '{}');
SELECT * FROM pg_temp.add_app_fails(NULL, 'wx1234567890abcdef', 'apps', '{}');
DROP FOREIGN TABLE apps.daily_visit_trend_taken;
SELECT count(*) AS servers, (SELECT count(*) FROM pg_user_mappings) AS mappings,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'apps'::regnamespace) AS relations
FROM pg_foreign_server;

-- the foreign tables and every function, schema-qualified, with the caller's search_path
-- lacking ext (the decoys still on it)
SELECT count(*) AS rows, min(appid) AS appid FROM apps.daily_visit_trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-03';
CREATE SCHEMA imported;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (weekly_visit_trend) FROM SERVER shop INTO imported;
SELECT count(*) FROM imported.weekly_visit_trend WHERE ref_date = '2024-03-04';
SELECT length(ext.wxa_get_wxacode('shop', 'pages/index/index')) > 0 AS wxacode,
       length(ext.wxa_get_wxacode_unlimit('shop', 'scene1')) > 0 AS unlimit,
       length(ext.wxa_create_qrcode('shop', 'pages/index/index')) > 0 AS qrcode;
SELECT count(image) AS images FROM ext.wxa_get_wxacode_batch('shop', ARRAY['pages/a', 'pages/b']);
SELECT count(image) AS images FROM ext.wxa_get_wxacode_unlimit_batch('shop', ARRAY['s1', 's2']);
SELECT count(image) AS images FROM ext.wxa_create_qrcode_batch('shop', ARRAY['pages/a']);
SELECT openid IS NOT NULL AS openid FROM ext.wxa_code2session('shop', 'code_plain_1');
SELECT cgi_path, daily_limit > 0 AS has_limit FROM ext.wxa_api_quota('shop', '/wxa/getwxacodeunlimit');
SELECT count(*) AS endpoints FROM ext.wxa_endpoints();
\set key_hex 00112233445566778899aabbccddeeff
\set iv_hex 0f0e0d0c0b0a09080706050403020100
SELECT encode(decode(:'key_hex', 'hex'), 'base64') AS key, encode(decode(:'iv_hex', 'hex'), 'base64') AS iv \gset
\set plain '{"openId":"o1","stepInfoList":[{"timestamp":1706716800,"step":100}],"watermark":{"appid":"wx1234567890abcdef","timestamp":1706745600}}'
\set data `printf '%s' :'plain' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
SELECT ext.wxa_decrypt(:'data', :'iv', :'key')->>'openId' AS openid,
       ext.wxa_decrypt(:'data', :'iv', :'key', 'wx1234567890abcdef')->>'openId' AS checked;
SELECT step FROM ext.wxa_werun_steps(:'data', :'iv', :'key');
SELECT step FROM ext.wxa_werun_steps(:'data', :'iv', :'key', 'wx1234567890abcdef');
-- the statistics: rows when preloaded, else the error saying so (suite 43_stats tests them)
CREATE FUNCTION pg_temp.stats_ok() RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  preloaded boolean := EXISTS (SELECT FROM pg_settings WHERE name = 'wxa_fdw.stats_max');
BEGIN
  IF preloaded THEN
    RETURN (SELECT count(*) > 0 FROM ext.wxa_fdw_stats WHERE server = 'shop');
  END IF;
  PERFORM FROM ext.wxa_fdw_stats;
  RETURN false;
EXCEPTION WHEN object_not_in_prerequisite_state THEN
  RETURN NOT preloaded;
END $$;
SELECT pg_temp.stats_ok();

-- a materialized view over a foreign table: REFRESH runs it again (under PostgreSQL 17's
-- restricted search_path for maintenance too)
CREATE MATERIALIZED VIEW trend AS
  SELECT ref_date, visit_uv FROM apps.daily_visit_trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-02';
\! python3 test/emulator/emuctl.py reset >/dev/null
REFRESH MATERIALIZED VIEW trend;
SELECT count(*) FROM trend;
\! python3 test/emulator/emuctl.py count /datacube/

-- the settings' prefix is reserved once the library is loaded: a misspelt name is an error
SET wxa_fdw.max_total_concurency = 5;
SET wxa_fdw.max_total_concurrency = 5;
SHOW wxa_fdw.max_total_concurrency;
RESET wxa_fdw.max_total_concurrency;

\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE wxa_fdw_schema;
