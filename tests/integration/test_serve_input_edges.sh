#!/bin/bash
# Input edge cases found by hostile requests (issue 11): a Content-Length
# over 2^62 gets the early 413 (not 100 Continue), %00 in a path does not
# cut routing short, form integers are read as JSON reads them.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 32 32 "$WORK/in.png"
start_server --max-body-bytes 1048576

# raw_request HOST PORT: sends stdin's request bytes, prints the status line
# of the first answer (a 100 Continue included).
raw_status() {
    /usr/bin/python3 - "$@" <<'PY'
import socket, sys
req = sys.argv[1].encode().decode('unicode_escape').encode('latin-1')
port = int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(req)
data = b""
try:
    while b"\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
print(data.split(b"\r\n")[0].decode(errors="replace"))
PY
}
PORT=${BASE##*:}

for len in 4611686018427387905 9223372036854775807 18446744073709551615 99999999999999999999999; do
    line=$(raw_status "POST /v1/edit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: $len\r\n\r\n" "$PORT")
    check "Content-Length $len: early 413, not 100 Continue (got '$line')" \
        one_of "$line" "HTTP/1.1 413 Payload Too Large" "HTTP/1.1 413 Content Too Large" "HTTP/1.1 413 Request Entity Too Large" "HTTP/1.1 413"
done

# %00 must not truncate the path
code=$(req GET /healthz%00junk --path-as-is)
check "/healthz%00junk is 404 (got $code)" [ "$code" = 404 ]
check "... with the error envelope" is_error_json not_found
code=$(req GET /v1/jobs/123e4567-e89b-42d3-a456-426614174000%00 --path-as-is)
check "job id%00 is 404 (got $code)" [ "$code" = 404 ]
code=$(req GET /healthz%2f --path-as-is)
check "other escapes still decode (/healthz%2f is 404, got $code)" [ "$code" = 404 ]
code=$(req GET /health%7a --path-as-is)
check "/health%7a decodes to /healthz (got $code)" [ "$code" = 200 ]

# multipart integers and numbers: the JSON grammar
for f in depth=0x9 seed=0x1p4 num_inference_steps=+5 guidance_scale=0x10 eta=nan; do
    code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F "$f")
    check "$f refused with 400 (got $code: $(head -c 200 "$WORK/body"))" [ "$code" = 400 ]
    check "$f: invalid_parameter" is_error_json invalid_parameter
done
code=$(req POST /v1/edit -H 'Content-Type: application/json' -d '{"prompt":"x","image":"AAAA","depth":"0x9"}')
check "JSON depth \"0x9\" refused too (got $code)" [ "$code" = 400 ]

check "server still healthy" [ "$(req GET /healthz)" = 200 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
