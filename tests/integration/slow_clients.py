#!/usr/bin/env python3
"""Slow and waiting clients against a running i2i-serve (issue 11).

usage: slow_clients.py PORT SERVER_PID IMAGE.png PER_IP_LIMIT DEADLINE_S

1. per-IP limit: 3x the limit from one address; at most the limit stay open.
2. slowloris: 300 connections from 15 loopback addresses, each sending one
   byte of a request header per second. A normal client (127.0.0.1) must be
   answered all along, every slow connection must be closed by the server
   soon after the deadline although bytes keep coming (the deadline does not
   restart on activity), and the server must not run a thread per connection.
3. Prefer: wait: 16 clients waiting on queued jobs must not add a thread each.

Prints one line per check; exit status 1 when any failed.
"""
import base64
import http.client
import json
import socket
import sys
import threading
import time
import serve_checks
from serve_checks import check

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
IMAGE, PER_IP, DEADLINE = sys.argv[3], int(sys.argv[4]), float(sys.argv[5])



def threads():
    return serve_checks.threads(PID)


def connect_from(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", PORT))
    return s


def closed_by_server(s):
    """True when the server has closed s (EOF or reset); never blocks."""
    s.setblocking(False)
    try:
        return s.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.settimeout(5)


def healthz(timeout=3.0):
    """Status and seconds of GET /healthz from 127.0.0.1 (status 0: failed)."""
    t0 = time.monotonic()
    try:
        c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
        c.request("GET", "/healthz")
        status = c.getresponse().status
        c.close()
    except OSError:
        status = 0
    return status, time.monotonic() - t0


def per_ip_limit():
    socks = []
    for _ in range(3 * PER_IP):
        try:
            socks.append(connect_from("127.0.0.20"))
        except OSError:
            pass
    time.sleep(1.0)
    still_open = sum(1 for s in socks if not closed_by_server(s))
    for s in socks:
        s.close()
    check(f"per-IP limit: {still_open} of {3 * PER_IP} connections from one address stay open "
          f"(limit {PER_IP})", still_open <= PER_IP)


REQUEST = b"POST /v1/edit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" * 4


def slowloris():
    socks = []
    for i in range(300):
        try:
            socks.append([connect_from(f"127.0.0.{2 + i % 15}"), 0, None])
        except OSError:
            pass
    check(f"slowloris: {len(socks)} of 300 slow connections accepted", len(socks) == 300)
    t0 = time.monotonic()
    statuses, worst, peak_threads = [], 0.0, 0
    while time.monotonic() - t0 < DEADLINE + 4:
        for e in socks:  # one more byte on every connection the server kept
            if e[2] is None:
                try:
                    e[0].send(REQUEST[e[1]:e[1] + 1])
                    e[1] += 1
                except OSError:
                    e[2] = time.monotonic() - t0
                if e[2] is None and closed_by_server(e[0]):
                    e[2] = time.monotonic() - t0
        peak_threads = max(peak_threads, threads())
        status, secs = healthz()
        statuses.append(status)
        worst = max(worst, secs)
        time.sleep(max(0.0, 1.0 - secs))
    ok = statuses.count(200)
    check(f"slowloris: normal client answered {ok}/{len(statuses)} times, slowest {worst:.2f} s",
          ok == len(statuses) and worst < 2.0)
    closed = [e[2] for e in socks if e[2] is not None]
    late = max(closed) if closed else -1
    check(f"slowloris: server closed {len(closed)}/{len(socks)} slow connections (sending a byte "
          f"a second), the last after {late:.1f} s (deadline {DEADLINE:g} s)",
          len(closed) == len(socks) and late <= DEADLINE + 2.5)
    check(f"slowloris: {peak_threads} server threads with 300 connections (not one each)",
          0 < peak_threads < 100)
    for e in socks:
        e[0].close()


def prefer_wait():
    n = 16
    body = json.dumps({"prompt": "x", "num_inference_steps": 1,
                       "image": base64.b64encode(open(IMAGE, "rb").read()).decode()})
    base = threads()
    results, pending = [], [n]
    lock = threading.Lock()

    def one(i):
        try:
            c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120,
                                           source_address=(f"127.0.0.{30 + i % 3}", 0))
            c.request("POST", "/v1/edit", body, {"Content-Type": "application/json",
                                                 "Prefer": "wait=60"})
            status = c.getresponse().status
            c.close()
        except OSError:
            status = 0
        with lock:
            results.append(status)
            pending[0] -= 1

    ts = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    worst_extra, busy_samples, health = 0, 0, []
    while any(t.is_alive() for t in ts):
        with lock:
            waiting = pending[0]
        if waiting >= 10:
            busy_samples += 1
            worst_extra = max(worst_extra, threads() - base)
            health.append(healthz())
        time.sleep(0.2)
    for t in ts:
        t.join()
    # 200 once the job is final (resumed by its completion), 202 when the wait ran out first
    # (a slow, e.g. sanitizer, build): every waiter is answered either way
    answered = sum(1 for r in results if r in (200, 202))
    check(f"Prefer: wait: {answered}/{n} waiters answered, {results.count(200)} with their "
          f"finished job", answered == n and results.count(200) >= 1)
    check(f"Prefer: wait: at most {worst_extra} threads more than idle over {busy_samples} "
          f"samples with 10+ clients waiting (not one each)", busy_samples > 0 and worst_extra < 6)
    check(f"Prefer: wait: /healthz answered meanwhile ({[round(s, 2) for _, s in health][:5]} s)",
          all(st == 200 and s < 2.0 for st, s in health))


per_ip_limit()
slowloris()
prefer_wait()
sys.exit(serve_checks.exit_code())
