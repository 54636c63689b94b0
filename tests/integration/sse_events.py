#!/usr/bin/env python3
"""Job event streams (GET /v1/jobs/{id}/events) against a running i2i-serve.

usage: sse_events.py PORT SERVER_PID IMAGE.png MAX_STREAMS

1. A job queued behind a long one: its stream says queued (position 0),
   started, every step's progress with an ETA, and done with the job JSON;
   event ids run 1, 2, 3, ... without a gap.
2. A client that disconnects mid-job and reconnects with Last-Event-ID
   misses no event and sees none twice.
3. 200 idle streams open at once: job routes stay responsive and the
   server does not add a thread per stream; MAX_STREAMS caps them (503).
4. An idle stream gets keep-alive comments (server run with
   --event-keepalive 1); a canceled job's stream ends with "canceled".
5. Unknown job: 404 envelope; a malformed Last-Event-ID: 400.
"""
import base64
import http.client
import json
import socket
import sys
import time
import serve_checks
from serve_checks import check

PORT, PID = int(sys.argv[1]), int(sys.argv[2])
IMAGE = base64.b64encode(open(sys.argv[3], "rb").read()).decode()
MAX_STREAMS = int(sys.argv[4])



def threads():
    return serve_checks.threads(PID)


def request(method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    c.request(method, path, body, headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def submit(steps, profile="edit", resolution=64):
    body = json.dumps({"image": IMAGE, "prompt": "stream me", "resolution": resolution,
                       "num_inference_steps": steps, "profile": profile})
    status, data = request("POST", "/v1/edit", body, {"Content-Type": "application/json"})
    assert status == 202, (status, data)
    return json.loads(data)["id"]


class Stream:
    """A raw SSE client: parses events as they arrive."""

    def __init__(self, job_id, last_id=None, timeout=60):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        extra = f"Last-Event-ID: {last_id}\r\n" if last_id is not None else ""
        self.sock.sendall(f"GET /v1/jobs/{job_id}/events HTTP/1.1\r\nHost: x\r\n"
                          f"Accept: text/event-stream\r\n{extra}\r\n".encode())
        self.buf = b""
        self.ended = False  # the terminating chunk arrived
        self.head = None
        self.comments = 0

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise EOFError
        self.buf += chunk

    def status(self):
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode()
        self.chunked = "transfer-encoding: chunked" in self.head.lower()
        self.raw, self.buf = self.buf, b""
        return int(self.head.split()[1])

    def _body_bytes(self):
        """De-chunks what has arrived into self.buf (chunked transfer)."""
        while True:
            if not self.chunked:
                self.buf += self.raw
                self.raw = b""
                return
            if b"\r\n" not in self.raw:
                return
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self.ended = True
                self.raw = b""
                return
            if len(rest) < size + 2:
                return
            self.buf += rest[:size]
            self.raw = rest[size + 2:]

    def next_event(self):
        """(id, name, data) of the next event; comments are counted."""
        while True:
            self._body_bytes()
            if b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                fields = {}
                for line in block.decode().split("\n"):
                    if line.startswith(":"):
                        self.comments += 1
                    elif ": " in line:
                        k, v = line.split(": ", 1)
                        fields[k] = v
                if "event" in fields:
                    return int(fields.get("id", -1)), fields["event"], json.loads(fields["data"])
                continue
            if self.ended:
                raise EOFError
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.raw += chunk

    def all_events(self):
        out = []
        try:
            while True:
                ev = self.next_event()
                out.append(ev)
                if ev[1] in ("done", "gone"):
                    return out
        except EOFError:
            return out

    def close(self):
        self.sock.close()


def wait_running(job):
    for _ in range(600):
        status, data = request("GET", f"/v1/jobs/{job}")
        if json.loads(data)["status"] == "running":
            return
        time.sleep(0.05)
    raise AssertionError(f"job {job} never ran")


def full_stream():
    # the worker is busy (256 px: a 32x32 latent, 100 steps outlast this part): the next job queues
    blocker = submit(100, "edit-full", 256)
    wait_running(blocker)
    job = submit(6)
    st = Stream(job)
    code = st.status()
    check(f"stream answers 200 (got {code})", code == 200)
    first_event = st.next_event()
    request("DELETE", f"/v1/jobs/{blocker}")  # the queued job runs now
    check("content type text/event-stream", "text/event-stream" in st.head)
    check("no proxy buffering (X-Accel-Buffering: no)", "x-accel-buffering: no" in st.head.lower())
    events = [first_event] + st.all_events()
    st.close()
    ids = [e[0] for e in events]
    names = [e[1] for e in events]
    first = events[0] if events else (0, "", {})
    check(f"first event: queued at position 0 ({first})",
          first[1] == "queued" and first[2].get("queue_position") == 0)
    # a position update repeats id 1; after that ids run on without a gap
    distinct = [i for n, i in enumerate(ids) if n == 0 or i != ids[n - 1]]
    check(f"event ids 1, 2, 3, ... without a gap ({ids})", distinct == list(range(1, len(distinct) + 1)))
    steps = [e[2]["step"] for e in events if e[1] == "progress"]
    check(f"started, then progress for every step 1..6 ({names})",
          "started" in names and steps == [1, 2, 3, 4, 5, 6])
    etas = [e[2]["eta_seconds"] for e in events if e[1] == "progress"][:-1]
    check(f"progress carries an ETA ({[round(x, 2) if x else x for x in etas]})",
          all(isinstance(x, (int, float)) and x >= 0 for x in etas))
    done = events[-1] if events else (0, "", {})
    check(f"done with the finished job JSON ({done[1]}, {done[2].get('status')})",
          done[1] == "done" and done[2].get("status") == "succeeded" and done[2].get("id") == job)
    return job


def resume():
    job = submit(12)
    st = Stream(job)
    st.status()
    seen = []
    while True:  # read until a few progress events arrived, then drop the connection
        ev = st.next_event()
        seen.append(ev)
        if ev[1] == "progress" and ev[2]["step"] >= 3:
            break
    st.close()
    time.sleep(0.5)  # steps go on while the client is away
    st = Stream(job, last_id=seen[-1][0])
    code = st.status()
    check(f"reconnect with Last-Event-ID {seen[-1][0]}: 200 (got {code})", code == 200)
    rest = st.all_events()
    st.close()
    ids = [e[0] for e in seen + rest]
    distinct = [i for n, i in enumerate(ids) if n == 0 or i != ids[n - 1]]
    check(f"reconnected: no event missed, none twice ({ids})",
          distinct == list(range(1, len(distinct) + 1)) and rest and rest[-1][1] == "done")
    steps = [e[2]["step"] for e in seen + rest if e[1] == "progress"]
    check(f"... every step once ({steps})", steps == list(range(1, 13)))


def many_idle():
    blocker = submit(100, "edit-full", 256)  # outlasts this part on any machine
    wait_running(blocker)
    job = submit(1)
    base = threads()
    streams = []
    for _ in range(200):
        st = Stream(job)
        streams.append(st)
    statuses = [st.status() for st in streams]
    check(f"200 streams open at once ({statuses.count(200)} answered 200)",
          statuses.count(200) == 200)
    for st in streams:  # each has its queued event
        st.next_event()
    extra = threads() - base
    check(f"200 open streams add {extra} server threads (not one each)", extra < 10)
    t0 = time.monotonic()
    worst = 0.0
    for _ in range(20):
        t = time.monotonic()
        code, _ = request("GET", f"/v1/jobs/{job}")
        worst = max(worst, time.monotonic() - t)
        assert code == 200
    code, _ = request("GET", "/v1/jobs")
    check(f"job routes responsive with 200 streams open (slowest poll {worst * 1e3:.0f} ms)",
          worst < 1.0 and code == 200)
    over = [Stream(job) for _ in range(MAX_STREAMS - 200 + 1)]
    codes = [st.status() for st in over]
    check(f"stream {MAX_STREAMS + 1} refused with 503 (codes {sorted(set(codes))})",
          codes.count(503) == 1 and codes.count(200) == MAX_STREAMS - 200)
    time.sleep(2.5)
    comments = 0
    s0 = streams[0]
    s0.sock.settimeout(3)
    try:
        s0.raw += s0.sock.recv(65536)
        s0._body_bytes()
        comments = s0.buf.count(b": keep-alive")
    except socket.timeout:
        pass
    check(f"an idle stream gets keep-alive comments ({comments})", comments >= 1)
    request("DELETE", f"/v1/jobs/{job}")
    ends = []
    for st in streams[:5]:
        st.sock.settimeout(10)
        evs = st.all_events()
        ends.append(evs[-1][2].get("status") if evs else None)
    check(f"a canceled job's streams end with done/canceled ({ends})",
          ends == ["canceled"] * 5)
    for st in streams + over:
        st.close()
    request("DELETE", f"/v1/jobs/{blocker}")


def errors():
    code, data = request("GET", "/v1/jobs/123e4567-e89b-42d3-a456-426614174000/events")
    check(f"unknown job: 404 not_found ({code})", code == 404 and
          json.loads(data)["error"]["code"] == "not_found")
    job = submit(1)
    code, data = request("GET", f"/v1/jobs/{job}/events", headers={"Last-Event-ID": "x1"})
    check(f"malformed Last-Event-ID: 400 ({code})", code == 400 and "error" in json.loads(data))


full_stream()
resume()
many_idle()
errors()
sys.exit(serve_checks.exit_code())
