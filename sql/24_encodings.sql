-- Databases that are not UTF-8: the extension installs, every text argument is
-- sent to WeChat in UTF-8 (limits counted in UTF-8 bytes), and what WeChat sends
-- is converted into the database encoding; a character the database cannot hold
-- is an error naming the column.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\set home :DBNAME
CREATE DATABASE wxa_euc_cn ENCODING 'EUC_CN' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE wxa_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE wxa_sql_ascii ENCODING 'SQL_ASCII' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';

-- EUC_CN
\c wxa_euc_cn
SET client_encoding = 'UTF8';
-- in the extension's schema of this run, as in contrib_regression
SET client_min_messages = warning;  -- (a notice if it is public)
CREATE SCHEMA IF NOT EXISTS :ext;
RESET client_min_messages;
CREATE EXTENSION wxa_fdw SCHEMA :ext;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE portrait (end_date date, days integer, user_type text, attribute text,
                               id integer, name text)
  SERVER wechat OPTIONS (endpoint 'user_portrait');
SELECT name, convert_to(name, 'EUC_CN') AS stored FROM portrait
WHERE end_date = '2024-03-01' AND days = 1 AND user_type = 'visit_uv' AND attribute = 'genders'
ORDER BY id;
-- a page outside ASCII reaches WeChat as UTF-8
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat', 'a=1', 'pages/中文', check_path => false)) > 0 AS image;
-- 43 characters are 86 bytes here but 129 in UTF-8: over WeChat's 128
SELECT octet_length(repeat('中', 43)) AS bytes_here;
SELECT :ext.wxa_get_wxacode('wechat', repeat('中', 43));
SELECT length(:ext.wxa_get_wxacode('wechat', repeat('中', 42) || 'ab')) > 0 AS image;

-- LATIN1
\c wxa_latin1
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS :ext;
RESET client_min_messages;
CREATE EXTENSION wxa_fdw SCHEMA :ext;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE portrait (end_date date, days integer, user_type text, attribute text,
                               id integer, name text)
  SERVER wechat OPTIONS (endpoint 'user_portrait');
CREATE FOREIGN TABLE trend (ref_date date, visit_pv bigint)
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-07';
-- Chinese names have no LATIN1 equivalent: an error naming the column
SELECT name FROM portrait
WHERE end_date = '2024-03-01' AND days = 1 AND user_type = 'visit_uv' AND attribute = 'genders';
-- 'pages/café' is sent as UTF-8 (in LATIN1 bytes WeChat answers 47001)
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat', 'a=1', 'pages/café', check_path => false)) > 0 AS image;
-- 64 times 'é' is 64 bytes here, 128 in UTF-8; 65 are too many
SELECT length(:ext.wxa_get_wxacode('wechat', repeat('é', 64))) > 0 AS image;
SELECT :ext.wxa_get_wxacode('wechat', repeat('é', 65));

-- SQL_ASCII: no conversion; WeChat's UTF-8 is stored as it came
\c wxa_sql_ascii
SET client_encoding = 'UTF8';
SET client_min_messages = warning;
CREATE SCHEMA IF NOT EXISTS :ext;
RESET client_min_messages;
CREATE EXTENSION wxa_fdw SCHEMA :ext;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE portrait (end_date date, days integer, user_type text, attribute text,
                               id integer, name text)
  SERVER wechat OPTIONS (endpoint 'user_portrait');
SELECT name, octet_length(name) AS bytes FROM portrait
WHERE end_date = '2024-03-01' AND days = 1 AND user_type = 'visit_uv' AND attribute = 'genders'
ORDER BY id;
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat', 'a=1', 'pages/café', check_path => false)) > 0 AS image;

\c :home
DROP DATABASE wxa_euc_cn;
DROP DATABASE wxa_latin1;
DROP DATABASE wxa_sql_ascii;
