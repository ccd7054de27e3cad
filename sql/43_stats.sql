-- Cumulative statistics: the view wxa_fdw_stats and wxa_fdw_stats_reset(). With
-- shared_preload_libraries = 'wxa_fdw' (test/run-tests runs the suites so a second time)
-- every request is counted, across backends exactly as the emulator received them;
-- without it reading the view is an error saying what to do (expected/43_stats_1.out).
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
SET wxa_test.emu_url = :'emu_url';
SELECT count(*) = 1 AS preloaded FROM pg_settings WHERE name = 'wxa_fdw.stats_max' \gset
\if :preloaded
\else
-- not preloaded: both are refused with the way out, and nothing else changes
SELECT * FROM :ext.wxa_fdw_stats;
SELECT :ext.wxa_fdw_stats_reset();
\quit
\endif
-- test/run-tests starts this configuration with wxa_fdw.stats_max = 100, the least allowed
SELECT setting::int BETWEEN 100 AND 1000000 AS stats_max_valid, context FROM pg_settings WHERE name = 'wxa_fdw.stats_max';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT :ext.wxa_fdw_stats_reset();
SELECT now() AS started \gset
SELECT count(*) AS entries FROM :ext.wxa_fdw_stats;

-- two servers of their own, so that no other suite's traffic counts here
CREATE SERVER stats_a FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', max_retries '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER stats_a
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SERVER stats_b FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER stats_b
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE VIEW stats AS
  SELECT server, appid, cgi_path, requests, retries, failures, bytes_received > 0 AS bytes,
         store_hits, last_errcode, last_error_at IS NOT NULL AS failed_at,
         stats_reset >= :'started'::timestamptz - interval '1 second' AS since_reset
  FROM :ext.wxa_fdw_stats WHERE server::text LIKE 'stats\_%' ORDER BY 1, 3;

-- one call of each kind: a code, a login, the quota of two APIs, a batch of three codes
SELECT length(:ext.wxa_get_wxacode_unlimit('stats_a', 's1')) > 0 AS image;
SELECT openid IS NOT NULL AS openid FROM :ext.wxa_code2session('stats_a', 'code_plain_31');
SELECT count(*) AS paths FROM :ext.wxa_api_quota('stats_a', '/wxa/getwxacodeunlimit');
SELECT count(image) AS images FROM :ext.wxa_create_qrcode_batch('stats_b', ARRAY['pages/a', 'pages/b', 'pages/c']);
SELECT * FROM stats;

-- failures: WeChat's errcode (not retried), a gateway error retried then answered, an
-- element of a batch failing on its own, a transport failure after the retries
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit http status=502 times=1 >/dev/null
SELECT length(:ext.wxa_get_wxacode_unlimit('stats_a', 's2')) > 0 AS image;
\set VERBOSITY terse
SELECT * FROM :ext.wxa_code2session('stats_a', 'not_a_code');
\! python3 test/emulator/emuctl.py fault createwxaqrcode errcode errcode=45029 times=1 >/dev/null
-- one of the two (whichever reaches the emulator first) gets the errcode
SELECT count(*) FILTER (WHERE errcode = 45029) AS refused, count(image) AS images
FROM :ext.wxa_create_qrcode_batch('stats_b', ARRAY['pages/d', 'pages/e']);
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit http status=500 times=-1 >/dev/null
SELECT length(:ext.wxa_get_wxacode_unlimit('stats_a', 's3')) > 0 AS image;
\set VERBOSITY default
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM stats;

-- across backends: four at once, 25 codes each; the counts are the emulator's exactly
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT requests AS before FROM :ext.wxa_fdw_stats WHERE server = 'stats_a' AND cgi_path = '/wxa/getwxacodeunlimit' \gset
\set ran `for i in 1 2 3 4; do psql -X -q -At -d contrib_regression -c "SELECT count(:ext.wxa_get_wxacode_unlimit('stats_a', 'p$i' || n)) FROM generate_series(1, 25) n" >/dev/null & done; wait; echo 4`
\set sent `python3 test/emulator/emuctl.py count /wxa/getwxacodeunlimit`
SELECT :sent AS received_by_wechat,
       requests - :before AS counted
FROM :ext.wxa_fdw_stats WHERE server = 'stats_a' AND cgi_path = '/wxa/getwxacodeunlimit';

-- a role sees the rows of the servers it has USAGE on, and may not reset
SET client_min_messages = warning;
DROP ROLE IF EXISTS wxa_stats_reader;
RESET client_min_messages;
CREATE ROLE wxa_stats_reader;
GRANT USAGE ON FOREIGN SERVER stats_b TO wxa_stats_reader;
GRANT SELECT ON stats TO wxa_stats_reader;
SET ROLE wxa_stats_reader;
SELECT DISTINCT server FROM :ext.wxa_fdw_stats ORDER BY 1;
SELECT DISTINCT server FROM :ext.wxa_fdw_stats_entries() ORDER BY 1;
SELECT :ext.wxa_fdw_stats_reset();
RESET ROLE;
SELECT has_function_privilege('public', :'ext' || '.wxa_fdw_stats_reset()', 'EXECUTE') AS public_may_reset,
       has_table_privilege('public', :'ext' || '.wxa_fdw_stats', 'SELECT') AS public_may_read;
DROP OWNED BY wxa_stats_reader;
DROP ROLE wxa_stats_reader;

-- a dropped server's rows are gone from the view; a reset empties it
DROP SERVER stats_b CASCADE;
SELECT DISTINCT server FROM stats;
SELECT :ext.wxa_fdw_stats_reset();
SELECT count(*) AS entries FROM :ext.wxa_fdw_stats;
SELECT length(:ext.wxa_get_wxacode_unlimit('stats_a', 's4')) > 0 AS image;
SELECT server, cgi_path, requests, stats_reset > :'started'::timestamptz AS reset_later FROM :ext.wxa_fdw_stats ORDER BY 2;

-- bounded: with more (server, API path) pairs than wxa_fdw.stats_max, the least recently
-- counted are dropped, and rows made after that count from their own start
SELECT current_setting('wxa_fdw.stats_max')::int AS max \gset
SELECT :ext.wxa_fdw_stats_reset();
SELECT now() AS before_filling \gset
CREATE TEMP TABLE many AS
  SELECT i, 'stats_many' || i AS name FROM generate_series(1, :max / 2 + 10) i;
DO $$
DECLARE
  s record;
BEGIN
  FOR s IN SELECT * FROM many ORDER BY i LOOP
    EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid %L, api_base_url %L)',
                   s.name, 'wx1234567890abcdef', current_setting('wxa_test.emu_url'));
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (secret %L)',
                   s.name, '0123456789abcdef0123456789abcdef');
  END LOOP;
END $$;
-- each server: its token fetch and one code, two rows, one server after the other
CREATE FUNCTION pg_temp.one_code(server text) RETURNS boolean LANGUAGE sql
RETURN length(:ext.wxa_get_wxacode_unlimit(server, 'm')) > 0;
DO $$
DECLARE
  s record;
BEGIN
  FOR s IN SELECT * FROM many ORDER BY i LOOP
    PERFORM pg_temp.one_code(s.name);
  END LOOP;
END $$;
SELECT count(*) = :max AS full_,
       count(DISTINCT server) = :max / 2 AS servers_kept,
       min(substr(server::text, 11)::int) = 11 AS first_ten_dropped,
       count(*) FILTER (WHERE stats_reset > :'before_filling') = 20 AS rows_made_after_evictions
FROM :ext.wxa_fdw_stats WHERE server::text LIKE 'stats\_many%';
SET client_min_messages = warning;
DO $$
DECLARE
  s record;
BEGIN
  FOR s IN SELECT * FROM many LOOP
    EXECUTE format('DROP SERVER %I CASCADE', s.name);
  END LOOP;
END $$;
RESET client_min_messages;

-- the setting is fixed at server start
SET wxa_fdw.stats_max = 200;
DROP VIEW stats;
DROP SERVER stats_a CASCADE;
