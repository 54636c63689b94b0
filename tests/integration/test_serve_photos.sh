#!/bin/bash
# Real photos through POST /v1/edit: a 4000x3000 phone JPEG with EXIF
# orientation 6 comes back upright at 3000x4000; the working resolution and
# output_size (2268x1512 -> 576x384 at resolution 512); sizes and ETA in the
# job JSON; every file of a corpus of real-world image files either runs or
# gets a JSON 4xx within a bounded time; job time budgets.
. "$(dirname "$0")/serve_lib.sh"
PHOTOS=$HERE/../data/photos
CORPUS=$HERE/../data/images

make_bundle
start_server --workers 1 --job-timeout-max 600

# The phone photo: orientation applied, run at resolution 512, back at 3000x4000
code=$(req POST /v1/edit -H 'Prefer: wait=60' -H 'Accept: image/png' \
    -F image=@"$PHOTOS/phone_4000x3000_orient6.jpg" -F prompt="make it autumn" \
    -F resolution=512 -F num_inference_steps=1)
check "4000x3000 orientation-6 JPEG: 200 (got $code)" [ "$code" = 200 ]
check "... back upright at 3000x4000" [ "$(png_size "$WORK/body")" = "3000 4000" ]
ID=$(header Location | sed 's|/v1/jobs/||')
req GET "/v1/jobs/$ID" >/dev/null
check "... job JSON: input 3000x4000, working 384x512" [ "$(jget "$WORK/body" "(j['sizes']['input'], j['sizes']['working'])")" = "({'width': 3000, 'height': 4000}, {'width': 384, 'height': 512})" ]
check "... resolution and output_size reported" [ "$(jget "$WORK/body" "(j['parameters']['resolution'], j['parameters']['output_size'])")" = "(512, 'input')" ]

# 2268x1512: working size (InstructPix2Pix's rounding at 512: 576x384) or input size
code=$(req POST /v1/edit -H 'Prefer: wait=60' -H 'Accept: image/png' -F image=@"$PHOTOS/photo_2268x1512.jpg" \
    -F prompt=x -F resolution=512 -F output_size=working -F num_inference_steps=1)
check "output_size=working: 576x384 (got $code, $(png_size "$WORK/body" 2>&1))" [ "$(png_size "$WORK/body")" = "576 384" ]
code=$(req POST /v1/edit -H 'Prefer: wait=60' -H 'Accept: image/png' -F image=@"$PHOTOS/photo_2268x1512.jpg" \
    -F prompt=x -F num_inference_steps=1)
check "default output_size: 2268x1512 (got $code)" [ "$(png_size "$WORK/body")" = "2268 1512" ]
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F num_inference_steps=1)
check "the bundle's default resolution is reported" [ "$(jget "$WORK/body" "(j['parameters']['resolution'], j['sizes']['working'])")" = "(64, {'width': 64, 'height': 64})" ]
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F resolution=4096)
check "working size over the compute limit: 422 (got $code)" [ "$code" = 422 ]
check "... image_too_large" is_error_json image_too_large
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F resolution=32)
check "resolution 32: 422 (got $code)" [ "$code" = 422 ]
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F output_size=huge)
check "output_size=huge: 400 (got $code)" [ "$code" = 400 ]

# The corpus: each file runs (and succeeds) or is a JSON 4xx, within 60 s
n_ok=0 n_4xx=0
for f in "$CORPUS"/*; do
    case "$f" in *.md|*.sh) continue ;; esac
    code=$(req POST /v1/edit --max-time 60 -H 'Prefer: wait=50' -F image=@"$f" -F prompt=x -F num_inference_steps=1)
    if [ "$code" = 200 ] && [ "$(jget "$WORK/body" "j['status']")" = succeeded ]; then
        n_ok=$((n_ok + 1))
    elif [ "${code:0:1}" = 4 ] && jget "$WORK/body" "j['error']['code']" >/dev/null 2>&1; then
        n_4xx=$((n_4xx + 1))
    else
        fail "corpus $(basename "$f"): got $code $(head -c 200 "$WORK/body")"
    fi
done
check "corpus: some files run ($n_ok) and some are refused ($n_4xx)" [ "$n_ok" -gt 20 ] && [ "$n_4xx" -gt 3 ]
code=$(req POST /v1/edit -F image=@"$CORPUS/anim.gif" -F prompt=x)
check "GIF refused: 400 invalid_image (got $code)" is_error_json invalid_image

# ETA once a step has run, then the job's own time budget
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F profile=edit-full -F resolution=256)
ID=$(jget "$WORK/body" "j['id']")
for i in $(seq 1 300); do
    curl -s -o "$WORK/poll" "$BASE/v1/jobs/$ID"
    [ "$(jget "$WORK/poll" "j['progress']['step'] >= 1")" = True ] && break
    sleep 0.1
done
check "ETA reported once a step ran" [ "$(jget "$WORK/poll" "j['status'] != 'running' or j['progress']['eta_seconds'] > 0")" = True ]
req DELETE "/v1/jobs/$ID" >/dev/null
wait_status "$ID" canceled
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F profile=edit-full \
    -F resolution=256 -F timeout=0.5)
ID=$(jget "$WORK/body" "j['id']")
check "timeout: the job fails" wait_status "$ID" failed
check "... with code timeout" [ "$(jget "$WORK/poll" "j['error']['code']")" = timeout ]
check "... before its last step" [ "$(jget "$WORK/poll" "j['progress']['step'] < 50")" = True ]
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F timeout=-1)
check "timeout -1: 422 (got $code)" [ "$code" = 422 ]
code=$(req POST /v1/edit -F image=@"$PHOTOS/photo_2268x1512.jpg" -F prompt=x -F timeout=1000 -F num_inference_steps=1)
check "a timeout over the server's maximum is capped" [ "$(jget "$WORK/body" "j['parameters']['timeout']")" = 600.0 ]
stop_server
finish
