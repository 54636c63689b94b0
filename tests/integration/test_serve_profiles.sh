#!/bin/bash
# Profiles served by the real i2i-serve: the profile directory (flag, env,
# ./profiles) and start-up failures (exit 2); GET /v1/profiles lists the
# shipped profiles with their cost on the loaded bundle; a request runs with
# γ from the profile's Table S1 (job JSON shows it and where it came from);
# overrides outside the profile's range get 422 naming the range; unknown
# profiles get 422 naming the available ones.
. "$(dirname "$0")/serve_lib.sh"

make_bundle
img png 64 48 "$WORK/in.png"

# --- start-up: a profile directory that cannot load is a configuration error
"$SERVE" --bundle "$BUNDLE" --listen 127.0.0.1:0 --profiles "$WORK/none" >/dev/null 2>"$WORK/err"
check "missing --profiles dir exits 2" [ $? -eq 2 ]
check "... message names it: $(cat "$WORK/err")" grep -q "$WORK/none" "$WORK/err"
I2I_PROFILES="$WORK/none" "$SERVE" --bundle "$BUNDLE" --listen 127.0.0.1:0 >/dev/null 2>"$WORK/err"
check "missing I2I_PROFILES dir exits 2" [ $? -eq 2 ]
mkdir -p "$WORK/bad"
printf '{"format": "i2i-profile/1", "name": "x",' >"$WORK/bad/x.json"
"$SERVE" --bundle "$BUNDLE" --listen 127.0.0.1:0 --profiles "$WORK/bad" >/dev/null 2>"$WORK/err"
check "broken profile file exits 2" [ $? -eq 2 ]
check "... message names the file: $(cat "$WORK/err")" grep -q "x.json" "$WORK/err"
"$SERVE" --help >"$WORK/help"
check "--help documents --profiles / I2I_PROFILES" grep -q -- "--profiles.*I2I_PROFILES" "$WORK/help"

# --- default directory: ./profiles of the working directory
mkdir -p "$WORK/cwd/profiles"
cp "$SHIPPED_PROFILES"/*.json "$WORK/cwd/profiles/"
/usr/bin/python3 -c "
import json,sys
p=json.load(open(sys.argv[1])); p['name']='edit-custom'; p['steps']=3
json.dump(p, open(sys.argv[2],'w'))" "$SHIPPED_PROFILES/edit.json" "$WORK/cwd/profiles/custom.json"
cd "$WORK/cwd" || exit 1
PROFILES="" start_server # no --profiles: ./profiles
cd - >/dev/null || exit 1
check "profiles from ./profiles listed" [ "$(req GET /v1/profiles)" = 200 ]
check "... including a custom one" [ "$(jget "$WORK/body" "sorted(p['name'] for p in j['profiles'])")" = "['control', 'control-full', 'edit', 'edit-custom', 'edit-fast', 'edit-full', 'sr', 'sr-fast', 'sr-full']" ]
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F profile=edit-custom)
check "custom profile runs its steps" [ "$(jget "$WORK/body" "j['parameters']['num_inference_steps']")" = 3 ]
check "the log names the directory used" grep -q '"detail":"profiles: ' "$WORK/server.log"
stop_server

# --- the shipped profiles
PROFILES=$SHIPPED_PROFILES
start_server --workers 1
code=$(req GET /v1/profiles)
check "GET /v1/profiles 200" [ "$code" = 200 ]
check "lists edit, edit-fast, edit-full (and control's, upscale's)" [ "$(jget "$WORK/body" "sorted(p['name'] for p in j['profiles'])")" = "['control', 'control-full', 'edit', 'edit-fast', 'edit-full', 'sr', 'sr-fast', 'sr-full']" ]
check "each edit profile has its cost on the bundle" [ "$(jget "$WORK/body" "all(p['cost']['unet_params_kept'] > 0 and p['cost']['macs_per_job'] > 0 and p['cost']['expected_speedup_vs_baseline'] > 0 for p in j['profiles'] if p['task'] == 'edit')")" = True ]
check "control profiles have no cost without a control bundle" [ "$(jget "$WORK/body" "[('cost' in p) for p in j['profiles'] if p['task'] == 'control']")" = "[False, False]" ]
check "edit is expected faster than edit-full" [ "$(jget "$WORK/body" "{p['name']: p['cost']['expected_speedup_vs_baseline'] for p in j['profiles'] if 'cost' in p}['edit'] > 1.5")" = True ]
check "edit-full is its own baseline (speed-up 1)" [ "$(jget "$WORK/body" "[abs(p['cost']['expected_speedup_vs_baseline'] - 1) < 1e-9 for p in j['profiles'] if p['name'] == 'edit-full']")" = "[True]" ]
check "edit, control and sr are their tasks' defaults" [ "$(jget "$WORK/body" "sorted(p['name'] for p in j['profiles'] if p['default'])")" = "['control', 'edit', 'sr']" ]
check "override ranges listed" [ "$(jget "$WORK/body" "[p['overrides'] for p in j['profiles'] if p['name'] == 'edit-full']")" = "[{'steps': [1, 100]}]" ]

# image_guidance_scale 1.2 without a γ: Table S1 (10 steps) gives 0.581
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt="make it autumn" -F image_guidance_scale=1.2)
check "edit at s_I 1.2 accepted (got $code: $(head -c 300 "$WORK/body"))" [ "$code" = 202 ]
ID=$(jget "$WORK/body" "j['id']")
check "... runs the edit profile" [ "$(jget "$WORK/body" "j['profile']")" = edit ]
check "... γ 0.581 from the table" [ "$(jget "$WORK/body" "abs(j['parameters']['gamma'] - 0.581) < 1e-6 and j['parameters']['gamma_source']")" = gamma_table ]
check "... depth 9, 10 steps" [ "$(jget "$WORK/body" "(j['parameters']['depth'], j['parameters']['num_inference_steps'])")" = "(9, 10)" ]
check "... succeeds" wait_status "$ID" succeeded
check "... finished job still shows γ 0.581" [ "$(jget "$WORK/poll" "round(j['parameters']['gamma'], 6)")" = 0.581 ]

# JSON body: edit-fast at s_I 1.4 -> the 5-step row; a request γ wins
B64=$(img b64 "$WORK/in.png")
printf '{"image":"%s","prompt":"x","profile":"edit-fast","image_guidance_scale":1.4}' "$B64" >"$WORK/fast.json"
code=$(req POST /v1/edit -H "Content-Type: application/json" --data-binary @"$WORK/fast.json")
check "edit-fast accepted (got $code)" [ "$code" = 202 ]
check "... γ 0.377 (5-step row at 1.4)" [ "$(jget "$WORK/body" "(round(j['parameters']['gamma'], 6), j['parameters']['gamma_source'], j['parameters']['num_inference_steps'])")" = "(0.377, 'gamma_table', 5)" ]
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F gamma=0.7 -F num_inference_steps=2)
check "request γ used (got $code)" [ "$(jget "$WORK/body" "(j['parameters']['gamma'], j['parameters']['gamma_source'])")" = "(0.7, 'request')" ]
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F num_inference_steps=2)
check "no table row for 2 steps: the profile's γ" [ "$(jget "$WORK/body" "j['parameters']['gamma_source']")" = profile ]

# out-of-range overrides: 422 naming the range
range_error() { # range_error DESCRIPTION NEEDLE FIELDS...
    local what=$1 needle=$2; shift 2
    local fields=() f
    for f in "$@"; do fields+=(-F "$f"); done
    local got
    got=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x "${fields[@]}")
    check "$what: 422 (got $got: $(head -c 200 "$WORK/body"))" [ "$got" = 422 ]
    check "$what: parameter_out_of_range" is_error_json parameter_out_of_range
    check "$what: message names '$needle'" grep -qF "$needle" "$WORK/body"
}
range_error "depth 14" "depth 14 is outside 1..13, the range profile 'edit' allows" depth=14
range_error "51 steps" "outside 1..50" num_inference_steps=51
range_error "γ 20" "outside [0.1, 10]" gamma=20
range_error "edit-full refuses a depth override" "fixes depth at 13" profile=edit-full depth=9
range_error "edit-full 101 steps" "outside 1..100" profile=edit-full num_inference_steps=101
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F profile=nope)
check "unknown profile 422 (got $code)" [ "$code" = 422 ]
check "... unknown_profile" is_error_json unknown_profile
check "... names the available ones" [ "$(jget "$WORK/body" "all(n in j['error']['message'] for n in ('nope', 'edit', 'edit-fast', 'edit-full'))")" = True ]

# edit-full as it is: 50 steps at full depth (canceled: only the JSON matters)
code=$(req POST /v1/edit -F image=@"$WORK/in.png" -F prompt=x -F profile=edit-full -F depth=13)
check "edit-full accepted (got $code)" [ "$code" = 202 ]
check "... depth 13, 50 steps, γ 1" [ "$(jget "$WORK/body" "(j['parameters']['depth'], j['parameters']['num_inference_steps'], j['parameters']['gamma'])")" = "(13, 50, 1.0)" ]
req DELETE "/v1/jobs/$(jget "$WORK/body" "j['id']")" >/dev/null

stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
