-- Descriptions: after IMPORT FOREIGN SCHEMA (00_setup), CREATE FOREIGN TABLE, wxa_create_app_tables
-- and wxa_add_app every table and column of a wxa table has a COMMENT (what \d+ shows), from the
-- endpoint catalog (wxa_descriptions()), set by the extension's event trigger as the user whose DDL
-- made the tables. A comment of the user's is never replaced; a failure to describe warns and
-- never fails the DDL.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
CREATE TEMP VIEW described AS
  SELECT n.nspname AS schema, c.relname AS table_name, a.attnum, a.attname AS column_name,
         CASE WHEN a.attnum = 0 THEN obj_description(c.oid, 'pg_class')
              ELSE col_description(c.oid, a.attnum) END AS description
  FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN (SELECT attrelid, attnum, attname FROM pg_attribute WHERE attnum > 0 AND NOT attisdropped
             UNION ALL SELECT oid, 0, NULL FROM pg_class) a ON a.attrelid = c.oid
  WHERE c.relkind IN ('r', 'p', 'f');

-- \d+ wxa.daily_visit_trend, wxa.daily_retain, wxa.user_portrait: the Description column
SELECT table_name, column_name, description FROM described
WHERE schema = 'wxa' AND table_name IN ('daily_visit_trend', 'daily_retain', 'user_portrait')
ORDER BY table_name, attnum;
-- every table and column of the import described, each exactly with its catalog text
SELECT count(*) AS objects, count(description) AS described,
       count(*) FILTER (WHERE description IS DISTINCT FROM
                        (SELECT d.description FROM :ext.wxa_descriptions() d
                         WHERE d.endpoint = table_name AND d.column_name IS NOT DISTINCT FROM described.column_name::text))
         AS differing
FROM described WHERE schema = 'wxa';
-- the weekly and monthly texts say what is summed and in which unit key counts
SELECT table_name, column_name, description FROM described
WHERE schema = 'wxa' AND column_name IN ('key', 'visit_uv') AND table_name ~ '^(weekly|monthly)'
ORDER BY 1, 2;
-- the catalog: a table row and a row per column (appid included) for each of the ten endpoints
SELECT count(DISTINCT endpoint) AS endpoints, count(*) FILTER (WHERE column_name IS NULL) AS tables,
       count(*) FILTER (WHERE column_name = 'appid') AS appid_columns,
       bool_and(description ~ '^[A-Z][ -~]+\.$') AS english_sentences
FROM :ext.wxa_descriptions();

-- IMPORT with the appid column; LIMIT TO
CREATE SCHEMA desc_imp;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (daily_summary) FROM SERVER wechat INTO desc_imp
  OPTIONS (appid_column 'true');
SELECT column_name, description FROM described WHERE schema = 'desc_imp' ORDER BY attnum;

-- a table declared by hand: its columns (any subset, any order, other types) are described
CREATE FOREIGN TABLE desc_imp.visits (visit_uv numeric, ref_date date, visit_depth text)
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT column_name, description FROM described WHERE schema = 'desc_imp' AND table_name = 'visits'
ORDER BY attnum;
-- a comment of the user's stays; wxa_describe() fills in only what is missing (here: nothing, 0)
COMMENT ON FOREIGN TABLE desc_imp.visits IS 'visits, for the dashboard';
COMMENT ON COLUMN desc_imp.visits.visit_uv IS NULL;
SELECT :ext.wxa_describe('desc_imp.visits') AS made;
COMMENT ON COLUMN desc_imp.visits.visit_uv IS 'our own words';
SELECT :ext.wxa_describe('desc_imp.visits') AS made;
SELECT column_name, description FROM described WHERE schema = 'desc_imp' AND table_name = 'visits'
ORDER BY attnum;

-- not wxa tables: nothing described, nothing changed
CREATE TABLE desc_imp.daily_summary_copy (ref_date date, visit_total bigint);
CREATE SCHEMA desc_other;
CREATE TABLE desc_other.daily_summary (appid text, ref_date date, visit_total bigint, note text)
  PARTITION BY LIST (appid);           -- a column that is not the endpoint's
CREATE TABLE desc_other.daily_visit_trend (appid text, ref_date date) PARTITION BY RANGE (ref_date);
SELECT table_name, count(description) AS described FROM described
WHERE (schema, table_name) IN (('desc_imp', 'daily_summary_copy'), ('desc_other', 'daily_summary'),
                               ('desc_other', 'daily_visit_trend'))
GROUP BY 1 ORDER BY 1;
SELECT :ext.wxa_describe('desc_other.daily_summary') AS made, :ext.wxa_describe('pg_class') AS made_catalog;

-- many mini programs: the parents of wxa_create_app_tables and the partitions of wxa_add_app
CREATE SCHEMA desc_apps;
SELECT count(*) AS parents FROM :ext.wxa_create_app_tables('desc_apps');
SELECT count(*) AS partitions FROM :ext.wxa_add_app('desc_shop', 'wx1234567890abcdef', NULL, 'desc_apps');
SELECT count(DISTINCT table_name) AS tables, count(*) AS objects, count(description) AS described
FROM described WHERE schema = 'desc_apps';
SELECT table_name, column_name, description FROM described
WHERE schema = 'desc_apps' AND table_name IN ('daily_summary', 'daily_summary_desc_shop')
ORDER BY 1, attnum;

-- a role that is not a superuser imports into its own schema: its tables, described by it
CREATE ROLE wxa_describer;
GRANT USAGE ON FOREIGN SERVER wechat TO wxa_describer;
CREATE SCHEMA desc_role AUTHORIZATION wxa_describer;
SET ROLE wxa_describer;
SET search_path = desc_role;            -- the trigger depends on no search_path
IMPORT FOREIGN SCHEMA wxa LIMIT TO (visit_page, weekly_retain) FROM SERVER wechat INTO desc_role;
RESET search_path;
RESET ROLE;
SELECT d.table_name, pg_get_userbyid(c.relowner) AS owner, count(*) AS objects,
       count(d.description) AS described
FROM described d JOIN pg_class c ON c.relname = d.table_name
     AND c.relnamespace = 'desc_role'::regnamespace
WHERE d.schema = 'desc_role' GROUP BY 1, 2 ORDER BY 1;

-- when describing fails (here: another event trigger, firing first, gives the new table away,
-- so its creator may no longer comment on it) the DDL still succeeds, with a WARNING naming the
-- table, and the table is left without descriptions rather than with wrong ones
CREATE ROLE wxa_desc_taker;
GRANT USAGE ON SCHEMA desc_role TO wxa_desc_taker;
CREATE FUNCTION public.give_away() RETURNS event_trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog AS $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'foreign table' LOOP
    EXECUTE format('ALTER FOREIGN TABLE %s OWNER TO wxa_desc_taker', t.objid::regclass);
  END LOOP;
END $$;
CREATE EVENT TRIGGER a_give_away ON ddl_command_end WHEN TAG IN ('IMPORT FOREIGN SCHEMA')
  EXECUTE FUNCTION public.give_away();
SET ROLE wxa_describer;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (daily_summary) FROM SERVER wechat INTO desc_role;
RESET ROLE;
DROP EVENT TRIGGER a_give_away;
SELECT pg_get_userbyid(c.relowner) AS owner, count(d.description) AS described
FROM pg_class c JOIN described d ON d.schema = 'desc_role' AND d.table_name = c.relname
WHERE c.oid = 'desc_role.daily_summary'::regclass GROUP BY 1;
-- its owner describes it afterwards
SET ROLE wxa_desc_taker;
SELECT :ext.wxa_describe('desc_role.daily_summary') AS made;
RESET ROLE;

-- the trigger belongs to the extension
SELECT e.evtname, e.evtevent, e.evttags,
       (SELECT p.proname FROM pg_proc p WHERE p.oid = e.evtfoid AND p.pronamespace = x.extnamespace) AS function,
       d.deptype
FROM pg_event_trigger e
     JOIN pg_depend d ON d.classid = 'pg_event_trigger'::regclass AND d.objid = e.oid
     JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'wxa_fdw'
ORDER BY 1;

SET client_min_messages = warning;
DROP SCHEMA desc_imp, desc_other, desc_apps, desc_role CASCADE;
DROP SERVER desc_shop CASCADE;
DROP FUNCTION public.give_away();
REVOKE USAGE ON FOREIGN SERVER wechat FROM wxa_describer;
DROP ROLE wxa_describer, wxa_desc_taker;
