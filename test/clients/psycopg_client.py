#!/usr/bin/python3
"""A psycopg 3 client doing what users do with wxa_fdw: parameters and date ranges, a prepared
statement past the generic-plan switch, code images saved to files, errors caught by SQLSTATE.

Connects with the libpq environment (PGHOST, PGPORT, ...); the objects of test/clients/setup.sql
must exist. Prints one line "psycopg: N passed, N failed"; exits non-zero on a failure.
Run by test/clients/run (Debian's python3-psycopg, hence /usr/bin/python3).
"""
import datetime
import os
import sys
import tempfile

import psycopg
from psycopg import errors

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok: {name}")
    else:
        failed += 1
        print(f"FAILED: {name} {detail}")


def literal_rows(cur, first, last):
    """The same rows through a query with constants (the planner sees the dates)."""
    cur.execute(f"SELECT ref_date, visit_uv FROM wxa.daily_visit_trend "
                f"WHERE ref_date BETWEEN '{first}' AND '{last}' ORDER BY ref_date")
    return cur.fetchall()


def run(conn):
    cur = conn.cursor()
    d = datetime.date

    # a date range as parameters (client-side binding, then server-side $1 $2)
    first, last = d(2024, 3, 1), d(2024, 3, 14)
    cur.execute("SELECT ref_date, visit_uv FROM wxa.daily_visit_trend "
                "WHERE ref_date BETWEEN %s AND %s ORDER BY ref_date", (first, last))
    rows = cur.fetchall()
    expected = literal_rows(cur, first, last)
    check("date range as parameters: the rows of the same query with constants",
          rows == expected and len(rows) > 7, f"{len(rows)} rows vs {len(expected)}")
    check("date range: every ref_date inside the range, each once",
          all(first <= r[0] <= last for r in rows) and len({r[0] for r in rows}) == len(rows))
    check("ref_date comes back as datetime.date", all(isinstance(r[0], datetime.date) for r in rows))

    # a prepared statement executed more than 5 times: after the fifth, PostgreSQL may switch to
    # a generic plan, in which the dates are known only when the scan starts. A connection of
    # its own per plan_cache_mode, so that each has just this statement.
    for mode in ("auto", "force_generic_plan"):
        with psycopg.connect(options=f"-c plan_cache_mode={mode}") as pconn:
            pcur = pconn.cursor()
            bad = []
            for i in range(8):
                day = d(2024, 2, 1) + datetime.timedelta(days=3 * i)
                pcur.execute("SELECT ref_date, visit_uv FROM wxa.daily_visit_trend WHERE ref_date = %s",
                             (day,), prepare=True)
                got = pcur.fetchall()
                if got != literal_rows(cur, day, day):
                    bad.append((day, got))
            check(f"prepared statement, 8 executions, plan_cache_mode {mode}: each the day asked for",
                  not bad, repr(bad[:2]))
            pcur.execute("SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                         "WHERE statement LIKE '%daily_visit_trend WHERE ref_date = $1%'")
            plans = pcur.fetchall()
            if mode == "force_generic_plan":
                check("force_generic_plan: the executions used the generic plan",
                      len(plans) == 1 and plans[0][0] >= 8, repr(plans))
                # a range whose bounds are parameters, generic plan
                got = []
                for i in range(6):
                    lo = d(2024, 1, 1) + datetime.timedelta(days=7 * i)
                    hi = lo + datetime.timedelta(days=6)
                    pcur.execute("SELECT count(*) FROM wxa.daily_visit_trend "
                                 "WHERE ref_date BETWEEN %s AND %s", (lo, hi), prepare=True)
                    got.append(pcur.fetchone()[0] == len(literal_rows(cur, lo, hi)))
                check("prepared range, generic plan: the counts of the same ranges with constants",
                      all(got))
            else:
                check("auto: one server-side prepared statement, executed at least 6 times",
                      len(plans) == 1 and sum(plans[0]) >= 6, repr(plans))

    # code images as bytea, written to files and recognised by their magic bytes
    with tempfile.TemporaryDirectory() as tmp:
        cur.execute("SELECT wxa_get_wxacode('wechat', %s), "
                    "wxa_get_wxacode_unlimit('wechat', %s, check_path => false, is_hyaline => true)",
                    ("pages/index/index?from=psycopg", "coupon=42"))
        jpeg, png = cur.fetchone()
        check("bytea arrives as bytes", isinstance(jpeg, bytes) and isinstance(png, bytes))
        for name, data in (("code.jpg", jpeg), ("code.png", png)):
            with open(os.path.join(tmp, name), "wb") as f:
                f.write(data)
        with open(os.path.join(tmp, "code.jpg"), "rb") as f:
            j = f.read()
        with open(os.path.join(tmp, "code.png"), "rb") as f:
            p = f.read()
        check("code.jpg is a JPEG (FF D8 FF ... FF D9)",
              j[:3] == b"\xff\xd8\xff" and j[-2:] == b"\xff\xd9", repr(j[:4]))
        check("code.png is a PNG (signature ... IEND)",
              p[:8] == b"\x89PNG\r\n\x1a\n" and p[-12:-4] == b"\x00\x00\x00\x00IEND", repr(p[:8]))

    # errors by SQLSTATE, as an application catches them (autocommit: no transaction to roll
    # back); the session stays usable
    cases = [
        ("no date restriction", "SELECT count(*) FROM wxa.daily_visit_trend",
         (), errors.FeatureNotSupported, "0A000"),
        ("a scene with a space", "SELECT wxa_get_wxacode_unlimit('wechat', %s)",
         ("bad scene",), errors.InvalidParameterValue, "22023"),
        ("a login code used twice", "SELECT * FROM wxa_code2session('wechat', %s)",
         ("code_psycopg_1",), errors.InvalidParameterValue, "22023"),
    ]
    cur.execute("SELECT openid FROM wxa_code2session('wechat', 'code_psycopg_1')")
    check("code2session: an openid", bool(cur.fetchone()[0]))
    for what, sql, params, cls, state in cases:
        try:
            cur.execute(sql, params)
            check(f"{what}: {state}", False, "no error")
        except cls as e:
            # WeChat's errcodes and a missing restriction come with a hint; an argument's error
            # names the valid characters in its message
            check(f"{what}: {state} ({cls.__name__})",
                  e.sqlstate == state and (bool(e.diag.message_hint) or "may contain only" in str(e)),
                  f"{e.sqlstate} {e.diag.message_hint!r}: {e}")
        except psycopg.Error as e:
            check(f"{what}: {state}", False, f"got {e.sqlstate}: {e}")
    cur.execute("SELECT count(*) FROM wxa.daily_summary WHERE ref_date = %s", (d(2024, 3, 5),))
    check("the connection works after the errors", cur.fetchone()[0] in (0, 1))


def main():
    try:
        with psycopg.connect(autocommit=True) as conn:
            run(conn)
    except Exception as e:     # the program itself broke: one failure, with what happened
        check("the client ran to its end", False, f"{type(e).__name__}: {e}")
    print(f"psycopg: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
