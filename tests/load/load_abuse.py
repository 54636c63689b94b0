#!/usr/bin/env python3
"""Load and abuse run against a running i2i-serve (issue 11).

usage: load_abuse.py PORT SERVER_PID IMAGE.png REQUESTS CONCURRENCY SLOW

CONCURRENCY keep-alive clients from 127.0.0.1 send REQUESTS requests in all,
a fixed mix (seeded) of good ones (submit an edit job, poll it, list jobs,
cancel, profiles, health, metrics) and bad ones (malformed JSON and
multipart, unknown fields, corrupt and header-only images, a body over the
limit announced by Content-Length, unknown routes and methods, bad ids,
%00 in a path). The server runs with a small
queue, so most submissions meet a full queue. Meanwhile SLOW connections
from other loopback addresses trickle request bytes and are reopened when
the server closes them at its read deadline.

Checks: every answer is 2xx or 4xx (503 allowed, no other 5xx, no transport
error on the fast clients); every bad request gets a 4xx with the error
envelope; polls of known jobs answer 200 (or 410 once evicted). Prints the
status counts, the p50/p99 latency of GET /v1/jobs/{id}, and the server's
RSS after warm-up and at the end; the RSS must stay flat (the job store is
capped). Exit status 1 when any check failed.
"""
import base64
import collections
import http.client
import json
import random
import socket
import sys
import threading
import time
import os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
import serve_checks  # noqa: E402
from serve_checks import check  # noqa: E402

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
IMAGE = open(sys.argv[3], "rb").read()
TOTAL, CONC, SLOW = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])



def rss_mb():
    return serve_checks.rss_mb(PID)


def multipart(fields):
    """fields: list of (name, value bytes, filename or None)."""
    b = "loadb0undary"
    out = bytearray()
    for name, value, filename in fields:
        disp = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += f"--{b}\r\nContent-Disposition: {disp}\r\n\r\n".encode() + value + b"\r\n"
    out += f"--{b}--\r\n".encode()
    return bytes(out), {"Content-Type": f"multipart/form-data; boundary={b}"}


JSON = {"Content-Type": "application/json"}
B64 = base64.b64encode(IMAGE).decode()
HEADER_ONLY_JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffc0000b080040004001011100ffd9")


def good_submit(rng):
    body = {"image": B64, "prompt": f"job {rng.randrange(10**6)}", "resolution": 64,
            "num_inference_steps": rng.choice([1, 2, 3]), "seed": rng.randrange(1000)}
    return "POST", "/v1/edit", json.dumps(body).encode(), JSON


def good_multipart_submit(rng):
    body, h = multipart([("image", IMAGE, "in.png"), ("prompt", b"multipart job", None),
                         ("resolution", b"64", None), ("num_inference_steps", b"1", None)])
    return "POST", "/v1/edit", body, h


# Bad requests: (name, builder). Each must be answered 4xx with the envelope.
BAD = [
    ("malformed JSON", lambda r: ("POST", "/v1/edit", b'{"prompt": "x", ', JSON)),
    ("JSON not an object", lambda r: ("POST", "/v1/edit", b"[1,2,3]", JSON)),
    ("unknown field", lambda r: ("POST", "/v1/edit", json.dumps(
        {"image": B64, "prompt": "x", "colour": 1}).encode(), JSON)),
    ("missing image", lambda r: ("POST", "/v1/edit", b'{"prompt": "x"}', JSON)),
    ("bad base64", lambda r: ("POST", "/v1/edit", b'{"prompt": "x", "image": "@@@@"}', JSON)),
    ("corrupt PNG", lambda r: ("POST", "/v1/edit", json.dumps(
        {"prompt": "x", "image": base64.b64encode(IMAGE[:60] + b"\0" * 200).decode()}).encode(),
        JSON)),
    ("header-only JPEG", lambda r: ("POST", "/v1/edit", json.dumps(
        {"prompt": "x", "image": base64.b64encode(HEADER_ONLY_JPEG).decode()}).encode(), JSON)),
    ("steps out of range", lambda r: ("POST", "/v1/edit", json.dumps(
        {"image": B64, "prompt": "x", "num_inference_steps": 10**6}).encode(), JSON)),
    ("hex integer in multipart", lambda r: ("POST", "/v1/edit", *multipart(
        [("image", IMAGE, "a.png"), ("prompt", b"x", None), ("seed", b"0x10", None)]))),
    ("multipart without boundary", lambda r: ("POST", "/v1/edit", b"--x\r\n",
                                              {"Content-Type": "multipart/form-data"})),
    ("wrong content type", lambda r: ("POST", "/v1/edit", b"hello", {"Content-Type": "text/plain"})),
    ("unknown route", lambda r: ("GET", f"/v1/nothing/{r.randrange(999)}", None, {})),
    ("method not allowed", lambda r: ("PUT", "/v1/edit", b"{}", JSON)),
    ("unknown job id", lambda r: ("GET", "/v1/jobs/00000000-0000-4000-8000-000000000000", None,
                                  {})),
    ("malformed job id", lambda r: ("GET", "/v1/jobs/..%2f..%2fetc", None, {})),
    ("cancel unknown job", lambda r: ("DELETE", "/v1/jobs/ffffffff-ffff-4fff-8fff-ffffffffffff",
                                      None, {})),
    ("NUL in path", lambda r: ("GET", "/healthz%00junk", None, {})),
    ("unknown profile", lambda r: ("POST", "/v1/edit", json.dumps(
        {"image": B64, "prompt": "x", "profile": "no-such"}).encode(), JSON)),
]


class Client:
    """One keep-alive connection; reconnects when the server closes it."""

    def __init__(self):
        self.conn = None

    def send(self, method, path, body, headers):
        for attempt in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                self.conn.request(method, path, body, headers)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.close()
                return r.status, data
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # a keep-alive connection the server had closed: once more
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


stats = collections.Counter()
bad_wrong = collections.Counter()
poll_ms, poll_bad, errors = [], [], []
known_ids = collections.deque(maxlen=500)
lock = threading.Lock()
done = [0]
rss_samples = []


def one_request(rng, client):
    roll = rng.random()
    kind = None
    if roll < 0.20:
        req = good_submit(rng)
    elif roll < 0.25:
        req = good_multipart_submit(rng)
    elif roll < 0.50 and known_ids:
        kind = "poll"
        req = ("GET", f"/v1/jobs/{rng.choice(known_ids)}", None, {})
    elif roll < 0.55:
        req = ("GET", "/v1/jobs?limit=20", None, {})
    elif roll < 0.58 and known_ids:
        req = ("DELETE", f"/v1/jobs/{rng.choice(known_ids)}", None, {})
    elif roll < 0.65:
        req = ("GET", rng.choice(["/healthz", "/readyz", "/metrics", "/v1/profiles"]), None, {})
    else:
        kind, build = rng.choice(BAD)
        req = build(rng)
    t0 = time.monotonic()
    status, data = client.send(*req)
    ms = (time.monotonic() - t0) * 1e3
    with lock:
        stats[status] += 1
        if kind == "poll":
            poll_ms.append(ms)
            if status not in (200, 410):
                poll_bad.append(status)
        elif kind is not None:
            envelope = False
            try:
                e = json.loads(data)["error"]
                envelope = isinstance(e.get("code"), str) and isinstance(e.get("message"), str)
            except (ValueError, KeyError, TypeError):
                pass
            if not (400 <= status < 500 and envelope):
                bad_wrong[f"{kind}: {status}"] += 1
        elif req[1] == "/v1/edit" and status == 202:
            known_ids.append(json.loads(data)["id"])


def fast_client(seed, quota):
    rng = random.Random(seed)
    client = Client()
    for _ in range(quota):
        try:
            one_request(rng, client)
        except (OSError, http.client.HTTPException) as e:
            with lock:
                errors.append(repr(e))
            client.close()
        with lock:
            done[0] += 1


SLOW_BYTES = b"POST /v1/edit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" * 8


def slow_clients(stop):
    """SLOW trickling connections from 127.0.0.2..16, reopened when closed."""
    socks = [None] * SLOW
    pos = [0] * SLOW
    reopened = 0
    while not stop.is_set():
        for i in range(SLOW):
            if socks[i] is None:
                try:
                    s = socket.socket()
                    s.bind((f"127.0.0.{2 + i % 15}", 0))
                    s.settimeout(2)
                    s.connect(("127.0.0.1", PORT))
                    socks[i], pos[i] = s, 0
                    reopened += 1
                except OSError:
                    continue
            try:
                socks[i].send(SLOW_BYTES[pos[i] % len(SLOW_BYTES):][:1])
                pos[i] += 1
            except OSError:
                socks[i].close()
                socks[i] = None
        stop.wait(1.0)
    for s in socks:
        if s:
            s.close()
    slow_opened[0] = reopened


slow_opened = [0]


def sampler(stop):
    while not stop.is_set():
        with lock:
            n = done[0]
        rss_samples.append((n, rss_mb()))
        stop.wait(0.5)


def main():
    stop = threading.Event()
    bg = [threading.Thread(target=slow_clients, args=(stop,)),
          threading.Thread(target=sampler, args=(stop,))]
    for t in bg:
        t.start()
    time.sleep(1.5)  # the slow connections are open before the load starts
    t0 = time.monotonic()
    per = [TOTAL // CONC + (1 if i < TOTAL % CONC else 0) for i in range(CONC)]
    ts = [threading.Thread(target=fast_client, args=(1000 + i, per[i])) for i in range(CONC)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    rss_end = rss_mb()
    stop.set()
    for t in bg:
        t.join()

    n = sum(stats.values())
    print(f"{n} requests in {secs:.1f} s ({n / secs:.0f}/s) at {CONC} connections, "
          f"{SLOW} slow connections ({slow_opened[0]} opened in all)")
    print("statuses: " + ", ".join(f"{k}: {v}" for k, v in sorted(stats.items())))
    check(f"every request answered ({n + len(errors)} of {TOTAL}; transport errors: "
          f"{len(errors)} {errors[:3]})", n == TOTAL and not errors)
    five = {k: v for k, v in stats.items() if k >= 500 and k != 503}
    check(f"no 5xx other than 503 ({five})", not five)
    odd = {k: v for k, v in stats.items() if not (200 <= k < 300 or 400 <= k < 500 or k == 503)}
    check(f"only 2xx/4xx/503 ({odd})", not odd)
    check(f"every bad request refused with 4xx and the error envelope ({dict(bad_wrong)})",
          not bad_wrong)
    check(f"polls of known jobs answer 200 or 410 ({collections.Counter(poll_bad)})",
          not poll_bad)
    check(f"the queue was full at times (429: {stats[429]}) and jobs were accepted "
          f"(202: {stats[202]})", stats[429] > 0 and stats[202] > 0)
    poll_ms.sort()
    if poll_ms:
        p50, p99 = poll_ms[len(poll_ms) // 2], poll_ms[min(len(poll_ms) - 1,
                                                           int(len(poll_ms) * 0.99))]
        print(f"GET /v1/jobs/{{id}} under load: {len(poll_ms)} polls, p50 {p50:.1f} ms, "
              f"p99 {p99:.1f} ms")
        check(f"p99 of GET /v1/jobs/{{id}} under 2 s ({p99:.0f} ms)", p99 < 2000)
    warm = [r for k, r in rss_samples if k >= TOTAL // 4]
    rss_warm = warm[0] if warm else rss_samples[-1][1]
    print(f"server RSS: {rss_warm:.1f} MB after warm-up ({TOTAL // 4} requests), "
          f"{rss_end:.1f} MB at the end, peak {max(r for _, r in rss_samples):.1f} MB")
    curve = []
    for q in (1, 2, 3, 4, 5, 6, 7, 8):
        at = [r for k, r in rss_samples if k >= TOTAL * q // 8]
        curve.append(f"{q * 100 // 8}%: {at[0] if at else rss_end:.1f}")
    print("server RSS by requests done (MB): " + ", ".join(curve))
    check(f"RSS flat after warm-up ({rss_warm:.1f} -> {rss_end:.1f} MB, at most +20% +32 MB)",
          rss_end <= rss_warm * 1.2 + 32)
    return serve_checks.exit_code()


sys.exit(main())
