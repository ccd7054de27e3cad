-- HTTPS end to end, against the emulator's TLS port ($WXA_EMULATOR_TLS_PORT) with
-- certificates of a throwaway CA (test/make-test-ca; its certificate is $WXA_EMULATOR_CA):
-- sslrootcert is validated and for superusers only; the CA it names is trusted and no
-- other; an untrusted certificate and a certificate for another host name each fail at
-- once (one attempt), naming the problem; connections and TLS sessions are reused.
-- (The suites test/run-tests runs a second time over https: README, "Testing".)
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set tls_url 'https://localhost:' `echo "$WXA_EMULATOR_TLS_PORT"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`
\set tls_dir `dirname "$WXA_EMULATOR_CA"`
\set app_secret '0123456789abcdef0123456789abcdef'
\! python3 test/emulator/emuctl.py reset >/dev/null

-- the value: an absolute path of a readable file of PEM certificates, checked at once
CREATE SERVER t FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', sslrootcert 'ca.pem');
CREATE SERVER t FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', sslrootcert '/nonexistent/ca.pem');
CREATE SERVER t FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', sslrootcert '/');
CREATE FUNCTION pg_temp.error_of(command text, dir text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE command;
  RETURN 'no error';
EXCEPTION WHEN others THEN
  RETURN replace(SQLERRM, dir, '$DIR');
END $$;
SELECT pg_temp.error_of(format('CREATE SERVER t FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid %L, sslrootcert %L)',
                               'wx1', :'tls_dir' || '/public-key.pem'), :'tls_dir') AS a_public_key;

-- for superusers only: it decides whom the database server trusts and reads a file
CREATE ROLE regress_wxa_tls_user;
GRANT USAGE ON FOREIGN DATA WRAPPER wxa_fdw TO regress_wxa_tls_user;
SET ROLE regress_wxa_tls_user;
CREATE SERVER t FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1', sslrootcert '/etc/passwd');
CREATE SERVER t FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1');
ALTER SERVER t OPTIONS (ADD sslrootcert '/etc/passwd');
RESET ROLE;
ALTER SERVER t OPTIONS (ADD sslrootcert :'emu_ca');
SELECT srvname, array_length(srvoptions, 1) AS options FROM pg_foreign_server WHERE srvname = 't';
DROP SERVER t;
REVOKE USAGE ON FOREIGN DATA WRAPPER wxa_fdw FROM regress_wxa_tls_user;
DROP ROLE regress_wxa_tls_user;

-- with the test CA: rows over https, the same as over http
CREATE SERVER tls FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'tls_url', sslrootcert :'emu_ca');
CREATE USER MAPPING FOR CURRENT_USER SERVER tls OPTIONS (secret :'app_secret');
CREATE FOREIGN TABLE tls_trend (ref_date date, visit_pv bigint, visit_uv bigint)
  SERVER tls OPTIONS (endpoint 'daily_visit_trend');
SELECT * FROM tls_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-03' ORDER BY 1;
SELECT length(:ext.wxa_get_wxacode('tls', 'pages/index/index')) > 0 AS image_over_https;
-- without sslrootcert only the system's CAs count, and they do not know the test CA:
-- one attempt (max_retries is 3), nothing reaches WeChat
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE SERVER tls_system FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'tls_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER tls_system OPTIONS (secret :'app_secret');
CREATE FOREIGN TABLE tls_system_trend (ref_date date, visit_pv bigint)
  SERVER tls_system OPTIONS (endpoint 'daily_visit_trend');
-- (the emulator's TLS port differs from run to run: masked)
SELECT state, regexp_replace(message, 'port \d+', 'port PORT') AS message, detail, hint
FROM wxa_test.caught($$SELECT * FROM tls_system_trend WHERE ref_date = '2024-01-01'$$) \gx
\set n `python3 test/emulator/emuctl.py count`
SELECT :n AS api_requests;

-- the emulator presents a certificate the CA issued for another host name (a new
-- session: the connections kept alive by this one were verified before the change)
\! python3 test/emulator/emuctl.py config tls_certificate=otherhost >/dev/null
\c
SELECT state, regexp_replace(message, 'port \d+', 'port PORT') AS message, detail, hint
FROM wxa_test.caught($$SELECT * FROM tls_trend WHERE ref_date = '2024-01-01'$$) \gx
-- a self-signed certificate
\! python3 test/emulator/emuctl.py config tls_certificate=untrusted >/dev/null
\c
SELECT state, regexp_replace(message, 'port \d+', 'port PORT') AS message, detail, hint
FROM wxa_test.caught($$SELECT * FROM tls_trend WHERE ref_date = '2024-01-01'$$) \gx
SELECT state, regexp_replace(message, 'port \d+', 'port PORT') AS message, detail, hint
FROM wxa_test.caught(format($$SELECT %s.wxa_get_wxacode('tls', 'pages/index/index')$$, :'ext')) \gx
\set n `python3 test/emulator/emuctl.py count`
SELECT :n AS api_requests;

-- reuse: a new session scans 365 days twice at max_concurrency 8; the emulator counts the
-- TLS handshakes (the token fetch's included): no more than 8, and new connections after
-- the first resume its TLS session instead of a full handshake
\! python3 test/emulator/emuctl.py reset >/dev/null
\c
SELECT count(*) FROM tls_trend WHERE ref_date BETWEEN '2022-01-01' AND '2022-12-31';
SELECT count(*) FROM tls_trend WHERE ref_date BETWEEN '2023-01-01' AND '2023-12-31';
\set tls `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; s=json.load(sys.stdin); t=s["tls"]; print(t["handshakes"], t["resumed"], t["failed"], s["requests"].get("/cgi-bin/stable_token", 0))'`
SELECT handshakes BETWEEN 1 AND 8 AS at_most_max_concurrency, resumed >= 1 AS sessions_resumed,
       failed, token_requests
FROM (SELECT split_part(:'tls', ' ', 1)::int AS handshakes, split_part(:'tls', ' ', 2)::int AS resumed,
             split_part(:'tls', ' ', 3)::int AS failed, split_part(:'tls', ' ', 4)::int AS token_requests) s;

DROP SERVER tls, tls_system CASCADE;
