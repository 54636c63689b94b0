#!/bin/bash
# num_images_per_prompt against the real i2i-serve: one job, several
# results, image i run with seed + i. Checked: the parameters and the
# result's images[] (index, seed, a signed url each), progress over all
# images, each ?index= result a PNG at the input's size, image i byte for
# byte the single-image job with seed + i, the images differing, b64_json
# inline per image, OpenAI's n mapped onto it (data[] of n), and the
# refusals (count out of range or not an integer, index past the job's
# images or malformed) as 4xx in the error envelope.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 64 48 "$WORK/in.png"
start_server --workers 1 --api-keys key-one
A=(-H "Authorization: Bearer key-one")
ONE=(-F image=@"$WORK/in.png" -F prompt="make it autumn" -F num_inference_steps=2)

code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" "${ONE[@]}" -F num_images_per_prompt=3 -F seed=11)
check "three images: 200 (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 200 ]
ID=$(jget "$WORK/body" "j['id']")
check "parameters echo the count" [ "$(jget "$WORK/body" "j['parameters']['num_images_per_prompt']")" = 3 ]
check "images[] lists index and seed" [ "$(jget "$WORK/body" "[(x['index'], x['seed']) for x in j['result']['images']]")" = "[(0, 11), (1, 12), (2, 13)]" ]
check "progress counts every image's steps" [ "$(jget "$WORK/body" "(j['progress']['step'], j['progress']['steps'])")" = "(6, 6)" ]
check "each image has a signed url; result.url is the first's" [ "$(jget "$WORK/body" "(all('sig=' in x['url'] for x in j['result']['images']), j['result']['url'] == j['result']['images'][0]['url'], 'index=2&' in j['result']['images'][2]['url'])")" = "(True, True, True)" ]
URL2=$(jget "$WORK/body" "j['result']['images'][2]['url']")
for i in 0 1 2; do
    code=$(req GET "/v1/jobs/$ID/result?index=$i" "${A[@]}")
    check "result index $i: 200 (got $code)" [ "$code" = 200 ]
    check "... a 64x48 PNG" [ "$(png_size "$WORK/body")" = "64 48" ]
    cp "$WORK/body" "$WORK/img$i.png"
done
code=$(req GET "/v1/jobs/$ID/result" "${A[@]}")
check "no index: the first image" cmp -s "$WORK/body" "$WORK/img0.png"
check "the images differ (seeds differ)" [ "$(cmp -s "$WORK/img0.png" "$WORK/img1.png"; echo $?)$(cmp -s "$WORK/img1.png" "$WORK/img2.png"; echo $?)" = 11 ]
code=$(req GET "${URL2#"$BASE"}")
check "image 2's signed url without a token: 200 (got $code)" [ "$code" = 200 ]
check "... image 2's bytes" cmp -s "$WORK/body" "$WORK/img2.png"

code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" -H "Accept: image/png" "${ONE[@]}" -F seed=12)
check "a single job with seed 12 (got $code)" [ "$code" = 200 ]
check "... is image 1 byte for byte" cmp -s "$WORK/body" "$WORK/img1.png"

code=$(req GET "/v1/jobs/$ID/result?index=3" "${A[@]}")
check "index past the images: 404 (got $code)" [ "$code" = 404 ]
check "... not_found envelope" is_error_json not_found
for bad in x -1 1.0 9; do
    code=$(req GET "/v1/jobs/$ID/result?index=$bad" "${A[@]}")
    check "index=$bad: 400 (got $code)" [ "$code" = 400 ]
    check "... invalid_parameter envelope" is_error_json invalid_parameter
done

code=$(req POST /v1/edit "${A[@]}" -H "Prefer: wait=60" "${ONE[@]}" -F num_images_per_prompt=2 -F seed=11 -F response_format=b64_json)
check "b64_json with two images: 200 (got $code)" [ "$code" = 200 ]
check "... result.b64_json is image 0, images[1].b64_json image 1" /usr/bin/python3 -c "
import base64,json,sys
r=json.load(open(sys.argv[1]))['result']
ok = base64.b64decode(r['b64_json']) == open(sys.argv[2],'rb').read() and \
     base64.b64decode(r['images'][1]['b64_json']) == open(sys.argv[3],'rb').read()
sys.exit(not ok)" "$WORK/body" "$WORK/img0.png" "$WORK/img1.png"

code=$(req POST /v1/images/edits "${A[@]}" "${ONE[@]}" -F n=2 -F response_format=b64_json -F seed=11)
check "OpenAI n=2: 200 (got $code: $(head -c 200 "$WORK/body"))" [ "$code" = 200 ]
check "... data[] holds both images" /usr/bin/python3 -c "
import base64,json,sys
d=json.load(open(sys.argv[1]))['data']
sys.exit(not (len(d) == 2 and [base64.b64decode(x['b64_json']) for x in d] ==
              [open(p,'rb').read() for p in sys.argv[2:]]))" "$WORK/body" "$WORK/img0.png" "$WORK/img1.png"

bad_post /v1/edit "num_images_per_prompt 5" 422 parameter_out_of_range "${A[@]}" "${ONE[@]}" -F num_images_per_prompt=5
bad_post /v1/edit "num_images_per_prompt 0" 422 parameter_out_of_range "${A[@]}" "${ONE[@]}" -F num_images_per_prompt=0
bad_post /v1/edit "num_images_per_prompt 1.5" 400 invalid_parameter "${A[@]}" "${ONE[@]}" -F num_images_per_prompt=1.5
bad_post /v1/images/edits "OpenAI n=5" 422 parameter_out_of_range "${A[@]}" "${ONE[@]}" -F n=5
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
