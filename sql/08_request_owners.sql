-- What a statement or a cursor sent ends with it (README: "Many mini programs"):
-- each batch of requests belongs to the resource owner of the portal or the
-- transaction that started it, and stops when that owner is released, on
-- every path (05_faults: errors and cancels). A cursor opened before a
-- savepoint and first read after it keeps its requests when the savepoint is
-- rolled back, as the cursor itself lives on: each day is fetched once.
\! python3 test/emulator/emuctl.py reset >/dev/null
BEGIN;
DECLARE c NO SCROLL CURSOR FOR
  SELECT ref_date, visit_uv FROM wxa.daily_visit_trend WHERE ref_date BETWEEN '2024-05-01' AND '2024-05-06';
SAVEPOINT s;
FETCH 2 FROM c;
SELECT 1 / 0;
ROLLBACK TO SAVEPOINT s;
FETCH ALL FROM c;
COMMIT;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests;
