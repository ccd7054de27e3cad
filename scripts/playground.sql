-- What scripts/playground makes in its database: the objects the README's examples use.
-- Run by the cluster's superuser with psql; :'emu_url' is the emulator's address.
-- The emulator knows two mini programs: wx1234567890abcdef (secret 0123456789abcdef0123456789abcdef)
-- and wxfedcba0987654321 (secret fedcba9876543210fedcba9876543210).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

-- the README's "Using it", with api_base_url pointing at the emulator instead of WeChat
CREATE EXTENSION wxa_fdw;
CREATE SERVER wechat FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE SCHEMA wxa;
IMPORT FOREIGN SCHEMA wxa FROM SERVER wechat INTO wxa;

-- your own tables, which the examples join: revenue per day of the last 40 days, marketing
-- campaigns, and coupons waiting for their code images
CREATE TABLE orders_daily (day date PRIMARY KEY, revenue numeric);
INSERT INTO orders_daily
SELECT d, 1000 + 10 * extract(day FROM d)
FROM generate_series(current_date - 40, current_date - 1, '1 day') d;
CREATE TABLE campaigns (name text PRIMARY KEY, starts date, ends date);
INSERT INTO campaigns VALUES ('spring', '2024-03-01', '2024-03-07'), ('summer', '2024-06-10', '2024-06-12');
CREATE TABLE coupon (id bigint PRIMARY KEY, title text, qr bytea);
INSERT INTO coupon (id, title) SELECT g, 'coupon ' || g FROM generate_series(1, 5000) AS g;

-- pg_cron, where scripts/playground could load it (the package postgresql-15-cron installed)
SELECT current_setting('shared_preload_libraries') ~ '\mpg_cron\M' AS have_pg_cron \gset
\if :have_pg_cron
CREATE EXTENSION pg_cron;
\endif
