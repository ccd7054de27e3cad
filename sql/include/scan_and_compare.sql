-- One section of 11_tables_weekly_monthly (included with \i): runs the scan
-- :scan into table got, counts its requests, loads what the emulator served
-- and compares row for row with the view :expected; the view :periods checks
-- the period of each request.
\! python3 test/emulator/emuctl.py reset >/dev/null
DROP TABLE IF EXISTS got;
TRUNCATE served;
CREATE TEMP TABLE got AS :scan;
\set n `python3 test/emulator/emuctl.py count datacube`
SELECT :n AS requests, count(*) AS rows FROM got;
\copy served FROM PROGRAM 'python3 test/emulator/emuctl.py served datacube'
SELECT * FROM served_requests, :periods;
SELECT count(*) AS served_rows FROM :expected;
(SELECT * FROM got EXCEPT ALL SELECT * FROM :expected)
UNION ALL
(SELECT * FROM :expected EXCEPT ALL SELECT * FROM got);
