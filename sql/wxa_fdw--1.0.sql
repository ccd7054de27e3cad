/* wxa_fdw 1.0 — the WeChat mini-program server API in SQL */

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
