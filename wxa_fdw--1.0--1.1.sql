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
