#!/usr/bin/env python3
"""The kernel's share of a run, measured without exportsync: what case 1's durability and
protocol need of the kernel per run, done by the thinnest possible client, so the user-space
part of a run can be told apart from the part no client can avoid on this machine.

Per run, over keep-alive loopback connections to the sandbox (one token fetched first):
POST the kickoff, GET the operation, GET the file; then the temp file (O_CREAT|O_EXCL), write,
fsync, rename, directory fsync; and the state database's commits: `commits_per_run` WAL
transactions (synchronous=FULL, as exportsync) updating one row. Prints a JSON line with the
user and system CPU seconds per run. Sequential (one connection): no thread switches counted.
usage: floor.py BASE_URL OUTDIR N [COMMITS_PER_RUN]
"""
import http.client
import json
import os
import resource
import sqlite3
import sys
import urllib.parse

base, outdir, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
commits_per_run = float(sys.argv[4]) if len(sys.argv) > 4 else 4.0
os.makedirs(outdir, exist_ok=True)
u = urllib.parse.urlsplit(base)
conn = http.client.HTTPConnection(u.hostname, u.port)


def request(method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r, r.read()


r, body = request('POST', '/iam/v1/oauth2/token',
                  'grant_type=client_credentials&client_id=bench-client&client_secret=bench-secret',
                  {'Content-Type': 'application/x-www-form-urlencoded'})
token = json.loads(body)['access_token']
headers = {'Authorization': f'Bearer {token}', 'X-Version': '2026-01-01'}
kickoff = '/testForms/tf-1/testPhases/tp-1/matrices/mx-1/samples/sm-1/attachments/attachment-1/export'
db = sqlite3.connect(os.path.join(outdir, 'state.sqlite'), isolation_level=None)
db.execute('PRAGMA journal_mode=WAL')
db.execute('PRAGMA synchronous=FULL')
db.execute('CREATE TABLE IF NOT EXISTS runs(id INTEGER PRIMARY KEY, phase TEXT, updated TEXT)')
dirfd = os.open(outdir, os.O_RDONLY)
start = resource.getrusage(resource.RUSAGE_SELF)
commits_due = 0.0
for i in range(n):
    r, _ = request('POST', kickoff, json.dumps({'format': 'pdf'}), dict(headers, **{'Content-Type': 'application/json'}))
    location = urllib.parse.urlsplit(r.getheader('Location'))
    r, op = request('GET', location.path, headers=headers)
    resource_url = urllib.parse.urlsplit(json.loads(op)['resourceUrl'])
    r, content = request('GET', resource_url.path + ('?' + resource_url.query if resource_url.query else ''), headers=headers)
    final = os.path.join(outdir, f'f-{i:06d}.pdf')
    tmp = final + '.part'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    os.write(fd, content)
    os.fsync(fd)
    os.close(fd)
    os.rename(tmp, final)
    os.fsync(dirfd)
    commits_due += commits_per_run
    while commits_due >= 1:
        db.execute('BEGIN IMMEDIATE')
        db.execute('INSERT OR REPLACE INTO runs(id, phase, updated) VALUES (?, ?, ?)', (i, 'done', str(i)))
        db.execute('COMMIT')
        commits_due -= 1
end = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'runs': n, 'user_ms_per_run': (end.ru_utime - start.ru_utime) * 1000 / n,
                  'sys_ms_per_run': (end.ru_stime - start.ru_stime) * 1000 / n, 'bytes': len(content)}))
