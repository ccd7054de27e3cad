-- Row counts of asynchronous scans in EXPLAIN ANALYZE: the rows an Append returned are
-- the sum of its scans' rows, with async Append on (scans answer from their callbacks,
-- also while the Append configures its wait) and off, and both plans count the same.
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SCHEMA async_rows;
CREATE TABLE async_rows.visits (appid text, ref_date date, visit_uv bigint) PARTITION BY LIST (appid);
SET wxa_test.emu_url = :'emu_url';
DO $$
DECLARE app text;
BEGIN
  FOR i IN 1..6 LOOP
    app := format('wx%s', lpad(to_hex(i), 16, '0'));
    EXECUTE format('CREATE SERVER async_app%s FOREIGN DATA WRAPPER wxa_fdw OPTIONS (appid %L, api_base_url %L)',
                   i, app, current_setting('wxa_test.emu_url'));
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER async_app%s OPTIONS (secret %L)', i, md5(app));
    EXECUTE format('CREATE FOREIGN TABLE async_rows.visits_%s PARTITION OF async_rows.visits FOR VALUES IN (%L) '
                   'SERVER async_app%s OPTIONS (endpoint %L)', i, app, i, 'daily_visit_trend');
  END LOOP;
END $$;
RESET wxa_test.emu_url;

-- the Append's rows and its scans' rows, from EXPLAIN (ANALYZE, FORMAT JSON)
CREATE FUNCTION pg_temp.row_counts(query text, OUT async_scans int, OUT append_rows numeric,
                                   OUT scan_rows numeric, OUT scans int)
LANGUAGE plpgsql AS $$
DECLARE plan jsonb; append jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || query INTO plan;
  append := plan -> 0 -> 'Plan';
  WHILE append ->> 'Node Type' <> 'Append' LOOP
    append := append -> 'Plans' -> 0;
  END LOOP;
  append_rows := (append ->> 'Actual Rows')::numeric;
  SELECT sum((p ->> 'Actual Rows')::numeric), count(*), count(*) FILTER (WHERE (p ->> 'Async Capable')::boolean)
    INTO scan_rows, scans, async_scans
  FROM jsonb_array_elements(append -> 'Plans') p;
END $$;

-- 6 apps x 20 days
SELECT * FROM pg_temp.row_counts($$SELECT * FROM async_rows.visits WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-20'$$);
SET enable_async_append = off;
SELECT * FROM pg_temp.row_counts($$SELECT * FROM async_rows.visits WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-20'$$);
RESET enable_async_append;
-- one day: most rows are answered while the Append configures its wait
SELECT * FROM pg_temp.row_counts($$SELECT * FROM async_rows.visits WHERE ref_date = '2024-03-02'$$);
-- under a LIMIT: the Append stops early; a scan may have answered a row the Append
-- never returned (asked for asynchronously before the Limit was satisfied), so the scans
-- count at least the Append's rows
SELECT append_rows, scan_rows >= append_rows AS scans_cover_append
FROM pg_temp.row_counts($$SELECT * FROM async_rows.visits WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-20' LIMIT 7$$);

DROP SCHEMA async_rows CASCADE;
DO $$ BEGIN FOR i IN 1..6 LOOP EXECUTE format('DROP SERVER async_app%s CASCADE', i); END LOOP; END $$;
