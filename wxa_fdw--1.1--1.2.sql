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
