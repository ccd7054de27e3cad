-- Shared set-up for the suites that follow: the server "wechat" pointing at the
-- emulator (port from $WXA_EMULATOR_PORT), a user mapping with the emulator's
-- app secret, and the ten tables imported into schema wxa.
-- http:// by default; test/run-tests runs this suite again over https (README: "Testing")
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SCHEMA wxa;
IMPORT FOREIGN SCHEMA wxa FROM SERVER wechat INTO wxa;
SELECT c.relname, array_to_string(ft.ftoptions, ',') AS options
FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
ORDER BY 1;

-- caught(query): runs query and gives the first column of its first row as
-- text (state 00000), or what it raised; the suites' one error catcher
CREATE SCHEMA wxa_test;
CREATE FUNCTION wxa_test.caught(query text, OUT state text, OUT message text, OUT detail text,
                                OUT hint text, OUT context text, OUT result text)
LANGUAGE plpgsql AS $$
BEGIN
  state := '00000';
  EXECUTE query INTO result;
EXCEPTION WHEN query_canceled OR others THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                          detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                          context = PG_EXCEPTION_CONTEXT;
END $$;
