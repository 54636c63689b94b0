#!/usr/bin/python3
"""Sends N mixed good and bad requests to an i2i-serve and prints a JSON
summary of the status codes seen. Every error answer must be the JSON error
envelope; the script exits 1 if one is not.

usage: soak.py BASE_URL N GOOD_PNG HUGE_PNG CORRUPT_PNG
"""
import http.client
import json
import sys
import urllib.parse
import uuid


def multipart(fields):
    boundary = uuid.uuid4().hex
    out = bytearray()
    for name, value, filename in fields:
        out += f"--{boundary}\r\n".encode()
        disp = f'Content-Disposition: form-data; name="{name}"'
        if filename:
            disp += f'; filename="{filename}"'
        out += (disp + "\r\n\r\n").encode() + value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def main(argv):
    base, n = argv[1], int(argv[2])
    good, huge, corrupt = (open(p, "rb").read() for p in argv[3:6])
    host = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    counts, bad_envelopes = {}, 0
    edit = lambda img, extra=(): multipart([("image", img, "x.png"), ("prompt", b"p", None)]
                                           + list(extra))
    kinds = [
        ("POST", "/v1/edit", *edit(corrupt)),                                      # 400
        ("POST", "/v1/edit", *edit(huge)),                                         # 422
        ("POST", "/v1/edit", *edit(good, [("strength", b"1", None)])),             # 400
        ("POST", "/v1/edit", b"hello", "text/plain"),                              # 415
        ("GET", "/v1/jobs/" + str(uuid.uuid4()), None, None),                      # 404
        ("GET", "/v1/edit", None, None),                                           # 405
        ("POST", "/v1/edit", b'{"prompt":', "application/json"),                   # 400
        ("GET", "/v1/jobs?limit=5", None, None),                                   # 200
        ("GET", "/metrics", None, None),                                           # 200
    ]
    good_req = ("POST", "/v1/edit", *edit(good, [("num_inference_steps", b"1", None)]))
    for i in range(n):
        method, path, body, ctype = good_req if i % 100 == 0 else kinds[i % len(kinds)]
        headers = {"Content-Type": ctype} if ctype else {}
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            conn.close()
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
            counts["conn_error"] = counts.get("conn_error", 0) + 1
            continue
        counts[resp.status] = counts.get(resp.status, 0) + 1
        if resp.status >= 400:
            try:
                err = json.loads(data)["error"]
                assert isinstance(err["code"], str) and isinstance(err["message"], str)
            except (ValueError, KeyError, AssertionError, TypeError):
                bad_envelopes += 1
        if resp.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    print(json.dumps({"counts": {str(k): v for k, v in counts.items()},
                      "bad_envelopes": bad_envelopes}))
    return 1 if bad_envelopes else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
