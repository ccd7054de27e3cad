/* wxa_fdw 1.1 -> 1.2 (ALTER EXTENSION wxa_fdw UPDATE; a fresh CREATE EXTENSION runs
   wxa_fdw--1.1.sql and then this script). From 1.2 on the extension is not relocatable,
   so @extschema@ names its schema: every object below calls the extension's own objects
   schema-qualified, and PL/pgSQL and SQL functions pin their search_path. */

\echo Use "ALTER EXTENSION wxa_fdw UPDATE" to load this file. \quit

-- ---------------------------------------------------------------- the SQL surface under PostgreSQL's rules (issue 20)

-- The helpers of 1.1 anew: the extension's own objects named with @extschema@ and the
-- search_path pinned, so that neither a schema outside the caller's search_path nor an
-- object earlier on it (CVE-2018-1058) changes what they run. Arguments, defaults and
-- results stay those of 1.1.
CREATE OR REPLACE FUNCTION @extschema@.wxa_create_app_tables(target_schema text DEFAULT 'apps')
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  e record;
BEGIN
  IF target_schema IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
      MESSAGE = 'argument "target_schema" of wxa_create_app_tables must not be NULL';
  END IF;
  FOR e IN SELECT * FROM @extschema@.wxa_endpoints() LOOP
    EXECUTE pg_catalog.format('CREATE TABLE %I.%I (appid pg_catalog.text, %s) PARTITION BY LIST (appid)',
                              target_schema, e.endpoint, e.columns);
    RETURN NEXT pg_catalog.format('%I.%I', target_schema, e.endpoint)::pg_catalog.regclass;
  END LOOP;
END
$$;

-- Everything is checked before anything is created, and no argument's value appears in
-- a message or its context: the secret (or one put into options by mistake) stays out of
-- the log. Errors of the statements it runs are raised anew without the statement.
CREATE OR REPLACE FUNCTION @extschema@.wxa_add_app(server text, appid text, secret text,
                                                   target_schema text DEFAULT 'apps',
                                                   options jsonb DEFAULT '{}')
RETURNS SETOF regclass
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  server_options text[] := ARRAY['appid=' OPERATOR(pg_catalog.||) appid];
  server_sql text;
  option record;
  parents text[];
  parent text;
  existing text;
  message text;
  detail text;
  hint text;
  state text;
BEGIN
  IF server IS NULL OR appid IS NULL OR target_schema IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'null_value_not_allowed',
      MESSAGE = 'arguments "server", "appid" and "target_schema" of wxa_add_app must not be NULL',
      HINT = 'Pass secret NULL to create no user mapping.';
  END IF;
  -- the place: the schema and the parent tables wxa_create_app_tables makes
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace n WHERE n.nspname OPERATOR(pg_catalog.=) target_schema) THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_schema_name',
      MESSAGE = pg_catalog.format('schema "%s" does not exist', target_schema),
      HINT = pg_catalog.format('Create it and its parent tables first: CREATE SCHEMA %I; SELECT %s.wxa_create_app_tables(%L);',
                               target_schema, '@extschema@', target_schema);
  END IF;
  SELECT pg_catalog.array_agg(c.relname::pg_catalog.text ORDER BY c.relname) INTO parents
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
  JOIN @extschema@.wxa_endpoints() w ON w.endpoint OPERATOR(pg_catalog.=) c.relname::pg_catalog.text
  WHERE n.nspname OPERATOR(pg_catalog.=) target_schema AND c.relkind OPERATOR(pg_catalog.=) 'p';
  IF parents IS NULL THEN
    RAISE EXCEPTION USING ERRCODE = 'undefined_table',
      MESSAGE = pg_catalog.format('schema "%s" holds none of the parent tables of wxa_fdw''s endpoints', target_schema),
      HINT = pg_catalog.format('Create them first: SELECT %s.wxa_create_app_tables(%L);',
                               '@extschema@', target_schema);
  END IF;
  -- the names: the server and every partition
  IF EXISTS (SELECT FROM pg_catalog.pg_foreign_server s WHERE s.srvname OPERATOR(pg_catalog.=) server) THEN
    RAISE EXCEPTION USING ERRCODE = 'duplicate_object',
      MESSAGE = pg_catalog.format('server "%s" already exists', server),
      HINT = 'Choose another server name, or drop the server first.';
  END IF;
  FOREACH parent IN ARRAY parents LOOP
    SELECT c.relname INTO existing
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace
    WHERE n.nspname OPERATOR(pg_catalog.=) target_schema
      AND c.relname OPERATOR(pg_catalog.=) (parent OPERATOR(pg_catalog.||) '_' OPERATOR(pg_catalog.||) server)::pg_catalog.name;
    IF FOUND THEN
      RAISE EXCEPTION USING ERRCODE = 'duplicate_table',
        MESSAGE = pg_catalog.format('relation "%s.%s" already exists', target_schema, existing),
        HINT = 'The partitions are named <endpoint>_<server>: choose another server name.';
    END IF;
  END LOOP;
  -- the appid as WeChat issues them (a typo would only show at the first query)
  IF appid OPERATOR(pg_catalog.!~) '^wx[0-9a-f]{16}$' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = pg_catalog.format('invalid appid "%s"', appid),
      HINT = 'A mini program''s AppID is "wx" followed by 16 lowercase hexadecimal digits, as the WeChat admin console shows it.';
  END IF;
  -- the server options: a JSON object of scalars; credentials belong in the user mapping
  IF options IS NOT NULL AND pg_catalog.jsonb_typeof(options) OPERATOR(pg_catalog.<>) 'object' THEN
    RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
      MESSAGE = 'argument "options" of wxa_add_app must be a JSON object of server options',
      HINT = 'For example ''{"max_concurrency": "16", "timezone": "Asia/Shanghai"}''.';
  END IF;
  FOR option IN SELECT o.key, o.value FROM pg_catalog.jsonb_each(COALESCE(options, '{}'::pg_catalog.jsonb)) o ORDER BY o.key LOOP
    IF option.key OPERATOR(pg_catalog.=) ANY (ARRAY['secret', 'access_token']) THEN
      -- named, never echoed
      RAISE EXCEPTION USING ERRCODE = 'fdw_invalid_option_name',
        MESSAGE = pg_catalog.format('option "%s" is not a server option', option.key),
        HINT = 'Credentials go into the user mapping, which only its user and superusers can read: pass the AppSecret as the argument "secret".';
    END IF;
    IF option.key OPERATOR(pg_catalog.=) 'appid' THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = 'option "appid" must not be given in "options"',
        HINT = 'Pass the appid as the argument "appid".';
    END IF;
    IF option.key OPERATOR(pg_catalog.!~) '^[a-z_]+$' OR
       pg_catalog.jsonb_typeof(option.value) OPERATOR(pg_catalog.<>) ALL (ARRAY['string', 'number', 'boolean']) THEN
      RAISE EXCEPTION USING ERRCODE = 'invalid_parameter_value',
        MESSAGE = 'every element of "options" must be a server option''s name and a string, number or boolean',
        HINT = 'For example ''{"max_concurrency": "16", "timezone": "Asia/Shanghai"}''.';
    END IF;
    server_options := server_options OPERATOR(pg_catalog.||)
                      (option.key OPERATOR(pg_catalog.||) '=' OPERATOR(pg_catalog.||) (options OPERATOR(pg_catalog.->>) option.key));
  END LOOP;
  -- the wrapper's own validator, as CREATE SERVER and CREATE USER MAPPING would call it
  PERFORM @extschema@.wxa_fdw_validator(server_options, 'pg_catalog.pg_foreign_server'::pg_catalog.regclass::pg_catalog.oid);
  IF secret IS NOT NULL THEN
    PERFORM @extschema@.wxa_fdw_validator(ARRAY['secret=' OPERATOR(pg_catalog.||) secret],
                                          'pg_catalog.pg_user_mapping'::pg_catalog.regclass::pg_catalog.oid);
  END IF;

  SELECT 'CREATE SERVER ' OPERATOR(pg_catalog.||) pg_catalog.quote_ident(server)
         OPERATOR(pg_catalog.||) ' FOREIGN DATA WRAPPER wxa_fdw OPTIONS ('
         OPERATOR(pg_catalog.||) pg_catalog.string_agg(pg_catalog.format('%I %L', pg_catalog.split_part(o, '=', 1),
                                                               pg_catalog.substr(o, pg_catalog.strpos(o, '=') OPERATOR(pg_catalog.+) 1)), ', ')
         OPERATOR(pg_catalog.||) ')'
    INTO server_sql
  FROM pg_catalog.unnest(server_options) o;
  BEGIN
    EXECUTE server_sql;
    IF secret IS NOT NULL THEN
      EXECUTE pg_catalog.format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (secret %L)', server, secret);
    END IF;
  EXCEPTION WHEN OTHERS THEN
    -- raised anew without the statement as context: it holds the secret and the options
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT, state = RETURNED_SQLSTATE;
    IF detail OPERATOR(pg_catalog.<>) '' AND hint OPERATOR(pg_catalog.<>) '' THEN
      RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail, HINT = hint;
    ELSIF detail OPERATOR(pg_catalog.<>) '' THEN
      RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail;
    ELSIF hint OPERATOR(pg_catalog.<>) '' THEN
      RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, HINT = hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
  END;
  FOREACH parent IN ARRAY parents LOOP
    EXECUTE pg_catalog.format('CREATE FOREIGN TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (%L) SERVER %I OPTIONS (endpoint %L)',
                              target_schema, parent OPERATOR(pg_catalog.||) '_' OPERATOR(pg_catalog.||) server,
                              target_schema, parent, appid, server, parent);
    RETURN NEXT pg_catalog.format('%I.%I', target_schema, parent OPERATOR(pg_catalog.||) '_' OPERATOR(pg_catalog.||) server)::pg_catalog.regclass;
  END LOOP;
END
$$;

-- ---------------------------------------------------------------- statistics (issue 20)

-- Cumulative counts of the requests to WeChat, over all backends, kept in shared memory
-- (needs shared_preload_libraries = 'wxa_fdw'). The C function returns only this
-- database's entries of servers the caller has USAGE on, with their names.
CREATE FUNCTION @extschema@.wxa_fdw_stats_entries(OUT server name, OUT appid text, OUT cgi_path text,
                                                  OUT requests bigint, OUT retries bigint,
                                                  OUT failures bigint, OUT bytes_received bigint,
                                                  OUT store_hits bigint, OUT last_errcode integer,
                                                  OUT last_error_at timestamptz,
                                                  OUT stats_reset timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL SAFE;

CREATE VIEW @extschema@.wxa_fdw_stats AS
  SELECT e.server, e.appid, e.cgi_path, e.requests, e.retries, e.failures, e.bytes_received,
         e.store_hits, e.last_errcode, e.last_error_at, e.stats_reset
  FROM @extschema@.wxa_fdw_stats_entries() e;

GRANT SELECT ON @extschema@.wxa_fdw_stats TO PUBLIC;

-- every database's counts dropped: superusers, and whom they grant it to
CREATE FUNCTION @extschema@.wxa_fdw_stats_reset()
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE PARALLEL RESTRICTED;

REVOKE ALL ON FUNCTION @extschema@.wxa_fdw_stats_reset() FROM PUBLIC;

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
    -- only tables that may be wxa_fdw's, found in the catalogs alone: any other CREATE TABLE
    -- (by a role without USAGE on this schema too) passes without a call or a warning
    SELECT DISTINCT c.objid
    FROM pg_catalog.pg_event_trigger_ddl_commands() c
    JOIN pg_catalog.pg_class r ON r.oid = c.objid
    WHERE c.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND c.objsubid = 0
      AND c.object_type IN ('table', 'foreign table')
      AND ((r.relkind = 'f' AND EXISTS (
              SELECT FROM pg_catalog.pg_foreign_table ft
              JOIN pg_catalog.pg_foreign_server s ON s.oid = ft.ftserver
              JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw
              JOIN pg_catalog.pg_proc h ON h.oid = w.fdwhandler
              JOIN pg_catalog.pg_extension e ON e.extnamespace = h.pronamespace
              WHERE ft.ftrelid = r.oid AND h.proname = 'wxa_fdw_handler' AND e.extname = 'wxa_fdw'))
        OR (r.relkind = 'p' AND EXISTS (
              SELECT FROM pg_catalog.pg_partitioned_table pt
              JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
              WHERE pt.partrelid = r.oid AND pt.partnatts = 1 AND a.attname = 'appid')))
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
