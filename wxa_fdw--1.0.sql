/* wxa_fdw 1.0 - the WeChat mini-program server API in SQL */

\echo Use "CREATE EXTENSION wxa_fdw" to load this file. \quit

CREATE FUNCTION wxa_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION wxa_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER wxa_fdw
  HANDLER wxa_fdw_handler
  VALIDATOR wxa_fdw_validator;

-- Code images: the bytes exactly as WeChat sent them (JPEG, or PNG with is_hyaline).
-- Not STRICT: line_color and page default to NULL; other NULL arguments are errors.
CREATE FUNCTION wxa_get_wxacode(server text, path text, width integer DEFAULT 430,
                                auto_color boolean DEFAULT false, line_color text DEFAULT NULL,
                                is_hyaline boolean DEFAULT false, env_version text DEFAULT 'release')
RETURNS bytea
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

CREATE FUNCTION wxa_get_wxacode_unlimit(server text, scene text, page text DEFAULT NULL,
                                        check_path boolean DEFAULT true, width integer DEFAULT 430,
                                        auto_color boolean DEFAULT false, line_color text DEFAULT NULL,
                                        is_hyaline boolean DEFAULT false,
                                        env_version text DEFAULT 'release')
RETURNS bytea
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

CREATE FUNCTION wxa_create_qrcode(server text, path text, width integer DEFAULT 430)
RETURNS bytea
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

CREATE FUNCTION wxa_code2session(server text, js_code text,
                                 OUT openid text, OUT session_key text, OUT unionid text)
RETURNS record
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

-- encryptedData. Each comes with and without appid rather than with appid DEFAULT NULL:
-- a STRICT function would return NULL whenever a defaulted NULL appid is left out.
CREATE FUNCTION wxa_decrypt(encrypted_data text, iv text, session_key text)
RETURNS jsonb
AS 'MODULE_PATHNAME'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION wxa_decrypt(encrypted_data text, iv text, session_key text, appid text)
RETURNS jsonb
AS 'MODULE_PATHNAME'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION wxa_werun_steps(encrypted_data text, iv text, session_key text)
RETURNS TABLE (step_date date, step_time timestamptz, step integer)
AS 'MODULE_PATHNAME'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;

CREATE FUNCTION wxa_werun_steps(encrypted_data text, iv text, session_key text, appid text)
RETURNS TABLE (step_date date, step_time timestamptz, step integer)
AS 'MODULE_PATHNAME'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 30;
