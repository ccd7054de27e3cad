/* wxa_fdw 1.1 -> 1.2 (ALTER EXTENSION wxa_fdw UPDATE; a fresh CREATE EXTENSION runs
   wxa_fdw--1.1.sql and then this script). From 1.2 on the extension is not relocatable,
   so @extschema@ names its schema: every object below calls the extension's own objects
   schema-qualified, and PL/pgSQL and SQL functions pin their search_path. */

\echo Use "ALTER EXTENSION wxa_fdw UPDATE" to load this file. \quit

-- ---------------------------------------------------------------- the SQL surface under PostgreSQL's rules (issue 20)

-- ---------------------------------------------------------------- statistics (issue 20)

-- ---------------------------------------------------------------- WeChat's calendar (issue 19)

-- ---------------------------------------------------------------- the period store (issue 18)

-- Settled periods, one row per (appid, api_base_url, endpoint, period): WeChat's answer exactly
-- as it came (bytes, so a database of any encoding keeps it; PostgreSQL compresses the larger
-- ones). Only the wrapper writes it, as the extension's owner. Not a configuration table: pg_dump
-- neither dumps nor reads its rows, so a non-superuser's dump keeps working.
CREATE TABLE @extschema@.wxa_store_periods (
  appid text NOT NULL,
  api_base_url text NOT NULL,
  endpoint text NOT NULL,
  first_day date NOT NULL,
  days integer NOT NULL CHECK (days BETWEEN 1 AND 31),
  answer bytea NOT NULL,
  stored_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (appid, api_base_url, endpoint, first_day, days)
);
-- The credentials proven for an appid: HMAC-SHA256 of the appid and api_base_url keyed by the
-- secret, recorded when a request with that secret succeeded.
CREATE TABLE @extschema@.wxa_store_verifiers (
  appid text NOT NULL,
  api_base_url text NOT NULL,
  verifier bytea NOT NULL,
  proven_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (appid, api_base_url)
);
-- other companies' data: no role but the owner (and superusers), whatever default privileges
-- granted to PUBLIC or to any role
REVOKE ALL ON @extschema@.wxa_store_periods, @extschema@.wxa_store_verifiers FROM PUBLIC;
DO $$
DECLARE
  g record;
BEGIN
  FOR g IN SELECT c.oid::pg_catalog.regclass AS tbl, a.grantee
           FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) a
           WHERE c.oid OPERATOR(pg_catalog.=) ANY (ARRAY['@extschema@.wxa_store_periods'::pg_catalog.regclass,
                                                         '@extschema@.wxa_store_verifiers'::pg_catalog.regclass])
             AND a.grantee OPERATOR(pg_catalog.<>) c.relowner AND a.grantee OPERATOR(pg_catalog.<>) 0
  LOOP
    EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM %I', g.tbl, pg_catalog.pg_get_userbyid(g.grantee));
  END LOOP;
END
$$;

CREATE FUNCTION @extschema@.wxa_store_forget(appid text, endpoint text DEFAULT NULL,
                                             from_date date DEFAULT NULL, to_date date DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'wxa_store_forget'
LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.wxa_store_forget(text, text, date, date) FROM PUBLIC;

CREATE FUNCTION @extschema@.wxa_store_summary()
RETURNS TABLE (appid text, api_base_url text, endpoint text, periods bigint,
               first_date date, last_date date, bytes bigint)
AS 'MODULE_PATHNAME', 'wxa_store_summary'
LANGUAGE C STABLE;

-- Backfill: the settled periods of [from_date, to_date] fetched through an ordinary scan of a
-- temporary foreign table with store 'on', one transaction per 31 days. A procedure with a SET
-- clause cannot COMMIT, so every name is qualified and each transaction pins search_path itself.
CREATE PROCEDURE @extschema@.wxa_store_fill(server text, endpoint text, from_date date, to_date date)
LANGUAGE plpgsql
AS $$
DECLARE
  srv_oid oid;
  tz text;
  after_days integer;
  last_settled date;
  cols text;
  chunk_from date;
  chunk_to date;
  restriction text;
  rows_seen bigint;
BEGIN
  PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
  IF server IS NULL OR endpoint IS NULL OR from_date IS NULL OR to_date IS NULL THEN
    RAISE EXCEPTION 'wxa_store_fill: server, endpoint, from_date and to_date must not be NULL'
      USING ERRCODE = 'null_value_not_allowed';
  END IF;
  IF from_date OPERATOR(pg_catalog.>) to_date THEN
    RAISE EXCEPTION 'wxa_store_fill: from_date must not be after to_date'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT f.oid INTO srv_oid
  FROM pg_catalog.pg_foreign_server f
  JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid OPERATOR(pg_catalog.=) f.srvfdw
  WHERE f.srvname OPERATOR(pg_catalog.=) server
    AND w.fdwhandler OPERATOR(pg_catalog.=) '@extschema@.wxa_fdw_handler()'::pg_catalog.regprocedure::pg_catalog.oid;
  IF srv_oid IS NULL THEN
    RAISE EXCEPTION 'wxa_fdw server "%" does not exist', server
      USING ERRCODE = 'undefined_object';
  END IF;
  SELECT e.columns INTO cols FROM @extschema@.wxa_endpoints() e
  WHERE e.endpoint OPERATOR(pg_catalog.=) wxa_store_fill.endpoint;
  IF cols IS NULL THEN
    RAISE EXCEPTION 'unknown endpoint "%"', endpoint
      USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Valid endpoints are: ' OPERATOR(pg_catalog.||)
                   (SELECT pg_catalog.string_agg(e.endpoint, ', ') FROM @extschema@.wxa_endpoints() e)
                   OPERATOR(pg_catalog.||) '.';
  END IF;
  SELECT COALESCE(pg_catalog.max(o.option_value) FILTER (WHERE o.option_name OPERATOR(pg_catalog.=) 'timezone'), 'Asia/Shanghai'),
         COALESCE(pg_catalog.max(o.option_value) FILTER (WHERE o.option_name OPERATOR(pg_catalog.=) 'store_after_days'), '7')::pg_catalog.int4
  INTO tz, after_days
  FROM pg_catalog.pg_foreign_server f, pg_catalog.pg_options_to_table(f.srvoptions) o
  WHERE f.oid OPERATOR(pg_catalog.=) srv_oid;
  -- settled: the last day at least store_after_days before yesterday in the server's timezone
  last_settled := (pg_catalog.timezone(tz, pg_catalog.now()))::pg_catalog.date
                  OPERATOR(pg_catalog.-) 1 OPERATOR(pg_catalog.-) after_days;
  IF to_date OPERATOR(pg_catalog.>) last_settled THEN
    RAISE NOTICE 'wxa_store_fill: periods ending after % are not settled yet and are not fetched', last_settled;
    to_date := last_settled;
  END IF;
  IF pg_catalog.to_regclass('pg_temp.wxa_store_fill') IS NOT NULL THEN
    DROP FOREIGN TABLE pg_temp.wxa_store_fill;  -- left by a failed call
  END IF;
  EXECUTE pg_catalog.format('CREATE FOREIGN TABLE pg_temp.wxa_store_fill (%s) SERVER %I OPTIONS (endpoint %L, store %L)',
                            cols, server, endpoint, 'on');
  restriction := CASE WHEN cols OPERATOR(pg_catalog.~) '\mend_date\M'
                      THEN ' AND end_date OPERATOR(pg_catalog.<=) $3' ELSE '' END;
  chunk_from := from_date;
  WHILE chunk_from OPERATOR(pg_catalog.<=) to_date LOOP
    chunk_to := LEAST(chunk_from OPERATOR(pg_catalog.+) 30, to_date);
    EXECUTE 'SELECT pg_catalog.count(*) FROM pg_temp.wxa_store_fill WHERE ref_date OPERATOR(pg_catalog.>=) $1'
            ' AND ref_date OPERATOR(pg_catalog.<=) $2' OPERATOR(pg_catalog.||) restriction
      INTO rows_seen USING chunk_from, chunk_to, last_settled;
    COMMIT;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    chunk_from := chunk_to OPERATOR(pg_catalog.+) 1;
  END LOOP;
  DROP FOREIGN TABLE pg_temp.wxa_store_fill;
END
$$;

-- ---------------------------------------------------------------- descriptions of tables and columns (issue 22)

-- What COMMENT ON gives each wxa table (column_name NULL) and column, the appid column included.
-- The endpoint catalog in C (src/core/wxa_catalog.c) is the one source of the texts.
CREATE FUNCTION @extschema@.wxa_descriptions(OUT endpoint text, OUT column_name text, OUT description text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wxa_descriptions_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 100;

-- Describes one table with the descriptions of its endpoint, where it has none yet (a comment
-- of the user's is never replaced); returns the number of comments made. A wxa table is a
-- foreign table of a wxa_fdw server (its endpoint option names the endpoint), or a partitioned
-- table as wxa_create_app_tables makes it: named after an endpoint, partitioned by its column
-- appid, and with no column but appid and the endpoint's. Other tables: 0, nothing changed.
-- Needs ownership of the table, as COMMENT ON does.
CREATE FUNCTION @extschema@.wxa_describe(tbl regclass)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  rel record;
  ep text;
  col record;
  made integer := 0;
BEGIN
  SELECT c.oid, c.relname, c.relkind INTO rel FROM pg_catalog.pg_class c WHERE c.oid = tbl;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  IF rel.relkind = 'f' THEN
    SELECT o.option_value INTO ep
    FROM pg_catalog.pg_foreign_table ft
    JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
    JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
    CROSS JOIN LATERAL pg_catalog.pg_options_to_table(ft.ftoptions) o
    WHERE ft.ftrelid = rel.oid
      AND w.fdwhandler = '@extschema@.wxa_fdw_handler'::pg_catalog.regproc
      AND o.option_name = 'endpoint';
  ELSIF rel.relkind = 'p' THEN
    SELECT rel.relname INTO ep
    FROM pg_catalog.pg_partitioned_table pt
    JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
    WHERE pt.partrelid = rel.oid AND pt.partnatts = 1 AND a.attname = 'appid'
      AND EXISTS (SELECT FROM @extschema@.wxa_descriptions() d WHERE d.endpoint = rel.relname)
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_attribute x
                      WHERE x.attrelid = rel.oid AND x.attnum > 0 AND NOT x.attisdropped
                        AND x.attname::text NOT IN (SELECT d.column_name FROM @extschema@.wxa_descriptions() d
                                                    WHERE d.endpoint = rel.relname AND d.column_name IS NOT NULL));
  END IF;
  IF ep IS NULL THEN
    RETURN 0;
  END IF;
  IF pg_catalog.obj_description(rel.oid, 'pg_class') IS NULL THEN
    EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L',
                              CASE rel.relkind WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, tbl,
                              (SELECT d.description FROM @extschema@.wxa_descriptions() d
                               WHERE d.endpoint = ep AND d.column_name IS NULL));
    made := made + 1;
  END IF;
  FOR col IN
    SELECT a.attname, d.description
    FROM pg_catalog.pg_attribute a
    JOIN @extschema@.wxa_descriptions() d ON d.endpoint = ep AND d.column_name = a.attname::text
    WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
      AND pg_catalog.col_description(rel.oid, a.attnum) IS NULL
    ORDER BY a.attnum
  LOOP
    EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', tbl, col.attname, col.description);
    made := made + 1;
  END LOOP;
  RETURN made;
END
$$;

-- After IMPORT FOREIGN SCHEMA, CREATE FOREIGN TABLE (wxa_add_app's partitions too) and CREATE
-- TABLE (wxa_create_app_tables' parents): every new wxa table described. It runs as the user
-- whose DDL made the tables, who owns them. A failure to describe never fails that DDL: it is a
-- WARNING naming the table, which is left without (some) descriptions, never with wrong ones.
CREATE FUNCTION @extschema@.wxa_describe_new_tables()
RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cmd record;
  message text;
BEGIN
  FOR cmd IN
    SELECT DISTINCT c.objid
    FROM pg_catalog.pg_event_trigger_ddl_commands() c
    WHERE c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.objsubid = 0
      AND c.object_type IN ('table', 'foreign table')
  LOOP
    BEGIN
      PERFORM @extschema@.wxa_describe(cmd.objid::pg_catalog.regclass);
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
      RAISE WARNING 'could not describe table %', cmd.objid::pg_catalog.regclass
        USING DETAIL = message,
              HINT = 'The owner of the table can describe it with wxa_describe().';
    END;
  END LOOP;
END
$$;

CREATE EVENT TRIGGER wxa_fdw_describe_tables ON ddl_command_end
  WHEN TAG IN ('IMPORT FOREIGN SCHEMA', 'CREATE FOREIGN TABLE', 'CREATE TABLE')
  EXECUTE FUNCTION @extschema@.wxa_describe_new_tables();
