"""Tests of the WeChat API emulator.  Run: python3 -m unittest discover -s test/emulator -v"""

import base64
import concurrent.futures
import datetime
import hashlib
import http.client
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
EMUCTL = os.path.join(HERE, "emuctl.py")
sys.path.insert(0, HERE)
import wechat_emulator as emu  # noqa: E402  (for its tables: the tests check against them)

APP1, SECRET1 = "wx1234567890abcdef", "0123456789abcdef0123456789abcdef"
APP2, SECRET2 = "wxfedcba0987654321", "fedcba9876543210fedcba9876543210"
DC = "/datacube/"
DAY = "20240301"            # a Friday, long past
MONDAY, SUNDAY = "20240304", "20240310"

PROC = None
PORT = None
TMPDIR = None


def setUpModule():
    global PROC, PORT, TMPDIR
    TMPDIR = tempfile.mkdtemp(prefix="wxa-emu-test-")
    port_file = os.path.join(TMPDIR, "port")
    PROC = subprocess.Popen([sys.executable, os.path.join(HERE, "wechat_emulator.py"),
                             "--port", "0", "--port-file", port_file])
    deadline = time.monotonic() + 10
    while not os.path.exists(port_file):
        if time.monotonic() > deadline or PROC.poll() is not None:
            raise RuntimeError("emulator did not start")
        time.sleep(0.02)
    with open(port_file) as f:
        PORT = int(f.read())


def tearDownModule():
    PROC.terminate()
    PROC.wait(timeout=5)
    shutil.rmtree(TMPDIR, ignore_errors=True)


# ------------------------------------------------------------------------------------------

class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def ctype(self):
        return self.headers.get("Content-Type", "")

    def json(self):
        return json.loads(self.body.decode("utf-8"))


def request(method, path, body=None, conn=None, raw_body=False):
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", PORT, timeout=20)
    try:
        if body is not None and not raw_body:
            body = json.dumps(body)
        conn.request(method, path, body=body)
        r = conn.getresponse()
        return Resp(r.status, r.headers, r.read())
    finally:
        if own:
            conn.close()


def control(method, path, body=None):
    return request(method, "/__emu/" + path, body).json()


def emuctl(*args):
    env = dict(os.environ, WXA_EMULATOR_PORT=str(PORT))
    return subprocess.run([sys.executable, EMUCTL, *args], env=env, capture_output=True, timeout=30)


def stable_token(appid=APP1, secret=SECRET1, force=False):
    return request("POST", "/cgi-bin/stable_token",
                   {"grant_type": "client_credential", "appid": appid, "secret": secret,
                    "force_refresh": force}).json()


def classic_token(appid=APP1, secret=SECRET1):
    return request("GET", f"/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}").json()


def datacube(name, begin, end, token):
    return request("POST", f"{DC}{name}?access_token={token}", {"begin_date": begin, "end_date": end})


def errcode(resp):
    return resp.json().get("errcode")


class EmuTestCase(unittest.TestCase):
    def setUp(self):
        control("POST", "reset", {"tokens": True})
        self.token = stable_token()["access_token"]

    def assertErr(self, resp, code):
        self.assertEqual(resp.status, 200)
        self.assertEqual(errcode(resp), code, resp.body)


# ------------------------------------------------------------------------------------------

class TokenTests(EmuTestCase):
    def test_classic_each_call_new_and_grace(self):
        control("POST", "config", {"old_token_grace": 1})
        t1 = classic_token()
        self.assertEqual(t1["expires_in"], 7200)
        self.assertRegex(t1["access_token"], r"^[A-Za-z0-9_-]{32,}$")
        t2 = classic_token()["access_token"]
        self.assertNotEqual(t1["access_token"], t2)
        self.assertEqual(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, t1["access_token"]).status, 200)
        self.assertNotIn("errcode", datacube("getweanalysisappiddailysummarytrend", DAY, DAY, t1["access_token"]).json())
        time.sleep(1.1)
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, t1["access_token"]), 40001)
        self.assertNotIn("errcode", datacube("getweanalysisappiddailysummarytrend", DAY, DAY, t2).json())

    def test_stable_shared_and_force_refresh(self):
        again = stable_token()
        self.assertEqual(again["access_token"], self.token)
        self.assertIsInstance(again["expires_in"], int)
        self.assertTrue(0 < again["expires_in"] <= 7200)
        new = stable_token(force=True)["access_token"]
        self.assertNotEqual(new, self.token)
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token), 40001)
        self.assertEqual(stable_token()["access_token"], new)
        self.assertEqual(control("GET", "token?appid=" + APP1)["access_token"], new)
        # classic and stable tokens do not affect each other
        classic_token()
        self.assertEqual(stable_token()["access_token"], new)

    def test_token_errors(self):
        self.assertEqual(classic_token("wx0000000000000000")["errcode"], 40013)
        self.assertEqual(classic_token(APP1, SECRET2)["errcode"], 40125)
        self.assertEqual(request("GET", f"/cgi-bin/token?appid={APP1}&secret={SECRET1}").json()["errcode"], 40002)
        self.assertEqual(request("GET", f"/cgi-bin/token?grant_type=client_credential&secret={SECRET1}").json()["errcode"], 41002)
        self.assertEqual(request("GET", f"/cgi-bin/token?grant_type=client_credential&appid={APP1}").json()["errcode"], 41004)
        self.assertEqual(stable_token("wx0000000000000000")["errcode"], 40013)
        self.assertEqual(stable_token(APP2, SECRET1)["errcode"], 40125)
        post = lambda b: request("POST", "/cgi-bin/stable_token", b, raw_body=isinstance(b, str))
        self.assertErr(post("grant_type=client_credential"), 47001)
        self.assertErr(post({"appid": APP1, "secret": SECRET1}), 40002)
        self.assertErr(post({"grant_type": "client_credential", "secret": SECRET1}), 41002)
        self.assertErr(post({"grant_type": "client_credential", "appid": APP1}), 41004)

    def test_access_token_errors(self):
        name = "getweanalysisappiddailysummarytrend"
        self.assertErr(request("POST", DC + name, {"begin_date": DAY, "end_date": DAY}), 41001)
        self.assertErr(datacube(name, DAY, DAY, "nope"), 40001)
        control("POST", "config", {"token_ttl": 1})
        short = stable_token(force=True)
        self.assertEqual(short["expires_in"], 1)
        time.sleep(1.05)
        self.assertErr(datacube(name, DAY, DAY, short["access_token"]), 42001)
        self.assertNotEqual(stable_token()["access_token"], short["access_token"])

    def test_revoke(self):
        other = stable_token(APP2, SECRET2)["access_token"]
        control("POST", "revoke", {"appid": APP1})
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token), 40001)
        self.assertNotIn("errcode", datacube("getweanalysisappiddailysummarytrend", DAY, DAY, other).json())
        fresh = stable_token()["access_token"]
        self.assertNotEqual(fresh, self.token)
        control("POST", "revoke", {})
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, other), 40001)
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, fresh), 40001)

    def test_reset_keeps_tokens_unless_asked(self):
        control("POST", "reset")
        self.assertEqual(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token).status, 200)
        self.assertIsNone(errcode(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token)))
        control("POST", "reset", {"tokens": True})
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token), 40001)


# ------------------------------------------------------------------------------------------

VALID_PERIODS = {"day": (DAY, DAY), "week": (MONDAY, SUNDAY), "month": ("20240201", "20240229"),
                 "portrait": ("20240201", "20240207")}
TREND_FIELDS = {"ref_date", "session_cnt", "visit_pv", "visit_uv", "visit_uv_new",
                "stay_time_uv", "stay_time_session", "visit_depth"}


def known(obj, fields):
    """obj without the one unknown extra field every object carries."""
    extra = set(obj) - set(fields)
    assert len(extra) == 1, (obj, extra)
    return {k: v for k, v in obj.items() if k in fields}


class DatacubeTests(EmuTestCase):
    def call(self, name, begin=None, end=None, token=None):
        if begin is None:
            begin, end = VALID_PERIODS[emu.DATACUBE[name].kind]
        r = datacube(name, begin, end, token or self.token)
        self.assertEqual(r.status, 200)
        return r

    def test_all_ten_endpoints_answer(self):
        self.assertEqual(len(emu.DATACUBE), 10)
        for name in emu.DATACUBE:
            r = self.call(name)
            self.assertEqual(r.ctype, "application/json; encoding=utf-8")
            self.assertNotIn("errcode", r.json(), name)

    def test_ref_date_forms(self):
        self.assertEqual(self.call("getweanalysisappiddailyvisittrend").json()["list"][0]["ref_date"], DAY)
        self.assertEqual(self.call("getweanalysisappidweeklyvisittrend").json()["list"][0]["ref_date"], f"{MONDAY}-{SUNDAY}")
        self.assertEqual(self.call("getweanalysisappidmonthlyvisittrend").json()["list"][0]["ref_date"], "202402")
        self.assertEqual(self.call("getweanalysisappidweeklyretaininfo").json()["ref_date"], f"{MONDAY}-{SUNDAY}")
        p = self.call("getweanalysisappiduserportrait", "2024-02-01", "2024-02-07").json()
        self.assertEqual(p["ref_date"], "20240201-20240207")

    def test_deterministic_and_per_app(self):
        a = self.call("getweanalysisappidvisitpage").body
        self.assertEqual(a, self.call("getweanalysisappidvisitpage").body)
        other = stable_token(APP2, SECRET2)["access_token"]
        self.assertNotEqual(a, self.call("getweanalysisappidvisitpage", token=other).body)

    def test_trend_shape_types_and_realism(self):
        omitted, extras = set(), set()
        for i in range(60):
            day = (datetime.date(2024, 1, 1) + datetime.timedelta(days=i)).strftime("%Y%m%d")
            doc = self.call("getweanalysisappiddailyvisittrend", day, day).json()
            extras |= set(doc) - {"list"}
            for row in doc["list"]:
                row = known(row, TREND_FIELDS)
                omitted |= TREND_FIELDS - set(row)
                for f in ("session_cnt", "visit_pv", "visit_uv", "visit_uv_new"):
                    if f in row:
                        self.assertIsInstance(row[f], int)
                self.assertTrue(1000 <= row["visit_uv"] <= 60000)
                for f in ("stay_time_uv", "stay_time_session", "visit_depth"):
                    if f in row:
                        self.assertIsInstance(row[f], (int, float))
                        self.assertEqual(round(row[f], 4), row[f])
        self.assertIn("stay_time_uv", omitted)
        self.assertTrue(extras)

    def test_about_one_day_in_twenty_is_empty(self):
        empty = 0
        for i in range(400):
            day = (datetime.date(2023, 1, 1) + datetime.timedelta(days=i)).strftime("%Y%m%d")
            doc = self.call("getweanalysisappiddailysummarytrend", day, day).json()
            empty += doc["list"] == []
        self.assertTrue(5 <= empty <= 45, empty)
        # the same days are empty for the other daily endpoints
        day = next(d for d in ((datetime.date(2023, 1, 1) + datetime.timedelta(days=i)).strftime("%Y%m%d")
                               for i in range(400))
                   if self.call("getweanalysisappiddailysummarytrend", d, d).json()["list"] == [])
        self.assertEqual(self.call("getweanalysisappidvisitpage", day, day).json()["list"], [])
        self.assertEqual(self.call("getweanalysisappidvisitdistribution", day, day).json()["list"], [])
        retain = self.call("getweanalysisappiddailyretaininfo", day, day).json()
        self.assertEqual((retain["visit_uv"], retain["visit_uv_new"]), ([], []))

    def test_distribution(self):
        high_keys = set()
        for i in range(30):
            day = (datetime.date(2024, 1, 1) + datetime.timedelta(days=i)).strftime("%Y%m%d")
            doc = self.call("getweanalysisappidvisitdistribution", day, day).json()
            self.assertEqual(doc["ref_date"], day)
            if not doc["list"]:
                continue
            by_index = {known(e, {"index", "item_list"})["index"]: e["item_list"] for e in doc["list"]}
            self.assertEqual(set(by_index), {"access_source_session_cnt", "access_staytime_info", "access_depth_info"})
            for item in by_index["access_staytime_info"]:
                self.assertIn(item["key"], range(1, 9))
            for item in by_index["access_depth_info"]:
                self.assertIn(item["key"], range(1, 8))
            for item in by_index["access_source_session_cnt"]:
                self.assertIsInstance(item["value"], int)
                if item["key"] > 18:
                    high_keys.add(item["key"])
        self.assertTrue(high_keys)

    def test_retain_keys(self):
        for name, keys in (("getweanalysisappiddailyretaininfo", [0, 1, 2, 3, 4, 5, 6, 7, 14, 30]),
                           ("getweanalysisappidweeklyretaininfo", [0, 1, 2, 3, 4]),
                           ("getweanalysisappidmonthlyretaininfo", [0, 1])):
            doc = self.call(name).json()
            for user_type in ("visit_uv_new", "visit_uv"):
                self.assertEqual([e["key"] for e in doc[user_type]], keys)
        # key 0 of the daily retain is the daily trend's visit_uv (as in the seed examples)
        retain = self.call("getweanalysisappiddailyretaininfo").json()
        trend = self.call("getweanalysisappiddailyvisittrend").json()["list"][0]
        self.assertEqual(retain["visit_uv"][0]["value"], trend["visit_uv"])

    def test_visit_page(self):
        counts = set()
        for i in range(20):
            day = (datetime.date(2024, 1, 1) + datetime.timedelta(days=i)).strftime("%Y%m%d")
            doc = self.call("getweanalysisappidvisitpage", day, day).json()
            counts.add(len(doc["list"]))
            pvs = [row["page_visit_pv"] for row in doc["list"]]
            self.assertEqual(pvs, sorted(pvs, reverse=True))
            for row in doc["list"]:
                self.assertRegex(row["page_path"], r"^pages/\w+/\w+$")
                self.assertIsInstance(row["page_staytime_pv"], float)
        self.assertTrue(max(counts) <= 12 and len(counts) > 3)

    def test_portrait(self):
        unknown_seen = False
        for end in ("20240207", "20240214", "20240221"):
            for days in (1, 7, 30):
                e = datetime.datetime.strptime(end, "%Y%m%d").date()
                b = (e - datetime.timedelta(days=days - 1)).strftime("%Y%m%d")
                doc = self.call("getweanalysisappiduserportrait", b, end).json()
                self.assertEqual(doc["ref_date"], f"{b}-{end}")
                for user_type in ("visit_uv_new", "visit_uv"):
                    attrs = doc[user_type]
                    self.assertEqual(set(attrs), {"province", "city", "genders", "platforms", "devices", "ages"})
                    for attr, items in attrs.items():
                        for item in items:
                            if attr == "devices":
                                self.assertEqual(set(item), {"name", "value"})
                            else:
                                self.assertEqual(set(item), {"id", "name", "value"})
                            unknown_seen |= item["name"] == "未知"
                    self.assertLessEqual(len(attrs["devices"]), 20)
        self.assertTrue(unknown_seen)

    def test_body_and_date_errors(self):
        name = "getweanalysisappiddailyvisittrend"
        url = f"{DC}{name}?access_token={self.token}"
        self.assertErr(request("POST", url, "begin_date=20240301", raw_body=True), 47001)
        self.assertErr(request("POST", url, {"begin_date": DAY}), 47001)
        for bad in ("2024031", "2024/03/01", "20240230", "2024-0301", "yesterday"):
            self.assertErr(request("POST", url, {"begin_date": bad, "end_date": bad}), 61500)
        self.assertNotIn("errcode", request("POST", url, {"begin_date": "2024-03-01", "end_date": "2024-03-01"}).json())

    def test_range_rules(self):
        today = datetime.datetime.now(emu.BEIJING).date()
        yesterday = (today - datetime.timedelta(days=1)).strftime("%Y%m%d")
        today = today.strftime("%Y%m%d")
        bad = [("getweanalysisappiddailyvisittrend", "20240301", "20240302"),
               ("getweanalysisappiddailyvisittrend", today, today),
               ("getweanalysisappidweeklyvisittrend", "20240305", "20240311"),
               ("getweanalysisappidweeklyretaininfo", "20240304", "20240309"),
               ("getweanalysisappidmonthlyvisittrend", "20240201", "20240228"),
               ("getweanalysisappidmonthlyretaininfo", "20240202", "20240229"),
               ("getweanalysisappiduserportrait", "20240201", "20240203"),
               ("getweanalysisappiduserportrait", "20240207", "20240201")]
        for name, b, e in bad:
            self.assertErr(datacube(name, b, e, self.token), 61501)
        self.assertNotIn("errcode", datacube("getweanalysisappiddailyvisittrend", yesterday, yesterday, self.token).json())
        self.assertNotIn("errcode", datacube("getweanalysisappidmonthlyvisittrend", "20230201", "20230228", self.token).json())
        self.assertNotIn("errcode", datacube("getweanalysisappiduserportrait", "20240101", "20240130", self.token).json())


# ------------------------------------------------------------------------------------------

def check_png(test, data):
    test.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
    pos, idat, kinds = 8, b"", []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        crc, = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        test.assertEqual(zlib.crc32(kind + chunk), crc)
        kinds.append(kind)
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", chunk[:10])
        idat += chunk if kind == b"IDAT" else b""
        pos += 12 + length
    test.assertEqual(kinds[0], b"IHDR")
    test.assertEqual(kinds[-1], b"IEND")
    test.assertEqual(len(zlib.decompress(idat)), height * (1 + width * 4))
    return width


def check_jpeg(test, data):
    """SOI, then well-formed segments up to SOS, entropy data, EOI."""
    test.assertEqual(data[:3], b"\xff\xd8\xff")
    test.assertEqual(data[-2:], b"\xff\xd9")
    pos, markers = 2, []
    while True:
        test.assertEqual(data[pos], 0xFF)
        marker, length = data[pos + 1], struct.unpack(">H", data[pos + 2:pos + 4])[0]
        markers.append(marker)
        if marker == 0xFE:
            comment = data[pos + 4:pos + 2 + length]
        pos += 2 + length
        if marker == 0xDA:
            break
    test.assertEqual(markers[0], 0xFE)
    test.assertTrue({0xDB, 0xC0, 0xC4} <= set(markers))
    return comment


class ImageTests(EmuTestCase):
    def post(self, path, body, raw=False):
        return request("POST", f"{path}?access_token={self.token}", body, raw_body=raw)

    def test_a_jpeg_and_png(self):
        body = {"path": "pages/index/index?id=1"}
        r = self.post("/wxa/getwxacode", body)
        self.assertEqual(r.ctype, "image/jpeg")
        comment = check_jpeg(self, r.body)
        self.assertEqual(comment.decode(), hashlib.sha256(json.dumps(body).encode()).hexdigest())
        r2 = self.post("/wxa/getwxacode", {"path": "pages/index/index?id=2"})
        self.assertNotEqual(r.body, r2.body)
        png = self.post("/wxa/getwxacode", {"path": "pages/index/index", "is_hyaline": True, "width": 5000})
        self.assertEqual(png.ctype, "image/png")
        self.assertEqual(check_png(self, png.body), 1280 // 8)

    def test_b_rules(self):
        ok = self.post("/wxa/getwxacodeunlimit", {"scene": "id=42&x=~!", "page": "pages/coupon/coupon"})
        self.assertEqual(ok.ctype, "image/jpeg")
        png = self.post("/wxa/getwxacodeunlimit", {"scene": "a", "is_hyaline": True,
                                                   "line_color": {"r": "255", "g": "0", "b": "0"}})
        self.assertEqual(check_png(self, png.body), 430 // 8)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "x" * 33}), 40169)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": ""}), 40169)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"page": "pages/index/index"}), 40169)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "a b"}), 40129)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "中文"}), 40129)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "a", "page": "pages/nope/nope"}), 41030)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "a", "page": "/pages/index/index"}), 41030)
        free = self.post("/wxa/getwxacodeunlimit", {"scene": "a", "page": "pages/nope/nope", "check_path": False})
        self.assertEqual(free.ctype, "image/jpeg")
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "a", "page": "pages/x?scancode_time=1", "check_path": False}), 85096)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "a", "env_version": "beta"}), 40097)
        self.assertErr(self.post("/wxa/getwxacodeunlimit", "scene=a", raw=True), 47001)

    def test_a_c_rules_and_shared_quota(self):
        self.assertErr(self.post("/wxa/getwxacode", {"path": "p" * 129}), 40159)
        self.assertErr(self.post("/wxa/getwxacode", {"path": ""}), 40159)
        self.assertErr(self.post("/wxa/getwxacode", {"width": 430}), 40159)
        self.assertErr(self.post("/wxa/getwxacode", {"path": "页" * 43}), 40159)  # 129 bytes
        self.assertErr(self.post("/wxa/getwxacode", {"path": "pages/a?scancode_time=1"}), 85096)
        self.assertErr(self.post("/wxa/getwxacode", {"path": "a", "env_version": "prod"}), 40097)
        self.assertErr(self.post("/cgi-bin/wxaapp/createwxaqrcode", {"path": "p" * 129}), 40159)
        self.assertErr(self.post("/cgi-bin/wxaapp/createwxaqrcode", "path=a", raw=True), 47001)
        c = self.post("/cgi-bin/wxaapp/createwxaqrcode", {"path": "a", "is_hyaline": True})
        self.assertEqual(c.ctype, "image/jpeg")     # C is always JPEG
        control("POST", "config", {"code_quota": 2})
        self.assertEqual(self.post("/wxa/getwxacode", {"path": "b"}).ctype, "image/jpeg")
        self.assertErr(self.post("/cgi-bin/wxaapp/createwxaqrcode", {"path": "c"}), 45029)
        self.assertErr(self.post("/wxa/getwxacode", {"path": "d"}), 45029)
        self.assertEqual(self.post("/wxa/getwxacodeunlimit", {"scene": "b"}).ctype, "image/jpeg")

    def test_error_content_types_rotate(self):
        seen = {self.post("/wxa/getwxacode", {"path": ""}).ctype for _ in range(6)}
        self.assertEqual(seen, {"application/json", "application/json; encoding=utf-8", "text/plain"})

    def test_token_required(self):
        self.assertErr(request("POST", "/wxa/getwxacode", {"path": "a"}), 41001)


    def test_b_rate_limit_window(self):
        control("POST", "config", {"unlimit_per_minute": 3, "unlimit_window_seconds": 0.5})
        for i in range(3):
            self.assertEqual(self.post("/wxa/getwxacodeunlimit", {"scene": f"s{i}"}).ctype, "image/jpeg")
        self.assertErr(self.post("/wxa/getwxacodeunlimit", {"scene": "s3"}), 45009)
        time.sleep(0.6)
        self.assertEqual(self.post("/wxa/getwxacodeunlimit", {"scene": "s3"}).ctype, "image/jpeg")
        self.assertEqual(control("GET", "stats")["outcomes"]["/wxa/getwxacodeunlimit 45009"], 1)


class QuotaTests(EmuTestCase):
    def quota(self, path):
        return request("POST", f"/cgi-bin/openapi/quota/get?access_token={self.token}", {"cgi_path": path})

    def test_used_is_the_request_count(self):
        control("POST", "config", {"daily_quota": 10})
        for i in range(3):
            request("POST", f"/wxa/getwxacodeunlimit?access_token={self.token}", {"scene": f"q{i}"})
        answer = self.quota("/wxa/getwxacodeunlimit").json()
        self.assertEqual(answer["errcode"], 0)
        self.assertEqual(answer["quota"], {"daily_limit": 10, "used": 3, "remain": 7})
        self.assertEqual(self.quota(DC + "getweanalysisappiddailyvisittrend").json()["quota"]["used"], 0)

    def test_errors(self):
        self.assertErr(self.quota("/sns/jscode2session"), 76022)
        self.assertErr(self.quota("/wxa/nope"), 76021)
        self.assertErr(self.quota("wxa/getwxacode"), 76003)
        self.assertErr(request("POST", "/cgi-bin/openapi/quota/get", {"cgi_path": "/wxa/getwxacode"}), 41001)


class PublicationTests(EmuTestCase):
    def test_yesterday_unpublished_before_publish_hour(self):
        name = "getweanalysisappiddailyvisittrend"
        yesterday = (datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
                     - datetime.timedelta(days=1)).strftime("%Y%m%d")
        self.assertNotIn("errcode", datacube(name, yesterday, yesterday, self.token).json())
        control("POST", "config", {"publish_hour": 24})
        self.assertErr(datacube(name, yesterday, yesterday, self.token), 61503)
        self.assertNotIn("errcode", datacube(name, "20240301", "20240301", self.token).json())

    def test_newest_days_and_chosen_days_unpublished(self):
        name = "getweanalysisappiddailyvisittrend"
        beijing = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
        day = [(beijing - datetime.timedelta(days=n)).strftime("%Y%m%d") for n in range(5)]
        control("POST", "config", {"unpublished_dates": 20240303})
        self.assertEqual(control("GET", "config")["config"]["unpublished_dates"], ["20240303"])
        control("POST", "config", {"unpublished_days": 2, "unpublished_dates": "20240301, 2024-03-03"})
        self.assertErr(datacube(name, day[1], day[1], self.token), 61503)
        self.assertErr(datacube(name, day[2], day[2], self.token), 61503)
        self.assertNotIn("errcode", datacube(name, day[3], day[3], self.token).json())
        self.assertErr(datacube(name, "20240301", "20240301", self.token), 61503)
        self.assertNotIn("errcode", datacube(name, "20240302", "20240302", self.token).json())
        self.assertErr(datacube(name, "20240303", "20240303", self.token), 61503)
        # a period is published when its last day is: the month of 2024-03 ends on a published day
        self.assertNotIn("errcode", datacube("getweanalysisappidmonthlyvisittrend", "20240301", "20240331",
                                             self.token).json())
        # the request's own errors come first
        self.assertErr(datacube(name, day[0], day[0], self.token), 61501)

    def test_unpublished_answer_empty(self):
        beijing = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
        yesterday = (beijing - datetime.timedelta(days=1)).strftime("%Y%m%d")
        control("POST", "config", {"unpublished_days": 1, "unpublished_answer": "empty"})
        doc = datacube("getweanalysisappiddailyvisittrend", yesterday, yesterday, self.token).json()
        self.assertNotIn("errcode", doc)
        self.assertEqual(doc["list"], [])
        doc = datacube("getweanalysisappiduserportrait", yesterday, yesterday, self.token).json()
        self.assertNotIn("errcode", doc)
        self.assertEqual(doc["visit_uv_new"]["province"], [])
        self.assertNotEqual(datacube("getweanalysisappiddailyvisittrend", "20240301", "20240301",
                                     self.token).json()["list"], [])

    def test_unpublished_config_refused(self):
        for bad in ({"unpublished_answer": "late"}, {"unpublished_dates": "2024-13-01"},
                    {"unpublished_days": -1}):
            self.assertIn("error", control("POST", "config", bad))
        self.assertEqual(control("GET", "config")["config"]["unpublished_answer"], "61503")


class Code2SessionTests(EmuTestCase):
    def login(self, code, appid=APP1, secret=SECRET1, grant="authorization_code"):
        return request("GET", f"/sns/jscode2session?appid={appid}&secret={secret}&js_code={code}&grant_type={grant}")

    def test_valid_once(self):
        r = self.login("code_abc")
        doc = r.json()
        self.assertRegex(doc["openid"], r"^o[A-Za-z0-9_-]{27}$")
        self.assertEqual(len(base64.b64decode(doc["session_key"])), 16)
        self.assertNotIn("unionid", doc)
        self.assertErr(self.login("code_abc"), 40163)
        control("POST", "reset")
        self.assertEqual(self.login("code_abc").json(), doc)      # deterministic
        self.assertNotEqual(self.login("code_abc", APP2, SECRET2).json()["openid"], doc["openid"])
        self.assertIn("unionid", self.login("code_union_1").json())

    def test_errors(self):
        self.assertErr(self.login("bad"), 40029)
        self.assertErr(self.login("whatever"), 40029)
        self.assertErr(self.login("risky_1"), 40226)
        self.assertErr(self.login("code_x", secret=SECRET2), 40125)
        self.assertErr(self.login("code_x", appid="wx0"), 40013)
        self.assertErr(self.login("code_x", grant="client_credential"), 40002)
        self.assertErr(request("GET", f"/sns/jscode2session?appid={APP1}&secret={SECRET1}&grant_type=authorization_code"), 41008)


# ------------------------------------------------------------------------------------------

class FaultTests(EmuTestCase):
    NAME = "getweanalysisappiddailyvisittrend"

    def dc(self, conn=None):
        return request("POST", f"{DC}{self.NAME}?access_token={self.token}",
                       {"begin_date": DAY, "end_date": DAY}, conn=conn)

    def fault(self, kind, path="dailyvisittrend", **kw):
        control("POST", "fault", dict(path=path, kind=kind, **kw))

    def test_errcode_times_and_order(self):
        self.fault("errcode", errcode=45009, times=2)
        self.fault("errcode", errcode=-1)
        self.assertErr(self.dc(), 45009)
        self.assertErr(self.dc(), 45009)
        self.assertErr(self.dc(), -1)
        self.assertNotIn("errcode", self.dc().json())
        self.assertEqual(request("POST", "/wxa/getwxacode?access_token=" + self.token, {"path": "a"}).ctype, "image/jpeg")

    def test_fault_matches_body(self):
        control("POST", "fault", {"path": "dailysummary", "kind": "errcode", "errcode": 45009,
                                  "times": -1, "match": "20240105"})
        self.assertIsNone(errcode(datacube("getweanalysisappiddailysummarytrend", "20240104", "20240104", self.token)))
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", "20240105", "20240105", self.token), 45009)

    def test_always_until_reset(self):
        self.fault("errcode", errcode=61504, times=-1)
        for _ in range(3):
            self.assertErr(self.dc(), 61504)
        control("POST", "reset")
        self.token = stable_token()["access_token"]
        self.assertNotIn("errcode", self.dc().json())

    def test_http_html_garbage(self):
        self.fault("http")
        self.fault("http", status=503)
        self.fault("html")
        self.fault("garbage")
        r = self.dc()
        self.assertEqual((r.status, r.ctype), (502, "text/html"))
        self.assertIn(b"502 Bad Gateway", r.body)
        self.assertEqual(self.dc().status, 503)
        r = self.dc()
        self.assertEqual(r.status, 200)
        self.assertTrue(r.ctype.startswith("text/html") and r.body.startswith(b"<html>"))
        r = self.dc()
        self.assertEqual(r.ctype, "application/json; encoding=utf-8")
        self.assertIsInstance(r.json()["list"][0], int)

    def test_truncated(self):
        whole = self.dc().body
        self.fault("truncated")
        r = self.dc()
        self.assertEqual(r.body, whole[:len(whole) // 2])
        self.assertEqual(int(r.headers["Content-Length"]), len(r.body))
        self.assertRaises(ValueError, r.json)

    def test_cut(self):
        def image():
            return request("POST", "/wxa/getwxacode?access_token=" + self.token, {"path": "p/a"})
        whole = image().body
        self.fault("cut", path="/wxa/getwxacode")
        r = image()
        self.assertNotIn("Content-Length", r.headers)
        self.assertEqual(r.body, whole[:len(whole) // 2])
        self.fault("cut", path="/wxa/getwxacode", announce=1)
        with self.assertRaises(http.client.IncompleteRead):
            image()

    def test_close(self):
        self.fault("close")
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.dc()
        self.assertNotIn("errcode", self.dc().json())

    def test_stall_does_not_block_others(self):
        self.fault("stall", seconds=1.0)
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            stalled = pool.submit(self.dc)
            time.sleep(0.1)
            fast = self.dc()
            fast_at = time.monotonic() - start
            stalled = stalled.result()
        self.assertLess(fast_at, 0.6)
        self.assertGreaterEqual(time.monotonic() - start, 1.0)
        self.assertEqual(stalled.json(), fast.json())

    def test_stall_abandoned_by_client(self):
        self.fault("stall", seconds=2.0)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=0.3)
        with self.assertRaises(TimeoutError):
            self.dc(conn)
        conn.close()
        time.sleep(0.3)
        stats = control("GET", "stats")
        self.assertEqual(stats["outcomes"].get(f"{DC}{self.NAME} abandoned"), 1)
        self.assertEqual(control("GET", "served?path=dailyvisittrend")["served"], [])

    def test_huge(self):
        self.fault("huge")
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=20)
        conn.request("POST", f"{DC}{self.NAME}?access_token={self.token}", body=b"{}")
        r = conn.getresponse()
        self.assertEqual(int(r.headers["Content-Length"]), 64 * 1024 * 1024)
        total, head, tail = 0, b"", b""
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            head = head or chunk[:200]
            tail = (tail + chunk)[-200:]
            total += len(chunk)
        conn.close()
        self.assertEqual(total, 64 * 1024 * 1024)
        self.assertTrue(head.startswith(b'{"list":[{"ref_date"') and tail.endswith(b"}]}"))

    def test_errmsg_literal_and_echo(self):
        self.fault("errcode", errcode=40164, errmsg="invalid ip 1.2.3.4, not in whitelist")
        r = self.dc()
        self.assertEqual(r.json(), {"errcode": 40164, "errmsg": "invalid ip 1.2.3.4, not in whitelist"})
        # echo: the request's token (query) and, for token requests, its secret (query or body)
        self.fault("errcode", errcode=40001, errmsg="echo", pad=3)
        msg = self.dc().json()["errmsg"]
        self.assertTrue(msg.startswith("xxxinvalid credential"))
        self.assertIn(f"access_token={self.token}&", msg)
        self.assertIn(f"token {self.token},", msg)
        self.assertNotIn("secret", msg)
        control("POST", "fault", {"path": "stable_token", "kind": "errcode", "errcode": 40125,
                                  "errmsg": "echo"})
        msg = stable_token()["errmsg"]
        self.assertIn(f"secret={SECRET1}&", msg)
        self.assertIn(f"appsecret {SECRET1},", msg)
        control("POST", "fault", {"path": "cgi-bin/token", "kind": "errcode", "errcode": 40125,
                                  "errmsg": "echo"})
        self.assertIn(f"secret={SECRET1}&", classic_token()["errmsg"])

    def test_redirect(self):
        self.fault("redirect")
        self.fault("redirect", location=f"http://127.0.0.1:{PORT}/elsewhere")
        r = self.dc()
        self.assertEqual(r.status, 302)
        self.assertEqual(r.headers["Location"], f"http://127.0.0.2:9{DC}{self.NAME}")
        self.assertEqual(self.dc().headers["Location"], f"http://127.0.0.1:{PORT}/elsewhere{DC}{self.NAME}")
        self.assertEqual(control("GET", "stats")["outcomes"][f"{DC}{self.NAME} redirect"], 2)

    def test_body(self):
        self.fault("body", body='{"list":[{"ref_date":"20240301"},{"ref_date":"20240301"}]}')
        self.fault("body", body="not json", status=503, content_type="text/plain")
        self.fault("body", body='{"list":[{"page_path":"\udcff"}]}')
        r = self.dc()
        self.assertEqual((r.status, r.ctype), (200, "application/json; encoding=utf-8"))
        self.assertEqual(r.json()["list"], [{"ref_date": DAY}, {"ref_date": DAY}])
        r = self.dc()
        self.assertEqual((r.status, r.ctype, r.body), (503, "text/plain", b"not json"))
        self.assertEqual(self.dc().body, b'{"list":[{"page_path":"\xff"}]}')
        # emuctl sends a body that parses as JSON as an object: it comes back as compact JSON
        self.assertEqual(emuctl("fault", "dailyvisittrend", "body", 'body={"list": [ 1 ]}').returncode, 0)
        self.assertEqual(self.dc().body, b'{"list":[1]}')
        self.assertNotEqual(emuctl("fault", "dailyvisittrend", "body").returncode, 0)

    def test_nested(self):
        self.fault("nested", depth=3)
        self.assertEqual(self.dc().body, b'{"list":[],"deep":[[[]]]}')
        self.fault("nested", depth=100000)
        body = self.dc().body
        self.assertEqual(len(body), len('{"list":[],"deep":}') + 200000)
        self.assertNotEqual(emuctl("fault", "x", "nested", "depth=0").returncode, 0)

    def test_emuctl_faults_from_stdin(self):
        lines = (json.dumps({"path": "dailyvisittrend", "kind": "body", "body": "[]", "match": DAY}) + "\n\n" +
                 json.dumps({"path": "dailyvisittrend", "kind": "nested", "depth": 2}) + "\n")
        env = dict(os.environ, WXA_EMULATOR_PORT=str(PORT))
        out = subprocess.run([sys.executable, EMUCTL, "faults"], input=lines.encode(), env=env,
                             capture_output=True, timeout=30)
        self.assertEqual((out.returncode, out.stdout), (0, b"2 faults\n"), out.stderr)
        self.assertEqual(self.dc().body, b"[]")
        self.assertEqual(self.dc().body, b'{"list":[],"deep":[[]]}')
        bad = subprocess.run([sys.executable, EMUCTL, "faults"], input=b"{nope\n", env=env,
                             capture_output=True, timeout=30)
        self.assertNotEqual(bad.returncode, 0)

    def test_credentials_survive_reset(self):
        classic = classic_token()["access_token"]
        control("POST", "reset", {"tokens": True})
        out = emuctl("credentials")
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.decode().split()
        self.assertEqual(lines[:2], [SECRET1, SECRET2])
        self.assertIn(self.token, lines)
        self.assertIn(classic, lines)


# ------------------------------------------------------------------------------------------

class ControlTests(EmuTestCase):
    def test_counts_outcomes_and_connections(self):
        control("POST", "reset", {"tokens": True})
        token = stable_token()["access_token"]
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        for _ in range(3):
            r = request("POST", f"{DC}getweanalysisappiddailysummarytrend?access_token={token}",
                        {"begin_date": DAY, "end_date": DAY}, conn=conn)
            self.assertEqual(r.status, 200)
        request("POST", f"{DC}getweanalysisappiddailysummarytrend?access_token=bad",
                {"begin_date": DAY, "end_date": DAY}, conn=conn)
        conn.close()
        stats = control("GET", "stats")
        self.assertEqual(stats["requests"]["/datacube/getweanalysisappiddailysummarytrend"], 4)
        self.assertEqual(stats["outcomes"]["/datacube/getweanalysisappiddailysummarytrend 200"], 3)
        self.assertEqual(stats["outcomes"]["/datacube/getweanalysisappiddailysummarytrend 40001"], 1)
        self.assertEqual(stats["connections"], 2)        # stable_token + one kept-alive connection
        self.assertEqual(stats["tokens_issued"], {"classic": 0, "stable": 1})
        self.assertEqual(emuctl("count", "datacube").stdout.strip(), b"4")
        self.assertEqual(emuctl("count", "stable_token").stdout.strip(), b"1")
        self.assertEqual(emuctl("count").stdout.strip(), b"5")

    def test_latency_overlaps(self):
        control("POST", "config", {"latency_ms": 300})
        start = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda _: datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token), range(8)))
        elapsed = time.monotonic() - start
        self.assertTrue(all(r.status == 200 for r in results))
        self.assertTrue(0.3 <= elapsed < 1.0, elapsed)
        start = time.monotonic()
        control("GET", "stats")                     # control requests never wait
        self.assertLess(time.monotonic() - start, 0.2)

    def test_unknown_path_and_method(self):
        r = request("GET", "/cgi-bin/nothing")
        self.assertEqual(r.status, 404)
        self.assertEqual(r.json()["errcode"], 40066)
        self.assertErr(request("GET", f"{DC}getweanalysisappiddailysummarytrend?access_token={self.token}"), 43002)
        self.assertErr(request("POST", "/cgi-bin/token", {}), 43001)
        self.assertEqual(request("GET", "/__emu/nothing").status, 404)
        self.assertNotIn("/__emu/stats", control("GET", "stats")["requests"])

    def test_emuctl_served_copy_format(self):
        datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token)
        request("POST", f"/wxa/getwxacode?access_token={self.token}", {"path": "a\\b\t\"中"})
        datacube("getweanalysisappiddailysummarytrend", "bad", "bad", self.token)   # errors not journaled
        out = emuctl("served", "getwxacode")
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.decode("utf-8").splitlines()
        self.assertEqual(len(lines), 1)
        body, req = lines[0].split("\t")
        # COPY text: doubled backslashes decode to the JSON text
        self.assertEqual(json.loads(req.replace("\\\\", "\\")), {"path": "a\\b\t\"中"})
        image = json.loads(body.replace("\\\\", "\\"))
        self.assertEqual(set(image), {"sha256", "bytes", "content_type"})
        lines = emuctl("served", "datacube").stdout.decode("utf-8").splitlines()
        self.assertEqual(len(lines), 1)
        self.assertIn('"ref_date":"20240301"', lines[0])
        self.assertEqual(json.loads(lines[0].split("\t")[1]), {"begin_date": DAY, "end_date": DAY})

    def test_emuctl_commands(self):
        self.assertEqual(emuctl("expect-token", APP1).stdout.decode().strip(), self.token)
        self.assertNotEqual(emuctl("expect-token", APP2).returncode, 0)
        out = emuctl("fault", "summarytrend", "errcode", "errcode=45011", "times=1")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertErr(datacube("getweanalysisappiddailysummarytrend", DAY, DAY, self.token), 45011)
        self.assertNotEqual(emuctl("fault", "x", "explode").returncode, 0)
        self.assertEqual(emuctl("config", "latency_ms=0", "token_ttl=60").returncode, 0)
        self.assertNotEqual(emuctl("config", "nonsense=1").returncode, 0)
        self.assertEqual(stable_token(force=True)["expires_in"], 60)
        self.assertEqual(emuctl("revoke", APP1).returncode, 0)
        self.assertNotEqual(emuctl("expect-token", APP1).returncode, 0)
        self.assertEqual(json.loads(emuctl("stats").stdout)["tokens_issued"]["stable"], 2)
        self.assertEqual(emuctl("reset").returncode, 0)
        self.assertEqual(emuctl("count").stdout.strip(), b"0")

    def test_emuctl_start_stop(self):
        port_file = os.path.join(TMPDIR, "second.port")
        out = subprocess.run([sys.executable, EMUCTL, "start", "--port-file", port_file, "--latency-ms", "7"],
                             capture_output=True, timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        port = int(out.stdout)
        try:
            self.assertNotEqual(port, PORT)
            env = dict(os.environ, WXA_EMULATOR_PORT=str(port))
            stats = json.loads(subprocess.run([sys.executable, EMUCTL, "stats"], env=env,
                                              capture_output=True, timeout=10).stdout)
            self.assertEqual(stats["config"]["latency_ms"], 7)
            again = subprocess.run([sys.executable, EMUCTL, "start", "--port-file", port_file],
                                   capture_output=True, timeout=20)
            self.assertNotEqual(again.returncode, 0)
        finally:
            stop = subprocess.run([sys.executable, EMUCTL, "stop", "--port-file", port_file],
                                  capture_output=True, timeout=20)
        self.assertEqual(stop.returncode, 0, stop.stderr)
        self.assertFalse(os.path.exists(port_file))
        self.assertFalse(os.path.exists(port_file + ".pid"))


class TlsTests(unittest.TestCase):
    """The TLS port (--tls-dir): certificates by name, handshakes counted, sessions resumed."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="wxa-emu-tls-")
        subprocess.run([os.path.join(HERE, "..", "make-test-ca"), os.path.join(cls.dir, "tls")], check=True)
        cls.port_file = os.path.join(cls.dir, "port")
        cls.port = int(subprocess.run([sys.executable, EMUCTL, "start", "--port-file", cls.port_file,
                                       "--tls-dir", os.path.join(cls.dir, "tls")],
                                      check=True, capture_output=True, text=True).stdout)
        with open(cls.port_file + ".tls") as f:
            cls.tls_port = int(f.read())
        cls.context = ssl.create_default_context(cafile=os.path.join(cls.dir, "tls", "ca.pem"))

    @classmethod
    def tearDownClass(cls):
        subprocess.run([sys.executable, EMUCTL, "stop", "--port-file", cls.port_file], capture_output=True)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def control(self, method, what, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, "/__emu/" + what, body=json.dumps(body) if body is not None else None)
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    def setUp(self):
        self.control("POST", "reset")

    def connect(self, host="localhost", session=None):
        conn = http.client.HTTPSConnection(host, self.tls_port, context=self.context, timeout=10)
        if session is None:
            conn.connect()
        else:
            conn.sock = self.context.wrap_socket(socket.create_connection(("127.0.0.1", self.tls_port)),
                                                 server_hostname=host, session=session)
        return conn

    def get(self, conn, path="/cgi-bin/token?grant_type=client_credential&appid=" + APP1 + "&secret=" + SECRET1):
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()

    def tls_stats(self):
        return self.control("GET", "stats")[1]["tls"]

    def test_keep_alive_and_resumption(self):
        conn = self.connect()
        for _ in range(3):
            status, body = self.get(conn)
            self.assertEqual(status, 200)
            self.assertIn(b"access_token", body)
        self.assertEqual(self.tls_stats(), {"handshakes": 1, "resumed": 0, "failed": 0})
        again = self.connect(session=conn.sock.session)
        self.assertTrue(again.sock.session_reused)
        self.assertEqual(self.get(again)[0], 200)
        self.assertEqual(self.tls_stats(), {"handshakes": 2, "resumed": 1, "failed": 0})
        conn.close()
        again.close()

    def test_certificates_by_name(self):
        self.assertEqual(self.get(self.connect("127.0.0.1"))[0], 200)
        for name, problem in (("otherhost", "match"), ("untrusted", "self-signed")):
            status, _ = self.control("POST", "config", {"tls_certificate": name})
            self.assertEqual(status, 200)
            with self.assertRaises(ssl.SSLCertVerificationError) as caught:
                self.connect()
            self.assertIn(problem, str(caught.exception))
        # the server side of a refused handshake ends after the client has given up
        deadline = time.monotonic() + 3
        while self.tls_stats()["failed"] < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.tls_stats()["failed"], 2)
        status, answer = self.control("POST", "config", {"tls_certificate": "bogus"})
        self.assertEqual(status, 400)
        self.assertIn("server, otherhost, untrusted", answer["error"])
        self.control("POST", "reset")
        self.assertEqual(self.get(self.connect())[0], 200)

    def test_close_fault_is_a_clean_tls_close(self):
        self.control("POST", "fault", {"path": "token", "kind": "close"})
        conn = self.connect()
        with self.assertRaises(http.client.RemoteDisconnected):
            self.get(conn)

    def test_stall_abandoned_over_tls(self):
        self.control("POST", "fault", {"path": "token", "kind": "stall", "seconds": 5})
        conn = self.connect()
        conn.sock.settimeout(0.3)
        with self.assertRaises(socket.timeout):
            self.get(conn)
        conn.close()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            outcomes = self.control("GET", "stats")[1]["outcomes"]
            if outcomes.get("/cgi-bin/token abandoned"):
                break
            time.sleep(0.05)
        self.assertEqual(outcomes.get("/cgi-bin/token abandoned"), 1)


if __name__ == "__main__":
    unittest.main()
