#!/bin/bash
# Webhooks (issue 14): a receiver on loopback gets start, progress and
# completed for a job, every delivery signed as Standard Webhooks says, a
# retry after it answered 500 once; webhook_events_filter narrows the
# events; destinations outside --webhook-allow are refused at submit.
. "$(dirname "$0")/serve_lib.sh"

SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
/usr/bin/python3 "$HERE/webhook_receiver.py" "$WORK/hook.port" "$WORK/hook.log" "$SECRET" 1 &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; cleanup' EXIT
for _ in $(seq 1 50); do [ -s "$WORK/hook.port" ] && break; sleep 0.1; done
HOOK=http://127.0.0.1:$(cat "$WORK/hook.port")/hook

make_bundle
img png 64 64 "$WORK/in.png"
start_server --workers 1 --webhook-allow 127.0.0.1/32 --webhook-secret "$SECRET" --webhook-backoff 1

# every event of one job
code=$(req POST /v1/edit -H 'Prefer: wait=60' -F image=@"$WORK/in.png" -F prompt=x -F resolution=64 \
    -F num_inference_steps=4 -F webhook="$HOOK?job=1")
check "job with a webhook: 200 (got $code)" [ "$code" = 200 ]
ID=$(jget "$WORK/body" "j['id']")
check "its parameters carry the webhook and the default filter" [ "$(jget "$WORK/body" "(j['parameters']['webhook'], j['parameters']['webhook_events_filter'])")" = "('$HOOK?job=1', ['start', 'progress', 'completed'])" ]
deliveries() { # deliveries JOB: the receiver's lines for JOB, once its completed got 200 and
    # every delivery answered 500 got its 200 on a retry (the retry may land after completed) (20 s)
    local i
    for i in $(seq 1 200); do
        grep "\"job\": \"$1\"" "$WORK/hook.log" 2>/dev/null >"$WORK/deliveries.part"
        /usr/bin/python3 -c "
import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
ok={l['id'] for l in ls if l['answered']==200}
done=any(l['type']=='job.completed' for l in ls if l['id'] in ok)
sys.exit(0 if done and all(l['id'] in ok for l in ls) else 1)" "$WORK/deliveries.part" && break
        sleep 0.1
    done
    grep "\"job\": \"$1\"" "$WORK/hook.log"
}
deliveries "$ID" >"$WORK/job1.log"
summary=$(/usr/bin/python3 -c "
import json,sys
ls=[json.loads(l) for l in open(sys.argv[1])]
ok=[l for l in ls if l['answered']==200]
print(sorted(set(l['type'] for l in ok)), all(l['verified'] for l in ls),
      any(l['answered']==500 for l in ls) and any(a['id']==b['id'] and a['answered']==500 and b['answered']==200 for a in ls for b in ls),
      [l['status'] for l in ok if l['type']=='job.completed'], len(set(l['id'] for l in ok))==len(ok))" "$WORK/job1.log")
check "start, progress and completed delivered ($summary)" [ "${summary%%]*}]" = "['job.completed', 'job.progress', 'job.start']" ]
check "every delivery's signature verifies" grep -q "^\[.*\] True" <<<"$summary"
check "the delivery answered 500 came again with the same webhook-id and then got 200" grep -q "^\[.*\] True True" <<<"$summary"
check "completed carries the succeeded job" grep -q "\['succeeded'\] True$" <<<"$summary"

# only completed, as a JSON array
/usr/bin/python3 -c "import json,sys; print(json.dumps({'image': sys.argv[1], 'prompt': 'x', 'resolution': 64,
    'num_inference_steps': 3, 'webhook': sys.argv[2], 'webhook_events_filter': ['completed']}))" \
    "$(img b64 "$WORK/in.png")" "$HOOK" >"$WORK/filtered.json"
code=$(req POST /v1/edit -H 'Prefer: wait=60' -H 'Content-Type: application/json' --data-binary @"$WORK/filtered.json")
ID2=$(jget "$WORK/body" "j['id']")
deliveries "$ID2" >"$WORK/job2.log"
check "filter [completed]: only job.completed ($(cut -c1-200 "$WORK/job2.log" | tr '\n' ' '))" [ "$(grep -c . "$WORK/job2.log") $(grep -c job.completed "$WORK/job2.log")" = "1 1" ]

# refused at submit
bad_post /v1/edit "a private address" 422 webhook_not_allowed -F image=@"$WORK/in.png" -F prompt=x -F webhook=http://10.1.2.3/hook
bad_post /v1/edit "IPv6 loopback, not listed" 422 webhook_not_allowed -F image=@"$WORK/in.png" -F prompt=x -F "webhook=http://[::1]:9/hook"
bad_post /v1/edit "the link-local metadata address" 422 webhook_not_allowed -F image=@"$WORK/in.png" -F prompt=x -F webhook=http://169.254.169.254/latest
bad_post /v1/edit "not http(s)" 422 webhook_not_allowed -F image=@"$WORK/in.png" -F prompt=x -F webhook=file:///etc/passwd
bad_post /v1/edit "user info in the URL" 422 webhook_not_allowed -F image=@"$WORK/in.png" -F prompt=x -F "webhook=http://a@127.0.0.1/"
bad_post /v1/edit "an unknown event" 400 invalid_parameter -F image=@"$WORK/in.png" -F prompt=x -F webhook="$HOOK" -F webhook_events_filter=start,finished
bad_post /v1/edit "a filter without a webhook" 400 invalid_parameter -F image=@"$WORK/in.png" -F prompt=x -F webhook_events_filter=start

req GET /metrics >/dev/null
delivered=$(grep '^i2i_webhook_deliveries_total{result="delivered"}' "$WORK/body" | awk '{print $2}')
retried=$(grep '^i2i_webhook_deliveries_total{result="retried"}' "$WORK/body" | awk '{print $2}')
check "metrics count deliveries ($delivered delivered, $retried retried)" [ "${delivered:-0}" -ge 4 -a "${retried:-0}" -ge 1 ]
stop_server
check "SIGTERM exit 0" [ "$SERVER_RC" -eq 0 ]
finish
