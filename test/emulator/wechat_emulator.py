#!/usr/bin/env python3
"""A local emulator of the WeChat mini-program server API (api.weixin.qq.com).

It serves what wxa_fdw uses -- access tokens (classic and stable), the ten datacube analysis
endpoints, the three wxacode image endpoints and jscode2session -- following WeChat's public
documentation (https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/) and the live
service's behaviour as README.md beside this file describes it, plus a control API under /__emu/ for tests: counters, configuration,
fault injection, token revocation and a journal of the responses served.

Python 3.11 standard library only.  See README.md beside this file.
"""

import argparse
import base64
import calendar
import collections
import dataclasses
import datetime
import hashlib
import http.server
import json
import os
import re
import secrets
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import urllib.parse
import zlib

# --------------------------------------------------------------------------------------------
# Fixed facts: apps, pages, error messages
# --------------------------------------------------------------------------------------------

APPS = {
    "wx1234567890abcdef": "0123456789abcdef0123456789abcdef",
    "wxfedcba0987654321": "fedcba9876543210fedcba9876543210",
}
# Many more mini programs, for tests of one query over many apps: wx0000000000000001 ..
# wx0000000000000100 (the number in hex), each with the secret md5(appid) and data of its own.
EXTRA_APPS = 256
APPS.update({f"wx{i:016x}": hashlib.md5(f"wx{i:016x}".encode()).hexdigest()
             for i in range(1, EXTRA_APPS + 1)})

# The pages "published" by every app; getwxacodeunlimit with check_path=true accepts only these.
PUBLISHED_PAGES = ("pages/index/index", "pages/coupon/coupon", "pages/goods/detail")

DEFAULT_CONFIG = {
    "latency_ms": 0,            # sleep before answering every API request
    "token_ttl": 7200,          # expires_in of new tokens, seconds
    "old_token_grace": 300,     # how long a replaced classic token keeps working, seconds
    "code_quota": 100000,       # codes interfaces A + C may make per app, ever (45029)
    "unlimit_per_minute": 5000,  # interface B calls per app per window (45009)
    "unlimit_window_seconds": 60,  # that window; tests shorten it to stay fast
    "daily_quota": 100000,      # daily_limit that quota/get reports for every path
    "publish_hour": 0,          # Beijing hour before which yesterday answers 61503 (24: never)
    "unpublished_days": 0,      # the newest N days (yesterday, the day before...) are not published
    "unpublished_dates": [],    # these days (YYYYMMDD) are not published either
    "unpublished_answer": "61503",  # how a period ending on an unpublished day answers: 61503 | empty
    "tls_certificate": "server",  # what the TLS port presents to new connections (TLS_CERTIFICATES)
}

# The certificates of the TLS port (--tls-dir, made by test/make-test-ca): NAME.pem + NAME.key.
TLS_CERTIFICATES = {
    "server": "issued by the test CA for 127.0.0.1 and localhost",
    "otherhost": "issued by the test CA for another host name only",
    "untrusted": "self-signed for 127.0.0.1 and localhost, by no CA a client knows",
}

# errmsg texts as the live API words them (without the random " rid: ..." suffix it appends
# nowadays: a deterministic message keeps regression-test output stable).
ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40013: "invalid appid",
    40014: "invalid access_token",
    40029: "invalid code",
    40066: "invalid url",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40159: "invalid length for path, or the data is not json string",
    40163: "code been used",
    40164: "invalid ip, not in whitelist",
    40169: "invalid length for scene, or the data is not json string",
    40226: "high risk user",
    41001: "access_token missing",
    41002: "appid missing",
    41004: "appsecret missing",
    41008: "missing code",
    41030: "invalid page",
    42001: "access_token expired",
    43001: "require GET method",
    43002: "require POST method",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit  mustslower  retry next minute",
    45029: "max size limit for codes",
    47001: "data format error",
    48001: "api unauthorized",
    61004: "access clientip is not registered",
    61500: "date format error",
    61501: "date range error",
    61503: "data not ready, please try later",
    61504: "system busy, please try again later",
    76003: "invalid cgi_path",
    76021: "cgi_path not found, please check",
    76022: "could not use this cgi_path, no permission",
    85096: "not allow include scancode_time field",
}

# Content-Type of successful JSON; errors rotate through all three (WeChat has used each).
JSON_UTF8 = "application/json; encoding=utf-8"
ERROR_CONTENT_TYPES = ("application/json", JSON_UTF8, "text/plain")

BEIJING = datetime.timezone(datetime.timedelta(hours=8))


class ApiError(Exception):
    """An errcode answer: HTTP 200 with {"errcode", "errmsg"}."""

    def __init__(self, errcode, errmsg=None):
        super().__init__(errcode)
        self.errcode = errcode
        self.errmsg = errmsg or ERRMSG.get(errcode, "system error")


# --------------------------------------------------------------------------------------------
# Deterministic numbers: everything the analysis endpoints return is a function of
# (appid, endpoint, period), so tests can compare runs and the served journal.
# --------------------------------------------------------------------------------------------

class Det:
    """A stream of pseudo-random numbers from sha256(seed || counter); stable across Pythons."""

    def __init__(self, *parts):
        self._seed = "\x1f".join(str(p) for p in parts).encode()
        self._n = 0

    def _u64(self):
        digest = hashlib.sha256(self._seed + self._n.to_bytes(8, "big")).digest()
        self._n += 1
        return int.from_bytes(digest[:8], "big")

    def unit(self):
        return self._u64() / 2.0 ** 64

    def randint(self, lo, hi):
        return lo + self._u64() % (hi - lo + 1)

    def uniform(self, lo, hi, ndigits=4):
        return round(lo + (hi - lo) * self.unit(), ndigits)

    def chance(self, p):
        return self.unit() < p

    def choice(self, seq):
        return seq[self.randint(0, len(seq) - 1)]

    def sample(self, seq, k):
        pool, out = list(seq), []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.randint(0, len(pool) - 1)))
        return out

    def split(self, total, n):
        """n non-negative integers summing to total, largest first."""
        weights = [self.unit() + 0.05 for _ in range(n)]
        parts = [int(total * w / sum(weights)) for w in weights]
        parts[0] += total - sum(parts)
        return sorted(parts, reverse=True)


# --------------------------------------------------------------------------------------------
# Dates and periods
# --------------------------------------------------------------------------------------------

_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$|^(\d{4})-(\d{2})-(\d{2})$")


def parse_api_date(value):
    """YYYYMMDD (or YYYY-MM-DD, as the portrait page's example shows) -> date; else 61500."""
    if not isinstance(value, str):
        raise ApiError(61500)
    m = _DATE_RE.match(value)
    if not m:
        raise ApiError(61500)
    y, mo, d = (int(g) for g in m.groups() if g is not None)
    try:
        return datetime.date(y, mo, d)
    except ValueError:
        raise ApiError(61500) from None


UNPUBLISHED_ANSWERS = ("61503", "empty")


def parse_day_list(value):
    """unpublished_dates: a list of days, or one string of them separated by commas -> YYYYMMDD set."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)      # emuctl sends unpublished_dates=20240105 as a number
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list):
        raise ValueError("unpublished_dates must be a list of days (YYYYMMDD or YYYY-MM-DD)")
    days = []
    for v in value:
        try:
            days.append(ymd(parse_api_date(str(v).strip())))
        except ApiError:
            raise ValueError(f"unpublished_dates: {v!r} is not a day (YYYYMMDD or YYYY-MM-DD)") from None
    return sorted(set(days))


def yesterday_beijing():
    return datetime.datetime.now(BEIJING).date() - datetime.timedelta(days=1)


def ymd(d):
    return d.strftime("%Y%m%d")


@dataclasses.dataclass(frozen=True)
class Period:
    """What one request must cover, and how the response names it."""
    is_valid: object        # (begin, end) -> bool
    ref_date: object        # (begin, end) -> "ref_date" string
    retain_keys: tuple      # keys of the retain endpoints for this period kind
    uv_range: tuple         # (lo, hi) of visit_uv for one period: realistic magnitudes


def _is_month(b, e):
    return b.day == 1 and e == b.replace(day=calendar.monthrange(b.year, b.month)[1])


PERIODS = {
    "day": Period(lambda b, e: b == e, lambda b, e: ymd(b),
                  (0, 1, 2, 3, 4, 5, 6, 7, 14, 30), (1000, 60000)),
    "week": Period(lambda b, e: b.weekday() == 0 and e == b + datetime.timedelta(days=6),
                   lambda b, e: f"{ymd(b)}-{ymd(e)}", (0, 1, 2, 3, 4), (4000, 240000)),
    "month": Period(_is_month, lambda b, e: b.strftime("%Y%m"), (0, 1), (12000, 900000)),
    "portrait": Period(lambda b, e: (e - b).days in (0, 6, 29),
                       lambda b, e: f"{ymd(b)}-{ymd(e)}", (), (1000, 600000)),
}


@dataclasses.dataclass
class Ctx:
    """Everything a datacube generator needs for one request."""
    appid: str
    endpoint: str
    kind: str
    begin: datetime.date
    end: datetime.date
    ref_date: str
    rng: Det
    empty: bool             # a period without data: the API answers with empty lists


def period_is_empty(appid, kind, begin, end):
    """About one day in twenty has no data (the same day for every daily endpoint)."""
    if begin != end:        # weeks, months, 7/30-day windows always have some data
        return False
    return Det(appid, "no-data", ymd(begin)).chance(0.05)


def base_uv(ctx):
    """(visit_uv, visit_uv_new) of a period, shared by visit trend, retain and portrait so that
    e.g. retain key 0 equals the trend's visit_uv of the same day, as in the seed examples."""
    r = Det(ctx.appid, "base", ctx.kind, ctx.ref_date)
    lo, hi = PERIODS[ctx.kind].uv_range
    if ctx.kind == "portrait":
        hi = max(lo, hi * ((ctx.end - ctx.begin).days + 1) // 30)
    scale = Det(ctx.appid, "scale").uniform(0.35, 1.0)
    uv = max(lo, int(r.randint(lo, hi) * scale))
    return uv, max(1, int(uv * r.uniform(0.04, 0.3)))


# --------------------------------------------------------------------------------------------
# Datacube generators: one per response shape
# --------------------------------------------------------------------------------------------

def with_extra(obj, rng):
    """Every object carries one field the documentation does not know; clients must ignore it."""
    name, value = rng.choice((
        ("extra_metric", rng.randint(0, 999)),
        ("_debug", {"trace_id": "%016x" % rng.randint(0, 2 ** 64 - 1), "cost_ms": rng.randint(1, 80)}),
        ("ext_info", [rng.randint(0, 9), "beta"]),
        ("remark", "灰度字段"),
        ("is_sampled", rng.chance(0.5)),
        ("reserved", None),
        ("ratio", rng.uniform(0, 1)),
    ))
    obj[name] = value
    return obj


def gen_daily_summary(ctx):
    r = ctx.rng
    rows = []
    if not ctx.empty:
        app = Det(ctx.appid, "summary")
        day_no = (ctx.begin - datetime.date(2017, 1, 1)).days
        growth = app.randint(200, 3000)
        share_pv = r.randint(50, 8000)
        rows.append(with_extra({
            "ref_date": ctx.ref_date,
            # cumulative users: grows with the date, never goes down
            "visit_total": app.randint(200000, 2000000) + day_no * growth + r.randint(0, growth - 1),
            "share_pv": share_pv,
            "share_uv": int(share_pv * r.uniform(0.4, 0.95)),
        }, r))
    return with_extra({"list": rows}, r)


def gen_visit_trend(ctx):
    r = ctx.rng
    rows = []
    if not ctx.empty:
        uv, uv_new = base_uv(ctx)
        session_cnt = int(uv * r.uniform(1.1, 2.6))
        stay_time_session = r.uniform(8, 180)
        row = {
            "ref_date": ctx.ref_date,
            "session_cnt": session_cnt,
            "visit_pv": int(session_cnt * r.uniform(1.4, 3.2)),
            "visit_uv": uv,
            "visit_uv_new": uv_new,
            "stay_time_uv": round(stay_time_session * session_cnt / uv, 4),
            "stay_time_session": stay_time_session,
            "visit_depth": r.uniform(1.2, 4.8),
        }
        # The seed examples omit stay_time_uv; other fields go missing now and then too.
        for field, p in (("stay_time_uv", 0.5), ("stay_time_session", 0.08),
                         ("visit_depth", 0.08), ("visit_uv_new", 0.05)):
            if r.chance(p):
                del row[field]
        # The seed shows "stay_time_session": 0 -- an integer in a float field.
        if "stay_time_session" in row and r.chance(0.05):
            row["stay_time_session"] = 0
        rows.append(with_extra(row, r))
    return with_extra({"list": rows}, r)


SOURCE_KEYS = tuple(range(1, 19))
UNDOCUMENTED_SOURCE_KEYS = (19, 23, 36, 44, 57)   # the live API has grown past the seed's 18


def _distribution_items(r, keys, lo, hi):
    return [{"key": k, "value": r.randint(lo, hi)} for k in sorted(keys, reverse=True)]


def gen_visit_distribution(ctx):
    r = ctx.rng
    indexes = []
    if not ctx.empty:
        sources = r.sample(SOURCE_KEYS, r.randint(6, 14))
        if r.chance(0.4):
            sources += r.sample(UNDOCUMENTED_SOURCE_KEYS, r.randint(1, 2))
        staytime = [k for k in range(1, 9) if k <= 4 or r.chance(0.85)]
        depth = list(range(1, r.randint(5, 7) + 1))
        for index, keys, hi in (("access_source_session_cnt", sources, 120000),
                                ("access_staytime_info", staytime, 30000),
                                ("access_depth_info", depth, 65000)):
            indexes.append(with_extra(
                {"index": index, "item_list": _distribution_items(r, keys, 1, hi)}, r))
    return with_extra({"ref_date": ctx.ref_date, "list": indexes}, r)


def _retain_series(r, keys, first):
    series, value = [], first
    for k in keys:
        if k > 0:
            value = int(value * (r.uniform(0.2, 0.45) if k == 1 else r.uniform(0.6, 0.95)))
        series.append({"key": k, "value": value})
    return series


def gen_retain(ctx):
    r = ctx.rng
    keys = PERIODS[ctx.kind].retain_keys
    new, active = [], []
    if not ctx.empty:
        uv, uv_new = base_uv(ctx)
        new = _retain_series(r, keys, uv_new)
        active = _retain_series(r, keys, uv)
    return with_extra({"ref_date": ctx.ref_date, "visit_uv_new": new, "visit_uv": active}, r)


PAGE_POOL = (
    "pages/index/index", "pages/goods/detail", "pages/coupon/coupon", "pages/cart/cart",
    "pages/search/search", "pages/category/category", "pages/user/center", "pages/order/list",
    "pages/order/detail", "pages/article/article", "pages/live/room", "pages/address/edit",
    "pages/activity/detail", "pages/member/card",
)


def gen_visit_page(ctx):
    r = ctx.rng
    rows = []
    if not ctx.empty:
        pv = r.randint(5000, 250000)
        for path in r.sample(PAGE_POOL, r.randint(1, 12)):   # top pages by pv, descending
            share_pv = r.randint(0, max(1, pv // 400))
            rows.append(with_extra({
                "page_path": path,
                "page_visit_pv": pv,
                "page_visit_uv": max(1, int(pv * r.uniform(0.2, 0.6))),
                "page_staytime_pv": r.uniform(1.5, 60, 6),
                "entrypage_pv": int(pv * r.uniform(0, 0.6)),
                "exitpage_pv": int(pv * r.uniform(0.05, 0.6)),
                "page_share_pv": share_pv,
                "page_share_uv": int(share_pv * r.uniform(0.5, 1.0)),
            }, r))
            pv = max(1, int(pv * r.uniform(0.2, 0.9)))
    return with_extra({"ref_date": ctx.ref_date, "list": rows}, r)


PROVINCES = ((31, "广东省"), (1, "北京"), (9, "上海"), (10, "江苏省"), (11, "浙江省"),
             (13, "福建省"), (15, "山东省"), (16, "河南省"), (17, "湖北省"), (18, "湖南省"),
             (23, "四川省"), (2, "天津"))
CITIES = ((3102, "广州"), (3103, "深圳"), (3106, "东莞"), (101, "北京"), (901, "上海"),
          (1101, "杭州"), (1001, "南京"), (1002, "苏州"), (2301, "成都"), (1701, "武汉"),
          (1301, "福州"), (1501, "济南"))
GENDERS = ((1, "男"), (2, "女"))
PLATFORMS = ((1, "iPhone"), (2, "android"), (3, "其他"))
AGES = ((1, "17岁以下"), (2, "18-24岁"), (3, "25-29岁"), (4, "30-39岁"), (5, "40-49岁"),
        (6, "50岁以上"))
DEVICES = tuple((None, name) for name in (
    "苹果iPhone6", "OPPO R9", "苹果iPhone 13", "华为Mate 60 Pro", "vivo X9", "小米14",
    "荣耀Magic5", "华为nova 11", "OPPO Reno10", "苹果iPhone 15 Pro", "红米Note 12", "一加11",
    "vivo S17", "魅族20", "三星Galaxy S23", "realme GT5", "华为P60", "iQOO 11", "中兴Axon 40",
    "苹果iPad", "努比亚Z50", "摩托罗拉edge"))
UNKNOWN = "未知"


NO_UNKNOWN = object()     # an attribute that never has a 未知 value


def _portrait_attribute(r, total, choices, count, unknown_id):
    """A subset of choices ((id, name) pairs; id None = no id, as for devices), sometimes with
    an unknown entry (the seed: some users' attributes are missing), values summing to total."""
    entries = r.sample(choices, count)
    if unknown_id is not NO_UNKNOWN and r.chance(0.5):
        entries.append((unknown_id, UNKNOWN))
    out = []
    for (id_, name), value in zip(entries, r.split(total, len(entries))):
        out.append({"name": name, "value": value} if id_ is None
                   else {"id": id_, "name": name, "value": value})
    return out


def _portrait_user_type(r, total):
    return {
        "province": _portrait_attribute(r, total, PROVINCES, r.randint(4, 10), -1),
        "city": _portrait_attribute(r, total // 2, CITIES, r.randint(3, 10), -1),
        "genders": _portrait_attribute(r, total, GENDERS, 2, 0),
        "platforms": _portrait_attribute(r, total, PLATFORMS, r.randint(2, 3), NO_UNKNOWN),
        # top 20 only, and no id
        "devices": _portrait_attribute(r, total // 3, DEVICES, r.randint(5, 19), None),
        "ages": _portrait_attribute(r, total, AGES, r.randint(4, 6), 0),
    }


def gen_user_portrait(ctx):
    r = ctx.rng
    if ctx.empty:
        blank = {a: [] for a in ("province", "city", "genders", "platforms", "devices", "ages")}
        return with_extra({"ref_date": ctx.ref_date, "visit_uv_new": blank, "visit_uv": dict(blank)}, r)
    uv, uv_new = base_uv(ctx)
    return with_extra({"ref_date": ctx.ref_date,
                       "visit_uv_new": _portrait_user_type(r, uv_new),
                       "visit_uv": _portrait_user_type(r, uv)}, r)


@dataclasses.dataclass(frozen=True)
class Endpoint:
    kind: str               # a key of PERIODS
    generate: object        # Ctx -> response dict


# The ten analysis endpoints: name -> (period rule, generator).  Adding one is one row.
DATACUBE = {
    "getweanalysisappiddailysummarytrend": Endpoint("day", gen_daily_summary),
    "getweanalysisappiddailyvisittrend": Endpoint("day", gen_visit_trend),
    "getweanalysisappidweeklyvisittrend": Endpoint("week", gen_visit_trend),
    "getweanalysisappidmonthlyvisittrend": Endpoint("month", gen_visit_trend),
    "getweanalysisappidvisitdistribution": Endpoint("day", gen_visit_distribution),
    "getweanalysisappiddailyretaininfo": Endpoint("day", gen_retain),
    "getweanalysisappidweeklyretaininfo": Endpoint("week", gen_retain),
    "getweanalysisappidmonthlyretaininfo": Endpoint("month", gen_retain),
    "getweanalysisappidvisitpage": Endpoint("day", gen_visit_page),
    "getweanalysisappiduserportrait": Endpoint("portrait", gen_user_portrait),
}


def datacube_response(appid, name, body, empty=False):
    """Validate a datacube request body and build the response dict (or raise ApiError);
    empty: the answer of a period without data."""
    endpoint = DATACUBE[name]
    if not isinstance(body, dict) or "begin_date" not in body or "end_date" not in body:
        raise ApiError(47001)
    begin, end = parse_api_date(body["begin_date"]), parse_api_date(body["end_date"])
    period = PERIODS[endpoint.kind]
    if begin > end or end > yesterday_beijing() or not period.is_valid(begin, end):
        raise ApiError(61501)
    ref_date = period.ref_date(begin, end)
    ctx = Ctx(appid, name, endpoint.kind, begin, end, ref_date, Det(appid, name, ref_date),
              empty or period_is_empty(appid, endpoint.kind, begin, end))
    return endpoint.generate(ctx)


# --------------------------------------------------------------------------------------------
# Images
# --------------------------------------------------------------------------------------------

# A 16x16 baseline grayscale JFIF (made once with libjpeg).  Each response gets a COM segment
# with the sha256 of its request body right after SOI, so different requests differ in bytes.
_JPEG_BASE = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4"
    "UG1RV19iZ2hnPk1xeXBkeFxlZ2P/wAALCAAQABABAREA/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QA"
    "tRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0"
    "NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2"
    "t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/9oACAEBAAA/AD/ko3/UO+wf9tvM3/8AfOMb"
    "PfrR/wAlG/6h32D/ALbeZv8A++cY2e/Wj/ko3/UO+wf9tvM3/wDfOMbPfrR/yUb/AKh32D/tt5m//vnGNnv1r//Z")


def jpeg_image(digest_hex):
    comment = digest_hex.encode()
    return _JPEG_BASE[:2] + b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment + _JPEG_BASE[2:]


def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_image(digest, side, rgb):
    """An RGBA PNG, side x side pixels: a 21x21 grid of modules (like a code) in line_color on a
    transparent background (is_hyaline), the pattern taken from the request's sha256."""
    modules = 21
    bits = []
    n = 0
    while len(bits) < modules * modules:
        block = hashlib.sha256(digest + n.to_bytes(4, "big")).digest()
        bits.extend((byte >> i) & 1 for byte in block for i in range(8))
        n += 1
    dark, light = bytes(rgb) + b"\xff", b"\0\0\0\0"
    column = [x * modules // side for x in range(side)]
    raw = bytearray()
    for y in range(side):
        row = bits[(y * modules // side) * modules:][:modules]
        raw.append(0)       # filter type None
        raw += b"".join(dark if row[c] else light for c in column)
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + _png_chunk(b"IEND", b""))


SCENE_RE = re.compile(r"^[0-9A-Za-z!#$&'()*+,/:;=?@\-._~]*$")


def _check_common_image_args(body):
    """Fields A and B share: env_version, width (clamped as the live API does), line_color."""
    env = body.get("env_version", "release")
    if env not in ("release", "trial", "develop"):
        raise ApiError(40097)
    width = body.get("width", 430)
    if isinstance(width, str) and width.strip().lstrip("-").isdigit():
        width = int(width)
    if isinstance(width, bool) or not isinstance(width, (int, float)):
        raise ApiError(40097)
    width = min(1280, max(280, int(width)))
    rgb = [0, 0, 0]
    color = body.get("line_color")
    if isinstance(color, dict):
        for i, c in enumerate("rgb"):
            try:
                rgb[i] = min(255, max(0, int(color.get(c, 0))))
            except (TypeError, ValueError):
                pass
    return width, rgb


def _check_path_field(body):
    path = body.get("path")
    if not isinstance(path, str) or not path or len(path.encode()) > 128:
        raise ApiError(40159)
    if "scancode_time" in path:
        raise ApiError(85096)


def _check_scene_fields(body):
    scene = body.get("scene")
    if not isinstance(scene, str) or not 1 <= len(scene) <= 32:
        raise ApiError(40169)
    if not SCENE_RE.match(scene):
        raise ApiError(40129)
    page = body.get("page")
    if page is not None and page != "":
        if not isinstance(page, str):
            raise ApiError(41030)
        if "scancode_time" in page:
            raise ApiError(85096)
        if body.get("check_path", True) is not False and page not in PUBLISHED_PAGES:
            raise ApiError(41030)


# --------------------------------------------------------------------------------------------
# Shared state, guarded by one lock (never held while sleeping or doing I/O)
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Token:
    appid: str
    kind: str               # "classic" or "stable"
    expires_at: float       # monotonic
    dead_at: float = None   # set when replaced (classic: after the grace period; stable: at once)
    revoked: bool = False


FAULT_KINDS = ("errcode", "http", "truncated", "stall", "html", "close", "garbage", "huge",
               "redirect", "body", "nested", "cut")


class State:
    def __init__(self, **startup_config):
        self.lock = threading.Lock()
        # What reset returns to: the defaults, with the command line's settings (--latency-ms).
        self.defaults = dict(DEFAULT_CONFIG, **startup_config)
        # Every token ever issued, kept across resets: tests search logs for them.
        self.issued_ever = collections.deque(maxlen=100000)
        self.reset()

    def reset(self, forget_tokens=True):
        # Tests reset between cases while a backend holds a cached token: keeping the
        # tokens by default keeps their request counts free of revocation retries.
        with self.lock:
            self.config = dict(self.defaults)
            if forget_tokens or not hasattr(self, "tokens"):
                self.tokens = {}                    # token string -> Token
                self.current = {}                   # (appid, kind) -> token string
            self.tokens_issued = collections.Counter()
            self.requests = collections.Counter()   # path -> n
            self.outcomes = collections.Counter()   # "path outcome" -> n
            self.faults = []                        # dicts, in the order injected
            self.faults_fired = collections.Counter()
            self.served = collections.deque(maxlen=50000)   # bounded: benchmarks run long
            self.used_js_codes = set()
            self.codes_made = collections.Counter()  # appid -> codes made by A + C
            self.unlimit_calls = collections.defaultdict(collections.deque)
            self.error_rotation = 0
            self.connections = 0                    # accepted since reset and used for the API
            self.connections_total = 0              # every accepted connection since reset
            self.tls_handshakes = 0                 # TLS handshakes completed since reset
            self.tls_resumed = 0                    # of those, resumed sessions
            self.tls_failed = 0                     # handshakes that failed (certificate refused)
            self.epoch = getattr(self, "epoch", 0) + 1

    # -- configuration
    def set_config(self, values):
        with self.lock:
            for key, value in values.items():
                if key not in DEFAULT_CONFIG:
                    raise ValueError(f"unknown config key {key!r}; valid: {', '.join(DEFAULT_CONFIG)}")
                if key == "unpublished_dates":
                    self.config[key] = parse_day_list(value)
                    continue
                if key == "unpublished_answer":
                    value = str(value)      # emuctl sends unpublished_answer=61503 as a number
                    if value not in UNPUBLISHED_ANSWERS:
                        raise ValueError(f"unpublished_answer must be one of {', '.join(UNPUBLISHED_ANSWERS)}")
                    self.config[key] = value
                    continue
                if key == "tls_certificate":
                    if value not in TLS_CERTIFICATES:
                        raise ValueError(f"tls_certificate must be one of {', '.join(TLS_CERTIFICATES)}")
                    self.config[key] = value
                    continue
                if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                    raise ValueError(f"config {key} must be a non-negative number")
                self.config[key] = value
            return dict(self.config)

    def get(self, key):
        with self.lock:
            return self.config[key]

    # -- accounting
    def on_accept(self):
        with self.lock:
            self.connections_total += 1
            return self.epoch

    def on_tls_handshake(self, ok, resumed=False):
        with self.lock:
            if not ok:
                self.tls_failed += 1
                return
            self.tls_handshakes += 1
            self.tls_resumed += bool(resumed)

    def on_api_request(self, path, conn_epoch, first_on_connection, proxied=False):
        with self.lock:
            self.requests[path] += 1
            if proxied:
                # an absolute-form target ("POST http://host/path"): sent to us as a proxy
                self.requests["proxied"] += 1
            if first_on_connection and conn_epoch == self.epoch:
                self.connections += 1

    def record(self, path, outcome, served=None):
        with self.lock:
            self.outcomes[f"{path} {outcome}"] += 1
            if served is not None:
                self.served.append((path,) + served)

    def next_error_content_type(self):
        with self.lock:
            self.error_rotation += 1
            return ERROR_CONTENT_TYPES[self.error_rotation % len(ERROR_CONTENT_TYPES)]

    # -- faults
    def add_fault(self, fault):
        with self.lock:
            self.faults.append(fault)

    def take_fault(self, path, body=b""):
        """The first injected fault matching path (and body, if it has "match") with uses left;
        consumes one use."""
        with self.lock:
            for fault in self.faults:
                if fault["path"] in path and fault["times"] != 0 and \
                        fault.get("match", "").encode() in body:
                    if fault["times"] > 0:
                        fault["times"] -= 1
                    self.faults_fired[fault["kind"]] += 1
                    return dict(fault)
            return None

    # -- tokens
    def _new_token(self, appid, kind, now):
        # Shaped like the live ones: "<digits>_<opaque>", only [A-Za-z0-9_-].
        token = f"{secrets.randbelow(90) + 10}_" + secrets.token_urlsafe(96)
        self.tokens[token] = Token(appid, kind, now + self.config["token_ttl"])
        self.current[(appid, kind)] = token
        self.issued_ever.append(token)
        self.tokens_issued[kind] += 1
        return token

    def issue_classic(self, appid):
        """Every call makes a new token; the previous one dies after the grace period."""
        now = time.monotonic()
        with self.lock:
            previous = self.tokens.get(self.current.get((appid, "classic")))
            if previous and previous.dead_at is None:
                previous.dead_at = now + self.config["old_token_grace"]
            token = self._new_token(appid, "classic", now)
            return token, int(self.config["token_ttl"])

    def stable(self, appid, force_refresh):
        """The current stable token while it is valid; a new one when forced or gone."""
        now = time.monotonic()
        with self.lock:
            token = self.current.get((appid, "stable"))
            info = self.tokens.get(token)
            alive = info and not info.revoked and info.dead_at is None and info.expires_at - now >= 1
            if alive and not force_refresh:
                return token, int(info.expires_at - now)
            if info and info.dead_at is None:
                info.dead_at = now              # replaced: the old stable token dies at once
            token = self._new_token(appid, "stable", now)
            return token, int(self.config["token_ttl"])

    def check_token(self, token):
        """The appid a token belongs to, or ApiError 41001 / 40001 / 42001."""
        if not token:
            raise ApiError(41001)
        now = time.monotonic()
        with self.lock:
            info = self.tokens.get(token)
            if info is None or info.revoked or (info.dead_at is not None and now >= info.dead_at):
                raise ApiError(40001)
            if now >= info.expires_at:
                raise ApiError(42001)
            return info.appid

    def revoke(self, appid=None):
        with self.lock:
            n = 0
            for info in self.tokens.values():
                if (appid is None or info.appid == appid) and not info.revoked:
                    info.revoked = True
                    n += 1
            return n

    def current_stable(self, appid):
        now = time.monotonic()
        with self.lock:
            token = self.current.get((appid, "stable"))
            info = self.tokens.get(token)
            if info and not info.revoked and info.dead_at is None and now < info.expires_at:
                return token
            return None

    # -- quotas and one-time codes
    def use_js_code(self, appid, code):
        with self.lock:
            if (appid, code) in self.used_js_codes:
                return False
            self.used_js_codes.add((appid, code))
            return True

    def take_code_quota(self, appid):
        """Interfaces A + C: code_quota codes per app, ever."""
        with self.lock:
            if self.codes_made[appid] >= self.config["code_quota"]:
                raise ApiError(45029)
            self.codes_made[appid] += 1

    def take_unlimit_rate(self, appid):
        """Interface B: unlimit_per_minute calls per app in any window of unlimit_window_seconds."""
        now = time.monotonic()
        with self.lock:
            calls = self.unlimit_calls[appid]
            while calls and calls[0] <= now - self.config["unlimit_window_seconds"]:
                calls.popleft()
            if len(calls) >= self.config["unlimit_per_minute"]:
                raise ApiError(45009)
            calls.append(now)

    def quota(self, path):
        """quota/get's figures: the emulator's own count of requests to path is "used"."""
        with self.lock:
            limit = int(self.config["daily_quota"])
            used = self.requests[path]
            return {"daily_limit": limit, "used": used, "remain": max(0, limit - used)}

    def published(self, day):
        """Whether WeChat has published day's data: all days but yesterday before publish_hour,
        the newest unpublished_days days and the unpublished_dates."""
        with self.lock:
            config = dict(self.config)
        now = datetime.datetime.now(BEIJING)
        yesterday = now.date() - datetime.timedelta(days=1)
        if day >= yesterday and now.hour < config["publish_hour"]:
            return False
        if day > yesterday - datetime.timedelta(days=int(config["unpublished_days"])):
            return False
        return ymd(day) not in config["unpublished_dates"]

    # -- control views
    def stats(self):
        with self.lock:
            return {
                "requests": dict(self.requests),
                "outcomes": dict(self.outcomes),
                "connections": self.connections,
                "connections_total": self.connections_total,
                "tls": {"handshakes": self.tls_handshakes, "resumed": self.tls_resumed,
                        "failed": self.tls_failed},
                "tokens_issued": {"classic": self.tokens_issued["classic"],
                                  "stable": self.tokens_issued["stable"]},
                "faults_fired": dict(self.faults_fired),
                "faults_pending": [f for f in self.faults if f["times"] != 0],
                "codes_made": dict(self.codes_made),
                "config": dict(self.config),
            }

    def credentials(self):
        """The apps' secrets and every token issued since the emulator started."""
        with self.lock:
            return list(APPS.values()) + list(self.issued_ever)

    def served_for(self, substring):
        with self.lock:
            return [{"path": p, "body": b, "request": r} for p, b, r in self.served if substring in p]


# --------------------------------------------------------------------------------------------
# Replies
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Reply:
    status: int
    content_type: str
    body: bytes = b""
    stream: object = None       # (length, iterator of bytes) instead of body
    close: bool = False         # close the connection without answering
    outcome: str = None         # for stats: errcode, or HTTP status
    served: object = None       # the journal entry's body (dict) for a success
    headers: dict = None        # extra response headers (Location)
    cut: bool = False           # send half the body, then drop the connection
    announce: bool = True       # send Content-Length (with cut: the whole body's)

    def __post_init__(self):
        if self.outcome is None:
            self.outcome = str(self.status)


def compact(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_reply(obj, content_type=JSON_UTF8):
    return Reply(200, content_type, compact(obj).encode(), served=obj)


def error_reply(state, err):
    body = compact({"errcode": err.errcode, "errmsg": err.errmsg}).encode()
    return Reply(200, state.next_error_content_type(), body, outcome=str(err.errcode))


def image_reply(data, content_type):
    summary = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
               "content_type": content_type}
    return Reply(200, content_type, data, served=summary)


# --------------------------------------------------------------------------------------------
# API handlers: (state, request, appid-from-token) -> Reply, or raise ApiError
# --------------------------------------------------------------------------------------------

@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict             # first value of each parameter
    body: bytes
    gone: object = None     # () -> True once the client has closed the connection

    def json(self):
        """The body as JSON; anything else is 47001 (the API rejects form posts)."""
        try:
            return json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ApiError(47001) from None

    def json_object(self):
        body = self.json()
        if not isinstance(body, dict):
            raise ApiError(47001)
        return body


def check_app(appid, secret):
    if not appid:
        raise ApiError(41002)
    if not secret:
        raise ApiError(41004)
    if appid not in APPS:
        raise ApiError(40013)
    if APPS[appid] != secret:
        raise ApiError(40125)


def handle_token(state, req, _appid):
    q = req.query
    if q.get("grant_type") != "client_credential":
        raise ApiError(40002)
    check_app(q.get("appid"), q.get("secret"))
    token, ttl = state.issue_classic(q["appid"])
    return json_reply({"access_token": token, "expires_in": ttl})


def handle_stable_token(state, req, _appid):
    body = req.json_object()
    if body.get("grant_type") != "client_credential":
        raise ApiError(40002)
    appid, secret = body.get("appid"), body.get("secret")
    check_app(appid if isinstance(appid, str) else None, secret if isinstance(secret, str) else None)
    token, expires_in = state.stable(appid, body.get("force_refresh") is True)
    return json_reply({"access_token": token, "expires_in": expires_in})


def handle_code2session(state, req, _appid):
    q = req.query
    check_app(q.get("appid"), q.get("secret"))
    if q.get("grant_type") != "authorization_code":
        raise ApiError(40002)
    appid, code = q["appid"], q.get("js_code")
    if not code:
        raise ApiError(41008)
    if code.startswith("risky_"):
        raise ApiError(40226)
    if not code.startswith("code_"):
        raise ApiError(40029)
    if not state.use_js_code(appid, code):
        raise ApiError(40163)
    user = hashlib.sha256(f"openid\x1f{appid}\x1f{code}".encode()).digest()
    result = {
        "session_key": base64.b64encode(
            hashlib.sha256(f"session_key\x1f{appid}\x1f{code}".encode()).digest()[:16]).decode(),
        "openid": "o" + base64.urlsafe_b64encode(user).decode()[:27],
    }
    if "union" in code:
        union = hashlib.sha256(f"unionid\x1f{code}".encode()).digest()
        result["unionid"] = "o" + base64.urlsafe_b64encode(union).decode()[:27]
    # The live endpoint labels its JSON text/plain.
    return json_reply(result, "text/plain")


def handle_datacube(state, req, appid):
    name = req.path.rsplit("/", 1)[1]
    body = req.json()
    response = datacube_response(appid, name, body)     # the request's own errors come first
    if not state.published(parse_api_date(body["end_date"])):
        # WeChat answers a period it has not published with 61503 or, on some endpoints and
        # days, with the empty answer of a period without data
        if state.get("unpublished_answer") == "empty":
            return json_reply(datacube_response(appid, name, body, empty=True))
        raise ApiError(61503)
    return json_reply(response)


def handle_quota(state, req, _appid):
    """POST /cgi-bin/openapi/quota/get: the daily quota of one API path (never clears it)."""
    path = req.json_object().get("cgi_path")
    if not isinstance(path, str) or not path.startswith("/") or "?" in path:
        raise ApiError(76003)
    if path.startswith("/sns/"):
        raise ApiError(76022)
    if path not in ROUTES:
        raise ApiError(76021)
    return json_reply({"errcode": 0, "errmsg": "ok", "quota": state.quota(path)})


def handle_wxacode(state, req, appid):
    """Interface A: path-based code, counted against the A + C quota."""
    body = req.json_object()
    _check_path_field(body)
    width, rgb = _check_common_image_args(body)
    state.take_code_quota(appid)
    return _code_image(req, body, width, rgb, allow_png=True)


def handle_wxacode_unlimit(state, req, appid):
    """Interface B: scene-based code, rate limited per minute, no count limit."""
    body = req.json_object()
    width, rgb = _check_common_image_args(body)
    _check_scene_fields(body)
    state.take_unlimit_rate(appid)
    return _code_image(req, body, width, rgb, allow_png=True)


def handle_create_qrcode(state, req, appid):
    """Interface C: square QR code, always JPEG, counted against the A + C quota."""
    body = req.json_object()
    _check_path_field(body)
    width, rgb = _check_common_image_args({"width": body.get("width", 430)})
    state.take_code_quota(appid)
    return _code_image(req, body, width, rgb, allow_png=False)


def _code_image(req, body, width, rgb, allow_png):
    digest = hashlib.sha256(req.body).digest()
    if allow_png and body.get("is_hyaline") is True:
        return image_reply(png_image(digest, width // 8, rgb), "image/png")
    return image_reply(jpeg_image(digest.hex()), "image/jpeg")


# path -> (method, handler, needs access_token)
ROUTES = {
    "/cgi-bin/token": ("GET", handle_token, False),
    "/cgi-bin/stable_token": ("POST", handle_stable_token, False),
    "/sns/jscode2session": ("GET", handle_code2session, False),
    "/wxa/getwxacode": ("POST", handle_wxacode, True),
    "/wxa/getwxacodeunlimit": ("POST", handle_wxacode_unlimit, True),
    "/cgi-bin/wxaapp/createwxaqrcode": ("POST", handle_create_qrcode, True),
    "/cgi-bin/openapi/quota/get": ("POST", handle_quota, True),
}
ROUTES.update({f"/datacube/{name}": ("POST", handle_datacube, True) for name in DATACUBE})


def served_request(req):
    """The request as the journal shows it: the JSON body, or for a GET its query."""
    if req.method == "GET":
        return compact({k: v for k, v in req.query.items() if k != "access_token"})
    try:
        return compact(json.loads(req.body.decode("utf-8")))
    except (UnicodeDecodeError, ValueError):
        return compact(req.body.decode("utf-8", "replace"))


def dispatch(state, req):
    """Route one API request to its handler; returns a Reply."""
    route = ROUTES.get(req.path)
    if route is None:
        body = compact({"errcode": 40066, "errmsg": ERRMSG[40066]}).encode()
        return Reply(404, "application/json", body)
    method, handler, needs_token = route
    try:
        if req.method != method:
            raise ApiError(43002 if method == "POST" else 43001)
        appid = state.check_token(req.query.get("access_token")) if needs_token else None
        reply = handler(state, req, appid)
    except ApiError as err:
        return error_reply(state, err)
    if reply.served is not None:
        reply.served = (compact(reply.served), served_request(req))
    return reply


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------

GATEWAY_HTML = ("<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
                "<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                "</body>\r\n</html>\r\n")
BUSY_HTML = ("<html><head><meta charset=\"utf-8\"><title>系统繁忙</title></head>"
             "<body><p>系统繁忙，请稍后再试。</p></body></html>")
GARBAGE_JSON = ('{"list": [1, "x", {"ref_date": 5, "visit_uv": "many", "stay_time_uv": [1]}], '
                '"ref_date": 20170313, "visit_uv_new": "none", "visit_uv": {"province": 7}, '
                '"access_token": 42, "expires_in": "soon", "openid": null}')
HUGE_SIZE = 64 * 1024 * 1024


def huge_stream():
    """A 64 MiB JSON document, {"list":[row,row,...]} padded to the exact size, in 1 MiB chunks."""
    head, tail = b'{"list":[', b']}'
    row = (b'{"ref_date":"20170313","session_cnt":142549,"visit_pv":472351,"visit_uv":55500,'
           b'"visit_uv_new":5464,"stay_time_session":0,"visit_depth":1.9838},')
    body_len = HUGE_SIZE - len(head) - len(tail)
    chunk = row * ((1024 * 1024) // len(row))

    def chunks():
        yield head
        left = body_len
        while left >= len(chunk) + len(row):
            yield chunk
            left -= len(chunk)
        # The last piece: whole rows, then spaces (legal JSON whitespace) and one final row.
        last_row = row[:-1]
        filler = left - len(last_row)
        yield row * (filler // len(row)) + b" " * (filler % len(row)) + last_row
        yield tail
    return HUGE_SIZE, chunks()


def request_credentials(req):
    """(access_token, secret) the request carried, in its query or JSON body ("" if none)."""
    token, secret = req.query.get("access_token", ""), req.query.get("secret", "")
    if not secret:
        try:
            body = json.loads(req.body.decode("utf-8"))
            if isinstance(body, dict) and isinstance(body.get("secret"), str):
                secret = body["secret"]
        except (UnicodeDecodeError, ValueError):
            pass
    return token, secret


def echo_errmsg(req, pad):
    """An errmsg that repeats the request's credentials, as parameters and bare, after pad
    characters (to put them across a client's truncation point)."""
    token, secret = request_credentials(req)
    parts = ["x" * pad + "invalid credential"]
    if token:
        parts.append(f"access_token={token}&x=1, token {token}")
    if secret:
        parts.append(f"secret={secret}&x=1, appsecret {secret}")
    return ", ".join(parts) + ", rid: 0"


def nested_body(depth):
    """A valid empty answer with an unknown field nested depth levels deep."""
    return ('{"list":[],"deep":' + "[" * depth + "]" * depth + "}").encode()


def apply_fault(state, fault, req):
    """The Reply for a request that an injected fault intercepts (None: answer normally)."""
    kind = fault["kind"]
    if kind == "errcode":
        errmsg = fault.get("errmsg")
        if errmsg == "echo":
            errmsg = echo_errmsg(req, fault.get("pad", 0))
        return error_reply(state, ApiError(int(fault.get("errcode", -1)), errmsg))
    if kind == "redirect":
        location = fault.get("location", "http://127.0.0.2:9") + req.path
        body = GATEWAY_HTML.format(status=302, reason="Found").encode()
        return Reply(302, "text/html", body, headers={"Location": location}, outcome="redirect")
    if kind == "body":
        # lone surrogates \udc80..\udcff stand for raw bytes: bodies that are not UTF-8
        return Reply(fault.get("status", 200), fault.get("content_type", JSON_UTF8),
                     fault["body"].encode("utf-8", "surrogateescape"), outcome="body")
    if kind == "nested":
        return Reply(200, JSON_UTF8, nested_body(fault.get("depth", 100)), outcome="nested")
    if kind == "http":
        status = int(fault.get("status", 502))
        reason = http.server.BaseHTTPRequestHandler.responses.get(status, ("Error",))[0]
        return Reply(status, "text/html", GATEWAY_HTML.format(status=status, reason=reason).encode())
    if kind == "html":
        return Reply(200, "text/html; charset=utf-8", BUSY_HTML.encode(), outcome="html")
    if kind == "close":
        return Reply(0, "", close=True, outcome="close")
    if kind == "garbage":
        return Reply(200, JSON_UTF8, GARBAGE_JSON.encode(), outcome="garbage")
    if kind == "huge":
        return Reply(200, JSON_UTF8, stream=huge_stream(), outcome="huge")
    if kind == "cut":
        reply = dispatch(state, req)
        return Reply(reply.status, reply.content_type, reply.body, cut=True,
                     announce=bool(fault.get("announce", 0)), outcome="cut")
    if kind == "truncated":
        reply = dispatch(state, req)
        return Reply(reply.status, reply.content_type, reply.body[:len(reply.body) // 2],
                     outcome="truncated")
    if kind == "stall":
        # A client that gives up (timeout, cancel) closes the connection: stop there, so
        # that its request is neither answered nor journaled seconds later, in another test.
        deadline = time.monotonic() + float(fault.get("seconds", 30))
        while time.monotonic() < deadline:
            if req.gone and req.gone():
                return Reply(0, "", close=True, outcome="abandoned")
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        return None
    raise ValueError(kind)


def make_fault(spec):
    """Validate a fault request from the control API."""
    kind = spec.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; valid: {', '.join(FAULT_KINDS)}")
    fault = {"path": str(spec.get("path", "")), "kind": kind, "times": int(spec.get("times", 1))}
    if spec.get("match"):
        fault["match"] = str(spec["match"])     # only requests whose body contains this
    for key, cast in (("errcode", int), ("status", int), ("seconds", float), ("depth", int),
                      ("pad", int), ("errmsg", str), ("location", str), ("content_type", str),
                      ("announce", int)):
        if spec.get(key) is not None:
            fault[key] = cast(spec[key])
    if kind == "body":
        if "body" not in spec:
            raise ValueError("a body fault needs body=TEXT")
        # emuctl sends body=VALUE as JSON when it parses: send it back as compact JSON text
        body = spec["body"]
        fault["body"] = body if isinstance(body, str) else compact(body)
    if fault.get("status") is not None and not 100 <= fault["status"] <= 599:
        raise ValueError("status must be 100..599")
    if not 1 <= fault.get("depth", 1) <= 1000000:
        raise ValueError("depth must be 1..1000000")
    if not 0 <= fault.get("pad", 0) <= 100000:
        raise ValueError("pad must be 0..100000")
    return fault


# --------------------------------------------------------------------------------------------
# Control API (/__emu/...)
# --------------------------------------------------------------------------------------------

def control(state, method, path, query, body):
    """-> (HTTP status, JSON-able object)."""
    try:
        data = json.loads(body.decode("utf-8")) if body.strip() else {}
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        if path == "/__emu/stats" and method == "GET":
            return 200, state.stats()
        if path == "/__emu/reset" and method == "POST":
            state.reset(forget_tokens=bool(data.get("tokens", False)))
            return 200, {"ok": True}
        if path == "/__emu/config" and method == "POST":
            return 200, {"ok": True, "config": state.set_config(data)}
        if path == "/__emu/config" and method == "GET":
            return 200, {"config": state.set_config({})}
        if path == "/__emu/fault" and method == "POST":
            fault = make_fault(data)
            state.add_fault(fault)
            return 200, {"ok": True, "fault": fault}
        if path == "/__emu/revoke" and method == "POST":
            return 200, {"ok": True, "revoked": state.revoke(data.get("appid") or None)}
        if path == "/__emu/served" and method == "GET":
            return 200, {"served": state.served_for(query.get("path", ""))}
        if path == "/__emu/credentials" and method == "GET":
            return 200, {"credentials": state.credentials()}
        if path == "/__emu/token" and method == "GET":
            return 200, {"appid": query.get("appid"),
                         "access_token": state.current_stable(query.get("appid"))}
    except (ValueError, TypeError) as exc:
        return 400, {"error": str(exc)}
    return 404, {"error": f"no control endpoint {method} {path}"}


# --------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 300               # idle keep-alive connections are dropped after this
    # Headers and body are separate writes; with Nagle on, the body waits for the client's
    # delayed ACK (~40 ms per request), which would swamp any latency measurement.
    disable_nagle_algorithm = True

    def setup(self):
        self.conn_epoch = self.server.state.on_accept()
        self.used_for_api = False
        self.tls_refused = False
        if self.server.tls_contexts:
            self._start_tls()
        super().setup()

    def _start_tls(self):
        """Handshake with the certificate the config names; a refused one ends the connection."""
        state = self.server.state
        context = self.server.tls_contexts[state.get("tls_certificate")]
        self.request.settimeout(self.timeout)
        try:
            self.request = context.wrap_socket(self.request, server_side=True)
        except (ssl.SSLError, OSError):
            state.on_tls_handshake(False)
            self.tls_refused = True
            return
        state.on_tls_handshake(True, self.request.session_reused)

    def handle(self):
        if not self.tls_refused:
            super().handle()

    def version_string(self):
        return "nginx"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    do_PUT = do_DELETE = do_PATCH = do_GET

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(data)
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self):
        state = self.server.state
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            return
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        if url.path.startswith("/__emu/"):
            status, obj = control(state, self.command, url.path, query, body)
            # ASCII escapes: a body fault's raw bytes (lone surrogates) must survive the answer
            self._send(Reply(status, "application/json", json.dumps(obj).encode()))
            return
        try:
            reply = self._api(state, Request(self.command, url.path, query, body, self._client_gone))
        except Exception:      # a bug in the emulator: say so, answer like the API's -1
            traceback.print_exc()
            reply = Reply(500, "application/json", b'{"errcode":-1,"errmsg":"system error"}')
        self._send(reply)

    def _client_gone(self):
        """True when the client has closed its end (EOF waiting on the socket)."""
        try:
            # select first: recv on a socket with a timeout waits for data, whatever its flags
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            if isinstance(self.connection, ssl.SSLSocket):
                # a client waiting for its answer sends nothing: bytes now are its close_notify
                # alert (record type 21) or EOF; peek at the raw socket, below TLS
                peeked = socket.socket.recv(self.connection, 1, socket.MSG_PEEK)
                return peeked in (b"", b"\x15")
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _api(self, state, req):
        state.on_api_request(req.path, self.conn_epoch, not self.used_for_api,
                             proxied=self.path.startswith("http://"))
        self.used_for_api = True
        fault = state.take_fault(req.path, req.body or b"")
        latency = state.get("latency_ms")
        if latency:
            time.sleep(latency / 1000.0)     # per request, outside the lock: requests overlap
        reply = apply_fault(state, fault, req) if fault else None
        if reply is None:
            reply = dispatch(state, req)
            state.record(req.path, reply.outcome, reply.served)
        else:
            state.record(req.path, reply.outcome)
        return reply

    def _send(self, reply):
        if reply.close:
            self.close_connection = True
            try:
                if isinstance(self.connection, ssl.SSLSocket):
                    # as nginx closes: close_notify first, so that the client sees a clean EOF
                    self.connection.settimeout(1)
                    self.connection.unwrap()
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        length, chunks = reply.stream if reply.stream else (len(reply.body), [reply.body])
        if reply.cut:
            # the connection drops halfway through the body
            chunks = [reply.body[:len(reply.body) // 2]]
            self.close_connection = True
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            if reply.announce:
                self.send_header("Content-Length", str(length))
            else:
                # HTTP/1.1 without a length: the body runs until the connection closes
                self.send_header("Connection", "close")
            for name, value in (reply.headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(chunk)
            self.wfile.flush()
            if reply.cut:
                self.connection.shutdown(socket.SHUT_RDWR)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            self.close_connection = True     # the client gave up (timeout, cancel): fine


class EmulatorServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256    # the client opens up to 64 connections at once

    def __init__(self, address, state, verbose=False, tls_contexts=None):
        self.state = state
        self.verbose = verbose
        self.tls_contexts = tls_contexts    # None: plain HTTP; else TLS_CERTIFICATES name -> context
        super().__init__(address, Handler)


def load_tls_contexts(directory):
    """One server-side SSLContext per certificate of TLS_CERTIFICATES, from NAME.pem / NAME.key."""
    contexts = {}
    for name in TLS_CERTIFICATES:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(directory, f"{name}.pem"),
                                os.path.join(directory, f"{name}.key"))
        contexts[name] = context
    return contexts


def write_port_file(path, port):
    """Write atomically so that a reader never sees a partial file."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def main(argv=None):
    parser = argparse.ArgumentParser(description="WeChat mini-program API emulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--tls-dir", help="also serve HTTPS on a second port, with the certificates "
                        "in this directory (test/make-test-ca)")
    parser.add_argument("--tls-port", type=int, default=0, help="0 = any free port")
    parser.add_argument("--tls-port-file", help="write the bound TLS port here once listening")
    args = parser.parse_args(argv)

    state = State(latency_ms=args.latency_ms)
    server = EmulatorServer((args.host, args.port), state, args.verbose)
    port = server.server_address[1]
    tls_server = None
    if args.tls_dir:
        tls_server = EmulatorServer((args.host, args.tls_port), state, args.verbose,
                                    load_tls_contexts(args.tls_dir))
        threading.Thread(target=tls_server.serve_forever, kwargs={"poll_interval": 0.2},
                         daemon=True).start()

    def stop(_signum, _frame):
        threading.Thread(target=server.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    if tls_server and args.tls_port_file:
        write_port_file(args.tls_port_file, tls_server.server_address[1])
    if args.port_file:
        write_port_file(args.port_file, port)
    if args.verbose:
        print(f"wechat emulator listening on {args.host}:{port}", file=sys.stderr)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        if tls_server:
            tls_server.shutdown()
            tls_server.server_close()
        server.server_close()
        if args.port_file:
            try:
                with open(args.port_file) as f:
                    if f.read().strip() == str(port):
                        os.unlink(args.port_file)
            except OSError:
                pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
