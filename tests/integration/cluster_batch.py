#!/usr/bin/python3
"""A batch client for the cluster test: submits jobs to one base URL (the
load balancer), polls them there until each is final, and fetches every
succeeded job's result there too, so submits, polls and fetches land on
whichever replica the balancer picks.

usage: cluster_batch.py submit BASE IMAGE N OUT_IDS [FIELD=VALUE...]
       cluster_batch.py wait BASE IDS DEADLINE_S   (exit 1 unless all succeed
                                                    and every result is a PNG)
"""
import json
import sys
import time
import urllib.error
import urllib.request
import uuid


def multipart(image, fields):
    boundary = uuid.uuid4().hex
    parts = []
    for k, v in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                     .encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
                 f'filename="in.png"\r\nContent-Type: image/png\r\n\r\n'.encode() + image +
                 b'\r\n')
    parts.append(f'--{boundary}--\r\n'.encode())
    return b''.join(parts), f'multipart/form-data; boundary={boundary}'


def submit(base, image_path, n, out, fields):
    image = open(image_path, 'rb').read()
    ids = []
    for _ in range(n):
        body, ctype = multipart(image, fields)
        req = urllib.request.Request(f'{base}/v1/edit', data=body, method='POST',
                                     headers={'Content-Type': ctype})
        with urllib.request.urlopen(req, timeout=60) as r:
            if r.status != 202:
                sys.exit(f'submit: {r.status}')
            ids.append(json.load(r)['id'])
    open(out, 'w').write('\n'.join(ids) + '\n')


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
        return 0, str(e).encode()


def wait(base, ids_path, deadline_s):
    ids = [l.strip() for l in open(ids_path) if l.strip()]
    final = {}
    end = time.monotonic() + deadline_s
    while len(final) < len(ids) and time.monotonic() < end:
        for i in ids:
            if i in final:
                continue
            code, body = get(f'{base}/v1/jobs/{i}')
            if code == 200:
                j = json.loads(body)
                if j['status'] in ('succeeded', 'failed', 'canceled'):
                    final[i] = j
        time.sleep(0.3)
    bad = [f'{i}: {final[i]["status"]} {final[i].get("error")}' for i in final
           if final[i]['status'] != 'succeeded']
    bad += [f'{i}: not final after {deadline_s} s' for i in ids if i not in final]
    for i in ids:
        if i in final and final[i]['status'] == 'succeeded':
            code, body = get(f'{base}/v1/jobs/{i}/result')
            if code != 200 or body[1:4] != b'PNG':
                bad.append(f'{i}: result {code}')
    if bad:
        sys.exit('\n'.join(bad[:20]))
    print(f'{len(ids)} jobs succeeded, results fetched')


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'submit':
        fields = dict(a.split('=', 1) for a in sys.argv[6:])
        submit(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], fields)
    elif cmd == 'wait':
        wait(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        sys.exit(__doc__)
