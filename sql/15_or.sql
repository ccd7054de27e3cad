-- OR of date conditions: the union of the periods each branch allows, one
-- request per period, rows re-checked locally; an OR with a branch that does
-- not restrict the dates is the usual error.
\set count_daily 'python3 test/emulator/emuctl.py count getweanalysisappiddailyvisittrend'

-- two days: two requests, the rows of those days only
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date FROM wxa.daily_visit_trend
WHERE ref_date = '2024-05-01' OR ref_date = '2024-05-03' ORDER BY ref_date;
\set n `:count_daily`
SELECT :n AS requests;

-- a range OR a list, overlapping: every day once
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN '2024-05-01' AND '2024-05-03' OR ref_date IN ('2024-05-03', '2024-05-10')
ORDER BY ref_date;
\set n `:count_daily`
SELECT :n AS requests;

-- ANDed with a range that cuts one branch short; and branches that are ANDs themselves
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date FROM wxa.daily_visit_trend
WHERE (ref_date < '2024-05-03' AND ref_date >= '2024-04-30' OR ref_date = '2024-06-01')
  AND ref_date <= '2024-05-01' ORDER BY ref_date;
\set n `:count_daily`
SELECT :n AS requests;

-- a branch's unrecognised condition is re-checked locally, its date still narrows
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date FROM wxa.daily_visit_trend
WHERE (ref_date = '2024-05-01' AND visit_pv < 0) OR ref_date = '2024-05-02' ORDER BY ref_date;
\set n `:count_daily`
SELECT :n AS requests;

-- EXPLAIN counts the union
EXPLAIN (COSTS OFF)
SELECT * FROM wxa.daily_visit_trend WHERE ref_date = '2024-05-01' OR ref_date BETWEEN '2024-05-10' AND '2024-05-12';

-- parameters in the branches
PREPARE two_days(date, date) AS
  SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = $1 OR ref_date = $2;
\! python3 test/emulator/emuctl.py reset >/dev/null
EXECUTE two_days('2024-05-01', '2024-05-20');
EXECUTE two_days('2024-05-01', NULL);
\set n `:count_daily`
SELECT :n AS requests;
DEALLOCATE two_days;

-- weekly: a Monday or a month of weeks; a Wednesday gives no row and no request
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date, end_date FROM wxa.weekly_visit_trend
WHERE ref_date = '2024-01-03' OR ref_date = '2024-01-08' OR end_date BETWEEN '2024-02-01' AND '2024-02-14'
ORDER BY ref_date;
\set n `python3 test/emulator/emuctl.py count getweanalysisappidweeklyvisittrend`
SELECT :n AS requests;

-- monthly on end_date
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT ref_date, end_date FROM wxa.monthly_visit_trend
WHERE end_date = '2024-01-31' OR end_date = '2024-03-31' ORDER BY ref_date;
\set n `python3 test/emulator/emuctl.py count getweanalysisappidmonthlyvisittrend`
SELECT :n AS requests;

-- portrait: windows by (end_date, days) from each branch
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT DISTINCT ref_date, end_date, days FROM wxa.user_portrait
WHERE (end_date = '2024-03-31' AND days = 7) OR (end_date = '2024-03-10' AND days IN (1, 30))
ORDER BY end_date, days;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT DISTINCT end_date, days FROM wxa.user_portrait
WHERE end_date = '2024-03-31' AND (days = 1 OR days = 30) ORDER BY days;
\set n `python3 test/emulator/emuctl.py count getweanalysisappiduserportrait`
SELECT :n AS requests;

-- a branch without a date restriction: the usual error, nothing sent
\! python3 test/emulator/emuctl.py reset >/dev/null
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-05-01' OR visit_pv > 5;
SELECT count(*) FROM wxa.user_portrait WHERE end_date = '2024-03-31' OR days = 7;
-- ... unless an ANDed condition restricts the dates anyway
SELECT count(*) FROM wxa.daily_visit_trend
WHERE ref_date BETWEEN '2024-05-01' AND '2024-05-02' AND (ref_date = '2024-05-01' OR visit_pv >= 0);
-- a branch open towards the past: no lower bound
SELECT count(*) FROM wxa.daily_visit_trend WHERE ref_date = '2024-05-01' OR ref_date < '2024-01-01';
\set n `:count_daily`
SELECT :n AS requests;
