-- Hostile and broken answers: whatever comes back, a clear error or rows that
-- say exactly what WeChat sent -- never a crash, a hang, or silently fewer rows.
-- One case a day: the emulator answers each day's request with its own body
-- (faults read by emuctl faults, matched on the day in the request body).
-- Decided here: a value of another JSON type than documented goes through the
-- column's input function ("42" fits a bigint, "many" does not); duplicate rows
-- are returned as sent; a row without fields is a row of NULLs.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SERVER wechat_h FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_h OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE trend (ref_date date, visit_pv bigint, stay_time_uv float8)
  SERVER wechat_h OPTIONS (endpoint 'daily_visit_trend');
CREATE FOREIGN TABLE dist (ref_date date, index text, key integer, value bigint, label text)
  SERVER wechat_h OPTIONS (endpoint 'visit_distribution');
CREATE FOREIGN TABLE retain (ref_date date, user_type text, key integer, value bigint)
  SERVER wechat_h OPTIONS (endpoint 'daily_retain');
CREATE FOREIGN TABLE page (ref_date date, page_path text, page_visit_pv bigint)
  SERVER wechat_h OPTIONS (endpoint 'visit_page');
CREATE FOREIGN TABLE portrait (end_date date, days integer, user_type text, attribute text, id integer, name text, value bigint)
  SERVER wechat_h OPTIONS (endpoint 'user_portrait');

-- runs a query; its rows as text, or its SQLSTATE, message and (for a value
-- that does not fit) the context naming column and value
CREATE FUNCTION pg_temp.try(query text, OUT state text, OUT result text)
LANGUAGE sql AS $$
  SELECT c.state,
         CASE WHEN c.state = '00000' THEN c.result
              WHEN c.context LIKE 'column %' THEN c.message || ' [' || split_part(c.context, E'\n', 1) || ']'
              ELSE c.message END
  FROM wxa_test.caught(format('SELECT coalesce(string_agg(t::text, '' ''), ''(no rows)'') FROM (%s) t', query)) c
$$;

CREATE TEMP TABLE cases (day date, tbl text, what text, kind text DEFAULT 'body', body text, depth int);
INSERT INTO cases (day, tbl, what, body) VALUES
  ('2024-01-01', 'trend', 'a JSON array', '[]'),
  ('2024-01-02', 'trend', 'a JSON string', '"list"'),
  ('2024-01-03', 'trend', 'an empty body', ''),
  ('2024-01-04', 'trend', 'an empty object', '{}'),
  ('2024-01-05', 'trend', 'errcode 0 and nothing else', '{"errcode":0,"errmsg":"ok"}'),
  ('2024-01-06', 'trend', 'list null', '{"list":null}'),
  ('2024-01-07', 'trend', 'list an object', '{"list":{}}'),
  ('2024-01-08', 'trend', 'list a string', '{"list":"[]"}'),
  ('2024-01-09', 'trend', 'a row that is a number', '{"list":[1]}'),
  ('2024-01-10', 'trend', 'a row that is null', '{"list":[null]}'),
  ('2024-01-11', 'trend', 'two answers run together', '{"list":[]}{"list":[{"visit_pv":1}]}'),
  ('2024-01-12', 'trend', 'trailing bytes', '{"list":[]} ok'),
  ('2024-01-13', 'trend', 'bigint field: a word', '{"list":[{"ref_date":"20240113","visit_pv":"many"}]}'),
  ('2024-01-14', 'trend', 'bigint field: true', '{"list":[{"ref_date":"20240114","visit_pv":true}]}'),
  ('2024-01-15', 'trend', 'bigint field: 1.5', '{"list":[{"ref_date":"20240115","visit_pv":1.5}]}'),
  ('2024-01-16', 'trend', 'bigint field: 1e999', '{"list":[{"ref_date":"20240116","visit_pv":1e999}]}'),
  ('2024-01-17', 'trend', 'bigint field: 1e20', '{"list":[{"ref_date":"20240117","visit_pv":100000000000000000000}]}'),
  ('2024-01-18', 'trend', 'bigint field: an array', '{"list":[{"ref_date":"20240118","visit_pv":[1]}]}'),
  ('2024-01-19', 'trend', 'bigint field: an object', '{"list":[{"ref_date":"20240119","visit_pv":{"n":1}}]}'),
  ('2024-01-20', 'trend', 'bigint field: a numeric string', '{"list":[{"ref_date":"20240120","visit_pv":"42"}]}'),
  ('2024-01-21', 'trend', 'null and negative values', '{"list":[{"ref_date":"20240121","visit_pv":-7,"stay_time_uv":null}]}'),
  ('2024-01-22', 'trend', 'float field: a word', '{"list":[{"ref_date":"20240122","stay_time_uv":"long"}]}'),
  ('2024-01-23', 'trend', 'ref_date: month 13', '{"list":[{"ref_date":"20241323"}]}'),
  ('2024-01-24', 'trend', 'ref_date: a word', '{"list":[{"ref_date":"yesterday"}]}'),
  ('2024-01-25', 'trend', 'ref_date: a number', '{"list":[{"ref_date":20240125}]}'),
  ('2024-01-26', 'trend', 'ref_date: empty', '{"list":[{"ref_date":""}]}'),
  ('2024-01-27', 'trend', 'ref_date: another day', '{"list":[{"ref_date":"20240126","visit_pv":1}]}'),
  ('2024-01-28', 'trend', 'ref_date: Feb 30', '{"ref_date":"20240230","list":[]}'),
  ('2024-01-29', 'trend', 'two identical rows', '{"list":[{"ref_date":"20240129","visit_pv":5},{"ref_date":"20240129","visit_pv":5}]}'),
  ('2024-01-30', 'trend', 'a row without fields', '{"list":[{}]}'),
  ('2024-01-31', 'trend', 'a 64 MiB answer', NULL),
  ('2024-02-01', 'trend', 'nested 100 deep', NULL),
  ('2024-02-02', 'trend', 'nested 100000 deep', NULL),
  ('2024-02-03', 'trend', 'an HTML page', NULL),
  ('2024-02-04', 'trend', 'half an answer', NULL),
  ('2024-02-05', 'dist', 'index a number', '{"list":[{"index":5,"item_list":[]}]}'),
  ('2024-02-06', 'dist', 'item_list an object', '{"list":[{"index":"access_depth_info","item_list":{}}]}'),
  ('2024-02-07', 'dist', 'an item without value', '{"list":[{"index":"access_depth_info","item_list":[{"key":6}]}]}'),
  ('2024-02-08', 'dist', 'key -1e300', '{"list":[{"index":"access_depth_info","item_list":[{"key":-1e300,"value":1}]}]}'),
  ('2024-02-09', 'retain', 'neither user type', '{"ref_date":"20240209"}'),
  ('2024-02-10', 'retain', 'a user type an object', '{"visit_uv_new":{"key":0}}'),
  ('2024-02-11', 'retain', 'key a word', '{"visit_uv":[{"key":"zero","value":1}]}'),
  ('2024-02-12', 'retain', 'two identical rows', '{"visit_uv_new":[],"visit_uv":[{"key":1,"value":2},{"key":1,"value":2}]}'),
  ('2024-02-13', 'page', 'page_path a number', '{"list":[{"page_path":123,"page_visit_pv":1}]}'),
  ('2024-02-14', 'portrait', 'a user type an array', '{"visit_uv_new":[]}'),
  ('2024-02-15', 'portrait', 'an attribute an object', '{"visit_uv_new":{"province":{}}}'),
  ('2024-02-16', 'portrait', 'id a word', '{"visit_uv_new":{"province":[{"id":"x","name":"n","value":1}]}}'),
  ('2024-02-17', 'portrait', 'name an object', '{"visit_uv":{"genders":[{"id":1,"name":{"zh":"男"},"value":1}]}}');
UPDATE cases SET kind = 'huge' WHERE day = '2024-01-31';
UPDATE cases SET kind = 'nested', depth = 100 WHERE day = '2024-02-01';
UPDATE cases SET kind = 'nested', depth = 100000 WHERE day = '2024-02-02';
UPDATE cases SET kind = 'html' WHERE day = '2024-02-03';
UPDATE cases SET kind = 'truncated' WHERE day = '2024-02-04';
\! python3 test/emulator/emuctl.py reset >/dev/null
\copy (SELECT json_strip_nulls(json_build_object('path', 'datacube', 'kind', kind, 'match', to_char(day, 'YYYYMMDD'), 'body', body, 'depth', depth)) FROM cases) TO PROGRAM 'python3 test/emulator/emuctl.py faults >/dev/null' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SELECT c.day, c.what, r.state, r.result
FROM cases c,
     pg_temp.try(format('SELECT * FROM %I WHERE %s = %L', c.tbl,
                        CASE c.tbl WHEN 'portrait' THEN 'days = 1 AND end_date' ELSE 'ref_date' END, c.day)) r
ORDER BY c.day;
-- every case was answered by its own fault, and nothing was left over
\set fired `python3 test/emulator/emuctl.py stats | python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(s["faults_fired"].values()), len(s["faults_pending"]))'`
SELECT :'fired' AS "faults fired, pending", (SELECT count(*) FROM cases) AS cases;

-- text that is not UTF-8 (the byte 0xff): an error, never stored
\! python3 test/emulator/emuctl.py fault visitpage body 'body={"ref_date":"20240301","list":[{"page_path":"pages/\udcff","page_visit_pv":1}]}' >/dev/null
CREATE TABLE stored AS SELECT * FROM page WHERE ref_date = '2024-03-01';
-- a long value is returned whole; in an error it is cut
\! python3 test/emulator/emuctl.py fault visitpage body "body={\"list\":[{\"page_path\":\"$(printf 'p%.0s' $(seq 3000))\"}]}" >/dev/null
SELECT length(page_path) FROM page WHERE ref_date = '2024-03-02';
\! python3 test/emulator/emuctl.py fault visittrend body "body={\"list\":[{\"visit_pv\":\"$(printf '9%.0s' $(seq 3000))\"}]}" >/dev/null
SELECT length(pg_temp.try($$SELECT * FROM trend WHERE ref_date = '2024-03-03'$$)::text) < 3500 AS message_shorter_than_value;

-- the token and image endpoints: too large, not an image, wrong types
\! python3 test/emulator/emuctl.py fault getwxacode huge >/dev/null
SELECT :ext.wxa_get_wxacode('wechat_h', 'pages/index/index');
\! python3 test/emulator/emuctl.py fault getwxacode body body=GIF89a content_type=image/gif >/dev/null
SELECT :ext.wxa_get_wxacode('wechat_h', 'pages/index/index');
\! python3 test/emulator/emuctl.py fault getwxacode body body= content_type=image/jpeg >/dev/null
SELECT :ext.wxa_get_wxacode('wechat_h', 'pages/index/index');
CREATE TEMP TABLE token_cases (n int, what text, kind text DEFAULT 'body', body text);
INSERT INTO token_cases VALUES
  (1, 'a 64 MiB answer', 'huge', NULL),
  (2, 'access_token a number', 'body', '{"access_token":42,"expires_in":7200}'),
  (3, 'access_token of 600 characters', 'body', '{"access_token":"' || repeat('t', 600) || '","expires_in":7200}'),
  (4, 'expires_in a string', 'body', '{"access_token":"t0","expires_in":"7200"}'),
  (5, 'expires_in 1e999', 'body', '{"access_token":"t0","expires_in":1e999}'),
  (6, 'expires_in negative', 'body', '{"access_token":"t0","expires_in":-1}'),
  (7, 'nested 100000 deep', 'nested', NULL);
\copy (SELECT json_strip_nulls(json_build_object('path', 'stable_token', 'kind', kind, 'body', body, 'depth', CASE kind WHEN 'nested' THEN 100000 END)) FROM token_cases ORDER BY n) TO PROGRAM 'python3 test/emulator/emuctl.py faults >/dev/null' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
-- each case on a token cache emptied by ALTER SERVER
CREATE FUNCTION pg_temp.fetch_token(n int) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('ALTER SERVER wechat_h OPTIONS (SET max_retries %L)', '0');
  RETURN QUERY SELECT state || ' ' || result FROM pg_temp.try($q$SELECT * FROM trend WHERE ref_date = '2024-03-04'$q$);
END $$;
SELECT n, what, pg_temp.fetch_token(n) FROM token_cases ORDER BY n;

-- and after all that the backend still works
SELECT count(*) FROM trend WHERE ref_date BETWEEN '2024-03-01' AND '2024-03-07';

DROP SERVER wechat_h CASCADE;
