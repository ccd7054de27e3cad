-- IMPORT FOREIGN SCHEMA wxa: the ten tables with their canonical names, columns
-- and types; LIMIT TO and EXCEPT; other remote schemas and unknown tables are errors.
CREATE TEMP VIEW imported AS
  SELECT n.nspname AS schema, c.relname AS table_name, s.srvname AS server,
         array_to_string(ft.ftoptions, ',') AS options,
         string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) AS columns
  FROM pg_foreign_table ft
       JOIN pg_class c ON c.oid = ft.ftrelid
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_foreign_server s ON s.oid = ft.ftserver
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  GROUP BY 1, 2, 3, 4;

-- everything, as 00_setup imported it into wxa
SELECT table_name, columns FROM imported WHERE schema = 'wxa' ORDER BY 1;
SELECT count(*) AS tables, bool_and(server = 'wechat' AND options = 'endpoint=' || table_name) AS options_ok
FROM imported WHERE schema = 'wxa';

-- LIMIT TO (a name given twice is one table)
CREATE SCHEMA imp_limit;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (user_portrait, daily_visit_trend, user_portrait)
  FROM SERVER wechat INTO imp_limit;
SELECT table_name, options, columns FROM imported WHERE schema = 'imp_limit' ORDER BY 1;
-- the imported tables work
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT attribute, count(*) FROM imp_limit.user_portrait
WHERE end_date = '2024-03-31' AND days = 1 GROUP BY 1 ORDER BY 1;
SELECT ref_date, visit_pv FROM imp_limit.daily_visit_trend WHERE ref_date = '2024-01-15';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- EXCEPT
CREATE SCHEMA imp_except;
IMPORT FOREIGN SCHEMA wxa EXCEPT (daily_visit_trend, user_portrait, visit_page)
  FROM SERVER wechat INTO imp_except;
SELECT table_name, options FROM imported WHERE schema = 'imp_except' ORDER BY 1;
-- same columns as the full import
(SELECT table_name, columns FROM imported WHERE schema = 'imp_except'
 EXCEPT SELECT table_name, columns FROM imported WHERE schema = 'wxa')
UNION ALL
(SELECT table_name, columns FROM imported WHERE schema = 'imp_limit'
 EXCEPT SELECT table_name, columns FROM imported WHERE schema = 'wxa');

-- the server's name is quoted where it needs to be
CREATE SERVER "WeChat Prod" FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid 'wx1234567890abcdef');
CREATE SCHEMA imp_quoted;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (monthly_retain) FROM SERVER "WeChat Prod" INTO imp_quoted;
SELECT table_name, server, options, columns FROM imported WHERE schema = 'imp_quoted';

-- errors: another remote schema, a table that does not exist; nothing is created
CREATE SCHEMA imp_bad;
IMPORT FOREIGN SCHEMA public FROM SERVER wechat INTO imp_bad;
IMPORT FOREIGN SCHEMA "WXA" FROM SERVER "WeChat Prod" INTO imp_bad;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (daily_summary, daily_visits) FROM SERVER wechat INTO imp_bad;
IMPORT FOREIGN SCHEMA wxa EXCEPT (hourly_summary) FROM SERVER wechat INTO imp_bad;
SELECT count(*) AS tables_in_imp_bad FROM imported WHERE schema = 'imp_bad';
-- importing over existing tables is PostgreSQL's own error
IMPORT FOREIGN SCHEMA wxa LIMIT TO (daily_visit_trend) FROM SERVER wechat INTO imp_limit;

SET client_min_messages = warning;
DROP SCHEMA imp_limit, imp_except, imp_quoted, imp_bad CASCADE;
RESET client_min_messages;
DROP SERVER "WeChat Prod";
