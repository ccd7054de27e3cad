-- Many code images in one call: one row per distinct element in the order given,
-- every element checked before anything is sent, a failing element is its own row,
-- a frequency limit (45009) slows the whole batch down instead of failing elements,
-- and a cancel ends the batch at once. Counted on the emulator.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset

-- one row per distinct element, in the order given; the images are the bytes served
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got AS
SELECT row_number() OVER () AS n, * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat',
  ARRAY['id=3', 'id=1', 'id=2', 'id=1', 'id=3'], page => 'pages/coupon/coupon');
SELECT n, scene, encode(substr(image, 1, 3), 'hex') AS magic, errcode, errmsg FROM got ORDER BY n;
\set requests `python3 test/emulator/emuctl.py count getwxacodeunlimit`
SELECT :requests AS requests;
-- the same bytes as the single-image function makes for the same arguments
SELECT bool_and(image = :ext.wxa_get_wxacode_unlimit('wechat', scene, page => 'pages/coupon/coupon')) AS same_images
FROM got;
-- A and C, with their arguments
SELECT path, encode(substr(image, 1, 4), 'hex') AS magic, errcode
FROM :ext.wxa_get_wxacode_batch('wechat', ARRAY['pages/index/index?id=1', 'pages/index/index?id=2'],
                                width => 280, is_hyaline => true, env_version => 'trial');
SELECT path, encode(substr(image, 1, 3), 'hex') AS magic, errcode
FROM :ext.wxa_create_qrcode_batch('wechat', ARRAY['pages/a', 'pages/b'], 1280);
-- no elements, no rows, no request
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', '{}');
\set requests `python3 test/emulator/emuctl.py count wxa`
SELECT :requests AS requests;

-- every element is checked before anything is sent: one bad element, an error
-- naming it, and nothing spent
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['ok', 'ok2', 'has space']);
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['ok', repeat('s', 33)]);
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['ok', NULL]);
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', NULL);
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY[['a', 'b'], ['c', 'd']]);
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['ok'], page => '/pages/index/index');
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', '{}', width => 100);
SELECT * FROM :ext.wxa_get_wxacode_batch('wechat', ARRAY['pages/a', '']);
SELECT * FROM :ext.wxa_get_wxacode_batch('wechat', ARRAY['pages/a'], env_version => 'beta');
SELECT * FROM :ext.wxa_create_qrcode_batch('wechat', ARRAY['pages/a', repeat('p', 129)]);
SELECT * FROM :ext.wxa_create_qrcode_batch('wechat', ARRAY['pages/a?scancode_time=1']);
\set requests `python3 test/emulator/emuctl.py count wxa`
SELECT :requests AS requests;

-- a failure of one element is its row; the others keep their images
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit errcode errcode=41030 match=bad-page >/dev/null
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit http status=502 times=-1 match=gateway >/dev/null
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit garbage match=garbled >/dev/null
SELECT scene, image IS NOT NULL AS has_image, errcode, errmsg
FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['a', 'bad-page', 'b', 'gateway', 'garbled', 'c']);
-- WeChat's errcode: one attempt; the gateway failure: 1 + max_retries (3)
\set gateway `python3 test/emulator/emuctl.py outcomes 502`
SELECT :gateway AS gateway_attempts;
-- 45029 (A and C's lifetime cap) is the row of each element that hit it
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py config code_quota=2 >/dev/null
-- (which element is the third to arrive depends on the concurrent requests' timing)
SELECT count(*) AS rows, count(image) AS images, min(errcode) AS errcode, min(errmsg) AS errmsg
FROM :ext.wxa_create_qrcode_batch('wechat', ARRAY['pages/1', 'pages/2', 'pages/3']);

-- what concerns the whole call raises: no USAGE, no user mapping, no token
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE ROLE wxa_batch_user;
SET ROLE wxa_batch_user;
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['a']);
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER wechat TO wxa_batch_user;
SET ROLE wxa_batch_user;
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['a']);
RESET ROLE;
REVOKE USAGE ON FOREIGN SERVER wechat FROM wxa_batch_user;
DROP ROLE wxa_batch_user;
\set emu_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
CREATE SERVER wechat_badsecret FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url :'emu_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_badsecret
  OPTIONS (secret 'ffffffffffffffffffffffffffffffff');
SELECT * FROM :ext.wxa_get_wxacode_unlimit_batch('wechat_badsecret', ARRAY['a', 'b']);
DROP SERVER wechat_badsecret CASCADE;
\set requests `python3 test/emulator/emuctl.py count wxa`
SELECT :requests AS image_requests;

-- the frequency limit: 300 scenes against 100 calls per 2 s. Every element is made;
-- the batch pauses together on 45009 instead of spending each element's retries
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py config unlimit_per_minute=100 unlimit_window_seconds=2 >/dev/null
SELECT count(*) AS rows, count(image) AS images, count(errcode) AS failed,
       count(DISTINCT image) AS distinct_images
FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY(SELECT 'n=' || i FROM generate_series(1, 300) i));
\set made `python3 test/emulator/emuctl.py outcomes 200 getwxacodeunlimit`
\set limited `python3 test/emulator/emuctl.py outcomes 45009`
-- 300 made; far fewer 45009 answers than 200 elements × (1 + max_retries)
SELECT :made AS made, :limited > 0 AS was_limited, :limited <= 60 AS few_45009;

-- a cancel or statement_timeout ends a batch at once, even with requests stalled
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit stall seconds=30 times=-1 >/dev/null
SET statement_timeout = '300ms';
SELECT count(*) FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY(SELECT 's' || i FROM generate_series(1, 50) i));
RESET statement_timeout;
-- it did not wait for the stalled answers: the emulator saw requests abandoned (connections
-- closed before their 30 s were up) and answered none; asked until it has noticed, at most 100 times
\set abandoned `n=0; for i in $(seq 100); do n=$(python3 test/emulator/emuctl.py outcomes abandoned getwxacodeunlimit); [ "$n" -gt 0 ] && break; sleep 0.1; done; echo "$n"`
\set made `python3 test/emulator/emuctl.py outcomes 200 getwxacodeunlimit`
SELECT :abandoned > 0 AS stalled_requests_abandoned, :made AS answered;
-- (the canceller asks every 50 ms, at most 400 times, until it finds the batch)
\! (for i in $(seq 400); do n=$(psql -X -q -A -t -d contrib_regression -c "SELECT count(pg_cancel_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'SELECT count(*) FROM %.wxa_get_wxacode_unlimit_batch(''wechat'', ARRAY[''c1''%' AND pid <> pg_backend_pid()" 2>/dev/null); [ "${n:-0}" -gt 0 ] && break; sleep 0.05; done) &
SELECT count(*) FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['c1', 'c2', 'c3']);
-- the backend still works
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(image) FROM :ext.wxa_get_wxacode_unlimit_batch('wechat', ARRAY['after']);
