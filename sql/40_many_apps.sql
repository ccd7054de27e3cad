-- Many mini programs in one query: twenty apps set up with wxa_add_app, one
-- partitioned table per endpoint, the appid column, async Append, failures.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE SCHEMA apps;
-- the ten parent tables in one statement
SELECT count(*) AS parents FROM :ext.wxa_create_app_tables('apps');
\d apps.daily_visit_trend
-- twenty apps, each in one statement: server, user mapping, one partition per parent
-- (the emulator's extra apps wx0000000000000001.. have the secret md5(appid))
SELECT count(*) AS partitions
FROM generate_series(1, 20) AS i,
     LATERAL :ext.wxa_add_app('app' || i, format('wx%s', lpad(to_hex(i), 16, '0')),
                              md5(format('wx%s', lpad(to_hex(i), 16, '0'))), 'apps',
                              jsonb_build_object('api_base_url', :'emu_url')) AS p;
SELECT srvname, regexp_replace(array_to_string(srvoptions, ','), ':[0-9]+', ':PORT') AS options
FROM pg_foreign_server
WHERE srvname IN ('app1', 'app20') ORDER BY 1;

-- every app's row for one day, all scans started before any waits
CREATE FUNCTION pg_temp.plan_lines(query text, pattern text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE line text; n bigint := 0;
BEGIN
  FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
    IF line ~ pattern THEN n := n + 1; END IF;
  END LOOP;
  RETURN n;
END $$;
SELECT pg_temp.plan_lines($$SELECT * FROM apps.daily_visit_trend WHERE ref_date = '2024-03-02'$$,
                          'Async Foreign Scan') AS async_scans;
SELECT count(*) AS rows, count(DISTINCT appid) AS apps, min(appid), max(appid)
FROM apps.daily_visit_trend WHERE ref_date = '2024-03-02';
SELECT appid, ref_date, visit_uv FROM apps.daily_visit_trend
WHERE ref_date = '2024-03-02' ORDER BY appid LIMIT 3;
\! python3 test/emulator/emuctl.py count /datacube/
-- thirty days of twenty apps: 600 requests in one query
SELECT count(*) AS rows, count(DISTINCT appid) AS apps
FROM apps.daily_visit_trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-30';
-- other endpoints, other period kinds
SELECT count(DISTINCT appid) AS apps FROM apps.weekly_visit_trend WHERE ref_date = '2024-03-04';
SELECT count(DISTINCT appid) AS apps FROM apps.user_portrait WHERE end_date = '2024-03-10' AND days = 7;

-- a condition on appid: partition pruning, and on a foreign table itself no request at all
EXPLAIN (COSTS OFF) SELECT * FROM apps.daily_visit_trend
WHERE ref_date = '2024-03-02' AND appid = 'wx0000000000000003';
SELECT appid, visit_uv FROM apps.daily_visit_trend
WHERE ref_date = '2024-03-02' AND appid = 'wx0000000000000003';
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT * FROM apps.daily_visit_trend_app3 WHERE ref_date = '2024-03-02' AND appid = 'wx0000000000000004';
SELECT * FROM apps.daily_visit_trend_app3 WHERE appid IN ('a', 'b');
EXPLAIN (COSTS OFF) SELECT * FROM apps.daily_visit_trend_app3 WHERE appid = 'a';
SELECT count(*) FROM apps.daily_visit_trend_app3 WHERE ref_date = '2024-03-02' AND appid LIKE 'wx%';
\! python3 test/emulator/emuctl.py count /datacube/

-- async_capable: off for a server, on again for one of its tables (the table wins)
ALTER SERVER app2 OPTIONS (ADD async_capable 'false');
SELECT pg_temp.plan_lines($$SELECT * FROM apps.daily_visit_trend WHERE ref_date = '2024-03-02'
                            AND appid IN ('wx0000000000000001', 'wx0000000000000002')$$,
                          '^\s*->  Foreign Scan') AS sync_scans;
ALTER FOREIGN TABLE apps.daily_visit_trend_app2 OPTIONS (ADD async_capable 'true');
SELECT pg_temp.plan_lines($$SELECT * FROM apps.daily_visit_trend WHERE ref_date = '2024-03-02'
                            AND appid IN ('wx0000000000000001', 'wx0000000000000002')$$,
                          'Async Foreign Scan') AS async_scans;
ALTER SERVER app2 OPTIONS (SET async_capable 'maybe');

-- UNION ALL, a join (nested loop rescans), a materialized view
SELECT pg_temp.plan_lines($$SELECT ref_date FROM apps.daily_visit_trend_app1 WHERE ref_date = '2024-03-02'
                            UNION ALL
                            SELECT ref_date FROM apps.daily_summary_app5 WHERE ref_date = '2024-03-02'$$,
                          'Async Foreign Scan') AS async_scans;
SELECT count(*) FROM (SELECT ref_date FROM apps.daily_visit_trend_app1 WHERE ref_date = '2024-03-02'
                      UNION ALL
                      SELECT ref_date FROM apps.daily_summary_app5 WHERE ref_date = '2024-03-02') u;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT d.day, count(v.appid) AS apps
FROM (VALUES (date '2024-03-02'), ('2024-03-05'), ('2024-03-09')) AS d(day)
JOIN apps.daily_visit_trend v ON v.ref_date = d.day
GROUP BY 1 ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;
-- a business table joined to the partitioned table: the batched join reads all the partitions
-- (each batch's periods of every app sent together, each once), the same rows
-- as with the batched join off (a nested loop over the Append)
CREATE TABLE app_days (day date);
INSERT INTO app_days VALUES ('2024-03-02'), ('2024-03-05'), ('2024-03-05'), ('2024-03-09');
ANALYZE app_days;
SELECT pg_temp.plan_lines($$SELECT d.day, v.appid FROM app_days d JOIN apps.daily_visit_trend v ON v.ref_date = d.day$$,
                          'WxaBatchedJoin') AS batched_joins,
       pg_temp.plan_lines($$SELECT d.day, v.appid FROM app_days d JOIN apps.daily_visit_trend v ON v.ref_date = d.day$$,
                          '(20 partitions read)') AS partitions_read;
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TABLE app_join_on AS
  SELECT d.day, v.appid, v.visit_uv FROM app_days d JOIN apps.daily_visit_trend v ON v.ref_date = d.day;
-- three days of twenty apps
\! python3 test/emulator/emuctl.py count /datacube/
SET wxa_fdw.enable_batched_join = off;
CREATE TABLE app_join_off AS
  SELECT d.day, v.appid, v.visit_uv FROM app_days d JOIN apps.daily_visit_trend v ON v.ref_date = d.day;
RESET wxa_fdw.enable_batched_join;
SELECT count(*) AS rows, count(DISTINCT appid) AS apps,
       NOT EXISTS (SELECT * FROM app_join_on EXCEPT ALL SELECT * FROM app_join_off)
       AND NOT EXISTS (SELECT * FROM app_join_off EXCEPT ALL SELECT * FROM app_join_on) AS same
FROM app_join_on;
DROP TABLE app_join_on, app_join_off;
-- the partitioned table's own range besides the join clause, checked by the join with its own;
-- the same rows as the nested loop
SELECT pg_temp.plan_lines($$SELECT d.day, v.appid FROM app_days d JOIN apps.daily_visit_trend v
                            ON v.ref_date = d.day AND v.ref_date BETWEEN '2024-03-02' AND '2024-03-03'$$,
                          '(20 partitions read)') AS partitions_read;
CREATE TABLE app_join_on AS
  SELECT d.day, v.appid, v.visit_uv FROM app_days d JOIN apps.daily_visit_trend v
    ON v.ref_date = d.day AND v.ref_date BETWEEN '2024-03-02' AND '2024-03-03';
SET wxa_fdw.enable_batched_join = off;
CREATE TABLE app_join_off AS
  SELECT d.day, v.appid, v.visit_uv FROM app_days d JOIN apps.daily_visit_trend v
    ON v.ref_date = d.day AND v.ref_date BETWEEN '2024-03-02' AND '2024-03-03';
RESET wxa_fdw.enable_batched_join;
SELECT count(*) AS rows, count(DISTINCT appid) AS apps,
       NOT EXISTS (SELECT * FROM app_join_on EXCEPT ALL SELECT * FROM app_join_off)
       AND NOT EXISTS (SELECT * FROM app_join_off EXCEPT ALL SELECT * FROM app_join_on) AS same
FROM app_join_on;
DROP TABLE app_join_on, app_join_off;
-- a LEFT join with a day no app has, to two apps (the others pruned when planning)
INSERT INTO app_days VALUES ('2099-01-01');
SELECT pg_temp.plan_lines($$SELECT d.day, v.appid FROM app_days d LEFT JOIN apps.daily_visit_trend v
                            ON v.ref_date = d.day AND v.appid IN ('wx0000000000000003', 'wx0000000000000005')$$,
                          '(2 partitions read)') AS partitions_read;
CREATE TABLE app_join_on AS
  SELECT d.day, v.appid FROM app_days d LEFT JOIN apps.daily_visit_trend v
    ON v.ref_date = d.day AND v.appid IN ('wx0000000000000003', 'wx0000000000000005');
SET wxa_fdw.enable_batched_join = off;
CREATE TABLE app_join_off AS
  SELECT d.day, v.appid FROM app_days d LEFT JOIN apps.daily_visit_trend v
    ON v.ref_date = d.day AND v.appid IN ('wx0000000000000003', 'wx0000000000000005');
RESET wxa_fdw.enable_batched_join;
SELECT count(*) AS rows, count(appid) AS matched,
       NOT EXISTS (SELECT * FROM app_join_on EXCEPT ALL SELECT * FROM app_join_off)
       AND NOT EXISTS (SELECT * FROM app_join_off EXCEPT ALL SELECT * FROM app_join_on) AS same
FROM app_join_on;
DROP TABLE app_join_on, app_join_off;
-- joined to one app's foreign table: the batched join, every row with that app's appid, each
-- day fetched once
SELECT pg_temp.plan_lines($$SELECT d.day, v.appid FROM app_days d JOIN apps.daily_visit_trend_app3 v ON v.ref_date = d.day$$,
                          'WxaBatchedJoin') AS batched_joins;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT d.day, v.appid, v.visit_uv > 0 AS visits
FROM app_days d JOIN apps.daily_visit_trend_app3 v ON v.ref_date = d.day ORDER BY 1;
\! python3 test/emulator/emuctl.py count /datacube/
-- a condition on appid that excludes the server: no row and no request
SELECT count(*) FROM app_days d JOIN apps.daily_visit_trend_app3 v
  ON v.ref_date = d.day AND v.appid = 'wx0000000000000004';
\! python3 test/emulator/emuctl.py count /datacube/
DROP TABLE app_days;
CREATE MATERIALIZED VIEW apps.yesterday AS
  SELECT appid, visit_uv FROM apps.daily_visit_trend WHERE ref_date = '2024-03-02';
REFRESH MATERIALIZED VIEW apps.yesterday;
SELECT count(*) FROM apps.yesterday;

-- one app failing fails the query, naming its server and appid
ALTER USER MAPPING FOR CURRENT_USER SERVER app7 OPTIONS (SET secret 'fedcba9876543210fedcba9876543210');
SELECT count(*) FROM apps.daily_visit_trend WHERE ref_date = '2024-03-03';
DO $$ BEGIN
  EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER app7 OPTIONS (SET secret %L)',
                 md5('wx0000000000000007'));
END $$;
\! python3 test/emulator/emuctl.py fault datacube http status=500 times=100 >/dev/null
SELECT count(*) FROM apps.daily_visit_trend_app9 WHERE ref_date = '2024-03-03';
\! python3 test/emulator/emuctl.py reset >/dev/null
-- and the next query over all apps works again
SELECT count(DISTINCT appid) AS apps FROM apps.daily_visit_trend WHERE ref_date = '2024-03-02';

-- EXPLAIN ANALYZE: each asynchronous scan shows its Network wait, the waits of the Append that
-- it took part in. How long they are is timing, not correctness: bench/run-benchmark measures
-- the twenty apps (async Append on and off); here only that every scan reports one.
CREATE FUNCTION pg_temp.scan_waits(query text) RETURNS TABLE (scans bigint, async bigint, waited bigint)
LANGUAGE plpgsql AS $$
DECLARE plan jsonb;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || query INTO plan;
  RETURN QUERY
    SELECT count(*), count(*) FILTER (WHERE (s->>'Async Capable')::boolean),
           count(*) FILTER (WHERE (s->>'Network wait')::float8 >= 0)
    FROM jsonb_path_query(plan, 'strict $.**?(@."Node Type" == "Foreign Scan")') AS s;
END $$;
SELECT * FROM pg_temp.scan_waits($$SELECT * FROM apps.daily_visit_trend WHERE ref_date = '2024-03-05'$$);

-- IMPORT FOREIGN SCHEMA with the appid column
CREATE SCHEMA app1_import;
IMPORT FOREIGN SCHEMA wxa LIMIT TO (daily_summary) FROM SERVER app1 INTO app1_import
  OPTIONS (appid_column 'true');
\d app1_import.daily_summary
SELECT * FROM app1_import.daily_summary WHERE ref_date = '2024-03-02';
IMPORT FOREIGN SCHEMA wxa FROM SERVER app1 INTO app1_import OPTIONS (appid_colum 'true');
-- the appid column is text or varchar
CREATE FOREIGN TABLE app1_import.bad_appid (appid integer, ref_date date)
  SERVER app1 OPTIONS (endpoint 'daily_summary');
SELECT * FROM app1_import.bad_appid WHERE ref_date = '2024-03-02';
CREATE FOREIGN TABLE app1_import.short_appid (appid varchar(4), ref_date date)
  SERVER app1 OPTIONS (endpoint 'daily_summary');
SELECT * FROM app1_import.short_appid WHERE ref_date = '2024-03-02';

-- the setting bounding one backend's requests in flight
SHOW wxa_fdw.max_total_concurrency;
SET wxa_fdw.max_total_concurrency = 0;
SET wxa_fdw.max_total_concurrency = 2;
SELECT count(*) AS rows, count(DISTINCT appid) AS apps
FROM apps.daily_visit_trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-03';
RESET wxa_fdw.max_total_concurrency;
