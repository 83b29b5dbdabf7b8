#!/usr/bin/env python3
"""Workload shapes for `make bench-shapes`: NDJSON written by a generator of our own, not lh-gen.

    gen.py SHAPE --events N [--seed S] [--out FILE]     (default out: stdout)
    gen.py --list                                        shape, contract, one line each

Pure Python (no numpy), deterministic by seed: the same SHAPE, N and S give the same bytes. Lines
are made in chunks of 65,536 from pools drawn with random.choices and one %-template per kind of
line. Every shape repeats about 4 % of its events as exact copies of an earlier line (same key,
same time), some close behind the original and some far behind (late copies), so that
deduplication has work to do. Lines are UTF-8 without control characters: the peers read them
as text (lh would also keep bytes that are not UTF-8; these shapes do not test that).

Shapes (contract in bench/shapes/<contract>.contract):
    week          shop   clickstream over 7 days, numeric user ids, 30-minute sessions
    month-strings app    30 days, string user ids over 2 M users, string session ids, key
                         (session_id, seq)
    year          shop   events spread over 365 days
    sessions-hc   shop   users and sessions nearly unique per event: distinct counts dominate gold
    skewed        shop   Zipf users and pages (a few keys hold most rows), 10 % late events (hours
                         to days behind), 8 % duplicates of which half arrive far behind
    wide          shop   each line carries ~40 unknown keys (strings, numbers, nested objects)
    invalid       shop   ~60 % of lines rejected: malformed JSON, not objects, wrong types,
                         missing fields, values not allowed, out of range, bad timestamps
    tiny          meter  tiny lines: {"id":…,"t":…,"v":…}
"""
import argparse
import random
import sys
from datetime import date, timedelta

CHUNK = 65_536
START = date(2026, 3, 2)  # a Monday

SHAPES = {
    "week": ("shop", 7), "month-strings": ("app", 30), "year": ("shop", 365),
    "sessions-hc": ("shop", 2), "skewed": ("shop", 7), "wide": ("shop", 3),
    "invalid": ("shop", 3), "tiny": ("meter", 2),
}

EVENT_TYPES = ["page_view", "search", "click", "add_to_cart", "purchase", "refund"]
EVENT_WEIGHTS = [55, 12, 20, 8, 4, 1]
DEVICES = ["desktop", "mobile", "tablet", "tv"]
DEVICE_WEIGHTS = [40, 50, 9, 1]
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "SE", "CA", "MX", "BR", "IN", "JP", "AU", "KR"]
CURRENCY = {"US": "USD", "GB": "GBP", "DE": "EUR", "FR": "EUR", "ES": "EUR", "IT": "EUR", "NL": "EUR",
            "PL": "PLN", "SE": "SEK", "CA": "CAD", "MX": "MXN", "BR": "BRL", "IN": "INR", "JP": "JPY",
            "AU": "AUD", "KR": "KRW"}
ACTIONS = ["open", "view", "tap", "scroll", "share", "subscribe", "close"]
ACTION_WEIGHTS = [8, 40, 25, 20, 3, 1, 3]
OSES = ["ios", "android", "web"]
APP_CURRENCIES = ["USD", "EUR", "GBP", "JPY", "INR", "BRL"]


class Clock:
    """Event times: the i-th of n events spread evenly over `days`, with jitter; text in RFC 3339."""

    def __init__(self, days, n):
        self.span = days * 86_400_000
        self.n = max(n, 1)
        self.days = [(START + timedelta(days=d)).isoformat() for d in range(days + 400)]

    def ms(self, i, jitter):
        t = i * self.span // self.n + jitter
        return min(max(t, 0), self.span - 1)

    def text(self, ms):
        d, r = divmod(ms, 86_400_000)
        s, m = divmod(r, 1000)
        return "%sT%02d:%02d:%02d.%03dZ" % (self.days[d], s // 3600, s // 60 % 60, s % 60, m)

    def text_offset(self, ms, hours):
        """The same instant written with a +HH:00 offset (local time = UTC + hours)."""
        local = ms + hours * 3_600_000
        d, r = divmod(local, 86_400_000)
        s, m = divmod(r, 1000)
        return "%sT%02d:%02d:%02d.%03d+%02d:00" % (self.days[d], s // 3600, s // 60 % 60, s % 60, m, hours)


def zipf_cum(n, s):
    acc, out = 0.0, []
    for k in range(1, n + 1):
        acc += 1.0 / k ** s
        out.append(acc)
    return out


def hexid(i, salt):
    return "%016x" % ((i * 0x9E3779B97F4A7C15 + salt) & 0xFFFF_FFFF_FFFF_FFFF)


class Shop:
    """Lines of the shop contract; `mode` picks the shape's id and time distributions."""

    def __init__(self, shape, n, rng):
        self.shape, self.n, self.rng = shape, n, rng
        days = SHAPES[shape][1]
        self.clock = Clock(days, n)
        self.users = {"week": 200_000, "year": 1_500_000, "sessions-hc": 50_000_000, "skewed": 100_000,
                      "wide": 300_000, "invalid": 200_000}[shape]
        self.pages = ["/"] + ["/c/%s" % w for w in ("shoes", "bags", "coats", "hats", "socks", "sale")] + \
            ["/p/%d" % k for k in range(1, 5001)] + ["/search?q=%s" % w for w in ("red", "blue", "gift", "new")]
        if shape == "skewed":
            self.user_cum = zipf_cum(self.users, 1.1)
            self.page_cum = zipf_cum(len(self.pages), 1.2)
        if shape == "wide":
            self.extra = self.make_extra_templates()

    def make_extra_templates(self):
        """~40 unknown keys: fixed strings, per-line numbers (%d slots), nested objects."""
        parts = []
        for k in range(12):
            parts.append('"utm_%02d":"campaign-%02d-spring"' % (k, k))
        for k in range(10):
            parts.append('"m_%02d":%%d' % k)
        for k in range(6):
            parts.append('"f_%02d":%d.%02d' % (k, k * 7, k * 13 % 100))
        parts.append('"flags":[true,false,null]')
        parts.append('"ab":{"bucket":%d,"arms":["a","b","c"],"meta":{"v":2,"exp":"checkout-7"}}')
        parts.append('"geo":{"lat":52.52,"lon":13.405,"city":"Berlin","tz":"Europe/Berlin"}')
        parts.append('"ua":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"')
        parts.append('"consent":{"ads":false,"analytics":true}')
        for k in range(9):
            parts.append('"x_%d":"%s"' % (k, "v" * (k + 3)))
        return ",".join(parts)

    def user_ids(self, k):
        if self.shape == "skewed":
            return [u + 1 for u in self.rng.choices(range(self.users), cum_weights=self.user_cum, k=k)]
        rand, n = self.rng.random, self.users
        return [1 + int(rand() * n) for _ in range(k)]

    def page_list(self, k):
        if self.shape == "skewed":
            return self.rng.choices(self.pages, cum_weights=self.page_cum, k=k)
        return self.rng.choices(self.pages, k=k)

    def chunk(self, first, k):
        rng, clock = self.rng, self.clock
        users = self.user_ids(k)
        pages = self.page_list(k)
        types = rng.choices(EVENT_TYPES, weights=EVENT_WEIGHTS, k=k)
        devices = rng.choices(DEVICES, weights=DEVICE_WEIGHTS, k=k)
        rand = rng.random
        jit = [int(rand() * 240_000) - 120_000 for _ in range(k)]
        late = self.shape == "skewed"
        lines = []
        for j in range(k):
            i = first + j
            u = users[j]
            ms = clock.ms(i, jit[j])
            if late and i % 10 == 3:
                ms = max(0, ms - rng.randrange(3_600_000, 3 * 86_400_000))
            if self.shape == "sessions-hc":
                sid = "s-" + hexid(i, 77)
            else:
                sid = "s-%x-%x" % (u, ms // 1_800_000)
            country = COUNTRIES[(u * 7) % 16]
            et = types[j]
            ts = clock.text_offset(ms, 2) if (self.shape == "year" and i % 5 == 0) else clock.text(ms)
            dur = "" if i % 9 == 0 else ',"duration_ms":%d' % (int(rand() * 120_000))
            bot = "" if i % 4 else (',"is_bot":%s' % ("true" if u % 50 == 0 else "false"))
            if et in ("add_to_cart", "purchase", "refund"):
                money = ',"amount":%d.%02d,"quantity":%d,"currency":"%s"' % (
                    1 + int(rand() * 899), int(rand() * 100), 1 + int(rand() * 5), CURRENCY[country])
            elif i % 7 == 0:
                money = ',"amount":null,"currency":null'
            else:
                money = ""
            line = ('{"event_id":"%s-%s","user_id":%d,"session_id":"%s","event_type":"%s","page":"%s",'
                    '"device":"%s","country":"%s"%s%s%s,"ts":"%s"' % (
                        hexid(i, 13)[:8], hexid(i, 5), u, sid, et, pages[j], devices[j], country, dur,
                        money, bot, ts))
            if self.shape == "wide":
                line += "," + self.extra % (tuple(int(rand() * 10_000) for _ in range(10)) + (u % 4,))
            lines.append(line + "}")
        if self.shape == "invalid":
            lines = [self.spoil(i + first, line) if i % 5 < 3 else self.unusual(i + first, line)
                     for i, line in enumerate(lines)]
        return lines

    def unusual(self, i, line):
        """A valid line written unusually (every variant is accepted by the shop contract)."""
        kind = i % 7
        if kind == 0:                                                      # escapes in strings
            return line.replace('"page":"/', '"page":"\\/caf\\u00e9/\\"q\\"', 1)
        if kind == 1:                                                      # spaces around tokens
            return line.replace('":', '" : ').replace(',"', ' , "')
        if kind == 2:                                                      # microseconds, lower-case z
            return line.replace('Z"', '123z"', 1)
        if kind == 3:                                                      # a +05:30 offset
            a, _, b = line.rpartition('"ts":"')
            return a + '"ts":"' + b.replace("T", "t", 1).replace('Z"', '+05:30"', 1)
        if kind == 4:                                                      # explicit nulls for optionals
            return line.replace('"ts":', '"duration_ms":null,"is_bot":null,"ts":', 1) \
                if '"duration_ms"' not in line and '"is_bot"' not in line else line
        if kind == 5:                                                      # 200 characters, 399 bytes
            line = line.replace('"page":"/', '"page":"/' + "\u00e9" * 199 + '","old":"', 1)
            return line.replace('"amount":', '"amount":1', 1).replace(',"quantity"', '0,"quantity"', 1)
        return line

    def spoil(self, i, line):
        """One invalid line in ten kinds (each rejected by the shop contract)."""
        kind = (i * 2654435761 >> 7) % 10
        if kind == 0:
            return line[: (i % (len(line) - 2)) + 1]                       # malformed: cut short
        if kind == 1:
            return line.replace('"user_id":', '"user_id":"', 1).replace(',"session_id"', '",\"session_id"', 1)
        if kind == 2:
            return line.replace('"event_type":"', '"event_type":"x_', 1)   # not allowed
        if kind == 3:
            return line.replace('"ts":"', '"ts":"yesterday ', 1)          # bad timestamp
        if kind == 4:
            a, _, b = line.rpartition('"ts":"')                            # no offset: not RFC 3339
            return a + '"ts":"' + b.replace("T", " ", 1).replace('Z"', '"', 1)
        if kind == 5:
            a, b = line.split(',"page":', 1)                               # missing required page
            return a + "," + b.split(",", 1)[1]
        if kind == 6:
            return line.replace('"user_id":', '"user_id":-', 1)            # out of range
        if kind == 7:
            return '["not","an","object",%d]' % i
        if kind == 8:
            return line.replace('"device":"', '"device":["', 1).replace('","country"', '"],"country"', 1)
        return line.replace('"event_id":"', '"event_id":"%s' % ("0123456789" * 4), 1)  # too long


class App:
    """Lines of the app contract: string user ids over 2 M users, key (session_id, seq)."""

    def __init__(self, shape, n, rng):
        self.rng, self.n = rng, n
        self.clock = Clock(SHAPES[shape][1], n)
        self.screens = ["home", "feed", "search", "settings", "profile", "paywall", "player"] + \
            ["article/%d" % k for k in range(2000)]
        self.versions = ["5.%d.%d" % (a, b) for a in range(3) for b in range(10)]

    def chunk(self, first, k):
        rng, clock = self.rng, self.clock
        rand = rng.random
        users = [int(rand() * 2_000_000) for _ in range(k)]
        actions = rng.choices(ACTIONS, weights=ACTION_WEIGHTS, k=k)
        screens = rng.choices(self.screens, k=k)
        jit = [int(rand() * 120_000) - 60_000 for _ in range(k)]
        lines = []
        for j in range(k):
            i = first + j
            u = users[j]
            ms = clock.ms(i, jit[j])
            uid = "u-" + hexid(u, 3)[:12]
            sid = "%s-%s" % (hexid(u, 9)[:10], hexid(ms // 1_200_000, u)[:12])
            act = actions[j]
            lat = "" if i % 6 == 0 else ',"latency_ms":%d.%d' % (5 + int(rand() * 3995), int(rand() * 10))
            pay = (',"price":%d.99,"currency":"%s"' % (1 + int(rand() * 29), APP_CURRENCIES[u % 6])
                   if act == "subscribe" else "")
            lines.append('{"session_id":"%s","seq":%d,"user_id":"%s","screen":"%s","action":"%s",'
                         '"app_version":"%s","os":"%s"%s%s,"ts":"%s"}' % (
                             sid, i, uid, screens[j], act, self.versions[u % 30], OSES[u % 3], lat, pay,
                             clock.text(ms)))
        return lines


class Meter:
    """Tiny lines: meter id, time, value."""

    def __init__(self, shape, n, rng):
        self.rng = rng
        self.clock = Clock(SHAPES[shape][1], n)
        self.meters = 20_000

    def chunk(self, first, k):
        rng, clock = self.rng, self.clock
        rand, m, text, span, n = rng.random, self.meters, clock.text, clock.span, clock.n
        return ['{"id":%d,"t":"%s","v":%d.%d}' % (int(rand() * m), text((first + j) * span // n),
                                                  int(rand() * 450) - 50, int(rand() * 100))
                for j in range(k)]


def generate(shape, n, seed, out):
    rng = random.Random(seed)
    kind = {"shop": Shop, "app": App, "meter": Meter}[SHAPES[shape][0]]
    source = kind(shape, n, rng)
    dup_rate = 0.08 if shape == "skewed" else 0.04
    # Earlier lines kept for copies: a window of recent ones, and a sparse sample of older ones.
    recent, old = [], []
    first = 0
    while first < n:
        k = min(CHUNK, n - first)
        lines = source.chunk(first, k)
        out_lines = []
        for line in lines:
            out_lines.append(line)
            if rng.random() < dup_rate:
                if old and rng.random() < 0.5:
                    out_lines.append(rng.choice(old))                     # a late copy
                elif recent:
                    out_lines.append(recent[rng.randrange(len(recent))])  # a near copy
            recent.append(line)
            if len(recent) > 256:
                old.extend(recent[:128:40])
                del recent[:128]
                while len(old) > 50_000:
                    old[rng.randrange(len(old))] = old.pop()
        out.write("\n".join(out_lines))
        out.write("\n")
        first += k


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("shape", nargs="?", choices=sorted(SHAPES))
    p.add_argument("--events", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default="-")
    p.add_argument("--list", action="store_true")
    a = p.parse_args()
    if a.list:
        for name, (contract, days) in SHAPES.items():
            print(name, contract, days)
        return
    if not a.shape:
        p.error("a shape is required")
    if a.out == "-":
        generate(a.shape, a.events, a.seed, sys.stdout)
    else:
        with open(a.out, "w", encoding="utf-8", newline="\n", buffering=1 << 20) as f:
            generate(a.shape, a.events, a.seed, f)


if __name__ == "__main__":
    main()
