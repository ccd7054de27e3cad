-- The proxy option: requests go through the given HTTP proxy (here the emulator
-- itself, which counts absolute-form requests as "proxied"), and nowhere else.
\set proxy_url 'http://127.0.0.1:' `echo "$WXA_EMULATOR_PORT"`
-- api_base_url names a loopback address where nothing listens: only the proxy can reach "WeChat"
CREATE SERVER wechat_proxied FOREIGN DATA WRAPPER wxa_fdw
  OPTIONS (appid 'wx1234567890abcdef', api_base_url 'http://127.0.0.2:9', proxy :'proxy_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wechat_proxied
  OPTIONS (secret '0123456789abcdef0123456789abcdef');
CREATE FOREIGN TABLE proxied_trend (ref_date date, visit_pv bigint)
  SERVER wechat_proxied OPTIONS (endpoint 'daily_visit_trend');
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM proxied_trend WHERE ref_date BETWEEN '2024-01-01' AND '2024-01-05';
\set proxied `python3 test/emulator/emuctl.py count proxied`
\set tokens `python3 test/emulator/emuctl.py count /cgi-bin/stable_token`
-- five data requests and the token fetch, all through the proxy
SELECT :proxied AS proxied_requests, :tokens AS token_fetches;
-- a proxy where nothing listens: the error names both, the API's host and the proxy
ALTER SERVER wechat_proxied OPTIONS (SET proxy 'http://127.0.0.1:9', ADD max_retries '0');
SELECT count(*) FROM proxied_trend WHERE ref_date = '2024-01-06';
-- without the proxy the same server cannot connect
ALTER SERVER wechat_proxied OPTIONS (DROP proxy, DROP max_retries);
SELECT count(*) FROM proxied_trend WHERE ref_date = '2024-01-06';
DROP SERVER wechat_proxied CASCADE;
