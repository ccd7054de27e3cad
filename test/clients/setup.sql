-- The objects the clients use, as a user sets them up (README: "Using it"): the server "wechat"
-- on the emulator, a user mapping with the emulator's AppSecret, the tables in schema wxa.
-- psql -v emu_url=... -v emu_ca=... -f test/clients/setup.sql
\set ON_ERROR_STOP on
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS wxa_fdw;
DROP SERVER IF EXISTS wechat CASCADE;
DROP SCHEMA IF EXISTS wxa CASCADE;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', sslrootcert :'emu_ca');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SCHEMA wxa;
IMPORT FOREIGN SCHEMA wxa FROM SERVER wechat INTO wxa;
