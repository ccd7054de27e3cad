/* wxa_fdw 1.1 -> 1.2 (ALTER EXTENSION wxa_fdw UPDATE; a fresh CREATE EXTENSION runs
   wxa_fdw--1.1.sql and then this script). From 1.2 on the extension is not relocatable,
   so @extschema@ names its schema: every object below calls the extension's own objects
   schema-qualified, and PL/pgSQL and SQL functions pin their search_path. */

\echo Use "ALTER EXTENSION wxa_fdw UPDATE" to load this file. \quit

-- ---------------------------------------------------------------- the SQL surface under PostgreSQL's rules (issue 20)

-- ---------------------------------------------------------------- statistics (issue 20)

-- ---------------------------------------------------------------- WeChat's calendar (issue 19)

-- ---------------------------------------------------------------- the period store (issue 18)

-- ---------------------------------------------------------------- descriptions of tables and columns (issue 22)
