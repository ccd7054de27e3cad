/* wxa_fdw 1.1 -> 1.2 (ALTER EXTENSION wxa_fdw UPDATE; a fresh CREATE EXTENSION runs
   wxa_fdw--1.1.sql and then this script). From 1.2 on the extension is not relocatable,
   so @extschema@ names its schema: every object below calls the extension's own objects
   schema-qualified, and PL/pgSQL and SQL functions pin their search_path. */

\echo Use "ALTER EXTENSION wxa_fdw UPDATE" to load this file. \quit

-- ---------------------------------------------------------------- the SQL surface under PostgreSQL's rules (issue 20)

-- ---------------------------------------------------------------- statistics (issue 20)

-- ---------------------------------------------------------------- WeChat's calendar (issue 19)

-- Today and the newest day WeChat can have published, in the server's timezone (WeChat's own,
-- Asia/Shanghai, for NULL), both taken at the start of the transaction as current_date is.
CREATE FUNCTION @extschema@.wxa_today(server text DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'wxa_today'
LANGUAGE C STABLE PARALLEL SAFE;

CREATE FUNCTION @extschema@.wxa_yesterday(server text DEFAULT NULL)
RETURNS date
AS 'MODULE_PATHNAME', 'wxa_yesterday'
LANGUAGE C STABLE PARALLEL SAFE;

COMMENT ON FUNCTION @extschema@.wxa_today(text) IS
  'today in the server''s timezone (Asia/Shanghai for NULL), at the start of the transaction';
COMMENT ON FUNCTION @extschema@.wxa_yesterday(text) IS
  'the newest day WeChat can have published: yesterday in the server''s timezone (Asia/Shanghai for NULL), at the start of the transaction';

-- ---------------------------------------------------------------- the period store (issue 18)

-- ---------------------------------------------------------------- descriptions of tables and columns (issue 22)
