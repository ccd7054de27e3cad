-- Versions of the extension: 1.0 updated step by step (1.0 -> 1.1 -> 1.2) and 1.1
-- updated to 1.2 must equal a fresh CREATE EXTENSION of the default version (this
-- database's): the same member objects; functions with the same arguments, defaults,
-- result, attributes, body (by digest), settings (proconfig) and privileges; views with
-- the same definition and privileges; the same configuration tables. An object added
-- to one script but not to the other, or changed differently, shows as a row below.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
SELECT extversion, extrelocatable FROM pg_extension WHERE extname = 'wxa_fdw';
SELECT source, target, path FROM pg_extension_update_paths('wxa_fdw') ORDER BY 1, 2;

-- one line per member object (the same query in every database, names as seen from the
-- extension's schema: the same lines whichever schema the extension is in)
SELECT $q$
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
         || coalesce(' (' || pg_get_function_arguments(p.oid) || ') returns '
                     || pg_get_function_result(p.oid)
                     || format(' volatile=%s strict=%s parallel=%s setof=%s rows=%s cost=%s secdef=%s symbol=%s config=%s acl=%s',
                               p.provolatile, p.proisstrict, p.proparallel, p.proretset,
                               p.prorows, p.procost, p.prosecdef,
                               -- a body (plpgsql) by its digest: one line per member
                               CASE WHEN p.prosrc LIKE E'%\n%' THEN 'md5:' || md5(p.prosrc) ELSE p.prosrc END,
                               coalesce(array_to_string(p.proconfig, ';'), '-'),
                               coalesce(p.proacl::text, 'default')), '')
         || CASE WHEN c.oid IS NOT NULL
                 THEN format(' kind=%s acl=%s definition=md5:%s', c.relkind,
                             coalesce(c.relacl::text, 'default'), md5(coalesce(pg_get_viewdef(c.oid), '')))
                 ELSE '' END
         || CASE WHEN w.oid IS NOT NULL
                 THEN format(' handler=%s validator=%s', w.fdwhandler::regproc, w.fdwvalidator::regproc)
                 ELSE '' END
         || coalesce(' initprivs=' || i.initprivs::text, '')
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'wxa_fdw'
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  LEFT JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
  LEFT JOIN pg_foreign_data_wrapper w ON d.classid = 'pg_foreign_data_wrapper'::regclass AND w.oid = d.objid
  LEFT JOIN pg_init_privs i ON i.classoid = d.classid AND i.objoid = d.objid AND i.objsubid = 0
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
  UNION ALL
  -- the configuration tables (pg_dump dumps their rows) and their conditions
  SELECT format('extension configuration: tables %s conditions %s',
                coalesce((SELECT string_agg(t::regclass::text, ',' ORDER BY t::regclass::text)
                          FROM unnest(e.extconfig) t), '-'),
                coalesce(array_to_string(e.extcondition, ';'), '-'))
  FROM pg_extension e WHERE e.extname = 'wxa_fdw'
$q$ AS members_sql \gset
CREATE FUNCTION pg_temp.wxa_fdw_members() RETURNS SETOF text LANGUAGE sql
  SET search_path = :ext, pg_catalog AS :'members_sql';
SELECT string_agg(m, E'\n' ORDER BY m) AS fresh FROM pg_temp.wxa_fdw_members() m \gset
-- the comparisons below mean something only if the members were found
SELECT count(*) >= 11 AS members_found,
       bool_or(m LIKE 'foreign-data wrapper wxa_fdw handler=wxa_fdw_handler validator=wxa_fdw_validator%') AS wrapper_found,
       bool_or(m LIKE 'function wxa_get_wxacode(text,text,integer,boolean,text,boolean,text) (server text, path text, width integer DEFAULT 430,%') AS defaults_found,
       bool_or(m LIKE 'function wxa_add_app(%config=search_path=pg_catalog, pg_temp acl=default%') AS pinned_found,
       bool_or(m LIKE 'function wxa_fdw_stats_reset() %acl={%' AND m NOT LIKE '%acl={=X%' AND m NOT LIKE '%,=X%') AS revoked_found,
       bool_or(m LIKE 'view wxa_fdw_stats kind=v acl={%=r/%') AS view_found,
       bool_or(m LIKE 'extension configuration: %') AS configuration_found
FROM pg_temp.wxa_fdw_members() m;
-- the helpers name the extension's own objects with its schema (@extschema@ was substituted)
SELECT p.proname, p.prosrc LIKE '%' || :'ext' || '.wxa_endpoints()%' AS qualified,
       p.prosrc LIKE '%@extschema@%' AS unsubstituted
FROM pg_proc p WHERE p.proname IN ('wxa_add_app', 'wxa_create_app_tables') ORDER BY 1;

-- a database for the updated installations; the members of one against the fresh ones
SET client_min_messages = warning;
DROP DATABASE IF EXISTS wxa_fdw_versions;
CREATE DATABASE wxa_fdw_versions;
\c wxa_fdw_versions
SET client_min_messages = warning;
-- the extension's schema of contrib_regression (public exists already)
CREATE SCHEMA IF NOT EXISTS :ext;
CREATE FUNCTION pg_temp.wxa_fdw_members() RETURNS SETOF text LANGUAGE sql
  SET search_path = :ext, pg_catalog AS :'members_sql';
CREATE FUNCTION pg_temp.differences(fresh text) RETURNS TABLE (where_ text, member text)
LANGUAGE sql AS $$
  (SELECT 'only in a fresh install', m FROM unnest(string_to_array(fresh, E'\n')) m
   EXCEPT SELECT 'only in a fresh install', m FROM pg_temp.wxa_fdw_members() m)
  UNION ALL
  (SELECT 'only after the update', m FROM pg_temp.wxa_fdw_members() m
   EXCEPT SELECT 'only after the update', m FROM unnest(string_to_array(fresh, E'\n')) m)
  ORDER BY 1, 2
$$;

-- 1.0 -> 1.1 -> 1.2, one step at a time
CREATE EXTENSION wxa_fdw VERSION '1.0' SCHEMA :ext;
ALTER EXTENSION wxa_fdw UPDATE TO '1.1';
ALTER EXTENSION wxa_fdw UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'wxa_fdw';
SELECT * FROM pg_temp.differences(:'fresh');
-- the updated extension works: a scan through it
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE trend (ref_date date, visit_uv bigint)
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-03';
DROP EXTENSION wxa_fdw CASCADE;

-- 1.1 -> 1.2
CREATE EXTENSION wxa_fdw VERSION '1.1' SCHEMA :ext;
ALTER EXTENSION wxa_fdw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'wxa_fdw';
SELECT * FROM pg_temp.differences(:'fresh');
DROP EXTENSION wxa_fdw;

-- 1.2 is not relocatable: its schema is fixed at CREATE EXTENSION
CREATE SCHEMA elsewhere;
CREATE EXTENSION wxa_fdw;
ALTER EXTENSION wxa_fdw SET SCHEMA elsewhere;
\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE wxa_fdw_versions;
