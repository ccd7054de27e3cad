/* wxa_fdw 1.0 to 1.1 (ALTER EXTENSION wxa_fdw UPDATE): what 1.1 adds to 1.0 */
/* Every object created here is also in wxa_fdw--1.1.sql, the script of a fresh 1.1. */

\echo Use "ALTER EXTENSION wxa_fdw UPDATE TO '1.1'" to load this file. \quit
