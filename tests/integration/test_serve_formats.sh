#!/bin/bash
# Result delivery against the real i2i-serve: output_format png|jpeg|webp
# (+ output_quality), decoded from the images' own headers (JPEG SOF, WebP
# RIFF/VP8); Accept negotiation on the result and on Prefer: wait (406 when
# Accept excludes the format); response_format b64_json round-tripping to the
# very bytes of GET /result; absolute URLs under --public-url; the signed
# result URL with API keys: fetched without Authorization, 403 for a tampered
# signature, another job's signature, a missing exp, and once expired; and
# without API keys plain relative URLs.
. "$(dirname "$0")/serve_lib.sh"

dims() { /usr/bin/python3 "$HERE/image_dims.py" "$@" 2>&1; }

make_bundle
img png 64 48 "$WORK/in.png"
PUB=https://img.example.com/i2i
TTL=4
start_server --workers 1 --api-keys key-one --public-url "$PUB/" --result-url-ttl $TTL
A=(-H "Authorization: Bearer key-one")
ONE=(-F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=1)

# JPEG: JSON answer, then the result itself
code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" "${ONE[@]}" -F output_format=jpeg)
check "jpeg job finishes (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 200 ]
JID=$(jget "$WORK/body" "j['id']")
check "jpeg: result content_type" [ "$(jget "$WORK/body" "j['result']['content_type']")" = image/jpeg ]
check "jpeg: parameters echo format and the default quality" \
    [ "$(jget "$WORK/body" "(j['parameters']['output_format'], j['parameters']['output_quality'], j['parameters']['response_format'])")" = "('jpeg', 90, 'url')" ]
check "jpeg: no inline image by default" [ "$(jget "$WORK/body" "'b64_json' in j['result']")" = False ]
check "Location is absolute under --public-url" [ "$(header Location)" = "$PUB/v1/jobs/$JID" ]
check "links are absolute" [ "$(jget "$WORK/body" "(j['links']['self'], j['links']['result'])")" = "('$PUB/v1/jobs/$JID', '$PUB/v1/jobs/$JID/result')" ]
code=$(req GET "/v1/jobs/$JID/result" "${A[@]}")
check "jpeg result 200" [ "$code" = 200 ]
check "jpeg result Content-Type" [ "$(header Content-Type)" = image/jpeg ]
check "jpeg result decodes to 64x48 (SOF)" [ "$(dims "$WORK/body")" = "jpeg 64 48" ]
code=$(req GET "/v1/jobs/$JID/result" "${A[@]}" -H "Accept: image/*")
check "Accept image/* -> 200 (got $code)" [ "$code" = 200 ]
code=$(req GET "/v1/jobs/$JID/result" "${A[@]}" -H "Accept: text/html, */*;q=0.1")
check "Accept */* -> 200 (got $code)" [ "$code" = 200 ]
code=$(req GET "/v1/jobs/$JID/result" "${A[@]}" -H "Accept: image/png")
check "Accept image/png on a jpeg result -> 406 (got $code)" [ "$code" = 406 ]
check "... not_acceptable envelope" is_error_json not_acceptable

# WebP at quality 40, answered as the image itself by Prefer: wait + Accept
code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" -H "Accept: image/webp" "${ONE[@]}" \
    -F output_format=webp -F output_quality=40)
check "webp + Accept image/webp -> 200 image (got $code)" [ "$code" = 200 ]
check "... Content-Type image/webp" [ "$(header Content-Type)" = image/webp ]
check "... RIFF/VP8 header says 64x48" [ "$(dims "$WORK/body")" = "webp 64 48" ]
cp "$WORK/body" "$WORK/q40.webp"
code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" -H "Accept: image/*" "${ONE[@]}" \
    -F output_format=webp -F output_quality=100 -F seed=3)
check "webp + Accept image/* -> the image (got $code)" [ "$(header Content-Type)" = image/webp ]
check "quality 100 is larger than quality 40" [ "$(stat -c %s "$WORK/body")" -gt "$(stat -c %s "$WORK/q40.webp")" ]
code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" -H "Accept: image/png" "${ONE[@]}" -F output_format=webp)
check "webp + Accept image/png -> the job JSON (got $code)" [ "$(header Content-Type)" = application/json ]
check "... with its webp result" [ "$(jget "$WORK/body" "j['result']['content_type']")" = image/webp ]
printf '{"image":"%s","prompt":"x","num_inference_steps":1,"output_format":"jpeg","output_quality":75}' \
    "$(img b64 "$WORK/in.png")" >"$WORK/req.json"
code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" -H "Content-Type: application/json" --data-binary @"$WORK/req.json")
check "JSON body with output_format (got $code)" [ "$(jget "$WORK/body" "j['parameters']['output_quality']")" = 75 ]

# bad values: 4xx with the envelope
bad_post /v1/edit "output_format gif" 400 invalid_parameter "${A[@]}" "${ONE[@]}" -F output_format=gif
bad_post /v1/edit "output_quality with png" 400 invalid_parameter "${A[@]}" "${ONE[@]}" -F output_quality=80
bad_post /v1/edit "output_quality 0" 422 parameter_out_of_range "${A[@]}" "${ONE[@]}" -F output_format=jpeg -F output_quality=0
bad_post /v1/edit "output_quality 101" 422 parameter_out_of_range "${A[@]}" "${ONE[@]}" -F output_format=webp -F output_quality=101
bad_post /v1/edit "output_quality 9.5" 400 invalid_parameter "${A[@]}" "${ONE[@]}" -F output_format=jpeg -F output_quality=9.5
bad_post /v1/edit "response_format xml" 400 invalid_parameter "${A[@]}" "${ONE[@]}" -F response_format=xml

# b64_json: the inline image is the result's very bytes
code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" "${ONE[@]}" -F output_format=jpeg -F response_format=b64_json)
check "b64_json job finishes (got $code)" [ "$code" = 200 ]
BID=$(jget "$WORK/body" "j['id']")
jget "$WORK/body" "j['result']['b64_json']" >"$WORK/inline.b64"
check "b64_json decodes to a 64x48 JPEG" [ "$(dims --b64 "$WORK/inline.b64")" = "jpeg 64 48" ]
req GET "/v1/jobs/$BID/result" "${A[@]}" >/dev/null
cp "$WORK/body" "$WORK/fetched.jpg"
check "b64_json is byte for byte the result" /usr/bin/python3 -c "import base64,sys; \
sys.exit(base64.b64decode(open(sys.argv[1]).read()) != open(sys.argv[2],'rb').read())" "$WORK/inline.b64" "$WORK/fetched.jpg"
req GET "/v1/jobs/$BID" "${A[@]}" >/dev/null
check "GET /v1/jobs/{id} carries it too" [ "$(jget "$WORK/body" "len(j['result']['b64_json']) > 100")" = True ]
req GET "/v1/jobs?limit=50" "${A[@]}" >/dev/null
check "the listing carries URLs, no images" [ "$(jget "$WORK/body" "any('b64_json' in (x['result'] or {}) for x in j['jobs'])")" = False ]

# signed result URL: no token needed; wrong, foreign, incomplete or expired ones are 403
req GET "/v1/jobs/$BID" "${A[@]}" >/dev/null
URL=$(jget "$WORK/body" "j['result']['url']")
check "result.url is absolute and signed ($URL)" \
    /usr/bin/python3 -c "import re,sys; sys.exit(not re.fullmatch(r'$PUB/v1/jobs/$BID/result\?exp=[0-9]+&sig=[A-Za-z0-9_-]{43}', sys.argv[1]))" "$URL"
LOCAL=${URL#"$PUB"}
code=$(req GET "$LOCAL")
check "signed URL without Authorization -> 200 (got $code)" [ "$code" = 200 ]
check "... the same bytes" cmp -s "$WORK/body" "$WORK/fetched.jpg"
code=$(req GET "/v1/jobs/$BID/result")
check "unsigned without Authorization -> 401" [ "$code" = 401 ]
SIG=${LOCAL##*sig=}
FLIP=$(/usr/bin/python3 -c "import sys; s=sys.argv[1]; print(s[:-1] + ('A' if s[-1] != 'A' else 'B'))" "$SIG")
code=$(req GET "${LOCAL%sig=*}sig=$FLIP")
check "tampered sig -> 403 (got $code)" [ "$code" = 403 ]
check "... forbidden envelope" is_error_json forbidden
code=$(req GET "/v1/jobs/$JID/result?${LOCAL#*\?}")
check "another job's signature -> 403 (got $code)" [ "$code" = 403 ]
EXP=$(echo "$LOCAL" | sed 's/.*exp=\([0-9]*\).*/\1/')
code=$(req GET "/v1/jobs/$BID/result?exp=$((EXP + 1000))&sig=$SIG")
check "a later exp with the same sig -> 403 (got $code)" [ "$code" = 403 ]
code=$(req GET "/v1/jobs/$BID/result?sig=$SIG")
check "sig without exp -> 403 (got $code)" [ "$code" = 403 ]
code=$(req GET "${LOCAL%sig=*}sig=$FLIP" "${A[@]}")
check "a bad sig is 403 even with a token (got $code)" [ "$code" = 403 ]
code=$(curl -s -I -o /dev/null -w '%{http_code}' "$BASE$LOCAL")
check "HEAD on the signed URL -> 200 (got $code)" [ "$code" = 200 ]
sleep $((TTL + 2))
code=$(req GET "$LOCAL")
check "expired signed URL -> 403 (got $code)" [ "$code" = 403 ]
check "... says it expired" grep -q expired "$WORK/body"
stop_server

# without API keys or a public URL: relative, unsigned URLs
start_server --workers 1
code=$(req POST /v1/edit -H "Prefer: wait=60" "${ONE[@]}")
NID=$(jget "$WORK/body" "j['id']")
check "no auth: relative Location" [ "$(header Location)" = "/v1/jobs/$NID" ]
check "no auth: result.url is the plain path" [ "$(jget "$WORK/body" "j['result']['url']")" = "/v1/jobs/$NID/result" ]
check "no auth: png by default" [ "$(jget "$WORK/body" "(j['result']['content_type'], j['parameters']['output_quality'])")" = "('image/png', None)" ]
stop_server
check "server exits 0" [ "$SERVER_RC" = 0 ]

"$SERVE" --bundle "$BUNDLE" --public-url "ftp://x" >/dev/null 2>"$WORK/err"
check "a bad --public-url exits 2" [ $? -eq 2 ]
"$SERVE" --bundle "$BUNDLE" --url-secret short >/dev/null 2>"$WORK/err"
check "a short --url-secret exits 2" [ $? -eq 2 ]
finish
