-- Versions of the extension: 1.0 updated with ALTER EXTENSION wxa_fdw UPDATE must
-- equal a fresh CREATE EXTENSION of the default version (this database's): the same
-- member objects, and functions with the same arguments, defaults, result and
-- attributes. An object added to wxa_fdw--1.1.sql but not to wxa_fdw--1.0--1.1.sql
-- (or the other way round) shows as a row below.
SELECT extversion FROM pg_extension WHERE extname = 'wxa_fdw';
SELECT source, target, path FROM pg_extension_update_paths('wxa_fdw') ORDER BY 1, 2;

-- one line per member object; functions with their full signature (the same query in both databases)
SELECT $q$
  SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
         || coalesce(' (' || pg_get_function_arguments(p.oid) || ') returns '
                     || pg_get_function_result(p.oid)
                     || format(' volatile=%s strict=%s parallel=%s setof=%s rows=%s cost=%s symbol=%s',
                               p.provolatile, p.proisstrict, p.proparallel, p.proretset,
                               p.prorows, p.procost,
                               -- a body (plpgsql) by its digest: one line per member
                               CASE WHEN p.prosrc LIKE E'%\n%' THEN 'md5:' || md5(p.prosrc) ELSE p.prosrc END), '')
         || CASE WHEN w.oid IS NOT NULL
                 THEN format(' handler=%s validator=%s', w.fdwhandler::regproc, w.fdwvalidator::regproc)
                 ELSE '' END
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'wxa_fdw'
  LEFT JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
  LEFT JOIN pg_foreign_data_wrapper w ON d.classid = 'pg_foreign_data_wrapper'::regclass AND w.oid = d.objid
  WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
$q$ AS members_sql \gset
CREATE FUNCTION pg_temp.wxa_fdw_members() RETURNS SETOF text LANGUAGE sql AS :'members_sql';
SELECT string_agg(m, E'\n' ORDER BY m) AS fresh FROM pg_temp.wxa_fdw_members() m \gset
-- the comparison below means something only if the members were found
SELECT count(*) >= 11 AS members_found,
       bool_or(m LIKE 'foreign-data wrapper wxa_fdw handler=wxa_fdw_handler validator=wxa_fdw_validator') AS wrapper_found,
       bool_or(m LIKE 'function wxa_get_wxacode(text,text,integer,boolean,text,boolean,text) (server text, path text, width integer DEFAULT 430,%') AS defaults_found
FROM pg_temp.wxa_fdw_members() m;

SET client_min_messages = warning;
DROP DATABASE IF EXISTS wxa_fdw_versions;
CREATE DATABASE wxa_fdw_versions;
\c wxa_fdw_versions
SET client_min_messages = warning;
CREATE EXTENSION wxa_fdw VERSION '1.0';
ALTER EXTENSION wxa_fdw UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'wxa_fdw';
CREATE FUNCTION pg_temp.wxa_fdw_members() RETURNS SETOF text LANGUAGE sql AS :'members_sql';
-- members of a fresh 1.1 missing after the update, and the other way round: no rows
SELECT 'only in a fresh install' AS where_, m AS member
FROM unnest(string_to_array(:'fresh', E'\n')) m
EXCEPT SELECT 'only in a fresh install', m FROM pg_temp.wxa_fdw_members() m
UNION ALL
(SELECT 'only after the update', m FROM pg_temp.wxa_fdw_members() m
 EXCEPT SELECT 'only after the update', m FROM unnest(string_to_array(:'fresh', E'\n')) m)
ORDER BY 1, 2;
-- the updated extension works: a scan through it
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE trend (ref_date date, visit_uv bigint)
  SERVER wechat OPTIONS (endpoint 'daily_visit_trend');
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-03';
\c contrib_regression
SET client_min_messages = warning;
DROP DATABASE wxa_fdw_versions;
