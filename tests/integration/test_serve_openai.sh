#!/bin/bash
# POST /v1/images/edits, OpenAI's images.edit shape, against the real
# i2i-serve: multipart in, {"created", "data": [{"b64_json"} | {"url"}]} out,
# synchronously; the image decodes (PNG / WebP headers) at the input's size;
# the url is signed and fetchable without the token; model selects an edit
# profile or means the default one; the refusals (size, n, mask, JSON body,
# unknown model, missing prompt, no token) are 4xx in the error envelope; a
# job still running after --wait-max is 504 wait_timeout with its Location.
# Then, when node and npm are present and the npm registry answers, the
# official `openai` client calls images.edit and gets a valid b64_json image.
. "$(dirname "$0")/serve_lib.sh"

dims() { /usr/bin/python3 "$HERE/image_dims.py" "$@" 2>&1; }

make_bundle
img png 64 48 "$WORK/in.png"
start_server --workers 1 --api-keys key-one
A=(-H "Authorization: Bearer key-one")
OAI=(-F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=1)

code=$(req POST /v1/images/edits "${A[@]}" "${OAI[@]}" -F n=1 -F response_format=b64_json -F model=dall-e-2)
check "b64_json: 200 (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 200 ]
check "... OpenAI's shape" [ "$(jget "$WORK/body" "(sorted(j), type(j['created']).__name__, len(j['data']), sorted(j['data'][0]), j['output_format'], j['size'])")" = "(['created', 'data', 'output_format', 'size'], 'int', 1, ['b64_json'], 'png', '64x48')" ]
jget "$WORK/body" "j['data'][0]['b64_json']" >"$WORK/one.b64"
check "... a 64x48 PNG" [ "$(dims --b64 "$WORK/one.b64")" = "png 64 48" ]
JOB_URL=$(header Location)
check "... Location names the edit job" [ "$(curl -s "${A[@]}" "$BASE$JOB_URL" | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print(j['task'], j['profile'], j['status'])")" = "edit edit succeeded" ]

code=$(req POST /v1/images/edits "${A[@]}" -F "image[]=@$WORK/in.png" -F prompt=x -F num_inference_steps=1 \
    -F output_format=webp -F model=edit-fast -F size=auto -F user=u-1)
check "image[], webp, url by default: 200 (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 200 ]
URL=$(jget "$WORK/body" "j['data'][0]['url']")
check "... a signed url" [ "$(jget "$WORK/body" "'exp=' in j['data'][0]['url'] and '&sig=' in j['data'][0]['url']")" = True ]
JOB_URL=$(header Location)
check "... model=edit-fast ran that profile" [ "$(curl -s "${A[@]}" "$BASE$JOB_URL" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['profile'])")" = edit-fast ]
code=$(req GET "$URL")
check "the url without a token: 200 (got $code)" [ "$code" = 200 ]
check "... a 64x48 WebP" [ "$(dims "$WORK/body")" = "webp 64 48" ]

bad_post /v1/images/edits "size 512x512" 400 invalid_parameter "${A[@]}" "${OAI[@]}" -F size=512x512
bad_post /v1/images/edits "n=9" 422 parameter_out_of_range "${A[@]}" "${OAI[@]}" -F n=9
bad_post /v1/images/edits "a mask" 400 invalid_parameter "${A[@]}" "${OAI[@]}" -F mask=@"$WORK/in.png"
bad_post /v1/images/edits "no prompt" 400 missing_field "${A[@]}" -F image=@"$WORK/in.png"
bad_post /v1/images/edits "two images" 400 invalid_request "${A[@]}" "${OAI[@]}" -F "image[]=@$WORK/in.png"
bad_post /v1/images/edits "an unknown field" 400 unknown_field "${A[@]}" "${OAI[@]}" -F style=vivid
bad_post /v1/images/edits "an unknown model" 422 unknown_profile "${A[@]}" "${OAI[@]}" -F model=no-such-model
check "... the message lists the edit profiles" grep -q "edit-fast" "$WORK/body"
bad_post /v1/images/edits "a control profile as model" 422 unknown_profile "${A[@]}" "${OAI[@]}" -F model=control
bad_post /v1/images/edits "a JSON body" 415 unsupported_media_type "${A[@]}" -H "Content-Type: application/json" --data-binary '{"prompt":"x"}'
bad_post /v1/images/edits "no token" 401 unauthorized "${OAI[@]}"
code=$(req GET /v1/images/edits "${A[@]}")
check "GET: 405 (got $code)" [ "$code" = 405 ]
check "... Allow" [ "$(header Allow)" = "POST, OPTIONS" ]
stop_server

# a job longer than --wait-max: 504 wait_timeout, Location to poll
start_server --workers 1 --wait-max 1
code=$(req POST /v1/images/edits -F image=@"$WORK/in.png" -F prompt=x -F model=edit-full -F num_inference_steps=100)
check "still running after --wait-max: 504 (got $code)" [ "$code" = 504 ]
check "... wait_timeout envelope" is_error_json wait_timeout
LONG=$(header Location)
check "... Location names the job" [ -n "$LONG" ]
req DELETE "$LONG" >/dev/null
check "the job it named cancels" wait_status "${LONG##*/}" canceled
stop_server

# the official openai npm client (skipped without node/npm or the registry)
if command -v node >/dev/null && command -v npm >/dev/null &&
    (cd "$WORK" && timeout 180 npm install --no-audit --no-fund --loglevel=error openai >"$WORK/npm.log" 2>&1); then
    start_server --workers 1 --api-keys key-one
    cp "$HERE/openai_edit.mjs" "$WORK/"
    (cd "$WORK" && timeout 300 node openai_edit.mjs "$BASE/v1" key-one "$WORK/in.png") >"$WORK/sdk.json" 2>"$WORK/sdk.err"
    check "openai client: images.edit returns ($(head -c 300 "$WORK/sdk.err"))" [ -s "$WORK/sdk.json" ]
    jget "$WORK/sdk.json" "j['b64_json']" >"$WORK/sdk.b64" 2>/dev/null
    check "openai client: a valid b64_json PNG of the input's size" [ "$(dims --b64 "$WORK/sdk.b64")" = "png 64 48" ]
    check "openai client: an unknown model is refused (422)" [ "$(jget "$WORK/sdk.json" "j['refused']")" = "422 unknown_profile" ]
    stop_server
else
    echo "SKIP: the openai npm client (no node/npm, or npm install openai failed: $(tail -1 "$WORK/npm.log" 2>/dev/null))"
fi
finish
