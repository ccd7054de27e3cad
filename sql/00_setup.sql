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
