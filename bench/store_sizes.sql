-- The period store's size per period for each endpoint (README: "Period store", sizes): every
-- endpoint backfilled over 2024-01-01..2024-03-31 from the emulator, then the answer's size as
-- WeChat sent it, as stored (bytea, compressed by PostgreSQL above about 2 kB), as jsonb would
-- store it, and the table with its index per period.
--   test/with-emulator pg_virtualenv -t -v 15 psql -X -f bench/store_sizes.sql
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE EXTENSION IF NOT EXISTS wxa_fdw;
CREATE SERVER store_sizes FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', store 'on');
CREATE USER MAPPING FOR CURRENT_USER SERVER store_sizes OPTIONS (secret '0123456789abcdef0123456789abcdef');
CALL wxa_store_fill('store_sizes', 'daily_summary', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'daily_visit_trend', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'weekly_visit_trend', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'monthly_visit_trend', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'visit_distribution', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'daily_retain', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'weekly_retain', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'monthly_retain', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'visit_page', '2024-01-01', '2024-03-31');
CALL wxa_store_fill('store_sizes', 'user_portrait', '2024-01-01', '2024-03-31');
VACUUM ANALYZE wxa_store_periods;
SELECT endpoint, count(*) AS periods,
       round(avg(octet_length(answer))) AS answer_bytes,
       round(avg(pg_column_size(answer))) AS stored_bytes,
       round(avg(pg_column_size(convert_from(answer, 'UTF8')::jsonb))) AS as_jsonb_bytes
FROM wxa_store_periods WHERE api_base_url = :'emu_url'
GROUP BY endpoint ORDER BY endpoint;
SELECT count(*) AS periods,
       round(pg_total_relation_size('wxa_store_periods')::numeric / count(*)) AS table_and_index_bytes_per_period
FROM wxa_store_periods;
SELECT wxa_store_forget('wx1234567890abcdef') AS forgotten;
DROP SERVER store_sizes CASCADE;
