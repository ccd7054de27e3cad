-- wxa_decrypt and wxa_werun_steps against data encrypted here with
--   openssl enc -aes-128-cbc -K <key hex> -iv <iv hex> -base64 -A
-- (AES-128-CBC with PKCS#7 padding, as WeChat encrypts encryptedData), and
-- each way decryption can fail, with errors that never quote the key, the IV
-- or the plaintext.
-- :ext is the extension's schema (test/installcheck-in-schema: one not on the search_path)
SELECT extnamespace::regnamespace AS ext FROM pg_extension WHERE extname = 'wxa_fdw' \gset
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set key_hex 00112233445566778899aabbccddeeff
\set iv_hex 0f0e0d0c0b0a09080706050403020100
SELECT encode(decode(:'key_hex', 'hex'), 'base64') AS key, encode(decode(:'iv_hex', 'hex'), 'base64') AS iv \gset

-- thirty days of WeRun data, each timestamp that day's 00:00 in Beijing
SELECT json_build_object(
         'stepInfoList', json_agg(json_build_object(
             'timestamp', extract(epoch FROM day AT TIME ZONE 'Asia/Shanghai')::bigint,
             'step', (extract(doy FROM day)::int * 379) % 20000) ORDER BY day),
         'watermark', json_build_object('timestamp', 1706745600, 'appid', 'wx1234567890abcdef')
       )::text AS werun_plain
FROM generate_series('2024-01-03'::timestamp, '2024-02-01', '1 day') AS day \gset
\set werun `printf '%s' :'werun_plain' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
\set user_plain '{"openId":"oUSER123","nickName":"微信用户","watermark":{"appid":"wx1234567890abcdef","timestamp":1706745600}}'
\set user `printf '%s' :'user_plain' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`

-- decrypted, with and without the watermark check, by position or by name
SELECT :ext.wxa_decrypt(:'user', :'iv', :'key') = :'user_plain'::jsonb AS decrypted;
SELECT :ext.wxa_decrypt(:'user', :'iv', :'key', 'wx1234567890abcdef');
SELECT :ext.wxa_decrypt(encrypted_data => :'user', iv => :'iv', session_key => :'key',
                        appid => 'wx1234567890abcdef') ->> 'nickName' AS nick_name;
SELECT :ext.wxa_decrypt(:'werun', :'iv', :'key', 'wx1234567890abcdef') = :'werun_plain'::jsonb AS decrypted;

-- WeRun: one row per entry, step_date the day in Beijing
SELECT * FROM :ext.wxa_werun_steps(:'werun', :'iv', :'key', 'wx1234567890abcdef') LIMIT 3;
SELECT count(*) AS days, min(step_date), max(step_date),
       bool_and(step_date = (step_time AT TIME ZONE 'Asia/Shanghai')::date) AS beijing_dates,
       bool_and((step_time AT TIME ZONE 'Asia/Shanghai')::time = '00:00') AS at_midnight
FROM :ext.wxa_werun_steps(:'werun', :'iv', :'key');
SELECT count(*) AS same_as_plaintext
FROM :ext.wxa_werun_steps(:'werun', :'iv', :'key') AS s
JOIN json_array_elements(:'werun_plain'::json -> 'stepInfoList') AS e
  ON (e->>'timestamp')::bigint = extract(epoch FROM s.step_time) AND (e->>'step')::int = s.step;
-- as stored in a table, one user's upload per row
CREATE TEMP TABLE werun_upload (openid text, encrypted_data text, iv text, session_key text);
INSERT INTO werun_upload VALUES ('oUSER123', :'werun', :'iv', :'key');
SELECT u.openid, s.step_date, s.step
FROM werun_upload AS u
CROSS JOIN LATERAL :ext.wxa_werun_steps(u.encrypted_data, u.iv, u.session_key, 'wx1234567890abcdef') AS s
ORDER BY s.step_date DESC LIMIT 2;

-- IMMUTABLE STRICT PARALLEL SAFE, and STRICT means NULL in, NULL out
-- (the extension's schema on the search_path here: PostgreSQL prints a function outside it with its schema)
SET search_path = "$user", public, :ext;
SELECT oid::regprocedure, provolatile, proisstrict, proparallel
FROM pg_proc WHERE proname IN ('wxa_decrypt', 'wxa_werun_steps') ORDER BY 1::text;
RESET search_path;
SELECT :ext.wxa_decrypt(NULL, :'iv', :'key') IS NULL AS null_data,
       :ext.wxa_decrypt(:'user', :'iv', :'key', NULL) IS NULL AS null_appid,
       (SELECT count(*) FROM :ext.wxa_werun_steps(:'werun', NULL, :'key')) AS null_iv_rows;

-- the watermark
SELECT :ext.wxa_decrypt(:'user', :'iv', :'key', 'wxfedcba0987654321');
SELECT * FROM :ext.wxa_werun_steps(:'werun', :'iv', :'key', 'wxfedcba0987654321');
\set no_watermark `printf '%s' '{"openId":"oUSER123"}' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
SELECT :ext.wxa_decrypt(:'no_watermark', :'iv', :'key') AS without_appid_check;
SELECT :ext.wxa_decrypt(:'no_watermark', :'iv', :'key', 'wx1234567890abcdef');

-- a wrong key breaks the padding; a wrong IV garbles the first block
SELECT :ext.wxa_decrypt(:'werun', :'iv', 'AAAAAAAAAAAAAAAAAAAAAA==');
SELECT :ext.wxa_decrypt(:'user', :'iv', 'AAAAAAAAAAAAAAAAAAAAAA==');
SELECT * FROM :ext.wxa_werun_steps(:'werun', :'iv', 'ZmVkY2JhOTg3NjU0MzIxMA==');
SELECT :ext.wxa_decrypt(:'user', 'AAAAAAAAAAAAAAAAAAAAAA==', :'key');
-- bad base64, per argument; a '+' that URL decoding made a space
SELECT :ext.wxa_decrypt('not base64!', :'iv', :'key');
SELECT :ext.wxa_decrypt(:'user', 'Dw4NDAsKCQgHBgUEAwIBAA', :'key');
SELECT :ext.wxa_decrypt(:'user', :'iv', 'ABEiM0RVZneImaq7zN3u_w==');
SELECT :ext.wxa_decrypt(replace(:'werun', '+', ' '), :'iv', :'key');
-- key and IV of 16 bytes; whole AES blocks
SELECT :ext.wxa_decrypt(:'user', :'iv', 'ABEiM0RVZneImaq7zN3u');
SELECT :ext.wxa_decrypt(:'user', 'Dw4NDAsKCQgHBgUEAwIBAA8=', :'key');
SELECT :ext.wxa_decrypt('', :'iv', :'key');
SELECT :ext.wxa_decrypt('AAAAAAAAAAAAAAAAAAAA', :'iv', :'key');
-- a plaintext that is not a JSON object, or that PostgreSQL's JSON rejects
\set not_json `printf '%s' 'not json at all' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
\set array `printf '%s' '[1,2,3]' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
\set nul `printf '%s' '{"a":"x\u0000y"}' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
SELECT :ext.wxa_decrypt(:'not_json', :'iv', :'key');
SELECT :ext.wxa_decrypt(:'array', :'iv', :'key');
SELECT :ext.wxa_decrypt(:'nul', :'iv', :'key');
-- WeRun steps need WeRun data
SELECT * FROM :ext.wxa_werun_steps(:'user', :'iv', :'key');
\set bad_entry `printf '%s' '{"stepInfoList":[{"timestamp":1706716800,"step":1},{"timestamp":1706803200,"step":"many"}]}' | openssl enc -aes-128-cbc -K :key_hex -iv :iv_hex -base64 -A`
SELECT * FROM :ext.wxa_werun_steps(:'bad_entry', :'iv', :'key');

-- none of these errors quotes the key, the IV or the plaintext
CREATE FUNCTION pg_temp.quotes(call text, secrets text[]) RETURNS text
LANGUAGE sql AS $$
  SELECT CASE WHEN c.state = '00000' THEN 'no error'
              ELSE c.state || ': ' ||
                   CASE WHEN EXISTS (SELECT FROM unnest(secrets) AS s
                                     WHERE position(s IN concat_ws(' ', c.message, c.detail, c.hint)) > 0)
                        THEN 'quotes a secret' ELSE 'quotes nothing secret' END END
  FROM wxa_test.caught(call) c
$$;
\set secrets 'ARRAY[' :'key' ',' :'iv' ', ''ABEiM0RVZneImaq7zN3u'', ''oUSER123'', ''not json'', ''微信'', ''many'']'
SELECT failure, pg_temp.quotes(call, :secrets) FROM (VALUES
  ('another app', format('SELECT %s.wxa_decrypt(%L, %L, %L, %L)', :'ext', :'user', :'iv', :'key', 'wxfedcba0987654321')),
  ('no watermark', format('SELECT %s.wxa_decrypt(%L, %L, %L, %L)', :'ext', :'no_watermark', :'iv', :'key', 'wx1234567890abcdef')),
  ('wrong key', format('SELECT %s.wxa_decrypt(%L, %L, %L)', :'ext', :'user', :'iv', 'AAAAAAAAAAAAAAAAAAAAAA==')),
  ('wrong iv', format('SELECT %s.wxa_decrypt(%L, %L, %L)', :'ext', :'user', 'AAAAAAAAAAAAAAAAAAAAAA==', :'key')),
  ('short key', format('SELECT %s.wxa_decrypt(%L, %L, %L)', :'ext', :'user', :'iv', 'ABEiM0RVZneImaq7zN3u')),
  ('bad base64', format('SELECT %s.wxa_decrypt(%L, %L, %L)', :'ext', :'user', :'iv', 'ABEiM0RVZneImaq7zN3u_w==')),
  ('not json', format('SELECT %s.wxa_decrypt(%L, %L, %L)', :'ext', :'not_json', :'iv', :'key')),
  ('nul in json', format('SELECT %s.wxa_decrypt(%L, %L, %L)', :'ext', :'nul', :'iv', :'key')),
  ('not werun', format('SELECT * FROM %s.wxa_werun_steps(%L, %L, %L)', :'ext', :'user', :'iv', :'key')),
  ('bad werun entry', format('SELECT * FROM %s.wxa_werun_steps(%L, %L, %L)', :'ext', :'bad_entry', :'iv', :'key'))
) AS t(failure, call);
