-- Code images: the bytes exactly as WeChat sent them, every argument checked
-- before a request spends quota, WeChat's errors with errcode and errmsg, and
-- the caller's own privileges and user mapping. Counted on the emulator.
-- http:// by default; test/run-tests runs this suite again over https (README: "Testing")
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
\set emu_url `echo "${WXA_EMULATOR_URL:-http://127.0.0.1:$WXA_EMULATOR_PORT}"`
\set emu_ca `echo "$WXA_EMULATOR_CA"`

-- the bytes returned are the bytes served: sha256 and length against the
-- emulator's journal, which also shows each request body as sent
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE TEMP TABLE got (n serial, call text, image bytea);
INSERT INTO got (call, image) VALUES
  ('A defaults', :ext.wxa_get_wxacode('wechat', 'pages/index/index?id=1')),
  ('A every argument', :ext.wxa_get_wxacode('wechat', 'pages/index/index', width => 1280,
      auto_color => true, line_color => '#FF8000', is_hyaline => true, env_version => 'trial')),
  ('A 128-byte path', :ext.wxa_get_wxacode(server => 'wechat', path => repeat('p', 128))),
  ('B defaults', :ext.wxa_get_wxacode_unlimit('wechat', 'id=42')),
  ('B every argument', :ext.wxa_get_wxacode_unlimit('wechat', scene => 'a-Z_0.9~!#$&''()*+,/:;=?@xyz', page => 'pages/coupon/coupon',
      check_path => false, width => 280, auto_color => false,
      line_color => '{"r":"12","g":0,"b":255}', is_hyaline => true, env_version => 'develop')),
  ('B 32-character scene', :ext.wxa_get_wxacode_unlimit('wechat', repeat('s', 32), 'pages/goods/detail')),
  ('C defaults', :ext.wxa_create_qrcode('wechat', 'pages/index?query=1')),
  ('C width', :ext.wxa_create_qrcode(server => 'wechat', path => 'pages/index', width => 1280));
CREATE TEMP TABLE served (n serial, body jsonb, request jsonb);
\copy served (body, request) FROM PROGRAM 'python3 test/emulator/emuctl.py served wxa'
SELECT n, call, encode(substr(image, 1, 4), 'hex') AS magic, body->>'content_type' AS served_as,
       encode(sha256(image), 'hex') = body->>'sha256' AS same_sha256,
       length(image) = (body->>'bytes')::int AS same_length
FROM got JOIN served USING (n) ORDER BY n;
SELECT n, request FROM served ORDER BY n;
\set requests `python3 test/emulator/emuctl.py count /wxa`
SELECT :requests AS image_requests;

-- every argument is checked before any request: none of these sends one
\! python3 test/emulator/emuctl.py reset >/dev/null
-- path: not empty, at most 128 bytes (bytes, not characters), no scancode_time
SELECT :ext.wxa_get_wxacode('wechat', '');
SELECT :ext.wxa_get_wxacode('wechat', repeat('p', 129));
SELECT :ext.wxa_create_qrcode('wechat', repeat('页', 43));
SELECT :ext.wxa_create_qrcode('wechat', '');
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index?scancode_time=1');
-- scene: 1..32 characters of 0-9 A-Z a-z !#$&'()*+,/:;=?@-._~
SELECT :ext.wxa_get_wxacode_unlimit('wechat', '');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', repeat('s', 33));
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1 2');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=100%');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id="1"');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=券');
-- page: no leading slash, no query string, not empty (NULL is the home page), no scancode_time
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', '/pages/index/index');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', 'pages/index/index?id=1');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', '');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', 'pages/scancode_time/index');
-- env_version
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', env_version => 'production');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', env_version => 'Release');
-- line_color: '#rrggbb' or the object form, components 0..255
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', line_color => '#fff');
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', line_color => 'red');
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', line_color => '#12345G');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":0,"g":256,"b":0}');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":0,"g":0,"b":-1}');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":0.5,"g":0,"b":0}');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":"x","g":0,"b":0}');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":0,"g":0}');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":0,"g":0,"b":0,"a":0}');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', line_color => '{"r":0,"g":0,"b":0');
-- width: 280..1280 on all three
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', width => 279);
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', width => 1281);
SELECT :ext.wxa_create_qrcode('wechat', 'pages/index/index', 0);
-- NULL: an error naming the argument, except line_color and page, whose default is NULL
SELECT :ext.wxa_get_wxacode(NULL, 'pages/index/index');
SELECT :ext.wxa_get_wxacode('wechat', NULL);
SELECT :ext.wxa_get_wxacode_unlimit('wechat', NULL);
SELECT :ext.wxa_create_qrcode('wechat', NULL);
SELECT :ext.wxa_create_qrcode('wechat', 'pages/index/index', NULL);
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', auto_color => NULL);
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index', is_hyaline => NULL);
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', check_path => NULL);
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', env_version => NULL);
-- servers that do not exist or belong to another wrapper
SELECT :ext.wxa_get_wxacode('no_such_server', 'pages/index/index');
CREATE FOREIGN DATA WRAPPER not_wxa;
CREATE SERVER not_wxa_server FOREIGN DATA WRAPPER not_wxa;
SELECT :ext.wxa_get_wxacode('not_wxa_server', 'pages/index/index');
DROP FOREIGN DATA WRAPPER not_wxa CASCADE;
\set requests `python3 test/emulator/emuctl.py count`
SELECT :requests AS requests_sent;
-- explicit NULLs for line_color and page are their defaults
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat', 'id=1', page => NULL, line_color => NULL)) > 0 AS image;
\copy served (body, request) FROM PROGRAM 'python3 test/emulator/emuctl.py served getwxacodeunlimit'
SELECT request FROM served ORDER BY n DESC LIMIT 1;

-- WeChat's errors carry errcode and errmsg, whatever the Content-Type: the
-- emulator labels successive errors in turn application/json,
-- application/json; encoding=utf-8 and text/plain, so the three in a row
-- after this reset (41030, 40159, 40169) come with all three
\! python3 test/emulator/emuctl.py reset >/dev/null
-- 41030: a page that is not published, unless check_path is false
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', 'pages/unpublished/index');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', 'pages/unpublished/index', check_path => false) IS NOT NULL AS image;
-- 40159 and 40169, as WeChat would answer rules it adds later
\! python3 test/emulator/emuctl.py fault getwxacode errcode errcode=40159 >/dev/null
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index');
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit errcode errcode=40169 >/dev/null
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1');
\set errors `python3 test/emulator/emuctl.py outcomes 41030` + `python3 test/emulator/emuctl.py outcomes 40159` + `python3 test/emulator/emuctl.py outcomes 40169`
SELECT :errors AS error_answers;
-- 45029: interfaces A and C share a lifetime quota of codes
\! python3 test/emulator/emuctl.py config code_quota=1 >/dev/null
SELECT length(:ext.wxa_create_qrcode('wechat', 'pages/index/index')) > 0 AS image;
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index');
SELECT :ext.wxa_create_qrcode('wechat', 'pages/index/index');
-- 45009, B's rate limit, is retried like other transient errors
\! python3 test/emulator/emuctl.py reset >/dev/null
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit errcode errcode=45009 times=2 >/dev/null
SELECT length(:ext.wxa_get_wxacode_unlimit('wechat', 'id=1')) > 0 AS image;
\set attempts `python3 test/emulator/emuctl.py count getwxacodeunlimit`
\set limited `python3 test/emulator/emuctl.py outcomes 45009`
SELECT :attempts AS attempts, :limited AS rate_limited;
-- ... until max_retries runs out
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit errcode errcode=45009 times=4 >/dev/null
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1');
-- an answer that is neither an image nor an errcode is an error too
\! python3 test/emulator/emuctl.py fault getwxacode garbage >/dev/null
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index');
\! python3 test/emulator/emuctl.py fault createwxaqrcode html times=4 >/dev/null
SELECT :ext.wxa_create_qrcode('wechat', 'pages/index/index');
-- an image whose connection drops halfway: without a Content-Length only its end tells
-- (a JPEG's EOI marker, a PNG's IEND chunk); with one, the transport knows and retries
\! python3 test/emulator/emuctl.py fault getwxacode cut >/dev/null
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index');
\! python3 test/emulator/emuctl.py fault getwxacodeunlimit cut >/dev/null
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1', is_hyaline => true);
\! python3 test/emulator/emuctl.py fault getwxacode cut announce=1 times=4 >/dev/null
-- (the emulator's host and port differ from run to run, and over https://: masked)
SELECT state, regexp_replace(message, 'host "[^"]*", port \d+', 'host "EMULATOR", port PORT') AS message, detail, hint
FROM wxa_test.caught(format($$SELECT %s.wxa_get_wxacode('wechat', 'pages/index/index')$$, :'ext')) \gx
\! python3 test/emulator/emuctl.py fault getwxacode cut announce=1 times=1 >/dev/null
SELECT length(:ext.wxa_get_wxacode('wechat', 'pages/index/index')) > 0 AS image;

-- privileges: USAGE on the server and the caller's own user mapping, checked
-- before anything is sent
\! python3 test/emulator/emuctl.py reset >/dev/null
CREATE ROLE wxa_fn_user;
SET ROLE wxa_fn_user;
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index');
SELECT :ext.wxa_get_wxacode_unlimit('wechat', 'id=1');
SELECT :ext.wxa_create_qrcode('wechat', 'pages/index/index');
SELECT * FROM :ext.wxa_code2session('wechat', 'code_from_wx_login');
RESET ROLE;
GRANT USAGE ON FOREIGN SERVER wechat TO wxa_fn_user;
SET ROLE wxa_fn_user;
SELECT :ext.wxa_get_wxacode('wechat', 'pages/index/index');
SELECT * FROM :ext.wxa_code2session('wechat', 'code_from_wx_login');
RESET ROLE;
\set requests `python3 test/emulator/emuctl.py count`
SELECT :requests AS requests_sent;
-- with a mapping of its own (here a PUBLIC one) the role may call
CREATE USER MAPPING FOR PUBLIC SERVER wechat OPTIONS (secret '0123456789abcdef0123456789abcdef');
SET ROLE wxa_fn_user;
SELECT length(:ext.wxa_get_wxacode('wechat', 'pages/index/index')) > 0 AS image;
RESET ROLE;
DROP USER MAPPING FOR PUBLIC SERVER wechat;
REVOKE USAGE ON FOREIGN SERVER wechat FROM wxa_fn_user;
DROP ROLE wxa_fn_user;
