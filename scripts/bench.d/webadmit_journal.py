#!/usr/bin/env python3
"""Reads a sandbox journal (JSON array on stdin) and reports WebAdMIT API calls per export run.

usage: webadmit_journal.py STATUS_POLLS < journal.json
STATUS_POLLS is the scenario's status polls that answer "In Progress" before "Available": the
fewest API calls a run can make is then one POST (start) + STATUS_POLLS + 1 status GETs (the
last one carries the download_url, fetched from storage at once: not an API call).
Prints one JSON object.
"""
import json
import re
import sys
from collections import defaultdict

polls = int(sys.argv[1])
minimum = 1 + polls + 1
entries = json.load(sys.stdin)
start = re.compile(r'^/api/v1/user_identities/[^/]+/exports/(\d+)/export_files$')
status = re.compile(r'^/api/v1/exports/(\d+)/export_files/\d+$')
calls = defaultdict(int)
other = 0
downloads = 0
for e in entries:
    if e.get('listener') != 'api':
        downloads += e['method'] == 'GET'
        continue
    path = e['path']
    m = start.match(path) if e['method'] == 'POST' else status.match(path) if e['method'] == 'GET' else None
    if m:
        calls[m.group(1)] += 1
    elif path.startswith('/api/'):
        other += 1
counts = sorted(calls.values())
print(json.dumps({
    'runs': len(counts), 'min_calls': minimum, 'max_calls': counts[-1] if counts else 0,
    'mean_calls': (sum(counts) / len(counts)) if counts else 0,
    'runs_over_min': sum(1 for c in counts if c > minimum), 'other_api_calls': other,
    'storage_gets': downloads,
}))
