/* wxa_fdw 1.0 to 1.1 (ALTER EXTENSION wxa_fdw UPDATE): what 1.1 adds to 1.0 */
/* Every object created here is also in wxa_fdw--1.1.sql, the script of a fresh 1.1. */

\echo Use "ALTER EXTENSION wxa_fdw UPDATE TO '1.1'" to load this file. \quit

-- Many codes at once: one row per distinct element, in the order given, each with its image or
-- its own failure (errcode, errmsg); every element is checked before anything is sent.
CREATE FUNCTION wxa_get_wxacode_batch(server text, paths text[], width integer DEFAULT 430,
                                      auto_color boolean DEFAULT false, line_color text DEFAULT NULL,
                                      is_hyaline boolean DEFAULT false,
                                      env_version text DEFAULT 'release')
RETURNS TABLE (path text, image bytea, errcode integer, errmsg text)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

CREATE FUNCTION wxa_get_wxacode_unlimit_batch(server text, scenes text[], page text DEFAULT NULL,
                                              check_path boolean DEFAULT true,
                                              width integer DEFAULT 430,
                                              auto_color boolean DEFAULT false,
                                              line_color text DEFAULT NULL,
                                              is_hyaline boolean DEFAULT false,
                                              env_version text DEFAULT 'release')
RETURNS TABLE (scene text, image bytea, errcode integer, errmsg text)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

CREATE FUNCTION wxa_create_qrcode_batch(server text, paths text[], width integer DEFAULT 430)
RETURNS TABLE (path text, image bytea, errcode integer, errmsg text)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

-- The daily quota of one API path, or (NULL) of every API wxa_fdw calls except /sns/ ones.
CREATE FUNCTION wxa_api_quota(server text, cgi_path text DEFAULT NULL)
RETURNS TABLE (cgi_path text, daily_limit bigint, used bigint, remain bigint)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

-- Many mini programs: one partitioned table per endpoint, one foreign partition per app.
CREATE FUNCTION wxa_endpoints(OUT endpoint text, OUT columns text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'wxa_endpoints_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;

-- The ten parent tables (appid text, then the endpoint's columns), partitioned by appid.
CREATE FUNCTION wxa_create_app_tables(target_schema text DEFAULT 'apps')
RETURNS SETOF regclass
LANGUAGE plpgsql
AS $$
DECLARE
  e record;
BEGIN
  FOR e IN SELECT * FROM wxa_endpoints() LOOP
    EXECUTE format('CREATE TABLE %I.%I (appid text, %s) PARTITION BY LIST (appid)',
                   target_schema, e.endpoint, e.columns);
    RETURN NEXT format('%I.%I', target_schema, e.endpoint)::regclass;
  END LOOP;
END
$$;

-- One mini program: its server (options: more server options as JSON), the current user's
-- mapping with its AppSecret, and a partition of every parent table in target_schema.
CREATE FUNCTION wxa_add_app(server text, appid text, secret text,
                            target_schema text DEFAULT 'apps', options jsonb DEFAULT '{}')
RETURNS SETOF regclass
LANGUAGE plpgsql
AS $$
DECLARE
  server_options text := format('appid %L', appid);
  option record;
  parent record;
  message text;
  state text;
BEGIN
  FOR option IN SELECT * FROM jsonb_each_text(options) LOOP
    server_options := server_options || format(', %I %L', option.key, option.value);
  END LOOP;
  EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER wxa_fdw OPTIONS (%s)', server, server_options);
  IF secret IS NOT NULL THEN
    BEGIN
      EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER %I OPTIONS (secret %L)', server, secret);
    EXCEPTION WHEN OTHERS THEN
      -- raised anew without the statement as context: it holds the secret
      GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, state = RETURNED_SQLSTATE;
      RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
    END;
  END IF;
  FOR parent IN
    SELECT c.relname
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN wxa_endpoints() w ON w.endpoint = c.relname
    WHERE n.nspname = target_schema AND c.relkind = 'p'
    ORDER BY 1
  LOOP
    EXECUTE format('CREATE FOREIGN TABLE %I.%I PARTITION OF %I.%I FOR VALUES IN (%L) SERVER %I OPTIONS (endpoint %L)',
                   target_schema, parent.relname || '_' || server, target_schema, parent.relname,
                   appid, server, parent.relname);
    RETURN NEXT format('%I.%I', target_schema, parent.relname || '_' || server)::regclass;
  END LOOP;
END
$$;
