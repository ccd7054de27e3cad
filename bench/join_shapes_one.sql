-- One measurement of bench/join_shapes.sql: the query of shape :'shape' with the batched join
-- :batched, the emulator at :latency ms, in a fresh backend (VmHWM is the backend's peak so far).
\c
SET client_min_messages = warning;
SET wxa_fdw.enable_batched_join = :batched;
SELECT query, shape_plan(query) AS plan FROM shape_queries WHERE shape = :'shape' \gset
SELECT pg_backend_pid() AS pid \gset
\set hwm_before `grep VmHWM /proc/:pid/status | awk '{print $2}'`
\! python3 test/emulator/emuctl.py reset >/dev/null
\set lat_cmd 'python3 test/emulator/emuctl.py config latency_ms=' :latency ' >/dev/null'
\set ignored `:lat_cmd`
SELECT * FROM shape_count(:'query') \gset
\set hwm_after `grep VmHWM /proc/:pid/status | awk '{print $2}'`
\set reqs `:count_reqs`
INSERT INTO shape_runs VALUES (:'shape', :latency, :'batched'::boolean, :'plan', :n, :reqs, :ms,
                               :hwm_after - :hwm_before);
