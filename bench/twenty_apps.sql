-- Twenty apps (the emulator's wx0000000000000001.., secret md5(appid)), one partitioned table
-- per endpoint in schema apps, tokens fetched; included by bench/benchmark.sql and bench/joins.sql
CREATE SCHEMA apps;
SELECT count(*) FROM wxa_create_app_tables('apps') \gset parents_
SELECT count(*) FROM generate_series(1, 20) AS i,
  LATERAL wxa_add_app('app' || i, format('wx%s', lpad(to_hex(i), 16, '0')),
                      md5(format('wx%s', lpad(to_hex(i), 16, '0'))), 'apps',
                      jsonb_build_object('api_base_url', :'emu_url', 'sslrootcert', :'emu_ca')) \gset partitions_
-- tokens first (twenty fetches, concurrently)
SELECT count(*) FROM apps.daily_visit_trend WHERE ref_date = '2022-12-30' \gset warm_
