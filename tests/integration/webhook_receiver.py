#!/usr/bin/env python3
"""A webhook receiver on loopback for test_serve_webhooks.sh.

usage: webhook_receiver.py PORT_FILE LOG_FILE SECRET FAIL_FIRST

Listens on 127.0.0.1 (a free port, written to PORT_FILE), answers 500 to
the first FAIL_FIRST deliveries and 200 after, and appends one JSON line
per delivery to LOG_FILE: webhook-id, timestamp, whether the Standard
Webhooks signature verified with SECRET (whsec_<base64>), the status it
answered, the event type and the job's status.
"""
import base64
import hashlib
import hmac
import http.server
import json
import sys
import threading

PORT_FILE, LOG, SECRET, FAIL_FIRST = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
KEY = base64.b64decode(SECRET[len("whsec_"):])
lock = threading.Lock()
seen = [0]


def verified(headers, body):
    msg_id, ts = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    want = base64.b64encode(hmac.new(KEY, f"{msg_id}.{ts}.".encode() + body,
                                     hashlib.sha256).digest()).decode()
    given = [s.split(",", 1)[1] for s in headers.get("webhook-signature", "").split()
             if s.startswith("v1,")]
    return any(hmac.compare_digest(want, g) for g in given)


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with lock:
            seen[0] += 1
            status = 500 if seen[0] <= FAIL_FIRST else 200
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
        entry = {"id": self.headers.get("webhook-id"), "ts": self.headers.get("webhook-timestamp"),
                 "verified": verified(self.headers, body), "answered": status,
                 "type": doc.get("type"), "status": doc.get("data", {}).get("status"),
                 "job": doc.get("data", {}).get("id"), "path": self.path}
        with lock, open(LOG, "a") as f:
            f.write(json.dumps(entry) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
with open(PORT_FILE, "w") as f:
    f.write(str(server.server_address[1]))
server.serve_forever()
