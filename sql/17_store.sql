-- The period store (interface.md, "Round three"): its options, who may read
-- its table (nobody but the extension's owner and superusers), wxa_store_forget
-- and wxa_store_summary, and wxa_store_fill's argument checks. What a scan
-- reads from and writes to it: 17_store_scan; pg_dump and default privileges
-- on fresh databases: test/store-outside; concurrency: test/store-isolation.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset

-- options: store on servers and tables (on/off), store_after_days on servers (2..3650)
CREATE SERVER st_opts FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wxst', store 'on', store_after_days '2');
ALTER SERVER st_opts OPTIONS (SET store 'off', SET store_after_days '3650');
ALTER SERVER st_opts OPTIONS (SET store 'true');
ALTER SERVER st_opts OPTIONS (SET store_after_days '1');
ALTER SERVER st_opts OPTIONS (SET store_after_days '3651');
ALTER SERVER st_opts OPTIONS (SET store_after_days 'seven');
CREATE FOREIGN TABLE st_table (ref_date date) SERVER st_opts OPTIONS (endpoint 'daily_summary', store 'on');
ALTER FOREIGN TABLE st_table OPTIONS (SET store 'yes');
ALTER FOREIGN TABLE st_table OPTIONS (ADD store_after_days '9');
CREATE USER MAPPING FOR CURRENT_USER SERVER st_opts OPTIONS (secret 'x', store 'on');
DROP SERVER st_opts CASCADE;

-- the tables: owned by the extension, readable by no other role
SELECT c.relname, pg_get_userbyid(c.relowner) = e.extowner::regrole::text AS owned_by_extension_owner,
       c.relacl
FROM pg_class c, pg_extension e
WHERE e.extname = 'wxa_fdw' AND c.relname IN ('wxa_store_periods', 'wxa_store_verifiers')
  AND c.relnamespace = e.extnamespace
ORDER BY 1;
-- not configuration tables: pg_dump neither dumps nor reads their rows
SELECT extconfig IS NULL AS no_config_tables FROM pg_extension WHERE extname = 'wxa_fdw';
CREATE ROLE wxa_store_user;
GRANT USAGE ON FOREIGN SERVER wechat TO wxa_store_user;
SELECT has_table_privilege('wxa_store_user', :'ext' || '.wxa_store_periods', 'SELECT') AS can_select,
       has_table_privilege('wxa_store_user', :'ext' || '.wxa_store_verifiers', 'SELECT') AS can_select_verifiers,
       has_function_privilege('wxa_store_user', :'ext' || '.wxa_store_forget(text,text,date,date)', 'EXECUTE') AS can_forget,
       has_function_privilege('wxa_store_user', :'ext' || '.wxa_store_summary()', 'EXECUTE') AS can_summarize;
SET ROLE wxa_store_user;
SELECT count(*) FROM :ext.wxa_store_periods;
SELECT count(*) FROM :ext.wxa_store_verifiers;
INSERT INTO :ext.wxa_store_periods VALUES ('wx1234567890abcdef', 'x', 'daily_summary', '2024-01-01', 1, '\x7b7d');
SELECT :ext.wxa_store_forget('wx1234567890abcdef');
RESET ROLE;

-- wxa_store_forget and wxa_store_summary over rows put there by hand (the
-- superuser may; the wrapper writes them in 17_store_scan)
INSERT INTO :ext.wxa_store_periods (appid, api_base_url, endpoint, first_day, days, answer)
SELECT a, u, e, d::date, n, convert_to('{"list":[]}', 'UTF8')
FROM (VALUES ('wx1234567890abcdef', 'http://127.0.0.1:1'), ('wx1234567890abcdef', 'https://api.weixin.qq.com'),
             ('wxother', 'https://api.weixin.qq.com')) AS apps(a, u),
     (VALUES ('daily_summary', 1), ('weekly_retain', 7)) AS eps(e, n),
     generate_series('2024-01-01'::date, '2024-01-28', '7 days') AS d;
INSERT INTO :ext.wxa_store_verifiers VALUES ('wxother', 'https://api.weixin.qq.com', '\x00');
SELECT * FROM :ext.wxa_store_summary();
-- another role sees only the appids of the servers it has USAGE on
SET ROLE wxa_store_user;
SELECT appid, api_base_url, endpoint, periods, first_date, last_date FROM :ext.wxa_store_summary();
RESET ROLE;
REVOKE USAGE ON FOREIGN SERVER wechat FROM wxa_store_user;
SET ROLE wxa_store_user;
SELECT count(*) FROM :ext.wxa_store_summary();
RESET ROLE;
-- forget: bad arguments are errors that say what is valid
SELECT :ext.wxa_store_forget(NULL);
SELECT :ext.wxa_store_forget('wxother', 'daily_sumary');
SELECT :ext.wxa_store_forget('wxother', NULL, '2024-02-01', '2024-01-01');
-- a period goes when any of its days is in the range (14..15: the weeks of 2024-01-08 and 2024-01-15)
SELECT :ext.wxa_store_forget('wxother', 'weekly_retain', '2024-01-14', '2024-01-15');
SELECT :ext.wxa_store_forget('wxother', 'daily_summary', '2024-01-15');
SELECT :ext.wxa_store_forget('wxother', NULL, NULL, '2024-01-01');
SELECT endpoint, first_day, days FROM :ext.wxa_store_periods WHERE appid = 'wxother' ORDER BY 1, 2;
SELECT count(*) AS verifiers_kept FROM :ext.wxa_store_verifiers WHERE appid = 'wxother';
-- every period of an appid, at every api_base_url, and its verifiers
SELECT :ext.wxa_store_forget('wxother');
SELECT count(*) AS verifiers_left FROM :ext.wxa_store_verifiers WHERE appid = 'wxother';
SELECT :ext.wxa_store_forget('wx1234567890abcdef');
SELECT :ext.wxa_store_forget('wx1234567890abcdef');
SELECT count(*) FROM :ext.wxa_store_summary();

-- wxa_store_fill: checked arguments (it fetches through a scan: 17_store_scan)
-- (the extension's schema on the search_path here: PostgreSQL prints a function outside it with its schema)
SET search_path = "$user", public, :ext;
CALL :ext.wxa_store_fill('no_such_server', 'daily_summary', '2024-01-01', '2024-01-02');
CALL :ext.wxa_store_fill('wechat', 'daily_sumary', '2024-01-01', '2024-01-02');
CALL :ext.wxa_store_fill('wechat', 'daily_summary', '2024-01-02', '2024-01-01');
CALL :ext.wxa_store_fill('wechat', NULL, '2024-01-01', '2024-01-02');
-- a transaction per chunk: not inside a transaction block
BEGIN;
CALL :ext.wxa_store_fill('wechat', 'daily_summary', '2024-01-01', '2024-01-02');
ROLLBACK;
RESET search_path;

DROP OWNED BY wxa_store_user;
DROP ROLE wxa_store_user;
