-- The fault matrix: every class of failure in README "Errors", provoked for
-- real, with its SQLSTATE, its message, the attempts made and the hint that
-- says what to do -- and after each, a normal scan in the same backend.
-- Messages never hold a port or a timing; the table is printed at the end.
-- (The unresolvable host needs a resolver that answers NXDOMAIN for .invalid
-- at once, as RFC 6761 asks; without any resolver it becomes a timeout.)
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set emu_port `echo "$WXA_EMULATOR_PORT"`
\set tls_url 'https://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set app_secret '0123456789abcdef0123456789abcdef'
CREATE FUNCTION pg_temp.make_server(name text, url text, appid text, extra text DEFAULT '')
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid %L, api_base_url %L, '
                 'max_retries ''1'', timeout_ms ''1000'' %s)', name, appid, url, extra);
  EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (secret %L)',
                 name, '0123456789abcdef0123456789abcdef');
  EXECUTE format('CREATE FOREIGN TABLE %I (ref_date date, visit_pv bigint) SERVER %I '
                 'OPTIONS (endpoint ''daily_visit_trend'')', name || '_trend', name);
END $$;
SELECT pg_temp.make_server('m_emu', :'emu_url', 'wx1234567890abcdef');
SELECT pg_temp.make_server('m_token', :'emu_url', 'wx1234567890abcdef');
SELECT pg_temp.make_server('m_appid', :'emu_url', 'wx0000000000000000');
SELECT pg_temp.make_server('m_refused', 'http://127.0.0.1:9', 'wx1234567890abcdef');
SELECT pg_temp.make_server('m_dns', 'https://wechat-api.invalid', 'wx1234567890abcdef');
SELECT pg_temp.make_server('m_tls', :'tls_url', 'wx1234567890abcdef');
SELECT pg_temp.make_server('m_limit', :'emu_url', 'wx1234567890abcdef', ', max_requests ''5''');
ALTER USER MAPPING FOR CURRENT_USER SERVER m_appid OPTIONS (SET secret 'fedcba9876543210fedcba9876543210');
CREATE SERVER m_secret FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_secret OPTIONS (secret 'not-the-app-secret');
CREATE FOREIGN TABLE m_secret_trend (ref_date date) SERVER m_secret OPTIONS (endpoint 'daily_visit_trend');
\! python3 test/emulator/emuctl.py reset >/dev/null
\set token `python3 test/emulator/emuctl.py expect-token wx1234567890abcdef`
CREATE SERVER m_static FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_static OPTIONS (access_token :'token');
CREATE FOREIGN TABLE m_static_trend (ref_date date) SERVER m_static OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM m_emu_trend WHERE ref_date = '2024-01-02';   -- m_emu has its token

-- runs a failing query, records what it raised, then checks the backend with
-- a normal scan
CREATE TEMP TABLE matrix (n serial, failure text, sqlstate text, message text, detail text, hint text, then_ok boolean);
CREATE FUNCTION pg_temp.fail(failure text, query text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO matrix (failure, sqlstate, message, detail, hint, then_ok)
  SELECT failure, c.state, c.message, c.detail, c.hint,
         (SELECT count(*) = 1 FROM m_emu_trend WHERE ref_date = '2024-01-02')
  FROM wxa_test.caught(query) c
$$;

\o /dev/null
-- could not connect
SELECT pg_temp.fail('connection refused', $$SELECT * FROM m_refused_trend WHERE ref_date = '2024-01-03'$$);
SELECT pg_temp.fail('unresolvable host', $$SELECT * FROM m_dns_trend WHERE ref_date = '2024-01-03'$$);
SELECT pg_temp.fail('TLS to a plain HTTP port', $$SELECT * FROM m_tls_trend WHERE ref_date = '2024-01-03'$$);
-- the token endpoint
\! python3 test/emulator/emuctl.py fault stable_token http status=503 times=-1 >/dev/null
SELECT pg_temp.fail('token endpoint down (HTTP 503)', $$SELECT * FROM m_token_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault stable_token errcode errcode=40164 >/dev/null
SELECT pg_temp.fail('IP not whitelisted (40164)', $$SELECT * FROM m_token_trend WHERE ref_date = '2024-01-03'$$);
SELECT pg_temp.fail('wrong secret (40125)', $$SELECT * FROM m_secret_trend WHERE ref_date = '2024-01-03'$$);
SELECT pg_temp.fail('wrong appid (40013)', $$SELECT * FROM m_appid_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py revoke >/dev/null
SELECT pg_temp.fail('static token revoked (40001)', $$SELECT * FROM m_static_trend WHERE ref_date = '2024-01-03'$$);
-- a datacube request, with its token (one day matched, the check scan's day is not)
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=61004 match=20240103 >/dev/null
SELECT pg_temp.fail('client IP not registered (61004)', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=48001 match=20240103 >/dev/null
SELECT pg_temp.fail('API not authorized (48001)', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=45009 times=2 match=20240103 >/dev/null
SELECT pg_temp.fail('frequency limit (45009), persistent', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=61501 match=20240103 >/dev/null
SELECT pg_temp.fail('dates rejected (61501)', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube errcode errcode=-1 times=2 match=20240103 >/dev/null
SELECT pg_temp.fail('system busy (-1), persistent', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube http status=502 times=2 match=20240103 >/dev/null
SELECT pg_temp.fail('gateway error (HTTP 502), persistent', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube http status=404 match=20240103 >/dev/null
SELECT pg_temp.fail('not found (HTTP 404)', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube redirect match=20240103 >/dev/null
SELECT pg_temp.fail('redirect (HTTP 302)', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube stall seconds=3 times=2 match=20240103 >/dev/null
SELECT pg_temp.fail('no answer within timeout_ms', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube close times=4 match=20240103 >/dev/null
SELECT pg_temp.fail('connection closed without an answer', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube html times=2 match=20240103 >/dev/null
SELECT pg_temp.fail('an HTML page, persistent', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
\! python3 test/emulator/emuctl.py fault datacube huge match=20240103 >/dev/null
SELECT pg_temp.fail('a 64 MiB answer', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
-- refused before sending anything
SELECT pg_temp.fail('more requests than max_requests', $$SELECT * FROM m_limit_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-31'$$);
SELECT pg_temp.fail('no date restriction', $$SELECT * FROM m_emu_trend$$);
-- PostgreSQL's own cancel
\! python3 test/emulator/emuctl.py fault datacube stall seconds=3 match=20240103 >/dev/null
SET statement_timeout = '300ms';
SELECT pg_temp.fail('statement_timeout', $$SELECT * FROM m_emu_trend WHERE ref_date = '2024-01-03'$$);
RESET statement_timeout;
\o

\x on
-- (the emulator's port differs from run to run: masked; the other servers' hosts and ports are fixed)
SELECT n, failure, sqlstate,
       regexp_replace(message, 'port ' || :'emu_port' || '\M', 'port EMU_PORT') AS message,
       detail, hint, then_ok
FROM matrix ORDER BY n;
\x off
-- every class of the README's table appears
SELECT string_agg(DISTINCT sqlstate, ' ' ORDER BY sqlstate) AS sqlstates FROM matrix;

DROP SERVER m_emu, m_token, m_appid, m_refused, m_dns, m_tls, m_limit, m_secret, m_static CASCADE;
