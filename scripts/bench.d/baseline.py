#!/usr/bin/env python3
"""Baseline for case 1: the vendor-docs style `requests` polling loop, run on a thread pool.

For each of N runs: POST kickoff, GET Location until completed (sleeping Retry-After), GET
resourceUrl streamed to a temp file, fsync, rename, directory fsync. One token, fetched once
(refreshed never: the benchmark scenario's token lasts an hour). Prints a JSON line with the
elapsed time and the number of files written.

usage: baseline.py BASE_URL OUTDIR N THREADS
"""
import json
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

base, outdir, n, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
os.makedirs(outdir, exist_ok=True)
local = threading.local()


def session():
    s = getattr(local, 's', None)
    if s is None:
        s = local.s = requests.Session()
    return s


start = time.monotonic()
tok = requests.post(f'{base}/iam/v1/oauth2/token',
                    data={'grant_type': 'client_credentials', 'client_id': 'bench-client',
                          'client_secret': 'bench-secret'}, timeout=30).json()['access_token']
headers = {'Authorization': f'Bearer {tok}', 'X-Version': '2026-01-01'}
kickoff = f'{base}/testForms/tf-1/testPhases/tp-1/matrices/mx-1/samples/sm-1/attachments/attachment-1/export'
dirfd = os.open(outdir, os.O_RDONLY)


def one(i):
    s = session()
    r = s.post(kickoff, headers=headers, json={'format': 'pdf'}, timeout=30)
    r.raise_for_status()
    location = r.headers['Location']
    time.sleep(float(r.headers.get('Retry-After', '0')))
    for _ in range(10000):  # bounded
        r = s.get(location, headers=headers, timeout=30)
        if r.status_code == 429:
            time.sleep(float(r.headers.get('Retry-After', '1')))
            continue
        r.raise_for_status()
        op = r.json()
        if op['status'] in ('completed', 'failed', 'cancelled'):
            break
        time.sleep(float(r.headers.get('Retry-After', '1')))
    if op['status'] != 'completed':
        return False
    final = os.path.join(outdir, f'job-{i:06d}.pdf')
    with s.get(op['resourceUrl'], headers=headers, stream=True, timeout=30) as r:
        r.raise_for_status()
        fd, tmp = tempfile.mkstemp(dir=outdir, prefix='.tmp-')
        with os.fdopen(fd, 'wb') as f:
            for chunk in r.iter_content(chunk_size=65536):
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
    os.rename(tmp, final)
    os.fsync(dirfd)
    return True


with ThreadPoolExecutor(max_workers=threads) as pool:
    ok = sum(1 for result in pool.map(one, range(n)) if result)
elapsed = time.monotonic() - start
print(json.dumps({'runs': n, 'ok': ok, 'seconds': elapsed}))
sys.exit(0 if ok == n else 1)
