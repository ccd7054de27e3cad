-- The daily tables other than daily_visit_trend (03): daily_summary,
-- visit_distribution, daily_retain and visit_page over a whole month. Each
-- sends one request per day, and its rows equal what the emulator served,
-- parsed here by PostgreSQL's own jsonb, independently of the wrapper's parser.
CREATE TEMP TABLE served (body jsonb, request jsonb);
-- what the requests of one section asked for
CREATE TEMP VIEW served_requests AS
  SELECT count(*) AS requests,
         count(DISTINCT request->>'begin_date') AS distinct_days,
         bool_and(request->>'begin_date' = request->>'end_date') AS one_day_each,
         min(request->>'begin_date') AS first, max(request->>'end_date') AS last
  FROM served;

-- daily_summary: the list shape, April 2023 (30 days, three of them without data)
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got_summary AS
  SELECT * FROM wxa.daily_summary WHERE ref_date BETWEEN '2023-04-01' AND '2023-04-30';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailysummarytrend`
SELECT :n AS requests, count(*) AS rows, count(DISTINCT ref_date) AS days FROM got_summary;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiddailysummarytrend'
SELECT * FROM served_requests;
CREATE TEMP VIEW expected_summary AS
  SELECT to_date(item->>'ref_date', 'YYYYMMDD') AS ref_date,
         (item->>'visit_total')::bigint AS visit_total,
         (item->>'share_pv')::bigint AS share_pv, (item->>'share_uv')::bigint AS share_uv
  FROM served, jsonb_array_elements(body->'list') AS item;
SELECT count(*) AS served_rows FROM expected_summary;
(SELECT * FROM got_summary EXCEPT ALL SELECT * FROM expected_summary)
UNION ALL
(SELECT * FROM expected_summary EXCEPT ALL SELECT * FROM got_summary);
-- the days without data are exactly those whose list was empty
SELECT (SELECT array_agg(to_date(request->>'begin_date', 'YYYYMMDD') ORDER BY request->>'begin_date')
        FROM served WHERE jsonb_array_length(body->'list') = 0) AS served_empty,
       (SELECT array_agg(d::date ORDER BY d)
        FROM generate_series('2023-04-01'::date, '2023-04-30', '1 day') AS d
        WHERE d::date NOT IN (SELECT ref_date FROM got_summary)) AS days_without_rows;
SELECT * FROM got_summary ORDER BY ref_date LIMIT 3;

-- visit_distribution: index/item_list, one row per key, with the documented label
CREATE TEMP TABLE documented_label (index text, key integer, label text);
INSERT INTO documented_label VALUES
  ('access_source_session_cnt', 1, '小程序历史列表'), ('access_source_session_cnt', 2, '搜索'),
  ('access_source_session_cnt', 3, '会话'), ('access_source_session_cnt', 4, '二维码'),
  ('access_source_session_cnt', 5, '公众号主页'), ('access_source_session_cnt', 6, '聊天顶部'),
  ('access_source_session_cnt', 7, '系统桌面'), ('access_source_session_cnt', 8, '小程序主页'),
  ('access_source_session_cnt', 9, '附近的小程序'), ('access_source_session_cnt', 10, '其他'),
  ('access_source_session_cnt', 11, '模板消息'), ('access_source_session_cnt', 12, '客服消息'),
  ('access_source_session_cnt', 13, '公众号菜单'), ('access_source_session_cnt', 14, 'APP分享'),
  ('access_source_session_cnt', 15, '支付完成页'), ('access_source_session_cnt', 16, '长按识别二维码'),
  ('access_source_session_cnt', 17, '相册选取二维码'), ('access_source_session_cnt', 18, '公众号文章'),
  ('access_staytime_info', 1, '0-2s'), ('access_staytime_info', 2, '3-5s'),
  ('access_staytime_info', 3, '6-10s'), ('access_staytime_info', 4, '11-20s'),
  ('access_staytime_info', 5, '20-30s'), ('access_staytime_info', 6, '30-50s'),
  ('access_staytime_info', 7, '50-100s'), ('access_staytime_info', 8, '>100s'),
  ('access_depth_info', 1, '1页'), ('access_depth_info', 2, '2页'), ('access_depth_info', 3, '3页'),
  ('access_depth_info', 4, '4页'), ('access_depth_info', 5, '5页'), ('access_depth_info', 6, '6-10页'),
  ('access_depth_info', 7, '>10页');
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got_distribution AS
  SELECT * FROM wxa.visit_distribution WHERE ref_date BETWEEN '2023-04-01' AND '2023-04-30';
\set n `python3 test/emulator/emuctl.py count getweanalysisappidvisitdistribution`
SELECT :n AS requests, count(*) AS rows, count(DISTINCT ref_date) AS days FROM got_distribution;
TRUNCATE served;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappidvisitdistribution'
SELECT * FROM served_requests;
CREATE TEMP VIEW expected_distribution AS
  SELECT to_date(body->>'ref_date', 'YYYYMMDD') AS ref_date, entry->>'index' AS index,
         (item->>'key')::integer AS key, (item->>'value')::bigint AS value, d.label
  FROM served CROSS JOIN LATERAL jsonb_array_elements(body->'list') AS entry
       CROSS JOIN LATERAL jsonb_array_elements(entry->'item_list') AS item
       LEFT JOIN documented_label d ON d.index = entry->>'index' AND d.key = (item->>'key')::integer;
SELECT count(*) AS served_rows FROM expected_distribution;
(SELECT * FROM got_distribution EXCEPT ALL SELECT * FROM expected_distribution)
UNION ALL
(SELECT * FROM expected_distribution EXCEPT ALL SELECT * FROM got_distribution);
-- every label the month produced, against the documented mapping: NULL only for
-- source keys the documentation does not list
SELECT g.index, g.key, g.label, count(*) AS rows, g.label IS NOT DISTINCT FROM d.label AS documented
FROM got_distribution g LEFT JOIN documented_label d USING (index, key)
GROUP BY 1, 2, 3, 5 ORDER BY 1, 2;
SELECT * FROM got_distribution WHERE ref_date = '2023-04-02' ORDER BY index, key;

-- daily_retain: visit_uv_new / visit_uv arrays become (user_type, key, value)
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got_retain AS
  SELECT * FROM wxa.daily_retain WHERE ref_date BETWEEN '2023-04-01' AND '2023-04-30';
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailyretaininfo`
SELECT :n AS requests, count(*) AS rows, count(DISTINCT ref_date) AS days FROM got_retain;
TRUNCATE served;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappiddailyretaininfo'
SELECT * FROM served_requests;
CREATE TEMP VIEW expected_retain AS
  SELECT to_date(body->>'ref_date', 'YYYYMMDD') AS ref_date, user_type,
         (item->>'key')::integer AS key, (item->>'value')::bigint AS value
  FROM served, unnest(ARRAY['visit_uv_new', 'visit_uv']) AS user_type,
       jsonb_array_elements(body->user_type) AS item;
SELECT count(*) AS served_rows FROM expected_retain;
(SELECT * FROM got_retain EXCEPT ALL SELECT * FROM expected_retain)
UNION ALL
(SELECT * FROM expected_retain EXCEPT ALL SELECT * FROM got_retain);
-- each day with data has keys 0-7, 14 and 30 for both user types
SELECT user_type, array_agg(DISTINCT key ORDER BY key) AS keys, count(DISTINCT ref_date) AS days
FROM got_retain GROUP BY 1 ORDER BY 1;
-- the days without data are the same for every daily endpoint
SELECT (SELECT array_agg(DISTINCT ref_date ORDER BY ref_date) FROM got_retain)
     = (SELECT array_agg(ref_date ORDER BY ref_date) FROM got_summary) AS same_days_as_summary,
       (SELECT array_agg(DISTINCT ref_date ORDER BY ref_date) FROM got_distribution)
     = (SELECT array_agg(ref_date ORDER BY ref_date) FROM got_summary) AS same_days_as_distribution;
SELECT * FROM got_retain WHERE ref_date = '2023-04-02' ORDER BY user_type DESC, key;

-- visit_page: one row per page
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got_page AS
  SELECT * FROM wxa.visit_page WHERE ref_date BETWEEN '2023-04-01' AND '2023-04-30';
\set n `python3 test/emulator/emuctl.py count getweanalysisappidvisitpage`
SELECT :n AS requests, count(*) AS rows, count(DISTINCT ref_date) AS days FROM got_page;
TRUNCATE served;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served getweanalysisappidvisitpage'
SELECT * FROM served_requests;
CREATE TEMP VIEW expected_page AS
  SELECT to_date(body->>'ref_date', 'YYYYMMDD') AS ref_date, item->>'page_path' AS page_path,
         (item->>'page_visit_pv')::bigint AS page_visit_pv,
         (item->>'page_visit_uv')::bigint AS page_visit_uv,
         (item->>'page_staytime_pv')::float8 AS page_staytime_pv,
         (item->>'entrypage_pv')::bigint AS entrypage_pv,
         (item->>'exitpage_pv')::bigint AS exitpage_pv,
         (item->>'page_share_pv')::bigint AS page_share_pv,
         (item->>'page_share_uv')::bigint AS page_share_uv
  FROM served, jsonb_array_elements(body->'list') AS item;
SELECT count(*) AS served_rows FROM expected_page;
(SELECT * FROM got_page EXCEPT ALL SELECT * FROM expected_page)
UNION ALL
(SELECT * FROM expected_page EXCEPT ALL SELECT * FROM got_page);
SELECT (SELECT array_agg(DISTINCT ref_date ORDER BY ref_date) FROM got_page)
     = (SELECT array_agg(ref_date ORDER BY ref_date) FROM got_summary) AS same_days_as_summary;
SELECT * FROM got_page WHERE ref_date = '2023-04-02' ORDER BY page_visit_pv DESC;

-- a day, a list of days (with a duplicate), a day without data, counted
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.visit_page WHERE ref_date = '2023-04-02';
SELECT count(*) FROM wxa.visit_page WHERE ref_date = '2023-04-18';
SELECT count(*) FROM wxa.daily_retain WHERE ref_date IN ('2023-04-05', '2023-04-02', '2023-04-05');
SELECT ref_date, count(*) FROM wxa.visit_distribution
WHERE ref_date = ANY (ARRAY['2023-04-18', '2023-04-19']::date[]) GROUP BY 1;
\set page `python3 test/emulator/emuctl.py count getweanalysisappidvisitpage`
\set retain `python3 test/emulator/emuctl.py count getweanalysisappiddailyretaininfo`
\set dist `python3 test/emulator/emuctl.py count getweanalysisappidvisitdistribution`
SELECT :page AS visit_page_requests, :retain AS daily_retain_requests, :dist AS distribution_requests;

-- nothing is sent for the future, a contradiction, or no rows at all
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_summary WHERE ref_date >= current_date + 1;
SELECT count(*) FROM wxa.visit_distribution WHERE ref_date BETWEEN current_date + 1 AND current_date + 40;
SELECT count(*) FROM wxa.daily_retain WHERE ref_date = current_date + 1;
SELECT count(*) FROM wxa.visit_page WHERE ref_date IN (current_date + 1, current_date + 2);
SELECT count(*) FROM wxa.visit_page WHERE ref_date > '2023-04-10' AND ref_date <= '2023-04-10';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;

-- more requests than max_requests, or no restriction: an error, nothing sent
SELECT count(*) FROM wxa.visit_page WHERE ref_date >= '2020-01-01' AND ref_date < '2023-01-01';
SELECT count(*) FROM wxa.daily_summary;
SELECT count(*) FROM wxa.visit_distribution WHERE key = 2;
SELECT count(*) FROM wxa.daily_retain WHERE ref_date < '2023-04-01';
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
-- the hint's WHERE clause works: 30 days, all of them past
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) >= 0 AS ran FROM wxa.daily_summary WHERE ref_date BETWEEN current_date - 30 AND current_date - 1;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiddailysummarytrend`
SELECT :n AS requests;
